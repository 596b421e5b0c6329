#!/usr/bin/env python3
"""The benchmark table: jade against a peer and against the floor, in the
same run, on the same synthetic tree (see gen-tree.py).

usage: bench.py BUILD_DIR [--posts N] [--runs R]

Each command runs once to warm the page cache, then R times; the table
gives the median wall time and the largest peak RSS (from wait4), and
ratios to the peer and to the floor. Timings on shared machines are noisy:
read the ratios, which compare runs made minutes apart at most."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--posts", type=int, default=10000)
ap.add_argument("--runs", type=int, default=5)
args = ap.parse_args()
build = os.path.abspath(args.build)
work = os.path.join(build, "bench")
jade = os.path.join(build, "core", "jade")
floor = os.path.join(build, "tests", "bench", "floor-read")
bench_plan = os.path.join(build, "tests", "bench", "bench-plan")
os.makedirs(work, exist_ok=True)


def sh(cmd, **kw):
    subprocess.run(cmd, shell=True, check=True, **kw)


# The tree, and a git repository holding it in one commit, packed as a
# fetched repository is.
tree = os.path.join(work, f"tree-{args.posts}")
if not os.path.exists(os.path.join(tree, ".git")):
    shutil.rmtree(tree, ignore_errors=True)
    print(f"generating a tree of {args.posts} posts in {tree} ...", file=sys.stderr)
    sh(f"python3 {HERE}/gen-tree.py {tree} {args.posts}")
    sh(f"cd {tree} && git init -q -b main && git add -A && "
       "git -c gc.auto=0 -c user.name=bench -c user.email=bench@localhost commit -qm bench && "
       "git gc -q")
posts = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) if d.endswith("/posts")
               for f in fs if f.endswith(".json"))
n_files = sum(len(fs) for d, _, fs in os.walk(tree) if "/.git" not in d + "/")

# The peer: ajv-cli, schema-only validation of the post files.
node = os.path.join(work, "node")
ajv = os.path.join(node, "node_modules", ".bin", "ajv")
if not os.path.exists(ajv):
    print("installing ajv-cli with npm ...", file=sys.stderr)
    sh(f"npm install --silent --prefix {node} ajv-cli@5 ajv-formats@2 >/dev/null")
ajv_cmd = [ajv, "validate", "--spec=draft7", "-c", "ajv-formats",
           "-s", os.path.join(ROOT, "schemas", "post.schema.json")]
for p in posts:
    ajv_cmd += ["-d", p]


def measure(cmd, shell=False):
    """Median wall seconds and max peak RSS (MiB) over the runs. Peak RSS
    comes from GNU time, not from our own wait4: a child forked from this
    Python process would count Python's memory as its own."""
    rss_file = os.path.join(work, "rss")
    if shell:
        cmd = ["bash", "-c", cmd]
    walls, rss = [], 0
    for i in range(args.runs + 1):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd[:6])} ...")
        if i:  # the first run only warms the cache
            walls.append(wall)
            with open(rss_file) as f:
                rss = max(rss, int(f.read().split()[-1]) / 1024)
    return statistics.median(walls), rss


rows = []
jade_dir = measure([jade, "validate", tree])
ajv_res = measure(ajv_cmd)
floor_dir = measure([floor, tree])
jade_git = measure([jade, "validate", "--repo", tree])
floor_git = measure(f"git -C {tree} archive HEAD | cat >/dev/null", shell=True)

print(f"\njade benchmarks: {args.posts} posts, {n_files} files, median of {args.runs} runs\n")
print(f"{'what':<44} {'files':>6} {'wall s':>8} {'peak RSS MiB':>13} {'vs ajv':>7} {'vs floor':>9}")
print("-" * 92)


def row(name, files, res, peer=None, base=None):
    ratio_peer = f"{res[0] / peer[0]:.2f}" if peer else ""
    ratio_floor = f"{res[0] / base[0]:.2f}" if base else ""
    print(f"{name:<44} {files:>6} {res[0]:>8.3f} {res[1]:>13.1f} {ratio_peer:>7} {ratio_floor:>9}")


row("jade validate DIR (all rules)", n_files, jade_dir, ajv_res, floor_dir)
row("ajv-cli validate (post schema only)", len(posts), ajv_res)
row("floor: read every file once (C, 1 thread)", n_files, floor_dir)
row("jade validate --repo (commit, packed)", n_files, jade_git, ajv_res, floor_git)
row("floor: git archive HEAD | cat", n_files, floor_git)
print("\ntargets: jade <= ajv (vs ajv <= 1.00), <= 2x the floor (vs floor <= 2.00), "
      "peak RSS below ajv's")

# Planning 30 days of the same tree, timed inside one process right after
# loading it, so the two are compared in the same run.
PLAN_FROM, PLAN_TO = "2027-01-01T00:00", "2027-01-31T00:00"
loads, plans, count, per_occ = [], [], 0, 0.0
for i in range(args.runs + 1):
    out = subprocess.run([bench_plan, tree, PLAN_FROM, PLAN_TO], capture_output=True, text=True,
                         check=True).stdout.split()
    if i:
        loads.append(float(out[0]))
        plans.append(float(out[1]))
        count, per_occ = int(out[2]), float(out[3])
plan_rss = measure([bench_plan, tree, PLAN_FROM, PLAN_TO])[1]
load_s, plan_s = statistics.median(loads), statistics.median(plans)
print(f"\nplanning {PLAN_FROM[:10]} to {PLAN_TO[:10]} (30 days), median of {args.runs} runs\n")
print(f"{'occurrences':>12} {'load+validate s':>16} {'plan s':>8} {'occ/s':>10} "
      f"{'bytes/occ':>10} {'peak RSS MiB':>13} {'plan/load':>10}")
print("-" * 85)
print(f"{count:>12} {load_s:>16.3f} {plan_s:>8.3f} {count / plan_s:>10.0f} {per_occ:>10.1f} "
      f"{plan_rss:>13.1f} {plan_s / load_s:>10.2f}")
print("\ntarget: planning adds less than half of the load-and-validate time (plan/load < 0.50)")
