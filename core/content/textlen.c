/* textlen.c - a text's length as each network counts it (see textlen.h).
 *
 * Code points, UTF-16 units and bytes need only the UTF-8 itself. X and
 * Mastodon count by grapheme cluster (what a reader sees as one
 * character) and charge a fixed 23 for each URL, so both walk the text
 * one cluster at a time, asking first whether a URL (or, on Mastodon, a
 * remote mention) starts there.
 *
 * How a URL is recognised, a modest version of what the networks do:
 * - with a scheme: "http://" or "https://" (any case), not glued to a
 *   letter or digit before it, then a host;
 * - X only, a bare domain: labels of ASCII letters, digits and hyphens
 *   joined by dots, not glued to a letter, digit, "@", ".", "-", "_" or
 *   "/" before it (an e-mail address is not a URL), ending in a top-level
 *   domain that is either one of a short list of common generic ones
 *   (generic_tlds below) or any two letters (a country's). Like X, a
 *   country's domain with a single label before it (bamako.ml, fini.La)
 *   counts as a URL only with a path after it (bamako.ml/agenda); with a
 *   subdomain (www.bamako.ml) it always does. Internationalised domains
 *   written in another script are not recognised.
 * - a URL runs up to a space, a control character, "<", ">", '"' or a
 *   quotation mark, then gives back what ends the sentence rather than
 *   the URL: it ends on a letter, a digit, or one of = _ # / + -, or on
 *   a ")" that closes a "(" inside it. */
#include "textlen.h"

#include "../jade-plugin.h"
#include "../util/buf.h"
#include "../util/i18n.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- code points ---------------------------------------------------------- */

/* The text as code points (an invalid byte becomes U+FFFD); *n their
 * number. Never NULL. */
static int32_t *decode(const char *text, size_t len, size_t *n)
{
    int32_t *cp = jade_xmalloc((len + 1) * sizeof *cp);
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (step <= 0) c = 0xFFFD, step = 1;
        cp[count++] = c;
        i += (size_t)step;
    }
    *n = count;
    return cp;
}

/* X counts the text in normalisation form C: a letter and its accent
 * typed apart count as the one character they compose. */
