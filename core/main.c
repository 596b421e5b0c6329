/* main.c - the jade command: subcommand dispatch only. */
#include "cmd/cmd.h"
#include "util/escape.h"
#include "util/i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"demo", jade_cmd_demo, N_("a simulated week of the example campaigns, then a summary")},
    {"validate", jade_cmd_validate, N_("check a content tree (a folder or a git commit)")},
    {"plan", jade_cmd_plan, N_("list the occurrences to come (table, JSON, CSV, iCalendar)")},
    {"run", jade_cmd_run, N_("the service: publish the plan through the plugins")},
    {"history", jade_cmd_history, N_("every occurrence in the ledger, with its state")},
    {"report", jade_cmd_report, N_("follow-up and evaluation: what went out, the indicators")},
    {"status", jade_cmd_status, N_("what the running service is doing")},
    {"halt", jade_cmd_halt, N_("stop new publications now: all, a campaign or a channel")},
    {"resume", jade_cmd_resume, N_("lift a halt, or a channel's suspension")},
    {"plugins", jade_cmd_plugins, N_("list the network plugins, their limits and capabilities")},
};

/* out: rel seen from the binary's folder ("../po"), when that is a folder. */
static bool beside_exe(const char *rel, char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0) return false;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    size_t len = strlen(rel);
    if (!slash || (size_t)(slash + 1 - out) + len >= size) return false;
    memcpy(slash + 1, rel, len + 1);
    struct stat st;
    return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the message catalogues are: $JADE_LOCALEDIR, else po/ of the build
 * tree the binary runs from (build/core/jade: build/po/fr/LC_MESSAGES/
 * jade.mo, made by meson compile), else the installed localedir, seen from
 * the binary's folder (a tree moved whole, a DESTDIR) or where meson
 * installed it. */
static void bind_catalogues(void)
{
    const char *env = getenv("JADE_LOCALEDIR");
    char dir[PATH_MAX];
    if (env && *env)
        bindtextdomain("jade", env);
    else if (beside_exe("../po", dir, sizeof dir))
        bindtextdomain("jade", dir);
#ifdef JADE_LOCALEDIR_FROM_BIN
    else if (beside_exe(JADE_LOCALEDIR_FROM_BIN, dir, sizeof dir))
        bindtextdomain("jade", dir);
#endif
    else
        bindtextdomain("jade", JADE_LOCALEDIR);
}

static void usage(FILE *out)
{
    fputs(_("usage: jade COMMAND [OPTIONS]\n\ncommands:\n"), out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    fputs(_("\n`jade COMMAND --help` tells more.\n"), out);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* Numbers keep their point in every language (1.5, never 1,5): JSON,
     * CSV, Prometheus text, logs and --clock's speed are data formats. */
    setlocale(LC_NUMERIC, "C");
    bind_catalogues();
    textdomain("jade");
    if (argc < 2) {
        usage(stderr);
        return JADE_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return JADE_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        jade_print(stdout, "jade %s\n", JADE_VERSION);
        return JADE_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    jade_print(stderr, _("jade: unknown command \"%s\"\n"), argv[1]);
    usage(stderr);
    return JADE_EXIT_USAGE;
}
