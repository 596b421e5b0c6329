/* test-report.c - jade report's numbers on a small hand-made ledger whose
 * answers are known: each figure and indicator, the on-time boundary at
 * 60 s, the latest reading, --by each dimension, the period's bounds; the
 * JSON checked against schemas/report.schema.json by jade's own
 * validator; the CSV's byte order mark; the HTML's escapes.
 * usage: test-report SRCDIR */
#include "test.h"
#include "tree.h"

#include "content/schema.h"
#include "report/report.h"
#include "run/ledger.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *srcdir = ".";

#define HOSTILE "Binta </script><img src=http://x.invalid/a.png>"

static const struct file base[] = {
    {"jade.json", "{\"programme\": \"Test\", \"timezone\": \"Africa/Bamako\", \"policy\":"
                  " {\"quiet_hours\": [\"22:00\", \"07:00\"], \"min_gap_minutes\": 0}}"},
    {"regions.json",
     "{\"regions\": [{\"id\": \"kayes\", \"name\": \"Kayes\", \"languages\": [\"fr\"],"
     " \"ambassadors_target\": 20},"
     " {\"id\": \"gao\", \"name\": \"Gao\", \"languages\": [\"fr\"], \"ambassadors_target\": 2}]}"},
    {"people.json",
     "{\"ambassadors\": [{\"id\": \"awa\", \"name\": \"Awa\", \"region\": \"kayes\"},"
     " {\"id\": \"moussa\", \"name\": \"Moussa\", \"region\": \"gao\"},"
     " {\"id\": \"binta\", \"name\": \"" HOSTILE "\", \"region\": \"gao\"},"
     " {\"id\": \"idle\", \"name\": \"Idle\", \"region\": \"kayes\"}],"
     " \"coaches\": [{\"id\": \"fatou\", \"name\": \"Fatou\"}]}"},
    {"channels.json",
     "{\"channels\": [{\"id\": \"out-kayes\", \"network\": \"outbox\", \"regions\": [\"kayes\"],"
     " \"account\": {\"folder\": \"kayes\"}},"
     " {\"id\": \"out-gao\", \"network\": \"webhook\", \"regions\": [\"gao\"],"
     " \"account\": {\"url\": \"https://example.org/hook\"}},"
     " {\"id\": \"out-all\", \"network\": \"outbox\", \"regions\": [\"all\"],"
     " \"account\": {\"folder\": \"all\"}}]}"},
    {"c1/campaign.json",
     "{\"id\": \"c1\", \"title\": \"Campagne un\", \"objective\": \"t\", \"status\": \"active\","
     " \"window\": {\"start\": \"2026-11-01T00:00\", \"end\": \"2027-01-31T23:59\"},"
     " \"regions\": [\"all\"], \"coaches\": [\"fatou\"]}"},
    {"c1/posts/p1.json", "{\"id\": \"p1\", \"kind\": \"story\", \"authors\": [\"awa\"],"
                         " \"schedule\": {\"at\": [\"2026-12-02T09:00\"]}}"},
    {"c1/posts/p1.fr.txt", "Un.\n"},
    {"c1/posts/p2.json", "{\"id\": \"p2\", \"kind\": \"story\", \"authors\": [\"moussa\"],"
                         " \"schedule\": {\"at\": [\"2026-12-02T09:00\"]}}"},
    {"c1/posts/p2.fr.txt", "Deux.\n"},
    {"c1/posts/p3.json",
     "{\"id\": \"p3\", \"kind\": \"story\", \"authors\": [\"awa\", \"binta\"],"
     " \"regions\": [\"gao\"], \"schedule\": {\"at\": [\"2026-12-02T09:00\"]}}"},
    {"c1/posts/p3.fr.txt", "Trois.\n"},
    {NULL, NULL}};

/* Monday 2026-12-07 00:00 UTC: ISO week 2026-W50 begins. */
#define T0 1796601600LL
#define DAY 86400LL

