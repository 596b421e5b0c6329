#!/usr/bin/env bash
# Benchmark of jade report (issue 13), printed as a table: a ledger of one
# year of a 120-ambassador programme (tests/bench/gen-ledger.py: N
# occurrences, default 100,000, about 95 % sent, each with 4 readings of
# 3 names) and its content (120 ambassadors, N / 20 posts, 60 rumours);
# then, for each format, jade report's wall time (median of R runs,
# default 3) and peak RSS (the largest of the runs, from wait4), its
# output's size, and its time over the floor: the sqlite3 command-line
# tool running the equivalent aggregate query (every occurrence with its
# latest reach and engagement, counted and summed by channel, state and
# week) on the same file. One more row: jade report over an empty period,
# which is what reading the content and the ledger's schema costs.
# usage: bash tests/bench/report.sh [--n N] [--runs R]
# needs python3 and the sqlite3 command-line tool: apt-get install sqlite3
set -euo pipefail
cd "$(dirname "$0")/../.."
n=100000 runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bash tests/bench/report.sh [--n N] [--runs R]" >&2; exit 2 ;;
  esac
done
for tool in sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "report.sh: $tool is needed (apt-get install $tool)" >&2; exit 2; }
done
[ -x build/core/jade ] || bash .ci/setup
meson compile -C build >/dev/null
jade=$PWD/build/core/jade
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plugins" && cp build/plugins/outbox/outbox.so "$work/plugins/"

# The ledger, made by jade itself (its schema), from a tree with nothing to publish.
mkdir -p "$work/empty" && cp -a tests/bad/base/. "$work/empty/" && rm -rf "$work/empty/c1" "$work/empty/rumours"
cat >"$work/config.json" <<JSON
{"source": {"dir": "$work/empty"}, "state_dir": "$work/state", "listen": "$work/state.sock",
 "plugin_dir": "$work/plugins"}
JSON
"$jade" run --config "$work/config.json" --once >/dev/null 2>&1
start=$(date +%s.%N)
python3 tests/bench/gen-ledger.py "$work/content" "$work/state/ledger.sqlite" "$n"
echo "generated in $(python3 -c "print('%.1f' % ($(date +%s.%N) - $start))") s: $(du -h "$work/state/ledger.sqlite" | cut -f1) of ledger"

cat >"$work/floor.sql" <<'SQL'
SELECT channel, state, strftime('%Y-%W', sent_at, 'unixepoch') AS week, count(*),
  sum(sent_at IS NOT NULL), sum(sent_at - due <= 60),
  sum((SELECT value FROM metrics m WHERE m.key = o.key AND m.name = 'reach' ORDER BY m.reading DESC LIMIT 1)),
  sum((SELECT value FROM metrics m WHERE m.key = o.key AND m.name = 'engagement' ORDER BY m.reading DESC LIMIT 1))
FROM occurrences o GROUP BY channel, state, week;
SQL

python3 - "$work" "$jade" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
work, jade, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
ledger = os.path.join(work, "state", "ledger.sqlite")
config = os.path.join(work, "config.json")
content = os.path.join(work, "content")

def measure(argv, stdin=None, out=None):
    """Wall seconds (median) and peak RSS in KiB (largest) over the runs."""
    times, peak = [], 0
    for _ in range(runs):
        fin = open(stdin) if stdin else subprocess.DEVNULL
        fout = open(out, "wb") if out else subprocess.DEVNULL
        t = time.monotonic()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        times.append(time.monotonic() - t)
        err = p.stderr.read().decode(errors="replace")
        if status != 0:
            sys.exit("failed: %s\n%s" % (" ".join(argv), err))
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), peak

rows = []
floor, floor_rss = measure(["sqlite3", ledger], stdin=os.path.join(work, "floor.sql"))
rows.append(("sqlite3: the aggregate query (floor)", floor, floor_rss, None))
base = [jade, "report", "--config", config, content]
t, rss = measure(base + ["--from", "2000-01-01", "--to", "2000-01-02", "--format", "json"])
rows.append(("jade report, an empty period (content, schema)", t, rss, None))
for fmt in ("table", "csv", "json", "html"):
    out = os.path.join(work, "report." + fmt)
    t, rss = measure(base + ["--format", fmt], out=out)
    rows.append(("jade report --format %s" % fmt, t, rss, os.path.getsize(out)))

print()
print("%-48s %9s %12s %12s %9s" % ("", "time (s)", "peak RSS", "output", "x floor"))
for name, t, rss, size in rows:
    print("%-48s %9.3f %8.1f MiB %12s %9.1f" % (
        name, t, rss / 1024, "%.1f KiB" % (size / 1024) if size is not None else "", t / floor))
print()
print("runs: %d each (median time, largest peak RSS); the HTML file: %d bytes" % (
    runs, os.path.getsize(os.path.join(work, "report.html"))))
PY
