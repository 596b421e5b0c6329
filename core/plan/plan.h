/* plan.h - from a content snapshot to the occurrences to publish (SPEC §3).
 *
 * Assembles what the schedule module says (times, channels, languages,
 * policy) into occurrences with their keys, and writes them out in the
 * plan's formats. Pure functions: a snapshot and a time range in, a sorted array of
 * occurrences out. No clock, no I/O: callers pass times in. An occurrence
 * is one message on one channel in one language at one time. */
#ifndef JADE_PLAN_H
#define JADE_PLAN_H

#include "../content/content.h"
#include "../schedule/schedule.h"

#include <stdint.h>
#include <stdio.h>

/* ---- the plan (plan.c) ------------------------------------------------- */

enum jade_shift {
    JADE_SHIFT_NONE,
    JADE_SHIFT_BLACKOUT, /* postponed to the blackout's end */
    JADE_SHIFT_MIN_GAP,  /* spread from an earlier occurrence on its channel */
    JADE_SHIFT_QUIET,    /* a shifted time fell in quiet hours: moved to their end */
};

struct jade_occurrence {
    char key[33];                         /* lowercase hex; see jade_occurrence_key */
    uint8_t shift;                        /* enum jade_shift */
    int64_t due;                          /* UTC, after policy */
    int64_t original;                     /* UTC, before policy */
    const char *shift_reason;             /* a blackout's reason, or NULL */
    const struct jade_campaign *campaign; /* borrowed from the snapshot */
    const struct jade_post *post;
    const json_t *channel;
    const char *channel_id; /* the channel's "id" */
    const char *lang;
    const char *tz; /* the channel's time zone */
}; /* 112 bytes on 64 bits: a plan holds one for every time of every post on every channel */

struct jade_plan {
    struct jade_occurrence *items; /* sorted by due, channel (as listed), key */
    size_t count;
};

struct jade_plan_filter {
    const char *region;  /* only channels serving this region, or NULL */
    const char *channel; /* only this channel, or NULL */
};

/* The occurrences whose due time is in [from, to). Problems (a rule that
 * yields too many times) go to diags; the rest of the plan stands. */
void jade_plan_build(const struct jade_content *c, int64_t from, int64_t to,
                     const struct jade_plan_filter *filter, struct jade_plan *out,
                     struct jade_diags *diags);
void jade_plan_free(struct jade_plan *plan);

/* What a plan's campaigns give before policy (their times on each channel
 * in each language, and the keys of these), for the next plan to reuse:
 * a campaign loaded once is expanded once. Valid only while the root files
 * (jade.json, regions.json, people.json, channels.json) say the same. */
struct jade_plan_cache;

/* jade_plan_build, reusing what reuse (or NULL) holds of c's campaigns,
 * and giving in *keep (when keep is not NULL) the cache of this plan. The
 * same plan as without: only faster. reuse is not used with a filter.
 * Plans that share a cache must be built one at a time. */
void jade_plan_build_cached(const struct jade_content *c, int64_t from, int64_t to,
                            const struct jade_plan_filter *filter,
                            const struct jade_plan_cache *reuse, struct jade_plan_cache **keep,
                            struct jade_plan *out, struct jade_diags *diags);
void jade_plan_cache_free(struct jade_plan_cache *cache);

/* For `jade validate`: plans every active campaign over its whole window
 * and warns, at each post, of the times policy (the minimum gap, a
 * blackout) pushes past its campaign's end, which plans drop. */
void jade_plan_check(const struct jade_content *c, struct jade_diags *diags);

/* A plan's occurrences by key: a hash table, built in one pass. */
struct jade_plan_index {
    const struct jade_occurrence *items; /* the plan's */
    uint32_t *slots;                     /* 1 + an occurrence's place, or 0 (empty) */
    size_t mask;
    bool duplicates; /* some key is there twice (a schedule that names a time twice) */
};

void jade_plan_index_build(const struct jade_plan *plan, struct jade_plan_index *out);
/* The occurrence with that key, or NULL (also for a NULL or empty index). */
const struct jade_occurrence *jade_plan_index_find(const struct jade_plan_index *index,
                                                   const char *key);
void jade_plan_index_free(struct jade_plan_index *index);

/* The key: the first 16 bytes, in lowercase hex, of SHA-256 over
 * "campaign\0post\0channel\0lang\0" followed by the original UTC time as
 * "YYYY-MM-DDTHH:MM:SSZ". Stable across versions: it is the idempotency key
 * networks see. */
void jade_occurrence_key(const char *campaign, const char *post, const char *channel,
                         const char *lang, int64_t original, char out[33]);

/* ---- output (format.c) ------------------------------------------------- */

enum jade_plan_format { JADE_PLAN_TABLE, JADE_PLAN_JSON, JADE_PLAN_CSV, JADE_PLAN_ICS };

void jade_plan_write(FILE *out, const struct jade_plan *plan, enum jade_plan_format format);

/* The open rumours that no post answers, counting the posts of active
 * campaigns that are not retracted (what is published or planned), and
 * only those circulating in region when it is not NULL: a malloc'ed
 * array of *n (sorted by first sighting), borrowed from c. */
const struct jade_rumour **jade_plan_unanswered(const struct jade_content *c, const char *region,
                                                size_t *n);

#endif
