/* write.c - the report's formats, each written from the one JSON
 * document jade_report_build makes (report.h): a table for a terminal,
 * CSV for spreadsheets (UTF-8 with a byte order mark, one shape for every
 * section), the JSON itself, and one self-contained HTML page (inline CSS
 * and SVG, no script, nothing fetched) that reads on a phone and prints
 * on A4. Text from the content (names, summaries) and from networks (a
 * failure's reason) is escaped for each: the terminal's escapes, HTML's
 * entities. */
#include "report.h"

#include "../run/ledger.h"
#include "../util/buf.h"
#include "../util/csv.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/jsonutil.h"
#include "../util/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_int_t num(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = jade_json_str(j, key);
    return s ? s : "";
}

/* A duration for people: minutes, hours or days. */
static void duration(struct jade_buf *b, json_int_t seconds)
{
    if (seconds < 0) {
        jade_buf_puts(b, "-");
        seconds = -seconds;
    }
    if (seconds < 3600)
        jade_buf_printf(b, _("%lld min"), (long long)(seconds / 60));
    else if (seconds < 2 * 86400)
        jade_buf_printf(b, _("%.1f h"), (double)seconds / 3600);
    else
        jade_buf_printf(b, _("%.1f d"), (double)seconds / 86400);
}

static char *rate_text(const json_t *rate)
{
    return json_is_number(rate) ? jade_xasprintf("%.1f %%", 100 * json_number_value(rate))
                                : jade_xstrdup("-");
}

/* ---- table ---------------------------------------------------------------------- */

struct table {
    size_t cols, rows, cap;
    char **cells; /* rows * cols, escaped */
};

static void table_row(struct table *t, ...)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cells = jade_xrealloc(t->cells, t->cap * t->cols * sizeof *t->cells);
    }
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->cols; c++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->rows * t->cols + c] = jade_escaped(s ? s : "");
    }
    va_end(ap);
    t->rows++;
}

/* The first column to the left, the others (numbers) to the right; the
 * first row is the header. */
static void table_print(FILE *out, struct table *t)
{
    size_t *width = jade_xcalloc(t->cols, sizeof *width);
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            const char *s = t->cells[r * t->cols + c];
            size_t n = jade_utf8_length(s, strlen(s));
            if (n > width[c]) width[c] = n;
        }
    for (size_t r = 0; r < t->rows; r++) {
        fputs("  ", out);
        for (size_t c = 0; c < t->cols; c++) {
            const char *s = t->cells[r * t->cols + c];
            size_t pad = width[c] - jade_utf8_length(s, strlen(s));
            if (c) fputs("  ", out);
            if (c) fprintf(out, "%*s", (int)pad, "");
            fputs(s, out);
            if (!c && t->cols > 1) fprintf(out, "%*s", (int)pad, "");
            free(t->cells[r * t->cols + c]);
        }
        fputc('\n', out);
    }
    free(width);
    free(t->cells);
    *t = (struct table){.cols = t->cols};
}

static char *n_text(json_int_t n)
{
    return jade_xasprintf("%lld", (long long)n);
}

static void states_table(FILE *out, const json_t *report)
{
    struct table t = {.cols = 11};
    const char *by = str(report, "by");
    char *titles[11];
    titles[0] = jade_xstrdup(by);
    for (int s = 0; s < JADE_N_STATES; s++)
        titles[s + 1] = jade_xstrdup(jade_state_name((enum jade_state)s));
    titles[10] = jade_xstrdup(_("all"));
    table_row(&t, titles[0], titles[1], titles[2], titles[3], titles[4], titles[5], titles[6],
              titles[7], titles[8], titles[9], titles[10]);
    for (int i = 0; i < 11; i++) free(titles[i]);
    const json_t *groups = json_object_get(report, "groups");
    for (size_t g = 0; g <= json_array_size(groups); g++) {
        const json_t *f = g < json_array_size(groups) ? json_array_get(groups, g)
                                                      : json_object_get(report, "totals");
        const json_t *states = json_object_get(f, "states");
        char *c[11];
        c[0] = jade_xstrdup(g < json_array_size(groups) ? str(f, "name") : _("in all"));
        for (int s = 0; s < JADE_N_STATES; s++)
            c[s + 1] = n_text(num(states, jade_state_name((enum jade_state)s)));
        c[10] = n_text(num(f, "occurrences"));
        table_row(&t, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]);
        for (int i = 0; i < 11; i++) free(c[i]);
    }
    table_print(out, &t);
}

static void published_table(FILE *out, const json_t *report)
{
    struct table t = {.cols = 7};
    table_row(&t, str(report, "by"), _("published"), _("on time"), _("on-time rate"),
              _("retracted"), _("reach"), _("engagement"));
    const json_t *groups = json_object_get(report, "groups");
    for (size_t g = 0; g <= json_array_size(groups); g++) {
        const json_t *f = g < json_array_size(groups) ? json_array_get(groups, g)
                                                      : json_object_get(report, "totals");
        char *c[6] = {n_text(num(f, "published")),
                      n_text(num(f, "on_time")),
                      rate_text(json_object_get(f, "on_time_rate")),
                      n_text(num(f, "retracted")),
                      n_text(num(f, "reach")),
                      n_text(num(f, "engagement"))};
        table_row(&t, g < json_array_size(groups) ? str(f, "name") : _("in all"), c[0], c[1], c[2],
                  c[3], c[4], c[5]);
        for (int i = 0; i < 6; i++) free(c[i]);
    }
    table_print(out, &t);
}

