/* clock.h - the service's clock: real, or simulated for demos and tests.
 *
 * A simulated clock is virtual time: it stands still while the service
 * works, and the service moves it to its next event only once nothing is
 * ready and nothing is in flight, waiting (next - now) / speed of real
 * time first, so it never runs faster than the given speed. A demo or a
 * test then gives the same result on a loaded machine as on an idle one:
 * a slow machine takes longer, it does not make posts late.
 *
 * The wall clock can jump while the service runs (an NTP correction on a
 * board without a battery-backed clock): the service checks it on every
 * wake, and wakes at least every JADE_CLOCK_CHECK_MS. A jump is the wall
 * clock moving more or less than the time that passed (CLOCK_BOOTTIME,
 * which a suspend does not stop: a machine asleep is an outage, not a
 * jump). The last forward jumps are kept, so that what they made late is
 * recorded as such, not as an outage. */
#ifndef JADE_CLOCK_H
#define JADE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wall clock went from `from` to `to` while less time passed: by
 * seconds more (by > 0, forward) or less (by < 0, back). */
struct jade_clock_jump {
    int64_t from, to, by;
};

#define JADE_CLOCK_JUMPS_KEPT 4

struct jade_clock {
    bool simulated;
    double speed;        /* simulated: how many times faster than real time */
    int64_t sim_now;     /* simulated: the wall time it shows */
    int64_t sim_elapsed; /* simulated: the time that passed (a jump does not move it) */
    /* simulated, a test hook (JADE_TEST_CLOCK_JUMP): once it shows jump_at
     * or later, the wall time steps by jump_by (0: none) */
    int64_t jump_at, jump_by;
    /* the last check: the wall clock and the time passed, in seconds */
    double seen_wall, seen_elapsed;
    struct jade_clock_jump jumps[JADE_CLOCK_JUMPS_KEPT]; /* the last forward ones, oldest first */
    size_t n_jumps;
};

void jade_clock_init_real(struct jade_clock *c);
/* The fastest a simulated clock runs: a simulated day in under 0.1 s.
 * Faster (inf, 1e308) overflowed the delays computed from it. */
#define JADE_CLOCK_SPEED_MAX 1e6

void jade_clock_init_simulated(struct jade_clock *c, int64_t start, double speed);

/* Seconds since the epoch. */
int64_t jade_clock_now(const struct jade_clock *c);
/* The same with its fraction of a second (a simulated clock has none):
 * for measuring how late something went. */
double jade_clock_now_exact(const struct jade_clock *c);

/* The longest a real clock's service sleeps before it checks the wall
 * clock again. */
#define JADE_CLOCK_CHECK_MS 5000

/* Real milliseconds to wait before the clock may show t: 0 when it is
 * past; for a simulated clock the time the given speed needs; for a real
 * one at most JADE_CLOCK_CHECK_MS. */
uint64_t jade_clock_delay_ms(const struct jade_clock *c, int64_t t);

/* A simulated clock shows t from now on (never earlier than it showed);
 * a real clock ignores it. */
void jade_clock_advance(struct jade_clock *c, int64_t t);

/* A test hook for a simulated clock: once it shows at or later, its wall
 * time steps by seconds (back when negative), as a real clock does when
 * NTP corrects it, while the time that passed does not. */
void jade_clock_schedule_jump(struct jade_clock *c, int64_t at, int64_t by);

/* A step smaller than this is no jump (NTP slews, wake-ups are late). */
#define JADE_CLOCK_JUMP_MIN 2.0

/* Whether the wall clock jumped since the last check (or the start): then
 * *jump says from when to when and by how much, and a forward jump is
 * kept (the last JADE_CLOCK_JUMPS_KEPT). */
bool jade_clock_check(struct jade_clock *c, struct jade_clock_jump *jump);

/* How far the kept forward jumps moved the wall clock while something
 * due at t waited (jumps that ended at t or later), 0 if none; *last is
 * the latest of them. */
int64_t jade_clock_jumped_since(const struct jade_clock *c, int64_t t,
                                struct jade_clock_jump *last);

/* A jump for people: "the wall clock jumped forward by 2 h 00 min while
 * the service ran (from ... to ...)", or "went back by". */
void jade_clock_describe_jump(const struct jade_clock_jump *jump, char *out, size_t size);

#endif
