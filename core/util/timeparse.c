/* timeparse.c - parsing, zone conversion and formatting of times (see
 * timeparse.h). */
#include "timeparse.h"

#include <libical/ical.h>
#include <stdio.h>
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

/* libical finds a zone by a linear search over some 600 names; planning
 * asks for the same few zones again and again, so the last ones found are
 * remembered (per thread: libical's zones are shared and read-only). */
icaltimezone *jade_tz_find(const char *name)
{
    enum { SLOTS = 8 };
    static _Thread_local struct {
        char name[64];
        icaltimezone *zone;
    } cache[SLOTS];
    static _Thread_local unsigned next;
    if (!name || !*name || strlen(name) >= sizeof cache[0].name) return NULL;
    for (unsigned i = 0; i < SLOTS; i++)
        if (cache[i].zone && strcmp(cache[i].name, name) == 0) return cache[i].zone;
    icaltimezone *zone = icaltimezone_get_builtin_timezone(name);
    if (zone) {
        unsigned slot = next++ % SLOTS;
        memcpy(cache[slot].name, name, strlen(name) + 1); /* length checked above */
        cache[slot].zone = zone;
    }
    return zone;
}

void jade_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    /* Howard Hinnant's civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

bool jade_tz_exists(const char *name)
{
    return jade_tz_find(name) != NULL;
}

int jade_time_to_unix(const struct jade_time *t, const char *tz, int64_t *out)
{
    if (t->has_offset) {
        int64_t days = jade_days_from_civil(t->year, t->month, t->day);
        *out = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second -
               (int64_t)t->offset_minutes * 60;
        return 0;
    }
    icaltimezone *zone = jade_tz_find(tz);
    if (!zone) return -1;
    struct icaltimetype it = icaltime_null_time();
    it.year = t->year, it.month = t->month, it.day = t->day;
    it.hour = t->hour, it.minute = t->minute, it.second = t->second;
    it.is_date = 0;
    *out = (int64_t)icaltime_as_timet_with_zone(it, zone);
    return 0;
}

/* Zones change offset at most every few months, and always on a quarter
 * hour: the offset found for one quarter hour holds for all of it, so the
 * last one found is remembered (planning asks for the same ones in turn). */
int jade_tz_offset(int64_t t, const char *tz, int *seconds)
{
    static _Thread_local struct {
        icaltimezone *zone;
        int64_t quarter;
        int offset;
    } last;
    icaltimezone *zone = jade_tz_find(tz);
    if (!zone) return -1;
    int64_t quarter = t >= 0 ? t / 900 : (t - 899) / 900;
    if (last.zone != zone || last.quarter != quarter) {
        struct icaltimetype utc =
            icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
        int daylight = 0;
        last.offset = icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &daylight);
        last.zone = zone;
        last.quarter = quarter;
    }
    *seconds = last.offset;
    return 0;
}

int jade_time_from_unix(int64_t unix_time, const char *tz, struct jade_time *out)
{
    int offset = 0;
    if (tz && jade_tz_offset(unix_time, tz, &offset) != 0) return -1;
    int64_t local = unix_time + offset;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t secs = local - days * 86400;
    memset(out, 0, sizeof *out);
    jade_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    return 0;
}

void jade_format_utc(int64_t t, char out[32])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int y, m, d;
    jade_civil_from_days(days, &y, &m, &d);
    /* by hand: this runs once per occurrence, and snprintf is slow */
    int fields[6] = {y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)};
    static const char seps[6] = {'-', '-', 'T', ':', ':', 'Z'};
    char *p = out;
    for (int i = 0; i < 6; i++) {
        int v = fields[i] < 0 ? 0 : fields[i];
        if (i == 0) {
            *p++ = (char)('0' + v / 1000 % 10);
            *p++ = (char)('0' + v / 100 % 10);
        }
        *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = seps[i];
    }
    *p = '\0';
}

void jade_format_local(int64_t t, const char *tz, char out[40])
{
    struct jade_time local;
    int offset = 0;
    if (!tz || jade_tz_offset(t, tz, &offset) != 0) tz = NULL, offset = 0;
    jade_time_from_unix(t, tz, &local);
    int a = (offset < 0 ? -offset : offset) / 60;
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", local.year, local.month,
             local.day, local.hour, local.minute, local.second, offset < 0 ? '-' : '+', a / 60,
             a % 60);
}
