#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Benchmark Kiln-compiled models against ONNX Runtime (CPU).

For every model (an export_models.py name) this exports the model if it is
not in the cache (scripts/export_models.py), compiles it with
`kiln-compile -O3`, and measures, in one process tree, two persistent worker
processes on the same .onnx and the same input:

  A  build/bin/kiln_bench_worker   (bench/kiln_worker.c, the Kiln C runtime)
  B  node bench/ort_worker.js      (onnxruntime-node, prebuilt CPU library)

once with both runtimes on 1 thread and once on all cores (Kiln's count set
with kiln_model_set_num_threads through the worker's `load LIB THREADS`).  After a
warm-up the driver alternates single runs A/B over R rounds, flipping the
order every round, at batch 1 (latency) and at batch 8 (throughput).  Both
workers time each run themselves, around the run call only.

Output: OUT/results.json (every figure), OUT/results.md (tables),
OUT/results.png (Kiln/ORT latency ratio per model).  See docs/benchmarks.md.

usage:
  /usr/bin/python3 bench/bench.py [--models resnet50,bert_encoder] [--quick]
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(SRC, "bench")
DEFAULT_MODELS = "resnet50,mobilenet_v2,squeezenet1_1,efficientnet_b0,vit_b_16,bert_encoder"
B8_SEED = 20240808  # seed of the batch-8 inputs (numpy RandomState)
MIB = 1024.0

sys.path.insert(0, os.path.join(SRC, "scripts"))
import export_models  # noqa: E402  (MODELS, make_input, is_complete)


class WorkerError(RuntimeError):
    pass


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Workers


class Worker:
    """A worker process speaking the line protocol of bench/kiln_worker.c."""

    def __init__(self, label, argv, log_path):
        self.label = label
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.log, text=True, bufsize=1, cwd=BENCH)
        self._read("start")

    def _read(self, what):
        line = self.p.stdout.readline()
        if not line:
            self.p.wait()
            self.log.flush()
            with open(self.log_path) as f:
                tail = f.read()[-2000:].strip()
            raise WorkerError(f"{self.label} worker died during '{what}' (exit status "
                              f"{self.p.returncode})" + (f": {tail}" if tail else ""))
        line = line.rstrip("\n")
        if line == "ok" or line.startswith("ok "):
            return line[3:]
        raise WorkerError(f"{self.label} worker: {what}: {line[4:] if line.startswith('err ') else line}")

    def cmd(self, line):
        try:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass  # _read reports the exit
        return self._read(line.split(" ")[0] + (" " + line.split(" ")[1] if line.startswith("run ") else ""))

    def rss(self):
        hwm, rss = self.cmd("rss").split()
        return int(hwm), int(rss)

    def run(self, n=1):
        return [int(t) for t in self.cmd(f"run {n}").split()]

    def cpu_seconds(self):
        """utime + stime of the worker process (all its threads) so far."""
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def busy_ns(self):
        """CPU time of all the worker's threads so far, in ns (schedstat: ns
        resolution, where /proc/PID/stat counts 10 ms ticks)."""
        total = 0
        base = f"/proc/{self.p.pid}/task"
        try:
            tids = os.listdir(base)
        except OSError:
            return 0
        for tid in tids:
            try:
                with open(f"{base}/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # a thread that just exited
        return total

    def set_inputs(self, files):
        for name, dtype, dims, path in files:
            self.cmd(f"input {name} {dtype} {'x'.join(map(str, dims))} {path}")

    def dump(self, d):
        """One run whose outputs go to d; returns (run time in ns, [(name, dtype, dims)])."""
        os.makedirs(d, exist_ok=True)
        toks = self.cmd(f"dump {d}").split()
        outs = []
        for tok in toks[1:]:
            name, dtype, dims = tok.rsplit(":", 2)
            dims = [] if dims == "scalar" else [int(x) for x in dims.split("x")]
            outs.append((name, dtype, dims))
        return int(toks[0]), outs

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()
        self.log.close()


# ---------------------------------------------------------------------------
# Statistics and output comparison


def summarize(ns):
    ms = sorted(t / 1e6 for t in ns)
    n = len(ms)

    def pct(q):
        return ms[min(n - 1, max(0, int(round(q * (n - 1)))))]
    return {"n": n, "median_ms": statistics.median(ms), "min_ms": ms[0], "max_ms": ms[-1],
            "mean_ms": statistics.fmean(ms), "p10_ms": pct(0.1), "p90_ms": pct(0.9),
            "stdev_ms": statistics.stdev(ms) if n > 1 else 0.0,
            "spread": (pct(0.9) - pct(0.1)) / statistics.median(ms) if ms[0] > 0 else None,
            "all_ms": [round(t, 4) for t in ms]}


def compare(a, b):
    """Difference of `a` against the reference `b` (numpy arrays)."""
    import numpy as np
    if a.shape != b.shape:
        return {"error": f"shape {list(a.shape)} vs {list(b.shape)}"}
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    finite = bool(np.all(np.isfinite(a64)) and np.all(np.isfinite(b64)))
    if not finite:
        return {"error": f"non-finite values ({int(np.sum(~np.isfinite(a64)))} in the first, "
                         f"{int(np.sum(~np.isfinite(b64)))} in the reference)"}
    if a.size == 0:
        return {"max_abs": 0.0, "max_rel": 0.0, "max_ref": 0.0, "within_1e-3_1e-4": True}
    d = np.abs(a64 - b64)
    ref = np.abs(b64)
    floor = max(1e-3 * float(ref.max()), 1e-30)
    return {"max_abs": float(d.max()),
            "max_rel": float((d / np.maximum(ref, floor)).max()),
            "max_ref": float(ref.max()),
            # The end-to-end tests' tolerance (test/e2e/run_e2e.py).
            "within_1e-3_1e-4": bool(np.all(d <= 1e-4 + 1e-3 * ref))}


def worst(cmps):
    """Combine the per-output comparisons of one model."""
    errs = [c["error"] for c in cmps if "error" in c]
    if errs:
        return {"error": "; ".join(errs)}
    return {"max_abs": max(c["max_abs"] for c in cmps), "max_rel": max(c["max_rel"] for c in cmps),
            "within_1e-3_1e-4": all(c["within_1e-3_1e-4"] for c in cmps)}


def read_outputs(d, desc):
    import numpy as np
    return [np.fromfile(os.path.join(d, f"output_{i}.bin"), dtype=dt).reshape(dims)
            for i, (_, dt, dims) in enumerate(desc)]


# ---------------------------------------------------------------------------
# Preparation: export, compile, inputs


def machine_info(ort_version):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = round(int(line.split()[1]) / MIB / MIB, 1)
    except OSError:
        pass

    def git(*args):
        r = subprocess.run(["git", "-C", SRC] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    node = subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "mem_gib": mem, "kernel": platform.release(),
            "kiln_commit": git("rev-parse", "HEAD"), "kiln_dirty": bool(dirty),
            "ort_version": ort_version, "node": node, "python": platform.python_version(),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def ensure_exported(models, cache, threads):
    missing = [m for m in models if not export_models.is_complete(os.path.join(cache, m), m)]
    if not missing:
        return
    log(f"bench: exporting {', '.join(missing)} into {cache} (scripts/export_models.py)")
    r = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "export_models.py"),
                        cache, "--models", ",".join(missing), "--threads", str(threads)])
    if r.returncode != 0:
        log("bench: export failed for some models (they are reported as failed)")