static void failures_table(FILE *out, const json_t *report)
{
    struct table t = {.cols = 3};
    table_row(&t, _("reason"), str(report, "by"), _("count"));
    const json_t *failures = json_object_get(json_object_get(report, "totals"), "failures");
    for (size_t i = 0; i < json_array_size(failures); i++) {
        const json_t *f = json_array_get(failures, i);
        char *n = n_text(num(f, "count"));
        table_row(&t, str(f, "reason"), _("in all"), n);
        free(n);
        const json_t *groups = json_object_get(report, "groups");
        for (size_t g = 0; g < json_array_size(groups); g++) {
            const json_t *gf = json_object_get(json_array_get(groups, g), "failures");
            for (size_t k = 0; k < json_array_size(gf); k++)
                if (!strcmp(str(json_array_get(gf, k), "reason"), str(f, "reason"))) {
                    char *m = n_text(num(json_array_get(gf, k), "count"));
                    table_row(&t, "", str(json_array_get(groups, g), "name"), m);
                    free(m);
                }
        }
    }
    if (t.rows > 1) {
        table_print(out, &t);
        return;
    }
    fprintf(out, "  %s\n", _("none"));
    for (size_t c = 0; c < t.rows * t.cols; c++) free(t.cells[c]); /* the header */
    free(t.cells);
}

static void indicators_tables(FILE *out, const json_t *report)
{
    const json_t *ind = json_object_get(report, "indicators");
    const json_t *regions = json_object_get(ind, "regions");
    struct table t = {.cols = 7};
    table_row(&t, _("region"), _("active"), _("target"), _("ambassadors"), _("published"),
              _("reach"), _("rumour response (median)"));
    for (size_t i = 0; i < json_array_size(regions); i++) {
        const json_t *r = json_array_get(regions, i);
        const json_t *median = json_object_get(r, "median_response_seconds");
        struct jade_buf m = {0};
        if (json_is_integer(median)) duration(&m, json_integer_value(median));
        jade_buf_printf(&m, m.len ? " (%lld/%lld)" : "- (%lld/%lld)",
                        (long long)num(r, "rumours_answered"), (long long)num(r, "rumours"));
        char *c[5] = {n_text(num(r, "active")),
                      json_is_integer(json_object_get(r, "target")) ? n_text(num(r, "target"))
                                                                    : jade_xstrdup("-"),
                      n_text(num(r, "ambassadors")), n_text(num(r, "publications")),
                      n_text(num(r, "reach"))};
        table_row(&t, str(r, "name"), c[0], c[1], c[2], c[3], c[4], jade_buf_str(&m));
        for (int k = 0; k < 5; k++) free(c[k]);
        jade_buf_free(&m);
    }
    table_print(out, &t);

    const json_t *weeks = json_object_get(ind, "weeks");
    fprintf(out, "\n%s\n", _("Publications (and reach) per region and ISO week (UTC)"));
    if (!json_array_size(weeks)) fprintf(out, "  %s\n", _("none"));
    for (size_t w = 0; w < json_array_size(weeks); w++) {
        struct table wt = {.cols = 3};
        const char *week = json_string_value(json_array_get(weeks, w));
        table_row(&wt, week, _("published"), _("reach"));
        for (size_t i = 0; i < json_array_size(regions); i++) {
            const json_t *r = json_array_get(regions, i);
            const json_t *cell = json_array_get(json_object_get(r, "weeks"), w);
            char *p = n_text(num(cell, "publications")), *re = n_text(num(cell, "reach"));
            table_row(&wt, str(r, "name"), p, re);
            free(p);
            free(re);
        }
        table_print(out, &wt);
    }

    const json_t *rumours = json_object_get(ind, "rumours");
    fprintf(out, "\n%s\n", _("Rumours first seen in the period, and the first answer"));
    if (!json_array_size(rumours)) fprintf(out, "  %s\n", _("none"));
    struct table rt = {.cols = 4};
    if (json_array_size(rumours))
        table_row(&rt, _("rumour"), _("first seen (UTC)"), _("first answer (UTC)"), _("after"));
    for (size_t i = 0; i < json_array_size(rumours); i++) {
        const json_t *r = json_array_get(rumours, i);
        struct jade_buf d = {0};
        const json_t *secs = json_object_get(r, "response_seconds");
        if (json_is_integer(secs))
            duration(&d, json_integer_value(secs));
        else
            jade_buf_puts(&d, _("not answered"));
        table_row(&rt, str(r, "id"), str(r, "first_seen"),
                  json_is_string(json_object_get(r, "first_answer")) ? str(r, "first_answer") : "-",
                  jade_buf_str(&d));
        jade_buf_free(&d);
    }
    if (rt.rows) table_print(out, &rt);
    free(rt.cells);
    const json_t *open = json_object_get(ind, "unanswered");
    if (json_array_size(open)) {
        struct jade_buf b = {0};
        for (size_t i = 0; i < json_array_size(open); i++)
            jade_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(json_array_get(open, i)));
        char *list = jade_escaped(jade_buf_str(&b));
        fprintf(out, _("  no answer yet: %s\n"), list);
        free(list);
        jade_buf_free(&b);
    }
}

