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
    git_odb *odb;         /* a database the caller holds (jade_source_open_git_odb), or NULL */
    char *refused;        /* why the commit's tree is refused (listing says so), or NULL */
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

/* How git orders a tree's entries: by name, a folder's as if it ended in
 * '/'. */
static int git_entry_order(const git_tree_entry *x, const git_tree_entry *y)
{
    const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    int c = memcmp(a, b, n);
    if (c) return c;
    unsigned ca = la > n                                      ? (unsigned char)a[n]
                  : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/'
                                                              : 0;
    unsigned cb = lb > n                                      ? (unsigned char)b[n]
                  : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/'
                                                              : 0;
    return (int)ca - (int)cb;
}

/* What git fsck refuses in one tree: a name that cannot be a file's, an
 * entry out of git's order, a name twice (a reader could pick either of
 * them), a mode git does not write. */
static bool tree_is_sound(const git_tree *tree, const char *prefix, struct jade_buf *err)
{
    size_t n = git_tree_entrycount(tree);
    const char **names = jade_xcalloc(n + 1, sizeof *names);
    bool sound = true;
    for (size_t i = 0; i < n && sound; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        names[i] = name;
        git_filemode_t mode = git_tree_entry_filemode_raw(e);
        const char *why = NULL;
        if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
            why = _("a name no file can have");
        else if (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB &&
                 mode != GIT_FILEMODE_BLOB_EXECUTABLE && mode != GIT_FILEMODE_LINK &&
                 mode != GIT_FILEMODE_COMMIT)
            why = _("a mode git does not write");
        else if (i > 0 && git_entry_order(git_tree_entry_byindex(tree, i - 1), e) > 0)
            why = _("entries out of git's order");
        if (why) {
            jade_buf_printf(err, _("%s%s: refused as git fsck would: %s (mode %06o)"), prefix, name,
                            why, (unsigned)mode);
            sound = false;
        }
    }
    if (sound && n > 1) {
        qsort(names, n, sizeof *names, jade_compare_text);
        for (size_t i = 1; i < n && sound; i++)
            if (!strcmp(names[i - 1], names[i])) {
                jade_buf_printf(err, _("%s%s: refused as git fsck would: the name is there twice"),
                                prefix, names[i]);
                sound = false;
            }
    }
    free(names);
    return sound;
}

/* A tree still to walk, and where it is. */
struct to_walk {
    git_tree *tree;
    char *prefix; /* "" or "folder/" */
    int depth;
};

/* Lists root's files, walking its folders with a stack of its own (a tree
 * nested deeper than the stack of a recursive walk must be refused, not
 * crash), checking each tree as git fsck would. */
static int walk_tree(struct walk_ctx *w, git_tree *root)
{
    git_tree *first = NULL;
    if (git_tree_dup(&first, root) != 0) {
        git_error_message(w->err, w->s->repo_path);
        return -1;
    }
    struct to_walk *stack = jade_xmalloc(sizeof *stack);
    size_t depth_of_stack = 1, cap = 1;
    stack[0] = (struct to_walk){first, jade_xstrdup(""), 0};
    int rc = 0;
    while (depth_of_stack && rc == 0) {
        struct to_walk t = stack[--depth_of_stack];
        if (!tree_is_sound(t.tree, t.prefix, w->err)) rc = -1;
        for (size_t i = 0; rc == 0 && i < git_tree_entrycount(t.tree); i++) {
            const git_tree_entry *entry = git_tree_entry_byindex(t.tree, i);
            const char *name = git_tree_entry_name(entry);
            if (name[0] == '.') continue; /* hidden: neither listed nor walked */
            git_filemode_t mode = git_tree_entry_filemode_raw(entry);
            const git_oid *oid = git_tree_entry_id(entry);
            char *path = jade_xasprintf("%s%s", t.prefix, name);
            if (mode == GIT_FILEMODE_TREE) {
                git_tree *sub = NULL;
                if (!wanted_folder(w, path)) {
                    /* not asked for */
                } else if (t.depth > 64) { /* as the folder source allows */
                    jade_buf_printf(w->err, _("%s: folders nest too deeply"), path);
                    rc = -1;
                } else if (git_tree_lookup(&sub, w->s->repo, oid) != 0) {
                    jade_buf_printf(w->err, _("%s: refused as git fsck would: not a folder object"),
                                    path);
                    rc = -1;
                } else {
                    if (depth_of_stack == cap)
                        stack = jade_xrealloc(stack, (cap *= 2) * sizeof *stack);
                    stack[depth_of_stack++] =
                        (struct to_walk){sub, jade_xasprintf("%s/", path), t.depth + 1};
                }
            } else if (!wanted_file(w, path)) {
                /* not asked for */
            } else if (mode == GIT_FILEMODE_COMMIT) {
                add_entry(w->s, path, JADE_ENTRY_OTHER, 0, oid); /* a submodule */
            } else {
                size_t size = 0;
                git_object_t type;
                if (git_odb_read_header(&size, &type, w->odb, oid) != 0) {
                    git_error_message(w->err, path);
                    rc = -1;
                } else if (type != GIT_OBJECT_BLOB) {
                    jade_buf_printf(
                        w->err, _("%s: refused as git fsck would: a %s where a file is expected"),
                        path, git_object_type2string(type));
                    rc = -1;
                } else {
                    add_entry(w->s, path,
                              mode == GIT_FILEMODE_LINK ? JADE_ENTRY_SYMLINK : JADE_ENTRY_FILE,
                              mode == GIT_FILEMODE_LINK ? 0 : size, oid);
                }
            }
            free(path);
        }
        git_tree_free(t.tree);
        free(t.prefix);
    }
    for (size_t i = 0; i < depth_of_stack; i++) {
        git_tree_free(stack[i].tree);
        free(stack[i].prefix);
    }
    free(stack);
    return rc;
}

