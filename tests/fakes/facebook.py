#!/usr/bin/env python3
"""A fake Facebook Graph API (Pages), answering as NETWORKS.md documents it.

Follows tests/fakes/README.md: --port-file, --record, POST /_fake/faults,
GET /_fake/posts, GET /_fake/quiet; the one Page token it accepts is facebook.json's "secret",
as "Authorization: Bearer" or an access_token parameter.

  POST /vNN.0/{page}/feed      message, link, published, targeting,
                               feed_targeting, attached_media (a JSON array of
                               {"media_fbid"}, or attached_media[N] fields)
                               -> {"id": "{page}_{post}", "permalink_url"}
  POST /vNN.0/{page}/photos    multipart source + caption (published: a post,
                               {"id", "post_id"}); published=false: an
                               unpublished photo, {"id"}, to attach later
  GET  /vNN.0/{page}/feed      {"data": [{"id", "message", "created_time"}],
                               "paging"}, newest first; since, until, limit
  DELETE /vNN.0/{post}         {"success": true}
  GET  /vNN.0/{post}/insights?metric=NAME[,NAME]   (op "metrics")
                               {"data": [{"name", "period": "lifetime",
                               "values": [{"value"}]}]} for the current
                               metrics: post_media_view, post_clicks,
                               post_total_media_view_unique (a number),
                               post_reactions_by_type_total ({"like", "love"});
                               a retired metric (post_impressions and its
                               variants, post_impressions_unique, page_fans)
                               or an unknown one fails the whole request:
                               (#100) The value must be a valid insights
                               metric; a post that does not exist: (#100)
                               subcode 33
  GET  /vNN.0/{post}?fields=shares,comments.limit(0).summary(true)  (op "metrics")
                               {"id", "shares": {"count"}, "comments":
                               {"data": [], "summary": {"total_count"}}}
                               The figures grow with each reading (the fields
                               request ends one): views 100 a reading, people
                               reached 60, likes 2 and loves 1, clicks 4,
                               comments 1, shares 1 every other reading.

Errors {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}.
Faults beyond the README's table, each entry's optional members:
  rate_limit   "code": 80001 (default: X-Business-Use-Case-Usage, with
               estimated_time_to_regain_access in minutes: "seconds" / 60,
               a fraction when they are not whole minutes, so that a test
               need not wait a minute) or 4, 17, 32, 613 (X-App-Usage with
               a share over 100%: the fake then waits a whole hour)
  auth         "subcode": 463 (default, expired), 460, 1404078, 4854002...
  auth_identity, auth_reauthorise: auth with subcode 1404078, 4854002
  back_off     code 368 "already posted"; "subcode": 1390008 or 1366051
               (posting too fast). The fake then waits "seconds" (default
               60) before it takes another post from this Page.
"""
import argparse
import email.parser
import email.policy
import json
import math
import os
import re
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--webhook", default=None)  # the contract's; Facebook has none here
args = ap.parse_args()
spec = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "facebook.json")))
TOKEN = spec["secret"]
PAGE = spec["account"]["page_id"]

lock = threading.Lock()
record_file = open(args.record, "a", buffering=1)
faults = []          # [{"fault", "op", "count", ...}]
posts = {}           # post id -> {"id", "text", "account", "media", "created", ...}
deleted = []
photos = {}          # unpublished photo id -> its page
blocked_until = {}   # page -> real time before which it was told to wait
next_id = [1000]
readings = {}        # post id -> readings finished (its fields read)
CURRENT_INSIGHTS = ("post_media_view", "post_total_media_view_unique",
                    "post_reactions_by_type_total", "post_clicks")


def new_id():
    with lock:
        next_id[0] += 1
        return str(next_id[0])


def take_fault(op):
    with lock:
        for f in faults:
            if f["op"] in (op, "any") and f["count"] > 0:
                f["count"] -= 1
                return dict(f)
    return None


def played(handler, f):
    """Notes the fault a request plays, for the record; returns it."""
    handler.played = f["fault"] if f else None
    return f


