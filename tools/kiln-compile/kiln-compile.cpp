//===- kiln-compile.cpp - the Kiln compiler driver ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//   kiln-compile model.onnx -o libmodel.so [-O3] [--target=cpu]
//                [--mcpu=native] [--mtriple=...] [--emit=...]
//   kiln-compile model.nn.mlir -o libmodel.so    (restart from an emitted stage)
//
// Option syntax and checks live in Options.cpp, the -v phase report in
// Phases.cpp; this file runs the stages.
//
//===----------------------------------------------------------------------===//

#include "Options.h"
#include "Phases.h"
#include "QDQExport.h"
#include "Prune.h"
#include "Sparsify.h"
#include "Quantize.h"

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Target/Target.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace kiln::compile;
namespace cl = llvm::cl;

static cl::OptionCategory kilnCat("Kiln options");
static cl::OptionCategory mlirCat("MLIR options (pass instrumentation, printing, timing)");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.onnx | stage.mlir>"), cl::cat(kilnCat));
static cl::opt<bool> listOperators(
    "list-operators",
    cl::desc("Print the supported ONNX operators with the opsets accepted for each, then exit"),
    cl::init(false), cl::cat(kilnCat));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: derived from --emit)"),
                                       cl::value_desc("path"), cl::cat(kilnCat));
static cl::opt<char, false, OptLevelParser>
    optLevel("O", cl::desc("Optimization level: -O0, -O1, -O2 (default) or -O3"),
             cl::AlwaysPrefix, cl::ValueOptional, cl::init('2'), cl::cat(kilnCat));
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

static cl::opt<Emit, false, EmitParser> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Lib),
    cl::values(clEnumValN(Emit::ONNX, "onnx", "MLIR in the onnx dialect, right after import"),
               clEnumValN(Emit::NN, "nn", "MLIR in the nn dialect, after graph optimization"),
               clEnumValN(Emit::QDQONNX, "qdq-onnx",
                          "the input ONNX model with --quantize's int8 layers as QuantizeLinear / "
                          "DequantizeLinear nodes (for ONNX Runtime)"),
               clEnumValN(Emit::Linalg, "linalg", "MLIR on linalg/tensor, before code generation"),
               clEnumValN(Emit::MLIR, "mlir", "MLIR fully lowered (the LLVM dialect; emitc for --target=c)"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR (.ll)"),
               clEnumValN(Emit::Asm, "asm", "target assembly (.s)"),
               clEnumValN(Emit::Obj, "obj", "object file (.o)"),
               clEnumValN(Emit::Lib, "lib",
                          "library: shared (.so, default) or static (.a) by the output's "
                          "extension, plus a C header"),
               clEnumValN(Emit::C, "c",
                          "C99 source (.c) plus its header (--target=c; the default there)")),
    cl::cat(kilnCat));
static cl::opt<std::string> qdqBias(
    "qdq-bias",
    cl::desc("--emit=qdq-onnx: how a layer's bias is written: int32 (default; at scale x_scale * "
             "w_scale through DequantizeLinear, as ONNX Runtime's quantizer writes it and its int8 "
             "kernels need; rounds the bias by up to half a step) or float (unchanged: the QDQ model "
             "computes exactly what Kiln's int8 library does)"),
    cl::init("int32"), cl::cat(kilnCat));
static cl::opt<bool> parallel(
    "parallel",
    cl::desc("Run the tile loops of large operators on several threads (OpenMP, linked "
             "against libomp; the count is chosen at run time: kiln_model_set_num_threads, "
             "KILN_NUM_THREADS, default the CPUs the process may use).  --parallel=false: "
             "one thread, no libomp.  Default true for the host's architecture, ignored "
             "for other triples"),
    cl::init(true), cl::cat(kilnCat));
static cl::opt<std::string> winograd(
    "winograd",
    cl::desc("Winograd's minimal filtering for stride-1 3x3 convolutions with a constant filter: "
             "auto (default: per layer by a cost model, on AVX-512 targets at -O2 and up), f4 "
             "(F(4x4,3x3) for every such convolution), f2 (F(2x2,3x3)) or off"),
    cl::init("auto"), cl::value_desc("auto|f4|f2|off"), cl::cat(kilnCat));
static cl::opt<std::string> sparseKernel(
    "sparse-kernel",
    cl::desc("MatMul/Gemm layers whose constant weights are mostly exact zeros (pruned in training, or "
             "--sparsity) on the sparse x dense kernel: auto (default: at most 60 % of the weights nonzero, "
             "AVX2 or AVX-512 targets, -O2 and up) or off (the dense kernel)"),
    cl::init("auto"), cl::value_desc("auto|off"), cl::cat(kilnCat));
static cl::opt<bool> profile(
    "profile",
    cl::desc("Instrument the library with a timer per ONNX node (read with "
             "kiln-run --profile or the runtime's kiln_model_profile_*; adds a "
             "few clock reads per node and run)"),
    cl::init(false), cl::cat(kilnCat));
