/* metrics.h - what the service counts while it runs, served as GET
 * /metrics in Prometheus's text exposition format (0.0.4).
 *
 * Counters and histograms live in fixed arrays made at start, one row per
 * plugin instance: an event on the loop costs an increment, never an
 * allocation. Labels carry only closed sets (states, the network's
 * outcomes, the core's decisions) and the plugins' network names, so their
 * number stays bounded whatever the content holds.
 *
 * Occurrences by state are the ledger's: its connection belongs to the
 * writer's worker, so they are read with a read-only connection of their
 * own on the thread pool, at most every JADE_METRICS_READ_EVERY_MS, and a
 * scrape serves the last reading. A scrape costs the loop a few
 * microseconds, however many occurrences wait.
 *
 * Everything here runs on the loop, but the reading itself. */
#ifndef JADE_METRICS_H
#define JADE_METRICS_H

#include "admin.h"
#include "ledger.h"
#include "sync.h"
#include "../jade-plugin.h"
#include "../util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct jade_channels;
struct jade_instance;

/* ---- histograms ----------------------------------------------------------- */

#define JADE_HISTOGRAM_MAX_BOUNDS 16

struct jade_histogram {
    const double *bounds; /* upper bounds (le), increasing, in seconds; static */
    size_t n_bounds;
    uint64_t buckets[JADE_HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket, not cumulative; last: +Inf */
    uint64_t count;
    double sum;
};

/* At most JADE_HISTOGRAM_MAX_BOUNDS bounds (more are ignored). */
void jade_histogram_init(struct jade_histogram *h, const double *bounds, size_t n_bounds);
/* A negative value counts as 0 (a wall clock that went back). */
void jade_histogram_observe(struct jade_histogram *h, double seconds);

/* ---- what is counted ---------------------------------------------------------- */

/* Why a publication did not go out: the network's answer to a request, or
 * the core's decision before any request left. */
enum jade_failure_reason {
    JADE_FAILURE_RETRY_AFTER, /* "retry_after": the network asked to wait */
    JADE_FAILURE_TRANSIENT,   /* "transient" */
    JADE_FAILURE_PERMANENT,   /* "permanent": refused */
    JADE_FAILURE_AUTH,        /* "auth_failed": the channel is suspended */
    JADE_FAILURE_UNKNOWN,     /* "unknown": no answer, may be published */
    JADE_FAILURE_MISSED,      /* "missed": found past catch_up_minutes, not sent */
    JADE_N_FAILURE_REASONS
};

const char *jade_failure_reason_name(enum jade_failure_reason r);

/* Why new content was not adopted. */
enum jade_reload_failure {
    JADE_RELOAD_REFUSED, /* "refused": invalid content, or not signed as required */
    JADE_RELOAD_LEDGER,  /* "ledger": its reconciliation could not be written */
    JADE_N_RELOAD_FAILURES
};

/* How a reading of a publication's metrics ended (readings.c). */
enum jade_reading_outcome {
    JADE_READING_READ,     /* "read": stored */
    JADE_READING_FAILED,   /* "failed": an attempt failed, tried again later */
    JADE_READING_GIVEN_UP, /* "given_up": failed too often, or refused: not taken again */
    JADE_N_READING_OUTCOMES
};

struct jade_metrics_network {
    const char *name; /* the plugin's; borrowed */
    uint64_t publications;
    uint64_t failures[JADE_N_FAILURE_REASONS];
    uint64_t readings[JADE_N_READING_OUTCOMES];
};

/* How often, at most, the ledger is read for the occurrences by state. */
#define JADE_METRICS_READ_EVERY_MS 2000

struct jade_metrics {
    uv_loop_t *loop;
    const char *state_dir; /* borrowed */
    const struct jade_instance *nets;
    struct jade_metrics_network *networks; /* one per instance, in the same order */
    size_t n_networks;
    double started; /* the process's start, seconds since the epoch */
    struct jade_histogram lateness, commits, fetches, reloads;
    uint64_t fetch_failures;
    uint64_t reload_failures[JADE_N_RELOAD_FAILURES];
    /* occurrences by state, as last read from the ledger */
    bool have_occurrences;
    uint64_t occurrences[JADE_N_STATES];
    /* the reading: its fields are the worker's while reading is true */
    bool reading, read_failed;
    uint64_t read_ns; /* when the last reading started (uv_hrtime), 0: never */
    uv_work_t read_work;
    struct jade_ledger *reader;
    size_t counted[JADE_N_STATES];
    int read_rc;
    struct jade_buf read_err;
};

/* Ready to count, for the plugin instances nets[0..n) (names borrowed);
 * the ledger of state_dir is read on loop's thread pool. */
void jade_metrics_init(struct jade_metrics *m, uv_loop_t *loop, const char *state_dir,
                       const struct jade_instance *nets, size_t n);
/* Once nothing is being read (the loop has run out). */
void jade_metrics_free(struct jade_metrics *m);

/* A network answered a publication (or a lookup) on net. */
void jade_metrics_answered(struct jade_metrics *m, const struct jade_instance *net,
                           enum jade_outcome outcome);
/* The core settled an occurrence on net without a request (dispatch.h):
 * counted when it was missed. */
void jade_metrics_settled(struct jade_metrics *m, const struct jade_instance *net,
                          enum jade_state state);
/* A reading of a publication's metrics on net ended so. */
void jade_metrics_reading(struct jade_metrics *m, const struct jade_instance *net,
                          enum jade_reading_outcome outcome);
/* A publication's request leaves, late seconds after its due time: the
 * first attempt's lateness is observed (a retry is late by design). */
void jade_metrics_leaving(struct jade_metrics *m, uint32_t attempt, double late);
/* A sync cycle ended (sync.h): how long its fetch took, and whether it
 * failed or its tip was refused. */
void jade_metrics_synced(struct jade_metrics *m, enum jade_sync_outcome outcome, double fetch_ms);
/* A reload was written (ok) or not; seconds it took to load, plan and
 * record. */
void jade_metrics_reloaded(struct jade_metrics *m, bool ok, double seconds);

/* Reads the ledger's counts on the thread pool, unless a reading runs or
 * the last one is younger than JADE_METRICS_READ_EVERY_MS. */
void jade_metrics_read_ledger(struct jade_metrics *m);

/* What the service knows at the time of a scrape. */
struct jade_metrics_live {
    size_t suspended;               /* channels suspended */
    size_t inflight;                /* requests in flight */
    const struct jade_halts *halts; /* what operators halted (halts.h), or NULL */
};

/* The exposition, appended to out. */
void jade_metrics_render(const struct jade_metrics *m, const struct jade_metrics_live *live,
                         struct jade_buf *out);

/* GET and HEAD /metrics (405 otherwise): the rendering of m, with the
 * channels' suspensions; starts a reading of the ledger when the last one
 * is old. */
void jade_metrics_serve(struct jade_metrics *m, const struct jade_channels *channels,
                        size_t inflight, const struct jade_halts *halts,
                        const struct jade_admin_request *req, struct jade_admin_response *res);

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped; bytes that are not UTF-8 replaced by U+FFFD. */
void jade_metrics_escape_label(struct jade_buf *out, const char *value);

#endif
