/* host.c - plugin instances and their host table (see host.h). */
#include "host.h"

#include "clock.h"
#include "http.h"
#include "plugins.h"
#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/log.h"
#include "../util/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define SECRET_TTL_NS 10000000000ull /* a changed secret is read again within 10 s */
/* A secret can be a list (WhatsApp's recipients: thousands of numbers). */
#define SECRET_MAX (1u << 20)

struct jade_cached_secret {
    char *name, *value;
    int len; /* -1: unreadable at the last read */
    uint64_t read_ns;
};

/* A plugin's words, as an event of the service's log. */
static void host_log(void *ctx, int level, const char *message)
{
    struct jade_instance *n = ctx;
    if (level < JADE_LOG_ERROR || level > JADE_LOG_DEBUG) level = JADE_LOG_DEBUG;
    jade_log(n->env->log, (enum jade_log_level)level, "plugin", "network", n->plugin->name, "msg",
             message, NULL);
}

static int host_http(void *ctx, const struct jade_http_request *req, jade_http_cb cb, void *arg)
{
    struct jade_instance *n = ctx;
    if (req && jade_http_parts_and_body(req)) {
        jade_log(n->env->log, JADE_LOG_ERROR, "http_refused", "network", n->plugin->name, "msg",
                 _("the plugin asked for a request with both a body and multipart parts: not "
                   "sent"),
                 NULL);
        return -1;
    }
    return n->env->http ? jade_http_request(n->env->http, req, cb, arg) : -1;
}

