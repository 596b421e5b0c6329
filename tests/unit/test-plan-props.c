/* test-plan-props.c - properties of the planner over generated trees.
 *
 * For TREES random (seeded, so reproducible) content trees - campaigns
 * active or paused, open-ended or not; posts with "at" lists or rules,
 * region and network filters, retractions; channels in three zones; random
 * minimum gaps and blackouts - the plan must hold, whatever the tree:
 * the same input gives the same output; no occurrence outside its campaign
 * window (written or moved) or the range asked for; the minimum gap holds on every channel;
 * every key is unique; retracted posts and paused campaigns yield nothing;
 * the plan is sorted by due time; without blackouts, every time is where a
 * plain reading of the policy puts it; reusing a plan's expansion gives the
 * same plan. */
#include "test.h"
#include "tree.h"

#include "plan/plan.h"
#include "util/timeparse.h"

#define TREES 60

static const struct file no_base[] = {{NULL, NULL}};

static unsigned rng_state;
static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) % n;
}

static const char *const zones[] = {"Africa/Bamako", "Europe/Paris", "America/New_York"};
static const char *const region_ids[] = {"kayes", "mopti", "gao", "bamako"};
static const char *const langs[] = {"fr", "bm", "ses"};

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(1));
    json_decref(j);
    return s;
}

static json_t *random_subset(const char *const *items, size_t n, bool allow_all)
{
    json_t *list = json_array();
    if (allow_all && rnd(4) == 0) {
        json_array_append_new(list, json_string("all"));
        return list;
    }
    for (size_t i = 0; i < n; i++)
        if (rnd(2)) json_array_append_new(list, json_string(items[i]));
    if (json_array_size(list) == 0) json_array_append_new(list, json_string(items[rnd(n)]));
    return list;
}

static char *random_time(int year, int month)
{
    /* 07:00-21:59: outside the quiet hours in the channel's own zone */
    return jade_xasprintf("%04d-%02d-%02dT%02d:%02d", year, month, 1 + rnd(28), 7 + rnd(15),
                          rnd(60));
}

struct generated {
    struct file files[128];
    size_t n;
    char *owned[128];
};

static void add_file(struct generated *g, const char *path, char *text)
{
    g->owned[g->n] = jade_xstrdup(path);
    g->files[g->n] = (struct file){g->owned[g->n], text};
    g->n++;
}

