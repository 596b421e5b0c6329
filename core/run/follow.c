/* follow.c - following the approved branch while publishing: a sync
 * cycle (sync.c: fetch, review, load, plan) on the thread pool every
 * poll_seconds, at SIGHUP and at a push notification on the admin
 * listener; the adoption of its generation on the loop (the ledger
 * reconciled in the writer's next batch, no new request leaving while it
 * is written, then the queues loaded again); what waits and why, said once
 * per change; and at start, the first generation, or the last content
 * adopted before. */
#include "service-internal.h"

#include "config.h"
#include "hooks.h"
#include "writer.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void start_sync(struct service *s);
static int reconcile(struct jade_ledger *l, struct reload *r);

/* ---- the ledger and the queues ------------------------------------------- */

/* A row that waits, straight into its channel's queue (at start, on the
 * loop: the queues are read whole once). */
static void queue_row(void *ctx, const struct jade_ledger_row *row)
{
    struct service *s = ctx;
    struct jade_channel *ch = row->channel ? jade_channels_find(&s->channels, row->channel) : NULL;
    if (!ch) return; /* a channel the content no longer has: nothing sends there */
    bool retrying = row->state == JADE_RETRYING;
    struct jade_waiting w = {
        .at = retrying ? row->next_attempt : row->due, .due = row->due, .attempts = row->attempts};
    snprintf(w.key, sizeof w.key, "%s", row->key);
    jade_queue_push(retrying ? &ch->retrying : &ch->planned, &w);
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
    r->n_removals = 0;
}

/* The removals that wait in the ledger: read at start, and after a
 * reconciliation that marked new ones (the service keeps the others as it
 * settles them). What waits to be published follows the reconciliation's
 * changes (apply_changes). */
static int read_removals(struct jade_ledger *l, struct reload *r)
{
    clear_waiting(r);
    return (!r->delta || r->marked) && jade_ledger_to_remove(l, removal_cb, r) != 0 ? -1 : 0;
}

/* Reconciles the ledger with the generation's plan, and reads back what
 * waits: on the writer's thread, in its transaction, or at start. */
static int reconcile_job(struct jade_ledger *l, void *ctx)
{
    struct reload *r = ctx;
    uint64_t t0 = uv_hrtime();
    int rc = reconcile(l, r);
    r->ledger_ms = (double)(uv_hrtime() - t0) / 1e6;
    return rc;
}

static int reconcile(struct jade_ledger *l, struct reload *r)
{
    struct jade_generation *g = r->gen, *p = r->previous;
    struct jade_reconcile_previous previous = {p ? &p->plan : NULL, p ? &p->by_key : NULL,
                                               p ? p->plan_from : 0, p ? p->plan_to : 0};
    r->delta = p != NULL;
    if (jade_ledger_reconcile(l, &g->plan, &g->by_key, g->plan_from, g->plan_to, g->view->commit,
                              r->now, jade_generation_cancel_reason, g, p ? &previous : NULL,
                              r->delta ? &r->changes : NULL, &r->stats) != 0)
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
    return r->read_later ? 0 : read_removals(l, r);
}

void service_free_reload(struct reload *r)
{
    clear_waiting(r);
    jade_waiting_changes_clear(&r->changes);
    free(r->removals);
    free(r->removal_channels);
    jade_generation_unref(r->gen);
    jade_generation_unref(r->previous);
    free(r);
}

/* The queues follow what a reconciliation changed: what no longer waits,
 * or waits at another time, is taken out; what waits now is put in. */
