/* verify-commit.c - a test driver, not a TAP test: checks one commit's SSH
 * signature the way the service will, for tests/integration/sshsig.sh.
 *
 * verify-commit REPO REF ALLOWED_SIGNERS prints "status: NAME", then
 * "principal:" and "fingerprint:" when known, then "message:". Exits 0 when
 * the commit would be adopted, 1 when not, 2 when the allowed-signers file
 * or the repository cannot be used (the reason on stderr). */
#include "source/sshsig.h"
#include "util/buf.h"

#include <git2.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: verify-commit REPO REF ALLOWED_SIGNERS\n");
        return 2;
    }
    struct jade_signers *signers = NULL;
    struct jade_buf err = {0};
    if (jade_signers_load(argv[3], &signers, &err) != 0) {
        fprintf(stderr, "%s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return 2;
    }
    git_libgit2_init();
    git_repository *repo = NULL;
    git_object *obj = NULL;
    int status = 2;
    if (git_repository_open(&repo, argv[1]) != 0 || git_revparse_single(&obj, repo, argv[2]) != 0) {
        const git_error *e = git_error_last();
        fprintf(stderr, "%s: %s\n", argv[1], e && e->message ? e->message : "error");
    } else {
        struct jade_verdict v;
        int rc = jade_commit_verify(repo, git_object_id(obj), signers, &v);
        printf("status: %s\n", jade_verify_status_name(v.status));
        if (v.principal) printf("principal: %s\n", v.principal);
        if (v.fingerprint[0]) printf("fingerprint: %s\n", v.fingerprint);
        printf("message: %s\n", v.message);
        status = rc != 0 ? 2 : v.status == JADE_VERIFY_OK ? 0 : 1;
        jade_verdict_clear(&v);
    }
    git_object_free(obj);
    git_repository_free(repo);
    git_libgit2_shutdown();
    jade_signers_free(signers);
    return status;
}
