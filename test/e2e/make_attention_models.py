#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Small torch attention blocks that kiln-nn-fuse-attention turns into
nn.attention, exported to ONNX with torch's outputs as the reference (ONNX
backend-test layout, one or more data sets per model at different batch and
sequence lengths), plus expect_nn.txt: what the -O3 nn IR must contain.

    make_attention_models.py OUT

Checked by run_graph_models.py (attention.test) at -O0 (unfused) and -O3.
decode_kv_cache is a GPT decoding step with past key/value inputs and
present outputs, one data set per generated position (32).
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


class DecodeStep(nn.Module):
    """One GPT decoding step with a KV cache: the new token's key and value
    are appended to past_key / past_value (inputs of dynamic length P),
    one query row attends to all P + 1 positions; outputs the token's
    attention output and the present key / value."""

    def __init__(s, e=32, h=2):
        super().__init__()
        s.h, s.d = h, e // h
        s.qkv = nn.Linear(e, 3 * e)

    def forward(s, x, past_k, past_v):
        b = x.shape[0]
        q, k, v = s.qkv(x).split(s.h * s.d, dim=2)
        q, k, v = (t.view(b, 1, s.h, s.d).transpose(1, 2) for t in (q, k, v))
        k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        w = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(s.d)
        y = torch.matmul(torch.softmax(w, dim=-1), v).transpose(1, 2).reshape(b, 1, s.h * s.d)
        return y, k, v


