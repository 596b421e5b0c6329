/* history.c - `jade history`: what the ledger holds, for people and
 * programs.
 *
 * jade history [--config FILE] [--format table|json|csv] [--state S[,S...]]...
 *              [--campaign C] [--channel CH] [--from T] [--to T]
 * jade history [--config FILE] [--format table|json|csv] --events KEY
 *
 * It only reads (jade_ledger_open_readonly), while the service runs too.
 * An occurrence's row says its state now; its events (every change, in
 * order) say the rest: when it became sent, and what answered its last
 * attempt, which the row's error column cannot tell (a change without an
 * error keeps the one before it). */
#include "cmd.h"
#include "common.h"

#include "../run/config.h"
#include "../run/ledger.h"
#include "../util/buf.h"
#include "../util/csv.h"
#include "../util/diag.h"
#include "../util/escape.h"
#include "../util/i18n.h"
#include "../util/timeparse.h"
#include "../util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format { TABLE, JSON, CSV };

/* ---- what the events add to a row --------------------------------------- */

struct summary {
    char *key;
    int64_t sent_at;  /* when it became sent; 0: never */
    bool awaiting;    /* its last attempt has no answer yet */
    char *answer;     /* the state that answered its last attempt, or NULL */
    char *answer_why; /* and that change's detail, or NULL */
};

struct summaries {
    struct summary *items; /* by key, as the ledger gives the events */
    size_t count, cap;
};

static void summarize_event(void *ctx, const struct jade_ledger_event *e)
{
    struct summaries *s = ctx;
    if (!e->key) return;
    if (!s->count || strcmp(s->items[s->count - 1].key, e->key) != 0) {
        if (s->count == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->items = jade_xrealloc(s->items, s->cap * sizeof *s->items);
        }
        s->items[s->count++] = (struct summary){.key = jade_xstrdup(e->key)};
    }
    struct summary *m = &s->items[s->count - 1];
    if (!strcmp(e->state, "sending")) {
        m->awaiting = true;
        free(m->answer);
        free(m->answer_why);
        m->answer = m->answer_why = NULL;
        return;
    }
    /* a mark, or what the network said later: not an answer */
    if (!strcmp(e->state, "removal") || !strcmp(e->state, "late")) return;
    if (m->awaiting) {
        m->awaiting = false;
        m->answer = jade_xstrdup(e->state);
        m->answer_why = e->detail ? jade_xstrdup(e->detail) : NULL;
    }
    if (!strcmp(e->state, "sent")) m->sent_at = e->at;
}

static int by_key(const void *key, const void *item)
{
    return strcmp(key, ((const struct summary *)item)->key);
}

static const struct summary *summary_of(const struct summaries *s, const char *key)
{
    return s->count ? bsearch(key, s->items, s->count, sizeof *s->items, by_key) : NULL;
}

static void summaries_free(struct summaries *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].key);
        free(s->items[i].answer);
        free(s->items[i].answer_why);
    }
    free(s->items);
}

/* ---- one occurrence, as history shows it -------------------------------- */

/* The fields, in the order of the CSV columns and the JSON members. */
enum {
    F_KEY,
    F_CAMPAIGN,
    F_POST,
    F_CHANNEL,
    F_NETWORK,
    F_LANG,
    F_DUE,
    F_STATE,
    F_ATTEMPTS,
    F_SENT_AT,
    F_NEXT_ATTEMPT,
    F_NETWORK_ID,
    F_URL,
    F_COMMIT,
    F_SIGNER,
    F_REASON,
    F_ERROR,
    F_REMOVAL,
    F_UPDATED,
    N_FIELDS
};
static const char *const field_names[N_FIELDS] = {
    "key",    "campaign", "post",    "channel",      "network",    "lang", "due",
    "state",  "attempts", "sent_at", "next_attempt", "network_id", "url",  "commit",
    "signer", "reason",   "error",   "removal",      "updated"};

static char *utc(int64_t t)
{
    char s[32];
    jade_format_utc(t, s);
    return jade_xstrdup(s);
}

static char *dup_or_null(const char *s)
{
    return s ? jade_xstrdup(s) : NULL;
}

