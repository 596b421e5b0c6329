/* plan.c - `jade plan`: the occurrences to come, for people and programs.
 *
 * jade plan [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]
 *           [--from T] [--to T] [--region R] [--channel C]
 *           [--format table|json|csv|ics]
 * jade plan --diff OLD..NEW [--repo PATH-OR-URL] [--path SUBDIR] [same filters]
 *           [--format table|json] */
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
    fputs(
        _("usage: jade plan [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]\n"
          "                 [--from T] [--to T] [--region R] [--channel C]\n"
          "                 [--format table|json|csv|ics]\n"
          "       jade plan --diff OLD..NEW [--repo PATH-OR-URL] [--path SUBDIR]\n"
          "                 [--from T] [--to T] [--region R] [--channel C] [--format table|json]\n"
          "\n"
          "Lists the occurrences to come: each post, on each channel, in each language,\n"
          "at its time. T is YYYY-MM-DD or YYYY-MM-DDTHH:MM (the programme's time zone)\n"
          "or an RFC 3339 time with an offset. Default: from now, for 14 days.\n"
          "\n"
          "--diff lists what a change of the content repository (the current folder\n"
          "unless --repo) does to the plan between two of its commits, branches or tags:\n"
          "the occurrences it adds, removes, moves (the same post, channel and language\n"
          "at another time: paired in time order) or re-words. Default: from now, for\n"
          "365 days.\n"),
        out);
}

/* [from, to) from --from and --to (local times in the programme's time
 * zone); by default from now for horizon_days. Says what is wrong. */
