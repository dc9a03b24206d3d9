#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Single convolutions that cover the CPU convolution micro-kernel's cases,
exported from torch with torch's outputs as the reference (ONNX backend-test
layout; a static-batch data set and, for the dynamic-batch models, a batch
of 2).

    make_conv_kernel_models.py OUT

Widths: 56 (chunks of 32, 16 and 8 columns), 14 (one masked register), 7,
40 (32 + 8); narrow 1x1 convolutions over flattened pixels (7 x 7 = 49 =
32 + 16 + 1, 6 x 13 = 78); 1x1 and 3x3 kernels, stride 2, dilation 2, channel counts that
are not multiples of 8 or 16, a fused bias + ReLU epilogue and a residual;
depthwise convolutions (the depthwise micro-kernel; stride 3 stays on the
general path); the packed micro-kernel's cases (pk_*, see MODELS); producers
that write a padded interior or a concat's slice in place (inplace_*).
Checked by run_graph_models.py (conv_kernels.test).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_reference import seed_parameters, write_data_set


class Conv(nn.Module):
    def __init__(s, c, f, k, stride=1, dil=1, relu=False, residual=False, bias=True, groups=1):
        super().__init__()
        s.c = nn.Conv2d(c, f, k, stride=stride, padding=dil * (k // 2), dilation=dil, bias=bias,
                        groups=groups)
        s.relu, s.residual = relu, residual

    def forward(s, x):
        y = s.c(x)
        if s.residual:
            y = y + x
        return F.relu(y) if s.relu else y


class Depthwise(nn.Module):
    def __init__(s, c, k, stride=1, dil=1):
        super().__init__()
        s.c = nn.Conv2d(c, c, k, stride=stride, padding=dil * (k // 2), dilation=dil, groups=c)

    def forward(s, x):
        return F.relu6(s.c(x))


class ConvT(nn.Module):
    def __init__(s, c, f, k, stride, padding=0, output_padding=0, groups=1, dil=1, bias=True, relu=False, dims=2):
        super().__init__()
        cls = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose1d
        s.c = cls(c, f, k, stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                  dilation=dil, bias=bias)
        s.relu = relu

    def forward(s, x):
        y = s.c(x)
        return F.relu(y) if s.relu else y


class InPlace(nn.Module):
    """Producers that write a padded interior or a concat's slice directly
    (kiln-cpu-pad-borders): a 1x1 convolution + ReLU6 into the padded
    input of a depthwise convolution (rows of `w` columns: 7 stacks two
    rows per packed tile), and two convolutions + ReLU into the halves of
    a concat (SqueezeNet's fire module), read by a 3x3 convolution."""

    def __init__(s, c, e):
        super().__init__()
        s.expand = nn.Conv2d(c, e, 1)
        s.dw = nn.Conv2d(e, e, 3, padding=1, groups=e)
        s.a = nn.Conv2d(e, c, 1)
        s.b = nn.Conv2d(e, c, 3, padding=1)
        s.out = nn.Conv2d(2 * c, c, 3, padding=1)

    def forward(s, x):
        y = F.relu6(s.dw(F.relu6(s.expand(x))))
        return s.out(torch.cat([F.relu(s.a(y)), F.relu(s.b(y))], 1))


# name: (module, input shape [C, H, W], dynamic batch)
MODELS = {
    "w56_3x3_relu": (Conv(16, 24, 3, relu=True), [16, 12, 56], False),
    "w56_1x1_residual": (Conv(32, 32, 1, relu=True, residual=True), [32, 5, 56], True),
    "w14_3x3": (Conv(64, 40, 3), [64, 14, 14], False),
    "w7_1x1_stride2": (Conv(24, 16, 1, stride=2), [24, 14, 14], True),
    "w7_1x1_flat_pixels_relu": (Conv(40, 24, 1, relu=True), [40, 7, 7], True),
    "w13_1x1_flat_pixels": (Conv(16, 8, 1), [16, 6, 13], False),
    "w40_3x3_stride2": (Conv(8, 12, 3, stride=2), [8, 9, 80], False),
    "w20_3x3_dilation2": (Conv(12, 8, 3, dil=2), [12, 20, 20], False),
    "w9_5x5_odd_channels": (Conv(3, 5, 5), [3, 9, 9], True),
    # The packed micro-kernel (AVX-512; C >= 8 or C*KH*KW >= 27): 32
    # output channels x up to 14 pixels, F not a multiple of 32 (masked
    # panels), rows stacked (7 wide: 2 rows per tile) or split (56, 20),
    # remainder tiles, strides, dilation, no bias, fused residual + ReLU.
    "pk_w14_3x3_relu": (Conv(64, 48, 3, relu=True), [64, 14, 14], False),
    "pk_w56_1x1_residual": (Conv(64, 64, 1, relu=True, residual=True), [64, 6, 56], True),
    "pk_w7_3x3_stride2": (Conv(32, 40, 3, stride=2), [32, 14, 14], True),
    "pk_w11_5x5_dilation2_relu": (Conv(16, 24, 5, dil=2, relu=True), [16, 9, 11], False),
    "pk_w20_1x1_stride2": (Conv(128, 96, 1, stride=2), [128, 20, 40], False),
    "pk_w17_3x3_no_bias": (Conv(24, 72, 3, bias=False), [24, 5, 17], False),
    # Loop orders at a dynamic batch (data sets at batch 1 and 2): a small
    # input with the panel loop outside the pixels, its 40 channels peeling
    # the panel loop (the batch loop stays sequential, the pixel loops take
    # the threads); an input over 1 MB per image, pixels outside the panels.
    "pk_batch_small_input_peeled": (Conv(16, 40, 3, relu=True), [16, 20, 30], True),
    "pk_batch_large_input": (Conv(128, 64, 1, relu=True), [128, 48, 48], True),
    # A filter larger than the input (panels outside the pixels): each tile
    # prefetches its share of the next panel; 7x7 (the last row peeled).
    "pk_filter_larger_prefetch": (Conv(256, 64, 3, relu=True), [256, 7, 7], True),
    # The pixel-vector kernel (1x1, stride 1, rows of 28 or more): a peeled
    # panel (40 channels: groups of 8), no bias, 30 pixels a row (chunks of
    # 48 across rows, a masked last vector), a fused residual at 56 wide
    # (pk_w56_1x1_residual above), 112 wide (one row per tile: 112 = 2 x 48
    # + 16).
    "flat_w28_f40_relu": (Conv(16, 40, 1, relu=True), [16, 9, 28], True),
    "flat_w30_no_bias": (Conv(24, 32, 1, bias=False), [24, 7, 30], False),
    "flat_w112_residual": (Conv(16, 16, 1, relu=True, residual=True), [16, 3, 112], True),
    # One panel (24 channels) and an input over 1 MB: the pixel-vector
    # kernel although the pixels are outside the (single) panel.
    "flat_one_panel_large_input": (Conv(160, 24, 1), [160, 32, 56], True),
    # An input over 1 MB with few channels (96) and 3 panels: blocks of rows
    # outside the panels on the pixel-vector kernel, a residual.
    "flat_blocked_large_input_residual": (Conv(96, 96, 1, relu=True, residual=True), [96, 48, 64], True),
    # Long pixel-vector tiles (an input that stays in L2, over 32 KB per
    # tile): each group of 8 channels walks the tile's pixels.  256 output
    # channels (8 panels): whole 28x28 images; 64 (2 panels): blocks of 14
    # rows of 56 with a residual; 72 (3 panels, the last peeled): blocks of
    # 10 rows of 50 (500 pixels, a masked last vector).
    "flat_groups_outer_whole_image": (Conv(32, 256, 1, relu=True), [32, 28, 28], True),
    "flat_groups_outer_residual": (Conv(64, 64, 1, relu=True, residual=True), [64, 56, 56], True),
    "flat_groups_outer_row_blocks": (Conv(32, 72, 1, relu=True), [32, 40, 50], False),
    # Grouped convolutions (kiln-cpu-split-groups: a loop over the groups,
    # each a plain convolution on the kernels above): 4, 8, 16 output
    # channels per group on the row kernel (ResNeXt's and RegNet's widths),
    # stride 2, dilation, no bias, a channel multiplier of 2 (1 input
    # channel per group), 32 and 64 per group on the packed kernel (whole
    # panels per group; 64 with the pixel-vector kernel and a residual),
    # dynamic batches.
    "grp_w56_3x3_g32_f4_relu": (Conv(128, 128, 3, relu=True, groups=32), [128, 6, 56], True),
    "grp_w28_3x3_stride2_g32_f8": (Conv(256, 256, 3, stride=2, relu=True, groups=32), [256, 10, 56], False),
    "grp_w14_3x3_g4_f16": (Conv(64, 64, 3, relu=True, groups=4), [64, 14, 14], True),
    "grp_w20_3x3_g3_f12_no_bias": (Conv(24, 36, 3, bias=False, groups=3), [24, 9, 20], False),
    "grp_w11_5x5_dilation2_g2": (Conv(16, 16, 5, dil=2, groups=2), [16, 11, 11], False),
    "grp_w10_3x3_multiplier2": (Conv(8, 16, 3, relu=True, groups=8), [8, 10, 10], True),
    "grp_w7_3x3_g4_f32_packed": (Conv(128, 128, 3, relu=True, groups=4), [128, 7, 7], True),
    "grp_w28_1x1_g2_f64_residual": (Conv(128, 128, 1, relu=True, residual=True, groups=2), [128, 4, 28], True),
    # ConvTranspose with a constant filter and static spatial dims: the
    # sub-pixel decomposition (one stride-1 convolution per phase of the
    # strides, inserted with strides): 4x4 stride 2 (2 taps per phase and
    # dim), output_padding, no bias, padding past the kernel (phases that
    # crop the input), groups, stride 3 with a 5x5 kernel (phases of 2 and
    # 1 taps), a 1x1 kernel at stride 2 (phases that only get the bias),
    # 1-D; dilated and stride-1 ones keep the dilated-input convolution.
    "ct_4x4_s2_p1_relu": (ConvT(32, 24, 4, 2, padding=1, relu=True), [32, 14, 14], True),
    "ct_3x3_s2_p1_outpad": (ConvT(16, 16, 3, 2, padding=1, output_padding=1), [16, 9, 11], False),
    "ct_2x2_s2_no_bias": (ConvT(16, 40, 2, 2, bias=False), [16, 7, 7], True),
    "ct_3x3_s2_p3_groups2": (ConvT(8, 12, 3, 2, padding=3, groups=2), [8, 10, 10], False),
    "ct_5x5_s3_p2": (ConvT(8, 10, 5, 3, padding=2), [8, 6, 7], False),
    "ct_1x1_s2": (ConvT(8, 8, 1, 2), [8, 5, 6], False),
    "ct1d_4_s2_p1": (ConvT(8, 6, 4, 2, padding=1, dims=1), [8, 19], True),
    "ct_3x3_s2_dilation2": (ConvT(8, 8, 3, 2, dil=2), [8, 6, 6], False),
    "ct_3x3_s1_p1": (ConvT(16, 8, 3, 1, padding=1), [16, 10, 10], False),
    "dw_w56_3x3": (Depthwise(12, 3), [12, 8, 56], True),
    "dw_w28_3x3_stride2": (Depthwise(8, 3, stride=2), [8, 10, 56], False),
    "dw_w7_5x5_dilation2": (Depthwise(5, 5, dil=2), [5, 7, 7], False),
    "dw_w40_3x3_stride3": (Depthwise(4, 3, stride=3), [4, 9, 120], False),
    # Planes of at most 16 x 16: one channel's whole plane per tile.
    "dw_plane_w14_3x3": (Depthwise(16, 3), [16, 14, 14], False),
    "dw_plane_w7_3x3_stride2": (Depthwise(24, 3, stride=2), [24, 14, 13], True),
    "inplace_w7": (InPlace(16, 48), [16, 7, 7], True),
    "inplace_w20": (InPlace(24, 40), [24, 9, 20], False),
}


def save(out, name, m, shape, dynamic):
    seed_parameters(m, name)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    x = torch.randn(1, *shape)
    torch.onnx.export(m, (x,), os.path.join(d, "model.onnx"), opset_version=17, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}} if dynamic else None)
    for k, batch in enumerate([1, 2] if dynamic else [1]):
        write_data_set(d, k, x if batch == 1 else torch.randn(batch, *shape), m)


def main():
    for name, (m, shape, dynamic) in MODELS.items():
        save(sys.argv[1], name, m, shape, dynamic)


if __name__ == "__main__":
    main()
