#!/usr/bin/env bash
# sweep.sh - secrets never show: runs every integration script that writes
# a marked secret again (as meson lists them), with jade standing behind
# sweep-jade.sh and each script's work folder kept (tap.sh: JADE_SWEEP_DIR), then searches what
# jade wrote for the test secrets, which tap_secret marks
# "jade-test-secret-": its output (the log, messages, history), every file
# the scripts kept (logs, state folders with ledger.sqlite, outboxes,
# copies) but the secrets themselves, and `jade history --format json` of
# every state folder. Prints TAP: one line per script (it still passes),
# one per place a secret was found.
# usage: sweep.sh BUILD_ROOT JADE [TEST-NAME...]
# JADE_SWEEP_JOBS: scripts run at a time (4); JADE_SWEEP_KEEP=1 keeps all.
set -u
. "$(dirname "$0")/tap.sh"
build=$(realpath "$1")
jade_arg=$2
shift 2
here=$(realpath "$(dirname "$0")")
jade=$(cd "$build" && realpath "$jade_arg")
marker=jade-test-secret-
jobs=${JADE_SWEEP_JOBS:-4}
sweep=$(mktemp -d)
cleanup() {
  [ -n "${JADE_SWEEP_KEEP:-}" ] && { echo "# kept: $sweep"; return; }
  cat "$sweep"/*/workdirs 2>/dev/null | while IFS= read -r d; do [ -n "$d" ] && rm -rf "$d"; done
  rm -rf "$sweep"
}
trap cleanup EXIT

# The scripts and their arguments, as meson runs them: jade's path given
# as the wrapper's.
python3 - "$build/meson-info/intro-tests.json" "$jade_arg" "$here/sweep-jade.sh" "$@" \
  >"$sweep/tests" <<'PY' || { not_ok "meson's list of tests is read" ; tap_done; exit; }
import json, shlex, sys
tests = json.load(open(sys.argv[1]))
jade, wrapper, only = sys.argv[2], sys.argv[3], set(sys.argv[4:])
for t in tests:
    if not any(s.endswith(":integration") for s in t["suite"]) or (only and t["name"] not in only):
        continue
    # the conformance suite searches everything it made for the network's
    # credential itself: run again here it would only double CI's time
    if t["name"].startswith("conformance-") and not only:
        continue
    # a script that writes no marked secret (tap_secret) has none to leak:
    # run again here it would only add to CI's time
    script = next((a for a in t["cmd"] if a.endswith(".sh")), None)
    if script and not only and "tap_secret" not in open(script, encoding="utf-8").read():
        continue
    cmd = [wrapper if a == jade else a for a in t["cmd"]]
    env = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(t["env"].items()))
    print(t["name"], t["timeout"] or 600, env or "-", shlex.join(cmd), sep="\t")
PY

run_one() { # NAME TIMEOUT ENV COMMAND
  local dir="$sweep/$1" env=$3
  mkdir -p "$dir"
  [ "$env" = - ] && env=
  # three times meson's timeout: every script runs beside another
  (cd "$build" && eval "JADE_SWEEP_DIR=\"\$dir\" JADE_SWEEP_REAL=\"\$jade\" $env timeout $(($2 * 3)) $4") \
    >"$dir/tap" 2>&1
  echo $? >"$dir/rc"
}
start=$(date +%s)
while IFS=$'\t' read -r name timeout env cmd; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_one "$name" "$timeout" "$env" "$cmd" &
done <"$sweep/tests"
wait
echo "# the scripts ran in $(($(date +%s) - start)) s, $jobs at a time"

secrets=0
while IFS=$'\t' read -r name _; do
  dir="$sweep/$name"
  if [ "$(cat "$dir/rc")" = 0 ] && ! grep -q '^not ok' "$dir/tap"; then ok "$name passes with marked secrets"
  else not_ok "$name passes with marked secrets" "exit $(cat "$dir/rc")" "$(grep -A3 '^not ok' "$dir/tap" | head -20)"; fi
  touch "$dir/workdirs" "$dir/outputs" "$dir/secret-files"
  secrets=$((secrets + $(sort -u "$dir/secret-files" | wc -l)))
  # The history of every state folder the script left.
  k=0 # (n is tap.sh's)
  while IFS= read -r ledger; do
    k=$((k + 1))
    printf '{"source": {"dir": "%s"}, "state_dir": "%s"}\n' "$(dirname "$ledger")" "$(dirname "$ledger")" \
      >"$dir/history-$k.json"
    "$jade" history --format json --config "$dir/history-$k.json" >"$dir/history-$k.out" 2>&1
  done < <(xargs -d '\n' -I{} find {} -name ledger.sqlite -type f <"$dir/workdirs" 2>/dev/null)
  # Everything kept, but the secret files themselves (file names may hold
  # any byte: hygiene.sh makes some with line ends and escapes).
  python3 - "$dir" "$marker" >"$dir/found" <<'PY'
import os, re, sys
d = sys.argv[1]
# a secret tap_secret wrote: the marker and its 16 hexadecimal digits (the
# marker alone, as documentation names it, is not a secret)
secret = re.compile(re.escape(sys.argv[2].encode()) + rb"[0-9a-f]{16}")
lines = lambda f: [l for l in open(os.path.join(d, f), "rb").read().split(b"\n") if l]
skip = set(lines("secret-files"))
files = set(lines("outputs"))
for name in os.listdir(d):
    if name.startswith("jade.") or (name.startswith("history-") and name.endswith(".out")):
        files.add(os.path.join(d, name).encode())
for top in lines("workdirs"):
    for root, _, names in os.walk(top):
        files.update(os.path.join(root, n) for n in names)
searched = 0
for f in sorted(files - skip):
    if not os.path.isfile(f) or os.path.islink(f):
        continue
    searched += 1
    try:
        data = open(f, "rb").read()
    except OSError as e:
        print("unreadable\t%r: %s" % (f, e))
        continue
    shown = lambda b: b.decode(errors="backslashreplace").encode("unicode_escape").decode()
    hits = ["%d: %s" % (no, shown(line[:300]))
            for no, line in enumerate(data.split(b"\n"), 1) if secret.search(line)]
    if hits:
        print("found\t%s\t%s" % (shown(f), " | ".join(hits[:5])))
print("searched\t%d" % searched)
PY
  searched=$(sed -n 's/^searched\t//p' "$dir/found")
  if ! grep -q '^found' "$dir/found"; then ok "$name: no secret in what jade wrote ($searched files)"
  else
    while IFS=$'\t' read -r _ f hits; do not_ok "$name: a secret in $f" "$hits"; done < <(grep '^found' "$dir/found")
  fi
done <"$sweep/tests"
# A sweep whose secrets the search cannot see would find none: it would
# prove nothing.
unmarked=$(cat "$sweep"/*/secret-files | sort -u | xargs -r -d '\n' grep -a -L -F -- "$marker" 2>/dev/null | grep -v '/empty$')
least=$(( $# ? 1 : 5 )) # the whole suite writes a dozen
if [ "$secrets" -ge "$least" ] && [ -z "$unmarked" ]; then ok "the scripts wrote $secrets secrets, each marked for the search"
else not_ok "the scripts wrote $secrets secrets, each marked for the search (at least $least)" "$unmarked"; fi
tap_done
