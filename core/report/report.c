/* report.c - the report's numbers (see report.h).
 *
 * One pass over the occurrences due in the period, streamed from SQLite
 * with each one's latest reach and engagement (the metrics table's
 * primary key finds them), adds each row to the totals, to its groups
 * and to the indicators: memory follows the number of groups, regions,
 * weeks and retractions, not of rows. A second query, grouped in SQL,
 * finds when each post was first published on each channel, for the
 * rumours' response times. The content says what the ledger does not:
 * a post's authors and regions, a channel's regions, the ambassadors and
 * the targets. */
#include "report.h"

#include "../content/content.h"
#include "../run/ledger.h"
#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/jsonutil.h"
#include "../util/timeparse.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const jade_report_by_names[] = {"region", "ambassador", "campaign", "network", NULL};
const char *const jade_report_format_names[] = {"table", "csv", "json", "html", NULL};

/* The ledger schema that has sent_at and the metrics table. */
#define REPORT_SCHEMA 10
/* Sent within a minute of its time: on time (SPEC §8). */
#define ON_TIME_SECONDS 60
/* A region's key for occurrences on a channel the content does not know. */
#define UNKNOWN "?"

/* ---- figures: what every group and the totals count ---------------------- */

struct figures {
    size_t occurrences, states[JADE_N_STATES];
    size_t published, on_time, retracted;
    int64_t reach, engagement;
    json_t *failures; /* reason -> count */
};

struct group {
    char *id;
    struct figures f;
};

struct groups {
    json_t *index; /* id -> position in items */
    struct group *items;
    size_t count, cap;
};

static struct figures *group_of(struct groups *g, const char *id)
{
    json_t *at = json_object_get(g->index, id);
    if (at) return &g->items[json_integer_value(at)].f;
    if (g->count == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->items = jade_xrealloc(g->items, g->cap * sizeof *g->items);
    }
    g->items[g->count] = (struct group){.id = jade_xstrdup(id)};
    g->items[g->count].f.failures = json_object();
    json_object_set_new(g->index, id, json_integer((json_int_t)g->count));
    return &g->items[g->count++].f;
}

/* What a network said, without the attempt it said it at: one reason
 * whichever attempt failed. */
static char *reason_of(const char *error)
{
    const char *s = error && *error ? error : _("(no reason given)");
    size_t n = strlen(s);
    const char *open = n ? strrchr(s, '(') : NULL;
    if (open && open > s && open[-1] == ' ' && !strncmp(open, "(attempt ", 9) && s[n - 1] == ')')
        n = (size_t)(open - 1 - s);
    return jade_xstrndup(s, n);
}

/* One occurrence, as the report reads it. */
struct row {
    const char *campaign, *post, *channel, *network, *error, *removal;
    enum jade_state state;
    int64_t due, sent_at, updated; /* sent_at 0: never sent */
    bool has_reach, has_engagement;
    int64_t reach, engagement;
};

static void count(struct figures *f, const struct row *r)
{
    f->occurrences++;
    if (r->state < JADE_N_STATES) f->states[r->state]++;
    if (r->sent_at) {
        f->published++;
        f->on_time += r->sent_at - r->due <= ON_TIME_SECONDS;
    }
    f->retracted += r->state == JADE_RETRACTED;
    f->reach += r->reach;
    f->engagement += r->engagement;
    if (r->state == JADE_FAILED || r->state == JADE_MISSED || r->state == JADE_UNCERTAIN) {
        char *why = reason_of(r->error);
        json_t *n = json_object_get(f->failures, why);
        if (n)
            json_integer_set(n, json_integer_value(n) + 1);
        else
            json_object_set_new(f->failures, why, json_integer(1));
        free(why);
    }
}

static int by_count_then_reason(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t nx = json_integer_value(json_object_get(x, "count")),
               ny = json_integer_value(json_object_get(y, "count"));
    if (nx != ny) return nx > ny ? -1 : 1;
    return strcmp(jade_json_str(x, "reason"), jade_json_str(y, "reason"));
}

