/* source.h - where a content tree comes from: a folder, or a git commit.
 *
 * One small interface - list the files, read one - so that everything above
 * it checks identical things whichever the source. Paths are relative to the
 * content root, '/'-separated. Entries whose name starts with '.' are not
 * listed (.git, editor files). */
#ifndef JADE_SOURCE_H
#define JADE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jade_buf;

enum jade_entry_type {
    JADE_ENTRY_FILE,
    JADE_ENTRY_SYMLINK, /* refused by the loader: it could point anywhere */
    JADE_ENTRY_OTHER,   /* a submodule, a device, a fifo */
};

/* A folder's listing leaves sizes unknown (no stat per file): ask size. */
#define JADE_SIZE_UNKNOWN UINT64_MAX

struct jade_source_entry {
    char *path;
    enum jade_entry_type type;
    uint64_t size; /* or JADE_SIZE_UNKNOWN */
};

struct jade_source;

struct jade_source_ops {
    /* Fills *out (owned by the source, valid until it is freed). */
    int (*list)(struct jade_source *src, const struct jade_source_entry **out, size_t *count,
                struct jade_buf *err);
    /* Reads at most max bytes of a file into *data (malloc'd, NUL-added;
     * the caller frees). Safe to call from several threads at once. */
    int (*read)(struct jade_source *src, const char *path, size_t max, char **data, size_t *len,
                struct jade_buf *err);
    /* The size of a listed file. */
    int (*size)(struct jade_source *src, const char *path, uint64_t *size, struct jade_buf *err);
    void (*free)(struct jade_source *src);
};

struct jade_source {
    const struct jade_source_ops *ops;
    char *display_prefix; /* prepended to paths shown to people, e.g. "campaigns/" */
    char *description;    /* "folder campaigns", "commit 1a2b3c4 of repo" */
    char *commit;         /* the commit's id for a git source, else NULL */
};

/* A folder on disk. */
int jade_source_open_dir(const char *dir, struct jade_source **out, struct jade_buf *err);

/* The tree of a commit: repo is a path or a file:// URL, ref a branch, tag
 * or commit (default HEAD), subdir a folder inside the tree (default root). */
int jade_source_open_git(const char *repo, const char *ref, const char *subdir,
                         struct jade_source **out, struct jade_buf *err);

/* The same, listing only the files at the root and those below the
 * folders only[0..n_only) (paths relative to subdir): what a reload needs
 * when nothing else changed. */
int jade_source_open_git_only(const char *repo, const char *ref, const char *subdir,
                              const char *const *only, size_t n_only, struct jade_source **out,
                              struct jade_buf *err);

/* The same, from an object database the caller holds and keeps until the
 * source is freed (an in-memory one: the git fuzzer, tests): id is the
 * commit's or the tree's full hex id. Each reading thread wraps the
 * database in a repository of its own. */
struct git_odb;
int jade_source_open_git_odb(struct git_odb *odb, const char *id, const char *subdir,
                             const char *const *only, size_t n_only, struct jade_source **out,
                             struct jade_buf *err);

/* A path that differs between two commits, relative to subdir. */
struct jade_change {
    char *path;
    bool added_or_deleted; /* else modified (or its type changed) */
};

/* The paths that differ between the trees of commits from and to (below
 * subdir, default the root), from the tree ids alone: nothing is read
 * where a folder did not change. Fills *out (free with
 * jade_changes_free). */
int jade_git_changes(const char *repo, const char *from, const char *to, const char *subdir,
                     struct jade_change **out, size_t *count, struct jade_buf *err);
void jade_changes_free(struct jade_change *changes, size_t count);

/* Convenience wrappers over ops. */
int jade_source_list(struct jade_source *src, const struct jade_source_entry **out, size_t *count,
                     struct jade_buf *err);
int jade_source_read(struct jade_source *src, const char *path, size_t max, char **data,
                     size_t *len, struct jade_buf *err);
int jade_source_size(struct jade_source *src, const char *path, uint64_t *size,
                     struct jade_buf *err);
void jade_source_free(struct jade_source *src);

/* Sorts entries by path; shared by both sources so listings are stable. */
void jade_source_sort_entries(struct jade_source_entry *entries, size_t count);

#endif
