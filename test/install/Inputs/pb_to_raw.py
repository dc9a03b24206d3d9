#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""pb_to_raw.py TENSOR.pb OUT.raw: writes a TensorProto's data as raw float32."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

t = onnx.TensorProto()
with open(sys.argv[1], "rb") as f:
    t.ParseFromString(f.read())
numpy_helper.to_array(t).astype("<f4").tofile(sys.argv[2])
