#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Models for the graph-cleanup passes on nn (kiln-nn-fold-pad,
kiln-nn-simplify-layout, kiln-nn-constant-fold, kiln-nn-dce), with
reference outputs from torch / numpy (ONNX backend-test layout).

    make_graph_cleanup_models.py OUT

Every model contains the pattern a pass rewrites, so the compiled model
computes the rewritten graph; the reference computes the original one:
  pad_conv      Pad (zeros, H and W, asymmetric) -> Conv with its own pads
  pad_avgpool   Pad (zeros) -> AveragePool count_include_pad = 1, ceil_mode
  pad_maxpool   Pad (-inf) -> MaxPool with its own pads
  layout        Transpose -> Transpose (cancelling and composing), a
                Transpose that only moves size-1 dims, Reshape -> Reshape,
                Mul by 1, Add of 0
  shape_arith   Shape -> Gather -> Mul / Div -> Concat -> Reshape (all
                folded: the input's shape is static)
  const_ops     integer and float arithmetic, casts, Where, Clip and data
                movement on initializers only (all folded by
                kiln-nn-constant-fold; reference: numpy)
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as Fn
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def save(out, name, nodes, ins, outs, inits=(), opset=17):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, t, list(a.shape)) for n, a, t in ins],
        [helper.make_tensor_value_info(n, t, list(a.shape)) for n, a, t in outs],
        [numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, (n, a, _) in enumerate(ins):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (n, a, _) in enumerate(outs):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())


def onnx_pads_to_torch(p):
    """ONNX 4-D pads [n0, c0, h0, w0, n1, c1, h1, w1] (spatial only) ->
    torch F.pad order (w0, w1, h0, h1)."""
    return (p[3], p[7], p[2], p[6])


