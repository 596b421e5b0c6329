/* x.c - the x network: posts through X API v2, signed with OAuth 1.0a
 * (user context; oauth1.c).
 *
 * A channel's account is {"user_id": "<the account's numeric id>"}; its
 * secret holds the four credentials as JSON: {"consumer_key",
 * "consumer_secret", "token", "token_secret"} (the app's API key and
 * secret, the user's access token and secret: they do not expire).
 *
 * Publishing: each medium is uploaded (POST /2/media/upload/initialize,
 * .../{id}/append as multipart streamed from the file, .../{id}/finalize,
 * then GET /2/media/upload?command=STATUS polled through host->later() as
 * X's check_after_secs asks, within the call's deadline), then POST
 * /2/tweets {text, media:{media_ids}}; the link, when the text does not
 * hold it already, follows the text.
 *
 * Rate limits: X answers with x-rate-limit-remaining/-reset (Unix time)
 * per endpoint and, when posting, the 24-hour x-app-limit-24hour-* and
 * x-user-limit-24hour-*; never Retry-After. A 429 (rate limit or usage
 * cap) waits until the reset of what is exhausted; an answer saying
 * "0 remaining" makes every later request of that kind wait for its reset
 * without leaving. Nothing has an idempotency key: a 5xx or no answer once
 * the post request left is UNKNOWN, and lookup searches the account's
 * timeline (GET /2/users/:id/tweets from the due time) for the text. An
 * identical text is refused (403 "duplicate content"): on a first attempt
 * the text was posted before (PERMANENT); on a later one it may be ours
 * from the uncertain attempt, so it is looked up instead of guessed.
 *
 * Metrics: GET /2/tweets/:id?tweet.fields=public_metrics, in the family
 * of reads (a 429 there holds reads, not posts); a post deleted is 200
 * with errors and no data: not found. */
#include "jade-plugin.h"
#include "oauth1.h"
#include "plugin-util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define X_API "https://api.x.com"
#define X_DEADLINE_SECONDS 600
/* Polling stops this long before the deadline: the post still has to go. */
#define X_POLL_MARGIN_SECONDS 60
#define X_WAIT_FALLBACK 900   /* a 429 that names no reset: X's 15-minute window */
#define X_LOOKUP_PAGES 5      /* 100 posts a page */
#define X_CHECK_DELAY_MS 2000 /* before looking up a post whose request went unanswered */
#define X_CREDENTIALS_MAX 2048
/* A medium larger than this is appended in segments of this size (X takes
 * segments of up to 5 MB), each read into memory off the loop; a smaller
 * one is streamed from its file by the core. */
#define X_SEGMENT_BYTES (4u * 1024 * 1024)

/* Kinds of request X limits apart. */
enum family { F_CREATE, F_DELETE, F_LOOKUP, F_MEDIA, N_FAMILIES };

static const char *const family_words[N_FAMILIES] = {N_("posting"), N_("deleting"),
                                                     N_("reading posts"), N_("uploading media")};

/* When each kind of request may go again, per account. */
struct account {
    char user_id[32];
    int64_t until[N_FAMILIES];
};

struct job;

struct x {
    const struct jade_host *host;
    struct account *accounts;
    size_t n_accounts;
    int64_t app_until; /* the app's 24-hour posting limit, for all its accounts */
    struct job *jobs;  /* in progress, freed at fini when a later() was dropped */
};

enum job_kind { JOB_PUBLISH, JOB_LOOKUP, JOB_REMOVE, JOB_METRICS };

struct medium {
    char *path, *type;
    const char *category;
    uint64_t size;
    char *id; /* once initialized */
};

struct job {
    struct x *x;
    struct job *next;
    enum job_kind kind;
    jade_done_cb done;
    void *token;
    struct oauth1_credentials creds; /* owned copies, wiped when freed */
    char *secret_name, *user_id, *text, *due, *network_id;
    struct medium *media;
    size_t n_media, current; /* the medium being uploaded */
    uint32_t attempt;
    uint32_t waited_ms; /* spent waiting for media processing */
    /* A segment of a large medium, read on a worker thread. */
    uint32_t segment_index;
    char *segment;
    size_t segment_len;
    int segment_errno;
    int pages;                      /* of the timeline read so far */
    bool timer;                     /* waiting for host->later() */
    bool duplicate;                 /* a lookup after X called the text a duplicate */
    bool checking;                  /* a lookup after the post request went unanswered */
    char *unanswered;               /* what happened to it */
    struct pu_metrics_call metrics; /* a metrics call's answer: its done is pu_metrics_failed */
};

/* ---- jobs ------------------------------------------------------------------ */

static void job_free(struct job *j)
{
    if (!j) return;
    for (struct job **p = &j->x->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    pu_wipe_free(j->creds.consumer_key);
    pu_wipe_free(j->creds.consumer_secret);
    pu_wipe_free(j->creds.token);
    pu_wipe_free(j->creds.token_secret);
    free(j->secret_name);
    free(j->user_id);
    free(j->text);
    free(j->due);
    free(j->network_id);
    free(j->unanswered);
    for (size_t i = 0; i < j->n_media; i++) {
        free(j->media[i].path);
        free(j->media[i].type);
        free(j->media[i].id);
    }
    free(j->media);
    free(j->segment);
    free(j);
}

/* Answers the core and ends the job. */
static void job_finish(struct job *j, enum jade_outcome outcome, const char *id, uint32_t wait,
                       const char *message)
{
    char url[128];
    const char *link = NULL;
    if (outcome == JADE_OUTCOME_SENT && id && j->kind != JOB_REMOVE) {
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);
        link = url;
    }
    pu_finish(j->done, j->token, outcome, id, link, wait, message);
    job_free(j);
}

