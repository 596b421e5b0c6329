/* suggest.h - "did you mean" for misspelt field names and ids. */
#ifndef JADE_SUGGEST_H
#define JADE_SUGGEST_H

#include <stddef.h>

/* Edit distance (Damerau-Levenshtein, adjacent swaps count 1). */
size_t jade_edit_distance(const char *a, const char *b);

/* The candidate closest to word, or NULL when none is close enough to be a
 * likely typo. Candidates are NUL-terminated strings; the result points into
 * them. */
const char *jade_suggest(const char *word, const char *const *candidates, size_t n);

#endif
