/* outbound.h - where the service's requests may go: the operator's
 * "outbound" settings, enforced by the HTTP client on every request.
 *
 * https reaches any public address. Plain http only reaches the hosts the
 * operator lists (allow_http). Addresses that are not public — loopback,
 * private networks, link-local (cloud metadata services live there),
 * carrier-grade NAT, multicast, reserved — only when the operator lists
 * their range (allow_addresses). Addresses are judged after DNS, on the
 * socket about to connect, so a name that resolves somewhere else than it
 * seems cannot get round the rule. */
#ifndef JADE_OUTBOUND_H
#define JADE_OUTBOUND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct jade_buf;

struct jade_cidr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
};

struct jade_outbound {
    char **http_hosts; /* "host" or "host:port" */
    size_t n_http_hosts;
    struct jade_cidr *ranges;
    size_t n_ranges;
};

/* "10.0.0.0/8", "fd00::/8", or one address ("127.0.0.1", "::1"). 0 or -1. */
int jade_cidr_parse(const char *text, struct jade_cidr *out);

/* Reads the configuration's "outbound" object (may be NULL: nothing
 * allowed beyond the default). Its values must have been checked
 * (jade_outbound_check). */
void jade_outbound_read(const json_t *settings, struct jade_outbound *out);
void jade_outbound_free(struct jade_outbound *o);

/* Problems with the settings' values, each reported through report(pointer,
 * message); true when there is none. */
bool jade_outbound_check(const json_t *settings,
                         void (*report)(void *ctx, const char *pointer, const char *message),
                         void *ctx);

/* May a request go to url? Its scheme is https, or http to a listed host.
 * When not, why says so (the URL's scheme and host only). */
bool jade_outbound_url_allowed(const struct jade_outbound *o, const char *url,
                               struct jade_buf *why);

/* May a socket connect to address? When not, why says so. */
bool jade_outbound_address_allowed(const struct jade_outbound *o, const struct sockaddr *address,
                                   struct jade_buf *why);

#endif
