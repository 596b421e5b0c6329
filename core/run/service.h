/* service.h - `jade run`: the libuv service that publishes the plan.
 *
 * At start it loads the content, plans [now - catch-up, now + horizon),
 * reconciles the ledger with that plan, and recovers what a crash left in
 * `sending`. Then one timer for the earliest ready occurrence: due ones go
 * out through their network's plugin (host.c), as many at a time per
 * channel as its concurrency allows, within the plugin's declared rate;
 * every state change goes through the group-commit writer (writer.c), and
 * the core alone decides what follows an outcome (dispatch.c). */
#ifndef JADE_SERVICE_H
#define JADE_SERVICE_H

#include "../util/log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jade_config;

struct jade_service_options {
    const struct jade_config *config;
    bool once;         /* publish what is due, then exit */
    bool simulated;    /* a simulated clock (virtual time, see clock.h): */
    int64_t sim_start; /*   starting at this time */
    double sim_speed;  /*   never running faster than this many times real time */
    int64_t until;     /* stop when the clock reaches it; INT64_MAX: never */
    FILE *progress;    /* a progress line, or NULL */
    uint64_t seed;     /* for the jitter of retries (0: from the clock) */
    bool new_ledger;   /* the operator takes the state folder's ledger as found (ledger.h) */
    enum jade_log_level log_level; /* the log's (util/log.h), on stderr */
    /* a test hook (JADE_TEST_CLOCK_JUMP): the simulated wall time steps by
     * sim_jump_by once it reaches sim_jump_at (clock.h) */
    int64_t sim_jump_at, sim_jump_by;
};

/* How a run ended; the command turns it into an exit status. */
enum jade_service_status {
    JADE_SERVICE_OK,         /* stopped as asked */
    JADE_SERVICE_FAILED,     /* the content or the ledger failed; with --once, a publication */
    JADE_SERVICE_BAD_CONFIG, /* the configuration or the source cannot work */
};

enum jade_service_status jade_service_run(const struct jade_service_options *options);

#endif