static void generate(struct generated *g)
{
    memset(g, 0, sizeof *g);
    json_t *policy = json_pack("{s:[s,s], s:i}", "quiet_hours", "22:00", "07:00", "min_gap_minutes",
                               (int)rnd(4) * 30);
    if (rnd(2)) {
        char *from = random_time(2027, 1 + rnd(3));
        json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "from", from, "to", from, "reason", "r",
                              "action", rnd(2) ? "skip" : "postpone");
        memcpy(from + 11, "23:00", 5); /* the same day, until 23:00 */
        json_object_set_new(b, "to", json_string(from));
        json_object_set_new(policy, "blackouts", json_pack("[o]", b));
        free(from);
    }
    add_file(g, "jade.json",
             dump(json_pack("{s:s, s:s, s:o}", "programme", "P", "timezone", "Africa/Bamako",
                            "policy", policy)));
    json_t *regions = json_array();
    for (size_t i = 0; i < 4; i++)
        json_array_append_new(regions,
                              json_pack("{s:s, s:s, s:o, s:i}", "id", region_ids[i], "name", "R",
                                        "languages", random_subset(langs, 3, false),
                                        "ambassadors_target", 20));
    add_file(g, "regions.json", dump(json_pack("{s:o}", "regions", regions)));
    add_file(g, "people.json",
             dump(json_pack("{s:[{s:s, s:s, s:s}], s:[]}", "ambassadors", "id", "awa", "name",
                            "Awa", "region", "kayes", "coaches")));
    json_t *channels = json_array();
    size_t n_channels = 2 + rnd(4);
    for (size_t i = 0; i < n_channels; i++) {
        char id[16];
        snprintf(id, sizeof id, "ch-%zu", i);
        json_t *ch =
            json_pack("{s:s, s:s, s:o, s:{s:s}, s:s}", "id", id, "network",
                      rnd(3) ? "outbox" : "webhook", "regions", random_subset(region_ids, 4, true),
                      "account", "folder", id, "timezone", zones[rnd(3)]);
        if (!strcmp(json_string_value(json_object_get(ch, "network")), "webhook"))
            json_object_set_new(ch, "account", json_pack("{s:s}", "url", "https://example.org/h"));
        if (rnd(3) == 0) json_object_set_new(ch, "languages", random_subset(langs, 3, false));
        json_array_append_new(channels, ch);
    }
    add_file(g, "channels.json", dump(json_pack("{s:o}", "channels", channels)));
    size_t n_campaigns = 1 + rnd(3);
    for (size_t c = 0; c < n_campaigns; c++) {
        char dir[16], path[64];
        snprintf(dir, sizeof dir, "c%zu", c);
        int month = 1 + (int)rnd(3);
        json_t *window = json_pack("{s:s}", "start", "2027-01-01T00:00");
        if (rnd(3)) {
            char end[32];
            snprintf(end, sizeof end, "2027-%02d-15T00:00", month + 1);
            json_object_set_new(window, "end", json_string(end));
        }
        snprintf(path, sizeof path, "%s/campaign.json", dir);
        add_file(g, path,
                 dump(json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", dir, "title", "T",
                                "objective", "O", "status", rnd(5) ? "active" : "paused", "window",
                                window, "regions", random_subset(region_ids, 4, true))));
        size_t n_posts = 1 + rnd(6);
        for (size_t p = 0; p < n_posts && g->n < 120; p++) {
            char id[16];
            snprintf(id, sizeof id, "p%zu", p);
            json_t *schedule;
            if (rnd(3)) {
                schedule = json_pack("{s:[]}", "at");
                for (size_t k = 0, n = 1 + rnd(4); k < n; k++) {
                    char *t = random_time(2027, month);
                    json_array_append_new(json_object_get(schedule, "at"), json_string(t));
                    free(t);
                }
            } else {
                char rule[96];
                snprintf(rule, sizeof rule, "FREQ=%s;BYHOUR=%u;BYMINUTE=%u;COUNT=%u",
                         rnd(2) ? "DAILY" : "WEEKLY", 9 + rnd(8), rnd(60), 1 + rnd(10));
                schedule = json_pack("{s:s, s:s}", "rrule", rule, "start", "2027-01-04T09:00");
            }
            json_t *post = json_pack("{s:s, s:s, s:[s], s:o}", "id", id, "kind", "story", "authors",
                                     "awa", "schedule", schedule);
            if (rnd(4) == 0)
                json_object_set_new(post, "retracted", json_pack("{s:s}", "reason", "x"));
            if (rnd(4) == 0) json_object_set_new(post, "networks", json_pack("[s]", "outbox"));
            snprintf(path, sizeof path, "%s/posts/%s.json", dir, id);
            add_file(g, path, dump(post));
            for (size_t l = 0; l < 3; l++) {
                if (l && rnd(2)) continue; /* always French, sometimes more */
                snprintf(path, sizeof path, "%s/posts/%s.%s.txt", dir, id, langs[l]);
                add_file(g, path, jade_xstrdup("Texte."));
            }
        }
    }
    g->files[g->n] = (struct file){NULL, NULL};
}

static void free_generated(struct generated *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->owned[i]);
        free((char *)g->files[i].text);
    }
}

static int64_t utc(const char *s)
{
    struct jade_time t;
    int64_t out = 0;
    jade_time_parse_content(s, &t);
    jade_time_to_unix(&t, "UTC", &out);
    return out;
}

/* ---- the policy, as SPEC §3 states it, for plans without blackouts ---- */

struct ref {
    const struct jade_occurrence *o;
    size_t channel; /* its place in channels.json */
    int rank;       /* its language's place on the channel */
    int64_t due;
};

static int ref_walk_order(const void *pa, const void *pb)
{
    const struct ref *x = pa, *y = pb;
    if (x->channel != y->channel) return x->channel < y->channel ? -1 : 1;
    if (x->o->original != y->o->original) return x->o->original < y->o->original ? -1 : 1;
    if (x->o->campaign != y->o->campaign) return x->o->campaign < y->o->campaign ? -1 : 1;
    if (x->o->post != y->o->post) return x->o->post < y->o->post ? -1 : 1;
    return x->rank - y->rank;
}

static int ref_output_order(const void *pa, const void *pb)
{
    const struct ref *x = pa, *y = pb;
    if (x->due != y->due) return x->due < y->due ? -1 : 1;
    if (x->channel != y->channel) return x->channel < y->channel ? -1 : 1;
    return strcmp(x->o->key, y->o->key);
}

/* Plan's occurrences (all of them, from the first), placed again by a
 * plain reading of the policy: on each channel, by time, campaign, post
 * and language, each at least min_gap after the one before it, then out of
 * the quiet hours; the plan sorted by due time, channel and key. */
