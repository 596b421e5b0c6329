/* timeparse.h - strict parsing of the time formats jade reads, time zone
 * conversion (through libical's copy of the IANA database), and the two
 * formats jade writes.
 *
 * Content times are RFC 3339 date-times whose seconds and offset may be left
 * out: "2026-12-01T09:00" is local time of the channel it is published on,
 * "2026-12-01T09:00Z" and "2026-12-01T09:00+01:00" are absolute. */
#ifndef JADE_TIMEPARSE_H
#define JADE_TIMEPARSE_H

#include <stdbool.h>
#include <stdint.h>

struct jade_time {
    int year, month, day, hour, minute, second;
    bool has_offset;
    int offset_minutes; /* east of UTC, when has_offset */
};

/* Each returns 0 on success, -1 when s is not exactly of the format. out
 * may be NULL. */
int jade_time_parse_rfc3339(const char *s, struct jade_time *out);
int jade_time_parse_content(const char *s, struct jade_time *out);
int jade_time_parse_date(const char *s, struct jade_time *out);
/* RFC 3339 full-time (HH:MM:SS[.frac] and, with with_offset, Z or ±HH:MM). */
int jade_time_parse_time_of_day(const char *s, bool with_offset, struct jade_time *out);
/* "HH:MM", as in quiet hours; minutes since midnight. */
int jade_time_parse_hhmm(const char *s, int *minutes);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t jade_days_from_civil(int y, int m, int d);
void jade_civil_from_days(int64_t days, int *y, int *m, int *d);

/* The libical zone named name, or NULL; found once, then remembered. */
struct _icaltimezone;
struct _icaltimezone *jade_tz_find(const char *name);
/* True when name is a time zone of the IANA database. */
bool jade_tz_exists(const char *name);
/* Seconds since the epoch of t: its own offset if it has one, else local
 * time in zone tz. Returns -1 when tz is unknown. */
int jade_time_to_unix(const struct jade_time *t, const char *tz, int64_t *out);
/* The offset from UTC, in seconds, of zone tz at the instant t. */
int jade_tz_offset(int64_t t, const char *tz, int *seconds);
/* Wall-clock time in zone tz (NULL: UTC) of the instant unix. */
int jade_time_from_unix(int64_t unix_time, const char *tz, struct jade_time *out);

/* "YYYY-MM-DDTHH:MM:SSZ" */
void jade_format_utc(int64_t t, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS+HH:MM" in zone tz */
void jade_format_local(int64_t t, const char *tz, char out[40]);

#endif
