/* service.c - the publishing service's life cycle and wiring (see
 * service.h).
 *
 * Ownership: the service owns the loop, the ledger and its writer, the
 * plugin instances, the content snapshot and its plan, and each channel's
 * queues of what waits. A request (one publication in flight) owns the
 * strings its publication points to, until the plugin's done callback
 * frees it.
 *
 * Durability: every state change goes through the writer, and a request
 * leaves only once the batch that marks it `sending` is committed. If the
 * ledger cannot be written, the service stops: nothing leaves that it does
 * not record. */
#include "service.h"

#include "clock.h"
#include "config.h"
#include "dispatch.h"
#include "host.h"
#include "http.h"
#include "ledger.h"
#include "lock.h"
#include "plugins.h"
#include "queue.h"
#include "writer.h"
#include "../content/content.h"
#include "../plan/plan.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

struct service;

struct channel {
    const json_t *json;
    const char *id;
    char *account_json; /* the channel's "account", as plugins get it */
    struct jade_instance *net;
    struct jade_queue planned, retrying;
    unsigned inflight;
    bool suspended;
    int64_t blocked_until, last_request;
};

struct request {
    struct service *s;
    struct channel *ch;
    char key[33];
    bool lookup;
    int64_t due_time;
    struct jade_publication pub;
    char due[32];
    char **media;
    size_t n_media;
};

struct service {
    const struct jade_service_options *opt;
    const struct jade_config *cfg;
    uv_loop_t loop;
    uv_timer_t timer;
    uv_check_t flush;
    uv_signal_t sigterm, sigint;
    bool closed;
    struct jade_clock clock;
    int64_t sim_target; /* simulated: what the clock shows when the timer fires */
    struct jade_host_env env;
    int lock_fd; /* the state folder's lock, or -1 */
    struct jade_ledger *ledger;
    struct jade_writer *writer;
    struct jade_plugins plugins;
    char *plugins_dir; /* where they were loaded from */
    struct jade_instance *nets;
    size_t n_nets;
    struct jade_source *src;
    char *media_root; /* where publications find media: the folder, or the state's copy */
    struct jade_content *content;
    struct jade_plan plan;
    const struct jade_occurrence **by_key; /* the plan's occurrences, by key */
    json_t *by_channel;                    /* channel id -> index in channels */
    struct channel *channels;
    size_t n_channels;
    bool ledger_failed;
    size_t inflight;
    bool stopping;
    uint64_t rng;
    int catch_up_minutes;
    int64_t plan_from; /* the plan covers [plan_from, ...) */
    size_t sent, failed;
    uint64_t last_progress_ns;
};

static int64_t now_of(struct service *s)
{
    return jade_clock_now(&s->clock);
}

static void arm(struct service *s);

/* ---- start: content, plan, ledger --------------------------------------- */

static int open_source(struct service *s, struct jade_buf *err)
{
    const struct jade_config *c = s->cfg;
    if (c->source_dir) return jade_source_open_dir(c->source_dir, &s->src, err);
    return jade_source_open_git(c->source_url, c->branch, c->path, &s->src, err);
}

static struct channel *channel_named(struct service *s, const char *id)
{
    const json_t *i = id ? json_object_get(s->by_channel, id) : NULL;
    return i ? &s->channels[json_integer_value(i)] : NULL;
}

static void start_plugins(struct service *s)
{
    s->plugins_dir =
        s->cfg->plugin_dir ? jade_xstrdup(s->cfg->plugin_dir) : jade_default_plugin_dir();
    jade_plugins_load_dir(s->plugins_dir, &s->plugins);
    for (size_t i = 0; i < s->plugins.n_refused; i++)
        fprintf(stderr, _("jade run: plugin refused: %s\n"), s->plugins.refused[i]);
    jade_instances_start(&s->plugins, s->cfg->networks, &s->env, &s->nets, &s->n_nets);
}

