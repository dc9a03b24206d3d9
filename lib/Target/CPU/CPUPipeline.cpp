//===- CPUPipeline.cpp - linalg on tensors -> LLVM dialect -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The CPU target's lowering pipeline: Kiln's CPU passes (Passes.td, one per
// file) between upstream bufferization and conversion passes.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Target/Target.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace kiln::cpu {
#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

void kiln::cpu::resolveCPU(const kiln::TargetOptions &opts, const llvm::Triple &triple, std::string &cpu,
                           std::string &features) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  bool sameArch = host.getArch() == triple.getArch();
  cpu = opts.cpu;
  features = opts.features;
  if (cpu.empty() || cpu == "native") {
    cpu = sameArch ? llvm::sys::getHostCPUName().str() : "generic";
    if (sameArch) {
      SmallVector<std::string> fs;
      for (auto &kv : llvm::sys::getHostCPUFeatures())
        fs.push_back((kv.second ? "+" : "-") + kv.first().str());
      if (!features.empty())
        fs.push_back(features);
      features = llvm::join(fs, ",");
    }
  }
}

bool kiln::cpu::targetHasAVX512(const kiln::TargetOptions &opts) { return targetHasFeatures(opts, "+avx512f"); }

bool kiln::cpu::targetHasFeatures(const kiln::TargetOptions &opts, llvm::StringRef featureList) {
  llvm::Triple triple(opts.triple.empty() ? llvm::sys::getProcessTriple() : opts.triple);
  if (triple.getArch() != llvm::Triple::x86_64)
    return false;
  std::string cpu, features;
  resolveCPU(opts, triple, cpu, features);
  kiln::cpu::initializeLLVMTargets();
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, cpu, features));
  return sti && sti->checkFeatures(featureList);
}

void kiln::cpu::addCPUBufferization(OpPassManager &pm, bool markParallel) {
  // Bufferization: identity layouts at the function boundary.
  bufferization::OneShotBufferizePassOptions bo;
  bo.bufferizeFunctionBoundaries = true;
  bo.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  bo.unknownTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops of ONNX Loop / Scan yield fresh tensors (e.g. grown scan outputs).
  bo.allowReturnAllocsFromLoops = true;
  // The blocks of scf.forall loops (nn.attention's output blocks) are
  // computed in the destination's slice, not in a buffer copied there.
  pm.addNestedPass<func::FuncOp>(createCPUForallInPlace());
  pm.addPass(bufferization::createOneShotBufferizePass(bo));
  pm.addPass(createCanonicalizerPass());
  // Parallel loops of the lowerings (scf.forall) as loops, marked for the
  // run's threads if `markParallel`.
  CPUForallToForOptions fo;
  fo.mark = markParallel;
  pm.addNestedPass<func::FuncOp>(createCPUForallToFor(fo));
  bufferization::BufferDeallocationPipelineOptions dopts;
  bufferization::buildBufferDeallocationPipeline(pm, dopts);
}

