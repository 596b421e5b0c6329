#!/usr/bin/env bash
# The webhook plugin's Standard Webhooks signature, checked by a receiver
# written by nobody here: tests/fakes/standard-webhook-receiver.js, which
# verifies each request with the published standardwebhooks package for
# Node.js (installed by tests/fakes/standard-webhooks/install.sh, once).
# jade publishes on the real clock (the library compares webhook-timestamp
# with its own): a whsec_ secret; a retry after a 503 (same webhook-id,
# verified both times); a secret without whsec_, taken as a raw key; a
# receiver holding another secret (verification fails: the test can fail);
# a whsec_ secret that is not base64 (nothing sent); a retraction.
# Prints TAP.
# usage: standard-webhooks.sh JADE SRCDIR OUTBOX.so WEBHOOK.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
webhook=$(realpath "$4")
work=$(tap_workdir)
receiver=
cleanup() {
  [ -z "$receiver" ] || kill "$receiver" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT

# No package, no test: a failure that says why, never a skip.
if ! modules=$(bash "$src/tests/fakes/standard-webhooks/install.sh" 2>"$work/install.err"); then
  not_ok "the standardwebhooks package for Node.js is at hand" "$(cat "$work/install.err")" \
    "run: bash tests/fakes/standard-webhooks/install.sh (once, with the network; .ci/setup does)"
  tap_done
  exit
fi
version=$(node -p "require('$modules/standardwebhooks/package.json').version")
ok "the standardwebhooks package for Node.js is at hand ($version)"

mkdir -p "$work/plugins" "$work/secrets" && cp "$outbox" "$webhook" "$work/plugins/"
# A whsec_ secret whose key (the bytes after whsec_, decoded) holds the
# sweep's marker: were the key to show anywhere, the sweep would find it.
# (Its base64 cannot hold the marker, so the sweep is not told of the file.)
whsec() { # FILE
  local key
  key="jade-test-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'whsec_%s\n' "$(printf '%s' "$key" | base64 -w0)" >"$1" && chmod 600 "$1"
}
whsec "$work/secrets/std"
whsec "$work/receiver-other" # what the receiver of /wrong holds instead
tap_secret "$work/secrets/plain" >/dev/null
printf 'whsec_MfKQ9r8GKYqrTwjUPD8\n' >"$work/secrets/broken" && chmod 600 "$work/secrets/broken"

NODE_PATH=$modules node "$src/tests/fakes/standard-webhook-receiver.js" --port-file "$work/port" --record "$work/record" \
  --route "/std=$work/secrets/std" --route "/raw=$work/secrets/plain:raw" \
  --route "/wrong=$work/receiver-other" --route "/broken=$work/secrets/broken" \
  --fail-first /std=1 2>"$work/receiver.err" &
receiver=$!
for _ in $(seq 400); do [ -f "$work/port" ] || ! kill -0 "$receiver" 2>/dev/null && break; sleep 0.05; done
port=$(cat "$work/port" 2>/dev/null) || {
  not_ok "the receiver listens" "$(cat "$work/receiver.err")"
  tap_done
  exit
}

# Three posts due in the last minutes (the real clock's), in words that
# are not ASCII, on four channels; no quiet hours now, a window around now.
mkdir -p "$work/tree" && cp -a "$src/tests/bad/base/." "$work/tree/"
python3 - "$work/tree" "$port" <<'PY'
import datetime, json, os, sys
root, port = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc)  # Africa/Bamako is UTC
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
quiet = [(now + datetime.timedelta(hours=h)).strftime("%H:%M") for h in (6, 7)]
jade["policy"] = {"quiet_hours": quiet, "min_gap_minutes": 0, "catch_up_minutes": 600}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
campaign = json.load(open(os.path.join(root, "c1/campaign.json")))
campaign["window"] = {k: (now + datetime.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M")
                      for k, d in (("start", -1), ("end", 1))}
json.dump(campaign, open(os.path.join(root, "c1/campaign.json"), "w"))
channels = [{"id": "hook-" + path, "network": "webhook", "regions": ["gao"], "secret": secret,
             "account": {"url": "http://127.0.0.1:%s/%s" % (port, path)}}
            for path, secret in (("std", "std"), ("raw", "plain"), ("wrong", "std"), ("broken", "broken"))]
json.dump({"channels": channels}, open(os.path.join(root, "channels.json"), "w"))
for p in range(3):
    at = (now - datetime.timedelta(minutes=3 - p)).strftime("%Y-%m-%dT%H:%M")
    json.dump({"id": "p%d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": [at]}}, open(os.path.join(root, "c1/posts/p%d.json" % p), "w"))
    open(os.path.join(root, "c1/posts/p%d.fr.txt" % p), "w").write(
        "Texte %d : « ɛ ŋ ɲ » à Gao 🎉\n" % p)
