/* broken.c - deliberately broken plugins, one per way a plugin can be
 * wrong; the loader must refuse each with its file and reason. Built four
 * times with BROKEN set to one of the cases below. */
#include "jade-plugin.h"

#include <stddef.h>

#if BROKEN_UNRESOLVED
/* Defined nowhere: RTLD_NOW must fail at load, not at 3 a.m. */
void jade_test_symbol_defined_nowhere(void);
#endif

static int init(const struct jade_host *host, void **instance)
{
    (void)host;
#if BROKEN_UNRESOLVED
    jade_test_symbol_defined_nowhere();
#endif
    *instance = NULL;
    return 0;
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    (void)pub;
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, "1", NULL, 0, NULL};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

__attribute__((unused)) static const struct jade_plugin plugin = {
#if BROKEN_WRONG_ABI
    .abi_version = (uint32_t)((JADE_PLUGIN_ABI_MAJOR + 1) << 16),
#else
    .abi_version = JADE_PLUGIN_ABI_VERSION,
#endif
#if BROKEN_TOO_SMALL
    .struct_size = 16,
#else
    .struct_size = sizeof(struct jade_plugin),
#endif
    .name = "broken",
    .init = init,
    .publish = publish,
    .fini = fini,
};

#if !BROKEN_NO_ENTRY
JADE_PLUGIN_EXPORT(plugin)
#endif
