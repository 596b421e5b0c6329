/* facebook.c - the facebook network: posts on a Facebook Page through the
 * Graph API, with the Page's token (the channel's secret), sent as
 * "Authorization: Bearer" so that nothing secret is in a URL.
 *
 * A text (and its link) is one POST /{page}/feed. One photo is one POST
 * /{page}/photos, the file streamed as the multipart "source", the text as
 * its caption. Several photos are each uploaded unpublished, then attached
 * to one feed post (attached_media). With photos the link goes at the end
 * of the text, as a photo post has no link of its own.
 *
 * The channel's account: {"page_id", "targeting"?, "feed_targeting"?}.
 * Both targeting objects are passed through unchanged: "targeting"
 * restricts the audience (the post is invisible outside the places it
 * names); "feed_targeting" only biases whose News Feed shows it.
 *
 * Outcomes (NETWORKS.md): 190 suspends the channel, with what a person must
 * do; 368 and the "posting too fast" subcodes back off; Business Use Case
 * throttling (80001) waits as X-Business-Use-Case-Usage says, app
 * throttling (4, 17, 32, 613) as X-App-Usage allows; a 5xx or no answer
 * once a post request has left may have published it (seen in the wild):
 * the Page's feed is read before saying anything, and what is not found
 * there is "unknown", never sent blindly again. Other refusals fail with
 * the network's words.
 *
 * Metrics: GET /{post}/insights?metric=NAME, one metric a request (a
 * retired one fails the whole request with (#100): it is dropped, and
 * remembered while the plugin runs), then GET /{post}?fields=shares,
 * comments.limit(0).summary(true); the same throttles hold it. */
#include "jade-plugin.h"

#include "../common/plugin-util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PUBLIC_BASE "https://graph.facebook.com"
#define DEFAULT_VERSION "v24.0"
#define TEXT_MAX 63206
#define MEDIA_MAX 10
/* Waits when Facebook says to slow down without saying how long. */
#define WAIT_ALREADY_POSTED 1800 /* 368: the Page is held back for a while */
#define WAIT_TOO_FAST 300        /* 1390008, 1366051: posting too fast */
#define WAIT_THROTTLED 600       /* throttled, no usage header that says more */
#define WAIT_APP_WINDOW 3600     /* X-App-Usage over 100%: its window is one hour */
#define WAIT_MIN 60
#define WAIT_LONGEST (7 * 86400)
/* A post is looked for from this long before it could have been made
 * (clocks differ). */
#define LOOKUP_SKEW 300
#define LOOKUP_PAGES 10
/* After a create that may have worked, the feed is read at once and again
 * this long after, before the post counts as not made. */
#define LOOKUP_SETTLE_MS 10000

struct job;

/* The insights metrics read by default, one request each: Facebook fails
 * a whole request for one retired metric (#100), so that one alone is
 * dropped. The setting "insights_metrics" (names, comma-separated)
 * replaces the list. */
#define DEFAULT_INSIGHTS                                                                           \
    "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks"
#define INSIGHTS_MAX 16

struct facebook {
    const struct jade_host *host;
    struct job *settling;         /* jobs waiting to read the feed again */
    char *insights[INSIGHTS_MAX]; /* the metrics to read */
    size_t n_insights;
    bool retired[INSIGHTS_MAX]; /* refused with (#100): not asked again while it runs */
};

enum step { STEP_FEED, STEP_PHOTO, STEP_UPLOAD, STEP_LOOKUP, STEP_DELETE };

/* One publish, lookup or remove, from its first request to done. Owns
 * copies of everything it needs: the core's strings may go before the
 * network answers. */
struct job {
    struct facebook *fb;
    jade_done_cb done;
    void *token;
    enum step step;
    char *auth;                       /* "Bearer <Page token>", wiped when freed */
    char *secret;                     /* the secret's name, for messages */
    char *page_id;                    /* digits */
    char *message;                    /* what the post says (the link appended, with photos) */
    char *link;                       /* without photos only */
    char *targeting, *feed_targeting; /* JSON text, or NULL */
    char **media, **alt;
    size_t n_media, n_uploaded;
    char **photo_ids;
    int64_t due;
    bool standalone_lookup; /* the core's lookup, not one after a create */
    char *why_unsure;       /* what the create got: 5xx, no answer */
    int64_t sent_at;        /* on our clock: when the create left */
    int64_t made_after;     /* on our clock: the post is not older */
    int pages_read;
    bool settled;     /* the feed was read again after LOOKUP_SETTLE_MS */
    struct job *next; /* in facebook.settling */
};

/* ---- small helpers ---------------------------------------------------- */

static void job_free(struct job *j)
{
    if (!j) return;
    pu_wipe_free(j->auth);
    free(j->secret);
    free(j->page_id);
    free(j->message);
    free(j->link);
    free(j->targeting);
    free(j->feed_targeting);
    for (size_t i = 0; i < j->n_media; i++) {
        free(j->media[i]);
        free(j->alt[i]);
    }
    for (size_t i = 0; i < j->n_uploaded; i++) free(j->photo_ids[i]);
    free(j->media);
    free(j->alt);
    free(j->photo_ids);
    free(j->why_unsure);
    free(j);
}

