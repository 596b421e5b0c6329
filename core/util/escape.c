/* escape.c - text made safe to show on a terminal (see escape.h). */
#include "escape.h"

#include "buf.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Whether the character cp, at s with left bytes from there, is left as it is. */
static bool kept(unsigned cp, const char *s, size_t left, enum jade_escape_keep keep)
{
    bool control = jade_is_control(cp);
    if (!control || keep == JADE_KEEP_CONTROLS) return true;
    if (keep != JADE_KEEP_LINES) return false;
    /* a carriage return only as part of a line end: alone it overwrites */
    return cp == '\n' || cp == '\t' || (cp == '\r' && left > 1 && s[1] == '\n');
}

void jade_escape(struct jade_buf *b, const char *s, size_t n, enum jade_escape_keep keep)
{
    size_t run = 0; /* start of the bytes kept, not yet appended */
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = jade_utf8_char(s + i, n - i, &cp);
        if (len && kept(cp, s + i, n - i, keep)) {
            i += len;
            continue;
        }
        jade_buf_append(b, s + run, i - run);
        if (!len)
            jade_buf_printf(b, "\\x%02x", (unsigned char)s[i]), len = 1;
        else if (cp < 0x80)
            jade_buf_printf(b, "\\x%02x", cp);
        else
            jade_buf_printf(b, "\\u{%x}", cp);
        i += len;
        run = i;
    }
    jade_buf_append(b, s + run, n - run);
}

char *jade_escaped(const char *s)
{
    struct jade_buf b = {0};
    jade_escape(&b, s, strlen(s), JADE_KEEP_NOTHING);
    return jade_buf_steal(&b);
}

void jade_print(FILE *out, const char *fmt, ...)
{
    struct jade_buf msg = {0}, shown = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    jade_escape(&shown, jade_buf_str(&msg), msg.len, JADE_KEEP_LINES);
    fwrite(jade_buf_str(&shown), 1, shown.len, out);
    jade_buf_free(&msg);
    jade_buf_free(&shown);
}

json_t *jade_json_text(const char *s)
{
    if (!s) return json_null();
    size_t n = strlen(s);
    if (jade_utf8_valid(s, n, NULL)) return json_stringn(s, n);
    struct jade_buf b = {0};
    jade_escape(&b, s, n, JADE_KEEP_CONTROLS);
    json_t *j = json_stringn(jade_buf_str(&b), b.len);
    jade_buf_free(&b);
    return j;
}

struct dump {
    FILE *out;
    bool lead; /* the last chunk ended with 0xC2, the lead byte of U+0080 to U+00BF */
};

/* Writes a chunk of jansson's (valid UTF-8) output, DEL and C1 escaped. */
static int dump_cb(const char *buffer, size_t size, void *data)
{
    struct dump *d = data;
    const unsigned char *s = (const unsigned char *)buffer;
    size_t run = 0;
    for (size_t i = 0; i < size; i++) {
        if (d->lead) {
            d->lead = false;
            if (s[i] <= 0x9F) {                   /* a C1 control */
                fprintf(d->out, "\\u%04X", s[i]); /* as jansson writes them */
                run = i + 1;
            } else {
                fputc(0xC2, d->out);
            }
            continue;
        }
        if (s[i] != 0x7F && s[i] != 0xC2) continue;
        fwrite(s + run, 1, i - run, d->out);
        if (s[i] == 0x7F)
            fputs("\\u007F", d->out);
        else
            d->lead = true;
        run = i + 1;
    }
    fwrite(s + run, 1, size - run, d->out);
    return 0;
}

int jade_json_dump(const json_t *j, FILE *out, size_t flags)
{
    struct dump d = {out, false};
    int rc = json_dump_callback(j, dump_cb, &d, flags);
    if (d.lead) fputc(0xC2, out);
    return rc;
}
