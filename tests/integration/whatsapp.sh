#!/usr/bin/env bash
# The whatsapp plugin through jade run, against the fake Cloud API of
# tests/fakes/whatsapp.py: a template to each number of a list of
# thousands, paced within the number's throughput; the journal across
# SIGKILL (nobody gets a publication twice); the pair limit and the daily
# reach cap; flattened parameters; failures answered at once; the signed
# status webhook (good, bad and missing signatures, Meta's handshake) and
# a late failure in the occurrence's history. The clock runs at real speed
# (the fake keeps real time). Prints TAP.
# usage: whatsapp.sh JADE SRCDIR WHATSAPP.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
plugin=$(realpath "$3")
work=$(tap_workdir)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$plugin" "$work/plugins/"
token=$(tap_secret "$work/secrets/wa-token")
app_secret=$(tap_secret "$work/secrets/whatsapp-app-secret")
verify_token=$(tap_secret "$work/secrets/whatsapp-verify-token")
T0=2026-12-02T08:00:00Z

# A list of N numbers (+22370000000 + i), with a comment that holds a
# marked secret (never shown: the sweep looks for it) and blank lines.
make_list() { # NAME N
  local file="$work/secrets/wa-token.$1"
  tap_secret "$file" >/dev/null
  { printf '# opt-in list, %s\n\n' "$(cat "$file")"
    python3 -c "import sys; [print('+2237%07d' % i, '  # ok' if i % 7 == 0 else '') for i in range(int(sys.argv[1]))]" "$2"
  } >"$file.new" && mv "$file.new" "$file" && chmod 600 "$file"
}

start_fake() { # NAME ARGS...: the fake Cloud API, its port in $port
  local name=$1; shift
  python3 "$src/tests/fakes/whatsapp.py" --secret "$token" --app-secret "$app_secret" \
    --record "$work/$name.record" --port-file "$work/$name.port" "$@" &
  pids+=($!)
  fake_pid=$!
  for _ in $(seq 200); do [ -f "$work/$name.port" ] && break; sleep 0.05; done
  port=$(cat "$work/$name.port")
}

# Case NAME's content tree and configuration: POSTS posts at T0 + minutes
# (one time each) on one whatsapp channel to list LIST, plugin SETTINGS.
setup() { # NAME LIST POSTS SETTINGS-JSON [TEXT]
  python3 - "$src" "$work" "$1" "$2" "$3" "$port" "$4" "${5:-}" <<'PY'
import json, os, shutil, sys
src, work, name, lst, posts, port, settings, text = sys.argv[1:9]
tree = "%s/%s-tree" % (work, name)
shutil.copytree(src + "/tests/bad/base", tree)
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(tree, f))
jade = json.load(open(tree + "/jade.json"))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0,
                  "catch_up_minutes": 10080}
json.dump(jade, open(tree + "/jade.json", "w"))
json.dump({"channels": [{"id": "wa-gao", "network": "whatsapp", "regions": ["gao"],
                         "secret": "wa-token",
                         "account": {"phone_number_id": "106540352242922",
                                     "template": "jade_post", "template_language": "fr",
                                     "recipients": lst}}]},
          open(tree + "/channels.json", "w"))
for p in range(int(posts)):
    json.dump({"id": "p%02d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": ["2026-12-02T08:%02d" % p]}},
              open("%s/c1/posts/p%02d.json" % (tree, p), "w"))
    open("%s/c1/posts/p%02d.fr.txt" % (tree, p), "w").write(text or "Texte %d.\n" % p)
