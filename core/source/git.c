/* git.c - a content tree read from a git commit through libgit2.
 *
 * What is read is the commit's tree, never the work tree: what would be
 * published. The tree is listed once (path, blob id, size); reads look the
 * path up and read the blob. A git_repository must not be used by two
 * threads at once, so each reading thread opens its own handle. */
#include "source.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <git2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct git_source {
    struct jade_source base;
    char *repo_path;
    git_repository *repo; /* the opening thread's handle */
    struct jade_source_entry *entries;
    git_oid *oids; /* parallel to entries */
    size_t count, cap;
    pthread_key_t thread_repo;
    pthread_mutex_t lock; /* guards handles */
    git_repository **handles;
    size_t n_handles;
};

static void git_error_message(struct jade_buf *err, const char *what)
{
    const git_error *e = git_error_last();
    jade_buf_printf(err, "%s: %s", what, e && e->message ? e->message : _("unknown error"));
}

static void add_entry(struct git_source *s, const char *path, enum jade_entry_type type,
                      uint64_t size, const git_oid *oid)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->entries = jade_xrealloc(s->entries, s->cap * sizeof *s->entries);
        s->oids = jade_xrealloc(s->oids, s->cap * sizeof *s->oids);
    }
    s->entries[s->count] = (struct jade_source_entry){jade_xstrdup(path), type, size};
    git_oid_cpy(&s->oids[s->count], oid);
    s->count++;
}

struct walk_ctx {
    struct git_source *s;
    git_odb *odb;
    const char *const *only; /* list only root files and these folders' files, or NULL */
    size_t n_only;
    int failed;
    struct jade_buf *err;
};

/* Whether path is folder dir or lies below it. */
static bool within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* With a list of folders: whether the walk goes into folder path (one of
 * them, below one, or on the way to one). */
static bool wanted_folder(const struct walk_ctx *w, const char *path)
{
    for (size_t i = 0; i < w->n_only; i++)
        if (within(path, w->only[i]) || within(w->only[i], path)) return true;
    return !w->only;
}

/* With a list of folders: whether a file at path is listed. */
static bool wanted_file(const struct walk_ctx *w, const char *path)
{
    if (!w->only || !strchr(path, '/')) return true;
    for (size_t i = 0; i < w->n_only; i++)
        if (within(path, w->only[i])) return true;
    return false;
}

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
    struct walk_ctx *w = payload;
    const char *name = git_tree_entry_name(entry);
    if (name[0] == '.') return 1; /* skip it, and a folder's contents */
    git_filemode_t mode = git_tree_entry_filemode(entry);
    char *path = jade_xasprintf("%s%s", root, name);
    if (mode == GIT_FILEMODE_TREE || !wanted_file(w, path)) {
        int walk_into = mode == GIT_FILEMODE_TREE && wanted_folder(w, path) ? 0 : 1;
        free(path);
        return walk_into;
    }
    const git_oid *oid = git_tree_entry_id(entry);
    if (mode == GIT_FILEMODE_LINK) {
        add_entry(w->s, path, JADE_ENTRY_SYMLINK, 0, oid);
    } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
        size_t size = 0;
        git_object_t type;
        if (git_odb_read_header(&size, &type, w->odb, oid) != 0) {
            git_error_message(w->err, path);
            w->failed = 1;
            free(path);
            return -1;
        }
        add_entry(w->s, path, JADE_ENTRY_FILE, size, oid);
    } else {
        add_entry(w->s, path, JADE_ENTRY_OTHER, 0, oid);
    }
    free(path);
    return 0;
}

static int git_list(struct jade_source *base, const struct jade_source_entry **out, size_t *count,
                    struct jade_buf *err)
{
    struct git_source *s = (struct git_source *)base;
    *out = s->entries;
    *count = s->count;
    (void)err;
    return 0;
}

static git_repository *thread_handle(struct git_source *s, struct jade_buf *err)
{
    git_repository *repo = pthread_getspecific(s->thread_repo);
    if (repo) return repo;
    if (git_repository_open(&repo, s->repo_path) != 0) {
        git_error_message(err, s->repo_path);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    s->handles = jade_xrealloc(s->handles, (s->n_handles + 1) * sizeof *s->handles);
    s->handles[s->n_handles++] = repo;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->thread_repo, repo);
    return repo;
}

static int compare_path(const void *key, const void *elem)
{
    return strcmp(key, ((const struct jade_source_entry *)elem)->path);
}

