#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Demo on a fresh machine: install, build, compile the sample Fashion-MNIST
# CNN (models/fashion_mnist_cnn.onnx, trained by scripts/train_fashion_mnist.py)
# with kiln-compile, then classify the 10,000 Fashion-MNIST test images through
# the Kiln C runtime and print accuracy and latency.  The predictions are
# compared with torch's (models/fashion_mnist_cnn.torch_predictions.bin).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
mkdir -p build/demo
./build/bin/kiln-compile models/fashion_mnist_cnn.onnx -O3 -o build/demo/libfashion_mnist_cnn.so
echo "demo: compiled models/fashion_mnist_cnn.onnx -> build/demo/libfashion_mnist_cnn.so"
./build/bin/fashion_mnist_classify build/demo/libfashion_mnist_cnn.so \
  --data /usr/share/datasets/fashion-mnist \
  --reference models/fashion_mnist_cnn.torch_predictions.bin "$@"
