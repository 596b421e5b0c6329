/* demo.c - `jade demo`: the main job on the embedded example, no setup.
 *
 * The example content of campaigns/ (built into the binary) becomes a
 * temporary git repository, so the demo reads it through libgit2 as the
 * service would; then a simulated week runs through the outbox plugin, and
 * a summary tells, per region and per network, what was planned, sent and
 * failed, and where the outbox files are; the week's report (jade report)
 * is written beside them as one HTML page. */
#include "cmd.h"

#include "../content/content.h"
#include "../report/report.h"
#include "../run/config.h"
#include "../run/ledger.h"
#include "../run/clock.h"
#include "../run/service.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/diag.h"
#include "../util/embedded.h"
#include "../util/file.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <git2.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEMO_START "2026-12-01T00:00:00Z"
#define DEMO_DAYS 7

/* Every network of the example channels but the outbox runs dry: the
 * demo reaches no network, and shows what each would have published. Each
 * channel's secret is bound to it, as an operator would (never read). */
static json_t *demo_networks(json_t **bindings)
{
    *bindings = json_object();
    const struct jade_embedded *e = jade_embedded_find(jade_embedded_campaigns, "channels.json");
    json_t *channels = json_loads(e ? e->data : "{}", 0, NULL);
    json_t *networks = json_object();
    size_t i;
    json_t *ch;
    json_array_foreach (json_object_get(channels, "channels"), i, ch) {
        const char *network = json_string_value(json_object_get(ch, "network"));
        const char *id = json_string_value(json_object_get(ch, "id"));
        const char *secret = json_string_value(json_object_get(ch, "secret"));
        if (network && strcmp(network, "outbox") != 0)
            json_object_set_new(networks, network, json_pack("{s:b}", "dry_run", 1));
        if (!secret || !id) continue;
        json_t *prefixes = json_array(); /* the account's addresses (a Mastodon instance) */
        const char *member;
        json_t *value;
        json_object_foreach (json_object_get(ch, "account"), member, value) {
            const char *text = json_string_value(value);
            if (text && !strncmp(text, "https://", 8)) json_array_append(prefixes, value);
        }
        json_object_set_new(*bindings, secret,
                            json_pack("{s:[s], s:o}", "channels", id, "url_prefixes", prefixes));
    }
    json_decref(channels);
    /* The outbox's metrics test double: the week has (simulated) reactions
     * to follow up and report on. */
    json_object_set_new(networks, "outbox", json_pack("{s:b}", "simulated_metrics", 1));
    return networks;
}

static int write_tree(const char *root)
{
    if (mkdir(root, 0755) != 0) return -1;
    for (const struct jade_embedded *e = jade_embedded_campaigns; e->name; e++) {
        char *path = jade_xasprintf("%s/%s", root, e->name);
        for (char *p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(e->data, 1, e->size, f) == e->size;
        if (f) fclose(f);
        free(path);
        if (!ok) return -1;
    }
    return 0;
}

/* One commit of everything in dir, on branch main, through libgit2. */
static int commit_tree(const char *dir, struct jade_buf *err)
{
    git_repository *repo = NULL;
    git_index *index = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_oid tree_id, commit_id;
    int rc = -1;
    git_libgit2_init();
    git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    opts.initial_head = "main";
    if (git_repository_init_ext(&repo, dir, &opts) != 0 ||
        git_repository_index(&index, repo) != 0 ||
        git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) != 0 ||
        git_index_write_tree(&tree_id, index) != 0 || git_tree_lookup(&tree, repo, &tree_id) != 0 ||
        git_signature_new(&sig, "jade demo", "demo@jade.invalid", 1796083200, 0) != 0 ||
        git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, "The example content", tree, 0,
                          NULL) != 0) {
        const git_error *e = git_error_last();
        jade_buf_printf(err, "git: %s", e && e->message ? e->message : "?");
        goto done;
    }
    rc = 0;
done:
    git_tree_free(tree);
    git_signature_free(sig);
    git_index_free(index);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}

struct tally {
    size_t planned, sent, failed;
};

struct summary {
    json_t *channels; /* channels.json of the example */
    int64_t until;
    json_t *by_region, *by_network; /* name -> [planned, sent, failed] */
    size_t planned, sent, failed;
};

static void count(json_t *table, const char *name, const struct jade_ledger_row *r)
{
    json_t *t = json_object_get(table, name);
    if (!t) json_object_set_new(table, name, t = json_pack("[i,i,i]", 0, 0, 0));
    int slot = r->state == JADE_SENT ? 1 : -1;
    if (r->state == JADE_FAILED || r->state == JADE_MISSED || r->state == JADE_UNCERTAIN) slot = 2;
    json_array_set_new(t, 0, json_integer(json_integer_value(json_array_get(t, 0)) + 1));
    if (slot > 0)
        json_array_set_new(t, (size_t)slot,
                           json_integer(json_integer_value(json_array_get(t, (size_t)slot)) + 1));
}

