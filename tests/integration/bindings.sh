#!/usr/bin/env bash
# The operator's bindings and outbound rules: content may not steer the
# service's credentials or requests. jade validate --config judges channels
# as the service does; the service refuses unbound channels, never connects
# to an address the operator did not allow (however the name resolves),
# and keeps only a short clean excerpt of a receiver's error body.
# Prints TAP.
# usage: bindings.sh JADE SRCDIR OUTBOX.so WEBHOOK.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
fake=
cleanup() {
  [ -n "$fake" ] && kill "$fake" 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$3" "$4" "$work/plugins/"
secret=$(tap_secret "$work/secrets/hook")
tap_secret "$work/secrets/other" >/dev/null

python3 "$src/tests/fakes/webhook.py" --secret "$secret" --log "$work/fake.log" \
  --port-file "$work/port" --hostile-body /hostile &
fake=$!
for _ in $(seq 200); do [ -f "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

# tree NAME CHANNEL-JSON...: the base tree, its post due 2026-12-02T09:00 in
# gao, with these webhook channels added.
tree() {
  local dir=$work/$1; shift
  rm -rf "$dir" && mkdir -p "$dir" && cp -a "$src/tests/bad/base/." "$dir/"
  python3 - "$dir" "$@" <<'PY'
import json, sys
root, extra = sys.argv[1], [json.loads(a) for a in sys.argv[2:]]
d = json.load(open(root + "/channels.json"))
for ch in extra:
    ch.setdefault("network", "webhook")
    ch.setdefault("regions", ["gao"])
d["channels"] += extra
json.dump(d, open(root + "/channels.json", "w"), indent=2)
PY
}
# config NAME TREE BINDINGS-JSON [OUTBOUND-JSON]
config() {
  cat >"$work/$1.json" <<JSON
{"source": {"dir": "$work/$2"}, "state_dir": "$work/$1-state", "listen": "$work/$1-state.sock", "plugin_dir": "$work/plugins",
 "secrets_dir": "$work/secrets", "retry": {"max_attempts": 1},
 "bindings": $3,
 "outbound": ${4:-{\}}}
JSON
}
hook() { printf '{"id": "%s", "secret": "%s", "account": {"url": "%s"}}' "$1" "$2" "$3"; }
bind_hook='{"hook": {"channels": ["hook-gao"], "url_prefixes": ["https://hooks.example.org/jade"]}}'

# -- jade validate --config: the channels against the operator's bindings ------------
tree t-ok "$(hook hook-gao hook https://hooks.example.org/jade/gao)"
config c-ok t-ok "$bind_hook"
expect "a bound secret and a URL under its prefix: valid" 0 "0 error(s)" -- \
  "$jade" validate --config "$work/c-ok.json" "$work/t-ok"

tree t-unbound "$(hook hook-gao other https://hooks.example.org/jade/gao)"
expect "without --config the content alone is judged" 0 "0 error(s)" -- \
  "$jade" validate --plugin-dir "$work/plugins" "$work/t-unbound"
expect "a secret the configuration does not bind to the channel: an error at its line" 1 \
  "t-unbound/channels.json:25:17: error: the service configuration does not let channel hook-gao use the secret \"other\" (bindings.other.channels)" -- \
  "$jade" validate --config "$work/c-ok.json" "$work/t-unbound"

tree t-other "$(hook hook-gao hook https://hooks.example.org/jade/gao)" \
  "$(hook hook-kayes hook https://hooks.example.org/jade/kayes)"
expect "another receiver's secret, named by a channel it is not bound to: refused" 1 \
  "does not let channel hook-kayes use the secret \"hook\"" -- \
  "$jade" validate --config "$work/c-ok.json" "$work/t-other"

for url in https://attacker.example/jade/gao https://hooks.example.org/jade-x \
  https://hooks.example.org/admin https://hooks.example.org/jade/../admin \
  http://hooks.example.org/jade/gao https://hooks.example.org:8443/jade/gao \
  https://hooks.example.org@attacker.example/jade/gao https://user:pw@hooks.example.org/jade/gao \
  http://169.254.169.254/latest/meta-data http://127.0.0.1:$port/jade; do
  tree t-url "$(hook hook-gao hook "$url")"
  expect "a URL outside the channel's prefixes ($url): an error at its line" 1 \
    "t-url/channels.json:27:16: error: this URL is outside the prefixes the service configuration allows channel hook-gao (bindings.hook.url_prefixes)" -- \
    "$jade" validate --config "$work/c-ok.json" "$work/t-url"
done

# A URL without a scheme, which libcurl would take as http, in a member
# named like a URL: judged as well.
tree t-bare "$(hook hook-gao hook "127.0.0.1:$port/jade")"
expect "a URL without a scheme: outside the prefixes too" 1 \
  "this URL is outside the prefixes the service configuration allows channel hook-gao" -- \
  "$jade" validate --config "$work/c-ok.json" "$work/t-bare"

tree t-nosecret '{"id": "hook-gao", "account": {"url": "https://hooks.example.org/jade/gao"}}'
expect "a URL on a channel that names no secret: refused" 1 \
  "channel hook-gao holds a URL but names no secret" -- \
  "$jade" validate --config "$work/c-ok.json" "$work/t-nosecret"

config c-bad t-ok '{"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://hooks.example.org/jade", "https://u:p@hooks.example.org/", "https://hooks.example.org/?q"]}}' \
  '{"allow_http": ["a host"], "allow_addresses": ["10.0.0.0/33", "localhost"]}'
out=$("$jade" validate --config "$work/c-bad.json" "$work/t-ok" 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q "c-bad.json:3:.*plain http to hooks.example.org:80: the configuration allows http only to the hosts of outbound.allow_http" &&
  [ "$(printf '%s' "$out" | grep -c "not an absolute http or https URL without user name, query or fragment")" -eq 2 ] &&
  printf '%s' "$out" | grep -q "c-bad.json:4:.*not a host or host:port" &&
  [ "$(printf '%s' "$out" | grep -c "not an address or a range")" -eq 2 ]; then
  ok "a configuration's bad prefixes, hosts and ranges: each an error at its line, exit 2"
else not_ok "a configuration's bad prefixes, hosts and ranges: each an error at its line, exit 2" "exit $rc" "$out"; fi

# -- the service: the same judgement, then the outbound rules at connect time --------
run_once() { # NAME
  "$jade" run --config "$work/$1.json" --once --clock sim:2026-12-02T09:00:30Z:1 >"$work/$1.out" 2>&1
}
history() { "$jade" history --config "$work/$1.json" --format json 2>/dev/null; }

config s-unbound t-unbound "$bind_hook" '{"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}'
run_once s-unbound; rc=$?
if [ $rc -eq 1 ] && grep -q 'channels.json:25:17: error: the service configuration does not let channel hook-gao' "$work/s-unbound.out" &&
  grep -q 'nothing can be published: invalid content' "$work/s-unbound.out" && [ ! -s "$work/fake.log" ]; then
  ok "jade run refuses content whose channel uses an unbound secret, and sends nothing"
else not_ok "jade run refuses content whose channel uses an unbound secret, and sends nothing" "exit $rc" "$(cat "$work/s-unbound.out")"; fi

# Each channel is bound and its URL under its prefix, but the addresses are
# not public: unless the operator lists them, no connection is made.
tree t-local "$(hook hook-gao hook "http://127.0.0.1:$port/a")" \
  "$(hook hook-name hook "http://localhost:$port/b")" \
  "$(hook hook-meta hook "https://169.254.169.254/latest")"
local_bind='{"hook": {"channels": ["hook-gao", "hook-name", "hook-meta"], "url_prefixes": ["http://127.0.0.1:'$port'/", "http://localhost:'$port'/", "https://169.254.169.254/"]}}'
config s-local t-local "$local_bind" '{"allow_http": ["127.0.0.1", "localhost"]}'
run_once s-local
history s-local >"$work/s-local-history.json"
if python3 - "$work/s-local-history.json" "$work/fake.log" <<'PY'
import json, sys
rows = {r["channel"]: r for r in json.load(open(sys.argv[1])) if r["channel"].startswith("hook")}
assert set(rows) == {"hook-gao", "hook-name", "hook-meta"}, rows
assert all(r["state"] == "failed" for r in rows.values()), rows
assert "127.0.0.1 is a loopback address" in rows["hook-gao"]["error"], rows["hook-gao"]
assert "is a loopback address" in rows["hook-name"]["error"], rows["hook-name"]
assert "169.254.169.254 is a link-local address" in rows["hook-meta"]["error"], rows["hook-meta"]
assert all("outbound.allow_addresses" in r["error"] for r in rows.values())
assert open(sys.argv[2]).read() == "", "nothing reached the receiver"
PY
then ok "loopback (by address and by name) and link-local: refused at connect time, named, nothing sent"
else not_ok "loopback (by address and by name) and link-local: refused at connect time, named, nothing sent" "$(cat "$work/s-local.out")" "$(cat "$work/s-local-history.json")"; fi

config s-allowed t-local "$local_bind" '{"allow_http": ["127.0.0.1", "localhost"], "allow_addresses": ["127.0.0.1", "::1"]}'
run_once s-allowed
if [ "$(history s-allowed | python3 -c 'import json,sys; print(sorted(r["channel"] for r in json.load(sys.stdin) if r["state"] == "sent"))')" = "['hook-gao', 'hook-name', 'out-gao', 'out-kayes']" ] &&
  [ "$(grep -c '"published": true' "$work/fake.log")" -eq 2 ]; then
  ok "the addresses the operator lists are reached; the others still are not"
else not_ok "the addresses the operator lists are reached; the others still are not" "$(history s-allowed)" "$(cat "$work/fake.log")"; fi

# A receiver's error body, however long and hostile: a short clean excerpt.
tree t-hostile "$(hook hook-gao hook "http://127.0.0.1:$port/hostile")"
config s-hostile t-hostile '{"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://127.0.0.1:'$port'/"]}}' \
  '{"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}'
run_once s-hostile
if history s-hostile | python3 -c '
import json, sys
row = [r for r in json.load(sys.stdin) if r["channel"] == "hook-gao"][0]
e = row["error"]
assert row["state"] == "failed", row
assert e.startswith("HTTP 400: ]0;owned [2J Bad request"), e
assert len(e.encode()) < 300, (len(e), e)
assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in e), repr(e)
print("# " + e)'
then ok "a 64 KiB error body full of escapes is kept as a short excerpt without control characters"
else not_ok "a 64 KiB error body full of escapes is kept as a short excerpt without control characters" "$(history s-hostile)"; fi

# A dry run: the network's channels publish as outbox files, by channel,
# and nothing reaches the network.
: >"$work/fake.log"
config s-dry t-local "$local_bind" '{"allow_http": ["127.0.0.1", "localhost"], "allow_addresses": ["127.0.0.1", "::1"]}'
python3 - "$work/s-dry.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["networks"] = {"webhook": {"dry_run": True}}
json.dump(c, open(sys.argv[1], "w"))
PY
run_once s-dry
if [ "$(history s-dry | python3 -c 'import json,sys; print(sorted(r["channel"] for r in json.load(sys.stdin) if r["state"] == "sent"))')" = "['hook-gao', 'hook-meta', 'hook-name', 'out-gao', 'out-kayes']" ] &&
  [ "$(ls "$work/s-dry-state/outbox/hook-gao/" | grep -c '\.json$')" -eq 1 ] &&
  [ "$(ls "$work/s-dry-state/outbox/hook-meta/" | grep -c '\.json$')" -eq 1 ] && [ ! -s "$work/fake.log" ]; then
  ok "networks.webhook.dry_run: each channel's publications are outbox files in a folder named by it; nothing reaches the network"
else not_ok "networks.webhook.dry_run: each channel's publications are outbox files in a folder named by it; nothing reaches the network" "$(history s-dry)" "$(ls -R "$work/s-dry-state/outbox")" "$(cat "$work/fake.log")"; fi
rm -f "$work/plugins/outbox.so"
run_once s-dry; rc=$?
if [ $rc -eq 2 ] && grep -q 'networks.webhook.dry_run: the outbox plugin, which writes a dry run' "$work/s-dry.out"; then
  ok "a dry run without the outbox plugin: refused at start (exit 2), saying why"
else not_ok "a dry run without the outbox plugin: refused at start (exit 2), saying why" "exit $rc" "$(cat "$work/s-dry.out")"; fi

tap_done
