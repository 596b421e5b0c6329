/* test-metrics.c - the Prometheus exposition (run/metrics.c): label
 * escaping, histogram buckets, what each event counts, and the answer to
 * GET, HEAD and other methods. */
#include "run/channels.h"
#include "run/host.h"
#include "run/metrics.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static void check_escaped(const char *value, const char *want)
{
    struct jade_buf b = {0};
    jade_metrics_escape_label(&b, value);
    CHECK_STR_EQ(jade_buf_str(&b), want);
    jade_buf_free(&b);
}

static void test_escape_label(void)
{
    check_escaped("outbox", "outbox");
    check_escaped("a\\b", "a\\\\b");
    check_escaped("say \"hi\"", "say \\\"hi\\\"");
    check_escaped("two\nlines", "two\\nlines");
    check_escaped("\\\"\n", "\\\\\\\"\\n");
    check_escaped("tab\tstays", "tab\tstays"); /* only these three are escaped */
    check_escaped("Ségou", "Ségou");
    check_escaped("bad\xff!", "bad\xef\xbf\xbd!"); /* not UTF-8: U+FFFD */
    check_escaped("\xc3", "\xef\xbf\xbd");         /* cut in the middle of a character */
    check_escaped("", "");
}

static const double bounds[] = {0.01, 0.1, 1};

static void test_histogram_observe(void)
{
    struct jade_histogram h;
    jade_histogram_init(&h, bounds, 3);
    jade_histogram_observe(&h, 0.005);
    jade_histogram_observe(&h, 0.01); /* on a bound: in its bucket (le) */
    jade_histogram_observe(&h, 0.5);
    jade_histogram_observe(&h, 7);
    jade_histogram_observe(&h, -3);  /* a clock that went back: 0 */
    jade_histogram_observe(&h, NAN); /* never poisons the sum */
    CHECK_INT_EQ(h.buckets[0], 4);
    CHECK_INT_EQ(h.buckets[1], 0);
    CHECK_INT_EQ(h.buckets[2], 1);
    CHECK_INT_EQ(h.buckets[3], 1);
    CHECK_INT_EQ(h.count, 6);
    CHECK(fabs(h.sum - 7.515) < 1e-9);
}

static void test_histogram_too_many_bounds(void)
{
    double many[JADE_HISTOGRAM_MAX_BOUNDS + 5];
    for (size_t i = 0; i < sizeof many / sizeof *many; i++) many[i] = (double)i + 1;
    struct jade_histogram h;
    jade_histogram_init(&h, many, sizeof many / sizeof *many);
    CHECK_INT_EQ(h.n_bounds, JADE_HISTOGRAM_MAX_BOUNDS);
    jade_histogram_observe(&h, 1e9);
    CHECK_INT_EQ(h.buckets[JADE_HISTOGRAM_MAX_BOUNDS], 1);
}

/* Two networks, the second with a name that needs escaping. */
static struct jade_plugin plugins[2];
static struct jade_instance nets[2];

static void setup(struct jade_metrics *m)
{
    plugins[0].name = "outbox";
    plugins[1].name = "odd \"net\"\\";
    nets[0].plugin = &plugins[0];
    nets[1].plugin = &plugins[1];
    jade_metrics_init(m, NULL, "/nonexistent", nets, 2);
}

static char *rendered(const struct jade_metrics *m, size_t suspended, size_t inflight)
{
    struct jade_buf b = {0};
    struct jade_metrics_live live = {suspended, inflight};
    jade_metrics_render(m, &live, &b);
    return jade_buf_steal(&b);
}

/* The value of a sample (its name and labels, whole), or -1. */
static double sample(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = text; line && *line;) {
        if (!strncmp(line, name, n) && line[n] == ' ') return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        if (line) line++;
    }
    return -1;
}

