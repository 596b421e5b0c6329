/* ops.c - the operator's side of the service (SPEC §7): the admin
 * listener's routes, GET /healthz and /status, POST /halt and /resume
 * (halts.h), and channel suspensions (set when a network refuses the
 * credentials, lifted by an operator or by a new secret on disk).
 *
 * A halt takes effect at once in memory: from then on nothing of its
 * scope leaves (dispatch skips it, and what its batch was being written
 * for is kept back: publish.c). The answer waits until the halt is in the
 * ledger, so that a halt that was answered outlives a crash. */
#include "service-internal.h"

#include "config.h"
#include "writer.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A halt's reason, bytes: a sentence, not a document. */
#define MAX_REASON 500
/* Publications to remove by hand listed in /status (all are counted). */
#define MAX_BY_HAND_LISTED 100
/* A commit of the writer taking longer makes /healthz answer 503. */
#define LEDGER_STALL_MS 10000

static void say(struct jade_admin_response *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct jade_admin_response *res, int status, const char *fmt, ...)
{
    res->status = status;
    struct jade_buf text = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&text, fmt, ap);
    va_end(ap);
    jade_escape(&res->body, jade_buf_str(&text), text.len, JADE_KEEP_NOTHING); /* one line */
    jade_buf_puts(&res->body, "\n");
    jade_buf_free(&text);
}

/* One line of well-formed UTF-8, without control characters. */
static bool one_clean_line(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = jade_utf8_char(s + i, n - i, &cp);
        if (!len || jade_is_control(cp)) return false;
        i += len;
    }
    return true;
}

static json_t *utc_or_null(int64_t t)
{
    if (t <= 0 || t == INT64_MAX) return json_null();
    char when[32];
    jade_format_utc(t, when);
    return json_string(when);
}

/* ---- suspensions --------------------------------------------------------- */

static const char *network_of(const struct jade_channel *ch)
{
    return ch->net    ? ch->net->plugin->name
           : ch->json ? json_string_value(json_object_get(ch->json, "network"))
                      : NULL;
}

/* A halt said in the log: halted, still halted (at start), resumed. */
static void log_halt(struct service *s, const char *event, const struct jade_halt *h)
{
    jade_log(&s->log, JADE_LOG_WARNING, event, "scope", jade_halt_scope_name(h->scope), "campaign",
             h->scope == JADE_HALT_CAMPAIGN ? h->target : NULL, "channel",
             h->scope == JADE_HALT_CHANNEL ? h->target : NULL, "since", JADE_LOG_TIME(h->since),
             "reason", *h->reason ? h->reason : NULL, NULL);
}

static const char *secret_of(const struct jade_channel *ch)
{
    return ch->json ? json_string_value(json_object_get(ch->json, "secret")) : NULL;
}

/* A hash of the channel's secret as it is on disk now; false when it has
 * none or it cannot be read. */
static bool secret_print(const struct service *s, const struct jade_channel *ch,
                         unsigned char out[32])
{
    const char *name = secret_of(ch);
    if (!name || !s->cfg->secrets_dir) return false;
    char value[4096];
    struct jade_buf err = {0};
    int len = jade_secret_read(s->cfg->secrets_dir, name, value, sizeof value, &err);
    jade_buf_free(&err);
    if (len > 0) crypto_generichash(out, 32, (const unsigned char *)value, (size_t)len, NULL, 0);
    explicit_bzero(value, sizeof value);
    return len > 0;
}

void service_suspend(struct service *s, struct jade_channel *ch, const char *why)
{
    jade_log(&s->log, JADE_LOG_ERROR, "suspended", "channel", ch->id, "network", network_of(ch),
             "reason", why, "msg",
             _("its credentials were refused: nothing goes to it until its secret changes or an "
               "operator resumes it"),
             NULL);
    ch->suspended = true;
    ch->suspended_since = service_now(s);
    free(ch->suspended_reason);
    ch->suspended_reason = jade_xstrdup(why ? why : "");
    ch->secret_print_set = secret_print(s, ch, ch->secret_print);
}

static void lift(struct service *s, struct jade_channel *ch, const char *why)
{
    jade_log(&s->log, JADE_LOG_WARNING, "suspension_lifted", "channel", ch->id, "network",
             network_of(ch), "reason", why, NULL);
    ch->suspended = false;
    free(ch->suspended_reason);
    ch->suspended_reason = NULL;
    ch->blocked_until = 0;
}

