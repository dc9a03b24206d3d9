//===- ONNXImporter.cpp - .onnx (protobuf) -> onnx dialect ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Parses a ModelProto, checks the opset, adapts older operator versions to
// the form of the onnx dialect, turns initializers into constants (large
// ones as dense_resource blobs that take over the protobuf's bytes), infers
// shapes node by node and builds one `func.func`.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNXImporter.h"
#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Support/NodeLocation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <google/protobuf/io/coded_stream.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <deque>

using namespace mlir;
using kiln::ImportOptions;

namespace {

/// Integers are signless in MLIR: a constant of an unsigned ONNX type keeps
/// its TensorProto.DataType in `kiln.dtype` (read by the onnx -> nn
/// conversion, which picks unsigned division, comparison and casts).
void markUnsigned(Operation *op, int32_t dataType) {
  if (dataType == ::onnx::TensorProto::UINT8 || dataType == ::onnx::TensorProto::UINT16 ||
      dataType == ::onnx::TensorProto::UINT32 || dataType == ::onnx::TensorProto::UINT64)
    op->setAttr("kiln.dtype", IntegerAttr::get(IntegerType::get(op->getContext(), 32), dataType));
}

class Importer {
public:
  Importer(MLIRContext *ctx, StringRef displayName, StringRef modelDir,
           const ImportOptions &opts)
      : ctx(ctx), b(ctx), displayName(displayName.str()),
        modelDir(modelDir.str()), opts(opts) {}

  OwningOpRef<ModuleOp> run(StringRef bytes);

private:
  MLIRContext *ctx;
  OpBuilder b;
  std::string displayName, modelDir;
  const ImportOptions &opts;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  llvm::StringMap<int32_t> onnxDtypes; // ONNX data type of values, where declared
  llvm::StringMap<std::string> nodeTypes; // node name -> op type (recordNodeTypes)
  // The ONNX operators the onnx dialect imports, and their facts (ODS).
  llvm::StringMap<kiln::onnx::ONNXOperatorInfo> operators;
  uint64_t modelBytes = 0; // the .onnx bytes plus the external data read so far
  Location fileLoc() { return FileLineColLoc::get(ctx, displayName, 0, 0); }
  InFlightDiagnostic error(const Twine &msg) {
    return emitError(fileLoc()) << msg;
  }
  Location nodeLoc(const ::onnx::NodeProto &node, size_t index) {
    std::string name = node.name().empty()
                           ? (node.op_type() + "_" + std::to_string(index))
                           : node.name();
    return NameLoc::get(StringAttr::get(ctx, name), fileLoc());
  }

  FailureOr<Type> convertType(const ::onnx::TypeProto &t, StringRef what);
  FailureOr<Type> fixInputShape(RankedTensorType declared, StringRef name,
                                ArrayRef<int64_t> dims);
  LogicalResult checkTensorBytes(StringRef what, ArrayRef<int64_t> dims, Type elem);
  FailureOr<std::unique_ptr<llvm::MemoryBuffer>> readExternalData(const ::onnx::TensorProto &t);
  FailureOr<ElementsAttr> convertTensor(::onnx::TensorProto &t, bool allowResource);
  FailureOr<Attribute> convertAttribute(const ::onnx::AttributeProto &a,
                                        const ::onnx::NodeProto &node);
  LogicalResult importNode(::onnx::NodeProto &node, size_t index);
  LogicalResult checkAgainstSchema(const ::onnx::NodeProto &node,
                                   function_ref<InFlightDiagnostic()> nodeError);
  LogicalResult checkNodeDomains(const ::onnx::GraphProto &g, int depth);
  LogicalResult importNodesInOrder(::onnx::GraphProto &g, Location errLoc, StringRef nodePrefix,
                                   StringRef cycleMessage);
  // Subgraphs (If / Loop / Scan bodies): nesting depth and import.
  int subgraphDepth = 0;
  LogicalResult importSubgraph(::onnx::GraphProto &g, Region &region, ArrayRef<Type> argTypes,
                               Location loc, StringRef nodeDesc);
  LogicalResult importControlFlow(::onnx::NodeProto &node, Location loc, StringRef nodeDesc,
                                  SmallVectorImpl<Value> &operands, int numResults);
  Value constI64(Location loc, ArrayRef<int64_t> vals, bool scalar = false);
  Value constF32Scalar(Location loc, float v, Type elem);
  Value noValue(Location loc) {
    return kiln::onnx::NoValueOp::create(b, loc, NoneType::get(ctx)).getResult();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

FailureOr<Type> Importer::convertType(const ::onnx::TypeProto &t, StringRef what) {
  if (!t.has_tensor_type()) {
    error("value '") << what << "' is not a tensor (sequence, map and optional "
                     "types are not supported)";
    return failure();
  }
  const auto &tt = t.tensor_type();
  Type elem = kiln::onnx::getElementTypeForONNXType(ctx, tt.elem_type());
  if (!elem) {
    error("value '") << what << "' has unsupported element type "
                     << tt.elem_type() << " (ONNX TensorProto.DataType)";
    return failure();
  }
  if (!tt.has_shape()) {
    error("value '") << what << "' has no shape; Kiln needs at least the rank of every graph input";
    return failure();
  }
  SmallVector<int64_t> dims;
  for (const auto &d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        error("value '") << what << "' has negative dimension " << d.dim_value();
        return failure();
      }
      dims.push_back(d.dim_value());
    } else {
      dims.push_back(ShapedType::kDynamic);
    }
  }
  SmallVector<int64_t> staticDims;
  for (int64_t d : dims)
    if (!ShapedType::isDynamic(d))
      staticDims.push_back(d);
  if (failed(checkTensorBytes(("value '" + what + "'").str(), staticDims, elem)))
    return failure();
  return Type(RankedTensorType::get(dims, elem));
}

/// The type of graph input `name` declared as `declared`, with the static
/// shape `dims` given for it (ImportOptions::inputShapes).
FailureOr<Type> Importer::fixInputShape(RankedTensorType declared, StringRef name,
                                        ArrayRef<int64_t> dims) {
  auto flag = [&] {
    std::string s = "--input-shape " + name.str() + "=";
    llvm::raw_string_ostream os(s);
    llvm::interleave(dims, os, ",");
    return s;
  };
  if (int64_t(dims.size()) != declared.getRank()) {
    error(flag()) << ": graph input '" << name << "' has rank " << declared.getRank() << " ("
                  << declared << "), not " << dims.size();
    return failure();
  }
  for (auto [i, d] : llvm::enumerate(dims)) {
    int64_t old = declared.getDimSize(i);
    if (d < 1) {
      error(flag()) << ": dimension sizes must be positive";
      return failure();
    }
    if (!ShapedType::isDynamic(old) && old != d) {
      error(flag()) << ": dimension " << i << " of graph input '" << name << "' is " << old
                    << " in the model (" << declared << "), not " << d;
      return failure();
    }
  }
  if (failed(checkTensorBytes(("graph input '" + name + "'").str(), dims,
                              declared.getElementType())))
    return failure();
  return Type(RankedTensorType::get(dims, declared.getElementType()));
}

/// Whether a value of type `actual` fits the type `declared` for it in the
/// model: the same element type and compatible shapes.
static bool matchesDeclared(Type declared, Type actual) {
  return succeeded(verifyCompatibleShape(declared, actual)) &&
         getElementTypeOrSelf(declared) == getElementTypeOrSelf(actual);
}

static int64_t elementBytes(Type elem) {
  unsigned bits = elem.getIntOrFloatBitWidth();
  return bits == 1 ? 1 : bits / 8;
}

/// Refuses a tensor whose size overflows or exceeds the tensor size limit
/// (for a declared type: the product of its static dims).
LogicalResult Importer::checkTensorBytes(StringRef what, ArrayRef<int64_t> dims, Type elem) {
  uint64_t bytes = elementBytes(elem);
  bool overflow = false;
  for (int64_t d : dims) {
    if (d < 0) {
      error(what) << " has negative dimension " << d;
      return failure();
    }
    overflow |= __builtin_mul_overflow(bytes, uint64_t(d), &bytes);
  }
  if (overflow || bytes > opts.limits.maxTensorBytes) {
    auto diag = error(what) << " of shape [" << llvm::make_range(dims.begin(), dims.end())
                            << "] and type " << elem << " needs ";
    if (overflow)
      diag << "more than 2^64 bytes";
    else
      diag << bytes << " bytes";
    diag << ", more than the tensor size limit of " << opts.limits.maxTensorBytes
         << " bytes (kiln-compile --max-tensor-size)";
    return failure();
  }
  return success();
}

/// Reads the external data of `t` (ONNX external data: keys location,
/// offset, length).  The location must be a relative path that stays inside
/// the model's folder, also after resolving symbolic links.
FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
Importer::readExternalData(const ::onnx::TensorProto &t) {
  const std::string &name = t.name();
  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      uint64_t v;
      if (StringRef(kv.value()).getAsInteger(10, v)) {
        error("tensor '") << name << "': external data " << kv.key() << " '" << kv.value()
                          << "' is not a non-negative integer";
        return failure();
      }
      (kv.key() == "offset" ? offset : length) = v;
      hasLength |= kv.key() == "length";
    }
  }
  if (modelDir.empty()) {
    error("tensor '") << name << "' uses external data, which needs a model file path";
    return failure();
  }
  bool escapes = location.empty() || llvm::sys::path::is_absolute(location);
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location);
       it != e && !escapes; ++it)
    escapes = *it == "..";
  if (escapes) {
    error("tensor '") << name << "': external data location '" << location
                      << "' must be a relative path inside the model's folder";
    return failure();
  }
  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  SmallString<256> real, realDir;
  if (llvm::sys::fs::real_path(path, real) || llvm::sys::fs::real_path(modelDir, realDir)) {
    error("tensor '") << name << "': external data file '" << location << "' does not exist";
    return failure();
  }
  realDir += llvm::sys::path::get_separator();
  if (!StringRef(real).starts_with(realDir)) {
    error("tensor '") << name << "': external data file '" << location
                      << "' resolves to '" << real << "', outside the model's folder";
    return failure();
  }
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(real, size)) {
    error("tensor '") << name << "': cannot read external data '" << location
                      << "': " << ec.message();
    return failure();
  }
  if (!hasLength)
    length = offset <= size ? size - offset : 0;
  if (offset > size || length > size - offset) {
    error("tensor '") << name << "': external data '" << location << "' is shorter ("
                      << size << " bytes) than offset " << offset << " + length " << length;
    return failure();
  }
  if (length > opts.limits.maxTensorBytes) {
    error("tensor '") << name << "': external data of " << length
                      << " bytes exceeds the tensor size limit of "
                      << opts.limits.maxTensorBytes << " bytes (kiln-compile --max-tensor-size)";
    return failure();
  }
  modelBytes += length;
  if (modelBytes > opts.limits.maxModelBytes) {
    error("the model with its external data (") << modelBytes
        << " bytes read so far) exceeds the model size limit of " << opts.limits.maxModelBytes
        << " bytes (kiln-compile --max-model-size)";
    return failure();
  }
  auto buf = llvm::MemoryBuffer::getFileSlice(real, length, offset, /*IsVolatile=*/false);
  if (!buf) {
    error("tensor '") << name << "': cannot read external data '" << location
                      << "': " << buf.getError().message();
    return failure();
  }
  return std::move(*buf);
}

