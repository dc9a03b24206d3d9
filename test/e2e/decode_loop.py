#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Token-by-token generation with Kiln's own KV cache.

    decode_loop.py KILN_BIN MODEL_DIR WORK [kiln-compile flags...]

MODEL_DIR is decode_kv_cache from make_attention_models.py: a GPT decoding
step (x, past_k, past_v) -> (y, present_k, present_v) with one data set per
generated position, made by torch generating on its own (each step's input
is its previous output, its cache the previous present).  Here Kiln
generates the same way from data set 0's inputs: every step is fed Kiln's
previous y and present_k / present_v (never torch's), and its y is compared
with torch's at that position (rtol 1e-3, atol 1e-4, the issue's
tolerance), as are the final caches.  Prints one line per step and a
summary; exits 1 on a mismatch.
"""
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-4


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def main():
    kiln_bin, model_dir, work = sys.argv[1:4]
    flags = sys.argv[4:] or ["-O3"]
    os.makedirs(work, exist_ok=True)
    lib = os.path.join(work, "decode.so")
    subprocess.run([os.path.join(kiln_bin, "kiln-compile"), os.path.join(model_dir, "model.onnx"), *flags,
                    "-o", lib], check=True)
    sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")),
                  key=lambda d: int(d.rsplit("_", 1)[1]))
    names = ["x", "past_k", "past_v"]
    state = [load_pb(os.path.join(sets[0], f"input_{i}.pb")) for i in range(3)]
    worst, failed = 0.0, 0
    for step, d in enumerate(sets):
        ref = [load_pb(os.path.join(d, f"output_{i}.pb")) for i in range(3)]
        args = [os.path.join(kiln_bin, "kiln-run"), lib, "--repeat", "1", "--warmup", "0",
                "--save-outputs", os.path.join(work, f"step{step}")]
        for n, a in zip(names, state):
            f = os.path.join(work, f"in_{n}.npy")
            np.save(f, a)
            args += ["--input", f"{n}={f}"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        out = [np.load(os.path.join(work, f"step{step}", f"{n}.npy")) for n in ("y", "present_k", "present_v")]
        # The comparison: Kiln's y against torch's at this position.
        err = float(np.max(np.abs(out[0] - ref[0])))
        ok = out[0].shape == ref[0].shape and np.allclose(out[0], ref[0], rtol=RTOL, atol=ATOL)
        worst = max(worst, err)
        failed += not ok
        print(f"step {step}: cache {state[1].shape[2]} -> {out[1].shape[2]}, max abs diff of y {err:.3g}"
              f"{'' if ok else '  MISMATCH'}")
        state = out  # Kiln's own output and cache feed the next step
    caches_ok = all(np.allclose(a, b, rtol=RTOL, atol=ATOL) for a, b in zip(state[1:], ref[1:]))
    print(f"{len(sets)} steps generated on Kiln's own cache: {len(sets) - failed} match torch "
          f"(max abs diff {worst:.3g}); final caches {'match' if caches_ok else 'DIFFER'}")
    sys.exit(0 if failed == 0 and caches_ok else 1)


if __name__ == "__main__":
    main()
