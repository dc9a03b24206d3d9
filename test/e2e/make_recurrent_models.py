#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""RNN / GRU / LSTM models with torch.nn reference outputs.

    make_recurrent_models.py OUT

writes OUT/<case>/model.onnx and test_data_set_0/{input_*,output_*}.pb.
The ONNX weights are torch's, with the gate blocks reordered (torch LSTM
i,f,g,o -> ONNX i,o,f,c; torch GRU r,z,n -> ONNX z,r,h; torch's GRU is
ONNX's linear_before_reset = 1).  The cases cover what ONNX's backend tests
do not: bidirectional, run-time sequence length and batch (scf.for path),
a long static sequence, batch-first layout with ReLU, and sequence_lens
(torch packed sequences, both directions).
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def reorder(w, op, h):
    blocks = [w[i * h:(i + 1) * h] for i in range(len(ORDER[op]))]
    return np.concatenate([blocks[i] for i in ORDER[op]], 0)


def onnx_weights(mod, op, h, dirs):
    W, R, B = [], [], []
    for d in range(dirs):
        sfx = "_l0" + ("_reverse" if d else "")
        g = lambda n: getattr(mod, n + sfx).detach().numpy()
        W.append(reorder(g("weight_ih"), op, h))
        R.append(reorder(g("weight_hh"), op, h))
        B.append(np.concatenate([reorder(g("bias_ih"), op, h), reorder(g("bias_hh"), op, h)]))
    return [np.stack(W), np.stack(R), np.stack(B)]


def save(out, name, nodes, inputs, outputs, feeds, refs, inits=()):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), os.path.join(d, "model.onnx"))
    for prefix, arrs in (("input", feeds), ("output", refs)):
        for i, (n, a) in enumerate(arrs):
            with open(os.path.join(d, "test_data_set_0", "%s_%d.pb" % (prefix, i)), "wb") as f:
                f.write(numpy_helper.from_array(np.ascontiguousarray(a), n).SerializeToString())


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def lstm_bidirectional_dynamic(out):
    torch.manual_seed(1)
    S, N, I, H = 5, 2, 3, 4
    mod = torch.nn.LSTM(I, H, bidirectional=True)
    x = torch.randn(S, N, I)
    h0, c0 = torch.randn(2, N, H), torch.randn(2, N, H)
    with torch.no_grad():
        y, (hn, cn) = mod(x, (h0, c0))
    W, R, B = onnx_weights(mod, "LSTM", H, 2)
    y = y.numpy().reshape(S, N, 2, H).transpose(0, 2, 1, 3)
    node = helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "c0"], ["y", "yh", "yc"],
                            hidden_size=H, direction="bidirectional")
    save(out, "lstm_bidirectional_dynamic", [node],
         [vi("x", ["S", "N", I]), vi("h0", [2, "N", H]), vi("c0", [2, "N", H])],
         [vi("y", None), vi("yh", None), vi("yc", None)],
         [("x", x.numpy()), ("h0", h0.numpy()), ("c0", c0.numpy())],
         [("y", y), ("yh", hn.numpy()), ("yc", cn.numpy())],
         [numpy_helper.from_array(a, n) for a, n in zip((W, R, B), ("W", "R", "B"))])


def gru_long(out):
    torch.manual_seed(2)
    S, N, I, H = 40, 3, 2, 5
    mod = torch.nn.GRU(I, H)
    x = torch.randn(S, N, I)
    with torch.no_grad():
        y, hn = mod(x)
    W, R, B = onnx_weights(mod, "GRU", H, 1)
    node = helper.make_node("GRU", ["x", "W", "R", "B"], ["y", "yh"], hidden_size=H,
                            linear_before_reset=1)
    save(out, "gru_long", [node], [vi("x", [S, N, I])], [vi("y", None), vi("yh", None)],
         [("x", x.numpy())], [("y", y.numpy()[:, None]), ("yh", hn.numpy())],
         [numpy_helper.from_array(a, n) for a, n in zip((W, R, B), ("W", "R", "B"))])


def rnn_relu_batch_first(out):
    torch.manual_seed(3)
    S, N, I, H = 4, 2, 3, 3
    mod = torch.nn.RNN(I, H, nonlinearity="relu", batch_first=True, bidirectional=True)
    x = torch.randn(N, S, I)
    with torch.no_grad():
        y, hn = mod(x)
    W, R, B = onnx_weights(mod, "RNN", H, 2)
    node = helper.make_node("RNN", ["x", "W", "R", "B"], ["y", "yh"], hidden_size=H, layout=1,
                            direction="bidirectional", activations=["Relu", "Relu"])
    save(out, "rnn_relu_batch_first", [node], [vi("x", [N, S, I])], [vi("y", None), vi("yh", None)],
         [("x", x.numpy())],
         [("y", y.numpy().reshape(N, S, 2, H)), ("yh", hn.numpy().transpose(1, 0, 2))],
         [numpy_helper.from_array(a, n) for a, n in zip((W, R, B), ("W", "R", "B"))])


def lstm_sequence_lens(out):
    torch.manual_seed(4)
    S, N, I, H = 6, 4, 3, 4
    mod = torch.nn.LSTM(I, H, bidirectional=True)
    x = torch.randn(S, N, I)
    lens = torch.tensor([6, 2, 4, 1])
    with torch.no_grad():
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lens, enforce_sorted=False)
        yp, (hn, cn) = mod(packed)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(yp, total_length=S)
    W, R, B = onnx_weights(mod, "LSTM", H, 2)
    node = helper.make_node("LSTM", ["x", "W", "R", "B", "lens"], ["y", "yh", "yc"], hidden_size=H,
                            direction="bidirectional")
    save(out, "lstm_sequence_lens", [node], [vi("x", [S, N, I]), vi("lens", [N], TensorProto.INT32)],
         [vi("y", None), vi("yh", None), vi("yc", None)],
         [("x", x.numpy()), ("lens", lens.numpy().astype(np.int32))],
         [("y", y.numpy().reshape(S, N, 2, H).transpose(0, 2, 1, 3)), ("yh", hn.numpy()),
          ("yc", cn.numpy())],
         [numpy_helper.from_array(a, n) for a, n in zip((W, R, B), ("W", "R", "B"))])


def main():
    out = sys.argv[1]
    lstm_bidirectional_dynamic(out)
    gru_long(out)
    rnn_relu_batch_first(out)
    lstm_sequence_lens(out)


if __name__ == "__main__":
    main()
