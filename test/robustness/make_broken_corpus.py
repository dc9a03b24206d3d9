#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes the corpus of hand-made broken models (test/robustness/broken).

usage: make_broken_corpus.py OUT_DIR          write every model
       make_broken_corpus.py --check DIR      fail if DIR differs from what
                                              this script writes

Every case is a function below that returns the bytes of NAME.onnx (and
writes any external-data files or links next to it); its docstring is the
exact error kiln-compile must print for it (after "<file>: "), and goes to
DIR/expected-errors.txt, which check_broken_corpus.py reads.  The corpus is
checked in so that the fuzzer (scripts/fuzz.sh) can use it as seeds and a
clean checkout can run it without onnx's Python package.
"""
import filecmp
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=17, name="g", ir=8):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="kiln-broken-corpus")
    m.ir_version = ir
    return m


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def f32(name, shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return numpy_helper.from_array(a, name)


def ser(m):
    return m.SerializeToString()


def matmul_model():
    """A valid model: y = x @ W (W is [4, 4])."""
    return model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                 [vi("x", [2, 4])], [vi("y", [2, 4])], [f32("W", [4, 4])])


def external_model(location, extra=()):
    """y = x @ W with W's data in an external file."""
    m = matmul_model()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), *extra]:
        e = w.external_data.add()
        e.key, e.value = k, v
    return m


# --- protobuf level -------------------------------------------------------

def truncated(d):
    """malformed ONNX file: protobuf parse error at or before byte offset 55 of 55"""
    return ser(matmul_model())[:55]


def corrupt_wire_type(d):
    """malformed ONNX file: protobuf parse error at or before byte offset 176 of 176"""
    b = bytearray(ser(matmul_model()))
    b[0] = 0x0F  # field 1 with wire type 7, which does not exist
    return bytes(b)


def corrupt_length(d):
    """malformed ONNX file: protobuf parse error at or before byte offset 176 of 176"""
    b = bytearray(ser(matmul_model()))
    i = b.index(b"\x3a")  # ModelProto.graph (field 7, length-delimited)
    b[i + 1] = 0x7F       # a length far beyond the end of the file
    return bytes(b)


def empty(d):
    """the file is not an ONNX model (no graph)"""
    return b""


def text_file(d):
    """malformed ONNX file: protobuf parse error at or before byte offset 1 of 31"""
    return b"this is not an onnx model at all"[:31]


def no_graph(d):
    """the file is not an ONNX model (no graph)"""
    m = onnx.ModelProto()
    m.ir_version = 8
    m.opset_import.add().version = 17
    return ser(m)


def very_deep_nesting(d):
    """malformed ONNX file: protobuf parse error at or before byte offset 28896 of 28896"""
    # 200 nested If bodies: deeper than protobuf's recursion limit allows
    # (6 x --max-subgraph-depth + 32 messages); must not overflow the stack.
    return ser(nested_if_model(200))


# --- tensors ----------------------------------------------------------------

def raw_data_short(d):
    """tensor 'W' of shape [4, 4] and type 'f32' needs 64 bytes of data but has 12"""
    m = matmul_model()
    m.graph.initializer[0].raw_data = b"\0" * 12
    return ser(m)


def float_data_count(d):
    """tensor 'W' of shape [4, 4] and type 'f32' needs 64 bytes of data but has 60"""
    m = matmul_model()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.float_data.extend([1.0] * 15)
    return ser(m)


def negative_dim_initializer(d):
    """tensor 'W' has negative dimension -4"""
    m = matmul_model()
    m.graph.initializer[0].dims[0] = -4
    return ser(m)


def overflowing_dims_initializer(d):
    """tensor 'W' of shape [4611686018427387904, 4] and type 'f32' needs more than 2^64 bytes, more than the tensor size limit of 17179869184 bytes (kiln-compile --max-tensor-size)"""
    m = matmul_model()
    m.graph.initializer[0].dims[0] = 1 << 62
    return ser(m)


def unsupported_tensor_type(d):
    """tensor 'W' has unsupported data type 8"""
    m = matmul_model()
    w = m.graph.initializer[0]
    w.data_type = TensorProto.STRING
    return ser(m)


def init_shape_mismatch(d):
    """initializer 'W' holds 'tensor<4x4xf32>' but the graph input of that name declares 'tensor<3x4xf32>'"""
    m = matmul_model()
    m.graph.input.append(vi("W", [3, 4]))
    return ser(m)


def init_dtype_mismatch(d):
    """initializer 'W' holds 'tensor<4x4xf32>' but the graph input of that name declares 'tensor<4x4xi64>'"""
    m = matmul_model()
    m.graph.input.append(vi("W", [4, 4], TensorProto.INT64))
    return ser(m)


