#!/usr/bin/env bash
# `jade validate` end to end: the example content, JSON output, exit
# statuses, and git repositories made with the git command (a commit is
# read, never the work tree). Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@localhost
export GIT_CONFIG_NOSYSTEM=1 HOME=$work

git_repo() { # DIR: a repository whose one commit holds the example content
  mkdir -p "$1" && cp -a "$src/campaigns/." "$1/" &&
    git -C "$1" init -q -b main && git -C "$1" add -A && git -C "$1" commit -qm content
}

# -- folders --------------------------------------------------------------
expect "the example content is valid" 0 "0 error(s)" -- "$jade" validate "$src/campaigns"
expect "the current folder is the default" 0 "0 error(s)" -- sh -c "cd '$src/campaigns' && '$jade' validate"
out=$("$jade" validate --format json "$src/campaigns" 2>/dev/null)
if printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["errors"]==0 and d["diagnostics"]==[]'; then
  ok "--format json prints a JSON report"; else not_ok "--format json prints a JSON report" "$out"; fi

mkdir -p "$work/broken" && cp -a "$src/campaigns/." "$work/broken/"
sed -i 's/"status": "active"/"status": "actif"/' "$work/broken/vivre-ensemble/campaign.json"
out=$("$jade" validate --format json "$work/broken" 2>/dev/null); rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | python3 -c '
import json,sys
d = json.load(sys.stdin)
e = d["diagnostics"][0]
assert d["errors"] == 1, d
assert e["file"].endswith("vivre-ensemble/campaign.json") and e["line"] == 5 and e["column"] == 13, e
assert e["pointer"] == "/status" and "did you mean \"active\"" in e["message"], e'; then
  ok "--format json gives file, line, column, pointer and message"
else not_ok "--format json gives file, line, column, pointer and message" "exit $rc" "$out"; fi

# A rumour marked answered that no post answers is a warning, not an error.
mkdir -p "$work/unanswered" && cp -a "$src/campaigns/." "$work/unanswered/"
sed -i '/"answers"/d' "$work/unanswered/verifier-avant-de-partager/posts/rumeur-puits-empoisonne.json"
expect "a rumour marked answered that nothing answers is a warning" 0 \
  'rumours/puits-empoisonne.json:19:13: warning: the rumour is marked answered, but no post answers it' \
  -- "$jade" validate "$work/unanswered"

# -- usage errors ------------------------------------------------------------
expect "an unknown option is a usage error" 2 "usage" -- "$jade" validate --nope
expect "a folder and --repo together are a usage error" 2 "either a folder or --repo" -- "$jade" validate "$src" --repo "$src"
expect "--ref without --repo is a usage error" 2 "" -- "$jade" validate --ref main
expect "a missing folder is a usage error" 2 "cannot open folder" -- "$jade" validate "$work/nowhere"
expect "an unknown format is a usage error" 2 "unknown format" -- "$jade" validate --format xml "$src/campaigns"
expect "an unknown command is a usage error" 2 "unknown command" -- "$jade" frobnicate
expect "a folder without jade.json is invalid" 1 "not a content tree" -- "$jade" validate "$src/schemas"

# -- git ---------------------------------------------------------------------
repo=$work/repo
git_repo "$repo"
expect "a commit of a local repository is valid" 0 "0 error(s)" -- "$jade" validate --repo "$repo"
expect "a file:// URL is read too" 0 "0 error(s)" -- "$jade" validate --repo "file://$repo"
expect "a remote URL is refused clearly" 2 "only a local repository" -- "$jade" validate --repo https://example.org/content.git
expect "an unknown ref is a usage error" 2 "nope" -- "$jade" validate --repo "$repo" --ref nope
expect "a repository that does not exist is a usage error" 2 "" -- "$jade" validate --repo "$work/nowhere"

# The work tree differs from HEAD: the commit is what counts.
printf '{ not json' >"$repo/regions.json"
expect "a broken work tree does not matter to --repo" 0 "0 error(s)" -- "$jade" validate --repo "$repo"
expect "the same broken work tree as a folder is invalid" 1 "regions.json:1:3" -- "$jade" validate "$repo"
git -C "$repo" commit -qam "break regions" && git -C "$repo" checkout -q HEAD~1 -- regions.json
expect "a broken commit is invalid even when the work tree is fixed" 1 "regions.json:1:3: error: not valid JSON" -- "$jade" validate --repo "$repo"
expect "--ref reads an older commit" 0 "0 error(s)" -- "$jade" validate --repo "$repo" --ref HEAD~1
git -C "$repo" tag good HEAD~1
expect "--ref reads a tag" 0 "0 error(s)" -- "$jade" validate --repo "$repo" --ref good
git -C "$repo" add regions.json
expect "the staged tree (git write-tree) can be checked" 0 "0 error(s)" -- "$jade" validate --repo "$repo" --ref "$(git -C "$repo" write-tree)"

