//===- Passes.td - passes of the C target ------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// One pass per file in lib/Target/C.  buildCLoweringPipeline (CTarget.cpp)
// runs them with upstream passes and some of the CPU target's, from linalg on
// tensors to the emitc dialect (docs/targets.md, "The C target").
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_C_PASSES
#define KILN_TARGET_C_PASSES

include "mlir/Pass/PassBase.td"

def CCheckModel : Pass<"kiln-c-check-model", "mlir::ModuleOp"> {
  let summary = "Refuse what the C target cannot generate, naming the ONNX node or tensor";
  let description = [{
    Runs on the tensor-level module after kiln-cpu-prepare-entry.  The C
    target writes static code with one arena of compile-time size, so it
    refuses, with an error naming the graph input/output or the ONNX node:
    an entry argument or result with a dynamic dimension (the message shows
    the --input-shape that fixes it), a tensor whose shape is only known
    while the model runs (NonZero, data-dependent Reshape, ...), element
    types that C99 has no arithmetic for (f16, bf16, f8, complex), and
    run-time checks (nn.check), which the C target does not implement yet.
  }];
  let dependentDialects = [];
}

def CTileEpilogues : Pass<"kiln-c-tile-epilogues", "mlir::func::FuncOp"> {
  let summary = "Compute each product's accumulators one channel (or row) at a time beside its epilogue";
  let description = [{
    On linalg on tensors, after kiln-cpu-fuse-elementwise.  An element-wise
    `linalg.generic` whose result type differs from the accumulators it
    reads (an int8 layer's epilogue: int32 to int8, or to f32) that reads
    the whole
    result of a
    contraction or convolution (a linalg op with a reduction loop, read by
    nothing else, possibly through a `tensor.expand_shape`) is tiled along
    its leading dims (all but the last two; a 2-d one by rows) with tiles of
    1, and the product with its zero fill is fused into the tile loop
    (upstream scf::tileConsumerAndFuseProducersUsingSCF, with
    tensor.extract_slice bubbled up through the reshape).  The product's
    accumulators then exist one channel (or row) at a time: an int8 layer's
    int32 accumulator no longer occupies the arena beside its input and
    output (MobileNetV2's largest one was 442,368 bytes).  The product's
    inputs (a padded input, gathered windows) are not fused: each tile reads
    them whole, so they are computed once.  Epilogues of the accumulator's
    own type (fp32 layers) are left alone: they write over the accumulator in place,
    which tiling would undo (the fp32 CNN's arena grew by 7% that way).

    Then a tile loop read only by a `tensor.pad` with a constant value (a
    depthwise layer's padded input) writes its tiles into the interior of
    the padded tensor, which starts filled with the pad value, so the
    unpadded tensor never sits beside the padded one.

    Statistics: epilogues-tiled, pads-in-place.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"];
}

def CLowerToEmitC : Pass<"kiln-c-lower-to-emitc", "mlir::ModuleOp"> {
  let summary = "Buffers, loops, arith and math -> the emitc dialect (C99)";
  let description = [{
    The last pass of the C target.  Its input: static-shape memrefs, scf
    loops, arith and math (after convert-linalg-to-loops,
    expand-strided-metadata, lower-affine and arith-expand), with every
    intermediate buffer a memref.view of the arena argument
    (kiln-plan-memory) and the results as output arguments.

      * a memref value becomes a C pointer to its first element
        (!emitc.ptr<T>); loads and stores index it with the strides of its
        (static) type;
      * memref.view of the arena: `(T *)&arena[shift]`;
        memref.reinterpret_cast: `&base[offset]`;
      * constant memref.globals become `static const` 1-d arrays (flash),
        memref.get_global a cast of the array to a pointer; memref.alloca a
        local 1-d array;
      * math ops: calls of C99 <math.h> (expf, tanhf, erff, ...);
      * arith, scf and func: upstream's arith/scf/func-to-emitc patterns,
        `index` as size_t.

    A heap allocation (memref.alloc: a buffer the planner could not place)
    is an error naming the ONNX node, as is any op without a C form.
  }];
  let dependentDialects = ["mlir::emitc::EmitCDialect"];
}

#endif
