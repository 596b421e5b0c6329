/* host.h - network plugins at work: an instance of each loaded plugin, and
 * the host table through which it reaches the world (HTTP on the loop,
 * secrets, logs, the clock, its settings).
 *
 * Secrets are files of the secrets folder, named like an id, readable by
 * the service alone; each is read again at most every 10 seconds, so a
 * rotated secret is soon in use. */
#ifndef JADE_HOST_H
#define JADE_HOST_H

#include "../jade-plugin.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct jade_buf;
struct jade_clock;
struct jade_http;
struct jade_log;
struct jade_plugins;

/* What every instance shares; owned by the service, which outlives them. */
struct jade_host_env {
    struct jade_http *http; /* NULL once the service has closed it */
    const struct jade_clock *clock;
    uv_loop_t *loop;         /* for work() */
    const char *state_dir;   /* plugins' data folders are made in it; or NULL */
    const char *secrets_dir; /* or NULL */
    const char *outbox_dir;  /* the outbox network's "dir" by default */
    const struct jade_log *log;
    /* Records a plugin's late outcome (host late()) for the occurrence
     * key; 0 when queued. NULL: none can be. */
    int (*late)(void *late_ctx, const char *network, const char *key, const char *message);
    void *late_ctx;
};

struct jade_cached_secret;
struct jade_later;

struct jade_instance {
    const struct jade_plugin *plugin; /* borrowed from the loaded plugins */
    void *state;                      /* what the plugin's init made */
    struct jade_host host;            /* its ctx is this instance */
    const struct jade_host_env *env;
    const json_t *settings;     /* networks.<name> of the configuration, or NULL */
    json_t *setting_text;       /* settings that are not strings, as text */
    unsigned concurrency;       /* requests in flight per channel */
    char *data_dir;             /* <state_dir>/plugins/<name>, or NULL */
    struct jade_later *pending; /* the plugin's calls for later, not yet due */
    bool quiet;                 /* the service stops: no more calls for later */
    struct jade_cached_secret *secrets;
    size_t n_secrets;
};

/* At most this many requests in flight per channel. */
#define JADE_MAX_CONCURRENCY 64

/* Starts an instance of each loaded plugin, with its settings from
 * networks (the configuration's object, or NULL). A plugin whose init
 * fails is reported and left out. *out is malloc'd. */
void jade_instances_start(const struct jade_plugins *plugins, const json_t *networks,
                          const struct jade_host_env *env, struct jade_instance **out,
                          size_t *count);
/* Stops them (the plugins' fini), wipes their secrets, frees items. */
void jade_instances_stop(struct jade_instance *items, size_t count);
/* Drops the plugins' pending calls for later, and refuses new ones: the
 * loop can end (the service stops). */
void jade_instances_quiet(struct jade_instance *items, size_t count);
/* The instance for a network name, or NULL. */
struct jade_instance *jade_instance_find(struct jade_instance *items, size_t count,
                                         const char *network);

/* Reads the secret name of dir into out (NUL-terminated, one final line
 * end, "\n" or "\r\n", dropped); returns its length, or -1 with the reason
 * in err (out then holds ""). Refuses a name that is not a plain file
 * name, a link, a file readable by others than its owner, an empty secret
 * and one holding a NUL byte. */
int jade_secret_read(const char *dir, const char *name, char *out, size_t out_size,
                     struct jade_buf *err);

#endif
