#!/usr/bin/env python3
"""A fake Telegram Bot API, answering as NETWORKS.md documents it.

POST /bot<token>/<method>, parameters as JSON, form or multipart (uploads,
attach://name in sendMediaGroup). Methods: sendMessage, sendPhoto,
sendVideo, sendMediaGroup, deleteMessage (refused 48 h after the post:
POST /_fake/age {"seconds": N} makes every post N seconds older). Success
{"ok":true,"result":...}; errors {"ok":false,"error_code","description",
"parameters"?}. A token other than telegram.json's "secret" gets 401
Unauthorized; a chat_id other than the account's, 400 chat not found.

Faults (tests/fakes/README.md), in Telegram's words: rate_limit (429 with
both Retry-After and parameters.retry_after), error_before (502 Bad
Gateway, nothing created), error_after / drop_after, auth (401
Unauthorized), refuse (400, the text or caption refused); and its own:
not_admin (403 Forbidden: the bot cannot post in the channel), migrate
(400 with parameters.migrate_to_chat_id).

A post's id in the record and in /_fake/posts is the chat's numeric id, a
colon, and its message ids joined by commas (several for an album): the
network id the plugin keeps, all that deleteMessage needs.

usage: telegram.py --port-file FILE --record FILE"""
import json
import re
import threading
import time
import zlib

import fakenet

TEXT_MAX, CAPTION_MAX = 4096, 1024
PHOTO_BYTES_MAX, FILE_BYTES_MAX = 10 * 1000 * 1000, 50 * 1000 * 1000
DELETE_WINDOW = 48 * 3600
MIGRATED_TO = -1009876543210


def error(code, description, parameters=None, headers=()):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return fakenet.Answer(code, body, headers)


