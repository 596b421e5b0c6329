/* bound.c - what a recurrence rule can give at all, and what expanding it
 * costs, found before libical is asked.
 *
 * libical 3.0 looks for the next month or year that holds a day of a
 * MONTHLY or YEARLY rule up to the year 20000, whatever UNTIL says: a rule
 * that has no such day ("FREQ=MONTHLY;BYDAY=+53MO", "BYMONTHDAY=30" in
 * February) costs about a second, for nothing. What a month gives depends
 * only on its length and on the weekday of its first day, what a year
 * gives only on whether it is a leap year and on the weekday of 1 January,
 * and the calendar repeats every 400 years; so the few kinds of months or
 * years are expanded here as libical expands them (icalrecur.c:
 * expand_month_days, expand_year_days, for the Gregorian calendar), and
 * the months or years the rule steps through in one 400-year cycle are
 * looked up. HOURLY and DAILY rules only filter days: one that no date
 * passes gives nothing. */
#include "schedule.h"

#include "../util/timeparse.h"

#include <libical/ical.h>
#include <stdlib.h>

/* Values of a BY list: it ends at ICAL_RECURRENCE_ARRAY_MAX, or when full. */
#define BY_COUNT(list) by_count(list, (int)(sizeof(list) / sizeof *(list)))
#define BY_HAS(list, v) by_has(list, (int)(sizeof(list) / sizeof *(list)), v)

static int by_count(const short *list, int size)
{
    int n = 0;
    while (n < size && list[n] != ICAL_RECURRENCE_ARRAY_MAX) n++;
    return n;
}

