#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Train Kiln's sample Fashion-MNIST models (CNN, ResNet, ViT) and export them to ONNX.

Reproducible: fixed seeds (python, numpy, torch), torch deterministic
algorithms, one CPU thread, data order from a seeded torch.Generator.  Re-running
on the same torch build gives the same weights, the same predictions and (with
the same onnx/torch versions) byte-identical ONNX.

Data: Debian package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz).

Preprocessing (the C demo examples/fashion_mnist/classify.c does the same):
    x = float32(pixel_uint8) / 255.0f        -> range [0, 1], shape [N,1,28,28]
No mean/std normalization, no augmentation.  The division is done in float32
(numpy: uint8 array .astype(float32) / np.float32(255)), which is bit-identical
to C's `(float)p / 255.0f`.

Models (--arch, default cnn; each is trained from the same seed):
  cnn    (about 106k parameters, ~0.43 MB of float32 weights; 3 epochs):
    Conv(1->16, 3x3, pad 1) + ReLU + MaxPool 2
    Conv(16->32, 3x3, pad 1) + ReLU + MaxPool 2
    Flatten, Linear(32*7*7 -> 64) + ReLU, Linear(64 -> 10)   -> logits
  resnet (about 175k parameters, ~0.7 MB; 3 epochs): a small ResNet with BatchNorm
    stem Conv(1->16, 3x3, pad 1, no bias) + BN + ReLU               28x28
    3 stages of 2 basic blocks, 16/32/64 channels, each stage's first block
    stride 2 with a 1x1 stride-2 Conv + BN projection shortcut      14, 7, 4
    (basic block: Conv3x3-BN-ReLU-Conv3x3-BN, + shortcut, ReLU)
    global average pool, Linear(64 -> 10)                          -> logits
    Exported in eval mode (torch's exporter folds the BatchNorms into the Convs).
  vit    (about 105k parameters, ~0.42 MB; 3 epochs): a small vision transformer
    patch embedding Conv(1->64, 7x7, stride 7) -> 16 tokens of 64, + learned
    position embedding; 3 pre-norm encoder blocks: LayerNorm, multi-head
    self-attention (4 heads of 16, written out as Linear qkv, reshape to heads,
    q @ k^T * 1/sqrt(16), softmax, @ v, Linear), residual add; LayerNorm,
    MLP Linear(64->128) + GELU + Linear(128->64), residual add; final
    LayerNorm, mean over tokens, Linear(64 -> 10)                  -> logits
    The ONNX graph has MatMul/Mul/Softmax/MatMul per block (all heads at once,
    batch from the input's shape at run time), LayerNormalization and GELU as Erf.
    AdamW, weight decay 0.05, 300 warm-up steps (cnn and resnet: Adam, no warm-up).

Outputs (default directory models/), <arch> = cnn, resnet or vit:
    fashion_mnist_<arch>.onnx                    opset 17, input "image" [batch,1,28,28]
                                                 float32 (dynamic batch), output "logits" [batch,10]
    fashion_mnist_<arch>.torch_predictions.bin   10,000 uint8: argmax of torch's logits for
                                                 every test image, in test-set order
    fashion_mnist_<arch>.json                    accuracy, settings, seeds, versions, sha256

usage: /usr/bin/python3 scripts/train_fashion_mnist.py [--arch cnn|resnet|vit] [--out models]
                                                        [--epochs N] [--batch-size B] [--lr LR]
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
SEED = 20240601
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path, magic, header_ints):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    hdr = np.frombuffer(buf, dtype=">i4", count=header_ints)
    if hdr[0] != magic:
        raise SystemExit(f"{path}: bad IDX magic {hdr[0]:#x} (expected {magic:#x})")
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 * header_ints)
    return hdr, data


def load_split(data_dir, split):
    ih, img = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"), 0x803, 4)
    lh, lab = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"), 0x801, 2)
    n, rows, cols = int(ih[1]), int(ih[2]), int(ih[3])
    assert (rows, cols) == (28, 28) and int(lh[1]) == n
    return img.reshape(n, 1, rows, cols), lab.astype(np.int64)


