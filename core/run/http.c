/* http.c - libcurl multi socket on libuv (see http.h).
 *
 * The traps of this pattern, and how they are handled here:
 * - an fd reused before its poll handle closed: a socket's watch is closed
 *   in curl's close-socket callback, before the descriptor itself, so a
 *   reused number never meets a stale handle; at CURL_POLL_REMOVE (the
 *   connection goes idle in curl's cache) a read watch is left as it is
 *   and stopped only if the idle socket stirs (the server closing it), so
 *   that reusing a connection costs no epoll_ctl;
 * - CURL_POLL_REMOVE may come for a socket we never watched (or no longer
 *   do): it is ignored;
 * - the timer callback's -1 means "no timeout": the timer is stopped;
 * - a poll error is passed to curl as CURL_CSELECT_ERR, so curl ends the
 *   transfer with an error instead of waiting forever. */
#include "http.h"

#include "outbound.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BODY (1u << 20)
#define DEFAULT_TIMEOUT_MS 30000

struct socket_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct jade_http *h;
    int polled; /* the UV_ events the poll handle watches, 0 when stopped */
    bool idle;  /* curl said CURL_POLL_REMOVE: nothing of curl's waits on it */
};

struct transfer {
    struct transfer *prev, *next; /* running transfers, to abandon at the end */
    struct jade_http *h;
    CURL *easy;
    struct curl_slist *headers;
    curl_mime *mime;     /* a multipart body, or NULL */
    uv_timer_t *refused; /* a request that failed before leaving: its answer, soon */
    jade_http_cb cb;
    void *arg;
    struct jade_buf body;
    struct jade_buf header_text; /* "name: value\n" lines */
    char error[CURL_ERROR_SIZE];
    struct jade_buf refusal; /* why the outbound rules stopped it, if they did */
};

struct jade_http {
    uv_loop_t *loop;
    const struct jade_outbound *outbound;
    CURLM *multi;
    uv_timer_t timer;
    size_t pending;
    bool closing;
    struct socket_ctx **by_fd; /* the watch of each open socket, by descriptor */
    size_t n_by_fd;
    struct transfer *transfers;
    CURL *spare[16]; /* easy handles kept for the next requests */
    size_t n_spare;
};

#define LIST_ADD(head, item)                                                                       \
    do {                                                                                           \
        (item)->prev = NULL;                                                                       \
        (item)->next = (head);                                                                     \
        if (head) (head)->prev = (item);                                                           \
        (head) = (item);                                                                           \
    } while (0)
#define LIST_REMOVE(head, item)                                                                    \
    do {                                                                                           \
        if ((item)->prev) (item)->prev->next = (item)->next;                                       \
        if ((item)->next) (item)->next->prev = (item)->prev;                                       \
        if ((head) == (item)) (head) = (item)->next;                                               \
    } while (0)

void jade_http_redact(const char *url, char *out, size_t out_size)
{
    const char *host = strstr(url, "://");
    size_t n = host ? strcspn(host + 3, "/?#") + (size_t)(host + 3 - url) : strcspn(url, "/?#");
    /* user:password@ never shows either */
    const char *at = host ? memchr(host + 3, '@', n - (size_t)(host + 3 - url)) : NULL;
    if (at)
        snprintf(out, out_size, "%.*s%.*s", (int)(host + 3 - url), url,
                 (int)(n - (size_t)(at + 1 - url)), at + 1);
    else
        snprintf(out, out_size, "%.*s", (int)n, url);
}

static void socket_close_cb(uv_handle_t *handle)
{
    free(handle->data);
}

static void check_done(struct jade_http *h);
static void poll_cb(uv_poll_t *poll, int status, int events);

static void watch(struct socket_ctx *s, int events)
{
    if (events == s->polled) return; /* libuv would stop and start it again */
    if (events)
        uv_poll_start(&s->poll, events, poll_cb);
    else
        uv_poll_stop(&s->poll);
    s->polled = events;
}

static void poll_cb(uv_poll_t *poll, int status, int events)
{
    struct socket_ctx *s = poll->data;
    if (s->idle) { /* curl does not want it now, and would not read it */
        watch(s, 0);
        return;
    }
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    }
    int running;
    struct jade_http *h = s->h; /* s may be freed during the call */
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    check_done(h);
}

