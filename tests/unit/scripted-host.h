/* scripted-host.h - a host table for a network plugin's unit test: it holds
 * each request the plugin makes until the test answers it, keeps the timer
 * and the work the plugin asks for until the test runs them, and records the
 * outcome the plugin gives. The clock, the one secret and the settings are
 * what the test sets. The tests of network plugins share it (test-x.c,
 * test-mastodon.c, test-facebook.c); it is a header, like test.h, so that
 * its checks fail the test that includes it. */
#ifndef JADE_SCRIPTED_HOST_H
#define JADE_SCRIPTED_HOST_H

#include "jade-plugin.h"
#include "test.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A request the plugin made, as the test reads it. */
struct sh_request {
    char method[16], url[512], auth[512], key[128], body[4096];
    size_t n_parts;
    char part_names[4][32], part_values[4][256], part_file[256];
    size_t part_value_lens[4];
    char parts[2048]; /* name=value or name=@file;type, one a line */
    jade_http_cb cb;
    void *arg;
    int answered;
};

#define SH_MAX_REQUESTS 512
static struct sh_request sh_requests[SH_MAX_REQUESTS];
static size_t sh_n_requests, sh_n_answered;

/* What the host's callbacks answer. */
static int64_t sh_now;
static const char *sh_secret_name, *sh_secret_value;
#define SH_MAX_SETTINGS 8
static struct {
    const char *name, *value;
} sh_settings[SH_MAX_SETTINGS];

/* The timer the plugin asked for last (later), and how many are pending. */
static struct sh_timer {
    uint32_t ms;
    jade_after_work_fn cb;
    void *arg;
} sh_timer;
static int sh_n_timers;

/* The work the plugin asked for last, and how many are pending. */
static struct sh_work {
    jade_work_fn fn;
    jade_after_work_fn after;
    void *arg;
} sh_work;
static int sh_n_works;

/* The outcome the plugin gave last (through sh_done). */
static struct {
    int calls;
    uint32_t outcome, wait;
    char id[128], url[256], message[1024];
} sh_got;

static inline void sh_copy(char *out, size_t size, const char *s, size_t len)
{
    snprintf(out, size, "%.*s", (int)len, s ? s : "");
}

static inline int sh_http(void *ctx, const struct jade_http_request *req, jade_http_cb cb,
                          void *arg)
{
    (void)ctx;
    if (sh_n_requests >= SH_MAX_REQUESTS) return -1;
    struct sh_request *s = &sh_requests[sh_n_requests++];
    memset(s, 0, sizeof *s);
    snprintf(s->method, sizeof s->method, "%s", req->method);
    snprintf(s->url, sizeof s->url, "%s", req->url);
    for (size_t i = 0; i < req->n_headers; i++) {
        if (!strcmp(req->headers[i].name, "Authorization"))
            snprintf(s->auth, sizeof s->auth, "%s", req->headers[i].value);
        if (!strcmp(req->headers[i].name, "Idempotency-Key"))
            snprintf(s->key, sizeof s->key, "%s", req->headers[i].value);
    }
    if (req->body) sh_copy(s->body, sizeof s->body, req->body, req->body_len);
    s->n_parts = req->n_parts;
    for (size_t i = 0; i < req->n_parts; i++) {
        const struct jade_http_part *p = &req->parts[i];
        size_t len = strlen(s->parts);
        if (p->file)
            snprintf(s->parts + len, sizeof s->parts - len, "%s=@%s;%s\n", p->name, p->file,
                     p->content_type ? p->content_type : "");
        else
            snprintf(s->parts + len, sizeof s->parts - len, "%s=%.*s\n", p->name, (int)p->value_len,
                     p->value);
        if (i >= 4) continue;
        snprintf(s->part_names[i], sizeof s->part_names[i], "%s", p->name);
        if (p->value) sh_copy(s->part_values[i], sizeof s->part_values[i], p->value, p->value_len);
        if (p->value) s->part_value_lens[i] = p->value_len;
        if (p->file) snprintf(s->part_file, sizeof s->part_file, "%s", p->file);
    }
    s->cb = cb;
    s->arg = arg;
    return 0;
}

static inline int sh_secret(void *ctx, const char *name, char *out, size_t size)
{
    (void)ctx;
    if (!name || !sh_secret_name || strcmp(name, sh_secret_name)) return -1;
    snprintf(out, size, "%s", sh_secret_value);
    return (int)strlen(out);
}

static inline void sh_log(void *ctx, int level, const char *message)
{
    (void)ctx, (void)level, (void)message;
}

static inline int64_t sh_clock(void *ctx)
{
    (void)ctx;
    return sh_now;
}

static inline const char *sh_setting_of(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t i = 0; i < SH_MAX_SETTINGS; i++)
        if (sh_settings[i].name && !strcmp(sh_settings[i].name, name)) return sh_settings[i].value;
    return NULL;
}

static inline int sh_later(void *ctx, uint32_t ms, jade_after_work_fn cb, void *arg)
{
    (void)ctx;
    sh_timer = (struct sh_timer){ms, cb, arg};
    sh_n_timers++;
    return 0;
}

static inline int sh_queue_work(void *ctx, jade_work_fn fn, jade_after_work_fn after, void *arg)
{
    (void)ctx;
    sh_work = (struct sh_work){fn, after, arg};
    sh_n_works++;
    return 0;
}

