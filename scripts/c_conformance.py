#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The ONNX backend tests through the C target (kiln-compile --target=c).

For every test under /usr/share/libonnx-testdata/data/<category> whose model
compiles with --target=c, builds the C with the host's compiler
(cc -std=c99 -Wall -Wextra -pedantic -Werror) and a driver written for the
model (raw input files in, raw output files out), runs every data set and
compares with the reference outputs at ONNX's tolerances (rtol 1e-3,
atol 1e-7; NaN matches NaN; integers and bools exactly).  A test is

  pass           every data set matches
  wrong          an output differs (the largest error is kept)
  refused        kiln-compile refused it with an error (dynamic shapes,
                 unsupported element types, run-time checks, ...: see
                 docs/targets.md); the message is kept
  cc-error       the C did not compile without warnings (a Kiln bug)
  run-error      the program failed or crashed
  timeout

usage: /usr/bin/python3 scripts/c_conformance.py [--bin build/bin] [--out DIR]
          [--categories node] [--filter REGEX] [--jobs N]
Writes DIR/report.json and prints the counts; exits 1 if a test is wrong,
fails to build or run, or crashes (refusals are not failures).  Tests that the cpu target
skips as out of scope are not run.
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance  # noqa: E402  (test discovery and scope rules)

CC = os.environ.get("CC", "cc")


def run(cmd, cwd=None, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, ""


def driver(n_in, n_out):
    """main.c: reads in_<i>.bin, runs model_run, writes out_<j>.bin."""
    lines = ['#include "model.h"', "#include <stdio.h>", "#include <stdint.h>",
             "static uint64_t arena[(MODEL_ARENA_BYTES + 7) / 8 + 1];"]
    for i in range(n_in):
        lines.append(f"static uint64_t in{i}[(MODEL_INPUTS_{i}_SIZE * 8 + 7) / 8 + 1];")
    for j in range(n_out):
        lines.append(f"static uint64_t out{j}[(MODEL_OUTPUTS_{j}_SIZE * 8 + 7) / 8 + 1];")
    lines.append("static int io(const char *path, void *p, size_t n, int w) {\n"
                 "  FILE *f = fopen(path, w ? \"wb\" : \"rb\");\n  size_t k;\n"
                 "  if (!f) return 1;\n  k = w ? fwrite(p, 1, n, f) : fread(p, 1, n, f);\n"
                 "  fclose(f);\n  return k != n;\n}")
    lines.append("int main(int argc, char **argv) {")
    lines.append("  long b[64];\n  int i;\n  if (argc < 1 + %d) return 3;" % (n_in + n_out))
    lines.append("  for (i = 1; i < argc; i++) b[i] = atol(argv[i]);")
    for i in range(n_in):
        lines.append(f'  if (io("in_{i}.bin", in{i}, (size_t)b[{1 + i}], 0)) return 2;')
    args = [f"(void *)in{i}" for i in range(n_in)] + [f"(void *)out{j}" for j in range(n_out)]
    lines.append(f"  model_run({', '.join(args + ['arena'])});")
    for j in range(n_out):
        lines.append(f'  if (io("out_{j}.bin", out{j}, (size_t)b[{1 + n_in + j}], 1)) return 2;')
    lines.append("  return 0;\n}")
    return "\n".join(lines[:2] + ["#include <stdlib.h>"] + lines[2:]) + "\n"


def run_test(args, category, name):
    d = os.path.join(conformance.DATA_ROOT, category, name)
    model = os.path.join(d, "model.onnx")
    rec = {"test": f"{category}/{name}"}
    try:
        _, _, oos = conformance.model_info(model)
    except Exception:
        oos = ["unreadable"]
    if oos:
        rec["status"] = "out-of-scope"
        return rec
    sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
    with tempfile.TemporaryDirectory(prefix="kiln-cconf-") as tmp:
        rc, out = run([os.path.join(args.bin, "kiln-compile"), model, "--target=c", "--name=model",
                       "-o", os.path.join(tmp, "model.c")])
        if rc != 0:
            rec["status"] = "refused" if rc == 1 and "error:" in out else "crash"
            rec["detail"] = conformance.first_error(out, model) if rc == 1 else out[-300:]
            return rec
        m = onnx.load(model, load_external_data=False)
        inits = {i.name for i in m.graph.initializer}
        n_in = len([i for i in m.graph.input if i.name not in inits])
        n_out = len(m.graph.output)
        with open(os.path.join(tmp, "main.c"), "w") as f:
            f.write(driver(n_in, n_out))
        rc, out = run([CC, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", "-I", tmp,
                       os.path.join(tmp, "main.c"), os.path.join(tmp, "model.c"),
                       "-o", os.path.join(tmp, "prog"), "-lm"])
        if rc != 0:
            rec["status"], rec["detail"] = "cc-error", out[-600:]
            return rec
        worst = []
        for s in sets:
            ins = [numpy_helper.to_array(onnx.load_tensor(p))
                   for p in sorted(glob.glob(os.path.join(s, "input_*.pb")),
                                   key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))]
            refs = [numpy_helper.to_array(onnx.load_tensor(p))
                    for p in sorted(glob.glob(os.path.join(s, "output_*.pb")),
                                    key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))]
            for i, a in enumerate(ins):
                np.ascontiguousarray(a).tofile(os.path.join(tmp, f"in_{i}.bin"))
            sizes = [a.nbytes for a in ins] + [r.nbytes for r in refs]
            rc, out = run([os.path.join(tmp, "prog")] + [str(x) for x in sizes], cwd=tmp)
            if rc is None:
                rec["status"] = "timeout"
                return rec
            if rc != 0:
                rec["status"], rec["detail"] = "run-error", f"exit {rc} {out[-200:]}"
                return rec
            for j, r in enumerate(refs):
                got = np.fromfile(os.path.join(tmp, f"out_{j}.bin"), dtype=r.dtype).reshape(r.shape)
                if r.dtype.kind in "fc":
                    ok = np.isclose(got, r, rtol=1e-3, atol=1e-7, equal_nan=True)
                    if not ok.all():
                        worst.append(f"{os.path.basename(s)} output {j}: max |err| "
                                     f"{float(np.nanmax(np.abs(got - r))):.3g}")
                elif not np.array_equal(got, r):
                    worst.append(f"{os.path.basename(s)} output {j}: "
                                 f"{int((got != r).sum())} values differ")
        rec["status"] = "wrong" if worst else "pass"
        if worst:
            rec["detail"] = "; ".join(worst)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(conformance.SRC, "build", "bin"))
    ap.add_argument("--out", default=os.path.join(conformance.SRC, "build", "c-conformance"))
    ap.add_argument("--categories", default="node")
    ap.add_argument("--filter", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    tests = []
    for c in args.categories.split(","):
        for t in sorted(os.listdir(os.path.join(conformance.DATA_ROOT, c))):
            if re.search(args.filter, f"{c}/{t}"):
                tests.append((c, t))
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        results = list(ex.map(lambda ct: run_test(args, *ct), tests))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(results, f, indent=1)
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    bad = [r for r in results if r["status"] in ("wrong", "cc-error", "run-error", "crash", "timeout")]
    for r in bad:
        print(f"{r['status']}: {r['test']}: {r.get('detail', '')[:300]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
