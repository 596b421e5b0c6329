/* journal.c - a test network without idempotency keys or look-up: each
 * publication appends its key to <state_dir>/plugins/<name>/journal.log (its data_dir) (then
 * fsync), as a real network would record a post. A key there twice is a post published twice; the
 * crash tests look for exactly that.
 *
 * With JOURNAL_CRASH_AFTER=N in the environment, the process kills itself
 * (SIGKILL) right after the N-th key reached the journal: the network has
 * the post, the ledger does not know yet - the case jade must never re-send.
 *
 * With JOURNAL_BREAK_LEDGER_AFTER=N, right after the N-th key reached the
 * journal the ledger's write-ahead log becomes read-only under the service
 * (its descriptor replaced by a read-only one of the same file, as when a
 * disk turns read-only): the next commit fails, at a known point. */
#include "jade-plugin.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char wal_suffix[] = "/ledger.sqlite-wal";

/* Every descriptor of this process open on a ledger's WAL now reads only. */
static void break_ledger(void)
{
    DIR *fds = opendir("/proc/self/fd");
    for (struct dirent *e; fds && (e = readdir(fds));) {
        char link[320], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < (ssize_t)strlen(wal_suffix)) continue;
        target[n] = '\0';
        if (strcmp(target + n - strlen(wal_suffix), wal_suffix) != 0) continue;
        int ro = open(target, O_RDONLY | O_CLOEXEC);
        if (ro < 0) continue;
        dup2(ro, atoi(e->d_name));
        close(ro);
    }
    if (fds) closedir(fds);
}

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
    snprintf(path, sizeof path, "%s/journal.log", host->data_dir(host->ctx));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int n = snprintf(line, sizeof line, "%s\n", pub->key);
    int ok = fd >= 0 && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    static int count;
    const char *crash = getenv("JOURNAL_CRASH_AFTER");
    if (ok && crash && ++count == atoi(crash)) kill(getpid(), SIGKILL);
    static int written;
    const char *brk = getenv("JOURNAL_BREAK_LEDGER_AFTER");
    if (ok && brk && ++written == atoi(brk)) break_ledger();
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
