#!/usr/bin/env bash
# GET /metrics of a running service, over its Unix socket: a simulated
# clock, the outbox and the scripted test network (whose posts choose its
# answers, and whose name needs escaping in a label). The counters start
# at zero, then follow what a reload brings: publications and failures by
# network and reason, a suspended channel, the lateness histogram (its
# buckets cumulative, its count the requests that left), durations; the
# whole exposition passes `promtool check metrics`. Then the listener's
# address: one in use refuses the start (exit 2), --once and the demo never
# listen, the default is 127.0.0.1:8077. Prints TAP.
# usage: metrics.sh JADE SRCDIR OUTBOX.so SCRIPTED.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
scripted=$(realpath "$4")
work=$(tap_workdir)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" && cp "$outbox" "$scripted" "$work/plugins/"
sock=$work/admin.sock

# The content: one channel on the outbox (kayes), two on the scripted
# network (gao, sikasso); at first a single post, due tomorrow.
mkdir -p "$work/tree" && cp -a "$src/tests/bad/base/." "$work/tree/"
python3 - "$work/tree" <<'PY'
import json, os, sys
root = sys.argv[1]
net = 'scripted "net" \\ two\nlines'
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
regions = json.load(open(os.path.join(root, "regions.json")))
regions["regions"].append({"id": "sikasso", "name": "Sikasso", "languages": ["fr"],
                           "ambassadors_target": 20})
json.dump(regions, open(os.path.join(root, "regions.json"), "w"))
json.dump({"channels": [
    {"id": "box", "network": "outbox", "regions": ["kayes"], "account": {"folder": "kayes"}},
    {"id": "scr-a", "network": net, "regions": ["gao"], "account": {}},
    {"id": "scr-b", "network": net, "regions": ["sikasso"], "account": {}}]},
    open(os.path.join(root, "channels.json"), "w"))
json.dump({"id": "tomorrow", "kind": "story", "authors": ["awa"],
           "regions": ["kayes", "gao", "sikasso"], "schedule": {"at": ["2026-12-03T09:00"]}},
          open(os.path.join(root, "c1/posts/tomorrow.json"), "w"))
open(os.path.join(root, "c1/posts/tomorrow.fr.txt"), "w").write("Demain.\n")
PY
config() { # NAME LISTEN: a configuration on the tree, its own state folder
  local listen=""
  [ -n "$2" ] && listen="\"listen\": \"$2\","
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/tree"}, "state_dir": "$work/$1-state", $listen
 "plugin_dir": "$work/plugins", "retry": {"max_attempts": 1}}
JSON
}
config main "$sock"
"$jade" run --config "$work/main.json" --clock sim:2026-12-02T08:00:00Z:10 >"$work/main.log" 2>&1 &
main=$!
pids+=("$main")

