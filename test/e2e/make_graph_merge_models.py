#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Small torch models whose nn graphs the merge/fold passes rewrite, with
torch's outputs as the reference (ONNX backend-test layout).

    make_graph_merge_models.py OUT

    OUT/NAME/model.onnx                        opset 17, seeded weights, dynamic batch
    OUT/NAME/test_data_set_0/input_0.pb        seeded random normal float32
    OUT/NAME/test_data_set_0/output_0.pb       torch's output for it
    OUT/NAME/test_data_set_1/{input_0,output_0}.pb   the same with one more batch row

Each model exercises one rewrite of kiln-nn-fold-scale-shift,
kiln-nn-merge-siblings or kiln-nn-merge-sequential (or a case the pass must
refuse), so that compiling it at -O2 and comparing with torch checks that
the rewrite computes the same function:

  conv_bn              Conv2d + BatchNorm2d (eval): mul + add folded into the conv
  conv_bn_relu         Conv2d + BatchNorm2d + ReLU (the relu is fused after the fold)
  conv_div_sub         Conv2d without bias, then / c and - t (per channel)
  convtranspose_bn     grouped ConvTranspose2d + BatchNorm2d
  linear_bn1d          Linear + BatchNorm1d (a per-column scale and shift)
  inception_1x1        four 1x1 branches (and a 3x3 one) reading one input
  qkv_attention        Q/K/V Linear projections of one input, then attention
  conv_chain_merge     conv3x3 (16 -> 64) then conv1x1 (64 -> 8): merged
  conv_chain_costlier  conv3x3 (64 -> 16) then conv1x1 (16 -> 256): refused
  linear_chain_costlier  Linear(64 -> 16) -> Linear(16 -> 64): refused
  linear_chain_cheaper   Linear(64 -> 256) -> Linear(256 -> 32): merged
"""
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn
from onnx import numpy_helper

OPSET = 17


def randomize_bn(bn):
    """Non-trivial running statistics and affine parameters."""
    c = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(c) * 0.5)
        bn.running_var.copy_(torch.rand(c) * 1.5 + 0.25)
        bn.weight.copy_(torch.randn(c))
        bn.bias.copy_(torch.randn(c))
    return bn


class ConvDivSub(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 3, padding=1, bias=False)
        self.register_buffer("d", torch.rand(1, 6, 1, 1) + 0.5)
        self.register_buffer("t", torch.randn(1, 6, 1, 1))

    def forward(self, x):
        return self.conv(x) / self.d - self.t


class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.ModuleList([nn.Conv2d(16, f, 1) for f in (8, 12, 4, 16)])
        self.b3 = nn.Conv2d(16, 8, 3, padding=1)

    def forward(self, x):
        ys = [torch.relu(b(x)) for b in self.b] + [torch.relu(self.b3(x))]
        return torch.cat(ys, dim=1)


class QKV(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.scale = 1.0 / np.sqrt(d)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        return a @ v


def seq(*mods):
    return nn.Sequential(*mods)


# name -> (builder, input shape)
MODELS = {
    "conv_bn": (lambda: seq(nn.Conv2d(3, 8, 3, padding=1), randomize_bn(nn.BatchNorm2d(8))),
                (2, 3, 10, 10)),
    "conv_bn_relu": (lambda: seq(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False),
                                 randomize_bn(nn.BatchNorm2d(16)), nn.ReLU()),
                     (2, 8, 9, 9)),
    "conv_div_sub": (ConvDivSub, (2, 4, 7, 7)),
    "convtranspose_bn": (lambda: seq(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2),
                                     randomize_bn(nn.BatchNorm2d(6))),
                         (2, 4, 5, 5)),
    "linear_bn1d": (lambda: seq(nn.Linear(32, 16), randomize_bn(nn.BatchNorm1d(16))), (4, 32)),
    "inception_1x1": (Inception, (2, 16, 9, 9)),
    "qkv_attention": (QKV, (2, 8, 32)),
    "conv_chain_merge": (lambda: seq(nn.Conv2d(16, 64, 3, padding=1), nn.Conv2d(64, 8, 1), nn.ReLU()),
                         (2, 16, 9, 9)),
    "conv_chain_costlier": (lambda: seq(nn.Conv2d(64, 16, 3, padding=1), nn.Conv2d(16, 256, 1)),
                            (1, 64, 6, 6)),
    "linear_chain_costlier": (lambda: seq(nn.Linear(64, 16), nn.Linear(16, 64)), (4, 64)),
    "linear_chain_cheaper": (lambda: seq(nn.Linear(64, 256), nn.Linear(256, 32)), (4, 64)),
}


def save_tensor(arr, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(arr, name=name).SerializeToString())


def export(name, out, models=MODELS, seed_base=500, build_with_rng=False):
    """Exports models[name] = (builder, input shape) into OUT/NAME with two
    data sets (the batch of the shape and one more); the builder gets the
    model's numpy RandomState when build_with_rng (make_dead_channel_models.py)."""
    build, shape = models[name]
    seed = seed_base + sorted(models).index(name)
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    model = (build(rng) if build_with_rng else build()).eval()
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    if not build_with_rng:
        rng = np.random.RandomState(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    os.makedirs(d)
    with torch.no_grad():
        torch.onnx.export(model, torch.from_numpy(x), os.path.join(d, "model.onnx"),
                          opset_version=OPSET, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          do_constant_folding=True,
                          # Keep BatchNormalization: torch's eval export
                          # would fold it into the conv itself.
                          training=torch.onnx.TrainingMode.PRESERVE)
        for i, b in enumerate((shape[0], shape[0] + 1)):
            x = rng.standard_normal((b,) + shape[1:]).astype(np.float32)
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
            assert np.all(np.isfinite(y)), name
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds)
            save_tensor(x, "x", os.path.join(ds, "input_0.pb"))
            save_tensor(y, "y", os.path.join(ds, "output_0.pb"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for name in MODELS:
        export(name, sys.argv[1])


if __name__ == "__main__":
    main()