static void finish(struct job *j, enum jade_outcome outcome, const char *id, const char *url,
                   uint32_t wait, const char *message)
{
    pu_finish(j->done, j->token, outcome, id, url, wait, message);
    job_free(j);
}

/* A growing string. */
struct buf {
    char *s;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->s, cap);
        if (!grown) abort();
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* name=value&... with both percent-encoded, as a form body or a query. */
static void form_add(struct buf *b, const char *name, const char *value)
{
    if (!value) return;
    if (b->len) buf_add(b, "&", 1);
    for (int k = 0; k < 2; k++) {
        for (const unsigned char *p = (const unsigned char *)(k ? value : name); *p; p++) {
            char enc[4];
            if (isalnum(*p) || strchr("-._~", *p)) {
                buf_add(b, (const char *)p, 1);
            } else {
                snprintf(enc, sizeof enc, "%%%02X", *p);
                buf_add(b, enc, 3);
            }
        }
        if (!k) buf_add(b, "=", 1);
    }
}

static bool all_digits(const char *s, bool underscore)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !(underscore && *s == '_')) return false;
    return true;
}

/* Seconds since the epoch of "2026-12-01T10:00:00Z" or "...+0000", or -1. */
static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest) return -1;
    int64_t t = (int64_t)timegm(&tm);
    if (*rest == '.')
        while (isdigit((unsigned char)*++rest)) {
        }
    int sign = *rest == '+' ? -1 : *rest == '-' ? 1 : 0;
    if (sign) {
        int hh = 0, mm = 0;
        if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) < 1 && sscanf(rest + 1, "%2d%2d", &hh, &mm) < 1)
            return -1;
        t += sign * (hh * 3600 + mm * 60);
    }
    return t;
}

/* The text without leading and trailing white space, compared. */
static bool same_text(const char *a, const char *b)
{
    if (!a || !b) return false;
    while (isspace((unsigned char)*a)) a++;
    while (isspace((unsigned char)*b)) b++;
    size_t la = strlen(a), lb = strlen(b);
    while (la && isspace((unsigned char)a[la - 1])) la--;
    while (lb && isspace((unsigned char)b[lb - 1])) lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {{".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
                                           {".png", "image/png"},  {".gif", "image/gif"},
                                           {".bmp", "image/bmp"},  {".tif", "image/tiff"},
                                           {".tiff", "image/tiff"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i][0]) == 0) return types[i][1];
    return "application/octet-stream";
}

/* ---- what an answer means --------------------------------------------- */

struct verdict {
    enum jade_outcome outcome;
    long code, sub; /* Facebook's error code and subcode, or 0 */
    uint32_t wait;
    char message[600];
};

/* The longest estimated_time_to_regain_access in an
 * X-Business-Use-Case-Usage header ({"<id>": [{...}, ...]}, or one object
 * per id), in seconds (Facebook gives minutes; a fraction is rounded up to
 * the second), or -1 when there is none. */
static long buc_wait(const char *header)
{
    json_t *usage = header ? json_loads(header, 0, NULL) : NULL;
    double best = -1;
    const char *id;
    json_t *per_id;
    json_object_foreach (usage, id, per_id) {
        size_t n = json_is_array(per_id) ? json_array_size(per_id) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_is_array(per_id) ? json_array_get(per_id, i) : per_id;
            json_t *m = json_object_get(e, "estimated_time_to_regain_access");
            if (json_is_number(m) && json_number_value(m) > best) best = json_number_value(m);
        }
    }
    json_decref(usage);
    if (best < 0) return -1;
    if (best * 60 > WAIT_LONGEST) return WAIT_LONGEST;
    long seconds = (long)(best * 60);
    return seconds < best * 60 ? seconds + 1 : seconds;
}

/* The highest share (percent) in an X-App-Usage header, or -1. */
static double app_usage(const char *header)
{
    json_t *usage = header ? json_loads(header, 0, NULL) : NULL;
    double best = -1;
    const char *name;
    json_t *v;
    json_object_foreach (usage, name, v)
        if (json_is_number(v) && json_number_value(v) > best) best = json_number_value(v);
    json_decref(usage);
    return best;
}

/* How long a throttled account waits: the Business Use Case estimate when
 * the answer has one, else what X-App-Usage says, else a safe default. */
static uint32_t throttle_wait(const struct jade_http_response *r)
{
    long wait = buc_wait(pu_header(r, "X-Business-Use-Case-Usage"));
    if (wait > 0) return (uint32_t)wait;
    if (wait == 0) return WAIT_MIN;
    double share = app_usage(pu_header(r, "X-App-Usage"));
    return share >= 100 ? WAIT_APP_WINDOW : WAIT_THROTTLED;
}

static bool is_throttle(long code)
{
    return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80000 && code <= 80014);
}

/* What a refused or failed answer (not 2xx) means; secret names the
 * channel's secret, for what a person must do. A 5xx (or Facebook's own
 * "unknown"/"unexpected" errors, or a duplicate) is UNKNOWN: the caller
 * knows whether anything could have been published. */
