#!/usr/bin/env bash
# `jade plan` end to end: the four formats of the example content against
# golden files (byte for byte, run after run, folder or commit), what each
# format promises, filters, and errors. Prints TAP.
# To refresh the golden files after an intended change:
#   for f in table json csv ics; do build/core/jade plan campaigns \
#     --from 2026-12-01 --to 2027-01-01 --format $f >tests/golden/plan.$f; done
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost GIT_COMMITTER_NAME=test
export GIT_COMMITTER_EMAIL=test@localhost GIT_CONFIG_NOSYSTEM=1 HOME=$work
range=(--from 2026-12-01 --to 2027-01-01)

check() { # NAME COMMAND...: ok when the command succeeds
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

cp -a "$src/campaigns/." "$work/repo/" 2>/dev/null || { mkdir -p "$work/repo" && cp -a "$src/campaigns/." "$work/repo/"; }
git -C "$work/repo" init -q -b main && git -C "$work/repo" add -A && git -C "$work/repo" commit -qm c

for f in table json csv ics; do
  "$jade" plan "$src/campaigns" "${range[@]}" --format $f >"$work/a.$f" 2>"$work/err"
  "$jade" plan "$src/campaigns" "${range[@]}" --format $f >"$work/b.$f" 2>>"$work/err"
  "$jade" plan --repo "$work/repo" "${range[@]}" --format $f >"$work/c.$f" 2>>"$work/err"
  if cmp -s "$work/a.$f" "$src/tests/golden/plan.$f"; then ok "$f matches the golden file"
  else not_ok "$f matches the golden file" "$(diff "$src/tests/golden/plan.$f" "$work/a.$f" | head -20)"; fi
  if cmp -s "$work/a.$f" "$work/b.$f"; then ok "$f is the same on every run"; else not_ok "$f is the same on every run"; fi
  if cmp -s "$work/a.$f" "$work/c.$f"; then ok "$f is the same from the commit"; else not_ok "$f is the same from the commit" "$(cat "$work/err")"; fi
done

check "json: keys, times and fields as documented" python3 - "$work/a.json" <<'PY'
import json, re, sys
plan = json.load(open(sys.argv[1]))
assert len(plan) > 50, len(plan)
keys = [o["key"] for o in plan]
assert len(set(keys)) == len(keys), "duplicate keys"
for o in plan:
    assert re.fullmatch(r"[0-9a-f]{32}", o["key"]), o
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o["due"]), o
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", o["local"]), o
    for field in ("campaign", "post", "channel", "network", "regions", "lang", "kind", "authors"):
        assert o[field], (field, o)
    assert ("shifted_from" in o) == ("reason" in o), o
    if "reason" in o:
        assert o["shifted_from"] < o["due"], o
assert [o["due"] for o in plan] == sorted(o["due"] for o in plan)
assert any("reason" in o for o in plan), "the example spreads languages by the minimum gap"
PY
check "csv: RFC 4180, the same rows as json" python3 - "$work/a.csv" "$work/a.json" <<'PY'
import csv, io, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.count(b"\r\n") == raw.count(b"\n"), "CSV lines end with CRLF"
rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
plan = json.load(open(sys.argv[2]))
assert [r["key"] for r in rows] == [o["key"] for o in plan]
assert all(r["due"] == o["due"] and r["lang"] == o["lang"] for r, o in zip(rows, plan))
PY
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import icalendar' 2>/dev/null; then
  check "ics: an independent parser reads one event per occurrence, UID = key" /usr/bin/python3 - "$work/a.ics" "$work/a.json" <<'PY'
import json, sys, icalendar
raw = open(sys.argv[1], "rb").read()
assert raw.count(b"\r\n") == raw.count(b"\n"), "iCalendar lines end with CRLF"
assert max(len(l) for l in raw.split(b"\r\n")) <= 75, "lines are folded at 75 octets"
cal = icalendar.Calendar.from_ical(raw)
events = list(cal.walk("VEVENT"))
plan = json.load(open(sys.argv[2]))
assert [str(e["UID"]) for e in events] == [o["key"] for o in plan]
for e, o in zip(events, plan):
    assert e.decoded("DTSTART").strftime("%Y-%m-%dT%H:%M:%SZ") == o["due"]
    assert e.decoded("DESCRIPTION"), "the text is in the description"
PY
else
  not_ok "ics: an independent parser reads one event per occurrence, UID = key" "python3-icalendar is missing (bash .ci/setup installs it)"
fi

out=$("$jade" plan "$src/campaigns" "${range[@]}" --format json --region gao)
if printf '%s' "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin); assert p and all("gao" in o["regions"] and o["channel"] in ("outbox-gao", "x-gao") for o in p); assert {o["channel"] for o in p} == {"outbox-gao", "x-gao"}'; then
  ok "--region keeps that region's channels"; else not_ok "--region keeps that region's channels" "$out"; fi
