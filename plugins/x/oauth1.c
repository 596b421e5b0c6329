/* oauth1.c - OAuth 1.0a signing, HMAC-SHA1 (see oauth1.h). */
#include "oauth1.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct param {
    char *name, *value; /* encoded, as they are sorted and joined */
};

struct param_list {
    struct param *items;
    size_t count, cap;
    bool failed; /* out of memory */
};

/* A growing string; failed once memory ran out. */
struct text {
    char *data;
    size_t len, cap;
    bool failed;
};

static void text_add(struct text *t, const char *s, size_t len)
{
    if (t->failed) return;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + len + 1) cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, len);
    t->len += len;
    t->data[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* The string built, or NULL (and nothing kept) when memory ran out. */
static char *text_take(struct text *t)
{
    if (t->failed || !t->data) {
        free(t->data);
        return t->failed ? NULL : strdup("");
    }
    return t->data;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void text_encode(struct text *t, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            text_add(t, (const char *)&c, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            text_add(t, esc, 3);
        }
    }
}

char *oauth1_encode(const char *s, size_t len)
{
    struct text t = {0};
    text_encode(&t, s, len);
    return text_take(&t);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded decoding of s[0..len): '+' is a
 * space, %XX a byte (a malformed escape is kept as it stands). */
static void text_decode(struct text *t, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            c = (char)(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        }
        text_add(t, &c, 1);
    }
}

/* Adds name=value, both already decoded, encoded for the base string. */
static void params_add(struct param_list *l, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
    if (l->failed) return;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct param *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) {
            l->failed = true;
            return;
        }
        l->items = grown;
        l->cap = cap;
    }
    struct param p = {oauth1_encode(name, name_len), oauth1_encode(value, value_len)};
    if (!p.name || !p.value) {
        free(p.name);
        free(p.value);
        l->failed = true;
        return;
    }
    l->items[l->count++] = p;
}

/* Each name=value of a form-encoded string (a query, a form body). */
static void params_parse(struct param_list *l, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&') end++;
        if (end > i) {
            const char *eq = memchr(s + i, '=', end - i);
            size_t name_end = eq ? (size_t)(eq - s) : end;
            struct text name = {0}, value = {0};
            text_decode(&name, s + i, name_end - i);
            if (eq) text_decode(&value, eq + 1, end - name_end - 1);
            if (name.failed || value.failed)
                l->failed = true;
            else
                params_add(l, name.data ? name.data : "", name.len, value.data ? value.data : "",
                           value.len);
            free(name.data);
            free(value.data);
        }
        i = end + 1;
    }
}

static void params_add_str(struct param_list *l, const char *name, const char *value)
{
    params_add(l, name, strlen(name), value, strlen(value));
}

static void params_free(struct param_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
}

