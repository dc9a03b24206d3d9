//===- CPUArtifact.cpp - LLVM dialect -> LLVM IR -> object/library --------===//

#include "kiln/Target/CPU/CPUTarget.h"
#include "kiln/Support/ONNXDType.h"
#include "RuntimeCheckABI.h" // [runtime-checks]

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace {

struct TensorDesc {
  std::string name;
  int32_t dtype;
  SmallVector<int64_t> dims;
};

LogicalResult readABI(ModuleOp m, std::string &entry, SmallVectorImpl<TensorDesc> &ins,
                      SmallVectorImpl<TensorDesc> &outs) {
  auto abi = m->getAttrOfType<DictionaryAttr>("kiln.abi");
  if (!abi)
    return m.emitError("module has no 'kiln.abi' attribute (run the CPU lowering pipeline first)");
  entry = abi.getAs<StringAttr>("entry").str();
  auto read = [](ArrayAttr arr, SmallVectorImpl<TensorDesc> &out) {
    for (Attribute a : arr) {
      auto d = cast<DictionaryAttr>(a);
      TensorDesc t;
      t.name = d.getAs<StringAttr>("name").str();
      t.dtype = d.getAs<IntegerAttr>("dtype").getInt();
      auto dims = d.getAs<DenseI64ArrayAttr>("dims").asArrayRef();
      t.dims.assign(dims.begin(), dims.end());
      out.push_back(t);
    }
  };
  read(abi.getAs<ArrayAttr>("inputs"), ins);
  read(abi.getAs<ArrayAttr>("outputs"), outs);
  return success();
}

/// Adds `kiln_model_abi_v1` and the packed `invoke` (runtime/include/kiln/abi.h)
/// and makes every other definition internal.
LogicalResult addABI(llvm::Module &mod, StringRef modelName, StringRef entry,
                     ArrayRef<TensorDesc> ins, ArrayRef<TensorDesc> outs,
                     ArrayRef<std::string> checks) {
  llvm::LLVMContext &ctx = mod.getContext();
  // [runtime-checks] ABI v2: the check recorder and messages.
  kiln::cpu::RuntimeChecks rc = kiln::cpu::addRuntimeChecks(mod, checks);
  llvm::Function *ciface = mod.getFunction(("_mlir_ciface_" + entry).str());
  if (!ciface)
    return failure();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  for (llvm::Function &f : mod)
    if (!f.isDeclaration() && f.getName() != kiln::cpu::kProfileSymbol)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : mod.globals())
    if (!g.isDeclaration())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);

  // void invoke(void **args): args[0] = results, args[1 + i] = input i.
  auto *invokeTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  auto *invoke = llvm::Function::Create(invokeTy, llvm::GlobalValue::InternalLinkage,
                                        "kiln_invoke", mod);
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", invoke));
    SmallVector<llvm::Value *> callArgs;
    unsigned n = ciface->arg_size();
    if (n != ins.size() + 1)
      return failure();
    for (unsigned i = 0; i < n; ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, invoke->getArg(0), i);
      callArgs.push_back(b.CreateLoad(ptrTy, slot));
    }
    kiln::cpu::setCheckRecord(b, rc, invoke->getArg(0), ins.size()); // [runtime-checks]
    b.CreateCall(ciface, callArgs);
    kiln::cpu::clearCheckRecord(b, rc); // [runtime-checks]
    b.CreateRetVoid();
  }

  auto *tensorTy = llvm::StructType::get(ctx, {ptrTy, i32, i32, ptrTy});
  auto makeTensors = [&](ArrayRef<TensorDesc> ts, StringRef prefix) -> llvm::Constant * {
    SmallVector<llvm::Constant *> elems;
    for (auto [i, t] : llvm::enumerate(ts)) {
      auto *nameC = llvm::ConstantDataArray::getString(ctx, t.name, true);
      auto *nameG = new llvm::GlobalVariable(mod, nameC->getType(), true,
                                             llvm::GlobalValue::PrivateLinkage, nameC,
                                             (prefix + "_name_" + Twine(i)).str());
      llvm::Constant *dimsPtr = llvm::ConstantPointerNull::get(ptrTy);
      if (!t.dims.empty()) {
        auto *dimsC = llvm::ConstantDataArray::get(ctx, ArrayRef<int64_t>(t.dims));
        dimsPtr = new llvm::GlobalVariable(mod, dimsC->getType(), true,
                                           llvm::GlobalValue::PrivateLinkage, dimsC,
                                           (prefix + "_dims_" + Twine(i)).str());
      }
      elems.push_back(llvm::ConstantStruct::get(
          tensorTy, {nameG, llvm::ConstantInt::get(i32, t.dtype),
                     llvm::ConstantInt::get(i32, t.dims.size()), dimsPtr}));
    }
    auto *arrTy = llvm::ArrayType::get(tensorTy, elems.size());
    return new llvm::GlobalVariable(mod, arrTy, true, llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(arrTy, elems),
                                    (prefix + "_tensors").str());
  };
  llvm::Constant *inT = ins.empty() ? (llvm::Constant *)llvm::ConstantPointerNull::get(ptrTy)
                                    : makeTensors(ins, "kiln_in");
  llvm::Constant *outT = makeTensors(outs, "kiln_out");
  auto *nameC = llvm::ConstantDataArray::getString(ctx, modelName, true);
  auto *nameG = new llvm::GlobalVariable(mod, nameC->getType(), true,
                                         llvm::GlobalValue::PrivateLinkage, nameC, "kiln_model_name");
  // [runtime-checks] ABI v2: num_checks (v1's reserved field) and checks.
  auto *modelTy = llvm::StructType::get(ctx, {i32, i32, i32, i32, ptrTy, ptrTy, ptrTy, ptrTy, ptrTy});
  auto *modelC = llvm::ConstantStruct::get(
      modelTy, {llvm::ConstantInt::get(i32, 2), llvm::ConstantInt::get(i32, ins.size()),
                llvm::ConstantInt::get(i32, outs.size()), llvm::ConstantInt::get(i32, rc.num), nameG,
                inT, outT, invoke, rc.table});
  auto *modelG = new llvm::GlobalVariable(mod, modelTy, true, llvm::GlobalValue::PrivateLinkage,
                                          modelC, "kiln_model");
  auto *abiFn = llvm::Function::Create(llvm::FunctionType::get(ptrTy, {}, false),
                                       llvm::GlobalValue::ExternalLinkage, "kiln_model_abi_v1", mod);
  abiFn->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", abiFn));
  b.CreateRet(modelG);
  (void)i64;
  return success();
}


