"""fakenet - what every fake network shares (tests/fakes/README.md).

A fake network is a subclass of Network that says what a request is (its
op and the account it counts against), answers it as the real API would,
and words the network's errors; this module does the rest the contract
asks for: the server on 127.0.0.1 and its --port-file, the --record (one
JSON line per request), faults on demand (POST /_fake/faults), the posts
an audience would see (GET /_fake/posts), how long until no limit holds
(GET /_fake/quiet), and "early" requests (those
arriving while the fake had told their account to wait).

    class Telegram(fakenet.Network):
        name = "telegram"
        def classify(self, req): return "create", "@chan"
        def perform(self, req): ... return fakenet.Answer(200, {...}, post=...)
        ...
    fakenet.main(Telegram)

Times are the real clock's."""
import argparse
import email.parser
import email.policy
import json
import math
import os
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GENERIC_FAULTS = ("rate_limit", "error_before", "error_after", "drop_after", "auth", "refuse",
                  "processing", "late_failure")


class Answer:
    """An HTTP answer: status, a JSON body (or raw bytes), headers; post is
    the post it created or deleted ({"id", "text", "media"}), for the
    record."""

    def __init__(self, status, body, headers=(), post=None, raw=None, content_type=None):
        self.status, self.body, self.headers, self.post = status, body, list(headers), post
        self.raw, self.content_type = raw, content_type


class Request:
    """What arrived: method, path (without the query), query and form
    fields (dict of lists), the JSON body (or None), files of a multipart
    body ({field: (filename, content_type, bytes)}), headers, raw body."""

    def __init__(self, method, target, headers, body):
        self.method, self.headers, self.body = method, headers, body
        url = urllib.parse.urlsplit(target)
        self.path = url.path
        self.fields = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self.json, self.files = None, {}
        ctype = headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                self.json = json.loads(body or b"null")
            except ValueError:
                self.json = None
        elif ctype.startswith("application/x-www-form-urlencoded"):
            for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                              keep_blank_values=True).items():
                self.fields.setdefault(k, []).extend(v)
        elif ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in msg.iter_parts() if msg.is_multipart() else ():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    self.files[name] = (part.get_filename(), part.get_content_type(), data)
                else:
                    self.fields.setdefault(name, []).append(data.decode("utf-8", "replace"))

    def param(self, name):
        """A parameter from the JSON body, the form or the query, or None."""
        if isinstance(self.json, dict) and name in self.json:
            return self.json[name]
        values = self.fields.get(name)
        return values[0] if values else None


class Network:
    """What a fake network defines. Each method gets the Request."""

    name = "network"
    secret = None  # the credential it accepts (from <network>.json)

    def __init__(self, description):
        self.description = description
        self.secret = description.get("secret")
        self.lock = threading.RLock()

    def classify(self, req):
        """(op, account): "create", "upload", "poll", "delete", "lookup" or
        "other", and what a rate limit applies to."""
        return "other", None

    def authorized(self, req):
        return True

    def redact(self, path):
        """The path as the record shows it: credentials replaced by "…"."""
        return path

    def perform(self, req, fault=None):
        """Does what the request asks (creates, deletes, ...). fault is a
        network-specific fault to play, or None."""
        raise NotImplementedError

    def rate_limited(self, req, seconds):
        raise NotImplementedError

    def server_error(self, req):
        return Answer(500, {"error": "Internal Server Error"})

    def auth_error(self, req):
        raise NotImplementedError

    def refusal(self, req):
        raise NotImplementedError

    def age(self, body):
        """POST /_fake/age: makes the posts older (a network that refuses
        to delete old ones)."""
        return Answer(404, {"error": "nothing ages here"})


