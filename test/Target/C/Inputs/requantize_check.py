#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks nn.requantize, compiled by kiln-compile --target=c, against an
independent Python model of TensorFlow Lite's reference arithmetic
(QuantizeMultiplier, MultiplyByQuantizedMultiplier with
SaturatingRoundingDoublingHighMul and RoundingDivideByPOT), bit for bit.

usage: requantize_check.py KILN_COMPILE WORKDIR [--cc CC] [--cflags ...]

Per channel a real multiplier (from 1e-9 to 3.9: negative, zero and
positive shifts), a bias and a zero point; accumulators random over the
whole int32 range, small ones (where rounding ties are common) and the
extremes.  Both a signed and an unsigned result, with clamps.  Prints
`requantize: N of N values equal to the reference` and exits 1 on a
difference (the first ones listed)."""

import math
import os
import random
import subprocess
import sys

C = 12          # channels
W = 64          # accumulators per channel
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def quantize_multiplier(real):
    """TFLite's QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc)."""
    if real == 0:
        return 0, 0
    q, e = math.frexp(real)
    fixed = int(math.floor(q * (1 << 31) + 0.5))  # TfLiteRound: half away from zero (q > 0)
    if fixed == 1 << 31:
        fixed //= 2
        e += 1
    if e < -31:
        e, fixed = 0, 0
    if e > 30:
        e, fixed = 30, (1 << 31) - 1
    return fixed, e


def wrap32(x):
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a, b):
    """gemmlowp's SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return trunc_div(ab + nudge, 1 << 31)


def rdbpot(x, exponent):
    """gemmlowp's RoundingDivideByPOT."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def mbqm(x, m, shift):
    """TFLite's MultiplyByQuantizedMultiplier."""
    left, right = max(shift, 0), max(-shift, 0)
    # TFLite wraps x * 2^left in int32 (undefined where it overflows);
    # Kiln saturates.
    x = min(max(x * (1 << left), INT32_MIN), INT32_MAX)
    return rdbpot(srdhm(x, m), right)


def reference(acc, bias, m, shift, zp, lo, hi, res=None):
    y = mbqm(wrap32(acc + bias), m, shift) + zp
    if res is not None:
        r, rzp, rm, rsh = res
        y += mbqm(r - rzp, rm, rsh)
    return min(max(y, lo), hi)


