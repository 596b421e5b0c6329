/* service.c - the publishing service on a libuv loop (see service.h).
 *
 * Ownership: the service owns the loop, the ledger, the plugins, the
 * content snapshot and its plan, and each channel's queues of what waits.
 * A request (one publication in flight) owns the strings its publication
 * points to, until the plugin's done callback frees it.
 *
 * Durability: state changes fill a batch; one batch at a time is written
 * by a thread-pool worker in one transaction (one fsync), while the loop
 * goes on filling the next. Requests leave only once the batch that marks
 * them `sending` is committed. The longer a commit takes, the more the
 * next one carries: group commit. */
#include "service.h"

#include "config.h"
#include "http.h"
#include "ledger.h"
#include "plugins.h"
#include "queue.h"
#include "../cmd/cmd.h"
#include "../content/content.h"
#include "../plan/plan.h"
#include "../source/source.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_CONCURRENCY 64
#define SECRET_TTL_NS 10000000000ull /* a changed secret is read again within 10 s */

struct service;

struct secret {
    char *name, *value;
    int len;
    uint64_t read_ns;
};

struct network {
    const struct jade_plugin *plugin;
    void *instance;
    struct jade_host host;
    struct service *svc;
    const json_t *settings;
    json_t *setting_text; /* settings that are not strings, as text */
    unsigned concurrency; /* requests in flight per channel */
    struct secret *secrets;
    size_t n_secrets;
};

struct channel {
    const json_t *json;
    const char *id;
    char *account_json; /* the channel's "account", as plugins get it */
    struct network *net;
    struct jade_queue planned, retrying;
    unsigned inflight;
    bool suspended;
    int64_t blocked_until, last_request;
};

struct update {
    char key[33];
    enum jade_state state;
    int64_t at;
    int attempts_delta;
    int64_t next_attempt;
    char *network_id, *url, *error;
};

struct request {
    struct service *s;
    struct channel *ch;
    char key[33];
    bool lookup;
    int64_t due_time;
    struct jade_publication pub;
    char due[32];
    char **media;
    size_t n_media;
};

/* State changes written in one transaction, and the requests that may
 * leave once it is committed. */
struct batch {
    struct update *updates;
    size_t n_updates, cap_updates;
    struct request **requests;
    size_t n_requests, cap_requests;
    int rc;
};

struct service {
    const struct jade_service_options *opt;
    const struct jade_config *cfg;
    uv_loop_t loop;
    uv_timer_t timer;
    uv_check_t flush;
    uv_idle_t wake; /* active while a batch waits: keeps the loop from blocking */
    uv_signal_t sigterm, sigint;
    uv_work_t writer;
    struct jade_http *http;
    uint64_t real_start_ns;
    struct jade_ledger *ledger;
    struct jade_plugins plugins;
    struct network *nets;
    size_t n_nets;
    struct jade_source *src;
    char *media_root; /* where publications find media: the folder, or the state's copy */
    struct jade_content *content;
    struct jade_plan plan;
    const struct jade_occurrence **by_key; /* the plan's occurrences, by key */
    json_t *by_channel;                    /* channel id -> index in channels */
    struct channel *channels;
    size_t n_channels;
    struct batch filling, writing; /* writing: with the worker while writer_busy */
    bool writer_busy, ledger_failed;
    size_t inflight;
    bool stopping;
    uint64_t rng;
    int catch_up_minutes;
    int64_t plan_from; /* the plan covers [plan_from, ...) */
    size_t sent, failed;
    uint64_t last_progress_ns;
};

/* ---- clock -------------------------------------------------------------- */

/* The clock in seconds, with its fraction: what timers are set from. */
static double now_precise(struct service *s)
{
    if (!s->opt->simulated) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    double elapsed = (double)(uv_hrtime() - s->real_start_ns) / 1e9;
    return (double)s->opt->sim_start + elapsed * s->opt->sim_speed;
}

static int64_t now_of(struct service *s)
{
    return (int64_t)now_precise(s);
}

/* Real milliseconds until the clock shows t (a whole second). */
static uint64_t delay_until(struct service *s, int64_t t)
{
    double ahead = (double)t - now_precise(s);
    if (ahead <= 0) return 0;
    double speed = s->opt->simulated ? s->opt->sim_speed : 1.0;
    double ms = ahead * 1000.0 / speed;
    return ms > 86400000.0 ? 86400000 : (uint64_t)(ms + 0.999);
}

int64_t jade_backoff(int attempt, int base_seconds, int max_seconds, uint64_t *rng)
{
    double cap = (double)base_seconds;
    for (int i = 1; i < attempt && cap < max_seconds; i++) cap *= 2;
    if (cap > max_seconds) cap = max_seconds;
    /* xorshift64*: jitter needs spread, not secrecy */
    *rng ^= *rng >> 12, *rng ^= *rng << 25, *rng ^= *rng >> 27;
    uint64_t r = *rng * 2685821657736338717ull;
    return (int64_t)((double)(r >> 11) / (double)(1ull << 53) * cap);
}

/* ---- host table for plugins --------------------------------------------- */