out=$("$jade" plan "$src/campaigns" "${range[@]}" --format json --channel outbox-kayes)
if printf '%s' "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin); assert p and all(o["channel"]=="outbox-kayes" for o in p)'; then
  ok "--channel keeps one channel"; else not_ok "--channel keeps one channel" "$out"; fi


# -- rumours with no answer yet -------------------------------------------
# The example has two: one a post answers, one nothing answers (Mopti).
out=$("$jade" plan "$src/campaigns" "${range[@]}" 2>/dev/null)
if printf '%s\n' "$out" | grep -q '^Rumours with no answer yet: 1$' &&
   printf '%s\n' "$out" | grep -q '^  marche-interdit  first seen 2026-12-12T08:00:00+00:00 in mopti: ' &&
   ! printf '%s' "$out" | grep -q '^  puits-empoisonne'; then
  ok "a table ends with the open rumours no post answers"
else not_ok "a table ends with the open rumours no post answers" "$(printf '%s' "$out" | tail -5)"; fi
"$jade" plan "$src/campaigns" "${range[@]}" --format json >"$work/r.json" 2>"$work/r.err"
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/r.json" &&
   grep -q 'rumours with no answer yet: 1' "$work/r.err" && grep -q marche-interdit "$work/r.err"; then
  ok "beside data (json) they go to standard error, the data stays whole"
else not_ok "beside data (json) they go to standard error, the data stays whole" "$(cat "$work/r.err")"; fi
out=$("$jade" plan "$src/campaigns" "${range[@]}" --region kayes 2>&1)
if ! printf '%s' "$out" | grep -q 'no answer yet'; then ok "--region keeps the rumours of that region"
else not_ok "--region keeps the rumours of that region" "$(printf '%s' "$out" | tail -3)"; fi

mkdir -p "$work/rumours" && cp -a "$src/campaigns/." "$work/rumours/"
r=$work/rumours
sed -i 's/"status": "answered"/"status": "open"/' "$r/rumours/puits-empoisonne.json"
python3 - "$r/verifier-avant-de-partager/posts/rumeur-puits-empoisonne.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["retracted"] = {"reason": "test"}
json.dump(p, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
out=$("$jade" plan "$r" "${range[@]}" 2>&1)
if printf '%s' "$out" | grep -q '^Rumours with no answer yet: 2$' &&
   printf '%s\n' "$out" | grep -A1 '^Rumours with no answer yet' | grep -q '^  puits-empoisonne'; then
  ok "a retracted post answers nothing; the oldest sighting comes first"
else not_ok "a retracted post answers nothing; the oldest sighting comes first" "$(printf '%s' "$out" | tail -4)"; fi
sed -i 's/"status": "open"/"status": "closed"/' "$r/rumours/marche-interdit.json" "$r/rumours/puits-empoisonne.json"
out=$("$jade" plan "$r" "${range[@]}" 2>&1)
if ! printf '%s' "$out" | grep -q 'no answer yet'; then ok "a closed rumour is not listed"
else not_ok "a closed rumour is not listed" "$(printf '%s' "$out" | tail -4)"; fi
sed -i 's/"status": "closed"/"status": "open"/' "$r/rumours/marche-interdit.json"
python3 - "$r/rumours/marche-interdit.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["summary"] = "dit \u001b]0;pwned\u0007 tout\nfaux"
json.dump(p, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
out=$("$jade" plan "$r" "${range[@]}" 2>&1)
if printf '%s' "$out" | grep -qF 'dit \x1b]0;pwned\x07 tout\x0afaux' && ! printf '%s' "$out" | grep -q $'\x1b'; then
  ok "a rumour's summary is shown escaped, on one line"
else not_ok "a rumour's summary is shown escaped, on one line" "$(printf '%s' "$out" | tail -3 | od -c | head)"; fi

expect "the default range is from now" 0 "occurrence(s)" -- "$jade" plan "$src/campaigns"
expect "an unknown channel is a usage error with a suggestion" 2 'did you mean "outbox-kayes"' -- "$jade" plan "$src/campaigns" --channel outbox-kaye
expect "an unknown region is a usage error" 2 'unknown region "tombouctou"' -- "$jade" plan "$src/campaigns" --region tombouctou
expect "a bad --from is a usage error" 2 "is not a date or a time" -- "$jade" plan "$src/campaigns" --from tomorrow
expect "--to before --from is a usage error" 2 "must come after" -- "$jade" plan "$src/campaigns" --from 2027-01-01 --to 2026-12-01
expect "an unknown format is a usage error" 2 "unknown format" -- "$jade" plan "$src/campaigns" --format xml
mkdir -p "$work/bad" && cp -a "$src/campaigns/." "$work/bad/"
sed -i 's/"kind": "story"/"kind": "storie"/' "$work/bad/vivre-ensemble/posts/marche-partage.json"
expect "invalid content is not planned" 1 "fix them first" -- "$jade" plan "$work/bad"

tap_done
