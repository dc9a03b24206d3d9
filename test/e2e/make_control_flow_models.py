#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Loop / If / Scan models with numpy reference outputs.

    make_control_flow_models.py OUT

writes OUT/<case>/model.onnx and test_data_set_0/{input_*,output_*}.pb:
  nested_<n>: a Loop whose body holds an If (on the iteration's parity) and
    a Scan, and computes its own condition (early exit once a sum reaches a
    limit); the scan output has a run-time length (n data sets: early exit,
    trip count reached, zero iterations).
  growing: a loop-carried value that doubles its length every iteration.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def save(out, name, graph, feeds, refs):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    m.ir_version = 7
    onnx.save(m, os.path.join(d, "model.onnx"))
    for prefix, arrs in (("input", feeds), ("output", refs)):
        for i, (n, a) in enumerate(arrs):
            with open(os.path.join(d, "test_data_set_0", "%s_%d.pb" % (prefix, i)), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())


def nested_graph():
    then_g = helper.make_graph([helper.make_node("Add", ["y_in", "d"], ["t"])], "th", [], [vi("t", [2])])
    else_g = helper.make_graph([helper.make_node("Sub", ["y_in", "d"], ["e"])], "el", [], [vi("e", [2])])
    sbody = helper.make_graph([helper.make_node("Mul", ["s_in", "x_t"], ["s_out"])], "sb",
                              [vi("s_in", [2]), vi("x_t", [2])], [vi("s_out", [2])])
    half = numpy_helper.from_array(np.array(0.5, np.float32))
    body = helper.make_graph([
        helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["half"], value=half),
        helper.make_node("Mul", ["fi", "half"], ["fh"]),
        helper.make_node("Floor", ["fh"], ["ff"]),
        helper.make_node("Equal", ["fh", "ff"], ["even"]),
        helper.make_node("If", ["even"], ["y1"], then_branch=then_g, else_branch=else_g),
        helper.make_node("Scan", ["y1", "xs"], ["y_out"], body=sbody, num_scan_inputs=1),
        helper.make_node("ReduceSum", ["y_out"], ["tot"], keepdims=0),
        helper.make_node("Less", ["tot", "lim"], ["c_out"]),
        helper.make_node("Identity", ["y_out"], ["sc"])],
        "body", [vi("i", [], TensorProto.INT64), vi("c_in", [], TensorProto.BOOL), vi("y_in", [2])],
        [vi("c_out", [], TensorProto.BOOL), vi("y_out", [2]), vi("sc", [2])])
    return helper.make_graph(
        [helper.make_node("Loop", ["M", "c0", "y0"], ["y", "scan"], body=body)], "nested",
        [vi("M", [], TensorProto.INT64), vi("c0", [], TensorProto.BOOL), vi("y0", [2]), vi("d", [2]),
         vi("xs", [2, 2]), vi("lim", [])],
        [vi("y", [2]), vi("scan", [None, 2])])


def nested(out):
    for name, m_, lim in (("nested_exit", 10, 3.0), ("nested_trips", 10, 1e9), ("nested_zero", 0, 1.0)):
        f = dict(M=np.array(m_, np.int64), c0=np.array(True), y0=np.array([0.5, 1.0], np.float32),
                 d=np.array([0.3, -0.2], np.float32), xs=np.array([[1.1, 0.9], [1.2, 1.3]], np.float32),
                 lim=np.array(lim, np.float32))
        y, sc, c, i = f["y0"].copy(), [], True, 0
        while i < m_ and c:
            y1 = y + f["d"] if i % 2 == 0 else y - f["d"]
            for x in f["xs"]:
                y1 = y1 * x
            y = y1.astype(np.float32)
            sc.append(y)
            c = y.sum() < lim
            i += 1
        save(out, name, nested_graph(), list(f.items()),
             [("y", y), ("scan", np.array(sc, np.float32).reshape(-1, 2))])


def growing(out):
    body = helper.make_graph(
        [helper.make_node("Identity", ["c"], ["co"]),
         helper.make_node("Concat", ["y", "y"], ["yy"], axis=0)], "lb",
        [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("y", [2])],
        [vi("co", [], TensorProto.BOOL), vi("yy", [None])])
    g = helper.make_graph([helper.make_node("Loop", ["m", "", "y0"], ["y"], body=body)], "growing",
                          [vi("m", [], TensorProto.INT64), vi("y0", [2])], [vi("y", [None])])
    y0 = np.array([1.5, 2.5], np.float32)
    save(out, "growing", g, [("m", np.array(3, np.int64)), ("y0", y0)], [("y", np.tile(y0, 8))])


def main():
    out = sys.argv[1]
    nested(out)
    growing(out)


if __name__ == "__main__":
    main()
