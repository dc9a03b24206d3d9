#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The speed of kiln-cpu-sparse-matmul against the dense kernel by density
(docs/pruning.md): one Linear layer [M, K] x [K, N] per shape with the given
fraction of its weights nonzero (uniformly at random), compiled twice with
kiln-compile -O3 (the sparse kernel, and --sparse-kernel=off), timed in
alternating rounds of kiln-run on one thread; prints the median of each
round's median and the ratio.  The sparse kernel is taken only at the
densities that `max-density` allows: build with a larger default to sweep
past it (kiln-cpu-sparse-matmul's statistics tell which build used it).

    sparse_sweep.py BUILD_DIR OUT_DIR [--shapes 128x768x768,...] [--densities 0.2,0.5]
"""
import argparse
import os
import re
import statistics
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("out")
ap.add_argument("--shapes", default="128x768x768,128x768x3072,128x3072x768")
ap.add_argument("--densities", default="0.2,0.35,0.5,0.65,0.8")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--repeat", type=int, default=50)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(0)
print("shape (MxKxN)  density  sparse ms  dense ms  dense/sparse")
for shape in a.shapes.split(","):
    M, K, N = (int(v) for v in shape.split("x"))
    for d in (float(v) for v in a.densities.split(",")):
        w = rng.standard_normal((K, N)).astype(np.float32)
        w[rng.random((K, N)) >= d] = 0
        g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "mm",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [M, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [M, N])],
                              [numpy_helper.from_array(w, "w")])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        base = os.path.join(a.out, f"{shape}_{d}")
        onnx.save(m, base + ".onnx")
        libs = {}
        for kind, flags in (("sparse", []), ("dense", ["--sparse-kernel=off"])):
            lib = f"{base}_{kind}.so"
            r = subprocess.run([os.path.join(a.build, "bin", "kiln-compile"), base + ".onnx", "-O3", *flags, "-o", lib,
                                "--mlir-pass-statistics"], capture_output=True, text=True, check=True)
            used = re.search(r"\(S\)\s+1 sparse-matmuls", r.stderr) is not None
            libs[kind] = (lib, used)
        times = {k: [] for k in libs}
        for _ in range(a.rounds):
            for kind, (lib, _) in libs.items():
                out = subprocess.run([os.path.join(a.build, "bin", "kiln-run"), lib, "--threads", "1", "--repeat",
                                      str(a.repeat), "--warmup", "3"], capture_output=True, text=True, check=True).stdout
                times[kind].append(float(re.search(r"median ([0-9.]+) ms", out).group(1)))
        s, dn = statistics.median(times["sparse"]), statistics.median(times["dense"])
        note = "" if libs["sparse"][1] else "  (dense kernel: above max-density)"
        print(f"{shape:14} {d:7.2f}  {s:9.3f}  {dn:8.3f}  {dn / s:12.2f}{note}", flush=True)
