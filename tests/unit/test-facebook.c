/* test-facebook.c - the facebook plugin (the built shared object) against
 * a host table that answers each request as the test says: what each of
 * Facebook's answers leads to, request by request.
 *
 * usage: test-facebook PLUGIN.so */
#include "jade-plugin.h"
#include "scripted-host.h"
#include "test.h"

#include <dlfcn.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const struct jade_plugin *plugin;
static void *instance;

/* ---- the scripted host (scripted-host.h) ----------------------------- */

/* Answers request i: status, body, and one header (or NULL), after the
 * Date header. */
static void answer(int i, long status, const char *body, const char *header, const char *value)
{
    struct jade_http_header h[2] = {{"Date", "Tue, 01 Dec 2026 10:40:05 GMT"}, {header, value}};
    sh_answer_at((size_t)i, status, body, h, header ? 2 : 1);
}

static const char *account = "{\"page_id\": \"1234\", \"targeting\": {\"geo_locations\": "
                             "{\"regions\": [{\"key\": \"2484\"}]}}, \"feed_targeting\": "
                             "{\"geo_locations\": {\"countries\": [\"ML\"]}}}";
static const char *photos[] = {"/m/a.jpg", "/m/b.png", "/m/c.jpg"};
static const char *alts[] = {"Une carte", NULL, "Un puits"};

static struct jade_publication publication(size_t n_media, const char *link)
{
    return (struct jade_publication){.struct_size = sizeof(struct jade_publication),
                                     .key = "k1",
                                     .campaign = "c1",
                                     .post = "p1",
                                     .channel = "fb-gao",
                                     .lang = "fr",
                                     .text = "Se laver les mains.",
                                     .link = link,
                                     .due = "2026-12-01T10:40:00Z",
                                     .account_json = account,
                                     .secret_name = "fb",
                                     .media = photos,
                                     .n_media = n_media,
                                     .attempt = 1,
                                     .media_alt = alts};
}

static void reset(void)
{
    sh_reset();
    sh_setting("graph_version", NULL);
}

static void publish(size_t n_media, const char *link)
{
    reset();
    struct jade_publication pub = publication(n_media, link);
    plugin->publish(instance, &pub, sh_done, NULL);
}

/* A form body's value for name, decoded, or "" */
static const char *form_value(const char *body, const char *name)
{
    static char out[2048];
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = body; p && *p;) {
        if (!strncmp(p, name, n) && p[n] == '=') {
            size_t k = 0;
            for (p += n + 1; *p && *p != '&' && k + 1 < sizeof out; p++) {
                if (*p == '%' && p[1] && p[2]) {
                    char hex[3] = {p[1], p[2], 0};
                    out[k++] = (char)strtol(hex, NULL, 16);
                    p += 2;
                } else {
                    out[k++] = *p == '+' ? ' ' : *p;
                }
            }
            out[k] = '\0';
            return out;
        }
        p = strchr(p, '&');
        if (p) p++;
    }
    return out;
}

static const char *feed_with(const char *message_text, const char *created)
{
    static char body[512];
    snprintf(body, sizeof body,
             "{\"data\": [{\"id\": \"1234_77\", \"message\": \"Old news\", \"created_time\": "
             "\"2026-12-01T10:39:59+0000\"}, {\"id\": \"1234_42\", \"message\": \"%s\", "
             "\"created_time\": \"%s\"}]}",
             message_text, created);
    return body;
}

/* ---- tests ------------------------------------------------------------ */

static void text_and_link_go_to_the_feed_with_targeting_unchanged(void)
{
    publish(0, "https://example.org/a");
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].method, "POST");
    CHECK_STR_EQ(sh_requests[0].url, "http://graph.test/v24.0/1234/feed?fields=id,permalink_url");
    CHECK_STR_EQ(sh_requests[0].auth, "Bearer EAAPageToken123");
    CHECK(!strstr(sh_requests[0].url, "EAAPageToken123") &&
          !strstr(sh_requests[0].body, "EAAPage"));
    CHECK_STR_EQ(form_value(sh_requests[0].body, "message"), "Se laver les mains.");
    CHECK_STR_EQ(form_value(sh_requests[0].body, "link"), "https://example.org/a");
    CHECK_STR_EQ(form_value(sh_requests[0].body, "targeting"),
                 "{\"geo_locations\":{\"regions\":[{\"key\":\"2484\"}]}}");
    CHECK_STR_EQ(form_value(sh_requests[0].body, "feed_targeting"),
                 "{\"geo_locations\":{\"countries\":[\"ML\"]}}");
    answer(0, 200, "{\"id\": \"1234_99\", \"permalink_url\": \"https://fb.test/1234/posts/99\"}",
           NULL, NULL);
    CHECK_INT_EQ(sh_got.calls, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_99");
    CHECK_STR_EQ(sh_got.url, "https://fb.test/1234/posts/99");
}