static void apply_changes(struct service *s, const struct jade_waiting_changes *changes)
{
    const char **gone = jade_xcalloc(changes->count + 1, sizeof *gone);
    size_t n_gone = 0;
    for (size_t i = 0; i < changes->count; i++) gone[n_gone++] = changes->items[i].key;
    qsort(gone, n_gone, sizeof *gone, jade_compare_text);
    for (size_t c = 0; n_gone && c < s->channels.count; c++) {
        jade_queue_remove(&s->channels.items[c]->planned, gone, n_gone);
        jade_queue_remove(&s->channels.items[c]->retrying, gone, n_gone);
        jade_queue_remove(&s->channels.items[c]->held, gone, n_gone);
    }
    free(gone);
    for (size_t i = 0; i < changes->count; i++) {
        const struct jade_waiting_change *c = &changes->items[i];
        struct jade_channel *ch = jade_channels_find(&s->channels, c->channel);
        if (!c->waits || !ch) continue;
        struct jade_waiting w = {.at = c->due, .due = c->due, .attempts = c->attempts};
        memcpy(w.key, c->key, sizeof w.key);
        jade_queue_push(&ch->planned, &w);
    }
}

/* The queues, as the ledger says: what waits on each channel. */
static void load_queues(struct service *s, struct reload *r)
{
    if (r->delta) apply_changes(s, &r->changes);
    for (size_t i = 0; i < r->n_removals; i++) {
        struct jade_channel *ch = jade_channels_find(&s->channels, r->removal_channels[i]);
        bool settled = false;
        for (size_t k = 0; k < s->n_settled && !settled; k++)
            settled = !strcmp(s->settled[k], r->removals[i].key);
        if (ch && !settled) jade_channel_add_removal(ch, &r->removals[i]);
        if (ch) service_readings_forget(s, ch, r->removals[i].key); /* retracted: not read */
    }
    s->n_settled = 0;
}

/* A reload in the log: what it adopted, what changed in the plan, how long
 * it took, and the campaigns kept at an older version. */
static void say_adopted(struct service *s, const struct reload *r)
{
    const struct jade_generation *g = r->gen, *p = r->previous;
    /* -1: every file was read */
    bool partly = g->reread > 0 || (g->reread == 0 && g->load_ms > 0);
    jade_log(&s->log, JADE_LOG_INFO, "adopted", "commit", g->view->commit, "signer",
             g->parts[0]->signer, "folder", g->view->commit ? NULL : s->cfg->source_dir, "from",
             p && p->view->commit ? p->view->commit : NULL, "new", JADE_LOG_INT(r->stats.inserted),
             "moved", JADE_LOG_INT(r->stats.moved), "back", JADE_LOG_INT(r->stats.revived),
             "cancelled", JADE_LOG_INT(r->stats.cancelled), "to_remove",
             r->marked ? JADE_LOG_INT(r->marked) : NULL, "reread",
             partly ? JADE_LOG_INT(g->reread) : NULL, "load_ms", JADE_LOG_MS(g->load_ms), "plan_ms",
             JADE_LOG_MS(g->plan_ms), "record_ms", JADE_LOG_MS(r->ledger_ms), NULL);
    for (size_t i = 0; i < g->n_kept; i++) {
        const char *at = strchr(g->kept[i], '@');
        char *dir = jade_xstrndup(g->kept[i], at ? (size_t)(at - g->kept[i]) : strlen(g->kept[i]));
        jade_log(&s->log, JADE_LOG_WARNING, "kept", "campaign", dir, "commit", at ? at + 1 : NULL,
                 "msg", _("the campaign is kept at its last good version"), NULL);
        free(dir);
    }
}

/* The content's problems, one event each. */
static void say_diags(struct service *s, const struct jade_diags *d, const char *commit)
{
    for (size_t i = 0; i < d->count; i++) {
        const struct jade_diag *x = &d->items[i];
        jade_log(&s->log, x->severity == JADE_ERROR ? JADE_LOG_ERROR : JADE_LOG_WARNING,
                 "diagnostic", "commit", commit && *commit ? commit : NULL, "file", x->file, "line",
                 x->line ? JADE_LOG_INT(x->line) : NULL, "col",
                 x->col ? JADE_LOG_INT(x->col) : NULL, "pointer", x->pointer, "msg", x->message,
                 NULL);
    }
}

static void reload_done(void *ctx, bool ok)
{
    struct reload *r = ctx;
    struct service *s = r->s;
    s->reloading = false;
    jade_metrics_reloaded(&s->metrics, ok,
                          (r->gen->load_ms + r->gen->plan_ms + r->ledger_ms) / 1e3);
    if (ok) {
        load_queues(s, r);
        say_adopted(s, r);
    }
    service_notify_ready(s);
    service_free_reload(r);
    if (ok && s->sync_again) start_sync(s); /* deferred while this was written */
}

