#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""An ONNX model with a convolution or matmul in every form the bf16 kernels
take (kiln-cpu-int8-matmul's bf16 form), for test/Target/CPU/bf16-kernels.test:

  direct     3x3 stride 1, 8 channels, rows of 14 (the direct kernel), bias
  direct_odd 3x3 stride 1 dilation 2, 7 channels (a partial pair), 12 filters
  pointwise  1x1 (the image as columns), 5 filters
  strided    3x3 stride 2 (gathered windows, 49 pixels), 9 filters
  matmul     [N, 7, 37] x [37, 33] (K odd, a partial column panel), relu
  residual   direct + bias + residual add + relu
  chained    direct_odd -> relu -> 1x1 (the first one's epilogue stores
             the second's bf16 input)

    make_bf16_products.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)
inits, nodes = [], []


def init(name, shape, scale=0.2):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def node(op, ins, out, **kw):
    nodes.append(helper.make_node(op, ins, [out], name=out, **kw))
    return out


node("Conv", ["x", init("w_direct", (20, 8, 3, 3)), init("b_direct", (20,))], "direct", pads=[1] * 4)
node("Conv", ["x7", init("w_odd", (12, 7, 3, 3))], "direct_odd", pads=[2] * 4, dilations=[2, 2])
node("Conv", ["x", init("w_pw", (5, 8, 1, 1))], "pointwise")
node("Conv", ["x", init("w_st", (9, 8, 3, 3))], "strided", pads=[1] * 4, strides=[2, 2])
node("Relu", [node("MatMul", ["a", init("w_mm", (37, 33))], "mm")], "matmul")
c = node("Conv", ["x", init("w_res", (20, 8, 3, 3)), init("b_res", (20,))], "res_conv", pads=[1] * 4)
node("Relu", [node("Add", [c, "r"], "res_add")], "residual")
h = node("Relu", [node("Conv", ["x7", init("w_c1", (16, 7, 3, 3))], "c1", pads=[1] * 4)], "c1_relu")
node("Conv", [h, init("w_c2", (6, 16, 1, 1))], "chained")

N = "N"
inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, 8, 14, 14]),
          helper.make_tensor_value_info("x7", TensorProto.FLOAT, [N, 7, 14, 14]),
          helper.make_tensor_value_info("a", TensorProto.FLOAT, [N, 7, 37]),
          helper.make_tensor_value_info("r", TensorProto.FLOAT, [N, 20, 14, 14])]
outs = [("direct", [N, 20, 14, 14]), ("direct_odd", [N, 12, 14, 14]), ("pointwise", [N, 5, 14, 14]),
        ("strided", [N, 9, 7, 7]), ("matmul", [N, 7, 33]), ("residual", [N, 20, 14, 14]),
        ("chained", [N, 6, 14, 14])]
outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outs]
g = helper.make_graph(nodes, "bf16_products", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
