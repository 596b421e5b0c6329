#!/usr/bin/env bash
# The plugin loader: a good plugin loads; each broken one is refused with
# its file and the reason. Prints TAP.
# usage: plugins.sh JADE SRCDIR OUTBOX.so TINY.so WRONG_ABI.so TOO_SMALL.so NO_ENTRY.so UNRESOLVED.so
#        CONSTRUCTOR.so NEWER_MINOR.so OLD_MINOR.so BAD_COUNTING.so
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$3
tiny=$4
shift 2
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT

mkdir -p "$work/good/outbox" && cp "$outbox" "$work/good/outbox/"
expect "a good plugin loads and is listed" 0 "outbox  (ABI 1.1)" -- "$jade" plugins --plugin-dir "$work/good"
expect "its capabilities are listed" 0 "capabilities: idempotency-key delete lookup" -- "$jade" plugins --plugin-dir "$work/good"

check_refused() { # FILE FRAGMENT
  local dir=$work/$(basename "$1" .so)
  mkdir -p "$dir" && cp "$outbox" "$1" "$dir/"
  expect "$(basename "$1"): refused, naming the file" 1 "refused $dir/$(basename "$1"): $2" -- "$jade" plugins --plugin-dir "$dir"
  expect "$(basename "$1"): the good plugin beside it still loads" 1 "outbox  (ABI 1.1)" -- "$jade" plugins --plugin-dir "$dir"
}
check_refused "$3" "built for plugin ABI 2.0, but this jade speaks 1.1"
check_refused "$4" "its struct jade_plugin is 16 bytes"
check_refused "$5" "no jade_plugin_entry symbol"
check_refused "$6" "cannot load: "
check_refused "${8}" "built for plugin ABI 1.2, newer than this jade's 1.1: it may need what this jade lacks"
check_refused "${9}" "built for plugin ABI 1.0, but this jade speaks 1.1: rebuild it"
check_refused "${10}" "its limits count text in a way jade does not know (99)"
out=$("$jade" plugins --plugin-dir "$work/broken-unresolved" 2>&1)
if printf '%s' "$out" | grep -qF "jade_test_symbol_defined_nowhere"; then ok "dlerror names the unresolved symbol"
else not_ok "dlerror names the unresolved symbol" "$out"; fi

mkdir -p "$work/twice/a" "$work/twice/b" && cp "$outbox" "$work/twice/a/" && cp "$outbox" "$work/twice/b/"
expect "a network provided twice is refused the second time" 1 'network "outbox" is already provided by' -- "$jade" plugins --plugin-dir "$work/twice"
expect "an empty plugin folder lists none" 0 "(none)" -- "$jade" plugins --plugin-dir "$work/nothing-here"

# A plugin folder or file others could write is code others could run: it
# is refused before dlopen (the constructor plugin leaves a marker when
# loaded; in a trusted folder it does, so its absence below means something).
constructor=$7
export JADE_TEST_MARKER=$work/loaded
mkdir -p "$work/trusted" && cp "$constructor" "$work/trusted/"
"$jade" plugins --plugin-dir "$work/trusted" >/dev/null 2>&1
if [ -e "$JADE_TEST_MARKER" ]; then ok "a plugin in a trusted folder is loaded (its constructor ran)"
else not_ok "a plugin in a trusted folder is loaded (its constructor ran)"; fi
rm -f "$JADE_TEST_MARKER"
not_loaded() { # NAME: the constructor never ran
  if [ ! -e "$JADE_TEST_MARKER" ]; then ok "$1: nothing of it was loaded"
  else not_ok "$1: nothing of it was loaded"; fi
  rm -f "$JADE_TEST_MARKER"
}
mkdir -p "$work/open" && cp "$constructor" "$outbox" "$work/open/" && chmod 777 "$work/open"
expect "a world-writable plugin folder is refused, with its mode" 1 "plugin folder $work/open refused: writable by others (mode 0777)" -- "$jade" plugins --plugin-dir "$work/open"
not_loaded "a world-writable plugin folder"
expect "... and so through JADE_PLUGIN_DIR" 1 "plugin folder $work/open refused: writable by others" -- env JADE_PLUGIN_DIR="$work/open" "$jade" plugins
not_loaded "a world-writable folder named by JADE_PLUGIN_DIR"
chmod 1777 "$work/open"
expect "sticky does not make it trusted" 1 "plugin folder $work/open refused: writable by others (mode 1777)" -- "$jade" plugins --plugin-dir "$work/open"
not_loaded "a sticky world-writable folder"
mkdir -p "$work/group/sub" && cp "$constructor" "$work/group/sub/" && cp "$outbox" "$work/group/" && chmod 775 "$work/group/sub"
expect "a group-writable sub-folder is refused; the plugin beside it loads" 1 "plugin folder $work/group/sub refused: writable by its group (mode 0775)" -- "$jade" plugins --plugin-dir "$work/group"
expect "... the plugin beside it still loads" 1 "outbox  (ABI 1.1)" -- "$jade" plugins --plugin-dir "$work/group"
not_loaded "a plugin in a group-writable sub-folder"
mkdir -p "$work/loose" && cp "$constructor" "$work/loose/" && chmod 666 "$work/loose/broken-constructor.so"
expect "a world-writable plugin file is refused" 1 "plugin $work/loose/broken-constructor.so refused: writable by others (mode 0666)" -- "$jade" plugins --plugin-dir "$work/loose"
not_loaded "a world-writable plugin file"
mkdir -p "$work/others" && cp "$constructor" "$work/others/" && chmod 757 "$work/others"
expect "a folder writable by others but not its group is refused" 1 "plugin folder $work/others refused: writable by others (mode 0757)" -- "$jade" plugins --plugin-dir "$work/others"
not_loaded "a folder writable by others only"
expect "jade validate says so too" 0 "plugin $work/loose/broken-constructor.so refused" -- "$jade" validate --plugin-dir "$work/loose" "$src/campaigns"
not_loaded "a world-writable plugin file, in jade validate"
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$work/theirs" && cp "$constructor" "$work/theirs/" && chown 65534 "$work/theirs/broken-constructor.so"
  expect "a plugin owned by another user is refused" 1 "plugin $work/theirs/broken-constructor.so refused: owned by uid 65534, not root or this user (uid 0)" -- "$jade" plugins --plugin-dir "$work/theirs"
  not_loaded "a plugin owned by another user"
  chown 65534 "$work/theirs" && chown 0 "$work/theirs/broken-constructor.so"
  expect "a plugin folder owned by another user is refused" 1 "plugin folder $work/theirs refused: owned by uid 65534" -- "$jade" plugins --plugin-dir "$work/theirs"
  not_loaded "a plugin folder owned by another user"
else
  ok "# SKIP ownership needs root to give files away"
fi
unset JADE_TEST_MARKER

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
