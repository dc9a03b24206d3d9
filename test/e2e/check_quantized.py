#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Independent numpy reference of Kiln's int8 quantization (docs/quantization.md).

usage: check_quantized.py MODEL.onnx REPORT.json IMAGES.npy KILN_OUTPUT.npy
           [--max-rel-diff X] [--min-agreement F] [--close-rel-diff X --min-close F]

Evaluates MODEL.onnx (Conv, grouped and depthwise too, Relu, Clip, MaxPool,
GlobalAveragePool, Flatten, Gemm, MatMul, Add, Reshape: the Fashion-MNIST
CNN, test/Tools/Inputs/depthwise_models.py) on IMAGES.npy in numpy, with every layer
that REPORT.json (kiln-compile --quant-report) lists as int8 computed the
way Kiln specifies it, not the way it implements it:

  * the input quantized to uint8 with the report's scale and zero point:
    q = clip(round_half_even(float32(x) / scale) + zp, 0, 255), in float32;
  * the weights quantized per output channel, symmetric:
    s_w = max|w| / 127 (1 for an all-zero channel),
    wq = clip(round_half_even(w / s_w), -127, 127);
  * an exact integer product sum((q - zp) * wq) (int64; Kiln's depthwise
    layers read q - 128 with the zero point zp - 128, the same values), then
    float32(acc) * float32(scale * s_w) + bias in float32;

and every layer it lists as bf16 with its input and weights rounded to the
nearest bf16 (half to even, bf16() below), the products summed in float64
(bf16 x bf16 products are exact; Kiln sums them in float32), then the bias.

and every layer it lists as int4 (weight-only, --quantize=int4-weights) with
its weights times the report's awq_scale (if any) quantized in groups of
the report's group_size along K per column, asymmetric (scale = (max - min)
/ 15 with 0 in the range, zero point round(-min / scale) in [0, 15], code
clip(round(w / scale) + zero point, 0, 15), all in float32), dequantized,
and its input divided by awq_scale (times the float32 reciprocals) and,
with int8 activations (W4A8), rounded to q * sx per row and group
(int8_rows), the product in float64, then the bias;

and compares the logits with Kiln's (KILN_OUTPUT.npy, from kiln-run
--save-outputs on the quantized library): the largest difference relative to
the largest |logit| must be at most --max-rel-diff (default 1e-4: the two
differ only in float rounding order, e.g. a fused multiply-add in Kiln's
epilogue, which can move a value across a quantization step of the next
layer), and the predicted classes must agree on at least --min-agreement of
the images (default 0.999); with --close-rel-diff X, at least --min-close
(default 0.98) of the images must be within X on their own (bf16, where a
rare input moves by one bf16 step).  Exits 1 on a mismatch, printing the
figures.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def quant_act(x, scale, zp):
    q = np.round(x.astype(np.float32) / np.float32(scale)) + np.float32(zp)  # np.round: half to even
    return np.clip(q, 0, 255).astype(np.int64) - zp


def bf16(x):
    """float32 -> nearest bf16 (round half to even), returned as float32."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return r.astype(np.uint32).view(np.float32)


def quant_weights(w, axis):
    """Per-channel symmetric int8 along `axis`; returns (wq, scales)."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=red)
    s = np.where(amax > 0, amax.astype(np.float32) / np.float32(127), np.float32(1)).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    wq = np.clip(np.round(w.astype(np.float32) / s.reshape(shape)), -127, 127).astype(np.int64)
    return wq, s


