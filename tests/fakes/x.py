#!/usr/bin/env python3
"""A fake X API v2, answering as NETWORKS.md documents (tests/fakes/README.md
is the contract: --port-file, --record, POST /_fake/faults, GET /_fake/posts,
GET /_fake/quiet).

Every request must carry an OAuth 1.0a HMAC-SHA1 Authorization header
signed with the four credentials of x.json's "secret" (a JSON object); the
fake checks the signature over the method, the URL it was reached at, the
query, a form-encoded body and the oauth_* parameters (never a JSON or
multipart body). A wrong one gets 401.

  POST   /2/tweets {text, media:{media_ids}}   -> {"data":{"id","text"}}
  DELETE /2/tweets/:id                         -> {"data":{"deleted":true}}, 404 when gone
  GET    /2/tweets/:id?tweet.fields=public_metrics  (op "metrics", 900 per 15 minutes)
                                               -> {"data":{"id","text","public_metrics":{
                                                  "retweet_count","reply_count","like_count",
                                                  "quote_count","bookmark_count",
                                                  "impression_count"}}}, counts growing
                                                  with each read (likes 2 a read, reposts 1,
                                                  replies and quotes 1 every other read,
                                                  impressions 50); a post deleted or unknown
                                                  is 200 {"errors":[{"title":"Not Found Error",
                                                  ...}]} without data, as X answers
  GET    /2/users/:id/tweets?start_time&max_results&pagination_token
                                               -> {"data":[{"id","text","created_at"}],"meta"}
  POST   /2/media/upload/initialize {media_type,total_bytes,media_category} -> {"data":{"id"}}
  POST   /2/media/upload/:id/append  multipart segment_index, media
  POST   /2/media/upload/:id/finalize -> processing_info for GIFs and videos
  GET    /2/media/upload?command=STATUS&media_id=  -> processing_info
         {state: pending|in_progress|succeeded|failed, check_after_secs}

Errors are flat problem+json {"title","detail","type","status"}. An
identical text to a live post is 403 "duplicate content". Each answer has
x-rate-limit-limit/-remaining/-reset (Unix time), posting also
x-app-limit-24hour-* and x-user-limit-24hour-*; never Retry-After. Limits
per user: 100 creates and 50 deletes per 15 minutes (x.json "limits" may
lower them). Once the fake said "0 remaining" or answered 429, a request of
that kind before the reset is "early" (and gets 429 again). The timeline
shows texts as X does: links as t.co links, &, < and > escaped.

Faults (POST /_fake/faults), besides the contract's: rate_limit takes
"kind": "window" (default: the 15-minute limit, 429), "remaining_zero"
(the request succeeds and says 0 remaining until `seconds` from now),
"user_24h" (429, the user's 24-hour limit exhausted until `seconds` from
now while the 15-minute window resets in 1 s), "usage_capped" (429 with
the usage-capped type); processing takes "failed": true (the medium fails
after its `count` polls). A STATUS poll sooner than check_after_secs after
the last answer is "early" too."""
import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import re
import socket
import threading
import time
import urllib.parse
import email.parser
import email.policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--webhook", default=None)
ap.add_argument("--description", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "x.json"))
args = ap.parse_args()
desc = json.load(open(args.description))
creds = json.loads(desc["secret"])
USER = desc["account"]["user_id"]
LIMITS = {"create": 100, "delete": 50, "lookup": 900, "upload": 500, "poll": 900, "metrics": 900}
LIMITS.update(desc.get("limits", {}))
WINDOW = 900
PROBLEMS = "https://api.twitter.com/2/problems/"

lock = threading.RLock()
faults = []
live = {}  # id -> {"id", "text", "account", "media", "created"}
reads = {}  # id -> metrics reads so far
deleted = []
media = {}  # id -> {"type", "category", "total", "received", "state", "polls", "failed"}
windows = {}  # family -> [start, count]
wait_until = {}  # family -> Unix time before which nothing of it may come
day = {"start": time.time(), "count": 0}
next_id = [1870000000000000000]
record_file = open(args.record, "a", buffering=1)


def new_id():
    with lock:
        next_id[0] += 1
        return str(next_id[0])


def enc(s):
    return urllib.parse.quote(s, safe="-._~")


