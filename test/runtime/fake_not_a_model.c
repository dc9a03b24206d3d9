/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* A plain shared library without the Kiln ABI symbol. */
__attribute__((visibility("default"))) int fake_not_a_model(int x) {
  return x + 1;
}
