/* common.c - source options shared by subcommands (see common.h). */
#include "common.h"

#include "cmd.h"
#include "../content/content.h"
#include "../run/config.h"
#include "../run/plugins.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/diag.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <stdio.h>
#include <stdlib.h>

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
        jade_print(stderr, _("jade %s: give either a folder or --repo (with --ref and --path)\n"),
                   cmd);
        return JADE_EXIT_USAGE;
    }
    o->dir = positional == 1 ? argv[first_arg] : ".";
    struct jade_buf err = {0};
    int rc = o->repo ? jade_source_open_git(o->repo, o->ref, o->path, src, &err)
                     : jade_source_open_dir(o->dir, src, &err);
    if (rc != 0) {
        jade_print(stderr, "jade %s: %s\n", cmd, jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_EXIT_USAGE;
    }
    return JADE_EXIT_OK;
}

struct jade_cmd_networks {
    struct jade_plugins plugins;
    struct jade_network *items;
    struct jade_networks networks;
};

struct jade_cmd_networks *jade_cmd_networks_load(const char *dir, const char *cmd)
{
    struct jade_cmd_networks *n = jade_xcalloc(1, sizeof *n);
    char *where = dir ? jade_xstrdup(dir) : jade_default_plugin_dir();
    jade_plugins_load_dir(where, &n->plugins);
    free(where);
    for (size_t i = 0; i < n->plugins.n_refused; i++)
        jade_print(stderr, _("jade %s: warning: plugin refused: %s\n"), cmd, n->plugins.refused[i]);
    n->items = jade_xcalloc(n->plugins.count + 1, sizeof *n->items);
    for (size_t i = 0; i < n->plugins.count; i++)
        n->items[i] = (struct jade_network){n->plugins.items[i].plugin->name,
                                            n->plugins.items[i].plugin->limits,
                                            n->plugins.items[i].plugin->account_schema};
    n->networks = (struct jade_networks){n->items, n->plugins.count};
    return n;
}

const struct jade_networks *jade_cmd_networks_get(const struct jade_cmd_networks *n)
{
    return n ? &n->networks : NULL;
}

void jade_cmd_networks_free(struct jade_cmd_networks *n)
{
    if (!n) return;
    jade_plugins_free(&n->plugins);
    free(n->items);
    free(n);
}

int jade_cmd_parse_time(const char *s, int64_t *out)
{
    struct jade_time t;
    if (jade_time_parse_rfc3339(s, &t) != 0 && jade_time_parse_content(s, &t) != 0) return -1;
    if (!t.has_offset) t.has_offset = true, t.offset_minutes = 0; /* UTC unless said */
    return jade_time_to_unix(&t, NULL, out);
}

int jade_cmd_parse_when(const char *s, const char *tz, int64_t *out)
{
    struct jade_time t;
    if (jade_time_parse_date(s, &t) == 0 || jade_time_parse_content(s, &t) == 0 ||
        jade_time_parse_rfc3339(s, &t) == 0)
        return jade_time_to_unix(&t, tz, out);
    return -1;
}

int jade_cmd_load_config(const char *path, struct jade_config *config)
{
    struct jade_diags diags = {0};
    int rc = jade_config_load(path, config, &diags);
    jade_diags_print_text(stderr, &diags);
    jade_diags_free(&diags);
    return rc;
}
