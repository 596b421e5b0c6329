/* whatsapp.c - the whatsapp network: an approved template message to each
 * opted-in recipient of a list, through the WhatsApp Business Cloud API
 * (NETWORKS.md).
 *
 * A channel's account: {phone_number_id, template, template_language,
 * recipients}. The channel's secret is the access token; its list of
 * recipients is the secret "<secret>.<recipients>" (a file of the secrets
 * folder, never in git, beside the token so that only the channels the
 * operator bound to the token reach it): one E.164 number a line
 * ("+22370000001"), blank lines and "#" comments allowed.
 *
 * publish() means "every recipient got this publication once": it sends to
 * the recipients the journal does not mark done for the occurrence, within
 * the number's throughput (a second's worth at a time), the pair limit (one
 * message per pair_seconds to a person) and the daily reach cap (unique
 * recipients per rolling 24 h), then answers SENT once every recipient is
 * done (sent, failed for good, or uncertain), RETRY_AFTER while limits hold
 * some back (the core calls again; the journal skips who is done),
 * AUTH_FAILED on 190/401, PERMANENT when the template or the account is
 * refused.
 *
 * The journal (<data_dir>/journal) is what makes a repeat safe, so the
 * plugin declares the idempotency key: a line "S" is written and fsync'd
 * before each request leaves; its outcome follows ("D" accepted with its
 * wamid, "F" failed for good, "U" uncertain, "C" not sent: may go again).
 * At start, an "S" without outcome (the service died with the request out)
 * becomes "U": that person is never sent it again. The journal keeps no
 * number: a salted hash of each (<data_dir>/salt) and its last four digits
 * for messages.
 *
 * Failures WhatsApp reports later arrive on its status webhook, which the
 * admin listener routes here (POST /hooks/whatsapp; GET for Meta's
 * verification handshake): the body's X-Hub-Signature-256 is checked with
 * the app secret, and a failed or held message becomes an event "late" of
 * its occurrence (host late()). Each status also moves its message on
 * (sent, delivered, read, failed: never back), journalled as a "T" line:
 * metrics() answers from them, without a request. */
#include "jade-plugin.h"
#include "../common/plugin-util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PUBLIC_BASE "https://graph.facebook.com/v21.0"
#define LIST_MAX (1u << 20) /* the recipients list, bytes (the host's secret limit) */
#define PARAM_MAX 1024      /* a template body's characters */
#define DAY 86400
#define HASH_HEX 33
/* Requests awaiting their answer at once: enough for 80 a second at a
 * fifth of a second each, few enough for any server. */
#define MAX_IN_FLIGHT 32

/* How far a message got, as its status webhook says (only ever further:
 * statuses can arrive out of order). */
enum delivery { D_NONE, D_SENT, D_DELIVERED, D_READ, D_FAILED };

/* What the journal says of a (publication, recipient) pair. */
enum mark { NONE = 0, SENDING = 1, DONE_SENT = 2, DONE_FAILED = 3, DONE_UNCERTAIN = 4 };

struct wa;

/* One durable write of the journal at a time, in order: lines appended on
 * the loop, each flush writing all of them and calling its waiters. */
typedef void (*flushed_fn)(void *arg, bool ok);
struct waiter {
    flushed_fn fn;
    void *arg;
};
struct flush {
    struct wa *w;
    char *data;
    size_t len;
    struct waiter *waiters;
    size_t n_waiters;
    bool ok;
};

struct wa {
    const struct jade_host *host;
    int fd; /* the journal, or -1 */
    unsigned char salt[32];
    json_t *marks;  /* "<key> <hash>" -> enum mark */
    json_t *last;   /* hash -> when it was last sent to (pair limit, reach cap) */
    json_t *wamids; /* wamid -> "<key> <last four digits>" */
    /* What the status webhook said of each message (wamid -> enum
     * delivery), journalled ("T" lines), and per occurrence key the
     * messages delivered, read and failed: its metrics. */
    json_t *delivery, *counts;
    char *pending; /* journal lines not yet handed to a flush */
    size_t pending_len, pending_cap;
    struct waiter *waiters;
    size_t n_waiters;
    bool flushing;
    /* throughput: when the last requests started (a ring of throughput
     * entries), so that no second, however it is cut, holds more */
    int64_t *starts;
    unsigned n_starts, first_start;
    unsigned inflight; /* requests of every publication awaiting their answer */
    /* settings */
    unsigned throughput, pair_seconds, reach_cap, throttle_seconds, budget_seconds;
};

struct recipient {
    char number[20];
    char hash[HASH_HEX];
    char last4[5];
};

enum stop { GO, STOP_AUTH, STOP_REFUSED, STOP_THROTTLED, STOP_BUDGET, STOP_JOURNAL };

struct job {
    struct wa *w;
    jade_done_cb done;
    void *token;
    char key[64];
    char *url, *auth;
    json_t *message; /* the request body, "to" filled per recipient */
    struct recipient *r;
    size_t n, next;
    size_t inflight;
    bool finishing, waiting; /* its last flush, or a later(), is under way */
    enum stop stop;
    char stop_message[600];
    int64_t retry_at; /* when what limits held back may go (0: none held) */
    int64_t started_ms;
    char first_wamid[160];
    char failure[300]; /* the first failure's words, for the summary */
};

