/* mastodon.c - the mastodon network: a status on the channel's instance,
 * with its photos or videos.
 *
 * The channel's account names its instance ({"instance": "https://…"}); the
 * token is the channel's secret, sent as a Bearer token to that instance
 * only (the operator's bindings say which instances a secret may reach:
 * the instance is a URL the core judges against them). There is no
 * api_base setting: the instance judged is the one the token goes to (in
 * tests, the fake's address is the instance).
 *
 * Media are uploaded first (POST /api/v2/media, the alt text as their
 * description), polled until the instance has processed them, then the
 * status is posted (POST /api/v1/statuses) with the occurrence key as its
 * Idempotency-Key: a 5xx or no answer is sent again safely. The instance
 * keeps a key one hour only: a re-send more than KEY_SAFE_SECONDS after a
 * request that may have posted it is not sent but answered UNKNOWN, so
 * that a person checks. Such requests are remembered while the plugin
 * runs; for what came before it started, the due time stands for the
 * earliest request (none goes out before it). A re-send after answers that
 * posted nothing (a 429, a 422, the plugin's own waits) goes however late.
 *
 * Metrics: GET /api/v1/statuses/:id gives the status's favourites,
 * boosts and replies (no views: no reach). A 429 on such a read holds
 * reads only, so a reading never holds a publication back: the
 * publication's own request finds out whether the account is spent.
 *
 * Rate limits: a 429 stops every request to the account until its
 * X-RateLimit-Reset; an answer saying X-RateLimit-Remaining: 0 stops that
 * family of requests (statuses: the 300 per 3 hours; media; deletions) until
 * then. A publish that would need a stopped family answers RETRY_AFTER
 * without sending anything. Waits are counted from the answer's Date, the
 * instance's own clock, so that a clock apart from it (or a simulated one)
 * still waits as long as the instance means. */
#include "jade-plugin.h"
#include "../common/plugin-util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The instance keeps an Idempotency-Key for an hour: re-sends stay well
 * within it. */
#define KEY_SAFE_SECONDS (50 * 60)
#define DEADLINE_SECONDS 600
/* Time kept, within the deadline, for posting the status once media are ready. */
#define POST_MARGIN_SECONDS 60
#define POLL_FIRST_MS 1000
#define POLL_MAX_MS 5000
#define TOKEN_MAX 1024

/* The families of requests an instance limits apart. */
enum family { FAMILY_ALL, FAMILY_STATUSES, FAMILY_MEDIA, FAMILY_DELETE, FAMILY_READS, N_FAMILIES };

/* What an account (an instance and a token) told us to wait for. */
struct account {
    char *id; /* base URL, a line end, the secret's name */
    int64_t until[N_FAMILIES];
    struct account *next;
};

struct publish_job;

/* A status request that may have posted, with no answer saying so (a 5xx,
 * no answer): when it left. */
struct maybe_posted {
    char *key;
    int64_t at;
    struct maybe_posted *next;
};

struct mastodon {
    const struct jade_host *host;
    int64_t started; /* host->now at init */
    struct maybe_posted *maybe_posted;
    struct account *accounts;
    struct publish_job *jobs; /* publishes in progress, freed by fini if stopped */
};

struct publish_job {
    struct mastodon *m;
    struct account *account;
    jade_done_cb done;
    void *token;
    char *base, *auth, *key, *body_text, *lang, *visibility, *secret_name;
    char **media, **alt;
    size_t n_media, next_media;
    json_t *media_ids;
    char *polling; /* the medium being polled */
    uint32_t poll_ms;
    int64_t give_up_at;
    int64_t posted_at; /* when the status request left */
    int waiting;       /* a later() call is pending */
    struct publish_job *prev, *next;
};

struct remove_job {
    struct account *account;
    char secret_name[256];
    const struct jade_host *host;
    jade_done_cb done;
    void *token;
};

static const char *family_name(enum family f)
{
    switch (f) {
    case FAMILY_STATUSES:
        return _("statuses");
    case FAMILY_MEDIA:
        return _("media");
    case FAMILY_DELETE:
        return _("deletions");
    case FAMILY_READS:
        return _("reads of statuses");
    default:
        return _("requests");
    }
}

/* ---- time -------------------------------------------------------------- */

/* Seconds since the epoch of an ISO 8601 time in UTC ("2026-12-01T03:00:00.123456Z",
 * or "+00:00"), rounded up to the next second; -1 when it does not parse. */
