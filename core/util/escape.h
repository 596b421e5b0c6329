/* escape.h - text from content or from a network, made safe to show.
 *
 * A git tree can name a file with any byte but NUL and '/', a text or a
 * network's answer can hold any character: written raw to a terminal, an
 * escape sequence in a post's file name retitles the terminal or clears
 * it, a carriage return hides what came before it, a line end forges a
 * line of a CI log. Whatever jade shows people passes through one of these
 * where it is written out: the diagnostics, the tables, the messages and
 * logs (jade_print), JSON (jade_json_dump). */
#ifndef JADE_ESCAPE_H
#define JADE_ESCAPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct jade_buf;

/* What jade_escape leaves as it is, besides printable UTF-8. */
enum jade_escape_keep {
    JADE_KEEP_NOTHING, /* a file name, a field, a table cell: one line */
    JADE_KEEP_LINES,   /* a message, a text: line ends (\n, \r\n) and tabs */
    JADE_KEEP_CONTROLS /* only bytes that are not UTF-8 escaped: JSON escapes the rest */
};

/* Appends s[0..n) to b with what could steer a terminal written visibly:
 * C0 controls and DEL as \xNN (ESC is \x1b), C1 controls (U+0080 to
 * U+009F) as \u{NN}, and every byte that is not part of well-formed UTF-8
 * as \xNN. Printable UTF-8 (accents, Bambara's ɛ ɔ ŋ ɲ, Arabic) is kept.
 * Backslashes are kept too: this is for reading, not for reading back. */
void jade_escape(struct jade_buf *b, const char *s, size_t n, enum jade_escape_keep keep);

/* s escaped with JADE_KEEP_NOTHING, in a new string the caller frees. */
char *jade_escaped(const char *s);

/* printf for messages to people: formats, then writes the result through
 * jade_escape (JADE_KEEP_LINES). */
void jade_print(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON string of s (NULL: JSON null); bytes that are not UTF-8, which
 * jansson refuses, as \xNN. */
json_t *jade_json_text(const char *s);

/* json_dumpf with DEL and C1 controls written as \u escapes too (jansson
 * escapes only those below U+0020), so JSON on a terminal is as safe as
 * text. */
int jade_json_dump(const json_t *j, FILE *out, size_t flags);

#endif
