#!/usr/bin/env bash
# Follow-up readings (metrics.readings): each sent publication's metrics
# read at its offsets after sending, on a simulated clock, against the fake
# Mastodon instance; stored in the ledger's metrics table with the time
# read; a network without metrics (the outbox, unruly without its
# metrics) never asked; restarts and a kill -9 between readings lose none
# and read none twice; readings whose time passed while the service was
# down read late, once, by jade run --once; a metrics call's 429 holds
# readings while a publication due on the same channel goes on time, and
# GET /metrics counts them; a plugin that never answers a metrics call is
# cut off at its deadline; a retraction stops the readings; invalid
# settings refuse to start.
# usage: readings.sh JADE SRCDIR OUTBOX.so MASTODON.so UNRULY.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
mastodon=$(realpath "$4")
unruly=$(realpath "$5")
work=$(tap_workdir)
fake= pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$fake" ] && kill "$fake" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$outbox" "$mastodon" "$unruly" "$work/plugins/"
chmod 700 "$work/secrets"
python3 -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))['secret'] + '\n')" \
  "$src/tests/fakes/mastodon.json" >"$work/secrets/masto"
chmod 600 "$work/secrets/masto"
[ -n "${JADE_SWEEP_DIR:-}" ] && realpath "$work/secrets/masto" >>"$JADE_SWEEP_DIR/secret-files"
python3 "$src/tests/fakes/mastodon.py" --port-file "$work/port" --record "$work/record" &
fake=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

# make_tree NAME POST:NETWORK:YYYY-MM-DDTHH:MM... : a tree with a mastodon,
# an outbox and an unruly channel in Gao, one post per spec.
make_tree() {
  local dir=$work/$1-tree; shift
  rm -rf "$dir" && mkdir -p "$dir" && cp -a "$src/tests/bad/base/." "$dir/"
  python3 - "$dir" "$port" "$@" <<'PY'
import json, os, sys
root, port, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["23:00", "00:30"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [
    {"id": "masto-gao", "network": "mastodon", "regions": ["gao"], "secret": "masto",
     "account": {"instance": "http://127.0.0.1:%s" % port}},
    {"id": "box-gao", "network": "outbox", "regions": ["gao"], "account": {"folder": "gao"}},
    {"id": "unruly-gao", "network": "unruly", "regions": ["gao"],
     "account": {"answers": "sent", "metrics": os.environ.get("UNRULY_READS", "never")}}]},
    open(os.path.join(root, "channels.json"), "w"))
for spec in specs:
    post, network, at = spec.split(":", 2)
    doc = {"id": post, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
           "networks": [network], "schedule": {"at": [at]}}
    json.dump(doc, open(os.path.join(root, "c1/posts/%s.json" % post), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % post), "w").write("Texte %s.\n" % post)