FailureOr<ElementsAttr> Importer::convertTensor(::onnx::TensorProto &t, bool allowResource) {
  std::string name = t.name();
  Type elem = kiln::onnx::getElementTypeForONNXType(ctx, t.data_type());
  if (!elem) {
    error("tensor '") << name << "' has unsupported data type " << t.data_type();
    return failure();
  }
  SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (failed(checkTensorBytes(("tensor '" + name + "'"), dims, elem)))
    return failure();
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d; // no overflow: checked above
  auto type = RankedTensorType::get(dims, elem);
  int64_t elemBytes = elementBytes(elem);

  // Gather the bytes (little endian, one element after another) and keep
  // whatever holds them: the mapped external file, the protobuf's raw_data
  // string (moved out of the message), or the decoded typed fields.
  StringRef bytes;
  std::shared_ptr<void> owner;
  if (t.data_location() == ::onnx::TensorProto::EXTERNAL) {
    auto file = readExternalData(t);
    if (failed(file))
      return failure();
    bytes = (*file)->getBuffer();
    owner = std::shared_ptr<llvm::MemoryBuffer>(std::move(*file));
  } else if (t.has_raw_data()) {
    auto str = std::make_shared<std::string>(std::move(*t.mutable_raw_data()));
    bytes = *str;
    owner = std::move(str);
  } else {
    auto str = std::make_shared<std::string>();
    std::string &s = *str;
    auto put = [&](const void *p, size_t k) { s.append(static_cast<const char *>(p), k); };
    switch (t.data_type()) {
    case ::onnx::TensorProto::FLOAT:
      for (float v : t.float_data()) put(&v, 4);
      break;
    case ::onnx::TensorProto::DOUBLE:
      for (double v : t.double_data()) put(&v, 8);
      break;
    case ::onnx::TensorProto::INT64:
      for (int64_t v : t.int64_data()) put(&v, 8);
      break;
    case ::onnx::TensorProto::UINT64:
      for (uint64_t v : t.uint64_data()) put(&v, 8);
      break;
    case ::onnx::TensorProto::UINT32:
      for (uint64_t v : t.uint64_data()) { uint32_t x = v; put(&x, 4); }
      break;
    default:
      for (int32_t v : t.int32_data()) {
        if (elemBytes == 4) put(&v, 4);
        else if (elemBytes == 2) { uint16_t x = v; put(&x, 2); }
        else { uint8_t x = v; put(&x, 1); }
      }
    }
    bytes = s;
    owner = std::move(str);
  }
  if ((int64_t)bytes.size() != n * elemBytes) {
    error("tensor '") << name << "' of shape [" << llvm::make_range(dims.begin(), dims.end())
                      << "] and type " << elem << " needs " << n * elemBytes
                      << " bytes of data but has " << bytes.size();
    return failure();
  }

  if (elem.isInteger(1)) {
    SmallVector<bool> vals;
    for (char c : bytes) vals.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, vals));
  }
  ArrayRef<char> data(bytes.data(), bytes.size());
  if (!allowResource || n < opts.resourceThreshold)
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, data));
  // A blob that takes over the storage: no copy (an external file stays
  // mapped and is read on demand).
  std::string blobName = "onnx_" + (name.empty() ? std::string("const") : name);
  for (char &c : blobName)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  size_t align = std::min<size_t>(8, std::max<int64_t>(1, elemBytes));
  if (reinterpret_cast<uintptr_t>(data.data()) % align != 0) // an odd external offset
    return ElementsAttr(DenseResourceElementsAttr::get(
        type, blobName, HeapAsmResourceBlob::allocateAndCopyWithAlign(data, align)));
  AsmResourceBlob blob(data, align,
                       [owner = std::move(owner)](void *, size_t, size_t) mutable { owner.reset(); },
                       /*dataIsMutable=*/false);
  return ElementsAttr(DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

FailureOr<Attribute> Importer::convertAttribute(const ::onnx::AttributeProto &a,
                                                const ::onnx::NodeProto &node) {
  switch (a.type()) {
  case ::onnx::AttributeProto::INT:
    return Attribute(b.getI64IntegerAttr(a.i()));
  case ::onnx::AttributeProto::FLOAT:
    return Attribute(b.getF32FloatAttr(a.f()));
  case ::onnx::AttributeProto::STRING:
    return Attribute(b.getStringAttr(a.s()));
  case ::onnx::AttributeProto::INTS: {
    SmallVector<Attribute> v;
    for (int64_t x : a.ints()) v.push_back(b.getI64IntegerAttr(x));
    return Attribute(b.getArrayAttr(v));
  }
  case ::onnx::AttributeProto::FLOATS: {
    SmallVector<Attribute> v;
    for (float x : a.floats()) v.push_back(b.getF32FloatAttr(x));
    return Attribute(b.getArrayAttr(v));
  }
  case ::onnx::AttributeProto::TENSOR: {
    ::onnx::TensorProto t = a.t();
    auto e = convertTensor(t, /*allowResource=*/true);
    if (failed(e)) return failure();
    return Attribute(*e);
  }
  default:
    error("node '") << node.name() << "' (" << node.op_type() << "): attribute '"
                    << a.name() << "' has unsupported attribute type " << a.type();
    return failure();
  }
}

Value Importer::constI64(Location loc, ArrayRef<int64_t> vals, bool scalar) {
  auto type = RankedTensorType::get(scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)vals.size()},
                                    b.getI64Type());
  auto op = kiln::onnx::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, vals));
  return op.getResult();
}

Value Importer::constF32Scalar(Location loc, float v, Type elem) {
  auto type = RankedTensorType::get({}, elem);
  Attribute a = isa<FloatType>(elem) ? Attribute(b.getFloatAttr(elem, v))
                                     : Attribute(b.getIntegerAttr(elem, (int64_t)v));
  return kiln::onnx::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, a)).getResult();
}

//===----------------------------------------------------------------------===//
// Subgraphs (If / Loop / Scan)
//===----------------------------------------------------------------------===//

