#!/usr/bin/env python3
"""A fake Mastodon instance, answering as NETWORKS.md documents the real one
(the contract of tests/fakes/README.md, through fakenet.py).

- POST /api/v1/statuses (form or JSON, Bearer token): 200 and the Status;
  an Idempotency-Key seen from the account within the hour returns the
  original status and creates nothing (recorded without a text); a medium
  still processing is 422 "Cannot attach files that have not finished
  processing".
- POST /api/v2/media (multipart "file", "description"): 200 and the
  attachment when ready (images), 202 with url null while processing
  (videos, or the "processing" fault: `count` polls); GET /api/v1/media/:id:
  206 while processing, 200 ready, 422 failed, 404 once attached.
- DELETE /api/v1/statuses/:id: the deleted Status; 404 when there is none.
- GET /api/v1/statuses/:id (op "metrics"): the Status with its
  favourites_count, reblogs_count and replies_count, which grow with each
  read of it (favourites 3 a read, boosts 1, replies 1 every other read);
  404 Record not found once deleted. In the family of other requests.
- GET /api/v2/instance: max_characters 500, max_media_attachments 4,
  characters_reserved_per_url 23.
- GET /api/v1/accounts/verify_credentials, /api/v1/accounts/:id/statuses.
- Errors {"error": "..."}: 401 (a token other than mastodon.json's), 404,
  422, 429 {"error": "Too many requests"}; a 5xx is the instance's HTML page.
- X-RateLimit-Limit, -Remaining, -Reset (ISO 8601 with microseconds) on
  every answer, for the family of the request, as Mastodon counts: statuses
  300 per 3 hours per account (--statuses-per-window and
  --status-window-seconds change it for tests), media 30 per 30 minutes,
  deletions 30 per 30 minutes, other requests 300 per 5 minutes. A family
  spent (Remaining 0, or a 429) tells the account to wait until its reset:
  what comes before is early.

Faults, in Mastodon's words: rate_limit (429 Too many requests, the reset
`seconds` away), error_before (503, nothing created), error_after /
drop_after, auth (401 The access token is invalid), refuse (422: a status
over the limit, a file type refused, a medium that failed processing),
processing (the next upload stays processing for `count` polls).

usage: mastodon.py --port-file FILE --record FILE
       [--statuses-per-window N] [--status-window-seconds S]"""
import datetime
import re
import sys
import time
import unicodedata

import fakenet

KEY_SECONDS = 3600
MAX_CHARACTERS = 500
MAX_MEDIA = 4
URL_CHARS = 23
VIDEO_POLLS = 1


def option(name, default):
    """A fake's own option, taken out of argv before fakenet reads it."""
    if name in sys.argv:
        i = sys.argv.index(name)
        value = sys.argv[i + 1]
        del sys.argv[i:i + 2]
        return int(value)
    return default


STATUSES_PER_WINDOW = option("--statuses-per-window", 300)
STATUS_WINDOW = option("--status-window-seconds", 3 * 3600)
# family -> (limit, period in seconds)
LIMITS = {"statuses": (STATUSES_PER_WINDOW, STATUS_WINDOW), "media": (30, 30 * 60),
          "delete": (30, 30 * 60), "api": (300, 5 * 60)}


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def length(text):
    """Grapheme clusters, roughly (combining marks, joiners, variation
    selectors and skin tones join the one before; flags are pairs), a URL
    23, @user@domain as @user."""
    text = re.sub(r"https?://\S+", "x" * URL_CHARS, text)
    text = re.sub(r"(@\w+)@[\w.-]+\w", r"\1", text)
    n, join, regional = 0, False, 0
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


def error(status, message, headers=()):
    return fakenet.Answer(status, {"error": message}, headers)


