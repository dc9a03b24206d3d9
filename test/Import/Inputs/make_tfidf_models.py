#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""TfIdfVectorizer models Kiln must reject cleanly: make_tfidf_models.py KIND OUT."""
import sys

import onnx
from onnx import TensorProto, helper

kind, out = sys.argv[1], sys.argv[2]
elem = TensorProto.STRING if kind == "string_input" else TensorProto.INT64
node = helper.make_node("TfIdfVectorizer", ["X"], ["Y"], name="tfidf", mode="TF", min_gram_length=1,
                        max_gram_length=1, max_skip_count=0, ngram_counts=[0], ngram_indexes=[0, 1],
                        pool_strings=["a", "b"])
g = helper.make_graph([node], kind, [helper.make_tensor_value_info("X", elem, [4])],
                      [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)]), out)