static void retractions_table(FILE *out, const json_t *report)
{
    const json_t *list = json_object_get(report, "retractions");
    if (!json_array_size(list)) {
        fprintf(out, "  %s\n", _("none"));
        return;
    }
    struct table t = {.cols = 5};
    table_row(&t, _("campaign/post"), _("channel"), _("sent (UTC)"), _("retracted (UTC)"),
              _("removal"));
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *r = json_array_get(list, i);
        char *what = jade_xasprintf("%s/%s", str(r, "campaign"), str(r, "post"));
        table_row(&t, what, str(r, "channel"), str(r, "sent_at"), str(r, "retracted_at"),
                  str(r, "removal"));
        free(what);
    }
    table_print(out, &t);
}

static void write_table(FILE *out, const json_t *report)
{
    const json_t *period = json_object_get(report, "period");
    char *programme = jade_escaped(str(report, "programme")),
         *content = jade_escaped(str(report, "content"));
    fprintf(out, "%s\n", programme);
    fprintf(out, _("period: %s to %s (due times, UTC); content: %s\n"),
            json_is_string(json_object_get(period, "from")) ? str(period, "from") : _("the start"),
            json_is_string(json_object_get(period, "to")) ? str(period, "to") : _("the end"),
            content);
    free(programme);
    free(content);
    fprintf(out, "\n%s\n", _("Ambassadors active, publications and rumours per region"));
    indicators_tables(out, report);
    fprintf(out, _("\nOccurrences by state, by %s\n"), str(report, "by"));
    states_table(out, report);
    fprintf(out, _("\nPublished, on time (within a minute), reach and engagement, by %s\n"),
            str(report, "by"));
    published_table(out, report);
    fprintf(out, "\n%s\n", _("Failures by reason (failed, missed, uncertain)"));
    failures_table(out, report);
    fprintf(out, "\n%s\n", _("Retractions"));
    retractions_table(out, report);
}

/* ---- CSV ---------------------------------------------------------------------- */

/* One shape for every section: section, id, name, detail, measure, value
 * (README, "jade report"). */
static void csv(FILE *out, const char *section, const char *id, const char *name,
                const char *detail, const char *measure, const char *value)
{
    const char *fields[6] = {section, id, name, detail, measure, value};
    char *cells[6];
    for (int i = 0; i < 6; i++) cells[i] = jade_escaped(fields[i] ? fields[i] : "");
    jade_csv_record(out, (const char *const *)cells, 6);
    for (int i = 0; i < 6; i++) free(cells[i]);
}

static void csv_number(FILE *out, const char *section, const char *id, const char *name,
                       const char *detail, const char *measure, const json_t *value)
{
    char *v = json_is_integer(value)  ? n_text(json_integer_value(value))
              : json_is_real(value)   ? jade_xasprintf("%.4f", json_real_value(value))
              : json_is_string(value) ? jade_xstrdup(json_string_value(value))
                                      : jade_xstrdup("");
    csv(out, section, id, name, detail, measure, v);
    free(v);
}

static void csv_figures(FILE *out, const char *section, const json_t *f)
{
    static const char *const measures[] = {"occurrences", "published", "on_time",   "on_time_rate",
                                           "retracted",   "reach",     "engagement"};
    const char *id = jade_json_str(f, "id"), *name = jade_json_str(f, "name");
    for (size_t i = 0; i < sizeof measures / sizeof *measures; i++)
        csv_number(out, section, id, name, NULL, measures[i], json_object_get(f, measures[i]));
    const json_t *states = json_object_get(f, "states");
    for (int s = 0; s < JADE_N_STATES; s++)
        csv_number(out, section, id, name, jade_state_name((enum jade_state)s), "state",
                   json_object_get(states, jade_state_name((enum jade_state)s)));
    const json_t *failures = json_object_get(f, "failures");
    for (size_t i = 0; i < json_array_size(failures); i++)
        csv_number(out, section, id, name, str(json_array_get(failures, i), "reason"), "failures",
                   json_object_get(json_array_get(failures, i), "count"));
}