static void host_log(void *ctx, enum jade_log_level level, const char *message)
{
    struct network *n = ctx;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level <= JADE_LOG_WARNING)
        fprintf(stderr, "jade run: %s: %s: %s\n", n->plugin->name, names[level], message);
}

static int host_http(void *ctx, const struct jade_http_request *req, jade_http_cb cb, void *arg)
{
    struct network *n = ctx;
    return n->svc->http ? jade_http_request(n->svc->http, req, cb, arg) : -1;
}

/* A secret is a file of the secrets folder named like an id, readable by
 * the service alone. */
static int read_secret(struct network *n, const char *name, char *out, size_t out_size)
{
    const char *dir = n->svc->cfg->secrets_dir;
    if (!dir || !name || !*name || strchr(name, '/') || name[0] == '.') return -1;
    char *path = jade_xasprintf("%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int len = -1;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        if (st.st_mode & 077) {
            char msg[256];
            snprintf(msg, sizeof msg, _("secret \"%s\" refused: its mode must be 0600 or stricter"),
                     name);
            host_log(n, JADE_LOG_ERROR, msg);
        } else {
            ssize_t got = read(fd, out, out_size - 1);
            if (got >= 0 && (size_t)got < out_size - 1) {
                while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == '\r')) got--;
                out[got] = '\0';
                len = (int)got;
            }
        }
    }
    if (fd >= 0) close(fd);
    free(path);
    return len;
}

/* Secrets are asked for at every publication: each is read again only
 * once its copy is SECRET_TTL_NS old, so a rotated secret is soon used. */
static int host_secret(void *ctx, const char *name, char *out, size_t out_size)
{
    struct network *n = ctx;
    if (!name || !out || !out_size) return -1;
    struct secret *sec = NULL;
    for (size_t i = 0; i < n->n_secrets && !sec; i++)
        if (!strcmp(n->secrets[i].name, name)) sec = &n->secrets[i];
    uint64_t t = uv_hrtime();
    if (!sec || t - sec->read_ns > SECRET_TTL_NS) {
        char value[4096];
        int len = read_secret(n, name, value, sizeof value);
        if (!sec) {
            n->secrets = jade_xrealloc(n->secrets, (n->n_secrets + 1) * sizeof *n->secrets);
            sec = &n->secrets[n->n_secrets++];
            *sec = (struct secret){.name = jade_xstrdup(name)};
        }
        free(sec->value);
        sec->value = len >= 0 ? jade_xstrdup(value) : NULL;
        sec->len = len;
        sec->read_ns = t;
        explicit_bzero(value, sizeof value);
    }
    if (sec->len < 0 || (size_t)sec->len >= out_size) return -1;
    memcpy(out, sec->value, (size_t)sec->len + 1);
    return sec->len;
}

static int64_t host_now(void *ctx)
{
    struct network *n = ctx;
    return now_of(n->svc);
}

