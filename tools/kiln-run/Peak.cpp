//===- Peak.cpp - the machine's measured fp32 FMA peak ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Sixteen (AVX2: twelve) independent accumulators (more than FMA latency x
// ports on current x86 cores: 4 x 2) updated by FMA in a loop, on the widest vector unit the
// CPU reports (cpuid, through __builtin_cpu_supports); batches of 2^20
// iterations timed with the monotonic clock, the best batch rate kept.  The
// frequency the vector unit actually runs at (AVX-512 licence, turbo) is
// part of the figure, as it is for the model's kernels.
//
//===----------------------------------------------------------------------===//

#include "Peak.h"

#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

#define KILN_REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define KILN_REP16(X) KILN_REP12(X) X(12) X(13) X(14) X(15)

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float loop512(long iters) {
#define DECL(i) __m512 a##i = _mm512_set1_ps(0.001f * (i + 1));
  KILN_REP16(DECL)
#undef DECL
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (long n = 0; n < iters; ++n) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
    KILN_REP16(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
  KILN_REP16(SUM)
#undef SUM
  return _mm512_reduce_add_ps(s);
}

// Twelve accumulators with AVX2: with sixteen, the two constants made 18
// live ymm registers of 16, and the spills halved the rate (AMD EPYC Zen 3:
// 49 against 77 GFLOP/s).
__attribute__((target("avx2,fma"))) float loop256(long iters) {
#define DECL(i) __m256 a##i = _mm256_set1_ps(0.001f * (i + 1));
  KILN_REP12(DECL)
#undef DECL
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (long n = 0; n < iters; ++n) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, c);
    KILN_REP12(STEP)
#undef STEP
  }
  alignas(32) float out[8];
  __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
  KILN_REP12(SUM)
#undef SUM
  _mm256_store_ps(out, s);
  return out[0] + out[7];
}

// vpdpbusd: each of the 16 i32 lanes adds four u8 x s8 products.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) float loopVnni(long iters) {
#define DECL(i) __m512i a##i = _mm512_set1_epi32(i);
  KILN_REP16(DECL)
#undef DECL
  const __m512i x = _mm512_set1_epi8(1), w = _mm512_set1_epi8(-1);
  for (long n = 0; n < iters; ++n) {
#define STEP(i) a##i = _mm512_dpbusd_epi32(a##i, x, w);
    KILN_REP16(STEP)
#undef STEP
  }
  __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, a##i);
  KILN_REP16(SUM)
#undef SUM
  return float(_mm512_reduce_add_epi32(s));
}

// vdpbf16ps: each of the 16 f32 lanes adds two bf16 x bf16 products.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) float loopBf16(long iters) {
#define DECL(i) __m512 a##i = _mm512_set1_ps(0.001f * (i + 1));
  KILN_REP16(DECL)
#undef DECL
  const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), w = (__m512bh)_mm512_set1_epi32(0x33d633d6);
  for (long n = 0; n < iters; ++n) {
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, x, w);
    KILN_REP16(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
  KILN_REP16(SUM)
#undef SUM
  return _mm512_reduce_add_ps(s);
}
#endif

/// The best rate of `loop` (`opsPerIter` operations per iteration) over
/// batches of 2^20 iterations for about `seconds`; the time taken.
double bestRate(float (*loop)(long), double opsPerIter, double seconds, double &taken) {
  const long iters = 1L << 20;
  const double opsPerBatch = opsPerIter * static_cast<double>(iters);
  volatile float sink = 0;
  const auto start = Clock::now();
  double best = 0;
  do {
    const auto t0 = Clock::now();
    sink = sink + loop(iters);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s > 0 && opsPerBatch / s > best)
      best = opsPerBatch / s;
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  taken = std::chrono::duration<double>(Clock::now() - start).count();
  return best;
}

// Without FMA: a multiply and an add per lane (2 FLOPs, two instructions).
float loopGeneric(long iters) {
  typedef float v4 __attribute__((vector_size(16)));
#define DECL(i) v4 a##i = (v4){0.001f * (i + 1), 0.001f * (i + 1), 0.001f * (i + 1), 0.001f * (i + 1)};
  KILN_REP16(DECL)
#undef DECL
  const v4 m = {0.9999999f, 0.9999999f, 0.9999999f, 0.9999999f};
  const v4 c = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  for (long n = 0; n < iters; ++n) {
#define STEP(i) a##i = a##i * m + c;
    KILN_REP16(STEP)
#undef STEP
  }
  v4 s = {0, 0, 0, 0};
#define SUM(i) s += a##i;
  KILN_REP16(SUM)
#undef SUM
  return s[0] + s[3];
}

} // namespace

kiln::run::Peak kiln::run::measurePeak(double seconds) {
  Peak p;
  float (*loop)(long) = loopGeneric;
  p.lanes = 4;
  int accumulators = 16;
#if defined(__x86_64__)
  p.isa = "SSE2 (mul+add)";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    loop = loop512, p.lanes = 16, p.isa = "AVX-512";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    loop = loop256, p.lanes = 8, p.isa = "AVX2+FMA", accumulators = 12;
  }
#else
  p.isa = "generic (mul+add)";
#endif
  const double best = bestRate(loop, 2.0 * accumulators * p.lanes, seconds, p.seconds);
  p.gflops = best / 1e9;
  return p;
}

std::vector<kiln::run::DotPeak> kiln::run::measureDotPeaks(double seconds) {
  std::vector<DotPeak> peaks;
#if defined(__x86_64__)
  __builtin_cpu_init();
  double taken = 0;
  bool bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  // 16 instructions per iteration, 16 lanes each: 4 (int8) or 2 (bf16)
  // multiply-adds per lane.
  if (bw && __builtin_cpu_supports("avx512vnni"))
    peaks.push_back({"int8", "vpdpbusd", bestRate(loopVnni, 2.0 * 16 * 16 * 4, seconds, taken) / 1e9});
  if (bw && __builtin_cpu_supports("avx512bf16"))
    peaks.push_back({"bf16", "vdpbf16ps", bestRate(loopBf16, 2.0 * 16 * 16 * 2, seconds, taken) / 1e9});
#else
  (void)seconds;
#endif
  return peaks;
}
