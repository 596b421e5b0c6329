/* ledger.c - occurrence states in SQLite (see ledger.h).
 *
 * WAL mode with synchronous=FULL: a committed transaction survives a crash
 * or a power cut, which is what "sending is stored before a request leaves"
 * needs; grouping a batch of changes into one transaction keeps that to
 * one fsync per batch. The schema is versioned with PRAGMA user_version and
 * migrated forward; a newer one is refused.
 *
 * Its identity: a ledger holds a random id, made with it, and the state
 * folder a marker (ledger.id) naming the ledger it holds, so that a
 * ledger lost, emptied or swapped is refused rather than taken for a first
 * start, which would send again everything within the catch-up. */
#include "ledger.h"

#include "../plan/plan.h"
#include "../util/buf.h"
#include "../util/file.h"
#include "../util/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_names[JADE_N_STATES] = {"planned",   "sending", "sent",
                                                       "retrying",  "failed",  "uncertain",
                                                       "cancelled", "missed",  "retracted"};

const char *jade_state_name(enum jade_state s)
{
    return s < JADE_N_STATES ? state_names[s] : "?";
}

static enum jade_state state_of(const char *name)
{
    for (int i = 0; i < JADE_N_STATES; i++)
        if (name && strcmp(state_names[i], name) == 0) return (enum jade_state)i;
    return JADE_N_STATES;
}

/* Each migration takes the schema from version i to i + 1. Only ever
 * append. */
static const char *const migrations[] = {
    "CREATE TABLE occurrences ("
    "  key TEXT PRIMARY KEY, campaign TEXT NOT NULL, post TEXT NOT NULL,"
    "  channel TEXT NOT NULL, network TEXT NOT NULL, lang TEXT NOT NULL,"
    "  due INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER, network_id TEXT, url TEXT, error TEXT, commit_id TEXT,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX occurrences_ready ON occurrences(state, due);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL,"
    "  state TEXT NOT NULL, detail TEXT);"
    "CREATE INDEX events_key ON events(key);",
    /* 2: the next ready row of one channel, found without a scan */
    "CREATE INDEX occurrences_channel_due ON occurrences(channel, state, due);"
    "CREATE INDEX occurrences_channel_retry ON occurrences(channel, state, next_attempt);",
    /* 3: the service keeps its queues in memory, so a state change touches
     * the row and one index whose entries follow the due time, not three
     * spread over every channel and key (write amplification) */
    "DROP INDEX occurrences_channel_due; DROP INDEX occurrences_channel_retry;"
    "DROP INDEX events_key;",
    /* 4: an index of due times alone, which a state change leaves as it is
     * (the state's was rewritten twice per publication: a quarter of the
     * writer's time); reading in a state by due time filters it */
    "DROP INDEX occurrences_ready; CREATE INDEX occurrences_due ON occurrences(due);",
    /* 5: who signed the commit a publication was sent from; the contents
     * the service adopted, so that a restart resumes from the last good */
    "ALTER TABLE occurrences ADD COLUMN signer TEXT;"
    "CREATE TABLE adoptions (id INTEGER PRIMARY KEY, commit_id TEXT, signer TEXT,"
    "  kept TEXT, at INTEGER NOT NULL);"
    /* a retracted post's sent occurrences: removal 'pending' until the
     * network removes them (state retracted), or 'by hand' */
    "ALTER TABLE occurrences ADD COLUMN removal TEXT;"
    "CREATE INDEX occurrences_post ON occurrences(campaign, post);",
    /* 6: keys as their 16 bytes (half the text's), unique in an index of
     * their own instead of the table's primary key: an index that can be
     * dropped, and built again once after many rows are written. Due times
     * with their keys: rows read by due time then key need no sort (a
     * state change still leaves that index as it is) */
    "CREATE TABLE occurrences_6 ("
    "  key BLOB NOT NULL, campaign TEXT NOT NULL, post TEXT NOT NULL,"
    "  channel TEXT NOT NULL, network TEXT NOT NULL, lang TEXT NOT NULL,"
    "  due INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER, network_id TEXT, url TEXT, error TEXT, commit_id TEXT,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL, signer TEXT, removal TEXT);"
    "INSERT INTO occurrences_6 SELECT jade_key(key), campaign, post, channel, network, lang,"
    "  due, state, attempts, next_attempt, network_id, url, error, commit_id, created, updated,"
    "  signer, removal FROM occurrences ORDER BY rowid;"
    "DROP TABLE occurrences;"
    "ALTER TABLE occurrences_6 RENAME TO occurrences;"
    "CREATE UNIQUE INDEX occurrences_key ON occurrences(key);"
    "CREATE INDEX occurrences_due ON occurrences(due, key);"
    "CREATE INDEX occurrences_post ON occurrences(campaign, post);",
    /* 7: the ledger's identity, which the state folder's marker names */
    "CREATE TABLE identity (id TEXT NOT NULL);"
    "INSERT INTO identity VALUES (lower(hex(randomblob(16))));",
    /* 8: the commit (and its signer) of a state change: the one an attempt
     * was sent from, the one whose content cancelled an occurrence or
     * brought it back, so that an occurrence's trail says which attempt
     * went out from which commit (the row keeps only the last) */
    "ALTER TABLE events ADD COLUMN commit_id TEXT; ALTER TABLE events ADD COLUMN signer TEXT;",
    /* 9: what operators halted (halts.h), kept until they resume it */
    "CREATE TABLE halts (scope TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL,"
    "  since INTEGER NOT NULL, PRIMARY KEY (scope, target));",
    /* 10: follow-up. When an occurrence was first sent (its trail has it,
     * but events have no index by key: a report over a year would scan),
     * and the readings of its reactions: `reading` is the planned time of
     * the reading in seconds after sent_at (3600, 86400, ...), read_at when
     * it was read, name as the plugin reports it (see struct jade_metric). */
    "ALTER TABLE occurrences ADD COLUMN sent_at INTEGER;"
    "UPDATE occurrences SET sent_at = s.at FROM (SELECT jade_key(key) AS k, min(at) AS at"
    "  FROM events WHERE state = 'sent' GROUP BY key) AS s WHERE occurrences.key = s.k;"
    "CREATE TABLE metrics (key BLOB NOT NULL, reading INTEGER NOT NULL,"
    "  read_at INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,"
    "  PRIMARY KEY (key, reading, name)) WITHOUT ROWID;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof *migrations))
#define IDENTITY_SINCE 7      /* the schema from which a ledger has its id */
#define EVENT_COMMITS_SINCE 8 /* and its events their commits */

struct jade_ledger {
    sqlite3 *db;
    sqlite3_stmt *set, *event;
    int depth;         /* nested begin/commit */
    int version;       /* the schema version of the file (read-only: as found) */
    char id[33];       /* its identity */
    char replaced[64]; /* what the marker named before new_ledger took this one, or "" */
    char failure[256]; /* why the last operation failed, for people, or "" */
};

/* A key is 32 lowercase hex digits, stored as its 16 bytes; any other
 * (hand-made, in tests) is stored as text, as it comes. */
static bool key_bytes(const char *key, unsigned char out[16])
{
    for (int i = 0; i < 32; i++) {
        char c = key[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return false;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return key[32] == '\0';
}

static int bind_key(sqlite3_stmt *st, int i, const char *key)
{
    unsigned char b[16];
    return key_bytes(key, b) ? sqlite3_bind_blob(st, i, b, 16, SQLITE_TRANSIENT)
                             : sqlite3_bind_text(st, i, key, -1, SQLITE_STATIC);
}

/* Column i as a key, in buf (33 bytes) when stored as bytes; NULL if null. */
static const char *key_col(sqlite3_stmt *st, int i, char *buf)
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 16)
        return (const char *)sqlite3_column_text(st, i);
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = sqlite3_column_blob(st, i);
    for (int k = 0; k < 16; k++) {
        buf[2 * k] = hex[b[k] >> 4];
        buf[2 * k + 1] = hex[b[k] & 15];
    }
    buf[32] = '\0';
    return buf;
}

/* jade_key(text): a key as it is stored (for the migration to 6). */
static void key_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *key = (const char *)sqlite3_value_text(argv[0]);
    unsigned char b[16];
    if (key && key_bytes(key, b))
        sqlite3_result_blob(ctx, b, 16, SQLITE_TRANSIENT);
    else
        sqlite3_result_value(ctx, argv[0]);
}

