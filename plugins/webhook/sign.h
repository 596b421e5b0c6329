/* sign.h - the webhook's two signatures, kept apart from the plugin so that
 * unit tests reach them (tests/unit/test-webhook-sign.c).
 *
 * Jade-Signature (Stripe's shape): hex HMAC-SHA256 keyed with the secret as
 * written, over "<t>.<body>". webhook-signature (Standard Webhooks): "v1,"
 * and the base64 HMAC-SHA256 over "<id>.<t>.<body>", keyed with what the
 * secret's base64 after "whsec_" decodes to. */
#ifndef JADE_WEBHOOK_SIGN_H
#define JADE_WEBHOOK_SIGN_H

#include <stddef.h>

/* "v1," and 44 characters of base64, with its NUL */
#define WEBHOOK_STANDARD_SIGNATURE_SIZE 48

/* The Standard Webhooks key of secret into key: the bytes its base64
 * (standard alphabet, = padding) after "whsec_" decodes to; a secret
 * without that prefix is its own key, byte for byte. Returns the key's
 * length, or -1 when what follows "whsec_" is not base64 of at least one
 * byte (or does not fit). */
int webhook_standard_key(const char *secret, unsigned char *key, size_t key_size);

/* hex HMAC-SHA256(key, prefix followed by body) into out. */
void webhook_hmac_hex(const unsigned char *key, size_t key_len, const char *prefix,
                      const char *body, size_t body_len, char out[65]);

/* Jade-Signature's v1: hex HMAC-SHA256(secret, "<t>.<body>"). */
void webhook_sign_jade(const char *secret, long long t, const char *body, size_t body_len,
                       char out[65]);

/* webhook-signature: "v1,<base64 HMAC-SHA256(key, "<id>.<t>.<body>")>". */
void webhook_sign_standard(const unsigned char *key, size_t key_len, const char *id, long long t,
                           const char *body, size_t body_len,
                           char out[WEBHOOK_STANDARD_SIGNATURE_SIZE]);

#endif
