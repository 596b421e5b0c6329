#!/usr/bin/env bash
# GET /plan.ics: the plan as a calendar feed, read with an independent
# parser (python3-icalendar) across a commit that moves a post, removes
# another and retracts a third that already went out: the moved events
# keep their UID with a higher SEQUENCE and the new time, the removed and
# retracted ones keep theirs with STATUS:CANCELLED, no event is there
# twice. No token needed, text/calendar. Prints TAP.
# usage: feed.sh JADE SRCDIR OUTBOX.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; tap_rm_work "$work"' EXIT
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import icalendar' 2>/dev/null; then
  not_ok "python3-icalendar is there to read the feed" "bash .ci/setup installs it"
  tap_done; exit
fi
export GIT_AUTHOR_NAME=coach GIT_AUTHOR_EMAIL=coach@localhost GIT_COMMITTER_NAME=coach
export GIT_COMMITTER_EMAIL=coach@localhost GIT_CONFIG_NOSYSTEM=1 HOME=$work
mkdir -p "$work/plugins" && cp "$outbox" "$work/plugins/"
repo=$work/repo
tap_example "$repo" && git -C "$repo" init -q -b main && git -C "$repo" add -A && git -C "$repo" commit -qm first
cat >"$work/config.json" <<JSON
{"source": {"url": "$repo", "branch": "main"}, "state_dir": "$work/state", "listen": "$work/admin.sock", "plugin_dir": "$work/plugins"}
JSON
sock=$work/admin.sock
get() { curl -s --max-time 20 --unix-socket "$sock" "$@"; }
wait_for() { # SECONDS COMMAND...
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
published() { [ "$(grep -c 'event=published' "$work/run.log")" -ge "$1" ]; }
# 08:59:58, real speed: the six 09:00 publications go out at once.
"$jade" run --config "$work/config.json" --clock sim:2026-12-01T08:59:58Z:1 >"$work/run.log" 2>&1 &
pid=$!
if wait_for 60 published 6; then ok "the service publishes at 09:00"; else not_ok "the service publishes at 09:00" "$(tail "$work/run.log")"; fi

get -D "$work/h1" -o "$work/before.ics" http://jade/plan.ics
if grep -qi '^content-type: text/calendar; charset=utf-8' "$work/h1" && grep -q '^HTTP/1.1 200' "$work/h1"; then
  ok "GET /plan.ics without a token: 200, text/calendar; charset=utf-8"
else not_ok "GET /plan.ics without a token: 200, text/calendar; charset=utf-8" "$(cat "$work/h1")"; fi
expect "POST /plan.ics: 405" 0 "405" -- get -o /dev/null -w '%{http_code}' -X POST http://jade/plan.ics

# One commit: photo-retouchee moves a day later, demander-la-source is
# removed, appel-a-verifier (sent at 09:00) is retracted.
python3 - "$repo" <<'PY'
import json, os, sys
root = sys.argv[1]
def edit(path, f):
    p = os.path.join(root, path); d = json.load(open(p)); f(d)
    json.dump(d, open(p, "w"), indent=2, ensure_ascii=False)
edit("verifier-avant-de-partager/posts/photo-retouchee.json", lambda d: d.update(schedule={"at": ["2026-12-04T16:00"]}))
edit("verifier-avant-de-partager/posts/appel-a-verifier.json", lambda d: d.update(retracted={"reason": "date erronée"}))
PY
git -C "$repo" rm -q verifier-avant-de-partager/posts/demander-la-source.*
git -C "$repo" commit -qam "move, remove, retract"
c=$(git -C "$repo" rev-parse HEAD)
kill -HUP "$pid"
# (lines of a calendar are folded: unfolded before counting)
retracted() {
  get http://jade/plan.ics >"$work/after.ics" &&
    [ "$(python3 -c 'import sys; print(open(sys.argv[1], newline="").read().replace("\r\n ", "").count("state: retracted"))' "$work/after.ics")" -ge 6 ]
}
if wait_for 60 retracted; then ok "the commit is adopted and the 09:00 publications removed"
else not_ok "the commit is adopted and the 09:00 publications removed" "$(tail "$work/run.log")"; fi

check() { # NAME PYTHON (before, after: post -> list of events; uid(e), start(e))
  if /usr/bin/python3 - "$work/before.ics" "$work/after.ics" >"$work/py.out" 2>&1 <<PY
import sys, collections, icalendar
def read(path):
    cal = icalendar.Calendar.from_ical(open(path, "rb").read())
    by = collections.defaultdict(list)
    for e in cal.walk("VEVENT"):
        by[str(e["SUMMARY"]).split(" · ")[1].split(" (")[0]].append(e)
    return cal, by
cal_before, before = read(sys.argv[1])
cal_after, after = read(sys.argv[2])
uid = lambda e: str(e["UID"])
start = lambda e: e.decoded("DTSTART")
seq = lambda e: int(e.get("SEQUENCE", 0))
status = lambda e: str(e.get("STATUS", ""))
$2
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
check "every event once: UIDs are unique, before and after" "
for cal in (cal_before, cal_after):
    u = [uid(e) for e in cal.walk('VEVENT')]
    assert len(u) == len(set(u)) and u, len(u)"
check "moved: the same UIDs, the new time, SEQUENCE up, not cancelled" "
b = {uid(e): e for e in before['photo-retouchee']}; a = {uid(e): e for e in after['photo-retouchee']}
assert b and set(a) == set(b), (sorted(b), sorted(a))
for u in a:
    assert start(a[u]).date().isoformat() == '2026-12-04' and start(b[u]).date().isoformat() == '2026-12-03', (start(b[u]), start(a[u]))
    assert seq(a[u]) > seq(b[u]) and status(a[u]) == 'CONFIRMED', (seq(b[u]), seq(a[u]), status(a[u]))"
check "removed: the same UIDs, STATUS:CANCELLED, SEQUENCE up" "
b = {uid(e): e for e in before['demander-la-source']}; a = {uid(e): e for e in after['demander-la-source']}
assert b and set(a) == set(b)
assert all(status(a[u]) == 'CANCELLED' and seq(a[u]) > seq(b[u]) for u in a), [(status(e), seq(e)) for e in a.values()]"
check "retracted: sent and planned alike, STATUS:CANCELLED under their UIDs" "
b = {uid(e): e for e in before['appel-a-verifier']}; a = {uid(e): e for e in after['appel-a-verifier']}
assert len(b) == 10 and set(a) == set(b), (len(b), len(a))
assert all(status(e) == 'CANCELLED' for e in a.values()), [status(e) for e in a.values()]
assert sum('state: retracted' in str(e['DESCRIPTION']) for e in a.values()) == 6"
check "untouched posts: the same events, the same SEQUENCE" "
for post in after:
    if post in ('photo-retouchee', 'demander-la-source', 'appel-a-verifier'): continue
    b = {uid(e): (start(e), seq(e), status(e)) for e in before[post]}
    a = {uid(e): (start(e), seq(e), status(e)) for e in after[post]}
    assert a == b, post"
kill -TERM "$pid"; wait "$pid"; pid=
tap_done
