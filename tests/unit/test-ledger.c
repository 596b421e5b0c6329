/* test-ledger.c - the ledger's reconciliation and state changes, and the
 * retry backoff. */
#include "test.h"

#include "plan/plan.h"
#include "run/ledger.h"
#include "run/service.h"
#include "util/buf.h"

#include <stdlib.h>
#include <unistd.h>

/* A plan of n occurrences with keys k0.., due at 1000 * (i + 1). */
struct fake {
    struct jade_campaign campaign;
    struct jade_post post;
    json_t *channel;
    struct jade_occurrence items[8];
    struct jade_plan plan;
};

static void fake_plan(struct fake *f, size_t n, int64_t shift)
{
    memset(f, 0, sizeof *f);
    f->campaign.id = "c";
    f->post.id = "p";
    f->channel = json_pack("{s:s, s:s}", "id", "ch", "network", "outbox");
    for (size_t i = 0; i < n; i++) {
        struct jade_occurrence *o = &f->items[i];
        snprintf(o->key, sizeof o->key, "k%zu", i);
        o->due = 1000 * (int64_t)(i + 1) + shift;
        o->original = o->due;
        o->campaign = &f->campaign;
        o->post = &f->post;
        o->channel = f->channel;
        o->channel_id = "ch";
        o->lang = "fr";
    }
    f->plan.items = f->items;
    f->plan.count = n;
}

static void fake_free(struct fake *f)
{
    json_decref(f->channel);
    f->channel = NULL;
}

struct seen {
    char text[2048];
};

static void collect(void *ctx, const struct jade_ledger_row *r)
{
    struct seen *s = ctx;
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof s->text - len, "%s:%s:%lld:%d ", r->key,
             jade_state_name(r->state), (long long)r->due, r->attempts);
}

static struct jade_ledger *open_temp(char *dir)
{
    struct jade_buf err = {0};
    struct jade_ledger *l = NULL;
    if (!mkdtemp(dir) || jade_ledger_open(dir, &l, &err) != 0)
        printf("# cannot open a ledger: %s\n", jade_buf_str(&err));
    jade_buf_free(&err);
    return l;
}

static void remove_dir(const char *dir)
{
    char *cmd = jade_xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# cannot remove %s\n", dir);
    free(cmd);
}

static void reconcile_inserts_moves_cancels_and_keeps_sent(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    CHECK(l != NULL);
    if (!l) return;
    struct fake f;
    struct jade_reconcile_stats st;
    fake_plan(&f, 4, 0);
    CHECK_INT_EQ(jade_ledger_reconcile(l, &f.plan, 0, 10000, "abc", 1, &st), 0);
    CHECK_INT_EQ(st.inserted, 4);
    /* k0 is sent, k1 is retrying */
    jade_ledger_begin(l);
    jade_ledger_set(l, "k0", JADE_SENDING, 2, 1, 0, NULL, NULL, NULL);
    jade_ledger_set(l, "k0", JADE_SENT, 3, 0, 0, "net-1", NULL, NULL);
    jade_ledger_set(l, "k1", JADE_RETRYING, 3, 1, 2500, NULL, NULL, "503");
    jade_ledger_commit(l);
    /* A new plan: everything moved by 100 s, k3 gone, k0's time moved too. */
    fake_free(&f);
    fake_plan(&f, 3, 100);
    CHECK_INT_EQ(jade_ledger_reconcile(l, &f.plan, 0, 10000, "def", 4, &st), 0);
    CHECK_INT_EQ(st.inserted, 0);
    CHECK_INT_EQ(st.moved, 1);     /* k2 only: k0 was sent, k1 is retrying */
    CHECK_INT_EQ(st.cancelled, 1); /* k3 */
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text,
                 "k0:sent:1000:1 k1:retrying:2000:1 k2:planned:3100:0 k3:cancelled:4000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

static void rows_outside_the_range_are_not_cancelled(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake f;
    struct jade_reconcile_stats st;
    fake_plan(&f, 4, 0);
    jade_ledger_reconcile(l, &f.plan, 0, 10000, NULL, 1, &st);
    fake_free(&f);
    fake_plan(&f, 0, 0);
    jade_ledger_reconcile(l, &f.plan, 2500, 3500, NULL, 2, &st); /* covers k2 only */
    CHECK_INT_EQ(st.cancelled, 1);
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, "k0:planned:1000:0 k1:planned:2000:0 k2:cancelled:3000:0 "
                         "k3:planned:4000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

static void ready_and_next_time(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake f;
    struct jade_reconcile_stats st;
    fake_plan(&f, 3, 0);
    jade_ledger_reconcile(l, &f.plan, 0, 10000, NULL, 1, &st);
    jade_ledger_begin(l);
    jade_ledger_set(l, "k0", JADE_RETRYING, 5, 1, 5000, NULL, NULL, "timeout");
    jade_ledger_commit(l);
    struct seen s = {""};
    jade_ledger_ready(l, 2500, collect, &s);
    CHECK_STR_EQ(s.text, "k1:planned:2000:0 "); /* k0 waits until 5000 */
    CHECK_INT_EQ(jade_ledger_next_time(l, 2500), 3000);
    CHECK_INT_EQ(jade_ledger_next_time(l, 3000), 5000);
    CHECK_INT_EQ(jade_ledger_next_time(l, 5000), INT64_MAX);
    fake_free(&f);
    size_t counts[JADE_N_STATES];
    jade_ledger_count(l, counts);
    CHECK_INT_EQ(counts[JADE_PLANNED], 2);
    CHECK_INT_EQ(counts[JADE_RETRYING], 1);
    jade_ledger_close(l);
    /* Reopening migrates nothing and keeps everything. */
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(dir, &l, &err), 0);
    jade_buf_free(&err);
    if (l) {
        jade_ledger_count(l, counts);
        CHECK_INT_EQ(counts[JADE_PLANNED] + counts[JADE_RETRYING], 3);
        jade_ledger_close(l);
    }
    remove_dir(dir);
}

static void backoff_is_full_jitter_under_a_doubling_cap(void)
{
    uint64_t rng = 12345;
    int64_t max_seen[6] = {0};
    for (int i = 0; i < 2000; i++) {
        for (int attempt = 1; attempt <= 5; attempt++) {
            int64_t d = jade_backoff(attempt, 30, 1800, &rng);
            int64_t cap = 30LL << (attempt - 1);
            if (d < 0 || d > cap) {
                printf("# attempt %d gave %lld, cap %lld\n", attempt, (long long)d, (long long)cap);
                test_current_failed = 1;
            }
            if (d > max_seen[attempt]) max_seen[attempt] = d;
        }
    }
    /* Spread over the whole range: the largest draws come near the cap. */
    CHECK(max_seen[1] >= 27 && max_seen[5] >= 430);
    for (int i = 0; i < 1000; i++) CHECK(jade_backoff(20, 30, 1800, &rng) <= 1800);
}

int main(void)
{
    RUN(reconcile_inserts_moves_cancels_and_keeps_sent);
    RUN(rows_outside_the_range_are_not_cancelled);
    RUN(ready_and_next_time);
    RUN(backoff_is_full_jitter_under_a_doubling_cap);
    return test_done();
}
