/* test-fetch.c - the pure parts of the fetcher: known_hosts lookups, URL
 * redaction and ssh URL parsing. The network side is in
 * tests/integration/fetch.sh. */
#include "source/fetch.h"
#include "source/knownhosts.h"
#include "util/buf.h"
#include "test.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

/* Two ed25519 keys, and a known_hosts that `ssh-keygen -H` made from
 * "git.example.org KEY1" and "[127.0.0.1]:2222 KEY2" (OpenSSH 9.2). */
#define KEY1 "AAAAC3NzaC1lZDI1NTE5AAAAIBN1ZkYQNXx138qTFqgBHLBH2n/NHuMw9AtHMDt0Rguz"
#define KEY2 "AAAAC3NzaC1lZDI1NTE5AAAAIOG61qxHmji+m1+EJPAGxo0RD/xWI6XAD+oQhVaShDFN"
static const char hashed[] =
    "|1|ErrgmEKCIxFRqS9CcJAF4b4Bsy4=|wr1L/q2tvLuqO3JEplI2FBsZJdA= ssh-ed25519 " KEY1 "\n"
    "|1|t480EboxFN4LhJGIUOYV/wHn7H0=|8rg8yaY1zKR5cQL85cEDBbw0dSg= ssh-ed25519 " KEY2 "\n";

struct key {
    unsigned char raw[64];
    size_t len;
};

static struct key decode(const char *b64)
{
    struct key k = {{0}, 0};
    int n = EVP_DecodeBlock(k.raw, (const unsigned char *)b64, (int)strlen(b64));
    k.len = n > 0 ? (size_t)n - (b64[strlen(b64) - 1] == '=') : 0;
    return k;
}

static enum jade_known_host match(const char *text, const char *host, int port, const char *b64)
{
    struct key k = decode(b64);
    return jade_known_hosts_match(text, strlen(text), host, port, k.raw, k.len);
}

static void test_plain_names(void)
{
    const char *text = "# comment\n\n"
                       "git.example.org ssh-ed25519 " KEY1 " a comment\n"
                       "other.example.org ssh-ed25519 " KEY2 "\n";
    CHECK_INT_EQ(match(text, "git.example.org", 22, KEY1), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "GIT.Example.ORG", 22, KEY1), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "git.example.org", 22, KEY2), JADE_HOST_CHANGED);
    CHECK_INT_EQ(match(text, "unknown.example.org", 22, KEY1), JADE_HOST_UNKNOWN);
    /* On another port the name is [host]:port, which no line lists. */
    CHECK_INT_EQ(match(text, "git.example.org", 2222, KEY1), JADE_HOST_UNKNOWN);
    CHECK_INT_EQ(match("", "git.example.org", 22, KEY1), JADE_HOST_UNKNOWN);
}

static void test_port_lists_and_patterns(void)
{
    const char *text = "[127.0.0.1]:2222,[localhost]:2222 ssh-ed25519 " KEY2 "\r\n"
                       "*.example.org,!bad.example.org ssh-ed25519 " KEY1 "\n"
                       "git?.example.net ssh-ed25519 " KEY1 "\n";
    CHECK_INT_EQ(match(text, "127.0.0.1", 2222, KEY2), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "localhost", 2222, KEY2), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "127.0.0.1", 22, KEY2), JADE_HOST_UNKNOWN);
    CHECK_INT_EQ(match(text, "127.0.0.1", 2223, KEY2), JADE_HOST_UNKNOWN);
    CHECK_INT_EQ(match(text, "127.0.0.1", 2222, KEY1), JADE_HOST_CHANGED);
    CHECK_INT_EQ(match(text, "git.example.org", 22, KEY1), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "bad.example.org", 22, KEY1), JADE_HOST_UNKNOWN);
    CHECK_INT_EQ(match(text, "git1.example.net", 22, KEY1), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(text, "git12.example.net", 22, KEY1), JADE_HOST_UNKNOWN);
}

static void test_hashed_entries(void)
{
    CHECK_INT_EQ(match(hashed, "git.example.org", 22, KEY1), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(hashed, "git.example.org", 22, KEY2), JADE_HOST_CHANGED);
    CHECK_INT_EQ(match(hashed, "127.0.0.1", 2222, KEY2), JADE_HOST_KNOWN);
    CHECK_INT_EQ(match(hashed, "127.0.0.1", 22, KEY2), JADE_HOST_UNKNOWN);
    CHECK_INT_EQ(match(hashed, "git.example.com", 22, KEY1), JADE_HOST_UNKNOWN);
    /* A damaged hash or salt matches nothing (and does not crash). */
    CHECK_INT_EQ(match("|1|Err|wr1L ssh-ed25519 " KEY1 "\n|1|x\n", "git.example.org", 22, KEY1),
                 JADE_HOST_UNKNOWN);
}