static struct account *account_of(struct x *x, const char *user_id)
{
    for (size_t i = 0; i < x->n_accounts; i++)
        if (!strcmp(x->accounts[i].user_id, user_id)) return &x->accounts[i];
    struct account *grown = realloc(x->accounts, (x->n_accounts + 1) * sizeof *grown);
    if (!grown) return NULL;
    x->accounts = grown;
    struct account *a = &x->accounts[x->n_accounts++];
    memset(a, 0, sizeof *a);
    snprintf(a->user_id, sizeof a->user_id, "%s", user_id);
    return a;
}

/* ---- what X's answers say ------------------------------------------------ */

static bool header_int(const struct jade_http_response *r, const char *name, int64_t *out)
{
    const char *v = pu_header(r, name);
    if (!v) return false;
    char *end;
    long long n = strtoll(v, &end, 10);
    while (*end == ' ') end++;
    if (end == v || *end) return false;
    *out = n;
    return true;
}

/* The reset of a limit the answer calls exhausted, under prefix
 * ("x-rate-limit", "x-user-limit-24hour", ...), or 0. */
static int64_t exhausted_until(const struct jade_http_response *r, const char *prefix)
{
    char name[64];
    int64_t remaining, reset;
    snprintf(name, sizeof name, "%s-remaining", prefix);
    if (!header_int(r, name, &remaining) || remaining > 0) return 0;
    snprintf(name, sizeof name, "%s-reset", prefix);
    return header_int(r, name, &reset) ? reset : 0;
}

/* How far X's clock is ahead of ours (seconds), from the answer's Date
 * header: resets and creation times are X's, our clock may differ (or be
 * simulated). 0 when the answer has no Date. */
static int64_t x_ahead(const struct jade_host *host, const struct jade_http_response *r)
{
    int64_t date = pu_http_date(pu_header(r, "Date"));
    return date < 0 ? 0 : date - host->now(host->ctx);
}

/* An X time (a reset) on our clock. The Date header is whole seconds, and
 * our clock's too: a second more, so as never to come before X's reset. */
static int64_t on_our_clock(const struct jade_host *host, const struct jade_http_response *r,
                            int64_t x_time)
{
    if (!x_time || !pu_header(r, "Date")) return x_time;
    return x_time - x_ahead(host, r) + 1;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Remembers what the answer says of the limits of family: an exhausted
 * one holds the account (or the app) until its reset. */
static void note_limits(struct job *j, enum family f, const struct jade_http_response *r)
{
    struct account *a = account_of(j->x, j->user_id);
    if (!a) return;
    const struct jade_host *host = j->x->host;
    a->until[f] = max64(a->until[f], on_our_clock(host, r, exhausted_until(r, "x-rate-limit")));
    if (f == F_CREATE) {
        a->until[f] =
            max64(a->until[f], on_our_clock(host, r, exhausted_until(r, "x-user-limit-24hour")));
        j->x->app_until =
            max64(j->x->app_until, on_our_clock(host, r, exhausted_until(r, "x-app-limit-24hour")));
    }
}

/* A 429 (too many requests, or the usage cap): until when to wait. */
static int64_t throttled_until(struct job *j, enum family f, const struct jade_http_response *r,
                               int64_t now)
{
    int64_t until = exhausted_until(r, "x-rate-limit");
    if (f == F_CREATE) {
        until = max64(until, exhausted_until(r, "x-user-limit-24hour"));
        until = max64(until, exhausted_until(r, "x-app-limit-24hour"));
    }
    int64_t reset;
    if (!until && header_int(r, "x-rate-limit-reset", &reset)) until = reset;
    until = on_our_clock(j->x->host, r, until);
    if (!until) until = now + X_WAIT_FALLBACK; /* no reset given: X's window */
    if (until <= now) until = now + 1;         /* the reset has come: a second */
    struct account *a = account_of(j->x, j->user_id);
    if (a) a->until[f] = max64(a->until[f], until);
    return until;
}

/* When the account may next send a request of family f (0: now). */
static int64_t held_until(struct job *j, enum family f)
{
    struct account *a = account_of(j->x, j->user_id);
    int64_t until = a ? a->until[f] : 0;
    if (f == F_CREATE) until = max64(until, j->x->app_until);
    return until;
}

/* A Unix time as RFC 3339, UTC, into out (32 bytes). */
static const char *utc(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%lld", (long long)t);
    return out;
}

/* Ends the job unsent when the account's limit for family holds until
 * a later time than now; returns whether it did. */
static bool finish_if_held(struct job *j, enum family f)
{
    int64_t now = j->x->host->now(j->x->host->ctx);
    int64_t until = held_until(j, f);
    if (now >= until) return false;
    char message[256], at[32];
    snprintf(message, sizeof message,
             _("X's limit on %s for this account is used up until %s: not sent yet"),
             _(family_words[f]), utc(until, at));
    job_finish(j, JADE_OUTCOME_RETRY_AFTER, NULL, (uint32_t)(until - now), message);
    return true;
}

/* X's words: detail, title, and each errors[].message, into out. */
static void x_words(const struct jade_http_response *r, char *out, size_t size)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *title = json_string_value(json_object_get(body, "title"));
    const char *detail = json_string_value(json_object_get(body, "detail"));
    size_t len = 0;
    out[0] = '\0';
    if (detail || title) len = (size_t)snprintf(out, size, "%s", detail ? detail : title);
    json_t *errors = json_object_get(body, "errors");
    for (size_t i = 0; i < json_array_size(errors) && len < size; i++) {
        const char *m = json_string_value(json_object_get(json_array_get(errors, i), "message"));
        if (m && (!detail || strcmp(m, detail)))
            len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "; " : "", m);
    }
    json_decref(body);
    char said[512];
    snprintf(said, sizeof said, "%s", out);
    pu_http_message(r, said, out, size);
}

