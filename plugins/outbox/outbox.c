/* outbox.c - the outbox network: each publication becomes a JSON file.
 *
 * <outbox_dir>/<account.folder>/<key>.json, written atomically (a temporary
 * file, fsync, rename, fsync of the folder), so a reader never sees half a
 * file and a crash never leaves one. Named by the occurrence key, it is
 * idempotent by construction: publishing the same key again finds the file
 * and reports it sent. For demos, dry runs, and networks without an API
 * (WhatsApp Channels, groups), where ambassadors share by hand.
 * A retraction moves the file into a retracted/ folder beside it. */
#include "jade-plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outbox {
    const struct jade_host *host;
};

static int outbox_init(const struct jade_host *host, void **instance)
{
    struct outbox *o = calloc(1, sizeof *o);
    if (!o) return -1;
    o->host = host;
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
    const char *root = o->host->outbox_dir(o->host->ctx);
    json_t *account;
    const char *folder = folder_of(pub->account_json, &account);
    if (root && folder) snprintf(dir, size, "%s/%s", root, folder);
    json_decref(account);
    if (root && folder) return 0;
    finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL,
           "the channel's account has no usable \"folder\"");
    return -1;
}

static void outbox_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                           void *token)
{
    struct outbox *o = instance;
    const char *root = o->host->outbox_dir(o->host->ctx);
    char dir[4096], path[4200], tmp[4300], url[4300], message[8600];
    if (channel_dir(o, pub, dir, sizeof dir, done, token) != 0) return;
    snprintf(path, sizeof path, "%s/%s.json", dir, pub->key);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(url, sizeof url, "file://%s", path);
    if (access(path, F_OK) == 0) { /* published before: the same key, the same file */
        finish(done, token, JADE_OUTCOME_SENT, pub->key, url, NULL);
        return;
    }
    mkdir(root, 0755);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(message, sizeof message, "cannot create %s: %s", dir, strerror(errno));
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, message);
        return;
    }
    char *body = body_of(pub);
    int fd = body ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    int rc = fd < 0 ? -1 : write_all(fd, body, strlen(body));
    if (rc == 0) rc = write_all(fd, "\n", 1);
    if (rc == 0) rc = fsync(fd);
    if (fd >= 0) close(fd);
    if (rc == 0) rc = rename(tmp, path);
    if (rc == 0) rc = fsync_dir(dir);
    free(body);
    if (rc != 0) {
        snprintf(message, sizeof message, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, message);
        return;
    }
    finish(done, token, JADE_OUTCOME_SENT, pub->key, url, NULL);
}

/* After a crash the file says whether it was written. */
static void outbox_lookup(void *instance, const struct jade_publication *pub, jade_done_cb done,
                          void *token)
{
    struct outbox *o = instance;
    json_t *account;
    const char *folder = folder_of(pub->account_json, &account);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s.json", o->host->outbox_dir(o->host->ctx),
             folder ? folder : "", pub->key);
    json_decref(account);
    if (folder && access(path, F_OK) == 0)
        finish(done, token, JADE_OUTCOME_SENT, pub->key, NULL, NULL);
    else
        finish(done, token, JADE_OUTCOME_NOT_FOUND, NULL, NULL, NULL);
}

/* A retraction: the file moves into <folder>/retracted/, so whoever shares
 * by hand sees it is withdrawn; done again, it finds it moved already. */
static void outbox_remove(void *instance, const struct jade_publication *pub,
                          const char *network_id, jade_done_cb done, void *token)
{
    (void)network_id;
    char dir[4096], gone[4200], path[4200], moved[4400], message[8800];
    if (channel_dir(instance, pub, dir, sizeof dir, done, token) != 0) return;
    snprintf(gone, sizeof gone, "%s/retracted", dir);
    snprintf(path, sizeof path, "%s/%s.json", dir, pub->key);
    snprintf(moved, sizeof moved, "%s/%s.json", gone, pub->key);
    if (access(path, F_OK) != 0) { /* moved before, or never there: nothing left */
        finish(done, token, JADE_OUTCOME_SENT, pub->key, NULL, NULL);
        return;
    }
    int rc = mkdir(gone, 0755) == 0 || errno == EEXIST ? 0 : -1;
    if (rc == 0) rc = rename(path, moved);
    if (rc == 0) rc = fsync_dir(gone);
    if (rc == 0) rc = fsync_dir(dir);
    if (rc != 0) {
        snprintf(message, sizeof message, "cannot move %s into %s: %s", path, gone,
                 strerror(errno));
        finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, message);
        return;
    }
    char url[4500];
    snprintf(url, sizeof url, "file://%s", moved);
    finish(done, token, JADE_OUTCOME_SENT, pub->key, url, NULL);
}

static const char *const media_types[] = {"image/jpeg", "image/png", "image/gif",
                                          "image/webp", "video/mp4", "video/quicktime",
                                          "video/webm", NULL};

static const struct jade_plugin outbox_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "outbox",
    .description = "writes each publication as a JSON file in the outbox folder",
    .limits = {.text_max = 0,
               .counting = JADE_COUNT_CODEPOINTS,
               .media_max = 10,
               .media_bytes_max = 0,
               .media_types = media_types},
    .capabilities = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_LOOKUP | JADE_CAP_DELETE,
    .rate_per_minute = 0,
    .init = outbox_init,
    .publish = outbox_publish,
    .lookup = outbox_lookup,
    .remove = outbox_remove,
    .fini = outbox_fini,
};

JADE_PLUGIN_EXPORT(outbox_plugin)
