/* admin.c - the admin HTTP/1.1 listener (see admin.h).
 *
 * Each connection owns a stream and a timer, and is freed once both have
 * closed. Bytes go through http-parser, which is paused at two points so
 * that one call of http_parser_execute never runs past them:
 * - the end of the headers: what was parsed until then is the head, whose
 *   size is checked here (http-parser's own bound is a process-wide
 *   setting, 80 KiB) and whose Content-Length is checked before any body;
 * - the end of a message: the handler has answered, and the next request
 *   (pipelined) starts with a fresh count.
 * A connection ends by finishing: no further request is read, the answers
 * already queued are written, the sending side is shut down, and what the
 * client still sends is read and dropped until it closes (or the timer
 * fires), so that an early answer such as 413 is not lost to a reset. */
#include "admin.h"

#include "../util/i18n.h"

#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Answers waiting to be written, bytes, before a connection stops reading
 * (a client that pipelines requests but reads no answers). */
#define MAX_PENDING_OUT (1u << 20)
#define READ_BUF_SIZE 65536

struct conn {
    struct conn *prev, *next;
    struct jade_admin *a;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    http_parser parser;
    int open_handles; /* io and timer: c is freed when both have closed */
    bool listed;      /* in a->conns (not a connection refused with 503) */
    bool closing;     /* uv_close called */
    bool finishing;   /* no further request: write, shut down, drain, close */
    bool shut;        /* uv_shutdown called */
    bool eof;         /* the client has closed its side */
    bool reading;
    int peer_is_loopback;
    uint64_t timeout_ms;
    size_t pending_writes;

    /* The request being read. */
    size_t head_bytes;
    bool head_done;
    bool keep_alive;
    bool in_value; /* the last header callback was a value */
    struct jade_buf url;
    struct jade_buf text; /* header names and values, each NUL-terminated */
    size_t name_off[JADE_ADMIN_MAX_HEADERS], value_off[JADE_ADMIN_MAX_HEADERS];
    size_t n_headers;
    struct jade_buf body;
    int err_status; /* set by a callback that refuses the request */
    const char *err_reason;
    /* A deferred answer: until it is given, bytes read wait in stash. */
    struct jade_admin_later *later;
    bool head_only; /* the deferred request was a HEAD */
    struct jade_buf stash;
};

struct jade_admin_later {
    struct conn *c; /* NULL once the connection closed */
};

struct jade_admin {
    uv_loop_t *loop;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } listener;
    bool is_pipe;
    bool closing;
    size_t live; /* the listener and every conn not yet freed */
    jade_admin_handler handler;
    void *ctx;
    uint64_t timeout_ms;
    struct conn *conns;
    size_t n_conns;
    char *path;               /* the Unix socket we created, removed at close */
    char *address;            /* for messages */
    char rbuf[READ_BUF_SIZE]; /* reads are handled one at a time on the loop */
};

struct write_req {
    uv_write_t req;
    struct conn *c;
    struct jade_buf data;
};

static const char *status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* ---- freeing ---- */

static void admin_release(struct jade_admin *a)
{
    if (--a->live > 0) return;
    free(a->path);
    free(a->address);
    free(a);
}

static void conn_close_cb(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0) return;
    jade_buf_free(&c->url);
    jade_buf_free(&c->text);
    jade_buf_free(&c->body);
    jade_buf_free(&c->stash);
    struct jade_admin *a = c->a;
    free(c);
    admin_release(a);
}

static void close_conn(struct conn *c)
{
    if (c->closing) return;
    c->closing = true;
    if (c->later) c->later->c = NULL; /* its answer, when given, is dropped */
    c->later = NULL;
    if (c->listed) {
        struct jade_admin *a = c->a;
        if (c->prev) c->prev->next = c->next;
        if (c->next) c->next->prev = c->prev;
        if (a->conns == c) a->conns = c->next;
        a->n_conns--;
        c->listed = false;
    }
    /* Pending writes and the shutdown are cancelled: their callbacks run
     * before ours, while c is still alive. */
    uv_close(&c->io.handle, conn_close_cb);
    uv_close((uv_handle_t *)&c->timer, conn_close_cb);
}

