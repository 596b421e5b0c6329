/* knownhosts.c - an OpenSSH known_hosts lookup for the fetcher's host key
 * check (see knownhosts.h). Follows sshd(8)'s "SSH_KNOWN_HOSTS FILE FORMAT". */
#include "knownhosts.h"

#include "sshsig.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A known_hosts file is small; a bigger one is a mistake, not a file to slurp. */
#define MAX_FILE_SIZE (16u << 20)

/* Decodes standard base64 of exactly n characters into out (room for
 * n / 4 * 3 bytes); returns the length, or -1 if it is not base64. */
static long decode_base64(const char *s, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4 != 0 || n > 1u << 20) return -1;
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (got < 0) return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    long pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    return got - pad;
}

/* A `|1|salt|hash` field against the name. */
static bool hashed_match(const char *field, size_t len, const char *name)
{
    const char *salt = field + 3, *end = field + len;
    const char *bar = memchr(salt, '|', (size_t)(end - salt));
    if (!bar) return false;
    unsigned char salt_raw[128], hash_raw[128], mac[EVP_MAX_MD_SIZE];
    size_t salt_chars = (size_t)(bar - salt), hash_chars = (size_t)(end - bar - 1);
    if (salt_chars > 160 || hash_chars > 160) return false;
    long salt_len = decode_base64(salt, salt_chars, salt_raw);
    long hash_len = decode_base64(bar + 1, hash_chars, hash_raw);
    if (salt_len <= 0 || hash_len != 20) return false;
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), salt_raw, (int)salt_len, (const unsigned char *)name, strlen(name), mac,
              &mac_len))
        return false;
    return mac_len == 20 && memcmp(mac, hash_raw, 20) == 0;
}

/* The host field of a line: a hashed name, or a comma-separated list of
 * patterns where a matching `!pattern` rules the line out. */
static bool hosts_match(const char *field, size_t len, const char *name)
{
    if (len > 3 && memcmp(field, "|1|", 3) == 0) return hashed_match(field, len, name);
    bool matched = false;
    const char *p = field, *end = field + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = (size_t)((comma ? comma : end) - p);
        bool negated = n > 0 && *p == '!';
        if (jade_ssh_match_pattern(name, p + negated, n - negated, true)) {
            if (negated) return false;
            matched = true;
        }
        p += n + 1;
    }
    return matched;
}

/* The next whitespace-separated field of a line. */
static bool next_field(const char **p, const char *end, const char **field, size_t *len)
{
    while (*p < end && (**p == ' ' || **p == '\t')) (*p)++;
    *field = *p;
    while (*p < end && **p != ' ' && **p != '\t') (*p)++;
    *len = (size_t)(*p - *field);
    return *len > 0;
}

enum jade_known_host jade_known_hosts_match(const char *text, size_t len, const char *host,
                                            int port, const unsigned char *key, size_t key_len)
{
    /* OpenSSH writes the name lower-case, bracketed with the port unless 22. */
    struct jade_buf name = {0};
    if (port != 22) jade_buf_puts(&name, "[");
    for (const char *h = host; *h; h++) {
        char c = (char)tolower((unsigned char)*h);
        jade_buf_append(&name, &c, 1);
    }
    if (port != 22) jade_buf_printf(&name, "]:%d", port);
    bool named = false, known = false, revoked = false;
    unsigned char *blob = jade_xmalloc(len / 4 * 3 + 3);
    const char *line = text, *text_end = text + len;
    while (line < text_end) {
        const char *nl = memchr(line, '\n', (size_t)(text_end - line));
        const char *end = nl ? nl : text_end, *p = line;
        line = end + 1;
        const char *f;
        size_t n;
        if (!next_field(&p, end, &f, &n) || *f == '#') continue;
        bool is_revoked = false;
        if (*f == '@') {
            if (n != 8 || memcmp(f, "@revoked", 8) != 0) continue; /* @cert-authority */
            is_revoked = true;
            if (!next_field(&p, end, &f, &n)) continue;
        }
        if (!hosts_match(f, n, jade_buf_str(&name))) continue;
        const char *type, *b64;
        size_t type_len, b64_len;
        if (!next_field(&p, end, &type, &type_len) || !next_field(&p, end, &b64, &b64_len))
            continue;
        while (b64_len > 0 && b64[b64_len - 1] == '\r') b64_len--;
        long got = decode_base64(b64, b64_len, blob);
        bool same = got >= 0 && (size_t)got == key_len && memcmp(blob, key, key_len) == 0;
        if (is_revoked) {
            revoked |= same;
        } else {
            named = true;
            known |= same;
        }
    }
    free(blob);
    jade_buf_free(&name);
    if (revoked) return JADE_HOST_REVOKED;
    if (known) return JADE_HOST_KNOWN;
    return named ? JADE_HOST_CHANGED : JADE_HOST_UNKNOWN;
}

static char *read_file(const char *path, size_t *len, struct jade_buf *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        jade_buf_printf(err, _("cannot read the known_hosts file %s: %s"), path, strerror(errno));
        return NULL;
    }
    struct jade_buf text = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= MAX_FILE_SIZE)
        jade_buf_append(&text, chunk, n);
    bool failed = ferror(f), too_big = text.len > MAX_FILE_SIZE;
    fclose(f);
    if (failed || too_big) {
        jade_buf_printf(err,
                        too_big ? _("the known_hosts file %s is too big")
                                : _("cannot read the known_hosts file %s"),
                        path);
        jade_buf_free(&text);
        return NULL;
    }
    *len = text.len;
    return text.data ? jade_buf_steal(&text) : jade_xstrdup("");
}

int jade_known_hosts_check(const char *path, const char *host, int port, const unsigned char *key,
                           size_t key_len, struct jade_buf *err)
{
    size_t len = 0;
    char *text = read_file(path, &len, err);
    if (!text) return -1;
    enum jade_known_host r = jade_known_hosts_match(text, len, host, port, key, key_len);
    free(text);
    char shown[300];
    if (port == 22)
        snprintf(shown, sizeof shown, "%s", host);
    else
        snprintf(shown, sizeof shown, "[%s]:%d", host, port);
    switch (r) {
    case JADE_HOST_KNOWN:
        return 0;
    case JADE_HOST_UNKNOWN:
        jade_buf_printf(err,
                        _("ssh host %s is not in the known_hosts file %s: refused; add its key "
                          "(ssh-keyscan -p PORT HOST, checked with the server's admin)"),
                        shown, path);
        break;
    case JADE_HOST_CHANGED:
        jade_buf_printf(err,
                        _("ssh host %s presented a key that the known_hosts file %s does not list "
                          "for it: refused (the host key changed, or someone is in between)"),
                        shown, path);
        break;
    case JADE_HOST_REVOKED:
        jade_buf_printf(err, _("ssh host %s presented a key marked @revoked in %s: refused"), shown,
                        path);
        break;
    }
    return -1;
}
