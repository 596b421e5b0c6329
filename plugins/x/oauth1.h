/* oauth1.h - OAuth 1.0a request signing (RFC 5849), HMAC-SHA1, as X's
 * user-context authentication asks: the signature base string of a
 * request (its method, its URL without query, and every parameter of the
 * query, of a form-encoded body and of the oauth_* set, sorted), its
 * signature, and the Authorization header that carries it. A JSON or
 * multipart body takes no part in the signature.
 *
 * Pure functions (HMAC-SHA1 and base64 from OpenSSL's libcrypto), so that
 * the unit tests run them against the published test vectors. Every
 * returned string is malloc'd: the caller frees it; NULL when memory ran
 * out or the URL is not absolute http(s). */
#ifndef JADE_X_OAUTH1_H
#define JADE_X_OAUTH1_H

#include <stdbool.h>
#include <stddef.h>

/* The four user-context credentials. */
struct oauth1_credentials {
    const char *consumer_key, *consumer_secret; /* the app's */
    const char *token, *token_secret;           /* the user's access token */
};

/* What a signature covers besides the request itself. */
struct oauth1_params {
    const char *nonce;     /* unique per request */
    const char *timestamp; /* seconds since the epoch, in decimal */
    bool version;          /* sends oauth_version="1.0" (optional in the RFC) */
};

/* RFC 5849 §3.6: every byte but ALPHA, DIGIT, '-', '.', '_' and '~' as
 * %XX, upper-case hexadecimal. */
char *oauth1_encode(const char *s, size_t len);

/* The signature base string (§3.4.1) of a request: method, absolute URL
 * (its query's parameters are included), and the body when it is
 * application/x-www-form-urlencoded (else NULL). */
char *oauth1_base_string(const char *method, const char *url, const char *form_body,
                         const struct oauth1_credentials *c, const struct oauth1_params *p);

/* base64(HMAC-SHA1(encode(consumer_secret) "&" encode(token_secret), base)). */
char *oauth1_signature(const char *base, const char *consumer_secret, const char *token_secret);

/* The Authorization header's value: OAuth oauth_consumer_key="...", ... */
char *oauth1_authorization(const char *method, const char *url, const char *form_body,
                           const struct oauth1_credentials *c, const struct oauth1_params *p);

/* A fresh nonce: 32 random bytes as 64 hexadecimal digits into out.
 * Returns 0, or -1 when no randomness was to be had. */
int oauth1_nonce(char out[65]);

#endif
