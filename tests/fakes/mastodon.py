#!/usr/bin/env python3
"""A fake Mastodon instance, answering as NETWORKS.md documents the real one
(the contract of tests/fakes/README.md: faults, the record, /_fake).

- POST /api/v1/statuses (form or JSON, Bearer token): 200 and the Status;
  an Idempotency-Key seen from the account within the hour returns the
  original status and creates nothing; a medium still processing is 422
  "Cannot attach files that have not finished processing".
- POST /api/v2/media (multipart "file", "description"): 200 and the
  attachment when ready (images), 202 with url null while processing
  (videos, or the "processing" fault); GET /api/v1/media/:id: 206 while
  processing, 200 ready, 422 failed, 404 once attached to a status.
- DELETE /api/v1/statuses/:id: the deleted Status; 404 when there is none.
- GET /api/v2/instance: max_characters 500, max_media_attachments 4,
  characters_reserved_per_url 23.
- GET /api/v1/accounts/verify_credentials, /api/v1/accounts/:id/statuses.
- Errors {"error": "..."}: 401 (a token other than the one in
  mastodon.json), 404, 422, 429 {"error": "Too many requests"}.
- X-RateLimit-Limit, -Remaining, -Reset (ISO 8601 with microseconds) on
  every answer, for the family the request belongs to, as Mastodon
  counts: statuses 300 per 3 hours per account (--statuses-per-window,
  --status-window-seconds change it for tests), media 30 per 30 minutes,
  deletions 30 per 30 minutes, any other request 300 per 5 minutes. A
  request past its family's limit gets the 429, and is recorded early."""
import argparse
import datetime
import email.parser
import email.policy
import json
import os
import re
import threading
import time
import unicodedata
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--webhook", default=None)  # the contract's; Mastodon has none
ap.add_argument("--statuses-per-window", type=int, default=300)
ap.add_argument("--status-window-seconds", type=int, default=3 * 3600)
ap.add_argument("--video-polls", type=int, default=1,
                help="polls a video stays processing (206) before it is ready")
args = ap.parse_args()

spec = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mastodon.json")))
TOKEN = spec["secret"]
ACCT = spec["fake"]["acct"]
ACCOUNT_ID = spec["fake"]["account_id"]
KEY_SECONDS = 3600
MAX_CHARACTERS = 500
MAX_MEDIA = 4
URL_CHARS = 23
# family -> (limit, period in seconds)
LIMITS = {"statuses": (args.statuses_per_window, args.status_window_seconds),
          "media": (30, 30 * 60), "delete": (30, 30 * 60), "api": (300, 5 * 60)}

lock = threading.RLock()
record_file = open(args.record, "a", buffering=1)
faults = []  # {"fault", "op", "count", "seconds"}
statuses = {}  # id -> status dict (with "_text", "_key", "_deleted")
media = {}  # id -> {"polls_left", "failed", "attached", "description", ...}
idempotency = {}  # key -> (status id, time)
counts = {}  # (family, window start) -> requests counted
blocked_until = 0.0  # a 429 told the account to wait until then (every family)
next_id = [109400000000000000]


def new_id():
    next_id[0] += 1
    return str(next_id[0])


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def length(text):
    """Grapheme clusters, roughly (combining marks, joiners, variation
    selectors and skin tones join the one before), a URL 23, @user@domain
    as @user."""
    text = re.sub(r"https?://\S+", "x" * URL_CHARS, text)
    text = re.sub(r"(@\w+)@[\w.-]+\w", r"\1", text)
    n, join = 0, False
    regional = 0
    for ch in text:
        cp = ord(ch)
        if join or unicodedata.combining(ch) or cp == 0x200D or 0xFE00 <= cp <= 0xFE0F \
                or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
            join = cp == 0x200D
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            regional += 1
            if regional % 2 == 0:
                continue
        else:
            regional = 0
        n += 1
    return n