scrape() { curl -sS --max-time 10 --unix-socket "$sock" http://jade/metrics >"$work/metrics.txt" 2>&1; }
value() { # SAMPLE: its value in the last scrape ("" when absent); SAMPLE is matched whole
  SAMPLE=$1 awk 'BEGIN { s = ENVIRON["SAMPLE"] }  # (awk -v would read its escapes)
    substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2) }' "$work/metrics.txt"
}
# wait_for SECONDS SAMPLE=VALUE...: scrapes until every sample has its value
wait_for() {
  local deadline=$((SECONDS + $1)) pair all
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    all=1
    if scrape; then
      for pair in "$@"; do [ "$(value "${pair%=*}")" = "${pair##*=}" ] || all=0; done
      [ "$all" -eq 1 ] && return 0
    fi
    kill -0 "$main" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
# the network's name in a label: \ " and line feed escaped
net='scripted \"net\" \\ two\nlines'
pub() { echo "jade_publications_total{network=\"$1\"}"; }
fail() { echo "jade_publication_failures_total{network=\"$1\",reason=\"$2\"}"; }

if wait_for 60 'jade_occurrences{state="planned"}=3'; then
  ok "a scrape over the Unix socket, with the ledger's counts: 3 planned"
else
  not_ok "a scrape over the Unix socket, with the ledger's counts: 3 planned" \
    "$(head -c 3000 "$work/metrics.txt")" "$(tail -5 "$work/main.log")"
fi
bad=""
for sample in "$(pub outbox)" "$(pub "$net")" "$(fail "$net" permanent)" "$(fail "$net" transient)" \
  "$(fail "$net" auth_failed)" "$(fail outbox missed)" jade_lateness_seconds_count \
  jade_channels_suspended 'jade_occurrences{state="sent"}'; do
  [ "$(value "$sample")" = 0 ] || bad="$bad $sample=$(value "$sample")"
done
if [ -z "$bad" ]; then ok "before anything is due: every counter at 0"
else not_ok "before anything is due: every counter at 0" "$bad"; fi
expect "build info" 0 "" -- test "$(value 'jade_build_info{version="'"$("$jade" --version | cut -d' ' -f2)"'"}')" = 1

# A reload brings posts due now (08:00, the start): three for the outbox;
# on gao one refused, one failing (max_attempts 1: failed), one published;
# on sikasso credentials refused (the channel suspended), and the next one
# held by the suspension.
python3 - "$work/tree" <<'PY'
import json, os, sys
root = sys.argv[1]
def post(name, region, at="2026-12-02T08:00"):
    json.dump({"id": name, "kind": "story", "authors": ["awa"], "regions": [region],
               "schedule": {"at": [at]}}, open(os.path.join(root, "c1/posts/%s.json" % name), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % name), "w").write("Texte %s.\n" % name)
for i in range(3):
    post("ok-k%d" % i, "kayes")
post("refuse-g", "gao")
post("flaky-g", "gao")
post("ok-g", "gao")
post("locked-s", "sikasso")
post("ok-s", "sikasso", "2026-12-02T08:10")
PY
kill -HUP "$main"
if wait_for 120 "$(pub outbox)=3" "$(pub "$net")=1" "$(fail "$net" permanent)=1" \
  "$(fail "$net" transient)=1" "$(fail "$net" auth_failed)=1" jade_channels_suspended=1; then
  ok "after the reload: 4 published, 1 refused, 1 failing, 1 credential refused, 1 channel suspended"
else
  not_ok "after the reload: 4 published, 1 refused, 1 failing, 1 credential refused, 1 channel suspended" \
    "$(grep -E '^jade_(publ|channels)' "$work/metrics.txt")" "$(tail -5 "$work/main.log")"
fi
expect "the network's name escaped in its label" 0 "$(pub "$net") 1" -- cat "$work/metrics.txt"
bad=""
for reason in retry_after unknown missed; do
  for network in outbox "$net"; do
    [ "$(value "$(fail "$network" "$reason")")" = 0 ] || bad="$bad $network/$reason"
  done
done
if [ -z "$bad" ]; then ok "the other reasons stay at 0"; else not_ok "the other reasons stay at 0" "$bad"; fi

# The lateness histogram: cumulative buckets ending in +Inf = count, and a
# count of the first attempts that left (each answered once here).
check_histogram() { # NAME
  local out
  if out=$(python3 - "$work/metrics.txt" "$1" 2>&1 <<'PY'
import sys
name = sys.argv[2]
buckets, count = [], None
for line in open(sys.argv[1]):
    if line.startswith(name + "_bucket{le=\""):
        le = line.split('"')[1]
        buckets.append((float("inf") if le == "+Inf" else float(le), int(line.split()[-1])))
    elif line.startswith(name + "_count "):
        count = int(line.split()[-1])
assert buckets and buckets[-1][0] == float("inf"), buckets
assert all(a[0] < b[0] for a, b in zip(buckets, buckets[1:])), "bounds not increasing"
assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "not cumulative: %s" % buckets
assert buckets[-1][1] == count, (buckets[-1], count)
print(count)
PY
  ); then
    ok "$1: cumulative buckets, +Inf = count ($out)"
  else
    not_ok "$1: cumulative buckets, +Inf = count" "$out"
  fi
}
check_histogram jade_lateness_seconds
sent=$(($(value "$(pub outbox)") + $(value "$(pub "$net")")))
unsent=0 # (not "failed": tap.sh counts the failed tests in it)
for reason in retry_after transient permanent auth_failed unknown; do
  unsent=$((unsent + $(value "$(fail "$net" "$reason")") + $(value "$(fail outbox "$reason")")))
done
expect "lateness: its count is the requests that left ($sent published + $unsent not)" 0 "" \
  -- test "$(value jade_lateness_seconds_count)" = $((sent + unsent))
check_histogram jade_ledger_commit_duration_seconds
check_histogram jade_reload_duration_seconds
check_histogram jade_fetch_duration_seconds
expect "the reload was timed" 0 "" -- test "$(value jade_reload_duration_seconds_count)" -ge 1
expect "the folder's read was timed" 0 "" -- test "$(value jade_fetch_duration_seconds_count)" -ge 1
expect "ledger commits were timed" 0 "" -- test "$(value jade_ledger_commit_duration_seconds_count)" -ge 2
if wait_for 60 'jade_occurrences{state="sent"}=4' 'jade_occurrences{state="failed"}=2'; then
  ok "the ledger's counts follow: 4 sent, 2 failed"
else
  not_ok "the ledger's counts follow: 4 sent, 2 failed" "$(grep '^jade_occurrences' "$work/metrics.txt")"
fi

if command -v promtool >/dev/null; then
  expect "promtool check metrics" 0 "" -- promtool check metrics <"$work/metrics.txt"
elif [ "${CI:-}" = true ]; then
  not_ok "promtool check metrics" "promtool is missing in CI: .ci/setup installs the prometheus package"
else
  ok "promtool check metrics # SKIP promtool is not installed (Debian: prometheus)"
fi

expect "HEAD: the exposition's type, no body" 0 "Content-Type: text/plain; version=0.0.4; charset=utf-8" \
  -- curl -sS -I --max-time 10 --unix-socket "$sock" http://jade/metrics
expect "POST: 405 with Allow" 0 "Allow: GET, HEAD" \
  -- curl -sS -i -X POST --max-time 10 --unix-socket "$sock" http://jade/metrics

# -- the listener's address -------------------------------------------------
config second "$sock"
expect "a second service on the same socket refuses to start, exit 2" 2 "already in use" \
  -- timeout 60 "$jade" run --config "$work/second.json" --clock sim:2026-12-02T08:00:00Z:1
expect "--once does not listen: the same socket is no obstacle" 0 "" \
  -- timeout 60 "$jade" run --config "$work/second.json" --once --clock sim:2026-12-02T07:30:00Z:1
expect "the first service still answers" 0 "jade_build_info" \
  -- curl -sS --max-time 10 --unix-socket "$sock" http://jade/metrics

# A TCP port that something else holds.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$work/port" &
holder=$!
pids+=("$holder")
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
config tcp "127.0.0.1:$port"
expect "a TCP address in use refuses the start, exit 2, naming the setting" 2 "listen: " \
  -- timeout 60 "$jade" run --config "$work/tcp.json" --clock sim:2026-12-02T08:00:00Z:1
expect "... and why" 2 "address already in use" \
  -- timeout 60 "$jade" run --config "$work/tcp.json" --clock sim:2026-12-02T08:00:00Z:1
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Without "listen", 127.0.0.1:8077: the service answers there, or (when
# something else holds that port) refuses to start saying so.
config default ""
"$jade" run --config "$work/default.json" --clock sim:2026-12-02T08:00:00Z:1 >"$work/default.log" 2>&1 &
default=$!
pids+=("$default")
answered=""
for _ in $(seq 300); do
  kill -0 "$default" 2>/dev/null || break
  if curl -sS --max-time 5 http://127.0.0.1:8077/metrics 2>/dev/null | grep -q '^jade_build_info'; then
    answered=1
    break
  fi
  sleep 0.1
done
if [ -n "$answered" ] && kill -0 "$default" 2>/dev/null; then
  ok "without listen: /metrics on 127.0.0.1:8077"
  kill -TERM "$default"
  wait "$default" 2>/dev/null
elif kill -0 "$default" 2>/dev/null; then
  not_ok "without listen: /metrics on 127.0.0.1:8077" "it runs, and nothing answers there"
  kill -TERM "$default"
  wait "$default" 2>/dev/null
else
  rc=0
  wait "$default" 2>/dev/null || rc=$?
  if [ "$rc" -eq 2 ] && grep -qF "127.0.0.1:8077" "$work/default.log" &&
    grep -qF "in use" "$work/default.log"; then
    ok "without listen: 127.0.0.1:8077 (held by another process here: refused, exit 2)"
  else
    not_ok "without listen: /metrics on 127.0.0.1:8077" "exit $rc" "$(tail -5 "$work/default.log")"
  fi
fi

# The demo never listens: 8077 taken (by us, when it is free) is no obstacle.
python3 -c '
import socket, time
s = socket.socket()
try:
    s.bind(("127.0.0.1", 8077)); s.listen(1)
except OSError:
    pass
print("held", flush=True); time.sleep(120)' >"$work/held" &
holder=$!
pids+=("$holder")
for _ in $(seq 100); do [ -s "$work/held" ] && break; sleep 0.1; done
expect "jade demo runs with 127.0.0.1:8077 taken" 0 "" \
  -- env TMPDIR="$work" timeout 120 "$jade" demo --speed 1000000
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

kill -TERM "$main"
rc=0
wait "$main" || rc=$?
if [ "$rc" -eq 0 ]; then ok "the service stops at SIGTERM, exit 0"
else not_ok "the service stops at SIGTERM, exit 0" "exit $rc" "$(tail -5 "$work/main.log")"; fi
if [ -e "$sock" ]; then not_ok "its socket is removed"; else ok "its socket is removed"; fi
# The reader of the ledger's counts is closed before the ledger: the last
# connection to close empties the write-ahead log.
wal=$work/main-state/ledger.sqlite-wal
if [ ! -s "$wal" ]; then ok "a clean stop leaves the ledger's log empty"
else not_ok "a clean stop leaves the ledger's log empty" "$(stat -c %s "$wal") bytes"; fi

tap_done
