#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Models for the limit, large-model and reproducibility tests.

usage: make_limit_models.py KIND OUT_DIR
  matmul     OUT_DIR/matmul.onnx: y = x @ W, W a 64x64 f32 initializer (16 KiB)
  external   OUT_DIR/external.onnx + weights.bin: the same W as external data
  nested     OUT_DIR/nested.onnx: If bodies nested 3 levels deep
  large      OUT_DIR/large.onnx + large.bin: a model of 2.25 GiB with
             external data.  'big' is f32 [589824, 1024] (2415919104 bytes,
             more than 2^31) at offset 0, written sparse (zeros, except its
             last row, which holds 0, 1, ..., 1023); 'bias' is f32 [4] =
             [1, 2, 3, 4] at offset 2415919104 (beyond 2^31).  Outputs:
             y = x + bias and z = Gather(big, [589823]) (the last row);
             reference data in OUT_DIR/large_data.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def model(nodes, inputs, outputs, inits=(), name="g"):
    m = helper.make_model(helper.make_graph(nodes, name, inputs, outputs, list(inits)),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def weight():
    return np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)


def matmul(d):
    m = model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
              [vi("x", [2, 64])], [vi("y", [2, 64])], [numpy_helper.from_array(weight(), "W")])
    onnx.save(m, os.path.join(d, "matmul.onnx"))


def external_tensor(name, dims, location, offset, length):
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", str(offset)), ("length", str(length))]:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def external(d):
    w = weight()
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        f.write(w.tobytes())
    m = model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
              [vi("x", [2, 64])], [vi("y", [2, 64])],
              [external_tensor("W", [64, 64], "weights.bin", 0, w.nbytes)])
    onnx.save(m, os.path.join(d, "external.onnx"))


def nested(d):
    def body(level):
        if level == 3:
            return helper.make_graph([helper.make_node("Identity", ["x"], ["o3"], name="id")],
                                     "b3", [], [vi("o3", [2])])
        leaf = helper.make_graph([helper.make_node("Identity", ["x"], [f"e{level}"], name=f"e{level}")],
                                 f"e{level}", [], [vi(f"e{level}", [2])])
        return helper.make_graph(
            [helper.make_node("If", ["c"], [f"o{level}"], name=f"if{level}",
                              then_branch=body(level + 1), else_branch=leaf)],
            f"b{level}", [], [vi(f"o{level}", [2])])
    m = model([helper.make_node("If", ["c"], ["y"], name="if0", then_branch=body(1),
                                else_branch=body(1))],
              [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", [2])])
    onnx.save(m, os.path.join(d, "nested.onnx"))


def large(d):
    rows, cols = 589824, 1024
    big_bytes = rows * cols * 4
    assert big_bytes > 2**31
    last_row = np.arange(cols, dtype=np.float32)
    bias = np.array([1, 2, 3, 4], dtype=np.float32)
    with open(os.path.join(d, "large.bin"), "wb") as f:
        # Sparse: seek over the zeros instead of writing 2.25 GiB.
        f.seek(big_bytes - last_row.nbytes)
        f.write(last_row.tobytes())
        f.write(bias.tobytes())
    idx = numpy_helper.from_array(np.array([rows - 1], dtype=np.int64), "idx")
    m = model([helper.make_node("Add", ["x", "bias"], ["y"], name="add"),
               helper.make_node("Gather", ["big", "idx"], ["z"], name="gather", axis=0)],
              [vi("x", [4])], [vi("y", [4]), vi("z", [1, cols])],
              [external_tensor("big", [rows, cols], "large.bin", 0, big_bytes),
               external_tensor("bias", [4], "large.bin", big_bytes, bias.nbytes), idx])
    onnx.save(m, os.path.join(d, "large.onnx"))
    # Reference data for kiln-run --data-dir.
    ds = os.path.join(d, "large_data")
    os.makedirs(ds, exist_ok=True)
    x = np.array([10, 20, 30, 40], dtype=np.float32)
    for name, a in [("input_0", numpy_helper.from_array(x, "x")),
                    ("output_0", numpy_helper.from_array(x + bias, "y")),
                    ("output_1", numpy_helper.from_array(last_row.reshape(1, cols), "z"))]:
        with open(os.path.join(ds, name + ".pb"), "wb") as f:
            f.write(a.SerializeToString())


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("matmul", "external", "nested", "large"):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    globals()[sys.argv[1]](sys.argv[2])
