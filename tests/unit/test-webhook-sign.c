/* test-webhook-sign.c - the webhook plugin's two signatures (plugins/webhook/
 * sign.c) against published vectors: GitHub's HMAC-SHA256 example
 * (NETWORKS.md) and the Standard Webhooks specification's own example; and
 * which key a secret gives, whsec_ or not. */
#include "test.h"

#include "sign.h"

#include <sodium.h>

static void hmac_matches_the_published_example(void)
{
    const char *secret = "It's a Secret to Everybody", *body = "Hello, World!";
    char hex[65];
    webhook_hmac_hex((const unsigned char *)secret, strlen(secret), "", body, strlen(body), hex);
    CHECK_STR_EQ(hex, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

/* Jade-Signature's v1 signs "<t>.<body>" with the secret as written
 * (expected value from Python's hmac module). */
static void jade_signature_signs_time_dot_body(void)
{
    char hex[65];
    webhook_sign_jade("It's a Secret to Everybody", 1764560000, "Hello, World!", 13, hex);
    CHECK_STR_EQ(hex, "9fea6358155b991f5a270c69583ad2ca6c56933ade2c7e0f2448165372dd486b");
}

/* The specification's example: whsec_ secret, id, timestamp, body. */
static void standard_signature_matches_the_specification(void)
{
    unsigned char key[256];
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_STANDARD_SIGNATURE_SIZE];
    int n = webhook_standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, sizeof key);
    CHECK_INT_EQ(n, 24);
    webhook_sign_standard(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                          strlen(body), sig);
    CHECK_STR_EQ(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* A secret without whsec_ is its own key, byte for byte (a library's
 * "raw" key; expected value from Python's hmac and base64 modules). */
static void a_secret_without_the_prefix_is_its_own_key(void)
{
    unsigned char key[256];
    char sig[WEBHOOK_STANDARD_SIGNATURE_SIZE];
    const char *secret = "It's a Secret to Everybody";
    int n = webhook_standard_key(secret, key, sizeof key);
    CHECK_INT_EQ(n, (int)strlen(secret));
    CHECK(memcmp(key, secret, strlen(secret)) == 0);
    webhook_sign_standard(key, (size_t)n, "k1", 1764560000, "Hello, World!", 13, sig);
    CHECK_STR_EQ(sig, "v1,hVMF4mUNXaVAhrWI6dPN3cwaG+5MU04nuPm1yq46wdo=");
    /* whsec_ is a prefix only at the start */
    CHECK_INT_EQ(webhook_standard_key("my-whsec_AAAA", key, sizeof key), 13);
}

/* A whsec_ secret whose rest is not base64 of at least one byte, or
 * whose key does not fit, has no key. */
static void a_broken_whsec_secret_has_no_key(void)
{
    unsigned char key[256];
    const char *broken[] = {
        "whsec_",                    /* nothing */
        "whsec_MfKQ9r8GKYqrTwjUPD8", /* cut short */
        "whsec_AAE",                 /* = padding missing */
        "whsec_AAE==",               /* too much padding */
        "whsec_AA-_",                /* the URL-safe alphabet */
        "whsec_AAAA AAAA",           /* a space */
        "whsec_AAAA\tAAAA",          /* a tab */
        "whsec_AAAA!",               /* not base64 at all */
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        int n = webhook_standard_key(broken[i], key, sizeof key);
        if (n != -1) printf("#   \"%s\" gave a key of %d bytes\n", broken[i], n);
        CHECK_INT_EQ(n, -1);
    }
    CHECK_INT_EQ(webhook_standard_key("whsec_AAE=", key, sizeof key), 2);
    CHECK(key[0] == 0 && key[1] == 1);
    /* 4 bytes do not fit in 3; nor does a long raw secret */
    CHECK_INT_EQ(webhook_standard_key("whsec_AAECAw==", key, 3), -1);
    CHECK_INT_EQ(webhook_standard_key("whsec_AAECAw==", key, 4), 4);
    CHECK_INT_EQ(webhook_standard_key("abcd", key, 3), -1);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    RUN(hmac_matches_the_published_example);
    RUN(jade_signature_signs_time_dot_body);
    RUN(standard_signature_matches_the_specification);
    RUN(a_secret_without_the_prefix_is_its_own_key);
    RUN(a_broken_whsec_secret_has_no_key);
    return test_done();
}
