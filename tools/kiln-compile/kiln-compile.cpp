//===- kiln-compile.cpp - the Kiln compiler driver ------------------------===//
//
//   kiln-compile model.onnx -o libmodel.so [-O3] [--target=cpu]
//                [--mcpu=native] [--mtriple=...] [--emit=...]
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Transforms/Statistics.h"
#include "kiln/Target/Target.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory kilnCat("Kiln options");
static cl::OptionCategory mlirCat("MLIR options (pass instrumentation, printing, timing)");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"), cl::cat(kilnCat));
static cl::opt<bool> listOperators(
    "list-operators",
    cl::desc("Print the supported ONNX operators with the opsets accepted for each, then exit"),
    cl::init(false), cl::cat(kilnCat));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: derived from --emit)"),
                                       cl::value_desc("path"), cl::cat(kilnCat));
static cl::opt<char> optLevel("O", cl::desc("Optimization level: -O0, -O1, -O2 (default) or -O3"),
                              cl::Prefix, cl::init('2'), cl::cat(kilnCat));
static cl::opt<std::string> target("target",
                                   cl::desc("Code generation target (default cpu; see --list-targets)"),
                                   cl::init("cpu"), cl::cat(kilnCat));
static cl::opt<bool> listTargets("list-targets", cl::desc("Print the registered targets, then exit"),
                                 cl::init(false), cl::cat(kilnCat));
