/* clock.c - real and simulated time (see clock.h). */
#include "clock.h"

#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <stdio.h>
#include <time.h>

#define MAX_DELAY_MS 86400000.0 /* wake at least daily: timers need no longer */

static double read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The real clock with its fraction of a second: what timers are set from. */
static double real_now(void)
{
    return read_clock(CLOCK_REALTIME);
}

/* The wall clock, and the time that passed (which a jump leaves alone). */
static void read_both(const struct jade_clock *c, double *wall, double *passed)
{
    if (c->simulated) {
        *wall = (double)c->sim_now;
        *passed = (double)c->sim_elapsed;
    } else {
        *wall = real_now();
        *passed = read_clock(CLOCK_BOOTTIME); /* runs on through a suspend */
    }
}

void jade_clock_init_real(struct jade_clock *c)
{
    *c = (struct jade_clock){.simulated = false, .speed = 1.0};
    read_both(c, &c->seen_wall, &c->seen_elapsed);
}

void jade_clock_init_simulated(struct jade_clock *c, int64_t start, double speed)
{
    *c = (struct jade_clock){.simulated = true, .speed = speed > 0 ? speed : 1.0, .sim_now = start};
    read_both(c, &c->seen_wall, &c->seen_elapsed);
}

int64_t jade_clock_now(const struct jade_clock *c)
{
    return c->simulated ? c->sim_now : (int64_t)real_now();
}

double jade_clock_now_exact(const struct jade_clock *c)
{
    return c->simulated ? (double)c->sim_now : real_now();
}

uint64_t jade_clock_delay_ms(const struct jade_clock *c, int64_t t)
{
    double ahead = (double)t - (c->simulated ? (double)c->sim_now : real_now());
    if (ahead <= 0) return 0;
    double ms = ahead * 1000.0 / c->speed;
    double most = c->simulated ? MAX_DELAY_MS : JADE_CLOCK_CHECK_MS;
    return ms > most ? (uint64_t)most : (uint64_t)(ms + 0.999);
}

void jade_clock_advance(struct jade_clock *c, int64_t t)
{
    if (!c->simulated || t <= c->sim_now) return;
    c->sim_elapsed += t - c->sim_now;
    c->sim_now = t;
    if (c->jump_by && c->sim_now >= c->jump_at) {
        c->sim_now += c->jump_by;
        c->jump_by = 0;
    }
}

void jade_clock_schedule_jump(struct jade_clock *c, int64_t at, int64_t by)
{
    c->jump_at = at;
    c->jump_by = by;
}

bool jade_clock_check(struct jade_clock *c, struct jade_clock_jump *jump)
{
    double wall, passed;
    read_both(c, &wall, &passed);
    double by = (wall - c->seen_wall) - (passed - c->seen_elapsed);
    int64_t from = (int64_t)c->seen_wall;
    c->seen_wall = wall;
    c->seen_elapsed = passed;
    if (by > -JADE_CLOCK_JUMP_MIN && by < JADE_CLOCK_JUMP_MIN) return false;
    *jump = (struct jade_clock_jump){from, (int64_t)wall, (int64_t)(by < 0 ? by - 0.5 : by + 0.5)};
    if (jump->by > 0) {
        if (c->n_jumps == JADE_CLOCK_JUMPS_KEPT) {
            for (size_t i = 1; i < c->n_jumps; i++) c->jumps[i - 1] = c->jumps[i];
            c->n_jumps--;
        }
        c->jumps[c->n_jumps++] = *jump;
    }
    return true;
}

int64_t jade_clock_jumped_since(const struct jade_clock *c, int64_t t, struct jade_clock_jump *last)
{
    int64_t by = 0;
    for (size_t i = 0; i < c->n_jumps; i++) {
        if (c->jumps[i].to < t) continue; /* over before it was due */
        by += c->jumps[i].by;
        *last = c->jumps[i];
    }
    return by;
}

void jade_clock_describe_jump(const struct jade_clock_jump *jump, char *out, size_t size)
{
    long long s = jump->by < 0 ? -(long long)jump->by : (long long)jump->by;
    char span[48], from[32], to[32];
    if (s >= 3600)
        snprintf(span, sizeof span, _("%lld h %02lld min"), s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(span, sizeof span, _("%lld min %02lld s"), s / 60, s % 60);
    else
        snprintf(span, sizeof span, _("%lld s"), s);
    jade_format_utc(jump->from, from);
    jade_format_utc(jump->to, to);
    snprintf(out, size,
             jump->by > 0 ? _("the wall clock jumped forward by %s while the service ran (from %s "
                              "to %s)")
                          : _("the wall clock went back by %s while the service ran (from %s to "
                              "%s)"),
             span, from, to);
}
