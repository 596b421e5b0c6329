#!/usr/bin/env bash
# The bad-input corpus: each case in tests/bad/cases/ is the valid tree of
# tests/bad/base/ with files replaced (tree/) or removed (delete); its
# `expect` line is "LOCATION: FRAGMENT", and `jade validate` must exit 1
# and print "LOCATION: error: ...FRAGMENT...". Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
corpus=$(realpath "$2")

work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT

out=$(cd "$corpus/base" && "$jade" validate . 2>&1)
if [ $? -eq 0 ]; then ok "the base tree is valid"; else not_ok "the base tree is valid" "$out"; fi

for dir in "$corpus"/cases/*/; do
  name=$(basename "$dir")
  tree="$work/$name"
  mkdir -p "$tree"
  cp -a "$corpus/base/." "$tree/"
  [ -d "$dir/tree" ] && cp -a "$dir/tree/." "$tree/"
  if [ -f "$dir/delete" ]; then
    while IFS= read -r f; do [ -n "$f" ] && rm -rf "${tree:?}/$f"; done <"$dir/delete"
  fi
  expect=$(head -n 1 "$dir/expect")
  location=${expect%%: *}
  fragment=${expect#*: }
  out=$(cd "$tree" && "$jade" validate . 2>&1)
  rc=$?
  if [ $rc -ne 1 ]; then
    not_ok "$name" "exit status $rc, expected 1" "$out"
  elif printf '%s\n' "$out" | grep -F -- "$location: error: " | grep -qF -- "$fragment"; then
    ok "$name"
  else
    not_ok "$name" "expected: $location: error: ...$fragment..." "got:" "$out"
  fi
done
tap_done
