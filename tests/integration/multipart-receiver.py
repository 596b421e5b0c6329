#!/usr/bin/env python3
"""A receiver of multipart/form-data uploads, for misbehave.sh: parses each
POST's body by its boundary (no cgi module), and records one JSON line per
request: each part's field name, filename, content type, size and SHA-256,
whether a part's bytes equal the --expect file's exactly, and the memory
parts' values. Answers 200.

usage: multipart-receiver.py --port-file FILE --record FILE --expect FILE"""
import argparse
import email
import hashlib
import http.server
import json
import os
import sys


def read_body(handler):
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return out
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length", "0")))


def parse(content_type, body):
    """The parts of a multipart body: (headers message, bytes) each."""
    m = email.message_from_string("Content-Type: %s\r\n\r\n" % content_type)
    if m.get_content_type() != "multipart/form-data":
        raise ValueError("not multipart/form-data: %s" % content_type)
    delimiter = b"--" + m.get_param("boundary").encode()
    pieces = body.split(b"\r\n" + delimiter)
    first = pieces[0]
    if not first.startswith(delimiter):
        raise ValueError("the body does not start with the boundary")
    pieces[0] = first[len(delimiter):]
    if not pieces[-1].startswith(b"--"):
        raise ValueError("no closing boundary")
    parts = []
    for piece in pieces[:-1]:
        if not piece.startswith(b"\r\n"):
            raise ValueError("a boundary line not followed by CRLF")
        head, sep, data = piece[2:].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part without headers' end")
        parts.append((email.message_from_bytes(head + b"\r\n\r\n"), data))
    return parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--expect", required=True)
    args = ap.parse_args()
    expected = open(args.expect, "rb").read()
    record = open(args.record, "a")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = read_body(self)
            entry = {"path": self.path, "length": len(body)}
            try:
                entry["parts"] = []
                for head, data in parse(self.headers.get("Content-Type", ""), body):
                    part = {"name": head.get_param("name", header="content-disposition"),
                            "filename": head.get_filename(),
                            "content_type": head.get("Content-Type"),
                            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "is_expected_file": data == expected}
                    if len(data) < 1000:
                        part["value"] = data.decode("utf-8", "replace")
                    entry["parts"].append(part)
            except ValueError as e:
                entry["error"] = str(e)
            record.write(json.dumps(entry) + "\n")
            record.flush()
            answer = b'{"id": "up-1"}'
            self.send_response(200 if "error" not in entry else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
