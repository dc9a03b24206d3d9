#!/bin/sh
# Configures and builds Kiln into ./build (ninja, clang 22, ccache if present).
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${KILN_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++
fi
cmake --build "$BUILD_DIR" -j "${KILN_JOBS:-$(nproc)}"
