#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds the MobileNetV2-style model of quantize-depthwise.test.

usage: depthwise_models.py OUTDIR [--size S] [--count N]
Writes OUTDIR/dw.onnx (random weights, seeded) and OUTDIR/calib and
OUTDIR/eval (N inputs each as x.npy, plus one data set in the backend-test
layout under OUTDIR/calib/test_data_set_0).  The model covers what the int8
depthwise kernel takes: 3x3 depthwise convolutions at stride 1 and 2 (pads 1),
a 5x5 one with dilation 1 and pads 2, one followed by Clip (ReLU6), one by
Relu, one without activation feeding a residual Add, and output planes both
wider than a register and small enough for the whole-plane form.
"""
import argparse
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

RNG = np.random.default_rng(11)


def w(name, shape, scale):
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=40)
    ap.add_argument("--count", type=int, default=64)
    a = ap.parse_args()
    S = a.size
    inits, nodes = [], []
    lo = numpy_helper.from_array(np.array(0, np.float32), "lo")
    hi = numpy_helper.from_array(np.array(6, np.float32), "hi")
    inits += [lo, hi]

    def conv(x, y, cin, cout, k, stride=1, pad=0, group=1, dil=1):
        wn, bn = y + "_w", y + "_b"
        inits.append(w(wn, (cout, cin // group, k, k), (2.0 / (cin // group * k * k)) ** 0.5))
        inits.append(w(bn, (cout,), 0.1))
        nodes.append(helper.make_node("Conv", [x, wn, bn], [y], name=y, kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[pad] * 4, group=group, dilations=[dil, dil]))
        return y

    def relu6(x, y):
        nodes.append(helper.make_node("Clip", [x, "lo", "hi"], [y], name=y))
        return y

    # Block 1: expand 8 -> 48, depthwise 3x3 stride 1, ReLU6, project 48 -> 16.
    t = relu6(conv("x", "e1", 8, 48, 1), "e1r")
    t = relu6(conv(t, "d1", 48, 48, 3, pad=1, group=48), "d1r")
    p1 = conv(t, "p1", 48, 16, 1)
    # Block 2: depthwise 3x3 stride 2 on 16 channels, Relu, expand to 32.
    t = conv(p1, "d2", 16, 16, 3, stride=2, pad=1, group=16)
    nodes.append(helper.make_node("Relu", [t], ["d2r"], name="d2r"))
    t = relu6(conv("d2r", "e2", 16, 32, 1), "e2r")
    # Block 3: depthwise 5x5 (pads 2), no activation, residual Add.
    d3 = conv(t, "d3", 32, 32, 5, pad=2, group=32)
    nodes.append(helper.make_node("Add", [d3, t], ["s3"], name="s3"))
    # Block 4: depthwise 3x3 stride 2 twice (planes down to S/8), then a
    # 1x1 to 10 channels and a global average.
    t = relu6(conv("s3", "d4", 32, 32, 3, stride=2, pad=1, group=32), "d4r")
    t = relu6(conv(t, "d5", 32, 32, 3, stride=2, pad=1, group=32), "d5r")
    t = conv(t, "c6", 32, 10, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [t], ["g"], name="g"))
    nodes.append(helper.make_node("Flatten", ["g"], ["y"], name="flatten"))
    g = helper.make_graph(nodes, "dw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8, S, S])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    os.makedirs(a.out, exist_ok=True)
    save(m, os.path.join(a.out, "dw.onnx"))
    for split in ("calib", "eval"):
        d = os.path.join(a.out, split)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "x.npy"), RNG.standard_normal((a.count, 8, S, S)).astype(np.float32))


if __name__ == "__main__":
    main()