def signature_ok(method, url, headers, body):
    """The OAuth 1.0a HMAC-SHA1 signature, checked as RFC 5849 says."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("OAuth "):
        return False
    oauth = {}
    for item in re.findall(r'([a-z_]+)="([^"]*)"', auth):
        oauth[item[0]] = urllib.parse.unquote(item[1])
    if oauth.get("oauth_consumer_key") != creds["consumer_key"] or \
            oauth.get("oauth_token") != creds["token"] or \
            oauth.get("oauth_signature_method") != "HMAC-SHA1":
        return False
    split = urllib.parse.urlsplit(url)
    params = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        params += urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
    params += [(k, v) for k, v in oauth.items() if k != "oauth_signature"]
    normalized = "&".join("%s=%s" % p for p in sorted((enc(k), enc(v)) for k, v in params))
    base_uri = "%s://%s%s" % (split.scheme, split.netloc.lower(), split.path or "/")
    base = "&".join([method.upper(), enc(base_uri), enc(normalized)])
    key = enc(creds["consumer_secret"]) + "&" + enc(creds["token_secret"])
    want = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(want, oauth.get("oauth_signature", ""))


def problem(status, title, detail, kind="about:blank", headers=(), extra=None):
    body = {"title": title, "detail": detail, "type": kind, "status": status}
    body.update(extra or {})
    return status, body, list(headers), None


def family_of(method, path):
    if path == "/2/tweets" and method == "POST":
        return "create"
    if path.startswith("/2/tweets/") and method == "DELETE":
        return "delete"
    if re.fullmatch(r"/2/tweets/[0-9]+", path) and method == "GET":
        return "metrics"
    if re.fullmatch(r"/2/users/[^/]+/tweets", path) and method == "GET":
        return "lookup"
    if path == "/2/media/upload" and method == "GET":
        return "poll"
    if path.startswith("/2/media/upload/") and method == "POST":
        return "upload"
    return "other"


def limit_headers(family, now, exhausted_until=None):
    """x-rate-limit-* of family's 15-minute window (counting this request),
    and for posting the 24-hour ones."""
    start, count = windows.get(family, [now, 0])
    limit = LIMITS.get(family, 900)
    reset = int(math.ceil(start + WINDOW))
    remaining = max(0, limit - count)
    if exhausted_until:
        reset, remaining = int(exhausted_until), 0
    h = [("x-rate-limit-limit", str(limit)), ("x-rate-limit-remaining", str(remaining)),
         ("x-rate-limit-reset", str(reset))]
    if family == "create":
        day_reset = str(int(math.ceil(day["start"] + 86400)))
        h += [("x-app-limit-24hour-limit", "10000"),
              ("x-app-limit-24hour-remaining", str(max(0, 10000 - day["count"]))),
              ("x-app-limit-24hour-reset", day_reset),
              ("x-user-limit-24hour-limit", "2400"),
              ("x-user-limit-24hour-remaining", str(max(0, 2400 - day["count"]))),
              ("x-user-limit-24hour-reset", day_reset)]
    return h


def count_request(family, now):
    """Counts a request in its window; the window's reset once exhausted."""
    with lock:
        w = windows.get(family)
        if not w or now >= w[0] + WINDOW:
            w = windows[family] = [now, 0]
        w[1] += 1
        reset = int(math.ceil(w[0] + WINDOW))
        if w[1] >= LIMITS.get(family, 900):  # "0 remaining": nothing more before the reset
            wait_until[family] = max(wait_until.get(family, 0), reset)
        return reset if w[1] > LIMITS.get(family, 900) else None


def throttled(family, now, until, kind="window"):
    """A 429 as X words it, its headers saying wait until `until`."""
    h = limit_headers(family, now, until)
    if kind == "user_24h":
        h = [(k, v) for k, v in h if not k.startswith("x-rate-limit-") and
             not k.startswith("x-user-limit-24hour-")]
        h += [("x-rate-limit-limit", str(LIMITS[family])), ("x-rate-limit-remaining", "0"),
              ("x-rate-limit-reset", str(int(now) + 1)),
              ("x-user-limit-24hour-limit", "2400"), ("x-user-limit-24hour-remaining", "0"),
              ("x-user-limit-24hour-reset", str(int(until)))]
    if kind == "usage_capped":
        return problem(429, "UsageCapExceeded", "Usage cap exceeded: Monthly product cap",
                       PROBLEMS + "usage-capped", h)
    return problem(429, "Too Many Requests", "Too Many Requests", "about:blank", h)


