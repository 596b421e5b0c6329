#!/usr/bin/env bash
# A configuration the service cannot honour refuses to start (exit 2),
# naming the file, the field and why, and creates nothing in the state
# folder; relative paths are relative to the configuration's file.
# usage: config.sh JADE SRCDIR OUTBOX.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
mkdir -p "$work/etc/plugins" "$work/etc/secrets" && cp "$outbox" "$work/etc/plugins/"
git init -q -b main "$work/repo" && tap_example "$work/repo" &&
  git -C "$work/repo" add -A &&
  git -C "$work/repo" -c user.name=test -c user.email=test@localhost commit -qm content

# refused NAME FRAGMENT JSON: the configuration JSON (state_dir "state",
# relative) is refused with exit 2, its message holds FRAGMENT, and no
# state folder was made.
refused() {
  printf '%s\n' "$3" >"$work/etc/config.json"
  rm -rf "$work/etc/state"
  expect "$1" 2 "$2" -- "$jade" run --config "$work/etc/config.json" --once --clock sim:2026-12-01T09:00:00Z:1
  if [ -e "$work/etc/state" ]; then not_ok "$1: nothing is created" "$(ls -la "$work/etc/state")"
  else ok "$1: nothing is created"; fi
}

refused "a plugin_dir that does not exist" "config.json: plugin_dir: $work/etc/plugin is not a folder" \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugin"}'
refused "a network no plugin provides, under networks" "networks.telegram: no plugin for this network" \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "networks": {"telegram": {}}}'
refused "an unknown setting of a network" 'unknown field "concurency"' \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "networks": {"outbox": {"concurency": 2}}}'
refused "a setting of the wrong type" "horizon_days" \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "horizon_days": "14"}'
refused "signed mode without an allowed_signers file" "allowed_signers" \
  '{"source": {"url": "../repo", "verify": "signed"}, "state_dir": "state", "plugin_dir": "plugins"}'
refused "signed mode with an allowed_signers file that is missing" "source.allowed_signers: cannot read $work/etc/nowhere" \
  '{"source": {"url": "../repo", "verify": "signed", "allowed_signers": "nowhere"}, "state_dir": "state", "plugin_dir": "plugins"}'
printf 'coach@jade ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1vcmUgdGhhbiB0aGlydHktdHdvIGJ5dGVzIGxvbmc\n' >"$work/repo/allowed_signers"
refused "an allowed_signers file inside the content repository" "is inside the content repository" \
  '{"source": {"url": "../repo", "verify": "signed", "allowed_signers": "../repo/allowed_signers"}, "state_dir": "state", "plugin_dir": "plugins"}'
refused "a credential naming a secret that is not there" "source.credentials.token: cannot read the secret $work/etc/secrets/content-token" \
  '{"source": {"url": "../repo", "credentials": {"token": "content-token"}}, "state_dir": "state", "plugin_dir": "plugins", "secrets_dir": "secrets"}'
tap_secret "$work/etc/secrets/loose" 644 >/dev/null
refused "a credential whose secret others can read" "secrets/loose has mode 0644, open to others than its owner: chmod 600 it" \
  '{"source": {"url": "../repo", "credentials": {"token": "loose"}}, "state_dir": "state", "plugin_dir": "plugins", "secrets_dir": "secrets"}'
refused "a URL prefix on plain http to a host outbound.allow_http does not list" "plain http to hooks.example.org:80" \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["http://hooks.example.org/jade"]}}}'
refused "an address range that does not parse" "outbound/allow_addresses/0" \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "outbound": {"allow_addresses": ["10.0.0.0/33"]}}'
# the example's channels use the outbox only: add one on webhook, which has no plugin here
python3 - "$work/repo/channels.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["channels"].append({"id": "hook-gao", "network": "webhook", "regions": ["gao"],
                      "account": {"url": "https://example.org/hook"}, "secret": "hook"})
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
git -C "$work/repo" -c user.name=test -c user.email=test@localhost commit -qam "a webhook channel"
refused "a channel on a network with no plugin" 'channel hook-gao uses the network "webhook", but no plugin for it is loaded' \
  '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins", "bindings": {"hook": {"channels": ["hook-gao"], "url_prefixes": ["https://example.org/hook"]}}}'
git -C "$work/repo" reset -q --hard HEAD~1

# Relative paths are the configuration file's, wherever jade runs from.
printf '%s\n' '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins"}' >"$work/etc/config.json"
rm -rf "$work/etc/state"
(cd / && "$jade" run --config "$work/etc/config.json" --once --clock sim:2026-12-01T09:00:30Z:1) >"$work/rel.out" 2>&1
status=$?
count=$(ls "$work/etc/state/outbox"/*/*.json 2>/dev/null | wc -l)
if [ "$status" -eq 0 ] && [ "$count" -eq 6 ]; then ok "relative paths are relative to the configuration file"
else not_ok "relative paths are relative to the configuration file" "exit $status, $count files" "$(tail "$work/rel.out")"; fi

# A simulated clock runs at most 1e6 times real time: faster overflowed
# the delays computed from it and spun, deaf to SIGTERM.
printf '%s\n' '{"source": {"url": "../repo"}, "state_dir": "state", "plugin_dir": "plugins"}' >"$work/etc/config.json"
for speed in inf 1e308 1000001 0 -5 nan; do
  expect "--clock with speed $speed is refused" 2 "SPEED above 0, at most 1e+06" -- \
    "$jade" run --config "$work/etc/config.json" --once --clock "sim:2026-12-01T09:00:00Z:$speed"
  expect "jade demo --speed $speed is refused" 2 "a factor above 0, at most 1e+06" -- "$jade" demo --speed "$speed"
done
rm -rf "$work/etc/state"
expect "--clock at the fastest speed runs" 0 "" -- \
  "$jade" run --config "$work/etc/config.json" --once --clock "sim:2026-12-01T09:00:00Z:1e6"

tap_done
