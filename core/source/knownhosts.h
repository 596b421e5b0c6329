/* knownhosts.h - decides whether an ssh server's host key is the one an
 * OpenSSH known_hosts file lists for it.
 *
 * libgit2 1.5 with libssh2 hands the server's raw key to a callback and
 * checks only ~/.ssh/known_hosts of whoever runs it; the service names its
 * own file, so the lookup is done here. Understood: plain host names and
 * patterns (`*`, `?`, `!negation`), comma-separated lists, `[host]:port`
 * for a port other than 22, hashed names (`|1|salt|hash`, HMAC-SHA1 of the
 * name keyed with the salt), `@revoked` lines. `@cert-authority` lines are
 * skipped: host certificates are not supported. */
#ifndef JADE_KNOWNHOSTS_H
#define JADE_KNOWNHOSTS_H

#include <stddef.h>

struct jade_buf;

enum jade_known_host {
    JADE_HOST_KNOWN,   /* a line names the host with this very key */
    JADE_HOST_UNKNOWN, /* no line names the host */
    JADE_HOST_CHANGED, /* lines name the host, none with this key */
    JADE_HOST_REVOKED, /* a @revoked line names this key */
};

/* Looks host (a name or an address, without brackets) and port up in the
 * text of a known_hosts file; key is the server's key blob (what the file
 * holds in base64). Pure: no I/O. */
enum jade_known_host jade_known_hosts_match(const char *text, size_t len, const char *host,
                                            int port, const unsigned char *key, size_t key_len);

/* Reads the file at path and accepts the key (returns 0) only when it is
 * JADE_HOST_KNOWN; otherwise appends a message naming the host and the file
 * to err and returns -1. */
int jade_known_hosts_check(const char *path, const char *host, int port, const unsigned char *key,
                           size_t key_len, struct jade_buf *err);

#endif
