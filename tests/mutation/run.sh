#!/usr/bin/env bash
# Mutation check: applies each mutation of tests/mutation/list, one at a
# time, to a scratch copy of the working tree, and runs the test suites it
# names there; a mutation no failing test notices "survives". Prints one
# line per mutation and the score. Slow (each runs its suites): not in CI.
# usage: bash tests/mutation/run.sh [NAME-FILTER]
# The list: blocks separated by a line "%%", each
#   name: what bug a person could write
#   file: path from the repository root
#   suites: meson test names, space separated
#   --- old
#   the exact text to replace (once)
#   --- new
#   its replacement
set -uo pipefail
cd "$(dirname "$0")/../.."
filter=${1:-}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The tree as it is now (committed or not), built once.
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch" 2>/dev/null
(cd "$scratch" && meson setup build --werror >/dev/null && meson compile -C build >/dev/null) ||
  { echo "mutation: the unmutated tree does not build" >&2; exit 2; }
python3 - "$scratch" "$filter" tests/mutation/list <<'PY'
import subprocess, sys
scratch, want, listing = sys.argv[1], sys.argv[2], sys.argv[3]
blocks = [b.strip("\n") for b in open(listing).read().split("\n%%\n") if b.strip()]
killed = survived = 0
for block in blocks:
    head, rest = block.split("\n--- old\n", 1)
    old, new = rest.split("\n--- new\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    if want and want not in fields["name"]:
        continue
    path = scratch + "/" + fields["file"]
    text = open(path).read()
    if text.count(old) != 1:
        print("BROKEN   %s: the old text is in %s %d times" % (fields["name"], fields["file"], text.count(old)))
        continue
    open(path, "w").write(text.replace(old, new))
    try:
        built = subprocess.run(["meson", "compile", "-C", "build"], cwd=scratch, capture_output=True).returncode == 0
        caught = not built or subprocess.run(["meson", "test", "-C", "build"] + fields["suites"].split(),
                                             cwd=scratch, capture_output=True).returncode != 0
    finally:
        open(path, "w").write(text)
    killed += caught
    survived += not caught
    print("%s %s (%s)" % ("killed  " if caught else "SURVIVED", fields["name"], fields["suites"]), flush=True)
subprocess.run(["meson", "compile", "-C", "build"], cwd=scratch, capture_output=True)
print("%d killed, %d survived, of %d" % (killed, survived, killed + survived))
sys.exit(1 if survived else 0)
PY
