/* log.h - the service's log for operators: one line per event, in logfmt.
 *
 *   ts=2026-12-01T08:00:00.412Z level=info event=published key=3f2a... channel=fb-gao ...
 *
 * ts is the wall clock, in UTC with milliseconds; on a simulated clock
 * (demos, tests) at= gives the service's own time too, so a simulated week
 * reads as a week. Keys are fixed words of the code; values come from
 * anywhere (a network's answer, a file name): they are written through
 * jade_escape (control characters and bytes that are not UTF-8 as \xNN),
 * and quoted, with '"' and '\' escaped, when they hold a space, '=', '"' or
 * '\' or are empty. A line never holds a line end of its own.
 *
 * When stderr is the journal (systemd sets JOURNAL_STREAM to its device
 * and inode, systemd.exec(5)), each line starts with the syslog priority,
 * <3> error, <4> warning, <6> info, <7> debug, which journald takes as the
 * line's priority (`journalctl -p warning`).
 *
 * What is an event and what is a message: once `jade run` has checked
 * its configuration and its first content, everything it says is an event
 * in this log (publications and their outcomes, fetches, reloads, review,
 * suspensions, halts, stop). What stops it before it runs (a
 * configuration that cannot work, content with errors at a first start,
 * a ledger that cannot be opened) stays a plain message for the person
 * who started it (jade_print, "jade run: ..."), followed by exit 2 or 1.
 *
 * Never give a secret, a token or a URL that can carry one as a value: a
 * URL goes through jade_log_url (scheme://host/path, no user information,
 * no query), a secret is named by its file, a channel by its id.
 *
 * The events of jade run, and their keys (keep to these words when adding
 * one; a new event gets a name of its own):
 *   start      version commit|folder signer plan channels next_due clock once
 *   adopted    commit|folder signer from new moved back cancelled to_remove
 *              reread load_ms plan_ms record_ms      (a reload; at start too)
 *   kept, diagnostic (file line col pointer msg), refused (commit reason)
 *   fetched    from to fetch_ms (info: the tip moved; debug: nothing new)
 *   fetch_failed, fetch_recovered (failures), fetch_abandoned, sighup, hook
 *   sending (debug), published, requeued, retry (next error), failed,
 *   uncertain (error), missed, cancelled (reason), removed,
 *   remove_failed, remove_by_hand: key campaign post lang channel network
 *              due attempt network_id url
 *   suspended  channel network reason; lifting one: suspension_lifted (reason)
 *   halted, resumed, still_halted (at start): scope campaign channel since reason
 *   secret     network error (a secret that cannot be read: its file, why)
 *   plugin     network msg; plugin_refused, plugin_failed
 *   clock_jump from to by msg then; new_ledger; ledger_failed; recovered
 *   stopping   signal inflight; stop sent failed (a warning if any failed)
 *   wake       inflight (debug: each timer wake)
 *   notes_written lines ref; notes_pushed ref; notes_push_failed reason
 *              retry_in; notes_failed reason then (git notes: run/notes.h)
 */
#ifndef JADE_LOG_H
#define JADE_LOG_H

#include "../jade-plugin.h" /* enum jade_log_level */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jade_log {
    FILE *out;
    enum jade_log_level level; /* lines less severe than this are left out */
    bool journal;              /* out is the journal: lines start with <N> */
    /* a simulated clock's time (at=), or NULL on the real clock */
    int64_t (*sim_now)(const void *ctx);
    const void *sim_ctx;
};

/* A log to out, of level and more severe lines; journal set when out is
 * the stream JOURNAL_STREAM names. */
void jade_log_init(struct jade_log *log, FILE *out, enum jade_log_level level);

/* "error", "warning", "info", "debug" to a level; -1 when it is none. */
int jade_log_level_parse(const char *name, enum jade_log_level *level);

/* Whether a line of that level is written (to skip costly values). */
bool jade_log_enabled(const struct jade_log *log, enum jade_log_level level);

/* Writes one line: the event, then key-value pairs of strings, ended by a
 * NULL key. A pair whose value is NULL is left out:
 *   jade_log(log, JADE_LOG_INFO, "published", "key", key, "channel", ch->id,
 *            "attempt", JADE_LOG_INT(n), "url", jade_log_url(url, u), NULL);
 * A NULL log writes nothing. */
void jade_log(const struct jade_log *log, enum jade_log_level level, const char *event, ...)
    __attribute__((sentinel));

/* Values other than strings, in a buffer that lives until the end of the
 * full expression's block (a compound literal): numbers, a time as RFC
 * 3339 UTC, milliseconds with one decimal. */
#define JADE_LOG_INT(v) jade_log_int((char[24]){0}, (long long)(v))
#define JADE_LOG_TIME(t) jade_log_time((char[32]){0}, (int64_t)(t))
#define JADE_LOG_MS(v) jade_log_ms((char[32]){0}, (double)(v))
const char *jade_log_int(char out[24], long long v);
const char *jade_log_time(char out[32], int64_t t);
const char *jade_log_ms(char out[32], double ms);

/* url as scheme://host[:port]/path, without user information, query or
 * fragment, which can carry a token; NULL stays NULL. */
#define JADE_LOG_URL_MAX 512
const char *jade_log_url(const char *url, char out[JADE_LOG_URL_MAX]);

#endif
