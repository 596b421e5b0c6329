/* test-mastodon.c - the mastodon plugin against a scripted host: each
 * request it makes is held, the test answers it, and checks the outcome
 * the plugin gives the core (the mapping of the instance's answers).
 * usage: test-mastodon PLUGIN.so */
#include "jade-plugin.h"
#include "scripted-host.h"
#include "test.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>

static const struct jade_plugin *plugin;
static void *instance;

/* ---- the scripted host (scripted-host.h) ----------------------------- */

/* Answers the oldest request not answered yet: status, body, then header
 * name/value pairs, NULL-ended. */
static void respond(long status, const char *body, ...)
{
    struct jade_http_header headers[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, body);
    const char *name;
    while ((name = va_arg(ap, const char *)) && n < 8) {
        headers[n].name = name;
        headers[n++].value = va_arg(ap, const char *);
    }
    va_end(ap);
    sh_answer(status, body, headers, n);
}

/* ---- publications ---------------------------------------------------- */

static const char *media_one[] = {"/content/c1/media/photo.jpg"};
static const char *alt_one[] = {"Des femmes au marché de Gao"};

static struct jade_publication pub(const char *account)
{
    return (struct jade_publication){.struct_size = sizeof(struct jade_publication),
                                     .key = "0123456789abcdef0123456789abcdef",
                                     .campaign = "c1",
                                     .post = "p1",
                                     .channel = "masto-gao",
                                     .lang = "fr",
                                     .text = "Bonjour Gao\n",
                                     .link = "https://example.org/a",
                                     .due = "2026-11-29T10:00:00Z",
                                     .account_json = account,
                                     .secret_name = "masto",
                                     .attempt = 1};
}

static const char *account = "{\"instance\": \"https://masto.example\"}";

/* A publication with one photo and its alt text. */
static struct jade_publication pub_with_photo(void)
{
    struct jade_publication p = pub(account);
    p.media = media_one;
    p.media_alt = alt_one;
    p.n_media = 1;
    return p;
}

static void reset(void)
{
    sh_reset();
    sh_setting("api_base", NULL);
    sh_setting("visibility", NULL);
    sh_now = 1796000000; /* 2026-11-30T00:53:20Z */
    plugin->fini(instance);
    CHECK_INT_EQ(plugin->init(&sh_host, &instance), 0);
}

static void publish(const struct jade_publication *p)
{
    plugin->publish(instance, p, sh_done, NULL);
}

static const char *status_ok = "{\"id\": \"1094\", \"url\": \"https://masto.example/@jade/1094\"}";

/* ---- the tests --------------------------------------------------------- */

static void test_declares(void)
{
    CHECK_STR_EQ(plugin->name, "mastodon");
    CHECK_INT_EQ(plugin->limits->text_max, 500);
    CHECK_INT_EQ(plugin->limits->counting, JADE_COUNT_GRAPHEMES);
    CHECK_INT_EQ(plugin->limits->media_max, 4);
    CHECK_STR_EQ(plugin->limits->text_max_member, "max_characters");
    CHECK(plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY);
    CHECK(plugin->capabilities & JADE_CAP_DELETE);
    CHECK(!(plugin->capabilities & JADE_CAP_GEO_TARGETING));
    CHECK(plugin->deadline_seconds > 0);
    CHECK_CONTAINS(plugin->account_schema, "\"required\": [\"instance\"]");
}

static void test_text_status(void)
{
    reset();
    struct jade_publication p = pub(account);
    p.due = "2026-11-30T10:00:00Z";
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].method, "POST");
    CHECK_STR_EQ(sh_requests[0].url, "https://masto.example/api/v1/statuses");
    CHECK_STR_EQ(sh_requests[0].auth, "Bearer the-token");
    CHECK_STR_EQ(sh_requests[0].key, p.key);
    json_t *body = json_loads(sh_requests[0].body, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(body, "status")),
                 "Bonjour Gao\n\nhttps://example.org/a");
    CHECK_STR_EQ(json_string_value(json_object_get(body, "language")), "fr");
    CHECK_STR_EQ(json_string_value(json_object_get(body, "visibility")), "public");
    CHECK(!json_object_get(body, "media_ids"));
    json_decref(body);
    CHECK_INT_EQ(sh_got.calls, 0);
    respond(200, status_ok, "X-RateLimit-Remaining", "299", "X-RateLimit-Reset",
            "2026-11-30T12:00:00.000000Z", NULL);
    CHECK_INT_EQ(sh_got.calls, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1094");
    CHECK_STR_EQ(sh_got.url, "https://masto.example/@jade/1094");
}

