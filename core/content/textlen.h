/* textlen.h - a text's length as each network counts it.
 *
 * The ways of counting a plugin declares (enum jade_text_count in
 * jade-plugin.h), for `jade validate` to check every text against the
 * limits of every channel that will publish it. Unicode normalisation,
 * grapheme clusters and the emoji property come from utf8proc; the rules
 * for URLs and mentions are the networks' own, written down in
 * textlen.c. */
#ifndef JADE_TEXTLEN_H
#define JADE_TEXTLEN_H

#include <stddef.h>
#include <stdint.h>

/* What a network charges for each URL in a text (X, Mastodon). */
#define JADE_TEXT_URL_LENGTH 23

/* The length of a NUL-terminated UTF-8 text as counting (an enum
 * jade_text_count value) says. An invalid byte counts as one character;
 * an unknown way of counting counts code points. */
size_t jade_text_length(const char *text, uint32_t counting);

/* The unit of that length, for people: "characters", "UTF-16 units"... */
const char *jade_text_count_unit(uint32_t counting);

#endif