def decode_sets(m, b=1, prompt=120, steps=32):
    """Data sets of `steps` decoding steps after a `prompt`-token prefix
    (cache lengths 120 to 151: across the lowering's 128-key blocks): each
    step's input is the previous step's output (generation), its cache
    torch's; every step is one data set (inputs and torch's outputs)."""
    with torch.no_grad():
        x = torch.randn(b, 1, 32)
        pk, pv = torch.zeros(b, 2, 0, 16), torch.zeros(b, 2, 0, 16)
        sets = []
        for t in range(prompt + steps):
            y, pk2, pv2 = m(x, pk, pv)
            if t >= prompt:
                sets.append(([x, pk, pv], [y, pk2, pv2]))
            x, pk, pv = y, pk2, pv2
    return sets


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer (batch_first, as torch exports it: the
    traced slow path; eager eval takes the fused fast path), with an
    optional key-padding mask.  The reference runs with grad enabled, which
    keeps eager torch on the same slow path (the fast path zeroes padded
    positions)."""
    grad_reference = True

    def __init__(s, padded):
        super().__init__()
        s.padded = padded
        s.layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)

    def forward(s, x, pad=None):
        return s.layer(x, src_key_padding_mask=pad if s.padded else None)


class SwinShifted(nn.Module):
    """Swin's shifted-window attention (torchvision 0.14): 8 x 8 tokens in
    4 windows of 4 x 4 shifted by 2, relative position bias, the per-window
    mask added to the scores viewed as [B, windows, heads, 16, 16]."""
    def __init__(s):
        super().__init__()
        from torchvision.models.swin_transformer import ShiftedWindowAttention
        s.att = ShiftedWindowAttention(48, [4, 4], [2, 2], 3)
        nn.init.normal_(s.att.relative_position_bias_table, std=0.5)

    def forward(s, x):
        return s.att(x)


def swin_inputs(b, L):
    return [torch.randn(b, 8, 8, 48)]


def padded_inputs(b, L):
    pad = torch.zeros(b, L, dtype=torch.bool)
    pad[0, L - L // 4:] = True
    return [torch.randn(b, L, 32), pad]


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


# name: (module class or factory, input names, dynamic axes, data sets [(batch, seq)],
#        inputs(batch, seq), expected nn patterns)
MODELS = {
    "bert_mask": (BertSelfAttention, ["x", "attention_mask"],
                  {"x": {0: "b", 1: "L"}, "attention_mask": {0: "b", 1: "L"}},
                  [(2, 37), (1, 200)], bert_inputs,
                  [r"nn\.attention .* mask\(.*\) \{scale = 2\.5"]),
    "gpt_causal": (lambda: GPTCausal(150), ["x"], {"x": {0: "b"}}, [(1, 150), (2, 150)],
                   lambda b, L: [torch.randn(b, L, 32)],
                   [r"nn\.attention [^\n]*\{causal, scale = 2\.5", r"(?s)attention.*causal.*attention.*causal"]),
    "vit_mha": (ViTBlock, ["x"], {"x": {1: "b"}}, [(1, 197), (2, 197)],
                lambda b, L: [torch.randn(L, b, 48)],
                [r"nn\.attention %.* : tensor<\?x197x16xf32>, tensor<\?x197x16xf32>, tensor<\?x197x16xf32>"]),
    "long_keys": (LongKeys, ["q", "k", "v", "pad"],
                  {n: {0: "b", 2 if n != "pad" else 3: "L"} for n in ["q", "k", "v", "pad"]},
                  [(1, 300), (2, 129)], long_inputs,
                  [r"nn\.attention .* mask\(.*tensor<\?x1x1x\?xf32>\) \{scale = 1\.25"]),
    "encoder_layer": (lambda: EncoderLayer(False), ["x"], {"x": {0: "b", 1: "L"}}, [(2, 10), (1, 150)],
                      lambda b, L: [torch.randn(b, L, 32)],
                      [r"nn\.attention .* \{scale = 0\.35355"]),
    "encoder_layer_padding": (lambda: EncoderLayer(True), ["x", "pad"],
                              {"x": {0: "b", 1: "L"}, "pad": {0: "b", 1: "L"}}, [(2, 10), (1, 150)], padded_inputs,
                              [r"nn\.attention .* mask\("]),
    "swin_shifted": (SwinShifted, ["x"], {"x": {0: "b"}}, [(1, 0), (2, 0)], swin_inputs,
                     [r"nn\.attention .* mask\(.*tensor<\?x3x16x16xf32>\)"]),
    "fully_masked": (FullyMasked, ["q", "k", "v", "m"], {}, [(1, 9)], masked_inputs,
                     [r"nn\.attention .* mask\("]),
}


def write_set(d, k, xs, ys):
    """Data set k of model folder d: inputs xs and reference outputs ys
    (numpy arrays or torch tensors)."""
    sd = os.path.join(d, f"test_data_set_{k}")
    os.makedirs(sd, exist_ok=True)
    for prefix, ts in (("input", xs), ("output", ys)):
        for i, t in enumerate(ts):
            a = t.numpy() if hasattr(t, "numpy") else t
            with open(os.path.join(sd, f"{prefix}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a).SerializeToString())


def save_decode(out):
    name = "decode_kv_cache"
    torch.manual_seed(sum(map(ord, name)))
    m = DecodeStep().eval()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    sets = decode_sets(m)
    dyn = {"x": {0: "b"}, "past_k": {0: "b", 2: "P"}, "past_v": {0: "b", 2: "P"}}
    torch.onnx.export(m, tuple(sets[0][0]), os.path.join(d, "model.onnx"), opset_version=17,
                      input_names=["x", "past_k", "past_v"], output_names=["y", "present_k", "present_v"],
                      dynamic_axes=dyn)
    for k, (xs, ys) in enumerate(sets):
        write_set(d, k, xs, ys)
    with open(os.path.join(d, "expect_nn.txt"), "w") as f:
        f.write(r"nn\.attention .* : tensor<\?x2x1x16xf32>, tensor<\?x2x\?x16xf32>, tensor<\?x2x\?x16xf32>" + "\n")


def ref_attention(q, k, v, mask=None, past_k=None, past_v=None, causal=False, hq=None, hkv=None, scale=None,
                  causal_from_end=False):
    """ONNX Attention (opset 23) in numpy, float64: the reference of the
    onnx_attention_* models (torch has no exporter for the op)."""
    import numpy as np
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    three_d = q.ndim == 3
    if three_d:
        def split(x, h):
            b, L, hd = x.shape
            return x.reshape(b, L, h, hd // h).transpose(0, 2, 1, 3)
        q, k, v = split(q, hq), split(k, hkv), split(v, hkv)
    if past_k is not None:
        k = np.concatenate([past_k.astype(np.float64), k], axis=2)
        v = np.concatenate([past_v.astype(np.float64), v], axis=2)
    present_k, present_v = k, v
    rep = q.shape[1] // k.shape[1]
    kk, vv = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    s = (q @ kk.transpose(0, 1, 3, 2)) * (scale if scale else 1.0 / math.sqrt(q.shape[3]))
    if causal:
        lq, lk = s.shape[-2:]
        s = np.where(np.tril(np.ones((lq, lk), dtype=bool), k=lk - lq if causal_from_end else 0), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    y = (e / e.sum(axis=-1, keepdims=True)) @ vv
    if three_d:
        y = y.transpose(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
    return [y.astype(np.float32), present_k.astype(np.float32), present_v.astype(np.float32)]


def save_op_model(out, name, op, in_names, inputs, out_names, outputs, attrs, expect, opsets, ir_version, domain=""):
    """A one-node model of operator `op` with the given inputs (None: an
    omitted optional input) and numpy reference outputs, data set 0 and
    expect_nn.txt."""
    import onnx
    from onnx import helper, mapping
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    ins = [helper.make_tensor_value_info(n, mapping.NP_TYPE_TO_TENSOR_TYPE[x.dtype], list(x.shape))
           for n, x in zip(in_names, inputs) if x is not None]
    node_ins = [n if x is not None else "" for n, x in zip(in_names, inputs)]
    while node_ins and not node_ins[-1]:
        node_ins.pop()
    outs = [helper.make_tensor_value_info(n, mapping.NP_TYPE_TO_TENSOR_TYPE[y.dtype], list(y.shape))
            for n, y in zip(out_names, outputs)]
    node = helper.make_node(op, node_ins, [o.name for o in outs], domain=domain, **attrs)
    m = helper.make_model(helper.make_graph([node], name, ins, outs),
                          opset_imports=[helper.make_opsetid(dom, v) for dom, v in opsets])
    m.ir_version = ir_version
    onnx.save(m, os.path.join(d, "model.onnx"))
    write_set(d, 0, [x for x in inputs if x is not None], outputs)
    with open(os.path.join(d, "expect_nn.txt"), "w") as f:
        f.write("\n".join(expect) + "\n")


def save_onnx_attention(out):
    """ONNX's own Attention operator (opset 23), built with onnx.helper."""
    import numpy as np
    rng = np.random.default_rng(23)

    def model(name, inputs, outputs, attrs, expect):
        save_op_model(out, name, "Attention", ["Q", "K", "V", "attn_mask", "past_key", "past_value"], inputs,
                      ["Y", "present_key", "present_value"], outputs, attrs, expect, [("", 23)], 10)

    def r(*shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)
    # 4-D, causal, a bool key-padding mask.
    q, k, v = r(1, 4, 70, 16), r(1, 4, 70, 16), r(1, 4, 70, 16)
    mask = np.ones((1, 1, 1, 70), dtype=bool)
    mask[..., 65:] = False
    model("onnx_attention_4d_causal", [q, k, v, mask, None, None], ref_attention(q, k, v, mask, causal=True)[:1],
          {"is_causal": 1}, [r"nn\.attention .* mask\(.*tensor<1x1x1x70xi1>\) \{causal, scale = 2\.5"])
    # 3-D, grouped-query (4 query heads, 2 key/value heads, value size 12),
    # a KV cache of 130 positions, an additive float mask, a given scale.
    q, k, v = r(2, 3, 32), r(2, 3, 16), r(2, 3, 24)
    pk, pv = r(2, 2, 130, 8), r(2, 2, 130, 12)
    fm = np.zeros((2, 1, 3, 133), dtype=np.float32)
    fm[0, :, 1, 10:40] = -np.inf
    model("onnx_attention_3d_gqa_cache", [q, k, v, fm, pk, pv],
          ref_attention(q, k, v, fm, pk, pv, hq=4, hkv=2, scale=0.3),
          {"q_num_heads": 4, "kv_num_heads": 2, "scale": 0.3},
          [r"nn\.attention .* : tensor<2x4x3x8xf32>, tensor<2x2x133x8xf32>, tensor<2x2x133x12xf32> -> tensor<2x4x3x12xf32>"])