s = {"api_base": "http://127.0.0.1:%s/v21.0" % port}
s.update(json.loads(settings))
json.dump({"source": {"dir": tree}, "state_dir": "%s/%s-state" % (work, name),
           "listen": "%s/%s.sock" % (work, name), "plugin_dir": work + "/plugins",
           "secrets_dir": work + "/secrets", "networks": {"whatsapp": s},
           "retry": {"base_seconds": 1, "max_seconds": 5, "max_attempts": 20},
           "bindings": {"wa-token": {"channels": ["wa-gao"]}},
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"), indent=1)
PY
}
# The history, and the events of its first occurrence (a sent one's note
# is there: how many recipients got it).
history() {
  "$jade" history --config "$work/$1.json" --format json >"$work/$1-history.json"
  local key
  key=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[0]["key"] if r else "")' "$work/$1-history.json")
  "$jade" history --config "$work/$1.json" --format json --events "$key" >"$work/$1-events.json" 2>/dev/null ||
    echo '[]' >"$work/$1-events.json"
}
# check NAME PYTHON: runs PYTHON with rec (the fake's record: requests),
# rows (the history), accepted (number -> messages accepted), early.
check() {
  if python3 - "$work/$case.record" "$work/$case-history.json" "$work/$case-events.json" <<PY >"$work/py.out" 2>&1
import collections, json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
rows = json.load(open(sys.argv[2]))
events = json.load(open(sys.argv[3]))
notes = [e["detail"] for e in events if e["state"] in ("sent", "retrying", "failed") and e["detail"]]
note = notes[-1] if notes else ""
accepted = collections.Counter(e["to"] for e in rec if e.get("op") == "create" and e["status"] == 200)
early = [e for e in rec if e.get("early")]
$2
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
# A service run at real speed from T0 + OFFSET, until what is due has gone
# (--once waits for the plugin's answer, however long its pacing takes on
# a busy machine: no fixed window to outlast).
run_for() { # NAME OFFSET
  local from
  from=$(date -u -d "$T0 + $2 seconds" +%Y-%m-%dT%H:%M:%SZ)
  "$jade" run --config "$work/$1.json" --clock "sim:$from:1" --once >>"$work/$1.out" 2>&1
}
# The same, for what waits on the network's pacing (a retry some seconds
# on): the service runs until the fake accepted N messages (10 minutes at
# most), then stops gracefully (SIGTERM: what is in flight is answered).
run_until_accepted() { # NAME OFFSET N
  run_until "$1" "$2" "[ \"\$(grep -c '\"status\": 200' '$work/$1.record' 2>/dev/null)\" -ge $3 ]"
}
# Or until its publication is sent (the ledger says so).
run_until_sent() { # NAME OFFSET
  run_until "$1" "$2" "\"$jade\" history --config '$work/$1.json' --format json 2>/dev/null | grep -q '\"state\": \"sent\"'"
}
run_until() { # NAME OFFSET CONDITION (shell code)
  local from pid
  from=$(date -u -d "$T0 + $2 seconds" +%Y-%m-%dT%H:%M:%SZ)
  "$jade" run --config "$work/$1.json" --clock "sim:$from:1" >>"$work/$1.out" 2>&1 &
  pid=$!
  for _ in $(seq 3000); do
    eval "$3" && break
    sleep 0.2
  done
  kill -TERM "$pid"
  wait "$pid"
}

# -- a list of 2,000: each number once, within the throughput, flattened ---------
case=fanout
make_list big 2000
start_fake $case --throughput 200 --tier 100000
setup $case big 1 '{"throughput": 200, "reach_cap": 100000}' $'Vérifiez  avant\tde partager.\n\nLa rumeur du puits      est fausse.\n'
run_for $case 30 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "2,000 numbers (comments, blanks): each accepted once, none early, sent with its count" '
assert len(accepted) == 2000 and set(accepted.values()) == {1}, (len(accepted), collections.Counter(accepted.values()))
assert not early, early[:3]
assert [r["state"] for r in rows] == ["sent"], rows
assert "2000 of 2000 recipient(s) sent, 0 failed, 0 uncertain" in note, (rows[0], note)'
check "the template parameter is flattened: no newline, no tab, no run of 5 spaces" '
texts = {e["text"] for e in rec if e.get("text")}
assert texts == {"Vérifiez  avant de partager. La rumeur du puits est fausse."}, texts'
check "the requests keep within the throughput: at most 400 in any two seconds" '
ts = sorted(e["t"] for e in rec if e.get("op") == "create")
j = 0
for i, t in enumerate(ts):
    while t - ts[j] >= 2.0: j += 1
    assert i - j + 1 <= 2 * 200 * 1.1 + 2, (i - j + 1)'
if grep -rq "jade-test-secret-" "$work/$case.out" "$work/$case-state/plugins/whatsapp" ||
   grep -q "+2237" "$work/$case-state/plugins/whatsapp/journal"; then
  not_ok "the journal and the log hold no number and nothing of the list's comments"
else ok "the journal and the log hold no number and nothing of the list's comments"; fi

# -- SIGKILL in the middle of a fan-out, twice: nobody gets it twice --------------
case=kill
make_list crash 600
start_fake $case --throughput 100 --tier 100000
setup $case crash 1 '{"throughput": 100, "reach_cap": 100000, "throttle_seconds": 2}'
kill_after() { # N: starts the service, kills it with SIGKILL once the fake accepted N in all
  local from
  from=$(date -u -d "$T0 + 30 seconds" +%Y-%m-%dT%H:%M:%SZ)
  "$jade" run --config "$work/$case.json" --clock "sim:$from:1" >>"$work/$case.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1200); do
    [ "$(grep -c '"status": 200' "$work/$case.record" 2>/dev/null)" -ge "$1" ] && break
    sleep 0.05
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null
}
kill_after 150
kill_after 350
run_until_sent $case 60 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "killed twice mid-list: no number accepted twice; every number accepted or recorded uncertain" '
import glob
assert set(accepted.values()) == {1}, collections.Counter(accepted.values())
# refused as over the throughput (no recipient read) is a matter for the
# throughput check above; early to a person (pair, cap) fails here too
assert not [e for e in early if e.get("to")], early[:3]
assert [r["state"] for r in rows] == ["sent"], rows
import re
sent, total, failed, uncertain, waiting = map(int, re.match(r"(\d+) of (\d+) recipient\(s\) sent, (\d+) failed, (\d+) uncertain, (\d+) waiting", note).groups())
assert total == 600 and waiting == 0 and failed == 0, note
assert sent + uncertain == 600 and sent <= len(accepted) <= 600, (note, len(accepted))
# per kill: what was in flight (32 at most) and what was answered but
# not yet journaled (as many)
assert uncertain <= 2 * 64, note
print("# %d accepted, %d uncertain after two kills" % (len(accepted), uncertain))'
check "the restart re-sent the publication with the same key (the journal skipped who was done)" '
assert rows[0]["attempts"] >= 3, rows[0]'

# -- the pair limit: two publications to the same people, 6 s apart at least -------
case=pair
make_list pair 4
start_fake $case --pair-seconds 6
setup $case pair 2 '{"pair_seconds": 6}'
# both posts due already: they go one after the other
run_until_accepted $case 150 8 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "two publications to 4 people: each person got both, 6 s apart or more, none early" '
assert not early, early[:3]
assert len(accepted) == 4 and set(accepted.values()) == {2}, accepted
by = collections.defaultdict(list)
for e in rec:
    if e.get("status") == 200: by[e["to"]].append(e["t"])
assert all(t[1] - t[0] >= 6 for t in by.values()), by
assert sorted(r["state"] for r in rows) == ["sent", "sent"], rows'

# -- the daily reach cap: 10 new people a day, 15 on the list -----------------------
case=cap
make_list capped 15
start_fake $case --tier 10
setup $case capped 1 '{"reach_cap": 10}'
run_for $case 30 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "a reach cap of 10: 10 people reached, the rest waits for a slot (retrying, a day later)" '
assert not early, early[:3]
assert len(accepted) == 10, len(accepted)
r = rows[0]
assert r["state"] == "retrying" and "10 of 15 recipient(s) sent" in r["error"] and "5 waiting" in r["error"], r
assert r["next_attempt"] >= "2026-12-03T08:00", r'

# -- answers at once: a recipient refused, the token expired ----------------------
case=errors
make_list errs 5
start_fake $case
setup $case errs 1 '{}'
curl -s -X POST --data '[{"fault": "code", "code": 131026, "count": 1}]' "http://127.0.0.1:$port/_fake/faults" >/dev/null
run_for $case 30 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "131026 for one recipient: the others get it, sent with 1 failed and WhatsApp's words" '
assert len(accepted) == 4, accepted
r = rows[0]
assert r["state"] == "sent" and "4 of 5 recipient(s) sent, 1 failed" in note and "131026" in note, (r, note)'
case=auth
start_fake $case --secret "not-the-token"
setup $case errs 1 '{}'
run_for $case 30 || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "an expired token (190): the channel is suspended, nothing sent, the words kept" '
assert not accepted
r = rows[0]
assert r["state"] == "planned" and "190" in r["error"] and "access token" in r["error"], r'
if grep -q 'suspended' "$work/$case.out"; then ok "the suspension is in the log"
else not_ok "the suspension is in the log" "$(tail "$work/$case.out")"; fi

# -- the status webhook: a late failure, a hold, and signatures -----------------------
case=late
make_list late 3
sock="$work/$case.sock"
start_fake $case --webhook "http://localhost/hooks/whatsapp" --webhook-socket "$sock"
setup $case late 1 '{}'
curl -s -X POST --data '[{"fault": "late_failure", "code": 131049, "seconds": 1, "count": 1}, {"fault": "held", "seconds": 1, "count": 1}]' \
  "http://127.0.0.1:$port/_fake/faults" >/dev/null
from=$(date -u -d "$T0 + 30 seconds" +%Y-%m-%dT%H:%M:%SZ)
"$jade" run --config "$work/$case.json" --clock "sim:$from:1" >"$work/$case.out" 2>&1 &
jade_pid=$!
pids+=($jade_pid)
key=
for _ in $(seq 600); do
  if [ "$(grep -c '"notification"' "$work/$case.record" 2>/dev/null)" -ge 2 ]; then
    history $case
    key=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[0]["key"] if r and r[0]["state"] == "sent" else "")' "$work/$case-history.json")
    [ -n "$key" ] && "$jade" history --config "$work/$case.json" --events "$key" >"$work/$case-events.txt" 2>&1 &&
      [ "$(grep -c late "$work/$case-events.txt")" -ge 2 ] && break
  fi
  sleep 0.1
