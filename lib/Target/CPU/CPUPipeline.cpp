//===- CPUPipeline.cpp - linalg on tensors -> LLVM dialect -----------------===//

#include "kiln/Target/CPU/CPUTarget.h"
#include "kiln/Support/ONNXDType.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

#include "CPUPasses.h"
#include "RuntimeCheckABI.h"

using namespace mlir;

namespace {

/// Records the entry function's ABI (names, ONNX dtypes, shapes with -1 for
/// dynamic dims) as the module attribute `kiln.abi`, requests the C
/// interface for it and makes every other function private.  Runs on the
/// tensor-level module, before types are lowered.
struct PrepareEntryPass : PassWrapper<PrepareEntryPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrepareEntryPass)
  StringRef getArgument() const override { return "kiln-cpu-prepare-entry"; }
  StringRef getDescription() const override {
    return "Record the entry function's ABI and request its C interface";
  }
  void runOnOperation() override {
    ModuleOp m = getOperation();
    func::FuncOp entry;
    for (auto f : m.getOps<func::FuncOp>()) {
      if (!f->hasAttr("kiln.entry")) {
        if (!f.isDeclaration())
          f.setPrivate();
        continue;
      }
      if (entry) {
        f.emitError("more than one function has the 'kiln.entry' attribute");
        return signalPassFailure();
      }
      entry = f;
    }
    if (!entry) {
      m.emitError("no function has the 'kiln.entry' attribute (the model's entry point)");
      return signalPassFailure();
    }
    Builder b(m.getContext());
    auto describe = [&](Type t, DictionaryAttr attrs, unsigned idx, bool isArg,
                        SmallVectorImpl<Attribute> &out) -> LogicalResult {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt)
        return entry.emitError() << (isArg ? "argument #" : "result #") << idx
                                 << " must be a ranked tensor, got " << t;
      Type e = rt.getElementType();
      if (!kiln::onnxDTypeOf(e))
        return entry.emitError() << (isArg ? "argument #" : "result #") << idx
                                 << " has unsupported element type " << e;
      if (rt.getRank() > 8)
        return entry.emitError() << (isArg ? "argument #" : "result #") << idx
                                 << " has rank " << rt.getRank() << " (the runtime supports up to 8)";
      StringAttr name = attrs ? attrs.getAs<StringAttr>("kiln.name") : StringAttr();
      IntegerAttr dtype = attrs ? attrs.getAs<IntegerAttr>("kiln.dtype") : IntegerAttr();
      std::string dflt = (isArg ? "input_" : "output_") + std::to_string(idx);
      int64_t code = dtype ? dtype.getInt() : 0;
      if (code && kiln::onnxElementType(e.getContext(), code) != e)
        return entry.emitError() << "'kiln.dtype' of " << (isArg ? "argument #" : "result #") << idx
                                 << " is " << code << " (" << kiln::onnxDTypeName(code)
                                 << "), which does not match the element type " << e;
      if (!code)
        code = kiln::onnxDTypeOf(e);
      SmallVector<int64_t> dims;
      for (int64_t d : rt.getShape())
        dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
      out.push_back(b.getDictionaryAttr({
          b.getNamedAttr("name", name ? name : b.getStringAttr(dflt)),
          b.getNamedAttr("dtype", b.getI32IntegerAttr(code)),
          b.getNamedAttr("dims", b.getDenseI64ArrayAttr(dims))}));
      return success();
    };
    SmallVector<Attribute> ins, outs;
    auto ft = entry.getFunctionType();
    for (unsigned i = 0; i < ft.getNumInputs(); ++i)
      if (failed(describe(ft.getInput(i), entry.getArgAttrDict(i), i, true, ins)))
        return signalPassFailure();
    for (unsigned i = 0; i < ft.getNumResults(); ++i)
      if (failed(describe(ft.getResult(i), entry.getResultAttrDict(i), i, false, outs)))
        return signalPassFailure();
    if (outs.empty()) {
      entry.emitError("the entry function has no results");
      return signalPassFailure();
    }
    m->setAttr("kiln.abi", b.getDictionaryAttr({
                               b.getNamedAttr("entry", b.getStringAttr(entry.getSymName())),
                               b.getNamedAttr("inputs", b.getArrayAttr(ins)),
                               b.getNamedAttr("outputs", b.getArrayAttr(outs))}));
    entry->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
};

