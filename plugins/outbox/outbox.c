/* outbox.c - the outbox network: each publication becomes a JSON file.
 *
 * <dir>/<account.folder>/<key>.json (dir: the network's "dir" setting, by
 * default the service's outbox_dir), written atomically (a temporary file,
 * fsync, rename, fsync of the folder) on a worker thread, so a reader never
 * sees half a file, a crash never leaves one, and the loop never waits. Named by the occurrence
 * key, it is idempotent by construction: publishing the same key again finds the file and reports
 * it sent. For demos, dry runs, and networks without an API (WhatsApp Channels, groups), where
 * ambassadors share by hand. A retraction moves the file into a retracted/ folder beside it. */
#include "jade-plugin.h"
#include "../common/plugin-util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outbox {
    const struct jade_host *host;
    bool simulated_metrics; /* the test double: see outbox_metrics */
};

static int outbox_init(const struct jade_host *host, void **instance)
{
    struct outbox *o = calloc(1, sizeof *o);
    if (!o) return -1;
    o->host = host;
    const char *simulated = host->setting(host->ctx, "simulated_metrics");
    o->simulated_metrics = simulated && !strcmp(simulated, "true");
    *instance = o;
    return 0;
}

static void outbox_fini(void *instance)
{
    free(instance);
}

static void finish(jade_done_cb done, void *token, enum jade_outcome outcome, const char *id,
                   const char *url, const char *message)
{
    struct jade_result r = {sizeof r, outcome, id, url, 0, message};
    done(token, &r);
}

/* A folder name from channels.json: one path component, no dots first. */
static const char *folder_of(const char *account_json, json_t **account)
{
    *account = json_loads(account_json ? account_json : "{}", 0, NULL);
    const char *folder = json_string_value(json_object_get(*account, "folder"));
    if (!folder || !*folder || folder[0] == '.' || strchr(folder, '/')) return NULL;
    return folder;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static char *body_of(const struct jade_publication *pub)
{
    json_t *media = json_array();
    for (size_t i = 0; i < pub->n_media; i++)
        json_array_append_new(media, json_string(pub->media[i]));
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:s}", "key", pub->key, "campaign",
                  pub->campaign, "post", pub->post, "channel", pub->channel, "lang", pub->lang,
                  "text", pub->text, "media", media, "link", pub->link, "due", pub->due);
    char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

/* The channel's folder in the outbox, into dir; -1 (and done called) when
 * its account names none. */
static int channel_dir(struct outbox *o, const struct jade_publication *pub, char *dir, size_t size,
                       jade_done_cb done, void *token)
{
    const char *root = o->host->setting(o->host->ctx, "dir");
    json_t *account;
    const char *folder = folder_of(pub->account_json, &account);
    if (root && folder) snprintf(dir, size, "%s/%s", root, folder);
    json_decref(account);
    if (root && folder) return 0;
    finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL,
           _("the channel's account has no usable \"folder\""));
    return -1;
}

/* One write or move, done on a worker thread (host->work): the file
 * system may block, the loop must not. */
struct job {
    jade_done_cb done;
    void *token;
    char *key, *dir, *path, *moved, *body; /* body: publish; moved: remove */
    int outcome;
    char message[8800];
};

static void job_free(struct job *j)
{
    free(j->key);
    free(j->dir);
    free(j->path);
    free(j->moved);
    free(j->body);
    free(j);
}