/* Why it left the plan, was missed or retracted, or must be removed by
 * hand: what the change that settled it said (those always say why). */
static const char *reason_of(const struct jade_ledger_row *r)
{
    bool marked = r->removal && strcmp(r->removal, "pending") != 0;
    if (r->state == JADE_CANCELLED || r->state == JADE_MISSED || r->state == JADE_RETRACTED ||
        marked)
        return r->error;
    return NULL;
}

/* The error of the last attempt, while it matters: never once sent. A
 * failed, uncertain or retrying row got its error with its state; other
 * rows (planned again, cancelled, missed) take what answered their last
 * attempt, unless that was the reason itself. */
static const char *error_of(const struct jade_ledger_row *r, const struct summary *m)
{
    switch (r->state) {
    case JADE_SENT:
    case JADE_RETRACTED:
    case JADE_SENDING:
        return NULL;
    case JADE_FAILED:
    case JADE_UNCERTAIN:
    case JADE_RETRYING:
        if (!r->removal) return r->error;
        break;
    default:
        break;
    }
    if (!m || !m->answer || !strcmp(m->answer, "sent") || !strcmp(m->answer, "missed") ||
        !strcmp(m->answer, "cancelled"))
        return NULL;
    return m->answer_why;
}

/* A row's fields (malloc'd, NULL where it has none). */
static void fields_of(const struct jade_ledger_row *r, const struct summary *m, char *f[N_FIELDS])
{
    f[F_KEY] = jade_xstrdup(r->key);
    f[F_CAMPAIGN] = dup_or_null(r->campaign);
    f[F_POST] = dup_or_null(r->post);
    f[F_CHANNEL] = dup_or_null(r->channel);
    f[F_NETWORK] = dup_or_null(r->network);
    f[F_LANG] = dup_or_null(r->lang);
    f[F_DUE] = utc(r->due);
    f[F_STATE] = jade_xstrdup(jade_state_name(r->state));
    f[F_ATTEMPTS] = jade_xasprintf("%d", r->attempts);
    f[F_SENT_AT] = m && m->sent_at ? utc(m->sent_at) : NULL;
    f[F_NEXT_ATTEMPT] = r->state == JADE_RETRYING ? utc(r->next_attempt) : NULL;
    f[F_NETWORK_ID] = dup_or_null(r->network_id);
    f[F_URL] = dup_or_null(r->url);
    f[F_COMMIT] = dup_or_null(r->commit);
    f[F_SIGNER] = dup_or_null(r->signer);
    f[F_REASON] = dup_or_null(reason_of(r));
    f[F_ERROR] = dup_or_null(error_of(r, m));
    f[F_REMOVAL] = dup_or_null(r->removal);
    f[F_UPDATED] = utc(r->updated);
}

static void free_fields(char **f, size_t n)
{
    for (size_t i = 0; i < n; i++) free(f[i]);
}

/* A field for a terminal or a CSV cell: one line, nothing that steers a
 * terminal (escape.h). */
static char *shown(const char *s)
{
    return s ? jade_escaped(s) : jade_xstrdup("");
}

/* ---- output ---------------------------------------------------------------- */

struct output {
    enum format format;
    const struct summaries *summaries;
    json_t *list;            /* JSON */
    char *(*rows)[N_FIELDS]; /* table: every row's fields, escaped */
    size_t count, cap;
};

static void json_fields(json_t *list, char **f, const char *const *names, size_t n, size_t number)
{
    json_t *o = json_object();
    for (size_t k = 0; k < n; k++)
        json_object_set_new(o, names[k],
                            k == number ? json_integer(atoi(f[k]))
                            : f[k]      ? jade_json_text(f[k])
                                        : json_null());
    json_array_append_new(list, o);
}

static void csv_fields(char **f, size_t n)
{
    char **cells = jade_xcalloc(n, sizeof *cells);
    for (size_t k = 0; k < n; k++) cells[k] = shown(f[k]);
    jade_csv_record(stdout, (const char *const *)cells, n);
    free_fields(cells, n);
    free(cells);
}

