#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""MatMulInteger and ConvInteger models that Kiln runs on its int8 kernels
(nn.qmatmul / nn.qconv with an i32 result, docs/quantization.md), with
reference outputs computed here from the ONNX specification in exact
integers:

    Y[..., m, n] = sum_k (A[..., m, k] - a_zero_point) * (B[k, n] - b_zero_point)
    Y = conv(X - x_zero_point, W - w_zero_point)   (zero padding after the shift)

and ONNX Runtime's dynamic quantization of a float MatMul
(DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by x_scale * w_scale,
what onnxruntime.quantization.quantize_dynamic writes), its float steps in
float32 as the specification gives them.  A right operand that is not a
constant stays on the generic int32 matmul, and a ConvInteger with a run-time
zero point and padding on the generic int32 convolution (also checked).

    make_integer_models.py OUT_DIR

writes OUT_DIR/<name>/{model.onnx, test_data_set_0/{input_*,output_0}.pb,
expect_nn.txt} (the layout of test/e2e/run_graph_models.py).
"""
import sys

import numpy as np

from make_qdq_models import NO_INT8_LAYER, RNG, Model, conv2d, q8


def exact(a, azp, b, bzp):
    return np.matmul(a.astype(np.int64) - np.int64(azp), b.astype(np.int64) - np.asarray(bzp, np.int64)).astype(np.int32)


def integer_model(out, name, *, ashape, n, adt, bdt, azp, bzp=None, b_input=False, expect):
    m = Model(name)
    k = ashape[-1]
    a = q8(adt, ashape)
    b = q8(bdt, (k, n))
    if bdt == np.int8 and bzp is not None:  # keep B - b_zero_point within int8
        b = RNG.integers(-100, 101, (k, n)).astype(np.int8)
    ins = [m.input("a", a, list(ashape)), m.input("b", b, [k, n]) if b_input else m.init("b", b),
           m.init("azp", np.array(azp, adt))]
    if bzp is not None:
        ins.append(m.init("bzp", np.array(bzp, bdt)))
    m.node("MatMulInteger", ins, "y")
    m.save(out, exact(a, azp, b, 0 if bzp is None else bzp), "y", expect)


def dynamic_model(out, name, *, xshape, n):
    m = Model(name)
    k = xshape[-1]
    x = (RNG.standard_normal(xshape) * 3 + 0.5).astype(np.float32)
    w = q8(np.int8, (k, n))
    ws = np.float32(0.0123)
    xq, xs, xzp = m.input("x", x, list(xshape)), "xs", "xzp"
    m.nodes.append(__import__("onnx").helper.make_node("DynamicQuantizeLinear", [xq], ["xq", xs, xzp], name="dql"))
    acc = m.node("MatMulInteger", ["xq", m.init("w", w), xzp], "acc")
    f = m.node("Cast", [acc], "accf", to=1)
    scale = m.node("Mul", [xs, m.init("ws", ws)], "scale")
    m.node("Mul", [f, scale], "y")
    # The specification, in float32.
    f32 = np.float32
    lo, hi = min(f32(0), x.min()), max(f32(0), x.max())
    s = f32((hi - lo) / f32(255))
    zp = np.uint8(np.clip(np.round(-lo / s), 0, 255))
    q = np.clip(np.round(x / s) + f32(zp), 0, 255).astype(np.uint8)
    y = exact(q, zp, w, 0).astype(np.float32) * f32(s * ws)
    m.save(out, y, "y", [r"nn\.qmatmul .* -> tensor<3x4x50xi32>"])


def conv_model(out, name, *, xshape, f, k, stride, pad, group=1, xdt=np.uint8, xzp=None, wzp=None,
               dynamic=False, expect):
    m = Model(name)
    c = xshape[1]
    w = q8(np.int8, (f, c // group, k, k))
    if wzp is not None:
        w = RNG.integers(-100, 101, w.shape).astype(np.int8)
    attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group)
    if dynamic:
        x = (RNG.standard_normal(xshape) * 2).astype(np.float32)
        m.nodes.append(__import__("onnx").helper.make_node("DynamicQuantizeLinear", [m.input("x", x, list(xshape))],
                                                          ["xq", "xs", "xzp"], name="dql"))
        ins = ["xq", m.init("w", w), "xzp"]
        f32 = np.float32
        lo, hi = min(f32(0), x.min()), max(f32(0), x.max())
        s = f32((hi - lo) / f32(255))
        zp = np.uint8(np.clip(np.round(-lo / s), 0, 255))
        xq, z = np.clip(np.round(x / s) + f32(zp), 0, 255).astype(np.uint8), int(zp)
    else:
        xq = q8(xdt, xshape)
        ins = [m.input("x", xq, list(xshape)), m.init("w", w)]
        z = 0
        if xzp is not None:
            ins.append(m.init("xzp", np.array(xzp, xdt)))
            z = xzp
    wz = np.zeros(f)
    if wzp is not None:
        if len(ins) == 2:
            ins.append("")
        ins.append(m.init("wzp", np.asarray(wzp, np.int8)))
        wz = np.broadcast_to(np.asarray(wzp, np.float64), (f,))
    m.node("ConvInteger", ins, "y", **attrs)
    ref = conv2d(xq.astype(np.float64) - z, w.astype(np.float64) - wz.reshape(-1, 1, 1, 1), np.zeros(f), stride, pad,
                 group)
    m.save(out, np.rint(ref).astype(np.int32), "y", expect)


def main():
    out = sys.argv[1]
    kernel = r"nn\.qmatmul .* -> tensor<{}xi32>"
    # uint8 A with a constant zero point, rank 3, two column panels (N = 40).
    integer_model(out, "mi_u8", ashape=(2, 5, 37), n=40, adt=np.uint8, bdt=np.int8, azp=100,
                  expect=[kernel.format("2x5x40"), r"lhs_unsigned, lhs_zero_point = 100"])
    # int8 A, int8 B with a zero point (folded into the weights).
    integer_model(out, "mi_s8_bzp", ashape=(6, 33), n=20, adt=np.int8, bdt=np.int8, azp=-5, bzp=7,
                  expect=[kernel.format("6x20"), r"lhs_zero_point = -5"])
    # uint8 B around 128 (the difference fits int8).
    integer_model(out, "mi_u8_weights", ashape=(4, 16), n=8, adt=np.uint8, bdt=np.uint8, azp=0, bzp=128,
                  expect=[kernel.format("4x8")])
    # B an input: the generic int32 matmul.
    integer_model(out, "mi_runtime_b", ashape=(3, 12), n=5, adt=np.uint8, bdt=np.int8, azp=9, b_input=True,
                  expect=[NO_INT8_LAYER, r"nn\.matmul .*xi32"])
    # ONNX Runtime's dynamic quantization: a run-time zero point.
    dynamic_model(out, "mi_dynamic", xshape=(3, 4, 24), n=50)
    conv = r"nn\.qconv .* -> tensor<{}xi32>"
    # Stride 1 (the direct kernel), a constant zero point in the padding.
    conv_model(out, "ci_direct", xshape=(1, 8, 14, 14), f=16, k=3, stride=1, pad=1, xzp=77,
               expect=[conv.format("1x16x14x14"), r"input_zero_point = 77"])
    # Stride 2 (gathered windows), int8 X, weight zero points per filter.
    conv_model(out, "ci_strided", xshape=(2, 6, 11, 11), f=12, k=3, stride=2, pad=1, xdt=np.int8, xzp=-20,
               wzp=RNG.integers(-20, 21, 12), expect=[conv.format("2x12x6x6")])
    # Grouped (the generic int8 loops of nn.qconv).
    conv_model(out, "ci_grouped", xshape=(1, 8, 9, 9), f=8, k=3, stride=1, pad=1, group=2, xzp=5,
               expect=[conv.format("1x8x9x9")])
    # DynamicQuantizeLinear's run-time zero point without padding: on the
    # kernel; with padding: the generic int32 convolution.
    conv_model(out, "ci_dynamic", xshape=(2, 4, 10, 10), f=8, k=3, stride=1, pad=0, dynamic=True,
               expect=[conv.format("2x8x8x8")])
    conv_model(out, "ci_dynamic_pad", xshape=(2, 4, 10, 10), f=8, k=3, stride=1, pad=1, dynamic=True,
               expect=[NO_INT8_LAYER])


if __name__ == "__main__":
    main()