class Mastodon(fakenet.Network):
    name = "mastodon"

    def __init__(self, description):
        super().__init__(description)
        self.acct = description["fake"]["acct"]
        self.account_id = description["fake"]["account_id"]
        self.statuses = {}  # id -> status (with "_text", "_deleted")
        self.media = {}  # id -> attachment (with "_polls_left", "_failed", "_attached")
        self.keys = {}  # Idempotency-Key -> (status id, time)
        self.counts = {}  # (family, window start) -> requests
        self.next_id = 109400000000000000

    def new_id(self):
        self.next_id += 1
        return str(self.next_id)

    # ---- what a request is ------------------------------------------------
    def classify(self, req):
        m, p = req.method, req.path
        if m == "POST" and p == "/api/v1/statuses":
            op, family = "create", "statuses"
        elif m == "POST" and p == "/api/v2/media":
            op, family = "upload", "media"
        elif m == "GET" and re.fullmatch(r"/api/v1/media/\w+", p):
            op, family = "poll", "api"
        elif m == "GET" and re.fullmatch(r"/api/v1/statuses/\w+", p):
            op, family = "metrics", "api"
        elif m == "DELETE" and re.fullmatch(r"/api/v1/statuses/\w+", p):
            op, family = "delete", "delete"
        elif m == "GET" and (p == "/api/v1/accounts/verify_credentials" or
                             re.fullmatch(r"/api/v1/accounts/\w+/statuses", p)):
            op, family = "lookup", "api"
        else:
            op, family = "other", "api"
        req.family = family
        return op, "%s/%s" % (self.acct, family)

    def authorized(self, req):
        return req.path == "/api/v2/instance" or \
            req.headers.get("Authorization", "") == "Bearer %s" % self.secret

    # ---- the network's words ------------------------------------------------
    def limit_headers(self, family, remaining, reset):
        return [("X-RateLimit-Limit", str(LIMITS[family][0])),
                ("X-RateLimit-Remaining", str(remaining)), ("X-RateLimit-Reset", iso(reset))]

    def rate_limited(self, req, seconds):
        # fakenet counts the wait from its answer, a moment after this
        return error(429, "Too many requests",
                     self.limit_headers(req.family, 0, time.time() + seconds + 0.05))

    def server_error(self, req):
        return fakenet.Answer(503, None, raw=b"<html><body><h1>503 Service Unavailable</h1>"
                              b"</body></html>", content_type="text/html")

    def auth_error(self, req):
        return error(401, "The access token is invalid")

    def refusal(self, req):
        op, _ = self.classify(req)
        words = {"create": "Validation failed: Text character limit of %d exceeded" % MAX_CHARACTERS,
                 "upload": "Validation failed: File content type is invalid",
                 "poll": "Error processing thumbnail for uploaded media"}
        return error(422, words.get(op, "Validation failed"))

    # ---- doing it -------------------------------------------------------------
    def perform(self, req, fault=None):
        op, account = self.classify(req)
        if req.path == "/api/v2/instance":
            return fakenet.Answer(200, instance())
        family = req.family
        limit, period = LIMITS[family]
        now = time.time()
        start = int(now // period) * period
        reset = start + period
        with self.lock:
            used = self.counts.get((family, start), 0)
            if used >= limit:
                self.tell_to_wait(account, reset)
                return error(429, "Too many requests", self.limit_headers(family, 0, reset))
            used = self.counts[(family, start)] = used + 1
        if used >= limit:
            self.tell_to_wait(account, reset)
        answer = {"create": self.create, "upload": self.upload, "poll": self.poll,
                  "delete": self.delete, "lookup": self.lookup,
                  "metrics": self.status}.get(op, self.other)(req, fault)
        answer.headers += self.limit_headers(family, limit - used, reset)
        return answer

    def tell_to_wait(self, account, until):
        with self.fake.lock:
            self.fake.wait_until[account] = max(self.fake.wait_until.get(account, 0), until)

    def create(self, req, fault):
        key = req.headers.get("Idempotency-Key")
        now = time.time()
        with self.lock:
            known = self.keys.get(key) if key else None
            if known and now - known[1] < KEY_SECONDS:
                status = self.statuses[known[0]]
                # the original, nothing created: recorded without a text
                return fakenet.Answer(200, public(status), post={
                    "id": status["id"], "media": len(status["media_attachments"])})
        text = req.param("status") or ""
        ids = req.param("media_ids")
        if ids is None:
            ids = req.fields.get("media_ids[]", [])
        ids = [str(i) for i in (ids if isinstance(ids, list) else [ids])]
        if len(ids) > MAX_MEDIA:
            return error(422, "Validation failed: Media attachments too many")
        if not text.strip() and not ids:
            return error(422, "Validation failed: Text can't be blank")
        spoiler = req.param("spoiler_text") or ""
        if length(spoiler + text) > MAX_CHARACTERS:
            return error(422, "Validation failed: Text character limit of %d exceeded"
                         % MAX_CHARACTERS)
        visibility = req.param("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            return error(422, "Validation failed: Visibility is not included in the list")
        with self.lock:
            attachments = []
            for mid in ids:
                m = self.media.get(mid)
                if not m or m["_attached"]:
                    return error(422, "Validation failed: Media attachment %s not found" % mid)
                if m["_polls_left"] > 0 or m["_failed"]:
                    return error(422, "Cannot attach files that have not finished processing. "
                                 "Try again in a moment!")
                attachments.append(m)
            sid = self.new_id()
            for m in attachments:
                m["_attached"] = True
            status = {
                "id": sid, "created_at": iso(now), "visibility": visibility,
                "language": req.param("language"), "sensitive": False, "spoiler_text": spoiler,
                "uri": "https://fake.example/users/%s/statuses/%s" % (self.acct, sid),
                "url": "https://fake.example/@%s/%s" % (self.acct, sid),
                "content": "<p>%s</p>" % text.replace("&", "&amp;").replace("<", "&lt;"),
                "account": {"id": self.account_id, "username": self.acct, "acct": self.acct},
                "media_attachments": [public(m) for m in attachments],
                "_text": text, "_deleted": False}
            self.statuses[sid] = status
            if key:
                self.keys[key] = (sid, now)
        post = {"id": sid, "text": text, "account": self.acct, "media": len(attachments),
                "descriptions": [m["description"] for m in attachments],
                "language": status["language"], "visibility": visibility}
        self.fake.add_post(post)
        return fakenet.Answer(200, public(status), post=post)

    def upload(self, req, fault):
        f = req.files.get("file")
        if not f:
            return error(422, "Validation failed: File can't be blank")
        filename, ctype, data = f
        description = req.param("description")
        if description and len(description) > 1500:
            return error(422, "Validation failed: Description is too long (maximum is 1500 "
                         "characters)")
        video = ctype.startswith("video/") or filename.lower().endswith((".mp4", ".webm", ".mov"))
        if fault and fault["fault"] == "processing":
            polls = int(fault.get("polls", fault.get("count", 1)) or 1)
            fault["count"] = 0  # one upload, processing for that many polls
        else:
            polls = VIDEO_POLLS if video else 0
        with self.lock:
            mid = self.new_id()
            m = {"id": mid, "type": "video" if video else "image", "url": None,
                 "preview_url": None, "description": description, "blurhash": None,
                 "_polls_left": polls, "_failed": False, "_attached": False}
            if polls == 0:
                m["url"] = "https://fake.example/media/%s" % mid
            self.media[mid] = m
        return fakenet.Answer(200 if polls == 0 else 202, public(m))

    def poll(self, req, fault):
        mid = req.path.rsplit("/", 1)[1]
        with self.lock:
            m = self.media.get(mid)
            if not m or m["_attached"]:
                return error(404, "Record not found")
            if m["_failed"]:
                return error(422, "Error processing thumbnail for uploaded media")
            if m["_polls_left"] > 0:
                m["_polls_left"] -= 1
                return fakenet.Answer(206, public(m))
            m["url"] = "https://fake.example/media/%s" % mid
            return fakenet.Answer(200, public(m))

    def delete(self, req, fault):
        sid = req.path.rsplit("/", 1)[1]
        with self.lock:
            status = self.statuses.get(sid)
            if not status or status["_deleted"]:
                return error(404, "Record not found")
            status["_deleted"] = True
            body = dict(public(status), text=status["_text"])
        self.fake.delete_post(sid)
        return fakenet.Answer(200, body, post={"id": sid})

    def status(self, req, fault):
        sid = req.path.rsplit("/", 1)[1]
        with self.lock:
            status = self.statuses.get(sid)
            if not status or status["_deleted"]:
                return error(404, "Record not found")
            reads = status["_reads"] = status.get("_reads", 0) + 1
            body = dict(public(status), favourites_count=3 * reads, reblogs_count=reads,
                        replies_count=reads // 2)
        return fakenet.Answer(200, body)

    def lookup(self, req, fault):
        if req.path.endswith("verify_credentials"):
            return fakenet.Answer(200, {"id": self.account_id, "username": self.acct,
                                        "acct": self.acct})
        if req.path.split("/")[4] != self.account_id:
            return error(404, "Record not found")
        with self.lock:
            live = [public(s) for s in self.statuses.values() if not s["_deleted"]]
        return fakenet.Answer(200, list(reversed(live))[:40])

    def other(self, req, fault):
        return error(404, "Record not found")


def public(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def instance():
    return {"domain": "fake.example", "title": "A fake instance", "version": "4.3.0",
            "configuration": {
                "statuses": {"max_characters": MAX_CHARACTERS, "max_media_attachments": MAX_MEDIA,
                             "characters_reserved_per_url": URL_CHARS},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png",
                                                               "image/gif", "image/webp",
                                                               "video/mp4"],
                                      "image_size_limit": 16777216,
                                      "video_size_limit": 103809024,
                                      "description_limit": 1500}}}


if __name__ == "__main__":
    fakenet.main(Mastodon)