void service_check_secrets(struct service *s)
{
    /* at most once a second (the loop wakes at least every few seconds) */
    uint64_t t = uv_hrtime();
    if (t - s->secrets_checked_ns < 1000000000ull) return;
    s->secrets_checked_ns = t;
    for (size_t i = 0; i < s->channels.count; i++) {
        struct jade_channel *ch = s->channels.items[i];
        unsigned char now[32];
        if (!ch->suspended || ch->removed || !secret_print(s, ch, now)) continue;
        /* a secret that could not be read when suspended: any readable one is new */
        if (ch->secret_print_set && sodium_memcmp(now, ch->secret_print, sizeof now) == 0) continue;
        lift(s, ch, _("its secret changed on disk"));
    }
}

/* ---- what to remove by hand ---------------------------------------------- */

void service_note_by_hand(struct service *s, const char *key, const char *campaign,
                          const char *post, const char *channel, const char *network_id)
{
    json_array_append_new(s->by_hand,
                          json_pack("{s:s, s:s, s:s, s:s, s:s?}", "key", key, "campaign", campaign,
                                    "post", post, "channel", channel, "network_id", network_id));
}

static void by_hand_row(void *ctx, const struct jade_ledger_row *r)
{
    service_note_by_hand(ctx, r->key, r->campaign, r->post, r->channel, r->network_id);
}

int service_load_operations(struct service *s)
{
    s->by_hand = json_array();
    if (jade_ledger_halts_read(s->ledger, &s->halts) != 0 ||
        jade_ledger_by_hand(s->ledger, by_hand_row, s) != 0) {
        jade_print(stderr, _("jade run: cannot read the ledger in %s: %s\n"), s->cfg->state_dir,
                   jade_ledger_failure(s->ledger));
        return -1;
    }
    for (size_t i = 0; i < s->halts.count; i++) log_halt(s, "still_halted", &s->halts.items[i]);
    return 0;
}

void service_free_operations(struct service *s)
{
    jade_halts_free(&s->halts);
    json_decref(s->by_hand);
    s->by_hand = NULL;
}

void service_check_admin_token(struct service *s)
{
    char token[4096];
    struct jade_buf err = {0};
    if (jade_secret_read(s->cfg->secrets_dir, s->cfg->admin_token, token, sizeof token, &err) <= 0)
        jade_log(&s->log, JADE_LOG_WARNING, "secret", "error", jade_buf_str(&err), "msg",
                 _("halt and resume are refused until the admin token can be read"), NULL);
    explicit_bzero(token, sizeof token);
    jade_buf_free(&err);
}

/* ---- GET /healthz --------------------------------------------------------- */

static void healthz(struct service *s, struct jade_admin_response *res)
{
    uint64_t busy = s->writer ? jade_writer_busy_ms(s->writer) : 0;
    if (s->ledger_failed)
        say(res, 503, _("the ledger cannot be written: %s"), jade_ledger_failure(s->ledger));
    else if (busy > LEDGER_STALL_MS)
        say(res, 503, _("the ledger's last commit has taken %llu s so far"),
            (unsigned long long)(busy / 1000));
    else if (s->stopping)
        say(res, 503, _("stopping"));
    else
        say(res, 200, "ok");
}

/* ---- GET /status ---------------------------------------------------------- */

static json_t *halt_json(const struct jade_halt *h)
{
    return json_pack("{s:s, s:s?, s:s, s:o}", "scope", jade_halt_scope_name(h->scope), "target",
                     h->scope == JADE_HALT_ALL ? NULL : h->target, "reason", h->reason, "since",
                     utc_or_null(h->since));
}

static json_t *halts_json(const struct service *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->halts.count; i++)
        json_array_append_new(a, halt_json(&s->halts.items[i]));
    return a;
}

