/* test-plan.c - the planner, rule by rule, against times computed by hand.
 *
 * Each test writes a small content tree (a base, with files replaced or
 * added), loads it as `jade validate` does, plans a range and checks the
 * occurrences. Times in comments are worked out from the calendar and the
 * zones' offsets: Africa/Bamako is UTC all year; Europe/Paris is UTC+1 in
 * winter and UTC+2 from 2027-03-28 01:00Z. */
#include "test.h"
#include "tree.h"

#include "content/content.h"
#include "plan/plan.h"
#include "source/source.h"
#include "util/buf.h"
#include "util/timeparse.h"

#include <stdlib.h>

static const struct file base[] = {
    {"jade.json", "{\"programme\": \"T\", \"timezone\": \"Africa/Bamako\", \"policy\": "
                  "{\"quiet_hours\": [\"22:00\", \"07:00\"], \"min_gap_minutes\": 30}}"},
    {"regions.json",
     "{\"regions\": ["
     "{\"id\": \"kayes\", \"name\": \"Kayes\", \"languages\": [\"fr\", \"bm\"], "
     "\"ambassadors_target\": 20},"
     "{\"id\": \"gao\", \"name\": \"Gao\", \"languages\": [\"fr\", \"ses\"], "
     "\"ambassadors_target\": 20},"
     "{\"id\": \"paris\", \"name\": \"Diaspora\", \"languages\": [\"fr\"], \"timezone\": "
     "\"Europe/Paris\", \"ambassadors_target\": 0}]}"},
    {"people.json", "{\"ambassadors\": [{\"id\": \"awa\", \"name\": \"Awa\", \"region\": "
                    "\"kayes\"}], \"coaches\": []}"},
    {"channels.json",
     "{\"channels\": ["
     "{\"id\": \"out-kayes\", \"network\": \"outbox\", \"regions\": [\"kayes\"], \"account\": "
     "{\"folder\": \"kayes\"}},"
     "{\"id\": \"out-gao\", \"network\": \"outbox\", \"regions\": [\"gao\"], \"account\": "
     "{\"folder\": \"gao\"}},"
     "{\"id\": \"tg-kayes\", \"network\": \"telegram\", \"regions\": [\"kayes\"], "
     "\"languages\": [\"fr\"], \"account\": {\"chat_id\": \"@k\"}},"
     "{\"id\": \"out-paris\", \"network\": \"outbox\", \"regions\": [\"paris\"], \"account\": "
     "{\"folder\": \"paris\"}}]}"},
    {"c1/campaign.json",
     "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
     "\"window\": {\"start\": \"2026-12-01T00:00\", \"end\": \"2027-06-30T23:59\"}, "
     "\"regions\": [\"all\"]}"},
    {NULL, NULL},
};

static struct jade_content *load(const struct file *files, struct jade_diags *diags)
{
    return load_tree(base, files, diags);
}

static int64_t at(const char *utc)
{
    struct jade_time t;
    int64_t out = 0;
    if (jade_time_parse_content(utc, &t) == 0) jade_time_to_unix(&t, "UTC", &out);
    return out;
}

/* Plans [from, to) of the tree; returns the plan's occurrences as text,
 * one "channel lang post due" line each, in plan order. */
static char *plan_text(const struct file *files, const char *from, const char *to,
                       struct jade_diags *diags)
{
    struct jade_content *c = load(files, diags);
    if (!c) return jade_xstrdup("(no content)");
    struct jade_plan plan = {0};
    jade_plan_build(c, at(from), at(to), NULL, &plan, diags);
    struct jade_buf out = {0};
    jade_buf_append(&out, "", 0);
    for (size_t i = 0; i < plan.count; i++) {
        const struct jade_occurrence *o = &plan.items[i];
        char due[32];
        jade_format_utc(o->due, due);
        jade_buf_printf(&out, "%s %s %s %s\n", json_string_value(json_object_get(o->channel, "id")),
                        o->lang, o->post->id, due);
    }
    jade_plan_free(&plan);
    jade_content_free(c);
    return jade_buf_steal(&out);
}

#define POST(id, extra)                                                                            \
    "{\"id\": \"" id "\", \"kind\": \"story\", \"authors\": [\"awa\"], " extra "}"

