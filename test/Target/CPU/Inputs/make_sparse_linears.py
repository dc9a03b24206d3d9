#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""An ONNX model whose Linear layers hold exact zeros in every form the
sparse kernel (kiln-cpu-sparse-matmul) takes, with an input and the
float64 reference output, for test/Target/CPU/sparse-kernels.test:

  x       [B, 40, 300] (B dynamic: M = 40 B rows, a partial last block
          for B = 3; K = 300: three chunks of 128 rows with AVX2's 32-row
          blocks, five of 64 with AVX-512's 64-row blocks, the last partial)
  h1      relu(x W1 + b1), W1 [300, 96] with 80 % of its weights zero
          (unstructured, uniformly at random)
  h2      h1 W2 + b2 + x, W2 [96, 300] 2:4 (two of every four weights
          along K zero), the residual add fused
  y       tanh(h2 W3 + b3), W3 [300, 48] 85 % zero, with rows 128..255
          (the whole second chunk with AVX2, two with AVX-512) and column 5 all zero (empty lists)

    make_sparse_linears.py OUT.onnx INPUT.npy REFERENCE.npy
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)


def unstructured(shape, ratio):
    w = rng.standard_normal(shape) * 0.1
    w[rng.random(shape) < ratio] = 0.0
    return w.astype(np.float32)


def two_of_four(shape):
    w = rng.standard_normal(shape) * 0.1
    K, N = shape
    for n in range(N):
        for k0 in range(0, K, 4):
            w[k0 + rng.choice(4, 2, replace=False), n] = 0.0
    return w.astype(np.float32)


w1 = unstructured((300, 96), 0.8)
w2 = two_of_four((96, 300))
w3 = unstructured((300, 48), 0.85)
w3[128:256, :] = 0.0
w3[:, 5] = 0.0
b1, b2, b3 = (rng.standard_normal(n).astype(np.float32) * 0.1 for n in (96, 300, 48))
inits = [numpy_helper.from_array(a, n) for a, n in
         ((w1, "w1"), (w2, "w2"), (w3, "w3"), (b1, "b1"), (b2, "b2"), (b3, "b3"))]
nodes = [
    helper.make_node("MatMul", ["x", "w1"], ["m1"], name="m1"),
    helper.make_node("Add", ["m1", "b1"], ["a1"], name="a1"),
    helper.make_node("Relu", ["a1"], ["h1"], name="h1"),
    helper.make_node("MatMul", ["h1", "w2"], ["m2"], name="m2"),
    helper.make_node("Add", ["m2", "b2"], ["a2"], name="a2"),
    helper.make_node("Add", ["a2", "x"], ["h2"], name="h2"),
    helper.make_node("MatMul", ["h2", "w3"], ["m3"], name="m3"),
    helper.make_node("Add", ["m3", "b3"], ["a3"], name="a3"),
    helper.make_node("Tanh", ["a3"], ["y"], name="y"),
]
graph = helper.make_graph(nodes, "sparse_linears",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 40, 300])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 40, 48])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])

x = rng.standard_normal((3, 40, 300)).astype(np.float32)
d = lambda a: a.astype(np.float64)
h1 = np.maximum(d(x) @ d(w1) + d(b1), 0)
h2 = h1 @ d(w2) + d(b2) + d(x)
y = np.tanh(h2 @ d(w3) + d(b3))
np.save(sys.argv[2], x)
np.save(sys.argv[3], y)
