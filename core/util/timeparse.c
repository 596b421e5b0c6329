/* timeparse.c - parsing and zone conversion of times (see timeparse.h). */
#include "timeparse.h"

#include <libical/ical.h>
#include <string.h>

static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

static bool expect(const char **p, char c)
{
    if (**p != c) return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int parse_date(const char **p, struct jade_time *t)
{
    t->year = digits(p, 4);
    if (t->year < 0 || !expect(p, '-')) return -1;
    t->month = digits(p, 2);
    if (t->month < 1 || t->month > 12 || !expect(p, '-')) return -1;
    t->day = digits(p, 2);
    if (t->day < 1 || t->day > days_in_month(t->year, t->month)) return -1;
    return 0;
}

static int parse_offset(const char **p, struct jade_time *t)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        t->has_offset = true;
        t->offset_minutes = 0;
        return 0;
    }
    if (**p != '+' && **p != '-') return -1;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    int h = digits(p, 2);
    if (h < 0 || h > 23 || !expect(p, ':')) return -1;
    int m = digits(p, 2);
    if (m < 0 || m > 59) return -1;
    t->has_offset = true;
    t->offset_minutes = sign * (h * 60 + m);
    return 0;
}

/* HH:MM, then :SS[.frac] (required when seconds_required). */
static int parse_clock(const char **p, struct jade_time *t, bool seconds_required)
{
    t->hour = digits(p, 2);
    if (t->hour < 0 || t->hour > 23 || !expect(p, ':')) return -1;
    t->minute = digits(p, 2);
    if (t->minute < 0 || t->minute > 59) return -1;
    t->second = 0;
    if (**p != ':') return seconds_required ? -1 : 0;
    (*p)++;
    t->second = digits(p, 2);
    if (t->second < 0 || t->second > 60) return -1; /* 60: a leap second */
    if (**p == '.') {
        (*p)++;
        if (**p < '0' || **p > '9') return -1;
        while (**p >= '0' && **p <= '9') (*p)++;
    }
    return 0;
}

static int finish(const char *p, const struct jade_time *t, struct jade_time *out)
{
    if (*p) return -1;
    if (out) *out = *t;
    return 0;
}

int jade_time_parse_rfc3339(const char *s, struct jade_time *out)
{
    struct jade_time t = {0};
    const char *p = s;
    if (parse_date(&p, &t) || (*p != 'T' && *p != 't')) return -1;
    p++;
    if (parse_clock(&p, &t, true) || parse_offset(&p, &t)) return -1;
    return finish(p, &t, out);
}

int jade_time_parse_content(const char *s, struct jade_time *out)
{
    struct jade_time t = {0};
    const char *p = s;
    if (parse_date(&p, &t) || *p != 'T') return -1;
    p++;
    if (parse_clock(&p, &t, false)) return -1;
    if (t.second == 60) return -1; /* schedules cannot name a leap second */
    if (*p && parse_offset(&p, &t)) return -1;
    return finish(p, &t, out);
}

int jade_time_parse_date(const char *s, struct jade_time *out)
{
    struct jade_time t = {0};
    const char *p = s;
    if (parse_date(&p, &t)) return -1;
    return finish(p, &t, out);
}

int jade_time_parse_time_of_day(const char *s, bool with_offset, struct jade_time *out)
{
    struct jade_time t = {0};
    const char *p = s;
    if (parse_clock(&p, &t, true)) return -1;
    if (with_offset && parse_offset(&p, &t)) return -1;
    return finish(p, &t, out);
}

int jade_time_parse_hhmm(const char *s, int *minutes)
{
    struct jade_time t = {0};
    const char *p = s;
    if (strlen(s) != 5 || parse_clock(&p, &t, false) || *p) return -1;
    *minutes = t.hour * 60 + t.minute;
    return 0;
}

/* Howard Hinnant's days_from_civil. */
int64_t jade_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool jade_tz_exists(const char *name)
{
    return name && *name && icaltimezone_get_builtin_timezone(name) != NULL;
}

int jade_time_to_unix(const struct jade_time *t, const char *tz, int64_t *out)
{
    if (t->has_offset) {
        int64_t days = jade_days_from_civil(t->year, t->month, t->day);
        *out = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second -
               (int64_t)t->offset_minutes * 60;
        return 0;
    }
    icaltimezone *zone = icaltimezone_get_builtin_timezone(tz);
    if (!zone) return -1;
    struct icaltimetype it = icaltime_null_time();
    it.year = t->year, it.month = t->month, it.day = t->day;
    it.hour = t->hour, it.minute = t->minute, it.second = t->second;
    it.is_date = 0;
    *out = (int64_t)icaltime_as_timet_with_zone(it, zone);
    return 0;
}

int jade_time_from_unix(int64_t unix_time, const char *tz, struct jade_time *out)
{
    icaltimezone *zone = icaltimezone_get_builtin_timezone(tz);
    if (!zone) return -1;
    struct icaltimetype it = icaltime_from_timet_with_zone((time_t)unix_time, 0, zone);
    memset(out, 0, sizeof *out);
    out->year = it.year, out->month = it.month, out->day = it.day;
    out->hour = it.hour, out->minute = it.minute, out->second = it.second;
    return 0;
}
