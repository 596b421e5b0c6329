#!/usr/bin/env bash
# The plugin loader: a good plugin loads; each broken one is refused with
# its file and the reason. Prints TAP.
# usage: plugins.sh JADE SRCDIR OUTBOX.so TINY.so WRONG_ABI.so TOO_SMALL.so NO_ENTRY.so UNRESOLVED.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$3
tiny=$4
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/good/outbox" && cp "$outbox" "$work/good/outbox/"
expect "a good plugin loads and is listed" 0 "outbox  (ABI 1.0)" -- "$jade" plugins --plugin-dir "$work/good"
expect "its capabilities are listed" 0 "capabilities: idempotency-key delete lookup" -- "$jade" plugins --plugin-dir "$work/good"

check_refused() { # FILE FRAGMENT
  local dir=$work/$(basename "$1" .so)
  mkdir -p "$dir" && cp "$outbox" "$1" "$dir/"
  expect "$(basename "$1"): refused, naming the file" 1 "refused $dir/$(basename "$1"): $2" -- "$jade" plugins --plugin-dir "$dir"
  expect "$(basename "$1"): the good plugin beside it still loads" 1 "outbox  (ABI 1.0)" -- "$jade" plugins --plugin-dir "$dir"
}
check_refused "$3" "built for plugin ABI 2.0, but this jade speaks 1.0"
check_refused "$4" "its struct jade_plugin is 16 bytes"
check_refused "$5" "no jade_plugin_entry symbol"
check_refused "$6" "cannot load: "
out=$("$jade" plugins --plugin-dir "$work/broken-unresolved" 2>&1)
if printf '%s' "$out" | grep -qF "jade_test_symbol_defined_nowhere"; then ok "dlerror names the unresolved symbol"
else not_ok "dlerror names the unresolved symbol" "$out"; fi

mkdir -p "$work/twice/a" "$work/twice/b" && cp "$outbox" "$work/twice/a/" && cp "$outbox" "$work/twice/b/"
expect "a network provided twice is refused the second time" 1 'network "outbox" is already provided by' -- "$jade" plugins --plugin-dir "$work/twice"
expect "an empty plugin folder lists none" 0 "(none)" -- "$jade" plugins --plugin-dir "$work/nothing-here"

# What plugins declare reaches jade validate: names, and limits.
tree=$work/tree
mkdir -p "$tree" "$work/with-tiny" && cp -a "$src/tests/bad/base/." "$tree/" && cp "$outbox" "$tiny" "$work/with-tiny/"
python3 - "$tree/channels.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["channels"] = [{"id": "tiny-kayes", "network": "tiny", "regions": ["kayes"], "account": {}},
                 {"id": "out-gao", "network": "outbox", "regions": ["gao"], "account": {"folder": "gao"}}]
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
printf 'Un texte bien trop long pour ce petit réseau de test, vraiment.\n' >"$tree/c1/posts/p1.fr.txt"
expect "a network no plugin declares is unknown" 1 'unknown network "tiny"' -- "$jade" validate --plugin-dir "$work/good" "$tree"
expect "a text longer than a channel's network takes is an error" 1 "c1/posts/p1.fr.txt: error: the text is 63 UTF-16 units long; channel tiny-kayes (tiny) takes at most 40" -- "$jade" validate --plugin-dir "$work/with-tiny" "$tree"
expect "more media than the network takes is an error" 1 "1 attachments; channel tiny-kayes (tiny) takes at most 0" -- "$jade" validate --plugin-dir "$work/with-tiny" "$tree"
printf 'Court.\n' >"$tree/c1/posts/p1.fr.txt"
printf 'Kunnafoni.\n' >"$tree/c1/posts/p1.bm.txt"
python3 - "$tree/c1/posts/p1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("media"); json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect "within the limits, the tree is valid" 0 "0 error(s)" -- "$jade" validate --plugin-dir "$work/with-tiny" "$tree"

tap_done
