//===- LowerToEmitC.cpp - buffers, loops, arith and math -> emitc ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-c-lower-to-emitc (Passes.td): one dialect conversion whose type
// converter maps a memref to a pointer to its first element and `index` to
// size_t.  Upstream memref-to-emitc handles identity layouts only (arrays);
// here every view (the arena's memref.view, expand-strided-metadata's
// reinterpret_casts) is pointer arithmetic, and loads and stores use the
// strides of the memref's static type.
//
//===----------------------------------------------------------------------===//

#include "CPasses.h"

#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Target/Common/ModelABI.h"

#include "mlir/Conversion/ArithToEmitC/ArithToEmitC.h"
#include "mlir/Conversion/FuncToEmitC/FuncToEmitC.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/EmitC/Transforms/TypeConversions.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringMap.h"

namespace kiln::c {
#define GEN_PASS_DEF_CLOWERTOEMITC
#include "CPasses.h.inc"
} // namespace kiln::c

using namespace mlir;

int64_t kiln::c::elementBytes(Type t) {
  if (t.isIntOrFloat())
    return std::max<int64_t>(t.getIntOrFloatBitWidth() / 8, 1);
  return 8;
}

namespace {

/// The static strides and offset of a memref type, or failure.
LogicalResult staticLayout(MemRefType t, SmallVectorImpl<int64_t> &strides, int64_t &offset) {
  if (failed(t.getStridesAndOffset(strides, offset)))
    return failure();
  return success(!llvm::any_of(strides, ShapedType::isDynamic));
}

Value sizeConst(OpBuilder &b, Location loc, int64_t v) {
  return emitc::ConstantOp::create(b, loc, emitc::SizeTType::get(b.getContext()),
                                   b.getIndexAttr(v));
}

/// The constant `v` holds, if it is an emitc.constant of an integer.
std::optional<int64_t> constValue(Value v) {
  if (auto c = v.getDefiningOp<emitc::ConstantOp>())
    if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      return i.getInt();
  return std::nullopt;
}

/// sum(indices[k] * strides[k]) as size_t, skipping zero indices and unit
/// strides.
Value linearIndex(OpBuilder &b, Location loc, ValueRange indices, ArrayRef<int64_t> strides) {
  Type sizeT = emitc::SizeTType::get(b.getContext());
  Value sum;
  int64_t constant = 0;
  for (auto [i, s] : llvm::zip(indices, strides)) {
    if (auto c = constValue(i)) {
      constant += *c * s;
      continue;
    }
    Value term = i;
    if (s != 1)
      term = emitc::MulOp::create(b, loc, sizeT, i, sizeConst(b, loc, s));
    sum = sum ? emitc::AddOp::create(b, loc, sizeT, sum, term).getResult() : term;
  }
  if (!sum)
    return sizeConst(b, loc, constant);
  if (constant)
    sum = emitc::AddOp::create(b, loc, sizeT, sum, sizeConst(b, loc, constant));
  return sum;
}

/// `&ptr[index]`.
Value offsetPointer(OpBuilder &b, Location loc, Value ptr, Value index) {
  auto pt = cast<emitc::PointerType>(ptr.getType());
  Value lv = emitc::SubscriptOp::create(b, loc, emitc::LValueType::get(pt.getPointee()), ptr,
                                        ValueRange{index});
  return emitc::ApplyOp::create(b, loc, pt, b.getStringAttr("&"), lv);
}

struct ViewLowering : OpConversionPattern<memref::ViewOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::ViewOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!op.getSizes().empty())
      return rewriter.notifyMatchFailure(op, "dynamic sizes");
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type)
      return failure();
    Value p = adaptor.getSource();
    if (!(constValue(adaptor.getByteShift()) == 0))
      p = offsetPointer(rewriter, op.getLoc(), p, adaptor.getByteShift());
    rewriter.replaceOpWithNewOp<emitc::CastOp>(op, type, p);
    return success();
  }
};

