#!/usr/bin/env bash
# Plugins that misbehave at run time (the test network "unruly", whose
# channels' accounts choose how): one that never calls done (uncertain
# once its deadline passes), one that calls it twice and a third time
# later (sent once, the others logged and ignored), one answering after
# its deadline (uncertain; the late done ignored), an outcome outside the
# enum and a result struct of 4 bytes (uncertain, with why); and the host's
# 1.1 calls: answers from later() and after work(), multipart uploads to a
# receiver that parses them (field names, filename, content type, a
# streamed file's exact bytes), a missing file (nothing leaves), a body
# with parts (refused). The service keeps running and the other channels
# publish. Then: init fails (its channels do not publish, the service says
# why); a later() pending at init does not hold a run that ends; SIGTERM
# with a call waiting on a later() ends once stop_timeout_seconds passes.
# usage: misbehave.sh JADE SRCDIR FAULTY.so UNRULY.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
faulty=$(realpath "$3")
unruly=$(realpath "$4")
here=$(cd "$(dirname "$0")" && pwd)
work=$(tap_workdir)
pid= receiver=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$receiver" ] && kill "$receiver" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" && cp "$faulty" "$unruly" "$work/plugins/"
# count FILE REGEX: lines matching
count() { grep -cE -- "$2" "$1" 2>/dev/null || true; }
# until_seen FILE REGEX N SECONDS: at least N lines match, within SECONDS
until_seen() {
  for _ in $(seq 1 $(($4 * 10))); do [ "$(count "$1" "$2")" -ge "$3" ] && return 0; sleep 0.1; done
  return 1
}
# exits PID SECONDS: the process ended within SECONDS (its status in $status)
exits() {
  for _ in $(seq 1 $(($2 * 10))); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; status=$?; return 0; fi
    sleep 0.1
  done
  return 1
}

# -- the content: one post at 09:00, one channel per behaviour ---------------------
content=$work/content
mkdir -p "$content" && cp -a "$src/tests/bad/base/." "$content/"
python3 - "$content" <<'PY'
import json, os, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
def ch(cid, network, answers):
    return {"id": cid, "network": network, "regions": ["gao"], "account": {"answers": answers}}
behaviours = {"never": "never", "twice": "twice", "tardy": "later:7000", "bad": "bad-outcome",
              "small": "small", "later": "later:200", "work": "work", "upload": "upload",
              "missing": "upload-missing", "both": "upload-both", "fine": "sent", "hang": "hang"}
channels = [ch("ok", "faulty", "sent")] + [ch(c, "unruly", a) for c, a in behaviours.items()]
json.dump({"channels": channels}, open(os.path.join(root, "channels.json"), "w"))
json.dump({"id": "p00", "kind": "story", "authors": ["awa"], "regions": ["gao"],
           "schedule": {"at": ["2026-12-02T09:00"]}},
          open(os.path.join(root, "c1/posts/p00.json"), "w"))