/* The watch of a socket curl has open, by descriptor: kept between
 * transfers (curl forgets its assignment when a connection goes idle), and
 * closed just before curl closes the socket (close_socket_cb). */
static struct socket_ctx *watched(struct jade_http *h, curl_socket_t fd)
{
    return fd >= 0 && (size_t)fd < h->n_by_fd ? h->by_fd[fd] : NULL;
}

static void set_watched(struct jade_http *h, curl_socket_t fd, struct socket_ctx *s)
{
    if ((size_t)fd >= h->n_by_fd) {
        size_t n = (size_t)fd * 2 + 16;
        h->by_fd = jade_xrealloc(h->by_fd, n * sizeof *h->by_fd);
        memset(h->by_fd + h->n_by_fd, 0, (n - h->n_by_fd) * sizeof *h->by_fd);
        h->n_by_fd = n;
    }
    h->by_fd[fd] = s;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct jade_http *h = userp;
    struct socket_ctx *s = socketp ? socketp : watched(h, fd);
    if (what == CURL_POLL_REMOVE) {
        if (s) { /* idle, perhaps reused: closed with the socket */
            s->idle = true;
            if (s->polled & UV_WRITABLE) watch(s, 0); /* would fire at once */
        }
        return 0;
    }
    if (!s) {
        s = jade_xcalloc(1, sizeof *s);
        s->fd = fd;
        s->h = h;
        if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        set_watched(h, fd, s);
    }
    if (!socketp) curl_multi_assign(h->multi, fd, s);
    int events = 0;
    if (what & CURL_POLL_IN) events |= UV_READABLE;
    if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
    s->idle = false;
    watch(s, events);
    return 0;
}

/* curl closes a socket: its watch goes first, so that the descriptor's
 * number, once reused, never reaches a stale handle. */
static int close_socket_cb(void *clientp, curl_socket_t fd)
{
    struct jade_http *h = clientp;
    struct socket_ctx *s = watched(h, fd);
    if (s) {
        set_watched(h, fd, NULL);
        uv_poll_stop(&s->poll);
        uv_close((uv_handle_t *)&s->poll, socket_close_cb);
    }
    return close(fd);
}

static void timer_cb(uv_timer_t *t)
{
    struct jade_http *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static int timer_function(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct jade_http *h = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else /* 0 too goes through the loop: curl must not be re-entered here */
        uv_timer_start(&h->timer, timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (t->body.len + len > MAX_BODY) return 0; /* curl fails the transfer */
    jade_buf_append(&t->body, data, len);
    return len;
}

static size_t header_cb(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (t->header_text.len + len <= 64 * 1024) jade_buf_append(&t->header_text, data, len);
    return len;
}

static void free_transfer(struct transfer *t)
{
    curl_slist_free_all(t->headers);
    curl_mime_free(t->mime);
    jade_buf_free(&t->body);
    jade_buf_free(&t->header_text);
    jade_buf_free(&t->refusal);
    free(t);
}

/* Parses the last response's header lines (after redirects and 100s),
 * in place: the headers point into text. */
static size_t parse_headers(char *text, struct jade_http_header *out, size_t max)
{
    size_t n = 0;
    for (char *line = text; line && *line;) {
        char *end = line + strcspn(line, "\r\n");
        char *next = *end ? end + 1 : NULL;
        *end = '\0';
        if (!strncmp(line, "HTTP/", 5)) {
            n = 0; /* a new response starts */
        } else {
            char *colon = strchr(line, ':');
            if (colon && n < max) {
                *colon = '\0';
                char *value = colon + 1;
                while (*value == ' ' || *value == '\t') value++;
                out[n++] = (struct jade_http_header){line, value};
            }
        }
        line = next;
        while (line && (*line == '\r' || *line == '\n')) line++;
    }
    return n;
}

static bool was_sent(CURLcode code, CURL *easy)
{
    if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
        code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_SSL_CONNECT_ERROR ||
        code == CURLE_PEER_FAILED_VERIFICATION)
        return false;
    long sent = 0;
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent);
    return sent > 0;
}

