/* test-secrets.c - reading a secret from the secrets folder: what is the
 * secret (one final line end is not), and what is refused, with the file
 * and the cause. */
#include "test.h"

#include "run/host.h"
#include "util/buf.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/jade-test-secrets-XXXXXX";

static void put(const char *name, const char *bytes, size_t n, mode_t mode)
{
    char *path = jade_xasprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, bytes, n) == (ssize_t)n);
    if (fd >= 0) close(fd);
    chmod(path, mode);
    free(path);
}

/* Reads name: its length, its text in out, the error in err. */
static int read_secret(const char *name, char out[64], struct jade_buf *err)
{
    jade_buf_free(err);
    jade_buf_append(err, "", 0);
    memset(out, 'x', 64);
    return jade_secret_read(dir, name, out, 64, err);
}

static void one_line_end_is_dropped(void)
{
    struct jade_buf err = {0};
    char out[64];
    put("lf", "abc\n", 4, 0600);
    CHECK_INT_EQ(read_secret("lf", out, &err), 3);
    CHECK_STR_EQ(out, "abc");
    put("crlf", "abc\r\n", 5, 0600);
    CHECK_INT_EQ(read_secret("crlf", out, &err), 3);
    CHECK_STR_EQ(out, "abc");
    put("two", "abc\n\n", 5, 0600); /* the second is part of it */
    CHECK_INT_EQ(read_secret("two", out, &err), 4);
    CHECK_STR_EQ(out, "abc\n");
    put("none", "abc", 3, 0400);
    CHECK_INT_EQ(read_secret("none", out, &err), 3);
    CHECK_STR_EQ(out, "abc");
    put("spaces", " a b \n", 6, 0600); /* spaces are the secret's own */
    CHECK_INT_EQ(read_secret("spaces", out, &err), 5);
    CHECK_STR_EQ(out, " a b ");
    jade_buf_free(&err);
}

static void refused_with_the_file_and_the_cause(void)
{
    struct jade_buf err = {0};
    char out[64];
    char *expect;
    static const struct {
        const char *name, *bytes;
        size_t n;
        mode_t mode;
        const char *cause;
    } cases[] = {
        {"nul", "ab\0cd\n", 6, 0600, "refused: it holds a NUL byte"},
        {"nul-end", "abcd\0\n", 6, 0600, "refused: it holds a NUL byte"},
        {"empty", "", 0, 0600, "refused: it is empty"},
        {"only-a-line-end", "\r\n", 2, 0600, "refused: it is empty"},
        {"loose", "abc\n", 4, 0640,
         "refused: its mode is 0640; it must be 0600 or stricter (chmod 600 it)"},
        {"open", "abc\n", 4, 0604,
         "refused: its mode is 0604; it must be 0600 or stricter (chmod 600 it)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put(cases[i].name, cases[i].bytes, cases[i].n, cases[i].mode);
        CHECK_INT_EQ(read_secret(cases[i].name, out, &err), -1);
        CHECK_STR_EQ(out, ""); /* nothing of it is left to use */
        expect = jade_xasprintf("secret %s/%s %s", dir, cases[i].name, cases[i].cause);
        CHECK_STR_EQ(jade_buf_str(&err), expect);
        free(expect);
    }
    char big[100];
    memset(big, 'k', sizeof big);
    put("big", big, sizeof big, 0600);
    CHECK_INT_EQ(read_secret("big", out, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "/big is too long");
    CHECK_INT_EQ(read_secret("missing", out, &err), -1);
    expect = jade_xasprintf("secret %s/missing is missing: write it there, mode 0600", dir);
    CHECK_STR_EQ(jade_buf_str(&err), expect);
    free(expect);
    char *target = jade_xasprintf("%s/lf", dir), *link_path = jade_xasprintf("%s/link", dir);
    CHECK_INT_EQ(symlink(target, link_path), 0);
    CHECK_INT_EQ(read_secret("link", out, &err), -1); /* a link is not followed */
    expect = jade_xasprintf("secret %s/link refused: it is a symbolic link; put the file itself "
                            "there",
                            dir);
    CHECK_STR_EQ(jade_buf_str(&err), expect);
    free(expect);
    free(target);
    free(link_path);
    /* a folder, and a FIFO (which must not hold the reader until a writer comes) */
    char *sub = jade_xasprintf("%s/folder", dir), *fifo = jade_xasprintf("%s/fifo", dir);
    CHECK_INT_EQ(mkdir(sub, 0700), 0);
    CHECK_INT_EQ(mkfifo(fifo, 0600), 0);
    const char *odd[] = {"folder", "fifo"};
    for (size_t i = 0; i < 2; i++) {
        CHECK_INT_EQ(read_secret(odd[i], out, &err), -1);
        expect = jade_xasprintf("secret %s/%s refused: it is not a regular file", dir, odd[i]);
        CHECK_STR_EQ(jade_buf_str(&err), expect);
        free(expect);
    }
    free(sub);
    free(fifo);
    CHECK_INT_EQ(read_secret("../lf", out, &err), -1);
    CHECK_STR_EQ(jade_buf_str(&err), "\"../lf\" is not a secret's name");
    jade_buf_free(&err);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(one_line_end_is_dropped);
    RUN(refused_with_the_file_and_the_cause);
    char *rm = jade_xasprintf("rm -rf '%s'", dir);
    int rc = system(rm);
    free(rm);
    (void)rc;
    return test_done();
}