struct fixture {
    char dir[64];
    struct jade_ledger *ledger;
    struct jade_content *content;
    struct jade_diags diags;
};

static void occurrence(sqlite3 *db, const char *key, const char *post, const char *channel,
                       const char *network, int64_t due, const char *state, int64_t sent_at,
                       const char *error, int64_t updated, const char *removal)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "INSERT INTO occurrences (key, campaign, post, channel, network, lang, due,"
                       " state, attempts, created, updated, sent_at, error, removal)"
                       " VALUES (?, 'c1', ?, ?, ?, 'fr', ?, ?, 1, 0, ?, ?, ?, ?)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, post, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, network, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, due);
    sqlite3_bind_text(st, 6, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, updated ? updated : due);
    if (sent_at) sqlite3_bind_int64(st, 8, sent_at);
    if (error) sqlite3_bind_text(st, 9, error, -1, SQLITE_STATIC);
    if (removal) sqlite3_bind_text(st, 10, removal, -1, SQLITE_STATIC);
    CHECK_INT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static void reading(sqlite3 *db, const char *key, int offset, const char *name, long long value)
{
    char *sql = jade_xasprintf("INSERT INTO metrics VALUES ('%s', %d, 0, '%s', %lld)", key, offset,
                               name, value);
    CHECK_INT_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    free(sql);
}

/* The ledger:
 *   k1  p1 out-kayes  W50  sent 60 s after due (on time); reach 10 then 25, engagement 3
 *   k2  p1 out-kayes  W50  sent 61 s after due (late); reach 5
 *   k3  p2 out-gao    W50  failed "HTTP 503: busy (attempt 3)"
 *   k4  p2 out-gao    W50  failed "HTTP 503: busy (attempt 8)"
 *   k5  p3 out-all    W51  sent on time (p3 speaks to gao only); reach 7
 *   k6  p1 out-kayes  the day before T0, sent on time
 *   k7  p1 out-kayes  W50  retracted (sent 50 s after due)
 *   k8  p2 out-gao    T0 + 10 days, planned
 *   k9  p9 gone       W50  missed, on a channel and post the content does not know
 *   k10 p2 out-gao    exactly T0 + 8 days, sent: the end of the period, excluded */
static void setup(struct fixture *f, const struct file *extra)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/jade-test-report-XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(f->dir, false, &f->ledger, &err), 0);
    jade_buf_free(&err);
    sqlite3 *db = jade_ledger_sqlite(f->ledger);
    occurrence(db, "k1", "p1", "out-kayes", "outbox", T0 + 3600, "sent", T0 + 3660, NULL, 0, NULL);
    occurrence(db, "k2", "p1", "out-kayes", "outbox", T0 + 7200, "sent", T0 + 7261, NULL, 0, NULL);
    occurrence(db, "k3", "p2", "out-gao", "webhook", T0 + 3600, "failed", 0,
               "HTTP 503: busy (attempt 3)", 0, NULL);
    occurrence(db, "k4", "p2", "out-gao", "webhook", T0 + 7200, "failed", 0,
               "HTTP 503: busy (attempt 8)", 0, NULL);
    occurrence(db, "k5", "p3", "out-all", "outbox", T0 + 7 * DAY, "sent", T0 + 7 * DAY, NULL, 0,
               NULL);
    occurrence(db, "k6", "p1", "out-kayes", "outbox", T0 - DAY, "sent", T0 - DAY + 5, NULL, 0,
               NULL);
    occurrence(db, "k7", "p1", "out-kayes", "outbox", T0 + 50, "retracted", T0 + 100, NULL,
               T0 + 5000, NULL);
    occurrence(db, "k8", "p2", "out-gao", "webhook", T0 + 10 * DAY, "planned", 0, NULL, 0, NULL);
    occurrence(db, "k9", "p9", "gone", "telegram", T0 + 600, "missed", 0,
               "the service was down past catch_up_minutes", 0, NULL);
    occurrence(db, "k10", "p2", "out-gao", "webhook", T0 + 8 * DAY, "sent", T0 + 8 * DAY, NULL, 0,
               NULL);
    reading(db, "k1", 3600, "reach", 10);
    reading(db, "k1", 86400, "reach", 25);
    reading(db, "k1", 3600, "engagement", 3);
    reading(db, "k1", 86400, "likes", 1000); /* a network's own name: not summed */
    reading(db, "k2", 3600, "reach", 5);
    reading(db, "k5", 3600, "reach", 7);
    reading(db, "k10", 3600, "reach", 1000);
    f->content = load_tree(base, extra, &f->diags);
    CHECK(f->content != NULL);
}