static void test_markers_and_junk(void)
{
    const char *text = "@cert-authority *.example.org ssh-ed25519 " KEY2 "\n"
                       "@revoked * ssh-ed25519 " KEY2 "\n"
                       "git.example.org ssh-ed25519 " KEY2 "\n"
                       "git.example.org\n"
                       "git.example.org ssh-ed25519 not-base64!\n";
    CHECK_INT_EQ(match(text, "git.example.org", 22, KEY2), JADE_HOST_REVOKED);
    CHECK_INT_EQ(match(text, "git.example.org", 22, KEY1), JADE_HOST_CHANGED);
    CHECK_INT_EQ(match(text, "else.example.org", 22, KEY1), JADE_HOST_UNKNOWN);
}

static void test_check_file_messages(void)
{
    char path[] = "/tmp/jade-test-known-hosts-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, hashed, sizeof hashed - 1) == (ssize_t)(sizeof hashed - 1));
    close(fd);
    struct key k1 = decode(KEY1), k2 = decode(KEY2);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_known_hosts_check(path, "127.0.0.1", 2222, k2.raw, k2.len, &err), 0);
    CHECK_STR_EQ(jade_buf_str(&err), "");
    CHECK_INT_EQ(jade_known_hosts_check(path, "127.0.0.1", 2222, k1.raw, k1.len, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "[127.0.0.1]:2222");
    CHECK_CONTAINS(jade_buf_str(&err), path);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_known_hosts_check(path, "example.net", 22, k1.raw, k1.len, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ssh host example.net is not in the known_hosts file");
    unlink(path);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_known_hosts_check(path, "example.net", 22, k1.raw, k1.len, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "cannot read the known_hosts file");
    jade_buf_free(&err);
}

static void check_redact(const char *url, const char *want)
{
    char *got = jade_fetch_redact_url(url);
    CHECK_STR_EQ(got, want);
    free(got);
}

static void test_redaction(void)
{
    check_redact("https://alice:s3cret@forge.example/jade/content.git",
                 "https://***@forge.example/jade/content.git");
    check_redact("https://ghp_token@forge.example/c.git", "https://***@forge.example/c.git");
    check_redact("http://u:p@127.0.0.1:8080/c.git?x=@y", "http://***@127.0.0.1:8080/c.git?x=@y");
    check_redact("https://forge.example/@team/c.git", "https://forge.example/@team/c.git");
    check_redact("ssh://git:pw@host:2222/c.git", "ssh://git:***@host:2222/c.git");
    check_redact("ssh://git@host/c.git", "ssh://git@host/c.git");
    check_redact("git@host:c.git", "git@host:c.git");
    check_redact("/srv/git/c.git", "/srv/git/c.git");
    check_redact("file:///srv/git/c.git", "file:///srv/git/c.git");
}

static void check_ssh(const char *url, int want, const char *user, const char *host, int port)
{
    struct jade_ssh_target t;
    int rc = jade_fetch_parse_ssh_url(url, &t);
    CHECK_INT_EQ(rc, want);
    if (rc == 1) {
        if (user)
            CHECK_STR_EQ(t.user, user);
        else
            CHECK(t.user == NULL);
        CHECK_STR_EQ(t.host, host);
        CHECK_INT_EQ(t.port, port);
    }
    jade_ssh_target_free(&t);
}

static void test_ssh_urls(void)
{
    check_ssh("ssh://git@127.0.0.1:2222/srv/c.git", 1, "git", "127.0.0.1", 2222);
    check_ssh("ssh://forge.example/c.git", 1, NULL, "forge.example", 22);
    check_ssh("ssh://u:pw@[::1]:2200/c.git", 1, "u", "::1", 2200);
    check_ssh("git+ssh://u@h/c", 1, "u", "h", 22);
    check_ssh("git@forge.example:jade/content.git", 1, "git", "forge.example", 22);
    check_ssh("forge.example:content.git", 1, NULL, "forge.example", 22);
    check_ssh("ssh://h:99999/c", -1, NULL, NULL, 0);
    check_ssh("ssh://h", -1, NULL, NULL, 0);
    check_ssh("ssh://u@:22/c", -1, NULL, NULL, 0);
    check_ssh(":c.git", -1, NULL, NULL, 0);
    check_ssh("https://h/c.git", 0, NULL, NULL, 0);
    check_ssh("/srv/c.git", 0, NULL, NULL, 0);
    check_ssh("git://127.0.0.1:9418/c.git", 0, NULL, NULL, 0);
}

static void test_bad_arguments(void)
{
    git_oid tip;
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_fetch("/nonexistent", "a:b", "/tmp/none", NULL, &tip, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "not a valid branch name");
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_fetch("ssh://h/c", "main", "/tmp/none", NULL, &tip, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "needs a known_hosts file");
    jade_buf_free(&err);
}

int main(void)
{
    RUN(test_plain_names);
    RUN(test_port_lists_and_patterns);
    RUN(test_hashed_entries);
    RUN(test_markers_and_junk);
    RUN(test_check_file_messages);
    RUN(test_redaction);
    RUN(test_ssh_urls);
    RUN(test_bad_arguments);
    return test_done();
}