done
if grep -q "late .*recipient \.\.\.000[0-2]: failed later, 131049" "$work/$case-events.txt" 2>/dev/null &&
   grep -q "late .*recipient \.\.\.000[0-2]: held for quality assessment" "$work/$case-events.txt"; then
  ok "a failure and a hold reported later on the signed webhook are events of the occurrence"
else not_ok "a failure and a hold reported later on the signed webhook are events of the occurrence" \
  "$(cat "$work/$case-events.txt" 2>/dev/null)" "$(grep notification "$work/$case.record")" "$(tail -5 "$work/$case.out")"; fi
check "the webhook answered the fake's signed notifications 200" '
n = [e for e in rec if e.get("notification")]
assert len(n) == 2 and all(e["status"] == 200 for e in n), n'
post_hook() { # SIGNATURE BODY: the status code
  curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -X POST \
    ${1:+-H "X-Hub-Signature-256: $1"} -H 'Content-Type: application/json' --data "$2" \
    http://localhost/hooks/whatsapp
}
body='{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.FAKE00000003","status":"failed","errors":[{"code":131026,"title":"forged"}]}]}}]}]}'
good=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$app_secret" -r | cut -d' ' -f1)
wrong=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "not-the-app-secret" -r | cut -d' ' -f1)
[ "$(post_hook "" "$body")" = 403 ] && ok "an unsigned notification is refused (403)" ||
  not_ok "an unsigned notification is refused (403)"