/// math.copysign as integer bit operations.  The atan/asin/acos
/// approximations emit copysign on n-D vectors, which math-to-libm cannot
/// scalarize.
struct CopySignToBits : OpRewritePattern<math::CopySignOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::CopySignOp op, PatternRewriter &rw) const override {
    Type t = op.getType();
    unsigned w = getElementTypeOrSelf(t).getIntOrFloatBitWidth();
    Type it = rw.getIntegerType(w);
    if (auto vt = dyn_cast<VectorType>(t))
      it = vt.clone(it);
    auto cst = [&](const APInt &v) -> Value {
      TypedAttr a = isa<VectorType>(it) ? (TypedAttr)DenseElementsAttr::get(cast<ShapedType>(it), v)
                                        : (TypedAttr)rw.getIntegerAttr(it, v);
      return arith::ConstantOp::create(rw, op.getLoc(), it, a);
    };
    APInt sign = APInt::getSignMask(w);
    Value a = arith::BitcastOp::create(rw, op.getLoc(), it, op.getLhs());
    Value b = arith::BitcastOp::create(rw, op.getLoc(), it, op.getRhs());
    Value mag = arith::AndIOp::create(rw, op.getLoc(), a, cst(~sign));
    Value sgn = arith::AndIOp::create(rw, op.getLoc(), b, cst(sign));
    Value r = arith::OrIOp::create(rw, op.getLoc(), mag, sgn);
    rw.replaceOpWithNewOp<arith::BitcastOp>(op, t, r);
    return success();
  }
};

/// Replaces math functions by polynomial approximations that vectorize
/// (erf, tanh, exp, log, ...); the rest goes to libm.
struct MathApproximationPass : PassWrapper<MathApproximationPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MathApproximationPass)
  StringRef getArgument() const override { return "kiln-cpu-math-approximation"; }
  StringRef getDescription() const override {
    return "Polynomial approximations of math functions (upstream patterns)";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<arith::ArithDialect, math::MathDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    patterns.add<CopySignToBits>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

/// Rewrites memref.copy between strided (non-identity) layouts into
/// linalg.copy, so they become loops instead of calls to MLIR's C runner
/// library (`memrefCopy`), which generated libraries do not link.
struct StridedCopyToLinalgPass
    : PassWrapper<StridedCopyToLinalgPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StridedCopyToLinalgPass)
  StringRef getArgument() const override { return "kiln-cpu-strided-copy-to-linalg"; }
  StringRef getDescription() const override {
    return "memref.copy with strided layouts -> linalg.copy";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) {
      auto s = cast<MemRefType>(c.getSource().getType());
      auto t = cast<MemRefType>(c.getTarget().getType());
      if (!s.getLayout().isIdentity() || !t.getLayout().isIdentity())
        copies.push_back(c);
    });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};