open(os.path.join(root, "c1/posts/p00.fr.txt"), "w").write("Texte é p00.\n")
PY
# config NAME [CHANNELS...]: a configuration with only those channels (all
# when none are named). The test network's own switches are in the
# environment: UNRULY_INIT, UNRULY_UPLOAD_URL, UNRULY_UPLOAD_FILE.
config() {
  local name=$1; shift
  local keep=$work/$name-content
  rm -rf "$keep" && cp -a "$content" "$keep"
  python3 - "$keep" "$@" <<'PY'
import json, os, sys
path = os.path.join(sys.argv[1], "channels.json")
wanted = sys.argv[2:]
channels = json.load(open(path))["channels"]
if wanted:
    channels = [c for c in channels if c["id"] in wanted]
json.dump({"channels": channels}, open(path, "w"))
PY
  cat >"$work/$name.json" <<JSON
{"source": {"dir": "$keep"}, "state_dir": "$work/$name-state", "listen": "$work/$name.sock",
 "plugin_dir": "$work/plugins", "stop_timeout_seconds": 1,
 "retry": {"base_seconds": 30, "max_seconds": 60, "max_attempts": 1},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
JSON
}
# history NAME: the rows, as JSON, into $work/NAME.rows
history() { "$jade" history --config "$work/$1.json" --format json >"$work/$1.rows"; }
# check NAME ROWS PYTHON: row(channel) is the one row of that channel
check() {
  if python3 - "$work/$2.rows" <<PY >"$work/py.out" 2>&1
import json, sys
rows = json.load(open(sys.argv[1]))
def row(ch):
    found = [r for r in rows if r["channel"] == ch]
    assert len(found) == 1, (ch, found)
    return found[0]
$3
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}

# -- a receiver for the uploads -----------------------------------------------------------
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom >"$work/photo.bin"
python3 "$here/multipart-receiver.py" --port-file "$work/port" --record "$work/uploads.jsonl" \
  --expect "$work/photo.bin" &
receiver=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
export UNRULY_UPLOAD_URL="http://127.0.0.1:$(cat "$work/port")/upload" UNRULY_UPLOAD_FILE=$work/photo.bin

# -- one run: every misbehaviour at once ------------------------------------------------------
config main ok never twice tardy bad small later work upload missing both fine
log=$work/main.log
"$jade" run --config "$work/main.json" --clock sim:2026-12-02T08:59:58Z:1 >"$log" 2>&1 &
pid=$!
if until_seen "$log" 'event=published .*channel=fine' 1 60 &&
   until_seen "$log" 'event=uncertain .*channel=never' 1 60 &&
   until_seen "$log" 'event=uncertain .*channel=tardy' 1 60 &&
   until_seen "$log" 'event=answer_ignored network=unruly' 3 60; then
  ok "every channel answered, or ran past its deadline; the late answers came"
else
  not_ok "every channel answered, or ran past its deadline; the late answers came" "$(tail -n 30 "$log")"
fi
if kill -0 "$pid" 2>/dev/null; then ok "the service keeps running"; else not_ok "the service keeps running" "$(tail -n 20 "$log")"; fi
kill -TERM "$pid"
if exits "$pid" 60 && [ "$status" -eq 0 ]; then ok "SIGTERM: it stops, status 0"; else not_ok "SIGTERM: it stops, status 0" "status ${status:-running}" "$(tail -n 20 "$log")"; fi
pid=
history main
check "the other channels published: another network's, and this one's well-behaved channel" main '
for c in ("ok", "fine"):
    assert row(c)["state"] == "sent" and row(c)["attempts"] == 1, row(c)'
check "never calls done: uncertain once the plugin's deadline (5 s) passed" main '
r = row("never")
assert r["state"] == "uncertain" and r["attempts"] == 1, r
assert r["error"] == "no answer within the plugin'"'"'s deadline (5 s): it may have been published", r'
check "done twice (and a third time later): sent once, with the first answer" main '
r = row("twice")
assert r["state"] == "sent" and r["attempts"] == 1 and r["network_id"].startswith("unruly-"), r'
check "an answer after the deadline: uncertain, the late done ignored" main '
r = row("tardy")
assert r["state"] == "uncertain" and "deadline (5 s)" in r["error"], r
assert r["network_id"] is None, r'
check "an outcome outside the enum: uncertain, the answer unreadable" main '
r = row("bad")
assert r["state"] == "uncertain", r
assert r["error"].startswith("the plugin'"'"'s answer could not be read (outcome 42 is none jade knows)"), r'
check "a result struct of 4 bytes: uncertain, the answer unreadable" main '
r = row("small")
assert r["state"] == "uncertain", r
assert r["error"].startswith("the plugin'"'"'s answer could not be read (its struct is 4 bytes)"), r'
ignored=$(count "$log" 'event=answer_ignored network=unruly msg="the plugin answered a call that is over')
if [ "$ignored" -eq 3 ]; then ok "the second and third done of twice and tardy's late one: logged with the network"
else not_ok "the second and third done of twice and tardy's late one: logged with the network" "$ignored lines" "$(grep answer_ignored "$log")"; fi
check "an answer from a later() callback: sent" main '
r = row("later")
assert r["state"] == "sent" and r["network_id"].startswith("unruly-"), r'
check "an answer after work() ran on a worker thread: sent" main '
r = row("work")
assert r["state"] == "sent" and r["network_id"].startswith("unruly-"), r'
if [ "$(cat "$work/main-state/plugins/unruly/work.log" 2>/dev/null)" = "unruly-$(python3 -c "import json; print([r for r in json.load(open('$work/main.rows')) if r['channel'] == 'work'][0]['key'][:8])")" ]; then
  ok "work(): what it wrote is in the plugin's data folder"
else not_ok "work(): what it wrote is in the plugin's data folder" "$(ls -la "$work/main-state/plugins/unruly" 2>&1)"; fi
check "a multipart upload: sent" main '
r = row("upload")
assert r["state"] == "sent", r'
if python3 - "$work/uploads.jsonl" "$work/photo.bin" <<'PY' >"$work/py.out" 2>&1
import hashlib, json, sys
entries = [json.loads(line) for line in open(sys.argv[1])]
assert len(entries) == 1, entries  # the missing file and the body with parts never left
e = entries[0]
assert "error" not in e, e
parts = e["parts"]
assert [p["name"] for p in parts] == ["caption", "photo", "meta"], parts
caption, photo, meta = parts
assert caption["value"] == "Texte é p00." and caption["filename"] is None, caption
assert caption["content_type"] is None, caption
data = open(sys.argv[2], "rb").read()
assert photo["filename"] == "photo.jpg" and photo["content_type"] == "image/jpeg", photo
assert photo["is_expected_file"] and photo["size"] == len(data) == 3 * 1024 * 1024 + 12345, photo
assert photo["sha256"] == hashlib.sha256(data).hexdigest(), photo
assert meta["value"] == '{"k": 1}' and meta["content_type"] == "application/json", meta
assert meta["filename"] is None, meta
PY
then ok "the receiver parsed it: field names, filename, content types, the streamed file's exact bytes"
else not_ok "the receiver parsed it: field names, filename, content types, the streamed file's exact bytes" "$(cat "$work/py.out")"; fi
check "a missing file: nothing left (request_sent 0), the message names the file" main "
r = row('missing')
assert r['state'] == 'failed', r
assert r['error'].startswith('transport error, request_sent=0: cannot read $work/photo.bin.missing for the upload: '), r"
check "a body with parts: refused by the host" main '
r = row("both")
assert r["state"] == "failed" and r["error"] == "the host refused the request", r'
if grep -qF 'event=http_refused network=unruly msg="the plugin asked for a request with both a body and multipart parts: not sent"' "$log"; then
  ok "a body with parts: the log says why"
else not_ok "a body with parts: the log says why" "$(tail -n 20 "$log")"; fi

# -- init fails ----------------------------------------------------------------------------
config init ok fine never
expect "init fails: the run goes on (--once, status 1 for the failures)" 1 "" -- \
  env UNRULY_INIT=fail "$jade" run --config "$work/init.json" --once --clock sim:2026-12-02T09:00:30Z:1
history init
check "init fails: its channels do not publish, the other network's does" init '
assert row("ok")["state"] == "sent", row("ok")
for c in ("fine", "never"):
    r = row(c)
    assert r["state"] == "failed" and r["error"] == "no plugin is loaded for this channel'"'"'s network", r'
UNRULY_INIT=fail "$jade" run --config "$work/init.json" --log info --once --clock sim:2026-12-02T09:00:50Z:1 >"$work/init.log" 2>&1
if grep -qF 'event=plugin_failed network=unruly msg="the plugin failed to start: its channels cannot publish"' "$work/init.log" &&
   grep -qF 'event=plugin network=unruly msg="init fails, as its setting asks"' "$work/init.log"; then
  ok "init fails: the service says why"
else not_ok "init fails: the service says why" "$(cat "$work/init.log")"; fi

# -- later() calls pending while the service stops ---------------------------------------------
config idle ok fine
UNRULY_INIT=idle_later timeout 120 "$jade" run --config "$work/idle.json" --once --clock sim:2026-12-02T09:00:30Z:1 >"$work/idle.log" 2>&1
status=$?
history idle
if [ "$status" -eq 0 ]; then ok "a later() an hour away, asked at init: a run that is over ends"
else not_ok "a later() an hour away, asked at init: a run that is over ends" "status $status" "$(tail -n 20 "$work/idle.log")"; fi
check "... having published" idle '
assert row("fine")["state"] == "sent" and row("ok")["state"] == "sent", rows'
config hang fine hang
"$jade" run --config "$work/hang.json" --clock sim:2026-12-02T08:59:58Z:1 >"$work/hang.log" 2>&1 &
pid=$!
until_seen "$work/hang.log" 'event=published .*channel=fine' 1 60
kill -TERM "$pid"
if exits "$pid" 60 && [ "$status" -eq 0 ]; then
  ok "SIGTERM while a call waits for its later(): stops after stop_timeout_seconds"
else not_ok "SIGTERM while a call waits for its later(): stops after stop_timeout_seconds" "status ${status:-running}" "$(tail -n 20 "$work/hang.log")"; fi
pid=
history hang
check "... the unanswered publication left sending, for the next start to recover" hang '
assert row("hang")["state"] == "sending", row("hang")'
if grep -qF 'event=stop_overdue' "$work/hang.log"; then ok "... and said so"; else not_ok "... and said so" "$(tail -n 20 "$work/hang.log")"; fi

tap_done
