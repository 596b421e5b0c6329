/* hooks.h - is a push notification from a git forge genuine?
 *
 * A forge (GitHub, Gitea/Forgejo/Gogs, GitLab) calls the admin listener
 * when the content repository receives a push; the service then fetches
 * early instead of waiting for its next poll. The notification proves it
 * knows the hook's shared secret in one of these headers:
 *   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>   GitHub
 *                        (Gitea and Forgejo may send it too)
 *   X-Gitea-Signature:   <hex HMAC-SHA256(secret, body)>          Gitea, Forgejo
 *   X-Gogs-Signature:    <hex HMAC-SHA256(secret, body)>          Gogs, Gitea
 *   X-Gitlab-Token:      <the secret itself>                      GitLab
 * Every one of them present must hold (a forge sending several sends the
 * same proof in each), and at least one must be present. The older SHA-1
 * X-Hub-Signature is ignored. Hex is accepted in either case. Comparisons
 * take the same time whatever the bytes compared.
 *
 * The hook must send JSON (GitHub: content type application/json): the
 * pushed ref is read from the body's "ref" member. */
#ifndef JADE_HOOKS_H
#define JADE_HOOKS_H

#include "admin.h"

#include <stddef.h>

enum jade_hook_verdict {
    JADE_HOOK_OK,           /* every proof present holds */
    JADE_HOOK_NO_SIGNATURE, /* none of the headers above: answer 401 */
    JADE_HOOK_BAD_SIGNATURE /* a proof does not hold, or no secret is set: answer 403 */
};

struct jade_hook_result {
    enum jade_hook_verdict verdict;
    /* For people: which header, what is wrong. A static string. */
    const char *reason;
    /* The pushed ref ("refs/heads/main"), only when the verdict is OK and
     * the body is a JSON object with a string "ref"; else NULL. Owned by
     * the result: jade_hook_result_free. */
    char *ref;
};

/* Checks req's headers and body against the secret: secret_len bytes,
 * compared as given (jade_secret_read has already dropped a final
 * newline). Fills *out and returns its verdict. libsodium must be
 * initialized (sodium_init). */
enum jade_hook_verdict jade_hook_verify(const struct jade_admin_request *req,
                                        const unsigned char *secret, size_t secret_len,
                                        struct jade_hook_result *out);
/* Frees what the result owns; accepts NULL. */
void jade_hook_result_free(struct jade_hook_result *r);

#endif
