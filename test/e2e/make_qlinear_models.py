#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""QLinearConv / QLinearMatMul models with constant weights, which Kiln runs
on its int8 kernels (nn.qconv / nn.qmatmul, docs/quantization.md), with
reference outputs computed here from the ONNX specification in numpy:

    acc  = sum((x - x_zero_point) * (w - w_zero_point)) (+ B)      exact integers
    y    = saturate(round_half_even(acc * x_scale * w_scale / y_scale) + y_zero_point)

All scales are powers of two, so every float product and quotient on either
side is exact and the outputs must be equal (kiln-run compares integer
outputs exactly): any difference is a bug, not rounding.

    make_qlinear_models.py OUT_DIR

writes OUT_DIR/<name>/{model.onnx, test_data_set_0/{input_*,output_0}.pb,
expect_nn.txt} (the layout test/e2e/run_graph_models.py reads; expect_nn.txt
asks that the model goes through nn.qconv / nn.qmatmul).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20261207)
ONNX_TYPE = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def sat(v, dt):
    info = np.iinfo(dt)
    return np.clip(v, info.min, info.max).astype(dt)


def requant(acc, scale, ys, yzp, dt):
    return sat(np.round(acc.astype(np.float64) * scale / ys) + yzp, dt)


def save(out, name, node, inputs, inits, y, expect):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    vin = [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype.type], shape) for n, a, shape in inputs]
    vout = [helper.make_tensor_value_info("y", ONNX_TYPE[y.dtype.type], ["N"] + list(y.shape[1:]) if inputs[0][2][0] == "N" else list(y.shape))]
    g = helper.make_graph([node], name, vin, vout, [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, (n, a, _) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y, "y").SerializeToString())
    with open(os.path.join(d, "expect_nn.txt"), "w") as f:
        f.write(expect + "\n")


def conv_ref(x, xzp, w, wzp, stride, pad):
    x = x.astype(np.int64) - xzp
    w = w.astype(np.int64) - wzp.reshape(-1, 1, 1, 1)
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    f, c, kh, kw = w.shape
    oh = (x.shape[2] - kh) // stride + 1
    ow = (x.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], f, oh, ow), np.int64)
    for i in range(kh):
        for j in range(kw):
            win = x[:, :, i: i + stride * oh: stride, j: j + stride * ow: stride]
            y += np.einsum("nchw,fc->nfhw", win, w[:, :, i, j])
    return y


def qlinear_conv(out, name, xdt, wdt, ydt, n, c, h, f, k, stride, pad, per_channel, wzp_val, bias):
    x = RNG.integers(np.iinfo(xdt).min, np.iinfo(xdt).max + 1, (n, c, h, h)).astype(xdt)
    w = RNG.integers(np.iinfo(wdt).min, np.iinfo(wdt).max + 1, (f, c, k, k)).astype(wdt)
    xs, xzp = np.float32(2.0 ** -4), xdt(int(np.iinfo(xdt).min) + 100)
    ws = (2.0 ** -RNG.integers(5, 9, f)).astype(np.float32) if per_channel else np.array(2.0 ** -6, np.float32)
    wzp = np.full(f if per_channel else (), wzp_val, wdt)
    ys, yzp = np.float32(2.0 ** 3), ydt(int(np.iinfo(ydt).min) + 64)
    acc = conv_ref(x, int(xzp), w, np.broadcast_to(wzp.astype(np.int64), (f,)), stride, pad)
    inits = {"xs": xs, "xzp": np.array(xzp, xdt), "w": w, "ws": ws, "wzp": wzp, "ys": ys, "yzp": np.array(yzp, ydt)}
    names = ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"]
    if bias:
        b = RNG.integers(-5000, 5000, f).astype(np.int32)
        inits["b"] = b
        names.append("b")
        acc = acc + b.reshape(1, -1, 1, 1)
    scale = (np.float64(xs) * np.broadcast_to(ws.astype(np.float64), (f,))).reshape(1, -1, 1, 1)
    y = requant(acc, scale, np.float64(ys), int(yzp), ydt)
    node = helper.make_node("QLinearConv", names, ["y"], strides=[stride, stride], pads=[pad] * 4)
    save(out, name, node, [("x", x, ["N", c, h, h])], inits, y, "nn.qconv")


def qlinear_matmul(out, name, adt, bdt, ydt, ashape, nn_, per_column, bzp_val):
    k = ashape[-1]
    a = RNG.integers(np.iinfo(adt).min, np.iinfo(adt).max + 1, ashape).astype(adt)
    b = RNG.integers(np.iinfo(bdt).min, np.iinfo(bdt).max + 1, (k, nn_)).astype(bdt)
    as_, azp = np.float32(2.0 ** -3), adt(int(np.iinfo(adt).min) + 90)
    bs = (2.0 ** -RNG.integers(4, 8, nn_)).astype(np.float32) if per_column else np.array(2.0 ** -5, np.float32)
    bzp = np.full(nn_ if per_column else (), bzp_val, bdt)
    ys, yzp = np.float32(2.0 ** 4), ydt(int(np.iinfo(ydt).min) + 30)
    acc = (a.astype(np.int64) - int(azp)) @ (b.astype(np.int64) - np.broadcast_to(bzp.astype(np.int64), (nn_,)))
    scale = np.float64(as_) * np.broadcast_to(bs.astype(np.float64), (nn_,))
    y = requant(acc, scale, np.float64(ys), int(yzp), ydt)
    inits = {"as": as_, "azp": np.array(azp, adt), "b": b, "bs": bs, "bzp": bzp, "ys": ys,
             "yzp": np.array(yzp, ydt)}
    node = helper.make_node("QLinearMatMul", ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], ["y"])
    save(out, name, node, [("a", a, list(ashape))], inits, y, "nn.qmatmul")


def main(out):
    # uint8 input, int8 per-channel weights, int32 bias, stride 1, pad 1:
    # the direct kernel (8 channels).
    qlinear_conv(out, "conv_u8_direct", np.uint8, np.int8, np.uint8, 2, 8, 10, 16, 3, 1, 1, True, 0, True)
    # int8 input, uint8 weights with zero point 128 (per tensor), stride 2:
    # gathered windows.
    qlinear_conv(out, "conv_s8_stride2", np.int8, np.uint8, np.int8, 1, 3, 11, 12, 3, 2, 1, False, 128, True)
    # 1x1: the image as columns.
    qlinear_conv(out, "conv_1x1", np.uint8, np.int8, np.uint8, 2, 16, 7, 40, 1, 1, 0, True, 0, False)
    qlinear_matmul(out, "matmul_2d", np.uint8, np.int8, np.uint8, (5, 37), 20, True, 0)
    qlinear_matmul(out, "matmul_3d", np.int8, np.uint8, np.int8, (2, 4, 16), 40, False, 128)


if __name__ == "__main__":
    main(sys.argv[1])
