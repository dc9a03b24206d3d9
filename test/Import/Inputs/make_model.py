#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds small ONNX models for Kiln's importer tests.

usage: make_model.py NAME OUT.onnx
Each NAME is a function below; models are built with onnx.helper at test
time (nothing binary is checked in).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _model(nodes, inputs, outputs, inits=(), opset=17, name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def arr(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def _attention(attrs, outputs=("Y",), q=(1, 2, 4, 8), kv=(1, 2, 5, 8)):
    return _model([helper.make_node("Attention", ["q", "k", "v"], list(outputs), name="att", **attrs)],
                  [vi("q", list(q)), vi("k", list(kv)), vi("v", list(kv))],
                  [vi(o, None) for o in outputs], opset=23)


def attention_4d():
    return _attention({"is_causal": 1}, q=(1, 2, 5, 8))


def attention_3d():
    return _attention({"q_num_heads": 4, "kv_num_heads": 2}, outputs=("Y", "present_key"),
                      q=("B", 3, 32), kv=("B", 5, 16))


def attention_3d_no_heads():
    return _attention({}, q=(1, 3, 32), kv=(1, 5, 16))


def attention_softcap():
    return _attention({"softcap": 30.0})


def attention_qk_output():
    return _attention({}, outputs=("Y", "pk", "pv", "qk"))


def _ms(op, inputs, attrs, shapes):
    g = helper.make_graph([helper.make_node(op, inputs, ["y"], name="ms", domain="com.microsoft", **attrs)], "g",
                          [vi(n, list(s)) for n, s in zip([i for i in inputs if i], shapes)], [vi("y", None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def ms_mha():
    return _ms("MultiHeadAttention", ["q", "k", "v"], {"num_heads": 2}, [("B", 5, 16), ("B", 7, 16), ("B", 7, 16)])


def ms_mha_packed():
    return _ms("MultiHeadAttention", ["q"], {"num_heads": 2}, [(1, 5, 48)])


def ms_mha_unidirectional_past():
    return _ms("MultiHeadAttention", ["q", "k", "v", "", "", "", "pk", "pv"], {"num_heads": 2, "unidirectional": 1},
               [(1, 3, 16), (1, 3, 16), (1, 3, 16), (1, 2, 4, 8), (1, 2, 4, 8)])


def ms_mha_unidirectional_past_dynamic():
    return _ms("MultiHeadAttention", ["q", "k", "v", "", "", "", "pk", "pv"], {"num_heads": 2, "unidirectional": 1},
               [(1, "S", 16), (1, "S", 16), (1, "S", 16), (1, 2, "P", 8), (1, 2, "P", 8)])


def _ms_attention(attrs, inputs=("x", "w", "b"), shapes=(("B", "S", 16), (16, 48), (48,)), outputs=("y",)):
    g = helper.make_graph(
        [helper.make_node("Attention", list(inputs), list(outputs), name="ms", domain="com.microsoft", **attrs)],
        "g", [vi(n, list(s), TensorProto.INT32 if n == "m" else TensorProto.FLOAT)
              for n, s in zip([i for i in inputs if i], shapes)], [vi(o, None) for o in outputs])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def ms_attention():
    return _ms_attention({"num_heads": 2})


def ms_attention_mask_past():
    # An int32 [B, T] mask, a cache of 4 positions, causal, present.
    return _ms_attention({"num_heads": 2, "unidirectional": 1}, ["x", "w", "b", "m", "past"],
                         [(1, 3, 16), (16, 48), (48,), (1, 7), (2, 1, 2, 4, 8)], ("y", "present"))


def ms_attention_end_positions():
    return _ms_attention({"num_heads": 2}, ["x", "w", "", "m"], [(2, 5, 16), (16, 48), (4,)])


def ms_attention_rotary():
    return _ms_attention({"num_heads": 2, "do_rotary": 1})


def ms_attention_uneven():
    return _ms_attention({"num_heads": 2, "qkv_hidden_sizes": [16, 8, 24]})


def ms_attention_mask4d():
    return _ms_attention({"num_heads": 2}, ["x", "w", "", "m"], [(1, 5, 16), (16, 48), (1, 1, 5, 5)])


def ms_unknown():
    return _ms("FusedGemm", ["q"], {}, [(1, 5, 16)])


def cnn():
    rng = np.random.default_rng(0)
    return _model(
        [helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"], name="relu1"),
         helper.make_node("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["p"], ["f"], name="flat"),
         helper.make_node("Gemm", ["f", "F", "FB"], ["y"], name="fc", transB=1)],
        [vi("x", ["N", 3, 8, 8])], [vi("y", ["N", 10])],
        [arr("W", rng.standard_normal((4, 3, 3, 3), dtype=np.float32)),
         arr("B", rng.standard_normal(4, dtype=np.float32)),
         arr("F", rng.standard_normal((10, 64), dtype=np.float32)),
         arr("FB", rng.standard_normal(10, dtype=np.float32))])


def reduce_opset13():
    # Opset 13 ReduceMean carries axes as an attribute; the importer adapts
    # it to the opset-18 form (axes input).
    return _model([helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[1], keepdims=0)],
                  [vi("x", [2, 3, 4])], [vi("y", [2, 4])], opset=13)


def reduce_opset18():
    return _model([helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=1)],
                  [vi("x", [2, 3, 4])], [vi("y", [2, 1, 4])],
                  [arr("axes", np.array([1], dtype=np.int64))], opset=18)


def softmax_opset11():
    # Before opset 13 Softmax coerces the input to 2-D at `axis` (default 1).
    return _model([helper.make_node("Softmax", ["x"], ["y"], name="sm")],
                  [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset=11)


def unsupported_op():
    return _model([helper.make_node("NotARealOp", ["x"], ["y"], name="weird_node")],
                  [vi("x", [2])], [vi("y", [2])])


def custom_domain():
    m = _model([helper.make_node("Foo", ["x"], ["y"], name="foo_node", domain="com.example")],
               [vi("x", [2])], [vi("y", [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    return m


def only_custom_domain():
    # Like ONNX's training-operator tests: no opset of the default domain.
    g = helper.make_graph([helper.make_node("Adam", ["x"], ["y"], name="adam_node",
                                            domain="ai.onnx.preview.training")],
                          "g", [vi("x", [2])], [vi("y", [2])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("ai.onnx.preview.training", 1)])


def nested_custom_domain():
    then_g = helper.make_graph([helper.make_node("Foo", ["x"], ["t"], name="inner_foo",
                                                 domain="com.example")],
                               "then", [], [vi("t", [2])])
    else_g = helper.make_graph([helper.make_node("Relu", ["x"], ["e"], name="inner_relu")],
                               "else", [], [vi("e", [2])])
    m = _model([helper.make_node("If", ["c"], ["y"], name="if_node", then_branch=then_g,
                                 else_branch=else_g)],
               [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    return m


def opset99():
    return _model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [2])], [vi("y", [2])],
                  opset=99)


def opset0():
    return _model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [2])], [vi("y", [2])],
                  opset=0)


def gelu_opset17():
    return _model([helper.make_node("Gelu", ["x"], ["y"], name="g")], [vi("x", [2])], [vi("y", [2])],
                  opset=17)


def missing_input():
    return _model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add1")],
                  [vi("x", [2])], [vi("y", [2])])


def cycle():
    return _model([helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                   helper.make_node("Relu", ["a"], ["b"], name="n2")],
                  [vi("x", [2])], [vi("a", [2])])


def duplicate_output():
    return _model([helper.make_node("Relu", ["x"], ["y"], name="n1"),
                   helper.make_node("Relu", ["x"], ["y"], name="n2")],
                  [vi("x", [2])], [vi("y", [2])])


def bad_tensor_size():
    t = TensorProto()
    t.name, t.data_type = "W", TensorProto.FLOAT
    t.dims.extend([4, 4])
    t.raw_data = np.zeros(3, np.float32).tobytes()
    return _model([helper.make_node("Add", ["x", "W"], ["y"], name="add1")],
                  [vi("x", [4, 4])], [vi("y", [4, 4])], [t])


def conv_channel_mismatch():
    return _model([helper.make_node("Conv", ["x", "W"], ["y"], name="bad_conv")],
                  [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 6, 6])],
                  [arr("W", np.zeros((4, 2, 3, 3), np.float32))])


def attr_type_mismatch():
    return _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm1", transB="yes")],
                  [vi("x", [2, 3])], [vi("y", [2, 4])], [arr("w", np.zeros((4, 3), np.float32))])


def external_escape():
    t = TensorProto()
    t.name, t.data_type = "W", TensorProto.FLOAT
    t.dims.extend([2])
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "../../etc/passwd"
    return _model([helper.make_node("Add", ["x", "W"], ["y"], name="add1")],
                  [vi("x", [2])], [vi("y", [2])], [t])


def shape_reshape():
    # Dynamic batch reshape through Shape/Gather/Unsqueeze/Concat (torch style).
    return _model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
         helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
         helper.make_node("Concat", ["n1", "rest"], ["shp"], name="concat", axis=0),
         helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")],
        [vi("x", ["N", 4, 6])], [vi("y", ["N", 2, 12])],
        [arr("zero", np.array(0, np.int64)), arr("ax0", np.array([0], np.int64)),
         arr("rest", np.array([2, -1], np.int64))])


