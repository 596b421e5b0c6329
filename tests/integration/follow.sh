#!/usr/bin/env bash
# The service follows the approved branch while it runs: new, edited and
# removed posts, a paused campaign, a removed channel, a force-push, an
# invalid commit (one campaign broken: the others adopted; a root file
# broken: the last good commit kept), SIGHUP and polling, and a restart on
# an invalid tip. Changes are checked in the ledger (jade history).
# usage: follow.sh JADE SRCDIR OUTBOX.so. Prints TAP.
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
# a second channel for Gao, which a commit below removes
python3 - "$repo/channels.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["channels"].append({"id": "outbox-gao-2", "network": "outbox", "regions": ["gao"],
                      "account": {"folder": "gao-2"}})
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
commit() { git -C "$repo" add -A && git -C "$repo" -c user.name=test -c user.email=test@localhost commit -qm "$1" && git -C "$repo" rev-parse HEAD; }
first=$(commit content)
cat >"$work/config.json" <<JSON
{"source": {"url": "$repo", "branch": "main", "poll_seconds": 5}, "state_dir": "$work/state", "listen": "$work/state.sock", "plugin_dir": "$work/plugins"}
JSON
history() { "$jade" history --config "$work/config.json" --format json >"$work/history.json"; }
check() { # NAME PYTHON (rows: the history; by_post(post): its rows)
  history
  if python3 - "$work/history.json" <<PY >"$work/py.out" 2>&1
import json, sys, collections
rows = json.load(open(sys.argv[1]))
def by_post(p): return [r for r in rows if r["post"] == p]
$2
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
# seen COMMIT WORDS SECONDS: the service's log names the commit with WORDS
seen() {
  local short=${1:0:12}
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "$2=$short" "$work/run.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
reload() { # COMMIT WORDS: SIGHUP, then wait for the log
  kill -HUP "$pid"
  seen "$1" "$2" 20
}

# 08:00 on 1 December, real speed: nothing falls due for an hour.
"$jade" run --config "$work/config.json" --clock sim:2026-12-01T08:00:00Z:1 >"$work/run.log" 2>&1 &
pid=$!
if seen "$first" "event=adopted commit" 20; then ok "the service starts on the branch's tip"; else not_ok "the service starts on the branch's tip" "$(cat "$work/run.log")"; fi

# -- a new post -------------------------------------------------------------------
cat >"$repo/vivre-ensemble/posts/nouvelle.json" <<'JSON'
{"id": "nouvelle", "kind": "story", "authors": ["amb-mopti-02"],
 "schedule": {"at": ["2026-12-03T09:30"]}, "regions": ["mopti"]}
JSON
printf 'Une nouvelle histoire.\n' >"$repo/vivre-ensemble/posts/nouvelle.fr.txt"
c=$(commit "a new post")
if reload "$c" "event=adopted commit"; then ok "SIGHUP: the new commit is adopted"; else not_ok "SIGHUP: the new commit is adopted" "$(tail "$work/run.log")"; fi
if grep -q "level=info .*event=fetched from=$first to=$c " "$work/run.log"; then ok "the fetch that moved the tip is logged: from, to"
else not_ok "the fetch that moved the tip is logged: from, to" "$(tail "$work/run.log")"; fi
if kill -0 "$pid" 2>/dev/null; then ok "SIGHUP does not stop the service"; else not_ok "SIGHUP does not stop the service"; fi
check "a new post is planned, from the new commit" "
r = by_post('nouvelle')
assert len(r) == 1 and r[0]['state'] == 'planned' and r[0]['commit'] == '$c', r"

# -- a post removed -----------------------------------------------------------------
git -C "$repo" rm -q vivre-ensemble/posts/marche-partage.json vivre-ensemble/posts/marche-partage.fr.txt vivre-ensemble/posts/marche-partage.bm.txt
c=$(commit "remove a post")
reload "$c" "event=adopted commit" || not_ok "post removed: adopted" "$(tail "$work/run.log")"
check "a removed post's occurrences are cancelled, saying why" "
r = by_post('marche-partage')
assert r and all(x['state'] == 'cancelled' and x['reason'] == 'post removed' for x in r), r"

# -- a campaign paused, then active again -----------------------------------------------
sed -i 's/"status": "active"/"status": "paused"/' "$repo/vivre-ensemble/campaign.json"
c=$(commit "pause")
reload "$c" "event=adopted commit" || not_ok "paused: adopted" "$(tail "$work/run.log")"
check "a paused campaign's occurrences are cancelled" "
r = [x for x in rows if x['campaign'] == 'vivre-ensemble' and x['post'] != 'marche-partage']
assert r and all(x['state'] == 'cancelled' and x['reason'] == 'campaign paused' for x in r), r"
sed -i 's/"status": "paused"/"status": "active"/' "$repo/vivre-ensemble/campaign.json"
c=$(commit "resume")
reload "$c" "event=adopted commit" || not_ok "resumed: adopted" "$(tail "$work/run.log")"
check "active again, the ones still ahead are planned again" "
r = by_post('nouvelle')
assert r and all(x['state'] == 'planned' for x in r), r"

# -- a channel removed ---------------------------------------------------------------------
python3 - "$repo/channels.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["channels"] = [c for c in d["channels"] if c["id"] != "outbox-gao-2"]
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
c=$(commit "remove a channel")
reload "$c" "event=adopted commit" || not_ok "channel removed: adopted" "$(tail "$work/run.log")"
check "a removed channel's occurrences are cancelled" "
r = [x for x in rows if x['channel'] == 'outbox-gao-2']
assert r and all(x['state'] == 'cancelled' and x['reason'] == 'channel removed' for x in r), r"

# -- one campaign broken: the others are adopted, it is kept as it was ---------------------
before=$c
printf '{"id": "vivre-ensemble", "status": "active"' >"$repo/vivre-ensemble/campaign.json"
cat >"$repo/verifier-avant-de-partager/posts/autre.json" <<'JSON'
{"id": "autre", "kind": "story", "authors": ["amb-kayes-01"],
 "schedule": {"at": ["2026-12-03T09:30"]}, "regions": ["kayes"]}
JSON
printf 'Autre chose.\n' >"$repo/verifier-avant-de-partager/posts/autre.fr.txt"
c=$(commit "break one campaign, add to another")
reload "$c" "event=adopted commit" || not_ok "one campaign broken: adopted" "$(tail "$work/run.log")"
if grep -q "event=kept campaign=vivre-ensemble commit=${before:0:12}" "$work/run.log"; then ok "the broken campaign is kept at its last good version, and said so"
else not_ok "the broken campaign is kept at its last good version, and said so" "$(tail "$work/run.log")"; fi
if grep -q "level=error .*event=diagnostic commit=$c file=vivre-ensemble/campaign.json line=" "$work/run.log"; then ok "the broken campaign's errors are logged with their file"
else not_ok "the broken campaign's errors are logged with their file" "$(tail "$work/run.log")"; fi
check "the other campaign's new post is planned; the broken one's stay planned" "
assert [x['state'] for x in by_post('autre')] == ['planned'], by_post('autre')
assert all(x['state'] == 'planned' for x in by_post('nouvelle')), by_post('nouvelle')"

# -- a root file broken: the whole commit waits ------------------------------------------
git -C "$repo" checkout -q "$before" -- vivre-ensemble/campaign.json
printf '{"channels": [' >"$repo/channels.json"
c=$(commit "break channels.json")
if reload "$c" "event=refused commit"; then ok "a broken channels.json: the commit is not adopted"; else not_ok "a broken channels.json: the commit is not adopted" "$(tail "$work/run.log")"; fi
check "nothing changed in the ledger" "
assert all(x['state'] == 'planned' for x in by_post('autre')), by_post('autre')"

# -- a restart on an invalid tip starts from the last good commit ------------------------------
kill -TERM "$pid"; wait "$pid"; status=$?
if [ "$status" -eq 0 ]; then ok "SIGTERM stops it cleanly"; else not_ok "SIGTERM stops it cleanly" "exit $status"; fi
"$jade" run --config "$work/config.json" --clock sim:2026-12-01T08:00:00Z:1 >"$work/run.log" 2>&1 &
pid=$!
if seen "$c" "event=refused commit" 20 && grep -q "publishing from" "$work/run.log" && kill -0 "$pid" 2>/dev/null; then
  ok "restarted on an invalid tip, it publishes from the last commit adopted"
else not_ok "restarted on an invalid tip, it publishes from the last commit adopted" "$(cat "$work/run.log")"; fi

# -- a force-push, seen by polling ---------------------------------------------------------------
git -C "$repo" reset -q --hard "$first"
if seen "$first" "event=adopted commit" 8; then ok "a force-push back to the first commit is followed, within poll_seconds"
else not_ok "a force-push back to the first commit is followed, within poll_seconds" "$(tail "$work/run.log")"; fi
check "what the rewritten history dropped is cancelled; what it restored is planned" "
assert all(x['state'] == 'cancelled' and x['reason'] == 'post removed' for x in by_post('nouvelle')), by_post('nouvelle')
assert all(x['state'] == 'planned' for x in by_post('marche-partage')), by_post('marche-partage')"

kill -TERM "$pid"; wait "$pid"
pid=
tap_done
