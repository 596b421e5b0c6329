/* file.c - files written whole or not at all (see file.h). */
#include "file.h"

#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The folder holding path, synced: a rename is durable only then. */
static int sync_folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? jade_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : jade_xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int jade_write_file_durably(const char *path, const void *data, size_t len)
{
    char *tmp = jade_xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int e = fd < 0 ? errno : 0;
    for (size_t done = 0; !e && done < len;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n <= 0) e = n < 0 ? errno : EIO;
        done += n > 0 ? (size_t)n : 0;
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) unlink(tmp);
    free(tmp);
    if (!e && sync_folder_of(path) != 0) e = errno;
    errno = e;
    return e ? -1 : 0;
}
