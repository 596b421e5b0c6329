#!/usr/bin/env python3
"""A fake WhatsApp Business Cloud API (NETWORKS.md), for the whatsapp plugin.

POST /vNN.0/{phone-number-id}/messages with a Bearer token and a JSON body
{"messaging_product": "whatsapp", "to", "type": "text" | "image" |
"template", ...}. Success is the accepted-not-delivered shape
{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid..."}]}; errors are Graph errors
{"error": {"message": "(#CODE) ...", "type", "code", "error_data":
{"messaging_product", "details"}, "fbtrace_id"}}:

  190 (HTTP 401)  the access token is not whatsapp.json's "secret" (or --secret)
  130429          more than twice --throughput requests (and a tenth) in the last two seconds
  131056          a message to the same person within --pair-seconds
  131048          a new person beyond the daily reach cap (--tier unique
                  recipients per rolling 24 h; no code is documented for
                  the cap: the plugin must keep it itself)
  131047          a free-form text or image (no template) to someone who
                  never wrote to the business (outside the 24 h window)
  132001          a template that is not approved (not --template)
  132018          a template parameter with a newline, a tab or more than 4
                  spaces in a row
  132005          a template body over 1,024 characters

Each of 130429, 131056 and 131048 marks its record "early": true (the
plugin broke a limit it is told of); so does any request within a
rate_limit fault's `seconds` (answered 130429 again). 130429 names no
wait: a rate_limit fault without `seconds` holds the number quiet for
whatsapp.json's "throttle_seconds".

Faults (tests/fakes/README.md): POST /_fake/faults [{"fault", "op",
"count", "seconds", "code"}]: rate_limit, error_before, error_after,
drop_after, auth, refuse (132007, the template's content refused),
--delivery: every other message accepted is reported "sent",
"delivered" and "read" (read before delivered, as statuses can come out
of order), the others "sent" and "delivered"; none for a message a
late_failure or held fault reports otherwise.

late_failure (accepted; `seconds` later a signed status "failed" with
`code`, default 131049, is posted to --webhook), held (likewise, status
held_for_quality_assessment), code (the next `count` messages refused
with `code` at once: 131026, 131047, 131049, ...). A fault is used by
the first request it is played on: one refused earlier (a limit, a bad
template) leaves it for the next.

The status notifications are signed as Meta signs them:
X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>,
the app secret being whatsapp.json's "app_secret" (or --app-secret).

GET /_fake/posts: {"live": [{"id", "text", "account", "to", "media"}],
"deleted": []}; GET /_fake/quiet: {"seconds"} until no limit holds
anything back (a rate_limit fault, the pair limit). --record FILE: one
JSON line per request (README), with "to", the recipient."""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

here = os.path.dirname(os.path.abspath(__file__))
described = json.load(open(os.path.join(here, "whatsapp.json")))

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--webhook", default=None)
ap.add_argument("--webhook-socket", default=None,
                help="reach --webhook's host through this Unix socket (a service listening on one)")
ap.add_argument("--delivery", action="store_true",
                help="each message accepted (and not failed or held by a fault) is reported "
                     "delivered, then read for every other one, on --webhook")
ap.add_argument("--throughput", type=int, default=80)
ap.add_argument("--pair-seconds", type=float, default=float(described["seconds_between_posts"]))
ap.add_argument("--tier", type=int, default=250)
ap.add_argument("--template", default=described["account"]["template"])
ap.add_argument("--secret", default=described["secret"], help="the access token it accepts")
ap.add_argument("--app-secret", default=described["app_secret"], help="signs its notifications")
args = ap.parse_args()

lock = threading.Lock()
record_file = open(args.record, "a", buffering=1)
live = []           # what the audience got
recent = []         # times of accepted or refused requests (throughput)
last_to = {}        # number -> when it was last sent a message (pair)
reached = {}        # number -> when it was last sent a message (reach cap)
faults = []         # [{"fault", "op", "count", "seconds", "code"}]
quiet_until = [0.0]  # a rate_limit fault's end
counter = [0]


def record(entry):
    entry["t"] = time.time()
    with lock:
        record_file.write(json.dumps(entry) + "\n")
        record_file.flush()


def graph_error(code, message, details, status=400):
    return status, {"error": {"message": "(#%d) %s" % (code, message), "type": "OAuthException",
                              "code": code,
                              "error_data": {"messaging_product": "whatsapp", "details": details},
                              "fbtrace_id": "Afake%06d" % code}}


def next_fault(op):
    """The first fault waiting for op (or "any"), left waiting: use() it
    once it is played."""
    with lock:
        for f in faults:
            if f.get("op", "any") in (op, "any") and f.get("count", 1) > 0:
                return f
    return None


