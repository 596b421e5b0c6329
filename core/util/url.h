/* url.h - http(s) URLs taken apart (libcurl's URL parser), for the
 * operator's rules on where requests may go: URL prefixes a channel may
 * post to, hosts plain http may reach. */
#ifndef JADE_URL_H
#define JADE_URL_H

#include <stdbool.h>

struct jade_url {
    char *scheme;  /* "http" or "https" */
    char *host;    /* lowercase; an IPv6 address in brackets */
    int port;      /* the scheme's default when the URL gives none */
    char *path;    /* dot segments removed; at least "/" */
    bool userinfo; /* the URL carries user[:password]@ */
};

/* Takes an absolute http or https URL apart. 0, or -1 when it is not one. */
int jade_url_parse(const char *text, struct jade_url *out);
void jade_url_free(struct jade_url *u);

/* True when url lies under prefix: the same scheme, host and port, and a
 * path that starts with the prefix's path at a segment boundary ("/hooks"
 * takes "/hooks" and "/hooks/a", never "/hooks-other"). A URL carrying
 * user information is never under a prefix. */
bool jade_url_within(const char *url, const char *prefix);

/* True when host and port name the given entry: "host" (any port) or
 * "host:port", host names compared without regard to case. */
bool jade_url_host_matches(const char *entry, const char *host, int port);

#endif
