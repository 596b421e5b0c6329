/* sshsig.c - allowed-signers files, SSH signatures (PROTOCOL.sshsig) and
 * commits signed with them (see sshsig.h).
 *
 * Everything read from a signature is hostile: every length is checked
 * against what is left before it is used, and a signature that cannot be
 * parsed is a bad signature, never a crash. The allowed-signers file is
 * the service's own configuration, so a line jade cannot honour exactly
 * (a certificate authority, an unknown option) refuses the whole file
 * rather than being skipped: a key silently dropped or silently widened
 * would change who may publish. */
#include "sshsig.h"

#include "../util/buf.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Bigger than any sensible allowed-signers file; a guard against reading a
 * wrong path such as a device. */
#define SIGNERS_MAX_BYTES (4u << 20)

struct signer {
    char *principals; /* as written, quotes removed */
    char *namespaces; /* pattern list; NULL when every namespace is allowed */
    bool has_after, has_before;
    int64_t valid_after, valid_before;
    const char *key_type; /* one of key_types[] */
    unsigned char *blob;  /* the decoded public key */
    size_t blob_len;
    unsigned line;
};

struct jade_signers {
    char *name; /* the file, for messages */
    struct signer *entries;
    size_t count;
};

/* Key types OpenSSH writes in allowed-signers files. Only ssh-ed25519 is
 * verified; the others are parsed so that a signature by one of them is
 * reported as unsupported rather than as unknown. */
static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

static const char cert_suffix[] = "-cert-v01@openssh.com";

/* ---- reading SSH wire format -------------------------------------------- */

struct reader {
    const unsigned char *p;
    size_t len;
};

static int get_u32(struct reader *r, uint32_t *v)
{
    if (r->len < 4) return -1;
    *v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    r->len -= 4;
    return 0;
}

static int get_string(struct reader *r, const unsigned char **s, size_t *n)
{
    uint32_t len;
    if (get_u32(r, &len) != 0) return -1;
    if (len > r->len) return -1; /* compared to what is left: no pointer overflow */
    *s = r->p;
    *n = len;
    r->p += len;
    r->len -= len;
    return 0;
}

static bool bytes_are(const unsigned char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A public key blob whose type string is type; for ssh-ed25519 also the
 * exact shape (32-byte key, nothing after), since that key is used. */
static int check_key_blob(const unsigned char *blob, size_t len, const char *type)
{
    struct reader r = {blob, len};
    const unsigned char *s, *key;
    size_t n, key_len;
    if (get_string(&r, &s, &n) != 0 || !bytes_are(s, n, type)) return -1;
    if (strcmp(type, "ssh-ed25519") != 0) return 0;
    if (get_string(&r, &key, &key_len) != 0 || key_len != crypto_sign_PUBLICKEYBYTES) return -1;
    return r.len == 0 ? 0 : -1;
}

/* "SHA256:" and the unpadded base64 of the blob's SHA-256, as ssh-keygen -l. */
static void fingerprint(const unsigned char *blob, size_t len, char out[JADE_FINGERPRINT_SIZE])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, blob, len);
    memcpy(out, "SHA256:", 7);
    sodium_bin2base64(out + 7, JADE_FINGERPRINT_SIZE - 7, h, sizeof h,
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

/* Hostile text for a one-line message: printable ASCII only, bounded. */
static void printable(char *out, size_t size, const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i + 1 < size; i++) out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    out[i] = '\0';
}

/* ---- patterns and times ------------------------------------------------- */

bool jade_ssh_match_pattern(const char *s, const char *p, size_t plen, bool fold_case)
{
    const char *star = NULL, *star_s = NULL, *pend = p + plen;
    while (*s) {
        bool same =
            p < pend &&
            (fold_case ? tolower((unsigned char)*p) == tolower((unsigned char)*s) : *p == *s);
        if (p < pend && (*p == '?' || same)) {
            p++;
            s++;
        } else if (p < pend && *p == '*') {
            star = p++;
            star_s = s;
        } else if (star) {
            p = star + 1;
            s = ++star_s;
        } else {
            return false;
        }
    }
    while (p < pend && *p == '*') p++;
    return p == pend;
}

