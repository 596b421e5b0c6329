#!/usr/bin/env node
// A webhook receiver that checks jade's requests with code written by
// nobody here: the Webhook class of the published standardwebhooks package
// for Node.js (tests/fakes/standard-webhooks/install.sh puts it in a folder
// of its own; NODE_PATH names its node_modules). It also checks
// Jade-Signature, as the README tells a receiver to. A careful receiver:
// a request whose standard signature does not hold is answered 401.
//
// usage: node standard-webhook-receiver.js --port-file FILE --record FILE
//          --route PATH=SECRET_FILE[:raw]...  [--fail-first PATH=N]...
//   --route       the secret this receiver holds for PATH, read from a file
//                 (one final line end dropped); ":raw": the library takes
//                 it as raw bytes, else as a "whsec_<base64>" secret
//   --fail-first  answer 503 to the first N POST requests to PATH (after
//                 checking them), once the second of their webhook-timestamp
//                 is over: a retry then has a new one
//
// One JSON line per request in --record, written as it is answered:
// {"t", "method", "path", "id" (webhook-id), "timestamp", "signature"
// (webhook-signature), "idempotency_key", "key" (the body's), "verified"
// (the library accepted it), "error" (its message, or null),
// "tampered_refused" (the library refuses the same request with one byte
// added to the body, and with another id), "jade_signature_ok", "status"}.
// The port it listens on is written to --port-file.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const { Webhook } = require("standardwebhooks");

const routes = new Map(); // path -> {webhook, secret}
const failFirst = new Map(); // path -> POSTs still to answer 503
let portFile, recordFile;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  if (flag === "--port-file") portFile = value;
  else if (flag === "--record") recordFile = value;
  else if (flag === "--route") {
    const eq = value.indexOf("=");
    let file = value.slice(eq + 1);
    const raw = file.endsWith(":raw");
    if (raw) file = file.slice(0, -":raw".length);
    const secret = fs.readFileSync(file, "utf8").replace(/\n$/, "");
    const webhook = raw ? new Webhook(secret, { format: "raw" }) : new Webhook(secret);
    routes.set(value.slice(0, eq), { webhook, secret });
  } else if (flag === "--fail-first") {
    const eq = value.indexOf("=");
    failFirst.set(value.slice(0, eq), Number(value.slice(eq + 1)));
  } else throw new Error(`unknown option ${flag}`);
}
if (!portFile || !recordFile) throw new Error("--port-file and --record are required");
const record = fs.openSync(recordFile, "a");

// Whether webhook.verify throws for these headers and body.
function refuses(webhook, body, headers) {
  try {
    webhook.verify(body, headers);
    return false;
  } catch {
    return true;
  }
}

// Jade-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret as written, "<t>.<body>")>
function jadeSignatureOk(secret, header, body) {
  const parts = Object.fromEntries(
    (header || "").split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
  );
  if (!parts.t || !parts.v1) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${parts.t}.`).update(body).digest("hex");
  return (
    expected.length === parts.v1.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1))
  );
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const route = routes.get(req.url);
    const entry = {
      method: req.method,
      path: req.url,
      id: req.headers["webhook-id"] ?? null,
      timestamp: req.headers["webhook-timestamp"] ?? null,
      signature: req.headers["webhook-signature"] ?? null,
      idempotency_key: req.headers["idempotency-key"] ?? null,
      key: null,
      verified: false,
      error: null,
      tampered_refused: false,
      jade_signature_ok: false,
    };
    let status = 200;
    if (!route) {
      entry.error = "no secret for this path";
      status = 404;
    } else {
      try {
        const payload = route.webhook.verify(body, req.headers);
        entry.verified = true;
        entry.key = payload.key ?? null;
      } catch (e) {
        entry.error = e.message;
        status = 401;
      }
      entry.tampered_refused =
        refuses(route.webhook, Buffer.concat([body, Buffer.from(" ")]), req.headers) &&
        refuses(route.webhook, body, { ...req.headers, "webhook-id": `${req.headers["webhook-id"]}x` });
      entry.jade_signature_ok = jadeSignatureOk(route.secret, req.headers["jade-signature"], body);
      const left = failFirst.get(req.url) ?? 0;
      if (status === 200 && req.method === "POST" && left > 0) {
        failFirst.set(req.url, left - 1);
        status = 503;
      }
    }
    entry.status = status;
    entry.t = Date.now() / 1000;
    fs.writeSync(record, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(record);
    const answer = JSON.stringify(
      status === 200 ? { id: `${req.url.slice(1)}-${entry.id}` } : { error: entry.error || "unavailable" },
    );
    const reply = () => {
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(answer) });
      res.end(answer);
    };
    const over = (Number(entry.timestamp) + 1) * 1000 - Date.now();
    if (status === 503 && over > 0) setTimeout(reply, over);
    else reply();
  });
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(`${portFile}.tmp`, String(server.address().port));
  fs.renameSync(`${portFile}.tmp`, portFile);
});