# --path: the content tree in a folder of the repository
mono=$work/mono
mkdir -p "$mono/content" && cp -a "$src/campaigns/." "$mono/content/" && echo "# other things" >"$mono/README.md"
git -C "$mono" init -q -b main && git -C "$mono" add -A && git -C "$mono" commit -qm init
expect "--path reads a folder of the commit" 0 "0 error(s)" -- "$jade" validate --repo "$mono" --path content
expect "--path to a missing folder is a usage error" 2 "no folder" -- "$jade" validate --repo "$mono" --path nowhere
sed -i 's/"kind": "story"/"kind": "storyy"/' "$mono/content/vivre-ensemble/posts/marche-partage.json"
git -C "$mono" commit -qam "typo"
expect "paths are shown from the repository's root" 1 "content/vivre-ensemble/posts/marche-partage.json:3:11: error:" -- "$jade" validate --repo "$mono" --path content

# A symlink committed in the tree is refused.
sym=$work/sym
git_repo "$sym"
ln -s ../jade.json "$sym/vivre-ensemble/link.json" && git -C "$sym" add -A && git -C "$sym" commit -qm link
expect "a symlink in a git tree is an error" 1 "vivre-ensemble/link.json: error: symbolic links are not allowed" -- "$jade" validate --repo "$sym"
expect "a symlink in a folder is an error" 1 "symbolic links are not allowed" -- "$jade" validate "$sym"
# A campaign.json that is a symbolic link or a submodule makes no campaign:
# its posts belong to none (validate crashed, looking for that campaign).
symc=$work/symc
git_repo "$symc"
git -C "$symc" mv vivre-ensemble/campaign.json campaign-elsewhere.json
ln -s ../campaign-elsewhere.json "$symc/vivre-ensemble/campaign.json"
git -C "$symc" add -A && git -C "$symc" commit -qm "campaign.json as a link"
expect "a campaign.json that is a symlink: refused, its posts have no campaign (git)" 1 \
  "vivre-ensemble/posts/marche-partage.json: error: a posts folder outside any campaign" -- "$jade" validate --repo "$symc"
expect "... (folder)" 1 "vivre-ensemble/campaign.json: error: symbolic links are not allowed" -- "$jade" validate "$symc"
git -C "$symc" rm -q --cached vivre-ensemble/campaign.json
git -C "$symc" update-index --add --cacheinfo 160000,"$(git -C "$symc" rev-parse HEAD)",vivre-ensemble/campaign.json
git -C "$symc" commit -qm "campaign.json as a submodule"
expect "a campaign.json that is a submodule: refused, its posts have no campaign" 1 \
  "vivre-ensemble/campaign.json: error: not a regular file" -- "$jade" validate --repo "$symc"

# A huge JSON file is refused without being parsed.
huge=$work/huge
git_repo "$huge"
python3 -c 'import json; print(json.dumps({"regions": [{"id": "r%d" % i, "name": "x" * 100, "languages": ["fr"], "ambassadors_target": 1} for i in range(12000)]}))' >"$huge/regions.json"
git -C "$huge" commit -qam huge
expect "a JSON file over 1 MiB is refused (git)" 1 "regions.json: error: file is too large" -- "$jade" validate --repo "$huge"
expect "a JSON file over 1 MiB is refused (folder)" 1 "regions.json: error: file is too large" -- "$jade" validate "$huge"

# A submodule entry is refused, not followed.
sub=$work/sub
git_repo "$sub"
git -C "$sub" update-index --add --cacheinfo 160000,"$(git -C "$sub" rev-parse HEAD)",vivre-ensemble/media/sub
git -C "$sub" commit -qm submodule
expect "a submodule in a git tree is an error" 1 "not a regular file" -- "$jade" validate --repo "$sub"

# Policy past a campaign's end: with 30 minutes between posts, p2 (like
# p1, at 09:00 on 2 December) is pushed past 09:30, where c1 ends, on the
# Kayes channel (French, then Bambara): dropped, and validation says so.
past=$work/past-end
mkdir -p "$past" && cp -a "$src/tests/bad/base/." "$past/"
sed -i 's/"end": "2027-01-31T23:59"/"end": "2026-12-02T09:30"/' "$past/c1/campaign.json"
sed 's/"p1"/"p2"/' "$past/c1/posts/p1.json" >"$past/c1/posts/p2.json"
cp "$past/c1/posts/p1.fr.txt" "$past/c1/posts/p2.fr.txt"
cp "$past/c1/posts/p1.bm.txt" "$past/c1/posts/p2.bm.txt"
expect "a time pushed past the campaign's end is a warning naming the post" 0 \
  "c1/posts/p2.json:7:3: warning: 2 occurrence(s) of this post are pushed past the campaign's end by the minimum gap" \
  -- "$jade" validate "$past"
out=$("$jade" plan "$past" --from 2026-12-01 --to 2027-01-01 --format csv 2>&1)
if [ "$(printf '%s\n' "$out" | tail -n +2 | cut -d, -f2 | sort -u | tr '\n' ' ')" = "2026-12-02T09:00:00Z 2026-12-02T09:30:00Z " ] &&
  [ "$(printf '%s\n' "$out" | grep -c ',p2,')" -eq 1 ]; then
  ok "jade plan drops what policy pushes past the campaign's end"
else not_ok "jade plan drops what policy pushes past the campaign's end" "$out"; fi

tap_done