struct send {
    struct job *job;
    size_t index;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct jade_host *host, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const struct jade_host *host, int level, const char *fmt, ...)
{
    char text[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    host->log(host->ctx, level, text);
}

static unsigned setting_uint(const struct jade_host *host, const char *name, unsigned fallback)
{
    const char *v = host->setting(host->ctx, name);
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && end != v && *end == '\0' && n > 0 && n < 100000000 ? (unsigned)n : fallback;
}

/* ---- the template parameter ---------------------------------------------- */

/* Template parameters may hold no newline, no tab, and no more than four
 * spaces in a row: each run of blanks holding one of those (or longer than
 * four) becomes one space; the ends are trimmed. U+2028/U+2029 and NEL
 * are line ends too. Returns a malloc'd string. */
static char *flatten(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        size_t run = 0, spaces = 0;
        bool breaks = false;
        for (;;) {
            const unsigned char *p = (const unsigned char *)text + i + run;
            if (*p == ' ') {
                run++, spaces++;
            } else if (*p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') {
                run++, breaks = true;
            } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
                run += 3, breaks = true;
            } else if (p[0] == 0xc2 && p[1] == 0x85) {
                run += 2, breaks = true;
            } else {
                break;
            }
        }
        if (run == 0) {
            *o++ = text[i++];
            continue;
        }
        if (o != out && i + run < n) { /* inside: kept short, one line */
            if (breaks || spaces > 4) {
                *o++ = ' ';
            } else {
                memcpy(o, text + i, spaces);
                o += spaces;
            }
        }
        i += run;
    }
    *o = '\0';
    return out;
}

/* Characters (code points) of UTF-8 text. */
static size_t codepoints(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

/* ---- the recipients list ------------------------------------------------- */

/* One number a line, E.164: '+' and 8 to 15 digits. Comments from '#',
 * blank lines. Duplicates are dropped. The line of the first bad entry in
 * *bad_line (its text is never repeated: it is a secret). */
static struct recipient *parse_list(struct wa *w, char *text, size_t *count, size_t *bad_line)
{
    size_t cap = 64, n = 0, line_no = 0;
    struct recipient *r = malloc(cap * sizeof *r);
    json_t *seen = json_object();
    *bad_line = 0;
    for (char *line = text; line && r;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        line_no++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        while (*line == ' ' || *line == '\t') line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len) {
            bool ok = line[0] == '+' && len >= 9 && len <= 16;
            for (size_t i = 1; ok && i < len; i++) ok = line[i] >= '0' && line[i] <= '9';
            if (!ok) {
                *bad_line = line_no;
                break;
            }
            if (!json_object_get(seen, line)) {
                json_object_set_new(seen, line, json_true());
                if (n == cap) {
                    struct recipient *more = realloc(r, (cap *= 2) * sizeof *r);
                    if (!more) {
                        free(r);
                        r = NULL;
                        break;
                    }
                    r = more;
                }
                struct recipient *x = &r[n++];
                snprintf(x->number, sizeof x->number, "%s", line);
                snprintf(x->last4, sizeof x->last4, "%s", line + len - 4);
                unsigned char h[16];
                crypto_generichash(h, sizeof h, (const unsigned char *)line, len, w->salt,
                                   sizeof w->salt);
                sodium_bin2hex(x->hash, sizeof x->hash, h, sizeof h);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    json_decref(seen);
    *count = n;
    return r;
}

/* ---- the journal ------------------------------------------------------------ */

static void pair_name(char *out, size_t size, const char *key, const char *hash)
{
    snprintf(out, size, "%s %s", key, hash);
}

static enum mark mark_of(struct wa *w, const char *key, const char *hash)
{
    char name[128];
    pair_name(name, sizeof name, key, hash);
    return (enum mark)json_integer_value(json_object_get(w->marks, name));
}

static void set_mark(struct wa *w, const char *key, const char *hash, enum mark m)
{
    char name[128];
    pair_name(name, sizeof name, key, hash);
    if (m == NONE)
        json_object_del(w->marks, name);
    else
        json_object_set_new(w->marks, name, json_integer(m));
}

/* One line: what the journal learns, and what memory follows. Words are
 * kept on one line. */
static void append_line(struct wa *w, const char *line)
{
    size_t len = strlen(line);
    if (w->pending_len + len + 2 > w->pending_cap) {
        size_t cap = w->pending_cap ? w->pending_cap * 2 : 4096;
        while (cap < w->pending_len + len + 2) cap *= 2;
        char *more = realloc(w->pending, cap);
        if (!more) return;
        w->pending = more;
        w->pending_cap = cap;
    }
    memcpy(w->pending + w->pending_len, line, len);
    w->pending_len += len;
    w->pending[w->pending_len++] = '\n';
}

static void journal(struct wa *w, char type, const char *key, const struct recipient *r,
                    const char *extra)
{
    char line[900];
    snprintf(line, sizeof line, "%c %lld %s %s%s%s", type, (long long)w->host->now(w->host->ctx),
             key, r->hash, extra ? " " : "", extra ? extra : "");
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    append_line(w, line);
}

/* The mark a journal line of this type leaves (S sending, D sent, F failed,
 * U uncertain, C cleared), or -1 for a type the journal does not write. */
static int mark_of_type(char type)
{
    switch (type) {
    case 'S':
        return SENDING;
    case 'D':
        return DONE_SENT;
    case 'F':
        return DONE_FAILED;
    case 'U':
        return DONE_UNCERTAIN;
    case 'C':
        return NONE;
    default:
        return -1;
    }
}

/* Sets the pair's mark and journals it: memory then says what the journal
 * will say when read again. */
static void settle(struct wa *w, char type, const char *key, const struct recipient *r,
                   const char *extra)
{
    set_mark(w, key, r->hash, (enum mark)mark_of_type(type));
    journal(w, type, key, r, extra);
}

static void flush_run(void *arg)
{
    struct flush *f = arg;
    f->ok = f->w->fd >= 0;
    for (size_t off = 0; f->ok && off < f->len;) {
        ssize_t n = write(f->w->fd, f->data + off, f->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) f->ok = false;
        off += n > 0 ? (size_t)n : 0;
    }
    if (f->ok && f->len && fdatasync(f->w->fd) != 0) f->ok = false;
}

static void start_flush(struct wa *w);

static void flush_after(void *arg)
{
    struct flush *f = arg;
    struct wa *w = f->w;
    w->flushing = false;
    if (!f->ok)
        say(w->host, JADE_LOG_ERROR, _("cannot write the journal in %s: %s"),
            w->host->data_dir(w->host->ctx) ? w->host->data_dir(w->host->ctx) : "(none)",
            strerror(errno));
    for (size_t i = 0; i < f->n_waiters; i++) f->waiters[i].fn(f->waiters[i].arg, f->ok);
    free(f->waiters);
    free(f->data);
    free(f);
    if (w->pending_len || w->n_waiters) start_flush(w);
}

static void start_flush(struct wa *w)
{
    struct flush *f = calloc(1, sizeof *f);
    if (!f) return;
    *f = (struct flush){w, w->pending, w->pending_len, w->waiters, w->n_waiters, false};
    w->pending = NULL;
    w->pending_len = w->pending_cap = 0;
    w->waiters = NULL;
    w->n_waiters = 0;
    w->flushing = true;
    if (w->host->work(w->host->ctx, flush_run, flush_after, f) != 0) {
        flush_run(f); /* no worker: written here rather than not at all */
        flush_after(f);
    }
}

/* Makes every line appended so far durable, then calls fn(arg, ok). */
static void flush(struct wa *w, flushed_fn fn, void *arg)
{
    struct waiter *more = realloc(w->waiters, (w->n_waiters + 1) * sizeof *more);
    if (!more) {
        fn(arg, false);
        return;
    }
    w->waiters = more;
    w->waiters[w->n_waiters++] = (struct waiter){fn, arg};
    if (!w->flushing) start_flush(w);
}

/* Reads the journal into memory; a request that left without an answer
 * (the service died) becomes uncertain, written at once. */
static void note_delivery(struct wa *w, const char *key, const char *wamid, const char *status);

static void journal_load(struct wa *w, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/journal", dir);
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char type, key[64], hash[HASH_HEX], extra[900] = "";
        long long t;
        if (sscanf(line, "%c %lld %63s %32s %899[^\n]", &type, &t, key, hash, extra) < 4) continue;
        if (type == 'T') { /* T <time> <key> <status> <wamid>: a status webhook's */
            note_delivery(w, key, extra, hash);
            continue;
        }
        int m = mark_of_type(type);
        if (m < 0) continue;
        set_mark(w, key, hash, (enum mark)m);
        if (type == 'S') {
            json_object_set_new(w->last, hash, json_integer(t));
        } else if (type == 'D') {
            char wamid[300], last4[8] = "";
            if (sscanf(extra, "%299s %7s", wamid, last4) >= 1) {
                char where[100];
                snprintf(where, sizeof where, "%s %s", key, last4);
                json_object_set_new(w->wamids, wamid, json_string(where));
            }
        }
    }
    if (f) fclose(f);
    const char *name;
    json_t *v;
    size_t orphans = 0;
    json_object_foreach (w->marks, name, v) {
        if (json_integer_value(v) != SENDING) continue;
        json_integer_set(v, DONE_UNCERTAIN);
        char key[64], hash[HASH_HEX];
        if (sscanf(name, "%63s %32s", key, hash) != 2) continue;
        struct recipient r = {0};
        snprintf(r.hash, sizeof r.hash, "%s", hash);
        journal(w, 'U', key, &r, _("the service stopped with the request out"));
        orphans++;
    }
    if (orphans) {
        say(w->host, JADE_LOG_WARNING,
            _("%zu message(s) left without an answer when the service stopped: recorded uncertain, "
              "never sent again"),
            orphans);
        flush_run(&(struct flush){w, w->pending, w->pending_len, NULL, 0, false});
        w->pending_len = 0;
    }
}

static int open_journal(struct wa *w)
{
    const char *dir = w->host->data_dir ? w->host->data_dir(w->host->ctx) : NULL;
    if (!dir) return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/salt", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        bool ok = read(fd, w->salt, sizeof w->salt) == (ssize_t)sizeof w->salt;
        close(fd);
        if (!ok) return -1;
    } else {
        randombytes_buf(w->salt, sizeof w->salt);
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.new", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        bool ok = fd >= 0 && write(fd, w->salt, sizeof w->salt) == (ssize_t)sizeof w->salt &&
                  fsync(fd) == 0;
        if (fd >= 0) close(fd);
        if (!ok || rename(tmp, path) != 0) return -1;
        int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d >= 0) {
            fsync(d);
            close(d);
        }
    }
    journal_load(w, dir);
    snprintf(path, sizeof path, "%s/journal", dir);
    w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    return w->fd >= 0 ? 0 : -1;
}

