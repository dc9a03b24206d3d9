#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Generate small hand-written ONNX test models (onnx.helper + numpy, no torch).

Writes into OUT:

    OUT/malformed.onnx          truncated protobuf bytes of a valid model
    OUT/unsupported_op.onnx     node "weird_node" of op type "NotARealOp" (default domain)
    OUT/<name>/model.onnx       tiny single-op models, with reference data in the ONNX
    OUT/<name>/test_data_set_0/{input_<i>.pb, output_<j>.pb}   backend-test layout

Every .pb is a serialized onnx.TensorProto named after the graph input/output.
Reference outputs are computed with numpy (float64, then cast to float32) from
the operator's definition at the model's opset.  Weights that a real model
would store as initializers (conv weights, gemm B/C, axes, pads, split sizes,
clip bounds) are initializers; everything else is a graph input.  Pairs of
models at different opsets exercise the operator changes that Kiln's importer
adapts (attributes that became inputs, the pre-13 Softmax 2-D coercion).

onnx 1.12 (Debian bookworm) knows opsets up to 17: models at opset 18 are
written with onnx.helper directly and are not run through onnx.checker; all
others are checked (full check with shape inference).

usage:
  /usr/bin/python3 scripts/make_test_models.py OUT [--only name1,name2]
  /usr/bin/python3 scripts/make_test_models.py --list
"""
import argparse
import os
import shutil
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
MAX_CHECKED_OPSET = 17  # onnx 1.12


# ---------------------------------------------------------------------------
# numpy references
def ref_conv2d(x, w, b, strides, pads, dilations, group):
    """x [N,C,H,W], w [M,C/group,kh,kw], pads [top,left,bottom,right]."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dilations[0], j * dilations[1]
                patch = xs[:, :, r0:r0 + strides[0] * (oh - 1) + 1:strides[0],
                           c0:c0 + strides[1] * (ow - 1) + 1:strides[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def ref_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_softmax_opset11(x, axis):
    """Opset < 13: coerce to 2-D [prod(shape[:axis]), prod(shape[axis:])]."""
    shape = x.shape
    x2 = x.reshape(int(np.prod(shape[:axis])), -1)
    return ref_softmax(x2, 1).reshape(shape)


# ---------------------------------------------------------------------------
# building blocks
def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def _tensor_type(arr):
    from onnx import mapping  # onnx 1.12 has no helper.np_dtype_to_tensor_dtype
    return mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]


def init(name, arr):
    return numpy_helper.from_array(arr, name=name)


def rnd(name, shape):
    rng = np.random.RandomState(zlib.crc32(name.encode()) & 0x7FFFFFFF)
    return rng.standard_normal(shape).astype(np.float32)


class Case:
    def __init__(self, name, doc, opset, nodes, inputs, outputs, initializers=()):
        """inputs: [(name, ndarray)], outputs: [(name, ndarray reference)]."""
        self.name, self.doc, self.opset = name, doc, opset
        self.nodes, self.inputs, self.outputs = nodes, inputs, outputs
        self.initializers = list(initializers)

    def model(self):
        g = helper.make_graph(
            self.nodes, self.name,
            [vi(n, _tensor_type(a), list(a.shape)) for n, a in self.inputs],
            [vi(n, _tensor_type(a), list(a.shape)) for n, a in self.outputs],
            self.initializers)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="kiln-make_test_models")
        m.ir_version = 8 if self.opset >= 15 else 7
        m.doc_string = self.doc
        return m


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ---------------------------------------------------------------------------
# single-op models
@case
def add_broadcast_opset13():
    a, b = rnd("add.a", (2, 3, 4)), rnd("add.b", (3, 1))
    return Case("add_broadcast_opset13", "Add, numpy broadcasting [2,3,4] + [3,1]", 13,
                [helper.make_node("Add", ["a", "b"], ["y"])],
                [("a", a), ("b", b)], [("y", (a.astype(np.float64) + b).astype(np.float32))])


