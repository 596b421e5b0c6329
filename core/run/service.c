/* service.c - the publishing service's life cycle (see service.h): start
 * (configuration checked, plugins, the first generation, the ledger,
 * recovery), the loop (one timer for the next event, the writer's batch
 * at the end of each turn, signals), and stop.
 *
 * Ownership: the service owns the loop, the ledger and its writer, the
 * plugin instances, the channel table, and the adopted generation (the
 * content and its plan: sync.h). What goes out is publish.c's; following
 * the branch is follow.c's. */
#include "service-internal.h"

#include "config.h"
#include "http.h"
#include "lock.h"
#include "writer.h"
#include "../source/sshsig.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the loop ------------------------------------------------------------ */

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Nothing in flight (or no longer waited for), nothing waiting to be
 * written. */
static bool settled(const struct service *s)
{
    return (s->inflight == 0 || s->overdue) && jade_writer_idle(s->writer) && !s->reloading;
}

#define FETCH_GRACE_MS 5000

/* Stopping while a fetch hangs (libgit2 1.5 has no timeout: a server that
 * accepts and never answers holds it): after a grace, the service stops
 * without it. Nothing of the ledger or the mirror depends on that thread. */
static void grace_cb(uv_timer_t *t)
{
    struct service *s = t->data;
    uv_close((uv_handle_t *)t, close_cb);
    if (!s->syncing && !jade_notes_writer_busy(s->notes)) return;
    jade_log(&s->log, JADE_LOG_WARNING, "fetch_abandoned", "reason",
             _("the content repository does not answer: stopping without waiting for the fetch or "
               "the push of the notes"),
             NULL);
    s->abandoned = true;
    uv_stop(&s->loop);
}

static void stop(struct service *s)
{
    if (s->closed) return;
    s->closed = true;
    if (s->syncing || jade_notes_writer_busy(s->notes)) { /* a push hangs as a fetch can */
        uv_timer_init(&s->loop, &s->grace);
        s->grace.data = s;
        uv_timer_start(&s->grace, grace_cb, FETCH_GRACE_MS, 0);
        uv_unref((uv_handle_t *)&s->grace); /* the fetch keeps the loop; this only waits */
    }
    jade_notify_stopping(&s->notify, _("stopping"));
    uv_handle_t *handles[] = {(uv_handle_t *)&s->timer,       (uv_handle_t *)&s->poll,
                              (uv_handle_t *)&s->flush,       (uv_handle_t *)&s->sigterm,
                              (uv_handle_t *)&s->sigint,      (uv_handle_t *)&s->sighup,
                              (uv_handle_t *)&s->notify_tick, (uv_handle_t *)&s->stop_bound};
    for (size_t i = 0; i < sizeof handles / sizeof *handles; i++) uv_close(handles[i], close_cb);
    jade_admin_close(s->admin);
    s->admin = NULL;
    jade_notes_writer_stop(s->notes);
    jade_writer_close(s->writer); /* idle by now */
    s->writer = NULL;
    jade_http_close(s->env.http); /* nothing is in flight by now */
    s->env.http = NULL;
    jade_instances_quiet(s->nets, s->n_nets);
    service_drop_calls(s, false); /* overdue: what is unanswered stays `sending` */
    service_drop_readings(s, false);
}

static void progress(struct service *s, bool last)
{
    if (!s->opt->progress) return;
    uint64_t t = uv_hrtime();
    if (!last && t - s->last_progress_ns < 100000000ull) return;
    s->last_progress_ns = t;
    char when[32];
    jade_format_utc(service_now(s), when);
    fputc('\r', s->opt->progress); /* over the last line: \r stays out of the catalogue */
    fprintf(s->opt->progress, _("  %.16s  sent %zu  failed %zu  in flight %zu   %s"), when, s->sent,
            s->failed, s->inflight, last ? "\n" : "");
    fflush(s->opt->progress);
}

/* A step of the wall clock while the service ran (an NTP correction): said,
 * and what waits a span of time keeps its span (channels.h). What it made
 * late is recorded with it (dispatch.h). */
