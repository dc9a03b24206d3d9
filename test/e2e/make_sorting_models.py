#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Sorting-family models with numpy reference outputs (ONNX backend-test layout).

    make_sorting_models.py OUT

Cases go beyond ONNX's own backend tests: long reduction axes with many
ties (tiled and vectorized code), integer inputs, old opsets (Hardmax-11
coerced to 2-D, TopK-1 with a k attribute), a run-time CumSum axis on a
3-D input, Unique along an axis without sorting, empty NonZero and
NonMaxSuppression results, NonMaxSuppression without a score threshold.
The references are plain numpy (np.argmax, np.cumsum, np.unique, a stable
lexsort for TopK) or, for NonMaxSuppression, a direct Python transcription
of the greedy algorithm.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DT = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32, np.int64: TensorProto.INT64,
      np.bool_: TensorProto.BOOL}


def save(out, name, opset, nodes, inputs, outputs, inits=(), sym=None):
    """inputs/outputs: lists of (name, array); inits: list of (name, array);
    sym: {input name: declared shape with symbolic dims}."""
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    sym = sym or {}
    vi = lambda n, a, shaped: helper.make_tensor_value_info(n, DT[a.dtype.type],
                                                            sym.get(n, a.shape) if shaped else None)
    g = helper.make_graph(nodes, name, [vi(n, a, True) for n, a in inputs], [vi(n, a, False) for n, a in outputs],
                          initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, os.path.join(d, "model.onnx"))
    for kind, lst in (("input", inputs), ("output", outputs)):
        for i, (n, a) in enumerate(lst):
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())


def topk_ref(x, k, axis, largest):
    x = np.moveaxis(x, axis, -1)
    idx = np.empty(x.shape[:-1] + (k,), np.int64)
    for pos in np.ndindex(*x.shape[:-1]):
        row = x[pos]
        keys = -row.astype(np.float64) if largest else row.astype(np.float64)
        order = np.lexsort((np.arange(len(row)), keys))  # by value, then index
        idx[pos] = order[:k]
    vals = np.take_along_axis(x, idx, -1)
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


def nms_ref(boxes, scores, max_out, iou_thr, score_thr, center):
    def corners(b):
        if center:
            xc, yc, w, h = b
            return yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2
        return min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])

    def iou(a, b):
        a, b = corners(a), corners(b)
        y0, x0, y1, x1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
        if y1 <= y0 or x1 <= x0:
            return 0.0
        inter = (y1 - y0) * (x1 - x0)
        aa = (a[2] - a[0]) * (a[3] - a[1])
        ab = (b[2] - b[0]) * (b[3] - b[1])
        if aa <= 0 or ab <= 0:
            return 0.0
        return inter / (aa + ab - inter)

    out = []
    for bi in range(boxes.shape[0]):
        for ci in range(scores.shape[1]):
            s = scores[bi, ci]
            cand = [i for i in range(len(s)) if score_thr is None or s[i] > score_thr]
            cand.sort(key=lambda i: (-s[i], i))
            sel = []
            for i in cand:
                if len(sel) >= max_out:
                    break
                if all(iou(boxes[bi, i], boxes[bi, j]) <= iou_thr for j in sel):
                    sel.append(i)
            out += [[bi, ci, i] for i in sel]
    return np.array(out, np.int64).reshape(-1, 3)


