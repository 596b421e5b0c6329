#!/usr/bin/env bash
# Output hygiene: file names, folder names, texts and ledger values holding
# terminal escapes (a title ESC]0;...BEL, a clear ESC[2J), a lone carriage
# return, a C1 control, bytes that are not UTF-8, a tab or a line end reach
# no terminal raw: every diagnostic, table, log line and JSON document shows
# them escaped, each diagnostic stays one line, and none is lost. Prints TAP.
# usage: hygiene.sh JADE SRCDIR OUTBOX.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

# clean NAME FILE [ALSO]: FILE is UTF-8 with no control character but \n,
# no DEL, no C1 control; ALSO=crlf allows \r\n (CSV's and iCalendar's
# line ends), ALSO=crlf-tab tabs too (RFC 5545 text may hold them).
clean() {
  if python3 - "$2" "${3:-}" >"$work/py.out" 2>&1 <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")  # raises on bytes that are not UTF-8
if sys.argv[2].startswith("crlf"):
    text = text.replace("\r\n", "\n")
if sys.argv[2] == "crlf-tab":
    text = text.replace("\t", " ")
bad = sorted({hex(ord(c)) for c in re.findall(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)})
assert not bad, "raw control characters: %s" % bad
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")" "$(head -c 600 "$2" | cat -v)"; fi
}
has() { # NAME FILE FRAGMENT
  if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1" "lacks: $3" "$(head -c 600 "$2" | cat -v)"; fi
}

ESC=$'\e' BEL=$'\a' CR=$'\r' TAB=$'\t' NL=$'\n' C1=$'\xc2\x9b' BAD=$'\xff'
# -- a tree with hostile names: invalid content, so only diagnostics --------
tree=$work/hostile
cp -a "$src/tests/bad/base" "$tree"
cp "$tree/c1/posts/p1.json" "$tree/c1/posts/${ESC}]0;pwned${BEL}.json"
printf 'x' >"$tree/c1/posts/p2${ESC}[2J.fr.txt"
mkdir "$tree/c${ESC}[31mred" && cp "$tree/c1/campaign.json" "$tree/c${ESC}[31mred/campaign.json"
printf 'x' >"$tree/c1/posts/p4${BAD}${CR}${C1}${TAB}.fr.txt"
printf 'x' >"$tree/c1/posts/p5${NL}forged.json:1:1: error: forged.fr.txt"
printf '{"id": "p6\\u009b0m", "\\u001b]0;key\\u0007": 1}' >"$tree/c1/posts/p6.json"

"$jade" validate "$tree" >/dev/null 2>"$work/validate.txt"
clean "validate (folder): no raw control in the diagnostics" "$work/validate.txt"
has "validate: a post's file name with a title sequence, escaped" "$work/validate.txt" \
  'c1/posts/\x1b]0;pwned\x07.json:2:9: error: the post id "p1" differs from its file name'
has "validate: a folder's name with a colour sequence, escaped" "$work/validate.txt" 'c\x1b[31mred/campaign.json'
has "validate: CR, a byte that is not UTF-8, C1 and a tab in a name, escaped" "$work/validate.txt" \
  'c1/posts/p4\xff\x0d\u{9b}\x09.fr.txt: error'
has "validate: a value quoting a C1 control, escaped" "$work/validate.txt" '"p6\u{9b}0m" is not a valid identifier'
has "validate: a field name with escapes, escaped in the message and the pointer" "$work/validate.txt" \
  '[/\x1b]0;key\x07]'
if grep -q "^forged.json" "$work/validate.txt"; then
  not_ok "validate: a line end in a name forges no diagnostic" "$(cat -v "$work/validate.txt")"
