#!/usr/bin/env bash
# Builds a fuzz target with clang (libFuzzer, ASan, UBSan) and runs it.
# usage: tests/fuzz/run.sh [load|git] [SECONDS]   (default: load, 600)
#   load: fuzz-load.c, the files of a content tree. Seeds: every file of the
#         bad-input corpus's base tree and of its cases, each prefixed by the
#         byte that selects which file of the tree it replaces.
#   git:  fuzz-git.c, raw git trees in an in-memory object database. Seeds:
#         the base tree, each case laid over it, and hostile variants
#         (tests/fuzz/git-seeds.py).
# One job, one process; the corpus grows in build-fuzz/fuzz-corpus[-git].
set -euo pipefail
cd "$(dirname "$0")/../.."
target=load
case "${1:-}" in load | git) target=$1; shift ;; esac
seconds=${1:-600}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "tests/fuzz/fuzz-$target" >/dev/null
# Undefined behaviour is a finding, as in CI: stop there, with the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [ "$target" = git ]; then
  corpus=build-fuzz/fuzz-corpus-git
  mkdir -p "$corpus"
  python3 tests/fuzz/git-seeds.py "$corpus" tests/bad/base tests/bad/cases/*/
  exec build-fuzz/tests/fuzz/fuzz-git -max_total_time="$seconds" -max_len=16384 \
    -dict=tests/fuzz/git.dict "$corpus"
fi
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
