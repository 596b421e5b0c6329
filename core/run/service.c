/* service.c - the publishing service's life cycle and wiring (see
 * service.h).
 *
 * Ownership: the service owns the loop, the ledger and its writer, the
 * plugin instances, the channel table, and the adopted generation (the
 * content and its plan: sync.h). A request (one publication in flight)
 * holds a reference to the generation it was built from, and owns the
 * strings its publication points to, until the plugin's done callback
 * frees it.
 *
 * Durability: every state change goes through the writer, and a request
 * leaves only once the batch that marks it `sending` is committed. If the
 * ledger cannot be written, the service stops: nothing leaves that it does
 * not record.
 *
 * Following the branch: every poll_seconds, at SIGHUP, a sync cycle runs
 * on the thread pool (fetch, review, load, plan) while dispatch goes on.
 * A new generation is adopted on the loop: the ledger is reconciled with
 * its plan in the writer's next batch, and while that batch is written no
 * new request leaves; then the queues are loaded again from the ledger. */
#include "service.h"

#include "admin.h"
#include "channels.h"
#include "clock.h"
#include "config.h"
#include "dispatch.h"
#include "hooks.h"
#include "host.h"
#include "http.h"
#include "ledger.h"
#include "lock.h"
#include "plugins.h"
#include "queue.h"
#include "sync.h"
#include "writer.h"
#include "../content/content.h"
#include "../plan/plan.h"
#include "../source/fetch.h"
#include "../source/source.h"
#include "../source/sshsig.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <fcntl.h>
#include <sodium.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

struct service;

struct request {
    struct service *s;
    struct jade_channel *ch;
    struct jade_generation *gen; /* a reference: the strings below point into it */
    char key[33];
    bool lookup;
    bool removing;    /* a retracted post's publication, removed from the network: */
    char *removal[4]; /*   its campaign, post, language and network id (owned) */
    int64_t due_time;
    struct jade_publication pub;
    char due[32];
    char *account_json;
    char **media;
    size_t n_media;
};

/* An occurrence put back in its channel's queue while a reload is being
 * written: the ledger read by the reload does not have it there yet. */
struct requeued {
    struct jade_waiting w;
    char *channel;
    bool retrying;
};

/* A reload's reconciliation, run by the writer in its batch. */
struct reload {
    struct service *s;
    struct jade_generation *gen; /* a reference */
    int64_t now;
    struct jade_reconcile_stats stats;
    struct jade_waiting *rows; /* planned and retrying, read back in the same transaction */
    char **channels;           /* each row's channel */
    bool *retrying;
    size_t n_rows, cap_rows;
    struct jade_removal *removals; /* sent ones of retracted posts, to remove */
    char **removal_channels;
    size_t n_removals;
    size_t marked; /* newly marked for removal */
};

struct service {
    const struct jade_service_options *opt;
    const struct jade_config *cfg;
    uv_loop_t loop;
    uv_timer_t timer, poll;
    uv_check_t flush;
    uv_signal_t sigterm, sigint, sighup;
    uv_work_t sync_work;
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
    struct jade_network *limits; /* what the plugins declare, for content checks */
    struct jade_networks networks;
    struct jade_admin *admin;     /* the admin listener, or NULL */
    struct jade_signers *signers; /* signed mode */
    char *mirror;                 /* git sources: <state_dir>/content.git */
    char *git_password;           /* read from the secrets folder for each fetch */
    char *git_ssh_key, *git_known_hosts;
    struct jade_fetch_credentials credentials;
    struct jade_generation *gen; /* what is published now */
    struct jade_channels channels;
    char *media_root; /* folder sources: the folder itself; else <state_dir>/media */
    /* following the branch */
    bool syncing, sync_again, reloading;
    struct jade_sync_input sync_in;
    struct jade_sync_result sync_out;
    char *refused_tip; /* the tip that waits, and why */
    char *refused_reason;
    char *fetch_error; /* the branch could not be read: since when, how often */
    int64_t fetch_error_since;
    unsigned fetch_failures;
    struct requeued *requeued; /* put back in a queue while a reload is written */
    size_t n_requeued;
    bool ledger_failed;
    size_t inflight;
    bool stopping;
    uint64_t rng;
    size_t sent, failed;
    uint64_t last_progress_ns;
};

static int64_t now_of(struct service *s)
{
    return jade_clock_now(&s->clock);
}

static void arm(struct service *s);
static void start_sync(struct service *s);

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
    for (size_t i = 0; i < 4; i++) free(r->removal[i]);
    free(r->account_json);
    jade_generation_unref(r->gen);
    free(r);
}

/* A media file's path for plugins. From a git source it is copied out of
 * the commit on first use, whole or not at all (temp file, fsync, rename),
 * so that a crash never leaves a truncated copy to publish; copies are
 * kept per commit, so an edited picture is never sent from an old copy. */
