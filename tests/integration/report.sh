#!/usr/bin/env bash
# jade report from the command line: a simulated morning published from a
# git repository through the outbox, then the report's content by default
# (the commit the service adopted, from its mirror; or its folder), or
# given (a folder, --repo --ref); its numbers against jade history's;
# each format (JSON parsed, CSV read as a spreadsheet would, UTF-8 with a
# BOM, HTML self-contained and escaped); --output; the errors. Prints TAP.
# usage: report.sh JADE SRCDIR OUTBOX.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
mkdir -p "$work/plugins" && cp "$outbox" "$work/plugins/"

# -- the content: two regions, three ambassadors (one with a hostile name),
# two posts due at 09:00 and 09:30 (Bamako is UTC), one channel a region.
repo=$work/repo
mkdir -p "$repo" && cp -a "$src/tests/bad/base/." "$repo/"
python3 - "$repo" <<'PY'
import json, os, sys
root = sys.argv[1]
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
people = json.load(open(os.path.join(root, "people.json")))
people["ambassadors"].append({"id": "binta", "name": "Bintà </script><img src=http://x.invalid/a.png>",
                              "region": "gao"})
json.dump(people, open(os.path.join(root, "people.json"), "w"), ensure_ascii=False)
regions = json.load(open(os.path.join(root, "regions.json")))
regions["regions"][0]["name"] = "Kayès"
json.dump(regions, open(os.path.join(root, "regions.json"), "w"), ensure_ascii=False)
for pid, authors, at in (("p1", ["awa"], "2026-12-02T09:00"), ("p2", ["binta"], "2026-12-02T09:30")):
    json.dump({"id": pid, "kind": "story", "authors": authors, "schedule": {"at": [at]}},
              open(os.path.join(root, "c1/posts/%s.json" % pid), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % pid), "w").write("Texte %s.\n" % pid)
PY
git init -q -b main "$repo" && git -C "$repo" add -A && git -C "$repo" commit -qm first
cat >"$work/config.json" <<JSON
{"source": {"url": "$repo", "branch": "main"}, "state_dir": "$work/state", "listen": "$work/state.sock",
 "plugin_dir": "$work/plugins"}
JSON
expect "a simulated morning publishes p1 and p2" 0 "" -- "$jade" run --config "$work/config.json" \
  --once --clock sim:2026-12-02T09:40:00Z:1
r() { "$jade" report --config "$work/config.json" "$@"; }

# -- the service's content, by default ------------------------------------------
r --format json >"$work/r.json" 2>"$work/r.err"
"$jade" history --config "$work/config.json" --format json >"$work/h.json"
check() { # NAME PYTHON (report: the JSON report; history: jade history's rows)
  if python3 - "$work/r.json" "$work/h.json" <<PY >"$work/py.out" 2>&1
import json, sys
report = json.load(open(sys.argv[1]))
history = json.load(open(sys.argv[2]))
$2
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")" "$(cat "$work/r.err")"; fi
}
check "the report's states, publications and on-time count are jade history's, counted" '
from collections import Counter
from datetime import datetime
states = Counter(r["state"] for r in history)
assert report["totals"]["occurrences"] == len(history) == 4, (report["totals"], len(history))
assert all(report["totals"]["states"][s] == states.get(s, 0) for s in report["totals"]["states"]), report["totals"]["states"]
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
sent = [r for r in history if r["sent_at"]]
on_time = [r for r in sent if t(r["sent_at"]) - t(r["due"]) <= 60]
assert report["totals"]["published"] == len(sent) == 4, report["totals"]
assert report["totals"]["on_time"] == len(on_time), (report["totals"], on_time)'
first=$(git -C "$repo" rev-parse HEAD)
check "by default, the content of the commit the service adopted, from its mirror" "
assert report['content'].startswith('commit ${first:0:12}') and 'state/content.git' in report['content'], report['content']
regions = {r['id']: r for r in report['indicators']['regions']}
assert regions['kayes']['name'] == 'Kayès' and regions['kayes']['active'] == 1, regions['kayes']
assert regions['gao']['active'] == 1 and regions['gao']['ambassadors'] == 2, regions['gao']"
# a new commit the service has not adopted yet: not in the report, unless asked for
python3 - "$repo/regions.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["regions"][0]["name"] = "Kayes (renamed)"
json.dump(doc, open(sys.argv[1], "w"), ensure_ascii=False)
PY
git -C "$repo" commit -qam rename
r --format json >"$work/r2.json"
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['indicators']['regions'][0]['name'] == 'Kayès'" "$work/r2.json"
then ok "a commit not adopted yet is not the report's content"; else not_ok "a commit not adopted yet is not the report's content" "$(head -c 600 "$work/r2.json")"; fi
r --format json --repo "$repo" --ref main >"$work/r3.json"
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['indicators']['regions'][0]['name'] == 'Kayes (renamed)', d['indicators']['regions'][0]" "$work/r3.json"
then ok "--repo --ref: the content of that commit"; else not_ok "--repo --ref: the content of that commit" "$(head -c 600 "$work/r3.json")"; fi
r --format json "$repo" >"$work/r4.json"
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['content'].startswith('folder'), d['content']; assert d['indicators']['regions'][0]['name'] == 'Kayes (renamed)'" "$work/r4.json"
then ok "a folder: its content as it is on disk"; else not_ok "a folder: its content as it is on disk" "$(head -c 600 "$work/r4.json")"; fi
# a service that publishes from a folder: that folder
cat >"$work/dir.json" <<JSON
{"source": {"dir": "$repo"}, "state_dir": "$work/state", "listen": "$work/state.sock", "plugin_dir": "$work/plugins"}
JSON
"$jade" report --config "$work/dir.json" --format json >"$work/r5.json" 2>"$work/r5.err"
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['content'].startswith('folder'), d['content']" "$work/r5.json"
then ok "a service that reads a folder: the report reads it too"; else not_ok "a service that reads a folder: the report reads it too" "$(cat "$work/r5.err")"; fi

