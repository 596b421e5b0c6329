#!/usr/bin/env bash
# CPU per publication of each network plugin beside the webhook plugin's, in
# one run (issue 12, point 7). Each plugin (webhook, telegram, mastodon,
# facebook, x, whatsapp) publishes N text posts through `jade run` to its
# fake (tests/fakes/<network>.py, which answers as the real API; the webhook
# plugin to tests/fakes/webhook.py), and then, where the network takes
# media, P posts of one photo each (a multipart upload; the webhook plugin
# sends only the photo's name). What is measured is jade's CPU alone: user +
# system time of the jade process and all its threads (its rusage, read by
# wait4 to the microsecond), never the fake's.
#
# Method: one content tree per plugin and kind, one channel, one post per
# publication with a text of its own (X refuses a text already live), due
# 10 s apart on a simulated clock at 10,000 times real speed: the clock
# jumps over the gaps and stands still while jade works. Spacing them
# treats every plugin alike, one publication at a time as a schedule
# publishes them, and keeps out of the way what would otherwise hold some
# back: the rate each plugin declares (the core spaces X's requests 10 s
# apart, Telegram's 3 s) and WhatsApp's pair limit (one message per person
# and pair_seconds). Each run starts a fresh fake and an empty state folder
# (under TMPDIR: its fsyncs are wall time, and the kernel's share of them
# counts in jade's system time, alike for every plugin) and runs `jade run
# --until` twice, on two trees alike but for due times: once with S
# publications due (--small, default 10; the others due hours after the
# run ends), once with all N due; the start (load, plan and reconcile the
# whole tree, the plugin's init, the first connection) is the same in
# both, so (CPU(N) - CPU(S)) / (N - S) is what one more publication costs.
# Each run ends 15 simulated minutes after the last due time. The table
# gives the median of R runs (--runs, default 3), the plugins interleaved
# within each run so that the machine's drift reaches all alike, the
# requests the fake got per publication, and the ratio to the webhook
# plugin's CPU and the difference (the core's share of a publication, alike
# for all, is in each figure: the difference is the plugin's own). The
# lines before it give each measurement, with the publications sent at a
# later attempt (a retry costs CPU too) and how late the latest went.
# Every publication must have reached the fake (its /_fake/posts or, for
# the webhook, its log; each created once, with a 2xx) and be `sent` in
# the ledger, or the benchmark fails.
#
# Settings that keep limits out of the measurement: Mastodon's fake allows
# 1,000,000 statuses per window, X's fake 1,000,000 creates and uploads per
# window (a copy of x.json with "limits"); WhatsApp sends to one recipient
# per publication with throughput 1,000 (plugin and fake) and pair_seconds
# 1 (the plugin's least; the fake's pair limit 0). Limits the fakes keep
# fixed: Mastodon's 30 media per 30 minutes (its photo row has at most 30
# publications) and X's 24-hour counts, which its plugin obeys
# once they reach 0 (2,400 per user and fake: N is capped at 2,399 for
# X). WhatsApp sends templates only: no photo row.
#
# usage: bash tests/bench/plugins.sh [--n N] [--photos P] [--small S] [--runs R]
#        [--quick] [--only "webhook x ..."]
# --n: text publications per plugin and run (default 2,000); --photos: photo
# publications (default N / 10, 0 when not above S); --quick: N 200, P 20, one run; --only: some
# plugins (the ratio needs webhook among them). BENCH_KEEP=1 keeps the work
# folder (trees, the last run's log and the fake's record).
# needs python3 (the fakes) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=2000 runs=3 small=10 photos='' only=''
while [ $# -gt 0 ]; do
  case $1 in
  --n) n=$2; shift 2 ;;
  --photos) photos=$2; shift 2 ;;
  --small) small=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  --quick) n=200 photos=20 runs=1; shift ;;
  --only) only=$2; shift 2 ;;
  *) echo "usage: bash tests/bench/plugins.sh [--n N] [--photos P] [--small S] [--runs R] [--quick] [--only \"PLUGIN ...\"]" >&2; exit 2 ;;
  esac
done
if [ -z "$photos" ]; then # N / 10, or none when that leaves nothing above S
  photos=$((n / 10))
  [ "$photos" -gt "$small" ] || photos=0
