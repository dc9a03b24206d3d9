#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Op count and FLOPs of a model's nn graph before and after Kiln's graph
passes.

    graph_stats.py [--kiln-bin DIR] [--json OUT] MODEL.onnx [MODEL.onnx ...]

"Before" is `kiln-compile --emit=nn -O3 --disable-pass=all` (the graph as
converted from ONNX, with the -O1 canonicalization/CSE but none of the
lib/Transforms passes); "after" is `--emit=nn -O3`.  Counted: every op in
the entry function except constants and the return.  FLOPs at batch 1
(dynamic dims count as 1):

  conv, conv_transpose, matmul, einsum-free contractions: 2 x MACs;
  fused epilogue: 1 per output element for each of bias, residual, act;
  unary / binary / clamp / select / cast: 1 per output element;
  pool: output elements x window; reduce: input elements;
  softmax 5, layer_norm 8 per element; data movement (reshape, transpose,
  slice, concat, pad, gather, ...): 0.
"""
import argparse
import json
import os
import re
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENSOR = re.compile(r"tensor<([^>]*)>")
ELEMENTWISE = {"unary", "binary", "clamp", "select", "cast"}


def dims(t):
    parts = t.split("x")[:-1]  # last part is the element type
    return [1 if p == "?" else int(p) for p in parts]


def prod(xs):
    r = 1
    for x in xs:
        r *= x
    return r


def op_flops(name, line):
    has_bias = "bias(" in line
    has_res = "residual(" in line
    has_act = re.search(r" act [a-z_]+", line) is not None
    body = re.sub(r"(bias|residual)\(%[^)]*\)", "", line)
    attrs = re.search(r"\{[^{}]*\}", body)
    attr_text = attrs.group(0) if attrs else ""
    body = re.sub(r"\{[^{}]*\}", "", body)
    if " : " not in body:
        return 0
    head, sig = body.split(" : ", 1)
    types = TENSOR.findall(sig)
    if not types:
        return 0
    res = dims(types[-1])
    out = prod(res)
    if name == "conv":
        w = dims(types[1])
        conv_bias = len(types) >= 4  # (input, filter, bias) -> result
        epi = conv_bias + has_res + has_act
        return 2 * out * prod(w[1:]) + epi * out
    if name == "conv_transpose":
        x, w = dims(types[0]), dims(types[1])
        return 2 * prod(x) * w[1] * prod(w[2:]) + (len(types) >= 4) * out
    if name == "matmul":
        k = dims(types[0])[-1]
        return 2 * out * k + (has_bias + has_res + has_act) * out
    if name in ELEMENTWISE:
        return out
    if name == "pool":
        k = re.search(r"kernel = array<i64: ([0-9, ]+)>", attr_text)
        return out * (prod(int(v) for v in k.group(1).split(",")) if k else 1)
    if name in ("reduce", "reduce_axes"):
        return prod(dims(types[0]))
    if name == "softmax":
        return 5 * out
    if name == "layer_norm":
        return 8 * out
    return 0


def stats(kiln_bin, model, extra):
    r = subprocess.run([os.path.join(kiln_bin, "kiln-compile"), model, "-O3", "--emit=nn", "-o", "-"] + extra,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"kiln-compile failed on {model}:\n{r.stderr[-2000:]}")
    ops, flops, kinds = 0, 0, {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(?:%[\w#:]+(?:, %[\w#:]+)* = )?\"?([a-z_]+)\.([a-z_0-9]+)", line)
        if not m or m.group(1) in ("func", "arith") and m.group(2) in ("func", "return", "constant"):
            continue
        dialect, name = m.group(1), m.group(2)
        if dialect in ("module", "builtin") or (dialect == "func" and name in ("func", "return")):
            continue
        if dialect == "arith" and name == "constant":
            continue
        ops += 1
        key = f"{dialect}.{name}"
        kinds[key] = kinds.get(key, 0) + 1
        if dialect == "nn":
            flops += op_flops(name, line)
    return {"ops": ops, "flops": flops, "kinds": kinds}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--kiln-bin", default=os.path.join(SRC, "build", "bin"))
    ap.add_argument("--json")
    a = ap.parse_args()
    rows = {}
    print(f"{'model':24} {'ops before':>10} {'ops after':>9} {'GFLOP before':>12} {'GFLOP after':>11}")
    for m in a.models:
        name = os.path.basename(os.path.dirname(os.path.abspath(m)))
        before = stats(a.kiln_bin, m, ["--disable-pass=all"])
        after = stats(a.kiln_bin, m, [])
        rows[name] = {"before": before, "after": after}
        print(f"{name:24} {before['ops']:>10} {after['ops']:>9} {before['flops'] / 1e9:>12.3f} "
              f"{after['flops'] / 1e9:>11.3f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
