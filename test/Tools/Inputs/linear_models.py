#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds the models of packed-matmul.test and their reference data.

usage: linear_models.py OUTDIR
Writes OUTDIR/<case>.onnx and OUTDIR/<case>/<data set>/{input,output}_*.pb
(ONNX backend-test layout), the outputs computed with numpy in float64.
Shapes are chosen to exercise the packed micro-kernel's edges: rows that are
not a multiple of the 8-row tile (static and dynamic), column counts that
are not a multiple of the 32-column panel, one row (GEMV), a weight shared
by two products, a BERT-style head split whose Reshape target is computed
at run time (Shape -> Gather -> Concat), and ViT's class token expanded to
the batch (torch's expand(n, -1, -1)).
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

RNG = np.random.default_rng(7)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def w(name, shape, scale=0.1):
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def model(nodes, inputs, outputs, inits):
    g = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def arr(t):
    return numpy_helper.to_array(t).astype(np.float64)


def write_set(out, case, idx, ins, outs):
    d = os.path.join(out, case, "test_data_set_%d" % idx)
    os.makedirs(d, exist_ok=True)
    for i, (n, a) in enumerate(ins):
        with open(os.path.join(d, "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a.astype(np.float32), n).SerializeToString())
    for i, (n, a) in enumerate(outs):
        with open(os.path.join(d, "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a.astype(np.float32), n).SerializeToString())


def linear(out, case, rows, K, N, dyn):
    """y = relu(x @ W + b + x @ W2[:, :N]) with W shared... kept simple:
    y = relu(x @ W + b) + (x @ W) (the same weight read twice)."""
    W, b = w("W", (K, N)), w("b", (N,), 1.0)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["p"]),
        helper.make_node("Add", ["p", "b"], ["q"]),
        helper.make_node("Relu", ["q"], ["r"]),
        helper.make_node("MatMul", ["x", "W"], ["p2"]),
        helper.make_node("Add", ["r", "p2"], ["y"]),
    ]
    m = "B" if dyn else rows[0]
    save(model(nodes, [vi("x", [m, K])], [vi("y", [m, N])], [W, b]), os.path.join(out, case + ".onnx"))
    for i, r in enumerate(rows):
        x = RNG.standard_normal((r, K))
        p = x @ arr(W)
        y = np.maximum(p + arr(b), 0) + p
        write_set(out, case, i, [("x", x)], [("y", y)])


def heads(out):
    """BERT-style attention input projection: [B, 8, 32] x [32, 96] + b,
    split into 3 x 32 by a Reshape whose target shape is computed from the
    input's shape at run time, then transposed to [B, 3, 8, 32]."""
    S, E = 8, 32
    W, b = w("W", (E, 3 * E)), w("b", (3 * E,), 1.0)
    c = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["p"]),
        helper.make_node("Add", ["p", "b"], ["q"]),
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "i0"], ["bsz"], axis=0),
        helper.make_node("Unsqueeze", ["bsz", "ax0"], ["bsz1"]),
        helper.make_node("Concat", ["bsz1", "rest"], ["tgt"], axis=0),
        helper.make_node("Reshape", ["q", "tgt"], ["h"]),
        helper.make_node("Transpose", ["h"], ["y"], perm=[0, 2, 1, 3]),
    ]
    inits = [W, b, c("i0", 0), c("ax0", [0]), c("rest", [S, 3, E])]
    save(model(nodes, [vi("x", ["B", S, E])], [vi("y", ["B", 3, S, E])], inits), os.path.join(out, "heads.onnx"))
    for i, bs in enumerate([1, 3]):
        x = RNG.standard_normal((bs, S, E))
        q = x @ arr(W) + arr(b)
        y = q.reshape(bs, S, 3, E).transpose(0, 2, 1, 3)
        write_set(out, "heads", i, [("x", x)], [("y", y)])


def cls_token(out):
    """ViT's class token: torch's expand(n, -1, -1) of a [1, 1, E] parameter
    (target [n, -1, -1] through Equal/Where), concatenated before the
    [B, S, E] tokens, then a Linear layer."""
    S, E = 4, 32
    cls, W = w("cls", (1, 1, E), 1.0), w("W", (E, 40))
    c = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "i0"], ["bsz"], axis=0),
        helper.make_node("Unsqueeze", ["bsz", "ax0"], ["bsz1"]),
        helper.make_node("Concat", ["bsz1", "m1", "m1"], ["tgt"], axis=0),
        helper.make_node("ConstantOfShape", ["three"], ["ones"],
                         value=numpy_helper.from_array(np.array([1], dtype=np.int64))),
        helper.make_node("Mul", ["ones", "m1"], ["negs"]),
        helper.make_node("Equal", ["tgt", "negs"], ["isneg"]),
        helper.make_node("Where", ["isneg", "ones", "tgt"], ["shape"]),
        helper.make_node("Expand", ["cls", "shape"], ["c"]),
        helper.make_node("Concat", ["c", "x"], ["t"], axis=1),
        helper.make_node("MatMul", ["t", "W"], ["y"]),
    ]
    inits = [cls, W, c("i0", 0), c("ax0", [0]), c("m1", [-1]), c("three", [3])]
    save(model(nodes, [vi("x", ["B", S, E])], [vi("y", ["B", S + 1, 40])], inits),
         os.path.join(out, "cls_token.onnx"))
    for i, bs in enumerate([1, 2]):
        x = RNG.standard_normal((bs, S, E))
        t = np.concatenate([np.broadcast_to(arr(cls), (bs, 1, E)), x], axis=1)
        write_set(out, "cls_token", i, [("x", x)], [("y", t @ arr(W))])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # 13 rows: one full 8-row tile and a remainder of 5; 100 columns: three
    # full panels and 4 columns of a padded one; K = 70.
    linear(out, "static", [13], 70, 100, False)
    # Dynamic rows: 1 (GEMV), 9 (8 + 1), 16 (two full tiles).
    linear(out, "dynamic", [1, 9, 16], 40, 64, True)
    # One row, 33 columns (one panel and one column).
    linear(out, "gemv", [1], 50, 33, False)
    heads(out)
    cls_token(out)


if __name__ == "__main__":
    main()
