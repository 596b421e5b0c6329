/* buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Used wherever text is assembled (messages, JSON pointers, output). The
 * buffer owns its memory; jade_buf_free releases it. Allocation failure
 * aborts: jade has no sensible way to carry on without memory. */
#ifndef JADE_BUF_H
#define JADE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct jade_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
};

void jade_buf_append(struct jade_buf *b, const char *s, size_t n);
void jade_buf_puts(struct jade_buf *b, const char *s);
void jade_buf_printf(struct jade_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void jade_buf_vprintf(struct jade_buf *b, const char *fmt, va_list ap);
void jade_buf_truncate(struct jade_buf *b, size_t len);
/* The contents, "" when empty; valid until the next append. */
const char *jade_buf_str(const struct jade_buf *b);
/* Hands the string to the caller (who frees it) and empties the buffer. */
char *jade_buf_steal(struct jade_buf *b);
void jade_buf_free(struct jade_buf *b);

/* Allocation helpers that abort on failure. */
void *jade_xmalloc(size_t n);
void *jade_xcalloc(size_t n, size_t size);
void *jade_xrealloc(void *p, size_t n);
char *jade_xstrdup(const char *s);
char *jade_xstrndup(const char *s, size_t n);
/* For qsort and bsearch over an array of strings: strcmp of the pointed-to ones. */
int jade_compare_text(const void *a, const void *b);
char *jade_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
