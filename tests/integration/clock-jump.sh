#!/usr/bin/env bash
# The wall clock jumping while the service runs (an NTP correction on a
# small board), without touching the system's clock: the simulated clock's
# test hook JADE_TEST_CLOCK_JUMP=TIME:SECONDS steps its wall time once it
# reaches TIME. Forward: what the jump made late past catch_up_minutes is
# missed with the jump as its reason, not an outage; backward: nothing is
# sent again. Either way a network's Retry-After keeps its length.
# usage: clock-jump.sh JADE SRCDIR OUTBOX.so WEBHOOK.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
webhook=$(realpath "$4")
work=$(tap_workdir)
fake=
cleanup() {
  [ -n "$fake" ] && kill "$fake" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$outbox" "$webhook" "$work/plugins/"
secret=$(tap_secret "$work/secrets/hook")
python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/hook.log" \
  --port-file "$work/port" --throttle-first 1 --retry-after 600 &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done

# NAME CATCH_UP POST:NETWORK:HH:MM:COUNT:EVERY... : a tree with an outbox
# and a webhook channel in Gao (each tree's webhook its own path, whose
# first request is refused), and posts of COUNT times EVERY minutes apart
# from HH:MM on 2 December, on one network each.
make_tree() {
  local dir=$work/$1-tree; shift
  mkdir -p "$dir" && cp -a "$src/tests/bad/base/." "$dir/"
  python3 - "$dir" "$(cat "$work/port")" "$@" <<'PY'
import datetime, json, os, sys
root, port, catch_up, specs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
path = os.path.basename(root)
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": catch_up}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [
    {"id": "box-gao", "network": "outbox", "regions": ["gao"], "account": {"folder": "gao"}},
    {"id": "hook-gao", "network": "webhook", "regions": ["gao"], "secret": "hook",
     "account": {"url": "http://127.0.0.1:%s/%s" % (port, path)}}]},
    open(os.path.join(root, "channels.json"), "w"))
for spec in specs:
    post, network, hour, minute, count, every = spec.split(":")
    start = datetime.datetime(2026, 12, 2, int(hour), int(minute))
    times = [(start + datetime.timedelta(minutes=k * int(every))).strftime("%Y-%m-%dT%H:%M")
             for k in range(int(count))]
    json.dump({"id": post, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "networks": [network], "schedule": {"at": times}},
              open(os.path.join(root, "c1/posts/%s.json" % post), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % post), "w").write("Texte.\n")
PY
}
config() { # NAME
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/$1-tree"}, "state_dir": "$work/$1", "listen": "$work/$1.sock", "plugin_dir": "$work/plugins",
 "secrets_dir": "$work/secrets", "retry": {"base_seconds": 10, "max_seconds": 60, "max_attempts": 5},
 "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://127.0.0.1:$(cat "$work/port")/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
JSON
}
run_day() { # NAME JUMP: from 07:59 to 13:00 at 3600x, the wall clock jumping
  JADE_TEST_CLOCK_JUMP=$2 "$jade" run --config "$work/$1.json" --clock sim:2026-12-02T07:59:00Z:3600 \
    --until 2026-12-02T13:00:00Z >"$work/$1.out" 2>&1 || not_ok "$1: jade run ends well" "$(tail -3 "$work/$1.out")"
  "$jade" history --config "$work/$1.json" --format json >"$work/$1-history.json"
}
check() { # NAME CASE PYTHON (rows: the history; out: the service's messages)
  if python3 - "$work/$2-history.json" "$work/$2.out" <<PY >"$work/py.out" 2>&1
import collections, json, sys
rows = json.load(open(sys.argv[1]))
out = open(sys.argv[2]).read()
states = collections.Counter(r["state"] for r in rows)
$3
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}

