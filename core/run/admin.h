/* admin.h - the service's admin HTTP/1.1 listener on a libuv loop.
 *
 * A small server for a few local clients (an operator's curl, a forge's
 * push hook, a metrics scraper): requests are parsed with http-parser,
 * bounded in size and time, and handed whole to one synchronous handler
 * that fills in the answer. Routing is the handler's business (it answers
 * 404 or 405); malformed HTTP is the server's (400, 411, 413, 417, 431,
 * 503, 505, each with a one-line plain-text reason). Every answer carries
 * Content-Length. Connections are kept alive when the client allows it;
 * pipelined requests are answered in order.
 *
 * Addresses (the `listen` setting):
 *   127.0.0.1:8077    an IPv4 literal and a port
 *   [::1]:8077        an IPv6 literal in brackets (IPv6 only, no mapped IPv4)
 *   localhost:8077    the same as 127.0.0.1:8077: no name is ever resolved,
 *                     so starting never blocks on DNS
 *   /run/jade/admin   a Unix socket (the address starts with '/'): a stale
 *                     socket file is removed first (never a file of another
 *                     kind), the new one gets mode 0660 and is removed again
 *                     by jade_admin_close
 * Port 0 lets the system choose (see jade_admin_address). */
#ifndef JADE_ADMIN_H
#define JADE_ADMIN_H

#include "../util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The request line and the headers together, bytes: more is answered 431. */
#define JADE_ADMIN_MAX_HEAD 16384
/* Header lines in one request: more is answered 431. */
#define JADE_ADMIN_MAX_HEADERS 64
/* A request body, bytes: a larger Content-Length is answered 413 as soon as
 * the headers are read, before any of the body. Bodies must come with a
 * Content-Length: a chunked one is refused (411). */
#define JADE_ADMIN_MAX_BODY (1u << 20)
/* Default time, ms, a client has for each request, counted from the
 * connection's start or the end of its previous request: a slow or silent
 * client (slowloris) is then closed. Also bounds an idle kept-alive
 * connection and the wait for a client to read its answer. */
#define JADE_ADMIN_TIMEOUT_MS 10000
/* Connections open at once: a further one is answered 503 and closed. */
#define JADE_ADMIN_MAX_CONNECTIONS 64

struct jade_admin;

struct jade_admin_header {
    const char *name;  /* lower-cased */
    const char *value; /* surrounding blanks removed */
};

/* Everything here belongs to the server and is valid only during the
 * handler's call. Strings are NUL-terminated; path and query are as sent
 * (not percent-decoded). */
struct jade_admin_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* "/status": the target up to '?' */
    const char *query;  /* after '?', "" when none */
    const struct jade_admin_header *headers;
    size_t n_headers;
    const char *body; /* body_len bytes, NUL-terminated; "" when none */
    size_t body_len;
    int peer_is_loopback; /* 127.0.0.0/8, ::1, ::ffff:127.x, or the Unix socket */
};

/* Prepared by the server (200, "text/plain; charset=utf-8", empty body)
 * and filled in by the handler. The server frees body afterwards; the
 * strings are borrowed and need only outlive the handler's call (static
 * strings in practice). A status outside 200..599, or a header string
 * holding CR or LF, is answered 500 instead. */
struct jade_admin_response {
    int status;
    const char *content_type;
    const char *allow; /* NULL, or the Allow header of a 405: "GET, HEAD" */
    struct jade_buf body;
    struct jade_admin_later *later; /* set by jade_admin_defer */
};

/* Answers one request, synchronously (work that takes time is queued and
 * answered 202, or the answer is deferred: jade_admin_defer). The body of a HEAD answer is dropped
 * by the server, its Content-Length kept; 204 and 304 go without body or Content-Length, as HTTP
 * wants. The handler may call jade_admin_close (its answer is then dropped). */
typedef void (*jade_admin_handler)(void *ctx, const struct jade_admin_request *req,
                                   struct jade_admin_response *res);

/* An answer the handler gives later, once something it started is done
 * (a change made durable). Called in the handler: its own answer is then
 * ignored, and the connection reads no further request until
 * jade_admin_answer is called, so that pipelined answers stay in order. */
struct jade_admin_later;
struct jade_admin_later *jade_admin_defer(struct jade_admin_response *res);
/* Gives the deferred answer (status, content type as in a response; body
 * taken over) and frees later; must be called exactly once for each
 * jade_admin_defer. When the connection closed meanwhile (the client left,
 * it timed out, the listener closed), the answer is dropped. */
void jade_admin_answer(struct jade_admin_later *later, int status, const char *content_type,
                       struct jade_buf *body);

/* Listens on `listen` (see above) on loop. 0 and *out set, or -1 with a
 * message for people in err (a bad address, an address in use, a path that
 * is not a socket). On failure a half-made listener may still be closing:
 * run the loop (or uv_run(loop, UV_RUN_NOWAIT)) before closing it. */
int jade_admin_start(uv_loop_t *loop, const char *listen, jade_admin_handler handler, void *ctx,
                     struct jade_admin **out, struct jade_buf *err);
/* The time, ms, each request has (JADE_ADMIN_TIMEOUT_MS by default);
 * applies to connections accepted afterwards. For tests. */
void jade_admin_set_timeout(struct jade_admin *a, uint64_t ms);
/* Where it listens, for messages: "127.0.0.1:41234" (the port chosen when
 * 0 was asked), "[::1]:8077" or the socket's path. Owned by a. */
const char *jade_admin_address(const struct jade_admin *a);
/* Connections open now. */
size_t jade_admin_connections(const struct jade_admin *a);
/* Stops listening, closes every connection (answers not yet written are
 * dropped) and removes the Unix socket file; frees a in the last close
 * callback, so the loop must run afterwards. Accepts NULL. */
void jade_admin_close(struct jade_admin *a);

#endif
