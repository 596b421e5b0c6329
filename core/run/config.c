/* config.c - reading the service configuration (see config.h). */
#include "config.h"

#include "../content/content.h"
#include "../content/schema.h"
#include "../util/buf.h"
#include "../util/embedded.h"
#include "../util/i18n.h"
#include "../util/url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void report_cb(void *ctx, const char *pointer, const char *message)
{
    schema_error_cb(ctx, pointer, false, message);
}

/* A URL the configuration names that plain http would reach: its host
 * must be in outbound.allow_http, or the service could not honour it. */
static void check_http_allowed(struct schema_ctx *ctx, const struct jade_outbound *o,
                               const char *pointer, const char *url)
{
    struct jade_buf why = {0};
    if (!jade_outbound_url_allowed(o, url, &why)) report_cb(ctx, pointer, jade_buf_str(&why));
    jade_buf_free(&why);
}

/* What the schema cannot say: URL prefixes, hosts and address ranges
 * that mean something. */
/* A reading's time after sending: seconds, or "90m", "24h", "7d"; -1
 * when it is neither (the schema says which forms). */
static int64_t reading_seconds(const json_t *v)
{
    if (json_is_integer(v)) return json_integer_value(v);
    const char *s = json_string_value(v);
    char *end;
    long long n = s ? strtoll(s, &end, 10) : 0;
    if (!s || n <= 0 || end == s || end[0] == '\0' || end[1] != '\0') return -1;
    int64_t unit = *end == 's'   ? 1
                   : *end == 'm' ? 60
                   : *end == 'h' ? 3600
                   : *end == 'd' ? 86400
                                 : 0;
    return unit ? n * unit : -1;
}

#define READING_MIN 60
#define READING_MAX (365 * 86400)

/* metrics.readings: each at least a minute and at most a year after
 * sending, in increasing order (the schema checked their forms). */
static void check_readings(const json_t *readings, struct schema_ctx *ctx)
{
    int64_t last = 0;
    for (size_t i = 0; i < json_array_size(readings); i++) {
        int64_t t = reading_seconds(json_array_get(readings, i));
        char *pointer = jade_xasprintf("/metrics/readings/%zu", i);
        if (t < 0) {
            /* the schema said it */
        } else if (t < READING_MIN || t > READING_MAX) {
            report_cb(ctx, pointer,
                      _("a reading is taken between a minute (60, \"1m\") and a year (\"365d\") "
                        "after sending"));
        } else if (t <= last) {
            report_cb(ctx, pointer,
                      _("readings are listed in increasing order, each once: this one is not "
                        "later than the one before"));
        }
        if (t > last) last = t;
        free(pointer);
    }
}

static bool check_values(const json_t *json, struct schema_ctx *ctx)
{
    size_t errors = ctx->diags->errors;
    check_readings(json_object_get(json_object_get(json, "metrics"), "readings"), ctx);
    const json_t *outbound_json = json_object_get(json, "outbound");
    jade_outbound_check(outbound_json, report_cb, ctx);
    struct jade_outbound outbound; /* what of it is sound */
    jade_outbound_read(outbound_json, &outbound);
    const char *secret;
    const json_t *binding;
    json_object_foreach ((json_t *)json_object_get(json, "bindings"), secret, binding) {
        const json_t *prefixes = json_object_get(binding, "url_prefixes");
        for (size_t i = 0; i < json_array_size(prefixes); i++) {
            const char *prefix = json_string_value(json_array_get(prefixes, i));
            char *pointer = jade_xasprintf("/bindings/%s/url_prefixes/%zu", secret, i);
            struct jade_url u;
            if (jade_url_parse(prefix, &u) != 0 || u.userinfo || strpbrk(prefix, "?#"))
                report_cb(ctx, pointer,
                          _("not an absolute http or https URL without user name, query or "
                            "fragment"));
            else
                check_http_allowed(ctx, &outbound, pointer, prefix);
            jade_url_free(&u);
            free(pointer);
        }
    }
    const char *network;
    const json_t *settings;
    json_object_foreach ((json_t *)json_object_get(json, "networks"), network, settings) {
        const char *base = json_string_value(json_object_get(settings, "api_base"));
        if (!base) continue;
        char *pointer = jade_xasprintf("/networks/%s/api_base", network);
        check_http_allowed(ctx, &outbound, pointer, base);
        free(pointer);
    }
    jade_outbound_free(&outbound);
    return ctx->diags->errors == errors;
}