/* Keeps why the connection's last call failed, in words (before a
 * rollback or the next call replaces SQLite's code): the cause people can
 * act on, then SQLite's or the system's own words. */
static void note_failure(struct jade_ledger *l)
{
    int code = sqlite3_extended_errcode(l->db), sys = sqlite3_system_errno(l->db);
    if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) return;
    const char *full = _("the disk is full"),
               *read_only = _("the ledger is read-only (its file, its folder or its disk "
                              "refuses writes)"),
               *denied = _("permission denied"), *cause = NULL;
    const char *detail = sqlite3_errmsg(l->db);
    switch (code & 0xff) {
    case SQLITE_FULL:
        cause = full;
        break;
    case SQLITE_READONLY:
        cause = read_only;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        cause = _("the ledger is corrupt");
        break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        /* the system's errno says more than "disk I/O error" */
        if (sys) detail = strerror(sys);
        cause = sys == ENOSPC || sys == EDQUOT  ? full
                : sys == EROFS                  ? read_only
                : sys == EACCES || sys == EPERM ? denied
                : (code & 0xff) == SQLITE_IOERR ? _("the disk failed to read or write")
                                                : _("the ledger cannot be opened");
        break;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        cause = denied;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        cause = _("another process holds the ledger");
        break;
    case SQLITE_NOMEM:
        cause = _("out of memory");
        break;
    }
    if (cause)
        snprintf(l->failure, sizeof l->failure, "%s (%s)", cause, detail);
    else
        snprintf(l->failure, sizeof l->failure, "%s", detail);
}

const char *jade_ledger_failure(const struct jade_ledger *l)
{
    return l->failure[0] ? l->failure : _("the ledger refused a change");
}

/* The corrupt can only be put back or replaced. */
static bool corrupt(const struct jade_ledger *l)
{
    int code = sqlite3_extended_errcode(l->db) & 0xff;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static int fail(struct jade_ledger *l, struct jade_buf *err, const char *what)
{
    note_failure(l);
    if (!err) return -1;
    jade_buf_printf(err, "%s: %s", what, jade_ledger_failure(l));
    if (corrupt(l))
        jade_buf_puts(err, _(": put it back from a backup, or move it aside and start a new, "
                             "empty ledger with jade run --new-ledger"));
    return -1;
}

/* After a failure: SQLite may have rolled back already, and its "no
 * transaction is active" must not replace the cause noted. */
static void roll_back(struct jade_ledger *l)
{
    sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

static int exec(struct jade_ledger *l, const char *sql, struct jade_buf *err)
{
    if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK) return 0;
    note_failure(l);
    if (err) jade_buf_puts(err, jade_ledger_failure(l));
    return -1;
}

/* The file's schema version, refusing a newer one; -1 with err. */
static int schema_version(struct jade_ledger *l, const char *path, struct jade_buf *err)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return fail(l, err, path);
    if (sqlite3_step(st) != SQLITE_ROW) { /* the first read of the file: not one, or corrupt */
        fail(l, err, path);
        sqlite3_finalize(st);
        return -1;
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION) {
        jade_buf_printf(err,
                        _("%s was written by a newer jade (ledger schema %d; this jade knows "
                          "up to %d): run that version, or point state_dir elsewhere"),
                        path, version, SCHEMA_VERSION);
        return -1;
    }
    return version;
}

static int migrate(struct jade_ledger *l, const char *path, struct jade_buf *err)
{
    int version = schema_version(l, path, err);
    if (version < 0) return -1;
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec(l, "BEGIN IMMEDIATE", NULL) || exec(l, migrations[v], NULL) ||
            exec(l, pragma, NULL) || exec(l, "COMMIT", NULL)) {
            fail(l, err, path);
            roll_back(l);
            return -1;
        }
    }
    return 0;
}

static int prepare(struct jade_ledger *l, sqlite3_stmt **st, const char *sql, struct jade_buf *err)
{
    if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return 0;
    return fail(l, err, sql);
}

/* ---- identity ------------------------------------------------------------ */

#define MARKER "ledger.id"

