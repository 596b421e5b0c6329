/* broken.c - deliberately broken plugins, one per way a plugin can be
 * wrong; the loader must refuse each with its file and reason. Built once
 * per case below (BROKEN_...); "constructor" is a good plugin whose code
 * runs at load, for the tests of untrusted plugin folders. */
#include "jade-plugin.h"

#include <stddef.h>

#if BROKEN_CONSTRUCTOR
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* A valid plugin whose code runs as soon as it is loaded: it leaves the
 * file $JADE_TEST_MARKER, so a test sees whether it was ever loaded. */
__attribute__((constructor)) static void loaded(void)
{
    const char *marker = getenv("JADE_TEST_MARKER");
    int fd = marker ? open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
    if (fd >= 0) close(fd);
}
#endif

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

#if BROKEN_BAD_COUNTING
static const struct jade_plugin_limits limits = {.struct_size = sizeof limits, .counting = 99};
#endif

__attribute__((unused)) static const struct jade_plugin plugin = {
#if BROKEN_WRONG_ABI
    .abi_version = (uint32_t)((JADE_PLUGIN_ABI_MAJOR + 1) << 16),
#elif BROKEN_NEWER_MINOR /* expects what this core may not have */
    .abi_version = JADE_PLUGIN_ABI_VERSION + 1,
#elif BROKEN_OLD_MINOR /* 1.0 held its limits by value */
    .abi_version = (uint32_t)(JADE_PLUGIN_ABI_MAJOR << 16),
#else
    .abi_version = JADE_PLUGIN_ABI_VERSION,
#endif
#if BROKEN_TOO_SMALL
    .struct_size = 16,
#else
    .struct_size = sizeof(struct jade_plugin),
#endif
    .name = "broken",
#if BROKEN_BAD_COUNTING
    .limits = &limits,
#endif
    .init = init,
    .publish = publish,
    .fini = fini,
};

#if !BROKEN_NO_ENTRY
JADE_PLUGIN_EXPORT(plugin)
#endif
