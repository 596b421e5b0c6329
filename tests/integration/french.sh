#!/usr/bin/env bash
# jade in French: with LANG, LC_MESSAGES or LANGUAGE saying French, the
# catalogue (build/po, found beside the binary) gives the usage, the
# content's errors (FILE:LINE:COL kept), plan's, status's and a plugin's
# messages in French; numbers keep their point; the C locale stays
# English. Skips when the fr_FR.UTF-8 locale is not installed (.ci/setup
# generates it). Prints TAP.
# usage: french.sh JADE SRCDIR OUTBOX.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
if ! locale -a 2>/dev/null | grep -qix 'fr_FR.utf-\?8'; then
  echo "1..0 # SKIP the fr_FR.UTF-8 locale is not installed (.ci/setup generates it)"
  exit 0
fi
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
# tap.sh set English; each command here says its language itself.
fr() { env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=fr_FR.UTF-8 "$@"; }
c() { env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C "$@"; }

expect "jade --help in French" 0 "commandes :" -- fr "$jade" --help
expect "a command's usage in French" 0 "Vérifie une arborescence de contenu" -- fr "$jade" validate --help
expect "an unknown command, in French" 2 'commande inconnue "nimporte"' -- fr "$jade" nimporte
expect "LC_MESSAGES alone says French" 0 "commandes :" -- \
  env -u LC_ALL -u LANGUAGE LANG=C.UTF-8 LC_MESSAGES=fr_FR.UTF-8 "$jade" --help
expect "LANGUAGE=fr says French over an English locale" 2 'commande inconnue "nimporte"' -- \
  env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 LANGUAGE=fr "$jade" nimporte
expect "the C locale stays English" 0 "commands:" -- c "$jade" --help
out=$(c "$jade" --help 2>&1)
case $out in
*commandes*) not_ok "no French in the C locale" "$out" ;;
*) ok "no French in the C locale" ;;
esac

# -- a broken content tree: the position stays, the words are French -------
tree="$work/tree"
mkdir -p "$tree" && cp -a "$src/tests/bad/base/." "$tree/" &&
  cp -a "$src/tests/bad/cases/04-unknown-field/tree/." "$tree/"
expect "validate: the error at its place, in French" 1 \
  'c1/campaign.json:3:3: erreur: champ inconnu "titel" (vouliez-vous dire "title" ?)' -- \
  fr "$jade" validate "$tree"
expect "validate: the summary in French" 1 "2 erreur(s), 0 avertissement(s)" -- fr "$jade" validate "$tree"
fr "$jade" validate --format json "$tree" >"$work/diags.json" 2>/dev/null
if python3 - "$work/diags.json" >"$work/py.out" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
items = doc if isinstance(doc, list) else doc.get("diagnostics", doc.get("errors", []))
text = json.dumps(doc, ensure_ascii=False)
assert '"severity": "error"' in text, text  # a token for machines stays English
assert "champ inconnu" in text, text
PY
then ok "validate --format json: the message French, the severity a token"; else not_ok "validate --format json: the message French, the severity a token" "$(cat "$work/py.out")"; fi
expect "the same tree in the C locale: English" 1 'c1/campaign.json:3:3: error: unknown field "titel"' -- \
  c "$jade" validate "$tree"

# -- plan ----------------------------------------------------------------------
expect "plan refuses broken content, in French" 1 "le contenu a 2 erreur(s) : corrigez-les d'abord" -- \
  fr "$jade" plan "$tree"
expect "plan: an unknown format, in French" 2 'format inconnu "xml" (table, json, csv ou ics)' -- \
  fr "$jade" plan --format xml "$src/tests/bad/base"
expect "plan: an unknown region, with a suggestion, in French" 2 'introuvable (vouliez-vous dire' -- \
  fr "$jade" plan --region gaoo "$src/campaigns"
expect "plan: the table's head in French" 0 "heure locale" -- \
  fr "$jade" plan --from 2026-12-01 --to 2026-12-02 "$src/campaigns"
