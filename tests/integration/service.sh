#!/usr/bin/env bash
# jade run as systemd runs it: the notification protocol against a fake
# NOTIFY_SOCKET (a datagram receiver, as systemd's), on a path and on an
# abstract socket — READY=1 once the plan is reconciled, WATCHDOG=1 again
# and again when WATCHDOG_USEC is set, RELOADING=1 (with MONOTONIC_USEC)
# and READY=1 around the reload SIGHUP brings, STOPPING=1 at SIGTERM and
# nothing ready after it; and SIGTERM's bound: requests that never answer
# are left `sending` after stop_timeout_seconds, the service exits 0 and
# the next start recovers them; answers within the bound are waited for
# and recorded, and nothing new leaves after the SIGTERM. No fixed sleeps: every wait polls with a deadline.
# Prints TAP.
# usage: service.sh JADE SRCDIR OUTBOX.so WEBHOOK.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
webhook=$(realpath "$4")
work=$(tap_workdir)
helpers=()
cleanup() {
  for pid in "${helpers[@]}"; do kill "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$outbox" "$webhook" "$work/plugins/"
hook_secret=$(tap_secret "$work/secrets/hook")

# until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds, or
# SECONDS pass (status 1).
until_true() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# A fake NOTIFY_SOCKET: each datagram as one JSON string a line in LOG.
start_receiver() { # ADDRESS LOG
  python3 - "$1" "$2" <<'PY' &
import json, socket, sys
address, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + address[1:] if address.startswith("@") else address)
with open(log, "a", buffering=1) as f:
    f.write(json.dumps("BOUND") + "\n")
    while True:
        f.write(json.dumps(s.recv(65536).decode()) + "\n")
PY
  helpers+=($!)
  until_true 30 grep -q BOUND "$2"
}
count() { grep -c "$2" "$1" 2>/dev/null || true; } # LOG PATTERN
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }   # LOG PATTERN N
exited() { ! kill -0 "$1" 2>/dev/null; }
check_log() { # NAME LOG PYTHON (msgs: the datagrams, in order)
  if python3 - "$2" <<PY >"$work/py.out" 2>&1
import json, re, sys
msgs = [json.loads(l) for l in open(sys.argv[1])][1:]
def first(prefix, after=-1):
    return next((i for i, m in enumerate(msgs) if i > after and prefix in m.split("\n")), None)
$3
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")" "$(cat "$2")"; fi
}

# -- the notification protocol ------------------------------------------------
tap_example "$work/content"
cat >"$work/notify.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/notify-state", "plugin_dir": "$work/plugins"}
JSON
start_receiver "$work/notify.sock" "$work/notify.log"
NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=300000 \
  "$jade" run --config "$work/notify.json" --clock sim:2026-12-01T08:59:00Z:1 >"$work/notify.out" 2>&1 &
