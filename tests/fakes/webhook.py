#!/usr/bin/env python3
"""A fake webhook receiver that answers as a careful platform would.

It checks each request's Jade-Signature (HMAC-SHA256 of "<t>.<body>" with
the shared secret), dedupes by Idempotency-Key (a repeat gets the first
answer and publishes nothing), and records what it published, one JSON
line per request, in --log. Faults on demand, decided per request from a
seeded random generator:

  --fail-rate P    answer 503 (transient)
  --reset-rate P   close the connection without an answer
  --slow-rate P    answer after --slow-seconds
  --hang-rate P    never answer (the client times out)
  --hold-until FILE  answer a POST only once FILE exists (a test decides
                   when: no race with a timer)
  --throttle-first N  answer 429 with Retry-After: --retry-after to the first
                   N requests to each path
  --auth-fail PATH answer 401 to every request to PATH
  --status PATH=CODE  answer CODE to every request to PATH (a 429 with
                   Retry-After: --retry-after); repeatable
  --redirect PATH=TARGET  answer 307 with Location: TARGET (and a
                   Retry-After: 1 that must not count) to every request to PATH
  --interim PATH   before the answer to PATH, send interim responses (100
                   Continue, 103 Early Hints), each with a Retry-After: 1 that
                   must not count
  --idle-close S   close a kept-alive connection after S seconds without a
                   request, as servers do (nginx's keepalive_timeout)
  --hostile-body PATH  answer 400 to PATH with 64 KiB of text full of control
                   characters and terminal escapes

Each log line: {"t": real time of the answer, "arrived": of the request,
"path", "key", "status", "published": bool, "duplicate": bool,
"signature_ok": bool, "connection": its number, from 1}; a DELETE (a
retraction) takes the key's publication down, and its line adds "method":
"DELETE" and "removed": bool (404 when there was none). The port it
listens on is written to --port-file."""
import argparse
import hashlib
import hmac
import json
import os
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--secret", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--fail-rate", type=float, default=0)
ap.add_argument("--reset-rate", type=float, default=0)
ap.add_argument("--slow-rate", type=float, default=0)
ap.add_argument("--slow-seconds", type=float, default=0.5)
ap.add_argument("--hang-rate", type=float, default=0)
ap.add_argument("--hold-until", default=None)
ap.add_argument("--throttle-first", type=int, default=0)
ap.add_argument("--retry-after", type=int, default=120)
ap.add_argument("--auth-fail", default=None)
ap.add_argument("--status", action="append", default=[])
ap.add_argument("--redirect", action="append", default=[])
ap.add_argument("--interim", action="append", default=[])
ap.add_argument("--idle-close", type=float, default=None)
ap.add_argument("--hostile-body", default=None,
                help="a path answered 400 with 64 KiB of text full of terminal escapes")
args = ap.parse_args()
fixed_status = {path: int(code) for path, code in (s.split("=", 1) for s in args.status)}
redirects = dict(s.split("=", 1) for s in args.redirect)

lock = threading.Lock()
rng = random.Random(args.seed)
published = {}  # key -> id
connections = 0
requests_by_path = {}
log = open(args.log, "a", buffering=1)


def record(entry):
    entry["t"] = time.time()
    with lock:
        log.write(json.dumps(entry) + "\n")
        log.flush()
        os.fsync(log.fileno())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = args.idle_close  # a connection waiting longer for a request is closed

    def setup(self):
        global connections
        super().setup()
        with lock:
            connections += 1
            self.number = connections

    def log_message(self, *a):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        if self.path in args.interim:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\nRetry-After: 1\r\n\r\n"
                             b"HTTP/1.1 103 Early Hints\r\nRetry-After: 1\r\n"
                             b"Link: </style.css>; rel=preload\r\n\r\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def signed_body(self):
        """The request's body, and whether its Jade-Signature holds."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("Jade-Signature", "")
        parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
        expected = hmac.new(args.secret.encode(), parts.get("t", "").encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        return body, hmac.compare_digest(expected, parts.get("v1", ""))

    def do_POST(self):
        body, signature_ok = self.signed_body()
        key = self.headers.get("Idempotency-Key", "")
        entry = {"arrived": time.time(), "path": self.path, "key": key, "signature_ok": signature_ok,
                 "published": False, "duplicate": False, "connection": self.number}
        with lock:
            n = requests_by_path[self.path] = requests_by_path.get(self.path, 0) + 1
            roll = rng.random()
        if not signature_ok:
            entry["status"] = 401
            record(entry)
            return self.answer(401, {"error": "bad signature"})
        if args.hostile_body and self.path == args.hostile_body:
            entry["status"] = 400
            record(entry)
            data = ("\x1b]0;owned\x07\x1b[2J\r\nBad request \x7f\x9b" * 4096)[:65536].encode()
            self.send_response(400)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if args.auth_fail and self.path == args.auth_fail:
            entry["status"] = 401
            record(entry)
            return self.answer(401, {"error": "token revoked"})
        if self.path in redirects:
            entry["status"] = 307
            record(entry)
            return self.answer(307, {"error": "moved"},
                               [("Location", redirects[self.path]), ("Retry-After", "1")])
        if self.path in fixed_status:
            code = entry["status"] = fixed_status[self.path]
            record(entry)
            extra = [("Retry-After", str(args.retry_after))] if code == 429 else []
            return self.answer(code, {"error": "answered %d" % code}, extra)
        if n <= args.throttle_first:
            entry["status"] = 429
            record(entry)
            return self.answer(429, {"error": "slow down"}, [("Retry-After", str(args.retry_after))])
        faults = [("fail", args.fail_rate), ("reset", args.reset_rate),
                  ("hang", args.hang_rate), ("slow", args.slow_rate)]
        edge = 0.0
        for name, rate in faults:
            edge += rate
            if roll < edge:
                break
        else:
            name = None
        if name == "fail":
            entry["status"] = 503
            record(entry)
            return self.answer(503, {"error": "unavailable"})
        if name == "reset":
            entry["status"] = 0
            record(entry)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        if name == "hang":
            entry["status"] = 0
            record(entry)
            time.sleep(3600)
            return
        if name == "slow":
            time.sleep(args.slow_seconds)
        while args.hold_until and not os.path.exists(args.hold_until):
            time.sleep(0.05)
        with lock:
            duplicate = key in published
            if not duplicate:
                published[key] = "post-%d" % (len(published) + 1)
            post_id = published[key]
        entry.update(status=200, published=not duplicate, duplicate=duplicate)
        record(entry)
        self.answer(200, {"id": post_id})


    def do_DELETE(self):
        """A retraction: the publication with this key is taken down; 404
        when there is none (never published, or taken down already)."""
        _, signature_ok = self.signed_body()
        key = self.headers.get("Idempotency-Key", "")
        entry = {"arrived": time.time(), "path": self.path, "key": key, "method": "DELETE",
                 "signature_ok": signature_ok,
                 "published": False, "duplicate": False, "connection": self.number}
        if not entry["signature_ok"]:
            entry["status"] = 401
            record(entry)
            return self.answer(401, {"error": "bad signature"})
        with lock:
            removed = published.pop(key, None) is not None
        entry.update(status=200 if removed else 404, removed=removed)
        record(entry)
        self.answer(200 if removed else 404, {"deleted": removed})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