class Fake:
    def __init__(self, network, record_path, webhook=None):
        self.net = network
        self.webhook = webhook
        self.lock = threading.Lock()
        self.faults = []  # [{"fault", "op", "count", "seconds", ...}]
        self.live = {}  # id -> {"id", "text", "account", "media"}
        self.deleted = []
        self.wait_until = {}  # account -> real time before which it must not ask
        self.record_file = open(record_path, "a", buffering=1)

    def record(self, entry):
        with self.lock:
            self.record_file.write(json.dumps(entry) + "\n")
            self.record_file.flush()

    def take_fault(self, op):
        """The first fault waiting for op (or "any"), used once."""
        with self.lock:
            for f in self.faults:
                if f.get("op", "any") in (op, "any") and f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                    return f
        return None

    def add_post(self, post):
        with self.lock:
            self.live[post["id"]] = post

    def delete_post(self, post_id):
        with self.lock:
            if self.live.pop(post_id, None) is not None:
                self.deleted.append(post_id)

    def posts(self):
        with self.lock:
            return {"live": list(self.live.values()), "deleted": list(self.deleted)}

    def quiet(self):
        """Seconds until no account is told to wait (a case's rate limit
        must not hold the next case's requests back)."""
        with self.lock:
            return max([0.0] + [t - time.time() for t in self.wait_until.values()])


def main(network_class):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--webhook", default=None)
    ap.add_argument("--description", default=None,
                    help="the <network>.json (default: beside the script)")
    args = ap.parse_args()
    path = args.description or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            network_class.name + ".json")
    net = network_class(json.load(open(path)))
    fake = Fake(net, args.record, args.webhook)
    net.fake = fake

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, answer):
            data = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type or "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in answer.headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def drop(self):
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)

        def control(self, req):
            if req.path == "/_fake/faults" and self.command == "POST":
                with fake.lock:
                    fake.faults.extend(dict(f) for f in json.loads(req.body or b"[]"))
                return self.send(Answer(200, {"ok": True}))
            if req.path == "/_fake/posts":
                return self.send(Answer(200, fake.posts()))
            if req.path == "/_fake/quiet":
                return self.send(Answer(200, {"seconds": fake.quiet()}))
            if req.path == "/_fake/age" and self.command == "POST":
                # network-specific: what ages the posts (Telegram's 48 h)
                return self.send(net.age(json.loads(req.body or b"{}")))
            return self.send(Answer(404, {"error": "no such control"}))

        def handle_any(self):
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            req = Request(self.command, self.path, self.headers, body)
            if req.path.startswith("/_fake/"):
                return self.control(req)
            op, account = net.classify(req)
            entry = {"arrived": arrived, "method": self.command, "path": net.redact(req.path),
                     "op": op, "early": False}
            with fake.lock:
                until = fake.wait_until.get(account, 0)
            fault, drop = None, False
            if not net.authorized(req):
                answer = net.auth_error(req)
            elif account is not None and arrived < until:
                entry["early"] = True
                answer = net.rate_limited(req, max(1, math.ceil(until - arrived)))
            else:
                fault = fake.take_fault(op)
                kind = fault["fault"] if fault else None
                if kind == "rate_limit":
                    seconds = int(fault.get("seconds", 5))
                    answer = net.rate_limited(req, seconds)
                elif kind == "error_before":
                    answer = net.server_error(req)
                elif kind == "auth":
                    answer = net.auth_error(req)
                elif kind == "refuse":
                    answer = net.refusal(req)
                elif kind in ("error_after", "drop_after"):
                    done = net.perform(req)
                    entry["created_status"] = done.status
                    answer = net.server_error(req)
                    answer.post = done.post
                    drop = kind == "drop_after"
                else:
                    answer = net.perform(req, fault)
                if kind:
                    entry["fault"] = kind
            post = answer.post
            entry["status"] = 0 if drop else answer.status
            if post:
                entry["id"] = post["id"]
                if "text" in post:
                    entry["text"] = post["text"]
                entry["media"] = post.get("media", 0)
            entry["t"] = time.time()
            if fault and fault["fault"] == "rate_limit":
                # told to wait: nothing from this account before then
                with fake.lock:
                    fake.wait_until[account] = entry["t"] + int(fault.get("seconds", 5))
            fake.record(entry)
            if drop:
                return self.drop()
            self.send(answer)

        do_GET = do_POST = do_DELETE = do_PUT = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()
