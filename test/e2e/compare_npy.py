#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Compares two .npy outputs: the largest absolute difference relative to
the largest magnitude of the reference.

    compare_npy.py ACTUAL.npy REFERENCE.npy MAX_RELATIVE

Prints 'max |actual - reference| / max |reference| = X' and 'match' or
'MISMATCH'; exits 1 on a mismatch, a shape difference or a NaN/Inf.
"""
import sys

import numpy as np


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    a, r, limit = np.load(sys.argv[1]), np.load(sys.argv[2]), float(sys.argv[3])
    if a.shape != r.shape:
        print(f"MISMATCH: shapes {a.shape} and {r.shape}")
        sys.exit(1)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(r))):
        print("MISMATCH: NaN or Inf")
        sys.exit(1)
    scale = float(np.abs(r).max()) or 1.0
    rel = float(np.abs(a.astype(np.float64) - r).max()) / scale
    print(f"max |actual - reference| / max |reference| = {rel:.3g}")
    print("match" if rel <= limit else "MISMATCH")
    sys.exit(0 if rel <= limit else 1)


if __name__ == "__main__":
    main()
