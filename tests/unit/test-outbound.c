/* test-outbound.c - where requests may go: URL prefixes, hosts allowed
 * plain http, addresses that are not public, and the HTTP client that
 * applies them on each connection; the excerpt kept of an error body. */
#include "test.h"

#include "run/http.h"
#include "run/outbound.h"
#include "util/buf.h"
#include "util/url.h"
#include "util/utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

static void test_url_within(void)
{
    const char *prefix = "https://hooks.example.org/jade";
    CHECK(jade_url_within("https://hooks.example.org/jade", prefix));
    CHECK(jade_url_within("https://hooks.example.org/jade/a?x=1", prefix));
    CHECK(jade_url_within("HTTPS://Hooks.Example.ORG:443/jade/a", prefix));
    CHECK(!jade_url_within("https://hooks.example.org/jade-other", prefix));
    CHECK(!jade_url_within("https://hooks.example.org/", prefix));
    CHECK(!jade_url_within("https://hooks.example.org/jade/../admin", prefix));
    CHECK(!jade_url_within("http://hooks.example.org/jade/a", prefix));
    CHECK(!jade_url_within("https://hooks.example.org:8443/jade/a", prefix));
    CHECK(!jade_url_within("https://hooks.example.org.evil.example/jade/a", prefix));
    CHECK(!jade_url_within("https://hooks.example.org@evil.example/jade/a", prefix));
    CHECK(!jade_url_within("https://user@hooks.example.org/jade/a", prefix));
    CHECK(!jade_url_within("//hooks.example.org/jade/a", prefix));
    CHECK(!jade_url_within("ftp://hooks.example.org/jade/a", prefix));
    /* a prefix ending in "/" takes what starts with it */
    CHECK(jade_url_within("https://h.example/a/b", "https://h.example/a/"));
    CHECK(jade_url_within("https://h.example/anything", "https://h.example"));
}

static void test_host_matches(void)
{
    CHECK(jade_url_host_matches("example.org", "example.org", 80));
    CHECK(jade_url_host_matches("Example.ORG", "example.org", 8080));
    CHECK(jade_url_host_matches("example.org:8080", "example.org", 8080));
    CHECK(!jade_url_host_matches("example.org:8080", "example.org", 80));
    CHECK(!jade_url_host_matches("example.org", "example.org.evil", 80));
    CHECK(jade_url_host_matches("[::1]", "[::1]", 80));
    CHECK(jade_url_host_matches("[::1]:81", "[::1]", 81));
    CHECK(!jade_url_host_matches("[::1]:81", "[::1]", 80));
}

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    return ss;
}

/* Allowed by o? why (if not NULL) gets the reason when not. */
static bool allowed(const struct jade_outbound *o, const char *text, struct jade_buf *why)
{
    struct sockaddr_storage ss = addr(text);
    struct jade_buf scratch = {0};
    bool ok = jade_outbound_address_allowed(o, (struct sockaddr *)&ss, why ? why : &scratch);
    jade_buf_free(&scratch);
    return ok;
}

