#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks for kiln-compile --emit=qdq-onnx (test/Tools/quantize-qdq.test).

    check_qdq.py structure MODEL.onnx
        onnx.checker (full), then what the QDQ model holds: QuantizeLinear and
        DequantizeLinear nodes, the int8 weights and int32 biases they
        dequantize, and how many Conv/MatMul/Gemm nodes read a dequantized
        input and weight.
    check_qdq.py compare A.npy B.npy [--exact | --max-rel R --agree P]
        two runs' logits: --exact: bit-identical; else max |A - B| / max |A|
        at most R and argmax agreeing on at least P % of the rows.
    check_qdq.py skip-model OUT_DIR
        a model whose first two MatMuls (8 -> 64 -> 8, nothing between them)
        kiln-nn-merge-sequential merges into one layer, then Relu and a Gemm,
        with a calibration set in the backend-test layout.
"""
import collections
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def structure(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    ops = collections.Counter(n.op_type for n in g.node)
    dq_of = collections.Counter()
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            dq_of[TensorProto.DataType.Name(inits[n.input[0]].data_type)] += 1
    layers = 0
    for n in g.node:
        if n.op_type in ("Conv", "MatMul", "Gemm"):
            p0, p1 = producer.get(n.input[0]), producer.get(n.input[1])
            if p0 is not None and p0.op_type == "DequantizeLinear" and p1 is not None and p1.op_type == "DequantizeLinear":
                layers += 1
    print(f"QuantizeLinear {ops['QuantizeLinear']}, DequantizeLinear {ops['DequantizeLinear']}: "
          f"{dq_of['INT8']} int8 weights, {dq_of['INT32']} int32 biases; "
          f"{layers} layers read a dequantized input and weight")


def compare(a, b, rest):
    x, y = np.load(a), np.load(b)
    rel = float(np.abs(x - y).max() / np.abs(x).max())
    agree = float((x.argmax(-1) == y.argmax(-1)).mean() * 100)
    print(f"max |a - b| / max |a| = {rel:.3g}; argmax agrees on {agree:.2f} % of {len(x)}")
    if rest == ["--exact"]:
        ok = np.array_equal(x, y)
    else:
        ok = rel <= float(rest[rest.index("--max-rel") + 1]) and agree >= float(rest[rest.index("--agree") + 1])
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


def skip_model(out):
    rng = np.random.default_rng(7)
    w1 = rng.standard_normal((8, 64)).astype(np.float32)
    w2 = rng.standard_normal((64, 8)).astype(np.float32) * 0.1
    w3 = rng.standard_normal((5, 8)).astype(np.float32)
    b3 = rng.standard_normal(5).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h1"], name="wide"),
             helper.make_node("MatMul", ["h1", "w2"], ["h2"], name="narrow"),
             helper.make_node("Relu", ["h2"], ["h3"], name="relu"),
             helper.make_node("Gemm", ["h3", "w3", "b3"], ["y"], name="head", transB=1)]
    g = helper.make_graph(nodes, "skip", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 5])],
                          [numpy_helper.from_array(v, k) for k, v in
                           {"w1": w1, "w2": w2, "w3": w3, "b3": b3}.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m, full_check=True)
    os.makedirs(os.path.join(out, "calib", "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(out, "skip.onnx"))
    x = rng.standard_normal((4, 8)).astype(np.float32)
    with open(os.path.join(out, "calib", "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "structure":
        structure(sys.argv[2])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4:]))
    elif cmd == "skip-model":
        skip_model(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
