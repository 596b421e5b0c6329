/* outbound.c - where the service's requests may go (see outbound.h). */
#include "outbound.h"

#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ranges that are not the public internet (IANA's special-purpose
 * registries), each with what it is. */
struct special {
    const char *range, *what;
};

static const struct special special_v4[] = {
    {"0.0.0.0/8", N_("a \"this network\" address")},
    {"10.0.0.0/8", N_("a private address")},
    {"100.64.0.0/10", N_("a carrier-grade NAT address")},
    {"127.0.0.0/8", N_("a loopback address")},
    {"169.254.0.0/16", N_("a link-local address")},
    {"172.16.0.0/12", N_("a private address")},
    {"192.0.0.0/24", N_("a protocol assignment address")},
    {"192.0.2.0/24", N_("a documentation address")},
    {"192.168.0.0/16", N_("a private address")},
    {"198.18.0.0/15", N_("a benchmarking address")},
    {"198.51.100.0/24", N_("a documentation address")},
    {"203.0.113.0/24", N_("a documentation address")},
    {"224.0.0.0/4", N_("a multicast address")},
    {"240.0.0.0/4", N_("a reserved address")},
};

static const struct special special_v6[] = {
    {"::1/128", N_("a loopback address")},
    {"::/128", N_("the unspecified address")},
    {"::/96", N_("an IPv4-compatible address")},
    {"64:ff9b:1::/48", N_("a local NAT64 address")},
    {"100::/64", N_("a discard address")},
    {"2001:db8::/32", N_("a documentation address")},
    {"fc00::/7", N_("a unique local (private) address")},
    {"fe80::/10", N_("a link-local address")},
    {"fec0::/10", N_("a site-local address")},
    {"ff00::/8", N_("a multicast address")},
};

int jade_cidr_parse(const char *text, struct jade_cidr *out)
{
    memset(out, 0, sizeof *out);
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n == 0 || n >= sizeof addr) return -1;
    memcpy(addr, text, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    int max = out->family == AF_INET ? 32 : 128;
    out->bits = max;
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || bits < 0 || bits > max) return -1;
        out->bits = (int)bits;
    }
    return 0;
}

static bool in_range(const struct jade_cidr *r, int family, const unsigned char *addr)
{
    if (r->family != family) return false;
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->addr, addr, (size_t)full) != 0) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->addr[full] & mask) == (addr[full] & mask);
}

/* What a non-public address is, or NULL for a public one. */
static const char *special_kind(int family, const unsigned char *addr)
{
    const struct special *list = family == AF_INET ? special_v4 : special_v6;
    size_t n = family == AF_INET ? sizeof special_v4 / sizeof *special_v4
                                 : sizeof special_v6 / sizeof *special_v6;
    for (size_t i = 0; i < n; i++) {
        struct jade_cidr r;
        jade_cidr_parse(list[i].range, &r);
        if (in_range(&r, family, addr)) return _(list[i].what);
    }
    return NULL;
}

/* The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64
 * 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::), into v4; false if none. */
static bool embedded_v4(const unsigned char *a, unsigned char *v4)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12)) {
        memcpy(v4, a + 12, 4);
        return true;
    }
    if (a[0] == 0x20 && a[1] == 0x02) {
        memcpy(v4, a + 2, 4);
        return true;
    }
    return false;
}

void jade_outbound_read(const json_t *settings, struct jade_outbound *out)
{
    memset(out, 0, sizeof *out);
    const json_t *hosts = json_object_get(settings, "allow_http");
    const json_t *ranges = json_object_get(settings, "allow_addresses");
    out->http_hosts = jade_xcalloc(json_array_size(hosts) + 1, sizeof *out->http_hosts);
    for (size_t i = 0; i < json_array_size(hosts); i++)
        out->http_hosts[out->n_http_hosts++] =
            jade_xstrdup(json_string_value(json_array_get(hosts, i)));
    out->ranges = jade_xcalloc(json_array_size(ranges) + 1, sizeof *out->ranges);
    for (size_t i = 0; i < json_array_size(ranges); i++)
        if (jade_cidr_parse(json_string_value(json_array_get(ranges, i)),
                            &out->ranges[out->n_ranges]) == 0)
            out->n_ranges++;
}