/// Names that the nodes of `g` (and of its own subgraphs) use but that `g`
/// does not define: values of the enclosing graphs.
static void outerReferences(const ::onnx::GraphProto &g, llvm::StringSet<> defined,
                            std::vector<std::string> &out, int depth, int maxDepth) {
  if (depth > maxDepth)
    return; // reported when the subgraph is imported
  for (const auto &in : g.input())
    defined.insert(in.name());
  for (const auto &init : g.initializer())
    defined.insert(init.name());
  for (const auto &n : g.node())
    for (const std::string &o : n.output())
      defined.insert(o);
  for (const auto &n : g.node()) {
    for (const std::string &in : n.input())
      if (!in.empty() && !defined.contains(in))
        out.push_back(in);
    for (const auto &a : n.attribute()) {
      if (a.has_g())
        outerReferences(a.g(), defined, out, depth + 1, maxDepth);
      for (const auto &sg : a.graphs())
        outerReferences(sg, defined, out, depth + 1, maxDepth);
    }
  }
}

/// The values a node needs before it can be imported: its inputs and the
/// outer-scope values its subgraphs use.
static std::vector<std::string> nodeDependencies(const ::onnx::NodeProto &n, int maxDepth) {
  std::vector<std::string> deps(n.input().begin(), n.input().end());
  for (const auto &a : n.attribute()) {
    if (a.has_g())
      outerReferences(a.g(), {}, deps, 1, maxDepth);
    for (const auto &sg : a.graphs())
      outerReferences(sg, {}, deps, 1, maxDepth);
  }
  return deps;
}

