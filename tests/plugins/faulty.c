/* faulty.c - a test network that answers as its channel's account says,
 * attempt by attempt, so that a test can give each channel its own story
 * of failures without a server:
 *
 *   "account": {"answers": "transient,wait:1800,sent"}
 *
 * The n-th attempt gets the n-th answer (the last one again once they run
 * out): sent, transient (a 503), wait:SECONDS (a 429 with Retry-After),
 * permanent (a 400), auth (a 401), unknown (no answer). Each message names
 * the attempt, so that a test can tell which attempt's error it sees (the
 * 400's quotes and comma a CSV must quote).
 *
 * Built a second time as the network "unruly" (FAULTY_UNRULY), with a
 * deadline of 5 s, it also misbehaves as the core must survive, and uses
 * the host's 1.1 calls:
 *   never         never calls done
 *   twice         done (sent), at once a second done, and a third later
 *   bad-outcome   an outcome outside the enum (42)
 *   small         a result struct of 4 bytes (no room for an outcome)
 *   later:MS      sent, answered from a later() callback after MS ms
 *   hang          never answers, a later() of an hour pending
 *   work          writes work.log in its data_dir through work(), then sent
 *   upload        a multipart POST to $UNRULY_UPLOAD_URL: a field "caption"
 *                 (the text), "photo" streamed from the file
 *                 $UNRULY_UPLOAD_FILE names, "meta" (JSON in memory)
 *   upload-missing  the same with a file that does not exist
 *   upload-both   a request with both a body and parts (refused)
 * Built a third time as the network "seeker" (FAULTY_SEEKER), it can look a
 * post up, for crash recovery's tests: the answer "crash" kills the process
 * (SIGKILL) inside publish, the post left `sending` in the ledger; each
 * lookup appends the key to lookups.log in its data_dir, then does what
 * $SEEKER_LOOKUP says: "crash" (SIGKILL inside the look-up), "missing"
 * (not found), else found.
 * With $UNRULY_METRICS set, "unruly" reads metrics too (JADE_CAP_METRICS),
 * as the account's "metrics" says: "never" (never answers), "wait:S" (a
 * Retry-After), "transient", "permanent", else sent ("unruly_reads": how
 * many reads this process made, "reach", "engagement"); each call is
 * appended to metrics.log in its data_dir ("<key> <reading>").
 * $UNRULY_INIT "fail" makes init fail; "idle_later" makes init ask for a
 * later() an hour away, which must not hold a stopping service. (The
 * environment, not settings: the configuration's schema knows only the
 * real networks' settings.) */
#include "jade-plugin.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FAULTY_UNRULY
#define FAULTY_UNRULY 0
#endif
#ifndef FAULTY_SEEKER
#define FAULTY_SEEKER 0
#endif

static const struct jade_host *host;

static void nothing(void *arg)
{
    (void)arg;
}

static int init(const struct jade_host *h, void **instance)
{
    host = h;
    *instance = NULL;
    const char *how = FAULTY_UNRULY ? getenv("UNRULY_INIT") : NULL;
    if (how && !strcmp(how, "fail")) {
        h->log(h->ctx, JADE_LOG_ERROR, "init fails, as its setting asks");
        return -1;
    }
    if (how && !strcmp(how, "idle_later")) h->later(h->ctx, 3600 * 1000, nothing, NULL);
    return 0;
}

/* A call answered later: what it needs then, copied. */
struct pending {
    jade_done_cb done;
    void *token;
    char id[64];
    char path[4096];
    int failed;
};

static struct pending *pending_new(jade_done_cb done, void *token, const char *key)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->done = done;
    p->token = token;
    snprintf(p->id, sizeof p->id, "unruly-%.8s", key);
    return p;
}

static void answer_sent(void *arg)
{
    struct pending *p = arg;
    struct jade_result r = {sizeof r,
                            p->failed ? JADE_OUTCOME_TRANSIENT : JADE_OUTCOME_SENT,
                            p->failed ? NULL : p->id,
                            NULL,
                            0,
                            p->failed ? "cannot write work.log" : NULL};
    p->done(p->token, &r);
    free(p);
}

