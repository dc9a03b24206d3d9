#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks a `kiln-run --profile-json` file for consistency.

usage: check_profile_json.py FILE --runs N --op-types A,B,... [--nodes K]

- `runs` is N and every node ran once per run (calls == N);
- node names are unique, the op types are exactly A,B,... (plus "(none)" for
  the unattributed entry, if any) and there are K nodes (unattributed
  excluded) when --nodes is given;
- the per-op-type totals are the sums of the per-node totals;
- the profiled time is positive and within the measured wall time (the timed
  regions run inside kiln_model_run, on the same clock);
- GFLOP/s: a node with flops > 0 has gflops_per_s = flops / ns and percent_of_peak = 100 x that / peak_gflops_per_s; one without has
  nulls; the op types' rates are those of their counted nodes together.
Prints "profile OK: ..." or exits 1 with the reason.
"""
import argparse
import json
import sys


def fail(msg):
    print(f"check_profile_json: {msg}")
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--op-types", required=True)
    p.add_argument("--nodes", type=int)
    a = p.parse_args()
    with open(a.file) as f:
        prof = json.load(f)
    if prof["runs"] != a.runs:
        fail(f"runs {prof['runs']}, expected {a.runs}")
    nodes = prof["nodes"]
    names = [n["name"] for n in nodes]
    if len(set(names)) != len(names):
        fail("duplicate node names")
    for n in nodes:
        if n["calls"] != a.runs:
            fail(f"node {n['name']} ran {n['calls']} times in {a.runs} runs")
    real = [n for n in nodes if n["name"] != "(unattributed)"]
    for n in nodes:
        if (n["name"] == "(unattributed)") != (n["op_type"] == "(none)"):
            fail(f"node {n['name']} has op type {n['op_type']}")
    types = sorted({n["op_type"] for n in real})
    want = sorted(a.op_types.split(","))
    if types != want:
        fail(f"op types {types}, expected {want}")
    if a.nodes is not None and len(real) != a.nodes:
        fail(f"{len(real)} nodes, expected {a.nodes}")
    by_type = {}
    for n in nodes:
        t = by_type.setdefault(n["op_type"], [0, 0, 0])
        t[0] += n["ns"]
        t[1] += n["calls"]
        t[2] += 1
    for t in prof["op_types"]:
        if by_type.get(t["op_type"]) != [t["ns"], t["calls"], t["nodes"]]:
            fail(f"op type {t['op_type']}: totals do not match its nodes")
    if len(prof["op_types"]) != len(by_type):
        fail("op type list does not cover the nodes")
    total_ns = sum(n["ns"] for n in nodes)
    if total_ns <= 0:
        fail("no time recorded")
    profiled = total_ns / 1e6 / a.runs
    if abs(profiled - prof["profiled_ms_per_run"]) > 1e-5:
        fail(f"profiled_ms_per_run {prof['profiled_ms_per_run']} != sum of nodes {profiled}")
    if profiled > prof["wall_ms_per_run"] + 1e-6:
        fail(f"profiled {profiled} ms/run exceeds the wall time {prof['wall_ms_per_run']} ms/run")
    peak = prof["peak_gflops_per_s"]
    counted = [n for n in nodes if n["flops"] > 0]
    if counted and not (peak and peak > 0):
        fail("nodes with FLOPs but no measured peak")

    def check_rate(what, r, flops, ns):
        if flops == 0 or ns == 0:
            if r["gflops_per_s"] is not None or r["percent_of_peak"] is not None:
                fail(f"{what} has a rate but no FLOPs")
            return
        g = flops / ns
        if abs(r["gflops_per_s"] - g) > 1e-3 * g + 1e-4:
            fail(f"{what}: gflops_per_s {r['gflops_per_s']} != {g}")
        if abs(r["percent_of_peak"] - 100 * g / peak) > 1e-2 * (100 * g / peak) + 1e-3:
            fail(f"{what}: percent_of_peak {r['percent_of_peak']} != {100 * g / peak}")
    for n in nodes:
        check_rate(f"node {n['name']}", n, n["flops"], n["ns"])
    for t in prof["op_types"]:
        mine = [n for n in counted if n["op_type"] == t["op_type"]]
        check_rate(f"op type {t['op_type']}", t, sum(n["flops"] for n in mine),
                   sum(n["ns"] for n in mine))
    print(f"profile OK: {len(real)} nodes, op types {','.join(types)}"
          + (f", {len(counted)} with FLOPs" if counted else ""))


if __name__ == "__main__":
    main()
