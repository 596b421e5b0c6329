/* ledger.h - the only owner of durable state: every occurrence's state,
 * and every change of it, in SQLite (WAL) in the state folder.
 *
 * States (SPEC §5): planned -> sending -> sent; or retrying (with the time
 * of the next attempt), failed, uncertain, cancelled, missed, retracted.
 * Writes are grouped: jade_ledger_begin ... jade_ledger_commit around a
 * batch of changes, one fsync for all of them. The ledger is written, not
 * queried, while the service runs: it keeps what waits in memory
 * (queue.h), read back here at start. One thread at a time. */
#ifndef JADE_LEDGER_H
#define JADE_LEDGER_H

#include "halts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jade_buf;
struct jade_plan;

enum jade_state {
    JADE_PLANNED,
    JADE_SENDING,
    JADE_SENT,
    JADE_RETRYING,
    JADE_FAILED,
    JADE_UNCERTAIN,
    JADE_CANCELLED,
    JADE_MISSED,
    JADE_RETRACTED,
    JADE_N_STATES
};

const char *jade_state_name(enum jade_state s);

struct jade_ledger;

/* Opens (creating) <state_dir>/ledger.sqlite, migrating an older schema;
 * refuses one written by a newer jade.
 *
 * Every ledger holds a random id, and the state folder a marker naming
 * the ledger it holds (<state_dir>/ledger.id, written after the ledger,
 * durably). Where the marker names a ledger, one that is missing, empty
 * or another (its id differs) is refused: starting afresh would send
 * again what the lost ledger recorded as sent. new_ledger (the operator's
 * word) takes the ledger as found instead (a new, empty one if it is
 * missing or empty) and the marker names it from then on. A folder
 * without a marker (a first start, or a ledger from a jade without ids)
 * gets one. Whatever new_ledger says, a write-ahead log SQLite would
 * throw away (damaged: what was recorded since the last checkpoint) is
 * refused. Refusals say what to do. */
int jade_ledger_open(const char *state_dir, bool new_ledger, struct jade_ledger **out,
                     struct jade_buf *err);
void jade_ledger_close(struct jade_ledger *l);

/* The ledger's id (32 hex digits). */
const char *jade_ledger_id(const struct jade_ledger *l);
/* What the marker named before new_ledger took this ledger (its id), or
 * NULL. */
const char *jade_ledger_replaced(const struct jade_ledger *l);

/* Why the last operation on the ledger failed, for people: the cause
 * ("the disk is full", "the ledger is read-only ...", "the ledger is
 * corrupt", ...) and SQLite's or the system's words. Valid until the next
 * transaction begins. */
const char *jade_ledger_failure(const struct jade_ledger *l);

/* Opens an existing ledger for reading only (jade history): refuses a
 * state folder that holds none, and creates nothing. */
int jade_ledger_open_readonly(const char *state_dir, struct jade_ledger **out,
                              struct jade_buf *err);

/* For the report's queries (core/report/), which read only: the SQLite
 * connection, and the schema version of the file as it was found. */
struct sqlite3;
struct sqlite3 *jade_ledger_sqlite(struct jade_ledger *l);
int jade_ledger_schema(const struct jade_ledger *l);

int jade_ledger_begin(struct jade_ledger *l);
/* -1 when the commit failed: then nothing of the transaction is on disk. */
int jade_ledger_commit(struct jade_ledger *l);
/* Leaves the transaction without writing anything of it. */
void jade_ledger_rollback(struct jade_ledger *l);

/* Copies the write-ahead log into the database and empties it: after a
 * large reconciliation, so that the first commits of the run do not carry
 * that copy. */
int jade_ledger_checkpoint(struct jade_ledger *l);

struct jade_reconcile_stats {
    size_t inserted, moved, revived, cancelled;
};

/* Why an occurrence left the plan, for the ledger (static text), from its
 * campaign, post and channel; NULL: "no longer in the plan". */
typedef const char *(*jade_cancel_reason_cb)(void *ctx, const char *campaign, const char *post,
                                             const char *channel);

/* The plan the ledger was last reconciled with, in this process: what it
 * had at the same time needs no work, so a reload costs what changed. */
struct jade_reconcile_previous {
    const struct jade_plan *plan;
    const struct jade_plan_index *by_key;
    int64_t from, to; /* the range it covered */
};

/* An occurrence that begins or stops waiting (planned or retrying) in a
 * reconciliation: what the service's queues follow. */
struct jade_waiting_change {
    char key[33];
    char *channel;
    int64_t due;  /* when it waits: planned at due */
    int attempts; /* when it waits */
    bool waits;   /* new, moved or back in the plan; else cancelled */
};

