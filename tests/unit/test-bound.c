/* test-bound.c - what a rule can give, and what expanding it costs
 * (core/schedule/bound.c), against libical itself.
 *
 * bound.c expands each kind of month (its length, the weekday of its
 * first day) and each kind of year (leap or not, the weekday of 1 January)
 * as libical does. Generated rules check that month by month and year by
 * year: a MONTHLY rule stepping 4800 months (400 years) at a time visits a
 * single kind of month, the one it starts in, so bound.c says whether that
 * month gives a day; libical, asked for the first time of the same rule
 * stepping one month at a time from the first of that month, must give one
 * in that month exactly then. Only rules bound.c says give something are
 * handed to libical, which is quick with them. */
#include "test.h"

#include "schedule/schedule.h"

#include <libical/ical.h>
#include <stdint.h>
#include <stdlib.h>

static uint32_t seed = 12345;

static uint32_t next_random(uint32_t below)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % below;
}

static const char *pick(const char *const *from, size_t n)
{
    return from[next_random((uint32_t)n)];
}

/* A BY list of 0 to most values from a pool, e.g. ";BYMONTHDAY=31,-1". */
static void add_list(char *rule, size_t size, const char *name, const char *const *pool, size_t n,
                     uint32_t most)
{
    uint32_t count = next_random(most + 1);
    for (uint32_t i = 0; i < count; i++) {
        size_t len = strlen(rule);
        snprintf(rule + len, size - len, "%s%s", i ? "," : name, pick(pool, n));
    }
}

#define N(a) (sizeof(a) / sizeof *(a))

static void random_rule(char *rule, size_t size, bool yearly)
{
    static const char *const monthdays[] = {"1",  "13", "15", "28",  "29",  "30",
                                            "31", "-1", "-2", "-29", "-30", "-31"};
    static const char *const monthly_days[] = {"MO",  "FR",  "SU",   "1MO",  "2TU",  "4WE",
                                               "5TH", "5SA", "-1FR", "-5MO", "-2SU", "3FR"};
    static const char *const yearly_days[] = {"MO",   "SA",   "1MO",   "20WE",  "52FR",
                                              "53TH", "-1SU", "-53MO", "-52TU", "5FR"};
    static const char *const months[] = {"1", "2", "4", "6", "7", "9", "11", "12"};
    static const char *const setpos[] = {"1", "2", "3", "5", "-1", "-2", "-5", "30"};
    static const char *const yeardays[] = {"1", "60", "100", "365", "366", "-1", "-366", "-300"};
    snprintf(rule, size, "FREQ=%s", yearly ? "YEARLY" : "MONTHLY");
    add_list(rule, size, ";BYMONTH=", months, N(months), 2);
    if (yearly && !strstr(rule, "BYMONTH") && next_random(3) == 0)
        add_list(rule, size, ";BYYEARDAY=", yeardays, N(yeardays), 2);
    else
        add_list(rule, size, ";BYMONTHDAY=", monthdays, N(monthdays), 3);
    if (yearly)
        add_list(rule, size, ";BYDAY=", yearly_days, N(yearly_days), 3);
    else
        add_list(rule, size, ";BYDAY=", monthly_days, N(monthly_days), 3);
    add_list(rule, size, ";BYSETPOS=", setpos, N(setpos), 2);
}

static void periods_give_what_libical_gives(bool yearly)
{
    int compared = 0, given = 0;
    for (int r = 0; r < 400; r++) {
        char rule[256];
        random_rule(rule, sizeof rule, yearly);
        struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule);
        if (rt.freq == ICAL_NO_RECURRENCE || !jade_rule_can_give(&rt, 2026, 1, 1)) continue;
        for (int p = 0; p < 6; p++) {
            int year = 1990 + (int)next_random(420), month = yearly ? 1 : 1 + (int)next_random(12);
            struct icaltimetype dtstart = icaltime_null_time();
            dtstart.year = year, dtstart.month = month, dtstart.day = 1;
            icalrecur_iterator *it = icalrecur_iterator_new(rt, dtstart);
            if (!it) break; /* libical refuses the rule */
            struct icaltimetype first = icalrecur_iterator_next(it);
            icalrecur_iterator_free(it);
            icalerror_clear_errno();
            if (icaltime_is_null_time(first)) {
                printf("#   %s from %04d-%02d: libical gives nothing\n", rule, year, month);
                CHECK(0);
                continue;
            }
            bool libical_gives = first.year == year && (yearly || first.month == month);
            struct icalrecurrencetype one = rt;
            one.interval = yearly ? 400 : 400 * 12; /* this kind of period only */
            bool gives = jade_rule_can_give(&one, year, month, 1);
            if (gives != libical_gives) {
                printf("#   %s in %04d-%02d: bound.c %s, libical's first is %s\n", rule, year,
                       month, gives ? "gives" : "gives nothing", icaltime_as_ical_string(first));
                CHECK(0);
            }
            compared++;
            given += gives;
        }
    }
    /* Enough of both answers to mean something. */
    printf("# %d periods compared, %d give a day\n", compared, given);
    CHECK(compared > 500);
    CHECK(given > 100 && compared - given > 100);
}