static bool valid_id(const char *id)
{
    for (int i = 0; i < 32; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
    return true;
}

/* The id the state folder's marker names: 1, 0 when there is no marker,
 * -1 when it cannot be read (err). */
static int read_marker(const char *state_dir, char id[33], struct jade_buf *err)
{
    char *path = jade_xasprintf("%s/" MARKER, state_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;
    if (fd < 0 && errno != ENOENT) {
        jade_buf_printf(err, _("cannot read %s: %s"), path, strerror(errno));
        rc = -1;
    } else if (fd >= 0) {
        char line[40];
        ssize_t n = read(fd, line, sizeof line);
        close(fd);
        if (n == 33 && line[32] == '\n' && valid_id(line)) {
            memcpy(id, line, 32);
            id[32] = '\0';
            rc = 1;
        } else {
            jade_buf_printf(err,
                            _("%s is damaged (it holds one line: the id of the ledger this "
                              "folder holds): put it back, or take the ledger as it is with "
                              "jade run --new-ledger"),
                            path);
            rc = -1;
        }
    }
    free(path);
    return rc;
}

static int write_marker(const char *state_dir, const char *id, struct jade_buf *err)
{
    char *path = jade_xasprintf("%s/" MARKER, state_dir), line[34];
    snprintf(line, sizeof line, "%s\n", id);
    int rc = jade_write_file_durably(path, line, 33);
    if (rc != 0) jade_buf_printf(err, _("cannot write %s: %s"), path, strerror(errno));
    free(path);
    return rc;
}

static uint32_t word32(const unsigned char *p, bool big_endian)
{
    return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                      : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* A write-ahead log SQLite would throw away, and with it what the ledger
 * recorded since its last checkpoint: one with a header that is not
 * SQLite's (magic, version, checksum: sqlite.org/fileformat.html). None at
 * all, or an empty one, is what a clean stop or a checkpoint leaves. */
static bool wal_damaged(const char *wal)
{
    int fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false; /* none; one that cannot be read, SQLite says why */
    unsigned char h[32];
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n == 0) return false;
    if (n != (ssize_t)sizeof h) return true;
    uint32_t magic = word32(h, true);
    if ((magic & ~1u) != 0x377f0682 || word32(h + 4, true) != 3007000) return true;
    bool big = magic & 1; /* the byte order of the checksum's words */
    uint32_t s0 = 0, s1 = 0;
    for (int i = 0; i < 24; i += 8) {
        s0 += word32(h + i, big) + s1;
        s1 += word32(h + i + 4, big) + s0;
    }
    return s0 != word32(h + 24, true) || s1 != word32(h + 28, true);
}

/* The ledger's own id, or "" for one without (never written by a jade
 * that knows ids); -1 when it cannot be read. */
static int read_id(struct jade_ledger *l, char id[33])
{
    sqlite3_stmt *st;
    id[0] = '\0';
    if (sqlite3_prepare_v2(l->db, "SELECT id FROM identity LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int step = sqlite3_step(st);
    const char *text = (const char *)sqlite3_column_text(st, 0);
    if (step == SQLITE_ROW && text && strlen(text) == 32 && valid_id(text)) memcpy(id, text, 33);
    if (step != SQLITE_ROW && step != SQLITE_DONE) note_failure(l);
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* What a state folder that held a ledger does without it. */
static const char *const gone_advice =
    N_("without it jade cannot know what was sent, and a new ledger would send again everything "
       "still within catch_up_minutes: put it back from a backup (ledger.sqlite, with "
       "ledger.sqlite-wal if there was one), or, knowing that, start a new, empty ledger with "
       "jade run --new-ledger");

/* Whether the database holds no table at all; -1 when it cannot be read. */
static int holds_nothing(struct jade_ledger *l)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT NOT EXISTS (SELECT 1 FROM sqlite_schema)", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    int nothing = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return nothing;
}

/* The ledger at path (of schema version) is the one the marker names;
 * otherwise a refusal that says what to do. */
static int check_identity(struct jade_ledger *l, const char *path, int version, const char *marker,
                          struct jade_buf *err)
{
    int nothing = version == 0 ? holds_nothing(l) : 0;
    if (nothing < 0) return fail(l, err, path);
    if (nothing) {
        jade_buf_printf(err,
                        _("%s is empty, but this state folder held a ledger (%s names %s): %s"),
                        path, MARKER, marker, _(gone_advice));
        return -1;
    }
    char id[33] = "";
    if (version >= IDENTITY_SINCE && read_id(l, id) != 0) return fail(l, err, path);
    if (!strcmp(id, marker)) return 0;
    const char *which = *id ? id : version ? _("an older one, without an id") : _("not a ledger");
    jade_buf_printf(err,
                    _("%s is not the ledger this state folder held (%s names %s; this one is %s): "
                      "put that one back, or take this one as the folder's ledger with jade run "
                      "--new-ledger"),
                    path, MARKER, marker, which);
    return -1;
}

/* ---- open and close -------------------------------------------------------- */

int jade_ledger_open(const char *state_dir, bool new_ledger, struct jade_ledger **out,
                     struct jade_buf *err)
{
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        jade_buf_printf(err, _("cannot create the state folder %s: %s"), state_dir,
                        strerror(errno));
        return -1;
    }
    char marker[33] = "";
    struct jade_buf marker_err = {0};
    int marked = read_marker(state_dir, marker, &marker_err);
    if (marked < 0 && !new_ledger) {
        jade_buf_puts(err, jade_buf_str(&marker_err));
        jade_buf_free(&marker_err);
        return -1;
    }
    jade_buf_free(&marker_err);
    bool damaged = marked < 0; /* and new_ledger: replaced below */
    char *path = jade_xasprintf("%s/ledger.sqlite", state_dir);
    char *wal = jade_xasprintf("%s-wal", path);
    struct jade_ledger *l = jade_xcalloc(1, sizeof *l);
    int rc = -1;
    if (wal_damaged(wal)) {
        jade_buf_printf(err,
                        _("%s, the ledger's write-ahead log, is damaged: SQLite would ignore it "
                          "and lose what the ledger recorded since its last checkpoint, and "
                          "what was sent since then would be sent again. Put the state folder "
                          "back from a backup; or, knowing that, move the log aside (mv %s "
                          "%s.damaged) and start again from what the ledger held before it"),
                        wal, wal, wal);
        goto done;
    }
    if (marked > 0 && !new_ledger && access(path, F_OK) != 0) {
        jade_buf_printf(err,
                        _("%s is missing, but this state folder held a ledger (%s names %s): %s"),
                        path, MARKER, marker, _(gone_advice));
        goto done;
    }
    /* One thread at a time (ledger.h): the connection's mutex, taken by
     * every bind and column call, only cost time (6% of a large start). */
    if (sqlite3_open_v2(path, &l->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        fail(l, err, path);
        goto done;
    }
    sqlite3_busy_timeout(l->db, 5000);
    if (sqlite3_create_function(l->db, "jade_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                key_function, NULL, NULL) != SQLITE_OK) {
        fail(l, err, path);
        goto done;
    }
    /* Which ledger this is, before anything is written to it. */
    int version = schema_version(l, path, err);
    if (version < 0 || (marked > 0 && !new_ledger && check_identity(l, path, version, marker, err)))
        goto done;
    if (exec(l, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL) != 0) {
        fail(l, err, path);
        goto done;
    }
    if (migrate(l, path, err) != 0) goto done;
    l->version = SCHEMA_VERSION;
    if (read_id(l, l->id) != 0) {
        fail(l, err, path);
        goto done;
    }
    if (!l->id[0]) { /* only by hand: migration 7 gives every ledger one */
        jade_buf_printf(err, _("%s has lost its id (its table identity is empty)"), path);
        goto done;
    }
    /* The marker is written after the ledger it names: a crash between
     * leaves a ledger without a marker, taken as it is at the next start. */
    if (strcmp(l->id, marker) != 0) {
        if (write_marker(state_dir, l->id, err) != 0) goto done;
        if (marked > 0 || damaged)
            snprintf(l->replaced, sizeof l->replaced, "%s",
                     damaged ? _("the one its damaged ledger.id named") : marker);
    }
    if (prepare(l, &l->set,
                "UPDATE occurrences SET state = coalesce(?2, state), updated = ?3,"
                " sent_at = CASE WHEN ?2 = 'sent' THEN coalesce(sent_at, ?3) ELSE sent_at END,"
                " attempts = attempts + ?4,"
                " next_attempt = ?5, network_id = coalesce(?6, network_id),"
                " url = coalesce(?7, url), error = coalesce(?8, error),"
                " commit_id = coalesce(?9, commit_id), signer = coalesce(?10, signer),"
                " removal = CASE WHEN ?11 = '' THEN NULL ELSE coalesce(?11, removal) END"
                " WHERE key = ?1",
                err) ||
        prepare(l, &l->event,
                "INSERT INTO events (key, at, state, detail, commit_id, signer)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                err))
        goto done;
    rc = 0;
done:
    free(path);
    free(wal);
    if (rc != 0) {
        jade_ledger_close(l);
        return -1;
    }
    *out = l;
    return 0;
}

const char *jade_ledger_id(const struct jade_ledger *l)
{
    return l->id;
}

const char *jade_ledger_replaced(const struct jade_ledger *l)
{
    return l->replaced[0] ? l->replaced : NULL;
}

int jade_ledger_open_readonly(const char *state_dir, struct jade_ledger **out, struct jade_buf *err)
{
    char *path = jade_xasprintf("%s/ledger.sqlite", state_dir);
    struct jade_ledger *l = jade_xcalloc(1, sizeof *l);
    struct stat st;
    int rc = -1;
    if (stat(path, &st) != 0) {
        jade_buf_printf(err, _("%s holds no ledger (%s): is it the service's state_dir?"),
                        state_dir, strerror(errno));
        goto done;
    }
    if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fail(l, err, path);
        goto done;
    }
    sqlite3_busy_timeout(l->db, 5000);
    /* readers join events (keys as text) to occurrences (keys as bytes) */
    if (sqlite3_create_function(l->db, "jade_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                key_function, NULL, NULL) != SQLITE_OK) {
        fail(l, err, path);
        goto done;
    }
    int version = schema_version(l, path, err);
    if (version == 0) jade_buf_printf(err, _("%s is not a jade ledger"), path);
    if (version <= 0) goto done;
    l->version = version;
    rc = 0;
done:
    free(path);
    if (rc != 0) {
        jade_ledger_close(l);
        return -1;
    }
    *out = l;
    return 0;
}

struct sqlite3 *jade_ledger_sqlite(struct jade_ledger *l)
{
    return l->db;
}

int jade_ledger_schema(const struct jade_ledger *l)
{
    return l->version;
}

void jade_ledger_close(struct jade_ledger *l)
{
    if (!l) return;
    sqlite3_finalize(l->set);
    sqlite3_finalize(l->event);
    sqlite3_close(l->db);
    free(l);
}

int jade_ledger_begin(struct jade_ledger *l)
{
    if (l->depth++ > 0) return 0;
    l->failure[0] = '\0';
    return exec(l, "BEGIN IMMEDIATE", NULL);
}

int jade_ledger_commit(struct jade_ledger *l)
{
    if (l->depth == 0 || --l->depth > 0) return 0;
    if (exec(l, "COMMIT", NULL) == 0) return 0;
    roll_back(l); /* none of it was written */
    return -1;
}

void jade_ledger_rollback(struct jade_ledger *l)
{
    if (l->depth == 0) return;
    l->depth = 0;
    note_failure(l); /* what made it roll back, if SQLite said */
    roll_back(l);
}

int jade_ledger_checkpoint(struct jade_ledger *l)
{
    return exec(l, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
}

static int record_event(struct jade_ledger *l, const char *key, int64_t at, const char *state,
                        const char *detail, const char *commit, const char *signer)
{
    sqlite3_reset(l->event);
    sqlite3_bind_text(l->event, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(l->event, 2, at);
    sqlite3_bind_text(l->event, 3, state, -1, SQLITE_STATIC);
    const char *texts[] = {detail, commit, signer};
    for (int i = 0; i < 3; i++)
        texts[i] ? sqlite3_bind_text(l->event, 4 + i, texts[i], -1, SQLITE_STATIC)
                 : sqlite3_bind_null(l->event, 4 + i);
    return sqlite3_step(l->event) == SQLITE_DONE ? 0 : -1;
}

int jade_ledger_set(struct jade_ledger *l, const struct jade_update *u)
{
    sqlite3_stmt *st = l->set;
    sqlite3_reset(st);
    bind_key(st, 1, u->key);
    bool keep = u->state == JADE_N_STATES; /* only the other fields change */
    keep ? sqlite3_bind_null(st, 2)
         : sqlite3_bind_text(st, 2, jade_state_name(u->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, u->at);
    sqlite3_bind_int(st, 4, u->attempts_delta);
    if (u->state == JADE_RETRYING)
        sqlite3_bind_int64(st, 5, u->next_attempt);
    else
        sqlite3_bind_null(st, 5);
    const char *texts[] = {u->network_id, u->url, u->error, u->commit, u->signer, u->removal};
    for (int i = 0; i < 6; i++)
        texts[i] ? sqlite3_bind_text(st, 6 + i, texts[i], -1, SQLITE_STATIC)
                 : sqlite3_bind_null(st, 6 + i);
    if (sqlite3_step(st) != SQLITE_DONE) return -1;
    if (sqlite3_changes(l->db) != 1) {
        snprintf(l->failure, sizeof l->failure, _("no occurrence has the key %s"), u->key);
        return -1;
    }
    return record_event(l, u->key, u->at, keep ? "removal" : jade_state_name(u->state),
                        keep && u->removal ? u->removal : u->error, u->commit, u->signer);
}

int jade_ledger_note(struct jade_ledger *l, const char *key, int64_t at, const char *detail)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM occurrences WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    bind_key(st, 1, key);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_DONE) return 1; /* no such occurrence: nothing to note */
    if (step != SQLITE_ROW) return -1;
    return record_event(l, key, at, "late", detail, NULL, NULL);
}

int jade_ledger_apply(struct jade_ledger *l, const struct jade_update *updates, size_t count)
{
    if (jade_ledger_begin(l) != 0) return -1;
    for (size_t i = 0; i < count; i++) {
        if (jade_ledger_set(l, &updates[i]) != 0) {
            jade_ledger_rollback(l);
            return -1;
        }
    }
    return jade_ledger_commit(l);
}

static const char *text_col(sqlite3_stmt *st, int i);
static int each_row(struct jade_ledger *l, sqlite3_stmt *st, jade_ledger_row_cb cb, void *ctx);

/* Binds a commit id, or NULL for a folder source. */
static int bind_commit(sqlite3_stmt *st, int i, const char *commit)
{
    return commit ? sqlite3_bind_text(st, i, commit, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Whether the ledger holds no occurrence at all; -1 on failure. */
static int ledger_empty(struct jade_ledger *l)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT NOT EXISTS (SELECT 1 FROM occurrences)", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    int empty = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return empty;
}

/* Drops the indexes of occurrences, keeping in sql what builds them again. */
static int drop_indexes(struct jade_ledger *l, struct jade_buf *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
                           " AND tbl_name = 'occurrences' AND sql IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    struct jade_buf drop = {0};
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        jade_buf_printf(&drop, "DROP INDEX \"%s\";", text_col(st, 0));
        jade_buf_printf(sql, "%s;", text_col(st, 1));
    }
    sqlite3_finalize(st);
    int rc = step == SQLITE_DONE ? exec(l, jade_buf_str(&drop), NULL) : -1;
    jade_buf_free(&drop);
    return rc;
}

/* What left the plan: found first, cancelled after. */
struct vanished_key {
    char *key, *channel;
    const char *why; /* static text, or NULL */
};

struct vanished {
    struct vanished_key *items;
    size_t count, cap;
};

static void add_vanished(struct vanished *v, const char *key, const char *channel, const char *why)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->items = jade_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->count++] =
        (struct vanished_key){jade_xstrdup(key), jade_xstrdup(channel ? channel : ""), why};
}

static void note_change(struct jade_waiting_changes *changes, const char *key, const char *channel,
                        int64_t due, int attempts, bool waits)
{
    if (!changes) return;
    if (changes->count == changes->cap) {
        changes->cap = changes->cap ? changes->cap * 2 : 64;
        changes->items = jade_xrealloc(changes->items, changes->cap * sizeof *changes->items);
    }
    struct jade_waiting_change *c = &changes->items[changes->count++];
    *c = (struct jade_waiting_change){.channel = jade_xstrdup(channel ? channel : ""),
                                      .due = due,
                                      .attempts = attempts,
                                      .waits = waits};
    snprintf(c->key, sizeof c->key, "%s", key);
}

void jade_waiting_changes_clear(struct jade_waiting_changes *changes)
{
    for (size_t i = 0; i < changes->count; i++) free(changes->items[i].channel);
    free(changes->items);
    memset(changes, 0, sizeof *changes);
}

/* Marks in write[] what plan has and prev had not at the same time, and
 * adds to gone what prev had in [from, to) and plan has not. Both plans
 * are sorted by due time: they are walked side by side, occurrences due
 * at the same time matched by key, and only what differs is looked up. */
static void compare_plans(const struct jade_plan *plan, const struct jade_plan_index *by_key,
                          const struct jade_reconcile_previous *prev, int64_t from, int64_t to,
                          bool *write, struct vanished *gone, jade_cancel_reason_cb reason,
                          void *reason_ctx)
{
    enum { MATCH_MAX = 64 }; /* beyond, at one time, by key (no quadratic walk) */
    const struct jade_occurrence *now = plan->items, *was = prev->plan->items;
    size_t n = plan->count, m = prev->plan->count;
    for (size_t i = 0, j = 0; i < n || j < m;) {
        int64_t due = i < n && (j >= m || now[i].due <= was[j].due) ? now[i].due : was[j].due;
        size_t i_end = i, first = j, j_end = j; /* the occurrences due then */
        while (i_end < n && now[i_end].due == due) i_end++;
        while (j_end < m && was[j_end].due == due) j_end++;
        bool matched[MATCH_MAX] = {0}, small = j_end - first <= MATCH_MAX;
        for (; i < i_end; i++) {
            bool same = false;
            for (size_t k = first; small && k < j_end && !same; k++)
                if (!matched[k - first] && !strcmp(now[i].key, was[k].key))
                    same = matched[k - first] = true;
            if (same) continue;
            const struct jade_occurrence *o = jade_plan_index_find(prev->by_key, now[i].key);
            write[i] = !o || o->due != now[i].due;
        }
        for (j = first; j < j_end; j++) {
            const struct jade_occurrence *o = &was[j];
            if ((small && matched[j - first]) || o->due < from || o->due >= to ||
                jade_plan_index_find(by_key, o->key))
                continue;
            add_vanished(gone, o->key, o->channel_id,
                         reason ? reason(reason_ctx, o->campaign->id, o->post->id, o->channel_id)
                                : NULL);
        }
    }
}

int jade_ledger_reconcile(struct jade_ledger *l, const struct jade_plan *plan,
                          const struct jade_plan_index *by_key, int64_t from, int64_t to,
                          const char *commit, int64_t now, jade_cancel_reason_cb reason,
                          void *reason_ctx, const struct jade_reconcile_previous *prev,
                          struct jade_waiting_changes *changes, struct jade_reconcile_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    sqlite3_stmt *ins = NULL, *move = NULL, *revive = NULL, *gone = NULL, *cancel = NULL;
    int rc = -1;
    struct jade_plan_index own = {0};
    if (!by_key) {
        jade_plan_index_build(plan, &own);
        by_key = &own;
    }
    /* Which occurrences to write: all, or after a previous plan those it
     * did not have at the same time (the ledger has those). */
    bool *write = jade_xcalloc(plan->count + 1, sizeof *write);
    struct vanished gone_list = {0};
    if (prev)
        compare_plans(plan, by_key, prev, from, to, write, &gone_list, reason, reason_ctx);
    else
        for (size_t i = 0; i < plan->count; i++) write[i] = true;
    struct jade_buf indexes = {0};
    if (jade_ledger_begin(l) != 0) goto out;
    /* Into an empty ledger, rows are appended with no index to keep up and
     * each index is built once after them, from sorted entries: written one
     * by one, at random places of indexes larger than the page cache, they
     * made a large first start superlinear. Nothing can have left the plan
     * either. A plan with a key twice takes the usual way: the key's index
     * must be there to catch the second. */
    int empty = ledger_empty(l);
    bool bulk = empty == 1 && plan->count > 0 && !by_key->duplicates;
    if (empty < 0 || (bulk && drop_indexes(l, &indexes) != 0)) goto done;
    if (sqlite3_prepare_v2(l->db,
                           "INSERT OR IGNORE INTO occurrences (key, campaign, post, channel,"
                           " network, lang, due, state, commit_id, created, updated)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(l->db,
                           "UPDATE occurrences SET due = ?2, commit_id = ?3, updated = ?4"
                           " WHERE key = ?1 AND state = 'planned' AND due <> ?2 RETURNING attempts",
                           -1, &move, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(l->db,
                           "UPDATE occurrences SET state = 'planned', due = ?2, commit_id = ?3,"
                           " updated = ?4, next_attempt = NULL WHERE key = ?1"
                           " AND state = 'cancelled' RETURNING attempts",
                           -1, &revive, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(l->db,
                           "SELECT key, campaign, post, channel FROM occurrences"
                           " WHERE state IN ('planned', 'retrying') AND due >= ?1 AND due < ?2",
                           -1, &gone, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(l->db,
                           "UPDATE occurrences SET state = 'cancelled', updated = ?2,"
                           " next_attempt = NULL, error = ?3 WHERE key = ?1"
                           " AND state IN ('planned', 'retrying') AND due >= ?4 AND due < ?5",
                           -1, &cancel, NULL) != SQLITE_OK)
        goto done;
    for (size_t i = 0; i < plan->count; i++) {
        const struct jade_occurrence *o = &plan->items[i];
        if (!write[i]) continue;
        const char *network = json_string_value(json_object_get(o->channel, "network"));
        const char *from_commit = o->campaign->commit ? o->campaign->commit : commit;
        sqlite3_reset(ins);
        bind_key(ins, 1, o->key);
        sqlite3_bind_text(ins, 2, o->campaign->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, o->post->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, o->channel_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, network ? network : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, o->lang, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 7, o->due);
        bind_commit(ins, 8, from_commit);
        sqlite3_bind_int64(ins, 9, now);
        sqlite3_bind_int64(ins, 10, now);
        if (sqlite3_step(ins) != SQLITE_DONE) goto done;
        if (sqlite3_changes(l->db) > 0) {
            stats->inserted++;
            note_change(changes, o->key, o->channel_id, o->due, 0, true);
            if (record_event(l, o->key, now, "planned", NULL, NULL, NULL) != 0) goto done;
            continue;
        }
        sqlite3_stmt *again[] = {move, revive};
        for (int k = 0; k < 2; k++) {
            sqlite3_reset(again[k]);
            bind_key(again[k], 1, o->key);
            sqlite3_bind_int64(again[k], 2, o->due);
            bind_commit(again[k], 3, from_commit);
            sqlite3_bind_int64(again[k], 4, now);
            int step = sqlite3_step(again[k]);
            if (step == SQLITE_DONE) continue; /* no such row */
            if (step != SQLITE_ROW) goto done;
            int attempts = sqlite3_column_int(again[k], 0);
            if (sqlite3_step(again[k]) != SQLITE_DONE) goto done;
            note_change(changes, o->key, o->channel_id, o->due, attempts, true);
            if (k == 0) {
                stats->moved++;
            } else {
                stats->revived++;
                if (record_event(l, o->key, now, "planned", "back in the plan", from_commit,
                                 NULL) != 0)
                    goto done;
            }
            break;
        }
    }
    if (bulk && exec(l, jade_buf_str(&indexes), NULL) != 0) goto done; /* one sort each */
    /* What the plan no longer has, in the range it covers, is cancelled:
     * found first, changed after, so the scan never sees its own changes.
     * After a previous plan, what it had and this one has not (above); and
     * the ledger is scanned only where the previous plan did not reach. */
    int64_t ranges[2][2] = {{from, to}, {0, 0}};
    if (prev) {
        ranges[0][1] = prev->from < to ? prev->from : to;
        ranges[1][0] = prev->to > from ? prev->to : from;
        ranges[1][1] = to;
    }
    int step = SQLITE_DONE;
    for (int r = 0; r < 2 && step == SQLITE_DONE && !empty; r++) {
        if (ranges[r][0] >= ranges[r][1]) continue;
        sqlite3_reset(gone);
        sqlite3_bind_int64(gone, 1, ranges[r][0]);
        sqlite3_bind_int64(gone, 2, ranges[r][1]);
        while ((step = sqlite3_step(gone)) == SQLITE_ROW) {
            char buf[33];
            const char *key = key_col(gone, 0, buf);
            if (!key || jade_plan_index_find(by_key, key)) continue;
            const char *why =
                reason ? reason(reason_ctx, text_col(gone, 1), text_col(gone, 2), text_col(gone, 3))
                       : NULL;
            add_vanished(&gone_list, key, text_col(gone, 3), why);
        }
    }
    for (size_t i = 0; step == SQLITE_DONE && i < gone_list.count; i++) {
        const struct vanished_key *v = &gone_list.items[i];
        const char *why = v->why ? v->why : "no longer in the plan";
        sqlite3_reset(cancel);
        bind_key(cancel, 1, v->key);
        sqlite3_bind_int64(cancel, 2, now);
        sqlite3_bind_text(cancel, 3, why, -1, SQLITE_STATIC);
        sqlite3_bind_int64(cancel, 4, from);
        sqlite3_bind_int64(cancel, 5, to);
        if (sqlite3_step(cancel) != SQLITE_DONE) {
            step = SQLITE_ERROR;
            break;
        }
        if (sqlite3_changes(l->db) == 0) continue; /* sent, or being sent: left alone */
        note_change(changes, v->key, v->channel, 0, 0, false);
        if (record_event(l, v->key, now, "cancelled", why, commit, NULL) != 0) {
            step = SQLITE_ERROR;
            break;
        }
        stats->cancelled++;
    }
    if (step == SQLITE_DONE) rc = 0;
done:
    if (rc != 0) note_failure(l); /* before finalizing resets SQLite's code */
    sqlite3_finalize(ins);
    sqlite3_finalize(move);
    sqlite3_finalize(revive);
    sqlite3_finalize(gone);
    sqlite3_finalize(cancel);
    if (rc != 0)
        jade_ledger_rollback(l);
    else
        rc = jade_ledger_commit(l);
out:
    for (size_t i = 0; i < gone_list.count; i++) {
        free(gone_list.items[i].key);
        free(gone_list.items[i].channel);
    }
    free(gone_list.items);
    free(write);
    jade_plan_index_free(&own);
    jade_buf_free(&indexes);
    if (rc != 0 && changes) jade_waiting_changes_clear(changes);
    return rc;
}

int jade_ledger_mark_for_removal(struct jade_ledger *l, const char *campaign, const char *post,
                                 int64_t now, size_t *marked)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE occurrences SET removal = 'pending', updated = ?3"
                           " WHERE campaign = ?1 AND post = ?2 AND state IN ('sent', 'uncertain')"
                           " AND removal IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, campaign, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, post, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc == 0) *marked += (size_t)sqlite3_changes(l->db);
    sqlite3_finalize(st);
    return rc;
}

/* Each row a query without parameters gives. */
static int rows_of(struct jade_ledger *l, const char *sql, jade_ledger_row_cb cb, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) return fail(l, NULL, NULL);
    int rc = each_row(l, st, cb, ctx);
    sqlite3_finalize(st);
    return rc;
}

int jade_ledger_to_remove(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx)
{
    return rows_of(l,
                   "SELECT * FROM occurrences WHERE state IN ('sent', 'uncertain')"
                   " AND removal = 'pending' ORDER BY due, key",
                   cb, ctx);
}

int jade_ledger_by_hand(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx)
{
    return rows_of(l,
                   "SELECT * FROM occurrences WHERE removal IN ('by hand', 'failed')"
                   " ORDER BY due, key",
                   cb, ctx);
}

int jade_ledger_record_adoption(struct jade_ledger *l, const char *commit, const char *signer,
                                const char *const *kept, int64_t now)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            l->db, "INSERT INTO adoptions (commit_id, signer, kept, at) VALUES (?, ?, ?, ?)", -1,
            &st, NULL) != SQLITE_OK)
        return -1;
    struct jade_buf list = {0};
    for (size_t i = 0; kept && kept[i]; i++) jade_buf_printf(&list, "%s%s", i ? " " : "", kept[i]);
    bind_commit(st, 1, commit);
    bind_commit(st, 2, signer);
    bind_commit(st, 3, list.len ? jade_buf_str(&list) : NULL);
    sqlite3_bind_int64(st, 4, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    jade_buf_free(&list);
    return rc;
}

int jade_ledger_last_adoption(struct jade_ledger *l, char **commit, char **kept)
{
    *commit = *kept = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT commit_id, kept FROM adoptions WHERE commit_id IS NOT NULL"
                           " ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && text_col(st, 0)) *commit = jade_xstrdup(text_col(st, 0));
    if (step == SQLITE_ROW && text_col(st, 1)) *kept = jade_xstrdup(text_col(st, 1));
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

static const char *text_col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Columns in the order of CREATE TABLE occurrences. */
static void row_of(sqlite3_stmt *st, struct jade_ledger_row *r, char *key)
{
    r->key = key_col(st, 0, key);
    r->campaign = text_col(st, 1);
    r->post = text_col(st, 2);
    r->channel = text_col(st, 3);
    r->network = text_col(st, 4);
    r->lang = text_col(st, 5);
    r->due = sqlite3_column_int64(st, 6);
    r->state = state_of(text_col(st, 7));
    r->attempts = sqlite3_column_int(st, 8);
    r->next_attempt = sqlite3_column_int64(st, 9);
    r->network_id = text_col(st, 10);
    r->url = text_col(st, 11);
    r->error = text_col(st, 12);
    r->commit = text_col(st, 13);
    r->created = sqlite3_column_int64(st, 14);
    r->updated = sqlite3_column_int64(st, 15);
    r->signer = text_col(st, 16);
    r->removal = text_col(st, 17);
}

static int each_row(struct jade_ledger *l, sqlite3_stmt *st, jade_ledger_row_cb cb, void *ctx)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jade_ledger_row r;
        char key[33];
        row_of(st, &r, key);
        cb(ctx, &r);
    }
    if (rc == SQLITE_DONE) return 0;
    note_failure(l);
    return -1;
}

int jade_ledger_in_state(struct jade_ledger *l, enum jade_state state, jade_ledger_row_cb cb,
                         void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT * FROM occurrences WHERE state = ? ORDER BY due, key", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(l, NULL, NULL);
    sqlite3_bind_text(st, 1, jade_state_name(state), -1, SQLITE_STATIC);
    int rc = each_row(l, st, cb, ctx);
    sqlite3_finalize(st);
    return rc;
}

int jade_ledger_all(struct jade_ledger *l, jade_ledger_row_cb cb, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT * FROM occurrences ORDER BY due, key", -1, &st, NULL) !=
        SQLITE_OK)
        return fail(l, NULL, NULL);
    int rc = each_row(l, st, cb, ctx);
    sqlite3_finalize(st);
    return rc;
}

/* A key as text, whether stored as its bytes or (hand-made) as text. */
#define KEY_TEXT "(CASE WHEN typeof(key) = 'blob' THEN lower(hex(key)) ELSE key END)"

/* The WHERE clause of f, for a query on occurrences; its values are bound
 * by bind_filter. State names are jade's own words, written in. */
static void filter_sql(struct jade_buf *sql, const struct jade_ledger_filter *f)
{
    jade_buf_puts(sql, " WHERE due >= :from AND due < :to");
    if (f->states) {
        const char *sep = " AND state IN (";
        for (int i = 0; i < JADE_N_STATES; i++)
            if (f->states & (1u << i)) {
                jade_buf_printf(sql, "%s'%s'", sep, state_names[i]);
                sep = ", ";
            }
        jade_buf_puts(sql, ")");
    }
    if (f->campaign) jade_buf_puts(sql, " AND campaign = :campaign");
    if (f->channel) jade_buf_puts(sql, " AND channel = :channel");
    if (f->key_prefix)
        jade_buf_puts(sql, " AND substr(" KEY_TEXT ", 1, length(:prefix)) = :prefix");
}

static void bind_filter(sqlite3_stmt *st, const struct jade_ledger_filter *f)
{
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":from"), f->from);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":to"), f->to);
    const char *names[] = {":campaign", ":channel", ":prefix"};
    const char *values[] = {f->campaign, f->channel, f->key_prefix};
    for (int i = 0; i < 3; i++)
        if (values[i])
            sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, names[i]), values[i], -1,
                              SQLITE_STATIC);
}

