#!/usr/bin/env bash
# Operating a running service (issue 11): GET /healthz and /status, POST
# /halt and /resume with the admin token, jade status, halt and resume,
# halts of each scope while a simulated day runs (nothing of a halted
# scope leaves once the halt has answered), a halt kept through a
# restart, what a halt kept past its catch-up recorded missed, bad and
# slow clients, and a suspended channel resumed by an operator or by a
# new secret on disk. Prints TAP.
# usage: operate.sh JADE SRCDIR OUTBOX.so WEBHOOK.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
webhook=$(realpath "$4")
work=$(tap_workdir)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets"
cp "$outbox" "$webhook" "$work/plugins/"
token=$(tap_secret "$work/secrets/admin_token")
tap_secret "$work/secrets/hook" >/dev/null
sock=$work/admin.sock

# Two campaigns on two outbox channels: a post every 5 minutes of each,
# 08:00 to 21:55 on 2 December; catch-up 20 minutes. The simulated clock
# runs at 240x; the test waits on it, never on the machine's.
tree=$work/tree
mkdir -p "$tree" && cp -a "$src/tests/bad/base/." "$tree/"
python3 - "$tree" <<'PY'
import datetime, json, os, shutil, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 20}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [
    {"id": "out-" + r, "network": "outbox", "regions": [r], "account": {"folder": r}}
    for r in ("kayes", "gao")]}, open(os.path.join(root, "channels.json"), "w"))
shutil.copytree(os.path.join(root, "c1"), os.path.join(root, "c2"))
c2 = json.load(open(os.path.join(root, "c2/campaign.json")))
c2["id"] = "c2"
json.dump(c2, open(os.path.join(root, "c2/campaign.json"), "w"))
start = datetime.datetime(2026, 12, 2, 8, 0)
times = [(start + datetime.timedelta(minutes=5 * k)).strftime("%Y-%m-%dT%H:%M") for k in range(168)]
for c in ("c1", "c2"):
    json.dump({"id": "tick", "kind": "story", "authors": ["moussa"],
               "regions": ["kayes", "gao"], "schedule": {"at": times}},
              open(os.path.join(root, c, "posts/tick.json"), "w"))
    open(os.path.join(root, c, "posts/tick.fr.txt"), "w").write("Texte.\n")
PY
cat >"$work/config.json" <<JSON
{"source": {"dir": "$tree"}, "state_dir": "$work/state", "plugin_dir": "$work/plugins",
 "secrets_dir": "$work/secrets", "listen": "$sock"}
JSON