static void months_give_what_libical_gives(void)
{
    periods_give_what_libical_gives(false);
}

static void years_give_what_libical_gives(void)
{
    periods_give_what_libical_gives(true);
}

static bool can_give(const char *rule, int year, int month, int day)
{
    struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule);
    CHECK(rt.freq != ICAL_NO_RECURRENCE);
    return jade_rule_can_give(&rt, year, month, day);
}

static void rules_that_never_give_a_time(void)
{
    /* Ordinals a month does not hold; a day no month has. */
    CHECK(!can_give("FREQ=MONTHLY;BYDAY=+53MO,-53FR;BYHOUR=9", 2026, 12, 2));
    CHECK(!can_give("FREQ=MONTHLY;BYDAY=6MO", 2026, 12, 2));
    CHECK(!can_give("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", 2026, 12, 2));
    CHECK(!can_give("FREQ=HOURLY;BYMONTH=4,6;BYMONTHDAY=31", 2026, 12, 2));
    CHECK(!can_give("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 2026, 12, 2));
    /* The first Monday is never the 15th; two days in a row are never both Mondays. */
    CHECK(!can_give("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15", 2026, 12, 2));
    CHECK(!can_give("FREQ=MONTHLY;BYMONTHDAY=1,2;BYDAY=MO;BYSETPOS=2", 2026, 12, 2));
    /* DAILY compares weekdays as values: an ordinal never matches (as in libical). */
    CHECK(!can_give("FREQ=DAILY;BYDAY=1MO", 2026, 12, 2));
    /* Every 12 months from February: always February. Every 4 years from
     * an odd year: never a leap year. */
    CHECK(!can_give("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", 2027, 2, 1));
    CHECK(!can_give("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", 2027, 1, 1));
}

static void rules_that_give_a_time(void)
{
    CHECK(can_give("FREQ=WEEKLY;BYDAY=FR;BYHOUR=12", 2026, 12, 4));
    CHECK(can_give("FREQ=MONTHLY;BYDAY=5MO", 2026, 12, 2));
    CHECK(can_give("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", 2026, 12, 2));
    CHECK(can_give("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", 2026, 12, 2));
    CHECK(can_give("FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", 2026, 12, 2));
    CHECK(can_give("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", 2026, 12, 2));
    CHECK(can_give("FREQ=HOURLY;BYYEARDAY=366", 2026, 12, 2));
    CHECK(can_give("FREQ=YEARLY;BYYEARDAY=-366;BYDAY=MO", 2026, 12, 2));
    /* Without BYMONTHDAY, the start's day: the 31st of every month that has one. */
    CHECK(can_give("FREQ=MONTHLY", 2027, 1, 31));
    /* The same phases as above, started where they hit. */
    CHECK(can_give("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", 2027, 1, 1));
    CHECK(can_give("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", 2028, 1, 1));
}

static int64_t steps(const char *rule, int64_t days)
{
    struct icalrecurrencetype rt = icalrecurrencetype_from_string(rule);
    return jade_rule_steps(&rt, 0, days * 86400);
}

static void steps_count_the_times_looked_at(void)
{
    /* Every hour, however few are kept; every day, times its hours. */
    CHECK_INT_EQ(steps("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29", 10), 241);
    CHECK_INT_EQ(steps("FREQ=HOURLY;BYMINUTE=0,30", 1), 50);
    CHECK_INT_EQ(steps("FREQ=HOURLY;BYHOUR=9,18", 1), 25); /* BYHOUR only filters the hours */
    CHECK_INT_EQ(steps("FREQ=DAILY;BYHOUR=9,18;BYMINUTE=0,15,30", 9), 60);
    CHECK_INT_EQ(steps("FREQ=DAILY;INTERVAL=2", 9), 5);
    CHECK_INT_EQ(steps("FREQ=WEEKLY;BYDAY=MO,WE,FR", 14), 9);
    /* A month or a year holds at most its days, or what its lists name. */
    CHECK_INT_EQ(steps("FREQ=MONTHLY;BYDAY=MO", 56), 3 * 31);
    CHECK_INT_EQ(steps("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", 56), 3);
    CHECK_INT_EQ(steps("FREQ=YEARLY;BYMONTH=3,6;BYMONTHDAY=8", 365), 2 * 2);
    CHECK_INT_EQ(steps("FREQ=YEARLY;BYDAY=MO", 1), 366);
    struct icalrecurrencetype daily = icalrecurrencetype_from_string("FREQ=DAILY");
    CHECK_INT_EQ(jade_rule_steps(&daily, 10, 0), 0); /* nothing to look at */
}

int main(void)
{
    RUN(rules_that_never_give_a_time);
    RUN(rules_that_give_a_time);
    RUN(months_give_what_libical_gives);
    RUN(years_give_what_libical_gives);
    RUN(steps_count_the_times_looked_at);
    return test_done();
}
