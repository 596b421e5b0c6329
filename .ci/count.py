#!/usr/bin/env python3
"""Counts test cases across meson test logs: each TAP line of a TAP test,
each other test once. Prints "N passed, N failed"; exits 1 on any failure."""
import argparse
import json
import os
import re

ap = argparse.ArgumentParser()
ap.add_argument("logs", nargs="+")
ap.add_argument("--extra-passed", type=int, default=0)
ap.add_argument("--extra-failed", type=int, default=0)
args = ap.parse_args()

passed, failed = args.extra_passed, args.extra_failed
for path in args.logs:
    if not os.path.exists(path):
        print(f"missing test log {path}")
        failed += 1
        continue
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            out = t.get("stdout") or ""
            oks = len(re.findall(r"^ok \d+", out, re.M))
            not_oks = len(re.findall(r"^not ok \d+", out, re.M))
            if oks + not_oks == 0:
                oks, not_oks = (1, 0) if t["result"] in ("OK", "EXPECTEDFAIL") else (0, 1)
            elif t["result"] not in ("OK", "EXPECTEDFAIL") and not_oks == 0:
                not_oks = 1  # crashed or timed out after its last case
            passed += oks
            failed += not_oks
print(f"{passed} passed, {failed} failed")
raise SystemExit(1 if failed else 0)