struct jade_waiting_changes {
    struct jade_waiting_change *items;
    size_t count, cap;
};

void jade_waiting_changes_clear(struct jade_waiting_changes *changes);

/* Makes the ledger agree with a plan of [from, to): new keys are inserted
 * as planned; planned ones whose due time moved follow it; cancelled ones
 * back in the plan are planned again (a campaign resumed, a post
 * restored); planned or retrying ones in the range that the plan no longer
 * has are cancelled, with reason(ctx, ...) when reason is not NULL.
 * Nothing else is touched: what was sent stays sent, what is being sent
 * is left alone. Rows record the commit of their occurrence's campaign,
 * else commit. by_key is the plan's index (jade_plan_index_build), or
 * NULL. previous (or NULL) is the plan it was last reconciled with. What
 * changed among the occurrences that wait is added to changes (when not
 * NULL). One transaction (or part of the caller's). */
int jade_ledger_reconcile(struct jade_ledger *l, const struct jade_plan *plan,
                          const struct jade_plan_index *by_key, int64_t from, int64_t to,
                          const char *commit, int64_t now, jade_cancel_reason_cb reason,
                          void *reason_ctx, const struct jade_reconcile_previous *previous,
                          struct jade_waiting_changes *changes, struct jade_reconcile_stats *stats);

/* The service adopted a content: its root commit, the campaigns kept at
 * an older commit ("dir@commit", NULL-terminated list or NULL), and who
 * signed it. */
int jade_ledger_record_adoption(struct jade_ledger *l, const char *commit, const char *signer,
                                const char *const *kept, int64_t now);
/* The last adoption's commit and its kept campaigns, space-separated
 * (each malloc'd, NULL if none). */
int jade_ledger_last_adoption(struct jade_ledger *l, char **commit, char **kept);

/* One row, as read back. Strings belong to the ledger and are valid until
 * the callback returns. */
struct jade_ledger_row {
    const char *key, *campaign, *post, *channel, *network, *lang;
    int64_t due, next_attempt, updated;
    int64_t created; /* when the plan first brought it */
    enum jade_state state;
    int attempts;
    const char *network_id, *url, *error, *commit;
    const char *signer;  /* who signed the commit it was sent from, or NULL */
    const char *removal; /* a retracted post's: "pending", "by hand", or NULL */
};

typedef void (*jade_ledger_row_cb)(void *ctx, const struct jade_ledger_row *row);

/* Rows in a state, by due time. */
int jade_ledger_in_state(struct jade_ledger *l, enum jade_state state, jade_ledger_row_cb cb,
                         void *ctx);
/* The sent occurrences of a retracted post (and the uncertain ones: they
 * may be out there) are to be removed from their networks: marked
 * "pending" (adds how many to *marked). */
int jade_ledger_mark_for_removal(struct jade_ledger *l, const char *campaign, const char *post,
                                 int64_t now, size_t *marked);
/* The occurrences whose removal is pending. */
int jade_ledger_to_remove(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx);
/* The sent occurrences of retracted posts that people must remove by hand
 * (removal "by hand", or "failed": the network would not): a full scan,
 * read once, at start. */
int jade_ledger_by_hand(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx);

/* Every row, by due time then key. */
int jade_ledger_all(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx);

/* Which rows to read (jade history): all the conditions set hold. */
struct jade_ledger_filter {
    unsigned states;                /* 1u << state for each state wanted; 0: any */
    const char *campaign, *channel; /* NULL: any */
    int64_t from, to;               /* due in [from, to) */
    const char *key_prefix;         /* a key or its first characters; NULL: any */
};
#define JADE_LEDGER_FILTER_ANY ((struct jade_ledger_filter){.from = INT64_MIN, .to = INT64_MAX})

/* The rows f selects, by due time then key. */
int jade_ledger_select(struct jade_ledger *l, const struct jade_ledger_filter *f,
                       jade_ledger_row_cb cb, void *ctx);

/* A change of an occurrence, as the events table keeps it. Strings belong
 * to the ledger and are valid until the callback returns. */
struct jade_ledger_event {
    const char *key;
    int64_t at;
    const char *state;  /* a state's name, or "removal" (its removal mark changed) */
    const char *detail; /* the error, the reason, or the removal mark; or NULL */
    /* the commit an attempt was sent from and its signer (sending), or the
     * one whose content cancelled it or brought it back; NULL otherwise,
     * and in a ledger written before schema 8 */
    const char *commit, *signer;
};

typedef void (*jade_ledger_event_cb)(void *ctx, const struct jade_ledger_event *event);

/* The changes of the rows f selects, by key, each key's in the order they
 * were recorded. */
