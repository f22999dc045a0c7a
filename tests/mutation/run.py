#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Mutation testing of the portable core.

Applies each mutant of tests/mutation/mutants.txt in turn to a copy of src/tzchan.c, rebuilds the test programs
against it (a build folder whose TZCHAN_CORE_C points at the copy) and runs the killers below, cheapest first,
until one fails or times out: that one killed the mutant. Prints mutant -> killer, and fails if a mutant survives,
no longer applies, or does not compile, or if the unmutated core does not pass every killer first.

Usage: run.py [--build DIR] [--only NAME[,NAME...]] [--killers NAME[,NAME...]] [--list]
(e.g. --only owed-padding,old-stream-rule --killers explore shows what the liveness explorer alone finds)
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (name, command relative to the build folder, timeout in s). A timeout counts as a kill: a hang is a failure.
KILLERS = [
    ("test_core", ["tests/test_core"], 120),
    ("test_many", ["tests/test_many"], 120),
    ("test_lines", ["tests/test_lines"], 120),
    ("test_spec", ["tests/test_spec"], 120),
    ("test_deadlocks", ["tests/test_deadlocks"], 120),
    ("test_ordering", ["tests/test_ordering"], 120),
    ("test_sleep_fence", ["tests/test_sleep_fence"], 120),
    ("explore", ["tests/explore", "--quick", "--seconds", "3", "--seed", "1"], 600),
    ("stress_threads", ["tests/stress_threads", "64", "1"], 300),
    ("fuzz corpus replays", ["ctest", "--test-dir", ".", "-L", "fuzz", "-j", "2"], 300),
    ("scribbler", ["ctest", "--test-dir", ".", "-R", "^scribbler$"], 300),
    # last: a mutant that only costs (a way that goes the general path) shows only in the instruction counts
    ("bench_icount", ["ctest", "--test-dir", ".", "-R", "^bench_icount$"], 600),
]
TARGETS = ["test_core", "test_many", "test_lines", "test_spec", "test_deadlocks", "test_ordering", "test_sleep_fence", "explore",
           "stress_threads", "scribbler", "fuzz_open_replay", "fuzz_recv_replay", "fuzz_seq_replay", "tzchan-icount",
           "tzchan-icount-inline"]


def parse(path):
    mutants, cur, edit, mode = [], None, None, None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if mode is None and (line.startswith("#") or not line.strip()):
                continue
            if mode is None and line.startswith("== "):
                cur = {"name": line[3:].strip(), "why": "", "edits": []}
                mutants.append(cur)
            elif mode is None and line.startswith("why:"):
                cur["why"] = line[4:].strip()
            elif mode is None and line.startswith("     ") and cur and cur["why"]:
                cur["why"] += " " + line.strip()
            elif mode is None and line == "<<<":
                edit, mode = {"before": [], "after": []}, "before"
            elif mode == "before" and line == "---":
                mode = "after"
            elif mode == "after" and line == ">>>":
                cur["edits"].append(("\n".join(edit["before"]), "\n".join(edit["after"])))
                mode = None
            elif mode in ("before", "after"):
                edit[mode].append(line)
            else:
                sys.exit("mutants.txt: cannot read line: %r" % line)
    return mutants


def apply(src, mutant):
    text = src
    for before, after in mutant["edits"]:
        n = text.count(before)
        if n != 1:
            return None, "its text occurs %d times in src/tzchan.c (expected once)" % n
        text = text.replace(before, after)
    return text, None


def build(bdir):
    r = subprocess.run(["cmake", "--build", bdir, "-j", "2", "--target"] + TARGETS,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout


def run_killers(bdir):
    """Returns (name of the first failing killer or None, seconds)."""
    t0 = time.time()
    for name, cmd, tmo in KILLERS:
        try:
            r = subprocess.run(cmd, cwd=bdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=tmo)
            if r.returncode != 0:
                return name + (" (crash)" if r.returncode < 0 else ""), time.time() - t0
        except subprocess.TimeoutExpired:
            return name + " (hang: timed out)", time.time() - t0
    return None, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build-mutation"))
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--killers", default="", help="run only these killers (comma-separated names)")
    a = ap.parse_args()
    mutants = parse(os.path.join(TOP, "tests", "mutation", "mutants.txt"))
    if a.only:
        want = a.only.split(",")
        mutants = [m for m in mutants if m["name"] in want]
    if a.list:
        for m in mutants:
            print("%-26s %s" % (m["name"], m["why"]))
        return 0
    if a.killers:
        KILLERS[:] = [k for k in KILLERS if k[0] in a.killers.split(",")]
    bdir = os.path.abspath(a.build)
    os.makedirs(os.path.join(bdir, "mutant"), exist_ok=True)
    core = os.path.join(bdir, "mutant", "tzchan.c")
    with open(os.path.join(TOP, "src", "tzchan.c")) as f:
        src = f.read()
    with open(core, "w") as f:
        f.write(src)
    cfg = subprocess.run(["cmake", "-S", TOP, "-B", bdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                          "-DTZCHAN_CORE_C=" + core, "-DTZCHAN_BUILD_SHARED=OFF"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if cfg.returncode != 0:
        print(cfg.stdout)
        return 1
    ok, log = build(bdir)
    if not ok:
        print(log[-4000:])
        return 1
    killer, secs = run_killers(bdir)
    if killer:
        print("mutation: the unmutated core fails %s: nothing can be judged" % killer)
        return 1
    print("mutation: the unmutated core passes every killer (%.0f s); %d mutants" % (secs, len(mutants)))
    bad = 0
    for m in mutants:
        text, err = apply(src, m)
        if err:
            print("%-26s STALE: %s" % (m["name"], err))
            bad += 1
            continue
        with open(core, "w") as f:
            f.write(text)
        ok, log = build(bdir)
        if not ok:
            print("%-26s DOES NOT COMPILE" % m["name"])
            print(log[-2000:])
            bad += 1
            continue
        killer, secs = run_killers(bdir)
        if killer:
            print("%-26s killed by %s (%.1f s)" % (m["name"], killer, secs))
        else:
            print("%-26s SURVIVED every test (%.1f s): %s" % (m["name"], secs, m["why"]))
            bad += 1
    with open(core, "w") as f:
        f.write(src)
    print("mutation: %d mutants, %d killed, %d not" % (len(mutants), len(mutants) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
