/* file.h - files written whole or not at all.
 *
 * A crash or a power cut must never leave half a file where a reader
 * expects a whole one (a media copy, the state folder's marker): the data
 * goes to a temporary file beside it, is synced, renamed over the target,
 * and the folder is synced so that the rename itself survives. */
#ifndef JADE_FILE_H
#define JADE_FILE_H

#include <stddef.h>

/* Writes len bytes of data as path (mode 0600, through path.tmp): 0, or
 * -1 with errno set. */
int jade_write_file_durably(const char *path, const void *data, size_t len);

#endif