int jade_ledger_events(struct jade_ledger *l, const struct jade_ledger_filter *f,
                       jade_ledger_event_cb cb, void *ctx);

/* A state change. Strings are the caller's (the writer keeps copies of
 * its own, freed with the batch). */
struct jade_update {
    char key[33];
    enum jade_state state; /* JADE_N_STATES: the state stays as it is */
    int64_t at;
    int attempts_delta;   /* added to the attempt count */
    int64_t next_attempt; /* kept for retrying */
    /* each replaces the row's when not NULL: */
    const char *network_id, *url, *error;
    const char *commit;  /* the commit a publication is sent from (with sending) */
    const char *signer;  /* and who signed it (signed mode) */
    const char *removal; /* replaces the row's removal mark; "" clears it */
};

/* A state change, recorded with its time in the events table too. -1 when
 * it could not be written, or no occurrence has that key. */
int jade_ledger_set(struct jade_ledger *l, const struct jade_update *u);

/* A late outcome a network reported about an occurrence after its answer
 * (plugins' host late()): an event "late" with detail, the row left as it
 * is. 0, 1 when no occurrence has the key (nothing written), or -1. */
int jade_ledger_note(struct jade_ledger *l, const char *key, int64_t at, const char *detail);

/* State changes in one transaction: 0 when all of them are on disk, -1
 * when none is. */
int jade_ledger_apply(struct jade_ledger *l, const struct jade_update *updates, size_t count);

/* An event people follow in git notes (notes.h), with its occurrence as
 * the row has it now. Strings belong to the ledger, valid until the
 * callback returns. */
struct jade_ledger_outcome {
    int64_t id; /* the event's: rising in the order events were recorded */
    const char *key;
    int64_t at;
    const char *state, *detail;
    const char *campaign, *post, *channel, *network, *lang, *network_id, *url;
    const char *commit; /* the occurrence's commit (occurrences.commit_id), or NULL */
};

typedef void (*jade_ledger_outcome_cb)(void *ctx, const struct jade_ledger_outcome *o);

/* At most limit outcomes recorded after the event id after, in order:
 * sent, uncertain, failed, missed, retracted, late, and a removal left to
 * people ("by hand") or refused ("failed"). */
int jade_ledger_outcomes(struct jade_ledger *l, int64_t after, size_t limit,
                         jade_ledger_outcome_cb cb, void *ctx);
/* The id of the last event recorded (0: none), or -1. */
int64_t jade_ledger_last_event(struct jade_ledger *l);

/* Counts per state (for summaries and tests). */
int jade_ledger_count(struct jade_ledger *l, size_t counts[JADE_N_STATES]);

/* What operators halted (halts.h): read into out (added to it), written
 * (a halt of the same scope and target replaced), cleared. 0, or -1. */
int jade_ledger_halts_read(struct jade_ledger *l, struct jade_halts *out);
int jade_ledger_halt_write(struct jade_ledger *l, const struct jade_halt *h);
int jade_ledger_halt_clear(struct jade_ledger *l, enum jade_halt_scope scope, const char *target);

/* ---- follow-up: the readings of sent publications ------------------------- */

/* A sent publication that may still have readings to take: not retracted
 * (no removal mark), first sent at sent_at. done: the readings the
 * metrics table holds for it (seconds after sent_at), n_done of them. All
 * of it belongs to the ledger, valid until the callback returns. */
struct jade_ledger_sent {
    const char *key, *campaign, *post, *channel, *lang, *network_id;
    int64_t sent_at;
    const int64_t *done;
    size_t n_done;
};

typedef void (*jade_ledger_sent_cb)(void *ctx, const struct jade_ledger_sent *row);

/* Every sent publication of the kind above: a scan, read once at start. */
int jade_ledger_sent_readings(struct jade_ledger *l, jade_ledger_sent_cb cb, void *ctx);

/* A reading of key's reactions: n names with their values, for the
 * reading planned reading seconds after sent_at, read at read_at. A name
 * the reading has already is left as it was. Part of the caller's
 * transaction (the writer's batch): a reading's names are stored together
 * or not at all. A reading given up is stored as the one name
 * JADE_METRIC_GIVEN_UP (its value: the attempts made), so that it is not
 * taken again. */
#define JADE_METRIC_GIVEN_UP "jade_given_up"
/* How many publications have readings stored, and how many readings
 * (given up ones aside). */
int jade_ledger_count_readings(struct jade_ledger *l, size_t *publications, size_t *readings);
int jade_ledger_store_reading(struct jade_ledger *l, const char *key, int64_t reading,
                              int64_t read_at, const char *const *names, const int64_t *values,
                              size_t n);

#endif
