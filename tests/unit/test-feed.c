/* test-feed.c - the calendar feed's chains of moves (plan/feed.c): a key
 * cancelled "no longer in the plan" and one created at that time in the
 * same group are one event, paired in due order; other cancellations end
 * an event. */
#include "test.h"

#include "plan/plan.h"

#include <stdint.h>
#include <stdlib.h>

#define GONE "no longer in the plan"

static void moves_chain_in_due_order(void)
{
    struct jade_feed_row rows[] = {
        /* group a: moved twice (k1 -> k2 -> k3) */
        {"k1", "c", "a", "ch", "fr", "cancelled", GONE, NULL, 1000, 0, 100},
        {"k3", "c", "a", "ch", "fr", "planned", NULL, NULL, 3000, 200, 200},
        {"k2", "c", "a", "ch", "fr", "cancelled", GONE, NULL, 2000, 100, 200},
        /* group b: two times move at 300; the first removed with the first added */
        {"m2", "c", "b", "ch", "fr", "cancelled", GONE, NULL, 20, 0, 300},
        {"m1", "c", "b", "ch", "fr", "cancelled", GONE, NULL, 10, 0, 300},
        {"n2", "c", "b", "ch", "fr", "planned", NULL, NULL, 40, 300, 300},
        {"n1", "c", "b", "ch", "fr", "planned", NULL, NULL, 15, 300, 300},
        /* the same post on another channel: never paired across groups */
        {"o1", "c", "b", "ch2", "fr", "planned", NULL, NULL, 15, 300, 300},
        /* removed: no successor */
        {"x1", "c", "x", "ch", "fr", "cancelled", "post removed", NULL, 50, 0, 300},
    };
    size_t n = sizeof rows / sizeof *rows, pred[sizeof rows / sizeof *rows];
    jade_feed_chain(rows, n, pred);
    CHECK_INT_EQ(pred[0], SIZE_MAX);
    CHECK_INT_EQ(pred[2], 0); /* k2 from k1 */
    CHECK_INT_EQ(pred[1], 2); /* k3 from k2 */
    CHECK_INT_EQ(pred[6], 4); /* n1 (15) from m1 (10) */
    CHECK_INT_EQ(pred[5], 3); /* n2 (40) from m2 (20) */
    CHECK_INT_EQ(pred[7], SIZE_MAX);
    CHECK_INT_EQ(pred[8], SIZE_MAX);

    char *ics = jade_feed_ics(rows, n, NULL);
    /* k3 shown under k1's UID, two moves; k1 and k2 not shown */
    CHECK_CONTAINS(ics, "UID:k1\r\nDTSTAMP:19700101T000320Z\r\nDTSTART:19700101T005000Z\r\n"
                        "DTEND:19700101T010500Z\r\nSEQUENCE:2\r\nSTATUS:CONFIRMED\r\n");
    CHECK(!strstr(ics, "UID:k2") && !strstr(ics, "UID:k3"));
    CHECK(!strstr(ics, "UID:n1") && !strstr(ics, "UID:n2"));
    CHECK_CONTAINS(ics, "UID:m1\r\n");
    CHECK_CONTAINS(ics, "UID:o1\r\n");
    CHECK_CONTAINS(ics, "UID:x1\r\nDTSTAMP:19700101T000500Z\r\nDTSTART:19700101T000050Z\r\n"
                        "DTEND:19700101T001550Z\r\nSEQUENCE:1\r\nSTATUS:CANCELLED\r\n");
    free(ics);
}

static void a_retracted_one_is_cancelled(void)
{
    struct jade_feed_row rows[] = {
        {"r1", "c", "p", "ch", "fr", "retracted", NULL, "https://x/1", 60, 0, 500},
        {"s1", "c", "p", "ch2", "fr", "sent", NULL, "https://x/2", 60, 0, 60},
    };
    char *ics = jade_feed_ics(rows, 2, NULL);
    CHECK_CONTAINS(ics, "UID:r1\r\nDTSTAMP:19700101T000820Z\r\nDTSTART:19700101T000100Z\r\n"
                        "DTEND:19700101T001600Z\r\nSEQUENCE:1\r\nSTATUS:CANCELLED\r\n");
    CHECK_CONTAINS(ics, "SEQUENCE:0\r\nSTATUS:CONFIRMED\r\n");
    CHECK_CONTAINS(ics, "URL:https://x/2");
    CHECK(!strstr(ics, "URL:https://x/1"));
    free(ics);
}

int main(void)
{
    RUN(moves_chain_in_due_order);
    RUN(a_retracted_one_is_cancelled);
    return test_done();
}
