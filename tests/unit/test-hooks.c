/* test-hooks.c - push notifications: forge signatures checked against the
 * shared secret, and the pushed ref.
 *
 * The vectors come from outside this code: GitHub's documented example
 * (secret "It's a Secret to Everybody", payload "Hello, World!"), the
 * others computed with `openssl dgst -sha256 -hmac SECRET` and python's
 * hmac module. */
#include "test.h"

#include "run/hooks.h"

#include <sodium.h>

#define GITHUB_SECRET "It's a Secret to Everybody"
#define GITHUB_BODY "Hello, World!"
#define GITHUB_HEX "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define GITHUB_HEX_UPPER "757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"

#define GITEA_SECRET "a gitea secret"
#define GITEA_BODY "{\"ref\": \"refs/heads/main\", \"after\": \"0123abcd\"}"
/* printf '%s' "$GITEA_BODY" | openssl dgst -sha256 -hmac "a gitea secret" */
#define GITEA_HEX "a52ef7cd1a01c03073b14e0d9c14656a815eb2f724bb3935574f20eaead07326"
/* the same body with its last digit "d" changed to "e" */
#define GITEA_HEX_OTHER_BODY "a638764788796214894d261deb993288cc86af5c73fa08a938d02573d31d5c3f"
/* hmac.new(b"k" * 100, b"Hello, World!", sha256): a key longer than a block */
#define LONG_KEY_HEX "98770ab6dcb734ea4c447bc78208fa9ee4391a72de3939d0abccf83c92083795"

/* Verifies body with one header (name, value) against secret. */
static enum jade_hook_verdict check1(const char *name, const char *value, const char *body,
                                     const char *secret, struct jade_hook_result *r)
{
    struct jade_admin_header h[2] = {{"content-type", "application/json"}, {name, value}};
    struct jade_admin_request req = {.method = "POST",
                                     .path = "/hook",
                                     .query = "",
                                     .headers = h,
                                     .n_headers = name ? 2 : 1,
                                     .body = body,
                                     .body_len = strlen(body)};
    return jade_hook_verify(&req, (const unsigned char *)secret, strlen(secret), r);
}

static void github_documented_vector(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(
        check1("x-hub-signature-256", "sha256=" GITHUB_HEX, GITHUB_BODY, GITHUB_SECRET, &r),
        JADE_HOOK_OK);
    CHECK_CONTAINS(r.reason, "X-Hub-Signature-256");
    CHECK(r.ref == NULL); /* not JSON: no ref, still genuine */
    jade_hook_result_free(&r);
}

static void uppercase_hex_is_accepted(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(
        check1("x-hub-signature-256", "sha256=" GITHUB_HEX_UPPER, GITHUB_BODY, GITHUB_SECRET, &r),
        JADE_HOOK_OK);
    jade_hook_result_free(&r);
}

static void wrong_secret_is_refused(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(check1("x-hub-signature-256", "sha256=" GITHUB_HEX, GITHUB_BODY,
                        "It's a Secret to Everybody!", &r),
                 JADE_HOOK_BAD_SIGNATURE);
    CHECK_CONTAINS(r.reason, "does not match");
    CHECK_INT_EQ(check1("x-hub-signature-256", "sha256=" GITHUB_HEX, GITHUB_BODY,
                        "It's a Secret to Everybod", &r),
                 JADE_HOOK_BAD_SIGNATURE);
    CHECK(r.ref == NULL);
}

static void body_changed_by_one_byte_is_refused(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(
        check1("x-hub-signature-256", "sha256=" GITHUB_HEX, "Hello, World?", GITHUB_SECRET, &r),
        JADE_HOOK_BAD_SIGNATURE);
    CHECK_INT_EQ(
        check1("x-hub-signature-256", "sha256=" GITHUB_HEX, "Hello, World!\n", GITHUB_SECRET, &r),
        JADE_HOOK_BAD_SIGNATURE);
    /* the independent vector of the changed body is what matches it */
    const char *changed = "{\"ref\": \"refs/heads/main\", \"after\": \"0123abce\"}";
    CHECK_INT_EQ(check1("x-gitea-signature", GITEA_HEX, changed, GITEA_SECRET, &r),
                 JADE_HOOK_BAD_SIGNATURE);
    CHECK(r.ref == NULL); /* a ref is never read from a body that is not genuine */
    CHECK_INT_EQ(check1("x-gitea-signature", GITEA_HEX_OTHER_BODY, changed, GITEA_SECRET, &r),
                 JADE_HOOK_OK);
    jade_hook_result_free(&r);
}

