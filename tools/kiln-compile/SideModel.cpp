//===- SideModel.cpp - temporary libraries kiln-compile runs itself ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// See SideModel.h (moved here from Quantize.cpp for --prune).
//
//===----------------------------------------------------------------------===//

#include "SideModel.h"
#include "Options.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

#include <cmath>

using namespace mlir;
using namespace kiln::compile;

/// The entry function of an nn-stage module.
func::FuncOp kiln::compile::entryOf(ModuleOp module) {
  func::FuncOp entry;
  module.walk([&](func::FuncOp f) {
    if (f->hasAttr("kiln.entry"))
      entry = f;
  });
  return entry;
}

/// The model inputs as the data set loader checks them.
std::vector<kiln::data::InputSpec> kiln::compile::inputSpecs(func::FuncOp entry) {
  std::vector<kiln::data::InputSpec> specs;
  for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
    kiln::data::InputSpec s;
    if (auto n = entry.getArgAttrOfType<StringAttr>(i, "kiln.name"))
      s.name = n.str();
    if (auto d = entry.getArgAttrOfType<IntegerAttr>(i, "kiln.dtype"))
      s.dtype = kiln_dtype(d.getInt());
    for (int64_t d : cast<RankedTensorType>(entry.getArgument(i).getType()).getShape())
      s.dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
    specs.push_back(std::move(s));
  }
  return specs;
}

/// Appends `values` to the entry's results (named `prefix<i>`, f32).
void kiln::compile::addOutputs(func::FuncOp entry, ArrayRef<Value> values, StringRef prefix) {
  auto ret = cast<func::ReturnOp>(entry.getBody().back().getTerminator());
  unsigned first = ret.getNumOperands();
  SmallVector<Value> results(ret.getOperands());
  results.append(values.begin(), values.end());
  ret->setOperands(results);
  SmallVector<Type> types;
  for (Value v : results)
    types.push_back(v.getType());
  entry.setType(FunctionType::get(entry.getContext(), entry.getArgumentTypes(), types));
  Builder b(entry.getContext());
  SmallVector<DictionaryAttr> attrs;
  for (unsigned i = 0; i < results.size(); ++i) {
    if (i < first) {
      attrs.push_back(entry.getResultAttrDict(i));
      continue;
    }
    attrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("kiln.name", b.getStringAttr(prefix + std::to_string(i - first))),
         b.getNamedAttr("kiln.dtype", b.getI32IntegerAttr(KILN_DTYPE_FLOAT))}));
  }
  entry.setAllResultAttrs(attrs);
}

/// One run of `model` on `sample` into `outs` (one per output, which the
/// caller frees: freeOutputs); false if it failed (kiln_last_error() says
/// why).
bool kiln::compile::runSample(kiln_model *model, const kiln::data::Sample &sample, std::vector<kiln_tensor> &outs) {
  std::vector<kiln_tensor> ins;
  for (const kiln::data::Tensor &t : sample.inputs)
    ins.push_back(kiln::data::asKilnTensor(t));
  for (auto &o : outs)
    o = kiln_tensor{};
  return kiln_model_run(model, ins.data(), (int32_t)ins.size(), outs.data(), (int32_t)outs.size()) == KILN_OK;
}

void kiln::compile::freeOutputs(std::vector<kiln_tensor> &outs) {
  for (auto &o : outs)
    kiln_free(o.data);
}

/// Runs `model` on every sample; `visit(sample index, outputs)` sees the
/// outputs (freed after it returns).
LogicalResult kiln::compile::runAll(kiln_model *model, const kiln::data::Dataset &data, StringRef what,
                     llvm::function_ref<LogicalResult(size_t, ArrayRef<kiln_tensor>)> visit) {
  std::vector<kiln_tensor> outs(kiln_model_num_outputs(model));
  for (size_t s = 0; s < data.samples.size(); ++s) {
    if (!runSample(model, data.samples[s], outs)) {
      printError(llvm::Twine(what) + ": running the model on " + data.samples[s].source + " failed: " +
                 kiln_last_error());
      return failure();
    }
    LogicalResult r = visit(s, outs);
    freeOutputs(outs);
    if (failed(r))
      return failure();
  }
  return success();
}

/// Top-1 over a data set: per run, argmax over the last dim of output 0 for
/// each row.  `preds` gets every row's class.
LogicalResult kiln::compile::collectPredictions(kiln_model *model, const kiln::data::Dataset &data, StringRef what,
                                 std::vector<int64_t> &preds) {
  preds.clear();
  return runAll(model, data, what, [&](size_t s, ArrayRef<kiln_tensor> outs) -> LogicalResult {
    const kiln_tensor &o = outs[0];
    if (o.dtype != KILN_DTYPE_FLOAT || o.rank < 1) {
      printError(llvm::Twine(what) + ": top-1 needs a float output 0 with a class dim last (got " +
                 kiln_dtype_name(o.dtype) + " of rank " + llvm::Twine(o.rank) + ")");
      return failure();
    }
    int64_t classes = o.dims[o.rank - 1];
    int64_t n = classes ? int64_t(o.size_bytes / 4) / classes : 0;
    if (!data.samples[s].labels.empty() && n != (int64_t)data.samples[s].labels.size()) {
      printError(llvm::Twine(what) + ": " + data.samples[s].source + " has " +
                 llvm::Twine(data.samples[s].labels.size()) + " labels but output 0 has " + llvm::Twine(n) +
                 " rows of " + llvm::Twine(classes) + " classes");
      return failure();
    }
    const float *p = static_cast<const float *>(o.data);
    for (int64_t i = 0; i < n; ++i)
      preds.push_back(std::max_element(p + i * classes, p + (i + 1) * classes) - (p + i * classes));
    return success();
  });
}

