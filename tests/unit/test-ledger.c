/* test-ledger.c - the ledger's reconciliation and state changes, its
 * all-or-nothing batches, and reading it without writing. */
#include "test.h"

#include "plan/plan.h"
#include "run/ledger.h"
#include "run/queue.h"
#include "util/buf.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A plan of n occurrences with keys k0.., due at 1000 * (i + 1). */
struct fake {
    struct jade_campaign campaign;
    struct jade_post post;
    json_t *channel;
    struct jade_occurrence items[8];
    struct jade_plan plan;
};

static char *query_text(const char *dir, const char *sql);

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
    if (!mkdtemp(dir) || jade_ledger_open(dir, false, &l, &err) != 0)
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
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, "abc", 1, NULL, NULL, NULL, NULL, &st),
        0);
    CHECK_INT_EQ(st.inserted, 4);
    /* k0 is sent, k1 is retrying */
    jade_ledger_begin(l);
    jade_ledger_set(
        l, &(struct jade_update){.key = "k0", .state = JADE_SENDING, .at = 2, .attempts_delta = 1});
    jade_ledger_set(
        l, &(struct jade_update){.key = "k0", .state = JADE_SENT, .at = 3, .network_id = "net-1"});
    jade_ledger_set(l, &(struct jade_update){.key = "k1",
                                             .state = JADE_RETRYING,
                                             .at = 3,
                                             .attempts_delta = 1,
                                             .next_attempt = 2500,
                                             .error = "503"});
    jade_ledger_commit(l);
    /* A new plan: everything moved by 100 s, k3 gone, k0's time moved too. */
    fake_free(&f);
    fake_plan(&f, 3, 100);
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, "def", 4, NULL, NULL, NULL, NULL, &st),
        0);
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

static void collect_event(void *ctx, const struct jade_ledger_event *e)
{
    struct seen *s = ctx;
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof s->text - len, "%s:%lld:%s:%s:%s:%s ", e->key, (long long)e->at,
             e->state, e->detail ? e->detail : "-", e->commit ? e->commit : "-",
             e->signer ? e->signer : "-");
}

/* jade history's reading: rows by state, campaign, channel, due time and
 * a start of their key, all together; and their changes, each with the
 * commit it was made from. */
static void rows_and_their_changes_are_read_by_filter(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    CHECK(l != NULL);
    if (!l) return;
    struct fake f;
    struct jade_reconcile_stats st;
    fake_plan(&f, 4, 0); /* k0..k3, due 1000..4000 */
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, "abc", 1, NULL, NULL, NULL, NULL, &st),
        0);
    jade_ledger_begin(l);
    jade_ledger_set(l, &(struct jade_update){.key = "k0",
                                             .state = JADE_SENDING,
                                             .at = 2,
                                             .attempts_delta = 1,
                                             .commit = "abc",
                                             .signer = "awa"});
    jade_ledger_set(
        l, &(struct jade_update){.key = "k0", .state = JADE_FAILED, .at = 3, .error = "400"});
    jade_ledger_commit(l);
    fake_free(&f);
    fake_plan(&f, 3, 0); /* k3 leaves the plan of commit def */
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, "def", 4, NULL, NULL, NULL, NULL, &st),
        0);
    struct jade_ledger_filter any = JADE_LEDGER_FILTER_ANY, q = any;
    struct seen s = {""};
    CHECK_INT_EQ(jade_ledger_select(l, &any, collect, &s), 0);
    CHECK_STR_EQ(s.text,
                 "k0:failed:1000:1 k1:planned:2000:0 k2:planned:3000:0 k3:cancelled:4000:0 ");
    q.states = 1u << JADE_PLANNED | 1u << JADE_CANCELLED;
    q.from = 2000;
    q.to = 4000;
    s.text[0] = '\0';
    jade_ledger_select(l, &q, collect, &s);
    CHECK_STR_EQ(s.text, "k1:planned:2000:0 k2:planned:3000:0 ");
    q = any;
    q.campaign = "c";
    q.channel = "ch";
    q.key_prefix = "k3";
    s.text[0] = '\0';
    jade_ledger_select(l, &q, collect, &s);
    CHECK_STR_EQ(s.text, "k3:cancelled:4000:0 ");
    q.channel = "elsewhere";
    s.text[0] = '\0';
    jade_ledger_select(l, &q, collect, &s);
    CHECK_STR_EQ(s.text, "");
    q = any;
    q.states = 1u << JADE_FAILED | 1u << JADE_CANCELLED;
    s.text[0] = '\0';
    CHECK_INT_EQ(jade_ledger_events(l, &q, collect_event, &s), 0);
    CHECK_STR_EQ(s.text, "k0:1:planned:-:-:- k0:2:sending:-:abc:awa k0:3:failed:400:-:- "
                         "k3:1:planned:-:-:- k3:4:cancelled:no longer in the plan:def:- ");
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
    jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st);
    fake_free(&f);
    fake_plan(&f, 0, 0);
    jade_ledger_reconcile(l, &f.plan, NULL, 2500, 3500, NULL, 2, NULL, NULL, NULL, NULL,
                          &st); /* covers k2 only */
    CHECK_INT_EQ(st.cancelled, 1);
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, "k0:planned:1000:0 k1:planned:2000:0 k2:cancelled:3000:0 "
                         "k3:planned:4000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