static bool body_type_has(const struct jade_http_response *r, const char *fragment)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *type = json_string_value(json_object_get(body, "type"));
    bool has = type && strstr(type, fragment);
    json_decref(body);
    return has;
}

static bool is_duplicate(const struct jade_http_response *r)
{
    if (r->status != 403 || !r->body) return false;
    for (const char *p = r->body; *p; p++)
        if (!strncasecmp(p, "duplicate", 9)) return true;
    return false;
}

/* What an error answer means, for every kind of request: a wait, the
 * credentials refused, or (*handled false) left to the caller. */
static bool common_failure(struct job *j, enum family f, const struct jade_http_response *r)
{
    struct x *x = j->x;
    char words[512], message[1024];
    x_words(r, words, sizeof words);
    int64_t now = x->host->now(x->host->ctx);
    if (r->status == 429) {
        int64_t until = throttled_until(j, f, r, now);
        char at[32];
        snprintf(message, sizeof message, _("%s: X asks to wait until %s (%s)"), words,
                 utc(until, at),
                 body_type_has(r, "usage-capped") ? _("the app's usage cap") : _(family_words[f]));
        job_finish(j, JADE_OUTCOME_RETRY_AFTER, NULL, (uint32_t)(until - now), message);
        return true;
    }
    if (r->status == 401 ||
        (r->status == 403 &&
         (body_type_has(r, "oauth1-permissions") || body_type_has(r, "client-forbidden") ||
          body_type_has(r, "unsupported-authentication")))) {
        snprintf(message, sizeof message,
                 _("%s: X refused the credentials of secret \"%s\"; check its consumer_key, "
                   "consumer_secret, token and token_secret, give the app Read and Write "
                   "permission, and regenerate the access token and secret in the developer "
                   "portal if they were revoked; then resume the channel"),
                 words, j->secret_name ? j->secret_name : "");
        job_finish(j, JADE_OUTCOME_AUTH_FAILED, NULL, 0, message);
        return true;
    }
    return false;
}

/* ---- requests ------------------------------------------------------------ */

/* Sends a signed request; on failure to start, the job ends with
 * TRANSIENT (nothing left). */
static void x_send(struct job *j, const char *method, const char *url, const char *json_body,
                   const struct jade_http_part *parts, size_t n_parts, jade_http_cb cb)
{
    const struct jade_host *host = j->x->host;
    char nonce[65], timestamp[24];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)host->now(host->ctx));
    char *auth = NULL;
    if (oauth1_nonce(nonce) == 0) {
        struct oauth1_params p = {.nonce = nonce, .timestamp = timestamp, .version = true};
        auth = oauth1_authorization(method, url, NULL, &j->creds, &p);
    }
    if (!auth) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("the request could not be signed"));
        return;
    }
    struct jade_http_header headers[] = {{"Authorization", auth},
                                         {"Content-Type", "application/json"}};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = method,
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = json_body ? 2 : 1,
                                    .body = json_body,
                                    .body_len = json_body ? strlen(json_body) : 0,
                                    .parts = parts,
                                    .n_parts = n_parts};
    int rc = host->http(host->ctx, &req, cb, j);
    pu_wipe_free(auth);
    if (rc != 0)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("the request could not be started"));
}

static char *url_of(struct job *j, const char *fmt, const char *arg)
{
    const char *base = pu_api_base(j->x->host, X_API);
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    char path[512];
    snprintf(path, sizeof path, fmt, arg ? arg : "");
    size_t size = n + strlen(path) + 1;
    char *url = malloc(size);
    if (url) snprintf(url, size, "%.*s%s", (int)n, base, path);
    return url;
}

static char *json_text(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

/* The id under data.id of a JSON answer, copied, or NULL. */
static char *data_id(const struct jade_http_response *r)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *id = json_string_value(json_object_get(json_object_get(body, "data"), "id"));
    char *copy = pu_strdup(id);
    json_decref(body);
    return copy;
}

/* ---- looking a post up ---------------------------------------------------- */

/* A text as compared with the timeline's: X shows links as t.co links and
 * escapes &, < and >, so links are left out, entities decoded and spaces
 * folded. */
static char *comparable(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    bool space = true;
    for (size_t i = 0; i < n;) {
        if (!strncmp(s + i, "http://", 7) || !strncmp(s + i, "https://", 8)) {
            while (i < n && !isspace((unsigned char)s[i])) i++;
            continue;
        }
        char c = s[i];
        size_t step = 1;
        if (!strncmp(s + i, "&amp;", 5))
            c = '&', step = 5;
        else if (!strncmp(s + i, "&lt;", 4))
            c = '<', step = 4;
        else if (!strncmp(s + i, "&gt;", 4))
            c = '>', step = 4;
        i += step;
        if (isspace((unsigned char)c)) {
            if (!space) *o++ = ' ';
            space = true;
            continue;
        }
        *o++ = c;
        space = false;
    }
    while (o > out && o[-1] == ' ') o--;
    *o = '\0';
    return out;
}

static void lookup_page(struct job *j, const char *pagination_token);

/* An RFC 3339 UTC time (X's created_at, our due) as a Unix time, or -1. */
static int64_t parse_utc(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
    return (int64_t)timegm(&tm);
}

/* The look-up after a post request that went unanswered could not tell:
 * it stays unknown. */
static void check_failed(struct job *j, const char *why)
{
    char message[1024];
    snprintf(message, sizeof message, _("%.600s; looking it up on the timeline failed too: %.300s"),
             j->unanswered ? j->unanswered : _("no answer"), why);
    job_finish(j, JADE_OUTCOME_UNKNOWN, NULL, 0, message);
}

