#!/bin/sh
# Installs everything Kiln needs to build and test, from Debian packages.
# Idempotent; needs root (or sudo) on a Debian bookworm machine.
set -eu
PKGS="cmake ninja-build ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 libomp-22-dev
  libonnx-dev libonnx-testdata protobuf-compiler libprotobuf-dev libgtest-dev zlib1g-dev
  python3-torch python3-torchvision python3-onnx python3-numpy dataset-fashion-mnist time"
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
