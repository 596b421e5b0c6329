#!/usr/bin/env bash
# conformance.sh - one network's plugin through `jade run`, against that
# network's fake (tests/fakes/<network>.py), driven only by the fake
# contract (tests/fakes/README.md) and tests/fakes/<network>.json: publish
# text, media, the rate limit to the second, 5xx before and after the post
# exists, an auth failure, refused content, retraction, and SIGKILLs while
# publishing. What a network cannot do is checked against the plugin's own
# declaration (`jade plugins`), then skipped. The service runs on a
# simulated clock: at speed 1 where the fake's real time must match jade's
# (the rate limit), faster elsewhere. Prints TAP.
# A network's own cases (what only it does) go in conformance-<network>.sh,
# sourced after the common ones with the same helpers.
# usage: conformance.sh JADE SRCDIR NETWORK PLUGIN.so [KILLS]
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
network=$3
plugin=$(realpath "$4")
kills=${5:-20}
desc=$src/tests/fakes/$network.json
work=$(tap_workdir) && [ -d "$work" ] || { echo "Bail out! no work folder"; exit 1; }
fake_pid=
service_pid=
cleanup() {
  [ -n "$service_pid" ] && kill -9 "$service_pid" 2>/dev/null
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$plugin" "$work/plugins/"
chmod 700 "$work/secrets"

# -- the network's description and the plugin's declaration ---------------------
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))" "$desc" "$1"; }
python3 -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))['secret'] + '\n')" "$desc" >"$work/secrets/$network"
chmod 600 "$work/secrets/$network"
[ -n "${JADE_SWEEP_DIR:-}" ] && realpath "$work/secrets/$network" >>"$JADE_SWEEP_DIR/secret-files"
secret=$(cat "$work/secrets/$network")
# the network's other secret files ("secret_files": {name: content}), e.g. a list
python3 - "$desc" "$work/secrets" <<'PY'
import json, os, sys
for name, content in json.load(open(sys.argv[1])).get("secret_files", {}).items():
    path = os.path.join(sys.argv[2], name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(content)
PY
"$jade" plugins --plugin-dir "$work/plugins" >"$work/plugins.out" 2>&1
# its capabilities, as `jade plugins` words them (idempotency-key, delete, lookup, ...)
declared_caps=$(awk -v net="$network" '/^[^ ]/ {in_net = ($1 == net)} in_net && /capabilities:/' "$work/plugins.out")
declared() { printf '%s\n' "$declared_caps" | grep -qw -- "$1"; }
has() { # CAPABILITY: whether <network>.json lists it
  python3 -c "import json,sys; sys.exit(sys.argv[2] not in json.load(open(sys.argv[1]))['capabilities'])" "$desc" "$1"
}
caps_ok=1
for cap in delete lookup idempotency; do
  word=$cap
  [ $cap = idempotency ] && word=idempotency-key
  # a plugin's own journal makes a repeat safe too (it declares the key)
  if has $cap || { [ $cap = idempotency ] && has journal; }; then declared "$word" || caps_ok=0
  else ! declared "$word" || caps_ok=0; fi
done
if [ $caps_ok = 1 ]; then ok "$network: the plugin declares what $network.json says it can do ($(field capabilities))"
else not_ok "$network: the plugin declares what $network.json says it can do" "$(field capabilities)" "$(cat "$work/plugins.out")"; fi
# no look-up and no idempotency on the network's side: an unsure send
# stays uncertain, never re-sent (a plugin's journal of its own skips it)
if has lookup || has idempotency; then resend=1; else resend=0; fi

# -- the fake ------------------------------------------------------------------------
python3 "$src/tests/fakes/$network.py" --port-file "$work/fake.port" --record "$work/record.jsonl" \
  2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 200); do [ -f "$work/fake.port" ] && break; sleep 0.05; done
port=$(cat "$work/fake.port" 2>/dev/null) || { not_ok "the fake starts" "$(cat "$work/fake.err")"; tap_done; exit; }
api=http://127.0.0.1:$port
faults() { curl -sf -X POST --data-binary "$1" "$api/_fake/faults" >/dev/null; }
python3 "$src"/tests/fakes/pixel-png.py "$work/pixel.png" # a one-pixel PNG

