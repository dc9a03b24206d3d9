//===- kiln-cpu-dev.cpp - drive a back end on a .mlir file ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//   kiln-cpu-dev in.mlir -o libm.so [-O0..-O3] [--emit=mlir|llvm|asm|obj|lib]
//                [--target=cpu] [--mcpu=native] [--mattr=...] [--mtriple=...]
//                [--name=ident]
//
// The input is linalg on tensors with one `kiln.entry` function (the
// target's lowering pipeline runs first) or a module already in the LLVM dialect
// (recognized by its `kiln.abi` attribute; it goes straight to code
// generation).  `--emit=lib` writes a .so, or a .a when -o ends in ".a".
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/Common/ModelABI.h"
#include "kiln/Target/Target.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"), cl::init("-"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"), cl::init("-"));
static cl::opt<char> optLevel("O", cl::desc("Optimization level 0..3"), cl::Prefix, cl::init('2'));
static cl::opt<std::string> mcpu("mcpu", cl::desc("Target CPU"), cl::init("native"));
static cl::opt<std::string> mattr("mattr", cl::desc("Target features"), cl::init(""));
static cl::opt<std::string> mtriple("mtriple", cl::desc("Target triple"), cl::init(""));
static cl::opt<std::string> target("target", cl::desc("Target (see kiln-compile --list-targets)"),
                                   cl::init("cpu"));
static cl::opt<std::string> modelName("name", cl::desc("C name of the model (default: from -o)"),
                                      cl::init(""));
enum class Emit { MLIR, LLVM, Asm, Obj, Lib };
static cl::opt<Emit> emit("emit", cl::desc("What to produce"), cl::init(Emit::Lib),
                          cl::values(clEnumValN(Emit::MLIR, "mlir", "LLVM-dialect MLIR"),
                                     clEnumValN(Emit::LLVM, "llvm", "LLVM IR"),
                                     clEnumValN(Emit::Asm, "asm", "assembly"),
                                     clEnumValN(Emit::Obj, "obj", "object file"),
                                     clEnumValN(Emit::Lib, "lib", ".so (or .a)")));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "Kiln CPU back-end driver\n");
  if (optLevel < '0' || optLevel > '3') {
    llvm::errs() << "kiln-cpu-dev: error: invalid -O" << optLevel << "\n";
    return 1;
  }
  kiln::registerAllTargets();
  const kiln::Target *tgt = kiln::lookupTarget(target);
  if (!tgt) {
    llvm::errs() << "kiln-cpu-dev: error: unknown target '" << target
                 << "' (registered: " << kiln::registeredTargetNames() << ")\n";
    return 1;
  }
  kiln::TargetOptions opts;
  opts.optLevel = optLevel - '0';
  opts.cpu = mcpu;
  opts.features = mattr;
  opts.triple = mtriple;
  opts.modelName =
      modelName.getNumOccurrences() ? modelName.getValue() : kiln::defaultModelName(outputFile);
  std::optional<kiln::ArtifactKind> kind;
  if (emit != Emit::MLIR)
    kind = emit == Emit::LLVM  ? kiln::ArtifactKind::LLVMIR
           : emit == Emit::Asm ? kiln::ArtifactKind::Assembly
           : emit == Emit::Obj ? kiln::ArtifactKind::Object
                               : kiln::libraryKindFor(outputFile);
  if (llvm::Error e = kiln::validateTargetOptions(*tgt, opts, kind)) {
    llvm::errs() << "kiln-cpu-dev: error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  MLIRContext ctx(registry);

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope root = tm.getRootScope();

  std::string err;
  auto file = openInputFile(inputFile, &err);
  if (!file) {
    llvm::errs() << "kiln-cpu-dev: error: " << err << "\n";
    return 1;
  }
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module;
  {
    TimingScope t = root.nest("Parse");
    module = parseSourceFile<ModuleOp>(sm, &ctx);
  }
  if (!module)
    return 1;

  if (!(*module)->hasAttr(kiln::kABIAttrName)) {
    PassManager pm(&ctx);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    pm.enableTiming(root);
    tgt->buildLoweringPipeline(pm, opts);
    if (failed(pm.run(*module)))
      return 1;
  }
  if (emit == Emit::MLIR) {
    auto out = openOutputFile(outputFile, &err);
    if (!out) {
      llvm::errs() << "kiln-cpu-dev: error: " << err << "\n";
      return 1;
    }
    module->print(out->os());
    out->keep();
    return 0;
  }
  TimingScope t = root.nest("Code generation (LLVM)");
  return failed(tgt->writeArtifact(*module, opts, *kind, outputFile)) ? 1 : 0;
}