static void lookup_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    char message[1024];
    if (r->transport_error) {
        snprintf(message, sizeof message, _("looking the post up: %s"),
                 r->error_message ? r->error_message : _("no answer"));
        if (j->checking)
            check_failed(j, message);
        else
            job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
        return;
    }
    note_limits(j, F_LOOKUP, r);
    if (r->status < 200 || r->status >= 300) {
        x_words(r, message, sizeof message);
        if (j->checking) {
            check_failed(j, message);
            return;
        }
        if (common_failure(j, F_LOOKUP, r)) return;
        job_finish(j, r->status >= 500 ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_PERMANENT, NULL, 0,
                   message);
        return;
    }
    /* Posted at or after the due time, on X's clock (a little slack for
     * the Date header's whole seconds). */
    int64_t due = parse_utc(j->due);
    int64_t since = due < 0 ? -1 : due + x_ahead(j->x->host, r) - 2;
    /* X says the text is there: whenever it was posted (a clock restarted
     * since, a simulated one, could put it before the due time). */
    if (j->duplicate) since = -1;
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *data = json_object_get(body, "data");
    char *want = comparable(j->text);
    char *found = NULL;
    bool older = false; /* the page reached posts from before the due time */
    for (size_t i = 0; want && i < json_array_size(data) && !found; i++) {
        json_t *post = json_array_get(data, i);
        const char *text = json_string_value(json_object_get(post, "text"));
        const char *id = json_string_value(json_object_get(post, "id"));
        int64_t created = parse_utc(json_string_value(json_object_get(post, "created_at")));
        if (since >= 0 && created >= 0 && created < since) {
            older = true;
            continue;
        }
        char *have = text && id ? comparable(text) : NULL;
        if (have && !strcmp(have, want)) found = strdup(id);
        free(have);
    }
    free(want);
    const char *next =
        json_string_value(json_object_get(json_object_get(body, "meta"), "next_token"));
    if (found) {
        job_finish(j, JADE_OUTCOME_SENT, found, 0,
                   j->duplicate ? _("X called it a duplicate: found on the account's timeline")
                   : j->checking
                       ? _("no answer to the post request: found on the account's timeline")
                       : NULL);
        free(found);
    } else if (next && !older && j->pages < X_LOOKUP_PAGES) {
        char *token = strdup(next);
        lookup_page(j, token);
        free(token);
    } else if (j->duplicate) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0,
                   _("X refuses it as duplicate content, and the account's timeline has no such "
                     "post since it was due: the same text was posted before"));
    } else if (j->checking) {
        /* Not there: safe to send again (and X would call a repeat a
         * duplicate, which is looked up in turn). */
        snprintf(message, sizeof message,
                 _("%.900s; not on the account's timeline: nothing was published"),
                 j->unanswered ? j->unanswered : _("no answer"));
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
    } else {
        job_finish(j, JADE_OUTCOME_NOT_FOUND, NULL, 0,
                   _("not on the account's timeline since it was due"));
    }
    json_decref(body);
}

/* GET /2/users/:id/tweets, newest first, a page of 100: the due time is
 * ours and X's clock may differ, so the answer's created_at are compared
 * with it here rather than sent as start_time. */
static void lookup_page(struct job *j, const char *pagination_token)
{
    if (j->checking && held_until(j, F_LOOKUP) > j->x->host->now(j->x->host->ctx)) {
        check_failed(j, _("X's limit on reading posts is used up"));
        return;
    }
    if (finish_if_held(j, F_LOOKUP)) return;
    char *token =
        pagination_token ? oauth1_encode(pagination_token, strlen(pagination_token)) : NULL;
    char *user = oauth1_encode(j->user_id, strlen(j->user_id));
    char query[1024];
    snprintf(query, sizeof query, "/2/users/%s/tweets?max_results=100&tweet.fields=created_at%s%s",
             user ? user : "", token ? "&pagination_token=" : "", token ? token : "");
    free(token);
    free(user);
    char *url = url_of(j, "%s", query);
    j->pages++;
    if (!url) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
        return;
    }
    x_send(j, "GET", url, NULL, NULL, 0, lookup_cb);
    free(url);
}

/* After a wait (X's timeline may lag the post by a moment). */
static void check_timeline(void *arg)
{
    struct job *j = arg;
    j->timer = false;
    lookup_page(j, NULL);
}

/* The post request left and no answer (or a 5xx) came: X may have
 * published it. Looked up before the core hears anything. */
static void check_unanswered(struct job *j, const char *what)
{
    const struct jade_host *host = j->x->host;
    j->checking = true;
    j->unanswered = strdup(what);
    j->timer = true;
    if (!JADE_HAS_MEMBER(host, struct jade_host, later) ||
        host->later(host->ctx, X_CHECK_DELAY_MS, check_timeline, j) != 0) {
        j->timer = false;
        job_finish(j, JADE_OUTCOME_UNKNOWN, NULL, 0, what);
    }
}

/* ---- creating the post ------------------------------------------------------ */

static void create_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    char message[1024];
    if (r->transport_error) {
        enum jade_outcome o = pu_transport_outcome(r);
        snprintf(
            message, sizeof message, "%s%s", r->error_message ? r->error_message : _("no answer"),
            o == JADE_OUTCOME_UNKNOWN ? _(" (the post request left: it may be published)") : "");
        if (o == JADE_OUTCOME_UNKNOWN)
            check_unanswered(j, message);
        else
            job_finish(j, o, NULL, 0, message);
        return;
    }
    note_limits(j, F_CREATE, r);
    if (r->status >= 200 && r->status < 300) {
        char *id = data_id(r);
        if (id)
            job_finish(j, JADE_OUTCOME_SENT, id, 0, NULL);
        else
            job_finish(j, JADE_OUTCOME_UNKNOWN, NULL, 0, _("X answered without the post's id"));
        free(id);
        return;
    }
    if (is_duplicate(r)) {
        if (j->attempt > 1) { /* ours, from an attempt whose answer was lost? */
            j->duplicate = true;
            lookup_page(j, NULL);
            return;
        }
        x_words(r, message, sizeof message);
        size_t len = strlen(message);
        snprintf(message + len, sizeof message - len, _(" (the same text was posted before)"));
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, message);
        return;
    }
    if (common_failure(j, F_CREATE, r)) return;
    x_words(r, message, sizeof message);
    if (r->status >= 500) {
        size_t len = strlen(message);
        snprintf(message + len, sizeof message - len, _(" (it may be published all the same)"));
        check_unanswered(j, message);
    } else {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, message);
    }
}

