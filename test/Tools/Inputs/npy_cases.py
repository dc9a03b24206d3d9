#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes .npy files for kiln-run-npy.test from a data set's input_0.pb.

usage: npy_cases.py INPUT_0.pb OUTDIR

OUTDIR/image.npy (version 1.0), image_v2.npy (2.0), and files that kiln-run
must refuse: image_fortran.npy, image_be.npy, image_f64.npy (a dtype the model
does not take), image_v3.npy, object.npy, structured.npy, truncated.npy,
bool_bad.npy (a bool byte of 2), not_npy.npy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

t = onnx.TensorProto()
with open(sys.argv[1], "rb") as f:
    t.ParseFromString(f.read())
x = numpy_helper.to_array(t)
out = sys.argv[2]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


np.save(path("image.npy"), x)
for version, name in (((2, 0), "image_v2.npy"), ((3, 0), "image_v3.npy")):
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, x, version=version)
np.save(path("image_fortran.npy"), np.asfortranarray(x))
np.save(path("image_be.npy"), x.astype(">f4"))
np.save(path("image_f64.npy"), x.astype("<f8"))
np.save(path("object.npy"), np.array([1, "a"], dtype=object), allow_pickle=True)
np.save(path("structured.npy"), np.zeros(2, dtype=[("a", "<f4")]))
with open(path("image.npy"), "rb") as f:
    data = f.read()
with open(path("truncated.npy"), "wb") as f:
    f.write(data[:-4])
np.save(path("bool_bad.npy"), np.array([True, False]))
with open(path("bool_bad.npy"), "r+b") as f:
    f.seek(-1, os.SEEK_END)
    f.write(b"\x02")
with open(path("not_npy.npy"), "w") as f:
    f.write("hello\n")
