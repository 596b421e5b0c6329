/* test-sshsig.c - allowed-signers parsing and SSH signature checks.
 *
 * The vectors in tests/unit/sshsig/ (the first argument) were made once by
 * the real ssh-keygen (OpenSSH 9.2): a test ed25519 key "alice" and an RSA
 * key signed message.txt with -Y sign, for namespace git (sha512 and
 * sha256) and for namespace file; bob.pub is one more ed25519 key that
 * signed nothing. Only public keys are kept. */
#include "test.h"

#include "source/sshsig.h"
#include "util/buf.h"

#include <sodium.h>
#include <stdlib.h>

static const char *vectors;

#define ALICE_FP "SHA256:p4pegaIBX8jqOlk1D72ssPtlUUVVh3h6MXHNpdxjfeE"
#define SIGNED_AT 1764000000 /* 2025-11-24T16:00:00Z */

static char *slurp(const char *name)
{
    char *path = jade_xasprintf("%s/%s", vectors, name);
    FILE *f = fopen(path, "rb");
    struct jade_buf b = {0};
    if (!f) {
        printf("# cannot open %s\n", path);
        free(path);
        return jade_xstrdup("");
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) jade_buf_append(&b, chunk, n);
    fclose(f);
    free(path);
    return b.data ? jade_buf_steal(&b) : jade_xstrdup("");
}

/* "PRINCIPALS [OPTIONS] <the key in name.pub>" */
static char *signer_line(const char *principals, const char *options, const char *pub)
{
    char *key = slurp(pub);
    char *line = jade_xasprintf("%s %s%s%s", principals, options, *options ? " " : "", key);
    free(key);
    return line;
}

static struct jade_signers *parse_ok(const char *text)
{
    struct jade_signers *s = NULL;
    struct jade_buf err = {0};
    if (jade_signers_parse("allowed", text, strlen(text), &s, &err) != 0)
        printf("# unexpected parse error: %s\n", jade_buf_str(&err));
    jade_buf_free(&err);
    return s;
}

/* The error for a file of text, "" when it parses. */
static char *parse_error(const char *text)
{
    struct jade_signers *s = NULL;
    struct jade_buf err = {0};
    int rc = jade_signers_parse("allowed", text, strlen(text), &s, &err);
    CHECK((rc == 0) == (s != NULL));
    jade_signers_free(s);
    return err.data ? jade_buf_steal(&err) : jade_xstrdup("");
}

static struct jade_signers *signers_of(const char *principals, const char *options, const char *pub)
{
    char *line = signer_line(principals, options, pub);
    struct jade_signers *s = parse_ok(line);
    free(line);
    return s;
}

/* Verifies sig_file over message.txt for "git" at SIGNED_AT. */
static enum jade_verify_status verify_file(const char *sig_file, const struct jade_signers *s,
                                           int64_t when, struct jade_verdict *v)
{
    char *sig = slurp(sig_file), *msg = slurp("message.txt");
    jade_sshsig_verify(sig, strlen(sig), msg, strlen(msg), "git", s, when, "the test message", v);
    free(sig);
    free(msg);
    return v->status;
}

static void parses_options_comments_and_quotes(void)
{
    char *key = slurp("alice.pub"), *rsa = slurp("rsa.pub");
    key[strcspn(key, "\n")] = '\0';
    rsa[strcspn(rsa, "\n")] = '\0';
    char *text = jade_xasprintf(
        "# the coaches\n"
        "\n"
        "   \t\n"
        "alice@example.org %s\r\n"
        "  # indented comment\n"
        "\"Alice Coach,a*@example.org\" namespaces=\"git, file\",valid-after=\"20250101\","
        "VALID-BEFORE=\"20301231235959Z\" %s\n"
        "rsa@example.org %s",
        key, key, rsa); /* no newline at the end */
    struct jade_signers *s = parse_ok(text);
    CHECK(s != NULL);
    CHECK_INT_EQ(jade_signers_count(s), 3);
    jade_signers_free(s);
    free(text);
    free(key);
    free(rsa);
    jade_signers_free(NULL);
    CHECK_INT_EQ(jade_signers_count(NULL), 0);
    s = parse_ok("# nothing\n\n");
    CHECK_INT_EQ(jade_signers_count(s), 0);
    jade_signers_free(s);
}

