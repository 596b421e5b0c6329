/* log.c - the service's log for operators (see log.h). */
#include "log.h"

#include "buf.h"
#include "escape.h"
#include "timeparse.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const char priorities[] = {'3', '4', '6', '7'}; /* syslog's err, warning, info, debug */

/* JOURNAL_STREAM holds "device:inode" of the stream systemd connected to
 * the journal; stderr may since have been redirected elsewhere. */
static bool is_journal(FILE *out)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    if (!js || !out || fstat(fileno(out), &st) != 0) return false;
    char *end;
    unsigned long long dev = strtoull(js, &end, 10);
    if (end == js || *end != ':') return false;
    const char *ino_text = end + 1;
    unsigned long long ino = strtoull(ino_text, &end, 10);
    return end != ino_text && *end == '\0' && dev == (unsigned long long)st.st_dev &&
           ino == (unsigned long long)st.st_ino;
}

void jade_log_init(struct jade_log *log, FILE *out, enum jade_log_level level)
{
    *log = (struct jade_log){.out = out, .level = level, .journal = is_journal(out)};
}

int jade_log_level_parse(const char *name, enum jade_log_level *level)
{
    for (size_t i = 0; name && i < sizeof level_names / sizeof *level_names; i++)
        if (!strcmp(name, level_names[i])) {
            *level = (enum jade_log_level)i;
            return 0;
        }
    return -1;
}

bool jade_log_enabled(const struct jade_log *log, enum jade_log_level level)
{
    return log && log->out && level <= log->level && (unsigned)level <= JADE_LOG_DEBUG;
}

/* A value: escaped so nothing in it steers a terminal or ends the line,
 * then quoted when a logfmt reader would otherwise split or misread it. */
static void append_value(struct jade_buf *b, const char *value)
{
    struct jade_buf shown = {0};
    jade_escape(&shown, value, strlen(value), JADE_KEEP_NOTHING);
    const char *s = jade_buf_str(&shown);
    if (shown.len && !strpbrk(s, " =\"\\")) {
        jade_buf_append(b, s, shown.len);
    } else {
        jade_buf_append(b, "\"", 1);
        for (size_t i = 0; i < shown.len; i++) {
            if (s[i] == '"' || s[i] == '\\') jade_buf_append(b, "\\", 1);
            jade_buf_append(b, s + i, 1);
        }
        jade_buf_append(b, "\"", 1);
    }
    jade_buf_free(&shown);
}

void jade_log(const struct jade_log *log, enum jade_log_level level, const char *event, ...)
{
    if (!jade_log_enabled(log, level)) return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    time_t secs = now.tv_sec;
    char ts[40] = "";
    if (gmtime_r(&secs, &tm)) strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    struct jade_buf b = {0};
    if (log->journal) jade_buf_printf(&b, "<%c>", priorities[level]);
    jade_buf_printf(&b, "ts=%s.%03ldZ level=%s", ts, now.tv_nsec / 1000000, level_names[level]);
    if (log->sim_now) jade_buf_printf(&b, " at=%s", JADE_LOG_TIME(log->sim_now(log->sim_ctx)));
    jade_buf_puts(&b, " event=");
    append_value(&b, event);
    va_list ap;
    va_start(ap, event);
    for (const char *key; (key = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        if (!value) continue;
        jade_buf_printf(&b, " %s=", key);
        append_value(&b, value);
    }
    va_end(ap);
    jade_buf_append(&b, "\n", 1);
    fwrite(jade_buf_str(&b), 1, b.len, log->out); /* one write: lines of threads do not mix */
    fflush(log->out);
    jade_buf_free(&b);
}

const char *jade_log_int(char out[24], long long v)
{
    snprintf(out, 24, "%lld", v);
    return out;
}

const char *jade_log_time(char out[32], int64_t t)
{
    jade_format_utc(t, out);
    return out;
}

const char *jade_log_ms(char out[32], double ms)
{
    snprintf(out, 32, "%.1f", ms);
    return out;
}

const char *jade_log_url(const char *url, char out[JADE_LOG_URL_MAX])
{
    if (!url) return NULL;
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t authority = strcspn(host, "/?#");
    /* user:password@ never shows: the host is what follows the last '@' */
    const char *at = NULL;
    for (const char *p = host; p < host + authority; p++)
        if (*p == '@') at = p;
    const char *from = at ? at + 1 : host;
    size_t path = strcspn(host + authority, "?#");
    snprintf(out, JADE_LOG_URL_MAX, "%.*s%.*s%.*s", scheme ? (int)(host - url) : 0, url,
             (int)(host + authority - from), from, (int)path, host + authority);
    return out;
}
