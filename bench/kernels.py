#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Kernel benchmark: every Conv, MatMul and Gemm of the benchmark models as a
single-operator model, Kiln against ONNX Runtime in the same run.

For each model (an export_models.py name; exported into the cache if
missing) this runs ONNX shape inference, takes every Conv, MatMul and Gemm
node of the main graph, and writes each distinct operator (same op type,
input shapes, weight shapes and attributes; the count of nodes it stands for
is kept) as a one-node ONNX model with the model's own weights as
initializers (a MatMul whose right operand is computed stays a run-time
input: batch MatMul with two run-time operands).  Dynamic dims are set to 1
(batch 1).  Each operator model is compiled with `kiln-compile -O3` and
timed in the two workers of bench.py (bench/kiln_worker.c and
bench/ort_worker.js, ONNX Runtime on 1 thread), alternating single runs;
both outputs are compared first (a wrong kernel's speed is not reported as
a speed).

Both workers run with glibc's MALLOC_MMAP_THRESHOLD_ and
MALLOC_TRIM_THRESHOLD_ raised (1 GB), so that a run reuses the memory the
previous run freed: a single operator's fresh output otherwise costs more in
page faults than its arithmetic (a 1x1 conv of ResNet-50, 3.2 MB of output:
about 20 ms with the faults, 1 ms without, for both runtimes, on the 2-core
EPYC VM of 2026-12-05).  The whole-model benchmark (bench.py) keeps the
default allocator settings.

The machine's fp32 peak is measured in the same run (`kiln-run --peak`: one
core, the widest FMA vectors), and every operator gets its FLOPs (2 per
multiply-add), GFLOP/s and percentage of that peak for both runtimes.

Output: OUT/kernels.json (every figure) and OUT/kernels.md (one table per
model, slowest total first; a model's totals weight each operator by its
count).  See docs/benchmarks.md.

usage:
  ./bench/run.sh --kernels [--models resnet50,bert_encoder] [--target-s 0.5]
  /usr/bin/python3 bench/kernels.py ...   (after bench/run.sh has set things up)