static void rows_by_state_survive_reopening(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake f;
    struct jade_reconcile_stats st;
    fake_plan(&f, 3, 0);
    jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st);
    jade_ledger_begin(l);
    jade_ledger_set(l, &(struct jade_update){.key = "k0",
                                             .state = JADE_RETRYING,
                                             .at = 5,
                                             .attempts_delta = 1,
                                             .next_attempt = 5000,
                                             .error = "timeout"});
    jade_ledger_commit(l);
    struct seen s = {""};
    jade_ledger_in_state(l, JADE_PLANNED, collect, &s);
    CHECK_STR_EQ(s.text, "k1:planned:2000:0 k2:planned:3000:0 ");
    s.text[0] = '\0';
    jade_ledger_in_state(l, JADE_RETRYING, collect, &s);
    CHECK_STR_EQ(s.text, "k0:retrying:1000:1 ");
    fake_free(&f);
    size_t counts[JADE_N_STATES];
    jade_ledger_count(l, counts);
    CHECK_INT_EQ(counts[JADE_PLANNED], 2);
    CHECK_INT_EQ(counts[JADE_RETRYING], 1);
    jade_ledger_close(l);
    /* Reopening migrates nothing and keeps everything. */
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0);
    jade_buf_free(&err);
    if (l) {
        jade_ledger_count(l, counts);
        CHECK_INT_EQ(counts[JADE_PLANNED] + counts[JADE_RETRYING], 3);
        jade_ledger_close(l);
    }
    remove_dir(dir);
}

/* A batch whose second change cannot be written (no such occurrence)
 * leaves nothing on disk: not even the first change, which was written
 * before the failure inside the transaction. */
static void a_failed_batch_is_rolled_back_whole(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake f;
    fake_plan(&f, 2, 0);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st), 0);
    struct jade_update batch[2] = {
        {.key = "k0", .state = JADE_SENDING, .at = 5, .attempts_delta = 1},
        {.key = "nope", .state = JADE_SENT, .at = 5}};
    CHECK_INT_EQ(jade_ledger_apply(l, batch, 2), -1);
    struct seen seen = {{0}};
    jade_ledger_all(l, collect, &seen);
    CHECK_STR_EQ(seen.text, "k0:planned:1000:0 k1:planned:2000:0 ");
    /* and the ledger is usable afterwards: a good batch goes in whole */
    CHECK_INT_EQ(jade_ledger_apply(l, batch, 1), 0);
    seen.text[0] = '\0';
    jade_ledger_all(l, collect, &seen);
    CHECK_STR_EQ(seen.text, "k0:sending:1000:1 k1:planned:2000:0 ");
    /* sent_at is the first time it was sent: a later "sent" (a look-up
     * confirming it) keeps it */
    CHECK_INT_EQ(
        jade_ledger_set(l, &(struct jade_update){.key = "k0", .state = JADE_SENT, .at = 7}), 0);
    CHECK_INT_EQ(
        jade_ledger_set(l, &(struct jade_update){.key = "k0", .state = JADE_SENT, .at = 9}), 0);
    jade_ledger_close(l);
    fake_free(&f);
    char *sent_at = query_text(dir, "SELECT group_concat(ifnull(sent_at, '-'), ' ')"
                                    " FROM (SELECT sent_at FROM occurrences ORDER BY due)");
    CHECK_STR_EQ(sent_at, "7 -");
    free(sent_at);
    remove_dir(dir);
}

/* jade history reads without writing: a folder without a ledger is
 * refused and left as it was, and an existing ledger is read. */