# --- graph structure --------------------------------------------------------

def cycle(d):
    """the graph has a cycle: node 'n1' (Relu) depends on its own outputs"""
    return ser(model([helper.make_node("Relu", ["b"], ["a"], name="n1"),
                      helper.make_node("Add", ["a", "x"], ["b"], name="n2"),
                      helper.make_node("Identity", ["b"], ["y"], name="n3")],
                     [vi("x", [2])], [vi("y", [2])]))


def missing_input(d):
    """node 'add1' (Add): input 'nowhere' is not produced by any node, graph input or initializer"""
    return ser(model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add1")],
                     [vi("x", [2])], [vi("y", [2])]))


def duplicate_output(d):
    """node 'r2' (Relu): output 'y' is already defined (names must be unique)"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                      helper.make_node("Relu", ["x"], ["y"], name="r2")],
                     [vi("x", [2])], [vi("y", [2])]))


def duplicate_graph_input(d):
    """graph input 'x' is declared twice"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2]), vi("x", [2])], [vi("y", [2])]))


def duplicate_initializer(d):
    """initializer 'W' has the same name as another value"""
    m = matmul_model()
    m.graph.initializer.append(f32("W", [4, 4], seed=1))
    return ser(m)


def output_shadows_initializer(d):
    """node 'r' (Relu): output 'W' is already defined (names must be unique)"""
    m = matmul_model()
    m.graph.node.insert(0, helper.make_node("Relu", ["x"], ["W"], name="r"))
    return ser(m)


def output_not_produced(d):
    """graph output 'z' is not produced by any node"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [2]), vi("z", [2])]))


def no_outputs(d):
    """the graph has no outputs"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [2])], []))