static char *media_path(struct service *s, const struct jade_campaign *cp, const char *file)
{
    char *rel = jade_xasprintf("%s/%s", cp->dir, file);
    if (s->cfg->source_dir) {
        char *out = jade_xasprintf("%s/%s", s->media_root, rel);
        free(rel);
        return out;
    }
    char *out = jade_xasprintf("%s/%s/%s", s->media_root, cp->commit ? cp->commit : "-", rel);
    if (access(out, F_OK) != 0) {
        char *data = NULL;
        size_t len = 0;
        struct jade_buf err = {0};
        if (jade_source_read(cp->source, rel, JADE_MAX_MEDIA_BYTES, &data, &len, &err) == 0) {
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

static struct request *new_request(struct service *s, struct jade_channel *ch,
                                   const struct jade_occurrence *o, int attempt, bool lookup)
{
    struct request *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->ch = ch;
    r->gen = jade_generation_ref(s->gen);
    r->lookup = lookup;
    snprintf(r->key, sizeof r->key, "%s", o->key);
    r->due_time = o->due;
    jade_format_utc(o->due, r->due);
    r->account_json = jade_xstrdup(ch->account_json ? ch->account_json : "{}");
    const json_t *pj = o->post->file->json;
    const json_t *media = json_object_get(pj, "media");
    r->n_media = json_array_size(media);
    r->media = jade_xcalloc(r->n_media + 1, sizeof *r->media);
    for (size_t i = 0; i < r->n_media; i++)
        r->media[i] = media_path(
            s, o->campaign, json_string_value(json_object_get(json_array_get(media, i), "file")));
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = o->campaign->id,
        .post = o->post->id,
        .channel = o->channel_id,
        .lang = o->lang,
        .text = text_of(o),
        .link = json_string_value(json_object_get(pj, "link")),
        .due = r->due,
        .account_json = r->account_json,
        .secret_name = json_string_value(json_object_get(o->channel, "secret")),
        .media = (const char *const *)r->media,
        .n_media = r->n_media,
        .attempt = (uint32_t)attempt,
    };
    return r;
}

static struct jade_retry_policy retry_policy(const struct service *s)
{
    return (struct jade_retry_policy){s->cfg->retry_base_seconds, s->cfg->retry_max_seconds,
                                      s->cfg->retry_max_attempts};
}

/* A request to remove a retracted post's publication from its network.
 * The entry stays in the channel's list, marked in flight (at INT64_MAX),
 * until the network answers. */
static struct request *new_removal(struct service *s, struct jade_channel *ch,
                                   struct jade_removal *m)
{
    struct request *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->ch = ch;
    r->gen = jade_generation_ref(s->gen);
    r->removing = true;
    snprintf(r->key, sizeof r->key, "%s", m->key);
    r->account_json = jade_xstrdup(ch->account_json ? ch->account_json : "{}");
    r->removal[0] = jade_xstrdup(m->campaign);
    r->removal[1] = jade_xstrdup(m->post);
    r->removal[2] = jade_xstrdup(m->lang);
    r->removal[3] = jade_xstrdup(m->network_id ? m->network_id : "");
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = r->removal[0],
        .post = r->removal[1],
        .channel = ch->id,
        .lang = r->removal[2],
        .text = "",
        .due = "",
        .account_json = r->account_json,
        .secret_name = json_string_value(json_object_get(ch->json, "secret")),
        .attempt = (uint32_t)m->attempts + 1,
    };
    m->at = INT64_MAX;
    m->attempts++;
    return r;
}

static struct jade_removal *removal_of(struct jade_channel *ch, const char *key)
{
    for (size_t i = 0; i < ch->n_removals; i++)
        if (!strcmp(ch->removals[i].key, key)) return &ch->removals[i];
    return NULL;
}

static void drop_removal(struct jade_channel *ch, struct jade_removal *m)
{
    jade_removal_clear(m);
    *m = ch->removals[--ch->n_removals];
}

/* The network answered a removal (dispatch.c decides what follows). */
static void removed_cb(struct request *r, const struct jade_result *res)
{
    struct service *s = r->s;
    struct jade_channel *ch = r->ch;
    struct jade_removal *m = removal_of(ch, r->key);
    struct jade_retry_policy retry = retry_policy(s);
    struct jade_removal_decision d;
    jade_decide_removal(res, (int)r->pub.attempt, now_of(s), &retry, &s->rng, &d);
    if (d.suspend && !ch->suspended)
        fprintf(stderr, _("jade run: channel %s suspended: its credentials were refused: %s\n"),
                ch->id, d.error);
    if (d.suspend) ch->suspended = true;
    if (d.blocked_until) ch->blocked_until = d.blocked_until;
    struct jade_update u = {
        .state = d.removed ? JADE_RETRACTED : JADE_N_STATES,
        .removal = d.removed ? "" : d.mark,
        .error = d.removed ? _("removed from the network: the post was retracted") : d.error};
    snprintf(u.key, sizeof u.key, "%s", r->key);
    if (d.removed || d.mark) record(s, u);
    if (m && d.again)
        m->at = d.next_attempt;
    else if (m)
        drop_removal(ch, m);
}

/* Back in its channel's queue, to go again at `at`. While a reload is
 * being written, it is also kept aside: the queues are loaded again from
 * the ledger once that is committed, and the ledger does not have it yet. */
static void requeue(struct request *r, bool retrying, int64_t at)
{
    struct service *s = r->s;
    struct jade_waiting w = {.at = at, .due = r->due_time, .attempts = (int)r->pub.attempt};
    snprintf(w.key, sizeof w.key, "%s", r->key);
    jade_queue_push(retrying ? &r->ch->retrying : &r->ch->planned, &w);
    if (!s->reloading) return;
    s->requeued = jade_xrealloc(s->requeued, (s->n_requeued + 1) * sizeof *s->requeued);
    s->requeued[s->n_requeued++] = (struct requeued){w, jade_xstrdup(r->ch->id), retrying};
}

/* A plugin answered: the core decides what follows (dispatch.c). */
static void done_cb(void *token, const struct jade_result *res)
{
    struct request *r = token;
    struct service *s = r->s;
    struct jade_channel *ch = r->ch;
    if (r->removing) {
        removed_cb(r, res);
        ch->inflight--;
        s->inflight--;
        free_request(r);
        return;
    }
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
    if (d.requeue == JADE_REQUEUE_PLANNED) requeue(r, false, r->due_time);
    if (d.requeue == JADE_REQUEUE_RETRYING) requeue(r, true, d.next_attempt);
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
            struct jade_removal *m = r->removing ? removal_of(r->ch, r->key) : NULL;
            if (m) m->at = 0;
            r->ch->inflight--;
            free_request(r);
            continue;
        }
        s->inflight++;
        if (r->removing)
            r->ch->net->plugin->remove(r->ch->net->state, &r->pub, r->removal[3], done_cb, r);
        else
            r->ch->net->plugin->publish(r->ch->net->state, &r->pub, done_cb, r);
    }
    arm(s);
}