def int4_weights(w, group):
    """Kiln's int4 weights (kiln::quant::quantizeInt4), dequantized: float32 [K, N]."""
    k, n = w.shape
    g = w.astype(np.float32).reshape(k // group, group, n)
    lo = np.minimum(g.min(1), 0).astype(np.float32)
    hi = np.maximum(g.max(1), 0).astype(np.float32)
    rng = (hi - lo).astype(np.float32)
    ok = rng > 0
    scale = np.where(ok, rng / np.float32(15), np.float32(1)).astype(np.float32)
    zp = np.where(ok, np.clip(np.round(-lo / scale), 0, 15), 0).astype(np.float32)
    q = np.clip(np.round(g / scale[:, None, :]) + zp[:, None, :], 0, 15).astype(np.float32)
    return ((q - zp[:, None, :]) * scale[:, None, :]).astype(np.float32).reshape(k, n)


def int8_rows(x, group):
    """W4A8 activations (--int4-activations=int8): per row and group of the
    last dim, sx = max|x| / 127 (1 for zeros), q = clip(round(x / sx), -127,
    127), returned as q * sx in float32."""
    k = x.shape[-1]
    g = x.astype(np.float32).reshape(x.shape[:-1] + (k // group, group))
    amax = np.abs(g).max(-1, keepdims=True).astype(np.float32)
    sx = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(np.round(g / sx), -127, 127).astype(np.float32)
    return (q * sx).astype(np.float32).reshape(x.shape)


def conv2d(x, w, strides, pads, dil, groups=1):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    if groups > 1:  # grouped (depthwise: one channel per group), group by group
        return np.concatenate([conv2d(x[:, g * cg:(g + 1) * cg], w[g * (f // groups):(g + 1) * (f // groups)],
                                      strides, pads, dil) for g in range(groups)], axis=1)
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (x.shape[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i * dil[0]: i * dil[0] + strides[0] * oh: strides[0],
                                 j * dil[1]: j * dil[1] + strides[1] * ow: strides[1]]
    return np.einsum("nckluv,fckl->nfuv", cols, w, optimize=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("report")
    ap.add_argument("images")
    ap.add_argument("kiln_output")
    ap.add_argument("--max-rel-diff", type=float, default=1e-4)
    ap.add_argument("--min-agreement", type=float, default=0.999)
    # bf16: each layer's input is rounded to 8 significant bits, so a float32
    # sum that differs from the float64 one in its last bit can move an input
    # by one bf16 step (2^-8 of it) on a few images; most images must then
    # match much more closely than the bound on the worst one.
    ap.add_argument("--close-rel-diff", type=float, default=None)
    ap.add_argument("--min-close", type=float, default=0.98)
    a = ap.parse_args()

    model = onnx.load(a.model)
    report = json.load(open(a.report))
    layers = {l["layer"]: l for l in report["layers"] if l["precision"] in ("int8", "bf16", "int4")}
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env = dict(inits)
    env[model.graph.input[0].name] = np.load(a.images).astype(np.float32)
    used = set()
    for node in model.graph.node:
        at = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
        ins = [env[i] for i in node.input if i]
        op = node.op_type
        q = layers.get(node.name)
        if q:
            used.add(node.name)
        if op == "Conv":
            x, w = ins[0], ins[1]
            b = ins[2] if len(ins) > 2 else np.zeros(w.shape[0], np.float32)
            args = (at.get("strides", [1, 1]), at.get("pads", [0, 0, 0, 0]), at.get("dilations", [1, 1]),
                    at.get("group", 1))
            if q and q["precision"] == "bf16":
                y = conv2d(bf16(x).astype(np.float64), bf16(w).astype(np.float64), *args) + b.reshape(1, -1, 1, 1)
            elif q:
                wq, sw = quant_weights(w, 0)
                acc = conv2d(quant_act(x, q["input_scale"], q["input_zero_point"]), wq, *args)
                sc = (np.float32(q["input_scale"]) * sw).astype(np.float32)
                y = acc.astype(np.float32) * sc.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)
            else:
                y = conv2d(x.astype(np.float64), w.astype(np.float64), *args) + b.reshape(1, -1, 1, 1)
            env[node.output[0]] = y.astype(np.float32)
        elif op in ("Gemm", "MatMul"):
            x, w = ins[0], ins[1]
            if op == "Gemm" and at.get("transB", 0):
                w = w.T
            assert op == "MatMul" or (at.get("alpha", 1.0) == 1.0 and not at.get("transA", 0))
            b = ins[2] * at.get("beta", 1.0) if op == "Gemm" and len(ins) > 2 else np.zeros(w.shape[1], np.float32)
            if q and q["precision"] == "int4":
                s = np.asarray(q.get("awq_scale", np.ones(w.shape[0])), np.float32)
                wq = int4_weights((w.astype(np.float32) * s[:, None]).astype(np.float32), report["group_size"])
                xs = (x.astype(np.float32) * (np.float32(1) / s)).astype(np.float32)
                if report["activations"].startswith("int8"):
                    xs = int8_rows(xs, report["group_size"])
                y = xs.astype(np.float64) @ wq.astype(np.float64) + b
            elif q and q["precision"] == "bf16":
                y = bf16(x).astype(np.float64) @ bf16(w).astype(np.float64) + b
            elif q:
                wq, sw = quant_weights(w, 1)
                acc = quant_act(x, q["input_scale"], q["input_zero_point"]) @ wq
                sc = (np.float32(q["input_scale"]) * sw).astype(np.float32)
                y = acc.astype(np.float32) * sc + b
            else:
                y = x.astype(np.float64) @ w.astype(np.float64) + b
            env[node.output[0]] = y.astype(np.float32)
        elif op == "Relu":
            env[node.output[0]] = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            k, s = at["kernel_shape"], at.get("strides", [1, 1])
            assert not any(at.get("pads", [0, 0, 0, 0]))
            x = ins[0]
            oh, ow = (x.shape[2] - k[0]) // s[0] + 1, (x.shape[3] - k[1]) // s[1] + 1
            y = np.full(x.shape[:2] + (oh, ow), -np.inf, np.float32)
            for i in range(k[0]):
                for j in range(k[1]):
                    y = np.maximum(y, x[:, :, i: i + s[0] * oh: s[0], j: j + s[1] * ow: s[1]])
            env[node.output[0]] = y
        elif op == "Flatten":
            x = ins[0]
            ax = at.get("axis", 1)
            env[node.output[0]] = x.reshape(int(np.prod(x.shape[:ax])), -1)
        elif op == "Reshape":
            env[node.output[0]] = ins[0].reshape([int(d) if d != 0 else ins[0].shape[i]
                                                  for i, d in enumerate(ins[1])])
        elif op == "Add":
            env[node.output[0]] = (ins[0] + ins[1]).astype(np.float32)
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 else -np.inf
            hi = ins[2] if len(ins) > 2 else np.inf
            env[node.output[0]] = np.minimum(np.maximum(ins[0], lo), hi).astype(np.float32)
        elif op == "GlobalAveragePool":
            env[node.output[0]] = ins[0].astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32)
        else:
            sys.exit(f"check_quantized.py: {op} (node {node.name}) is not simulated")
    missing = set(layers) - used
    if missing:
        sys.exit(f"check_quantized.py: report layers not in the model: {sorted(missing)}")
    ref = env[model.graph.output[0].name]
    got = np.load(a.kiln_output)
    if got.shape != ref.shape:
        sys.exit(f"check_quantized.py: Kiln's output has shape {got.shape}, the reference {ref.shape}")
    rel = float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-30))
    agree = float(np.mean(np.argmax(got, -1) == np.argmax(ref, -1)))
    close = 1.0
    if a.close_rel_diff is not None:
        per_image = np.max(np.abs(got - ref).reshape(got.shape[0], -1), 1) / max(np.max(np.abs(ref)), 1e-30)
        close = float(np.mean(per_image <= a.close_rel_diff))
        print(f"images within {a.close_rel_diff:g} of the reference: {close * 100:.1f} %")
    kinds = sorted({layers[n]["precision"] for n in used})
    print(f"{'/'.join(kinds) or 'no'} layers simulated: {len(used)}; max |kiln - reference| / max |reference| = {rel:.3g}; "
          f"predictions agree on {agree * 100:.2f} % of {ref.shape[0]} images")
    if rel > a.max_rel_diff or agree < a.min_agreement or close < a.min_close:
        print(f"MISMATCH: limits are {a.max_rel_diff:g}, {a.min_agreement * 100:.2f} % and {a.min_close * 100:.1f} %")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
