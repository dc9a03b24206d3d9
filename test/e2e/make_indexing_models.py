#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Indexing-op models with numpy reference outputs (ONNX backend-test layout).

    make_indexing_models.py OUT

Cases go beyond ONNX's own backend tests: max/min scatter reductions with
duplicate indices (opset 18), GatherND with batch_dims and k > 1, Compress
with a constant condition, dynamic batch dims for GatherElements, Tile and
DepthToSpace, OneHot with a constant integer depth along axis 0.
"""
import os
import sys

import numpy as np
import onnx
import onnx.mapping
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def scatter_elements_ref(data, idx, upd, axis, red):
    out = data.copy()
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[axis] = idx[p] % data.shape[axis]
        q = tuple(q)
        out[q] = upd[p] if red == "none" else getattr(np, {"max": "maximum", "min": "minimum",
                                                             "add": "add", "mul": "multiply"}[red])(out[q], upd[p])
    return out


def scatter_nd_ref(data, idx, upd, red):
    out = data.copy()
    for p in np.ndindex(*idx.shape[:-1]):
        q = tuple(int(i) for i in idx[p])
        out[q] = upd[p] if red == "none" else getattr(np, {"max": "maximum", "min": "minimum"}[red])(out[q], upd[p])
    return out


def gather_nd_ref(data, idx, b):
    out = np.empty(idx.shape[:-1] + data.shape[b + idx.shape[-1]:], data.dtype)
    for p in np.ndindex(*idx.shape[:-1]):
        out[p] = data[tuple(p[:b]) + tuple(int(i) for i in idx[p])]
    return out


def cases():
    rng = np.random.RandomState(7)
    d = rng.randn(3, 5).astype(np.float32)
    i = np.array([[0, -1, 0], [4, 4, -5], [1, 2, 1]], np.int64)
    u = rng.randn(3, 3).astype(np.float32)
    yield ("scatter_elements_max", 18, [helper.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=1, reduction="max")],
           [("d", d, None), ("i", i, None), ("u", u, None)], [], scatter_elements_ref(d, i, u, 1, "max"))
    yield ("scatter_elements_min", 18, [helper.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=1, reduction="min")],
           [("d", d, None), ("i", i, None), ("u", u, None)], [], scatter_elements_ref(d, i, u, 1, "min"))

    d = rng.randn(4, 3, 2).astype(np.float32)
    i = np.array([[[1, 0]], [[3, 2]], [[1, 0]]], np.int64)
    u = rng.randn(3, 1, 2).astype(np.float32)
    yield ("scatter_nd_min", 18, [helper.make_node("ScatterND", ["d", "i", "u"], ["y"], reduction="min")],
           [("d", d, None), ("i", i, None), ("u", u, None)], [], scatter_nd_ref(d, i, u, "min"))
    yield ("scatter_nd_max", 18, [helper.make_node("ScatterND", ["d", "i", "u"], ["y"], reduction="max")],
           [("d", d, None), ("i", i, None), ("u", u, None)], [], scatter_nd_ref(d, i, u, "max"))

    d = rng.randn(2, 3, 4, 5).astype(np.float32)
    i = np.array([[[0, 1], [2, -1]], [[1, 3], [-3, 0]]], np.int64)
    wrapped = np.where(i < 0, i + np.array([3, 4]), i)
    yield ("gather_nd_batch", 13, [helper.make_node("GatherND", ["d", "i"], ["y"], batch_dims=1)],
           [("d", d, None), ("i", i, None)], [], gather_nd_ref(d, wrapped, 1))

    x = rng.randn(2, 5, 3).astype(np.float32)
    c = np.array([True, False, True, True, False, True])
    yield ("compress_const", 11, [helper.make_node("Compress", ["x", "c"], ["y"], axis=1)],
           [("x", x, None)], [numpy_helper.from_array(c, "c")], np.compress(c[:5], x, axis=1))

    d = rng.randn(3, 4).astype(np.float32)
    i = np.array([[3, -1], [0, 2], [-4, 1]], np.int64)
    yield ("gather_elements_dyn", 13, [helper.make_node("GatherElements", ["d", "i"], ["y"], axis=1)],
           [("d", d, ["n", 4]), ("i", i, ["n", 2])], [], np.take_along_axis(d, i % 4, axis=1))

    x = rng.randn(2, 3).astype(np.float32)
    yield ("tile_dyn", 13, [helper.make_node("Tile", ["x", "r"], ["y"])],
           [("x", x, ["n", 3])], [numpy_helper.from_array(np.array([2, 3], np.int64), "r")], np.tile(x, (2, 3)))

    x = rng.randn(2, 8, 2, 3).astype(np.float32)
    b = 2
    n, cc, h, w = x.shape
    ref = x.reshape(n, b, b, cc // 4, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, cc // 4, h * b, w * b)
    yield ("depth_to_space_dyn", 13, [helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)],
           [("x", x, ["n", 8, 2, 3])], [], ref)

    i = np.array([[1, -1], [0, 3]], np.int64)
    v = np.array([-2, 5], np.int32)
    ref = np.where(np.arange(4).reshape(4, 1, 1) == (i % 4)[None], v[1], v[0]).astype(np.int32)
    yield ("one_hot_axis0", 11, [helper.make_node("OneHot", ["i", "depth", "v"], ["y"], axis=0)],
           [("i", i, None), ("v", v, None)], [numpy_helper.from_array(np.array(4, np.int64), "depth")], ref)


def main():
    out = sys.argv[1]
    for name, opset, nodes, ins, inits, y in cases():
        d = os.path.join(out, name)
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        vis = [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype],
                                             list(a.shape) if s is None else s) for n, a, s in ins]
        g = helper.make_graph(nodes, name, vis, [helper.make_tensor_value_info("y", onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[y.dtype], None)],
                              initializer=inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), os.path.join(d, "model.onnx"))
        for k, (n, a, _) in enumerate(ins):
            with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
        with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, "y").SerializeToString())


if __name__ == "__main__":
    main()
