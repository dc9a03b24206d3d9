#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// ort_profile.js - ONNX Runtime's per-node profile of a model, to compare
// with Kiln's (`kiln-run --profile-json`) node by node
// (bench/compare_profile.py; docs/benchmarks.md).
//
//   node bench/ort_profile.js MODEL.onnx THREADS RUNS PREFIX [BATCH]
//
// Runs the model RUNS times on random inputs (float32 inputs only; the first
// dynamic dim of each input is BATCH, default 1, as with kiln-run --batch;
// other dynamic dims are 1) with the session options of bench/ort_worker.js plus
// enableProfiling; ONNX Runtime writes the trace to PREFIX_<date>.json
// (its chrome-trace format: one `<node>_kernel_time` event per node and
// run, one `model_run` event per run).
'use strict';
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error(`cannot load onnxruntime-node (run npm ci --ignore-scripts in bench/): ${e.message.split('\n')[0]}`);
  process.exit(1);
}
(async () => {
  const [model, threadsS, runsS, prefix, batchS] = process.argv.slice(2);
  const threads = parseInt(threadsS, 10), runs = parseInt(runsS, 10);
  const batch = batchS === undefined ? 1 : parseInt(batchS, 10);
  if (!model || !(threads >= 1) || !(runs >= 1) || !prefix || !(batch >= 1)) {
    console.error('usage: ort_profile.js MODEL.onnx THREADS RUNS PREFIX [BATCH]');
    process.exit(2);
  }
  const s = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
    enableProfiling: true, profileFilePrefix: prefix,
  });
  const feeds = {};
  for (const name of s.inputNames) {
    const meta = (s.inputMetadata || []).find((m) => m.name === name);
    let first = true;
    const dims = meta && meta.shape ? meta.shape.map((d) => {
      if (typeof d === 'number' && d > 0) return d;
      const v = first ? batch : 1;
      first = false;
      return v;
    }) : null;
    if (!dims || (meta.type && meta.type !== 'float32')) {
      console.error(`input '${name}': only float32 inputs with a known rank are supported`);
      process.exit(1);
    }
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => Math.random() * 2 - 1), dims);
  }
  for (let i = 0; i < runs; i++) await s.run(feeds);
  if (typeof s.endProfiling === 'function') s.endProfiling();
  await s.release();
})().catch((e) => { console.error(e.message); process.exit(1); });
