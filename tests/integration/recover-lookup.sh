#!/usr/bin/env bash
# Crash recovery's look-up (the test network "seeker", which can look a post
# up): a publication the service was sending when it was killed is looked
# up at the next start before anything is re-sent. Found: sent, with the id
# the look-up gave, nothing re-sent. Not found: sent again. Killed during
# the look-up itself: it stays `sending`, and the start after that looks
# again (it must not end `uncertain` for good).
# usage: recover-lookup.sh JADE SRCDIR SEEKER.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
seeker=$(realpath "$3")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
mkdir -p "$work/plugins" && cp "$seeker" "$work/plugins/"

# NAME ANSWERS: a content tree with one post due at 09:00 on one seeker
# channel whose publish attempts answer ANSWERS, and its configuration
setup() {
  mkdir -p "$work/$1/content" && cp -a "$src/tests/bad/base/." "$work/$1/content/"
  python3 - "$work/$1/content" "$2" <<'PY'
import json, os, sys
root, answers = sys.argv[1], sys.argv[2]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
json.dump({"channels": [{"id": "seek", "network": "seeker", "regions": ["gao"],
                         "account": {"answers": answers}}]},
          open(os.path.join(root, "channels.json"), "w"))
json.dump({"id": "p", "kind": "story", "authors": ["awa"], "regions": ["gao"],
           "schedule": {"at": ["2026-12-01T09:00"]}},
          open(os.path.join(root, "c1/posts/p.json"), "w"))
open(os.path.join(root, "c1/posts/p.fr.txt"), "w").write("Bonjour.\n")
PY
  cat >"$work/$1/config.json" <<JSON
{"source": {"dir": "$work/$1/content"}, "state_dir": "$work/$1/state", "plugin_dir": "$work/plugins"}
JSON
}
# NAME [ENV...]: one --once run at 09:00:30 (simulated); its status in $status
run_once() {
  local name=$1; shift
  env "$@" "$jade" run --config "$work/$name/config.json" --once \
    --clock sim:2026-12-01T09:00:30Z:1 >>"$work/$name/run.out" 2>&1
  status=$?
}
# NAME FIELD: the post's ledger row's FIELD (state, attempts, network_id)
row() {
  "$jade" history --config "$work/$1/config.json" --format json 2>>"$work/$1/run.out" |
    python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['post']=='p']; print(r[0].get(sys.argv[1]) if len(r)==1 else 'rows: %d' % len(r))" "$2"
}
lookups() { wc -l <"$work/$1/state/plugins/seeker/lookups.log" 2>/dev/null || echo 0; }

# -- found: sent with the look-up's id, nothing re-sent ------------------------
setup found "crash,sent"
run_once found
if [ "$status" -eq 137 ] && [ "$(row found state)" = sending ]; then ok "killed inside publish: the ledger says sending"
else not_ok "killed inside publish: the ledger says sending" "exit $status, state $(row found state)" "$(tail -n 5 "$work/found/run.out")"; fi
run_once found SEEKER_LOOKUP=found
if [ "$status" -eq 0 ] && [ "$(row found state)" = sent ] && [ "$(lookups found)" -eq 1 ] &&
  [ "$(row found network_id)" = "seeker-$(row found key | cut -c1-8)" ] && [ "$(row found attempts)" = 1 ]; then
  ok "the next start looks it up: found, sent with the look-up's id, not re-sent"
else not_ok "the next start looks it up: found, sent with the look-up's id, not re-sent" \
  "exit $status, state $(row found state), id $(row found network_id), attempts $(row found attempts), lookups $(lookups found)" \
  "$(tail -n 5 "$work/found/run.out")"; fi

# -- not found: sent again -----------------------------------------------------------
setup missing "crash,sent"
run_once missing
run_once missing SEEKER_LOOKUP=missing
if [ "$status" -eq 0 ] && [ "$(row missing state)" = sent ] && [ "$(lookups missing)" -eq 1 ] &&
  [ "$(row missing network_id)" = "faulty-$(row missing key | cut -c1-8)" ]; then
  ok "not found by the look-up: sent again"
else not_ok "not found by the look-up: sent again" \
  "exit $status, state $(row missing state), id $(row missing network_id), lookups $(lookups missing)" \
  "$(tail -n 5 "$work/missing/run.out")"; fi

# -- killed during the look-up: the next start looks again ------------------------
setup twice "crash,sent"
run_once twice
run_once twice SEEKER_LOOKUP=crash
if [ "$status" -eq 137 ] && [ "$(lookups twice)" -eq 1 ] && [ "$(row twice state)" = sending ]; then
  ok "killed inside the look-up: still sending"
else not_ok "killed inside the look-up: still sending" \
  "exit $status, state $(row twice state), lookups $(lookups twice)" "$(tail -n 5 "$work/twice/run.out")"; fi
run_once twice SEEKER_LOOKUP=found
if [ "$status" -eq 0 ] && [ "$(lookups twice)" -eq 2 ] && [ "$(row twice state)" = sent ]; then
  ok "the start after that looks again, and finds it"
else not_ok "the start after that looks again, and finds it" \
  "exit $status, state $(row twice state), lookups $(lookups twice)" "$(tail -n 5 "$work/twice/run.out")"; fi

tap_done