static void cert_authority_is_refused_with_its_line(void)
{
    char *line = signer_line("*@example.org", "cert-authority", "alice.pub");
    char *text = jade_xasprintf("# CA\n\n%s", line);
    char *err = parse_error(text);
    CHECK_CONTAINS(err, "allowed:3: ");
    CHECK_CONTAINS(err, "cert-authority");
    CHECK_CONTAINS(err, "not supported");
    free(err);
    free(text);
    free(line);
    line = signer_line("*@example.org", "namespaces=\"git\",Cert-Authority", "alice.pub");
    err = parse_error(line);
    CHECK_CONTAINS(err, "allowed:1: cert-authority");
    free(err);
    free(line);
}

static void malformed_lines_name_their_line(void)
{
    char *key = slurp("alice.pub"), *rsa = slurp("rsa.pub");
    key[strcspn(key, "\n")] = '\0';
    rsa[strcspn(rsa, "\n")] = '\0';
    const char *b64 = strchr(key, ' ') + 1, *rsa_b64 = strchr(rsa, ' ') + 1;
    struct {
        char *line, *want;
    } cases[] = {
        {jade_xasprintf("alice"), "missing key"},
        {jade_xasprintf("alice ssh-ed25518 %s", b64), "unknown key type \"ssh-ed25518\""},
        {jade_xasprintf("alice namespaces=\"git\""), "missing key after the options"},
        {jade_xasprintf("alice ssh-ed25519"), "missing base64 key"},
        {jade_xasprintf("alice ssh-ed25519 AAAA!!!"), "not valid base64"},
        {jade_xasprintf("alice ssh-ed25519 %s", rsa_b64), "not a valid ssh-ed25519 public key"},
        {jade_xasprintf("alice ssh-rsa %s", b64), "not a valid ssh-rsa public key"},
        {jade_xasprintf("\"alice %s", key), "unterminated double quote"},
        {jade_xasprintf("alice namespaces=git %s", key), "must be in double quotes"},
        {jade_xasprintf("alice namespaces=\"git %s", key), "unterminated double quote"},
        {jade_xasprintf("alice valid-after=\"2025-01-01\" %s", key), "is not a time"},
        {jade_xasprintf("alice valid-after=\"20250230\" %s", key), "is not a time"},
        {jade_xasprintf("alice valid-before=\"202501011260\" %s", key), "is not a time"},
        {jade_xasprintf("alice verify-required=\"x\" %s", key), "unknown option"},
        {jade_xasprintf("alice namespaces=\"git\",namespaces=\"file\" %s", key), "twice"},
        {jade_xasprintf("alice valid-after=\"20260101\",valid-before=\"20250101\" %s", key),
         "valid-before is not after valid-after"},
        {jade_xasprintf("alice,!mallory %s", key), "negated principals"},
        {jade_xasprintf("alice,\"coach\" %s", key), "double quote inside the principals"},
        {jade_xasprintf("alice ssh-ed25519-cert-v01@openssh.com %s", b64), "certificates"},
        {jade_xasprintf("alice namespaces=\"git\",,valid-after=\"20250101\" %s", key),
         "empty option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* a good line first, so the line number is not 1 by chance */
        char *text = jade_xasprintf("x %s\n# c\n%s\n", key, cases[i].line);
        char *err = parse_error(text);
        CHECK_CONTAINS(err, "allowed:3: ");
        CHECK_CONTAINS(err, cases[i].want);
        free(err);
        free(text);
        free(cases[i].line);
    }
    char nul[] = "alice ssh-ed25519 AAAA\0x";
    struct jade_signers *s = NULL;
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_signers_parse("allowed", nul, sizeof nul - 1, &s, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "NUL");
    jade_buf_free(&err);
    CHECK_INT_EQ(jade_signers_load("/nonexistent/allowed_signers", &s, &err), -1);
    CHECK(s == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "/nonexistent/allowed_signers: ");
    jade_buf_free(&err);
    free(key);
    free(rsa);
}

static void real_signatures_verify(void)
{
    struct jade_signers *s = signers_of("alice@example.org", "", "alice.pub");
    struct jade_verdict v;
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_OK);
    CHECK_STR_EQ(v.principal, "alice@example.org");
    CHECK_STR_EQ(v.fingerprint, ALICE_FP);
    CHECK_CONTAINS(v.message, "the test message is signed by alice@example.org (" ALICE_FP ")");
    jade_verdict_clear(&v);
    CHECK(v.principal == NULL && v.message == NULL);
    CHECK_INT_EQ(verify_file("git-sha256.sig", s, SIGNED_AT, &v), JADE_VERIFY_OK);
    jade_verdict_clear(&v);
    jade_verdict_clear(NULL);
    jade_signers_free(s);

    /* several principals: reported as written */
    s = signers_of("\"alice@example.org,Alice Coach\"", "namespaces=\"file,g*\"", "alice.pub");
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_OK);
    CHECK_STR_EQ(v.principal, "alice@example.org,Alice Coach");
    jade_verdict_clear(&v);
    jade_signers_free(s);
    CHECK_STR_EQ(jade_verify_status_name(JADE_VERIFY_UNKNOWN_KEY), "unknown-key");
}