/* ---- writing ---- */

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void maybe_finish(struct conn *c);

static void start_reading(struct conn *c)
{
    if (c->reading || c->closing) return;
    if (uv_read_start(&c->io.stream, alloc_cb, read_cb) != 0) {
        close_conn(c);
        return;
    }
    c->reading = true;
}

static void stop_reading(struct conn *c)
{
    if (!c->reading) return;
    uv_read_stop(&c->io.stream);
    c->reading = false;
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct conn *c = w->c;
    jade_buf_free(&w->data);
    free(w);
    c->pending_writes--;
    if (c->closing) return;
    if (status < 0) {
        close_conn(c);
        return;
    }
    if (c->finishing)
        maybe_finish(c);
    else if (!c->reading && c->io.stream.write_queue_size == 0)
        start_reading(c); /* the client reads its answers again */
}

/* Queues data (taken over, emptied) for writing. */
static void send_buf(struct conn *c, struct jade_buf *data)
{
    struct write_req *w = jade_xcalloc(1, sizeof *w);
    w->c = c;
    w->data = *data;
    *data = (struct jade_buf){0};
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data.data, (unsigned)w->data.len);
    if (uv_write(&w->req, &c->io.stream, &b, 1, write_cb) != 0) {
        jade_buf_free(&w->data);
        free(w);
        close_conn(c);
        return;
    }
    c->pending_writes++;
}

static bool has_crlf(const char *s)
{
    return s && s[strcspn(s, "\r\n")] != '\0';
}

static void respond(struct conn *c, int status, const char *content_type, const char *allow,
                    const char *body, size_t body_len, bool head_only)
{
    if (c->closing) return;
    struct jade_buf out = {0};
    jade_buf_printf(&out, "HTTP/1.1 %d %s\r\n", status, status_text(status));
    if (status == 204 || status == 304) {
        body_len = 0; /* they have no body, and must not say Content-Length */
    } else {
        jade_buf_printf(&out, "Content-Type: %s\r\nContent-Length: %zu\r\n", content_type,
                        body_len);
    }
    if (allow) jade_buf_printf(&out, "Allow: %s\r\n", allow);
    jade_buf_printf(&out, "Cache-Control: no-store\r\nConnection: %s\r\n\r\n",
                    c->finishing ? "close" : "keep-alive");
    if (!head_only && body_len) jade_buf_append(&out, body, body_len);
    send_buf(c, &out);
}

/* Refuses the request with a one-line reason and ends the connection. */
static void fail(struct conn *c, int status, const char *reason)
{
    c->finishing = true;
    struct jade_buf body = {0};
    jade_buf_printf(&body, "%s\n", reason);
    respond(c, status, "text/plain; charset=utf-8", NULL, body.data, body.len, false);
    jade_buf_free(&body);
    maybe_finish(c);
}

/* Once the answers are written: shut down our side, then wait for the
 * client's end (reading and dropping what it sends) or the timer. */
static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    if (c->closing) return;
    if (status < 0 || c->eof) close_conn(c);
}

static void maybe_finish(struct conn *c)
{
    if (c->closing || !c->finishing || c->later || c->pending_writes > 0 || c->shut) return;
    if (c->eof) {
        close_conn(c);
        return;
    }
    c->shut = true;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, &c->io.stream, shutdown_cb) != 0) {
        close_conn(c);
        return;
    }
    start_reading(c); /* to see the client's end */
}

/* ---- parsing ---- */

static void reset_request(struct conn *c)
{
    c->head_bytes = 0;
    c->head_done = false;
    c->in_value = false;
    c->n_headers = 0;
    c->err_status = 0;
    c->err_reason = NULL;
    jade_buf_truncate(&c->url, 0);
    jade_buf_truncate(&c->text, 0);
    jade_buf_truncate(&c->body, 0);
}

static int refuse(struct conn *c, int status, const char *reason)
{
    c->err_status = status;
    c->err_reason = reason;
    return -1; /* stops http-parser with HPE_CB_* */
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    jade_buf_append(&c->url, at, len);
    return 0;
}

