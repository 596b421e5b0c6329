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

/* Iterations of a rule before the range starts, at most: a rule that
 * started long ago with a small interval is skipped ahead instead. */
#define MAX_ITERATIONS 200000

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

static int expand_rule(const json_t *schedule, const char *tz, int64_t lo, int64_t hi,
                       struct times *t, struct jade_buf *err)
{
    const char *rule = json_string_value(json_object_get(schedule, "rrule"));
    struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule ? rule : "");
    icalerror_clear_errno();
    if (rt.freq == ICAL_NO_RECURRENCE) {
        jade_buf_printf(err, _("not a valid RFC 5545 recurrence rule: \"%s\""), rule ? rule : "");
        return -1;
    }
    if (rt.freq == ICAL_SECONDLY_RECURRENCE || rt.freq == ICAL_MINUTELY_RECURRENCE) {
        jade_buf_printf(err, _("a rule repeating every second or minute is too frequent to "
                               "publish: use FREQ=HOURLY or slower"));
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
    icaltimezone *zone = start.has_offset ? icaltimezone_get_utc_timezone() : jade_tz_find(tz);
    if (!zone) {
        jade_buf_printf(err, _("unknown time zone \"%s\""), tz ? tz : "");
        return -1;
    }
    struct icaltimetype dtstart;
    if (start.has_offset) {
        int64_t s;
        jade_time_to_unix(&start, NULL, &s);
        dtstart = icaltime_from_timet_with_zone((time_t)s, 0, zone);
    } else {
        dtstart = icaltime_null_time();
        dtstart.year = start.year, dtstart.month = start.month, dtstart.day = start.day;
        dtstart.hour = start.hour, dtstart.minute = start.minute, dtstart.second = start.second;
        dtstart.is_date = 0;
        dtstart.zone = zone;
    }
    icalrecur_iterator *it = icalrecur_iterator_new(rt, dtstart);
    if (!it) {
        icalerror_clear_errno();
        jade_buf_printf(err, _("libical cannot expand the rule \"%s\""), rule);
        return -1;
    }
    /* Without COUNT, skip straight to the range. */
    if (rt.count == 0 && lo > icaltime_as_timet_with_zone(dtstart, zone) + 86400) {
        struct icaltimetype from = icaltime_from_timet_with_zone((time_t)(lo - 86400), 0, zone);
        icalrecur_iterator_set_start(it, from);
    }
    int rc = 0;
    for (long i = 0;; i++) {
        struct icaltimetype next = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(next)) break;
        int64_t when = (int64_t)icaltime_as_timet_with_zone(next, zone);
        if (when > hi || when > until) break;
        if (i > MAX_ITERATIONS) {
            jade_buf_printf(err, _("the rule needs too many steps to reach the dates asked for"));
            rc = -1;
            break;
        }
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
