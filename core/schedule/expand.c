/* expand.c - a post's schedule to UTC times: "at" lists, and RFC 5545
 * recurrence rules through libical.
 *
 * A time without an offset is wall-clock time in the channel's zone, so
 * the same rule gives different instants on channels in different zones,
 * and a daily 09:00 stays 09:00 across daylight-saving changes. libical
 * yields a rule's DTSTART only when it matches the rule, which is SPEC §2's
 * meaning of "start". */
#include "schedule.h"

#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

/* The last instant a rule is expanded to: 9999-12-31T23:59:59Z. */
#define LAST_INSTANT INT64_C(253402300799)

struct times {
    int64_t *items;
    size_t count, cap;
};

static int push(struct times *t, int64_t v, struct jade_buf *err)
{
    if (t->count == JADE_MAX_TIMES_PER_POST) {
        jade_buf_printf(err,
                        _("the schedule yields more than %d times; space it out or end it "
                          "sooner (COUNT or UNTIL)"),
                        JADE_MAX_TIMES_PER_POST);
        return -1;
    }
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->items = jade_xrealloc(t->items, t->cap * sizeof *t->items);
    }
    t->items[t->count++] = v;
    return 0;
}

static int compare_times(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int to_unix(const char *s, const char *tz, int64_t *out)
{
    struct jade_time t;
    if (!s || jade_time_parse_content(s, &t) != 0) return -1;
    return jade_time_to_unix(&t, tz, out);
}

static int expand_at(const json_t *at, const char *tz, int64_t lo, int64_t hi, struct times *t,
                     struct jade_buf *err)
{
    for (size_t i = 0; i < json_array_size(at); i++) {
        int64_t when;
        const char *s = json_string_value(json_array_get(at, i));
        if (to_unix(s, tz, &when) != 0) {
            jade_buf_printf(err, _("\"%s\" is not a valid time"), s ? s : "");
            return -1;
        }
        if (when >= lo && when <= hi && push(t, when, err) != 0) return -1;
    }
    if (t->count > 1) qsort(t->items, t->count, sizeof *t->items, compare_times);
    return 0;
}

/* Parts of RFC 5545 and RFC 7529 that jade does not expand, since what a
 * rule with them costs cannot be bounded beforehand (see bound.c): why,
 * or NULL when the rule has none. */
static const char *unsupported(const struct icalrecurrencetype *rt, bool rscale)
{
    if (rscale)
        return _("RSCALE (RFC 7529) is not supported: jade counts in the Gregorian calendar");
    if (rt->by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX)
        return _("BYWEEKNO is not supported: name the months and days instead (BYMONTH, "
                 "BYMONTHDAY, BYDAY)");
    for (size_t i = 0; i < sizeof rt->by_month / sizeof *rt->by_month &&
                       rt->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX;
         i++)
        if (icalrecurrencetype_month_is_leap(rt->by_month[i]))
            return _("leap months (RFC 7529) are not supported: jade counts in the Gregorian "
                     "calendar");
    return NULL;
}

/* The rule's DTSTART: start as written, in zone. */
static struct icaltimetype rule_start(const struct jade_time *start, icaltimezone *zone)
{
    if (start->has_offset) {
        int64_t s;
        jade_time_to_unix(start, NULL, &s);
        return icaltime_from_timet_with_zone((time_t)s, 0, zone);
    }
    struct icaltimetype dtstart = icaltime_null_time();
    dtstart.year = start->year, dtstart.month = start->month, dtstart.day = start->day;
    dtstart.hour = start->hour, dtstart.minute = start->minute, dtstart.second = start->second;
    dtstart.is_date = 0;
    dtstart.zone = zone;
    return dtstart;
}

static int expand_rule(const json_t *schedule, const char *tz, int64_t lo, int64_t hi,
                       struct times *t, struct jade_buf *err)
{
    const char *rule = json_string_value(json_object_get(schedule, "rrule"));
    struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule ? rule : "");
    icalerror_clear_errno();
    bool rscale = rt.rscale != NULL;
    free(rt.rscale);
    rt.rscale = NULL;
    if (rt.freq == ICAL_NO_RECURRENCE) {
        jade_buf_printf(err, _("not a valid RFC 5545 recurrence rule: \"%s\""), rule ? rule : "");
        return -1;
    }
    if (rt.freq == ICAL_SECONDLY_RECURRENCE || rt.freq == ICAL_MINUTELY_RECURRENCE) {
        jade_buf_printf(err, _("a rule repeating every second or minute is too frequent to "
                               "publish: use FREQ=HOURLY or slower"));
        return -1;
    }
    const char *refused = unsupported(&rt, rscale);
    if (refused) {
        jade_buf_puts(err, refused);
        return -1;
    }
    struct jade_time start;
    const char *start_s = json_string_value(json_object_get(schedule, "start"));
    if (!start_s || jade_time_parse_content(start_s, &start) != 0) {
        jade_buf_printf(err, _("\"%s\" is not a valid start time"), start_s ? start_s : "");
        return -1;
    }
    int64_t until = INT64_MAX;
    const char *until_s = json_string_value(json_object_get(schedule, "until"));
    if (until_s && to_unix(until_s, tz, &until) != 0) {
        jade_buf_printf(err, _("\"%s\" is not a valid time"), until_s);
        return -1;
    }
    /* The rule counts in the zone its start is written in: the channel's
     * for a local start, UTC for an absolute one. */
    icaltimezone *utc = icaltimezone_get_utc_timezone();
    icaltimezone *zone = start.has_offset ? utc : jade_tz_find(tz);
    if (!zone) {
        jade_buf_printf(err, _("unknown time zone \"%s\""), tz ? tz : "");
        return -1;
    }
    struct icaltimetype dtstart = rule_start(&start, zone);
    if (!jade_rule_can_give(&rt, dtstart.year, dtstart.month, dtstart.day)) {
        jade_buf_printf(err, _("the rule can never give a time: no date matches all of its BY "
                               "parts (BYMONTH, BYMONTHDAY, BYYEARDAY, BYDAY, BYSETPOS)"));
        return -1;
    }
    /* From where libical starts (without COUNT, a day before the range) to
     * where it is stopped: a day past the last time wanted, a margin for
     * the hour that repeats when clocks go back. */
    int64_t first = (int64_t)icaltime_as_timet_with_zone(dtstart, zone);
    if (rt.count == 0 && lo - 86400 > first) first = lo - 86400;
    int64_t last = hi < until ? hi : until;
    if (last > LAST_INSTANT - 86400) last = LAST_INSTANT - 86400;
    if (last < first) return 0;
    int64_t stop = last + 86400;
    int64_t steps = jade_rule_steps(&rt, first, stop);
    if (steps > JADE_MAX_RULE_STEPS) {
        jade_buf_printf(err,
                        _("expanding the rule over the campaign's dates takes about %lld steps "
                          "(at most %d): use a slower FREQ (FREQ=DAILY;BYHOUR=9 rather than "
                          "FREQ=HOURLY;BYHOUR=9), fewer BYHOUR or BYMINUTE values, or a start "
                          "closer to the campaign"),
                        (long long)steps, JADE_MAX_RULE_STEPS);
        return -1;
    }
    /* libical compares a floating UNTIL as UTC: stop there if sooner. */
    if (icaltime_is_null_time(rt.until) || icaltime_as_timet_with_zone(rt.until, utc) > stop)
        rt.until = icaltime_from_timet_with_zone((time_t)stop, 0, zone);
    icalrecur_iterator *it = icalrecur_iterator_new(rt, dtstart);
    if (!it) {
        icalerror_clear_errno();
        jade_buf_printf(err, _("libical cannot expand the rule \"%s\""), rule);
        return -1;
    }
    if (first > (int64_t)icaltime_as_timet_with_zone(dtstart, zone))
        icalrecur_iterator_set_start(it, icaltime_from_timet_with_zone((time_t)first, 0, zone));
    int rc = 0;
    for (;;) {
        struct icaltimetype next = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(next)) break;
        int64_t when = (int64_t)icaltime_as_timet_with_zone(next, zone);
        if (when > last) break;
        if (when >= lo && (rc = push(t, when, err)) != 0) break;
    }
    icalrecur_iterator_free(it);
    icalerror_clear_errno();
    return rc;
}

int jade_schedule_expand(const json_t *schedule, const char *tz, int64_t lo, int64_t hi,
                         int64_t **times, size_t *n, struct jade_buf *err)
{
    struct times t = {0};
    const json_t *at = json_object_get(schedule, "at");
    int rc = at ? expand_at(at, tz, lo, hi, &t, err) : expand_rule(schedule, tz, lo, hi, &t, err);
    if (rc != 0) {
        free(t.items);
        t.items = NULL;
        t.count = 0;
    }
    *times = t.items;
    *n = t.count;
    return rc;
}
