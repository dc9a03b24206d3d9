#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""RoiAlign and GridSample models with numpy reference outputs (ONNX
backend-test layout).

    make_vision_models.py OUT

ONNX's backend tests only use sampling_ratio = 2 in avg mode.  These cases
cover the ONNX default sampling_ratio = 0 (adaptive: ceil(roi size / output
size) samples per bin and axis, decided per roi at run time), max mode, both
coordinate transformation modes, a dynamic number of rois, rois partly
outside the image and a degenerate roi.  The reference is a direct numpy
transcription of onnxruntime's RoiAlign (which the ONNX reference follows).

GridSample (opset 20): every mode x padding_mode x align_corners combination
(the backend tests cover 6 of the 18), with grid points on the corners, the
centre and far outside the image.

TfIdfVectorizer (integer pools): IDF and TFIDF with weights, 1-D input,
min_gram_length > 1 (the backend tests use TF without weights only).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def roi_align_ref(X, rois, bi, PH, PW, sr, scale, half, mx):
    _, C, H, W = X.shape
    R = rois.shape[0]
    Y = np.zeros((R, C, PH, PW), np.float64)
    off = 0.5 if half else 0.0
    for r in range(R):
        x1, y1, x2, y2 = [float(v) * scale - off for v in rois[r]]
        rw, rh = x2 - x1, y2 - y1
        if not half:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / PH, rw / PW
        gh = sr if sr > 0 else int(np.ceil(rh / PH))
        gw = sr if sr > 0 else int(np.ceil(rw / PW))
        cnt = max(gh * gw, 1)
        for c in range(C):
            img = X[bi[r], c].astype(np.float64)
            for ph in range(PH):
                for pw in range(PW):
                    acc, first = 0.0, True
                    for iy in range(gh):
                        for ix in range(gw):
                            y = y1 + ph * bh + (iy + .5) * bh / gh
                            x = x1 + pw * bw + (ix + .5) * bw / gw
                            if y < -1 or y > H or x < -1 or x > W:
                                v = 0.0
                            else:
                                y, x = max(y, 0.0), max(x, 0.0)
                                yl, xl = int(y), int(x)
                                if yl >= H - 1:
                                    yh = yl = H - 1
                                    y = float(yl)
                                else:
                                    yh = yl + 1
                                if xl >= W - 1:
                                    xh = xl = W - 1
                                    x = float(xl)
                                else:
                                    xh = xl + 1
                                ly, lx = y - yl, x - xl
                                hy, hx = 1 - ly, 1 - lx
                                t = [hy * hx * img[yl, xl], hy * lx * img[yl, xh],
                                     ly * hx * img[yh, xl], ly * lx * img[yh, xh]]
                                v = max(t) if mx else sum(t)
                            if mx:
                                acc = v if first else max(acc, v)
                                first = False
                            else:
                                acc += v
                    Y[r, c, ph, pw] = acc if mx else acc / cnt
    return Y.astype(np.float32)