/* OpenSSH's match_pattern_list: comma-separated patterns, "!" negates and
 * wins over any positive match. */
static bool match_pattern_list(const char *s, const char *list)
{
    bool positive = false;
    while (*list) {
        size_t n = strcspn(list, ",");
        bool negated = list[0] == '!';
        const char *p = negated ? list + 1 : list;
        size_t plen = negated ? n - 1 : n;
        /* spaces around the commas are not part of a pattern */
        while (plen && *p == ' ') p++, plen--;
        while (plen && p[plen - 1] == ' ') plen--;
        if (jade_ssh_match_pattern(s, p, plen, false)) {
            if (negated) return false;
            positive = true;
        }
        list += n;
        if (*list == ',') list++;
    }
    return positive;
}

/* YYYYMMDD[HHMM[SS]][Z], as valid-after/valid-before take. OpenSSH reads a
 * time without Z as local time; jade reads it as UTC, always. The service
 * usually runs in UTC, where the two agree, and a check that depends on
 * the TZ of the process would let the same file mean different things on
 * two machines. Write the Z to be sure ssh-keygen agrees everywhere. */
static int parse_time(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z')) n--;
    if (n != 8 && n != 12 && n != 14) return -1;
    int f[6] = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        size_t k = i < 4 ? 0 : 1 + (i - 4) / 2;
        f[k] = f[k] * 10 + (s[i] - '0');
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = f[0], mo = f[1], d = f[2];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return -1;
    if (f[3] > 23 || f[4] > 59 || f[5] > 59) return -1;
    *out = jade_days_from_civil(y, mo, d) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    return 0;
}

static void format_time(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "@%lld", (long long)t);
}

/* ---- the allowed-signers file ------------------------------------------- */

struct line_ctx {
    const char *name;
    unsigned line;
    struct jade_buf *err;
};

