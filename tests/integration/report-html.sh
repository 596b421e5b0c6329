#!/usr/bin/env bash
# The HTML report in a real browser: Debian's chromium, headless, loads the
# page of a small ledger (with reach, engagement, a failure and a hostile
# name) behind a proxy that records any request and a resolver that finds
# no host; then: no request reached the network, no console message, the
# numbers the page shows (its data-n/data-v marks, and the text) are the
# JSON report's, nothing is wider than a 360 px screen, and screenshots at
# 360 px and 1280 px, saved with the page in BUILDDIR/meson-logs/report-html/
# (CI keeps meson-logs), are as wide as asked. Skipped, saying so, where
# chromium is not installed, but not in CI (.ci/setup installs it, .ci/run
# sets JADE_REQUIRE_CHROMIUM). Prints TAP.
# usage: report-html.sh JADE SRCDIR OUTBOX.so BUILDDIR
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
builddir=$(realpath "$4")
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  if [ -n "${JADE_REQUIRE_CHROMIUM:-}" ]; then # CI (.ci/run): it must be there
    echo "not ok 1 - chromium is installed (.ci/setup installs it)"
    echo "1..1"
    exit 1
  fi
  echo "1..0 # SKIP chromium is not installed (apt-get install chromium; CI has it)"
  exit 0
fi
work=$(tap_workdir)
proxy_pid=
trap '[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null; tap_rm_work "$work"' EXIT
artefacts=$builddir/meson-logs/report-html
mkdir -p "$artefacts" "$work/plugins" && cp "$outbox" "$work/plugins/"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

# -- a ledger: the base content, published by the service, then readings
# and a failure added as the metrics collection and a network would.
repo=$work/repo
mkdir -p "$repo" && cp -a "$src/tests/bad/base/." "$repo/"
python3 - "$repo" <<'PY'
import json, os, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 600}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
people = json.load(open(os.path.join(root, "people.json")))
people["ambassadors"].append({"id": "binta", "name": "Bintà </script><img src=http://x.invalid/a.png>",
                              "region": "gao"})
json.dump(people, open(os.path.join(root, "people.json"), "w"), ensure_ascii=False)
os.makedirs(os.path.join(root, "rumours"), exist_ok=True)
for rid, seen, summary in (("r1", "2026-12-01T08:00", "<script>alert(1)</script> « le puits »"),
                           ("r2", "2026-12-03T08:00", "Une autre rumeur")):
    json.dump({"id": rid, "first_seen": seen, "regions": ["gao"], "summary": summary,
               "status": "open"}, open(os.path.join(root, "rumours/%s.json" % rid), "w"),
              ensure_ascii=False)
for i in range(6):
    pid = "p%d" % i
    post = {"id": pid, "kind": "story", "authors": ["binta" if i % 2 else "awa"],
            "schedule": {"at": ["2026-12-%02dT09:00" % (2 + 3 * i)]}}
    if i == 0:
        post["answers"] = "r1"
    json.dump(post, open(os.path.join(root, "c1/posts/%s.json" % pid), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % pid), "w").write("Texte %s.\n" % pid)
PY
git init -q -b main "$repo" && git -C "$repo" add -A && git -C "$repo" commit -qm first
cat >"$work/config.json" <<JSON
{"source": {"url": "$repo", "branch": "main"}, "state_dir": "$work/state", "listen": "$work/state.sock",
 "plugin_dir": "$work/plugins"}
JSON
for day in 02 05 08 11 14 17; do
  "$jade" run --config "$work/config.json" --once --clock "sim:2026-12-${day}T09:00:30Z:1" >>"$work/run.log" 2>&1
done
python3 - "$work/state/ledger.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
keys = [r[0] for r in db.execute("SELECT key FROM occurrences WHERE state = 'sent' ORDER BY due, channel")]
for i, k in enumerate(keys):
    for reading, factor in ((3600, 1), (86400, 3)):
        db.execute("INSERT INTO metrics VALUES (?, ?, 0, 'reach', ?)", (k, reading, (i + 1) * 10 * factor))
        db.execute("INSERT INTO metrics VALUES (?, ?, 0, 'engagement', ?)", (k, reading, (i + 1) * factor))
db.execute("UPDATE occurrences SET state = 'failed', sent_at = NULL,"
           " error = 'HTTP 400: <b>refused</b> (attempt 1)' WHERE key = ?", (keys[-1],))
db.commit()
PY
# by ambassador: the names show
"$jade" report --config "$work/config.json" --by ambassador --format json >"$work/report.json" 2>"$work/report.err" &&
  "$jade" report --config "$work/config.json" --by ambassador --format html --output "$work/report.html" 2>>"$work/report.err"