/* A JSON array of the objects items[0..n), sorted by cmp; takes them. */
static json_t *sorted_array(json_t **items, size_t n, int (*cmp)(const void *, const void *))
{
    if (n) qsort(items, n, sizeof *items, cmp);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, items[i]);
    return list;
}

static json_t *figures_json(const struct figures *f)
{
    json_t *states = json_object();
    for (int s = 0; s < JADE_N_STATES; s++)
        json_object_set_new(states, jade_state_name((enum jade_state)s),
                            json_integer((json_int_t)f->states[s]));
    size_t n = json_object_size(f->failures), i = 0;
    json_t **items = jade_xcalloc(n + 1, sizeof *items);
    const char *why;
    json_t *c;
    json_object_foreach (f->failures, why, c)
        items[i++] = json_pack("{s:s, s:O}", "reason", why, "count", c);
    json_t *failures = sorted_array(items, n, by_count_then_reason);
    free(items);
    return json_pack("{s:I, s:o, s:I, s:I, s:o, s:o, s:I, s:I, s:I}", "occurrences",
                     (json_int_t)f->occurrences, "states", states, "published",
                     (json_int_t)f->published, "on_time", (json_int_t)f->on_time, "on_time_rate",
                     f->published ? json_real((double)f->on_time / (double)f->published)
                                  : json_null(),
                     "failures", failures, "retracted", (json_int_t)f->retracted, "reach",
                     (json_int_t)f->reach, "engagement", (json_int_t)f->engagement);
}

/* ---- what the content says ------------------------------------------------ */

struct post_info {
    const json_t *authors; /* ambassador ids, or NULL */
    const json_t *regions; /* the post's, else its campaign's */
    const char *answers;   /* a rumour's id, or NULL */
    const char *campaign_title;
};

struct rumour {
    const char *id;
    const json_t *json;
    int64_t first_seen;
};

struct report {
    const struct jade_content *c;
    const struct jade_report_options *o;
    const json_t *regions;     /* regions.json's list */
    const json_t *ambassadors; /* people.json's */
    const json_t *channels;    /* channels.json's */
    json_t *posts;             /* "campaign/post" -> index in post_info */
    struct post_info *info;
    size_t n_info;
    struct figures totals;
    struct groups groups;
    /* indicators, by region (regions.json's order) */
    size_t n_regions;
    bool *active;      /* by ambassador (people.json's order) */
    size_t *published; /* by region */
    int64_t *reach;    /* by region */
    json_t **weeks;    /* by region: week -> [publications, reach] */
    json_t *all_weeks; /* week -> true */
    json_t *retractions;
    const char **scratch; /* an occurrence's regions */
    size_t scratch_cap;
};

static const struct post_info *post_of(const struct report *rp, const char *campaign,
                                       const char *post)
{
    char key[160];
    snprintf(key, sizeof key, "%s/%s", campaign ? campaign : "", post ? post : "");
    json_t *at = json_object_get(rp->posts, key);
    return at ? &rp->info[json_integer_value(at)] : NULL;
}

static void index_posts(struct report *rp)
{
    const struct jade_content *c = rp->c;
    size_t n = 0;
    for (size_t i = 0; i < c->n_campaigns; i++) n += c->campaigns[i].n_posts;
    rp->info = jade_xcalloc(n + 1, sizeof *rp->info);
    rp->posts = json_object();
    for (size_t i = 0; i < c->n_campaigns; i++) {
        const struct jade_campaign *cp = &c->campaigns[i];
        const json_t *cj = cp->file ? cp->file->json : NULL;
        for (size_t k = 0; k < cp->n_posts; k++) {
            const json_t *pj = cp->posts[k].file ? cp->posts[k].file->json : NULL;
            if (!pj || !cp->id || !cp->posts[k].id) continue;
            const json_t *regions = json_object_get(pj, "regions");
            rp->info[rp->n_info] = (struct post_info){
                json_object_get(pj, "authors"), regions ? regions : json_object_get(cj, "regions"),
                jade_json_str(pj, "answers"), jade_json_str(cj, "title")};
            char key[160];
            snprintf(key, sizeof key, "%s/%s", cp->id, cp->posts[k].id);
            json_object_set_new(rp->posts, key, json_integer((json_int_t)rp->n_info++));
        }
    }
}

