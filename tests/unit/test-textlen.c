/* test-textlen.c - texts counted as each network counts them: code points
 * (Telegram), UTF-16 units (Facebook), bytes, X's weighted length and
 * Mastodon's grapheme clusters, on the scripts the programme writes in. */
#include "test.h"

#include "content/textlen.h"
#include "jade-plugin.h"

#include <stdlib.h>

enum {
    CP = JADE_COUNT_CODEPOINTS,
    U16 = JADE_COUNT_UTF16,
    BYTES = JADE_COUNT_BYTES,
    X = JADE_COUNT_X_WEIGHTED,
    G = JADE_COUNT_GRAPHEMES
};

/* Checks one text in every way at once: code points, UTF-16, bytes, X,
 * graphemes (-1: not checked here). */
#define LENGTHS(text, cp, u16, bytes, x, g)                                                        \
    do {                                                                                           \
        const long long want_[] = {cp, u16, bytes, x, g};                                          \
        for (unsigned c_ = 0; c_ < 5; c_++) {                                                      \
            if (want_[c_] < 0) continue;                                                           \
            long long got_ = (long long)jade_text_length(text, c_);                                \
            if (got_ != want_[c_]) {                                                               \
                printf("#   %s:%d: \"%s\" counted as %s: %lld, expected %lld\n", __FILE__,         \
                       __LINE__, text, jade_text_count_unit(c_), got_, want_[c_]);                 \
                test_current_failed = 1;                                                           \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void plain_text(void)
{
    LENGTHS("", 0, 0, 0, 0, 0);
    LENGTHS("Bonjour", 7, 7, 7, 7, 7);
    LENGTHS("a\r\nb", 4, 4, 4, 4, 3); /* CR LF is one grapheme cluster */
    /* an invalid byte counts as one character (U+FFFD: 2 on X) */
    LENGTHS("a\xff"
            "b",
            3, 3, 3, 4, 3);
    CHECK_INT_EQ(jade_text_length(NULL, CP), 0);
}

static void combining_marks_and_normalisation(void)
{
    LENGTHS("caf\u00e9", 4, 4, 5, 4, 4);        /* é composed */
    LENGTHS("cafe\u0301", 5, 5, 6, 4, 4);       /* é decomposed: X counts it composed */
    LENGTHS("d\u0254\u0300nko", 6, 6, 8, 6, 5); /* Bambara ɔ̀: no composed form */
    LENGTHS("\u025b\u0300", 2, 2, 4, 2, 1);
    /* Hangul: jamo compose into one syllable under NFC, weighed 2 */
    LENGTHS("\u1112\u1161\u11ab", 3, 3, 9, 2, 1);
    LENGTHS("\ud55c", 1, 1, 3, 2, 1);
}

static void scripts(void)
{
    LENGTHS("\u07d2\u07de\u07cf", 3, 3, 6, 3, 3);                                 /* N'Ko */
    LENGTHS("\u0633\u0644\u0627\u0645", 4, 4, 8, 4, 4);                           /* Arabic */
    LENGTHS("\u0633\u064e\u0644\u0627\u0645", 5, 5, 10, 5, 4);                    /* with a fatha */
    LENGTHS("\u2d5c\u2d30\u2d4e\u2d30\u2d63\u2d49\u2d56\u2d5c", 8, 8, 24, 16, 8); /* Tifinagh */
    LENGTHS("\u65e5\u672c\u8a9e", 3, 3, 9, 6, 3);                                 /* CJK */
}

static void x_weights(void)
{
    LENGTHS("\u2014", 1, 1, 3, 1, 1); /* em dash: U+2010-U+201F weigh 1 */
    LENGTHS("\u2018\u2019\u201c\u201d", 4, 4, 12, 4, 4);
    LENGTHS("\u2032", 1, 1, 3, 1, 1);       /* prime: U+2032-U+2037 */
    LENGTHS("\u2026", 1, 1, 3, 2, 1);       /* ellipsis: outside those ranges */
    LENGTHS("\u20ac", 1, 1, 3, 2, 1);       /* euro */
    LENGTHS("\u2009", 1, 1, 3, 1, 1);       /* thin space: U+2000-U+200D */
    LENGTHS("\u10ff\u1100", 2, 2, 6, 3, 2); /* the edge of the light range */
}

static void emoji(void)
{
    LENGTHS("\U0001F600", 1, 2, 4, 2, 1);
    /* a family: four people joined by ZWJ, one emoji */
    LENGTHS("\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466", 7, 11, 25, 2, 1);
    LENGTHS("\U0001F1F2\U0001F1F1", 2, 4, 8, 2, 1);                      /* Mali's flag */
    LENGTHS("\U0001F1F2\U0001F1F1\U0001F1F8\U0001F1F3", 4, 8, 16, 4, 2); /* two flags */
    /* England: a black flag and tag characters, one emoji */
    LENGTHS("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", 7, 14, 28, 2,
            1);
    LENGTHS("\U0001F44B\U0001F3FE", 2, 4, 8, 2, 1);                  /* a skin tone */
    LENGTHS("\U0001F9D1\U0001F3FF\u200d\U0001F33E", 4, 7, 15, 2, 1); /* farmer, dark */
    LENGTHS("1\ufe0f\u20e3", 3, 3, 7, 2, 1);                         /* keycap */
    LENGTHS("\u2764\ufe0f", 2, 2, 6, 2, 1);                          /* red heart */
    LENGTHS("\u00a9", 1, 1, 2, 1, 1);                                /* a sign, text by default */
    LENGTHS("\u00a9\ufe0f", 2, 2, 5, 2, 1);                          /* ... made an emoji */
    LENGTHS("I\u00a0\u2764\ufe0f Bamako \U0001F1F2\U0001F1F1!", 15, 17, 26, 15, 13);
}

static void urls(void)
{
    LENGTHS("Voir https://example.com/a/b?c=d.", 33, 33, 33, 29, 29);
    LENGTHS("https://example.com, et https://exemple.org/x!", -1, -1, -1, 52, 52);
    LENGTHS("(https://fr.wikipedia.org/wiki/Mali_(pays))", -1, -1, -1, 25, 25);
    LENGTHS("(voir https://example.com)", -1, -1, -1, 30, 30);
    LENGTHS("https://example.com/a)))", -1, -1, -1, 26, 26);
    LENGTHS("https://example.com/(a)(", -1, -1, -1, 24, 24);
    LENGTHS("\u00abhttps://example.com\u00bb", -1, -1, -1, 25, 25);
    LENGTHS("\u00ab\u00a0https://example.com\u00a0\u00bb", -1, -1, -1, 27, 27);
    LENGTHS("Lien : https://jade.example.org/x\n", -1, -1, -1, 31, 31);
    LENGTHS("HTTPS://EXAMPLE.COM", -1, -1, -1, 23, 23);
    LENGTHS("http://example.com/?q=a&b=", -1, -1, -1, 23, 23);
    LENGTHS("https://example.com/"
            "une/adresse/bien/plus/longue/que/vingt/trois/caracteres",
            -1, -1, -1, 23, 23);
    LENGTHS("https://example.com/\u00e9t\u00e9.", -1, -1, -1, 24, 24);
    LENGTHS("https://", -1, -1, -1, 8, 8);               /* no host: no URL */
    LENGTHS("xhttps://example.com", -1, -1, -1, 20, 20); /* glued to a word */
    LENGTHS("a https://x.org b https://y.org", -1, -1, -1, 51, 51);
    /* Mastodon charges 23 for a URL with a scheme and counts the rest as
     * graphemes: an emoji after it is one */
    LENGTHS("Voir https://example.com \U0001F468\u200d\U0001F469\u200d\U0001F467", -1, -1, -1, 31,
            30);
}

static void bare_domains(void)
{
    /* X counts these as URLs; Mastodon, without a scheme, as text */
    LENGTHS("example.com", 11, 11, 11, 23, 11);
    LENGTHS("www.example.org/path", -1, -1, -1, 23, 20);
    LENGTHS("EXAMPLE.COM", -1, -1, -1, 23, 11);
    LENGTHS("Le site example.org, puis", -1, -1, -1, 37, 25);
    LENGTHS("example.com?", -1, -1, -1, 24, 12);
    LENGTHS("example.com:8080/x", -1, -1, -1, 23, 18);
    LENGTHS("mali.africa", -1, -1, -1, 23, 11);
    LENGTHS("fr.wikipedia.org", -1, -1, -1, 23, 16);
    /* a country's domain: with a subdomain or a path, not alone */
    LENGTHS("Allez sur bamako.ml.", -1, -1, -1, 20, 20);
    LENGTHS("www.bamako.ml.", -1, -1, -1, 24, 14);
    LENGTHS("bamako.ml/agenda", -1, -1, -1, 23, 16);
    LENGTHS("c'est fini.La suite", -1, -1, -1, 19, 19);
    /* not domains */
    LENGTHS("user@example.com", -1, -1, -1, 16, 16); /* an e-mail address */
    LENGTHS("example.comx", -1, -1, -1, 12, 12);
    LENGTHS("example.com\u00e9", -1, -1, -1, 12, 12);
    LENGTHS("v1.2 et 3.14", -1, -1, -1, 12, 12);
    LENGTHS("e.g. example.c", -1, -1, -1, 14, 14);
    LENGTHS("-example.com", -1, -1, -1, 12, 12);
    LENGTHS("example.social", -1, -1, -1, 14, 14); /* not in the short list */
}

static void mentions(void)
{
    /* Mastodon counts @user@domain as @user; X counts every character */
    LENGTHS("@alice@example.social salut", -1, -1, -1, 27, 12);
    LENGTHS("@alice salut", -1, -1, -1, 12, 12);
    LENGTHS("@bob@mastodon.example.org.", -1, -1, -1, 26, 5);
    LENGTHS("a@b.org", -1, -1, -1, 7, 7);               /* an address, not a mention */
    LENGTHS("@alice.@example.org", -1, -1, -1, 19, 19); /* the name ends on a letter */
    LENGTHS("@a_b-c@x.y z", -1, -1, -1, 12, 8);
    LENGTHS("@alice@", -1, -1, -1, 7, 7);
}

static void long_texts(void)
{
    enum { N = 5000 };
    char *text = malloc(2 * N + 1);
    for (size_t i = 0; i < N; i++) text[2 * i] = (char)0xc3, text[2 * i + 1] = (char)0xa9;
    text[2 * N] = '\0';
    LENGTHS(text, N, N, 2 * N, N, N);
    free(text);
}

static void units(void)
{
    CHECK_STR_EQ(jade_text_count_unit(CP), "characters");
    CHECK_STR_EQ(jade_text_count_unit(U16), "UTF-16 units");
    CHECK_STR_EQ(jade_text_count_unit(BYTES), "bytes");
    CHECK_STR_EQ(jade_text_count_unit(X), "weighted characters");
    CHECK_STR_EQ(jade_text_count_unit(G), "graphemes");
}

int main(void)
{
    RUN(plain_text);
    RUN(combining_marks_and_normalisation);
    RUN(scripts);
    RUN(x_weights);
    RUN(emoji);
    RUN(urls);
    RUN(bare_domains);
    RUN(mentions);
    RUN(long_texts);
    RUN(units);
    return test_done();
}