static json_t *channel_json(const struct service *s, const struct jade_channel *ch, int64_t now)
{
    const struct jade_halt *halt = jade_halts_channel(&s->halts, ch->id);
    const char *state = ch->removed               ? "removed"
                        : ch->suspended           ? "suspended"
                        : halt                    ? "halted"
                        : !ch->net                ? "no plugin"
                        : ch->blocked_until > now ? "rate limited"
                                                  : "ready";
    int64_t next = INT64_MAX;
    const struct jade_waiting *tops[] = {jade_queue_top(&ch->planned),
                                         jade_queue_top(&ch->retrying)};
    for (size_t i = 0; i < 2; i++)
        if (tops[i] && tops[i]->at < next) next = tops[i]->at;
    json_t *o = json_pack("{s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "id", ch->id, "network",
                          ch->json ? json_string_value(json_object_get(ch->json, "network")) : NULL,
                          "state", state, "planned", (json_int_t)ch->planned.count, "retrying",
                          (json_int_t)ch->retrying.count, "held", (json_int_t)ch->held.count,
                          "in_flight", (json_int_t)ch->inflight, "to_remove",
                          (json_int_t)ch->n_removals, "next_due", utc_or_null(next));
    if (ch->suspended)
        json_object_set_new(o, "suspended",
                            json_pack("{s:s, s:o}", "reason",
                                      ch->suspended_reason ? ch->suspended_reason : "", "since",
                                      utc_or_null(ch->suspended_since)));
    if (ch->blocked_until > now)
        json_object_set_new(o, "rate_limited_until", utc_or_null(ch->blocked_until));
    return o;
}

static void status(struct service *s, struct jade_admin_response *res)
{
    int64_t now = service_now(s);
    const struct jade_generation *g = s->gen;
    json_t *kept = json_array();
    for (size_t i = 0; i < g->n_kept; i++) json_array_append_new(kept, json_string(g->kept[i]));
    json_t *channels = json_array();
    for (size_t i = 0; i < s->channels.count; i++)
        json_array_append_new(channels, channel_json(s, s->channels.items[i], now));
    json_t *by_hand = json_array();
    for (size_t i = 0; i < json_array_size(s->by_hand) && i < MAX_BY_HAND_LISTED; i++)
        json_array_append(by_hand, json_array_get(s->by_hand, i));
    json_t *review = s->refused_tip ? json_pack("{s:s, s:s}", "commit", s->refused_tip, "reason",
                                                s->refused_reason ? s->refused_reason : "")
                                    : json_null();
    json_t *fetch = json_pack("{s:o, s:s?, s:o, s:I}", "last", utc_or_null(s->last_fetch), "error",
                              s->fetch_error, "failing_since",
                              s->fetch_error ? utc_or_null(s->fetch_error_since) : json_null(),
                              "failures", (json_int_t)s->fetch_failures);
    json_t *root = json_pack(
        "{s:s, s:o, s:s, s:{s:s?, s:s?, s:I, s:o, s:o}, s:o, s:o, s:o, s:o, s:{s:I, s:o}, "
        "s:{s:I, s:I, s:I}}",
        "version", JADE_VERSION, "now", utc_or_null(now), "state",
        s->stopping                                     ? "stopping"
        : jade_halts_find(&s->halts, JADE_HALT_ALL, "") ? "halted"
                                                        : "running",
        "content", "commit", g->view->commit, "signer", g->n_parts ? g->parts[0]->signer : NULL,
        "occurrences", (json_int_t)g->plan.count, "plan_until", utc_or_null(g->plan_to), "kept",
        kept, "waiting_for_review", review, "fetch", fetch, "halts", halts_json(s), "channels",
        channels, "to_remove_by_hand", "count", (json_int_t)json_array_size(s->by_hand), "items",
        by_hand, "totals", "sent", (json_int_t)s->sent, "failed", (json_int_t)s->failed,
        "in_flight", (json_int_t)s->inflight);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    jade_buf_printf(&res->body, "%s\n", text);
    free(text);
    json_decref(root);
    res->content_type = "application/json";
}

/* ---- POST /halt and /resume ---------------------------------------------- */

/* The admin token, compared in constant time (hashes of both). 0 when the
 * request may go on, else the refusal is in res. */
static int authorize(struct service *s, const struct jade_admin_request *req,
                     struct jade_admin_response *res)
{
    const char *given = NULL;
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcmp(req->headers[i].name, "authorization")) given = req->headers[i].value;
    char token[4096];
    struct jade_buf err = {0};
    int len = jade_secret_read(s->cfg->secrets_dir, s->cfg->admin_token, token, sizeof token, &err);
    if (len <= 0) {
        jade_log(&s->log, JADE_LOG_ERROR, "secret", "error", jade_buf_str(&err), "msg",
                 _("the admin token cannot be read: halt and resume are refused"), NULL);
        jade_buf_free(&err);
        say(res, 503, _("the admin token cannot be read: see the service's log"));
        return -1;
    }
    int rc = 0;
    if (!given || strncasecmp(given, "Bearer ", 7) != 0) {
        say(res, 401, _("an admin token is needed: Authorization: Bearer TOKEN"));
        rc = -1;
    } else {
        unsigned char a[32], b[32];
        crypto_generichash(a, sizeof a, (const unsigned char *)given + 7, strlen(given + 7), NULL,
                           0);
        crypto_generichash(b, sizeof b, (const unsigned char *)token, (size_t)len, NULL, 0);
        if (sodium_memcmp(a, b, sizeof a) != 0) {
            say(res, 403, _("wrong admin token"));
            rc = -1;
        }
    }
    explicit_bzero(token, sizeof token);
    return rc;
}