static void follow_clock(struct service *s)
{
    struct jade_clock_jump jump;
    if (!jade_clock_check(&s->clock, &jump)) return;
    char said[192];
    jade_clock_describe_jump(&jump, said, sizeof said);
    jade_log(&s->log, JADE_LOG_WARNING, "clock_jump", "from", JADE_LOG_TIME(jump.from), "to",
             JADE_LOG_TIME(jump.to), "by", JADE_LOG_INT(jump.by), "msg", said, "then",
             jump.by > 0 ? _("what fell due meanwhile goes now if it is within catch_up_minutes, "
                             "and is missed otherwise")
                         : _("nothing already sent goes again; what waits, waits for its time"),
             NULL);
    jade_channels_shift_waits(&s->channels, jump.by);
}

static void timer_cb(uv_timer_t *t)
{
    struct service *s = t->data;
    jade_clock_advance(&s->clock, s->sim_target);
    jade_log(&s->log, JADE_LOG_DEBUG, "wake", "inflight", JADE_LOG_INT(s->inflight), NULL);
    service_arm(s);
}

/* At the end of each loop turn: the outcomes it brought free their
 * channels for the next occurrences, and all of it goes to the writer. */
static void flush_cb(uv_check_t *h)
{
    struct service *s = h->data;
    if (!s->writer || !jade_writer_pending(s->writer)) return;
    service_arm(s);
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
        if (ch->removed) continue;
        int64_t expires = service_halt_wake(s, ch);
        if (expires < next) next = expires;
        if (ch->suspended || jade_halts_channel(&s->halts, ch->id)) continue;
        const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                             jade_queue_top(&ch->planned)};
        for (size_t i = 0; i < 2; i++)
            if (tops[i] && tops[i]->at > now && tops[i]->at < next) next = tops[i]->at;
    }
    return next;
}

/* Sends what is ready, then sets the timer for the next event. */
void service_arm(struct service *s)
{
    if (s->closed) return;
    /* Woken before the timer (a signal, a fetch, a notification): the
     * virtual time that passed while it waited counts, at its speed. */
    if (s->clock.simulated && uv_is_active((uv_handle_t *)&s->timer)) {
        double passed = (double)(uv_hrtime() - s->sim_armed_ns) / 1e9 * s->clock.speed;
        double reach = (double)service_now(s) + passed;
        jade_clock_advance(&s->clock,
                           reach < (double)s->sim_target ? (int64_t)reach : s->sim_target);
    }
    follow_clock(s); /* on every wake, and a real clock wakes every few seconds */
    service_check_secrets(s);
    int64_t now = service_now(s);
    if (s->opt->until != INT64_MAX && now >= s->opt->until) s->stopping = true;
    if (s->stopping) {
        if (settled(s)) stop(s);
        return;
    }
    int64_t wake = service_dispatch(s), reading = service_read_metrics(s);
    if (reading < wake) wake = reading;
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
    /* Half the horizon gone, the plan reaches further (on either clock). */
    int64_t replan_at = s->gen->plan_to - (int64_t)s->cfg->horizon_days * 86400 / 2;
    if (now >= replan_at && !s->syncing && !s->reloading)
        service_start_sync(s);
    else if (replan_at > now && replan_at < next)
        next = replan_at;
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
    s->sim_armed_ns = uv_hrtime();
    uv_timer_start(&s->timer, timer_cb, ms, 0);
}

/* ---- systemd, and the stop ------------------------------------------------- */

/* One line for `systemctl status`: what waits, when the next is due, what
 * is in flight. */
static void status_line(const struct service *s, char *out, size_t size)
{
    if (s->stopping) {
        snprintf(out, size, _("stopping: %zu request(s) in flight"), s->inflight);
        return;
    }
    size_t waiting = 0, suspended = 0;
    int64_t next = INT64_MAX;
    for (size_t c = 0; c < s->channels.count; c++) {
        const struct jade_channel *ch = s->channels.items[c];
        if (ch->removed) continue;
        suspended += ch->suspended;
        waiting += ch->planned.count + ch->retrying.count;
        const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                             jade_queue_top(&ch->planned)};
        for (size_t i = 0; i < 2; i++)
            if (tops[i] && tops[i]->at < next) next = tops[i]->at;
    }
    char due[32] = "-", held[64] = "";
    if (next != INT64_MAX) jade_format_utc(next, due);
    if (suspended) snprintf(held, sizeof held, _(", %zu channel(s) suspended"), suspended);
    snprintf(out, size,
             _("publishing: %zu waiting, next due %s, %zu in flight%s; %zu sent, %zu failed"),
             waiting, due, s->inflight, held, s->sent, s->failed);
}