# -- the period ------------------------------------------------------------------
r --format json --from 2026-12-02T09:15 --to 2026-12-02T09:30 >"$work/p.json"
r --format json --from 2026-12-02T09:30 --to 2026-12-03 >"$work/p2.json"
if python3 - "$work/p.json" "$work/p2.json" <<'PY' >"$work/py.out" 2>&1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["totals"]["occurrences"] == 0, a["totals"]          # p2 at 09:30 is the end: excluded
assert a["period"] == {"from": "2026-12-02T09:15:00Z", "to": "2026-12-02T09:30:00Z"}, a["period"]
assert b["totals"]["occurrences"] == 2, b["totals"]          # and the start: included (p2, two channels)
regions = {r["id"]: r for r in b["indicators"]["regions"]}
assert regions["gao"]["active"] == 1 and regions["kayes"]["active"] == 0, regions
PY
then ok "--from is included, --to is not; dates and local times as jade plan reads them"; else not_ok "--from is included, --to is not; dates and local times as jade plan reads them" "$(cat "$work/py.out")"; fi

# -- formats -------------------------------------------------------------------------
r --format csv >"$work/r.csv"
if head -c 3 "$work/r.csv" | od -An -tx1 | grep -q "ef bb bf" &&
   python3 - "$work/r.csv" <<'PY' >"$work/py.out" 2>&1
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
assert rows[0] == ["section", "id", "name", "detail", "measure", "value"], rows[0]
assert all(len(r) == 6 for r in rows), [r for r in rows if len(r) != 6]
assert ["regions", "kayes", "Kayès", "", "active", "1"] in rows, rows
assert ["totals", "", "", "", "published", "4"] in rows, rows
PY
then ok "csv: a byte order mark, then UTF-8 with its accents, six columns, one shape"; else not_ok "csv: a byte order mark, then UTF-8 with its accents, six columns, one shape" "$(cat "$work/py.out")"; fi
r --by ambassador --format csv >"$work/a.csv"
if grep -qF 'groups,binta,Bintà </script><img src=http://x.invalid/a.png>,,published,2' "$work/a.csv"
then ok "csv --by ambassador: each ambassador's row, the name as written"; else not_ok "csv --by ambassador: each ambassador's row, the name as written" "$(grep binta "$work/a.csv" | head -3)"; fi
r --by ambassador --format html --output "$work/r.html"
status=$?
if [ "$status" -eq 0 ] && grep -qF '&lt;/script&gt;&lt;img src=http://x.invalid/a.png&gt;' "$work/r.html" &&
   ! grep -qiE '<(script|img|link|iframe|object|embed|image|use|foreignobject)|@import|url\(' "$work/r.html" &&
   ! grep -qiE '<[a-z][^>]*[[:space:]](src|href)="[^#]' "$work/r.html"; then
  ok "html --output: one file, the hostile name escaped, nothing that loads or runs"