static void classify(const struct jade_http_response *r, const char *secret, struct verdict *v)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *err = json_object_get(body, "error");
    long code = (long)json_integer_value(json_object_get(err, "code"));
    long sub = (long)json_integer_value(json_object_get(err, "error_subcode"));
    const char *said = json_string_value(json_object_get(err, "message"));
    const char *user = json_string_value(json_object_get(err, "error_user_msg"));
    const char *trace = json_string_value(json_object_get(err, "fbtrace_id"));
    bool transient = json_is_true(json_object_get(err, "is_transient"));
    /* The network's words; what a person must do comes first (the core
     * keeps 300 bytes of a message). */
    char words[300], codes[64] = "";
    if (sub)
        snprintf(codes, sizeof codes, " (#%ld/%ld)", code, sub);
    else if (code)
        snprintf(codes, sizeof codes, " (#%ld)", code);
    if (said)
        snprintf(words, sizeof words, "Facebook: %.140s%s%.80s%s%s%.24s", said, user ? ": " : "",
                 user ? user : "", codes, trace ? " fbtrace_id " : "", trace ? trace : "");
    else
        pu_http_message(r, NULL, words, sizeof words);
    v->wait = 0;
    v->code = code;
    v->sub = sub;
    if (code == 190 || code == 102) {
        v->outcome = JADE_OUTCOME_AUTH_FAILED;
        if (sub == 1404078 || sub == 4854002)
            snprintf(v->message, sizeof v->message,
                     _("A Page admin must log in to Facebook, pass its identity check or "
                       "re-authorise the app, then put a new Page token in secret \"%.40s\". %s"),
                     secret, words);
        else
            snprintf(v->message, sizeof v->message,
                     _("Page token invalid or expired (a password change or a lost Page role "
                       "ends it): put a new long-lived Page token in secret \"%.40s\". %s"),
                     secret, words);
    } else if (code == 10 || (code >= 200 && code <= 299)) {
        v->outcome = JADE_OUTCOME_AUTH_FAILED;
        snprintf(v->message, sizeof v->message,
                 _("The Page token lacks a permission: put one with pages_manage_posts and "
                   "pages_read_engagement in secret \"%.40s\". %s"),
                 secret, words);
    } else if (sub == 1390008 || sub == 1366051) {
        v->outcome = JADE_OUTCOME_RETRY_AFTER;
        v->wait = WAIT_TOO_FAST;
        snprintf(v->message, sizeof v->message, _("Posting too fast: waiting %u s. %s"), v->wait,
                 words);
    } else if (code == 368) {
        v->outcome = JADE_OUTCOME_RETRY_AFTER;
        v->wait = WAIT_ALREADY_POSTED;
        snprintf(v->message, sizeof v->message, _("Held back (already posted?): waiting %u s. %s"),
                 v->wait, words);
    } else if (is_throttle(code)) {
        v->outcome = JADE_OUTCOME_RETRY_AFTER;
        v->wait = throttle_wait(r);
        snprintf(v->message, sizeof v->message, _("Throttled: waiting %u s. %s"), v->wait, words);
    } else if (r->status == 429) {
        v->outcome = JADE_OUTCOME_RETRY_AFTER;
        v->wait = pu_retry_after(pu_header(r, "Retry-After"), 0, WAIT_THROTTLED);
        snprintf(v->message, sizeof v->message, "%s", words);
    } else if (r->status >= 500 || transient || code == 1 || code == 2 || code == 506) {
        /* 506, "Duplicate status message": the Page has this text already,
         * perhaps from this very publication */
        v->outcome = JADE_OUTCOME_UNKNOWN;
        snprintf(v->message, sizeof v->message, "%s", words);
    } else {
        v->outcome = JADE_OUTCOME_PERMANENT;
        snprintf(v->message, sizeof v->message, "%s", words);
    }
    json_decref(body);
}

/* ---- requests --------------------------------------------------------- */

static const char *setting_or(const struct jade_host *host, const char *name, const char *fallback)
{
    const char *v = host->setting(host->ctx, name);
    return v && *v ? v : fallback;
}

/* <api_base>/<graph version>/<path> */
static char *graph_url(const struct jade_host *host, const char *path)
{
    struct buf b = {0};
    buf_str(&b, pu_api_base(host, PUBLIC_BASE));
    while (b.len && b.s[b.len - 1] == '/') b.s[--b.len] = '\0';
    buf_str(&b, "/");
    buf_str(&b, setting_or(host, "graph_version", DEFAULT_VERSION));
    buf_str(&b, "/");
    buf_str(&b, path);
    return b.s;
}

static void response_cb(void *arg, const struct jade_http_response *r);

/* Starts a request of the job's current step; on failure to start, the
 * job is answered TRANSIENT (nothing left). */
static void send(struct job *j, const char *method, const char *url, const char *form,
                 const struct jade_http_part *parts, size_t n_parts)
{
    const struct jade_host *host = j->fb->host;
    struct jade_http_header headers[] = {
        {"Authorization", j->auth},
        {"Content-Type", "application/x-www-form-urlencoded"},
    };
    const char *timeout = host->setting(host->ctx, "timeout_ms");
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = method,
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = form ? 2 : 1,
                                    .body = form,
                                    .body_len = form ? strlen(form) : 0,
                                    .timeout_ms = timeout ? (uint32_t)atoi(timeout) : 0,
                                    .parts = parts,
                                    .n_parts = n_parts};
    j->sent_at = host->now(host->ctx);
    if (host->http(host->ctx, &req, response_cb, j) != 0)
        finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("the request could not be started"));
}