static int64_t iso8601_ceil(const char *value)
{
    if (!value) return -1;
    struct tm tm = {0};
    const char *rest = strptime(value, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return -1;
    int64_t at = (int64_t)timegm(&tm);
    int fraction = 0;
    if (*rest == '.') {
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            if (*rest != '0') fraction = 1;
    }
    if (*rest != 'Z' && strcmp(rest, "+00:00") != 0 && *rest != '\0') return -1;
    return at + fraction;
}

/* An HTTP date ("Tue, 01 Dec 2026 03:05:33 GMT") as seconds since the
 * epoch, read without the locale; -1 when it does not parse. */
/* ---- accounts and their limits ---------------------------------------- */

static struct account *account_for(struct mastodon *m, const char *base, const char *secret_name)
{
    size_t n = strlen(base) + strlen(secret_name) + 2;
    char *id = malloc(n);
    if (!id) return NULL;
    snprintf(id, n, "%s\n%s", base, secret_name);
    for (struct account *a = m->accounts; a; a = a->next)
        if (!strcmp(a->id, id)) {
            free(id);
            return a;
        }
    struct account *a = calloc(1, sizeof *a);
    if (!a) {
        free(id);
        return NULL;
    }
    a->id = id;
    a->next = m->accounts;
    m->accounts = a;
    return a;
}

/* Seconds the account must still wait before a request of family f. */
static int64_t wait_for(const struct account *a, enum family f, int64_t now)
{
    int64_t until = a->until[FAMILY_ALL] > a->until[f] ? a->until[FAMILY_ALL] : a->until[f];
    return until > now ? until - now : 0;
}

/* Reads the rate headers of an answer to a request of family f: a 429 stops
 * the whole account until the reset; a last request allowed stops its
 * family. Returns the seconds to wait from now (0: none). The wait runs
 * from the answer's Date (whole seconds: never later than the instance's
 * clock), a second more for our own whole-second clock. */
static int64_t note_limits(struct account *a, enum family f, const struct jade_http_response *r,
                           int64_t now)
{
    int64_t answered = pu_http_date(pu_header(r, "Date"));
    if (answered < 0) answered = now;
    int64_t reset = iso8601_ceil(pu_header(r, "X-RateLimit-Reset"));
    int64_t wait = reset >= 0 ? reset - answered + 1 : -1;
    if (r->status == 429) {
        if (wait < 0) wait = pu_retry_after(pu_header(r, "Retry-After"), answered, 60);
        if (wait < 1) wait = 1;
        /* A read refused holds reads only: a publication finds out for itself. */
        enum family held = f == FAMILY_READS ? FAMILY_READS : FAMILY_ALL;
        if (now + wait > a->until[held]) a->until[held] = now + wait;
        return wait;
    }
    const char *remaining = pu_header(r, "X-RateLimit-Remaining");
    if (remaining && atol(remaining) <= 0 && remaining[0] >= '0' && remaining[0] <= '9' &&
        wait > 0) {
        if (now + wait > a->until[f]) a->until[f] = now + wait;
        return wait;
    }
    return 0;
}

/* ---- answering ---------------------------------------------------------- */

/* The "error" an instance gives, or NULL. */
static const char *error_of(json_t *body)
{
    return json_string_value(json_object_get(body, "error"));
}

/* Answers a failed request (not a success) as its status says. */
static void answer_failure(const struct jade_host *host, struct account *a, enum family f,
                           const struct jade_http_response *r, const char *secret_name,
                           jade_done_cb done, void *token)
{
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *said = error_of(body);
    char message[1024], words[600];
    pu_http_message(r, said, words, sizeof words);
    int64_t now = host->now(host->ctx);
    if (r->status == 429) {
        int64_t wait = note_limits(a, f, r, now);
        snprintf(message, sizeof message, _("%s (the instance limits %s: waiting %lld s)"), words,
                 family_name(f), (long long)wait);
        pu_finish(done, token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL, (uint32_t)wait, message);
    } else if (r->status == 401 || r->status == 403) {
        snprintf(message, sizeof message,
                 _("%s: the instance refused the access token; create a new one in the account's "
                   "Preferences > Development (scopes write:statuses and write:media), write it "
                   "into the secret \"%s\" and resume the channel"),
                 words, secret_name ? secret_name : "");
        pu_finish(done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0, message);
    } else if (r->status == 408 || r->status >= 500) {
        snprintf(message, sizeof message, _("%s (sent again with the same Idempotency-Key)"),
                 words);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
    } else if (r->status == 422 && said && strstr(said, "not finished processing")) {
        /* Nothing was posted: the media will be ready later. */
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, words);
    } else {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, words);
    }
    json_decref(body);
}

