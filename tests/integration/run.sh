#!/usr/bin/env bash
# jade run, history and demo end to end, with the simulated clock; and the
# crash tests: the service killed with SIGKILL at random moments and
# restarted, against the outbox (idempotent) and against a network without
# idempotency keys (the journal test plugin); the ledger failing under a
# running service; a network's declared rate (the paced test plugin).
# Prints TAP.
# usage: run.sh JADE SRCDIR OUTBOX.so JOURNAL.so PACED.so [KILLS]
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
journal=$(realpath "$4")
paced=$(realpath "$5")
kills=${6:-20}
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
mkdir -p "$work/plugins" && cp "$outbox" "$journal" "$paced" "$work/plugins/"

# -- the example content, --once and a simulated day ----------------------
tap_example "$work/content"
cat >"$work/example.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/example", "listen": "$work/example.sock", "plugin_dir": "$work/plugins"}
JSON
expect "--once at 09:00 on 1 December publishes what is due" 0 "" -- "$jade" run --config "$work/example.json" --once --clock sim:2026-12-01T09:00:30Z:1
count=$(ls "$work/example/outbox"/*/*.json 2>/dev/null | wc -l)
if [ "$count" -eq 6 ]; then ok "six channels got the 09:00 post (French first)"; else not_ok "six channels got the 09:00 post (French first)" "$count files"; fi
check_json() { # NAME FILE PYTHON
  if python3 - "$2" <<PY >"$work/py.out" 2>&1
import json, sys
$3
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
f=$(ls "$work/example/outbox/kayes"/*.json | head -1)
check_json "an outbox file holds the publication" "$f" '
d = json.load(open(sys.argv[1]))
assert d["post"] == "appel-a-verifier" and d["lang"] == "fr" and d["channel"] == "outbox-kayes", d
assert d["text"].startswith("Avant de partager") and d["due"] == "2026-12-01T09:00:00Z", d
assert sys.argv[1].endswith("/" + d["key"] + ".json")'
"$jade" history --config "$work/example.json" --format json >"$work/history.json"
check_json "history: six sent, the rest planned, each with its commit-less source" "$work/history.json" '
rows = json.load(open(sys.argv[1]))
states = [r["state"] for r in rows]
assert states.count("sent") == 6, states
assert set(states) == {"sent", "planned"}, set(states)
assert all(r["attempts"] == 1 for r in rows if r["state"] == "sent")'
expect "--once again publishes nothing twice" 0 "" -- "$jade" run --config "$work/example.json" --once --clock sim:2026-12-01T09:00:40Z:1
count=$(ls "$work/example/outbox"/*/*.json | wc -l)
if [ "$count" -eq 6 ]; then ok "still six files"; else not_ok "still six files" "$count"; fi
expect "a late start marks what is past the catch-up as missed" 0 "" -- "$jade" run --config "$work/example.json" --once --clock sim:2026-12-01T12:30:00Z:1
"$jade" history --config "$work/example.json" --format json >"$work/history.json"
check_json "history: the 10:00 French occurrences (more than 60 minutes late) are missed" "$work/history.json" '
rows = json.load(open(sys.argv[1]))
missed = [r for r in rows if r["state"] == "missed"]
assert len(missed) == 4 and all(r["due"] == "2026-12-01T10:00:00Z" for r in missed), missed'
expect "a simulated day publishes the day" 0 "" -- "$jade" run --config "$work/example.json" --clock sim:2026-12-01T12:30:00Z:200000 --until 2026-12-03T00:00:00Z
"$jade" history --config "$work/example.json" --format json >"$work/history.json"
check_json "history: everything due by 3 December is sent or missed" "$work/history.json" '
rows = json.load(open(sys.argv[1]))
for r in rows:
    if r["due"] < "2026-12-03T00:00:00Z":
        assert r["state"] in ("sent", "missed"), r
    else:
        assert r["state"] == "planned", r'