static const json_t *channel_json(const struct report *rp, const char *id)
{
    json_t *at = id ? json_object_get(rp->c->channel_index, id) : NULL;
    return at ? json_array_get(rp->channels, (size_t)json_integer_value(at)) : NULL;
}

static void scratch_add(struct report *rp, size_t *n, const char *region)
{
    if (*n == rp->scratch_cap) {
        rp->scratch_cap = rp->scratch_cap ? 2 * rp->scratch_cap : 8;
        rp->scratch = jade_xrealloc(rp->scratch, rp->scratch_cap * sizeof *rp->scratch);
    }
    rp->scratch[(*n)++] = region;
}

/* The regions an occurrence speaks to, into rp->scratch: its channel's,
 * within its post's (as the planner targets); "?" when the content does
 * not know its channel. */
static size_t regions_of(struct report *rp, const char *channel, const struct post_info *p)
{
    size_t n = 0;
    const json_t *ch = json_object_get(channel_json(rp, channel), "regions");
    if (!ch) {
        scratch_add(rp, &n, UNKNOWN);
        return n;
    }
    const json_t *post = p ? p->regions : NULL;
    bool ch_all = jade_json_list_has(ch, "all"),
         post_all = !post || jade_json_list_has(post, "all");
    if (ch_all && post_all) { /* every region */
        for (size_t i = 0; i < json_array_size(rp->regions); i++)
            scratch_add(rp, &n, jade_json_str(json_array_get(rp->regions, i), "id"));
        return n;
    }
    const json_t *outer = ch_all ? post : ch;
    for (size_t i = 0; i < json_array_size(outer); i++) {
        const char *r = json_string_value(json_array_get(outer, i));
        if (r && (ch_all || post_all || jade_json_list_has(post, r))) scratch_add(rp, &n, r);
    }
    return n;
}

static long region_at(const struct report *rp, const char *id)
{
    json_t *at = id ? json_object_get(rp->c->region_index, id) : NULL;
    return at ? (long)json_integer_value(at) : -1;
}

/* ISO 8601 week of a time, in UTC: "2026-W49". */
static void iso_week(int64_t t, char out[16])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 16, "%G-W%V", &tm);
}

static json_t *utc_json(int64_t t)
{
    char s[32];
    jade_format_utc(t, s);
    return json_string(s);
}