pid=$!
if until_true 120 at_least "$work/notify.log" 'READY=1' 1; then ok "notify: READY=1 once the plan is reconciled"
else not_ok "notify: READY=1 once the plan is reconciled" "$(cat "$work/notify.log")" "$(tail "$work/notify.out")"; fi
if until_true 120 at_least "$work/notify.log" 'WATCHDOG=1' 3; then ok "notify: WATCHDOG=1 again and again with WATCHDOG_USEC"
else not_ok "notify: WATCHDOG=1 again and again with WATCHDOG_USEC" "$(cat "$work/notify.log")"; fi
kill -HUP "$pid"
reloaded() { python3 -c '
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
r = [i for i, x in enumerate(m) if x.startswith("RELOADING=1")]
assert r and any(x.startswith("READY=1") for x in m[r[0]:])' "$work/notify.log" 2>/dev/null; }
if until_true 120 reloaded; then ok "notify: SIGHUP: RELOADING=1, then READY=1"
else not_ok "notify: SIGHUP: RELOADING=1, then READY=1" "$(cat "$work/notify.log")" "$(tail "$work/notify.out")"; fi
kill -TERM "$pid"
if until_true 120 exited "$pid" && wait "$pid"; then ok "notify: SIGTERM: exit 0"
else not_ok "notify: SIGTERM: exit 0" "$(tail "$work/notify.out")"; exited "$pid" || kill -9 "$pid"; fi
check_log "notify: READY first, with a status; watchdog pings after it; the reload stamped; STOPPING last" "$work/notify.log" '
assert msgs, "nothing received"
assert msgs[0].startswith("READY=1\nSTATUS=publishing: "), msgs[0]
assert re.search(r"STATUS=publishing: \d+ waiting, next due 2026-\S+, \d+ in flight; \d+ sent, 0 failed", msgs[0]), msgs[0]
ready = first("READY=1")
assert first("WATCHDOG=1") is not None and first("WATCHDOG=1") > ready, msgs
reload = first("RELOADING=1")
assert reload is not None, msgs
assert re.match(r"RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading: adopting the folder$", msgs[reload]), msgs[reload]
again = first("READY=1", reload)
assert again is not None, msgs
stopping = first("STOPPING=1")
assert stopping is not None and stopping > again, msgs
assert re.search(r"STATUS=stopping: \d+ request\(s\) in flight", msgs[stopping]), msgs[stopping]
assert first("READY=1", stopping) is None, "READY=1 after STOPPING=1: %r" % msgs[stopping:]
assert first("RELOADING=1", stopping) is None, msgs[stopping:]'

# An abstract socket ("@name"); no watchdog without WATCHDOG_USEC; --once.
abstract="@jade-test-notify-$$-$RANDOM"
start_receiver "$abstract" "$work/abstract.log"
NOTIFY_SOCKET="$abstract" "$jade" run --config "$work/notify.json" --once \
  --clock sim:2026-12-01T10:00:30Z:1 >"$work/abstract.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && until_true 30 at_least "$work/abstract.log" 'STOPPING=1' 1; then
  ok "notify: an abstract socket (@name) is told too"
else not_ok "notify: an abstract socket (@name) is told too" "exit $rc" "$(cat "$work/abstract.log")" "$(tail "$work/abstract.out")"; fi
check_log "notify: READY=1 then STOPPING=1, no WATCHDOG=1 without WATCHDOG_USEC" "$work/abstract.log" '
assert first("READY=1") is not None and first("STOPPING=1") > first("READY=1"), msgs
assert first("WATCHDOG=1") is None, msgs'
NOTIFY_SOCKET=relative/notify "$jade" run --config "$work/notify.json" --once \
  --clock sim:2026-12-01T10:00:40Z:1 >"$work/bad-socket.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "NOTIFY_SOCKET=relative/notify is neither an absolute path" "$work/bad-socket.out"; then
  ok "notify: an unusable NOTIFY_SOCKET is said, and the service runs"
else not_ok "notify: an unusable NOTIFY_SOCKET is said, and the service runs" "exit $rc" "$(cat "$work/bad-socket.out")"; fi

# -- SIGTERM's bound ----------------------------------------------------------------
cat >"$work/no-bound.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/no-bound-state", "stop_timeout_seconds": 0}
JSON
expect "stop_timeout_seconds: 0 is a configuration error, with its place" 2 "error: must be at least 1, not 0 [/stop_timeout_seconds]" -- \
  "$jade" run --config "$work/no-bound.json" --once
start_fake() { # NAME ARGS...: the fake webhook receiver; sets $port
  local name=$1; shift
  python3 "$src/tests/fakes/webhook.py" --secret "$hook_secret" --log "$work/$name.log" \
    --port-file "$work/$name.port" "$@" &
  helpers+=($!)
  until_true 30 test -s "$work/$name.port"
  port=$(cat "$work/$name.port")
}
# A tree of three posts due at 08:00 on one webhook channel (two may be in
# flight at once), and its configuration: stop_timeout_seconds BOUND, a
# request timeout far beyond it.
setup() { # NAME BOUND
  local tree=$work/$1-tree
  mkdir -p "$tree" && cp -a "$src/tests/bad/base/." "$tree/"
  python3 - "$work" "$1" "$2" "$port" <<'PY'
import json, os, sys
work, name, bound, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
root = "%s/%s-tree" % (work, name)
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 600}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [{"id": "hook-gao", "network": "webhook", "regions": ["gao"], "secret": "hook",
                         "account": {"url": "http://127.0.0.1:%s/gao" % port}}]},
          open(os.path.join(root, "channels.json"), "w"))
for p in range(3):
    json.dump({"id": "p%d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": ["2026-12-02T08:00"]}}, open("%s/c1/posts/p%d.json" % (root, p), "w"))
    open("%s/c1/posts/p%d.fr.txt" % (root, p), "w").write("Texte %d.\n" % p)
