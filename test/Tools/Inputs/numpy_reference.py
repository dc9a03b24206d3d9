#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes an ONNX backend-test data set for a small CNN with a numpy reference.

usage: numpy_reference.py MODEL.onnx OUTDIR [--batch N]

Evaluates the model's graph node by node in float64 with numpy (Conv,
Relu, MaxPool, Flatten, Gemm: enough for models/fashion_mnist_cnn.onnx; any
other op type is an error) on the first N Fashion-MNIST test images
(/usr/share/datasets/fashion-mnist, scaled to [0, 1] as the model expects),
and writes OUTDIR/input_0.pb and OUTDIR/output_0.pb.
"""
import argparse
import gzip
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        sys.exit("numpy_reference: only group 1, dilation 1 convolutions")
    pads = a.get("pads", [0, 0, 0, 0])
    sh, sw = a.get("strides", [1, 1])
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    y = np.einsum("nchwij,fcij->nfhw", win, w)
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def maxpool(x, a):
    if any(p != 0 for p in a.get("pads", [0, 0, 0, 0])):
        sys.exit("numpy_reference: only unpadded MaxPool")
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return win.max(axis=(4, 5))


def gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * a_ @ b_
    return y + a.get("beta", 1.0) * c_ if c_ is not None else y


def run(model, x):
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float64)
    for node in model.graph.node:
        ins = [env[n] if n else None for n in node.input]
        a = attrs(node)
        t = node.op_type
        if t == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif t == "Relu":
            y = np.maximum(ins[0], 0)
        elif t == "MaxPool":
            y = maxpool(ins[0], a)
        elif t == "Flatten":
            axis = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif t == "Gemm":
            y = gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        else:
            sys.exit(f"numpy_reference: op type {t} is not supported")
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--batch", type=int, default=4)
    args = p.parse_args()
    model = onnx.load(args.model)
    with gzip.open(IMAGES, "rb") as f:
        data = f.read()
    n = args.batch
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16, count=n * 28 * 28)
    x = (pixels.astype(np.float32) / np.float32(255.0)).reshape(n, 1, 28, 28)
    y = run(model, x).astype(np.float32)
    os.makedirs(args.out, exist_ok=True)
    for path, arr, name in ((f"{args.out}/input_0.pb", x, model.graph.input[0].name),
                            (f"{args.out}/output_0.pb", y, model.graph.output[0].name)):
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())


if __name__ == "__main__":
    main()