static void write_csv(FILE *out, const json_t *report)
{
    fputs("\xEF\xBB\xBF", out); /* so that spreadsheets read UTF-8 (README) */
    static const char *const header[] = {"section", "id", "name", "detail", "measure", "value"};
    jade_csv_record(out, header, 6);
    const json_t *period = json_object_get(report, "period");
    csv_number(out, "period", NULL, NULL, NULL, "from", json_object_get(period, "from"));
    csv_number(out, "period", NULL, NULL, NULL, "to", json_object_get(period, "to"));
    csv(out, "period", NULL, NULL, NULL, "by", str(report, "by"));
    csv_figures(out, "totals", json_object_get(report, "totals"));
    const json_t *groups = json_object_get(report, "groups");
    for (size_t i = 0; i < json_array_size(groups); i++)
        csv_figures(out, "groups", json_array_get(groups, i));
    const json_t *ind = json_object_get(report, "indicators");
    const json_t *regions = json_object_get(ind, "regions");
    for (size_t i = 0; i < json_array_size(regions); i++) {
        const json_t *r = json_array_get(regions, i);
        static const char *const measures[] = {
            "ambassadors", "active",  "target",           "publications",
            "reach",       "rumours", "rumours_answered", "median_response_seconds"};
        for (size_t k = 0; k < sizeof measures / sizeof *measures; k++)
            csv_number(out, "regions", str(r, "id"), str(r, "name"), NULL, measures[k],
                       json_object_get(r, measures[k]));
        const json_t *weeks = json_object_get(r, "weeks");
        for (size_t w = 0; w < json_array_size(weeks); w++) {
            const json_t *cell = json_array_get(weeks, w);
            csv_number(out, "weeks", str(r, "id"), str(r, "name"), str(cell, "week"),
                       "publications", json_object_get(cell, "publications"));
            csv_number(out, "weeks", str(r, "id"), str(r, "name"), str(cell, "week"), "reach",
                       json_object_get(cell, "reach"));
        }
    }
    const json_t *rumours = json_object_get(ind, "rumours");
    for (size_t i = 0; i < json_array_size(rumours); i++) {
        const json_t *r = json_array_get(rumours, i);
        static const char *const measures[] = {"first_seen", "status", "first_answer",
                                               "response_seconds"};
        for (size_t k = 0; k < sizeof measures / sizeof *measures; k++)
            csv_number(out, "rumours", str(r, "id"), str(r, "summary"), NULL, measures[k],
                       json_object_get(r, measures[k]));
        const json_t *by_region = json_object_get(r, "by_region");
        for (size_t k = 0; k < json_array_size(by_region); k++) {
            const json_t *a = json_array_get(by_region, k);
            csv_number(out, "rumours", str(r, "id"), str(r, "summary"), str(a, "region"),
                       "response_seconds", json_object_get(a, "response_seconds"));
        }
    }
    const json_t *open = json_object_get(ind, "unanswered");
    for (size_t i = 0; i < json_array_size(open); i++)
        csv(out, "unanswered", json_string_value(json_array_get(open, i)), NULL, NULL, "rumour",
            NULL);
    const json_t *retractions = json_object_get(report, "retractions");
    for (size_t i = 0; i < json_array_size(retractions); i++) {
        const json_t *r = json_array_get(retractions, i);
        char *id = jade_xasprintf("%s/%s", str(r, "campaign"), str(r, "post"));
        csv_number(out, "retractions", id, NULL, str(r, "channel"), "sent_at",
                   json_object_get(r, "sent_at"));
        csv_number(out, "retractions", id, NULL, str(r, "channel"), "retracted_at",
                   json_object_get(r, "retracted_at"));
        csv_number(out, "retractions", id, NULL, str(r, "channel"), "removal",
                   json_object_get(r, "removal"));
        free(id);
    }
}

/* ---- HTML ---------------------------------------------------------------------- */

/* Text as HTML: the five characters that mean something there as
 * entities, and what could steer a terminal escaped too (the same text
 * everywhere). Good in element content and in quoted attributes. */
static void html_text(FILE *out, const char *s)
{
    char *safe = jade_escaped(s ? s : "");
    for (const char *p = safe; *p; p++) switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*p, out);
        }
    free(safe);
}

/* A number the page shows, marked with where it is in the JSON report
 * (a JSON pointer) and its exact value, so that a test can read both. */
static void html_number(FILE *out, const char *pointer, const json_t *value, const char *shown)
{
    fputs("<span class=\"n\" data-n=\"", out);
    html_text(out, pointer);
    fputs("\" data-v=\"", out);
    if (json_is_integer(value))
        fprintf(out, "%lld", (long long)json_integer_value(value));
    else if (json_is_real(value))
        fprintf(out, "%.17g", json_real_value(value));
    else
        fputs("null", out);
    fputs("\">", out);
    if (shown)
        html_text(out, shown);
    else if (json_is_integer(value))
        fprintf(out, "%lld", (long long)json_integer_value(value));
    else
        fputs("–", out);
    fputs("</span>", out);
}

