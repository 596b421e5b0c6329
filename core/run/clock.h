/* clock.h - the service's clock: real, or simulated for demos and tests.
 *
 * A simulated clock is virtual time: it stands still while the service
 * works, and the service moves it to its next event only once nothing is
 * ready and nothing is in flight, waiting (next - now) / speed of real
 * time first, so it never runs faster than the given speed. A demo or a
 * test then gives the same result on a loaded machine as on an idle one:
 * a slow machine takes longer, it does not make posts late. */
#ifndef JADE_CLOCK_H
#define JADE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct jade_clock {
    bool simulated;
    double speed;    /* simulated: how many times faster than real time */
    int64_t sim_now; /* simulated: the time it shows */
};

void jade_clock_init_real(struct jade_clock *c);
/* The fastest a simulated clock runs: a simulated day in under 0.1 s.
 * Faster (inf, 1e308) overflowed the delays computed from it. */
#define JADE_CLOCK_SPEED_MAX 1e6

void jade_clock_init_simulated(struct jade_clock *c, int64_t start, double speed);

/* Seconds since the epoch. */
int64_t jade_clock_now(const struct jade_clock *c);

/* Real milliseconds to wait before the clock may show t: 0 when it is
 * past; for a simulated clock the time the given speed needs. */
uint64_t jade_clock_delay_ms(const struct jade_clock *c, int64_t t);

/* A simulated clock shows t from now on (never earlier than it showed);
 * a real clock ignores it. */
void jade_clock_advance(struct jade_clock *c, int64_t t);

#endif
