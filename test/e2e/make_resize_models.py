#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Resize models with dynamic spatial dims, torch reference outputs.

    make_resize_models.py OUT

writes OUT/<case>/model.onnx and test_data_set_0/{input_0,output_0}.pb for
Resize cases whose geometry is only complete at run time (a dynamic height
with constant scales or sizes), with torch.nn.functional.interpolate as the
reference (bilinear/bicubic with align_corners False = ONNX half_pixel;
'nearest' = ONNX asymmetric + floor).
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def case(out, name, mode, onnx_attrs, torch_kw, scales=None, sizes=None, shape=(1, 2, 3, 5)):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, [shape[0], shape[1], "h", shape[3]])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits, ins = [], ["x", ""]
    if scales is not None:
        inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
        ins += ["scales"]
    else:
        inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
        ins += ["", "sizes"]
    node = helper.make_node("Resize", ins, ["y"], mode=mode, **onnx_attrs)
    g = helper.make_graph([node], name, [x_info], [y_info], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(d, "model.onnx"))
    x = np.random.RandomState(len(name)).randn(*shape).astype(np.float32)
    if scales is not None:
        y = torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=tuple(scales[2:]), **torch_kw)
    else:
        y = torch.nn.functional.interpolate(torch.from_numpy(x), size=tuple(sizes[2:]), **torch_kw)
    for f, t, n in (("input_0.pb", x, "x"), ("output_0.pb", y.numpy(), "y")):
        with open(os.path.join(d, "test_data_set_0", f), "wb") as fh:
            fh.write(numpy_helper.from_array(t, n).SerializeToString())


def main():
    out = sys.argv[1]
    case(out, "linear_scales", "linear", {}, dict(mode="bilinear", align_corners=False), scales=[1, 1, 2, 2])
    case(out, "cubic_scales", "cubic", {}, dict(mode="bicubic", align_corners=False), scales=[1, 1, 2, 1.5])
    case(out, "nearest_sizes", "nearest",
         dict(coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
         dict(mode="nearest"), sizes=[1, 2, 7, 11])
    case(out, "linear_down_sizes", "linear", {}, dict(mode="bilinear", align_corners=False),
         sizes=[1, 2, 2, 3], shape=(1, 2, 6, 7))


if __name__ == "__main__":
    main()