static void read_only_open_refuses_a_folder_without_ledger(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    if (!mkdtemp(dir)) return;
    struct jade_ledger *l = NULL;
    struct jade_buf err = {0};
    char *missing = jade_xasprintf("%s/state", dir);
    CHECK_INT_EQ(jade_ledger_open_readonly(missing, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "holds no ledger");
    CHECK_INT_EQ(access(missing, F_OK), -1); /* nothing was created */
    jade_buf_free(&err);
    free(missing);
    struct jade_ledger *w = NULL;
    CHECK_INT_EQ(jade_ledger_open(dir, false, &w, &err), 0);
    struct fake f;
    fake_plan(&f, 1, 0);
    struct jade_reconcile_stats st;
    if (w)
        CHECK_INT_EQ(
            jade_ledger_reconcile(w, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st),
            0);
    jade_ledger_close(w);
    CHECK_INT_EQ(jade_ledger_open_readonly(dir, &l, &err), 0);
    if (l) {
        struct seen seen = {{0}};
        CHECK_INT_EQ(jade_ledger_all(l, collect, &seen), 0);
        CHECK_STR_EQ(seen.text, "k0:planned:1000:0 ");
        struct jade_update u = {.key = "k0", .state = JADE_SENT, .at = 5};
        CHECK_INT_EQ(jade_ledger_apply(l, &u, 1), -1); /* read-only */
        jade_ledger_close(l);
    }
    jade_buf_free(&err);
    fake_free(&f);
    remove_dir(dir);
}

/* After a previous plan, only what differs is written: a new key is
 * planned, a moved one follows, one that left is cancelled, and one the
 * previous plan had at the same time is not looked at (its row, changed
 * behind the planner's back here, stays as it is). */
static void reconcile_after_a_previous_plan_writes_the_differences(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake before, after;
    fake_plan(&before, 3, 0);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(jade_ledger_reconcile(l, &before.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL,
                                       NULL, &st),
                 0);
    fake_plan(&after, 4, 0);
    after.items[1].due = 2500;                  /* k1 moved */
    snprintf(after.items[2].key, 33, "k3-new"); /* k2 gone, a new key instead */
    after.plan.count = 3;                       /* k0, k1, k3-new */
    struct jade_plan_index by_key;
    jade_plan_index_build(&before.plan, &by_key);
    struct jade_reconcile_previous prev = {&before.plan, &by_key, 0, 10000};
    sqlite3 *db = NULL;
    char *path = jade_xasprintf("%s/ledger.sqlite", dir);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "UPDATE occurrences SET due = 1111 WHERE key = 'k0'", NULL, NULL, NULL);
    sqlite3_close(db);
    free(path);
    struct jade_waiting_changes changes = {0};
    CHECK_INT_EQ(jade_ledger_reconcile(l, &after.plan, NULL, 0, 10000, NULL, 3, NULL, NULL, &prev,
                                       &changes, &st),
                 0);
    CHECK_INT_EQ(st.inserted, 1);
    CHECK_INT_EQ(st.moved, 1);
    CHECK_INT_EQ(st.cancelled, 1);
    /* what the queues follow: k1 waits at its new time, k3-new waits, k2 no longer */
    char said[256] = "";
    for (size_t i = 0; i < changes.count; i++) {
        const struct jade_waiting_change *c = &changes.items[i];
        size_t len = strlen(said);
        snprintf(said + len, sizeof said - len, "%s:%s:%lld ", c->key, c->waits ? "waits" : "gone",
                 (long long)c->due);
    }
    CHECK_STR_EQ(said, "k1:waits:2500 k3-new:waits:3000 k2:gone:0 ");
    jade_waiting_changes_clear(&changes);
    jade_plan_index_free(&by_key);
    struct seen seen = {{0}};
    jade_ledger_all(l, collect, &seen);
    CHECK_STR_EQ(seen.text, "k0:planned:1111:0 k1:planned:2500:0 k2:cancelled:3000:0 "
                            "k3-new:planned:3000:0 ");
    jade_ledger_close(l);
    fake_free(&before);
    fake_free(&after);
    remove_dir(dir);
}

/* What was sent, or is being sent, stays so when it leaves the plan:
 * reconciliation never cancels it, whether it compares with a previous
 * plan or scans the ledger. */
static void sent_occurrences_that_left_the_plan_stay_sent(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake before, after;
    fake_plan(&before, 3, 0);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(jade_ledger_reconcile(l, &before.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL,
                                       NULL, &st),
                 0);
    struct jade_update sent[] = {
        {.key = "k0", .state = JADE_SENDING, .at = 2, .attempts_delta = 1},
        {.key = "k0", .state = JADE_SENT, .at = 3, .network_id = "net-1"},
        {.key = "k1", .state = JADE_SENDING, .at = 3, .attempts_delta = 1}};
    CHECK_INT_EQ(jade_ledger_apply(l, sent, 3), 0);
    /* the new plan has none of them */
    fake_plan(&after, 0, 0);
    struct jade_plan_index by_key;
    jade_plan_index_build(&before.plan, &by_key);
    struct jade_reconcile_previous prev = {&before.plan, &by_key, 0, 10000};
    CHECK_INT_EQ(jade_ledger_reconcile(l, &after.plan, NULL, 0, 10000, NULL, 4, NULL, NULL, &prev,
                                       NULL, &st),
                 0);
    CHECK_INT_EQ(st.cancelled, 1); /* k2 alone */
    struct seen seen = {{0}};
    jade_ledger_all(l, collect, &seen);
    CHECK_STR_EQ(seen.text, "k0:sent:1000:1 k1:sending:2000:1 k2:cancelled:3000:0 ");
    /* and a reconciliation without the previous plan, which scans */
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &after.plan, NULL, 0, 10000, NULL, 5, NULL, NULL, NULL, NULL, &st),
        0);
    CHECK_INT_EQ(st.cancelled, 0);
    seen.text[0] = '\0';
    jade_ledger_all(l, collect, &seen);
    CHECK_STR_EQ(seen.text, "k0:sent:1000:1 k1:sending:2000:1 k2:cancelled:3000:0 ");
    jade_plan_index_free(&by_key);
    jade_ledger_close(l);
    fake_free(&before);
    fake_free(&after);
    remove_dir(dir);
}

/* A ledger of schema 2 (before the queues moved into memory) is migrated
 * to the current schema: its rows are kept, and of its indexes only the
 * one of due times (which state changes do not touch), the one of posts
 * (for retractions; never changed once written) and the keys' are left. */