static void add_row(struct report *rp, const struct row *r)
{
    const struct post_info *p = post_of(rp, r->campaign, r->post);
    size_t n_regions = regions_of(rp, r->channel, p);
    count(&rp->totals, r);
    switch (rp->o->by) {
    case JADE_BY_REGION:
        for (size_t i = 0; i < n_regions; i++) count(group_of(&rp->groups, rp->scratch[i]), r);
        break;
    case JADE_BY_AMBASSADOR:
        if (!p || !json_array_size(p->authors)) count(group_of(&rp->groups, UNKNOWN), r);
        for (size_t i = 0; p && i < json_array_size(p->authors); i++) {
            const char *a = json_string_value(json_array_get(p->authors, i));
            count(group_of(&rp->groups, a ? a : UNKNOWN), r);
        }
        break;
    case JADE_BY_CAMPAIGN:
        count(group_of(&rp->groups, r->campaign ? r->campaign : UNKNOWN), r);
        break;
    case JADE_BY_NETWORK:
        count(group_of(&rp->groups, r->network ? r->network : UNKNOWN), r);
        break;
    }
    if (r->state == JADE_RETRACTED || r->removal) {
        json_t *o = json_pack(
            "{s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?}", "campaign", r->campaign, "post",
            r->post, "channel", r->channel, "network", r->network, "due", utc_json(r->due),
            "sent_at", r->sent_at ? utc_json(r->sent_at) : json_null(), "retracted_at",
            r->state == JADE_RETRACTED ? utc_json(r->updated) : json_null(), "removal", r->removal);
        json_array_append_new(rp->retractions, o);
    }
    if (!r->sent_at) return;
    /* the programme's indicators: what was published */
    for (size_t i = 0; p && i < json_array_size(p->authors); i++) {
        json_t *at = json_object_get(rp->c->ambassador_index,
                                     json_string_value(json_array_get(p->authors, i)));
        if (at) rp->active[json_integer_value(at)] = true;
    }
    char week[16];
    iso_week(r->sent_at, week);
    json_object_set_new(rp->all_weeks, week, json_true());
    for (size_t i = 0; i < n_regions; i++) {
        long k = region_at(rp, rp->scratch[i]);
        if (k < 0) continue;
        rp->published[k]++;
        rp->reach[k] += r->reach;
        json_t *w = json_object_get(rp->weeks[k], week);
        if (!w) json_object_set_new(rp->weeks[k], week, w = json_pack("[i,i]", 0, 0));
        json_array_set_new(w, 0, json_integer(json_integer_value(json_array_get(w, 0)) + 1));
        json_array_set_new(w, 1, json_integer(json_integer_value(json_array_get(w, 1)) + r->reach));
    }
}

/* ---- reading the ledger ------------------------------------------------- */

static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static enum jade_state state_named(const char *name)
{
    for (int s = 0; s < JADE_N_STATES; s++)
        if (name && !strcmp(name, jade_state_name((enum jade_state)s))) return (enum jade_state)s;
    return JADE_N_STATES;
}

static int fail(sqlite3 *db, struct jade_buf *err)
{
    jade_buf_printf(err, _("cannot read the ledger: %s"), sqlite3_errmsg(db));
    return -1;
}

/* Each occurrence due in the period, with its latest readings: the
 * highest reading offset of each name (the one read last). */
static int read_rows(struct report *rp, sqlite3 *db, struct jade_buf *err)
{
    static const char sql[] =
        "SELECT campaign, post, channel, network, state, due, sent_at, error, updated, removal,"
        " (SELECT value FROM metrics m WHERE m.key = o.key AND m.name = 'reach'"
        "  ORDER BY m.reading DESC LIMIT 1),"
        " (SELECT value FROM metrics m WHERE m.key = o.key AND m.name = 'engagement'"
        "  ORDER BY m.reading DESC LIMIT 1)"
        " FROM occurrences o WHERE due >= ?1 AND due < ?2";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fail(db, err);
    sqlite3_bind_int64(st, 1, rp->o->from);
    sqlite3_bind_int64(st, 2, rp->o->to);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct row r = {text(st, 0),
                        text(st, 1),
                        text(st, 2),
                        text(st, 3),
                        text(st, 7),
                        text(st, 9),
                        state_named(text(st, 4)),
                        sqlite3_column_int64(st, 5),
                        sqlite3_column_int64(st, 6),
                        sqlite3_column_int64(st, 8),
                        sqlite3_column_type(st, 10) != SQLITE_NULL,
                        sqlite3_column_type(st, 11) != SQLITE_NULL,
                        sqlite3_column_int64(st, 10),
                        sqlite3_column_int64(st, 11)};
        add_row(rp, &r);
    }
    if (step != SQLITE_DONE) fail(db, err);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

/* ---- rumours ---------------------------------------------------------------- */

/* The content's rumours whose first sighting is known (valid). */
static size_t rumours_of(const struct jade_content *c, struct rumour **out)
{
    size_t n = 0;
    *out = jade_xcalloc(c->n_rumours + 1, sizeof **out);
    for (size_t i = 0; i < c->n_rumours; i++)
        if (c->rumours[i].first_seen && c->rumours[i].file && c->rumours[i].file->json)
            (*out)[n++] = (struct rumour){c->rumours[i].id, c->rumours[i].file->json,
                                          c->rumours[i].first_seen};
    return n;
}

