/* curl-floor.c - libcurl at its fastest, with no event loop of ours: N
 * POSTs of a webhook-sized body over C connections, driven by curl's own
 * curl_multi_perform / curl_multi_poll, easy handles reused. The most any
 * libcurl client gets from this machine; beside wrk, it tells how much of
 * the gap is libcurl's.
 * usage: curl-floor URL N C */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static char body[331];
static struct curl_slist *headers;

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

static void start(CURLM *multi, CURL *easy, const char *url)
{
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_multi_add_handle(multi, easy);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: curl-floor URL N C\n");
        return 2;
    }
    const char *url = argv[1];
    long n = atol(argv[2]), started = 0, answered = 0, failed = 0;
    int c = atoi(argv[3]);
    memset(body, 'x', sizeof body - 1);
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)c);
    uint64_t t0 = uv_hrtime();
    for (int i = 0; i < c && started < n; i++, started++) start(multi, curl_easy_init(), url);
    while (answered < n) {
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *easy = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) failed++;
            answered++;
            curl_multi_remove_handle(multi, easy);
            if (started < n) {
                start(multi, easy, url);
                started++;
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (answered < n) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double s = (double)(uv_hrtime() - t0) / 1e9;
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    printf("%ld %ld %.3f %.0f\n", answered, failed, s, (double)answered / s);
    return failed ? 1 : 0;
}