static void add_targeting(struct job *j, struct buf *form)
{
    form_add(form, "targeting", j->targeting);
    form_add(form, "feed_targeting", j->feed_targeting);
}

static void post_feed(struct job *j)
{
    char path[128];
    snprintf(path, sizeof path, "%s/feed?fields=id,permalink_url", j->page_id);
    char *url = graph_url(j->fb->host, path);
    struct buf form = {0};
    form_add(&form, "message", j->message);
    form_add(&form, "link", j->link);
    form_add(&form, "published", "true");
    add_targeting(j, &form);
    if (j->n_uploaded) {
        json_t *attached = json_array();
        for (size_t i = 0; i < j->n_uploaded; i++)
            json_array_append_new(attached, json_pack("{s:s}", "media_fbid", j->photo_ids[i]));
        char *text = json_dumps(attached, JSON_COMPACT);
        form_add(&form, "attached_media", text);
        free(text);
        json_decref(attached);
    }
    j->step = STEP_FEED;
    send(j, "POST", url, form.s, NULL, 0);
    free(form.s);
    free(url);
}

/* One photo: published with the caption (STEP_PHOTO), or the next of
 * several, unpublished (STEP_UPLOAD). */
static void post_photo(struct job *j, bool published)
{
    size_t i = published ? 0 : j->n_uploaded;
    char path[128];
    snprintf(path, sizeof path, "%s/photos", j->page_id);
    char *url = graph_url(j->fb->host, path);
    const char *slash = strrchr(j->media[i], '/');
    struct jade_http_part parts[6];
    size_t n = 0;
    parts[n++] = (struct jade_http_part){.name = "source",
                                         .file = j->media[i],
                                         .filename = slash ? slash + 1 : j->media[i],
                                         .content_type = content_type(j->media[i])};
    parts[n++] = (struct jade_http_part){
        .name = "published", .value = published ? "true" : "false", .value_len = published ? 4 : 5};
    if (j->alt[i])
        parts[n++] = (struct jade_http_part){
            .name = "alt_text_custom", .value = j->alt[i], .value_len = strlen(j->alt[i])};
    if (published) {
        parts[n++] = (struct jade_http_part){
            .name = "caption", .value = j->message, .value_len = strlen(j->message)};
        if (j->targeting)
            parts[n++] = (struct jade_http_part){
                .name = "targeting", .value = j->targeting, .value_len = strlen(j->targeting)};
        if (j->feed_targeting)
            parts[n++] = (struct jade_http_part){.name = "feed_targeting",
                                                 .value = j->feed_targeting,
                                                 .value_len = strlen(j->feed_targeting)};
    }
    j->step = published ? STEP_PHOTO : STEP_UPLOAD;
    send(j, "POST", url, NULL, parts, n);
    free(url);
}

/* Reads the Page's feed, newest first (or follows next), for the post. */
static void read_feed(struct job *j, const char *next)
{
    char *url;
    if (next) {
        url = strdup(next);
    } else {
        char path[192];
        snprintf(path, sizeof path,
                 "%s/feed?fields=id,message,created_time,permalink_url&limit=100", j->page_id);
        url = graph_url(j->fb->host, path);
    }
    j->step = STEP_LOOKUP;
    j->pages_read++;
    send(j, "GET", url, NULL, NULL, 0);
    free(url);
}

/* An answer's Date header on Facebook's clock, or -1. */
static int64_t answer_date(const struct jade_http_response *r)
{
    return pu_http_date(pu_header(r, "Date"));
}

/* The oldest created_time, on Facebook's clock, that the post can have:
 * as long before the answer's Date as made_after is before now on ours
 * (so that neither clock needs to be right), less LOOKUP_SKEW. */
static int64_t oldest_possible(const struct job *j, const struct jade_http_response *r)
{
    const struct jade_host *host = j->fb->host;
    int64_t date = answer_date(r), ago = host->now(host->ctx) - j->made_after;
    return (date >= 0 ? date - (ago > 0 ? ago : 0) : j->made_after) - LOOKUP_SKEW;
}

/* A create whose answer did not come, or said 5xx: the Page's feed says
 * whether it was published. */
static void unsure(struct job *j, const char *why)
{
    free(j->why_unsure);
    j->why_unsure = strdup(why);
    j->made_after = j->sent_at;
    read_feed(j, NULL);
}