/* ---- dispatch ------------------------------------------------------------ */

/* The channel's next occurrence ready at now: a retry whose time came
 * first (it was due before anything still planned), else the earliest
 * planned one due. */
static bool take_ready(struct jade_channel *ch, int64_t now, struct jade_waiting *out)
{
    const struct jade_waiting *retry = jade_queue_top(&ch->retrying);
    if (retry && retry->at <= now) return jade_queue_pop(&ch->retrying, out) == 0;
    const struct jade_waiting *planned = jade_queue_top(&ch->planned);
    if (planned && planned->at <= now) return jade_queue_pop(&ch->planned, out) == 0;
    return false;
}

/* When a channel may send again under its network's rate and the last
 * Retry-After. */
static int64_t free_at(const struct jade_channel *ch)
{
    uint32_t rate = ch->net ? ch->net->plugin->rate_per_minute : 0;
    int64_t t = ch->blocked_until;
    if (rate && ch->last_request + (60 + rate - 1) / rate > t)
        t = ch->last_request + (60 + rate - 1) / rate;
    return t;
}

/* Removals go first: a retracted post should not stay up a minute longer
 * than it must. Where the network cannot remove, it is marked for people
 * to remove by hand. Removals wait in the batch like publications. */
static void dispatch_removals(struct service *s, struct jade_channel *ch, int64_t now,
                              unsigned limit)
{
    for (size_t i = 0; i < ch->n_removals && !ch->suspended && ch->inflight < limit;) {
        struct jade_removal *m = &ch->removals[i];
        if (m->at > now || free_at(ch) > now) {
            i++;
            continue;
        }
        const struct jade_plugin *p = ch->net ? ch->net->plugin : NULL;
        if (!p || !p->remove || !(p->capabilities & JADE_CAP_DELETE)) {
            struct jade_update u = {.state = JADE_N_STATES,
                                    .removal = "by hand",
                                    .error = _("the post was retracted, and this network cannot "
                                               "remove it: remove it by hand")};
            memcpy(u.key, m->key, sizeof u.key);
            record(s, u);
            drop_removal(ch, m);
            continue;
        }
        ch->inflight++;
        ch->last_request = now;
        jade_writer_hold(s->writer, new_removal(s, ch, m));
        i++;
    }
}

/* Fills each channel up to its concurrency with what is ready: marked
 * `sending` in the batch and sent once it is committed; or settled
 * (missed, cancelled, failed) and the next one taken. Returns the earliest
 * time a held channel (a rate limit, a Retry-After) frees up, or
 * INT64_MAX. Nothing new leaves while a reload is being written. */
static int64_t dispatch_ready(struct service *s)
{
    int64_t now = now_of(s), wake = INT64_MAX;
    if (s->reloading) return wake;
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        unsigned limit = ch->net ? ch->net->concurrency : 1;
        dispatch_removals(s, ch, now, limit);
        while (!ch->suspended && !ch->removed && ch->inflight < limit) {
            int64_t t = free_at(ch);
            if (t > now) {
                if (t < wake) wake = t;
                break;
            }
            struct jade_waiting w;
            if (!take_ready(ch, now, &w)) break;
            const struct jade_occurrence *o = jade_generation_find(s->gen, w.key);
            struct jade_ready ready = {.in_plan = o != NULL,
                                       .before_plan = w.due < s->gen->plan_from,
                                       .has_plugin = ch->net != NULL,
                                       .attempts = w.attempts,
                                       .due = w.due,
                                       .now = now,
                                       .catch_up_seconds = s->gen->catch_up_minutes * 60};
            const char *why;
            enum jade_state next = jade_decide_ready(&ready, &why);
            if (next != JADE_SENDING) {
                struct jade_update u = {.state = next, .error = why};
                memcpy(u.key, w.key, sizeof u.key);
                record(s, u);
                continue;
            }
            /* Sent from the commit its campaign was read from. */
            struct jade_update u = {.state = JADE_SENDING,
                                    .attempts_delta = 1,
                                    .commit = o->campaign->commit,
                                    .signer = o->campaign->signer};
            memcpy(u.key, w.key, sizeof u.key);
            record(s, u);
            ch->inflight++;
            ch->last_request = now;
            jade_writer_hold(s->writer, new_request(s, ch, o, w.attempts + 1, false));
        }
    }
    return wake;
}

/* ---- the ledger and the queues ------------------------------------------- */