/// Makes every memref returned by the entry function a distinct buffer that
/// the caller owns (abi.h: each output is a fresh malloc'ed buffer freed
/// with free()).  Runs after the deallocation pipeline, which already
/// clones results that alias arguments or globals, so every returned buffer
/// is owned by the caller.  What remains: a buffer returned twice (`return
/// %a, %a`) and results that are not visibly an allocation (an scf.for
/// result, a view of one), which may alias another result at run time (a
/// loop that ran zero times yields its init).  Those are copied into a fresh
/// allocation; the original is then freed unless its base buffer is also
/// returned or was already freed for an earlier result, which is decided at
/// run time by comparing base pointers.  (Copying without freeing leaked the
/// original on every run.)
struct FreshEntryResultsPass
    : PassWrapper<FreshEntryResultsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FreshEntryResultsPass)
  StringRef getArgument() const override { return "kiln-cpu-fresh-entry-results"; }
  StringRef getDescription() const override {
    return "Copy entry-function results that are not distinct fresh allocations";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<memref::MemRefDialect, arith::ArithDialect, scf::SCFDialect>();
  }
  /// The value a view ultimately comes from.
  static Value viewRoot(Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
        v = view.getViewSource();
        continue;
      }
      if (auto cast = dyn_cast<memref::CastOp>(def)) {
        v = cast.getSource();
        continue;
      }
      break;
    }
    return v;
  }
  /// The aligned pointer of the allocation `v` views, as an index.
  static Value basePointer(OpBuilder &b, Location loc, Value v) {
    auto md = memref::ExtractStridedMetadataOp::create(b, loc, v);
    return memref::ExtractAlignedPointerAsIndexOp::create(b, loc, md.getBaseBuffer());
  }
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (!f->hasAttr("kiln.entry"))
      return;
    f.walk([&](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seenRoots;
      SmallVector<Value> copiedOriginals; // to free, if no other result uses them
      OpBuilder b(ret);
      Location loc = ret.getLoc();
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue;
        Value root = viewRoot(operand.get());
        bool firstUse = seenRoots.insert(root).second;
        if (firstUse && root.getDefiningOp<memref::AllocOp>())
          continue;
        SmallVector<Value> dynSizes;
        for (int64_t i = 0; i < type.getRank(); ++i)
          if (type.isDynamicDim(i))
            dynSizes.push_back(memref::DimOp::create(b, loc, operand.get(), i));
        auto fresh = memref::AllocOp::create(
            b, loc, MemRefType::get(type.getShape(), type.getElementType()), dynSizes,
            b.getI64IntegerAttr(64));
        memref::CopyOp::create(b, loc, operand.get(), fresh);
        // Never free a caller's input or a constant (the deallocation
        // pipeline should have cloned those already).
        bool notOwned = (isa<BlockArgument>(root) &&
                         cast<BlockArgument>(root).getOwner()->isEntryBlock() &&
                         cast<BlockArgument>(root).getOwner()->getParentOp() == f) ||
                        root.getDefiningOp<memref::GetGlobalOp>();
        if (firstUse && !notOwned)
          copiedOriginals.push_back(operand.get());
        Value repl = fresh;
        if (repl.getType() != type)
          repl = memref::CastOp::create(b, loc, type, fresh);
        operand.set(repl);
      }
      // Free each copied original whose buffer no returned value and no
      // earlier freed original shares.
      SmallVector<Value> returnedPtrs;
      for (Value v : ret->getOperands())
        if (isa<MemRefType>(v.getType()))
          returnedPtrs.push_back(basePointer(b, loc, v));
      SmallVector<Value> freedPtrs;
      for (Value orig : copiedOriginals) {
        Value p = basePointer(b, loc, orig);
        Value distinct = arith::ConstantIntOp::create(b, loc, 1, 1);
        for (Value q : llvm::concat<Value>(returnedPtrs, freedPtrs))
          distinct = arith::AndIOp::create(
              b, loc, distinct,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, p, q));
        auto ifOp = scf::IfOp::create(b, loc, distinct, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        memref::DeallocOp::create(b, loc, orig);
        freedPtrs.push_back(p);
      }
    });
  }
};