static void html_int(FILE *out, const char *fmt_pointer, size_t index, const char *member,
                     const json_t *value)
{
    char pointer[256];
    snprintf(pointer, sizeof pointer, fmt_pointer, index, member);
    html_number(out, pointer, value, NULL);
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;"
    "margin:0 auto;padding:12px;max-width:1100px;overflow-wrap:anywhere}"
    "h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em;"
    "border-bottom:2px solid #0b6e4f}h3{font-size:1.05em;margin:1em 0 .3em}"
    ".meta{color:#555;font-size:.9em}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}"
    ".card{border:1px solid #ccd;border-radius:6px;padding:8px}"
    ".card .n{display:block;font-size:1.5em;font-weight:600;color:#0b6e4f}"
    ".card small{color:#555}"
    ".wrap{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:.3em 0;font-size:.9em}"
    "th,td{padding:3px 6px;border-bottom:1px solid #e3e3e8;text-align:right;vertical-align:top}"
    "th:first-child,td:first-child{text-align:left}"
    "th{background:#f2f4f7;overflow-wrap:normal}td{overflow-wrap:normal}"
    "td:first-child{overflow-wrap:anywhere}"
    "figure{margin:.6em 0;max-width:640px;break-inside:avoid;page-break-inside:avoid}"
    "figcaption{font-size:.9em;color:#333}"
    "svg{width:100%;height:auto;display:block}"
    "svg text{font:11px system-ui,sans-serif;fill:#1b1f24}"
    ".bar{fill:#0b6e4f}.bar2{fill:#e0a526}.target{stroke:#b00020;stroke-width:2}"
    ".track{fill:#e9edf2}"
    "section.region{break-inside:avoid-page}"
    ".open{color:#b00020}"
    "@page{size:A4;margin:15mm}"
    "@media print{body{max-width:none;padding:0;font-size:10.5pt}"
    ".wrap{overflow:visible}h2{break-after:avoid}section.region{break-before:auto}"
    "a{color:inherit;text-decoration:none}}"
    "@media (max-width:480px){body{padding:8px;font-size:14px}th,td{padding:2px 4px}}";

/* Charts are drawn in a box CHART_W units wide that the page scales to
 * its width (at most the figure's), so that 11-unit text stays readable
 * on a phone. */
#define CHART_W 420

/* Horizontal bars, one per label, scaled to the largest value (or mark):
 * each with its value at the right, and a red mark where marks[i] (when
 * marks is not NULL and marks[i] >= 0): a region's target. */
static void chart_rows(FILE *out, const char *caption, const char *const *labels,
                       const json_int_t *values, const json_int_t *marks, size_t n,
                       const char *bar_class)
{
    json_int_t most = 1;
    for (size_t i = 0; i < n; i++) {
        if (values[i] > most) most = values[i];
        if (marks && marks[i] > most) most = marks[i];
    }
    const int label = 130, right = 70, row = 24, span = CHART_W - label - right;
    double scale = (double)span / (double)most;
    fprintf(out, "<figure><svg viewBox=\"0 0 %d %zu\" role=\"img\" aria-label=\"", CHART_W,
            n * row + 6);
    html_text(out, caption);
    fputs("\">", out);
    for (size_t i = 0; i < n; i++) {
        size_t y = i * row + 4;
        fprintf(out, "<text x=\"0\" y=\"%zu\">", y + 13);
        html_text(out, labels[i]);
        fprintf(out, "</text><rect class=\"track\" x=\"%d\" y=\"%zu\" width=\"%d\" height=\"16\"/>",
                label, y, span);
        fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"16\"/>",
                bar_class, label, y, scale * (double)values[i]);
        if (marks && marks[i] >= 0)
            fprintf(out, "<line class=\"target\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%zu\" y2=\"%zu\"/>",
                    label + scale * (double)marks[i], label + scale * (double)marks[i], y - 2,
                    y + 18);
        fprintf(out, "<text x=\"%d\" y=\"%zu\">%lld", CHART_W - right + 6, y + 13,
                (long long)values[i]);
        if (marks && marks[i] >= 0) fprintf(out, " / %lld", (long long)marks[i]);
        fputs("</text>", out);
    }
    fputs("</svg><figcaption>", out);
    html_text(out, caption);
    fputs("</figcaption></figure>\n", out);
}

/* Active ambassadors against the target, per region. */
static void chart_active(FILE *out, const json_t *regions)
{
    size_t n = json_array_size(regions);
    const char **labels = jade_xcalloc(n + 1, sizeof *labels);
    json_int_t *values = jade_xcalloc(n + 1, sizeof *values),
               *marks = jade_xcalloc(n + 1, sizeof *marks);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(regions, i);
        labels[i] = str(r, "name");
        values[i] = num(r, "active");
        marks[i] = json_is_integer(json_object_get(r, "target")) ? num(r, "target") : -1;
    }
    chart_rows(out, _("Active ambassadors (bar) against the target (red mark), per region"), labels,
               values, marks, n, "bar");
    free(labels);
    free(values);
    free(marks);
}

/* Columns of one measure, week by week (a label every few weeks when
 * there are many). */
static void chart_columns(FILE *out, const char *caption, const char *const *labels,
                          const json_int_t *values, size_t n, const char *bar_class)
{
    json_int_t most = 1;
    for (size_t i = 0; i < n; i++)
        if (values[i] > most) most = values[i];
    const int height = 140, base = 118, left = 4;
    double step = (double)(CHART_W - 2 * left) / (double)(n ? n : 1);
    double w = step > 42 ? 40 : step > 3 ? step - 2 : step;
    size_t every = n > 13 ? (n + 12) / 13 : 1;
    fprintf(out, "<figure><svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CHART_W, height);
    html_text(out, caption);
    fputs("\">", out);
    fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>", left,
            CHART_W - left, base, base);
    for (size_t i = 0; i < n; i++) {
        double h = 96.0 * (double)values[i] / (double)most, x = left + (double)i * step;
        fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                bar_class, x, base - h, w, h);
        if (n <= 13)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>",
                    x + w / 2, base - h - 3, (long long)values[i]);
        if (i % every) continue;
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x + w / 2, base + 15);
        html_text(out, labels[i]);
        fputs("</text>", out);
    }
    fputs("</svg><figcaption>", out);
    html_text(out, caption);
    fputs("</figcaption></figure>\n", out);
}