static void transport_failure(const struct jade_http_response *r, jade_done_cb done, void *token)
{
    char message[512];
    snprintf(message, sizeof message, "%s%s",
             r->error_message ? r->error_message : _("no answer from the instance"),
             r->request_sent ? _(" (the request left: sent again with the same Idempotency-Key)")
                             : "");
    pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
}

/* ---- the key's hour -------------------------------------------------------- */

static struct maybe_posted **maybe_posted_find(struct mastodon *m, const char *key)
{
    struct maybe_posted **p = &m->maybe_posted;
    while (*p && strcmp((*p)->key, key)) p = &(*p)->next;
    return p;
}

/* A status request for key left at `at` and may have posted. */
static void note_maybe_posted(struct mastodon *m, const char *key, int64_t at)
{
    struct maybe_posted **p = maybe_posted_find(m, key);
    if (*p) return; /* the earliest counts */
    struct maybe_posted *e = calloc(1, sizeof *e);
    if (e) e->key = strdup(key);
    if (!e || !e->key) {
        free(e);
        return; /* then the due time stands for it, as after a restart */
    }
    e->at = at;
    e->next = m->maybe_posted;
    m->maybe_posted = e;
}

static void forget_maybe_posted(struct mastodon *m, const char *key)
{
    struct maybe_posted **p = maybe_posted_find(m, key);
    struct maybe_posted *e = *p;
    if (!e) return;
    *p = e->next;
    free(e->key);
    free(e);
}

/* Whether attempt `attempt` of key may go with the same Idempotency-Key:
 * no earlier request that may have posted it is more than
 * KEY_SAFE_SECONDS old. */
static int resend_safe(struct mastodon *m, const char *key, uint32_t attempt, int64_t due,
                       int64_t now)
{
    if (attempt <= 1) return 1;
    int64_t earliest = -1;
    /* Attempts before the plugin started are unknown: the first went out
     * at the due time at the earliest. */
    if (due < 0) return 0;
    if (m->started > due) earliest = due;
    struct maybe_posted *e = *maybe_posted_find(m, key);
    if (e && (earliest < 0 || e->at < earliest)) earliest = e->at;
    return earliest < 0 || now - earliest <= KEY_SAFE_SECONDS;
}

/* ---- publishing ---------------------------------------------------------- */

static void job_free(struct publish_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (j->m->jobs == j)
        j->m->jobs = j->next;
    if (j->next) j->next->prev = j->prev;
    pu_wipe_free(j->auth);
    free(j->base);
    free(j->key);
    free(j->body_text);
    free(j->lang);
    free(j->visibility);
    free(j->secret_name);
    for (size_t i = 0; i < j->n_media; i++) {
        free(j->media[i]);
        free(j->alt[i]);
    }
    free(j->media);
    free(j->alt);
    free(j->polling);
    json_decref(j->media_ids);
    free(j);
}

static void job_finish(struct publish_job *j, enum jade_outcome outcome, const char *id,
                       const char *url, uint32_t retry_after, const char *message)
{
    jade_done_cb done = j->done;
    void *token = j->token;
    job_free(j);
    pu_finish(done, token, outcome, id, url, retry_after, message);
}

/* Frees the job, then answers its failed request (not a success) as the
 * status says. */
static void job_failed(struct publish_job *j, enum family f, const struct jade_http_response *r)
{
    jade_done_cb done = j->done;
    void *token = j->token;
    struct account *a = j->account;
    const struct jade_host *host = j->m->host;
    char secret_name[256];
    snprintf(secret_name, sizeof secret_name, "%s", j->secret_name);
    job_free(j);
    answer_failure(host, a, f, r, secret_name, done, token);
}

static int start(struct publish_job *j, const char *method, const char *path, const char *body,
                 const struct jade_http_part *parts, size_t n_parts, jade_http_cb cb)
{
    const struct jade_host *host = j->m->host;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", j->base, path);
    struct jade_http_header headers[3] = {{"Authorization", j->auth},
                                          {"Idempotency-Key", j->key},
                                          {"Content-Type", "application/json"}};
    size_t n_headers = 1;
    if (body) n_headers = 3;
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = method,
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = n_headers,
                                    .body = body,
                                    .body_len = body ? strlen(body) : 0,
                                    .parts = parts,
                                    .n_parts = n_parts};
    return host->http(host->ctx, &req, cb, j);
}

static void post_status(struct publish_job *j);
static void upload_next(struct publish_job *j);
static void poll_media(void *arg);