/* ---- limits --------------------------------------------------------------- */

/* Unique recipients sent to within the rolling day, and when the first of
 * them leaves it (a slot frees). */
static size_t reached(struct wa *w, int64_t now, int64_t *frees_at)
{
    size_t n = 0;
    *frees_at = INT64_MAX;
    const char *name;
    json_t *v;
    json_object_foreach (w->last, name, v) {
        int64_t t = json_integer_value(v);
        if (now - t >= DAY) continue;
        n++;
        if (t + DAY < *frees_at) *frees_at = t + DAY;
    }
    return n;
}

/* Requests that may start now within the throughput: the ring's entries
 * older than a second are free. *wait_ms: when the next one frees. */
static unsigned tokens(struct wa *w, int64_t *wait_ms)
{
    int64_t now = mono_ms();
    while (w->n_starts && now - w->starts[w->first_start] >= 1000) {
        w->first_start = (w->first_start + 1) % w->throughput;
        w->n_starts--;
    }
    *wait_ms = w->n_starts ? 1000 - (now - w->starts[w->first_start]) : 1;
    return w->throughput - w->n_starts;
}

/* A request starts now. */
static void started(struct wa *w)
{
    if (w->n_starts == w->throughput) return; /* tokens() said there was room */
    w->starts[(w->first_start + w->n_starts++) % w->throughput] = mono_ms();
}

/* ---- one publication -------------------------------------------------------- */

static void pump(struct job *j);

static void job_free(struct job *j)
{
    free(j->url);
    if (j->auth) sodium_memzero(j->auth, strlen(j->auth));
    free(j->auth);
    json_decref(j->message);
    free(j->r);
    free(j);
}

