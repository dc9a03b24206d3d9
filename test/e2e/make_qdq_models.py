#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""QDQ models (QuantizeLinear / DequantizeLinear around float Conv, MatMul and
Gemm, as ONNX Runtime's quantizer and torch's exporter write them), which
Kiln runs on its int8 kernels (nn.qconv / nn.qmatmul, docs/quantization.md),
with reference outputs computed here from the ONNX specification in float64:

    x = (xq - x_zero_point) * x_scale        w = (wq - w_zero_point) * w_scale
    y = QuantizeLinear(float layer(x, w) and what follows it, y_scale, y_zero_point)

Every scale is a power of two and every bias, BatchNormalization shift and
mean a multiple of one, so each float value on either side is exact and the
quantized outputs must be equal (kiln-run compares integer outputs exactly).

    make_qdq_models.py OUT_DIR

writes OUT_DIR/<name>/{model.onnx, test_data_set_0/{input_*,output_0}.pb,
expect_nn.txt} (the layout of test/e2e/run_graph_models.py; expect_nn.txt
holds what kiln-compile --emit=nn -O3 must show: the int8 layer with its
fused epilogue, or, for the layers that stay float, no int8 layer).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20261207)
ONNX_TYPE = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8, np.int32: TensorProto.INT32,
             np.float32: TensorProto.FLOAT}
NO_INT8_LAYER = r"^(?![\s\S]*nn\.q(conv|matmul))"


def q8(dt, shape):
    info = np.iinfo(dt)
    return RNG.integers(info.min, info.max + 1, shape).astype(dt)


def quantize(y, ys, yzp, dt):
    info = np.iinfo(dt)
    return np.clip(np.round(y / ys) + yzp, info.min, info.max).astype(dt)


def dq(q, s, zp, axis=None, rank=None):
    q = q.astype(np.float64)
    s = np.asarray(s, np.float64)
    zp = np.asarray(zp, np.float64)
    if axis is not None and s.ndim == 1:
        shape = [1] * rank
        shape[axis] = -1
        s, zp = s.reshape(shape), zp.reshape(shape)
    return (q - zp) * s


def conv2d(x, w, b, stride, pad, groups=1):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    f, cg, kh, kw = w.shape
    n, c = x.shape[:2]
    oh = (x.shape[2] - kh) // stride + 1
    ow = (x.shape[3] - kw) // stride + 1
    y = np.zeros((n, f, oh, ow))
    fg = f // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                win = xs[:, :, i: i + stride * oh: stride, j: j + stride * ow: stride]
                y[:, g * fg:(g + 1) * fg] += np.einsum("nchw,fc->nfhw", win, w[g * fg:(g + 1) * fg, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


class Model:
    def __init__(self, name):
        self.name, self.nodes, self.inits, self.inputs = name, [], [], []

    def init(self, name, a):
        self.inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def input(self, name, a, shape):
        self.inputs.append((name, a, shape))
        return name

    def node(self, op, ins, out, **attrs):
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def dq(self, x, s, zp, axis=None):
        p = x + "_"
        kw = {} if axis is None else {"axis": axis}
        return self.node("DequantizeLinear", [x, self.init(p + "scale", s), self.init(p + "zp", zp)],
                         x + "_dq", **kw)

    def save(self, out, y, y_name, expect):
        d = os.path.join(out, self.name)
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        vin = [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype.type], shape) for n, a, shape in self.inputs]
        vout = [helper.make_tensor_value_info(y_name, ONNX_TYPE[y.dtype.type], list(y.shape))]
        g = helper.make_graph(self.nodes, self.name, vin, vout, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, os.path.join(d, "model.onnx"))
        for k, (n, a, _) in enumerate(self.inputs):
            with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
        with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, y_name).SerializeToString())
        with open(os.path.join(d, "expect_nn.txt"), "w") as f:
            f.write("\n".join(expect) + "\n")


