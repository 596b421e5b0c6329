/* report.c - `jade report`: follow-up and evaluation (SPEC §8), from the
 * ledger (only read, while the service runs too) and the content.
 *
 * jade report [--config FILE] [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]
 *             [--from T] [--to T] [--by region|ambassador|campaign|network]
 *             [--format table|csv|json|html] [--output FILE]
 *
 * The content says what the ledger does not (a post's authors, a
 * channel's regions, the targets, the rumours): by default the one the
 * service publishes from — its folder, or the commit it last adopted,
 * read from its mirror in the state folder; or a folder or commit given
 * as to jade plan. */
#include "cmd.h"
#include "common.h"

#include "../content/content.h"
#include "../report/report.h"
#include "../run/config.h"
#include "../run/ledger.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/diag.h"
#include "../util/escape.h"
#include "../util/file.h"
#include "../util/i18n.h"
#include "../util/jsonutil.h"
#include "../util/timeparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs(_("usage: jade report [--config FILE]\n"
            "                   [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]\n"
            "                   [--from T] [--to T] [--by region|ambassador|campaign|network]\n"
            "                   [--format table|csv|json|html] [--output FILE]\n"
            "\n"
            "Follow-up and evaluation, from the ledger of the service's state folder:\n"
            "occurrences by state, on-time rate, failures by reason, retractions, reach\n"
            "and engagement, by region (default), ambassador, campaign or network; and\n"
            "the programme's indicators: ambassadors active per region against the\n"
            "target, publications and reach per region and week, the time from a\n"
            "rumour's first sighting to its first published answer. The content is the\n"
            "one the service publishes from (its folder, or the commit it last adopted),\n"
            "or a folder or commit given as to jade plan. --from/--to select occurrences\n"
            "by due time: T is YYYY-MM-DD or YYYY-MM-DDTHH:MM (the programme's time zone)\n"
            "or an RFC 3339 time with an offset; default: all. CSV is UTF-8 with a byte\n"
            "order mark; HTML is one self-contained page.\n"),
          out);
}

static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

/* The content the service publishes from: its folder, or the commit it
 * last adopted, in its mirror. 0, or an exit status (said on stderr). */