struct answer {
    const char *rumour;
    int64_t first;   /* the first publication of an answer; 0: none yet */
    int64_t *region; /* by region: the first there; 0: none yet */
};

static int64_t earliest(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* When each post that answers a rumour was first published on each
 * channel (due before the period's end, from any time before it), and so
 * when each rumour was first answered, and in each region. */
static int read_answers(struct report *rp, sqlite3 *db, struct answer *answers, size_t n,
                        const struct rumour *rumours, struct jade_buf *err)
{
    bool any = false;
    for (size_t i = 0; i < rp->n_info; i++) any |= rp->info[i].answers != NULL;
    if (!any) return 0;
    static const char sql[] = "SELECT campaign, post, channel, min(sent_at) FROM occurrences"
                              " WHERE sent_at IS NOT NULL AND due < ?1"
                              " GROUP BY campaign, post, channel";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fail(db, err);
    sqlite3_bind_int64(st, 1, rp->o->to);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const struct post_info *p = post_of(rp, text(st, 0), text(st, 1));
        if (!p || !p->answers) continue;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(rumours[k].id, p->answers) != 0) continue;
            int64_t at = sqlite3_column_int64(st, 3);
            answers[k].first = earliest(answers[k].first, at);
            size_t m = regions_of(rp, text(st, 2), p);
            for (size_t i = 0; i < m; i++) {
                long r = region_at(rp, rp->scratch[i]);
                if (r >= 0) answers[k].region[r] = earliest(answers[k].region[r], at);
            }
        }
    }
    if (step != SQLITE_DONE) fail(db, err);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

static bool rumour_in(const struct rumour *r, const char *region)
{
    const json_t *list = json_object_get(r->json, "regions");
    return jade_json_list_has(list, "all") || jade_json_list_has(list, region);
}

