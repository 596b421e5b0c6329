/* test-dispatch.c - the core's decisions: what happens to an occurrence
 * that is ready, and what follows each outcome a plugin reports. */
#include "test.h"

#include "run/dispatch.h"

#include <stdint.h>

static const struct jade_retry_policy retry = {30, 1800, 3};

static struct jade_ready ready_at(int attempts, int64_t due, int64_t now)
{
    return (struct jade_ready){.in_plan = true,
                               .before_plan = false,
                               .has_plugin = true,
                               .attempts = attempts,
                               .due = due,
                               .now = now,
                               .catch_up_seconds = 3600};
}

/* A first attempt found more than catch_up late (an outage) is missed; at
 * the bound it still goes. */
static void a_late_first_attempt_is_missed(void)
{
    const char *why = "unset";
    struct jade_ready r = ready_at(0, 1000, 1000 + 3600);
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_SENDING);
    CHECK(why == NULL);
    r = ready_at(0, 1000, 1000 + 3601);
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_CONTAINS(why, "catch_up_minutes");
}

/* One bound for every cause: a retry found past the catch-up is missed
 * like a first attempt (it was put off within the bound, so something
 * else held it: an outage, or the network's wait on its channel). */
static void a_late_retry_is_missed_too(void)
{
    const char *why;
    struct jade_ready r = ready_at(2, 1000, 1000 + 3600);
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_SENDING);
    r = ready_at(2, 1000, 1000 + 3601);
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_CONTAINS(why, "the service was down");
    r.held = true;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_CONTAINS(why, "rate limit ran past catch_up_minutes");
    r = ready_at(0, 1000, 1000 + 3601);
    r.held = true;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_CONTAINS(why, "rate limit ran past catch_up_minutes");
}

/* What the plan no longer holds: missed when it is before the plan's
 * range (the service was down), cancelled inside it (content removed). */
static void what_left_the_plan_is_missed_or_cancelled(void)
{
    const char *why;
    struct jade_ready r = ready_at(0, 1000, 1000);
    r.in_plan = false;
    r.before_plan = true;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    r.before_plan = false;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_CANCELLED);
    CHECK_CONTAINS(why, "no longer in the content");
}

/* Kept by an operator's halt, since lifted: the halt is the reason. */
static void a_halt_is_the_reason(void)
{
    const char *why;
    struct jade_ready r = ready_at(0, 1000, 1000);
    r.now = r.due + r.catch_up_seconds + 1;
    r.halted = true;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_CONTAINS(why, "halted by an operator");
    r.now = r.due + r.catch_up_seconds;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_SENDING);
}

static void no_plugin_fails(void)
{
    const char *why;
    struct jade_ready r = ready_at(0, 1000, 1000);
    r.has_plugin = false;
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_FAILED);
    CHECK_CONTAINS(why, "no plugin");
}

/* What follows an outcome answered at 5000, for an occurrence whose
 * attempts may start until deadline. */
static struct jade_decision decide_by(enum jade_outcome outcome, bool lookup, int attempt,
                                      const char *message, int64_t deadline)
{
    struct jade_result res = {.struct_size = sizeof res,
                              .outcome = outcome,
                              .network_id = "n1",
                              .retry_after_seconds = 120,
                              .message = message};
    uint64_t rng = 99;
    struct jade_decision d;
    jade_decide_outcome(&res, lookup, attempt, 5000, deadline, &retry, &rng, &d);
    return d;
}

static struct jade_decision decide(enum jade_outcome outcome, bool lookup, int attempt,
                                   const char *message)
{
    return decide_by(outcome, lookup, attempt, message, INT64_MAX);
}

static void sent_is_settled(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_SENT, false, 1, NULL);
    CHECK_INT_EQ(d.state, JADE_SENT);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    CHECK(!d.suspend && d.blocked_until == 0 && d.error == NULL);
}

/* The network said when: nothing goes to the channel before then. */
static void retry_after_blocks_the_channel_exactly(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_RETRY_AFTER, false, 1, "slow down");
    CHECK_INT_EQ(d.state, JADE_RETRYING);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_RETRYING);
    CHECK_INT_EQ(d.next_attempt, 5120);
    CHECK_INT_EQ(d.blocked_until, 5120);
    CHECK_STR_EQ(d.error, "slow down");
}

/* "Again at once" is not taken at its word: our backoff, a second at least. */
static void retry_after_zero_waits_a_backoff(void)
{
    struct jade_result res = {
        .struct_size = sizeof res, .outcome = JADE_OUTCOME_RETRY_AFTER, .retry_after_seconds = 0};
    for (uint64_t seed = 1; seed < 200; seed++) {
        uint64_t rng = seed;
        struct jade_decision d;
        jade_decide_outcome(&res, false, 3, 5000, INT64_MAX, &retry, &rng, &d);
        CHECK(d.next_attempt >= 5001 && d.blocked_until == d.next_attempt);
        CHECK(d.next_attempt <= 5000 + (int64_t)retry.base_seconds * 4);
    }
}

/* A transient failure waits a jittered backoff, up to max_attempts; then
 * it has failed for good. */
static void transient_backs_off_then_fails(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_TRANSIENT, false, 1, "503");
    CHECK_INT_EQ(d.state, JADE_RETRYING);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_RETRYING);
    CHECK(d.next_attempt >= 5000 && d.next_attempt <= 5030);
    CHECK_INT_EQ(d.blocked_until, 0);
    d = decide(JADE_OUTCOME_TRANSIENT, false, 3, "503");
    CHECK_INT_EQ(d.state, JADE_FAILED);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    CHECK_STR_EQ(d.error, "503");
    d = decide(JADE_OUTCOME_TRANSIENT, false, 3, NULL);
    CHECK_CONTAINS(d.error, "out of attempts");
}

