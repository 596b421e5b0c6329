/* jsonutil.h - two small reads of jansson values that the rules, the
 * targeting and the planner all make. */
#ifndef JADE_JSONUTIL_H
#define JADE_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* The string member key of j, or NULL (missing, or not a string). */
static inline const char *jade_json_str(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

/* Whether the array list holds the string s. */
static inline bool jade_json_list_has(const json_t *list, const char *s)
{
    for (size_t i = 0; s && i < json_array_size(list); i++) {
        const char *item = json_string_value(json_array_get(list, i));
        if (item && strcmp(item, s) == 0) return true;
    }
    return false;
}

#endif
