#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Train Kiln's sample Fashion-MNIST CNN and export it to ONNX.

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

Model (about 106k parameters, ~0.43 MB of float32 weights):
    Conv(1->16, 3x3, pad 1) + ReLU + MaxPool 2
    Conv(16->32, 3x3, pad 1) + ReLU + MaxPool 2
    Flatten, Linear(32*7*7 -> 64) + ReLU, Linear(64 -> 10)   -> logits

Outputs (default directory models/):
    fashion_mnist_cnn.onnx                     opset 17, input "image" [batch,1,28,28]
                                               float32 (dynamic batch), output "logits" [batch,10]
    fashion_mnist_cnn.torch_predictions.bin    10,000 uint8: argmax of torch's logits for
                                               every test image, in test-set order
    fashion_mnist_cnn.json                     accuracy, settings, seeds, versions, sha256

usage: /usr/bin/python3 scripts/train_fashion_mnist.py [--out models] [--epochs 3]
"""
import argparse
import gzip
import hashlib
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

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
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args()

    seed_everything(a.seed)
    t_start = time.time()
    xtr_u8, ytr = load_split(a.data, "train")
    xte_u8, yte = load_split(a.data, "t10k")
    xtr, xte = preprocess(xtr_u8), preprocess(xte_u8)
    print(f"data: train {xtr.shape}, test {xte.shape}")

    model = FashionCNN()
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps_per_epoch = (len(xtr) + a.batch_size - 1) // a.batch_size
    # Cosine decay of the learning rate to 0 over all steps (per step).
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs * steps_per_epoch)
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
    onnx_path = os.path.join(a.out, "fashion_mnist_cnn.onnx")
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

    pred_path = os.path.join(a.out, "fashion_mnist_cnn.torch_predictions.bin")
    preds.tofile(pred_path)

    meta = {
        "model": "fashion_mnist_cnn",
        "architecture": "Conv(1->16,3x3,p1)+ReLU+MaxPool2, Conv(16->32,3x3,p1)+ReLU+MaxPool2, "
                        "Flatten, Linear(1568->64)+ReLU, Linear(64->10)",
        "parameters": nparams,
        "preprocessing": "x = float32(uint8 pixel) / 255.0f, layout [N,1,28,28], no mean/std",
        "input": {"name": "image", "shape": ["batch", 1, 28, 28], "dtype": "float32"},
        "output": {"name": "logits", "shape": ["batch", 10], "dtype": "float32"},
        "classes": CLASSES,
        "torch_test_accuracy": acc,
        "torch_test_correct": int((preds == yte).sum()),
        "test_images": int(len(yte)),
        "per_class_accuracy": per_class,
        "train": {"epochs": a.epochs, "batch_size": a.batch_size, "optimizer": "Adam",
                  "lr": a.lr, "lr_schedule": "cosine to 0 over all steps, stepped per batch", "loss": "CrossEntropyLoss", "augmentation": None,
                  "train_images": int(len(ytr)), "train_seconds": round(train_s, 1),
                  "threads": 1, "deterministic_algorithms": True},
        "seeds": {"python_numpy_torch": a.seed, "shuffle_generator": a.seed + 1},
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "onnx": {"file": "fashion_mnist_cnn.onnx", "opset": 17, "bytes": len(onnx_bytes),
                 "sha256": sha, "ops": ops},
        "torch_predictions": {"file": "fashion_mnist_cnn.torch_predictions.bin",
                              "format": "10000 x uint8 argmax of torch logits, test-set order",
                              "sha256": hashlib.sha256(preds.tobytes()).hexdigest()},
    }
    with open(os.path.join(a.out, "fashion_mnist_cnn.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"test accuracy {acc * 100:.2f}% ({meta['torch_test_correct']}/{len(yte)}), "
          f"{nparams} parameters, onnx {len(onnx_bytes)} bytes, ops {ops}")
    print(f"training {train_s:.1f} s, total {time.time() - t_start:.1f} s; wrote {onnx_path}, "
          f"{pred_path}, sha256 {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