# -- a content tree and a service per case ------------------------------------------
# make_case NAME SPEC...: a tree with one channel of the network and a post
# per SPEC "ID:MEDIA" (MEDIA pictures), its text "conformance NAME ID
# <random>", all due at 09:00 on 2026-12-02; the service configuration.
run_id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
make_case() {
  local name=$1; shift
  rm -rf "$work/$name-tree" && mkdir -p "$work/$name-tree" && cp -a "$src/tests/bad/base/." "$work/$name-tree/"
  python3 - "$work" "$name" "$desc" "$api" "$run_id" "$@" <<'PY'
import json, os, shutil, sys
work, name, desc, api, run_id, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
d = json.load(open(desc))
root = "%s/%s-tree" % (work, name)
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 10080}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
channel = "%s-gao" % d["network"]
# An account that names its server (Mastodon's instance) names the fake:
# "{api_base}" in it is the fake's address, and the secret's binding allows it.
account = json.loads(json.dumps(d["account"]).replace("{api_base}", api))
binding = {"channels": [channel]}
if account != d["account"]:
    binding["url_prefixes"] = [api + "/"]
json.dump({"channels": [{"id": channel, "network": d["network"], "regions": ["gao"],
                         "languages": ["fr"], "secret": d["network"], "account": account}]},
          open(os.path.join(root, "channels.json"), "w"))
for spec in specs:
    pid, media = spec.split(":")
    post = {"id": pid, "kind": "story", "authors": ["awa"], "regions": ["gao"],
            "schedule": {"at": ["2026-12-02T09:00:00Z"]}}
    if int(media):
        post["media"] = []
        for i in range(int(media)):
            shutil.copy(work + "/pixel.png", os.path.join(root, "c1/media/%s-%d.png" % (pid, i)))
            post["media"].append({"file": "media/%s-%d.png" % (pid, i), "alt": {"fr": "Un point"}})
    json.dump(post, open(os.path.join(root, "c1/posts/%s.json" % pid), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % pid), "w").write(
        "conformance %s %s %s\n" % (name, pid, run_id))
