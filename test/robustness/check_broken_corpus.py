#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Compiles every model of the broken-model corpus and checks the outcome.

usage: check_broken_corpus.py --kiln-compile BIN [--corpus DIR] [--out DIR]

For each line "NAME.onnx: MESSAGE" of DIR/expected-errors.txt, runs
`kiln-compile DIR/NAME.onnx` and requires:
  - exit status 1 (an error; not 0, not a signal, not a timeout of 60 s),
  - a line "kiln-compile: error: <path>: MESSAGE" on stderr (exactly),
  - no sanitizer report (AddressSanitizer, LeakSanitizer, "runtime error:").
Prints one line per model and a summary; exits 1 if any model fails.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln-compile", required=True)
    ap.add_argument("--corpus", default=os.path.join(HERE, "broken"))
    ap.add_argument("--out", default=None, help="where kiln-compile may write (default: a temp dir)")
    args = ap.parse_args()
    expected = []
    with open(os.path.join(args.corpus, "expected-errors.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, msg = line.rstrip("\n").split(": ", 1)
            expected.append((name, msg))
    out = args.out or os.environ.get("TMPDIR", "/tmp")
    failures = 0
    for name, msg in expected:
        path = os.path.join(args.corpus, name)
        lib = os.path.join(out, "broken-" + name + ".so")
        try:
            p = subprocess.run([args.kiln_compile, path, "-o", lib], capture_output=True,
                               text=True, errors="replace", timeout=60)
        except subprocess.TimeoutExpired:
            print(f"FAIL {name}: timed out after 60 s")
            failures += 1
            continue
        want = f"kiln-compile: error: {path}: {msg}"
        problems = []
        if p.returncode != 1:
            problems.append(f"exit status {p.returncode} (expected 1)")
        if want not in p.stderr.splitlines():
            problems.append(f"expected the line\n    {want}")
        if any(m in p.stderr for m in SANITIZER_MARKS):
            problems.append("sanitizer report")
        if problems:
            failures += 1
            print(f"FAIL {name}: " + "; ".join(problems))
            print("  stderr:\n" + "\n".join("    " + l for l in p.stderr.splitlines()[:20]))
        else:
            print(f"ok   {name}")
    print(f"{len(expected) - failures} of {len(expected)} broken models gave their expected error")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
