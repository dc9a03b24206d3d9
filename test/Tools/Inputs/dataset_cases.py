#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes the data set folders of test/Tools/dataset.test.

usage: dataset_cases.py OUTDIR

One folder per case under OUTDIR.  Most are for a model with one input
`image` float [?,1,28,28] (written as IMG below); two_* and pb_counts are
for a model with inputs `a` float [?,3] and `b` int64 [?].
"""
import os
import sys

import numpy as np
from onnx import numpy_helper

out = sys.argv[1]


def img(n, dtype=np.float32, shape=(1, 28, 28)):
    return np.arange(n * int(np.prod(shape)), dtype=np.float32).reshape((n,) + shape).astype(dtype)


def folder(*parts):
    d = os.path.join(out, *parts)
    os.makedirs(d, exist_ok=True)
    return d


def npy(case, name, arr):
    np.save(os.path.join(folder(case), name), arr)


def pb(case, set_index, name, arr):
    with open(os.path.join(folder(case, f"test_data_set_{set_index}"), name), "wb") as f:
        f.write(numpy_helper.from_array(np.asarray(arr)).SerializeToString())


def raw(path, data):
    with open(os.path.join(out, path), "wb") as f:
        f.write(data)


folder("empty")
folder("no_data")                       # only files of no layout
raw("no_data/README", b"nothing here\n")
raw("afile", b"not a folder\n")
pb("mixed", 0, "input_0.pb", img(1))   # both layouts
npy("mixed", "image.npy", img(4))

# --- stacked .npy -------------------------------------------------------------
npy("npy_u8", "image.npy", img(4, np.uint8))
npy("npy_rank", "image.npy", img(4, shape=(28, 28)))
npy("npy_dim", "image.npy", img(4, shape=(1, 28, 27)))
npy("npy_empty", "image.npy", img(0))
npy("npy_labels_count", "image.npy", img(4))
npy("npy_labels_count", "labels.npy", np.arange(3, dtype=np.int64))
npy("npy_labels_neg", "image.npy", img(4))
npy("npy_labels_neg", "labels.npy", np.array([0, 1, -2, 3], dtype=np.int32))
npy("npy_labels_float", "image.npy", img(4))
npy("npy_labels_float", "labels.npy", np.zeros(4, dtype=np.float32))
npy("npy_labels_2d", "image.npy", img(4))
npy("npy_labels_2d", "labels.npy", np.zeros((4, 1), dtype=np.int64))
npy("npy_labels_u8", "image.npy", img(4))         # any integer type
npy("npy_labels_u8", "labels.npy", np.array([9, 0, 255, 1], dtype=np.uint8))
npy("npy_extra", "image.npy", img(4))
npy("npy_extra", "labels.npy", np.zeros(4, dtype=np.int64))
npy("npy_extra", "notes.npy", np.zeros(2))
npy("npy_renamed", "pixels.npy", img(5))          # single input: any name
npy("npy_renamed", "labels.npy", np.arange(5, dtype=np.int64))
npy("npy_two_unknown", "a.npy", img(2))
npy("npy_two_unknown", "b.npy", img(2))
npy("npy_sanitized", "img_0.npy", img(2))         # input 'img:0'
npy("npy_corrupt", "image.npy", img(2))
raw("npy_corrupt/image.npy", b"\x93NUMPY\x01\x00" + b"garbage")
npy("npy_truncated", "image.npy", img(2))
with open(os.path.join(out, "npy_truncated/image.npy"), "rb") as f:
    data = f.read()
raw("npy_truncated/image.npy", data[:-4])
npy("npy_scalar", "image.npy", np.float32(1))
npy("two_ok", "a.npy", img(6, shape=(3,)))
npy("two_ok", "b.npy", np.arange(6, dtype=np.int64))
npy("two_counts", "a.npy", img(6, shape=(3,)))
npy("two_counts", "b.npy", np.arange(5, dtype=np.int64))
npy("two_missing", "a.npy", img(6, shape=(3,)))

# --- test_data_set_<k> ----------------------------------------------------------
for k in range(2):
    pb("pb_missing", k, "label.pb", np.array([k], dtype=np.int64))
pb("pb_missing", 0, "input_0.pb", img(1))         # test_data_set_1 has no input
pb("pb_beyond", 0, "input_0.pb", img(1))
pb("pb_beyond", 0, "input_1.pb", img(1))
pb("pb_both", 0, "input_0.pb", img(1))
with open(os.path.join(folder("pb_both", "test_data_set_0"), "input_0.npy"), "wb") as f:
    np.save(f, img(1))
for k in range(2):                                 # .pb and .npy inputs; scalar labels
    if k == 0:
        pb("pb_npy_scalar_label", k, "input_0.pb", img(2))
        pb("pb_npy_scalar_label", k, "label.pb", np.array([3, 4], dtype=np.int64))
    else:
        d = folder("pb_npy_scalar_label", "test_data_set_1")
        np.save(os.path.join(d, "input_0.npy"), img(1))
        np.save(os.path.join(d, "label.npy"), np.int32(7))
pb("pb_label_count", 0, "input_0.pb", img(2))
pb("pb_label_count", 0, "label.pb", np.array([1, 2, 3], dtype=np.int64))
pb("pb_label_neg", 0, "input_0.pb", img(1))
pb("pb_label_neg", 0, "label.pb", np.array([-1], dtype=np.int64))
for k in range(2):
    pb("pb_mixed_labels", k, "input_0.pb", img(1))
pb("pb_mixed_labels", 0, "label.pb", np.array([1], dtype=np.int64))
pb("pb_corrupt", 0, "input_0.pb", img(1))
raw("pb_corrupt/test_data_set_0/input_0.pb", b"\xff\xff\xff\xff")
pb("pb_dtype", 0, "input_0.pb", img(1, np.float64))
pb("pb_counts", 0, "input_0.pb", img(2, shape=(3,)))
pb("pb_counts", 0, "input_1.pb", np.arange(3, dtype=np.int64))

# --- over 64 GiB: a sparse file, refused from its size before it is read ------
probe = os.path.join(out, "sparse_probe")
with open(probe, "wb") as f:
    f.truncate(1 << 20)
sparse = os.stat(probe).st_blocks * 512 < (1 << 20)
os.remove(probe)
if not sparse:
    sys.exit("dataset_cases.py: this file system has no sparse files; "
             "not writing the 65 GiB case")
with open(os.path.join(folder("huge"), "image.npy"), "wb") as f:
    f.truncate(65 << 30)
