/* service-internal.h - what the service's files share: service.c (life
 * cycle and the loop), publish.c (requests, dispatch, recovery) and
 * follow.c (following the branch, adoption, the admin listener). Nothing
 * outside core/run/service*.c, publish.c and follow.c includes it. */
#ifndef JADE_SERVICE_INTERNAL_H
#define JADE_SERVICE_INTERNAL_H

#include "admin.h"
#include "calls.h"
#include "channels.h"
#include "clock.h"
#include "host.h"
#include "ledger.h"
#include "metrics.h"
#include "notes.h"
#include "notify.h"
#include "plugins.h"
#include "queue.h"
#include "service.h"
#include "sync.h"
#include "../source/fetch.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct jade_config;
struct jade_writer;
struct jade_signers;

struct request {
    struct service *s;
    struct jade_channel *ch;
    struct jade_generation *gen; /* a reference: the strings below point into it */
    char key[33];
    bool lookup;
    bool removing;    /* a retracted post's publication, removed from the network: */
    char *removal[4]; /*   its campaign, post, language and network id (owned) */
    int64_t due_time;
    struct jade_publication pub;
    char due[32];
    char **media;
    const char **media_alt; /* borrowed from the generation's post, as media */
    size_t n_media;
};

/* A reload's reconciliation, run by the writer in its batch. */
struct reload {
    struct service *s;
    struct jade_generation *gen;      /* a reference */
    struct jade_generation *previous; /* the one the ledger last followed, or NULL; a reference */
    int64_t now;
    struct jade_reconcile_stats stats;
    /* After a previous plan, the queues follow what the reconciliation
     * changed (at start, they are read whole: service_load_waiting) */
    bool delta;
    struct jade_waiting_changes changes;
    struct jade_removal *removals; /* sent ones of retracted posts, to remove */
    char **removal_channels;
    size_t n_removals;
    size_t marked;    /* newly marked for removal */
    bool read_later;  /* at start: what waits is read after the recovery, not here */
    double ledger_ms; /* how long the reconciliation took */
};

struct service {
    const struct jade_service_options *opt;
    const struct jade_config *cfg;
    uv_loop_t loop;
    uv_timer_t timer, poll, grace;
    uv_check_t flush;
    uv_signal_t sigterm, sigint, sighup;
    uv_work_t sync_work;
    bool closed;
    bool abandoned; /* stopped with a fetch still hanging on the thread pool */
    struct jade_clock clock;
    struct jade_log log;   /* for operators: every event of the run (util/log.h) */
    int64_t sim_target;    /* simulated: what the clock shows when the timer fires, */
    uint64_t sim_armed_ns; /*   set at this real time */
    struct jade_host_env env;
    int lock_fd; /* the state folder's lock, or -1 */
    struct jade_ledger *ledger;
    struct jade_writer *writer;
    struct jade_plugins plugins;
    char *plugins_dir; /* where they were loaded from */
    struct jade_instance *nets;
    size_t n_nets;
    struct jade_network *limits; /* what the plugins declare, for content checks */
    struct jade_networks networks;
    struct jade_admin *admin;        /* the admin listener, or NULL */
    struct jade_notes_writer *notes; /* git notes (notes.h), or NULL */
    struct jade_metrics metrics;     /* what GET /metrics shows */
    struct jade_signers *signers;    /* signed mode */
    char *mirror;                    /* git sources: <state_dir>/content.git */
    char *git_password;              /* read from the secrets folder for each fetch */
    char *git_ssh_key, *git_known_hosts;
    struct jade_fetch_credentials credentials;
    struct jade_generation *gen; /* what is published now */
    struct jade_channels channels;
    char *media_root; /* folder sources: the folder itself; else <state_dir>/media */
    /* following the branch */
    bool syncing, sync_again, reloading;
    struct jade_sync_input sync_in;
    struct jade_sync_result sync_out;
    char *refused_tip; /* the tip that waits, and why */
    char *refused_reason;
    char *fetch_error; /* the branch could not be read: since when, how often */
    int64_t fetch_error_since;
    unsigned fetch_failures;
    char (*settled)[33]; /* removals settled while a reload is written: their keys */
    size_t n_settled;
    bool ledger_failed;
    size_t inflight;
    struct jade_calls calls;         /* the plugins' calls in flight, by token (publish.c) */
    struct jade_calls reading_calls; /* their metrics calls (readings.c) */
    bool reading_metrics;            /* readings.c is starting readings: answers do not arm */
    struct request **lookups;        /* recovery's, started once the queues are loaded */
    size_t n_lookups;
    bool stopping;
    struct jade_notify notify; /* telling systemd (notify.h) */
    uv_timer_t notify_tick;    /* WATCHDOG=1 and STATUS= while the loop runs */
    uv_timer_t stop_bound;     /* started by SIGTERM: stop_timeout_seconds */
    bool overdue;              /* past it: what is still in flight is left `sending` */
    uint64_t rng;
    size_t sent, failed;
    struct jade_halts halts;     /* what operators halted, as the ledger keeps it */
    json_t *by_hand;             /* sent publications of retracted posts, to remove by hand */
    int64_t last_fetch;          /* when the branch was last read (0: not yet) */
    uint64_t secrets_checked_ns; /* suspended channels' secrets last read */
    uint64_t last_progress_ns;
};