static void finish_job(void *arg, bool ok)
{
    struct job *j = arg;
    struct wa *w = j->w;
    (void)ok; /* outcomes not on disk are uncertain at the next start: safe */
    size_t sent = 0, failed = 0, uncertain = 0, waiting = 0;
    for (size_t i = 0; i < j->n; i++) {
        switch (mark_of(w, j->key, j->r[i].hash)) {
        case DONE_SENT:
            sent++;
            break;
        case DONE_FAILED:
            failed++;
            break;
        case DONE_UNCERTAIN:
            uncertain++;
            break;
        default:
            waiting++;
            break;
        }
    }
    char summary[400];
    snprintf(summary, sizeof summary,
             _("%zu of %zu recipient(s) sent, %zu failed, %zu uncertain, %zu waiting%s%s"), sent,
             j->n, failed, uncertain, waiting, *j->failure ? _("; first failure: ") : "",
             j->failure);
    char message[1100];
    int64_t now = w->host->now(w->host->ctx);
    if (j->stop == STOP_AUTH) {
        snprintf(message, sizeof message,
                 _("%s: make a new access token (a system user's), write it into the channel's "
                   "secret (%s)"),
                 j->stop_message, summary);
        pu_finish(j->done, j->token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0, message);
    } else if (j->stop == STOP_REFUSED) {
        snprintf(message, sizeof message, "%s (%s)", j->stop_message, summary);
        pu_finish(j->done, j->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
    } else if (j->stop == STOP_JOURNAL) {
        snprintf(message, sizeof message, "%s (%s)", j->stop_message, summary);
        pu_finish(j->done, j->token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
    } else if (waiting) {
        int64_t at = j->retry_at > now ? j->retry_at : now + 1;
        if (j->stop == STOP_THROTTLED && at < now + w->throttle_seconds)
            at = now + w->throttle_seconds;
        snprintf(message, sizeof message, "%s%s%s", *j->stop_message ? j->stop_message : "",
                 *j->stop_message ? ": " : "", summary);
        pu_finish(j->done, j->token, JADE_OUTCOME_RETRY_AFTER, NULL, NULL, (uint32_t)(at - now),
                  message);
    } else if (j->n == 0) {
        pu_finish(j->done, j->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("the recipients list holds no number"));
    } else if (sent == 0 && uncertain == 0) {
        snprintf(message, sizeof message, _("every recipient failed: %s"), summary);
        pu_finish(j->done, j->token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
    } else if (sent == 0) {
        pu_finish(j->done, j->token, JADE_OUTCOME_UNKNOWN, NULL, NULL, 0, summary);
    } else {
        pu_finish(j->done, j->token, JADE_OUTCOME_SENT, *j->first_wamid ? j->first_wamid : j->key,
                  NULL, 0, summary);
    }
    job_free(j);
}

static void stop_job(struct job *j, enum stop why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop_job(struct job *j, enum stop why, const char *fmt, ...)
{
    if (j->stop != GO && j->stop != STOP_THROTTLED && j->stop != STOP_BUDGET) return;
    j->stop = why;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->stop_message, sizeof j->stop_message, fmt, ap);
    va_end(ap);
}

/* The error codes whose recipient failed for good (the rest of the list
 * goes on), and those that say wait. */
static bool recipient_failed(long code)
{
    return code == 131026 || code == 131047 || code == 131048 || code == 131049 || code == 131050 ||
           code == 131021;
}
static bool wait_code(long code)
{
    return code == 130429 || code == 131056 || code == 131057 || code == 4 || code == 80007;
}

static void response_cb(void *arg, const struct jade_http_response *res)
{
    struct send *s = arg;
    struct job *j = s->job;
    struct wa *w = j->w;
    const struct recipient *r = &j->r[s->index];
    free(s);
    j->inflight--;
    w->inflight--;
    int64_t now = w->host->now(w->host->ctx);
    json_t *body = res->transport_error ? NULL : json_loads(res->body ? res->body : "", 0, NULL);
    json_t *err = json_object_get(body, "error");
    long code = (long)json_integer_value(json_object_get(err, "code"));
    const char *said = json_string_value(json_object_get(err, "message"));
    const char *details =
        json_string_value(json_object_get(json_object_get(err, "error_data"), "details"));
    char words[600];
    snprintf(words, sizeof words, "%ld: %s%s%s", code ? code : res->status,
             said ? said : (res->error_message ? res->error_message : _("no answer")),
             details ? " - " : "", details ? details : "");
    if (res->transport_error) {
        if (res->request_sent) {
            settle(w, 'U', j->key, r, words);
        } else {
            settle(w, 'C', j->key, r, words);
            if (j->retry_at == 0 || j->retry_at > now + 1) j->retry_at = now + 1;
        }
    } else if (res->status >= 200 && res->status < 300) {
        json_t *m = json_array_get(json_object_get(body, "messages"), 0);
        const char *id = json_string_value(json_object_get(m, "id"));
        char extra[400];
        snprintf(extra, sizeof extra, "%s %s", id && *id && !strchr(id, ' ') ? id : "-", r->last4);
        settle(w, 'D', j->key, r, extra);
        if (id && *id) {
            char where[100];
            snprintf(where, sizeof where, "%s %s", j->key, r->last4);
            json_object_set_new(w->wamids, id, json_string(where));
            if (!*j->first_wamid) snprintf(j->first_wamid, sizeof j->first_wamid, "%s", id);
        }
    } else if (code == 190 || res->status == 401) {
        settle(w, 'C', j->key, r, words);
        stop_job(j, STOP_AUTH, _("the access token was refused (%s)"), words);
    } else if (wait_code(code) || res->status == 429) {
        settle(w, 'C', j->key, r, words);
        if (code == 131056) { /* this person: wait the pair limit */
            json_object_set_new(w->last, r->hash, json_integer(now));
            int64_t at = now + w->pair_seconds + 1;
            if (j->retry_at == 0 || at < j->retry_at) j->retry_at = at;
        } else {
            stop_job(j, STOP_THROTTLED, _("WhatsApp asked to slow down (%s)"), words);
        }
    } else if (recipient_failed(code)) {
        settle(w, 'F', j->key, r, words);
        if (!*j->failure) snprintf(j->failure, sizeof j->failure, "%.299s", words);
    } else if (res->status >= 500) {
        /* the request arrived: it may have been accepted */
        settle(w, 'U', j->key, r, words);
    } else {
        settle(w, 'C', j->key, r, words);
        stop_job(j, STOP_REFUSED, _("WhatsApp refused the message (HTTP %ld, %s)"), res->status,
                 words);
    }
    json_decref(body);
    pump(j);
}

/* The batch's "S" lines are on disk: its requests leave. */
static void batch_written(void *arg, bool ok);

struct batch {
    struct job *job;
    size_t *items;
    size_t n;
};

static void send_one(struct job *j, size_t index)
{
    struct wa *w = j->w;
    const struct jade_host *host = w->host;
    json_object_set_new(j->message, "to", json_string(j->r[index].number));
    char *body = json_dumps(j->message, JSON_COMPACT);
    struct jade_http_header headers[] = {{"Content-Type", "application/json"},
                                         {"Authorization", j->auth}};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "POST",
                                    .url = j->url,
                                    .headers = headers,
                                    .n_headers = 2,
                                    .body = body,
                                    .body_len = body ? strlen(body) : 0};
    struct send *s = malloc(sizeof *s);
    if (!body || !s || host->http(host->ctx, &req, response_cb, s) != 0) {
        free(s);
        j->inflight--;
        w->inflight--;
        settle(w, 'C', j->key, &j->r[index], _("the request could not be started"));
        stop_job(j, STOP_JOURNAL, _("a request could not be started"));
    } else {
        *s = (struct send){j, index};
    }
    free(body);
}

static void batch_written(void *arg, bool ok)
{
    struct batch *b = arg;
    struct job *j = b->job;
    for (size_t i = 0; i < b->n; i++) {
        if (ok && j->stop != STOP_AUTH && j->stop != STOP_REFUSED) {
            send_one(j, b->items[i]);
        } else { /* not sent: nothing says it was */
            j->inflight--;
            j->w->inflight--;
            set_mark(j->w, j->key, j->r[b->items[i]].hash, NONE);
            journal(j->w, 'C', j->key, &j->r[b->items[i]], _("not sent"));
        }
    }
    if (!ok) stop_job(j, STOP_JOURNAL, _("the journal cannot be written: nothing more is sent"));
    free(b->items);
    free(b);
    pump(j);
}

static void wake(void *arg)
{
    struct job *j = arg;
    j->waiting = false;
    pump(j);
}

static void pump(struct job *j)
{
    struct wa *w = j->w;
    if (j->finishing || j->waiting) return;
    if (j->stop == GO && mono_ms() - j->started_ms > (int64_t)w->budget_seconds * 1000)
        stop_job(j, STOP_BUDGET, _("still going after %u s: the rest at the next attempt"),
                 w->budget_seconds);
    if (j->stop == GO) {
        int64_t now = w->host->now(w->host->ctx);
        int64_t wait;
        unsigned room = tokens(w, &wait);
        bool crowded = w->inflight + room > MAX_IN_FLIGHT;
        if (crowded) room = w->inflight < MAX_IN_FLIGHT ? MAX_IN_FLIGHT - w->inflight : 0;
        struct batch *b = calloc(1, sizeof *b);
        b->job = j;
        b->items = calloc(room ? room : 1, sizeof *b->items);
        int64_t frees_at;
        size_t reach = reached(w, now, &frees_at);
        while (j->next < j->n && b->n < room) {
            const struct recipient *r = &j->r[j->next++];
            if (mark_of(w, j->key, r->hash) != NONE) continue; /* done: nobody twice */
            json_t *lt = json_object_get(w->last, r->hash);
            int64_t last = lt ? json_integer_value(lt) : INT64_MIN / 2;
            if (now - last <= (int64_t)w->pair_seconds) { /* the pair limit */
                int64_t at = last + w->pair_seconds + 1;
                if (j->retry_at == 0 || at < j->retry_at) j->retry_at = at;
                continue;
            }
            if (now - last >= DAY) { /* a new person of the day: the reach cap */
                if (reach >= w->reach_cap) {
                    /* none reached before this pump: the first slot frees a
                     * day after the ones it just took */
                    int64_t frees = frees_at == INT64_MAX ? now + DAY : frees_at;
                    if (j->retry_at == 0 || frees + 1 < j->retry_at) j->retry_at = frees + 1;
                    continue;
                }
                reach++;
            }
            json_object_set_new(w->last, r->hash, json_integer(now));
            settle(w, 'S', j->key, r, r->last4);
            b->items[b->n++] = (size_t)(r - j->r);
            j->inflight++; /* counted from now: its line is being written */
            w->inflight++;
        }
        if (b->n) {
            for (size_t i = 0; i < b->n; i++) started(w);
            flush(w, batch_written, b); /* more may be added while it is written */
            return;
        }
        free(b->items);
        free(b);
        if (j->next < j->n && crowded && j->inflight) return; /* its answers pump again */
        if (j->next < j->n) { /* the second's throughput is spent, or others' requests */
            if (crowded) wait = 20;
            j->waiting = true;
            if (w->host->later(w->host->ctx, (uint32_t)(wait > 0 ? wait : 1), wake, j) == 0) return;
            j->waiting = false;
            stop_job(j, STOP_BUDGET, _("cannot wait for the next second"));
        }
    }
    if (j->inflight) return; /* their answers pump again */
    j->finishing = true;
    flush(w, finish_job, j); /* outcomes on disk before the core hears */
}

static void wa_publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                       void *token)
{
    struct wa *w = instance;
    const struct jade_host *host = w->host;
    if (w->fd < 0) {
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0,
                  _("the whatsapp plugin has no journal (its folder in the state folder cannot be "
                    "written): nothing is sent without one"));
        return;
    }
    json_t *account = pu_account(pub);
    const char *number_id = json_string_value(json_object_get(account, "phone_number_id"));
    const char *template = json_string_value(json_object_get(account, "template"));
    const char *language = json_string_value(json_object_get(account, "template_language"));
    const char *list_name = json_string_value(json_object_get(account, "recipients"));
    if (!number_id || !template || !language || !list_name) {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0,
                  _("the channel's account needs phone_number_id, template, template_language and "
                    "recipients"));
        json_decref(account);
        return;
    }
    char token_text[2048];
    if (!pub->secret_name ||
        host->secret(host->ctx, pub->secret_name, token_text, sizeof token_text) <= 0) {
        pu_finish(done, token, JADE_OUTCOME_AUTH_FAILED, NULL, NULL, 0,
                  _("no access token: give the channel a \"secret\" holding the WhatsApp Business "
                    "access token, in the secrets folder"));
        json_decref(account);
        return;
    }
    /* The list lives beside the token: only channels the operator bound
     * to the token (bindings) reach it. */
    char list_secret[512];
    snprintf(list_secret, sizeof list_secret, "%s.%s", pub->secret_name, list_name);
    list_name = list_secret;
    char *list = malloc(LIST_MAX);
    int list_len = list ? host->secret(host->ctx, list_name, list, LIST_MAX) : -1;
    if (list_len < 0) {
        char message[700];
        snprintf(message, sizeof message,
                 _("the recipients list \"%s\" cannot be read from the secrets folder (mode 0600, "
                   "a plain file, at most 1 MiB): see the service's log"),
                 list_name);
        pu_finish(done, token, JADE_OUTCOME_TRANSIENT, NULL, NULL, 0, message);
        free(list);
        sodium_memzero(token_text, sizeof token_text);
        json_decref(account);
        return;
    }
    /* the template's one body parameter: the text, and the link */
    char *joined = NULL;
    if (pub->link && *pub->link) {
        size_t len = strlen(pub->text) + strlen(pub->link) + 2;
        joined = malloc(len);
        if (joined) snprintf(joined, len, "%s %s", pub->text, pub->link);
    }
    char *param = flatten(joined ? joined : pub->text);
    free(joined);
    struct job *j = calloc(1, sizeof *j);
    size_t bad_line = 0;
    char message[800] = "";
    if (!param || !j) {
        snprintf(message, sizeof message, _("out of memory"));
    } else if (!*param) {
        snprintf(message, sizeof message, _("the text is empty once flattened"));
    } else if (codepoints(param) > PARAM_MAX) {
        snprintf(message, sizeof message,
                 _("the text is %zu characters once flattened: a template parameter holds at "
                   "most %d"),
                 codepoints(param), PARAM_MAX);
    } else {
        j->r = parse_list(w, list, &j->n, &bad_line);
        if (!j->r)
            snprintf(message, sizeof message, _("out of memory"));
        else if (bad_line)
            snprintf(message, sizeof message,
                     _("the recipients list \"%s\", line %zu: not a number in E.164 form "
                       "(+ and 8 to 15 digits)"),
                     list_name, bad_line);
    }
    sodium_memzero(list, LIST_MAX);
    free(list);
    if (*message) {
        pu_finish(done, token, JADE_OUTCOME_PERMANENT, NULL, NULL, 0, message);
        free(param);
        if (j) free(j->r);
        free(j);
        sodium_memzero(token_text, sizeof token_text);
        json_decref(account);
        return;
    }
    j->w = w;
    j->done = done;
    j->token = token;
    snprintf(j->key, sizeof j->key, "%s", pub->key);
    const char *base = pu_api_base(host, PUBLIC_BASE);
    size_t len = strlen(base) + strlen(number_id) + 16;
    j->url = malloc(len);
    snprintf(j->url, len, "%s/%s/messages", base, number_id);
    len = strlen(token_text) + 8;
    j->auth = malloc(len);
    snprintf(j->auth, len, "Bearer %s", token_text);
    sodium_memzero(token_text, sizeof token_text);
    j->message =
        json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}, s:[{s:s, s:[{s:s, s:s}]}]}}",
                  "messaging_product", "whatsapp", "recipient_type", "individual", "to", "", "type",
                  "template", "template", "name", template, "language", "code", language,
                  "components", "type", "body", "parameters", "type", "text", "text", param);
    free(param);
    json_decref(account);
    j->started_ms = mono_ms();
    pump(j);
}

