#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Einsum models with torch.einsum reference outputs (ONNX backend-test layout).

    make_einsum_models.py OUT

Cases go beyond ONNX's own backend tests: ellipsis broadcasting across
operands of different ranks, three operands, a dynamic batch, a diagonal
inside a contraction.
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

CASES = {
    # name: (equation, input shapes, dims made symbolic per input)
    "bcast_bmm": ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)], [{}, {}]),
    "three": ("ab,bc,cd->ad", [(3, 4), (4, 5), (5, 2)], [{}, {}, {}]),
    "dyn_batch": ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)], [{0: "n"}, {0: "n"}]),
    "diag_contract": ("iij,jk->ik", [(4, 4, 3), (3, 2)], [{}, {}]),
}


def main():
    out = sys.argv[1]
    for name, (eq, shapes, sym) in CASES.items():
        d = os.path.join(out, name)
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        rng = np.random.RandomState(len(name))
        xs = [rng.randn(*s).astype(np.float32) for s in shapes]
        ins = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT,
                                             [sym[i].get(k, v) for k, v in enumerate(s)])
               for i, s in enumerate(shapes)]
        y = torch.einsum(eq, *[torch.from_numpy(x) for x in xs]).numpy()
        node = helper.make_node("Einsum", [f"x{i}" for i in range(len(xs))], ["y"], equation=eq)
        g = helper.make_graph([node], name, ins, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(d, "model.onnx"))
        for i, x in enumerate(xs):
            with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(x, f"x{i}").SerializeToString())
        with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, "y").SerializeToString())


if __name__ == "__main__":
    main()
