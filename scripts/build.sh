#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Configures and builds Kiln into ./build (ninja, clang 22, ccache if present).
#   KILN_SANITIZE=address,undefined  sanitizer build, into ./build-asan
#   KILN_BUILD_DIR=dir               another build folder
#   KILN_JOBS=n                      parallel jobs (default: all cores)
set -eu
cd "$(dirname "$0")/.."
SANITIZE=${KILN_SANITIZE:-}
if [ -n "$SANITIZE" ]; then
  BUILD_DIR=${KILN_BUILD_DIR:-build-asan}
  OPT=-O1   # sanitized code: faster to build, clearer stack traces
else
  OPT=-O3
  BUILD_DIR=${KILN_BUILD_DIR:-build}
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DKILN_SANITIZE="$SANITIZE" \
    -DCMAKE_C_FLAGS_RELEASE="$OPT -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="$OPT -DNDEBUG" \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++
fi
cmake --build "$BUILD_DIR" -j "${KILN_JOBS:-$(nproc)}"
