/* jsonpos.c - locating a JSON pointer in JSON text (see jsonpos.h). */
#include "jsonpos.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

struct scan {
    const char *s;
    size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]) && sc->s[sc->pos]) sc->pos++;
}

static void put_utf8(struct jade_buf *b, unsigned cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    jade_buf_append(b, out, n);
}

static unsigned hex4(const char *p)
{
    char tmp[5] = {p[0], p[1], p[2], p[3], 0};
    return (unsigned)strtoul(tmp, NULL, 16);
}

/* Reads a string at sc->pos (which is '"'); decodes it into out if given. */
static void scan_string(struct scan *sc, struct jade_buf *out)
{
    sc->pos++; /* opening quote */
    while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
        char c = sc->s[sc->pos];
        if (c != '\\') {
            if (out) jade_buf_append(out, &c, 1);
            sc->pos++;
            continue;
        }
        if (sc->pos + 1 >= sc->len) break;
        char e = sc->s[sc->pos + 1];
        sc->pos += 2;
        if (e == 'u' && sc->pos + 4 <= sc->len) {
            unsigned cp = hex4(sc->s + sc->pos);
            sc->pos += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && sc->pos + 6 <= sc->len && sc->s[sc->pos] == '\\' &&
                sc->s[sc->pos + 1] == 'u') {
                unsigned lo = hex4(sc->s + sc->pos + 2);
                sc->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out) put_utf8(out, cp);
        } else if (out) {
            const char *from = "bfnrt", *to = "\b\f\n\r\t";
            const char *hit = strchr(from, e);
            char d = hit && e ? to[hit - from] : e;
            jade_buf_append(out, &d, 1);
        }
    }
    sc->pos++; /* closing quote */
}

static void skip_value(struct scan *sc)
{
    skip_ws(sc);
    if (sc->pos >= sc->len) return;
    char c = sc->s[sc->pos];
    if (c == '"') {
        scan_string(sc, NULL);
    } else if (c == '{' || c == '[') {
        int depth = 0;
        while (sc->pos < sc->len) {
            c = sc->s[sc->pos];
            if (c == '"') {
                scan_string(sc, NULL);
                continue;
            }
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    sc->pos++;
                    return;
                }
            }
            sc->pos++;
        }
    } else {
        while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos])) sc->pos++;
    }
}

/* Next token of a JSON pointer at *p, unescaped into tok; false at the end. */
static bool next_token(const char **p, struct jade_buf *tok)
{
    if (**p != '/') return false;
    (*p)++;
    jade_buf_truncate(tok, 0);
    jade_buf_append(tok, "", 0);
    while (**p && **p != '/') {
        if (**p == '~' && ((*p)[1] == '0' || (*p)[1] == '1')) {
            jade_buf_append(tok, (*p)[1] == '0' ? "~" : "/", 1);
            *p += 2;
        } else {
            jade_buf_append(tok, *p, 1);
            (*p)++;
        }
    }
    return true;
}

/* Finds the member named key in the object at sc->pos; leaves sc->pos at the
 * member name (returned through key_pos) and returns the value's offset. */
static bool find_member(struct scan *sc, const char *key, size_t *key_pos)
{
    struct jade_buf name = {0};
    sc->pos++; /* '{' */
    bool found = false;
    for (;;) {
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != '"') break;
        *key_pos = sc->pos;
        jade_buf_truncate(&name, 0);
        jade_buf_append(&name, "", 0);
        scan_string(sc, &name);
        skip_ws(sc);
        sc->pos++; /* ':' */
        skip_ws(sc);
        if (strcmp(jade_buf_str(&name), key) == 0) {
            found = true;
            break;
        }
        skip_value(sc);
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') sc->pos++;
    }
    jade_buf_free(&name);
    return found;
}

static bool find_element(struct scan *sc, const char *index)
{
    char *end;
    long want = strtol(index, &end, 10);
    if (*end || want < 0) return false;
    sc->pos++; /* '[' */
    for (long i = 0;; i++) {
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] == ']') return false;
        if (i == want) return true;
        skip_value(sc);
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') sc->pos++;
    }
}

size_t jade_json_locate(const char *text, size_t len, const char *pointer, bool want_key)
{
    struct scan sc = {text, len, 0};
    struct jade_buf tok = {0};
    const char *p = pointer ? pointer : "";
    skip_ws(&sc);
    size_t best = sc.pos;
    while (next_token(&p, &tok)) {
        skip_ws(&sc);
        if (sc.pos >= len) break;
        size_t here = sc.pos, key_pos = 0;
        bool ok = false;
        if (text[here] == '{') {
            ok = find_member(&sc, jade_buf_str(&tok), &key_pos);
        } else if (text[here] == '[') {
            ok = find_element(&sc, jade_buf_str(&tok));
            key_pos = sc.pos;
        }
        if (!ok) {
            sc.pos = here;
            break;
        }
        skip_ws(&sc);
        best = (want_key && *p == '\0') ? key_pos : sc.pos;
    }
    jade_buf_free(&tok);
    return best;
}

void jade_json_pointer_push(struct jade_buf *ptr, const char *token)
{
    jade_buf_append(ptr, "/", 1);
    for (const char *c = token; *c; c++) {
        if (*c == '~')
            jade_buf_append(ptr, "~0", 2);
        else if (*c == '/')
            jade_buf_append(ptr, "~1", 2);
        else
            jade_buf_append(ptr, c, 1);
    }
}