void service_notify_ready(struct service *s)
{
    if (s->stopping || s->closed) return;
    char status[256];
    status_line(s, status, sizeof status);
    jade_notify_ready(&s->notify, status);
}

void service_notify_reloading(struct service *s)
{
    const char *commit = s->gen->view->commit;
    char status[128];
    snprintf(status, sizeof status, _("reloading: adopting %s%.12s"),
             commit ? _("commit ") : _("the folder"), commit ? commit : "");
    jade_notify_reloading(&s->notify, status);
}

/* The watchdog's ping proves the loop turns; the status comes with it
 * (every 10 s without a watchdog), when it changed. */
static void notify_tick_cb(uv_timer_t *t)
{
    struct service *s = t->data;
    char status[256];
    status_line(s, status, sizeof status);
    jade_notify_watchdog(&s->notify, status);
}

/* Ready: the first plan is reconciled and the recovery done. */
static void notify_started(struct service *s)
{
    service_notify_ready(s);
    if (!jade_notify_enabled(&s->notify)) return;
    uint64_t ms = s->notify.watchdog_usec ? s->notify.watchdog_usec / 2000 : 10000;
    uv_timer_start(&s->notify_tick, notify_tick_cb, 0, ms ? ms : 1);
}

/* SIGTERM waited stop_timeout_seconds: what is still in flight is left
 * `sending` in the ledger, which the next start recovers (service_recover);
 * what was answered is written before the service stops. */
static void stop_bound_cb(uv_timer_t *t)
{
    struct service *s = t->data;
    if (s->closed || s->inflight == 0) return; /* only the writer is still at work */
    s->overdue = true;
    char said[256];
    snprintf(said, sizeof said,
             _("%zu request(s) still unanswered after stop_timeout_seconds (%d s): stopping "
               "without their answers; they stay in state sending in the ledger, and the next "
               "start recovers them"),
             s->inflight, s->cfg->stop_timeout_seconds);
    jade_log(&s->log, JADE_LOG_WARNING, "stop_overdue", "inflight", JADE_LOG_INT(s->inflight),
             "msg", said, NULL);
    jade_http_cancel(s->env.http, _("the service is stopping"));
    service_arm(s);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct service *s = h->data;
    s->stopping = true; /* nothing new is dispatched from now on */
    if (s->opt->progress) fputc('\n', s->opt->progress);
    char said[128];
    snprintf(said, sizeof said,
             _("stopping once the requests in flight are answered (at most %d s)"),
             s->cfg->stop_timeout_seconds);
    jade_log(&s->log, JADE_LOG_INFO, "stopping", "signal", signum == SIGINT ? "SIGINT" : "SIGTERM",
             "inflight", JADE_LOG_INT(s->inflight), "msg", said, NULL);
    char status[128];
    status_line(s, status, sizeof status);
    jade_notify_stopping(&s->notify, status);
    if (!uv_is_active((uv_handle_t *)&s->stop_bound))
        uv_timer_start(&s->stop_bound, stop_bound_cb, (uint64_t)s->cfg->stop_timeout_seconds * 1000,
                       0);
    service_arm(s);
}

/* ---- start ----------------------------------------------------------------- */

static void start_plugins(struct service *s)
{
    s->plugins_dir =
        s->cfg->plugin_dir ? jade_xstrdup(s->cfg->plugin_dir) : jade_default_plugin_dir();
    jade_plugins_load_dir(s->plugins_dir, &s->plugins);
    for (size_t i = 0; i < s->plugins.n_refused; i++)
        jade_log(&s->log, JADE_LOG_WARNING, "plugin_refused", "reason", s->plugins.refused[i],
                 NULL);
    jade_instances_start(&s->plugins, s->cfg->networks, &s->env, &s->nets, &s->n_nets);
    /* Every loaded plugin's network, started or not: the channels of one
     * whose init failed stay in the content, and fail for want of it
     * (said), while the others publish. */
    s->limits = jade_xcalloc(s->plugins.count + 1, sizeof *s->limits);
    for (size_t i = 0; i < s->plugins.count; i++) {
        const struct jade_plugin *p = s->plugins.items[i].plugin;
        s->limits[i] = (struct jade_network){p->name, p->limits, p->account_schema};
    }
    s->networks = (struct jade_networks){s->limits, s->plugins.count, s->cfg->bindings};
    jade_metrics_init(&s->metrics, &s->loop, s->cfg->state_dir, s->nets, s->n_nets);
}