static void namespaces_are_checked(void)
{
    struct jade_signers *s = signers_of("alice@example.org", "", "alice.pub");
    struct jade_verdict v;
    /* signed by a trusted key, but for "file" */
    CHECK_INT_EQ(verify_file("file.sig", s, SIGNED_AT, &v), JADE_VERIFY_WRONG_NAMESPACE);
    CHECK_CONTAINS(v.message, "namespace \"file\", not \"git\"");
    CHECK(v.principal == NULL);
    jade_verdict_clear(&v);
    jade_signers_free(s);

    const char *refusing[] = {"namespaces=\"file\"", "namespaces=\"*,!git\"", "namespaces=\"gi\"",
                              "namespaces=\"\""};
    for (size_t i = 0; i < sizeof refusing / sizeof refusing[0]; i++) {
        s = signers_of("alice@example.org", refusing[i], "alice.pub");
        CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_WRONG_NAMESPACE);
        CHECK_CONTAINS(v.message, "allowed:1");
        jade_verdict_clear(&v);
        jade_signers_free(s);
    }
    const char *allowing[] = {"namespaces=\"file,git\"", "namespaces=\"g?t\"", "namespaces=\"*\"",
                              "namespaces=\"file, git\""};
    for (size_t i = 0; i < sizeof allowing / sizeof allowing[0]; i++) {
        s = signers_of("alice@example.org", allowing[i], "alice.pub");
        CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_OK);
        jade_verdict_clear(&v);
        jade_signers_free(s);
    }
}

static void unknown_and_unsupported_keys(void)
{
    struct jade_signers *s = signers_of("rsa@example.org", "", "rsa.pub");
    struct jade_verdict v;
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_UNKNOWN_KEY);
    CHECK_STR_EQ(v.fingerprint, ALICE_FP);
    CHECK_CONTAINS(v.message, "a key not in allowed (" ALICE_FP ")");
    jade_verdict_clear(&v);
    CHECK_INT_EQ(verify_file("rsa-git.sig", s, SIGNED_AT, &v), JADE_VERIFY_UNSUPPORTED_KEY_TYPE);
    CHECK_CONTAINS(v.message, "ssh-rsa");
    CHECK(v.principal == NULL);
    jade_verdict_clear(&v);
    jade_signers_free(s);
    /* another ed25519 key: same type, same length */
    s = signers_of("bob@example.org", "", "bob.pub");
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_UNKNOWN_KEY);
    jade_verdict_clear(&v);
    jade_signers_free(s);
    /* an empty file trusts nobody */
    s = parse_ok("");
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_UNKNOWN_KEY);
    jade_verdict_clear(&v);
    jade_signers_free(s);
}

