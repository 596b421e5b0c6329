/* writer.h - the ledger's group commit.
 *
 * State changes fill a batch; one batch at a time is written by a
 * thread-pool worker in one transaction (one fsync) while the loop goes on
 * filling the next: the longer a commit takes, the more the next one
 * carries. Requests wait in the batch that marks them `sending`, and leave
 * only once it is committed. A batch is written whole or not at all: when
 * a write fails, nothing of it is on disk and none of its requests leave. */
#ifndef JADE_WRITER_H
#define JADE_WRITER_H

#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct jade_histogram;

/* Called on the loop once a batch is written (ok) or not: requests are
 * what jade_writer_hold was given for that batch, in order. */
typedef void (*jade_written_cb)(void *ctx, void **requests, size_t count, bool ok);

struct jade_writer;

/* The ledger is the writer's alone while a batch is being written. */
struct jade_writer *jade_writer_new(uv_loop_t *loop, struct jade_ledger *ledger, jade_written_cb cb,
                                    void *ctx);
/* Closes the writer's handle and frees it (run the loop to finish). Only
 * once nothing is being written: a busy writer is left alone. */
void jade_writer_close(struct jade_writer *w);

/* Adds a change to the batch being filled (strings are copied). */
void jade_writer_update(struct jade_writer *w, const struct jade_update *u);
/* A request that leaves once the batch being filled is committed. */
void jade_writer_hold(struct jade_writer *w, void *request);
/* Hands the batch being filled to the worker, unless it is busy: the batch
 * then grows until the worker is free, and goes on its own. */
void jade_writer_submit(struct jade_writer *w);

/* Work on the ledger in the batch being filled, after the changes added
 * so far and before those added later, inside its transaction (on the
 * worker thread: it must touch nothing of the loop's). run returns 0, or
 * -1 to fail the whole batch; done runs on the loop once the batch is
 * committed (ok) or not. */
typedef int (*jade_writer_job_fn)(struct jade_ledger *l, void *ctx);
typedef void (*jade_writer_job_done)(void *ctx, bool ok);
void jade_writer_job(struct jade_writer *w, jade_writer_job_fn run, jade_writer_job_done done,
                     void *ctx);

/* Each batch's write, from its BEGIN to its COMMIT, is timed into h
 * (observed on the loop; NULL: not timed). */
void jade_writer_time_commits(struct jade_writer *w, struct jade_histogram *h);

/* Changes wait to be submitted. */
bool jade_writer_pending(const struct jade_writer *w);
/* How long, ms, the batch being written has taken so far (0: none is). */
uint64_t jade_writer_busy_ms(const struct jade_writer *w);
/* Nothing waits and nothing is being written. */
bool jade_writer_idle(const struct jade_writer *w);

#endif