# -- SIGTERM: a graceful stop -----------------------------------------------------
"$jade" run --config "$work/example.json" >"$work/term.out" 2>&1 &
pid=$!
# once it listens it has started (a signal before would find no handler);
# generous waits: a busy machine is slow, not wrong
for _ in $(seq 600); do [ -S "$work/example.sock" ] && break; sleep 0.1; done
kill -TERM "$pid"
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  kill -9 "$pid"; not_ok "SIGTERM stops the service within seconds" "$(cat "$work/term.out")"
elif wait "$pid" && grep -q "stopping once the requests in flight are answered" "$work/term.out"; then
  ok "SIGTERM stops the service within seconds, with status 0"
else not_ok "SIGTERM stops the service within seconds, with status 0" "$(cat "$work/term.out")"; fi

# -- configuration errors ----------------------------------------------------
echo '{"source": {"dir": "x"}, "state_dir": "/tmp/x", "horizon_dayz": 3}' >"$work/bad.json"
expect "a misspelt configuration field is a usage error with its place" 2 'bad.json:1:49: error: unknown field "horizon_dayz" (did you mean "horizon_days"?)' -- "$jade" run --config "$work/bad.json" --once
expect "a missing configuration file is a usage error" 2 "cannot read" -- "$jade" run --config "$work/none.json" --once
expect "a bad --clock is a usage error" 2 "sim:START:SPEED" -- "$jade" run --config "$work/example.json" --clock sim:yesterday:2
mkdir -p "$work/newer" && python3 -c "
import sqlite3; c = sqlite3.connect('$work/newer/ledger.sqlite'); c.execute('PRAGMA user_version = 99'); c.commit()"
cat >"$work/newer.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/newer", "listen": "$work/newer.sock", "plugin_dir": "$work/plugins"}
JSON
expect "history: an unknown format is a usage error" 2 "unknown format \"xml\"" -- "$jade" history --config "$work/example.json" --format xml
expect "history: a stray argument is a usage error" 2 "unexpected argument \"extra\"" -- "$jade" history --config "$work/example.json" extra
cat >"$work/empty.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/no-state-here", "listen": "$work/no-state-here.sock", "plugin_dir": "$work/plugins"}
JSON
expect "history: a state folder without a ledger is refused" 1 "holds no ledger" -- "$jade" history --config "$work/empty.json"
if [ -e "$work/no-state-here" ]; then not_ok "history creates nothing in a state folder" "$(ls -la "$work/no-state-here")"
else ok "history creates nothing in a state folder"; fi
expect "run: a stray argument is a usage error" 2 "unexpected argument \"extra\"" -- "$jade" run --config "$work/example.json" --once extra
expect "a ledger written by a newer jade is refused" 2 "was written by a newer jade (ledger schema 99" -- "$jade" run --config "$work/newer.json" --once

# -- media from a git source --------------------------------------------------
# A post's media are copied out of the commit into the state folder, whole,
# and the publication points at the copy.
git init -q -b main "$work/repo" && tap_example "$work/repo" &&
  git -C "$work/repo" add -A &&
  git -C "$work/repo" -c user.name=test -c user.email=test@localhost commit -qm content
