/* notes.c - the service's git notes: batches off the loop (see notes.h). */
#include "notes.h"

#include "config.h"
#include "ledger.h"
#include "../source/fetch.h"
#include "../source/notes.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/log.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_EVERY_MS 1000
#define BATCH_LINES 5000 /* events read at once: a first run over a year goes in steps */
#define PUSH_WAIT_FIRST_MS 5000
#define PUSH_WAIT_MAX_MS 600000

struct jade_notes_writer {
    uv_loop_t *loop;
    const struct jade_config *cfg;
    char *mirror;
    char ledger_id[33];
    const struct jade_fetch_credentials *cred;
    const struct jade_log *log;
    uv_timer_t timer;
    bool timer_started, busy, stopped;
    uv_work_t work;
    uint64_t push_at, push_wait; /* loop time (ms) of the next push, and the wait after a failure */
    /* the job's (set on the loop before it, read on the loop after it) */
    bool push;
    char *user, *password, *ssh_key, *known_hosts;
    struct jade_fetch_credentials job_cred;
    size_t written;       /* lines written */
    bool pushed;          /* a push went through */
    struct jade_buf fail; /* why the notes could not be written */
    struct jade_buf push_fail;
    /* the pool's only */
    struct jade_ledger *reader;
    bool marked;  /* where the notes stand was read from them */
    int64_t upto; /* the last ledger event the notes hold */
    char tip[41]; /* the notes commit last pushed */
};

static char *dup_or_null(const char *s)
{
    return s ? jade_xstrdup(s) : NULL;
}

struct jade_notes_writer *jade_notes_writer_new(uv_loop_t *loop, const struct jade_config *cfg,
                                                const char *mirror, const char *ledger_id,
                                                const struct jade_fetch_credentials *cred,
                                                const struct jade_log *log)
{
    struct jade_notes_writer *w = jade_xcalloc(1, sizeof *w);
    w->loop = loop;
    w->cfg = cfg;
    w->mirror = jade_xstrdup(mirror);
    snprintf(w->ledger_id, sizeof w->ledger_id, "%s", ledger_id ? ledger_id : "");
    w->cred = cred;
    w->log = log;
    return w;
}

/* ---- the job, on the pool ---------------------------------------------------- */

struct batch {
    struct jade_note_line *lines;
    char **owned;
    size_t n, rows;
    int64_t last;
};

static void outcome_cb(void *ctx, const struct jade_ledger_outcome *o)
{
    struct batch *b = ctx;
    b->last = o->id;
    b->rows++;
    if (!o->commit || !*o->commit) return; /* a folder's: no commit to note */
    struct jade_notes_event e = {o->key,        o->state,   o->at,      o->campaign,
                                 o->post,       o->channel, o->network, o->lang,
                                 o->network_id, o->url,     o->detail};
    b->lines = jade_xrealloc(b->lines, (b->n + 1) * sizeof *b->lines);
    b->owned = jade_xrealloc(b->owned, 2 * (b->n + 1) * sizeof *b->owned);
    b->owned[2 * b->n] = jade_xstrdup(o->commit);
    b->owned[2 * b->n + 1] = jade_notes_line(&e);
    b->lines[b->n] = (struct jade_note_line){b->owned[2 * b->n], b->owned[2 * b->n + 1]};
    b->n++;
}

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < 2 * b->n; i++) free(b->owned[i]);
    free(b->owned);
    free(b->lines);
    memset(b, 0, sizeof *b);
}

/* What the ledger recorded since the notes' last event, written. */
static int write_new(struct jade_notes_writer *w, git_repository *repo)
{
    if (!w->reader && jade_ledger_open_readonly(w->cfg->state_dir, &w->reader, &w->fail) != 0) {
        w->reader = NULL;
        return -1;
    }
    if (!w->marked) {
        char ledger[33];
        int64_t upto;
        /* notes of another ledger (--new-ledger) say nothing of this one:
         * all of it again, which adds only what the notes lack */
        if (jade_notes_mark(repo, ledger, &upto) == 0 && !strcmp(ledger, w->ledger_id))
            w->upto = upto;
        w->marked = true;
    }
    for (;;) {
        struct batch b = {.last = w->upto};
        if (jade_ledger_outcomes(w->reader, w->upto, BATCH_LINES, outcome_cb, &b) != 0) {
            jade_buf_puts(&w->fail, jade_ledger_failure(w->reader));
            jade_ledger_close(w->reader); /* opened again next time */
            w->reader = NULL;
            batch_clear(&b);
            return -1;
        }
        if (b.last == w->upto) break;
        char *message = jade_notes_message(w->ledger_id, b.last);
        int rc = jade_notes_add(repo, b.lines, b.n, message, &w->fail);
        free(message);
        bool full = b.rows == BATCH_LINES; /* more may wait */
        if (rc == 0) w->written += b.n, w->upto = b.last;
        batch_clear(&b);
        if (rc != 0) return -1;
        if (!full) break;
    }
    return 0;
}

