/* utf8.h - UTF-8 checks shared by the loader and the schema validator. */
#ifndef JADE_UTF8_H
#define JADE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates).
 * On failure *bad_offset (if not NULL) is the offset of the first bad byte. */
bool jade_utf8_valid(const char *s, size_t n, size_t *bad_offset);

/* The length (1 to 4) of the well-formed UTF-8 character at s[0..n), its
 * code point in *code_point (if not NULL); 0 when s does not start with one. */
size_t jade_utf8_char(const char *s, size_t n, unsigned *code_point);

/* C0 controls, DEL and C1 controls (U+0080 to U+009F): what can steer a
 * terminal. */
static inline bool jade_is_control(unsigned cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Number of code points in a valid UTF-8 string of n bytes. */
size_t jade_utf8_length(const char *s, size_t n);

/* 1-based line and column (in code points) of byte offset off in s. */
void jade_utf8_line_col(const char *s, size_t n, size_t off, int *line, int *col);

/* A short, single-line excerpt of text from outside (a receiver's error
 * body) fit to store and show: control characters and invalid bytes
 * become spaces, runs of spaces one, and a text longer than out_size - 1
 * bytes is cut at a character and ends with "...". NULL gives "". */
void jade_excerpt(const char *text, char *out, size_t out_size);

#endif
