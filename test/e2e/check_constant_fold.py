#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""kiln-nn-constant-fold computes what the generated code computes.

    check_constant_fold.py BIN_DIR WORK_DIR

For each element type (i64, i32, f32) one function applies every folded
nn.unary / nn.binary / nn.clamp / nn.cast / nn.select kind to operand
vectors full of edge cases (0, -1, INT_MIN, INT_MAX, shifts by the width
and more, -0.0, inf, NaN, ...).  The same ops are written twice:
  * with constant operands, folded by `kiln-opt --kiln-nn-constant-fold`
    (every nn op must be gone); the folded constants are read back from the
    printed IR (hex);
  * with the operands as function arguments, lowered by
    --convert-nn-to-linalg and compiled by kiln-cpu-dev;
then kiln-run runs the compiled function on the operands and compares its
results with the folded constants (ints exactly; floats with kiln-run's
default tolerance, since exp / tanh / erf / pow are approximated by the
generated code).  i1 results are cast to i64 (folded too) so that every
result is printed as bytes.

Prints one line per element type and exits 1 on any disagreement.
"""
import os
import re
import struct
import subprocess
import sys

import numpy as np
from onnx import numpy_helper

N = 16
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1

INT_BINARY = ["add", "sub", "mul", "mod", "fmod", "udiv", "umod", "pow", "max", "min", "umax", "umin",
              "shl", "shru", "bitwise_and", "bitwise_or", "bitwise_xor", "prelu"]
INT_CMP = ["eq", "lt", "gt", "ge", "le", "ult", "ugt", "ule", "uge"]
INT_UNARY = ["neg", "abs", "relu", "sign", "bitwise_not"]
F_BINARY = ["add", "sub", "mul", "div", "max", "min", "mod", "fmod", "prelu", "pow"]
F_CMP = ["eq", "lt", "gt", "ge", "le"]
F_UNARY = ["relu", "neg", "abs", "sqrt", "floor", "ceil", "round", "sign", "reciprocal", "exp", "log",
           "tanh", "sigmoid", "erf"]

MLIR_T = {"i64": "i64", "i32": "i32", "f32": "f32"}
NP_T = {"i64": np.int64, "i32": np.int32, "f32": np.float32, "i1": np.bool_}
ONNX_DT = {"f32": 1, "i32": 6, "i64": 7, "i1": 9}


class Func:
    def __init__(self):
        self.ops, self.results, self.n = [], [], 0

    def op(self, text, rtype):
        name = f"%v{self.n}"
        self.n += 1
        self.ops.append(f"    {name} = {text.replace('$R', rtype)}")
        return name

    def result(self, v, et):
        self.results.append((v, et))


def t(et):
    return f"tensor<{N}x{et}>"


def build_int(f, et):
    T = t(et)
    for k in INT_BINARY:
        f.result(f.op(f"nn.binary {k} %a, %b : {T}, {T} -> {T}", T), et)
    f.result(f.op(f"nn.binary div %a, %d : {T}, {T} -> {T}", T), et)
    for k in INT_CMP:
        c = f.op(f"nn.binary {k} %a, %b : {T}, {T} -> {t('i1')}", T)
        f.result(f.op(f"nn.cast {c} : {t('i1')} -> {t('i64')}", T), "i64")
    for k in INT_UNARY:
        f.result(f.op(f"nn.unary {k} %a : {T} -> {T}", T), et)
    f.result(f.op(f"nn.clamp %a {{max = 50.0 : f64, min = -3.0 : f64}} : {T} -> {T}", T), et)
    f.result(f.op(f"nn.cast %a : {T} -> {t('f32')}", T), "f32")
    f.result(f.op(f"nn.cast %a {{unsigned_src}} : {T} -> {t('f32')}", T), "f32")
    other = "i32" if et == "i64" else "i64"
    f.result(f.op(f"nn.cast %a : {T} -> {t(other)}", T), other)
    f.result(f.op(f"nn.cast %b {{unsigned_src}} : {T} -> {t(other)}", T), other)
    nz = f.op(f"nn.cast %b : {T} -> {t('i1')}", T)
    f.result(f.op(f"nn.cast {nz} : {t('i1')} -> {t('i64')}", T), "i64")
    lt = f.op(f"nn.binary lt %a, %b : {T}, {T} -> {t('i1')}", T)
    f.result(f.op(f"nn.select {lt}, %a, %b : {t('i1')}, {T}, {T} -> {T}", T), et)


def build_float(f, et):
    T = t(et)
    for k in F_BINARY:
        f.result(f.op(f"nn.binary {k} %a, %b : {T}, {T} -> {T}", T), et)
    for k in F_CMP:
        c = f.op(f"nn.binary {k} %a, %b : {T}, {T} -> {t('i1')}", T)
        f.result(f.op(f"nn.cast {c} : {t('i1')} -> {t('i64')}", T), "i64")
    for k in F_UNARY:
        f.result(f.op(f"nn.unary {k} %a : {T} -> {T}", T), et)
    f.result(f.op(f"nn.clamp %a {{max = 2.0 : f64, min = -1.0 : f64}} : {T} -> {T}", T), et)
    f.result(f.op(f"nn.cast %d : {T} -> {t('i32')}", T), "i32")
    f.result(f.op(f"nn.cast %d : {T} -> {t('i64')}", T), "i64")
    f.result(f.op(f"nn.cast %e {{unsigned_dst}} : {T} -> {t('i32')}", T), "i32")
    nz = f.op(f"nn.cast %a : {T} -> {t('i1')}", T)
    f.result(f.op(f"nn.cast {nz} : {t('i1')} -> {t('i64')}", T), "i64")
    gt = f.op(f"nn.binary gt %a, %b : {T}, {T} -> {t('i1')}", T)
    f.result(f.op(f"nn.select {gt}, %a, %b : {t('i1')}, {T}, {T} -> {T}", T), et)


def operands(et):
    if et in ("i64", "i32"):
        lo, hi = (I64_MIN, I64_MAX) if et == "i64" else (I32_MIN, I32_MAX)
        w = 64 if et == "i64" else 32
        a = [0, 1, -1, 7, -7, 9, -9, 100, hi, lo, 3, 2, w - 1, 31, 5, -3]
        b = [1, 2, 3, -4, 4, -4, 2, 7, 2, 3, -1, 0, 1, w + 1, w, 5]
        # div: no zero divisor, no INT_MIN / -1 (undefined: not folded)
        d = [x if x not in (0, -1) else 3 for x in b]
        return {"a": np.array(a, NP_T[et]), "b": np.array(b, NP_T[et]), "d": np.array(d, NP_T[et])}
    inf, nan = float("inf"), float("nan")
    a = [0.0, -0.0, 1.5, -2.5, 0.5, 3.7, -0.2, 2.5, 1e30, -1e-30, inf, -inf, nan, 7.0, -7.0, 100.25]
    b = [1.0, 2.0, -0.0, 0.0, 3.0, -4.0, 4.0, inf, nan, 2.0, 1.0, 5.5, 1.0, -3.0, 2.0, 0.3]
    # float -> int casts: in range (out of range is undefined: not folded)
    d = [0.5, -1.7, 100.9, -2147483648.0, 2147483520.0, -0.0, 3.0, -3.99, 1e9, -1e9, 0.0, 7.5, -7.5,
         65536.0, 12.25, -12.25]
    e = [0.5, 1.7, 100.9, 4294967040.0, 2147483648.0, 0.0, 3.0, 3.99, 1e9, 4e9, 0.0, 7.5, 0.2,
         65536.0, 12.25, 1.0]
    return {k: np.array(v, np.float32) for k, v in (("a", a), ("b", b), ("d", d), ("e", e))}


def dense(arr, et):
    return f'dense<"0x{arr.astype(NP_T[et]).tobytes().hex().upper()}"> : {t(et)}'


def module(f, et, ops_in, as_args):
    names = sorted(ops_in)
    rtypes = ", ".join(t(r) for _, r in f.results)
    if as_args:
        args = ", ".join(f'%{n}: {t(et)} {{kiln.dtype = {ONNX_DT[et]} : i32, kiln.name = "{n}"}}' for n in names)
        res = ", ".join(f'{t(r)} {{kiln.dtype = {ONNX_DT[r]} : i32, kiln.name = "y{i}"}}'
                        for i, (_, r) in enumerate(f.results))
        head = [f"  func.func @main({args}) -> ({res}) attributes {{kiln.entry}} {{"]
    else:
        head = [f"  func.func @main() -> ({rtypes}) {{"]
        head += [f"    %{n} = arith.constant {dense(ops_in[n], et)}" for n in names]
    ret = f"    return {', '.join(v for v, _ in f.results)} : {rtypes}"
    return "\n".join(["module attributes {kiln.model_name = \"cf\"} {"] + head + f.ops + [ret, "  }", "}", ""])


def parse_folded(text, results):
    consts = {}
    for m in re.finditer(r"(%[\w]+) = arith.constant dense<(.*?)> : tensor<(\d+)x(\w+)>", text):
        consts[m.group(1)] = (m.group(2), m.group(4))
    ret = re.search(r"return (.*?) :", text).group(1).split(", ")
    out = []
    for name, (_, et) in zip(ret, results):
        body, cet = consts[name]
        assert cet == et, (name, cet, et)
        if body.startswith('"0x'):
            arr = np.frombuffer(bytes.fromhex(body[3:-1]), NP_T[et]).copy()
        else:  # splat
            if body.startswith("0x"):
                v = struct.unpack("<f", bytes.fromhex(body[2:])[::-1])[0] if et == "f32" else int(body, 16)
            else:
                v = float(body) if et == "f32" else int(body)
            arr = np.full(N, v, NP_T[et])
        assert arr.size == N, (name, arr.size)
        out.append(arr)
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(" ".join(cmd) + "\n" + p.stdout + p.stderr)
        sys.exit(1)
    return p.stdout


def main(bindir, work):
    os.makedirs(work, exist_ok=True)
    ok = True
    for et in ("i64", "i32", "f32"):
        f = Func()
        (build_float if et == "f32" else build_int)(f, et)
        ins = operands(et)
        d = os.path.join(work, et)
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        with open(os.path.join(d, "const.mlir"), "w") as fh:
            fh.write(module(f, et, ins, False))
        with open(os.path.join(d, "args.mlir"), "w") as fh:
            fh.write(module(f, et, ins, True))
        folded = run([os.path.join(bindir, "kiln-opt"), "--kiln-nn-constant-fold", "--kiln-nn-dce",
                      "--mlir-print-elementsattrs-with-hex-if-larger=0", os.path.join(d, "const.mlir")])
        left = re.findall(r"nn\.\w+ \w*", folded)
        if left:
            print(f"{et}: not folded: {left}")
            ok = False
            continue
        expected = parse_folded(folded, f.results)
        run([os.path.join(bindir, "kiln-opt"), "--convert-nn-to-linalg", "--canonicalize",
             os.path.join(d, "args.mlir"), "-o", os.path.join(d, "linalg.mlir")])
        run([os.path.join(bindir, "kiln-cpu-dev"), os.path.join(d, "linalg.mlir"), "-o", os.path.join(d, "lib.so")])
        for k, n in enumerate(sorted(ins)):
            with open(os.path.join(d, "data", f"input_{k}.pb"), "wb") as fh:
                fh.write(numpy_helper.from_array(ins[n], n).SerializeToString())
        for k, arr in enumerate(expected):
            with open(os.path.join(d, "data", f"output_{k}.pb"), "wb") as fh:
                fh.write(numpy_helper.from_array(arr, f"y{k}").SerializeToString())
        p = subprocess.run([os.path.join(bindir, "kiln-run"), os.path.join(d, "lib.so"), "--data-dir",
                            os.path.join(d, "data")], capture_output=True, text=True)
        bad = [l.strip() for l in p.stdout.splitlines() if "FAIL" in l and "output" in l]
        if p.returncode != 0:
            ok = False
            print(f"{et}: {len(bad)} of {len(expected)} folded results disagree with the generated code")
            for l in bad:
                print("  " + l)
            if not bad:
                print(p.stdout + p.stderr)
        else:
            print(f"{et}: {len(expected)} folded results agree with the generated code")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
