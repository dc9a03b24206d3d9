#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Stride-1 3x3 convolutions for kiln-cpu-winograd (F(4x4, 3x3) and
F(2x2, 3x3)), exported from torch with torch's outputs as the reference
(ONNX backend-test layout; the dynamic-batch models also at batch 2).

    make_winograd_models.py OUT

Cases: outputs that are not multiples of the tile (13 x 9: partial tiles
in both dims), more than 16 tiles per row (70 wide: two vectors of
tiles, the second masked), output channels that are not a multiple of
the products' 32-channel panels (40, 48), no bias, a fused residual and
ReLU, two layers in a row (the second reads the first's output through a
pad), a dynamic batch, and ResNet-50's shapes at 56x56 (64 channels) and
14x14 (256).  Each data set also holds ref64.npy, the module's result in
float64.  Checked by check_winograd.py (winograd.test).
"""
import copy
import glob
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

from make_conv_kernel_models import Conv, save


class Two(nn.Module):
    def __init__(s, c, f):
        super().__init__()
        s.a = nn.Conv2d(c, f, 3, padding=1)
        s.b = nn.Conv2d(f, f, 3, padding=1)

    def forward(s, x):
        return s.b(F.relu(s.a(x)))


# name: (module, input shape [C, H, W], dynamic batch)
MODELS = {
    "wg_13x9_partial_tiles": (Conv(40, 48, 3, relu=True), [40, 13, 9], True),
    "wg_6x70_two_tile_vectors": (Conv(32, 64, 3), [32, 6, 70], False),
    "wg_12x10_no_bias_f40": (Conv(48, 40, 3, bias=False), [48, 12, 10], False),
    "wg_14x14_residual_relu": (Conv(64, 64, 3, relu=True, residual=True), [64, 14, 14], True),
    "wg_two_layers": (Two(32, 32), [32, 11, 12], False),
    "wg_resnet_56x56": (Conv(64, 64, 3, relu=True), [64, 56, 56], True),
    "wg_resnet_14x14": (Conv(256, 256, 3, relu=True), [256, 14, 14], False),
    # A transformed filter over 1 MB in F(4x4) (36 x 64 x 128 floats): one
    # block per image; at a dynamic batch the loop over images stays
    # sequential and the stages' loops run on threads (kiln.batch_loop).
    "wg_dynamic_batch_one_block": (Conv(128, 64, 3, relu=True), [128, 10, 12], True),
}


def save_ref64(out, name, m):
    """ref64.npy in every data set: the module's result in float64."""
    m64 = copy.deepcopy(m).double()
    for sd in sorted(glob.glob(os.path.join(out, name, "test_data_set_*"))):
        x = numpy_helper.to_array(onnx.load_tensor(os.path.join(sd, "input_0.pb")))
        with torch.no_grad():
            y = m64(torch.from_numpy(x).double())
        np.save(os.path.join(sd, "ref64.npy"), y.numpy())


def main():
    for name, (m, shape, dynamic) in MODELS.items():
        save(sys.argv[1], name, m, shape, dynamic)
        save_ref64(sys.argv[1], name, m)


if __name__ == "__main__":
    main()