static void schema_2_is_migrated_keeping_rows(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    if (!mkdtemp(dir)) return;
    char *path = jade_xasprintf("%s/ledger.sqlite", dir);
    sqlite3 *db;
    CHECK_INT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT_EQ(
        sqlite3_exec(db,
                     "CREATE TABLE occurrences (key TEXT PRIMARY KEY, campaign TEXT NOT NULL,"
                     " post TEXT NOT NULL, channel TEXT NOT NULL, network TEXT NOT NULL,"
                     " lang TEXT NOT NULL, due INTEGER NOT NULL, state TEXT NOT NULL,"
                     " attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER,"
                     " network_id TEXT, url TEXT, error TEXT, commit_id TEXT,"
                     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
                     "CREATE INDEX occurrences_ready ON occurrences(state, due);"
                     "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL,"
                     " at INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT);"
                     "CREATE INDEX events_key ON events(key);"
                     "CREATE INDEX occurrences_channel_due ON occurrences(channel, state, due);"
                     "CREATE INDEX occurrences_channel_retry ON occurrences(channel, state,"
                     " next_attempt);"
                     "INSERT INTO occurrences VALUES ('k0', 'c', 'p', 'ch', 'outbox', 'fr', 1000,"
                     " 'sent', 1, NULL, 'n1', NULL, NULL, 'abc', 1, 2);"
                     "PRAGMA user_version = 2;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    struct jade_buf err = {0};
    struct jade_ledger *l = NULL;
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0);
    jade_buf_free(&err);
    if (l) {
        struct seen s = {""};
        jade_ledger_all(l, collect, &s);
        CHECK_STR_EQ(s.text, "k0:sent:1000:1 ");
        jade_ledger_close(l);
    }
    sqlite3_open(path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'index' AND "
                       "tbl_name = 'occurrences'"
                       " AND name NOT LIKE 'sqlite_autoindex_%'",
                       -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0),
                 "occurrences_key,occurrences_due,occurrences_post");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 10);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    remove_dir(dir);
}

/* One text value of a query on the ledger file (malloc'd), or NULL. */
static char *query_text(const char *dir, const char *sql)
{
    char *path = jade_xasprintf("%s/ledger.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        out = jade_xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return out;
}

/* The id the folder's marker names, without its line end; NULL if none. */
static char *read_marker(const char *dir)
{
    char *path = jade_xasprintf("%s/ledger.id", dir), line[64] = "";
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return NULL;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got) return NULL;
    line[strcspn(line, "\n")] = '\0';
    return jade_xstrdup(line);
}

/* Writes len bytes at offset of dir/name (creating it); truncate: cut it there. */
static void put_bytes(const char *dir, const char *name, long offset, const void *data, size_t len,
                      bool truncate)
{
    char *path = jade_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "r+b");
    if (!f) f = fopen(path, "w+b");
    free(path);
    if (!f) return;
    if (fseek(f, offset, SEEK_SET) != 0 || fwrite(data, 1, len, f) != len)
        printf("# cannot write %s\n", name);
    if (truncate && ftruncate(fileno(f), offset + (long)len) != 0)
        printf("# cannot cut %s\n", name);
    fclose(f);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char *cmd = jade_xasprintf("cp '%s/%s' '%s/%s'", from_dir, name, to_dir, name);
    if (system(cmd) != 0) printf("# cannot copy %s\n", name);
    free(cmd);
}

#define KEY_A "0123456789abcdef0123456789abcdef"
#define KEY_B "fedcba9876543210fedcba9876543210"

/* A ledger of schema 5 is migrated to 6: its keys (32 hex digits) are
 * stored as their 16 bytes, any other key as it was; rows, events and
 * adoptions are kept, and the keys still find their rows. */
