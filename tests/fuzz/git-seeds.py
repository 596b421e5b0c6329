#!/usr/bin/env python3
"""Seeds for fuzz-git: content trees as its instructions (fuzz-git.c).

usage: git-seeds.py OUTDIR BASE [CASE...]
Writes OUTDIR/seed-*: the tree BASE (a folder), each bad-input CASE (BASE
with the case's tree/ laid over it and its `delete` list removed), and
hostile variants of BASE: names git fsck refuses, entries out of order or
twice, modes git does not write, a folder where a file belongs and the
reverse, names with control characters, a nesting deeper than allowed, a
commit, a --path and a reload's folder list.
"""
import hashlib
import os
import shutil
import sys
import tempfile


def esc(data):
    """A name or a blob on one line: line ends and backslashes as \\xNN."""
    return data.replace(b"\\", b"\\x5c").replace(b"\n", b"\\x0a")


class Writer:
    def __init__(self):
        self.lines, self.count = [], 0

    def add(self, line, makes_object=True):
        self.lines.append(line)
        if makes_object:
            self.count += 1
            return self.count - 1

    def tree(self, path, extra=()):
        """Writes the folder's files and folders, then its tree (git's order,
        plus the extra entry lines as given); returns the tree's number."""
        entries = []
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            raw = os.fsencode(name)
            if os.path.isdir(full):
                entries.append((raw + b"/", b"40000", self.tree(full), raw))
            else:
                blob = self.add(b"B" + esc(open(full, "rb").read()))
                entries.append((raw, b"100644", blob, raw))
        for _, mode, n, raw in sorted(entries):
            self.add(b"E%s %d %s" % (mode, n, esc(raw)), False)
        for line in extra:
            self.add(line(self) if callable(line) else line, False)
        return self.add(b"T")

    def save(self, outdir, tail=()):
        data = b"\n".join(self.lines + list(tail)) + b"\n"
        name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
        open(os.path.join(outdir, name), "wb").write(data)


def seed(outdir, root, extra=(), tail=()):
    w = Writer()
    w.tree(root, extra)
    w.save(outdir, tail)


def deep(levels):
    """Lines nesting folder "d" levels deep, the innermost holding a blob."""
    lines = [b"Bx", b"E100644 0 f", b"T"]
    for n in range(levels):
        lines += [b"E40000 %d d" % (n + 1), b"T"]
    return lines


def main():
    outdir, base, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    seed(outdir, base)
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            tree = os.path.join(tmp, "tree")
            shutil.copytree(base, tree)
            if os.path.isdir(os.path.join(case, "tree")):
                shutil.copytree(os.path.join(case, "tree"), tree, dirs_exist_ok=True)
            if os.path.isfile(os.path.join(case, "delete")):
                for rel in open(os.path.join(case, "delete")).read().split("\n"):
                    target = os.path.join(tree, rel)
                    if rel and os.path.isdir(target):
                        shutil.rmtree(target)
                    elif rel and os.path.exists(target):
                        os.remove(target)
            seed(outdir, tree)
    # Entries appended to the root, after its own (so also out of order).
    hostile = [
        b"E100644 0 ..", b"E100644 0 .", b"E100644 0 a/b", b"E100644 0 jade.json",
        b"E100666 0 notes.txt", b"E040000 0 zero-padded", b"E100644 999 dangling.json",
        b"E40000 0 blob-as-folder", b"E160000 0 submodule", b"E120000 0 link.json",
        b"E100644 0 \x1b]0;pwned\x07.json", b"E100644 0 \xff\xfe.json", b"E100644 0 \\x0a",
    ]
    for line in hostile:
        seed(outdir, base, [line])
    # A folder where a file belongs: the root itself as regions.json.
    seed(outdir, base, [lambda w: b"E100644 %d zz-root-as-file" % (w.count - 1)])
    open(os.path.join(outdir, "seed-deep"), "wb").write(b"\n".join(deep(70)) + b"\n")
    seed(outdir, base, tail=[b"C"])
    seed(outdir, base, tail=[b"Pc1"])
    seed(outdir, base, tail=[b"Oc1"])


main()