expect "plan: the open rumours no post answers, in French" 0 "Rumeurs encore sans réponse : 1" -- \
  fr "$jade" plan --from 2026-12-01 --to 2026-12-02 "$src/campaigns"
expect "validate: the rumours counted, in French" 0 "$(ls "$src"/campaigns/rumours/*.json | wc -l) rumeur(s) : 0 erreur(s)" -- \
  fr "$jade" validate "$src/campaigns"

# -- status of a service that is not running ---------------------------------
mkdir -p "$work/plugins" && cp "$outbox" "$work/plugins/"
tap_example "$work/content"
cat >"$work/config.json" <<JSON
{"source": {"dir": "$work/content"}, "state_dir": "$work/state", "listen": "$work/admin.sock", "plugin_dir": "$work/plugins"}
JSON
expect "status of a stopped service, in French" 1 "ne tourne pas : rien n'écoute sur $work/admin.sock" -- \
  fr "$jade" status --config "$work/config.json"

# -- a plugin's message, through jade's catalogue (dgettext in the plugin) ----
mkdir -p "$work/state/outbox" && : >"$work/state/outbox/kayes" # a file where its folder goes
expect "--once in French, the kayes outbox blocked" 0 "" -- \
  fr "$jade" run --config "$work/config.json" --once --clock sim:2026-12-01T09:00:30Z:1
fr "$jade" history --config "$work/config.json" --format json >"$work/history.json" 2>"$work/history.err"
if python3 - "$work/history.json" >"$work/py.out" 2>&1 <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
kayes = [r for r in rows if r["channel"] == "outbox-kayes" and r.get("error")]
assert kayes, rows
assert all("impossible d'écrire" in r["error"] for r in kayes), kayes
assert all(r["state"] in ("retrying", "failed") for r in kayes), kayes
PY
then ok "the outbox plugin's error is in French"; else not_ok "the outbox plugin's error is in French" "$(cat "$work/py.out")"; fi
expect "history's table head in French" 0 "campagne/publication" -- \
  fr "$jade" history --config "$work/config.json"
expect "plugins: a plugin's description in French" 0 "écrit chaque publication dans un fichier JSON" -- \
  fr "$jade" plugins --plugin-dir "$work/plugins"

# -- status of a running service: its words French, its columns aligned ------
sed -e "s|$work/state|$work/state2|" -e "s|admin.sock|admin2.sock|" "$work/config.json" >"$work/config2.json"
# (env itself, not the function fr: $! must be jade, which env becomes)
env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=fr_FR.UTF-8 \
  "$jade" run --config "$work/config2.json" --clock sim:2026-12-01T08:00:00Z:1 >"$work/run2.log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null; tap_rm_work "$work"' EXIT
for _ in $(seq 600); do [ -S "$work/admin2.sock" ] && break; sleep 0.1; done
fr "$jade" status --config "$work/config2.json" >"$work/status.txt" 2>&1
if python3 - "$work/status.txt" >"$work/py.out" 2>&1 <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert "en marche" in lines[0], lines
head = next(i for i, l in enumerate(lines) if l.startswith("CANAL"))
row = lines[head + 1]
assert row.startswith("outbox-") and " prêt " in row, row
# in characters, each count ends where its head ends
for word in ("PRÉVUES", "RELANCES", "RETENUES", "EN ENVOI"):
    end = lines[head].index(word) + len(word)
    assert row[end - 1].isdigit() and row[end] == " ", (word, lines[head], row)
PY
then ok "status of a running service in French, columns aligned"; else not_ok "status of a running service in French, columns aligned" "$(cat "$work/py.out")" "$(cat "$work/status.txt")"; fi
kill "$service" && wait "$service"

# -- numbers keep their point (LC_NUMERIC stays C) -----------------------------
out=$(fr "$jade" run --config "$work/none.json" --clock sim:2026-12-01T00:00:00Z:1.5 2>&1)
case $out in
*--clock*) not_ok "--clock's speed 1.5 reads in French too" "$out" ;;
*none.json*) ok "--clock's speed 1.5 reads in French too" ;;
*) not_ok "--clock's speed 1.5 reads in French too" "$out" ;;
esac
tap_done