static enum jade_service_status load_content(struct service *s)
{
    struct jade_buf err = {0};
    if (open_source(s, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (s->cfg->source_dir) {
        s->media_root = realpath(s->cfg->source_dir, NULL);
        if (!s->media_root) s->media_root = jade_xstrdup(s->cfg->source_dir);
    } else {
        s->media_root = jade_xasprintf("%s/media", s->cfg->state_dir); /* made once locked */
    }
    struct jade_network *items = jade_xcalloc(s->n_nets + 1, sizeof *items);
    for (size_t i = 0; i < s->n_nets; i++)
        items[i] = (struct jade_network){s->nets[i].plugin->name, &s->nets[i].plugin->limits};
    struct jade_networks networks = {items, s->n_nets};
    struct jade_diags diags = {0};
    s->content = jade_content_load(s->src, &networks, &diags);
    free(items);
    enum jade_service_status rc = JADE_SERVICE_OK;
    if (!s->content || diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        fprintf(stderr, _("jade run: the content has %zu error(s); nothing is published\n"),
                diags.errors);
        rc = JADE_SERVICE_FAILED;
    }
    jade_diags_free(&diags);
    return rc;
}

static void index_channels(struct service *s)
{
    const json_t *list =
        s->content->channels ? json_object_get(s->content->channels->json, "channels") : NULL;
    s->n_channels = json_array_size(list);
    s->channels = jade_xcalloc(s->n_channels + 1, sizeof *s->channels);
    s->by_channel = json_object();
    for (size_t i = 0; i < s->n_channels; i++) {
        struct channel *ch = &s->channels[i];
        ch->json = json_array_get(list, i);
        ch->id = json_string_value(json_object_get(ch->json, "id"));
        ch->net = jade_instance_find(s->nets, s->n_nets,
                                     json_string_value(json_object_get(ch->json, "network")));
        if (ch->id) json_object_set_new(s->by_channel, ch->id, json_integer((json_int_t)i));
        ch->account_json = json_dumps(json_object_get(ch->json, "account"), JSON_COMPACT);
    }
}

static int by_key_order(const void *a, const void *b)
{
    return strcmp((*(const struct jade_occurrence *const *)a)->key,
                  (*(const struct jade_occurrence *const *)b)->key);
}

static enum jade_service_status plan_and_reconcile(struct service *s)
{
    const json_t *pol = json_object_get(s->content->programme->json, "policy");
    const json_t *cu = json_object_get(pol, "catch_up_minutes");
    s->catch_up_minutes = json_is_integer(cu) ? (int)json_integer_value(cu) : 60;
    int64_t now = now_of(s);
    int64_t from = now - (int64_t)s->catch_up_minutes * 60;
    s->plan_from = from;
    int64_t to = now + (int64_t)s->cfg->horizon_days * 86400;
    struct jade_diags diags = {0};
    jade_plan_build(s->content, from, to, NULL, &s->plan, &diags);
    jade_diags_print_text(stderr, &diags);
    jade_diags_free(&diags);
    s->by_key = jade_xcalloc(s->plan.count + 1, sizeof *s->by_key);
    for (size_t i = 0; i < s->plan.count; i++) s->by_key[i] = &s->plan.items[i];
    qsort(s->by_key, s->plan.count, sizeof *s->by_key, by_key_order);
    struct jade_reconcile_stats st;
    if (jade_ledger_reconcile(s->ledger, &s->plan, from, to, s->content->commit, now, &st) != 0) {
        fprintf(stderr, _("jade run: cannot write the ledger in %s\n"), s->cfg->state_dir);
        return JADE_SERVICE_FAILED;
    }
    if (st.inserted + st.moved + st.cancelled > 1000) jade_ledger_checkpoint(s->ledger);
    return JADE_SERVICE_OK;
}

/* What waits, from the ledger into each channel's queues: read once, at
 * start; from then on the queues and the ledger change together. */
static void queue_row(void *ctx, const struct jade_ledger_row *row)
{
    struct service *s = ctx;
    struct channel *ch = channel_named(s, row->channel);
    if (!ch) return; /* a channel the content no longer has: nothing sends there */
    struct jade_waiting w = {.due = row->due, .attempts = row->attempts};
    snprintf(w.key, sizeof w.key, "%s", row->key);
    if (row->state == JADE_RETRYING) {
        w.at = row->next_attempt;
        jade_queue_push(&ch->retrying, &w);
    } else {
        w.at = row->due;
        jade_queue_push(&ch->planned, &w);
    }
}

static enum jade_service_status load_queues(struct service *s)
{
    if (jade_ledger_in_state(s->ledger, JADE_PLANNED, queue_row, s) != 0 ||
        jade_ledger_in_state(s->ledger, JADE_RETRYING, queue_row, s) != 0) {
        fprintf(stderr, _("jade run: cannot read the ledger in %s\n"), s->cfg->state_dir);
        return JADE_SERVICE_FAILED;
    }
    return JADE_SERVICE_OK;
}

static const struct jade_occurrence *occurrence_of(struct service *s, const char *key)
{
    struct jade_occurrence probe;
    snprintf(probe.key, sizeof probe.key, "%s", key);
    const struct jade_occurrence *p = &probe;
    const struct jade_occurrence **found =
        bsearch(&p, s->by_key, s->plan.count, sizeof *s->by_key, by_key_order);
    return found ? *found : NULL;
}

/* ---- requests ------------------------------------------------------------ */

/* A state change, stamped with the clock, to the writer's next batch. */
static void record(struct service *s, struct jade_update u)
{
    u.at = now_of(s);
    jade_writer_update(s->writer, &u);
    if (u.state == JADE_SENT) s->sent++;
    if (u.state == JADE_FAILED) s->failed++;
}

static void free_request(struct request *r)
{
    for (size_t i = 0; i < r->n_media; i++) free(r->media[i]);
    free(r->media);
    free(r);
}

/* A media file's path for plugins. From a git source it is copied out of
 * the commit on first use, whole or not at all (temp file, fsync, rename),
 * so that a crash never leaves a truncated copy to publish. */
static char *media_path(struct service *s, const char *campaign_dir, const char *file)
{
    char *rel = jade_xasprintf("%s/%s", campaign_dir, file);
    char *out = jade_xasprintf("%s/%s", s->media_root, rel);
    if (!s->cfg->source_dir && access(out, F_OK) != 0) {
        char *data = NULL;
        size_t len = 0;
        struct jade_buf err = {0};
        if (jade_source_read(s->src, rel, JADE_MAX_MEDIA_BYTES, &data, &len, &err) == 0) {
            for (char *p = strchr(out + strlen(s->media_root) + 1, '/'); p;
                 p = strchr(p + 1, '/')) {
                *p = '\0';
                mkdir(out, 0700);
                *p = '/';
            }
            char *tmp = jade_xasprintf("%s.tmp", out);
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            size_t done = 0;
            for (ssize_t n = 0; fd >= 0 && done < len; done += (size_t)n)
                if ((n = write(fd, data + done, len - done)) <= 0) break;
            bool ok = fd >= 0 && done == len && fsync(fd) == 0;
            if (fd >= 0) ok = close(fd) == 0 && ok;
            if (!ok || rename(tmp, out) != 0) unlink(tmp);
            free(tmp);
        }
        free(data);
        jade_buf_free(&err);
    }
    free(rel);
    return out;
}

static const char *text_of(const struct jade_occurrence *o)
{
    for (size_t i = 0; i < o->post->n_texts; i++)
        if (!strcmp(o->post->texts[i].lang, o->lang)) return o->post->texts[i].file->text;
    return "";
}

static struct request *new_request(struct service *s, struct channel *ch,
                                   const struct jade_occurrence *o, int attempt, bool lookup)
{
    struct request *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->ch = ch;
    r->lookup = lookup;
    snprintf(r->key, sizeof r->key, "%s", o->key);
    r->due_time = o->due;
    jade_format_utc(o->due, r->due);
    const json_t *pj = o->post->file->json;
    const json_t *media = json_object_get(pj, "media");
    r->n_media = json_array_size(media);
    r->media = jade_xcalloc(r->n_media + 1, sizeof *r->media);
    for (size_t i = 0; i < r->n_media; i++)
        r->media[i] =
            media_path(s, o->campaign->dir,
                       json_string_value(json_object_get(json_array_get(media, i), "file")));
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = o->campaign->id,
        .post = o->post->id,
        .channel = ch->id,
        .lang = o->lang,
        .text = text_of(o),
        .link = json_string_value(json_object_get(pj, "link")),
        .due = r->due,
        .account_json = ch->account_json ? ch->account_json : "{}",
        .secret_name = json_string_value(json_object_get(o->channel, "secret")),
        .media = (const char *const *)r->media,
        .n_media = r->n_media,
        .attempt = (uint32_t)attempt,
    };
    return r;
}

/* Back in its channel's queue, to go again at `at`. */
static void requeue(struct request *r, struct jade_queue *q, int64_t at)
{
    struct jade_waiting w = {.at = at, .due = r->due_time, .attempts = (int)r->pub.attempt};
    snprintf(w.key, sizeof w.key, "%s", r->key);
    jade_queue_push(q, &w);
}

static struct jade_retry_policy retry_policy(const struct service *s)
{
    return (struct jade_retry_policy){s->cfg->retry_base_seconds, s->cfg->retry_max_seconds,
                                      s->cfg->retry_max_attempts};
}

/* A plugin answered: the core decides what follows (dispatch.c). */
static void done_cb(void *token, const struct jade_result *res)
{
    struct request *r = token;
    struct service *s = r->s;
    struct channel *ch = r->ch;
    struct jade_retry_policy retry = retry_policy(s);
    struct jade_decision d;
    jade_decide_outcome(res, r->lookup, (int)r->pub.attempt, now_of(s), &retry, &s->rng, &d);
    if (d.suspend && !ch->suspended)
        fprintf(stderr, _("jade run: channel %s suspended: its credentials were refused: %s\n"),
                ch->id, d.error);
    if (d.suspend) ch->suspended = true;
    if (d.blocked_until) ch->blocked_until = d.blocked_until;
    bool sent = d.state == JADE_SENT;
    struct jade_update u = {.state = d.state, .next_attempt = d.next_attempt, .error = d.error};
    snprintf(u.key, sizeof u.key, "%s", r->key);
    if (sent) u.network_id = res->network_id, u.url = res->url;
    record(s, u);
    if (d.requeue == JADE_REQUEUE_PLANNED) requeue(r, &ch->planned, r->due_time);
    if (d.requeue == JADE_REQUEUE_RETRYING) requeue(r, &ch->retrying, d.next_attempt);
    ch->inflight--;
    s->inflight--;
    free_request(r);
}

/* The writer committed a batch (ok), or could not: its requests leave, or
 * none of them may. */
static void written_cb(void *ctx, void **requests, size_t count, bool ok)
{
    struct service *s = ctx;
    if (!ok) {
        /* The ledger still says what was durable: a restart resumes there. */
        if (!s->ledger_failed)
            fprintf(stderr,
                    _("jade run: cannot write the ledger in %s: stopping; nothing "
                      "was sent that it does not record\n"),
                    s->cfg->state_dir);
        s->ledger_failed = s->stopping = true;
    }
    for (size_t i = 0; i < count; i++) {
        struct request *r = requests[i];
        if (!ok) {
            r->ch->inflight--;
            free_request(r);
            continue;
        }
        s->inflight++;
        r->ch->net->plugin->publish(r->ch->net->state, &r->pub, done_cb, r);
    }
    arm(s);
}

/* ---- dispatch ------------------------------------------------------------ */

/* The channel's next occurrence ready at now: a retry whose time came
 * first (it was due before anything still planned), else the earliest
 * planned one due. */
static bool take_ready(struct channel *ch, int64_t now, struct jade_waiting *out)
{
    const struct jade_waiting *retry = jade_queue_top(&ch->retrying);
    if (retry && retry->at <= now) return jade_queue_pop(&ch->retrying, out) == 0;
    const struct jade_waiting *planned = jade_queue_top(&ch->planned);
    if (planned && planned->at <= now) return jade_queue_pop(&ch->planned, out) == 0;
    return false;
}

/* When a channel may send again under its network's rate and the last
 * Retry-After. */
static int64_t free_at(const struct channel *ch)
{
    uint32_t rate = ch->net ? ch->net->plugin->rate_per_minute : 0;
    int64_t t = ch->blocked_until;
    if (rate && ch->last_request + (60 + rate - 1) / rate > t)
        t = ch->last_request + (60 + rate - 1) / rate;
    return t;
}

/* Fills each channel up to its concurrency with what is ready: marked
 * `sending` in the batch and sent once it is committed; or settled
 * (missed, cancelled, failed) and the next one taken. Returns the earliest
 * time a held channel (a rate limit, a Retry-After) frees up, or
 * INT64_MAX. */
static int64_t dispatch_ready(struct service *s)
{
    int64_t now = now_of(s), wake = INT64_MAX;
    for (size_t c = 0; c < s->n_channels; c++) {
        struct channel *ch = &s->channels[c];
        unsigned limit = ch->net ? ch->net->concurrency : 1;
        while (!ch->suspended && ch->inflight < limit) {
            int64_t t = free_at(ch);
            if (t > now) {
                if (t < wake) wake = t;
                break;
            }
            struct jade_waiting w;
            if (!take_ready(ch, now, &w)) break;
            const struct jade_occurrence *o = occurrence_of(s, w.key);
            struct jade_ready ready = {.in_plan = o != NULL,
                                       .before_plan = w.due < s->plan_from,
                                       .has_plugin = ch->net != NULL,
                                       .attempts = w.attempts,
                                       .due = w.due,
                                       .now = now,
                                       .catch_up_seconds = s->catch_up_minutes * 60};
            const char *why;
            enum jade_state next = jade_decide_ready(&ready, &why);
            if (next != JADE_SENDING) {
                struct jade_update u = {.state = next, .error = why};
                memcpy(u.key, w.key, sizeof u.key);
                record(s, u);
                continue;
            }
            /* Sent from the commit its campaign was read from. */
            struct jade_update u = {
                .state = JADE_SENDING, .attempts_delta = 1, .commit = o->campaign->commit};
            memcpy(u.key, w.key, sizeof u.key);
            record(s, u);
            ch->inflight++;
            ch->last_request = now;
            jade_writer_hold(s->writer, new_request(s, ch, o, w.attempts + 1, false));
        }
    }
    return wake;
}

/* ---- the loop ------------------------------------------------------------ */

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Nothing in flight, nothing waiting to be written. */
static bool settled(const struct service *s)
{
    return s->inflight == 0 && jade_writer_idle(s->writer);
}

static void stop(struct service *s)
{
    if (s->closed) return;
    s->closed = true;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, close_cb);
    uv_close((uv_handle_t *)&s->flush, close_cb);
    uv_close((uv_handle_t *)&s->sigterm, close_cb);
    uv_close((uv_handle_t *)&s->sigint, close_cb);
    jade_writer_close(s->writer); /* idle by now */
    s->writer = NULL;
    jade_http_close(s->env.http); /* nothing is in flight by now */
    s->env.http = NULL;
}

