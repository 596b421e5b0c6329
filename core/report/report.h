/* report.h - follow-up and evaluation (SPEC §8): what the ledger says
 * went out, read with the content that says who wrote it, where it
 * speaks and which rumour it answers.
 *
 * jade_report_build reads the ledger (only reads) and gives the report as
 * one JSON document (schemas/report.schema.json); the other formats are
 * written from that document, so every format shows the same numbers. */
#ifndef JADE_REPORT_H
#define JADE_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct jade_buf;
struct jade_content;
struct jade_ledger;

/* What the general figures are broken down by. */
enum jade_report_by { JADE_BY_REGION, JADE_BY_AMBASSADOR, JADE_BY_CAMPAIGN, JADE_BY_NETWORK };

enum jade_report_format { JADE_REPORT_TABLE, JADE_REPORT_CSV, JADE_REPORT_JSON, JADE_REPORT_HTML };

/* The names of the two enums' values, as the command line and the JSON
 * say them; NULL-terminated. */
extern const char *const jade_report_by_names[];
extern const char *const jade_report_format_names[];

struct jade_report_options {
    int64_t from, to;       /* occurrences due in [from, to); INT64_MIN, INT64_MAX: open */
    enum jade_report_by by; /* the general figures' breakdown */
    const char *content;    /* where the content came from, for people (or NULL) */
};

/* The report of the ledger l, read with the content c. 0, or -1 with
 * err (the ledger could not be read, or is older than schema 10). The
 * caller owns *out. */
int jade_report_build(struct jade_ledger *l, const struct jade_content *c,
                      const struct jade_report_options *o, json_t **out, struct jade_buf *err);

/* Writes the report in a format. 0, or -1 when out failed. */
int jade_report_write(FILE *out, const json_t *report, enum jade_report_format format);

#endif
