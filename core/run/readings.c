/* readings.c - follow-up: the metrics of each sent publication, read at
 * the times metrics.readings gives after it was sent (+1 h, +24 h, +72 h,
 * +7 d by default), on networks whose plugin has JADE_CAP_METRICS, and
 * stored in the ledger's metrics table.
 *
 * What is still to read is the ledger's: a sent publication, not
 * retracted, whose reading has no row yet. It is read at start, and
 * followed in memory from then on (a publication sent adds its readings,
 * a retraction drops them), so a restart or a kill -9 loses none, and a
 * reading stored is never taken again. One whose time passed while the
 * service was down is read late, once: one request stores every reading
 * due by then, each with the time it was read.
 *
 * Readings never delay a publication: on a channel, one goes only when
 * nothing is in flight there, nothing is due (nor will be within the
 * network's pace), no wait the network asked of publications holds it,
 * and no earlier reading is in flight. A metrics call's Retry-After holds
 * the channel's readings, not its publications; a reading keeps to the
 * network's pace after the channel's last request, and a publication is
 * not paced after a reading. Each call goes through calls.h: a plugin that
 * never answers is cut off at its deadline.
 *
 * A reading that fails (an error, no answer) is tried again, backing off
 * from READING_RETRY_BASE to READING_RETRY_MAX with full jitter, and
 * given up after READING_ATTEMPTS attempts (a day at most), or at once
 * when the network refuses it (permanent, not found): stored as the name
 * JADE_METRIC_GIVEN_UP, so that no restart takes it again. */
#include "service-internal.h"

#include "config.h"
#include "dispatch.h"
#include "writer.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <stdlib.h>
#include <string.h>

#define READING_ATTEMPTS 8
#define READING_RETRY_BASE 300       /* s: 5 min, 10, 20, ... */
#define READING_RETRY_MAX (6 * 3600) /* s */
#define READING_AUTH_HOLD 3600       /* s: the channel's readings, after credentials refused */
#define READING_NAME_MAX 64          /* bytes of a metric's name */
#define READING_MAX_METRICS 64       /* names stored of one answer */

/* A sent publication whose readings are not all taken. */
struct jade_reading {
    char key[33];
    char *campaign, *post, *lang, *network_id;
    char *secret_name; /* the channel's, copied as a call leaves (a reload may replace it) */
    int64_t sent_at;
    uint32_t done;  /* bit i: cfg->readings[i] is stored (or given up) */
    int64_t at;     /* when the next may be taken: its time, or a retry's */
    int attempts;   /* failed attempts at the next one, in this run */
    bool forgotten; /* retracted while it was being read */
    struct jade_channel *ch;
    struct service *s;
    /* the call in flight */
    struct jade_publication pub;
    char due[32];
    uint32_t taking; /* the readings it stores (bits, as done) */
};

static void free_reading(struct jade_reading *e)
{
    if (!e) return;
    free(e->campaign);
    free(e->post);
    free(e->lang);
    free(e->network_id);
    free(e->secret_name);
    free(e);
}

/* ---- each channel's heap, by the time of the next reading ------------------ */

static bool before(const struct jade_reading *a, const struct jade_reading *b)
{
    return a->at < b->at || (a->at == b->at && strcmp(a->key, b->key) < 0);
}

