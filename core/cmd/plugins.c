/* plugins.c - `jade plugins`: what is loaded, with limits and capabilities.
 *
 * jade plugins [--plugin-dir DIR] */
#include "cmd.h"

#include "../content/textlen.h"
#include "../run/plugins.h"
#include "../util/escape.h"
#include "../util/i18n.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jade_cmd_plugins(int argc, char **argv)
{
    static const struct option options[] = {{"plugin-dir", required_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    char *dir = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            free(dir), dir = strdup(optarg);
            break;
        case 'h':
            puts(_("usage: jade plugins [--plugin-dir DIR]\n\nLists the network plugins jade "
                   "loads, with their limits and capabilities."));
            free(dir);
            return JADE_EXIT_OK;
        default:
            free(dir);
            return JADE_EXIT_USAGE;
        }
    }
    if (!dir) dir = jade_default_plugin_dir();
    struct jade_plugins plugins;
    jade_plugins_load_dir(dir, &plugins);
    jade_print(stdout, _("plugins in %s:\n"), dir);
    for (size_t i = 0; i < plugins.count; i++) {
        const struct jade_plugin *p = plugins.items[i].plugin;
        jade_print(stdout, "\n%s  (ABI %u.%u)  %s\n  %s\n", p->name, p->abi_version >> 16,
                   p->abi_version & 0xFFFF, plugins.items[i].path,
                   p->description ? _(p->description) : "");
        const char *unit = jade_text_count_unit(p->limits->counting);
        if (p->limits->text_max)
            jade_print(stdout, _("  text: at most %u %s"), p->limits->text_max, unit);
        else
            jade_print(stdout, _("  text: no limit"));
        if (p->limits->text_max_member)
            jade_print(stdout, _(", or the channel's account's \"%s\""),
                       p->limits->text_max_member);
        if (p->limits->caption_max)
            jade_print(stdout, _("; with media, at most %u %s"), p->limits->caption_max, unit);
        jade_print(stdout, "\n");
        jade_print(stdout, _("  media: at most %u per post"), p->limits->media_max);
        if (p->limits->media_bytes_max)
            jade_print(stdout, _(", %llu MiB each"),
                       (unsigned long long)(p->limits->media_bytes_max >> 20));
        jade_print(stdout, "\n");
        static const char *const caps[] = {"idempotency-key", "delete", "metrics", "lookup",
                                           "geo-targeting"};
        jade_print(stdout, _("  capabilities:"));
        int any = 0;
        for (int c = 0; c < 5; c++)
            if (p->capabilities & (1u << c)) jade_print(stdout, " %s", caps[c]), any = 1;
        jade_print(stdout, "%s\n", any ? "" : _(" none"));
        if (p->rate_per_minute)
            jade_print(stdout, _("  rate: %u requests a minute\n"), p->rate_per_minute);
    }
    if (plugins.count == 0) jade_print(stdout, _("  (none)\n"));
    for (size_t i = 0; i < plugins.n_refused; i++)
        jade_print(stderr, _("jade plugins: refused %s\n"), plugins.refused[i]);
    int status = plugins.n_refused ? JADE_EXIT_FAILED : JADE_EXIT_OK;
    jade_plugins_free(&plugins);
    free(dir);
    return status;
}
