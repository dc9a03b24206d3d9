//===- ConstantUtils.cpp - reading and writing nn constants ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

/// The constant behind `v`, looking through row-major reshapes (which keep
/// the element order).
static arith::ConstantOp constantBehind(Value v) {
  for (int depth = 0; v && depth < 8; ++depth) {
    if (auto r = v.getDefiningOp<kiln::nn::ReshapeOp>()) {
      if (r.getShape())
        return nullptr;
      v = r.getInput();
      continue;
    }
    return v.getDefiningOp<arith::ConstantOp>();
  }
  return nullptr;
}

/// The elements of the constant behind `v` (constantBehind) whose element
/// type `isType` accepts, as T, in row-major order: dense, splat or a
/// resource blob of at least sizeof(T) bytes per element.
template <typename T>
static bool readConstant(Value v, function_ref<bool(Type)> isType, SmallVectorImpl<T> &out) {
  auto c = constantBehind(v);
  if (!c)
    return false;
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || !isType(type.getElementType()) || !type.hasStaticShape())
    return false;
  int64_t n = type.getNumElements();
  if (auto d = dyn_cast<DenseElementsAttr>(c.getValue())) {
    out.reserve(out.size() + n);
    if (d.isSplat()) {
      out.append(n, d.getSplatValue<T>());
      return true;
    }
    for (T x : d.getValues<T>())
      out.push_back(x);
    return true;
  }
  if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = r.getRawHandle().getBlob();
    if (!blob || (int64_t)blob->getData().size() < int64_t(sizeof(T)) * n)
      return false;
    size_t old = out.size();
    out.resize(old + n);
    std::memcpy(out.data() + old, blob->getData().data(), sizeof(T) * n);
    return true;
  }
  return false;
}

bool kiln::readF32Constant(Value v, SmallVectorImpl<float> &out) {
  return readConstant<float>(v, [](Type t) { return t.isF32(); }, out);
}

bool kiln::isFloatSplatConstant(Value v, double &value) {
  auto c = constantBehind(v);
  if (!c || !isa<FloatType>(getElementTypeOrSelf(c.getType())))
    return false;
  if (auto d = dyn_cast<DenseFPElementsAttr>(c.getValue())) {
    if (d.isSplat()) {
      value = d.getSplatValue<APFloat>().convertToDouble();
      return true;
    }
    APFloat first = *d.value_begin<APFloat>();
    for (APFloat f : d.getValues<APFloat>())
      if (f.bitwiseIsEqual(first) == false)
        return false;
    value = first.convertToDouble();
    return true;
  }
  SmallVector<float> vals;
  if (!readF32Constant(c.getResult(), vals) || vals.empty())
    return false;
  for (float f : vals)
    if (std::memcmp(&f, &vals[0], 4) != 0)
      return false;
  value = vals[0];
  return true;
}

/// A constant of `type` holding `values`: a dense attribute up to
/// `maxDense` elements, else a resource blob named after `blobName`.
template <typename T>
static Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<T> values, StringRef blobName,
                          size_t maxDense) {
  assert(type.getNumElements() == (int64_t)values.size());
  if (values.size() <= maxDense)
    return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, values));
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(values);
  auto attr = DenseResourceElementsAttr::get(type, blobName, std::move(blob));
  return arith::ConstantOp::create(b, loc, type, attr);
}

Value kiln::makeF32Constant(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<float> values,
                            StringRef blobName) {
  assert(type.getElementType().isF32());
  return makeConstant(b, loc, type, values, blobName, 16);
}

Value kiln::makeI64Constant(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<int64_t> values,
                            StringRef blobName) {
  assert(type.getElementType().isInteger(64));
  return makeConstant(b, loc, type, values, blobName, 16);
}

bool kiln::readI8Constant(Value v, SmallVectorImpl<int8_t> &out) {
  return readConstant<int8_t>(v, [](Type t) { return t.isInteger(8); }, out);
}

