#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds the two small static-shape models of two-models.test.

usage: make_two_models.py OUT_DIR
  scale.onnx: y = x * 2 + 1, x float [2, 3]
  pick.onnx:  "input.1" float [1, 4] -> "relu/out" = Relu(input.1) float [1, 4],
              "arg" = ArgMax(input.1, axis=1) int64 [1, 1]
Tensor names that are not C identifiers exercise the typed entry's fields.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits, name):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


out = sys.argv[1]
scale = model(
    [helper.make_node("Mul", ["x", "two"], ["t"], name="mul"),
     helper.make_node("Add", ["t", "one"], ["y"], name="add")],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
    [numpy_helper.from_array(np.array(2.0, np.float32), "two"),
     numpy_helper.from_array(np.array(1.0, np.float32), "one")], "scale_graph")
pick = model(
    [helper.make_node("Relu", ["input.1"], ["relu/out"], name="relu"),
     helper.make_node("ArgMax", ["input.1"], ["arg"], name="argmax", axis=1, keepdims=1)],
    [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 4])],
    [helper.make_tensor_value_info("relu/out", TensorProto.FLOAT, [1, 4]),
     helper.make_tensor_value_info("arg", TensorProto.INT64, [1, 1])], [], "pick_graph")
onnx.save(scale, os.path.join(out, "scale.onnx"))
onnx.save(pick, os.path.join(out, "pick.onnx"))
