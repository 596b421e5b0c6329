/* admin.c - `jade status`, `jade halt`, `jade resume`: the service named
 * by --config, asked over its admin listener (`listen`: an address, or a
 * Unix socket).
 *
 * jade status [--config FILE] [--format table|json]
 * jade halt   [--config FILE] [--campaign C | --channel CH] [--reason TEXT]
 * jade resume [--config FILE] [--campaign C | --channel CH] */
#include "cmd.h"
#include "common.h"

#include "../run/config.h"
#include "../run/host.h"
#include "../util/buf.h"
#include "../util/diag.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/utf8.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The service answers at once (a halt, once the ledger has it). */
#define CONNECT_TIMEOUT_MS 3000
#define TIMEOUT_MS 15000

struct answer {
    long status;
    struct jade_buf body;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    struct answer *a = ctx;
    jade_buf_append(&a->body, data, size * n);
    return size * n;
}

/* Where to reach a listener: a wildcard address is reached on loopback. */
static char *base_url(const char *listen)
{
    if (listen[0] == '/') return jade_xstrdup("http://localhost");
    if (!strncmp(listen, "0.0.0.0:", 8)) return jade_xasprintf("http://127.0.0.1:%s", listen + 8);
    if (!strncmp(listen, "[::]:", 5)) return jade_xasprintf("http://[::1]:%s", listen + 5);
    return jade_xasprintf("http://%s", listen);
}

/* One request to the service; 0 and *out filled, or -1 said (not running,
 * no answer). */
static int ask(const char *cmd, const struct jade_config *c, const char *method, const char *path,
               const char *token, const char *body, struct answer *out)
{
    CURL *curl = curl_easy_init();
    if (!curl) return -1;
    char *base = base_url(c->listen);
    char *url = jade_xasprintf("%s%s", base, path);
    struct curl_slist *headers = NULL;
    char *auth = token ? jade_xasprintf("Authorization: Bearer %s", token) : NULL;
    if (auth) headers = curl_slist_append(headers, auth);
    if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (c->listen[0] == '/') curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->listen);
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never through an environment's proxy */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    if (rc == CURLE_COULDNT_CONNECT)
        jade_print(stderr, _("jade %s: the service of %s is not running: nothing listens on %s\n"),
                   cmd, c->name, c->listen);
    else if (rc != CURLE_OK)
        jade_print(stderr, _("jade %s: the service of %s (on %s) does not answer: %s\n"), cmd,
                   c->name, c->listen, curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    if (auth) explicit_bzero(auth, strlen(auth));
    free(auth);
    free(url);
    free(base);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : -1;
}

/* ---- status --------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "-";
}

static json_int_t num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The service's and a channel's state in the table, in the reader's
 * language; the JSON keeps the words it has. */
static const char *state_word(const char *state)
{
    static const char *const words[] = {N_("running"),   N_("stopping"),    N_("halted"),
                                        N_("ready"),     N_("suspended"),   N_("removed"),
                                        N_("no plugin"), N_("rate limited")};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(state, words[i])) return _(words[i]);
    return state;
}

/* The channels' table: identifiers and words left-aligned, counts right,
 * padded by characters, not bytes (a French head or state has accents). */
enum { N_COLUMNS = 8 };

static void print_row(const char *const cells[N_COLUMNS], const int width[N_COLUMNS])
{
    for (int c = 0; c < N_COLUMNS; c++) {
        bool count = c >= 3 && c < N_COLUMNS - 1;
        int pad = width[c] - (int)jade_utf8_length(cells[c], strlen(cells[c]));
        for (int k = 0; count && k < pad; k++) fputc(' ', stdout);
        jade_print(stdout, "%s", cells[c]);
        for (int k = 0; !count && c < N_COLUMNS - 1 && k < pad; k++) fputc(' ', stdout);
        if (c < N_COLUMNS - 1) fputs(c == N_COLUMNS - 2 ? "  " : " ", stdout);
    }
    fputc('\n', stdout);
}

