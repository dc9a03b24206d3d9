#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""End-to-end check of kiln-cpu-winograd's results and error.

    check_winograd.py KILN_BIN WORK MODELS_DIR OPTIONS...

For every model of MODELS_DIR (make_winograd_models.py) and every set of
compile options (e.g. "-O3 --winograd=f4"), compiles the model and checks
each data set two ways:
  * against torch's float32 outputs with the model suite's tolerance
    (kiln-run --atol 1e-4, rtol 1e-3: test/CMakeLists.txt);
  * against the float64 result (ref64.npy): the largest absolute error
    relative to the largest output magnitude must be at most 1e-5
    (measured: 1e-6 to 2e-6 for the direct kernel, up to 4e-6 for
    F(4x4, 3x3), below 1e-6 for F(2x2, 3x3); f32 rounding is 6e-8).
Prints one line per check with the measured ratio and 'N passed, N failed';
exits non-zero on any failure.
"""
import glob
import os
import re
import subprocess
import sys

import numpy as np

MAX_RELATIVE_ERROR = 1e-5


def main():
    kiln_bin, work, models = sys.argv[1], sys.argv[2], sys.argv[3]
    option_sets = sys.argv[4:]
    compile_ = os.path.join(kiln_bin, "kiln-compile")
    run = os.path.join(kiln_bin, "kiln-run")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    for d in sorted(glob.glob(os.path.join(models, "*/"))):
        name = os.path.basename(d.rstrip("/"))
        for opts in option_sets:
            tag = re.sub(r"[^A-Za-z0-9=.-]+", "_", opts)
            lib = os.path.join(work, f"lib{name}{tag}.so")
            r = subprocess.run([compile_, os.path.join(d, "model.onnx"), *opts.split(), "-o", lib],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                print(f"FAIL {name} {opts}: compile error\n{r.stdout}")
                failed += 1
                continue
            for s in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
                k = s.rsplit("_", 1)[1]
                r = subprocess.run([run, lib, "--data-dir", s, "--atol", "1e-4"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                out = os.path.join(work, f"out_{name}{tag}_{k}")
                r2 = subprocess.run([run, lib, "--input", "x=" + os.path.join(s, "input_0.pb"), "--save-outputs",
                                     out, "--repeat", "1", "--warmup", "0"], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
                if r.returncode != 0 or r2.returncode != 0:
                    print(f"FAIL {name} {opts} set {k}: kiln-run exit {r.returncode}/{r2.returncode}\n"
                          f"{r.stdout}{r2.stdout}")
                    failed += 1
                    continue
                y = np.load(glob.glob(os.path.join(out, "*.npy"))[0]).astype(np.float64)
                ref = np.load(os.path.join(s, "ref64.npy"))
                ratio = float(np.abs(y - ref).max() / np.abs(ref).max())
                ok = y.shape == ref.shape and ratio <= MAX_RELATIVE_ERROR
                print(f"{'PASS' if ok else 'FAIL'} {name} {opts} set {k}: "
                      f"max|err| / max|y| vs float64 {ratio:.2e}")
                passed += ok
                failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
