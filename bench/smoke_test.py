#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""CTest kiln-bench-smoke (label `bench`, configuration `bench`: run with
`ctest -C bench -L bench`): bench.py --quick on the small fashion_mnist_cnn
model, then checks the results; then the kernel benchmark (kernels.py) on
the same model's Conv and Gemm nodes.  Exit 77 (skipped) when Node.js or
bench/node_modules (npm ci --ignore-scripts in bench/) is missing: the test
never downloads anything.

usage: smoke_test.py BUILD_DIR
"""
import json
import os
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
MODEL = "fashion_mnist_cnn"


def fail(msg):
    print(f"kiln-bench-smoke: FAIL: {msg}")
    sys.exit(1)


def main():
    build = os.path.abspath(sys.argv[1])
    if shutil.which("node") is None:
        print("kiln-bench-smoke: SKIP: node not found (scripts/install-deps.sh installs it)")
        return 77
    if not os.path.isfile(os.path.join(BENCH, "node_modules", "onnxruntime-node", "package.json")):
        print("kiln-bench-smoke: SKIP: onnxruntime-node not installed; run "
              "`npm ci --ignore-scripts --no-audit --no-fund` in bench/ (or bench/run.sh)")
        return 77
    out = os.path.join(build, "bench-smoke")
    shutil.rmtree(out, ignore_errors=True)
    cache = os.environ.get("KILN_E2E_CACHE") or os.path.join(build, "e2e-models")
    r = subprocess.run(["/usr/bin/python3", os.path.join(BENCH, "bench.py"), "--quick",
                        "--models", MODEL, "--build", build, "--cache", cache, "--out", out])
    if r.returncode != 0:
        fail(f"bench.py exited with {r.returncode}")
    with open(os.path.join(out, "results.json")) as f:
        res = json.load(f)
    for key in ("cpu", "usable_cpus", "kiln_commit", "ort_version", "date_utc"):
        if not res["machine"].get(key):
            fail(f"machine.{key} missing")
    configs = res["models"][MODEL]["configs"]
    want = sorted({1, len(os.sched_getaffinity(0))})
    if sorted(c["ort_threads"] for c in configs) != want:
        fail(f"ORT thread configurations {[c['ort_threads'] for c in configs]}, expected {want}")
    for c in configs:
        for side in ("kiln", "ort"):
            b1 = c["batch1"][side]
            if b1["n"] != 2 or not 0 < b1["min_ms"] <= b1["median_ms"]:
                fail(f"{side} batch-1 latencies {b1}")
            if c["batchN"][side]["n"] != 1 or c["batchN"][f"{side}_items_per_s"] <= 0:
                fail(f"{side} batch-8 figures {c['batchN']}")
            rss = c["rss_mib"][side]
            if not 0 < rss["before_load"] <= rss["peak"]:
                fail(f"{side} memory {rss}")
        for pair in ("kiln_vs_ort", "kiln_vs_torch", "ort_vs_torch"):
            if not c["diff"][pair].get("within_1e-3_1e-4"):
                fail(f"{pair}: outputs differ: {c['diff'][pair]}")
    with open(os.path.join(out, "results.md")) as f:
        md = f.read()
    if f"| {MODEL} | 1 | 1 |" not in md:
        fail("results.md lacks the model's row")
    with open(os.path.join(out, "results.png"), "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            fail("results.png is not a PNG")
    # The kernel benchmark: 2 Conv and 2 Gemm nodes, each its own operator.
    r = subprocess.run(["/usr/bin/python3", os.path.join(BENCH, "kernels.py"), "--models", MODEL,
                        "--build", build, "--cache", cache, "--out", out, "--target-s", "0.05",
                        "--min-rounds", "3"])
    if r.returncode != 0:
        fail(f"kernels.py exited with {r.returncode}")
    with open(os.path.join(out, "kernels.json")) as f:
        kern = json.load(f)
    if not kern["peak"]["gflops"] > 0:
        fail(f"no measured peak: {kern['peak']}")
    ops = kern["models"][MODEL]["ops"]
    if sorted(op["op_type"] for op in ops) != ["Conv", "Conv", "Gemm", "Gemm"]:
        fail(f"operators {[op['op_type'] for op in ops]}, expected 2 Conv and 2 Gemm")
    # conv 1->16 3x3 at 28x28, batch 1: 2 x 16x28x28 x 9 FLOPs.
    if not any(op["op_type"] == "Conv" and op["flops"] == 2 * 16 * 28 * 28 * 9 for op in ops):
        fail(f"FLOPs of the first conv: {[op['flops'] for op in ops]}")
    for op in ops:
        res = op.get("result", {})
        for side in ("kiln", "ort"):
            if res.get(side, {}).get("n", 0) < 3:
                fail(f"{op['node']}: {side} timings missing: {res}")
        if not res["diff"].get("within_1e-3_1e-4"):
            fail(f"{op['node']}: Kiln and ORT differ: {res['diff']}")
    with open(os.path.join(out, "kernels.md")) as f:
        md = f.read()
    if f"## {MODEL}" not in md or "Kiln/ORT **" not in md:
        fail("kernels.md lacks the model's table")
    print("kiln-bench-smoke: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