static void create_post(struct job *j)
{
    if (finish_if_held(j, F_CREATE)) return;
    json_t *body = json_pack("{s:s}", "text", j->text);
    if (j->n_media) {
        json_t *ids = json_array();
        for (size_t i = 0; i < j->n_media; i++)
            json_array_append_new(ids, json_string(j->media[i].id));
        json_object_set_new(body, "media", json_pack("{s:o}", "media_ids", ids));
    }
    char *text = json_text(body);
    char *url = url_of(j, "/2/tweets", NULL);
    if (!text || !url)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
    else
        x_send(j, "POST", url, text, NULL, 0, create_cb);
    free(text);
    free(url);
}

/* ---- uploading media -------------------------------------------------------- */

static void upload_next(struct job *j);
static void poll_status(void *arg);

/* A failure while uploading: nothing is published yet. */
static void upload_failed(struct job *j, const struct jade_http_response *r, const char *step)
{
    char words[512], message[1024];
    if (r->transport_error) {
        snprintf(message, sizeof message, "uploading %s (%s): %s", j->media[j->current].path, step,
                 r->error_message ? r->error_message : _("no answer"));
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
        return;
    }
    if (common_failure(j, F_MEDIA, r)) return;
    x_words(r, words, sizeof words);
    snprintf(message, sizeof message, "uploading %s (%s): %s", j->media[j->current].path, step,
             words);
    job_finish(
        j, r->status >= 500 || r->status == 408 ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_PERMANENT,
        NULL, 0, message);
}

static bool answered_ok(const struct jade_http_response *r)
{
    return !r->transport_error && r->status >= 200 && r->status < 300;
}

/* An upload step's answer: X's limits noted; false after failing the job
 * when it is not a success. */
static bool upload_step_ok(struct job *j, const struct jade_http_response *r, const char *step)
{
    if (!r->transport_error) note_limits(j, F_MEDIA, r);
    if (answered_ok(r)) return true;
    upload_failed(j, r, step);
    return false;
}

/* processing_info of a finalize or STATUS answer: done (ready or no
 * processing), wait (*after_secs), or failed (message set). */
enum processing { P_READY, P_WAIT, P_FAILED };

static enum processing processing_of(const struct jade_http_response *r, uint32_t *after_secs,
                                     char *message, size_t size)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *info = json_object_get(json_object_get(body, "data"), "processing_info");
    const char *state = json_string_value(json_object_get(info, "state"));
    enum processing p = P_READY;
    if (state && (!strcmp(state, "pending") || !strcmp(state, "in_progress"))) {
        json_int_t after = json_integer_value(json_object_get(info, "check_after_secs"));
        *after_secs = after > 0 && after < 3600 ? (uint32_t)after : 1;
        p = P_WAIT;
    } else if (state && !strcmp(state, "failed")) {
        json_t *error = json_object_get(info, "error");
        const char *m = json_string_value(json_object_get(error, "message"));
        const char *name = json_string_value(json_object_get(error, "name"));
        snprintf(message, size, _("X could not process the medium: %s%s%s"), name ? name : "",
                 name && m ? ": " : "", m ? m : (name ? "" : "failed"));
        p = P_FAILED;
    }
    json_decref(body);
    return p;
}

/* Waits as X asked before asking again, within the call's deadline. */
static void processing_answer(struct job *j, const struct jade_http_response *r)
{
    uint32_t after = 1;
    char message[512];
    switch (processing_of(r, &after, message, sizeof message)) {
    case P_READY:
        j->current++;
        upload_next(j);
        return;
    case P_FAILED:
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, message);
        return;
    case P_WAIT:
        break;
    }
    const struct jade_host *host = j->x->host;
    uint32_t budget_ms = (X_DEADLINE_SECONDS - X_POLL_MARGIN_SECONDS) * 1000u;
    if (j->waited_ms + after * 1000u > budget_ms ||
        !JADE_HAS_MEMBER(host, struct jade_host, later)) {
        snprintf(message, sizeof message,
                 _("X was still processing %s after %u s: not posted, to be tried again"),
                 j->media[j->current].path, j->waited_ms / 1000);
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
        return;
    }
    j->waited_ms += after * 1000u;
    j->timer = true;
    if (host->later(host->ctx, after * 1000u, poll_status, j) != 0) {
        j->timer = false;
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("could not wait for X's processing"));
    }
}

static void status_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    if (!upload_step_ok(j, r, "status")) return;
    processing_answer(j, r);
}

static void poll_status(void *arg)
{
    struct job *j = arg;
    j->timer = false;
    char *id = oauth1_encode(j->media[j->current].id, strlen(j->media[j->current].id));
    char *url = id ? url_of(j, "/2/media/upload?command=STATUS&media_id=%s", id) : NULL;
    free(id);
    if (!url) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
        return;
    }
    x_send(j, "GET", url, NULL, NULL, 0, status_cb);
    free(url);
}

static void finalize_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    if (!upload_step_ok(j, r, "finalize")) return;
    processing_answer(j, r);
}

static void finalize(struct job *j)
{
    char *id = oauth1_encode(j->media[j->current].id, strlen(j->media[j->current].id));
    char *url = id ? url_of(j, "/2/media/upload/%s/finalize", id) : NULL;
    free(id);
    if (!url) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
        return;
    }
    x_send(j, "POST", url, NULL, NULL, 0, finalize_cb);
    free(url);
}

