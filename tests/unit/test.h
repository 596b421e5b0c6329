/* test.h - a tiny TAP test harness: typed checks that print both values.
 *
 * Each test is a function; RUN(fn) runs it and prints "ok N - fn" or
 * "not ok N - fn"; test_done() prints the plan and returns the exit status.
 * Checks are never compiled out. */
#ifndef JADE_TEST_H
#define JADE_TEST_H

#include <stdio.h>
#include <string.h>

static int test_count, test_failures, test_current_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                    \
            test_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            printf("#   %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b, va_, vb_);   \
            test_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                               \
            printf("#   %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b,          \
                   sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                                    \
            test_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,              \
                   h_ ? h_ : "(null)", n_);                                                        \
            test_current_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

static inline void test_report(const char *name, int failed)
{
    test_count++;
    if (failed) test_failures++;
    printf("%sok %d - %s\n", failed ? "not " : "", test_count, name);
    fflush(stdout);
}

static inline void test_run(const char *name, void (*fn)(void))
{
    test_current_failed = 0;
    fn();
    test_report(name, test_current_failed);
}

#define RUN(fn) test_run(#fn, fn)

static inline int test_done(void)
{
    printf("1..%d\n", test_count);
    return test_failures ? 1 : 0;
}

#endif