static int git_read(struct jade_source *base, const char *path, size_t max, char **data,
                    size_t *len, struct jade_buf *err)
{
    struct git_source *s = (struct git_source *)base;
    const struct jade_source_entry *e =
        bsearch(path, s->entries, s->count, sizeof *s->entries, compare_path);
    if (!e || e->type != JADE_ENTRY_FILE) {
        jade_buf_printf(err, _("no such file in the commit"));
        return -1;
    }
    git_repository *repo = thread_handle(s, err);
    git_blob *blob;
    if (!repo || git_blob_lookup(&blob, repo, &s->oids[e - s->entries]) != 0) {
        if (repo) git_error_message(err, path);
        return -1;
    }
    size_t size = (size_t)git_blob_rawsize(blob);
    if (size > max) size = max;
    *data = jade_xstrndup(git_blob_rawcontent(blob), size);
    *len = size;
    git_blob_free(blob);
    return 0;
}

static int git_size(struct jade_source *base, const char *path, uint64_t *size,
                    struct jade_buf *err)
{
    struct git_source *s = (struct git_source *)base;
    const struct jade_source_entry *e =
        bsearch(path, s->entries, s->count, sizeof *s->entries, compare_path);
    if (!e) {
        jade_buf_printf(err, _("no such file in the commit"));
        return -1;
    }
    *size = e->size;
    return 0;
}

static void git_free(struct jade_source *base)
{
    struct git_source *s = (struct git_source *)base;
    for (size_t i = 0; i < s->count; i++) free(s->entries[i].path);
    free(s->entries);
    free(s->oids);
    for (size_t i = 0; i < s->n_handles; i++) git_repository_free(s->handles[i]);
    free(s->handles);
    pthread_key_delete(s->thread_repo);
    pthread_mutex_destroy(&s->lock);
    git_repository_free(s->repo);
    free(s->repo_path);
    free(s);
    git_libgit2_shutdown();
}

static void git_fail(struct git_source *s)
{
    free(s->base.commit);
    git_free(&s->base);
}

static const struct jade_source_ops git_ops = {git_list, git_read, git_size, git_free};

/* A path, or a file:// URL, to the repository's path. */
static char *repo_path_of(const char *repo, struct jade_buf *err)
{
    if (strncmp(repo, "file://", 7) == 0) return jade_xstrdup(repo + 7);
    if (strstr(repo, "://") || (strchr(repo, ':') && strchr(repo, '@'))) {
        jade_buf_printf(err,
                        _("%s: only a local repository (a path or a file:// URL) can be "
                          "read here; clone it first"),
                        repo);
        return NULL;
    }
    return jade_xstrdup(repo);
}

static int compare_index(const void *a, const void *b, void *entries)
{
    const struct jade_source_entry *e = entries;
    return strcmp(e[*(const size_t *)a].path, e[*(const size_t *)b].path);
}

/* Sorts entries by path, keeping each blob id with its entry. */
static void sort_by_path(struct git_source *s)
{
    size_t *order = jade_xcalloc(s->count, sizeof *order);
    for (size_t i = 0; i < s->count; i++) order[i] = i;
    qsort_r(order, s->count, sizeof *order, compare_index, s->entries);
    struct jade_source_entry *entries = jade_xcalloc(s->count, sizeof *entries);
    git_oid *oids = jade_xcalloc(s->count, sizeof *oids);
    for (size_t i = 0; i < s->count; i++) {
        entries[i] = s->entries[order[i]];
        oids[i] = s->oids[order[i]];
    }
    free(s->entries);
    free(s->oids);
    s->entries = entries;
    s->oids = oids;
    s->cap = s->count;
    free(order);
}

static int load_tree(struct git_source *s, const char *ref, const char *subdir,
                     const char *const *only, size_t n_only, struct jade_buf *err)
{
    git_object *obj = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL, *sub = NULL;
    git_tree_entry *entry = NULL;
    git_odb *odb = NULL;
    int rc = -1;
    if (git_revparse_single(&obj, s->repo, ref) != 0) {
        git_error_message(err, ref);
        goto done;
    }
    /* A commit, or a bare tree (`git write-tree` gives the staged one). */
    char hex[GIT_OID_HEXSZ + 1];
    if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) == 0) {
        git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
        s->base.commit = jade_xstrdup(hex);
    } else {
        git_oid_tostr(hex, sizeof hex, git_object_id(obj));
    }
    if (git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) != 0) {
        jade_buf_printf(err, _("%s: not a commit or a tree"), ref);
        goto done;
    }
    if (subdir && *subdir && strcmp(subdir, ".") != 0) {
        if (git_tree_entry_bypath(&entry, tree, subdir) != 0 ||
            git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
            jade_buf_printf(err, _("%s: no folder %s in commit %.12s"), s->repo_path, subdir, hex);
            goto done;
        }
        if (git_tree_lookup(&sub, s->repo, git_tree_entry_id(entry)) != 0) {
            git_error_message(err, subdir);
            goto done;
        }
    }
    if (git_repository_odb(&odb, s->repo) != 0) {
        git_error_message(err, s->repo_path);
        goto done;
    }
    struct walk_ctx w = {s, odb, only, n_only, 0, err};
    if (git_tree_walk(sub ? sub : tree, GIT_TREEWALK_PRE, walk_cb, &w) != 0 || w.failed) {
        if (!w.failed) git_error_message(err, s->repo_path);
        goto done;
    }
    sort_by_path(s);
    rc = 0;