static void validity_is_checked_at_the_given_time(void)
{
    struct jade_verdict v;
    struct {
        const char *options;
        int64_t when;
        enum jade_verify_status want;
    } cases[] = {
        {"valid-before=\"20251101Z\"", SIGNED_AT, JADE_VERIFY_EXPIRED_KEY},
        {"valid-before=\"20251101Z\"", 1761955200, JADE_VERIFY_OK}, /* at the limit */
        {"valid-before=\"20251101Z\"", 1761955201, JADE_VERIFY_EXPIRED_KEY},
        {"valid-after=\"202511241600Z\"", SIGNED_AT, JADE_VERIFY_OK},
        {"valid-after=\"20251124160001\"", SIGNED_AT, JADE_VERIFY_EXPIRED_KEY},
        {"valid-after=\"20250101\",valid-before=\"20260101\"", SIGNED_AT, JADE_VERIFY_OK},
        {"valid-after=\"20250101\",valid-before=\"20260101\"", 1767225601, JADE_VERIFY_EXPIRED_KEY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jade_signers *s = signers_of("alice@example.org", cases[i].options, "alice.pub");
        CHECK_INT_EQ(verify_file("git-sha512.sig", s, cases[i].when, &v), cases[i].want);
        if (cases[i].want == JADE_VERIFY_EXPIRED_KEY) CHECK_CONTAINS(v.message, "allowed:1");
        jade_verdict_clear(&v);
        jade_signers_free(s);
    }
    /* the same key twice: the line that allows it wins */
    char *a = signer_line("old-alice", "valid-before=\"20200101Z\"", "alice.pub");
    char *b = signer_line("alice@example.org", "valid-after=\"20200101Z\"", "alice.pub");
    char *text = jade_xasprintf("%s\n%s\n", a, b);
    struct jade_signers *s = parse_ok(text);
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, SIGNED_AT, &v), JADE_VERIFY_OK);
    CHECK_STR_EQ(v.principal, "alice@example.org");
    jade_verdict_clear(&v);
    CHECK_INT_EQ(verify_file("git-sha512.sig", s, 1500000000, &v), JADE_VERIFY_OK);
    CHECK_STR_EQ(v.principal, "old-alice");
    jade_verdict_clear(&v);
    jade_signers_free(s);
    free(text);
    free(a);
    free(b);
}

/* The blob inside an armored signature, and back. */
static unsigned char *unarmor(const char *armored, size_t *len)
{
    const char *p = strchr(armored, '\n') + 1, *e = strstr(armored, "-----END");
    unsigned char *blob = jade_xmalloc((size_t)(e - p));
    if (sodium_base642bin(blob, (size_t)(e - p), p, (size_t)(e - p), "\n", len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        *len = 0;
    return blob;
}

static char *armor(const unsigned char *blob, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = jade_xmalloc(n);
    sodium_bin2base64(b64, n, blob, len, sodium_base64_VARIANT_ORIGINAL);
    char *out =
        jade_xasprintf("-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n", b64);
    free(b64);
    return out;
}

static enum jade_verify_status verify_blob(const unsigned char *blob, size_t len, const char *msg,
                                           const struct jade_signers *s)
{
    struct jade_verdict v;
    char *armored = armor(blob, len);
    jade_sshsig_verify(armored, strlen(armored), msg, strlen(msg), "git", s, SIGNED_AT, "m", &v);
    enum jade_verify_status status = v.status;
    CHECK(v.message != NULL);
    if (status != JADE_VERIFY_OK) CHECK(v.principal == NULL);
    jade_verdict_clear(&v);
    free(armored);
    return status;
}

static void tampering_is_caught(void)
{
    struct jade_signers *s = signers_of("alice@example.org", "", "alice.pub");
    char *sig = slurp("git-sha512.sig"), *msg = slurp("message.txt");
    size_t len;
    unsigned char *blob = unarmor(sig, &len);
    CHECK(len > 100);
    CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_OK);

    /* the signature's last byte, then the message */
    blob[len - 1] ^= 1;
    CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_BAD_SIGNATURE);
    blob[len - 1] ^= 1;
    msg[strlen(msg) - 2] ^= 1;
    CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_BAD_SIGNATURE);
    msg[strlen(msg) - 2] ^= 1;

    /* no single bit anywhere in the blob can be flipped and still pass */
    int accepted = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            blob[i] ^= (unsigned char)(1 << bit);
            if (verify_blob(blob, len, msg, s) == JADE_VERIFY_OK) {
                printf("#   flipping bit %d of byte %zu is accepted\n", bit, i);
                accepted++;
            }
            blob[i] ^= (unsigned char)(1 << bit);
        }
    }
    CHECK_INT_EQ(accepted, 0);
    free(blob);
    free(sig);
    free(msg);
    jade_signers_free(s);
}