else ok "validate: a line end in a name forges no diagnostic"; fi
lines=$(wc -l <"$work/validate.txt")
"$jade" validate --format json "$tree" >"$work/validate.json" 2>/dev/null
clean "validate --format json: no raw control" "$work/validate.json"
if python3 - "$work/validate.json" "$lines" >"$work/py.out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = len(d["diagnostics"])
assert n == d["errors"] + d["warnings"], "%d diagnostics for %d errors" % (n, d["errors"])
assert n + 1 == int(sys.argv[2]), "%d in JSON, %s lines of text (with the summary)" % (n, sys.argv[2])
files = [x["file"] for x in d["diagnostics"]]
assert any(f.endswith("/c1/posts/p4\\xff\r\u009b\t.fr.txt") for f in files), files
assert any(f.endswith("/c1/posts/\x1b]0;pwned\x07.json") for f in files), files
PY
then ok "validate --format json: every diagnostic, one text line each; JSON's own escapes"
else not_ok "validate --format json: every diagnostic, one text line each; JSON's own escapes" "$(cat "$work/py.out")"; fi

repo=$work/repo
git init -q -b main "$repo" && cp -a "$tree/." "$repo/" && git -C "$repo" add -A &&
  git -C "$repo" commit -qm hostile
"$jade" validate --repo "$repo" >/dev/null 2>"$work/validate-git.txt"
clean "validate --repo: no raw control in the diagnostics" "$work/validate-git.txt"
has "validate --repo: names from the tree, escaped" "$work/validate-git.txt" 'c1/posts/p4\xff\x0d\u{9b}\x09.fr.txt: error'

# -- valid content whose texts and a blackout's reason hold escapes --------
plan=$work/plan
cp -a "$src/tests/bad/base" "$plan"
python3 - "$plan" <<'PY'
import json, os, sys
root = sys.argv[1]
path = os.path.join(root, "jade.json")
j = json.load(open(path))
j["policy"]["blackouts"] = [{"from": "2026-12-02T00:00", "to": "2026-12-02T12:00",
    "reason": "f\u00eate \u025b\u0254 \x1b]0;pwned\x07 \x1b[2J\r \u009b31m \x7f tab\tline\nend"}]
json.dump(j, open(path, "w"), ensure_ascii=False)
open(os.path.join(root, "c1/posts/p1.fr.txt"), "wb").write(
    b"Bonjour \x1b]0;pwned\x07 \x1b[2J\r\nsuite\rcache \xc2\x9b fin\n")
PY
range=(--from 2026-12-01 --to 2026-12-05)
expect "the content with escapes in texts is valid" 0 "0 error(s)" -- "$jade" validate "$plan"
"$jade" plan "$plan" "${range[@]}" >"$work/plan.txt" 2>&1
clean "plan (table): no raw control" "$work/plan.txt"
has "plan (table): a blackout's reason, escaped on its row, accents kept" "$work/plan.txt" \
  'blackout: fête ɛɔ \x1b]0;pwned\x07 \x1b[2J\x0d \u{9b}31m \x7f tab\x09line\x0aend'
if [ "$(wc -l <"$work/plan.txt")" -eq 5 ]; then ok "plan (table): one line per occurrence"
else not_ok "plan (table): one line per occurrence" "$(cat -v "$work/plan.txt")"; fi
"$jade" plan "$plan" "${range[@]}" --format csv >"$work/plan.csv" 2>/dev/null
clean "plan (csv): no raw control but the CRLF line ends (its fields are checked words)" "$work/plan.csv" crlf
"$jade" plan "$plan" "${range[@]}" --format ics >"$work/plan.ics" 2>/dev/null
clean "plan (ics): no raw control but the CRLF line ends (RFC 5545 text)" "$work/plan.ics" crlf-tab
if /usr/bin/python3 - "$work/plan.ics" >"$work/py.out" 2>&1 <<'PY'
import sys
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], "rb").read())
descs = [str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")]
assert any("Bonjour \\x1b]0;pwned\\x07 \\x1b[2J\nsuite\\x0dcache \\u{9b} fin" in d for d in descs), descs
PY
then ok "plan (ics): the text's escapes shown, its line ends kept"
else not_ok "plan (ics): the text's escapes shown, its line ends kept" "$(cat "$work/py.out")"; fi
"$jade" plan "$plan" "${range[@]}" --format json >"$work/plan.json" 2>/dev/null
clean "plan (json): no raw control, C1 and DEL too" "$work/plan.json"
if python3 - "$work/plan.json" >"$work/py.out" 2>&1 <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
want = "f\u00eate \u025b\u0254 \x1b]0;pwned\x07 \x1b[2J\r \u009b31m \x7f tab\tline\nend"
assert [r.get("blackout") for r in rows[:2]] == [want, want], rows
PY
then ok "plan (json): the reason as written (JSON escapes)"
else not_ok "plan (json): the reason as written (JSON escapes)" "$(cat "$work/py.out")"; fi

# -- the ledger: what networks answered, shown by history ------------------
mkdir -p "$work/plugins" && cp "$outbox" "$work/plugins/"
cat >"$work/config.json" <<JSON
{"source": {"dir": "$plan"}, "state_dir": "$work/state", "listen": "$work/state.sock", "plugin_dir": "$work/plugins"}
JSON
expect "--once publishes the 12:00 occurrences" 0 "" -- "$jade" run --config "$work/config.json" --once --clock sim:2026-12-02T12:00:30Z:1
python3 - "$work/state/ledger.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE occurrences SET state = 'failed', error = ?, network_id = ?, signer = ?",
           ("denied \x1b]0;pwned\x07 \x1b[2J\rforged\n\u009b \x7f", "id\x1b[31m",
            b"awa\xff\xfe@jade"))