def as_shown(text):
    """The text as X shows it on a timeline."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"https?://\S+", lambda m: "https://t.co/" +
                  hashlib.sha1(m.group(0).encode()).hexdigest()[:10], text)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def parse_iso(s):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", s or "")
    if not m:
        return None
    import calendar
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + \
        float(m.group(2) or 0)


def take_fault(op, path):
    with lock:
        for f in faults:
            if f.get("op", "any") in (op, "any") and f.get("count", 1) > 0:
                if f["fault"] == "processing":
                    if not path.endswith("/finalize"):
                        continue
                    faults.remove(f)  # its count is the polls it stays processing
                    return f
                f["count"] = f.get("count", 1) - 1
                if f["count"] == 0:
                    faults.remove(f)
                return f
    return None


def processing_info(m):
    if m["state"] in ("pending", "in_progress"):
        return {"state": m["state"], "check_after_secs": 1, "progress_percent": 50}
    if m["state"] == "failed":
        return {"state": "failed", "error": {"code": 1, "name": "InvalidMedia",
                                             "message": "Unsupported video format"}}
    return {"state": "succeeded", "progress_percent": 100}


# ---- what each endpoint does --------------------------------------------------

def create(req):
    text = req["json"].get("text") if isinstance(req["json"], dict) else None
    ids = ((req["json"].get("media") or {}).get("media_ids") or []) if text is not None else []
    if not isinstance(text, str) or (not text and not ids):
        return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                       PROBLEMS + "invalid-request",
                       extra={"errors": [{"message": "The `text` field is required."}]})
    for i in ids:
        m = media.get(i)
        if not m or m["state"] != "succeeded":
            return problem(400, "Invalid Request",
                           "One or more parameters to your request was invalid.",
                           PROBLEMS + "invalid-request",
                           extra={"errors": [{"message": "Your media IDs are invalid."}]})
    with lock:
        if any(p["text"] == text for p in live.values()):
            return problem(403, "Forbidden",
                           "You are not allowed to create a Tweet with duplicate content.")
        post = {"id": new_id(), "text": text, "account": USER, "media": len(ids),
                "created": time.time()}
        live[post["id"]] = post
        day["count"] += 1
    return 201, {"data": {"id": post["id"], "text": text}}, [], post


def delete(req):
    post_id = req["path"].rsplit("/", 1)[1]
    with lock:
        post = live.pop(post_id, None)
        if post is None:
            return problem(404, "Not Found Error", "Could not find tweet with id: [%s]." % post_id,
                           PROBLEMS + "resource-not-found")
        deleted.append(post_id)
    return 200, {"data": {"deleted": True}}, [], {"id": post_id}


def metrics(req):
    post_id = req["path"].rsplit("/", 1)[1]
    with lock:
        post = live.get(post_id)
        if post is None:
            return 200, {"errors": [{
                "value": post_id, "detail": "Could not find tweet with id: [%s]." % post_id,
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": post_id, "type": PROBLEMS + "resource-not-found"}]}, [], None
        n = reads[post_id] = reads.get(post_id, 0) + 1
    data = {"id": post_id, "text": as_shown(post["text"]), "edit_history_tweet_ids": [post_id]}
    if "public_metrics" in req["query"].get("tweet.fields", "").split(","):
        data["public_metrics"] = {"retweet_count": n, "reply_count": n // 2, "like_count": 2 * n,
                                  "quote_count": n // 2, "bookmark_count": 0,
                                  "impression_count": 50 * n}
    return 200, {"data": data}, [], None


def lookup(req):
    user = req["path"].split("/")[3]
    if user != USER:
        return problem(403, "Forbidden", "You can only read your own posts here.")
    q = req["query"]
    start = parse_iso(q.get("start_time"))
    if q.get("start_time") and start is None:
        return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                       PROBLEMS + "invalid-request",
                       extra={"errors": [{"message": "Invalid start_time"}]})
    n = max(5, min(100, int(q.get("max_results", "10"))))
    offset = int(q.get("pagination_token", "0") or 0)
    with lock:
        posts = sorted((p for p in live.values() if start is None or p["created"] >= start),
                       key=lambda p: -p["created"])
    page = posts[offset:offset + n]
    meta = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
    if offset + n < len(posts):
        meta["next_token"] = str(offset + n)
    body = {"meta": meta}
    if page:
        body["data"] = [{"id": p["id"], "text": as_shown(p["text"]), "created_at": iso(p["created"]),
                         "edit_history_tweet_ids": [p["id"]]} for p in page]
    return 200, body, [], None


def upload(req, fault):
    parts = req["path"].split("/")
    if req["path"] == "/2/media/upload/initialize":
        j = req["json"] if isinstance(req["json"], dict) else {}
        if j.get("media_category") not in ("tweet_image", "tweet_gif", "tweet_video") or \
                not isinstance(j.get("total_bytes"), int) or not j.get("media_type"):
            return problem(400, "Invalid Request", "One or more parameters to your request was "
                           "invalid.", PROBLEMS + "invalid-request")
        mid = new_id()
        with lock:
            media[mid] = {"type": j["media_type"], "category": j["media_category"],
                          "total": j["total_bytes"], "received": {}, "state": "created"}
        return 200, {"data": {"id": mid, "media_key": "3_" + mid, "expires_after_secs": 86400}}, \
            [], None
    mid, step = parts[4], parts[5] if len(parts) > 5 else ""
    m = media.get(mid)
    if not m:
        return problem(400, "Invalid Request", "Invalid media id: %s" % mid,
                       PROBLEMS + "invalid-request")
    if step == "append":
        seg, data = req["fields"].get("segment_index"), req["files"].get("media")
        if seg is None or data is None:
            return problem(400, "Invalid Request", "segment_index and media are required.",
                           PROBLEMS + "invalid-request")
        m["received"][int(seg)] = data
        return 200, {"data": {"expires_at": int(time.time()) + 86400}}, [], None
    if step == "finalize":
        got = sum(len(d) for d in m["received"].values())
        if got != m["total"]:
            return problem(400, "Invalid Request", "File size %d does not match total_bytes %d."
                           % (got, m["total"]), PROBLEMS + "invalid-request")
        polls = fault["count"] if fault and fault["fault"] == "processing" else 0
        m["failed"] = bool(fault and fault.get("failed"))
        if polls or m["category"] != "tweet_image":
            m["state"], m["polls"] = "pending", max(polls, 1)
            m["check_at"] = time.time() + 1  # check_after_secs
        else:
            m["state"] = "succeeded"
        data = {"id": mid, "media_key": "3_" + mid, "size": got, "expires_after_secs": 86400}
        if m["state"] != "succeeded":
            data["processing_info"] = processing_info(m)
        return 200, {"data": data}, [], None
    return problem(404, "Not Found Error", "No such endpoint.", PROBLEMS + "resource-not-found")


def poll(req):
    q = req["query"]
    m = media.get(q.get("media_id", ""))
    if q.get("command") != "STATUS" or not m:
        return problem(400, "Invalid Request", "Invalid media id.", PROBLEMS + "invalid-request")
    with lock:
        # asked again before check_after_secs: told to wait, it did not
        req["early"] = time.time() < m.get("check_at", 0)
        if m["state"] in ("pending", "in_progress"):
            m["check_at"] = time.time() + 1
            m["polls"] -= 1
            m["state"] = "in_progress"
            if m["polls"] < 0:
                m["state"] = "failed" if m.get("failed") else "succeeded"
    return 200, {"data": {"id": q["media_id"], "media_key": "3_" + q["media_id"],
                          "processing_info": processing_info(m)}}, [], None


def perform(op, req, fault):
    if op == "create":
        return create(req)
    if op == "delete":
        return delete(req)
    if op == "lookup":
        return lookup(req)
    if op == "metrics":
        return metrics(req)
    if op == "upload":
        return upload(req, fault)
    if op == "poll":
        return poll(req)
    return problem(404, "Not Found Error", "No such endpoint.", PROBLEMS + "resource-not-found")


def refusal(op):
    if op == "create":
        return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                       PROBLEMS + "invalid-request",
                       extra={"errors": [{"message": "Your Tweet text is too long."}]})
    return problem(400, "Invalid Request", "Unsupported media format.",
                   PROBLEMS + "invalid-request")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        problem_json = isinstance(body, dict) and "title" in body and status >= 400
        self.send_header("Content-Type",
                         "application/problem+json" if problem_json else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def parse(self, body):
        url = urllib.parse.urlsplit(self.path)
        req = {"path": url.path, "query": dict(urllib.parse.parse_qsl(url.query, True)),
               "json": None, "fields": {}, "files": {}}
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                req["json"] = json.loads(body or b"null")
            except ValueError:
                pass
        elif ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in msg.iter_parts() if msg.is_multipart() else ():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    req["files"][name] = data
                else:
                    req["fields"][name] = data.decode("utf-8", "replace")
        return req

    def control(self, req, body):
        if req["path"] == "/_fake/faults" and self.command == "POST":
            with lock:
                faults.extend(dict(f) for f in json.loads(body or b"[]"))
            return self.send(200, {"ok": True})
        if req["path"] == "/_fake/posts":
            with lock:
                return self.send(200, {"live": [{k: p[k] for k in ("id", "text", "account", "media")}
                                                 for p in live.values()],
                                       "deleted": list(deleted)})
        if req["path"] == "/_fake/quiet":
            with lock:
                ends = list(wait_until.values())
            return self.send(200, {"seconds": max([0.0] + [t - time.time() for t in ends])})
        return self.send(404, {"error": "no such control"})

    def handle_any(self):
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        req = self.parse(body)
        if req["path"].startswith("/_fake/"):
            return self.control(req, body)
        op = family_of(self.command, req["path"])
        entry = {"arrived": arrived, "method": self.command, "path": req["path"], "op": op,
                 "early": False}
        url = "http://%s%s" % (self.headers.get("Host", ""), self.path)
        fault, drop = None, False
        with lock:
            until = wait_until.get(op, 0)
        if not signature_ok(self.command, url, self.headers, body):
            status, answer, headers, post = problem(401, "Unauthorized", "Unauthorized")
        elif arrived < until:
            entry["early"] = True
            status, answer, headers, post = throttled(op, arrived, until)
        else:
            over = count_request(op, arrived)
            fault = take_fault(op, req["path"])
            kind = fault["fault"] if fault else None
            if over:
                status, answer, headers, post = throttled(op, arrived, over)
                with lock:
                    wait_until[op] = over
            elif kind == "rate_limit":
                seconds = int(fault.get("seconds", 5))
                until = int(math.ceil(arrived + seconds))
                sub = fault.get("kind", "window")
                if sub == "remaining_zero":
                    status, answer, headers, post = perform(op, req, None)
                    headers = [(k, v) for k, v in headers if not k.startswith("x-rate-limit-")]
                    headers += limit_headers(op, arrived, until)
                else:
                    status, answer, headers, post = throttled(op, arrived, until, sub)
                with lock:
                    wait_until[op] = until
            elif kind == "error_before":
                status, answer, headers, post = problem(503, "Service Unavailable",
                                                        "Service Unavailable")
            elif kind == "auth":
                status, answer, headers, post = problem(401, "Unauthorized", "Unauthorized")
            elif kind == "refuse":
                status, answer, headers, post = refusal(op)
            elif kind in ("error_after", "drop_after"):
                s, _, _, post = perform(op, req, None)
                entry["created_status"] = s
                status, answer, headers, _ = problem(500, "Internal Server Error",
                                                     "Internal Server Error")
                drop = kind == "drop_after"
            else:
                status, answer, headers, post = perform(op, req, fault)
            if kind:
                entry["fault"] = kind
            if not any(k == "x-rate-limit-limit" for k, _ in headers) and op != "other":
                headers = headers + limit_headers(op, arrived)
        entry["early"] = entry["early"] or req.get("early", False)
        entry["status"] = 0 if drop else status
        if post:
            entry["id"] = post["id"]
            if "text" in post:
                entry["text"] = post["text"]
            entry["media"] = post.get("media", 0)
        entry["t"] = time.time()
        with lock:
            record_file.write(json.dumps(entry) + "\n")
            record_file.flush()
        if drop:
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send(status, answer, headers)

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
