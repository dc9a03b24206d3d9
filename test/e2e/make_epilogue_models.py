#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Small torch models whose convs/matmuls end in the epilogues that
kiln-nn-fuse-epilogue fuses (and some it must not), exported to ONNX with
torch's outputs as the reference (ONNX backend-test layout), plus
expect_nn.txt: what the fused nn ops must look like at -O3.

    make_epilogue_models.py OUT

Checked by run_graph_models.py (graph_epilogue.test) at -O0 and -O3.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


class ConvBNReLU(nn.Module):  # bias via BN shift, relu
    def __init__(s):
        super().__init__()
        s.c, s.bn = nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)

    def forward(s, x):
        return F.relu(s.bn(s.c(x)))


class ResidualBlock(nn.Module):  # relu(conv(x) + b + x) and Relu6
    def __init__(s):
        super().__init__()
        s.c1, s.c2 = nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1)

    def forward(s, x):
        y = F.relu6(s.c1(x))
        return F.relu(s.c2(y) + x)


class DepthwiseSiLU(nn.Module):  # depthwise conv + BN + SiLU, then SE block
    def __init__(s):
        super().__init__()
        s.dw, s.bn = nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8)
        s.fc1, s.fc2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 1)

    def forward(s, x):
        y = F.silu(s.bn(s.dw(x)))
        w = torch.sigmoid(s.fc2(F.silu(s.fc1(y.mean((2, 3), keepdim=True)))))
        return y * w


class GroupedHardSwish(nn.Module):  # grouped conv + hardswish, leaky relu, hardsigmoid
    def __init__(s):
        super().__init__()
        s.g, s.c, s.d = nn.Conv2d(8, 16, 3, padding=1, groups=2), nn.Conv2d(16, 8, 1), nn.Conv2d(8, 8, 1)

    def forward(s, x):
        return F.hardsigmoid(s.d(F.leaky_relu(s.c(F.hardswish(s.g(x))), 0.1)))


class Conv1dTanh(nn.Module):  # 1-D conv + residual + tanh; 3-D conv + sigmoid
    def __init__(s):
        super().__init__()
        s.c = nn.Conv1d(6, 6, 5, padding=2)
        s.c3 = nn.Conv3d(2, 3, 3, padding=1)

    def forward(s, x, v):
        return torch.tanh(s.c(x) + x), torch.sigmoid(s.c3(v))


class MLP(nn.Module):  # Linear + GELU (erf form as exported); Linear + bias + residual; tanh
    def __init__(s):
        super().__init__()
        s.l1, s.l2, s.l3 = nn.Linear(32, 64), nn.Linear(64, 32), nn.Linear(32, 16)

    def forward(s, x):
        h = F.gelu(s.l1(x))
        y = s.l2(h) + x
        return torch.tanh(s.l3(y))


class BatchedMatmul(nn.Module):  # batched rhs (no constant weight): bias + relu, sigmoid
    def forward(s, a, b, c):
        return F.relu(torch.matmul(a, b) + torch.arange(5.0)), torch.sigmoid(a @ c)


class TwoUsers(nn.Module):  # must not fuse: the conv result is used twice
    def __init__(s):
        super().__init__()
        s.c = nn.Conv2d(4, 4, 3, padding=1)

    def forward(s, x):
        y = s.c(x)
        return F.relu(y) + y


MODELS = {
    "conv_bn_relu": (ConvBNReLU, [(1, 8, 10, 10)], [r"nn\.conv .* act relu"]),
    "residual_relu6": (ResidualBlock, [(2, 8, 9, 9)],
                       [r"nn\.conv .* act clip \{act_alpha = 0\.0+e\+00 : f32, act_beta = 6\.0+e\+00",
                        r"nn\.conv .* residual\(%arg0 : tensor<\?x8x9x9xf32>\) act relu"]),
    "depthwise_silu_se": (DepthwiseSiLU, [(2, 8, 12, 12)],
                          [r"nn\.conv .* act silu .*groups = 8", r"nn\.conv .* act sigmoid"]),
    "grouped_hardswish": (GroupedHardSwish, [(1, 8, 7, 7)],
                          [r"act hard_swish .*groups = 2", r"act leaky_relu \{act_alpha = 1\.0+e-01",
                           r"act hard_sigmoid"]),
    "conv1d_conv3d": (Conv1dTanh, [(2, 6, 11), (1, 2, 4, 5, 6)],
                      [r"nn\.conv .* residual\(.*\) act tanh", r"nn\.conv .* act sigmoid"]),
    "mlp": (MLP, [(3, 7, 32)], [r"nn\.matmul .* bias\(.*\) act gelu ",
                                r"nn\.matmul .* bias\(.*\) residual\(", r"act tanh"]),
    "batched_matmul": (BatchedMatmul, [(2, 3, 4), (2, 4, 5), (2, 4, 5)], [r"nn\.matmul .* bias\(.*\) act relu",
                                                                r"nn\.matmul .* act sigmoid"]),
    "two_users": (TwoUsers, [(1, 4, 6, 6)], [r"nn\.conv [^\n]*-> tensor<\?x4x6x6xf32>\n.*nn\.unary relu"]),
}


def save(out, name, cls, shapes, expect):
    torch.manual_seed(hash(name) % 1000)
    m = cls().eval()
    for mod in m.modules():  # non-trivial BN statistics
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.5, 0.5)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    names = [f"in{i}" for i in range(len(shapes))]
    dyn = {n: {0: "batch"} for n in names}
    x = [torch.randn(*s) for s in shapes]
    torch.onnx.export(m, tuple(x), os.path.join(d, "model.onnx"), opset_version=17, input_names=names,
                      dynamic_axes=dyn)
    for k, batch in enumerate([None, 3]):
        xs = x if batch is None else [torch.randn(batch, *s[1:]) for s in shapes]
        with torch.no_grad():
            ys = m(*xs)
        ys = ys if isinstance(ys, tuple) else (ys,)
        sd = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(sd, exist_ok=True)
        for i, t in enumerate(xs):
            open(os.path.join(sd, f"input_{i}.pb"), "wb").write(numpy_helper.from_array(t.numpy()).SerializeToString())
        for i, t in enumerate(ys):
            open(os.path.join(sd, f"output_{i}.pb"), "wb").write(numpy_helper.from_array(t.numpy()).SerializeToString())
    with open(os.path.join(d, "expect_nn.txt"), "w") as f:
        f.write("\n".join(expect) + "\n")


def main():
    out = sys.argv[1]
    for name, (cls, shapes, expect) in MODELS.items():
        save(out, name, cls, shapes, expect)


if __name__ == "__main__":
    main()