/* The previous header's name ends: its value starts (perhaps empty). */
static void end_name(struct conn *c)
{
    jade_buf_append(&c->text, "", 1);
    c->value_off[c->n_headers - 1] = c->text.len;
    c->in_value = true;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->n_headers == 0 || c->in_value) { /* a new header */
        if (c->n_headers == JADE_ADMIN_MAX_HEADERS)
            return refuse(c, 431, _("too many header lines"));
        if (c->n_headers > 0) jade_buf_append(&c->text, "", 1);
        c->name_off[c->n_headers++] = c->text.len;
        c->in_value = false;
    }
    /* http-parser, unless built strict, lets a space through ("Content-Length : 5"):
     * RFC 9112 5.1 wants a 400, since other parsers may read such a name otherwise */
    if (memchr(at, ' ', len) || memchr(at, '\t', len))
        return refuse(c, 400, _("malformed request: white space in a header name"));
    size_t start = c->text.len;
    jade_buf_append(&c->text, at, len);
    for (size_t i = start; i < c->text.len; i++)
        if (c->text.data[i] >= 'A' && c->text.data[i] <= 'Z') c->text.data[i] += 'a' - 'A';
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->n_headers == 0) return 0; /* cannot happen: a value follows a name */
    if (!c->in_value) end_name(c);
    jade_buf_append(&c->text, at, len);
    return 0;
}

static const char *header(const struct conn *c, const char *name)
{
    for (size_t i = 0; i < c->n_headers; i++)
        if (strcmp(c->text.data + c->name_off[i], name) == 0) return c->text.data + c->value_off[i];
    return NULL;
}

static int on_headers_complete(http_parser *p)
{
    struct conn *c = p->data;
    if (c->n_headers > 0 && !c->in_value) end_name(c);
    for (size_t i = 0; i < c->n_headers; i++) { /* optional white space is not the value */
        char *v = c->text.data + c->value_off[i];
        size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) v[--n] = '\0';
    }
    c->head_done = true;
    c->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    http_parser_pause(p, 1); /* the caller checks the head's size */

    if (p->http_major != 1) return refuse(c, 505, _("only HTTP/1.x is spoken here"));
    if (header(c, "transfer-encoding"))
        return refuse(c, 411, _("chunked request bodies are not accepted: send Content-Length"));
    const char *cl = header(c, "content-length");
    unsigned long long length = 0;
    if (cl) {
        /* http-parser has checked the digits and refused a second, different value */
        errno = 0;
        length = strtoull(cl, NULL, 10);
        if (errno || length > JADE_ADMIN_MAX_BODY)
            return refuse(c, 413, _("request body too large (at most 1 MiB)"));
    }
    const char *expect = header(c, "expect");
    if (expect) {
        if (strcasecmp(expect, "100-continue") != 0)
            return refuse(c, 417, _("unknown Expect header"));
        if (length > 0) {
            struct jade_buf out = {0};
            jade_buf_puts(&out, "HTTP/1.1 100 Continue\r\n\r\n");
            send_buf(c, &out);
        }
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (len > JADE_ADMIN_MAX_BODY - c->body.len) /* Content-Length was checked; in case */
        return refuse(c, 413, _("request body too large (at most 1 MiB)"));
    jade_buf_append(&c->body, at, len);
    return 0;
}