settings = dict(d.get("settings") or {})
settings["api_base"] = api
json.dump({"source": {"dir": root}, "state_dir": "%s/%s-state" % (work, name),
           "listen": "%s/%s.sock" % (work, name), "plugin_dir": work + "/plugins",
           "secrets_dir": work + "/secrets", "networks": {d["network"]: settings},
           "retry": {"base_seconds": 2, "max_seconds": 10, "max_attempts": 8},
           "bindings": {d["network"]: binding},
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"), indent=1)
PY
  mark=$(wc -l <"$work/record.jsonl")
  quiet
}
# quiet: until the fake holds nothing back (GET /_fake/quiet), so that a
# limit the last case met (WhatsApp's pair limit, a rate limit) is not
# this case's early request
quiet() {
  local deadline=$((SECONDS + 120))
  until python3 -c "import json,sys; sys.exit(json.load(sys.stdin)['seconds'] > 0)" \
    < <(curl -sf "$api/_fake/quiet" || echo '{"seconds": 0}'); do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
  done
}
# start NAME SPEED: the service in the background, on a simulated clock
# starting a second before the posts are due.
start() {
  "$jade" run --config "$work/$1.json" --clock "sim:2026-12-02T08:59:59Z:$2" >>"$work/$1.out" 2>&1 &
  service_pid=$!
}
stop() {
  [ -n "$service_pid" ] || return 0
  kill -TERM "$service_pid" 2>/dev/null
  wait "$service_pid" 2>/dev/null
  service_pid=
}
# state NAME: the ledger (rows), the fake's record since the case began
# (record), what is live (posts); judge NAME PYTHON: whether PYTHON holds
# of them (its last failure left in $work/poll.out).
state() {
  "$jade" history --config "$work/$1.json" --format json >"$work/$1-history.json" 2>/dev/null
  tail -n +"$((mark + 1))" "$work/record.jsonl" >"$work/$1-record.jsonl"
  curl -sf "$api/_fake/posts" >"$work/$1-posts.json"
}
judge() {
  python3 - "$work/$1-history.json" "$work/$1-record.jsonl" "$work/$1-posts.json" "$work/$1.out" <<PY >"$work/poll.out" 2>&1
import collections, json, sys
try:
    rows = json.load(open(sys.argv[1]))
except ValueError:
    rows = []
record = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
posts = json.load(open(sys.argv[3]))
log = open(sys.argv[4], errors="replace").read()
states = collections.Counter(r["state"] for r in rows)
creates = [e for e in record if e["op"] == "create"]
# the creates the network took: the post exists, whatever the answer said
# (a refused one, a limit's, may carry its text too)
accepted = [e for e in creates
            if 200 <= e["status"] < 300 or 200 <= e.get("created_status", 0) < 300]
live_texts = collections.Counter(p["text"].strip() for p in posts["live"])
def text_of(row):
    return "conformance %s %s $run_id" % ("$1", row["post"])
$2
PY
}
# until_ok NAME SECONDS PYTHON [EVENTS COUNT]: first, cheaply, until the
# service's log holds COUNT lines matching the extended regex EVENTS; then
# until PYTHON holds of the whole state.
until_ok() {
  local deadline=$((SECONDS + $2))
  if [ $# -ge 5 ]; then
    while [ "$(grep -cE -- "$4" "$work/$1.out" 2>/dev/null)" -lt "$5" ] && [ $SECONDS -lt $deadline ]; do
      sleep 0.1
    done
  fi
  while :; do
    state "$1"
    judge "$1" "$3" && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
check() { # TITLE NAME PYTHON: a TAP case on the last state
  state "$2"
  if judge "$2" "$3"; then ok "$1"; grep '^#' "$work/poll.out"; else not_ok "$1" "$(cat "$work/poll.out")" "$(tail -n 5 "$work/$2.out")"; fi
}
# CONFORMANCE_ONLY="rate after ...": only those cases (text media rate
# before after auth refuse extra crash), for a quicker turn while writing a
# plugin; the suite itself runs them all.
only() { [ -z "${CONFORMANCE_ONLY:-}" ] || [[ " $CONFORMANCE_ONLY " == *" $1 "* ]]; }
settled='assert rows and all(r["state"] not in ("planned", "sending", "retrying") for r in rows), states'
# what the log says when an occurrence settles
final='event=(published|failed|uncertain|missed) '

# -- 1. text ---------------------------------------------------------------------------
if only text; then
make_case text p1:0
start text 20
until_ok text 60 "$settled" "$final" 1
stop
check "publish text: live on the network with its text; the ledger says sent, with the network's id" text '
assert states == {"sent": 1}, (states, rows)
row = rows[0]
assert len(creates) == 1 and 200 <= creates[0]["status"] < 300, creates
assert creates[0]["text"].startswith(text_of(row)), (creates[0]["text"], text_of(row))
assert row["network_id"] == creates[0]["id"], (row["network_id"], creates[0]["id"])
assert any(p["id"] == row["network_id"] and p["text"].startswith(text_of(row)) for p in posts["live"]), posts'

# -- 8. retraction (of the text just published) ------------------------------------------
python3 - "$work/text-tree/c1/posts/p1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["retracted"] = {"reason": "une erreur"}
json.dump(d, open(sys.argv[1], "w"))
PY
mark=$(wc -l <"$work/record.jsonl")
if has delete; then
  start text 20
  until_ok text 60 'assert states == {"retracted": 1}, states' 'event=removed ' 1
  stop
  check "retraction: the post is deleted on the network; the ledger says retracted" text '
assert states == {"retracted": 1}, states
gone = rows[0]["network_id"]
assert gone in posts["deleted"] and not any(p["id"] == gone for p in posts["live"]), posts
assert [e["op"] for e in record if e["op"] != "other"] and all(e["op"] == "delete" for e in record), record'
else
  start text 20
  until_ok text 60 'assert rows[0]["removal"], rows' 'by hand' 1
  stop
  check "retraction where the network cannot delete: listed for removal by hand, nothing asked of it" text '
assert rows[0]["removal"] == "by hand" and not record, (rows, record)'
fi
fi

# -- 2. media ----------------------------------------------------------------------------
if only media; then
if has media; then
  several=$(field media_per_post)
  [ "$several" = null ] && several=1
  specs=(m1:1)
  [ "$several" -gt 1 ] && specs+=(m2:"$several")
  make_case media "${specs[@]}"
  start media 20
  until_ok media 60 "$settled" "$final" ${#specs[@]}
  stop
  check "publish with media: 1 and $several picture(s), each post live with its text and its pictures" media '
assert states == {"sent": len(rows)}, (states, rows)
for row in rows:
    want = 1 if row["post"] == "m1" else '"$several"'
    got = [p for p in posts["live"] if p["id"] == row["network_id"]]
    assert got and got[0]["media"] == want and got[0]["text"].startswith(text_of(row)), (row, got)
assert len(creates) == len(rows), creates'
else
  ok "publish with media: skipped, $network.json says the network takes none # SKIP"
fi
fi

# -- 3. the rate limit, to the second ----------------------------------------------------
if only rate; then
# longer than the plugin's own pacing (rate_per_minute), else that alone
# would keep the retry late enough
rate=$(awk -v net="$network" '/^[^ ]/ {in_net = ($1 == net)} in_net && /rate:/ {print $2}' "$work/plugins.out")
wait_s=5
[ -n "$rate" ] && [ "$rate" -gt 0 ] && [ $((60 / rate + 3)) -gt $wait_s ] && wait_s=$((60 / rate + 3))
# a throttle answer that names no wait (WhatsApp's 130429) means the
# network's own: the fake holds that long, the plugin must wait as long
throttle=$(field throttle_seconds)
[ "$throttle" != null ] && wait_s=$throttle
make_case rate r1:0
faults "[{\"fault\": \"rate_limit\", \"op\": \"create\", \"seconds\": $wait_s}]"
start rate 1
until_ok rate 60 "$settled" "$final" 1
stop
check "a rate limit of $wait_s s: sent, nothing asked early, the retry no sooner than $wait_s s after the answer" rate "
assert states == {'sent': 1}, (states, rows)
assert not any(e['early'] for e in record), [e for e in record if e['early']]
first, then = creates[0], creates[1]
assert first.get('fault') == 'rate_limit' and 400 <= first['status'] < 500, creates
assert 200 <= then['status'] < 300 and len(creates) == 2, creates
gap = then['arrived'] - first['t']
assert gap >= $wait_s, gap
print('# the retry came %.3f s after the %d' % (gap, first['status']))"
fi

# -- 4. a 5xx before the post exists -----------------------------------------------------
if only before; then
make_case before b1:0
faults '[{"fault": "error_before", "op": "create"}]'
start before 20
until_ok before 60 "$settled" "$final" 1
stop
check "a 5xx before the post exists: $([ $resend = 1 ] && echo "sent after a retry, live once" || echo "left uncertain (no look-up, no idempotency), never re-sent")" before "
live = [p for p in posts['live'] if p['text'].startswith(text_of(rows[0]))]
if $resend:
    assert states == {'sent': 1} and len(live) == 1, (states, live)
else:
    assert states == {'uncertain': 1} and not live and len(creates) == 1, (states, live, creates)"
fi

# -- 5. a 5xx, or no answer, after the post exists ----------------------------------------
if only after; then
# a post each: one post is one occurrence key, which an idempotent network
# keeps (a second case with the same key would get the first one's post)
n_after=0
for fault in error_after drop_after; do
  n_after=$((n_after + 1))
  make_case "$fault" "a$n_after:0"
  faults "[{\"fault\": \"$fault\", \"op\": \"create\"}]"
  start "$fault" 20
  until_ok "$fault" 60 "$settled" "$final" 1
  stop
  check "$fault: never a duplicate on the network; the ledger $([ $resend = 1 ] && echo "says sent, with its id" || echo "says uncertain")" "$fault" "
live = [p for p in posts['live'] if p['text'].startswith(text_of(rows[0]))]
assert len(live) == 1, live
if $resend:
    assert states == {'sent': 1} and rows[0]['network_id'] == live[0]['id'], (rows, live)
else:
    assert states == {'uncertain': 1} and len(creates) == 1, (states, creates)"
done
fi

# -- 6. an authentication failure suspends the channel -------------------------------------
if only auth; then
for fault in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1])).get('auth_faults', ['auth'])))" "$desc"); do
  make_case "auth-$fault" s1:0 s2:0
  faults "[{\"fault\": \"$fault\", \"op\": \"create\"}]"
  start "auth-$fault" 20
  until_ok "auth-$fault" 60 'assert "event=suspended" in log, log[-300:]' 'event=suspended ' 1
  # the next post is due too: it must not go
  sleep 0.5
  stop
  check "$fault: the channel is suspended, nothing more asked of the network" "auth-$fault" '
