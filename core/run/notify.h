/* notify.h - telling systemd how the service is doing: the notification
 * datagrams of sd_notify(3) ("READY=1", "STATUS=...", "WATCHDOG=1", one
 * "KEY=VALUE" a line) on the AF_UNIX datagram socket that NOTIFY_SOCKET
 * names, a path or, starting with '@', an abstract name. Without
 * NOTIFY_SOCKET nothing is sent and nothing is opened.
 *
 * No libsystemd: the protocol is one datagram per message, documented and
 * stable, and a service started by hand, by cron or in a container without
 * systemd builds and runs the same. Sends never block the loop: a message
 * the socket cannot take at once is dropped (systemd drains it at once;
 * a lost WATCHDOG=1 is sent again half an interval later). */
#ifndef JADE_NOTIFY_H
#define JADE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct jade_buf;

struct jade_notify {
    int fd; /* -1: NOTIFY_SOCKET is unset (or unusable): nothing is sent */
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec; /* WATCHDOG_USEC when it is for this process, else 0 */
    char status[256];       /* the last STATUS= sent: the same is not sent again */
    bool stopping;          /* STOPPING=1 was sent */
    bool send_failed;       /* a failure to send was said */
};

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (a watchdog meant
 * for another process is not this one's). Returns 0; -1 with the reason
 * in err when NOTIFY_SOCKET is set but cannot be used (n then sends
 * nothing). */
int jade_notify_open(struct jade_notify *n, struct jade_buf *err);
void jade_notify_close(struct jade_notify *n);
/* Whether anything is sent at all. */
bool jade_notify_enabled(const struct jade_notify *n);

/* One datagram: message's lines as they are. 0, or -1 with errno (said
 * once on stderr). Nothing, and 0, without NOTIFY_SOCKET. */
int jade_notify_send(struct jade_notify *n, const char *message);
/* READY=1 with a STATUS= line (status may be NULL). */
int jade_notify_ready(struct jade_notify *n, const char *status);
/* RELOADING=1 with MONOTONIC_USEC (systemd 253 and later want it to tell
 * this reload from an earlier one) and a STATUS= line. */
int jade_notify_reloading(struct jade_notify *n, const char *status);
/* STATUS= alone, only when it differs from the last one sent. */
int jade_notify_status(struct jade_notify *n, const char *status);
/* WATCHDOG=1 (when there is a watchdog), with STATUS= when it changed. */
int jade_notify_watchdog(struct jade_notify *n, const char *status);
/* STOPPING=1 with a STATUS= line; once. */
int jade_notify_stopping(struct jade_notify *n, const char *status);

#endif