static void teardown(struct fixture *f)
{
    jade_ledger_close(f->ledger);
    jade_content_free(f->content);
    jade_diags_free(&f->diags);
    char *cmd = jade_xasprintf("rm -rf '%s'", f->dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", f->dir);
    free(cmd);
}

/* The value at a JSON pointer ("/a/0/b"), or NULL. */
static const json_t *get(const json_t *j, const char *pointer)
{
    char *copy = jade_xstrdup(pointer), *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); part && j; part = strtok_r(NULL, "/", &save))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(part)) : json_object_get(j, part);
    free(copy);
    return j;
}

static long long int_at(const json_t *j, const char *pointer)
{
    const json_t *v = get(j, pointer);
    if (!json_is_integer(v)) printf("#   %s is not an integer\n", pointer);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *str_at(const json_t *j, const char *pointer)
{
    return json_string_value(get(j, pointer));
}

/* The group with this id, as a pointer prefix ("/groups/N"), or "". */
static const char *group(const json_t *report, const char *id)
{
    static char path[32];
    const json_t *groups = json_object_get(report, "groups");
    for (size_t i = 0; i < json_array_size(groups); i++)
        if (!strcmp(str_at(json_array_get(groups, i), "/id"), id)) {
            snprintf(path, sizeof path, "/groups/%zu", i);
            return path;
        }
    printf("#   no group %s\n", id);
    return "/none";
}

static long long group_int(const json_t *report, const char *id, const char *member)
{
    char *p = jade_xasprintf("%s/%s", group(report, id), member);
    long long v = int_at(report, p);
    free(p);
    return v;
}

static json_t *build(struct fixture *f, int64_t from, int64_t to, enum jade_report_by by)
{
    struct jade_report_options o = {from, to, by, "test"};
    struct jade_buf err = {0};
    json_t *report = NULL;
    CHECK_INT_EQ(jade_report_build(f->ledger, f->content, &o, &report, &err), 0);
    if (err.len) printf("# %s\n", jade_buf_str(&err));
    jade_buf_free(&err);
    return report ? report : json_object();
}

/* The week from T0: k1 to k9 but k6 (before) and k10 (at the end). */
#define WEEK T0, T0 + 8 * DAY

static void test_totals_and_states(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/totals/occurrences"), 7);
    CHECK_INT_EQ(int_at(r, "/totals/states/sent"), 3);
    CHECK_INT_EQ(int_at(r, "/totals/states/failed"), 2);
    CHECK_INT_EQ(int_at(r, "/totals/states/missed"), 1);
    CHECK_INT_EQ(int_at(r, "/totals/states/retracted"), 1);
    CHECK_INT_EQ(int_at(r, "/totals/states/planned"), 0); /* k8 is after the period */
    CHECK_INT_EQ(int_at(r, "/totals/published"), 4);      /* k1 k2 k5 k7 */
    CHECK_INT_EQ(int_at(r, "/totals/retracted"), 1);
    CHECK_STR_EQ(str_at(r, "/by"), "region");
    CHECK_STR_EQ(str_at(r, "/period/from"), "2026-12-07T00:00:00Z");
    CHECK_STR_EQ(str_at(r, "/period/to"), "2026-12-15T00:00:00Z");
    json_decref(r);
    teardown(&f);
}

static void test_on_time_boundary(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    /* k1 at +60 s and k7 at +50 s are on time, k2 at +61 s is not; k5 */
    CHECK_INT_EQ(int_at(r, "/totals/on_time"), 3);
    CHECK(fabs(json_real_value(get(r, "/totals/on_time_rate")) - 0.75) < 1e-9);
    CHECK_INT_EQ(group_int(r, "kayes", "on_time"), 2);
    CHECK_INT_EQ(group_int(r, "kayes", "published"), 3);
    CHECK(json_is_null(get(r, "/groups/2/on_time_rate"))); /* the unknown region: none sent */
    json_decref(r);
    teardown(&f);
}

static void test_failures_and_retractions(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    CHECK_STR_EQ(str_at(r, "/totals/failures/0/reason"), "HTTP 503: busy");
    CHECK_INT_EQ(int_at(r, "/totals/failures/0/count"), 2);
    CHECK_STR_EQ(str_at(r, "/totals/failures/1/reason"),
                 "the service was down past catch_up_minutes");
    CHECK_INT_EQ(int_at(r, "/totals/failures/1/count"), 1);
    CHECK_INT_EQ(json_array_size(get(r, "/retractions")), 1);
    CHECK_STR_EQ(str_at(r, "/retractions/0/post"), "p1");
    CHECK_STR_EQ(str_at(r, "/retractions/0/sent_at"), "2026-12-07T00:01:40Z");
    CHECK_STR_EQ(str_at(r, "/retractions/0/retracted_at"), "2026-12-07T01:23:20Z");
    json_decref(r);
    teardown(&f);
}

static void test_latest_readings(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/totals/reach"), 25 + 5 + 7); /* k1's latest: 25, not 10 + 25 */
    CHECK_INT_EQ(int_at(r, "/totals/engagement"), 3);
    CHECK_INT_EQ(group_int(r, "kayes", "reach"), 30);
    CHECK_INT_EQ(group_int(r, "gao", "reach"), 7);
    json_decref(r);
    teardown(&f);
}

static void test_active_ambassadors(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    /* awa (kayes): p1 sent. binta (gao): p3 sent. moussa (gao): p2 only
     * failed (k10 is past the end). idle: nothing. */
    CHECK_STR_EQ(str_at(r, "/indicators/regions/0/id"), "kayes");
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/active"), 1);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/ambassadors"), 2);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/target"), 20);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/active"), 1);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/target"), 2);
    CHECK_INT_EQ(int_at(r, "/indicators/active"), 2);
    CHECK_INT_EQ(int_at(r, "/indicators/target"), 22);
    json_decref(r);
    /* to the end: k10 makes moussa active */
    r = build(&f, T0, INT64_MAX, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/active"), 2);
    json_decref(r);
    /* the day before: only awa, through k6 */
    r = build(&f, T0 - DAY, T0, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/active"), 1);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/active"), 0);
    json_decref(r);
    teardown(&f);
}