static void append_next(struct job *j);

static void append_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    if (!upload_step_ok(j, r, "append")) return;
    j->segment_index++;
    if ((uint64_t)j->segment_index * X_SEGMENT_BYTES < j->media[j->current].size)
        append_next(j);
    else
        finalize(j);
}

/* Sends segment j->segment_index: the file itself when it is the only one
 * (streamed by the core), else bytes read from it. */
static void send_segment(struct job *j, const char *bytes, size_t len)
{
    struct medium *m = &j->media[j->current];
    char *id = oauth1_encode(m->id, strlen(m->id));
    char *url = id ? url_of(j, "/2/media/upload/%s/append", id) : NULL;
    free(id);
    if (!url) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
        return;
    }
    char index[16];
    snprintf(index, sizeof index, "%u", j->segment_index);
    const char *slash = strrchr(m->path, '/');
    struct jade_http_part parts[] = {
        {.name = "segment_index", .value = index, .value_len = strlen(index)},
        {.name = "media",
         .value = bytes,
         .value_len = len,
         .file = bytes ? NULL : m->path,
         .filename = slash ? slash + 1 : m->path,
         .content_type = m->type},
    };
    x_send(j, "POST", url, NULL, parts, 2, append_cb);
    free(url);
}

/* On a worker thread: reads the segment (the loop leaves j alone). */
static void read_segment(void *arg)
{
    struct job *j = arg;
    struct medium *m = &j->media[j->current];
    off_t offset = (off_t)j->segment_index * X_SEGMENT_BYTES;
    j->segment = malloc(X_SEGMENT_BYTES);
    j->segment_len = 0;
    j->segment_errno = 0;
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (!j->segment || fd < 0) {
        j->segment_errno = fd < 0 ? errno : ENOMEM;
    } else {
        while (j->segment_len < X_SEGMENT_BYTES) {
            ssize_t got = pread(fd, j->segment + j->segment_len, X_SEGMENT_BYTES - j->segment_len,
                                offset + (off_t)j->segment_len);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) j->segment_errno = errno;
            if (got <= 0) break;
            j->segment_len += (size_t)got;
        }
    }
    if (fd >= 0) close(fd);
}

/* Back on the loop with the segment. */
static void segment_read(void *arg)
{
    struct job *j = arg;
    if (j->segment_errno || j->segment_len == 0) {
        char message[512];
        snprintf(message, sizeof message, _("cannot read %s: %s"), j->media[j->current].path,
                 j->segment_errno ? strerror(j->segment_errno) : _("it is shorter than it was"));
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, message);
        return;
    }
    char *bytes = j->segment;
    j->segment = NULL;
    send_segment(j, bytes, j->segment_len);
    free(bytes); /* the request holds its own copy once http() returned */
}

static void append_next(struct job *j)
{
    const struct jade_host *host = j->x->host;
    if (j->media[j->current].size <= X_SEGMENT_BYTES) {
        send_segment(j, NULL, 0);
        return;
    }
    if (!JADE_HAS_MEMBER(host, struct jade_host, work) ||
        host->work(host->ctx, read_segment, segment_read, j) != 0) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("could not read the medium off the loop"));
    }
}

static void initialize_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    if (!upload_step_ok(j, r, "initialize")) return;
    struct medium *m = &j->media[j->current];
    m->id = data_id(r);
    if (!m->id) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0,
                   _("X's answer to the upload holds no media id"));
        return;
    }
    j->segment_index = 0;
    append_next(j);
}

static void upload_next(struct job *j)
{
    if (j->current == j->n_media) {
        create_post(j);
        return;
    }
    if (finish_if_held(j, F_MEDIA)) return;
    struct medium *m = &j->media[j->current];
    char *body = json_text(json_pack("{s:s, s:I, s:s}", "media_type", m->type, "total_bytes",
                                     (json_int_t)m->size, "media_category", m->category));
    char *url = url_of(j, "/2/media/upload/initialize", NULL);
    if (!body || !url)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
    else
        x_send(j, "POST", url, body, NULL, 0, initialize_cb);
    free(body);
    free(url);
}

/* ---- starting a call ---------------------------------------------------------- */

/* The media's types and sizes; a message when X would not take them. */
static bool media_of(struct job *j, const struct jade_publication *pub, char *message, size_t size)
{
    enum { MB = 1000 * 1000 };
    static const struct {
        const char *ext, *type, *category;
        uint64_t max_bytes;
    } kinds[] = {{".jpg", "image/jpeg", "tweet_image", 5 * MB},
                 {".jpeg", "image/jpeg", "tweet_image", 5 * MB},
                 {".png", "image/png", "tweet_image", 5 * MB},
                 {".webp", "image/webp", "tweet_image", 5 * MB},
                 {".gif", "image/gif", "tweet_gif", 15 * MB},
                 {".mp4", "video/mp4", "tweet_video", 512ull * MB},
                 {".mov", "video/quicktime", "tweet_video", 512ull * MB}};
    j->media = calloc(pub->n_media + 1, sizeof *j->media);
    if (!j->media) return false;
    size_t images = 0, others = 0;
    for (size_t i = 0; i < pub->n_media; i++) {
        const char *path = pub->media[i];
        const char *dot = strrchr(path, '.');
        size_t k = 0;
        while (k < sizeof kinds / sizeof *kinds && !(dot && !strcasecmp(dot, kinds[k].ext))) k++;
        struct medium *m = &j->media[j->n_media++];
        m->path = strdup(path);
        if (k == sizeof kinds / sizeof *kinds) {
            snprintf(message, size, _("X takes no file like %s (JPEG, PNG, WebP, GIF, MP4, MOV)"),
                     path);
            return false;
        }
        m->type = strdup(kinds[k].type);
        m->category = kinds[k].category;
        struct stat st;
        if (stat(path, &st) != 0) {
            snprintf(message, size, _("cannot read %s"), path);
            return false;
        }
        m->size = (uint64_t)st.st_size;
        if (m->size > kinds[k].max_bytes) {
            snprintf(message, size, _("%s is %llu bytes: X takes at most %llu of %s"), path,
                     (unsigned long long)m->size, (unsigned long long)kinds[k].max_bytes,
                     kinds[k].type);
            return false;
        }
        if (!strcmp(m->category, "tweet_image"))
            images++;
        else
            others++;
    }
    if (images > 4 || others > 1 || (others && images)) {
        snprintf(message, size,
                 _("X takes at most 4 photos, or one video or GIF, in a post (this one has %zu "
                   "photo(s) and %zu video(s) or GIF(s))"),
                 images, others);
        return false;
    }
    return true;
}

