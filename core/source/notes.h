/* notes.h - what became of each publication, as git notes under
 * refs/notes/jade on the commit it came from, so that `git log
 * --notes=jade` shows coaches what their review caused.
 *
 * One note per commit, one line per event of an occurrence, sorted (so by
 * key, then time):
 *
 *   KEY TIME STATE campaign=C post=P channel=CH network=N lang=L [id=ID] [link=URL] [reason=...]
 *
 * TIME is UTC (2026-12-01T09:00:00Z); STATE is sent, uncertain, failed,
 * missed, retracted, late (the network's word after its answer) or
 * removal (reason=by hand: people must remove it; reason=failed: the
 * network would not). Values hold no blank; reason, when there, is last
 * and runs to the end of the line. Notes only grow: a note becomes the
 * union of its lines and the new ones, so writing twice, or merging
 * another copy of the ref, loses nothing and repeats nothing.
 *
 * The notes commit says up to which ledger event it holds ("Jade-Ledger:"
 * and "Jade-Events:" trailers): the service starts from there after a
 * restart. Blocking (disk): the service calls these on libuv's pool. */
#ifndef JADE_NOTES_H
#define JADE_NOTES_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

struct jade_buf;

#define JADE_NOTES_REF "refs/notes/jade"

/* One outcome, borrowed strings (any may be NULL but key and state). */
struct jade_notes_event {
    const char *key, *state;
    int64_t at;
    const char *campaign, *post, *channel, *network, *lang, *network_id, *url, *detail;
};

/* The note line for e (malloc'd, no newline). */
char *jade_notes_line(const struct jade_notes_event *e);

/* A line for the note of a commit (full hex id). */
struct jade_note_line {
    const char *commit;
    const char *line;
};

/* Adds lines to the notes of their commits in repo's refs/notes/jade, in
 * one notes commit whose message is message; nothing is written when
 * every line is already there. 0, or -1 with err. */
int jade_notes_add(git_repository *repo, const struct jade_note_line *lines, size_t n,
                   const char *message, struct jade_buf *err);

/* Merges the notes of ref theirs into refs/notes/jade: a fast-forward
 * when ours has nothing of its own, else a commit with both as parents
 * whose notes are the union of both. Nothing when theirs is missing or
 * already in ours. 0, or -1 with err. */
int jade_notes_merge(git_repository *repo, const char *theirs, const char *message,
                     struct jade_buf *err);

/* The ledger and the last event the notes hold, from the message of
 * refs/notes/jade's commit: 0 with ledger (33 bytes) and *upto filled;
 * 1 when there are no notes or they say nothing of it. */
int jade_notes_mark(git_repository *repo, char ledger[33], int64_t *upto);

/* The message of a notes commit that holds events up to upto. */
char *jade_notes_message(const char *ledger, int64_t upto);

#endif