static void dispatch(struct conn *c)
{
    struct jade_admin *a = c->a;
    struct jade_admin_header headers[JADE_ADMIN_MAX_HEADERS];
    for (size_t i = 0; i < c->n_headers; i++)
        headers[i] = (struct jade_admin_header){c->text.data + c->name_off[i],
                                                c->text.data + c->value_off[i]};
    /* The target: path, '?', query, perhaps '#' (never sent by clients, cut) */
    char *target = c->url.data;
    target[strcspn(target, "#")] = '\0';
    char *q = strchr(target, '?');
    if (q) *q++ = '\0';
    const char *method = http_method_str((enum http_method)c->parser.method);
    struct jade_admin_request req = {.method = method,
                                     .path = target,
                                     .query = q ? q : "",
                                     .headers = headers,
                                     .n_headers = c->n_headers,
                                     .body = jade_buf_str(&c->body),
                                     .body_len = c->body.len,
                                     .peer_is_loopback = c->peer_is_loopback};
    struct jade_admin_response res = {.status = 200, .content_type = "text/plain; charset=utf-8"};
    a->handler(a->ctx, &req, &res);
    if (res.later) { /* answered by jade_admin_answer */
        res.later->c = c;
        c->later = res.later;
        c->head_only = strcmp(method, "HEAD") == 0;
        jade_buf_free(&res.body);
        return;
    }
    if (res.status < 200 || res.status > 599 || !res.content_type || has_crlf(res.content_type) ||
        has_crlf(res.allow)) {
        res.status = 500;
        res.content_type = "text/plain; charset=utf-8";
        res.allow = NULL;
        jade_buf_truncate(&res.body, 0);
        jade_buf_printf(&res.body, "%s\n", _("the handler gave an invalid answer"));
    }
    respond(c, res.status, res.content_type, res.allow, res.body.data, res.body.len,
            strcmp(method, "HEAD") == 0);
    jade_buf_free(&res.body);
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;
    http_parser_pause(p, 1);  /* the next request is counted afresh */
    if (c->closing) return 0; /* a write failed, or the handler closed the listener */
    if (!c->url.data) jade_buf_puts(&c->url, "/"); /* http-parser requires one; in case */
    if (!c->keep_alive) c->finishing = true;
    dispatch(c);
    reset_request(c);
    if (!c->finishing && !c->closing) uv_timer_again(&c->timer); /* the next one's time starts */
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Parses what came in, answering each complete request. */
static void feed(struct conn *c, const char *data, size_t len)
{
    while (len > 0 && !c->finishing && !c->closing) {
        bool in_head = !c->head_done;
        size_t n = http_parser_execute(&c->parser, &settings, data, len);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (in_head) {
            c->head_bytes += n;
            if (c->head_bytes > JADE_ADMIN_MAX_HEAD) {
                fail(c, 431, _("request header too large (at most 16 KiB)"));
                return;
            }
        }
        if (c->err_status) {
            fail(c, c->err_status, c->err_reason);
            return;
        }
        if (e == HPE_PAUSED) {
            http_parser_pause(&c->parser, 0);
        } else if (e != HPE_OK) {
            struct jade_buf why = {0};
            jade_buf_printf(&why, _("malformed request: %s"), http_errno_description(e));
            fail(c, 400, why.data);
            jade_buf_free(&why);
            return;
        } else if (n < len) { /* an upgrade (CONNECT, Upgrade:): answered, then closed */
            c->finishing = true;
            maybe_finish(c);
            return;
        }
        data += n;
        len -= n;
        if (c->later) { /* the rest waits for the deferred answer */
            jade_buf_append(&c->stash, data, len);
            stop_reading(c);
            return;
        }
    }
    if (c->finishing) maybe_finish(c);
}

struct jade_admin_later *jade_admin_defer(struct jade_admin_response *res)
{
    res->later = jade_xcalloc(1, sizeof *res->later);
    return res->later;
}

void jade_admin_answer(struct jade_admin_later *later, int status, const char *content_type,
                       struct jade_buf *body)
{
    struct conn *c = later->c;
    free(later);
    if (!c || c->closing) {
        jade_buf_free(body);
        return;
    }
    c->later = NULL;
    if (status < 200 || status > 599 || !content_type || has_crlf(content_type)) {
        status = 500;
        content_type = "text/plain; charset=utf-8";
        jade_buf_truncate(body, 0);
        jade_buf_printf(body, "%s\n", _("the handler gave an invalid answer"));
    }
    respond(c, status, content_type, NULL, body->data, body->len, c->head_only);
    jade_buf_free(body);
    if (c->finishing) {
        maybe_finish(c);
        return;
    }
    struct jade_buf rest = c->stash;
    c->stash = (struct jade_buf){0};
    if (rest.len) feed(c, rest.data, rest.len);
    jade_buf_free(&rest);
    if (!c->later && !c->closing && !c->finishing &&
        c->io.stream.write_queue_size <= MAX_PENDING_OUT)
        start_reading(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct conn *c = h->data;
    *buf = uv_buf_init(c->a->rbuf, sizeof c->a->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    if (c->closing) return;
    if (nread == UV_EOF) {
        c->eof = true;
        stop_reading(c);
        if (c->shut) {
            close_conn(c); /* drained */
            return;
        }
        c->finishing = true; /* a request cut short is dropped */
        maybe_finish(c);
        return;
    }
    if (nread < 0) {
        close_conn(c);
        return;
    }
    if (c->finishing) return; /* drained and dropped */
    feed(c, buf->base, (size_t)nread);
    if (!c->closing && !c->finishing && s->write_queue_size > MAX_PENDING_OUT) stop_reading(c);
}

static void timer_cb(uv_timer_t *t)
{
    close_conn(t->data); /* too slow, silent, or not reading its answers */
}

/* ---- accepting ---- */

static int loopback_peer(const uv_tcp_t *tcp)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
    }
    return 0;
}

static void connection_cb(uv_stream_t *server, int status)
{
    struct jade_admin *a = server->data;
    if (status < 0 || a->closing) return;
    struct conn *c = jade_xcalloc(1, sizeof *c);
    c->a = a;
    c->timeout_ms = a->timeout_ms;
    if (a->is_pipe)
        uv_pipe_init(a->loop, &c->io.pipe, 0);
    else
        uv_tcp_init(a->loop, &c->io.tcp);
    uv_timer_init(a->loop, &c->timer);
    c->io.handle.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    a->live++;
    if (uv_accept(server, &c->io.stream) != 0) {
        close_conn(c);
        return;
    }
    if (a->n_conns >= JADE_ADMIN_MAX_CONNECTIONS) {
        /* Told at once, without reading: best effort, never waited for. */
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Content-Type: text/plain; charset=utf-8\r\n"
                                   "Content-Length: 22\r\nConnection: close\r\n\r\n"
                                   "too many connections\r\n";
        uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);
        uv_try_write(&c->io.stream, &b, 1);
        close_conn(c);
        return;
    }
    c->listed = true;
    c->next = a->conns;
    if (a->conns) a->conns->prev = c;
    a->conns = c;
    a->n_conns++;
    c->peer_is_loopback = a->is_pipe ? 1 : loopback_peer(&c->io.tcp);
    if (!a->is_pipe) uv_tcp_nodelay(&c->io.tcp, 1);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    uv_timer_start(&c->timer, timer_cb, c->timeout_ms, c->timeout_ms);
    start_reading(c);
}