done:
    git_odb_free(odb);
    git_tree_entry_free(entry);
    git_tree_free(sub);
    git_tree_free(tree);
    git_commit_free(commit);
    git_object_free(obj);
    return rc;
}

int jade_source_open_git(const char *repo, const char *ref, const char *subdir,
                         struct jade_source **out, struct jade_buf *err)
{
    return jade_source_open_git_only(repo, ref, subdir, NULL, 0, out, err);
}

int jade_source_open_git_only(const char *repo, const char *ref, const char *subdir,
                              const char *const *only, size_t n_only, struct jade_source **out,
                              struct jade_buf *err)
{
    char *path = repo_path_of(repo, err);
    if (!path) return -1;
    git_libgit2_init();
    struct git_source *s = jade_xcalloc(1, sizeof *s);
    s->base.ops = &git_ops;
    s->repo_path = path;
    pthread_key_create(&s->thread_repo, NULL);
    pthread_mutex_init(&s->lock, NULL);
    if (git_repository_open_ext(&s->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        git_error_message(err, repo);
        git_fail(s);
        return -1;
    }
    /* Later reads open the repository again: use the resolved git folder. */
    free(s->repo_path);
    s->repo_path = jade_xstrdup(git_repository_path(s->repo));
    const char *rev = ref && *ref ? ref : "HEAD";
    if (load_tree(s, rev, subdir, only, n_only, err) != 0) {
        git_fail(s);
        return -1;
    }
    bool has_sub = subdir && *subdir && strcmp(subdir, ".") != 0;
    size_t n = has_sub ? strlen(subdir) : 0;
    while (n > 0 && subdir[n - 1] == '/') n--;
    s->base.display_prefix = has_sub ? jade_xasprintf("%.*s/", (int)n, subdir) : jade_xstrdup("");
    s->base.description = jade_xasprintf(
        _("commit %.12s (%s) of %s"), s->base.commit ? s->base.commit : _("(a tree)"), rev, repo);
    *out = &s->base;
    return 0;
}

/* The tree of commit hex, or its folder subdir. */
static int tree_at(git_repository *repo, const char *hex, const char *subdir, git_tree **out,
                   struct jade_buf *err)
{
    git_object *obj = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;
    int rc = -1;
    if (git_revparse_single(&obj, repo, hex) != 0 ||
        git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) != 0) {
        git_error_message(err, hex);
        goto done;
    }
    if (subdir && *subdir && strcmp(subdir, ".") != 0) {
        if (git_tree_entry_bypath(&entry, tree, subdir) != 0 ||
            git_tree_entry_type(entry) != GIT_OBJECT_TREE ||
            git_tree_lookup(out, repo, git_tree_entry_id(entry)) != 0) {
            jade_buf_printf(err, _("no folder %s in commit %.12s"), subdir, hex);
            goto done;
        }
    } else {
        *out = tree;
        tree = NULL;
    }
    rc = 0;
done:
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_object_free(obj);
    return rc;
}

int jade_git_changes(const char *repo, const char *from, const char *to, const char *subdir,
                     struct jade_change **out, size_t *count, struct jade_buf *err)
{
    *out = NULL;
    *count = 0;
    char *path = repo_path_of(repo, err);
    if (!path) return -1;
    git_libgit2_init();
    git_repository *r = NULL;
    git_tree *a = NULL, *b = NULL;
    git_diff *diff = NULL;
    int rc = -1;
    if (git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        git_error_message(err, repo);
        goto done;
    }
    if (tree_at(r, from, subdir, &a, err) != 0 || tree_at(r, to, subdir, &b, err) != 0) goto done;
    git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
    opts.flags = GIT_DIFF_SKIP_BINARY_CHECK | GIT_DIFF_INCLUDE_TYPECHANGE;
    if (git_diff_tree_to_tree(&diff, r, a, b, &opts) != 0) {
        git_error_message(err, repo);
        goto done;
    }
    size_t n = git_diff_num_deltas(diff);
    *out = jade_xcalloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        const char *p = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
        (*out)[(*count)++] = (struct jade_change){
            jade_xstrdup(p), d->status == GIT_DELTA_ADDED || d->status == GIT_DELTA_DELETED};
    }
    rc = 0;
done:
    git_diff_free(diff);
    git_tree_free(a);
    git_tree_free(b);
    git_repository_free(r);
    git_libgit2_shutdown();
    free(path);
    return rc;
}

void jade_changes_free(struct jade_change *changes, size_t count)
{
    for (size_t i = 0; i < count; i++) free(changes[i].path);
    free(changes);
}