static const char *host_setting(void *ctx, const char *name)
{
    struct network *n = ctx;
    const json_t *v = json_object_get(n->settings, name);
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

static const char *host_outbox_dir(void *ctx)
{
    struct network *n = ctx;
    return n->svc->cfg->outbox_dir;
}

/* ---- start: content, plan, ledger --------------------------------------- */

static int open_source(struct service *s, struct jade_buf *err)
{
    const struct jade_config *c = s->cfg;
    if (c->source_dir) return jade_source_open_dir(c->source_dir, &s->src, err);
    return jade_source_open_git(c->source_url, c->branch, c->path, &s->src, err);
}

static struct network *network_named(struct service *s, const char *name)
{
    for (size_t i = 0; name && i < s->n_nets; i++)
        if (strcmp(s->nets[i].plugin->name, name) == 0) return &s->nets[i];
    return NULL;
}

static struct channel *channel_named(struct service *s, const char *id)
{
    const json_t *i = id ? json_object_get(s->by_channel, id) : NULL;
    return i ? &s->channels[json_integer_value(i)] : NULL;
}

static int load_plugins(struct service *s)
{
    char *dir = s->cfg->plugin_dir ? jade_xstrdup(s->cfg->plugin_dir) : jade_default_plugin_dir();
    jade_plugins_load_dir(dir, &s->plugins);
    for (size_t i = 0; i < s->plugins.n_refused; i++)
        fprintf(stderr, _("jade run: plugin refused: %s\n"), s->plugins.refused[i]);
    free(dir);
    s->nets = jade_xcalloc(s->plugins.count + 1, sizeof *s->nets);
    for (size_t i = 0; i < s->plugins.count; i++) {
        struct network *n = &s->nets[s->n_nets];
        n->plugin = s->plugins.items[i].plugin;
        n->svc = s;
        n->settings = json_object_get(s->cfg->networks, n->plugin->name);
        n->setting_text = json_object();
        const json_t *conc = json_object_get(n->settings, "concurrency");
        n->concurrency = json_is_integer(conc) ? (unsigned)json_integer_value(conc) : 1;
        if (n->concurrency < 1 || n->concurrency > MAX_CONCURRENCY) n->concurrency = 1;
        n->host = (struct jade_host){JADE_PLUGIN_ABI_VERSION,
                                     sizeof n->host,
                                     n,
                                     host_http,
                                     host_secret,
                                     host_log,
                                     host_now,
                                     host_setting,
                                     host_outbox_dir};
        if (n->plugin->init(&n->host, &n->instance) != 0) {
            fprintf(stderr, _("jade run: plugin %s failed to start\n"), n->plugin->name);
            json_decref(n->setting_text);
            continue;
        }
        s->n_nets++;
    }
    return 0;
}

static int load_content(struct service *s)
{
    struct jade_buf err = {0};
    if (open_source(s, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        return JADE_EXIT_USAGE;
    }
    if (s->cfg->source_dir) {
        s->media_root = realpath(s->cfg->source_dir, NULL);
        if (!s->media_root) s->media_root = jade_xstrdup(s->cfg->source_dir);
    } else {
        s->media_root = jade_xasprintf("%s/media", s->cfg->state_dir);
        mkdir(s->media_root, 0700);
    }
    struct jade_network *items = jade_xcalloc(s->n_nets + 1, sizeof *items);
    for (size_t i = 0; i < s->n_nets; i++)
        items[i] = (struct jade_network){s->nets[i].plugin->name, &s->nets[i].plugin->limits};
    struct jade_networks networks = {items, s->n_nets};
    struct jade_diags diags = {0};
    s->content = jade_content_load(s->src, &networks, &diags);
    free(items);
    int rc = 0;
    if (!s->content || diags.errors) {
        jade_diags_sort(&diags);
        jade_diags_print_text(stderr, &diags);
        fprintf(stderr, _("jade run: the content has %zu error(s); nothing is published\n"),
                diags.errors);
        rc = JADE_EXIT_FAILED;
    }
    jade_diags_free(&diags);
    return rc;
}

static void index_channels(struct service *s)
{
    const json_t *list =
        s->content->channels ? json_object_get(s->content->channels->json, "channels") : NULL;
    s->n_channels = json_array_size(list);
    s->channels = jade_xcalloc(s->n_channels + 1, sizeof *s->channels);
    s->by_channel = json_object();
    for (size_t i = 0; i < s->n_channels; i++) {
        struct channel *ch = &s->channels[i];
        ch->json = json_array_get(list, i);
        ch->id = json_string_value(json_object_get(ch->json, "id"));
        ch->net = network_named(s, json_string_value(json_object_get(ch->json, "network")));
        if (ch->id) json_object_set_new(s->by_channel, ch->id, json_integer((json_int_t)i));
        ch->account_json = json_dumps(json_object_get(ch->json, "account"), JSON_COMPACT);
    }
}

static int by_key_order(const void *a, const void *b)
{
    return strcmp((*(const struct jade_occurrence *const *)a)->key,
                  (*(const struct jade_occurrence *const *)b)->key);
}

static int plan_and_reconcile(struct service *s)
{
    struct jade_policy policy;
    jade_policy_read(s->content, &policy);
    const json_t *pol = json_object_get(s->content->programme->json, "policy");
    const json_t *cu = json_object_get(pol, "catch_up_minutes");
    s->catch_up_minutes = json_is_integer(cu) ? (int)json_integer_value(cu) : 60;
    jade_policy_free(&policy);
    int64_t now = now_of(s);
    int64_t from = now - (int64_t)s->catch_up_minutes * 60;
    s->plan_from = from;
    int64_t to = now + (int64_t)s->cfg->horizon_days * 86400;
    struct jade_diags diags = {0};
    jade_plan_build(s->content, from, to, NULL, &s->plan, &diags);
    jade_diags_print_text(stderr, &diags);
    jade_diags_free(&diags);
    s->by_key = jade_xcalloc(s->plan.count + 1, sizeof *s->by_key);
    for (size_t i = 0; i < s->plan.count; i++) s->by_key[i] = &s->plan.items[i];
    qsort(s->by_key, s->plan.count, sizeof *s->by_key, by_key_order);
    struct jade_reconcile_stats st;
    if (jade_ledger_reconcile(s->ledger, &s->plan, from, to, s->content->commit, now, &st) != 0) {
        fprintf(stderr, _("jade run: cannot write the ledger\n"));
        return JADE_EXIT_FAILED;
    }
    if (st.inserted + st.moved + st.cancelled > 1000) jade_ledger_checkpoint(s->ledger);
    return 0;
}

/* What waits, from the ledger into each channel's queues: read once, at
 * start; from then on the queues and the ledger change together. */
static void queue_row(void *ctx, const struct jade_ledger_row *row)
{
    struct service *s = ctx;
    struct channel *ch = channel_named(s, row->channel);
    if (!ch) return; /* a channel the content no longer has: nothing sends there */
    struct jade_waiting w = {.due = row->due, .attempts = row->attempts};
    snprintf(w.key, sizeof w.key, "%s", row->key);
    if (row->state == JADE_RETRYING) {
        w.at = row->next_attempt;
        jade_queue_push(&ch->retrying, &w);
    } else {
        w.at = row->due;
        jade_queue_push(&ch->planned, &w);
    }
}

static int load_queues(struct service *s)
{
    if (jade_ledger_in_state(s->ledger, JADE_PLANNED, queue_row, s) != 0 ||
        jade_ledger_in_state(s->ledger, JADE_RETRYING, queue_row, s) != 0) {
        fprintf(stderr, _("jade run: cannot read the ledger\n"));
        return JADE_EXIT_FAILED;
    }
    return 0;
}

static const struct jade_occurrence *occurrence_of(struct service *s, const char *key)
{
    struct jade_occurrence probe;
    snprintf(probe.key, sizeof probe.key, "%s", key);
    const struct jade_occurrence *p = &probe;
    const struct jade_occurrence **found =
        bsearch(&p, s->by_key, s->plan.count, sizeof *s->by_key, by_key_order);
    return found ? *found : NULL;
}

/* ---- publishing --------------------------------------------------------- */

static void idle_cb(uv_idle_t *h)
{
    (void)h; /* its being active is what counts: the poll does not block */
}

static void queue_update(struct service *s, const char *key, enum jade_state state,
                         int attempts_delta, int64_t next_attempt, const char *network_id,
                         const char *url, const char *error)
{
    struct batch *b = &s->filling;
    if (b->n_updates == b->cap_updates) {
        b->cap_updates = b->cap_updates ? b->cap_updates * 2 : 64;
        b->updates = jade_xrealloc(b->updates, b->cap_updates * sizeof *b->updates);
    }
    struct update *u = &b->updates[b->n_updates++];
    memset(u, 0, sizeof *u);
    snprintf(u->key, sizeof u->key, "%s", key);
    u->state = state;
    u->at = now_of(s);
    u->attempts_delta = attempts_delta;
    u->next_attempt = next_attempt;
    u->network_id = network_id ? jade_xstrdup(network_id) : NULL;
    u->url = url ? jade_xstrdup(url) : NULL;
    u->error = error ? jade_xstrdup(error) : NULL;
    /* A busy writer wakes the loop when it is done; otherwise the check
     * handle must run this turn, without the poll blocking first. */
    if (!s->writer_busy && !uv_is_active((uv_handle_t *)&s->wake)) uv_idle_start(&s->wake, idle_cb);
    if (state == JADE_SENT) s->sent++;
    if (state == JADE_FAILED) s->failed++;
}

/* A request to send once the batch filling now is committed. */
static void queue_request(struct service *s, struct request *r)
{
    struct batch *b = &s->filling;
    if (b->n_requests == b->cap_requests) {
        b->cap_requests = b->cap_requests ? b->cap_requests * 2 : 64;
        b->requests = jade_xrealloc(b->requests, b->cap_requests * sizeof *b->requests);
    }
    b->requests[b->n_requests++] = r;
}

static void free_request(struct request *r)
{
    for (size_t i = 0; i < r->n_media; i++) free(r->media[i]);
    free(r->media);
    free(r);
}

/* A media file's path for plugins. From a git source it is copied out of
 * the commit on first use, whole or not at all (temp file, fsync, rename),
 * so that a crash never leaves a truncated copy to publish. */
static char *media_path(struct service *s, const char *campaign_dir, const char *file)
{
    char *rel = jade_xasprintf("%s/%s", campaign_dir, file);
    char *out = jade_xasprintf("%s/%s", s->media_root, rel);
    if (!s->cfg->source_dir && access(out, F_OK) != 0) {
        char *data = NULL;
        size_t len = 0;
        struct jade_buf err = {0};
        if (jade_source_read(s->src, rel, JADE_MAX_MEDIA_BYTES, &data, &len, &err) == 0) {
            for (char *p = strchr(out + strlen(s->media_root) + 1, '/'); p;
                 p = strchr(p + 1, '/')) {
                *p = '\0';
                mkdir(out, 0700);
                *p = '/';
            }
            char *tmp = jade_xasprintf("%s.tmp", out);
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            size_t done = 0;
            for (ssize_t n = 0; fd >= 0 && done < len; done += (size_t)n)
                if ((n = write(fd, data + done, len - done)) <= 0) break;
            bool ok = fd >= 0 && done == len && fsync(fd) == 0;
            if (fd >= 0) ok = close(fd) == 0 && ok;
            if (!ok || rename(tmp, out) != 0) unlink(tmp);
            free(tmp);
        }
        free(data);
        jade_buf_free(&err);
    }
    free(rel);
    return out;
}

static const char *text_of(const struct jade_occurrence *o)
{
    for (size_t i = 0; i < o->post->n_texts; i++)
        if (!strcmp(o->post->texts[i].lang, o->lang)) return o->post->texts[i].file->text;
    return "";
}

static struct request *new_request(struct service *s, struct channel *ch,
                                   const struct jade_occurrence *o, int attempt, bool lookup)
{
    struct request *r = jade_xcalloc(1, sizeof *r);
    r->s = s;
    r->ch = ch;
    r->lookup = lookup;
    snprintf(r->key, sizeof r->key, "%s", o->key);
    r->due_time = o->due;
    jade_format_utc(o->due, r->due);
    const json_t *pj = o->post->file->json;
    const json_t *media = json_object_get(pj, "media");
    r->n_media = json_array_size(media);
    r->media = jade_xcalloc(r->n_media + 1, sizeof *r->media);
    for (size_t i = 0; i < r->n_media; i++)
        r->media[i] =
            media_path(s, o->campaign->dir,
                       json_string_value(json_object_get(json_array_get(media, i), "file")));
    r->pub = (struct jade_publication){
        .struct_size = sizeof r->pub,
        .key = r->key,
        .campaign = o->campaign->id,
        .post = o->post->id,
        .channel = ch->id,
        .lang = o->lang,
        .text = text_of(o),
        .link = json_string_value(json_object_get(pj, "link")),
        .due = r->due,
        .account_json = ch->account_json ? ch->account_json : "{}",
        .secret_name = json_string_value(json_object_get(o->channel, "secret")),
        .media = (const char *const *)r->media,
        .n_media = r->n_media,
        .attempt = (uint32_t)attempt,
    };
    return r;
}

static void arm(struct service *s);

/* Back in its channel's queue, to go again at `at`. */
static void requeue(struct request *r, struct jade_queue *q, int64_t at)
{
    struct jade_waiting w = {.at = at, .due = r->due_time, .attempts = (int)r->pub.attempt};
    snprintf(w.key, sizeof w.key, "%s", r->key);
    jade_queue_push(q, &w);
}

/* The core decides what follows an outcome. */
static void done_cb(void *token, const struct jade_result *res)
{
    struct request *r = token;
    struct service *s = r->s;
    struct channel *ch = r->ch;
    int64_t now = now_of(s);
    const struct jade_config *c = s->cfg;
    int attempt = (int)r->pub.attempt;
    const char *msg = res->message;
    switch (res->outcome) {
    case JADE_OUTCOME_SENT:
        queue_update(s, r->key, JADE_SENT, 0, 0, res->network_id, res->url, NULL);
        break;
    case JADE_OUTCOME_NOT_FOUND: /* lookup: the network does not have it, so send it */
        queue_update(s, r->key, JADE_PLANNED, 0, 0, NULL, NULL, _("not found on the network"));
        requeue(r, &ch->planned, r->due_time);
        break;
    case JADE_OUTCOME_RETRY_AFTER:
        ch->blocked_until = now + res->retry_after_seconds;
        queue_update(s, r->key, JADE_RETRYING, 0, ch->blocked_until, NULL, NULL, msg);
        requeue(r, &ch->retrying, ch->blocked_until);
        break;
    case JADE_OUTCOME_TRANSIENT:
        if (r->lookup || attempt >= c->retry_max_attempts) {
            queue_update(s, r->key, r->lookup ? JADE_UNCERTAIN : JADE_FAILED, 0, 0, NULL, NULL,
                         msg ? msg : _("failed, and out of attempts"));
        } else {
            int64_t next =
                now + jade_backoff(attempt, c->retry_base_seconds, c->retry_max_seconds, &s->rng);
            queue_update(s, r->key, JADE_RETRYING, 0, next, NULL, NULL, msg);
            requeue(r, &ch->retrying, next);
        }
        break;
    case JADE_OUTCOME_AUTH_FAILED:
        if (!ch->suspended)
            fprintf(stderr, _("jade run: channel %s suspended: its credentials were refused%s%s\n"),
                    ch->id, msg ? ": " : "", msg ? msg : "");
        ch->suspended = true;
        queue_update(s, r->key, JADE_PLANNED, 0, 0, NULL, NULL,
                     msg ? msg : _("authentication failed"));
        requeue(r, &ch->planned, r->due_time);
        break;
    case JADE_OUTCOME_UNKNOWN:
        queue_update(s, r->key, JADE_UNCERTAIN, 0, 0, NULL, NULL,
                     msg ? msg : _("no answer: it may have been published"));
        break;
    case JADE_OUTCOME_PERMANENT:
    default:
        queue_update(s, r->key, JADE_FAILED, 0, 0, NULL, NULL, msg ? msg : _("refused"));
        break;
    }
    ch->inflight--;
    s->inflight--;
    free_request(r);
}

/* The channel's next occurrence ready at now: a retry whose time came
 * first (it was due before anything still planned), else the earliest
 * planned one due. */
static bool take_ready(struct channel *ch, int64_t now, struct jade_waiting *out)
{
    const struct jade_waiting *retry = jade_queue_top(&ch->retrying);
    if (retry && retry->at <= now) return jade_queue_pop(&ch->retrying, out) == 0;
    const struct jade_waiting *planned = jade_queue_top(&ch->planned);
    if (planned && planned->at <= now) return jade_queue_pop(&ch->planned, out) == 0;
    return false;
}

/* When a channel may send again under its network's rate and the last
 * Retry-After. */
static int64_t free_at(const struct channel *ch)
{
    uint32_t rate = ch->net ? ch->net->plugin->rate_per_minute : 0;
    int64_t t = ch->blocked_until;
    if (rate && ch->last_request + (60 + rate - 1) / rate > t)
        t = ch->last_request + (60 + rate - 1) / rate;
    return t;
}

/* Fills each channel up to its concurrency with what is ready: marked
 * `sending` in the batch and sent once it is committed; or settled
 * (missed, cancelled, failed) and the next one taken. Returns the earliest
 * time a held channel (a rate limit, a Retry-After) frees up, or
 * INT64_MAX. */
static int64_t dispatch_ready(struct service *s)
{
    int64_t now = now_of(s), wake = INT64_MAX;
    for (size_t c = 0; c < s->n_channels; c++) {
        struct channel *ch = &s->channels[c];
        unsigned limit = ch->net ? ch->net->concurrency : 1;
        while (!ch->suspended && ch->inflight < limit) {
            int64_t t = free_at(ch);
            if (t > now) {
                if (t < wake) wake = t;
                break;
            }
            struct jade_waiting w;
            if (!take_ready(ch, now, &w)) break;
            const struct jade_occurrence *o = occurrence_of(s, w.key);
            if (!o) {
                /* Not in the plan: before its range, it is past the catch-up;
                 * in it, the content no longer has it. */
                bool late = w.due < s->plan_from;
                queue_update(s, w.key, late ? JADE_MISSED : JADE_CANCELLED, 0, 0, NULL, NULL,
                             late ? _("the service was down past catch_up_minutes")
                                  : _("no longer in the content"));
            } else if (!ch->net) {
                queue_update(s, w.key, JADE_FAILED, 0, 0, NULL, NULL,
                             _("no plugin is loaded for this channel's network"));
            } else if (w.attempts == 0 && now - w.due > (int64_t)s->catch_up_minutes * 60) {
                /* Catch-up bounds a first attempt found late (an outage); a
                 * retry is late by design. */
                queue_update(s, w.key, JADE_MISSED, 0, 0, NULL, NULL,
                             _("the service was down past catch_up_minutes"));
            } else {
                queue_update(s, w.key, JADE_SENDING, 1, 0, NULL, NULL, NULL);
                ch->inflight++;
                ch->last_request = now;
                queue_request(s, new_request(s, ch, o, w.attempts + 1, false));
            }
        }
    }
    return wake;
}

/* ---- the ledger writer --------------------------------------------------- */

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n_updates; i++) {
        free(b->updates[i].network_id);
        free(b->updates[i].url);
        free(b->updates[i].error);
    }
    b->n_updates = 0;
    b->n_requests = 0;
    b->rc = 0;
}

