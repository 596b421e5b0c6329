/* lock.h - one service per state folder.
 *
 * Two services on one ledger would both publish the same occurrence: the
 * first takes an exclusive lock on <state_dir>/lock (held for as long as
 * its process lives, released by the kernel even after kill -9) and
 * writes its pid there, so a second one can say who holds it. */
#ifndef JADE_LOCK_H
#define JADE_LOCK_H

struct jade_buf;

/* Takes the lock, creating the state folder if needed; returns the lock's
 * descriptor, or -1 with the reason (and the holder's pid) in err. */
int jade_state_lock(const char *state_dir, struct jade_buf *err);
/* Releases it (closes the descriptor); -1 is ignored. */
void jade_state_unlock(int fd);

#endif
