#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Models whose result is undefined for some input values (ONNX backend-test layout).

    make_runtime_error_models.py OUT

Each model NAME gets OUT/NAME/model.onnx, a good data set test_data_set_0
(inputs and the numpy reference output) and a bad one test_data_set_1
(inputs only) that must make kiln_model_run fail with
KILN_ERROR_INVALID_INPUT.  Models NAME_const (OUT/NAME_const.onnx) hold the
bad value as a constant and must fail to compile.
"""
import os
import sys

import numpy as np
import onnx
import onnx.mapping
from onnx import helper, numpy_helper


def cases():
    """(name, opset, nodes, inputs [(name, good, bad, shape)], initializers, reference)."""
    rng = np.random.RandomState(3)
    data = rng.randn(10, 4).astype(np.float32)
    good = np.array([0, 9, -10, 3], np.int64)
    yield ("gather", 13, [helper.make_node("Gather", ["data", "idx"], ["y"], name="Gather_3", axis=0)],
           [("idx", good, np.array([1, 100000000, 2, 3], np.int64), ["n"])],
           [numpy_helper.from_array(data, "data")], np.take(data, good, axis=0))

    x = rng.randn(3, 4).astype(np.float32)
    i = np.array([[3, -4], [0, 2], [1, 1]], np.int32)
    yield ("gather_elements", 13,
           [helper.make_node("GatherElements", ["x", "i"], ["y"], name="GE", axis=1)],
           [("x", x, x, None), ("i", i, np.array([[3, -5], [0, 2], [1, 1]], np.int32), None)], [],
           np.take_along_axis(x, i % 4, axis=1))

    x = rng.randn(2, 3).astype(np.float32)
    i = np.array([[1, 2], [0, -3]], np.int64)
    yield ("gather_nd", 13, [helper.make_node("GatherND", ["x", "i"], ["y"], name="GND")],
           [("x", x, x, None), ("i", i, np.array([[1, 2], [0, 3]], np.int64), None)], [],
           np.array([x[1, 2], x[0, 0]], np.float32))

    d = rng.randn(3, 3).astype(np.float32)
    i = np.array([[0, -1]], np.int64)
    u = rng.randn(1, 2).astype(np.float32)
    ref = d.copy()
    ref[0, 0], ref[0, 2] = u[0, 0], u[0, 1]
    yield ("scatter_elements", 13,
           [helper.make_node("ScatterElements", ["d", "i", "u"], ["y"], name="SE", axis=1)],
           [("d", d, d, None), ("i", i, np.array([[0, -4]], np.int64), None), ("u", u, u, None)], [], ref)

    d = rng.randn(4).astype(np.float32)
    i = np.array([[3], [0]], np.int64)
    u = rng.randn(2).astype(np.float32)
    ref = d.copy()
    ref[3], ref[0] = u[0], u[1]
    yield ("scatter_nd", 13, [helper.make_node("ScatterND", ["d", "i", "u"], ["y"], name="SND")],
           [("d", d, d, None), ("i", i, np.array([[4], [0]], np.int64), None), ("u", u, u, None)], [], ref)

    a = np.array([7, -7, 9, -2147483648], np.int32)
    b = np.array([2, 2, -3, 1], np.int32)
    yield ("div_int", 13, [helper.make_node("Div", ["a", "b"], ["y"], name="Div_1")],
           [("a", a, a, None), ("b", b, np.array([2, 0, 0, 1], np.int32), None)], [],
           np.trunc(a.astype(np.float64) / b).astype(np.int32))

    a = np.array([7, -7, 9], np.int64)
    b = np.array([2, 3, -4], np.int64)
    yield ("mod_int", 13, [helper.make_node("Mod", ["a", "b"], ["y"], name="Mod_1")],
           [("a", a, a, None), ("b", b, np.array([0, 3, -4], np.int64), None)], [], np.mod(a, b))

    x = np.array([3.0, 1.0, 5.0, 2.0, 4.0], np.float32)
    yield ("topk", 11, [helper.make_node("TopK", ["x", "k"], ["y", "iy"], name="TopK_1")],
           [("x", x, x, None), ("k", np.array([2], np.int64), np.array([7], np.int64), None)], [],
           np.array([5.0, 4.0], np.float32))

    x = rng.randn(2, 3).astype(np.float32)
    yield ("reduce_axes", 18, [helper.make_node("ReduceSum", ["x", "axes"], ["y"], name="RS", keepdims=0)],
           [("x", x, x, None), ("axes", np.array([0, -1], np.int64), np.array([1, -1], np.int64), None)], [],
           np.array(x.sum(), np.float32))

    yield ("reduce_axes_range", 18,
           [helper.make_node("ReduceSum", ["x", "axes"], ["y"], name="RS", keepdims=0)],
           [("x", x, x, None), ("axes", np.array([0], np.int64), np.array([2], np.int64), None)], [],
           x.sum(axis=0))

    # Run-time sizes: a failed check ends the run there (the Relu after the
    # Reshape never sees the bad shape).
    x = rng.randn(2, 3, 4).astype(np.float32)
    reshape = [helper.make_node("Reshape", ["x", "s"], ["r"], name="Reshape_1"),
               helper.make_node("Relu", ["r"], ["y"], name="Relu_1")]
    yield ("reshape", 14, reshape,
           [("x", x, x, None), ("s", np.array([6, 4], np.int64), np.array([5, 5], np.int64), None)], [],
           np.maximum(x.reshape(6, 4), 0))
    # -2 is no size (and -2 x -12 has the right element count).
    yield ("reshape_negative", 14, reshape,
           [("x", x, x, None), ("s", np.array([-1, 12], np.int64), np.array([-2, -12], np.int64), None)], [],
           np.maximum(x.reshape(-1, 12), 0))
    # Squeeze of an axis whose run-time size is not 1.
    xs = rng.randn(1, 3).astype(np.float32)
    yield ("squeeze", 13, [helper.make_node("Squeeze", ["x", "axes"], ["y"], name="Squeeze_1")],
           [("x", xs, rng.randn(2, 3).astype(np.float32), ["a", 3]),
            ("axes", np.array([0], np.int64), np.array([0], np.int64), None)], [], xs.reshape(3))

    xe = rng.randn(3, 1).astype(np.float32)
    yield ("expand", 13, [helper.make_node("Expand", ["x", "s"], ["y"], name="Expand_1")],
           [("x", xe, xe, None), ("s", np.array([3, 4], np.int64), np.array([2, 4], np.int64), None)], [],
           np.broadcast_to(xe, (3, 4)))
    # A dynamic input dim that is 1 at run time broadcasts; 3 does not fit 5.
    xd = rng.randn(1, 4).astype(np.float32)
    yield ("expand_dynamic", 13, [helper.make_node("Expand", ["x", "s"], ["y"], name="Expand_2")],
           [("x", xd, rng.randn(3, 4).astype(np.float32), ["n", 4])],
           [numpy_helper.from_array(np.array([5, 4], np.int64), "s")], np.broadcast_to(xd, (5, 4)))

    # The check fails inside an If branch: the run stops there and after the If.
    then_g = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["t"], name="Reshape_then")], "then",
                               [], [helper.make_tensor_value_info("t", onnx.TensorProto.FLOAT, None)])
    else_g = helper.make_graph(
        [helper.make_node("Reshape", ["x", "s24"], ["e"], name="Reshape_else")], "else", [],
        [helper.make_tensor_value_info("e", onnx.TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array([24, 1], np.int64), "s24")])
    yield ("reshape_in_if", 14,
           [helper.make_node("If", ["c"], ["r"], name="If_1", then_branch=then_g, else_branch=else_g),
            helper.make_node("Relu", ["r"], ["y"], name="Relu_1")],
           [("c", np.array(True), np.array(True), None), ("x", x, x, None),
            ("s", np.array([6, 4], np.int64), np.array([7, 4], np.int64), None)], [],
           np.maximum(x.reshape(6, 4), 0))

    # ... and inside a Loop body: the loop ends at the failed iteration.
    f = onnx.TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Reshape", ["x", "s"], ["t"], name="Reshape_body"),
         helper.make_node("ReduceSum", ["t"], ["u"], name="Sum_body", keepdims=0),
         helper.make_node("Add", ["v_in", "u"], ["v_out"], name="Add_body")], "body",
        [helper.make_tensor_value_info("i", onnx.TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", onnx.TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", f, [])],
        [helper.make_tensor_value_info("cond_out", onnx.TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", f, [])])
    v0 = np.array(0.5, np.float32)
    yield ("reshape_in_loop", 14,
           [helper.make_node("Loop", ["m", "", "v0"], ["y"], name="Loop_1", body=body)],
           [("m", np.array(3, np.int64), np.array(3, np.int64), None), ("x", x, x, None),
            ("s", np.array([4, 6], np.int64), np.array([4, 7], np.int64), None), ("v0", v0, v0, None)], [],
           np.array(v0 + 3 * x.sum(dtype=np.float32), np.float32))


def const_cases():
    """(name, opset, nodes, graph inputs, initializers, output type): bad constants."""
    f = onnx.TensorProto.FLOAT
    data = numpy_helper.from_array(np.zeros((10, 4), np.float32), "data")
    yield ("gather_const", 13,
           [helper.make_node("Gather", ["data", "idx"], ["y"], name="Gather_c", axis=0)],
           [], [data, numpy_helper.from_array(np.array([1, 12], np.int64), "idx")], f)
    yield ("gather_nd_const", 13, [helper.make_node("GatherND", ["data", "i"], ["y"], name="GND_c")],
           [], [data, numpy_helper.from_array(np.array([[9, -5]], np.int64), "i")], f)
    yield ("div_const", 13, [helper.make_node("Div", ["a", "b"], ["y"], name="Div_c")],
           [helper.make_tensor_value_info("a", onnx.TensorProto.INT32, [3])],
           [numpy_helper.from_array(np.array([1, 0, 2], np.int32), "b")], onnx.TensorProto.INT32)
    # No op that can fail: no check (LLVM IR test of the ABI).
    yield ("plain_add", 13, [helper.make_node("Add", ["a", "b"], ["y"], name="Add_1")],
           [helper.make_tensor_value_info("a", f, [3]), helper.make_tensor_value_info("b", f, [3])], [], f)


def write(path, name, a):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


def main():
    out = sys.argv[1]
    for name, opset, nodes, ins, inits, y in cases():
        d = os.path.join(out, name)
        for s in ("test_data_set_0", "test_data_set_1"):
            os.makedirs(os.path.join(d, s), exist_ok=True)
        vis = [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[g.dtype],
                                             list(g.shape) if s is None else s) for n, g, _, s in ins]
        outs = [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in nodes[-1].output]
        outs[0] = helper.make_tensor_value_info("y", onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[y.dtype], None)
        g = helper.make_graph(nodes, name, vis, outs[:1], initializer=inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]),
                  os.path.join(d, "model.onnx"))
        for k, (n, good, bad, _) in enumerate(ins):
            write(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), n, good)
            write(os.path.join(d, "test_data_set_1", f"input_{k}.pb"), n, bad)
        write(os.path.join(d, "test_data_set_0", "output_0.pb"), "y", y)
    for name, opset, nodes, vis, inits, t in const_cases():
        g = helper.make_graph(nodes, name, vis, [helper.make_tensor_value_info("y", t, None)],
                              initializer=inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]),
                  os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
