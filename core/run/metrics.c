/* metrics.c - the service's counters and their Prometheus exposition (see
 * metrics.h). */
#include "metrics.h"

#include "channels.h"
#include "host.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/utf8.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Buckets, seconds. Lateness: a precise run is late by milliseconds, a
 * busy one by seconds, an outage by minutes (up to the catch-up). */
static const double lateness_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25,
                                         0.5,   1,      2.5,   10,   30,   60,   300, 3600};
/* A commit is one fsync: milliseconds on a disk, seconds on a slow card. */
static const double commit_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
/* A fetch or a reload: from a local folder to a slow forge. */
static const double sync_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1,     2.5,  5,     10,   30,  60,   300};

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* ---- histograms ------------------------------------------------------------ */

void jade_histogram_init(struct jade_histogram *h, const double *bounds, size_t n_bounds)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n_bounds < JADE_HISTOGRAM_MAX_BOUNDS ? n_bounds : JADE_HISTOGRAM_MAX_BOUNDS;
}

void jade_histogram_observe(struct jade_histogram *h, double seconds)
{
    if (!(seconds > 0)) seconds = 0; /* and NaN */
    size_t i = 0;
    while (i < h->n_bounds && seconds > h->bounds[i]) i++;
    h->buckets[i]++;
    h->count++;
    h->sum += seconds;
}

/* ---- counting ------------------------------------------------------------------ */

static const char *const reason_names[JADE_N_FAILURE_REASONS] = {
    "retry_after", "transient", "permanent", "auth_failed", "unknown", "missed"};
static const char *const reload_failure_names[JADE_N_RELOAD_FAILURES] = {"refused", "ledger"};

const char *jade_failure_reason_name(enum jade_failure_reason r)
{
    return r < JADE_N_FAILURE_REASONS ? reason_names[r] : "?";
}

void jade_metrics_init(struct jade_metrics *m, uv_loop_t *loop, const char *state_dir,
                       const struct jade_instance *nets, size_t n)
{
    memset(m, 0, sizeof *m);
    m->loop = loop;
    m->state_dir = state_dir;
    m->nets = nets;
    m->n_networks = n;
    m->networks = jade_xcalloc(n + 1, sizeof *m->networks);
    for (size_t i = 0; i < n; i++) m->networks[i].name = nets[i].plugin->name;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->started = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
    jade_histogram_init(&m->lateness, lateness_bounds, N_OF(lateness_bounds));
    jade_histogram_init(&m->commits, commit_bounds, N_OF(commit_bounds));
    jade_histogram_init(&m->fetches, sync_bounds, N_OF(sync_bounds));
    jade_histogram_init(&m->reloads, sync_bounds, N_OF(sync_bounds));
}

void jade_metrics_free(struct jade_metrics *m)
{
    if (!m) return;
    free(m->networks);
    jade_ledger_close(m->reader);
    jade_buf_free(&m->read_err);
    memset(m, 0, sizeof *m);
}

/* The row of an instance, or NULL (no plugin). */
static struct jade_metrics_network *row_of(struct jade_metrics *m, const struct jade_instance *net)
{
    if (!net || !m->networks || net < m->nets || net >= m->nets + m->n_networks) return NULL;
    return &m->networks[net - m->nets];
}

void jade_metrics_answered(struct jade_metrics *m, const struct jade_instance *net,
                           enum jade_outcome outcome)
{
    struct jade_metrics_network *row = row_of(m, net);
    if (!row) return;
    switch (outcome) {
    case JADE_OUTCOME_SENT:
        row->publications++;
        break;
    case JADE_OUTCOME_RETRY_AFTER:
        row->failures[JADE_FAILURE_RETRY_AFTER]++;
        break;
    case JADE_OUTCOME_TRANSIENT:
        row->failures[JADE_FAILURE_TRANSIENT]++;
        break;
    case JADE_OUTCOME_AUTH_FAILED:
        row->failures[JADE_FAILURE_AUTH]++;
        break;
    case JADE_OUTCOME_UNKNOWN:
        row->failures[JADE_FAILURE_UNKNOWN]++;
        break;
    case JADE_OUTCOME_NOT_FOUND: /* a lookup: it is sent again, nothing failed */
        break;
    case JADE_OUTCOME_PERMANENT:
    default: /* as dispatch.c takes an outcome it does not know */
        row->failures[JADE_FAILURE_PERMANENT]++;
        break;
    }
}

void jade_metrics_reading(struct jade_metrics *m, const struct jade_instance *net,
                          enum jade_reading_outcome outcome)
{
    struct jade_metrics_network *row = row_of(m, net);
    if (row && outcome < JADE_N_READING_OUTCOMES) row->readings[outcome]++;
}

void jade_metrics_settled(struct jade_metrics *m, const struct jade_instance *net,
                          enum jade_state state)
{
    struct jade_metrics_network *row = row_of(m, net);
    if (row && state == JADE_MISSED) row->failures[JADE_FAILURE_MISSED]++;
}

