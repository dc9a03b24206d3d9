#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// ort_worker.js - the ONNX Runtime side of the benchmark harness
// (bench/bench.py).  Speaks the line protocol of bench/kiln_worker.c on
// stdin/stdout; every command is answered by one line, "ok ..." or
// "err MESSAGE":
//
//   rss                          -> ok VMHWM_KB VMRSS_KB   (/proc/self/status)
//   load MODEL.onnx THREADS      -> ok ORT_VERSION   InferenceSession with
//                                   intraOpNumThreads THREADS, interOpNumThreads 1,
//                                   graphOptimizationLevel 'all', sequential,
//                                   CPU execution provider
//   input NAME DTYPE DIMS FILE   -> ok     sets an input from a raw file
//   run N                        -> ok T1 ... TN   N runs, each timed in ns
//                                   around `await session.run(feeds)` only
//   dump DIR                     -> ok T NAME:DTYPE:DIMS ...  one more run (T ns);
//                                   its outputs are written to DIR/output_K.bin
//   quit                         -> (exits)
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  process.stdout.write(`err cannot load onnxruntime-node (run npm install --ignore-scripts in bench/): ${e.message.split('\n')[0]}\n`);
  process.exit(1);
}

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array,
  int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array,
  uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
};

let session = null;
const feeds = {};

function reply(s) { process.stdout.write(s + '\n'); }

function rss() {
  const st = fs.readFileSync('/proc/self/status', 'utf8');
  const get = (k) => { const m = st.match(new RegExp('^' + k + ':\\s+(\\d+)', 'm')); return m ? m[1] : '-1'; };
  return `ok ${get('VmHWM')} ${get('VmRSS')}`;
}

async function load(args) {
  if (session) return 'err a model is already loaded';
  if (args.length !== 2) return 'err usage: load MODEL.onnx THREADS';
  const threads = parseInt(args[1], 10);
  if (!(threads >= 1)) return `err bad thread count '${args[1]}'`;
  session = await ort.InferenceSession.create(args[0], {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  return `ok ${ort.env.versions.node || ort.env.versions.common}`;
}

function input(args) {
  if (!session) return 'err no model loaded';
  if (args.length !== 4) return 'err usage: input NAME DTYPE DIMS FILE';
  const [name, dtype, dimsS, file] = args;
  if (!session.inputNames.includes(name)) return `err the model has no input '${name}'`;
  const Arr = ARRAYS[dtype];
  if (!Arr) return `err unknown dtype '${dtype}'`;
  const dims = dimsS.split('x').map((d) => parseInt(d, 10));
  if (dims.some((d) => !(d >= 0))) return `err bad dims '${dimsS}'`;
  const count = dims.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(file);
  if (buf.length !== count * Arr.BYTES_PER_ELEMENT)
    return `err ${file} does not hold exactly ${count * Arr.BYTES_PER_ELEMENT} bytes`;
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  feeds[name] = new ort.Tensor(dtype, new Arr(ab), dims);
  return 'ok';
}

function ready() {
  if (!session) return 'err no model loaded';
  for (const n of session.inputNames) if (!(n in feeds)) return `err input '${n}' not set`;
  return null;
}

async function run(args) {
  const n = parseInt(args[0], 10);
  if (!(n >= 1 && n <= 100000)) return 'err usage: run N (1 <= N <= 100000)';
  const bad = ready();
  if (bad) return bad;
  const times = [];
  for (let i = 0; i < n; ++i) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    const t1 = process.hrtime.bigint();
    times.push((t1 - t0).toString());
    for (const k of Object.keys(out)) if (out[k].dispose) out[k].dispose();
  }
  return 'ok ' + times.join(' ');
}

async function dump(args) {
  if (args.length !== 1) return 'err usage: dump DIR';
  const bad = ready();
  if (bad) return bad;
  const t0 = process.hrtime.bigint();
  const out = await session.run(feeds);
  const desc = [(process.hrtime.bigint() - t0).toString()];
  session.outputNames.forEach((name, i) => {
    const t = out[name];
    const d = t.data;
    const bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    fs.writeFileSync(path.join(args[0], `output_${i}.bin`), bytes);
    desc.push(`${name}:${t.type}:${t.dims.length ? t.dims.join('x') : 'scalar'}`);
  });
  return 'ok ' + desc.join(' ');
}

async function main() {
  reply('ok ort_worker');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    const [cmd, ...args] = line.split(/ +/);
    if (cmd === 'quit') break;
    let r;
    try {
      if (cmd === 'rss') r = rss();
      else if (cmd === 'load') r = await load(args);
      else if (cmd === 'input') r = input(args);
      else if (cmd === 'run') r = await run(args);
      else if (cmd === 'dump') r = await dump(args);
      else r = `err unknown command '${cmd}'`;
    } catch (e) {
      r = 'err ' + String(e && e.message ? e.message : e).replace(/\s+/g, ' ');
    }
    reply(r);
  }
  if (session) await session.release();
  process.exit(0);
}

main();
