#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Tabulate the real-model suite's measurements (test/e2e/run_e2e.py --json).

usage: model_report.py DIR [--markdown FILE]
DIR holds <model>.json files (build/e2e after `ctest -L models`).  Prints a
Markdown table: status, ONNX size, compile time and peak compiler memory,
library size, and the largest errors against torch per data set.
"""
import argparse
import glob
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--markdown", help="also write the table to this file")
    a = ap.parse_args()
    rows = []
    for path in sorted(glob.glob(os.path.join(a.dir, "*.json"))):
        try:
            with open(path) as f:
                recs = json.load(f)
        except (OSError, ValueError) as e:
            print(f"model_report: skipping {path}: {e}", file=sys.stderr)
            continue
        if not isinstance(recs, list):
            continue
        rows += [r for r in recs if isinstance(r, dict) and "model" in r]
    if not rows:
        print(f"model_report: no results in {a.dir}", file=sys.stderr)
        return 1
    lines = ["| model | result | ONNX MB | compile s | compiler peak MiB | library MB | "
             "max abs err (batch 1 / 4) | max rel err (batch 1 / 4) |",
             "| --- | --- | --: | --: | --: | --: | --- | --- |"]
    for r in rows:
        abs_e, rel_e = [], []
        for ds in r.get("data_sets", []):
            outs = ds.get("outputs", [])
            if outs:
                abs_e.append(f"{max(o['max_abs_err'] for o in outs):.2g}")
                rel_e.append(f"{max(o['max_rel_err'] for o in outs):.2g}")
        lines.append(f"| {r['model']} | {r.get('status', '?')} | {r.get('onnx_mb', '')} | "
                     f"{r.get('compile_s', '')} | {r.get('compile_peak_rss_mib', '')} | "
                     f"{r.get('library_mb', '')} | {' / '.join(abs_e)} | {' / '.join(rel_e)} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