std::string macroName(StringRef s) {
  std::string out;
  for (char c : s)
    out.push_back(llvm::isAlnum(c) ? llvm::toUpper(c) : '_');
  return out;
}

LogicalResult writeHeader(StringRef libPath, StringRef modelName, ArrayRef<TensorDesc> ins,
                          ArrayRef<TensorDesc> outs, bool profiled) {
  SmallString<256> path(libPath);
  llvm::sys::path::replace_extension(path, ".h");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "kiln-compile: error: cannot write '" << path << "': " << ec.message() << "\n";
    return failure();
  }
  std::string guard = "KILN_MODEL_" + macroName(llvm::sys::path::stem(libPath)) + "_H";
  os << "/* Generated by kiln-compile for model '" << modelName << "'.\n"
     << " * Load " << llvm::sys::path::filename(libPath)
     << " with kiln_model_load() (kiln/runtime.h) or, when linking the\n"
     << " * static library, pass kiln_model_abi_v1() to kiln_model_from_abi().\n"
     << " * Dimensions of -1 are dynamic (any size >= 1 at run time). */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <kiln/abi.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  auto emit = [&](ArrayRef<TensorDesc> ts, StringRef kind) {
    os << "#define KILN_MODEL_NUM_" << kind << " " << ts.size() << "\n";
    for (auto [i, t] : llvm::enumerate(ts)) {
      os << "/* " << kind.lower() << " " << i << ": \"" << t.name << "\" " << kiln::onnxDTypeName(t.dtype) << " [";
      llvm::interleaveComma(t.dims, os);
      os << "] */\n";
      os << "#define KILN_MODEL_" << kind << "_" << i << "_NAME \"" << t.name << "\"\n";
      os << "#define KILN_MODEL_" << kind << "_" << i << "_DTYPE " << t.dtype << "\n";
      os << "#define KILN_MODEL_" << kind << "_" << i << "_RANK " << t.dims.size() << "\n";
      os << "#define KILN_MODEL_" << kind << "_" << i << "_DIMS {";
      llvm::interleaveComma(t.dims, os);
      os << "}\n";
      for (auto [k, d] : llvm::enumerate(t.dims))
        os << "#define KILN_MODEL_" << kind << "_" << i << "_DIM_" << k << " " << d << "\n";
    }
    os << "\n";
  };
  emit(ins, "INPUTS");
  emit(outs, "OUTPUTS");
  os << "const kiln_abi_model *kiln_model_abi_v1(void);\n";
  if (profiled)
    os << "/* Compiled with kiln-compile --profile: per-node timers (pass it to\n"
       << " * kiln_model_attach_profile() when linking the static library). */\n"
       << "const kiln_abi_profile *" << kiln::cpu::kProfileSymbol << "(void);\n";
  os << "\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return success();
}

} // namespace

