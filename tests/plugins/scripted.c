/* scripted.c - a test network whose answer each post chooses by the start
 * of its id: "refuse" is refused (permanent), "flaky" fails (transient),
 * "locked" has its credentials refused, "later" is asked to wait a minute,
 * "lost" gets no answer (unknown); any other is published. Its name holds
 * a double quote, a backslash and a line feed, as a name may, so that a
 * test sees them escaped where the service shows it (metrics labels). */
#include "jade-plugin.h"

#include <stdbool.h>
#include <string.h>

static int init(const struct jade_host *host, void **instance)
{
    (void)host;
    *instance = NULL;
    return 0;
}

static bool starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, pub->key, NULL, 0, NULL};
    if (starts(pub->post, "refuse"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_PERMANENT,
                                 .message = "refused by the test"};
    else if (starts(pub->post, "flaky"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_TRANSIENT, .message = "down for a test"};
    else if (starts(pub->post, "locked"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_AUTH_FAILED, .message = "bad test token"};
    else if (starts(pub->post, "later"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_RETRY_AFTER, .retry_after_seconds = 60};
    else if (starts(pub->post, "lost"))
        r = (struct jade_result){sizeof r, JADE_OUTCOME_UNKNOWN, .message = "no answer"};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin_limits scripted_limits = {.struct_size =
                                                              sizeof(struct jade_plugin_limits),
                                                          .text_max = 1000,
                                                          .counting = JADE_COUNT_CODEPOINTS,
                                                          .media_max = 4};

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "scripted \"net\" \\ two\nlines",
    .description = "a test network whose answers the posts' ids choose",
    .limits = &scripted_limits,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