static int parse_range(const struct jade_content *c, const char *from_s, const char *to_s,
                       int horizon_days, int64_t *from, int64_t *to)
{
    int status = JADE_EXIT_OK;
    struct jade_policy policy;
    jade_policy_read(c, &policy);
    *from = (int64_t)time(NULL) / 60 * 60;
    if (from_s && jade_cmd_parse_when(from_s, policy.timezone, from) != 0) {
        jade_print(stderr, _("jade plan: --from \"%s\" is not a date or a time\n"), from_s);
        status = JADE_EXIT_USAGE;
    }
    *to = *from + (int64_t)horizon_days * 86400;
    if (to_s && jade_cmd_parse_when(to_s, policy.timezone, to) != 0) {
        jade_print(stderr, _("jade plan: --to \"%s\" is not a date or a time\n"), to_s);
        status = JADE_EXIT_USAGE;
    }
    jade_policy_free(&policy);
    if (status == JADE_EXIT_OK && *to <= *from) {
        fputs(_("jade plan: --to must come after --from\n"), stderr);
        status = JADE_EXIT_USAGE;
    }
    return status;
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

/* One side of a --diff: the content at ref, valid (else said, and NULL). */
static struct jade_content *load_side(const char *repo, const char *ref, const char *path,
                                      const struct jade_cmd_networks *networks,
                                      struct jade_source **src, int *status)
{
    struct jade_buf err = {0};
    if (jade_source_open_git(repo, ref, path, src, &err) != 0) {
        jade_print(stderr, _("jade plan: --diff: %s\n"), jade_buf_str(&err));
        jade_buf_free(&err);
        *status = JADE_EXIT_USAGE;
        return NULL;
    }
    struct jade_diags diags = {0};
    struct jade_content *c = jade_content_load(*src, jade_cmd_networks_get(networks), &diags);
    if (!c || diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        jade_print(stderr, _("jade plan: --diff: the content at %s has %zu error(s)\n"), ref,
                   diags.errors);
        jade_content_free(c);
        c = NULL;
        *status = JADE_EXIT_FAILED;
    }
    jade_diags_free(&diags);
    return c;
}

#define DIFF_HORIZON_DAYS 365

/* jade plan --diff OLD..NEW */
static int plan_diff(const char *range, struct jade_source_opts *so, int argc, char **argv,
                     int first_arg, const char *plugin_dir, const char *from_s, const char *to_s,
                     const struct jade_plan_filter *filter, int format)
{
    const char *dots = strstr(range, "..");
    if (!dots || dots == range || !dots[2] || dots[2] == '.' || strstr(dots + 2, "..")) {
        jade_print(stderr,
                   _("jade plan: --diff \"%s\" is not a range: give OLD..NEW, two commits, "
                     "branches or tags of the content repository (e.g. main..review)\n"),
                   range);
        return JADE_EXIT_USAGE;
    }
    if (format != JADE_PLAN_TABLE && format != JADE_PLAN_JSON) {
        fputs(_("jade plan: --diff writes table or json\n"), stderr);
        return JADE_EXIT_USAGE;
    }
    if (so->ref || argc - first_arg > 1 || (so->repo && argc - first_arg == 1)) {
        fputs(_("jade plan: --diff takes its two commits from the range: give --repo (or "
                "the repository's folder) without --ref\n"),
              stderr);
        return JADE_EXIT_USAGE;
    }
    const char *repo = so->repo ? so->repo : argc - first_arg == 1 ? argv[first_arg] : ".";
    char *old_ref = jade_xstrndup(range, (size_t)(dots - range));
    const char *new_ref = dots + 2;
    struct jade_cmd_networks *networks = jade_cmd_networks_load(plugin_dir, "plan");
    struct jade_source *old_src = NULL, *new_src = NULL;
    int status = JADE_EXIT_OK;
    struct jade_content *old_c = load_side(repo, old_ref, so->path, networks, &old_src, &status);
    struct jade_content *new_c =
        status == JADE_EXIT_USAGE ? NULL
                                  : load_side(repo, new_ref, so->path, networks, &new_src, &status);
    if (!old_c || !new_c) goto done;
    if (!known(new_c->region_index, filter->region, _("region")) ||
        !known(new_c->channel_index, filter->channel, _("channel"))) {
        status = JADE_EXIT_USAGE;
        goto done;
    }
    int64_t from, to;
    status = parse_range(new_c, from_s, to_s, DIFF_HORIZON_DAYS, &from, &to);
    if (status != JADE_EXIT_OK) goto done;
    struct jade_diags diags = {0};
    struct jade_plan old_plan = {0}, new_plan = {0};
    jade_plan_build(old_c, from, to, filter, &old_plan, &diags);
    jade_plan_build(new_c, from, to, filter, &new_plan, &diags);
    struct jade_plan_diff d;
    jade_plan_diff(&old_plan, &new_plan, &d);
    struct jade_plan_diff_sides sides = {old_ref, old_src->commit, new_ref, new_src->commit, from,
                                         to};
    jade_plan_diff_write(stdout, &d, &sides, format == JADE_PLAN_JSON);
    if (diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        status = JADE_EXIT_FAILED;
    }
    jade_plan_diff_free(&d);
    jade_plan_free(&old_plan);
    jade_plan_free(&new_plan);
    jade_diags_free(&diags);
done:
    jade_content_free(old_c);
    jade_content_free(new_c);
    jade_source_free(old_src);
    jade_source_free(new_src);
    jade_cmd_networks_free(networks);
    free(old_ref);
    return status;
}

int jade_cmd_plan(int argc, char **argv)
{
    static const struct option options[] = {JADE_SOURCE_OPTIONS,
                                            {"from", required_argument, NULL, 'F'},
                                            {"to", required_argument, NULL, 'T'},
                                            {"region", required_argument, NULL, 'g'},
                                            {"channel", required_argument, NULL, 'c'},
                                            {"format", required_argument, NULL, 'f'},
                                            {"diff", required_argument, NULL, 'D'},
                                            {"plugin-dir", required_argument, NULL, 'P'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct jade_source_opts so = {0};
    const char *plugin_dir = NULL;
    const char *from_s = NULL, *to_s = NULL, *format_s = "table", *diff = NULL;
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
        case 'D':
            diff = optarg;
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
    if (diff)
        return plan_diff(diff, &so, argc, argv, optind, plugin_dir, from_s, to_s, &filter, format);
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
    int64_t from, to;
    status = parse_range(content, from_s, to_s, DEFAULT_HORIZON_DAYS, &from, &to);
    if (!known(content->region_index, filter.region, _("region")) ||
        !known(content->channel_index, filter.channel, _("channel")))
        status = JADE_EXIT_USAGE;
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