def use(fault, entry):
    with lock:
        fault["count"] = fault.get("count", 1) - 1
    entry["fault"] = fault["fault"]


def quiet_seconds():
    """How long until no limit holds anything back."""
    now = time.time()
    with lock:
        ends = [quiet_until[0]] + [t + args.pair_seconds for t in last_to.values()]
    return max(0.0, max(ends) - now)


def notify(wamid, to, status, code, seconds):
    """A status notification, signed, posted to --webhook later."""
    def post():
        time.sleep(seconds)
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "22370000000",
                              "phone_number_id": described["account"]["phone_number_id"]},
                 "statuses": [{"id": wamid, "status": status, "timestamp": str(int(time.time())),
                               "recipient_id": to.lstrip("+")}]}
        if status == "failed":
            value["statuses"][0]["errors"] = [{
                "code": code, "title": "Message failed (%d)" % code,
                "message": "Message failed (%d)" % code,
                "error_data": {"details": "The fake network's late failure %d" % code}}]
        body = json.dumps({"object": "whatsapp_business_account",
                           "entry": [{"id": "1000", "changes": [{"value": value,
                                                                 "field": "messages"}]}]}).encode()
        sig = hmac.new(args.app_secret.encode(), body, hashlib.sha256).hexdigest()
        url = urllib.parse.urlsplit(args.webhook)
        answer = 0
        for _ in range(40):  # until the service listens
            try:
                if args.webhook_socket:
                    conn = UnixConnection(args.webhook_socket)
                else:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
                conn.request("POST", url.path or "/", body,
                             {"Content-Type": "application/json",
                              "X-Hub-Signature-256": "sha256=" + sig})
                answer = conn.getresponse().status
                conn.close()
                break
            except OSError:
                time.sleep(0.5)
        record({"method": "POST", "path": "(webhook)", "op": "other", "status": answer,
                "id": wamid, "notification": status})
    if args.webhook:
        threading.Thread(target=post, daemon=True).start()


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.socket_path)


