/* test-clock.c - the clock: how long the service sleeps, jumps of the wall
 * clock told from time passing (through the simulated clock's test hook),
 * and the reason an occurrence such a jump made late is given. */
#include "test.h"

#include "run/clock.h"
#include "run/dispatch.h"

#include <stdint.h>

#define T0 1796198400 /* 2026-12-02T08:00:00Z */

/* A real clock's service wakes every few seconds, however far its next
 * event: a jump of the wall clock is seen within them. */
static void a_real_clock_is_checked_every_few_seconds(void)
{
    struct jade_clock c;
    jade_clock_init_real(&c);
    int64_t now = jade_clock_now(&c);
    CHECK_INT_EQ(jade_clock_delay_ms(&c, now + 86400), JADE_CLOCK_CHECK_MS);
    CHECK(jade_clock_delay_ms(&c, now - 10) == 0);
    struct jade_clock_jump j;
    CHECK(!jade_clock_check(&c, &j)); /* no jump since the start */
    /* a simulated one sleeps as long as its next event needs */
    jade_clock_init_simulated(&c, T0, 60);
    CHECK_INT_EQ(jade_clock_delay_ms(&c, T0 + 3600), 60000);
}

/* The wall clock stepping forward while the time passed does not: seen
 * once, from the last check to the first after it, and kept. */
static void a_forward_jump_is_seen_once_and_kept(void)
{
    struct jade_clock c;
    jade_clock_init_simulated(&c, T0, 60);
    jade_clock_schedule_jump(&c, T0 + 35 * 60, 7200);
    struct jade_clock_jump j;
    jade_clock_advance(&c, T0 + 30 * 60);
    CHECK(!jade_clock_check(&c, &j)); /* time passing is no jump */
    jade_clock_advance(&c, T0 + 40 * 60);
    CHECK_INT_EQ(jade_clock_now(&c), T0 + 40 * 60 + 7200);
    CHECK(jade_clock_check(&c, &j));
    CHECK_INT_EQ(j.from, T0 + 30 * 60);
    CHECK_INT_EQ(j.to, T0 + 40 * 60 + 7200);
    CHECK_INT_EQ(j.by, 7200);
    CHECK(!jade_clock_check(&c, &j)); /* seen once */
    /* it moved what waited when it ended, not what fell due after */
    struct jade_clock_jump last = {0};
    CHECK_INT_EQ(jade_clock_jumped_since(&c, T0, &last), 7200);
    CHECK_INT_EQ(last.to, T0 + 40 * 60 + 7200);
    CHECK_INT_EQ(jade_clock_jumped_since(&c, T0 + 40 * 60 + 7200, &last), 7200);
    CHECK_INT_EQ(jade_clock_jumped_since(&c, T0 + 40 * 60 + 7201, &last), 0);
    char said[192];
    jade_clock_describe_jump(&j, said, sizeof said);
    CHECK_STR_EQ(said, "the wall clock jumped forward by 2 h 00 min while the service ran (from "
                       "2026-12-02T08:30:00Z to 2026-12-02T10:40:00Z)");
}

/* Back: seen and said, but not kept (it makes nothing late); a step under
 * JADE_CLOCK_JUMP_MIN is no jump; the last JADE_CLOCK_JUMPS_KEPT forward
 * ones are kept. */
static void backward_small_and_many_jumps(void)
{
    struct jade_clock c;
    jade_clock_init_simulated(&c, T0, 60);
    jade_clock_schedule_jump(&c, T0 + 60, -45);
    jade_clock_advance(&c, T0 + 60);
    struct jade_clock_jump j;
    CHECK(jade_clock_check(&c, &j));
    CHECK_INT_EQ(j.by, -45);
    char said[192];
    jade_clock_describe_jump(&j, said, sizeof said);
    CHECK_STR_EQ(said, "the wall clock went back by 45 s while the service ran (from "
                       "2026-12-02T08:00:00Z to 2026-12-02T08:00:15Z)");
    CHECK_INT_EQ(jade_clock_jumped_since(&c, 0, &j), 0);
    jade_clock_schedule_jump(&c, jade_clock_now(&c) + 10, 1);
    jade_clock_advance(&c, jade_clock_now(&c) + 10);
    CHECK(!jade_clock_check(&c, &j));
    for (int k = 1; k <= JADE_CLOCK_JUMPS_KEPT + 1; k++) {
        jade_clock_schedule_jump(&c, jade_clock_now(&c) + 10, 100 * k);
        jade_clock_advance(&c, jade_clock_now(&c) + 10);
        CHECK(jade_clock_check(&c, &j));
    }
    CHECK_INT_EQ(jade_clock_jumped_since(&c, 0, &j), 200 + 300 + 400 + 500); /* not the first */
    CHECK_INT_EQ(j.by, 500);
}

static struct jade_ready late_at(int64_t due, int64_t now, int64_t jumped)
{
    return (struct jade_ready){.in_plan = true,
                               .has_plugin = true,
                               .due = due,
                               .now = now,
                               .catch_up_seconds = 1800,
                               .clock_jumped = jumped,
                               .clock_jump = jumped ? "the wall clock jumped" : NULL};
}

/* Past the catch-up only because the wall clock jumped forward: missed,
 * with the jump as the reason; late even without it: an outage. */
static void a_jump_is_the_reason_of_what_it_made_late(void)
{
    const char *why;
    struct jade_ready r = late_at(T0, T0 + 7200 + 600, 7200); /* 10 min late but for the jump */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_STR_EQ(why, "the wall clock jumped");
    r = late_at(T0, T0 + 7200 + 1800, 7200); /* at the bound but for it */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_STR_EQ(why, "the wall clock jumped");
    r = late_at(T0, T0 + 7200 + 1801, 7200); /* late anyway */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_STR_EQ(why, "the service was down past catch_up_minutes");
    r = late_at(T0, T0 + 1800, 7200); /* in time: it goes */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_SENDING);
    r = late_at(T0, T0 + 7200 + 600, 7200);
    r.in_plan = false, r.before_plan = true; /* the plan was made again after the jump */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_STR_EQ(why, "the wall clock jumped");
    r = late_at(T0, T0 + 7200, 0); /* no jump: an outage */
    CHECK_INT_EQ(jade_decide_ready(&r, &why), JADE_MISSED);
    CHECK_STR_EQ(why, "the service was down past catch_up_minutes");
}

int main(void)
{
    RUN(a_real_clock_is_checked_every_few_seconds);
    RUN(a_forward_jump_is_seen_once_and_kept);
    RUN(backward_small_and_many_jumps);
    RUN(a_jump_is_the_reason_of_what_it_made_late);
    return test_done();
}
