/* service.h - `jade run`: the libuv service that publishes the plan.
 *
 * At start it loads the content, plans [now - catch-up, now + horizon),
 * reconciles the ledger with that plan, and recovers what a crash left in
 * `sending`. Then one timer for the earliest ready occurrence: due ones go
 * out through their network's plugin, one at a time per channel, within
 * the plugin's declared rate; outcomes are written back in one transaction
 * per loop turn. The core alone decides what follows an outcome: retry with
 * exponential backoff and full jitter, wait as long as the network says,
 * suspend a channel whose credentials are refused, mark uncertain what may
 * have been published. */
#ifndef JADE_SERVICE_H
#define JADE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jade_config;

struct jade_service_options {
    const struct jade_config *config;
    bool once;         /* publish what is due, then exit */
    bool simulated;    /* a simulated clock: */
    int64_t sim_start; /*   starting at this time */
    double sim_speed;  /*   running this many times faster than real time */
    int64_t until;     /* stop when the clock reaches it; INT64_MAX: never */
    FILE *progress;    /* a progress line, or NULL */
    uint64_t seed;     /* for the jitter of retries (0: from the clock) */
};

/* Runs the service; returns the exit status (0, 1 failed, 2 configuration). */
int jade_service_run(const struct jade_service_options *options);

/* Full jitter: a random delay in [0, min(max, base * 2^(attempt - 1))]. */
int64_t jade_backoff(int attempt, int base_seconds, int max_seconds, uint64_t *rng);

#endif