static void add_row(struct reload *r, const struct jade_ledger_row *row)
{
    if (r->n_rows == r->cap_rows) {
        r->cap_rows = r->cap_rows ? r->cap_rows * 2 : 256;
        r->rows = jade_xrealloc(r->rows, r->cap_rows * sizeof *r->rows);
        r->channels = jade_xrealloc(r->channels, r->cap_rows * sizeof *r->channels);
        r->retrying = jade_xrealloc(r->retrying, r->cap_rows * sizeof *r->retrying);
    }
    struct jade_waiting *w = &r->rows[r->n_rows];
    *w = (struct jade_waiting){.due = row->due, .attempts = row->attempts};
    snprintf(w->key, sizeof w->key, "%s", row->key);
    r->retrying[r->n_rows] = row->state == JADE_RETRYING;
    w->at = row->state == JADE_RETRYING ? row->next_attempt : row->due;
    r->channels[r->n_rows++] = jade_xstrdup(row->channel);
}

static void row_cb(void *ctx, const struct jade_ledger_row *row)
{
    add_row(ctx, row);
}

static void removal_cb(void *ctx, const struct jade_ledger_row *row)
{
    struct reload *r = ctx;
    r->removals = jade_xrealloc(r->removals, (r->n_removals + 1) * sizeof *r->removals);
    r->removal_channels =
        jade_xrealloc(r->removal_channels, (r->n_removals + 1) * sizeof *r->removal_channels);
    struct jade_removal *m = &r->removals[r->n_removals];
    *m =
        (struct jade_removal){.campaign = jade_xstrdup(row->campaign),
                              .post = jade_xstrdup(row->post),
                              .lang = jade_xstrdup(row->lang),
                              .network_id = row->network_id ? jade_xstrdup(row->network_id) : NULL};
    snprintf(m->key, sizeof m->key, "%s", row->key);
    r->removal_channels[r->n_removals++] = jade_xstrdup(row->channel);
}

/* Forgets what was read of the ledger. */
static void clear_waiting(struct reload *r)
{
    for (size_t i = 0; i < r->n_removals; i++) {
        jade_removal_clear(&r->removals[i]);
        free(r->removal_channels[i]);
    }
    for (size_t i = 0; i < r->n_rows; i++) free(r->channels[i]);
    r->n_removals = r->n_rows = 0;
}

/* What waits in the ledger: to publish, to retry, to remove. */
static int read_waiting(struct jade_ledger *l, struct reload *r)
{
    clear_waiting(r);
    return jade_ledger_in_state(l, JADE_PLANNED, row_cb, r) != 0 ||
                   jade_ledger_in_state(l, JADE_RETRYING, row_cb, r) != 0 ||
                   jade_ledger_to_remove(l, removal_cb, r) != 0
               ? -1
               : 0;
}

/* Reconciles the ledger with the generation's plan, and reads back what
 * waits: on the writer's thread, in its transaction, or at start. */
static int reconcile_job(struct jade_ledger *l, void *ctx)
{
    struct reload *r = ctx;
    struct jade_generation *g = r->gen;
    if (jade_ledger_reconcile(l, &g->plan, g->plan_from, g->plan_to, g->view->commit, r->now,
                              jade_generation_cancel_reason, g, &r->stats) != 0)
        return -1;
    const char **kept = jade_xcalloc(g->n_kept + 1, sizeof *kept);
    for (size_t i = 0; i < g->n_kept; i++) kept[i] = g->kept[i];
    int rc = jade_ledger_record_adoption(l, g->view->commit, g->parts[0]->signer, kept, r->now);
    free(kept);
    if (rc != 0) return -1;
    for (size_t i = 0; i < g->view->n_campaigns; i++) {
        const struct jade_campaign *cp = &g->view->campaigns[i];
        for (size_t k = 0; k < cp->n_posts; k++)
            if (json_object_get(cp->posts[k].file->json, "retracted") &&
                jade_ledger_mark_for_removal(l, cp->id, cp->posts[k].id, r->now, &r->marked) != 0)
                return -1;
    }
    return read_waiting(l, r);
}

static void free_reload(struct reload *r)
{
    clear_waiting(r);
    free(r->removals);
    free(r->removal_channels);
    free(r->rows);
    free(r->channels);
    free(r->retrying);
    jade_generation_unref(r->gen);
    free(r);
}

/* The queues, as the ledger says: what waits on each channel. */
static void load_queues(struct service *s, struct reload *r)
{
    jade_channels_clear_queues(&s->channels);
    for (size_t i = 0; i < r->n_rows; i++) {
        struct jade_channel *ch = jade_channels_find(&s->channels, r->channels[i]);
        if (!ch) continue; /* a channel the content no longer has: nothing sends there */
        jade_queue_push(r->retrying[i] ? &ch->retrying : &ch->planned, &r->rows[i]);
    }
    for (size_t i = 0; i < r->n_removals; i++) {
        struct jade_channel *ch = jade_channels_find(&s->channels, r->removal_channels[i]);
        if (ch) jade_channel_add_removal(ch, &r->removals[i]);
    }
    for (size_t i = 0; i < s->n_requeued; i++) {
        struct requeued *q = &s->requeued[i];
        struct jade_channel *ch = jade_channels_find(&s->channels, q->channel);
        if (ch) jade_queue_push(q->retrying ? &ch->retrying : &ch->planned, &q->w);
        free(q->channel);
    }
    s->n_requeued = 0;
}