void jade_metrics_leaving(struct jade_metrics *m, uint32_t attempt, double late)
{
    if (attempt == 1) jade_histogram_observe(&m->lateness, late);
}

void jade_metrics_synced(struct jade_metrics *m, enum jade_sync_outcome outcome, double fetch_ms)
{
    jade_histogram_observe(&m->fetches, fetch_ms / 1000);
    if (outcome == JADE_SYNC_FAILED) m->fetch_failures++;
    if (outcome == JADE_SYNC_REFUSED) m->reload_failures[JADE_RELOAD_REFUSED]++;
}

void jade_metrics_reloaded(struct jade_metrics *m, bool ok, double seconds)
{
    if (ok)
        jade_histogram_observe(&m->reloads, seconds);
    else
        m->reload_failures[JADE_RELOAD_LEDGER]++;
}

/* ---- the ledger's counts, off the loop ----------------------------------------- */

/* On the thread pool: the only user of m->reader and the counts. */
static void read_cb(uv_work_t *w)
{
    struct jade_metrics *m = w->data;
    jade_buf_truncate(&m->read_err, 0);
    if (!m->reader && jade_ledger_open_readonly(m->state_dir, &m->reader, &m->read_err) != 0) {
        m->reader = NULL;
        m->read_rc = -1;
        return;
    }
    m->read_rc = jade_ledger_count(m->reader, m->counted);
    if (m->read_rc != 0) {
        jade_buf_puts(&m->read_err, jade_ledger_failure(m->reader));
        jade_ledger_close(m->reader); /* opened again next time */
        m->reader = NULL;
    }
}

static void read_done_cb(uv_work_t *w, int status)
{
    struct jade_metrics *m = w->data;
    m->reading = false;
    bool ok = status == 0 && m->read_rc == 0;
    m->have_occurrences = ok;
    if (ok)
        for (size_t i = 0; i < JADE_N_STATES; i++) m->occurrences[i] = m->counted[i];
    /* Said once per failing spell; the gauge is left out meanwhile. */
    if (!ok && !m->read_failed && status == 0)
        jade_print(stderr, _("jade run: /metrics: cannot read the ledger's counts: %s\n"),
                   jade_buf_str(&m->read_err));
    m->read_failed = !ok;
}

void jade_metrics_read_ledger(struct jade_metrics *m)
{
    uint64_t now = uv_hrtime();
    if (m->reading || !m->loop ||
        (m->read_ns && now - m->read_ns < (uint64_t)JADE_METRICS_READ_EVERY_MS * 1000000))
        return;
    m->read_ns = now;
    m->reading = true;
    m->read_work.data = m;
    if (uv_queue_work(m->loop, &m->read_work, read_cb, read_done_cb) != 0) m->reading = false;
}

/* ---- the exposition ------------------------------------------------------------- */

void jade_metrics_escape_label(struct jade_buf *out, const char *value)
{
    size_t n = strlen(value);
    for (size_t i = 0; i < n;) {
        size_t len = jade_utf8_char(value + i, n - i, NULL);
        if (len == 0) {
            jade_buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD */
            i++;
            continue;
        }
        char c = value[i];
        if (c == '\\')
            jade_buf_puts(out, "\\\\");
        else if (c == '"')
            jade_buf_puts(out, "\\\"");
        else if (c == '\n')
            jade_buf_puts(out, "\\n");
        else
            jade_buf_append(out, value + i, len);
        i += len;
    }
}