static int git_list(struct jade_source *base, const struct jade_source_entry **out, size_t *count,
                    struct jade_buf *err)
{
    struct git_source *s = (struct git_source *)base;
    *out = s->entries;
    *count = s->count;
    if (!s->refused) return 0;
    jade_buf_puts(err, s->refused);
    return -1;
}

static git_repository *thread_handle(struct git_source *s, struct jade_buf *err)
{
    git_repository *repo = pthread_getspecific(s->thread_repo);
    if (repo) return repo;
    if (s->odb ? git_repository_wrap_odb(&repo, s->odb) != 0
               : git_repository_open(&repo, s->repo_path) != 0) {
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
    free(s->refused);
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
    /* A tree git would refuse is content to refuse, as a folder's would
     * be: listing it says why. */
    struct jade_buf why = {0};
    struct walk_ctx w = {s, odb, only, n_only, &why};
    if (walk_tree(&w, sub ? sub : tree) != 0) s->refused = jade_buf_steal(&why);
    jade_buf_free(&why);
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

/* Lists the tree of rev in s->repo and fills in what people see of it;
 * frees s on failure. */
static int open_tree(struct git_source *s, const char *rev, const char *subdir,
                     const char *const *only, size_t n_only, const char *where,
                     struct jade_source **out, struct jade_buf *err)
{
    if (load_tree(s, rev, subdir, only, n_only, err) != 0) {
        git_fail(s);
        return -1;
    }
    bool has_sub = subdir && *subdir && strcmp(subdir, ".") != 0;
    size_t n = has_sub ? strlen(subdir) : 0;
    while (n > 0 && subdir[n - 1] == '/') n--;
    s->base.display_prefix = has_sub ? jade_xasprintf("%.*s/", (int)n, subdir) : jade_xstrdup("");
    s->base.description = jade_xasprintf(
        _("commit %.12s (%s) of %s"), s->base.commit ? s->base.commit : _("(a tree)"), rev, where);
    *out = &s->base;
    return 0;
}

static struct git_source *new_source(char *repo_path)
{
    git_libgit2_init();
    struct git_source *s = jade_xcalloc(1, sizeof *s);
    s->base.ops = &git_ops;
    s->repo_path = repo_path;
    pthread_key_create(&s->thread_repo, NULL);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

int jade_source_open_git_only(const char *repo, const char *ref, const char *subdir,
                              const char *const *only, size_t n_only, struct jade_source **out,
                              struct jade_buf *err)
{
    char *path = repo_path_of(repo, err);
    if (!path) return -1;
    struct git_source *s = new_source(path);
    if (git_repository_open_ext(&s->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        git_error_message(err, repo);
        git_fail(s);
        return -1;
    }
    /* Later reads open the repository again: use the resolved git folder. */
    free(s->repo_path);
    s->repo_path = jade_xstrdup(git_repository_path(s->repo));
    return open_tree(s, ref && *ref ? ref : "HEAD", subdir, only, n_only, repo, out, err);
}

int jade_source_open_git_odb(struct git_odb *odb, const char *id, const char *subdir,
                             const char *const *only, size_t n_only, struct jade_source **out,
                             struct jade_buf *err)
{
    struct git_source *s = new_source(jade_xstrdup(_("an object database")));
    s->odb = odb;
    if (git_repository_wrap_odb(&s->repo, odb) != 0) {
        git_error_message(err, s->repo_path);
        git_fail(s);
        return -1;
    }
    return open_tree(s, id, subdir, only, n_only, s->repo_path, out, err);
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