def grid_sample_ref(X, G, mode, pad, align):
    """ONNX GridSample as ONNX's reference implementation (PyTorch's grid_sample,
    except that cubic sampling with border padding first clamps source
    coordinates outside [x_min, x_max]), in float64."""
    N, C, H, W = X.shape
    _, Ho, Wo, _ = G.shape
    Y = np.zeros((N, C, Ho, Wo))
    def unnorm(c, s):
        return (c + 1) / 2 * (s - 1) if align else ((c + 1) * s - 1) / 2
    def reflect(c, lo2, hi2):
        if lo2 == hi2:
            return 0.0
        mn, span = lo2 / 2, (hi2 - lo2) / 2
        c = abs(c - mn)
        extra = np.fmod(c, span)
        flips = np.floor(c / span)
        return extra + mn if flips % 2 == 0 else span - extra + mn
    def compute(c, s):
        if pad == "border":
            return min(s - 1.0, max(c, 0.0))
        if pad == "reflection":
            c = reflect(c, 0, 2 * (s - 1)) if align else reflect(c, -1, 2 * s - 1)
            return min(s - 1.0, max(c, 0.0))
        return c
    def at(img, y, x):
        yi, xi = int(y), int(x)
        if 0 <= y and 0 <= x and yi < H and xi < W:
            return img[yi, xi]
        return 0.0
    def cc1(t, A=-0.75): return ((A + 2) * t - (A + 3)) * t * t + 1
    def cc2(t, A=-0.75): return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A
    for n in range(N):
        for h in range(Ho):
            for w in range(Wo):
                ix, iy = unnorm(float(G[n, h, w, 0]), W), unnorm(float(G[n, h, w, 1]), H)
                for c in range(C):
                    img = X[n, c].astype(np.float64)
                    if mode == "nearest":
                        x, y = np.round(compute(ix, W)), np.round(compute(iy, H))
                        Y[n, c, h, w] = at(img, y, x)
                    elif mode == "linear":
                        x, y = compute(ix, W), compute(iy, H)
                        x0, y0 = np.floor(x), np.floor(y)
                        tx, ty = x - x0, y - y0
                        Y[n, c, h, w] = ((1 - tx) * (1 - ty) * at(img, y0, x0) + tx * (1 - ty) * at(img, y0, x0 + 1)
                                         + (1 - tx) * ty * at(img, y0 + 1, x0) + tx * ty * at(img, y0 + 1, x0 + 1))
                    else:
                        if pad == "border":
                            lo, hiw, hih = (0.0, W - 1.0, H - 1.0) if align else (-0.5, W - 0.5, H - 0.5)
                            if ix < lo or ix > hiw:
                                ix = min(W - 1.0, max(ix, 0.0))
                            if iy < lo or iy > hih:
                                iy = min(H - 1.0, max(iy, 0.0))
                        x0, y0 = np.floor(ix), np.floor(iy)
                        tx, ty = ix - x0, iy - y0
                        cx = [cc2(tx + 1), cc1(tx), cc1(1 - tx), cc2(2 - tx)]
                        cy = [cc2(ty + 1), cc1(ty), cc1(1 - ty), cc2(2 - ty)]
                        s = 0.0
                        for j in range(4):
                            yy = compute(y0 - 1 + j, H)
                            for i in range(4):
                                s += cy[j] * cx[i] * at(img, yy, compute(x0 - 1 + i, W))
                        Y[n, c, h, w] = s
    return Y.astype(np.float32)



def tfidf_ref(X, mode, mn, mx, skip, counts, idx, pool, weights):
    """TfIdfVectorizer as ONNX's reference: n-grams of length mn..mx at every
    start, with gaps of 0..skip between their tokens (unigrams counted once)."""
    # n-grams of the pool
    grams = {}
    k = 0
    for n in range(1, len(counts) + 1):
        s = counts[n - 1]; e = counts[n] if n < len(counts) else len(pool)
        for i in range(s, e, n):
            grams[tuple(pool[i:i + n])] = k; k += 1
    ncol = max(idx) + 1
    rows = X.reshape(1, -1) if X.ndim == 1 else X
    out = np.zeros((rows.shape[0], ncol), np.float32)
    for r, row in enumerate(rows):
        L = len(row)
        for n in range(mn, mx + 1):
            for s in range(0, skip + 1) if n > 1 else [0]:
                for i in range(L):
                    pos = [i + j * (s + 1) for j in range(n)]
                    if pos[-1] >= L: continue
                    g = tuple(int(row[p]) for p in pos)
                    if g in grams:
                        out[r, idx[grams[g]]] += 1
    w = np.array(weights if weights is not None else [1.0] * len(idx), np.float32)
    colw = np.zeros(ncol, np.float32)
    for gi, c in enumerate(idx): colw[c] = w[gi]
    if mode == "IDF": out = (out > 0).astype(np.float32) * colw
    elif mode == "TFIDF": out = out * colw
    return out[0] if X.ndim == 1 else out


def save(out, name, node, ins, outs, dyn_rois=False, opset=16):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)

    def info(n, a, t):
        shape = list(a.shape)
        if dyn_rois and n in ("rois", "batch_indices", "Y"):
            shape[0] = "R"
        return helper.make_tensor_value_info(n, t, shape)

    g = helper.make_graph([node], name, [info(n, a, t) for n, a, t in ins], [info(n, a, t) for n, a, t in outs])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), os.path.join(d, "model.onnx"))
    for k, (n, a, _) in enumerate(ins):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (n, a, _) in enumerate(outs):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())


