#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Kiln vs ONNX Runtime benchmark, in one command (docs/benchmarks.md):
# installs what is missing (scripts/install-deps.sh; onnxruntime-node from
# bench/package-lock.json, install scripts disabled), builds Kiln, exports the
# models into build/e2e-models, compiles them with kiln-compile -O3 and writes
# build/bench/results.{json,md,png}.  Arguments go to bench/bench.py, e.g.
#   ./bench/run.sh --models resnet50,bert_encoder
#   ./bench/run.sh --quick --models squeezenet1_1
# With --kernels first, the kernel benchmark instead (bench/kernels.py: every
# Conv/MatMul/Gemm as a single-operator model, GFLOP/s and % of the measured
# peak, ONNX Runtime in the same run), e.g.
#   ./bench/run.sh --kernels --models resnet50
# With --attention first, the attention benchmark (bench/attention.py: one
# attention layer at several sequence lengths, causal and not, against ONNX
# Runtime's unfused graph and its com.microsoft.MultiHeadAttention), e.g.
#   ./bench/run.sh --attention --seqs 512,2048,8192
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
# onnxruntime-node ships prebuilt CPU libraries (bin/napi-v*/linux/x64); its
# install script would download more (CUDA) and must not run.
if [ ! -f bench/node_modules/onnxruntime-node/package.json ] ||
   [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --ignore-scripts --no-audit --no-fund)
fi
if [ "${1:-}" = "--kernels" ]; then
  shift
  exec /usr/bin/python3 bench/kernels.py "$@"
fi
if [ "${1:-}" = "--attention" ]; then
  shift
  exec /usr/bin/python3 bench/attention.py "$@"
fi
exec /usr/bin/python3 bench/bench.py "$@"
