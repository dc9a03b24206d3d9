#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Write Fashion-MNIST images as a data set for kiln-compile --quantize.

The layouts are the two that kiln-compile reads (tools/common/Dataset.h):

  --layout npy   DIR/<input-name>.npy  float32 [N,1,28,28]
                 DIR/labels.npy        int64 [N]
  --layout pb    DIR/test_data_set_<k>/input_0.pb  TensorProto float32 [1,1,28,28]
                 DIR/test_data_set_<k>/label.pb    TensorProto int64 [1]
                 (k = 0 .. N-1, one image per folder)

--no-labels leaves the label files out.

Images: the first --count images from --offset of the split, in the file's
order, so the output is deterministic.  Preprocessing is the one the sample
models were trained with (scripts/train_fashion_mnist.py, classify.c):
    x = float32(pixel_uint8) / 255.0f   in NCHW [N,1,28,28]

--split defaults to `train`: calibration data should come from the training
images, so that the test split (`test`, the 10,000 t10k images) stays unseen
for measuring accuracy after quantization.  Use --split test for an
evaluation set.

Data: Debian package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz).

usage: write_fashion_mnist_data.py --count N --out DIR [--split train|test]
           [--offset K] [--layout npy|pb] [--input-name image] [--no-labels]
"""
import argparse
import gzip
import os
import sys

import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"
SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path, magic, header_ints):
    """An IDX file: big-endian int32 header (magic, dims), then uint8 data."""
    with gzip.open(path, "rb") as f:
        buf = f.read()
    hdr = np.frombuffer(buf, dtype=">i4", count=header_ints)
    if hdr[0] != magic:
        sys.exit(f"{path}: bad IDX magic {hdr[0]:#x} (expected {magic:#x})")
    return hdr, np.frombuffer(buf, dtype=np.uint8, offset=4 * header_ints)


def load_split(data_dir, split):
    prefix = os.path.join(data_dir, SPLITS[split])
    ih, img = read_idx(prefix + "-images-idx3-ubyte.gz", 0x803, 4)
    lh, lab = read_idx(prefix + "-labels-idx1-ubyte.gz", 0x801, 2)
    n, rows, cols = int(ih[1]), int(ih[2]), int(ih[3])
    if (rows, cols) != (28, 28) or int(lh[1]) != n or img.size != n * 28 * 28 or lab.size != n:
        sys.exit(f"{prefix}-*: unexpected IDX sizes")
    return img.reshape(n, 1, rows, cols), lab.astype(np.int64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=sorted(SPLITS), default="train",
                    help="train (default; for calibration) or test (for evaluation)")
    ap.add_argument("--count", type=int, required=True, help="number of images")
    ap.add_argument("--offset", type=int, default=0, help="index of the first image (default 0)")
    ap.add_argument("--layout", choices=["npy", "pb"], default="npy")
    ap.add_argument("--input-name", default="image",
                    help="the model's input name, the .npy file name (default image)")
    ap.add_argument("--out", required=True, help="output folder (created; must be empty)")
    ap.add_argument("--no-labels", action="store_true", help="write no label files")
    ap.add_argument("--data-dir", default=DATA_DIR, help=argparse.SUPPRESS)
    a = ap.parse_args()

    images, labels = load_split(a.data_dir, a.split)
    if a.count < 1 or a.offset < 0 or a.offset + a.count > len(images):
        sys.exit(f"--count {a.count} --offset {a.offset}: the {a.split} split has "
                 f"{len(images)} images")
    if os.path.exists(a.out) and (not os.path.isdir(a.out) or os.listdir(a.out)):
        sys.exit(f"--out {a.out}: exists and is not an empty folder")
    os.makedirs(a.out, exist_ok=True)

    sel = slice(a.offset, a.offset + a.count)
    x = images[sel].astype(np.float32) / np.float32(255.0)
    y = labels[sel]
    if a.layout == "npy":
        stem = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_"
                       for c in a.input_name)
        np.save(os.path.join(a.out, stem + ".npy"), np.ascontiguousarray(x))
        if not a.no_labels:
            np.save(os.path.join(a.out, "labels.npy"), y)
    else:
        from onnx import numpy_helper
        for k in range(a.count):
            d = os.path.join(a.out, f"test_data_set_{k}")
            os.makedirs(d)
            t = numpy_helper.from_array(x[k:k + 1], name=a.input_name)
            with open(os.path.join(d, "input_0.pb"), "wb") as f:
                f.write(t.SerializeToString())
            if not a.no_labels:
                t = numpy_helper.from_array(y[k:k + 1], name="label")
                with open(os.path.join(d, "label.pb"), "wb") as f:
                    f.write(t.SerializeToString())
    print(f"wrote {a.count} {a.split} images ({a.offset}..{a.offset + a.count - 1}) "
          f"as {a.layout} to {a.out}")


if __name__ == "__main__":
    main()
