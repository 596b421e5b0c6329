/* notify.c - systemd's notification protocol (see notify.h). */
#include "notify.h"

#include "../util/buf.h"
#include "../util/escape.h"
#include "../util/i18n.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* An unsigned decimal, whole, or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* The watchdog's interval, when systemd set one for this process. */
static uint64_t watchdog_for_us(void)
{
    uint64_t usec, pid;
    if (parse_u64(getenv("WATCHDOG_USEC"), &usec) != 0 || usec == 0) return 0;
    const char *for_pid = getenv("WATCHDOG_PID");
    if (for_pid && (parse_u64(for_pid, &pid) != 0 || pid != (uint64_t)getpid())) return 0;
    return usec;
}

int jade_notify_open(struct jade_notify *n, struct jade_buf *err)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    const char *where = getenv("NOTIFY_SOCKET");
    if (!where || !*where) return 0;
    size_t len = strlen(where);
    if (where[0] != '/' && where[0] != '@') {
        jade_buf_printf(err,
                        _("NOTIFY_SOCKET=%s is neither an absolute path nor an abstract socket "
                          "name (@...): systemd is not told how the service is doing"),
                        where);
        return -1;
    }
    if (len >= sizeof n->addr.sun_path || (where[0] == '@' && len < 2)) {
        jade_buf_printf(err,
                        _("NOTIFY_SOCKET=%s is not a socket name that fits an AF_UNIX address: "
                          "systemd is not told how the service is doing"),
                        where);
        return -1;
    }
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, where, len);
    n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (where[0] == '@')
        n->addr.sun_path[0] = '\0'; /* abstract: the name is the bytes after the NUL, no end */
    else
        n->addr_len++; /* a path counts its NUL */
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (n->fd < 0) {
        jade_buf_printf(err, _("cannot open a socket to notify systemd: %s"), strerror(errno));
        return -1;
    }
    n->watchdog_usec = watchdog_for_us();
    return 0;
}

void jade_notify_close(struct jade_notify *n)
{
    if (n->fd >= 0) close(n->fd);
    n->fd = -1;
}

bool jade_notify_enabled(const struct jade_notify *n)
{
    return n->fd >= 0;
}

int jade_notify_send(struct jade_notify *n, const char *message)
{
    if (n->fd < 0) return 0;
    ssize_t sent = sendto(n->fd, message, strlen(message), MSG_NOSIGNAL,
                          (const struct sockaddr *)&n->addr, n->addr_len);
    if (sent >= 0) return 0;
    int e = errno;
    if (!n->send_failed && e != EAGAIN && e != EWOULDBLOCK) {
        n->send_failed = true;
        jade_print(stderr, _("jade run: cannot notify systemd on %s%s: %s\n"),
                   n->addr.sun_path[0] ? "" : "@",
                   n->addr.sun_path[0] ? n->addr.sun_path : n->addr.sun_path + 1, strerror(e));
    }
    errno = e;
    return -1;
}

/* message, then "STATUS=status" as its last line when status is given
 * (a line end in it would start another assignment: it becomes a space). */
static int send_with_status(struct jade_notify *n, const char *message, const char *status)
{
    if (n->fd < 0) return 0;
    struct jade_buf b = {0};
    jade_buf_puts(&b, message);
    if (status) {
        snprintf(n->status, sizeof n->status, "%s", status);
        for (char *p = n->status; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        jade_buf_printf(&b, "%sSTATUS=%s", *message ? "\n" : "", n->status);
    }
    int rc = jade_notify_send(n, jade_buf_str(&b));
    jade_buf_free(&b);
    return rc;
}

int jade_notify_ready(struct jade_notify *n, const char *status)
{
    return send_with_status(n, "READY=1", status);
}

int jade_notify_reloading(struct jade_notify *n, const char *status)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char message[64];
    snprintf(message, sizeof message, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    return send_with_status(n, message, status);
}

/* status, once cleaned as send_with_status cleans it, is what was sent last. */
static bool same_status(const struct jade_notify *n, const char *status)
{
    size_t i = 0;
    for (; status[i] && i + 1 < sizeof n->status; i++) {
        char c = status[i] == '\n' || status[i] == '\r' ? ' ' : status[i];
        if (n->status[i] != c) return false;
    }
    return n->status[i] == '\0';
}

int jade_notify_status(struct jade_notify *n, const char *status)
{
    if (n->fd < 0 || !status || same_status(n, status)) return 0;
    return send_with_status(n, "", status);
}

int jade_notify_watchdog(struct jade_notify *n, const char *status)
{
    if (n->fd < 0) return 0;
    if (status && same_status(n, status)) status = NULL;
    if (!n->watchdog_usec) return status ? send_with_status(n, "", status) : 0;
    return send_with_status(n, "WATCHDOG=1", status);
}

int jade_notify_stopping(struct jade_notify *n, const char *status)
{
    if (n->fd < 0 || n->stopping) return 0;
    n->stopping = true;
    return send_with_status(n, "STOPPING=1", status);
}
