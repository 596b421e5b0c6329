#!/usr/bin/env bash
# `jade plan --diff OLD..NEW`: what a change of the content repository does
# to the plan - an added post, a removed one, a post moved (one of its two
# times: paired in time order, the other removed), a re-worded text, a
# time spread differently by policy - in text and in JSON (checked against
# schemas/plan-diff.schema.json); errors: not a range, an unknown ref, a
# broken side, a format it does not write. Prints TAP.
# usage: plan-diff.sh JADE SRCDIR
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=coach GIT_AUTHOR_EMAIL=coach@localhost GIT_COMMITTER_NAME=coach
export GIT_COMMITTER_EMAIL=coach@localhost GIT_CONFIG_NOSYSTEM=1 HOME=$work
repo=$work/repo
tap_example "$repo" && git -C "$repo" init -q -b main
post() { # FILE PYTHON-EXPRESSION-ON-d
  python3 - "$repo/$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
PY
}
# Two times for photo-retouchee (Bamako time), so that a move can drop one.
post verifier-avant-de-partager/posts/photo-retouchee.json 'd["schedule"] = {"at": ["2026-12-03T10:00", "2026-12-10T10:00"]}'
git -C "$repo" add -A && git -C "$repo" commit -qm before
git -C "$repo" tag before
# The review: photo-retouchee's two times become one on 4 December (its
# first time moves, its second is removed), marche-partage is re-worded,
# demander-la-source is removed, a new post is added.
git -C "$repo" checkout -q -b review
post verifier-avant-de-partager/posts/photo-retouchee.json 'd["schedule"] = {"at": ["2026-12-04T10:00"]}'
printf 'Un texte revu par la coach.\n' >"$repo/vivre-ensemble/posts/marche-partage.fr.txt"
git -C "$repo" rm -q verifier-avant-de-partager/posts/demander-la-source.*
cat >"$repo/vivre-ensemble/posts/nouvelle.json" <<'JSON'
{"id": "nouvelle", "kind": "story", "authors": ["amb-mopti-02"], "schedule": {"at": ["2026-12-05T09:30"]}, "regions": ["mopti"]}
JSON
printf 'Une nouvelle histoire.\n' >"$repo/vivre-ensemble/posts/nouvelle.fr.txt"
git -C "$repo" add -A && git -C "$repo" commit -qm review
range=(--from 2026-12-01 --to 2027-01-01)
"$jade" plan --repo "$repo" "${range[@]}" --format json >"$work/before.json" 2>/dev/null
(cd "$repo" && git checkout -q before && "$jade" plan "${range[@]}" --diff before..review --format json) >"$work/diff.json" 2>"$work/diff.err"
rc=$?
git -C "$repo" checkout -q review
"$jade" plan --repo "$repo" "${range[@]}" --diff before..review >"$work/diff.txt" 2>>"$work/diff.err"
if [ $rc -eq 0 ] && [ -s "$work/diff.json" ]; then ok "--diff in the repository's folder (no --repo): exit 0"
else not_ok "--diff in the repository's folder (no --repo): exit 0" "exit $rc" "$(cat "$work/diff.err")"; fi

