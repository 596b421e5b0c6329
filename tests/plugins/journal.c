/* journal.c - a test network without idempotency keys or look-up: each
 * publication appends its key to <outbox_dir>/journal.log (then fsync), as
 * a real network would record a post. A key there twice is a post
 * published twice; the crash tests look for exactly that.
 *
 * With JOURNAL_CRASH_AFTER=N in the environment, the process kills itself
 * (SIGKILL) right after the N-th key reached the journal: the network has
 * the post, the ledger does not know yet - the case jade must never re-send. */
#include "jade-plugin.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char path[4096], line[64];
    mkdir(host->outbox_dir(host->ctx), 0755);
    snprintf(path, sizeof path, "%s/journal.log", host->outbox_dir(host->ctx));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int n = snprintf(line, sizeof line, "%s\n", pub->key);
    int ok = fd >= 0 && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    static int count;
    const char *crash = getenv("JOURNAL_CRASH_AFTER");
    if (ok && crash && ++count == atoi(crash)) kill(getpid(), SIGKILL);
    struct jade_result r = {
        sizeof r, ok ? JADE_OUTCOME_SENT : JADE_OUTCOME_TRANSIENT, ok ? pub->key : NULL, NULL,
        0,        ok ? NULL : "cannot write the journal"};
    done(token, &r);
}

static void fini(void *instance)
{
    (void)instance;
}

static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "journal",
    .description = "a test network without idempotency: appends each key to journal.log",
    .capabilities = 0,
    .init = init,
    .publish = publish,
    .fini = fini,
};

JADE_PLUGIN_EXPORT(plugin)