static void output_row(void *ctx, const struct jade_ledger_row *r)
{
    struct output *o = ctx;
    char *f[N_FIELDS];
    fields_of(r, summary_of(o->summaries, r->key), f);
    if (o->format == JSON) {
        json_fields(o->list, f, field_names, N_FIELDS, F_ATTEMPTS);
    } else if (o->format == CSV) {
        csv_fields(f, N_FIELDS);
    } else {
        if (o->count == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 64;
            o->rows = jade_xrealloc(o->rows, o->cap * sizeof *o->rows);
        }
        for (int k = 0; k < N_FIELDS; k++) o->rows[o->count][k] = f[k] ? shown(f[k]) : NULL;
        o->count++;
    }
    free_fields(f, N_FIELDS);
}

/* s padded with spaces to width characters (not bytes), then two more. */
static void cell(const char *s, size_t width)
{
    printf("%-*s  ", (int)(width + strlen(s) - jade_utf8_length(s, strlen(s))), s);
}

static size_t columns(const char *s)
{
    return jade_utf8_length(s, strlen(s));
}

/* One line per occurrence, and below it what there is to say: when it was
 * sent, where, from which commit; the next attempt; the reason; the error. */
static void write_table(struct output *o)
{
    enum { C_DUE, C_STATE, C_TRY, C_CHANNEL, C_LANG, N_COLS };
    static const char *const titles[N_COLS] = {N_("due (UTC)"), N_("state"), N_("try"),
                                               N_("channel"), N_("lang")};
    static const int from_field[N_COLS] = {F_DUE, F_STATE, F_ATTEMPTS, F_CHANNEL, F_LANG};
    size_t width[N_COLS];
    for (int c = 0; c < N_COLS; c++) width[c] = columns(_(titles[c]));
    width[C_DUE] = width[C_DUE] > 16 ? width[C_DUE] : 16;
    for (size_t i = 0; i < o->count; i++) {
        char **f = o->rows[i];
        f[F_DUE][16] = '\0'; /* minutes are enough for people */
        f[F_DUE][10] = ' ';
        for (int c = 0; c < N_COLS; c++)
            if (columns(f[from_field[c]]) > width[c]) width[c] = columns(f[from_field[c]]);
    }
    for (int c = 0; c < N_COLS; c++)
        if (c == C_TRY) /* numbers to the right */
            printf("%*s  ", (int)width[c], _(titles[c]));
        else
            cell(_(titles[c]), width[c]);
    printf("%s\n", _("campaign/post"));
    for (size_t i = 0; i < o->count; i++) {
        char **f = o->rows[i];
        cell(f[F_DUE], width[C_DUE]);
        cell(f[F_STATE], width[C_STATE]);
        printf("%*s  ", (int)width[C_TRY], f[F_ATTEMPTS]);
        cell(f[F_CHANNEL], width[C_CHANNEL]);
        cell(f[F_LANG], width[C_LANG]);
        printf("%s/%s\n", f[F_CAMPAIGN], f[F_POST]);
        struct jade_buf facts = {0};
        if (f[F_SENT_AT]) jade_buf_printf(&facts, _("  sent %s"), f[F_SENT_AT]);
        if (f[F_NETWORK_ID]) jade_buf_printf(&facts, _("  id %s"), f[F_NETWORK_ID]);
        if (atoi(f[F_ATTEMPTS]) > 0 && f[F_COMMIT])
            jade_buf_printf(&facts, _("  commit %.12s"), f[F_COMMIT]);
        if (f[F_SIGNER]) jade_buf_printf(&facts, _("  signed by %s"), f[F_SIGNER]);
        if (f[F_REMOVAL]) jade_buf_printf(&facts, _("  to remove: %s"), f[F_REMOVAL]);
        if (f[F_NEXT_ATTEMPT]) jade_buf_printf(&facts, _("  next attempt %s"), f[F_NEXT_ATTEMPT]);
        if (facts.len) printf("  %s\n", jade_buf_str(&facts));
        if (f[F_URL]) printf(_("    link: %s\n"), f[F_URL]);
        jade_buf_free(&facts);
        if (f[F_REASON]) printf(_("    reason: %s\n"), f[F_REASON]);
        if (f[F_ERROR]) printf(_("    error: %s\n"), f[F_ERROR]);
        free_fields(f, N_FIELDS);
    }
    printf(_("%zu occurrence(s)\n"), o->count);
}