/* The token goes to the account's instance, the one the core judged
 * against the secret's binding: no api_base setting replaces it. */
static void test_settings_and_base(void)
{
    reset();
    sh_setting("visibility", "unlisted");
    sh_setting("api_base", "http://127.0.0.1:8080/");
    struct jade_publication p = pub(account);
    p.link = NULL;
    publish(&p);
    CHECK_STR_EQ(sh_requests[0].url, "https://masto.example/api/v1/statuses");
    json_t *body = json_loads(sh_requests[0].body, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(body, "visibility")), "unlisted");
    CHECK_STR_EQ(json_string_value(json_object_get(body, "status")), "Bonjour Gao\n");
    json_decref(body);
    respond(200, status_ok, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    reset();
    sh_setting("visibility", "everyone");
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
}

/* Content names the instance; only an origin is taken, so that the core
 * judges it against the secret's binding: a path, user name or no scheme
 * is refused before the token goes anywhere. */
static void test_instance_refused(void)
{
    const char *bad[] = {"{}",
                         "{\"instance\": \"masto.example\"}",
                         "{\"instance\": \"https://masto.example/api\"}",
                         "{\"instance\": \"https://user@evil.example\"}",
                         "{\"instance\": \"https://masto.example?x=1\"}",
                         "{\"instance\": \"ftp://masto.example\"}",
                         "{\"instance\": \"https://\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        reset();
        struct jade_publication p = pub(bad[i]);
        publish(&p);
        CHECK_INT_EQ(sh_n_requests, 0);
        CHECK_INT_EQ(sh_got.calls, 1);
        CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
        CHECK_CONTAINS(sh_got.message, "instance");
    }
    reset();
    struct jade_publication p = pub("{\"instance\": \"https://masto.example/\"}");
    publish(&p);
    CHECK_STR_EQ(sh_requests[0].url, "https://masto.example/api/v1/statuses");
}

static void test_no_secret(void)
{
    reset();
    struct jade_publication p = pub(account);
    p.secret_name = "missing";
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_AUTH_FAILED);
}