static void summary_row(void *ctx, const struct jade_ledger_row *r)
{
    struct summary *s = ctx;
    if (r->due >= s->until || r->state == JADE_CANCELLED) return;
    s->planned++;
    s->sent += r->state == JADE_SENT;
    s->failed += r->state == JADE_FAILED || r->state == JADE_MISSED || r->state == JADE_UNCERTAIN;
    count(s->by_network, r->network, r);
    const json_t *list = json_object_get(s->channels, "channels");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *ch = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(ch, "id")), r->channel) != 0) continue;
        const json_t *regions = json_object_get(ch, "regions");
        for (size_t k = 0; k < json_array_size(regions); k++)
            count(s->by_region, json_string_value(json_array_get(regions, k)), r);
    }
}

/* The week's report, as one HTML page at path: the content is the demo
 * repository's folder, which its one commit holds whole (read from disk:
 * libgit2's threads have done their work by now). 0, or -1 (said). */
static int write_report(const char *state, const char *content_dir, int64_t from, int64_t to,
                        const char *path)
{
    struct jade_buf err = {0};
    struct jade_ledger *ledger = NULL;
    struct jade_source *src = NULL;
    struct jade_content *content = NULL;
    struct jade_diags diags = {0};
    json_t *report = NULL;
    char *html = NULL;
    size_t len = 0;
    int rc = -1;
    if (jade_ledger_open_readonly(state, &ledger, &err) != 0 ||
        jade_source_open_dir(content_dir, &src, &err) != 0)
        goto done;
    content = jade_content_load(src, NULL, &diags);
    struct jade_report_options o = {from, to, JADE_BY_REGION, src->description};
    if (!content || jade_report_build(ledger, content, &o, &report, &err) != 0) goto done;
    FILE *mem = open_memstream(&html, &len);
    if (!mem) goto done;
    int written = jade_report_write(mem, report, JADE_REPORT_HTML);
    if (fclose(mem) != 0 || written != 0) goto done;
    if (jade_write_file_durably(path, html, len) != 0) {
        jade_buf_printf(&err, "%s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (rc != 0)
        jade_print(stderr, _("jade demo: cannot write the report: %s\n"),
                   err.len ? jade_buf_str(&err) : _("the content could not be read"));
    free(html);
    json_decref(report);
    jade_content_free(content);
    jade_diags_free(&diags);
    jade_source_free(src);
    jade_ledger_close(ledger);
    jade_buf_free(&err);
    return rc;
}

static void print_table(const char *title, json_t *table)
{
    jade_print(stdout, "\n  %-18s %8s %8s %8s\n", title, _("planned"), _("sent"), _("failed"));
    const char *name;
    json_t *t;
    json_object_foreach (table, name, t)
        jade_print(stdout, "  %-18s %8lld %8lld %8lld\n", name,
                   (long long)json_integer_value(json_array_get(t, 0)),
                   (long long)json_integer_value(json_array_get(t, 1)),
                   (long long)json_integer_value(json_array_get(t, 2)));
}

int jade_cmd_demo(int argc, char **argv)
{
    static const struct option options[] = {{"speed", required_argument, NULL, 's'},
                                            {"log", required_argument, NULL, 'l'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    double speed = DEMO_DAYS * 86400.0 / 15.0; /* a week in about 15 seconds */
    /* the summary says what went out: the log shows only what went wrong */
    enum jade_log_level log_level = JADE_LOG_WARNING;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            speed = strtod(optarg, NULL);
            break;
        case 'l':
            if (jade_log_level_parse(optarg, &log_level) != 0) {
                jade_print(stderr,
                           _("jade demo: --log takes error, warning, info or debug, not \"%s\"\n"),
                           optarg);
                return JADE_EXIT_USAGE;
            }
            break;
        case 'h':
            puts(_("usage: jade demo [--speed FACTOR] [--log LEVEL]\n\nRuns a simulated week of "
                   "the example campaigns through the outbox plugin,\nfrom a temporary git "
                   "repository, and prints what went out. The service's\nlog shows warnings and "
                   "errors; --log info or debug shows every event."));
            return JADE_EXIT_OK;
        default:
            return JADE_EXIT_USAGE;
        }
    }
    if (!(speed > 0) || !(speed <= JADE_CLOCK_SPEED_MAX)) {
        jade_print(stderr, _("jade demo: --speed must be a factor above 0, at most %g\n"),
                   JADE_CLOCK_SPEED_MAX);
        return JADE_EXIT_USAGE;
    }
    /* In $TMPDIR when it names a folder, as other tools do, else /tmp. */
    const char *tmp = getenv("TMPDIR");
    char *root = jade_xasprintf("%s/jade-demo-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        jade_print(stderr, _("jade demo: cannot make a folder in %s: %s\n"),
                   tmp && tmp[0] == '/' ? tmp : "/tmp", strerror(errno));
        free(root);
        return JADE_EXIT_FAILED;
    }
    char *content = jade_xasprintf("%s/content", root);
    char *state = jade_xasprintf("%s/state", root);
    struct jade_buf err = {0};
    int status = JADE_EXIT_FAILED;
    struct jade_config config = {0};
    if (write_tree(content) != 0 || commit_tree(content, &err) != 0) {
        jade_print(stderr, _("jade demo: cannot prepare the example repository in %s: %s\n"), root,
                   jade_buf_str(&err));
        goto done;
    }
    jade_print(stderr, _("jade demo: the example campaigns, committed to a git repository in %s\n"),
               content);
    struct jade_diags diags = {0};
    json_t *bindings;
    json_t *networks = demo_networks(&bindings);
    json_t *cfg = json_pack("{s:{s:s, s:s}, s:s, s:o, s:o}", "source", "url", content, "branch",
                            "main", "state_dir", state, "networks", networks, "bindings", bindings);
    if (jade_config_from_json(cfg, "demo", &config, &diags) != 0) {
        jade_diags_print_text(stderr, &diags);
        jade_diags_free(&diags);
        goto done;
    }
    config.listen = NULL; /* a demo serves nobody: no port taken, none to find taken */
    struct jade_service_options o = {.config = &config,
                                     .simulated = true,
                                     .sim_speed = speed,
                                     /* unless the log's lines would break it */
                                     .progress = log_level <= JADE_LOG_WARNING ? stderr : NULL,
                                     .seed = 42,
                                     .log_level = log_level};
    struct jade_time t;
    jade_time_parse_rfc3339(DEMO_START, &t);
    jade_time_to_unix(&t, NULL, &o.sim_start);
    o.until = o.sim_start + DEMO_DAYS * 86400;
    jade_print(stderr, _("jade demo: a simulated week from %.10s, through the outbox plugin:\n"),
               DEMO_START);
    if (jade_service_run(&o) != JADE_SERVICE_OK) goto done;

    struct jade_ledger *ledger;
    if (jade_ledger_open(state, false, &ledger, &err) != 0) {
        jade_print(stderr, "jade demo: %s\n", jade_buf_str(&err));
        goto done;
    }
    const struct jade_embedded *channels =
        jade_embedded_find(jade_embedded_campaigns, "channels.json");
    struct summary sum = {json_loads(channels ? channels->data : "{}", 0, NULL),
                          o.until,
                          json_object(),
                          json_object(),
                          0,
                          0,
                          0};
    jade_ledger_all(ledger, summary_row, &sum);
    size_t read_publications = 0, readings = 0;
    jade_ledger_count_readings(ledger, &read_publications, &readings);
    jade_ledger_close(ledger);
    jade_print(stdout, _("\nA week of the JADE campaigns (%.10s to %.10s, simulated):\n"),
               DEMO_START, "2026-12-08");
    print_table(_("region"), sum.by_region);
    print_table(_("network"), sum.by_network);
    jade_print(stdout, _("\n  in all: %zu planned, %zu sent, %zu failed\n"), sum.planned, sum.sent,
               sum.failed);
    jade_print(stdout,
               _("  metrics: %zu reading(s) of %zu publication(s), made up by the outbox's test "
                 "double (networks.outbox.simulated_metrics): not measured\n"),
               readings, read_publications);
    jade_print(stdout,
               _("\nThe publications, one JSON file each, in a folder per region (the outbox "
                 "channels)\nor per channel (the networks run dry): %s\n"),
               config.outbox_dir);
    char *config_path = jade_xasprintf("%s/config.json", root);
    json_dump_file(config.json, config_path, JSON_INDENT(2));
    jade_print(stdout, _("The ledger, every state change:     jade history --config %s\n"),
               config_path);
    free(config_path);
    char *report_path = jade_xasprintf("%s/report.html", root);
    int reported = write_report(state, content, o.sim_start, o.until, report_path);
    if (reported == 0)
        jade_print(stdout,
                   _("The week's report, one page for a browser: %s\n"
                     "(as a table, CSV or JSON:            jade report --config %s/config.json)\n"),
                   report_path, root);
    free(report_path);
    status = sum.failed || reported != 0 ? JADE_EXIT_FAILED : JADE_EXIT_OK;
    json_decref(sum.channels);
    json_decref(sum.by_region);
    json_decref(sum.by_network);
done:
    jade_config_free(&config);
    jade_buf_free(&err);
    free(content);
    free(state);
    free(root);
    return status;
}
