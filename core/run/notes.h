/* notes.h - the service writes what became of each publication as git
 * notes (source/notes.h) in its mirror of the content repository, and
 * pushes them there when source.notes is "push".
 *
 * Off the loop: a timer looks every second for what the ledger recorded
 * since the last batch, and a job on libuv's pool reads it (a read-only
 * connection of its own: the writer keeps the ledger's) and writes it as
 * one notes commit; publication never waits for it. What is written is
 * said by the notes commit itself (the last ledger event it holds), so a
 * restart writes what the last run did not. A push that fails (no write
 * access, a server that refuses) is logged and tried again later, from 5
 * seconds up to 10 minutes apart; their notes are merged with ours before
 * each push. */
#ifndef JADE_RUN_NOTES_H
#define JADE_RUN_NOTES_H

#include <stdbool.h>
#include <uv.h>

struct jade_config;
struct jade_fetch_credentials;
struct jade_log;
struct jade_notes_writer;

/* For cfg (cfg->notes not off), whose mirror is at mirror, on ledger
 * ledger_id (the service's, copied). The credentials are the service's,
 * read again on the loop: copied for each push. Nothing runs before
 * jade_notes_writer_start. */
struct jade_notes_writer *jade_notes_writer_new(uv_loop_t *loop, const struct jade_config *cfg,
                                                const char *mirror, const char *ledger_id,
                                                const struct jade_fetch_credentials *cred,
                                                const struct jade_log *log);
/* Batches every second from now on. */
void jade_notes_writer_start(struct jade_notes_writer *w);
/* One batch now, on this thread, with its push when push is set (the end
 * of `jade run --once`; a stop writes without pushing). Only while no job
 * runs: after the loop ended. */
void jade_notes_writer_flush(struct jade_notes_writer *w, bool push);
/* A job runs on the pool (a push may hang: libgit2 1.5 has no timeout). */
bool jade_notes_writer_busy(const struct jade_notes_writer *w);
/* Stops the timer; a job that runs ends on the loop. */
void jade_notes_writer_stop(struct jade_notes_writer *w);
/* Frees w once the loop has ended. Accepts NULL. */
void jade_notes_writer_free(struct jade_notes_writer *w);

#endif
