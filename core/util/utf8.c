/* utf8.c - UTF-8 validation and position helpers (see utf8.h). */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t jade_utf8_char(const char *str, size_t n, unsigned *code_point)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0) return 0;
    unsigned char c = s[0];
    size_t need;
    unsigned min, cp;
    if (c < 0x80) {
        need = 0, min = 0, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || (s[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (code_point) *code_point = cp;
    return need + 1;
}

bool jade_utf8_valid(const char *s, size_t n, size_t *bad_offset)
{
    for (size_t i = 0; i < n;) {
        size_t len = jade_utf8_char(s + i, n - i, NULL);
        if (!len) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += len;
    }
    return true;
}

size_t jade_utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

void jade_utf8_line_col(const char *s, size_t n, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < n; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Bytes of the well-formed, printable character at s (n bytes left), or 0
 * for a control character or an invalid sequence. */
static size_t printable_char(const unsigned char *s, size_t n)
{
    unsigned cp;
    size_t len = jade_utf8_char((const char *)s, n, &cp);
    return len && !jade_is_control(cp) ? len : 0;
}

void jade_excerpt(const char *text, char *out, size_t out_size)
{
    static const char more[] = "...";
    if (!out_size) return;
    out[0] = '\0';
    if (!text || out_size < sizeof more + 1) return;
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), at = 0, room = out_size - 1;
    /* The whole text cleaned first (never longer), then cut if need be. */
    char *clean = malloc(n + 1);
    if (!clean) return;
    for (size_t i = 0; i < n;) {
        size_t len = printable_char(s + i, n - i);
        if (len == 0 || s[i] == ' ') {
            if (at > 0 && clean[at - 1] != ' ') clean[at++] = ' ';
            i += len ? len : 1;
        } else {
            memcpy(clean + at, s + i, len);
            at += len;
            i += len;
        }
    }
    while (at > 0 && clean[at - 1] == ' ') at--;
    if (at > room) { /* cut at a character's start, before the "..." */
        at = room - (sizeof more - 1);
        while (at > 0 && ((unsigned char)clean[at] & 0xc0) == 0x80) at--;
        while (at > 0 && clean[at - 1] == ' ') at--;
        memcpy(clean + at, more, sizeof more - 1);
        at += sizeof more - 1;
    }
    memcpy(out, clean, at);
    out[at] = '\0';
    free(clean);
}