def output_type_mismatch(d):
    """graph output 'y' is declared as 'tensor<3xf32>' but the model computes 'tensor<2xf32>'"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [3])]))


# --- operators and opsets ---------------------------------------------------

def unknown_domain(d):
    """unsupported operator Foo of domain 'com.example' at node 'foo_node' (only the default ONNX domain and com.microsoft's Attention and MultiHeadAttention are supported)"""
    m = model([helper.make_node("Foo", ["x"], ["y"], name="foo_node", domain="com.example")],
              [vi("x", [2])], [vi("y", [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    return ser(m)


def unsupported_op(d):
    """unsupported operator NotARealOp (opset 17) at node 'weird'"""
    return ser(model([helper.make_node("NotARealOp", ["x"], ["y"], name="weird")],
                     [vi("x", [2])], [vi("y", [2])]))


def op_newer_than_opset(d):
    """node 'g' (Gelu): operator Gelu does not exist in opset 17 (introduced in opset 20)"""
    return ser(model([helper.make_node("Gelu", ["x"], ["y"], name="g")],
                     [vi("x", [2])], [vi("y", [2])]))


def opset0(d):
    """opset 0 of the default ONNX domain is not supported (Kiln supports 1 to 23)"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [2])], opset=0))


def opset99(d):
    """opset 99 of the default ONNX domain is not supported (Kiln supports 1 to 23)"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [2])], opset=99))


def too_few_inputs(d):
    """node 'clip' (Clip): has 0 inputs, but Clip-6 takes 1"""
    # Found by the fuzzer: the opset-6 Clip adaptation read input 0.
    return ser(model([helper.make_node("Clip", [], ["y"], name="clip", min=-0.5, max=0.5)],
                     [vi("x", [3, 4])], [vi("y", [3, 4])], opset=6))


def too_many_inputs(d):
    """node 'r' (Relu): has 2 inputs, but Relu-14 takes 1"""
    return ser(model([helper.make_node("Relu", ["x", "x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [2])]))


def too_many_outputs(d):
    """node 'r' (Relu): has 2 outputs, but Relu-14 has 1"""
    return ser(model([helper.make_node("Relu", ["x"], ["y", "z"], name="r")],
                     [vi("x", [2])], [vi("y", [2])]))


def required_input_empty(d):
    """node 'gemm' (Gemm): input 0 ('A') of Gemm-13 is required but empty"""
    return ser(model([helper.make_node("Gemm", ["", "W"], ["y"], name="gemm")],
                     [vi("x", [2, 4])], [vi("y", [2, 4])], [f32("W", [4, 4])]))


def attr_type_mismatch(d):
    """node 'gemm' (Gemm): attribute 'transB' is of type STRING, but Gemm-13 expects INT"""
    return ser(model([helper.make_node("Gemm", ["x", "W"], ["y"], name="gemm", transB="yes")],
                     [vi("x", [2, 4])], [vi("y", [2, 4])], [f32("W", [4, 4])]))


def attr_float_for_ints(d):
    """node 't' (Transpose): attribute 'perm' is of type FLOAT, but Transpose-13 expects INTS"""
    return ser(model([helper.make_node("Transpose", ["x"], ["y"], name="t", perm=1.0)],
                     [vi("x", [2, 4])], [vi("y", [4, 2])]))


def attr_given_twice(d):
    """node 't' (Transpose): attribute 'perm' is given twice"""
    n = helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[1, 0])
    n.attribute.append(helper.make_attribute("perm", [0, 1]))
    return ser(model([n], [vi("x", [2, 4])], [vi("y", [4, 2])]))


def missing_required_attr(d):
    """node 'c' (Cast): the required attribute 'to' of Cast-13 is missing"""
    return ser(model([helper.make_node("Cast", ["x"], ["y"], name="c")],
                     [vi("x", [2])], [vi("y", [2])]))


def conv_channel_mismatch(d):
    """'onnx.Conv' op input has 3 channels but W expects 2 x group 1"""
    return ser(model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv")],
                     [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 6, 6])], [f32("W", [4, 2, 3, 3])]))


def deep_nesting(d):
    """node 'if64' (If): subgraphs are nested more than 64 levels deep (kiln-compile --max-subgraph-depth)"""
    return ser(nested_if_model(70))


def nested_if_model(depth):
    def body(level):
        out = vi(f"o{level}", [2])
        if level == depth:
            return helper.make_graph(
                [helper.make_node("Identity", ["x"], [f"o{level}"], name=f"id{level}")],
                f"b{level}", [], [out])
        return helper.make_graph(
            [helper.make_node("If", ["c"], [f"o{level}"], name=f"if{level}",
                              then_branch=body(level + 1), else_branch=leaf(level))],
            f"b{level}", [], [out])

    def leaf(level):
        return helper.make_graph(
            [helper.make_node("Identity", ["x"], [f"e{level}"], name=f"else{level}")],
            f"e{level}", [], [vi(f"e{level}", [2])])
    return model([helper.make_node("If", ["c"], ["y"], name="if0",
                                   then_branch=body(1), else_branch=leaf(0))],
                 [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", [2])],
                 opset=17)


# --- declared types ---------------------------------------------------------

def negative_dim_input(d):
    """value 'x' has negative dimension -3"""
    m = matmul_model()
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = -3
    return ser(m)


def huge_dims_input(d):
    """value 'x' of shape [1099511627776, 1099511627776] and type 'f32' needs more than 2^64 bytes, more than the tensor size limit of 17179869184 bytes (kiln-compile --max-tensor-size)"""
    m = matmul_model()
    for dim in m.graph.input[0].type.tensor_type.shape.dim:
        dim.dim_value = 1 << 40
    return ser(m)


def input_over_tensor_limit(d):
    """value 'x' of shape [2, 4294967296] and type 'f32' needs 34359738368 bytes, more than the tensor size limit of 17179869184 bytes (kiln-compile --max-tensor-size)"""
    m = matmul_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1 << 32
    return ser(m)


def output_over_tensor_limit(d):
    """value 'y' of shape [1099511627776, 1099511627776] and type 'f32' needs more than 2^64 bytes, more than the tensor size limit of 17179869184 bytes (kiln-compile --max-tensor-size)"""
    # The error was printed, but the compile went on and exited 0.
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [2])], [vi("y", [1 << 40, 1 << 40])]))


def sequence_input(d):
    """value 'x' is not a tensor (sequence, map and optional types are not supported)"""
    return ser(model([helper.make_node("Identity", ["x"], ["y"], name="i")],
                     [helper.make_tensor_sequence_value_info("x", TensorProto.FLOAT, [2])],
                     [vi("y", [2])]))


def unsupported_input_type(d):
    """value 'x' has unsupported element type 8 (ONNX TensorProto.DataType)"""
    return ser(model([helper.make_node("Identity", ["x"], ["y"], name="i")],
                     [vi("x", [2], TensorProto.STRING)], [vi("y", [2], TensorProto.STRING)]))


def input_without_shape(d):
    """value 'x' has no shape; Kiln needs at least the rank of every graph input"""
    return ser(model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                     [vi("y", [2])]))


# --- external data ----------------------------------------------------------

def _write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def ext_dotdot(d):
    """tensor 'W': external data location '../../etc/passwd' must be a relative path inside the model's folder"""
    return ser(external_model("../../etc/passwd"))


def ext_dotdot_inside(d):
    """tensor 'W': external data location 'sub/../../ext_weights.bin' must be a relative path inside the model's folder"""
    return ser(external_model("sub/../../ext_weights.bin"))


def ext_absolute(d):
    """tensor 'W': external data location '/etc/passwd' must be a relative path inside the model's folder"""
    return ser(external_model("/etc/passwd"))


def ext_symlink(d):
    """tensor 'W': external data file 'ext_symlink.bin' resolves to '/etc/passwd', outside the model's folder"""
    link = os.path.join(d, "ext_symlink.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/passwd", link)
    return ser(external_model("ext_symlink.bin"))


def ext_missing_file(d):
    """tensor 'W': external data file 'no_such_file.bin' does not exist"""
    return ser(external_model("no_such_file.bin"))


def ext_short(d):
    """tensor 'W' of shape [4, 4] and type 'f32' needs 64 bytes of data but has 40"""
    _write(d, "ext_weights.bin", bytes(range(40)))
    return ser(external_model("ext_weights.bin"))


def ext_length_beyond_file(d):
    """tensor 'W': external data 'ext_weights.bin' is shorter (40 bytes) than offset 8 + length 64"""
    return ser(external_model("ext_weights.bin", [("offset", "8"), ("length", "64")]))


def ext_offset_overflow(d):
    """tensor 'W': external data 'ext_weights.bin' is shorter (40 bytes) than offset 18446744073709551615 + length 64"""
    return ser(external_model("ext_weights.bin",
                              [("offset", "18446744073709551615"), ("length", "64")]))


def ext_bad_offset(d):
    """tensor 'W': external data offset '12abc' is not a non-negative integer"""
    return ser(external_model("ext_weights.bin", [("offset", "12abc")]))


def ext_negative_length(d):
    """tensor 'W': external data length '-64' is not a non-negative integer"""
    return ser(external_model("ext_weights.bin", [("length", "-64")]))


CASES = [
    truncated, corrupt_wire_type, corrupt_length, empty, text_file, no_graph, very_deep_nesting,
    raw_data_short, float_data_count, negative_dim_initializer, overflowing_dims_initializer,
    unsupported_tensor_type, init_shape_mismatch, init_dtype_mismatch,
    cycle, missing_input, duplicate_output, duplicate_graph_input, duplicate_initializer,
    output_shadows_initializer, output_not_produced, no_outputs, output_type_mismatch,
    unknown_domain, unsupported_op, op_newer_than_opset, opset0, opset99,
    too_few_inputs, too_many_inputs, too_many_outputs, required_input_empty,
    attr_type_mismatch, attr_float_for_ints, attr_given_twice, missing_required_attr,
    conv_channel_mismatch, deep_nesting,
    negative_dim_input, huge_dims_input, input_over_tensor_limit, output_over_tensor_limit,
    sequence_input,
    unsupported_input_type, input_without_shape,
    ext_dotdot, ext_dotdot_inside, ext_absolute, ext_symlink, ext_missing_file, ext_short,
    ext_length_beyond_file, ext_offset_overflow, ext_bad_offset, ext_negative_length,
]


def write(d):
    os.makedirs(d, exist_ok=True)
    lines = []
    for case in CASES:
        data = case(d)
        _write(d, case.__name__ + ".onnx", data)
        lines.append(f"{case.__name__}.onnx: {' '.join(case.__doc__.split())}\n")
    with open(os.path.join(d, "expected-errors.txt"), "w") as f:
        f.write("# <model>: the exact error kiln-compile prints for it (after '<file>: ').\n")
        f.write("# Written by test/robustness/make_broken_corpus.py; do not edit.\n")
        f.writelines(lines)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with tempfile.TemporaryDirectory() as tmp:
            write(tmp)
            names = sorted(os.listdir(tmp))
            have = sorted(n for n in os.listdir(sys.argv[2]))
            if names != have:
                sys.exit(f"corpus files differ: {sorted(set(names) ^ set(have))}")
            for n in names:
                a, b = os.path.join(tmp, n), os.path.join(sys.argv[2], n)
                if os.path.islink(a) != os.path.islink(b) or (
                        os.path.islink(a) and os.readlink(a) != os.readlink(b)) or (
                        not os.path.islink(a) and not filecmp.cmp(a, b, shallow=False)):
                    sys.exit(f"corpus file {n} differs from what {sys.argv[0]} writes")
        print(f"corpus up to date: {len(names)} files")
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write(sys.argv[1])


if __name__ == "__main__":
    main()