static void the_graph_version_is_a_setting(void)
{
    reset();
    sh_setting("graph_version", "v99.0");
    struct jade_publication pub = publication(0, NULL);
    plugin->publish(instance, &pub, sh_done, NULL);
    CHECK_STR_EQ(sh_requests[0].url, "http://graph.test/v99.0/1234/feed?fields=id,permalink_url");
    CHECK_STR_EQ(form_value(sh_requests[0].body, "link"), "");
    answer(0, 200, "{\"id\": \"1234_1\"}", NULL, NULL);
    CHECK_STR_EQ(sh_got.url, "https://www.facebook.com/1234_1");
}

static void one_photo_is_a_photos_post_with_its_caption(void)
{
    publish(1, "https://example.org/a");
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].url, "http://graph.test/v24.0/1234/photos");
    CHECK_STR_EQ(sh_requests[0].body, "");
    CHECK_CONTAINS(sh_requests[0].parts, "source=@/m/a.jpg;image/jpeg\n");
    CHECK_CONTAINS(sh_requests[0].parts, "published=true\n");
    CHECK_CONTAINS(sh_requests[0].parts, "alt_text_custom=Une carte\n");
    CHECK_CONTAINS(sh_requests[0].parts, "caption=Se laver les mains.\n\nhttps://example.org/a\n");
    CHECK_CONTAINS(sh_requests[0].parts, "targeting={\"geo_locations\":{\"regions\"");
    answer(0, 200, "{\"id\": \"555\", \"post_id\": \"1234_555\"}", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_555");
}