def graph_error(message, code, subcode=None, kind="OAuthException", **extra):
    err = {"message": message, "type": kind, "code": code,
           "fbtrace_id": "A" + secrets.token_hex(10)}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    return {"error": err}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    # -- answering and recording --------------------------------------------
    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, status, op, **extra):
        entry = {"arrived": self.arrived, "t": time.time(), "method": self.command,
                 "path": urllib.parse.urlsplit(self.path).path, "op": op,
                 "status": status, "early": self.early}
        if self.played:
            entry["fault"] = self.played
        entry.update(extra)
        with lock:
            record_file.write(json.dumps(entry) + "\n")
            record_file.flush()

    def drop(self):
        """Closes the connection without an answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    # -- reading a request --------------------------------------------------
    def params(self):
        """The query's and the body's parameters (form, JSON or multipart)."""
        split = urllib.parse.urlsplit(self.path)
        out = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        files = {}
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            out.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()})
        elif ctype.startswith("application/json") and raw:
            body = json.loads(raw)
            out.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        elif ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    files[name] = {"filename": part.get_filename(), "bytes": len(data),
                                   "type": part.get_content_type()}
                else:
                    out[name] = data.decode()
        return out, files

    def token_ok(self, params):
        auth = self.headers.get("Authorization", "")
        given = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.get("access_token")
        return given == TOKEN

    def throttled(self, page):
        with lock:
            return time.time() < blocked_until.get(page, 0)

    # -- faults -------------------------------------------------------------
    def fault_answer(self, f, page):
        """Answers a fault that says no before anything is created; True
        when it did."""
        kind = f["fault"]
        if kind == "rate_limit":
            code = f.get("code", 80001)
            seconds = f.get("seconds", 60)
            minutes = seconds // 60 if seconds % 60 == 0 else seconds / 60
            with lock:
                blocked_until[page] = time.time() + (seconds if code == 80001 else 3600)
            if code == 80001:
                usage = {page: [{"type": "pages", "call_count": 100, "total_cputime": 12,
                                 "total_time": 30, "estimated_time_to_regain_access": minutes}]}
                self.record(400, self.op)
                self.answer(400, graph_error(
                    "(#80001) There have been too many calls to this Page account. Wait a bit "
                    "and try again.", 80001),
                    [("X-Business-Use-Case-Usage", json.dumps(usage))])
            else:
                self.record(400, self.op)
                self.answer(400, graph_error("(#%d) Application request limit reached" % code, code),
                            [("X-App-Usage", json.dumps({"call_count": 104, "total_cputime": 20,
                                                         "total_time": 35}))])
            return True
        if kind == "error_before":
            self.record(500, self.op)
            self.answer(500, graph_error("An unknown error has occurred.", 1, is_transient=True))
            return True
        if kind in ("auth", "auth_identity", "auth_reauthorise"):
            sub = {"auth_identity": 1404078, "auth_reauthorise": 4854002}.get(kind, f.get("subcode", 463))
            words = {460: "The session has been invalidated because the user changed their "
                          "password or Facebook has changed the session for security reasons.",
                     463: "Session has expired on Friday, 27-Nov-26 10:00:00 PST. The current "
                          "time is Tuesday, 01-Dec-26 03:00:00 PST.",
                     1404078: "the user must log in to facebook.com and confirm their identity.",
                     4854002: "the user must re-authorise the application."}
            self.record(400, self.op)
            self.answer(400, graph_error("Error validating access token: " +
                                         words.get(sub, "The session is invalid."), 190, sub))
            return True
        if kind == "refuse":
            self.record(400, self.op)
            self.answer(400, graph_error(
                "(#100) Invalid parameter", 100, kind="FacebookApiException",
                error_user_title="Post blocked",
                error_user_msg="This post goes against our Community Standards on spam."))
            return True
        if kind == "back_off":
            sub = f.get("subcode")
            with lock:
                blocked_until[page] = time.time() + f.get("seconds", 60)
            words = {1390008: "You're posting too fast. Wait a bit and try again.",
                     1366051: "These posts were already published: slow down."}
            self.record(400, self.op)
            self.answer(400, graph_error(
                words.get(sub, "(#368) The action attempted has been deemed abusive or is "
                               "otherwise disallowed: this was already posted."), 368, sub))
            return True
        return False

    def created(self, f, body, headers=()):
        """Answers for what was just created, as the fault (if any) says."""
        kind = f["fault"] if f else None
        # an unpublished photo is no post: the record names posts only
        made = {"media": self.media} if self.op == "upload" else {
            "id": body.get("post_id", body.get("id")), "text": self.text, "media": self.media}
        if kind in ("error_after", "drop_after"):
            made["created_status"] = 200  # created, whatever the answer says
        if kind == "error_after":
            self.record(500, self.op, **made)
            return self.answer(500, graph_error(
                "An unexpected error has occurred. Please retry your request later.", 2,
                is_transient=True))
        if kind == "drop_after":
            self.record(0, self.op, **made)
            return self.drop()
        self.record(200, self.op, **made)
        self.answer(200, body, headers)

    # -- routes -------------------------------------------------------------
    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        m = re.fullmatch(r"(?:/v\d+\.\d+)?/([^/]+)(?:/(feed|photos|insights))?/?", path)
        return (m.group(1), m.group(2)) if m else (None, None)

    def start(self):
        self.arrived = time.time()
        self.played = None
        self.early = False
        self.op = "other"
        self.text = None
        self.media = 0

    def do_GET(self):
        self.start()
        if self.path == "/_fake/posts":
            with lock:
                live = [{k: p[k] for k in ("id", "text", "account", "media")}
                        for p in posts.values()]
                return self.answer(200, {"live": live, "deleted": list(deleted)})
        if self.path == "/_fake/quiet":
            with lock:
                ends = list(blocked_until.values())
            return self.answer(200, {"seconds": max([0.0] + [t - time.time() for t in ends])})
        node, edge = self.route()
        params, _ = self.params()
        if edge == "insights" or (edge is None and node and "_" in node and "fields" in params):
            return self.metrics(node, edge, params)
        if edge != "feed":
            self.record(400, "other")
            return self.answer(400, graph_error("Unknown path components: %s" % self.path, 2500))
        self.op = "lookup"
        self.early = self.throttled(node)
        if not self.token_ok(params):
            self.record(400, "lookup")
            return self.answer(400, graph_error("Invalid OAuth access token - Cannot parse access token", 190))
        f = played(self, take_fault("lookup"))
        if f and self.fault_answer(f, node):
            return
        if f and f["fault"] in ("error_after", "drop_after"):
            self.record(500, "lookup")
            return self.answer(500, graph_error("An unknown error has occurred.", 1, is_transient=True))
        since = float(params.get("since", 0) or 0)
        until = float(params.get("until", 0) or 0) or math.inf
        limit = int(params.get("limit", 25) or 25)
        with lock:
            mine = sorted((p for p in posts.values() if p["account"] == node
                           and since <= p["created"] <= until),
                          key=lambda p: (p["created"], p["id"]), reverse=True)
        page, rest = mine[:limit], mine[limit:]
        body = {"data": [{"id": p["id"], "created_time": time.strftime(
                    "%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p["created"])),
                          **({"message": p["text"]} if p["text"] else {})} for p in page]}
        if rest:
            q = dict(params, until=str(int(page[-1]["created"])), limit=str(limit))
            q.pop("access_token", None)
            body["paging"] = {"next": "http://%s:%d%s?%s" % (
                self.server.server_address[0], self.server.server_address[1],
                urllib.parse.urlsplit(self.path).path, urllib.parse.urlencode(q))}
        self.record(200, "lookup")
        self.answer(200, body)

    def metrics(self, post, edge, params):
        """A post's insights, one request per metric, then its fields."""
        self.op = "metrics"
        page = post.split("_", 1)[0]
        self.early = self.throttled(page)
        if not self.token_ok(params):
            self.record(400, "metrics")
            return self.answer(400, graph_error("Invalid OAuth access token - Cannot parse access token", 190))
        f = played(self, take_fault("metrics"))
        if f and self.fault_answer(f, page):
            return
        with lock:
            known = post in posts
            n = readings.get(post, 0) + 1
        if not known:
            self.record(400, "metrics")
            return self.answer(400, graph_error(
                "Unsupported get request. Object with ID '%s' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation." % post, 100, 33,
                kind="GraphMethodException"))
        if edge is None:
            with lock:
                readings[post] = n
            self.record(200, "metrics")
            return self.answer(200, {"id": post, "shares": {"count": n // 2},
                                     "comments": {"data": [], "summary": {
                                         "order": "ranked", "total_count": n,
                                         "can_comment": True}}})
        names = (params.get("metric") or "").split(",")
        if not all(name in CURRENT_INSIGHTS for name in names):
            self.record(400, "metrics", metric=params.get("metric"))
            return self.answer(400, graph_error(
                "(#100) The value must be a valid insights metric", 100,
                kind="OAuthException"))
        values = {"post_media_view": 100 * n, "post_total_media_view_unique": 60 * n,
                  "post_reactions_by_type_total": {"like": 2 * n, "love": n},
                  "post_clicks": 4 * n}
        self.record(200, "metrics", metric=params.get("metric"))
        self.answer(200, {"data": [{
            "name": name, "period": "lifetime", "values": [{"value": values[name]}],
            "title": name, "id": "%s/insights/%s/lifetime" % (post, name)} for name in names],
            "paging": {}})

    def do_POST(self):
        self.start()
        if self.path == "/_fake/faults":
            entries = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            with lock:
                for e in entries:
                    faults.append(dict(e, op=e.get("op", "any"), count=e.get("count", 1)))
            return self.answer(200, {"ok": True})
        node, edge = self.route()
        params, files = self.params()
        published = params.get("published", "true").lower() not in ("false", "0")
        self.op = "upload" if edge == "photos" and not published else "create" if edge else "other"
        self.early = self.throttled(node)
        if not self.token_ok(params):
            self.record(400, self.op)
            return self.answer(400, graph_error("Invalid OAuth access token - Cannot parse access token", 190))
        if edge is None or node != PAGE:
            self.record(400, self.op)
            return self.answer(400, graph_error(
                "(#100) Unsupported post request. Object with ID '%s' does not exist" % node, 100, 33,
                kind="GraphMethodException"))
        f = played(self, take_fault(self.op))
        if f and self.fault_answer(f, node):
            return
        if edge == "photos":
            return self.photo(node, params, files, published, f)
        return self.feed(node, params, f)

    def check_json(self, params, name):
        try:
            value = json.loads(params[name]) if name in params else None
        except ValueError:
            value = "bad"
        return value is None or isinstance(value, dict)

    def feed(self, page, params, f):
        attached = []
        if "attached_media" in params:
            attached = json.loads(params["attached_media"])
        else:
            i = 0
            while "attached_media[%d]" % i in params:
                attached.append(json.loads(params["attached_media[%d]" % i]))
                i += 1
        message = params.get("message", "")
        if not message and not params.get("link") and not attached:
            self.record(400, "create")
            return self.answer(400, graph_error("(#100) Missing message or attachment", 100,
                                                kind="FacebookApiException"))
        if not self.check_json(params, "targeting") or not self.check_json(params, "feed_targeting"):
            self.record(400, "create")
            return self.answer(400, graph_error("(#100) param targeting must be a JSON object", 100))
        ids = [a.get("media_fbid") for a in attached]
        with lock:
            unknown = [i for i in ids if photos.get(i) != page]
            for i in ids:
                photos.pop(i, None)
        if unknown:
            self.record(400, "create")
            return self.answer(400, graph_error(
                "(#100) attached_media: unknown or already used photo %s" % unknown[0], 100))
        post = "%s_%s" % (page, new_id())
        self.text, self.media = message, len(ids)
        with lock:
            posts[post] = {"id": post, "text": message, "account": page, "media": len(ids),
                           "link": params.get("link"), "created": time.time(),
                           "targeting": params.get("targeting"),
                           "feed_targeting": params.get("feed_targeting")}
        self.created(f, {"id": post, "permalink_url": "https://www.facebook.com/%s/posts/%s" % tuple(post.split("_"))})

    def photo(self, page, params, files, published, f):
        source = files.get("source")
        if not source and not params.get("url"):
            self.record(400, self.op)
            return self.answer(400, graph_error("(#324) Requires upload file", 324))
        if source and source["bytes"] == 0:
            self.record(400, self.op)
            return self.answer(400, graph_error("(#324) Missing or invalid image file", 324))
        photo = new_id()
        if not published:
            with lock:
                photos[photo] = page
            self.media = 1
            return self.created(f, {"id": photo})
        post = "%s_%s" % (page, new_id())
        caption = params.get("caption", "")
        self.text, self.media = caption, 1
        with lock:
            posts[post] = {"id": post, "text": caption, "account": page, "media": 1,
                           "created": time.time(), "targeting": params.get("targeting"),
                           "feed_targeting": params.get("feed_targeting")}
        self.created(f, {"id": photo, "post_id": post})

    def do_DELETE(self):
        self.start()
        self.op = "delete"
        node, edge = self.route()
        params, _ = self.params()
        page = node.split("_")[0] if node else None
        self.early = self.throttled(page)
        if not self.token_ok(params):
            self.record(400, "delete")
            return self.answer(400, graph_error("Invalid OAuth access token - Cannot parse access token", 190))
        f = played(self, take_fault("delete"))
        if f and self.fault_answer(f, page):
            return
        with lock:
            gone = posts.pop(node, None) if edge is None else None
            if gone:
                deleted.append(node)
        if not gone:
            self.record(400, "delete")
            return self.answer(400, graph_error(
                "(#100) Unsupported delete request. Object with ID '%s' does not exist" % node, 100, 33,
                kind="GraphMethodException"))
        if f and f["fault"] == "error_after":
            self.record(500, "delete", id=node)
            return self.answer(500, graph_error("An unknown error has occurred.", 1, is_transient=True))
        if f and f["fault"] == "drop_after":
            self.record(0, "delete", id=node)
            return self.drop()
        self.record(200, "delete", id=node)
        self.answer(200, {"success": True})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