static int by_number(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The period's rumours: first seen in it, or before it and still without
 * an answer when it began; each with its response time overall and per
 * region; per region, the median (into regions). */
static int rumour_indicators(struct report *rp, sqlite3 *db, json_t *indicators, json_t *regions,
                             struct jade_buf *err)
{
    struct rumour *all;
    size_t n_all = rumours_of(rp->c, &all), n = 0;
    struct rumour *candidates = jade_xcalloc(n_all + 1, sizeof *candidates);
    for (size_t i = 0; i < n_all; i++)
        if (all[i].first_seen < rp->o->to) candidates[n++] = all[i];
    free(all);
    struct answer *answers = jade_xcalloc(n + 1, sizeof *answers);
    for (size_t i = 0; i < n; i++) {
        answers[i].rumour = candidates[i].id;
        answers[i].region = jade_xcalloc(rp->n_regions + 1, sizeof *answers[i].region);
    }
    int rc = read_answers(rp, db, answers, n, candidates, err);
    /* those answered before the period began belong to an earlier one */
    struct rumour *rumours = candidates;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool before = candidates[i].first_seen < rp->o->from && answers[i].first &&
                      answers[i].first < rp->o->from;
        if (before) {
            free(answers[i].region);
            continue;
        }
        rumours[kept] = candidates[i];
        answers[kept++] = answers[i];
    }
    n = kept;
    json_t *list = json_array(), *open = json_array();
    int64_t *times = jade_xcalloc(n + 1, sizeof *times);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct rumour *r = &rumours[i];
        json_t *by_region = json_array();
        for (size_t k = 0; k < rp->n_regions; k++) {
            const char *id = jade_json_str(json_array_get(rp->regions, k), "id");
            if (!id || !rumour_in(r, id)) continue;
            int64_t at = answers[i].region[k];
            json_array_append_new(by_region,
                                  json_pack("{s:s, s:o, s:o}", "region", id, "first_answer",
                                            at ? utc_json(at) : json_null(), "response_seconds",
                                            at ? json_integer(at - r->first_seen) : json_null()));
        }
        int64_t at = answers[i].first;
        json_array_append_new(
            list,
            json_pack("{s:s, s:s?, s:o, s:O?, s:O?, s:s?, s:o, s:o, s:o}", "id", r->id, "summary",
                      jade_json_str(r->json, "summary"), "first_seen", utc_json(r->first_seen),
                      "regions", json_object_get(r->json, "regions"), "seen_on",
                      json_object_get(r->json, "seen_on"), "status",
                      jade_json_str(r->json, "status"), "first_answer",
                      at ? utc_json(at) : json_null(), "response_seconds",
                      at ? json_integer(at - r->first_seen) : json_null(), "by_region", by_region));
        if (!at) json_array_append_new(open, json_string(r->id));
    }
    /* per region: how many, how many answered there, the median time */
    for (size_t k = 0; rc == 0 && k < rp->n_regions; k++) {
        json_t *region = json_array_get(regions, k);
        size_t seen = 0, answered = 0;
        for (size_t i = 0; i < n; i++) {
            if (!rumour_in(&rumours[i], jade_json_str(region, "id"))) continue;
            seen++;
            if (answers[i].region[k])
                times[answered++] = answers[i].region[k] - rumours[i].first_seen;
        }
        qsort(times, answered, sizeof *times, by_number);
        json_t *median = !answered ? json_null()
                         : answered % 2
                             ? json_integer(times[answered / 2])
                             : json_integer((times[answered / 2 - 1] + times[answered / 2]) / 2);
        json_object_set_new(region, "rumours", json_integer((json_int_t)seen));
        json_object_set_new(region, "rumours_answered", json_integer((json_int_t)answered));
        json_object_set_new(region, "median_response_seconds", median);
    }
    json_object_set_new(indicators, "rumours", list);
    json_object_set_new(indicators, "unanswered", open);
    free(times);
    for (size_t i = 0; i < n; i++) free(answers[i].region);
    free(answers);
    free(candidates);
    return rc;
}

/* ---- the document ------------------------------------------------------------ */

static const char *region_name(const struct report *rp, const char *id)
{
    long k = region_at(rp, id);
    const char *name =
        k >= 0 ? jade_json_str(json_array_get(rp->regions, (size_t)k), "name") : NULL;
    return name ? name : id;
}

/* A group's name for people: a region's, an ambassador's, a campaign's
 * title; a network is its name. */
static const char *group_name(const struct report *rp, const char *id)
{
    if (!strcmp(id, UNKNOWN)) return _("unknown");
    json_t *at;
    switch (rp->o->by) {
    case JADE_BY_REGION:
        return region_name(rp, id);
    case JADE_BY_AMBASSADOR:
        at = json_object_get(rp->c->ambassador_index, id);
        if (at) {
            const char *name = jade_json_str(
                json_array_get(rp->ambassadors, (size_t)json_integer_value(at)), "name");
            if (name) return name;
        }
        return id;
    case JADE_BY_CAMPAIGN:
        for (size_t i = 0; i < rp->c->n_campaigns; i++)
            if (rp->c->campaigns[i].id && !strcmp(rp->c->campaigns[i].id, id)) {
                const char *title = jade_json_str(
                    rp->c->campaigns[i].file ? rp->c->campaigns[i].file->json : NULL, "title");
                if (title) return title;
            }
        return id;
    default:
        return id;
    }
}

static int by_id(const void *a, const void *b)
{
    return strcmp(jade_json_str(*(json_t *const *)a, "id"),
                  jade_json_str(*(json_t *const *)b, "id"));
}

