/* suggest.c - edit distance and closest-candidate lookup (see suggest.h). */
#include "suggest.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t jade_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 256 || m > 256) return (size_t)-1; /* not a typo; avoid big tables */
    size_t *d = jade_xcalloc((n + 1) * (m + 1), sizeof *d);
#define D(i, j) d[(i) * (m + 1) + (j)]
    for (size_t i = 0; i <= n; i++) D(i, 0) = i;
    for (size_t j = 0; j <= m; j++) D(0, j) = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            D(i, j) = min3(D(i - 1, j) + 1, D(i, j - 1) + 1, D(i - 1, j - 1) + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                D(i - 2, j - 2) + 1 < D(i, j))
                D(i, j) = D(i - 2, j - 2) + 1;
        }
    }
    size_t result = D(n, m);
#undef D
    free(d);
    return result;
}

const char *jade_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    /* Short words may differ by one letter; longer ones by two ("actif" for
     * "active"), or by a third of their letters, at most three. */
    size_t limit = len <= 3 ? 1 : len / 3 > 2 ? len / 3 : 2;
    if (limit > 3) limit = 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t dist = jade_edit_distance(word, candidates[i]);
        if (dist > 0 && dist < best_d) {
            best = candidates[i];
            best_d = dist;
        }
    }
    return best;
}