static void check_done(struct jade_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        struct transfer *t;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        struct jade_http_header headers[64];
        struct jade_http_response r = {.struct_size = sizeof r};
        r.transport_error = code != CURLE_OK;
        r.request_sent = was_sent(code, easy);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
        r.headers = headers;
        r.n_headers = t->header_text.data ? parse_headers(t->header_text.data, headers, 64) : 0;
        r.body = jade_buf_str(&t->body);
        r.body_len = t->body.len;
        r.error_message = code == CURLE_OK ? NULL
                          : t->refusal.len ? jade_buf_str(&t->refusal)
                          : t->error[0]    ? t->error
                                           : curl_easy_strerror(code);
        curl_multi_remove_handle(h->multi, easy);
        if (h->n_spare < sizeof h->spare / sizeof *h->spare)
            h->spare[h->n_spare++] = easy; /* reset when used again */
        else
            curl_easy_cleanup(easy);
        LIST_REMOVE(h->transfers, t);
        h->pending--;
        t->cb(t->arg, &r);
        free_transfer(t); /* the headers pointed into it */
    }
}

/* A multipart/form-data body from the request's parts: values copied,
 * files streamed from disk as curl sends them. Each file must open now:
 * -1 with the reason in why when one cannot, before anything leaves. */
static int build_mime(CURL *e, const struct jade_http_request *req, curl_mime **out,
                      struct jade_buf *why)
{
    curl_mime *mime = curl_mime_init(e);
    for (size_t i = 0; i < req->n_parts; i++) {
        const struct jade_http_part *p = &req->parts[i];
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, p->name);
        if (p->file) {
            int fd = open(p->file, O_RDONLY | O_CLOEXEC);
            struct stat st;
            if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                jade_buf_printf(why, _("cannot read %s for the upload: %s"), p->file,
                                fd < 0 ? strerror(errno) : _("not a regular file"));
                if (fd >= 0) close(fd);
                curl_mime_free(mime);
                return -1;
            }
            close(fd);
            if (curl_mime_filedata(part, p->file) != CURLE_OK) {
                jade_buf_printf(why, _("cannot read %s for the upload"), p->file);
                curl_mime_free(mime);
                return -1;
            }
        } else {
            curl_mime_data(part, p->value ? p->value : "", p->value ? p->value_len : 0);
        }
        /* NULL: a file keeps its own name (filedata set it), a value none */
        if (p->filename) curl_mime_filename(part, p->filename);
        if (p->content_type) curl_mime_type(part, p->content_type);
    }
    *out = mime;
    return 0;
}

static void refused_closed_cb(uv_handle_t *handle)
{
    free(handle);
}

/* A request that failed before leaving answers from the loop, as every
 * request does: never from inside http(). */
static void refused_cb(uv_timer_t *timer)
{
    struct transfer *t = timer->data;
    struct jade_http *h = t->h;
    LIST_REMOVE(h->transfers, t);
    h->pending--;
    struct jade_http_response r = {.struct_size = sizeof r,
                                   .transport_error = 1,
                                   .request_sent = 0,
                                   .body = "",
                                   .error_message = jade_buf_str(&t->refusal)};
    uv_close((uv_handle_t *)timer, refused_closed_cb);
    t->refused = NULL;
    t->cb(t->arg, &r);
    free_transfer(t);
}

bool jade_http_parts_and_body(const struct jade_http_request *req)
{
    return JADE_HAS_MEMBER(req, struct jade_http_request, n_parts) && req->n_parts && req->body;
}

/* A transfer that never started: its timer goes (uv_close stops it). */
static void drop_refused(struct transfer *t)
{
    if (!t->refused) return;
    uv_close((uv_handle_t *)t->refused, refused_closed_cb);
    t->refused = NULL;
}

/* Every connection's socket: its address, resolved, is checked first. */
static curl_socket_t open_socket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *address)
{
    (void)purpose;
    struct transfer *t = arg;
    jade_buf_truncate(&t->refusal, 0);
    if (!jade_outbound_address_allowed(t->h->outbound, &address->addr, &t->refusal))
        return CURL_SOCKET_BAD; /* curl fails the transfer: nothing was sent */
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

struct jade_http *jade_http_new(uv_loop_t *loop, const struct jade_outbound *outbound)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct jade_http *h = jade_xcalloc(1, sizeof *h);
    h->loop = loop;
    h->outbound = outbound;
    h->multi = curl_multi_init();
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_function);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

void jade_http_keep_alive(struct jade_http *h, size_t connections)
{
    if (h) curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)connections);
}

