#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Elementwise models with numpy reference outputs (ONNX backend-test layout).

    make_elementwise_models.py OUT

Cases go beyond ONNX's own backend tests: unsigned integers above the
signed range (Div, Mod, Less, Max, Cast), floored integer Mod with negative
divisors, integer Pow with wrap-around and negative bases, Sign of integers,
Round on halves, IsInf/IsNaN on special values, Size of a dynamic input,
Mish and the Bitwise operators (opset 18), unsigned constants, float16 Asin (computed in f32).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP2ONNX = {np.dtype(k): v for k, v in {
    np.float16: TensorProto.FLOAT16, np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.int8: TensorProto.INT8,
    np.int32: TensorProto.INT32, np.int64: TensorProto.INT64, np.uint8: TensorProto.UINT8,
    np.uint16: TensorProto.UINT16, np.uint32: TensorProto.UINT32, np.uint64: TensorProto.UINT64,
    np.bool_: TensorProto.BOOL}.items()}


def case(out, name, op, inputs, outputs, opset=13, shapes=None, **attrs):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    ins = [helper.make_tensor_value_info(f"x{i}", NP2ONNX[x.dtype],
                                         shapes[i] if shapes else list(x.shape))
           for i, x in enumerate(inputs)]
    outs = [helper.make_tensor_value_info(f"y{i}", NP2ONNX[y.dtype], None) for i, y in enumerate(outputs)]
    node = helper.make_node(op, [f"x{i}" for i in range(len(inputs))], [f"y{i}" for i in range(len(outputs))], **attrs)
    g = helper.make_graph([node], name, ins, outs)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), os.path.join(d, "model.onnx"))
    for kind, arrs in (("input", inputs), ("output", outputs)):
        for i, a in enumerate(arrs):
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, f"{kind[0]}{i}").SerializeToString())


def const_operands(out, name):
    """uint8 operands from an initializer and a Constant node: Div(c, x) and
    Less(k, x) must be unsigned although no graph input is the first operand."""
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    c = np.array([200, 255, 130, 7], np.uint8)
    k = np.array([250, 1, 129, 128], np.uint8)
    x = np.array([3, 16, 129, 200], np.uint8)
    nodes = [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(k, "k")),
             helper.make_node("Div", ["c", "x0"], ["y0"]),
             helper.make_node("Less", ["k", "x0"], ["y1"])]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x0", TensorProto.UINT8, [4])],
                          [helper.make_tensor_value_info("y0", TensorProto.UINT8, None),
                           helper.make_tensor_value_info("y1", TensorProto.BOOL, None)],
                          initializer=[numpy_helper.from_array(c, "c")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(d, "model.onnx"))
    for fn, a in (("input_0", x), ("output_0", c // x), ("output_1", k < x)):
        with open(os.path.join(d, "test_data_set_0", fn + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, fn).SerializeToString())


def main():
    out = sys.argv[1]
    rng = np.random.RandomState(7)
    u8a = np.array([200, 255, 130, 7, 128, 250], np.uint8)
    u8b = np.array([3, 16, 129, 200, 255, 1], np.uint8)
    case(out, "div_uint8", "Div", [u8a, u8b], [u8a // u8b])
    case(out, "mod_uint8", "Mod", [u8a, u8b], [u8a % u8b])
    case(out, "less_uint8", "Less", [u8a, u8b], [u8a < u8b])
    u64a = np.array([2**63 + 5, 3, 2**64 - 1], np.uint64)
    u64b = np.array([4, 2**63, 1], np.uint64)
    case(out, "max_uint64", "Max", [u64a, u64b], [np.maximum(u64a, u64b)])
    case(out, "cast_uint8_float", "Cast", [u8a], [u8a.astype(np.float32)], to=TensorProto.FLOAT)
    ia = np.array([7, -7, 7, -7, 0, 9, -128], np.int8)
    ib = np.array([3, 3, -3, -3, 5, -4, 3], np.int8)
    case(out, "mod_floored_int8", "Mod", [ia, ib], [np.mod(ia, ib)])
    case(out, "fmod_int8", "Mod", [ia, ib], [np.fmod(ia, ib)], fmod=1)
    pa = np.array([3, -3, 2, 7, -1, 1, 5], np.int64)
    pb = np.array([5, 3, 62, 30, 7, 9, 0], np.int64)
    case(out, "pow_int64", "Pow", [pa, pb], [np.power(pa, pb)])
    s = np.array([-5, 0, 3, -2147483648, 2147483647], np.int32)
    case(out, "sign_int32", "Sign", [s], [np.sign(s)])
    r = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.0], np.float32)
    case(out, "round_halves", "Round", [r], [np.round(r)])
    sp = np.array([np.inf, -np.inf, np.nan, 0.0, 1e38, -3.0], np.float32)
    case(out, "isinf_neg", "IsInf", [sp], [np.isneginf(sp)], detect_positive=0)
    case(out, "isnan", "IsNaN", [sp], [np.isnan(sp)])
    x = rng.randn(3, 4).astype(np.float32)
    case(out, "size_dynamic", "Size", [x], [np.array(x.size, np.int64)], shapes=[["n", 4]])
    m = (rng.randn(2, 5) * 4).astype(np.float32)
    case(out, "mish", "Mish", [m], [(m * np.tanh(np.log1p(np.exp(m.astype(np.float64))))).astype(np.float32)], opset=18)
    ba = rng.randint(-1000, 1000, (3, 4)).astype(np.int32)
    bb = rng.randint(-1000, 1000, (4,)).astype(np.int32)
    case(out, "bitwise_and", "BitwiseAnd", [ba, bb], [np.bitwise_and(ba, bb)], opset=18)
    case(out, "bitwise_or", "BitwiseOr", [ba, bb], [np.bitwise_or(ba, bb)], opset=18)
    case(out, "bitwise_xor", "BitwiseXor", [ba, bb], [np.bitwise_xor(ba, bb)], opset=18)
    case(out, "bitwise_not", "BitwiseNot", [ba], [np.invert(ba)], opset=18)
    const_operands(out, "uint8_constants")
    h = rng.uniform(-0.95, 0.95, (4, 16)).astype(np.float16)
    case(out, "asin_f16", "Asin", [h], [np.arcsin(h.astype(np.float64)).astype(np.float16)])


if __name__ == "__main__":
    main()
