/* run.c - `jade run`: the service (`jade history` reads its ledger:
 * history.c).
 *
 * jade run [--config FILE] [--once] [--clock sim:START:SPEED] [--until T] [--new-ledger]
 *          [--log info|debug] */
#include "cmd.h"
#include "common.h"

#include "../run/config.h"
#include "../run/clock.h"
#include "../run/service.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/diag.h"
#include "../util/i18n.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sim:START:SPEED": START an RFC 3339 time (it has colons), SPEED after
 * the last one. */
static int parse_clock(const char *arg, struct jade_service_options *o)
{
    if (strncmp(arg, "sim:", 4) != 0) return strcmp(arg, "real") == 0 ? 0 : -1;
    const char *last = strrchr(arg, ':');
    if (last <= arg + 4) return -1;
    char *start = jade_xstrndup(arg + 4, (size_t)(last - arg - 4));
    char *end;
    double speed = strtod(last + 1, &end);
    int rc = jade_cmd_parse_time(start, &o->sim_start);
    free(start);
    if (rc != 0 || *end || !(speed > 0) || !(speed <= JADE_CLOCK_SPEED_MAX)) return -1;
    o->simulated = true;
    o->sim_speed = speed;
    return 0;
}

/* JADE_TEST_CLOCK_JUMP="TIME:SECONDS", a test hook: a simulated clock's
 * wall time steps by SECONDS (back when negative) once it reaches TIME,
 * as a real clock does when NTP corrects it (clock.h). */
static int parse_clock_jump(const char *arg, struct jade_service_options *o)
{
    const char *last = strrchr(arg, ':');
    if (!last || !o->simulated) return -1;
    char *at = jade_xstrndup(arg, (size_t)(last - arg));
    char *end;
    long long by = strtoll(last + 1, &end, 10);
    int rc = jade_cmd_parse_time(at, &o->sim_jump_at);
    free(at);
    if (rc != 0 || *end || last[1] == '\0' || by == 0 || by > 365LL * 86400 || by < -365LL * 86400)
        return -1;
    o->sim_jump_by = by;
    return 0;
}

/* The exit status for how the service ended. */
static int exit_of_service(enum jade_service_status status)
{
    switch (status) {
    case JADE_SERVICE_OK:
        return JADE_EXIT_OK;
    case JADE_SERVICE_BAD_CONFIG:
        return JADE_EXIT_USAGE;
    case JADE_SERVICE_FAILED:
    default:
        return JADE_EXIT_FAILED;
    }
}

int jade_cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'}, {"once", no_argument, NULL, 'o'},
        {"clock", required_argument, NULL, 'k'},  {"until", required_argument, NULL, 'u'},
        {"new-ledger", no_argument, NULL, 'n'},   {"log", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *config_path = JADE_DEFAULT_CONFIG;
    struct jade_service_options o = {
        .until = INT64_MAX, .progress = NULL, .log_level = JADE_LOG_INFO};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'o':
            o.once = true;
            break;
        case 'k':
            if (parse_clock(optarg, &o) != 0) {
                jade_print(stderr,
                           _("jade run: --clock takes real or sim:START:SPEED (SPEED above 0, at "
                             "most %g), e.g. sim:2026-12-01T00:00:00Z:3600\n"),
                           JADE_CLOCK_SPEED_MAX);
                return JADE_EXIT_USAGE;
            }
            break;
        case 'n':
            o.new_ledger = true;
            break;
        case 'l':
            if (jade_log_level_parse(optarg, &o.log_level) != 0) {
                jade_print(stderr,
                           _("jade run: --log takes error, warning, info or debug, not \"%s\"\n"),
                           optarg);
                return JADE_EXIT_USAGE;
            }
            break;
        case 'u':
            if (jade_cmd_parse_time(optarg, &o.until) != 0) {
                jade_print(stderr, _("jade run: --until \"%s\" is not a time\n"), optarg);
                return JADE_EXIT_USAGE;
            }
            break;
        case 'h':
            puts(_("usage: jade run [--config FILE] [--once] [--clock sim:START:SPEED] "
                   "[--until T] [--new-ledger] [--log LEVEL]\n\n"
                   "Publishes the plan: --once what is due now, then exits (for cron);\n"
                   "--clock sim:START:SPEED runs a simulated clock from START, SPEED times\n"
                   "faster; --until stops when the clock reaches T (UTC unless it says);\n"
                   "--new-ledger takes the state folder's ledger as it is found, when the\n"
                   "one it held is missing, emptied or another (what the lost one recorded\n"
                   "as sent may be sent again); --log info (the default) or debug, or\n"
                   "warning or error only: the log on stderr, one logfmt line per event."));
            return JADE_EXIT_OK;
        default:
            return JADE_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        jade_print(stderr, _("jade run: unexpected argument \"%s\"\n"), argv[optind]);
        return JADE_EXIT_USAGE;
    }
    const char *jump = getenv("JADE_TEST_CLOCK_JUMP");
    if (jump && parse_clock_jump(jump, &o) != 0) {
        jade_print(
            stderr,
            _("jade run: JADE_TEST_CLOCK_JUMP (a test hook) takes TIME:SECONDS, with --clock "
              "sim:...: the simulated wall clock steps by SECONDS (non-zero, at most a year "
              "either way) once it reaches TIME, e.g. 2026-12-02T08:35:00Z:7200\n"));
        return JADE_EXIT_USAGE;
    }
    struct jade_config config;
    if (jade_cmd_load_config(config_path, &config) != 0) return JADE_EXIT_USAGE;
    o.config = &config;
    enum jade_service_status st = jade_service_run(&o);
    jade_config_free(&config);
    return exit_of_service(st);
}
