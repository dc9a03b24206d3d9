# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Helpers of the make_*_models.py scripts that export torch modules with
torch's outputs as the reference (ONNX backend-test layout)."""
import os

import torch
from onnx import numpy_helper


def seed_parameters(m, name):
    """Deterministic weights in [-0.5, 0.5) from the model's name; eval mode."""
    torch.manual_seed(sum(map(ord, name)))
    for p in m.parameters():
        p.data.uniform_(-0.5, 0.5)
    m.eval()


def write_data_set(model_dir, k, x, m):
    """test_data_set_<k> with input x and m(x) as the expected output."""
    with torch.no_grad():
        y = m(x)
    sd = os.path.join(model_dir, f"test_data_set_{k}")
    os.makedirs(sd, exist_ok=True)
    open(os.path.join(sd, "input_0.pb"), "wb").write(numpy_helper.from_array(x.numpy()).SerializeToString())
    open(os.path.join(sd, "output_0.pb"), "wb").write(numpy_helper.from_array(y.numpy()).SerializeToString())