static int line_error(struct line_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int line_error(struct line_ctx *c, const char *fmt, ...)
{
    va_list ap;
    jade_buf_printf(c->err, "%s:%u: ", c->name, c->line);
    va_start(ap, fmt);
    jade_buf_vprintf(c->err, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(char **p)
{
    while (**p == ' ' || **p == '\t') (*p)++;
}

/* Cuts the next field at unquoted white space; quotes stay in it. */
static char *next_field(char **p)
{
    char *start = *p;
    bool quoted = false;
    for (; **p; (*p)++) {
        if (**p == '"')
            quoted = !quoted;
        else if (!quoted && (**p == ' ' || **p == '\t'))
            break;
    }
    if (**p) *(*p)++ = '\0';
    skip_space(p);
    return start;
}

static const char *known_key_type(const char *s)
{
    for (size_t i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
        if (strcmp(s, key_types[i]) == 0) return key_types[i];
    return NULL;
}

static bool is_certificate(const char *s)
{
    size_t n = strlen(s), k = sizeof cert_suffix - 1;
    return n > k && strcmp(s + n - k, cert_suffix) == 0;
}

/* One option "name" or name="value" (the value's quotes required, as in
 * OpenSSH); names are case-insensitive there too. */
static int parse_option(struct line_ctx *c, char *opt, struct signer *e)
{
    char *eq = strchr(opt, '=');
    char *value = NULL;
    if (eq) {
        *eq = '\0';
        size_t n = strlen(eq + 1);
        if (n < 2 || eq[1] != '"' || eq[n] != '"')
            return line_error(c, _("the value of option \"%s\" must be in double quotes"), opt);
        eq[n] = '\0';
        value = eq + 2;
        if (strchr(value, '"'))
            return line_error(c, _("option \"%s\" has a stray double quote"), opt);
    }
    if (strcasecmp(opt, "cert-authority") == 0)
        return line_error(c, _("cert-authority: SSH certificates are not supported; list each "
                               "signer's own public key instead"));
    if (!value) return line_error(c, _("unknown option \"%s\" (or it lacks a value)"), opt);
    if (strcasecmp(opt, "namespaces") == 0) {
        if (e->namespaces) return line_error(c, _("option \"namespaces\" given twice"));
        e->namespaces = jade_xstrdup(value);
        return 0;
    }
    bool after = strcasecmp(opt, "valid-after") == 0;
    if (after || strcasecmp(opt, "valid-before") == 0) {
        bool *has = after ? &e->has_after : &e->has_before;
        if (*has) return line_error(c, _("option \"%s\" given twice"), opt);
        if (parse_time(value, after ? &e->valid_after : &e->valid_before) != 0)
            return line_error(c, _("option \"%s\": \"%s\" is not a time YYYYMMDD[HHMM[SS]][Z]"),
                              opt, value);
        *has = true;
        return 0;
    }
    return line_error(c, _("unknown option \"%s\""), opt);
}

static int parse_options(struct line_ctx *c, char *opts, struct signer *e)
{
    char *p = opts;
    while (*p) {
        char *start = p;
        bool quoted = false;
        for (; *p && (quoted || *p != ','); p++)
            if (*p == '"') quoted = !quoted;
        if (quoted) return line_error(c, _("unterminated double quote in the options"));
        if (*p) *p++ = '\0';
        if (*start == '\0') return line_error(c, _("empty option"));
        if (parse_option(c, start, e) != 0) return -1;
    }
    if (e->has_after && e->has_before && e->valid_before <= e->valid_after)
        return line_error(c, _("valid-before is not after valid-after"));
    return 0;
}

static void signer_clear(struct signer *e)
{
    free(e->principals);
    free(e->namespaces);
    free(e->blob);
}

/* One non-blank, non-comment line, NUL-terminated and writable:
 * principals [options] keytype base64 [comment]. */
static int parse_line(struct line_ctx *c, char *p, struct signer *e)
{
    char *principals;
    if (*p == '"') {
        char *end = strchr(p + 1, '"');
        if (!end) return line_error(c, _("unterminated double quote in the principals"));
        *end = '\0';
        principals = p + 1;
        p = end + 1;
        if (*p != ' ' && *p != '\t')
            return line_error(c, _("expected white space after the principals"));
        skip_space(&p);
    } else {
        principals = next_field(&p);
    }
    if (*principals == '\0') return line_error(c, _("empty principals"));
    /* ssh-keygen would splice such quotes out; better to ask */
    if (strchr(principals, '"'))
        return line_error(c, _("a double quote inside the principals: quote the whole field"));
    /* jade adopts by key, so a pattern only names the signer; but a negated
     * one would mean "never this signer" to ssh-keygen, which jade would not
     * honour. */
    if (strchr(principals, '!'))
        return line_error(c, _("negated principals (\"!\") are not supported"));
    if (*p == '\0') return line_error(c, _("missing key after the principals"));

    char *field = next_field(&p);
    e->key_type = known_key_type(field);
    if (!e->key_type && !is_certificate(field)) {
        /* options without a value: only cert-authority, refused below */
        if (!strchr(field, '=') && strncasecmp(field, "cert-authority", 14) != 0)
            return line_error(c, _("unknown key type \"%s\""), field);
        if (parse_options(c, field, e) != 0) return -1;
        if (*p == '\0') return line_error(c, _("missing key after the options"));
        field = next_field(&p);
        e->key_type = known_key_type(field);
    }
    if (is_certificate(field))
        return line_error(c,
                          _("%s: SSH certificates are not supported; list the signer's own "
                            "public key instead"),
                          field);
    if (!e->key_type) return line_error(c, _("unknown key type \"%s\""), field);
    if (*p == '\0') return line_error(c, _("missing base64 key after \"%s\""), e->key_type);

    char *b64 = next_field(&p); /* what is left is a comment */
    size_t b64_len = strlen(b64);
    e->blob = jade_xmalloc(b64_len / 4 * 3 + 3);
    if (sodium_base642bin(e->blob, b64_len / 4 * 3 + 3, b64, b64_len, NULL, &e->blob_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return line_error(c, _("the key is not valid base64"));
    if (check_key_blob(e->blob, e->blob_len, e->key_type) != 0)
        return line_error(c, _("the key is not a valid %s public key"), e->key_type);
    e->principals = jade_xstrdup(principals);
    return 0;
}

int jade_signers_parse(const char *name, const char *text, size_t len, struct jade_signers **out,
                       struct jade_buf *err)
{
    *out = NULL;
    if (memchr(text, '\0', len)) {
        jade_buf_printf(err, _("%s: contains a NUL byte; not an allowed-signers file"), name);
        return -1;
    }
    struct jade_signers *s = jade_xcalloc(1, sizeof *s);
    s->name = jade_xstrdup(name);
    size_t cap = 0;
    struct line_ctx c = {name, 0, err};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = jade_xstrndup(p, n);
        p += n + (nl != NULL);
        c.line++;
        if (n && line[n - 1] == '\r') line[n - 1] = '\0';
        char *q = line;
        skip_space(&q);
        if (*q == '\0' || *q == '#') {
            free(line);
            continue;
        }
        if (s->count == cap) {
            cap = cap ? cap * 2 : 8;
            s->entries = jade_xrealloc(s->entries, cap * sizeof *s->entries);
        }
        struct signer *e = &s->entries[s->count];
        *e = (struct signer){.line = c.line};
        int rc = parse_line(&c, q, e);
        free(line);
        if (rc != 0) {
            signer_clear(e);
            jade_signers_free(s);
            return -1;
        }
        s->count++;
    }
    *out = s;
    return 0;
}

int jade_signers_load(const char *path, struct jade_signers **out, struct jade_buf *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        jade_buf_printf(err, _("%s: cannot open the allowed-signers file: %s"), path,
                        strerror(errno));
        return -1;
    }
    struct jade_buf text = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        jade_buf_append(&text, chunk, n);
        if (text.len > SIGNERS_MAX_BYTES) break;
    }
    int failed = ferror(f);
    fclose(f);
    int rc = -1;
    if (failed)
        jade_buf_printf(err, _("%s: cannot read the allowed-signers file"), path);
    else if (text.len > SIGNERS_MAX_BYTES)
        jade_buf_printf(err, _("%s: larger than %u bytes; not an allowed-signers file"), path,
                        SIGNERS_MAX_BYTES);
    else
        rc = jade_signers_parse(path, jade_buf_str(&text), text.len, out, err);
    jade_buf_free(&text);
    return rc;
}

void jade_signers_free(struct jade_signers *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) signer_clear(&s->entries[i]);
    free(s->entries);
    free(s->name);
    free(s);
}

size_t jade_signers_count(const struct jade_signers *s)
{
    return s ? s->count : 0;
}

/* ---- verdicts ----------------------------------------------------------- */

const char *jade_verify_status_name(enum jade_verify_status status)
{
    switch (status) {
    case JADE_VERIFY_OK:
        return "ok";
    case JADE_VERIFY_UNSIGNED:
        return "unsigned";
    case JADE_VERIFY_NOT_SSH:
        return "not-ssh";
    case JADE_VERIFY_UNKNOWN_KEY:
        return "unknown-key";
    case JADE_VERIFY_EXPIRED_KEY:
        return "expired-key";
    case JADE_VERIFY_WRONG_NAMESPACE:
        return "wrong-namespace";
    case JADE_VERIFY_BAD_SIGNATURE:
        return "bad-signature";
    case JADE_VERIFY_UNSUPPORTED_KEY_TYPE:
        return "unsupported-key-type";
    }
    return "invalid";
}

void jade_verdict_clear(struct jade_verdict *v)
{
    if (!v) return;
    free(v->principal);
    free(v->message);
    memset(v, 0, sizeof *v);
}

static void verdict(struct jade_verdict *v, enum jade_verify_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(struct jade_verdict *v, enum jade_verify_status status, const char *fmt, ...)
{
    struct jade_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    v->status = status;
    free(v->message);
    v->message = jade_buf_steal(&b);
    if (!v->message) v->message = jade_xstrdup("");
}

/* ---- signatures --------------------------------------------------------- */

static const char armor_begin[] = "-----BEGIN SSH SIGNATURE-----";
static const char armor_end[] = "-----END SSH SIGNATURE-----";

struct sshsig {
    const unsigned char *pubkey, *ns, *reserved, *hashalg, *sig;
    size_t pubkey_len, ns_len, reserved_len, hashalg_len, sig_len;
};

/* The blob inside the armor; *why says what is wrong with it. */
static int parse_blob(const unsigned char *blob, size_t len, struct sshsig *s, const char **why)
{
    struct reader r = {blob, len};
    uint32_t version;
    if (len < 6 || memcmp(blob, "SSHSIG", 6) != 0) {
        *why = _("no SSHSIG magic");
        return -1;
    }
    r.p += 6;
    r.len -= 6;
    if (get_u32(&r, &version) != 0 || version != 1) {
        *why = _("not version 1");
        return -1;
    }
    if (get_string(&r, &s->pubkey, &s->pubkey_len) != 0 ||
        get_string(&r, &s->ns, &s->ns_len) != 0 ||
        get_string(&r, &s->reserved, &s->reserved_len) != 0 ||
        get_string(&r, &s->hashalg, &s->hashalg_len) != 0 ||
        get_string(&r, &s->sig, &s->sig_len) != 0) {
        *why = _("truncated");
        return -1;
    }
    if (r.len != 0) {
        *why = _("trailing data after the signature");
        return -1;
    }
    return 0;
}

/* Decodes the armored text into a malloc'd blob. Returns 1 when the text is
 * not an SSH signature at all, -1 when it is one but broken. */
static int dearmor(const char *text, size_t len, unsigned char **blob, size_t *blob_len,
                   const char **why)
{
    const char *p = text, *end = text + len;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    size_t nb = sizeof armor_begin - 1, ne = sizeof armor_end - 1;
    if ((size_t)(end - p) < nb || memcmp(p, armor_begin, nb) != 0) return 1;
    p += nb;
    const char *e = memmem(p, (size_t)(end - p), armor_end, ne);
    if (!e) {
        *why = _("no END line");
        return -1;
    }
    for (const char *t = e + ne; t < end; t++) {
        if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n') {
            *why = _("text after the END line");
            return -1;
        }
    }
    size_t b64_len = (size_t)(e - p), max = b64_len / 4 * 3 + 3;
    *blob = jade_xmalloc(max);
    if (sodium_base642bin(*blob, max, p, b64_len, " \t\r\n", blob_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(*blob);
        *blob = NULL;
        *why = _("not valid base64");
        return -1;
    }
    /* exact size, so that a sanitizer sees any read past the end */
    *blob = jade_xrealloc(*blob, *blob_len);
    return 0;
}

static void put_string(unsigned char **w, const unsigned char *s, size_t n)
{
    (*w)[0] = (unsigned char)(n >> 24);
    (*w)[1] = (unsigned char)(n >> 16);
    (*w)[2] = (unsigned char)(n >> 8);
    (*w)[3] = (unsigned char)n;
    if (n) memcpy(*w + 4, s, n);
    *w += 4 + n;
}

/* The ed25519 signature of s over message; *why is set when it is not
 * even well formed. */
static bool ed25519_verifies(const struct sshsig *s, const unsigned char *pk, const void *message,
                             size_t message_len, const char **why)
{
    unsigned char h[crypto_hash_sha512_BYTES];
    size_t h_len;
    if (bytes_are(s->hashalg, s->hashalg_len, "sha512")) {
        crypto_hash_sha512(h, message, message_len);
        h_len = crypto_hash_sha512_BYTES;
    } else if (bytes_are(s->hashalg, s->hashalg_len, "sha256")) {
        crypto_hash_sha256(h, message, message_len);
        h_len = crypto_hash_sha256_BYTES;
    } else {
        *why = _("unknown hash algorithm");
        return false;
    }
    struct reader r = {s->sig, s->sig_len};
    const unsigned char *type, *sig;
    size_t type_len, sig_len;
    if (get_string(&r, &type, &type_len) != 0 || !bytes_are(type, type_len, "ssh-ed25519") ||
        get_string(&r, &sig, &sig_len) != 0 || sig_len != crypto_sign_BYTES || r.len != 0) {
        *why = _("not an ssh-ed25519 signature");
        return false;
    }
    /* "SSHSIG" || string(namespace) || string(reserved) || string(hash alg)
     * || string(H(message)); every length here was bounded by the blob. */
    size_t n = 6 + 4 + s->ns_len + 4 + s->reserved_len + 4 + s->hashalg_len + 4 + h_len;
    unsigned char *signed_data = jade_xmalloc(n), *w = signed_data;
    memcpy(w, "SSHSIG", 6);
    w += 6;
    put_string(&w, s->ns, s->ns_len);
    put_string(&w, s->reserved, s->reserved_len);
    put_string(&w, s->hashalg, s->hashalg_len);
    put_string(&w, h, h_len);
    bool ok = crypto_sign_verify_detached(sig, signed_data, n, pk) == 0;
    free(signed_data);
    return ok;
}

/* The raw key of an ssh-ed25519 entry: its blob's last 32 bytes, the shape
 * having been checked when the file was loaded. */
static const unsigned char *ed25519_key(const struct signer *e)
{
    return e->blob + e->blob_len - crypto_sign_PUBLICKEYBYTES;
}

/* Whether entry e lets its key sign for sig_namespace at time when. */
static bool namespace_allowed(const struct signer *e, const char *sig_namespace)
{
    return !e->namespaces || match_pattern_list(sig_namespace, e->namespaces);
}

static bool time_allowed(const struct signer *e, int64_t when)
{
    /* inclusive at both ends, as ssh-keygen */
    return (!e->has_after || when >= e->valid_after) && (!e->has_before || when <= e->valid_before);
}

static void policy_verdict(const struct jade_signers *signers, const struct signer *first,
                           const unsigned char *pubkey, size_t pubkey_len,
                           const char *sig_namespace, int64_t when, const char *subject,
                           struct jade_verdict *out)
{
    /* The same key may be listed more than once: the first line that allows
     * this signature wins; if none does, the first line says why. */
    for (size_t i = (size_t)(first - signers->entries); i < signers->count; i++) {
        const struct signer *e = &signers->entries[i];
        if (e->blob_len != pubkey_len || memcmp(e->blob, pubkey, pubkey_len) != 0) continue;
        if (namespace_allowed(e, sig_namespace) && time_allowed(e, when)) {
            out->principal = jade_xstrdup(e->principals);
            verdict(out, JADE_VERIFY_OK, _("%s is signed by %s (%s)"), subject, e->principals,
                    out->fingerprint);
            return;
        }
    }
    if (!namespace_allowed(first, sig_namespace)) {
        verdict(out, JADE_VERIFY_WRONG_NAMESPACE,
                _("%s is signed by %s (%s), but %s:%u allows that key only for namespaces "
                  "\"%s\", not \"%s\""),
                subject, first->principals, out->fingerprint, signers->name, first->line,
                first->namespaces, sig_namespace);
        return;
    }
    char at[32], limit[32];
    format_time(when, at);
    bool early = first->has_after && when < first->valid_after;
    format_time(early ? first->valid_after : first->valid_before, limit);
    verdict(out, JADE_VERIFY_EXPIRED_KEY,
            early ? _("%s is signed by %s (%s) at %s, but %s:%u makes that key valid only from "
                      "%s")
                  : _("%s is signed by %s (%s) at %s, but %s:%u makes that key valid only until "
                      "%s"),
            subject, first->principals, out->fingerprint, at, signers->name, first->line, limit);
}

void jade_sshsig_verify(const char *armored, size_t armored_len, const void *message,
                        size_t message_len, const char *sig_namespace,
                        const struct jade_signers *signers, int64_t when, const char *subject,
                        struct jade_verdict *out)
{
    memset(out, 0, sizeof *out);
    const char *why = NULL;
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    struct sshsig s;
    if (sodium_init() < 0) {
        verdict(out, JADE_VERIFY_BAD_SIGNATURE, _("%s: libsodium cannot be initialised"), subject);
        return;
    }
    int rc = dearmor(armored, armored_len, &blob, &blob_len, &why);
    if (rc > 0) {
        verdict(out, JADE_VERIFY_NOT_SSH,
                _("%s is signed, but not with an SSH key (git's gpg.format=ssh)"), subject);
        return;
    }
    if (rc < 0 || parse_blob(blob, blob_len, &s, &why) != 0) {
        verdict(out, JADE_VERIFY_BAD_SIGNATURE, _("%s has a malformed SSH signature: %s"), subject,
                why);
        free(blob);
        return;
    }
    fingerprint(s.pubkey, s.pubkey_len, out->fingerprint);
    if (!bytes_are(s.ns, s.ns_len, sig_namespace)) {
        char ns[48];
        printable(ns, sizeof ns, s.ns, s.ns_len);
        verdict(out, JADE_VERIFY_WRONG_NAMESPACE,
                _("%s is signed for the namespace \"%s\", not \"%s\" (%s)"), subject, ns,
                sig_namespace, out->fingerprint);
        free(blob);
        return;
    }
    const struct signer *first = NULL;
    for (size_t i = 0; i < signers->count && !first; i++) {
        const struct signer *e = &signers->entries[i];
        if (e->blob_len == s.pubkey_len && memcmp(e->blob, s.pubkey, s.pubkey_len) == 0) first = e;
    }
    if (!first) {
        verdict(out, JADE_VERIFY_UNKNOWN_KEY, _("%s is signed by a key not in %s (%s)"), subject,
                signers->name, out->fingerprint);
    } else if (strcmp(first->key_type, "ssh-ed25519") != 0) {
        verdict(out, JADE_VERIFY_UNSUPPORTED_KEY_TYPE,
                _("%s is signed by %s (%s), a key of type %s: unsupported key type (jade "
                  "verifies only ssh-ed25519 keys)"),
                subject, first->principals, out->fingerprint, first->key_type);
    } else if (!ed25519_verifies(&s, ed25519_key(first), message, message_len, &why)) {
        if (why)
            verdict(out, JADE_VERIFY_BAD_SIGNATURE, _("%s has a malformed SSH signature: %s (%s)"),
                    subject, why, out->fingerprint);
        else
            verdict(out, JADE_VERIFY_BAD_SIGNATURE,
                    _("%s has a bad signature from %s (%s): the content does not match it"),
                    subject, first->principals, out->fingerprint);
    } else {
        policy_verdict(signers, first, s.pubkey, s.pubkey_len, sig_namespace, when, subject, out);
    }
    free(blob);
}

/* ---- commits ------------------------------------------------------------ */

int jade_commit_verify(git_repository *repo, const git_oid *commit,
                       const struct jade_signers *signers, struct jade_verdict *out)
{
    memset(out, 0, sizeof *out);
    char short_id[8];
    git_oid_tostr(short_id, sizeof short_id, commit);
    char *subject = jade_xasprintf(_("commit %s"), short_id);

    git_commit *c = NULL;
    if (git_commit_lookup(&c, repo, commit) != 0) {
        const git_error *e = git_error_last();
        verdict(out, JADE_VERIFY_BAD_SIGNATURE, _("%s cannot be read: %s"), subject,
                e && e->message ? e->message : _("unknown error"));
        free(subject);
        return -1;
    }
    /* git checks the key's validity at the committer time, not the clock */
    int64_t when = (int64_t)git_commit_committer(c)->when.time;
    git_commit_free(c);

    git_buf sig = {0}, data = {0};
    git_oid id;
    git_oid_cpy(&id, commit); /* libgit2 1.5 takes a non-const id */
    int rc = git_commit_extract_signature(&sig, &data, repo, &id, NULL);
    if (rc == GIT_ENOTFOUND) {
        verdict(out, JADE_VERIFY_UNSIGNED, _("%s is not signed"), subject);
        rc = 0;
    } else if (rc != 0) {
        const git_error *e = git_error_last();
        verdict(out, JADE_VERIFY_BAD_SIGNATURE, _("%s: its signature cannot be read: %s"), subject,
                e && e->message ? e->message : _("unknown error"));
        rc = -1;
    } else {
        jade_sshsig_verify(sig.ptr, sig.size, data.ptr, data.size, "git", signers, when, subject,
                           out);
    }
    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    free(subject);
    return rc;
}
