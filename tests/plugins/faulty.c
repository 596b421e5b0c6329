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
 * 400's quotes and comma a CSV must quote). */
#include "jade-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int init(const struct jade_host *host, void **instance)
{
    (void)host;
    *instance = NULL;
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

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin_limits faulty_limits = {.struct_size =
                                                            sizeof(struct jade_plugin_limits),
                                                        .text_max = 5000,
                                                        .counting = JADE_COUNT_CODEPOINTS,
                                                        .media_max = 4};

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "faulty",
    .description = "a test network that fails as its channel's account says",
    .limits = &faulty_limits,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