static void test_weeks(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    CHECK_INT_EQ(json_array_size(get(r, "/indicators/weeks")), 2);
    CHECK_STR_EQ(str_at(r, "/indicators/weeks/0"), "2026-W50");
    CHECK_STR_EQ(str_at(r, "/indicators/weeks/1"), "2026-W51");
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/weeks/0/publications"), 3); /* k1 k2 k7 */
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/weeks/0/reach"), 30);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/weeks/1/publications"), 0);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/weeks/1/publications"), 1); /* k5: gao */
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/weeks/1/reach"), 7);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/publications"), 1);
    json_decref(r);
    teardown(&f);
}

static void test_by_each_dimension(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    CHECK_INT_EQ(json_array_size(get(r, "/groups")), 3);
    CHECK_STR_EQ(str_at(r, "/groups/0/id"), "kayes"); /* regions.json's order */
    CHECK_STR_EQ(str_at(r, "/groups/1/id"), "gao");
    CHECK_STR_EQ(str_at(r, "/groups/2/id"), "?"); /* k9's channel is gone */
    CHECK_INT_EQ(group_int(r, "kayes", "occurrences"), 3);
    CHECK_INT_EQ(group_int(r, "gao", "occurrences"), 3); /* k3 k4 k5 */
    CHECK_INT_EQ(group_int(r, "?", "states/missed"), 1);
    json_decref(r);
    r = build(&f, WEEK, JADE_BY_AMBASSADOR);
    CHECK_STR_EQ(str_at(r, "/by"), "ambassador");
    CHECK_INT_EQ(group_int(r, "awa", "occurrences"), 4); /* k1 k2 k7, and p3's k5 */
    CHECK_INT_EQ(group_int(r, "binta", "published"), 1);
    char *name = jade_xasprintf("%s/name", group(r, "binta"));
    CHECK_STR_EQ(str_at(r, name), HOSTILE);
    free(name);
    CHECK_INT_EQ(group_int(r, "moussa", "states/failed"), 2);
    CHECK_INT_EQ(group_int(r, "?", "occurrences"), 1);
    json_decref(r);
    r = build(&f, WEEK, JADE_BY_CAMPAIGN);
    CHECK_INT_EQ(json_array_size(get(r, "/groups")), 1);
    CHECK_STR_EQ(str_at(r, "/groups/0/name"), "Campagne un");
    CHECK_INT_EQ(int_at(r, "/groups/0/occurrences"), 7);
    json_decref(r);
    r = build(&f, WEEK, JADE_BY_NETWORK);
    CHECK_INT_EQ(json_array_size(get(r, "/groups")), 3);
    CHECK_INT_EQ(group_int(r, "outbox", "occurrences"), 4);
    CHECK_INT_EQ(group_int(r, "webhook", "states/failed"), 2);
    CHECK_INT_EQ(group_int(r, "telegram", "states/missed"), 1);
    json_decref(r);
    teardown(&f);
}

