#!/usr/bin/env python3
# admin-client.py - raw-socket clients for admin.sh: what curl will not
# send (oversized or malformed requests, slow and silent clients, many
# connections, pipelining). One case per run; exit 0 when the server
# behaved, else 1 with the reason on stdout.
# usage: admin-client.py CASE HOST PORT TIMEOUT_MS
import socket
import sys
import time

case, host, port, timeout_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
timeout = timeout_ms / 1000.0


def connect():
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(timeout + 3)  # never waits for ever: the server's own timeout is shorter
    return s


def read_all(s):
    """Everything until the server closes (or resets) the connection."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_all_strict(s):
    """Everything until the server closes; a reset raises."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def responses(data):
    """The (status, headers, body) of each answer in data, in order."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("an unfinished answer: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" not in headers and status not in (100, 204, 304):
            raise ValueError("no Content-Length: %r" % head)
        n = int(headers.get("content-length", "0")) if status != 100 else 0
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def exchange_raw(payload):
    s = connect()
    s.sendall(payload)
    data = read_all(s)
    s.close()
    return data


def exchange(payload):
    s = connect()
    s.sendall(payload)
    data = read_all(s)
    s.close()
    return responses(data)


def fail(why):
    print(why)
    sys.exit(1)


def expect_status(payload, status, fragment=None):
    r = exchange(payload)
    if not r:
        fail("no answer to %r" % payload[:80])
    if r[-1][0] != status:
        fail("status %d, expected %d: %r" % (r[-1][0], status, r[-1][2]))
    if r[-1][1].get("connection") != "close":
        fail("a refused request should close the connection: %r" % (r[-1][1],))
    if fragment and fragment.encode() not in r[-1][2]:
        fail("body %r lacks %r" % (r[-1][2], fragment))
    if r[-1][2].count(b"\n") != 1:
        fail("the reason should be one line: %r" % r[-1][2])


def big_header():
    expect_status(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431)
    # just under the limit is fine
    r = exchange(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * 15000
                 + b"\r\n\r\n")
    if [x[0] for x in r] != [200]:
        fail("a 15 KB header block was refused: %r" % r)
    # the second of two pipelined requests is measured afresh
    r = exchange(b"GET /ok HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\nX-Big: " + b"a" * 20000
                 + b"\r\n\r\n")
    if [x[0] for x in r] != [200, 431]:
        fail("a large header block after a small request: %r" % [x[:2] for x in r])
    # many small lines
    expect_status(b"GET /ok HTTP/1.1\r\n" + b"X-N: v\r\n" * 100 + b"\r\n", 431)
    # a huge request line
    expect_status(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431)
    # a header sent without end, in pieces: refused once past the limit
    s = connect()
    s.sendall(b"GET /ok HTTP/1.1\r\nX-Long: ")
    for _ in range(40):
        try:
            s.sendall(b"b" * 1000)
        except (BrokenPipeError, ConnectionResetError):
            break
    r = responses(read_all(s))
    if not r or r[0][0] != 431:
        fail("an endless header: %r" % r)


def big_body():
    # The client announces 2 MB and sends 1 KB of it: the answer comes anyway.
    s = connect()
    start = time.monotonic()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 1024)
    data = read_all(s)
    elapsed = time.monotonic() - start
    r = responses(data)
    if not r or r[0][0] != 413:
        fail("expected 413: %r" % r)
    if elapsed > timeout / 2:
        fail("413 after %.2f s: the server waited for the body" % elapsed)
    # The client goes on sending after the 413 (it had not seen it yet): the
    # server drains instead of closing at once, so no reset destroys the answer.
    s = connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\n\r\n")
    data = b""
    while b"too large" not in data:
        chunk = s.recv(4096)
        if not chunk:
            fail("closed before the 413: %r" % data)
        data += chunk
    try:
        for _ in range(8):
            s.sendall(b"z" * 65536)
            time.sleep(0.01)
        s.shutdown(socket.SHUT_WR)
        rest = read_all_strict(s)
    except (BrokenPipeError, ConnectionResetError) as e:
        fail("the connection was reset after the 413 (%s): the server closed without draining" % e)
    if rest:
        fail("more after the 413: %r" % rest[:100])
    # exactly 1 MiB is accepted, one byte more is not
    body = b"y" * (1 << 20)
    r = exchange(b"POST /echo HTTP/1.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body)
    if not r or r[0][0] != 200 or b"len=1048576" not in r[0][2]:
        fail("1 MiB body: %r" % (r and r[0][:2]))
    expect_status(b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (len(body) + 1), 413)
    expect_status(b"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400)


def garbage():
    cases = [
        b"\x00\xff\xfe\x13\x10garbage\r\n\r\n",
        b"HELLO\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length : 2\r\n\r\nab",
        b"GET /ok HTTP/1.1\r\nX: a\x00b\r\n\r\n",
        b"GET /o\x01k HTTP/1.1\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        b"GET /ok HTTP/1.1\r\n\x80\x81: y\r\n\r\n",
        bytes(range(256)) * 4,
    ]
    for payload in cases:
        expect_status(payload, 400, "malformed request")
    expect_status(b"GET /ok HTTP/2.0\r\n\r\n", 505)
    expect_status(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                  411, "Content-Length")
    expect_status(b"POST /echo HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417)
    # an upgrade is answered by the handler, then the connection closes
    r = exchange(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\nTLS...")
    if [x[0] for x in r] != [404]:
        fail("CONNECT: %r" % r)


def silent():
    # half a request, then nothing: closed after the timeout
    s = connect()
    start = time.monotonic()
    s.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
    data = read_all(s)
    elapsed = time.monotonic() - start
    if data:
        fail("an answer to half a request: %r" % data)
    if not (timeout * 0.8 <= elapsed <= timeout * 2 + 0.5):
        fail("closed after %.2f s, the timeout is %.2f s" % (elapsed, timeout))
    # a connection that never sends anything
    s = connect()
    start = time.monotonic()
    read_all(s)
    elapsed = time.monotonic() - start
    if not (timeout * 0.8 <= elapsed <= timeout * 2 + 0.5):
        fail("an idle connection closed after %.2f s" % elapsed)


def drip():
    # slowloris: a byte every tenth of the timeout keeps nothing alive
    s = connect()
    start = time.monotonic()
    request = b"GET /ok HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"z" * 1000
    closed = False
    for b in request:
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        s.settimeout(timeout / 10)
        try:
            if s.recv(1024) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
            break
        if time.monotonic() - start > timeout * 3:
            break
    elapsed = time.monotonic() - start
    if not closed or elapsed > timeout * 2 + 0.5:
        fail("a dripping client still connected after %.2f s" % elapsed)


def many():
    socks = []
    for _ in range(100):
        socks.append(socket.create_connection((host, port), timeout=5))
    time.sleep(0.2)
    # those over the limit are told 503 and closed
    busy = 0
    for s in socks[64:]:
        s.settimeout(1)
        try:
            data = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            data = b""
        if data.startswith(b"HTTP/1.1 503"):
            busy += 1
    if busy == 0:
        fail("no connection over the limit was told 503")
    for s in socks:
        s.close()
    # the server closes its side of each in turn; then a request goes through
    deadline = time.monotonic() + 3
    while True:
        r = exchange(b"GET /conns HTTP/1.1\r\nConnection: close\r\n\r\n")
        if r and r[0][0] == 200 and r[0][2].strip() == b"1":
            break
        if time.monotonic() > deadline:
            fail("after 100 connections closed: %r" % r)
        time.sleep(0.05)
    print("# %d of 36 over the limit answered 503" % busy)


def keepalive():
    s = connect()
    got = []
    for path in (b"/ok", b"/nope"):
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or len(responses_safe(data)) < 1:
            chunk = s.recv(4096)
            if not chunk:
                fail("closed after %r" % got)
            data += chunk
        got += responses(data)
    if [x[0] for x in got] != [200, 404] or got[0][1].get("connection") != "keep-alive":
        fail("two requests on one connection: %r" % got)
    # each request has the whole timeout, counted from the previous one
    for _ in range(3):
        time.sleep(timeout * 0.6)
        s.sendall(b"GET /ok HTTP/1.1\r\n\r\n")
        data = s.recv(4096)
        if not data.startswith(b"HTTP/1.1 200"):
            fail("a request %.1f s after the previous one: %r" % (timeout * 0.6, data))
    # pipelined: three in one packet, answered in order; the last closes
    s.sendall(b"GET /ok HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n"
              b"X-Echo: two\r\n\r\nabcGET /conns HTTP/1.1\r\nConnection: close\r\n\r\n")
    r = responses(read_all(s))
    if [x[0] for x in r] != [200, 200, 200] or b"len=3 x-echo=two" not in r[1][2]:
        fail("pipelined: %r" % r)
    if r[2][1].get("connection") != "close":
        fail("Connection: close was not honoured: %r" % (r[2][1],))
    # HEAD: a Content-Length and no body, so the next answer follows at once
    s = connect()
    s.sendall(b"HEAD /ok HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\nConnection: close\r\n\r\n")
    data = read_all(s)
    first, _, rest = data.partition(b"\r\n\r\n")
    if b"Content-Length: 3" not in first or not rest.startswith(b"HTTP/1.1 404"):
        fail("HEAD then GET: %r" % data)
    # HTTP/1.0 closes unless asked otherwise
    r = exchange(b"GET /ok HTTP/1.0\r\n\r\n")
    if [x[0] for x in r] != [200]:
        fail("HTTP/1.0: %r" % r)


def responses_safe(data):
    try:
        return responses(data)
    except (ValueError, IndexError):
        return []


def not_reading():
    # a client that pipelines many requests and reads no answer: the server
    # stops reading, then closes it after the timeout, and others still pass
    s = connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(0.2)
    start = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - start < timeout * 3:
            sent += s.send(b"GET /ok HTTP/1.1\r\n\r\n" * 1000)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    r = exchange(b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n")
    if [x[0] for x in r] != [200]:
        fail("another client while one reads nothing: %r" % r)
    s.settimeout(timeout * 3)
    start = time.monotonic()
    read_all(s)  # what was answered, then the end: the server gave up on it
    if time.monotonic() - start > timeout * 2 + 0.5:
        fail("a client that reads nothing is kept open")
    s.close()
    print("# sent %d bytes before the server stopped reading" % sent)


def later():
    # a deferred answer: pipelined requests after it wait, and are answered
    # in order; a HEAD keeps only the head
    s = connect()
    s.sendall(b"GET /later?300 HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"
              b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
    r = responses(read_all(s))
    if [x[0] for x in r] != [200, 200, 200] or r[0][2] != b"later 300\n" \
            or r[1][2] != b"ok\n" or b"len=2" not in r[2][2]:
        fail("deferred then pipelined: %r" % r)
    data = exchange_raw(b"HEAD /later?10 HTTP/1.1\r\nConnection: close\r\n\r\n")
    if not data.startswith(b"HTTP/1.1 200") or b"Content-Length: 9\r\n" not in data \
            or not data.endswith(b"\r\n\r\n"):
        fail("a deferred HEAD: %r" % data)
    # the client leaves before the answer: nothing breaks, others are served
    s = connect()
    s.sendall(b"GET /later?200 HTTP/1.1\r\n\r\n")
    s.close()
    # Connection: close on the deferred one: answered, then closed
    r = exchange(b"GET /later?50 HTTP/1.1\r\nConnection: close\r\n\r\n")
    if [x[0] for x in r] != [200] or r[0][1].get("connection") != "close":
        fail("deferred with Connection: close: %r" % r)
    time.sleep(0.3)
    r = exchange(b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n")
    if [x[0] for x in r] != [200]:
        fail("after a client left before its deferred answer: %r" % r)


globals()[case]()