static void test_addresses(void)
{
    struct jade_outbound none = {0};
    static const char *const public[] = {"93.184.216.34", "8.8.8.8",    "1.1.1.1",
                                         "2606:4700::1",  "172.32.0.1", "100.128.0.1",
                                         "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof public / sizeof *public; i++) {
        if (!allowed(&none, public[i], NULL)) printf("#   %s refused\n", public[i]);
        CHECK(allowed(&none, public[i], NULL));
    }
    static const char *const special[][2] = {
        {"127.0.0.1", "loopback"},
        {"127.255.0.9", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"192.168.1.1", "private"},
        {"169.254.169.254", "link-local"},
        {"100.64.0.1", "carrier-grade NAT"},
        {"0.0.0.0", "this network"},
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "reserved"},
        {"::1", "loopback"},
        {"::", "unspecified"},
        {"fe80::1", "link-local"},
        {"fd12:3456::1", "unique local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"}, /* IPv4-mapped */
        {"::ffff:169.254.169.254", "link-local"},
        {"64:ff9b::a9fe:a9fe", "link-local"}, /* NAT64 of 169.254.169.254 */
        {"2002:7f00:1::", "loopback"},        /* 6to4 of 127.0.0.1 */
    };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
        struct jade_buf why = {0};
        bool ok = allowed(&none, special[i][0], &why);
        if (ok) printf("#   %s allowed\n", special[i][0]);
        CHECK(!ok);
        CHECK_CONTAINS(jade_buf_str(&why), special[i][1]);
        CHECK_CONTAINS(jade_buf_str(&why), "outbound.allow_addresses");
        jade_buf_free(&why);
    }
    /* what the operator lists is allowed, and nothing next to it */
    json_t *settings =
        json_pack("{s:[s,s,s]}", "allow_addresses", "127.0.0.1", "10.8.0.0/16", "fd00::/8");
    struct jade_outbound o;
    jade_outbound_read(settings, &o);
    CHECK(allowed(&o, "127.0.0.1", NULL));
    CHECK(allowed(&o, "::ffff:127.0.0.1", NULL));
    CHECK(!allowed(&o, "127.0.0.2", NULL));
    CHECK(allowed(&o, "10.8.255.1", NULL));
    CHECK(!allowed(&o, "10.9.0.1", NULL));
    CHECK(allowed(&o, "fd12::1", NULL));
    CHECK(!allowed(&o, "fe80::1", NULL));
    CHECK(!allowed(&o, "::1", NULL));
    jade_outbound_free(&o);
    json_decref(settings);
}

static void test_cidr(void)
{
    struct jade_cidr c;
    CHECK_INT_EQ(jade_cidr_parse("10.0.0.0/8", &c), 0);
    CHECK_INT_EQ(c.bits, 8);
    CHECK_INT_EQ(jade_cidr_parse("::1", &c), 0);
    CHECK_INT_EQ(c.bits, 128);
    CHECK_INT_EQ(jade_cidr_parse("10.0.0.0/33", &c), -1);
    CHECK_INT_EQ(jade_cidr_parse("10.0.0.0/", &c), -1);
    CHECK_INT_EQ(jade_cidr_parse("10.0.0.0/8x", &c), -1);
    CHECK_INT_EQ(jade_cidr_parse("localhost", &c), -1);
    CHECK_INT_EQ(jade_cidr_parse("", &c), -1);
}

static void test_schemes(void)
{
    json_t *settings = json_pack("{s:[s,s]}", "allow_http", "hooks.lan", "[::1]:8080");
    struct jade_outbound o;
    jade_outbound_read(settings, &o);
    struct jade_buf why = {0};
    CHECK(jade_outbound_url_allowed(&o, "https://anywhere.example/x", &why));
    CHECK(jade_outbound_url_allowed(&o, "http://hooks.lan:9000/x", &why));
    CHECK(jade_outbound_url_allowed(&o, "http://[::1]:8080/x", &why));
    CHECK(!jade_outbound_url_allowed(&o, "http://[::1]:8081/x", &why));
    jade_buf_truncate(&why, 0);
    CHECK(!jade_outbound_url_allowed(&o, "http://elsewhere.example/x", &why));
    CHECK_CONTAINS(jade_buf_str(&why), "plain http to elsewhere.example:80");
    CHECK(!jade_outbound_url_allowed(&o, "ftp://hooks.lan/x", &why));
    jade_outbound_free(&o);
    json_decref(settings);
    jade_buf_free(&why);
}

/* A real request through the HTTP client, to a local socket that listens
 * but never answers: refused before connecting unless both rules allow
 * it. */
struct answer {
    bool done, transport_error, request_sent;
    char message[512];
};

static void answered(void *arg, const struct jade_http_response *r)
{
    struct answer *a = arg;
    a->done = true;
    a->transport_error = r->transport_error;
    a->request_sent = r->request_sent;
    snprintf(a->message, sizeof a->message, "%s", r->error_message ? r->error_message : "");
}

