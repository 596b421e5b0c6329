/* admin-echo.c - the admin listener with a tiny handler, for
 * tests/integration/admin.sh (not a TAP test itself).
 *
 * usage: admin-echo ADDRESS [TIMEOUT_MS]
 * Prints "ready ADDRESS" (the port chosen when 0 was asked) once it
 * listens; answers
 *   GET|HEAD /ok   200 "ok\n"
 *   POST /echo     200 "len=N x-echo=VALUE loopback=0|1 query=Q\n"
 *   GET /conns     200 the number of open connections
 *   POST /quit     closes the listener from inside the handler, and exits
 *   GET /later?N   200 "later N\n", deferred: answered after N ms (a timer)
 *   /ok, /echo     405 with another method
 *   anything else  404
 * and stops at SIGTERM or SIGINT (exit 0). Exit 1 when it cannot listen. */
#include "run/admin.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct echo {
    uv_loop_t loop;
    struct jade_admin *admin;
    uv_signal_t sigterm, sigint;
};

static const char *header(const struct jade_admin_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    return NULL;
}

static void stop(struct echo *e)
{
    jade_admin_close(e->admin);
    e->admin = NULL;
    uv_close((uv_handle_t *)&e->sigterm, NULL);
    uv_close((uv_handle_t *)&e->sigint, NULL);
}

struct later {
    uv_timer_t timer;
    struct jade_admin_later *answer;
    unsigned long ms;
};

static void later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void later_cb(uv_timer_t *t)
{
    struct later *l = t->data;
    struct jade_buf body = {0};
    jade_buf_printf(&body, "later %lu\n", l->ms);
    jade_admin_answer(l->answer, 200, "text/plain; charset=utf-8", &body);
    uv_close((uv_handle_t *)t, later_closed);
}

static void handle(void *ctx, const struct jade_admin_request *req, struct jade_admin_response *res)
{
    struct echo *e = ctx;
    int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    if (!strcmp(req->path, "/ok")) {
        if (!get) {
            res->status = 405;
            res->allow = "GET, HEAD";
            jade_buf_puts(&res->body, "method not allowed\n");
            return;
        }
        jade_buf_puts(&res->body, "ok\n");
    } else if (!strcmp(req->path, "/echo")) {
        if (strcmp(req->method, "POST") != 0) {
            res->status = 405;
            res->allow = "POST";
            jade_buf_puts(&res->body, "method not allowed\n");
            return;
        }
        const char *v = header(req, "x-echo");
        jade_buf_printf(&res->body, "len=%zu x-echo=%s loopback=%d query=%s\n", req->body_len,
                        v ? v : "-", req->peer_is_loopback, req->query);
    } else if (!strcmp(req->path, "/quit") && !strcmp(req->method, "POST")) {
        stop(e);
    } else if (!strcmp(req->path, "/later") && get) {
        struct later *l = calloc(1, sizeof *l);
        l->ms = strtoul(req->query, NULL, 10);
        l->answer = jade_admin_defer(res);
        uv_timer_init(&e->loop, &l->timer);
        l->timer.data = l;
        uv_timer_start(&l->timer, later_cb, l->ms, 0);
    } else if (!strcmp(req->path, "/conns") && get) {
        jade_buf_printf(&res->body, "%zu\n", jade_admin_connections(e->admin));
    } else {
        res->status = 404;
        jade_buf_puts(&res->body, "not found\n");
    }
}

static void signal_cb(uv_signal_t *s, int signum)
{
    (void)signum;
    stop(s->data);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: admin-echo ADDRESS [TIMEOUT_MS]\n");
        return 2;
    }
    struct echo e = {0};
    uv_loop_init(&e.loop);
    struct jade_buf err = {0};
    if (jade_admin_start(&e.loop, argv[1], handle, &e, &e.admin, &err) != 0) {
        fprintf(stderr, "admin-echo: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        uv_run(&e.loop, UV_RUN_DEFAULT); /* lets the half-made listener close */
        uv_loop_close(&e.loop);
        return 1;
    }
    if (argc == 3) jade_admin_set_timeout(e.admin, strtoull(argv[2], NULL, 10));
    uv_signal_init(&e.loop, &e.sigterm);
    uv_signal_init(&e.loop, &e.sigint);
    e.sigterm.data = e.sigint.data = &e;
    uv_signal_start(&e.sigterm, signal_cb, SIGTERM);
    uv_signal_start(&e.sigint, signal_cb, SIGINT);
    printf("ready %s\n", jade_admin_address(e.admin));
    fflush(stdout);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&e.loop) == 0 ? 0 : 3; /* 3: a handle was left open */
    return rc;
}
