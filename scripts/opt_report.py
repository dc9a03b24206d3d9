#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Per-model effect of Kiln's graph passes: op count and FLOPs before/after
(scripts/graph_stats.py), Kiln latency at -O0, at -O3 without the graph
passes (--disable-pass=all) and at -O3, and -- from a bench/bench.py results
file of the same build -- the Kiln/ONNX Runtime ratio at -O3 (1 thread).

    opt_report.py [--models a,b] [--kiln-bin DIR] [--cache DIR]
                  [--bench-json build/bench/results.json] [--out build/opt-report]

Latency: kiln-run --batch 1 (random inputs), median over at least --repeat
runs after --warmup, more for fast models so that each measurement lasts
about --min-time-s (a 30-microsecond model timed over 15 runs measured noise);
-O3 and -O3 without the graph passes alternate for --rounds rounds and each
keeps its fastest median (at -O0: --o0-repeat runs after one warm-up, since
plain loops are slow).  Writes OUT/report.json and OUT/report.md.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "scripts"))
import graph_stats  # noqa: E402

LAT = re.compile(r"latency over (\d+) runs .*median ([0-9.]+) ms")


def compile_(kiln_bin, model, flags, lib):
    t = time.time()
    r = subprocess.run([os.path.join(kiln_bin, "kiln-compile"), model, "-o", lib] + flags,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"compile {model} {flags} failed:\n{r.stdout[-3000:]}")
    return time.time() - t


def latency(kiln_bin, lib, repeat, warmup):
    r = subprocess.run([os.path.join(kiln_bin, "kiln-run"), lib, "--batch", "1", "--repeat", str(repeat),
                        "--warmup", str(warmup)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = LAT.search(r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"kiln-run {lib} failed:\n{r.stdout[-3000:]}")
    return float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models")
    ap.add_argument("--kiln-bin", default=os.path.join(SRC, "build", "bin"))
    ap.add_argument("--cache", default=os.path.join(SRC, "build", "e2e-models"))
    ap.add_argument("--bench-json", default=os.path.join(SRC, "build", "bench", "results.json"))
    ap.add_argument("--out", default=os.path.join(SRC, "build", "opt-report"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--o0-repeat", type=int, default=2)
    ap.add_argument("--min-time-s", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-o0", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    models = a.models.split(",") if a.models else sorted(
        d for d in os.listdir(a.cache) if os.path.exists(os.path.join(a.cache, d, "model.onnx")))
    bench = {}
    if a.bench_json and os.path.exists(a.bench_json):
        bench = json.load(open(a.bench_json)).get("models", {})
    rows = {}
    jpath = os.path.join(a.out, "report.json")
    if os.path.exists(jpath):
        rows = json.load(open(jpath))
    for name in models:
        model = os.path.join(a.cache, name, "model.onnx")
        row = rows.get(name, {})
        before = graph_stats.stats(a.kiln_bin, model, ["--disable-pass=all"])
        after = graph_stats.stats(a.kiln_bin, model, [])
        row.update(ops_before=before["ops"], ops_after=after["ops"], flops_before=before["flops"],
                   flops_after=after["flops"])
        libs = {}
        for key, flags in [("o3", ["-O3"]), ("o3_nopasses", ["-O3", "--disable-pass=all"]),
                           ("o0", ["-O0"])]:
            if key == "o0" and a.skip_o0:
                continue
            libs[key] = os.path.join(a.out, f"lib{name}_{key}.so")
            row[f"compile_s_{key}"] = round(compile_(a.kiln_bin, model, flags, libs[key]), 2)
        # Runs per measurement: enough for --min-time-s at the -O3 speed.
        probe = latency(a.kiln_bin, libs["o3"], 3, 1)
        rep = max(a.repeat, min(20000, int(a.min_time_s * 1000 / max(probe, 1e-3))))
        warm = max(a.warmup, rep // 10)
        best = {}
        for _ in range(a.rounds):
            for key in ("o3", "o3_nopasses"):
                ms = latency(a.kiln_bin, libs[key], rep, warm)
                best[key] = min(best.get(key, ms), ms)
        for key in ("o3", "o3_nopasses"):
            row[f"ms_{key}"] = best[key]
        row["runs"] = rep
        if "o0" in libs:
            row["ms_o0"] = latency(a.kiln_bin, libs["o0"], a.o0_repeat, 1)
        for lib in libs.values():
            os.remove(lib)
        cfg = [c for c in bench.get(name, {}).get("configs", []) if c.get("ort_threads") == 1]
        if cfg and "batch1" in cfg[0]:
            b1 = cfg[0]["batch1"]
            row["bench_kiln_ms"] = b1["kiln"]["median_ms"]
            row["bench_ort_ms"] = b1["ort"]["median_ms"]
            row["kiln_over_ort"] = b1["ratio_median"]
        rows[name] = row
        json.dump(rows, open(jpath, "w"), indent=1)
        print(name, row, flush=True)
    lines = ["| model | ops before | ops after | GFLOP before | GFLOP after | Kiln -O0 ms | Kiln -O3, no graph passes ms | "
             "Kiln -O3 ms | -O3 speed-up from the passes | Kiln/ORT (bench, 1 thread) |",
             "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |"]
    for name in sorted(rows):
        r = rows[name]
        f = lambda k, fmt="{:.1f}": fmt.format(r[k]) if k in r else "–"
        sp = f"{r['ms_o3_nopasses'] / r['ms_o3']:.2f}×" if "ms_o3" in r and "ms_o3_nopasses" in r else "–"
        ratio = f"{r['kiln_over_ort']:.1f}" if "kiln_over_ort" in r else "–"
        lines.append(f"| {name} | {r['ops_before']} | {r['ops_after']} | {r['flops_before'] / 1e9:.3f} | "
                     f"{r['flops_after'] / 1e9:.3f} | {f('ms_o0')} | {f('ms_o3_nopasses')} | {f('ms_o3')} | {sp} | {ratio} |")
    open(os.path.join(a.out, "report.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