/* On a worker thread: blocking writes, as an outbox does. */
static void write_log(void *arg)
{
    struct pending *p = arg;
    int fd = open(p->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    size_t len = strlen(p->id);
    p->failed = fd < 0 || write(fd, p->id, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
                fsync(fd) != 0;
    if (fd >= 0) close(fd);
}

static void uploaded(void *arg, const struct jade_http_response *res)
{
    struct pending *p = arg;
    char message[600];
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, p->id, NULL, 0, NULL};
    if (res->transport_error) {
        r.outcome = res->request_sent ? JADE_OUTCOME_UNKNOWN : JADE_OUTCOME_TRANSIENT;
        snprintf(message, sizeof message, "transport error, request_sent=%d: %s", res->request_sent,
                 res->error_message ? res->error_message : "");
        r.message = message;
    } else if (res->status != 200) {
        r.outcome = JADE_OUTCOME_PERMANENT;
        snprintf(message, sizeof message, "HTTP %ld: %.400s", res->status, res->body);
        r.message = message;
    }
    p->done(p->token, &r);
    free(p);
}

static void upload(const struct jade_publication *pub, const char *how, jade_done_cb done,
                   void *token)
{
    const char *url = getenv("UNRULY_UPLOAD_URL");
    const char *file = getenv("UNRULY_UPLOAD_FILE");
    char missing[4096];
    snprintf(missing, sizeof missing, "%s.missing", file ? file : "");
    struct jade_http_part parts[] = {
        {.name = "caption", .value = pub->text, .value_len = strlen(pub->text)},
        {.name = "photo",
         .file = strcmp(how, "upload-missing") ? file : missing,
         .filename = "photo.jpg",
         .content_type = "image/jpeg"},
        {.name = "meta", .value = "{\"k\": 1}", .value_len = 8, .content_type = "application/json"},
    };
    struct jade_http_request req = {
        .struct_size = sizeof req, .method = "POST", .url = url, .parts = parts, .n_parts = 3};
    if (!strcmp(how, "upload-both")) req.body = "x", req.body_len = 1;
    struct pending *p = pending_new(done, token, pub->key);
    if (host->http(host->ctx, &req, uploaded, p) != 0) {
        free(p);
        struct jade_result r = {sizeof r, JADE_OUTCOME_PERMANENT,        NULL, NULL,
                                0,        "the host refused the request"};
        done(token, &r);
    }
}

/* The misbehaviours of "unruly"; 0 when answer is none of them. */
static int misbehave(const struct jade_publication *pub, const char *answer, jade_done_cb done,
                     void *token)
{
    struct jade_result sent = {sizeof sent, JADE_OUTCOME_SENT, NULL, NULL, 0, NULL};
    char id[64];
    snprintf(id, sizeof id, "unruly-%.8s", pub->key);
    sent.network_id = id;
    if (!strcmp(answer, "never")) return 1;
    if (!strcmp(answer, "hang")) return host->later(host->ctx, 3600 * 1000, nothing, NULL), 1;
    if (!strcmp(answer, "twice")) {
        /* pub is the core's until the first done: what comes later is copied */
        struct pending *third = pending_new(done, token, pub->key);
        done(token, &sent);
        done(token, &sent); /* the core has freed what it held for the call */
        host->later(host->ctx, 50, answer_sent, third);
        return 1;
    }
    if (!strcmp(answer, "bad-outcome")) {
        sent.outcome = 42;
        done(token, &sent);
        return 1;
    }
    if (!strcmp(answer, "small")) {
        /* A plugin built against a header that had struct_size alone: 4
         * bytes on the heap, so that a sanitizer sees any read past them. */
        uint32_t *small = malloc(sizeof *small);
        if (!small) abort();
        *small = sizeof *small;
        done(token, (const struct jade_result *)(void *)small);
        free(small);
        return 1;
    }
    if (!strncmp(answer, "later:", 6)) {
        uint32_t ms = (uint32_t)strtoul(answer + 6, NULL, 10);
        host->later(host->ctx, ms, answer_sent, pending_new(done, token, pub->key));
        return 1;
    }
    if (!strcmp(answer, "work")) {
        struct pending *p = pending_new(done, token, pub->key);
        const char *dir = host->data_dir(host->ctx);
        snprintf(p->path, sizeof p->path, "%s/work.log", dir ? dir : "/nonexistent");
        if (host->work(host->ctx, write_log, answer_sent, p) != 0) {
            p->failed = 1;
            answer_sent(p);
        }
        return 1;
    }
    if (!strncmp(answer, "upload", 6)) {
        upload(pub, answer, done, token);
        return 1;
    }
    return 0;
}

/* The answer to attempt n (from 1) in the account's list, into out. */
static void answer_of(const char *account, uint32_t n, char *out, size_t size)
{
    const char *list = account ? strstr(account, "\"answers\"") : NULL;
    list = list ? strchr(list + 9, '"') : NULL;
    snprintf(out, size, "sent");
    if (!list) return;
    list++;
    for (uint32_t i = 1;; i++) {
        size_t len = strcspn(list, ",\"");
        if (i == n || list[len] != ',') {
            snprintf(out, size, "%.*s", (int)len, list);
            return;
        }
        list += len + 1;
    }
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    char answer[64], message[160], id[64];
    answer_of(pub->account_json, pub->attempt, answer, sizeof answer);
    if (FAULTY_UNRULY && misbehave(pub, answer, done, token)) return;
    if (FAULTY_SEEKER && !strcmp(answer, "crash")) raise(SIGKILL);
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, NULL, NULL, 0, message};
    if (!strcmp(answer, "sent")) {
        snprintf(id, sizeof id, "faulty-%.8s", pub->key);
        r.network_id = id;
        r.message = NULL;
    } else if (!strncmp(answer, "wait:", 5)) {
        r.outcome = JADE_OUTCOME_RETRY_AFTER;
        r.retry_after_seconds = (uint32_t)strtoul(answer + 5, NULL, 10);
        snprintf(message, sizeof message, "HTTP 429: slow down (attempt %u)", pub->attempt);
    } else if (!strcmp(answer, "transient")) {
        r.outcome = JADE_OUTCOME_TRANSIENT;
        snprintf(message, sizeof message, "HTTP 503: busy (attempt %u)", pub->attempt);
    } else if (!strcmp(answer, "auth")) {
        r.outcome = JADE_OUTCOME_AUTH_FAILED;
        snprintf(message, sizeof message, "HTTP 401: bad token (attempt %u)", pub->attempt);
    } else if (!strcmp(answer, "unknown")) {
        r.outcome = JADE_OUTCOME_UNKNOWN;
        snprintf(message, sizeof message, "no answer (attempt %u)", pub->attempt);
    } else {
        r.outcome = JADE_OUTCOME_PERMANENT;
        snprintf(message, sizeof message, "HTTP 400: \"refused\", it says (attempt %u)",
                 pub->attempt);
    }
    done(token, &r);
}