struct scope {
    enum jade_halt_scope scope;
    const char *target; /* "" for all */
    const char *reason; /* "" when none */
};

/* The body: {} or empty (everything), {"campaign": C} or {"channel": CH},
 * and perhaps "reason". The strings point into *json. */
static int parse_scope(struct service *s, const struct jade_admin_request *req, json_t **json,
                       struct scope *out, struct jade_admin_response *res)
{
    *out = (struct scope){JADE_HALT_ALL, "", ""};
    *json = NULL;
    if (req->body_len == 0) return 0;
    json_error_t jerr;
    *json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(*json)) {
        say(res, 400,
            _("the body must be a JSON object: {\"campaign\": ID} or {\"channel\": ID}, "
              "and perhaps \"reason\""));
        return -1;
    }
    const char *name;
    json_t *v;
    json_object_foreach (*json, name, v) {
        if (strcmp(name, "campaign") && strcmp(name, "channel") && strcmp(name, "reason")) {
            say(res, 400, _("unknown member \"%s\": expected campaign, channel or reason"), name);
            return -1;
        }
        if (!json_is_string(v) || !*json_string_value(v)) {
            say(res, 400, _("\"%s\" must be a non-empty string"), name);
            return -1;
        }
    }
    const char *campaign = json_string_value(json_object_get(*json, "campaign"));
    const char *channel = json_string_value(json_object_get(*json, "channel"));
    const char *reason = json_string_value(json_object_get(*json, "reason"));
    if (campaign && channel) {
        say(res, 400, _("a campaign or a channel, not both"));
        return -1;
    }
    if (reason && (strlen(reason) > MAX_REASON || !one_clean_line(reason))) {
        say(res, 400, _("the reason must be one line of at most %d bytes"), MAX_REASON);
        return -1;
    }
    if (reason) out->reason = reason;
    if (campaign) {
        out->scope = JADE_HALT_CAMPAIGN;
        out->target = campaign;
    } else if (channel) {
        out->scope = JADE_HALT_CHANNEL;
        out->target = channel;
    }
    (void)s;
    return 0;
}

static bool campaign_known(const struct service *s, const char *id)
{
    const struct jade_content *c = s->gen->view;
    for (size_t i = 0; i < c->n_campaigns; i++)
        if (!strcmp(c->campaigns[i].id, id)) return true;
    return false;
}

struct halt_job {
    struct service *s;
    struct jade_admin_later *later;
    bool resume;
    struct jade_halt halt; /* its own copies: the worker reads them */
    struct jade_buf said;  /* the answer's body, for people */
};

static int halt_job_run(struct jade_ledger *l, void *ctx)
{
    struct halt_job *j = ctx;
    return j->resume ? jade_ledger_halt_clear(l, j->halt.scope, j->halt.target)
                     : jade_ledger_halt_write(l, &j->halt);
}

static void halt_job_done(void *ctx, bool ok)
{
    struct halt_job *j = ctx;
    struct jade_buf body = {0};
    if (ok) {
        body = j->said;
        j->said = (struct jade_buf){0};
    } else {
        jade_buf_printf(&body,
                        j->resume ? _("resumed until the service stops, but the ledger cannot "
                                      "record it: %s\n")
                                  : _("halted until the service stops, but the ledger cannot "
                                      "record it: %s\n"),
                        jade_ledger_failure(j->s->ledger));
    }
    jade_admin_answer(j->later, ok ? 200 : 500, "text/plain; charset=utf-8", &body);
    jade_buf_free(&j->said);
    free(j->halt.target);
    free(j->halt.reason);
    free(j);
}

/* What waits on ch and is due already was kept by the halt being lifted:
 * if it turns out past its catch-up, the halt is the reason. */
static void mark_halted(struct jade_channel *ch, int64_t now)
{
    struct jade_queue *queues[] = {&ch->planned, &ch->retrying};
    for (size_t q = 0; q < 2; q++)
        for (size_t i = 0; i < queues[q]->count; i++)
            if (queues[q]->items[i].due <= now) queues[q]->items[i].halted = true;
}