else not_ok "html --output: one file, the hostile name escaped, nothing that loads or runs" "exit $status" "$(grep -oiE '.{30}(<script|<img|src=|url\().{30}' "$work/r.html" | head -3)"; fi
if grep -qF '<svg' "$work/r.html" && grep -qF '@page' "$work/r.html" && grep -qF 'name="viewport"' "$work/r.html"
then ok "html: inline SVG charts, a page for A4, a viewport for phones"; else not_ok "html: inline SVG charts, a page for A4, a viewport for phones"; fi
r >"$work/r.txt"
if grep -qE '^  region +active +target +ambassadors +published +reach' "$work/r.txt" &&
   grep -qE '^  Kayès +1 +20 +1 +2 +0 ' "$work/r.txt"; then
  ok "table: aligned columns, accents counted as one character"
else not_ok "table: aligned columns, accents counted as one character" "$(head -n 12 "$work/r.txt")"; fi
for by in region ambassador campaign network; do
  r --by "$by" --format json >"$work/by.json" 2>"$work/by.err"
  if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['by'] == sys.argv[2] and d['groups'], d['groups']" "$work/by.json" "$by"
  then ok "--by $by"; else not_ok "--by $by" "$(cat "$work/by.err")"; fi
done

# -- errors ------------------------------------------------------------------------------
expect "--by: an unknown dimension is a usage error" 2 'takes region, ambassador, campaign or network' -- \
  "$jade" report --config "$work/config.json" --by channel
expect "--format: an unknown format is a usage error" 2 'unknown format "pdf" (table, csv, json or html)' -- \
  "$jade" report --config "$work/config.json" --format pdf
expect "--from: not a time is a usage error" 2 '--from "yesterday" is not a date or a time' -- \
  "$jade" report --config "$work/config.json" --from yesterday
expect "--to before --from is a usage error" 2 '--to must come after --from' -- \
  "$jade" report --config "$work/config.json" --from 2026-12-03 --to 2026-12-02
expect "--ref without --repo is a usage error" 2 '--ref and --path go with --repo' -- \
  "$jade" report --config "$work/config.json" --ref main
expect "a configuration that cannot be read is a usage error" 2 'missing.json' -- \
  "$jade" report --config "$work/missing.json"
cat >"$work/empty.json" <<JSON
{"source": {"dir": "$repo"}, "state_dir": "$work/nothing", "listen": "$work/n.sock"}
JSON
expect "a state folder without a ledger fails, naming it" 1 "$work/nothing holds no ledger" -- \
  "$jade" report --config "$work/empty.json"
if [ ! -e "$work/nothing" ]; then ok "... and nothing is created"; else not_ok "... and nothing is created" "$(ls -la "$work/nothing")"; fi
expect "--output into a folder that does not exist fails" 1 "cannot write $work/no/such/r.html" -- \
  "$jade" report --config "$work/config.json" --format html --output "$work/no/such/r.html"
cp -a "$work/state" "$work/noadopt"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM adoptions'); c.commit()" "$work/noadopt/ledger.sqlite"
sed "s|$work/state\"|$work/noadopt\"|" "$work/config.json" >"$work/noadopt.json"
expect "a git service that adopted nothing yet: give the content" 1 "the service has adopted no content yet" -- \
  "$jade" report --config "$work/noadopt.json"
expect "... and given, the report is made" 0 "" -- "$jade" report --config "$work/noadopt.json" "$repo"
cp -a "$work/state" "$work/old"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 9'); c.commit()" "$work/old/ledger.sqlite"
sed "s|$work/state\"|$work/old\"|" "$work/config.json" >"$work/old.json"
expect "a ledger before schema 10 fails, saying what to do" 1 "jade run --once" -- \
  "$jade" report --config "$work/old.json" "$repo"
mkdir -p "$work/broken" && cp -a "$repo/." "$work/broken/" && rm -rf "$work/broken/.git"
printf '{"id": "p2", "kind": "story", "authors": ["binta"], "schedule": {"at": ["2026-12-02T09:30"]}, "oops": 1}' >"$work/broken/c1/posts/p2.json"
expect "content with errors: a warning, and the report of what could be read" 0 "has 1 error(s)" -- \
  "$jade" report --config "$work/config.json" "$work/broken"

tap_done