@case
def matmul_batched_opset13():
    a, b = rnd("mm.a", (2, 3, 4)), rnd("mm.b", (4, 5))
    return Case("matmul_batched_opset13", "MatMul [2,3,4] x [4,5] (batched, broadcast B)", 13,
                [helper.make_node("MatMul", ["a", "b"], ["y"])],
                [("a", a), ("b", b)], [("y", (a.astype(np.float64) @ b).astype(np.float32))])


@case
def conv_groups_dilation_pads_opset13():
    x = rnd("conv.x", (1, 4, 9, 8))
    w = rnd("conv.w", (6, 2, 3, 3))
    b = rnd("conv.b", (6,))
    strides, pads, dil, group = [2, 1], [1, 2, 0, 1], [2, 1], 2
    y = ref_conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                   strides, pads, dil, group).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], group=group,
                            strides=strides, pads=pads, dilations=dil)
    return Case("conv_groups_dilation_pads_opset13",
                "Conv 4->6 channels, 3x3, group 2, strides [2,1], dilations [2,1], "
                "asymmetric pads [1,2,0,1]; W and B are initializers", 13,
                [node], [("x", x)], [("y", y)], [init("w", w), init("b", b)])


@case
def relu_opset13():
    x = rnd("relu.x", (2, 3, 4, 5))
    return Case("relu_opset13", "Relu on [2,3,4,5]", 13,
                [helper.make_node("Relu", ["x"], ["y"])], [("x", x)], [("y", np.maximum(x, 0))])


@case
def gemm_transb_opset13():
    a, bm, c = rnd("gemm.a", (3, 4)), rnd("gemm.b", (5, 4)), rnd("gemm.c", (5,))
    y = (0.5 * (a.astype(np.float64) @ bm.T.astype(np.float64)) + 2.0 * c).astype(np.float32)
    return Case("gemm_transb_opset13",
                "Gemm A[3,4] x B[5,4]^T (transB=1), alpha 0.5, beta 2.0, C[5] broadcast; "
                "B and C are initializers", 13,
                [helper.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
                [("a", a)], [("y", y)], [init("b", bm), init("c", c)])


def _softmax(opset):
    x = rnd("softmax.x", (2, 3, 4))
    ref = ref_softmax_opset11(x.astype(np.float64), 1) if opset < 13 else \
        ref_softmax(x.astype(np.float64), 1)
    what = ("opset < 13 semantics: input coerced to 2-D [2,12], softmax over 12 values"
            if opset < 13 else "opset 13 semantics: softmax along axis 1 only (3 values)")
    return Case(f"softmax_axis1_opset{opset}", f"Softmax axis=1 on [2,3,4]; {what}", opset,
                [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                [("x", x)], [("y", ref.astype(np.float32))])


@case
def softmax_axis1_opset11():
    return _softmax(11)


@case
def softmax_axis1_opset13():
    return _softmax(13)


@case
def reducemean_opset13():
    x = rnd("rm.x", (2, 3, 4))
    return Case("reducemean_opset13", "ReduceMean axes=[1] as attribute, keepdims=1", 13,
                [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=1)],
                [("x", x)], [("y", x.astype(np.float64).mean(1, keepdims=True).astype(np.float32))])


@case
def reducemean_opset18():
    x = rnd("rm.x", (2, 3, 4))
    return Case("reducemean_opset18",
                "ReduceMean axes=[-1,0] as initializer input, keepdims=0 (opset 18 form)", 18,
                [helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)],
                [("x", x)], [("y", x.astype(np.float64).mean((0, 2)).astype(np.float32))],
                [init("axes", np.array([-1, 0], dtype=np.int64))])


@case
def reducesum_opset11():
    x = rnd("rs.x", (2, 3, 4))
    return Case("reducesum_opset11", "ReduceSum axes=[0,2] as attribute, keepdims=1", 11,
                [helper.make_node("ReduceSum", ["x"], ["y"], axes=[0, 2], keepdims=1)],
                [("x", x)],
                [("y", x.astype(np.float64).sum((0, 2), keepdims=True).astype(np.float32))])


