/* hooks.c - push notifications from git forges: the shared secret's proof
 * and the pushed ref (see hooks.h). */
#include "hooks.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum proof { HMAC_PREFIXED, HMAC_HEX, TOKEN };

static const struct {
    const char *name; /* lower-cased, as the admin listener gives it */
    enum proof proof;
    const char *ok, *malformed, *mismatch;
} proofs[] = {
    {"x-hub-signature-256", HMAC_PREFIXED, N_("X-Hub-Signature-256 holds"),
     N_("X-Hub-Signature-256 is not \"sha256=\" and 64 hexadecimal digits"),
     N_("X-Hub-Signature-256 does not match the body and the hook's secret")},
    {"x-gitea-signature", HMAC_HEX, N_("X-Gitea-Signature holds"),
     N_("X-Gitea-Signature is not 64 hexadecimal digits"),
     N_("X-Gitea-Signature does not match the body and the hook's secret")},
    {"x-gogs-signature", HMAC_HEX, N_("X-Gogs-Signature holds"),
     N_("X-Gogs-Signature is not 64 hexadecimal digits"),
     N_("X-Gogs-Signature does not match the body and the hook's secret")},
    {"x-gitlab-token", TOKEN, N_("X-Gitlab-Token holds"), N_("X-Gitlab-Token is empty"),
     N_("X-Gitlab-Token is not the hook's secret")},
};

/* A hex HMAC-SHA256 (either case), exactly 64 digits, into mac. */
static int parse_hex_mac(const char *hex, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    size_t len = strlen(hex), got = 0;
    const char *end = NULL;
    if (len != 2 * crypto_auth_hmacsha256_BYTES) return -1;
    if (sodium_hex2bin(mac, crypto_auth_hmacsha256_BYTES, hex, len, NULL, &got, &end) != 0)
        return -1;
    return got == crypto_auth_hmacsha256_BYTES && end == hex + len ? 0 : -1;
}

/* Tokens of any length compared in the same time: their hashes are. */
static int token_equal(const char *token, const unsigned char *secret, size_t secret_len)
{
    unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
    crypto_generichash(a, sizeof a, (const unsigned char *)token, strlen(token), NULL, 0);
    crypto_generichash(b, sizeof b, secret, secret_len, NULL, 0);
    return sodium_memcmp(a, b, sizeof a) == 0;
}

static char *pushed_ref(const char *body, size_t len)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *ref = json_string_value(json_object_get(root, "ref"));
    char *out = ref && *ref ? jade_xstrdup(ref) : NULL;
    json_decref(root);
    return out;
}

enum jade_hook_verdict jade_hook_verify(const struct jade_admin_request *req,
                                        const unsigned char *secret, size_t secret_len,
                                        struct jade_hook_result *out)
{
    *out = (struct jade_hook_result){JADE_HOOK_NO_SIGNATURE,
                                     _("no X-Hub-Signature-256, X-Gitea-Signature, "
                                       "X-Gogs-Signature or X-Gitlab-Token header"),
                                     NULL};
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    bool have_mac = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct jade_admin_header *h = &req->headers[i];
        size_t k = 0;
        while (k < sizeof proofs / sizeof *proofs && strcmp(proofs[k].name, h->name) != 0) k++;
        if (k == sizeof proofs / sizeof *proofs) continue;
        if (secret_len == 0) {
            *out = (struct jade_hook_result){JADE_HOOK_BAD_SIGNATURE,
                                             _("no secret is set for push hooks"), NULL};
            return out->verdict;
        }
        const char *value = h->value;
        bool good;
        if (proofs[k].proof == TOKEN) {
            if (!*value) {
                out->verdict = JADE_HOOK_BAD_SIGNATURE;
                out->reason = _(proofs[k].malformed);
                return out->verdict;
            }
            good = token_equal(value, secret, secret_len);
        } else {
            unsigned char sent[crypto_auth_hmacsha256_BYTES];
            if (proofs[k].proof == HMAC_PREFIXED) {
                if (strncmp(value, "sha256=", 7) != 0)
                    value = "";
                else
                    value += 7;
            }
            if (parse_hex_mac(value, sent) != 0) {
                out->verdict = JADE_HOOK_BAD_SIGNATURE;
                out->reason = _(proofs[k].malformed);
                return out->verdict;
            }
            if (!have_mac) { /* the secret can be of any length: not _verify's 32 bytes */
                crypto_auth_hmacsha256_state st;
                crypto_auth_hmacsha256_init(&st, secret, secret_len);
                crypto_auth_hmacsha256_update(&st, (const unsigned char *)req->body, req->body_len);
                crypto_auth_hmacsha256_final(&st, mac);
                have_mac = true;
            }
            good = sodium_memcmp(sent, mac, sizeof mac) == 0;
        }
        if (!good) {
            out->verdict = JADE_HOOK_BAD_SIGNATURE;
            out->reason = _(proofs[k].mismatch);
            return out->verdict;
        }
        if (out->verdict == JADE_HOOK_NO_SIGNATURE) { /* the first proof names the verdict */
            out->verdict = JADE_HOOK_OK;
            out->reason = _(proofs[k].ok);
        }
    }
    if (out->verdict == JADE_HOOK_OK) out->ref = pushed_ref(req->body, req->body_len);
    return out->verdict;
}

void jade_hook_result_free(struct jade_hook_result *r)
{
    if (!r) return;
    free(r->ref);
    r->ref = NULL;
}
