#!/usr/bin/env bash
# The state folder's ledger and what it is sure of: a ledger truncated to
# nothing, missing, another folder's, or with a damaged write-ahead log
# once made the service start afresh and send again what it had sent; the
# folder's marker (ledger.id) now refuses that, with what to do, unless the
# operator says --new-ledger. Ledger failures say their cause (corrupt,
# read-only), and a recovery that cannot be written says so. Against the
# fake webhook receiver, which logs every request, on the simulated clock.
# usage: state-folder.sh JADE SRCDIR WEBHOOK.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
webhook=$(realpath "$3")
work=$(tap_workdir)
fake= hang=
cleanup() {
  [ -n "$fake" ] && kill "$fake" 2>/dev/null
  [ -n "$hang" ] && kill "$hang" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$webhook" "$work/plugins/"
secret=$(tap_secret "$work/secrets/hook")
# A receiver that answers at once, logging every request.
python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/hook.log" \
  --port-file "$work/port" &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
requests() { [ -f "$work/hook.log" ] && wc -l <"$work/hook.log" || echo 0; }

# Four posts of ten times each, a minute apart from 08:00: 40 occurrences.
mkdir -p "$work/tree" && cp -a "$src/tests/bad/base/." "$work/tree/"
python3 - "$work/tree" "$port" <<'PY'
import json, os, sys
root, port = sys.argv[1], sys.argv[2]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 600}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
json.dump({"channels": [{"id": "hook-gao", "network": "webhook", "regions": ["gao"], "secret": "hook",
                         "account": {"url": "http://127.0.0.1:%s/gao" % port}}]},
          open(os.path.join(root, "channels.json"), "w"))
for p in range(4):
    times = ["2026-12-02T08:%02d" % (p * 10 + k) for k in range(10)]
    json.dump({"id": "p%02d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": times}}, open(os.path.join(root, "c1/posts/p%02d.json" % p), "w"))
    open(os.path.join(root, "c1/posts/p%02d.fr.txt" % p), "w").write("Texte %d.\n" % p)