/* A region's publications or reach, week by week. */
static void chart_weeks(FILE *out, const json_t *weeks, const json_t *region_weeks,
                        const char *measure, const char *caption, const char *bar_class)
{
    size_t n = json_array_size(weeks);
    if (!n) return;
    const char **labels = jade_xcalloc(n, sizeof *labels);
    json_int_t *values = jade_xcalloc(n, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        const char *w = json_string_value(json_array_get(weeks, i));
        labels[i] = w && strlen(w) > 5 ? w + 5 : ""; /* "W49": the year is in the table */
        values[i] = num(json_array_get(region_weeks, i), measure);
    }
    chart_columns(out, caption, labels, values, n, bar_class);
    free(labels);
    free(values);
}

static void html_card(FILE *out, const char *pointer, const json_t *value, const char *shown,
                      const char *label)
{
    fputs("<div class=\"card\">", out);
    html_number(out, pointer, value, shown);
    fputs("<small>", out);
    html_text(out, label);
    fputs("</small></div>", out);
}

static void html_th(FILE *out, const char *s)
{
    fputs("<th>", out);
    html_text(out, s);
    fputs("</th>", out);
}

static void html_figures_tables(FILE *out, const json_t *report)
{
    const json_t *groups = json_object_get(report, "groups");
    size_t n = json_array_size(groups);
    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, str(report, "by"));
    for (int s = 0; s < JADE_N_STATES; s++) html_th(out, jade_state_name((enum jade_state)s));
    html_th(out, _("all"));
    fputs("</tr></thead><tbody>", out);
    for (size_t g = 0; g <= n; g++) {
        const json_t *f = g < n ? json_array_get(groups, g) : json_object_get(report, "totals");
        char base[64];
        if (g < n)
            snprintf(base, sizeof base, "/groups/%zu", g);
        else
            snprintf(base, sizeof base, "/totals");
        fputs("<tr><td>", out);
        html_text(out, g < n ? str(f, "name") : _("in all"));
        fputs("</td>", out);
        for (int s = 0; s < JADE_N_STATES; s++) {
            char p[128];
            snprintf(p, sizeof p, "%s/states/%s", base, jade_state_name((enum jade_state)s));
            fputs("<td>", out);
            html_number(
                out, p,
                json_object_get(json_object_get(f, "states"), jade_state_name((enum jade_state)s)),
                NULL);
            fputs("</td>", out);
        }
        char p[128];
        snprintf(p, sizeof p, "%s/occurrences", base);
        fputs("<td>", out);
        html_number(out, p, json_object_get(f, "occurrences"), NULL);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></div>\n", out);

    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, str(report, "by"));
    static const char *const cols[] = {"published", "on_time", "on_time_rate",
                                       "retracted", "reach",   "engagement"};
    const char *titles[] = {_("published"), _("on time"), _("on-time rate"),
                            _("retracted"), _("reach"),   _("engagement")};
    for (int c = 0; c < 6; c++) html_th(out, titles[c]);
    fputs("</tr></thead><tbody>", out);
    for (size_t g = 0; g <= n; g++) {
        const json_t *f = g < n ? json_array_get(groups, g) : json_object_get(report, "totals");
        fputs("<tr><td>", out);
        html_text(out, g < n ? str(f, "name") : _("in all"));
        fputs("</td>", out);
        for (int c = 0; c < 6; c++) {
            char p[128];
            if (g < n)
                snprintf(p, sizeof p, "/groups/%zu/%s", g, cols[c]);
            else
                snprintf(p, sizeof p, "/totals/%s", cols[c]);
            char *shown = c == 2 ? rate_text(json_object_get(f, cols[c])) : NULL;
            fputs("<td>", out);
            html_number(out, p, json_object_get(f, cols[c]), shown);
            fputs("</td>", out);
            free(shown);
        }
        fputs("</tr>", out);
    }
    fputs("</tbody></table></div>\n", out);
}

static void html_failures(FILE *out, const json_t *report)
{
    const json_t *failures = json_object_get(json_object_get(report, "totals"), "failures");
    fputs("<h3>", out);
    html_text(out, _("Failures by reason (failed, missed, uncertain)"));
    fputs("</h3>", out);
    if (!json_array_size(failures)) {
        fputs("<p>", out);
        html_text(out, _("none"));
        fputs("</p>\n", out);
        return;
    }
    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, _("reason"));
    html_th(out, _("count"));
    fputs("</tr></thead><tbody>", out);
    for (size_t i = 0; i < json_array_size(failures); i++) {
        const json_t *f = json_array_get(failures, i);
        fputs("<tr><td>", out);
        html_text(out, str(f, "reason"));
        fputs("</td><td>", out);
        html_int(out, "/totals/failures/%zu/%s", i, "count", json_object_get(f, "count"));
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></div>\n", out);
}