static void settle_cb(void *arg)
{
    struct job *j = arg;
    for (struct job **p = &j->fb->settling; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    j->settled = true;
    j->pages_read = 0;
    read_feed(j, NULL);
}

/* ---- answers ---------------------------------------------------------- */

static void created(struct job *j, const struct jade_http_response *r)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    /* A published photo answers {"id": photo, "post_id": post}. */
    const char *id = json_string_value(json_object_get(body, "post_id"));
    if (!id) id = json_string_value(json_object_get(body, "id"));
    const char *url = json_string_value(json_object_get(body, "permalink_url"));
    if (!id) {
        json_decref(body);
        char message[200];
        snprintf(message, sizeof message, _("HTTP %ld without a post id: %.120s"), r->status,
                 r->body ? r->body : "");
        unsure(j, message);
        return;
    }
    char fallback[160];
    if (!url) snprintf(fallback, sizeof fallback, "https://www.facebook.com/%.100s", id);
    finish(j, JADE_OUTCOME_SENT, id, url ? url : fallback, 0, NULL);
    json_decref(body);
}

static void uploaded(struct job *j, const struct jade_http_response *r)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *id = json_string_value(json_object_get(body, "id"));
    if (!id) {
        json_decref(body);
        finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
               _("a photo's upload was answered without its id"));
        return;
    }
    j->photo_ids[j->n_uploaded++] = strdup(id);
    json_decref(body);
    if (j->n_uploaded < j->n_media)
        post_photo(j, false);
    else
        post_feed(j);
}

/* The feed's page: the post if it is there (its text, made since it
 * could have been), else the next page while it holds posts that recent,
 * else not found. */
static void looked(struct job *j, const struct jade_http_response *r)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *data = json_object_get(body, "data");
    json_t *post;
    size_t i;
    int64_t oldest = oldest_possible(j, r);
    bool older_seen = false;
    json_array_foreach (data, i, post) {
        int64_t at = parse_time(json_string_value(json_object_get(post, "created_time")));
        const char *id = json_string_value(json_object_get(post, "id"));
        if (at < oldest) older_seen = true;
        if (id && at >= oldest &&
            same_text(json_string_value(json_object_get(post, "message")), j->message)) {
            const char *url = json_string_value(json_object_get(post, "permalink_url"));
            char fallback[160];
            if (!url) snprintf(fallback, sizeof fallback, "https://www.facebook.com/%.100s", id);
            finish(j, JADE_OUTCOME_SENT, id, url ? url : fallback, 0, NULL);
            json_decref(body);
            return;
        }
    }
    /* Only pages of this Graph API: a link elsewhere is not followed. */
    const char *next = json_string_value(json_object_get(json_object_get(body, "paging"), "next"));
    const char *base = pu_api_base(j->fb->host, PUBLIC_BASE);
    if (next && !older_seen && j->pages_read < LOOKUP_PAGES &&
        strncmp(next, base, strlen(base)) == 0 &&
        (next[strlen(base)] == '/' || base[strlen(base) - 1] == '/')) {
        char *copy = strdup(next);
        json_decref(body);
        read_feed(j, copy);
        free(copy);
        return;
    }
    json_decref(body);
    const struct jade_host *host = j->fb->host;
    if (j->standalone_lookup) {
        finish(j, JADE_OUTCOME_NOT_FOUND, NULL, NULL, 0, NULL);
    } else if (!j->settled && JADE_HAS_MEMBER(host, struct jade_host, later) && host->later &&
               host->later(host->ctx, LOOKUP_SETTLE_MS, settle_cb, j) == 0) {
        j->next = j->fb->settling;
        j->fb->settling = j;
    } else {
        /* Read twice, some seconds apart: nothing was published. */
        char message[700];
        snprintf(message, sizeof message,
                 _("%s; the Page's feed does not show the post: not published, sent again"),
                 j->why_unsure);
        finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
    }
}

/* A failed look-up: the post stays unknown. Never RETRY_AFTER or
 * AUTH_FAILED here: the core would send the post again without looking. */
static void lookup_failed(struct job *j, const char *why)
{
    char message[900];
    if (j->standalone_lookup)
        snprintf(message, sizeof message, _("the Page's feed could not be read: %s"), why);
    else
        snprintf(message, sizeof message, _("%s; the Page's feed could not be read: %s"),
                 j->why_unsure, why);
    finish(j, j->standalone_lookup ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_UNKNOWN, NULL, NULL, 0,
           message);
}

static void response_cb(void *arg, const struct jade_http_response *r)
{
    struct job *j = arg;
    char message[700];
    if (r->transport_error) {
        snprintf(message, sizeof message, "%s",
                 r->error_message ? r->error_message : _("no answer"));
        if (j->step == STEP_LOOKUP)
            lookup_failed(j, message);
        else if ((j->step == STEP_FEED || j->step == STEP_PHOTO) &&
                 pu_transport_outcome(r) == JADE_OUTCOME_UNKNOWN)
            unsure(j, message);
        else /* nothing left, or an unpublished photo, or a delete: safe again */
            finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
        return;
    }
    if (r->status >= 200 && r->status < 300) {
        switch (j->step) {
        case STEP_FEED:
        case STEP_PHOTO:
            created(j, r);
            return;
        case STEP_UPLOAD:
            uploaded(j, r);
            return;
        case STEP_LOOKUP:
            looked(j, r);
            return;
        case STEP_DELETE:
            finish(j, JADE_OUTCOME_SENT, NULL, NULL, 0, NULL);
            return;
        }
    }
    struct verdict v;
    classify(r, j->secret, &v);
    if (j->step == STEP_LOOKUP) {
        lookup_failed(j, v.message);
    } else if (v.outcome == JADE_OUTCOME_UNKNOWN &&
               (j->step == STEP_FEED || j->step == STEP_PHOTO)) {
        unsure(j, v.message);
    } else if (v.outcome == JADE_OUTCOME_UNKNOWN) {
        /* an unpublished photo or a delete: nothing shows, repeat it */
        finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, v.message);
    } else if (j->step == STEP_DELETE && (r->status == 404 || (v.code == 100 && v.sub == 33))) {
        /* "Object with ID ... does not exist": gone already */
        finish(j, JADE_OUTCOME_NOT_FOUND, NULL, NULL, 0, v.message);
    } else {
        finish(j, v.outcome, NULL, NULL, v.wait, v.message);
    }
}

