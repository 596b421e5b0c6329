/* sshsig.h - commits signed with SSH keys (git's gpg.format=ssh), checked
 * against an allowed-signers file.
 *
 * Three layers, each usable alone: the allowed-signers file (OpenSSH's
 * format, see ssh-keygen(1) "ALLOWED SIGNERS"), an armored SSH signature
 * over a message (OpenSSH's PROTOCOL.sshsig), and a commit read with
 * libgit2 whose "gpgsig" header carries such a signature. Only ssh-ed25519
 * keys are verified (libsodium); other key types are recognised and
 * reported as unsupported, never adopted. Certificates (cert-authority)
 * are refused when the file is loaded.
 *
 * Nothing here reads the clock: the time a key must be valid at is the
 * commit's committer time, as git does. */
#ifndef JADE_SSHSIG_H
#define JADE_SSHSIG_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jade_buf;

/* A parsed allowed-signers file; immutable once loaded, so it may be shared
 * between threads for reading. */
struct jade_signers;

/* Reads and parses the file at path. On error returns -1, *out is NULL and
 * err holds "PATH:LINE: what is wrong" (or why the file could not be read). */
int jade_signers_load(const char *path, struct jade_signers **out, struct jade_buf *err);
/* The same from memory; name stands for the file in messages. */
int jade_signers_parse(const char *name, const char *text, size_t len, struct jade_signers **out,
                       struct jade_buf *err);
void jade_signers_free(struct jade_signers *s);
/* How many keys the file lists. */
size_t jade_signers_count(const struct jade_signers *s);

/* The outcome of a check: a closed set; only JADE_VERIFY_OK adopts. */
enum jade_verify_status {
    JADE_VERIFY_OK,
    JADE_VERIFY_UNSIGNED,             /* no signature at all */
    JADE_VERIFY_NOT_SSH,              /* signed, but not with SSH (PGP, X.509) */
    JADE_VERIFY_UNKNOWN_KEY,          /* the key is not in the allowed-signers file */
    JADE_VERIFY_EXPIRED_KEY,          /* outside the key's valid-after/valid-before */
    JADE_VERIFY_WRONG_NAMESPACE,      /* not signed for "git", or key not allowed for it */
    JADE_VERIFY_BAD_SIGNATURE,        /* does not verify, or is malformed */
    JADE_VERIFY_UNSUPPORTED_KEY_TYPE, /* listed, but not ssh-ed25519 */
};

/* A stable lower-case name for machines and logs ("ok", "unknown-key"...). */
const char *jade_verify_status_name(enum jade_verify_status status);

#define JADE_FINGERPRINT_SIZE 64

struct jade_verdict {
    enum jade_verify_status status;
    /* OK only (NULL otherwise): the matching entry's principals field as
     * written in the file, e.g. "alice@example.org" or "alice,coach" - what
     * ssh-keygen -Y find-principals prints, so what git shows. Owned. */
    char *principal;
    /* "SHA256:..." as ssh-keygen -l prints it, whenever the signature
     * could be parsed far enough to name a key; "" otherwise. */
    char fingerprint[JADE_FINGERPRINT_SIZE];
    /* One line for people, translated; never NULL after a check. Owned. */
    char *message;
};

/* Releases what the verdict owns (not the struct) and zeroes it; NULL is
 * accepted. */
void jade_verdict_clear(struct jade_verdict *v);

/* Checks an armored SSH signature ("-----BEGIN SSH SIGNATURE-----") over
 * message, made for sig_namespace, by a key in signers valid at time when
 * (seconds since the epoch, UTC). subject names what is signed in the
 * message ("commit 1a2b3c4"). signers must not be NULL (an empty file
 * trusts nobody). Always fills *out (clear it after use). */
void jade_sshsig_verify(const char *armored, size_t armored_len, const void *message,
                        size_t message_len, const char *sig_namespace,
                        const struct jade_signers *signers, int64_t when, const char *subject,
                        struct jade_verdict *out);

/* Checks the SSH signature of a commit for namespace "git", at the commit's
 * committer time. Returns 0 with *out filled, or -1 when the commit cannot
 * be read (out->message says why, out->status is BAD_SIGNATURE). */
int jade_commit_verify(git_repository *repo, const git_oid *commit,
                       const struct jade_signers *signers, struct jade_verdict *out);

/* OpenSSH's patterns (allowed_signers, known_hosts): does s match the
 * pattern p of plen bytes, where `*` is any run and `?` one character? */
bool jade_ssh_match_pattern(const char *s, const char *p, size_t plen, bool fold_case);

#endif
