#!/usr/bin/env bash
# Following the branch when things go wrong: the remote gone for a while
# and back (publishing goes on, the failure said once, then the new commit
# adopted), SIGTERM in the middle of a reload, and the state folder full
# (no request leaves without its durable record; the service says why and
# stops).
# usage: faults.sh JADE SRCDIR OUTBOX.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
pid= daemon_pid= mounted=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.org
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.org
mkdir -p "$HOME" "$work/plugins" && cp "$outbox" "$work/plugins/"
seen() { # FILE FRAGMENT SECONDS
  for _ in $(seq 1 $(($3 * 20))); do grep -qF -- "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

# -- the remote gone, then back -------------------------------------------------------
git init -q --bare -b main "$work/srv/content.git"
git init -q -b main "$work/wc" && tap_example "$work/wc"
git -C "$work/wc" remote add origin "$work/srv/content.git"
push() { git -C "$work/wc" add -A && git -C "$work/wc" commit -qm "$1" && git -C "$work/wc" push -q origin main && git -C "$work/wc" rev-parse HEAD; }
c1=$(push content)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
daemon() {
  git daemon --export-all --base-path="$work/srv" --port="$port" --listen=127.0.0.1 --reuseaddr "$work/srv" >/dev/null 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do git ls-remote "git://127.0.0.1:$port/content.git" >/dev/null 2>&1 && return 0; sleep 0.1; done
}
daemon
cat >"$work/remote.json" <<JSON
{"source": {"url": "git://127.0.0.1:$port/content.git", "poll_seconds": 3600},
 "state_dir": "$work/remote-state", "listen": "$work/remote-state.sock", "plugin_dir": "$work/plugins"}
JSON
# 08:59:57: the 09:00 posts go out while the remote is away.
"$jade" run --config "$work/remote.json" --clock sim:2026-12-01T08:59:50Z:1 >"$work/remote.log" 2>&1 &
pid=$!
seen "$work/remote.log" "event=adopted commit=${c1:0:12}" 20 || not_ok "the service starts" "$(cat "$work/remote.log")"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=
printf 'x\n' >"$work/wc/extra.txt"
c2=$(push "while the remote is away")
kill -HUP "$pid"; sleep 1; kill -HUP "$pid"; sleep 1; kill -HUP "$pid"
if seen "$work/remote.log" "event=fetch_failed commit=${c1:0:12}" 10 &&
  [ "$(grep -c "event=fetch_failed" "$work/remote.log")" -eq 1 ]; then
  ok "the remote away: said once, with the reason, for three tries"
else not_ok "the remote away: said once, with the reason, for three tries" "$(cat "$work/remote.log")"; fi
for _ in $(seq 300); do # 09:00 on the simulated clock is 10 s after its start
  sent=$(ls "$work/remote-state/outbox"/*/*.json 2>/dev/null | wc -l)
  [ "$sent" -ge 6 ] && break
  sleep 0.1
done
if [ "$sent" -eq 6 ]; then ok "publishing went on from the last adopted commit"; else not_ok "publishing went on from the last adopted commit" "$sent files"; fi
daemon
kill -HUP "$pid"
if seen "$work/remote.log" "event=adopted commit=${c2:0:12}" 10 && grep -q "event=fetch_recovered failures=3" "$work/remote.log"; then
  ok "the remote back: the new commit is adopted, and that is said"
else not_ok "the remote back: the new commit is adopted, and that is said" "$(tail -5 "$work/remote.log")"; fi

# -- SIGTERM in the middle of a reload ---------------------------------------------------
python3 "$src/tests/bench/gen-tree.py" "$work/wc-big" 2000 >/dev/null
cp -a "$work/wc-big/." "$work/wc/" && c3=$(push "many posts")
kill -HUP "$pid"
sleep 0.2
kill -TERM "$pid"; wait "$pid"; status=$?
pid=
if [ "$status" -eq 0 ] && grep -q "stopping once the requests in flight are answered" "$work/remote.log"; then
  ok "SIGTERM during a reload: a clean stop (exit 0)"
else not_ok "SIGTERM during a reload: a clean stop (exit 0)" "exit $status" "$(tail -5 "$work/remote.log")"; fi
if "$jade" history --config "$work/remote.json" --format json >"$work/remote-history.json" &&
  python3 -c "
import json, sys
rows = json.load(open('$work/remote-history.json'))
assert sum(r['state'] == 'sent' for r in rows) == 6, 'sent'
assert not [r for r in rows if r['state'] == 'sending'], 'sending left'"; then
  ok "the ledger is whole after it: the six sent, nothing left sending"
else not_ok "the ledger is whole after it: the six sent, nothing left sending"; fi

# -- the horizon moves on while the tip waits -----------------------------------------------
# A broken commit waits; the plan must still reach further as days pass
# (two days of horizon, four simulated days).
git init -q -b main "$work/hz" && tap_example "$work/hz"
python3 - "$work/hz" <<'PY'
import json, sys, datetime
t = datetime.datetime(2026, 12, 1, 9, 0)
at = [(t + datetime.timedelta(days=d, hours=h)).strftime("%Y-%m-%dT%H:%M") for d in range(8) for h in (0, 6)]
json.dump({"id": "tick", "kind": "story", "authors": ["amb-mopti-02"], "schedule": {"at": at},
           "regions": ["mopti"]}, open(sys.argv[1] + "/vivre-ensemble/posts/tick.json", "w"))
open(sys.argv[1] + "/vivre-ensemble/posts/tick.fr.txt", "w").write("tick\n")
PY
git -C "$work/hz" add -A && git -C "$work/hz" commit -qm content
cat >"$work/hz.json" <<JSON
{"source": {"url": "$work/hz", "poll_seconds": 3600}, "horizon_days": 2, "state_dir": "$work/hz-state", "listen": "$work/hz-state.sock",
 "plugin_dir": "$work/plugins"}
JSON
"$jade" run --config "$work/hz.json" --once --clock sim:2026-12-01T08:00:00Z:1 >/dev/null 2>&1
printf '{"channels": [' >"$work/hz/channels.json" && git -C "$work/hz" commit -qam broken
"$jade" run --config "$work/hz.json" --clock sim:2026-12-01T08:00:00Z:14400 --until 2026-12-05T12:00:00Z >"$work/hz.log" 2>&1
"$jade" history --config "$work/hz.json" --format json >"$work/hz-history.json"
if grep -q "event=refused" "$work/hz.log" && python3 -c "
import json
rows = [r for r in json.load(open('$work/hz-history.json')) if r['post'] == 'tick']
sent = sorted(r['due'] for r in rows if r['state'] == 'sent')
assert sent and sent[-1] >= '2026-12-05', sent"; then
  ok "with the tip waiting, the plan still reaches further as days pass"
else not_ok "with the tip waiting, the plan still reaches further as days pass" "$(tail -5 "$work/hz.log")"; fi

# -- SIGTERM while a fetch hangs ------------------------------------------------------------------
python3 -c "
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(8); print(s.getsockname()[1], flush=True)
held = []
while True: held.append(s.accept()[0])" >"$work/hole.port" &
hole=$!
for _ in $(seq 50); do [ -s "$work/hole.port" ] && break; sleep 0.1; done
cat >"$work/hole.json" <<JSON
{"source": {"url": "git://127.0.0.1:$(cat "$work/hole.port")/content.git", "poll_seconds": 3600},
 "state_dir": "$work/remote-state", "listen": "$work/remote-state.sock", "plugin_dir": "$work/plugins"}
JSON
"$jade" run --config "$work/hole.json" --clock sim:2026-12-01T08:00:00Z:1 >"$work/hole.log" 2>&1 &
pid=$!
seen "$work/hole.log" "publishing from" 20 || not_ok "a hanging remote: the service starts from the last adoption" "$(cat "$work/hole.log")"
sleep 1
kill -HUP "$pid"; sleep 0.5; kill -TERM "$pid"
for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then not_ok "SIGTERM while a fetch hangs: stopped after its grace" "still running after 15 s"; kill -9 "$pid"
else ok "SIGTERM while a fetch hangs: stopped after its grace, saying why"; fi
pid=
kill "$hole" 2>/dev/null

# -- the state folder full -------------------------------------------------------------------
mkdir -p "$work/small"
if ! mount -t tmpfs -o size=8m tmpfs "$work/small" 2>/dev/null; then
  ok "# SKIP the state folder full: cannot mount a tmpfs here"
  kill "$daemon_pid" 2>/dev/null; daemon_pid=
  tap_done
  exit
fi
mounted=$work/small
mkdir -p "$work/many"
cp -a "$src/tests/bad/base/." "$work/many/"
python3 - "$work/many" <<'PY'
import json, os, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 10080}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [{"id": "target", "network": "outbox", "regions": ["gao"], "account": {"folder": "gao"}}]},
          open(os.path.join(root, "channels.json"), "w"))
for p in range(60):
    times = ["2026-12-02T%02d:%02d" % (8 + (p * 10 + k) // 60, (p * 10 + k) % 60) for k in range(10)]
    json.dump({"id": "p%02d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": times}}, open(os.path.join(root, "c1/posts/p%02d.json" % p), "w"))
    open(os.path.join(root, "c1/posts/p%02d.fr.txt" % p), "w").write("Texte %d.\n" % p)
PY
cat >"$work/full.json" <<JSON
{"source": {"dir": "$work/many"}, "state_dir": "$work/small/state", "listen": "$work/full.sock", "outbox_dir": "$work/full-outbox",
 "plugin_dir": "$work/plugins"}
JSON
# 600 occurrences a minute apart from 08:00, at 60x: ten a second.
"$jade" run --config "$work/full.json" --clock sim:2026-12-02T07:59:50Z:60 --until 2026-12-02T19:00:00Z >"$work/full.log" 2>&1 &
pid=$!
sleep 2
dd if=/dev/zero of="$work/small/fill" bs=64k 2>/dev/null # until the folder is full
wait "$pid"; status=$?
pid=
if [ "$status" -eq 1 ] && grep -qF "event=ledger_failed state_dir=$work/small/state error=\"the disk is full (" "$work/full.log" &&
  grep -qF "stopping; nothing was sent that it does not record" "$work/full.log"; then
  ok "the state folder full: the service says why (the disk is full) and stops (exit 1)"
else not_ok "the state folder full: the service says why (the disk is full) and stops (exit 1)" "exit $status" "$(tail -5 "$work/full.log")"; fi
rm -f "$work/small/fill"
"$jade" history --config "$work/full.json" --format json >"$work/full-history.json" 2>"$work/full-history.err"
if python3 - "$work/full-history.json" "$work/full-outbox/gao" <<'PY' >"$work/full.py.out" 2>&1
import json, os, sys
rows = {r["key"]: r for r in json.load(open(sys.argv[1]))}
published = [f[:-5] for f in os.listdir(sys.argv[2]) if f.endswith(".json")]
assert published, "nothing was published before the disk filled"
unrecorded = [k for k in published if rows[k]["state"] not in ("sending", "sent")]
assert not unrecorded, unrecorded
assert len(published) < 600, "the disk never filled"
print("# %d published before the disk filled, each recorded" % len(published))
PY
then ok "every publication that left has its durable record"; grep '^#' "$work/full.py.out"
else not_ok "every publication that left has its durable record" "$(cat "$work/full.py.out" "$work/full-history.err")"; fi
"$jade" run --config "$work/full.json" --once --clock sim:2026-12-02T19:00:00Z:1 >"$work/full2.log" 2>&1
"$jade" history --config "$work/full.json" --format json >"$work/full-history.json"
if python3 -c "
import json, collections
rows = json.load(open('$work/full-history.json'))
c = collections.Counter(r['state'] for r in rows)
assert c == {'sent': 600}, c"; then ok "room again, a restart finishes the day: 600 sent, none twice"
else not_ok "room again, a restart finishes the day: 600 sent, none twice" "$(tail -3 "$work/full2.log")"; fi
umount "$work/small" && mounted=
kill "$daemon_pid" 2>/dev/null; daemon_pid=
tap_done