/* Prepares sql, a query on the rows f selects, and binds f's values. */
static int prepare_filtered(struct jade_ledger *l, struct jade_buf *sql,
                            const struct jade_ledger_filter *f, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(l->db, jade_buf_str(sql), -1, st, NULL);
    jade_buf_free(sql);
    if (rc != SQLITE_OK) return fail(l, NULL, NULL);
    bind_filter(*st, f);
    return 0;
}

int jade_ledger_select(struct jade_ledger *l, const struct jade_ledger_filter *f,
                       jade_ledger_row_cb cb, void *ctx)
{
    struct jade_buf sql = {0};
    sqlite3_stmt *st;
    jade_buf_puts(&sql, "SELECT * FROM occurrences");
    filter_sql(&sql, f);
    jade_buf_puts(&sql, " ORDER BY due, key");
    if (prepare_filtered(l, &sql, f, &st) != 0) return -1;
    int rc = each_row(l, st, cb, ctx);
    sqlite3_finalize(st);
    return rc;
}

int jade_ledger_events(struct jade_ledger *l, const struct jade_ledger_filter *f,
                       jade_ledger_event_cb cb, void *ctx)
{
    struct jade_buf sql = {0};
    sqlite3_stmt *st;
    /* events keep keys as text; before schema 8, no commits */
    jade_buf_printf(&sql,
                    "SELECT key, at, state, detail, %s FROM events WHERE key IN"
                    " (SELECT " KEY_TEXT " FROM occurrences",
                    l->version >= EVENT_COMMITS_SINCE ? "commit_id, signer" : "NULL, NULL");
    filter_sql(&sql, f);
    jade_buf_puts(&sql, ") ORDER BY key, id");
    if (prepare_filtered(l, &sql, f, &st) != 0) return -1;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct jade_ledger_event e = {text_col(st, 0), sqlite3_column_int64(st, 1),
                                      text_col(st, 2), text_col(st, 3),
                                      text_col(st, 4), text_col(st, 5)};
        cb(ctx, &e);
    }
    if (step != SQLITE_DONE) note_failure(l);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

