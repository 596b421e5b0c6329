/* paced.c - a test network that allows 2 requests a minute per account
 * (rate_per_minute): each publication appends "<clock time> <channel>
 * <key>" to <state_dir>/plugins/<name>/paced.log (its data_dir), the time as the service's clock
 * (the simulated one in tests) shows it, so that a test can check the spacing the core keeps
 * without depending on the machine's speed. */
#include "jade-plugin.h"

#include <stdio.h>
#include <sys/stat.h>

static const struct jade_host *host;

static int init(const struct jade_host *h, void **instance)
{
    host = h;
    *instance = NULL;
    return 0;
}

static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    char path[4096];
    snprintf(path, sizeof path, "%s/paced.log", host->data_dir(host->ctx));
    FILE *f = fopen(path, "a");
    int ok = f && fprintf(f, "%lld %s %s\n", (long long)host->now(host->ctx), pub->channel,
                          pub->key) > 0;
    if (f) ok = fclose(f) == 0 && ok;
    struct jade_result r = {sizeof r,
                            ok ? JADE_OUTCOME_SENT : JADE_OUTCOME_TRANSIENT,
                            ok ? pub->key : NULL,
                            NULL,
                            0,
                            ok ? NULL : "cannot write paced.log"};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "paced",
    .description = "a test network allowing 2 requests a minute per account: logs each with "
                   "the clock's time",
    .rate_per_minute = 2,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