static void test_period_bounds(void)
{
    struct fixture f;
    setup(&f, NULL);
    /* from is included, to is not: k10 is due at T0 + 8 days exactly */
    json_t *r = build(&f, T0 + 8 * DAY, T0 + 8 * DAY + 1, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/totals/occurrences"), 1);
    json_decref(r);
    r = build(&f, T0 + 7 * DAY + 1, T0 + 8 * DAY, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/totals/occurrences"), 0);
    json_decref(r);
    r = build(&f, INT64_MIN, INT64_MAX, JADE_BY_REGION);
    CHECK_INT_EQ(int_at(r, "/totals/occurrences"), 10);
    CHECK(json_is_null(get(r, "/period/from")));
    CHECK(json_is_null(get(r, "/period/to")));
    json_decref(r);
    teardown(&f);
}

static char *written(const json_t *report, enum jade_report_format format, size_t *len)
{
    char *data = NULL;
    FILE *mem = open_memstream(&data, len);
    CHECK_INT_EQ(jade_report_write(mem, report, format), 0);
    fclose(mem);
    return data;
}

/* Whether the report, written as JSON and read back, is valid against
 * schemas/report.schema.json (by jade's own validator). */
static bool schema_valid(const json_t *report)
{
    char *path = jade_xasprintf("%s/schemas/report.schema.json", srcdir);
    json_t *doc = json_load_file(path, 0, NULL);
    struct jade_buf err = {0};
    struct jade_schema *schema = doc ? jade_schema_compile(doc, "report", &err) : NULL;
    size_t len;
    char *text = written(report, JADE_REPORT_JSON, &len);
    json_t *back = json_loads(text, 0, NULL);
    bool valid = schema && back && jade_schema_validate(schema, back, NULL, NULL);
    json_decref(back);
    free(text);
    jade_schema_free(schema);
    json_decref(doc);
    jade_buf_free(&err);
    free(path);
    return valid;
}

static void test_json_schema(void)
{
    char *path = jade_xasprintf("%s/schemas/report.schema.json", srcdir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    CHECK(doc != NULL);
    struct jade_buf err = {0};
    struct jade_schema *schema = jade_schema_compile(doc, "report", &err);
    CHECK(schema != NULL);
    if (err.len) printf("# %s\n", jade_buf_str(&err));
    struct fixture f;
    setup(&f, NULL);
    for (int by = JADE_BY_REGION; by <= JADE_BY_NETWORK; by++) {
        json_t *r = build(&f, by ? INT64_MIN : T0, INT64_MAX, (enum jade_report_by)by);
        size_t len;
        char *text = written(r, JADE_REPORT_JSON, &len); /* what is written, read back */
        json_t *back = json_loads(text, 0, &jerr);
        CHECK(back != NULL);
        CHECK(schema && jade_schema_validate(schema, back, NULL, NULL));
        json_decref(back);
        free(text);
        json_decref(r);
    }
    /* and the schema says something: a report missing its totals fails */
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    json_object_del(r, "totals");
    CHECK(schema && !jade_schema_validate(schema, r, NULL, NULL));
    json_decref(r);
    teardown(&f);
    jade_schema_free(schema);
    json_decref(doc);
    jade_buf_free(&err);
    free(path);
}

static void test_csv(void)
{
    struct fixture f;
    setup(&f, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_AMBASSADOR);
    size_t len;
    char *text = written(r, JADE_REPORT_CSV, &len);
    CHECK(len > 3 && !memcmp(text, "\xEF\xBB\xBF", 3));
    CHECK(!strncmp(text + 3, "section,id,name,detail,measure,value\r\n", 38));
    CHECK_CONTAINS(text, "totals,,,,on_time,3\r\n");
    CHECK_CONTAINS(text, "totals,,,HTTP 503: busy,failures,2\r\n");
    CHECK_CONTAINS(text, "groups,awa,Awa,,occurrences,4\r\n");
    CHECK_CONTAINS(text, "regions,kayes,Kayes,,active,1\r\n");
    CHECK_CONTAINS(text, "weeks,gao,Gao,2026-W51,publications,1\r\n");
    CHECK_CONTAINS(text, "retractions,c1/p1,,out-kayes,retracted_at,2026-12-07T01:23:20Z\r\n");
    free(text);
    json_decref(r);
    teardown(&f);
}

static void test_html_escapes_content(void)
{
    struct fixture f;
    setup(&f, NULL);
    /* a network's answer that would retitle a terminal */
    occurrence(jade_ledger_sqlite(f.ledger), "k15", "p1", "out-kayes", "outbox", T0 + 60, "failed",
               0, "HTTP 500: \x1b]0;pwned\x07 (attempt 1)", 0, NULL);
    json_t *r = build(&f, WEEK, JADE_BY_AMBASSADOR);
    size_t len;
    char *html = written(r, JADE_REPORT_HTML, &len);
    CHECK(!strstr(html, "<img"));
    CHECK(!strstr(html, "</script>"));
    CHECK(!strstr(html, "<script"));
    CHECK(!strstr(html, "http://x.invalid/a.png>"));
    CHECK_CONTAINS(html, "Binta &lt;/script&gt;&lt;img src=http://x.invalid/a.png&gt;");
    CHECK_CONTAINS(html, "data-n=\"/totals/on_time\" data-v=\"3\">3<");
    CHECK_CONTAINS(html, "data-n=\"/indicators/regions/0/active\" data-v=\"1\">1<");
    CHECK_CONTAINS(html, "@page");
    CHECK_CONTAINS(html, "@media print");
    CHECK(!strchr(html, '\x1b') && !strchr(html, '\x07'));
    CHECK_CONTAINS(html, "HTTP 500: \\x1b]0;pwned\\x07");
    free(html);
    char *csv = written(r, JADE_REPORT_CSV, &len);
    CHECK(!strchr(csv, '\x1b') && !strchr(csv, '\x07'));
    free(csv);
    char *table = written(r, JADE_REPORT_TABLE, &len);
    CHECK_CONTAINS(table, "Binta </script><img src=http://x.invalid/a.png>"); /* printable */
    CHECK_CONTAINS(table, "75.0 %");
    CHECK(!strchr(table, '\x1b') && !strchr(table, '\x07'));
    CHECK_CONTAINS(table, "HTTP 500: \\x1b]0;pwned\\x07");
    free(table);
    json_decref(r);
    teardown(&f);
}

/* Rumours, and the posts that answer them:
 *   r0 first seen T0 - 3 days (kayes), answered by p5 at T0 - 2 days + 10 s (k13)
 *   r1 first seen T0 (kayes, gao), answered by p4: on out-gao at T0 + 2 h + 30 s (k11),
 *      on out-kayes at T0 + 5 h (k12)
 *   r2 first seen T0 + 1 day (all), answered by p6 only at T0 + 9 days (k14)
 *   r3 first seen T0 + 9 days: after the week */
#define RUMOUR(id, seen, regions)                                                                  \
    {                                                                                              \
        "rumours/" id ".json",                                                                     \
            "{\"id\": \"" id "\", \"first_seen\": \"" seen "\", \"regions\": " regions             \
            ", \"summary\": \"Rumeur " id "\", \"status\": \"open\"}"                              \
    }
#define ANSWER(post, rumour)                                                                       \
    {"c1/posts/" post ".json", "{\"id\": \"" post "\", \"kind\": \"debunk\", \"authors\": "        \
                               "[\"awa\"], \"answers\": \"" rumour "\", \"schedule\": {\"at\": "   \
                               "[\"2026-12-02T09:00\"]}, \"sources\": [{\"title\": \"s\", "        \
                               "\"url\": \"https://example.org/s\"}]}"},                           \
    {                                                                                              \
        "c1/posts/" post ".fr.txt", "Non.\n"                                                       \
    }
static const struct file rumour_files[] = {RUMOUR("r0", "2026-12-04T00:00", "[\"kayes\"]"),
                                           RUMOUR("r1", "2026-12-07T00:00", "[\"kayes\", \"gao\"]"),
                                           RUMOUR("r2", "2026-12-08T00:00", "[\"all\"]"),
                                           RUMOUR("r3", "2026-12-16T00:00", "[\"gao\"]"),
                                           ANSWER("p4", "r1"),
                                           ANSWER("p5", "r0"),
                                           ANSWER("p6", "r2"),
                                           {NULL, NULL}};

static void answers(struct fixture *f)
{
    sqlite3 *db = jade_ledger_sqlite(f->ledger);
    occurrence(db, "k11", "p4", "out-gao", "webhook", T0 + 7200, "sent", T0 + 7230, NULL, 0, NULL);
    occurrence(db, "k12", "p4", "out-kayes", "outbox", T0 + 18000, "sent", T0 + 18000, NULL, 0,
               NULL);
    occurrence(db, "k13", "p5", "out-kayes", "outbox", T0 - 2 * DAY, "sent", T0 - 2 * DAY + 10,
               NULL, 0, NULL);
    occurrence(db, "k14", "p6", "out-all", "outbox", T0 + 9 * DAY, "sent", T0 + 9 * DAY, NULL, 0,
               NULL);
}

static void test_rumour_response_times(void)
{
    struct fixture f;
    setup(&f, rumour_files);
    CHECK_INT_EQ(f.diags.errors, 0);
    CHECK_INT_EQ(f.content->n_rumours, 4);
    answers(&f);
    json_t *r = build(&f, WEEK, JADE_BY_REGION);
    /* r0 was answered before the week; r3 was seen after it */
    CHECK_INT_EQ(json_array_size(get(r, "/indicators/rumours")), 2);
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/0/id"), "r1");
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/0/first_seen"), "2026-12-07T00:00:00Z");
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/0/first_answer"), "2026-12-07T02:00:30Z");
    CHECK_INT_EQ(int_at(r, "/indicators/rumours/0/response_seconds"), 7230);
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/0/by_region/0/region"), "kayes");
    CHECK_INT_EQ(int_at(r, "/indicators/rumours/0/by_region/0/response_seconds"), 18000);
    CHECK_INT_EQ(int_at(r, "/indicators/rumours/0/by_region/1/response_seconds"), 7230);
    /* r2's answer comes after the week: not answered yet, then */
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/1/id"), "r2");
    CHECK(json_is_null(get(r, "/indicators/rumours/1/response_seconds")));
    CHECK_INT_EQ(json_array_size(get(r, "/indicators/unanswered")), 1);
    CHECK_STR_EQ(str_at(r, "/indicators/unanswered/0"), "r2");
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/rumours"), 2);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/rumours_answered"), 1);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/median_response_seconds"), 18000);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/median_response_seconds"), 7230);
    json_decref(r);
    /* from the start: r0 too (kayes: 86410 and 18000, median 52205), and
     * r2's answer (9 days less 1: 691200 s), r3 still open */
    r = build(&f, INT64_MIN, INT64_MAX, JADE_BY_REGION);
    CHECK_INT_EQ(json_array_size(get(r, "/indicators/rumours")), 4);
    CHECK_INT_EQ(int_at(r, "/indicators/rumours/0/response_seconds"), 86410);
    CHECK_INT_EQ(int_at(r, "/indicators/rumours/2/response_seconds"), 8 * DAY);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/rumours"), 3);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/rumours_answered"), 3);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/0/median_response_seconds"), 86410);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/rumours"), 3);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/rumours_answered"), 2);
    CHECK_INT_EQ(int_at(r, "/indicators/regions/1/median_response_seconds"), (7230 + 8 * DAY) / 2);
    CHECK_STR_EQ(str_at(r, "/indicators/unanswered/0"), "r3");
    CHECK(schema_valid(r));
    json_decref(r);
    /* a week that begins after r0's answer, though r0 was seen before it:
     * not this week's; r1 seen before it and open then: this week's */
    r = build(&f, T0 + 3600, T0 + 8 * DAY, JADE_BY_REGION);
    CHECK_INT_EQ(json_array_size(get(r, "/indicators/rumours")), 2);
    CHECK_STR_EQ(str_at(r, "/indicators/rumours/0/id"), "r1");
    json_decref(r);
    teardown(&f);
}