static cl::opt<std::string> modelName(
    "name",
    cl::desc("C name of the model: prefixes the header's macros and the exported symbols "
             "(default: the output file's stem without 'lib', e.g. libmnist.a -> mnist)"),
    cl::value_desc("identifier"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> mcpu("mcpu", cl::desc("Target CPU (default: native = the host CPU)"),
                                 cl::init("native"), cl::cat(kilnCat));
static cl::opt<std::string> mtriple("mtriple", cl::desc("Target triple (default: the host's)"),
                                    cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> mattr("mattr", cl::desc("Extra target features, e.g. +avx2,-avx512f"),
                                  cl::init(""), cl::cat(kilnCat));

enum class Emit { ONNX, NN, Linalg, MLIR, LLVM, Asm, Obj, Lib };
static cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Lib),
    cl::values(clEnumValN(Emit::ONNX, "onnx", "MLIR in the onnx dialect, right after import"),
               clEnumValN(Emit::NN, "nn", "MLIR in the nn dialect, after graph optimization"),
               clEnumValN(Emit::Linalg, "linalg", "MLIR on linalg/tensor, before code generation"),
               clEnumValN(Emit::MLIR, "mlir", "MLIR in the LLVM dialect (fully lowered)"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR (.ll)"),
               clEnumValN(Emit::Asm, "asm", "target assembly (.s)"),
               clEnumValN(Emit::Obj, "obj", "object file (.o)"),
               clEnumValN(Emit::Lib, "lib",
                          "library: shared (.so, default) or static (.a) by the output's "
                          "extension, plus a C header")),
    cl::cat(kilnCat));
static cl::opt<bool> profile(
    "profile",
    cl::desc("Instrument the library with a timer per ONNX node (read with "
             "kiln-run --profile or the runtime's kiln_model_profile_*; adds a "
             "few clock reads per node and run)"),
    cl::init(false), cl::cat(kilnCat));
static cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Do not run these graph passes on nn (comma-separated kiln-opt names, e.g. "
             "kiln-nn-fuse-epilogue; 'all' = every one; see docs/passes.md)"),
    cl::CommaSeparated, cl::value_desc("pass,..."), cl::cat(kilnCat));
static cl::opt<bool> keepWeights("mlir-print-weights",
                                 cl::desc("Print weight blobs in full in MLIR output "
                                          "(default: elided when larger than 64 bytes)"),
                                 cl::init(false), cl::cat(kilnCat));

static cl::opt<std::string> maxModelSize(
    "max-model-size",
    cl::desc("Refuse models larger than this, the .onnx file plus its external data "
             "(bytes, or with a K/M/G/T suffix; default 64G)"),
    cl::value_desc("size"), cl::init("64G"), cl::cat(kilnCat));
static cl::opt<std::string> maxTensorSize(
    "max-tensor-size",
    cl::desc("Refuse tensors larger than this: initializers, constants and declared "
             "static shapes (bytes, or with a K/M/G/T suffix; default 16G)"),
    cl::value_desc("size"), cl::init("16G"), cl::cat(kilnCat));
static cl::opt<int> maxSubgraphDepth(
    "max-subgraph-depth",
    cl::desc("Refuse subgraphs (If/Loop/Scan bodies) nested deeper than this (1 to 256; "
             "default 64)"),
    cl::init(kiln::ImportLimits().maxSubgraphDepth), cl::cat(kilnCat));

namespace {
/// Parses "123", "64K", "512M", "16G", "1T" (powers of 1024) for the size
/// limits; false if it is not such a size.
bool parseSize(StringRef text, uint64_t &bytes) {
  unsigned shift = 0;
  if (!text.empty()) {
    switch (llvm::toUpper(text.back())) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    }
  }
  if (shift)
    text = text.drop_back();
  uint64_t v;
  if (text.empty() || text.getAsInteger(10, v) || v == 0 || (shift && v > (~uint64_t(0) >> shift)))
    return false;
  bytes = v << shift;
  return true;
}

/// Prints diagnostics as "kiln-compile: error: <file>: <message>".
void printDiagnostic(Diagnostic &diag) {
  auto &os = llvm::errs();
  os << "kiln-compile: ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error: os << "error: "; break;
  case DiagnosticSeverity::Warning: os << "warning: "; break;
  case DiagnosticSeverity::Note: os << "note: "; break;
  case DiagnosticSeverity::Remark: os << "remark: "; break;
  }
  Location loc = diag.getLocation();
  std::string file;
  loc->walk([&](Location l) {
    if (auto fl = dyn_cast<FileLineColLoc>(l)) {
      file = fl.getFilename().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (!file.empty())
    os << file << ": ";
  os << diag << "\n";
  for (Diagnostic &note : diag.getNotes())
    os << "  note: " << note << "\n";
}

std::string defaultOutput() {
  SmallString<128> stem(llvm::sys::path::stem(inputFile));
  switch (emit) {
  case Emit::ONNX: case Emit::NN: case Emit::Linalg: case Emit::MLIR: return "-";
  case Emit::LLVM: return (stem + ".ll").str();
  case Emit::Asm: return (stem + ".s").str();
  case Emit::Obj: return (stem + ".o").str();
  case Emit::Lib: return ("lib" + stem + ".so").str();
  }
  return "-";
}

LogicalResult printModule(ModuleOp module, StringRef path) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out) {
    llvm::errs() << "kiln-compile: error: " << err << "\n";
    return failure();
  }
  OpPrintingFlags flags;
  if (!keepWeights)
    flags.elideLargeResourceString(64);
  module->print(out->os(), flags);
  out->keep();
  return success();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // Show Kiln's own options and the upstream `--mlir-*` ones; hide the
  // hundreds of LLVM back-end flags that libLLVM registers.
  for (auto &kv : cl::getRegisteredOptions())
    if (kv.first.starts_with("mlir-"))
      kv.second->addCategory(mlirCat);
  cl::HideUnrelatedOptions({&kilnCat, &mlirCat});
  cl::ParseCommandLineOptions(argc, argv,
                              "kiln-compile: compile an ONNX model to a library\n\n"
                              "  kiln-compile model.onnx -o libmodel.so\n");
  kiln::registerAllTargets();
  if (listTargets) {
    for (const kiln::Target *t : kiln::getRegisteredTargets())
      llvm::outs() << llvm::left_justify(t->getName(), 8) << " " << t->getDescription() << "\n";
    return 0;
  }
  if (listOperators) {
    for (const auto &[name, since] : kiln::supportedONNXOperators())
      llvm::outs() << name << " " << since << "-" << kiln::kMaxOpset << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "kiln-compile: error: no input file (usage: kiln-compile model.onnx -o libmodel.so)\n";
    return 1;
  }
  if (optLevel < '0' || optLevel > '3') {
    llvm::errs() << "kiln-compile: error: invalid optimization level -O" << optLevel
                 << " (expected -O0..-O3)\n";
    return 1;
  }
  unsigned level = optLevel - '0';
  uint64_t modelLimit = 0, tensorLimit = 0;
  for (auto [opt, bytes] : {std::pair{&maxModelSize, &modelLimit}, {&maxTensorSize, &tensorLimit}})
    if (!parseSize(*opt, *bytes)) {
      llvm::errs() << "kiln-compile: error: --" << opt->ArgStr << ": invalid size '"
                   << opt->getValue() << "' (expected a positive number of bytes, "
                   << "optionally with a K, M, G or T suffix)\n";
      return 1;
    }
  if (maxSubgraphDepth < 1 || maxSubgraphDepth > kiln::kMaxSubgraphDepthLimit) {
    llvm::errs() << "kiln-compile: error: --max-subgraph-depth must be between 1 and "
                 << kiln::kMaxSubgraphDepthLimit << " (got "
                 << maxSubgraphDepth << ")\n";
    return 1;
  }
  const kiln::Target *tgt = kiln::lookupTarget(target);
  if (!tgt) {
    llvm::errs() << "kiln-compile: error: target '" << target
                 << "' is not available yet (supported: " << kiln::registeredTargetNames() << ")\n";
    return 1;
  }
  std::string output = outputFile.empty() ? defaultOutput() : outputFile.getValue();
  kiln::TargetOptions topts;
  topts.triple = mtriple;
  topts.cpu = mcpu;
  topts.features = mattr;
  topts.optLevel = level;
  topts.profile = profile;
  topts.modelName =
      modelName.getNumOccurrences() ? modelName.getValue() : kiln::defaultModelName(output);
  std::optional<kiln::ArtifactKind> kind;
  if (emit == Emit::LLVM || emit == Emit::Asm || emit == Emit::Obj || emit == Emit::Lib)
    kind = emit == Emit::LLVM  ? kiln::ArtifactKind::LLVMIR
           : emit == Emit::Asm ? kiln::ArtifactKind::Assembly
           : emit == Emit::Obj ? kiln::ArtifactKind::Object
                               : kiln::libraryKindFor(output);
  if (llvm::Error e = kiln::validateTargetOptions(*tgt, topts, kind)) {
    llvm::errs() << "kiln-compile: error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<kiln::onnx::ONNXDialect, kiln::nn::NNDialect>();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.getDiagEngine().registerHandler([](Diagnostic &d) {
    printDiagnostic(d);
    return success();
  });

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope rootTimer = tm.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope t = rootTimer.nest("Import (ONNX protobuf -> onnx dialect)");
    kiln::ImportOptions iopts;
    iopts.recordNodeTypes = profile;
    iopts.limits.maxModelBytes = modelLimit;
    iopts.limits.maxTensorBytes = tensorLimit;
    iopts.limits.maxSubgraphDepth = maxSubgraphDepth;
    module = kiln::importONNXFile(inputFile, &ctx, iopts);
  }
  if (!module)
    return 1;
  if (emit == Emit::ONNX)
    return failed(printModule(*module, output)) ? 1 : 0;

  kiln::PipelineOptions popts;
  popts.optLevel = level;
  {
    SmallVector<StringRef> known = kiln::nnOptimizationPassNames();
    for (const std::string &n : disabledPasses) {
      if (n == "all") {
        for (StringRef k : known)
          popts.disabledPasses.insert(k.str());
        continue;
      }
      if (!llvm::is_contained(known, StringRef(n))) {
        llvm::errs() << "kiln-compile: error: --disable-pass: unknown graph pass '" << n
                     << "' (known: all";
        for (StringRef k : known)
          llvm::errs() << ", " << k;
        llvm::errs() << ")\n";
        return 1;
      }
      popts.disabledPasses.insert(n);
    }
  }
  auto runPM = [&](function_ref<void(OpPassManager &)> build) -> LogicalResult {
    PassManager pm(&ctx);
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    pm.enableTiming(rootTimer);
    kiln::addKilnStatisticsInstrumentation(pm);
    build(pm);
    return pm.run(*module);
  };
  if (failed(runPM([&](OpPassManager &pm) { kiln::buildONNXToNNPipeline(pm, popts); })))
    return 1;
  if (emit == Emit::NN)
    return failed(printModule(*module, output)) ? 1 : 0;
  if (failed(runPM([&](OpPassManager &pm) { kiln::buildNNToLinalgPipeline(pm, popts); })))
    return 1;
  if (emit == Emit::Linalg)
    return failed(printModule(*module, output)) ? 1 : 0;

  if (failed(runPM([&](OpPassManager &pm) { tgt->buildLoweringPipeline(pm, topts); })))
    return 1;
  if (emit == Emit::MLIR)
    return failed(printModule(*module, output)) ? 1 : 0;

  TimingScope t = rootTimer.nest("Code generation (LLVM)");
  if (failed(tgt->writeArtifact(*module, topts, *kind, output)))
    return 1;
  return 0;
}
