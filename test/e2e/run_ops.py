#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Compiles every single-op model written by scripts/make_test_models.py and
checks it against its numpy reference data with kiln-run (rtol 1e-3,
atol 1e-5).  Prints one line per model and 'N passed, N failed'."""
import glob
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    kiln_bin, work, opt = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "-O2"
    models = os.path.join(work, "models")
    subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "make_test_models.py"), models],
                   check=True, stdout=subprocess.DEVNULL)
    passed = failed = 0
    for d in sorted(glob.glob(os.path.join(models, "*/"))):
        name = os.path.basename(d.rstrip("/"))
        lib = os.path.join(work, f"lib{name}.so")
        r = subprocess.run([os.path.join(kiln_bin, "kiln-compile"), os.path.join(d, "model.onnx"), opt,
                            "-o", lib], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: compile error\n{r.stdout}")
            failed += 1
            continue
        cmd = [os.path.join(kiln_bin, "kiln-run"), lib]
        for s in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
            cmd += ["--data-dir", s]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: kiln-run exit {r.returncode}\n{r.stdout}")
            failed += 1
        else:
            print(f"PASS {name}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