static void several_photos_are_uploaded_unpublished_then_attached(void)
{
    publish(3, NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(sh_n_requests, i + 1);
        CHECK_STR_EQ(sh_requests[i].url, "http://graph.test/v24.0/1234/photos");
        CHECK_CONTAINS(sh_requests[i].parts, "published=false\n");
        CHECK(!strstr(sh_requests[i].parts, "caption="));
        char body[64];
        snprintf(body, sizeof body, "{\"id\": \"90%d\"}", i);
        answer(i, 200, body, NULL, NULL);
    }
    CHECK_CONTAINS(sh_requests[1].parts, "source=@/m/b.png;image/png\n");
    CHECK(!strstr(sh_requests[1].parts, "alt_text_custom"));
    CHECK_INT_EQ(sh_n_requests, 4);
    CHECK_STR_EQ(sh_requests[3].url, "http://graph.test/v24.0/1234/feed?fields=id,permalink_url");
    CHECK_STR_EQ(form_value(sh_requests[3].body, "attached_media"),
                 "[{\"media_fbid\":\"900\"},{\"media_fbid\":\"901\"},{\"media_fbid\":\"902\"}]");
    CHECK_STR_EQ(form_value(sh_requests[3].body, "message"), "Se laver les mains.");
    CHECK_INT_EQ(sh_got.calls, 0);
    answer(3, 200, "{\"id\": \"1234_8\"}", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_8");
}

static void an_unpublished_upload_that_fails_is_sent_again(void)
{
    publish(2, NULL);
    answer(0, 500, "{\"error\": {\"message\": \"An unknown error has occurred.\", \"code\": 1}}",
           NULL, NULL);
    CHECK_INT_EQ(sh_n_requests, 1); /* no look-up: nothing shows */
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
}

static void expired_token_suspends_with_what_to_do(void)
{
    publish(0, NULL);
    answer(0, 400,
           "{\"error\": {\"message\": \"Error validating access token: Session has expired\", "
           "\"type\": \"OAuthException\", \"code\": 190, \"error_subcode\": 463, \"fbtrace_id\": "
           "\"Axyz\"}}",
           NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
    CHECK_CONTAINS(sh_got.message, "Session has expired");
    CHECK_CONTAINS(sh_got.message, "(#190/463)");
    CHECK_CONTAINS(sh_got.message, "new long-lived Page token in secret \"fb\"");
    CHECK(strlen(sh_got.message) <= 300);
}

static void identity_check_subcodes_say_a_person_must_log_in(void)
{
    long subcodes[] = {1404078, 4854002};
    for (int i = 0; i < 2; i++) {
        publish(0, NULL);
        char body[256];
        snprintf(body, sizeof body,
                 "{\"error\": {\"message\": \"Error validating access token\", \"code\": 190, "
                 "\"error_subcode\": %ld}}",
                 subcodes[i]);
        answer(0, 400, body, NULL, NULL);
        CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
        CHECK_CONTAINS(sh_got.message, "identity check or re-authorise the app");
    }
}

static void business_throttling_waits_what_the_header_says(void)
{
    publish(0, NULL);
    answer(0, 400,
           "{\"error\": {\"message\": \"(#80001) There have been too many calls to this Page\", "
           "\"code\": 80001}}",
           "X-Business-Use-Case-Usage",
           "{\"1234\": [{\"type\": \"pages\", \"call_count\": 100, \"total_cputime\": 10, "
           "\"total_time\": 20, \"estimated_time_to_regain_access\": 3}, {\"type\": \"pages\", "
           "\"call_count\": 10, \"total_cputime\": 1, \"total_time\": 1, "
           "\"estimated_time_to_regain_access\": 7}]}");
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 7 * 60);
    /* a fraction of a minute, to the second above */
    publish(0, NULL);
    answer(0, 400, "{\"error\": {\"message\": \"(#80001) Too many calls\", \"code\": 80001}}",
           "X-Business-Use-Case-Usage",
           "{\"1234\": [{\"type\": \"pages\", \"estimated_time_to_regain_access\": 0.0501}]}");
    CHECK_INT_EQ(sh_got.wait, 4);
    /* no header: a safe default */
    publish(0, NULL);
    answer(0, 400, "{\"error\": {\"message\": \"(#80001) Too many calls\", \"code\": 80001}}", NULL,
           NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 600);
}

static void app_throttling_waits_from_x_app_usage(void)
{
    long codes[] = {4, 17, 32, 613};
    for (int i = 0; i < 4; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"error\": {\"message\": \"limit\", \"code\": %ld}}",
                 codes[i]);
        publish(0, NULL);
        answer(0, 400, body, "X-App-Usage",
               "{\"call_count\": 104, \"total_cputime\": 20, \"total_time\": 9}");
        CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
        CHECK_INT_EQ(sh_got.wait, 3600);
        publish(0, NULL);
        answer(0, 400, body, "X-App-Usage",
               "{\"call_count\": 60, \"total_cputime\": 20, \"total_time\": 9}");
        CHECK_INT_EQ(sh_got.wait, 600);
    }
}

static void already_posted_and_too_fast_back_off(void)
{
    publish(0, NULL);
    answer(0, 400, "{\"error\": {\"message\": \"(#368) deemed abusive\", \"code\": 368}}", NULL,
           NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 1800);
    long subcodes[] = {1390008, 1366051};
    for (int i = 0; i < 2; i++) {
        char body[160];
        snprintf(body, sizeof body,
                 "{\"error\": {\"message\": \"too fast\", \"code\": 368, \"error_subcode\": %ld}}",
                 subcodes[i]);
        publish(0, NULL);
        answer(0, 400, body, NULL, NULL);
        CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
        CHECK_INT_EQ(sh_got.wait, 300);
    }
}

static void other_refusals_fail_with_the_networks_words(void)
{
    publish(0, NULL);
    answer(0, 400,
           "{\"error\": {\"message\": \"(#100) Invalid parameter\", \"code\": 100, "
           "\"error_user_msg\": \"This post goes against our Community Standards\"}}",
           NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message,
                   "(#100) Invalid parameter: This post goes against our Community");
    CHECK_INT_EQ(sh_n_requests, 1);
}

static void a_500_that_published_is_found_in_the_feed(void)
{
    publish(0, NULL);
    answer(0, 500, "{\"error\": {\"message\": \"An unexpected error\", \"code\": 2}}", NULL, NULL);
    CHECK_INT_EQ(sh_got.calls, 0);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].method, "GET");
    CHECK_CONTAINS(sh_requests[1].url, "http://graph.test/v24.0/1234/feed?");
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:40:03+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_42");
}

/* Our clock a day ahead of Facebook's (a simulated clock, or a wrong
 * one): the post is judged by how long ago it could have been made, on
 * Facebook's clock (its answer's Date). */
