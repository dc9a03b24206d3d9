//===- CPUTarget.cpp - the CPU target: options, pipeline, artifact --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"
#include "kiln/Target/CPU/CPUTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>
#include <unistd.h>

using namespace mlir;

void kiln::cpu::initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

namespace {

/// " (did you mean 'x'?)" for the candidate closest to `word`, if close.
template <typename Range>
std::string suggestion(StringRef word, const Range &candidates) {
  StringRef best;
  unsigned bestDist = ~0u;
  for (const auto &kv : candidates) {
    StringRef c = kv.Key;
    unsigned d = word.edit_distance(c, /*AllowReplacements=*/true, /*MaxEditDistance=*/3);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  if (best.empty() || bestDist > std::max<size_t>(1, word.size() / 3))
    return "";
  return (" (did you mean '" + best + "'?)").str();
}

class CPUTarget final : public kiln::Target {
public:
  StringRef getName() const override { return "cpu"; }
  StringRef getDescription() const override {
    return "CPUs through LLVM (x86-64, AArch64, RISC-V, ...): a library and its C header";
  }

  llvm::Error validateOptions(kiln::TargetOptions &opts,
                              std::optional<kiln::ArtifactKind> kind) const override {
    if (kind == kiln::ArtifactKind::CSource)
      return llvm::createStringError("--emit=c writes C source, which the c target does "
                                     "(--target=c); the cpu target writes libraries and objects");
    kiln::cpu::initializeLLVMTargets();
    std::string given = opts.triple;
    llvm::Triple triple(given.empty() ? llvm::sys::getDefaultTargetTriple()
                                      : llvm::Triple::normalize(given));
    if (triple.getArch() == llvm::Triple::UnknownArch)
      return llvm::createStringError(
          "unknown target triple '" + given +
          "' (expected <arch>-<vendor>-<os>[-<environment>], e.g. x86_64-linux-gnu or "
          "aarch64-linux-gnu)");
    std::string err;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
    if (!target)
      return llvm::createStringError("unknown target triple '" + given + "': " + err);
    if (!target->hasTargetMachine())
      return llvm::createStringError("target '" + triple.str() + "' cannot generate code");
    std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, "", ""));
    if (!sti)
      return llvm::createStringError("target '" + triple.str() + "' has no subtarget information");
    if (!opts.cpu.empty() && opts.cpu != "native" && !sti->isCPUStringValid(opts.cpu))
      return llvm::createStringError(
          "unknown CPU '" + opts.cpu + "' for target " + triple.str() +
          suggestion(opts.cpu, sti->getAllProcessorDescriptions()));
    SmallVector<StringRef> features;
    StringRef(opts.features).split(features, ',', -1, /*KeepEmpty=*/false);
    for (StringRef f : features) {
      f = f.trim();
      if (f.empty())
        continue;
      if (f[0] != '+' && f[0] != '-')
        return llvm::createStringError("--mattr: feature '" + f.str() +
                                       "' must start with '+' (enable) or '-' (disable)");
      StringRef name = f.drop_front();
      if (!llvm::any_of(sti->getAllProcessorFeatures(),
                        [&](const llvm::SubtargetFeatureKV &kv) { return StringRef(kv.Key) == name; }))
        return llvm::createStringError(
            "unknown target feature '" + name.str() + "' in --mattr for target " +
            triple.str() + suggestion(name, sti->getAllProcessorFeatures()));
    }
    // The timers call clock_gettime(CLOCK_MONOTONIC) with the LP64 Linux
    // struct timespec.
    if (opts.profile && !(triple.isOSLinux() && triple.isArch64Bit()))
      return llvm::createStringError("--profile supports 64-bit Linux targets only (got '" +
                                     triple.str() + "')");
    // Shared libraries are linked with ld.lld, for ELF only.
    if (kind == kiln::ArtifactKind::SharedLib) {
      if (!triple.isOSBinFormatELF())
        return llvm::createStringError(
            "shared libraries are supported for ELF targets only; '" + triple.str() + "' uses " +
            (triple.isOSBinFormatMachO()  ? "Mach-O"
             : triple.isOSBinFormatCOFF() ? "COFF"
                                          : "another object format") +
            ": use --emit=obj, or -o <name>.a for a static archive");
      if (kiln::cpu::lldEmulation(triple).empty())
        return llvm::createStringError("cannot link a shared library for '" + triple.str() +
                                       "' (ld.lld has no emulation for it): use --emit=obj");
    }
    opts.triple = triple.str();
    return llvm::Error::success();
  }

  /// The host's L2 for --mcpu=native (glibc's sysconf, from CPUID); a
  /// named CPU's is not known.
  uint64_t l2CacheBytes(const kiln::TargetOptions &opts) const override {
    if (!opts.cpu.empty() && opts.cpu != "native")
      return 0;
#ifdef _SC_LEVEL2_CACHE_SIZE
    long n = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return n > 0 ? (uint64_t)n : 0;
#else
    return 0;
#endif
  }

  /// bf16 layers need AVX512_BF16 (vdpbf16ps): without it their products
  /// and casts would be scalar loops, slower than fp32.
  llvm::Error checkPrecision(llvm::StringRef precision, const kiln::TargetOptions &opts) const override {
    // The target as the user chose it, for the messages.
    auto target = [&] {
      return "--mcpu=" + (opts.cpu.empty() ? std::string("native") : opts.cpu) +
             (opts.features.empty() ? std::string() : " --mattr=" + opts.features);
    };
    if (precision == "bf16" && !kiln::cpu::targetHasFeatures(opts, "+avx512f,+avx512bw,+avx512bf16"))
      return llvm::createStringError("bf16 layers need a CPU with AVX512_BF16 (vdpbf16ps); " + target() +
                                     " has none (int8 and fp32 run there)");
    // The int8 depthwise kernel gathers its windows with vpermb (VBMI) and
    // sums them with vpdpbusd; its f32 fallback on int8 rows is slower
    // than the f32 kernel (test/Tools/quantize-depthwise.test).
    if (precision == "int8-depthwise" && !kiln::cpu::targetHasFeatures(opts, kiln::cpu::kInt8DepthwiseFeatures))
      return llvm::createStringError("int8 depthwise convolutions need a CPU with AVX-512 VNNI and VBMI; " +
                                     target() + " lacks them (depthwise layers stay f32 there)");
    return llvm::Error::success();
  }

  void buildLoweringPipeline(OpPassManager &pm,
                             const kiln::TargetOptions &opts) const override {
    kiln::cpu::buildCPULoweringPipeline(pm, opts);
  }

  LogicalResult writeArtifact(ModuleOp module, const kiln::TargetOptions &opts,
                              kiln::ArtifactKind kind, StringRef outputPath) const override {
    return kiln::cpu::writeCPUArtifact(module, opts, kind, outputPath);
  }

  void registerPasses() const override { kiln::cpu::registerCPUPassesAndPipeline(); }
};

} // namespace

std::unique_ptr<kiln::Target> kiln::cpu::createTarget() { return std::make_unique<CPUTarget>(); }
