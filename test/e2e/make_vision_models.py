#!/usr/bin/python3
"""RoiAlign models with numpy reference outputs (ONNX backend-test layout).

    make_vision_models.py OUT

ONNX's backend tests only use sampling_ratio = 2 in avg mode.  These cases
cover the ONNX default sampling_ratio = 0 (adaptive: ceil(roi size / output
size) samples per bin and axis, decided per roi at run time), max mode, both
coordinate transformation modes, a dynamic number of rois, rois partly
outside the image and a degenerate roi.  The reference is a direct numpy
transcription of onnxruntime's RoiAlign (which the ONNX reference follows).
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


def save(out, name, node, ins, outs, dyn_rois=False):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)

    def info(n, a, t):
        shape = list(a.shape)
        if dyn_rois and n in ("rois", "batch_indices", "Y"):
            shape[0] = "R"
        return helper.make_tensor_value_info(n, t, shape)

    g = helper.make_graph([node], name, [info(n, a, t) for n, a, t in ins], [info(n, a, t) for n, a, t in outs])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)]), os.path.join(d, "model.onnx"))
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


if __name__ == "__main__":
    main(sys.argv[1])