static void print_table(const json_t *st)
{
    const json_t *content = json_object_get(st, "content");
    jade_print(stdout, _("jade %s: %s (service clock %s)\n"), str(st, "version"),
               state_word(str(st, "state")), str(st, "now"));
    jade_print(stdout, _("content: commit %.12s"), str(content, "commit"));
    if (json_is_string(json_object_get(content, "signer")))
        jade_print(stdout, _(", signed by %s"), str(content, "signer"));
    jade_print(stdout, _(", %lld occurrences planned until %s\n"),
               (long long)num(content, "occurrences"), str(content, "plan_until"));
    size_t i;
    const json_t *v;
    json_array_foreach (json_object_get(content, "kept"), i, v)
        jade_print(stdout, _("  kept at an older version (invalid at the tip): %s\n"),
                   json_string_value(v));
    const json_t *review = json_object_get(st, "waiting_for_review");
    if (json_is_object(review))
        jade_print(stdout, _("waiting: commit %.12s is not adopted: %s\n"), str(review, "commit"),
                   str(review, "reason"));
    const json_t *fetch = json_object_get(st, "fetch");
    jade_print(stdout, _("branch last read: %s"), str(fetch, "last"));
    if (json_is_string(json_object_get(fetch, "error")))
        jade_print(stdout, _("; failing since %s (%lld failures): %s"), str(fetch, "failing_since"),
                   (long long)num(fetch, "failures"), str(fetch, "error"));
    jade_print(stdout, "\n");
    const json_t *halts = json_object_get(st, "halts");
    json_array_foreach (halts, i, v) {
        const char *scope = str(v, "scope");
        jade_print(stdout, _("HALTED: %s%s%s since %s%s%s\n"),
                   !strcmp(scope, "all") ? _("everything") : scope,
                   !strcmp(scope, "all") ? "" : " ", !strcmp(scope, "all") ? "" : str(v, "target"),
                   str(v, "since"), *str(v, "reason") ? ": " : "", str(v, "reason"));
    }
    const char *heads[N_COLUMNS] = {_("CHANNEL"),  _("NETWORK"), _("STATE"),   _("PLANNED"),
                                    _("RETRYING"), _("HELD"),    _("SENDING"), _("NEXT DUE")};
    int width[N_COLUMNS] = {24, 10, 13, 8, 8, 6, 6, 0};
    for (int c = 0; c < N_COLUMNS - 1; c++) {
        int len = (int)jade_utf8_length(heads[c], strlen(heads[c]));
        if (len > width[c]) width[c] = len;
    }
    jade_print(stdout, "\n");
    print_row(heads, width);
    json_array_foreach (json_object_get(st, "channels"), i, v) {
        char counts[4][24];
        const char *keys[4] = {"planned", "retrying", "held", "in_flight"};
        for (int k = 0; k < 4; k++)
            snprintf(counts[k], sizeof counts[k], "%lld", (long long)num(v, keys[k]));
        const char *row[N_COLUMNS] = {str(v, "id"), str(v, "network"), state_word(str(v, "state")),
                                      counts[0],    counts[1],         counts[2],
                                      counts[3],    str(v, "next_due")};
        print_row(row, width);
        const json_t *susp = json_object_get(v, "suspended");
        if (json_is_object(susp))
            jade_print(stdout, _("    suspended since %s: %s\n"), str(susp, "since"),
                       str(susp, "reason"));
        if (json_is_string(json_object_get(v, "rate_limited_until")))
            jade_print(stdout, _("    the network asked to wait until %s\n"),
                       str(v, "rate_limited_until"));
    }
    const json_t *by_hand = json_object_get(st, "to_remove_by_hand");
    if (num(by_hand, "count") > 0) {
        jade_print(stdout,
                   _("\nto remove by hand (retracted, the network would not remove "
                     "them): %lld\n"),
                   (long long)num(by_hand, "count"));
        json_array_foreach (json_object_get(by_hand, "items"), i, v)
            jade_print(stdout, _("  %s  %s/%s on %s  %s\n"), str(v, "key"), str(v, "campaign"),
                       str(v, "post"), str(v, "channel"), str(v, "network_id"));
    }
    const json_t *totals = json_object_get(st, "totals");
    jade_print(stdout, _("\nsince the service started: %lld sent, %lld failed, %lld in flight\n"),
               (long long)num(totals, "sent"), (long long)num(totals, "failed"),
               (long long)num(totals, "in_flight"));
}

/* ---- the commands ---------------------------------------------------------- */

struct args {
    const char *config, *format, *campaign, *channel, *reason;
};

static const char *const usage[] = {
    N_("usage: jade status [--config FILE] [--format table|json]\n\n"
       "What the running service is doing: its content, the branch, halts, and\n"
       "each channel's queue, suspension and next due time."),
    N_("usage: jade halt [--config FILE] [--campaign C | --channel CH] [--reason TEXT]\n\n"
       "Stops new publications of everything, of a campaign or of a channel, at once\n"
       "and until `jade resume`, restarts included. Requests already in flight\n"
       "finish. Needs the admin token (the service's secrets folder)."),
    N_("usage: jade resume [--config FILE] [--campaign C | --channel CH]\n\n"
       "Lifts the halt of that scope (everything when none is named); --channel\n"
       "also lifts the channel's suspension after refused credentials. What a halt\n"
       "kept past its catch-up window was recorded missed."),
};