/* The seeker's look-up: recorded (so that a test counts them), then as
 * $SEEKER_LOOKUP says. */
static void lookup(void *instance, const struct jade_publication *pub, jade_done_cb done,
                   void *token)
{
    (void)instance;
    char path[4096], id[64];
    const char *dir = host->data_dir(host->ctx);
    snprintf(path, sizeof path, "%s/lookups.log", dir ? dir : "/nonexistent");
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", pub->key);
        fflush(f);
        fsync(fileno(f));
        fclose(f);
    }
    const char *how = getenv("SEEKER_LOOKUP");
    if (how && !strcmp(how, "crash")) raise(SIGKILL);
    snprintf(id, sizeof id, "seeker-%.8s", pub->key);
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, id, NULL, 0, NULL};
    if (how && !strcmp(how, "missing"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_NOT_FOUND, .message = "not on the network"};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

#if FAULTY_UNRULY
static void metrics(void *instance, const struct jade_publication *pub, const char *network_id,
                    jade_metrics_cb done, void *token)
{
    (void)instance, (void)network_id;
    static int64_t reads;
    char path[4096], how[64] = "sent";
    const char *dir = host->data_dir(host->ctx);
    snprintf(path, sizeof path, "%s/metrics.log", dir ? dir : "/nonexistent");
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s %u\n", pub->key,
                JADE_HAS_MEMBER(pub, struct jade_publication, reading) ? pub->reading : 0);
        fclose(f);
    }
    const char *said = pub->account_json ? strstr(pub->account_json, "\"metrics\"") : NULL;
    if (said && (said = strchr(said + 9, '"')))
        snprintf(how, sizeof how, "%.*s", (int)strcspn(said + 1, "\""), said + 1);
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, NULL, NULL, 0, NULL};
    if (!strcmp(how, "never")) return;
    if (!strncmp(how, "wait:", 5)) {
        r.outcome = JADE_OUTCOME_RETRY_AFTER;
        r.retry_after_seconds = (uint32_t)strtoul(how + 5, NULL, 10);
        r.message = "slow down";
    } else if (!strcmp(how, "transient")) {
        r.outcome = JADE_OUTCOME_TRANSIENT, r.message = "busy";
    } else if (!strcmp(how, "permanent")) {
        r.outcome = JADE_OUTCOME_PERMANENT, r.message = "no such post";
    }
    reads++;
    struct jade_metric m[] = {
        {"unruly_reads", reads}, {"reach", 10 * reads}, {"engagement", reads}};
    done(token, &r, m, 3);
}

static uint32_t capabilities(void *instance)
{
    (void)instance;
    return getenv("UNRULY_METRICS") ? JADE_CAP_METRICS : 0;
}
#endif

static const struct jade_plugin_limits faulty_limits = {.struct_size =
                                                            sizeof(struct jade_plugin_limits),
                                                        .text_max = 5000,
                                                        .counting = JADE_COUNT_CODEPOINTS,
                                                        .media_max = 4};

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = FAULTY_UNRULY   ? "unruly"
            : FAULTY_SEEKER ? "seeker"
                            : "faulty",
    .description = FAULTY_UNRULY ? "a test network that misbehaves as its channel's account says"
                                 : "a test network that fails as its channel's account says",
    .limits = &faulty_limits,
    .capabilities = FAULTY_SEEKER ? JADE_CAP_LOOKUP : 0,
    .deadline_seconds = FAULTY_UNRULY ? 5 : 0,
    .init = init,
    .publish = publish,
    .fini = fini,
    .lookup = FAULTY_SEEKER ? lookup : NULL,
#if FAULTY_UNRULY
    .metrics = metrics,
    .instance_capabilities = capabilities,
#endif
};

JADE_PLUGIN_EXPORT(plugin)