static void test_render_counts(void)
{
    struct jade_metrics m;
    setup(&m);
    jade_metrics_answered(&m, &nets[0], JADE_OUTCOME_SENT);
    jade_metrics_answered(&m, &nets[0], JADE_OUTCOME_SENT);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_SENT);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_PERMANENT);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_TRANSIENT);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_RETRY_AFTER);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_AUTH_FAILED);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_UNKNOWN);
    jade_metrics_answered(&m, &nets[1], JADE_OUTCOME_NOT_FOUND); /* sent again: no failure */
    jade_metrics_answered(&m, NULL, JADE_OUTCOME_SENT);          /* no plugin: nowhere */
    jade_metrics_settled(&m, &nets[0], JADE_MISSED);
    jade_metrics_settled(&m, &nets[0], JADE_CANCELLED); /* not a failure */
    jade_metrics_synced(&m, JADE_SYNC_FAILED, 250);
    jade_metrics_synced(&m, JADE_SYNC_REFUSED, 10);
    jade_metrics_synced(&m, JADE_SYNC_ADOPT, 10);
    jade_metrics_reloaded(&m, true, 0.2);
    jade_metrics_reloaded(&m, false, 0);
    char *t = rendered(&m, 2, 5);
    CHECK_INT_EQ(sample(t, "jade_publications_total{network=\"outbox\"}"), 2);
    CHECK_INT_EQ(sample(t, "jade_publications_total{network=\"odd \\\"net\\\"\\\\\"}"), 1);
    static const char *const reasons[] = {"permanent", "transient", "retry_after", "auth_failed",
                                          "unknown"};
    for (size_t i = 0; i < 5; i++) {
        char name[160];
        snprintf(name, sizeof name,
                 "jade_publication_failures_total{network=\"odd \\\"net\\\"\\\\\",reason=\"%s\"}",
                 reasons[i]);
        CHECK_INT_EQ(sample(t, name), 1);
        snprintf(name, sizeof name,
                 "jade_publication_failures_total{network=\"outbox\",reason=\"%s\"}", reasons[i]);
        CHECK_INT_EQ(sample(t, name), 0);
    }
    CHECK_INT_EQ(sample(t, "jade_publication_failures_total{network=\"outbox\",reason=\"missed\"}"),
                 1);
    CHECK_INT_EQ(sample(t, "jade_fetch_failures_total"), 1);
    CHECK_INT_EQ(sample(t, "jade_fetch_duration_seconds_count"), 3);
    CHECK(fabs(sample(t, "jade_fetch_duration_seconds_sum") - 0.27) < 1e-9);
    CHECK_INT_EQ(sample(t, "jade_reload_failures_total{reason=\"refused\"}"), 1);
    CHECK_INT_EQ(sample(t, "jade_reload_failures_total{reason=\"ledger\"}"), 1);
    CHECK_INT_EQ(sample(t, "jade_reload_duration_seconds_count"), 1);
    CHECK_INT_EQ(sample(t, "jade_channels_suspended"), 2);
    CHECK_INT_EQ(sample(t, "jade_requests_in_flight"), 5);
    CHECK_INT_EQ(sample(t, "jade_build_info{version=\"" JADE_VERSION "\"}"), 1);
    CHECK(sample(t, "process_start_time_seconds") > 1.7e9);
    /* not read from the ledger yet: the gauge has no samples */
    CHECK(!strstr(t, "jade_occurrences{"));
    free(t);
    m.have_occurrences = true;
    m.occurrences[JADE_PLANNED] = 100000;
    m.occurrences[JADE_SENT] = 3;
    t = rendered(&m, 0, 0);
    CHECK_INT_EQ(sample(t, "jade_occurrences{state=\"planned\"}"), 100000);
    CHECK_INT_EQ(sample(t, "jade_occurrences{state=\"sent\"}"), 3);
    CHECK_INT_EQ(sample(t, "jade_occurrences{state=\"retracted\"}"), 0);
    free(t);
    jade_metrics_free(&m);
}

/* The lateness histogram as rendered: cumulative, ending in +Inf = count;
 * only first attempts. */