PY
config() { # NAME: a configuration whose state folder is $work/NAME
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/tree"}, "state_dir": "$work/$1", "listen": "$work/$1.sock", "plugin_dir": "$work/plugins",
 "secrets_dir": "$work/secrets", "networks": {"webhook": {"timeout_ms": 60000}},
 "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://127.0.0.1:$port/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
JSON
}
# The rest of the morning, at once: what is due goes, then the run ends.
restart() { # NAME [OPTION]
  "$jade" run --config "$work/$1.json" --once --clock sim:2026-12-02T08:45:00Z:1 ${2:+"$2"} >"$work/$1.out" 2>&1
}
ledger_id() { python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT id FROM identity').fetchone()[0])" "$1/ledger.sqlite"; }

# -- a first start: 31 sent, and the marker names the ledger ------------------
config day
"$jade" run --config "$work/day.json" --clock sim:2026-12-02T07:59:00Z:600 --until 2026-12-02T08:30:30Z >"$work/day.out" 2>&1 ||
  not_ok "the first run ends well" "$(tail -3 "$work/day.out")"
id=$(ledger_id "$work/day")
if [ "$(requests)" -eq 31 ] && [ "$(cat "$work/day/ledger.id")" = "$id" ] && [ ${#id} -eq 32 ]; then
  ok "a fresh state folder starts: 31 sent, and ledger.id names the ledger's id"
else not_ok "a fresh state folder starts: 31 sent, and ledger.id names the ledger's id" "$(requests) requests, id $id, marker $(cat "$work/day/ledger.id")"; fi

refused() { # NAME WHAT FRAGMENT: the restart refused (exit 2) with FRAGMENT, nothing sent
  local before
  before=$(requests)
  restart "$1"
  local rc=$?
  if [ "$rc" -eq 2 ] && grep -qF -- "$3" "$work/$1.out" && [ "$(requests)" -eq "$before" ]; then ok "$2"
  else not_ok "$2" "exit $rc, $(($(requests) - before)) request(s)" "$(cat "$work/$1.out")"; fi
}
copy_state() { rm -rf "$work/$1" && cp -a "$work/day" "$work/$1" && config "$1"; }

# -- truncated to nothing ---------------------------------------------------------
copy_state empty
: >"$work/empty/ledger.sqlite"
refused empty "a ledger truncated to 0 bytes is refused, nothing sent again" \
  "ledger.sqlite is empty, but this state folder held a ledger (ledger.id names $id)"
if grep -qF "put it back from a backup" "$work/empty.out" && grep -qF "jade run --new-ledger" "$work/empty.out" &&
  [ ! -s "$work/empty/ledger.sqlite" ]; then ok "the refusal says what to do, and leaves the ledger as it was"
else not_ok "the refusal says what to do, and leaves the ledger as it was" "$(cat "$work/empty.out")"; fi
before=$(requests)
restart empty --new-ledger
new=$(ledger_id "$work/empty")
if grep -qF -- "event=new_ledger state_dir=$work/empty ledger=$new replaced=$id msg=\"--new-ledger: what the replaced ledger recorded is not known to this one\"" "$work/empty.out" &&
  [ "$(cat "$work/empty/ledger.id")" = "$new" ] && [ "$new" != "$id" ]; then
  ok "--new-ledger starts a new ledger, says so, and the marker names it"
else not_ok "--new-ledger starts a new ledger, says so, and the marker names it" "$(cat "$work/empty.out")"; fi
if restart empty && ! grep -q "new-ledger" "$work/empty.out"; then ok "and the next start takes it without a word"
else not_ok "and the next start takes it without a word" "$(cat "$work/empty.out")"; fi

# -- missing; another folder's --------------------------------------------------------
copy_state missing
rm "$work/missing/ledger.sqlite"
refused missing "a missing ledger is refused, nothing sent again" "ledger.sqlite is missing, but this state folder held a ledger"
copy_state swapped
cp "$work/empty/ledger.sqlite" "$work/swapped/ledger.sqlite"
refused swapped "another folder's ledger is refused, naming both ids" \
  "ledger.sqlite is not the ledger this state folder held (ledger.id names $id; this one is $new)"

# -- garbage in the write-ahead log of a killed run ---------------------------------------
copy_state wal
before=$(requests)
"$jade" run --config "$work/wal.json" --clock sim:2026-12-02T08:30:30Z:60 --until 2026-12-02T09:00:00Z >"$work/wal-run.out" 2>&1 &
pid=$!
for _ in $(seq 300); do [ "$(requests)" -ge "$((before + 2))" ] && break; sleep 0.05; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
if [ -s "$work/wal/ledger.sqlite-wal" ]; then ok "a killed run leaves its changes in the write-ahead log"
else not_ok "a killed run leaves its changes in the write-ahead log" "$(ls -l "$work/wal")"; fi
head -c 65536 /dev/urandom >"$work/wal/ledger.sqlite-wal"
refused wal "a write-ahead log of garbage is refused, nothing sent again" \
  "ledger.sqlite-wal, the ledger's write-ahead log, is damaged"
if grep -qF "move the log aside (mv $work/wal/ledger.sqlite-wal $work/wal/ledger.sqlite-wal.damaged)" "$work/wal.out"; then
  ok "the refusal says what to do"
else not_ok "the refusal says what to do" "$(cat "$work/wal.out")"; fi

# -- a corrupt ledger --------------------------------------------------------------------
copy_state corrupt
printf 'this is no database%.0s' $(seq 200) | dd of="$work/corrupt/ledger.sqlite" conv=notrunc 2>/dev/null
refused corrupt "a corrupt ledger is refused, saying so" "the ledger is corrupt (file is not a database): put it back from a backup"

# -- a recovery that cannot be written ------------------------------------------------------
# Killed while sending: the receiver never answers (within the minute the
# service waits).
copy_state recover
python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/hang.log" \
  --port-file "$work/hang.port" --hang-rate 1 &
hang=$!
for _ in $(seq 100); do [ -s "$work/hang.port" ] && break; sleep 0.05; done
sed -i "s/127.0.0.1:$port/127.0.0.1:$(cat "$work/hang.port")/" "$work/tree/channels.json" "$work"/*.json
"$jade" run --config "$work/recover.json" --once --clock sim:2026-12-02T08:45:00Z:1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
  "$jade" history --config "$work/recover.json" --format json 2>/dev/null | grep -q '"state": "sending"' && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
kill "$hang"
hang=
sed -i "s/127.0.0.1:$(cat "$work/hang.port")/127.0.0.1:$port/" "$work/tree/channels.json" "$work"/*.json
# The ledger refuses to change what is `sending` (as a full disk would).
python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute(\"CREATE TRIGGER hold BEFORE UPDATE ON occurrences WHEN OLD.state = 'sending' BEGIN SELECT RAISE(FAIL, 'held by the test'); END\")
db.commit()" "$work/recover/ledger.sqlite"
before=$(requests)
restart recover
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "1 publication(s) were being sent when the service stopped, and their recovery cannot be written to the ledger in $work/recover: held by the test: not recovered, nothing sent" "$work/recover.out" &&
  ! grep -q "event=recovered" "$work/recover.out" && [ "$(requests)" -eq "$before" ]; then
  ok "a recovery that cannot be written says so, with the cause, and sends nothing"
else not_ok "a recovery that cannot be written says so, with the cause, and sends nothing" "exit $rc" "$(cat "$work/recover.out")"; fi
python3 -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('DROP TRIGGER hold'); db.commit()" "$work/recover/ledger.sqlite"
if restart recover && grep -qF "event=recovered count=1 " "$work/recover.out"; then
  ok "written again, the next start recovers it"
else not_ok "written again, the next start recovers it" "$(cat "$work/recover.out")"; fi

# -- a read-only ledger ------------------------------------------------------------------------
# (nobody must reach jade too: not so where the checkout is in /root and
# jade is a script there, as in the secrets sweep)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null &&
  as_nobody "$jade" --version >/dev/null 2>&1; then
  copy_state readonly
  chmod 755 "$work" && chmod -R a+rX "$work/tree" "$work/plugins" "$work/readonly.json"
  chown -R nobody "$work/readonly" "$work/secrets"
  chmod 444 "$work/readonly/ledger.sqlite"
  as_nobody "$jade" run --config "$work/readonly.json" --once \
    --clock sim:2026-12-02T08:45:00Z:1 >"$work/readonly.out" 2>&1
  rc=$?
  chown -R root "$work/secrets"
  if [ "$rc" -eq 1 ] && grep -qF "cannot write the ledger in $work/readonly: the ledger is read-only (its file, its folder or its disk refuses writes)" "$work/readonly.out"; then
    ok "a read-only ledger: the service says so"
  else not_ok "a read-only ledger: the service says so" "exit $rc" "$(cat "$work/readonly.out")"; fi
else
  ok "# SKIP a read-only ledger: needs root, setpriv and a user nobody who can run $jade"
fi

# -- a ledger from before markers ----------------------------------------------------------------
copy_state older
rm "$work/older/ledger.id"
if restart older && [ "$(cat "$work/older/ledger.id")" = "$id" ]; then
  ok "a ledger without a marker (an older jade's) is taken, and the marker written"
else not_ok "a ledger without a marker (an older jade's) is taken, and the marker written" "$(cat "$work/older.out")"; fi
tap_done