static const struct jade_host sh_host = {.abi_version = JADE_PLUGIN_ABI_VERSION,
                                         .struct_size = sizeof(struct jade_host),
                                         .http = sh_http,
                                         .secret = sh_secret,
                                         .log = sh_log,
                                         .now = sh_clock,
                                         .setting = sh_setting_of,
                                         .work = sh_queue_work,
                                         .later = sh_later};

/* The done callback: records the outcome. */
static inline void sh_done(void *token, const struct jade_result *r)
{
    (void)token;
    sh_got.calls++;
    sh_got.outcome = r->outcome;
    sh_got.wait = r->retry_after_seconds;
    snprintf(sh_got.id, sizeof sh_got.id, "%s", r->network_id ? r->network_id : "");
    snprintf(sh_got.url, sizeof sh_got.url, "%s", r->url ? r->url : "");
    snprintf(sh_got.message, sizeof sh_got.message, "%s", r->message ? r->message : "");
}

/* Forgets the outcome: no calls, and an outcome that none is. */
static inline void sh_forget_outcome(void)
{
    memset(&sh_got, 0, sizeof sh_got);
    sh_got.outcome = 99;
}

/* Sets a setting the plugin reads; NULL unsets it. */
static inline void sh_setting(const char *name, const char *value)
{
    size_t free_slot = SH_MAX_SETTINGS;
    for (size_t i = 0; i < SH_MAX_SETTINGS; i++) {
        if (sh_settings[i].name && !strcmp(sh_settings[i].name, name)) {
            sh_settings[i].value = value;
            return;
        }
        if (!sh_settings[i].name && free_slot == SH_MAX_SETTINGS) free_slot = i;
    }
    CHECK(free_slot < SH_MAX_SETTINGS);
    if (free_slot < SH_MAX_SETTINGS) sh_settings[free_slot].name = name;
    if (free_slot < SH_MAX_SETTINGS) sh_settings[free_slot].value = value;
}

/* Forgets the requests, the timer, the work and the outcome (the clock,
 * secret and settings stay). */
static inline void sh_reset(void)
{
    sh_n_requests = sh_n_answered = 0;
    memset(&sh_timer, 0, sizeof sh_timer);
    memset(&sh_work, 0, sizeof sh_work);
    sh_n_timers = sh_n_works = 0;
    sh_forget_outcome();
}

/* How many requests wait for an answer. */
static inline size_t sh_unanswered(void)
{
    return sh_n_requests - sh_n_answered;
}

/* The newest request (a zeroed one when there is none). */
static inline struct sh_request *sh_pending(void)
{
    static struct sh_request none;
    return sh_n_requests ? &sh_requests[sh_n_requests - 1] : &none;
}

/* The request to answer: i, when it is there and not answered yet. */
static inline struct sh_request *sh_to_answer(size_t i)
{
    if (i >= sh_n_requests || sh_requests[i].answered) {
        printf("#   no request %zu to answer\n", i);
        test_current_failed = 1;
        return NULL;
    }
    sh_requests[i].answered = 1;
    sh_n_answered++;
    return &sh_requests[i];
}

/* The oldest request not answered yet (sh_n_requests when none). */
static inline size_t sh_oldest(void)
{
    size_t i = 0;
    while (i < sh_n_requests && sh_requests[i].answered) i++;
    return i;
}

/* Answers request i. */
static inline void sh_answer_at(size_t i, long status, const char *body,
                                const struct jade_http_header *headers, size_t n_headers)
{
    struct sh_request *s = sh_to_answer(i);
    if (!s) return;
    struct jade_http_response r = {.struct_size = sizeof r,
                                   .request_sent = 1,
                                   .status = status,
                                   .headers = headers,
                                   .n_headers = n_headers,
                                   .body = body,
                                   .body_len = strlen(body)};
    s->cb(s->arg, &r);
}

/* Answers the oldest request not answered yet. */
static inline void sh_answer(long status, const char *body, const struct jade_http_header *headers,
                             size_t n_headers)
{
    sh_answer_at(sh_oldest(), status, body, headers, n_headers);
}

/* No answer to request i: the connection failed, after the request left in
 * full (sent) or before. */
static inline void sh_fail_at(size_t i, int sent)
{
    struct sh_request *s = sh_to_answer(i);
    if (!s) return;
    struct jade_http_response r = {.struct_size = sizeof r,
                                   .transport_error = 1,
                                   .request_sent = sent,
                                   .body = "",
                                   .error_message = "Connection reset by peer"};
    s->cb(s->arg, &r);
}

/* The same for the oldest request not answered yet. */
static inline void sh_fail(int sent)
{
    sh_fail_at(sh_oldest(), sent);
}

/* Runs the pending timer; exactly one must be pending. */
static inline void sh_fire_timer(void)
{
    CHECK_INT_EQ(sh_n_timers, 1);
    if (sh_n_timers != 1) return;
    sh_n_timers = 0;
    sh_timer.cb(sh_timer.arg);
}

/* Runs the pending work, then its after, as the core's worker and loop do;
 * exactly one must be pending. */
static inline void sh_run_work(void)
{
    CHECK_INT_EQ(sh_n_works, 1);
    if (sh_n_works != 1) return;
    sh_n_works = 0;
    sh_work.fn(sh_work.arg);
    sh_work.after(sh_work.arg);
}

#endif
