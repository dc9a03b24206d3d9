#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""MatMulInteger models that Kiln runs on its int8 kernels (nn.qmatmul with
an i32 result, docs/quantization.md), with reference outputs computed here
from the ONNX specification in exact integers (int64):

    Y[..., m, n] = sum_k (A[..., m, k] - a_zero_point) * (B[k, n] - b_zero_point)

and ONNX Runtime's dynamic quantization of a float MatMul
(DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by x_scale * w_scale,
what onnxruntime.quantization.quantize_dynamic writes), its float steps in
float32 as the specification gives them.  A right operand that is not a
constant stays on the generic int32 matmul (also checked).

    make_matmul_integer_models.py OUT_DIR

writes OUT_DIR/<name>/{model.onnx, test_data_set_0/{input_*,output_0}.pb,
expect_nn.txt} (the layout of test/e2e/run_graph_models.py).
"""
import sys

import numpy as np

from make_qdq_models import NO_INT8_LAYER, RNG, Model, q8


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


if __name__ == "__main__":
    main()
