# tap.sh - TAP helpers the integration scripts share (sourced, not run).
# ok NAME; not_ok NAME [DETAIL...]; expect NAME STATUS FRAGMENT -- COMMAND...
# (runs COMMAND, checks its exit status and that its output holds FRAGMENT);
# tap_done prints the plan and returns the status.
n=0
failed=0
# The scripts read jade's messages in English, whatever the language of the
# shell that runs them (french.sh asks for French itself): LANGUAGE would
# pick a catalogue even in C.UTF-8, LC_ALL would outrank LC_MESSAGES.
unset LANGUAGE
[ -z "${LC_ALL:-}" ] || export LC_ALL=C.UTF-8
export LC_MESSAGES=C
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
expect() {
  local name=$1 want=$2 fragment=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then not_ok "$name" "exit $rc, expected $want" "$(printf '%s' "$out" | tail -n 20)"
  elif [ -n "$fragment" ] && ! printf '%s' "$out" | grep -qF -- "$fragment"; then
    not_ok "$name" "output lacks: $fragment" "$(printf '%s' "$out" | tail -n 20)"
  else ok "$name"; fi
}
tap_done() {
  echo "1..$n"
  [ "$failed" -eq 0 ]
}

# The secrets sweep (sweep.sh) runs every script again with JADE_SWEEP_DIR
# set, then searches everything jade wrote for the test secrets. Scripts
# make their work folder with tap_workdir, remove it with tap_rm_work (kept
# for the sweep), and write every secret with tap_secret.
tap_workdir() {
  local dir
  dir=$(mktemp -d) || return 1
  [ -n "${JADE_SWEEP_DIR:-}" ] && printf '%s\n' "$dir" >>"$JADE_SWEEP_DIR/workdirs"
  printf '%s' "$dir"
}
tap_rm_work() { [ -n "${JADE_SWEEP_DIR:-}" ] || rm -rf "$1"; }
# tap_secret FILE [MODE]: writes a new secret into FILE (mode 0600 unless
# MODE) and prints it. Each holds "jade-test-secret-", which the sweep
# looks for, and random hex, so that no two are alike.
tap_secret() {
  local value
  value="jade-test-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$value" >"$1" && chmod "${2:-600}" "$1" || return 1
  [ -n "${JADE_SWEEP_DIR:-}" ] && realpath "$1" >>"$JADE_SWEEP_DIR/secret-files"
  printf '%s' "$value"
}

# tap_example DIR: the example content (campaigns/) copied into DIR with
# its outbox channels only, for scripts that run it with no network's
# plugin loaded (the example has a channel on every network).
tap_example() {
  mkdir -p "$1" && cp -a "$src/campaigns/." "$1/" &&
    python3 - "$1/channels.json" <<'PY'
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
doc["channels"] = [c for c in doc["channels"] if c["network"] == "outbox"]
json.dump(doc, open(path, "w"), indent=2, ensure_ascii=False)
PY
}