/* ---- the plugin's calls ----------------------------------------------- */

/* A job for pub, its token read and its account checked; NULL when done
 * was called already (with why). */
static struct job *job_new(struct facebook *fb, const struct jade_publication *pub,
                           jade_done_cb done, void *token)
{
    const struct jade_host *host = fb->host;
    json_t *account = pu_account(pub);
    const char *page_id = json_string_value(json_object_get(account, "page_id"));
    if (!all_digits(page_id, false) || strlen(page_id) > 40) {
        json_decref(account);
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("the channel's account has no \"page_id\" (the Page's numeric id)"));
        return NULL;
    }
    char secret[2048];
    int len =
        pub->secret_name ? host->secret(host->ctx, pub->secret_name, secret, sizeof secret) : -1;
    if (len <= 0) {
        json_decref(account);
        pu_finish(done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0,
                  _("no Page token: give the channel a \"secret\" holding a long-lived Page "
                    "token, in the secrets folder"));
        return NULL;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->fb = fb;
    j->done = done;
    j->token = token;
    size_t auth_len = (size_t)len + sizeof "Bearer ";
    j->auth = malloc(auth_len);
    if (!j->auth) abort();
    snprintf(j->auth, auth_len, "Bearer %s", secret);
    pu_wipe(secret);
    j->secret = strdup(pub->secret_name);
    j->page_id = strdup(page_id);
    json_t *t = json_object_get(account, "targeting");
    j->targeting = json_is_object(t) ? json_dumps(t, JSON_COMPACT) : NULL;
    t = json_object_get(account, "feed_targeting");
    j->feed_targeting = json_is_object(t) ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(account);
    j->due = parse_time(pub->due);
    if (j->due < 0) j->due = host->now(host->ctx);
    const char *text = pub->text ? pub->text : "";
    /* With photos the link goes in the text, unless the text has it. */
    if (pub->n_media && pub->link && *pub->link && !strstr(text, pub->link)) {
        struct buf b = {0};
        buf_str(&b, text);
        while (b.len && isspace((unsigned char)b.s[b.len - 1])) b.s[--b.len] = '\0';
        buf_str(&b, b.len ? "\n\n" : "");
        buf_str(&b, pub->link);
        j->message = b.s;
    } else {
        j->message = strdup(text);
        j->link = pub->n_media ? NULL : pu_strdup(pub->link && *pub->link ? pub->link : NULL);
    }
    j->n_media = pub->n_media;
    j->media = calloc(j->n_media + 1, sizeof *j->media);
    j->alt = calloc(j->n_media + 1, sizeof *j->alt);
    j->photo_ids = calloc(j->n_media + 1, sizeof *j->photo_ids);
    if (!j->media || !j->alt || !j->photo_ids) abort();
    bool has_alt = JADE_HAS_MEMBER(pub, struct jade_publication, media_alt) && pub->media_alt;
    for (size_t i = 0; i < j->n_media; i++) {
        j->media[i] = strdup(pub->media[i]);
        j->alt[i] = has_alt ? pu_strdup(pub->media_alt[i]) : NULL;
    }
    return j;
}

static void facebook_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                             void *token)
{
    if (pub->n_media > MEDIA_MAX) {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("more than 10 photos for one Facebook post"));
        return;
    }
    struct job *j = job_new(instance, pub, done, token);
    if (!j) return;
    if (j->n_media == 0)
        post_feed(j);
    else
        post_photo(j, j->n_media == 1);
}

static void facebook_lookup(void *instance, const struct jade_publication *pub, jade_done_cb done,
                            void *token)
{
    struct job *j = job_new(instance, pub, done, token);
    if (!j) return;
    j->standalone_lookup = true;
    j->made_after = j->due;
    if (!*j->message) {
        /* Nothing to recognise it by: it stays unknown, for a person. */
        finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
               _("a post without text cannot be recognised in the Page's feed"));
        return;
    }
    read_feed(j, NULL);
}

static void facebook_remove(void *instance, const struct jade_publication *pub,
                            const char *network_id, jade_done_cb done, void *token)
{
    if (!all_digits(network_id, true)) {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("not a Facebook post id (digits and \"_\")"));
        return;
    }
    struct job *j = job_new(instance, pub, done, token);
    if (!j) return;
    char *url = graph_url(j->fb->host, network_id);
    j->step = STEP_DELETE;
    send(j, "DELETE", url, NULL, NULL, 0);
    free(url);
}

