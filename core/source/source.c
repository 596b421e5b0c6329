/* source.c - dispatch to a source's operations (see source.h). */
#include "source.h"

#include <stdlib.h>
#include <string.h>

int jade_source_list(struct jade_source *src, const struct jade_source_entry **out, size_t *count,
                     struct jade_buf *err)
{
    return src->ops->list(src, out, count, err);
}

int jade_source_read(struct jade_source *src, const char *path, size_t max, char **data,
                     size_t *len, struct jade_buf *err)
{
    return src->ops->read(src, path, max, data, len, err);
}

int jade_source_size(struct jade_source *src, const char *path, uint64_t *size,
                     struct jade_buf *err)
{
    return src->ops->size(src, path, size, err);
}

void jade_source_free(struct jade_source *src)
{
    if (!src) return;
    char *prefix = src->display_prefix, *desc = src->description, *commit = src->commit;
    src->ops->free(src);
    free(prefix);
    free(desc);
    free(commit);
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct jade_source_entry *)a)->path,
                  ((const struct jade_source_entry *)b)->path);
}

void jade_source_sort_entries(struct jade_source_entry *entries, size_t count)
{
    if (count > 1) qsort(entries, count, sizeof *entries, compare_entries);
}
