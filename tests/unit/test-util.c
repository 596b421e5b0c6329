/* test-util.c - UTF-8, positions, suggestions, times, secrets, languages. */
#include "test.h"

#include "content/content.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/file.h"
#include "util/jsonpos.h"
#include "util/parallel.h"
#include "util/suggest.h"
#include "util/timeparse.h"
#include "util/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void utf8_accepts_and_rejects(void)
{
    size_t bad = 0;
    CHECK(jade_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, NULL));
    CHECK(!jade_utf8_valid("ab\xff", 3, &bad));
    CHECK_INT_EQ(bad, 2);
    CHECK(!jade_utf8_valid("\xc0\xaf", 2, NULL));     /* overlong '/' */
    CHECK(!jade_utf8_valid("\xc3(", 2, NULL));        /* a lead byte, then no continuation */
    CHECK(!jade_utf8_valid("\xed\xa0\x80", 3, NULL)); /* a surrogate */
    CHECK(!jade_utf8_valid("x\xe2\x82", 3, &bad));    /* truncated */
    CHECK_INT_EQ(bad, 1);
    CHECK_INT_EQ(jade_utf8_length("\xc3\xa9t\xc3\xa9", 5), 3);
}

static void line_col_counts_code_points(void)
{
    int line, col;
    const char *s = "{\n  \"\xc3\xa9\": 1}";
    jade_utf8_line_col(s, strlen(s), 10, &line, &col); /* at '1' */
    CHECK_INT_EQ(line, 2);
    CHECK_INT_EQ(col, 8);
}

static void locate_values_keys_and_elements(void)
{
    const char *t = "{\n  \"a\": {\"b\": [10, {\"c~/\": true}]},\n  \"x\\u00e9\": 2\n}";
    size_t n = strlen(t);
    CHECK_INT_EQ(jade_json_locate(t, n, "/a/b/1", false), (size_t)(strstr(t, "{\"c~") - t));
    CHECK_INT_EQ(jade_json_locate(t, n, "/a/b/1/c~0~1", false), (size_t)(strstr(t, "true") - t));
    CHECK_INT_EQ(jade_json_locate(t, n, "/a/b/1/c~0~1", true), (size_t)(strstr(t, "\"c~") - t));
    CHECK_INT_EQ(jade_json_locate(t, n, "/x\xc3\xa9", false), (size_t)(strstr(t, "2") - t));
    /* a missing member: the deepest value found on the way */
    CHECK_INT_EQ(jade_json_locate(t, n, "/a/missing", false), (size_t)(strstr(t, "{\"b\"") - t));
    CHECK_INT_EQ(jade_json_locate(t, n, "", false), 0);
}

static void suggestions_are_close_or_nothing(void)
{
    const char *names[] = {"kayes", "mopti", "gao", "bamako"};
    CHECK_STR_EQ(jade_suggest("kaye", names, 4), "kayes");
    CHECK_STR_EQ(jade_suggest("motpi", names, 4), "mopti"); /* a swap counts once */
    CHECK(jade_suggest("tombouctou", names, 4) == NULL);
    CHECK(jade_suggest("gao", names, 4) == NULL); /* the same word is no suggestion */
    CHECK_INT_EQ(jade_edit_distance("kitten", "sitting"), 3);
}

static void content_times(void)
{
    struct jade_time t;
    CHECK_INT_EQ(jade_time_parse_content("2026-12-01T09:00", &t), 0);
    CHECK(!t.has_offset);
    CHECK_INT_EQ(t.hour, 9);
    CHECK_INT_EQ(jade_time_parse_content("2026-12-01T09:00:30+01:00", &t), 0);
    CHECK(t.has_offset);
    CHECK_INT_EQ(t.offset_minutes, 60);
    CHECK_INT_EQ(jade_time_parse_content("2026-02-29T09:00", &t), -1); /* not a leap year */
    CHECK_INT_EQ(jade_time_parse_content("2028-02-29T09:00", &t), 0);
    CHECK_INT_EQ(jade_time_parse_content("2026-12-01 09:00", &t), -1);
    CHECK_INT_EQ(jade_time_parse_content("2026-12-01T24:00", &t), -1);
    CHECK_INT_EQ(jade_time_parse_rfc3339("2026-12-01T09:00Z", &t), -1); /* seconds required */
}

static void zone_conversion_follows_dst(void)
{
    struct jade_time t;
    int64_t when;
    jade_time_parse_content("2026-07-01T09:00", &t);
    CHECK_INT_EQ(jade_time_to_unix(&t, "Europe/Paris", &when), 0);
    CHECK_INT_EQ(when, 1782889200); /* 2026-07-01T07:00Z: summer, UTC+2 */
    jade_time_parse_content("2026-12-01T09:00", &t);
    CHECK_INT_EQ(jade_time_to_unix(&t, "Europe/Paris", &when), 0);
    CHECK_INT_EQ(when, 1796112000); /* 2026-12-01T08:00Z: winter, UTC+1 */
    CHECK_INT_EQ(jade_time_to_unix(&t, "Africa/Bamako", &when), 0);
    CHECK_INT_EQ(when, 1796115600); /* 09:00Z: UTC all year */
    CHECK(jade_tz_exists("Africa/Bamako"));
    CHECK(!jade_tz_exists("Africa/Mopti"));
}