/* Settings the loaded plugins cannot honour: a network under "networks"
 * that no plugin provides. */
static bool networks_known(struct service *s)
{
    bool ok = true;
    const char *name;
    const json_t *v;
    json_object_foreach ((json_t *)s->cfg->networks, name, v) {
        if (json_is_true(json_object_get(v, "dry_run")) &&
            !jade_instance_find(s->nets, s->n_nets, "outbox")) {
            jade_print(stderr,
                       _("jade run: %s: networks.%s.dry_run: the outbox plugin, which writes a dry "
                         "run's publications, is not loaded from %s\n"),
                       s->cfg->name, name, s->plugins_dir);
            ok = false;
        }
        if (jade_instance_find(s->nets, s->n_nets, name)) continue;
        jade_print(stderr,
                   _("jade run: %s: networks.%s: no plugin for this network is loaded from %s\n"),
                   s->cfg->name, name, s->plugins_dir);
        ok = false;
    }
    return ok;
}

/* Every channel's network has a plugin: else its posts could only fail.
 * One whose plugin failed to start fails them, and the rest runs. */
static bool channels_served(struct service *s)
{
    bool ok = true;
    for (size_t i = 0; i < s->channels.count; i++) {
        const struct jade_channel *ch = s->channels.items[i];
        if (ch->net || ch->removed) continue;
        const char *network = json_string_value(json_object_get(ch->json, "network"));
        /* Loaded, but its init failed (said): the others publish. */
        if (jade_plugins_find(&s->plugins, network)) continue;
        jade_print(stderr,
                   _("jade run: channel %s uses the network \"%s\", but no plugin for it is loaded "
                     "from %s: install it, or remove the channel\n"),
                   ch->id, network, s->plugins_dir);
        ok = false;
    }
    return ok;
}

/* base, followed by commit ref: ref's campaigns, but those broken in it
 * as base has them. */

/* Takes the state folder's lock and opens its ledger: the one the folder
 * held, unless the operator said --new-ledger (ledger.h). */
static int open_state(struct service *s)
{
    struct jade_buf err = {0};
    if ((s->lock_fd = jade_state_lock(s->cfg->state_dir, &err)) < 0 ||
        jade_ledger_open(s->cfg->state_dir, s->opt->new_ledger, &s->ledger, &err) != 0) {
        jade_print(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return -1;
    }
    if (jade_ledger_replaced(s->ledger))
        jade_log(&s->log, JADE_LOG_WARNING, "new_ledger", "state_dir", s->cfg->state_dir, "ledger",
                 jade_ledger_id(s->ledger), "replaced", jade_ledger_replaced(s->ledger), "msg",
                 _("--new-ledger: what the replaced ledger recorded is not known to this one"),
                 NULL);
    return 0;
}

/* The earliest time something waits for, or INT64_MAX. */
static int64_t next_due(const struct service *s)
{
    int64_t next = INT64_MAX;
    for (size_t c = 0; c < s->channels.count; c++) {
        const struct jade_channel *ch = s->channels.items[c];
        const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                             jade_queue_top(&ch->planned)};
        for (size_t i = 0; i < 2; i++)
            if (tops[i] && tops[i]->at < next) next = tops[i]->at;
    }
    return next;
}

static void say_start(struct service *s)
{
    const struct jade_generation *g = s->gen;
    int64_t next = next_due(s);
    char speed[32];
    snprintf(speed, sizeof speed, "sim:%g", s->clock.speed);
    jade_log(&s->log, JADE_LOG_INFO, "start", "version", JADE_VERSION, "commit", g->view->commit,
             "signer", g->parts[0]->signer, "folder", g->view->commit ? NULL : s->cfg->source_dir,
             "plan", JADE_LOG_INT(g->plan.count), "channels", JADE_LOG_INT(s->channels.count),
             "next_due", next == INT64_MAX ? NULL : JADE_LOG_TIME(next), "clock",
             s->clock.simulated ? speed : NULL, "once", s->opt->once ? "true" : NULL, NULL);
}

