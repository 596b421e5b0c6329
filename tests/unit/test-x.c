/* test-x.c - the x plugin (plugins/x/x.c) against a scripted host: each
 * request it makes is checked and answered as X would, so that what it
 * does with each answer shows: the waits X's headers ask for (the reset
 * of what is exhausted, the 24-hour ones included, and none sent before),
 * the credentials refused, a duplicate looked up on a later attempt, the
 * timeline searched for an uncertain post, media uploaded and polled,
 * deletions. The fake network (tests/fakes/x.py) checks the rest through
 * jade run. */
#include "scripted-host.h"
#include "test.h"

#include "jade-plugin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct jade_plugin *jade_plugin_entry(void);

/* ---- the scripted host (scripted-host.h) ----------------------------------------- */

static const char *const credentials =
    "{\"consumer_key\": \"ck\", \"consumer_secret\": \"cs\", \"token\": \"tk\", "
    "\"token_secret\": \"ts\"}";

/* Answers the request in flight: the only one. */
static void answer(long status, const char *body, const struct jade_http_header *headers,
                   size_t n_headers)
{
    CHECK_INT_EQ(sh_unanswered(), 1);
    if (sh_unanswered() != 1) return;
    sh_answer(status, body, headers, n_headers);
}

static void answer_transport(int sent)
{
    CHECK_INT_EQ(sh_unanswered(), 1);
    if (sh_unanswered() != 1) return;
    sh_fail(sent);
}

/* ---- publications ---------------------------------------------------------------- */

static const struct jade_plugin *plugin;
static void *instance;

static struct jade_publication pub_of(const char *text, const char *link, uint32_t attempt,
                                      const char *const *media, size_t n_media)
{
    return (struct jade_publication){.struct_size = sizeof(struct jade_publication),
                                     .key = "k",
                                     .campaign = "c1",
                                     .post = "p1",
                                     .channel = "x-gao",
                                     .lang = "fr",
                                     .text = text,
                                     .link = link,
                                     .due = "2027-01-15T08:00:00Z",
                                     .account_json = "{\"user_id\": \"42\"}",
                                     .secret_name = "xcreds",
                                     .media = media,
                                     .n_media = n_media,
                                     .attempt = attempt};
}

static void start(void)
{
    if (instance) plugin->fini(instance);
    instance = NULL;
    CHECK_INT_EQ(plugin->init(&sh_host, &instance), 0);
    sh_reset();
    sh_now += 100000; /* nothing of an earlier test holds */
}

static void publish(const char *text, uint32_t attempt)
{
    sh_forget_outcome();
    struct jade_publication p = pub_of(text, NULL, attempt, NULL, 0);
    plugin->publish(instance, &p, sh_done, NULL);
}

static char reset_at[32], reset_later[32];

static void plain_post(void)
{
    start();
    struct jade_publication p = pub_of("Bonjour & salut", "https://example.org/a", 1, NULL, 0);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_STR_EQ(sh_pending()->method, "POST");
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/tweets");
    CHECK_STR_EQ(sh_pending()->body, "{\"text\":\"Bonjour & salut\\n\\nhttps://example.org/a\"}");
    CHECK_CONTAINS(sh_pending()->auth, "OAuth oauth_consumer_key=\"ck\", oauth_nonce=\"");
    CHECK_CONTAINS(sh_pending()->auth, "oauth_token=\"tk\", oauth_version=\"1.0\"");
    answer(201, "{\"data\":{\"id\":\"1869\",\"text\":\"Bonjour\"}}", NULL, 0);
    CHECK_INT_EQ(sh_got.calls, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1869");
    CHECK_STR_EQ(sh_got.url, "https://x.com/i/web/status/1869");
    /* a text that holds its link already keeps it once */
    p = pub_of("Voir https://example.org/a", "https://example.org/a", 1, NULL, 0);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_STR_EQ(sh_pending()->body, "{\"text\":\"Voir https://example.org/a\"}");
    answer(201, "{\"data\":{\"id\":\"1870\"}}", NULL, 0);
}

/* 429: wait until x-rate-limit-reset, and nothing leaves before it. */
static void rate_limit_waits_for_the_reset(void)
{
    start();
    snprintf(reset_at, sizeof reset_at, "%lld", (long long)sh_now + 120);
    struct jade_http_header h[] = {{"x-rate-limit-limit", "100"},
                                   {"x-rate-limit-remaining", "0"},
                                   {"x-rate-limit-reset", reset_at}};
    publish("un", 1);
    answer(429,
           "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\",\"type\":"
           "\"about:blank\",\"status\":429}",
           h, 3);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 120);
    CHECK_CONTAINS(sh_got.message, "HTTP 429: Too Many Requests");
    sh_now += 100;
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 0); /* not sent */
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 20);
    sh_now += 20;
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 1); /* the reset came: it goes */
    answer(201, "{\"data\":{\"id\":\"7\"}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
}

