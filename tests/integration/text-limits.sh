#!/usr/bin/env bash
# `jade validate` checks every text against every channel that will
# publish it, counted as that channel's network counts (code points, X's
# weighted length, Mastodon's graphemes), with a caption's limit for a post
# with media and a channel's own limit from its account; and each channel's
# account against its network's schema. Prints TAP.
# usage: text-limits.sh JADE SRCDIR OUTBOX.so TELEGRAM.so X.so MASTODON.so BAD_JSON.so BAD_KEYWORD.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
plugins=$work/plugins
mkdir -p "$plugins" && cp "$3" "$4" "$5" "$6" "$plugins/"

tree=$work/tree
mkdir -p "$tree" && cp -a "$src/tests/bad/base/." "$tree/"
# channels ACCOUNT_TG ACCOUNT_MD: the three counted networks in Kayes
channels() {
  python3 - "$tree/channels.json" "$1" "$2" <<'PY'
import json, sys
path, tg, md = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
d = {"channels": [
  {"id": "tg-kayes", "network": "telegram-like", "regions": ["kayes"], "account": tg},
  {"id": "x-kayes", "network": "x-like", "regions": ["kayes"], "account": {}},
  {"id": "md-kayes", "network": "mastodon-like", "regions": ["kayes"], "account": md},
  {"id": "out-gao", "network": "outbox", "regions": ["gao"], "account": {"folder": "gao"}}]}
json.dump(d, open(path, "w"), indent=2)
PY
}
media() { # on|off: the post has a photo or none
  python3 - "$tree/c1/posts/p1.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] == "on": d["media"] = [{"file": "media/photo.png", "alt": {"fr": "Une photo"}}]
else: d.pop("media", None)
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
}
text() { printf '%s' "$1" >"$tree/c1/posts/p1.fr.txt"; }
validate() { "$jade" validate --plugin-dir "$plugins" "$@" "$tree"; }
# absent NAME FRAGMENT: validate's output lacks FRAGMENT
absent() {
  local out
  out=$(validate 2>&1)
  if printf '%s' "$out" | grep -qF -- "$2"; then not_ok "$1" "$out"; else ok "$1"; fi
}

tg='{"chat_id": "@kayes_info"}'
md='{"instance": "https://mastodon.example"}'
channels "$tg" "$md"
media off
printf 'Kunnafoni.' >"$tree/c1/posts/p1.bm.txt"
text 'Court.'
expect "short texts fit every network" 0 "0 error(s)" -- validate

# A long URL: 93 code points for Telegram, 28 for X and Mastodon (23 each).
text "Voir https://example.org/une/adresse/bien/plus/longue/que/ce/que/le/reseau/accepte/x."
expect "a long URL is over Telegram's code points" 1 "p1.fr.txt: error: the text is 85 characters long; channel tg-kayes (telegram-like) takes at most 60" -- validate
absent "... but a URL counts 23 on X" "x-kayes"
absent "... and 23 on Mastodon" "md-kayes"
# A bare domain: a URL for X only.
text "Lisez les-nouvelles-du-sahel-et-de-la-boucle-du-niger.org"
expect "a bare domain counts 23 on X" 0 "0 error(s)" -- validate
text "Lisez les-nouvelles-du-sahel-et-de-la-boucle-du-niger.org et x.com"
expect "... each of them" 1 "the text is 56 weighted characters long; channel x-kayes (x-like) takes at most 40" -- validate

# 25 flags: 50 code points (Telegram takes them), 50 for X (2 each), 25 graphemes.
text "$(for i in $(seq 25); do printf '\xf0\x9f\x87\xb2\xf0\x9f\x87\xb1'; done)"
expect "emoji weigh 2 on X" 1 "the text is 50 weighted characters long; channel x-kayes (x-like) takes at most 40" -- validate
absent "... one grapheme each on Mastodon" "md-kayes"
absent "... two code points each on Telegram, within 60" "tg-kayes"
# Decomposed accents: X counts NFC.
text "$(for i in $(seq 35); do printf 'e\xcc\x81'; done)"
expect "decomposed accents count twice on Telegram" 1 "the text is 70 characters long; channel tg-kayes (telegram-like)" -- validate
absent "... once on X (NFC)" "x-kayes"
absent "... once on Mastodon (graphemes)" "md-kayes"