static void batch_free(struct batch *b)
{
    batch_clear(b);
    free(b->updates);
    free(b->requests);
}

/* On a thread-pool thread: the only user of the ledger while it runs. */
static void write_cb(uv_work_t *w)
{
    struct service *s = w->data;
    struct batch *b = &s->writing;
    int rc = jade_ledger_begin(s->ledger);
    for (size_t i = 0; rc == 0 && i < b->n_updates; i++) {
        struct update *u = &b->updates[i];
        rc = jade_ledger_set(s->ledger, u->key, u->state, u->at, u->attempts_delta, u->next_attempt,
                             u->network_id, u->url, u->error);
    }
    if (rc != 0) {
        jade_ledger_commit(s->ledger); /* to leave the transaction; nothing counts */
        b->rc = -1;
    } else {
        b->rc = jade_ledger_commit(s->ledger);
    }
}

static void stop(struct service *s);
static void submit(struct service *s);

/* On the loop, once the batch is committed (or not): its requests leave. */
static void written_cb(uv_work_t *w, int status)
{
    struct service *s = w->data;
    struct batch *b = &s->writing;
    s->writer_busy = false;
    if (status != 0 || b->rc != 0) {
        /* Nothing of this batch is on disk, so none of its requests may go;
         * the ledger still says what was durable: a restart resumes there. */
        if (!s->ledger_failed)
            fprintf(stderr,
                    _("jade run: cannot write the ledger in %s: stopping; nothing "
                      "was sent that it does not record\n"),
                    s->cfg->state_dir);
        s->ledger_failed = s->stopping = true;
        for (size_t i = 0; i < b->n_requests; i++) {
            b->requests[i]->ch->inflight--;
            free_request(b->requests[i]);
        }
    } else {
        for (size_t i = 0; i < b->n_requests; i++) {
            struct request *r = b->requests[i];
            s->inflight++;
            r->ch->net->plugin->publish(r->ch->net->instance, &r->pub, done_cb, r);
        }
    }
    batch_clear(b);
    arm(s);
    submit(s); /* what filled meanwhile */
}