static void status_cb(void *arg, const struct jade_http_response *r)
{
    struct publish_job *j = arg;
    if ((r->transport_error && r->request_sent) ||
        (!r->transport_error && (r->status == 408 || r->status >= 500)))
        note_maybe_posted(j->m, j->key, j->posted_at);
    if (r->transport_error) {
        jade_done_cb done = j->done;
        void *token = j->token;
        job_free(j);
        transport_failure(r, done, token);
        return;
    }
    if (r->status < 200 || r->status >= 300) {
        job_failed(j, FAMILY_STATUSES, r);
        return;
    }
    note_limits(j->account, FAMILY_STATUSES, r, j->m->host->now(j->m->host->ctx));
    forget_maybe_posted(j->m, j->key);
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    json_t *id = json_object_get(body, "id");
    char number[32];
    const char *id_text = json_string_value(id);
    if (!id_text && json_is_integer(id)) {
        snprintf(number, sizeof number, "%lld", (long long)json_integer_value(id));
        id_text = number;
    }
    if (id_text)
        job_finish(j, JADE_OUTCOME_SENT, id_text, json_string_value(json_object_get(body, "url")),
                   0, NULL);
    else /* posted, but its id is not known: it must not be posted again blindly */
        job_finish(j, JADE_OUTCOME_UNKNOWN, NULL, NULL, 0,
                   _("the instance answered without the status's id"));
    json_decref(body);
}

static void post_status(struct publish_job *j)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "status", j->body_text, "visibility", j->visibility,
                          "language", j->lang);
    if (o && json_array_size(j->media_ids)) json_object_set(o, "media_ids", j->media_ids);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) {
        job_finish(j, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, _("the status could not be written"));
        return;
    }
    j->posted_at = j->m->host->now(j->m->host->ctx);
    int rc = start(j, "POST", "/api/v1/statuses", body, NULL, 0, status_cb);
    free(body);
    if (rc != 0)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("the request could not be started"));
}

/* A medium is ready: on to the next, or to the status. */
static void media_ready(struct publish_job *j, const char *id)
{
    json_array_append_new(j->media_ids, json_string(id));
    free(j->polling);
    j->polling = NULL;
    j->next_media++;
    if (j->next_media < j->n_media)
        upload_next(j);
    else
        post_status(j);
}

/* Polls again later, unless that would pass the deadline. */
static void poll_later(struct publish_job *j)
{
    const struct jade_host *host = j->m->host;
    if (host->now(host->ctx) + (int64_t)(j->poll_ms / 1000) + 1 > j->give_up_at) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
                   _("the instance was still processing the media when time ran out: nothing "
                     "was posted"));
        return;
    }
    if (host->later(host->ctx, j->poll_ms, poll_media, j) != 0) {
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("the media could not be polled"));
        return;
    }
    j->waiting = 1;
    j->poll_ms = j->poll_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : j->poll_ms * 2;
}

/* Answers to an upload (200 ready, 202 processing) and to a poll (200
 * ready, 206 processing, 422 failed). */
static void media_cb(void *arg, const struct jade_http_response *r)
{
    struct publish_job *j = arg;
    enum family f = j->polling ? FAMILY_ALL : FAMILY_MEDIA;
    if (r->transport_error) {
        jade_done_cb done = j->done;
        void *token = j->token;
        job_free(j);
        /* Nothing was posted yet: an upload sent again is an unused medium, no more. */
        char message[512];
        snprintf(message, sizeof message, "media: %s",
                 r->error_message ? r->error_message : _("no answer from the instance"));
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
        return;
    }
    if (r->status != 200 && r->status != 202 && r->status != 206) {
        if (r->status == 422 || r->status == 404) {
            /* the instance could not process it: the medium is refused */
            json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
            char words[600];
            pu_http_message(r, error_of(body), words, sizeof words);
            json_decref(body);
            job_finish(j, r->status == 422 ? JADE_OUTCOME_PERMANENT : JADE_OUTCOME_TRANSIENT, NULL,
                       NULL, 0, words);
        } else {
            job_failed(j, f, r);
        }
        return;
    }
    note_limits(j->account, f, r, j->m->host->now(j->m->host->ctx));
    json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
    const char *id = json_string_value(json_object_get(body, "id"));
    int ready = r->status == 200 && json_string_value(json_object_get(body, "url"));
    if (!id && j->polling) id = j->polling;
    if (!id) {
        json_decref(body);
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
                   _("the instance answered the upload without the medium's id"));
        return;
    }
    if (ready) {
        media_ready(j, id);
    } else {
        if (!j->polling) j->polling = strdup(id);
        if (!j->polling)
            job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        else
            poll_later(j);
    }
    json_decref(body);
}

