/* parallel.c - a parallel loop on libuv's thread pool (see parallel.h). */
#include "parallel.h"

#include "buf.h"

#include <stdatomic.h>
#include <string.h>
#include <uv.h>

struct job {
    size_t n, chunk;
    void (*fn)(void *ctx, int worker, size_t begin, size_t end);
    void *ctx;
    atomic_size_t next;
};

struct worker {
    uv_work_t req;
    struct job *job;
    int id;
};

static void work_cb(uv_work_t *req)
{
    struct worker *w = req->data;
    struct job *job = w->job;
    for (;;) {
        size_t begin = atomic_fetch_add(&job->next, job->chunk);
        if (begin >= job->n) break;
        size_t end = begin + job->chunk < job->n ? begin + job->chunk : job->n;
        job->fn(job->ctx, w->id, begin, end);
    }
}

static void done_cb(uv_work_t *req, int status)
{
    (void)req;
    (void)status;
}

void jade_parallel_for(size_t n, size_t chunk,
                       void (*fn)(void *ctx, int worker, size_t begin, size_t end), void *ctx)
{
    if (chunk == 0) chunk = 1;
    uv_loop_t loop;
    if (n <= chunk || uv_loop_init(&loop) != 0) {
        if (n) fn(ctx, 0, 0, n);
        return;
    }
    struct job job = {n, chunk, fn, ctx, 0};
    atomic_init(&job.next, 0);
    struct worker workers[JADE_PARALLEL_WORKERS];
    for (int i = 0; i < JADE_PARALLEL_WORKERS; i++) {
        workers[i].req.data = &workers[i];
        workers[i].job = &job;
        workers[i].id = i;
        uv_queue_work(&loop, &workers[i].req, work_cb, done_cb);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

/* Zeroes [p, p + n) page by page from every worker. */
struct touch {
    unsigned char *p;
    size_t n;
};

static void touch_pages(void *ctx, int worker, size_t begin, size_t end)
{
    (void)worker;
    const struct touch *t = ctx;
    for (size_t page = begin; page < end; page++) {
        size_t at = page * 4096, len = t->n - at < 4096 ? t->n - at : 4096;
        memset(t->p + at, 0, len);
    }
}

void *jade_parallel_zalloc(size_t n)
{
    unsigned char *p = jade_xmalloc(n ? n : 1);
    jade_parallel_for((n + 4095) / 4096, 64, touch_pages, &(struct touch){p, n});
    return p;
}