/* What a campaign's halt held on each channel goes back to its queue. */
static void release_held(struct service *s, const char *campaign)
{
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        struct jade_queue keep = {0};
        struct jade_waiting w;
        while (jade_queue_pop(&ch->held, &w) == 0) {
            const struct jade_occurrence *o = jade_generation_find(s->gen, w.key);
            if (o && strcmp(o->campaign->id, campaign) != 0 &&
                jade_halts_find(&s->halts, JADE_HALT_CAMPAIGN, o->campaign->id))
                jade_queue_push(&keep, &w);
            else {
                w.halted = true; /* late past its catch-up: the halt's doing */
                jade_queue_push(w.attempts > 0 ? &ch->retrying : &ch->planned, &w);
            }
        }
        jade_queue_free(&ch->held);
        ch->held = keep;
    }
}

static void halt_or_resume(struct service *s, const struct jade_admin_request *req,
                           struct jade_admin_response *res, bool resume)
{
    if (authorize(s, req, res) != 0) return;
    json_t *body;
    struct scope sc;
    if (parse_scope(s, req, &body, &sc, res) != 0) {
        json_decref(body);
        return;
    }
    struct jade_channel *ch =
        sc.scope == JADE_HALT_CHANNEL ? jade_channels_find(&s->channels, sc.target) : NULL;
    if (!resume && ((sc.scope == JADE_HALT_CHANNEL && (!ch || ch->removed)) ||
                    (sc.scope == JADE_HALT_CAMPAIGN && !campaign_known(s, sc.target)))) {
        say(res, 404, _("no %s \"%s\" in the adopted content"), jade_halt_scope_name(sc.scope),
            sc.target);
        json_decref(body);
        return;
    }
    if (s->stopping || !s->writer) {
        say(res, 503, _("stopping"));
        json_decref(body);
        return;
    }
    struct halt_job *j = jade_xcalloc(1, sizeof *j);
    j->s = s;
    j->resume = resume;
    j->halt = (struct jade_halt){sc.scope, jade_xstrdup(sc.target), jade_xstrdup(sc.reason),
                                 service_now(s)};
    struct jade_halt probe = {sc.scope, (char *)sc.target, (char *)sc.reason, j->halt.since};
    char *what = jade_halt_describe(&probe);
    if (!resume) {
        jade_halts_add(&s->halts, sc.scope, sc.target, sc.reason, j->halt.since);
        const struct jade_halt *h = jade_halts_find(&s->halts, sc.scope, sc.target);
        j->halt.since = h->since; /* a halt said again keeps its start */
        free(what);
        what = jade_halt_describe(h);
        log_halt(s, "halted", h);
        jade_buf_printf(&j->said, _("%s: nothing of it leaves until it is resumed\n"), what);
    } else {
        const struct jade_halt *h = jade_halts_find(&s->halts, sc.scope, sc.target);
        if (h) {
            free(what);
            what = jade_halt_describe(h);
            log_halt(s, "resumed", h);
        }
        if (h) service_expire_halted(s); /* what the halt made late says so */
        bool was = jade_halts_remove(&s->halts, sc.scope, sc.target);
        bool lifted = ch && ch->suspended;
        if (lifted) lift(s, ch, _("an operator resumed it"));
        if (was && sc.scope == JADE_HALT_CAMPAIGN) release_held(s, sc.target);
        for (size_t i = 0; was && sc.scope != JADE_HALT_CAMPAIGN && i < s->channels.count; i++)
            if (sc.scope == JADE_HALT_ALL || !strcmp(s->channels.items[i]->id, sc.target))
                mark_halted(s->channels.items[i], service_now(s));
        jade_buf_printf(&j->said, "%s\n",
                        was      ? _("resumed")
                        : lifted ? _("the channel's suspension is lifted")
                                 : _("nothing was halted with that scope"));
    }
    free(what);
    json_decref(body);
    j->later = jade_admin_defer(res);
    jade_writer_job(s->writer, halt_job_run, halt_job_done, j);
    service_arm(s); /* what waits may go, or wait for another time */
}

/* ---- networks' notifications ---------------------------------------------- */

struct late_note {
    char *key, *message;
    int64_t at;
};

static int late_run(struct jade_ledger *l, void *ctx)
{
    struct late_note *n = ctx;
    return jade_ledger_note(l, n->key, n->at, n->message) < 0 ? -1 : 0;
}