static void write_file(struct job *j)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->path);
    if (access(j->path, F_OK) == 0) { /* published before: the same key, the same file */
        j->outcome = JADE_OUTCOME_SENT;
        return;
    }
    char *slash = strrchr(j->dir, '/');
    if (slash) { /* the outbox itself, then the channel's folder */
        *slash = '\0';
        mkdir(j->dir, 0755);
        *slash = '/';
    }
    if (mkdir(j->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(j->message, sizeof j->message, _("cannot create %s: %s"), j->dir, strerror(errno));
        j->outcome = JADE_OUTCOME_TRANSIENT;
        return;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : write_all(fd, j->body, strlen(j->body));
    if (rc == 0) rc = write_all(fd, "\n", 1);
    if (rc == 0) rc = fsync(fd);
    if (fd >= 0) close(fd);
    if (rc == 0) rc = rename(tmp, j->path);
    if (rc == 0) rc = fsync_dir(j->dir);
    if (rc != 0) {
        snprintf(j->message, sizeof j->message, _("cannot write %s: %s"), j->path, strerror(errno));
        unlink(tmp);
        j->outcome = JADE_OUTCOME_TRANSIENT;
        return;
    }
    j->outcome = JADE_OUTCOME_SENT;
}

/* A retraction: the file moves into <folder>/retracted/, so whoever shares
 * by hand sees it is withdrawn; done again, it finds it moved already. */
static void move_file(struct job *j)
{
    j->outcome = JADE_OUTCOME_SENT;
    if (access(j->path, F_OK) != 0) { /* moved before, or never there: nothing left */
        free(j->moved);
        j->moved = NULL;
        return;
    }
    char gone[4200];
    snprintf(gone, sizeof gone, "%s/retracted", j->dir);
    int rc = mkdir(gone, 0755) == 0 || errno == EEXIST ? 0 : -1;
    if (rc == 0) rc = rename(j->path, j->moved);
    if (rc == 0) rc = fsync_dir(gone);
    if (rc == 0) rc = fsync_dir(j->dir);
    if (rc != 0) {
        snprintf(j->message, sizeof j->message, _("cannot move %s into %s: %s"), j->path, gone,
                 strerror(errno));
        j->outcome = JADE_OUTCOME_TRANSIENT;
    }
}

static void job_run(void *arg)
{
    struct job *j = arg;
    if (j->body)
        write_file(j);
    else
        move_file(j);
}

static void job_after(void *arg)
{
    struct job *j = arg;
    char url[4300];
    const char *shown = j->body ? j->path : j->moved;
    if (shown) snprintf(url, sizeof url, "file://%s", shown);
    bool sent = j->outcome == JADE_OUTCOME_SENT;
    finish(j->done, j->token, (enum jade_outcome)j->outcome, sent ? j->key : NULL,
           sent && shown ? url : NULL, sent ? NULL : j->message);
    job_free(j);
}

/* Off the loop when the core offers work(), else here. */
static void start(struct outbox *o, struct job *j)
{
    const struct jade_host *h = o->host;
    if (JADE_HAS_MEMBER(h, struct jade_host, work) && h->work &&
        h->work(h->ctx, job_run, job_after, j) == 0)
        return;
    job_run(j);
    job_after(j);
}

static struct job *job_new(struct outbox *o, const struct jade_publication *pub, jade_done_cb done,
                           void *token)
{
    char dir[4096];
    if (channel_dir(o, pub, dir, sizeof dir, done, token) != 0) return NULL;
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, _("out of memory"));
        return NULL;
    }
    j->done = done;
    j->token = token;
    j->key = strdup(pub->key);
    j->dir = strdup(dir);
    size_t n = strlen(dir) + strlen(pub->key) + 32;
    j->path = malloc(n);
    if (j->path) snprintf(j->path, n, "%s/%s.json", dir, pub->key);
    return j;
}

static void outbox_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                           void *token)
{
    struct job *j = job_new(instance, pub, done, token);
    if (!j) return;
    j->body = body_of(pub);
    if (!j->key || !j->dir || !j->path || !j->body) {
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, _("out of memory"));
        job_free(j);
        return;
    }
    start(instance, j);
}

