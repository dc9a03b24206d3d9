//===- CPUPasses.h - passes of the CPU target (internal) --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Declared in Passes.td (one pass per file; kiln-cpu-estimate-work shares
// Parallelize.cpp with kiln-cpu-parallelize); the generated create functions
// are kiln::cpu::createCPU<Name>().
//
//===----------------------------------------------------------------------===//
#ifndef KILN_LIB_TARGET_CPU_CPUPASSES_H
#define KILN_LIB_TARGET_CPU_CPUPASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include <memory>
#include <vector>

#include "mlir/IR/AsmState.h"
#include "mlir/IR/SymbolTable.h"

#include "kiln/Target/Target.h"
#include "llvm/TargetParser/Triple.h"

namespace kiln::cpu {

#define GEN_PASS_DECL
#include "Passes.h.inc"

/// Marks the tile loops over parallel dims that kiln-cpu-tile-and-vectorize
/// wants on threads (kiln-cpu-parallelize).
constexpr llvm::StringLiteral kParallelAttr = "kiln.parallel";
/// Marks a sequential batch loop (over images) whose marked loops may
/// still run on threads: kiln-cpu-parallelize makes bands of marked loops
/// inside it, where it would leave loops inside any other loop sequential.
constexpr llvm::StringLiteral kBatchLoopAttr = "kiln.batch_loop";
/// On a loop marked kParallelAttr whose op has dynamic extents and too
/// little static work to be sure of paying for threads: the threads are
/// used only when the product of the trip counts of the band's loops with
/// run-time bounds reaches this value (kiln-cpu-parallelize decides at run
/// time; ViT's softmax and transposes over batch x heads).
constexpr llvm::StringLiteral kParallelMinTripsAttr = "kiln.parallel_min_trips";

/// Marker of the linalg ops that compute a fused conv/matmul epilogue
/// (NNToLinalg: the accumulator init from the bias, and the residual add /
/// activation applied to the finished result).
constexpr llvm::StringLiteral kEpilogueAttr = "kiln.epilogue";
/// Ops with fewer iterations (iterationWork) stay on one thread: waking the
/// others costs more.
constexpr int64_t kMinParallelWork = int64_t(1) << 16;
/// A run with less work than this (kiln-cpu-estimate-work: iterations of
/// its linalg ops) runs on one thread, whatever the thread count asked.
/// Fashion-MNIST's CNN (1.18e6 per image) measured 0.030 / 0.044 ms on
/// 1 / 2 threads at batch 1, 0.061 / 0.065 at batch 2 and 0.108 / 0.092
/// at batch 4.
constexpr int64_t kMinParallelRunWork = int64_t(1) << 22;
/// The module attribute holding a run's work per batch item
/// (kiln-cpu-estimate-work).
constexpr llvm::StringLiteral kRunWorkAttr = "kiln.run_work";
/// The product of `op`'s static loop ranges, dynamic ranges counted as 1
/// (TileAndVectorize.cpp).
int64_t iterationWork(mlir::linalg::LinalgOp op);
/// Whether the result that `op` writes into `alloc` is read by nothing but
/// its epilogue: `init` (before `op`) and the post op `act` (after it, in
/// the same block), deallocations, uses before an `init` that overwrites
/// the whole buffer, and uses from the first op after `act` that
/// overwrites the whole buffer on (bufferization reuses dead buffers).
/// Then only `act`'s result needs storing (TileAndVectorize.cpp).
bool rawResultUnread(mlir::memref::AllocOp alloc, mlir::Operation *op, mlir::Operation *init, mlir::Operation *act);
/// The allocation a buffer value is a view of (through subview / reshape /
/// cast ops), or the value itself (TileAndVectorize.cpp).
mlir::Value bufferRoot(mlir::Value v);

/// Whether `op` writes every element of `buf` (an allocation) without
/// reading any: a fill, or an all-parallel linalg op whose only result is
/// `buf` with the identity map, whose payload does not use the old value
/// and which does not read `buf` as an input (TileAndVectorize.cpp).
bool overwritesAll(mlir::Operation *op, mlir::Value buf);

/// On a linalg.matmul: the constant global holding its right operand in
/// column panels [ceil(N / kMatmulPanelWidth)][K][kMatmulPanelWidth]
/// (kiln-cpu-pack-weights; read by the matmul micro-kernel).
constexpr llvm::StringLiteral kPackedRhsAttr = "kiln.packed_rhs";
/// Columns of one panel: the micro-kernel's register tile width (two
/// AVX-512 registers of f32).
constexpr int64_t kMatmulPanelWidth = 32;

/// On a linalg.conv_2d_nchw_fchw: the constant global holding its filter
/// [F, C, KH, KW] in output-channel panels
/// [ceil(F / kMatmulPanelWidth)][C * KH * KW][kMatmulPanelWidth]
/// (kiln-cpu-pack-weights; read by the packed convolution micro-kernel,
/// whose register tile is 32 output channels x up to kConvTilePixels
/// output pixels).
constexpr llvm::StringLiteral kPackedFilterAttr = "kiln.packed_filter";
constexpr int64_t kConvTilePixels = 14;
/// One image's input of a packed convolution up to this size is re-read
/// by every filter panel (panels outside the pixel loops; half of the 2 MB
/// L2 of the Intel Xeons this was measured on, all of a Zen 4's 1 MB L2).
constexpr int64_t kPanelsOuterInputBytes = 1024 * 1024;
/// 1x1 stride-1 packed convolutions with output rows at least this wide
/// use the pixel-vector micro-kernel (vectors along the pixels: no
/// transposes).
constexpr int64_t kFlatConvMinWidth = 28;
/// Whether `conv` (buffers) is computed by the packed convolution
/// micro-kernel (its filter is then packed): f32, every size static but
/// the batch, and a shape the row micro-kernel computes slower
/// (TileAndVectorize.cpp).
bool usePackedConvKernel(mlir::linalg::Conv2DNchwFchwOp conv);

/// Whether the body of an element-wise linalg.generic is arith/math ops on
/// scalars only (TileAndVectorize.cpp), which vectorizeElementwiseBody
/// computes on vectors.
bool isVectorizableElementwiseBody(mlir::Block *body);
/// The body's yielded value computed on `args` (vectors of `lanes`, one
/// per leading block argument), ops cloned at the builder's insertion
/// point; scalars defined outside the body are broadcast.
mlir::Value vectorizeElementwiseBody(mlir::OpBuilder &b, mlir::Location loc, mlir::Block *body,
                                     llvm::ArrayRef<mlir::Value> args, int64_t lanes);

/// The value a fill of `buf` writes, or null: a `linalg.fill` of `buf`, or
/// a `linalg.map` with no inputs into `buf` whose body yields one value
/// (which may be defined inside the body: callers that use it outside
/// check; PadBorders.cpp).
mlir::Value fillYield(mlir::Operation *op, mlir::Value buf);
/// Whether `g` broadcasts its one f32 input over dim 1 of its one 4-D
/// output (maps (d1) and the identity, the body yields the input): the
/// bias init of a convolution (TileAndVectorize.cpp).
bool isChannelBroadcast(mlir::linalg::GenericOp g);
/// The output pixels of one register tile of the packed convolution
/// kernel for an OH x OW output: `gw` columns of `gh` rows
/// (TileAndVectorize.cpp).
void packedConvPixels(int64_t OH, int64_t OW, int64_t &gh, int64_t &gw);

/// Constant weights (PackWeights.cpp), shared with kiln-cpu-winograd.
/// The raw little-endian data of constant global `g`'s initial value (`n`
/// elements of `elementType`; a splat is expanded into `storage`), or an
/// empty ArrayRef (another element type, an unreadable value).
llvm::ArrayRef<char> rawConstantData(mlir::memref::GlobalOp g, mlir::Type elementType, int64_t n,
                                     std::vector<char> &storage);
/// The constant, defined global that `get` reads, with `get`'s type.
mlir::memref::GlobalOp constantGlobal(mlir::memref::GetGlobalOp get, mlir::SymbolTable &symbols);
/// A zero-filled blob for P x K x W floats (64-byte aligned).
mlir::AsmResourceBlob zeroedPanels(int64_t P, int64_t K, int64_t W);
/// A new private constant global `name` (renamed if taken) of type `type`
/// holding `blob`, right after `after`.
mlir::FlatSymbolRefAttr addConstantGlobal(mlir::memref::GlobalOp after, llvm::StringRef name, mlir::MemRefType type,
                                          mlir::AsmResourceBlob blob, mlir::SymbolTable &symbols);
/// addConstantGlobal of f32 [P][K][W] panels.
mlir::FlatSymbolRefAttr addPanelsGlobal(mlir::memref::GlobalOp after, llvm::StringRef name, int64_t P, int64_t K,
                                        int64_t W, mlir::AsmResourceBlob blob, mlir::SymbolTable &symbols);

/// The constant, defined global with a static identity type of element
/// type `et` that `v` reads (memref.get_global), or null; `type` gets its
/// type (the int8 and int4 kernels' weights, Int8Matmul.cpp).
mlir::memref::GlobalOp constantGlobalOf(mlir::Value v, mlir::Type et, mlir::SymbolTable &symbols,
                                        mlir::MemRefType &type);
/// Whether `t` is a memref of `et` of rank `r` whose last dim is
/// unit-stride (`identity`: its layout is the identity) (Int8Matmul.cpp).
bool isOperand(mlir::Type t, mlir::Type et, int64_t r, bool identity);

/// An scf.for over [lo, hi) step `step` at `b`'s insertion point whose
/// body `body(iv)` builds (the int8 and int4 kernels' loops, Int8Matmul.cpp).
mlir::scf::ForOp buildForLoop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lo, mlir::Value hi, int64_t step,
                              llvm::function_ref<void(mlir::Value)> body);

