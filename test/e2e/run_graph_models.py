#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""End-to-end check of Kiln's graph passes on small models.

    run_graph_models.py KILN_BIN WORK MODELS_DIR [-O3 ...]

MODELS_DIR holds one folder per model (ONNX backend-test layout: model.onnx,
test_data_set_N/input_K.pb, output_K.pb with the framework's outputs) and,
optionally, `expect_nn.txt`: one Python regular expression per line that must
match the model's `kiln-compile --emit=nn` output at the highest -O level
given (so that the test fails if the pass it is about stops firing).

For every model and every -O level (default -O0 and -O3) the model is
compiled and run with kiln-run against the reference outputs (kiln-run's
default tolerance: rtol 1e-3, atol 1e-4).  Prints one line per check and
'N passed, N failed'; exits non-zero on any failure.
"""
import glob
import os
import re
import subprocess
import sys


def main():
    kiln_bin, work, models = sys.argv[1], sys.argv[2], sys.argv[3]
    levels = sys.argv[4:] or ["-O0", "-O3"]
    compile_ = os.path.join(kiln_bin, "kiln-compile")
    run = os.path.join(kiln_bin, "kiln-run")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    dirs = sorted(glob.glob(os.path.join(models, "*/")))
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        model = os.path.join(d, "model.onnx")
        expect = os.path.join(d, "expect_nn.txt")
        if os.path.exists(expect):
            r = subprocess.run([compile_, model, *levels[-1].split(), "--emit=nn", "--mlir-print-weights=false"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            missing = [p for p in open(expect).read().splitlines()
                       if p.strip() and not re.search(p, r.stdout)]
            if r.returncode != 0 or missing:
                print(f"FAIL {name} {levels[-1]} --emit=nn: exit {r.returncode}, missing {missing}\n{r.stdout[-4000:]}")
                failed += 1
            else:
                print(f"PASS {name} {levels[-1]} nn patterns")
                passed += 1
        for lvl in levels:
            # A level may carry more options ("-O3 --mcpu=haswell").
            lib = os.path.join(work, f"lib{name}{re.sub(r'[^A-Za-z0-9=.-]+', '_', lvl)}.so")
            r = subprocess.run([compile_, model, *lvl.split(), "-o", lib], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                print(f"FAIL {name} {lvl}: compile error\n{r.stdout}")
                failed += 1
                continue
            cmd = [run, lib]
            for s in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
                cmd += ["--data-dir", s]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                print(f"FAIL {name} {lvl}: kiln-run exit {r.returncode}\n{r.stdout}")
                failed += 1
            else:
                print(f"PASS {name} {lvl}")
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
