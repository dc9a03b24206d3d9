#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Export reference models for Kiln's end-to-end tests (ONNX backend-test layout).

For every selected model NAME this writes

    OUT/NAME/model.onnx                         opset 17, dynamic batch (dim_param "batch")
    OUT/NAME/test_data_set_0/input_0.pb         batch 1, seeded random normal float32
    OUT/NAME/test_data_set_0/output_0.pb        torch's output for it
    OUT/NAME/test_data_set_1/{input_0,output_0}.pb   the same at batch 4
    (fashion_mnist_cnn also test_data_set_2: 8 real Fashion-MNIST test images)

Every .pb is a serialized onnx.TensorProto named after the graph input/output
(onnx.numpy_helper.from_array).  Reference outputs are computed by torch on
the module that was exported (eval mode, float32), never by an ONNX runtime.

Models are built with seeded random weights (torch.manual_seed per model; no
weights are downloaded).  BatchNorm layers get seeded random affine
parameters (weight U(0.5,1.5), bias N(0,0.1)) so that a wrong BatchNorm
folding changes the output, and running statistics calibrated on seeded
random batches (as training would leave them), then perturbed by a seeded
factor so that they are not exactly the batch statistics.  Without the
calibration, random running statistics on randomly initialized networks
(MobileNetV2, GoogLeNet) drive every activation into saturation and the
output does not depend on the input: a test could not see a broken layer.
The export therefore refuses a model whose outputs for the images of a batch
are (nearly) identical.

A model whose directory is already complete is not exported again unless
--force is given (a model is written into a temporary directory and renamed
into place, so an interrupted export never looks complete).  After exporting,
every model is checked with onnx.checker (full check) and the sorted set of
its op types is printed.

usage:
  /usr/bin/python3 scripts/export_models.py OUT [--models resnet18,mobilenet_v2] [--force]
  /usr/bin/python3 scripts/export_models.py --list
