/* writer.c - the ledger's group commit (see writer.h). */
#include "writer.h"

#include "metrics.h"
#include "../util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    size_t at; /* runs before updates[at] */
    jade_writer_job_fn run;
    jade_writer_job_done done;
    void *ctx;
};

struct batch {
    struct jade_update *updates;
    size_t n_updates, cap_updates;
    struct job *jobs;
    size_t n_jobs;
    void **requests;
    size_t n_requests, cap_requests;
    int rc;
    double seconds; /* how long its write took */
};

struct jade_writer {
    uv_loop_t *loop;
    struct jade_ledger *ledger;
    jade_written_cb cb;
    void *ctx;
    struct batch filling, writing; /* writing: with the worker while busy */
    bool busy, closing;
    uint64_t busy_since; /* uv_hrtime() when the batch being written was handed over */
    uv_work_t work;
    uv_idle_t wake; /* active while a batch waits: keeps the loop from blocking */
    struct jade_histogram *commit_times;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n_updates; i++) {
        struct jade_update *u = &b->updates[i];
        free((char *)u->network_id);
        free((char *)u->url);
        free((char *)u->error);
        free((char *)u->commit);
        free((char *)u->signer);
        free((char *)u->removal);
    }
    b->n_updates = 0;
    b->n_requests = 0;
    b->n_jobs = 0;
    b->rc = 0;
}

static void batch_free(struct batch *b)
{
    batch_clear(b);
    free(b->updates);
    free(b->requests);
    free(b->jobs);
}

static void idle_cb(uv_idle_t *h)
{
    (void)h; /* its being active is what counts: the poll does not block */
}

struct jade_writer *jade_writer_new(uv_loop_t *loop, struct jade_ledger *ledger, jade_written_cb cb,
                                    void *ctx)
{
    struct jade_writer *w = jade_xcalloc(1, sizeof *w);
    w->loop = loop;
    w->ledger = ledger;
    w->cb = cb;
    w->ctx = ctx;
    uv_idle_init(loop, &w->wake);
    w->wake.data = w->work.data = w;
    return w;
}

static void free_writer(struct jade_writer *w)
{
    batch_free(&w->filling);
    batch_free(&w->writing);
    free(w);
}

static void close_cb(uv_handle_t *h)
{
    free_writer(h->data);
}

void jade_writer_close(struct jade_writer *w)
{
    if (!w || w->closing || w->busy) return;
    w->closing = true;
    uv_close((uv_handle_t *)&w->wake, close_cb);
}

static void wake_loop(struct jade_writer *w)
{
    /* A busy worker wakes the loop when it is done; otherwise the loop
     * must come round to submit this, without the poll blocking first. */
    if (!w->busy && !w->closing && !uv_is_active((uv_handle_t *)&w->wake))
        uv_idle_start(&w->wake, idle_cb);
}

static char *dup_or_null(const char *s)
{
    return s ? jade_xstrdup(s) : NULL;
}

void jade_writer_update(struct jade_writer *w, const struct jade_update *change)
{
    struct batch *b = &w->filling;
    if (b->n_updates == b->cap_updates) {
        b->cap_updates = b->cap_updates ? b->cap_updates * 2 : 64;
        b->updates = jade_xrealloc(b->updates, b->cap_updates * sizeof *b->updates);
    }
    struct jade_update *u = &b->updates[b->n_updates++];
    *u = *change;
    u->network_id = dup_or_null(change->network_id);
    u->url = dup_or_null(change->url);
    u->error = dup_or_null(change->error);
    u->commit = dup_or_null(change->commit);
    u->signer = dup_or_null(change->signer);
    u->removal = dup_or_null(change->removal);
    wake_loop(w);
}

void jade_writer_job(struct jade_writer *w, jade_writer_job_fn run, jade_writer_job_done done,
                     void *ctx)
{
    struct batch *b = &w->filling;
    b->jobs = jade_xrealloc(b->jobs, (b->n_jobs + 1) * sizeof *b->jobs);
    b->jobs[b->n_jobs++] = (struct job){b->n_updates, run, done, ctx};
    wake_loop(w);
}

void jade_writer_hold(struct jade_writer *w, void *request)
{
    wake_loop(w);
    struct batch *b = &w->filling;
    if (b->n_requests == b->cap_requests) {
        b->cap_requests = b->cap_requests ? b->cap_requests * 2 : 64;
        b->requests = jade_xrealloc(b->requests, b->cap_requests * sizeof *b->requests);
    }
    b->requests[b->n_requests++] = request;
}

/* The batch in one transaction: its changes, with its jobs in their
 * places. */
static int write_batch(struct jade_ledger *l, const struct batch *b)
{
    if (jade_ledger_begin(l) != 0) return -1;
    size_t j = 0;
    for (size_t i = 0; i <= b->n_updates; i++) {
        for (; j < b->n_jobs && b->jobs[j].at == i; j++) {
            if (b->jobs[j].run(l, b->jobs[j].ctx) != 0) {
                jade_ledger_rollback(l);
                return -1;
            }
        }
        if (i < b->n_updates && jade_ledger_set(l, &b->updates[i]) != 0) {
            jade_ledger_rollback(l);
            return -1;
        }
    }
    return jade_ledger_commit(l);
}

/* On a thread-pool thread: the only user of the ledger while it runs. */
static void write_cb(uv_work_t *work)
{
    struct jade_writer *w = work->data;
    uint64_t t0 = uv_hrtime();
    w->writing.rc = write_batch(w->ledger, &w->writing);
    w->writing.seconds = (double)(uv_hrtime() - t0) / 1e9;
}

/* On the loop, once the batch is written (or not). */
static void written_cb(uv_work_t *work, int status)
{
    struct jade_writer *w = work->data;
    struct batch *b = &w->writing;
    w->busy = false;
    bool ok = status == 0 && b->rc == 0;
    if (w->commit_times && status == 0) jade_histogram_observe(w->commit_times, b->seconds);
    for (size_t i = 0; i < b->n_jobs; i++) b->jobs[i].done(b->jobs[i].ctx, ok);
    w->cb(w->ctx, b->requests, b->n_requests, ok);
    batch_clear(b);
    jade_writer_submit(w); /* what filled meanwhile */
}

void jade_writer_submit(struct jade_writer *w)
{
    if (w->busy || w->closing || !jade_writer_pending(w)) return;
    struct batch t = w->writing;
    w->writing = w->filling;
    w->filling = t;
    w->busy = true;
    w->busy_since = uv_hrtime();
    uv_idle_stop(&w->wake);
    uv_queue_work(w->loop, &w->work, write_cb, written_cb);
}

void jade_writer_time_commits(struct jade_writer *w, struct jade_histogram *h)
{
    w->commit_times = h;
}

bool jade_writer_pending(const struct jade_writer *w)
{
    return w->filling.n_updates > 0 || w->filling.n_jobs > 0 || w->filling.n_requests > 0;
}

bool jade_writer_idle(const struct jade_writer *w)
{
    return !w->busy && !jade_writer_pending(w);
}

uint64_t jade_writer_busy_ms(const struct jade_writer *w)
{
    return w->busy ? (uv_hrtime() - w->busy_since) / 1000000 : 0;
}
