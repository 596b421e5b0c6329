/* http-floor.c - the service's HTTP layer alone (libcurl multi on libuv,
 * core/run/http.c): N POSTs of a webhook-sized body over C connections,
 * as fast as they are answered, with no ledger, plugin or JSON. What the
 * service can reach at most through this layer.
 * usage: http-floor URL N C */
#include "run/http.h"
#include "run/outbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static struct jade_http *http;
static const char *url;
static size_t left, running, answered, failed;
static char body[331];

static void start_one(void);

static void done(void *arg, const struct jade_http_response *r)
{
    (void)arg;
    running--;
    answered++;
    if (r->transport_error || r->status != 200) failed++;
    start_one();
    if (!running) jade_http_close(http);
}

static void start_one(void)
{
    if (!left) return;
    left--;
    struct jade_http_header headers[] = {{"Content-Type", "application/json"},
                                         {"Idempotency-Key", "0123456789abcdef0123456789abcdef"},
                                         {"Jade-Signature", "t=1,v1=00"}};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "POST",
                                    .url = url,
                                    .headers = headers,
                                    .n_headers = 3,
                                    .body = body,
                                    .body_len = sizeof body - 1};
    if (jade_http_request(http, &req, done, NULL) == 0) running++;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: http-floor URL N C\n");
        return 2;
    }
    url = argv[1];
    left = strtoul(argv[2], NULL, 10);
    size_t c = strtoul(argv[3], NULL, 10);
    memset(body, 'x', sizeof body - 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* The fake receiver is local and plain http, as in the service's bench
     * configuration: the same outbound checks run on every connection. */
    json_t *allow =
        json_pack("{s:[s], s:[s]}", "allow_http", "127.0.0.1", "allow_addresses", "127.0.0.0/8");
    struct jade_outbound outbound;
    jade_outbound_read(allow, &outbound);
    json_decref(allow);
    http = jade_http_new(&loop, &outbound);
    jade_http_keep_alive(http, c);
    uint64_t t0 = uv_hrtime();
    for (size_t i = 0; i < c; i++) start_one();
    uv_run(&loop, UV_RUN_DEFAULT);
    double s = (double)(uv_hrtime() - t0) / 1e9;
    uv_loop_close(&loop);
    jade_outbound_free(&outbound);
    printf("%zu %zu %.3f %.0f\n", answered, failed, s, (double)answered / s);
    return failed ? 1 : 0;
}