/* Checks json against the configuration schema, then its values; text
 * (may be NULL) gives positions. */
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
    bool ok = jade_schema_validate(schema, json, schema_error_cb, &ctx) && check_values(json, &ctx);
    jade_schema_free(schema);
    return ok ? 0 : -1;
}

/* A URL or scp-style address (user@host:path), as opposed to a path. */
static bool is_remote(const char *s)
{
    if (strstr(s, "://")) return true;
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
    return colon && (!slash || colon < slash);
}

/* Makes obj[key], a relative path, relative to base (the configuration
 * file's folder). The new string lives in the JSON, like the others. */
static void resolve(json_t *obj, const char *key, const char *base, bool may_be_url)
{
    const char *v = get_str(obj, key);
    if (!v || !base || v[0] == '/' || (may_be_url && is_remote(v))) return;
    char *full = jade_xasprintf("%s/%s", base, v);
    json_object_set_new(obj, key, json_string(full));
    free(full);
}

static void resolve_paths(json_t *json, const char *base)
{
    json_t *source = json_object_get(json, "source");
    resolve(source, "dir", base, false);
    resolve(source, "url", base, true);
    resolve(source, "allowed_signers", base, false);
    static const char *const keys[] = {"state_dir", "outbox_dir", "plugin_dir", "secrets_dir"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) resolve(json, keys[i], base, false);
}

static int fill(json_t *json, const char *name, struct jade_config *c)
{
    memset(c, 0, sizeof *c);
    c->json = json;
    c->name = jade_xstrdup(name);
    const json_t *source = json_object_get(json, "source");
    c->source_url = get_str(source, "url");
    c->source_dir = get_str(source, "dir");
    c->branch = get_str(source, "branch") ? get_str(source, "branch") : "main";
    c->path = get_str(source, "path");
    c->poll_seconds = get_int(source, "poll_seconds", 60);
    c->verify_signed = get_str(source, "verify") && !strcmp(get_str(source, "verify"), "signed");
    c->allowed_signers = get_str(source, "allowed_signers");
    const json_t *cred = json_object_get(source, "credentials");
    c->git_username = get_str(cred, "username");
    c->git_password = get_str(cred, "password");
    c->git_token = get_str(cred, "token");
    c->git_ssh_key = get_str(cred, "ssh_key");
    c->git_known_hosts = get_str(cred, "known_hosts");
    c->hook_secret = get_str(source, "hook_secret");
    const char *notes = get_str(source, "notes");
    c->notes = notes           ? (!strcmp(notes, "push")    ? JADE_NOTES_PUSH
                                  : !strcmp(notes, "local") ? JADE_NOTES_LOCAL
                                                            : JADE_NOTES_OFF)
               : c->source_dir ? JADE_NOTES_OFF
                               : JADE_NOTES_LOCAL;
    c->state_dir = get_str(json, "state_dir");
    c->outbox_dir = get_str(json, "outbox_dir") ? jade_xstrdup(get_str(json, "outbox_dir"))
                                                : jade_xasprintf("%s/outbox", c->state_dir);
    c->plugin_dir = get_str(json, "plugin_dir");
    c->secrets_dir = get_str(json, "secrets_dir");
    c->listen_set = get_str(json, "listen") != NULL;
    c->listen = c->listen_set ? get_str(json, "listen") : "127.0.0.1:8077";
    c->admin_token_set = get_str(json, "admin_token") != NULL;
    c->admin_token = c->admin_token_set ? get_str(json, "admin_token") : "admin_token";
    c->horizon_days = get_int(json, "horizon_days", 14);
    c->stop_timeout_seconds = get_int(json, "stop_timeout_seconds", 20);
    const json_t *retry = json_object_get(json, "retry");
    c->retry_base_seconds = get_int(retry, "base_seconds", 30);
    c->retry_max_seconds = get_int(retry, "max_seconds", 1800);
    c->retry_max_attempts = get_int(retry, "max_attempts", 8);
    const json_t *readings = json_object_get(json_object_get(json, "metrics"), "readings");
    static const int64_t default_readings[] = {3600, 86400, 3 * 86400, 7 * 86400};
    if (!readings) {
        c->n_readings = sizeof default_readings / sizeof *default_readings;
        memcpy(c->readings, default_readings, sizeof default_readings);
    }
    for (size_t i = 0; i < json_array_size(readings) && i < JADE_MAX_READINGS; i++)
        c->readings[c->n_readings++] = reading_seconds(json_array_get(readings, i));
    c->networks = json_object_get(json, "networks");
    if (!json_object_get(json, "bindings")) json_object_set_new(json, "bindings", json_object());
    c->bindings = json_object_get(json, "bindings");
    jade_outbound_read(json_object_get(json, "outbound"), &c->outbound);
    return 0;
}