int jade_secret_read(const char *dir, const char *name, char *out, size_t out_size,
                     struct jade_buf *err)
{
    if (!out || out_size < 2) return -1;
    out[0] = '\0';
    if (!dir) {
        jade_buf_printf(err, _("secret \"%s\": the configuration names no secrets_dir"), name);
        return -1;
    }
    if (!name || !*name || strchr(name, '/') || name[0] == '.') {
        jade_buf_printf(err, _("\"%s\" is not a secret's name"), name ? name : "");
        return -1;
    }
    char *path = jade_xasprintf("%s/%s", dir, name);
    /* O_NONBLOCK: a FIFO put there must not hold the loop */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    int len = -1;
    if (fd < 0 && errno == ENOENT) {
        jade_buf_printf(err, _("secret %s is missing: write it there, mode 0600"), path);
    } else if (fd < 0 && errno == ELOOP) {
        jade_buf_printf(
            err, _("secret %s refused: it is a symbolic link; put the file itself there"), path);
    } else if (fd < 0 || fstat(fd, &st) != 0) {
        jade_buf_printf(err, _("cannot read secret %s: %s"), path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        jade_buf_printf(err, _("secret %s refused: it is not a regular file"), path);
    } else if (st.st_mode & 077) {
        jade_buf_printf(err,
                        _("secret %s refused: its mode is %04o; it must be 0600 or stricter "
                          "(chmod 600 it)"),
                        path, (unsigned)(st.st_mode & 07777));
    } else {
        ssize_t got = read(fd, out, out_size - 1);
        if (got < 0) {
            jade_buf_printf(err, _("cannot read secret %s: %s"), path, strerror(errno));
        } else if ((size_t)got >= out_size - 1) {
            jade_buf_printf(err, _("secret %s is too long (at most %zu bytes)"), path,
                            out_size - 2);
        } else {
            /* One line end, as editors add it, is not part of the secret. */
            if (got > 0 && out[got - 1] == '\n') got--;
            if (got > 0 && out[got - 1] == '\r') got--;
            if (memchr(out, '\0', (size_t)got))
                jade_buf_printf(err, _("secret %s refused: it holds a NUL byte"), path);
            else if (got == 0)
                jade_buf_printf(err, _("secret %s refused: it is empty"), path);
            else
                len = (int)got;
            out[got] = '\0';
        }
    }
    if (len < 0) explicit_bzero(out, out_size); /* nothing of a refused secret stays */
    if (fd >= 0) close(fd);
    free(path);
    return len;
}

/* Plugins ask for a secret at every publication: each is read again only
 * once its copy is SECRET_TTL_NS old. */
static int host_secret(void *ctx, const char *name, char *out, size_t out_size)
{
    struct jade_instance *n = ctx;
    if (!name || !out || !out_size) return -1;
    struct jade_cached_secret *sec = NULL;
    for (size_t i = 0; i < n->n_secrets && !sec; i++)
        if (!strcmp(n->secrets[i].name, name)) sec = &n->secrets[i];
    uint64_t t = uv_hrtime();
    if (!sec || t - sec->read_ns > SECRET_TTL_NS) {
        char *value = jade_xcalloc(1, SECRET_MAX);
        struct jade_buf err = {0};
        int len = jade_secret_read(n->env->secrets_dir, name, value, SECRET_MAX, &err);
        if (len < 0)
            jade_log(n->env->log, JADE_LOG_ERROR, "secret", "network", n->plugin->name, "error",
                     jade_buf_str(&err), NULL);
        jade_buf_free(&err);
        if (!sec) {
            n->secrets = jade_xrealloc(n->secrets, (n->n_secrets + 1) * sizeof *n->secrets);
            sec = &n->secrets[n->n_secrets++];
            *sec = (struct jade_cached_secret){.name = jade_xstrdup(name)};
        }
        if (sec->value) explicit_bzero(sec->value, (size_t)sec->len);
        free(sec->value);
        sec->value = len >= 0 ? jade_xstrndup(value, (size_t)len) : NULL;
        sec->len = len;
        sec->read_ns = t;
        explicit_bzero(value, SECRET_MAX);
        free(value);
    }
    if (sec->len < 0 || (size_t)sec->len >= out_size) return -1;
    memcpy(out, sec->value, (size_t)sec->len + 1);
    return sec->len;
}

/* What a network reported later about a publication: logged, and an
 * event of the occurrence through the service's writer. */
static int host_late(void *ctx, const char *key, const char *message)
{
    struct jade_instance *n = ctx;
    if (!key || !*key || !message) return -1;
    char excerpt[300]; /* as an answer's words are kept: one line, no control characters */
    jade_excerpt(message, excerpt, sizeof excerpt);
    jade_log(n->env->log, JADE_LOG_WARNING, "late", "network", n->plugin->name, "key", key, "msg",
             excerpt, NULL);
    return n->env->late ? n->env->late(n->env->late_ctx, n->plugin->name, key, excerpt) : -1;
}

static int64_t host_now(void *ctx)
{
    struct jade_instance *n = ctx;
    return jade_clock_now(n->env->clock);
}

static const char *host_setting(void *ctx, const char *name)
{
    struct jade_instance *n = ctx;
    const json_t *v = json_object_get(n->settings, name);
    if (!v && name && !strcmp(name, "dir") && !strcmp(n->plugin->name, "outbox"))
        return n->env->outbox_dir;
    if (!v || json_is_string(v)) return json_string_value(v);
    /* Numbers and booleans as text, kept so the pointer stays valid. */
    json_t *text = json_object_get(n->setting_text, name);
    if (!text) {
        char *dumped = json_dumps(v, JSON_ENCODE_ANY);
        json_object_set_new(n->setting_text, name, text = json_string(dumped ? dumped : ""));
        free(dumped);
    }
    return json_string_value(text);
}

/* Blocking work on libuv's thread pool, then its end on the loop. */
struct work {
    uv_work_t req;
    jade_work_fn run;
    jade_after_work_fn after;
    void *arg;
};

static void work_run_cb(uv_work_t *req)
{
    struct work *w = req->data;
    w->run(w->arg);
}

static void work_after_cb(uv_work_t *req, int status)
{
    (void)status; /* never cancelled: the service lets queued work finish */
    struct work *w = req->data;
    if (w->after) w->after(w->arg);
    free(w);
}

static int host_work(void *ctx, jade_work_fn run, jade_after_work_fn after, void *arg)
{
    struct jade_instance *n = ctx;
    if (!run || !n->env->loop) return -1;
    struct work *w = jade_xcalloc(1, sizeof *w);
    *w = (struct work){.run = run, .after = after, .arg = arg};
    w->req.data = w;
    if (uv_queue_work(n->env->loop, &w->req, work_run_cb, work_after_cb) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* A plugin's call for later: one timer each, in its instance's list until
 * it fires or the instance is quieted. */
struct jade_later {
    uv_timer_t timer;
    jade_after_work_fn cb;
    void *arg;
    struct jade_instance *owner;
    struct jade_later *prev, *next;
};

static void later_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

static void later_unlink(struct jade_later *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        l->owner->pending = l->next;
    if (l->next) l->next->prev = l->prev;
    uv_close((uv_handle_t *)&l->timer, later_closed_cb);
}

static void later_cb(uv_timer_t *t)
{
    struct jade_later *l = t->data;
    jade_after_work_fn cb = l->cb;
    void *arg = l->arg;
    later_unlink(l);
    cb(arg);
}

static int host_later(void *ctx, uint32_t delay_ms, jade_after_work_fn cb, void *arg)
{
    struct jade_instance *n = ctx;
    if (!cb || !n->env->loop || n->quiet) return -1;
    struct jade_later *l = jade_xcalloc(1, sizeof *l);
    *l = (struct jade_later){.cb = cb, .arg = arg, .owner = n, .next = n->pending};
    uv_timer_init(n->env->loop, &l->timer);
    l->timer.data = l;
    if (n->pending) n->pending->prev = l;
    n->pending = l;
    uv_timer_start(&l->timer, later_cb, delay_ms, 0);
    return 0;
}

void jade_instances_quiet(struct jade_instance *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        items[i].quiet = true;
        while (items[i].pending) later_unlink(items[i].pending);
    }
}

/* <state_dir>/plugins/<name>, made 0700 (state folder included) when the
 * plugin first asks; NULL (and a log) when it cannot be. */
static const char *host_data_dir(void *ctx)
{
    struct jade_instance *n = ctx;
    const struct jade_host_env *env = n->env;
    if (n->data_dir || !env->state_dir) return n->data_dir;
    char *parent = jade_xasprintf("%s/plugins", env->state_dir);
    char *dir = jade_xasprintf("%s/%s", parent, n->plugin->name);
    struct stat st;
    if ((mkdir(env->state_dir, 0700) == 0 || errno == EEXIST) &&
        (mkdir(parent, 0700) == 0 || errno == EEXIST) &&
        (mkdir(dir, 0700) == 0 || errno == EEXIST) && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        n->data_dir = dir;
    } else {
        char *why = jade_xasprintf(_("cannot make the plugin's folder %s: %s"), dir,
                                   strerror(errno ? errno : ENOTDIR));
        jade_log(env->log, JADE_LOG_ERROR, "plugin_dir", "network", n->plugin->name, "error", why,
                 NULL);
        free(why);
        free(dir);
    }
    free(parent);
    return n->data_dir;
}

void jade_instances_start(const struct jade_plugins *plugins, const json_t *networks,
                          const struct jade_host_env *env, struct jade_instance **out,
                          size_t *count)
{
    struct jade_instance *items = jade_xcalloc(plugins->count + 1, sizeof *items);
    size_t n_items = 0;
    for (size_t i = 0; i < plugins->count; i++) {
        struct jade_instance *n = &items[n_items];
        n->plugin = plugins->items[i].plugin;
        n->env = env;
        n->settings = json_object_get(networks, n->plugin->name);
        n->setting_text = json_object();
        const json_t *conc = json_object_get(n->settings, "concurrency");
        n->concurrency = json_is_integer(conc) ? (unsigned)json_integer_value(conc) : 1;
        if (n->concurrency < 1 || n->concurrency > JADE_MAX_CONCURRENCY) n->concurrency = 1;
        n->host = (struct jade_host){.abi_version = JADE_PLUGIN_ABI_VERSION,
                                     .struct_size = sizeof n->host,
                                     .ctx = n,
                                     .http = host_http,
                                     .secret = host_secret,
                                     .log = host_log,
                                     .now = host_now,
                                     .setting = host_setting,
                                     .work = host_work,
                                     .data_dir = host_data_dir,
                                     .later = host_later,
                                     .late = host_late};
        if (n->plugin->init(&n->host, &n->state) != 0) {
            jade_log(env->log, JADE_LOG_ERROR, "plugin_failed", "network", n->plugin->name, "msg",
                     _("the plugin failed to start: its channels cannot publish"), NULL);
            json_decref(n->setting_text);
            free(n->data_dir);
            continue;
        }
        n_items++;
    }
    *out = items;
    *count = n_items;
}

void jade_instances_stop(struct jade_instance *items, size_t count)
{
    jade_instances_quiet(items, count);
    for (size_t i = 0; i < count; i++) {
        struct jade_instance *n = &items[i];
        n->plugin->fini(n->state);
        json_decref(n->setting_text);
        free(n->data_dir);
        for (size_t j = 0; j < n->n_secrets; j++) {
            free(n->secrets[j].name);
            if (n->secrets[j].value) explicit_bzero(n->secrets[j].value, (size_t)n->secrets[j].len);
            free(n->secrets[j].value);
        }
        free(n->secrets);
    }
    free(items);
}

struct jade_instance *jade_instance_find(struct jade_instance *items, size_t count,
                                         const char *network)
{
    for (size_t i = 0; network && i < count; i++)
        if (strcmp(items[i].plugin->name, network) == 0) return &items[i];
    return NULL;
}
