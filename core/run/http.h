/* http.h - asynchronous HTTP for plugins: libcurl's multi socket interface
 * on the service's libuv loop (the pattern of curl's multi-uv.c).
 *
 * Requests run concurrently on the one loop; each calls its callback once.
 * TLS peers are verified (curl's default, never turned off); redirects are
 * not followed; proxies named by the environment are not used. URLs are never
 * logged whole: they may carry tokens (Telegram puts them in the path). */
#ifndef JADE_HTTP_H
#define JADE_HTTP_H

#include "../jade-plugin.h"

#include <stdbool.h>
#include <uv.h>

struct jade_http;
struct jade_outbound;

/* Requests go only where outbound allows (outbound.h): borrowed, it must
 * outlive h. */
struct jade_http *jade_http_new(uv_loop_t *loop, const struct jade_outbound *outbound);
/* How many idle connections to keep open for reuse: as many as requests
 * may run at once. Left to itself curl keeps four per transfer running at
 * the moment one ends, which between two batches can be very few. */
void jade_http_keep_alive(struct jade_http *h, size_t connections);
/* Starts a request; cb runs later, from the loop, exactly once. 0 or -1
 * (-1 too for a request with both a body and parts). A multipart body
 * (parts, read only when the request's struct_size holds them) streams
 * its files from disk; one that cannot be opened fails the request before
 * anything leaves: cb, from the loop, with a transport error, request_sent
 * 0 and a message naming the file. */
int jade_http_request(struct jade_http *h, const struct jade_http_request *req, jade_http_cb cb,
                      void *arg);
/* True for a request with both a body and parts: which would be sent? */
bool jade_http_parts_and_body(const struct jade_http_request *req);
/* Requests still running. */
size_t jade_http_pending(const struct jade_http *h);
/* Ends what runs now: each callback is called at once with a transport
 * error saying why (the request may have reached the server), so that
 * plugins free what they hold for it. Nothing new starts after it. */
void jade_http_cancel(struct jade_http *h, const char *why);
/* Cancels what runs (their callbacks are not called), closes the handles;
 * frees h once they are closed (run the loop to let that happen). */
void jade_http_close(struct jade_http *h);

/* "scheme://host[:port]" of url, for messages: never the path or query. */
void jade_http_redact(const char *url, char *out, size_t out_size);

#endif