int jade_config_from_json(json_t *json, const char *name, struct jade_config *out,
                          struct jade_diags *diags)
{
    if (check(json, name, NULL, diags) != 0) {
        json_decref(json);
        return -1;
    }
    return fill(json, name, out);
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
    /* A file in the current folder needs nothing: its paths are already
     * relative to it. */
    const char *slash = strrchr(path, '/');
    if (slash) {
        char *base =
            slash == path ? jade_xstrdup("/") : jade_xstrndup(path, (size_t)(slash - path));
        resolve_paths(json, base);
        free(base);
    }
    return fill(json, path, out);
}

void jade_config_free(struct jade_config *c)
{
    if (!c) return;
    json_decref(c->json);
    free(c->name);
    free(c->outbox_dir);
    jade_outbound_free(&c->outbound);
    memset(c, 0, sizeof *c);
}

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void problem(struct jade_buf *err, const struct jade_config *c, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One line of err: the file, the field, what is wrong. */
static void problem(struct jade_buf *err, const struct jade_config *c, const char *field,
                    const char *fmt, ...)
{
    if (err->len) jade_buf_puts(err, "\n");
    jade_buf_printf(err, "%s: %s: ", c->name, field);
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(err, fmt, ap);
    va_end(ap);
}

/* True when path is inside folder (both resolved through links). */
static bool inside(const char *path, const char *folder)
{
    char *p = realpath(path, NULL), *f = realpath(folder, NULL);
    size_t n = f ? strlen(f) : 0;
    bool in = p && f && strncmp(p, f, n) == 0 && (p[n] == '/' || p[n] == '\0');
    free(p);
    free(f);
    return in;
}

int jade_config_check_disk(const struct jade_config *c, struct jade_buf *err)
{
    if (c->plugin_dir && !is_folder(c->plugin_dir))
        problem(err, c, "plugin_dir", _("%s is not a folder"), c->plugin_dir);
    if (c->secrets_dir && !is_folder(c->secrets_dir))
        problem(err, c, "secrets_dir", _("%s is not a folder"), c->secrets_dir);
    if (c->source_dir && !is_folder(c->source_dir))
        problem(err, c, "source.dir", _("%s is not a folder"), c->source_dir);
    if (c->source_dir && c->notes != JADE_NOTES_OFF)
        problem(err, c, "source.notes",
                _("git notes need a git source (source.url); a folder (source.dir) has no "
                  "commits to note: remove source.notes or set it to \"off\""));
    const char *secrets[][2] = {{"source.credentials.password", c->git_password},
                                {"source.credentials.token", c->git_token},
                                {"source.credentials.ssh_key", c->git_ssh_key},
                                {"source.credentials.known_hosts", c->git_known_hosts},
                                {"source.hook_secret", c->hook_secret},
                                {"admin_token", c->admin_token_set ? c->admin_token : NULL}};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        const char *field = secrets[i][0], *name = secrets[i][1];
        if (!name) continue;
        if (!c->secrets_dir) {
            problem(err, c, field, _("names the secret \"%s\", but there is no secrets_dir"), name);
            continue;
        }
        char *path = jade_xasprintf("%s/%s", c->secrets_dir, name);
        struct stat st;
        if (lstat(path, &st) != 0 || access(path, R_OK) != 0)
            problem(err, c, field, _("cannot read the secret %s: %s"), path, strerror(errno));
        else if (!S_ISREG(st.st_mode))
            problem(err, c, field, _("the secret %s is not a regular file"), path);
        else if (st.st_mode & 077)
            problem(err, c, field,
                    _("the secret %s has mode %04o, open to others than its owner: "
                      "chmod 600 it"),
                    path, (unsigned)(st.st_mode & 07777));
        free(path);
    }
    if (c->verify_signed) {
        const char *f = c->allowed_signers, *repo = c->source_url;
        if (repo && !strncmp(repo, "file://", 7)) repo += 7;
        if (!f)
            problem(err, c, "source.allowed_signers",
                    _("signed mode needs an allowed_signers file"));
        else if (access(f, R_OK) != 0)
            problem(err, c, "source.allowed_signers", _("cannot read %s: %s"), f, strerror(errno));
        else if (repo && !is_remote(repo) && inside(f, repo))
            problem(err, c, "source.allowed_signers",
                    _("%s is inside the content repository: whoever can push could name their "
                      "own keys; keep it with the service's configuration"),
                    f);
    }
    return err->len ? -1 : 0;
}