/* §3.4.1.3.2: by encoded name, then by encoded value, byte order. */
static int param_cmp(const void *a, const void *b)
{
    const struct param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* §3.4.1.2: scheme and host in lower case, the port only when it is not
 * the scheme's own, the path ("/" when empty); no query, no fragment. */
static bool base_uri(struct text *t, const char *url, const char **query, size_t *query_len)
{
    const char *sep = strstr(url, "://");
    if (!sep) return false;
    size_t scheme_len = (size_t)(sep - url);
    bool https = scheme_len == 5 && strncasecmp(url, "https", 5) == 0;
    bool http = scheme_len == 4 && strncasecmp(url, "http", 4) == 0;
    if (!https && !http) return false;
    const char *authority = sep + 3;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = memchr(authority, '@', authority_len);
    if (at) { /* user information is not part of it */
        authority_len -= (size_t)(at + 1 - authority);
        authority = at + 1;
    }
    size_t host_len = authority_len;
    const char *colon = NULL;
    for (size_t i = authority_len; i > 0; i--) {
        if (authority[i - 1] == ']') break; /* an IPv6 address holds colons */
        if (authority[i - 1] == ':') {
            colon = authority + i - 1;
            break;
        }
    }
    if (colon) host_len = (size_t)(colon - authority);
    if (host_len == 0) return false;
    text_puts(t, https ? "https://" : "http://");
    for (size_t i = 0; i < host_len; i++) {
        char c = (char)tolower((unsigned char)authority[i]);
        text_add(t, &c, 1);
    }
    if (colon) {
        const char *port = colon + 1;
        size_t port_len = authority_len - host_len - 1;
        bool own = (https && port_len == 3 && !strncmp(port, "443", 3)) ||
                   (http && port_len == 2 && !strncmp(port, "80", 2)) || port_len == 0;
        if (!own) {
            text_add(t, ":", 1);
            text_add(t, port, port_len);
        }
    }
    const char *path = authority + authority_len;
    size_t path_len = strcspn(path, "?#");
    if (path_len == 0)
        text_add(t, "/", 1);
    else
        text_add(t, path, path_len);
    *query = NULL;
    *query_len = 0;
    if (path[path_len] == '?') {
        *query = path + path_len + 1;
        *query_len = strcspn(*query, "#");
    }
    return true;
}

/* The oauth_* parameters but the signature, in the order the header
 * gives them (the sort decides the base string's). */
static void oauth_params(struct param_list *l, const struct oauth1_credentials *c,
                         const struct oauth1_params *p)
{
    params_add_str(l, "oauth_consumer_key", c->consumer_key);
    params_add_str(l, "oauth_nonce", p->nonce);
    params_add_str(l, "oauth_signature_method", "HMAC-SHA1");
    params_add_str(l, "oauth_timestamp", p->timestamp);
    if (c->token) params_add_str(l, "oauth_token", c->token);
    if (p->version) params_add_str(l, "oauth_version", "1.0");
}

char *oauth1_base_string(const char *method, const char *url, const char *form_body,
                         const struct oauth1_credentials *c, const struct oauth1_params *p)
{
    struct text uri = {0}, normalized = {0}, base = {0};
    const char *query;
    size_t query_len;
    if (!base_uri(&uri, url, &query, &query_len)) {
        free(uri.data);
        return NULL;
    }
    struct param_list l = {0};
    if (query) params_parse(&l, query, query_len);
    if (form_body) params_parse(&l, form_body, strlen(form_body));
    oauth_params(&l, c, p);
    if (!l.failed) qsort(l.items, l.count, sizeof *l.items, param_cmp);
    for (size_t i = 0; i < l.count && !l.failed; i++) {
        if (i) text_add(&normalized, "&", 1);
        text_puts(&normalized, l.items[i].name);
        text_add(&normalized, "=", 1);
        text_puts(&normalized, l.items[i].value);
    }
    for (const char *m = method; *m; m++) {
        char u = (char)toupper((unsigned char)*m);
        text_add(&base, &u, 1);
    }
    text_add(&base, "&", 1);
    if (uri.data) text_encode(&base, uri.data, uri.len);
    text_add(&base, "&", 1);
    if (normalized.data) text_encode(&base, normalized.data, normalized.len);
    if (l.failed || uri.failed || normalized.failed) base.failed = true;
    params_free(&l);
    free(uri.data);
    free(normalized.data);
    return text_take(&base);
}

char *oauth1_signature(const char *base, const char *consumer_secret, const char *token_secret)
{
    struct text key = {0};
    text_encode(&key, consumer_secret, strlen(consumer_secret));
    text_add(&key, "&", 1);
    if (token_secret) text_encode(&key, token_secret, strlen(token_secret));
    if (key.failed) {
        free(key.data);
        return NULL;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    unsigned char *ok = HMAC(EVP_sha1(), key.data, (int)key.len, (const unsigned char *)base,
                             strlen(base), mac, &mac_len);
    OPENSSL_cleanse(key.data, key.len);
    free(key.data);
    if (!ok) return NULL;
    char *out = malloc(4 * ((mac_len + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
    return out;
}

char *oauth1_authorization(const char *method, const char *url, const char *form_body,
                           const struct oauth1_credentials *c, const struct oauth1_params *p)
{
    char *base = oauth1_base_string(method, url, form_body, c, p);
    char *signature = base ? oauth1_signature(base, c->consumer_secret, c->token_secret) : NULL;
    free(base);
    if (!signature) return NULL;
    struct param_list l = {0};
    oauth_params(&l, c, p);
    params_add_str(&l, "oauth_signature", signature);
    free(signature);
    if (!l.failed) qsort(l.items, l.count, sizeof *l.items, param_cmp);
    struct text t = {0};
    text_puts(&t, "OAuth ");
    for (size_t i = 0; i < l.count && !l.failed; i++) {
        if (i) text_puts(&t, ", ");
        text_puts(&t, l.items[i].name);
        text_puts(&t, "=\"");
        text_puts(&t, l.items[i].value);
        text_puts(&t, "\"");
    }
    if (l.failed) t.failed = true;
    params_free(&l);
    return text_take(&t);
}

int oauth1_nonce(char out[65])
{
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return -1;
    for (size_t i = 0; i < sizeof bytes; i++) snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}