/* Hands the filling batch to the writer, unless it is busy: then the
 * batch grows until the writer is free. */
static void submit(struct service *s)
{
    if (s->writer_busy || !s->filling.n_updates) return;
    struct batch t = s->writing;
    s->writing = s->filling;
    s->filling = t;
    s->writer_busy = true;
    uv_idle_stop(&s->wake);
    s->writer.data = s;
    uv_queue_work(&s->loop, &s->writer, write_cb, written_cb);
}

/* ---- the loop ------------------------------------------------------------ */

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Nothing in flight, nothing waiting to be written. */
static bool settled(const struct service *s)
{
    return s->inflight == 0 && s->filling.n_updates == 0 && !s->writer_busy;
}

static void stop(struct service *s)
{
    if (uv_is_active((uv_handle_t *)&s->timer)) uv_timer_stop(&s->timer);
    if (!uv_is_closing((uv_handle_t *)&s->timer)) {
        uv_close((uv_handle_t *)&s->timer, close_cb);
        uv_close((uv_handle_t *)&s->flush, close_cb);
        uv_close((uv_handle_t *)&s->wake, close_cb);
        uv_close((uv_handle_t *)&s->sigterm, close_cb);
        uv_close((uv_handle_t *)&s->sigint, close_cb);
        jade_http_close(s->http); /* nothing is in flight by now */
        s->http = NULL;
    }
}

