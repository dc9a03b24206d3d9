#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs a model compiled by kiln-compile --target=c on Fashion-MNIST test
# images on a Cortex-M under QEMU and on the host (scripts/run_c_model.py):
#   scripts/run-cortex-m.sh MODEL.onnx [kiln-compile flags...] --images N [--machine mps2-an500]
exec /usr/bin/python3 "$(dirname "$0")/run_c_model.py" "$@"