cat >"$work/git.json" <<JSON
{"source": {"url": "$work/repo", "branch": "main"}, "state_dir": "$work/git-state", "listen": "$work/git-state.sock", "plugin_dir": "$work/plugins"}
JSON
expect "--once from a git source at 10:00 on 3 December" 0 "" -- "$jade" run --config "$work/git.json" --once --clock sim:2026-12-03T10:00:30Z:1
f=$(grep -l '"post": *"photo-retouchee"' "$work/git-state/outbox/mopti"/*.json | head -1)
check_json "a post's media come out of the commit whole, with no temporary file left" "${f:-/nonexistent}" "
import glob
d = json.load(open(sys.argv[1]))
assert len(d['media']) == 1, d['media']
copy = d['media'][0]
assert copy.startswith('$work/git-state/media/'), copy
assert open(copy, 'rb').read() == open('$src/campaigns/verifier-avant-de-partager/media/photo-retouchee.png', 'rb').read()
assert not glob.glob('$work/git-state/media/**/*.tmp', recursive=True)"

# -- the commit a publication is sent from --------------------------------------
# A post edited in a later commit is sent with the new text: the ledger
# names the commit it was sent from, not the one it was first planned with.
first=$(git -C "$work/repo" rev-parse HEAD)
"$jade" history --config "$work/git.json" --format json >"$work/git-history.json"
read -r due campaign post lang < <(python3 -c "
import json
rows = [r for r in json.load(open('$work/git-history.json')) if r['state'] == 'planned']
r = min(rows, key=lambda r: (r['due'], r['key']))
print(r['due'], r['campaign'], r['post'], r['lang'])")
printf 'Texte corrigé.\n' >"$work/repo/$campaign/posts/$post.$lang.txt"
git -C "$work/repo" -c user.name=test -c user.email=test@localhost commit -qam "edit $post"
second=$(git -C "$work/repo" rev-parse HEAD)
expect "--once at the edited post's time" 0 "" -- "$jade" run --config "$work/git.json" --once --clock "sim:$due:1"
"$jade" history --config "$work/git.json" --format json >"$work/git-history.json"
check_json "history names the commit each publication was sent from" "$work/git-history.json" "
rows = json.load(open(sys.argv[1]))
edited = [r for r in rows if r['post'] == '$post' and r['due'] == '$due' and r['lang'] == '$lang']
assert edited and all(r['state'] == 'sent' and r['commit'] == '$second' for r in edited), edited
earlier = [r for r in rows if r['state'] == 'sent' and r['due'] < '$due']
assert earlier and all(r['commit'] == '$first' for r in earlier), earlier"

# -- one service per state folder ------------------------------------------------
"$jade" run --config "$work/git.json" >"$work/first.out" 2>&1 &
first_pid=$!
for _ in $(seq 1 100); do
  [ "$(cat "$work/git-state/lock" 2>/dev/null)" = "$first_pid" ] && break
  sleep 0.1
done
expect "a second service on the same state folder refuses to start, naming the first" 2 \
  "another jade service (pid $first_pid) is using the state folder" -- "$jade" run --config "$work/git.json" --once
kill -TERM "$first_pid" && wait "$first_pid"
status=$?
if [ "$status" -eq 0 ]; then ok "the first service stops cleanly at SIGTERM"; else not_ok "the first service stops cleanly at SIGTERM" "exit $status" "$(tail "$work/first.out")"; fi
expect "once it has stopped, the state folder can be used again" 0 "" -- "$jade" run --config "$work/git.json" --once --clock "sim:$due:1"

# -- the demo -----------------------------------------------------------------
# with the build's plugins: every network of the example runs dry
TMPDIR=$work "$jade" demo --speed 100000 >"$work/demo.out" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -qF "in all: 72 planned, 72 sent, 0 failed" "$work/demo.out"; then
  ok "jade demo publishes the example week through a git repository"
else not_ok "jade demo publishes the example week through a git repository" "exit $status" "$(tail -n 20 "$work/demo.out")"; fi
demo_outbox=$(sed -n 's/^or per channel (the networks run dry): //p' "$work/demo.out")
# the outbox's metrics test double: the week has (simulated) readings, said as such
demo_ledger=${demo_outbox%/outbox}/ledger.sqlite
said=$(sed -n 's/^  metrics: \([0-9]*\) reading(s) of \([0-9]*\) publication(s), made up by the outbox.s test double.*not measured$/\1 \2/p' "$work/demo.out")
stored=$(sqlite3 "$demo_ledger" "SELECT count(*), count(DISTINCT key) FROM (SELECT DISTINCT key, reading FROM metrics WHERE name = 'simulated_views')" 2>&1 | tr '|' ' ')
if [ -n "$said" ] && [ "$said" = "$stored" ] && [ "${said%% *}" -gt 72 ]; then
  ok "the demo's week has simulated metrics, counted right in its summary and said to be made up"
else not_ok "the demo's week has simulated metrics, counted right in its summary and said to be made up" \
  "said: $said, stored: $stored" "$(grep metrics "$work/demo.out")"; fi
dry=$(cd "$demo_outbox" 2>/dev/null && for d in telegram-* facebook-* mastodon-* x-* whatsapp-*; do [ -d "$d" ] && ls "$d" | grep -c '\.json$'; done | grep -c '^[1-9]')
if [ "$dry" -eq 5 ]; then ok "the demo writes each network's channel dry, as outbox files"
else not_ok "the demo writes each network's channel dry, as outbox files" "$(ls "$demo_outbox" 2>&1)"; fi
case $demo_outbox in "$work"/jade-demo-*/state/outbox) ok "the demo works in \$TMPDIR" ;; *) not_ok "the demo works in \$TMPDIR" "$demo_outbox" ;; esac
demo_report=$(sed -n "s/^The week's report, one page for a browser: //p" "$work/demo.out")
case $demo_report in "$work"/jade-demo-*/report.html) ok "the demo says where its HTML report is" ;; *) not_ok "the demo says where its HTML report is" "$(tail -n 3 "$work/demo.out")" ;; esac
if [ -s "$demo_report" ] && grep -qF '<svg' "$demo_report" &&
   ! grep -qiE '<(script|img|link|iframe)|@import|url\(|<[a-z][^>]*[[:space:]](src|href)="[^#]' "$demo_report"; then
  ok "the demo's report is one self-contained page (inline SVG; nothing fetched, no script)"