int jade_ledger_outcomes(struct jade_ledger *l, int64_t after, size_t limit,
                         jade_ledger_outcome_cb cb, void *ctx)
{
    sqlite3_stmt *st;
    /* by the events' id (their primary key): a batch reads only what is new */
    if (sqlite3_prepare_v2(
            l->db,
            "SELECT e.id, e.key, e.at, e.state, e.detail, o.campaign, o.post, o.channel,"
            " o.network, o.lang, o.network_id, o.url, o.commit_id FROM events e"
            " JOIN occurrences o ON o.key = jade_key(e.key) WHERE e.id > ?1 AND (e.state IN"
            " ('sent', 'uncertain', 'failed', 'missed', 'retracted', 'late') OR (e.state ="
            " 'removal' AND e.detail IN ('by hand', 'failed'))) ORDER BY e.id LIMIT ?2",
            -1, &st, NULL) != SQLITE_OK) {
        note_failure(l);
        return -1;
    }
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct jade_ledger_outcome o = {sqlite3_column_int64(st, 0),
                                        text_col(st, 1),
                                        sqlite3_column_int64(st, 2),
                                        text_col(st, 3),
                                        text_col(st, 4),
                                        text_col(st, 5),
                                        text_col(st, 6),
                                        text_col(st, 7),
                                        text_col(st, 8),
                                        text_col(st, 9),
                                        text_col(st, 10),
                                        text_col(st, 11),
                                        text_col(st, 12)};
        cb(ctx, &o);
    }
    if (step != SQLITE_DONE) note_failure(l);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