/* Publishing goes on from g: the channels follow its channels.json, and
 * the ledger its plan, in the writer's next batch. */
static void adopt(struct service *s, struct jade_generation *g)
{
    struct reload *r = jade_xcalloc(1, sizeof *r);
    r->previous = s->gen; /* the ledger agrees with its plan: only the differences are written */
    s->gen = g;
    jade_channels_adopt(&s->channels, g->view, s->nets, s->n_nets);
    r->s = s;
    r->gen = jade_generation_ref(g);
    r->now = service_now(s);
    s->reloading = true;
    service_notify_reloading(s);
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
    jade_log(&s->log, JADE_LOG_WARNING, "refused", "commit", r->commit, "reason", r->reason, "msg",
             _("the commit is not adopted: publishing goes on from the last one adopted"), NULL);
    say_diags(s, &r->diags, r->commit);
    free(s->refused_tip);
    free(s->refused_reason);
    s->refused_tip = jade_xstrdup(r->commit);
    s->refused_reason = jade_xstrdup(r->reason);
}

static void note_fetch(struct service *s, const struct jade_sync_result *r)
{
    if (r->outcome != JADE_SYNC_FAILED) {
        if (s->fetch_error)
            jade_log(&s->log, JADE_LOG_INFO, "fetch_recovered", "failures",
                     JADE_LOG_INT(s->fetch_failures), NULL);
        free(s->fetch_error);
        s->fetch_error = NULL;
        s->fetch_failures = 0;
        return;
    }
    s->fetch_failures++;
    if (s->fetch_error && !strcmp(s->fetch_error, r->reason)) return;
    jade_log(&s->log, JADE_LOG_WARNING, "fetch_failed", "commit", s->gen->view->commit, "error",
             r->reason, "msg",
             _("cannot read the branch: publishing goes on from the commit adopted"), NULL);
    free(s->fetch_error);
    s->fetch_error = jade_xstrdup(r->reason);
    s->fetch_error_since = service_now(s);
}

/* A fetch that moved the tip, at info; one that found nothing new, at
 * debug. */
static void say_fetch(struct service *s, const struct jade_sync_result *r)
{
    if (r->outcome == JADE_SYNC_FAILED || s->cfg->source_dir) return;
    const char *was = s->gen->view->commit;
    bool moved =
        r->outcome != JADE_SYNC_UNCHANGED && r->commit[0] && (!was || strcmp(was, r->commit));
    jade_log(&s->log, moved ? JADE_LOG_INFO : JADE_LOG_DEBUG, "fetched", "from", moved ? was : NULL,
             "to", r->commit[0] ? r->commit : NULL, "fetch_ms", JADE_LOG_MS(r->fetch_ms), NULL);
}

static void sync_done_cb(uv_work_t *w, int status)
{
    struct service *s = w->data;
    struct jade_sync_result *r = &s->sync_out;
    s->syncing = false;
    /* stopping, the fetch answered within its grace */
    if (s->closed && s->grace.loop && !uv_is_closing((uv_handle_t *)&s->grace))
        uv_close((uv_handle_t *)&s->grace, NULL);
    jade_generation_unref(s->sync_in.current);
    s->sync_in.current = NULL;
    if (status == 0 && !s->closed && !s->stopping) {
        s->last_fetch = service_now(s);
        jade_metrics_synced(&s->metrics, r->outcome, r->fetch_ms);
        say_fetch(s, r);
        note_fetch(s, r);
        if (r->outcome == JADE_SYNC_REFUSED) note_refusal(s, r);
        if (r->outcome == JADE_SYNC_ADOPT) {
            say_diags(s, &r->diags, r->commit);
            free(s->refused_tip);
            s->refused_tip = NULL;
        }
        /* The tip, or (the tip waiting, the branch unreadable) the same
         * content planned further as the horizon moves. */
        if (r->generation) adopt(s, r->generation);
        r->generation = NULL;
    }
    jade_sync_result_free(r);
    if (s->sync_again && !s->reloading) start_sync(s);
    service_arm(s);
}