/* The four credentials from the channel's secret. */
static bool credentials_of(struct job *j, const struct jade_publication *pub, char *message,
                           size_t size)
{
    const struct jade_host *host = j->x->host;
    char secret[X_CREDENTIALS_MAX];
    if (!pub->secret_name || host->secret(host->ctx, pub->secret_name, secret, sizeof secret) < 0) {
        snprintf(message, size,
                 _("no credentials: give the channel a \"secret\" held in the secrets folder, "
                   "holding {\"consumer_key\", \"consumer_secret\", \"token\", \"token_secret\"}"));
        return false;
    }
    json_t *o = json_loads(secret, 0, NULL);
    volatile char *p = secret;
    for (size_t i = 0; i < sizeof secret; i++) p[i] = '\0';
    const char *names[] = {"consumer_key", "consumer_secret", "token", "token_secret"};
    const char *values[4];
    bool ok = json_is_object(o);
    for (size_t i = 0; i < 4 && ok; i++) {
        values[i] = json_string_value(json_object_get(o, names[i]));
        ok = values[i] && *values[i];
    }
    if (ok) {
        j->creds.consumer_key = strdup(values[0]);
        j->creds.consumer_secret = strdup(values[1]);
        j->creds.token = strdup(values[2]);
        j->creds.token_secret = strdup(values[3]);
        ok = j->creds.consumer_key && j->creds.consumer_secret && j->creds.token &&
             j->creds.token_secret;
    } else {
        snprintf(message, size,
                 _("secret \"%s\" is not the JSON object {\"consumer_key\", \"consumer_secret\", "
                   "\"token\", \"token_secret\"} (each a non-empty string): write the app's API "
                   "key and secret and the account's access token and secret there"),
                 pub->secret_name);
    }
    json_decref(o); /* jansson's copies: freed, not wiped */
    return ok;
}

/* The text as posted: the link follows it, unless the text holds it. */
static char *post_text(const struct jade_publication *pub)
{
    const char *text = pub->text ? pub->text : "";
    if (!pub->link || !*pub->link || strstr(text, pub->link)) return strdup(text);
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1])) n--;
    size_t size = n + strlen(pub->link) + 3;
    char *s = malloc(size);
    if (s) snprintf(s, size, "%.*s%s%s", (int)n, text, n ? "\n\n" : "", pub->link);
    return s;
}

/* A job for a call, or NULL once the core has had its answer. */
static struct job *job_start(struct x *x, enum job_kind kind, const struct jade_publication *pub,
                             jade_done_cb done, void *token)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        return NULL;
    }
    j->x = x;
    j->next = x->jobs;
    x->jobs = j;
    j->kind = kind;
    j->done = done;
    j->token = token;
    j->attempt = pub->attempt;
    j->secret_name = pu_strdup(pub->secret_name);
    j->text = post_text(pub);
    j->due = strdup(pub->due ? pub->due : "");
    json_t *account = pu_account(pub);
    const char *user_id = json_string_value(json_object_get(account, "user_id"));
    j->user_id = pu_strdup(user_id);
    json_decref(account);
    char message[512];
    if (!j->user_id || !*j->user_id) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0,
                   _("the channel's account has no \"user_id\" (the X account's numeric id)"));
        return NULL;
    }
    if (!credentials_of(j, pub, message, sizeof message)) {
        job_finish(j, JADE_OUTCOME_AUTH_FAILED, NULL, 0, message);
        return NULL;
    }
    if (!j->text || !j->due) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
        return NULL;
    }
    return j;
}

static void x_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                      void *token)
{
    struct job *j = job_start(instance, JOB_PUBLISH, pub, done, token);
    if (!j) return;
    char message[512];
    if (!media_of(j, pub, message, sizeof message)) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, message);
        return;
    }
    upload_next(j);
}

static void x_lookup(void *instance, const struct jade_publication *pub, jade_done_cb done,
                     void *token)
{
    struct job *j = job_start(instance, JOB_LOOKUP, pub, done, token);
    if (j) lookup_page(j, NULL);
}

static void remove_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    char message[1024];
    if (r->transport_error) {
        snprintf(message, sizeof message, "%s",
                 r->error_message ? r->error_message : _("no answer"));
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
        return;
    }
    note_limits(j, F_DELETE, r);
    if (r->status >= 200 && r->status < 300) {
        job_finish(j, JADE_OUTCOME_SENT, j->network_id, 0, NULL);
        return;
    }
    if (r->status == 404) {
        job_finish(j, JADE_OUTCOME_NOT_FOUND, NULL, 0, _("X has no such post: gone already"));
        return;
    }
    if (common_failure(j, F_DELETE, r)) return;
    x_words(r, message, sizeof message);
    job_finish(j, r->status >= 500 ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_PERMANENT, NULL, 0,
               message);
}