assert states == {"planned": 2}, states
assert len(record) == 1 and 400 <= record[0]["status"] < 500, record
assert "event=suspended channel=" in log, log[-500:]'
done
fi

# -- 7. refused content: failed with the network's words -------------------------------------
if only refuse; then
python3 -c "import json,sys; [print(r['fault'] + '\t' + r['words']) for r in json.load(open(sys.argv[1])).get('refusals', [{'fault': 'refuse', 'words': ''}])]" "$desc" >"$work/refusals"
while IFS=$'\t' read -r fault words; do
  make_case "refuse-$fault" f1:0
  faults "[{\"fault\": \"$fault\", \"op\": \"create\"}]"
  start "refuse-$fault" 20
  until_ok "refuse-$fault" 60 "$settled" "$final" 1
  stop
  check "$fault: failed at once, the ledger's error in the network's words ($words)" "refuse-$fault" "
assert states == {'failed': 1}, (states, rows)
assert rows[0]['attempts'] == 1 and len(creates) == 1, (rows, creates)
assert '''$words''' in (rows[0]['error'] or ''), rows[0]['error']"
done <"$work/refusals"
fi

# -- the network's own cases: conformance-<network>.sh, if there is one,
if only extra; then
# sourced here with the helpers above ---------------------------------------
extra=$(dirname "$0")/conformance-$network.sh
[ -f "$extra" ] && . "$extra"
fi

