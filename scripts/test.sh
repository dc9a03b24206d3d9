#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The full test suite on a fresh machine: install, build, run every test
# (lit + FileCheck, ONNX conformance, runtime GoogleTests, real models).
#
#   ./scripts/test.sh                     lit, conformance, runtime tests and the
#                                         fast real-model subset (CTest label models-fast)
#   KILN_MODELS=full ./scripts/test.sh    ... and every real model (label models-full)
#   KILN_MODELS=0 ./scripts/test.sh       no real models
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
start=$(date +%s)
./scripts/build.sh
built=$(date +%s)
echo "test.sh: build took $((built - start)) s"
# Real models are exported from torch during the run (cached in
# build/e2e-models).  KILN_E2E_MODELS=0 is the older spelling of KILN_MODELS=0.
models=${KILN_MODELS:-${KILN_E2E_MODELS:-fast}}
export KILN_E2E_CACHE=${KILN_E2E_CACHE:-$(pwd)/build/e2e-models}
cd build
case "$models" in
  full) ctest --output-on-failure ;;
  0|none) ctest --output-on-failure -LE models ;;
  *) ctest --output-on-failure -LE models-full ;;
esac
echo "test.sh: tests took $(( $(date +%s) - built )) s"
if [ -d e2e ] && ls e2e/*.json >/dev/null 2>&1; then
  /usr/bin/python3 ../scripts/model_report.py e2e --markdown e2e/report.md
fi
