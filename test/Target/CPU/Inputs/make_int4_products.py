#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""An ONNX model with a matmul in every form the int4 kernel takes
(kiln-cpu-int4-matmul), for test/Target/CPU/int4-kernels.test:

  row       [N, 1, 256] x [256, 96]: one row (a decoding step), a partial
            last panel (96 = 64 + 32 columns)
  rows      [N, 7, 128] x [128, 200] + bias, relu: a block of 4 rows then
            3 single rows, 200 = 3 x 64 + 8 columns
  residual  Gemm [N, 64] x [64, 40] + bias, then + r: 40 columns (one
            partial panel), the residual add fused
  shifted   [N, 3, 64] x [64, 64] with weights offset by +0.3 (every
            group's zero point away from the middle) on inputs of mean 2
            (a large sum of x per group)

    make_int4_products.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(11)
inits, nodes = [], []


def init(name, shape, scale=0.2, offset=0.0):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale + offset).astype(np.float32), name))
    return name


def node(op, ins, out, **kw):
    nodes.append(helper.make_node(op, ins, [out], name=out, **kw))
    return out


node("MatMul", ["a", init("w_row", (256, 96))], "row")
node("Relu", [node("Add", [node("MatMul", ["b", init("w_rows", (128, 200))], "rows_mm"),
                            init("b_rows", (200,))], "rows_bias")], "rows")
node("Add", [node("Gemm", ["c", init("w_res", (40, 64)), init("b_res", (40,))], "res_gemm", transB=1), "r"],
     "residual")
node("MatMul", [node("Add", ["d", init("two", (1,), 0.0, 2.0)], "d2"), init("w_sh", (64, 64), 0.1, 0.3)],
     "shifted")

N = "N"
inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [N, 1, 256]),
          helper.make_tensor_value_info("b", TensorProto.FLOAT, [N, 7, 128]),
          helper.make_tensor_value_info("c", TensorProto.FLOAT, [N, 64]),
          helper.make_tensor_value_info("r", TensorProto.FLOAT, [N, 40]),
          helper.make_tensor_value_info("d", TensorProto.FLOAT, [N, 3, 64])]
outs = [("row", [N, 1, 96]), ("rows", [N, 7, 200]), ("residual", [N, 40]), ("shifted", [N, 3, 64])]
outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outs]
g = helper.make_graph(nodes, "int4_products", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