# Operator facts stated in ODS (ONNX_Since, ONNX_AlsoImports,
# ONNX_LegacyBroadcast, optional inputs, input_dtypes): operator-facts.test.
def scatter_opset10():
    return _model([helper.make_node("Scatter", ["x", "i", "u"], ["y"], name="sc", axis=0)],
                  [vi("x", [3, 3])], [vi("y", [3, 3])],
                  [arr("i", np.array([[1, 0, 2]], np.int64)),
                   arr("u", np.ones((1, 3), np.float32))], opset=10)


def scatter_opset8():
    m = scatter_opset10()
    m.opset_import[0].version = 8
    return m


def add_legacy_broadcast():
    # Opset 6: B [3, 4] aligned with A [2, 3, 4, 5] at axis 1.
    return _model([helper.make_node("Add", ["a", "b"], ["y"], name="add", broadcast=1, axis=1)],
                  [vi("a", [2, 3, 4, 5]), vi("b", [3, 4])], [vi("y", [2, 3, 4, 5])], opset=6)


def add_legacy_no_broadcast():
    return _model([helper.make_node("Add", ["a", "b"], ["y"], name="add")],
                  [vi("a", [2, 3]), vi("b", [3])], [vi("y", [2, 3])], opset=6)


def clip_omitted_inputs():
    return _model([helper.make_node("Clip", ["x"], ["y"], name="clip")],
                  [vi("x", [2, 3])], [vi("y", [2, 3])], opset=13)


def clip_too_many_inputs():
    # Opset 18 is newer than libonnx's schemas, so the dialect's operand
    # count is what refuses the fourth input.
    return _model([helper.make_node("Clip", ["x", "lo", "hi", "x"], ["y"], name="clip")],
                  [vi("x", [2, 3])], [vi("y", [2, 3])],
                  [arr("lo", np.array(0, np.float32)), arr("hi", np.array(1, np.float32))],
                  opset=18)


def dequantize_uint8():
    return _model([helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], name="dq")],
                  [vi("x", [4], TensorProto.UINT8)], [vi("y", [4])],
                  [arr("s", np.array(0.5, np.float32)), arr("z", np.array(128, np.uint8))],
                  opset=13)


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    if name == "malformed":
        data = cnn().SerializeToString()
        with open(out, "wb") as f:
            f.write(data[: len(data) // 2] + b"\xff\xff\xff")
        sys.exit(0)
    m = globals()[name]()
    with open(out, "wb") as f:
        f.write(m.SerializeToString())
