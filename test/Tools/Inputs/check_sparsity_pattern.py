#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks the sparsity of every Linear weight that kiln-compile --sparsity
wrote (the `kiln_sparse_weight*` resources of an nn module printed with
--mlir-print-weights), for test/Tools/sparsity.test:

    check_sparsity_pattern.py MODULE.mlir N:M
    check_sparsity_pattern.py MODULE.mlir unstructured:R

N:M: in every column, every group of M consecutive weights along K holds
at most N nonzeros.  unstructured:R: each weight has round(R x size) zeros
or more.  Prints one line per weight and exits 1 on a violation.
"""
import re
import sys

import numpy as np

text = open(sys.argv[1]).read()
spec = sys.argv[2]
types = dict(re.findall(r"dense_resource<(kiln_sparse_weight\w*)> : tensor<(\d+x\d+)xf32>", text))
blobs = dict(re.findall(r"(kiln_sparse_weight\w*): \"0x([0-9A-Fa-f]+)\"", text))
if not types or set(types) != set(blobs):
    print("no sparse weights found" if not types else "weights without a blob or a type")
    sys.exit(1)
bad = 0
for name in sorted(types, key=lambda s: (len(s), s)):
    K, N = (int(v) for v in types[name].split("x"))
    # The blob: a 4-byte alignment, then the little-endian floats.
    w = np.frombuffer(bytes.fromhex(blobs[name])[4:], dtype="<f4").reshape(K, N)
    if spec.startswith("unstructured:"):
        want = round(float(spec.split(":")[1]) * w.size)
        zeros = int((w == 0).sum())
        ok = zeros >= want
        print(f"{K}x{N}: {zeros} zeros of {w.size} ({'ok' if ok else 'TOO FEW, want %d' % want})")
    else:
        n, m = (int(v) for v in spec.split(":"))
        most = int((w.reshape(K // m, m, N) != 0).sum(axis=1).max())
        ok = most <= n
        print(f"{K}x{N}: at most {most} nonzeros per group of {m} ({'ok' if ok else 'VIOLATED'})")
    bad += not ok
sys.exit(1 if bad else 0)
