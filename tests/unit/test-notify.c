/* test-notify.c - systemd's notification datagrams (run/notify.h): what
 * each message holds, on a path and on an abstract socket, what is not
 * sent (no NOTIFY_SOCKET, a status that did not change, a second
 * STOPPING=1), and the watchdog meant for this process only. */
#include "test.h"

#include "run/notify.h"
#include "util/buf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A receiver bound to name (a path, or "@abstract"), as systemd's. */
static int receiver(const char *name)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(a.sun_path, name, len);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (name[0] == '@')
        a.sun_path[0] = '\0';
    else
        alen++;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, alen) != 0) {
        printf("#   cannot bind %s: %s\n", name, strerror(errno));
        return -1;
    }
    return fd;
}

/* The next datagram, or "" when none waits. */
static const char *next(int fd)
{
    static char buf[1024];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void open_with(struct jade_notify *n, const char *where)
{
    setenv("NOTIFY_SOCKET", where, 1);
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_notify_open(n, &err), 0);
    CHECK_STR_EQ(jade_buf_str(&err), "");
    jade_buf_free(&err);
}

static void nothing_is_sent_without_notify_socket(void)
{
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "1000000", 1);
    struct jade_notify n;
    struct jade_buf err = {0};
    CHECK_INT_EQ(jade_notify_open(&n, &err), 0);
    CHECK(!jade_notify_enabled(&n));
    CHECK_INT_EQ(n.fd, -1);
    CHECK_INT_EQ(n.watchdog_usec, 0); /* no socket to ping */
    CHECK_INT_EQ(jade_notify_ready(&n, "up"), 0);
    CHECK_INT_EQ(jade_notify_watchdog(&n, "up"), 0);
    jade_notify_close(&n);
    jade_buf_free(&err);
    unsetenv("WATCHDOG_USEC");
}

static void messages_on_a_path(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/jade-notify-%ld.sock", (long)getpid());
    unlink(path);
    int fd = receiver(path);
    struct jade_notify n;
    open_with(&n, path);
    CHECK(jade_notify_enabled(&n));
    CHECK_INT_EQ(jade_notify_ready(&n, "publishing: 3 waiting"), 0);
    CHECK_STR_EQ(next(fd), "READY=1\nSTATUS=publishing: 3 waiting");
    /* the same status again is not sent; another is, alone */
    CHECK_INT_EQ(jade_notify_status(&n, "publishing: 3 waiting"), 0);
    CHECK_STR_EQ(next(fd), "");
    CHECK_INT_EQ(jade_notify_status(&n, "publishing: 2 waiting"), 0);
    CHECK_STR_EQ(next(fd), "STATUS=publishing: 2 waiting");
    /* without a watchdog, a tick only says a status that changed */
    CHECK_INT_EQ(jade_notify_watchdog(&n, "publishing: 2 waiting"), 0);
    CHECK_STR_EQ(next(fd), "");
    /* a line end in a status cannot start another assignment */
    CHECK_INT_EQ(jade_notify_status(&n, "a\nREADY=1"), 0);
    CHECK_STR_EQ(next(fd), "STATUS=a READY=1");
    CHECK_INT_EQ(jade_notify_stopping(&n, "stopping"), 0);
    CHECK_STR_EQ(next(fd), "STOPPING=1\nSTATUS=stopping");
    CHECK_INT_EQ(jade_notify_stopping(&n, "stopping again"), 0);
    CHECK_STR_EQ(next(fd), ""); /* once */
    jade_notify_close(&n);
    close(fd);
    unlink(path);
}

static void reloading_carries_the_monotonic_clock(void)
{
    char name[64];
    snprintf(name, sizeof name, "@jade-notify-test-%ld", (long)getpid());
    int fd = receiver(name);
    struct jade_notify n;
    open_with(&n, name);
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    CHECK_INT_EQ(jade_notify_reloading(&n, "reloading"), 0);
    clock_gettime(CLOCK_MONOTONIC, &after);
    const char *m = next(fd);
    unsigned long long usec = 0;
    char status[64] = "";
    CHECK_INT_EQ(sscanf(m, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%63[^\n]", &usec, status), 2);
    CHECK(usec >= (unsigned long long)before.tv_sec * 1000000ull + before.tv_nsec / 1000);
    CHECK(usec <= (unsigned long long)after.tv_sec * 1000000ull + after.tv_nsec / 1000);
    CHECK_STR_EQ(status, "reloading");
    CHECK_INT_EQ(jade_notify_ready(&n, NULL), 0);
    CHECK_STR_EQ(next(fd), "READY=1");
    jade_notify_close(&n);
    close(fd);
}

static void the_watchdog_is_this_process_s_only(void)
{
    char name[64];
    snprintf(name, sizeof name, "@jade-notify-wd-%ld", (long)getpid());
    int fd = receiver(name);
    char pid[32];
    struct jade_notify n;
    setenv("WATCHDOG_USEC", "3000000", 1);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    open_with(&n, name);
    CHECK_INT_EQ(n.watchdog_usec, 3000000);
    CHECK_INT_EQ(jade_notify_watchdog(&n, "up"), 0);
    CHECK_STR_EQ(next(fd), "WATCHDOG=1\nSTATUS=up");
    CHECK_INT_EQ(jade_notify_watchdog(&n, "up"), 0);
    CHECK_STR_EQ(next(fd), "WATCHDOG=1"); /* the status did not change */
    jade_notify_close(&n);
    /* meant for another process (a parent that exec'd us under a
     * wrapper), or not a number: no watchdog here */
    snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    open_with(&n, name);
    CHECK_INT_EQ(n.watchdog_usec, 0);
    jade_notify_close(&n);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "3s", 1);
    open_with(&n, name);
    CHECK_INT_EQ(n.watchdog_usec, 0);
    jade_notify_close(&n);
    setenv("WATCHDOG_USEC", "2000000", 1); /* without WATCHDOG_PID: ours */
    open_with(&n, name);
    CHECK_INT_EQ(n.watchdog_usec, 2000000);
    jade_notify_close(&n);
    unsetenv("WATCHDOG_USEC");
    close(fd);
}

static void an_unusable_socket_name_is_said(void)
{
    struct jade_notify n;
    struct jade_buf err = {0};
    setenv("NOTIFY_SOCKET", "relative/notify", 1);
    CHECK_INT_EQ(jade_notify_open(&n, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "neither an absolute path nor an abstract socket name");
    CHECK(!jade_notify_enabled(&n));
    jade_buf_truncate(&err, 0);
    char long_name[200];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[0] = '/';
    long_name[sizeof long_name - 1] = '\0';
    setenv("NOTIFY_SOCKET", long_name, 1);
    CHECK_INT_EQ(jade_notify_open(&n, &err), -1);
    CHECK_CONTAINS(jade_buf_str(&err), "fits an AF_UNIX address");
    jade_buf_free(&err);
    unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
    RUN(nothing_is_sent_without_notify_socket);
    RUN(messages_on_a_path);
    RUN(reloading_carries_the_monotonic_clock);
    RUN(the_watchdog_is_this_process_s_only);
    RUN(an_unusable_socket_name_is_said);
    return test_done();
}