static bool by_has(const short *list, int size, int v)
{
    for (int i = 0; i < size && list[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
        if (list[i] == v) return true;
    return false;
}

static int month_length(bool leap, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap ? 29 : days[month - 1];
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 0 for Sunday to 6 for Saturday. */
static int weekday(int y, int m, int d)
{
    return (int)(((jade_days_from_civil(y, m, d) + 4) % 7 + 7) % 7);
}

/* The day of the year (from 1) of the first of month. */
static int first_of_month(bool leap, int month)
{
    int doy = 1;
    for (int m = 1; m < month; m++) doy += month_length(leap, m);
    return doy;
}

/* ---- one month or one year, as libical expands it ----------------------- */

/* The days a period keeps (days[1..366]: of the month, or of the year) and
 * how many libical counted, which BYSETPOS counts back from. */
struct period {
    bool days[367];
    int total;
};

/* BYMONTHDAY (md, n values) in a month of len days starting on day first
 * of the period; values past its end are left out. */
static void add_month_days(struct period *p, const short *md, int n, int len, int first)
{
    for (int i = 0; i < n; i++) {
        if (abs(md[i]) > len) continue;
        p->days[first - 1 + (md[i] > 0 ? md[i] : len + 1 + md[i])] = true;
        p->total++;
    }
}

/* BYDAY over the days [first, first + len) of the period, the first of
 * them a weekday wd: an ordinal (+2MO, -1FR) counts within that span.
 * limiting keeps only days set already, else BYDAY's replace them. Adds
 * the days kept to the count. */
static void apply_weekdays(struct period *p, const struct icalrecurrencetype *rt, int first,
                           int len, int wd, bool limiting)
{
    bool hit[367] = {false};
    int last_wd = (wd + len - 1) % 7;
    for (int i = 0; i < BY_COUNT(rt->by_day); i++) {
        int dow = (int)icalrecurrencetype_day_day_of_week(rt->by_day[i]) - 1;
        int pos = icalrecurrencetype_day_position(rt->by_day[i]);
        int first_match = (dow - wd + 7) % 7 + 1, last_match = len - (last_wd - dow + 7) % 7;
        if (pos == 0)
            for (int d = first_match; d <= len; d += 7) hit[d] = true;
        else if (pos > 0 && first_match + (pos - 1) * 7 <= last_match)
            hit[first_match + (pos - 1) * 7] = true;
        else if (pos < 0 && last_match + (pos + 1) * 7 >= first_match)
            hit[last_match + (pos + 1) * 7] = true;
    }
    for (int d = 1; d <= len; d++) {
        bool *day = &p->days[first - 1 + d];
        *day = hit[d] && (!limiting || *day);
        p->total += *day;
    }
}

/* Whether a day of the period's [1, n] is left after BYSETPOS (a day is
 * kept if its place from the start, or from the count's end, is listed). */
static bool period_gives(const struct period *p, const struct icalrecurrencetype *rt, int n)
{
    int n_setpos = BY_COUNT(rt->by_set_pos), place = 0;
    for (int d = 1; d <= n; d++) {
        if (!p->days[d]) continue;
        if (!n_setpos || BY_HAS(rt->by_set_pos, place + 1) ||
            BY_HAS(rt->by_set_pos, place - p->total))
            return true;
        place++;
    }
    return false;
}

/* A month of len days whose first day is a weekday wd (MONTHLY). Without
 * BYMONTHDAY, the start's day of the month stands for it. */
static bool month_gives(const struct icalrecurrencetype *rt, int len, int wd, short start_day)
{
    struct period p = {{false}, 0};
    int n_md = BY_COUNT(rt->by_month_day);
    add_month_days(&p, n_md ? rt->by_month_day : &start_day, n_md ? n_md : 1, len, 1);
    if (BY_COUNT(rt->by_day)) {
        p.total = 0;
        apply_weekdays(&p, rt, 1, len, wd, n_md > 0);
    }
    return period_gives(&p, rt, len);
}

/* A year, leap or not, whose 1 January is a weekday wd (YEARLY). Without
 * BYMONTH and BYMONTHDAY, the start's month and day stand for them. */
static bool year_gives(const struct icalrecurrencetype *rt, bool leap, int wd, short start_month,
                       short start_day)
{
    struct period p = {{false}, 0};
    int n = leap ? 366 : 365;
    int n_yd = BY_COUNT(rt->by_year_day), n_md = BY_COUNT(rt->by_month_day);
    int n_months = BY_COUNT(rt->by_month);
    const short *months = n_months ? rt->by_month : &start_month;
    if (n_yd) {
        for (int i = 0; i < n_yd; i++) {
            short v = rt->by_year_day[i];
            if (abs(v) > n) continue;
            p.days[v > 0 ? v : n + 1 + v] = true;
            p.total++;
        }
    } else {
        for (int i = 0; i < (n_months ? n_months : 1); i++)
            add_month_days(&p, n_md ? rt->by_month_day : &start_day, n_md ? n_md : 1,
                           month_length(leap, months[i]), first_of_month(leap, months[i]));
    }
    if (BY_COUNT(rt->by_day)) {
        bool limiting = n_yd || n_md;
        p.total = 0;
        if (!n_months) apply_weekdays(&p, rt, 1, n, wd, limiting);
        for (int i = 0; i < n_months; i++) {
            int first = first_of_month(leap, months[i]);
            apply_weekdays(&p, rt, first, month_length(leap, months[i]), (wd + first - 1) % 7,
                           limiting);
        }
    }
    return period_gives(&p, rt, n);
}

/* ---- the rule over a 400-year cycle ------------------------------------- */

/* Some month the rule steps through (every INTERVAL months from the
 * start's, those of BYMONTH) holds a day. */
static bool monthly_gives(const struct icalrecurrencetype *rt, int year, int month, int day)
{
    bool kind[4][7]; /* [length - 28][weekday of the first] */
    for (int len = 28; len <= 31; len++)
        for (int wd = 0; wd < 7; wd++) kind[len - 28][wd] = month_gives(rt, len, wd, (short)day);
    int64_t origin = (int64_t)(year % 400) * 12 + month - 1;
    for (int64_t k = 0; k < 400 * 12; k++) {
        int64_t at = (origin + k * rt->interval) % (400 * 12);
        int y = 2000 + (int)(at / 12), m = (int)(at % 12) + 1;
        if (BY_COUNT(rt->by_month) && !BY_HAS(rt->by_month, m)) continue;
        if (kind[month_length(leap_year(y), m) - 28][weekday(y, m, 1)]) return true;
    }
    return false;
}

/* Some year the rule steps through (every INTERVAL years) holds a day. */
static bool yearly_gives(const struct icalrecurrencetype *rt, int year, int month, int day)
{
    bool kind[2][7]; /* [leap][weekday of 1 January] */
    for (int leap = 0; leap < 2; leap++)
        for (int wd = 0; wd < 7; wd++)
            kind[leap][wd] = year_gives(rt, leap, wd, (short)month, (short)day);
    for (int64_t k = 0; k < 400; k++) {
        int y = 2000 + (int)(((int64_t)(year % 400) + k * rt->interval) % 400);
        if (kind[leap_year(y)][weekday(y, 1, 1)]) return true;
    }
    return false;
}

/* HOURLY and DAILY rules keep the days whose month, day of the month, day
 * of the year and weekday are listed (as values: -1 or 2MO never match):
 * is there a date that passes? Each date falls on every weekday in some
 * year. */
static bool some_date_passes(const struct icalrecurrencetype *rt)
{
    bool any_weekday = !BY_COUNT(rt->by_day);
    for (int i = 0; i < BY_COUNT(rt->by_day); i++)
        any_weekday |= icalrecurrencetype_day_position(rt->by_day[i]) == 0;
    if (!any_weekday) return false;
    for (int leap = 0; leap < 2; leap++)
        for (int m = 1, doy = 1; m <= 12; m++)
            for (int d = 1; d <= month_length(leap, m); d++, doy++)
                if ((!BY_COUNT(rt->by_month) || BY_HAS(rt->by_month, m)) &&
                    (!BY_COUNT(rt->by_month_day) || BY_HAS(rt->by_month_day, d)) &&
                    (!BY_COUNT(rt->by_year_day) || BY_HAS(rt->by_year_day, doy)))
                    return true;
    return false;
}

bool jade_rule_can_give(const struct icalrecurrencetype *rt, int start_year, int start_month,
                        int start_day)
{
    switch (rt->freq) {
    case ICAL_MONTHLY_RECURRENCE:
        return monthly_gives(rt, start_year, start_month, start_day);
    case ICAL_YEARLY_RECURRENCE:
        return yearly_gives(rt, start_year, start_month, start_day);
    case ICAL_HOURLY_RECURRENCE:
    case ICAL_DAILY_RECURRENCE:
        return some_date_passes(rt);
    default:
        return true; /* WEEKLY: every month has every weekday */
    }
}

/* ---- the cost ------------------------------------------------------------ */

int64_t jade_rule_steps(const struct icalrecurrencetype *rt, int64_t first, int64_t last)
{
    int64_t period;
    switch (rt->freq) {
    case ICAL_HOURLY_RECURRENCE:
        period = 3600;
        break;
    case ICAL_DAILY_RECURRENCE:
        period = 86400;
        break;
    case ICAL_WEEKLY_RECURRENCE:
        period = 7 * 86400;
        break;
    case ICAL_MONTHLY_RECURRENCE:
        period = 28 * 86400; /* the shortest month: never fewer periods than there are */
        break;
    default:
        period = 365 * 86400;
        break;
    }
    if (last < first) return 0;
    int64_t periods = (last - first) / (period * (rt->interval > 0 ? rt->interval : 1)) + 1;
    /* The times each period holds: the lists that add times to it (BYHOUR
     * only filters an HOURLY rule's hours), and at most its days. */
#define AT_LEAST_1(n) ((n) > 0 ? (int64_t)(n) : 1)
    int64_t each = AT_LEAST_1(BY_COUNT(rt->by_second)) * AT_LEAST_1(BY_COUNT(rt->by_minute));
    if (rt->freq != ICAL_HOURLY_RECURRENCE) each *= AT_LEAST_1(BY_COUNT(rt->by_hour));
    int64_t days = 1;
    if (rt->freq == ICAL_WEEKLY_RECURRENCE) days = AT_LEAST_1(BY_COUNT(rt->by_day));
    if (rt->freq == ICAL_MONTHLY_RECURRENCE || rt->freq == ICAL_YEARLY_RECURRENCE) {
        days = rt->freq == ICAL_MONTHLY_RECURRENCE ? 31 : 366;
        int64_t listed = BY_COUNT(rt->by_set_pos);
        if (!listed && !BY_COUNT(rt->by_day))
            listed = BY_COUNT(rt->by_year_day) ? BY_COUNT(rt->by_year_day)
                                               : AT_LEAST_1(BY_COUNT(rt->by_month_day)) *
                                                     (rt->freq == ICAL_YEARLY_RECURRENCE
                                                          ? AT_LEAST_1(BY_COUNT(rt->by_month))
                                                          : 1);
        if (listed && listed < days) days = listed;
    }
#undef AT_LEAST_1
    return periods * days * each;
}
