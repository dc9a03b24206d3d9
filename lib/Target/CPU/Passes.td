//===- Passes.td - passes of the CPU target ----------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// One pass per file in lib/Target/CPU.  buildCPULoweringPipeline
// (CPUPipeline.cpp) runs them, with upstream passes, from linalg on tensors
// to the LLVM dialect (docs/targets.md lists the order); each is also usable
// alone from kiln-opt.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_CPU_PASSES
#define KILN_TARGET_CPU_PASSES

include "mlir/Pass/PassBase.td"

def CPUPrepareEntry : Pass<"kiln-cpu-prepare-entry", "mlir::ModuleOp"> {
  let summary = "Record the entry function's ABI and request its C interface";
  let description = [{
    Finds the single `func.func` marked `kiln.entry`, records its ABI (ONNX
    names, dtypes, dims with -1 for dynamic ones; kiln/Target/Common/ModelABI.h)
    as the module attribute `kiln.abi`, sets `llvm.emit_c_interface` on it and
    makes every other defined function private.  Errors: no entry, several
    entries, an argument or result that is not a ranked tensor of an ONNX
    element type of rank <= 8, a `kiln.dtype` that contradicts the element
    type, an entry without results.
  }];
}

def CPUTileAndVectorize : Pass<"kiln-cpu-tile-and-vectorize", "mlir::func::FuncOp"> {
  let summary = "Tile linalg ops and vectorize the tiles (CPU)";
  let description = [{
    Tiles every linalg op to static register-sized tiles (scf::tileUsingSCF),
    fuses cheap `kiln.epilogue` ops into the tiles of their conv/matmul and
    vectorizes each tile with linalg::vectorize (docs/targets.md).

    A depthwise convolution with an int8 input (nn.qconv's depthwise form)
    runs the depthwise micro-kernel on int8 rows: with `int8-depthwise`
    (AVX-512 VNNI and VBMI) per 16 output columns one byte shuffle
    (vpermb) and one vpdpbusd per filter row and group of four taps, exact
    in int32; otherwise the rows convert to f32 (exact) and the f32 kernel
    runs.

    Statistics: epilogue-ops-fused.
  }];
  let options = [
    Option<"matmulRows", "matmul-rows", "int64_t", /*default=*/"8",
           "rows per register tile of the packed matmul kernel (8 for AVX-512's 32 registers, 2 for AVX2's 16)">,
    Option<"int8Depthwise", "int8-depthwise", "bool", /*default=*/"false",
           "int8 depthwise convolutions on vpermb + vpdpbusd (AVX-512 VNNI and VBMI targets)">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect", "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect", "mlir::LLVM::LLVMDialect"];
}

def CPUWinograd : Pass<"kiln-cpu-winograd", "mlir::ModuleOp"> {
  let summary = "Compute stride-1 3x3 convolutions with Winograd's F(4x4, 3x3) or F(2x2, 3x3)";
  let description = [{
    On buffers, before kiln-cpu-pack-weights: every f32
    `linalg.conv_2d_nchw_fchw` with a 3x3 filter read from a constant
    global, strides and dilations 1 and static identity-layout buffers,
    for which the mode picks a tile m (4 or 2), is replaced by
      * an input transform (generated loops over channels, tile rows and
        vectors of 16 tiles: masked loads of the input rows the patches
        span, split into the (m + 2)^2 patch values by shuffles, B^T d B)
        into a buffer V [(m + 2)^2, N, C, T] (T tiles of m x m outputs per
        image); an input that is a zero-padded copy of another buffer is
        read from that buffer (rows and columns outside it are zeros) and
        the copy is erased;
      * a loop over the (m + 2)^2 positions, each a 1x1
        `linalg.conv_2d_nchw_fchw` of V's slice viewed as [1, C, tiles, 1]
        with the transformed filter (G g G^T, computed here at compile
        time, [(m + 2)^2 * F, C, 1, 1] plus its packed panels,
        `kiln.packed_filter`) into M [(m + 2)^2, N, F, T], its zero init a
        `kiln.epilogue` bias broadcast (the packed kernel starts its
        accumulators from it);
      * an output transform (loops over output channels, tile rows and
        vectors of 16 tiles: A^T M A, interleaved into rows, added to the
        convolution's bias init or to the output's contents, its cheap
        `kiln.epilogue` post op applied before the masked stores; the
        convolution's own result buffer is dropped when only that post op
        read it).
    With `block` (default) and a transformed filter of at most 1 MB,
    blocks of tile rows (at most 512 KB of V and M each) go through the
    three stages in turn and the blocks' loop is marked `kiln.parallel`;
    otherwise an image is one block and the loops over channels,
    positions and output channels are.

    Modes: `auto` (a cost model per layer: estimated multiply-adds of the
    direct packed kernel against the products plus the transforms; at
    least 32 input and output channels), `f4`, `f2` (every candidate),
    `off`.

    Statistics: convs-f2, convs-f4.
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"auto\"",
           "auto (cost model per layer), f4, f2 or off">,
    Option<"block", "block", "bool", /*default=*/"true",
           "Run blocks of tile rows through the three stages while in cache (where the transformed filter is at most 1 MB)">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect", "mlir::linalg::LinalgDialect"];
}

def CPUPadBorders : Pass<"kiln-cpu-pad-borders", "mlir::func::FuncOp"> {
  let summary = "Fill only the border of a padded copy";
  let description = [{
    On buffers, before tiling: a fresh buffer that is filled with one value
    (`linalg.fill`, or a `linalg.map` yielding a value defined outside it)
    and then, before anything else touches memory, receives one
    `memref.copy` into a subview with static offsets and sizes (a dim may
    be copied whole, e.g. a dynamic batch) gets fills of the blocks around
    that subview instead of the whole fill: the pad of a convolution or
    pooling writes each interior element once instead of twice.

    Then a `memref.copy` of a fresh buffer S into a unit-stride subview V
    of a fresh buffer B (a padded interior, a concat's slice) is elided
    when the copied value is written only by element-wise ops
    (linalg.generic with projection maps, linalg.fill) and read by nothing
    but the copy (its lifetime in S: from the last op before the copy that
    overwrites all of S without reading it, or S's first use, to the copy;
    S's next use must overwrite it the same way), and B is used before the
    copy only through subviews disjoint from V or by memref.dim: those ops
    write V, B is allocated right before the lifetime's first op, and the
    copy is erased (S too when nothing else uses it).

    The border fills of a buffer of at least 64 KB whose leading dims
    (batch, channels) are copied whole run in one `scf.for` nest over those
    dims marked `kiln.parallel`: each thread fills the borders of the
    channels its share of the producer writes and of the consumer reads.

    Statistics: pads-bordered, copies-in-place.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect"];
}

def CPUSplitGroups : Pass<"kiln-cpu-split-groups", "mlir::func::FuncOp"> {
  let summary = "Grouped convolutions as a loop over groups of plain convolutions";
  let description = [{
    On buffers, before kiln-cpu-pack-weights: an f32
    `linalg.conv_2d_ngchw_gfchw` (input [N, G, C/G, H, W], filter
    [G, F/G, C/G, KH, KW], output [N, G, F/G, OH, OW], static but the batch
    and the input's spatial dims) becomes an `scf.for` over the G groups
    whose body is a `linalg.conv_2d_nchw_fchw` on the group's channels of
    the 4-D views [N, C, H, W], [F, C/G, KH, KW] and [N, F, OH, OW]
    (`memref.subview`, offsets g * C/G and g * F/G), so that the
    convolution micro-kernels of kiln-cpu-tile-and-vectorize compute each
    group.  The convolution's epilogue ops (an element-wise
    `linalg.generic` right before it that writes its output, such as the
    bias init, and one right after it that reads its output, such as a
    ReLU; over the 4-D or the 5-D grouped view, maps that are projections)
    move into the loop on the group's channels, so that the kernels fuse
    them as for any other convolution.  The loop is marked
    `kiln.parallel` (groups on threads) when the convolution does enough
    work.  Other grouped convolutions keep the general tiling.

    Statistic: convs-split.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect"];
}

def CPUPackWeights : Pass<"kiln-cpu-pack-weights", "mlir::ModuleOp"> {
  let summary = "Store the constant right operands of matmuls and convolution filters in panels";
  let description = [{
    On buffers, before kiln-cpu-tile-and-vectorize: for every f32
    `linalg.matmul` (default maps) whose right operand is a constant global
    [K, N] with N >= 32, adds a constant global [ceil(N / 32)][K][32] with
    the same values in column panels (the last one padded with zeros) and
    sets `kiln.packed_rhs = @panels` on the matmul.  The matmul's operands
    and meaning are unchanged; kiln-cpu-tile-and-vectorize's matmul
    micro-kernel reads the panels instead (one contiguous K x 32 block per
    register tile column), and kiln-cpu-flatten-constant-globals drops the
    original global once nothing reads it.  Several matmuls reading one
    global share one packed copy.  A contraction `linalg.generic` that is a
    Linear layer on [B, S, K] (maps (b, s, k), (k, n), (b, s, n); elementwise
    fusion folds the reshapes around a MatMul into it) with such a constant
    right operand is first rewritten as a `linalg.matmul` on
    `memref.collapse_shape` views [B * S, K] and [B * S, N] when both
    collapse.

    Convolutions: every f32 `linalg.conv_2d_nchw_fchw` that the packed
    convolution micro-kernel computes (kiln::cpu::usePackedConvKernel: every
    size static but the batch, C >= 8 or C * KH * KW >= 27) whose filter is
    a constant global [F, C, KH, KW] (or a reshaped view of one, as the
    im2col lowering makes; or one group's filters, a subview at output
    channel g * F of a grouped convolution's filter [G * F, C, KH, KW] made
    by kiln-cpu-split-groups, when F is a multiple of 32 (the whole filter
    is packed, and a group's panels are its own) or F = 16 with a K x K
    filter (two groups per panel)) gets a constant global
    [ceil(F / 32)][C * KH * KW][32] holding the filter in output-channel
    panels (the last one padded with zeros) and `kiln.packed_filter =
    @fpanels`; the register tile of kiln-cpu-tile-and-vectorize's packed
    convolution kernel reads one contiguous 128-byte panel row per filter
    tap.  Only with `pack-convs` (the CPU pipeline sets it for targets with
    AVX-512, whose 32 vector registers the kernel's 28 accumulators need).

    Statistics: batched-linears-collapsed, weights-packed, matmuls-annotated,
    filters-packed, convs-annotated.
  }];
  let options = [
    Option<"packConvs", "pack-convs", "bool", /*default=*/"true",
           "Pack convolution filters for the packed convolution micro-kernel (AVX-512 targets)">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def CPUFreshEntryResults : Pass<"kiln-cpu-fresh-entry-results", "mlir::func::FuncOp"> {
  let summary = "Copy entry-function results that are not distinct fresh allocations";
  let description = [{
    Makes every memref that the `kiln.entry` function returns a distinct
    heap buffer that the caller owns and frees with free(): a buffer
    returned twice, or a result that is not visibly a `memref.alloc` (a loop
    result, a view, an argument, a global), is copied into a fresh
    `memref.alloc`; the copied original is freed at run time unless its base
    buffer is also returned or was already freed for an earlier result
    (compared by aligned base pointer).  Arguments and globals are never
    freed.  Other functions are left alone.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect"];
}

def CPUInstrumentProfile : Pass<"kiln-cpu-instrument-profile", "mlir::ModuleOp"> {
  let summary = "Time every ONNX node of the entry function (kiln-compile --profile)";
  let description = [{
    Wraps the entry function's top-level ops, grouped by ONNX node, in
    clock reads and exports `kiln_model_profile_v1` (InstrumentProfile.cpp
    states the attribution rule).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def CPULowerRuntimeChecks : Pass<"kiln-cpu-lower-runtime-checks", "mlir::ModuleOp"> {
  let summary = "Lower nn.check to calls of the run-time check recorder";
  let description = [{
    Numbers the `nn.check` ops (inserted by kiln-insert-runtime-checks),
    records their message templates in the module attribute `kiln.checks`
    (written into the ABI v2 descriptor by the artifact writer) and replaces
    each check by an `scf.if` that calls `kiln_check_failed(id, v0, v1, v2)`
    where the condition is false.  After a run of consecutive `stop` checks,
    the rest of the block moves into an `scf.if` on their conditions whose
    other branch yields placeholders (empty tensors, zeros, `false`; a loop
    body yields its iteration arguments); each enclosing region op is
    followed by the same guard on `kiln_check_ok()` (false once a check has
    failed in this run), an `scf.for` body starts with one and an
    `scf.while` condition is anded with it, up to the function.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"];
}

def CPUStridedCopyToLinalg : Pass<"kiln-cpu-strided-copy-to-linalg", "mlir::func::FuncOp"> {
  let summary = "memref.copy with strided layouts -> linalg.copy";
  let description = [{
    Rewrites every `memref.copy` whose source or target has a non-identity
    layout into `linalg.copy`, so that it becomes loops instead of a call to
    MLIR's C runner library (`memrefCopy`), which generated libraries do not
    link.  Copies between identity layouts stay (they lower to memcpy).

    With `into-identity-only`, only the copies from a strided source into
    an identity target (a reshape of a slice copied into a fresh buffer):
    the CPU pipeline runs it so before kiln-cpu-tile-and-vectorize, which
    tiles, vectorizes and threads those copies like any linalg.copy (as
    scalar loops after the memory plan on one thread, ViT-B/16's reshapes of
    its Q, K, V slices took 2.75 ms per run on two threads, 1.4-1.6 tiled);
    the copies into a concat's slices stay for the run after the memory
    plan (tiled, DenseNet-121's ~600 of them took 13.7 -> 15.4 s to
    compile).
  }];
  let options = [
    Option<"intoIdentityOnly", "into-identity-only", "bool", /*default=*/"false",
           "Only copies from a strided source into an identity-layout target">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CPUOutlineKernels : Pass<"kiln-cpu-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Move each kernel (linalg op or self-contained loop nest) into a function of its own";
  let description = [{
    On memrefs, after tiling: every linalg op and every scf.for/scf.parallel/
    scf.forall nest that allocates, frees and calls nothing becomes a call of
    a new private function (internal linkage, `noinline`) named
    `<function>.k<N>.<ONNX node>`, which takes the kernel's operands and the
    values it uses from above as arguments; constants and memref.get_global
    are cloned into it instead.  Loops that allocate, free or call (ONNX Loop
    bodies) are searched for kernels.  LLVM then optimizes and generates one
    function per layer, not one function per model (whose cost grew faster
    than its size), and function passes run on the kernels in parallel.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def CPUSparseMatmul : Pass<"kiln-cpu-sparse-matmul", "mlir::ModuleOp"> {
  let summary = "f32 products with mostly-zero constant weights on a sparse x dense kernel";
  let description = [{
    On buffers, after kiln-cpu-pack-weights and before
    kiln-cpu-tile-and-vectorize: a linalg.matmul with packed constant
    weights [K, N] (kiln.packed_rhs) of which at most `max-density` are
    nonzero becomes a kernel that does one multiply-add per nonzero weight
    (SparseMatmul.cpp):
      * the weights are compressed: per chunk of KC rows of K (AT's chunk
        stays in L1: KC x R x 4 bytes = 16 KB) and column n, the nonzero
        values (f32) and their rows k (u16), and the start of every
        (chunk, column) list (i32): 6 bytes per nonzero instead of 4 per
        weight; the dense global and its panels are dropped;
      * per block of R = V x `lanes` rows of the left operand (V = 4, fewer
        for a smaller static M; the block loop is the one the run's threads
        share), the block is transposed into a scratch AT [K][R] (zeros
        past M) and the result (its bias init) into CT [N][R]; per chunk
        and column, each nonzero w at row k is a broadcast and V FMAs
        CT[n] += w x AT[k] on vectors along the rows, alternate nonzeros
        into two accumulator sets (2V independent chains); CT is then
        written back into C.
    Products with a static M below `min-rows` keep the dense kernel.
    Statistics: sparse-matmuls, weights-dense-bytes, weights-sparse-bytes.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "f32 lanes per vector: 16 (AVX-512), 8 (AVX2); 0: off">,
    Option<"maxDensity", "max-density", "double", /*default=*/"0.6",
           "the largest fraction of nonzero weights that takes the sparse kernel">,
    Option<"minRows", "min-rows", "int64_t", /*default=*/"16",
           "products with a static M below this keep the dense kernel">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def CPUInt4Matmul : Pass<"kiln-cpu-int4-matmul", "mlir::ModuleOp"> {
  let summary = "int4-weight products (nn.int4_matmul) on a kernel that dequantizes inside the register tile";
  let description = [{
    On buffers, before kiln-cpu-tile-and-vectorize: every linalg.generic
    that NNToLinalg writes for nn.int4_matmul (marked kiln.int4_product =
    G: x f32 [M, K], the packed codes i8 [K / 2, N], the scales and the zero
    points f32 [K / G, N], each a constant global, accumulated into f32
    [M, N]) becomes a kernel over panels of 4 vectors of `lanes` columns:
      * the codes are repacked into a constant global [P][K / 2][4 lanes]
        of bytes (P = ceil(N / (4 lanes)); each byte the codes of k = 2j, 2j
        + 1 as before), the scales and scale x zero point into [P][K / G][4
        lanes] f32 (zeros past N);
      * per panel (the loop the run's threads share) and block of 4 rows
        (then single rows), per group: 4 bytes vectors loaded and widened
        (vpmovzxbd), their low and high nibbles turned into f32 (k even
        and odd; with AVX-512 by one vpermps each from the table 0..15,
        which reads only the index's low 4 bits; with AVX2 masked and
        converted), multiplied with the rows' x[k] broadcast into per-group
        accumulators (single rows keep even and odd k apart: 8 independent
        chains), while the rows' sum of x over the group accumulates too;
        at the group's end the result row gets scale x acc - scale x zp x
        sum(x), read and written in place (masked past N).
    The weights stay 4-bit in memory and are never expanded outside
    registers: a decoding step (M = 1) reads one byte per two weights
    instead of eight.  `lanes` = 16 (AVX-512) or 8 (AVX2); 0 leaves the
    generic to the loops of kiln-cpu-tile-and-vectorize (other CPUs).
    W4A8 (the generic marked kiln.int4_lhs_int8: activations rounded to
    q x sx per row and group; `vnni` and 16 lanes): a prologue recovers q
    (int8) and sx per row and group into scratch buffers; the codes are
    packed per octet of k, 64 bytes per 16 columns, low nibbles k = 8o ..
    8o + 3 and high nibbles 8o + 4 .. 8o + 7; per octet one load, a mask
    and a shift per vector, and two `vpdpbusd` (codes unsigned, q signed:
    exact int32 sums) per row; at each group's end scale x sx x acc -
    scale x zp x sx x sum(q).  Elsewhere such products take the f32
    kernel on the rounded activations (the same values).
    Statistics: int4-matmuls, w4a8-matmuls.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "f32 lanes per vector: 16 (AVX-512), 8 (AVX2); 0: off">,
    Option<"vnni", "vnni", "bool", /*default=*/"true",
           "W4A8 products (int8 activations) on vpdpbusd (AVX-512 VNNI, with 16 lanes)">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

def CPUInt8Matmul : Pass<"kiln-cpu-int8-matmul", "mlir::ModuleOp"> {
  let summary = "int8 products on the AVX-512 VNNI micro-kernel (vpdpbusd), or its AVX2 form; bf16 products on vdpbf16ps";
  let description = [{
    On buffers, before kiln-cpu-tile-and-vectorize, on CPUs with AVX-512
    VNNI: every int8 product that NNToLinalg writes for nn.qmatmul and
    nn.qconv (int8Matmul: a `linalg.generic` (m, k), (k, n) -> (m, n) over
    i8 x i8 -> i32, `acc + ext(a) * extsi(b)`, the left operand zero- or
    sign-extended) whose right operand is a constant global [K, N] becomes
    the micro-kernel:
      * the right operand is packed into a new constant global
        [ceil(N / 32)][ceil(K / 4)][32] of i32, each i32 the four int8
        weights of k = 4q .. 4q + 3 for one column (zeros past K and N);
      * per column panel (the loop the run's threads share) and block of
        8 rows: 8 x 2 accumulators vector<16xi32> (zero when a zero fill
        of the result comes right before, else read from it), updated for
        each quad q by `vpdpbusd` (llvm.x86.avx512.vpdpbusd.512: 64 u8 x s8
        products per instruction) of the row's four bytes broadcast and the
        panel's two vectors, then stored (masked past N);
      * rows past the last block of 8 run one at a time; a last partial
        quad (K not a multiple of 4) is read masked;
      * a signed left operand is biased by 128 (xor 0x80) to be unsigned
        and the bias times each column's sum is subtracted at the store.
    The convolutions' products (filter x gathered windows, stride-1 direct
    on the padded input) get kernels of the same kind.  Epilogue fusion:
    when the zeroed int32 result buffer is read only by a chain of
    elementwise linalg.generics (the dequantization: scale, zero point,
    bias, residual, activation, and where kiln-cpu-fuse-elementwise joined
    it the next layer's quantization) and nothing between the product and
    them writes or frees a buffer the moved kernel reads (deallocations of
    those move after it), the chain's scalar bodies are applied to the 16
    lanes of each finished accumulator vector and the last output is
    stored from the registers; the int32 buffer and the intermediate ones
    go.  Not fused: outputs that are no plain view in the product's index
    space (a gathered-window product storing into a padded buffer's
    interior), outputs sharing memory with the product's input,
    reductions (a global pooling).  KILN_INT8_EPILOGUE=separate keeps the
    epilogues as passes of their own (for measuring).
    AVX2 form (`vnni=false`, CPUs with AVX2 but not AVX-512 VNNI): the
    same kernels with each vpdpbusd replaced by its exact widening
    equivalent (u8 x s8 products in i16, summed in pairs as i32 -- the
    vpmaddwd pattern -- then in quads), and half the rows (filters) per
    register tile.
    bf16 (`bf16=true`, CPUs with AVX512_BF16): the products kiln-nn-quantize's
    bf16 layers lower to (the same three forms on bf16 operands with f32
    accumulators, body `acc + extf(w) * extf(x)`) take the same kernels
    with `vdpbf16ps` (llvm.x86.avx512bf16.dpbf16ps.512: 16 lanes x 2 bf16
    products accumulated in f32) in place of vpdpbusd: the weights packed
    in pairs of the reduction per i32 word instead of quads, the matmul's
    row pair broadcast, the convolution's two input rows interleaved; a
    last partial pair reads a zero (matmul) or element L - 1 again against
    a zero weight (convolutions).  The epilogue (bias, residual,
    activation, the next layer's cast to bf16) fuses as for int8.
    Statistics: int8-matmuls, bf16-matmuls, fused-epilogues.
  }];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"true",
           "vpdpbusd (AVX-512 VNNI); false: the AVX2 form">,
    Option<"int8", "int8", "bool", /*default=*/"true",
           "Put the int8 products on the kernels">,
    Option<"bf16", "bf16", "bool", /*default=*/"true",
           "Put the bf16 products on the vdpbf16ps kernels (needs AVX512_BF16)">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect", "mlir::scf::SCFDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect"];
}

def CPUEstimateWork : Pass<"kiln-cpu-estimate-work", "mlir::ModuleOp"> {
  let summary = "Record a run's work per batch item, for the one-thread rule of small runs";
  let description = [{
    On buffers, before tiling: sums the iterations of every linalg op of the
    module (the product of its loop ranges, a dynamic range counted as 1:
    about one multiply-add of a convolution or matmul, one element of an
    elementwise op) and records the sum on the module as the integer
    attribute `kiln.run_work`.  It is recorded only where it scales with
    the batch alone: no op with more than one dynamic loop range.  The
    artifact writer then runs a run whose work (this sum times the batch,
    dim 0 of the input whose dim 0 is dynamic, where no other input dim is)
    is under kMinParallelRunWork on one thread: waking the team and moving
    the split results between cores costs more than a second core saves
    (Fashion-MNIST's CNN: 0.030 ms on one thread, 0.044 ms on two).
  }];
}

def CPUForallInPlace : Pass<"kiln-cpu-forall-in-place", "mlir::func::FuncOp"> {
  let summary = "scf.forall blocks computed in their slice of the shared output";
  let description = [{
    Before bufferization: in every `scf.forall`, a block that is computed
    into a `tensor.empty` and then inserted into the shared output
    (`tensor.parallel_insert_slice`) is computed into that slice of the
    output instead (upstream empty tensor elimination, applied to the
    forall loops only), so that bufferization writes it in place instead
    of into a buffer copied there.  (Canonicalization replaces a DPS init
    that the payload does not read by a tensor.empty.)
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect", "mlir::bufferization::BufferizationDialect"];
}

def CPUForallToFor : Pass<"kiln-cpu-forall-to-for", "mlir::func::FuncOp"> {
  let summary = "scf.forall on buffers as scf.for loops, marked to run on threads";
  let description = [{
    After bufferization: every `scf.forall` without results (the parallel
    loops of target-independent lowerings: nn.attention's batch x heads x
    query blocks) becomes a nest of `scf.for` loops.  With `mark` (-O1 and
    up) a loop not nested in another loop is marked `kiln.parallel`, so that
    kiln-cpu-parallelize runs it on the run's threads; the loops that
    kiln-cpu-tile-and-vectorize then makes inside it stay sequential.

    Statistics: foralls-converted.
  }];
  let options = [
    Option<"mark", "mark", "bool", /*default=*/"true",
           "mark the outermost converted loops kiln.parallel">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def CPUParallelize : Pass<"kiln-cpu-parallelize", "mlir::ModuleOp"> {
  let summary = "Run the marked tile loops on OpenMP threads";
  let description = [{
    After kernel outlining: in every function, the outermost `scf.for` marked
    `kiln.parallel` by kiln-cpu-tile-and-vectorize (a tile loop over a
    parallel dim of an op with enough work), together with the marked loops
    perfectly nested in it whose bounds do not depend on it, becomes one
    `omp.parallel` region with `kiln_num_threads()` threads (defined by the
    artifact writer from invoke's argument; ABI v3).  The band's iterations
    are collapsed into one space (a batch of 1 still splits over output
    channels x rows) and each thread runs one contiguous chunk, computed from
    omp_get_thread_num()/omp_get_num_threads() (omp.wsloop's libomp
    scheduling call allocates on every call).  Markers on loops that do not
    convert are dropped.

    Statistics: loops-parallelized.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::omp::OpenMPDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect", "mlir::func::FuncDialect"];
}

def CPULowerVectors : Pass<"kiln-cpu-lower-vectors", "mlir::func::FuncOp"> {
  let summary = "Hoist loop-invariant transfers; lower vector contractions, transfers and masks";
  let description = [{
    Hoists loop-invariant vector transfers out of loops, lowers
    vector.contract to outer products and FMAs, multi-reductions, transposes,
    broadcasts, masks, shape casts and n-D transfers to what the LLVM
    conversion handles; remaining multi-dimensional transfers become
    unrolled loops of 1-D transfers.  A multi-reduction whose kept dims all
    have extent 1 (one output element per tile: rows of reductions, global
    pooling, softmax, LayerNorm) becomes one vector.reduction of the
    flattened source instead of a chain of scalar ops, and floating-point
    add/mul reductions get the fast-math flag reassoc (a tree of vector
    adds instead of one scalar add per lane).
  }];
  let dependentDialects = ["mlir::vector::VectorDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect"];
}

def CPUFlattenConstantGlobals : Pass<"kiln-cpu-flatten-constant-globals", "mlir::ModuleOp"> {
  let summary = "Store constant N-d memref globals as 1-d arrays";
  let description = [{
    Makes every constant, statically shaped, identity-layout memref.global
    of rank >= 2 one-dimensional and reshapes its uses back with
    memref.expand_shape: LLVM then stores the weights as one
    ConstantDataArray instead of millions of nested row constants.
    Constant private globals that nothing refers to any more (weights that
    kiln-cpu-pack-weights copied into panels) are erased.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def CPUMultiDynamicExpandShape
    : Pass<"kiln-cpu-multi-dynamic-expand-shape"> {
  let summary = "Rewrite expand_shapes with several dynamic sizes in one reassociation group as "
                "reinterpret_casts (works around a crash of expand-strided-metadata)";
  let description = [{
    A memref.expand_shape with more than one dynamic size in a reassociation
    group becomes a memref.reinterpret_cast of its source with the strides
    computed from the sizes.  MLIR 22's expand-strided-metadata crashes on
    such an expand_shape.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def CPUFuseElementwise : Pass<"kiln-cpu-fuse-elementwise"> {
  let summary = "Elementwise fusion and reshape propagation that keep contractions as they are";
  let description = [{
    Upstream's linalg-fuse-elementwise-ops (elementwise producers fused into
    their consumers, reshapes propagated by expansion, the same
    canonicalizations and constant folding), except where the producer or
    the consumer is a contraction or a convolution: an elementwise producer
    fused into a matmul would run inside its reduction loop, and a matmul a
    reshape propagates through would become a generic, both off the matmul
    micro-kernel.  Then the sole element-wise reader of a depthwise
    convolution's result (its fused epilogue; upstream's patterns drop the
    mark when they re-create an op) is marked kiln.epilogue, for the
    depthwise micro-kernel to apply in registers.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect"];
}

def CPUMathApproximation : Pass<"kiln-cpu-math-approximation"> {
  let summary = "Polynomial approximations of math functions (upstream patterns)";
  let description = [{
    Replaces math functions by upstream polynomial approximations that
    vectorize (erf, tanh, exp, log, ...) and math.copysign by integer bit
    operations (the approximations emit it on n-D vectors, which
    math-to-libm cannot scalarize).  The rest goes to libm.  Every
    arith.maximumf and arith.minimumf gets the fast-math flag nsz: NaN
    still propagates, but -0 is not ordered below +0, which cuts the x86
    code of a vector maximum from six instructions to three (ReLU's
    maximum with 0 to one).  With `expand-bf16` (CPUs without
    AVX512_BF16), bf16 conversions become integer bit operations
    (upstream's bf16 expansion: round to nearest even), which LLVM would
    otherwise lower to a runtime library call the generated library cannot
    resolve.
  }];
  let options = [
    Option<"expandBF16", "expand-bf16", "bool", /*default=*/"false",
           "Expand arith.truncf/extf to and from bf16 into integer operations">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

#endif
