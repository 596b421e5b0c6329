/* queue.h - what waits on one channel, earliest first: a binary min-heap on
 * (time, key), so the next occurrence is seen in O(1) and taken in
 * O(log n) however many wait, and ties fall in the same order on every
 * run. The service keeps two per channel: planned (by due time) and
 * retrying (by the time of the next attempt). */
#ifndef JADE_QUEUE_H
#define JADE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jade_waiting {
    int64_t at;  /* when it may go: the due time, or the next attempt's */
    int64_t due; /* the planned time, for the catch-up rule */
    int attempts;
    bool halted; /* due already when an operator's halt that kept it was lifted */
    char key[33];
};

struct jade_queue {
    struct jade_waiting *items;
    size_t count, cap;
};

void jade_queue_push(struct jade_queue *q, const struct jade_waiting *w);
/* The earliest, or NULL when the queue is empty. */
const struct jade_waiting *jade_queue_top(const struct jade_queue *q);
/* Takes the earliest into *out; 0, or -1 when the queue is empty. */
int jade_queue_pop(struct jade_queue *q, struct jade_waiting *out);
/* Takes out what has one of keys (n of them, sorted by strcmp), in O(count):
 * a reload's cancelled and moved occurrences. Returns how many. */
size_t jade_queue_remove(struct jade_queue *q, const char *const *keys, size_t n);
void jade_queue_free(struct jade_queue *q);

#endif
