/* sync.h - following the approved branch: fetch, review, load, adopt.
 *
 * A generation is what the service publishes from: the content it adopted
 * (a root commit, and for each campaign the commit it was last good in),
 * and the plan made of it. Generations are immutable and reference
 * counted: a request in flight keeps the one it was built from, so a
 * reload never pulls text from under a publication.
 *
 * jade_sync_run is one cycle, blocking, safe on any thread: fetch the
 * branch, verify the tip's signature (signed mode), load its content, keep
 * each campaign that is broken in it at its last good version (and the
 * whole last good commit when a root file is broken), and plan what it
 * adopts. The service runs it on the thread pool and adopts the result on
 * its loop. */
#ifndef JADE_SYNC_H
#define JADE_SYNC_H

#include "../content/content.h"
#include "../plan/plan.h"
#include "../util/diag.h"

#include <stdbool.h>
#include <stdint.h>

struct jade_config;
struct jade_fetch_credentials;
struct jade_signers;
struct jade_source;

/* One commit's content, loaded and checked. */
struct jade_snapshot {
    unsigned refs;
    struct jade_source *source; /* where its media are read from */
    struct jade_content *content;
    char *commit; /* or NULL for a folder */
    char *signer; /* signed mode: the principal who signed it; else NULL */
};

struct jade_generation {
    unsigned refs;
    struct jade_content *view;    /* the root's files and the adopted campaigns */
    struct jade_snapshot **parts; /* parts[0] the root; then older ones kept campaigns come from */
    size_t n_parts;
    struct jade_plan plan;
    struct jade_plan_cache *plan_cache; /* for the next plan of the same campaigns */
    struct jade_plan_index by_key;      /* the plan, by key */
    int64_t plan_from, plan_to;         /* the plan covers [plan_from, plan_to) */
    int catch_up_minutes;
    char **kept; /* "campaign@commit" of the campaigns kept at an older version */
    size_t n_kept;
    double load_ms, plan_ms; /* how long it took to make */
    long reread;             /* campaign folders read again for it; -1: every file */
};

struct jade_generation *jade_generation_ref(struct jade_generation *g);
void jade_generation_unref(struct jade_generation *g);
/* The plan's occurrence with that key, or NULL. */
const struct jade_occurrence *jade_generation_find(const struct jade_generation *g,
                                                   const char *key);

/* What a cycle needs; borrowed for its duration. */
struct jade_sync_input {
    const struct jade_config *config;
    const struct jade_networks *networks; /* what the plugins declare */
    const struct jade_signers *signers;   /* signed mode, else NULL */
    struct jade_generation *current;      /* adopted so far, or NULL */
    const char *refused_tip;              /* a tip refused already: not checked again, or NULL */
    const char *ref;    /* a commit of the mirror to load instead of fetching the branch (the
                           last adopted), or NULL */
    const char *mirror; /* git sources: the bare mirror the branch is fetched into */
    const struct jade_fetch_credentials *credentials; /* or NULL */
    int64_t now;
    int64_t retry_due_from; /* the earliest due time of a retry that waits, or 0 */
    bool replan;     /* plan again even when the tip is the adopted one (the horizon moved) */
    bool read_whole; /* read every file even when only some campaigns changed (to compare) */
};

enum jade_sync_outcome {
    JADE_SYNC_UNCHANGED, /* the tip is the adopted commit (or was refused already) */
    JADE_SYNC_ADOPT,     /* result.generation is ready to adopt */
    JADE_SYNC_REFUSED,   /* the tip waits: result.reason (and diags for invalid content) */
    JADE_SYNC_FAILED,    /* the branch could not be read: result.reason */
};

struct jade_sync_result {
    enum jade_sync_outcome outcome;
    char commit[41];         /* the tip, when it was read */
    char *reason;            /* REFUSED, FAILED: one line for people */
    struct jade_diags diags; /* the tip's problems (also for an adopted tip: warnings,
                                and the errors of campaigns kept at an older version) */
    /* ADOPT, or with the others when replan was asked (the adopted content
     * planned further): one reference, the caller's; else NULL */
    struct jade_generation *generation;
    double fetch_ms, load_ms, plan_ms; /* how long each step took */
};

void jade_sync_run(const struct jade_sync_input *in, struct jade_sync_result *out);

/* Why an occurrence of campaign, post and channel is not in generation
 * g's plan (a jade_cancel_reason_cb; ctx is g): the campaign was removed,
 * paused or retired, the post removed or retracted, the channel removed;
 * NULL when none of these. */
const char *jade_generation_cancel_reason(void *g, const char *campaign, const char *post,
                                          const char *channel);
void jade_sync_result_free(struct jade_sync_result *r);

#endif