static cl::opt<unsigned> jobs(
    "j",
    cl::desc("Threads for the compile (MLIR passes, LLVM optimization and code generation of a "
             "library); default 0 = the CPUs this process may run on.  The output does not "
             "depend on it"),
    cl::value_desc("N"), cl::init(0), cl::Prefix, cl::cat(kilnCat));
static cl::opt<unsigned> llvmParts(
    "llvm-parts",
    cl::desc("Split a library into N parts for LLVM's optimization and code generation "
             "(default 0: one part per 20,000 LLVM instructions, at most 8; for testing)"),
    cl::value_desc("N"), cl::init(0), cl::Hidden, cl::cat(kilnCat));
static cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Do not run these graph passes on nn (comma-separated kiln-opt names, e.g. "
             "kiln-nn-fuse-epilogue; 'all' = every one; see docs/passes.md)"),
    cl::CommaSeparated, cl::value_desc("pass,..."), cl::cat(kilnCat));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix the shape of graph input NAME at compile time, e.g. input=1,3,224,224 "
             "(repeatable; replaces its symbolic dims, keeps its rank and static dims)"),
    cl::value_desc("NAME=D0,D1,..."), cl::cat(kilnCat));
static cl::opt<bool> keepWeights("mlir-print-weights",
                                 cl::desc("Print weight blobs in full in MLIR output "
                                          "(default: elided when larger than 64 bytes)"),
                                 cl::init(false), cl::cat(kilnCat));
static cl::opt<bool> verbose(
    "v",
    cl::desc("Print one line per phase (time, peak memory), the input's stage and the "
             "size of what was written"),
    cl::init(false), cl::cat(kilnCat));