/* ---- listening ---- */

static void listener_close_cb(uv_handle_t *h)
{
    admin_release(h->data);
}

static int parse_port(const char *s, int *port)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n) return -1;
    *port = atoi(s);
    return *port <= 65535 ? 0 : -1;
}

/* "127.0.0.1:8077", "[::1]:8077", "localhost:8077": an address, never a
 * name to resolve. */
static int parse_tcp(const char *listen, struct sockaddr_storage *ss)
{
    char host[64];
    const char *colon;
    int port;
    memset(ss, 0, sizeof *ss);
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':' || (size_t)(end - listen - 1) >= sizeof host) return -1;
        memcpy(host, listen + 1, (size_t)(end - listen - 1));
        host[end - listen - 1] = '\0';
        if (parse_port(end + 2, &port) != 0) return -1;
        return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ? 0 : -1;
    }
    colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (parse_port(colon + 1, &port) != 0) return -1;
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    struct in_addr probe;
    if (inet_pton(AF_INET, host, &probe) != 1) return -1; /* uv_ip4_addr accepts "1" */
    return uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ? 0 : -1;
}

static void set_address(struct jade_admin *a)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (uv_tcp_getsockname(&a->listener.tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            a->address = jade_xasprintf("[%s]:%d", host, port);
            return;
        }
        uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    a->address = jade_xasprintf("%s:%d", host, port);
}

/* A socket file left by a process that died is removed; one a process
 * still listens on, or a file of another kind, is left alone. */
