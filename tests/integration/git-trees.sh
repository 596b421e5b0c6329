#!/usr/bin/env bash
# Git trees as git would judge them: a commit whose tree git fsck refuses
# (a name no file can have, entries out of order or twice, a mode git does
# not write, a folder where a file is expected) or that nests deeper than
# the folder source allows (64) is refused by `jade validate`, with the
# path and the reason, and nothing crashes (a 100,000-deep tree overflowed
# the stack of a recursive walk). Prints TAP.
# usage: git-trees.sh JADE SRCDIR
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
repo=$work/repo
git init -q -b main "$repo" && tap_example "$repo"
git -C "$repo" add -A && git -C "$repo" commit -qm content
good_tree=$(git -C "$repo" rev-parse HEAD^{tree})
expect "the example content, as committed, is valid" 0 "0 error(s)" -- "$jade" validate --repo "$repo"

# tree ENTRY...: writes a tree object as given (no checks; in git's order
# only with SORTED=1); each ENTRY is "MODE NAME OID".
tree() {
  python3 - "$repo" "$@" <<'PY'
import subprocess, sys
import os
repo, entries = sys.argv[1], sys.argv[2:]
if os.environ.get("SORTED") == "1":
    entries.sort(key=lambda e: e.split(" ", 2)[1] + ("/" if e.startswith("40000 ") else ""))
body = b""
for e in entries:
    mode, name, oid = e.split(" ", 2)
    body += mode.encode() + b" " + name.encode() + b"\0" + bytes.fromhex(oid)
print(subprocess.run(["git", "-C", repo, "hash-object", "-w", "-t", "tree", "--literally", "--stdin"],
                     input=body, capture_output=True, check=True).stdout.decode().strip())
PY
}
# The root's entries as they are, plus extra ones (written as given).
root_with() {
  local entries=()
  while read -r mode type oid name; do entries+=("$mode $name $oid"); done < <(git -C "$repo" ls-tree "$good_tree")
  SORTED=1 tree "${entries[@]}" "$@"
}
commit_of() { git -C "$repo" commit-tree "$1" -m "hostile tree"; }
blob=$(printf 'x\n' | git -C "$repo" hash-object -w --stdin)
refused() { # NAME FRAGMENT TREE (exit 1: invalid content, as for a folder)
  local c; c=$(commit_of "$3")
  expect "$1: refused, with the path and why" 1 "$2" -- "$jade" validate --repo "$repo" --ref "$c"
}

refused "a name \"..\"" "..: refused as git fsck would: a name no file can have" \
  "$(tree "100644 .. $blob" "40000 zzz $good_tree")"
refused "a name with a slash" "a/b: refused as git fsck would: a name no file can have" \
  "$(root_with "100644 a/b $blob")"
refused "a mode git does not write" "notes.txt: refused as git fsck would: a mode git does not write (mode 100666)" \
  "$(tree "100666 notes.txt $blob")"
refused "entries out of order" "refused as git fsck would: entries out of git's order" \
  "$(tree "100644 b $blob" "100644 a $blob")"
refused "a name twice" "jade.json: refused as git fsck would: the name is there twice" \
  "$(root_with "100644 jade.json $blob")"
refused "a folder where a file is expected" "regions.json: refused as git fsck would: a tree where a file is expected" \
  "$(tree "100644 regions.json $good_tree")"
refused "a file where a folder is expected" "vivre-ensemble: refused as git fsck would: not a folder object" \
  "$(tree "40000 vivre-ensemble $blob")"

# Deep trees: 65 levels is what the folder source allows; deeper is
# refused; 20,000 levels (each a loose object to write) neither crash nor take long.
deep() { # LEVELS: a tree nesting folder "d" LEVELS times (the root's "d" is one more)
  python3 - "$repo" "$1" "$blob" <<'PY'
import hashlib, os, sys, zlib
repo, levels, blob = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
objects = os.path.join(repo, ".git", "objects")
def write(body):  # a loose tree object, as git writes it
    data = b"tree %d\0" % len(body) + body
    oid = hashlib.sha1(data).hexdigest()
    path = os.path.join(objects, oid[:2], oid[2:])
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(zlib.compress(data, 1))
    return bytes.fromhex(oid)
oid = write(b"100644 f\0" + blob)
for _ in range(levels):
    oid = write(b"40000 d\0" + oid)
print(oid.hex())
PY
}
c=$(commit_of "$(root_with "40000 d $(deep 64)")")
out=$("$jade" validate --repo "$repo" --ref "$c" 2>&1)
if ! printf '%s' "$out" | grep -q "nest too deeply"; then ok "65 nested folders: not refused for depth"
else not_ok "65 nested folders: not refused for depth" "$out"; fi
mkdir -p "$work/folder/$(printf 'd/%.0s' $(seq 65))" && tap_example "$work/folder"
out=$("$jade" validate "$work/folder" 2>&1)
if ! printf '%s' "$out" | grep -q "nest too deeply"; then ok "... as in a folder"
else not_ok "... as in a folder" "$out"; fi
refused "66 nested folders" "folders nest too deeply" "$(root_with "40000 d $(deep 65)")"
mkdir -p "$work/folder/$(printf 'd/%.0s' $(seq 66))"
expect "... as in a folder" 1 "folders nest too deeply" -- "$jade" validate "$work/folder"
refused "20,000 nested folders" "folders nest too deeply" "$(root_with "40000 d $(deep 20000)")"
tap_done