static void say_adopted(struct service *s, const struct reload *r)
{
    const struct jade_generation *g = r->gen;
    fprintf(stderr,
            _("jade run: adopted %s%.12s%s%s: %zu new, %zu moved, %zu back, %zu cancelled\n"),
            g->view->commit ? _("commit ") : _("the folder"),
            g->view->commit ? g->view->commit : "", g->parts[0]->signer ? _(", signed by ") : "",
            g->parts[0]->signer ? g->parts[0]->signer : "", r->stats.inserted, r->stats.moved,
            r->stats.revived, r->stats.cancelled);
    if (r->marked)
        fprintf(stderr, _("jade run: %zu publication(s) of retracted posts to remove\n"),
                r->marked);
    for (size_t i = 0; i < g->n_kept; i++) {
        const char *at = strchr(g->kept[i], '@');
        int dir_len = at ? (int)(at - g->kept[i]) : (int)strlen(g->kept[i]);
        fprintf(stderr, _("jade run: campaign %.*s is kept at its last good version, %.12s\n"),
                dir_len, g->kept[i], at ? at + 1 : "");
    }
    (void)s;
}

static void reload_done(void *ctx, bool ok)
{
    struct reload *r = ctx;
    struct service *s = r->s;
    s->reloading = false;
    if (ok) {
        load_queues(s, r);
        say_adopted(s, r);
    }
    free_reload(r);
}

/* Publishing goes on from g: the channels follow its channels.json, and
 * the ledger its plan, in the writer's next batch. */
static void adopt(struct service *s, struct jade_generation *g)
{
    jade_generation_unref(s->gen);
    s->gen = g;
    jade_channels_adopt(&s->channels, g->view, s->nets, s->n_nets);
    struct reload *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->gen = jade_generation_ref(g);
    r->now = now_of(s);
    s->reloading = true;
    jade_writer_job(s->writer, reconcile_job, reload_done, r);
}

/* ---- following the branch ------------------------------------------------- */

static void sync_work_cb(uv_work_t *w)
{
    struct service *s = w->data;
    jade_sync_run(&s->sync_in, &s->sync_out);
}

/* Says once what changed: a tip that waits, a fetch that fails. */
static void note_refusal(struct service *s, const struct jade_sync_result *r)
{
    if (s->refused_tip && !strcmp(s->refused_tip, r->commit) && s->refused_reason &&
        !strcmp(s->refused_reason, r->reason))
        return;
    fprintf(stderr, _("jade run: commit %.12s is not adopted: %s\n"), r->commit, r->reason);
    jade_diags_print_text(stderr, &r->diags);
    free(s->refused_tip);
    free(s->refused_reason);
    s->refused_tip = jade_xstrdup(r->commit);
    s->refused_reason = jade_xstrdup(r->reason);
}

static void note_fetch(struct service *s, const struct jade_sync_result *r)
{
    if (r->outcome != JADE_SYNC_FAILED) {
        if (s->fetch_error)
            fprintf(stderr, _("jade run: the branch can be read again (after %u failure(s))\n"),
                    s->fetch_failures);
        free(s->fetch_error);
        s->fetch_error = NULL;
        s->fetch_failures = 0;
        return;
    }
    s->fetch_failures++;
    if (s->fetch_error && !strcmp(s->fetch_error, r->reason)) return;
    fprintf(stderr, _("jade run: cannot read the branch (publishing goes on from %.12s): %s\n"),
            s->gen->view->commit ? s->gen->view->commit : "", r->reason);
    free(s->fetch_error);
    s->fetch_error = jade_xstrdup(r->reason);
    s->fetch_error_since = now_of(s);
}

static void sync_done_cb(uv_work_t *w, int status)
{
    struct service *s = w->data;
    struct jade_sync_result *r = &s->sync_out;
    s->syncing = false;
    jade_generation_unref(s->sync_in.current);
    s->sync_in.current = NULL;
    if (status == 0 && !s->closed && !s->stopping) {
        note_fetch(s, r);
        if (r->outcome == JADE_SYNC_REFUSED) note_refusal(s, r);
        if (r->outcome == JADE_SYNC_ADOPT) {
            jade_diags_print_text(stderr, &r->diags);
            adopt(s, r->generation);
            r->generation = NULL;
            free(s->refused_tip);
            s->refused_tip = NULL;
        }
    }
    jade_sync_result_free(r);
    if (s->sync_again && !s->closed && !s->stopping) start_sync(s);
    arm(s);
}

/* The content repository's credentials, read again for each fetch so a
 * rotated token is used at once; -1 when a secret cannot be read. */
static int read_credentials(struct service *s)
{
    const struct jade_config *c = s->cfg;
    const char *name = c->git_token ? c->git_token : c->git_password;
    if (s->git_password) {
        explicit_bzero(s->git_password, strlen(s->git_password));
        free(s->git_password);
        s->git_password = NULL;
    }
    if (name) {
        char value[4096];
        struct jade_buf err = {0};
        int len = jade_secret_read(c->secrets_dir, name, value, sizeof value, &err);
        if (len < 0) {
            fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
            jade_buf_free(&err);
            return -1;
        }
        s->git_password = jade_xstrdup(value);
        explicit_bzero(value, sizeof value);
    }
    if (c->git_ssh_key && !s->git_ssh_key)
        s->git_ssh_key = jade_xasprintf("%s/%s", c->secrets_dir, c->git_ssh_key);
    if (c->git_known_hosts && !s->git_known_hosts)
        s->git_known_hosts = jade_xasprintf("%s/%s", c->secrets_dir, c->git_known_hosts);
    s->credentials = (struct jade_fetch_credentials){
        .username = c->git_username,
        .password = s->git_password,
        .ssh_key_path = s->git_ssh_key,
        .known_hosts_path = s->git_known_hosts,
    };
    return 0;
}

