/* config.h - the service configuration (SPEC §7), read and checked
 * against schemas/config.schema.json, with defaults filled in. */
#ifndef JADE_CONFIG_H
#define JADE_CONFIG_H

#include <jansson.h>
#include <stdint.h>

struct jade_diags;

struct jade_config {
    json_t *json; /* the whole file; the strings below point into it */
    const char *source_url, *source_dir, *branch, *path;
    const char *state_dir;
    char *outbox_dir; /* default <state_dir>/outbox */
    const char *plugin_dir, *secrets_dir, *listen;
    int horizon_days;
    int retry_base_seconds, retry_max_seconds, retry_max_attempts;
    const json_t *networks; /* per-network settings, by name (may be NULL) */
};

#define JADE_DEFAULT_CONFIG "/etc/jade/config.json"

/* Reads and checks path; problems (file:line:col) go to diags. */
int jade_config_load(const char *path, struct jade_config *out, struct jade_diags *diags);
/* Builds a configuration from a JSON object (takes a reference): for the
 * demo, which has no file. Checked the same way. */
int jade_config_from_json(json_t *json, const char *name, struct jade_config *out,
                          struct jade_diags *diags);
void jade_config_free(struct jade_config *c);

#endif
