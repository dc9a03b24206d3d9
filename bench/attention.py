#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Attention benchmark: one attention layer (batch 1, 12 heads, head size 64
by default) at several sequence lengths, causal and not, Kiln against ONNX
Runtime on the same ONNX graph and against ONNX Runtime's fused
com.microsoft.MultiHeadAttention, in the same run.

The graph is what exporters write: Transpose(K), MatMul(Q, K^T), Mul by
1/sqrt(d), for causal attention Where(mask, -inf, scores) with a constant
lower-triangular condition (an initializer), Softmax, MatMul(P, V); inputs
q, k, v [1, H, L, D].  Kiln compiles it with `kiln-compile -O3`
(kiln-nn-fuse-attention makes it one nn.attention, lowered as a tiled
online softmax).  The MultiHeadAttention model takes q, k, v as [1, L, H*D]
(the same values, heads interleaved) and `unidirectional` for causal
attention.  All three are timed in the workers of bench.py
(bench/kiln_worker.c, bench/ort_worker.js), one run each in turn, the order
rotated every round, each on --threads threads; their outputs are compared
first (Kiln and MultiHeadAttention against ONNX Runtime's graph).  Each
configuration gets fresh worker processes, so that their peak RSS (VmHWM)
is that configuration's.

FLOPs: 2 x H x L x L x 2D (the two products; causal counted in full).  The
machine's matmul rate is measured in the same run: the best of the
single-operator MatMuls [L, 768] x [768, N], L = 512, 2048, N = 768, 3072,
on Kiln (the Linear layers' kernel); `kiln-run --peak` gives the FMA peak.

Output: OUT/attention.json and OUT/attention.md (docs/benchmarks.md).

usage:
  ./bench/run.sh --attention [--seqs 512,2048,8192] [--threads 1]
  /usr/bin/python3 bench/attention.py ...   (after bench/run.sh has set things up)
"""
import argparse
import datetime
import json
import math
import os
import re
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "bench"))
import bench  # noqa: E402

MIB = 1024.0


def log(msg):
    print(msg, flush=True)


def graph_model(path, H, L, D, causal):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    shape = [1, H, L, D]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "qkv"]
    out = helper.make_tensor_value_info("o", TensorProto.FLOAT, shape)
    inits = [numpy_helper.from_array(np.array(1.0 / math.sqrt(D), dtype=np.float32), "scale")]
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Mul", ["s", "scale"], ["ss"])]
    scores = "ss"
    if causal:
        above = np.triu(np.ones((L, L), dtype=bool), 1).reshape(1, 1, L, L)
        inits += [numpy_helper.from_array(above, "above"),
                  numpy_helper.from_array(np.array(-np.inf, dtype=np.float32), "neg_inf")]
        nodes.append(helper.make_node("Where", ["above", "neg_inf", "ss"], ["sm"]))
        scores = "sm"
    nodes += [helper.make_node("Softmax", [scores], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["o"])]
    g = helper.make_graph(nodes, "attention", ins, [out], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def mha_model(path, H, L, D, causal):
    import onnx
    from onnx import TensorProto, helper
    shape = [1, L, H * D]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "qkv"]
    out = helper.make_tensor_value_info("o", TensorProto.FLOAT, shape)
    attrs = {"num_heads": H}
    if causal:
        attrs["unidirectional"] = 1
    node = helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["o"], domain="com.microsoft", **attrs)
    g = helper.make_graph([node], "mha", ins, [out])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    onnx.save(m, path)


def matmul_model(path, L, K, N):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.uniform(-1, 1, (K, N)).astype(np.float32), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [L, K])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [L, N])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def fused(kiln_bin, onnx_path, opt):
    r = subprocess.run([os.path.join(kiln_bin, "kiln-compile"), onnx_path, *opt.split(), "--emit=nn",
                        "--mlir-print-weights=false", "-o", "-"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    m = re.search(r"nn\.attention [^\n]*\{([^}]*)\}", r.stdout)
    return None if not m else ("causal" if "causal" in m.group(1) else "yes")


def time_workers(workers, warmup, target_s, min_rounds, max_rounds, max_s):
    """Warm-up runs, then rounds of one run per worker, order rotated."""
    for i in range(warmup):
        for w in workers:
            bench.run_once(w)
    t0 = time.time()
    for w in workers:
        bench.run_once(w)
    est = time.time() - t0
    rounds = bench.plan_rounds(est, target_s, min_rounds, max_rounds, max_s)
    times = [[] for _ in workers]
    for r in range(rounds):
        order = list(range(len(workers)))
        order = order[r % len(order):] + order[:r % len(order)]
        for i in order:
            times[i] += bench.run_once(workers[i])
    return times, rounds


def run_config(cfg, a, kiln_bin, work, ref_files, mha_files):
    tag = cfg["name"]
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    workers, res = [], {}
    try:
        k = bench.Worker("kiln", [a.kiln_worker], os.path.join(logs, f"{tag}-kiln.log"))
        workers.append(k)
        k.cmd(f"load {cfg['lib']} {a.threads}")
        k.set_inputs(ref_files)
        og = None
        if cfg["ort_graph"]:
            og = bench.Worker("ort-graph", ["node", os.path.join(bench.BENCH, "ort_worker.js")],
                              os.path.join(logs, f"{tag}-ort-graph.log"))
            workers.append(og)
            res["ort_version"] = og.cmd(f"load {cfg['graph']} {a.threads}")
            og.set_inputs(ref_files)
        om = bench.Worker("ort-mha", ["node", os.path.join(bench.BENCH, "ort_worker.js")],
                          os.path.join(logs, f"{tag}-ort-mha.log"))
        workers.append(om)
        res["ort_version"] = om.cmd(f"load {cfg['mha']} {a.threads}")
        om.set_inputs(mha_files)
        import numpy as np
        outs = {}
        for w in workers:
            d = os.path.join(work, "outputs", tag, w.label)
            _, desc = w.dump(d)
            outs[w.label] = bench.read_outputs(d, desc)[0]
        H, L, D = a.heads, cfg["L"], a.head_size
        outs["ort-mha"] = outs["ort-mha"].reshape(1, L, H, D).transpose(0, 2, 1, 3)
        ref = outs["ort-graph"] if og else outs["ort-mha"]
        res["diff_vs_ort_graph" if og else "diff_vs_ort_mha"] = bench.compare(outs["kiln"], ref)
        if og:
            res["mha_diff_vs_ort_graph"] = bench.compare(outs["ort-mha"], ref)
        times, rounds = time_workers(workers, a.warmup, a.target_s, a.min_rounds, a.max_rounds, a.max_s)
        res["rounds"] = rounds
        for w, t in zip(workers, times):
            hwm, _ = w.rss()
            res[w.label] = bench.summarize(t)
            res[w.label]["peak_rss_mib"] = round(hwm / MIB, 1)
            del res[w.label]["all_ms"]
    except (bench.WorkerError, RuntimeError) as e:
        res["error"] = str(e)
    finally:
        for w in workers:
            w.close()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--seqs", default="512,2048,8192", help="sequence lengths (default 512,2048,8192)")
    ap.add_argument("--causal", default="both", choices=["both", "yes", "no"])
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--head-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="threads of every runtime (default 1)")
    ap.add_argument("--build", default=os.path.join(SRC, "build"), help="Kiln build directory")
    ap.add_argument("--out", default=None, help="results directory (default BUILD/bench)")
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--target-s", type=float, default=3.0, help="timed seconds per configuration (default 3)")
    ap.add_argument("--min-rounds", type=int, default=3)
    ap.add_argument("--max-rounds", type=int, default=50)
    ap.add_argument("--max-s", type=float, default=60.0)
    ap.add_argument("--graph-max-gib", type=float, default=8.0,
                    help="skip ONNX Runtime's unfused graph where its scores and probabilities "
                         "(2 x 4 H L^2 bytes) would exceed this (default 8)")
    a = ap.parse_args()
    import numpy as np
    out = a.out or os.path.join(a.build, "bench")
    work = os.path.join(out, "attention")
    os.makedirs(work, exist_ok=True)
    kiln_bin = os.path.join(a.build, "bin")
    a.kiln_worker = os.path.join(kiln_bin, "kiln_bench_worker")
    for p in (os.path.join(kiln_bin, "kiln-compile"), a.kiln_worker):
        if not os.path.isfile(p):
            sys.exit(f"attention: {p} is missing: build Kiln first (bench/run.sh does)")
    H, D = a.heads, a.head_size
    seqs = [int(s) for s in a.seqs.split(",") if s]
    causals = {"both": [False, True], "yes": [True], "no": [False]}[a.causal]
    peak = subprocess.run([os.path.join(kiln_bin, "kiln-run"), "--peak"], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    peak_gflops = float(re.match(r"peak: ([0-9.]+) GFLOP/s", peak).group(1))
    log(f"attention: {peak}")
    # The machine's matmul rate: the best of Kiln's Linear kernel on
    # [L, 768] x [768, N] (BERT's and ViT's projections and FFN), with the
    # allocator keeping freed memory (kernels.py: a fresh output per run
    # otherwise costs page faults).
    mm_rates = []
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 30), MALLOC_TRIM_THRESHOLD_=str(1 << 30))
    for L in (512, 2048):
        for N in (768, 3072):
            p = os.path.join(work, f"mm{L}x{N}.onnx")
            matmul_model(p, L, 768, N)
            lib, _ = bench.compile_model(f"mm{L}x{N}", p, kiln_bin, work, a.opt)
            r = subprocess.run([os.path.join(kiln_bin, "kiln-run"), lib, "--threads", str(a.threads), "--repeat",
                                "30"], check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
            med = float(re.search(r"median ([0-9.]+) ms", r).group(1))
            mm_rates.append((2 * L * 768 * N / med / 1e6, f"[{L}, 768] x [768, {N}]"))
    mm_gflops, mm_shape = max(mm_rates)
    log(f"attention: matmul {mm_shape} on Kiln: {mm_gflops:.1f} GFLOP/s ({a.threads} thread(s)); "
        f"all: {', '.join(f'{s} {g:.1f}' for g, s in mm_rates)}")
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": bench.machine_info(None), "peak_gflops": peak_gflops, "matmul_gflops": mm_gflops,
               "matmul_shape": mm_shape, "threads": a.threads, "heads": H, "head_size": D, "flags": a.opt, "configs": []}
    rng = np.random.default_rng(20261206)
    for L in seqs:
        q, k, v = (rng.uniform(-1, 1, (1, H, L, D)).astype(np.float32) for _ in range(3))
        d = os.path.join(work, f"inputs{L}")
        os.makedirs(d, exist_ok=True)
        ref_files, mha_files = [], []
        for n, t in zip("qkv", (q, k, v)):
            p1, p2 = os.path.join(d, f"{n}.bin"), os.path.join(d, f"{n}_mha.bin")
            t.tofile(p1)
            t.transpose(0, 2, 1, 3).reshape(1, L, H * D).tofile(p2)
            ref_files.append((n, "float32", [1, H, L, D], p1))
            mha_files.append((n, "float32", [1, L, H * D], p2))
        for causal in causals:
            name = f"L{L}{'_causal' if causal else ''}"
            cfg = {"name": name, "L": L, "causal": causal,
                   "graph": os.path.join(work, f"{name}.onnx"), "mha": os.path.join(work, f"{name}_mha.onnx"),
                   "ort_graph": 8 * H * L * L / 2 ** 30 <= a.graph_max_gib}
            graph_model(cfg["graph"], H, L, D, causal)
            mha_model(cfg["mha"], H, L, D, causal)
            cfg["lib"], info = bench.compile_model(name, cfg["graph"], kiln_bin, work, a.opt)
            cfg["compile_s"] = info["seconds"]
            cfg["fused"] = fused(kiln_bin, cfg["graph"], a.opt)
            log(f"attention: {name}: compiled in {cfg['compile_s']} s (fused: {cfg['fused']}); timing")
            res = run_config(cfg, a, kiln_bin, work, ref_files, mha_files)
            flops = 2.0 * H * L * L * 2 * D
            row = {k: cfg[k] for k in ("name", "L", "causal", "compile_s", "fused", "ort_graph")}
            row.update(res)
            row["gflop"] = flops / 1e9
            for w in ("kiln", "ort-graph", "ort-mha"):
                if w in res:
                    res[w]["gflops"] = flops / res[w]["median_ms"] / 1e6
            results["configs"].append(row)
            summary = ", ".join(f"{w} {res[w]['median_ms']:.2f} ms ({res[w]['gflops']:.0f} GFLOP/s, "
                                f"{res[w]['peak_rss_mib']:.0f} MiB)" for w in ("kiln", "ort-graph", "ort-mha")
                                if w in res)
            log(f"attention: {name}: {summary or res.get('error')}")
    with open(os.path.join(out, "attention.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(os.path.join(out, "attention.md"), results)
    log(f"attention: wrote {os.path.join(out, 'attention.md')}")


def write_markdown(path, r):
    lines = [f"Attention, batch 1, {r['heads']} heads, head size {r['head_size']}, {r['threads']} thread(s) each; "
             f"{r['machine']['cpu']}, Kiln {(r['machine']['kiln_commit'] or '?')[:7]}.  Medians.  FMA peak "
             f"{r['peak_gflops']:.1f} GFLOP/s (`kiln-run --peak`), Kiln's matmul {r['matmul_shape']} "
             f"{r['matmul_gflops']:.1f} GFLOP/s (the best of four Linear shapes).  Causal GFLOP/s count "
             f"the full product.", "",
             "| L | causal | Kiln ms | GFLOP/s | % of matmul | % of peak | ORT graph ms | Kiln/ORT graph | ORT MHA ms | "
             "Kiln/ORT MHA | Kiln peak RSS MiB | ORT graph MiB | ORT MHA MiB | max abs diff |",
             "|--:|:--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for c in r["configs"]:
        if "error" in c:
            lines.append(f"| {c['L']} | {'yes' if c['causal'] else 'no'} | error: {c['error'][:200]} |")
            continue
        k, og, om = c.get("kiln"), c.get("ort-graph"), c.get("ort-mha")
        diff = c.get("diff_vs_ort_graph") or c.get("diff_vs_ort_mha") or {}

        def ms(x):
            return f"{x['median_ms']:.2f}" if x else "-"
        lines.append(
            f"| {c['L']} | {'yes' if c['causal'] else 'no'} | {ms(k)} | {k['gflops']:.1f} | "
            f"{100 * k['gflops'] / r['matmul_gflops']:.0f}% | {100 * k['gflops'] / r['peak_gflops']:.0f}% | {ms(og)} | "
            f"{(k['median_ms'] / og['median_ms']) if og else float('nan'):.2f} | {ms(om)} | "
            f"{k['median_ms'] / om['median_ms']:.2f} | {k['peak_rss_mib']:.0f} | "
            f"{og['peak_rss_mib'] if og else '-'} | {om['peak_rss_mib']:.0f} | "
            f"{diff.get('max_abs', diff.get('error', '?'))} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