/// Makes every constant multi-dimensional memref.global one-dimensional
/// (uses reshape it back with memref.expand_shape).  LLVM translates an
/// N-d global into nested arrays: one llvm::Constant per innermost row,
/// millions for a ResNet, which made LLVM's optimizer and code generator
/// crawl and used gigabytes; a 1-d global is a single ConstantDataArray
/// that shares the weights' bytes.
struct FlattenConstantGlobalsPass
    : PassWrapper<FlattenConstantGlobalsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FlattenConstantGlobalsPass)
  StringRef getArgument() const override { return "kiln-cpu-flatten-constant-globals"; }
  StringRef getDescription() const override {
    return "Store constant N-d memref globals as 1-d arrays";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<memref::MemRefDialect>();
  }
  void runOnOperation() override {
    ModuleOp m = getOperation();
    llvm::DenseMap<StringAttr, memref::GlobalOp> flattened;
    for (auto g : m.getOps<memref::GlobalOp>()) {
      MemRefType t = g.getType();
      if (!g.getConstant() || t.getRank() < 2 || !t.hasStaticShape() ||
          !t.getLayout().isIdentity() || g.isExternal())
        continue;
      auto init = dyn_cast_or_null<ElementsAttr>(g.getInitialValue().value_or(Attribute()));
      if (!init)
        continue;
      auto flatTensor = RankedTensorType::get({t.getNumElements()}, t.getElementType());
      Attribute flatInit;
      if (auto dense = dyn_cast<DenseElementsAttr>(init))
        flatInit = dense.reshape(flatTensor);
      else if (auto res = dyn_cast<DenseResourceElementsAttr>(init))
        flatInit = DenseResourceElementsAttr::get(flatTensor, res.getRawHandle());
      else
        continue;
      g.setInitialValueAttr(flatInit);
      g.setType(MemRefType::get({t.getNumElements()}, t.getElementType(), MemRefLayoutAttrInterface(),
                                t.getMemorySpace()));
      flattened[g.getSymNameAttr()] = g;
    }
    if (flattened.empty())
      return;
    m.walk([&](memref::GetGlobalOp get) {
      auto it = flattened.find(get.getNameAttr().getAttr());
      if (it == flattened.end())
        return;
      auto origType = cast<MemRefType>(get.getType());
      OpBuilder b(get);
      auto flat = memref::GetGlobalOp::create(b, get.getLoc(), it->second.getType(),
                                              get.getNameAttr());
      SmallVector<ReassociationIndices> reassoc(1);
      for (int64_t i = 0; i < origType.getRank(); ++i)
        reassoc[0].push_back(i);
      Value shaped = memref::ExpandShapeOp::create(b, get.getLoc(), origType, flat, reassoc);
      get.replaceAllUsesWith(shaped);
      get.erase();
    });
  }
};

/// memref.expand_shape where one reassociation group has several dynamic
/// sizes (a [?x768] matmul result expanded back to [?x?x?x768], as in Swin
/// with run-time window counts) becomes a memref.reinterpret_cast of the
/// source.  MLIR 22's expand-strided-metadata crashes on such an
/// expand_shape.  The expanded strides of a group are the source stride of
/// the group times the sizes of the group's inner dims; the offset is the
/// source's.
struct MultiDynamicExpandShapePass
    : PassWrapper<MultiDynamicExpandShapePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MultiDynamicExpandShapePass)
  StringRef getArgument() const override { return "kiln-cpu-multi-dynamic-expand-shape"; }
  StringRef getDescription() const override {
    return "Rewrite expand_shapes with several dynamic sizes in one reassociation group as "
           "reinterpret_casts (works around a crash of expand-strided-metadata)";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<memref::MemRefDialect, arith::ArithDialect>();
  }
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> todo;
    getOperation().walk([&](memref::ExpandShapeOp op) {
      auto res = op.getResultType();
      for (const ReassociationIndices &g : op.getReassociationIndices())
        if (llvm::count_if(g, [&](int64_t d) { return res.isDynamicDim(d); }) > 1) {
          todo.push_back(op);
          return;
        }
    });
    for (memref::ExpandShapeOp op : todo) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto src = op.getSrcType();
      auto res = op.getResultType();
      auto [srcStrides, srcOffset] = src.getStridesAndOffset();
      memref::ExtractStridedMetadataOp meta;
      auto metadata = [&]() {
        if (!meta)
          meta = memref::ExtractStridedMetadataOp::create(b, loc, op.getSrc());
        return meta;
      };
      auto mul = [&](OpFoldResult x, OpFoldResult y) -> OpFoldResult {
        auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
        if (cx && cy)
          return b.getIndexAttr(*cx * *cy);
        return arith::MulIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, x),
                                     getValueOrCreateConstantIndexOp(b, loc, y))
            .getResult();
      };
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      SmallVector<OpFoldResult> strides(res.getRank());
      for (auto [k, g] : llvm::enumerate(op.getReassociationIndices())) {
        OpFoldResult acc = ShapedType::isDynamic(srcStrides[k])
                               ? OpFoldResult(metadata().getStrides()[k])
                               : OpFoldResult(b.getIndexAttr(srcStrides[k]));
        for (int64_t d : llvm::reverse(g)) {
          strides[d] = acc;
          if (d != g.front())
            acc = mul(acc, sizes[d]);
        }
      }
      OpFoldResult offset = ShapedType::isDynamic(srcOffset)
                                ? OpFoldResult(metadata().getOffset())
                                : OpFoldResult(b.getIndexAttr(srcOffset));
      auto cast = memref::ReinterpretCastOp::create(b, loc, res, op.getSrc(), offset, sizes,
                                                    strides);
      op.replaceAllUsesWith(cast.getResult());
      op.erase();
    }
  }
};

} // namespace