static void progress(struct service *s, bool last)
{
    if (!s->opt->progress) return;
    uint64_t t = uv_hrtime();
    if (!last && t - s->last_progress_ns < 100000000ull) return;
    s->last_progress_ns = t;
    char when[32];
    jade_format_utc(now_of(s), when);
    fprintf(s->opt->progress, _("\r  %.16s  sent %zu  failed %zu  in flight %zu   %s"), when,
            s->sent, s->failed, s->inflight, last ? "\n" : "");
    fflush(s->opt->progress);
}

static void timer_cb(uv_timer_t *t)
{
    struct service *s = t->data;
    jade_clock_advance(&s->clock, s->sim_target);
    arm(s);
}

/* At the end of each loop turn: the outcomes it brought free their
 * channels for the next occurrences, and all of it goes to the writer. */
static void flush_cb(uv_check_t *h)
{
    struct service *s = h->data;
    if (!s->writer || !jade_writer_pending(s->writer)) return;
    arm(s);
    if (s->writer) jade_writer_submit(s->writer);
    progress(s, false);
}

/* The earliest time something waiting becomes ready; what is ready now
 * but held waits for its channel: a request in flight re-arms when it is
 * answered, a rate limit when it lifts, a suspension when an operator
 * resumes. */
static int64_t next_time(struct service *s, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t c = 0; c < s->n_channels; c++) {
        struct channel *ch = &s->channels[c];
        if (ch->suspended) continue;
        const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                             jade_queue_top(&ch->planned)};
        for (size_t i = 0; i < 2; i++)
            if (tops[i] && tops[i]->at > now && tops[i]->at < next) next = tops[i]->at;
    }
    return next;
}

