#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Models pruned during training (channels left as exact zeros) for
kiln-nn-remove-dead-channels, with torch's outputs as the reference (ONNX
backend-test layout, as make_graph_merge_models.py).

    make_dead_channel_models.py OUT

    OUT/NAME/model.onnx                        opset 17, seeded weights, dynamic batch
    OUT/NAME/test_data_set_{0,1}/{input_0,output_0}.pb   batch 2 and 3

  pruned_cnn   stem conv + BatchNorm + ReLU, a residual block, a depthwise
               separable block, two concatenated branches, average pool,
               flatten, Linear.  Pruned as network slimming leaves a model:
                 * BatchNorm scale 0 in channels {1, 5} of the stem and of the
                   residual branch's last BN (shift <= 0): the residual
                   stage's channels 1 and 5 are 0 on both branches;
                 * BatchNorm scale 0 in channels {0, 3, 7} inside the block
                   (shifts -0.5, 0.4, 0): after ReLU 0, 0.4, 0; the 3x3 conv
                   that reads them pads, so channel 3 (0.4 everywhere) stays;
                 * the depthwise conv sees 0 in channels 1 and 5 and makes
                   relu(its BN shift): constants the 1x1 conv after it takes
                   into its bias;
                 * zero filter rows in the 1x1 conv's channels {2, 10} and in
                   the branches' channels {4} and {1}: a block of the
                   Linear layer's columns each.
  pruned_mlp   Linear 32 -> 64 -> ReLU -> Linear 64 -> 48 -> GELU -> Linear
               48 -> 10, zero rows in both hidden layers (bias -1 under the
               ReLU; bias 0.7 under the GELU: a constant for the last layer's
               bias).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_graph_merge_models import export  # noqa: E402  (the same layout and export)


def bn(c, rng):
    b = nn.BatchNorm2d(c)
    with torch.no_grad():
        b.running_mean.copy_(torch.from_numpy(rng.standard_normal(c).astype(np.float32) * 0.3))
        b.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c).astype(np.float32)))
        b.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c).astype(np.float32)))
        b.bias.copy_(torch.from_numpy(rng.standard_normal(c).astype(np.float32) * 0.2))
    return b


def slim(b, channels, shifts):
    """Network slimming: BatchNorm scale 0 (the channel is its shift)."""
    with torch.no_grad():
        for c, t in zip(channels, shifts):
            b.weight[c] = 0.0
            b.bias[c] = t


def zero_rows(layer, rows, bias=0.0):
    with torch.no_grad():
        for r in rows:
            layer.weight[r] = 0.0
            if layer.bias is not None:
                layer.bias[r] = bias


class PrunedCNN(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn0 = bn(16, rng)
        self.c1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn1 = bn(16, rng)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = bn(16, rng)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn3 = bn(16, rng)
        self.pw = nn.Conv2d(16, 24, 1)
        self.b1 = nn.Conv2d(24, 8, 1)
        self.b2 = nn.Conv2d(24, 8, 3, padding=1)
        self.pool = nn.AvgPool2d(4)
        self.fc = nn.Linear(16 * 2 * 2, 10)
        slim(self.bn0, [1, 5], [-0.3, 0.0])
        slim(self.bn2, [1, 5], [0.0, 0.0])
        slim(self.bn1, [0, 3, 7], [-0.5, 0.4, 0.0])
        with torch.no_grad():
            self.bn3.bias[1] = 0.25  # relu(0.25) everywhere in channel 1
        zero_rows(self.pw, [2, 10], bias=-0.1)
        zero_rows(self.b1, [4])
        zero_rows(self.b2, [1], bias=-2.0)

    def forward(self, x):
        x = torch.relu(self.bn0(self.stem(x)))
        x = torch.relu(x + self.bn2(self.c2(torch.relu(self.bn1(self.c1(x))))))
        x = torch.relu(self.bn3(self.dw(x)))
        x = torch.relu(self.pw(x))
        x = torch.relu(torch.cat([self.b1(x), self.b2(x)], dim=1))
        return self.fc(torch.flatten(self.pool(x), 1))


class PrunedMLP(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(32, 64), nn.Linear(64, 48), nn.Linear(48, 10)
        zero_rows(self.l1, [0, 9, 17, 33, 60], bias=-1.0)
        zero_rows(self.l2, [5, 6, 40], bias=0.7)

    def forward(self, x):
        return self.l3(nn.functional.gelu(self.l2(torch.relu(self.l1(x)))))


MODELS = {"pruned_cnn": (PrunedCNN, (2, 3, 8, 8)), "pruned_mlp": (PrunedMLP, (2, 32))}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for name in MODELS:
        export(name, sys.argv[1], MODELS, seed_base=700, build_with_rng=True)


if __name__ == "__main__":
    main()
