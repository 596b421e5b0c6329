/* common.h - what subcommands share: the content source options
 * (DIR | --repo PATH-OR-URL [--ref REF] [--path SUBDIR]) and loading. */
#ifndef JADE_CMD_COMMON_H
#define JADE_CMD_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

struct jade_source;
struct jade_content;
struct jade_diags;

struct jade_source_opts {
    const char *repo, *ref, *path, *dir;
};

/* The long options of a source, for getopt_long tables. */
#define JADE_SOURCE_OPTIONS                                                                        \
    {"repo", required_argument, NULL, 'r'}, {"ref", required_argument, NULL, 'R'},                 \
    {                                                                                              \
        "path", required_argument, NULL, 'p'                                                       \
    }

/* Takes a getopt result that is a source option; false if it is not one. */
bool jade_source_opts_take(struct jade_source_opts *o, int opt, const char *arg);

/* Checks the options (and the one positional folder, if any) and opens the
 * source. On a usage error prints it, naming cmd, and returns 2. */
int jade_source_opts_open(struct jade_source_opts *o, const char *cmd, int argc, char **argv,
                          int optind_now, struct jade_source **src);

/* The networks the plugins in dir (NULL: the default folder) declare, for
 * jade_content_load. Refused plugins are reported on stderr as warnings.
 * Free with jade_cmd_networks_free. */
struct jade_cmd_networks;
struct jade_cmd_networks *jade_cmd_networks_load(const char *dir, const char *cmd);
const struct jade_networks *jade_cmd_networks_get(const struct jade_cmd_networks *n);
void jade_cmd_networks_free(struct jade_cmd_networks *n);

/* A time given on the command line: RFC 3339, or as content writes it
 * (YYYY-MM-DDTHH:MM[:SS]); UTC unless it says. 0, or -1 if it is not one. */
int jade_cmd_parse_time(const char *s, int64_t *out);

/* A --from/--to value of jade plan and jade report: a date, a local time
 * (in the time zone tz) or an absolute time. 0, or -1 if it is not one. */
int jade_cmd_parse_when(const char *s, const char *tz, int64_t *out);

struct jade_config;
/* Reads the service configuration at path, its problems said on stderr
 * (FILE:LINE:COL); 0, or -1. */
int jade_cmd_load_config(const char *path, struct jade_config *config);

#endif