/* Loads, plans, reconciles and recovers; then the loop runs until stopped.
 * Everything that can be checked is, before anything is created in the
 * state folder; a git source's mirror is the first thing made there. */
static enum jade_service_status start(struct service *s)
{
    struct jade_buf err = {0};
    if (jade_config_check_disk(s->cfg, &err) != 0) {
        jade_print(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (s->cfg->verify_signed && jade_signers_load(s->cfg->allowed_signers, &s->signers, &err)) {
        jade_print(stderr, "jade run: %s: source.allowed_signers: %s\n", s->cfg->name,
                   jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_SERVICE_BAD_CONFIG;
    }
    start_plugins(s);
    if (!networks_known(s)) return JADE_SERVICE_BAD_CONFIG;
    if (!s->cfg->source_dir) s->mirror = jade_xasprintf("%s/content.git", s->cfg->state_dir);
    if (service_read_credentials(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    /* A ledger from an earlier run says what was adopted before: opened
     * first (as is one that its marker says is lost: refused at once). On
     * a first start nothing is made before the content is good. */
    bool folder = s->cfg->source_dir != NULL;
    char *ledger_path = jade_xasprintf("%s/ledger.sqlite", s->cfg->state_dir);
    char *marker_path = jade_xasprintf("%s/ledger.id", s->cfg->state_dir);
    bool earlier = access(ledger_path, F_OK) == 0 || access(marker_path, F_OK) == 0;
    free(ledger_path);
    free(marker_path);
    if (earlier && open_state(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    enum jade_service_status rc = service_first_generation(s);
    if (rc != JADE_SERVICE_OK) return rc;
    jade_channels_adopt(&s->channels, s->gen->view, s->nets, s->n_nets);
    if (!channels_served(s)) return JADE_SERVICE_BAD_CONFIG;
    if (!earlier && open_state(s) != 0) return JADE_SERVICE_BAD_CONFIG;
    if (service_load_operations(s) != 0) return JADE_SERVICE_FAILED;
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
    struct reload *r = service_reconcile_first(s);
    if (!r) return JADE_SERVICE_FAILED;
    s->writer = jade_writer_new(&s->loop, s->ledger, service_written_cb, s);
    jade_writer_time_commits(s->writer, &s->metrics.commits);
    uv_timer_init(&s->loop, &s->timer);
    uv_timer_init(&s->loop, &s->poll);
    uv_check_init(&s->loop, &s->flush);
    uv_timer_init(&s->loop, &s->notify_tick);
    uv_timer_init(&s->loop, &s->stop_bound);
    s->notify_tick.data = s->stop_bound.data = s;
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sighup);
    s->timer.data = s->poll.data = s->flush.data = s;
    s->sigterm.data = s->sigint.data = s->sighup.data = s;
    uv_check_start(&s->flush, flush_cb);
    uv_signal_start(&s->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&s->sigint, signal_cb, SIGINT);
    /* The admin listener: not for a single pass, nor without an address (the demo). */
    if (!s->opt->once && s->cfg->listen &&
        jade_admin_start(&s->loop, s->cfg->listen, service_admin_cb, s, &s->admin, &err) != 0) {
        jade_print(stderr, "jade run: %s: listen: %s\n", s->cfg->name, jade_buf_str(&err));
        jade_buf_free(&err);
        service_free_reload(r);
        s->stopping = true;
        service_arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return JADE_SERVICE_BAD_CONFIG;
    }
    if (s->admin) jade_metrics_read_ledger(&s->metrics); /* the first scrape has the counts */
    if (s->admin) service_check_admin_token(s);
    if (!s->opt->once) {
        uv_signal_start(&s->sighup, service_sighup_cb, SIGHUP);
        /* A folder has no commits to compare: it is read again at SIGHUP. */
        if (!folder) {
            uint64_t every = (uint64_t)s->cfg->poll_seconds * 1000;
            uv_timer_start(&s->poll, service_poll_cb, every, every);
        }
    }
    if ((rc = service_recover(s)) != JADE_SERVICE_OK) {
        service_free_reload(r);
        s->stopping = true;
        service_arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return rc;
    }
    /* What waits, read after the recovery: what went back to planned too. */
    if (service_load_waiting(s, r) != 0) {
        service_start_lookups(s, false);
        service_free_reload(r);
        s->stopping = true;
        service_arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return JADE_SERVICE_FAILED;
    }
    service_free_reload(r);
    if (service_load_readings(s) != 0) {
        service_start_lookups(s, false);
        s->stopping = true;
        service_arm(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        return JADE_SERVICE_FAILED;
    }
    service_start_lookups(s, true);
    notify_started(s);
    say_start(s);
    /* What went out, as git notes: off the loop, never in publishing's way. */
    if (!folder && s->cfg->notes != JADE_NOTES_OFF) {
        s->notes = jade_notes_writer_new(&s->loop, s->cfg, s->mirror, jade_ledger_id(s->ledger),
                                         &s->credentials, &s->log);
        if (!s->opt->once) jade_notes_writer_start(s->notes);
    }
    /* Start on the loop, so that lookups and outcomes are all handled there. */
    uv_timer_start(&s->timer, timer_cb, 0, 0);
    if (s->sync_again) service_start_sync(s); /* a restart reads the branch now */
    uv_run(&s->loop, UV_RUN_DEFAULT);
    /* The last outcomes noted; a single pass (cron) pushes them too. */
    if (s->notes) jade_notes_writer_flush(s->notes, s->opt->once);
    progress(s, true);
    jade_log(&s->log, s->failed || s->ledger_failed ? JADE_LOG_WARNING : JADE_LOG_INFO, "stop",
             "sent", JADE_LOG_INT(s->sent), "failed", JADE_LOG_INT(s->failed), "ledger",
             s->ledger_failed ? "failed" : NULL, NULL);
    return s->ledger_failed || (s->opt->once && s->failed) ? JADE_SERVICE_FAILED : JADE_SERVICE_OK;
}

static void free_service(struct service *s)
{
    jade_instances_stop(s->nets, s->n_nets);
    service_drop_calls(s, true);
    service_drop_readings(s, true);
    service_free_readings(s);
    jade_plugins_free(&s->plugins);
    free(s->plugins_dir);
    free(s->limits);
    jade_signers_free(s->signers);
    service_free_operations(s);
    jade_notes_writer_free(s->notes);
    jade_channels_free(&s->channels);
    jade_generation_unref(s->gen);
    free(s->settled);
    free(s->refused_tip);
    free(s->refused_reason);
    free(s->fetch_error);
    free(s->media_root);
    free(s->mirror);
    if (s->git_password) explicit_bzero(s->git_password, strlen(s->git_password));
    free(s->git_password);
    free(s->git_ssh_key);
    free(s->git_known_hosts);
    jade_metrics_free(&s->metrics); /* its reader first: the last to close empties the log */
    jade_ledger_close(s->ledger);
    jade_state_unlock(s->lock_fd);
    jade_notify_close(&s->notify);
    free(s);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The simulated time for the log's at= */
static int64_t clock_now(const void *clock)
{
    return jade_clock_now(clock);
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
    if (opt->sim_jump_by) jade_clock_schedule_jump(&s->clock, opt->sim_jump_at, opt->sim_jump_by);
    jade_log_init(&s->log, stderr, opt->log_level);
    if (opt->simulated) s->log.sim_now = clock_now, s->log.sim_ctx = &s->clock;
    uv_loop_init(&s->loop);
    struct jade_buf err = {0};
    if (jade_notify_open(&s->notify, &err) != 0)
        jade_print(stderr, "jade run: %s\n", jade_buf_str(&err));
    jade_buf_free(&err);
    s->env = (struct jade_host_env){.http = jade_http_new(&s->loop, &s->cfg->outbound),
                                    .clock = &s->clock,
                                    .loop = &s->loop,
                                    .state_dir = s->cfg->state_dir,
                                    .secrets_dir = s->cfg->secrets_dir,
                                    .outbox_dir = s->cfg->outbox_dir,
                                    .log = &s->log,
                                    .late = service_late,
                                    .late_ctx = s};
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
    if (s->abandoned) {
        /* A thread still hangs in the fetch and reads the service: exit
         * now (libuv's exit handler would wait for that thread). */
        fflush(stdout);
        fflush(stderr);
        _exit(rc == JADE_SERVICE_OK ? 0 : 1);
    }
    uv_loop_close(&s->loop);
    free_service(s);
    return rc;
}