int64_t jade_ledger_last_event(struct jade_ledger *l)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT max(id) FROM events", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int64_t last = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return last;
}

int jade_ledger_count(struct jade_ledger *l, size_t counts[JADE_N_STATES])
{
    memset(counts, 0, JADE_N_STATES * sizeof *counts);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT state, count(*) FROM occurrences GROUP BY state", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        enum jade_state s = state_of(text_col(st, 0));
        if (s < JADE_N_STATES) counts[s] = (size_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

/* ---- halts ------------------------------------------------------------------ */

int jade_ledger_halts_read(struct jade_ledger *l, struct jade_halts *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "SELECT scope, target, reason, since FROM halts ORDER BY since",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        enum jade_halt_scope scope;
        if (jade_halt_scope_parse(text_col(st, 0), &scope) != 0) continue; /* not ours */
        jade_halts_add(out, scope, text_col(st, 1) ? text_col(st, 1) : "", text_col(st, 2),
                       sqlite3_column_int64(st, 3));
    }
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

int jade_ledger_halt_write(struct jade_ledger *l, const struct jade_halt *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "INSERT OR REPLACE INTO halts (scope, target, reason, since)"
                           " VALUES (?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, jade_halt_scope_name(h->scope), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, h->target, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, h->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, h->since);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int jade_ledger_halt_clear(struct jade_ledger *l, enum jade_halt_scope scope, const char *target)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, "DELETE FROM halts WHERE scope = ? AND target = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, jade_halt_scope_name(scope), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* ---- follow-up: the readings of sent publications ------------------------- */

int jade_ledger_sent_readings(struct jade_ledger *l, jade_ledger_sent_cb cb, void *ctx)
{
    sqlite3_stmt *st, *done;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT key, campaign, post, channel, lang, network_id, sent_at"
                           " FROM occurrences WHERE state = 'sent' AND removal IS NULL"
                           " AND sent_at IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(l, NULL, NULL);
    if (sqlite3_prepare_v2(l->db, "SELECT DISTINCT reading FROM metrics WHERE key = ?", -1, &done,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return fail(l, NULL, NULL);
    }
    int rc;
    int64_t *readings = NULL;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char key[33];
        struct jade_ledger_sent row = {.key = key_col(st, 0, key),
                                       .campaign = text_col(st, 1),
                                       .post = text_col(st, 2),
                                       .channel = text_col(st, 3),
                                       .lang = text_col(st, 4),
                                       .network_id = text_col(st, 5),
                                       .sent_at = sqlite3_column_int64(st, 6)};
        sqlite3_reset(done);
        sqlite3_bind_value(done, 1, sqlite3_column_value(st, 0));
        int step;
        while ((step = sqlite3_step(done)) == SQLITE_ROW) {
            if (row.n_done == cap) {
                cap = cap ? cap * 2 : 8;
                readings = jade_xrealloc(readings, cap * sizeof *readings);
            }
            readings[row.n_done++] = sqlite3_column_int64(done, 0);
        }
        if (step != SQLITE_DONE) {
            rc = step;
            break;
        }
        row.done = readings;
        cb(ctx, &row);
    }
    if (rc != SQLITE_DONE) note_failure(l);
    free(readings);
    sqlite3_finalize(done);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int jade_ledger_store_reading(struct jade_ledger *l, const char *key, int64_t reading,
                              int64_t read_at, const char *const *names, const int64_t *values,
                              size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO metrics (key, reading, read_at, name, value)"
                           " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(l, NULL, NULL);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(st);
        bind_key(st, 1, key);
        sqlite3_bind_int64(st, 2, reading);
        sqlite3_bind_int64(st, 3, read_at);
        sqlite3_bind_text(st, 4, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, values[i]);
        if (sqlite3_step(st) != SQLITE_DONE) rc = fail(l, NULL, NULL);
    }
    sqlite3_finalize(st);
    return rc;
}

int jade_ledger_count_readings(struct jade_ledger *l, size_t *publications, size_t *readings)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT count(DISTINCT key), count(*) FROM (SELECT DISTINCT key, reading"
                           " FROM metrics WHERE name <> '" JADE_METRIC_GIVEN_UP "')",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(l, NULL, NULL);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0) {
        *publications = (size_t)sqlite3_column_int64(st, 0);
        *readings = (size_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}
