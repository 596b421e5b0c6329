/* config.c - reading the service configuration (see config.h). */
#include "config.h"

#include "../content/content.h"
#include "../content/schema.h"
#include "../util/buf.h"
#include "../util/embedded.h"
#include "../util/i18n.h"

#include <stdlib.h>
#include <string.h>

struct schema_ctx {
    struct jade_file *file;
    struct jade_diags *diags;
};

static void schema_error_cb(void *ctx, const char *pointer, bool at_key, const char *message)
{
    struct schema_ctx *s = ctx;
    jade_content_report(s->diags, s->file, JADE_ERROR, pointer, at_key, "%s", message);
}

static int get_int(const json_t *obj, const char *key, int fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Checks json against the configuration schema; text (may be NULL) gives
 * positions. */
static int check(json_t *json, const char *name, const char *text, struct jade_diags *diags)
{
    const struct jade_embedded *e = jade_embedded_find(jade_embedded_schemas, "config.schema.json");
    json_t *doc = json_loadb(e->data, e->size, 0, NULL);
    struct jade_buf err = {0};
    struct jade_schema *schema = jade_schema_compile(doc, "config.schema.json", &err);
    json_decref(doc);
    if (!schema) {
        jade_diags_add(diags, JADE_ERROR, name, 0, 0, NULL, "%s", jade_buf_str(&err));
        jade_buf_free(&err);
        return -1;
    }
    struct jade_file file = {
        .display = (char *)name, .text = (char *)text, .len = text ? strlen(text) : 0};
    struct schema_ctx ctx = {&file, diags};
    bool ok = jade_schema_validate(schema, json, schema_error_cb, &ctx);
    jade_schema_free(schema);
    return ok ? 0 : -1;
}

static int fill(json_t *json, struct jade_config *c)
{
    memset(c, 0, sizeof *c);
    c->json = json;
    const json_t *source = json_object_get(json, "source");
    c->source_url = get_str(source, "url");
    c->source_dir = get_str(source, "dir");
    c->branch = get_str(source, "branch") ? get_str(source, "branch") : "main";
    c->path = get_str(source, "path");
    c->state_dir = get_str(json, "state_dir");
    c->outbox_dir = get_str(json, "outbox_dir") ? jade_xstrdup(get_str(json, "outbox_dir"))
                                                : jade_xasprintf("%s/outbox", c->state_dir);
    c->plugin_dir = get_str(json, "plugin_dir");
    c->secrets_dir = get_str(json, "secrets_dir");
    c->listen = get_str(json, "listen") ? get_str(json, "listen") : "127.0.0.1:8077";
    c->horizon_days = get_int(json, "horizon_days", 14);
    const json_t *retry = json_object_get(json, "retry");
    c->retry_base_seconds = get_int(retry, "base_seconds", 30);
    c->retry_max_seconds = get_int(retry, "max_seconds", 1800);
    c->retry_max_attempts = get_int(retry, "max_attempts", 8);
    c->networks = json_object_get(json, "networks");
    return 0;
}

int jade_config_from_json(json_t *json, const char *name, struct jade_config *out,
                          struct jade_diags *diags)
{
    if (check(json, name, NULL, diags) != 0) {
        json_decref(json);
        return -1;
    }
    return fill(json, out);
}

int jade_config_load(const char *path, struct jade_config *out, struct jade_diags *diags)
{
    json_error_t jerr;
    json_t *json = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json) {
        if (jerr.line > 0)
            jade_diags_add(diags, JADE_ERROR, path, jerr.line, jerr.column, NULL,
                           _("not valid JSON: %s"), jerr.text);
        else
            jade_diags_add(diags, JADE_ERROR, path, 0, 0, NULL, _("cannot read: %s"), jerr.text);
        return -1;
    }
    /* The text again, for the positions of schema errors. */
    FILE *f = fopen(path, "rb");
    struct jade_buf text = {0};
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) jade_buf_append(&text, chunk, n);
    if (f) fclose(f);
    int rc = check(json, path, jade_buf_str(&text), diags);
    jade_buf_free(&text);
    if (rc != 0) {
        json_decref(json);
        return -1;
    }
    return fill(json, out);
}

void jade_config_free(struct jade_config *c)
{
    if (!c) return;
    json_decref(c->json);
    free(c->outbox_dir);
    memset(c, 0, sizeof *c);
}