/* The 24-hour limit exhausted: its reset counts, not the 15-minute one. */
static void daily_limit_waits_for_its_reset(void)
{
    start();
    snprintf(reset_at, sizeof reset_at, "%lld", (long long)sh_now + 1);
    snprintf(reset_later, sizeof reset_later, "%lld", (long long)sh_now + 5000);
    struct jade_http_header h[] = {{"x-rate-limit-remaining", "0"},
                                   {"x-rate-limit-reset", reset_at},
                                   {"x-user-limit-24hour-limit", "17"},
                                   {"x-user-limit-24hour-remaining", "0"},
                                   {"x-user-limit-24hour-reset", reset_later}};
    publish("un", 1);
    answer(429, "{\"title\":\"Too Many Requests\",\"status\":429}", h, 5);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 5000);
    /* the app's daily limit, exhausted on a success, holds every account */
    start();
    struct jade_http_header app[] = {{"x-rate-limit-remaining", "55"},
                                     {"x-rate-limit-reset", reset_at},
                                     {"x-app-limit-24hour-remaining", "0"},
                                     {"x-app-limit-24hour-reset", reset_later}};
    snprintf(reset_later, sizeof reset_later, "%lld", (long long)sh_now + 3000);
    publish("un", 1);
    answer(201, "{\"data\":{\"id\":\"8\"}}", app, 4);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 3000);
    /* a usage cap names its type; no reset header: X's window */
    start();
    publish("un", 1);
    answer(429,
           "{\"title\":\"UsageCapExceeded\",\"type\":\"https://api.twitter.com/2/problems/"
           "usage-capped\",\"status\":429,\"detail\":\"Usage cap exceeded\"}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 900);
    CHECK_CONTAINS(sh_got.message, "usage cap");
    /* a reset that has come already: a second */
    start();
    snprintf(reset_at, sizeof reset_at, "%lld", (long long)sh_now);
    struct jade_http_header past[] = {{"x-rate-limit-remaining", "0"},
                                      {"x-rate-limit-reset", reset_at}};
    publish("un", 1);
    answer(429, "{\"title\":\"Too Many Requests\",\"status\":429}", past, 2);
    CHECK_INT_EQ(sh_got.wait, 1);
}