static void test_render_histogram(void)
{
    struct jade_metrics m;
    setup(&m);
    jade_metrics_leaving(&m, 1, 0.0004);
    jade_metrics_leaving(&m, 1, 0.003);
    jade_metrics_leaving(&m, 1, 42);
    jade_metrics_leaving(&m, 1, 1e7);
    jade_metrics_leaving(&m, 2, 0.001); /* a retry: late by design, not counted */
    char *t = rendered(&m, 0, 0);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"0.001\"}"), 1);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"0.0025\"}"), 1);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"0.005\"}"), 2);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"30\"}"), 2);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"60\"}"), 3);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"3600\"}"), 3);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_bucket{le=\"+Inf\"}"), 4);
    CHECK_INT_EQ(sample(t, "jade_lateness_seconds_count"), 4);
    CHECK(fabs(sample(t, "jade_lateness_seconds_sum") - 10000042.0034) < 1e-6);
    /* every bucket's count at least the one before it */
    double last = 0;
    int buckets = 0;
    for (const char *p = strstr(t, "jade_lateness_seconds_bucket"); p;
         p = strstr(p + 1, "jade_lateness_seconds_bucket")) {
        double v = strtod(strchr(p, ' ') + 1, NULL);
        CHECK(v >= last);
        last = v;
        buckets++;
    }
    CHECK_INT_EQ(buckets, 17);
    free(t);
    jade_metrics_free(&m);
}

/* Every family has its HELP and TYPE before its samples, once. */
static void test_render_families(void)
{
    struct jade_metrics m;
    setup(&m);
    m.have_occurrences = true;
    char *body = rendered(&m, 0, 0);
    char *t = jade_xasprintf("\n%s", body); /* each line after a line end */
    free(body);
    static const char *const families[][2] = {
        {"jade_build_info", "gauge"},
        {"process_start_time_seconds", "gauge"},
        {"jade_occurrences", "gauge"},
        {"jade_publications_total", "counter"},
        {"jade_publication_failures_total", "counter"},
        {"jade_lateness_seconds", "histogram"},
        {"jade_ledger_commit_duration_seconds", "histogram"},
        {"jade_fetch_duration_seconds", "histogram"},
        {"jade_fetch_failures_total", "counter"},
        {"jade_reload_duration_seconds", "histogram"},
        {"jade_reload_failures_total", "counter"},
        {"jade_channels_suspended", "gauge"},
        {"jade_requests_in_flight", "gauge"},
    };
    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        char help[96], type[96], first[96];
        snprintf(help, sizeof help, "\n# HELP %s ", families[i][0]);
        snprintf(type, sizeof type, "\n# TYPE %s %s\n", families[i][0], families[i][1]);
        snprintf(first, sizeof first, "\n%s", families[i][0]);
        const char *h = strstr(t, help), *ty = strstr(t, type), *s = strstr(t, first);
        CHECK(h != NULL);
        CHECK(ty != NULL);
        CHECK(s != NULL);
        if (h && ty && s) CHECK(h < ty && ty < s);
        if (ty) CHECK(!strstr(ty + 1, type)); /* once */
    }
    CHECK(t[strlen(t) - 1] == '\n');
    free(t);
    jade_metrics_free(&m);
}

static void test_serve_methods(void)
{
    struct jade_metrics m;
    setup(&m);
    struct jade_channel a = {.suspended = true}, b = {.suspended = true, .removed = true}, c = {0};
    struct jade_channel *items[] = {&a, &b, &c};
    struct jade_channels channels = {.items = items, .count = 3};
    const char *methods[] = {"GET", "HEAD", "POST", "DELETE"};
    for (size_t i = 0; i < 4; i++) {
        struct jade_admin_request req = {.method = methods[i], .path = "/metrics", .query = ""};
        struct jade_admin_response res = {200, "text/plain; charset=utf-8", NULL, {0}};
        jade_metrics_serve(&m, &channels, 1, NULL, &req, &res);
        if (i < 2) {
            CHECK_INT_EQ(res.status, 200);
            CHECK_STR_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
            /* a removed channel's suspension no longer counts */
            CHECK_INT_EQ(sample(jade_buf_str(&res.body), "jade_channels_suspended"), 1);
            CHECK_INT_EQ(sample(jade_buf_str(&res.body), "jade_requests_in_flight"), 1);
        } else {
            CHECK_INT_EQ(res.status, 405);
            CHECK_STR_EQ(res.allow, "GET, HEAD");
        }
        jade_buf_free(&res.body);
    }
    jade_metrics_free(&m);
}

int main(void)
{
    RUN(test_escape_label);
    RUN(test_histogram_observe);
    RUN(test_histogram_too_many_bounds);
    RUN(test_render_counts);
    RUN(test_render_histogram);
    RUN(test_render_families);
    RUN(test_serve_methods);
    return test_done();
}