class Telegram(fakenet.Network):
    name = "telegram"

    def __init__(self, description):
        super().__init__(description)
        self.username = description["account"]["chat_id"]
        # a channel's numeric id, as the real one gives it: -100 and more digits
        self.chat_id = -1000000000000 - zlib.crc32(self.username.encode()) % 1000000000
        self.next_message = 1
        self.messages = {}  # message_id -> {"post": id, "date": t}
        self.lock = threading.Lock()

    def parts(self, req):
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)", req.path)
        return (m.group(1), m.group(2)) if m else (None, None)

    def redact(self, path):
        return re.sub(r"^/bot[^/]*", "/bot…", path)

    def classify(self, req):
        _, method = self.parts(req)
        op = {"sendMessage": "create", "sendPhoto": "create", "sendVideo": "create",
              "sendMediaGroup": "create", "deleteMessage": "delete"}.get(method, "other")
        chat = req.param("chat_id")
        return op, str(chat) if chat is not None else None

    def authorized(self, req):
        token, _ = self.parts(req)
        return token == self.secret

    # ---- answers -------------------------------------------------------------

    def rate_limited(self, req, seconds):
        return error(429, "Too Many Requests: retry after %d" % seconds,
                     {"retry_after": seconds}, [("Retry-After", str(seconds))])

    def server_error(self, req):
        return fakenet.Answer(502, None, raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                              content_type="text/html")

    def auth_error(self, req):
        return error(401, "Unauthorized")

    def refusal(self, req):
        _, method = self.parts(req)
        if method == "sendMessage":
            return error(400, "Bad Request: message is too long")
        if method == "deleteMessage":
            return error(400, "Bad Request: message can't be deleted")
        return error(400, "Bad Request: message caption is too long")

    # ---- the methods ---------------------------------------------------------

    def chat(self):
        return {"id": self.chat_id, "title": "Jade", "username": self.username.lstrip("@"),
                "type": "channel"}

    def message(self, message_id, **extra):
        m = {"message_id": message_id, "sender_chat": self.chat(), "chat": self.chat(),
             "date": int(time.time())}
        m.update(extra)
        return m

    def new_ids(self, n):
        with self.lock:
            first = self.next_message
            self.next_message += n
        return list(range(first, first + n))

    def created(self, ids, text, media, result):
        post_id = "%d:%s" % (self.chat_id, ",".join(str(i) for i in ids))
        post = {"id": post_id, "text": text, "account": self.username, "media": media,
                "date": time.time()}
        with self.lock:
            for i in ids:
                self.messages[i] = {"post": post_id, "date": post["date"]}
        self.fake.add_post(post)
        return fakenet.Answer(200, {"ok": True, "result": result}, post=post)

    def upload(self, req, field, kind, caption_of=None):
        """The file a parameter names: a multipart part (directly or through
        attach://name), or a file_id / URL, which the fake takes as is.
        Returns (ok, error answer)."""
        value = req.param(field) if caption_of is None else caption_of
        if field in req.files and value is None:
            value = "attach://" + field
        if isinstance(value, str) and value.startswith("attach://"):
            part = req.files.get(value[len("attach://"):])
            if part is None:
                return error(400, "Bad Request: wrong file identifier/HTTP URL specified")
            _, _, data = part
            if kind == "photo":
                if len(data) > PHOTO_BYTES_MAX:
                    return error(400, "Bad Request: file is too big")
                if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8")):
                    return error(400, "Bad Request: IMAGE_PROCESS_FAILED")
            elif len(data) > FILE_BYTES_MAX:
                return error(413, "Request Entity Too Large")
            return None
        if not value:
            return error(400, "Bad Request: there is no %s in the request" % kind)
        return None

    def check_chat(self, req):
        chat = req.param("chat_id")
        if chat is None or chat == "":
            return error(400, "Bad Request: chat_id is empty")
        if str(chat) not in (self.username, str(self.chat_id)):
            return error(400, "Bad Request: chat not found")
        return None

    def perform(self, req, fault=None):
        _, method = self.parts(req)
        kind = fault["fault"] if fault else None
        if kind == "not_admin":
            return error(403, "Forbidden: bot is not a member of the channel chat")
        if kind == "migrate":
            return error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                         {"migrate_to_chat_id": MIGRATED_TO})
        if method not in ("sendMessage", "sendPhoto", "sendVideo", "sendMediaGroup",
                          "deleteMessage"):
            return error(404, "Not Found")
        bad = self.check_chat(req)
        if bad:
            return bad
        return getattr(self, method)(req)

    def sendMessage(self, req):
        text = req.param("text")
        if not text:
            return error(400, "Bad Request: message text is empty")
        if len(text) > TEXT_MAX:
            return error(400, "Bad Request: message is too long")
        extra = {"text": text}
        preview = req.param("link_preview_options")
        if preview is not None:
            extra["link_preview_options"] = json.loads(preview) if isinstance(preview, str) \
                else preview
        ids = self.new_ids(1)
        answer = self.created(ids, text, 0, self.message(ids[0], **extra))
        if preview:
            answer.post["preview"] = extra["link_preview_options"].get("url")
        return answer

    def single(self, req, kind):
        caption = req.param("caption") or ""
        if len(caption) > CAPTION_MAX:
            return error(400, "Bad Request: message caption is too long")
        bad = self.upload(req, kind, kind)
        if bad:
            return bad
        ids = self.new_ids(1)
        media = {"photo": [{"file_id": "AgAD%d" % ids[0], "width": 1, "height": 1}]} \
            if kind == "photo" else {"video": {"file_id": "BAAD%d" % ids[0]}}
        if caption:
            media["caption"] = caption
        return self.created(ids, caption, 1, self.message(ids[0], **media))

    def sendPhoto(self, req):
        return self.single(req, "photo")

    def sendVideo(self, req):
        return self.single(req, "video")

    def sendMediaGroup(self, req):
        media = req.param("media")
        try:
            items = json.loads(media) if isinstance(media, str) else media
        except ValueError:
            return error(400, "Bad Request: can't parse media JSON object")
        if not isinstance(items, list) or not items:
            return error(400, "Bad Request: media must be non-empty")
        if not 2 <= len(items) <= 10:
            return error(400, "Bad Request: wrong number of media specified")
        caption = ""
        for item in items:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video"):
                return error(400, "Bad Request: wrong media type specified")
            if len(item.get("caption", "")) > CAPTION_MAX:
                return error(400, "Bad Request: message caption is too long")
            bad = self.upload(req, item["type"], item["type"], item.get("media"))
            if bad:
                return bad
            caption = caption or item.get("caption", "")
        ids = self.new_ids(len(items))
        result = [self.message(i, media_group_id="g%d" % ids[0],
                               **({"caption": it["caption"]} if it.get("caption") else {}))
                  for i, it in zip(ids, items)]
        return self.created(ids, caption, len(items), result)

    def deleteMessage(self, req):
        try:
            message_id = int(req.param("message_id"))
        except (TypeError, ValueError):
            return error(400, "Bad Request: message identifier is not specified")
        with self.lock:
            m = self.messages.get(message_id)
            if m is None or m.get("deleted"):
                return error(400, "Bad Request: message to delete not found")
            if time.time() - m["date"] > DELETE_WINDOW:
                return error(400, "Bad Request: message can't be deleted")
            m["deleted"] = True
            post_id = m["post"]
            gone = all(v.get("deleted") for v in self.messages.values() if v["post"] == post_id)
        if gone:
            self.fake.delete_post(post_id)
        return fakenet.Answer(200, {"ok": True, "result": True},
                              post={"id": post_id} if gone else None)

    def age(self, body):
        seconds = float(body.get("seconds", 0))
        with self.lock:
            for m in self.messages.values():
                m["date"] -= seconds
        return fakenet.Answer(200, {"ok": True})


if __name__ == "__main__":
    fakenet.main(Telegram)
