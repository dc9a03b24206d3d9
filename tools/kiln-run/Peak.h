//===- Peak.h - the machine's measured fp32 FMA peak -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-run --peak and the "% peak" column of kiln-run --profile: the fp32
// multiply-add throughput of one core, measured (never assumed) by a loop of
// independent FMAs on the widest vectors the CPU has.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUN_PEAK_H
#define KILN_RUN_PEAK_H

#include <vector>

namespace kiln::run {

struct Peak {
  double gflops = 0;       // best rate over the measurement, GFLOP/s (2 per FMA)
  const char *isa = "";    // "AVX-512", "AVX2+FMA", "SSE2 (mul+add)", "generic"
  int lanes = 0;           // fp32 lanes per vector
  double seconds = 0;      // time the measurement took
};

/// Measures for about `seconds` on the calling thread.
Peak measurePeak(double seconds);

/// One core's peak of a low-precision dot-product instruction the CPU has
/// (the ones Kiln's quantized kernels use): AVX-512 VNNI `vpdpbusd` (int8:
/// 64 u8 x s8 multiply-adds per instruction) and AVX512_BF16 `vdpbf16ps`
/// (bf16: 32 per instruction), measured like measurePeak.
struct DotPeak {
  const char *precision = ""; // "int8", "bf16"
  const char *instruction = "";
  double gops = 0;            // GOP/s (2 per multiply-add)
};
std::vector<DotPeak> measureDotPeaks(double seconds);

} // namespace kiln::run

#endif