/// Imports the nodes of `g` in topological order.  A node's dependencies
/// (inputs and the outer-scope values its subgraphs use) are produced by a
/// node of `g` or are already in `values` (graph inputs, initializers, values
/// of enclosing graphs); an output name may be defined only once.  Errors are
/// reported at `errLoc`, node errors prefixed with `nodePrefix`; a cycle
/// reports `cycleMessage`, or, when it is empty, the first node on it.
LogicalResult Importer::importNodesInOrder(::onnx::GraphProto &g, Location errLoc,
                                           StringRef nodePrefix, StringRef cycleMessage) {
  auto nodeError = [&](const ::onnx::NodeProto &n) {
    return emitError(errLoc) << nodePrefix << "node '" << n.name() << "' (" << n.op_type() << "): ";
  };
  int numNodes = g.node_size();
  llvm::StringMap<int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &out : g.node(i).output())
      if (!out.empty()) {
        if (producer.count(out) || values.count(out))
          return nodeError(g.node(i)) << "output '" << out << "' is already defined (names must be unique)";
        producer[out] = i;
      }
  std::vector<int> pending(numNodes, 0);
  std::vector<std::vector<int>> users(numNodes);
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &in : nodeDependencies(g.node(i), opts.limits.maxSubgraphDepth)) {
      if (in.empty() || values.count(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return nodeError(g.node(i)) << "input '" << in
                                    << "' is not produced by any node, graph input or initializer";
      ++pending[i];
      users[it->second].push_back(i);
    }
  std::deque<int> ready;
  for (int i = 0; i < numNodes; ++i)
    if (pending[i] == 0)
      ready.push_back(i);
  int done = 0;
  while (!ready.empty()) {
    int i = ready.front();
    ready.pop_front();
    if (failed(importNode(*g.mutable_node(i), i)))
      return failure();
    ++done;
    for (int u : users[i])
      if (--pending[u] == 0)
        ready.push_back(u);
  }
  if (done == numNodes)
    return success();
  if (!cycleMessage.empty())
    return emitError(errLoc) << cycleMessage;
  const auto &n = g.node(llvm::find_if(pending, [](int p) { return p > 0; }) - pending.begin());
  return emitError(errLoc) << "the graph has a cycle: node '" << n.name() << "' (" << n.op_type()
                           << ") depends on its own outputs";
}

LogicalResult Importer::importSubgraph(::onnx::GraphProto &g, Region &region,
                                       ArrayRef<Type> argTypes, Location loc,
                                       StringRef nodeDesc) {
  if (subgraphDepth >= opts.limits.maxSubgraphDepth)
    return emitError(loc) << nodeDesc << ": subgraphs are nested more than "
                          << opts.limits.maxSubgraphDepth
                          << " levels deep (kiln-compile --max-subgraph-depth)";
  if (g.input_size() != (int)argTypes.size())
    return emitError(loc) << nodeDesc << ": subgraph '" << g.name() << "' has " << g.input_size()
                          << " inputs, expected " << argTypes.size();
  // Outer-scope values stay visible; the subgraph's names are dropped again
  // when it is done.
  llvm::StringMap<Value> saved = values;
  ++subgraphDepth;
  llvm::scope_exit restore([&] {
    values = std::move(saved);
    --subgraphDepth;
  });
  OpBuilder::InsertionGuard guard(b);
  Block *block = new Block();
  region.push_back(block);
  b.setInsertionPointToStart(block);
  for (auto [i, in] : llvm::enumerate(g.input())) {
    Type t = argTypes[i];
    // A declared type must agree with what the node passes in.
    if (in.has_type() && in.type().has_tensor_type() && in.type().tensor_type().elem_type() &&
        in.type().tensor_type().has_shape()) {
      auto declared = convertType(in.type(), in.name());
      if (failed(declared))
        return failure();
      auto d = cast<RankedTensorType>(*declared), a = cast<RankedTensorType>(t);
      if (d.getElementType() != a.getElementType() || d.getRank() != a.getRank())
        return emitError(loc) << nodeDesc << ": subgraph input '" << in.name()
                              << "' is declared as " << d << " but receives " << a;
    }
    values[in.name()] = block->addArgument(t, loc);
  }
  for (const auto &init0 : g.initializer()) {
    ::onnx::TensorProto init = init0; // the subgraph may be imported again
    auto attr = convertTensor(init, /*allowResource=*/false);
    if (failed(attr))
      return failure();
    auto type = RankedTensorType::get(cast<ShapedType>(attr->getType()).getShape(),
                                      attr->getElementType());
    values[init.name()] = kiln::onnx::ConstantOp::create(
        b, NameLoc::get(b.getStringAttr(init.name()), fileLoc()), type, *attr);
  }
  // Nodes in topological order (as for the main graph).
  std::string sub = (nodeDesc + ": subgraph '" + g.name() + "'").str();
  if (failed(importNodesInOrder(g, loc, sub + ": ", sub + " has a cycle")))
    return failure();
  SmallVector<Value> results;
  for (const auto &out : g.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return emitError(loc) << nodeDesc << ": subgraph output '" << out.name()
                            << "' is not produced by any node";
    results.push_back(it->second);
  }
  kiln::onnx::YieldOp::create(b, loc, results);
  return success();
}

LogicalResult Importer::importControlFlow(::onnx::NodeProto &node, Location loc,
                                          StringRef nodeDesc, SmallVectorImpl<Value> &operands,
                                          int numResults) {
  std::string opType = node.op_type();
  auto nodeError = [&]() { return emitError(loc) << nodeDesc << ": "; };
  llvm::StringMap<::onnx::AttributeProto *> graphs;
  SmallVector<NamedAttribute> attrs;
  for (auto &a : *node.mutable_attribute()) {
    if (a.type() == ::onnx::AttributeProto::GRAPH) {
      graphs[a.name()] = &a;
      continue;
    }
    if (opType == "Scan" && a.name() == "directions") // opset 8 name
      continue;
    auto attr = convertAttribute(a, node);
    if (failed(attr))
      return failure();
    attrs.push_back(b.getNamedAttr(a.name(), *attr));
  }
  auto graphAttr = [&](StringRef name) -> ::onnx::GraphProto * {
    auto it = graphs.find(name);
    return it == graphs.end() ? nullptr : it->second->mutable_g();
  };
  auto scalarType = [&](Type e) { return RankedTensorType::get({}, e); };
  auto typesOf = [](ValueRange vs) { return SmallVector<Type>(vs.getTypes()); };
  auto build = [&](ArrayRef<Value> ops, unsigned numRegions) {
    OperationState state(loc, "onnx." + opType);
    state.addOperands(ops);
    state.addAttributes(attrs);
    for (int i = 0; i < numResults; ++i)
      state.addTypes(UnrankedTensorType::get(b.getF32Type()));
    for (unsigned i = 0; i < numRegions; ++i)
      state.addRegion();
    return b.create(state);
  };
  auto finish = [&](Operation *op, ArrayRef<Value> results) -> LogicalResult {
    for (int i = 0; i < numResults; ++i) {
      const std::string &outName = node.output(i);
      if (outName.empty())
        continue;
      if (values.count(outName))
        return nodeError() << "output '" << outName << "' is already defined (names must be unique)";
      values[outName] = results[i];
    }
    return success();
  };
  auto verifyAndInfer = [&](Operation *op) -> LogicalResult {
    if (failed(mlir::verify(op, /*verifyRecursively=*/false)) ||
        failed(kiln::onnx::inferShapes(op))) {
      op->erase();
      return failure();
    }
    return success();
  };
  for (Value v : operands)
    if (!isa<RankedTensorType, NoneType>(v.getType()))
      return nodeError() << "inputs must be ranked tensors";

  if (opType == "If") {
    ::onnx::GraphProto *thenG = graphAttr("then_branch"), *elseG = graphAttr("else_branch");
    if (!thenG || !elseG || operands.size() != 1)
      return nodeError() << "needs one input (cond) and the then_branch and else_branch graphs";
    Operation *op = build(operands, 2);
    if (failed(importSubgraph(*thenG, op->getRegion(0), {}, loc, nodeDesc)) ||
        failed(importSubgraph(*elseG, op->getRegion(1), {}, loc, nodeDesc))) {
      op->erase();
      return failure();
    }
    if (failed(verifyAndInfer(op)))
      return failure();
    return finish(op, SmallVector<Value>(op->getResults()));
  }

  if (opType == "Loop") {
    ::onnx::GraphProto *body = graphAttr("body");
    if (!body || operands.size() < 2)
      return nodeError() << "needs the inputs M and cond (possibly empty) and a body graph";
    for (int i = 0; i < 2; ++i)
      if (auto t = dyn_cast<RankedTensorType>(operands[i].getType());
          t && (t.getNumElements() != 1 ||
                !t.getElementType().isInteger(i == 0 ? 64 : 1)))
        return nodeError() << (i == 0 ? "M must be a single int64" : "cond must be a single bool");
    // Loop-carried values may change their shape from one iteration to the
    // next: import the body, widen the types of the values that changed to
    // `?` dims and import it again (at most once per dim).
    SmallVector<Type> carried = typesOf(ValueRange(operands).drop_front(2));
    for (int attempt = 0;; ++attempt) {
      SmallVector<Type> argTypes{scalarType(b.getI64Type()), scalarType(b.getI1Type())};
      argTypes.append(carried);
      Operation *op = build(operands, 1);
      if (failed(importSubgraph(*body, op->getRegion(0), argTypes, loc, nodeDesc))) {
        op->erase();
        return failure();
      }
      Operation *yield = &op->getRegion(0).front().back();
      bool changed = false;
      if (yield->getNumOperands() >= carried.size() + 1) {
        for (auto [i, t] : llvm::enumerate(carried)) {
          auto a = dyn_cast<RankedTensorType>(t);
          auto y = dyn_cast<RankedTensorType>(yield->getOperand(i + 1).getType());
          if (!a || !y || a.getRank() != y.getRank() || a.getElementType() != y.getElementType())
            continue; // reported by shape inference
          SmallVector<int64_t> shape;
          for (auto [p, q] : llvm::zip(a.getShape(), y.getShape()))
            shape.push_back(p == q ? p : ShapedType::kDynamic);
          auto joined = RankedTensorType::get(shape, a.getElementType());
          if (joined != a) {
            carried[i] = joined;
            changed = true;
          }
        }
      }
      if (changed && attempt < 8) {
        op->erase();
        continue;
      }
      if (failed(verifyAndInfer(op)))
        return failure();
      return finish(op, SmallVector<Value>(op->getResults()));
    }
  }

  // Scan.
  ::onnx::GraphProto *body = graphAttr("body");
  if (!body)
    return nodeError() << "has no body graph";
  int64_t numScan = -1;
  for (auto &na : attrs)
    if (na.getName() == "num_scan_inputs")
      numScan = cast<IntegerAttr>(na.getValue()).getInt();
  if (numScan < 1)
    return nodeError() << "needs num_scan_inputs >= 1";
  // Builds one opset-9 Scan over `ins` (states then scan inputs).
  auto buildScan = [&](ArrayRef<Value> ins) -> FailureOr<SmallVector<Value>> {
    int64_t numState = (int64_t)ins.size() - numScan;
    if (numState < 0)
      return (LogicalResult)(nodeError() << "has " << ins.size()
                                         << " inputs, fewer than num_scan_inputs " << numScan);
    SmallVector<int64_t> inAxes(numScan, 0);
    for (auto &na : attrs)
      if (na.getName() == "scan_input_axes") {
        auto arr = cast<ArrayAttr>(na.getValue());
        if ((int64_t)arr.size() != numScan)
          return (LogicalResult)(nodeError() << "scan_input_axes must have " << numScan
                                             << " entries");
        for (auto [i, a] : llvm::enumerate(arr))
          inAxes[i] = cast<IntegerAttr>(a).getInt();
      }
    SmallVector<Type> argTypes = typesOf(ValueRange(ins).take_front(numState));
    for (int64_t i = 0; i < numScan; ++i) {
      auto t = cast<RankedTensorType>(ins[numState + i].getType());
      int64_t a = inAxes[i] < 0 ? inAxes[i] + t.getRank() : inAxes[i];
      if (a < 0 || a >= t.getRank())
        return (LogicalResult)(nodeError() << "scan input axis " << inAxes[i]
                                           << " is out of range for " << t);
      SmallVector<int64_t> shape(t.getShape());
      shape.erase(shape.begin() + a);
      argTypes.push_back(RankedTensorType::get(shape, t.getElementType()));
    }
    Operation *op = build(ins, 1);
    if (failed(importSubgraph(*body, op->getRegion(0), argTypes, loc, nodeDesc))) {
      op->erase();
      return failure();
    }
    if (failed(verifyAndInfer(op)))
      return failure();
    return SmallVector<Value>(op->getResults());
  };
  SmallVector<Value> ins(operands.begin(), operands.end());
  if (opset >= 9) {
    auto results = buildScan(ins);
    if (failed(results))
      return failure();
    return finish(nullptr, *results);
  }
  // Scan-8: sequence_lens, then states [batch, ...] and scan inputs
  // [batch, sequence, ...].  One opset-9 Scan per batch entry (static
  // batch), results stacked along the batch axis again.
  if (ins.empty())
    return nodeError() << "has no inputs";
  if (!isa<NoneType>(ins[0].getType()))
    return nodeError() << "sequence_lens of Scan-8 is not supported";
  ins.erase(ins.begin());
  for (NamedAttribute &na : attrs)
    if (na.getName() == "scan_input_axes" || na.getName() == "scan_output_axes")
      return nodeError() << "unexpected attribute " << na.getName() << " in Scan-8";
  for (auto &a : node.attribute())
    if (a.name() == "directions") {
      SmallVector<Attribute> d;
      for (int64_t x : a.ints())
        d.push_back(b.getI64IntegerAttr(x));
      attrs.push_back(b.getNamedAttr("scan_input_directions", b.getArrayAttr(d)));
    }
  int64_t batch = ShapedType::kDynamic;
  for (Value v : ins) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() < 1 || t.isDynamicDim(0) || (batch != ShapedType::kDynamic && t.getDimSize(0) != batch))
      return nodeError() << "Scan-8 needs inputs with the same static batch size (dim 0), got "
                         << t;
    batch = t.getDimSize(0);
  }
  if (batch < 1 || batch > 1024)
    return nodeError() << "Scan-8 with a batch of " << batch << " is not supported (1 to 1024)";
  SmallVector<SmallVector<Value>> perBatch;
  for (int64_t bi = 0; bi < batch; ++bi) {
    SmallVector<Value> sliced;
    for (Value v : ins) {
      auto t = cast<RankedTensorType>(v.getType());
      auto g = kiln::onnx::GatherOp::create(b, loc, UnrankedTensorType::get(t.getElementType()), v,
                                            constI64(loc, {bi}, /*scalar=*/true),
                                            b.getI64IntegerAttr(0));
      if (failed(kiln::onnx::inferShapes(g)))
        return failure();
      sliced.push_back(g.getResult());
    }
    auto r = buildScan(sliced);
    if (failed(r))
      return failure();
    perBatch.push_back(*r);
  }
  SmallVector<Value> results;
  for (int i = 0; i < numResults; ++i) {
    SmallVector<Value> parts;
    for (auto &r : perBatch) {
      auto t = cast<RankedTensorType>(r[i].getType());
      auto un = kiln::onnx::UnsqueezeOp::create(b, loc, UnrankedTensorType::get(t.getElementType()),
                                                r[i], constI64(loc, {0}));
      if (failed(kiln::onnx::inferShapes(un)))
        return failure();
      parts.push_back(un.getResult());
    }
    if (parts.size() == 1) {
      results.push_back(parts[0]);
      continue;
    }
    auto cat = kiln::onnx::ConcatOp::create(b, loc, UnrankedTensorType::get(getElementTypeOrSelf(parts[0].getType())),
                                            parts, b.getI64IntegerAttr(0));
    if (failed(kiln::onnx::inferShapes(cat)))
      return failure();
    results.push_back(cat.getResult());
  }
  return finish(nullptr, results);
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

/// What the importer takes outside ONNX's default domain.
static constexpr const char *kOtherDomainsNote =
    "only the default ONNX domain and com.microsoft's Attention and MultiHeadAttention are supported";

