#!/usr/bin/env bash
# A reload reads again only the campaign folders a commit changed, when
# nothing else changed, and plans the same as reading the whole commit
# (through tests/unit/sync-tool): occurrence by occurrence, with the text
# that would be sent and the commit it would be recorded from. Root files,
# campaigns added or removed, and nested campaigns make it read the whole
# commit. usage: reload.sh SYNC-TOOL SRCDIR. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
tool=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
repo=$work/repo
now=2026-12-01T08:00:00Z
export GIT_CONFIG_NOSYSTEM=1 HOME=$work
git init -q -b main "$repo"
mkdir "$repo/content" && tap_example "$repo/content"
echo "Le dépôt des campagnes." >"$repo/README"
c=$repo/content
ve=$c/vivre-ensemble
va=$c/verifier-avant-de-partager
commit() { git -C "$repo" add -A && git -C "$repo" -c user.name=test -c user.email=test@localhost commit -qm "$1" && git -C "$repo" rev-parse HEAD; }
base=$(commit content)
edit_json() { # FILE PYTHON (d: the document)
  python3 - "$1" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
$2
json.dump(d, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
PY
}
# case NAME HOW_READ STATUS CHANGE: from the first commit, make CHANGE,
# commit; the tool must say HOW_READ, and plans agree (exit STATUS 0).
before= # commits adopted before the first, comma-separated
case_of() {
  local name=$1 how=$2 change=$3
  git -C "$repo" checkout -q -B "case-$n" "$base"
  eval "$change"
  local b
  b=$(commit "$name")
  local out rc
  out=$("$tool" "$repo" content "${before:+$before,}$base" "$b" "$now" 2>&1); rc=$?
  if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -qF "B: $how" && printf '%s' "$out" | grep -q "plans: same"; then
    ok "$name: $how, the same plan as read whole"
  else
    not_ok "$name" "exit $rc; expected \"B: $how\" and the same plans" "$out"
  fi
}

case_of "one post's text edited" "read again 1 campaign(s)" \
  'printf "Un texte corrigé.\n" >"$ve/posts/marche-partage.fr.txt"'
case_of "a post added" "read again 1 campaign(s)" \
  'cp "$ve/posts/marche-partage.json" "$ve/posts/nouvelle.json"; edit_json "$ve/posts/nouvelle.json" "d[\"id\"] = \"nouvelle\"; d[\"schedule\"] = {\"at\": [\"2026-12-03T09:30\"]}"; printf "Nouvelle.\n" >"$ve/posts/nouvelle.fr.txt"'
case_of "a post removed" "read again 1 campaign(s)" \
  'rm "$ve/posts/marche-partage".*'
case_of "a post moved to another time" "read again 1 campaign(s)" \
  'edit_json "$ve/posts/marche-partage.json" "d[\"schedule\"] = {\"at\": [\"2026-12-02T11:15\"]}"'
case_of "a post retracted" "read again 1 campaign(s)" \
  'edit_json "$ve/posts/marche-partage.json" "d[\"retracted\"] = {\"reason\": \"une erreur\"}"'
case_of "a campaign paused" "read again 1 campaign(s)" \
  'edit_json "$ve/campaign.json" "d[\"status\"] = \"paused\""'
case_of "a picture replaced" "read again 1 campaign(s)" \
  'printf "\x89PNG\r\n\x1a\nautre image" >"$va/media/photo-retouchee.png"'
case_of "both campaigns changed" "read again 2 campaign(s)" \
  'printf "Un.\n" >"$ve/posts/marche-partage.fr.txt"; printf "Deux.\n" >"$va/posts/vieille-video.fr.txt"'
case_of "a post broken in one campaign: it is kept at the first commit" "read again 1 campaign(s)" \
  'printf "{\"id\": " >"$ve/posts/marche-partage.json"'
case_of "a post now answers a rumour (the rumours are read with the campaign)" "read again 1 campaign(s)" \
  'edit_json "$ve/posts/marche-partage.json" "d[\"answers\"] = \"marche-interdit\""'
case_of "a rumour added (rumours/)" "read whole" \
  'sed "s/marche-interdit/autre-rumeur/" "$c/rumours/marche-interdit.json" >"$c/rumours/autre-rumeur.json"'
case_of "a file outside the content folder" "read again 0 campaign(s)" \
  'echo "Autre." >>"$repo/README"'
case_of "a hidden file in the content folder" "read again 0 campaign(s)" \
  'echo "root = true" >"$c/.editorconfig"'
case_of "a channel added (channels.json)" "read whole" \
  'edit_json "$c/channels.json" "d[\"channels\"].append({\"id\": \"outbox-gao-2\", \"network\": \"outbox\", \"regions\": [\"gao\"], \"account\": {\"folder\": \"gao-2\"}})"'
case_of "the policy changed (jade.json)" "read whole" \
  'edit_json "$c/jade.json" "d.setdefault(\"policy\", {})[\"min_gap_minutes\"] = 45"'
case_of "a campaign added" "read whole" \
  'cp -a "$ve" "$c/nouvelle-campagne"; edit_json "$c/nouvelle-campagne/campaign.json" "d[\"id\"] = \"nouvelle-campagne\""'
case_of "a campaign removed" "read whole" \
  'rm -r "$va"'
case_of "a file of no campaign" "read whole" \
  'mkdir -p "$c/notes" && echo "x" >"$c/notes/idees.txt"'
# Campaigns that nest: a rule reads them together, so all are read again.
git -C "$repo" checkout -q -B nested "$base"
mkdir -p "$ve/local/posts"
edit_json "$ve/campaign.json" 'd["id"] = "local"; json.dump(d, open(sys.argv[1].replace("campaign.json", "local/campaign.json"), "w")); d["id"] = "vivre-ensemble"'
cp "$ve/posts/marche-partage.json" "$ve/local/posts/" && cp "$ve/posts/marche-partage.fr.txt" "$ve/local/posts/"
base=$(commit nested)
case_of "a post edited where campaigns nest" "read whole" \
  'printf "Un texte corrigé.\n" >"$ve/posts/marche-partage.fr.txt"'
# Two folders of one name: the second is refused (duplicate id) and kept
# at its version from before; the first, changed, is read with all others.
git -C "$repo" checkout -q -B same-name "${base}~1"
mkdir -p "$c/groupe-b" && git -C "$repo" mv content/vivre-ensemble content/groupe-b/vivre-ensemble
before=$(commit "one folder")
mkdir -p "$c/groupe-a" && cp -a "$c/groupe-b/vivre-ensemble" "$c/groupe-a/"
base=$(commit "two folders of one name")

case_of "a post edited in one of two folders of one name" "read whole" \
  'printf "Un texte corrigé.\n" >"$c/groupe-a/vivre-ensemble/posts/marche-partage.fr.txt"'
before=
tap_done
