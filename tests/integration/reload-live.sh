#!/usr/bin/env bash
# A reload while the service runs: its queues follow what the reload
# changed, without reading the ledger back. One commit adds posts, moves
# one to another time (a new key: the old one is cancelled), removes one,
# and adds one that pushes another a minute later (min_gap_minutes); then
# the clock runs past all of their times: what is new or moved is sent
# once each, at its new time, not at its old; what was removed, never.
# usage: reload-live.sh JADE SRCDIR OUTBOX.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; tap_rm_work "$work"' EXIT
mkdir -p "$work/plugins" && cp "$outbox" "$work/plugins/"
repo=$work/repo
git init -q -b main "$repo" && tap_example "$repo"
posts=$repo/vivre-ensemble/posts
post() { # ID TIME: a post for Mopti at TIME on 1 December
  printf '{"id": "%s", "kind": "story", "authors": ["amb-mopti-02"], "schedule": {"at": ["2026-12-01T%s"]}, "regions": ["mopti"]}\n' "$1" "$2" >"$posts/$1.json"
  printf 'Texte de %s.\n' "$1" >"$posts/$1.fr.txt"
}
sed -i 's/"min_gap_minutes": 60/"min_gap_minutes": 2/' "$repo/jade.json"
post bouge 09:40
post annule 09:24
post decale 09:30
post temoin 09:44 # once it is sent, the times above have gone by
commit() { git -C "$repo" add -A && git -C "$repo" -c user.name=test -c user.email=test@localhost commit -qm "$1" && git -C "$repo" rev-parse HEAD; }
first=$(commit content)
cat >"$work/config.json" <<JSON
{"source": {"url": "$repo", "poll_seconds": 3600}, "state_dir": "$work/state", "listen": "$work/state.sock", "plugin_dir": "$work/plugins"}
JSON
wait_log() { # PATTERN SECONDS
  for _ in $(seq 1 $(($2 * 10))); do grep -q "$1" "$work/run.log" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# From 09:00, a minute each second: the reload below has 40 s before the
# first of these times that matters (the moved post's old one, 09:40).
"$jade" run --config "$work/config.json" --clock sim:2026-12-01T09:00:00Z:60 >"$work/run.log" 2>&1 &
pid=$!
if wait_log "event=adopted commit=${first:0:12}" 20; then ok "the service starts"; else not_ok "the service starts" "$(cat "$work/run.log")"; fi
post nouveau 09:20
post bouge 09:22
post avant 09:29 # decale, at 09:30, moves to 09:31
git -C "$repo" rm -q "vivre-ensemble/posts/annule.json" "vivre-ensemble/posts/annule.fr.txt"
c=$(commit "add, move, remove")
kill -HUP "$pid"
# (a post at another time has another key: the old one is cancelled)
if wait_log "event=adopted commit=${c:0:12}.* new=3 moved=1 back=0 cancelled=2 " 30; then ok "one reload: 3 new, 1 moved, 2 cancelled"
else not_ok "one reload: 3 new, 1 moved, 2 cancelled" "$(cat "$work/run.log")"; fi
for _ in $(seq 1 300); do # until the witness is sent (a minute each second: 44 s)
  "$jade" history --config "$work/config.json" --format json >"$work/history.json" 2>/dev/null &&
    python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if any(r["post"] == "temoin" and r["state"] == "sent" for r in rows) else 1)' "$work/history.json" && break
  sleep 0.5
done
kill -TERM "$pid"; wait "$pid"; pid=
"$jade" history --config "$work/config.json" --format json >"$work/history.json"
if python3 - "$work/history.json" <<'PY' >"$work/py.out" 2>&1
import json, sys
rows = json.load(open(sys.argv[1]))
def only(p, due):
    r = [x for x in rows if x["post"] == p and x["due"] == "2026-12-01T%s:00Z" % due]
    assert len(r) == 1, (p, rows)
    return r[0]
n = only("nouveau", "09:20")
assert n["state"] == "sent" and n["attempts"] == 1, n
b = only("bouge", "09:22")
assert b["state"] == "sent" and b["attempts"] == 1, b
old = only("bouge", "09:40")
assert old["state"] == "cancelled" and old["reason"] == "no longer in the plan" and old["attempts"] == 0, old
for p, due in (("avant", "09:29"), ("decale", "09:31")):
    x = only(p, due)
    assert x["state"] == "sent" and x["attempts"] == 1, x
assert not [x for x in rows if x["post"] == "decale" and x["due"] != "2026-12-01T09:31:00Z"], rows
a = only("annule", "09:24")
assert a["state"] == "cancelled" and a["reason"] == "post removed" and a["attempts"] == 0, a
PY
then ok "the new post and the moved one are sent once each, the moved one at its new time; the removed one is not"
else not_ok "the new post and the moved one are sent once each, the moved one at its new time; the removed one is not" "$(cat "$work/py.out")" "$(tail -n 20 "$work/run.log")"; fi
if [ ! -e "$work/state/outbox/mopti/$(python3 -c 'import json,sys; print([r["key"] for r in json.load(open(sys.argv[1])) if r["post"] == "annule"][0])' "$work/history.json").json" ]; then
  ok "nothing of the removed post in the outbox"
else not_ok "nothing of the removed post in the outbox"; fi
tap_done