/* Sends what is ready, then sets the timer for the next event. */
static void arm(struct service *s)
{
    if (s->closed) return;
    int64_t now = now_of(s);
    if (s->opt->until != INT64_MAX && now >= s->opt->until) s->stopping = true;
    if (s->stopping) {
        if (settled(s)) stop(s);
        return;
    }
    int64_t wake = dispatch_ready(s);
    if (s->opt->once) {
        /* What is due goes, channel by channel; once nothing more can go
         * now, the run is over. */
        if (settled(s)) stop(s);
        return;
    }
    uv_timer_stop(&s->timer);
    /* Virtual time stands still while the service works: the answer of
     * the last request, or the writer's commit, arms again. */
    if (s->clock.simulated && !settled(s)) return;
    int64_t next = next_time(s, now);
    if (wake < next) next = wake;
    if (s->opt->until < next) next = s->opt->until;
    if (next == INT64_MAX) return; /* nothing to do until a signal */
    uint64_t ms = jade_clock_delay_ms(&s->clock, next);
    if (s->clock.simulated) {
        /* A delay that was capped reaches only as far as the speed allows. */
        double reach = (double)now + (double)ms / 1000.0 * s->clock.speed;
        s->sim_target = reach < (double)next ? (int64_t)reach : next;
    } else if (ms > 50) {
        /* Linux lets a sleep of t overrun by t / 1000 (up to 100 ms) to
         * batch wake-ups: a long one wakes a little early, and the next,
         * short, one is exact. */
        ms -= ms / 500 + 1;
    }
    uv_update_time(&s->loop); /* the delay counts from now, not from the turn's start */
    uv_timer_start(&s->timer, timer_cb, ms, 0);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct service *s = h->data;
    (void)signum;
    s->stopping = true;
    fprintf(stderr, _("\njade run: stopping once the requests in flight are answered\n"));
    arm(s);
}