/* After a crash the file says whether it was written. */
static void outbox_lookup(void *instance, const struct jade_publication *pub, jade_done_cb done,
                          void *token)
{
    struct outbox *o = instance;
    json_t *account;
    const char *folder = folder_of(pub->account_json, &account);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s.json", o->host->setting(o->host->ctx, "dir"),
             folder ? folder : "", pub->key);
    json_decref(account);
    if (folder && access(path, F_OK) == 0)
        finish(done, token, JADE_OUTCOME_SENT, pub->key, NULL, NULL);
    else
        finish(done, token, JADE_OUTCOME_NOT_FOUND, NULL, NULL, NULL);
}

static void outbox_remove(void *instance, const struct jade_publication *pub,
                          const char *network_id, jade_done_cb done, void *token)
{
    (void)network_id;
    struct job *j = job_new(instance, pub, done, token);
    if (!j) return;
    size_t n = strlen(j->dir ? j->dir : "") + strlen(pub->key) + 32;
    j->moved = malloc(n);
    if (!j->key || !j->dir || !j->path || !j->moved) {
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, _("out of memory"));
        job_free(j);
        return;
    }
    snprintf(j->moved, n, "%s/retracted/%s.json", j->dir, pub->key);
    start(instance, j);
}

/* A metrics TEST DOUBLE, off unless networks.outbox.simulated_metrics is
 * true (the demo turns it on): no one reads an outbox's files, so these
 * figures are made up, the same for the same key and reading, and rising
 * with the reading, for demos and tests of the follow-up and the report.
 * They are not a measure of anything. */
static void outbox_metrics(void *instance, const struct jade_publication *pub,
                           const char *network_id, jade_metrics_cb done, void *token)
{
    (void)instance, (void)network_id;
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the key */
    for (const char *c = pub->key; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    int64_t hours = 1;
    if (JADE_HAS_MEMBER(pub, struct jade_publication, reading) && pub->reading >= 3600)
        hours = pub->reading / 3600;
    int64_t first = 40 + (int64_t)(h % 160);                 /* views in the first hour */
    int64_t views = first * (4 * hours + 24) / (hours + 24); /* rising, levelling off */
    int64_t reactions = views * (3 + (int64_t)(h >> 16 & 7)) / 100;
    int64_t shares = reactions / 4;
    struct jade_metric m[] = {{"simulated_views", views},
                              {"simulated_reactions", reactions},
                              {"simulated_shares", shares},
                              {"reach", views * 3 / 4},
                              {"engagement", reactions + shares}};
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, NULL, NULL, 0, NULL};
    done(token, &r, m, sizeof m / sizeof *m);
}

static uint32_t outbox_capabilities(void *instance)
{
    const struct outbox *o = instance;
    uint32_t caps = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_LOOKUP | JADE_CAP_DELETE;
    return o->simulated_metrics ? caps | JADE_CAP_METRICS : caps;
}

static const char *const media_types[] = {"image/jpeg", "image/png", "image/gif",
                                          "image/webp", "video/mp4", "video/quicktime",
                                          "video/webm", NULL};

static const struct jade_plugin_limits outbox_limits = {
    .struct_size = sizeof(struct jade_plugin_limits),
    .counting = JADE_COUNT_CODEPOINTS,
    .media_max = 10,
    .media_types = media_types,
};

static const struct jade_plugin outbox_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "outbox",
    .description = N_("writes each publication as a JSON file in the outbox folder"),
    .limits = &outbox_limits,
    .capabilities = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_LOOKUP | JADE_CAP_DELETE,
    .account_schema = "{\"type\": \"object\", \"required\": [\"folder\"],"
                      " \"properties\": {\"folder\": {\"type\": \"string\","
                      " \"pattern\": \"^[^./][^/]*$\"}}}",
    .init = outbox_init,
    .publish = outbox_publish,
    .lookup = outbox_lookup,
    .remove = outbox_remove,
    .metrics = outbox_metrics,
    .fini = outbox_fini,
    .instance_capabilities = outbox_capabilities,
};

JADE_PLUGIN_EXPORT(outbox_plugin)
