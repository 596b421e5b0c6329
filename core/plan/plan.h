/* plan.h - from a content snapshot to the occurrences to publish (SPEC §3).
 *
 * Pure functions: a snapshot and a time range in, a sorted array of
 * occurrences out. No clock, no I/O: callers pass times in. An occurrence
 * is one message on one channel in one language at one time. */
#ifndef JADE_PLAN_H
#define JADE_PLAN_H

#include "../content/content.h"

#include <stdint.h>
#include <stdio.h>

struct jade_buf;

/* At most this many times per post and channel in one expansion; a rule
 * that yields more is an error naming the post (README, "Limits"). */
#define JADE_MAX_TIMES_PER_POST 1000
/* How far an open-ended campaign is looked at by `jade validate`. */
#define JADE_OPEN_WINDOW_DAYS 366

/* ---- policy and targeting (target.c) ---------------------------------- */

struct jade_blackout {
    const char *from, *to; /* content times: local to each channel, or absolute */
    const char *reason;
    bool skip; /* else postpone */
};

struct jade_policy {
    const char *timezone;       /* the programme's; NULL if unusable */
    int quiet_start, quiet_end; /* minutes after midnight; -1: none */
    int min_gap_minutes;
    struct jade_blackout *blackouts;
    size_t n_blackouts;
};

/* Reads jade.json's policy (fields already checked by the schema). */
void jade_policy_read(const struct jade_content *c, struct jade_policy *p);
void jade_policy_free(struct jade_policy *p);
bool jade_policy_quiet(const struct jade_policy *p, int minute_of_day);
/* t, or the end of the quiet hours (local to tz) t falls in. */
int64_t jade_policy_leave_quiet(const struct jade_policy *p, int64_t t, const char *tz);
/* The minute of the day, local to tz, of the instant t. */
int jade_local_minute(int64_t t, const char *tz);

/* The campaign window in UTC: end is INT64_MAX when open-ended. -1 when
 * a time does not parse. */
int jade_campaign_window(const struct jade_policy *p, const json_t *campaign, int64_t *start,
                         int64_t *end);

/* The time zone a channel publishes in: its own, its first region's, the
 * programme's. */
const char *jade_channel_timezone(const struct jade_content *c, const struct jade_policy *p,
                                  const json_t *channel);
/* Where lang stands among the languages a channel reads (its own list, or
 * its regions', main language first); -1 when it does not read it. */
int jade_channel_language_rank(const struct jade_content *c, const json_t *channel,
                               const char *lang);
/* The channels a post reaches: their regions meet the post's (default: the
 * campaign's; "all" meets everything) and their network passes the post's
 * filter. Fills out with up to max channels; returns how many. */
size_t jade_post_channels(const struct jade_content *c, const json_t *post, const json_t *campaign,
                          const json_t **out, size_t max);

/* ---- schedule expansion (expand.c) ------------------------------------ */

/* The UTC times of a post's schedule in [lo, hi], in zone tz (for times
 * without an offset), ascending. At most JADE_MAX_TIMES_PER_POST. On error
 * returns -1 with a message in err (a rule that does not parse, is too
 * frequent, or yields too many times). *times is malloc'd. */
int jade_schedule_expand(const json_t *schedule, const char *tz, int64_t lo, int64_t hi,
                         int64_t **times, size_t *n, struct jade_buf *err);

/* ---- the plan (plan.c) ------------------------------------------------- */

enum jade_shift {
    JADE_SHIFT_NONE,
    JADE_SHIFT_BLACKOUT, /* postponed to the blackout's end */
    JADE_SHIFT_MIN_GAP,  /* spread from an earlier occurrence on its channel */
    JADE_SHIFT_QUIET,    /* a shifted time fell in quiet hours: moved to their end */
};

struct jade_occurrence {
    char key[33];     /* lowercase hex; see jade_occurrence_key */
    int64_t due;      /* UTC, after policy */
    int64_t original; /* UTC, before policy */
    enum jade_shift shift;
    const char *shift_reason;             /* a blackout's reason, or NULL */
    const struct jade_campaign *campaign; /* borrowed from the snapshot */
    const struct jade_post *post;
    const json_t *channel;
    const char *channel_id; /* the channel's "id" */
    const char *lang;
    int lang_rank;          /* the language's place on its channel: main one first */
    uint32_t post_order;    /* the post's place: campaigns by folder, posts by id */
    uint32_t channel_order; /* the channel's place in channels.json */
    const char *tz;         /* the channel's time zone */
};

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

/* The key: the first 16 bytes, in lowercase hex, of SHA-256 over
 * "campaign\0post\0channel\0lang\0" followed by the original UTC time as
 * "YYYY-MM-DDTHH:MM:SSZ". Stable across versions: it is the idempotency key
 * networks see. */
void jade_occurrence_key(const char *campaign, const char *post, const char *channel,
                         const char *lang, int64_t original, char out[33]);

/* ---- output (format.c) ------------------------------------------------- */

enum jade_plan_format { JADE_PLAN_TABLE, JADE_PLAN_JSON, JADE_PLAN_CSV, JADE_PLAN_ICS };

void jade_plan_write(FILE *out, const struct jade_plan *plan, enum jade_plan_format format);

/* "YYYY-MM-DDTHH:MM:SSZ" */
void jade_format_utc(int64_t t, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS+HH:MM" in zone tz */
void jade_format_local(int64_t t, const char *tz, char out[40]);

#endif