static void schema_5_is_migrated_keeping_rows(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    if (!mkdtemp(dir)) return;
    char *path = jade_xasprintf("%s/ledger.sqlite", dir);
    sqlite3 *db;
    CHECK_INT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT_EQ(
        sqlite3_exec(
            db,
            "CREATE TABLE occurrences (key TEXT PRIMARY KEY, campaign TEXT NOT NULL,"
            " post TEXT NOT NULL, channel TEXT NOT NULL, network TEXT NOT NULL,"
            " lang TEXT NOT NULL, due INTEGER NOT NULL, state TEXT NOT NULL,"
            " attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER,"
            " network_id TEXT, url TEXT, error TEXT, commit_id TEXT,"
            " created INTEGER NOT NULL, updated INTEGER NOT NULL, signer TEXT, removal TEXT);"
            "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL,"
            " state TEXT NOT NULL, detail TEXT);"
            "CREATE TABLE adoptions (id INTEGER PRIMARY KEY, commit_id TEXT, signer TEXT,"
            " kept TEXT, at INTEGER NOT NULL);"
            "CREATE INDEX occurrences_due ON occurrences(due);"
            "CREATE INDEX occurrences_post ON occurrences(campaign, post);"
            "INSERT INTO occurrences VALUES ('" KEY_B "', 'c', 'p', 'ch', 'outbox', 'fr', 1000,"
            " 'sent', 1, NULL, 'n1', 'https://x/1', NULL, 'abc', 1, 2, 'coach', 'pending');"
            "INSERT INTO occurrences VALUES ('" KEY_A "', 'c', 'p', 'ch', 'outbox', 'fr', 2000,"
            " 'planned', 0, NULL, NULL, NULL, NULL, 'abc', 1, 1, NULL, NULL);"
            "INSERT INTO occurrences VALUES ('by-hand', 'c', 'p', 'ch', 'outbox', 'fr', 3000,"
            " 'planned', 0, NULL, NULL, NULL, NULL, 'abc', 1, 1, NULL, NULL);"
            "INSERT INTO events (key, at, state) VALUES ('" KEY_B "', 1, 'planned'),"
            " ('" KEY_B "', 2, 'sent');"
            "INSERT INTO adoptions (commit_id, kept, at) VALUES ('abc', 'c@abc', 1);"
            "PRAGMA user_version = 5;",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    free(path);
    struct jade_buf err = {0};
    struct jade_ledger *l = NULL;
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0);
    jade_buf_free(&err);
    if (!l) return;
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, KEY_B ":sent:1000:1 " KEY_A ":planned:2000:0 by-hand:planned:3000:0 ");
    s.text[0] = '\0';
    jade_ledger_to_remove(l, collect, &s);
    CHECK_STR_EQ(s.text, KEY_B ":sent:1000:1 ");
    char *commit = NULL, *kept = NULL;
    jade_ledger_last_adoption(l, &commit, &kept);
    CHECK_STR_EQ(commit, "abc");
    CHECK_STR_EQ(kept, "c@abc");
    free(commit);
    free(kept);
    /* the keys find their rows: a state change, and a plan of the same
     * occurrences that inserts nothing */
    CHECK_INT_EQ(jade_ledger_set(l, &(struct jade_update){.key = KEY_A,
                                                          .state = JADE_SENDING,
                                                          .at = 5,
                                                          .attempts_delta = 1}),
                 0);
    struct fake f;
    fake_plan(&f, 3, 0);
    snprintf(f.items[0].key, 33, "%s", KEY_B);
    snprintf(f.items[1].key, 33, "%s", KEY_A);
    snprintf(f.items[2].key, 33, "%s", "by-hand");
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 6, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted + st.moved + st.revived + st.cancelled, 0);
    s.text[0] = '\0';
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, KEY_B ":sent:1000:1 " KEY_A ":sending:2000:1 by-hand:planned:3000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    char *types = query_text(dir, "SELECT group_concat(typeof(key) || length(key), ' ')"
                                  " FROM (SELECT key FROM occurrences ORDER BY due)");
    CHECK_STR_EQ(types, "blob16 blob16 text7");
    free(types);
    char *events =
        query_text(dir, "SELECT group_concat(state) FROM events WHERE key = '" KEY_B "'");
    CHECK_STR_EQ(events, "planned,sent");
    free(events);
    /* the sent one has its first sending time from its trail */
    char *sent_at = query_text(dir, "SELECT group_concat(ifnull(sent_at, '-'), ' ')"
                                    " FROM (SELECT sent_at FROM occurrences ORDER BY due)");
    CHECK_STR_EQ(sent_at, "2 - -");
    free(sent_at);
    char *version = query_text(dir, "PRAGMA user_version");
    CHECK_STR_EQ(version, "10");
    free(version);
    /* migrated, it has an id, and the folder's marker names it */
    char *id = query_text(dir, "SELECT id FROM identity");
    char *marker = read_marker(dir);
    CHECK(id && strlen(id) == 32);
    CHECK_STR_EQ(marker, id);
    free(id);
    free(marker);
    remove_dir(dir);
}

/* A first reconciliation into an empty ledger writes its rows before the
 * indexes, which it builds again: they are all there after it, agree with
 * the rows, and keep a key once. */
static void a_first_reconciliation_builds_the_indexes_again(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    const char *indexes = "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema"
                          " WHERE type = 'index' AND tbl_name = 'occurrences' ORDER BY name)";
    char *before = query_text(dir, indexes);
    CHECK_STR_EQ(before, "occurrences_due,occurrences_key,occurrences_post");
    struct fake f;
    fake_plan(&f, 4, 0);
    for (size_t i = 0; i < 3; i++) snprintf(f.items[i].key, 33, "%032zx", 3 - i);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted, 4);
    char *after = query_text(dir, indexes);
    CHECK_STR_EQ(after, before);
    free(after);
    char *check = query_text(dir, "PRAGMA integrity_check");
    CHECK_STR_EQ(check, "ok");
    free(check);
    fake_free(&f);
    /* keys ...1 and ...3 swap their times, k3 is there again, ...4 is new */
    fake_plan(&f, 5, 0);
    for (size_t i = 0; i < 3; i++) snprintf(f.items[i].key, 33, "%032zx", i + 1);
    snprintf(f.items[4].key, 33, "%032x", 4);
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 2, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted, 1);
    CHECK_INT_EQ(st.moved, 2);
    struct seen s = {""};
    jade_ledger_in_state(l, JADE_PLANNED, collect, &s);
    CHECK_STR_EQ(s.text, "00000000000000000000000000000001:planned:1000:0 "
                         "00000000000000000000000000000002:planned:2000:0 "
                         "00000000000000000000000000000003:planned:3000:0 "
                         "k3:planned:4000:0 "
                         "00000000000000000000000000000004:planned:5000:0 ");
    after = query_text(dir, indexes);
    CHECK_STR_EQ(after, before);
    free(after);
    free(before);
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