/* A success that leaves 0: the next one waits for the reset unsent. */
static void remaining_zero_holds_the_next(void)
{
    start();
    snprintf(reset_at, sizeof reset_at, "%lld", (long long)sh_now + 300);
    struct jade_http_header h[] = {{"x-rate-limit-remaining", "0"},
                                   {"x-rate-limit-reset", reset_at}};
    publish("un", 1);
    answer(201, "{\"data\":{\"id\":\"9\"}}", h, 2);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 300);
    CHECK_CONTAINS(sh_got.message, "X's limit on posting for this account is used up until 20");
    CHECK_CONTAINS(sh_got.message, "Z: not sent yet");
    /* another account of the same app is not held */
    sh_forget_outcome();
    struct jade_publication p = pub_of("trois", NULL, 1, NULL, 0);
    p.account_json = "{\"user_id\": \"43\"}";
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_unanswered(), 1);
    answer(201, "{\"data\":{\"id\":\"10\"}}", NULL, 0);
    /* a deletion counts apart */
    p = pub_of("", NULL, 1, NULL, 0);
    plugin->remove(instance, &p, "9", sh_done, NULL);
    CHECK_INT_EQ(sh_unanswered(), 1);
    CHECK_STR_EQ(sh_pending()->method, "DELETE");
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/tweets/9");
    answer(200, "{\"data\":{\"deleted\":true}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
}