LogicalResult kiln::cpu::emitCPUArtifact(ModuleOp module, const CPUTargetOptions &opts,
                                         ArtifactKind kind, StringRef outputPath) {
  std::string entry;
  SmallVector<TensorDesc> ins, outs;
  if (failed(readABI(module, entry, ins, outs)))
    return failure();
  bool profiled = module.lookupSymbol(kiln::cpu::kProfileSymbol) != nullptr;
  std::string modelName = "model";
  if (auto n = module->getAttrOfType<StringAttr>("kiln.model_name"))
    modelName = n.str();

  DialectRegistry reg;
  registerBuiltinDialectTranslation(reg);
  registerLLVMDialectTranslation(reg);
  module->getContext()->appendDialectRegistry(reg);

  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

  std::string tripleStr = opts.triple.empty() ? llvm::sys::getDefaultTargetTriple() : opts.triple;
  llvm::Triple triple(tripleStr);
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return module.emitError() << "unknown target triple '" << tripleStr << "': " << err;
  std::string cpu = opts.cpu, features = opts.features;
  if (cpu.empty() || cpu == "native") {
    bool host = opts.triple.empty() || llvm::Triple(llvm::sys::getDefaultTargetTriple()).getArch() == triple.getArch();
    cpu = host ? llvm::sys::getHostCPUName().str() : "generic";
    if (host) {
      SmallVector<std::string> fs;
      for (auto &kv : llvm::sys::getHostCPUFeatures())
        fs.push_back((kv.second ? "+" : "-") + kv.first().str());
      if (!features.empty())
        fs.push_back(features);
      features = llvm::join(fs, ",");
    }
  } else if (!target->hasTargetMachine()) {
    return module.emitError() << "target '" << tripleStr << "' cannot generate code";
  }
  llvm::TargetOptions topts;
  llvm::CodeGenOptLevel cgLevel = opts.optLevel == 0   ? llvm::CodeGenOptLevel::None
                                  : opts.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                  : opts.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                                       : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, topts, llvm::Reloc::PIC_, std::nullopt, cgLevel));
  if (!tm)
    return module.emitError() << "cannot create a target machine for '" << tripleStr << "' cpu '" << cpu << "'";

  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmMod = translateModuleToLLVMIR(module, llvmCtx, modelName);
  if (!llvmMod)
    return module.emitError("translation to LLVM IR failed");
  llvmMod->setTargetTriple(triple);
  llvmMod->setDataLayout(tm->createDataLayout());
  SmallVector<std::string> checks; // [runtime-checks]
  if (auto arr = module->getAttrOfType<ArrayAttr>(kiln::cpu::kChecksAttr))
    for (Attribute a : arr)
      checks.push_back(cast<StringAttr>(a).str());
  if (failed(addABI(*llvmMod, modelName, entry, ins, outs, checks)))
    return module.emitError() << "cannot find the C interface of entry function '" << entry << "'";
  if (llvm::verifyModule(*llvmMod, &llvm::errs()))
    return module.emitError("generated LLVM IR does not verify (Kiln bug)");
  // Weights beyond ~2 GiB cannot be reached with the small code model's
  // 32-bit PC-relative addresses (the link failed with "relocation
  // R_X86_64_PC32 out of range").  With 1 GiB of globals or more, x86-64
  // uses the medium code model: globals over 64 KiB go to the large data
  // sections (.lrodata, .ldata) and are addressed with 64-bit offsets.
  {
    uint64_t globalBytes = 0;
    const llvm::DataLayout &dl = llvmMod->getDataLayout();
    for (const llvm::GlobalVariable &g : llvmMod->globals())
      if (g.hasInitializer())
        globalBytes += dl.getTypeAllocSize(g.getValueType());
    if (globalBytes >= (uint64_t(1) << 30) && triple.getArch() == llvm::Triple::x86_64) {
      tm->setCodeModel(llvm::CodeModel::Medium);
      tm->setLargeDataThreshold(uint64_t(1) << 16);
    }
  }

  // LLVM optimization pipeline.
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions pto;
    pto.LoopVectorization = opts.optLevel > 1;
    pto.SLPVectorization = opts.optLevel > 1;
    llvm::PassBuilder pb(tm.get(), pto);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel level = opts.optLevel == 0   ? llvm::OptimizationLevel::O0
                                    : opts.optLevel == 1 ? llvm::OptimizationLevel::O1
                                    : opts.optLevel == 2 ? llvm::OptimizationLevel::O2
                                                         : llvm::OptimizationLevel::O3;
    llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                      ? pb.buildO0DefaultPipeline(level)
                                      : pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*llvmMod, mam);
  }

  if (kind == ArtifactKind::LLVMIR) {
    std::error_code ec;
    llvm::raw_fd_ostream os(outputPath, ec);
    if (ec)
      return module.emitError() << "cannot write '" << outputPath << "': " << ec.message();
    llvmMod->print(os, nullptr);
    return success();
  }

  // Code generation into memory.
  SmallString<0> objBuf;
  {
    llvm::raw_svector_ostream os(objBuf);
    llvm::legacy::PassManager cg;
    auto ft = kind == ArtifactKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                             : llvm::CodeGenFileType::ObjectFile;
    if (tm->addPassesToEmitFile(cg, os, nullptr, ft))
      return module.emitError("the target cannot emit this file type");
    cg.run(*llvmMod);
  }
  auto writeFile = [&](StringRef path, StringRef data) -> LogicalResult {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return module.emitError() << "cannot write '" << path << "': " << ec.message();
    os << data;
    return success();
  };
  if (kind == ArtifactKind::Assembly || kind == ArtifactKind::Object)
    return writeFile(outputPath, objBuf);

  if (kind == ArtifactKind::StaticLib) {
    std::string member = (llvm::sys::path::stem(outputPath) + ".o").str();
    std::vector<llvm::NewArchiveMember> members;
    members.emplace_back(llvm::MemoryBufferRef(objBuf, member));
    members.back().MemberName = member;
    if (llvm::Error e = llvm::writeArchive(outputPath, members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                           /*Thin=*/false)) {
      return module.emitError() << "cannot write archive '" << outputPath
                                << "': " << llvm::toString(std::move(e));
    }
    return writeHeader(outputPath, modelName, ins, outs, profiled);
  }

  // Shared library: link the object with lld.
  SmallString<128> objPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("kiln", "o", fd, objPath))
    return module.emitError("cannot create a temporary object file");
  llvm::FileRemover remover(objPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objBuf;
  }
  std::string linker = opts.linker;
  if (!llvm::sys::fs::can_execute(linker)) {
    auto found = llvm::sys::findProgramByName("ld.lld");
    if (!found)
      return module.emitError() << "cannot find the linker '" << linker << "' (package lld-22)";
    linker = *found;
  }
  SmallVector<std::string> libDirs;
  for (const char *d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"})
    if (llvm::sys::fs::is_directory(d))
      libDirs.push_back(std::string("-L") + d);
  SmallVector<StringRef> args{linker, "-shared", "--build-id=none", "--hash-style=gnu",
                              "-z", "noexecstack", "-o", outputPath, objPath};
  for (auto &d : libDirs)
    args.push_back(d);
  args.append({"--as-needed", "-lm", "-lc"});
  std::string linkErr;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &linkErr);
  if (rc != 0)
    return module.emitError() << "linking '" << outputPath << "' with " << linker
                              << " failed (exit " << rc << ") " << linkErr;
  return writeHeader(outputPath, modelName, ins, outs, profiled);
}