"""
import argparse
import os
import shutil
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 17
BATCHES = (1, 4)  # test_data_set_0, test_data_set_1
# Bumped whenever the exported models or data change, so that cached exports
# (build/e2e-models) made by an older version of this script are redone.
EXPORT_VERSION = "3"


def _torch():
    import torch
    return torch


def _randomize_batchnorm(model, seed, input_shape):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    with torch.no_grad():
        for m in bns:
            n = m.num_features
            if m.affine:
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        # Calibrate the running statistics on random inputs (train mode
        # only affects BatchNorm and Dropout here; no weight is updated).
        model.train()
        for _ in range(4):
            model(torch.randn(8, *input_shape, generator=g))
        model.eval()
        for m in bns:
            n = m.num_features
            m.momentum = 0.1
            m.running_mean.add_(0.05 * torch.randn(n, generator=g) * m.running_var.sqrt())
            m.running_var.mul_(0.8 + 0.4 * torch.rand(n, generator=g))


def _reinit_classifier(model, seed):
    """Some torchvision classifiers start with a zero final layer (ViT's head):
    their outputs would not depend on the input.  Give the last Linear seeded
    normal weights instead."""
    torch = _torch()
    lin = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(lin.weight.shape, generator=g) / lin.in_features ** 0.5)
        if lin.bias is not None:
            lin.bias.copy_(0.1 * torch.randn(lin.bias.shape, generator=g))


def _mha_slow_path(model):
    """torch 1.13 runs eval-mode nn.MultiheadAttention through the fused
    kernel aten::_native_multi_head_attention ("fast path"), which the ONNX
    exporter cannot express.  Route every MultiheadAttention through
    F.multi_head_attention_forward, torch's own non-fused path (the same
    math), for the export and the reference outputs alike."""
    torch = _torch()
    F = torch.nn.functional

    def patch(m):
        def forward(query, key, value, key_padding_mask=None, need_weights=True,
                    attn_mask=None, average_attn_weights=True):
            q, k, v = (x.transpose(0, 1) if m.batch_first else x for x in (query, key, value))
            out, w = F.multi_head_attention_forward(
                q, k, v, m.embed_dim, m.num_heads, m.in_proj_weight, m.in_proj_bias,
                m.bias_k, m.bias_v, m.add_zero_attn, m.dropout, m.out_proj.weight,
                m.out_proj.bias, training=m.training, key_padding_mask=key_padding_mask,
                need_weights=need_weights, attn_mask=attn_mask,
                average_attn_weights=average_attn_weights)
            return (out.transpose(0, 1) if m.batch_first else out), w
        m.forward = forward

    for m in model.modules():
        if isinstance(m, torch.nn.MultiheadAttention):
            patch(m)


def _vit_post(model):
    _reinit_classifier(model, 99)
    _mha_slow_path(model)


def _torchvision(ctor, size=224, post=None, **kw):
    def build():
        import torchvision.models as tvm
        model = getattr(tvm, ctor)(weights=None, **kw)
        _randomize_batchnorm(model, seed=1234, input_shape=(3, size, size))
        if post is not None:
            post(model)
        return model
    return build


def _convnext_layer_scale(model):
    # torchvision starts ConvNeXt's layer scales at 1e-6: every block would
    # add almost nothing to the residual stream and a broken block would go
    # unseen.  Seeded scales around 0.1 make every block count.
    torch = _torch()
    g = torch.Generator().manual_seed(77)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(0.05 + 0.1 * torch.rand(p.shape, generator=g))


def _transformer_encoder():
    torch = _torch()
    layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
                                             dropout=0.1, activation="gelu", batch_first=True)
    model = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    # torch >= 1.12 runs eval-mode TransformerEncoderLayer through the fused
    # kernel torch._transformer_encoder_layer_fwd when it can ("fast path"),
    # which the ONNX exporter cannot express.  activation_relu_or_gelu == 0
    # disables it (self.activation stays F.gelu, so the math is unchanged):
    # export and reference outputs then both take the plain MultiheadAttention
    # + LayerNorm + Linear path.  The exported graph is checked for
    # MatMul/Softmax/LayerNormalization below.
    for lyr in model.layers:
        lyr.activation_relu_or_gelu = 0
    return model


def _attention_modules():
    """A plain multi-head attention block written out with Linear/MatMul/
    Softmax (as Hugging Face's BERT and GPT-2 export), shared by the BERT-
    and GPT-shaped models."""
    torch = _torch()
    F = torch.nn.functional

    class SelfAttention(torch.nn.Module):
        def __init__(self, hidden, heads):
            super().__init__()
            self.heads, self.dh = heads, hidden // heads
            self.q = torch.nn.Linear(hidden, hidden)
            self.k = torch.nn.Linear(hidden, hidden)
            self.v = torch.nn.Linear(hidden, hidden)
            self.o = torch.nn.Linear(hidden, hidden)

        def split(self, x):
            b, s, _ = x.shape
            return x.view(b, s, self.heads, self.dh).transpose(1, 2)

        def forward(self, x, bias):
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / (self.dh ** 0.5) + bias
            ctx = torch.matmul(F.softmax(scores, dim=-1), v)
            b, h, s, d = ctx.shape
            return self.o(ctx.transpose(1, 2).reshape(b, s, h * d))

    class MLP(torch.nn.Module):
        def __init__(self, hidden, ff):
            super().__init__()
            self.fc1 = torch.nn.Linear(hidden, ff)
            self.fc2 = torch.nn.Linear(ff, hidden)

        def forward(self, x):
            return self.fc2(F.gelu(self.fc1(x)))

    return SelfAttention, MLP


def _init_normal_002(model):
    """BERT's / GPT-2's initializer for Linear and Embedding weights, N(0,
    0.02); Linear biases get N(0, 0.02) too (not zero) so that a dropped bias
    changes the output."""
    torch = _torch()
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (torch.nn.Linear, torch.nn.Embedding)):
                mod.weight.normal_(0.0, 0.02)
            if isinstance(mod, torch.nn.Linear):
                mod.bias.normal_(0.0, 0.02)
    return model


BERT_SEQ, BERT_VOCAB = 128, 30522


def _bert_encoder():
    """BERT-base shape: 12 post-LN layers, hidden 768, 12 heads, FFN 3072,
    word/position/token-type embeddings, sequence 128, vocabulary 30522.
    Inputs: input_ids [batch,128] int64 and attention_mask [batch,128] int64
    (1 = token, 0 = padding), turned into an additive -10000 bias on the
    attention scores as BERT does.  Output: the last hidden states."""
    torch = _torch()
    SelfAttention, MLP = _attention_modules()

    class Layer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = SelfAttention(768, 12)
            self.ln1 = torch.nn.LayerNorm(768, eps=1e-12)
            self.mlp = MLP(768, 3072)
            self.ln2 = torch.nn.LayerNorm(768, eps=1e-12)

        def forward(self, x, bias):
            x = self.ln1(x + self.attn(x, bias))
            return self.ln2(x + self.mlp(x))

    class Bert(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.word = torch.nn.Embedding(BERT_VOCAB, 768)
            self.pos = torch.nn.Embedding(512, 768)
            self.tok = torch.nn.Embedding(2, 768)
            self.ln = torch.nn.LayerNorm(768, eps=1e-12)
            self.layers = torch.nn.ModuleList([Layer() for _ in range(12)])

        def forward(self, input_ids, attention_mask):
            s = input_ids.shape[1]
            pos = torch.arange(s, dtype=torch.int64).unsqueeze(0)
            x = self.word(input_ids) + self.pos(pos) + self.tok(torch.zeros_like(input_ids))
            x = self.ln(x)
            bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
            for lyr in self.layers:
                x = lyr(x, bias)
            return x

    return _init_normal_002(Bert())


GPT_SEQ, GPT_VOCAB = 256, 8192
GPT_LAYERS, GPT_HIDDEN, GPT_HEADS = 6, 512, 8
GPT_PAST = 128  # gpt_decode_step: cached past positions


def _gpt_modules():
    """The GPT-2-style decoder's Block and GPT modules, shared by
    gpt_decoder (full sequence) and gpt_decode_step (one token on a KV
    cache): both build the same parameters in the same order, so the same
    seed gives the same weights."""
    torch = _torch()
    F = torch.nn.functional
    SelfAttention, MLP = _attention_modules()

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = torch.nn.LayerNorm(GPT_HIDDEN)
            self.attn = SelfAttention(GPT_HIDDEN, GPT_HEADS)
            self.ln2 = torch.nn.LayerNorm(GPT_HIDDEN)
            self.mlp = MLP(GPT_HIDDEN, 4 * GPT_HIDDEN)

        def forward(self, x, bias):
            x = x + self.attn(self.ln1(x), bias)
            return x + self.mlp(self.ln2(x))

        def step(self, x, past_k, past_v):
            """x [b,1,hidden] (the new token), past_k/past_v [b,heads,P,dh]:
            the new token attends to the P past positions and to itself (no
            mask).  Returns x and the present K/V [b,heads,P+1,dh]."""
            a = self.attn
            h = self.ln1(x)
            q, k, v = a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h))
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
            scores = torch.matmul(q, k.transpose(-1, -2)) / (a.dh ** 0.5)
            ctx = torch.matmul(F.softmax(scores, dim=-1), v)
            b, nh, s, d = ctx.shape
            x = x + a.o(ctx.transpose(1, 2).reshape(b, s, nh * d))
            return x + self.mlp(self.ln2(x)), k, v

    class GPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = torch.nn.Embedding(GPT_VOCAB, GPT_HIDDEN)
            self.wpe = torch.nn.Embedding(GPT_SEQ, GPT_HIDDEN)
            self.blocks = torch.nn.ModuleList([Block() for _ in range(GPT_LAYERS)])
            self.ln_f = torch.nn.LayerNorm(GPT_HIDDEN)
            causal = torch.tril(torch.ones(GPT_SEQ, GPT_SEQ))
            self.register_buffer("causal_bias", (1.0 - causal) * -10000.0)

        def forward(self, input_ids):
            s = input_ids.shape[1]
            pos = torch.arange(s, dtype=torch.int64).unsqueeze(0)
            x = self.wte(input_ids) + self.wpe(pos)
            bias = self.causal_bias[:s, :s]
            for blk in self.blocks:
                x = blk(x, bias)
            return torch.matmul(self.ln_f(x), self.wte.weight.t())

    return Block, GPT


def _gpt_decoder():
    """GPT-2-style decoder: 6 pre-LN layers, hidden 512, 8 heads, FFN 2048,
    sequence 256, vocabulary 8192 with a tied LM head, causal mask (a
    constant lower-triangular buffer turned into a -1e4 bias).  Input:
    input_ids [batch,256] int64; output: logits [batch,256,8192]."""
    _, GPT = _gpt_modules()
    return _init_normal_002(GPT())


def _gpt_decode_step():
    """One decoding step of gpt_decoder's architecture (same modules; built
    from gpt_decoder's seed, so the same weights) on a KV cache of
    GPT_PAST = 128 positions.  Inputs: input_ids [batch,1] int64 (the new
    token), past_keys and past_values [batch,6,8,128,64] float32 (per layer
    and head, the keys/values of the 128 past positions).  The new token's
    position is the past length (128), taken from past_keys' shape; it
    attends to the 128 past positions and to itself (no mask: it is the
    last position).  Outputs: logits [batch,1,8192] and present_keys /
    present_values [batch,6,8,129,64] (the past with the new token's K/V
    appended).  Every Linear is nn.Linear (MatMul with a constant [K,N]
    weight + Add in ONNX), the LM head a MatMul with the tied embedding's
    constant transpose [512,8192]."""
    torch = _torch()
    _, GPT = _gpt_modules()

    class GPTStep(GPT):
        def forward(self, input_ids, past_keys, past_values):
            past_len = past_keys.shape[3]
            x = self.wte(input_ids) + self.wpe.weight[past_len]
            ks, vs = [], []
            for i, blk in enumerate(self.blocks):
                x, k, v = blk.step(x, past_keys[:, i], past_values[:, i])
                ks.append(k)
                vs.append(v)
            logits = torch.matmul(self.ln_f(x), self.wte.weight.t())
            return logits, torch.stack(ks, dim=1), torch.stack(vs, dim=1)

    return _init_normal_002(GPTStep())


def _lstm_classifier():
    """Sequence classifier: 2-layer LSTM (64 -> 128, batch_first) over 32
    steps, a Linear head on the last step's hidden state (10 classes)."""
    torch = _torch()

    class LSTMClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(64, 128, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(128, 10)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.head(y[:, -1, :])

    return LSTMClassifier()


def _fashion_mnist_cnn():
    """The trained sample model: the torch module rebuilt from the committed
    ONNX file's initializers (so torch computes the reference outputs)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    torch = _torch()
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    from train_fashion_mnist import FashionCNN
    model = FashionCNN()
    m = onnx.load(os.path.join(SRC, "models", "fashion_mnist_cnn.onnx"))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    state = {k: torch.from_numpy(np.array(inits[k])) for k in model.state_dict()}
    model.load_state_dict(state)
    return model


def _fashion_mnist_extra_inputs():
    """8 real test images, preprocessed exactly like the training script."""
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    from train_fashion_mnist import DATA_DIR, load_split, preprocess
    x, _ = load_split(DATA_DIR, "t10k")
    return [[preprocess(x[:8])]]


class Model:
    """One exported model.  inputs: [(name, shape without batch, kind)] where
    kind is "normal" (float32 N(0,1)), ("ids", V) (int64 token ids in [0,V))
    or "mask" (int64 attention mask: 1 for the first L tokens, L random, 0
    after).  extra: builder of further input lists (one per extra data set).
    seed_of: name of another model whose seed this one uses (the same
    weights where the modules match); see model_seed().
    """

    def __init__(self, build, inputs, outputs, desc, extra=None, required_ops=(),
                 seed_of=None):
        self.build, self.inputs, self.outputs = build, inputs, outputs
        self.desc, self.extra, self.required_ops = desc, extra, set(required_ops)
        self.seed_of = seed_of


def _image(size=224):
    return [("input", (3, size, size), "normal")]


def _tv(ctor, desc, size=224, post=None, **kw):
    return Model(_torchvision(ctor, size=size, post=post, **kw), _image(size), ["output"],
                 f"torchvision {desc}, {size}x{size}, random weights")


MODELS = {
    "resnet18": _tv("resnet18", "resnet18"),
    "resnet50": _tv("resnet50", "resnet50"),
    "resnext50": _tv("resnext50_32x4d", "resnext50_32x4d"),
    "wide_resnet50": _tv("wide_resnet50_2", "wide_resnet50_2"),
    "mobilenet_v2": _tv("mobilenet_v2", "mobilenet_v2"),
    # Visual-wake-words size, for the C target's memory figures
    # (docs/targets.md): width 0.35, 96x96 input, 2 classes.
    "mobilenet_v2_035_96": _tv("mobilenet_v2", "mobilenet_v2 width 0.35, 2 classes", size=96,
                               width_mult=0.35, num_classes=2),
    "mobilenet_v3_small": _tv("mobilenet_v3_small", "mobilenet_v3_small"),
    "mobilenet_v3_large": _tv("mobilenet_v3_large", "mobilenet_v3_large"),
    "squeezenet1_1": _tv("squeezenet1_1", "squeezenet1_1"),
    "shufflenet_v2": _tv("shufflenet_v2_x1_0", "shufflenet_v2_x1_0"),
    "googlenet": _tv("googlenet", "googlenet (no aux logits, no input transform)",
                     aux_logits=False, init_weights=True, transform_input=False),
    "inception_v3": _tv("inception_v3", "inception_v3 (no aux logits, no input transform, classifier "
                        "re-initialized N(0, 1/2048): its std-0.1 init gives logits ~100, where "
                        "torch's own float32 result misses rtol 1e-3/atol 1e-4 against float64)",
                        size=299, post=lambda m: _reinit_classifier(m, 98), aux_logits=False,
                        init_weights=True, transform_input=False),
    "densenet121": _tv("densenet121", "densenet121"),
    "efficientnet_b0": _tv("efficientnet_b0", "efficientnet_b0"),
    "regnet_y_400mf": _tv("regnet_y_400mf", "regnet_y_400mf"),
    "vgg16": _tv("vgg16", "vgg16"),
    "vit_b_16": _tv("vit_b_16", "vit_b_16 (head re-initialized: torchvision zeroes it)",
                    post=_vit_post),
    "swin_t": _tv("swin_t", "swin_t"),
    "convnext_tiny": _tv("convnext_tiny", "convnext_tiny (layer scales ~0.1)",
                         post=_convnext_layer_scale),
    "bert_encoder": Model(_bert_encoder,
                          [("input_ids", (BERT_SEQ,), ("ids", BERT_VOCAB)),
                           ("attention_mask", (BERT_SEQ,), "mask")],
                          ["last_hidden_state"],
                          "BERT-base-shaped encoder: 12 layers, hidden 768, 12 heads, seq 128, "
                          "attention mask", required_ops={"MatMul", "Softmax", "Gather"}),
    "gpt_decoder": Model(_gpt_decoder, [("input_ids", (GPT_SEQ,), ("ids", GPT_VOCAB))],
                         ["logits"],
                         "GPT-style decoder: 6 layers, hidden 512, 8 heads, seq 256, causal mask, "
                         "vocab 8192", required_ops={"MatMul", "Softmax", "Gather"}),
    "gpt_decode_step": Model(
        _gpt_decode_step,
        [("input_ids", (1,), ("ids", GPT_VOCAB)),
         ("past_keys", (GPT_LAYERS, GPT_HEADS, GPT_PAST, GPT_HIDDEN // GPT_HEADS), "normal"),
         ("past_values", (GPT_LAYERS, GPT_HEADS, GPT_PAST, GPT_HIDDEN // GPT_HEADS), "normal")],
        ["logits", "present_keys", "present_values"],
        "one decoding step of gpt_decoder (same weights) on a KV cache of 128 past "
        "positions: input_ids [batch,1], past_keys/past_values [batch,6,8,128,64] (N(0,1)); "
        "outputs logits [batch,1,8192], present_keys/present_values [batch,6,8,129,64]; "
        "position 128 from the past length, no mask",
        required_ops={"MatMul", "Softmax", "Gather", "Concat"}, seed_of="gpt_decoder"),
    "lstm": Model(_lstm_classifier, [("input", (32, 64), "normal")], ["output"],
                  "2-layer LSTM (64 -> 128) over 32 steps + Linear head",
                  required_ops={"LSTM"}),
    "transformer_encoder": Model(_transformer_encoder, [("src", (16, 64), "normal")], ["output"],
                                 "nn.TransformerEncoder: 2 layers, d_model 64, 4 heads, ff 128, "
                                 "gelu, post-LN, batch_first, input [batch,16,64]",
                                 required_ops={"MatMul", "Softmax", "LayerNormalization"}),
    "fashion_mnist_cnn": Model(_fashion_mnist_cnn, [("image", (1, 28, 28), "normal")], ["logits"],
                               "the trained sample CNN from models/ (input [batch,1,28,28])",
                               extra=_fashion_mnist_extra_inputs),
}


def model_seed(name):
    """torch and numpy seed of a model's weights and data: 1000 + its index
    among the sorted names of the models without seed_of (a model added with
    seed_of leaves every other model's seed, hence its export, unchanged)."""
    spec = MODELS[name]
    if spec.seed_of is not None:
        return model_seed(spec.seed_of)
    return 1000 + sorted(n for n, m in MODELS.items() if m.seed_of is None).index(name)


def expected_sets(name):
    n = len(BATCHES)
    if MODELS[name].extra is not None:
        n += 1
    return [f"test_data_set_{i}" for i in range(n)]


def is_complete(d, name):
    if not os.path.isfile(os.path.join(d, "model.onnx")):
        return False
    try:
        with open(os.path.join(d, "EXPORT_VERSION")) as f:
            if f.read().strip() != EXPORT_VERSION:
                return False
    except OSError:
        return False
    spec = MODELS[name]
    for s in expected_sets(name):
        files = [f"input_{i}.pb" for i in range(len(spec.inputs))]
        files += [f"output_{i}.pb" for i in range(len(spec.outputs))]
        for f in files:
            if not os.path.isfile(os.path.join(d, s, f)):
                return False
    return True


def save_tensor(arr, name, path):
    from onnx import numpy_helper
    t = numpy_helper.from_array(arr, name=name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def make_input(rng, batch, shape, kind):
    import numpy as np
    if kind == "normal":
        return rng.standard_normal((batch,) + tuple(shape)).astype(np.float32)
    if kind == "mask":
        # Every row keeps at least a quarter of its tokens; the rest is padding.
        m = np.zeros((batch,) + tuple(shape), dtype=np.int64)
        n = shape[-1]
        for b in range(batch):
            m[b, :rng.randint(n // 4, n + 1)] = 1
        return m
    assert kind[0] == "ids"
    return rng.randint(0, kind[1], size=(batch,) + tuple(shape)).astype(np.int64)


def export_one(name, out_dir):
    import numpy as np
    torch = _torch()
    spec = MODELS[name]
    seed = model_seed(name)
    torch.manual_seed(seed)
    model = spec.build().eval()
    for p in model.parameters():
        p.requires_grad_(False)

    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    # Trace at batch 2 so that nothing gets specialized to batch 1.
    rng = np.random.RandomState(seed)
    dummy = tuple(torch.from_numpy(make_input(rng, 2, shape, kind))
                  for _, shape, kind in spec.inputs)
    in_names = [n for n, _, _ in spec.inputs]
    dyn = {n: {0: "batch"} for n in in_names + spec.outputs}
    with torch.no_grad():
        torch.onnx.export(model, dummy, os.path.join(tmp, "model.onnx"), opset_version=OPSET,
                          input_names=in_names, output_names=spec.outputs,
                          dynamic_axes=dyn, do_constant_folding=True)

    data = []
    for b in BATCHES:
        data.append([make_input(rng, b, shape, kind) for _, shape, kind in spec.inputs])
    if spec.extra is not None:
        data += spec.extra()
    stats = []
    with torch.no_grad():
        for i, xs in enumerate(data):
            ys = model(*[torch.from_numpy(x) for x in xs])
            if not isinstance(ys, (tuple, list)):
                ys = (ys,)
            ys = [y.numpy().astype(np.float32) for y in ys]
            d = os.path.join(tmp, f"test_data_set_{i}")
            os.makedirs(d)
            for j, (x, n) in enumerate(zip(xs, in_names)):
                save_tensor(x, n, os.path.join(d, f"input_{j}.pb"))
            for j, (y, n) in enumerate(zip(ys, spec.outputs)):
                if not np.all(np.isfinite(y)):
                    raise RuntimeError(f"{name}: non-finite reference output {n}")
                spread = np.abs(y - y.mean(axis=0, keepdims=True)).max()
                if y.shape[0] > 1 and spread < 1e-2 * max(np.abs(y).max(), 1e-30):
                    raise RuntimeError(f"{name}: output {n} hardly depends on the input "
                                       f"(spread {spread:.3g} across the batch): a useless "
                                       f"reference")
                save_tensor(y, n, os.path.join(d, f"output_{j}.pb"))
                stats.append(f"set {i}: in {[list(x.shape) for x in xs]} out {n} "
                             f"{list(y.shape)} |out| max {np.abs(y).max():.3g} "
                             f"mean {np.abs(y).mean():.3g} spread {spread:.3g}")
    with open(os.path.join(tmp, "EXPORT_VERSION"), "w") as f:
        f.write(EXPORT_VERSION + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)
    return stats


def check(name, out_dir):
    import onnx
    path = os.path.join(out_dir, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    m = onnx.load(path)
    ops = set()

    def walk(g):
        for n in g.node:
            ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
            for a in n.attribute:
                if a.g is not None and a.g.node:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)
    walk(m.graph)
    missing = MODELS[name].required_ops - ops
    if missing:
        raise RuntimeError(f"{name}: exported graph lacks {sorted(missing)} "
                           f"(fused fast path taken?); ops: {sorted(ops)}")
    in_dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    if not isinstance(in_dims[0], str):
        raise RuntimeError(f"{name}: batch dimension is not dynamic: {in_dims}")
    opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    nparams = sum(int(__import__("numpy").prod(i.dims)) for i in m.graph.initializer)
    return sorted(ops), in_dims, opset, len(m.graph.node), nparams, os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="models:\n" + "\n".join(f"  {k:20s} {v.desc}" for k, v in MODELS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="output directory (created if needed)")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated model names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    ap.add_argument("--force", action="store_true", help="re-export even if complete")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    a = ap.parse_args()

    if a.list:
        for k, v in MODELS.items():
            print(f"{k:20s} {v.desc}")
        return 0
    if not a.out:
        ap.error("the output directory is required (or --list)")
    names = [m for m in a.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")

    torch = _torch()
    torch.set_num_threads(max(1, a.threads))
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for name in names:
        d = os.path.join(a.out, name)
        if not a.force and is_complete(d, name):
            print(f"{name}: complete in {d}, not re-exported (use --force)")
        else:
            t = time.time()
            try:
                stats = export_one(name, d)
            except Exception as e:  # report and go on with the other models
                print(f"{name}: EXPORT FAILED: {type(e).__name__}: {e}")
                failed.append(name)
                continue
            print(f"{name}: exported in {time.time() - t:.1f} s")
            for s in stats:
                print(f"  {s}")
        try:
            ops, dims, opset, nnodes, nparams, size = check(name, d)
        except Exception as e:
            print(f"{name}: CHECK FAILED: {type(e).__name__}: {e}")
            failed.append(name)
            continue
        print(f"  checker OK: opset {opset}, input {dims}, {nnodes} nodes, "
              f"{nparams} parameters, {size / 1e6:.1f} MB")
        print(f"  ops ({len(ops)}): {' '.join(ops)}")
    if failed:
        print(f"export_models: FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
