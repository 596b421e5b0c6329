/* sign.c - the webhook's two signatures (see sign.h), with libsodium's
 * HMAC-SHA256 and base64. */
#include "sign.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define STANDARD_PREFIX "whsec_"

int webhook_standard_key(const char *secret, unsigned char *key, size_t key_size)
{
    size_t n = strlen(secret), prefix = strlen(STANDARD_PREFIX);
    if (strncmp(secret, STANDARD_PREFIX, prefix) != 0) {
        if (n > key_size) return -1;
        memcpy(key, secret, n);
        return (int)n;
    }
    /* strict: the whole rest must be base64 (no spaces, padding as the
     * alphabet says), or a receiver's library would decode another key */
    const char *b64 = secret + prefix, *end = NULL;
    size_t len = 0;
    if (sodium_base642bin(key, key_size, b64, n - prefix, NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != secret + n || len == 0)
        return -1;
    return (int)len;
}

/* HMAC-SHA256(key, the strings of parts, one after the other, then body) */
static void hmac(const unsigned char *key, size_t key_len, const char *const *parts, size_t n_parts,
                 const char *body, size_t body_len, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    for (size_t i = 0; i < n_parts; i++)
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

void webhook_hmac_hex(const unsigned char *key, size_t key_len, const char *prefix,
                      const char *body, size_t body_len, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    hmac(key, key_len, &prefix, 1, body, body_len, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

void webhook_sign_jade(const char *secret, long long t, const char *body, size_t body_len,
                       char out[65])
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%lld.", t);
    webhook_hmac_hex((const unsigned char *)secret, strlen(secret), prefix, body, body_len, out);
}

void webhook_sign_standard(const unsigned char *key, size_t key_len, const char *id, long long t,
                           const char *body, size_t body_len,
                           char out[WEBHOOK_STANDARD_SIGNATURE_SIZE])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char at[32];
    snprintf(at, sizeof at, ".%lld.", t);
    const char *parts[] = {id, at};
    hmac(key, key_len, parts, 2, body, body_len, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, WEBHOOK_STANDARD_SIGNATURE_SIZE - 3, mac, sizeof mac,
                      sodium_base64_VARIANT_ORIGINAL);
}
