#!/usr/bin/env bash
# Builds the fuzz target with clang (libFuzzer, ASan, UBSan) and runs it.
# usage: tests/fuzz/run.sh [SECONDS]   (default 600)
# Seeds: every file of the bad-input corpus's base tree and of its cases,
# each prefixed by the byte that selects which file of the tree it replaces.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz tests/fuzz/fuzz-load >/dev/null
corpus=build-fuzz/fuzz-corpus
mkdir -p "$corpus"
targets=(jade.json regions.json people.json channels.json c1/campaign.json c1/posts/p1.json c1/posts/p1.fr.txt)
for i in "${!targets[@]}"; do
  for f in tests/bad/base/"${targets[$i]}" tests/bad/cases/*/tree/"${targets[$i]}"; do
    [ -f "$f" ] || continue
    out="$corpus/seed-$i-$(echo "$f" | md5sum | cut -c1-12)"
    { printf "\\x$(printf %02x "$i")"; cat "$f"; } >"$out"
  done
done
export JADE_FUZZ_BASE=$PWD/tests/bad/base
exec build-fuzz/tests/fuzz/fuzz-load -max_total_time="$seconds" -max_len=8192 \
  -dict=tests/fuzz/json.dict "$corpus"