static void test_answers(void)
{
    static const struct {
        long status;
        const char *body;
        uint32_t outcome;
        const char *message;
    } cases[] = {
        {401, "{\"error\": \"The access token is invalid\"}", JADE_OUTCOME_AUTH_FAILED,
         "HTTP 401: The access token is invalid"},
        {403, "{\"error\": \"This action is outside the authorized scopes\"}",
         JADE_OUTCOME_AUTH_FAILED, "write:statuses"},
        {422, "{\"error\": \"Validation failed: Text character limit of 500 exceeded\"}",
         JADE_OUTCOME_PERMANENT,
         "HTTP 422: Validation failed: Text character limit of 500 exceeded"},
        {422,
         "{\"error\": \"Cannot attach files that have not finished processing. Try again in a "
         "moment!\"}",
         JADE_OUTCOME_TRANSIENT, "not finished processing"},
        {404, "{\"error\": \"Record not found\"}", JADE_OUTCOME_PERMANENT, "Record not found"},
        {500, "{\"error\": \"We're sorry, but something went wrong on our end.\"}",
         JADE_OUTCOME_TRANSIENT, "same Idempotency-Key"},
        {503, "<html>503</html>", JADE_OUTCOME_TRANSIENT, "HTTP 503"},
        {408, "", JADE_OUTCOME_TRANSIENT, "HTTP 408"},
        {200, "{}", JADE_OUTCOME_UNKNOWN, "without the status's id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        reset();
        struct jade_publication p = pub(account);
        publish(&p);
        respond(cases[i].status, cases[i].body, NULL);
        CHECK_INT_EQ(sh_got.calls, 1);
        if (sh_got.outcome != cases[i].outcome)
            printf("#   case %zu (HTTP %ld)\n", i, cases[i].status);
        CHECK_INT_EQ(sh_got.outcome, cases[i].outcome);
        CHECK_CONTAINS(sh_got.message, cases[i].message);
    }
    /* the secret's name, so that a person knows which file to renew */
    reset();
    struct jade_publication p = pub(account);
    publish(&p);
    respond(401, "{\"error\": \"The access token is invalid\"}", NULL);
    CHECK_CONTAINS(sh_got.message, "\"masto\"");
}

/* With an Idempotency-Key, a request that got no answer is sent again. */
static void test_no_answer(void)
{
    for (int sent = 0; sent <= 1; sent++) {
        reset();
        struct jade_publication p = pub(account);
        publish(&p);
        sh_fail(sent);
        CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
        CHECK_CONTAINS(sh_got.message, "Connection reset by peer");
    }
}

/* 429: RETRY_AFTER until X-RateLimit-Reset (microseconds: the next whole
 * second), and nothing goes to the account before. */
static void test_rate_limited(void)
{
    reset();
    struct jade_publication p = pub(account);
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "X-RateLimit-Limit", "300",
            "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-11-30T00:55:10.250000Z", NULL);
    /* 1796000000 is 2026-11-30T00:53:20Z: 110.25 s, a second more for
     * the whole-second clock */
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 112);
    CHECK_CONTAINS(sh_got.message, "Too many requests");
    sh_now += 100;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 12);
    /* a removal too waits */
    plugin->remove(instance, &p, "1094", sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    /* another account on the same instance does not */
    struct jade_publication other = pub("{\"instance\": \"https://other.example\"}");
    publish(&other);
    CHECK_INT_EQ(sh_n_requests, 2);
    respond(200, status_ok, NULL);
    sh_now += 11;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_INT_EQ(sh_got.wait, 1);
    sh_now += 1;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 3);
    respond(200, status_ok, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    /* a 429 without the reset header: Retry-After, else a minute */
    reset();
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "Retry-After", "42", NULL);
    CHECK_INT_EQ(sh_got.wait, 42);
    reset();
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", NULL);
    CHECK_INT_EQ(sh_got.wait, 60);

    /* Waits run from the answer's Date, the instance's clock: ours (here
     * a day and more behind, as a simulated clock may be) does not matter. */
    reset();
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "Date", "Tue, 01 Dec 2026 03:05:33 GMT",
            "X-RateLimit-Reset", "2026-12-01T03:05:38.500000Z", NULL);
    CHECK_INT_EQ(sh_got.wait, 7);
    sh_now += 6;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    sh_now += 1;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    respond(200, status_ok, "Date", "Tue, 01 Dec 2026 03:06:00 GMT", "X-RateLimit-Remaining", "0",
            "X-RateLimit-Reset", "2026-12-01T03:36:00.000000Z", NULL);
    publish(&p);
    CHECK_INT_EQ(sh_got.wait, 1801);
    /* a Date that does not parse: our clock */
    reset();
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "Date", "yesterday", "X-RateLimit-Reset",
            "2026-11-30T00:53:30.000000Z", NULL);
    CHECK_INT_EQ(sh_got.wait, 11);
}

/* A success saying Remaining 0 (the 300 statuses per 3 hours spent): the
 * next publish before the reset answers RETRY_AFTER without sending; a
 * removal (another family) still goes. */
static void test_budget_spent(void)
{
    reset();
    struct jade_publication p = pub(account);
    publish(&p);
    respond(200, status_ok, "X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "0",
            "X-RateLimit-Reset", "2026-11-30T01:40:00.000000Z", NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 2801);
    plugin->remove(instance, &p, "1094", sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].method, "DELETE");
    respond(200, "{\"id\": \"1094\"}", NULL);
    sh_now += 2801;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 3);

    /* Remaining 1 is no reason to wait */
    reset();
    publish(&p);
    respond(200, status_ok, "X-RateLimit-Remaining", "1", "X-RateLimit-Reset",
            "2026-11-30T01:40:00.000000Z", NULL);
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
}

/* The key is kept an hour: a re-send (attempt > 1) more than 50 minutes
 * after the due time is not sent, but answered UNKNOWN; within, it goes. */
static void test_key_window(void)
{
    reset();
    struct jade_publication p = pub(account);
    p.due = "2026-11-30T00:04:00Z"; /* 49 min 20 s before the clock */
    p.attempt = 2;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    respond(200, status_ok, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    reset();
    p.due = "2026-11-30T00:03:00Z"; /* 50 min 20 s */
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);
    CHECK_CONTAINS(sh_got.message, "Idempotency-Key");

    /* a first attempt, however late, has no earlier one to repeat */
    reset();
    p.attempt = 1;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
}

/* Requests that may have posted (a 5xx, no answer after the request
 * left) are remembered from when they left: a re-send within 50 minutes
 * goes, later it is UNKNOWN. Answers that posted nothing (a 429, no
 * answer before the request left) let a re-send go however late, when
 * every attempt was the plugin's own (it started before the due time). */