static struct answer request(const char *settings_json, const char *url)
{
    json_t *settings = json_loads(settings_json, 0, NULL);
    struct jade_outbound o;
    jade_outbound_read(settings, &o);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct jade_http *http = jade_http_new(&loop, &o);
    struct answer a = {0};
    struct jade_http_request req = {.struct_size = sizeof req,
                                    .method = "POST",
                                    .url = url,
                                    .body = "{}",
                                    .body_len = 2,
                                    .timeout_ms = 300};
    CHECK_INT_EQ(jade_http_request(http, &req, answered, &a), 0);
    while (!a.done) uv_run(&loop, UV_RUN_ONCE);
    jade_http_close(http);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    jade_outbound_free(&o);
    json_decref(settings);
    return a;
}

/* Whether a connection waits at the listening socket (then takes it). */
static bool connected(int listener)
{
    int fd = accept(listener, NULL, NULL);
    if (fd >= 0) close(fd);
    return fd >= 0;
}

static void test_client_applies_rules(void)
{
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CHECK_INT_EQ(bind(listener, (struct sockaddr *)&sa, sizeof sa), 0);
    CHECK_INT_EQ(listen(listener, 8), 0);
    getsockname(listener, (struct sockaddr *)&sa, &len);
    char url[64], by_name[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", ntohs(sa.sin_port));
    snprintf(by_name, sizeof by_name, "http://localhost:%d/hook", ntohs(sa.sin_port));

    struct answer a = request("{}", url);
    CHECK(a.transport_error && !a.request_sent);
    CHECK_CONTAINS(a.message, "plain http to 127.0.0.1");
    CHECK(!connected(listener));

    a = request("{\"allow_http\": [\"127.0.0.1\", \"localhost\"]}", url);
    CHECK(a.transport_error && !a.request_sent);
    CHECK_CONTAINS(a.message, "127.0.0.1 is a loopback address");
    CHECK(!connected(listener));

    /* a name is judged by the address it resolves to */
    a = request("{\"allow_http\": [\"localhost\"]}", by_name);
    CHECK(a.transport_error && !a.request_sent);
    CHECK_CONTAINS(a.message, "is a loopback address");
    CHECK(!connected(listener));

    /* both allowed: it connects (and times out, as nothing answers) */
    a = request("{\"allow_http\": [\"127.0.0.1\"], \"allow_addresses\": [\"127.0.0.0/8\"]}", url);
    CHECK(a.transport_error);
    CHECK(!strstr(a.message, "outbound"));
    CHECK(connected(listener));
    close(listener);
}

static void test_excerpt(void)
{
    char out[32];
    jade_excerpt("HTTP 500: \x1b]0;owned\x07 line\r\nnext\ttab \xc2\x9b end", out, sizeof out);
    CHECK_STR_EQ(out, "HTTP 500: ]0;owned line next...");
    jade_excerpt("  é à  \xff ok  ", out, sizeof out);
    CHECK_STR_EQ(out, "é à ok");
    jade_excerpt("exactly thirty-one bytes long!!", out, sizeof out);
    CHECK_STR_EQ(out, "exactly thirty-one bytes long!!");
    jade_excerpt("exactly thirty-two bytes long!!!", out, sizeof out);
    CHECK_STR_EQ(out, "exactly thirty-two bytes lon...");
    /* never cut inside a character */
    jade_excerpt("ééééééééééééééééééééé", out, sizeof out);
    CHECK_STR_EQ(out, "éééééééééééééé...");
    jade_excerpt(NULL, out, sizeof out);
    CHECK_STR_EQ(out, "");
    for (const char *c = out; *c; c++) CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

int main(void)
{
    RUN(test_url_within);
    RUN(test_host_matches);
    RUN(test_addresses);
    RUN(test_cidr);
    RUN(test_schemes);
    RUN(test_client_applies_rules);
    RUN(test_excerpt);
    return test_done();
}