static void poll_media(void *arg)
{
    struct publish_job *j = arg;
    j->waiting = 0;
    char path[512];
    snprintf(path, sizeof path, "/api/v1/media/%s", j->polling);
    if (start(j, "GET", path, NULL, NULL, 0, media_cb) != 0)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("the request could not be started"));
}

static void upload_next(struct publish_job *j)
{
    j->poll_ms = POLL_FIRST_MS;
    const char *path = j->media[j->next_media];
    const char *slash = strrchr(path, '/');
    struct jade_http_part parts[2] = {
        {.name = "file", .file = path, .filename = slash ? slash + 1 : path},
        {.name = "description"},
    };
    size_t n_parts = 1;
    const char *alt = j->alt[j->next_media];
    if (alt && *alt) {
        parts[1].value = alt;
        parts[1].value_len = strlen(alt);
        n_parts = 2;
    }
    if (start(j, "POST", "/api/v2/media", NULL, parts, n_parts, media_cb) != 0)
        job_finish(j, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("the request could not be started"));
}

/* The instance's base URL: the account's instance, which must be an origin (scheme, host, port) and
 * nothing more, so that the core judges it against the secret's binding. NULL (and why) when there
 * is none. */
static char *base_of(json_t *account, const char **why)
{
    const char *base = json_string_value(json_object_get(account, "instance"));
    *why = NULL;
    if (!base) {
        *why = _("the channel's account names no instance (\"instance\": \"https://…\")");
        return NULL;
    }
    const char *host_part = !strncmp(base, "https://", 8)  ? base + 8
                            : !strncmp(base, "http://", 7) ? base + 7
                                                           : NULL;
    size_t n = strlen(base);
    if (n && base[n - 1] == '/') n--;
    if (!host_part || !*host_part ||
        strcspn(host_part, "/?#@ \t\r\n\\") < n - (size_t)(host_part - base)) {
        *why = _("the channel's instance must be https://host (or http://host:port), with no path");
        return NULL;
    }
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, base, n);
        copy[n] = '\0';
    }
    return copy;
}

static int64_t parse_due(const char *due)
{
    struct tm tm = {0};
    const char *rest = due ? strptime(due, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    return rest ? (int64_t)timegm(&tm) : -1;
}

static char *text_with_link(const struct jade_publication *pub)
{
    const char *text = pub->text ? pub->text : "";
    const char *link = pub->link;
    if (!link || !*link || strstr(text, link)) return strdup(text);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) n--;
    size_t size = n + strlen(link) + 3;
    char *out = malloc(size);
    if (out) snprintf(out, size, "%.*s%s%s", (int)n, text, n ? "\n\n" : "", link);
    return out;
}

/* The account's instance (its base URL, to free), or NULL after finishing
 * the job with why not. */
static char *instance_of(const struct jade_publication *pub, jade_done_cb done, void *token)
{
    json_t *account_json = pu_account(pub);
    const char *why;
    char *base = base_of(account_json, &why);
    json_decref(account_json);
    if (!base) pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, why);
    return base;
}

/* The access token into secret (TOKEN_MAX bytes); -1 after freeing base and
 * finishing the job: no token, the channel is suspended. */
static int read_token(const struct jade_host *host, const struct jade_publication *pub,
                      char *secret, char *base, jade_done_cb done, void *token)
{
    if (pub->secret_name && host->secret(host->ctx, pub->secret_name, secret, TOKEN_MAX) >= 0)
        return 0;
    free(base);
    pu_finish(done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0,
              _("no access token: give the channel a \"secret\" whose file in the secrets "
                "folder holds the application's access token"));
    return -1;
}