/* A signature changed in one digit, first or last. */
static void signature_changed_by_one_digit_is_refused(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(check1("x-hub-signature-256",
                        "sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                        GITHUB_BODY, GITHUB_SECRET, &r),
                 JADE_HOOK_BAD_SIGNATURE);
    CHECK_INT_EQ(check1("x-hub-signature-256",
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e16",
                        GITHUB_BODY, GITHUB_SECRET, &r),
                 JADE_HOOK_BAD_SIGNATURE);
}

static void missing_header_is_its_own_verdict(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(check1(NULL, NULL, GITHUB_BODY, GITHUB_SECRET, &r), JADE_HOOK_NO_SIGNATURE);
    CHECK_CONTAINS(r.reason, "X-Hub-Signature-256");
    /* the SHA-1 header alone is not a proof */
    CHECK_INT_EQ(check1("x-hub-signature", "sha1=0123", GITEA_BODY, GITEA_SECRET, &r),
                 JADE_HOOK_NO_SIGNATURE);
    CHECK(r.ref == NULL); /* a ref only from a genuine body */
}

static void signature_of_wrong_shape_is_refused(void)
{
    static const char *bad[] = {
        "sha256=" GITHUB_HEX "0",                                                 /* 65 digits */
        "sha256=" GITHUB_HEX "00",                                                /* 66 */
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", /* 63 */
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e",  /* 62 */
        "sha256=",
        "",
        GITHUB_HEX, /* no prefix */
        "sha1=" GITHUB_HEX,
        "SHA256=" GITHUB_HEX,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g", /* not hex */
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e 7",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct jade_hook_result r;
        if (check1("x-hub-signature-256", bad[i], GITHUB_BODY, GITHUB_SECRET, &r) !=
            JADE_HOOK_BAD_SIGNATURE) {
            printf("#   accepted: \"%s\"\n", bad[i]);
            CHECK(0);
        }
        CHECK_CONTAINS(r.reason, "64 hexadecimal digits");
    }
    struct jade_hook_result r;
    CHECK_INT_EQ(check1("x-gitea-signature", GITEA_HEX "a", GITEA_BODY, GITEA_SECRET, &r),
                 JADE_HOOK_BAD_SIGNATURE);
    CHECK_INT_EQ(check1("x-gitea-signature", "sha256=" GITEA_HEX, GITEA_BODY, GITEA_SECRET, &r),
                 JADE_HOOK_BAD_SIGNATURE);
}

static void gitea_and_gogs_give_the_ref(void)
{
    static const char *names[] = {"x-gitea-signature", "x-gogs-signature"};
    for (size_t i = 0; i < 2; i++) {
        struct jade_hook_result r;
        CHECK_INT_EQ(check1(names[i], GITEA_HEX, GITEA_BODY, GITEA_SECRET, &r), JADE_HOOK_OK);
        CHECK_STR_EQ(r.ref, "refs/heads/main");
        jade_hook_result_free(&r);
        CHECK(r.ref == NULL);
        CHECK_INT_EQ(check1(names[i], GITEA_HEX, GITEA_BODY, "another secret", &r),
                     JADE_HOOK_BAD_SIGNATURE);
        CHECK(r.ref == NULL);
    }
}

/* Gitea sends the same proof in several headers: each must hold. */
static void every_proof_present_must_hold(void)
{
    struct jade_admin_header h[3] = {{"x-gitea-signature", GITEA_HEX},
                                     {"x-gogs-signature", GITEA_HEX},
                                     {"x-hub-signature-256", "sha256=" GITEA_HEX}};
    struct jade_admin_request req = {.method = "POST",
                                     .path = "/hook",
                                     .query = "",
                                     .headers = h,
                                     .n_headers = 3,
                                     .body = GITEA_BODY,
                                     .body_len = strlen(GITEA_BODY)};
    struct jade_hook_result r;
    const unsigned char *key = (const unsigned char *)GITEA_SECRET;
    CHECK_INT_EQ(jade_hook_verify(&req, key, strlen(GITEA_SECRET), &r), JADE_HOOK_OK);
    CHECK_CONTAINS(r.reason, "X-Gitea-Signature");
    jade_hook_result_free(&r);
    h[2].value = "sha256=" GITHUB_HEX;
    CHECK_INT_EQ(jade_hook_verify(&req, key, strlen(GITEA_SECRET), &r), JADE_HOOK_BAD_SIGNATURE);
    CHECK_CONTAINS(r.reason, "X-Hub-Signature-256");
    CHECK(r.ref == NULL);
    /* a wrong GitLab token beside right signatures */
    h[2] = (struct jade_admin_header){"x-gitlab-token", "guess"};
    CHECK_INT_EQ(jade_hook_verify(&req, key, strlen(GITEA_SECRET), &r), JADE_HOOK_BAD_SIGNATURE);
}

static void gitlab_token(void)
{
    struct jade_hook_result r;
    const char *body = "{\"object_kind\": \"push\", \"ref\": \"refs/heads/dev\"}";
    CHECK_INT_EQ(check1("x-gitlab-token", "s3cret-token", body, "s3cret-token", &r), JADE_HOOK_OK);
    CHECK_STR_EQ(r.ref, "refs/heads/dev");
    jade_hook_result_free(&r);
    static const char *wrong[] = {"s3cret-tokeN",   "s3cret-toke",  "s3cret-token ",
                                  "s3cret-token\n", "S3CRET-TOKEN", "x"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        CHECK_INT_EQ(check1("x-gitlab-token", wrong[i], body, "s3cret-token", &r),
                     JADE_HOOK_BAD_SIGNATURE);
        CHECK(r.ref == NULL);
    }
    CHECK_INT_EQ(check1("x-gitlab-token", "", body, "s3cret-token", &r), JADE_HOOK_BAD_SIGNATURE);
    CHECK_CONTAINS(r.reason, "empty");
}

static void a_key_longer_than_a_block(void)
{
    char key[101];
    memset(key, 'k', 100);
    key[100] = '\0';
    struct jade_hook_result r;
    CHECK_INT_EQ(check1("x-gitea-signature", LONG_KEY_HEX, GITHUB_BODY, key, &r), JADE_HOOK_OK);
    jade_hook_result_free(&r);
}

static void no_secret_refuses_everything(void)
{
    struct jade_hook_result r;
    CHECK_INT_EQ(check1("x-gitlab-token", "", GITHUB_BODY, "", &r), JADE_HOOK_BAD_SIGNATURE);
    CHECK_CONTAINS(r.reason, "no secret");
    CHECK_INT_EQ(check1(NULL, NULL, GITHUB_BODY, "", &r), JADE_HOOK_NO_SIGNATURE);
}

static void bodies_without_a_ref(void)
{
    static const char *bodies[] = {"",
                                   "[]",
                                   "{\"ref\": 3}",
                                   "{\"ref\": \"\"}",
                                   "{\"ref\": \"x\"",
                                   "{\"refs\": \"refs/heads/main\"}",
                                   "null"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct jade_hook_result r;
        CHECK_INT_EQ(check1("x-gitlab-token", "t", bodies[i], "t", &r), JADE_HOOK_OK);
        CHECK(r.ref == NULL);
        jade_hook_result_free(&r);
    }
    jade_hook_result_free(NULL);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    RUN(github_documented_vector);
    RUN(uppercase_hex_is_accepted);
    RUN(wrong_secret_is_refused);
    RUN(body_changed_by_one_byte_is_refused);
    RUN(signature_changed_by_one_digit_is_refused);
    RUN(missing_header_is_its_own_verdict);
    RUN(signature_of_wrong_shape_is_refused);
    RUN(gitea_and_gogs_give_the_ref);
    RUN(every_proof_present_must_hold);
    RUN(gitlab_token);
    RUN(a_key_longer_than_a_block);
    RUN(no_secret_refuses_everything);
    RUN(bodies_without_a_ref);
    return test_done();
}