api() { curl -sS --max-time 20 --unix-socket "$sock" "$@"; }
code() { api -o "$work/body" -w '%{http_code}' "$@"; }
start() { # START: the service from START at 240x, in the background
  "$jade" run --config "$work/config.json" --clock "sim:$1:240" --until 2026-12-02T23:00:00Z \
    >>"$work/service.out" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do
    [ "$(code http://jade/healthz 2>/dev/null)" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
now() { api http://jade/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])'; }
advance() { # MINUTES: until the service's clock has gone that far from now
  local t
  t=$(now) && wait_until "$(date -u -d "${t%Z} UTC + $1 minutes" +%Y-%m-%dT%H:%M:%SZ)"
}
wait_until() { # TIME: until the service's clock reaches TIME (or it ends)
  for _ in $(seq 1200); do
    local t
    t=$(now 2>/dev/null) || return 1
    [[ "$t" > "$1" || "$t" == "$1" ]] && return 0
    sleep 0.1
  done
  return 1
}
files() { # [CAMPAIGN|-] [FOLDER]: the outbox files of that scope, sorted
  python3 - "$work/state/outbox" "${1:--}" "${2:-}" <<'PY'
import glob, json, sys
root, campaign, folder = sys.argv[1], sys.argv[2], sys.argv[3]
for f in sorted(glob.glob("%s/%s/*.json" % (root, folder or "*"))):
    if campaign == "-" or json.load(open(f))["campaign"] == campaign:
        print(f)
PY
}
count() { files "$@" | grep -c . ; }
stop_service() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  return $rc
}

expect "jade status with nothing running: a clear message, exit 1" 1 "is not running" \
  -- "$jade" status --config "$work/config.json"

if ! start 2026-12-02T07:58:00Z; then
  not_ok "the service starts and answers /healthz" "$(tail "$work/service.out")"
  tap_done
  exit
fi
ok "the service starts and answers /healthz"
expect "GET /healthz: 200 ok" 0 "ok" -- api -f http://jade/healthz
expect "jade status: the table" 0 "out-kayes" -- "$jade" status --config "$work/config.json"
"$jade" status --config "$work/config.json" --format json >"$work/status.json"
check_json() { # NAME FILE PYTHON
  if python3 - "$2" <<PY >"$work/py.out" 2>&1
import json, sys
$3
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
check_json "jade status --format json: version, content, channels, no halt" "$work/status.json" '
s = json.load(open(sys.argv[1]))
assert s["state"] == "running" and s["version"], s
assert s["content"]["occurrences"] == 2 * 2 * 168 and s["halts"] == [], s
assert [c["id"] for c in s["channels"]] == ["out-kayes", "out-gao"], s
assert all(c["state"] == "ready" for c in s["channels"]), s
assert s["fetch"]["error"] is None and s["waiting_for_review"] is None, s'

# -- bad requests --------------------------------------------------------------------
[ "$(code -X POST http://jade/halt)" = 401 ] && ok "POST /halt without a token: 401" \
  || not_ok "POST /halt without a token: 401" "$(cat "$work/body")"
[ "$(code -X POST -H 'Authorization: Bearer wrong' http://jade/halt)" = 403 ] &&
  ok "POST /halt with a wrong token: 403" || not_ok "POST /halt with a wrong token: 403" "$(cat "$work/body")"
[ "$(code -X POST -H "Authorization: Bearer ${token}x" http://jade/resume)" = 403 ] &&
  ok "POST /resume with the token and more: 403" || not_ok "POST /resume with the token and more: 403"
[ "$(code http://jade/halt)" = 405 ] && grep -q "POST only" "$work/body" &&
  ok "GET /halt: 405" || not_ok "GET /halt: 405" "$(cat "$work/body")"
[ "$(code -X DELETE http://jade/status)" = 405 ] && ok "DELETE /status: 405" || not_ok "DELETE /status: 405"
[ "$(code http://jade/nope)" = 404 ] && ok "an unknown page: 404" || not_ok "an unknown page: 404"
auth=(-H "Authorization: Bearer $token")
for body in '[1]' '{"campaign": "c1", "channel": "out-gao"}' '{"scope": "all"}' '{"campaign": 3}' \
  '{"reason": "two\nlines"}' 'not json'; do
  c=$(code -X POST "${auth[@]}" --data-binary "$body" http://jade/halt)
  if [ "$c" = 400 ] && [ "$(wc -l <"$work/body")" = 1 ]; then ok "POST /halt $body: 400, one line"
  else not_ok "POST /halt $body: 400, one line" "$c $(cat "$work/body")"; fi
done
[ "$(code -X POST "${auth[@]}" -d '{"campaign": "nope"}' http://jade/halt)" = 404 ] &&
  grep -q 'no campaign "nope"' "$work/body" && ok "a halt of an unknown campaign: 404, said" ||
  not_ok "a halt of an unknown campaign: 404, said" "$(cat "$work/body")"
head -c 2000000 /dev/zero >"$work/big"
[ "$(code -X POST "${auth[@]}" --data-binary @"$work/big" http://jade/halt)" = 413 ] &&
  ok "a 2 MB body: 413" || not_ok "a 2 MB body: 413" "$(cat "$work/body")"
check_json "nothing above halted anything" <(api http://jade/status) '
assert json.load(open(sys.argv[1]))["halts"] == []'

# A slow client holds a connection, a byte at a time: the day goes on.
python3 - "$sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for b in b"GET /status HTTP/1.1\r\nHost: x\r\n":
    try:
        s.send(bytes([b]))
    except OSError:
        break
    time.sleep(0.5)
PY
pids+=($!)

# -- halts while the day runs -------------------------------------------------------
wait_until 2026-12-02T08:20:00Z || not_ok "the clock reaches 08:20" "$(tail "$work/service.out")"
expect "jade halt --campaign c2 --reason ...: exit 0" 0 "halted by an operator (campaign c2)" \
  -- "$jade" halt --config "$work/config.json" --campaign c2 --reason "rumour check"
c2_at_halt=$(files c2)
expect "jade halt --channel out-gao: exit 0" 0 "channel out-gao" \
  -- "$jade" halt --config "$work/config.json" --channel out-gao
gao_at_halt=$(files - gao)
kayes_at_halt=$(count c1 kayes)
[ -n "$c2_at_halt" ] && [ -n "$gao_at_halt" ] && ok "both scopes had published before their halts" ||
  not_ok "both scopes had published before their halts"
expect "GET /healthz meanwhile: 200" 0 "ok" -- api -f http://jade/healthz
advance 30 || not_ok "the clock goes on" "$(tail "$work/service.out")"
[ "$(files c2)" = "$c2_at_halt" ] && ok "nothing of campaign c2 left after its halt answered" ||
  not_ok "nothing of campaign c2 left after its halt answered" "$(comm -13 <(echo "$c2_at_halt") <(files c2))"
[ "$(files - gao)" = "$gao_at_halt" ] && ok "nothing went to channel out-gao after its halt answered" ||
  not_ok "nothing went to channel out-gao after its halt answered"
[ "$(count c1 kayes)" -gt "$kayes_at_halt" ] && ok "c1 on out-kayes went on meanwhile" ||
  not_ok "c1 on out-kayes went on meanwhile" "$kayes_at_halt then $(count c1 kayes)"
api http://jade/status >"$work/status.json"
check_json "/status: both halts, out-gao halted, c2 held on the others" "$work/status.json" '
s = json.load(open(sys.argv[1]))
h = {(x["scope"], x.get("target")): x for x in s["halts"]}
assert set(h) == {("campaign", "c2"), ("channel", "out-gao")}, s["halts"]
assert h[("campaign", "c2")]["reason"] == "rumour check", h
ch = {c["id"]: c for c in s["channels"]}
assert ch["out-gao"]["state"] == "halted" and ch["out-kayes"]["state"] == "ready", ch
assert ch["out-kayes"]["held"] >= 1, ch'
expect "jade status shows the halts" 0 "HALTED: campaign c2" -- "$jade" status --config "$work/config.json"

# -- a restart keeps the halts ------------------------------------------------------
last=$(now)
stop_service && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit 0" "$(tail "$work/service.out")"
if start "$(date -u -d "${last%Z} UTC + 5 minutes" +%Y-%m-%dT%H:%M:%SZ)"; then ok "restarted"; else not_ok "restarted" "$(tail "$work/service.out")"; fi
grep -q "event=still_halted scope=campaign campaign=c2 " "$work/service.out" &&
  ok "the restart says the halts still in force" || not_ok "the restart says the halts still in force"
check_json "/status after the restart: both halts" <(api http://jade/status) '
s = json.load(open(sys.argv[1]))
assert len(s["halts"]) == 2, s["halts"]'
advance 30
[ "$(files c2)" = "$c2_at_halt" ] && [ "$(files - gao)" = "$gao_at_halt" ] &&
  ok "after the restart, still nothing of the halted scopes" ||
  not_ok "after the restart, still nothing of the halted scopes"

# -- resume a campaign: what is within its catch-up goes --------------------------------
expect "jade resume --campaign c2: exit 0" 0 "resumed" \
  -- "$jade" resume --config "$work/config.json" --campaign c2
advance 20
[ "$(count c2 kayes)" -gt "$(echo "$c2_at_halt" | grep -c kayes)" ] &&
  ok "c2 goes to out-kayes again" || not_ok "c2 goes to out-kayes again"
[ "$(files - gao)" = "$gao_at_halt" ] && ok "out-gao is still halted" || not_ok "out-gao is still halted"
expect "jade resume of what is not halted: exit 0, said" 0 "nothing was halted" \
  -- "$jade" resume --config "$work/config.json" --campaign c1

# -- halt everything ---------------------------------------------------------------------
expect "jade halt (everything): exit 0" 0 "everything" -- "$jade" halt --config "$work/config.json"
all_at_halt=$(files)
check_json "/status: halted" <(api http://jade/status) '
assert json.load(open(sys.argv[1]))["state"] == "halted"'
advance 30
[ "$(files)" = "$all_at_halt" ] && ok "nothing at all left while everything was halted" ||
  not_ok "nothing at all left while everything was halted"
expect "jade resume (everything)" 0 "resumed" -- "$jade" resume --config "$work/config.json"
expect "jade resume --channel out-gao" 0 "resumed" \
  -- "$jade" resume --config "$work/config.json" --channel out-gao
advance 20
[ "$(count - gao)" -gt "$(echo "$gao_at_halt" | grep -c .)" ] && ok "out-gao publishes again" ||
  not_ok "out-gao publishes again"
stop_service && ok "SIGTERM again: exit 0" || not_ok "SIGTERM again: exit 0"

"$jade" history --config "$work/config.json" --format json >"$work/history.json"
check_json "the ledger: what the halts kept past the catch-up is missed, with the halt as reason" \
  "$work/history.json" '
import collections
rows = json.load(open(sys.argv[1]))
missed = [r for r in rows if r["state"] == "missed"]
assert missed, "some were kept past 20 minutes"
by = collections.Counter()
for r in missed:
    e = r.get("reason") or ""
    # kept by a halt; or, due while the service restarted (the simulated
    # clock runs on meanwhile), by that outage as well: either is true
    assert "halted by an operator" in e or e == "the service was down past catch_up_minutes", r
    if "halted by an operator" in e:
        by[(r["campaign"], r["channel"])] += 1
assert by[("c2", "out-kayes")] > 0 and by[("c1", "out-gao")] > 0, by
assert by[("c1", "out-kayes")] == 0 or all("everything" in (r.get("reason") or "") for r in missed
    if r["campaign"] == "c1" and r["channel"] == "out-kayes"), by
sent = [r for r in rows if r["state"] == "sent"]
assert len(sent) == len(set(r["key"] for r in sent))
print("# missed by the halts: %s" % dict(by))'
n_files=$(files | grep -c .)
n_sent=$(python3 -c 'import json,sys; print(sum(r["state"] == "sent" for r in json.load(open(sys.argv[1]))))' "$work/history.json")
[ "$n_files" = "$n_sent" ] && ok "one outbox file per sent occurrence ($n_sent)" ||
  not_ok "one outbox file per sent occurrence" "$n_files files, $n_sent sent"

# -- a suspended channel: resumed by an operator, or by a new secret on disk --------------
python3 "$src/tests/fakes/webhook.py" --secret "a shared secret" --log "$work/fake.log" \
  --port-file "$work/fake.port" --auth-fail /revoked &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/fake.port" ] && break; sleep 0.05; done
port=$(cat "$work/fake.port")
python3 - "$tree" "$port" <<'PY'
import json, os, sys
root, port = sys.argv[1], sys.argv[2]
json.dump({"channels": [
    {"id": "out-kayes", "network": "outbox", "regions": ["kayes"], "account": {"folder": "kayes"}},
    {"id": "hook-gao", "network": "webhook", "regions": ["gao"], "secret": "hook",
     "account": {"url": "http://127.0.0.1:%s/revoked" % port}}]},
    open(os.path.join(root, "channels.json"), "w"))
PY
cat >"$work/config.json" <<JSON
{"source": {"dir": "$tree"}, "state_dir": "$work/state2", "plugin_dir": "$work/plugins",
 "secrets_dir": "$work/secrets", "listen": "$sock",
 "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://127.0.0.1:$port/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
JSON
requests() { # how many reached /revoked
  local n
  n=$(grep -c '"/revoked"' "$work/fake.log" 2>/dev/null)
  echo "${n:-0}"
}
wait_requests() { # N: until the fake has had N requests on /revoked
  for _ in $(seq 600); do [ "$(requests)" -ge "$1" ] && return 0; sleep 0.1; done
  return 1
}
suspended() { api http://jade/status | python3 -c '
import json, sys
c = {c["id"]: c for c in json.load(sys.stdin)["channels"]}["hook-gao"]
print(c["state"], (c.get("suspended") or {}).get("reason", ""))'; }
if start 2026-12-02T07:58:00Z && wait_requests 1; then
  sleep 1
  [ "$(requests)" = 1 ] && ok "a 401: one request, then the channel is suspended" ||
    not_ok "a 401: one request, then the channel is suspended" "$(requests) requests"
  case $(suspended) in
  "suspended HTTP 401"*) ok "/status: suspended, with the network's words" ;;
  *) not_ok "/status: suspended, with the network's words" "$(suspended)" ;;
  esac
  expect "jade resume --channel hook-gao lifts the suspension" 0 "suspension is lifted" \
    -- "$jade" resume --config "$work/config.json" --channel hook-gao
  wait_requests 2 && ok "after the resume, the channel is tried again" ||
    not_ok "after the resume, the channel is tried again" "$(requests) requests"
  sleep 1
  tap_secret "$work/secrets/hook" >/dev/null
  wait_requests 3 && ok "a new secret on disk lifts the suspension by itself" ||
    not_ok "a new secret on disk lifts the suspension by itself" "$(requests) requests"
  grep -q 'event=suspension_lifted channel=hook-gao network=webhook reason="its secret changed on disk"' "$work/service.out" &&
    ok "the lift is said, with its cause" || not_ok "the lift is said, with its cause"
  sleep 1
  [ "$(requests)" = 3 ] && ok "the same secret again: still suspended" ||
    not_ok "the same secret again: still suspended" "$(requests) requests"
  stop_service
else
  not_ok "a service with a revoked webhook starts" "$(tail "$work/service.out")"
fi

# -- an unreadable admin token ----------------------------------------------------------
chmod 644 "$work/secrets/admin_token"
expect "jade halt with a token readable by others: refused, the file and cause named" 1 \
  "admin_token refused: its mode is 0644; it must be 0600 or stricter" -- "$jade" halt --config "$work/config.json"
chmod 600 "$work/secrets/admin_token"
sed -i 's|"listen"|"admin_token": "missing", "listen"|' "$work/config.json"
expect "an admin_token named in the configuration but missing: refused at start" 2 "missing" \
  -- "$jade" run --config "$work/config.json" --once

tap_done