static int parse_args(const char *cmd, int which, int argc, char **argv, struct args *a)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"format", required_argument, NULL, 'f'},
                                            {"campaign", required_argument, NULL, 'C'},
                                            {"channel", required_argument, NULL, 'H'},
                                            {"reason", required_argument, NULL, 'r'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    *a = (struct args){.config = JADE_DEFAULT_CONFIG, .format = "table"};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        bool allowed = opt == 'c' || opt == 'h' || (which == 0 && opt == 'f') ||
                       (which > 0 && (opt == 'C' || opt == 'H')) || (which == 1 && opt == 'r');
        if (opt == '?' || !allowed) {
            if (opt != '?') jade_print(stderr, "%s\n", _(usage[which]));
            return JADE_EXIT_USAGE;
        }
        switch (opt) {
        case 'c':
            a->config = optarg;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'C':
            a->campaign = optarg;
            break;
        case 'H':
            a->channel = optarg;
            break;
        case 'r':
            a->reason = optarg;
            break;
        case 'h':
            puts(_(usage[which]));
            return -1;
        }
    }
    if (optind < argc) {
        jade_print(stderr, _("jade %s: unexpected argument \"%s\"\n"), cmd, argv[optind]);
        return JADE_EXIT_USAGE;
    }
    if (strcmp(a->format, "table") && strcmp(a->format, "json")) {
        jade_print(stderr, _("jade %s: --format is table or json\n"), cmd);
        return JADE_EXIT_USAGE;
    }
    if (a->campaign && a->channel) {
        jade_print(stderr, _("jade %s: --campaign or --channel, not both\n"), cmd);
        return JADE_EXIT_USAGE;
    }
    return 0;
}

int jade_cmd_status(int argc, char **argv)
{
    struct args a;
    int rc = parse_args("status", 0, argc, argv, &a);
    if (rc) return rc < 0 ? JADE_EXIT_OK : rc;
    struct jade_config c;
    if (jade_cmd_load_config(a.config, &c) != 0) return JADE_EXIT_USAGE;
    struct answer ans = {0};
    rc = JADE_EXIT_FAILED;
    if (ask("status", &c, "GET", "/status", NULL, NULL, &ans) == 0) {
        json_t *st = ans.status == 200 ? json_loadb(ans.body.data, ans.body.len, 0, NULL) : NULL;
        if (!json_is_object(st)) {
            jade_print(stderr, _("jade status: the service answered %ld: %s\n"), ans.status,
                       jade_buf_str(&ans.body));
        } else {
            if (!strcmp(a.format, "json"))
                jade_json_dump(st, stdout, JSON_INDENT(2));
            else
                print_table(st);
            rc = JADE_EXIT_OK;
        }
        json_decref(st);
    }
    jade_buf_free(&ans.body);
    jade_config_free(&c);
    return rc;
}

static int halt_or_resume(const char *cmd, int which, int argc, char **argv)
{
    struct args a;
    int rc = parse_args(cmd, which, argc, argv, &a);
    if (rc) return rc < 0 ? JADE_EXIT_OK : rc;
    struct jade_config c;
    if (jade_cmd_load_config(a.config, &c) != 0) return JADE_EXIT_USAGE;
    char token[4096];
    struct jade_buf err = {0};
    if (jade_secret_read(c.secrets_dir, c.admin_token, token, sizeof token, &err) <= 0) {
        jade_print(stderr, _("jade %s: the admin token is needed: %s\n"), cmd, jade_buf_str(&err));
        jade_buf_free(&err);
        jade_config_free(&c);
        return JADE_EXIT_FAILED;
    }
    json_t *body = json_object();
    if (a.campaign) json_object_set_new(body, "campaign", json_string(a.campaign));
    if (a.channel) json_object_set_new(body, "channel", json_string(a.channel));
    if (a.reason) json_object_set_new(body, "reason", json_string(a.reason));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct answer ans = {0};
    rc = JADE_EXIT_FAILED;
    if (!text) {
        jade_print(stderr, _("jade %s: the names and the reason must be UTF-8\n"), cmd);
    } else if (ask(cmd, &c, "POST", which == 1 ? "/halt" : "/resume", token, text, &ans) == 0) {
        if (ans.status == 200) {
            jade_print(stdout, "%s", jade_buf_str(&ans.body));
            rc = JADE_EXIT_OK;
        } else {
            jade_print(stderr, _("jade %s: refused (%ld): %s"), cmd, ans.status,
                       jade_buf_str(&ans.body));
        }
    }
    explicit_bzero(token, sizeof token);
    free(text);
    jade_buf_free(&ans.body);
    jade_config_free(&c);
    return rc;
}

int jade_cmd_halt(int argc, char **argv)
{
    return halt_or_resume("halt", 1, argc, argv);
}

int jade_cmd_resume(int argc, char **argv)
{
    return halt_or_resume("resume", 2, argc, argv);
}
