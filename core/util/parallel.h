/* parallel.h - run a loop's iterations on libuv's thread pool.
 *
 * For work that splits into independent items (checking files, hashing
 * keys): the items are handed out in chunks from a shared counter, so
 * uneven items balance out. Returns when every item is done. */
#ifndef JADE_PARALLEL_H
#define JADE_PARALLEL_H

#include <stddef.h>

/* Calls fn(ctx, worker, begin, end) for disjoint ranges covering [0, n);
 * worker (0 .. JADE_PARALLEL_WORKERS-1) identifies the calling worker, for
 * per-worker state. Small n runs on the calling thread (worker 0). */
#define JADE_PARALLEL_WORKERS 4
void jade_parallel_for(size_t n, size_t chunk,
                       void (*fn)(void *ctx, int worker, size_t begin, size_t end), void *ctx);

/* n bytes, zeroed by every worker at once: a large array's first writes
 * fault its pages in, which on virtual machines costs more than the writes
 * themselves, and faults on several cores overlap. */
void *jade_parallel_zalloc(size_t n);

#endif