def ref_mha(q, k, v, bias=None, kpm=None, ab=None, pk=None, pv=None, n=1, causal=False, scale=None,
            filt=-10000.0):
    """com.microsoft MultiHeadAttention (unpacked) in numpy, float64."""
    import numpy as np
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    if bias is not None:
        hq, hk = q.shape[2], k.shape[2]
        q, k, v = q + bias[:hq], k + bias[hq:hq + hk], v + bias[hq + hk:]
    mask = None
    if kpm is not None:
        mask = np.where(kpm == 0, filt, 0.0)[:, None, None, :]
    if ab is not None:
        mask = ab.astype(np.float64) if mask is None else mask + ab
    # ONNX Runtime aligns unidirectional attention to the last key.
    y, pk2, pv2 = ref_attention(q, k, v, mask, pk, pv, causal, n, n, scale, causal_from_end=True)
    return [y, pk2, pv2]


def save_mha(out):
    """ONNX Runtime's com.microsoft MultiHeadAttention, built with onnx.helper."""
    import numpy as np
    rng = np.random.default_rng(7)

    def r(*shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    def model(name, inputs, outputs, attrs, expect):
        save_op_model(out, name, "MultiHeadAttention",
                      ["query", "key", "value", "bias", "key_padding_mask", "attention_bias", "past_key",
                       "past_value"], inputs, ["output", "present_key", "present_value"], outputs, attrs, expect,
                      [("", 17), ("com.microsoft", 1)], 8, domain="com.microsoft")

    # Biases and a key-padding mask (the second sequence's last 9 keys).
    q, k, v, bias = r(2, 70, 32), r(2, 70, 32), r(2, 70, 32), r(96)
    kpm = np.ones((2, 70), dtype=np.int32)
    kpm[1, 61:] = 0
    model("ms_mha_bias_padding", [q, k, v, bias, kpm], ref_mha(q, k, v, bias, kpm, n=4)[:1], {"num_heads": 4},
          [r"nn\.attention .* mask\(.*tensor<2x1x1x70xf32>\) \{scale = 0\.35355"])
    # Unidirectional (causal) with an attention bias and a given scale.
    q, k, v, ab = r(1, 40, 24), r(1, 40, 24), r(1, 40, 24), r(1, 3, 40, 40)
    model("ms_mha_causal_bias", [q, k, v, None, None, ab],
          ref_mha(q, k, v, ab=ab, n=3, causal=True, scale=0.2)[:1],
          {"num_heads": 3, "unidirectional": 1, "scale": 0.2},
          [r"nn\.attention .* mask\(.*tensor<1x3x40x40xf32>\) \{causal, scale = 2\.0"])
    # A KV cache: one new token over 130 cached positions.
    q, k, v, pk, pv = r(1, 1, 16), r(1, 1, 16), r(1, 1, 16), r(1, 2, 130, 8), r(1, 2, 130, 8)
    model("ms_mha_cache", [q, k, v, None, None, None, pk, pv], ref_mha(q, k, v, pk=pk, pv=pv, n=2),
          {"num_heads": 2}, [r"nn\.attention .* : tensor<1x2x1x8xf32>, tensor<1x2x131x8xf32>"])
    # Unidirectional over a cache: 4 new tokens after 130, each seeing the
    # cache and the new tokens up to itself.
    q, k, v, pk, pv = r(1, 4, 16), r(1, 4, 16), r(1, 4, 16), r(1, 2, 130, 8), r(1, 2, 130, 8)
    model("ms_mha_causal_cache", [q, k, v, None, None, None, pk, pv],
          ref_mha(q, k, v, pk=pk, pv=pv, n=2, causal=True), {"num_heads": 2, "unidirectional": 1},
          [r"nn\.attention .* mask\(.*tensor<1x1x4x134xf32>\) \{scale"])


def ref_ms_attention(x, w, bias, n, mask_index=None, past=None, ab=None, causal=False, sizes=None, scale=None,
                     filt=-10000.0):
    """com.microsoft Attention (the QKV projection packed) in numpy, float64,
    with ONNX Runtime's masks: mask_index [B] / [2B] end (and start)
    positions, [B, T] or [B, S, T] (<= 0 masks: mask_filter_value added);
    unidirectional aligned to the last key (rows see past + i + 1 keys;
    the others set to the lowest float); attention_bias added after."""
    import numpy as np
    qkv = x.astype(np.float64) @ w.astype(np.float64)
    if bias is not None:
        qkv = qkv + bias
    hq, hk, hv = sizes or [w.shape[1] // 3] * 3
    b, s_len = x.shape[:2]

    def split(t, h):
        return t.reshape(b, s_len, n, h // n).transpose(0, 2, 1, 3)
    q, k, v = split(qkv[..., :hq], hq), split(qkv[..., hq:hq + hk], hk), split(qkv[..., hq + hk:], hv)
    p_len = 0
    if past is not None:
        p_len = past.shape[3]
        k = np.concatenate([past[0].astype(np.float64), k], axis=2)
        v = np.concatenate([past[1].astype(np.float64), v], axis=2)
    t_len = k.shape[2]
    mask = np.zeros((b, 1, s_len, t_len))
    if mask_index is not None:
        if mask_index.ndim == 1:
            pos = np.arange(t_len)
            keep = pos[None, :] < mask_index[:b, None]
            if mask_index.shape[0] == 2 * b:
                keep &= pos[None, :] >= mask_index[b:, None]
            mask = mask + np.where(keep, 0.0, filt)[:, None, None, :]
        elif mask_index.ndim == 2:
            mask = mask + np.where(mask_index > 0, 0.0, filt)[:, None, None, :]
        else:
            mask = mask + np.where(mask_index > 0, 0.0, filt)[:, None, :, :]
    if causal:
        above = np.arange(t_len)[None, :] > p_len + np.arange(s_len)[:, None]
        mask = np.where(above, float(np.finfo(np.float32).min), mask)
    if ab is not None:
        mask = mask + ab
    sc = (q @ k.transpose(0, 1, 3, 2)) * (scale if scale else 1.0 / math.sqrt(q.shape[3])) + mask
    e = np.exp(sc - sc.max(axis=-1, keepdims=True))
    y = (e / e.sum(axis=-1, keepdims=True)) @ v
    y = y.transpose(0, 2, 1, 3).reshape(b, s_len, -1)
    present = np.stack([k, v]).astype(np.float32) if k.shape == v.shape else None
    return [y.astype(np.float32), present]


def save_ms_attention(out):
    """ONNX Runtime's com.microsoft Attention (as its transformer optimizer
    writes it for BERT and GPT-2), built with onnx.helper."""
    import numpy as np
    rng = np.random.default_rng(11)

    def r(*shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    def model(name, inputs, outputs, attrs, expect):
        save_op_model(out, name, "Attention", ["input", "weights", "bias", "mask_index", "past", "attention_bias"],
                      inputs, ["output", "present"], outputs, attrs, expect, [("", 17), ("com.microsoft", 1)], 8,
                      domain="com.microsoft")

    # BERT: a [B, S] attention_mask (the second sequence's last 7 tokens
    # padding), 4 heads; 140 tokens cross the lowering's key blocks.
    x, w, bias = r(2, 140, 32), r(32, 96) * 0.5, r(96)
    mi = np.ones((2, 140), dtype=np.int32)
    mi[1, 133:] = 0
    model("ms_attention_bert", [x, w, bias, mi], ref_ms_attention(x, w, bias, 4, mi)[:1], {"num_heads": 4},
          [r"nn\.attention .* mask\(.*tensor<2x1x1x140xf32>\) \{scale = 0\.35355"])
    # GPT-2 with a cache: 3 new tokens after 130, unidirectional (aligned to
    # the last key), present returned.
    x, w, bias, past = r(1, 3, 16), r(16, 48), r(48), r(2, 1, 2, 130, 8)
    model("ms_attention_gpt_cache", [x, w, bias, None, past],
          ref_ms_attention(x, w, bias, 2, past=past, causal=True), {"num_heads": 2, "unidirectional": 1},
          [r"nn\.attention .* mask\(.*tensor<1x1x3x133xf32>\) \{scale"])
    # End and start positions ([2B]), an attention bias, a given scale and
    # a value hidden size unlike the query's.
    x, w, bias, ab = r(2, 20, 24), r(24, 84), r(84), r(1, 3, 20, 20)
    mi = np.array([20, 15, 0, 3], dtype=np.int32)
    model("ms_attention_positions_bias", [x, w, bias, mi, None, ab],
          ref_ms_attention(x, w, bias, 3, mi, ab=ab, sizes=[24, 24, 36], scale=0.25)[:1],
          {"num_heads": 3, "qkv_hidden_sizes": [24, 24, 36], "scale": 0.25},
          [r"nn\.attention .* mask\(.*tensor<2x3x20x20xf32>\) \{scale = 2\.5"])


def save(out, name, make_module, names, dyn, sets, make, expect):
    torch.manual_seed(sum(map(ord, name)))  # weights and inputs: the same files every time
    m = make_module().eval()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    x = make(*sets[0])
    torch.onnx.export(m, tuple(x), os.path.join(d, "model.onnx"), opset_version=17, input_names=names,
                      dynamic_axes=dyn)
    for k, (b, L) in enumerate(sets):
        xs = x if k == 0 else make(b, L)
        with torch.enable_grad() if getattr(m, "grad_reference", False) else torch.no_grad():
            ys = m(*xs)
        ys = tuple(y.detach() for y in (ys if isinstance(ys, tuple) else (ys,)))
        write_set(d, k, xs, ys)
    with open(os.path.join(d, "expect_nn.txt"), "w") as f:
        f.write("\n".join(expect) + "\n")


def main():
    out = sys.argv[1]
    for name, spec in MODELS.items():
        save(out, name, *spec)
    save_decode(out)
    save_onnx_attention(out)
    save_mha(out)
    save_ms_attention(out)


if __name__ == "__main__":
    main()