def compile_model(name, onnx_path, kiln_bin, libdir, opt, out_name=None):
    """Compiles (or reuses) lib<name>.so (or `out_name`, e.g. the QDQ model
    of --emit=qdq-onnx).  Returns (path, info dict)."""
    os.makedirs(libdir, exist_ok=True)
    lib = os.path.join(libdir, out_name or f"lib{name}.so")
    stamp_path = lib + ".stamp"
    compiler = os.path.join(kiln_bin, "kiln-compile")
    st_m, st_c = os.stat(onnx_path), os.stat(compiler)
    stamp = {"onnx": [os.path.realpath(onnx_path), st_m.st_size, st_m.st_mtime_ns],
             "compiler": [st_c.st_size, st_c.st_mtime_ns], "flags": [opt]}
    try:
        with open(stamp_path) as f:
            old = json.load(f)
        if old.get("key") == stamp and os.path.isfile(lib):
            return lib, old["info"]
    except (OSError, ValueError, KeyError):
        pass
    log(f"bench: {name}: kiln-compile {opt}")
    t = time.time()
    # {model_dir}: the model's export folder (its test_data_set_* are a
    # data set, e.g. --calibration-data {model_dir} for --quantize=int8).
    flags = shlex.split(opt.replace("{model_dir}", os.path.dirname(os.path.abspath(onnx_path))))
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", compiler, onnx_path, *flags,
                        "-o", lib], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    info = {"flags": opt, "seconds": round(time.time() - t, 2)}
    rss = [l for l in r.stdout.splitlines() if l.startswith("maxrss_kb=")]
    if rss:
        info["peak_rss_mib"] = round(int(rss[-1].split("=")[1]) / MIB, 1)
    if r.returncode != 0:
        msg = "\n".join(l for l in r.stdout.splitlines() if not l.startswith("maxrss_kb="))
        raise RuntimeError(f"kiln-compile failed: {msg.strip()[-1500:]}")
    with open(stamp_path, "w") as f:
        json.dump({"key": stamp, "info": info}, f)
    return lib, info