static cl::opt<std::string> quantizeMode(
    "quantize",
    cl::desc("Post-training quantization: int8 (convolutions and matmuls with constant weights: "
             "uint8 activations, int8 per-channel weights; needs --calibration-data), bf16 (bf16 "
             "operands, f32 accumulation; CPUs with AVX512_BF16; no calibration) or mixed (int8 "
             "or fp32 per layer within --accuracy-budget on --eval-data) or int4-weights (MatMul/Gemm "
             "weights in 4 bits, groups of --int4-group along K, activation-aware scaling from "
             "--calibration-data; activations stay f32); see docs/quantization.md"),
    cl::value_desc("int8|bf16|mixed|int4-weights"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> int4Group(
    "int4-group",
    cl::desc("--quantize=int4-weights: weights per scale and zero point along K (an even number, "
             "e.g. 32, 64 or 128; default 128)"),
    cl::value_desc("G"), cl::init("128"), cl::cat(kilnCat));
static cl::opt<std::string> awqMode(
    "awq",
    cl::desc("--quantize=int4-weights: on (default: per-input-channel scales searched on "
             "--calibration-data, as AWQ) or off (round-to-nearest weights, no calibration)"),
    cl::value_desc("on|off"), cl::init("on"), cl::cat(kilnCat));
static cl::opt<std::string> calibrationData(
    "calibration-data",
    cl::desc("Folder of input samples that set the activation ranges for --quantize (ONNX "
             "backend-test layout test_data_set_*/input_*.pb, or <input>.npy arrays)"),
    cl::value_desc("DIR"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> calibrationMethod(
    "calibration",
    cl::desc("How --quantize chooses an activation range from the calibration data: minmax "
             "(default), percentile:P (clip the values beyond the P-th percentile, e.g. 99.99) "
             "or entropy (the clipping with the least KL divergence)"),
    cl::value_desc("minmax|percentile:P|entropy"), cl::init("minmax"), cl::cat(kilnCat));
static cl::opt<std::string> evalData(
    "eval-data",
    cl::desc("Folder of inputs (and labels) on which --quantize prints the top-1 accuracy of the "
             "float and the quantized model (their agreement without labels)"),
    cl::value_desc("DIR"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> accuracyBudget(
    "accuracy-budget",
    cl::desc("Points of top-1 accuracy (of agreement with the float model where --eval-data has "
             "no labels) that quantization may lose on --eval-data: --quantize=mixed keeps layers "
             "in fp32 until the loss is within it; with int8, a warning when it is exceeded"),
    cl::value_desc("points"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> mixedFallback(
    "mixed-fallback",
    cl::desc("Where --quantize=mixed puts a layer that leaves int8: auto (default: bf16 where the CPU has "
             "bf16 kernels, bf16 keeps the budget and is measured faster for the layer, else fp32), "
             "fp32 or bf16"),
    cl::value_desc("auto|fp32|bf16"), cl::init("auto"), cl::cat(kilnCat));
static cl::opt<std::string> int4Activations(
    "int4-activations",
    cl::desc("--quantize=int4-weights and --mixed-int4: f32 (default: weight-only) or int8 (the activations "
             "rounded to int8 at run time per row and group of --int4-group, a multiple of 8: W4A8, on "
             "vpdpbusd where the CPU has AVX-512 VNNI)"),
    cl::value_desc("f32|int8"), cl::init("f32"), cl::cat(kilnCat));
static cl::opt<bool> mixedInt4(
    "mixed-int4",
    cl::desc("--quantize=mixed: MatMul/Gemm layers whose K --int4-group divides may take int4 weights (AWQ "
             "scales per --awq) where they are measured faster than int8 (memory-bound layers, e.g. a "
             "decoding step); the budget search starts from that mix"),
    cl::init(false), cl::cat(kilnCat));
static cl::opt<std::string> pruneSpec(
    "prune",
    cl::desc("Structured channel pruning: channels:R removes the fraction R of the channels of every layer "
             "(least important first), flops:R the channels with the least importance per MAC until R of the "
             "MACs are gone; the layers that read them are refitted by least squares on --calibration-data; "
             "see docs/pruning.md"),
    cl::value_desc("channels:R|flops:R"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> pruneReconstruct(
    "prune-reconstruct",
    cl::desc("--prune: on (default: refit the layers that read pruned channels on --calibration-data) or off"),
    cl::value_desc("on|off"), cl::init("on"), cl::cat(kilnCat));
static cl::opt<std::string> pruneReport(
    "prune-report",
    cl::desc("Write --prune's per-layer report (channels, MACs and weight bytes before and after) to this "
             "file: JSON if it ends in .json, else text; '-' for stdout"),
    cl::value_desc("path"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> sparsitySpec(
    "sparsity",
    cl::desc("Weight sparsity for the MatMul/Gemm layers with constant weights: N:M keeps the N largest of "
             "every M consecutive weights along K (2:4), unstructured:R zeroes the fraction R of each layer's "
             "weights; scored by |w|, or |w| x input norm with --calibration-data; the CPU target runs "
             "sparse enough layers on its sparse kernel; see docs/pruning.md"),
    cl::value_desc("N:M|unstructured:R"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> sparsityReport(
    "sparsity-report",
    cl::desc("Write --sparsity's per-layer report (nonzero weights and sparsity before and after) to this "
             "file: JSON if it ends in .json, else text; '-' for stdout"),
    cl::value_desc("path"), cl::init(""), cl::cat(kilnCat));
static cl::opt<std::string> quantReport(
    "quant-report",
    cl::desc("Write --quantize's per-layer report (precision, MACs, input range, scale, "
             "sensitivity, measured time) to this file: JSON if it ends in .json, else text; "
             "'-' for stdout"),
    cl::value_desc("path"), cl::init(""), cl::cat(kilnCat));

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

/// Prints diagnostics as "kiln-compile: error: <file>[:line:col]: <message>".
void printDiagnostic(Diagnostic &diag) {
  auto &os = llvm::errs();
  os << kTool << ": ";
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
      // The importer's locations are the .onnx file (line 0); MLIR input
      // has lines.
      if (fl.getLine() > 0)
        file += ":" + std::to_string(fl.getLine()) + ":" + std::to_string(fl.getColumn());
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

/// Whether an upstream `--mlir-*` option was given on the command line.
bool optionGiven(StringRef name) {
  auto &opts = cl::getRegisteredOptions();
  auto it = opts.find(name);
  return it != opts.end() && it->second->getNumOccurrences() > 0;
}

std::string defaultOutput() {
  SmallString<128> stem(llvm::sys::path::stem(inputFile));
  switch (emit) {
  case Emit::ONNX: case Emit::NN: case Emit::Linalg: case Emit::MLIR: return "-";
  case Emit::QDQONNX: return (stem + ".qdq.onnx").str();
  case Emit::LLVM: return (stem + ".ll").str();
  case Emit::Asm: return (stem + ".s").str();
  case Emit::Obj: return (stem + ".o").str();
  case Emit::Lib: return ("lib" + stem + ".so").str();
  case Emit::C: return (stem + ".c").str();
  }
  return "-";
}

LogicalResult printModule(ModuleOp module, StringRef path) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out) {
    printError(err);
    return failure();
  }
  OpPrintingFlags flags;
  if (!keepWeights)
    flags.elideLargeResourceString(64);
  module->print(out->os(), flags);
  out->keep();
  return success();
}

//===----------------------------------------------------------------------===//
// Input: an .onnx model, or MLIR that kiln-compile --emit wrote
//===----------------------------------------------------------------------===//

/// Where the compile of an input starts.
enum class Stage { ONNX, NN, Linalg, LLVM };

StringRef describe(Stage s) {
  switch (s) {
  case Stage::ONNX: return "onnx stage: running every phase";
  case Stage::NN: return "nn stage: starting at the graph passes on nn";
  case Stage::Linalg: return "linalg stage: starting at the lowering to the LLVM dialect";
  case Stage::LLVM: return "LLVM dialect stage: only LLVM code generation left";
  }
  return "";
}

/// The stage a module that kiln-compile --emit printed is at, from the
/// dialects in it: onnx ops -> onnx; else nn ops -> nn; else an entry
/// `func.func` -> linalg; else LLVM functions -> LLVM dialect.  nn.check
/// stays in linalg-stage modules (the target lowers it), so it does not
/// count as an nn op.
FailureOr<Stage> detectStage(ModuleOp module) {
  bool onnx = false, nn = false, func = false, llvmFunc = false;
  module->walk([&](Operation *op) {
    StringRef ns = op->getName().getDialectNamespace();
    onnx |= ns == kiln::onnx::ONNXDialect::getDialectNamespace();
    nn |= ns == kiln::nn::NNDialect::getDialectNamespace() && !isa<kiln::nn::CheckOp>(op);
    if (auto f = dyn_cast<func::FuncOp>(op))
      func |= f->hasAttr("kiln.entry");
    llvmFunc |= isa<LLVM::LLVMFuncOp>(op);
  });
  if (func)
    return onnx ? Stage::ONNX : nn ? Stage::NN : Stage::Linalg;
  if (llvmFunc && module->hasAttr("kiln.abi"))
    return Stage::LLVM;
  emitError(module.getLoc())
      << "no Kiln model in this MLIR: expected a func.func with the kiln.entry attribute "
         "(kiln-compile --emit=onnx, nn or linalg) or an LLVM-dialect module with kiln.abi "
         "(--emit=mlir)";
  return failure();
}

/// Refuses MLIR whose weights were elided when it was printed.
LogicalResult checkWeightsPresent(ModuleOp module) {
  WalkResult r = module->walk([&](Operation *op) {
    WalkResult inner = op->getAttrDictionary().walk([&](DenseResourceElementsAttr a) {
      return a.getRawHandle().getBlob() ? WalkResult::advance() : WalkResult::interrupt();
    });
    if (!inner.wasInterrupted())
      return WalkResult::advance();
    emitError(op->getLoc()) << "the weights of this MLIR were elided when it was printed "
                               "(dense_resource<__elided__>); emit the stage again with "
                               "--mlir-print-weights to compile from it";
    return WalkResult::interrupt();
  });
  return failure(r.wasInterrupted());
}

bool isMLIRInput(StringRef path) {
  return path.ends_with(".mlir") || path.ends_with(".mlirbc");
}

OwningOpRef<ModuleOp> loadMLIR(MLIRContext &ctx, Stage &stage) {
  ParserConfig config(&ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(inputFile, config);
  if (!module)
    return nullptr;
  FailureOr<Stage> s = detectStage(*module);
  if (failed(s) || failed(checkWeightsPresent(*module)))
    return nullptr;
  stage = *s;
  return module;
}

//===----------------------------------------------------------------------===//
// Option checks
//===----------------------------------------------------------------------===//

/// The checks that need no input: sizes, levels, input shapes, the output
/// (the target checks its own options: kiln::validateTargetOptions).
bool checkOptions(const std::string &output, kiln::ImportLimits &limits,
                  std::map<std::string, std::vector<int64_t>> &shapes) {
  for (auto [opt, bytes] : {std::pair{&maxModelSize, &limits.maxModelBytes},
                            {&maxTensorSize, &limits.maxTensorBytes}})
    if (!parseSize(*opt, *bytes)) {
      printError(llvm::Twine("--") + opt->ArgStr + ": invalid size '" + opt->getValue() +
                 "' (expected a positive number of bytes, optionally with a K, M, G or T "
                 "suffix)");
      return false;
    }
  if (maxSubgraphDepth < 1 || maxSubgraphDepth > kiln::kMaxSubgraphDepthLimit) {
    printError("--max-subgraph-depth must be between 1 and " +
               llvm::Twine(kiln::kMaxSubgraphDepthLimit) + " (got " +
               llvm::Twine(maxSubgraphDepth) + ")");
    return false;
  }
  limits.maxSubgraphDepth = maxSubgraphDepth;
  if (!parseInputShapes(inputShapes, shapes))
    return false;
  if (!shapes.empty() && isMLIRInput(inputFile)) {
    printError("--input-shape applies to .onnx input (an MLIR stage keeps the shapes it "
               "was emitted with)");
    return false;
  }
  return checkOutputPath(output, emit);
}

/// The static memory plan's line of kiln-compile -v (after lowering).
std::string arenaSummary;

/// kiln-compile -v: the size of what was written, then the memory plan.
void reportOutput(const PhaseReport &phases, StringRef output) {
  if (!phases.isVerbose())
    return;
  auto noteArena = [&] {
    if (!arenaSummary.empty())
      phases.note(arenaSummary);
  };
  if (output == "-")
    return noteArena();
  auto sizeOf = [](StringRef path) {
    uint64_t size = 0;
    return llvm::sys::fs::file_size(path, size) ? std::string("?") : std::to_string(size);
  };
  std::string msg = ("wrote " + output + " (" + sizeOf(output) + " bytes)").str();
  if (emit == Emit::Lib || emit == Emit::C) {
    SmallString<256> header(output);
    llvm::sys::path::replace_extension(header, ".h");
    msg += (" and " + header + " (" + sizeOf(header) + " bytes)").str();
  }
  phases.note(msg);
  noteArena();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // Every pass is registered, as in kiln-opt, so that the upstream
  // --mlir-print-ir-before/after=<pass> options know the pass names (their
  // parsers read the registry when the options are registered below).
  registerAllPasses();
  kiln::registerKilnConversionPasses();
  kiln::registerKilnTransformsPasses();
  kiln::registerKilnPipelines();
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
  cl::SetVersionPrinter(printVersion);
  if (!parseCommandLine(argc, argv,
                        "kiln-compile: compile an ONNX model to a library\n\n"
                        "  kiln-compile model.onnx -o libmodel.so\n"))
    return 1;
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
    printError("no input file (usage: kiln-compile model.onnx -o libmodel.so)");
    return 1;
  }
  unsigned level = optLevel - '0';
  // A target that writes no library (C source) has its own default.
  if (const kiln::Target *t = kiln::lookupTarget(target); t && !emit.getNumOccurrences())
    if (t->defaultArtifact() == kiln::ArtifactKind::CSource)
      emit.setValue(Emit::C);
  std::string output = outputFile.empty() ? defaultOutput() : outputFile.getValue();
  kiln::ImportOptions iopts;
  if (!checkOptions(output, iopts.limits, iopts.inputShapes))
    return 1;
  // Node types name the ONNX op in --profile reports and in run-time check
  // messages ("node 'Squeeze_1' (Squeeze): ...").
  iopts.recordNodeTypes = true;
  const kiln::Target *tgt = kiln::lookupTarget(target);
  if (!tgt) {
    printError("target '" + target + "' is not available yet (supported: " +
               kiln::registeredTargetNames() + ")");
    return 1;
  }
  kiln::TargetOptions topts;
  topts.triple = mtriple;
  topts.cpu = mcpu;
  topts.features = mattr;
  topts.optLevel = level;
  topts.profile = profile;
  topts.parallel = parallel;
  if (winograd != "auto" && winograd != "f4" && winograd != "f2" && winograd != "off") {
    printError("unknown --winograd value '" + winograd + "' (expected auto, f4, f2 or off)");
    return 1;
  }
  topts.winograd = winograd;
  if (sparseKernel != "auto" && sparseKernel != "off") {
    printError("unknown --sparse-kernel value '" + sparseKernel + "' (expected auto or off)");
    return 1;
  }
  topts.sparseKernel = sparseKernel;
  QuantizeOptions qopts;
  qopts.mode = quantizeMode;
  qopts.calibrationData = calibrationData;
  qopts.method = calibrationMethod;
  qopts.evalData = evalData;
  qopts.report = quantReport;
  qopts.budgetText = accuracyBudget;
  qopts.mixedFallback = mixedFallback;
  qopts.mixedFallbackGiven = mixedFallback.getNumOccurrences() > 0;
  qopts.int4GroupText = int4Group;
  qopts.int4GroupGiven = int4Group.getNumOccurrences() > 0;
  qopts.awq = awqMode;
  qopts.awqGiven = awqMode.getNumOccurrences() > 0;
  qopts.mixedInt4 = mixedInt4;
  qopts.int4Activations = int4Activations;
  qopts.int4ActivationsGiven = int4Activations.getNumOccurrences() > 0;
  qopts.pruning = !pruneSpec.empty() || !sparsitySpec.empty();
  if (qopts.mode.empty() && pruneSpec.empty() && !sparsitySpec.empty() && accuracyBudget.getNumOccurrences()) {
    printError("--accuracy-budget applies to --quantize and --prune (--sparsity has no budget search)");
    return 1;
  }
  if (!checkQuantizeOptions(qopts))
    return 1;
  PruneOptions pruneOpts;
  pruneOpts.spec = pruneSpec;
  pruneOpts.report = pruneReport;
  pruneOpts.calibrationData = calibrationData;
  pruneOpts.evalData = evalData;
  pruneOpts.budget = qopts.budget;
  if (!checkPruneOptions(pruneOpts))
    return 1;
  if (pruneReconstruct != "on" && pruneReconstruct != "off") {
    printError("unknown --prune-reconstruct value '" + pruneReconstruct + "' (expected on or off)");
    return 1;
  }
  pruneOpts.reconstruct = pruneReconstruct == "on";
  if (pruneSpec.empty() && (pruneReport.getNumOccurrences() || pruneReconstruct.getNumOccurrences())) {
    printError(pruneReport.getNumOccurrences() ? "--prune-report needs --prune" : "--prune-reconstruct needs --prune");
    return 1;
  }
  SparsityOptions sparsityOpts;
  sparsityOpts.spec = sparsitySpec;
  sparsityOpts.report = sparsityReport;
  sparsityOpts.calibrationData = calibrationData;
  sparsityOpts.evalData = evalData;
  if (!checkSparsityOptions(sparsityOpts))
    return 1;
  if (sparsitySpec.empty() && sparsityReport.getNumOccurrences()) {
    printError("--sparsity-report needs --sparsity");
    return 1;
  }
  if (!sparsitySpec.empty() && emit == Emit::ONNX) {
    printError("--sparsity rewrites the nn stage: --emit=onnx stops before it (use --emit=nn or later)");
    return 1;
  }
  if (!pruneSpec.empty() && emit == Emit::ONNX) {
    printError("--prune rewrites the nn stage: --emit=onnx stops before it (use --emit=nn or later)");
    return 1;
  }
  if (qdqBias != "int32" && qdqBias != "float") {
    printError("unknown --qdq-bias value '" + qdqBias + "' (expected int32 or float)");
    return 1;
  }
  if (qdqBias.getNumOccurrences() && emit != Emit::QDQONNX) {
    printError("--qdq-bias applies to --emit=qdq-onnx only");
    return 1;
  }
  if (qopts.mode.empty() && emit == Emit::QDQONNX) {
    printError("--emit=qdq-onnx writes the quantization --quantize chooses: give --quantize=int8 or mixed "
               "(and --calibration-data)");
    return 1;
  }
  if ((qopts.mode == "bf16" || qopts.mode == "int4-weights") && emit == Emit::QDQONNX) {
    printError("--emit=qdq-onnx writes int8 layers as QuantizeLinear/DequantizeLinear: --quantize=" + qopts.mode +
               " has none (give --quantize=int8 or mixed)");
    return 1;
  }
  if (!qopts.mode.empty() && emit == Emit::ONNX) {
    printError("--quantize rewrites the nn stage: --emit=onnx stops before it (use --emit=nn or later)");
    return 1;
  }
  topts.llvmParts = llvmParts;
  topts.modelName =
      modelName.getNumOccurrences() ? modelName.getValue() : kiln::defaultModelName(output);
  std::optional<kiln::ArtifactKind> kind;
  if (emit == Emit::LLVM || emit == Emit::Asm || emit == Emit::Obj || emit == Emit::Lib ||
      emit == Emit::C)
    kind = emit == Emit::LLVM  ? kiln::ArtifactKind::LLVMIR
           : emit == Emit::Asm ? kiln::ArtifactKind::Assembly
           : emit == Emit::Obj ? kiln::ArtifactKind::Object
           : emit == Emit::C   ? kiln::ArtifactKind::CSource
                               : kiln::libraryKindFor(output);
  // The target's options are checked before any work, when code will be
  // generated (an MLIR stage before that needs no target).
  if (emit >= Emit::MLIR) {
    if (llvm::Error e = kiln::validateTargetOptions(*tgt, topts, kind)) {
      printError(llvm::toString(std::move(e)));
      return 1;
    }
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<kiln::onnx::ONNXDialect, kiln::nn::NNDialect>();
  // MLIR's function passes run on the kernels in parallel (one function
  // each after kiln-cpu-outline-kernels), on -j threads.
  unsigned threads = optionGiven("mlir-disable-threading") ? 1
                     : jobs ? jobs.getValue()
                            : llvm::hardware_concurrency().compute_thread_count();
  topts.jobs = threads;
  std::unique_ptr<llvm::DefaultThreadPool> pool;
  if (threads > 1)
    pool = std::make_unique<llvm::DefaultThreadPool>(llvm::hardware_concurrency(threads));
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  if (pool)
    ctx.setThreadPool(*pool);
  ctx.loadAllAvailableDialects();
  // An error on an op would print the op after it ("see current operation"):
  // for the module that is the whole model.  Only on request.
  if (!optionGiven("mlir-print-op-on-diagnostic"))
    ctx.printOpOnDiagnostic(false);
  ctx.getDiagEngine().registerHandler([](Diagnostic &d) {
    printDiagnostic(d);
    return success();
  });

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope rootTimer = tm.getRootScope();
  PhaseReport phases(verbose, rootTimer);

  // Load: import the .onnx model, or parse an emitted stage.
  OwningOpRef<ModuleOp> module;
  Stage stage = Stage::ONNX;
  if (isMLIRInput(inputFile)) {
    phases.begin("read MLIR", "Read MLIR");
    module = loadMLIR(ctx, stage);
    if (module)
      phases.note(llvm::Twine(inputFile) + ": " + describe(stage));
  } else {
    phases.begin("import", "Import (ONNX protobuf -> onnx dialect)");
    module = kiln::importONNXFile(inputFile, &ctx, iopts);
  }
  if (!module)
    return 1;
  Emit inputEmit = stage == Stage::ONNX ? Emit::ONNX
                   : stage == Stage::NN ? Emit::NN
                   : stage == Stage::Linalg ? Emit::Linalg
                                            : Emit::MLIR;
  if (emit < inputEmit) {
    phases.end();
    // The --emit values are listed in the order of the Emit enum.
    printError(llvm::Twine("--emit=") + emit.getParser().getOption(unsigned(emit.getValue())) +
               ": " +
               inputFile + " is already past that stage (it is at the " +
               describe(stage).split(':').first + ")");
    return 1;
  }
  auto finish = [&](LogicalResult r) {
    phases.end();
    if (failed(r))
      return 1;
    reportOutput(phases, output);
    return 0;
  };
  if (emit == Emit::ONNX)
    return finish(printModule(*module, output));
  if (emit == Emit::QDQONNX && stage != Stage::ONNX) {
    phases.end();
    printError("--emit=qdq-onnx rewrites the input ONNX model: " + inputFile + " is not an .onnx model");
    return 1;
  }

  kiln::PipelineOptions popts;
  popts.optLevel = level;
  popts.profile = profile;
  {
    SmallVector<StringRef> known = kiln::nnOptimizationPassNames();
    for (const std::string &n : disabledPasses) {
      if (n == "all") {
        for (StringRef k : known)
          popts.disabledPasses.insert(k.str());
        continue;
      }
      if (!llvm::is_contained(known, StringRef(n))) {
        std::string msg = "--disable-pass: unknown graph pass '" + n + "' (known: all";
        for (StringRef k : known)
          msg += ", " + k.str();
        printError(msg + ")");
        return 1;
      }
      popts.disabledPasses.insert(n);
    }
  }

  // Each pipeline runs in its own pass manager.  --mlir-pass-statistics gets
  // a header naming the pipeline (its kiln-opt name), and
  // --mlir-print-ir-tree-dir a subfolder per pipeline (each pass manager
  // numbers its files from 0 and would overwrite the previous one's).
  auto &clOpts = cl::getRegisteredOptions();
  auto *treeDirOpt = static_cast<cl::opt<std::string> *>(clOpts.lookup("mlir-print-ir-tree-dir"));
  std::string treeDir = treeDirOpt ? treeDirOpt->getValue() : "";
  bool statistics = optionGiven("mlir-pass-statistics");
  int pipelineIndex = 0;
  auto runPM = [&](StringRef phase, StringRef pipeline,
                   function_ref<void(OpPassManager &)> build) -> LogicalResult {
    phases.begin(phase);
    ++pipelineIndex;
    if (statistics)
      llvm::errs() << "===- " << kTool << ": pipeline " << pipelineIndex << " '" << pipeline
                   << "' (" << phase << ") -===\n";
    PassManager pm(&ctx);
    if (!treeDir.empty()) {
      SmallString<256> dir(treeDir);
      llvm::sys::path::append(dir, std::to_string(pipelineIndex) + "_" + pipeline.str());
      // The IR printer creates one folder level at a time from its root.
      (void)llvm::sys::fs::create_directories(treeDir);
      treeDirOpt->setValue(dir.str().str());
    }
    LogicalResult applied = applyPassManagerCLOptions(pm);
    if (!treeDir.empty())
      treeDirOpt->setValue(treeDir);
    if (failed(applied))
      return failure();
    pm.enableTiming(phases.timing());
    kiln::addKilnStatisticsInstrumentation(pm);
    build(pm);
    if (failed(pm.run(*module)))
      return failure();
    // The weights the pipeline replaced are freed before the next one.
    kiln::releaseUnreferencedBlobs(*module);
    return success();
  };

  // --prune works on the graph after dead-channel removal and before
  // epilogue fusion and layer merging, then the rest of the passes run.
  kiln::PipelineOptions firstPart = popts;
  if (!pruneOpts.spec.empty())
    firstPart.stopAfter = "kiln-nn-remove-dead-channels";
  if (stage == Stage::ONNX) {
    if (failed(runPM("graph passes", "kiln-onnx-to-nn",
                     [&](OpPassManager &pm) { kiln::buildONNXToNNPipeline(pm, firstPart); })))
      return 1;
  }
  if (stage == Stage::NN) {
    if (failed(runPM("graph passes", "kiln-nn-optimize",
                     [&](OpPassManager &pm) { kiln::buildNNOptimizationPipeline(pm, firstPart); })))
      return 1;
  }
  bool sideModels = !qopts.mode.empty() || !pruneOpts.spec.empty() || !sparsityOpts.spec.empty();
  const char *sideOption = !qopts.mode.empty() ? "--quantize" : !pruneOpts.spec.empty() ? "--prune" : "--sparsity";
  if (sideModels && stage > Stage::NN) {
    phases.end();
    printError(llvm::Twine(sideOption) +
               " needs an .onnx model or an nn-stage MLIR input (" + inputFile + " is at the " +
               describe(stage).split(':').first + ")");
    return 1;
  }
  // The side libraries (calibration, sensitivity, evaluation) run here,
  // built by the target's side target (another one, for this machine,
  // when the target writes no library).
  const kiln::Target *sideTgt = &tgt->sideTarget();
  kiln::TargetOptions side = topts;
  if (sideTgt != tgt) {
    side = kiln::TargetOptions();
    side.optLevel = topts.optLevel;
    side.jobs = topts.jobs;
  }
  side.onPhase = nullptr;
  side.modelName = "quantize_side";
  if (sideModels) {
    if (llvm::Error e = kiln::validateTargetOptions(*sideTgt, side, kiln::ArtifactKind::SharedLib)) {
      printError(llvm::toString(std::move(e)));
      return 1;
    }
    if (llvm::Triple(side.triple).getArch() != llvm::Triple(llvm::sys::getProcessTriple()).getArch() ||
        llvm::Triple(side.triple).getOS() != llvm::Triple(llvm::sys::getProcessTriple()).getOS()) {
      printError(llvm::Twine(sideOption) +
                 " calibrates by running the model on this machine: --mtriple " + side.triple +
                 " is not the host's (" + llvm::sys::getProcessTriple() + ")");
      return 1;
    }
  }
  auto compileSide = [&](ModuleOp m, StringRef path, bool prof) -> LogicalResult {
    kiln::TargetOptions o = side;
    o.profile = prof;
    if (uint64_t l2 = sideTgt->l2CacheBytes(o))
      m->setAttr("kiln.l2_cache_bytes", mlir::IntegerAttr::get(mlir::IntegerType::get(&ctx, 64), l2));
    kiln::PipelineOptions p = popts;
    p.profile = prof;
    if (const char *dump = std::getenv("KILN_QUANTIZE_DUMP")) {
      // Debugging: each side library's nn module, next to DIR.
      std::string err;
      if (auto f = openOutputFile((llvm::Twine(dump) + "/" + llvm::sys::path::stem(path) + ".nn.mlir").str(), &err)) {
        OpPrintingFlags flags;
        m->print(f->os(), flags.elideLargeResourceString(64));
        f->keep();
      }
    }
    PassManager pm(&ctx);
    kiln::buildNNToLinalgPipeline(pm, p);
    sideTgt->buildLoweringPipeline(pm, o);
    if (failed(pm.run(m)))
      return failure();
    return sideTgt->writeArtifact(m, o, kiln::ArtifactKind::SharedLib, path);
  };
  if (!pruneOpts.spec.empty()) {
    pruneOpts.batch = qopts.batch;
    if (failed(kiln::compile::pruneModule(*module, pruneOpts, compileSide, phases)))
      return 1;
    kiln::releaseUnreferencedBlobs(*module);
    kiln::PipelineOptions rest = popts;
    rest.startAfter = "kiln-nn-remove-dead-channels";
    if (failed(runPM("graph passes", "kiln-nn-optimize",
                     [&](OpPassManager &pm) { kiln::buildNNOptimizationPipeline(pm, rest); })))
      return 1;
  }
  if (!sparsityOpts.spec.empty()) {
    sparsityOpts.batch = qopts.batch;
    if (failed(kiln::compile::sparsifyModule(*module, sparsityOpts, compileSide, phases)))
      return 1;
    kiln::releaseUnreferencedBlobs(*module);
  }
  if (!qopts.mode.empty()) {
    if (llvm::Error e = tgt->checkPrecision("bf16", side)) {
      if (qopts.mode == "bf16" || qopts.mixedFallback == "bf16") {
        printError((qopts.mode == "bf16" ? "--quantize=bf16: " : "--mixed-fallback=bf16: ") +
                   llvm::toString(std::move(e)));
        return 1;
      }
      llvm::consumeError(std::move(e));
    } else {
      qopts.bf16Kernels = true;
    }
    if (llvm::Error e = tgt->checkPrecision("int8-depthwise", side))
      llvm::consumeError(std::move(e));
    else
      qopts.int8Depthwise = true;
    if (failed(kiln::compile::quantizeModule(*module, qopts, compileSide, phases)))
      return 1;
    kiln::releaseUnreferencedBlobs(*module);
  }
  if (emit == Emit::QDQONNX) {
    phases.begin("writing the QDQ model");
    return finish(kiln::compile::writeQDQModel(inputFile, *module, output, qdqBias == "int32"));
  }
  if (stage <= Stage::NN) {
    // The target's own graph passes (kiln-<target>-nn), if it has any.
    OpPassManager probe(ModuleOp::getOperationName());
    tgt->buildNNPasses(probe, topts);
    if (probe.size() &&
        failed(runPM("target graph passes", ("kiln-" + tgt->getName() + "-nn").str(),
                     [&](OpPassManager &pm) { tgt->buildNNPasses(pm, topts); })))
      return 1;
  }
  if (emit == Emit::NN)
    return finish(printModule(*module, output));
  if (stage <= Stage::NN) {
    // The target CPU's L2, for the block sizes of target-independent
    // lowerings (nn.attention's query blocks).
    if (uint64_t l2 = tgt->l2CacheBytes(topts))
      (*module)->setAttr("kiln.l2_cache_bytes", mlir::IntegerAttr::get(mlir::IntegerType::get(&ctx, 64), l2));
    if (failed(runPM("lowering to linalg", "kiln-nn-to-linalg",
                     [&](OpPassManager &pm) { kiln::buildNNToLinalgPipeline(pm, popts); })))
      return 1;
  }
  if (emit == Emit::Linalg)
    return finish(printModule(*module, output));

  if (stage <= Stage::Linalg) {
    std::string pipelineName = ("kiln-" + tgt->getName() + "-lowering").str();
    std::string phase = ("lowering to " + tgt->getLoweredForm()).str();
    if (failed(runPM(phase, pipelineName,
                     [&](OpPassManager &pm) { tgt->buildLoweringPipeline(pm, topts); })))
      return 1;
  }
  if (auto arena = kiln::ArenaInfo::fromModule(*module))
    arenaSummary = arena->summary();
  if (emit == Emit::MLIR)
    return finish(printModule(*module, output));

  topts.onPhase = [&](StringRef phase) { phases.begin(phase); };
  phases.begin("target setup");
  return finish(tgt->writeArtifact(*module, topts, *kind, output));
}
