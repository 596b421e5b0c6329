/* calls.c - the plugins' calls in flight (see calls.h). */
#include "calls.h"

#include "../jade-plugin.h"

#include "../util/buf.h"

#include <stdlib.h>

struct jade_call {
    uintptr_t token;
    void *data;
    uv_timer_t deadline;
    struct jade_calls *calls;
};

void jade_calls_init(struct jade_calls *c, uv_loop_t *loop, jade_call_expired_fn expired)
{
    *c = (struct jade_calls){.loop = loop, .expired = expired};
}

static void call_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

/* Out of the table (a swap with the last: calls in flight are few, a
 * search is a short scan); its timer closed. */
static void forget(struct jade_calls *c, size_t i)
{
    struct jade_call *call = c->live[i];
    c->live[i] = c->live[--c->count];
    uv_timer_stop(&call->deadline);
    uv_close((uv_handle_t *)&call->deadline, call_closed_cb);
}

static size_t find(const struct jade_calls *c, uintptr_t token)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->live[i]->token == token) return i;
    return SIZE_MAX;
}

static void deadline_cb(uv_timer_t *t)
{
    struct jade_call *call = t->data;
    struct jade_calls *c = call->calls;
    void *data = call->data;
    forget(c, find(c, call->token));
    c->expired(data);
}

void *jade_calls_start(struct jade_calls *c, void *data, unsigned tag, uint32_t seconds)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->live = jade_xrealloc(c->live, c->cap * sizeof *c->live);
    }
    struct jade_call *call = jade_xcalloc(1, sizeof *call);
    /* A number never reused (64 bits do not run out), the tag below it;
     * never 0, so never NULL. */
    call->token = (uintptr_t)(++c->last * JADE_CALL_TAGS + tag % JADE_CALL_TAGS);
    call->data = data;
    call->calls = c;
    uv_timer_init(c->loop, &call->deadline);
    call->deadline.data = call;
    uv_timer_start(&call->deadline, deadline_cb, (uint64_t)seconds * 1000, 0);
    c->live[c->count++] = call;
    return (void *)call->token;
}

void *jade_calls_end(struct jade_calls *c, void *token)
{
    size_t i = find(c, (uintptr_t)token);
    if (i == SIZE_MAX) return NULL;
    void *data = c->live[i]->data;
    forget(c, i);
    return data;
}

unsigned jade_calls_tag(const void *token)
{
    return (unsigned)((uintptr_t)token % JADE_CALL_TAGS);
}

void jade_calls_drop(struct jade_calls *c, void (*drop)(void *data))
{
    while (c->count) {
        void *data = c->live[c->count - 1]->data;
        forget(c, c->count - 1);
        if (drop) drop(data);
    }
    free(c->live);
    c->live = NULL;
    c->cap = 0;
}

size_t jade_calls_count(const struct jade_calls *c)
{
    return c->count;
}

uint32_t jade_calls_deadline(const struct jade_plugin *p)
{
    return p->deadline_seconds ? p->deadline_seconds : 300;
}