"""
import argparse
import datetime
import json
import os
import re
from math import prod
import statistics
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "bench"))
import bench  # noqa: E402  (Worker, alternate, compile_model, compare, ...)

DEFAULT_MODELS = "resnet50,mobilenet_v2,efficientnet_b0,bert_encoder"
OPS = ("Conv", "MatMul", "Gemm")
SEED = 20261205


def log(msg):
    print(msg, flush=True)


def measure_peak(kiln_bin):
    out = subprocess.run([os.path.join(kiln_bin, "kiln-run"), "--peak"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    m = re.match(r"peak: ([0-9.]+) GFLOP/s fp32 on one core \((.*), (\d+) lanes", out)
    if not m:
        raise RuntimeError(f"unexpected output of kiln-run --peak: {out!r}")
    return {"gflops": float(m.group(1)), "isa": m.group(2), "lanes": int(m.group(3))}


def shape_of(vi):
    """Static dims of a ValueInfo; dynamic (named or unknown) dims -> 1."""
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]


def attr_text(node):
    import onnx
    return ",".join(f"{a.name}={onnx.helper.get_attribute_value(a)}"
                    for a in sorted(node.attribute, key=lambda a: a.name))


def op_flops(node, shapes):
    """FLOPs (2 per multiply-add) of Conv, MatMul, Gemm given input/output shapes."""
    import onnx
    ins, out = shapes["inputs"], shapes["output"]
    if node.op_type == "Conv":
        w = ins[1]
        return 2 * prod(out) * prod(w[1:])
    if node.op_type == "MatMul":
        return 2 * prod(out) * ins[0][-1]
    # Gemm: A is [M, K] or [K, M] with transA.
    ta = next((onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "transA"), 0)
    k = ins[0][0] if ta else ins[0][1]
    return 2 * prod(out) * k


def describe(node, shapes, const_rhs):
    ins, out = shapes["inputs"], shapes["output"]
    if node.op_type == "Conv":
        import onnx
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        w = ins[1]
        k = "x".join(map(str, w[2:]))
        g = attrs.get("group", 1)
        kind = "depthwise" if g > 1 and g == ins[0][1] and w[1] == 1 else (f"groups {g}" if g > 1 else "")
        s = attrs.get("strides", [1] * (len(w) - 2))
        extra = [kind] if kind else []
        if any(v != 1 for v in s):
            extra.append("stride " + "x".join(map(str, s)))
        d = attrs.get("dilations", [1] * (len(w) - 2))
        if any(v != 1 for v in d):
            extra.append("dilation " + "x".join(map(str, d)))
        return (f"{k} {ins[0][1]}->{w[0]} {ins[0][2]}x{ins[0][3]}->{out[2]}x{out[3]}"
                + (f" ({', '.join(extra)})" if extra else ""))
    a, b = ins[0], ins[1]
    return (f"[{'x'.join(map(str, a))}] x [{'x'.join(map(str, b))}]"
            + ("" if const_rhs else " (two run-time operands)"))


def collect(model_path):
    """Distinct Conv/MatMul/Gemm operators of a model: list of dicts."""
    import onnx
    m = onnx.load(model_path)
    inferred = onnx.shape_inference.infer_shapes(m, data_prop=True)
    g = inferred.graph
    vis = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
    inits = {t.name: t for t in g.initializer}
    for t in g.initializer:
        vis.setdefault(t.name, onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    # Constant nodes count as weights too.
    consts = {}
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = n.attribute[0].t
    ops, skipped = {}, []
    for n in g.node:
        if n.op_type not in OPS:
            continue
        names = [x for x in n.input if x]
        if any(x not in vis and x not in consts for x in names) or n.output[0] not in vis:
            skipped.append((n.name, "shape unknown"))
            continue
        in_shapes = [list(consts[x].dims) if x in consts else shape_of(vis[x]) for x in names]
        out_shape = shape_of(vis[n.output[0]])
        if any(s is None for s in in_shapes) or out_shape is None:
            skipped.append((n.name, "shape unknown"))
            continue
        weights = [x in inits or x in consts for x in names]
        if weights[0]:
            skipped.append((n.name, "constant first operand"))
            continue
        shapes = {"inputs": in_shapes, "output": out_shape}
        key = (n.op_type, json.dumps(in_shapes), json.dumps(weights), attr_text(n))
        if key in ops:
            ops[key]["count"] += 1
            continue
        ops[key] = {"node": n.name, "op_type": n.op_type, "count": 1, "shapes": shapes,
                    "weights": weights, "flops": op_flops(n, shapes),
                    "what": describe(n, shapes, all(weights[1:])), "_node": n}
    opset = [o for o in m.opset_import if o.domain in ("", "ai.onnx")]
    return list(ops.values()), skipped, inits, consts, opset, m.ir_version


def single_op_model(op, inits, consts, opset, ir_version, path):
    import onnx
    from onnx import helper, TensorProto
    n = op["_node"]
    names = [x for x in n.input if x]
    inputs, initializers = [], []
    renamed = []
    for i, (x, is_w, shape) in enumerate(zip(names, op["weights"], op["shapes"]["inputs"])):
        nm = f"w{i}" if is_w else f"x{i}"
        renamed.append(nm)
        if is_w:
            t = onnx.TensorProto()
            t.CopyFrom(inits[x] if x in inits else consts[x])
            t.name = nm
            initializers.append(t)
        else:
            inputs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, shape))
    # Optional inputs keep their positions ("" stays "").
    it = iter(renamed)
    node_inputs = [next(it) if x else "" for x in n.input]
    node = helper.make_node(n.op_type, node_inputs, ["y"], name=n.name or "op")
    node.attribute.extend(n.attribute)
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, op["shapes"]["output"])
    graph = helper.make_graph([node], "op", inputs, [out], initializers)
    model = helper.make_model(graph, opset_imports=opset)
    model.ir_version = ir_version
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return [(vi.name, "float32", [d.dim_value for d in vi.type.tensor_type.shape.dim]) for vi in inputs]


def write_inputs(specs, d, rng):
    import numpy as np
    os.makedirs(d, exist_ok=True)
    files = []
    for name, dtype, dims in specs:
        a = rng.uniform(-1, 1, size=dims).astype(np.float32)
        p = os.path.join(d, f"{name}.bin")
        a.tofile(p)
        files.append((name, dtype, dims, p))
    return files


def bench_op(op, onnx_path, lib, files, a, work, tag):
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    k = o = None
    res = {}
    try:
        k = bench.Worker("kiln", [a.kiln_worker], os.path.join(logs, f"{tag}-kiln.log"))
        o = bench.Worker("ort", ["node", os.path.join(bench.BENCH, "ort_worker.js")],
                         os.path.join(logs, f"{tag}-ort.log"))
        k.cmd(f"load {lib} 1")
        res["ort_version"] = o.cmd(f"load {onnx_path} 1")
        k.set_inputs(files)
        o.set_inputs(files)
        dk, do = os.path.join(work, "outputs", tag, "kiln"), os.path.join(work, "outputs", tag, "ort")
        (fk, desc_k), (fo, desc_o) = k.dump(dk), o.dump(do)
        res["diff"] = bench.worst([bench.compare(x, y) for x, y in
                                   zip(bench.read_outputs(dk, desc_k), bench.read_outputs(do, desc_o))])
        tk, to, ex = bench.alternate(k, o, a.warmup, 5.0, a.target_s, a.min_rounds, a.max_rounds,
                                     a.max_s, "timing", (fk, fo))
        res["kiln"], res["ort"] = bench.summarize(tk), bench.summarize(to)
        res["rounds"] = ex["rounds"]
    except bench.WorkerError as e:
        res["error"] = str(e)
    finally:
        for w in (k, o):
            if w is not None:
                w.close()
    return res


def fmt(x, nd=1):
    return "-" if x is None else f"{x:.{nd}f}"


def write_markdown(path, results):
    peak = results["peak"]
    lines = [f"# Kernel benchmark ({results['date']})", "",
             f"Host: {results['machine']['cpu']}, Kiln {(results['machine']['kiln_commit'] or '?')[:7]}.  Measured peak: **{peak['gflops']:.1f} GFLOP/s** fp32 on "
             f"one core ({peak['isa']}, `kiln-run --peak`).  Both runtimes on 1 thread; medians of "
             f"alternating single runs, freed memory reused (no page faults: see bench/kernels.py); FLOPs = 2 per multiply-add.  ONNX Runtime "
             f"{results.get('ort_version', '?')}.", ""]
    for mname, mres in results["models"].items():
        ops = mres["ops"]
        done = [op for op in ops if "kiln" in op.get("result", {})]
        tk = sum(op["count"] * op["result"]["kiln"]["median_ms"] for op in done)
        to = sum(op["count"] * op["result"]["ort"]["median_ms"] for op in done)
        fl = sum(op["count"] * op["flops"] for op in done)
        lines += [f"## {mname}", ""]
        if done:
            lines += [f"{len(ops)} distinct operators for {sum(op['count'] for op in ops)} nodes.  "
                      f"Sum over nodes: Kiln {tk:.2f} ms ({fl / tk / 1e6:.1f} GFLOP/s, "
                      f"{100 * fl / tk / 1e6 / peak['gflops']:.1f}% of peak), ONNX Runtime "
                      f"{to:.2f} ms ({fl / to / 1e6:.1f} GFLOP/s, "
                      f"{100 * fl / to / 1e6 / peak['gflops']:.1f}%), Kiln/ORT **{tk / to:.2f}**.", ""]
        lines += ["| node (first of count) | n | op | shape | MFLOP | Kiln ms | Kiln GFLOP/s | "
                  "Kiln % peak | ORT ms | ORT GFLOP/s | ORT % peak | Kiln/ORT | max rel diff |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for op in sorted(ops, key=lambda op: -op["count"] * op.get("result", {}).get("kiln", {})
                         .get("median_ms", 0)):
            r = op.get("result", {})
            if "kiln" not in r:
                lines.append(f"| {op['node']} | {op['count']} | {op['op_type']} | {op['what']} | "
                             f"{op['flops'] / 1e6:.1f} | error: {r.get('error', '?')[:200]} |"
                             + " |" * 7)
                continue
            kms, oms = r["kiln"]["median_ms"], r["ort"]["median_ms"]
            kg, og = op["flops"] / kms / 1e6, op["flops"] / oms / 1e6
            d = r["diff"]
            lines.append(f"| {op['node']} | {op['count']} | {op['op_type']} | {op['what']} | "
                         f"{op['flops'] / 1e6:.1f} | {kms:.4f} | {kg:.1f} | "
                         f"{100 * kg / peak['gflops']:.1f} | {oms:.4f} | {og:.1f} | "
                         f"{100 * og / peak['gflops']:.1f} | {kms / oms:.2f} | "
                         f"{d.get('error') or fmt(d.get('max_rel'), 6)} |")
        for name, why in mres["skipped"]:
            lines.append(f"| {name} | | skipped: {why} |" + " |" * 10)
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--models", default=DEFAULT_MODELS, help=f"comma-separated (default {DEFAULT_MODELS})")
    ap.add_argument("--build", default=os.path.join(SRC, "build"), help="Kiln build directory")
    ap.add_argument("--cache", default=None, help="exported models (default BUILD/e2e-models)")
    ap.add_argument("--out", default=None, help="results directory (default BUILD/bench)")
    ap.add_argument("--opt", default="-O3", help="kiln-compile optimization flag (default -O3)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up runs each (default 3)")
    ap.add_argument("--target-s", type=float, default=0.5,
                    help="timed seconds per operator, both runtimes (default 0.5)")
    ap.add_argument("--min-rounds", type=int, default=5, help="(default 5)")
    ap.add_argument("--max-rounds", type=int, default=200, help="(default 200)")
    ap.add_argument("--max-s", type=float, default=10.0, help="most timed seconds per operator (default 10)")
    ap.add_argument("--max-ops", type=int, default=0, help="distinct operators per model (0 = all)")
    a = ap.parse_args()
    cache = a.cache or os.path.join(a.build, "e2e-models")
    out = a.out or os.path.join(a.build, "bench")
    work = os.path.join(out, "kernels")
    kiln_bin = os.path.join(a.build, "bin")
    a.kiln_worker = os.path.join(kiln_bin, "kiln_bench_worker")
    for p in (os.path.join(kiln_bin, "kiln-compile"), a.kiln_worker):
        if not os.path.isfile(p):
            sys.exit(f"kernels: {p} is missing: build Kiln first (bench/run.sh does)")
    models = [m for m in a.models.split(",") if m]
    unknown = [m for m in models if m not in bench.export_models.MODELS]
    if unknown:
        sys.exit(f"kernels: unknown model(s) {', '.join(unknown)}")
    import numpy as np
    os.makedirs(work, exist_ok=True)
    # Inherited by both workers (see the module docstring).
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(1 << 30)
    os.environ["MALLOC_TRIM_THRESHOLD_"] = str(1 << 30)
    peak = measure_peak(kiln_bin)
    log(f"kernels: measured peak {peak['gflops']:.1f} GFLOP/s ({peak['isa']}, one core)")
    bench.ensure_exported(models, cache, 1)
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": bench.machine_info(None),
               "peak": peak, "flags": a.opt, "models": {}}
    rng = np.random.RandomState(SEED)
    t0 = time.time()
    for mname in models:
        mpath = os.path.join(cache, mname, "model.onnx")
        if not os.path.isfile(mpath):
            results["models"][mname] = {"ops": [], "skipped": [("(model)", "export failed")]}
            continue
        ops, skipped, inits, consts, opset, irv = collect(mpath)
        if a.max_ops:
            ops = ops[:a.max_ops]
        log(f"kernels: {mname}: {len(ops)} distinct operators "
            f"({sum(op['count'] for op in ops)} nodes), {len(skipped)} skipped")
        for i, op in enumerate(ops):
            tag = f"{mname}-{i:03d}"
            opath = os.path.join(work, "ops", f"{tag}.onnx")
            os.makedirs(os.path.dirname(opath), exist_ok=True)
            log(f"  [{i + 1}/{len(ops)}] {op['op_type']} {op['what']} x{op['count']}")
            try:
                specs = single_op_model(op, inits, consts, opset, irv, opath)
                lib, _ = bench.compile_model(tag, opath, kiln_bin, os.path.join(work, "libs"), a.opt)
                files = write_inputs(specs, os.path.join(work, "inputs", tag), rng)
                op["result"] = bench_op(op, opath, lib, files, a, work, tag)
            except Exception as e:  # a failed compile: reported, go on
                op["result"] = {"error": f"{type(e).__name__}: {str(e)[-500:]}"}
            r = op["result"]
            if "kiln" in r:
                results.setdefault("ort_version", r.get("ort_version"))
                kg = op["flops"] / r["kiln"]["median_ms"] / 1e6
                og = op["flops"] / r["ort"]["median_ms"] / 1e6
                log(f"      Kiln {r['kiln']['median_ms']:.4f} ms {kg:.1f} GFLOP/s "
                    f"({100 * kg / peak['gflops']:.0f}%), ORT {r['ort']['median_ms']:.4f} ms "
                    f"{og:.1f} GFLOP/s ({100 * og / peak['gflops']:.0f}%)")
            else:
                log(f"      error: {r.get('error')}")
        for op in ops:
            op.pop("_node", None)
        results["models"][mname] = {"ops": ops, "skipped": skipped}
    results["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(out, "kernels.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(os.path.join(out, "kernels.md"), results)
    log(f"kernels: wrote {out}/kernels.json and kernels.md ({results['seconds']:.0f} s)")
    bad = [op for m in results["models"].values() for op in m["ops"]
           if "kiln" in op.get("result", {}) and not op["result"]["diff"].get("within_1e-3_1e-4", False)]
    if bad:
        log(f"kernels: {len(bad)} operator(s) where Kiln and ONNX Runtime differ beyond rtol 1e-3 / "
            f"atol 1e-4: " + ", ".join(op["node"] for op in bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
