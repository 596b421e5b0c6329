/* lock.c - the state folder's lock (see lock.h). */
#include "lock.h"

#include "../util/buf.h"
#include "../util/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int jade_state_lock(const char *state_dir, struct jade_buf *err)
{
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        jade_buf_printf(err, _("cannot create the state folder %s: %s"), state_dir,
                        strerror(errno));
        return -1;
    }
    char *path = jade_xasprintf("%s/lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        jade_buf_printf(err, _("cannot open %s: %s"), path, strerror(errno));
        free(path);
        return -1;
    }
    /* flock belongs to the open file, not the process: a second open in
     * the same process is refused too, and nothing outlives the holder. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            jade_buf_printf(err,
                            _("another jade service (pid %s) is using the state folder %s: "
                              "only one may run on it"),
                            *pid ? pid : "?", state_dir);
        else
            jade_buf_printf(err, _("cannot lock %s: %s"), path, strerror(e));
        close(fd);
        free(path);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        jade_buf_printf(err, _("cannot write %s: %s"), path, strerror(errno));
        close(fd);
        free(path);
        return -1;
    }
    free(path);
    return fd;
}

void jade_state_unlock(int fd)
{
    if (fd >= 0) close(fd);
}