/* One cycle on the thread pool, unless one runs: then another after it. */
static void start_sync(struct service *s)
{
    if (s->closed || s->stopping) return;
    if (s->syncing) {
        s->sync_again = true;
        return;
    }
    if (read_credentials(s) != 0) return; /* said; the next poll tries again */
    s->syncing = true;
    s->sync_again = false;
    int64_t now = now_of(s);
    s->sync_in = (struct jade_sync_input){
        .config = s->cfg,
        .mirror = s->mirror,
        .credentials = &s->credentials,
        .networks = &s->networks,
        .signers = s->signers,
        .current = jade_generation_ref(s->gen),
        .refused_tip = s->refused_tip,
        .now = now,
        /* half the horizon gone: plan further */
        .replan = now > s->gen->plan_to - (int64_t)s->cfg->horizon_days * 86400 / 2,
    };
    s->sync_work.data = s;
    uv_queue_work(&s->loop, &s->sync_work, sync_work_cb, sync_done_cb);
}

static void poll_cb(uv_timer_t *t)
{
    start_sync(t->data);
}

static void sighup_cb(uv_signal_t *h, int signum)
{
    (void)signum;
    fprintf(stderr, _("jade run: SIGHUP: reading the branch again\n"));
    start_sync(h->data);
}

/* ---- the admin listener ----------------------------------------------------- */

/* POST /hooks/git: a forge says the repository received a push. Checked
 * with the hook's secret, answered at once, fetched after. */
static void hook(struct service *s, const struct jade_admin_request *req,
                 struct jade_admin_response *res)
{
    char secret[4096];
    struct jade_buf err = {0};
    int len = s->cfg->hook_secret ? jade_secret_read(s->cfg->secrets_dir, s->cfg->hook_secret,
                                                     secret, sizeof secret, &err)
                                  : -1;
    if (len <= 0) {
        fprintf(stderr, "jade run: /hooks/git: %s\n",
                err.len ? jade_buf_str(&err) : _("no hook_secret is configured"));
        jade_buf_free(&err);
        res->status = 503;
        jade_buf_puts(&res->body, _("the hook's secret cannot be read\n"));
        return;
    }
    struct jade_hook_result verdict = {0};
    jade_hook_verify(req, (const unsigned char *)secret, (size_t)len, &verdict);
    explicit_bzero(secret, sizeof secret);
    if (verdict.verdict != JADE_HOOK_OK) {
        res->status = verdict.verdict == JADE_HOOK_NO_SIGNATURE ? 401 : 403;
        jade_buf_printf(&res->body, "%s\n", verdict.reason);
    } else {
        char *want = jade_xasprintf("refs/heads/%s", s->cfg->branch);
        bool ours = !verdict.ref || !strcmp(verdict.ref, want);
        free(want);
        res->status = 202;
        jade_buf_puts(&res->body, ours ? _("fetching\n") : _("not the followed branch\n"));
        if (ours) start_sync(s);
    }
    jade_hook_result_free(&verdict);
}

static void admin_cb(void *ctx, const struct jade_admin_request *req,
                     struct jade_admin_response *res)
{
    struct service *s = ctx;
    if (strcmp(req->path, "/hooks/git") != 0) {
        res->status = 404;
        jade_buf_puts(&res->body, _("no such page\n"));
    } else if (strcmp(req->method, "POST") != 0) {
        res->status = 405;
        res->allow = "POST";
        jade_buf_puts(&res->body, _("POST only\n"));
    } else {
        hook(s, req, res);
    }
}

/* ---- the loop ------------------------------------------------------------ */

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Nothing in flight, nothing waiting to be written. */
static bool settled(const struct service *s)
{
    return s->inflight == 0 && jade_writer_idle(s->writer) && !s->reloading;
}