static void at_time_is_local_to_each_channel(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"kayes\", \"paris\"], "
                                      "\"networks\": [\"outbox\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    /* 09:00 in Paris (UTC+1) is 08:00Z, before 09:00 in Kayes (UTC) */
    CHECK_STR_EQ(got, "out-paris fr p 2026-12-01T08:00:00Z\n"
                      "out-kayes fr p 2026-12-01T09:00:00Z\n");
    CHECK_INT_EQ(d.errors, 0);
    free(got);
    jade_diags_free(&d);
}

static void absolute_time_is_the_same_everywhere(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00+01:00\"]}, "
                                      "\"regions\": [\"kayes\", \"paris\"], "
                                      "\"networks\": [\"outbox\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    CHECK_STR_EQ(got, "out-kayes fr p 2026-12-01T08:00:00Z\n"
                      "out-paris fr p 2026-12-01T08:00:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void weekly_rule_skips_a_start_that_does_not_match(void)
{
    struct jade_diags d = {0};
    /* 2026-12-03 is a Thursday: the Fridays are 4, 11 and 18 December */
    const struct file files[] = {
        {"c1/posts/p.json",
         POST("p",
              "\"schedule\": {\"rrule\": \"FREQ=WEEKLY;BYDAY=FR;BYHOUR=12;BYMINUTE=0;COUNT=3\", "
              "\"start\": \"2026-12-03T12:00\"}, \"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2027-01-01T00:00", &d);
    CHECK_STR_EQ(got, "out-gao fr p 2026-12-04T12:00:00Z\n"
                      "out-gao fr p 2026-12-11T12:00:00Z\n"
                      "out-gao fr p 2026-12-18T12:00:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void daily_rule_keeps_local_time_across_dst(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=DAILY\", \"start\": "
                                      "\"2027-03-26T09:00\"}, \"regions\": [\"paris\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2027-03-26T00:00", "2027-03-30T00:00", &d);
    /* 09:00 Paris: UTC+1 until Saturday 27 March, UTC+2 from Sunday 28 */
    CHECK_STR_EQ(got, "out-paris fr p 2027-03-26T08:00:00Z\n"
                      "out-paris fr p 2027-03-27T08:00:00Z\n"
                      "out-paris fr p 2027-03-28T07:00:00Z\n"
                      "out-paris fr p 2027-03-29T07:00:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void window_and_range_bound_the_times(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-11-30T09:00\", "
                                      "\"2026-12-10T09:00\", \"2027-07-01T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    /* before the window, in it, after it */
    char *got = plan_text(files, "2026-01-01T00:00", "2028-01-01T00:00", &d);
    CHECK_STR_EQ(got, "out-gao fr p 2026-12-10T09:00:00Z\n");
    free(got);
    got = plan_text(files, "2026-12-11T00:00", "2028-01-01T00:00", &d);
    CHECK_STR_EQ(got, "");
    free(got);
    jade_diags_free(&d);
}

static void open_ended_rule_is_bounded_by_the_range(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/campaign.json",
         "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\"}, \"regions\": [\"all\"]}"},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=MONTHLY;BYMONTHDAY=1\", "
                                      "\"start\": \"2026-12-01T10:00\"}, \"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2030-01-15T00:00", "2030-04-15T00:00", &d);
    CHECK_STR_EQ(got, "out-gao fr p 2030-02-01T10:00:00Z\n"
                      "out-gao fr p 2030-03-01T10:00:00Z\n"
                      "out-gao fr p 2030-04-01T10:00:00Z\n");
    CHECK_INT_EQ(d.errors, 0);
    free(got);
    jade_diags_free(&d);
}

static void targeting_regions_networks_and_languages(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"kayes\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {"c1/posts/p.bm.txt", "I ni ce"},
        {"c1/posts/p.ses.txt", "Fofo"},
        {"c1/posts/q.json", POST("q", "\"schedule\": {\"at\": [\"2026-12-02T09:00\"]}, "
                                      "\"regions\": [\"kayes\"], \"networks\": [\"telegram\"]")},
        {"c1/posts/q.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-03T00:00", &d);
    /* p: Kayes reads fr and bm (not ses); tg-kayes reads fr only; the
     * second language moves by the minimum gap (30 min). q: telegram only. */
    CHECK_STR_EQ(got, "out-kayes fr p 2026-12-01T09:00:00Z\n"
                      "tg-kayes fr p 2026-12-01T09:00:00Z\n"
                      "out-kayes bm p 2026-12-01T09:30:00Z\n"
                      "tg-kayes fr q 2026-12-02T09:00:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void paused_campaigns_and_retracted_posts_give_nothing(void)
{
    struct jade_diags d = {0};
    const struct file paused[] = {
        {"c1/campaign.json",
         "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"paused\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\"}, \"regions\": [\"all\"]}"},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(paused, "2026-12-01T00:00", "2026-12-03T00:00", &d);
    CHECK_STR_EQ(got, "");
    free(got);
    const struct file retracted[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"retracted\": {\"reason\": \"an error in a figure\"}")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    got = plan_text(retracted, "2026-12-01T00:00", "2026-12-03T00:00", &d);
    CHECK_STR_EQ(got, "");
    free(got);
    jade_diags_free(&d);
}

static void blackouts_postpone_or_skip(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"jade.json",
         "{\"programme\": \"T\", \"timezone\": \"Africa/Bamako\", \"policy\": {\"quiet_hours\": "
         "[\"22:00\", \"07:00\"], \"blackouts\": ["
         "{\"from\": \"2026-12-05T00:00\", \"to\": \"2026-12-05T14:00\", \"reason\": \"vote\"},"
         "{\"from\": \"2026-12-06T00:00\", \"to\": \"2026-12-07T00:00\", \"reason\": \"deuil\", "
         "\"action\": \"skip\"},"
         "{\"from\": \"2026-12-08T08:00\", \"to\": \"2026-12-08T23:00\", \"reason\": \"late\"}]}}"},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-05T09:00\", "
                                      "\"2026-12-06T09:00\", \"2026-12-08T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-31T00:00", &d);
    /* postponed to 14:00; skipped; postponed to 23:00, in the quiet hours,
     * so on to 07:00 the next morning */
    CHECK_STR_EQ(got, "out-gao fr p 2026-12-05T14:00:00Z\n"
                      "out-gao fr p 2026-12-09T07:00:00Z\n");
    free(got);
    /* each says which blackout moved it */
    struct jade_content *c = load(files, &d);
    struct jade_plan plan = {0};
    jade_plan_build(c, at("2026-12-01T00:00"), at("2026-12-31T00:00"), NULL, &plan, &d);
    CHECK_INT_EQ(plan.count, 2);
    for (size_t i = 0; i < plan.count && i < 2; i++) {
        CHECK_INT_EQ(plan.items[i].shift, JADE_SHIFT_BLACKOUT);
        CHECK_STR_EQ(plan.items[i].shift_reason ? plan.items[i].shift_reason : "(none)",
                     i == 0 ? "vote" : "late");
    }
    jade_plan_free(&plan);
    jade_content_free(c);
    jade_diags_free(&d);
}

static void min_gap_moves_the_later_ones_in_a_chain(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/a.json", POST("a", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/a.fr.txt", "A"},
        {"c1/posts/b.json", POST("b", "\"schedule\": {\"at\": [\"2026-12-01T09:10\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/b.fr.txt", "B"},
        {"c1/posts/c.json", POST("c", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/c.fr.txt", "C"},
        {"c1/posts/e.json", POST("e", "\"schedule\": {\"at\": [\"2026-12-01T21:50\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/e.fr.txt", "E"},
        {"c1/posts/f.json", POST("f", "\"schedule\": {\"at\": [\"2026-12-01T21:55\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/f.fr.txt", "F"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-03T00:00", &d);
    /* a and c tie at 09:00: a (by post id) keeps it, c moves to 09:30, b
     * (09:10) to 10:00. f would move to 22:20, in the quiet hours: 07:00. */
    CHECK_STR_EQ(got, "out-gao fr a 2026-12-01T09:00:00Z\n"
                      "out-gao fr c 2026-12-01T09:30:00Z\n"
                      "out-gao fr b 2026-12-01T10:00:00Z\n"
                      "out-gao fr e 2026-12-01T21:50:00Z\n"
                      "out-gao fr f 2026-12-02T07:00:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void min_gap_goes_by_campaign_folder(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c0/campaign.json",
         "{\"id\": \"c0\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\"}, \"regions\": [\"all\"]}"},
        {"c0/posts/z.json", POST("z", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c0/posts/z.fr.txt", "Z"},
        {"c1/posts/a.json", POST("a", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/a.fr.txt", "A"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    /* z (campaign c0) and a (c1) tie at 09:00: c0 comes first, a moves. */
    CHECK_STR_EQ(got, "out-gao fr z 2026-12-01T09:00:00Z\n"
                      "out-gao fr a 2026-12-01T09:30:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void min_gap_goes_by_the_time_blackouts_give(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"jade.json",
         "{\"programme\": \"T\", \"timezone\": \"Africa/Bamako\", \"policy\": {\"quiet_hours\": "
         "[\"22:00\", \"07:00\"], \"min_gap_minutes\": 30, \"blackouts\": ["
         "{\"from\": \"2026-12-02T21:00\", \"to\": \"2026-12-02T23:00\", \"reason\": \"r\"}]}}"},
        {"c1/posts/x.json", POST("x", "\"schedule\": {\"at\": [\"2026-12-03T07:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/x.fr.txt", "X"},
        {"c1/posts/y.json", POST("y", "\"schedule\": {\"at\": [\"2026-12-02T21:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/y.fr.txt", "Y"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-04T00:00", &d);
    /* The blackout postpones y to 23:00, in the quiet hours: 07:00 on the
     * 3rd, where x is due. Policy goes by the new time, then by post: x
     * keeps 07:00 and y, though written for earlier, moves on to 07:30. */
    CHECK_STR_EQ(got, "out-gao fr x 2026-12-03T07:00:00Z\n"
                      "out-gao fr y 2026-12-03T07:30:00Z\n");
    free(got);
    jade_diags_free(&d);
}

static void key_is_documented_hash(void)
{
    char key[33];
    jade_occurrence_key("c1", "p1", "out-kayes", "fr", at("2026-12-02T09:00"), key);
    /* python3: hashlib.sha256(b'c1\0p1\0out-kayes\0fr\0' + b'2026-12-02T09:00:00Z')
     *          .hexdigest()[:32] */
    CHECK_STR_EQ(key, "6ca752d328eee270ea39c6259ed80172");
}

static void keys_use_the_original_time(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"kayes\"], \"networks\": [\"outbox\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {"c1/posts/p.bm.txt", "I ni ce"},
        {NULL, NULL}};
    struct jade_content *c = load(files, &d);
    struct jade_plan plan = {0};
    jade_plan_build(c, at("2026-12-01T00:00"), at("2026-12-02T00:00"), NULL, &plan, &d);
    CHECK_INT_EQ(plan.count, 2);
    if (plan.count == 2) {
        char key[33];
        jade_occurrence_key("c1", "p", "out-kayes", "bm", at("2026-12-01T09:00"), key);
        CHECK_STR_EQ(plan.items[1].key, key); /* moved by the gap, same key */
        CHECK_INT_EQ(plan.items[1].shift, JADE_SHIFT_MIN_GAP);
        CHECK_INT_EQ(plan.items[1].due - plan.items[1].original, 30 * 60);
    }
    jade_plan_free(&plan);
    jade_content_free(c);
    jade_diags_free(&d);
}

static void filters_select_a_region_or_a_channel(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    struct jade_content *c = load(files, &d);
    struct jade_plan plan = {0};
    struct jade_plan_filter by_region = {.region = "gao"}, by_channel = {.channel = "tg-kayes"};
    jade_plan_build(c, at("2026-12-01T00:00"), at("2026-12-02T00:00"), &by_region, &plan, &d);
    CHECK_INT_EQ(plan.count, 1);
    jade_plan_free(&plan);
    jade_plan_build(c, at("2026-12-01T00:00"), at("2026-12-02T00:00"), &by_channel, &plan, &d);
    CHECK_INT_EQ(plan.count, 1);
    if (plan.count == 1)
        CHECK_STR_EQ(json_string_value(json_object_get(plan.items[0].channel, "id")), "tg-kayes");
    jade_plan_free(&plan);
    jade_content_free(c);
    jade_diags_free(&d);
}

static void too_frequent_rules_are_errors_naming_the_post(void)
{
    struct jade_diags d = {0};
    const struct file secondly[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=SECONDLY\", \"start\": "
                                      "\"2026-12-01T09:00\"}, \"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    struct jade_content *c = load(secondly, &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) {
        CHECK_CONTAINS(d.items[0].file, "c1/posts/p.json");
        CHECK_CONTAINS(d.items[0].message, "too frequent");
    }
    jade_content_free(c);
    jade_diags_free(&d);
    const struct file hourly[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=HOURLY;BYHOUR=9,10\", "
                                      "\"start\": \"2026-12-01T09:00\"}, \"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    c = load(hourly, &d); /* two a day for seven months: over 400, under the cap */
    CHECK_INT_EQ(d.errors, 0);
    jade_content_free(c);
    jade_diags_free(&d);
    const struct file every_hour[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=HOURLY;BYHOUR=8,9,10,11,"
                                      "12,13,14\", \"start\": \"2026-12-01T09:00\"}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    c = load(every_hour, &d); /* seven a day for seven months: over 1000 */
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) CHECK_CONTAINS(d.items[0].message, "more than 1000 times");
    jade_content_free(c);
    jade_diags_free(&d);
}

static void rule_in_quiet_hours_is_an_error(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"rrule\": \"FREQ=WEEKLY;BYDAY=SA\", "
                                      "\"start\": \"2026-12-05T21:00+00:00\"}, "
                                      "\"regions\": [\"paris\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    /* 21:00Z is 22:00 in Paris in winter: quiet there */
    struct jade_content *c = load(files, &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) {
        CHECK_CONTAINS(d.items[0].message, "2026-12-05T22:00");
        CHECK_CONTAINS(d.items[0].message, "quiet hours");
        CHECK_CONTAINS(d.items[0].message, "out-paris");
    }
    jade_content_free(c);
    jade_diags_free(&d);
}

/* c1 ends at 09:30 on 1 December; posts p, q and r are all written for
 * 09:00 in Gao. */
#define ENDS_AT_0930                                                                               \
    {"c1/campaign.json", "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": "   \
                         "\"active\", \"window\": {\"start\": \"2026-12-01T00:00\", \"end\": "     \
                         "\"2026-12-01T09:30\"}, \"regions\": [\"all\"]}"},                        \
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "           \
                                      "\"regions\": [\"gao\"]")},                                  \
        {"c1/posts/p.fr.txt", "P"},                                                                \
        {"c1/posts/q.json", POST("q", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "           \
                                      "\"regions\": [\"gao\"]")},                                  \
        {"c1/posts/q.fr.txt", "Q"},                                                                \
        {"c1/posts/r.json", POST("r", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "           \
                                      "\"regions\": [\"gao\"]")},                                  \
    {                                                                                              \
        "c1/posts/r.fr.txt", "R"                                                                   \
    }

static void min_gap_past_the_campaign_end_drops_the_time(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        ENDS_AT_0930,
        /* c2 goes on: its post s, written for 09:30, follows the last time kept. */
        {"c2/campaign.json",
         "{\"id\": \"c2\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\"}, \"regions\": [\"all\"]}"},
        {"c2/posts/s.json", POST("s", "\"schedule\": {\"at\": [\"2026-12-01T09:30\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c2/posts/s.fr.txt", "S"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    /* p at 09:00, q at 09:30 (the end: still in), r would be 10:00: past
     * c1's end, dropped; s comes 30 minutes after q. */
    CHECK_STR_EQ(got, "out-gao fr p 2026-12-01T09:00:00Z\n"
                      "out-gao fr q 2026-12-01T09:30:00Z\n"
                      "out-gao fr s 2026-12-01T10:00:00Z\n");
    CHECK_INT_EQ(d.errors, 0);
    CHECK_INT_EQ(d.warnings, 0); /* loading does not plan */
    free(got);
    jade_diags_free(&d);
}

static void validation_warns_of_times_pushed_past_the_end(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {ENDS_AT_0930, {NULL, NULL}};
    struct jade_content *c = load(files, &d);
    CHECK_INT_EQ(d.errors, 0);
    jade_plan_check(c, &d);
    CHECK_INT_EQ(d.warnings, 1);
    if (d.warnings) {
        CHECK_CONTAINS(d.items[0].file, "c1/posts/r.json");
        CHECK_INT_EQ(d.items[0].line, 1);
        CHECK_CONTAINS(d.items[0].message, "1 occurrence(s) of this post");
        CHECK_CONTAINS(d.items[0].message, "minimum gap");
        CHECK_CONTAINS(d.items[0].message, "2026-12-01T09:00 on channel out-gao");
    }
    jade_content_free(c);
    jade_diags_free(&d);
}

static void blackout_past_the_campaign_end_drops_the_time(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"jade.json",
         "{\"programme\": \"T\", \"timezone\": \"Africa/Bamako\", \"policy\": {\"quiet_hours\": "
         "[\"22:00\", \"07:00\"], \"min_gap_minutes\": 30, \"blackouts\": ["
         "{\"from\": \"2026-12-01T08:00\", \"to\": \"2026-12-01T12:00\", \"reason\": \"r\"}]}}"},
        ENDS_AT_0930,
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    CHECK_STR_EQ(got, ""); /* all three postponed to 12:00, after 09:30 */
    free(got);
    jade_diags_free(&d);
    struct jade_content *c = load(files, &d);
    jade_plan_check(c, &d);
    CHECK_INT_EQ(d.warnings, 3);
    if (d.warnings) CHECK_CONTAINS(d.items[0].message, "by a blackout");
    jade_content_free(c);
    jade_diags_free(&d);
}

/* Loads a tree whose one post has the rule; its diagnostics into d. */
static void load_rule(const char *rule, const char *start, struct jade_diags *d)
{
    char *post = jade_xasprintf(POST("p", "\"schedule\": {\"rrule\": \"%s\", \"start\": \"%s\"}, "
                                          "\"regions\": [\"gao\"]"),
                                rule, start);
    const struct file files[] = {
        {"c1/posts/p.json", post}, {"c1/posts/p.fr.txt", "Bonjour"}, {NULL, NULL}};
    jade_content_free(load(files, d));
    free(post);
}

static void rules_that_never_give_a_time_are_errors(void)
{
    const char *rules[] = {"FREQ=MONTHLY;BYDAY=+53MO,-53FR;BYHOUR=9",
                           "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=9", NULL};
    for (const char **rule = rules; *rule; rule++) {
        struct jade_diags d = {0};
        load_rule(*rule, "2026-12-02T09:00", &d);
        CHECK_INT_EQ(d.errors, 1);
        if (d.errors) {
            CHECK_CONTAINS(d.items[0].file, "c1/posts/p.json");
            CHECK_INT_EQ(d.items[0].line, 1);
            CHECK_CONTAINS(d.items[0].message, "can never give a time");
        }
        jade_diags_free(&d);
    }
}

static void a_rule_with_no_time_in_the_window_is_a_warning(void)
{
    struct jade_diags d = {0};
    /* Every 1 August: the window runs from December to June. */
    load_rule("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1;BYHOUR=9", "2026-12-02T09:00", &d);
    CHECK_INT_EQ(d.errors, 0);
    CHECK_INT_EQ(d.warnings, 1);
    if (d.warnings) CHECK_CONTAINS(d.items[0].message, "no time in the campaign window");
    jade_diags_free(&d);
    load_rule("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;BYHOUR=9", "2026-12-02T09:00", &d);
    CHECK_INT_EQ(d.warnings, 0);
    jade_diags_free(&d);
}

static void a_rule_over_the_step_limit_is_an_error(void)
{
    struct jade_diags d = {0};
    /* Every hour of seven months (about 5,100) in seven minutes each: over 10,000 steps. */
    load_rule("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYMINUTE=0,5,10,15,20,25,30", "2026-12-02T09:00",
              &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) CHECK_CONTAINS(d.items[0].message, "(at most 10000)");
    jade_diags_free(&d);
    /* The same, a minute a hour: about 5,100 steps. */
    load_rule("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYMINUTE=0", "2026-12-02T09:00", &d);
    CHECK_INT_EQ(d.errors, 0);
    jade_diags_free(&d);
}

static void rule_parts_jade_does_not_expand_are_errors(void)
{
    struct jade_diags d = {0};
    load_rule("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", "2026-12-02T09:00", &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) CHECK_CONTAINS(d.items[0].message, "BYWEEKNO is not supported");
    jade_diags_free(&d);
    load_rule("RSCALE=GREGORIAN;FREQ=MONTHLY;BYMONTHDAY=1", "2026-12-02T09:00", &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) CHECK_CONTAINS(d.items[0].message, "RSCALE");
    jade_diags_free(&d);
}

/* A time moved into the quiet hours leaves them at their end in local
 * time, on the nights the clocks change too: Europe/Paris, 22:00-07:00.
 * 25 October 2026: CEST (UTC+2) until 01:00Z, then CET (UTC+1); 28 March
 * 2027: CET until 01:00Z, then CEST. */
static void quiet_hours_end_at_local_time_across_dst(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/campaign.json",
         "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-10-01T00:00\", \"end\": \"2027-06-30T21:00\"}, "
         "\"regions\": [\"all\"]}"},
        {"c1/posts/a.json", POST("a", "\"schedule\": {\"at\": [\"2026-10-24T21:50\", "
                                      "\"2027-03-27T21:50\"]}, \"regions\": [\"paris\"]")},
        {"c1/posts/a.fr.txt", "A"},
        {"c1/posts/b.json", POST("b", "\"schedule\": {\"at\": [\"2026-10-24T21:55\", "
                                      "\"2027-03-27T21:55\"]}, \"regions\": [\"paris\"]")},
        {"c1/posts/b.fr.txt", "B"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-10-01T00:00", "2027-04-01T00:00", &d);
    /* b moves by the gap to 22:25, in the quiet hours: on to 07:00 local,
     * 06:00Z after the clocks go back, 05:00Z after they go forward */
    CHECK_STR_EQ(got, "out-paris fr a 2026-10-24T19:50:00Z\n"
                      "out-paris fr b 2026-10-25T06:00:00Z\n"
                      "out-paris fr a 2027-03-27T20:50:00Z\n"
                      "out-paris fr b 2027-03-28T05:00:00Z\n");
    CHECK_INT_EQ(d.errors, 0);
    free(got);
    jade_diags_free(&d);
}

/* "all" in a post means all of its campaign's regions, never more. */
static void all_regions_of_a_one_region_campaign_stay_in_it(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/campaign.json",
         "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\"}, \"regions\": [\"kayes\"]}"},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-01T09:00\"]}, "
                                      "\"regions\": [\"all\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2026-12-02T00:00", &d);
    CHECK_STR_EQ(got, "out-kayes fr p 2026-12-01T09:00:00Z\n"
                      "tg-kayes fr p 2026-12-01T09:00:00Z\n");
    CHECK_INT_EQ(d.errors, 0);
    free(got);
    jade_diags_free(&d);
}

/* The window's end belongs to it: an `at` time exactly there is planned,
 * as validation accepts it without a warning; a minute later is outside
 * (a warning, and not planned). */
static void an_at_time_at_the_window_end_is_planned(void)
{
    struct jade_diags d = {0};
    const struct file at_end[] = {
        {"c1/campaign.json",
         "{\"id\": \"c1\", \"title\": \"C\", \"objective\": \"O\", \"status\": \"active\", "
         "\"window\": {\"start\": \"2026-12-01T00:00\", \"end\": \"2026-12-20T18:00\"}, "
         "\"regions\": [\"all\"]}"},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-20T18:00\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    char *got = plan_text(at_end, "2026-12-01T00:00", "2027-01-01T00:00", &d);
    CHECK_STR_EQ(got, "out-gao fr p 2026-12-20T18:00:00Z\n");
    CHECK_INT_EQ(d.errors + d.warnings, 0);
    free(got);
    jade_diags_free(&d);
    const struct file after_end[] = {
        {"c1/campaign.json", at_end[0].text},
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-20T18:01\"]}, "
                                      "\"regions\": [\"gao\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    got = plan_text(after_end, "2026-12-01T00:00", "2027-01-01T00:00", &d);
    CHECK_STR_EQ(got, "");
    CHECK_INT_EQ(d.errors, 0);
    CHECK_INT_EQ(d.warnings, 1);
    if (d.warnings) CHECK_CONTAINS(d.items[0].message, "outside the campaign window");
    free(got);
    jade_diags_free(&d);
}

/* An absolute time is checked against each channel's own local quiet
 * hours: 21:30Z is 21:30 in Kayes (fine) and 22:30 in Paris (quiet). */
static void absolute_at_in_a_channel_quiet_hours_names_it(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-05T21:30:00Z\"]}, "
                                      "\"regions\": [\"kayes\", \"paris\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    struct jade_content *c = load(files, &d);
    CHECK_INT_EQ(d.errors, 1);
    if (d.errors) {
        CHECK_CONTAINS(d.items[0].file, "c1/posts/p.json");
        CHECK_CONTAINS(d.items[0].message, "2026-12-05T21:30:00Z falls in the quiet hours");
        CHECK_CONTAINS(d.items[0].message, "on channel out-paris");
    }
    jade_content_free(c);
    jade_diags_free(&d);
    const struct file kayes_only[] = {
        {"c1/posts/p.json", POST("p", "\"schedule\": {\"at\": [\"2026-12-05T21:30:00Z\"]}, "
                                      "\"regions\": [\"kayes\"]")},
        {"c1/posts/p.fr.txt", "Bonjour"},
        {NULL, NULL}};
    c = load(kayes_only, &d);
    CHECK_INT_EQ(d.errors, 0);
    jade_content_free(c);
    jade_diags_free(&d);
}

static void a_campaign_without_posts_plans_nothing(void)
{
    struct jade_diags d = {0};
    const struct file files[] = {{NULL, NULL}};
    char *got = plan_text(files, "2026-12-01T00:00", "2027-01-01T00:00", &d);
    CHECK_STR_EQ(got, "");
    CHECK_INT_EQ(d.errors, 0);
    free(got);
    jade_diags_free(&d);
}

int main(void)
{
    RUN(a_campaign_without_posts_plans_nothing);
    RUN(at_time_is_local_to_each_channel);
    RUN(absolute_time_is_the_same_everywhere);
    RUN(weekly_rule_skips_a_start_that_does_not_match);
    RUN(daily_rule_keeps_local_time_across_dst);
    RUN(window_and_range_bound_the_times);
    RUN(open_ended_rule_is_bounded_by_the_range);
    RUN(targeting_regions_networks_and_languages);
    RUN(paused_campaigns_and_retracted_posts_give_nothing);
    RUN(blackouts_postpone_or_skip);
    RUN(min_gap_moves_the_later_ones_in_a_chain);
    RUN(min_gap_goes_by_campaign_folder);
    RUN(min_gap_goes_by_the_time_blackouts_give);
    RUN(key_is_documented_hash);
    RUN(keys_use_the_original_time);
    RUN(filters_select_a_region_or_a_channel);
    RUN(too_frequent_rules_are_errors_naming_the_post);
    RUN(rule_in_quiet_hours_is_an_error);
    RUN(min_gap_past_the_campaign_end_drops_the_time);
    RUN(validation_warns_of_times_pushed_past_the_end);
    RUN(blackout_past_the_campaign_end_drops_the_time);
    RUN(rules_that_never_give_a_time_are_errors);
    RUN(a_rule_with_no_time_in_the_window_is_a_warning);
    RUN(a_rule_over_the_step_limit_is_an_error);
    RUN(rule_parts_jade_does_not_expand_are_errors);
    RUN(quiet_hours_end_at_local_time_across_dst);
    RUN(all_regions_of_a_one_region_campaign_stay_in_it);
    RUN(an_at_time_at_the_window_end_is_planned);
    RUN(absolute_at_in_a_channel_quiet_hours_names_it);
    return test_done();
}