static json_t *groups_json(const struct report *rp)
{
    json_t **items = jade_xcalloc(rp->groups.count + 1, sizeof *items);
    for (size_t i = 0; i < rp->groups.count; i++) {
        const struct group *g = &rp->groups.items[i];
        json_t *o = json_pack("{s:s, s:s}", "id", g->id, "name", group_name(rp, g->id)),
               *f = figures_json(&g->f);
        json_object_update(o, f);
        json_decref(f);
        items[i] = o;
    }
    json_t *list = sorted_array(items, rp->groups.count, by_id);
    free(items);
    if (rp->o->by != JADE_BY_REGION) return list;
    /* regions as regions.json lists them, then what it does not know */
    json_t *ordered = json_array();
    for (size_t k = 0; k <= rp->n_regions; k++)
        for (size_t i = 0; i < json_array_size(list); i++) {
            json_t *g = json_array_get(list, i);
            long at = region_at(rp, jade_json_str(g, "id"));
            if (k < rp->n_regions ? at == (long)k : at < 0) json_array_append(ordered, g);
        }
    json_decref(list);
    return ordered;
}

static json_t *regions_json(const struct report *rp)
{
    json_t *list = json_array();
    for (size_t k = 0; k < rp->n_regions; k++) {
        const json_t *r = json_array_get(rp->regions, k);
        const char *id = jade_json_str(r, "id");
        size_t ambassadors = 0, active = 0;
        for (size_t a = 0; a < json_array_size(rp->ambassadors); a++) {
            const char *home = jade_json_str(json_array_get(rp->ambassadors, a), "region");
            if (!id || !home || strcmp(home, id) != 0) continue;
            ambassadors++;
            active += rp->active[a];
        }
        json_t *weeks = json_array();
        const char *week;
        json_t *v;
        json_object_foreach (rp->all_weeks, week, v) {
            json_t *w = json_object_get(rp->weeks[k], week);
            json_array_append_new(weeks,
                                  json_pack("{s:s, s:I, s:I}", "week", week, "publications",
                                            json_integer_value(json_array_get(w, 0)), "reach",
                                            json_integer_value(json_array_get(w, 1))));
        }
        json_t *target = json_object_get(r, "ambassadors_target");
        json_array_append_new(list, json_pack("{s:s?, s:s?, s:I, s:I, s:O?, s:I, s:I, s:o}", "id",
                                              id, "name", jade_json_str(r, "name"), "ambassadors",
                                              (json_int_t)ambassadors, "active", (json_int_t)active,
                                              "target", json_is_integer(target) ? target : NULL,
                                              "publications", (json_int_t)rp->published[k], "reach",
                                              (json_int_t)rp->reach[k], "weeks", weeks));
    }
    return list;
}

static int by_retraction(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    static const char *const fields[] = {"retracted_at", "sent_at", "campaign",
                                         "post",         "channel", "due"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const char *s = jade_json_str(x, fields[i]), *t = jade_json_str(y, fields[i]);
        if (!s != !t) return s ? -1 : 1; /* a time before none */
        int c = s ? strcmp(s, t) : 0;
        if (c) return c;
    }
    return 0;
}

static void report_free(struct report *rp)
{
    json_decref(rp->posts);
    free(rp->info);
    json_decref(rp->totals.failures);
    for (size_t i = 0; i < rp->groups.count; i++) {
        free(rp->groups.items[i].id);
        json_decref(rp->groups.items[i].f.failures);
    }
    free(rp->groups.items);
    json_decref(rp->groups.index);
    for (size_t k = 0; k < rp->n_regions; k++) json_decref(rp->weeks[k]);
    free(rp->weeks);
    free(rp->active);
    free(rp->published);
    free(rp->reach);
    json_decref(rp->all_weeks);
    json_decref(rp->retractions);
    free(rp->scratch);
}