static void secrets_are_found(void)
{
    struct jade_secret_scanner *s = jade_secret_scanner_new();
    size_t off, len;
    const char *what;
    const char *tg = "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 here";
    CHECK(jade_secret_find(s, tg, strlen(tg), &off, &len, &what));
    CHECK_INT_EQ(off, 6);
    CHECK_CONTAINS(what, "Telegram");
    const char *fb = "EAACEdEose0cBAJZCZBZBZCq7ZB3yZCZBZAyZB0bZC";
    CHECK(jade_secret_find(s, fb, strlen(fb), &off, &len, &what));
    CHECK_CONTAINS(what, "Facebook");
    const char *hex = "secret=0123456789abcdef0123456789abcdef";
    CHECK(jade_secret_find(s, hex, strlen(hex), &off, &len, &what));
    const char *b64 = "k3Jd9sKq0ZpL2mVx8RtY4nBw7HcE1fGu6aQiOyTe5";
    CHECK(jade_secret_find(s, b64, strlen(b64), &off, &len, &what));
    /* not secrets: prose, slugs, a commit hash inside a URL path */
    const char *prose = "Avant de partager un message qui accuse une communaute, verifions.";
    CHECK(!jade_secret_find(s, prose, strlen(prose), &off, &len, &what));
    const char *slug = "https://example.org/rumeur-sur-le-puits-de-kayes-verification-2026-12";
    CHECK(!jade_secret_find(s, slug, strlen(slug), &off, &len, &what));
    const char *commit = "https://example.org/c/0123456789abcdef0123456789abcdef01234567";
    CHECK(!jade_secret_find(s, commit, strlen(commit), &off, &len, &what));
    jade_secret_scanner_free(s);
}

static void languages_and_networks(void)
{
    CHECK(jade_language_known("fr"));
    CHECK(jade_language_known("bm"));
    CHECK(jade_language_known("fr-ML"));
    CHECK(!jade_language_known("xx"));
    CHECK(!jade_language_known(""));
    CHECK(jade_network_known("telegram"));
    CHECK(!jade_network_known("myspace"));
}

static void parallel_zalloc_zeroes_every_byte(void)
{
    const size_t sizes[] = {0, 1, 4095, 4096, 4097, 64 * 4096 + 17, (1 << 22) + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        unsigned char *dirty = jade_xmalloc(n + 1); /* what malloc may hand out again */
        memset(dirty, 0xab, n + 1);
        free(dirty);
        unsigned char *p = jade_parallel_zalloc(n);
        size_t nonzero = 0;
        for (size_t k = 0; k < n; k++) nonzero += p[k] != 0;
        CHECK_INT_EQ(nonzero, 0);
        free(p);
    }
}

/* A file written durably is there whole, replacing what was; into a
 * folder that does not exist, it fails with the system's cause and leaves
 * no temporary file. */
static void files_are_written_whole(void)
{
    char dir[] = "/tmp/jade-test-util-XXXXXX";
    if (!mkdtemp(dir)) return;
    char *path = jade_xasprintf("%s/f", dir), *tmp = jade_xasprintf("%s/f.tmp", dir);
    CHECK_INT_EQ(jade_write_file_durably(path, "first", 5), 0);
    CHECK_INT_EQ(jade_write_file_durably(path, "second", 6), 0);
    char got[16] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        CHECK_INT_EQ(fread(got, 1, sizeof got - 1, f), 6);
        fclose(f);
    }
    CHECK_STR_EQ(got, "second");
    CHECK_INT_EQ(access(tmp, F_OK), -1);
    char *nowhere = jade_xasprintf("%s/none/f", dir);
    errno = 0;
    CHECK_INT_EQ(jade_write_file_durably(nowhere, "x", 1), -1);
    CHECK_INT_EQ(errno, ENOENT);
    unlink(path);
    rmdir(dir);
    free(path);
    free(tmp);
    free(nowhere);
}

/* s[0..n) escaped with keep, in a static buffer, for comparison. */
static const char *escaped(const char *s, size_t n, enum jade_escape_keep keep)
{
    static struct jade_buf b;
    jade_buf_free(&b);
    jade_escape(&b, s, n, keep);
    return jade_buf_str(&b);
}
#define ESCAPED(lit, keep) escaped(lit, sizeof lit - 1, keep)

