/* validate.c - `jade validate`: check a content tree, report every problem.
 *
 * jade validate [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]
 *               [--format text|json] */
#include "cmd.h"

#include "../content/content.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs(_("usage: jade validate [DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]]\n"
            "                     [--format text|json]\n"
            "\n"
            "Checks a content tree: a folder (default: the current one), or the tree\n"
            "of a commit of a git repository (what would be published).\n"
            "Exit status: 0 valid, 1 invalid, 2 usage error.\n"),
          out);
}

int jade_cmd_validate(int argc, char **argv)
{
    static const struct option options[] = {
        {"repo", required_argument, NULL, 'r'}, {"ref", required_argument, NULL, 'R'},
        {"path", required_argument, NULL, 'p'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *repo = NULL, *ref = NULL, *path = NULL, *format = "text";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'r':
            repo = optarg;
            break;
        case 'R':
            ref = optarg;
            break;
        case 'p':
            path = optarg;
            break;
        case 'f':
            format = optarg;
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
        fprintf(stderr, _("jade validate: unknown format \"%s\" (text or json)\n"), format);
        return JADE_EXIT_USAGE;
    }
    if (argc - optind > 1 || (repo && argc - optind == 1) || (!repo && (ref || path))) {
        fputs(_("jade validate: give either a folder or --repo (with --ref and --path)\n"), stderr);
        usage(stderr);
        return JADE_EXIT_USAGE;
    }
    struct jade_source *src = NULL;
    struct jade_buf err = {0};
    int rc = repo ? jade_source_open_git(repo, ref, path, &src, &err)
                  : jade_source_open_dir(optind < argc ? argv[optind] : ".", &src, &err);
    if (rc != 0) {
        fprintf(stderr, "jade validate: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_EXIT_USAGE;
    }
    struct jade_diags diags = {0};
    struct jade_content *content = jade_content_load(src, &diags);
    jade_diags_sort(&diags);
    if (json)
        jade_diags_print_json(stdout, &diags);
    else
        jade_diags_print_text(stderr, &diags);
    size_t posts = 0;
    for (size_t i = 0; content && i < content->n_campaigns; i++)
        posts += content->campaigns[i].n_posts;
    fprintf(stderr, _("%s: %zu campaign(s), %zu post(s): %zu error(s), %zu warning(s)\n"),
            src->description, content ? content->n_campaigns : 0, posts, diags.errors,
            diags.warnings);
    int status = diags.errors ? JADE_EXIT_FAILED : JADE_EXIT_OK;
    jade_diags_free(&diags);
    jade_content_free(content);
    jade_source_free(src);
    return status;
}
