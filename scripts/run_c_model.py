#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Compile an ONNX model with kiln-compile --target=c, run it on Fashion-MNIST
test images on the host and on a Cortex-M under QEMU, and compare.

  scripts/run-cortex-m.sh MODEL.onnx [kiln-compile flags...] --images N
      [--machine mps2-an386|mps2-an500] [--offset K] [--host-only]
      [--work DIR] [--bin DIR]

The model must have one input and one output: a classifier of 1x28x28
images gets Fashion-MNIST test images, any other model seeded random inputs
(agreement and memory only); flags it needs, such as --input-shape image=1,1,28,28, go to
kiln-compile.  Prints `accuracy: X% (n/N)` for the Cortex-M build, the host
build's, their agreement (predictions and bit-exact outputs), flash and RAM
use and the cycles per inference.  Exits non-zero if a step fails or the
two builds' predictions differ.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CM = os.path.join(ROOT, "scripts", "cortex-m")
WARN = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]
MACHINES = {
    # QEMU machine: gcc flags of its core.
    "mps2-an386": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "mps2-an500": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
}


def run(cmd, cwd=None, timeout=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed (exit {r.returncode}):\n{r.stdout}")
    return r.stdout


def section_sizes(obj, size_tool):
    """{section: bytes} of an object file (size -A)."""
    sizes = {}
    for line in run([size_tool, "-A", obj]).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = sizes.get(parts[0], 0) + int(parts[1])
    return sizes


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
    ap.add_argument("model")
    ap.add_argument("--images", type=int, required=True)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--machine", default="mps2-an386", choices=sorted(MACHINES))
    ap.add_argument("--host-only", action="store_true")
    ap.add_argument("--compare-cpu", action="store_true",
                    help="also check the host build's outputs against the cpu target's library "
                         "(same flags), elementwise within 1e-4 + 1e-4 |expected|; int8 models, whose C "
                         "requantizes in fixed point, by their predictions")
    ap.add_argument("--work")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--timeout", type=int, default=1800)
    args, flags = ap.parse_known_args()
    if args.images < 1:
        sys.exit("error: --images must be at least 1")
    if not os.path.isfile(args.model):
        sys.exit(f"error: {args.model}: no such file")
    work = args.work or tempfile.mkdtemp(prefix="kiln-cortex-m-")
    os.makedirs(work, exist_ok=True)
    model_c = os.path.join(work, "model.c")
    run([os.path.join(args.bin, "kiln-compile"), args.model, "--target=c", "--name=model",
         "-o", model_c] + flags)

    # The input's size from the header: Fashion-MNIST images for 1x28x28
    # inputs, seeded normal random inputs (no labels) otherwise.
    with open(os.path.join(work, "model.h")) as f:
        size = int(re.search(r"#define MODEL_INPUTS_0_SIZE (\d+)", f.read()).group(1))
    if size == 784:
        data = os.path.join(work, "data")
        shutil.rmtree(data, ignore_errors=True)
        run([sys.executable, os.path.join(ROOT, "scripts", "write_fashion_mnist_data.py"),
             "--split", "test", "--count", str(args.images), "--offset", str(args.offset),
             "--layout", "npy", "--out", data])
        npys = [f for f in os.listdir(data) if f.endswith(".npy") and f != "labels.npy"]
        images = np.load(os.path.join(data, npys[0])).astype(np.float32)
        labels = np.load(os.path.join(data, "labels.npy")).astype(np.int64).reshape(-1)
        name = os.path.splitext(npys[0])[0]
    else:
        if args.compare_cpu:
            sys.exit("error: --compare-cpu needs a model of Fashion-MNIST images (1x28x28)")
        images = np.random.default_rng(args.offset).standard_normal(
            (args.images, size)).astype(np.float32)
        labels = None
        print(f"input of {size} values: {args.images} random inputs (no labels, no accuracy)")
    n = images.shape[0]

    def run_build(kind, cmd):
        d = os.path.join(work, kind)
        os.makedirs(d, exist_ok=True)
        images.tofile(os.path.join(d, "images.bin"))
        log = run(cmd, cwd=d, timeout=args.timeout)
        out = np.fromfile(os.path.join(d, "outputs.bin"), dtype=np.float32)
        if out.size % n or out.size == 0:
            sys.exit(f"error: the {kind} build wrote {out.size} values for {n} images:\n{log}")
        return out.reshape(n, -1), log

    def report(name, out):
        pred = out.argmax(axis=1)
        if labels is not None:
            right = int((pred == labels).sum())
            print(f"{name}accuracy: {100.0 * right / n:.2f}% ({right}/{n})")
        return pred

    host_exe = os.path.join(work, "model-host")
    cc = os.environ.get("CC", "cc")
    run([cc] + WARN + ["-O2", "-I", work, os.path.join(CM, "driver.c"), model_c, "-o", host_exe,
                       "-lm"])
    host_out, _ = run_build("host", [host_exe])
    failed = False
    if args.compare_cpu:
        # The cpu target's library on the same images, one run each: an
        # independent code path (tiled, vectorized kernels, its own math
        # approximations), so the tolerance is that of fp32 reassociation.
        fixed_point = any(f in ("--quantize=int8", "--quantize=mixed") for f in flags) or \
            any(a == "--quantize" and b in ("int8", "mixed") for a, b in zip(flags, flags[1:]))
        lib = os.path.join(work, "libref.so")
        run([os.path.join(args.bin, "kiln-compile"), args.model, "-o", lib] + flags)
        ref = []
        for i in range(n):
            d = os.path.join(work, "cpu", str(i))
            os.makedirs(d, exist_ok=True)
            np.save(os.path.join(d, "in.npy"), images[i:i + 1])
            run([os.path.join(args.bin, "kiln-run"), lib, "--input", f"{name}={d}/in.npy",
                 "--repeat", "1", "--warmup", "0", "--save-outputs", d])
            outs = [f for f in os.listdir(d) if f.endswith(".npy") and f != "in.npy"]
            ref.append(np.load(os.path.join(d, outs[0])).astype(np.float32).reshape(-1))
        ref = np.stack(ref)
        err = np.abs(host_out - ref)
        bad = int((err > 1e-4 + 1e-4 * np.abs(ref)).sum())
        same = int((host_out.argmax(1) == ref.argmax(1)).sum())
        if fixed_point:
            # The C target requantizes int8 layers in fixed point (TFLite's
            # scheme, nn.requantize), the cpu target with a float epilogue:
            # activations may differ by a quantization step, so the outputs
            # are compared through the predictions.
            print(f"host build vs the cpu target (int8: fixed-point against float requantization): "
                  f"max |difference| {float(err.max()):.3g}, {same}/{n} predictions equal")
            failed = same != n
        else:
            print(f"host build vs the cpu target: max |difference| {float(err.max()):.3g}, "
                  f"{bad} of {err.size} values beyond 1e-4 + 1e-4 |expected|, {same}/{n} predictions equal")
            failed = bad > 0
    if args.host_only:
        report("", host_out)
        return 1 if failed else 0

    gcc = "arm-none-eabi-gcc"
    if not shutil.which(gcc) or not shutil.which("qemu-system-arm"):
        sys.exit("error: arm-none-eabi-gcc and qemu-system-arm are needed (scripts/install-deps.sh "
                 "installs gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm); "
                 "--host-only runs the host build alone")
    cpu = MACHINES[args.machine]
    elf = os.path.join(work, "model.elf")
    model_o = os.path.join(work, "model-arm.o")
    startup_o = os.path.join(work, "startup.o")
    run([gcc] + WARN + cpu + ["-O2", "-ffunction-sections", "-c", model_c, "-o", model_o])
    # (The vector table casts the stack address to a function pointer: not ISO C.)
    run([gcc, "-std=gnu99", "-Wall", "-Wextra", "-Werror"] + cpu +
        ["-O2", "-c", os.path.join(CM, "startup.c"), "-o", startup_o])
    run([gcc] + WARN + cpu + ["-O2", "-DKILN_CORTEX_M", "-I", work, "--specs=rdimon.specs",
                              "-T", os.path.join(CM, "mps2.ld"),
                              os.path.join(CM, "driver.c"), model_o, startup_o,
                              "-lm", "-o", elf])
    arm_out, log = run_build("arm", ["qemu-system-arm", "-M", args.machine, "-nographic",
                                     "-semihosting-config", "enable=on,target=native",
                                     "-icount", "shift=0", "-kernel", elf])
    pred = report("", arm_out)
    host_pred = report("host ", host_out)
    same = int((pred == host_pred).sum())
    exact = int(np.all(arm_out.view(np.uint32) == host_out.view(np.uint32), axis=1).sum())
    diff = float(np.max(np.abs(arm_out - host_out)))
    print(f"agreement with the host build: {same}/{n} predictions, {exact}/{n} outputs "
          f"bit-exact (max |difference| {diff:.3g})")
    sec = section_sizes(model_o, "arm-none-eabi-size")
    code = sum(v for k, v in sec.items() if k.startswith(".text"))
    rodata = sum(v for k, v in sec.items() if k.startswith(".rodata"))
    print(f"model flash: {code} bytes of code, {rodata} bytes of constants ({args.machine})")
    for line in log.splitlines():
        if line.startswith("systick ticks per inference: "):
            # Under -icount shift=0 QEMU runs one instruction per virtual ns,
            # and SysTick counts the boards' 25 MHz clock: 40 instructions a
            # tick (checked with a loop of known length).
            ticks = int(line.split(":")[1])
            print(f"QEMU instructions per inference: {ticks * 40} (SysTick at 25 MHz, -icount shift=0)")
        elif line.startswith("stack bytes: "):
            print(f"stack high-water mark of a run: {line.split(':')[1].strip()} bytes")
        elif line.startswith("arena bytes: "):
            print(f"arena: {line.split(':')[1].strip()} bytes")
    return 0 if same == n and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
