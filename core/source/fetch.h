/* fetch.h - brings the followed branch of the content repository into a
 * bare mirror in the service's state folder, and says which commit is its tip.
 *
 * Blocking (network and disk): the service calls it on libuv's thread pool.
 * Each call opens its own git_repository and keeps no state between calls,
 * so calls for different mirrors may run at once in several threads, beside
 * other libgit2 use; two calls on the same mirror at once are the caller's
 * to avoid (the service fetches one at a time).
 *
 * The branch is fetched with `+refs/heads/B:refs/remotes/origin/B`: a
 * force-push moves the mirror's ref to the new tip even when it does not
 * descend from the old one. Nothing else is fetched (no tags, no other
 * branch). Over ssh the server's host key must be listed for it in the
 * given known_hosts file; over https libgit2's TLS verification stands. */
#ifndef JADE_FETCH_H
#define JADE_FETCH_H

#include <git2.h>

struct jade_buf;

/* Borrowed strings, read during the call only. Any of them may be NULL. */
struct jade_fetch_credentials {
    const char *username;         /* https user; NULL: the URL's, else "x-access-token" */
    const char *password;         /* https password or token; never shown in a message */
    const char *ssh_key_path;     /* private key (no passphrase) for ssh:// and user@host:path */
    const char *known_hosts_path; /* OpenSSH known_hosts; required for ssh */
};

/* Fetches branch from url into the bare repository mirror_dir (created,
 * with its folders, when missing or empty; re-used otherwise) and sets *tip
 * to the commit the branch points to there. url: a path, file://, git://,
 * http(s)://, ssh://[user@]host[:port]/path or [user@]host:path (user "git"
 * when none). cred may be NULL. Returns 0, or -1 with one line appended to
 * err that says what failed and where, with credentials taken out. On
 * failure the mirror keeps what it had: its last tip is still there. */
int jade_fetch(const char *url, const char *branch, const char *mirror_dir,
               const struct jade_fetch_credentials *cred, git_oid *tip, struct jade_buf *err);

/* The url with its password (`user:***@`) or, over http(s), its whole
 * user part (`***@`, where a token often stands) replaced; for messages
 * and for the mirror's config. The caller frees it. */
char *jade_fetch_redact_url(const char *url);

/* Where an ssh URL leads, as libgit2 reads it. */
struct jade_ssh_target {
    char *user; /* NULL when the URL names none */
    char *host; /* without the brackets of an IPv6 address */
    int port;   /* 22 unless the URL says */
};

/* 1 and *out filled (the caller frees it with jade_ssh_target_free) when url
 * is an ssh URL (ssh://, ssh+git://, git+ssh://, or scp-style with a ':'
 * and no scheme); 0 when it is not ssh; -1 when it is ssh but malformed. */
int jade_fetch_parse_ssh_url(const char *url, struct jade_ssh_target *out);
void jade_ssh_target_free(struct jade_ssh_target *t);

/* Exchanges refs/notes/jade (notes.h) with the repository at url, from
 * the bare mirror_dir: theirs is fetched (into refs/notes/jade-origin)
 * and merged into ours when it holds what ours lacks (merge commits say
 * message), then ours is pushed to url - the URL as given, never
 * rerouted by any git config. 0, or -1 with one line in err (no write
 * access, a refused update), credentials taken out. */
int jade_notes_exchange(const char *url, const char *mirror_dir,
                        const struct jade_fetch_credentials *cred, const char *message,
                        struct jade_buf *err);

/* Appends "what: libgit2's last error message" to err. */
void jade_git_error_message(struct jade_buf *err, const char *what);

#endif