fi
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "plugins.sh: $tool is needed" >&2; exit 2; }
done
if [ "$small" -lt 1 ] || [ "$n" -le "$small" ]; then
  echo "plugins.sh: --small must be 1 or more, and --n above it ($small)" >&2; exit 2
fi
if [ "$photos" -ne 0 ] && [ "$photos" -le "$small" ]; then
  echo "plugins.sh: --photos must be 0 or above --small ($small)" >&2; exit 2
fi
[ -x build/core/jade ] || bash .ci/setup
meson compile -C build >/dev/null
src=$PWD
jade=$PWD/build/core/jade
work=$(mktemp -d)
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
plugins=(webhook telegram mastodon facebook x whatsapp)
[ -n "$only" ] && read -r -a plugins <<<"$only"
mkdir -p "$work/plugins" "$work/secrets" && chmod 700 "$work/secrets"
for p in "${plugins[@]}"; do
  cp "build/plugins/$p/$p.so" "$work/plugins/" || { echo "plugins.sh: no plugin $p" >&2; exit 2; }
done
# the secrets: the webhook's, each network's and its other files (WhatsApp's list)
printf 'bench-webhook-secret\n' >"$work/secrets/hook"
printf 'bench-admin-token\n' >"$work/secrets/admin_token" # no warning about it in each run
python3 - "$src/tests/fakes" "$work/secrets" "${plugins[@]}" <<'PY'
import json, os, sys
fakes, secrets, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def write(name, content):
    with open(os.open(os.path.join(secrets, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(content)
for net in names:
    if net == "webhook":
        continue
    d = json.load(open(os.path.join(fakes, net + ".json")))
    write(net, d["secret"] + "\n")
    for name, content in d.get("secret_files", {}).items():
        write(name, content)
PY
chmod 600 "$work/secrets/hook" "$work/secrets/admin_token"
# X's fake with its 15-minute limits out of the way (its 24-hour ones stay)
python3 - "$src/tests/fakes/x.json" "$work/x.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["limits"] = {k: 1000000 for k in ("create", "delete", "lookup", "upload", "poll")}
json.dump(d, open(sys.argv[2], "w"))
PY
python3 tests/fakes/pixel-png.py "$work/pixel.png" # a one-pixel PNG

t0=2026-12-02T09:00:00Z # the first publication's due time; the i-th is gap i s later
gap=10
speed=10000
# how many publications a kind makes for a plugin: "" when it makes none
count_of() { # PLUGIN KIND
  if [ "$2" = text ]; then
    [ "$1" = x ] && [ "$n" -gt 2399 ] && { echo 2399; return; }
    echo "$n"
  else
    [ "$photos" -eq 0 ] || [ "$1" = whatsapp ] && { echo; return; }
    [ "$1" = mastodon ] && [ "$photos" -gt 30 ] && { echo 30; return; }
    echo "$photos"
  fi
}

# tree PLUGIN KIND COUNT DUE: the content tree $work/PLUGIN-KIND-DUE of
# COUNT posts, the i-th due at t0 + gap i s, or (DUE small) only the first
# $small so, the others 2 hours after the last would be (channels.json is
# written per run, by config: Mastodon's account names the fake)
tree() {
  python3 - "$work/$1-$2-$4" "$1" "$2" "$3" "$t0" "$4" "$small" "$gap" <<'PY'
import datetime, json, os, shutil, sys
root, plugin, kind, count, t0, due, small, GAP = sys.argv[1:]
count, small, GAP = int(count), int(small), int(GAP)
def w(path, obj):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))
w("jade.json", {"programme": "Bench", "timezone": "UTC",
                "policy": {"min_gap_minutes": 0, "catch_up_minutes": 10080}})
w("regions.json", {"regions": [{"id": "r", "name": "R", "languages": ["fr"], "ambassadors_target": 1}]})
w("people.json", {"ambassadors": [{"id": "a", "name": "A", "region": "r"}], "coaches": []})
w("c/campaign.json", {"id": "c", "title": "B", "objective": "B", "status": "active",
                      "window": {"start": "2026-11-01T00:00"}, "regions": ["all"]})
first = datetime.datetime.strptime(t0, "%Y-%m-%dT%H:%M:%SZ")
os.makedirs(os.path.join(root, "c/media"), exist_ok=True)
for i in range(count):
    at = first + datetime.timedelta(seconds=GAP * i)
    if due == "small" and i >= small:
        at += datetime.timedelta(seconds=GAP * count + 7200)
    post = {"id": "p%05d" % i, "kind": "story", "authors": ["a"],
            "schedule": {"at": [at.strftime("%Y-%m-%dT%H:%M:%SZ")]}}
    if kind == "photo":
        shutil.copy(os.path.join(os.path.dirname(root), "pixel.png"),
                    os.path.join(root, "c/media/p%05d.png" % i))
        post["media"] = [{"file": "media/p%05d.png" % i, "alt": {"fr": "Un point"}}]
    w("c/posts/p%05d.json" % i, post)
    w("c/posts/p%05d.fr.txt" % i, "bench %s %s %d\n" % (plugin, kind, i))
PY
}

# start_fake PLUGIN: a fresh fake (its port in $port, its record in $work/record)
start_fake() {
  rm -f "$work/fake.port" "$work/record"
  case $1 in
  webhook) python3 tests/fakes/webhook.py --secret bench-webhook-secret --log "$work/record" \
    --port-file "$work/fake.port" 2>"$work/fake.err" & ;;
  mastodon) python3 tests/fakes/mastodon.py --port-file "$work/fake.port" --record "$work/record" \
    --statuses-per-window 1000000 2>"$work/fake.err" & ;;
  x) python3 tests/fakes/x.py --port-file "$work/fake.port" --record "$work/record" \
    --description "$work/x.json" 2>"$work/fake.err" & ;;
  whatsapp) python3 tests/fakes/whatsapp.py --port-file "$work/fake.port" --record "$work/record" \
    --throughput 1000 --pair-seconds 0 2>"$work/fake.err" & ;;
  *) python3 "tests/fakes/$1.py" --port-file "$work/fake.port" --record "$work/record" \
    2>"$work/fake.err" & ;;
  esac
  fake_pid=$!
  for _ in $(seq 200); do [ -f "$work/fake.port" ] && break; sleep 0.05; done
  port=$(cat "$work/fake.port" 2>/dev/null) || { echo "plugins.sh: the $1 fake did not start: $(cat "$work/fake.err")" >&2; exit 1; }
}
stop_fake() {
  kill "$fake_pid" 2>/dev/null || true
  wait "$fake_pid" 2>/dev/null || true
  fake_pid=
}