static void mastodon_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                             void *token)
{
    struct mastodon *m = instance;
    const struct jade_host *host = m->host;
    char *base = instance_of(pub, done, token);
    if (!base) return;
    const char *visibility = host->setting(host->ctx, "visibility");
    if (!visibility || !*visibility) visibility = "public";
    if (strcmp(visibility, "public") && strcmp(visibility, "unlisted") &&
        strcmp(visibility, "private") && strcmp(visibility, "direct")) {
        free(base);
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("the mastodon network's setting \"visibility\" must be public, unlisted, "
                    "private or direct"));
        return;
    }
    char secret[TOKEN_MAX];
    if (read_token(host, pub, secret, base, done, token) < 0) return;
    int64_t now = host->now(host->ctx);
    int64_t due = parse_due(pub->due);
    if (!resend_safe(m, pub->key ? pub->key : "", pub->attempt, due, now)) {
        /* An earlier attempt may have posted it more than an hour ago: the
         * instance has forgotten its key, and a re-send could post it twice. */
        memset(secret, 0, sizeof secret);
        free(base);
        pu_finish(done, token, JADE_OUTCOME_UNKNOWN, NULL, NULL, 0,
                  _("not sent again: an earlier attempt may have posted it, and the instance "
                    "keeps the Idempotency-Key one hour only; look at the account's statuses"));
        return;
    }
    struct account *a = account_for(m, base, pub->secret_name);
    if (!a) {
        memset(secret, 0, sizeof secret);
        free(base);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        return;
    }
    int64_t wait = wait_for(a, FAMILY_STATUSES, now);
    if (pub->n_media) {
        int64_t media_wait = wait_for(a, FAMILY_MEDIA, now);
        if (media_wait > wait) wait = media_wait;
    }
    if (wait > 0) {
        memset(secret, 0, sizeof secret);
        free(base);
        char message[256];
        snprintf(message, sizeof message,
                 _("the instance's rate limit for this account is spent: %lld s to wait"),
                 (long long)wait);
        pu_finish(done, token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL, (uint32_t)wait, message);
        return;
    }
    struct publish_job *j = calloc(1, sizeof *j);
    size_t auth_size = strlen(secret) + 8;
    if (j) {
        j->m = m;
        j->account = a;
        j->done = done;
        j->token = token;
        j->base = base;
        j->auth = malloc(auth_size);
        if (j->auth) snprintf(j->auth, auth_size, "Bearer %s", secret);
        j->key = strdup(pub->key ? pub->key : "");
        j->body_text = text_with_link(pub);
        j->lang = strdup(pub->lang ? pub->lang : "");
        j->visibility = strdup(visibility);
        j->secret_name = strdup(pub->secret_name);
        j->media_ids = json_array();
        j->n_media = pub->n_media;
        j->media = calloc(pub->n_media + 1, sizeof *j->media);
        j->alt = calloc(pub->n_media + 1, sizeof *j->alt);
        j->give_up_at = now + DEADLINE_SECONDS - POST_MARGIN_SECONDS;
        j->next = m->jobs;
        if (m->jobs) m->jobs->prev = j;
        m->jobs = j;
    } else {
        free(base);
    }
    memset(secret, 0, sizeof secret);
    int complete = j && j->auth && j->key && j->body_text && j->lang && j->visibility &&
                   j->secret_name && j->media_ids && j->media && j->alt;
    int with_alt = JADE_HAS_MEMBER(pub, struct jade_publication, media_alt) && pub->media_alt;
    for (size_t i = 0; complete && i < pub->n_media; i++) {
        j->media[i] = strdup(pub->media[i]);
        const char *alt = with_alt ? pub->media_alt[i] : NULL;
        j->alt[i] = pu_strdup(alt);
        if (!j->media[i] || (alt && !j->alt[i])) complete = 0;
    }
    if (!complete) {
        if (j) job_free(j);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        return;
    }
    if (j->n_media)
        upload_next(j);
    else
        post_status(j);
}

/* ---- removing ------------------------------------------------------------ */

static void remove_cb(void *arg, const struct jade_http_response *r)
{
    struct remove_job *rj = arg;
    const struct jade_host *host = rj->host;
    jade_done_cb done = rj->done;
    void *token = rj->token;
    struct account *a = rj->account;
    char secret_name[256];
    snprintf(secret_name, sizeof secret_name, "%s", rj->secret_name);
    free(rj);
    if (r->transport_error) {
        transport_failure(r, done, token);
    } else if (r->status >= 200 && r->status < 300) {
        note_limits(a, FAMILY_DELETE, r, host->now(host->ctx));
        json_t *body = json_loads(r->body ? r->body : "", 0, NULL);
        pu_finish(done, token, JADE_OUTCOME_SENT, json_string_value(json_object_get(body, "id")),
                  NULL, 0, NULL);
        json_decref(body);
    } else if (r->status == 404) {
        pu_finish(done, token, JADE_OUTCOME_NOT_FOUND, NULL, NULL, 0,
                  _("the instance has no such status: removed already"));
    } else {
        answer_failure(host, a, FAMILY_DELETE, r, secret_name, done, token);
    }
}