static inline int64_t service_now(struct service *s)
{
    return jade_clock_now(&s->clock);
}

/* service.c: sends what is ready, then sets the timer for the next event. */
void service_arm(struct service *s);
/* Tell systemd a reload starts (RELOADING=1), or that the service is ready
 * again, with a status line; nothing without NOTIFY_SOCKET. */
void service_notify_reloading(struct service *s);
void service_notify_ready(struct service *s);

/* publish.c */
/* When something a halt keeps on ch passes its catch-up (to be missed),
 * or INT64_MAX. */
int64_t service_halt_wake(const struct service *s, const struct jade_channel *ch);
/* What halts keep and passed its catch-up is missed, with the halt as
 * its reason (before a resume lets dispatch see it). */
void service_expire_halted(struct service *s);
/* Fills each channel with what is ready; the earliest time a held channel
 * frees up, or INT64_MAX. */
int64_t service_dispatch(struct service *s);
/* The writer's callback: a batch's requests leave, or none may. */
void service_written_cb(void *ctx, void **requests, size_t count, bool ok);
/* After a crash: what was `sending`, re-sent or marked uncertain; the
 * look-ups it needs wait for service_start_lookups. */
enum jade_service_status service_recover(struct service *s);
/* Recovery's look-ups leave (go), or are dropped (the start failed). Only
 * once the queues are loaded: an answer may requeue what it looked up. */
void service_start_lookups(struct service *s, bool go);
/* The service stops: the calls no longer waited for end unanswered (their
 * requests freed; a later done is ignored). last: the service is freed
 * next, and a done then finds nothing at all. */
void service_drop_calls(struct service *s, bool last);

/* readings.c: follow-up, the metrics of sent publications */
/* What the ledger says is still to read, at start; -1 (said). */
int service_load_readings(struct service *s);
/* key was sent on ch at sent_at (as network_id): its readings wait. */
void service_readings_sent(struct service *s, struct jade_channel *ch, const char *key,
                           const struct jade_publication *pub, const char *network_id,
                           int64_t sent_at);
/* key's post was retracted: nothing more of it is read. */
void service_readings_forget(struct service *s, struct jade_channel *ch, const char *key);
/* Starts the readings that are due on channels free of publications;
 * the earliest time a reading waits for, or INT64_MAX. */
int64_t service_read_metrics(struct service *s);
/* As service_drop_calls, for the metrics calls; then what waits is freed. */
void service_drop_readings(struct service *s, bool last);
void service_free_readings(struct service *s);

/* ops.c: the operator's side */
/* A channel's credentials were refused: nothing more goes there until an
 * operator resumes it or its secret changes on disk (said). */
void service_suspend(struct service *s, struct jade_channel *ch, const char *why);
/* Suspended channels whose secret changed on disk are resumed (said). */
void service_check_secrets(struct service *s);
/* A sent publication of a retracted post that people must remove by hand. */
void service_note_by_hand(struct service *s, const char *key, const char *campaign,
                          const char *post, const char *channel, const char *network_id);
/* What the ledger keeps for operators, read at start: halts, and what to
 * remove by hand. -1 (said) when it cannot be read. */
int service_load_operations(struct service *s);
void service_free_operations(struct service *s);
/* Says at start when halt and resume cannot be used: no admin token. */
void service_check_admin_token(struct service *s);
/* The admin listener's routes. */
void service_admin_cb(void *ctx, const struct jade_admin_request *req,
                      struct jade_admin_response *res);

/* follow.c */
/* The first generation: the tip, or the last content adopted before. */
enum jade_service_status service_first_generation(struct service *s);
/* A sync cycle now, or once the one running or the reload being written
 * is done. */
void service_start_sync(struct service *s);
/* The content repository's credentials, read again before each fetch. */
int service_read_credentials(struct service *s);
/* At start: the ledger follows the first generation's plan (said and NULL
 * when it cannot be written). */
struct reload *service_reconcile_first(struct service *s);
/* What waits in the ledger, into the channels' queues; -1 (said). */
int service_load_waiting(struct service *s, struct reload *r);
void service_free_reload(struct reload *r);
void service_poll_cb(uv_timer_t *t);
void service_sighup_cb(uv_signal_t *h, int signum);
/* POST /hooks/git: a forge's push notification. */
/* ops.c: a plugin's late outcome, an event of the occurrence (host late()). */
int service_late(void *ctx, const char *network, const char *key, const char *message);
void service_hook(struct service *s, const struct jade_admin_request *req,
                  struct jade_admin_response *res);
/* feed.c: GET /plan.ics, the plan as a calendar feed (answered later). */
void service_plan_ics(struct service *s, const struct jade_admin_request *req,
                      struct jade_admin_response *res);

#endif
