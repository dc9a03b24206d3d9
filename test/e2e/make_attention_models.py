#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Small torch attention blocks that kiln-nn-fuse-attention turns into
nn.attention, exported to ONNX with torch's outputs as the reference (ONNX
backend-test layout, one or more data sets per model at different batch and
sequence lengths), plus expect_nn.txt: what the -O3 nn IR must contain.

    make_attention_models.py OUT

Checked by run_graph_models.py (attention.test) at -O0 (unfused) and -O3.
The sequence lengths cross the lowering's blocks (64 query rows, 128 keys):
partial blocks, several key blocks, dynamic lengths.
"""
import math
import os
import sys

import torch
import torch.nn as nn
from onnx import numpy_helper


class BertSelfAttention(nn.Module):
    """BERT: heads split by view/permute, K transposed, Div by sqrt(d),
    additive mask from an int64 attention_mask input, Softmax, x V."""

    def __init__(s, e=64, h=4):
        super().__init__()
        s.h, s.d = h, e // h
        s.q, s.k, s.v, s.o = nn.Linear(e, e), nn.Linear(e, e), nn.Linear(e, e), nn.Linear(e, e)

    def forward(s, x, attention_mask):
        b, L, e = x.shape

        def heads(t):
            return t.view(b, L, s.h, s.d).permute(0, 2, 1, 3)
        q, k, v = heads(s.q(x)), heads(s.k(x)), heads(s.v(x))
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        sc = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(s.d) + ext
        p = torch.softmax(sc, dim=-1)
        ctx = torch.matmul(p, v).permute(0, 2, 1, 3).reshape(b, L, e)
        return s.o(ctx)


class GPTCausal(nn.Module):
    """GPT: a constant lower-triangular mask, once additive (-inf above the
    diagonal) and once as masked_fill(bias == 0, -1e4) (Where)."""

    def __init__(s, L, e=32, h=2):
        super().__init__()
        s.h, s.d, s.L = h, e // h, L
        s.qkv = nn.Linear(e, 3 * e)
        s.register_buffer("bias", torch.tril(torch.ones(L, L)).view(1, 1, L, L))
        s.register_buffer("add_mask", torch.full((L, L), float("-inf")).triu(1))

    def attend(s, x, where):
        b = x.shape[0]
        q, k, v = s.qkv(x).split(s.h * s.d, dim=2)
        q, k, v = (t.view(b, s.L, s.h, s.d).transpose(1, 2) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(s.d)
        w = w.masked_fill(s.bias == 0, -1e4) if where else w + s.add_mask
        y = torch.matmul(torch.softmax(w, dim=-1), v)
        return y.transpose(1, 2).reshape(b, s.L, s.h * s.d)

    def forward(s, x):
        return s.attend(s.attend(x, True), False)


class ViTBlock(nn.Module):
    """ViT / nn.MultiheadAttention (rank-3 bmm, batch x heads in one dim,
    Q scaled before the product), no mask."""

    def __init__(s, e=48, h=3):
        super().__init__()
        s.mha = nn.MultiheadAttention(e, h)

    def forward(s, x):  # x: [L, B, E]
        return s.mha(x, x, x, need_weights=False)[0]


class LongKeys(nn.Module):
    """One head, head size 32, a float key-padding mask input added to the
    scores; dynamic sequence length (several key blocks and a partial one)."""

    def forward(s, q, k, v, pad):
        sc = torch.matmul(q * 0.125, k.transpose(-1, -2)) + pad
        return torch.matmul(torch.softmax(sc, dim=-1), v)


class FullyMasked(nn.Module):
    """A mask input that removes every key of some query rows (-inf):
    those rows are NaN in torch and must be NaN in Kiln."""

    def forward(s, q, k, v, m):
        sc = torch.matmul(q, k.transpose(-1, -2)) * 0.25 + m
        return torch.matmul(torch.softmax(sc, dim=-1), v)


def bert_inputs(b, L):
    x = torch.randn(b, L, 64)
    mask = torch.ones(b, L, dtype=torch.int64)
    mask[0, L - L // 3:] = 0  # padding at the end of the first sequence
    return [x, mask]


def long_inputs(b, L):
    q, k, v = torch.randn(b, 1, L, 32), torch.randn(b, 1, L, 32), torch.randn(b, 1, L, 32)
    pad = torch.zeros(b, 1, 1, L)
    pad[..., L - 7:] = float("-inf")
    return [q, k, v, pad]


def masked_inputs(b, L):
    q, k, v = torch.randn(b, 2, L, 16), torch.randn(b, 2, L, 16), torch.randn(b, 2, L, 16)
    m = torch.zeros(1, 1, L, L)
    m[..., 3, :] = float("-inf")  # row 3: nothing to attend to
    m[..., 5, ::2] = float("-inf")
    return [q, k, v, m]


# name: (module, input names, dynamic axes, data sets [(batch, seq)],
#        inputs(batch, seq), expected nn patterns)
MODELS = {
    "bert_mask": (BertSelfAttention(), ["x", "attention_mask"],
                  {"x": {0: "b", 1: "L"}, "attention_mask": {0: "b", 1: "L"}},
                  [(2, 37), (1, 200)], bert_inputs,
                  [r"nn\.attention .* mask\(.*\) \{scale = 2\.5"]),
    "gpt_causal": (GPTCausal(150), ["x"], {"x": {0: "b"}}, [(1, 150), (2, 150)],
                   lambda b, L: [torch.randn(b, L, 32)],
                   [r"nn\.attention [^\n]*\{causal, scale = 2\.5", r"(?s)attention.*causal.*attention.*causal"]),
    "vit_mha": (ViTBlock(), ["x"], {"x": {1: "b"}}, [(1, 197), (2, 197)],
                lambda b, L: [torch.randn(L, b, 48)],
                [r"nn\.attention %.* : tensor<\?x197x16xf32>, tensor<\?x197x16xf32>, tensor<\?x197x16xf32>"]),
    "long_keys": (LongKeys(), ["q", "k", "v", "pad"],
                  {n: {0: "b", 2 if n != "pad" else 3: "L"} for n in ["q", "k", "v", "pad"]},
                  [(1, 300), (2, 129)], long_inputs,
                  [r"nn\.attention .* mask\(.*tensor<\?x1x1x\?xf32>\) \{scale = 1\.25"]),
    "fully_masked": (FullyMasked(), ["q", "k", "v", "m"], {}, [(1, 9)], masked_inputs,
                     [r"nn\.attention .* mask\("]),
}


def save(out, name, m, names, dyn, sets, make, expect):
    torch.manual_seed(sum(map(ord, name)))
    m = m.eval()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    x = make(*sets[0])
    torch.onnx.export(m, tuple(x), os.path.join(d, "model.onnx"), opset_version=17, input_names=names,
                      dynamic_axes=dyn)
    for k, (b, L) in enumerate(sets):
        xs = x if k == 0 else make(b, L)
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
    for name, spec in MODELS.items():
        save(out, name, *spec)


if __name__ == "__main__":
    main()