static void late_done(void *ctx, bool ok)
{
    (void)ok; /* a batch that fails stops the service's writes: said there */
    struct late_note *n = ctx;
    free(n->key);
    free(n->message);
    free(n);
}

int service_late(void *ctx, const char *network, const char *key, const char *message)
{
    struct service *s = ctx;
    (void)network;
    if (!s->writer || s->ledger_failed) return -1;
    struct late_note *n = jade_xcalloc(1, sizeof *n);
    *n = (struct late_note){jade_xstrdup(key), jade_xstrdup(message), service_now(s)};
    jade_writer_job(s->writer, late_run, late_done, n);
    return 0;
}

/* Space for a plugin's answer to a notification (a handshake's challenge). */
#define INBOUND_ANSWER_MAX 4096

/* /hooks/<network>: the network's plugin answers, when it receives any. */
static bool to_plugin(struct service *s, const struct jade_admin_request *req,
                      struct jade_admin_response *res)
{
    if (strncmp(req->path, "/hooks/", 7) != 0) return false;
    struct jade_instance *net = jade_instance_find(s->nets, s->n_nets, req->path + 7);
    if (!net || !net->plugin->receive) return false;
    struct jade_http_header *headers = jade_xcalloc(req->n_headers + 1, sizeof *headers);
    for (size_t i = 0; i < req->n_headers; i++)
        headers[i] = (struct jade_http_header){req->headers[i].name, req->headers[i].value};
    struct jade_inbound_request in = {sizeof in, req->method,    req->path, req->query,
                                      headers,   req->n_headers, req->body, req->body_len};
    char *body = jade_xcalloc(1, INBOUND_ANSWER_MAX);
    struct jade_inbound_answer out = {sizeof out, 0, NULL, body, INBOUND_ANSWER_MAX, 0};
    net->plugin->receive(net->state, &in, &out);
    res->status = out.status >= 200 && out.status <= 599 ? (int)out.status : 500;
    res->content_type = out.content_type ? out.content_type : "text/plain; charset=utf-8";
    jade_buf_append(&res->body, body,
                    out.body_len < INBOUND_ANSWER_MAX ? out.body_len : INBOUND_ANSWER_MAX);
    free(body);
    free(headers);
    return true;
}

/* ---- routes --------------------------------------------------------------- */

struct route {
    const char *path;
    const char *method; /* "GET" also answers HEAD */
    void (*handle)(struct service *s, const struct jade_admin_request *req,
                   struct jade_admin_response *res);
};

static void get_healthz(struct service *s, const struct jade_admin_request *req,
                        struct jade_admin_response *res)
{
    (void)req;
    healthz(s, res);
}

static void get_status(struct service *s, const struct jade_admin_request *req,
                       struct jade_admin_response *res)
{
    (void)req;
    status(s, res);
}

static void get_metrics(struct service *s, const struct jade_admin_request *req,
                        struct jade_admin_response *res)
{
    jade_metrics_serve(&s->metrics, &s->channels, s->inflight, &s->halts, req, res);
}

static void post_halt(struct service *s, const struct jade_admin_request *req,
                      struct jade_admin_response *res)
{
    halt_or_resume(s, req, res, false);
}

static void post_resume(struct service *s, const struct jade_admin_request *req,
                        struct jade_admin_response *res)
{
    halt_or_resume(s, req, res, true);
}

static const struct route routes[] = {
    {"/healthz", "GET", get_healthz},       {"/status", "GET", get_status},
    {"/halt", "POST", post_halt},           {"/resume", "POST", post_resume},
    {"/metrics", "GET", get_metrics},       {"/hooks/git", "POST", service_hook},
    {"/plan.ics", "GET", service_plan_ics},
};

void service_admin_cb(void *ctx, const struct jade_admin_request *req,
                      struct jade_admin_response *res)
{
    struct service *s = ctx;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        const struct route *r = &routes[i];
        if (strcmp(req->path, r->path) != 0) continue;
        bool get = !strcmp(r->method, "GET");
        if (strcmp(req->method, r->method) != 0 && !(get && !strcmp(req->method, "HEAD"))) {
            res->allow = get ? "GET, HEAD" : r->method;
            say(res, 405, get ? _("GET or HEAD only") : _("POST only"));
            return;
        }
        r->handle(s, req, res);
        return;
    }
    if (to_plugin(s, req, res)) return;
    say(res, 404,
        _("no such page: /healthz, /status, /metrics, /plan.ics, POST /halt, POST /resume"));
}