/* A first reconciliation in the caller's transaction, rolled back: the
 * indexes it dropped are back, and the next one writes everything. */
static void a_first_reconciliation_rolled_back_leaves_the_indexes(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    const char *indexes = "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema"
                          " WHERE type = 'index' AND tbl_name = 'occurrences' ORDER BY name)";
    struct fake f;
    fake_plan(&f, 3, 0);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(jade_ledger_begin(l), 0);
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted, 3);
    jade_ledger_rollback(l);
    char *names = query_text(dir, indexes);
    CHECK_STR_EQ(names, "occurrences_due,occurrences_key,occurrences_post");
    free(names);
    size_t counts[JADE_N_STATES];
    jade_ledger_count(l, counts);
    CHECK_INT_EQ(counts[JADE_PLANNED], 0);
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 2, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted, 3);
    CHECK_INT_EQ(
        jade_ledger_set(l, &(struct jade_update){.key = "k1", .state = JADE_SENT, .at = 3}), 0);
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, "k0:planned:1000:0 k1:sent:2000:0 k2:planned:3000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

/* A plan with a key twice, into an empty ledger: the key is written once
 * (and the later time moves it, as in a ledger that had it already). */
static void a_key_twice_in_a_first_plan_is_written_once(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    struct fake f;
    fake_plan(&f, 3, 0);
    snprintf(f.items[2].key, 33, "%s", f.items[0].key);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st), 0);
    CHECK_INT_EQ(st.inserted, 2);
    struct seen s = {""};
    jade_ledger_all(l, collect, &s);
    CHECK_STR_EQ(s.text, "k1:planned:2000:0 k0:planned:3000:0 ");
    jade_ledger_close(l);
    fake_free(&f);
    remove_dir(dir);
}

/* The queue gives back what it was given, earliest first, ties by key,
 * whatever the order of arrival. */
static void queue_pops_in_time_then_key_order(void)
{
    struct jade_queue q = {0};
    uint64_t rng = 99;
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        struct jade_waiting w = {.at = (int64_t)(rng % 300), .due = i, .attempts = 0};
        snprintf(w.key, sizeof w.key, "%08llx", (unsigned long long)(rng >> 20));
        jade_queue_push(&q, &w);
    }
    CHECK_INT_EQ(q.count, N);
    struct jade_waiting prev = {.at = -1}, w;
    int popped = 0, out_of_order = 0;
    while (jade_queue_pop(&q, &w) == 0) {
        if (w.at < prev.at || (w.at == prev.at && strcmp(w.key, prev.key) < 0)) out_of_order++;
        prev = w;
        popped++;
    }
    CHECK_INT_EQ(popped, N);
    CHECK_INT_EQ(out_of_order, 0);
    CHECK(jade_queue_top(&q) == NULL);
    jade_queue_free(&q);
}

/* A first start makes a ledger with an id, and a marker naming it; the
 * next start finds the two agreeing. */
static void a_new_state_folder_gets_a_marker_naming_its_ledger(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l) return;
    char *id = jade_xstrdup(jade_ledger_id(l));
    CHECK_INT_EQ(strlen(id), 32);
    CHECK(jade_ledger_replaced(l) == NULL);
    jade_ledger_close(l);
    char *marker = read_marker(dir), *stored = query_text(dir, "SELECT id FROM identity");
    CHECK_STR_EQ(marker, id);
    CHECK_STR_EQ(stored, id);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0);
    if (l) {
        CHECK_STR_EQ(jade_ledger_id(l), id);
        CHECK(jade_ledger_replaced(l) == NULL);
        jade_ledger_close(l);
    }
    /* two ledgers never share an id */
    char other[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *o = open_temp(other);
    if (o) CHECK(strcmp(jade_ledger_id(o), id) != 0);
    jade_ledger_close(o);
    jade_buf_free(&err);
    free(id);
    free(marker);
    free(stored);
    remove_dir(dir);
    remove_dir(other);
}

/* Where the marker names a ledger, a ledger emptied (truncated to 0
 * bytes), missing, or another one is refused, saying what to do, and
 * nothing is written; --new-ledger takes what is there, and the marker
 * names it from then on. */