static void html_rumours(FILE *out, const json_t *ind)
{
    const json_t *rumours = json_object_get(ind, "rumours");
    fputs("<h3>", out);
    html_text(out, _("Rumours first seen in the period: time to the first published answer"));
    fputs("</h3>", out);
    if (!json_array_size(rumours)) {
        fputs("<p>", out);
        html_text(out, _("none"));
        fputs("</p>\n", out);
        return;
    }
    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, _("rumour"));
    html_th(out, _("first seen (UTC)"));
    html_th(out, _("answered after"));
    fputs("</tr></thead><tbody>", out);
    for (size_t i = 0; i < json_array_size(rumours); i++) {
        const json_t *r = json_array_get(rumours, i);
        const json_t *secs = json_object_get(r, "response_seconds");
        fputs("<tr><td><strong>", out);
        html_text(out, str(r, "id"));
        fputs("</strong><br>", out);
        html_text(out, str(r, "summary"));
        fputs("</td><td>", out);
        html_text(out, str(r, "first_seen"));
        fputs("</td><td>", out);
        struct jade_buf d = {0};
        if (json_is_integer(secs))
            duration(&d, json_integer_value(secs));
        else
            jade_buf_puts(&d, _("no answer yet"));
        if (!json_is_integer(secs)) fputs("<span class=\"open\">", out);
        char pointer[64];
        snprintf(pointer, sizeof pointer, "/indicators/rumours/%zu/response_seconds", i);
        html_number(out, pointer, secs, jade_buf_str(&d)); /* the hours shown, not the seconds */
        if (!json_is_integer(secs)) fputs("</span>", out);
        fputs("</td></tr>", out);
        jade_buf_free(&d);
    }
    fputs("</tbody></table></div>\n", out);
}

static void html_region(FILE *out, const json_t *report, size_t k)
{
    const json_t *ind = json_object_get(report, "indicators");
    const json_t *r = json_array_get(json_object_get(ind, "regions"), k);
    fputs("<section class=\"region\" id=\"region-", out);
    html_text(out, str(r, "id"));
    fputs("\"><h2>", out);
    html_text(out, str(r, "name"));
    fputs("</h2><div class=\"cards\">", out);
    char p[128], *shown;
    snprintf(p, sizeof p, "/indicators/regions/%zu/active", k);
    html_card(out, p, json_object_get(r, "active"), NULL, _("ambassadors active"));
    snprintf(p, sizeof p, "/indicators/regions/%zu/target", k);
    html_card(out, p, json_object_get(r, "target"), NULL, _("target"));
    snprintf(p, sizeof p, "/indicators/regions/%zu/ambassadors", k);
    html_card(out, p, json_object_get(r, "ambassadors"), NULL, _("ambassadors listed"));
    snprintf(p, sizeof p, "/indicators/regions/%zu/publications", k);
    html_card(out, p, json_object_get(r, "publications"), NULL, _("publications"));
    snprintf(p, sizeof p, "/indicators/regions/%zu/reach", k);
    html_card(out, p, json_object_get(r, "reach"), NULL, _("reach"));
    snprintf(p, sizeof p, "/indicators/regions/%zu/rumours_answered", k);
    shown = jade_xasprintf(_("%lld of %lld"), (long long)num(r, "rumours_answered"),
                           (long long)num(r, "rumours"));
    html_card(out, p, json_object_get(r, "rumours_answered"), shown, _("rumours answered here"));
    free(shown);
    const json_t *median = json_object_get(r, "median_response_seconds");
    struct jade_buf d = {0};
    if (json_is_integer(median)) duration(&d, json_integer_value(median));
    snprintf(p, sizeof p, "/indicators/regions/%zu/median_response_seconds", k);
    html_card(out, p, median, d.len ? jade_buf_str(&d) : "–", _("median response to a rumour"));
    jade_buf_free(&d);
    fputs("</div>", out);
    const json_t *weeks = json_object_get(ind, "weeks");
    char *caption = jade_xasprintf(_("%s: publications per ISO week"), str(r, "name"));
    chart_weeks(out, weeks, json_object_get(r, "weeks"), "publications", caption, "bar");
    free(caption);
    caption = jade_xasprintf(_("%s: reach per ISO week"), str(r, "name"));
    chart_weeks(out, weeks, json_object_get(r, "weeks"), "reach", caption, "bar2");
    free(caption);
    fputs("</section>\n", out);
}

static void html_retractions(FILE *out, const json_t *report)
{
    const json_t *list = json_object_get(report, "retractions");
    fputs("<section><h2>", out);
    html_text(out, _("Retractions"));
    fputs("</h2>", out);
    if (!json_array_size(list)) {
        fputs("<p>", out);
        html_text(out, _("none"));
        fputs("</p></section>\n", out);
        return;
    }
    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, _("campaign/post"));
    html_th(out, _("channel"));
    html_th(out, _("sent (UTC)"));
    html_th(out, _("retracted (UTC)"));
    html_th(out, _("removal"));
    fputs("</tr></thead><tbody>", out);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *r = json_array_get(list, i);
        fputs("<tr><td>", out);
        html_text(out, str(r, "campaign"));
        fputs("/", out);
        html_text(out, str(r, "post"));
        const char *cells[] = {"channel", "sent_at", "retracted_at", "removal"};
        for (int c = 0; c < 4; c++) {
            fputs("</td><td>", out);
            html_text(out, str(r, cells[c]));
        }
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></div></section>\n", out);
}

