/* test-calls.c - the table of plugin calls in flight (run/calls.h): a
 * token ends its call once, whatever comes after; tags survive; a deadline
 * ends a call and says so; what is dropped is handed back. */
#include "test.h"

#include "run/calls.h"

#include <stdint.h>
#include <stdlib.h>

static int expired_count;
static void *expired_data;

static void expired(void *data)
{
    expired_count++;
    expired_data = data;
}

static int dropped;

static void drop(void *data)
{
    (void)data;
    dropped++;
}

static void test_a_token_ends_its_call_once(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct jade_calls c;
    jade_calls_init(&c, &loop, expired);
    int a, b;
    void *ta = jade_calls_start(&c, &a, 3, 300);
    void *tb = jade_calls_start(&c, &b, 7, 300);
    CHECK(ta != NULL && tb != NULL && ta != tb);
    CHECK(ta != (void *)&a); /* a number, not the caller's pointer */
    CHECK_INT_EQ(jade_calls_tag(ta), 3);
    CHECK_INT_EQ(jade_calls_tag(tb), 7);
    CHECK_INT_EQ(jade_calls_count(&c), 2);
    CHECK(jade_calls_end(&c, ta) == &a);
    CHECK(jade_calls_end(&c, ta) == NULL); /* a second done */
    CHECK(jade_calls_end(&c, (void *)(uintptr_t)12345) == NULL);
    CHECK_INT_EQ(jade_calls_tag(ta), 3);
    /* a new call never takes an old one's token */
    void *tc = jade_calls_start(&c, &a, 3, 300);
    CHECK(tc != ta);
    CHECK(jade_calls_end(&c, ta) == NULL);
    CHECK(jade_calls_end(&c, tb) == &b);
    CHECK(jade_calls_end(&c, tc) == &a);
    CHECK_INT_EQ(jade_calls_count(&c), 0);
    jade_calls_drop(&c, drop);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT_EQ(expired_count, 0);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
}

static void test_a_deadline_ends_a_call(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct jade_calls c;
    jade_calls_init(&c, &loop, expired);
    expired_count = 0;
    int a, b;
    void *ta = jade_calls_start(&c, &a, 1, 0); /* over at the loop's next turn */
    void *tb = jade_calls_start(&c, &b, 2, 3600);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT_EQ(expired_count, 1);
    CHECK(expired_data == &a);
    CHECK(jade_calls_end(&c, ta) == NULL); /* the late done finds nothing */
    CHECK_INT_EQ(jade_calls_count(&c), 1);
    dropped = 0;
    jade_calls_drop(&c, drop); /* the service stops: the other is handed back */
    CHECK_INT_EQ(dropped, 1);
    CHECK(jade_calls_end(&c, tb) == NULL);
    uv_run(&loop, UV_RUN_DEFAULT); /* its timer closed: the loop ends */
    CHECK_INT_EQ(expired_count, 1);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
}

int main(void)
{
    RUN(test_a_token_ends_its_call_once);
    RUN(test_a_deadline_ends_a_call);
    return test_done();
}