static void test_key_hour_remembered(void)
{
    reset();
    struct jade_publication p = pub(account);
    p.due = "2026-11-30T01:00:00Z";
    sh_now = 1796000400;
    publish(&p);
    respond(503, "<html>503</html>", NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    sh_now += 49 * 60;
    p.attempt = 2;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].key, p.key);
    sh_fail(1);
    sh_now += 2 * 60;
    p.attempt = 3;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);

    /* no answer, the request having left: remembered too */
    reset();
    p.attempt = 1;
    sh_now = 1796000400;
    publish(&p);
    sh_fail(1);
    sh_now += 51 * 60;
    p.attempt = 2;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_UNKNOWN);
}

static void test_key_hour_nothing_posted(void)
{
    reset();
    struct jade_publication p = pub(account);
    p.due = "2026-11-30T01:00:00Z";
    sh_now = 1796000400;
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "X-RateLimit-Reset",
            "2026-11-30T03:00:00.000000Z", NULL);
    sh_now += 2 * 3600 + 1;
    p.attempt = 2;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    sh_fail(0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    sh_now += 3600;
    p.attempt = 3;
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 3);
    respond(200, status_ok, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
}

static void test_media(void)
{
    reset();
    struct jade_publication p = pub_with_photo();
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 1);
    CHECK_STR_EQ(sh_requests[0].url, "https://masto.example/api/v2/media");
    CHECK_STR_EQ(sh_requests[0].auth, "Bearer the-token");
    CHECK_INT_EQ(sh_requests[0].n_parts, 2);
    CHECK_STR_EQ(sh_requests[0].part_names[0], "file");
    CHECK_STR_EQ(sh_requests[0].part_file, "/content/c1/media/photo.jpg");
    CHECK_STR_EQ(sh_requests[0].part_names[1], "description");
    CHECK_STR_EQ(sh_requests[0].part_values[1], "Des femmes au marché de Gao");
    respond(202, "{\"id\": \"77\", \"url\": null}", NULL);
    CHECK_INT_EQ(sh_got.calls, 0);
    sh_fire_timer();
    CHECK_STR_EQ(sh_requests[1].method, "GET");
    CHECK_STR_EQ(sh_requests[1].url, "https://masto.example/api/v1/media/77");
    respond(206, "{\"id\": \"77\", \"url\": null}", NULL);
    sh_fire_timer();
    CHECK_STR_EQ(sh_requests[2].url, "https://masto.example/api/v1/media/77");
    respond(200, "{\"id\": \"77\", \"url\": \"https://masto.example/m/77.jpg\"}", NULL);
    CHECK_INT_EQ(sh_n_requests, 4);
    CHECK_STR_EQ(sh_requests[3].url, "https://masto.example/api/v1/statuses");
    json_t *body = json_loads(sh_requests[3].body, 0, NULL);
    CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(body, "media_ids"), 0)), "77");
    json_decref(body);
    respond(200, status_ok, NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);

    /* ready at once: straight to the status */
    reset();
    publish(&p);
    respond(200, "{\"id\": \"78\", \"url\": \"https://masto.example/m/78.jpg\"}", NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_STR_EQ(sh_requests[1].url, "https://masto.example/api/v1/statuses");
    respond(200, status_ok, NULL);

    /* processing failed: refused, nothing posted */
    reset();
    publish(&p);
    respond(202, "{\"id\": \"79\", \"url\": null}", NULL);
    sh_fire_timer();
    respond(422, "{\"error\": \"Error processing thumbnail for uploaded media\"}", NULL);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "Error processing thumbnail");

    /* still processing when the deadline nears: nothing posted, tried again */
    reset();
    publish(&p);
    respond(202, "{\"id\": \"80\", \"url\": null}", NULL);
    for (int i = 0; i < 1000 && sh_n_timers && sh_got.calls == 0; i++) {
        sh_now += 5;
        sh_fire_timer();
        respond(206, "{\"id\": \"80\", \"url\": null}", NULL);
    }
    CHECK_INT_EQ(sh_got.calls, 1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    CHECK_CONTAINS(sh_got.message, "still processing");
    CHECK(sh_now - 1796000000 <= (int64_t)plugin->deadline_seconds);
    for (size_t i = 0; i < sh_n_requests; i++)
        CHECK(strcmp(sh_requests[i].url, "https://masto.example/api/v1/statuses"));

    /* an upload refused: its words; the upload's 429 waits too */
    reset();
    publish(&p);
    respond(422, "{\"error\": \"Validation failed: File content type is invalid\"}", NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
    CHECK_CONTAINS(sh_got.message, "File content type is invalid");
    reset();
    publish(&p);
    respond(429, "{\"error\": \"Too many requests\"}", "X-RateLimit-Reset",
            "2026-11-30T00:54:20.000000Z", NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    CHECK_INT_EQ(sh_got.wait, 61);

    /* media spent (30 per 30 minutes): a post with media waits, a text goes */
    reset();
    publish(&p);
    respond(200, "{\"id\": \"81\", \"url\": \"https://masto.example/m/81.jpg\"}",
            "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-11-30T01:30:00.000000Z", NULL);
    respond(200, status_ok, NULL);
    publish(&p);
    CHECK_INT_EQ(sh_n_requests, 2);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_RETRY_AFTER);
    struct jade_publication text = pub(account);
    publish(&text);
    CHECK_INT_EQ(sh_n_requests, 3);
    respond(200, status_ok, NULL);

    /* a medium without alt text: no description part */
    reset();
    static const char *no_alt[] = {NULL};
    p.media_alt = no_alt;
    publish(&p);
    CHECK_INT_EQ(sh_requests[0].n_parts, 1);
    respond(200, "{\"id\": \"82\", \"url\": \"https://masto.example/m/82.jpg\"}", NULL);
    respond(200, status_ok, NULL);
}

/* A poll pending when the service stops: fini frees it (the sanitizers
 * would say otherwise). */
static void test_stopped_while_polling(void)
{
    reset();
    struct jade_publication p = pub_with_photo();
    publish(&p);
    respond(202, "{\"id\": \"90\", \"url\": null}", NULL);
    CHECK(sh_timer.cb != NULL);
    CHECK_INT_EQ(sh_got.calls, 0);
}

static void test_remove(void)
{
    reset();
    struct jade_publication p = pub(account);
    plugin->remove(instance, &p, "1094", sh_done, NULL);
    CHECK_STR_EQ(sh_requests[0].method, "DELETE");
    CHECK_STR_EQ(sh_requests[0].url, "https://masto.example/api/v1/statuses/1094");
    CHECK_STR_EQ(sh_requests[0].auth, "Bearer the-token");
    respond(200, "{\"id\": \"1094\"}", NULL);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_SENT);
    CHECK_STR_EQ(sh_got.id, "1094");

    static const struct {
        long status;
        uint32_t outcome;
    } cases[] = {{404, JADE_OUTCOME_NOT_FOUND},
                 {401, JADE_OUTCOME_AUTH_FAILED},
                 {429, JADE_OUTCOME_RETRY_AFTER},
                 {503, JADE_OUTCOME_TRANSIENT},
                 {422, JADE_OUTCOME_PERMANENT}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        reset();
        plugin->remove(instance, &p, "1094", sh_done, NULL);
        respond(cases[i].status, "{\"error\": \"said\"}", NULL);
        if (sh_got.outcome != cases[i].outcome) printf("#   case HTTP %ld\n", cases[i].status);
        CHECK_INT_EQ(sh_got.outcome, cases[i].outcome);
    }
    reset();
    plugin->remove(instance, &p, "1094", sh_done, NULL);
    sh_fail(1);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_TRANSIENT);
    /* an id that is not the instance's: nothing sent */
    reset();
    plugin->remove(instance, &p, "../accounts/1", sh_done, NULL);
    CHECK_INT_EQ(sh_n_requests, 0);
    CHECK_INT_EQ(sh_got.outcome, JADE_OUTCOME_PERMANENT);
}

int main(int argc, char **argv)
{
    void *so = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    jade_plugin_entry_fn entry = so ? (jade_plugin_entry_fn)dlsym(so, JADE_PLUGIN_ENTRY) : NULL;
    if (!entry) {
        printf("Bail out! cannot load the plugin: %s\n", so ? dlerror() : "no path");
        return 1;
    }
    plugin = entry();
    sh_secret_name = "masto";
    sh_secret_value = "the-token";
    if (plugin->init(&sh_host, &instance) != 0) {
        printf("Bail out! init failed\n");
        return 1;
    }
    RUN(test_declares);
    RUN(test_text_status);
    RUN(test_settings_and_base);
    RUN(test_instance_refused);
    RUN(test_no_secret);
    RUN(test_answers);
    RUN(test_no_answer);
    RUN(test_rate_limited);
    RUN(test_budget_spent);
    RUN(test_key_window);
    RUN(test_key_hour_remembered);
    RUN(test_key_hour_nothing_posted);
    RUN(test_media);
    RUN(test_stopped_while_polling);
    RUN(test_remove);
    plugin->fini(instance);
    dlclose(so);
    return test_done();
}