[ "$(post_hook "sha256=$wrong" "$body")" = 403 ] && ok "a notification signed with another secret is refused (403)" ||
  not_ok "a notification signed with another secret is refused (403)"
# the last digit changed (a 0 stays a 0 one time in 16: then a 1)
changed=${good:0:63}$([ "${good:63}" = 0 ] && echo 1 || echo 0)
[ "$(post_hook "sha256=$changed" "$body")" = 403 ] && ok "a signature with one digit changed is refused (403)" ||
  not_ok "a signature with one digit changed is refused (403)"
[ "$(post_hook "sha256=$good" "$body")" = 200 ] && ok "a notification signed with the app secret is taken (200)" ||
  not_ok "a notification signed with the app secret is taken (200)"
for _ in $(seq 100); do
  "$jade" history --config "$work/$case.json" --events "$key" >"$work/$case-events.txt" 2>&1
  [ "$(grep -c late "$work/$case-events.txt")" -ge 3 ] && break; sleep 0.1
done
if grep -q "recipient \.\.\.000[0-2]: failed later, 131026: forged" "$work/$case-events.txt" &&
   ! grep -q "forged.*forged" "$work/$case-events.txt" &&
   [ "$(grep -c forged "$work/$case-events.txt")" = 1 ]; then
  ok "only the signed one is recorded"
