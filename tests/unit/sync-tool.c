/* sync-tool.c - two sync cycles as a reload makes them, for
 * tests/integration/reload.sh: commit A read whole; then commit B after A,
 * reading again only the campaigns that changed when it can; and B after A
 * again, read whole. Says how B was read and whether the two plans of B
 * agree, occurrence by occurrence: key, time, channel, language, the text
 * that would be sent and the commit it would be recorded from.
 *
 * usage: sync-tool REPO SUBDIR COMMIT_A COMMIT_B NOW   (SUBDIR "" for the root;
 * COMMIT_A may be a comma-separated list: each adopted after the one before) */
#include "run/config.h"
#include "run/sync.h"
#include "util/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct jade_generation *run(const struct jade_config *cfg, const char *repo, const char *ref,
                                   struct jade_generation *current, int64_t now, bool whole)
{
    struct jade_sync_input in = {.config = cfg,
                                 .mirror = repo,
                                 .current = current,
                                 .ref = ref,
                                 .now = now,
                                 .read_whole = whole};
    struct jade_sync_result r;
    jade_sync_run(&in, &r);
    struct jade_generation *g = r.generation;
    if (!g) fprintf(stderr, "sync-tool: %s: %s\n", ref, r.reason ? r.reason : "not adopted");
    r.generation = NULL;
    jade_sync_result_free(&r);
    return g;
}

static const char *text_of(const struct jade_occurrence *o)
{
    for (size_t i = 0; i < o->post->n_texts; i++)
        if (!strcmp(o->post->texts[i].lang, o->lang)) return o->post->texts[i].file->text;
    return "";
}

static void describe(const struct jade_occurrence *o, char *out, size_t size)
{
    char due[32];
    jade_format_utc(o->due, due);
    snprintf(out, size, "%s %s %s %s %s/%s commit=%.12s text=%s", o->key, due, o->channel_id,
             o->lang, o->campaign->id, o->post->id, o->campaign->commit ? o->campaign->commit : "",
             text_of(o));
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: sync-tool REPO SUBDIR COMMIT_A COMMIT_B NOW\n");
        return 2;
    }
    struct jade_time t;
    int64_t now;
    if (jade_time_parse_rfc3339(argv[5], &t) != 0 || jade_time_to_unix(&t, "UTC", &now) != 0) {
        fprintf(stderr, "sync-tool: bad time %s\n", argv[5]);
        return 2;
    }
    struct jade_config cfg = {.source_url = argv[1],
                              .branch = "main",
                              .path = *argv[2] ? argv[2] : NULL,
                              .horizon_days = 60};
    struct jade_generation *a = NULL;
    for (char *ref = strtok(argv[3], ","); ref; ref = strtok(NULL, ",")) {
        struct jade_generation *next = run(&cfg, argv[1], ref, a, now, false);
        if (!next) return 1;
        jade_generation_unref(a);
        a = next;
    }
    if (!a) return 1;
    struct jade_generation *part = run(&cfg, argv[1], argv[4], a, now, false);
    struct jade_generation *whole = run(&cfg, argv[1], argv[4], a, now, true);
    if (!part || !whole) return 1;
    if (part->reread < 0)
        printf("B: read whole\n");
    else
        printf("B: read again %ld campaign(s)\n", part->reread);
    int differ = 0;
    size_t n = part->plan.count > whole->plan.count ? part->plan.count : whole->plan.count;
    for (size_t i = 0; i < n; i++) {
        char x[1024] = "(none)", y[1024] = "(none)";
        if (i < part->plan.count) describe(&part->plan.items[i], x, sizeof x);
        if (i < whole->plan.count) describe(&whole->plan.items[i], y, sizeof y);
        if (strcmp(x, y) != 0 && differ++ < 5)
            printf("differ:\n  in part: %s\n  whole:   %s\n", x, y);
    }
    for (size_t i = 0; i < part->n_kept || i < whole->n_kept; i++) {
        const char *x = i < part->n_kept ? part->kept[i] : "(none)";
        const char *y = i < whole->n_kept ? whole->kept[i] : "(none)";
        if (strcmp(x, y) != 0 && differ++ < 5) printf("kept differ: %s / %s\n", x, y);
    }
    printf("plans: %s, %zu occurrence(s), %zu kept\n", differ ? "differ" : "same",
           whole->plan.count, whole->n_kept);
    jade_generation_unref(a);
    jade_generation_unref(part);
    jade_generation_unref(whole);
    return differ ? 1 : 0;
}
