/* embedded.c - look-up in the tables that embed.py generates. */
#include "embedded.h"

#include <string.h>

const struct jade_embedded *jade_embedded_find(const struct jade_embedded *table, const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0) return table;
    return NULL;
}