else not_ok "only the signed one is recorded" "$(cat "$work/$case-events.txt")"; fi
code=$(curl -s -o "$work/challenge" -w '%{http_code}' --unix-socket "$sock" \
  "http://localhost/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=$verify_token&hub.challenge=1158201444")
[ "$code" = 200 ] && [ "$(cat "$work/challenge")" = 1158201444 ] && ok "Meta's handshake: the challenge is answered with the verify token" ||
  not_ok "Meta's handshake: the challenge is answered with the verify token" "$code $(cat "$work/challenge")"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" \
  "http://localhost/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444")
[ "$code" = 403 ] && ok "the handshake with another verify token is refused (403)" ||
  not_ok "the handshake with another verify token is refused (403)" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -X POST --data '{}' http://localhost/hooks/telegram)
[ "$code" = 404 ] && ok "a network without notifications has no hook (404)" ||
  not_ok "a network without notifications has no hook (404)" "$code"
kill -TERM "$jade_pid"; wait "$jade_pid" 2>/dev/null
history $case
check "the late failures leave the occurrence sent" '
assert [r["state"] for r in rows] == ["sent"], rows'

# -- metrics: delivered, read and failed, from the status webhook ----------------------
# The fake reports every message delivered, every other one read (the read
# coming first), one failed later. The plugin journals them: a restart
# answers the reading at +1 h from what it kept.
case=delivery
make_list delivery 4
sock="$work/$case.sock"
start_fake $case --webhook "http://localhost/hooks/whatsapp" --webhook-socket "$sock" --delivery
setup $case delivery 1 '{}'
python3 - "$work/$case.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["metrics"] = {"readings": ["1h"]}
json.dump(c, open(sys.argv[1], "w"))
PY
curl -s -X POST --data '[{"fault": "late_failure", "code": 131049, "seconds": 1, "count": 1}]' \
  "http://127.0.0.1:$port/_fake/faults" >/dev/null
from=$(date -u -d "$T0 + 30 seconds" +%Y-%m-%dT%H:%M:%SZ)
"$jade" run --config "$work/$case.json" --clock "sim:$from:1" >"$work/$case.out" 2>&1 &
jade_pid=$!
pids+=($jade_pid)
# 4 accepted: 1 failed later, 3 sent and delivered, 2 of them read
for _ in $(seq 600); do
  [ "$(grep '"notification"' "$work/$case.record" 2>/dev/null | grep -c '"status": 200')" -ge 9 ] && break
  sleep 0.1
done
kill -TERM "$jade_pid" 2>/dev/null
wait "$jade_pid" 2>/dev/null
later=$(date -u -d "$T0 + 2 hours" +%Y-%m-%dT%H:%M:%SZ)
"$jade" run --config "$work/$case.json" --clock "sim:$later:1" --once >>"$work/$case.out" 2>&1 ||
  not_ok "the reading's run ends well" "$(tail -3 "$work/$case.out")"
sqlite3 -json "$work/$case-state/ledger.sqlite" "SELECT reading, name, value FROM metrics" \
  >"$work/$case-metrics.json"
history $case
check "delivered, read and failed, as the status webhook said, kept across a restart" "
rows = json.loads(open('$work/$case-metrics.json').read() or '[]')
got = {r['name']: r['value'] for r in rows}
final = {}
for e in rec:
    if e.get('notification') and e['status'] == 200:
        rank = {'sent': 1, 'delivered': 2, 'read': 3, 'failed': 4}[e['notification']]
        final[e['id']] = max(final.get(e['id'], 0), rank)
want = {'delivered': sum(1 for v in final.values() if v in (2, 3)),
        'read': sum(1 for v in final.values() if v == 3),
        'failed': sum(1 for v in final.values() if v == 4)}
want['reach'] = want['delivered']
assert want == {'delivered': 3, 'read': 2, 'failed': 1, 'reach': 3}, (want, rec)
assert got == want, (got, want)
assert all(r['reading'] == 3600 for r in rows), rows"

tap_done
