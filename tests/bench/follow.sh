#!/usr/bin/env bash
# Benchmarks of following the branch (issue 5), printed as a table:
# - adoption latency: from the end of `git push` (to a git daemon on
#   loopback) to the new post's occurrence `planned` in the ledger, with
#   the push hook (a GitHub-style notification sent right after the push),
#   over 20 pushes: p50 and p99 (the slowest of 20); target p99 < 1 s;
# - a one-post change in a 10,000-post repository (tests/bench/gen-tree.py):
#   the reload's time (load, plan, record in the ledger; the fetch apart)
#   over the first start's in the same run, medians of three starts and of
#   three one-post changes after each; target <= 0.1;
# - start with 1,000,000 pending occurrences over start with 100,000
#   (`jade run --once` before anything is due: load, plan, reconcile into
#   an empty ledger): wall time ratio (target <= 11) and peak RSS per
#   pending occurrence (target <= 300 B).
# usage: bash tests/bench/follow.sh [--quick]   (--quick: 200,000 instead of 1,000,000)
# needs GNU time, git, curl, openssl: apt-get install time git curl openssl
set -euo pipefail
cd "$(dirname "$0")/../.."
big=1000000
[ "${1:-}" = --quick ] && big=200000
for tool in /usr/bin/time git curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "follow.sh: $tool is needed" >&2; exit 2; }
done
[ -x build/core/jade ] || bash .ci/setup
meson compile -C build >/dev/null
jade=$PWD/build/core/jade
src=$PWD
work=$(mktemp -d)
pid= daemon_pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$daemon_pid" ] && kill $daemon_pid 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
mkdir -p "$HOME" "$work/plugins" "$work/secrets"
cp build/plugins/outbox/outbox.so "$work/plugins/"
printf 'bench hook\n' >"$work/secrets/hook" && chmod 600 "$work/secrets/hook"
rows=()

# -- adoption latency ----------------------------------------------------------
git init -q --bare -b main "$work/srv/content.git"
git init -q -b main "$work/wc" && cp -a "$src/campaigns/." "$work/wc/"
git -C "$work/wc" remote add origin "$work/srv/content.git"
git -C "$work/wc" add -A && git -C "$work/wc" commit -qm content && git -C "$work/wc" push -q origin main
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --export-all --base-path="$work/srv" --port="$port" --listen=127.0.0.1 --reuseaddr "$work/srv" \
  >/dev/null 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do git ls-remote "git://127.0.0.1:$port/content.git" >/dev/null 2>&1 && break; sleep 0.1; done
cat >"$work/follow.json" <<JSON
{"source": {"url": "git://127.0.0.1:$port/content.git", "poll_seconds": 3600, "hook_secret": "hook"},
 "state_dir": "$work/follow-state", "plugin_dir": "$work/plugins", "secrets_dir": "$work/secrets",
 "listen": "$work/admin.sock"}
JSON
"$jade" run --config "$work/follow.json" --clock sim:2026-12-01T00:00:00Z:1 >"$work/follow.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -S "$work/admin.sock" ] && break; sleep 0.05; done
python3 - "$work" <<'PY' >"$work/latency.txt"
import hashlib, hmac, json, os, sqlite3, subprocess, sys, time
work = sys.argv[1]
wc = os.path.join(work, "wc")
body = b'{"ref": "refs/heads/main"}'
mac = hmac.new(b"bench hook", body, hashlib.sha256).hexdigest()
samples = []
for i in range(20):
    post = "bench-%02d" % i
    d = os.path.join(wc, "vivre-ensemble", "posts")
    json.dump({"id": post, "kind": "story", "authors": ["amb-mopti-02"],
               "schedule": {"at": ["2026-12-05T09:%02d" % (10 + i)]}, "regions": ["mopti"]},
              open(os.path.join(d, post + ".json"), "w"))
    open(os.path.join(d, post + ".fr.txt"), "w").write("Texte %d.\n" % i)
    subprocess.run(["git", "-C", wc, "add", "-A"], check=True)
    subprocess.run(["git", "-C", wc, "commit", "-qm", post], check=True)
    subprocess.run(["git", "-C", wc, "push", "-q", "origin", "main"], check=True,
                   stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--unix-socket", os.path.join(work, "admin.sock"),
                    "-H", "X-Hub-Signature-256: sha256=" + mac, "--data-binary", body,
                    "http://jade/hooks/git"], check=True)
    db = sqlite3.connect("file:%s/follow-state/ledger.sqlite?mode=ro" % work, uri=True)
    while True:
        n = db.execute("SELECT count(*) FROM occurrences WHERE post = ? AND state = 'planned'",
                       (post,)).fetchone()[0]
        if n:
            break
        if time.monotonic() - t0 > 30:
            sys.exit("post %s never planned" % post)
        time.sleep(0.002)
    samples.append(time.monotonic() - t0)
    db.close()