struct ReinterpretCastLowering : OpConversionPattern<memref::ReinterpretCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::ReinterpretCastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    SmallVector<int64_t> strides;
    int64_t srcOffset;
    if (failed(staticLayout(cast<MemRefType>(op.getSource().getType()), strides, srcOffset)) ||
        ShapedType::isDynamic(srcOffset))
      return rewriter.notifyMatchFailure(op, "source with a dynamic layout");
    Location loc = op.getLoc();
    Value base = adaptor.getSource();
    // The new offset counts from the source's base, which is `srcOffset`
    // elements before the source's pointer.
    OpFoldResult off = op.getMixedOffsets()[0];
    Value delta;
    if (auto a = dyn_cast<Attribute>(off)) {
      int64_t d = cast<IntegerAttr>(a).getInt() - srcOffset;
      if (d < 0)
        return rewriter.notifyMatchFailure(op, "negative offset");
      if (d == 0) {
        rewriter.replaceOp(op, base);
        return success();
      }
      delta = sizeConst(rewriter, loc, d);
    } else {
      delta = adaptor.getOffsets()[0];
      if (srcOffset)
        delta = emitc::SubOp::create(rewriter, loc, delta.getType(), delta,
                                     sizeConst(rewriter, loc, srcOffset));
    }
    rewriter.replaceOp(op, offsetPointer(rewriter, loc, base, delta));
    return success();
  }
};

struct ExtractStridedMetadataLowering : OpConversionPattern<memref::ExtractStridedMetadataOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::ExtractStridedMetadataOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto t = cast<MemRefType>(op.getSource().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(staticLayout(t, strides, offset)) || offset != 0 || !t.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic or offset layout");
    Location loc = op.getLoc();
    SmallVector<Value> results{adaptor.getSource(), sizeConst(rewriter, loc, 0)};
    for (int64_t s : t.getShape())
      results.push_back(sizeConst(rewriter, loc, s));
    for (int64_t s : strides)
      results.push_back(sizeConst(rewriter, loc, s));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// memref.reshape to a static identity shape: the same contiguous
/// elements.
struct ReshapeLowering : OpConversionPattern<memref::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto src = cast<MemRefType>(op.getSource().getType());
    auto dst = cast<MemRefType>(op.getType());
    if (!src.getLayout().isIdentity() || !dst.getLayout().isIdentity() || !dst.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "strided or dynamic reshape");
    rewriter.replaceOp(op, adaptor.getSource());
    return success();
  }
};

struct CastLowering : OpConversionPattern<memref::CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::CastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getSource());
    return success();
  }
};

/// The 1-d C array that holds a static memref's elements, and the pointer
/// type the memref converts to; {null, null} if its element type has no C
/// form.
std::pair<emitc::ArrayType, Type> flatArray(MemRefType t, const TypeConverter &tc) {
  Type elem = tc.convertType(t.getElementType());
  Type ptr = tc.convertType(t);
  if (!elem || !ptr)
    return {};
  return {emitc::ArrayType::get({std::max<int64_t>(t.getNumElements(), 1)}, elem), ptr};
}

struct GetGlobalLowering : OpConversionPattern<memref::GetGlobalOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::GetGlobalOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto [arrayType, ptr] = flatArray(op.getType(), *getTypeConverter());
    if (!arrayType)
      return failure();
    Value a = emitc::GetGlobalOp::create(rewriter, op.getLoc(), arrayType, op.getNameAttr());
    // An explicit cast: the array is const (flash), the pointer is not.
    rewriter.replaceOpWithNewOp<emitc::CastOp>(op, ptr, a);
    return success();
  }
};

struct AllocaLowering : OpConversionPattern<memref::AllocaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::AllocaOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto t = op.getType();
    if (!t.hasStaticShape() || !t.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "dynamic alloca");
    auto [arrayType, ptr] = flatArray(t, *getTypeConverter());
    if (!arrayType)
      return failure();
    Value a = emitc::VariableOp::create(rewriter, op.getLoc(), arrayType,
                                        emitc::OpaqueAttr::get(getContext(), ""));
    rewriter.replaceOpWithNewOp<emitc::CastOp>(op, ptr, a);
    return success();
  }
};

/// A copy between contiguous buffers (kiln-cpu-strided-copy-to-linalg made
/// the others loops): memcpy.
struct CopyLowering : OpConversionPattern<memref::CopyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::CopyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto src = cast<MemRefType>(op.getSource().getType());
    auto dst = cast<MemRefType>(op.getTarget().getType());
    if (!src.hasStaticShape() || !src.getLayout().isIdentity() || !dst.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "strided copy");
    Type e = src.getElementType();
    if (!e.isIntOrFloat())
      return failure();
    int64_t bytes = src.getNumElements() * kiln::c::elementBytes(e);
    Value n = sizeConst(rewriter, op.getLoc(), bytes);
    emitc::CallOpaqueOp::create(rewriter, op.getLoc(), TypeRange{}, "memcpy",
                                ValueRange{adaptor.getTarget(), adaptor.getSource(), n});
    rewriter.eraseOp(op);
    return success();
  }
};

