#!/usr/bin/env python3
# scrape.py - a metrics scraper and a status watcher in one, for
# tests/bench/service.sh: GET /metrics and GET /status on one kept-alive
# connection, RATE times a second each, until SECONDS have passed (or
# SIGTERM). Prints "scrapes N errors E" (a scrape: both requests).
# usage: scrape.py HOST:PORT|/unix/socket RATE SECONDS
import signal, socket, sys, time

target, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def connect():
    if target.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target)
    else:
        host, port = target.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(5)
    return s


def get(s, path):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: jade\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ValueError(head[:40])


s = connect()
scrapes = errors = 0
start = time.monotonic()
next_at = start
while not stop and time.monotonic() - start < seconds:
    try:
        get(s, b"/metrics")
        get(s, b"/status")
        scrapes += 1
    except (OSError, ValueError):
        errors += 1
        try:
            s.close()
            s = connect()
        except OSError:
            pass
    next_at += 1.0 / rate
    delay = next_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
print("scrapes %d errors %d" % (scrapes, errors))
