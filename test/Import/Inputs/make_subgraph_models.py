#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds small ONNX models with subgraphs (If / Loop / Scan) for Kiln's
importer tests.

usage: make_subgraph_models.py NAME OUT.onnx
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from make_model import _model, vi


def if_outer_scope():
    # Both branches use the outer value `x` (not a node input of If); the
    # If node comes before the producer of `x` in the file.
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t"], name="then_relu")], "then_body", [], [vi("t", [2, 3])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"], name="else_neg")], "else_body", [], [vi("e", [2, 3])])
    return _model(
        [helper.make_node("If", ["c"], ["y"], name="if1", then_branch=then_g, else_branch=else_g),
         helper.make_node("Abs", ["a"], ["x"], name="abs1")],
        [vi("c", [], TensorProto.BOOL), vi("a", [2, 3])], [vi("y", [2, 3])])


def if_shapes_differ():
    then_g = helper.make_graph(
        [helper.make_node("Constant", [], ["t"], value=numpy_helper.from_array(np.zeros(2, np.float32)))],
        "then_body", [], [vi("t", [2])])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["e"], value=numpy_helper.from_array(np.zeros(5, np.float32)))],
        "else_body", [], [vi("e", [5])])
    return _model([helper.make_node("If", ["c"], ["y"], name="if1", then_branch=then_g, else_branch=else_g)],
                  [vi("c", [], TensorProto.BOOL)], [vi("y", None)])


def loop_scan_output():
    # Loop-carried y, a scan output, an untyped body input (typed from the
    # Loop's input) and an outer-scope value `d` inside the body.
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond_id"),
         helper.make_node("Add", ["y_in", "d"], ["y_out"], name="acc"),
         helper.make_node("Identity", ["y_out"], ["s"], name="scan_id")],
        "loop_body",
        [vi("i", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL),
         helper.make_value_info("y_in", helper.TypeProto())],
        [vi("cond_out", [], TensorProto.BOOL), vi("y_out", [2]), vi("s", [2])])
    return _model(
        [helper.make_node("Loop", ["M", "", "y0"], ["y", "scan"], name="loop1", body=body)],
        [vi("M", [], TensorProto.INT64), vi("y0", [2]), vi("d", [2])],
        [vi("y", [2]), vi("scan", [None, 2])], opset=11)


def scan9():
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"], name="add"),
         helper.make_node("Identity", ["s_out"], ["o"], name="id")],
        "scan_body", [vi("s_in", [2]), vi("x_t", [2])], [vi("s_out", [2]), vi("o", [2])])
    return _model([helper.make_node("Scan", ["s0", "x"], ["s", "out"], name="scan1", body=body,
                                    num_scan_inputs=1, scan_input_directions=[1])],
                  [vi("s0", [2]), vi("x", [3, 2])], [vi("s", [2]), vi("out", [3, 2])], opset=9)


def nested_if(depth=70):
    # If inside If inside ... deeper than Kiln's limit of 64 levels.
    def branch(level, name):
        if level == 0:
            return helper.make_graph([helper.make_node("Identity", ["a"], [name + "_o"])], name, [],
                                     [vi(name + "_o", [1])])
        inner_t = branch(level - 1, name + "t")
        inner_e = branch(level - 1, name + "e")
        return helper.make_graph(
            [helper.make_node("If", ["c"], [name + "_o"], then_branch=inner_t, else_branch=inner_e)],
            name, [], [vi(name + "_o", [1])])
    # Only one deep chain: the else branches stay shallow.
    def chain(level):
        if level == 0:
            return helper.make_graph([helper.make_node("Identity", ["a"], ["o%d" % level])], "b%d" % level,
                                     [], [vi("o%d" % level, [1])])
        shallow = helper.make_graph([helper.make_node("Identity", ["a"], ["e%d" % level])], "e%d" % level,
                                    [], [vi("e%d" % level, [1])])
        return helper.make_graph(
            [helper.make_node("If", ["c"], ["o%d" % level], name="if%d" % level,
                              then_branch=chain(level - 1), else_branch=shallow)],
            "b%d" % level, [], [vi("o%d" % level, [1])])
    top = chain(depth)
    return _model(list(top.node), [vi("c", [], TensorProto.BOOL), vi("a", [1])],
                  [vi("o%d" % depth, [1])])


def loop_body_missing_value():
    body = helper.make_graph(
        [helper.make_node("Add", ["y_in", "nowhere"], ["y_out"], name="bad_add")],
        "loop_body",
        [vi("i", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL), vi("y_in", [2])],
        [vi("cond_in", [], TensorProto.BOOL), vi("y_out", [2])])
    return _model([helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop1", body=body)],
                  [vi("M", [], TensorProto.INT64), vi("y0", [2])], [vi("y", [2])], opset=11)


def _scan8_sum_body():
    return helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"], name="add")],
        "scan_body", [vi("s_in", [2]), vi("x_t", [2])], [vi("s_out", [2])])


def scan8_batch2():
    body = _scan8_sum_body()
    return _model([helper.make_node("Scan", ["", "s0", "x"], ["s"], name="scan8", body=body,
                                    num_scan_inputs=1)],
                  [vi("s0", [2, 2]), vi("x", [2, 3, 2])], [vi("s", [2, 2])], opset=8)


def scan8_seq_lens():
    body = _scan8_sum_body()
    return _model([helper.make_node("Scan", ["lens", "s0", "x"], ["s"], name="scan8", body=body,
                                    num_scan_inputs=1)],
                  [vi("lens", [2], TensorProto.INT32), vi("s0", [2, 2]), vi("x", [2, 3, 2])],
                  [vi("s", [2, 2])], opset=8)


def subgraph_cycle():
    # Two nodes of the then-branch feed each other.
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["b"], ["a"], name="n1"),
         helper.make_node("Relu", ["a"], ["b"], name="n2")], "then_body", [], [vi("a", [2])])
    else_g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["e"], name="r")], "else_body", [], [vi("e", [2])])
    return _model([helper.make_node("If", ["c"], ["y"], name="if0", then_branch=then_g,
                                    else_branch=else_g)],
                  [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", [2])])


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    m = globals()[name]()
    with open(out, "wb") as f:
        f.write(m.SerializeToString())