int jade_report_build(struct jade_ledger *l, const struct jade_content *c,
                      const struct jade_report_options *o, json_t **out, struct jade_buf *err)
{
    *out = NULL;
    if (jade_ledger_schema(l) < REPORT_SCHEMA) {
        jade_buf_printf(err,
                        _("the ledger is of schema %d, before the report's figures were kept "
                          "(%d): start the service once (jade run --once) to bring it up to date"),
                        jade_ledger_schema(l), REPORT_SCHEMA);
        return -1;
    }
    struct report rp = {.c = c, .o = o};
    rp.regions = json_object_get(c->regions ? c->regions->json : NULL, "regions");
    rp.ambassadors = json_object_get(c->people ? c->people->json : NULL, "ambassadors");
    rp.channels = json_object_get(c->channels ? c->channels->json : NULL, "channels");
    rp.n_regions = json_array_size(rp.regions);
    rp.active = jade_xcalloc(json_array_size(rp.ambassadors) + 1, sizeof *rp.active);
    rp.published = jade_xcalloc(rp.n_regions + 1, sizeof *rp.published);
    rp.reach = jade_xcalloc(rp.n_regions + 1, sizeof *rp.reach);
    rp.weeks = jade_xcalloc(rp.n_regions + 1, sizeof *rp.weeks);
    for (size_t k = 0; k < rp.n_regions; k++) rp.weeks[k] = json_object();
    rp.all_weeks = json_object();
    rp.retractions = json_array();
    rp.totals.failures = json_object();
    rp.groups.index = json_object();
    index_posts(&rp);

    sqlite3 *db = jade_ledger_sqlite(l);
    int rc = read_rows(&rp, db, err);
    json_t *report = NULL;
    if (rc == 0) {
        json_object_clear(rp.all_weeks); /* sorted: jansson keeps insertion order */
        size_t n_weeks = 0;
        for (size_t k = 0; k < rp.n_regions; k++) n_weeks += json_object_size(rp.weeks[k]);
        const char **weeks = jade_xcalloc(n_weeks + 1, sizeof *weeks);
        size_t w = 0;
        for (size_t k = 0; k < rp.n_regions; k++) {
            const char *week;
            json_t *v;
            json_object_foreach (rp.weeks[k], week, v) weeks[w++] = week;
        }
        qsort(weeks, w, sizeof *weeks, jade_compare_text);
        json_t *week_list = json_array();
        for (size_t i = 0; i < w; i++)
            if (!i || strcmp(weeks[i], weeks[i - 1]) != 0) {
                json_object_set_new(rp.all_weeks, weeks[i], json_true());
                json_array_append_new(week_list, json_string(weeks[i]));
            }
        free(weeks);
        json_t *regions = regions_json(&rp);
        json_int_t active = 0, target = 0;
        for (size_t k = 0; k < rp.n_regions; k++) {
            active += json_integer_value(json_object_get(json_array_get(regions, k), "active"));
            target += json_integer_value(json_object_get(json_array_get(regions, k), "target"));
        }
        json_t *indicators = json_pack("{s:I, s:I, s:o, s:o}", "active", active, "target", target,
                                       "weeks", week_list, "regions", regions);
        rc = rumour_indicators(&rp, db, indicators, regions, err);
        size_t n = json_array_size(rp.retractions);
        json_t **items = jade_xcalloc(n + 1, sizeof *items);
        for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(rp.retractions, i));
        json_t *retractions = sorted_array(items, n, by_retraction);
        free(items);
        report = json_pack("{s:s?, s:{s:o, s:o}, s:s?, s:s, s:o, s:o, s:o, s:o}", "programme",
                           jade_json_str(c->programme ? c->programme->json : NULL, "programme"),
                           "period", "from", o->from == INT64_MIN ? json_null() : utc_json(o->from),
                           "to", o->to == INT64_MAX ? json_null() : utc_json(o->to), "content",
                           o->content, "by", jade_report_by_names[o->by], "totals",
                           figures_json(&rp.totals), "groups", groups_json(&rp), "indicators",
                           indicators, "retractions", retractions);
    }
    report_free(&rp);
    if (rc != 0) {
        json_decref(report);
        return -1;
    }
    *out = report;
    return 0;
}
