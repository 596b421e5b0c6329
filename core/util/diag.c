/* diag.c - collecting, sorting and printing diagnostics (see diag.h). */
#include "diag.h"

#include "buf.h"
#include "escape.h"
#include "i18n.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void jade_diags_add(struct jade_diags *d, enum jade_severity sev, const char *file, int line,
                    int col, const char *pointer, const char *fmt, ...)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = jade_xrealloc(d->items, d->cap * sizeof *d->items);
    }
    struct jade_diag *item = &d->items[d->count++];
    struct jade_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    jade_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    item->severity = sev;
    item->file = jade_xstrdup(file ? file : "");
    item->line = line;
    item->col = col;
    item->pointer = pointer ? jade_xstrdup(pointer) : NULL;
    item->message = jade_buf_steal(&msg);
    if (sev == JADE_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void jade_diags_move(struct jade_diags *dst, struct jade_diags *src)
{
    for (size_t i = 0; i < src->count; i++) {
        if (dst->count == dst->cap) {
            dst->cap = dst->cap ? dst->cap * 2 : 16;
            dst->items = jade_xrealloc(dst->items, dst->cap * sizeof *dst->items);
        }
        dst->items[dst->count++] = src->items[i];
    }
    dst->errors += src->errors;
    dst->warnings += src->warnings;
    free(src->items);
    memset(src, 0, sizeof *src);
}

static int compare_diags(const void *pa, const void *pb)
{
    const struct jade_diag *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c) return c;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return strcmp(a->message, b->message);
}

void jade_diags_sort(struct jade_diags *d)
{
    if (d->count > 1) qsort(d->items, d->count, sizeof *d->items, compare_diags);
}

static const char *severity_name(enum jade_severity sev)
{
    return sev == JADE_ERROR ? _("error") : _("warning");
}

/* File names and messages quote content, which may hold any byte: each
 * diagnostic is one line, with nothing that could steer a terminal. */
void jade_diags_print_text(FILE *out, const struct jade_diags *d)
{
    struct jade_buf line = {0};
    for (size_t i = 0; i < d->count; i++) {
        const struct jade_diag *it = &d->items[i];
        jade_buf_truncate(&line, 0);
        jade_escape(&line, it->file, strlen(it->file), JADE_KEEP_NOTHING);
        if (it->line > 0) jade_buf_printf(&line, ":%d:%d", it->line, it->col);
        jade_buf_printf(&line, ": %s: ", severity_name(it->severity));
        jade_escape(&line, it->message, strlen(it->message), JADE_KEEP_NOTHING);
        if (it->pointer && *it->pointer) {
            jade_buf_puts(&line, " [");
            jade_escape(&line, it->pointer, strlen(it->pointer), JADE_KEEP_NOTHING);
            jade_buf_puts(&line, "]");
        }
        jade_buf_puts(&line, "\n");
        fputs(jade_buf_str(&line), out);
    }
    jade_buf_free(&line);
}

void jade_diags_print_json(FILE *out, const struct jade_diags *d)
{
    json_t *list = json_array();
    for (size_t i = 0; i < d->count; i++) {
        const struct jade_diag *it = &d->items[i];
        json_t *o = json_pack("{s:o, s:s, s:o}", "file", jade_json_text(it->file), "severity",
                              it->severity == JADE_ERROR ? "error" : "warning", "message",
                              jade_json_text(it->message));
        if (it->line > 0) {
            json_object_set_new(o, "line", json_integer(it->line));
            json_object_set_new(o, "column", json_integer(it->col));
        }
        if (it->pointer) json_object_set_new(o, "pointer", jade_json_text(it->pointer));
        json_array_append_new(list, o);
    }
    json_t *root = json_pack("{s:o, s:I, s:I}", "diagnostics", list, "errors",
                             (json_int_t)d->errors, "warnings", (json_int_t)d->warnings);
    jade_json_dump(root, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(root);
}

void jade_diags_free(struct jade_diags *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].pointer);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}