/// The CPU name and feature string LLVM gets for `opts` on `triple`:
/// "native" (or none) is the host's CPU and features (plus `--mattr`) when
/// the triple has the host's architecture, else "generic" (CPUPipeline.cpp).
void resolveCPU(const kiln::TargetOptions &opts, const llvm::Triple &triple, std::string &cpu,
                std::string &features);
/// Whether the code is generated for an x86-64 CPU with AVX-512.
bool targetHasAVX512(const kiln::TargetOptions &opts);
/// Whether the CPU of `opts` (x86-64 only) has all of `features`
/// ("+avx512f,+avx512vnni", LLVM's names).
bool targetHasFeatures(const kiln::TargetOptions &opts, llvm::StringRef features);

/// The features of the int8 depthwise kernel (vpermb, vpdpbusd): the CPU
/// target's "int8-depthwise" precision and kiln-cpu-tile-and-vectorize's
/// int8-depthwise option.
inline constexpr llvm::StringLiteral kInt8DepthwiseFeatures = "+avx512f,+avx512bw,+avx512vnni,+avx512vbmi";

/// linalg on tensors -> LLVM dialect (CPUPipeline.cpp).
void buildCPULoweringPipeline(mlir::OpPassManager &pm, const kiln::TargetOptions &opts);

/// The bufferization steps of the cpu pipeline (also the c target's):
/// scf.forall blocks in place, one-shot bufferization with identity layouts
/// at the function boundary, scf.forall as scf.for (marked for threads if
/// `markParallel`), the buffer deallocation pipeline.
void addCPUBufferization(mlir::OpPassManager &pm, bool markParallel);
/// Registers the passes above and the `kiln-cpu-lowering` pipeline.
void registerCPUPassesAndPipeline();
/// LLVM dialect -> LLVM IR (plus the ABI entry) -> artifact (CPUArtifact.cpp).
mlir::LogicalResult writeCPUArtifact(mlir::ModuleOp module, const kiln::TargetOptions &opts,
                                     kiln::ArtifactKind kind, llvm::StringRef outputPath);
/// ld.lld's emulation (-m) for an ELF triple, or "" if lld has none.
llvm::StringRef lldEmulation(const llvm::Triple &t);
/// Initializes LLVM's targets, MC layers and printers (once).
void initializeLLVMTargets();
} // namespace kiln::cpu

#endif