def conv_model(out, name, *, n=2, c=8, h=10, f=16, k=3, stride=1, pad=1, groups=1, xdt=np.uint8,
               per_channel=True, bn=False, residual=False, act="Relu", expect=()):
    m = Model(name)
    xq = q8(xdt, (n, c, h, h))
    xs, xzp = 2.0 ** -4, int(np.iinfo(xdt).min) + 100
    wq = q8(np.int8, (f, c // groups, k, k))
    ws = 2.0 ** -RNG.integers(5, 9, f) if per_channel else np.float64(2.0 ** -6)
    b = RNG.integers(-64, 64, f) * 2.0 ** -6
    x = m.dq(m.input("x", xq, [n, c, h, h]), np.float32(xs), np.array(xzp, xdt))
    w = m.dq(m.init("w", wq), ws.astype(np.float32), np.zeros(np.shape(ws), np.int8), axis=0 if per_channel else None)
    y = m.node("Conv", [x, w, m.init("b", b.astype(np.float32))], "conv", strides=[stride, stride],
               pads=[pad] * 4, group=groups)
    ref = conv2d(dq(xq, xs, xzp), dq(wq, ws, 0, 0, 4), b, stride, pad, groups)
    if bn:
        scale = 2.0 ** RNG.integers(-2, 2, f) * RNG.choice([-1, 1], f)
        shift, mean = RNG.integers(-32, 32, f) * 2.0 ** -5, RNG.integers(-32, 32, f) * 2.0 ** -5
        var = np.full(f, 0.25)
        y = m.node("BatchNormalization", [y] + [m.init(k_, v.astype(np.float32)) for k_, v in
                                                  [("g", scale), ("beta", shift), ("mean", mean), ("var", var)]],
                   "bn", epsilon=0.0)
        ref = (ref - mean.reshape(1, -1, 1, 1)) / 0.5 * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)
    if residual:
        rq = q8(np.int8, ref.shape)
        r = m.dq(m.input("r", rq, list(ref.shape)), np.float32(2.0 ** -2), np.array(3, np.int8))
        y = m.node("Add", [y, r], "add")
        ref = ref + dq(rq, 2.0 ** -2, 3)
    if act:
        y = m.node(act, [y], "act")
        ref = np.maximum(ref, 0)
    ys, yzp = 2.0 ** -1, 7
    m.node("QuantizeLinear", [y, m.init("ys", np.float32(ys)), m.init("yzp", np.array(yzp, np.uint8))], "y")
    m.save(out, quantize(ref, ys, yzp, np.uint8), "y", expect)


def matmul_model(out, name, *, op="MatMul", ashape=(5, 37), nn_=20, adt=np.int8, axis=1, trans_b=False,
                 alpha=1.0, expect=()):
    m = Model(name)
    aq = q8(adt, ashape)
    as_, azp = 2.0 ** -3, int(np.iinfo(adt).min) + 90
    k = ashape[-1]
    bshape = (nn_, k) if trans_b else (k, nn_)
    bq = q8(np.int8, bshape)
    nscale = bshape[axis] if axis is not None else None
    bs = 2.0 ** -RNG.integers(5, 8, nscale) if axis is not None else np.float64(2.0 ** -6)
    bias = RNG.integers(-64, 64, nn_) * 2.0 ** -5
    a = m.dq(m.input("a", aq, list(ashape)), np.float32(as_), np.array(azp, adt))
    w = m.dq(m.init("w", bq), bs.astype(np.float32), np.zeros(np.shape(bs), np.int8), axis=axis)
    wf = dq(bq, bs, 0, axis, 2) if axis is not None else dq(bq, bs, 0)
    if trans_b:
        wf = wf.T
    if op == "Gemm":
        y = m.node("Gemm", [a, w, m.init("c", bias.astype(np.float32))], "gemm", transB=int(trans_b), alpha=alpha)
        ref = alpha * (dq(aq, as_, azp) @ wf) + bias
    else:
        y = m.node("MatMul", [a, w], "mm")
        y = m.node("Add", [y, m.init("bias", bias.astype(np.float32))], "add")
        ref = dq(aq, as_, azp) @ wf + bias
    ys, yzp = 2.0 ** 1, -5
    m.node("QuantizeLinear", [y, m.init("ys", np.float32(ys)), m.init("yzp", np.array(yzp, np.int8))], "y")
    m.save(out, quantize(ref, ys, yzp, np.int8), "y", expect)


def main(out):
    # Direct kernel, per-channel weights, bias and relu fused.
    conv_model(out, "conv_relu", expect=[r"nn\.qconv .*bias\(.*act relu", r"input_unsigned"])
    # BatchNormalization after the int8 conv: its scale goes into the filter
    # scales, its shift into the bias (no nn.binary left); per-tensor
    # weights, int8 input, stride 2 (gathered windows).
    conv_model(out, "conv_bn_stride2", xdt=np.int8, c=3, h=11, f=12, stride=2, per_channel=False, bn=True,
               expect=[r"nn\.qconv .*act relu", r"^(?![\s\S]*nn\.binary)"])
    # Residual add of a dequantized tensor, then relu: 1x1 convolution.
    conv_model(out, "conv_1x1_residual", c=16, h=7, f=40, k=1, pad=0, residual=True,
               expect=[r"nn\.qconv .*residual\(.*act relu"])
    # Depthwise, uint8 input: the int8 depthwise kernel (the input moved to
    # int8 by the lowering); int8 input at stride 2.  Two groups of 4
    # channels: stays float (no int8 kernel for other grouped convolutions).
    conv_model(out, "conv_depthwise", c=8, f=8, groups=8,
               expect=[r"nn\.qconv .*groups = 8 : i64, input_scale = [-0-9.e+]+ : f32, input_unsigned"])
    conv_model(out, "conv_depthwise_s8_stride2", xdt=np.int8, c=8, h=11, f=8, stride=2, groups=8,
               expect=[r"nn\.qconv .*groups = 8 : i64, input_scale = [-0-9.e+]+ : f32, input_zero_point"])
    conv_model(out, "conv_grouped_float", c=8, f=8, groups=2, expect=[NO_INT8_LAYER, r"nn\.conv "])
    matmul_model(out, "matmul_bias", expect=[r"nn\.qmatmul .*bias\("])
    matmul_model(out, "matmul_3d", ashape=(2, 4, 16), nn_=40, adt=np.uint8, axis=None,
                 expect=[r"nn\.qmatmul .*bias\(", r"lhs_unsigned"])
    matmul_model(out, "gemm_transb", op="Gemm", ashape=(6, 24), nn_=33, adt=np.uint8, axis=0, trans_b=True,
                 alpha=0.5, expect=[r"nn\.qmatmul .*bias\("])
    # Weights quantized per row of K (axis 0): not per output column, stays float.
    matmul_model(out, "matmul_axis0_float", axis=0, expect=[NO_INT8_LAYER, r"nn\.matmul "])


if __name__ == "__main__":
    main(sys.argv[1])