static void a_lost_ledger_is_refused_where_the_marker_names_one(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX", other[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir), *o = open_temp(other);
    if (!l || !o) return;
    char *id = jade_xstrdup(jade_ledger_id(l)), *other_id = jade_xstrdup(jade_ledger_id(o));
    jade_ledger_close(l);
    jade_ledger_close(o);
    char *path = jade_xasprintf("%s/ledger.sqlite", dir);
    struct jade_buf err = {0};
    struct stat st;
    /* emptied */
    put_bytes(dir, "ledger.sqlite", 0, "", 0, true);
    l = NULL;
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite is empty, but this state folder held a "
                                       "ledger (ledger.id names ");
    CHECK_CONTAINS(jade_buf_str(&err), id);
    CHECK_CONTAINS(jade_buf_str(&err), "put it back from a backup");
    CHECK_CONTAINS(jade_buf_str(&err), "jade run --new-ledger");
    CHECK(stat(path, &st) == 0 && st.st_size == 0); /* left as it was */
    /* missing */
    unlink(path);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite is missing, but this state folder held a "
                                       "ledger");
    CHECK_CONTAINS(jade_buf_str(&err), "jade run --new-ledger");
    CHECK_INT_EQ(access(path, F_OK), -1); /* not created */
    /* another one */
    copy_file(other, dir, "ledger.sqlite");
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite is not the ledger this state folder held");
    CHECK_CONTAINS(jade_buf_str(&err), other_id);
    char *marker = read_marker(dir);
    CHECK_STR_EQ(marker, id); /* still the one it held */
    free(marker);
    /* the operator takes it */
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(dir, true, &l, &err), 0);
    if (l) {
        CHECK_STR_EQ(jade_ledger_id(l), other_id);
        CHECK_STR_EQ(jade_ledger_replaced(l), id);
        jade_ledger_close(l);
    }
    marker = read_marker(dir);
    CHECK_STR_EQ(marker, other_id);
    free(marker);
    /* and a new, empty one where it is missing */
    unlink(path);
    CHECK_INT_EQ(jade_ledger_open(dir, true, &l, &err), 0);
    char *fresh = l ? jade_xstrdup(jade_ledger_id(l)) : NULL;
    if (l) CHECK_STR_EQ(jade_ledger_replaced(l), other_id);
    jade_ledger_close(l);
    marker = read_marker(dir);
    CHECK(fresh && strcmp(fresh, other_id) != 0 && strcmp(fresh, id) != 0);
    CHECK_STR_EQ(marker, fresh);
    free(marker);
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0); /* agreeing again */
    jade_ledger_close(l);
    /* a damaged marker */
    put_bytes(dir, "ledger.id", 0, "not an id\n", 10, true);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.id is damaged");
    CHECK_INT_EQ(jade_ledger_open(dir, true, &l, &err), 0);
    if (l) CHECK_STR_EQ(jade_ledger_replaced(l), "the one its damaged ledger.id named");
    jade_ledger_close(l);
    marker = read_marker(dir);
    CHECK_STR_EQ(marker, fresh);
    free(marker);
    /* a database, but not a ledger */
    unlink(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) == SQLITE_OK)
        sqlite3_exec(db, "CREATE TABLE t (a)", NULL, NULL, NULL);
    sqlite3_close(db);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "; this one is not a ledger)");
    jade_buf_free(&err);
    free(fresh);
    free(path);
    free(id);
    free(other_id);
    remove_dir(dir);
    remove_dir(other);
}

/* A write-ahead log SQLite would ignore (what was recorded since the last
 * checkpoint lost) is refused, --new-ledger or not; a log as a crash
 * leaves it is read, and an empty one is what a checkpoint leaves. */
static void a_damaged_write_ahead_log_is_refused(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX", crash[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    if (!l || !mkdtemp(crash)) return;
    struct fake f;
    fake_plan(&f, 2, 0);
    struct jade_reconcile_stats st;
    CHECK_INT_EQ(
        jade_ledger_reconcile(l, &f.plan, NULL, 0, 10000, NULL, 1, NULL, NULL, NULL, NULL, &st), 0);
    /* a crash now: the files as they are, the changes in the log */
    copy_file(dir, crash, "ledger.sqlite");
    copy_file(dir, crash, "ledger.sqlite-wal");
    copy_file(dir, crash, "ledger.id");
    struct jade_ledger *again = NULL;
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(crash, false, &again, &err), 0);
    if (again) {
        struct seen seen = {{0}};
        jade_ledger_all(again, collect, &seen);
        CHECK_STR_EQ(seen.text, "k0:planned:1000:0 k1:planned:2000:0 ");
        jade_ledger_close(again);
        again = NULL;
    }
    /* again, with one byte of the log's header changed (its salt) */
    copy_file(dir, crash, "ledger.sqlite");
    copy_file(dir, crash, "ledger.sqlite-wal");
    put_bytes(crash, "ledger.sqlite-wal", 17, "\xff", 1, false);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(crash, false, &again, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite-wal, the ledger's write-ahead log, is "
                                       "damaged");
    CHECK_CONTAINS(jade_buf_str(&err), "move the log aside");
    /* garbage; and --new-ledger does not take it either */
    put_bytes(crash, "ledger.sqlite-wal", 0, "garbage, not a log of SQLite's", 30, false);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(crash, true, &again, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "is damaged");
    /* emptied or moved aside: what the ledger held at its last checkpoint is all
     * there is, here nothing (everything was in the log), and the ledger
     * is refused as emptied */
    put_bytes(crash, "ledger.sqlite-wal", 0, "", 0, true);
    jade_buf_truncate(&err, 0);
    CHECK_INT_EQ(jade_ledger_open(crash, false, &again, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite is empty, but this state folder held");
    /* with a checkpoint behind it, it goes on from there */
    jade_ledger_close(l);
    copy_file(dir, crash, "ledger.sqlite");
    CHECK_INT_EQ(jade_ledger_open(crash, false, &again, &err), 0);
    jade_ledger_close(again);
    jade_buf_free(&err);
    fake_free(&f);
    remove_dir(dir);
    remove_dir(crash);
}

/* A ledger's failures say their cause: a file that is not a database is
 * corrupt, with what to do; a change to no occurrence says so. */
static void failures_say_their_cause(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    if (!mkdtemp(dir)) return;
    char junk[4096];
    memset(junk, 'x', sizeof junk);
    put_bytes(dir, "ledger.sqlite", 0, junk, sizeof junk, true);
    struct jade_ledger *l = NULL;
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "ledger.sqlite: the ledger is corrupt (file is not a "
                                       "database): put it back from a backup, or move it aside");
    remove_dir(dir);
    char fresh[] = "/tmp/jade-test-ledger-XXXXXX";
    l = open_temp(fresh);
    if (!l) return;
    struct jade_update u = {.key = "nope", .state = JADE_SENT, .at = 5};
    CHECK_INT_EQ(jade_ledger_apply(l, &u, 1), -1);
    CHECK_STR_EQ(jade_ledger_failure(l), "no occurrence has the key nope");
    jade_ledger_close(l);
    jade_buf_free(&err);
    remove_dir(fresh);
}