# -- forward: 08:35 becomes 10:35 --------------------------------------------------
# 25 posts, 08:00 to 12:00 every 10 minutes, catch-up 30 minutes. The clock
# stops at 08:40 (the next event) and shows 10:40: 08:40 to 10:00 are more
# than 30 minutes late, 10:10 to 10:40 go late, the rest on time.
make_tree forward 30 "tick:outbox:08:00:25:10"
config forward
run_day forward 2026-12-02T08:35:00Z:7200
check "a forward jump: what it made late past the catch-up is missed, with the jump as the reason" forward '
missed = sorted(r["due"][11:16] for r in rows if r["state"] == "missed")
assert missed == ["08:40", "08:50", "09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "10:00"], missed
assert states == {"sent": 16, "missed": 9}, states
for r in rows:
    if r["state"] == "missed":
        assert r["reason"].startswith("the wall clock jumped forward by 2 h 00 min while the service ran (from 2026-12-02T08:3"), r["reason"]
        assert "down" not in r["reason"], r["reason"]'
check "the jump is said when it is seen" forward '
assert "level=warning" in out and "event=clock_jump" in out and "msg=\"the wall clock jumped forward by 2 h 00 min while the service ran (from 2026-12-02T08:3" in out, out'

# -- back: 09:05 becomes 08:05 -----------------------------------------------------
make_tree back 30 "tick:outbox:08:00:25:10"
config back
run_day back 2026-12-02T09:05:00Z:-3600
check "a backward jump: nothing is sent again, everything once and on its time" back '
assert states == {"sent": 25}, states
assert all(r["attempts"] == 1 for r in rows), [r for r in rows if r["attempts"] != 1]
assert len(set(r["key"] for r in rows)) == 25
assert "event=clock_jump" in out and "msg=\"the wall clock went back by 1 h 00 min while the service ran" in out, out'

# -- a network's wait keeps its length ---------------------------------------------------------
# The webhook answers its first request (08:00) with 429 and Retry-After
# 600: nothing goes there for 10 minutes of passed time. An outbox post
# every minute makes the clock stop at 08:03, where it jumps.
for dir in forward:1800 back:-3600; do
  case=wait-${dir%%:*}
  make_tree "$case" 90 "hook:webhook:08:00:1:1" "tick:outbox:08:00:120:1"
  config "$case"
  run_day "$case" "2026-12-02T08:03:00Z:${dir#*:}"
done
check "a Retry-After across a forward jump: the channel still waits 10 minutes of passed time" wait-forward '
hook = [r for r in rows if r["channel"] == "hook-gao"]
assert len(hook) == 1 and hook[0]["state"] == "sent" and hook[0]["attempts"] == 2, hook
# 08:00 + 10 min + the 30-minute jump
assert hook[0]["updated"] >= "2026-12-02T08:40:00Z", hook[0]["updated"]'
check "a Retry-After across a backward jump: the channel waits 10 minutes, not an hour more" wait-back '
hook = [r for r in rows if r["channel"] == "hook-gao"]
assert len(hook) == 1 and hook[0]["state"] == "sent" and hook[0]["attempts"] == 2, hook
# 08:00 + 10 min - the hour
assert "2026-12-02T07:10:00Z" <= hook[0]["updated"] < "2026-12-02T07:15:00Z", hook[0]["updated"]'

# -- the hook is a test hook -----------------------------------------------------------------
JADE_TEST_CLOCK_JUMP=2026-12-02T08:35:00Z:7200 expect "JADE_TEST_CLOCK_JUMP needs the simulated clock" 2 \
  "JADE_TEST_CLOCK_JUMP (a test hook) takes TIME:SECONDS, with --clock sim:" -- \
  "$jade" run --config "$work/forward.json" --once
JADE_TEST_CLOCK_JUMP=soon expect "JADE_TEST_CLOCK_JUMP with no time is refused" 2 "JADE_TEST_CLOCK_JUMP" -- \
  "$jade" run --config "$work/forward.json" --once --clock sim:2026-12-02T07:59:00Z:1
tap_done