static int clear_socket_path(const char *path, struct jade_buf *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        jade_buf_printf(err, _("admin socket %s: %s"), path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        jade_buf_printf(err, _("admin socket %s: a file that is not a socket is in the way"), path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        jade_buf_printf(err, _("admin socket %s: %s"), path, strerror(errno));
        return -1;
    }
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    memcpy(sun.sun_path, path, strlen(path) + 1); /* length checked by the caller */
    int live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 || errno == EAGAIN;
    close(fd);
    if (live) {
        jade_buf_printf(err, _("admin socket %s: address already in use (another process listens)"),
                        path);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        jade_buf_printf(err, _("admin socket %s: cannot remove the stale socket: %s"), path,
                        strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_pipe(struct jade_admin *a, const char *path, struct jade_buf *err)
{
    if (strlen(path) >= sizeof((struct sockaddr_un *)0)->sun_path) {
        jade_buf_printf(err, _("admin socket %s: the path is too long for a Unix socket"), path);
        return -1;
    }
    if (clear_socket_path(path, err) != 0) return -1;
    a->is_pipe = true;
    uv_pipe_init(a->loop, &a->listener.pipe, 0);
    a->listener.handle.data = a;
    a->live++;
    int e = uv_pipe_bind(&a->listener.pipe, path);
    if (e == 0) {
        a->path = jade_xstrdup(path);
        /* before listen, so that no one connects through a looser mode */
        if (chmod(path, 0660) != 0) e = uv_translate_sys_error(errno);
    }
    if (e == 0) e = uv_listen(&a->listener.stream, 128, connection_cb);
    if (e != 0) {
        jade_buf_printf(err, _("cannot listen on %s: %s"), path, uv_strerror(e));
        return -1;
    }
    a->address = jade_xstrdup(path);
    return 0;
}

static int listen_tcp(struct jade_admin *a, const char *listen, struct jade_buf *err)
{
    struct sockaddr_storage ss;
    if (parse_tcp(listen, &ss) != 0) {
        jade_buf_printf(err,
                        _("admin address %s: expected IP:PORT (127.0.0.1:8077), [IPv6]:PORT "
                          "([::1]:8077), localhost:PORT, or a Unix socket path starting with /"),
                        listen);
        return -1;
    }
    uv_tcp_init(a->loop, &a->listener.tcp);
    a->listener.handle.data = a;
    a->live++;
    int e = uv_tcp_bind(&a->listener.tcp, (const struct sockaddr *)&ss,
                        ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
    if (e == 0) e = uv_listen(&a->listener.stream, 128, connection_cb); /* bind errors come here */
    if (e != 0) {
        jade_buf_printf(err, _("cannot listen on %s: %s"), listen, uv_strerror(e));
        return -1;
    }
    set_address(a);
    return 0;
}

int jade_admin_start(uv_loop_t *loop, const char *listen, jade_admin_handler handler, void *ctx,
                     struct jade_admin **out, struct jade_buf *err)
{
    *out = NULL;
    struct jade_admin *a = jade_xcalloc(1, sizeof *a);
    a->loop = loop;
    a->handler = handler;
    a->ctx = ctx;
    a->timeout_ms = JADE_ADMIN_TIMEOUT_MS;
    a->live = 1; /* ours, until the end of this function */
    int rc = listen[0] == '/' ? listen_pipe(a, listen, err) : listen_tcp(a, listen, err);
    if (rc != 0) {
        a->closing = true;
        if (a->path) unlink(a->path);
        if (a->live > 1) uv_close(&a->listener.handle, listener_close_cb);
        admin_release(a);
        return -1;
    }
    admin_release(a); /* the listener holds it now */
    *out = a;
    return 0;
}

void jade_admin_set_timeout(struct jade_admin *a, uint64_t ms)
{
    a->timeout_ms = ms > 0 ? ms : 1;
}

const char *jade_admin_address(const struct jade_admin *a)
{
    return a->address;
}

size_t jade_admin_connections(const struct jade_admin *a)
{
    return a->n_conns;
}

void jade_admin_close(struct jade_admin *a)
{
    if (!a || a->closing) return;
    a->closing = true;
    if (a->path) unlink(a->path);
    while (a->conns) close_conn(a->conns);
    uv_close(&a->listener.handle, listener_close_cb);
}
