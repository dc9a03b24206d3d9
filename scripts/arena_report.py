#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The static memory plan of every model of the suite (issue 15).

usage: arena_report.py BUILD_DIR [MODELS_DIR] [--opt -O3] [--models a,b]

Compiles each MODELS_DIR/<model>/model.onnx (default BUILD_DIR/e2e-models,
written by scripts/export_models.py) with `kiln-compile -v --emit=mlir`
(the whole MLIR pipeline, no LLVM) and prints a markdown table of the arena
line: the arena's size and its lower bound (the largest total of
simultaneously live bytes) per group of buffers, their ratio, and how many
buffers were planned and left on the heap.  Sizes are per unit of their
factor (e.g. bytes per batch item).
"""
import argparse
import os
import re
import subprocess
import sys

LINE = re.compile(r"arena: (?P<bytes>.*?) bytes \(lower bound (?P<lb>.*?)(?:, [0-9.]+x|, -)?\), "
                  r"(?P<planned>\d+) buffers planned \((?P<results>\d+) results?\), "
                  r"(?P<heap>\d+) on the heap")


def terms(s):
    """'a + b x f' -> {factor: value}."""
    out = {}
    for t in s.split(" + "):
        v, _, f = t.partition(" x ")
        out[f or "1"] = int(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("models_dir", nargs="?")
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--models", default="")
    a = ap.parse_args()
    mdir = a.models_dir or os.path.join(a.build, "e2e-models")
    names = a.models.split(",") if a.models else sorted(
        d for d in os.listdir(mdir) if os.path.exists(os.path.join(mdir, d, "model.onnx")))
    kc = os.path.join(a.build, "bin", "kiln-compile")
    print("| model | group | arena bytes | lower bound | arena / bound | planned (results) | heap |")
    print("|---|---|--:|--:|--:|--:|--:|")
    worst = 0.0
    for n in names:
        p = subprocess.run([kc, os.path.join(mdir, n, "model.onnx"), a.opt, "-v", "--emit=mlir",
                            "-o", os.devnull], capture_output=True, text=True)
        m = LINE.search(p.stderr)
        if p.returncode or not m:
            print(f"| {n} | compile failed: {p.stderr.strip().splitlines()[-1:]} ||||||")
            continue
        b, lb = terms(m["bytes"]), terms(m["lb"])
        for i, f in enumerate(b):
            r = b[f] / lb[f] if lb.get(f) else float("nan")
            worst = max(worst, r) if lb.get(f) else worst
            print(f"| {n if i == 0 else ''} | {'static' if f == '1' else 'x ' + f} | {b[f]} "
                  f"| {lb.get(f, '-')} | {r:.3f} "
                  f"| {m['planned'] + ' (' + m['results'] + ')' if i == 0 else ''} "
                  f"| {m['heap'] if i == 0 else ''} |")
    print(f"\nlargest arena / lower bound: {worst:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