# -- the credential never shows -----------------------------------------------------------
token_leaks=$(grep -rlF --exclude-dir=secrets --exclude-dir=plugins -- "$secret" "$work" 2>/dev/null)
for f in "$work"/*-state; do
  "$jade" history --config "${f%-state}.json" --format json 2>/dev/null | grep -qF -- "$secret" && token_leaks="$token_leaks $f"
done
if [ -z "$token_leaks" ]; then ok "the credential is in no log, ledger, record or state file"
else not_ok "the credential is in no log, ledger, record or state file" "$token_leaks"; fi

# -- 10. SIGKILL, again and again ------------------------------------------------------------
if only crash; then
specs=()
for i in $(seq -w 1 40); do specs+=("k$i:0"); done
make_case crash "${specs[@]}"
# the fake's limits keep real time (WhatsApp's pair limit: one message a
# person every 6 s): 40 posts take 40 times that, whatever jade's clock
post_seconds=$(field seconds_between_posts)
[ "$post_seconds" = null ] && post_seconds=0
# kill_at_accept PID OFFSET SECONDS: SIGKILL as soon as the record, past
# OFFSET bytes, holds a create the network accepted (the post exists;
# jade may not know it yet), or after SECONDS
kill_at_accept() {
  python3 - "$work/record.jsonl" "$@" <<'PY'
import json, os, signal, sys, time
path, pid, offset, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
end = time.monotonic() + limit
f = open(path)
f.seek(offset)
pending = ""
while time.monotonic() < end:
    chunk = f.read()
    if not chunk:
        time.sleep(0.002)
        continue
    pending += chunk
    *lines, pending = pending.split("\n")
    for line in lines:
        e = json.loads(line)
        if e.get("op") == "create" and (200 <= e.get("status", 0) < 300
                                        or 200 <= e.get("created_status", 0) < 300):
            end = 0
os.kill(pid, signal.SIGKILL)
PY
}
# (in a subshell, quiet: bash reports each job killed by another process)
for i in $(seq 1 "$kills"); do (
  offset=$(stat -c %s "$work/record.jsonl")
  "$jade" run --config "$work/crash.json" --clock sim:2026-12-02T08:59:59Z:200 >/dev/null 2>&1 &
  pid=$!
  # every other kill just as the network accepted a post, the rest at random
  if [ $((i % 2)) = 0 ]; then
    kill_at_accept "$pid" "$offset" $((3 + 2 * post_seconds))
  else
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
) 2>/dev/null; done
start crash 200
until_ok crash $((120 + 2 * 40 * post_seconds)) "$settled"
stop
check "$kills kills while publishing 40 posts: each text accepted once at most (to each recipient), a sent one exactly once, nothing lost" crash "
# accepted creates only: the network refusing one (a limit) made nothing
made = collections.Counter((e['text'].strip(), e.get('to')) for e in accepted if e.get('text'))
twice = [k for k, c in made.items() if c > 1]
assert not twice, ('accepted twice', twice)
assert len(rows) == 40, len(rows)
allowed = {'sent'} if $resend else {'sent', 'uncertain'}
assert set(states) <= allowed, states
texts = collections.Counter(t for t, to in made)
for r in rows:
    if r['state'] == 'sent':
        assert texts[text_of(r)] >= 1, (r, 'sent but not on the network')
assert set(texts) <= {text_of(r) for r in rows}, 'the network has a text jade does not know'
print('#', dict(states), '%d requests, %d accepted' % (len(record), len(accepted)))"
fi


tap_done