/* The content repository's credentials, read again for each fetch so a
 * rotated token is used at once; -1 when a secret cannot be read. */
int service_read_credentials(struct service *s)
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
            /* at start, the service does not start: a message; later, an event */
            if (s->writer)
                jade_log(&s->log, JADE_LOG_ERROR, "fetch_failed", "error", jade_buf_str(&err),
                         "msg", _("the content repository's credential cannot be read"), NULL);
            else
                jade_print(stderr, "jade run: %s\n", jade_buf_str(&err));
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
/* The earliest due time of what waits to be tried again, or 0. */
static int64_t earliest_retry(const struct service *s)
{
    int64_t first = 0;
    for (size_t c = 0; c < s->channels.count; c++) {
        const struct jade_queue *q = &s->channels.items[c]->retrying;
        for (size_t i = 0; i < q->count; i++)
            if (!first || q->items[i].due < first) first = q->items[i].due;
    }
    return first;
}

void service_start_sync(struct service *s)
{
    start_sync(s);
}

/* One cycle at a time, and none while an adoption is being written: two
 * reloads in one batch would each load the queues from their own reading
 * of the ledger, and the second could queue again what the first let go. */
static void start_sync(struct service *s)
{
    if (s->closed || s->stopping) return;
    if (s->syncing || s->reloading) {
        s->sync_again = true;
        return;
    }
    if (service_read_credentials(s) != 0) return; /* said; the next poll tries again */
    s->syncing = true;
    s->sync_again = false;
    int64_t now = service_now(s);
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
        .retry_due_from = earliest_retry(s),
    };
    s->sync_work.data = s;
    uv_queue_work(&s->loop, &s->sync_work, sync_work_cb, sync_done_cb);
}

void service_poll_cb(uv_timer_t *t)
{
    start_sync(t->data);
}

void service_sighup_cb(uv_signal_t *h, int signum)
{
    (void)signum;
    struct service *s = h->data;
    jade_log(&s->log, JADE_LOG_INFO, "sighup", "msg", _("reading the branch again"), NULL);
    start_sync(s);
}

/* ---- the admin listener ----------------------------------------------------- */

/* POST /hooks/git: a forge says the repository received a push. Checked
 * with the hook's secret, answered at once, fetched after. */
void service_hook(struct service *s, const struct jade_admin_request *req,
                  struct jade_admin_response *res)
{
    char secret[4096];
    struct jade_buf err = {0};
    int len = s->cfg->hook_secret ? jade_secret_read(s->cfg->secrets_dir, s->cfg->hook_secret,
                                                     secret, sizeof secret, &err)
                                  : -1;
    if (len <= 0) {
        jade_log(&s->log, JADE_LOG_ERROR, "hook", "status", "503", "error",
                 err.len ? jade_buf_str(&err) : _("no hook_secret is configured"), NULL);
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
        jade_log(&s->log, JADE_LOG_WARNING, "hook", "status", JADE_LOG_INT(res->status), "reason",
                 verdict.reason, NULL);
        jade_buf_printf(&res->body, "%s\n", verdict.reason);
    } else {
        char *want = jade_xasprintf("refs/heads/%s", s->cfg->branch);
        bool ours = !verdict.ref || !strcmp(verdict.ref, want);
        free(want);
        res->status = 202;
        jade_log(&s->log, JADE_LOG_INFO, "hook", "status", "202", "ref", verdict.ref, "msg",
                 ours ? _("fetching") : _("not the followed branch"), NULL);
        jade_buf_puts(&res->body, ours ? _("fetching\n") : _("not the followed branch\n"));
        if (ours) start_sync(s);
    }
    jade_hook_result_free(&verdict);
}

/* A cycle run at start, on the loop's thread: from base, the commit ref
 * (NULL: the branch's tip, fetched). */