static void swap(struct jade_reading **v, size_t i, size_t j)
{
    struct jade_reading *t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void sift_up(struct jade_reading **v, size_t i)
{
    while (i > 0 && before(v[i], v[(i - 1) / 2])) {
        swap(v, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct jade_reading **v, size_t n, size_t i)
{
    for (;;) {
        size_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < n && before(v[l], v[least])) least = l;
        if (r < n && before(v[r], v[least])) least = r;
        if (least == i) return;
        swap(v, i, least);
        i = least;
    }
}

static void heap_push(struct jade_channel *ch, struct jade_reading *e)
{
    if (ch->n_readings == ch->cap_readings) {
        ch->cap_readings = ch->cap_readings ? ch->cap_readings * 2 : 16;
        ch->readings = jade_xrealloc(ch->readings, ch->cap_readings * sizeof *ch->readings);
    }
    ch->readings[ch->n_readings++] = e;
    sift_up(ch->readings, ch->n_readings - 1);
}

static struct jade_reading *heap_take(struct jade_channel *ch, size_t i)
{
    struct jade_reading *e = ch->readings[i];
    ch->readings[i] = ch->readings[--ch->n_readings];
    if (i < ch->n_readings) {
        sift_down(ch->readings, ch->n_readings, i);
        sift_up(ch->readings, i);
    }
    return e;
}

/* ---- what is due ------------------------------------------------------------ */

static bool can_read(const struct jade_channel *ch)
{
    const struct jade_instance *net = ch->net;
    if (!net || !net->plugin->metrics) return false;
    uint32_t caps = net->plugin->capabilities;
    if (JADE_HAS_MEMBER(net->plugin, struct jade_plugin, instance_capabilities) &&
        net->plugin->instance_capabilities)
        caps = net->plugin->instance_capabilities(net->state);
    return (caps & JADE_CAP_METRICS) != 0;
}

/* The first reading not taken, or n when all are. */
static size_t first_open(const struct jade_config *cfg, uint32_t done)
{
    size_t i = 0;
    while (i < cfg->n_readings && (done >> i & 1u)) i++;
    return i;
}

/* Schedules e's next reading, or frees it when none is left. */
static void requeue(struct jade_reading *e, int64_t retry_at)
{
    const struct jade_config *cfg = e->s->cfg;
    size_t next = first_open(cfg, e->done);
    if (next == cfg->n_readings || e->ch->removed) {
        free_reading(e);
        return;
    }
    int64_t planned = e->sent_at + cfg->readings[next];
    e->at = retry_at > planned ? retry_at : planned;
    heap_push(e->ch, e);
}

/* A sent publication's readings start to wait. */
static void follow(struct service *s, struct jade_channel *ch, const char *key,
                   const char *campaign, const char *post, const char *lang, const char *network_id,
                   int64_t sent_at, uint32_t done)
{
    struct jade_reading *e = jade_xcalloc(1, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->campaign = jade_xstrdup(campaign ? campaign : "");
    e->post = jade_xstrdup(post ? post : "");
    e->lang = jade_xstrdup(lang ? lang : "");
    e->network_id = jade_xstrdup(network_id ? network_id : "");
    e->sent_at = sent_at;
    e->done = done;
    e->ch = ch;
    e->s = s;
    requeue(e, 0);
}

void service_readings_sent(struct service *s, struct jade_channel *ch, const char *key,
                           const struct jade_publication *pub, const char *network_id,
                           int64_t sent_at)
{
    if (!s->cfg->n_readings || !can_read(ch)) return;
    /* A key the channel follows already (sent once: a guard) keeps its own;
     * the ledger's rows, read at start, are each once (no search then). */
    if (ch->reading && !strcmp(ch->reading->key, key)) return;
    for (size_t i = 0; i < ch->n_readings; i++)
        if (!strcmp(ch->readings[i]->key, key)) return;
    follow(s, ch, key, pub->campaign, pub->post, pub->lang, network_id, sent_at, 0);
}

void service_readings_forget(struct service *s, struct jade_channel *ch, const char *key)
{
    (void)s;
    if (ch->reading && !strcmp(ch->reading->key, key)) ch->reading->forgotten = true;
    for (size_t i = 0; i < ch->n_readings; i++)
        if (!strcmp(ch->readings[i]->key, key)) {
            free_reading(heap_take(ch, i));
            return;
        }
}

struct loading {
    struct service *s;
    size_t count;
};

static void sent_row(void *ctx, const struct jade_ledger_sent *row)
{
    struct loading *l = ctx;
    struct service *s = l->s;
    struct jade_channel *ch = jade_channels_find(&s->channels, row->channel);
    if (!ch || ch->removed || !can_read(ch)) return;
    uint32_t done = 0;
    for (size_t i = 0; i < s->cfg->n_readings; i++)
        for (size_t k = 0; k < row->n_done; k++)
            if (row->done[k] == s->cfg->readings[i]) done |= 1u << i;
    if (first_open(s->cfg, done) == s->cfg->n_readings) return;
    follow(s, ch, row->key, row->campaign, row->post, row->lang, row->network_id, row->sent_at,
           done);
    l->count++;
}

int service_load_readings(struct service *s)
{
    if (!s->cfg->n_readings) return 0;
    bool any = false;
    for (size_t c = 0; c < s->channels.count && !any; c++) any = can_read(s->channels.items[c]);
    if (!any) return 0;
    struct loading l = {s, 0};
    if (jade_ledger_sent_readings(s->ledger, sent_row, &l) != 0) {
        jade_print(stderr, _("jade run: cannot read the ledger in %s: %s\n"), s->cfg->state_dir,
                   jade_ledger_failure(s->ledger));
        return -1;
    }
    if (l.count)
        jade_log(&s->log, JADE_LOG_INFO, "metrics_pending", "publications", JADE_LOG_INT(l.count),
                 "msg", _("sent publications whose metrics are still to be read"), NULL);
    return 0;
}

/* ---- calls ------------------------------------------------------------------ */

/* A metrics call's done carries only a token: the service whose calls it
 * answers (one per process). */
static struct service *answering;

struct stored {
    char key[33];
    int64_t reading, read_at;
    char **names;
    int64_t *values;
    size_t n;
};

static int store_job(struct jade_ledger *l, void *ctx)
{
    struct stored *st = ctx;
    return jade_ledger_store_reading(l, st->key, st->reading, st->read_at,
                                     (const char *const *)st->names, st->values, st->n);
}

static void stored_done(void *ctx, bool ok)
{
    (void)ok; /* not written: the service stops, and the next start reads it again */
    struct stored *st = ctx;
    for (size_t i = 0; i < st->n; i++) free(st->names[i]);
    free(st->names);
    free(st->values);
    free(st);
}

/* A name as the ledger keeps it: a few safe characters, not too long. */
static bool good_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > READING_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* The readings e->taking covers, each stored with the names given, in
 * the writer's next batch (one transaction: every name of a reading, and
 * every reading of the answer, together). */
static void store(struct service *s, struct jade_reading *e, const char *const *names,
                  const int64_t *values, size_t n)
{
    for (size_t i = 0; i < s->cfg->n_readings; i++) {
        if (!(e->taking >> i & 1u)) continue;
        struct stored *st = jade_xcalloc(1, sizeof *st);
        memcpy(st->key, e->key, sizeof st->key);
        st->reading = s->cfg->readings[i];
        st->read_at = service_now(s);
        st->names = jade_xcalloc(n + 1, sizeof *st->names);
        st->values = jade_xcalloc(n + 1, sizeof *st->values);
        for (size_t k = 0; k < n; k++) {
            st->names[k] = jade_xstrdup(names[k]);
            st->values[k] = values[k];
        }
        st->n = n;
        jade_writer_job(s->writer, store_job, stored_done, st);
    }
    e->done |= e->taking;
}

/* Readings as "3600,86400", for the log. */
static void say_readings(const struct jade_config *cfg, uint32_t bits, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->n_readings && len < size; i++)
        if (bits >> i & 1u)
            len += (size_t)snprintf(out + len, size - len, "%s%lld", len ? "," : "",
                                    (long long)cfg->readings[i]);
}

static void give_up(struct service *s, struct jade_reading *e, const char *why)
{
    char readings[128];
    say_readings(s->cfg, e->taking, readings, sizeof readings);
    const char *name = JADE_METRIC_GIVEN_UP;
    int64_t attempts = e->attempts;
    store(s, e, &name, &attempts, 1);
    jade_metrics_reading(&s->metrics, e->ch->net, JADE_READING_GIVEN_UP);
    jade_log(&s->log, JADE_LOG_WARNING, "metrics_given_up", "key", e->key, "channel", e->ch->id,
             "network", e->ch->net->plugin->name, "reading", readings, "attempts",
             JADE_LOG_INT(e->attempts), "error", why, "msg",
             _("the publication's metrics could not be read: this reading is given up"), NULL);
    e->attempts = 0;
}

static void read_ok(struct service *s, struct jade_reading *e, const struct jade_metric *metrics,
                    size_t n_metrics)
{
    const char *names[READING_MAX_METRICS];
    int64_t values[READING_MAX_METRICS];
    size_t n = 0;
    const char *reach = NULL, *engagement = NULL;
    char reach_v[24], engagement_v[24];
    for (size_t i = 0; metrics && i < n_metrics && n < READING_MAX_METRICS; i++) {
        if (!good_name(metrics[i].name)) continue;
        bool twice = false;
        for (size_t k = 0; k < n && !twice; k++) twice = !strcmp(names[k], metrics[i].name);
        if (twice) continue;
        names[n] = metrics[i].name;
        values[n++] = metrics[i].value;
        if (!strcmp(metrics[i].name, "reach"))
            snprintf(reach_v, sizeof reach_v, "%lld", (long long)metrics[i].value), reach = reach_v;
        if (!strcmp(metrics[i].name, "engagement"))
            snprintf(engagement_v, sizeof engagement_v, "%lld", (long long)metrics[i].value),
                engagement = engagement_v;
    }
    char readings[128];
    say_readings(s->cfg, e->taking, readings, sizeof readings);
    store(s, e, names, values, n);
    e->attempts = 0;
    jade_metrics_reading(&s->metrics, e->ch->net, JADE_READING_READ);
    jade_log(&s->log, JADE_LOG_INFO, "metrics_read", "key", e->key, "channel", e->ch->id, "network",
             e->ch->net->plugin->name, "reading", readings, "sent_at", JADE_LOG_TIME(e->sent_at),
             "names", JADE_LOG_INT(n), "reach", reach, "engagement", engagement, NULL);
}

static void answered(struct jade_reading *e, const struct jade_result *res,
                     const struct jade_metric *metrics, size_t n_metrics)
{
    struct service *s = e->s;
    struct jade_channel *ch = e->ch;
    ch->reading = NULL;
    s->inflight--;
    if (e->forgotten || s->overdue || !s->writer) {
        free_reading(e);
        if (!s->reading_metrics) service_arm(s);
        return;
    }
    int64_t now = service_now(s), retry_at = 0;
    uint32_t outcome =
        JADE_HAS_MEMBER(res, struct jade_result, outcome) ? res->outcome : JADE_OUTCOME_UNKNOWN;
    const char *message = JADE_HAS_MEMBER(res, struct jade_result, message) ? res->message : NULL;
    char excerpt[300];
    jade_excerpt(message, excerpt, sizeof excerpt);
    const char *why = message ? excerpt : NULL;
    switch (outcome) {
    case JADE_OUTCOME_SENT:
        read_ok(s, e, metrics, n_metrics);
        break;
    case JADE_OUTCOME_RETRY_AFTER: {
        /* The network's wait holds the channel's readings, not an attempt. */
        uint32_t after = JADE_HAS_MEMBER(res, struct jade_result, retry_after_seconds)
                             ? res->retry_after_seconds
                             : 0;
        ch->readings_held_until = now + (after ? after : 1);
        jade_metrics_reading(&s->metrics, ch->net, JADE_READING_FAILED);
        jade_log(&s->log, JADE_LOG_INFO, "metrics_wait", "key", e->key, "channel", ch->id,
                 "network", ch->net->plugin->name, "until", JADE_LOG_TIME(ch->readings_held_until),
                 "error", why, "msg",
                 _("the network asked to wait: the channel's readings wait, its publications "
                   "do not"),
                 NULL);
        break;
    }
    case JADE_OUTCOME_PERMANENT:
    case JADE_OUTCOME_NOT_FOUND:
        e->attempts++;
        give_up(s, e, why ? why : _("the network refused the reading"));
        break;
    default: /* transient, unknown, credentials refused, an outcome jade does not know */
        e->attempts++;
        if (outcome == JADE_OUTCOME_AUTH_FAILED) ch->readings_held_until = now + READING_AUTH_HOLD;
        if (e->attempts >= READING_ATTEMPTS) {
            give_up(s, e, why);
            break;
        }
        retry_at = now + jade_backoff(e->attempts, READING_RETRY_BASE, READING_RETRY_MAX, &s->rng);
        jade_metrics_reading(&s->metrics, ch->net, JADE_READING_FAILED);
        jade_log(&s->log, JADE_LOG_WARNING, "metrics_failed", "key", e->key, "channel", ch->id,
                 "network", ch->net->plugin->name, "attempt", JADE_LOG_INT(e->attempts), "next",
                 JADE_LOG_TIME(retry_at), "error", why, "msg",
                 outcome == JADE_OUTCOME_AUTH_FAILED
                     ? _("the channel's credentials cannot read metrics: its readings wait an "
                         "hour; its publications go on")
                     : _("the publication's metrics could not be read: tried again later"),
                 NULL);
        break;
    }
    e->taking = 0;
    requeue(e, retry_at);
    if (!s->reading_metrics) service_arm(s); /* else the dispatch in progress goes on */
}

static void metrics_done_cb(void *token, const struct jade_result *res,
                            const struct jade_metric *metrics, size_t n_metrics)
{
    struct service *s = answering;
    struct jade_reading *e = s ? jade_calls_end(&s->reading_calls, token) : NULL;
    if (e) {
        answered(e, res, metrics, n_metrics);
        return;
    }
    if (!s) return;
    unsigned tag = jade_calls_tag(token);
    jade_log(&s->log, s->closed ? JADE_LOG_DEBUG : JADE_LOG_WARNING, "answer_ignored", "network",
             tag < s->n_nets ? s->nets[tag].plugin->name : NULL, "msg",
             _("the plugin answered a metrics call that is over (answered already, or past its "
               "deadline): ignored"),
             NULL);
}

static void reading_expired(void *data)
{
    struct jade_reading *e = data;
    char message[160];
    snprintf(message, sizeof message, _("no answer within the plugin's deadline (%u s)"),
             jade_calls_deadline(e->ch->net->plugin));
    struct jade_result res = {
        .struct_size = sizeof res, .outcome = JADE_OUTCOME_UNKNOWN, .message = message};
    answered(e, &res, NULL, 0);
}

static void drop_reading(void *data)
{
    struct jade_reading *e = data;
    e->ch->reading = NULL;
    e->s->inflight--;
    free_reading(e);
}

void service_drop_readings(struct service *s, bool last)
{
    if (s->reading_calls.loop) jade_calls_drop(&s->reading_calls, drop_reading);
    if (last && answering == s) answering = NULL;
}

void service_free_readings(struct service *s)
{
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        for (size_t i = 0; i < ch->n_readings; i++) free_reading(ch->readings[i]);
        ch->n_readings = 0;
    }
}

