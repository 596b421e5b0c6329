/* schedule.h - when and where a post goes: the programme's policy, campaign
 * windows, which channels and languages a post reaches (target.c), and the
 * expansion of a schedule into times (expand.c).
 *
 * The one place both the content rules (`jade validate`) and the planner
 * read these from, so both agree on what a post reaches and when. Pure
 * functions over a loaded snapshot: no clock, no I/O. */
#ifndef JADE_SCHEDULE_H
#define JADE_SCHEDULE_H

#include "../content/content.h"

#include <stdbool.h>
#include <stdint.h>

struct jade_buf;

/* At most this many times per post and channel in one expansion; a rule
 * that yields more is an error naming the post (README, "Limits"). */
#define JADE_MAX_TIMES_PER_POST 1000
/* How far an open-ended campaign is looked at by `jade validate`. */
#define JADE_OPEN_WINDOW_DAYS 366
/* At most this many steps (times libical looks at, kept or not) to expand
 * a rule over the dates asked for; a rule that needs more is an error
 * naming the post (README, "Limits"). */
#define JADE_MAX_RULE_STEPS 10000

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

/* ---- expansion (expand.c) --------------------------------------------- */

/* The UTC times of a post's schedule in [lo, hi], in zone tz (for times
 * without an offset), ascending. At most JADE_MAX_TIMES_PER_POST. On error
 * returns -1 with a message in err (a rule that does not parse, is too
 * frequent, can never give a time, needs more than JADE_MAX_RULE_STEPS
 * steps, or yields too many times). *times is malloc'd. */
int jade_schedule_expand(const json_t *schedule, const char *tz, int64_t lo, int64_t hi,
                         int64_t **times, size_t *n, struct jade_buf *err);

/* ---- what a rule can give, and its cost (bound.c) --------------------- */

struct icalrecurrencetype;

/* Whether the rule, counted from a start on that date, gives a time at
 * all, as libical expands it (Gregorian calendar; no BYWEEKNO, no leap
 * months). */
bool jade_rule_can_give(const struct icalrecurrencetype *rt, int start_year, int start_month,
                        int start_day);
/* At most how many times libical looks at to expand the rule from the
 * instant first to the instant last. */
int64_t jade_rule_steps(const struct icalrecurrencetype *rt, int64_t first, int64_t last);

#endif
