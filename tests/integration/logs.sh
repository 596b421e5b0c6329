#!/usr/bin/env bash
# The operators' log of jade run: logfmt lines for the start, each outcome
# (published, retry, failed), a refused secret (its file and why) and the
# suspension it brings, the stop; --log levels; the journal's priority
# prefixes; nothing a network answers can break a line; no secret shows.
# Prints TAP.
# usage: logs.sh JADE SRCDIR OUTBOX.so WEBHOOK.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
fake=
trap '[ -n "$fake" ] && kill "$fake" 2>/dev/null; tap_rm_work "$work"' EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$3" "$4" "$work/plugins/"
secret=$(tap_secret "$work/secrets/hook")
loose=$(tap_secret "$work/secrets/loose" 644)
python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/fake.log" \
  --port-file "$work/port" --status /busy=503 --hostile-body /hostile &
fake=$!
for _ in $(seq 200); do [ -f "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

# The base tree (its post due 2026-12-02T09:00 in gao) with webhook
# channels: one answered 503, one answered with control characters, one
# whose secret others can read.
mkdir -p "$work/tree" && cp -a "$src/tests/bad/base/." "$work/tree/"
python3 - "$work/tree" "$port" <<'PY'
import json, sys
root, port = sys.argv[1], sys.argv[2]
d = json.load(open(root + "/channels.json"))
for cid, path, secret in [("hook-busy", "busy", "hook"), ("hook-hostile", "hostile", "hook"),
                          ("hook-loose", "loose", "loose")]:
    d["channels"].append({"id": cid, "network": "webhook", "regions": ["gao"], "secret": secret,
                          "account": {"url": "http://127.0.0.1:%s/%s" % (port, path)}})
json.dump(d, open(root + "/channels.json", "w"), indent=2)
PY
config() { # NAME
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/tree"}, "state_dir": "$work/$1", "listen": "$work/$1.sock",
 "plugin_dir": "$work/plugins", "secrets_dir": "$work/secrets", "retry": {"base_seconds": 60, "max_attempts": 3},
 "bindings": {"hook": {"channels": ["hook-busy", "hook-hostile"], "url_prefixes": ["http://127.0.0.1:$port/"]},
              "loose": {"channels": ["hook-loose"], "url_prefixes": ["http://127.0.0.1:$port/"]}},
 "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
JSON
}
check() { # NAME LOG PYTHON (lines: the log's lines; events: (level, event, fields) of each)
  if python3 - "$2" <<PY >"$work/py.out" 2>&1
import re, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")
lines = text.splitlines()
value = r'(?:[^ "=\\\\\x00-\x1f\x7f]+|"(?:[^"\\\\\x00-\x1f\x7f]|\\\\["\\\\])*")'
line_re = re.compile(r'^(<[3467]>)?ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(error|warning|info|debug)'
                     r'( at=\S+)? event=(\w+)((?: \w+=' + value + r')*)$')
events = []
for l in lines:
    m = line_re.match(l)
    assert m, "not a logfmt line: %r" % l
    fields = dict((k, v[1:-1].replace('\\\\"', '"').replace('\\\\\\\\', '\\\\') if v.startswith('"') else v)
                  for k, v in re.findall(r' (\w+)=(' + value + ')', m.group(5)))
    events.append((m.group(1), m.group(2), m.group(4), fields))
def find(event, **want):
    hits = [e for e in events if e[2] == event and all(e[3].get(k) == v for k, v in want.items())]
    assert hits, "no %s %s in\n%s" % (event, want, text)
    return hits[0]
$3
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}

expect "--log with an unknown level: exit 2" 2 "--log takes error, warning, info or debug" -- \
  "$jade" run --config /nonexistent --log loud

config once
"$jade" run --config "$work/once.json" --once --clock sim:2026-12-02T09:00:30Z:1 >"$work/once.out" 2>"$work/once.log"
check "every line is logfmt: ts, level, the simulated time, the event, quoted values" "$work/once.log" '
assert len(events) >= 8, lines
assert all(e[1] in ("info", "warning", "error") for e in events), lines
assert all("at=2026-12-02T09:00:30Z" in l for l in lines), lines'
check "start: version, the folder, the plan, the channels, the next due time" "$work/once.log" '
_, level, _, f = find("start")
assert level == "info" and f["version"] and int(f["plan"]) >= 5 and f["channels"] == "5", f
assert f["next_due"] == "2026-12-02T09:00:00Z" and f["folder"].endswith("/tree"), f'
check "published: the key, campaign, post, channel, network, attempt, the network id" "$work/once.log" '
_, level, _, f = find("published", channel="out-gao")
assert level == "info" and f["network"] == "outbox" and f["campaign"] == "c1" and f["post"] == "p1", f
assert f["attempt"] == "1" and f["network_id"] == f["key"] and len(f["key"]) == 32, f
assert f["url"].startswith("file://") and f["due"] == "2026-12-02T09:00:00Z", f'
check "retry: the network's words and the time of the next attempt" "$work/once.log" '
_, level, _, f = find("retry", channel="hook-busy")
assert level == "warning" and f["network"] == "webhook" and f["error"].startswith("HTTP 503"), f
assert "2026-12-02T09:00:30Z" < f["next"] <= "2026-12-02T09:01:30Z", f'
check "failed: a hostile answer stays on its line, cleaned" "$work/once.log" '
_, level, _, f = find("failed", channel="hook-hostile")
assert level == "error" and f["error"].startswith("HTTP 400"), f
assert b"\x1b" not in raw and b"\r" not in raw and b"\x07" not in raw'
check "a refused secret: its file and the cause; its channel suspended with the reason" "$work/once.log" "
_, level, _, f = find('secret', network='webhook')
assert level == 'error' and f['error'] == 'secret $work/secrets/loose refused: its mode is 0644; it must be 0600 or stricter (chmod 600 it)', f
_, level, _, f = find('suspended', channel='hook-loose')
assert level == 'error' and f['network'] == 'webhook' and 'no secret to sign with' in f['reason'], f"
check "stop: what was sent and what failed" "$work/once.log" '
_, level, _, f = events[-1]
sent = sum(e[2] == "published" for e in events)
failed = sum(e[2] == "failed" for e in events)
assert events[-1][2] == "stop" and level == "warning" and sent >= 1 and failed == 1, events[-1]
assert f["sent"] == str(sent) and f["failed"] == str(failed), (f, sent, failed)'
if grep -qF -e "$secret" -e "$loose" "$work/once.log" "$work/once.out"; then not_ok "no secret in the log"
else ok "no secret in the log"; fi
if [ ! -s "$work/once.out" ]; then ok "stdout stays empty: the log is on stderr"; else not_ok "stdout stays empty: the log is on stderr" "$(cat "$work/once.out")"; fi

# stderr is the journal when JOURNAL_STREAM names its device and inode.
config journal
JOURNAL_STREAM=$(stat -L -c '%d:%i' "$work") \
  "$jade" run --config "$work/journal.json" --once --clock sim:2026-12-02T09:00:30Z:1 2>"$work/notjournal.log"
config journal2
(exec 2>"$work/journal.log"; JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) \
  exec "$jade" run --config "$work/journal2.json" --once --clock sim:2026-12-02T09:00:30Z:1)
check "the journal: each line starts with its priority (<3> error, <4> warning, <6> info)" "$work/journal.log" '
assert all(e[0] == {"error": "<3>", "warning": "<4>", "info": "<6>", "debug": "<7>"}[e[1]] for e in events), lines
assert {e[0] for e in events} == {"<3>", "<4>", "<6>"}, lines'
check "another stream named by JOURNAL_STREAM: no prefix" "$work/notjournal.log" '
assert all(e[0] is None for e in events), lines'

# Levels: debug adds each wake; warning keeps what went wrong.
config levels
"$jade" run --config "$work/levels.json" --log warning --once --clock sim:2026-12-02T09:00:30Z:1 2>"$work/warning.log"
check "--log warning: only warnings and errors" "$work/warning.log" '
assert events and all(e[1] in ("warning", "error") for e in events), lines
find("retry", channel="hook-busy")'
"$jade" run --config "$work/levels.json" --log debug --clock sim:2026-12-02T10:00:00Z:100000 \
  --until 2026-12-02T12:00:00Z 2>"$work/debug.log"
check "--log debug: each wake, each request being sent" "$work/debug.log" '
find("wake")
find("sending", channel="hook-busy")
assert any(e[1] == "debug" for e in events)'
tap_done