static void mastodon_remove(void *instance, const struct jade_publication *pub,
                            const char *network_id, jade_done_cb done, void *token)
{
    struct mastodon *m = instance;
    const struct jade_host *host = m->host;
    char *base = instance_of(pub, done, token);
    if (!base) return;
    if (!network_id || !*network_id || strspn(network_id, "0123456789") != strlen(network_id)) {
        free(base);
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("not a status id of this instance: remove it by hand"));
        return;
    }
    char secret[TOKEN_MAX];
    if (read_token(host, pub, secret, base, done, token) < 0) return;
    struct account *a = account_for(m, base, pub->secret_name);
    int64_t wait = a ? wait_for(a, FAMILY_DELETE, host->now(host->ctx)) : 0;
    struct remove_job *rj = a && !wait ? calloc(1, sizeof *rj) : NULL;
    char url[2048], auth[TOKEN_MAX + 8];
    snprintf(url, sizeof url, "%s/api/v1/statuses/%s", base, network_id);
    snprintf(auth, sizeof auth, "Bearer %s", secret);
    memset(secret, 0, sizeof secret);
    free(base);
    if (wait > 0) {
        memset(auth, 0, sizeof auth);
        pu_finish(done, token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL, (uint32_t)wait,
                  _("the instance's rate limit for this account is spent"));
        return;
    }
    if (!rj) {
        memset(auth, 0, sizeof auth);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, _("out of memory"));
        return;
    }
    *rj = (struct remove_job){.account = a, .host = host, .done = done, .token = token};
    snprintf(rj->secret_name, sizeof rj->secret_name, "%s", pub->secret_name);
    struct jade_http_header headers[] = {{"Authorization", auth}};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "DELETE",
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = 1};
    int rc = host->http(host->ctx, &req, remove_cb, rj);
    memset(auth, 0, sizeof auth);
    if (rc != 0) {
        free(rj);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
                  _("the request could not be started"));
    }
}

/* ---- metrics ----------------------------------------------------------------- */

struct metrics_job {
    struct account *account;
    char secret_name[256];
    const struct jade_host *host;
    jade_metrics_cb done;
    void *token;
};

static void metrics_cb(void *arg, const struct jade_http_response *r)
{
    struct metrics_job mj = *(struct metrics_job *)arg;
    free(arg);
    int64_t now = mj.host->now(mj.host->ctx);
    if (r->transport_error) {
        pu_metrics_finish(mj.done, mj.token, JADE_OUTCOME_TRANSIENT, 0,
                          r->error_message ? r->error_message : "no answer from the instance");
        return;
    }
    if (r->status == 404) {
        pu_metrics_finish(mj.done, mj.token, JADE_OUTCOME_NOT_FOUND, 0,
                          "the instance has no such status (deleted?)");
        return;
    }
    if (r->status == 408 || r->status >= 500) {
        char words[600];
        pu_http_message(r, NULL, words, sizeof words);
        pu_metrics_finish(mj.done, mj.token, JADE_OUTCOME_TRANSIENT, 0, words);
        return;
    }
    if (r->status < 200 || r->status >= 300) {
        struct pu_metrics_call call = {mj.done, mj.token};
        answer_failure(mj.host, mj.account, FAMILY_READS, r, mj.secret_name, pu_metrics_failed,
                       &call);
        return;
    }
    note_limits(mj.account, FAMILY_READS, r, now);
    json_t *status = json_loads(r->body ? r->body : "", 0, NULL);
    if (!json_is_object(status)) {
        json_decref(status);
        pu_metrics_finish(mj.done, mj.token, JADE_OUTCOME_TRANSIENT, 0,
                          "the instance's answer is not a status");
        return;
    }
    int64_t favourites = pu_count(status, "favourites_count"),
            reblogs = pu_count(status, "reblogs_count"),
            replies = pu_count(status, "replies_count");
    json_decref(status);
    /* Mastodon counts no views: no reach. */
    struct jade_metric m[] = {{"favourites_count", favourites},
                              {"reblogs_count", reblogs},
                              {"replies_count", replies},
                              {"engagement", favourites + reblogs + replies}};
    struct jade_result res = {.struct_size = sizeof res, .outcome = JADE_OUTCOME_SENT};
    mj.done(mj.token, &res, m, sizeof m / sizeof *m);
}

/* The status's counts (GET /api/v1/statuses/:id), within the account's
 * limits as a publish keeps them. */