@case
def reducesum_opset13():
    x = rnd("rs.x", (2, 3, 4))
    return Case("reducesum_opset13",
                "ReduceSum axes=[1] as initializer input (opset 13 form), keepdims=0", 13,
                [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
                [("x", x)], [("y", x.astype(np.float64).sum(1).astype(np.float32))],
                [init("axes", np.array([1], dtype=np.int64))])


@case
def split_opset11():
    x = rnd("split.x", (2, 6))
    return Case("split_opset11", "Split axis=1, split=[2,4] as attribute; two outputs", 11,
                [helper.make_node("Split", ["x"], ["y0", "y1"], axis=1, split=[2, 4])],
                [("x", x)], [("y0", x[:, :2]), ("y1", x[:, 2:])])


@case
def split_opset13():
    x = rnd("split.x", (2, 6))
    return Case("split_opset13", "Split axis=1, split=[1,2,3] as initializer input; "
                "three outputs", 13,
                [helper.make_node("Split", ["x", "split"], ["y0", "y1", "y2"], axis=1)],
                [("x", x)], [("y0", x[:, :1]), ("y1", x[:, 1:3]), ("y2", x[:, 3:])],
                [init("split", np.array([1, 2, 3], dtype=np.int64))])


@case
def split_opset18():
    x = rnd("split.x", (7, 2))
    return Case("split_opset18", "Split axis=0 into num_outputs=3 (opset 18 attribute) of "
                "a dimension of 7: uneven, sizes [3,3,1]", 18,
                [helper.make_node("Split", ["x"], ["y0", "y1", "y2"], axis=0, num_outputs=3)],
                [("x", x)], [("y0", x[:3]), ("y1", x[3:6]), ("y2", x[6:])])


@case
def pad_opset10():
    x = rnd("pad.x", (1, 2, 3, 3))
    p = [0, 0, 1, 2, 0, 0, 2, 0]
    y = np.pad(x, ((0, 0), (0, 0), (1, 2), (2, 0)), constant_values=1.5)
    return Case("pad_opset10", "Pad constant 1.5, pads=[0,0,1,2,0,0,2,0] and value as "
                "attributes (opset 2..10 form)", 10,
                [helper.make_node("Pad", ["x"], ["y"], mode="constant", pads=p, value=1.5)],
                [("x", x)], [("y", y)])


@case
def pad_opset13():
    x = rnd("pad.x", (1, 2, 3, 3))
    y = np.pad(x, ((0, 0), (1, 0), (0, 1), (3, 2)), constant_values=-2.0)
    return Case("pad_opset13", "Pad constant, pads [0,1,0,3,0,0,1,2] and constant_value "
                "-2.0 as initializer inputs", 13,
                [helper.make_node("Pad", ["x", "pads", "cv"], ["y"], mode="constant")],
                [("x", x)], [("y", y)],
                [init("pads", np.array([0, 1, 0, 3, 0, 0, 1, 2], dtype=np.int64)),
                 init("cv", np.array(-2.0, dtype=np.float32))])


@case
def pad_opset18():
    x = rnd("pad.x", (1, 2, 3, 3))
    y = np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 2)))
    return Case("pad_opset18", "Pad constant 0 (no constant_value input), pads [1,2] "
                "for axes [-1] given by the opset 18 axes input", 18,
                [helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="constant")],
                [("x", x)], [("y", y)],
                [init("pads", np.array([1, 2], dtype=np.int64)),
                 init("axes", np.array([-1], dtype=np.int64))])


@case
def clip_opset10():
    x = rnd("clip.x", (3, 4))
    return Case("clip_opset10", "Clip min=-0.5 max=0.7 as attributes (the Clip-6 form, "
                "current up to opset 10)", 10,
                [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.7)],
                [("x", x)], [("y", np.clip(x, -0.5, 0.7))])


@case
def clip_opset13():
    x = rnd("clip.x", (3, 4))
    return Case("clip_opset13", "Clip with min omitted (empty input name) and max=0.7 as "
                "an initializer input (opset 11+ form)", 13,
                [helper.make_node("Clip", ["x", "", "max"], ["y"])],
                [("x", x)], [("y", np.minimum(x, np.float32(0.7)))],
                [init("max", np.array(0.7, dtype=np.float32))])