PY
cat >"$work/config.json" <<EOF
{"source": {"dir": "$work/tree"}, "state_dir": "$work/state", "listen": "$work/admin.sock",
 "plugin_dir": "$work/plugins", "secrets_dir": "$work/secrets",
 "networks": {"webhook": {"timeout_ms": 5000}},
 "retry": {"base_seconds": 1, "max_seconds": 2, "max_attempts": 10},
 "bindings": {"std": {"channels": ["hook-std", "hook-wrong"], "url_prefixes": ["http://127.0.0.1:$port/"]},
              "plain": {"channels": ["hook-raw"], "url_prefixes": ["http://127.0.0.1:$port/"]},
              "broken": {"channels": ["hook-broken"], "url_prefixes": ["http://127.0.0.1:$port/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
EOF
history() { "$jade" history --config "$work/config.json" --format json >"$work/history.json"; }
# `run --once` until what it waits for holds, or nothing is left to retry
# (a retry after the 503 may fall after a run's end), within a generous
# deadline
publish() { # PYTHON-CONDITION (on rows: the history)
  local deadline=$((SECONDS + 120)) rc
  while :; do
    "$jade" run --config "$work/config.json" --once >>"$work/jade.out" 2>&1
    history
    python3 -c "import json, sys; rows = json.load(open('$work/history.json'))
sys.exit(0 if ($1) else 2 if any(r['state'] in ('retrying', 'sending') for r in rows) else 1)"
    rc=$?
    [ "$rc" -eq 2 ] && [ "$SECONDS" -lt "$deadline" ] || return "$rc"
    sleep 0.5
  done
}
check() { # NAME PYTHON (record: the receiver's lines; rows: the history)
  if python3 - "$work/record" "$work/history.json" <<PY >"$work/py.out" 2>&1
import collections, json, sys
record = [json.loads(l) for l in open(sys.argv[1])]
rows = json.load(open(sys.argv[2]))
by_path = collections.defaultdict(list)
for e in record:
    by_path[e["path"]].append(e)
def state(channel):
    return sorted(r["state"] for r in rows if r["channel"] == channel)
$2
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}

publish 'sum(r["state"] == "sent" for r in rows) >= 6' ||
  not_ok "jade sent the six it could" "$(tail -n 20 "$work/jade.out")"
check "a whsec_ secret: each request verified by the standardwebhooks library, webhook-id = the occurrence key" '
posts = [e for e in by_path["/std"] if e["method"] == "POST"]
keys = sorted(r["key"] for r in rows if r["channel"] == "hook-std")
assert state("hook-std") == ["sent"] * 3, state("hook-std")
assert all(e["verified"] for e in posts), posts
assert sorted(set(e["id"] for e in posts)) == keys, (posts, keys)
assert all(e["id"] == e["idempotency_key"] == e["key"] for e in posts), posts
assert all(e["tampered_refused"] and e["jade_signature_ok"] for e in posts), posts'
check "a 503, then the retry: the same webhook-id, verified both times, a new timestamp and signature" '
posts = [e for e in by_path["/std"] if e["method"] == "POST"]
first, retry = posts[0], [e for e in posts[1:] if e["id"] == posts[0]["id"]]
assert first["status"] == 503 and first["verified"], first
assert len(retry) == 1 and retry[0]["status"] == 200 and retry[0]["verified"], posts
assert int(retry[0]["timestamp"]) > int(first["timestamp"]), (first, retry)
assert retry[0]["signature"] != first["signature"], (first, retry)
assert [r["attempts"] for r in rows if r["key"] == first["id"]] == [2], rows
print("# retried %s s later" % (int(retry[0]["timestamp"]) - int(first["timestamp"])))'
check "a secret without whsec_: verified by the library as a raw key, and by Jade-Signature" '
posts = by_path["/raw"]
assert state("hook-raw") == ["sent"] * 3, state("hook-raw")
assert len(posts) == 3 and all(e["verified"] and e["status"] == 200 for e in posts), posts
assert all(e["tampered_refused"] and e["jade_signature_ok"] for e in posts), posts'
check "a receiver holding another secret: verification fails, answered 401, the channel suspended" '
posts = by_path["/wrong"]
assert len(posts) == 1, posts
assert not posts[0]["verified"] and posts[0]["error"] == "No matching signature found", posts
assert posts[0]["status"] == 401 and not posts[0]["jade_signature_ok"], posts
assert state("hook-wrong") == ["planned"] * 3, state("hook-wrong")'
check "a whsec_ secret that is not base64: nothing sent, the channel suspended" '
assert not by_path["/broken"], by_path["/broken"]
assert state("hook-broken") == ["planned"] * 3, state("hook-broken")'
if grep -q "event=suspended channel=hook-broken .*whsec_ but what follows is not base64" "$work/jade.out"; then
  ok "the broken whsec_ secret's suspension says what is wrong"
else not_ok "the broken whsec_ secret's suspension says what is wrong" "$(grep hook-broken "$work/jade.out")"; fi

# -- a retraction: another message, so another webhook-id --------------------------
python3 - "$work/tree/c1/posts/p0.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["retracted"] = {"reason": "une erreur de date"}
json.dump(d, open(sys.argv[1], "w"))
PY
publish 'sum(r["state"] == "retracted" for r in rows) >= 2' ||
  not_ok "jade retracted p0 where it was sent" "$(tail -n 20 "$work/jade.out")"
check "a retraction: DELETEs verified by the library, webhook-id the key with -retraction" '
deletes = [e for e in record if e["method"] == "DELETE"]
gone = sorted(r["key"] + "-retraction" for r in rows if r["post"] == "p0" and r["state"] == "retracted")
assert len(gone) == 2 and sorted(e["id"] for e in deletes) == gone, (deletes, gone)
assert all(e["verified"] and e["tampered_refused"] and e["jade_signature_ok"] for e in deletes), deletes'

tap_done
