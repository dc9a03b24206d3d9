#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Installs everything Kiln needs to build and test, from Debian packages.
# Idempotent; needs root (or sudo) on a Debian bookworm machine.
set -eu
PKGS="cmake ninja-build ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 libomp-22-dev
  libclang-rt-22-dev libonnx-dev libonnx-testdata protobuf-compiler libprotobuf-dev libgtest-dev zlib1g-dev valgrind
  python3-torch python3-torchvision python3-onnx python3-numpy dataset-fashion-mnist time python3-matplotlib
  pkgconf gcc gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "install-deps: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The benchmark harness (bench/) runs ONNX Runtime through Node.js.  A
# machine that already has node and npm (say from NodeSource) keeps them;
# Debian's own packages are installed otherwise.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "install-deps: installing: nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