static void run_job(struct jade_notes_writer *w)
{
    git_libgit2_init();
    git_repository *repo = NULL;
    if (git_repository_open_ext(&repo, w->mirror, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        jade_git_error_message(&w->fail, w->mirror);
    } else if (write_new(w, repo) == 0 && w->push) {
        git_oid tip;
        char hex[41] = "";
        if (git_reference_name_to_id(&tip, repo, JADE_NOTES_REF) == 0)
            git_oid_tostr(hex, sizeof hex, &tip);
        if (*hex && strcmp(hex, w->tip) != 0) {
            char *message = jade_notes_message(w->ledger_id, w->upto);
            if (jade_notes_exchange(w->cfg->source_url, w->mirror, &w->job_cred, message,
                                    &w->push_fail) == 0) {
                /* a merge of theirs moved it: that is what went */
                if (git_reference_name_to_id(&tip, repo, JADE_NOTES_REF) == 0)
                    git_oid_tostr(w->tip, sizeof w->tip, &tip);
                w->pushed = true;
            }
            free(message);
        }
    }
    git_repository_free(repo);
    git_libgit2_shutdown();
}

static void work_cb(uv_work_t *req)
{
    run_job(req->data);
}

/* ---- on the loop ---------------------------------------------------------------- */

static void free_job_credentials(struct jade_notes_writer *w)
{
    if (w->password) explicit_bzero(w->password, strlen(w->password));
    free(w->user);
    free(w->password);
    free(w->ssh_key);
    free(w->known_hosts);
    w->user = w->password = w->ssh_key = w->known_hosts = NULL;
}

static void prepare(struct jade_notes_writer *w, bool push)
{
    w->push = push;
    free_job_credentials(w);
    if (push && w->cred) {
        w->user = dup_or_null(w->cred->username);
        w->password = dup_or_null(w->cred->password);
        w->ssh_key = dup_or_null(w->cred->ssh_key_path);
        w->known_hosts = dup_or_null(w->cred->known_hosts_path);
    }
    w->job_cred = (struct jade_fetch_credentials){w->user, w->password, w->ssh_key, w->known_hosts};
    w->written = 0;
    w->pushed = false;
    jade_buf_truncate(&w->fail, 0);
    jade_buf_truncate(&w->push_fail, 0);
}

/* Says what the job did; a failed push is tried again later. */
static void report(struct jade_notes_writer *w)
{
    free_job_credentials(w);
    if (w->fail.len)
        jade_log(w->log, JADE_LOG_WARNING, "notes_failed", "reason", jade_buf_str(&w->fail), "then",
                 _("tried again in a second; publishing goes on"), NULL);
    else if (w->written)
        jade_log(w->log, JADE_LOG_INFO, "notes_written", "lines", JADE_LOG_INT(w->written), "ref",
                 JADE_NOTES_REF, NULL);
    uint64_t now = uv_now(w->loop);
    if (w->push_fail.len) {
        w->push_wait = w->push_wait ? w->push_wait * 2 : PUSH_WAIT_FIRST_MS;
        if (w->push_wait > PUSH_WAIT_MAX_MS) w->push_wait = PUSH_WAIT_MAX_MS;
        w->push_at = now + w->push_wait;
        jade_log(w->log, JADE_LOG_WARNING, "notes_push_failed", "reason",
                 jade_buf_str(&w->push_fail), "retry_in", JADE_LOG_INT(w->push_wait / 1000), NULL);
    } else if (w->pushed) {
        w->push_wait = 0;
        jade_log(w->log, JADE_LOG_INFO, "notes_pushed", "ref", JADE_NOTES_REF, NULL);
    }
}

static void done_cb(uv_work_t *req, int status)
{
    struct jade_notes_writer *w = req->data;
    (void)status;
    w->busy = false;
    report(w);
}

static void timer_cb(uv_timer_t *t)
{
    struct jade_notes_writer *w = t->data;
    if (w->busy || w->stopped) return;
    bool push = w->cfg->notes == JADE_NOTES_PUSH && uv_now(w->loop) >= w->push_at;
    prepare(w, push);
    w->work.data = w;
    if (uv_queue_work(w->loop, &w->work, work_cb, done_cb) == 0) w->busy = true;
}

void jade_notes_writer_start(struct jade_notes_writer *w)
{
    uv_timer_init(w->loop, &w->timer);
    w->timer.data = w;
    w->timer_started = true;
    uv_timer_start(&w->timer, timer_cb, BATCH_EVERY_MS, BATCH_EVERY_MS);
}

void jade_notes_writer_flush(struct jade_notes_writer *w, bool push)
{
    if (w->busy) return;
    prepare(w, push && w->cfg->notes == JADE_NOTES_PUSH);
    run_job(w);
    report(w);
}

bool jade_notes_writer_busy(const struct jade_notes_writer *w)
{
    return w && w->busy;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void jade_notes_writer_stop(struct jade_notes_writer *w)
{
    if (!w || w->stopped) return;
    w->stopped = true;
    if (w->timer_started) uv_close((uv_handle_t *)&w->timer, close_cb);
}

void jade_notes_writer_free(struct jade_notes_writer *w)
{
    if (!w) return;
    jade_ledger_close(w->reader);
    free_job_credentials(w);
    jade_buf_free(&w->fail);
    jade_buf_free(&w->push_fail);
    free(w->mirror);
    free(w);
}