else not_ok "the demo's report is one self-contained page (inline SVG; nothing fetched, no script)" "$(ls -la "$demo_report" 2>&1)"; fi
"$jade" report --config "${demo_report%/report.html}/config.json" --from 2026-12-01 --to 2026-12-08 \
  --format json >"$work/demo-report.json" 2>"$work/demo-report.err"
if python3 - "$demo_report" "$work/demo-report.json" <<'PY' >"$work/py.out" 2>&1
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
report = json.load(open(sys.argv[2]))
def at(pointer):
    v = report
    for part in pointer.split("/")[1:]:
        v = v[int(part)] if isinstance(v, list) else v[part]
    return len(v) if isinstance(v, list) else v
marks = re.findall(r'data-n="([^"]*)" data-v="([^"]*)"', page)
assert len(marks) > 50, len(marks)
for pointer, value in marks:
    want = at(pointer)
    got = None if value == "null" else float(value)
    assert (got is None and want is None) or abs(got - want) < 1e-9, (pointer, value, want)
assert report["totals"]["published"] == 72, report["totals"]
PY
then ok "the demo's report shows the numbers of jade report --format json on its week"
else not_ok "the demo's report shows the numbers of jade report --format json on its week" "$(cat "$work/py.out" "$work/demo-report.err")"; fi

# -- crashes ------------------------------------------------------------------
# 500 occurrences: 50 posts of 10 times each, a minute apart, on one channel.
make_tree() { # DIR NETWORK
  mkdir -p "$1" && cp -a "$src/tests/bad/base/." "$1/"
  python3 - "$1" "$2" <<'PY'
import json, os, sys
root, network = sys.argv[1], sys.argv[2]
os.remove(os.path.join(root, "c1/posts/p1.json")); os.remove(os.path.join(root, "c1/posts/p1.fr.txt"))
os.remove(os.path.join(root, "c1/posts/p1.bm.txt"))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 10080}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
account = {"folder": "gao"} if network == "outbox" else {}
json.dump({"channels": [{"id": "target", "network": network, "regions": ["gao"], "account": account}]},
          open(os.path.join(root, "channels.json"), "w"))