std::string kiln::compile::fmt(double v, int prec) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format(("%." + std::to_string(prec) + "f").c_str(), v);
  return s;
}

/// A clone of `module` whose weights are copies in blobs of their own:
/// compiling a module releases its blobs (the back end moves the weights
/// into the LLVM module), which would empty the original's weights, since
/// a clone refers to the same named resources.
OwningOpRef<ModuleOp> kiln::compile::cloneWithOwnWeights(ModuleOp module) {
  OwningOpRef<ModuleOp> clone = module.clone();
  llvm::DenseMap<void *, Attribute> copies;
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](DenseResourceElementsAttr a) -> std::optional<Attribute> {
    void *key = a.getRawHandle().getResource();
    if (auto it = copies.find(key); it != copies.end() && it->second)
      return cast<DenseResourceElementsAttr>(it->second).getType() == a.getType()
                 ? it->second
                 : DenseResourceElementsAttr::get(a.getType(), cast<DenseResourceElementsAttr>(it->second).getRawHandle());
    AsmResourceBlob *blob = a.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    auto copy = HeapAsmResourceBlob::allocateAndCopyWithAlign(blob->getData(), blob->getDataAlignment());
    Attribute c = DenseResourceElementsAttr::get(a.getType(), (a.getRawHandle().getKey() + "_q").str(), std::move(copy));
    copies[key] = c;
    return c;
  });
  replacer.recursivelyReplaceElementsIn(*clone, /*replaceAttrs=*/true, /*replaceLocs=*/false, /*replaceTypes=*/false);
  return clone;
}

TempDir::~TempDir() {
  if (!path.empty())
    llvm::sys::fs::remove_directories(path);
}

LogicalResult SideSession::open(func::FuncOp entry, StringRef calibrationData, StringRef evalData, int64_t batch) {
  std::vector<kiln::data::InputSpec> specs = inputSpecs(entry);
  std::string err;
  if (!calibrationData.empty() &&
      !kiln::data::loadDataset(calibrationData.str(), specs, "--calibration-data", batch, calib, err)) {
    printError(err);
    return failure();
  }
  if (!evalData.empty() && !kiln::data::loadDataset(evalData.str(), specs, "--eval-data", batch, eval, err)) {
    printError(err);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("kiln" + option.substr(1), tmp.path)) {
    printError(option + ": cannot create a temporary folder: " + ec.message());
    return failure();
  }
  return success();
}

std::string SideSession::libPath(StringRef name) const {
  llvm::SmallString<128> p(tmp.path);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

LogicalResult SideSession::load(StringRef path, Model &m) const {
  if (kiln_model_load(path.str().c_str(), &m.m) != KILN_OK) {
    printError(llvm::Twine(option) + ": cannot load the temporary library: " + kiln_last_error());
    return failure();
  }
  return success();
}

LogicalResult kiln::compile::writeReportText(StringRef text, StringRef path, StringRef option) {
  if (path == "-") {
    llvm::outs() << text;
    return success();
  }
  std::error_code ec;
  llvm::raw_fd_ostream f(path, ec);
  if (ec) {
    printError(option + ": cannot write '" + path + "': " + ec.message());
    return failure();
  }
  f << text;
  return success();
}

std::pair<std::string, std::string> kiln::compile::layerNameAndType(Operation *layer, DictionaryAttr table) {
  std::string name = kiln::onnxNodeName(layer->getLoc(), table).str();
  Attribute t = table && !name.empty() ? table.get(name) : Attribute();
  std::string type = t && isa<StringAttr>(t) ? cast<StringAttr>(t).str() : isa<kiln::nn::ConvOp>(layer) ? "Conv" : "MatMul";
  return {name.empty() ? "(unnamed)" : name, type};
}

LogicalResult SideSession::predictions(ModuleOp module, StringRef name,
                                       function_ref<LogicalResult(ModuleOp, StringRef)> compile,
                                       std::vector<int64_t> &pred) const {
  OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
  std::string path = libPath(name);
  Model lib;
  if (failed(compile(*clone, path)) || failed(load(path, lib)))
    return failure();
  return collectPredictions(lib.m, eval, "--eval-data", pred);
}

double kiln::compile::scorePredictions(const kiln::data::Dataset &eval, const std::vector<int64_t> &pred,
                                       const std::vector<int64_t> &reference) {
  size_t hit = 0, i = 0;
  if (eval.labeled) {
    for (const kiln::data::Sample &s : eval.samples)
      for (int64_t label : s.labels)
        hit += i < pred.size() && pred[i++] == label;
  } else {
    for (size_t k = 0; k < pred.size() && k < reference.size(); ++k)
      hit += pred[k] == reference[k];
  }
  return pred.empty() ? 0.0 : 100.0 * double(hit) / double(pred.size());
}

bool kiln::compile::choleskyFactor(std::vector<double> &m, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rj = &m[j * n];
    double d = rj[j];
    for (int64_t k = 0; k < j; ++k)
      d -= rj[k] * rj[k];
    if (!(d > 0))
      return false;
    rj[j] = std::sqrt(d);
    for (int64_t i = j + 1; i < n; ++i) {
      double *ri = &m[i * n];
      double s = ri[j];
      for (int64_t k = 0; k < j; ++k)
        s -= ri[k] * rj[k];
      ri[j] = s / rj[j];
    }
  }
  return true;
}