PY
}
config() { # NAME [EXTRA JSON MEMBERS]
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/$1-tree"}, "state_dir": "$work/$1", "listen": "$work/$1.sock",
 "plugin_dir": "$work/plugins", "secrets_dir": "$work/secrets",
 "bindings": {"masto": {"channels": ["masto-gao"], "url_prefixes": ["http://127.0.0.1:$port/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}${2:+, $2}}
JSON
}
run() { # NAME START SPEED UNTIL [jade run options...]
  local name=$1 start=$2 speed=$3 until=$4; shift 4
  "$jade" run --config "$work/$name.json" --clock "sim:$start:$speed" --until "$until" "$@" \
    >>"$work/$name.out" 2>&1
}
# readings NAME: the metrics table as JSON lines {key, reading, read_at, name, value}
readings() {
  sqlite3 -json "$work/$1/ledger.sqlite" \
    "SELECT lower(hex(m.key)) AS key, reading, read_at, name, value, o.channel, o.sent_at
     FROM metrics m JOIN occurrences o ON o.key = m.key ORDER BY o.channel, reading, name"
}
# check NAME CASE PYTHON: rows (the metrics table), out (the log),
# gets (the fake's metrics requests), sent (sent occurrences by channel)
check() {
  readings "$2" >"$work/$2-readings.json"
  sqlite3 -json "$work/$2/ledger.sqlite" \
    "SELECT lower(hex(key)) AS key, channel, state, due, sent_at, network_id FROM occurrences" \
    >"$work/$2-occurrences.json"
  if python3 - "$work/$2-readings.json" "$work/$2.out" "$work/record" "$work/$2-occurrences.json" \
    <<PY >"$work/py.out" 2>&1
import collections, json, sys
text = open(sys.argv[1]).read().strip()
rows = json.loads(text) if text else []
out = open(sys.argv[2]).read()
occ = json.loads(open(sys.argv[4]).read() or "[]")
ids = {o["network_id"] for o in occ if o["channel"] == "masto-gao" and o["network_id"]}
gets = [json.loads(l) for l in open(sys.argv[3]) if '"op": "metrics"' in l]
gets = [g for g in gets if g["path"].rsplit("/", 1)[1] in ids]
by = collections.defaultdict(dict)
for r in rows:
    by[(r["channel"], r["reading"])][r["name"]] = r["value"]
$3
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")" "$(grep -E 'error|warning' "$work/$2.out" | tail -5)"; fi
}

# -- on time, twice, then restarts and a kill -9 ----------------------------------
make_tree a "p1:mastodon:2026-12-02T08:00" "p2:outbox:2026-12-02T08:00"
config a
run a 2026-12-02T07:59:00Z 36000 2026-12-03T09:00:00Z
check "readings at +1 h and +24 h after sending, stored with the time read" a '
m = [r for r in rows if r["channel"] == "masto-gao"]
assert sorted({r["reading"] for r in m}) == [3600, 86400], m
for r in m:
    assert r["read_at"] == r["sent_at"] + r["reading"], r
assert by[("masto-gao", 3600)] == {"favourites_count": 3, "reblogs_count": 1, "replies_count": 0, "engagement": 4}, by
assert by[("masto-gao", 86400)] == {"favourites_count": 6, "reblogs_count": 2, "replies_count": 1, "engagement": 9}, by
assert len(gets) == 2 and not any(g["early"] for g in gets), gets
assert out.count("event=metrics_read") == 2, out'
check "a network without metrics (the outbox) is never asked" a '
assert not [r for r in rows if r["channel"] != "masto-gao"], rows
assert "channel=box-gao network=outbox reading" not in out
assert sum(1 for o in occ if o["state"] == "sent") == 2, occ'

# A restart between readings, then a kill -9 while the clock runs towards
# the last: each reading is taken once, whatever stopped the service.
run a 2026-12-03T09:00:00Z 36000 2026-12-04T12:00:00Z
"$jade" run --config "$work/a.json" --clock sim:2026-12-04T12:00:00Z:36000 \
  --until 2026-12-20T00:00:00Z >>"$work/a.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ "$(sqlite3 "$work/a/ledger.sqlite" "SELECT count(*) FROM metrics WHERE reading = 259200" 2>/dev/null)" = 4 ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
run a 2026-12-10T00:00:00Z 36000 2026-12-10T01:00:00Z
check "a restart and a kill -9 between readings: none lost, none read twice" a '
m = [r for r in rows if r["channel"] == "masto-gao"]
assert sorted({r["reading"] for r in m}) == [3600, 86400, 259200, 604800], m
assert len(m) == 16, m
assert len(gets) == 4, gets
assert by[("masto-gao", 604800)]["favourites_count"] == 12, by'

# -- late: the service was down; jade run --once reads what is due --------------
# (each case its own posts: the fake keeps an Idempotency-Key an hour)
make_tree b "b1:mastodon:2026-12-02T08:00" "b2:outbox:2026-12-02T08:10"
config b
run b 2026-12-02T07:59:00Z 36000 2026-12-02T08:30:00Z
"$jade" run --config "$work/b.json" --clock sim:2026-12-06T00:00:00Z:36000 --once >>"$work/b.out" 2>&1 ||
  not_ok "jade run --once ends well" "$(tail -3 "$work/b.out")"
check "readings due while the service was down are read late, once (jade run --once), each with the time read" b '
m = [r for r in rows if r["channel"] == "masto-gao"]
assert sorted({r["reading"] for r in m}) == [3600, 86400, 259200], m
assert all(r["read_at"] == 1796515200 for r in m), m  # 2026-12-06T00:00:00Z
assert by[("masto-gao", 3600)] == by[("masto-gao", 259200)] == {"favourites_count": 3, "reblogs_count": 1, "replies_count": 0, "engagement": 4}, by
assert len(gets) == 1, gets
assert "event=metrics_read" in out and "reading=3600,86400,259200" in out, out'

# -- a retraction stops the readings ------------------------------------------------
make_tree r "r1:mastodon:2026-12-02T08:00"
config r
run r 2026-12-02T07:59:00Z 36000 2026-12-02T10:00:00Z
python3 - "$work/r-tree/c1/posts/r1.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["retracted"] = {"reason": "a mistake"}
json.dump(doc, open(sys.argv[1], "w"))
PY
run r 2026-12-02T10:00:00Z 36000 2026-12-05T10:00:00Z
check "a retracted publication is not read after its retraction" r '
assert sorted({r["reading"] for r in rows}) == [3600], rows
assert len(gets) == 1, gets
assert [o["state"] for o in occ] == ["retracted"], occ'

# -- a metrics call rate-limited: the publication due on its channel goes on time --
make_tree c "q1:mastodon:2026-12-02T08:00" "q2:mastodon:2026-12-02T09:01"
config c
run c 2026-12-02T07:59:00Z 36000 2026-12-02T08:30:00Z
curl -sS -X POST --data '[{"fault": "rate_limit", "op": "metrics", "seconds": 15}]' \
  "http://127.0.0.1:$port/_fake/faults" >/dev/null
# Speed 1: the fake's waits are real seconds. The +1 h reading of q1 is
# late at 09:00:50 and refused for 15 s; q2 is due at 09:01:00.
"$jade" run --config "$work/c.json" --clock sim:2026-12-02T09:00:50Z:1 --until 2026-12-02T09:02:00Z \
  >>"$work/c.out" 2>&1 &
pid=$!
scrape() { curl -sS --max-time 10 --unix-socket "$work/c.sock" http://jade/metrics 2>/dev/null; }
for _ in $(seq 900); do
  scrape | grep -q '^jade_metric_readings_total{network="mastodon",outcome="read"} 1$' && break
  sleep 0.1
done
scrape >"$work/c-metrics.txt"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
check "a metrics call's 429 holds the channel's readings, not the publication due there" c '
record = [json.loads(l) for l in open(sys.argv[3])]
mine = [g for g in record if g["op"] in ("metrics", "create") and g["t"] > 0]
q2 = [o for o in occ if o["due"] == 1796202060][0]  # 2026-12-02T09:01:00Z
assert q2["state"] == "sent" and q2["sent_at"] == q2["due"], q2
m = [g for g in gets if g["status"] in (200, 429)][-2:]
assert [g["status"] for g in m] == [429, 200], gets
assert m[1]["arrived"] - m[0]["t"] >= 14, m
creates = [g for g in record if g["op"] == "create" and g.get("text", "").startswith("Texte q2")]
assert len(creates) == 1 and m[0]["t"] <= creates[0]["arrived"] <= m[1]["arrived"], (creates, m)
assert not any(g["early"] for g in record), [g for g in record if g["early"]]
assert "event=metrics_wait" in out, out'
expect "GET /metrics counts the readings: read, and the refused one as failed" 0 \
  'jade_metric_readings_total{network="mastodon",outcome="failed"} 1' -- cat "$work/c-metrics.txt"
if command -v promtool >/dev/null; then
  expect "... in a form promtool accepts" 0 "" -- sh -c "promtool check metrics <'$work/c-metrics.txt'"
fi

# -- a metrics call that never answers is cut off at the plugin's deadline (5 s) --
make_tree d "u1:unruly:2026-12-02T08:00" "u2:outbox:2026-12-02T09:30"
config d
UNRULY_METRICS=1 timeout 120 "$jade" run --config "$work/d.json" --clock sim:2026-12-02T07:59:00Z:36000 \
  --until 2026-12-02T10:00:00Z >>"$work/d.out" 2>&1
rc=$?
check "a plugin that never answers a metrics call is cut off at its deadline; the rest goes on" d '
assert "event=metrics_failed" in out and "no answer within the plugin" in out and "deadline (5 s)" in out, out
assert rows == [], rows
assert sorted(o["state"] for o in occ) == ["sent", "sent"], occ'
[ "$rc" = 0 ] && ok "... and the run ends at --until" || not_ok "... and the run ends at --until" "exit $rc"
make_tree e "u1:unruly:2026-12-02T08:00"
config e
timeout 120 "$jade" run --config "$work/e.json" --clock sim:2026-12-02T07:59:00Z:36000 \
  --until 2026-12-03T10:00:00Z >>"$work/e.out" 2>&1
if [ ! -e "$work/e/plugins/unruly/metrics.log" ] && [ -e "$work/d/plugins/unruly/metrics.log" ] &&
  ! grep -q 'event=metrics_' "$work/e.out"; then
  ok "a plugin whose instance has no metrics is never asked"
else not_ok "a plugin whose instance has no metrics is never asked" "$(ls "$work/e/plugins/unruly" "$work/d/plugins/unruly" 2>&1)"; fi

# -- failing readings: tried 8 times with a backoff, then given up, for good -------------
UNRULY_READS=transient make_tree g "u1:unruly:2026-12-02T08:00"
config g '"metrics": {"readings": ["1h"]}'
UNRULY_METRICS=1 run g 2026-12-02T07:59:00Z 36000 2026-12-04T08:00:00Z
UNRULY_METRICS=1 run g 2026-12-04T08:00:00Z 36000 2026-12-05T08:00:00Z
check "a reading failing is tried 8 times, backing off, then given up; a restart does not take it again" g '
calls = open(sys.argv[2].replace("g.out", "g/plugins/unruly/metrics.log")).read().split()
assert len(calls) == 16, calls  # 8 x (key, reading)
assert [(r["reading"], r["name"], r["value"]) for r in rows] == [(3600, "jade_given_up", 8)], rows
assert out.count("event=metrics_failed") == 7 and out.count("event=metrics_given_up") == 1, out
import re
nexts = [int(m) for m in re.findall(r"event=metrics_failed .*? attempt=(\d+)", out)]
assert nexts == list(range(1, 8)), nexts'
UNRULY_READS=permanent make_tree h "u1:unruly:2026-12-02T08:00"
config h '"metrics": {"readings": ["1h", "24h"]}'
UNRULY_METRICS=1 run h 2026-12-02T07:59:00Z 36000 2026-12-04T08:00:00Z
check "a reading the network refuses is given up at once; the next one is still taken" h '
calls = open(sys.argv[2].replace("h.out", "h/plugins/unruly/metrics.log")).read().split()
assert len(calls) == 4, calls
assert [(r["reading"], r["name"]) for r in rows] == [(3600, "jade_given_up"), (86400, "jade_given_up")], rows'

# -- the outbox's metrics test double ------------------------------------------------
make_tree s "s1:outbox:2026-12-02T08:00" "s2:outbox:2026-12-02T08:05"
config s '"networks": {"outbox": {"simulated_metrics": true}}'
run s 2026-12-02T07:59:00Z 36000 2026-12-05T09:00:00Z
check "the outbox's test double (simulated_metrics): made-up figures, rising with each reading" s '
for key in {r["key"] for r in rows}:
    mine = {r["reading"]: {x["name"]: x["value"] for x in rows if x["key"] == key and x["reading"] == r["reading"]} for r in rows if r["key"] == key}
    assert sorted(mine) == [3600, 86400, 259200], mine
    assert set(mine[3600]) == {"simulated_views", "simulated_reactions", "simulated_shares", "reach", "engagement"}, mine
    views = [mine[t]["simulated_views"] for t in sorted(mine)]
    assert views[0] < views[1] < views[2], views
assert len({r["key"] for r in rows}) == 2, rows'
readings s >"$work/s-first.json"
rm -rf "$work/s" "$work/s.out"
run s 2026-12-02T07:59:00Z 36000 2026-12-05T09:00:00Z
readings s >"$work/s-again.json"
if python3 -c '
import json, sys
strip = lambda f: sorted((r["key"], r["reading"], r["name"], r["value"]) for r in json.load(open(f)))
sys.exit(0 if strip(sys.argv[1]) == strip(sys.argv[2]) else 1)' "$work/s-first.json" "$work/s-again.json"; then
  ok "... the same figures for the same key and reading"
else not_ok "... the same figures for the same key and reading"; fi

# -- settings ------------------------------------------------------------------------
config v '"metrics": {"readings": ["1h", "30m"]}'
expect "readings out of order refuse to start, naming the setting" 2 '/metrics/readings/1' -- \
  "$jade" run --config "$work/v.json" --once
config v '"metrics": {"readings": ["10s"]}'
expect "a reading sooner than a minute refuses to start" 2 'between a minute' -- \
  "$jade" run --config "$work/v.json" --once
config v '"metrics": {"readings": ["2w"]}'
expect "a unit that is not s, m, h or d refuses to start" 2 '/metrics/readings/0' -- \
  "$jade" run --config "$work/v.json" --once
config v '"metrics": {"readings": [3600, "400d"]}'
expect "a reading later than a year refuses to start" 2 'a year' -- \
  "$jade" run --config "$work/v.json" --once
make_tree n "n1:mastodon:2026-12-02T08:00"
config n '"metrics": {"readings": []}'
run n 2026-12-02T07:59:00Z 36000 2026-12-10T00:00:00Z
check "readings [] reads nothing" n '
assert rows == [] and gets == [], (rows, gets)
assert [o["state"] for o in occ] == ["sent"], occ'

tap_done