/* The reading of e leaves: every reading of it due by now, in one call
 * that asks for the latest of them. */
static void start_reading(struct service *s, struct jade_channel *ch, struct jade_reading *e,
                          int64_t now)
{
    const struct jade_config *cfg = s->cfg;
    e->taking = 0;
    size_t latest = 0;
    for (size_t i = 0; i < cfg->n_readings; i++)
        if (!(e->done >> i & 1u) && e->sent_at + cfg->readings[i] <= now) {
            e->taking |= 1u << i;
            latest = i;
        }
    jade_format_utc(e->sent_at, e->due);
    const char *secret = json_string_value(json_object_get(ch->json, "secret"));
    free(e->secret_name);
    e->secret_name = secret ? jade_xstrdup(secret) : NULL;
    e->pub = (struct jade_publication){
        .struct_size = sizeof e->pub,
        .key = e->key,
        .campaign = e->campaign,
        .post = e->post,
        .channel = ch->id,
        .lang = e->lang,
        .text = "",
        .due = e->due,
        .account_json = ch->account_json,
        .secret_name = e->secret_name,
        .attempt = (uint32_t)e->attempts + 1,
        .sent_at = e->sent_at,
        .reading = (uint32_t)cfg->readings[latest],
    };
    ch->reading = e;
    ch->last_reading = now;
    s->inflight++;
    if (!s->reading_calls.loop) jade_calls_init(&s->reading_calls, &s->loop, reading_expired);
    answering = s;
    char readings[128];
    say_readings(cfg, e->taking, readings, sizeof readings);
    jade_log(&s->log, JADE_LOG_DEBUG, "metrics_reading", "key", e->key, "channel", ch->id,
             "reading", readings, "attempt", JADE_LOG_INT(e->attempts + 1), NULL);
    void *token = jade_calls_start(&s->reading_calls, e, (unsigned)(ch->net - s->nets),
                                   jade_calls_deadline(ch->net->plugin));
    /* Its done may come from inside the call: e is not touched after it. */
    ch->net->plugin->metrics(ch->net->state, &e->pub, e->network_id, metrics_done_cb, token);
}