LogicalResult Importer::importNode(::onnx::NodeProto &node, size_t index) {
  Location loc = nodeLoc(node, index);
  std::string nodeDesc = "node '" + cast<NameLoc>(loc).getName().str() + "' (" +
                         node.op_type() + ")";
  if (opts.recordNodeTypes)
    nodeTypes.try_emplace(cast<NameLoc>(loc).getName().strref(), node.op_type());
  auto nodeError = [&]() {
    return emitError(loc) << nodeDesc << ": ";
  };
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  // Operators of other domains are known by "<domain>.<op type>".
  std::string opType = defaultDomain ? node.op_type() : node.domain() + "." + node.op_type();
  if (!defaultDomain && !operators.count(opType))
    return emitError(loc) << "unsupported operator " << node.op_type() << " of domain '"
                          << node.domain() << "' at node '" << cast<NameLoc>(loc).getName().str()
                          << "' (" << kOtherDomainsNote << ")";
  auto known = operators.find(opType);
  if (known == operators.end())
    return emitError(loc) << "unsupported operator " << opType << " (opset " << opset
                          << ") at node '" << cast<NameLoc>(loc).getName().str() << "'";
  const kiln::onnx::ONNXOperatorInfo &info = known->second;
  if (opset < info.sinceVersion)
    return nodeError() << "operator " << opType << " does not exist in opset " << opset
                       << " (introduced in opset " << info.sinceVersion << ")";
  if (failed(checkAgainstSchema(node, nodeError)))
    return failure();

  // Operands.
  SmallVector<Value> operands;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      operands.push_back(noValue(loc));
      continue;
    }
    auto it = values.find(in);
    if (it == values.end())
      return nodeError() << "input '" << in << "' is not produced by any node, graph input or initializer";
    operands.push_back(it->second);
  }
  // Attributes.
  SmallVector<NamedAttribute> attrs;
  llvm::StringMap<const ::onnx::AttributeProto *> rawAttrs;
  for (const auto &a : node.attribute()) {
    if (!a.ref_attr_name().empty())
      return nodeError() << "attribute references (functions) are not supported";
    rawAttrs[a.name()] = &a;
  }
  auto takeIntsAttr = [&](StringRef name, SmallVectorImpl<int64_t> &out) -> bool {
    auto it = rawAttrs.find(name);
    if (it == rawAttrs.end()) return false;
    out.assign(it->second->ints().begin(), it->second->ints().end());
    rawAttrs.erase(it);
    return true;
  };

  // Adapt older opsets to the dialect's (newest) form.
  if ((opType.rfind("Reduce", 0) == 0 && (opset < 18 && !(opType == "ReduceSum" && opset >= 13))) ||
      ((opType == "Squeeze" || opType == "Unsqueeze") && opset < 13)) {
    SmallVector<int64_t> axes;
    if (takeIntsAttr("axes", axes))
      operands.push_back(constI64(loc, axes));
  }
  if (opType == "Split" && opset < 13) {
    SmallVector<int64_t> split;
    if (takeIntsAttr("split", split))
      operands.push_back(constI64(loc, split));
  }
  if (opType == "Slice" && opset < 10) {
    SmallVector<int64_t> starts, ends, axes;
    takeIntsAttr("starts", starts);
    takeIntsAttr("ends", ends);
    bool hasAxes = takeIntsAttr("axes", axes);
    operands.push_back(constI64(loc, starts));
    operands.push_back(constI64(loc, ends));
    if (hasAxes) operands.push_back(constI64(loc, axes));
  }
  if (opType == "Pad" && opset < 11) {
    SmallVector<int64_t> pads;
    takeIntsAttr("pads", pads);
    operands.push_back(constI64(loc, pads));
    float value = 0;
    if (auto it = rawAttrs.find("value"); it != rawAttrs.end()) {
      value = it->second->f();
      rawAttrs.erase(it);
    }
    operands.push_back(constF32Scalar(loc, value, getElementTypeOrSelf(operands[0].getType())));
  }
  if (opType == "Clip" && opset < 11) {
    Type elem = getElementTypeOrSelf(operands[0].getType());
    for (const char *name : {"min", "max"}) {
      if (auto it = rawAttrs.find(name); it != rawAttrs.end()) {
        operands.push_back(constF32Scalar(loc, it->second->f(), elem));
        rawAttrs.erase(it);
      } else {
        operands.push_back(noValue(loc));
      }
    }
  }
  if (opType == "Resize" && opset < 11) {
    // Resize-10: (X, scales), asymmetric coordinates, floor rounding.
    if (operands.size() != 2)
      return nodeError() << "Resize-10 takes 2 inputs (X, scales), got " << operands.size();
    operands = {operands[0], noValue(loc), operands[1], noValue(loc)};
    attrs.push_back(b.getNamedAttr("coordinate_transformation_mode", b.getStringAttr("asymmetric")));
    attrs.push_back(b.getNamedAttr("nearest_mode", b.getStringAttr("floor")));
  }
  if (opType == "Upsample" && opset < 9) {
    auto it = rawAttrs.find("scales");
    if (it == rawAttrs.end())
      return nodeError() << "has no scales attribute";
    SmallVector<float> sc(it->second->floats().begin(), it->second->floats().end());
    rawAttrs.erase(it);
    auto t = RankedTensorType::get({(int64_t)sc.size()}, b.getF32Type());
    operands.push_back(kiln::onnx::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, ArrayRef<float>(sc)))
                           .getResult());
  }
  if (opType == "Dropout" && opset < 12) {
    rawAttrs.erase("ratio");
    rawAttrs.erase("is_test");
  }
  if (opType == "BatchNormalization") {
    rawAttrs.erase("consumed_inputs");
    if (auto it = rawAttrs.find("spatial"); it != rawAttrs.end()) {
      if (it->second->i() != 1)
        return nodeError() << "spatial = 0 is not supported";
      rawAttrs.erase(it);
    }
    if (rawAttrs.count("is_test")) rawAttrs.erase("is_test");
    int outs = node.output_size();
    while (outs > 0 && node.output(outs - 1).empty())
      --outs;
    if (opset < 14 && outs > 1)
      return nodeError() << "training-mode outputs of BatchNormalization-" << opset
                         << " (mean, var, saved_mean, saved_var) are not supported";
  }
  if (opType == "Gemm" && opset < 7)
    rawAttrs.erase("broadcast");
  // Before opset 7, binary ops broadcast only with broadcast=1, and then B
  // is aligned with A starting at `axis` (default: right-aligned, as in
  // numpy).  Reshape B so that numpy-style broadcasting gives the same result.
  if (info.legacyBroadcast && opset < 7) {
    bool bcast = false;
    int64_t axis = INT64_MIN;
    if (auto it = rawAttrs.find("broadcast"); it != rawAttrs.end()) {
      bcast = it->second->i() != 0;
      rawAttrs.erase(it);
    }
    if (auto it = rawAttrs.find("axis"); it != rawAttrs.end()) {
      axis = it->second->i();
      rawAttrs.erase(it);
    }
    if (operands.size() == 2) {
      auto ta = dyn_cast<RankedTensorType>(operands[0].getType());
      auto tb = dyn_cast<RankedTensorType>(operands[1].getType());
      if (!ta || !tb)
        return nodeError() << "legacy (opset " << opset << ") broadcasting needs ranked inputs";
      if (!bcast && ta.getShape() != tb.getShape() && ta.hasStaticShape() && tb.hasStaticShape())
        return nodeError() << "inputs of different shapes need broadcast=1 in opset " << opset;
      if (bcast && axis != INT64_MIN) {
        int64_t ra = ta.getRank(), rb = tb.getRank();
        if (axis < 0) axis += ra;
        if (axis < 0 || axis + rb > ra)
          return nodeError() << "broadcast axis " << axis << " does not fit B of rank " << rb
                             << " into A of rank " << ra;
        int64_t trailing = ra - axis - rb;
        if (trailing > 0) {
          SmallVector<int64_t> shape(tb.getShape());
          if (llvm::any_of(shape, ShapedType::isDynamic))
            return nodeError() << "legacy broadcasting of a dynamically shaped B is not supported";
          shape.append(trailing, 1);
          Value sh = constI64(loc, shape);
          auto rs = kiln::onnx::ReshapeOp::create(b, loc, UnrankedTensorType::get(tb.getElementType()),
                                                  operands[1], sh, b.getI64IntegerAttr(0));
          if (failed(kiln::onnx::inferShapes(rs)))
            return failure();
          operands[1] = rs.getResult();
        }
      }
    }
  }
  // consumed_inputs (opset < 6) only described in-place updates.
  rawAttrs.erase("consumed_inputs");
  if (opType == "Reshape" && opset < 5) {
    SmallVector<int64_t> shape;
    if (!takeIntsAttr("shape", shape))
      return nodeError() << "has no shape attribute";
    operands.push_back(constI64(loc, shape));
  }

  // PRelu before opset 7: a 1-D slope of C entries applies per channel
  // (axis 1); reshape it to [C, 1, ...] so numpy broadcasting matches.
  if (opType == "PRelu" && opset < 7 && operands.size() == 2) {
    auto tx = dyn_cast<RankedTensorType>(operands[0].getType());
    auto ts = dyn_cast<RankedTensorType>(operands[1].getType());
    if (tx && ts && ts.getRank() == 1 && ts.getDimSize(0) != 1 && tx.getRank() > 2) {
      SmallVector<int64_t> shape{ts.getDimSize(0)};
      shape.append(tx.getRank() - 2, 1);
      auto rs = kiln::onnx::ReshapeOp::create(b, loc, UnrankedTensorType::get(ts.getElementType()),
                                              operands[1], constI64(loc, shape), b.getI64IntegerAttr(0));
      if (failed(kiln::onnx::inferShapes(rs)))
        return failure();
      operands[1] = rs.getResult();
    }
  }
  // A Constant of an unsigned type keeps its ONNX type (see markUnsigned).
  if (opType == "Constant")
    if (auto it = rawAttrs.find("value"); it != rawAttrs.end() && it->second->has_t()) {
      int32_t dt = it->second->t().data_type();
      if (dt == ::onnx::TensorProto::UINT8 || dt == ::onnx::TensorProto::UINT16 ||
          dt == ::onnx::TensorProto::UINT32 || dt == ::onnx::TensorProto::UINT64)
        attrs.push_back(b.getNamedAttr("kiln.dtype", b.getI32IntegerAttr(dt)));
    }

  if (opType == "Tile" && opset < 6)
    return nodeError() << "Tile before opset 6 (tiles/axis inputs) is not supported";

  if (opType == "TfIdfVectorizer" && rawAttrs.count("pool_strings"))
    return nodeError() << "string n-gram pools (pool_strings) are not supported; only integer input with "
                          "pool_int64s is";

  if (opType == "GroupNormalization" && opset < 21 && operands.size() == 3) {
    // Opsets 18-20: scale and bias per group; repeat each C / G times.
    auto xt = dyn_cast<RankedTensorType>(operands[0].getType());
    auto it = rawAttrs.find("num_groups");
    if (!xt || xt.getRank() < 2 || xt.isDynamicDim(1) || it == rawAttrs.end())
      return nodeError() << "GroupNormalization-" << opset << " needs num_groups and a static channel dim";
    int64_t G = it->second->i(), C = xt.getDimSize(1);
    if (G < 1 || C % G != 0)
      return nodeError() << "num_groups = " << G << " must divide the channel count " << C;
    for (int i = 1; i <= 2; ++i) {
      Value v = operands[i];
      Type et = getElementTypeOrSelf(v.getType());
      auto r1 = kiln::onnx::ReshapeOp::create(b, loc, UnrankedTensorType::get(et), v, constI64(loc, {G, 1}),
                                              b.getI64IntegerAttr(0));
      if (failed(kiln::onnx::inferShapes(r1)))
        return failure();
      auto ex = kiln::onnx::ExpandOp::create(b, loc, UnrankedTensorType::get(et), r1.getResult(),
                                             constI64(loc, {G, C / G}));
      if (failed(kiln::onnx::inferShapes(ex)))
        return failure();
      auto r2 = kiln::onnx::ReshapeOp::create(b, loc, UnrankedTensorType::get(et), ex.getResult(),
                                              constI64(loc, {C}), b.getI64IntegerAttr(0));
      if (failed(kiln::onnx::inferShapes(r2)))
        return failure();
      operands[i] = r2.getResult();
    }
  }

  if (opType == "TopK" && opset < 10) {
    // TopK-1: k is an attribute.
    auto it = rawAttrs.find("k");
    if (it == rawAttrs.end())
      return nodeError() << "has no k attribute";
    SmallVector<int64_t> k{it->second->i()};
    rawAttrs.erase(it);
    operands.push_back(constI64(loc, k));
  }

  if (opType == "RNN" || opType == "GRU" || opType == "LSTM") {
    rawAttrs.erase("output_sequence"); // opset 1 only; outputs are optional anyway
    if (auto it = rawAttrs.find("activations"); it != rawAttrs.end()) {
      SmallVector<Attribute> names;
      for (const std::string &n : it->second->strings())
        names.push_back(b.getStringAttr(n));
      attrs.push_back(b.getNamedAttr("activations", b.getArrayAttr(names)));
      rawAttrs.erase(it);
    }
  }
  if (opType == "If" || opType == "Loop" || opType == "Scan") {
    int numResults = node.output_size();
    while (numResults > 0 && node.output(numResults - 1).empty())
      --numResults;
    if (numResults == 0)
      return nodeError() << "has no outputs";
    return importControlFlow(node, loc, nodeDesc, operands, numResults);
  }

  {
    // Integer signedness is not part of MLIR's signless types: record the
    // ONNX data types of the inputs (and of the outputs, for later nodes).
    auto dtypeOf = [&](int i) -> int64_t {
      if (i >= node.input_size() || node.input(i).empty())
        return 0;
      auto it = onnxDtypes.find(node.input(i));
      return it == onnxDtypes.end() ? 0 : it->second;
    };
    auto setOut = [&](int i, int64_t t) {
      if (i < node.output_size() && !node.output(i).empty() && t)
        onnxDtypes.try_emplace(node.output(i), (int32_t)t);
    };
    if (info.recordsInputDTypes) {
      SmallVector<Attribute> dts;
      for (int i = 0; i < node.input_size(); ++i)
        dts.push_back(b.getI64IntegerAttr(dtypeOf(i)));
      attrs.push_back(b.getNamedAttr("input_dtypes", b.getArrayAttr(dts)));
    }
    if (opType == "QuantizeLinear") {
      int64_t out = dtypeOf(2) ? dtypeOf(2) : 2;
      if (auto it = rawAttrs.find("output_dtype"); it != rawAttrs.end())
        out = it->second->i();
      else
        attrs.push_back(b.getNamedAttr("output_dtype", b.getI64IntegerAttr(out)));
      setOut(0, out);
    } else if (opType == "DynamicQuantizeLinear") {
      setOut(0, 2); setOut(1, 1); setOut(2, 2);
    } else if (opType == "QLinearMatMul" || opType == "QLinearConv") {
      setOut(0, dtypeOf(7) ? dtypeOf(7) : 2);
    } else if (opType == "MatMulInteger" || opType == "ConvInteger") {
      setOut(0, 6);
    } else if (opType == "Cast") {
      if (auto it = rawAttrs.find("to"); it != rawAttrs.end())
        setOut(0, it->second->i());
    }
  }
  if (opType == "DFT" && opset < 20) {
    int64_t axis = 1;
    if (auto it = rawAttrs.find("axis"); it != rawAttrs.end()) {
      axis = it->second->i();
      rawAttrs.erase(it);
    }
    while (operands.size() < 2)
      operands.push_back(noValue(loc));
    operands.push_back(constI64(loc, {axis}, /*scalar=*/true));
  }
  if (opType == "GridSample" && opset < 20) {
    if (auto it = rawAttrs.find("mode"); it != rawAttrs.end()) {
      std::string mode = it->second->s();
      rawAttrs.erase(it);
      if (mode == "bilinear") mode = "linear";
      else if (mode == "bicubic") mode = "cubic";
      attrs.push_back(b.getNamedAttr("mode", b.getStringAttr(mode)));
    } else {
      attrs.push_back(b.getNamedAttr("mode", b.getStringAttr("linear")));
    }
  }
  if (opType == "RoiAlign" && opset < 16)
    attrs.push_back(b.getNamedAttr("coordinate_transformation_mode",
                                   b.getStringAttr("output_half_pixel")));

  if (opType == "Constant") {
    // Normalize every value_* form to `value`.
    Attribute value;
    if (auto it = rawAttrs.find("value_float"); it != rawAttrs.end())
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), it->second->f());
    else if (auto it = rawAttrs.find("value_floats"); it != rawAttrs.end())
      value = DenseElementsAttr::get(
          RankedTensorType::get({(int64_t)it->second->floats_size()}, b.getF32Type()),
          ArrayRef<float>(it->second->floats().data(), it->second->floats_size()));
    else if (auto it = rawAttrs.find("value_int"); it != rawAttrs.end())
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), (int64_t)it->second->i());
    else if (auto it = rawAttrs.find("value_ints"); it != rawAttrs.end())
      value = DenseElementsAttr::get(
          RankedTensorType::get({(int64_t)it->second->ints_size()}, b.getI64Type()),
          ArrayRef<int64_t>(it->second->ints().data(), it->second->ints_size()));
    else if (rawAttrs.count("sparse_value") || rawAttrs.count("value_string") ||
             rawAttrs.count("value_strings"))
      return nodeError() << "sparse and string constants are not supported";
    if (value) {
      rawAttrs.clear();
      attrs.push_back(b.getNamedAttr("value", value));
    } else if (!rawAttrs.count("value")) {
      return nodeError() << "has no value attribute";
    }
  }
  if (opType == "ConstantOfShape") {
    // Normalized below like every TENSOR attribute.
  }

  for (auto &kv : rawAttrs) {
    auto attr = convertAttribute(*kv.second, node);
    if (failed(attr))
      return failure();
    attrs.push_back(b.getNamedAttr(kv.first(), *attr));
  }
  // Softmax / LogSoftmax before opset 13: default axis 1 and the input is
  // coerced to 2-D [prod(d[:axis]), prod(d[axis:])].
  bool coerceSoftmax = false;
  if ((opType == "Softmax" || opType == "LogSoftmax" || opType == "Hardmax") && opset < 13) {
    int64_t axis = 1;
    for (auto &na : attrs)
      if (na.getName() == "axis")
        axis = cast<IntegerAttr>(na.getValue()).getInt();
    auto t = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!t)
      return nodeError() << "input must be a ranked tensor";
    if (axis < 0) axis += t.getRank();
    llvm::erase_if(attrs, [](NamedAttribute &na) { return na.getName() == "axis"; });
    attrs.push_back(b.getNamedAttr("axis", b.getI64IntegerAttr(-1)));
    coerceSoftmax = axis != t.getRank() - 1;
    if (coerceSoftmax) {
      auto flat = kiln::onnx::FlattenOp::create(b, loc, UnrankedTensorType::get(t.getElementType()),
                                                  operands[0], b.getI64IntegerAttr(axis));
      if (failed(kiln::onnx::inferShapes(flat)))
        return failure();
      operands[0] = flat.getResult();
    }
  }

  // Trailing optional operands.
  int64_t expected = info.numInputs;
  if (expected >= 0) {
    if ((int64_t)operands.size() > expected)
      return nodeError() << "has " << operands.size() << " inputs, at most " << expected
                         << " allowed";
    while ((int64_t)operands.size() < expected)
      operands.push_back(noValue(loc));
  }

  // Results: drop trailing unnamed outputs.
  int numResults = node.output_size();
  while (numResults > 0 && node.output(numResults - 1).empty())
    --numResults;
  if (numResults == 0)
    return nodeError() << "has no outputs";

  // info.op imports the operator; the deprecated Scatter (opsets 9-10) is
  // ScatterElements without reduction (ONNX_AlsoImports in its ODS).
  OperationState state(loc, info.op);
  state.addOperands(operands);
  state.addAttributes(attrs);
  for (int i = 0; i < numResults; ++i)
    state.addTypes(UnrankedTensorType::get(b.getF32Type()));
  Operation *op = b.create(state);
  // Check operand and attribute structure (ODS constraints) before shape
  // inference reads them; the verifier also runs shape inference, so this
  // one check covers both.
  if (failed(mlir::verify(op, /*verifyRecursively=*/false)) ||
      failed(kiln::onnx::inferShapes(op))) {
    op->erase();
    return failure();
  }
  Operation *resultOp = op;
  if (coerceSoftmax) {
    // Reshape back to the original shape.
    auto origType = cast<RankedTensorType>(op->getOperand(0).getDefiningOp()->getOperand(0).getType());
    Value shape = kiln::onnx::ShapeOp::create(b, loc, UnrankedTensorType::get(b.getI64Type()),
                                                op->getOperand(0).getDefiningOp()->getOperand(0),
                                                IntegerAttr(), IntegerAttr());
    (void)kiln::onnx::inferShapes(shape.getDefiningOp());
    auto reshape = kiln::onnx::ReshapeOp::create(b, loc, UnrankedTensorType::get(origType.getElementType()),
                                                   op->getResult(0), shape, b.getI64IntegerAttr(0));
    if (failed(kiln::onnx::inferShapes(reshape)))
      return failure();
    reshape.getResult().setType(origType);
    resultOp = reshape;
  }
  for (int i = 0; i < numResults; ++i) {
    const std::string &outName = node.output(i);
    if (outName.empty())
      continue;
    if (values.count(outName))
      return nodeError() << "output '" << outName << "' is already defined (names must be unique)";
    values[outName] = resultOp->getResult(resultOp == op ? i : 0);
  }
  return success();
}