for p in range(50):
    times = ["2026-12-02T%02d:%02d" % (8 + (p * 10 + k) // 60, (p * 10 + k) % 60) for k in range(10)]
    post = {"id": "p%02d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
            "schedule": {"at": times}}
    json.dump(post, open(os.path.join(root, "c1/posts/p%02d.json" % p), "w"))
    open(os.path.join(root, "c1/posts/p%02d.fr.txt" % p), "w").write("Texte %d.\n" % p)
PY
}
crash_run() { # NAME NETWORK
  local tree=$work/$1-tree state=$work/$1-state
  make_tree "$tree" "$2"
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$tree"}, "state_dir": "$state", "listen": "$state.sock", "plugin_dir": "$work/plugins"}
JSON
  local args=(run --config "$work/$1.json" --clock sim:2026-12-02T07:59:00Z:3000 --until 2026-12-02T17:00:00Z)
  local i=0
  for i in $(seq 1 "$kills"); do
    "$jade" "${args[@]}" >/dev/null 2>&1 &
    local pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  "$jade" "${args[@]}" >/dev/null 2>"$work/$1.err" || not_ok "$1: the last run ends well" "$(cat "$work/$1.err")"
  "$jade" history --config "$work/$1.json" --format json >"$work/$1-history.json"
}

crash_run outbox outbox
keys=$(python3 -c "import json; print(len(json.load(open('$work/outbox-history.json'))))")
files=$(ls "$work/outbox-state/outbox/gao" | grep -c '\.json$')
tmps=$(ls "$work/outbox-state/outbox/gao" | grep -c '\.tmp$')
check_json "outbox, $kills kills: 500 occurrences, all sent, the ledger agrees" "$work/outbox-history.json" "
rows = json.load(open(sys.argv[1]))
assert len(rows) == 500, len(rows)
states = [r['state'] for r in rows]
assert states.count('sent') == 500, {s: states.count(s) for s in set(states)}"
if [ "$files" -eq 500 ] && [ "$tmps" -eq 0 ]; then ok "outbox: exactly 500 files, one per key, none half-written"
else not_ok "outbox: exactly 500 files, one per key, none half-written" "$files files, $tmps temporary"; fi

crash_run journal journal
check_json "journal (no idempotency), $kills kills: nothing published twice, nothing lost, the unsure left uncertain" "$work/journal-history.json" "
import collections
rows = json.load(open(sys.argv[1]))
journal = open('$work/journal-state/plugins/journal/journal.log').read().split()
twice = [k for k, c in collections.Counter(journal).items() if c > 1]
assert not twice, ('published twice', twice)
states = collections.Counter(r['state'] for r in rows)
assert len(rows) == 500 and set(states) <= {'sent', 'uncertain'}, states
sent = {r['key'] for r in rows if r['state'] == 'sent'}
assert sent <= set(journal), 'a sent key the network never saw'
assert set(journal) <= {r['key'] for r in rows}, 'the network saw a key jade does not know'
print('#', dict(states))"

# A crash in the worst moment, on purpose: the network has the post, the
# ledger still says sending.
make_tree "$work/worst-tree" journal
cat >"$work/worst.json" <<JSON
{"source": {"dir": "$work/worst-tree"}, "state_dir": "$work/worst-state", "listen": "$work/worst-state.sock", "plugin_dir": "$work/plugins"}
JSON
JOURNAL_CRASH_AFTER=7 "$jade" run --config "$work/worst.json" --clock sim:2026-12-02T07:59:00Z:3000 --until 2026-12-02T17:00:00Z >/dev/null 2>&1
expect "after the crash, the restart recovers what was being sent" 0 "were being sent when the service stopped" -- "$jade" run --config "$work/worst.json" --clock sim:2026-12-02T07:59:00Z:3000 --until 2026-12-02T17:00:00Z
"$jade" history --config "$work/worst.json" --format json >"$work/worst-history.json"
check_json "the post the network got before the crash is uncertain, in the journal once, not re-sent" "$work/worst-history.json" "
import collections
rows = json.load(open(sys.argv[1]))
journal = open('$work/worst-state/plugins/journal/journal.log').read().split()
assert len(journal) == len(set(journal)) == 500, (len(journal), len(set(journal)))
uncertain = [r for r in rows if r['state'] == 'uncertain']
assert len(uncertain) == 1 and uncertain[0]['key'] == journal[6], uncertain
assert uncertain[0]['attempts'] == 1, uncertain
assert collections.Counter(r['state'] for r in rows)['sent'] == 499"

# A retraction on a network that cannot remove: marked for people to remove
# by hand, never claimed retracted.
python3 - "$work/worst-tree/c1/posts/p00.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["retracted"] = {"reason": "une erreur"}
json.dump(d, open(sys.argv[1], "w"))
PY
expect "a retraction where the network cannot remove" 0 "" -- "$jade" run --config "$work/worst.json" --once --clock sim:2026-12-02T18:00:00Z:1
"$jade" history --config "$work/worst.json" --format json >"$work/worst-history.json"
check_json "its publications (sent, or uncertain) stay as they are, marked: remove by hand" "$work/worst-history.json" "
rows = [r for r in json.load(open(sys.argv[1])) if r['post'] == 'p00']
assert len(rows) == 10 and all(r['state'] in ('sent', 'uncertain') for r in rows), rows
assert all(r['removal'] == 'by hand' and 'remove it by hand' in r['reason'] for r in rows), rows"
"$jade" history --config "$work/worst.json" >"$work/worst-history.txt"
if grep -q "remove it by hand" "$work/worst-history.txt"; then ok "history says so"; else not_ok "history says so" "$(head -3 "$work/worst-history.txt")"; fi

# -- the ledger failing under a running service ----------------------------------
# The journal makes the ledger's log read-only right after the third
# publication reached it: the next commit, which holds the next request,
# fails (at 08:30 the half hour before is due at once). The service must
# stop at once, with its reason and a failing status, and nothing may have
# left that the ledger does not record. (No --until: a service that goes
# on is stopped by the timeout, and fails the test.)
make_tree "$work/broken-tree" journal
cat >"$work/broken.json" <<JSON
{"source": {"dir": "$work/broken-tree"}, "state_dir": "$work/broken-state", "listen": "$work/broken-state.sock", "plugin_dir": "$work/plugins"}
JSON
JOURNAL_BREAK_LEDGER_AFTER=3 timeout 60 "$jade" run --config "$work/broken.json" \
  --clock sim:2026-12-02T08:30:00Z:1000000 >"$work/broken.out" 2>&1
status=$?
if [ "$status" -eq 1 ] && grep -F "event=ledger_failed state_dir=$work/broken-state " "$work/broken.out" | grep -qF "stopping"; then
  ok "a commit failing during a run: the service stops at once (exit 1) and says why"
else not_ok "a commit failing during a run: the service stops at once (exit 1) and says why" "exit $status" "$(tail -5 "$work/broken.out")"; fi
"$jade" history --config "$work/broken.json" --format json >"$work/broken-history.json"
check_json "nothing reached the network that the ledger does not record" "$work/broken-history.json" "
import collections
rows = {r['key']: r for r in json.load(open(sys.argv[1]))}
journal = open('$work/broken-state/plugins/journal/journal.log').read().split()
assert len(journal) == 3, journal
assert all(rows[k]['state'] in ('sending', 'sent') for k in journal), [rows[k] for k in journal]
print('#', dict(collections.Counter(r['state'] for r in rows.values())))"

# -- a network's declared rate ------------------------------------------------------
# The paced network allows 2 requests a minute per account: four posts due
# at 09:00 on one channel go 30 s apart, and four due at 09:00:15 on
# another go 30 s apart too, from 09:00:15: that one does not wait while the
# first is held by its rate. Times are the service's (simulated) clock.
mkdir -p "$work/paced-tree" && cp -a "$src/tests/bad/base/." "$work/paced-tree/"
python3 - "$work/paced-tree" <<'PY'
import json, os, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [{"id": "paced-a", "network": "paced", "regions": ["gao"], "account": {}},
                        {"id": "paced-b", "network": "paced", "regions": ["kayes"], "account": {}}]},
          open(os.path.join(root, "channels.json"), "w"))