static void progress(struct service *s, bool last)
{
    if (!s->opt->progress) return;
    uint64_t t = uv_hrtime();
    if (!last && t - s->last_progress_ns < 100000000ull) return;
    s->last_progress_ns = t;
    char when[32];
    jade_format_utc(now_of(s), when);
    fprintf(s->opt->progress, _("\r  %.16s  sent %zu  failed %zu  in flight %zu   %s"), when,
            s->sent, s->failed, s->inflight, last ? "\n" : "");
    fflush(s->opt->progress);
}

static void timer_cb(uv_timer_t *t)
{
    arm(t->data);
}

/* At the end of each loop turn: the outcomes it brought free their
 * channels for the next occurrences, and all of it goes to the writer. */
static void flush_cb(uv_check_t *h)
{
    struct service *s = h->data;
    if (!s->filling.n_updates) return;
    arm(s);
    submit(s);
    progress(s, false);
}

/* The earliest time something waiting becomes ready; what is ready now
 * but held waits for its channel: a request in flight re-arms when it is
 * answered, a rate limit when it lifts, a suspension when an operator
 * resumes. */
static int64_t next_time(struct service *s, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t c = 0; c < s->n_channels; c++) {
        struct channel *ch = &s->channels[c];
        if (ch->suspended) continue;
        const struct jade_waiting *tops[] = {jade_queue_top(&ch->retrying),
                                             jade_queue_top(&ch->planned)};
        for (size_t i = 0; i < 2; i++)
            if (tops[i] && tops[i]->at > now && tops[i]->at < next) next = tops[i]->at;
    }
    return next;
}