def parameters_of(message):
    """The template's body parameters' texts."""
    out = []
    for c in (message.get("template") or {}).get("components") or []:
        if c.get("type") == "body":
            out += [p.get("text", "") for p in c.get("parameters") or [] if p.get("type") == "text"]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_fake/posts":
            with lock:
                return self.answer(200, {"live": list(live), "deleted": []})
        if self.path == "/_fake/quiet":
            return self.answer(200, {"seconds": quiet_seconds()})
        self.answer(*graph_error(100, "Unsupported get request", "no such object", 400))

    def do_POST(self):
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/_fake/faults":
            with lock:
                faults.extend(json.loads(body))
            return self.answer(200, {"ok": True})
        m = re.fullmatch(r"(?:/v\d+\.\d+)?/(\d+)/messages", self.path)
        entry = {"arrived": arrived, "method": "POST", "path": self.path,
                 "op": "create" if m else "other", "early": False}
        now = arrived
        try:
            message = json.loads(body)
        except ValueError:
            message = None

        def done(status, answer, **extra):
            entry.update(status=status, **extra)
            record(entry)
            self.answer(status, answer)

        if not m:
            return done(*graph_error(100, "Unknown path", "no such edge", 400))
        if self.headers.get("Authorization", "") != "Bearer " + args.secret:
            return done(*graph_error(190, "Error validating access token: Session has expired",
                                     "the access token expired or was revoked", 401))
        with lock:
            quiet = now < quiet_until[0]
            # counted over two seconds, with a tenth of slack: requests a
            # client spaced evenly can arrive bunched on a loaded machine
            recent[:] = [t for t in recent if now - t < 2.0]
            over = len(recent) >= 2 * args.throughput * 1.1 + 2
            recent.append(now)
        if quiet or over:
            entry["early"] = True
            return done(*graph_error(130429, "Rate limit hit",
                                     "Cloud API message throughput has been reached", 400))
        fault = next_fault("create")
        if fault and fault["fault"] == "auth":
            use(fault, entry)
            return done(*graph_error(190, "Error validating access token: Session has expired",
                                     "the access token expired or was revoked", 401))
        if fault and fault["fault"] == "rate_limit":
            use(fault, entry)
            # told to slow down: nothing before then, from the answer on
            with lock:
                quiet_until[0] = time.time() + fault.get("seconds", described["throttle_seconds"])
            return done(*graph_error(130429, "Rate limit hit",
                                     "Cloud API message throughput has been reached", 400))
        if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp" \
                or not re.fullmatch(r"\+?\d{8,15}", str(message.get("to", ""))) \
                or message.get("type") not in ("text", "image", "template"):
            return done(*graph_error(100, "Invalid parameter",
                                     "messaging_product, to and type are required", 400))
        to = "+" + message["to"].lstrip("+")
        entry["to"] = to
        kind = message["type"]
        text = ""
        if kind == "template":
            t = message.get("template") or {}
            if t.get("name") != args.template or not (t.get("language") or {}).get("code"):
                return done(*graph_error(132001, "Template name does not exist in the translation",
                                         "template name (%s) does not exist" % t.get("name"),
                                         404))
            params = parameters_of(message)
            for p in params:
                if re.search(r"[\n\t]| {5,}", p):
                    return done(*graph_error(132018, "There was an issue with the parameters in "
                                             "your template", "Param text cannot have new-line/"
                                             "tab characters or more than 4 consecutive spaces",
                                             400))
            text = " ".join(params)
            if len(text) > 1024:
                return done(*graph_error(132005, "Translated text too long",
                                         "the template's body is over 1024 characters", 400))
        else:
            if kind == "text":
                text = (message.get("text") or {}).get("body", "")
            else:
                text = (message.get("image") or {}).get("caption", "")
            if len(text) > 4096:
                return done(*graph_error(100, "Invalid parameter", "text over 4096", 400))
            return done(*graph_error(131047, "Re-engagement message",
                                     "Message failed to send because more than 24 hours have "
                                     "passed since the customer last replied to this number",
                                     400))
        entry["text"] = text
        entry["media"] = 1 if kind == "image" else 0
        with lock:
            last = last_to.get(to)
            pair_hit = last is not None and now - last < args.pair_seconds
            day = {n: t for n, t in reached.items() if now - t < 86400}
            cap_hit = to not in day and len(day) >= args.tier
        if pair_hit:
            entry["early"] = True
            return done(*graph_error(131056, "(Business Account, Consumer Account) pair rate "
                                     "limit hit", "Message failed to send because there were too "
                                     "many messages sent from this phone number to the same "
                                     "phone number in a short period of time", 400))
        if cap_hit:
            entry["early"] = True
            return done(*graph_error(131048, "Spam rate limit hit",
                                     "the business reached its messaging limit of %d unique "
                                     "recipients in 24 hours" % args.tier, 400))
        if fault and fault["fault"] in ("code", "refuse", "error_before", "error_after",
                                        "drop_after", "late_failure", "held"):
            use(fault, entry)
        if fault and fault["fault"] == "code":
            code = int(fault.get("code", 131026))
            return done(*graph_error(code, "Message failed (%d)" % code,
                                     "the fake network refused this recipient", 400))
        if fault and fault["fault"] == "refuse":
            return done(*graph_error(132007, "Template Format Character Policy Violated",
                                     "the template's content violates WhatsApp policy", 400))
        if fault and fault["fault"] == "error_before":
            return done(500, {"error": {"message": "An unknown error has occurred.",
                                        "type": "OAuthException", "code": 1,
                                        "fbtrace_id": "Afake"}})
        with lock:
            counter[0] += 1
            wamid = "wamid.FAKE%08d" % counter[0]
            last_to[to] = now
            reached[to] = now
            live.append({"id": wamid, "text": text, "account": m.group(1), "to": to,
                         "media": entry["media"]})
        entry["id"] = wamid
        if fault and fault["fault"] in ("error_after", "drop_after"):
            entry["created_status"] = 200
        if fault and fault["fault"] == "error_after":
            return done(500, {"error": {"message": "An unknown error has occurred.",
                                        "type": "OAuthException", "code": 1,
                                        "fbtrace_id": "Afake"}})
        if fault and fault["fault"] == "drop_after":
            entry["status"] = 0
            record(entry)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        if fault and fault["fault"] == "late_failure":
            notify(wamid, to, "failed", int(fault.get("code", 131049)), fault.get("seconds", 1))
        if fault and fault["fault"] == "held":
            notify(wamid, to, "held_for_quality_assessment", 0, fault.get("seconds", 1))
        if args.delivery and not (fault and fault["fault"] in ("late_failure", "held")):
            notify(wamid, to, "sent", 0, 0.2)
            notify(wamid, to, "delivered", 0, 0.4)
            if int(wamid[len("wamid.FAKE"):]) % 2 == 0:  # read, reported before "delivered"
                notify(wamid, to, "read", 0, 0.3)
        done(200, {"messaging_product": "whatsapp",
                   "contacts": [{"input": message["to"], "wa_id": to.lstrip("+")}],
                   "messages": [{"id": wamid}]})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away (a service killed on purpose) is no news


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
