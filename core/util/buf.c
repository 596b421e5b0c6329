/* buf.c - growable buffer and aborting allocators (see buf.h). */
#include "buf.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void)
{
    fputs(_("jade: out of memory\n"), stderr);
    abort();
}

void *jade_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory();
    return p;
}

void *jade_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory();
    return p;
}

void *jade_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) out_of_memory();
    return p;
}

char *jade_xstrdup(const char *s)
{
    return jade_xstrndup(s, strlen(s));
}

int jade_compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *jade_xstrndup(const char *s, size_t n)
{
    char *p = jade_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *jade_xasprintf(const char *fmt, ...)
{
    struct jade_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return jade_buf_steal(&b);
}

static void reserve(struct jade_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = jade_xrealloc(b->data, cap);
    b->cap = cap;
}

void jade_buf_append(struct jade_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void jade_buf_puts(struct jade_buf *b, const char *s)
{
    jade_buf_append(b, s, strlen(s));
}

void jade_buf_vprintf(struct jade_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void jade_buf_printf(struct jade_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void jade_buf_truncate(struct jade_buf *b, size_t len)
{
    if (len >= b->len) return;
    b->len = len;
    b->data[len] = '\0';
}

const char *jade_buf_str(const struct jade_buf *b)
{
    return b->data ? b->data : "";
}

char *jade_buf_steal(struct jade_buf *b)
{
    char *s = b->data ? b->data : jade_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void jade_buf_free(struct jade_buf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