def main():
    out = sys.argv[1]
    rng = np.random.RandomState(7)

    # Long reduction axis (tiled by 64, vectorizable) with many ties.
    x = rng.randint(0, 5, size=(3, 200)).astype(np.float32)
    save(out, "argmax_wide_ties", 13,
         [helper.make_node("ArgMax", ["x"], ["y"], axis=-1, keepdims=0)],
         [("x", x)], [("y", np.argmax(x, axis=-1).astype(np.int64))])
    save(out, "argmin_wide_last", 13,
         [helper.make_node("ArgMin", ["x"], ["y"], axis=1, keepdims=1, select_last_index=1)],
         [("x", x)], [("y", (199 - np.argmin(x[:, ::-1], axis=1)).reshape(3, 1).astype(np.int64))])
    xi = rng.randint(-3, 3, size=(4, 5, 6)).astype(np.int32)
    save(out, "argmax_int32", 13,
         [helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)],
         [("x", xi)], [("y", np.argmax(xi, axis=1).astype(np.int64))])

    # Hardmax-11: the input is coerced to 2-D at `axis`.
    h = rng.randint(0, 4, size=(2, 3, 4)).astype(np.float32)
    flat = h.reshape(2, 12)
    ref = np.zeros_like(flat)
    ref[np.arange(2), np.argmax(flat, axis=1)] = 1
    save(out, "hardmax_v11", 11, [helper.make_node("Hardmax", ["x"], ["y"], axis=1)],
         [("x", h)], [("y", ref.reshape(2, 3, 4))])

    # TopK-1 (k attribute), ties.
    t = rng.randint(0, 4, size=(3, 7)).astype(np.float32)
    v, i = topk_ref(t, 3, 1, True)
    save(out, "topk_v1", 9, [helper.make_node("TopK", ["x"], ["v", "i"], k=3)],
         [("x", t)], [("v", v), ("i", i)])
    # TopK-11 along axis 0 of a 3-D int64 input, constant k, smallest first.
    t3 = rng.randint(0, 3, size=(6, 3, 2)).astype(np.int64)
    v, i = topk_ref(t3, 4, 0, False)
    save(out, "topk_axis0_smallest_int", 11,
         [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=0, largest=0, sorted=1)],
         [("x", t3)], [("v", v), ("i", i)], inits=[("k", np.array([4], np.int64))])

    # CumSum: constant axis on int32, exclusive + reverse.
    c = rng.randint(-5, 5, size=(3, 4, 2)).astype(np.int32)
    rev = np.flip(c, 1)
    ex = np.cumsum(rev, axis=1) - rev
    save(out, "cumsum_int_const_axis", 14,
         [helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=1, reverse=1)],
         [("x", c)], [("y", np.flip(ex, 1).astype(np.int32))], inits=[("axis", np.array(1, np.int64))])
    # CumSum: run-time axis on a 3-D input.
    cf = rng.randn(2, 3, 4).astype(np.float32)
    save(out, "cumsum_runtime_axis", 14, [helper.make_node("CumSum", ["x", "axis"], ["y"])],
         [("x", cf), ("axis", np.array(-1, np.int64))], [("y", np.cumsum(cf, axis=2))])

    # Unique along axis 1, not sorted (order of first occurrence).
    u = np.array([[1, 3, 1, 2, 3], [0, 5, 0, 2, 4]], np.int64)
    y, idx, inv, cnt = np.unique(u, axis=1, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(idx, kind="stable")
    pos = np.empty_like(order)
    pos[order] = np.arange(len(order))
    save(out, "unique_axis1_unsorted", 11,
         [helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"], axis=1, sorted=0)],
         [("x", u)], [("y", y[:, order]), ("idx", idx[order].astype(np.int64)),
                      ("inv", pos[inv.reshape(-1)].astype(np.int64)), ("cnt", cnt[order].astype(np.int64))])
    # Unique of a 2-D float tensor, sorted, only Y and counts... (outputs 0, 3).
    uf = rng.randint(0, 4, size=(3, 4)).astype(np.float32)
    y, idx, inv, cnt = np.unique(uf, return_index=True, return_inverse=True, return_counts=True)
    save(out, "unique_flat_sorted", 11,
         [helper.make_node("Unique", ["x"], ["y", "idx"])],
         [("x", uf)], [("y", y), ("idx", idx.astype(np.int64))])

    # Larger Unique inputs (several merge-sort levels, n not a power of 2):
    # rows along axis 0 sorted, and unsorted elements; all four outputs.
    ur = rng.randint(0, 2, size=(13, 3)).astype(np.int64)
    y, idx, inv, cnt = np.unique(ur, axis=0, return_index=True, return_inverse=True, return_counts=True)
    save(out, "unique_rows_sorted", 11,
         [helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"], axis=0, sorted=1)],
         [("x", ur)], [("y", y), ("idx", idx.astype(np.int64)), ("inv", inv.reshape(-1).astype(np.int64)),
                       ("cnt", cnt.astype(np.int64))])
    ue = rng.randint(0, 9, size=(37,)).astype(np.float32)
    y, idx, inv, cnt = np.unique(ue, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(idx, kind="stable")
    pos = np.empty_like(order)
    pos[order] = np.arange(len(order))
    save(out, "unique_unsorted_large", 11,
         [helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"], sorted=0)],
         [("x", ue)], [("y", y[order]), ("idx", idx[order].astype(np.int64)),
                       ("inv", pos[inv.reshape(-1)].astype(np.int64)), ("cnt", cnt[order].astype(np.int64))])

    # Symbolic input dims (run-time loop bounds and output sizes).
    xd = rng.randint(0, 5, size=(5, 70)).astype(np.float32)
    save(out, "argmin_dyn", 13, [helper.make_node("ArgMin", ["x"], ["y"], axis=0, keepdims=0)],
         [("x", xd)], [("y", np.argmin(xd, 0).astype(np.int64))], sym={"x": ["N", "M"]})
    td = rng.randn(6, 5).astype(np.float32)
    v, i = topk_ref(td, 2, 1, True)
    save(out, "topk_dyn", 13, [helper.make_node("TopK", ["x", "k"], ["v", "i"])],
         [("x", td), ("k", np.array([2], np.int64))], [("v", v), ("i", i)], sym={"x": ["N", 5]})
    cd = rng.randn(5, 4).astype(np.float32)
    save(out, "cumsum_dyn", 14, [helper.make_node("CumSum", ["x", "a"], ["y"], exclusive=1)],
         [("x", cd), ("a", np.array(0, np.int32))], [("y", np.cumsum(cd, 0) - cd)], sym={"x": ["N", 4]})
    ud = rng.randint(0, 3, size=(7,)).astype(np.float32)
    y, idx, inv, cnt = np.unique(ud, return_index=True, return_inverse=True, return_counts=True)
    save(out, "unique_dyn", 11, [helper.make_node("Unique", ["x"], ["y", "i", "v", "c"])],
         [("x", ud)], [("y", y), ("i", idx.astype(np.int64)), ("v", inv.reshape(-1).astype(np.int64)),
                       ("c", cnt.astype(np.int64))], sym={"x": ["N"]})

    # NonZero: none at all, and a 3-D int32 input.
    z = np.zeros((2, 3), np.float32)
    save(out, "nonzero_empty", 13, [helper.make_node("NonZero", ["x"], ["y"])],
         [("x", z)], [("y", np.array(np.nonzero(z), np.int64).reshape(2, 0))])
    nz = rng.randint(0, 2, size=(2, 3, 4)).astype(np.int32)
    save(out, "nonzero_int3d", 13, [helper.make_node("NonZero", ["x"], ["y"])],
         [("x", nz)], [("y", np.array(np.nonzero(nz), np.int64))], sym={"x": [2, "N", 4]})

    # NonMaxSuppression: 2 batches x 3 classes, random boxes, no score
    # threshold; and without max_output_boxes_per_class (empty result).
    boxes = rng.rand(2, 10, 4).astype(np.float32)
    boxes[..., 2:] = boxes[..., :2] + 0.5 * rng.rand(2, 10, 2).astype(np.float32)
    scores = rng.rand(2, 3, 10).astype(np.float32)
    mo = np.array([4], np.int64)
    iou = np.array([0.3], np.float32)
    save(out, "nms_no_score_threshold", 11,
         [helper.make_node("NonMaxSuppression", ["b", "s", "m", "iou"], ["y"])],
         [("b", boxes), ("s", scores), ("m", mo), ("iou", iou)],
         [("y", nms_ref(boxes, scores, 4, 0.3, None, False))])
    cboxes = rng.rand(1, 8, 4).astype(np.float32)
    cscores = rng.rand(1, 2, 8).astype(np.float32)
    save(out, "nms_center_threshold", 11,
         [helper.make_node("NonMaxSuppression", ["b", "s", "m", "iou", "st"], ["y"], center_point_box=1)],
         [("b", cboxes), ("s", cscores), ("m", np.array([10], np.int64)), ("iou", np.array([0.2], np.float32)),
          ("st", np.array([0.3], np.float32))],
         [("y", nms_ref(cboxes, cscores, 10, 0.2, 0.3, True))])
    save(out, "nms_no_max_output", 11, [helper.make_node("NonMaxSuppression", ["b", "s"], ["y"])],
         [("b", boxes), ("s", scores)], [("y", np.zeros((0, 3), np.int64))])


if __name__ == "__main__":
    main()
