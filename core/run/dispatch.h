/* dispatch.h - what happens to an occurrence: pure decisions, no I/O.
 *
 * The service asks two questions, and the answers are here so that they
 * can be read and tested on their own:
 * - an occurrence is ready on its channel: send it, or settle it (missed
 *   past the catch-up, cancelled, failed for want of a plugin)?
 * - a plugin answered: which state follows, when is the next attempt,
 *   does the channel wait or stop?
 * The core alone decides these (SPEC §5); plugins only report outcomes. */
#ifndef JADE_DISPATCH_H
#define JADE_DISPATCH_H

#include "ledger.h"
#include "../jade-plugin.h"

#include <stdbool.h>
#include <stdint.h>

struct jade_retry_policy {
    int base_seconds, max_seconds, max_attempts;
};

/* Full jitter: a random delay in [0, min(max, base * 2^(attempt - 1))].
 * rng is the state of a xorshift generator (never 0). */
int64_t jade_backoff(int attempt, int base_seconds, int max_seconds, uint64_t *rng);

/* ---- an occurrence ready on its channel --------------------------------- */

struct jade_ready {
    bool in_plan;     /* the current plan holds its key */
    bool before_plan; /* its due time is before the range the plan covers */
    bool has_plugin;  /* its network's plugin is loaded */
    bool held;        /* the network made its channel wait (Retry-After) past its due time */
    bool halted;      /* an operator's halt kept it (lifted since) */
    int attempts;     /* made so far: 0 for a first attempt */
    int64_t due, now;
    int catch_up_seconds;
    /* How far the wall clock jumped forward while it waited (0: it did
     * not), and that jump for people: late past the catch-up only because
     * of it, the jump is the reason, not an outage. */
    int64_t clock_jumped;
    const char *clock_jump;
};

/* JADE_SENDING when it should go now; else the state that settles it,
 * with *why (static text, for people). Past catch_up_seconds after its due
 * time it is missed, whatever the attempt (SPEC §2: one bound for every
 * cause). */
enum jade_state jade_decide_ready(const struct jade_ready *r, const char **why);

/* ---- a plugin's answer --------------------------------------------------- */

enum jade_requeue {
    JADE_REQUEUE_NONE,     /* settled */
    JADE_REQUEUE_PLANNED,  /* waits again as planned, at its due time */
    JADE_REQUEUE_RETRYING, /* waits for the next attempt, at next_attempt */
};

struct jade_decision {
    enum jade_state state;
    enum jade_requeue requeue;
    int64_t next_attempt;  /* JADE_REQUEUE_RETRYING */
    int64_t blocked_until; /* no request to the channel before; 0: no change */
    bool suspend;          /* the channel stops until its secret changes or an operator resumes */
    const char *error;     /* for the ledger: the network's words or static text; NULL */
};

/* What follows result, for attempt number attempt (a lookup after a crash
 * when lookup is true), answered at now. deadline is the last time an
 * attempt may start (due + catch_up): a retry, or a wait the network asks
 * for, that would end past it is missed at once, with its cause. */
void jade_decide_outcome(const struct jade_result *result, bool lookup, int attempt, int64_t now,
                         int64_t deadline, const struct jade_retry_policy *retry, uint64_t *rng,
                         struct jade_decision *out);

/* ---- a retracted post's publication, removed from its network --------------- */

struct jade_removal_decision {
    bool removed; /* the network no longer shows it: retracted */
    bool again;   /* it waits to be tried again, at next_attempt */
    int64_t next_attempt;
    int64_t blocked_until; /* no request to the channel before; 0: no change */
    bool suspend;          /* credentials refused */
    const char *mark;      /* the removal mark when it settles otherwise ("failed"), or NULL */
    const char *error;     /* the network's words or static text; NULL */
};

/* What follows a plugin's answer to a removal, attempt number attempt. A
 * publication that is not found is as good as removed. */
void jade_decide_removal(const struct jade_result *result, int attempt, int64_t now,
                         const struct jade_retry_policy *retry, uint64_t *rng,
                         struct jade_removal_decision *out);

#endif
