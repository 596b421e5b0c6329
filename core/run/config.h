/* config.h - the service configuration (SPEC §7), read and checked
 * against schemas/config.schema.json, with defaults filled in and relative
 * paths made relative to the file's folder. What needs the plugins or the
 * disk to check (jade_config_check_*) is checked by the service at start,
 * before anything is created in the state folder. */
#ifndef JADE_CONFIG_H
#define JADE_CONFIG_H

#include "outbound.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct jade_buf;
struct jade_diags;

enum jade_notes_mode {
    JADE_NOTES_OFF,   /* none */
    JADE_NOTES_LOCAL, /* in the service's mirror (the default for a git source) */
    JADE_NOTES_PUSH,  /* and pushed to the content repository */
};

/* At most this many readings of a publication's metrics. */
#define JADE_MAX_READINGS 16

struct jade_config {
    json_t *json; /* the whole file; the strings below point into it */
    char *name;   /* the file's path, for messages */
    const char *source_url, *source_dir, *branch, *path;
    int poll_seconds;
    bool verify_signed;
    const char *allowed_signers;
    /* source.credentials: username, and the names of secrets */
    const char *git_username, *git_password, *git_token, *git_ssh_key, *git_known_hosts;
    const char *hook_secret;    /* the push webhook's secret name, or NULL */
    enum jade_notes_mode notes; /* source.notes: outcomes as git notes (source/notes.h) */
    const char *state_dir;
    char *outbox_dir; /* default <state_dir>/outbox */
    const char *plugin_dir, *secrets_dir;
    const char *listen;      /* the admin listener's address; NULL: none (the demo) */
    bool listen_set;         /* the file names a listen address (else the default) */
    const char *admin_token; /* the secret's name, "admin_token" by default */
    bool admin_token_set;    /* named in the file: it must be readable at start */
    int horizon_days;
    int stop_timeout_seconds; /* how long SIGTERM waits for answers in flight */
    int retry_base_seconds, retry_max_seconds, retry_max_attempts;
    /* metrics.readings: when each sent publication's metrics are read,
     * in seconds after it was sent, increasing; none: not read */
    int64_t readings[JADE_MAX_READINGS];
    size_t n_readings;
    const json_t *networks; /* per-network settings, by name (may be NULL) */
    const json_t *bindings; /* secret name -> {channels, url_prefixes}; never NULL */
    struct jade_outbound outbound;
};

/* <sysconfdir>/jade/config.json, as meson was set up (/etc with --prefix=/usr) */
#ifndef JADE_DEFAULT_CONFIG
#define JADE_DEFAULT_CONFIG "/etc/jade/config.json"
#endif

/* Reads and checks path; problems (file:line:col) go to diags. */
int jade_config_load(const char *path, struct jade_config *out, struct jade_diags *diags);
/* Builds a configuration from a JSON object (takes a reference): for the
 * demo, which has no file. Checked the same way. */
int jade_config_from_json(json_t *json, const char *name, struct jade_config *out,
                          struct jade_diags *diags);
void jade_config_free(struct jade_config *c);

/* What the disk must hold for the configuration to work: plugin_dir and
 * secrets_dir are folders, the secrets source.credentials and hook_secret
 * name are readable, allowed_signers is a readable file outside the
 * content repository. Each problem is one line in err, naming the field;
 * -1 when there is any. Creates nothing. */
int jade_config_check_disk(const struct jade_config *c, struct jade_buf *err);

#endif