def preprocess(images_u8):
    """uint8 [N,1,28,28] -> float32 in [0,1].  Must match classify.c exactly."""
    return images_u8.astype(np.float32) / np.float32(255.0)


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """ResNet basic block: Conv3x3-BN-ReLU-Conv3x3-BN, + shortcut, ReLU.  The
    shortcut is the identity, or a 1x1 Conv + BN projection where the stride
    or the channel count changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class FashionResNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks_per_stage=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, cin = [], widths[0]
        for w in widths:
            for b in range(blocks_per_stage):
                blocks.append(BasicBlock(cin, w, 2 if b == 0 else 1))
                cin = w
        self.stages = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.pool(self.stages(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


class SelfAttention(nn.Module):
    """Multi-head self-attention written out as torch ops, so that the ONNX
    graph has MatMul(q, k^T) * scale, Softmax, MatMul(., v)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                      # [b, heads, n, head_dim]
        attn = (q @ k.transpose(-2, -1)) * self.scale         # [b, heads, n, n]
        attn = attn.softmax(dim=-1)
        y = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(y)


class EncoderBlock(nn.Module):
    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class FashionViT(nn.Module):
    def __init__(self, patch=7, dim=64, depth=3, heads=4, mlp_dim=128):
        super().__init__()
        tokens = (28 // patch) ** 2
        self.patch_embed = nn.Conv2d(1, dim, patch, patch)
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)    # [b, tokens, dim]
        x = self.blocks(x + self.pos_embed)
        return self.head(self.norm(x).mean(dim=1))


