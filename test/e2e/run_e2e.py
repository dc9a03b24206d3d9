#!/usr/bin/python3
"""End-to-end check: export reference models (torch), compile them with
kiln-compile, run them with kiln-run on every reference data set and compare
within tolerance.  One library per model serves every batch size.

usage: run_e2e.py --models resnet18,mobilenet_v2 --kiln-bin DIR --work DIR
                  [--cache DIR] [--rtol 1e-3] [--atol 1e-4] [-O3]
Exit status 0 only if every model compiled and matched.
"""
import argparse
import glob
import os
import resource
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    for m in models:
        mdir = os.path.join(cache, m)
        lib = os.path.join(a.work, f"lib{m}.so")
        t = time.time()
        r = run(["/usr/bin/time", "-f", "maxrss_kb=%M", os.path.join(a.kiln_bin, "kiln-compile"),
                 os.path.join(mdir, "model.onnx"), a.opt, "-o", lib])
        ct = time.time() - t
        rss = [l for l in r.stdout.splitlines() if l.startswith("maxrss_kb=")]
        print(f"e2e: {m}: compile {a.opt} took {ct:.1f} s, peak memory "
              f"{int(rss[0].split('=')[1]) // 1024 if rss else -1} MiB")
        if r.returncode != 0:
            print(r.stdout)
            failures.append(f"{m}: compile error")
            continue
        sets = sorted(glob.glob(os.path.join(mdir, "test_data_set_*")))
        if not sets:
            failures.append(f"{m}: no reference data")
            continue
        cmd = [os.path.join(a.kiln_bin, "kiln-run"), lib, "--rtol", a.rtol, "--atol", a.atol]
        for s in sets:
            cmd += ["--data-dir", s]
        r = run(cmd)
        print(r.stdout)
        if r.returncode != 0:
            failures.append(f"{m}: wrong result or run error (exit {r.returncode})")
        else:
            print(f"e2e: {m}: PASS ({len(sets)} data sets, rtol {a.rtol}, atol {a.atol})")
    if failures:
        print("e2e: FAILED: " + "; ".join(failures))
        return 1
    print(f"e2e: all {len(models)} models match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