static void clocks_need_not_agree(void)
{
    int64_t real = sh_now;
    sh_now = real + 86400;
    publish(0, NULL);
    answer(0, 500, "{\"error\": {\"message\": \"An unexpected error\", \"code\": 2}}", NULL, NULL);
    sh_now += 60; /* a minute later, on our clock */
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:39:30+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_42");
    /* made more than LOOKUP_SKEW before the request could have left */
    publish(0, NULL);
    answer(0, 500, "{\"error\": {\"message\": \"An unexpected error\", \"code\": 2}}", NULL, NULL);
    sh_now += 60;
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:33:30+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.calls, 0);
    sh_now = real;
}

static void a_duplicate_is_looked_up(void)
{
    publish(0, NULL);
    answer(0, 400, "{\"error\": {\"message\": \"Duplicate status message\", \"code\": 506}}", NULL,
           NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:40:01+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_42");
}

static void a_dropped_answer_is_looked_up_too(void)
{
    publish(0, NULL);
    sh_fail_at(0, 1);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].method, "GET");
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:40:01+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_42");
    /* nothing left: safe to send again, no look-up */
    publish(0, NULL);
    sh_fail_at(0, 0);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
}

static void a_500_that_did_not_publish_is_read_twice_then_sent_again(void)
{
    publish(0, NULL);
    answer(0, 503, "<html>Service Unavailable</html>", NULL, NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    answer(1, 200, feed_with("Autre chose", "2026-12-01T10:40:03+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.calls, 0);
    CHECK(sh_timer.cb != NULL);
    sh_timer.cb(sh_timer.arg);
    CHECK_INT_EQ(sh_n_requests, 3);
    CHECK_STR_EQ(sh_requests[2].method, "GET");
    answer(2, 200, "{\"data\": []}", NULL, NULL);
    CHECK_INT_EQ(sh_got.calls, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    CHECK_CONTAINS(sh_got.message, "HTTP 503");
    CHECK_CONTAINS(sh_got.message, "does not show the post");
}

static void a_failed_look_up_leaves_it_unknown(void)
{
    publish(0, NULL);
    answer(0, 500, "{\"error\": {\"message\": \"An unknown error\", \"code\": 1}}", NULL, NULL);
    answer(1, 400, "{\"error\": {\"message\": \"(#80001) Too many calls\", \"code\": 80001}}", NULL,
           NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);
    CHECK_INT_EQ(sh_n_requests, 2);
}

static void lookup(const char *feed)
{
    reset();
    struct jade_publication pub = publication(0, NULL);
    plugin->lookup(instance, &pub, sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].method, "GET");
    if (feed) answer(0, 200, feed, NULL, NULL);
}

static void the_core_s_look_up(void)
{
    /* at or after the due time: found */
    lookup(feed_with("  Se laver les mains.\\n", "2026-12-01T10:41:00+0000"));
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1234_42");
    /* the same text long before its due time: an earlier occurrence */
    lookup(feed_with("Se laver les mains.", "2026-11-24T10:40:00+0000"));
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    lookup("{\"data\": []}");
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    CHECK(sh_timer.cb == NULL);
    /* a later page of the same Graph API is read; another host's is not */
    lookup("{\"data\": [], \"paging\": {\"next\": \"http://graph.test/v24.0/1234/feed?until=5\"}}");
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].url, "http://graph.test/v24.0/1234/feed?until=5");
    answer(1, 200, feed_with("Se laver les mains.", "2026-12-01T10:40:00+0000"), NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    lookup("{\"data\": [], \"paging\": {\"next\": \"http://evil.test/v24.0/1234/feed?until=5\"}}");
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    /* a page that reaches posts older than the due time is the last */
    lookup("{\"data\": [{\"id\": \"1234_5\", \"message\": \"x\", \"created_time\": "
           "\"2026-11-30T10:00:00+0000\"}], \"paging\": {\"next\": "
           "\"http://graph.test/v24.0/1234/feed?until=5\"}}");
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    /* a refusal or a throttle leaves it uncertain: never a re-send */
    lookup(NULL);
    answer(0, 400, "{\"error\": {\"message\": \"expired\", \"code\": 190}}", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    lookup(NULL);
    answer(0, 400, "{\"error\": {\"message\": \"calls\", \"code\": 80001}}", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
}

static void remove_deletes_the_post(void)
{
    reset();
    struct jade_publication pub = publication(0, NULL);
    plugin->remove(instance, &pub, "1234_42", sh_done, NULL);
    CHECK_STR_EQ(sh_requests[0].method, "DELETE");
    CHECK_STR_EQ(sh_requests[0].url, "http://graph.test/v24.0/1234_42");
    CHECK_STR_EQ(sh_requests[0].auth, "Bearer EAAPageToken123");
    answer(0, 200, "{\"success\": true}", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    reset();
    plugin->remove(instance, &pub, "1234_42", sh_done, NULL);
    answer(0, 400,
           "{\"error\": {\"message\": \"(#100) Unsupported delete request. Object with ID "
           "'1234_42' does not exist\", \"code\": 100, \"error_subcode\": 33}}",
           NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    reset();
    plugin->remove(instance, &pub, "1234_42", sh_done, NULL);
    answer(0, 502, "Bad gateway", NULL, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    reset();
    plugin->remove(instance, &pub, "../me", sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
}

static void no_token_or_no_page(void)
{
    reset();
    struct jade_publication pub = publication(0, NULL);
    pub.secret_name = "other";
    plugin->publish(instance, &pub, sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
    reset();
    pub = publication(0, NULL);
    pub.account_json = "{\"page_id\": \"12/../me\"}";
    plugin->publish(instance, &pub, sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
}

static void declares_its_limits_and_capabilities(void)
{
    CHECK_STR_EQ(plugin->name, "facebook");
    CHECK_INT_EQ(plugin->limits->text_max, 63206);
    CHECK_INT_EQ(plugin->limits->counting, JADE_COUNT_UTF16);
    CHECK_INT_EQ(plugin->limits->media_max, 10);
    CHECK(plugin->capabilities & JADE_CAP_LOOKUP);
    CHECK(plugin->capabilities & JADE_CAP_DELETE);
    CHECK(plugin->capabilities & JADE_CAP_GEO_TARGETING);
    CHECK(!(plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY));
    CHECK(plugin->capabilities & JADE_CAP_METRICS);
    CHECK(plugin->metrics != NULL);
    json_t *schema = json_loads(plugin->account_schema, 0, NULL);
    CHECK(json_is_object(json_object_get(json_object_get(schema, "properties"), "feed_targeting")));
    json_decref(schema);
}

/* What a metrics call answered. */
static struct {
    int calls;
    uint32_t outcome, wait;
    char names[512];
    int64_t reach, engagement;
} got;

static void metrics_done(void *token, const struct jade_result *r, const struct jade_metric *m,
                         size_t n)
{
    (void)token;
    got.calls++;
    got.outcome = r->outcome;
    got.wait = r->retry_after_seconds;
    got.names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(got.names);
        snprintf(got.names + len, sizeof got.names - len, "%s%s=%lld", len ? " " : "", m[i].name,
                 (long long)m[i].value);
    }
}

static void read_metrics(void)
{
    reset();
    memset(&got, 0, sizeof got);
    struct jade_publication pub = publication(0, NULL);
    plugin->metrics(instance, &pub, "1234_42", metrics_done, NULL);
}

static const char *insight(const char *name, const char *value)
{
    static char body[256];
    snprintf(body, sizeof body,
             "{\"data\": [{\"name\": \"%s\", \"period\": \"lifetime\", \"values\": "
             "[{\"value\": %s}]}]}",
             name, value);
    return body;
}

static void metrics_one_at_a_time_a_retired_one_dropped_for_good(void)
{
    read_metrics();
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].method, "GET");
    CHECK_STR_EQ(sh_requests[0].url,
                 "http://graph.test/v24.0/1234_42/insights?metric=post_impressions_unique");
    answer(0, 400,
           "{\"error\": {\"message\": \"(#100) The value must be a valid insights metric\", "
           "\"type\": \"OAuthException\", \"code\": 100}}",
           NULL, NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].url,
                 "http://graph.test/v24.0/1234_42/insights?metric=post_total_media_view_unique");
    answer(1, 200, insight("post_total_media_view_unique", "60"), NULL, NULL);
    CHECK_STR_EQ(sh_requests[2].url,
                 "http://graph.test/v24.0/1234_42/insights?metric=post_reactions_by_type_total");
    answer(2, 200, insight("post_reactions_by_type_total", "{\"like\": 5, \"love\": 2}"), NULL,
           NULL);
    CHECK_STR_EQ(sh_requests[3].url,
                 "http://graph.test/v24.0/1234_42?fields=shares,comments.limit(0).summary(true)");
    answer(3, 200,
           "{\"id\": \"1234_42\", \"shares\": {\"count\": 3}, \"comments\": "
           "{\"summary\": {\"total_count\": 4}}}",
           NULL, NULL);
    CHECK_INT_EQ(got.calls, 1);
    CHECK_INT_EQ(got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(got.names, "post_total_media_view_unique=60 post_reactions_by_type_total=7 "
                            "comments=4 shares=3 reach=60 engagement=14");
    /* the retired one is not asked again */
    read_metrics();
    CHECK_STR_EQ(sh_requests[0].url,
                 "http://graph.test/v24.0/1234_42/insights?metric=post_total_media_view_unique");
    /* and the call ends (its request answered: nothing left in flight) */
    answer(0, 400,
           "{\"error\": {\"message\": \"Unsupported get request\", \"type\": "
           "\"GraphMethodException\", \"code\": 100, \"error_subcode\": 33}}",
           NULL, NULL);
    CHECK_INT_EQ(got.calls, 1);
}

static void metrics_throttled_wait_and_a_missing_post_is_not_found(void)
{
    read_metrics();
    answer(0, 400,
           "{\"error\": {\"message\": \"(#80001) There have been too many calls to this Page "
           "account\", \"type\": \"OAuthException\", \"code\": 80001}}",
           "X-Business-Use-Case-Usage",
           "{\"1234\": [{\"type\": \"pages\", \"call_count\": 100, "
           "\"estimated_time_to_regain_access\": 2}]}");
    CHECK_INT_EQ(got.calls, 1);
    CHECK_INT_EQ(got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(got.wait, 120);
    read_metrics();
    answer(0, 400,
           "{\"error\": {\"message\": \"Unsupported get request. Object with ID '1234_42' does "
           "not exist\", \"type\": \"GraphMethodException\", \"code\": 100, "
           "\"error_subcode\": 33}}",
           NULL, NULL);
    CHECK_INT_EQ(got.outcome, JADE_OUTCOME_NOT_FOUND);
}

int main(int argc, char **argv)
{
    void *so = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    jade_plugin_entry_fn entry = so ? (jade_plugin_entry_fn)dlsym(so, JADE_PLUGIN_ENTRY) : NULL;
    if (!entry) {
        printf("Bail out! cannot load %s: %s\n", argc > 1 ? argv[1] : "(none)", dlerror());
        return 1;
    }
    plugin = entry();
    sh_now = 1796121600; /* 2026-12-01T10:40:00Z */
    sh_secret_name = "fb";
    sh_secret_value = "EAAPageToken123";
    sh_setting("api_base", "http://graph.test/");
    sh_setting("insights_metrics", "post_impressions_unique,post_total_media_view_unique,"
                                   "post_reactions_by_type_total");
    if (plugin->init(&sh_host, &instance) != 0) {
        printf("Bail out! init failed\n");
        return 1;
    }
    RUN(declares_its_limits_and_capabilities);
    RUN(text_and_link_go_to_the_feed_with_targeting_unchanged);
    RUN(the_graph_version_is_a_setting);
    RUN(one_photo_is_a_photos_post_with_its_caption);
    RUN(several_photos_are_uploaded_unpublished_then_attached);
    RUN(an_unpublished_upload_that_fails_is_sent_again);
    RUN(expired_token_suspends_with_what_to_do);
    RUN(identity_check_subcodes_say_a_person_must_log_in);
    RUN(business_throttling_waits_what_the_header_says);
    RUN(app_throttling_waits_from_x_app_usage);
    RUN(already_posted_and_too_fast_back_off);
    RUN(other_refusals_fail_with_the_networks_words);
    RUN(a_500_that_published_is_found_in_the_feed);
    RUN(a_duplicate_is_looked_up);
    RUN(a_dropped_answer_is_looked_up_too);
    RUN(clocks_need_not_agree);
    RUN(a_500_that_did_not_publish_is_read_twice_then_sent_again);
    RUN(a_failed_look_up_leaves_it_unknown);
    RUN(the_core_s_look_up);
    RUN(remove_deletes_the_post);
    RUN(no_token_or_no_page);
    RUN(metrics_one_at_a_time_a_retired_one_dropped_for_good);
    RUN(metrics_throttled_wait_and_a_missing_post_is_not_found);
    plugin->fini(instance);
    dlclose(so);
    return test_done();
}