static void x_remove(void *instance, const struct jade_publication *pub, const char *network_id,
                     jade_done_cb done, void *token)
{
    struct job *j = job_start(instance, JOB_REMOVE, pub, done, token);
    if (!j) return;
    if (!network_id || !*network_id) {
        job_finish(j, JADE_OUTCOME_NOT_FOUND, NULL, 0, _("no post id to delete"));
        return;
    }
    j->network_id = strdup(network_id);
    if (finish_if_held(j, F_DELETE)) return;
    char *id = j->network_id ? oauth1_encode(network_id, strlen(network_id)) : NULL;
    char *url = id ? url_of(j, "/2/tweets/%s", id) : NULL;
    free(id);
    if (!url)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, _("out of memory"));
    else
        x_send(j, "DELETE", url, NULL, NULL, 0, remove_cb);
    free(url);
}

/* ---- metrics ------------------------------------------------------------------ */

static void metrics_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    char message[1024];
    if (r->transport_error) {
        snprintf(message, sizeof message, "%s", r->error_message ? r->error_message : "no answer");
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, message);
        return;
    }
    note_limits(j, F_LOOKUP, r);
    json_t *body = r->status == 200 ? json_loads(r->body ? r->body : "", 0, NULL) : NULL;
    const json_t *pm = json_object_get(json_object_get(body, "data"), "public_metrics");
    if (r->status == 404 || (body && !json_object_get(body, "data"))) {
        /* X answers 200 with errors, and no data, for a post deleted */
        json_decref(body);
        job_finish(j, JADE_OUTCOME_NOT_FOUND, NULL, 0, "X has no such post (deleted?)");
        return;
    }
    if (json_is_object(pm)) {
        int64_t likes = pu_count(pm, "like_count"), reposts = pu_count(pm, "retweet_count"),
                replies = pu_count(pm, "reply_count"), quotes = pu_count(pm, "quote_count"),
                impressions = pu_count(pm, "impression_count");
        struct jade_metric m[] = {{"like_count", likes},
                                  {"retweet_count", reposts},
                                  {"reply_count", replies},
                                  {"quote_count", quotes},
                                  {"impression_count", impressions},
                                  {"reach", impressions},
                                  {"engagement", likes + reposts + replies + quotes}};
        struct jade_result res = {.struct_size = sizeof res, .outcome = JADE_OUTCOME_SENT};
        json_decref(body);
        j->metrics.done(j->metrics.token, &res, m, sizeof m / sizeof *m);
        job_free(j);
        return;
    }
    json_decref(body);
    if (r->status == 200) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, "X's answer has no public_metrics");
        return;
    }
    if (common_failure(j, F_LOOKUP, r)) return;
    x_words(r, message, sizeof message);
    job_finish(j, r->status >= 500 ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_PERMANENT, NULL, 0,
               message);
}

/* The post's public metrics (GET /2/tweets/:id?tweet.fields=public_metrics),
 * within the account's limit on reading posts. Each reading is a read X
 * bills. */
static void x_metrics(void *instance, const struct jade_publication *pub, const char *network_id,
                      jade_metrics_cb done, void *token)
{
    struct pu_metrics_call *call = malloc(sizeof *call);
    if (!call) {
        pu_metrics_finish(done, token, JADE_OUTCOME_TRANSIENT, 0, "out of memory");
        return;
    }
    *call = (struct pu_metrics_call){done, token};
    /* job_start may answer at once, through the call: freed after. */
    struct job *j = job_start(instance, JOB_METRICS, pub, pu_metrics_failed, call);
    if (!j) {
        free(call);
        return;
    }
    j->metrics = *call;
    free(call);
    j->token = &j->metrics;
    if (!network_id || !*network_id || strspn(network_id, "0123456789") != strlen(network_id)) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, 0, "not a post id of X");
        return;
    }
    if (finish_if_held(j, F_LOOKUP)) return;
    char *url = url_of(j, "/2/tweets/%s?tweet.fields=public_metrics", network_id);
    if (!url)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, 0, "out of memory");
    else
        x_send(j, "GET", url, NULL, NULL, 0, metrics_cb);
    free(url);
}

/* ---- the plugin ------------------------------------------------------------- */

static int x_init(const struct jade_host *host, void **instance)
{
    struct x *x = calloc(1, sizeof *x);
    if (!x) return -1;
    x->host = host;
    *instance = x;
    return 0;
}

/* The core drops pending later() calls before fini: their jobs go here. */
static void x_fini(void *instance)
{
    struct x *x = instance;
    while (x->jobs) job_free(x->jobs);
    free(x->accounts);
    free(x);
}

static const char *const x_media_types[] = {
    "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/quicktime", NULL};

static const struct jade_plugin_limits x_limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .text_max = 280,
    .counting = JADE_COUNT_X_WEIGHTED,
    .media_max = 4,
    /* a video's; photos 5 MB, GIFs 15 MB (refused by publish) */
    .media_bytes_max = 512ull * 1000 * 1000,
    .media_types = x_media_types,
};

static const struct jade_plugin x_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "x",
    .description = N_("X API v2: posts with photos or a video, OAuth 1.0a user context"),
    .limits = &x_limits,
    .capabilities = JADE_CAP_DELETE | JADE_CAP_LOOKUP | JADE_CAP_METRICS,
    .rate_per_minute = 6, /* 100 posts per 15 minutes per user */
    .account_schema = "{\"type\": \"object\", \"required\": [\"user_id\"],"
                      " \"properties\": {\"user_id\": {\"type\": \"string\","
                      " \"pattern\": \"^[0-9]{1,20}$\"},"
                      " \"handle\": {\"type\": \"string\"}}}",
    .deadline_seconds = X_DEADLINE_SECONDS,
    .init = x_init,
    .publish = x_publish,
    .lookup = x_lookup,
    .remove = x_remove,
    .metrics = x_metrics,
    .fini = x_fini,
};

JADE_PLUGIN_EXPORT(x_plugin)