@case
def unsqueeze_opset11():
    x = rnd("unsq.x", (3, 4))
    return Case("unsqueeze_opset11", "Unsqueeze axes=[0,-1] as attribute -> [1,3,4,1]", 11,
                [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, -1])],
                [("x", x)], [("y", x.reshape(1, 3, 4, 1))])


@case
def unsqueeze_opset13():
    x = rnd("unsq.x", (3, 4))
    return Case("unsqueeze_opset13", "Unsqueeze axes=[1] as initializer input -> [3,1,4]", 13,
                [helper.make_node("Unsqueeze", ["x", "axes"], ["y"])],
                [("x", x)], [("y", x.reshape(3, 1, 4))],
                [init("axes", np.array([1], dtype=np.int64))])


# ---------------------------------------------------------------------------
# error cases
ERROR_CASES = {
    "malformed.onnx": "the serialized bytes of conv_groups_dilation_pads_opset13 cut to the "
                      "first ~60% (a length-delimited field runs past the end: not parseable)",
    "unsupported_op.onnx": "x -> Relu -> NotARealOp (node name \"weird_node\", default "
                           "domain, opset 13) -> y; otherwise valid",
}


def write_error_cases(out):
    m = conv_groups_dilation_pads_opset13().model()
    data = m.SerializeToString()
    cut = None
    for frac in (0.6, 0.5, 0.7, 0.4, 0.8):
        c = int(len(data) * frac)
        try:
            onnx.load_from_string(data[:c])
        except Exception:
            cut = c
            break
    if cut is None:
        raise RuntimeError("could not find a truncation point that fails to parse")
    with open(os.path.join(out, "malformed.onnx"), "wb") as f:
        f.write(data[:cut])

    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t"], name="relu"),
         helper.make_node("NotARealOp", ["t"], ["y"], name="weird_node")],
        "unsupported_op", [vi("x", F32, [2, 3])], [vi("y", F32, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="kiln-make_test_models")
    m.ir_version = 7
    onnx.save(m, os.path.join(out, "unsupported_op.onnx"))
    return len(data), cut


def write_case(c, out):
    d = os.path.join(out, c.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    m = c.model()
    if c.opset <= MAX_CHECKED_OPSET:
        onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (n, a) in enumerate(c.inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, name=n).SerializeToString())
    for j, (n, a) in enumerate(c.outputs):
        with open(os.path.join(d, "test_data_set_0", f"output_{j}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, name=n).SerializeToString())


def listing():
    lines = [f"  {k:36s} {v}" for k, v in ERROR_CASES.items()]
    for fn in CASES:
        c = fn()
        lines.append(f"  {c.name + '/':36s} opset {c.opset}: {c.doc}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="models written (--list prints the same):\n" + listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="output directory (created if needed)")
    ap.add_argument("--list", action="store_true", help="describe every model and exit")
    ap.add_argument("--only", default="", help="comma-separated subset of the single-op "
                    "models (the error cases are always written)")
    a = ap.parse_args()
    if a.list:
        print(listing())
        return 0
    if not a.out:
        ap.error("the output directory is required (or --list)")
    os.makedirs(a.out, exist_ok=True)
    only = {s for s in a.only.split(",") if s}
    cases = [fn() for fn in CASES]
    unknown = only - {c.name for c in cases}
    if unknown:
        ap.error(f"unknown model(s): {', '.join(sorted(unknown))}")
    full, cut = write_error_cases(a.out)
    print(f"malformed.onnx: {cut} of {full} bytes; unsupported_op.onnx")
    for c in cases:
        if only and c.name not in only:
            continue
        write_case(c, a.out)
        print(f"{c.name}: opset {c.opset}, {len(c.inputs)} input(s), {len(c.outputs)} "
              f"output(s){'' if c.opset <= MAX_CHECKED_OPSET else ' (not checked: opset > 17)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