void kiln::cpu::buildCPULoweringPipeline(OpPassManager &pm, const kiln::TargetOptions &opts) {
  pm.addPass(createCPUPrepareEntry());
  // Tensor level.
  pm.addPass(createCPUFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // After fusion: the guards of `stop` checks split the function into
  // regions, and fusion does not reach across them (BERT's projections
  // lost their fused reshapes and ran 2.5 times slower).
  pm.addPass(createCPULowerRuntimeChecks());
  addCPUBufferization(pm, /*markParallel=*/opts.optLevel > 0 && opts.parallel);
  // Tiling and vectorization run on buffers: one-shot bufferization of
  // tiled tensor IR is much slower (minutes for ResNet-18).
  if (opts.optLevel > 0) {
    bool avx512 = kiln::cpu::targetHasAVX512(opts);
    // Winograd's products run on the packed convolution kernel: `auto`
    // only where it is the AVX-512 one, and from -O2.
    CPUWinogradOptions wo;
    wo.mode = opts.winograd;
    if (wo.mode == "auto" && (!avx512 || opts.optLevel < 2))
      wo.mode = "off";
    if (wo.mode != "off")
      pm.addPass(createCPUWinograd(wo));
    // (After Winograd, which reads some pads' sources directly.)
    pm.addNestedPass<func::FuncOp>(createCPUPadBorders());
    // Grouped convolutions onto the convolution micro-kernels, group by
    // group (before their filters are packed).
    pm.addNestedPass<func::FuncOp>(createCPUSplitGroups());
    // Constant matmul operands in the micro-kernel's column panels.
    CPUPackWeightsOptions po;
    po.packConvs = avx512;
    pm.addPass(createCPUPackWeights(po));
    // Products whose constant weights are mostly exact zeros (pruned in
    // training, or kiln-compile --sparsity) on the sparse x dense kernel.
    CPUSparseMatmulOptions so;
    so.lanes = avx512 ? 16 : kiln::cpu::targetHasFeatures(opts, "+avx2,+fma") ? 8 : 0;
    if (opts.optLevel >= 2 && so.lanes && opts.sparseKernel != "off")
      pm.addPass(createCPUSparseMatmul(so));
    // Copies from strided views into fresh buffers as linalg.copy, so that
    // tiling vectorizes and threads them.
    CPUStridedCopyToLinalgOptions co;
    co.intoIdentityOnly = true;
    pm.addNestedPass<func::FuncOp>(createCPUStridedCopyToLinalg(co));
    // A run's work per batch item (small runs stay on one thread).
    pm.addPass(createCPUEstimateWork());
    // int8 products (nn.qmatmul, nn.qconv) on the VNNI micro-kernel, or its
    // AVX2 form;
    // bf16 products (kiln-nn-quantize's bf16 layers) on its vdpbf16ps form.
    CPUInt8MatmulOptions io;
    io.vnni = kiln::cpu::targetHasFeatures(opts, "+avx512f,+avx512bw,+avx512vnni");
    io.int8 = io.vnni || kiln::cpu::targetHasFeatures(opts, "+avx2");
    io.bf16 = kiln::cpu::targetHasFeatures(opts, "+avx512f,+avx512bw,+avx512bf16");
    if (io.int8 || io.bf16)
      pm.addPass(createCPUInt8Matmul(io));
    // int4-weight products (nn.int4_matmul) on their kernel: 16 lanes with
    // AVX-512, 8 with AVX2 (other CPUs keep the generic's loops).
    CPUInt4MatmulOptions i4;
    i4.lanes = avx512 ? 16 : kiln::cpu::targetHasFeatures(opts, "+avx2,+fma") ? 8 : 0;
    i4.vnni = io.vnni;
    if (i4.lanes)
      pm.addPass(createCPUInt4Matmul(i4));
    CPUTileAndVectorizeOptions tv;
    tv.int8Depthwise = kiln::cpu::targetHasFeatures(opts, kiln::cpu::kInt8DepthwiseFeatures);
    // The packed matmul kernel's register tile: 8 rows x 32 columns take 16
    // of AVX-512's 32 registers; with AVX2's 16 registers of 8 lanes, 8 rows
    // are 32 accumulators and LLVM spills: 2 rows (8 accumulators).  One
    // thread on an AMD EPYC (Zen 3, AVX2), 128 rows, kiln-run medians of
    // three alternating rounds, 8 / 3 / 2 rows: 768 x 768 6.3 / 2.8 / 2.2 ms,
    // 768 x 3072 27.0 / 11.6 / 11.7 ms, 3072 x 768 23.6 / 12.0 / 12.5 ms;
    // the BERT encoder 904-1041 -> 398-473 (3 rows) and 361-426 ms (2).
    tv.matmulRows = avx512 ? 8 : 2;
    pm.addNestedPass<func::FuncOp>(createCPUTileAndVectorize(tv));
    pm.addPass(createCSEPass());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createCPUFreshEntryResults());
  // One arena for the run's intermediate buffers (lib/Target/Common).
  pm.addPass(kiln::createPlanMemoryPass());
  if (opts.profile)
    pm.addPass(createCPUInstrumentProfile());
  // Loops and vectors.
  pm.addNestedPass<func::FuncOp>(createCPUStridedCopyToLinalg());
  // One function per kernel: LLVM's cost grows faster than a function's
  // size, and the function passes below run on the kernels in parallel.
  pm.addPass(createCPUOutlineKernels());
  // Threads for the marked tile loops (host architecture and OS only).
  if (opts.optLevel > 0 && opts.parallel) {
    llvm::Triple host(llvm::sys::getProcessTriple()), target(opts.triple.empty() ? host.str() : opts.triple);
    if (host.getArch() == target.getArch() && host.getOS() == target.getOS() &&
        host.getEnvironment() == target.getEnvironment())
      pm.addPass(createCPUParallelize());
  }
  // Weights as 1-d globals (module-wide; before the per-function passes).
  pm.addPass(createCPUFlattenConstantGlobals());
  // From here to the conversion to the LLVM dialect every pass works on one
  // function at a time: they run as one pipeline per kernel, on the
  // compile's threads (kiln-compile -j).
  {
    OpPassManager &fpm = pm.nest<func::FuncOp>();
    fpm.addPass(createConvertLinalgToLoopsPass());
    if (opts.optLevel > 0)
      fpm.addPass(createCPULowerVectors());
    fpm.addPass(createCPUMultiDynamicExpandShape());
    fpm.addPass(memref::createExpandStridedMetadataPass());
    fpm.addPass(createLowerAffinePass());
    fpm.addPass(createSCFToControlFlowPass());
    // (Without AVX512_BF16, bf16 casts as integer operations.)
    CPUMathApproximationOptions mao;
    mao.expandBF16 = !kiln::cpu::targetHasFeatures(opts, "+avx512bf16");
    fpm.addPass(createCPUMathApproximation(mao));
    // Math ops with an LLVM intrinsic (fma, floor, sqrt, ...: the polynomial
    // approximations emit fma and floor on vectors) become intrinsics that
    // the back end turns into vector instructions; math-to-libm would
    // scalarize them into one libm call per vector lane (EfficientNet's
    // SiLU spent 44% of the model's time in fmaf/floorf calls).  log1p
    // keeps libm's accurate log1pf instead of LLVM's log(1 + x).
    ConvertMathToLLVMPassOptions mo;
    mo.approximateLog1p = false;
    fpm.addPass(createConvertMathToLLVMPass(mo));
  }
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addNestedPass<LLVM::LLVMFuncOp>(createCanonicalizerPass());
}

namespace {
struct CPULoweringPipelineOptions : PassPipelineOptions<CPULoweringPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0: plain loops; 1-3: tile + vectorize"),
                            llvm::cl::init(2)};
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("run the marked tile loops on OpenMP threads"),
                        llvm::cl::init(true)};
  Option<std::string> winograd{*this, "winograd",
                               llvm::cl::desc("Winograd for 3x3 convolutions: auto, f4, f2 or off"),
                               llvm::cl::init("auto")};
  Option<bool> profile{*this, "profile",
                       llvm::cl::desc("time each ONNX node (kiln-compile --profile)"),
                       llvm::cl::init(false)};
};
} // namespace

void kiln::cpu::registerCPUPassesAndPipeline() {
  registerKilnCPUPasses();
  PassPipelineRegistration<CPULoweringPipelineOptions>(
      "kiln-cpu-lowering",
      "linalg on tensors -> LLVM dialect for CPUs (kiln-cpu-lowering{opt-level=0..3}, default 2)",
      [](OpPassManager &pm, const CPULoweringPipelineOptions &o) {
        kiln::TargetOptions opts;
        opts.optLevel = o.optLevel;
        opts.profile = o.profile;
        opts.parallel = o.parallel;
        opts.winograd = o.winograd;
        buildCPULoweringPipeline(pm, opts);
      });
}