static void test_old_ledger_refused(void)
{
    struct fixture f;
    setup(&f, NULL);
    sqlite3_exec(jade_ledger_sqlite(f.ledger), "PRAGMA user_version = 9", NULL, NULL, NULL);
    jade_ledger_close(f.ledger);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open_readonly(f.dir, &f.ledger, &err), 0);
    struct jade_report_options o = {INT64_MIN, INT64_MAX, JADE_BY_REGION, NULL};
    json_t *r = NULL;
    CHECK_INT_EQ(jade_report_build(f.ledger, f.content, &o, &r, &err), -1);
    CHECK(r == NULL);
    CHECK_CONTAINS(jade_buf_str(&err), "schema 9");
    jade_buf_free(&err);
    teardown(&f);
}

int main(int argc, char **argv)
{
    if (argc > 1) srcdir = argv[1];
    RUN(test_totals_and_states);
    RUN(test_on_time_boundary);
    RUN(test_failures_and_retractions);
    RUN(test_latest_readings);
    RUN(test_active_ambassadors);
    RUN(test_weeks);
    RUN(test_by_each_dimension);
    RUN(test_period_bounds);
    RUN(test_json_schema);
    RUN(test_csv);
    RUN(test_html_escapes_content);
    RUN(test_rumour_response_times);
    RUN(test_old_ledger_refused);
    return test_done();
}
