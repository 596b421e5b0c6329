/* jsonpos.h - where a JSON pointer's value (or member name) stands in a text.
 *
 * jansson keeps no positions, and most files are valid, so positions are
 * looked up only when a diagnostic needs one: the text is scanned again
 * along the pointer. The text must be valid JSON (it parsed already). */
#ifndef JADE_JSONPOS_H
#define JADE_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/* Byte offset of the value at pointer (or, with want_key, of the member
 * name that holds it). Where the pointer leads nowhere (a missing member),
 * the offset of the deepest value found on the way. */
size_t jade_json_locate(const char *text, size_t len, const char *pointer, bool want_key);

/* Appends one pointer token to a pointer, escaping '~' and '/'. */
struct jade_buf;
void jade_json_pointer_push(struct jade_buf *ptr, const char *token);

#endif