samples.sort()
print("%.0f %.0f" % (samples[len(samples) // 2] * 1000, samples[-1] * 1000))
PY
read -r p50 p99 <"$work/latency.txt"
kill -TERM "$pid"; wait "$pid" || true; pid=
rows+=("adoption latency, push to planned, 20 pushes with the hook: p50|$p50 ms|")
rows+=("adoption latency: p99 (the slowest of 20)|$p99 ms|< 1000 ms")

# -- reload of a one-post change, beside the first start -------------------------
python3 tests/bench/gen-tree.py "$work/tree" 10000 >/dev/null
git -C "$work/tree" init -q -b main && git -C "$work/tree" add -A && git -C "$work/tree" commit -qm tree
cat >"$work/tree.json" <<JSON
{"source": {"url": "$work/tree", "poll_seconds": 3600}, "state_dir": "$work/tree-state",
 "listen": "$work/tree.sock", "plugin_dir": "$work/plugins", "horizon_days": 366}
JSON
first_commit=$(git -C "$work/tree" rev-parse HEAD)
for round in 1 2 3; do # three starts, each followed by three one-post changes
  rm -rf "$work/tree-state" && git -C "$work/tree" reset -q --hard "$first_commit"
  "$jade" run --config "$work/tree.json" --clock sim:2026-12-31T00:00:00Z:1 >"$work/tree-$round.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ "$(grep -c "it took" "$work/tree-$round.log")" -ge 1 ] && break; sleep 0.1; done
  for change in 1 2 3; do
    post=$(printf "campagne-%04d/posts/post-%03d.fr.txt" $(((round * 3 + change) * 7)) "$change")
    printf 'Un texte corrigé.\n' >"$work/tree/$post"
    git -C "$work/tree" commit -qam "one post"
    kill -HUP "$pid"
    for _ in $(seq 600); do
      [ "$(grep -c "it took" "$work/tree-$round.log")" -gt "$change" ] && break; sleep 0.1
    done
  done
  kill -TERM "$pid"; wait "$pid" || true; pid=
done
python3 - "$work"/tree-?.log >"$work/reload.txt" <<'PY'
import re, statistics, sys
starts, reloads = [], []
for log in sys.argv[1:]:
    text = open(log).read()
    t = [sum(map(float, m)) for m in re.findall(r"it took ([\d.]+) ms to load, ([\d.]+) ms to plan, ([\d.]+) ms to record", text)]
    starts.append(t[0])
    reloads += t[1:]
    occ = re.findall(r"adopted commit \w+: (\d+) new", text)[0]
first, reload = statistics.median(starts), statistics.median(reloads)
print("%.0f %.0f %.3f %s %d %d" % (first, reload, reload / first, occ, len(starts), len(reloads)))
PY
read -r first reload ratio occurrences n_starts n_reloads <"$work/reload.txt"
rows+=("first start of 10,000 posts ($occurrences occurrences), median of $n_starts: load + plan + record|$first ms|")
rows+=("reload of a one-post change, median of $n_reloads: load + plan + record|$reload ms|")
rows+=("reload over first start (the medians)|$ratio|<= 0.1")

# -- start with many pending occurrences -----------------------------------------
start_with() { # PENDING: wall seconds and peak RSS (KiB) of a --once start
  python3 tests/bench/gen-due.py "$work/due-$1" http://127.0.0.1:9/ 0 64 --pending "$1" >/dev/null
  python3 - "$work/due-$1/channels.json" <<'PY' # the outbox: nothing is sent anyway
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["channels"]:
    c.update(network="outbox", account={"folder": c["id"]})
    c.pop("secret", None)
json.dump(d, open(sys.argv[1], "w"))
PY
  cat >"$work/due-$1.json" <<JSON
{"source": {"dir": "$work/due-$1"}, "state_dir": "$work/due-$1-state", "listen": "$work/due-$1.sock", "plugin_dir": "$work/plugins",
 "horizon_days": 366}
JSON
  /usr/bin/time -f "%e %M" -o "$work/time-$1" "$jade" run --config "$work/due-$1.json" --once \
    --clock sim:2026-12-01T00:00:00Z:1 >/dev/null 2>&1
  cat "$work/time-$1"
}
read -r small_s small_kb < <(start_with 100000)
read -r big_s big_kb < <(start_with "$big")
rows+=("start with 100,000 pending: wall, peak RSS|${small_s} s, $((small_kb / 1024)) MiB|")
rows+=("start with $big pending: wall, peak RSS|${big_s} s, $((big_kb / 1024)) MiB|")
rows+=("start: $big over 100,000|$(python3 -c "print('%.1f' % ($big_s / $small_s))") for $((big / 100000))x the work|<= $(python3 -c "print(round($big / 100000 * 1.1, 1))")")
rows+=("peak RSS per pending occurrence (difference of the two)|$(python3 -c "print('%.0f' % (($big_kb - $small_kb) * 1024 / ($big - 100000)))") B|<= 300 B")

printf '\n| %-84s | %-22s | %-10s |\n' "what" "value" "target"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 86))" "$(printf -- '-%.0s' $(seq 24))" "$(printf -- '-%.0s' $(seq 12))"
for row in "${rows[@]}"; do
  IFS='|' read -r what value target <<<"$row"
  printf '| %-84s | %-22s | %-10s |\n' "$what" "$value" "$target"
done