static void arm(struct service *s)
{
    if (uv_is_closing((uv_handle_t *)&s->timer)) return;
    int64_t now = now_of(s);
    if (s->opt->until != INT64_MAX && now >= s->opt->until) s->stopping = true;
    if (s->stopping) {
        if (settled(s)) stop(s);
        return;
    }
    int64_t wake = dispatch_ready(s);
    if (s->opt->once) {
        /* What is due goes, channel by channel; once nothing more can go
         * now, the run is over. */
        if (settled(s)) stop(s);
        return;
    }
    int64_t next = next_time(s, now);
    if (wake < next) next = wake;
    if (s->opt->until < next) next = s->opt->until;
    if (next == INT64_MAX) {
        uv_timer_stop(&s->timer); /* nothing to do until a signal */
        return;
    }
    /* Linux lets a sleep of t overrun by t / 1000 (up to 100 ms) to batch
     * wake-ups: a long one wakes a little early, and the next, short, one is
     * exact. */
    uint64_t ms = delay_until(s, next);
    if (ms > 50) ms -= ms / 500 + 1;
    uv_update_time(&s->loop); /* the delay counts from now, not from the turn's start */
    uv_timer_start(&s->timer, timer_cb, ms, 0);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct service *s = h->data;
    (void)signum;
    s->stopping = true;
    fprintf(stderr, _("\njade run: stopping once the requests in flight are answered\n"));
    arm(s);
}

struct sending_row {
    char key[33];
    char *channel;
    int attempts;
};

struct sending_list {
    struct sending_row *items;
    size_t count, cap;
};

static void collect_sending(void *ctx, const struct jade_ledger_row *row)
{
    struct sending_list *l = ctx;
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = jade_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    struct sending_row *r = &l->items[l->count++];
    snprintf(r->key, sizeof r->key, "%s", row->key);
    r->channel = jade_xstrdup(row->channel);
    r->attempts = row->attempts;
}

/* After a crash: what was `sending` is re-sent with the same key where the
 * network honours one; elsewhere it is uncertain, and looked up where the
 * plugin can. Never blindly re-sent. Runs before the queues are loaded,
 * so what goes back to planned is queued with the rest. */
