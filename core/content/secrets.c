/* secrets.c - finding credentials pasted into content files.
 *
 * Content is public and reviewed in git; a token there is a leak. Channels
 * name their secret instead. Well-known token shapes are matched exactly;
 * long hex or base64 runs are flagged when they look random (mixed case and
 * digits, high entropy), which long words and slugs do not. Runs inside a
 * URL's path (after '/') are left alone: links to commits carry hashes. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "content.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <math.h>
#include <pcre2.h>
#include <string.h>

struct pattern {
    const char *what;
    const char *regex;
    bool random_only; /* also require the run to look random */
};

static const struct pattern patterns[] = {
    {N_("a Telegram bot token"), "(?<![0-9])[0-9]{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])", false},
    {N_("a Facebook access token"), "(?<![A-Za-z0-9])EAA[A-Za-z0-9]{20,}", false},
    {N_("a Slack token"), "(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}", false},
    {N_("a GitHub token"),
     "(?<![A-Za-z0-9])(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})", false},
    {N_("an AWS access key"), "(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])", false},
    {N_("a private key"), "-----BEGIN [A-Z ]*PRIVATE KEY-----", false},
    {N_("a long hexadecimal secret"), "(?<![A-Za-z0-9/])[0-9a-fA-F]{32,}(?![A-Za-z0-9])", false},
    {N_("a long random secret"), "(?<![A-Za-z0-9+/_-])[A-Za-z0-9+_-]{40,}={0,2}(?![A-Za-z0-9+/_-])",
     true},
};

#define N_PATTERNS (sizeof patterns / sizeof *patterns)

struct jade_secret_scanner {
    pcre2_code *re[N_PATTERNS];
};

struct jade_secret_scanner *jade_secret_scanner_new(void)
{
    struct jade_secret_scanner *s = jade_xcalloc(1, sizeof *s);
    for (size_t i = 0; i < N_PATTERNS; i++) {
        int code;
        PCRE2_SIZE off;
        s->re[i] = pcre2_compile((PCRE2_SPTR)patterns[i].regex, PCRE2_ZERO_TERMINATED, 0, &code,
                                 &off, NULL);
        if (s->re[i]) pcre2_jit_compile(s->re[i], PCRE2_JIT_COMPLETE);
    }
    return s;
}

void jade_secret_scanner_free(struct jade_secret_scanner *s)
{
    if (!s) return;
    for (size_t i = 0; i < N_PATTERNS; i++) pcre2_code_free(s->re[i]);
    free(s);
}

/* Random-looking: letters of both cases and digits, and high entropy. */
static bool looks_random(const char *s, size_t n)
{
    bool upper = false, lower = false, digit = false;
    unsigned counts[256] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        upper |= c >= 'A' && c <= 'Z';
        lower |= c >= 'a' && c <= 'z';
        digit |= c >= '0' && c <= '9';
        counts[c]++;
    }
    if (!(upper && lower && digit)) return false;
    double entropy = 0;
    for (size_t c = 0; c < 256; c++) {
        if (!counts[c]) continue;
        double p = (double)counts[c] / (double)n;
        entropy -= p * log2(p);
    }
    return entropy >= 4.2;
}

bool jade_secret_find(const struct jade_secret_scanner *s, const char *str, size_t len, size_t *off,
                      size_t *match_len, const char **what)
{
    /* Cheap pre-filter: every pattern needs a run of 20 word characters. */
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < len && longest < 20; i++) {
        unsigned char c = (unsigned char)str[i];
        bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '-' || c == '+';
        run = word ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    if (longest < 20 && !memmem(str, len, "-----BEGIN", 10)) return false;
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    bool found = false;
    for (size_t i = 0; i < N_PATTERNS && !found; i++) {
        if (!s->re[i]) continue;
        PCRE2_SIZE start = 0;
        while (start < len &&
               pcre2_match(s->re[i], (PCRE2_SPTR)str, len, start, 0, md, NULL) >= 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            if (!patterns[i].random_only || looks_random(str + ov[0], ov[1] - ov[0])) {
                *off = ov[0];
                *match_len = ov[1] - ov[0];
                *what = _(patterns[i].what);
                found = true;
                break;
            }
            start = ov[1] > start ? ov[1] : start + 1;
        }
    }
    pcre2_match_data_free(md);
    return found;
}