static void sync_now(struct service *s, struct jade_generation *base, const char *ref,
                     struct jade_sync_result *r)
{
    struct jade_sync_input in = {.config = s->cfg,
                                 .mirror = s->mirror,
                                 .credentials = &s->credentials,
                                 .networks = &s->networks,
                                 .signers = s->signers,
                                 .current = base,
                                 .ref = ref,
                                 .now = service_now(s)};
    jade_sync_run(&in, r);
}

/* base, followed by commit ref: ref's campaigns, but those broken in it
 * as base has them. */
static struct jade_generation *follow(struct service *s, struct jade_generation *base,
                                      const char *ref)
{
    struct jade_sync_result r;
    sync_now(s, base, ref, &r);
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
enum jade_service_status service_first_generation(struct service *s)
{
    char *last = NULL;
    struct jade_generation *base = last_adopted(s, &last);
    if (base && !s->opt->once) {
        /* A restart publishes at once from what was adopted before; the
         * branch is read on the thread pool once the loop runs, so an
         * unreachable (or silent) remote cannot hold the start. */
        s->gen = base;
        s->sync_again = true;
        jade_log(&s->log, JADE_LOG_INFO, "resumed_from", "commit", last, "msg",
                 _("publishing from the last commit adopted; reading the branch"), NULL);
        free(last);
        return JADE_SERVICE_OK;
    }
    struct jade_sync_result r;
    sync_now(s, base, NULL, &r);
    enum jade_service_status rc = JADE_SERVICE_OK;
    if (r.outcome == JADE_SYNC_ADOPT || (r.outcome == JADE_SYNC_UNCHANGED && base)) {
        say_diags(s, &r.diags, r.commit);
        s->gen = r.outcome == JADE_SYNC_ADOPT ? r.generation : jade_generation_ref(base);
        r.generation = NULL;
    } else if (base) {
        if (r.outcome == JADE_SYNC_REFUSED) note_refusal(s, &r);
        s->gen = jade_generation_ref(base);
        note_fetch(s, &r);
        jade_log(&s->log, JADE_LOG_WARNING, "resumed_from", "commit", last, "msg",
                 _("publishing from the last commit adopted"), NULL);
    } else {
        jade_diags_sort(&r.diags);
        jade_diags_print_text(stderr, &r.diags);
        jade_print(stderr, _("jade run: nothing can be published: %s\n"),
                   r.reason ? r.reason : _("the content has errors"));
        rc = r.outcome == JADE_SYNC_FAILED ? JADE_SERVICE_BAD_CONFIG : JADE_SERVICE_FAILED;
    }
    jade_sync_result_free(&r);
    jade_generation_unref(base);
    free(last);
    return rc;
}

struct reload *service_reconcile_first(struct service *s)
{
    struct reload *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->gen = jade_generation_ref(s->gen);
    r->now = service_now(s);
    r->read_later = true; /* by service_load_waiting, after the recovery: read once */
    if (jade_ledger_begin(s->ledger) != 0 || reconcile_job(s->ledger, r) != 0 ||
        jade_ledger_commit(s->ledger) != 0) {
        jade_ledger_rollback(s->ledger);
        jade_print(stderr, _("jade run: cannot write the ledger in %s: %s\n"), s->cfg->state_dir,
                   jade_ledger_failure(s->ledger));
        service_free_reload(r);
        return NULL;
    }
    if (r->stats.inserted + r->stats.moved + r->stats.cancelled > 1000)
        jade_ledger_checkpoint(s->ledger);
    say_adopted(s, r);
    return r;
}

int service_load_waiting(struct service *s, struct reload *r)
{
    jade_channels_clear_queues(&s->channels);
    if (jade_ledger_in_state(s->ledger, JADE_PLANNED, queue_row, s) != 0 ||
        jade_ledger_in_state(s->ledger, JADE_RETRYING, queue_row, s) != 0 ||
        read_removals(s->ledger, r) != 0) {
        jade_print(stderr, _("jade run: cannot read the ledger in %s: %s\n"), s->cfg->state_dir,
                   jade_ledger_failure(s->ledger));
        return -1;
    }
    load_queues(s, r);
    return 0;
}