# config PLUGIN KIND DUE: channels.json of the tree, and $work/run.json
# (an empty state folder)
config() {
  rm -rf "$work/state"
  python3 - "$src/tests/fakes" "$work" "$1" "$2" "$3" "http://127.0.0.1:$port" <<'PY'
import json, os, sys
fakes, work, plugin, kind, due, api = sys.argv[1:]
root = "%s/%s-%s-%s" % (work, plugin, kind, due)
cfg = {"source": {"dir": root}, "state_dir": work + "/state", "listen": work + "/run.sock",
       "plugin_dir": work + "/plugins", "secrets_dir": work + "/secrets",
       "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}}
if plugin == "webhook":
    channel = {"id": "bench", "network": "webhook", "regions": ["r"], "secret": "hook",
               "account": {"url": api + "/bench"}}
    cfg["bindings"] = {"hook": {"channels": ["bench"], "url_prefixes": [api + "/"]}}
else:
    d = json.load(open(os.path.join(fakes, plugin + ".json")))
    account = json.loads(json.dumps(d["account"]).replace("{api_base}", api))
    channel = {"id": "bench", "network": plugin, "regions": ["r"], "languages": ["fr"],
               "secret": plugin, "account": account}
    binding = {"channels": ["bench"]}
    if account != d["account"]:
        binding["url_prefixes"] = [api + "/"]
    settings = dict(d.get("settings") or {})
    settings["api_base"] = api
    if plugin == "whatsapp":
        settings.update(throughput=1000, pair_seconds=1)
    cfg["networks"] = {plugin: settings}
    cfg["bindings"] = {plugin: binding}
json.dump({"channels": [channel]}, open(os.path.join(root, "channels.json"), "w"))
json.dump(cfg, open(work + "/run.json", "w"), indent=1)
PY
}

# cpu UNTIL: runs the service on the simulated clock until UNTIL; prints
# its CPU seconds (user + system, all threads) from its rusage
cpu() {
  python3 - "$jade" "$work/run.json" "$t0" "$speed" "$1" "$work/run.out" <<'PY'
import datetime, os, subprocess, sys
jade, config, t0, speed, until, out = sys.argv[1:]
start = (datetime.datetime.strptime(t0, "%Y-%m-%dT%H:%M:%SZ") - datetime.timedelta(seconds=1))
with open(out, "a") as log:
    p = subprocess.Popen([jade, "run", "--config", config, "--until", until, "--clock",
                          "sim:%s:%s" % (start.strftime("%Y-%m-%dT%H:%M:%SZ"), speed)],
                         stdout=log, stderr=log)
    _, status, usage = os.wait4(p.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit("jade run ended with %d: see %s" % (os.waitstatus_to_exitcode(status), out))
print("%.6f" % (usage.ru_utime + usage.ru_stime))
PY
}
# until_after COUNT: 15 minutes after the COUNT-th publication's due time
# (the clock runs while jade waits for something other than an answer or
# its ledger: a publication may start a little after its due time)
until_after() { python3 -c "import datetime,sys; t=datetime.datetime.strptime('$t0','%Y-%m-%dT%H:%M:%SZ')+datetime.timedelta(seconds=$gap*($1-1)+900); print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))"; }

# check PLUGIN KIND COUNT: every one of COUNT publications sent in the
# ledger and on the fake once, or the benchmark stops; prints the requests
# the fake got per publication
check() {
  "$jade" history --config "$work/run.json" --format json >"$work/history.json" 2>"$work/history.err" ||
    { echo "plugins.sh: jade history failed: $(cat "$work/history.err")" >&2; exit 1; }
  if [ "$1" = webhook ]; then echo '{"live": []}' >"$work/posts.json"
  else curl -sf "http://127.0.0.1:$port/_fake/posts" >"$work/posts.json"; fi
  python3 - "$1" "$2" "$3" "$work/history.json" "$work/record" "$work/posts.json" "$work/run.out" <<'PY' || {
import collections, datetime, json, re, sys
plugin, kind, count, history, record, posts, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
rows = json.load(open(history))
states = collections.Counter(r["state"] for r in rows if int(r["post"][1:]) < count)
problems = []
if states != {"sent": count}:
    problems.append("the ledger: %s, not %d sent" % (dict(states), count))
entries = [json.loads(l) for l in open(record) if l.strip()]
want = {"bench %s %s %d" % (plugin, kind, i) for i in range(count)}
if plugin == "webhook":
    got = collections.Counter(e.get("key") for e in entries if e.get("published"))
    bad = [e for e in entries if not e.get("signature_ok", True) or e.get("status") != 200]
    if len(got) != count or any(v != 1 for v in got.values()):
        problems.append("the receiver published %d distinct keys (%d times), not %d once each"
                        % (len(got), sum(got.values()), count))
    if bad:
        problems.append("%d requests were refused: %s" % (len(bad), bad[:2]))
    dups = [e for e in entries if e.get("duplicate")]
    if dups:
        problems.append("%d publications came again (the same key): %s" % (len(dups), dups[:2]))
else:
    live = json.load(open(posts))["live"]
    texts = collections.Counter(p.get("text", "").strip() for p in live)
    if set(texts) != want or any(v != 1 for v in texts.values()):
        missing = sorted(want - set(texts))
        problems.append("%d live posts, %d distinct; missing %s%s; twice: %s" % (
            len(live), len(texts), missing[:3], "..." if len(missing) > 3 else "",
            [t for t, v in texts.items() if v > 1][:3]))
    if kind == "photo" and any(not p.get("media") for p in live):
        problems.append("%d posts without their photo" % sum(not p.get("media") for p in live))
    early = [e for e in entries if e.get("early")]
    failed = [e for e in entries if not 200 <= e.get("status", 0) < 300]
    if early:
        problems.append("%d requests came while the fake had said to wait" % len(early))
    if failed:
        problems.append("%d requests were not answered 2xx: %s" % (len(failed), failed[:2]))
if problems:
    sys.exit("\n".join(problems))
# publications sent at a later attempt, and the latest (simulated seconds after its due time)
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
retried, late = 0, 0
for line in open(log, errors="replace"):
    if " event=published " in line:
        m = re.search(r" at=(\S+) .* due=(\S+) attempt=(\d+)", line)
        retried += int(m.group(3)) > 1
        late = max(late, (t(m.group(1)) - t(m.group(2))).total_seconds())
print("%.2f %d %d" % (len([e for e in entries if e.get("path") != "(webhook)"]) / count, retried, late))
PY
    echo "plugins.sh: $1 ($2, $3 publications) did not publish every one once: see above; the service's log:" >&2
    tail -n 20 "$work/run.out" >&2
    exit 1
  }
}

# measure PLUGIN KIND COUNT RUN: one run; appends "PLUGIN KIND COUNT
# CPU_SMALL CPU_ALL REQUESTS_PER_PUB RETRIED LATE" to $work/results
measure() {
  local small_s all_s out per retried late
  : >"$work/run.out"
  start_fake "$1"
  config "$1" "$2" small
  small_s=$(cpu "$(until_after "$small")") || exit 1
  check "$1" "$2" "$small" >/dev/null || exit 1
  stop_fake
  start_fake "$1"
  config "$1" "$2" all
  : >"$work/run.out"
  all_s=$(cpu "$(until_after "$3")") || exit 1
  out=$(check "$1" "$2" "$3") || exit 1
  read -r per retried late <<<"$out"
  stop_fake
  echo "$1 $2 $3 $small_s $all_s $per $retried $late" >>"$work/results"
  printf '  run %d: %-8s %-5s %5d publications: %.3f s CPU (%d: %.3f s), %s requests each, %d sent at a later attempt, at most %d s late\n' \
    "$4" "$1" "$2" "$3" "$all_s" "$small" "$small_s" "$per" "$retried" "$late" >&2
}

kinds=(text)
[ "$photos" -gt 0 ] && kinds+=(photo)
for p in "${plugins[@]}"; do
  for k in "${kinds[@]}"; do
    c=$(count_of "$p" "$k")
    if [ -n "$c" ]; then tree "$p" "$k" "$c" small; tree "$p" "$k" "$c" all; fi
  done
done
: >"$work/results"
echo "plugins.sh: $n text publications per plugin ($photos with a photo), $runs run(s), start subtracted with $small" >&2
for r in $(seq "$runs"); do
  for k in "${kinds[@]}"; do
    for p in "${plugins[@]}"; do
      c=$(count_of "$p" "$k")
      if [ -n "$c" ]; then measure "$p" "$k" "$c" "$r"; fi
    done
  done
done

python3 - "$work/results" "$small" "$runs" <<'PY'
import collections, statistics, sys
small, runs = int(sys.argv[2]), int(sys.argv[3])
per = collections.defaultdict(list)
info = {}
for line in open(sys.argv[1]):
    plugin, kind, count, cpu_small, cpu_all, requests, retried, late = line.split()
    count = int(count)
    per[(plugin, kind)].append((float(cpu_all) - float(cpu_small)) / (count - small) * 1000)
    info[(plugin, kind)] = (count, requests, max(int(retried), info.get((plugin, kind), (0, 0, 0))[2]))
print()
print("jade's CPU per publication, each plugin against its fake (median of %d run(s);" % runs)
print("the start subtracted: (CPU(N) - CPU(%d)) / (N - %d))" % (small, small))
print()
print("%-10s %-6s %13s %13s %9s %12s %11s %11s" % ("plugin", "kind", "publications", "requests/pub",
                                                   "retried", "CPU ms/pub", "/ webhook", "- webhook"))
print("-" * 92)
for kind in ("text", "photo"):
    base = per.get(("webhook", kind))
    base = statistics.median(base) if base else None
    for plugin in ("webhook", "telegram", "mastodon", "facebook", "x", "whatsapp"):
        if (plugin, kind) not in per:
            continue
        ms = statistics.median(per[(plugin, kind)])
        count, requests, retried = info[(plugin, kind)]
        ratio = "%.2f" % (ms / base) if base and base > 0 else "-"
        more = "%+.3f" % (ms - base) if base is not None else "-"
        print("%-10s %-6s %13d %13s %9d %12.3f %11s %11s" % (plugin, kind, count, requests, retried,
                                                           ms, ratio, more))
print()
print("- webhook: ms more than the webhook's (the core's part of a publication is in both).")
print("retried: publications sent at a later attempt (the most of a run); requests/pub: what the")
print("fake got per publication, of the last run.")
print("photo: one picture per post, uploaded (multipart) where the network takes it; the webhook")
print("names it in its JSON, nothing uploaded. WhatsApp: one recipient per publication, text")
print("(template) only. Mastodon's photos: at most 30 (its fake's media limit per 30 minutes).")
PY
