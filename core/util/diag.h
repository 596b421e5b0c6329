/* diag.h - diagnostics: what is wrong, in which file, where, and in which field.
 *
 * Every check in jade reports through a jade_diags list, so that one run
 * reports every problem, sorted, as text (`FILE:LINE:COL: error: MESSAGE`)
 * or as JSON. Lines and columns are 1-based; columns count code points. */
#ifndef JADE_DIAG_H
#define JADE_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum jade_severity { JADE_ERROR, JADE_WARNING };

struct jade_diag {
    enum jade_severity severity;
    char *file;    /* path as shown to people */
    int line, col; /* 0 when the problem concerns the file as a whole */
    char *pointer; /* JSON pointer of the field, or NULL */
    char *message;
};

struct jade_diags {
    struct jade_diag *items;
    size_t count, cap;
    size_t errors, warnings;
};

void jade_diags_add(struct jade_diags *d, enum jade_severity sev, const char *file, int line,
                    int col, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Moves every item of src to the end of dst and empties src. */
void jade_diags_move(struct jade_diags *dst, struct jade_diags *src);
/* Sorts by file, line, column, then message, so output is stable. */
void jade_diags_sort(struct jade_diags *d);
void jade_diags_print_text(FILE *out, const struct jade_diags *d);
void jade_diags_print_json(FILE *out, const struct jade_diags *d);
void jade_diags_free(struct jade_diags *d);

#endif