/// Checks a node against ONNX's own operator schema (libonnx), where it
/// knows the model's opset: the number of inputs and outputs, required
/// inputs not left empty, attribute names unique, attribute types, required
/// attributes.  Everything after this (the adaptation of old opsets, the
/// dialect op's verifier) may rely on it.
LogicalResult Importer::checkAgainstSchema(const ::onnx::NodeProto &node,
                                           function_ref<InFlightDiagnostic()> nodeError) {
  llvm::StringSet<> attrNames;
  for (const auto &a : node.attribute())
    if (!attrNames.insert(a.name()).second)
      return nodeError() << "attribute '" << a.name() << "' is given twice";
  static const int maxKnownOpset =
      ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().at(::onnx::ONNX_DOMAIN).second;
  if (opset > maxKnownOpset)
    return success(); // the dialect's verifiers check these models
  const ::onnx::OpSchema *schema =
      ::onnx::OpSchemaRegistry::Schema(node.op_type(), (int)opset, ::onnx::ONNX_DOMAIN);
  if (!schema)
    return success();
  std::string version = node.op_type() + "-" + std::to_string(schema->SinceVersion());
  auto range = [](int lo, int hi) {
    if (lo == hi)
      return std::to_string(lo);
    if (hi == std::numeric_limits<int>::max())
      return std::to_string(lo) + " or more";
    return std::to_string(lo) + " to " + std::to_string(hi);
  };
  int numInputs = node.input_size(), numOutputs = node.output_size();
  if (numInputs < schema->min_input() || numInputs > schema->max_input())
    return nodeError() << "has " << numInputs << " inputs, but " << version << " takes "
                       << range(schema->min_input(), schema->max_input());
  const auto &formal = schema->inputs();
  for (int i = 0; i < numInputs && i < (int)formal.size(); ++i)
    if (node.input(i).empty() && formal[i].GetOption() == ::onnx::OpSchema::Single)
      return nodeError() << "input " << i << " ('" << formal[i].GetName() << "') of " << version
                         << " is required but empty";
  if (numOutputs < schema->min_output() || numOutputs > schema->max_output())
    return nodeError() << "has " << numOutputs << " outputs, but " << version << " has "
                       << range(schema->min_output(), schema->max_output());
  const auto &declared = schema->attributes();
  for (const auto &a : node.attribute()) {
    auto it = declared.find(a.name());
    // Old (IR version 1) files leave the type unset; the conversion checks
    // what the value holds.
    if (it != declared.end() && a.type() != ::onnx::AttributeProto::UNDEFINED &&
        a.type() != it->second.type)
      return nodeError() << "attribute '" << a.name() << "' is of type "
                         << ::onnx::AttributeProto_AttributeType_Name(a.type()) << ", but "
                         << version << " expects "
                         << ::onnx::AttributeProto_AttributeType_Name(it->second.type);
  }
  for (const auto &[name, attr] : declared)
    if (attr.required && !attrNames.contains(name))
      return nodeError() << "the required attribute '" << name << "' of " << version
                         << " is missing";
  return success();
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

LogicalResult Importer::checkNodeDomains(const ::onnx::GraphProto &g, int depth) {
  if (depth > opts.limits.maxSubgraphDepth)
    return success(); // reported, naming the node, when the subgraphs are imported
  for (int i = 0; i < g.node_size(); ++i) {
    const auto &node = g.node(i);
    if (!node.domain().empty() && node.domain() != "ai.onnx" &&
        !operators.count(node.domain() + "." + node.op_type())) {
      std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(i) : node.name();
      return emitError(NameLoc::get(StringAttr::get(ctx, name), fileLoc()))
             << "unsupported operator " << node.op_type() << " of domain '" << node.domain()
             << "' at node '" << name << "' (" << kOtherDomainsNote << ")";
    }
    for (const auto &a : node.attribute()) {
      if (a.has_g() && failed(checkNodeDomains(a.g(), depth + 1)))
        return failure();
      for (const auto &sg : a.graphs())
        if (failed(checkNodeDomains(sg, depth + 1)))
          return failure();
    }
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run(StringRef bytes) {
  ctx->loadDialect<kiln::onnx::ONNXDialect, func::FuncDialect>();
  for (const kiln::onnx::ONNXOperatorInfo &info : kiln::onnx::getONNXOperators(ctx))
    operators.try_emplace(info.name, info);
  ::onnx::ModelProto model;
  {
    if (opts.limits.maxSubgraphDepth < 1 ||
        opts.limits.maxSubgraphDepth > kiln::kMaxSubgraphDepthLimit) {
      error("the subgraph depth limit must be between 1 and ")
          << kiln::kMaxSubgraphDepthLimit << " (got " << opts.limits.maxSubgraphDepth << ")";
      return nullptr;
    }
    modelBytes = bytes.size();
    if (modelBytes > opts.limits.maxModelBytes) {
      error("the model file has ") << modelBytes << " bytes, more than the model size limit of "
                                   << opts.limits.maxModelBytes
                                   << " bytes (kiln-compile --max-model-size)";
      return nullptr;
    }
    if (bytes.size() > (size_t)INT_MAX) {
      error("model file is larger than 2 GiB; store the weights as external data");
      return nullptr;
    }
    google::protobuf::io::CodedInputStream cis(
        reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
    cis.SetTotalBytesLimit(INT_MAX);
    // A subgraph nests 3 messages (node, attribute, graph).  Up to twice
    // the subgraph limit parses (and the import names the node that is too
    // deep); deeper files fail to parse instead of recursing on.
    cis.SetRecursionLimit(6 * opts.limits.maxSubgraphDepth + 32);
    if (!model.MergeFromCodedStream(&cis) || !cis.ConsumedEntireMessage()) {
      error("malformed ONNX file: protobuf parse error at or before byte offset ")
          << cis.CurrentPosition() << " of " << bytes.size();
      return nullptr;
    }
  }
  if (!model.has_graph()) {
    error("the file is not an ONNX model (no graph)");
    return nullptr;
  }
  for (const auto &os : model.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx")
      opset = os.version();
  if (opset == 0 && model.opset_import_size() == 0)
    opset = 1; // IR v2 models without opset_import use opset 1.
  // Operators of other domains are reported before anything else (such a
  // model may not import the default domain at all), naming the node.
  if (failed(checkNodeDomains(model.graph(), 0)))
    return nullptr;
  if (opset < kiln::kMinOpset || opset > kiln::kMaxOpset) {
    error("opset ") << opset << " of the default ONNX domain is not supported (Kiln supports "
                    << kiln::kMinOpset << " to " << kiln::kMaxOpset << ")";
    return nullptr;
  }

  ::onnx::GraphProto *graph = model.mutable_graph();
  // Owned from here on: every error return below destroys it.
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  (*module)->setAttr("kiln.model_name",
                  b.getStringAttr(graph->name().empty() ? "model" : graph->name()));
  (*module)->setAttr("kiln.onnx_opset", b.getI64IntegerAttr(opset));
  b.setInsertionPointToEnd(module->getBody());

  // Graph inputs (initializers may also be listed as inputs).
  llvm::StringSet<> initNames;
  for (const auto &init : graph->initializer())
    initNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<int32_t> argDtypes;
  llvm::StringSet<> seen;
  llvm::StringMap<const ::onnx::ValueInfoProto *> declaredInits;
  for (const auto &in : graph->input()) {
    if (initNames.contains(in.name())) {
      declaredInits[in.name()] = &in; // checked against the initializer below
      continue;
    }
    if (!seen.insert(in.name()).second) {
      error("graph input '") << in.name() << "' is declared twice";
      return nullptr;
    }
    auto t = convertType(in.type(), in.name());
    if (failed(t))
      return nullptr;
    if (auto it = opts.inputShapes.find(in.name()); it != opts.inputShapes.end()) {
      t = fixInputShape(cast<RankedTensorType>(*t), in.name(), it->second);
      if (failed(t))
        return nullptr;
    }
    argTypes.push_back(*t);
    argNames.push_back(in.name());
    argDtypes.push_back(in.type().tensor_type().elem_type());
    onnxDtypes[in.name()] = in.type().tensor_type().elem_type();
  }
  for (const auto &kv : opts.inputShapes) {
    if (llvm::is_contained(argNames, kv.first))
      continue;
    auto diag = error("--input-shape: the model has no graph input '") << kv.first << "' (inputs:";
    for (const std::string &n : argNames)
      diag << " '" << n << "'";
    diag << ")";
    return nullptr;
  }
  if (graph->output_size() == 0) {
    error("the graph has no outputs");
    return nullptr;
  }

  auto funcType = b.getFunctionType(argTypes, {});
  auto func = func::FuncOp::create(b, fileLoc(), opts.entryName, funcType);
  func->setAttr("kiln.entry", b.getUnitAttr());
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  for (auto [i, arg] : llvm::enumerate(entry->getArguments())) {
    values[argNames[i]] = arg;
    func.setArgAttr(i, "kiln.name", b.getStringAttr(argNames[i]));
    func.setArgAttr(i, "kiln.dtype", b.getI32IntegerAttr(argDtypes[i]));
  }

  // Initializers.
  for (const auto &vi : graph->value_info())
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type())
      onnxDtypes[vi.name()] = vi.type().tensor_type().elem_type();
  for (const auto &vi : graph->output())
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type())
      onnxDtypes[vi.name()] = vi.type().tensor_type().elem_type();
  for (auto &init : *graph->mutable_initializer()) {
    onnxDtypes[init.name()] = init.data_type();
    if (values.count(init.name())) {
      error("initializer '") << init.name() << "' has the same name as another value";
      return nullptr;
    }
    auto attr = convertTensor(init, /*allowResource=*/true);
    if (failed(attr))
      return nullptr;
    auto type = RankedTensorType::get(cast<ShapedType>(attr->getType()).getShape(),
                                      attr->getElementType());
    // An initializer that is also a graph input may be overridden at run
    // time in ONNX; Kiln treats it as a constant, and its declared type
    // must agree with its data.
    if (auto it = declaredInits.find(init.name()); it != declaredInits.end()) {
      const ::onnx::TypeProto &t = it->second->type();
      if (t.has_tensor_type() && t.tensor_type().has_shape()) {
        auto declared = convertType(t, init.name());
        if (failed(declared))
          return nullptr;
        if (!matchesDeclared(*declared, type)) {
          error("initializer '") << init.name() << "' holds " << type
                                 << " but the graph input of that name declares " << *declared;
          return nullptr;
        }
      }
    }
    auto c = kiln::onnx::ConstantOp::create(b, 
        NameLoc::get(b.getStringAttr(init.name()), fileLoc()), type, *attr);
    markUnsigned(c, init.data_type());
    values[init.name()] = c.getResult();
  }
  // Free the protobuf's copies of the weights (they now live in blobs).
  graph->clear_initializer();

  // Nodes, in topological order (ONNX requires it, but not every exporter
  // complies); a cycle or a missing producer is an error.
  if (failed(importNodesInOrder(*graph, fileLoc(), "", "")))
    return nullptr;

  // Outputs.
  SmallVector<Value> results;
  for (const auto &out : graph->output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      error("graph output '") << out.name() << "' is not produced by any node";
      return nullptr;
    }
    Value v = it->second;
    if (out.has_type() && out.type().has_tensor_type() && out.type().tensor_type().has_shape()) {
      auto declared = convertType(out.type(), out.name());
      if (failed(declared))
        return nullptr; // reported (this used to go on and exit 0)
      auto actual = cast<RankedTensorType>(v.getType());
      if (!matchesDeclared(*declared, actual)) {
        error("graph output '") << out.name() << "' is declared as " << *declared
                                << " but the model computes " << actual;
        return nullptr;
      }
    }
    results.push_back(v);
  }
  func::ReturnOp::create(b, fileLoc(), results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph->output())) {
    func.setResultAttr(i, "kiln.name", b.getStringAttr(out.name()));
    int32_t dtype = out.type().has_tensor_type() && out.type().tensor_type().elem_type()
                        ? out.type().tensor_type().elem_type()
                        : kiln::onnx::getONNXTypeForElementType(
                              cast<RankedTensorType>(results[i].getType()).getElementType());
    func.setResultAttr(i, "kiln.dtype", b.getI32IntegerAttr(dtype));
  }
  if (opts.recordNodeTypes) {
    SmallVector<NamedAttribute> entries;
    for (const auto &kv : nodeTypes)
      entries.push_back(b.getNamedAttr(kv.getKey(), b.getStringAttr(kv.getValue())));
    (*module)->setAttr(kiln::kNodeTypesAttr, b.getDictionaryAttr(entries));
  }
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> kiln::importONNXBytes(StringRef bytes, StringRef displayName,
                                            StringRef modelDir, MLIRContext *ctx,
                                            const ImportOptions &opts) {
  Importer imp(ctx, displayName, modelDir, opts);
  return imp.run(bytes);
}

OwningOpRef<ModuleOp> kiln::importONNXFile(StringRef path, MLIRContext *ctx,
                                           const ImportOptions &opts) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(FileLineColLoc::get(ctx, path, 0, 0))
        << "cannot read '" << path << "': " << buf.getError().message();
    return nullptr;
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importONNXBytes((*buf)->getBuffer(), path, dir, ctx, opts);
}

std::vector<std::pair<std::string, int64_t>> kiln::supportedONNXOperators() {
  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  ctx.loadDialect<kiln::onnx::ONNXDialect>();
  std::vector<std::pair<std::string, int64_t>> ops;
  for (const kiln::onnx::ONNXOperatorInfo &info : kiln::onnx::getONNXOperators(&ctx))
    ops.emplace_back(info.name.str(), std::max(info.sinceVersion, kMinOpset));
  llvm::sort(ops);
  return ops;
}