static size_t recover(struct service *s)
{
    struct sending_list rows = {0};
    jade_ledger_in_state(s->ledger, JADE_SENDING, collect_sending, &rows);
    int64_t now = now_of(s);
    struct request **lookups = jade_xcalloc(rows.count + 1, sizeof *lookups);
    size_t n_lookups = 0;
    jade_ledger_begin(s->ledger);
    for (size_t i = 0; i < rows.count; i++) {
        struct sending_row *row = &rows.items[i];
        struct channel *ch = channel_named(s, row->channel);
        struct network *net = ch ? ch->net : NULL;
        const struct jade_occurrence *o = occurrence_of(s, row->key);
        if (net && (net->plugin->capabilities & JADE_CAP_IDEMPOTENCY_KEY)) {
            jade_ledger_set(s->ledger, row->key, JADE_PLANNED, now, 0, 0, NULL, NULL,
                            _("re-sent after a restart, with the same idempotency key"));
            continue;
        }
        jade_ledger_set(s->ledger, row->key, JADE_UNCERTAIN, now, 0, 0, NULL, NULL,
                        _("the service stopped while sending: it may have been published"));
        if (net && o && net->plugin->lookup && (net->plugin->capabilities & JADE_CAP_LOOKUP) &&
            ch->inflight < net->concurrency) {
            ch->inflight++;
            lookups[n_lookups++] = new_request(s, ch, o, row->attempts, true);
        }
    }
    jade_ledger_commit(s->ledger);
    for (size_t i = 0; i < n_lookups; i++) {
        struct network *net = lookups[i]->ch->net;
        s->inflight++;
        net->plugin->lookup(net->instance, &lookups[i]->pub, done_cb, lookups[i]);
    }
    size_t count = rows.count;
    for (size_t i = 0; i < rows.count; i++) free(rows.items[i].channel);
    free(rows.items);
    free(lookups);
    return count;
}

int jade_service_run(const struct jade_service_options *opt)
{
    struct service *s = jade_xcalloc(1, sizeof *s);
    s->opt = opt;
    s->cfg = opt->config;
    s->rng = opt->seed ? opt->seed : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    if (!s->rng) s->rng = 1;
    s->real_start_ns = uv_hrtime();
    int rc = 0;
    struct jade_buf err = {0};
    uv_loop_init(&s->loop);
    s->http = jade_http_new(&s->loop);
    if (jade_ledger_open(s->cfg->state_dir, &s->ledger, &err) != 0) {
        fprintf(stderr, "jade run: %s\n", jade_buf_str(&err));
        rc = JADE_EXIT_USAGE;
        goto done;
    }
    load_plugins(s);
    if ((rc = load_content(s)) != 0) goto done;
    index_channels(s);
    size_t connections = 0;
    for (size_t i = 0; i < s->n_channels; i++)
        connections += s->channels[i].net ? s->channels[i].net->concurrency : 0;
    jade_http_keep_alive(s->http, connections > 16 ? connections : 16);
    if ((rc = plan_and_reconcile(s)) != 0) goto done;

    uv_timer_init(&s->loop, &s->timer);
    uv_check_init(&s->loop, &s->flush);
    uv_idle_init(&s->loop, &s->wake);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->timer.data = s->flush.data = s->sigterm.data = s->sigint.data = s;
    uv_check_start(&s->flush, flush_cb);
    uv_signal_start(&s->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&s->sigint, signal_cb, SIGINT);
    size_t recovered = recover(s); /* rows a crash left in `sending` */
    if (recovered)
        fprintf(stderr,
                _("jade run: %zu publication(s) were being sent when the service "
                  "stopped: recovered\n"),
                recovered);
    if ((rc = load_queues(s)) != 0) {
        stop(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        goto done;
    }
    /* Start on the loop, so that lookups and outcomes are all handled there. */
    uv_timer_start(&s->timer, timer_cb, 0, 0);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    progress(s, true);
    rc = s->ledger_failed || (opt->once && s->failed) ? JADE_EXIT_FAILED : JADE_EXIT_OK;
done:
    jade_buf_free(&err);
    if (s->http) { /* a start that failed: let the HTTP handles close */
        jade_http_close(s->http);
        uv_run(&s->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&s->loop);
    for (size_t i = 0; i < s->n_nets; i++) {
        struct network *n = &s->nets[i];
        n->plugin->fini(n->instance);
        json_decref(n->setting_text);
        for (size_t j = 0; j < n->n_secrets; j++) {
            free(n->secrets[j].name);
            if (n->secrets[j].value)
                explicit_bzero(n->secrets[j].value, strlen(n->secrets[j].value));
            free(n->secrets[j].value);
        }
        free(n->secrets);
    }
    free(s->nets);
    jade_plugins_free(&s->plugins);
    for (size_t i = 0; i < s->n_channels; i++) {
        jade_queue_free(&s->channels[i].planned);
        jade_queue_free(&s->channels[i].retrying);
        free(s->channels[i].account_json);
    }
    free(s->channels);
    batch_free(&s->filling);
    batch_free(&s->writing);
    free(s->by_key);
    json_decref(s->by_channel);
    jade_plan_free(&s->plan);
    jade_content_free(s->content);
    jade_source_free(s->src);
    free(s->media_root);
    jade_ledger_close(s->ledger);
    free(s);
    return rc;
}