static void credentials_refused(void)
{
    start();
    publish("un", 1);
    answer(401,
           "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":"
           "\"Unauthorized\"}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
    CHECK_CONTAINS(sh_got.message, "HTTP 401: Unauthorized");
    CHECK_CONTAINS(sh_got.message, "regenerate the access token");
    /* read-only app: a 403 of its own type */
    publish("un", 1);
    answer(403,
           "{\"title\":\"Forbidden\",\"type\":\"https://api.twitter.com/2/problems/"
           "oauth1-permissions\",\"status\":403,\"detail\":\"Your client app is not "
           "configured with the appropriate oauth1 app permissions for this endpoint.\"}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
    /* a secret that is not the four credentials */
    sh_secret_value = "just-a-token";
    publish("un", 1);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
    CHECK_CONTAINS(sh_got.message, "consumer_key");
    sh_secret_value = credentials;
    /* an account without its user id */
    sh_forget_outcome();
    struct jade_publication p = pub_of("un", NULL, 1, NULL, 0);
    p.account_json = "{\"handle\": \"@x\"}";
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "user_id");
}

static const char duplicate[] = "{\"title\":\"Forbidden\",\"type\":\"about:blank\",\"status\":403,"
                                "\"detail\":\"You are not allowed to create a Tweet with "
                                "duplicate content.\"}";

/* A duplicate on a first attempt: posted before. On a later one: looked
 * up on the timeline, found as X shows it (t.co link, &amp;). */
static void duplicate_is_looked_up_after_an_uncertain_attempt(void)
{
    start();
    publish("Bonjour & salut https://example.org/a", 1);
    answer(403, duplicate, NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "duplicate content");
    CHECK_CONTAINS(sh_got.message, "posted before");
    CHECK_INT_EQ(sh_n_requests, 1);

    publish("Bonjour & salut https://example.org/a", 2);
    answer(403, duplicate, NULL, 0);
    CHECK_INT_EQ(sh_got.calls, 0);
    CHECK_STR_EQ(sh_pending()->method, "GET");
    CHECK_STR_EQ(sh_pending()->url,
                 "http://127.0.0.1:9/2/users/42/tweets?max_results=100&tweet.fields=created_at");
    answer(200,
           "{\"data\":[{\"id\":\"5\",\"text\":\"Autre chose\"},{\"id\":\"4\",\"text\":"
           "\"Bonjour &amp; salut https://t.co/abcdefghij\"}],\"meta\":{\"result_count\":2}}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "4");

    publish("Rien de tel", 3);
    answer(403, duplicate, NULL, 0);
    answer(200, "{\"meta\":{\"result_count\":0}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "posted before");
}

/* The post request left and no answer, or a 5xx: maybe published. It is
 * looked up on the timeline after a moment: there, sent; not there, safe
 * to send again; the look-up failing too, unknown. */
static void uncertain_answers(void)
{
    static const char timeline[] =
        "{\"data\":[{\"id\":\"31\",\"text\":\"un\",\"created_at\":\"2027-01-15T08:00:01.000Z\"}]}";
    start();
    publish("un", 1);
    answer(503, "{\"title\":\"Service Unavailable\",\"status\":503}", NULL, 0);
    CHECK_INT_EQ(sh_got.calls, 0);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_timer.ms, 2000);
    sh_fire_timer();
    CHECK_STR_EQ(sh_pending()->method, "GET");
    answer(200, "{\"meta\":{\"result_count\":0}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    CHECK_CONTAINS(sh_got.message, "HTTP 503: Service Unavailable");
    CHECK_CONTAINS(sh_got.message, "nothing was published");
    publish("un", 1);
    answer(500, "{\"title\":\"Internal Server Error\",\"status\":500}", NULL, 0);
    sh_fire_timer();
    answer(200, timeline, NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "31");
    publish("un", 1);
    answer_transport(1);
    sh_fire_timer();
    answer(200, timeline, NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    publish("un", 1);
    answer_transport(1);
    sh_fire_timer();
    answer_transport(1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);
    CHECK_CONTAINS(sh_got.message, "failed too");
    publish("un", 1);
    answer(502, "{\"title\":\"Bad Gateway\",\"status\":502}", NULL, 0);
    sh_fire_timer();
    answer(429, "{\"title\":\"Too Many Requests\",\"status\":429}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);
    publish("un", 1);
    answer_transport(0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    publish("un", 1);
    answer(400,
           "{\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your request "
           "was invalid.\",\"type\":\"https://api.twitter.com/2/problems/invalid-request\","
           "\"status\":400,\"errors\":[{\"message\":\"Your Tweet text is too long.\"}]}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "Your Tweet text is too long.");
}

/* lookup: the text since the due time, page after page. */
static void lookup_finds_or_not(void)
{
    start();
    struct jade_publication p = pub_of("Bonjour <b>", "https://example.org/a", 2, NULL, 0);
    plugin->lookup(instance, &p, sh_done, NULL);
    CHECK_STR_EQ(sh_pending()->url,
                 "http://127.0.0.1:9/2/users/42/tweets?max_results=100&tweet.fields=created_at");
    answer(200,
           "{\"data\":[{\"id\":\"5\",\"text\":\"Autre\"}],\"meta\":{\"result_count\":1,"
           "\"next_token\":\"abc=\"}}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.calls, 0);
    CHECK_CONTAINS(sh_pending()->url, "&pagination_token=abc%3D");
    answer(200,
           "{\"data\":[{\"id\":\"3\",\"text\":\"Bonjour &lt;b&gt;\\n\\nhttps://t.co/x1\"}],"
           "\"meta\":{\"result_count\":1}}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "3");
    plugin->lookup(instance, &p, sh_done, NULL);
    answer(200, "{\"meta\":{\"result_count\":0}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    plugin->lookup(instance, &p, sh_done, NULL);
    answer(500, "{\"title\":\"Internal Server Error\",\"status\":500}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);

    /* X's clock a day ahead of ours (the Date header says so): the same
     * text posted before the due time on X's clock is not ours. */
    int64_t ahead = 86400, due;
    struct tm tm = {0};
    strptime("2027-01-15T08:00:00", "%Y-%m-%dT%H:%M:%S", &tm);
    due = (int64_t)timegm(&tm);
    char date[64], before[32], after[32], body[512];
    time_t t = (time_t)(sh_now + ahead);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
    t = (time_t)(due + ahead - 10);
    strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&t));
    t = (time_t)(due + ahead + 5);
    strftime(after, sizeof after, "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&t));
    struct jade_http_header h[] = {{"Date", date}};
    snprintf(body, sizeof body,
             "{\"data\":[{\"id\":\"8\",\"text\":\"Bonjour &lt;b&gt; https://t.co/a\","
             "\"created_at\":\"%s\"}],\"meta\":{\"next_token\":\"n\"}}",
             before);
    plugin->lookup(instance, &p, sh_done, NULL);
    answer(200, body, h, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND); /* and no further page */
    CHECK_INT_EQ(sh_unanswered(), 0);
    snprintf(body, sizeof body,
             "{\"data\":[{\"id\":\"9\",\"text\":\"Bonjour &lt;b&gt; https://t.co/a\","
             "\"created_at\":\"%s\"}]}",
             after);
    plugin->lookup(instance, &p, sh_done, NULL);
    answer(200, body, h, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "9");
}

/* A reset is X's time: with a Date header, waited for on our clock,
 * however far it is from X's (a simulated one), a second more. */
static void reset_read_against_the_date_header(void)
{
    start();
    char date[64], reset[32];
    time_t t = (time_t)(sh_now + 86400 * 3);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
    snprintf(reset, sizeof reset, "%lld", (long long)t + 7);
    struct jade_http_header h[] = {
        {"Date", date}, {"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", reset}};
    publish("un", 1);
    answer(429, "{\"title\":\"Too Many Requests\",\"status\":429}", h, 3);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 8);
    sh_now += 7;
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_got.wait, 1);
    sh_now += 1;
    publish("deux", 1);
    CHECK_INT_EQ(sh_unanswered(), 1);
    answer(201, "{\"data\":{\"id\":\"7\"}}", NULL, 0);
}

static void removal(void)
{
    start();
    struct jade_publication p = pub_of("", NULL, 1, NULL, 0);
    plugin->remove(instance, &p, "77", sh_done, NULL);
    CHECK_STR_EQ(sh_pending()->method, "DELETE");
    answer(404,
           "{\"title\":\"Not Found Error\",\"type\":\"https://api.twitter.com/2/problems/"
           "resource-not-found\",\"status\":404,\"detail\":\"Could not find tweet\"}",
           NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_NOT_FOUND);
    snprintf(reset_at, sizeof reset_at, "%lld", (long long)sh_now + 60);
    struct jade_http_header h[] = {{"x-rate-limit-remaining", "0"},
                                   {"x-rate-limit-reset", reset_at}};
    plugin->remove(instance, &p, "78", sh_done, NULL);
    answer(429, "{\"title\":\"Too Many Requests\",\"status\":429}", h, 2);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 60);
    plugin->remove(instance, &p, "78", sh_done, NULL);
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_got.wait, 60);
}

static char photo[64], video[64];

static void make_media(void)
{
    snprintf(photo, sizeof photo, "/tmp/test-x-%d.png", (int)getpid());
    snprintf(video, sizeof video, "/tmp/test-x-%d.mp4", (int)getpid());
    FILE *f = fopen(photo, "w");
    fputs("12345", f);
    fclose(f);
    f = fopen(video, "w");
    fputs("1234567890", f);
    fclose(f);
}

/* Publishes p (one video) and answers initialize and append, then finalize
 * with media id and its processing_info (a JSON object). */
static void upload_video(const struct jade_publication *p, const char *id, const char *processing)
{
    char body[512];
    plugin->publish(instance, p, sh_done, NULL);
    snprintf(body, sizeof body, "{\"data\":{\"id\":\"%s\"}}", id);
    answer(200, body, NULL, 0);
    answer(200, "{}", NULL, 0);
    snprintf(body, sizeof body, "{\"data\":{\"id\":\"%s\",\"processing_info\":%s}}", id,
             processing);
    answer(200, body, NULL, 0);
}

/* A photo: initialize, append streamed, finalize, post with its id. A
 * video: polled as check_after_secs says until it succeeded or failed. */
static void media_uploaded_and_polled(void)
{
    start();
    const char *one[] = {photo};
    struct jade_publication p = pub_of("Photo", NULL, 1, one, 1);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/media/upload/initialize");
    CHECK_STR_EQ(sh_pending()->body, "{\"media_type\":\"image/png\",\"total_bytes\":5,"
                                     "\"media_category\":\"tweet_image\"}");
    answer(200, "{\"data\":{\"id\":\"900\",\"media_key\":\"3_900\"}}", NULL, 0);
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/media/upload/900/append");
    CHECK_INT_EQ(sh_pending()->n_parts, 2);
    CHECK_STR_EQ(sh_pending()->part_names[0], "segment_index");
    CHECK_STR_EQ(sh_pending()->part_values[0], "0");
    CHECK_STR_EQ(sh_pending()->part_names[1], "media");
    CHECK_STR_EQ(sh_pending()->part_file, photo);
    answer(200, "{}", NULL, 0);
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/media/upload/900/finalize");
    answer(200, "{\"data\":{\"id\":\"900\"}}", NULL, 0);
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/tweets");
    CHECK_STR_EQ(sh_pending()->body, "{\"text\":\"Photo\",\"media\":{\"media_ids\":[\"900\"]}}");
    answer(201, "{\"data\":{\"id\":\"11\"}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    const char *vid[] = {video};
    p = pub_of("Video", NULL, 1, vid, 1);
    size_t initialize = sh_n_requests;
    upload_video(&p, "901", "{\"state\":\"pending\",\"check_after_secs\":3}");
    CHECK_CONTAINS(sh_requests[initialize].body, "\"media_category\":\"tweet_video\"");
    CHECK_INT_EQ(sh_unanswered(), 0);
    CHECK_INT_EQ(sh_timer.ms, 3000);
    sh_fire_timer();
    CHECK_STR_EQ(sh_pending()->method, "GET");
    CHECK_STR_EQ(sh_pending()->url,
                 "http://127.0.0.1:9/2/media/upload?command=STATUS&media_id=901");
    answer(200,
           "{\"data\":{\"id\":\"901\",\"processing_info\":{\"state\":\"in_progress\","
           "\"check_after_secs\":5}}}",
           NULL, 0);
    CHECK_INT_EQ(sh_timer.ms, 5000);
    sh_fire_timer();
    answer(200, "{\"data\":{\"id\":\"901\",\"processing_info\":{\"state\":\"succeeded\"}}}", NULL,
           0);
    CHECK_STR_EQ(sh_pending()->body, "{\"text\":\"Video\",\"media\":{\"media_ids\":[\"901\"]}}");
    answer(201, "{\"data\":{\"id\":\"12\"}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    /* processing failed: refused, with X's words, and no post */
    upload_video(&p, "902",
                 "{\"state\":\"failed\",\"error\":{\"name\":\"InvalidMedia\",\"message\":"
                 "\"Unsupported video format\"}}");
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "Unsupported video format");

    /* processing that would outlast the deadline: tried again later */
    upload_video(&p, "903", "{\"state\":\"pending\",\"check_after_secs\":3000}");
    CHECK_INT_EQ(sh_n_timers, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);

    /* a failed upload step: nothing published, tried again */
    plugin->publish(instance, &p, sh_done, NULL);
    answer(503, "{\"title\":\"Service Unavailable\",\"status\":503}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);

    /* a wait pending when the plugin stops: freed by fini */
    upload_video(&p, "904", "{\"state\":\"pending\",\"check_after_secs\":1}");
    CHECK_INT_EQ(sh_n_timers, 1);
}

/* A video over one segment: appended in 4 MiB segments read off the loop,
 * numbered from 0, then finalized. */
static void large_video_in_segments(void)
{
    start();
    char big[64];
    snprintf(big, sizeof big, "/tmp/test-x-%d-big.mp4", (int)getpid());
    FILE *f = fopen(big, "w");
    CHECK(f && ftruncate(fileno(f), 9 * 1024 * 1024) == 0);
    fclose(f);
    const char *one[] = {big};
    struct jade_publication p = pub_of("Grande", NULL, 1, one, 1);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_CONTAINS(sh_pending()->body, "\"total_bytes\":9437184");
    answer(200, "{\"data\":{\"id\":\"950\"}}", NULL, 0);
    CHECK_INT_EQ(sh_unanswered(), 0); /* reading first */
    size_t sizes[] = {4194304, 4194304, 1048576};
    for (int i = 0; i < 3; i++) {
        sh_run_work();
        char index[4];
        snprintf(index, sizeof index, "%d", i);
        CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/media/upload/950/append");
        CHECK_STR_EQ(sh_pending()->part_values[0], index);
        CHECK_INT_EQ(sh_pending()->part_value_lens[1], sizes[i]);
        CHECK_STR_EQ(sh_pending()->part_file, "");
        answer(200, "{}", NULL, 0);
    }
    CHECK_STR_EQ(sh_pending()->url, "http://127.0.0.1:9/2/media/upload/950/finalize");
    answer(200, "{\"data\":{\"id\":\"950\"}}", NULL, 0);
    answer(201, "{\"data\":{\"id\":\"13\"}}", NULL, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    /* a photo over X's 5 MB: refused before any request */
    snprintf(big, sizeof big, "/tmp/test-x-%d-big.png", (int)getpid());
    f = fopen(big, "w");
    CHECK(f && ftruncate(fileno(f), 5000001) == 0);
    fclose(f);
    sh_reset();
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "at most 5000000 of image/png");
    unlink(big);
    snprintf(big, sizeof big, "/tmp/test-x-%d-big.mp4", (int)getpid());
    unlink(big);
}

/* At most 4 photos, or one video or GIF alone: refused before any request. */
static void media_counts(void)
{
    start();
    const char *five[] = {photo, photo, photo, photo, photo};
    struct jade_publication p = pub_of("Photos", NULL, 1, five, 5);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "at most 4 photos");
    const char *mixed[] = {photo, video};
    p = pub_of("Mixed", NULL, 1, mixed, 2);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    const char *odd[] = {"/tmp/notes.txt"};
    p = pub_of("Odd", NULL, 1, odd, 1);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_INT_EQ(sh_n_requests, 0);
    const char *four[] = {photo, photo, photo, photo};
    p = pub_of("Photos", NULL, 1, four, 4);
    plugin->publish(instance, &p, sh_done, NULL);
    CHECK_INT_EQ(sh_unanswered(), 1); /* the first upload */
    answer(500, "{\"title\":\"Internal Server Error\",\"status\":500}", NULL, 0);
}

static void declared(void)
{
    CHECK_STR_EQ(plugin->name, "x");
    CHECK_INT_EQ(plugin->limits->text_max, 280);
    CHECK_INT_EQ(plugin->limits->counting, JADE_COUNT_X_WEIGHTED);
    CHECK_INT_EQ(plugin->limits->media_max, 4);
    CHECK(plugin->capabilities & JADE_CAP_LOOKUP);
    CHECK(plugin->capabilities & JADE_CAP_DELETE);
    CHECK(!(plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY));
    CHECK_CONTAINS(plugin->account_schema, "\"required\": [\"user_id\"]");
}

int main(void)
{
    plugin = jade_plugin_entry();
    sh_now = 1800000000;
    sh_secret_name = "xcreds";
    sh_secret_value = credentials;
    sh_setting("api_base", "http://127.0.0.1:9/");
    make_media();
    RUN(declared);
    RUN(plain_post);
    RUN(rate_limit_waits_for_the_reset);
    RUN(daily_limit_waits_for_its_reset);
    RUN(remaining_zero_holds_the_next);
    RUN(credentials_refused);
    RUN(duplicate_is_looked_up_after_an_uncertain_attempt);
    RUN(uncertain_answers);
    RUN(lookup_finds_or_not);
    RUN(reset_read_against_the_date_header);
    RUN(removal);
    RUN(media_uploaded_and_polled);
    RUN(large_video_in_segments);
    RUN(media_counts);
    plugin->fini(instance);
    unlink(photo);
    unlink(video);
    return test_done();
}