/* ---- metrics --------------------------------------------------------------- */

/* A metrics call: each insights metric in turn, then the post's comments
 * and shares. */
struct metrics_job {
    struct facebook *fb;
    jade_metrics_cb done;
    void *token;
    char *auth, *secret, *post_id;
    size_t next; /* the insights metric asked for now */
    struct jade_metric got[INSIGHTS_MAX + 4];
    char *names[INSIGHTS_MAX + 4];
    size_t n_got;
};

static void metrics_free(struct metrics_job *m)
{
    pu_wipe_free(m->auth);
    free(m->secret);
    free(m->post_id);
    for (size_t i = 0; i < m->n_got; i++) free(m->names[i]);
    free(m);
}

static void metrics_fail(struct metrics_job *m, enum jade_outcome outcome, uint32_t wait,
                         const char *message)
{
    pu_metrics_finish(m->done, m->token, outcome, wait, message);
    metrics_free(m);
}

static void got(struct metrics_job *m, const char *name, int64_t value)
{
    if (m->n_got == sizeof m->got / sizeof *m->got) return;
    m->names[m->n_got] = strdup(name);
    m->got[m->n_got] = (struct jade_metric){m->names[m->n_got], value};
    if (m->names[m->n_got]) m->n_got++;
}

static int64_t value_of(struct metrics_job *m, const char *name)
{
    for (size_t i = 0; i < m->n_got; i++)
        if (!strcmp(m->got[i].name, name)) return m->got[i].value;
    return -1;
}

static void metrics_get(struct metrics_job *m, const char *path, jade_http_cb cb)
{
    const struct jade_host *host = m->fb->host;
    char *url = graph_url(host, path);
    struct jade_http_header headers[] = {{"Authorization", m->auth}};
    struct jade_http_request req = {
        .struct_size = sizeof req, .method = "GET", .url = url, .headers = headers, .n_headers = 1};
    int rc = url ? host->http(host->ctx, &req, cb, m) : -1;
    free(url);
    if (rc != 0) metrics_fail(m, JADE_OUTCOME_TRANSIENT, 0, "the request could not be started");
}

/* A failed read: as publish's answers say (throttles wait, a token
 * refused...); a 5xx or Facebook's "unknown" is only tried again. */
static void metrics_refused(struct metrics_job *m, const struct jade_http_response *r)
{
    if (r->transport_error) {
        metrics_fail(m, JADE_OUTCOME_TRANSIENT, 0,
                     r->error_message ? r->error_message : "no answer");
        return;
    }
    struct verdict v;
    classify(r, m->secret, &v);
    if (r->status == 404 || (v.code == 100 && v.sub == 33))
        v.outcome = JADE_OUTCOME_NOT_FOUND; /* "Object with ID ... does not exist" */
    if (v.outcome == JADE_OUTCOME_UNKNOWN) v.outcome = JADE_OUTCOME_TRANSIENT;
    metrics_fail(m, v.outcome, v.wait, v.message);
}

static void fields_cb(void *arg, const struct jade_http_response *r)
{
    struct metrics_job *m = arg;
    if (r->transport_error || r->status < 200 || r->status >= 300) {
        metrics_refused(m, r);
        return;
    }
    json_t *post = json_loads(r->body ? r->body : "", 0, NULL);
    int64_t shares = pu_count(json_object_get(post, "shares"), "count");
    int64_t comments =
        pu_count(json_object_get(json_object_get(post, "comments"), "summary"), "total_count");
    json_decref(post);
    got(m, "comments", comments);
    got(m, "shares", shares);
    int64_t reach = value_of(m, "post_total_media_view_unique");
    int64_t reactions = value_of(m, "post_reactions_by_type_total");
    if (reach >= 0) got(m, "reach", reach);
    got(m, "engagement", (reactions > 0 ? reactions : 0) + comments + shares);
    struct jade_result res = {.struct_size = sizeof res, .outcome = JADE_OUTCOME_SENT};
    m->done(m->token, &res, m->got, m->n_got);
    metrics_free(m);
}

static void insights_next(struct metrics_job *m);

/* One metric's answer: {"data":[{"name","period","values":[{"value"}]}]};
 * the value is a number, or an object of numbers (reactions by type),
 * summed. */
static void insights_cb(void *arg, const struct jade_http_response *r)
{
    struct metrics_job *m = arg;
    struct facebook *fb = m->fb;
    const char *name = fb->insights[m->next];
    if (!r->transport_error && (r->status < 200 || r->status >= 300)) {
        struct verdict v;
        classify(r, m->secret, &v);
        if (v.code == 100 && v.sub != 33 && r->body && strstr(r->body, "metric")) {
            fb->retired[m->next] = true;
            char said[800];
            snprintf(said, sizeof said,
                     "Facebook no longer has the insights metric %s (%s): not asked again until "
                     "the service restarts; set networks.facebook.insights_metrics without it",
                     name, v.message);
            fb->host->log(fb->host->ctx, JADE_LOG_WARNING, said);
            m->next++;
            insights_next(m);
            return;
        }
    }
    if (r->transport_error || r->status < 200 || r->status >= 300) {
        metrics_refused(m, r);
        return;
    }
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *values = json_object_get(json_array_get(json_object_get(body, "data"), 0), "values");
    json_t *value = json_object_get(json_array_get(values, json_array_size(values) - 1), "value");
    int64_t total = 0;
    if (json_is_integer(value)) total = (int64_t)json_integer_value(value);
    const char *kind;
    json_t *count;
    json_object_foreach (value, kind, count)
        if (json_is_integer(count)) total += (int64_t)json_integer_value(count);
    json_decref(body);
    got(m, name, total);
    m->next++;
    insights_next(m);
}