template <typename Op>
Value elementLValue(Op op, Value ptr, ValueRange indices, ConversionPatternRewriter &rewriter,
                    const TypeConverter &tc) {
  auto t = cast<MemRefType>(op.getMemRef().getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(staticLayout(t, strides, offset)))
    return {};
  Location loc = op.getLoc();
  Value index = linearIndex(rewriter, loc, indices, strides);
  Type elem = tc.convertType(t.getElementType());
  return emitc::SubscriptOp::create(rewriter, loc, emitc::LValueType::get(elem), ptr,
                                    ValueRange{index});
}

struct LoadLowering : OpConversionPattern<memref::LoadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::LoadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value lv = elementLValue(op, adaptor.getMemref(), adaptor.getIndices(), rewriter,
                             *getTypeConverter());
    if (!lv)
      return rewriter.notifyMatchFailure(op, "dynamic strides");
    rewriter.replaceOpWithNewOp<emitc::LoadOp>(
        op, cast<emitc::LValueType>(lv.getType()).getValueType(), lv);
    return success();
  }
};

struct StoreLowering : OpConversionPattern<memref::StoreOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(memref::StoreOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value lv = elementLValue(op, adaptor.getMemref(), adaptor.getIndices(), rewriter,
                             *getTypeConverter());
    if (!lv)
      return rewriter.notifyMatchFailure(op, "dynamic strides");
    rewriter.replaceOpWithNewOp<emitc::AssignOp>(op, lv, adaptor.getValue());
    return success();
  }
};

/// The call of C99 <math.h>'s `fn` on f32 (`fn` + "f") or f64 operands
/// of type `t`; null for other types.
Value callMath(OpBuilder &b, Location loc, Type t, StringRef fn, ValueRange operands) {
  if (!t.isF32() && !t.isF64())
    return {};
  std::string name = t.isF32() ? (fn + "f").str() : fn.str();
  return emitc::CallOpaqueOp::create(b, loc, TypeRange{t}, name, operands).getResult(0);
}

/// A math op as a call of its C99 <math.h> function.
struct MathCallLowering : ConversionPattern {
  MathCallLowering(const TypeConverter &tc, MLIRContext *ctx, StringRef opName, StringRef fn)
      : ConversionPattern(tc, opName, 1, ctx), fn(fn.str()) {}
  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    Value r = callMath(rewriter, op->getLoc(), op->getResult(0).getType(), fn, operands);
    if (!r)
      return rewriter.notifyMatchFailure(op, "not f32/f64");
    rewriter.replaceOp(op, r);
    return success();
  }
  std::string fn;
};

/// math.rsqrt: 1 / sqrt(x).
struct RsqrtLowering : OpConversionPattern<math::RsqrtOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(math::RsqrtOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Type t = op.getType();
    Location loc = op.getLoc();
    Value s = callMath(rewriter, loc, t, "sqrt", adaptor.getOperand());
    if (!s)
      return failure();
    Value one = emitc::ConstantOp::create(rewriter, loc, t, rewriter.getFloatAttr(t, 1.0));
    rewriter.replaceOpWithNewOp<emitc::DivOp>(op, t, one, s);
    return success();
  }
};

/// arith.divui / arith.remui (upstream converts the signed forms): on
/// size_t directly, on other integers through their unsigned type.
template <typename ArithOp, typename EmitCOp>
struct UnsignedDivLowering : OpConversionPattern<ArithOp> {
  using OpConversionPattern<ArithOp>::OpConversionPattern;
  LogicalResult matchAndRewrite(ArithOp op, typename ArithOp::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Type t = this->getTypeConverter()->convertType(op.getType());
    if (!t)
      return failure();
    Location loc = op.getLoc();
    if (isa<emitc::SizeTType>(t)) {
      rewriter.replaceOpWithNewOp<EmitCOp>(op, t, adaptor.getLhs(), adaptor.getRhs());
      return success();
    }
    auto it = dyn_cast<IntegerType>(t);
    if (!it || it.getWidth() == 1)
      return failure();
    auto ut = IntegerType::get(op.getContext(), it.getWidth(), IntegerType::Unsigned);
    Value l = emitc::CastOp::create(rewriter, loc, ut, adaptor.getLhs());
    Value r = emitc::CastOp::create(rewriter, loc, ut, adaptor.getRhs());
    Value q = EmitCOp::create(rewriter, loc, ut, l, r);
    rewriter.replaceOpWithNewOp<emitc::CastOp>(op, t, q);
    return success();
  }
};