static int32_t *decode_nfc(const char *text, size_t *n)
{
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t len = utf8proc_map((const utf8proc_uint8_t *)text, 0, &nfc,
                                        UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (len < 0) return decode(text, strlen(text), n); /* invalid UTF-8: as it is */
    int32_t *cp = decode((const char *)nfc, (size_t)len, n);
    free(nfc);
    return cp;
}

static int category(int32_t c)
{
    return utf8proc_category(c);
}

static bool ascii_alnum(int32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_letter(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A letter, mark, digit or "_", in any script: what \w means in Unicode. */
static bool word_char(int32_t c)
{
    int k = category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_NO) || k == UTF8PROC_CATEGORY_PC;
}

static bool space_or_control(int32_t c)
{
    int k = category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP ||
           k == UTF8PROC_CATEGORY_CC || c == 0x200B; /* zero width space */
}

/* True when c is one of the ASCII characters of set. */
static bool ascii_in(int32_t c, const char *set)
{
    return c > 0 && c < 0x80 && strchr(set, (int)c);
}

static int32_t lower(int32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* True when cp[i..] starts with the ASCII word w, in any case. */
static bool starts_with(const int32_t *cp, size_t n, size_t i, const char *w)
{
    for (; *w; w++, i++)
        if (i >= n || lower(cp[i]) != *w) return false;
    return true;
}

/* ---- URLs ----------------------------------------------------------------- */

/* Generic top-level domains recognised without a scheme; any two letters
 * are a country's. A short list on purpose: a word after a dot that
 * happens to be a rare TLD is more often a typo than a link. */
static const char *const generic_tlds[] = {
    "com",  "org",  "net",   "info",  "edu",    "gov",  "int",  "mil",  "biz",
    "app",  "dev",  "io",    "xyz",   "online", "site", "news", "blog", "africa",
    "tech", "shop", "store", "media", "art",    "mobi", "name", "pro",  NULL};

static bool in_url(int32_t c)
{
    int k = category(c);
    return !space_or_control(c) && c != '<' && c != '>' && c != '"' && k != UTF8PROC_CATEGORY_PI &&
           k != UTF8PROC_CATEGORY_PF;
}

/* A character a URL may end with; what else ends it belongs to the
 * sentence (a full stop, a comma, a closing quote). */
static bool ends_url(int32_t c)
{
    if (c < 0x80) return ascii_alnum(c) || ascii_in(c, "=_#/+-");
    return word_char(c);
}

/* The end of a URL whose body starts at from (start: where the URL does):
 * up to a space, then back to a character a URL ends with. Never below
 * from. */
static size_t url_end(const int32_t *cp, size_t n, size_t start, size_t from)
{
    size_t end = from, open = 0, close = 0;
    while (end < n && in_url(cp[end])) end++;
    for (size_t k = start; k < end; k++) open += cp[k] == '(', close += cp[k] == ')';
    while (end > from && !ends_url(cp[end - 1])) {
        if (cp[end - 1] == ')' && open >= close) break; /* it closes a "(" of the URL */
        open -= cp[end - 1] == '(';
        close -= cp[end - 1] == ')';
        end--;
    }
    return end;
}

/* A URL with a scheme starting at i: its end, or 0. */
static size_t scheme_url_at(const int32_t *cp, size_t n, size_t i)
{
    if (i > 0 && word_char(cp[i - 1])) return 0;
    size_t body;
    if (starts_with(cp, n, i, "https://"))
        body = i + 8;
    else if (starts_with(cp, n, i, "http://"))
        body = i + 7;
    else
        return 0;
    if (body >= n || !(ascii_alnum(cp[body]) || (cp[body] >= 0x80 && word_char(cp[body]))))
        return 0; /* no host */
    return url_end(cp, n, i, body);
}

static bool known_tld(const int32_t *cp, size_t from, size_t to)
{
    for (size_t t = 0; generic_tlds[t]; t++) {
        size_t len = strlen(generic_tlds[t]);
        if (len == to - from && starts_with(cp, to, from, generic_tlds[t])) return true;
    }
    return false;
}

/* A bare domain starting at i (example.com, www.example.org/path): its
 * end, or 0. */
static size_t bare_url_at(const int32_t *cp, size_t n, size_t i)
{
    if (i > 0 && (word_char(cp[i - 1]) || ascii_in(cp[i - 1], "@.-_/"))) return 0;
    size_t j = i, labels = 0, last = i;
    for (;;) {
        size_t start = j;
        while (j < n && (ascii_alnum(cp[j]) || cp[j] == '-')) j++;
        if (j == start || j - start > 63 || cp[start] == '-' || cp[j - 1] == '-') return 0;
        labels++;
        last = start;
        if (j + 1 < n && cp[j] == '.' && ascii_alnum(cp[j + 1]))
            j++;
        else
            break;
    }
    if (labels < 2 || (j < n && (word_char(cp[j]) || cp[j] == '@'))) return 0;
    for (size_t k = last; k < j; k++)
        if (!ascii_letter(cp[k])) return 0;
    bool path = j < n && (cp[j] == '/' ||
                          ((cp[j] == ':' && j + 1 < n && cp[j + 1] >= '0' && cp[j + 1] <= '9')));
    bool country = j - last == 2;
    if (!(known_tld(cp, last, j) || (country && (labels > 2 || path)))) return 0;
    if (j < n && (path || cp[j] == '?' || cp[j] == '#')) return url_end(cp, n, i, j);
    return j;
}

/* ---- mentions (Mastodon) ---------------------------------------------------- */

static bool in_username(int32_t c)
{
    return ascii_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* A mention of another instance's account, @user@domain, at i: its end,
 * with *counted set to what Mastodon counts of it (@user); or 0. */
static size_t remote_mention_at(const int32_t *cp, size_t n, size_t i, size_t *counted)
{
    if (cp[i] != '@' || (i > 0 && (word_char(cp[i - 1]) || cp[i - 1] == '=' || cp[i - 1] == '/')))
        return 0;
    size_t u = i + 1, end = u;
    if (end >= n || !(ascii_alnum(cp[end]) || cp[end] == '_')) return 0;
    while (end < n && in_username(cp[end])) end++;
    while (cp[end - 1] == '.' || cp[end - 1] == '-') end--; /* the name ends on [a-z0-9_] */
    if (end >= n || cp[end] != '@') return 0;
    size_t domain = end + 1, stop = domain;
    while (stop < n && (word_char(cp[stop]) || cp[stop] == '.' || cp[stop] == '-')) stop++;
    while (stop > domain && !word_char(cp[stop - 1])) stop--;
    if (stop - domain < 2) return 0;
    *counted = end - i;
    return stop;
}

/* ---- clusters ------------------------------------------------------------- */

static size_t cluster_end(const int32_t *cp, size_t n, size_t i)
{
    utf8proc_int32_t state = 0;
    size_t j = i + 1;
    while (j < n && !utf8proc_grapheme_break_stateful(cp[j - 1], cp[j], &state)) j++;
    return j;
}

/* X's weight of one code point (twitter-text's configuration v3). */
static size_t x_weight(int32_t c)
{
    bool light = c <= 0x10FF || (c >= 0x2000 && c <= 0x200D) || (c >= 0x2010 && c <= 0x201F) ||
                 (c >= 0x2032 && c <= 0x2037);
    return light ? 1 : 2;
}

/* An emoji, as X sees one: a cluster holding a flag's regional
 * indicators, a keycap, or a pictograph that is either an emoji by
 * default (above U+10FF) or asked to be one with U+FE0F. "©" alone is a
 * letter-like sign; "©️" is an emoji. */
static bool is_emoji(const int32_t *cp, size_t n)
{
    bool pictograph = false, selector = false;
    for (size_t k = 0; k < n; k++) {
        int b = utf8proc_get_property(cp[k])->boundclass;
        if (b == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR || cp[k] == 0x20E3) return true;
        if (b == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC) {
            if (cp[k] > 0x10FF) return true;
            pictograph = true; /* text by default */
        }
        selector |= cp[k] == 0xFE0F;
    }
    return pictograph && selector;
}

static size_t x_cluster(const int32_t *cp, size_t n)
{
    if (is_emoji(cp, n)) return 2;
    size_t sum = 0;
    for (size_t k = 0; k < n; k++) sum += x_weight(cp[k]);
    return sum;
}

/* X and Mastodon: cluster by cluster, a URL 23. */
static size_t count_clusters(const int32_t *cp, size_t n, uint32_t counting)
{
    bool x = counting == JADE_COUNT_X_WEIGHTED;
    size_t total = 0;
    for (size_t i = 0; i < n;) {
        size_t end = scheme_url_at(cp, n, i), counted = 0;
        if (!end && x) end = bare_url_at(cp, n, i);
        if (end) {
            total += JADE_TEXT_URL_LENGTH;
        } else if (!x && (end = remote_mention_at(cp, n, i, &counted))) {
            total += counted;
        } else {
            end = cluster_end(cp, n, i);
            total += x ? x_cluster(cp + i, end - i) : 1;
        }
        i = end;
    }
    return total;
}

size_t jade_text_length(const char *text, uint32_t counting)
{
    if (!text) return 0;
    size_t len = strlen(text), n, total = 0;
    if (counting == JADE_COUNT_BYTES) return len;
    int32_t *cp = counting == JADE_COUNT_X_WEIGHTED ? decode_nfc(text, &n) : decode(text, len, &n);
    switch (counting) {
    case JADE_COUNT_UTF16:
        for (size_t i = 0; i < n; i++) total += cp[i] > 0xFFFF ? 2 : 1;
        break;
    case JADE_COUNT_X_WEIGHTED:
    case JADE_COUNT_GRAPHEMES:
        total = count_clusters(cp, n, counting);
        break;
    default:
        total = n;
    }
    free(cp);
    return total;
}

const char *jade_text_count_unit(uint32_t counting)
{
    switch (counting) {
    case JADE_COUNT_UTF16:
        return _("UTF-16 units");
    case JADE_COUNT_BYTES:
        return _("bytes");
    case JADE_COUNT_X_WEIGHTED:
        return _("weighted characters");
    case JADE_COUNT_GRAPHEMES:
        return _("graphemes");
    default:
        return _("characters");
    }
}
