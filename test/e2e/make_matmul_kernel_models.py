#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""MatMuls whose sizes have no good tile divisor, exported from torch with
torch's outputs as the reference (ONNX backend-test layout):

    make_matmul_kernel_models.py OUT

ViT-B/16's attention products (197 tokens: 197 columns in Q.K^T, a depth of
197 in A.V), a Linear layer with 197 rows and 100 output features, and a
dynamic row count; batch matmuls with a dynamic batch, remainder
tiles and one row.  The CPU tiling peels the loops of such sizes (full
tiles of 32 columns / 16 of depth, and a remainder); checked by
run_graph_models.py (matmul_kernels.test).
"""
import os
import sys

import torch
import torch.nn as nn
from onnx import numpy_helper


class QK(nn.Module):
    def forward(s, q, k):
        return torch.matmul(q, k.transpose(-1, -2))


class AV(nn.Module):
    def forward(s, a, v):
        return torch.matmul(torch.softmax(a, -1), v)


class Linear(nn.Module):
    def __init__(s, k, n):
        super().__init__()
        s.l = nn.Linear(k, n)

    def forward(s, x):
        return torch.relu(s.l(x))


# name: (module, input shapes, dynamic first dim)
MODELS = {
    "qk_197": (QK(), [[1, 12, 197, 64], [1, 12, 197, 64]], False),
    "av_197": (AV(), [[1, 12, 197, 197], [1, 12, 197, 64]], False),
    # Batch matmuls with two run-time operands run on the matmul
    # micro-kernel with the right operand read in place (a loop over the
    # batch): a dynamic batch with 5 query rows (a remainder tile only) and
    # 40 keys (a full panel and 8 masked columns), 13 tokens in A.V (depth
    # 13, two 32-column panels of values), one query row (the GEMV path).
    "qk_dynamic_batch_5x40": (QK(), [[2, 3, 5, 24], [2, 3, 40, 24]], True),
    "av_dynamic_batch_13": (AV(), [[1, 4, 13, 13], [1, 4, 13, 64]], True),
    "qk_one_query": (QK(), [[2, 4, 1, 32], [2, 4, 50, 32]], False),
    "linear_197x100": (Linear(72, 100), [[197, 72]], False),
    "linear_dynamic_rows": (Linear(50, 67), [[3, 50]], True),
    # Weights of 1 MB or more: each row tile prefetches its share of the
    # next panel (19 rows: two full tiles and a remainder of 3; 520 columns:
    # a masked last panel; dynamic rows).
    "linear_prefetch_panels": (Linear(512, 520), [[19, 512]], True),
}


def main():
    out = sys.argv[1]
    for name, (m, shapes, dynamic) in MODELS.items():
        torch.manual_seed(sum(map(ord, name)))
        m.eval()
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        names = [f"in{i}" for i in range(len(shapes))]
        xs = [torch.randn(*s) for s in shapes]
        torch.onnx.export(m, tuple(xs), os.path.join(d, "model.onnx"), opset_version=17, input_names=names,
                          dynamic_axes={n: {0: "rows"} for n in names} if dynamic else None)
        # Dynamic rows: 11 (a full tile of 8 and 3 more), 1 (the GEMV
        # branch of the remainder tile) and 9 (a full tile and a GEMV).
        sets = [xs] + ([[torch.randn(r, *s[1:]) for s in shapes] for r in (11, 1, 9)] if dynamic else [])
        for k, ins in enumerate(sets):
            with torch.no_grad():
                y = m(*ins)
            sd = os.path.join(d, f"test_data_set_{k}")
            os.makedirs(sd, exist_ok=True)
            for i, t in enumerate(ins):
                open(os.path.join(sd, f"input_{i}.pb"), "wb").write(numpy_helper.from_array(t.numpy()).SerializeToString())
            open(os.path.join(sd, "output_0.pb"), "wb").write(numpy_helper.from_array(y.numpy()).SerializeToString())


if __name__ == "__main__":
    main()