/// Constant memref.globals as `static const` 1-d arrays named weights_<i>
/// (upstream's names, `__constant_...`, are reserved identifiers in C).
LogicalResult lowerGlobals(ModuleOp m, const TypeConverter &tc) {
  OpBuilder b(m.getContext());
  unsigned index = 0;
  for (auto g : llvm::make_early_inc_range(m.getOps<memref::GlobalOp>())) {
    std::string name = "weights_" + std::to_string(index++);
    if (failed(SymbolTable::replaceAllSymbolUses(g, b.getStringAttr(name), m)))
      return failure();
    g.setSymName(name);
    MemRefType t = g.getType();
    auto init = dyn_cast_or_null<ElementsAttr>(g.getInitialValue().value_or(Attribute()));
    if (!g.getConstant() || !init || !t.hasStaticShape())
      return g.emitError() << "the C target has no mutable global state: global '"
                           << g.getSymName() << "' is not a constant with a value";
    auto [arrayType, ptr] = flatArray(t, tc);
    if (!arrayType)
      return g.emitError() << "global '" << g.getSymName() << "': element type "
                           << t.getElementType() << " has no C form";
    auto flat = RankedTensorType::get(arrayType.getShape(), t.getElementType());
    DenseElementsAttr value;
    if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
      value = t.getNumElements() ? dense.reshape(flat) : DenseElementsAttr::get(flat, b.getZeroAttr(t.getElementType()));
    } else if (auto res = dyn_cast<DenseResourceElementsAttr>(init)) {
      AsmResourceBlob *blob = res.getRawHandle().getBlob();
      if (!blob || t.getElementType().isInteger(1))
        return g.emitError() << "global '" << g.getSymName() << "': its weights are not readable";
      ArrayRef<char> data = blob->getData();
      bool splat = false;
      if (!DenseElementsAttr::isValidRawBuffer(flat, data, splat))
        return g.emitError() << "global '" << g.getSymName() << "': weights of the wrong size";
      value = DenseElementsAttr::getFromRawBuffer(flat, data);
    } else {
      return g.emitError() << "global '" << g.getSymName() << "': unsupported initial value";
    }
    b.setInsertionPoint(g);
    emitc::GlobalOp::create(b, g.getLoc(), g.getSymName(), arrayType, value,
                            /*externSpecifier=*/false, /*staticSpecifier=*/true,
                            /*constSpecifier=*/true);
    g.erase();
  }
  return success();
}