static void halts_are_kept_until_cleared(void)
{
    char dir[] = "/tmp/jade-test-ledger-XXXXXX";
    struct jade_ledger *l = open_temp(dir);
    CHECK(l != NULL);
    if (!l) return;
    struct jade_halt a = {JADE_HALT_CAMPAIGN, "c2", "rumour check", 100};
    struct jade_halt b = {JADE_HALT_ALL, "", "", 200};
    struct jade_halt a2 = {JADE_HALT_CAMPAIGN, "c2", "said again", 300};
    CHECK_INT_EQ(jade_ledger_halt_write(l, &a), 0);
    CHECK_INT_EQ(jade_ledger_halt_write(l, &b), 0);
    CHECK_INT_EQ(jade_ledger_halt_write(l, &a2), 0); /* replaces a */
    jade_ledger_close(l);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_ledger_open(dir, false, &l, &err), 0);
    struct jade_halts h = {0};
    CHECK_INT_EQ(jade_ledger_halts_read(l, &h), 0);
    CHECK_INT_EQ((int)h.count, 2);
    const struct jade_halt *got = jade_halts_find(&h, JADE_HALT_CAMPAIGN, "c2");
    CHECK(got && !strcmp(got->reason, "said again") && got->since == 300);
    CHECK(jade_halts_find(&h, JADE_HALT_ALL, "") != NULL);
    CHECK(jade_halts_stop(&h, "any-channel", "c1") != NULL); /* everything is halted */
    jade_halts_free(&h);
    CHECK_INT_EQ(jade_ledger_halt_clear(l, JADE_HALT_ALL, ""), 0);
    CHECK_INT_EQ(jade_ledger_halts_read(l, &h), 0);
    CHECK_INT_EQ((int)h.count, 1);
    CHECK(jade_halts_stop(&h, "any-channel", "c1") == NULL);
    CHECK(jade_halts_stop(&h, "any-channel", "c2") != NULL);
    CHECK(jade_halts_channel(&h, "any-channel") == NULL);
    jade_halts_free(&h);
    jade_buf_free(&err);
    jade_ledger_close(l);
    remove_dir(dir);
}

int main(void)
{
    RUN(reconcile_inserts_moves_cancels_and_keeps_sent);
    RUN(rows_outside_the_range_are_not_cancelled);
    RUN(rows_and_their_changes_are_read_by_filter);
    RUN(rows_by_state_survive_reopening);
    RUN(schema_2_is_migrated_keeping_rows);
    RUN(schema_5_is_migrated_keeping_rows);
    RUN(a_first_reconciliation_builds_the_indexes_again);
    RUN(a_first_reconciliation_rolled_back_leaves_the_indexes);
    RUN(a_key_twice_in_a_first_plan_is_written_once);
    RUN(queue_pops_in_time_then_key_order);
    RUN(a_failed_batch_is_rolled_back_whole);
    RUN(reconcile_after_a_previous_plan_writes_the_differences);
    RUN(sent_occurrences_that_left_the_plan_stay_sent);
    RUN(read_only_open_refuses_a_folder_without_ledger);
    RUN(a_new_state_folder_gets_a_marker_naming_its_ledger);
    RUN(a_lost_ledger_is_refused_where_the_marker_names_one);
    RUN(a_damaged_write_ahead_log_is_refused);
    RUN(failures_say_their_cause);
    RUN(halts_are_kept_until_cleared);
    return test_done();
}