def window(family, now):
    limit, period = LIMITS[family]
    start = int(now // period) * period
    return limit, start, start + period


def take_fault(op):
    """The first fault waiting for this op (or any), one of its count used."""
    with lock:
        for f in faults:
            if f["op"] in (op, "any") and f["count"] > 0:
                if f["fault"] == "processing" and op != "upload":
                    continue
                f["count"] -= 1
                if f["fault"] == "processing":
                    f["count"] = 0  # it applies to one upload, for count polls
                faults[:] = [x for x in faults if x["count"] > 0]
                return f
    return None


def public(status):
    return {k: v for k, v in status.items() if not k.startswith("_")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    # ---- answering ----------------------------------------------------
    def send(self, status, body, headers=(), raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw is not None else
                         "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, status, **extra):
        entry = {"t": time.time(), "method": self.command, "path": self.path.split("?")[0],
                 "op": self.op, "status": status, "early": self.early}
        entry.update(extra)
        with lock:
            record_file.write(json.dumps(entry) + "\n")
            record_file.flush()

    def answer(self, status, body, **extra):
        self.record(status, **extra)
        self.send(status, body, self.rate_headers)

    def error(self, status, message, **extra):
        self.answer(status, {"error": message}, **extra)

    def drop(self, **extra):
        self.record(0, **extra)
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    # ---- the request ----------------------------------------------------
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def form(self, raw):
        """The parameters of a JSON, form or multipart body: name -> list."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                doc = json.loads(raw or b"{}")
            except ValueError:
                return None
            out = {}
            for k, v in doc.items():
                out[k] = [str(x) for x in v] if isinstance(v, list) else [v]
            return out
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            out = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    out.setdefault(name, []).append({"filename": part.get_filename(),
                                                     "type": part.get_content_type(),
                                                     "size": len(payload)})
                else:
                    out.setdefault(name, []).append(payload.decode("utf-8", "replace"))
            return out
        parsed = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {k.removesuffix("[]"): v for k, v in parsed.items()}

    def classify(self):
        path = self.path.split("?")[0]
        if self.command == "POST" and path == "/api/v1/statuses":
            return "create", "statuses"
        if self.command == "POST" and path == "/api/v2/media":
            return "upload", "media"
        if self.command == "GET" and re.fullmatch(r"/api/v1/media/\w+", path):
            return "poll", "api"
        if self.command == "DELETE" and re.fullmatch(r"/api/v1/statuses/\w+", path):
            return "delete", "delete"
        if self.command == "GET" and (path == "/api/v1/accounts/verify_credentials" or
                                      re.fullmatch(r"/api/v1/accounts/\w+/statuses", path)):
            return "lookup", "api"
        return "other", "api"

    def handle_any(self):
        global blocked_until
        if self.path.startswith("/_fake/"):
            return self.fake_control()
        raw = self.body()
        self.op, family = self.classify()
        now = time.time()
        self.rate_headers = []
        self.early = False
        if self.path.split("?")[0] == "/api/v2/instance":
            return self.answer(200, instance())
        if self.headers.get("Authorization", "") != "Bearer " + TOKEN:
            return self.error(401, "The access token is invalid")
        fault = take_fault(self.op)
        limit, start, reset = window(family, now)
        with lock:
            exhausted = counts.get((family, start), 0) >= limit
            told_to_wait = blocked_until > now
            self.early = exhausted or told_to_wait
            if not self.early and not (fault and fault["fault"] in ("rate_limit", "auth")):
                counts[(family, start)] = counts.get((family, start), 0) + 1
            used = counts.get((family, start), 0)
        if told_to_wait or exhausted:
            until = max(blocked_until, reset) if exhausted else blocked_until
            self.rate_headers = [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", "0"),
                                 ("X-RateLimit-Reset", iso(until))]
            return self.error(429, "Too many requests")
        self.rate_headers = [("X-RateLimit-Limit", str(limit)),
                             ("X-RateLimit-Remaining", str(max(limit - used, 0))),
                             ("X-RateLimit-Reset", iso(reset))]
        if fault:
            kind = fault["fault"]
            if kind == "rate_limit":
                with lock:
                    blocked_until = now + float(fault.get("seconds", 60))
                self.rate_headers = [("X-RateLimit-Limit", str(limit)),
                                     ("X-RateLimit-Remaining", "0"),
                                     ("X-RateLimit-Reset", iso(blocked_until))]
                return self.error(429, "Too many requests")
            if kind == "error_before":
                self.record(503)
                return self.send(503, None, raw=b"<html><body><h1>503 Service Unavailable</h1>"
                                 b"</body></html>")
            if kind == "auth":
                return self.error(401, "The access token is invalid")
            if kind == "refuse":
                words = {"create": "Validation failed: Text character limit of %d exceeded"
                                   % MAX_CHARACTERS,
                         "upload": "Validation failed: File content type is invalid",
                         "poll": "Error processing thumbnail for uploaded media"}
                return self.error(422, words.get(self.op, "Validation failed"))
            if kind == "processing" or kind == "late_failure":
                fault = fault if kind == "processing" else None
        params = self.form(raw)
        if params is None:
            return self.error(422, "Validation failed: the body is not JSON")
        after = fault["fault"] if fault and fault["fault"] in ("error_after", "drop_after") else None
        if self.op == "create":
            return self.create(params, now, after)
        if self.op == "upload":
            return self.upload(params, fault, after)
        if self.op == "poll":
            return self.poll()
        if self.op == "delete":
            return self.delete(after)
        if self.op == "lookup":
            return self.lookup()
        return self.error(404, "Record not found")

    def finish_after(self, after, status, body, **extra):
        if after == "drop_after":
            return self.drop(**extra)
        if after == "error_after":
            return self.error(500, "We're sorry, but something went wrong on our end.", **extra)
        return self.answer(status, body, **extra)

    # ---- the API --------------------------------------------------------
    def create(self, params, now, after):
        key = self.headers.get("Idempotency-Key")
        with lock:
            known = idempotency.get(key) if key else None
            if known and now - known[1] < KEY_SECONDS:
                status = statuses[known[0]]
                return self.finish_after(after, 200, public(status), id=status["id"],
                                         replayed=True, key=key, media=len(status["media_attachments"]))
        text = (params.get("status") or [""])[0]
        ids = params.get("media_ids") or []
        if len(ids) > MAX_MEDIA:
            return self.error(422, "Validation failed: Media attachments too many")
        if not text.strip() and not ids:
            return self.error(422, "Validation failed: Text can't be blank")
        spoiler = (params.get("spoiler_text") or [""])[0]
        if length(spoiler + text) > MAX_CHARACTERS:
            return self.error(422, "Validation failed: Text character limit of %d exceeded"
                              % MAX_CHARACTERS)
        visibility = (params.get("visibility") or ["public"])[0]
        if visibility not in ("public", "unlisted", "private", "direct"):
            return self.error(422, "Validation failed: Visibility is not included in the list")
        with lock:
            attachments = []
            for mid in ids:
                m = media.get(str(mid))
                if not m or m["attached"]:
                    return self.error(422, "Validation failed: Media attachment %s not found" % mid)
                if m["polls_left"] > 0 or m["failed"]:
                    return self.error(422, "Cannot attach files that have not finished processing. "
                                      "Try again in a moment!")
                attachments.append(m)
            sid = new_id()
            for m in attachments:
                m["attached"] = True
            status = {
                "id": sid, "created_at": iso(now), "visibility": visibility,
                "language": (params.get("language") or [None])[0], "sensitive": False,
                "spoiler_text": spoiler, "uri": "https://fake.example/users/%s/statuses/%s" % (ACCT, sid),
                "url": "https://fake.example/@%s/%s" % (ACCT, sid),
                "content": "<p>%s</p>" % text.replace("&", "&amp;").replace("<", "&lt;"),
                "account": {"id": ACCOUNT_ID, "username": ACCT, "acct": ACCT},
                "media_attachments": [public(m) for m in attachments],
                "_text": text, "_key": key, "_deleted": False}
            statuses[sid] = status
            if key:
                idempotency[key] = (sid, now)
        return self.finish_after(after, 200, public(status), id=sid, text=text, key=key,
                                 media=len(attachments),
                                 descriptions=[m["description"] for m in attachments])

    def upload(self, params, fault, after):
        files = [f for f in params.get("file") or [] if isinstance(f, dict)]
        if not files:
            return self.error(422, "Validation failed: File can't be blank")
        description = (params.get("description") or [None])[0]
        if description and len(description) > 1500:
            return self.error(422, "Validation failed: Description is too long (maximum is 1500 characters)")
        f = files[0]
        video = f["type"].startswith("video/") or f["filename"].lower().endswith((".mp4", ".webm", ".mov"))
        polls = fault["polls"] if fault and fault["fault"] == "processing" else \
            (args.video_polls if video else 0)
        with lock:
            mid = new_id()
            m = {"id": mid, "type": "video" if video else "image", "url": None, "preview_url": None,
                 "description": description, "blurhash": None,
                 "polls_left": polls, "failed": False, "attached": False}
            if polls == 0:
                m["url"] = "https://fake.example/media/%s" % mid
            media[mid] = m
        return self.finish_after(after, 200 if polls == 0 else 202, public_media(m), id=mid,
                                 media=1, description=description, filename=f["filename"],
                                 size=f["size"])

    def poll(self):
        mid = self.path.split("?")[0].rsplit("/", 1)[1]
        with lock:
            m = media.get(mid)
            if not m or m["attached"]:
                return self.error(404, "Record not found")
            if m["failed"]:
                return self.error(422, "Error processing thumbnail for uploaded media")
            if m["polls_left"] > 0:
                m["polls_left"] -= 1
                return self.answer(206, public_media(m), id=mid)
            m["url"] = "https://fake.example/media/%s" % mid
        return self.answer(200, public_media(m), id=mid)

    def delete(self, after):
        sid = self.path.split("?")[0].rsplit("/", 1)[1]
        with lock:
            status = statuses.get(sid)
            if not status or status["_deleted"]:
                return self.error(404, "Record not found")
            status["_deleted"] = True
            body = dict(public(status), text=status["_text"])
        return self.finish_after(after, 200, body, id=sid)

    def lookup(self):
        path = self.path.split("?")[0]
        if path.endswith("verify_credentials"):
            return self.answer(200, {"id": ACCOUNT_ID, "username": ACCT, "acct": ACCT})
        if path.split("/")[4] != ACCOUNT_ID:
            return self.error(404, "Record not found")
        with lock:
            live = [public(s) for s in statuses.values() if not s["_deleted"]]
        return self.answer(200, list(reversed(live))[:40])

    # ---- the test's controls ---------------------------------------------
    def fake_control(self):
        raw = self.body()
        path = self.path.split("?")[0]
        if self.command == "POST" and path == "/_fake/faults":
            entries = json.loads(raw or b"[]")
            with lock:
                for e in entries:
                    faults.append({"fault": e["fault"], "op": e.get("op", "any"),
                                   "count": int(e.get("count", 1)),
                                   "seconds": e.get("seconds", 60),
                                   "polls": int(e.get("count", 1))})
            return self.send(200, {"faults": len(faults)})
        if self.command == "GET" and path == "/_fake/posts":
            with lock:
                live = [{"id": s["id"], "text": s["_text"], "account": ACCT,
                         "media": len(s["media_attachments"]),
                         "descriptions": [m["description"] for m in s["media_attachments"]],
                         "language": s["language"], "visibility": s["visibility"]}
                        for s in statuses.values() if not s["_deleted"]]
                deleted = [s["id"] for s in statuses.values() if s["_deleted"]]
            return self.send(200, {"live": live, "deleted": deleted})
        return self.send(404, {"error": "Record not found"})

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


def public_media(m):
    return {k: v for k, v in m.items() if k not in ("polls_left", "failed", "attached")}


def instance():
    return {"domain": "fake.example", "title": "A fake instance", "version": "4.3.0",
            "configuration": {
                "urls": {"streaming": "wss://fake.example"},
                "statuses": {"max_characters": MAX_CHARACTERS, "max_media_attachments": MAX_MEDIA,
                             "characters_reserved_per_url": URL_CHARS},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png",
                                                               "image/gif", "image/webp",
                                                               "video/mp4"],
                                      "image_size_limit": 16777216,
                                      "video_size_limit": 103809024,
                                      "description_limit": 1500}}}


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