static void insights_next(struct metrics_job *m)
{
    struct facebook *fb = m->fb;
    while (m->next < fb->n_insights && fb->retired[m->next]) m->next++;
    char path[512];
    if (m->next < fb->n_insights) {
        snprintf(path, sizeof path, "%s/insights?metric=%s", m->post_id, fb->insights[m->next]);
        metrics_get(m, path, insights_cb);
        return;
    }
    snprintf(path, sizeof path, "%s?fields=shares,comments.limit(0).summary(true)", m->post_id);
    metrics_get(m, path, fields_cb);
}

static void facebook_metrics(void *instance, const struct jade_publication *pub,
                             const char *network_id, jade_metrics_cb done, void *token)
{
    struct facebook *fb = instance;
    const struct jade_host *host = fb->host;
    if (!all_digits(network_id, true) || strlen(network_id) > 100) {
        pu_metrics_finish(done, token, JADE_OUTCOME_PERMANENT, 0,
                          "not a Facebook post id (digits and \"_\")");
        return;
    }
    char secret[2048];
    int len =
        pub->secret_name ? host->secret(host->ctx, pub->secret_name, secret, sizeof secret) : -1;
    if (len <= 0) {
        pu_metrics_finish(done, token, JADE_OUTCOME_AUTH_FAILED, 0,
                          "no Page token: give the channel a \"secret\"");
        return;
    }
    struct metrics_job *m = calloc(1, sizeof *m);
    if (!m) abort();
    *m = (struct metrics_job){.fb = fb, .done = done, .token = token};
    size_t auth_len = (size_t)len + sizeof "Bearer ";
    m->auth = malloc(auth_len);
    if (!m->auth) abort();
    snprintf(m->auth, auth_len, "Bearer %s", secret);
    pu_wipe(secret);
    m->secret = strdup(pub->secret_name);
    m->post_id = strdup(network_id);
    if (!m->secret || !m->post_id) abort();
    insights_next(m);
}

static int facebook_init(const struct jade_host *host, void **instance)
{
    struct facebook *fb = calloc(1, sizeof *fb);
    if (!fb) return -1;
    fb->host = host;
    const char *list = host->setting(host->ctx, "insights_metrics");
    char *names = strdup(list ? list : DEFAULT_INSIGHTS), *save = NULL;
    if (!names) abort();
    for (char *n = strtok_r(names, ", ", &save); n && fb->n_insights < INSIGHTS_MAX;
         n = strtok_r(NULL, ", ", &save)) {
        bool fits = true;
        for (const char *c = n; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_') fits = false;
        if (fits) fb->insights[fb->n_insights++] = strdup(n);
    }
    free(names);
    *instance = fb;
    return 0;
}

static void facebook_fini(void *instance)
{
    struct facebook *fb = instance;
    /* the host drops pending later() calls when it stops a plugin */
    while (fb->settling) {
        struct job *j = fb->settling;
        fb->settling = j->next;
        job_free(j);
    }
    for (size_t i = 0; i < fb->n_insights; i++) free(fb->insights[i]);
    free(fb);
}

static const char *const photo_types[] = {"image/jpeg", "image/png",  "image/gif",
                                          "image/bmp",  "image/tiff", NULL};

static const struct jade_plugin_limits facebook_limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .text_max = TEXT_MAX,
    .counting = JADE_COUNT_UTF16,
    .caption_max = TEXT_MAX,
    .media_max = MEDIA_MAX,
    .media_bytes_max = 10u << 20, /* a Page photo */
    .media_types = photo_types,
};

static const struct jade_plugin facebook_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "facebook",
    .description = N_("posts on a Facebook Page (Graph API): text, link, photos, region targeting"),
    .limits = &facebook_limits,
    .capabilities = JADE_CAP_DELETE | JADE_CAP_LOOKUP | JADE_CAP_GEO_TARGETING | JADE_CAP_METRICS,
    .account_schema =
        "{\"type\": \"object\", \"required\": [\"page_id\"],"
        " \"properties\": {\"page_id\": {\"type\": \"string\", \"pattern\": \"^[0-9]+$\"},"
        " \"targeting\": {\"type\": \"object\"}, \"feed_targeting\": {\"type\": \"object\"}}}",
    /* ten photo uploads, then the post, then perhaps a look-up */
    .deadline_seconds = 600,
    .init = facebook_init,
    .publish = facebook_publish,
    .lookup = facebook_lookup,
    .metrics = facebook_metrics,
    .remove = facebook_remove,
    .fini = facebook_fini,
};

JADE_PLUGIN_EXPORT(facebook_plugin)