static void write_html(FILE *out, const json_t *report)
{
    const json_t *ind = json_object_get(report, "indicators");
    const json_t *regions = json_object_get(ind, "regions");
    const json_t *totals = json_object_get(report, "totals");
    const json_t *period = json_object_get(report, "period");
    /* TRANSLATORS: the language of the report's words, as a BCP 47 tag (fr) */
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
            _("en"));
    html_text(out, _("jade report"));
    fputs(" — ", out);
    html_text(out, str(report, "programme"));
    fprintf(out, "</title><style>%s</style></head><body>\n<header><h1>", css);
    html_text(out, str(report, "programme"));
    fputs("</h1><p class=\"meta\">", out);
    struct jade_buf b = {0};
    jade_buf_printf(
        &b, _("Period: %s to %s (due times, UTC). Content: %s."),
        json_is_string(json_object_get(period, "from")) ? str(period, "from") : _("the start"),
        json_is_string(json_object_get(period, "to")) ? str(period, "to") : _("the end"),
        str(report, "content"));
    html_text(out, jade_buf_str(&b));
    jade_buf_free(&b);
    fputs("</p></header>\n<section id=\"indicators\"><h2>", out);
    html_text(out, _("The programme's indicators"));
    fputs("</h2><div class=\"cards\">", out);
    char *shown = jade_xasprintf(_("%lld of %lld"), (long long)num(ind, "active"),
                                 (long long)num(ind, "target"));
    html_card(out, "/indicators/active", json_object_get(ind, "active"), shown,
              _("ambassadors active, against the target"));
    free(shown);
    html_card(out, "/totals/published", json_object_get(totals, "published"), NULL,
              _("publications"));
    shown = rate_text(json_object_get(totals, "on_time_rate"));
    html_card(out, "/totals/on_time_rate", json_object_get(totals, "on_time_rate"), shown,
              _("on time (within a minute)"));
    free(shown);
    html_card(out, "/totals/reach", json_object_get(totals, "reach"), NULL, _("reach"));
    html_card(out, "/totals/engagement", json_object_get(totals, "engagement"), NULL,
              _("engagement"));
    json_t *open = json_integer((json_int_t)json_array_size(json_object_get(ind, "unanswered")));
    html_card(out, "/indicators/unanswered", open, NULL, _("rumours with no answer yet"));
    json_decref(open);
    fputs("</div>\n", out);
    chart_active(out, regions);
    size_t n = json_array_size(regions);
    const char **labels = jade_xcalloc(n + 1, sizeof *labels);
    json_int_t *values = jade_xcalloc(n + 1, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        labels[i] = str(json_array_get(regions, i), "name");
        values[i] = num(json_array_get(regions, i), "publications");
    }
    chart_rows(out, _("Publications per region"), labels, values, NULL, n, "bar");
    for (size_t i = 0; i < n; i++) values[i] = num(json_array_get(regions, i), "reach");
    chart_rows(out, _("Reach per region"), labels, values, NULL, n, "bar2");
    free(labels);
    free(values);
    fputs("<div class=\"wrap\"><table><thead><tr>", out);
    html_th(out, _("region"));
    html_th(out, _("active"));
    html_th(out, _("target"));
    html_th(out, _("published"));
    html_th(out, _("reach"));
    fputs("</tr></thead><tbody>", out);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(regions, i);
        fputs("<tr><td><a href=\"#region-", out);
        html_text(out, str(r, "id"));
        fputs("\">", out);
        html_text(out, str(r, "name"));
        fputs("</a></td>", out);
        static const char *const cols[] = {"active", "target", "publications", "reach"};
        for (int c = 0; c < 4; c++) {
            fputs("<td>", out);
            html_int(out, "/indicators/regions/%zu/%s", i, cols[c], json_object_get(r, cols[c]));
            fputs("</td>", out);
        }
        fputs("</tr>", out);
    }
    fputs("</tbody></table></div>\n", out);
    html_rumours(out, ind);
    fputs("</section>\n", out);
    for (size_t k = 0; k < n; k++) html_region(out, report, k);
    fputs("<section><h2>", out);
    struct jade_buf title = {0};
    jade_buf_printf(&title, _("Occurrences by state, by %s"), str(report, "by"));
    html_text(out, jade_buf_str(&title));
    jade_buf_free(&title);
    fputs("</h2>", out);
    html_figures_tables(out, report);
    html_failures(out, report);
    fputs("</section>\n", out);
    html_retractions(out, report);
    fputs("</body></html>\n", out);
}

int jade_report_write(FILE *out, const json_t *report, enum jade_report_format format)
{
    switch (format) {
    case JADE_REPORT_JSON:
        jade_json_dump(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        break;
    case JADE_REPORT_CSV:
        write_csv(out, report);
        break;
    case JADE_REPORT_HTML:
        write_html(out, report);
        break;
    default:
        write_table(out, report);
        break;
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