# Per-architecture model, defaults and description.  The cnn entry is the
# original sample model: its settings must not change (its .onnx and
# predictions are reproduced byte for byte).
ARCHS = {
    "cnn": dict(
        make=FashionCNN, epochs=3, batch_size=64, lr=2e-3, optimizer="Adam",
        weight_decay=0.0, warmup_steps=0,
        description="Conv(1->16,3x3,p1)+ReLU+MaxPool2, Conv(16->32,3x3,p1)+ReLU+MaxPool2, "
                    "Flatten, Linear(1568->64)+ReLU, Linear(64->10)"),
    "resnet": dict(
        make=FashionResNet, epochs=3, batch_size=64, lr=2e-3, optimizer="Adam",
        weight_decay=0.0, warmup_steps=0,
        description="ResNet: stem Conv(1->16,3x3,p1,no bias)+BN+ReLU; 3 stages x 2 basic blocks "
                    "(Conv3x3-BN-ReLU-Conv3x3-BN + shortcut, ReLU), 16/32/64 channels, first "
                    "block of each stage stride 2 with a 1x1 stride-2 Conv+BN projection "
                    "shortcut (28->14->7->4); global average pool, Linear(64->10)"),
    "vit": dict(
        make=FashionViT, epochs=3, batch_size=64, lr=2e-3, optimizer="AdamW",
        weight_decay=0.05, warmup_steps=300,
        description="ViT: patch embedding Conv(1->64,7x7,s7) -> 16 tokens + learned position "
                    "embedding; 3 pre-norm encoder blocks (LayerNorm, 4-head self-attention "
                    "Linear qkv / q@k^T*0.25 / softmax / @v / Linear, residual; LayerNorm, "
                    "Linear(64->128)+GELU+Linear(128->64), residual); LayerNorm, mean over "
                    "tokens, Linear(64->10)"),
}


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    out = [model(torch.from_numpy(x[i:i + batch])).argmax(1) for i in range(0, len(x), batch)]
    return torch.cat(out).numpy().astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "models"))
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--arch", choices=sorted(ARCHS), default="cnn",
                    help="model to train (default cnn, the demo's sample model)")
    ap.add_argument("--epochs", type=int, default=None, help="default per --arch (3)")
    ap.add_argument("--batch-size", type=int, default=None, help="default per --arch (64)")
    ap.add_argument("--lr", type=float, default=None, help="default per --arch (2e-3)")
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args()
    arch = ARCHS[a.arch]
    for k in ("epochs", "batch_size", "lr"):
        if getattr(a, k) is None:
            setattr(a, k, arch[k])
    name = f"fashion_mnist_{a.arch}"

    seed_everything(a.seed)
    t_start = time.time()
    xtr_u8, ytr = load_split(a.data, "train")
    xte_u8, yte = load_split(a.data, "t10k")
    xtr, xte = preprocess(xtr_u8), preprocess(xte_u8)
    print(f"data: train {xtr.shape}, test {xte.shape}")

    model = arch["make"]()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"model {name}: {nparams} parameters")
    if arch["optimizer"] == "Adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=arch["weight_decay"])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=arch["weight_decay"])
    steps_per_epoch = (len(xtr) + a.batch_size - 1) // a.batch_size
    total_steps = a.epochs * steps_per_epoch
    warmup = arch["warmup_steps"]
    if warmup == 0:
        # Cosine decay of the learning rate to 0 over all steps (per step).
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    else:
        # Linear warm-up from 0 over `warmup` steps, then cosine decay to 0.
        def lr_factor(step):
            if step < warmup:
                return (step + 1) / warmup
            return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / (total_steps - warmup)))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed + 1)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)

    t_train = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr_t), generator=gen)
        tot, n = 0.0, 0
        for i in range(0, len(perm), a.batch_size):
            idx = perm[i:i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            n += len(idx)
        acc = float((predict(model, xte) == yte).mean())
        print(f"epoch {epoch + 1}/{a.epochs}: train loss {tot / n:.4f}, test accuracy "
              f"{acc * 100:.2f}%, elapsed {time.time() - t_train:.1f} s", flush=True)
    train_s = time.time() - t_train

    model.eval()
    preds = predict(model, xte)
    acc = float((preds == yte).mean())
    per_class = {CLASSES[c]: float((preds[yte == c] == c).mean()) for c in range(10)}

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, name + ".onnx")
    torch.onnx.export(model, torch.from_numpy(xte[:1]), onnx_path, opset_version=17,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    ops = sorted({n.op_type for n in m.graph.node})
    with open(onnx_path, "rb") as f:
        onnx_bytes = f.read()
    sha = hashlib.sha256(onnx_bytes).hexdigest()

    pred_path = os.path.join(a.out, name + ".torch_predictions.bin")
    preds.tofile(pred_path)

    meta = {
        "model": name,
        "architecture": arch["description"],
        "parameters": nparams,
        "preprocessing": "x = float32(uint8 pixel) / 255.0f, layout [N,1,28,28], no mean/std",
        "input": {"name": "image", "shape": ["batch", 1, 28, 28], "dtype": "float32"},
        "output": {"name": "logits", "shape": ["batch", 10], "dtype": "float32"},
        "classes": CLASSES,
        "torch_test_accuracy": acc,
        "torch_test_correct": int((preds == yte).sum()),
        "test_images": int(len(yte)),
        "per_class_accuracy": per_class,
        "train": {"epochs": a.epochs, "batch_size": a.batch_size, "optimizer": arch["optimizer"],
                  "lr": a.lr, "lr_schedule": "cosine to 0 over all steps, stepped per batch", "loss": "CrossEntropyLoss", "augmentation": None,
                  "train_images": int(len(ytr)), "train_seconds": round(train_s, 1),
                  "threads": 1, "deterministic_algorithms": True},
        "seeds": {"python_numpy_torch": a.seed, "shuffle_generator": a.seed + 1},
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "onnx": {"file": name + ".onnx", "opset": 17, "bytes": len(onnx_bytes),
                 "sha256": sha, "ops": ops},
        "torch_predictions": {"file": name + ".torch_predictions.bin",
                              "format": "10000 x uint8 argmax of torch logits, test-set order",
                              "sha256": hashlib.sha256(preds.tobytes()).hexdigest()},
    }
    if arch["weight_decay"]:
        meta["train"]["weight_decay"] = arch["weight_decay"]
    if warmup:
        meta["train"]["lr_schedule"] = (f"linear warm-up from 0 over {warmup} steps, then cosine "
                                        "to 0 over the remaining steps, stepped per batch")
    if a.arch == "resnet":
        meta["train"]["batchnorm"] = ("train mode (batch statistics) in training; eval mode "
                                      "(running statistics) for the test accuracy and the export")
    with open(os.path.join(a.out, name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"test accuracy {acc * 100:.2f}% ({meta['torch_test_correct']}/{len(yte)}), "
          f"{nparams} parameters, onnx {len(onnx_bytes)} bytes, ops {ops}")
    print(f"training {train_s:.1f} s, total {time.time() - t_start:.1f} s; wrote {onnx_path}, "
          f"{pred_path}, sha256 {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