static void hostile_blobs_are_refused_cleanly(void)
{
    struct jade_signers *s = signers_of("alice@example.org", "", "alice.pub");
    char *sig = slurp("git-sha512.sig"), *msg = slurp("message.txt");
    size_t len;
    unsigned char *blob = unarmor(sig, &len);

    /* every truncation of the blob, and of the armored text */
    for (size_t n = 0; n < len; n++)
        CHECK_INT_EQ(verify_blob(blob, n, msg, s), JADE_VERIFY_BAD_SIGNATURE);
    /* up to the last character of the END line; what follows is space */
    size_t armored_len = (size_t)(strstr(sig, "-----END") - sig) + 27;
    for (size_t n = 0; n < armored_len; n++) {
        struct jade_verdict v;
        char *cut = jade_xstrndup(sig, n); /* own allocation: ASan sees overreads */
        jade_sshsig_verify(cut, n, msg, strlen(msg), "git", s, SIGNED_AT, "m", &v);
        if (v.status == JADE_VERIFY_OK) printf("#   armored text cut at %zu accepted\n", n);
        CHECK(v.status != JADE_VERIFY_OK);
        jade_verdict_clear(&v);
        free(cut);
    }

    /* trailing garbage after the blob */
    unsigned char *longer = jade_xmalloc(len + 4);
    memcpy(longer, blob, len);
    memcpy(longer + len, "junk", 4);
    CHECK_INT_EQ(verify_blob(longer, len + 4, msg, s), JADE_VERIFY_BAD_SIGNATURE);
    free(longer);

    /* huge lengths: the public key's (offset 10) and the signature's last */
    unsigned char saved[4];
    size_t offsets[] = {10, len - 4 - 83};
    for (size_t i = 0; i < 2; i++) {
        memcpy(saved, blob + offsets[i], 4);
        memset(blob + offsets[i], 0xff, 4);
        CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_BAD_SIGNATURE);
        memset(blob + offsets[i], 0x7f, 1);
        CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_BAD_SIGNATURE);
        memcpy(blob + offsets[i], saved, 4);
    }
    CHECK_INT_EQ(verify_blob(blob, len, msg, s), JADE_VERIFY_OK);

    struct {
        const char *text;
        enum jade_verify_status want;
    } cases[] = {
        {"-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n",
         JADE_VERIFY_NOT_SSH},
        {"", JADE_VERIFY_NOT_SSH},
        {"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", JADE_VERIFY_BAD_SIGNATURE},
        {"-----BEGIN SSH SIGNATURE-----\nU1NI*0lH\n-----END SSH SIGNATURE-----\n",
         JADE_VERIFY_BAD_SIGNATURE},
        {"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n",
         JADE_VERIFY_BAD_SIGNATURE},
        {"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAg==\n-----END SSH SIGNATURE-----\n",
         JADE_VERIFY_BAD_SIGNATURE},
        {"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n", JADE_VERIFY_BAD_SIGNATURE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jade_verdict v;
        jade_sshsig_verify(cases[i].text, strlen(cases[i].text), msg, strlen(msg), "git", s,
                           SIGNED_AT, "m", &v);
        CHECK_INT_EQ(v.status, cases[i].want);
        CHECK(v.message && !strchr(v.message, '\n'));
        jade_verdict_clear(&v);
    }
    /* text after the END line */
    char *after = jade_xasprintf("%sjunk\n", sig);
    struct jade_verdict v;
    jade_sshsig_verify(after, strlen(after), msg, strlen(msg), "git", s, SIGNED_AT, "m", &v);
    CHECK_INT_EQ(v.status, JADE_VERIFY_BAD_SIGNATURE);
    CHECK_CONTAINS(v.message, "after the END line");
    jade_verdict_clear(&v);
    free(after);
    free(blob);
    free(sig);
    free(msg);
    jade_signers_free(s);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-sshsig VECTOR-DIR\n");
        return 2;
    }
    vectors = argv[1];
    RUN(parses_options_comments_and_quotes);
    RUN(cert_authority_is_refused_with_its_line);
    RUN(malformed_lines_name_their_line);
    RUN(real_signatures_verify);
    RUN(namespaces_are_checked);
    RUN(unknown_and_unsupported_keys);
    RUN(validity_is_checked_at_the_given_time);
    RUN(tampering_is_caught);
    RUN(hostile_blobs_are_refused_cleanly);
    return test_done();
}