/* Seconds between two requests at the network's pace. */
static int64_t pace(const struct jade_channel *ch)
{
    uint32_t rate = ch->net->plugin->rate_per_minute;
    return rate ? (60 + rate - 1) / rate : 0;
}

/* A publication (or a removal) is in flight on ch, or due before a
 * request made now would let it go at the network's pace. */
static bool publishing(const struct jade_channel *ch, int64_t now)
{
    if (ch->inflight) return true;
    int64_t soon = now + pace(ch);
    const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                         jade_queue_top(&ch->planned)};
    for (size_t i = 0; i < 2; i++)
        if (tops[i] && tops[i]->at <= soon) return true;
    for (size_t i = 0; i < ch->n_removals; i++)
        if (ch->removals[i].at <= soon) return true;
    return false;
}

/* When ch's next reading may go (INT64_MAX: none waits, or it cannot). */
static int64_t channel_wake(struct service *s, const struct jade_channel *ch)
{
    if (!ch->n_readings || ch->reading || ch->removed || ch->suspended || !ch->net ||
        jade_halts_channel(&s->halts, ch->id))
        return INT64_MAX;
    int64_t t = ch->readings[0]->at;
    int64_t holds[] = {ch->blocked_until, ch->readings_held_until, ch->last_request + pace(ch),
                       ch->last_reading + pace(ch)};
    for (size_t i = 0; i < sizeof holds / sizeof *holds; i++)
        if (holds[i] > t) t = holds[i];
    return t;
}

/* A plugin may answer from inside the call: then the channel is looked at
 * again here (a few times at most), rather than from a nested arm whose
 * timer the caller's would replace. */
#define SAME_TURN_READINGS 16

int64_t service_read_metrics(struct service *s)
{
    int64_t wake = INT64_MAX;
    if (s->reloading || s->stopping || s->closed || !s->writer) return wake;
    int64_t now = service_now(s);
    s->reading_metrics = true;
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        for (int turn = 0;; turn++) {
            int64_t t = channel_wake(s, ch);
            if (t > now || turn == SAME_TURN_READINGS) {
                if (t <= now) t = now + 1; /* the rest of what is due: in a second */
                if (t < wake) wake = t;
                break;
            }
            /* What publishes re-arms once answered, or at its own time. */
            if (publishing(ch, now)) break;
            start_reading(s, ch, heap_take(ch, 0), now);
            if (ch->reading) break; /* answered later: its answer arms */
        }
    }
    s->reading_metrics = false;
    return wake;
}
