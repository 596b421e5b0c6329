/* url.c - http(s) URLs taken apart (see url.h). */
#include "url.h"

#include "buf.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *part(CURLU *h, CURLUPart which, unsigned flags)
{
    char *value = NULL;
    if (curl_url_get(h, which, &value, flags) != CURLUE_OK) return NULL;
    char *copy = jade_xstrdup(value);
    curl_free(value);
    return copy;
}

int jade_url_parse(const char *text, struct jade_url *out)
{
    memset(out, 0, sizeof *out);
    /* Only absolute URLs: libcurl would otherwise guess a scheme. */
    if (!text || (strncasecmp(text, "http://", 7) != 0 && strncasecmp(text, "https://", 8) != 0))
        return -1;
    CURLU *h = curl_url();
    if (!h || curl_url_set(h, CURLUPART_URL, text, 0) != CURLUE_OK) {
        curl_url_cleanup(h);
        return -1;
    }
    out->scheme = part(h, CURLUPART_SCHEME, 0);
    out->host = part(h, CURLUPART_HOST, 0);
    out->path = part(h, CURLUPART_PATH, 0);
    char *port = part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    char *user = part(h, CURLUPART_USER, 0);
    out->userinfo = user != NULL;
    out->port = port ? atoi(port) : 0;
    free(port);
    free(user);
    curl_url_cleanup(h);
    if (!out->scheme || !out->host || !*out->host || !out->path || out->port <= 0) {
        jade_url_free(out);
        return -1;
    }
    for (char *c = out->scheme; *c; c++) *c = (char)tolower((unsigned char)*c);
    for (char *c = out->host; *c; c++) *c = (char)tolower((unsigned char)*c);
    return 0;
}

void jade_url_free(struct jade_url *u)
{
    free(u->scheme);
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof *u);
}

bool jade_url_within(const char *url, const char *prefix)
{
    struct jade_url u, p;
    if (jade_url_parse(url, &u) != 0) return false;
    if (jade_url_parse(prefix, &p) != 0) {
        jade_url_free(&u);
        return false;
    }
    size_t n = strlen(p.path);
    bool within = !u.userinfo && !strcmp(u.scheme, p.scheme) && !strcmp(u.host, p.host) &&
                  u.port == p.port && !strncmp(u.path, p.path, n) &&
                  (n == 0 || p.path[n - 1] == '/' || u.path[n] == '\0' || u.path[n] == '/');
    jade_url_free(&u);
    jade_url_free(&p);
    return within;
}

bool jade_url_host_matches(const char *entry, const char *host, int port)
{
    /* "[::1]:8080", "example.org:8080", "example.org", "[::1]" */
    const char *colon = strrchr(entry, ':');
    if (colon && entry[0] == '[' && colon < strchr(entry, ']')) colon = NULL;
    size_t host_len = colon ? (size_t)(colon - entry) : strlen(entry);
    if (strlen(host) != host_len || strncasecmp(entry, host, host_len) != 0) return false;
    return !colon || atoi(colon + 1) == port;
}