/* Ends an output: writes the JSON array out (when out, and the ledger was
 * read), frees list, and says why the ledger could not be read (rc). */
static int finish(struct jade_ledger *ledger, int rc, json_t *out, json_t *list)
{
    if (rc == 0 && out) {
        jade_json_dump(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    }
    json_decref(list);
    if (rc == 0) return JADE_EXIT_OK;
    jade_print(stderr, _("jade history: cannot read the ledger: %s\n"),
               jade_ledger_failure(ledger));
    return JADE_EXIT_FAILED;
}

/* ---- one occurrence's trail (--events) ------------------------------------- */

enum { E_KEY, E_AT, E_STATE, E_ATTEMPT, E_DETAIL, E_COMMIT, E_SIGNER, N_EVENT_FIELDS };
static const char *const event_names[N_EVENT_FIELDS] = {"key",    "at",     "state", "attempt",
                                                        "detail", "commit", "signer"};

struct trail {
    enum format format;
    const char *key;
    int attempt; /* the attempt each change belongs to: the sendings so far */
    json_t *list;
};

static void trail_event(void *ctx, const struct jade_ledger_event *e)
{
    struct trail *t = ctx;
    if (!e->key || strcmp(e->key, t->key) != 0) return; /* a longer key with this start */
    if (!strcmp(e->state, "sending")) t->attempt++;
    char *f[N_EVENT_FIELDS] = {jade_xstrdup(e->key),   utc(e->at),
                               jade_xstrdup(e->state), jade_xasprintf("%d", t->attempt),
                               dup_or_null(e->detail), dup_or_null(e->commit),
                               dup_or_null(e->signer)};
    if (t->format == JSON) {
        json_fields(t->list, f, event_names, N_EVENT_FIELDS, E_ATTEMPT);
    } else if (t->format == CSV) {
        csv_fields(f, N_EVENT_FIELDS);
    } else {
        struct jade_buf said = {0};
        if (e->detail) jade_buf_puts(&said, e->detail);
        if (e->signer) jade_buf_printf(&said, _("%ssigned by %s"), said.len ? "  " : "", e->signer);
        char *state = shown(f[E_STATE]), *detail = shown(jade_buf_str(&said)),
             *commit = shown(f[E_COMMIT]);
        f[E_AT][10] = ' ';
        f[E_AT][19] = '\0';
        char *line = jade_xasprintf("%s  %-9s  %3s  %-12.12s  %s", f[E_AT], state, f[E_ATTEMPT],
                                    commit, detail);
        size_t n = strlen(line);
        while (n && line[n - 1] == ' ') line[--n] = '\0'; /* no commit, no detail */
        puts(line);
        free(line);
        free(state);
        free(detail);
        free(commit);
        jade_buf_free(&said);
    }
    free_fields(f, N_EVENT_FIELDS);
}

/* The occurrences whose key starts with a prefix: the first few. */
struct matches {
    char keys[4][64];
    char *exact; /* the one whose key is the prefix itself */
    size_t count;
    const char *prefix;
    struct jade_ledger_row row; /* the one, when it is one: strings copied */
};

static void match_row(void *ctx, const struct jade_ledger_row *r)
{
    struct matches *m = ctx;
    if (m->count < 4) snprintf(m->keys[m->count], sizeof m->keys[0], "%s", r->key);
    m->count++;
    if (!strcmp(r->key, m->prefix) || m->count == 1) {
        free((char *)m->row.key);
        free((char *)m->row.campaign);
        free((char *)m->row.post);
        free((char *)m->row.channel);
        free((char *)m->row.lang);
        m->row = (struct jade_ledger_row){.key = jade_xstrdup(r->key),
                                          .campaign = jade_xstrdup(r->campaign),
                                          .post = jade_xstrdup(r->post),
                                          .channel = jade_xstrdup(r->channel),
                                          .lang = jade_xstrdup(r->lang),
                                          .due = r->due,
                                          .state = r->state,
                                          .attempts = r->attempts};
        if (!strcmp(r->key, m->prefix)) m->exact = (char *)m->row.key;
    }
}

static void matches_free(struct matches *m)
{
    free((char *)m->row.key);
    free((char *)m->row.campaign);
    free((char *)m->row.post);
    free((char *)m->row.channel);
    free((char *)m->row.lang);
}

/* --events KEY: the key, or a start of it that only one key has (as git
 * takes a commit's); exit 1 when none has it, or several. */
static int write_trail(struct jade_ledger *ledger, const char *key, enum format format)
{
    struct jade_ledger_filter f = JADE_LEDGER_FILTER_ANY;
    f.key_prefix = key;
    struct matches m = {.prefix = key};
    if (jade_ledger_select(ledger, &f, match_row, &m) != 0) {
        matches_free(&m);
        return finish(ledger, -1, NULL, NULL);
    }
    if (m.count == 0 || (m.count > 1 && !m.exact)) {
        if (m.count == 0)
            jade_print(stderr,
                       _("jade history: no occurrence has a key that starts with \"%s\" (jade "
                         "history lists the keys)\n"),
                       key);
        else
            jade_print(stderr,
                       _("jade history: %zu occurrences have a key that starts with \"%s\" "
                         "(%s, %s%s): give more of it\n"),
                       m.count, key, m.keys[0], m.keys[1], m.count > 2 ? ", ..." : "");
        matches_free(&m);
        return JADE_EXIT_FAILED;
    }
    struct trail t = {format, m.row.key, 0, json_array()};
    if (format == CSV) jade_csv_record(stdout, event_names, N_EVENT_FIELDS);
    if (format == TABLE) {
        char due[32];
        jade_format_utc(m.row.due, due);
        jade_print(stdout, _("occurrence %s: %s/%s on %s (%s), due %s, %s after %d attempt(s)\n"),
                   m.row.key, m.row.campaign, m.row.post, m.row.channel, m.row.lang, due,
                   jade_state_name(m.row.state), m.row.attempts);
        printf("%-19s  %-9s  %3s  %-12s  %s\n", _("at (UTC)"), _("state"), _("try"), _("commit"),
               _("detail"));
    }
    f.key_prefix = m.row.key;
    int rc = jade_ledger_events(ledger, &f, trail_event, &t);
    matches_free(&m);
    return finish(ledger, rc, format == JSON ? t.list : NULL, t.list);
}

/* ---- the command ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fputs(_("usage: jade history [--config FILE] [--format table|json|csv]\n"
            "                    [--state S[,S...]]... [--campaign C] [--channel CH]\n"
            "                    [--from T] [--to T]\n"
            "       jade history [--config FILE] [--format table|json|csv] --events KEY\n"
            "\n"
            "Every occurrence in the ledger: its state, attempts, when it was sent, the\n"
            "network's id, the commit and signer it was sent from, why it was cancelled\n"
            "or missed, the error of its last attempt. Filters hold together: --state\n"
            "(planned, sending, sent, retrying, failed, uncertain, cancelled, missed,\n"
            "retracted), --campaign, --channel, and --from/--to on the due time (T is\n"
            "YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339; UTC unless it says). --events KEY\n"
            "gives one occurrence's every change, in order; KEY may be the start of a\n"
            "key that only one occurrence has.\n"),
          out);
}

/* --state: a state's name, or several separated by commas. */
static int take_states(const char *arg, unsigned *states)
{
    char *list = jade_xstrdup(arg);
    int rc = 0;
    for (char *s = list, *next; s; s = next) {
        next = strchr(s, ',');
        if (next) *next++ = '\0';
        if (!*s) continue; /* "sent," */
        int i = 0;
        while (i < JADE_N_STATES && strcmp(s, jade_state_name((enum jade_state)i)) != 0) i++;
        if (i == JADE_N_STATES) {
            jade_print(stderr,
                       _("jade history: unknown state \"%s\" (planned, sending, sent, retrying, "
                         "failed, uncertain, cancelled, missed or retracted)\n"),
                       s);
            rc = -1;
            break;
        }
        *states |= 1u << i;
    }
    if (rc == 0 && !*states) {
        jade_print(stderr, _("jade history: --state \"%s\" names no state\n"), arg);
        rc = -1;
    }
    free(list);
    return rc;
}

/* --from/--to: a date (midnight), or a time; UTC unless it says. */
static int take_time(const char *s, int64_t *out)
{
    struct jade_time t;
    if (jade_time_parse_date(s, &t) == 0) return jade_time_to_unix(&t, "UTC", out);
    return jade_cmd_parse_time(s, out);
}

static int list(struct jade_ledger *ledger, const struct jade_ledger_filter *f, enum format format)
{
    struct summaries sums = {0};
    struct output o = {format, &sums, json_array(), NULL, 0, 0};
    if (format == CSV) jade_csv_record(stdout, field_names, N_FIELDS);
    int rc = jade_ledger_events(ledger, f, summarize_event, &sums);
    if (rc == 0) rc = jade_ledger_select(ledger, f, output_row, &o);
    if (format == TABLE) write_table(&o);
    free(o.rows);
    summaries_free(&sums);
    return finish(ledger, rc, format == JSON ? o.list : NULL, o.list);
}

int jade_cmd_history(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},  {"format", required_argument, NULL, 'f'},
        {"state", required_argument, NULL, 's'},   {"campaign", required_argument, NULL, 'C'},
        {"channel", required_argument, NULL, 'H'}, {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},      {"events", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *config_path = JADE_DEFAULT_CONFIG, *format_s = "table", *events = NULL;
    struct jade_ledger_filter filter = JADE_LEDGER_FILTER_ANY;
    bool filtered = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'f':
            format_s = optarg;
            break;
        case 's':
            if (take_states(optarg, &filter.states) != 0) return JADE_EXIT_USAGE;
            filtered = true;
            break;
        case 'C':
            filter.campaign = optarg;
            filtered = true;
            break;
        case 'H':
            filter.channel = optarg;
            filtered = true;
            break;
        case 'F':
        case 'T':
            if (take_time(optarg, opt == 'F' ? &filter.from : &filter.to) != 0) {
                jade_print(stderr, _("jade history: --%s \"%s\" is not a date or a time\n"),
                           opt == 'F' ? "from" : "to", optarg);
                return JADE_EXIT_USAGE;
            }
            filtered = true;
            break;
        case 'e':
            events = optarg;
            break;
        case 'h':
            usage(stdout);
            return JADE_EXIT_OK;
        default:
            usage(stderr);
            return JADE_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        jade_print(stderr, _("jade history: unexpected argument \"%s\"\n"), argv[optind]);
        return JADE_EXIT_USAGE;
    }
    static const char *const formats[] = {"table", "json", "csv"};
    int format = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(format_s, formats[i])) format = i;
    if (format < 0) {
        jade_print(stderr, _("jade history: unknown format \"%s\" (table, json or csv)\n"),
                   format_s);
        return JADE_EXIT_USAGE;
    }
    if (filter.to <= filter.from) {
        fputs(_("jade history: --to must come after --from\n"), stderr);
        return JADE_EXIT_USAGE;
    }
    if (events && (filtered || !*events)) {
        fputs(events[0] ? _("jade history: --events shows one occurrence: it takes no filter\n")
                        : _("jade history: --events takes a key\n"),
              stderr);
        return JADE_EXIT_USAGE;
    }
    struct jade_config config;
    if (jade_cmd_load_config(config_path, &config) != 0) return JADE_EXIT_USAGE;
    struct jade_ledger *ledger;
    struct jade_buf err = {0};
    if (jade_ledger_open_readonly(config.state_dir, &ledger, &err) != 0) {
        jade_print(stderr, "jade history: %s\n", jade_buf_str(&err));
        jade_buf_free(&err);
        jade_config_free(&config);
        return JADE_EXIT_FAILED;
    }
    int status = events ? write_trail(ledger, events, (enum format)format)
                        : list(ledger, &filter, (enum format)format);
    jade_ledger_close(ledger);
    jade_config_free(&config);
    return status;
}