void jade_outbound_free(struct jade_outbound *o)
{
    for (size_t i = 0; i < o->n_http_hosts; i++) free(o->http_hosts[i]);
    free(o->http_hosts);
    free(o->ranges);
    memset(o, 0, sizeof *o);
}

bool jade_outbound_check(const json_t *settings,
                         void (*report)(void *ctx, const char *pointer, const char *message),
                         void *ctx)
{
    bool ok = true;
    const json_t *hosts = json_object_get(settings, "allow_http");
    for (size_t i = 0; i < json_array_size(hosts); i++) {
        const char *h = json_string_value(json_array_get(hosts, i));
        char *url = jade_xasprintf("http://%s/", h ? h : "");
        struct jade_url u;
        if (!h || strpbrk(h, "/@?#") || jade_url_parse(url, &u) != 0) {
            char *p = jade_xasprintf("/outbound/allow_http/%zu", i);
            report(ctx, p, _("not a host or host:port (an IPv6 address goes in brackets)"));
            free(p);
            ok = false;
        } else {
            jade_url_free(&u);
        }
        free(url);
    }
    const json_t *ranges = json_object_get(settings, "allow_addresses");
    for (size_t i = 0; i < json_array_size(ranges); i++) {
        struct jade_cidr r;
        const char *text = json_string_value(json_array_get(ranges, i));
        if (!text || jade_cidr_parse(text, &r) != 0) {
            char *p = jade_xasprintf("/outbound/allow_addresses/%zu", i);
            report(ctx, p,
                   _("not an address or a range such as 10.0.0.0/8, 127.0.0.1 or fd00::/8"));
            free(p);
            ok = false;
        }
    }
    return ok;
}

bool jade_outbound_url_allowed(const struct jade_outbound *o, const char *url, struct jade_buf *why)
{
    struct jade_url u;
    if (jade_url_parse(url, &u) != 0) {
        jade_buf_puts(why, _("not an http or https URL"));
        return false;
    }
    bool allowed = !strcmp(u.scheme, "https");
    for (size_t i = 0; !allowed && i < o->n_http_hosts; i++)
        allowed = jade_url_host_matches(o->http_hosts[i], u.host, u.port);
    if (!allowed)
        jade_buf_printf(why,
                        _("plain http to %s:%d: the configuration allows http only to the hosts "
                          "of outbound.allow_http"),
                        u.host, u.port);
    jade_url_free(&u);
    return allowed;
}

bool jade_outbound_address_allowed(const struct jade_outbound *o, const struct sockaddr *address,
                                   struct jade_buf *why)
{
    int family = address->sa_family;
    const unsigned char *addr;
    if (family == AF_INET)
        addr = (const unsigned char *)&((const struct sockaddr_in *)address)->sin_addr;
    else if (family == AF_INET6)
        addr = (const unsigned char *)&((const struct sockaddr_in6 *)address)->sin6_addr;
    else {
        jade_buf_puts(why, _("not an internet address"));
        return false;
    }
    unsigned char v4[4];
    bool carries_v4 = family == AF_INET6 && embedded_v4(addr, v4);
    const char *kind = special_kind(family, addr);
    if (!kind && carries_v4) kind = special_kind(AF_INET, v4);
    if (!kind) return true;
    for (size_t i = 0; i < o->n_ranges; i++)
        if (in_range(&o->ranges[i], family, addr) ||
            (carries_v4 && in_range(&o->ranges[i], AF_INET, v4)))
            return true;
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family, addr, text, sizeof text);
    jade_buf_printf(why,
                    _("%s is %s: the configuration allows such addresses only when "
                      "outbound.allow_addresses lists them"),
                    text, kind);
    return false;
}