status=$?
if [ "$status" -eq 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['totals']['reach'] > 0 and d['totals']['failures']" "$work/report.json"
then ok "the ledger's report, as JSON and HTML (with reach and a failure)"
else not_ok "the ledger's report, as JSON and HTML (with reach and a failure)" "exit $status" "$(cat "$work/report.err" "$work/run.log" | tail -n 20)"; fi
cp "$work/report.html" "$artefacts/report.html"

# -- the trap: a proxy that records every request it is sent -------------------
cat >"$work/trap.py" <<'PY'
import http.server, sys
log, port_file = sys.argv[1], sys.argv[2]
class Trap(http.server.BaseHTTPRequestHandler):
    def record(self):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = record
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trap)
open(port_file + ".tmp", "w").write(str(server.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
: >"$work/requests.log"
python3 "$work/trap.py" "$work/requests.log" "$work/port" &
proxy_pid=$!
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port" 2>/dev/null)

# chromium's own profile in the work folder, nothing of the machine's;
# as little background traffic of its own as its switches allow. What is
# left goes to a few hosts of its vendor's services (its clock, updates,
# sign-in), set apart below by exact name: a page's font from a similar
# host (fonts.googleapis.com) is still caught. Console messages are logged
# at INFO (--log-level=0) as "CONSOLE".
browse() { # LOG ARGS...
  local log=$1; shift
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$work/profile" \
    --no-first-run --no-default-browser-check --disable-background-networking \
    --disable-component-update --disable-sync --disable-extensions --disable-default-apps \
    --disable-domain-reliability --disable-client-side-phishing-detection --metrics-recording-only \
    --proxy-server="http://127.0.0.1:$port" --proxy-bypass-list='<-loopback>' \
    --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' --force-device-scale-factor=1 \
    --hide-scrollbars --enable-logging=stderr --log-level=0 --v=0 "$@" 2>>"$log"
}
page="file://$work/report.html"
browse "$work/dom.log" --virtual-time-budget=5000 --dump-dom "$page" >"$work/dom.html"
status=$?
if [ "$status" -eq 0 ] && grep -q 'data-n=' "$work/dom.html"; then ok "chromium loads the page"
else not_ok "chromium loads the page" "exit $status" "$(tail -n 20 "$work/dom.log")"; fi
browse "$work/shot.log" --window-size=360,2400 --screenshot="$artefacts/screenshot-360.png" "$page" >/dev/null
browse "$work/shot.log" --window-size=1280,2400 --screenshot="$artefacts/screenshot-1280.png" "$page" >/dev/null

# -- nothing from the network, nothing on the console -------------------------------
own='^(GET|POST|CONNECT) (https?://)?(clients[0-9]*\.google\.com|update\.googleapis\.com|accounts\.google\.com|redirector\.gvt1\.com|optimizationguide-pa\.googleapis\.com)[:/]'
grep -vE "$own" "$work/requests.log" >"$work/page-requests.log"
if [ -n "$port" ] && [ ! -s "$work/page-requests.log" ]; then ok "no request left for the network"
else not_ok "no request left for the network" "port: ${port:-none}" "$(head -n 10 "$work/page-requests.log")"; fi
if ! grep -h 'CONSOLE' "$work/dom.log" "$work/shot.log" >"$work/console.txt"; then ok "no console message (no error, no warning)"
else not_ok "no console message (no error, no warning)" "$(head -n 10 "$work/console.txt")"; fi
# the trap works: a page that asks for an image is caught
printf '<!DOCTYPE html><html><body><img src="http://example.org/a.png"><script>console.error("bait")</script></body></html>' >"$work/bait.html"
browse "$work/bait.log" --virtual-time-budget=3000 --dump-dom "file://$work/bait.html" >/dev/null
if grep -q 'example.org/a.png' "$work/requests.log" && grep -q 'CONSOLE.*"bait"' "$work/bait.log"; then
  ok "the trap catches a page that reaches out, and its console error"
else not_ok "the trap catches a page that reaches out, and its console error" "$(cat "$work/requests.log")" "$(grep CONSOLE "$work/bait.log")"; fi

# -- the numbers shown are the JSON report's ---------------------------------------------
if python3 - "$work/dom.html" "$work/report.json" <<'PY' >"$work/py.out" 2>&1
import html.parser, json, sys
dom = open(sys.argv[1], encoding="utf-8").read()
report = json.load(open(sys.argv[2]))
class Marks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.marks, self.open, self.tags, self.text = [], None, set(), []
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if "data-n" in a:
            self.open = [a["data-n"], a["data-v"], ""]
    def handle_endtag(self, tag):
        if self.open and tag == "span":
            self.marks.append(self.open)
            self.open = None
    def handle_data(self, data):
        self.text.append(data)
        if self.open:
            self.open[2] += data
p = Marks()
p.feed(dom)
def at(pointer):
    v = report
    for part in pointer.split("/")[1:]:
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v
seen = set()
for pointer, value, shown in p.marks:
    want = at(pointer)
    if isinstance(want, list):
        want = len(want)
    if want is None:
        assert value == "null", (pointer, value)
    elif isinstance(want, float):
        assert abs(float(value) - want) < 1e-9, (pointer, value, want)
        assert shown.strip() == "%.1f %%" % (100 * want), (pointer, shown)
    else:
        assert int(value) == want, (pointer, value, want)
        if pointer.endswith("_seconds"):  # shown as a duration
            assert shown.strip(), (pointer, shown)
        elif " of " not in shown:
            assert shown.strip() == str(want), (pointer, shown, want)
        else:
            assert shown.strip().split()[0] == str(want), (pointer, shown, want)
    seen.add(pointer)
needed = {"/totals/published", "/totals/reach", "/totals/engagement", "/totals/on_time_rate",
          "/indicators/active", "/totals/failures/0/count", "/indicators/unanswered",
          "/indicators/rumours/0/response_seconds", "/indicators/rumours/1/response_seconds"}
for k, r in enumerate(report["indicators"]["regions"]):
    needed |= {"/indicators/regions/%d/%s" % (k, m) for m in ("active", "target", "publications", "reach",
                                                               "rumours_answered", "median_response_seconds")}
for k, g in enumerate(report["groups"]):
    needed |= {"/groups/%d/%s" % (k, m) for m in ("published", "reach", "engagement", "occurrences")}
assert needed <= seen, sorted(needed - seen)
assert report["totals"]["reach"] > 0 and report["totals"]["engagement"] > 0
text = "".join(p.text)
assert "Bintà </script><img src=http://x.invalid/a.png>" in text, "the hostile name is not shown as text"
assert "HTTP 400: <b>refused</b>" in text, "the reason is not shown as text"
assert "<script>alert(1)</script> « le puits »" in text, "the rumour's summary is not shown as text"
assert report["indicators"]["rumours"][0]["response_seconds"] == 90030, report["indicators"]["rumours"]
assert report["indicators"]["unanswered"] == ["r2"], report["indicators"]["unanswered"]
assert not ({"script", "img", "link", "iframe", "b"} & p.tags), p.tags & {"script", "img", "link", "iframe", "b"}
print("# %d numbers checked" % len(p.marks))
PY
then ok "every number marked on the page is the JSON report's, and the content's text is text"; cat "$work/py.out"
else not_ok "every number marked on the page is the JSON report's, and the content's text is text" "$(cat "$work/py.out")"; fi

# -- a phone's width: nothing wider than 360 px ---------------------------------------------
# A page of the test's own (the report has no script) measures the report
# in a frame 360 px wide, and writes what it found into its DOM.
cat >"$work/measure.html" <<HTML
<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:360px;height:2000px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById("f").onload = function () {
  var d = this.contentDocument.documentElement;
  document.getElementById("out").textContent = "scroll " + d.scrollWidth + " client " + d.clientWidth;
};
</script></body></html>
HTML
browse "$work/measure.log" --allow-file-access-from-files --virtual-time-budget=5000 \
  --dump-dom "file://$work/measure.html" >"$work/measure.dom"
widths=$(sed -n 's/.*<pre id="out">scroll \([0-9]*\) client \([0-9]*\)<.*/\1 \2/p' "$work/measure.dom")
if [ -n "$widths" ] && [ "${widths% *}" -le "${widths#* }" ] && [ "${widths#* }" -le 360 ]; then
  ok "at 360 px, the page is no wider than the screen ($widths)"
else not_ok "at 360 px, the page is no wider than the screen" "${widths:-not measured}" "$(grep -o '<pre.*</pre>' "$work/measure.dom")"; fi

# -- the screenshots, kept as artefacts ----------------------------------------------------------
for width in 360 1280; do
  shot=$artefacts/screenshot-$width.png
  got=$(python3 -c "import struct,sys; h=open(sys.argv[1],'rb').read(24); assert h[:8]==b'\x89PNG\r\n\x1a\n'; print(struct.unpack('>I', h[16:20])[0])" "$shot" 2>/dev/null)
  if [ "$got" = "$width" ]; then ok "a screenshot $width px wide, in meson-logs/report-html/"
  else not_ok "a screenshot $width px wide, in meson-logs/report-html/" "width: ${got:-no PNG}" "$(tail -n 5 "$work/shot.log")"; fi
done
tap_done