json.dump({"source": {"dir": root}, "state_dir": "%s/%s-state" % (work, name),
           "listen": "%s/%s.sock" % (work, name),
           "plugin_dir": work + "/plugins", "secrets_dir": work + "/secrets",
           "stop_timeout_seconds": bound,
           "networks": {"webhook": {"concurrency": 2, "timeout_ms": 600000}},
           "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://127.0.0.1:%s/" % port]}},
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"), indent=1)
PY
}
states() { # NAME: the ledger's states, sorted, on one line
  "$jade" history --config "$work/$1.json" --format json 2>/dev/null |
    python3 -c 'import json, sys; print(" ".join(sorted(r["state"] for r in json.load(sys.stdin))))'
}
states_are() { [ "$(states "$1")" = "$2" ]; } # NAME STATES

# Two requests hang for good: the stop waits 2 s for them, then leaves them
# `sending`; the third, not yet taken, stays planned.
start_fake hang --hang-rate 1
setup hang 2
"$jade" run --config "$work/hang.json" --clock sim:2026-12-02T08:00:00Z:1 >"$work/hang.out" 2>&1 &
pid=$!
if until_true 120 at_least "$work/hang.log" '"status": 0' 2; then ok "stop: two requests are in flight, never to be answered"
else not_ok "stop: two requests are in flight, never to be answered" "$(tail "$work/hang.out")"; fi
kill -TERM "$pid"
# The answers would take ten minutes (timeout_ms): the bound ends it long before.
if until_true 120 exited "$pid" && wait "$pid"; then ok "stop: past stop_timeout_seconds, the service exits 0 without the answers"
else not_ok "stop: past stop_timeout_seconds, the service exits 0 without the answers" "$(tail "$work/hang.out")"; exited "$pid" || kill -9 "$pid"; fi
expect_out() { # NAME FILE FRAGMENT
  if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1" "lacks: $3" "$(tail "$2")"; fi
}
expect_out "stop: the log says how long it waits" "$work/hang.out" \
  "stopping once the requests in flight are answered (at most 2 s)"
expect_out "stop: the log says what is left, and that the next start recovers it" "$work/hang.out" \
  "2 request(s) still unanswered after stop_timeout_seconds (2 s): stopping without their answers; they stay in state sending in the ledger, and the next start recovers them"
if states_are hang "planned sending sending"; then ok "stop: the ledger: the two unanswered sending, the third still planned"
else not_ok "stop: the ledger: the two unanswered sending, the third still planned" "$(states hang)"; fi
# The next start, the receiver answering: recovered, re-sent with the same
# idempotency keys, each published once.
start_fake hang-after
python3 - "$work/hang.json" "$port" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["bindings"]["hook"]["url_prefixes"] = ["http://127.0.0.1:%s/" % sys.argv[2]]
json.dump(c, open(sys.argv[1], "w"))
PY
sed -i "s|127.0.0.1:[0-9]*/gao|127.0.0.1:$port/gao|" "$work/hang-tree/channels.json"
"$jade" run --config "$work/hang.json" --once --clock sim:2026-12-02T08:01:00Z:1 >"$work/hang-after.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "event=recovered count=2 " "$work/hang-after.out" &&
  states_are hang "sent sent sent"; then ok "stop: the next start recovers them: all three sent"
else not_ok "stop: the next start recovers them: all three sent" "exit $rc, $(states hang)" "$(tail "$work/hang-after.out")"; fi

# Answers that come within the bound: waited for, and recorded. The
# receiver holds them until the service has taken the SIGTERM.
start_fake slow --hold-until "$work/answer-now"
setup slow 60
"$jade" run --config "$work/slow.json" --clock sim:2026-12-02T08:00:00Z:1 >"$work/slow.out" 2>&1 &
pid=$!
if until_true 120 states_are slow "planned sending sending"; then ok "slow: two requests in flight"
else not_ok "slow: two requests in flight" "$(states slow)" "$(tail "$work/slow.out")"; fi
kill -TERM "$pid"
until_true 120 grep -q "stopping once the requests in flight are answered" "$work/slow.out"
touch "$work/answer-now"
if until_true 120 exited "$pid" && wait "$pid"; then ok "slow: SIGTERM waits for the answers, then exits 0"
else not_ok "slow: SIGTERM waits for the answers, then exits 0" "$(tail "$work/slow.out")"; exited "$pid" || kill -9 "$pid"; fi
if states_are slow "planned sent sent" && [ "$(count "$work/slow.log" '"published": true')" -eq 2 ] &&
  ! grep -q "unanswered" "$work/slow.out"; then
  ok "slow: both answers recorded as sent; the third not taken after SIGTERM"
else not_ok "slow: both answers recorded as sent; the third not taken after SIGTERM" "$(states slow)" "$(cat "$work/slow.log")" "$(tail "$work/slow.out")"; fi

tap_done
