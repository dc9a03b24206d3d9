#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Models whose height and width (and batch) are dynamic, as OCR and
segmentation exports keep them, with torch's outputs at two input sizes as
the reference (ONNX backend-test layout).

    make_dynamic_spatial_models.py OUT          # the models and data sets
    make_dynamic_spatial_models.py --errors OUT # models Kiln must refuse

AveragePool (with and without count_include_pad: per-position divisors
computed at run time), ConvTranspose (stride 2 upsamplers, output_padding,
groups with pads beyond the kernel, i.e. a cropped result, and 1-D), and a
small U-Net-like network (conv, max pool, transposed conv, skip add, average
pool).  Checked by run_graph_models.py (dynamic_spatial.test).  The error
models are built with onnx.helper: pools with auto_pad SAME_UPPER or
ceil_mode and a ConvTranspose with output_shape, all on dynamic spatial dims.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper, save_model
from torch_reference import seed_parameters, write_data_set


class UNetish(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(3, 8, 3, padding=1)
        s.c2 = nn.Conv2d(8, 16, 3, padding=1)
        s.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        s.head = nn.Conv2d(8, 4, 1)

    def forward(s, x):
        a = F.relu(s.c1(x))
        b = F.relu(s.c2(F.max_pool2d(a, 2)))
        u = s.up(b)
        return F.avg_pool2d(s.head(u + a), 3, stride=1, padding=1, count_include_pad=False)


# name: (module, channels, sizes of the two data sets ((N, H, W) or (N, L)))
SIZES_2D = [(1, 17, 23), (2, 32, 20)]
MODELS = {
    "avgpool_3x3_s2_pad1": (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), 5, SIZES_2D),
    "avgpool_3x3_s2_pad1_cip": (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True), 5, SIZES_2D),
    "avgpool_2x2": (nn.AvgPool2d(2), 3, SIZES_2D),
    "avgpool_5x3_pad2x1": (nn.AvgPool2d((5, 3), stride=(1, 2), padding=(2, 1), count_include_pad=False), 2, SIZES_2D),
    "convtranspose_4x4_s2": (nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1), 8, SIZES_2D),
    "convtranspose_3x3_s2_outpad": (nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1), 4, SIZES_2D),
    "convtranspose_grouped_crop": (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=3, groups=2), 4, SIZES_2D),
    "convtranspose1d_s2": (nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), 4, [(1, 19), (3, 40)]),
    "avgpool1d_3_s2_pad1": (nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), 4, [(1, 19), (3, 40)]),
    "unet_like": (UNetish(), 3, [(1, 16, 24), (2, 32, 20)]),
}


def save(out, name, m, c, sizes):
    seed_parameters(m, name)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    n, *spatial = sizes[0]
    x = torch.randn(n, c, *spatial)
    axes = {0: "batch", 2: "h", 3: "w"} if len(spatial) == 2 else {0: "batch", 2: "length"}
    torch.onnx.export(m, (x,), os.path.join(d, "model.onnx"), opset_version=17, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": axes, "y": axes})
    for k, (n, *spatial) in enumerate(sizes):
        write_data_set(d, k, x if k == 0 else torch.randn(n, c, *spatial), m)


def error_models(out):
    os.makedirs(out, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

    def one(name, node, inits=()):
        g = helper.make_graph([node], name, [x], [y], initializer=list(inits))
        save_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
                   os.path.join(out, name + ".onnx"))

    one("avgpool_same", helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], auto_pad="SAME_UPPER",
                                         strides=[2, 2], name="pool_same"))
    one("maxpool_ceil", helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1,
                                         name="pool_ceil"))
    w = numpy_helper.from_array(torch.zeros(3, 2, 3, 3).numpy(), "w")
    one("convtranspose_output_shape",
        helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], output_shape=[20, 20], name="up"), [w])


def main():
    if sys.argv[1] == "--errors":
        error_models(sys.argv[2])
        return
    for name, (m, c, sizes) in MODELS.items():
        save(sys.argv[1], name, m, c, sizes)


if __name__ == "__main__":
    main()