def main(out):
    rng = np.random.default_rng(7)
    cases = [
        ("roialign_adaptive_avg", 0, 1.0, "half_pixel", "avg", False),
        ("roialign_adaptive_max", 0, 0.5, "output_half_pixel", "max", True),
        ("roialign_adaptive_avg_out_half", 0, 0.25, "output_half_pixel", "avg", True),
        ("roialign_fixed_max", 3, 0.5, "half_pixel", "max", False),
    ]
    for name, sr, scale, ctm, mode, dyn in cases:
        X = rng.random((2, 3, 12, 11), dtype=np.float32)
        # In pixels of X: a roi inside, one fractional, one partly outside,
        # a degenerate (almost empty) one, a large one.
        rois = np.array([[0, 0, 9, 9], [1.3, 2.2, 10.5, 7.7], [-3, -2, 30, 40],
                         [5, 5, 5.2, 5.1], [2, 3, 20, 11]], np.float32) / np.float32(scale)
        bi = np.array([0, 1, 1, 0, 1], np.int64)
        PH, PW = 3, 4
        Y = roi_align_ref(X, rois, bi, PH, PW, sr, scale, ctm == "half_pixel", mode == "max")
        node = helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"], output_height=PH,
                                output_width=PW, sampling_ratio=sr, spatial_scale=scale,
                                coordinate_transformation_mode=ctm, mode=mode)
        save(out, name, node, [("X", X, F), ("rois", rois, F), ("batch_indices", bi, I64)], [("Y", Y, F)], dyn)
    for mode in ["nearest", "linear", "cubic"]:
        for pad in ["zeros", "border", "reflection"]:
            for align in [0, 1]:
                X = rng.standard_normal((2, 2, 4, 5)).astype(np.float32)
                G = rng.uniform(-1.7, 1.7, (2, 3, 6, 2)).astype(np.float32)
                G[0, 0] = np.array([[-1, -1], [1, 1], [-1, 1], [0, 0], [1.5, -1.25], [-3.1, 2.6]], np.float32)
                Y = grid_sample_ref(X, G, mode, pad, align)
                node = helper.make_node("GridSample", ["X", "grid"], ["Y"], mode=mode, padding_mode=pad,
                                        align_corners=align)
                save(out, f"gridsample_{mode}_{pad}_{align}", node, [("X", X, F), ("grid", G, F)], [("Y", Y, F)],
                     opset=20)
    pool = [2, 3, 5, 4, 5, 6, 7, 8, 6, 7]  # unigrams 2 3 5 4; bigrams (5, 6) (7, 8) (6, 7)
    counts, idx = [0, 4], [0, 1, 2, 3, 4, 5, 6]
    X2 = np.array([[1, 1, 3, 3, 3, 7], [8, 6, 7, 5, 6, 8]], np.int32)
    X1 = np.array([1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8], np.int64)
    w = [0.5, 1.5, 2, 3, 0.25, 4, 1.25]
    for name, X, mode, mn, mx, skip, wts in [("tfidf_idf_weights", X2, "IDF", 1, 2, 2, w),
                                              ("tfidf_tfidf_weights", X2, "TFIDF", 1, 2, 3, w),
                                              ("tfidf_tf_1d_min2", X1, "TF", 2, 2, 1, None)]:
        Y = tfidf_ref(X, mode, mn, mx, skip, counts, idx, pool, wts)
        kw = dict(mode=mode, min_gram_length=mn, max_gram_length=mx, max_skip_count=skip, ngram_counts=counts,
                  ngram_indexes=idx, pool_int64s=pool)
        if wts is not None:
            kw["weights"] = wts
        node = helper.make_node("TfIdfVectorizer", ["X"], ["Y"], **kw)
        it = TensorProto.INT32 if X.dtype == np.int32 else I64
        save(out, name, node, [("X", X, it)], [("Y", Y, F)], opset=9)


if __name__ == "__main__":
    main(sys.argv[1])