/* The catch-up bounds retries too: one whose next attempt still falls
 * within it is retried; one that would fall past it (a long backoff, a
 * Retry-After beyond it) is missed at once, saying why; the channel still
 * waits as the network asked. */
static void a_retry_past_the_catch_up_is_missed_with_its_cause(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_TRANSIENT, false, 2, "503");
    int64_t next = d.next_attempt; /* the same draw each time: rng starts at 99 */
    CHECK(next > 5000 && next <= 5060);
    d = decide_by(JADE_OUTCOME_TRANSIENT, false, 2, "503", next);
    CHECK_INT_EQ(d.state, JADE_RETRYING);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_RETRYING);
    CHECK_INT_EQ(d.next_attempt, next);
    d = decide_by(JADE_OUTCOME_TRANSIENT, false, 2, "503", next - 1);
    CHECK_INT_EQ(d.state, JADE_MISSED);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    CHECK_STR_EQ(d.error, "retries ran past catch_up_minutes");
    /* Retry-After 120, answered at 5000: 5120 is within a deadline there */
    d = decide_by(JADE_OUTCOME_RETRY_AFTER, false, 1, "slow down", 5120);
    CHECK_INT_EQ(d.state, JADE_RETRYING);
    CHECK_INT_EQ(d.next_attempt, 5120);
    d = decide_by(JADE_OUTCOME_RETRY_AFTER, false, 1, "slow down", 5119);
    CHECK_INT_EQ(d.state, JADE_MISSED);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    CHECK_STR_EQ(d.error, "the network's rate limit ran past catch_up_minutes");
    CHECK_INT_EQ(d.blocked_until, 5120);
    /* what settles anyway is not touched by the deadline */
    d = decide_by(JADE_OUTCOME_TRANSIENT, false, 3, "503", 0);
    CHECK_INT_EQ(d.state, JADE_FAILED);
    d = decide_by(JADE_OUTCOME_SENT, false, 1, NULL, 0);
    CHECK_INT_EQ(d.state, JADE_SENT);
}

/* A lookup after a crash that fails cannot tell: uncertain, never resent. */
static void a_failed_lookup_stays_uncertain(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_TRANSIENT, true, 1, NULL);
    CHECK_INT_EQ(d.state, JADE_UNCERTAIN);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    d = decide(JADE_OUTCOME_NOT_FOUND, true, 1, NULL);
    CHECK_INT_EQ(d.state, JADE_PLANNED);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_PLANNED);
}

/* Refused credentials: the channel stops, the occurrence waits as planned
 * with the network's words. */
static void auth_failure_suspends_and_keeps_it_planned(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_AUTH_FAILED, false, 1, "bad token");
    CHECK_INT_EQ(d.state, JADE_PLANNED);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_PLANNED);
    CHECK(d.suspend);
    CHECK_STR_EQ(d.error, "bad token");
}

static void unknown_is_uncertain_and_permanent_fails(void)
{
    struct jade_decision d = decide(JADE_OUTCOME_UNKNOWN, false, 1, NULL);
    CHECK_INT_EQ(d.state, JADE_UNCERTAIN);
    CHECK_INT_EQ(d.requeue, JADE_REQUEUE_NONE);
    CHECK_CONTAINS(d.error, "may have been published");
    d = decide(JADE_OUTCOME_PERMANENT, false, 1, "text too long");
    CHECK_INT_EQ(d.state, JADE_FAILED);
    CHECK_STR_EQ(d.error, "text too long");
    CHECK(!d.suspend);
}

static void backoff_is_full_jitter_under_a_doubling_cap(void)
{
    uint64_t rng = 12345;
    int64_t max_seen[6] = {0};
    for (int i = 0; i < 2000; i++) {
        for (int attempt = 1; attempt <= 5; attempt++) {
            int64_t d = jade_backoff(attempt, 30, 1800, &rng);
            int64_t cap = 30LL << (attempt - 1);
            if (d < 0 || d > cap) {
                printf("# attempt %d gave %lld, cap %lld\n", attempt, (long long)d, (long long)cap);
                test_current_failed = 1;
            }
            if (d > max_seen[attempt]) max_seen[attempt] = d;
        }
    }
    /* Spread over the whole range: the largest draws come near the cap. */
    CHECK(max_seen[1] >= 27 && max_seen[5] >= 430);
    for (int i = 0; i < 1000; i++) CHECK(jade_backoff(20, 30, 1800, &rng) <= 1800);
}

int main(void)
{
    RUN(a_late_first_attempt_is_missed);
    RUN(a_late_retry_is_missed_too);
    RUN(what_left_the_plan_is_missed_or_cancelled);
    RUN(no_plugin_fails);
    RUN(sent_is_settled);
    RUN(retry_after_blocks_the_channel_exactly);
    RUN(retry_after_zero_waits_a_backoff);
    RUN(a_halt_is_the_reason);
    RUN(transient_backs_off_then_fails);
    RUN(a_retry_past_the_catch_up_is_missed_with_its_cause);
    RUN(a_failed_lookup_stays_uncertain);
    RUN(auth_failure_suspends_and_keeps_it_planned);
    RUN(unknown_is_uncertain_and_permanent_fails);
    RUN(backoff_is_full_jitter_under_a_doubling_cap);
    return test_done();
}