/* ---- recovery after a crash ---------------------------------------------- */

struct sending_list {
    struct jade_ledger_row *items; /* key and channel copied */
    size_t count, cap;
};

static void collect_sending(void *ctx, const struct jade_ledger_row *row)
{
    struct sending_list *l = ctx;
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = jade_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = (struct jade_ledger_row){
        .key = jade_xstrdup(row->key),
        .channel = jade_xstrdup(row->channel),
        .attempts = row->attempts,
    };
}

static void free_sending(struct sending_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free((char *)l->items[i].key);
        free((char *)l->items[i].channel);
    }
    free(l->items);
}

/* After a crash: what was `sending` is re-sent with the same key where the
 * network honours one; elsewhere it is uncertain, and looked up where the
 * plugin can. Never blindly re-sent. Runs before the queues are loaded,
 * so what goes back to planned is queued with the rest. All of it is
 * recorded in one transaction, before any lookup leaves. */
static enum jade_service_status recover(struct service *s)
{
    struct sending_list rows = {0};
    if (jade_ledger_in_state(s->ledger, JADE_SENDING, collect_sending, &rows) != 0) {
        free_sending(&rows);
        fprintf(stderr, _("jade run: cannot read the ledger in %s\n"), s->cfg->state_dir);
        return JADE_SERVICE_FAILED;
    }
    int64_t now = now_of(s);
    struct jade_update *updates = jade_xcalloc(rows.count + 1, sizeof *updates);
    struct request **lookups = jade_xcalloc(rows.count + 1, sizeof *lookups);
    size_t n_lookups = 0;
    for (size_t i = 0; i < rows.count; i++) {
        const struct jade_ledger_row *row = &rows.items[i];
        struct channel *ch = channel_named(s, row->channel);
        struct jade_instance *net = ch ? ch->net : NULL;
        const struct jade_occurrence *o = occurrence_of(s, row->key);
        struct jade_update *u = &updates[i];
        snprintf(u->key, sizeof u->key, "%s", row->key);
        u->at = now;
        if (net && (net->plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY)) {
            u->state = JADE_PLANNED;
            u->error = _("re-sent after a restart, with the same idempotency key");
            continue;
        }
        u->state = JADE_UNCERTAIN;
        u->error = _("the service stopped while sending: it may have been published");
        if (net && o && net->plugin->lookup && (net->plugin->capabilities & JADE_CAP_LOOKUP) &&
            ch->inflight < net->concurrency) {
            ch->inflight++;
            lookups[n_lookups++] = new_request(s, ch, o, row->attempts, true);
        }
    }
    enum jade_service_status rc = JADE_SERVICE_OK;
    if (jade_ledger_apply(s->ledger, updates, rows.count) != 0) {
        fprintf(stderr, _("jade run: cannot write the ledger in %s\n"), s->cfg->state_dir);
        rc = JADE_SERVICE_FAILED;
    }
    for (size_t i = 0; i < n_lookups; i++) {
        struct request *r = lookups[i];
        if (rc != JADE_SERVICE_OK) {
            r->ch->inflight--;
            free_request(r);
            continue;
        }
        s->inflight++;
        r->ch->net->plugin->lookup(r->ch->net->state, &r->pub, done_cb, r);
    }
    if (rows.count && rc == JADE_SERVICE_OK)
        fprintf(stderr,
                _("jade run: %zu publication(s) were being sent when the service "
                  "stopped: recovered\n"),
                rows.count);
    free(updates); /* their strings are static */
    free(lookups);
    free_sending(&rows);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

static void free_service(struct service *s)
{
    jade_instances_stop(s->nets, s->n_nets);
    jade_plugins_free(&s->plugins);
    free(s->plugins_dir);
    for (size_t i = 0; i < s->n_channels; i++) {
        jade_queue_free(&s->channels[i].planned);
        jade_queue_free(&s->channels[i].retrying);
        free(s->channels[i].account_json);
    }
    free(s->channels);
    free(s->by_key);
    json_decref(s->by_channel);
    jade_plan_free(&s->plan);
    jade_content_free(s->content);
    jade_source_free(s->src);
    free(s->media_root);
    jade_ledger_close(s->ledger);
    jade_state_unlock(s->lock_fd);
    free(s);
}

/* Settings the loaded plugins cannot honour: a network under "networks"
 * that no plugin provides. */
static bool networks_known(struct service *s)
{
    bool ok = true;
    const char *name;
    const json_t *v;
    json_object_foreach ((json_t *)s->cfg->networks, name, v) {
        if (jade_instance_find(s->nets, s->n_nets, name)) continue;
        fprintf(stderr,
                _("jade run: %s: networks.%s: no plugin for this network is loaded from %s\n"),
                s->cfg->name, name, s->plugins_dir);
        ok = false;
    }
    return ok;
}

/* Every channel's network has a plugin: else its posts could only fail. */
static bool channels_served(struct service *s)
{
    bool ok = true;
    for (size_t i = 0; i < s->n_channels; i++) {
        const struct channel *ch = &s->channels[i];
        if (ch->net) continue;
        fprintf(stderr,
                _("jade run: channel %s uses the network \"%s\", but no plugin for it is loaded "
                  "from %s: install it, or remove the channel\n"),
                ch->id, json_string_value(json_object_get(ch->json, "network")), s->plugins_dir);
        ok = false;
    }
    return ok;
}

/* Loads, plans, reconciles and recovers; then the loop runs until stopped.
 * Everything that can be checked is, before anything is created in the
 * state folder. */
static enum jade_service_status start(struct service *s)
{
    struct jade_buf err = {0};
    if (jade_config_check_disk(s->cfg, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    start_plugins(s);
    if (!networks_known(s)) return JADE_SERVICE_BAD_CONFIG;
    enum jade_service_status rc = load_content(s);
    if (rc != JADE_SERVICE_OK) return rc;
    index_channels(s);
    if (!channels_served(s)) return JADE_SERVICE_BAD_CONFIG;
    if ((s->lock_fd = jade_state_lock(s->cfg->state_dir, &err)) < 0 ||
        jade_ledger_open(s->cfg->state_dir, &s->ledger, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (!s->cfg->source_dir) mkdir(s->media_root, 0700);
    index_channels(s);
    size_t connections = 0;
    for (size_t i = 0; i < s->n_channels; i++)
        connections += s->channels[i].net ? s->channels[i].net->concurrency : 0;
    jade_http_keep_alive(s->env.http, connections > 16 ? connections : 16);
    if ((rc = plan_and_reconcile(s)) != JADE_SERVICE_OK) return rc;
    s->writer = jade_writer_new(&s->loop, s->ledger, written_cb, s);
    uv_timer_init(&s->loop, &s->timer);
    uv_check_init(&s->loop, &s->flush);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->timer.data = s->flush.data = s->sigterm.data = s->sigint.data = s;
    uv_check_start(&s->flush, flush_cb);
    uv_signal_start(&s->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&s->sigint, signal_cb, SIGINT);
    if ((rc = recover(s)) != JADE_SERVICE_OK || (rc = load_queues(s)) != JADE_SERVICE_OK) {
        /* lookups already sent are answered before the loop ends */
        s->stopping = true;
        arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return rc;
    }
    /* Start on the loop, so that lookups and outcomes are all handled there. */
    uv_timer_start(&s->timer, timer_cb, 0, 0);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    progress(s, true);
    return s->ledger_failed || (s->opt->once && s->failed) ? JADE_SERVICE_FAILED : JADE_SERVICE_OK;
}

enum jade_service_status jade_service_run(const struct jade_service_options *opt)
{
    struct service *s = jade_xcalloc(1, sizeof *s);
    s->opt = opt;
    s->cfg = opt->config;
    s->lock_fd = -1;
    s->rng = opt->seed ? opt->seed : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    if (!s->rng) s->rng = 1;
    if (opt->simulated)
        jade_clock_init_simulated(&s->clock, opt->sim_start, opt->sim_speed);
    else
        jade_clock_init_real(&s->clock);
    uv_loop_init(&s->loop);
    s->env = (struct jade_host_env){.http = jade_http_new(&s->loop),
                                    .clock = &s->clock,
                                    .secrets_dir = s->cfg->secrets_dir,
                                    .outbox_dir = s->cfg->outbox_dir};
    enum jade_service_status rc = start(s);
    if (!s->closed) {
        /* a start that failed before the loop ran: let the handles close */
        if (s->env.http) jade_http_close(s->env.http);
        s->env.http = NULL;
        uv_run(&s->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&s->loop);
    free_service(s);
    return rc;
}
