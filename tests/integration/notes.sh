#!/usr/bin/env bash
# Git notes (source.notes): what went out shows in `git log --notes=jade`
# of the content repository (a bare one, reached by file:// URL). Notes
# are derived from the ledger (a run with notes off is noted by the next),
# merged with notes others pushed, one line per event, sorted; missed and
# retracted occurrences get their lines; a push the server refuses is
# logged and publication goes on; the push goes to the configured URL
# only, whatever git config or content say; a folder source refuses notes.
# usage: notes.sh JADE SRCDIR OUTBOX.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
pid= daemon=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; tap_rm_work "$work"' EXIT
mkdir -p "$work/plugins" "$work/home" && cp "$outbox" "$work/plugins/"
export GIT_CONFIG_NOSYSTEM=1 HOME=$work/home
g() { git -c user.name=coach -c user.email=coach@localhost "$@"; }
wt=$work/wt
tap_example "$wt" && git init -q -b main "$wt"
# content that names another repository: it must not receive the notes
mkdir -p "$work/decoy.git" && git init -q --bare "$work/decoy.git"
printf '[submodule "x"]\n\tpath = x\n\turl = file://%s/decoy.git\n' "$work" >"$wt/.gitmodules"
g -C "$wt" add -A && g -C "$wt" commit -qm first
c1=$(git -C "$wt" rev-parse HEAD)
git clone -q --bare "$wt" "$work/content.git"
url=file://$work/content.git
g -C "$wt" remote add origin "$url"

config() { # NAME NOTES [URL]
  cat >"$work/$1.json" <<JSON
{"source": {"url": "${3:-$url}", "branch": "main", "notes": "$2", "poll_seconds": 5},
 "state_dir": "$work/state", "listen": "$work/$1.sock", "plugin_dir": "$work/plugins"}
JSON
}
# notes REPO COMMIT: its note under refs/notes/jade, or nothing
notes() { git -C "$1" notes --ref=jade show "$2" 2>/dev/null; }
# wait_for SECONDS COMMAND...: polls until COMMAND succeeds
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}

# -- a folder source cannot have notes --------------------------------------------
cat >"$work/dir.json" <<JSON
{"source": {"dir": "$wt", "notes": "local"}, "state_dir": "$work/dir-state", "plugin_dir": "$work/plugins"}
JSON
expect "notes with a folder source: refused at start, exit 2" 2 "git notes need a git source" -- \
  "$jade" run --config "$work/dir.json" --once --clock sim:2026-12-01T09:00:30Z:1

# -- notes off: nothing written, but the ledger keeps what the next run notes -------
config off off
expect "a first run, notes off, publishes at 09:00" 0 "" -- \
  "$jade" run --config "$work/off.json" --clock sim:2026-12-01T08:59:00Z:3000 --until 2026-12-01T09:30:00Z
if ! git -C "$work/state/content.git" rev-parse -q --verify refs/notes/jade >/dev/null; then ok "notes off: no refs/notes/jade in the mirror"
else not_ok "notes off: no refs/notes/jade in the mirror"; fi

# A coach's own note, pushed before the service's: the service merges it.
g clone -q "$url" "$work/coach"
g -C "$work/coach" notes --ref=jade add -m "coach: relu" "$c1" && git -C "$work/coach" push -q origin refs/notes/jade

# -- notes pushed while the service runs ----------------------------------------------
config push push
# git config of the service's user that would reroute the push elsewhere
g config --global "url.file://$work/decoy.git.insteadOf" "$url"
g config --global "url.file://$work/decoy.git.pushInsteadOf" "$url"
"$jade" run --config "$work/push.json" --clock sim:2026-12-01T09:59:30Z:10 >"$work/push.log" 2>&1 &
pid=$!
has_10() { notes "$work/content.git" "$c1" | grep -q " 2026-12-01T10:00:00Z sent "; }
if wait_for 90 has_10; then ok "the 10:00 publications are pushed as notes while the service runs"
else not_ok "the 10:00 publications are pushed as notes while the service runs" "$(tail -5 "$work/push.log")" "$(notes "$work/content.git" "$c1")"; fi
kill -TERM "$pid"; wait "$pid"; pid=
g config --global --remove-section "url.file://$work/decoy.git"
g clone -q "$url" "$work/look" && git -C "$work/look" fetch -q origin refs/notes/jade:refs/notes/jade
git -C "$work/look" log --notes=jade -1 "$c1" >"$work/log.txt"
if grep -q "^    [0-9a-f]\{32\} 2026-12-01T09:00:00Z sent campaign=verifier-avant-de-partager post=appel-a-verifier channel=outbox-gao network=outbox lang=fr id=[0-9a-f]\{32\} link=file://" "$work/log.txt"; then
  ok "git log --notes=jade in a clone: the 09:00 publication of the run with notes off, with its network, channel, language, id and link"
