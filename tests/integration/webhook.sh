#!/usr/bin/env bash
# The webhook plugin through jade run, against the fake receiver of
# tests/fakes/webhook.py: signatures, idempotency, faults, Retry-After, an
# auth failure, what each kind of answer leads to, and SIGKILL crashes. The simulated clock keeps it fast.
# Prints TAP.
# usage: webhook.sh JADE SRCDIR OUTBOX.so WEBHOOK.so [KILLS]
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
webhook=$(realpath "$4")
kills=${5:-20}
work=$(tap_workdir)
fakes=()
cleanup() {
  for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
check() { # NAME PYTHON (argv: the fake's log, the history)
  if python3 - "$work/$case.log" "$work/$case-history.json" <<PY >"$work/py.out" 2>&1
import collections, json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
rows = json.load(open(sys.argv[2]))
states = collections.Counter(r["state"] for r in rows)
published = collections.Counter(e["key"] for e in log if e["published"])
$2
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
mkdir -p "$work/plugins" "$work/secrets" && cp "$outbox" "$webhook" "$work/plugins/"
secret=$(tap_secret "$work/secrets/hook")
tap_secret "$work/secrets/loose" 644 >/dev/null
tap_secret "$work/secrets/nul" >/dev/null && printf '%s\0%s\n' "$secret" "$secret" >"$work/secrets/nul"
printf '\n' >"$work/secrets/empty" && chmod 600 "$work/secrets/empty"
SPEED=3000

start_fake() { # NAME ARGS...: starts the fake receiver, sets $port
  local name=$1; shift
  python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/$name.log" \
    --port-file "$work/$name.port" "$@" &
  fakes+=($!)
  for _ in $(seq 100); do [ -f "$work/$name.port" ] && break; sleep 0.05; done
  port=$(cat "$work/$name.port")
}

# A tree of POSTS posts with 10 times each, a minute apart, on the webhook
# channels given as id:path:secret.
make_tree() { # DIR POSTS CHANNEL...
  local dir=$1 posts=$2; shift 2
  mkdir -p "$dir" && cp -a "$src/tests/bad/base/." "$dir/"
  python3 - "$dir" "$posts" "$port" "$@" <<'PY'
import json, os, sys
root, posts, port, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 10080}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
channels = []
for spec in specs:
    cid, path, secret = spec.split(":")
    channels.append({"id": cid, "network": "webhook", "regions": ["gao"], "secret": secret,
                     "account": {"url": "http://127.0.0.1:%s/%s" % (port, path)}})
json.dump({"channels": channels}, open(os.path.join(root, "channels.json"), "w"))
for p in range(posts):
    times = ["2026-12-02T%02d:%02d" % (8 + (p * 10 + k) // 60, (p * 10 + k) % 60) for k in range(10)]
    json.dump({"id": "p%02d" % p, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "schedule": {"at": times}}, open(os.path.join(root, "c1/posts/p%02d.json" % p), "w"))
    open(os.path.join(root, "c1/posts/p%02d.fr.txt" % p), "w").write("Texte %d.\n" % p)
PY
}
# The service configuration of case NAME: each channel of its tree may use
# the secret it names, and post to the fake receiver's address (local,
# plain http: allowed here by outbound).
config() { # NAME
  python3 - "$work" "$1" <<'PY'
import json, sys
work, name = sys.argv[1], sys.argv[2]
bindings = {}
for ch in json.load(open("%s/%s-tree/channels.json" % (work, name)))["channels"]:
    url = ch["account"]["url"]
    b = bindings.setdefault(ch["secret"], {"channels": [], "url_prefixes": []})
    b["channels"].append(ch["id"])
    prefix = url[:url.index("/", len("http://")) + 1]
    if prefix not in b["url_prefixes"]:
        b["url_prefixes"].append(prefix)
json.dump({"source": {"dir": "%s/%s-tree" % (work, name)}, "state_dir": "%s/%s-state" % (work, name),
           "listen": "%s/%s.sock" % (work, name), "plugin_dir": work + "/plugins", "secrets_dir": work + "/secrets",
           "networks": {"webhook": {"timeout_ms": 1500}},
           "retry": {"base_seconds": 10, "max_seconds": 120, "max_attempts": 20},
           "bindings": bindings,
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"), indent=1)
PY
}
run_jade() { # NAME: a simulated day
  "$jade" run --config "$work/$1.json" --clock sim:2026-12-02T07:59:00Z:$SPEED --until 2026-12-02T21:00:00Z >"$work/$1.out" 2>&1
}
history() { "$jade" history --config "$work/$1.json" --format json >"$work/$1-history.json"; }

# -- every publication signed, received once ------------------------------------
case=plain
start_fake $case
make_tree "$work/$case-tree" 5 "hook-gao:gao:hook"
config $case
run_jade $case || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "50 occurrences: 50 signed requests, each key published once, all sent" '
assert len(log) == 50 and all(e["signature_ok"] for e in log), len(log)
assert len(published) == 50 and set(published.values()) == {1}, published
assert states == {"sent": 50}, states'

# -- a retraction: each publication of the post taken down, signed --------------
python3 - "$work/$case-tree/c1/posts/p00.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["retracted"] = {"reason": "une erreur de date"}
json.dump(d, open(sys.argv[1], "w"))
PY
"$jade" run --config "$work/$case.json" --once --clock sim:2026-12-02T21:00:00Z:1 >"$work/$case-retract.out" 2>&1 ||
  not_ok "retraction: jade run ends well" "$(tail "$work/$case-retract.out")"
history $case
check "a retracted post: its 10 publications deleted at the receiver, signed, and recorded retracted" '
deletes = [e for e in log if e.get("method") == "DELETE"]
assert len(deletes) == 10 and all(e["signature_ok"] and e["removed"] for e in deletes), deletes
gone = [r for r in rows if r["post"] == "p00"]
assert len(gone) == 10 and all(r["state"] == "retracted" for r in gone), gone
assert all(r["state"] == "sent" for r in rows if r["post"] != "p00")'

# -- a third of requests failing, some connections reset, some slow --------------
case=faults
start_fake $case --fail-rate 0.33 --reset-rate 0.05 --slow-rate 0.05 --slow-seconds 0.3 \
  --hang-rate 0.02 --seed 7
make_tree "$work/$case-tree" 10 "hook-gao:gao:hook"
config $case
run_jade $case || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
# No answer costs the real timeout (1.5 s, hours of simulated time): what
# the day left retrying goes in later passes, an hour apart.
for pass in 22 23 24 25 26 27 28 29 30 31 32 33; do
  history $case
  # stop once everything is sent (python exits 1 then)
  python3 -c "import json,sys; sys.exit(all(r['state'] == 'sent' for r in json.load(open('$work/$case-history.json'))))" || break
  when=$(date -u -d "2026-12-02 00:00 UTC + $pass hours" +%Y-%m-%dT%H:%M:%SZ)
  "$jade" run --config "$work/$case.json" --once --clock "sim:$when:1" >/dev/null 2>&1
done
history $case
check "with a third failing, resets and no answers: all 100 published in the end, each once" '
failures = sum(1 for e in log if e["status"] != 200)
assert any(e["status"] == 0 for e in log), "some requests got no answer"
assert failures > 20, failures
assert len(published) == 100 and set(published.values()) == {1}, published
assert states == {"sent": 100}, states
assert all(r["attempts"] >= 1 for r in rows)
print("# %d requests, %d failed or reset, most attempts %d" % (len(log), failures, max(r["attempts"] for r in rows)))'

# -- Retry-After: no request before it has passed --------------------------------
case=throttle
start_fake $case --throttle-first 1 --retry-after 600
make_tree "$work/$case-tree" 1 "hook-gao:gao:hook"
config $case
run_jade $case || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "a 429 with Retry-After 600: nothing reaches that account for 600 s (simulated)" "
assert log[0]['status'] == 429 and log[1]['status'] == 200, log[:2]
gap = log[1]['t'] - log[0]['t']
assert gap >= 600 / $SPEED * 0.95, gap
assert states == {'sent': 10}, states
print('# the next request came %.3f s later (600 simulated s = %.3f s)' % (gap, 600 / $SPEED))"

# -- an auth failure suspends only that channel -----------------------------------
case=auth
start_fake $case --auth-fail /revoked
make_tree "$work/$case-tree" 2 "hook-gao:gao:hook" "hook-revoked:revoked:hook" "hook-loose:loose:loose" \
  "hook-nul:nul:nul" "hook-empty:empty:empty"
config $case
run_jade $case || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "a 401 suspends that channel alone; a secret readable by others, empty or with a NUL byte is refused" '
by_channel = collections.defaultdict(collections.Counter)
for r in rows:
    by_channel[r["channel"]][r["state"]] += 1
assert by_channel["hook-gao"] == {"sent": 20}, by_channel
assert by_channel["hook-revoked"] == {"planned": 20}, by_channel
for refused in ("loose", "nul", "empty"):
    assert by_channel["hook-" + refused] == {"planned": 20}, by_channel
    assert not any(e["path"] == "/" + refused for e in log), "never sent without its secret"
assert sum(1 for e in log if e["path"] == "/revoked") == 1, "no request after the suspension"'
if grep -q "event=suspended channel=hook-revoked " "$work/$case.out" &&
  grep -q 'secrets/loose refused: its mode is 0644; it must be 0600 or stricter' "$work/$case.out" &&
  grep -q 'secrets/nul refused: it holds a NUL byte' "$work/$case.out" &&
  grep -q 'secrets/empty refused: it is empty' "$work/$case.out"; then
  ok "the suspension and the refused secrets are reported, each with its file and cause"
else not_ok "the suspension and the refused secrets are reported, each with its file and cause" "$(cat "$work/$case.out")"; fi

# -- what each answer leads to --------------------------------------------------
# Runs the simulated clock from START to UNTIL as fast as it may go: times
# are checked on the service's clock (the ledger's), never the machine's.
run_sim() { # NAME START UNTIL
  "$jade" run --config "$work/$1.json" --clock "sim:$2:1000000" --until "$3" >"$work/$1.out" 2>&1
}
catch_up() { # DIR MINUTES
  python3 - "$1/jade.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["policy"]["catch_up_minutes"] = int(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PY
}
case=answers
start_fake $case --status /forbidden=403 --status /bad=400 --status /gone=404 \
  --status /unprocessable=422 --status /down=503 --redirect /moved=/elsewhere
make_tree "$work/$case-tree" 1 "hook-gao:gao:hook" "hook-403:forbidden:hook" "hook-400:bad:hook" \
  "hook-404:gone:hook" "hook-422:unprocessable:hook" "hook-503:down:hook" "hook-moved:moved:hook"
config $case
sed -i 's/"max_attempts": 20/"max_attempts": 3/' "$work/$case.json"
run_sim $case 2026-12-02T07:59:00Z 2026-12-02T12:00:00Z || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
by_channel='
by_channel = collections.defaultdict(list)
for r in rows:
    by_channel[r["channel"]].append(r)
requests = collections.defaultdict(collections.Counter)
for e in log:
    requests[e["path"]][e["key"]] += 1'
check "a 403 suspends the channel as a 401 does: one request, the rest waits planned" "$by_channel
assert all(r['state'] == 'sent' for r in by_channel['hook-gao']) and len(by_channel['hook-gao']) == 10
assert [r['state'] for r in by_channel['hook-403']] == ['planned'] * 10, by_channel['hook-403']
assert sum(requests['/forbidden'].values()) == 1, requests['/forbidden']"
if grep -qF 'event=suspended channel=hook-403 network=webhook reason="HTTP 403' "$work/$case.out"; then
  ok "the 403 suspension is reported, with the receiver's answer"
else not_ok "the 403 suspension is reported, with the receiver's answer" "$(cat "$work/$case.out")"; fi
check "a 400, 404 or 422: one request per occurrence, then failed with the receiver's status" "$by_channel
for code, path in (400, '/bad'), (404, '/gone'), (422, '/unprocessable'):
    got = by_channel['hook-%d' % code]
    assert len(got) == 10 and all(r['state'] == 'failed' and r['attempts'] == 1 for r in got), got
    assert all(r['error'].startswith('HTTP %d' % code) for r in got), got
    assert len(requests[path]) == 10 and set(requests[path].values()) == {1}, requests[path]"
check "max_attempts 3 against a receiver that always answers 503: 3 requests per occurrence, then failed" "$by_channel
got = by_channel['hook-503']
assert len(got) == 10 and all(r['state'] == 'failed' and r['attempts'] == 3 for r in got), got
assert len(requests['/down']) == 10 and set(requests['/down'].values()) == {3}, requests['/down']"
check "a 307 is not followed (the signed request goes only where the channel says): failed" "$by_channel
got = by_channel['hook-moved']
assert all(r['state'] == 'failed' and r['error'].startswith('HTTP 307') for r in got), got
assert sum(requests['/moved'].values()) == 10 and not requests['/elsewhere'], dict(requests)"

# A 429 whose Retry-After runs past the catch-up (60 minutes): missed at
# once, saying the rate limit ran past it; the occurrences its wait holds
# up on the channel too. Nothing more reaches the receiver.
case=far
start_fake $case --status /far=429 --retry-after 7200
make_tree "$work/$case-tree" 1 "hook-far:far:hook"
catch_up "$work/$case-tree" 60
config $case
run_sim $case 2026-12-02T07:59:00Z 2026-12-02T12:00:00Z || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "a 429 with Retry-After 7200 and catch_up 60: one request, all ten missed for the rate limit" '
assert len(log) == 1 and log[0]["status"] == 429, log
assert states == {"missed": 10}, states
assert all(r["reason"] == "the network'"'"'s rate limit ran past catch_up_minutes" for r in rows), rows
first = min(rows, key=lambda r: r["due"])
assert first["updated"] == first["due"] == "2026-12-02T08:00:00Z", first'

# Interim responses (100 Continue, 103 Early Hints, each with a
# Retry-After: 1) before a 429 with Retry-After 600: only the final
# answer's headers count. 600 s is within the catch-up: sent then.
case=interim
start_fake $case --throttle-first 1 --retry-after 600 --interim /gao
make_tree "$work/$case-tree" 1 "hook-gao:gao:hook"
catch_up "$work/$case-tree" 60
config $case
run_sim $case 2026-12-02T07:59:00Z 2026-12-02T12:00:00Z || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "interim responses before a 429: its Retry-After (600 s) counts, not theirs; sent within the catch-up" '
assert [e["status"] for e in log] == [429] + [200] * 10, [e["status"] for e in log]
assert states == {"sent": 10}, states
assert all(r["updated"] == "2026-12-02T08:10:00Z" for r in rows), [r["updated"] for r in rows]'

# 503 at the very edge of the catch-up: the service starts at 09:00, an
# hour after the first time, and the receiver always answers 503. A retry
# that would come past an occurrence's hour is not made: missed, for its
# retries. (A retry whose backoff draw still falls within is made; with
# 100 attempts allowed, none runs out of them before its hour is over.)
case=late
start_fake $case --status /down=503
make_tree "$work/$case-tree" 1 "hook-down:down:hook"
catch_up "$work/$case-tree" 60
config $case
sed -i 's/"base_seconds": 10, "max_seconds": 120, "max_attempts": 20/"base_seconds": 1000, "max_seconds": 1000, "max_attempts": 100/' "$work/$case.json"
run_sim $case 2026-12-02T09:00:00Z 2026-12-02T12:00:00Z || not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "retries that would run past catch_up 60: missed for its retries, not for an outage" '
assert states == {"missed": 10}, states
assert all(r["reason"] == "retries ran past catch_up_minutes" and r["attempts"] >= 1 for r in rows), rows
assert all(e["status"] == 503 for e in log) and len(log) >= 10, len(log)'

# -- concurrency: one request at a time per channel, unless configured ---------
most_at_once='
def most_at_once(entries):
    edges = sorted([(e["arrived"], 1) for e in entries] + [(e["t"], -1) for e in entries],
                   key=lambda x: (x[0], x[1]))
    level = top = 0
    for _, d in edges:
        level += d
        top = max(top, level)
    return top'
for conc in 1 4; do
  case=conc$conc
  start_fake $case --slow-rate 1 --slow-seconds 0.2
  make_tree "$work/$case-tree" 2 "hook-gao:gao:hook"
  config $case
  [ $conc = 1 ] || sed -i "s/\"timeout_ms\": 1500/\"timeout_ms\": 1500, \"concurrency\": $conc/" "$work/$case.json"
  # at 12:00 all 20 are due at once
  "$jade" run --config "$work/$case.json" --once --clock sim:2026-12-02T12:00:00Z:1 >"$work/$case.out" 2>&1 ||
    not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
  history $case
  check "concurrency $conc: at most $conc request(s) at once on the channel, and $conc reached" "$most_at_once
assert states == {'sent': 20}, states
assert most_at_once(log) == $conc, most_at_once(log)"
done

# -- a connection the server closes while idle -----------------------------------
# The server closes each connection 0.2 s after its request; the next post
# comes at least 0.5 s later (a minute at 120x). The watch left on an idle
# socket must not spin when the socket closes, nor keep the next post from
# going. On a loaded machine the server may close late and a connection be
# reused: what must hold is that closes happened and each post went once.
case=idle
start_fake $case --idle-close 0.2
make_tree "$work/$case-tree" 1 "hook-gao:gao:hook"
config $case
( TIMEFORMAT='%U %S %R'
  time "$jade" run --config "$work/$case.json" --clock sim:2026-12-02T07:59:30Z:120 \
    --until 2026-12-02T08:10:00Z >"$work/$case.out" 2>&1 ) 2>"$work/$case.time" ||
  not_ok "$case: jade run ends well" "$(tail "$work/$case.out")"
history $case
check "server closing idle connections: 10 posts on 10 connections, each once, little CPU" "
user, system, real = map(float, open('$work/$case.time').read().split())
print('# CPU %.2f s of %.2f s' % (user + system, real))
assert states == {'sent': 10}, states
print('# %d connections' % len({e['connection'] for e in log}))
assert len({e['connection'] for e in log}) > 1, [e['connection'] for e in log]
assert len(published) == 10 and set(published.values()) == {1}, published
assert (user + system) < 0.3 * real, (user, system, real)"

# -- SIGKILL, again and again ------------------------------------------------------
case=crash
start_fake $case --slow-rate 0.02 --slow-seconds 0.2 --seed 3
make_tree "$work/$case-tree" 50 "hook-gao:gao:hook"
config $case
# At 21:00 everything is due: each run sends it all, one request after the
# other, until it is killed.
once=(run --config "$work/$case.json" --once --clock sim:2026-12-02T21:00:00Z:1)
for i in $(seq 1 "$kills"); do
  "$jade" "${once[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
"$jade" "${once[@]}" >"$work/$case.out" 2>&1 || not_ok "$case: the last run ends well" "$(tail "$work/$case.out")"
history $case
check "500 occurrences, $kills kills: the platform published each exactly once, the ledger agrees" '
assert len(published) == 500 and set(published.values()) == {1}, (len(published), collections.Counter(published.values()))
assert states == {"sent": 500}, states
repeats = sum(1 for e in log if e["duplicate"])
print("# %d requests; %d repeats after a crash, answered from the idempotency key" % (len(log), repeats))'

tap_done
