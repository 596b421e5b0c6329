/* test-source.c - the git source over an in-memory object database (the
 * way fuzz-git reads its trees): raw tree objects, listed, refused as git
 * fsck would, and read from other threads. */
#include "source/source.h"
#include "util/buf.h"
#include "test.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <pthread.h>
#include <stdlib.h>

static git_odb *memory_odb(void)
{
    git_odb *odb = NULL;
    git_odb_backend *mempack = NULL;
    git_odb_new(&odb);
    git_mempack_new(&mempack);
    git_odb_add_backend(odb, mempack, 1);
    return odb;
}

static git_oid write_object(git_odb *odb, const char *data, size_t len, git_object_t type)
{
    git_oid id;
    memset(&id, 0, sizeof id);
    git_odb_write(&id, odb, data, len, type);
    return id;
}

/* A raw tree entry: "<mode> <name>\0<id>". */
static void entry(struct jade_buf *tree, const char *mode, const char *name, const git_oid *id)
{
    jade_buf_printf(tree, "%s %s", mode, name);
    jade_buf_append(tree, "", 1);
    jade_buf_append(tree, (const char *)id->id, GIT_OID_RAWSZ);
}

/* Opens the source on a tree of two files, a.json and b/c.txt, written in
 * the order given (git's is a.json, b). */
static int open_two_files(git_odb *odb, bool in_order, struct jade_source **src,
                          struct jade_buf *err)
{
    git_oid a = write_object(odb, "{}", 2, GIT_OBJECT_BLOB);
    git_oid c = write_object(odb, "texte", 5, GIT_OBJECT_BLOB);
    struct jade_buf sub = {0}, root = {0};
    entry(&sub, "100644", "c.txt", &c);
    git_oid b = write_object(odb, jade_buf_str(&sub), sub.len, GIT_OBJECT_TREE);
    if (in_order) entry(&root, "100644", "a.json", &a);
    entry(&root, "40000", "b", &b);
    if (!in_order) entry(&root, "100644", "a.json", &a);
    git_oid top = write_object(odb, jade_buf_str(&root), root.len, GIT_OBJECT_TREE);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &top);
    jade_buf_free(&sub);
    jade_buf_free(&root);
    return jade_source_open_git_odb(odb, hex, NULL, NULL, 0, src, err);
}

struct read_job {
    struct jade_source *src;
    char *data;
    int rc;
};

static void *read_cb(void *arg)
{
    struct read_job *job = arg;
    size_t len;
    struct jade_buf err = {0};
    job->rc = jade_source_read(job->src, "b/c.txt", 100, &job->data, &len, &err);
    jade_buf_free(&err);
    return NULL;
}

static void lists_and_reads_from_any_thread(void)
{
    git_odb *odb = memory_odb();
    struct jade_source *src = NULL;
    struct jade_buf err = {0};
    CHECK_INT_EQ(open_two_files(odb, true, &src, &err), 0);
    const struct jade_source_entry *entries;
    size_t count = 0;
    CHECK_INT_EQ(src ? jade_source_list(src, &entries, &count, &err) : -1, 0);
    CHECK_INT_EQ(count, 2);
    if (count == 2) {
        CHECK_STR_EQ(entries[0].path, "a.json");
        CHECK_STR_EQ(entries[1].path, "b/c.txt");
        CHECK_INT_EQ(entries[1].size, 5);
    }
    /* another thread reads through a repository of its own over the same database */
    struct read_job job = {src, NULL, -1};
    pthread_t t;
    if (src && pthread_create(&t, NULL, read_cb, &job) == 0) pthread_join(t, NULL);
    CHECK_INT_EQ(job.rc, 0);
    CHECK_STR_EQ(job.data, "texte");
    free(job.data);
    jade_source_free(src);
    jade_buf_free(&err);
    git_odb_free(odb);
}

static void refuses_a_tree_out_of_order(void)
{
    git_odb *odb = memory_odb();
    struct jade_source *src = NULL;
    struct jade_buf err = {0};
    CHECK_INT_EQ(open_two_files(odb, false, &src, &err), 0);
    const struct jade_source_entry *entries;
    size_t count;
    CHECK_INT_EQ(src ? jade_source_list(src, &entries, &count, &err) : 0, -1);
    CHECK_CONTAINS(jade_buf_str(&err),
                   "a.json: refused as git fsck would: entries out of git's order");
    jade_source_free(src);
    jade_buf_free(&err);
    git_odb_free(odb);
}

int main(void)
{
    git_libgit2_init();
    RUN(lists_and_reads_from_any_thread);
    RUN(refuses_a_tree_out_of_order);
    git_libgit2_shutdown();
    return test_done();
}