static void escape_shows_controls_and_keeps_text(void)
{
    /* what steers a terminal: a title, a clear, a carriage return, DEL, a C1 CSI */
    CHECK_STR_EQ(ESCAPED("\x1b]0;pwned\x07.json", JADE_KEEP_NOTHING), "\\x1b]0;pwned\\x07.json");
    CHECK_STR_EQ(ESCAPED("a\x1b[2Jb", JADE_KEEP_NOTHING), "a\\x1b[2Jb");
    CHECK_STR_EQ(ESCAPED("ok\rfake", JADE_KEEP_LINES), "ok\\x0dfake");
    CHECK_STR_EQ(ESCAPED("x\x7fy", JADE_KEEP_LINES), "x\\x7fy");
    CHECK_STR_EQ(ESCAPED("\xc2\x9b"
                         "31m \xc2\x85",
                         JADE_KEEP_LINES),
                 "\\u{9b}31m \\u{85}");
    CHECK_STR_EQ(ESCAPED("nul\0end", JADE_KEEP_NOTHING), "nul\\x00end");
    /* bytes that are not UTF-8: alone, truncated, overlong, a surrogate */
    CHECK_STR_EQ(ESCAPED("p4\xff.txt", JADE_KEEP_NOTHING), "p4\\xff.txt");
    CHECK_STR_EQ(ESCAPED("\x9b"
                         "2J",
                         JADE_KEEP_NOTHING),
                 "\\x9b2J");
    CHECK_STR_EQ(ESCAPED("\xc0\xaf", JADE_KEEP_NOTHING), "\\xc0\\xaf");
    CHECK_STR_EQ(ESCAPED("\xed\xa0\x80", JADE_KEEP_NOTHING), "\\xed\\xa0\\x80");
    CHECK_STR_EQ(ESCAPED("end\xe2\x82", JADE_KEEP_NOTHING), "end\\xe2\\x82");
    CHECK_STR_EQ(ESCAPED("\xc3(\xe2\x82x", JADE_KEEP_NOTHING),
                 "\\xc3(\\xe2\\x82x"); /* no continuation */
    /* printable UTF-8 as it is: French, Bambara, Arabic, U+00A0 and beyond C1 */
    const char *text = "Fête à Ségou: ɛ ɔ ŋ ɲ — مرحبا \xc2\xa0 \xf0\x9f\x98\x80";
    CHECK_STR_EQ(escaped(text, strlen(text), JADE_KEEP_NOTHING), text);
    /* layout: kept in messages and texts, not in a field */
    CHECK_STR_EQ(ESCAPED("a\tb\nc\r\nd", JADE_KEEP_LINES), "a\tb\nc\r\nd");
    CHECK_STR_EQ(ESCAPED("a\tb\nc\r\nd", JADE_KEEP_NOTHING), "a\\x09b\\x0ac\\x0d\\x0ad");
    CHECK_STR_EQ(ESCAPED("cr at the end\r", JADE_KEEP_LINES), "cr at the end\\x0d");
    /* for JSON: only what is not UTF-8 */
    CHECK_STR_EQ(ESCAPED("\x1b\xc2\x9b\xff", JADE_KEEP_CONTROLS), "\x1b\xc2\x9b\\xff");
}

static void print_and_json_show_no_controls(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    jade_print(f, "jade run: campaign %s is kept\n", "c\x1b]0;x\x07\xc2\x9b\xff");
    fclose(f);
    CHECK_STR_EQ(text, "jade run: campaign c\\x1b]0;x\\x07\\u{9b}\\xff is kept\n");
    free(text);

    json_t *j = json_pack("{s:o, s:o, s:o}", "a",
                          jade_json_text("\x1b\x7f\xc2\x9b"
                                         "caf\xc3\xa9"),
                          "b", jade_json_text("bad\xff\xc2"), "c", jade_json_text(NULL));
    CHECK(json_object_size(j) == 3);
    f = open_memstream(&text, &len);
    jade_json_dump(j, f, JSON_COMPACT | JSON_SORT_KEYS);
    fclose(f);
    CHECK_STR_EQ(text, "{\"a\":\"\\u001B\\u007F\\u009Bcaf\xc3\xa9\",\"b\":\"bad\\\\xff\\\\xc2\","
                       "\"c\":null}");
    json_t *back = json_loads(text, 0, NULL); /* still JSON, and the same text */
    CHECK_STR_EQ(json_string_value(json_object_get(back, "a")), "\x1b\x7f\xc2\x9b"
                                                                "caf\xc3\xa9");
    json_decref(back);
    free(text);
    json_decref(j);
}

int main(void)
{
    RUN(utf8_accepts_and_rejects);
    RUN(escape_shows_controls_and_keeps_text);
    RUN(print_and_json_show_no_controls);
    RUN(parallel_zalloc_zeroes_every_byte);
    RUN(line_col_counts_code_points);
    RUN(locate_values_keys_and_elements);
    RUN(suggestions_are_close_or_nothing);
    RUN(content_times);
    RUN(zone_conversion_follows_dst);
    RUN(secrets_are_found);
    RUN(languages_and_networks);
    RUN(files_are_written_whole);
    return test_done();
}