# A caption: Telegram takes 20 code points with media.
text "Un texte de trente caracteres."
media on
expect "with media, a caption's limit applies" 1 "the text is 30 characters long; channel tg-kayes (telegram-like) takes at most 20 with media (a caption)" -- validate
absent "... only where the network has one" "x-kayes"
media off
expect "without media, the text's limit" 0 "0 error(s)" -- validate

# The channel's own limit: the account's max_characters.
channels "$tg" '{"instance": "https://mastodon.example", "max_characters": 25}'
expect "an account's max_characters lowers the limit" 1 "the text is 30 graphemes long; channel md-kayes (mastodon-like) takes at most 25 (its account's \"max_characters\")" -- validate
channels "$tg" '{"instance": "https://mastodon.example", "max_characters": 500}'
text "$(printf 'x%.0s' $(seq 70))"
absent "... and raises it" "md-kayes"
channels "$tg" "$md"
expect "without it, the network's limit" 1 "the text is 70 graphemes long; channel md-kayes (mastodon-like) takes at most 60" -- validate
channels "$tg" '{"instance": "https://mastodon.example", "max_characters": "500"}'
expect "a max_characters that is not a whole number above 0 is an error" 1 "channel md-kayes (mastodon-like): \"max_characters\" sets the channel's text limit, a whole number above 0" -- validate
channels "$tg" '{"instance": "https://mastodon.example", "max_characters": 0}'
expect "... and so is 0, which leaves the network's limit" 1 "channel md-kayes (mastodon-like) takes at most 60" -- validate
text 'Court.'

# Account schemas: errors at the account's line, with its pointer.
channels '{}' "$md"
out=$(validate --format json 2>/dev/null); rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
es = [e for e in d["diagnostics"] if "chat_id" in e["message"]]
assert len(es) == 1, d
e = es[0]
assert e["file"].endswith("/tree/channels.json") and e["pointer"] == "/channels/0/account", e
assert e["line"] == 9 and e["column"] == 18, e
assert e["message"] == "channel tg-kayes (telegram-like): missing required field \"chat_id\"", e'; then
  ok "an account missing a member the network requires is an error at its line"
else not_ok "an account missing a member the network requires is an error at its line" "exit $rc" "$out"; fi
expect "... in the text output too" 1 "channels.json:9:18: error: channel tg-kayes (telegram-like): missing required field \"chat_id\"" -- validate
channels '{"chat_id": "kayes"}' "$md"
out=$(validate --format json 2>/dev/null); rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
es = [e for e in d["diagnostics"] if e["pointer"] == "/channels/0/account/chat_id"]
assert len(es) == 1 and d["errors"] == 1, d
assert es[0]["line"] == 10, es[0]'; then
  ok "a member the schema refuses is an error at its own line and pointer"
else not_ok "a member the schema refuses is an error at its own line and pointer" "exit $rc" "$out"; fi
channels '{"chat_id": "-1001234567", "chat": 1}' "$md"
expect "a member the schema does not allow is an error" 1 "/channels/0/account" -- validate
channels "$tg" '{"max_characters": 500}'
expect "each network's schema applies to its own channels" 1 "channel md-kayes (mastodon-like): missing required field \"instance\"" -- validate
channels "$tg" "$md"
expect "accounts that fit their schemas are valid" 0 "0 error(s)" -- validate

expect "jade plugins shows a caption's limit" 0 "text: at most 60 characters; with media, at most 20 characters" -- "$jade" plugins --plugin-dir "$plugins"
expect "... and the account's member that sets a channel's" 0 "text: at most 60 graphemes, or the channel's account's \"max_characters\"" -- "$jade" plugins --plugin-dir "$plugins"
expect "... and the unit of X's count" 0 "text: at most 40 weighted characters" -- "$jade" plugins --plugin-dir "$plugins"

# A plugin whose account schema jade cannot apply is refused at load.
for bad in "$7" "$8"; do mkdir -p "$work/bad" && cp "$bad" "$work/bad/"; done
expect "an account schema that is not JSON refuses the plugin" 1 "counted-bad-json.so: its account schema is not JSON (line 1, column" -- "$jade" plugins --plugin-dir "$work/bad"
expect "an account schema with an unknown keyword refuses the plugin" 1 "counted-bad-keyword.so: its account schema is not one jade can apply" -- "$jade" plugins --plugin-dir "$work/bad"

tap_done