std::unique_ptr<Pass> kiln::cpu::createPrepareEntryPass() {
  return std::make_unique<PrepareEntryPass>();
}
std::unique_ptr<Pass> kiln::cpu::createMathApproximationPass() {
  return std::make_unique<MathApproximationPass>();
}

void kiln::cpu::buildCPULoweringPipeline(OpPassManager &pm, const CPUTargetOptions &opts) {
  pm.addPass(createPrepareEntryPass());
  pm.addPass(createLowerRuntimeChecksPass());
  // Tensor level.
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  // Bufferization: identity layouts at the function boundary.
  bufferization::OneShotBufferizePassOptions bo;
  bo.bufferizeFunctionBoundaries = true;
  bo.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  bo.unknownTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops of ONNX Loop / Scan yield fresh tensors (e.g. grown scan outputs).
  bo.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bo));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dopts;
  bufferization::buildBufferDeallocationPipeline(pm, dopts);
  // Tiling and vectorization run on buffers: one-shot bufferization of
  // tiled tensor IR is much slower (minutes for ResNet-18).
  if (opts.optLevel > 0) {
    pm.addNestedPass<func::FuncOp>(createTileAndVectorizePass());
    pm.addPass(createCSEPass());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(std::make_unique<FreshEntryResultsPass>());
  if (opts.profile)
    pm.addPass(createInstrumentProfilePass());
  // Loops and vectors.
  pm.addNestedPass<func::FuncOp>(std::make_unique<StridedCopyToLinalgPass>());
  pm.addPass(createConvertLinalgToLoopsPass());
  if (opts.optLevel > 0)
    pm.addNestedPass<func::FuncOp>(createLowerVectorsPass());
  pm.addPass(std::make_unique<FlattenConstantGlobalsPass>());
  pm.addPass(std::make_unique<MultiDynamicExpandShapePass>());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createMathApproximationPass());
  // Math ops with an LLVM intrinsic (fma, floor, sqrt, ...: the polynomial
  // approximations emit fma and floor on vectors) become intrinsics that the
  // back end turns into vector instructions; math-to-libm would scalarize
  // them into one libm call per vector lane (EfficientNet's SiLU spent 44% of
  // the model's time in fmaf/floorf calls).  log1p keeps libm's accurate
  // log1pf instead of LLVM's log(1 + x).
  {
    ConvertMathToLLVMPassOptions mo;
    mo.approximateLog1p = false;
    pm.addPass(createConvertMathToLLVMPass(mo));
  }
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
struct CPULoweringPipelineOptions : PassPipelineOptions<CPULoweringPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0: plain loops; 1-3: tile + vectorize"),
                            llvm::cl::init(2)};
  Option<bool> profile{*this, "profile",
                       llvm::cl::desc("time each ONNX node (kiln-compile --profile)"),
                       llvm::cl::init(false)};
};
} // namespace

void kiln::cpu::registerCPUTargetPasses() {
  PassRegistration<PrepareEntryPass>();
  PassRegistration<MathApproximationPass>();
  PassRegistration<StridedCopyToLinalgPass>();
  PassRegistration<FreshEntryResultsPass>();
  PassRegistration<FlattenConstantGlobalsPass>();
  PassRegistration<MultiDynamicExpandShapePass>();
  registerTileAndVectorizePass();
  registerLowerVectorsPass();
  registerInstrumentProfilePass();
  registerLowerRuntimeChecksPass();
  PassPipelineRegistration<CPULoweringPipelineOptions>(
      "kiln-cpu-lowering",
      "linalg on tensors -> LLVM dialect for CPUs (kiln-cpu-lowering{opt-level=0..3}, default 2)",
      [](OpPassManager &pm, const CPULoweringPipelineOptions &o) {
        CPUTargetOptions opts;
        opts.optLevel = o.optLevel;
        opts.profile = o.profile;
        buildCPULoweringPipeline(pm, opts);
      });
}
