/* fetch-tool.c - jade_fetch from the command line, for tests/integration/fetch.sh.
 *
 * usage: fetch-tool URL BRANCH MIRROR [--user U] [--password-file F]
 *                   [--key K] [--known-hosts H] [--threads N]
 * Prints the tip's id and exits 0, or prints the error and exits 1 (2 for
 * a usage error). The password comes from a file so that it never shows in
 * a process listing. --threads N runs N fetches at once, into MIRROR.0 to
 * MIRROR.N-1, as the service's thread pool may: all must agree. */
#include "source/fetch.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    const char *url, *branch;
    char *mirror;
    const struct jade_fetch_credentials *cred;
    git_oid tip;
    struct jade_buf err;
    int rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    j->rc = jade_fetch(j->url, j->branch, j->mirror, j->cred, &j->tip, &j->err);
    return NULL;
}

/* n fetches at once; 0 and *tip when all gave the same tip. */
static int fetch_in_threads(const char *url, const char *branch, const char *mirror,
                            const struct jade_fetch_credentials *cred, int n, git_oid *tip,
                            struct jade_buf *err)
{
    struct job *jobs = jade_xcalloc((size_t)n, sizeof *jobs);
    pthread_t *threads = jade_xcalloc((size_t)n, sizeof *threads);
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){url, branch, jade_xasprintf("%s.%d", mirror, i), cred};
        pthread_create(&threads[i], NULL, run_job, &jobs[i]);
    }
    int rc = 0;
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < n; i++) {
        if (jobs[i].rc != 0) {
            jade_buf_printf(err, "%s%s", rc ? "\n" : "", jade_buf_str(&jobs[i].err));
            rc = -1;
        } else if (!git_oid_equal(&jobs[i].tip, &jobs[0].tip)) {
            jade_buf_printf(err, "%sthread %d got another tip", rc ? "\n" : "", i);
            rc = -1;
        }
        jade_buf_free(&jobs[i].err);
        free(jobs[i].mirror);
    }
    if (rc == 0) git_oid_cpy(tip, &jobs[0].tip);
    free(jobs);
    free(threads);
    return rc;
}

static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct jade_buf b = {0};
    char chunk[512];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) jade_buf_append(&b, chunk, n);
    fclose(f);
    while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        jade_buf_truncate(&b, b.len - 1);
    return b.data ? jade_buf_steal(&b) : strdup("");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: fetch-tool URL BRANCH MIRROR [--user U] [--password-file F] [--key K] "
              "[--known-hosts H] [--threads N]\n",
              stderr);
        return 2;
    }
    struct jade_fetch_credentials cred = {0};
    char *password = NULL;
    int threads = 0;
    for (int i = 4; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) {
            fprintf(stderr, "fetch-tool: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--user") == 0) {
            cred.username = value;
        } else if (strcmp(argv[i], "--password-file") == 0) {
            free(password);
            password = read_secret(value);
            if (!password) {
                fprintf(stderr, "fetch-tool: cannot read %s\n", value);
                return 2;
            }
            cred.password = password;
        } else if (strcmp(argv[i], "--key") == 0) {
            cred.ssh_key_path = value;
        } else if (strcmp(argv[i], "--known-hosts") == 0) {
            cred.known_hosts_path = value;
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = atoi(value);
        } else {
            fprintf(stderr, "fetch-tool: unknown option %s\n", argv[i]);
            free(password);
            return 2;
        }
        i++;
    }
    git_oid tip;
    struct jade_buf err = {0};
    int rc = threads > 0 ? fetch_in_threads(argv[1], argv[2], argv[3], &cred, threads, &tip, &err)
                         : jade_fetch(argv[1], argv[2], argv[3], &cred, &tip, &err);
    if (rc == 0) {
        char hex[GIT_OID_HEXSZ + 1];
        puts(git_oid_tostr(hex, sizeof hex, &tip));
    } else {
        fprintf(stderr, "%s\n", jade_buf_str(&err));
    }
    jade_buf_free(&err);
    free(password);
    return rc == 0 ? 0 : 1;
}