/* ---- the status webhook ------------------------------------------------------ */

static const char *in_header(const struct jade_inbound_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name && !strcmp(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}

static void answer(struct jade_inbound_answer *a, uint32_t status, const char *text)
{
    a->status = status;
    a->content_type = "text/plain; charset=utf-8";
    int n = snprintf(a->body, a->body_size, "%s\n", text);
    a->body_len = n < 0 ? 0 : (size_t)n < a->body_size ? (size_t)n : a->body_size - 1;
}

/* The value of name in a query string (percent-decoding not needed: the
 * values compared are tokens and digits), copied into out. */
static bool query_value(const char *query, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && !strncmp(p, name, n) && p[n] == '=') {
            snprintf(out, size, "%.*s", (int)(len - n - 1), p + n + 1);
            return len - n - 1 < size;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static bool same_secret(const char *a, const char *b)
{
    unsigned char ha[32], hb[32];
    crypto_generichash(ha, sizeof ha, (const unsigned char *)a, strlen(a), NULL, 0);
    crypto_generichash(hb, sizeof hb, (const unsigned char *)b, strlen(b), NULL, 0);
    return sodium_memcmp(ha, hb, sizeof ha) == 0;
}

/* Meta's handshake: hub.mode=subscribe, hub.verify_token, hub.challenge. */
static void verify_handshake(struct wa *w, const struct jade_inbound_request *req,
                             struct jade_inbound_answer *a)
{
    const struct jade_host *host = w->host;
    const char *name = host->setting(host->ctx, "verify_token");
    char mode[32], given[512], challenge[256], secret[512];
    if (!query_value(req->query, "hub.mode", mode, sizeof mode) || strcmp(mode, "subscribe") ||
        !query_value(req->query, "hub.verify_token", given, sizeof given) ||
        !query_value(req->query, "hub.challenge", challenge, sizeof challenge)) {
        answer(a, 400, "expected hub.mode=subscribe, hub.verify_token and hub.challenge");
        return;
    }
    for (const char *p = challenge; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '_')) {
            answer(a, 400, "hub.challenge is not a plain token");
            return;
        }
    int len = host->secret(host->ctx, name ? name : "whatsapp-verify-token", secret, sizeof secret);
    bool good = len > 0 && same_secret(given, secret);
    sodium_memzero(secret, sizeof secret);
    if (!good) {
        answer(a, 403, "wrong hub.verify_token");
        return;
    }
    a->status = 200;
    a->content_type = "text/plain";
    int n = snprintf(a->body, a->body_size, "%s", challenge);
    a->body_len = n > 0 ? (size_t)n : 0;
}

/* X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>. */
static bool signature_holds(struct wa *w, const struct jade_inbound_request *req)
{
    const struct jade_host *host = w->host;
    const char *sig = in_header(req, "x-hub-signature-256");
    if (!sig || strncmp(sig, "sha256=", 7) != 0 || strlen(sig + 7) != 64) return false;
    unsigned char sent[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    size_t got = 0;
    if (sodium_hex2bin(sent, sizeof sent, sig + 7, 64, NULL, &got, NULL) != 0 || got != sizeof sent)
        return false;
    const char *name = host->setting(host->ctx, "app_secret");
    char secret[1024];
    int len = host->secret(host->ctx, name ? name : "whatsapp-app-secret", secret, sizeof secret);
    if (len <= 0) {
        say(host, JADE_LOG_ERROR,
            _("the status webhook cannot be checked: the app secret cannot be read (setting "
              "app_secret)"));
        return false;
    }
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, (size_t)len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)req->body, req->body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(&st, sizeof st);
    return sodium_memcmp(sent, mac, sizeof mac) == 0;
}

/* ---- metrics: from the status webhook ---------------------------------------- */

static enum delivery delivery_of(const char *status)
{
    return !strcmp(status, "sent")        ? D_SENT
           : !strcmp(status, "delivered") ? D_DELIVERED
           : !strcmp(status, "read")      ? D_READ
           : !strcmp(status, "failed")    ? D_FAILED
                                          : D_NONE;
}

/* A message of key got as far as status says: the key's counts follow
 * (read counts as delivered too; failed is final). Returns whether it
 * went further than known. */
static bool advance(struct wa *w, const char *key, const char *wamid, const char *status)
{
    enum delivery now = delivery_of(status);
    json_t *known = json_object_get(w->delivery, wamid);
    enum delivery was = known ? (enum delivery)json_integer_value(known) : D_NONE;
    if (now == D_NONE || was == D_FAILED || (now != D_FAILED && now <= was)) return false;
    json_object_set_new(w->delivery, wamid, json_integer(now));
    json_t *c = json_object_get(w->counts, key);
    if (!c) json_object_set_new(w->counts, key, c = json_pack("[i,i,i]", 0, 0, 0));
    int64_t delivered = json_integer_value(json_array_get(c, 0)) +
                        ((now == D_DELIVERED || now == D_READ) && was < D_DELIVERED) -
                        (now == D_FAILED && was >= D_DELIVERED);
    int64_t read = json_integer_value(json_array_get(c, 1)) + (now == D_READ) -
                   (now == D_FAILED && was == D_READ);
    int64_t failed = json_integer_value(json_array_get(c, 2)) + (now == D_FAILED);
    json_array_set_new(c, 0, json_integer(delivered));
    json_array_set_new(c, 1, json_integer(read));
    json_array_set_new(c, 2, json_integer(failed));
    return true;
}

static void note_delivery(struct wa *w, const char *key, const char *wamid, const char *status)
{
    advance(w, key, wamid, status);
}

static void flushed_nothing(void *arg, bool ok)
{
    (void)arg, (void)ok;
}

/* The messages of the publication delivered, read and failed, as the
 * status webhook reported them (no request: WhatsApp has no metrics to
 * ask for). reach: delivered. */
static void wa_metrics(void *instance, const struct jade_publication *pub, const char *network_id,
                       jade_metrics_cb done, void *token)
{
    (void)network_id;
    struct wa *w = instance;
    json_t *c = json_object_get(w->counts, pub->key ? pub->key : "");
    int64_t delivered = json_integer_value(json_array_get(c, 0)),
            read = json_integer_value(json_array_get(c, 1)),
            failed = json_integer_value(json_array_get(c, 2));
    struct jade_metric m[] = {
        {"delivered", delivered}, {"read", read}, {"failed", failed}, {"reach", delivered}};
    struct jade_result res = {.struct_size = sizeof res, .outcome = JADE_OUTCOME_SENT};
    done(token, &res, m, sizeof m / sizeof *m);
}

/* A status of a message sent: how far it got is journalled (its
 * metrics); a failure or a hold is also noted on its occurrence. */
static void status_seen(struct wa *w, json_t *status)
{
    const char *id = json_string_value(json_object_get(status, "id"));
    const char *what = json_string_value(json_object_get(status, "status"));
    if (!id || !what) return;
    const char *where = json_string_value(json_object_get(w->wamids, id));
    char key[64], last4[8] = "?";
    if (where && sscanf(where, "%63s %7s", key, last4) >= 1 && strlen(id) < 300 &&
        !strpbrk(id, " \t\r\n") && advance(w, key, id, what)) {
        struct recipient r = {0};
        snprintf(r.hash, sizeof r.hash, "%s", what);
        journal(w, 'T', key, &r, id);
        flush(w, flushed_nothing, NULL);
    }
    if (strcmp(what, "failed") && strcmp(what, "held_for_quality_assessment")) return;
    if (!where || sscanf(where, "%63s %7s", key, last4) < 1) {
        say(w->host, JADE_LOG_INFO, _("a status \"%s\" for a message this service did not send"),
            what);
        return;
    }
    char note[800];
    if (!strcmp(what, "failed")) {
        json_t *e = json_array_get(json_object_get(status, "errors"), 0);
        const char *title = json_string_value(json_object_get(e, "title"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        const char *details =
            json_string_value(json_object_get(json_object_get(e, "error_data"), "details"));
        snprintf(note, sizeof note, _("recipient ...%s: failed later, %lld: %s%s%s"), last4,
                 (long long)json_integer_value(json_object_get(e, "code")),
                 title ? title
                 : msg ? msg
                       : _("no reason given"),
                 details ? " - " : "", details ? details : "");
    } else {
        snprintf(note, sizeof note,
                 _("recipient ...%s: held for quality assessment (WhatsApp checks the message "
                   "before it delivers it, or not)"),
                 last4);
    }
    for (char *p = note; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    if (w->host->late(w->host->ctx, key, note) != 0)
        say(w->host, JADE_LOG_WARNING, _("%s (occurrence %s: not recorded)"), note, key);
}

static void wa_receive(void *instance, const struct jade_inbound_request *req,
                       struct jade_inbound_answer *a)
{
    struct wa *w = instance;
    if (!strcmp(req->method, "GET")) {
        verify_handshake(w, req, a);
        return;
    }
    if (strcmp(req->method, "POST")) {
        answer(a, 405, "GET (the handshake) or POST (notifications)");
        return;
    }
    if (!signature_holds(w, req)) {
        answer(a, 403, "X-Hub-Signature-256 is missing or does not match the body");
        return;
    }
    json_t *root = json_loadb(req->body, req->body_len, 0, NULL);
    size_t i, k, m;
    json_t *entry, *change, *status;
    json_array_foreach (json_object_get(root, "entry"), i, entry)
        json_array_foreach (json_object_get(entry, "changes"), k, change)
            json_array_foreach (json_object_get(json_object_get(change, "value"), "statuses"), m,
                                status)
                status_seen(w, status);
    json_decref(root);
    answer(a, 200, "ok");
}

/* ---- the plugin ---------------------------------------------------------------- */

static int wa_init(const struct jade_host *host, void **instance)
{
    if (sodium_init() < 0) return -1;
    if (!JADE_HAS_MEMBER(host, struct jade_host, late)) {
        host->log(host->ctx, JADE_LOG_ERROR,
                  _("the whatsapp plugin needs a jade with host late()"));
        return -1;
    }
    struct wa *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->host = host;
    w->fd = -1;
    w->marks = json_object();
    w->last = json_object();
    w->wamids = json_object();
    w->delivery = json_object();
    w->counts = json_object();
    w->throughput = setting_uint(host, "throughput", 80);
    w->starts = calloc(w->throughput, sizeof *w->starts);
    if (!w->starts) {
        free(w);
        return -1;
    }
    w->pair_seconds = setting_uint(host, "pair_seconds", 6);
    w->reach_cap = setting_uint(host, "reach_cap", 250);
    w->throttle_seconds = setting_uint(host, "throttle_seconds", 60);
    w->budget_seconds = setting_uint(host, "budget_seconds", 600);
    if (open_journal(w) != 0)
        say(host, JADE_LOG_ERROR,
            _("the whatsapp plugin cannot keep its journal in its folder of the state folder (%s): "
              "it sends nothing"),
            strerror(errno));
    *instance = w;
    return 0;
}

static void wa_fini(void *instance)
{
    struct wa *w = instance;
    if (!w) return;
    if (w->fd >= 0) {
        if (w->pending_len) /* the last outcomes: the service is stopping */
            flush_run(&(struct flush){w, w->pending, w->pending_len, NULL, 0, false});
        close(w->fd);
    }
    free(w->pending);
    free(w->waiters);
    free(w->starts);
    json_decref(w->marks);
    json_decref(w->last);
    json_decref(w->wamids);
    json_decref(w->delivery);
    json_decref(w->counts);
    free(w);
}

static const struct jade_plugin_limits wa_limits = {.struct_size =
                                                        sizeof(struct jade_plugin_limits),
                                                    .text_max = PARAM_MAX,
                                                    .counting = JADE_COUNT_CODEPOINTS,
                                                    .media_max = 0};

static const struct jade_plugin wa_plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "whatsapp",
    .description = N_("an approved template message to each opted-in recipient of a list"),
    .limits = &wa_limits,
    /* the journal makes a repeat with the same key send to nobody twice */
    .capabilities = JADE_CAP_IDEMPOTENCY_KEY | JADE_CAP_METRICS,
    .account_schema = "{\"type\": \"object\","
                      " \"required\": [\"phone_number_id\", \"template\", \"template_language\", "
                      "\"recipients\"],"
                      " \"properties\": {"
                      "  \"phone_number_id\": {\"type\": \"string\", \"pattern\": \"^[0-9]+$\"},"
                      "  \"template\": {\"type\": \"string\", \"pattern\": \"^[a-z0-9_]+$\"},"
                      "  \"template_language\": {\"type\": \"string\", \"pattern\": "
                      "\"^[a-z]{2,3}(_[A-Z]{2})?$\"},"
                      "  \"recipients\": {\"type\": \"string\", \"pattern\": "
                      "\"^[A-Za-z0-9_][A-Za-z0-9_-]*$\"}}}",
    .deadline_seconds = 900,
    .init = wa_init,
    .publish = wa_publish,
    .metrics = wa_metrics,
    .fini = wa_fini,
    .receive = wa_receive,
};

JADE_PLUGIN_EXPORT(wa_plugin)