check() { # NAME PYTHON (d: the JSON diff; by(change, post): its changes)
  if python3 - "$work/diff.json" "$src/schemas/plan-diff.schema.json" >"$work/py.out" 2>&1 <<PY
import json, sys
d = json.load(open(sys.argv[1]))
def by(change, post): return [c for c in d["changes"] if c["change"] == change and c["post"] == post]
$2
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
check "json: valid against schemas/plan-diff.schema.json" "
import jsonschema
jsonschema.validate(d, json.load(open(sys.argv[2])))"
check "json: the two sides' refs and commits" "
import subprocess
rev = lambda r: subprocess.check_output(['git', '-C', '$repo', 'rev-parse', r], text=True).strip()
assert d['old'] == {'ref': 'before', 'commit': rev('before')}, d['old']
assert d['new'] == {'ref': 'review', 'commit': rev('review')}, d['new']"
check "moved: the first time of photo-retouchee on each channel, to its new time (in time order)" "
m = by('moved', 'photo-retouchee')
assert len(m) == 10 and all(c['old_due'].startswith('2026-12-03T') and c['due'].startswith('2026-12-04T') for c in m), m
assert all(c['key'] != c['old_key'] and c['reworded'] is False for c in m), m"
check "removed: its second time, and every occurrence of the removed post" "
r = by('removed', 'photo-retouchee')
assert len(r) == 10 and all(c['old_due'].startswith('2026-12-10T') for c in r), r
assert len(by('removed', 'demander-la-source')) > 0 and all('key' not in c for c in by('removed', 'demander-la-source'))"
check "added: the new post, with its text" "
a = by('added', 'nouvelle')
assert len(a) == 1 and a[0]['channel'] == 'outbox-mopti' and a[0]['due'].startswith('2026-12-05T'), a
assert a[0]['text'] == 'Une nouvelle histoire.' and 'old_key' not in a[0], a"
check "re-worded: the same key, both texts" "
w = by('reworded', 'marche-partage')
assert len(w) == 2 and all(c['key'] == c['old_key'] and c['due'] == c['old_due'] for c in w), w
assert all(c['text'] == 'Un texte revu par la coach.' and c['old_text'].startswith('Au marché') for c in w), w
assert not [c for c in d['changes'] if c['post'] not in ('photo-retouchee', 'marche-partage', 'demander-la-source', 'nouvelle')]"
check "counts match the changes; changes are in time order" "
from collections import Counter
assert d['counts'] == {k: Counter(c['change'] for c in d['changes'])[k] for k in ('added', 'removed', 'moved', 'reworded')}, d['counts']
t = [c.get('due', c.get('old_due')) for c in d['changes']]
assert t == sorted(t), t"
n_changes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["changes"]))' "$work/diff.json")
if grep -q "^moved      2026-12-03 10:00 -> 2026-12-04 10:00  outbox-gao  fr  verifier-avant-de-partager/photo-retouchee$" "$work/diff.txt" &&
  grep -q "^added      2026-12-05 [0-9:]*  outbox-mopti  fr  vivre-ensemble/nouvelle$" "$work/diff.txt" &&
  grep -q "^re-worded  2026-12-02 10:00  outbox-mopti  fr  vivre-ensemble/marche-partage$" "$work/diff.txt" &&
  grep -q "^$n_changes change(s): 1 added, [0-9]* removed, 10 moved, 2 re-worded$" "$work/diff.txt"; then
  ok "text: one line per change (local times), and the counts"
else not_ok "text: one line per change (local times), and the counts" "$(cat "$work/diff.txt")"; fi

# A time moved by policy: the minimum gap grows, Bambara texts go later.
git -C "$repo" checkout -q -b gap
python3 - "$repo/jade.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["policy"]["min_gap_minutes"] = 90
json.dump(d, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
PY
git -C "$repo" commit -qam gap
"$jade" plan --repo "$repo" "${range[@]}" --diff review..gap --format json >"$work/gap.json"
if python3 - "$work/gap.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["changes"] and all(c["change"] == "moved" and c["key"] == c["old_key"] and c["due"] > c["old_due"] for c in d["changes"]), d
PY
then ok "a time the policy spreads further: moved, the same key"; else not_ok "a time the policy spreads further: moved, the same key" "$(head -40 "$work/gap.json")"; fi
expect "no change: an empty list" 0 "0 change(s): 0 added, 0 removed, 0 moved, 0 re-worded" -- \
  "$jade" plan --repo "$repo" "${range[@]}" --diff review..review

# -- errors ------------------------------------------------------------------------
expect "not a range: exit 2" 2 'is not a range: give OLD..NEW' -- "$jade" plan --repo "$repo" --diff before
expect "three dots: exit 2" 2 'is not a range' -- "$jade" plan --repo "$repo" --diff before...review
expect "an empty side: exit 2" 2 'is not a range' -- "$jade" plan --repo "$repo" --diff ..review
expect "an unknown ref: exit 2, named" 2 "nosuch" -- "$jade" plan --repo "$repo" --diff before..nosuch
expect "--ref with --diff: exit 2" 2 "without --ref" -- "$jade" plan --repo "$repo" --ref main --diff before..review
expect "--format ics with --diff: exit 2" 2 "--diff writes table or json" -- "$jade" plan --repo "$repo" --diff before..review --format ics
printf '{"broken": ' >"$repo/vivre-ensemble/posts/nouvelle.json"
git -C "$repo" commit -qam broken
expect "a side with invalid content: exit 1, its errors shown" 1 "the content at HEAD has" -- \
  "$jade" plan --repo "$repo" "${range[@]}" --diff before..HEAD
expect "--channel that NEW does not have: exit 2" 2 'unknown channel "outbox-nowhere"' -- \
  "$jade" plan --repo "$repo" --diff before..review --channel outbox-nowhere
expect "--channel keeps that channel's changes" 0 "1 added, 0 removed, 0 moved, 0 re-worded" -- \
  "$jade" plan --repo "$repo" "${range[@]}" --diff before..review --channel outbox-mopti --from 2026-12-05 --to 2026-12-06
expect "--help names --diff" 0 "--diff OLD..NEW" -- "$jade" plan --help
tap_done