def main(out):
    rng = np.random.default_rng(5)
    t = torch.from_numpy

    # Pad -> Conv.
    X = rng.standard_normal((1, 3, 10, 9)).astype(np.float32)
    W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    B = rng.standard_normal(4).astype(np.float32)
    pads = [0, 0, 1, 2, 0, 0, 2, 0]
    xp = Fn.pad(t(X), onnx_pads_to_torch(pads), value=0.0)
    Y = Fn.conv2d(xp, t(W), t(B), stride=(2, 1), padding=1).numpy()
    save(out, "pad_conv",
         [helper.make_node("Pad", ["X", "pads"], ["P"], mode="constant"),
          helper.make_node("Conv", ["P", "W", "B"], ["Y"], pads=[1, 1, 1, 1], strides=[2, 1])],
         [("X", X, F)], [("Y", Y, F)],
         [("W", W), ("B", B), ("pads", np.array(pads, np.int64))])

    # Pad -> AveragePool (count_include_pad, ceil_mode: the ceil-mode end
    # padding is not counted, the Pad's zeros and the explicit pads are).
    X = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    pads = [0, 0, 2, 1, 0, 0, 1, 2]
    xp = Fn.pad(t(X), onnx_pads_to_torch(pads), value=0.0)
    Y = Fn.avg_pool2d(xp, kernel_size=3, stride=2, padding=1, ceil_mode=True,
                      count_include_pad=True).numpy()
    save(out, "pad_avgpool",
         [helper.make_node("Pad", ["X", "pads"], ["P"], mode="constant"),
          helper.make_node("AveragePool", ["P"], ["Y"], kernel_shape=[3, 3], strides=[2, 2],
                           pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)],
         [("X", X, F)], [("Y", Y, F)], [("pads", np.array(pads, np.int64))])

    # Pad with -inf -> MaxPool; the input holds -inf values too.
    X = rng.standard_normal((1, 2, 7, 7)).astype(np.float32)
    X[0, 0, 0, 0] = -np.inf
    X[0, 1, 3, 3] = -np.inf
    pads = [0, 0, 1, 0, 0, 0, 2, 1]
    xp = Fn.pad(t(X), onnx_pads_to_torch(pads), value=-np.inf)
    Y = Fn.max_pool2d(xp, kernel_size=2, stride=2, padding=1).numpy()
    save(out, "pad_maxpool",
         [helper.make_node("Pad", ["X", "pads", "v"], ["P"], mode="constant"),
          helper.make_node("MaxPool", ["P"], ["Y"], kernel_shape=[2, 2], strides=[2, 2],
                           pads=[1, 1, 1, 1])],
         [("X", X, F)], [("Y", Y, F)],
         [("pads", np.array(pads, np.int64)), ("v", np.array(-np.inf, np.float32))])

    # Layout chains and identities.
    X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    Z = rng.standard_normal((1, 6, 1, 7)).astype(np.float32)
    one = np.ones((1, 1, 1, 1), np.float32)
    zero = np.zeros((1, 1, 1, 1), np.float32)
    a = X.transpose(0, 2, 3, 1).transpose(0, 3, 1, 2)          # cancels
    b = X.transpose(1, 0, 2, 3).transpose(3, 2, 0, 1)          # composes
    r = (X.reshape(6, 20).reshape(4, 5, 6) * 2.0).astype(np.float32)
    z = Z.transpose(1, 0, 3, 2) * one[0, 0]                    # size-1 dims only
    Y0 = (a * one + zero).astype(np.float32)
    Y1 = b.astype(np.float32)
    save(out, "layout",
         [helper.make_node("Transpose", ["X"], ["a1"], perm=[0, 2, 3, 1]),
          helper.make_node("Transpose", ["a1"], ["a2"], perm=[0, 3, 1, 2]),
          helper.make_node("Mul", ["a2", "one"], ["a3"]),
          helper.make_node("Add", ["a3", "zero"], ["Y0"]),
          helper.make_node("Transpose", ["X"], ["b1"], perm=[1, 0, 2, 3]),
          helper.make_node("Transpose", ["b1"], ["Y1"], perm=[3, 2, 0, 1]),
          helper.make_node("Reshape", ["X", "s1"], ["r1"]),
          helper.make_node("Reshape", ["r1", "s2"], ["r2"]),
          helper.make_node("Mul", ["r2", "two"], ["Y2"]),
          helper.make_node("Transpose", ["Z"], ["z1"], perm=[1, 0, 3, 2]),
          helper.make_node("Mul", ["z1", "one"], ["Y3"])],
         [("X", X, F), ("Z", Z, F)],
         [("Y0", Y0, F), ("Y1", Y1, F), ("Y2", r, F), ("Y3", z.astype(np.float32), F)],
         [("one", one), ("zero", zero), ("two", np.array(2.0, np.float32)),
          ("s1", np.array([6, 20], np.int64)), ("s2", np.array([4, 5, 6], np.int64))])

    # Shape arithmetic on a static input: the reshape target folds.
    X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    Y = (X.reshape(2, 60) + 1.0).astype(np.float32)
    save(out, "shape_arith",
         [helper.make_node("Shape", ["X"], ["s"]),
          helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
          helper.make_node("Gather", ["s", "i1"], ["c"], axis=0),
          helper.make_node("Gather", ["s", "i2"], ["h"], axis=0),
          helper.make_node("Gather", ["s", "i3"], ["w"], axis=0),
          helper.make_node("Mul", ["c", "h"], ["ch"]),
          helper.make_node("Mul", ["ch", "w"], ["prod"]),
          helper.make_node("Div", ["prod", "c2"], ["half"]),
          helper.make_node("Mul", ["half", "c2"], ["whole"]),
          helper.make_node("Concat", ["n", "whole"], ["shape"], axis=0),
          helper.make_node("Reshape", ["X", "shape"], ["r"]),
          helper.make_node("Add", ["r", "onef"], ["Y"])],
         [("X", X, F)], [("Y", Y, F)],
         [("i0", np.array([0], np.int64)), ("i1", np.array([1], np.int64)),
          ("i2", np.array([2], np.int64)), ("i3", np.array([3], np.int64)),
          ("c2", np.array([2], np.int64)), ("onef", np.array([1.0], np.float32))])

    # Ops on constants only: kiln-nn-constant-fold evaluates them all.
    A = np.array([7, -7, 9, -9, 3, 100], np.int64)
    Bv = np.array([2, 2, -4, -4, 5, 7], np.int64)
    Fv = np.array([1.5, -2.5, 0.5, 3.7, -0.2, 2.5], np.float32)
    M = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 2.0
    big = np.array([1 << 30, 3, -(1 << 30), 5, 7, 1 << 29], np.int32)
    X = rng.standard_normal(6).astype(np.float32)
    outs = [
        ("Y", (X + 1.0).astype(np.float32), F),
        ("mod", np.mod(A, Bv), I64),
        ("arith", np.maximum(A * Bv - Bv, np.minimum(A, Bv)), I64),
        ("where", np.where(A < Bv, A, Bv * 3), I64),
        ("fl", (np.clip(np.round(Fv), -1.0, 2.0) * A.astype(np.float32) / 4.0).astype(np.float32), F),
        ("i32", (big * np.int32(4)).astype(np.int32), TensorProto.INT32),
        ("move", np.concatenate([M.T[::-1, 1:3], M.T[:, [2, 0]]], axis=1).astype(np.float32), F),
        ("expand", np.broadcast_to(np.array([[1.5], [2.5]], np.float32), (2, 8)).copy(), F),
        ("cmp", ((Fv > 0.4) | (A == 9)).astype(np.int64), I64),
    ]
    save(out, "const_ops",
         [helper.make_node("Add", ["X", "onef"], ["Y"]),
          helper.make_node("Mod", ["A", "B"], ["mod"]),
          helper.make_node("Mul", ["A", "B"], ["ab"]),
          helper.make_node("Sub", ["ab", "B"], ["abb"]),
          helper.make_node("Min", ["A", "B"], ["mn"]),
          helper.make_node("Max", ["abb", "mn"], ["arith"]),
          helper.make_node("Less", ["A", "B"], ["lt"]),
          helper.make_node("Mul", ["B", "three"], ["b3"]),
          helper.make_node("Where", ["lt", "A", "b3"], ["where"]),
          helper.make_node("Round", ["Fv"], ["rf"]),
          helper.make_node("Clip", ["rf", "lo", "hi"], ["cf"]),
          helper.make_node("Cast", ["A"], ["af"], to=F),
          helper.make_node("Mul", ["cf", "af"], ["cfa"]),
          helper.make_node("Div", ["cfa", "four"], ["fl"]),
          helper.make_node("Mul", ["big", "four32"], ["i32"]),
          helper.make_node("Transpose", ["M"], ["mt"], perm=[1, 0]),
          helper.make_node("Slice", ["mt", "st", "en", "ax", "sp"], ["sl"]),
          helper.make_node("Gather", ["mt", "g"], ["ga"], axis=1),
          helper.make_node("Concat", ["sl", "ga"], ["move"], axis=1),
          helper.make_node("Expand", ["col", "eshape"], ["expand"]),
          helper.make_node("Greater", ["Fv", "p4"], ["gt"]),
          helper.make_node("Equal", ["A", "nine"], ["eq"]),
          helper.make_node("Or", ["gt", "eq"], ["or"]),
          helper.make_node("Cast", ["or"], ["cmp"], to=I64)],
         [("X", X, F)], outs,
         [("onef", np.array([1.0], np.float32)), ("A", A), ("B", Bv), ("three", np.array(3, np.int64)),
          ("Fv", Fv), ("lo", np.array(-1.0, np.float32)), ("hi", np.array(2.0, np.float32)),
          ("four", np.array(4.0, np.float32)), ("big", big), ("four32", np.array(4, np.int32)),
          ("M", M), ("st", np.array([-1, 1], np.int64)), ("en", np.array([-100, 3], np.int64)),
          ("ax", np.array([0, 1], np.int64)), ("sp", np.array([-1, 1], np.int64)),
          ("g", np.array([2, -3], np.int64)), ("col", np.array([[1.5], [2.5]], np.float32)),
          ("eshape", np.array([2, 8], np.int64)), ("p4", np.array(0.4, np.float32)),
          ("nine", np.array(9, np.int64))])


if __name__ == "__main__":
    main(sys.argv[1])
