/* plugin-util.h - what several network plugins need alike, on their side
 * of the ABI: answering the core, reading an answer's headers, the
 * channel's account, the network's base URL, what a transport failure
 * means, and copying and wiping strings (secrets). Header-only (static
 * functions), so each plugin stays one shared object that includes only
 * jade-plugin.h and this. */
#ifndef JADE_PLUGIN_UTIL_H
#define JADE_PLUGIN_UTIL_H

#include "jade-plugin.h"

#include <jansson.h>
#include <libintl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Messages for people, from jade's catalogue: a plugin runs in jade's
 * process, which binds the "jade" domain (po/; xgettext reads plugins/). */
#define _(s) dgettext("jade", s)
#define N_(s) (s)

/* A copy of s, or NULL when s is NULL. */
static inline char *pu_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Zeroes a secret string in place (volatile: the stores stay). */
static inline void pu_wipe(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = '\0';
}

/* Zeroes a secret string, then frees it (const: owned copies in const
 * members). */
static inline void pu_wipe_free(const char *s)
{
    pu_wipe((char *)s);
    free((char *)s);
}

/* Answers the core (strings only need to live during the call). */
static inline void pu_finish(jade_done_cb done, void *token, enum jade_outcome outcome,
                             const char *network_id, const char *url, uint32_t retry_after,
                             const char *message)
{
    struct jade_result r = {.struct_size = sizeof r,
                            .outcome = (uint32_t)outcome,
                            .network_id = network_id,
                            .url = url,
                            .retry_after_seconds = retry_after,
                            .message = message};
    done(token, &r);
}

/* A response header's value (names compared without case), or NULL. */
static inline const char *pu_header(const struct jade_http_response *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_headers; i++)
        if (r->headers[i].name && strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") as Unix time, or -1.
 * Read without strptime: the service runs in the user's locale, where
 * %a and %b would expect other words than HTTP's English ones. */
static inline int64_t pu_http_date(const char *value)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char month[4] = "";
    struct tm tm = {0};
    if (!value || sscanf(value, "%*3s, %d %3s %d %d:%d:%d GMT", &tm.tm_mday, month, &tm.tm_year,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    const char *at = strlen(month) == 3 ? strstr(months, month) : NULL;
    if (!at || (at - months) % 3) return -1;
    tm.tm_mon = (int)((at - months) / 3);
    tm.tm_year -= 1900;
    return (int64_t)timegm(&tm);
}

/* Seconds to wait from a Retry-After value (seconds, or an HTTP date),
 * or fallback when there is none or it does not parse. */
static inline uint32_t pu_retry_after(const char *value, int64_t now, uint32_t fallback)
{
    if (!value) return fallback;
    char *end;
    long secs = strtol(value, &end, 10);
    if (end != value && *end == '\0' && secs >= 0) return (uint32_t)secs;
    int64_t at = pu_http_date(value);
    if (at >= 0) return at > now ? (uint32_t)(at - now) : 0;
    return fallback;
}

/* The channel's account object (a new reference; an empty object when
 * there is none or it does not parse). */
static inline json_t *pu_account(const struct jade_publication *pub)
{
    json_t *a = json_loads(pub->account_json ? pub->account_json : "{}", 0, NULL);
    if (!json_is_object(a)) {
        json_decref(a);
        a = json_object();
    }
    return a;
}

/* The network's base URL: its "api_base" setting (tests, self-hosted
 * instances), else the public one. */
static inline const char *pu_api_base(const struct jade_host *host, const char *public_base)
{
    const char *v = host->setting(host->ctx, "api_base");
    return v && *v ? v : public_base;
}

/* What a transport failure means for a request that creates something on
 * a network without idempotency: nothing left (TRANSIENT: safe to send
 * again), or the request left and no answer came (UNKNOWN: it may be
 * published, the core must not send it blindly again). */
static inline enum jade_outcome pu_transport_outcome(const struct jade_http_response *r)
{
    return r->request_sent ? JADE_OUTCOME_UNKNOWN : JADE_OUTCOME_TRANSIENT;
}

/* A metrics call answered through the mapping a plugin has for publish's
 * failures: pu_metrics_failed as the jade_done_cb, a struct
 * pu_metrics_call (on the stack: those answers are synchronous) as its
 * token. */
struct pu_metrics_call {
    jade_metrics_cb done;
    void *token;
};

static inline void pu_metrics_failed(void *call, const struct jade_result *r)
{
    struct pu_metrics_call *c = call;
    c->done(c->token, r, NULL, 0);
}

/* A metrics call's answer without figures: a failure, with its words. */
static inline void pu_metrics_finish(jade_metrics_cb done, void *token, enum jade_outcome outcome,
                                     uint32_t retry_after, const char *message)
{
    struct jade_result r = {.struct_size = sizeof r,
                            .outcome = (uint32_t)outcome,
                            .retry_after_seconds = retry_after,
                            .message = message};
    done(token, &r, NULL, 0);
}

/* A JSON member as a count: an integer, or 0. */
static inline int64_t pu_count(const json_t *object, const char *name)
{
    const json_t *v = json_object_get(object, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* "HTTP <status>: <what the network said>" into out. */
static inline void pu_http_message(const struct jade_http_response *r, const char *said, char *out,
                                   size_t size)
{
    if (said && *said)
        snprintf(out, size, "HTTP %ld: %s", r->status, said);
    else
        snprintf(out, size, "HTTP %ld: %.200s", r->status, r->body ? r->body : "");
}

#endif
