#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Kiln's per-node profile next to ONNX Runtime's, node by node.

    compare_profile.py KILN.json ORT.json [--top N] [--skip-runs K]

KILN.json: `kiln-run LIB --profile-json KILN.json` (a library compiled with
kiln-compile --profile).  ORT.json: the trace of bench/ort_profile.js (the
first K runs, warm-up, are left out; default 5).  A Kiln entry ("A+B+C": the
ONNX nodes fused into one) is matched with ONNX Runtime's node named after
the last of them that it has (ONNX Runtime names fused nodes after their
output, e.g. "<node>_output_0_nchwc"); ONNX Runtime nodes matched by none
are listed at the end (its layout reorders, its own fusions).  Rows are
sorted by Kiln's ms minus ONNX Runtime's: where Kiln loses most comes first.
Both profiles must come from the same machine, ideally run one right after
the other (docs/benchmarks.md, "Noise").
"""
import argparse
import collections
import json
import re
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kiln")
    ap.add_argument("ort")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--skip-runs", type=int, default=5)
    a = ap.parse_args()
    k = json.load(open(a.kiln))
    ev = json.load(open(a.ort))
    runs = sorted((e for e in ev if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])
    if len(runs) <= a.skip_runs:
        sys.exit(f"{a.ort}: {len(runs)} runs, need more than --skip-runs {a.skip_runs}")
    t0, n = runs[a.skip_runs]["ts"], len(runs) - a.skip_runs
    ort = collections.defaultdict(float)
    for e in ev:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= t0:
            name = re.sub(r"(_output_0)?(_nchwc)?$", "", e["name"][: -len("_kernel_time")])
            ort[name] += e["dur"] / n / 1000.0
    used, rows = set(), []
    for nd in k["nodes"]:
        m = next((p for p in reversed(nd["name"].split("+")) if p in ort and p not in used), None)
        if m:
            used.add(m)
        rows.append((nd["ms_per_run"], ort[m] if m else None, nd["op_type"], nd["name"]))
    med = sorted(r["dur"] for r in runs[a.skip_runs:])[n // 2] / 1000.0
    print(f"Kiln: {k['wall_ms_per_run']:.3f} ms per run (profiled); ONNX Runtime: median {med:.3f} ms per run, "
          f"{sum(ort.values()):.3f} ms in nodes")
    rows.sort(key=lambda r: -(r[0] - (r[1] or 0.0)))
    print(f"{'Kiln ms':>9} {'ORT ms':>9} {'diff':>9}  op type / node")
    for kms, oms, op, name in rows[: a.top]:
        o = f"{oms:9.4f}" if oms is not None else f"{'-':>9}"
        print(f"{kms:9.4f} {o} {kms - (oms or 0.0):+9.4f}  {op}  {name}")
    rest = sorted(((v, nm) for nm, v in ort.items() if nm not in used), reverse=True)
    if rest:
        print(f"ONNX Runtime nodes without a Kiln match: {sum(v for v, _ in rest):.3f} ms: " +
              ", ".join(f"{nm} {v:.4f}" for v, nm in rest[:8]))


if __name__ == "__main__":
    main()