Value kiln::makeI8Constant(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<int8_t> values,
                           StringRef blobName) {
  assert(type.getElementType().isInteger(8));
  return makeConstant(b, loc, type, values, blobName, 64);
}

void kiln::eraseDeadConstants(Operation *root) {
  for (;;) {
    SmallVector<Operation *> dead;
    root->walk([&](Operation *op) {
      if (op != root && op->use_empty() && isa<arith::ConstantOp, kiln::nn::ReshapeOp>(op))
        dead.push_back(op);
    });
    if (dead.empty())
      return;
    for (Operation *op : dead)
      op->erase();
  }
}

void kiln::releaseUnreferencedBlobs(Operation *root) {
  llvm::DenseSet<const void *> live;
  root->walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr a) {
      live.insert(a.getRawHandle().getResource());
    });
  });
  auto &manager = DenseResourceElementsHandle::getManagerInterface(root->getContext()).getBlobManager();
  SmallVector<std::string> dead;
  manager.getBlobMap([&](const llvm::StringMap<DialectResourceBlobManager::BlobEntry> &map) {
    for (const auto &entry : map)
      if (entry.second.getBlob() && !live.contains(&entry.second))
        dead.push_back(entry.first().str());
  });
  for (const std::string &key : dead)
    manager.update(key, AsmResourceBlob());
}

Value kiln::makeF32MatmulWeight(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<float> values,
                                StringRef blobName) {
  int64_t r = type.getRank();
  if (r <= 2 || llvm::any_of(type.getShape().drop_back(2), [](int64_t d) { return d != 1; }))
    return makeF32Constant(b, loc, type, values, blobName);
  auto flat = RankedTensorType::get(type.getShape().take_back(2), type.getElementType());
  Value c = makeF32Constant(b, loc, flat, values, blobName);
  return kiln::nn::ReshapeOp::create(b, loc, type, c, Value());
}

int64_t kiln::outputChannelDim(Operation *layer, RankedTensorType rt) {
  return isa<nn::MatmulOp, nn::QMatmulOp>(layer) ? rt.getRank() - 1 : 1;
}

bool kiln::readChannelConstant(Value c, RankedTensorType rt, int64_t cd, int64_t F,
                               SmallVectorImpl<double> &out) {
  auto ct = dyn_cast<RankedTensorType>(c.getType());
  if (!ct || !ct.getElementType().isF32() || ct.getRank() != rt.getRank())
    return false;
  for (int64_t d = 0; d < ct.getRank(); ++d)
    if (ct.getDimSize(d) != 1 && !(d == cd && ct.getDimSize(d) == F))
      return false; // varies along another dim (or dynamic)
  SmallVector<float> vals;
  if (!readF32Constant(c, vals) || vals.empty())
    return false;
  out.clear();
  for (int64_t f = 0; f < F; ++f)
    out.push_back(vals.size() == 1 ? vals[0] : vals[f]);
  return true;
}

Value kiln::layerBias(Operation *layer) {
  if (auto c = dyn_cast<nn::ConvOp>(layer))
    return c.getBias();
  if (auto c = dyn_cast<nn::ConvTransposeOp>(layer))
    return c.getBias();
  if (auto c = dyn_cast<nn::QConvOp>(layer))
    return c.getBias();
  if (auto m = dyn_cast<nn::QMatmulOp>(layer))
    return m.getBias();
  return cast<nn::MatmulOp>(layer).getBias();
}

bool kiln::readLayerBias(Operation *layer, int64_t F, SmallVectorImpl<float> &bias) {
  Value b = layerBias(layer);
  if (!b) {
    bias.assign(F, 0.0f);
    return true;
  }
  return readF32Constant(b, bias) && (int64_t)bias.size() == F;
}

int64_t kiln::staticNumElements(ShapedType t) {
  return t.hasStaticShape() ? t.getNumElements() : -1;
}
