#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""End-to-end check: export reference models (torch), compile them with
kiln-compile, run them with kiln-run on every reference data set and compare
within tolerance.  One library per model serves every batch size.

usage: run_e2e.py --models resnet18,mobilenet_v2 --kiln-bin DIR --work DIR
                  [--cache DIR] [--rtol 1e-3] [--atol 1e-4] [--opt -O3]
                  [--json FILE]
Records, per model, the compile time and the compiler's peak resident memory
(GNU time's maximum RSS), and per data set the batch, the largest absolute
and relative errors and the mismatch count; --json writes them (read by
scripts/model_report.py).
Exit status 0 only if every model compiled and matched.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_RE = re.compile(r"output (\d+) '([^']*)' \S+ \[([0-9,]*)\]: (?:max_abs_err (\S+) "
                    r"max_rel_err (\S+) )?mismatches (\d+)/(\d+) (OK|FAIL)")


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--kiln-bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cache", default=os.environ.get("KILN_E2E_CACHE"))
    ap.add_argument("--rtol", default="1e-3")
    ap.add_argument("--atol", default="1e-4")
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--json", help="write the measurements to this file")
    a = ap.parse_args()
    cache = a.cache or os.path.join(a.work, "models")
    os.makedirs(cache, exist_ok=True)
    os.makedirs(a.work, exist_ok=True)
    models = [m for m in a.models.split(",") if m]

    t0 = time.time()
    r = run(["/usr/bin/python3", os.path.join(SRC, "scripts", "export_models.py"), cache,
             "--models", ",".join(models)])
    print(r.stdout)
    if r.returncode != 0:
        print("e2e: export failed")
        return 1
    print(f"e2e: export/cached in {time.time() - t0:.1f} s")

    failures = []
    results = {}
    for m in models:
        mdir = os.path.join(cache, m)
        lib = os.path.join(a.work, f"lib{m}.so")
        rec = results[m] = {"model": m, "opt": a.opt, "rtol": float(a.rtol),
                            "atol": float(a.atol), "status": "pass", "data_sets": []}
        t = time.time()
        r = run(["/usr/bin/time", "-f", "maxrss_kb=%M", os.path.join(a.kiln_bin, "kiln-compile"),
                 os.path.join(mdir, "model.onnx"), a.opt, "-o", lib])
        ct = time.time() - t
        rss = [l for l in r.stdout.splitlines() if l.startswith("maxrss_kb=")]
        rec["compile_s"] = round(ct, 2)
        rec["compile_peak_rss_mib"] = int(rss[0].split("=")[1]) // 1024 if rss else None
        rec["onnx_mb"] = round(os.path.getsize(os.path.join(mdir, "model.onnx")) / 1e6, 1)
        print(f"e2e: {m}: compile {a.opt} took {ct:.1f} s, peak memory "
              f"{rec['compile_peak_rss_mib']} MiB")
        if r.returncode != 0:
            print(r.stdout)
            rec["status"] = "compile error"
            rec["error"] = "\n".join(l for l in r.stdout.splitlines()
                                     if not l.startswith("maxrss_kb="))[-2000:]
            failures.append(f"{m}: compile error")
            continue
        rec["library_mb"] = round(os.path.getsize(lib) / 1e6, 1)
        sets = sorted(glob.glob(os.path.join(mdir, "test_data_set_*")))
        if not sets:
            rec["status"] = "no reference data"
            failures.append(f"{m}: no reference data")
            continue
        ok = True
        for s in sets:
            cmd = [os.path.join(a.kiln_bin, "kiln-run"), lib, "--rtol", a.rtol, "--atol", a.atol,
                   "--data-dir", s]
            t = time.time()
            r = run(cmd)
            print(r.stdout, end="")
            ds = {"data_set": os.path.basename(s), "exit": r.returncode,
                  "seconds": round(time.time() - t, 2), "outputs": []}
            for g in OUT_RE.finditer(r.stdout):
                dims = [int(d) for d in g.group(3).split(",") if d]
                ds["outputs"].append({
                    "index": int(g.group(1)), "name": g.group(2), "dims": dims,
                    "max_abs_err": float(g.group(4)) if g.group(4) else 0.0,
                    "max_rel_err": float(g.group(5)) if g.group(5) else 0.0,
                    "mismatches": int(g.group(6)), "elements": int(g.group(7)),
                    "ok": g.group(8) == "OK"})
            if ds["outputs"] and ds["outputs"][0]["dims"]:
                ds["batch"] = ds["outputs"][0]["dims"][0]
            rec["data_sets"].append(ds)
            if r.returncode != 0:
                ok = False
        if not ok:
            rec["status"] = "mismatch or run error"
            failures.append(f"{m}: wrong result or run error")
        else:
            print(f"e2e: {m}: PASS ({len(sets)} data sets, rtol {a.rtol}, atol {a.atol})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(list(results.values()), f, indent=1)
    if failures:
        print("e2e: FAILED: " + "; ".join(failures))
        return 1
    print(f"e2e: all {len(models)} models match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
