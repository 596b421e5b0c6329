/* calls.h - the plugins' calls in flight (publish, lookup, remove).
 *
 * Each call goes to the plugin under a token that is a number (a call
 * number, with a small tag the caller chooses), never a pointer the core
 * frees: a done for a call that is over (answered already, or past its
 * deadline) finds nothing here, and is ignored rather than a use after
 * free. Each call has a deadline on the real clock (a uv timer). */
#ifndef JADE_CALLS_H
#define JADE_CALLS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The deadline of a call passed: the call is over (a done for it now
 * finds nothing); data is the caller's, as given to jade_calls_start. */
typedef void (*jade_call_expired_fn)(void *data);

struct jade_call;

struct jade_calls {
    uv_loop_t *loop;
    jade_call_expired_fn expired;
    uint64_t last; /* the last call's number */
    struct jade_call **live;
    size_t count, cap;
};

/* The tag a token carries: at most this many values. */
#define JADE_CALL_TAGS 0x10000u

void jade_calls_init(struct jade_calls *c, uv_loop_t *loop, jade_call_expired_fn expired);

struct jade_plugin;
/* A plugin's deadline for each call, in seconds: its deadline_seconds, or
 * 300 when it names none. */
uint32_t jade_calls_deadline(const struct jade_plugin *p);
/* A new call for data, tagged tag (< JADE_CALL_TAGS), over after seconds
 * of real time unless it ends first; returns its token. */
void *jade_calls_start(struct jade_calls *c, void *data, unsigned tag, uint32_t seconds);
/* Ends the call token names and returns its data; NULL when there is no
 * such call (over, or never started). */
void *jade_calls_end(struct jade_calls *c, void *token);
/* The tag a token carries, whether its call is over or not. */
unsigned jade_calls_tag(const void *token);
/* Ends every call, passing each one's data to drop (which may be NULL);
 * their timers are closed (run the loop to let that happen). */
void jade_calls_drop(struct jade_calls *c, void (*drop)(void *data));
size_t jade_calls_count(const struct jade_calls *c);

#endif
