/* schema.h - JSON Schema (draft-07) validation over jansson values.
 *
 * A schema document is compiled once (regexes compiled, $refs resolved) and
 * can then validate any number of instances, from any thread. Keywords the
 * validator does not know are refused at compile time, so a schema never
 * silently means less than it says. jade_schema_keywords lists what is
 * supported: it is the one place that list lives. */
#ifndef JADE_SCHEMA_H
#define JADE_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>

struct jade_buf;
struct jade_schema;

/* NULL-terminated list of the keywords the validator understands. */
extern const char *const jade_schema_keywords[];
/* NULL-terminated list of the values of "format" it checks. */
extern const char *const jade_schema_formats[];

/* Compiles doc (the caller keeps its own reference; the schema takes one
 * too). name is used in error messages. On failure returns NULL and writes
 * a message naming the JSON pointer of the offending keyword into err. */
struct jade_schema *jade_schema_compile(json_t *doc, const char *name, struct jade_buf *err);
void jade_schema_free(struct jade_schema *schema);

/* Called once per violation. pointer is the instance's JSON pointer; at_key
 * is true when the problem is the member's name (an unknown field) rather
 * than its value. The strings are valid only during the call. */
typedef void (*jade_schema_error_cb)(void *ctx, const char *pointer, bool at_key,
                                     const char *message);

/* True when instance is valid. Every violation is passed to cb (may be NULL). */
bool jade_schema_validate(const struct jade_schema *schema, const json_t *instance,
                          jade_schema_error_cb cb, void *ctx);

#endif