int jade_http_request(struct jade_http *h, const struct jade_http_request *req, jade_http_cb cb,
                      void *arg)
{
    if (h->closing || !req || !req->url || !req->method) return -1;
    if (jade_http_parts_and_body(req)) return -1; /* which is the body? */
    struct transfer *t = jade_xcalloc(1, sizeof *t);
    t->h = h;
    t->cb = cb;
    t->arg = arg;
    if (h->n_spare) {
        t->easy = h->spare[--h->n_spare];
        curl_easy_reset(t->easy);
    } else {
        t->easy = curl_easy_init();
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    size_t n_parts = JADE_HAS_MEMBER(req, struct jade_http_request, n_parts) ? req->n_parts : 0;
    if (n_parts && req->parts && build_mime(e, req, &t->mime, &t->refusal) != 0) {
        /* Nothing leaves: the plugin hears why, from the loop. */
        if (h->n_spare < sizeof h->spare / sizeof *h->spare)
            h->spare[h->n_spare++] = e;
        else
            curl_easy_cleanup(e);
        t->easy = NULL;
        t->refused = jade_xcalloc(1, sizeof *t->refused);
        uv_timer_init(h->loop, t->refused);
        t->refused->data = t;
        uv_timer_start(t->refused, refused_cb, 0, 0);
        LIST_ADD(h->transfers, t);
        h->pending++;
        return 0;
    }
    if (t->mime) {
        curl_easy_setopt(e, CURLOPT_MIMEPOST, t->mime);
    } else if (req->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body); /* the plugin may free it */
    }
    struct jade_buf line = {0}; /* curl copies each line */
    for (size_t i = 0; i < req->n_headers; i++) {
        jade_buf_truncate(&line, 0);
        jade_buf_printf(&line, "%s: %s", req->headers[i].name, req->headers[i].value);
        t->headers = curl_slist_append(t->headers, jade_buf_str(&line));
    }
    jade_buf_free(&line);
    t->headers = curl_slist_append(t->headers, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     (long)(req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Plain http only where the operator allows it: otherwise curl refuses
     * the URL before connecting, and the refusal says why. */
    bool http_ok = jade_outbound_url_allowed(h->outbound, req->url, &t->refusal);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, http_ok ? "http,https" : "https");
    if (http_ok) jade_buf_truncate(&t->refusal, 0);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    /* Straight to the address the rules judged: never through a proxy
     * named by the environment, which would connect on its own terms. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "jade/" JADE_VERSION);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        free_transfer(t);
        return -1;
    }
    LIST_ADD(h->transfers, t);
    h->pending++;
    return 0;
}

size_t jade_http_pending(const struct jade_http *h)
{
    return h ? h->pending : 0;
}

void jade_http_cancel(struct jade_http *h, const char *why)
{
    if (!h) return;
    h->closing = true; /* a callback starting another request is refused */
    while (h->transfers) {
        struct transfer *t = h->transfers;
        LIST_REMOVE(h->transfers, t);
        drop_refused(t);
        if (t->easy) curl_multi_remove_handle(h->multi, t->easy);
        curl_easy_cleanup(t->easy);
        h->pending--;
        struct jade_http_response r = {.struct_size = sizeof r,
                                       .transport_error = 1,
                                       .request_sent = 1,
                                       .body = "",
                                       .error_message = why};
        t->cb(t->arg, &r);
        free_transfer(t);
    }
}

static void http_timer_close_cb(uv_handle_t *handle)
{
    struct jade_http *h = handle->data;
    free(h);
}

void jade_http_close(struct jade_http *h)
{
    if (!h) return;
    h->closing = true;
    /* Abandon what still runs; its callbacks are not called. */
    while (h->transfers) {
        struct transfer *t = h->transfers;
        LIST_REMOVE(h->transfers, t);
        drop_refused(t);
        if (t->easy) curl_multi_remove_handle(h->multi, t->easy);
        curl_easy_cleanup(t->easy);
        free_transfer(t);
    }
    while (h->n_spare) curl_easy_cleanup(h->spare[--h->n_spare]);
    curl_multi_cleanup(h->multi);
    for (size_t fd = 0; fd < h->n_by_fd; fd++) { /* curl did not close them */
        struct socket_ctx *s = h->by_fd[fd];
        if (!s) continue;
        uv_poll_stop(&s->poll);
        uv_close((uv_handle_t *)&s->poll, socket_close_cb);
    }
    free(h->by_fd);
    h->by_fd = NULL;
    h->n_by_fd = 0;
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, http_timer_close_cb);
    curl_global_cleanup();
}