struct LowerToEmitCPass : kiln::c::impl::CLowerToEmitCBase<LowerToEmitCPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    MLIRContext *ctx = &getContext();
    // The arena's size function is the header's constant in C.
    if (auto arena = kiln::ArenaInfo::fromModule(m); arena && !arena->sizeFunction.empty())
      if (auto f = m.lookupSymbol<func::FuncOp>(arena->sizeFunction))
        f.erase();
    // The entry becomes a static function of the file (kiln_graph; the
    // artifact writer adds the exported <name>_run around it): a static
    // function called `main` is not valid C.
    FailureOr<func::FuncOp> entry = kiln::findEntryFunction(m);
    if (failed(entry))
      return signalPassFailure();
    if (failed(SymbolTable::replaceAllSymbolUses(*entry, StringAttr::get(ctx, kiln::c::kGraphFunction), m)))
      return signalPassFailure();
    entry->setSymName(kiln::c::kGraphFunction);

    TypeConverter tc;
    tc.addConversion([](Type t) -> std::optional<Type> {
      if (isa<MemRefType, IndexType>(t))
        return std::nullopt;
      return t;
    });
    populateEmitCSizeTTypeConversions(tc);
    tc.addConversion([](MemRefType t) -> std::optional<Type> {
      Type e = t.getElementType();
      if (isa<IndexType>(e))
        e = emitc::SizeTType::get(t.getContext());
      if (!isa<FloatType, IntegerType>(e) && !isa<emitc::SizeTType>(e))
        return std::nullopt;
      return emitc::PointerType::get(e);
    });
    // No heap: every buffer must be in the arena, an argument or a local.
    bool heap = false;
    m.walk([&](memref::AllocOp a) {
      a.emitError() << kiln::c::describeNode(a) << ": a buffer (" << a.getType()
                    << ") that the memory plan could not place in the arena (its size or "
                       "lifetime is known only while the model runs); the C target has no heap";
      heap = true;
    });
    if (heap)
      return signalPassFailure();
    if (failed(lowerGlobals(m, tc)))
      return signalPassFailure();

    ConversionTarget target(*ctx);
    target.addLegalDialect<emitc::EmitCDialect>();
    target.addLegalOp<ModuleOp>();
    RewritePatternSet patterns(ctx);
    populateArithToEmitCPatterns(tc, patterns);
    populateSCFToEmitCConversionPatterns(patterns, tc);
    populateFuncToEmitCPatterns(tc, patterns);
    patterns.add<ViewLowering, ReinterpretCastLowering, ExtractStridedMetadataLowering,
                 CastLowering, ReshapeLowering, CopyLowering, GetGlobalLowering, AllocaLowering, LoadLowering, StoreLowering,
                 RsqrtLowering, UnsignedDivLowering<arith::DivUIOp, emitc::DivOp>,
                 UnsignedDivLowering<arith::RemUIOp, emitc::RemOp>>(tc, ctx);
    static const std::pair<StringRef, StringRef> mathFns[] = {
        {"math.exp", "exp"},     {"math.exp2", "exp2"},   {"math.expm1", "expm1"},
        {"math.log", "log"},     {"math.log2", "log2"},   {"math.log10", "log10"},
        {"math.log1p", "log1p"}, {"math.sqrt", "sqrt"},   {"math.cbrt", "cbrt"},
        {"math.tanh", "tanh"},   {"math.sinh", "sinh"},   {"math.cosh", "cosh"},
        {"math.asinh", "asinh"}, {"math.acosh", "acosh"}, {"math.atanh", "atanh"},
        {"math.sin", "sin"},     {"math.cos", "cos"},     {"math.tan", "tan"},
        {"math.asin", "asin"},   {"math.acos", "acos"},   {"math.atan", "atan"},
        {"math.atan2", "atan2"}, {"math.erf", "erf"},     {"math.erfc", "erfc"},
        {"math.absf", "fabs"},   {"math.floor", "floor"}, {"math.ceil", "ceil"},
        {"math.round", "round"}, {"math.roundeven", "rint"}, {"math.trunc", "trunc"},
        {"math.powf", "pow"},    {"arith.remf", "fmod"},    {"math.fma", "fma"},     {"math.copysign", "copysign"}};
    for (auto [op, fn] : mathFns)
      patterns.add<MathCallLowering>(tc, ctx, op, fn);
    // (An op left unconverted has the conversion's message on it.)
    if (failed(applyFullConversion(m, target, std::move(patterns))))
      return signalPassFailure();
    // Dead code the conversion left (a reshape's shape operand, its global):
    // C compilers warn about unused variables and static constants.  In
    // reverse walk order every user comes before the ops that define its
    // operands, so one sweep removes whole dead chains.
    SmallVector<Operation *> ops;
    m.walk([&](Operation *op) { ops.push_back(op); });
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty() && op->getNumResults() > 0 &&
          isa<emitc::ConstantOp, emitc::GetGlobalOp, emitc::CastOp, emitc::ApplyOp,
              emitc::SubscriptOp, emitc::LoadOp, emitc::AddOp, emitc::SubOp, emitc::MulOp>(op))
        op->erase();
    for (auto g : llvm::make_early_inc_range(m.getOps<emitc::GlobalOp>()))
      if (SymbolTable::symbolKnownUseEmpty(g, m))
        g.erase();
    // Every function is internal to the file; the writer's <name>_run is
    // the one it exports.  An argument the code never reads (an input whose
    // values do not matter, e.g. EyeLike's) is cast to void: -Wextra warns
    // about unused parameters.
    for (auto f : m.getOps<emitc::FuncOp>()) {
      f.setSpecifiersAttr(ArrayAttr::get(ctx, {StringAttr::get(ctx, "static")}));
      if (f.isExternal())
        continue;
      OpBuilder b = OpBuilder::atBlockBegin(&f.getBody().front());
      for (BlockArgument a : f.getArguments())
        if (a.use_empty())
          emitc::VerbatimOp::create(b, f.getLoc(), b.getStringAttr("(void){};"), ValueRange{a});
    }
  }
};
} // namespace
