/* embedded.h - files built into the binary (see embed.py and meson.build). */
#ifndef JADE_EMBEDDED_H
#define JADE_EMBEDDED_H

#include <stddef.h>

struct jade_embedded {
    const char *name; /* path relative to the embedded folder */
    const char *data; /* NUL-terminated */
    size_t size;
};

/* The JSON schemas of schemas/, by file name. */
extern const struct jade_embedded jade_embedded_schemas[];
/* The example content tree of campaigns/ (jade demo). */
extern const struct jade_embedded jade_embedded_campaigns[];
/* The JSON Schema draft-07 meta-schema, which schemas may $ref. */
extern const struct jade_embedded jade_embedded_meta_schema[];

/* The entry named name, or NULL. */
const struct jade_embedded *jade_embedded_find(const struct jade_embedded *table, const char *name);

#endif