def write_inputs(name, mdir, d, batch):
    """Raw input files for one batch size.  Batch 1: test_data_set_0's inputs
    (torch's output_*.pb is the reference); other batches: make_input()."""
    import numpy as np
    from onnx import numpy_helper, TensorProto
    spec = export_models.MODELS[name]
    os.makedirs(d, exist_ok=True)
    files = []
    if batch == 1:
        arrays = []
        for i in range(len(spec.inputs)):
            t = TensorProto()
            with open(os.path.join(mdir, "test_data_set_0", f"input_{i}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            arrays.append(numpy_helper.to_array(t))
        if arrays and arrays[0].shape[0] != 1:
            raise RuntimeError(f"{mdir}/test_data_set_0 is not batch 1")
    else:
        rng = np.random.RandomState(B8_SEED)
        arrays = [export_models.make_input(rng, batch, shape, kind)
                  for _, shape, kind in spec.inputs]
    for (iname, _, _), a in zip(spec.inputs, arrays):
        a = np.ascontiguousarray(a)
        path = os.path.join(d, f"{iname}.bin")
        a.tofile(path)
        files.append((iname, a.dtype.name, list(a.shape), path))
    return files


def torch_reference(name, mdir):
    from onnx import numpy_helper, TensorProto
    out = []
    for i in range(len(export_models.MODELS[name].outputs)):
        t = TensorProto()
        with open(os.path.join(mdir, "test_data_set_0", f"output_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        out.append(numpy_helper.to_array(t))
    return out


# ---------------------------------------------------------------------------
# Measurement


def plan_rounds(est_s, target_s, lo, hi, max_s):
    """Rounds for about target_s seconds (est_s: one A+B pair), within
    [lo, hi], but no more than max_s seconds unless that leaves fewer than 2."""
    if est_s <= 0:
        return lo
    r = max(lo, min(hi, math.ceil(target_s / est_s)))
    return int(max(min(2, r), min(r, math.floor(max_s / est_s))))


# Seconds between two runs (--gap-ms): an idle pause, not timed, so that
# the worker threads one runtime leaves spinning after its run (ONNX
# Runtime's pool spins by default) do not share the cores with the other
# runtime's next run.  After the pause the driver also waits until the
# worker is idle (its threads used under IDLE_BUSY of CPU in the last
# IDLE_WINDOW_S), at most IDLE_MAX_S: ONNX Runtime's pool spins about 30 ms
# after a run on 2 threads, longer than the 20 ms pause.
GAP_S = 0.0
IDLE_WAIT = True
IDLE_WINDOW_S = 0.005
IDLE_BUSY = 0.1  # fraction of one core
IDLE_MAX_S = 1.0
IDLE_WAITS = {}  # worker label -> seconds waited after the pause, per run


def wait_idle(w):
    t0 = time.monotonic()
    prev = w.busy_ns()
    while time.monotonic() - t0 < IDLE_MAX_S:
        time.sleep(IDLE_WINDOW_S)
        cur = w.busy_ns()
        if cur - prev < IDLE_BUSY * IDLE_WINDOW_S * 1e9:
            break
        prev = cur
    IDLE_WAITS.setdefault(w.label, []).append(time.monotonic() - t0)


def run_once(w):
    t = w.run(1)
    if GAP_S > 0:
        time.sleep(GAP_S)
    if IDLE_WAIT:
        wait_idle(w)
    return t


def alternate(k, o, warmup, warmup_max_s, target_s, lo, hi, max_s, what, prior=None):
    """Warm-up pairs (alternating), then R rounds of one run each, the order
    flipped every round.  `prior`: (kiln_ns, ort_ns) of an untimed run just
    made on this input (the output dump), counted as warm-up time.  Warm-up
    stops early once it has taken warmup_max_s.  Returns (kiln latencies in
    ns, ort latencies in ns, extras)."""
    wk, wo = [], []
    spent = sum(prior) / 1e9 if prior else 0.0
    for i in range(warmup):
        if spent > warmup_max_s:
            break
        pair = [(k, wk), (o, wo)] if i % 2 == 0 else [(o, wo), (k, wk)]
        for w, acc in pair:
            acc += run_once(w)
        spent += (wk[-1] + wo[-1]) / 1e9
    if wk:
        est = (statistics.median(wk[-2:]) + statistics.median(wo[-2:])) / 1e9
    elif prior:
        est = sum(prior) / 1e9
    else:
        est = 0.0
    rounds = plan_rounds(est, target_s, lo, hi, max_s)
    log(f"    {what}: {len(wk)} warm-up run(s) each, {rounds} rounds "
        f"(about {est * rounds:.0f} s)")
    tk, to = [], []
    IDLE_WAITS.clear()
    cpu0 = (k.cpu_seconds(), o.cpu_seconds())
    t0 = time.time()
    for r in range(rounds):
        pair = [(k, tk), (o, to)] if r % 2 == 0 else [(o, to), (k, tk)]
        for w, acc in pair:
            acc += run_once(w)
    wall = time.time() - t0
    cpu1 = (k.cpu_seconds(), o.cpu_seconds())
    # CPU time of each worker over the timed rounds / its own timed latency:
    # about the number of cores it kept busy while running.
    util = [round((c1 - c0) / (sum(t) / 1e9), 2) if sum(t) > 0 else None
            for c0, c1, t in zip(cpu0, cpu1, (tk, to))]
    paired = sorted(a / b for a, b in zip(tk, to))
    extra = {"rounds": rounds, "warmup": len(wk), "wall_s": round(wall, 2), "gap_ms": GAP_S * 1000,
             "warmup_ms": {"kiln": [round(t / 1e6, 3) for t in wk],
                           "ort": [round(t / 1e6, 3) for t in wo]},
             "cpu_util": {"kiln": util[0], "ort": util[1]},
             "paired_ratio_median": statistics.median(paired) if paired else None}
    # How long each worker kept a core busy after its runs (beyond the pause).
    extra["idle_wait_ms"] = {
        w.label: {"median": round(statistics.median(IDLE_WAITS[w.label]) * 1e3, 2),
                  "max": round(max(IDLE_WAITS[w.label]) * 1e3, 2)}
        for w in (k, o) if IDLE_WAITS.get(w.label)}
    return tk, to, extra


def bench_config(name, mdir, lib, threads, a, work, b1_files, b8_files, ref, ort_model=None):
    """Both workers on one model with ONNX Runtime on `threads` threads
    (running `ort_model`, default the exported model.onnx)."""
    cfg = f"{threads}t"
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    res = {"ort_threads": threads, "kiln_threads": threads}
    k = o = None
    try:
        k = Worker("kiln", [a.kiln_worker], os.path.join(logs, f"{name}-{cfg}-kiln.log"))
        o = Worker("ort", ["node", os.path.join(BENCH, "ort_worker.js")],
                   os.path.join(logs, f"{name}-{cfg}-ort.log"))
        base = {"kiln": k.rss(), "ort": o.rss()}
        k.cmd(f"load {lib} {threads}")
        res["ort_version"] = o.cmd(f"load {ort_model or os.path.join(mdir, 'model.onnx')} {threads}")
        loaded = {"kiln": k.rss(), "ort": o.rss()}
        k.set_inputs(b1_files)
        o.set_inputs(b1_files)

        # Outputs at batch 1 (before any timed run), against each other and torch.
        dk, do = os.path.join(work, "outputs", name, cfg, "kiln"), os.path.join(work, "outputs", name, cfg, "ort")
        (first_k, desc_k), (first_o, desc_o) = k.dump(dk), o.dump(do)
        res["first_run_ms"] = {"kiln": round(first_k / 1e6, 3), "ort": round(first_o / 1e6, 3)}
        ok_, oo = read_outputs(dk, desc_k), read_outputs(do, desc_o)

        def diff(xs, ys, what):
            if len(xs) != len(ys):
                return {"error": f"{len(xs)} outputs vs {len(ys)} {what}"}
            return worst([compare(x, y) for x, y in zip(xs, ys)])
        res["diff"] = {"kiln_vs_ort": diff(ok_, oo, "from ORT"),
                       "kiln_vs_torch": diff(ok_, ref, "torch references"),
                       "ort_vs_torch": diff(oo, ref, "torch references")}
        if [d[0] for d in desc_k] != [d[0] for d in desc_o]:
            res["diff"]["kiln_vs_ort"] = {"error": f"output names differ: "
                                          f"{[d[0] for d in desc_k]} vs {[d[0] for d in desc_o]}"}

        tk, to, ex = alternate(k, o, a.warmup, a.warmup_max_s, a.target_s, a.min_rounds,
                               a.max_rounds, a.max_s, f"{cfg} batch 1", (first_k, first_o))
        res["batch1"] = {"kiln": summarize(tk), "ort": summarize(to), **ex}
        res["batch1"]["ratio_median"] = res["batch1"]["kiln"]["median_ms"] / res["batch1"]["ort"]["median_ms"]
        res["batch1"]["ratio_min"] = res["batch1"]["kiln"]["min_ms"] / res["batch1"]["ort"]["min_ms"]
        b1 = res["batch1"]
        est_n = a.batch * (b1["kiln"]["median_ms"] + b1["ort"]["median_ms"]) / 1e3
        if a.batch > 1 and est_n > a.batch_max_run_s:
            res["batchN"] = {"batch": a.batch, "skipped":
                             f"one batch-{a.batch} A+B pair would take about {est_n:.0f} s "
                             f"(batch x batch-1 medians) > --batch-max-run-s "
                             f"{a.batch_max_run_s:g}"}
            log(f"    {cfg} batch {a.batch}: skipped ({res['batchN']['skipped']})")
        elif a.batch > 1:
            k.set_inputs(b8_files)
            o.set_inputs(b8_files)
            tk, to, ex = alternate(k, o, a.batch_warmup, a.warmup_max_s, a.batch_target_s,
                                   a.batch_min_rounds, a.max_rounds, a.max_s,
                                   f"{cfg} batch {a.batch}")
            sk, so = summarize(tk), summarize(to)
            res["batchN"] = {"batch": a.batch, "kiln": sk, "ort": so, **ex,
                             "kiln_items_per_s": a.batch / (sk["median_ms"] / 1e3),
                             "ort_items_per_s": a.batch / (so["median_ms"] / 1e3),
                             "ratio_median": sk["median_ms"] / so["median_ms"]}
        peak = {"kiln": k.rss(), "ort": o.rss()}
        res["rss_mib"] = {w: {"before_load": round(base[w][1] / MIB, 1),
                              "after_load": round(loaded[w][1] / MIB, 1),
                              "peak": round(peak[w][0] / MIB, 1)} for w in ("kiln", "ort")}
    except WorkerError as e:
        res["error"] = str(e)
    except Exception as e:  # a bad output file, ...: report, go on with the next
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        for w in (k, o):
            if w is not None:
                w.close()
    return res


# ---------------------------------------------------------------------------
# Reports


def fmt(x, nd=2):
    if x is None:
        return "–"
    if abs(x) >= 1000:
        return f"{x:.0f}"
    if abs(x) >= 100:
        return f"{x:.{min(nd, 1)}f}"
    return f"{x:.{nd}f}"


def fmt_e(x):
    return "–" if x is None else f"{x:.1e}"


def diff_cell(d):
    if d is None:
        return "–"
    if "error" in d:
        return "ERROR: " + d["error"][:60]
    return f"{fmt_e(d['max_abs'])} / {fmt_e(d['max_rel'])}" + ("" if d["within_1e-3_1e-4"] else " ✗")


def la(v):
    return "?" if not v else " ".join(f"{x:.2f}" for x in v)


def write_markdown(path, results):
    m, s = results["machine"], results["settings"]
    L = []
    L.append("# Kiln vs ONNX Runtime (CPU)\n")
    L.append(f"- machine: {m['cpu']}, {m['usable_cpus']} usable cores "
             f"({m['logical_cpus']} logical), {m['mem_gib']} GiB, Linux {m['kernel']}")
    L.append(f"- Kiln {(m['kiln_commit'] or '?')[:12]}{' (dirty tree)' if m['kiln_dirty'] else ''}, "
             f"`kiln-compile {s['kiln_flags']}`; ONNX Runtime {m['ort_version']} "
             f"(onnxruntime-node, Node {m['node']}) running "
             f"{s.get('ort_model', 'model.onnx')}; {m['date_utc']}")
    L.append(f"- method: per model and configuration, one untimed run of each (its outputs are "
             f"compared below), up to {s['warmup']} warm-up runs each (fewer once warm-up has "
             f"taken {s['warmup_max_s']:g} s), then alternating A/B rounds, the order flipped "
             f"each round, for about {s['target_s']:g} s ({s['min_rounds']}–{s['max_rounds']} "
             f"rounds, fewer, but at least 2, when that would exceed {s['max_s']:g} s); batch "
             f"{s['batch']}: {s['batch_warmup']} warm-up run, about {s['batch_target_s']:g} s, at "
             f"least {s['batch_min_rounds']} rounds, skipped when one pair would take more than "
             f"{s['batch_max_run_s']:g} s; an untimed idle pause of {s.get('gap_ms', 0):g} ms after "
             f"every run{', then a wait until that worker is idle' if s.get('idle_wait') else ''} "
             f"(so that threads one runtime leaves spinning do not run beside the "
             f"other's next run). Latency is measured inside each worker around the run "
             f"call only. Load average (1/5/15 min) before/after: "
             f"{la(results['loadavg_start'])} / {la(results.get('loadavg_end'))}.")
    L.append("- Both runtimes get the same thread count in each row (Kiln: "
             "kiln_model_set_num_threads; its parallel loops are OpenMP loops over the tiles "
             "of large operators, docs/targets.md).")
    if s.get("quick"):
        L.append("- **--quick smoke run: too few runs for meaningful figures.**")
    L.append("")
    L.append("Latency at batch 1 (ms), throughput at batch "
             f"{s['batch']} (items/s, from the median latency), peak resident memory (MiB, "
             "VmHWM; in parentheses the worker's RSS before the model was loaded). "
             "Kiln/ORT > 1 means Kiln is slower.\n")
    L.append("| model | kiln threads | ORT threads | Kiln median | Kiln min | ORT median | ORT min "
             f"| **Kiln/ORT** | b{s['batch']} Kiln | b{s['batch']} ORT | b{s['batch']} Kiln/ORT "
             f"| rounds b1 / b{s['batch']} | Kiln peak RSS | ORT peak RSS |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    noisy, skipped = [], []
    for name, r in results["models"].items():
        if "error" in r:
            L.append(f"| {name} | | | FAILED: {r['error'][:120].replace('|', '/')} ||||||||||||")
            continue
        for c in r["configs"]:
            if "error" in c:
                L.append(f"| {name} | {c['kiln_threads']} | {c['ort_threads']} | FAILED: "
                         f"{c['error'][:120].replace('|', '/')} |||||||||||")
                continue
            b1, bn, rs = c["batch1"], c.get("batchN"), c["rss_mib"]
            for side in ("kiln", "ort"):
                if b1[side]["spread"] is not None and b1[side]["spread"] > 0.1:
                    noisy.append(f"{name}/{c['ort_threads']}t/{side} "
                                 f"({100 * b1[side]['spread']:.0f}%)")
            if bn and "skipped" in bn:
                skipped.append(f"{name} ({c['ort_threads']}t): {bn['skipped']}")
                bcells = "| skipped | skipped | – "
                bruns = "–"
            elif bn:
                bcells = (f"| {fmt(bn['kiln_items_per_s'], 2 if bn['kiln_items_per_s'] < 10 else 1)} "
                          f"| {fmt(bn['ort_items_per_s'], 2 if bn['ort_items_per_s'] < 10 else 1)} "
                          f"| {fmt(bn['ratio_median'])} ")
                bruns = str(bn["rounds"])
            else:
                bcells, bruns = "| – | – | – ", "–"
            L.append(f"| {name} | {c['kiln_threads']} | {c['ort_threads']} "
                     f"| {fmt(b1['kiln']['median_ms'])} | {fmt(b1['kiln']['min_ms'])} "
                     f"| {fmt(b1['ort']['median_ms'])} | {fmt(b1['ort']['min_ms'])} "
                     f"| **{fmt(b1['ratio_median'])}** " + bcells +
                     f"| {b1['rounds']} / {bruns} "
                     f"| {fmt(rs['kiln']['peak'], 0)} ({fmt(rs['kiln']['before_load'], 0)}) "
                     f"| {fmt(rs['ort']['peak'], 0)} ({fmt(rs['ort']['before_load'], 0)}) |")
    L.append("")
    if skipped:
        L.append("Batch-" + str(s["batch"]) + " measurement skipped: " + "; ".join(skipped)
                 + ".\n")
    utils = {}
    for r in results["models"].values():
        for c in r.get("configs", []):
            for side in ("kiln", "ort"):
                u = c.get("batch1", {}).get("cpu_util", {}).get(side)
                if u is not None:
                    key = "Kiln" if side == "kiln" else f"ORT {c['ort_threads']}t"
                    utils.setdefault(key, []).append(u)
    if utils:
        L.append("CPU time per second of latency during the timed batch-1 runs (1.0 = one "
                 "core kept busy; on 1 thread, below 0.9 means the worker was "
                 "waiting for a core other processes held): "
                 + ", ".join(f"{k} {min(v):.2f}–{max(v):.2f}" for k, v in utils.items())
                 + (". **The machine was busy: latencies are inflated.**"
                    if min(utils.get("Kiln", [1.0])) < 0.9 else ".") + "\n")
    if noisy:
        L.append("Noisy measurements (p90−p10 spread above 10% of the median at batch 1): "
                 + ", ".join(noisy) + ".\n")
    L.append("Output difference at batch 1 (test_data_set_0 input), max abs / max rel "
             "(rel: |a−b| / max(|b|, 1e-3·max|b|), b the reference; ✗: outside the end-to-end "
             "tests' tolerance atol 1e-4 + rtol 1e-3), ONNX Runtime on 1 thread:\n")
    L.append("| model | Kiln vs ORT | Kiln vs torch | ORT vs torch |")
    L.append("|---|--:|--:|--:|")
    for name, r in results["models"].items():
        cs = [c for c in r.get("configs", []) if "diff" in c]
        if not cs:
            continue
        d = cs[0]["diff"]
        L.append(f"| {name} | {diff_cell(d['kiln_vs_ort'])} | {diff_cell(d['kiln_vs_torch'])} "
                 f"| {diff_cell(d['ort_vs_torch'])} |")
    L.append("")
    L.append("Every figure, with all per-run latencies, is in results.json "
             "(fields: docs/benchmarks.md).")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def write_chart(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names, series = [], {}
    threads = sorted({c["ort_threads"] for r in results["models"].values()
                      for c in r.get("configs", [])})
    for name, r in results["models"].items():
        names.append(name)
        by_t = {c["ort_threads"]: c for c in r.get("configs", [])}
        for t in threads:
            c = by_t.get(t)
            series.setdefault(t, []).append(c["batch1"]["ratio_median"]
                                            if c and "batch1" in c else None)
    if not names:
        return
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(names) + 2), 4.8), dpi=120)
    width = 0.8 / max(1, len(threads))
    colors = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
    allv = [v for vs in series.values() for v in vs if v]
    for j, t in enumerate(threads):
        xs = [i + (j - (len(threads) - 1) / 2) * width for i in range(len(names))]
        vals = series[t]
        label = "ONNX Runtime on 1 thread" if t == 1 else f"ONNX Runtime on all {t} cores"
        bars = ax.bar([x for x, v in zip(xs, vals) if v], [v for v in vals if v], width,
                      label=label + " (Kiln: 1 thread)", color=colors[j % len(colors)])
        for b in bars:
            v = b.get_height()
            ax.annotate(f"{v:.2f}" if v < 10 else f"{v:.0f}", (b.get_x() + b.get_width() / 2, v),
                        ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                        textcoords="offset points")
        for x, v in zip(xs, vals):
            if not v:
                ax.annotate("failed", (x, 1.0), ha="center", va="bottom", fontsize=8, color="red")
    ax.axhline(1.0, color="black", linewidth=1, linestyle="--",
               label="1.0: as fast as ONNX Runtime")
    if allv and max(allv) / max(min(allv), 1e-9) > 8:
        from matplotlib.ticker import FuncFormatter
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, ha="right")
    ax.set_ylabel("latency ratio Kiln / ONNX Runtime\n(median, batch 1; > 1: Kiln slower)")
    m = results["machine"]
    ax.set_title(f"Kiln vs ONNX Runtime {m['ort_version']} — {m['cpu']}, "
                 f"{m['usable_cpus']} cores", fontsize=10, pad=24)
    # Above the bars, not over them.
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="models: any scripts/export_models.py name: "
                                 + ", ".join(export_models.MODELS))
    ap.add_argument("--models", default=DEFAULT_MODELS, help=f"comma-separated (default {DEFAULT_MODELS})")
    ap.add_argument("--build", default=os.path.join(SRC, "build"), help="Kiln build directory")
    ap.add_argument("--cache", default=None, help="exported models (default BUILD/e2e-models)")
    ap.add_argument("--out", default=None, help="results directory (default BUILD/bench)")
    ap.add_argument("--threads", default="1,all",
                    help="ONNX Runtime intra-op thread counts, 'all' = every usable core "
                         "(default 1,all)")
    ap.add_argument("--opt", default="-O3",
                    help="kiln-compile flags, split like a shell would (default -O3; e.g. \"-O3 --winograd=off\"); "
                         "{model_dir} is replaced by the model's export folder, e.g. \"-O3 --quantize=int8 "
                         "--calibration-data {model_dir}\"")
    ap.add_argument("--ort-qdq", action="store_true",
                    help="ONNX Runtime runs the QDQ model that kiln-compile writes with the same --opt "
                         "plus --emit=qdq-onnx (needs --quantize): Kiln's int8 quantization on ONNX "
                         "Runtime's own int8 path, instead of the float model")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up runs each at batch 1 (default 3)")
    ap.add_argument("--target-s", type=float, default=10.0,
                    help="approximate seconds of timed rounds per model and configuration at "
                         "batch 1 (default 10)")
    ap.add_argument("--min-rounds", type=int, default=5, help="(default 5)")
    ap.add_argument("--max-rounds", type=int, default=50, help="(default 50)")
    ap.add_argument("--max-s", type=float, default=60.0,
                    help="cap on the timed rounds of one model, configuration and batch size in "
                         "seconds: a model too slow for --min-rounds gets fewer, never below 2 "
                         "(default 60)")
    ap.add_argument("--warmup-max-s", type=float, default=10.0,
                    help="warm-up stops early once it has taken this long; the untimed run "
                         "that dumps the batch-1 outputs counts (default 10)")
    ap.add_argument("--gap-ms", type=float, default=20.0,
                    help="idle pause after every run, not timed, so that threads a runtime leaves "
                         "spinning do not slow the other's next run (default 20; 0 = none)")
    ap.add_argument("--no-idle-wait", action="store_true",
                    help="after the pause, do not wait until the worker that just ran is idle "
                         "(its threads under 10%% of a core for 5 ms, at most 1 s)")
    ap.add_argument("--batch", type=int, default=8, help="throughput batch size (default 8; 1 = skip)")
    ap.add_argument("--batch-warmup", type=int, default=1, help="warm-up runs each at that batch (default 1)")
    ap.add_argument("--batch-target-s", type=float, default=10.0, help="(default 10)")
    ap.add_argument("--batch-min-rounds", type=int, default=3, help="(default 3)")
    ap.add_argument("--batch-max-run-s", type=float, default=60.0,
                    help="skip the batch measurement when one A+B pair would take longer, "
                         "estimated as batch x the batch-1 medians (default 60)")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite results.md and results.png from OUT/results.json, measure nothing")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 warm-up, 2 rounds, 1 round at the batch size")
    a = ap.parse_args()
    global GAP_S
    GAP_S = max(0.0, a.gap_ms) / 1000.0
    global IDLE_WAIT
    IDLE_WAIT = not a.no_idle_wait
    if a.quick:
        a.warmup, a.target_s, a.min_rounds, a.max_rounds = 1, 0.0, 2, 2
        a.batch_warmup, a.batch_target_s, a.batch_min_rounds = 0, 0.0, 1

    models = [m for m in a.models.split(",") if m]
    unknown = [m for m in models if m not in export_models.MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(export_models.MODELS)}")
    cache = os.path.abspath(a.cache or os.path.join(a.build, "e2e-models"))
    out = os.path.abspath(a.out or os.path.join(a.build, "bench"))
    kiln_bin = os.path.join(os.path.abspath(a.build), "bin")
    a.kiln_worker = os.path.join(kiln_bin, "kiln_bench_worker")
    for p in (cache, out):
        if any(c.isspace() for c in p):
            ap.error(f"paths with white space are not supported by the worker protocol: {p}")
    if a.report_only:
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        write_markdown(os.path.join(out, "results.md"), results)
        write_chart(os.path.join(out, "results.png"), results)
        log(f"bench: rewrote {out}/results.md and results.png")
        return 0
    for tool in ("kiln-compile", "kiln_bench_worker"):
        if not os.access(os.path.join(kiln_bin, tool), os.X_OK):
            sys.exit(f"bench: {os.path.join(kiln_bin, tool)} not found: build Kiln first "
                     f"(scripts/build.sh)")
    if shutil.which("node") is None:
        sys.exit("bench: node not found (scripts/install-deps.sh installs Node.js)")
    ort_pkg = os.path.join(BENCH, "node_modules", "onnxruntime-node", "package.json")
    if not os.path.isfile(ort_pkg):
        sys.exit("bench: onnxruntime-node is not installed: run `npm ci --ignore-scripts "
                 "--no-audit --no-fund` in bench/ (bench/run.sh does it)")
    with open(ort_pkg) as f:
        ort_version = json.load(f)["version"]
    ncores = len(os.sched_getaffinity(0))
    threads = []
    for t in a.threads.split(","):
        v = ncores if t == "all" else int(t)
        if v < 1:
            ap.error("thread counts must be >= 1")
        if v not in threads:
            threads.append(v)

    os.makedirs(out, exist_ok=True)
    work = os.path.join(out, "work")
    results = {"machine": machine_info(ort_version),
               "settings": {"kiln_flags": a.opt,
                            "ort_model": "QDQ model of kiln-compile --emit=qdq-onnx" if a.ort_qdq else "model.onnx",
                            "warmup": a.warmup, "target_s": a.target_s,
                            "min_rounds": a.min_rounds, "max_rounds": a.max_rounds,
                            "batch": a.batch, "batch_warmup": a.batch_warmup,
                            "batch_target_s": a.batch_target_s,
                            "batch_min_rounds": a.batch_min_rounds,
                            "batch_max_run_s": a.batch_max_run_s, "max_s": a.max_s, "gap_ms": a.gap_ms,
                            "idle_wait": not a.no_idle_wait,
                            "warmup_max_s": a.warmup_max_s, "ort_threads": threads,
                            "quick": a.quick, "batch_input_seed": B8_SEED,
                            "ort_session": {"intraOpNumThreads": "per configuration",
                                            "interOpNumThreads": 1,
                                            "graphOptimizationLevel": "all",
                                            "executionMode": "sequential",
                                            "executionProviders": ["cpu"]}},
               "loadavg_start": list(os.getloadavg()), "models": {}}
    t_start = time.time()
    ensure_exported(models, cache, ncores)

    def save():
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        write_markdown(os.path.join(out, "results.md"), results)

    for name in models:
        t_model = time.time()
        mdir = os.path.join(cache, name)
        r = results["models"][name] = {"description": export_models.MODELS[name].desc}
        log(f"bench: {name}")
        try:
            if not export_models.is_complete(mdir, name):
                raise RuntimeError(f"no complete export in {mdir}")
            lib, r["compile"] = compile_model(name, os.path.join(mdir, "model.onnx"), kiln_bin,
                                              os.path.join(out, "libs"), a.opt)
            ort_model = None
            if a.ort_qdq:
                ort_model, r["qdq_model"] = compile_model(name, os.path.join(mdir, "model.onnx"), kiln_bin,
                                                          os.path.join(out, "libs"),
                                                          a.opt + " --emit=qdq-onnx", f"{name}.qdq.onnx")
            b1 = write_inputs(name, mdir, os.path.join(work, "inputs", name, "b1"), 1)
            bn = write_inputs(name, mdir, os.path.join(work, "inputs", name, f"b{a.batch}"),
                              a.batch) if a.batch > 1 else None
            ref = torch_reference(name, mdir)
        except Exception as e:  # report and go on with the next model
            r["error"] = f"{type(e).__name__}: {e}"
            log(f"bench: {name}: FAILED: {r['error']}")
            save()
            continue
        r["inputs"] = {"batch1": [f[:3] for f in b1], "batchN": [f[:3] for f in bn] if bn else None}
        r["configs"] = []
        for t in threads:
            log(f"  ORT and Kiln on {t} thread(s)")
            c = bench_config(name, mdir, lib, t, a, work, b1, bn, ref, ort_model)
            r["configs"].append(c)
            if "error" in c:
                log(f"  FAILED: {c['error']}")
            else:
                b = c["batch1"]
                log(f"    batch 1: Kiln median {b['kiln']['median_ms']:.2f} ms, ORT median "
                    f"{b['ort']['median_ms']:.2f} ms, Kiln/ORT {b['ratio_median']:.2f}"
                    + (f"; batch {a.batch}: Kiln/ORT {c['batchN']['ratio_median']:.2f}"
                       if "ratio_median" in c.get("batchN", {}) else ""))
                d = c["diff"]["kiln_vs_ort"]
                log("    Kiln vs ORT: " + diff_cell(d))
            save()
        r["seconds"] = round(time.time() - t_model, 1)
    results["loadavg_end"] = list(os.getloadavg())
    results["seconds"] = round(time.time() - t_start, 1)
    save()
    try:
        write_chart(os.path.join(out, "results.png"), results)
    except ImportError as e:
        log(f"bench: no chart ({e}; scripts/install-deps.sh installs python3-matplotlib)")
    log(f"bench: wrote {out}/results.json, results.md, results.png "
        f"in {results['seconds']:.0f} s")
    failed = [n for n, r in results["models"].items()
              if "error" in r or any("error" in c for c in r.get("configs", []))]
    if failed:
        log(f"bench: FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
