/* plan.c - `jade plan`: the occurrences to come, for people and programs.
 *
 * jade plan [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]
 *           [--from T] [--to T] [--region R] [--channel C]
 *           [--format table|json|csv|ics] */
#include "cmd.h"
#include "common.h"

#include "../content/content.h"
#include "../plan/plan.h"
#include "../schedule/schedule.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/jsonutil.h"
#include "../util/suggest.h"
#include "../util/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_HORIZON_DAYS 14

static void usage(FILE *out)
{
    fputs(_("usage: jade plan [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]\n"
            "                 [--from T] [--to T] [--region R] [--channel C]\n"
            "                 [--format table|json|csv|ics]\n"
            "\n"
            "Lists the occurrences to come: each post, on each channel, in each language,\n"
            "at its time. T is YYYY-MM-DD or YYYY-MM-DDTHH:MM (the programme's time zone)\n"
            "or an RFC 3339 time with an offset. Default: from now, for 14 days.\n"),
          out);
}

/* A --from/--to value: a date, a local time, or an absolute time. */
static int parse_when(const char *s, const char *tz, int64_t *out)
{
    struct jade_time t;
    if (jade_time_parse_date(s, &t) == 0 || jade_time_parse_content(s, &t) == 0 ||
        jade_time_parse_rfc3339(s, &t) == 0)
        return jade_time_to_unix(&t, tz, out);
    return -1;
}

/* Checks that id names something in index; prints a usage error if not. */
static bool known(const json_t *index, const char *id, const char *what)
{
    if (!id || json_object_get(index, id)) return true;
    size_t n = json_object_size(index), i = 0;
    const char **keys = jade_xcalloc(n + 1, sizeof *keys);
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)index, key, v) keys[i++] = key;
    const char *hint = jade_suggest(id, keys, n);
    jade_print(stderr, _("jade plan: unknown %s \"%s\"%s%s%s\n"), what, id,
               hint ? _(" (did you mean \"") : "", hint ? hint : "", hint ? "\"?)" : "");
    free(keys);
    return false;
}

/* The open rumours nothing answers: after a table, which is for people;
 * on standard error beside data, which programs read. */
static void print_unanswered(const struct jade_content *c, const char *region, bool table)
{
    size_t n;
    const struct jade_rumour **open = jade_plan_unanswered(c, region, &n);
    FILE *out = table ? stdout : stderr;
    if (n)
        jade_print(out,
                   table ? _("\nRumours with no answer yet: %zu\n")
                         : _("jade plan: rumours with no answer yet: %zu\n"),
                   n);
    struct jade_policy policy;
    jade_policy_read(c, &policy);
    for (size_t i = 0; i < n; i++) {
        const json_t *j = open[i]->file->json;
        char seen[40];
        jade_format_local(open[i]->first_seen, policy.timezone, seen);
        struct jade_buf regions = {0};
        const json_t *list = json_object_get(j, "regions");
        for (size_t k = 0; k < json_array_size(list); k++)
            jade_buf_printf(&regions, "%s%s", k ? "," : "",
                            json_string_value(json_array_get(list, k)));
        char *summary = jade_escaped(jade_json_str(j, "summary"));
        jade_print(out, _("  %s  first seen %s in %s: %s\n"), open[i]->id, seen,
                   jade_buf_str(&regions), summary);
        free(summary);
        jade_buf_free(&regions);
    }
    jade_policy_free(&policy);
    free(open);
}

int jade_cmd_plan(int argc, char **argv)
{
    static const struct option options[] = {JADE_SOURCE_OPTIONS,
                                            {"from", required_argument, NULL, 'F'},
                                            {"to", required_argument, NULL, 'T'},
                                            {"region", required_argument, NULL, 'g'},
                                            {"channel", required_argument, NULL, 'c'},
                                            {"format", required_argument, NULL, 'f'},
                                            {"plugin-dir", required_argument, NULL, 'P'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct jade_source_opts so = {0};
    const char *plugin_dir = NULL;
    const char *from_s = NULL, *to_s = NULL, *format_s = "table";
    struct jade_plan_filter filter = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (jade_source_opts_take(&so, opt, optarg)) continue;
        switch (opt) {
        case 'F':
            from_s = optarg;
            break;
        case 'T':
            to_s = optarg;
            break;
        case 'g':
            filter.region = optarg;
            break;
        case 'c':
            filter.channel = optarg;
            break;
        case 'f':
            format_s = optarg;
            break;
        case 'P':
            plugin_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return JADE_EXIT_OK;
        default:
            usage(stderr);
            return JADE_EXIT_USAGE;
        }
    }
    static const char *const formats[] = {"table", "json", "csv", "ics"};
    int format = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(format_s, formats[i])) format = i;
    if (format < 0) {
        jade_print(stderr, _("jade plan: unknown format \"%s\" (table, json, csv or ics)\n"),
                   format_s);
        return JADE_EXIT_USAGE;
    }
    struct jade_source *src = NULL;
    int rc = jade_source_opts_open(&so, "plan", argc, argv, optind, &src);
    if (rc != JADE_EXIT_OK) return rc;

    struct jade_diags diags = {0};
    struct jade_cmd_networks *networks = jade_cmd_networks_load(plugin_dir, "plan");
    struct jade_content *content = jade_content_load(src, jade_cmd_networks_get(networks), &diags);
    int status = JADE_EXIT_OK;
    if (!content || diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        jade_print(stderr,
                   _("jade plan: the content has %zu error(s): fix them first (jade "
                     "validate tells the same)\n"),
                   diags.errors);
        status = JADE_EXIT_FAILED;
        goto done;
    }
    struct jade_policy policy;
    jade_policy_read(content, &policy);
    int64_t from = (int64_t)time(NULL) / 60 * 60, to;
    if (from_s && parse_when(from_s, policy.timezone, &from) != 0) {
        jade_print(stderr, _("jade plan: --from \"%s\" is not a date or a time\n"), from_s);
        status = JADE_EXIT_USAGE;
    }
    to = from + DEFAULT_HORIZON_DAYS * 86400;
    if (to_s && parse_when(to_s, policy.timezone, &to) != 0) {
        jade_print(stderr, _("jade plan: --to \"%s\" is not a date or a time\n"), to_s);
        status = JADE_EXIT_USAGE;
    }
    if (status == JADE_EXIT_OK && to <= from) {
        fputs(_("jade plan: --to must come after --from\n"), stderr);
        status = JADE_EXIT_USAGE;
    }
    if (!known(content->region_index, filter.region, _("region")) ||
        !known(content->channel_index, filter.channel, _("channel")))
        status = JADE_EXIT_USAGE;
    jade_policy_free(&policy);
    if (status != JADE_EXIT_OK) goto done;

    struct jade_plan plan = {0};
    jade_plan_build(content, from, to, &filter, &plan, &diags);
    jade_plan_write(stdout, &plan, (enum jade_plan_format)format);
    print_unanswered(content, filter.region, format == 0);
    if (diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        status = JADE_EXIT_FAILED;
    }
    jade_plan_free(&plan);
done:
    jade_diags_free(&diags);
    jade_content_free(content);
    jade_cmd_networks_free(networks);
    jade_source_free(src);
    return status;
}
