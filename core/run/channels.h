/* channels.h - the channels the service publishes to, and what waits on
 * each.
 *
 * The table follows the adopted content: a reload keeps each channel that
 * stays (its queues, what is in flight, a suspension or a rate-limit wait),
 * adds new ones, and marks removed ones so that nothing more is sent
 * there. A channel is never freed before the service ends, so a request in
 * flight can always point at its own. */
#ifndef JADE_CHANNELS_H
#define JADE_CHANNELS_H

#include "queue.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jade_content;
struct jade_instance;
struct jade_reading;

/* A sent publication of a retracted post, to be removed from its network. */
struct jade_removal {
    char key[33];
    char *campaign, *post, *lang, *network_id;
    int64_t at; /* when it may go: now, or after a backoff */
    int attempts;
};

struct jade_channel {
    char *id;
    const json_t *json; /* its entry in the adopted channels.json */
    char *account_json; /* its "account", as plugins get it; never freed while the service runs */
    struct jade_instance *net;     /* NULL when no plugin serves its network */
    struct jade_queue planned;     /* by due time */
    struct jade_queue retrying;    /* by the time of the next attempt */
    struct jade_queue held;        /* ready, but their campaign is halted (halts.h) */
    struct jade_removal *removals; /* waiting, in no order: they are few */
    size_t n_removals;
    unsigned inflight;
    bool suspended, removed;
    /* A suspension: since when, the network's words, and a hash of the
     * channel's secret then (a different secret on disk lifts it). */
    int64_t suspended_since;
    char *suspended_reason;
    unsigned char secret_print[32];
    bool secret_print_set;
    int64_t blocked_until, last_request;
    /* Follow-up (readings.c): the publications whose next reading of
     * metrics waits, a heap by its time; the one being read (at most
     * one); until when the network made readings wait (a metrics call's
     * Retry-After: publications never wait for it); the last one's start. */
    struct jade_reading **readings;
    size_t n_readings, cap_readings;
    struct jade_reading *reading;
    int64_t readings_held_until, last_reading;
};

struct jade_channels {
    struct jade_channel **items; /* in channels.json's order, then removed ones */
    size_t count;
    json_t *by_id;  /* id -> index in items */
    char **retired; /* accounts a reload replaced, which requests may still point at */
    size_t n_retired;
};

/* Makes the table follow content's channels.json; instances serve them
 * by network name. */
void jade_channels_adopt(struct jade_channels *t, const struct jade_content *content,
                         struct jade_instance *instances, size_t n_instances);
struct jade_channel *jade_channels_find(const struct jade_channels *t, const char *id);
/* Adds a removal unless one for its key waits already. */
void jade_channel_add_removal(struct jade_channel *ch, const struct jade_removal *r);
void jade_removal_clear(struct jade_removal *r);

/* The wall clock jumped by seconds: what waits a span of time (a retry's
 * backoff, a network's Retry-After or rate, a removal's backoff) keeps
 * its span; what waits a time of day (a due time) keeps its time. */
void jade_channels_shift_waits(struct jade_channels *t, int64_t by);

/* Empties every queue (before they are loaded again from the ledger). */
void jade_channels_clear_queues(struct jade_channels *t);
void jade_channels_free(struct jade_channels *t);

#endif
