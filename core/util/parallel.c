/* parallel.c - a parallel loop on libuv's thread pool (see parallel.h). */
#include "parallel.h"

#include <stdatomic.h>
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
