/* validate.c - `jade validate`: check a content tree, report every problem.
 *
 * jade validate [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]
 *               [--config FILE] [--format text|json]
 *
 * With --config, channels are also checked against the operator's
 * bindings, as the service would (for the content repository's CI). */
#include "cmd.h"
#include "common.h"

#include "../content/content.h"
#include "../plan/plan.h"
#include "../run/config.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs(_("usage: jade validate [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]\n"
            "                     [--config FILE] [--format text|json]\n"
            "\n"
            "Checks a content tree: a folder (default: the current one), or the tree\n"
            "of a commit of a git repository (what would be published).\n"
            "--config FILE also checks the channels against that service\n"
            "configuration's bindings of secrets and URLs, and uses its plugin_dir.\n"
            "Exit status: 0 valid, 1 invalid, 2 usage error.\n"),
          out);
}

int jade_cmd_validate(int argc, char **argv)
{
    static const struct option options[] = {JADE_SOURCE_OPTIONS,
                                            {"format", required_argument, NULL, 'f'},
                                            {"plugin-dir", required_argument, NULL, 'P'},
                                            {"config", required_argument, NULL, 'c'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct jade_source_opts so = {0};
    const char *plugin_dir = NULL, *config_path = NULL;
    const char *format = "text";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (jade_source_opts_take(&so, opt, optarg)) continue;
        switch (opt) {
        case 'f':
            format = optarg;
            break;
        case 'P':
            plugin_dir = optarg;
            break;
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return JADE_EXIT_OK;
        default:
            usage(stderr);
            return JADE_EXIT_USAGE;
        }
    }
    bool json = strcmp(format, "json") == 0;
    if (!json && strcmp(format, "text") != 0) {
        jade_print(stderr, _("jade validate: unknown format \"%s\" (text or json)\n"), format);
        return JADE_EXIT_USAGE;
    }
    struct jade_config config = {0};
    if (config_path) {
        struct jade_diags config_diags = {0};
        int loaded = jade_config_load(config_path, &config, &config_diags);
        jade_diags_sort(&config_diags);
        jade_diags_print_text(stderr, &config_diags);
        jade_diags_free(&config_diags);
        if (loaded != 0) return JADE_EXIT_USAGE;
        if (!plugin_dir) plugin_dir = config.plugin_dir;
    }
    struct jade_source *src = NULL;
    int rc = jade_source_opts_open(&so, "validate", argc, argv, optind, &src);
    if (rc != JADE_EXIT_OK) {
        jade_config_free(&config);
        return rc;
    }
    struct jade_diags diags = {0};
    struct jade_cmd_networks *networks = jade_cmd_networks_load(plugin_dir, "validate");
    struct jade_networks checked = *jade_cmd_networks_get(networks);
    checked.bindings = config_path ? config.bindings : NULL;
    struct jade_content *content = jade_content_load(src, &checked, &diags);
    /* What policy drops can only be seen in a plan, of content that plans. */
    if (content && !diags.errors) jade_plan_check(content, &diags);
    jade_diags_sort(&diags);
    if (json)
        jade_diags_print_json(stdout, &diags);
    else
        jade_diags_print_text(stderr, &diags);
    size_t posts = 0;
    for (size_t i = 0; content && i < content->n_campaigns; i++)
        posts += content->campaigns[i].n_posts;
    jade_print(stderr,
               _("%s: %zu campaign(s), %zu post(s), %zu rumour(s): %zu error(s), %zu "
                 "warning(s)\n"),
               src->description, content ? content->n_campaigns : 0, posts,
               content ? content->n_rumours : 0, diags.errors, diags.warnings);
    int status = diags.errors ? JADE_EXIT_FAILED : JADE_EXIT_OK;
    jade_diags_free(&diags);
    jade_content_free(content);
    jade_cmd_networks_free(networks);
    jade_source_free(src);
    jade_config_free(&config);
    return status;
}