static void stop(struct service *s)
{
    if (s->closed) return;
    s->closed = true;
    uv_handle_t *handles[] = {(uv_handle_t *)&s->timer,  (uv_handle_t *)&s->poll,
                              (uv_handle_t *)&s->flush,  (uv_handle_t *)&s->sigterm,
                              (uv_handle_t *)&s->sigint, (uv_handle_t *)&s->sighup};
    for (size_t i = 0; i < sizeof handles / sizeof *handles; i++) uv_close(handles[i], close_cb);
    jade_admin_close(s->admin);
    s->admin = NULL;
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
    for (size_t c = 0; c < s->channels.count; c++) {
        struct jade_channel *ch = s->channels.items[c];
        if (ch->suspended || ch->removed) continue;
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
        struct jade_channel *ch = jade_channels_find(&s->channels, row->channel);
        struct jade_instance *net = ch ? ch->net : NULL;
        const struct jade_occurrence *o = jade_generation_find(s->gen, row->key);
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

/* ---- start ----------------------------------------------------------------- */

static void start_plugins(struct service *s)
{
    s->plugins_dir =
        s->cfg->plugin_dir ? jade_xstrdup(s->cfg->plugin_dir) : jade_default_plugin_dir();
    jade_plugins_load_dir(s->plugins_dir, &s->plugins);
    for (size_t i = 0; i < s->plugins.n_refused; i++)
        fprintf(stderr, _("jade run: plugin refused: %s\n"), s->plugins.refused[i]);
    jade_instances_start(&s->plugins, s->cfg->networks, &s->env, &s->nets, &s->n_nets);
    s->limits = jade_xcalloc(s->n_nets + 1, sizeof *s->limits);
    for (size_t i = 0; i < s->n_nets; i++)
        s->limits[i] = (struct jade_network){s->nets[i].plugin->name, &s->nets[i].plugin->limits};
    s->networks = (struct jade_networks){s->limits, s->n_nets};
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
    for (size_t i = 0; i < s->channels.count; i++) {
        const struct jade_channel *ch = s->channels.items[i];
        if (ch->net || ch->removed) continue;
        fprintf(stderr,
                _("jade run: channel %s uses the network \"%s\", but no plugin for it is loaded "
                  "from %s: install it, or remove the channel\n"),
                ch->id, json_string_value(json_object_get(ch->json, "network")), s->plugins_dir);
        ok = false;
    }
    return ok;
}

/* base, followed by commit ref: ref's campaigns, but those broken in it
 * as base has them. */
static struct jade_generation *follow(struct service *s, struct jade_generation *base,
                                      const char *ref)
{
    struct jade_sync_input in = {.config = s->cfg,
                                 .mirror = s->mirror,
                                 .credentials = &s->credentials,
                                 .networks = &s->networks,
                                 .signers = s->signers,
                                 .current = base,
                                 .ref = ref,
                                 .now = now_of(s)};
    struct jade_sync_result r;
    jade_sync_run(&in, &r);
    struct jade_generation *g = r.outcome == JADE_SYNC_ADOPT ? r.generation : NULL;
    r.generation = NULL;
    jade_sync_result_free(&r);
    if (!g) return base;
    jade_generation_unref(base);
    return g;
}

/* What was adopted before this start, as the ledger says: the last commit
 * adopted, with the campaigns it kept from older commits; or NULL. */
static struct jade_generation *last_adopted(struct service *s, char **last)
{
    char *kept = NULL;
    if (!s->ledger || s->cfg->source_dir ||
        jade_ledger_last_adoption(s->ledger, last, &kept) != 0 || !*last)
        return NULL;
    struct jade_generation *g = NULL;
    for (char *word = kept, *end; word && *word; word = end) {
        end = strchr(word, ' ');
        if (end) *end++ = '\0';
        char *at = strchr(word, '@');
        if (at && at[1]) g = follow(s, g, at + 1);
    }
    free(kept);
    return follow(s, g, *last);
}

/* The first generation: the tip, or (when the tip cannot be adopted) the
 * last content adopted before. */
static enum jade_service_status first_generation(struct service *s)
{
    char *last = NULL;
    struct jade_generation *base = last_adopted(s, &last);
    struct jade_sync_input in = {.config = s->cfg,
                                 .mirror = s->mirror,
                                 .credentials = &s->credentials,
                                 .networks = &s->networks,
                                 .signers = s->signers,
                                 .current = base,
                                 .now = now_of(s)};
    struct jade_sync_result r;
    jade_sync_run(&in, &r);
    enum jade_service_status rc = JADE_SERVICE_OK;
    if (r.outcome == JADE_SYNC_ADOPT || (r.outcome == JADE_SYNC_UNCHANGED && base)) {
        jade_diags_print_text(stderr, &r.diags);
        s->gen = r.outcome == JADE_SYNC_ADOPT ? r.generation : jade_generation_ref(base);
        r.generation = NULL;
    } else if (base) {
        if (r.outcome == JADE_SYNC_REFUSED) note_refusal(s, &r);
        s->gen = jade_generation_ref(base);
        note_fetch(s, &r);
        fprintf(stderr, _("jade run: publishing from %.12s, the last commit adopted\n"), last);
    } else {
        jade_diags_sort(&r.diags);
        jade_diags_print_text(stderr, &r.diags);
        fprintf(stderr, _("jade run: nothing can be published: %s\n"),
                r.reason ? r.reason : _("the content has errors"));
        rc = r.outcome == JADE_SYNC_FAILED ? JADE_SERVICE_BAD_CONFIG : JADE_SERVICE_FAILED;
    }
    jade_sync_result_free(&r);
    jade_generation_unref(base);
    free(last);
    return rc;
}

/* Takes the state folder's lock and opens its ledger. */
static int open_state(struct service *s)
{
    struct jade_buf err = {0};
    if ((s->lock_fd = jade_state_lock(s->cfg->state_dir, &err)) < 0 ||
        jade_ledger_open(s->cfg->state_dir, &s->ledger, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return -1;
    }
    return 0;
}

/* Loads, plans, reconciles and recovers; then the loop runs until stopped.
 * Everything that can be checked is, before anything is created in the
 * state folder; a git source's mirror is the first thing made there. */
static enum jade_service_status start(struct service *s)
{
    struct jade_buf err = {0};
    if (jade_config_check_disk(s->cfg, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (s->cfg->verify_signed && jade_signers_load(s->cfg->allowed_signers, &s->signers, &err)) {
        fprintf(stderr, "jade run: %s: source.allowed_signers: %s\n", s->cfg->name,
                jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    start_plugins(s);
    if (!networks_known(s)) return JADE_SERVICE_BAD_CONFIG;
    if (!s->cfg->source_dir) s->mirror = jade_xasprintf("%s/content.git", s->cfg->state_dir);
    if (read_credentials(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    /* A ledger from an earlier run says what was adopted before: opened
     * first. On a first start nothing is made before the content is good. */
    bool folder = s->cfg->source_dir != NULL;
    char *ledger_path = jade_xasprintf("%s/ledger.sqlite", s->cfg->state_dir);
    bool earlier = access(ledger_path, F_OK) == 0;
    free(ledger_path);
    if (earlier && open_state(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    enum jade_service_status rc = first_generation(s);
    if (rc != JADE_SERVICE_OK) return rc;
    jade_channels_adopt(&s->channels, s->gen->view, s->nets, s->n_nets);
    if (!channels_served(s)) return JADE_SERVICE_BAD_CONFIG;
    if (!earlier && open_state(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    if (folder) {
        s->media_root = realpath(s->cfg->source_dir, NULL);
        if (!s->media_root) s->media_root = jade_xstrdup(s->cfg->source_dir);
    } else {
        s->media_root = jade_xasprintf("%s/media", s->cfg->state_dir);
        mkdir(s->media_root, 0700);
    }
    size_t connections = 0;
    for (size_t i = 0; i < s->channels.count; i++)
        connections += s->channels.items[i]->net ? s->channels.items[i]->net->concurrency : 0;
    jade_http_keep_alive(s->env.http, connections > 16 ? connections : 16);
    /* The ledger follows the plan before anything is sent. */
    struct reload *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->gen = jade_generation_ref(s->gen);
    r->now = now_of(s);
    if (jade_ledger_begin(s->ledger) != 0 || reconcile_job(s->ledger, r) != 0 ||
        jade_ledger_commit(s->ledger) != 0) {
        jade_ledger_rollback(s->ledger);
        fprintf(stderr, _("jade run: cannot write the ledger in %s\n"), s->cfg->state_dir);
        free_reload(r);
        return JADE_SERVICE_FAILED;
    }
    if (r->stats.inserted + r->stats.moved + r->stats.cancelled > 1000)
        jade_ledger_checkpoint(s->ledger);
    say_adopted(s, r);
    s->writer = jade_writer_new(&s->loop, s->ledger, written_cb, s);
    uv_timer_init(&s->loop, &s->timer);
    uv_timer_init(&s->loop, &s->poll);
    uv_check_init(&s->loop, &s->flush);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sighup);
    s->timer.data = s->poll.data = s->flush.data = s;
    s->sigterm.data = s->sigint.data = s->sighup.data = s;
    uv_check_start(&s->flush, flush_cb);
    uv_signal_start(&s->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&s->sigint, signal_cb, SIGINT);
    /* The admin listener: for now the push hook is all it serves. */
    if (!s->opt->once && (s->cfg->listen_set || s->cfg->hook_secret) &&
        jade_admin_start(&s->loop, s->cfg->listen, admin_cb, s, &s->admin, &err) != 0) {
        fprintf(stderr, "jade run: %s: listen: %s\n", s->cfg->name, jade_buf_str(&err));
        jade_buf_free(&err);
        free_reload(r);
        s->stopping = true;
        arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (!s->opt->once) {
        uv_signal_start(&s->sighup, sighup_cb, SIGHUP);
        /* A folder has no commits to compare: it is read again at SIGHUP. */
        if (!folder) {
            uint64_t every = (uint64_t)s->cfg->poll_seconds * 1000;
            uv_timer_start(&s->poll, poll_cb, every, every);
        }
    }
    if ((rc = recover(s)) != JADE_SERVICE_OK) {
        free_reload(r);
        /* lookups already sent are answered before the loop ends */
        s->stopping = true;
        arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return rc;
    }
    /* What waits, read after the recovery: what went back to planned too. */
    if (read_waiting(s->ledger, r) != 0) {
        fprintf(stderr, _("jade run: cannot read the ledger in %s\n"), s->cfg->state_dir);
        free_reload(r);
        s->stopping = true;
        arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return JADE_SERVICE_FAILED;
    }
    load_queues(s, r);
    free_reload(r);
    /* Start on the loop, so that lookups and outcomes are all handled there. */
    uv_timer_start(&s->timer, timer_cb, 0, 0);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    progress(s, true);
    return s->ledger_failed || (s->opt->once && s->failed) ? JADE_SERVICE_FAILED : JADE_SERVICE_OK;
}

static void free_service(struct service *s)
{
    jade_instances_stop(s->nets, s->n_nets);
    jade_plugins_free(&s->plugins);
    free(s->plugins_dir);
    free(s->limits);
    jade_signers_free(s->signers);
    jade_channels_free(&s->channels);
    jade_generation_unref(s->gen);
    for (size_t i = 0; i < s->n_requeued; i++) free(s->requeued[i].channel);
    free(s->requeued);
    free(s->refused_tip);
    free(s->refused_reason);
    free(s->fetch_error);
    free(s->media_root);
    free(s->mirror);
    if (s->git_password) explicit_bzero(s->git_password, strlen(s->git_password));
    free(s->git_password);
    free(s->git_ssh_key);
    free(s->git_known_hosts);
    jade_ledger_close(s->ledger);
    jade_state_unlock(s->lock_fd);
    free(s);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

enum jade_service_status jade_service_run(const struct jade_service_options *opt)
{
    if (sodium_init() < 0) return JADE_SERVICE_FAILED; /* the hook's HMAC, signatures */
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
    /* A first start that fails leaves no state folder behind (a git
     * source's mirror is made in it before the content can be checked). */
    bool state_existed = access(s->cfg->state_dir, F_OK) == 0;
    enum jade_service_status rc = start(s);
    if (rc != JADE_SERVICE_OK && !state_existed && s->lock_fd < 0)
        nftw(s->cfg->state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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