static int service_source(const struct jade_config *cfg, struct jade_ledger *ledger,
                          struct jade_source **src)
{
    struct jade_buf err = {0};
    int rc;
    if (cfg->source_dir) {
        rc = jade_source_open_dir(cfg->source_dir, src, &err);
    } else {
        char *commit = NULL, *kept = NULL;
        if (jade_ledger_last_adoption(ledger, &commit, &kept) != 0 || !commit) {
            fputs(_("jade report: the service has adopted no content yet: give the content "
                    "(a folder, or --repo with --ref)\n"),
                  stderr);
            free(commit);
            free(kept);
            return JADE_EXIT_FAILED;
        }
        char *mirror = jade_xasprintf("%s/content.git", cfg->state_dir);
        rc = jade_source_open_git(mirror, commit, cfg->path, src, &err);
        free(mirror);
        free(commit);
        free(kept);
    }
    if (rc != 0) {
        jade_print(stderr, _("jade report: cannot read the service's content: %s\n"),
                   jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_EXIT_FAILED;
    }
    return JADE_EXIT_OK;
}

/* Writes the report to path whole (through a temporary file beside it),
 * or to standard output. */
static int output(const json_t *report, enum jade_report_format format, const char *path)
{
    if (!path) return jade_report_write(stdout, report, format) == 0 ? 0 : -1;
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    if (!mem) return -1;
    int rc = jade_report_write(mem, report, format);
    if (fclose(mem) != 0) rc = -1;
    if (rc == 0 && jade_write_file_durably(path, data, len) != 0) {
        jade_print(stderr, _("jade report: cannot write %s: %s\n"), path, strerror(errno));
        rc = -2;
    }
    free(data);
    return rc;
}

int jade_cmd_report(int argc, char **argv)
{
    static const struct option options[] = {JADE_SOURCE_OPTIONS,
                                            {"config", required_argument, NULL, 'c'},
                                            {"from", required_argument, NULL, 'F'},
                                            {"to", required_argument, NULL, 'T'},
                                            {"by", required_argument, NULL, 'b'},
                                            {"format", required_argument, NULL, 'f'},
                                            {"output", required_argument, NULL, 'o'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct jade_source_opts so = {0};
    const char *config_path = JADE_DEFAULT_CONFIG, *from_s = NULL, *to_s = NULL, *by_s = "region",
               *format_s = "table", *output_path = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (jade_source_opts_take(&so, opt, optarg)) continue;
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'F':
            from_s = optarg;
            break;
        case 'T':
            to_s = optarg;
            break;
        case 'b':
            by_s = optarg;
            break;
        case 'f':
            format_s = optarg;
            break;
        case 'o':
            output_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return JADE_EXIT_OK;
        default:
            usage(stderr);
            return JADE_EXIT_USAGE;
        }
    }
    int by = name_index(jade_report_by_names, by_s),
        format = name_index(jade_report_format_names, format_s);
    if (by < 0) {
        jade_print(stderr,
                   _("jade report: --by takes region, ambassador, campaign or network, not "
                     "\"%s\"\n"),
                   by_s);
        return JADE_EXIT_USAGE;
    }
    if (format < 0) {
        jade_print(stderr, _("jade report: unknown format \"%s\" (table, csv, json or html)\n"),
                   format_s);
        return JADE_EXIT_USAGE;
    }
    if (output_path && !*output_path) {
        fputs(_("jade report: --output takes a file name\n"), stderr);
        return JADE_EXIT_USAGE;
    }
    bool given = so.repo || optind < argc; /* else the service's own content */
    struct jade_source *src = NULL;
    if (given) {
        int rc = jade_source_opts_open(&so, "report", argc, argv, optind, &src);
        if (rc != JADE_EXIT_OK) return rc;
    } else if (so.ref || so.path) {
        fputs(_("jade report: --ref and --path go with --repo\n"), stderr);
        return JADE_EXIT_USAGE;
    }
    struct jade_config config = {0};
    if (jade_cmd_load_config(config_path, &config) != 0) {
        jade_source_free(src);
        return JADE_EXIT_USAGE;
    }
    struct jade_ledger *ledger = NULL;
    struct jade_content *content = NULL;
    struct jade_diags diags = {0};
    struct jade_buf err = {0};
    json_t *report = NULL;
    int status = JADE_EXIT_FAILED;
    if (jade_ledger_open_readonly(config.state_dir, &ledger, &err) != 0) {
        jade_print(stderr, "jade report: %s\n", jade_buf_str(&err));
        goto done;
    }
    if (!src && (status = service_source(&config, ledger, &src)) != JADE_EXIT_OK) goto done;
    status = JADE_EXIT_FAILED;
    content = jade_content_load(src, NULL, &diags);
    if (!content) {
        jade_diags_print_text(stderr, &diags);
        goto done;
    }
    /* A report reads what it can: names and targets are in files that
     * parsed; a broken post only loses its authors. */
    if (diags.errors)
        jade_print(stderr,
                   _("jade report: warning: the content (%s) has %zu error(s) (jade validate "
                     "lists them); the report reads what could be read\n"),
                   src->description, diags.errors);
    const char *tz =
        jade_json_str(content->programme ? content->programme->json : NULL, "timezone");
    struct jade_report_options o = {INT64_MIN, INT64_MAX, (enum jade_report_by)by,
                                    src->description};
    if (from_s && jade_cmd_parse_when(from_s, tz ? tz : "UTC", &o.from) != 0) {
        jade_print(stderr, _("jade report: --from \"%s\" is not a date or a time\n"), from_s);
        status = JADE_EXIT_USAGE;
        goto done;
    }
    if (to_s && jade_cmd_parse_when(to_s, tz ? tz : "UTC", &o.to) != 0) {
        jade_print(stderr, _("jade report: --to \"%s\" is not a date or a time\n"), to_s);
        status = JADE_EXIT_USAGE;
        goto done;
    }
    if (o.to <= o.from) {
        fputs(_("jade report: --to must come after --from\n"), stderr);
        status = JADE_EXIT_USAGE;
        goto done;
    }
    if (jade_report_build(ledger, content, &o, &report, &err) != 0) {
        jade_print(stderr, "jade report: %s\n", jade_buf_str(&err));
        goto done;
    }
    int rc = output(report, (enum jade_report_format)format, output_path);
    if (rc == -1)
        jade_print(stderr, _("jade report: cannot write the report: %s\n"), strerror(errno));
    status = rc == 0 ? JADE_EXIT_OK : JADE_EXIT_FAILED;
done:
    json_decref(report);
    jade_diags_free(&diags);
    jade_content_free(content);
    jade_source_free(src);
    jade_ledger_close(ledger);
    jade_buf_free(&err);
    jade_config_free(&config);
    return status;
}
