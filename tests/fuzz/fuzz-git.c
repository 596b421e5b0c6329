/* fuzz-git.c - libFuzzer target for the git source: trees as raw objects.
 *
 * The input writes git objects, as given, into an in-memory object
 * database (libgit2's mempack: nothing on disk): raw tree objects, never
 * through a tree builder, so names may hold any byte, modes any digits,
 * entries come in any order or twice, and name objects of any type or none.
 * The last object written is the content tree (or its commit); the git
 * source lists it, reads and sizes each file, and the loader checks it as
 * `jade validate --repo` does. Any crash, leak or sanitizer report is a bug.
 *
 * The input, one instruction a line (a line end inside a name or a blob is
 * written \x0a):
 *   B<bytes>             a blob
 *   E<mode> <n> <name>   an entry of the tree being built: <mode> written as
 *                        given, <n> the n-th object written (from 0; past
 *                        the last: an id no object has), <name> the rest
 *   T                    the entries so far, in their order, as a tree
 *   C                    a commit whose tree is the last object written
 *   P<folder>            read the content tree below this folder (--path)
 *   O<folder>            list only the root's files and this folder's (as
 *                        a reload reads only what changed)
 * In <bytes> and <name>, \xNN is the byte NN; other bytes stand for
 * themselves. Entries left when the input ends make the last tree.
 *
 * Build and run: `bash tests/fuzz/run.sh git [SECONDS]` (README). */
#include "content/content.h"
#include "source/source.h"
#include "util/buf.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBJECTS 4096
#define MAX_ONLY 8

struct input {
    git_odb *odb;
    git_oid objects[MAX_OBJECTS];
    size_t n_objects;
    struct jade_buf tree; /* the tree being built, raw */
    char *subdir;
    char *only[MAX_ONLY];
    size_t n_only;
};

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Appends s[0..n) to b, each \xNN as its byte. */
static void unescape(struct jade_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && n - i >= 4 && s[i + 1] == 'x' && hex_digit(s[i + 2]) >= 0 &&
            hex_digit(s[i + 3]) >= 0) {
            char c = (char)(hex_digit(s[i + 2]) << 4 | hex_digit(s[i + 3]));
            jade_buf_append(b, &c, 1);
            i += 3;
        } else {
            jade_buf_append(b, s + i, 1);
        }
    }
}

static void write_object(struct input *in, const void *data, size_t len, git_object_t type)
{
    if (in->n_objects == MAX_OBJECTS) return;
    if (git_odb_write(&in->objects[in->n_objects], in->odb, data, len, type) == 0) in->n_objects++;
}

static void write_tree(struct input *in)
{
    write_object(in, jade_buf_str(&in->tree), in->tree.len, GIT_OBJECT_TREE);
    jade_buf_truncate(&in->tree, 0);
}

/* E<mode> <n> <name>: the entry, raw: "<mode> <name>\0<20-byte id>". */
static void add_entry(struct input *in, const char *s, size_t n)
{
    const char *space = memchr(s, ' ', n);
    if (!space) return;
    size_t mode_len = (size_t)(space - s);
    jade_buf_append(&in->tree, s, mode_len);
    s += mode_len + 1, n -= mode_len + 1;
    unsigned long index = 0;
    size_t i = 0;
    for (; i < n && i < 9 && s[i] >= '0' && s[i] <= '9'; i++)
        index = index * 10 + (unsigned long)(s[i] - '0');
    if (i < n && s[i] == ' ') i++;
    jade_buf_append(&in->tree, " ", 1);
    unescape(&in->tree, s + i, n - i);
    jade_buf_append(&in->tree, "", 1);
    git_oid id;
    if (index < in->n_objects) {
        id = in->objects[index];
    } else {
        memset(&id, 0xEE, sizeof id); /* dangling */
        memcpy(id.id, &index, sizeof index < sizeof id.id ? sizeof index : sizeof id.id);
    }
    jade_buf_append(&in->tree, (const char *)id.id, GIT_OID_RAWSZ);
}

static void add_commit(struct input *in)
{
    if (!in->n_objects) return;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &in->objects[in->n_objects - 1]);
    char *commit = jade_xasprintf("tree %s\nauthor a <a@example.org> 1764547200 +0000\n"
                                  "committer a <a@example.org> 1764547200 +0000\n\nfuzz\n",
                                  hex);
    write_object(in, commit, strlen(commit), GIT_OBJECT_COMMIT);
    free(commit);
}

static void run_line(struct input *in, const char *s, size_t n)
{
    if (n == 0) return;
    struct jade_buf b = {0};
    switch (s[0]) {
    case 'B':
        unescape(&b, s + 1, n - 1);
        write_object(in, jade_buf_str(&b), b.len, GIT_OBJECT_BLOB);
        break;
    case 'E':
        add_entry(in, s + 1, n - 1);
        break;
    case 'T':
        write_tree(in);
        break;
    case 'C':
        add_commit(in);
        break;
    case 'P':
        unescape(&b, s + 1, n - 1);
        free(in->subdir);
        in->subdir = jade_buf_steal(&b);
        break;
    case 'O':
        unescape(&b, s + 1, n - 1);
        if (in->n_only < MAX_ONLY) in->only[in->n_only++] = jade_buf_steal(&b);
        break;
    default:
        break;
    }
    jade_buf_free(&b);
}

/* Lists, sizes and reads every file, then loads the whole tree. */
static void check_source(struct jade_source *src)
{
    const struct jade_source_entry *entries;
    size_t count;
    struct jade_buf err = {0};
    if (jade_source_list(src, &entries, &count, &err) == 0) {
        for (size_t i = 0; i < count; i++) {
            uint64_t size;
            char *data = NULL;
            size_t len;
            jade_source_size(src, entries[i].path, &size, &err);
            if (jade_source_read(src, entries[i].path, 1 << 20, &data, &len, &err) == 0) free(data);
        }
    }
    jade_buf_free(&err);
    struct jade_diags diags = {0};
    struct jade_content *c = jade_content_load(src, NULL, &diags);
    jade_diags_sort(&diags);
    jade_content_free(c);
    jade_diags_free(&diags);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    git_libgit2_init(); /* once: each source's init and shutdown then stay cheap */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {0};
    git_odb_backend *mempack = NULL;
    if (git_odb_new(&in.odb) != 0) abort();
    if (git_mempack_new(&mempack) != 0 || git_odb_add_backend(in.odb, mempack, 1) != 0) abort();
    const char *s = (const char *)data;
    for (size_t start = 0; start < size;) {
        const char *end = memchr(s + start, '\n', size - start);
        size_t len = end ? (size_t)(end - (s + start)) : size - start;
        run_line(&in, s + start, len);
        start += len + 1;
    }
    if (in.tree.len) write_tree(&in);
    if (in.n_objects) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &in.objects[in.n_objects - 1]);
        struct jade_source *src = NULL;
        struct jade_buf err = {0};
        const char *const *only = in.n_only ? (const char *const *)in.only : NULL;
        if (jade_source_open_git_odb(in.odb, hex, in.subdir, only, in.n_only, &src, &err) == 0) {
            check_source(src);
            jade_source_free(src);
        }
        jade_buf_free(&err);
    }
    jade_buf_free(&in.tree);
    free(in.subdir);
    for (size_t i = 0; i < in.n_only; i++) free(in.only[i]);
    git_odb_free(in.odb); /* and the mempack with it */
    return 0;
}