for region, at in ("gao", "2026-12-02T09:00"), ("kayes", "2026-12-02T09:00:15"):
    for p in range(4):
        name = "%s-%d" % (region, p)
        json.dump({"id": name, "kind": "story", "authors": ["moussa"], "regions": [region],
                   "schedule": {"at": [at]}}, open(os.path.join(root, "c1/posts/%s.json" % name), "w"))
        open(os.path.join(root, "c1/posts/%s.fr.txt" % name), "w").write("Texte %d.\n" % p)
PY
cat >"$work/paced.json" <<JSON
{"source": {"dir": "$work/paced-tree"}, "state_dir": "$work/paced-state", "listen": "$work/paced-state.sock", "plugin_dir": "$work/plugins"}
JSON
expect "a day on a network with a declared rate" 0 "" -- "$jade" run --config "$work/paced.json" \
  --clock sim:2026-12-02T08:59:00Z:1000000 --until 2026-12-02T10:00:00Z
check_json "2 a minute: 30 s apart on each channel, one channel not held up by the other's rate" "$work/paced-state/plugins/paced/paced.log" "
import collections, datetime
nine = int(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.timezone.utc).timestamp())
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, channel, key = line.split()
    times[channel].append(int(t) - nine)
assert dict(times) == {'paced-a': [0, 30, 60, 90], 'paced-b': [15, 45, 75, 105]}, dict(times)"

tap_done