static void mastodon_metrics(void *instance, const struct jade_publication *pub,
                             const char *network_id, jade_metrics_cb done, void *token)
{
    struct mastodon *m = instance;
    const struct jade_host *host = m->host;
    json_t *account_json = pu_account(pub);
    const char *why;
    char *base = base_of(account_json, &why);
    json_decref(account_json);
    if (!base) {
        pu_metrics_finish(done, token, JADE_OUTCOME_PERMANENT, 0, why);
        return;
    }
    if (!network_id || !*network_id || strspn(network_id, "0123456789") != strlen(network_id)) {
        free(base);
        pu_metrics_finish(done, token, JADE_OUTCOME_PERMANENT, 0,
                          "not a status id of this instance");
        return;
    }
    char secret[TOKEN_MAX];
    if (!pub->secret_name || host->secret(host->ctx, pub->secret_name, secret, TOKEN_MAX) < 0) {
        free(base);
        pu_metrics_finish(done, token, JADE_OUTCOME_AUTH_FAILED, 0,
                          "no access token: give the channel a \"secret\"");
        return;
    }
    struct account *a = account_for(m, base, pub->secret_name);
    int64_t wait = a ? wait_for(a, FAMILY_READS, host->now(host->ctx)) : 0;
    struct metrics_job *mj = a && !wait ? calloc(1, sizeof *mj) : NULL;
    char url[2048], auth[TOKEN_MAX + 8];
    snprintf(url, sizeof url, "%s/api/v1/statuses/%s", base, network_id);
    snprintf(auth, sizeof auth, "Bearer %s", secret);
    memset(secret, 0, sizeof secret);
    free(base);
    if (wait > 0 || !mj) {
        memset(auth, 0, sizeof auth);
        if (wait > 0)
            pu_metrics_finish(done, token, JADE_OUTCOME_RETRY_AFTER, (uint32_t)wait,
                              "the instance's rate limit for this account is spent");
        else
            pu_metrics_finish(done, token, JADE_OUTCOME_TRANSIENT, 0, "out of memory");
        return;
    }
    *mj = (struct metrics_job){.account = a, .host = host, .done = done, .token = token};
    snprintf(mj->secret_name, sizeof mj->secret_name, "%s", pub->secret_name);
    struct jade_http_header headers[] = {{"Authorization", auth}};
    struct jade_http_request req = {
        .struct_size = sizeof req, .method = "GET", .url = url, .headers = headers, .n_headers = 1};
    int rc = host->http(host->ctx, &req, metrics_cb, mj);
    memset(auth, 0, sizeof auth);
    if (rc != 0) {
        free(mj);
        pu_metrics_finish(done, token, JADE_OUTCOME_TRANSIENT, 0,
                          "the request could not be started");
    }
}

/* ---- the plugin ------------------------------------------------------------ */

static int mastodon_init(const struct jade_host *host, void **instance)
{
    if (!JADE_HAS_MEMBER(host, struct jade_host, later) || !host->later) {
        host->log(host->ctx, JADE_LOG_ERROR,
                  _("the mastodon plugin needs a core that can call it later (plugin ABI 1.1)"));
        return -1;
    }
    struct mastodon *m = calloc(1, sizeof *m);
    if (!m) return -1;
    m->host = host;
    m->started = host->now(host->ctx);
    *instance = m;
    return 0;
}

static void mastodon_fini(void *instance)
{
    struct mastodon *m = instance;
    /* The core dropped the polls still waiting: their jobs end here. */
    while (m->jobs) job_free(m->jobs);
    while (m->maybe_posted) forget_maybe_posted(m, m->maybe_posted->key);
    while (m->accounts) {
        struct account *a = m->accounts;
        m->accounts = a->next;
        free(a->id);
        free(a);
    }
    free(m);
}

static const char *const mastodon_media_types[] = {
    "image/jpeg", "image/png", "image/gif",  "image/webp",      "image/avif",
    "image/heic", "video/mp4", "video/webm", "video/quicktime", NULL};

static const struct jade_plugin_limits mastodon_limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .text_max = 500,
    .counting = JADE_COUNT_GRAPHEMES,
    .media_max = 4,
    .media_bytes_max = 99u * 1024 * 1024,
    .media_types = mastodon_media_types,
    .text_max_member = "max_characters",
};

static const struct jade_plugin mastodon_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "mastodon",
    .description = N_("posts statuses, with photos and videos, to the channel's Mastodon instance"),
    .limits = &mastodon_limits,
    .capabilities = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_DELETE | JADE_CAP_METRICS,
    .rate_per_minute = 60,
    .account_schema =
        "{\"type\": \"object\", \"required\": [\"instance\"], \"additionalProperties\": false,"
        " \"properties\": {"
        "\"instance\": {\"type\": \"string\", \"pattern\": \"^https?://[^/?#@\\\\s\\\\\\\\]+/?$\"},"
        " \"handle\": {\"type\": \"string\"},"
        " \"max_characters\": {\"type\": \"integer\", \"minimum\": 1}}}",
    .deadline_seconds = DEADLINE_SECONDS,
    .init = mastodon_init,
    .publish = mastodon_publish,
    .remove = mastodon_remove,
    .metrics = mastodon_metrics,
    .fini = mastodon_fini,
};

JADE_PLUGIN_EXPORT(mastodon_plugin)