def main():
    kc, work = sys.argv[1], sys.argv[2]
    cc = os.environ.get("CC", "cc")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(20261208)
    reals = [3.9, 1.0, 0.75, 0.5, 0.25, 1e-1, 3.7e-3, 2.5e-4, 1e-6, 1e-9, 0.0, 1.999999]
    mults, shifts, biases = [], [], []
    for r in reals:
        m, s = quantize_multiplier(r)
        mults.append(m)
        shifts.append(s)
        biases.append(rng.randint(-5000, 5000))
    accs = []
    for c in range(C):
        row = [INT32_MIN, INT32_MAX, 0, -1, 1]
        row += [rng.randint(-2000, 2000) for _ in range(24)]
        row += [rng.randint(INT32_MIN, INT32_MAX) for _ in range(W - len(row))]
        accs.append(row)
    cases = [("s", -5, -100, 90, False), ("u", 128, 3, 250, True), ("r", 7, -128, 127, False),
             ("q", -20, -128, 127, False)]
    # The residual cases: int8 residuals (zero point -3) rescaled by 0.37,
    # and the same bytes as uint8 (zero point 140) rescaled by 1.6 (a
    # positive shift).
    rzp = -3
    rm, rsh = quantize_multiplier(0.37)
    rzpu = 140
    rmu, rshu = quantize_multiplier(1.6)
    res = [[rng.randint(-128, 127) for _ in range(W)] for _ in range(C)]
    vec = lambda v: "dense<[" + ", ".join(map(str, v)) + "]> : tensor<%dxi32>" % C
    body = []
    for name, zp, lo, hi, u in cases:
        if name in ("r", "q"):
            m_, s_, z_, uu = (rm, rsh, rzp, "") if name == "r" else (rmu, rshu, rzpu, ", residual_unsigned")
            body.append(f"  %{name} = nn.requantize %acc, %b, %m, %sh residual(%res : tensor<1x{C}x{W}xi8>) {{axis = 1 : i64, "
                        f"clamp_max = {hi} : i64, clamp_min = {lo} : i64, output_zero_point = {zp} : i64, "
                        f"residual_multiplier = {m_} : i64, residual_shift = {s_} : i64, "
                        f"residual_zero_point = {z_} : i64{uu}}} : tensor<1x{C}x{W}xi32>, tensor<{C}xi32>, "
                        f"tensor<{C}xi32>, tensor<{C}xi32> -> tensor<1x{C}x{W}xi8>")
            continue
        body.append(f"  %{name} = nn.requantize %acc, %b, %m, %sh {{axis = 1 : i64, clamp_max = {hi} : i64, "
                    f"clamp_min = {lo} : i64, output_zero_point = {zp} : i64{', unsigned_result' if u else ''}}}"
                    f" : tensor<1x{C}x{W}xi32>, tensor<{C}xi32>, tensor<{C}xi32>, tensor<{C}xi32> -> tensor<1x{C}x{W}xi8>")
    mlir = (f"func.func @main(%acc: tensor<1x{C}x{W}xi32> {{kiln.name = \"acc\", kiln.dtype = 6 : i32}},\n"
            f"                %res: tensor<1x{C}x{W}xi8> {{kiln.name = \"res\", kiln.dtype = 3 : i32}})\n"
            f"    -> (tensor<1x{C}x{W}xi8> {{kiln.name = \"s\", kiln.dtype = 3 : i32}},\n"
            f"        tensor<1x{C}x{W}xi8> {{kiln.name = \"u\", kiln.dtype = 2 : i32}},\n"
            f"        tensor<1x{C}x{W}xi8> {{kiln.name = \"r\", kiln.dtype = 3 : i32}},\n"
            f"        tensor<1x{C}x{W}xi8> {{kiln.name = \"q\", kiln.dtype = 3 : i32}}) attributes {{kiln.entry}} {{\n"
            f"  %b = arith.constant {vec(biases)}\n  %m = arith.constant {vec(mults)}\n"
            f"  %sh = arith.constant {vec(shifts)}\n" + "\n".join(body) +
            f"\n  return %s, %u, %r, %q : tensor<1x{C}x{W}xi8>, tensor<1x{C}x{W}xi8>, tensor<1x{C}x{W}xi8>, "
            f"tensor<1x{C}x{W}xi8>\n}}\n")
    src = os.path.join(work, "requant.nn.mlir")
    with open(src, "w") as f:
        f.write(mlir)
    subprocess.run([kc, src, "--target=c", "--name=requant", "-o", os.path.join(work, "requant.c")], check=True)
    flat = [a for row in accs for a in row]
    rflat = [v for row in res for v in row]
    driver = ('#include "requant.h"\n#include <stdint.h>\n#include <stdio.h>\n'
              "static uint64_t arena[(REQUANT_ARENA_BYTES + 7) / 8 + 1];\n"
              f"static const int32_t acc[{C * W}] = {{" +
              ", ".join("(int32_t)%dLL" % a for a in flat) + "};\n"
              f"static const int8_t res[{C * W}] = {{" + ", ".join(map(str, rflat)) + "};\n"
              f"int main(void) {{\n  static int8_t s[{C * W}], r[{C * W}], q[{C * W}];\n  static uint8_t u[{C * W}];\n"
              "  int i;\n  requant_run(acc, res, s, u, r, q, arena);\n"
              f"  for (i = 0; i < {C * W}; i++) printf(\"%d %u %d %d\\n\", s[i], (unsigned)u[i], r[i], q[i]);\n"
              "  return 0;\n}\n")
    with open(os.path.join(work, "driver.c"), "w") as f:
        f.write(driver)
    exe = os.path.join(work, "requant")
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2", "-I", work,
                    os.path.join(work, "driver.c"), os.path.join(work, "requant.c"), "-o", exe, "-lm"],
                   check=True)
    got = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split("\n")
    total = bad = 0
    for i, a in enumerate(flat):
        c = i // W
        gots = list(map(int, got[i].split()))
        for (name, zp, lo, hi, u), g in zip(cases, gots):
            extra = ((rflat[i], rzp, rm, rsh) if name == "r" else
                     (rflat[i] & 0xFF, rzpu, rmu, rshu) if name == "q" else None)
            want = reference(a, biases[c], mults[c], shifts[c], zp, lo, hi, extra)
            total += 1
            if g != want:
                bad += 1
                if bad <= 10:
                    print(f"  {name} channel {c} acc {a}: got {g}, want {want} "
                          f"(m {mults[c]}, shift {shifts[c]}, bias {biases[c]})")
    print(f"requantize: {total - bad} of {total} values equal to the reference")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
