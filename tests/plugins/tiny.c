/* tiny.c - a well-formed test plugin with small limits, so that tests can
 * check what `jade validate` does with a network's declared limits. */
#include "jade-plugin.h"

#include <stddef.h>

static int init(const struct jade_host *host, void **instance)
{
    (void)host;
    *instance = NULL;
    return 0;
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, pub->key, NULL, 0, NULL};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin_limits tiny_limits = {.struct_size =
                                                          sizeof(struct jade_plugin_limits),
                                                      .text_max = 40,
                                                      .counting = JADE_COUNT_UTF16,
                                                      .media_max = 0};

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "tiny",
    .description = "a test network that takes 40 UTF-16 units and no media",
    .limits = &tiny_limits,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
