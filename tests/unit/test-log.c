/* test-log.c - the operators' log: logfmt lines, quoting, escaping, levels,
 * the journal's priorities, simulated time, URLs without their secrets. */
#include "test.h"

#include "util/log.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the log file holds. */
static char written[4096];

static FILE *open_log(struct jade_log *log, enum jade_log_level level)
{
    FILE *f = tmpfile();
    jade_log_init(log, f, level);
    return f;
}

static const char *read_log(FILE *f)
{
    rewind(f);
    size_t n = fread(written, 1, sizeof written - 1, f);
    written[n] = '\0';
    fclose(f);
    return written;
}

/* The line without its ts= field (the wall clock), which is checked alone. */
static const char *after_ts(const char *line)
{
    const char *sp = strchr(line, ' ');
    return sp ? sp + 1 : "";
}

static void lines_are_logfmt(void)
{
    struct jade_log log;
    FILE *f = open_log(&log, JADE_LOG_INFO);
    jade_log(&log, JADE_LOG_INFO, "published", "key", "3f2a", "channel", "fb-gao", "network_id",
             NULL, "attempt", JADE_LOG_INT(2), NULL);
    const char *line = read_log(f);
    CHECK(!strncmp(line, "ts=", 3));
    /* ts=2026-11-30T23:40:01.123Z */
    CHECK_INT_EQ(strcspn(line, " "), 27);
    CHECK_INT_EQ(line[26], 'Z');
    CHECK_INT_EQ(line[22], '.');
    CHECK_STR_EQ(after_ts(line), "level=info event=published key=3f2a channel=fb-gao attempt=2\n");
}

static void values_are_quoted_and_escaped(void)
{
    struct jade_log log;
    FILE *f = open_log(&log, JADE_LOG_DEBUG);
    jade_log(&log, JADE_LOG_WARNING, "retry", "error", "HTTP 500: \"busy\" a=b", "path", "C:\\x",
             "empty", "", "esc", "\x1b]0;owned\x07\nlevel=error", "bad", "caf\xc3", "ok",
             "Bamako \xc9\x9b", NULL);
    CHECK_STR_EQ(after_ts(read_log(f)),
                 "level=warning event=retry error=\"HTTP 500: \\\"busy\\\" a=b\" "
                 "path=\"C:\\\\x\" empty=\"\" esc=\"\\\\x1b]0;owned\\\\x07\\\\x0alevel=error\" "
                 "bad=\"caf\\\\xc3\" ok=\"Bamako \xc9\x9b\"\n");
}

static void levels_filter(void)
{
    struct jade_log log;
    FILE *f = open_log(&log, JADE_LOG_WARNING);
    jade_log(&log, JADE_LOG_INFO, "published", NULL);
    jade_log(&log, JADE_LOG_DEBUG, "wake", NULL);
    jade_log(&log, JADE_LOG_ERROR, "failed", NULL);
    CHECK_STR_EQ(after_ts(read_log(f)), "level=error event=failed\n");
    jade_log(NULL, JADE_LOG_ERROR, "nowhere", NULL); /* a NULL log: nothing, no crash */
    enum jade_log_level level = JADE_LOG_ERROR;
    CHECK_INT_EQ(jade_log_level_parse("debug", &level), 0);
    CHECK_INT_EQ(level, JADE_LOG_DEBUG);
    CHECK_INT_EQ(jade_log_level_parse("info", &level), 0);
    CHECK_INT_EQ(level, JADE_LOG_INFO);
    CHECK_INT_EQ(jade_log_level_parse("verbose", &level), -1);
    CHECK_INT_EQ(jade_log_level_parse(NULL, &level), -1);
}

static int64_t fixed_time(const void *ctx)
{
    return *(const int64_t *)ctx;
}

static void simulated_time_is_given(void)
{
    struct jade_log log;
    FILE *f = open_log(&log, JADE_LOG_INFO);
    int64_t t = 1796083200; /* 2026-12-01T00:00:00Z */
    log.sim_now = fixed_time;
    log.sim_ctx = &t;
    jade_log(&log, JADE_LOG_INFO, "stop", "sent", JADE_LOG_INT(3), NULL);
    CHECK_STR_EQ(after_ts(read_log(f)), "level=info at=2026-12-01T00:00:00Z event=stop sent=3\n");
}

/* stderr is the journal when JOURNAL_STREAM names its device and inode. */
static void journal_lines_carry_priorities(void)
{
    static const char *const want[] = {"<3>", "<4>", "<6>", "<7>"};
    for (int level = JADE_LOG_ERROR; level <= JADE_LOG_DEBUG; level++) {
        FILE *f = tmpfile();
        struct stat st;
        fstat(fileno(f), &st);
        char js[64];
        snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", js, 1);
        struct jade_log log;
        jade_log_init(&log, f, JADE_LOG_DEBUG);
        CHECK(log.journal);
        jade_log(&log, (enum jade_log_level)level, "e", NULL);
        const char *line = read_log(f);
        CHECK(!strncmp(line, want[level], 3));
        CHECK(!strncmp(line + 3, "ts=", 3));
    }
    /* another stream's device and inode: no prefix */
    setenv("JOURNAL_STREAM", "1:2", 1);
    struct jade_log log;
    FILE *f = open_log(&log, JADE_LOG_INFO);
    CHECK(!log.journal);
    jade_log(&log, JADE_LOG_INFO, "e", NULL);
    CHECK(!strncmp(read_log(f), "ts=", 3));
    setenv("JOURNAL_STREAM", "garbage", 1);
    f = open_log(&log, JADE_LOG_INFO);
    CHECK(!log.journal);
    fclose(f);
    unsetenv("JOURNAL_STREAM");
}

static void urls_lose_what_can_carry_a_token(void)
{
    char out[JADE_LOG_URL_MAX];
    CHECK_STR_EQ(jade_log_url("https://user:s3cret@hooks.example.org:8443/p/1?token=abc#x", out),
                 "https://hooks.example.org:8443/p/1");
    CHECK_STR_EQ(jade_log_url("https://example.org?access_token=abc", out), "https://example.org");
    CHECK_STR_EQ(jade_log_url("https://a@b@example.org/x", out), "https://example.org/x");
    CHECK_STR_EQ(jade_log_url("https://www.facebook.com/123_456", out),
                 "https://www.facebook.com/123_456");
    CHECK(jade_log_url(NULL, out) == NULL);
}

int main(void)
{
    RUN(lines_are_logfmt);
    RUN(values_are_quoted_and_escaped);
    RUN(levels_filter);
    RUN(simulated_time_is_given);
    RUN(journal_lines_carry_priorities);
    RUN(urls_lose_what_can_carry_a_token);
    return test_done();
}
