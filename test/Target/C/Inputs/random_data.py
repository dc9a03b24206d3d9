#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes COUNT seeded standard-normal float32 inputs of SHAPE in the
backend-test layout (OUT/test_data_set_<k>/input_0.npy), for calibrating
models whose real data the tests do not have.

usage: random_data.py --shape 1,3,96,96 --count 4 --out DIR [--seed S]"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--shape", required=True)
ap.add_argument("--count", type=int, required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
shape = tuple(int(d) for d in a.shape.split(","))
rng = np.random.default_rng(a.seed)
for k in range(a.count):
    d = os.path.join(a.out, f"test_data_set_{k}")
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "input_0.npy"), rng.standard_normal(shape).astype(np.float32))
