/* clock.c - real and simulated time (see clock.h). */
#include "clock.h"

#include <time.h>

#define MAX_DELAY_MS 86400000.0 /* wake at least daily: timers need no longer */

void jade_clock_init_real(struct jade_clock *c)
{
    *c = (struct jade_clock){.simulated = false, .speed = 1.0};
}

void jade_clock_init_simulated(struct jade_clock *c, int64_t start, double speed)
{
    *c = (struct jade_clock){.simulated = true, .speed = speed > 0 ? speed : 1.0, .sim_now = start};
}

/* The real clock with its fraction of a second: what timers are set from. */
static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t jade_clock_now(const struct jade_clock *c)
{
    return c->simulated ? c->sim_now : (int64_t)real_now();
}

uint64_t jade_clock_delay_ms(const struct jade_clock *c, int64_t t)
{
    double ahead = (double)t - (c->simulated ? (double)c->sim_now : real_now());
    if (ahead <= 0) return 0;
    double ms = ahead * 1000.0 / c->speed;
    return ms > MAX_DELAY_MS ? (uint64_t)MAX_DELAY_MS : (uint64_t)(ms + 0.999);
}

void jade_clock_advance(struct jade_clock *c, int64_t t)
{
    if (c->simulated && t > c->sim_now) c->sim_now = t;
}