db.commit()
PY
"$jade" history --config "$work/config.json" >"$work/history.txt" 2>&1
clean "history (table): no raw control" "$work/history.txt"
has "history (table): a network's error, escaped" "$work/history.txt" \
  '    error: denied \x1b]0;pwned\x07 \x1b[2J\x0dforged\x0a\u{9b} \x7f'
has "history (table): a network's id, escaped" "$work/history.txt" '  id id\x1b[31m  '
rows=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM occurrences").fetchone()[0])' "$work/state/ledger.sqlite")
if [ "$(grep -c '^    error: denied' "$work/history.txt")" -eq "$rows" ] && ! grep -q '^forged' "$work/history.txt"
then ok "history (table): one error line per occurrence, none forged"
else not_ok "history (table): one error line per occurrence, none forged" "$(cat -v "$work/history.txt")"; fi
"$jade" history --config "$work/config.json" --format json >"$work/history.json" 2>&1
clean "history (json): no raw control" "$work/history.json"
if python3 - "$work/history.json" "$rows" >"$work/py.out" 2>&1 <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == int(sys.argv[2]), len(rows)
assert rows[0]["error"] == "denied \x1b]0;pwned\x07 \x1b[2J\rforged\n\u009b \x7f", rows[0]
assert rows[0]["signer"] == "awa\\xff\\xfe@jade", rows[0]  # not UTF-8: shown, not lost
PY
then ok "history (json): every row, every field"
else not_ok "history (json): every row, every field" "$(cat "$work/py.out")"; fi

# -- jade run and jade plugins ---------------------------------------------
cat >"$work/hostile.json" <<JSON
{"source": {"dir": "$tree"}, "state_dir": "$work/state-hostile", "listen": "$work/state-hostile.sock", "plugin_dir": "$work/plugins"}
JSON
"$jade" run --config "$work/hostile.json" --once --clock sim:2026-12-02T12:00:30Z:1 >"$work/run.txt" 2>&1
clean "run: no raw control in what it says of hostile content" "$work/run.txt"
# a log value: escaped, then quoted for logfmt (its backslashes doubled)
has "run: the hostile name, escaped" "$work/run.txt" 'c1/posts/\\x1b]0;pwned\\x07.json'
mkdir -p "$work/plugdir${ESC}]0;x${BEL}" && chmod 755 "$work/plugdir${ESC}]0;x${BEL}"
printf 'not a plugin' >"$work/plugdir${ESC}]0;x${BEL}/evil${ESC}[2J.so"
"$jade" plugins --plugin-dir "$work/plugdir${ESC}]0;x${BEL}" >"$work/plugins.txt" 2>&1
clean "plugins: no raw control in the folder's and a refused file's names" "$work/plugins.txt"
has "plugins: the refused file, escaped" "$work/plugins.txt" 'evil\x1b[2J.so'
tap_done