static void header(struct jade_buf *out, const char *name, const char *type, const char *help)
{
    /* The help texts are ours, without backslashes or line ends: as is. */
    jade_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A float as Prometheus reads it (Go's ParseFloat), short where it can be. */
static void number(struct jade_buf *out, double v)
{
    jade_buf_printf(out, "%.15g", v);
}

static void histogram(struct jade_buf *out, const char *name, const char *help,
                      const struct jade_histogram *h)
{
    header(out, name, "histogram", help);
    uint64_t below = 0;
    for (size_t i = 0; i <= h->n_bounds; i++) {
        below += h->buckets[i];
        jade_buf_printf(out, "%s_bucket{le=\"", name);
        if (i < h->n_bounds)
            number(out, h->bounds[i]);
        else
            jade_buf_puts(out, "+Inf");
        jade_buf_printf(out, "\"} %" PRIu64 "\n", below);
    }
    jade_buf_printf(out, "%s_sum ", name);
    number(out, h->sum);
    jade_buf_printf(out, "\n%s_count %" PRIu64 "\n", name, h->count);
}

static void network_label(struct jade_buf *out, const char *metric,
                          const struct jade_metrics_network *row)
{
    jade_buf_printf(out, "%s{network=\"", metric);
    jade_metrics_escape_label(out, row->name);
    jade_buf_puts(out, "\"");
}

void jade_metrics_render(const struct jade_metrics *m, const struct jade_metrics_live *live,
                         struct jade_buf *out)
{
    header(out, "jade_build_info", "gauge", "Which jade this is: always 1.");
    jade_buf_puts(out, "jade_build_info{version=\"");
    jade_metrics_escape_label(out, JADE_VERSION);
    jade_buf_puts(out, "\"} 1\n");
    header(out, "process_start_time_seconds", "gauge",
           "When the service started, in seconds since the epoch.");
    jade_buf_printf(out, "process_start_time_seconds %.3f\n", m->started);

    header(out, "jade_occurrences", "gauge",
           "Occurrences in the ledger by state, as read at most 2 s ago (absent until read).");
    for (size_t i = 0; m->have_occurrences && i < JADE_N_STATES; i++)
        jade_buf_printf(out, "jade_occurrences{state=\"%s\"} %" PRIu64 "\n",
                        jade_state_name((enum jade_state)i), m->occurrences[i]);

    header(out, "jade_publications_total", "counter", "Publications the network accepted.");
    for (size_t n = 0; n < m->n_networks; n++) {
        network_label(out, "jade_publications_total", &m->networks[n]);
        jade_buf_printf(out, "} %" PRIu64 "\n", m->networks[n].publications);
    }
    header(out, "jade_publication_failures_total", "counter",
           "Requests that published nothing, by the network's answer, and occurrences missed "
           "without a request (missed).");
    for (size_t n = 0; n < m->n_networks; n++)
        for (size_t r = 0; r < JADE_N_FAILURE_REASONS; r++) {
            network_label(out, "jade_publication_failures_total", &m->networks[n]);
            jade_buf_printf(out, ",reason=\"%s\"} %" PRIu64 "\n", reason_names[r],
                            m->networks[n].failures[r]);
        }
    static const char *const reading_names[JADE_N_READING_OUTCOMES] = {"read", "failed",
                                                                       "given_up"};
    header(out, "jade_metric_readings_total", "counter",
           "Readings of sent publications' metrics (follow-up), by how they ended: read (stored), "
           "failed (an attempt, tried again), given_up (not taken again).");
    for (size_t n = 0; n < m->n_networks; n++)
        for (size_t r = 0; r < JADE_N_READING_OUTCOMES; r++) {
            network_label(out, "jade_metric_readings_total", &m->networks[n]);
            jade_buf_printf(out, ",outcome=\"%s\"} %" PRIu64 "\n", reading_names[r],
                            m->networks[n].readings[r]);
        }
    histogram(out, "jade_lateness_seconds",
              "How late first attempts leave: seconds from the due time to the request leaving.",
              &m->lateness);
    histogram(out, "jade_ledger_commit_duration_seconds",
              "Time to write one batch of state changes to the ledger (one transaction).",
              &m->commits);
    histogram(out, "jade_fetch_duration_seconds",
              "Time to read the branch (a fetch into the mirror, or opening the folder).",
              &m->fetches);
    header(out, "jade_fetch_failures_total", "counter", "Reads of the branch that failed.");
    jade_buf_printf(out, "jade_fetch_failures_total %" PRIu64 "\n", m->fetch_failures);
    histogram(out, "jade_reload_duration_seconds",
              "Time to adopt new content: load, plan, and reconcile the ledger.", &m->reloads);
    header(out, "jade_reload_failures_total", "counter",
           "New content not adopted: refused (invalid, or not signed as required), or its "
           "reconciliation not written (ledger).");
    for (size_t r = 0; r < JADE_N_RELOAD_FAILURES; r++)
        jade_buf_printf(out, "jade_reload_failures_total{reason=\"%s\"} %" PRIu64 "\n",
                        reload_failure_names[r], m->reload_failures[r]);
    header(out, "jade_channels_suspended", "gauge",
           "Channels suspended because their credentials were refused.");
    jade_buf_printf(out, "jade_channels_suspended %zu\n", live->suspended);
    header(out, "jade_halts", "gauge",
           "Halts in force (jade halt), by scope: nothing of a halted scope is sent.");
    size_t by_scope[3] = {0};
    for (size_t i = 0; live->halts && i < live->halts->count; i++)
        by_scope[live->halts->items[i].scope]++;
    for (int scope = 0; scope < 3; scope++)
        jade_buf_printf(out, "jade_halts{scope=\"%s\"} %zu\n",
                        jade_halt_scope_name((enum jade_halt_scope)scope), by_scope[scope]);
    header(out, "jade_requests_in_flight", "gauge", "Requests sent and not answered yet.");
    jade_buf_printf(out, "jade_requests_in_flight %zu\n", live->inflight);
}

void jade_metrics_serve(struct jade_metrics *m, const struct jade_channels *channels,
                        size_t inflight, const struct jade_halts *halts,
                        const struct jade_admin_request *req, struct jade_admin_response *res)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        res->status = 405;
        res->allow = "GET, HEAD";
        jade_buf_puts(&res->body, _("GET or HEAD only\n"));
        return;
    }
    struct jade_metrics_live live = {.inflight = inflight, .halts = halts};
    for (size_t i = 0; i < channels->count; i++)
        if (channels->items[i]->suspended && !channels->items[i]->removed) live.suspended++;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    jade_metrics_render(m, &live, &res->body);
    jade_metrics_read_ledger(m); /* for the next scrape */
}
