#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""check_npy.py FILE.npy REFERENCE.pb: checks a file kiln-run --save-outputs
wrote, with numpy's own reader: its data starts at a multiple of 64 bytes,
and its shape, dtype and values match the TensorProto (|a - e| <= 1e-5 +
1e-3 |e|).  Prints "npy OK: <shape> <dtype>" or exits 1 with the reason."""
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

with open(sys.argv[1], "rb") as f:
    raw = f.read()
if raw[:6] != b"\x93NUMPY" or raw[6] != 1:
    sys.exit("check_npy: not a version 1.0 .npy file")
(hlen,) = struct.unpack("<H", raw[8:10])
if (10 + hlen) % 64 != 0:
    sys.exit(f"check_npy: data offset {10 + hlen} is not a multiple of 64")
a = np.load(sys.argv[1])
t = onnx.TensorProto()
with open(sys.argv[2], "rb") as f:
    t.ParseFromString(f.read())
e = numpy_helper.to_array(t)
if a.shape != e.shape or a.dtype != e.dtype:
    sys.exit(f"check_npy: {a.shape} {a.dtype}, expected {e.shape} {e.dtype}")
if not np.allclose(a, e, rtol=1e-3, atol=1e-5):
    sys.exit(f"check_npy: values differ, max abs err {np.max(np.abs(a - e))}")
print(f"npy OK: {a.shape} {a.dtype}")
