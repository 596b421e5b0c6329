/* queue.c - a binary min-heap of waiting occurrences (see queue.h). */
#include "queue.h"

#include "../util/buf.h"

#include <stdlib.h>
#include <string.h>

static int before(const struct jade_waiting *a, const struct jade_waiting *b)
{
    if (a->at != b->at) return a->at < b->at;
    return strcmp(a->key, b->key) < 0;
}

static void swap(struct jade_waiting *a, struct jade_waiting *b)
{
    struct jade_waiting t = *a;
    *a = *b;
    *b = t;
}

void jade_queue_push(struct jade_queue *q, const struct jade_waiting *w)
{
    if (q->count == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->items = jade_xrealloc(q->items, q->cap * sizeof *q->items);
    }
    size_t i = q->count++;
    q->items[i] = *w;
    while (i > 0 && before(&q->items[i], &q->items[(i - 1) / 2])) {
        swap(&q->items[i], &q->items[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

const struct jade_waiting *jade_queue_top(const struct jade_queue *q)
{
    return q->count ? &q->items[0] : NULL;
}

static void sift_down(struct jade_queue *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->count && before(&q->items[l], &q->items[m])) m = l;
        if (r < q->count && before(&q->items[r], &q->items[m])) m = r;
        if (m == i) break;
        swap(&q->items[i], &q->items[m]);
        i = m;
    }
}

int jade_queue_pop(struct jade_queue *q, struct jade_waiting *out)
{
    if (!q->count) return -1;
    *out = q->items[0];
    q->items[0] = q->items[--q->count];
    sift_down(q, 0);
    return 0;
}

static int key_in(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

size_t jade_queue_remove(struct jade_queue *q, const char *const *keys, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < q->count; i++)
        if (!bsearch(q->items[i].key, keys, n, sizeof *keys, key_in))
            q->items[kept++] = q->items[i];
    size_t removed = q->count - kept;
    q->count = kept;
    for (size_t i = kept / 2; removed && i-- > 0;) sift_down(q, i);
    return removed;
}

void jade_queue_free(struct jade_queue *q)
{
    free(q->items);
    memset(q, 0, sizeof *q);
}