else not_ok "git log --notes=jade in a clone: the 09:00 publication of the run with notes off, with its network, channel, language, id and link" "$(cat "$work/log.txt")"; fi
if grep -q "coach: relu" "$work/log.txt"; then ok "the coach's own note is kept (theirs merged before the push)"
else not_ok "the coach's own note is kept (theirs merged before the push)" "$(cat "$work/log.txt")"; fi
sent=$(notes "$work/look" "$c1" | grep -c " sent ")
if [ "$sent" -eq 10 ]; then ok "each publication once: 6 at 09:00, 4 at 10:00"
else not_ok "each publication once: 6 at 09:00, 4 at 10:00" "$sent sent lines" "$(notes "$work/look" "$c1")"; fi
if notes "$work/look" "$c1" | LC_ALL=C sort -c; then ok "the note's lines are sorted"
else not_ok "the note's lines are sorted" "$(notes "$work/look" "$c1")"; fi
if ! git -C "$work/decoy.git" rev-parse -q --verify refs/notes/jade >/dev/null && ! ls "$work/decoy.git/refs/notes" 2>/dev/null | grep -q .; then
  ok "the push went to source.url only: git's insteadOf and the content's .gitmodules name another repository"
else not_ok "the push went to source.url only: git's insteadOf and the content's .gitmodules name another repository"; fi
if grep -q "event=notes_pushed" "$work/push.log"; then ok "the push is logged"
else not_ok "the push is logged" "$(tail -5 "$work/push.log")"; fi

# -- missed and retracted: later states, on the commit they came from ---------------
# appel-a-verifier retracted: its publications are removed from the outbox.
python3 - "$wt/verifier-avant-de-partager/posts/appel-a-verifier.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["retracted"] = {"reason": "erreur de date"}
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
g -C "$wt" commit -qam "retract appel-a-verifier" && git -C "$wt" push -q origin main
c2=$(git -C "$wt" rev-parse HEAD)
# On 2 December the service was down from 10:00 to 12:30: the 10:00 and 11:00
# publications are missed (catch-up 60 minutes). --once pushes what it noted.
expect "a single pass at 12:30 the next day" 0 "" -- \
  "$jade" run --config "$work/push.json" --once --clock sim:2026-12-02T12:30:00Z:1
notes "$work/content.git" "$c1" >"$work/c1.txt"
if grep -q " missed campaign=vivre-ensemble post=marche-partage channel=outbox-mopti .* reason=" "$work/c1.txt"; then ok "missed publications are noted with their reason (pushed by --once)"
else not_ok "missed publications are noted with their reason (pushed by --once)" "$(cat "$work/c1.txt")"; fi
retracted=$(grep -c " retracted campaign=verifier-avant-de-partager post=appel-a-verifier " "$work/c1.txt")
if [ "$retracted" -eq 10 ]; then ok "the retracted post's 10 publications: a retracted line each, on the commit they went out from"
else not_ok "the retracted post's 10 publications: a retracted line each, on the commit they went out from" "$retracted" "$(cat "$work/c1.txt")"; fi
if [ "$(grep -c . "$work/c1.txt")" -eq "$(sort -u "$work/c1.txt" | grep -c .)" ]; then ok "no line twice after three runs"
else not_ok "no line twice after three runs" "$(cat "$work/c1.txt")"; fi

# -- a push the server refuses ---------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$work" --export-all >"$work/daemon.log" 2>&1 &
daemon=$!
wait_for 30 git ls-remote "git://127.0.0.1:$port/content.git" >/dev/null 2>&1
rm -rf "$work/state"
config ro push "git://127.0.0.1:$port/content.git"
expect "read-only repository: the service publishes all the same (exit 0)" 0 "" -- \
  "$jade" run --config "$work/ro.json" --once --clock sim:2026-12-02T12:30:30Z:1
"$jade" run --config "$work/ro.json" --once --clock sim:2026-12-03T10:00:30Z:1 >"$work/ro.log" 2>&1
if grep -q "level=info .*event=published" "$work/ro.log" && grep -q "level=warning .*event=notes_push_failed reason=\"cannot push to git://" "$work/ro.log"; then
  ok "a refused push is logged as a warning, beside the publications"
else not_ok "a refused push is logged as a warning, beside the publications" "$(cat "$work/ro.log")" "$(cat "$work/daemon.log")"; fi
if notes "$work/state/content.git" "$c2" | grep -q " 2026-12-03T10:00:30Z sent campaign=verifier-avant-de-partager post=photo-retouchee "; then ok "the notes are kept in the mirror, to push later; the latest publications on the latest commit"
else not_ok "the notes are kept in the mirror, to push later; the latest publications on the latest commit" "$(git -C "$work/state/content.git" log --notes=jade -2 refs/remotes/origin/main)" "$(grep -v published "$work/ro.log")"; fi
tap_done