static void check_policy_order(const struct jade_content *c, const struct jade_policy *policy,
                               const struct jade_plan *plan)
{
    const json_t *channels = json_object_get(c->channels->json, "channels");
    struct ref *r = jade_xcalloc(plan->count + 1, sizeof *r);
    for (size_t i = 0; i < plan->count; i++) {
        const struct jade_occurrence *o = &plan->items[i];
        r[i] = (struct ref){
            .o = o, .due = o->original, .rank = jade_channel_language_rank(c, o->channel, o->lang)};
        while (json_array_get(channels, r[i].channel) != o->channel) r[i].channel++;
    }
    qsort(r, plan->count, sizeof *r, ref_walk_order);
    int64_t gap = (int64_t)policy->min_gap_minutes * 60;
    for (size_t i = 1; gap > 0 && i < plan->count; i++)
        if (r[i].channel == r[i - 1].channel && r[i].due < r[i - 1].due + gap)
            r[i].due = jade_policy_leave_quiet(policy, r[i - 1].due + gap, r[i].o->tz);
    qsort(r, plan->count, sizeof *r, ref_output_order);
    for (size_t i = 0; i < plan->count; i++) {
        CHECK_STR_EQ(plan->items[i].key, r[i].o->key);
        CHECK_INT_EQ(plan->items[i].due, r[i].due);
    }
    free(r);
}

static void check_tree(unsigned seed)
{
    rng_state = seed;
    struct generated g;
    generate(&g);
    struct jade_diags d = {0};
    struct jade_content *c = load_tree(no_base, g.files, &d);
    CHECK(c != NULL);
    if (!c) return;
    int64_t from = utc("2027-01-10T00:00"), to = utc("2027-03-20T00:00");
    struct jade_plan a = {0}, b = {0};
    jade_plan_build(c, from, to, NULL, &a, &d);
    jade_plan_build(c, from, to, NULL, &b, &d);
    struct jade_policy policy;
    jade_policy_read(c, &policy);

    CHECK_INT_EQ(a.count, b.count); /* the same input, the same output */
    for (size_t i = 0; i < a.count && i < b.count; i++) {
        CHECK_STR_EQ(a.items[i].key, b.items[i].key);
        CHECK_INT_EQ(a.items[i].due, b.items[i].due);
    }
    printf("# seed %u: %zu occurrences\n", seed, a.count);
    json_t *keys = json_object();
    for (size_t i = 0; i < a.count; i++) {
        const struct jade_occurrence *o = &a.items[i];
        CHECK(!json_object_get(keys, o->key)); /* every key unique */
        json_object_set_new(keys, o->key, json_true());
        CHECK(o->due >= from && o->due < to);          /* in the range */
        CHECK(i == 0 || a.items[i - 1].due <= o->due); /* sorted */
        int64_t start, end;
        CHECK_INT_EQ(jade_campaign_window(&policy, o->campaign->file->json, &start, &end), 0);
        CHECK(o->original >= start && o->original <= end); /* in its window */
        CHECK(o->due <= end);                              /* policy keeps it there */
        CHECK(!json_object_get(o->post->file->json, "retracted"));
        CHECK_STR_EQ(json_string_value(json_object_get(o->campaign->file->json, "status")),
                     "active");
        CHECK(o->due >= o->original);              /* policy only moves times later */
        for (size_t k = i + 1; k < a.count; k++) { /* the gap, on each channel */
            if (a.items[k].channel != o->channel) continue;
            if (a.items[k].due - o->due < (int64_t)policy.min_gap_minutes * 60)
                printf("# seed %u: %s and %s %lld s apart\n", seed, o->key, a.items[k].key,
                       (long long)(a.items[k].due - o->due));
            CHECK(a.items[k].due - o->due >= (int64_t)policy.min_gap_minutes * 60);
            break;
        }
    }
    json_decref(keys);

    /* Reusing what a plan with a nearer horizon expanded gives the same plan. */
    struct jade_plan near = {0}, again = {0};
    struct jade_plan_cache *cache = NULL;
    jade_plan_build_cached(c, from, utc("2027-02-01T00:00"), NULL, NULL, &cache, &near, &d);
    jade_plan_build_cached(c, from, to, NULL, cache, NULL, &again, &d);
    CHECK_INT_EQ(again.count, a.count);
    for (size_t i = 0; i < a.count && i < again.count; i++) {
        CHECK_STR_EQ(again.items[i].key, a.items[i].key);
        CHECK_INT_EQ(again.items[i].due, a.items[i].due);
        CHECK_INT_EQ(again.items[i].shift, a.items[i].shift);
    }
    jade_plan_cache_free(cache);
    jade_plan_free(&near);
    jade_plan_free(&again);

    if (policy.n_blackouts == 0) { /* every time placed as the policy says */
        struct jade_plan all = {0};
        jade_plan_build(c, utc("2026-01-01T00:00"), utc("2028-01-01T00:00"), NULL, &all, &d);
        check_policy_order(c, &policy, &all);
        jade_plan_free(&all);
    }
    jade_policy_free(&policy);
    jade_plan_free(&a);
    jade_plan_free(&b);
    jade_content_free(c);
    jade_diags_free(&d);
    free_generated(&g);
}

int main(void)
{
    for (unsigned seed = 1; seed <= TREES; seed++) {
        char name[32];
        snprintf(name, sizeof name, "tree %u", seed);
        test_current_failed = 0;
        check_tree(seed);
        test_report(name, test_current_failed);
    }
    return test_done();
}
