/* common.c - source options shared by subcommands (see common.h). */
#include "common.h"

#include "cmd.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <stdio.h>

bool jade_source_opts_take(struct jade_source_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'r':
        o->repo = arg;
        return true;
    case 'R':
        o->ref = arg;
        return true;
    case 'p':
        o->path = arg;
        return true;
    default:
        return false;
    }
}

int jade_source_opts_open(struct jade_source_opts *o, const char *cmd, int argc, char **argv,
                          int first_arg, struct jade_source **src)
{
    int positional = argc - first_arg;
    if (positional > 1 || (o->repo && positional == 1) || (!o->repo && (o->ref || o->path))) {
        fprintf(stderr, _("jade %s: give either a folder or --repo (with --ref and --path)\n"),
                cmd);
        return JADE_EXIT_USAGE;
    }
    o->dir = positional == 1 ? argv[first_arg] : ".";
    struct jade_buf err = {0};
    int rc = o->repo ? jade_source_open_git(o->repo, o->ref, o->path, src, &err)
                     : jade_source_open_dir(o->dir, src, &err);
    if (rc != 0) {
        fprintf(stderr, "jade %s: %s\n", cmd, jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_EXIT_USAGE;
    }
    return JADE_EXIT_OK;
}
