//===- CPUArtifact.cpp - LLVM dialect -> LLVM IR -> object/library --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"
#include "kiln/Target/CPU/CPUTarget.h"
#include "kiln/Target/Common/HeaderWriter.h"
#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Target/Common/ModelABI.h"
#include "RuntimeCheckABI.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/GlobalAlias.h"
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
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/SplitModule.h"

using namespace mlir;

namespace {

/// Thread binding for multi-threaded runs (Linux): at the start of a run on
/// n > 1 threads, thread t > 0 of the OpenMP team is pinned to the CPU t
/// places after the caller's current CPU among the CPUs of the caller's
/// affinity mask; the caller (thread 0) is not pinned, so it never runs on a
/// worker's CPU unless the scheduler moves it there during the run.  Without
/// it the scheduler may wake a sleeping worker on the caller's CPU and leave
/// it there for the whole run (seen on 2-vCPU VMs: half of EfficientNet-B0's
/// runs after an idle pause took 1.5-2 times as long, both threads queued on
/// one vCPU while the other was idle).  Off where the mask has fewer CPUs
/// than the run's threads, where the user set KILN_BIND_THREADS=0,
/// OMP_PROC_BIND, OMP_PLACES or KMP_AFFINITY (libomp binds then), decided at
/// the first run.  Workers stay pinned after the run (libomp keeps its
/// threads); a run whose caller is on the CPU, with the mask and thread
/// count, of its previous run makes no team and no system call but
/// sched_getaffinity, and a worker already on its CPU none.  Returns
/// `void kiln_bind_begin(i32 n)`, which invoke calls before the entry.
llvm::Function *emitThreadBinding(llvm::Module &mod) {
  llvm::LLVMContext &ctx = mod.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  constexpr unsigned kWords = 16; // cpu_set_t: 1024 bits
  auto c32 = [&](int64_t v) { return llvm::ConstantInt::get(i32, v); };
  auto c64 = [&](int64_t v) { return llvm::ConstantInt::get(i64, v); };
  llvm::FunctionCallee getAff = mod.getOrInsertFunction(
      "sched_getaffinity", llvm::FunctionType::get(i32, {i32, i64, ptrTy}, false));
  llvm::FunctionCallee setAff = mod.getOrInsertFunction(
      "sched_setaffinity", llvm::FunctionType::get(i32, {i32, i64, ptrTy}, false));
  llvm::FunctionCallee getCpu =
      mod.getOrInsertFunction("sched_getcpu", llvm::FunctionType::get(i32, {}, false));
  llvm::FunctionCallee getenvFn =
      mod.getOrInsertFunction("getenv", llvm::FunctionType::get(ptrTy, {ptrTy}, false));
  llvm::Function *ctpop = llvm::Intrinsic::getOrInsertDeclaration(&mod, llvm::Intrinsic::ctpop, {i64});
  auto *boundCpu = new llvm::GlobalVariable(mod, i32, false, llvm::GlobalValue::InternalLinkage,
                                            c32(-1), "kiln_bound_cpu", nullptr,
                                            llvm::GlobalValue::GeneralDynamicTLSModel);
  auto *mode = new llvm::GlobalVariable(mod, i32, false, llvm::GlobalValue::InternalLinkage,
                                        c32(-1), "kiln_bind_mode");
  auto internal = [&](StringRef name, llvm::FunctionType *ty) {
    auto *f = llvm::Function::Create(ty, llvm::GlobalValue::InternalLinkage, name, mod);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    return f;
  };

  // i32 pos(ptr mask, i32 k): the position of the k-th set bit (k < count).
  llvm::Function *nth = internal("kiln_bind_nth", llvm::FunctionType::get(i32, {ptrTy, i32}, false));
  {
    auto *entry = llvm::BasicBlock::Create(ctx, "entry", nth);
    auto *loop = llvm::BasicBlock::Create(ctx, "bit", nth);
    auto *isSet = llvm::BasicBlock::Create(ctx, "set", nth);
    auto *next = llvm::BasicBlock::Create(ctx, "next", nth);
    auto *found = llvm::BasicBlock::Create(ctx, "found", nth);
    auto *none = llvm::BasicBlock::Create(ctx, "none", nth);
    llvm::IRBuilder<> b(entry);
    b.CreateBr(loop);
    b.SetInsertPoint(loop);
    llvm::PHINode *pos = b.CreatePHI(i32, 2);
    llvm::PHINode *k = b.CreatePHI(i32, 2);
    pos->addIncoming(c32(0), entry);
    k->addIncoming(nth->getArg(1), entry);
    llvm::Value *word = b.CreateLoad(i64, b.CreateGEP(i64, nth->getArg(0), b.CreateLShr(pos, c32(6))));
    llvm::Value *bit = b.CreateAnd(b.CreateLShr(word, b.CreateZExt(b.CreateAnd(pos, c32(63)), i64)), c64(1));
    b.CreateCondBr(b.CreateICmpNE(bit, c64(0)), isSet, next);
    b.SetInsertPoint(isSet);
    llvm::Value *kDec = b.CreateSub(k, c32(1));
    b.CreateCondBr(b.CreateICmpEQ(k, c32(0)), found, next);
    b.SetInsertPoint(next);
    llvm::PHINode *k2 = b.CreatePHI(i32, 2);
    k2->addIncoming(k, loop);
    k2->addIncoming(kDec, isSet);
    llvm::Value *pos2 = b.CreateAdd(pos, c32(1));
    pos->addIncoming(pos2, next);
    k->addIncoming(k2, next);
    b.CreateCondBr(b.CreateICmpULT(pos2, c32(kWords * 64)), loop, none);
    b.SetInsertPoint(found);
    b.CreateRet(pos);
    b.SetInsertPoint(none);
    b.CreateRet(c32(-1));
  }

  // void pin(ptr mask, i32 base, i32 count, i32 tid): this thread to the
  // CPU (base + tid) % count of the mask, unless it is there already.
  llvm::Function *pin = internal("kiln_bind_pin",
                                 llvm::FunctionType::get(voidTy, {ptrTy, i32, i32, i32}, false));
  {
    auto *entry = llvm::BasicBlock::Create(ctx, "entry", pin);
    auto *doSet = llvm::BasicBlock::Create(ctx, "set", pin);
    auto *done = llvm::BasicBlock::Create(ctx, "done", pin);
    auto *worker = llvm::BasicBlock::Create(ctx, "worker", pin);
    llvm::IRBuilder<> b(entry);
    b.CreateCondBr(b.CreateICmpEQ(pin->getArg(3), c32(0)), done, worker);
    b.SetInsertPoint(worker);
    llvm::Value *idx = b.CreateURem(b.CreateAdd(pin->getArg(1), pin->getArg(3)), pin->getArg(2));
    llvm::Value *cpu = b.CreateCall(nth, {pin->getArg(0), idx});
    llvm::Value *tls = b.CreateThreadLocalAddress(boundCpu);
    llvm::Value *same = b.CreateICmpEQ(b.CreateLoad(i32, tls), cpu);
    b.CreateCondBr(b.CreateOr(same, b.CreateICmpSLT(cpu, c32(0))), done, doSet);
    b.SetInsertPoint(doSet);
    llvm::Value *one = b.CreateAlloca(llvm::ArrayType::get(i64, kWords));
    b.CreateMemSet(one, llvm::ConstantInt::get(llvm::Type::getInt8Ty(ctx), 0), kWords * 8,
                   llvm::MaybeAlign(8));
    llvm::Value *slot = b.CreateGEP(i64, one, b.CreateLShr(cpu, c32(6)));
    b.CreateStore(b.CreateShl(c64(1), b.CreateZExt(b.CreateAnd(cpu, c32(63)), i64)), slot);
    llvm::Value *rc = b.CreateCall(setAff, {c32(0), c64(kWords * 8), one});
    b.CreateStore(b.CreateSelect(b.CreateICmpEQ(rc, c32(0)), cpu, c32(-1)), tls);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
  }

  // The team's microtask: (ptr gtid, ptr btid, ptr args{mask, base, count}).
  llvm::Function *micro = internal("kiln_bind_team",
                                   llvm::FunctionType::get(voidTy, {ptrTy, ptrTy, ptrTy}, false));
  auto *argsTy = llvm::StructType::get(ctx, {ptrTy, i32, i32});
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", micro));
    llvm::Value *a = micro->getArg(2);
    llvm::Value *mask = b.CreateLoad(ptrTy, b.CreateStructGEP(argsTy, a, 0));
    llvm::Value *base = b.CreateLoad(i32, b.CreateStructGEP(argsTy, a, 1));
    llvm::Value *count = b.CreateLoad(i32, b.CreateStructGEP(argsTy, a, 2));
    b.CreateCall(pin, {mask, base, count, b.CreateLoad(i32, micro->getArg(1))});
    b.CreateRetVoid();
  }

  // void begin(i32 n).
  llvm::Function *f = internal("kiln_bind_begin", llvm::FunctionType::get(voidTy, {i32}, false));
  {
    auto *entry = llvm::BasicBlock::Create(ctx, "entry", f);
    auto *decide = llvm::BasicBlock::Create(ctx, "decide", f);
    auto *check = llvm::BasicBlock::Create(ctx, "check", f);
    auto *query = llvm::BasicBlock::Create(ctx, "query", f);
    auto *bind = llvm::BasicBlock::Create(ctx, "bind", f);
    auto *no = llvm::BasicBlock::Create(ctx, "no", f);
    llvm::IRBuilder<> b(entry);
    // The caller's mask (read by the team forked below, inside this call).
    llvm::Value *saved = b.CreateAlloca(llvm::ArrayType::get(i64, kWords));
    llvm::Value *n = f->getArg(0);
    b.CreateCondBr(b.CreateICmpSLT(b.CreateLoad(i32, mode), c32(0)), decide, check);
    b.SetInsertPoint(decide);
    // Off when KILN_BIND_THREADS starts with '0' or libomp binds itself.
    llvm::Value *off = b.getFalse();
    llvm::Value *kb = b.CreateCall(getenvFn, {b.CreateGlobalString("KILN_BIND_THREADS")});
    {
      auto *isNull = b.CreateIsNull(kb);
      // Read the first byte only where the pointer is not null.
      auto *rd = llvm::BasicBlock::Create(ctx, "read", f);
      auto *join = llvm::BasicBlock::Create(ctx, "join", f);
      auto *here = b.GetInsertBlock();
      b.CreateCondBr(isNull, join, rd);
      b.SetInsertPoint(rd);
      llvm::Value *zero = b.CreateICmpEQ(b.CreateLoad(llvm::Type::getInt8Ty(ctx), kb),
                                         llvm::ConstantInt::get(llvm::Type::getInt8Ty(ctx), '0'));
      b.CreateBr(join);
      b.SetInsertPoint(join);
      llvm::PHINode *phi = b.CreatePHI(b.getInt1Ty(), 2);
      phi->addIncoming(b.getFalse(), here);
      phi->addIncoming(zero, rd);
      off = phi;
    }
    for (const char *var : {"OMP_PROC_BIND", "OMP_PLACES", "KMP_AFFINITY"})
      off = b.CreateOr(off, b.CreateIsNotNull(b.CreateCall(getenvFn, {b.CreateGlobalString(var)})));
    b.CreateStore(b.CreateSelect(off, c32(0), c32(1)), mode);
    b.CreateBr(check);
    b.SetInsertPoint(check);
    b.CreateCondBr(b.CreateAnd(b.CreateICmpEQ(b.CreateLoad(i32, mode), c32(1)),
                               b.CreateICmpSGT(n, c32(1))),
                   query, no);
    b.SetInsertPoint(query);
    llvm::Value *rc = b.CreateCall(getAff, {c32(0), c64(kWords * 8), saved});
    // count, and the rank of the caller's CPU among the mask's CPUs.
    llvm::Value *cpu = b.CreateCall(getCpu, {});
    llvm::Value *count = c64(0), *rank = c64(0);
    llvm::Value *cpu64 = b.CreateSExt(cpu, i64);
    for (unsigned w = 0; w < kWords; ++w) {
      llvm::Value *word = b.CreateLoad(i64, b.CreateConstGEP1_64(i64, saved, w));
      count = b.CreateAdd(count, b.CreateCall(ctpop, {word}));
      // Bits of this word below the caller's CPU.
      llvm::Value *lo = c64(w * 64);
      llvm::Value *below = b.CreateSub(cpu64, lo);
      llvm::Value *full = b.CreateICmpSGE(below, c64(64));
      llvm::Value *some = b.CreateICmpSGT(below, c64(0));
      llvm::Value *partMask = b.CreateSub(b.CreateShl(c64(1), b.CreateAnd(below, c64(63))), c64(1));
      llvm::Value *m = b.CreateSelect(full, c64(-1), b.CreateSelect(some, partMask, c64(0)));
      rank = b.CreateAdd(rank, b.CreateCall(ctpop, {b.CreateAnd(word, m)}));
    }
    llvm::Value *ok = b.CreateAnd(b.CreateICmpEQ(rc, c32(0)),
                                  b.CreateICmpSGE(count, b.CreateSExt(n, i64)));
    auto *fresh = llvm::BasicBlock::Create(ctx, "fresh", f);
    b.CreateCondBr(ok, fresh, no);
    // Nothing to do when this caller's last run had the same CPU, thread
    // count and mask (its workers are in place).
    b.SetInsertPoint(fresh);
    auto *lastTy = llvm::StructType::get(ctx, {i32, i32, llvm::ArrayType::get(i64, kWords)});
    auto *last = new llvm::GlobalVariable(
        mod, lastTy, false, llvm::GlobalValue::InternalLinkage,
        llvm::ConstantStruct::get(lastTy, {c32(-1), c32(0), llvm::ConstantAggregateZero::get(
                                                                llvm::ArrayType::get(i64, kWords))}),
        "kiln_bind_last", nullptr, llvm::GlobalValue::GeneralDynamicTLSModel);
    llvm::Value *lastP = b.CreateThreadLocalAddress(last);
    llvm::Value *lastCpu = b.CreateStructGEP(lastTy, lastP, 0);
    llvm::Value *lastN = b.CreateStructGEP(lastTy, lastP, 1);
    llvm::Value *lastMask = b.CreateStructGEP(lastTy, lastP, 2);
    llvm::Value *same = b.CreateAnd(b.CreateICmpEQ(b.CreateLoad(i32, lastCpu), cpu),
                                    b.CreateICmpEQ(b.CreateLoad(i32, lastN), n));
    for (unsigned w = 0; w < kWords; ++w)
      same = b.CreateAnd(same, b.CreateICmpEQ(
                                   b.CreateLoad(i64, b.CreateConstGEP1_64(i64, lastMask, w)),
                                   b.CreateLoad(i64, b.CreateConstGEP1_64(i64, saved, w))));
    b.CreateCondBr(same, no, bind);
    b.SetInsertPoint(bind);
    b.CreateStore(cpu, lastCpu);
    b.CreateStore(n, lastN);
    b.CreateMemCpy(lastMask, llvm::MaybeAlign(8), saved, llvm::MaybeAlign(8), kWords * 8);
    // A team of n threads, each worker pinning itself (the caller is thread 0).
    llvm::Value *args = b.CreateAlloca(argsTy);
    b.CreateStore(saved, b.CreateStructGEP(argsTy, args, 0));
    llvm::Value *base = b.CreateSelect(b.CreateICmpSLT(cpu, c32(0)), c32(0), b.CreateTrunc(rank, i32));
    b.CreateStore(base, b.CreateStructGEP(argsTy, args, 1));
    b.CreateStore(b.CreateTrunc(count, i32), b.CreateStructGEP(argsTy, args, 2));
    auto *identTy = llvm::StructType::get(ctx, {i32, i32, i32, i32, ptrTy});
    auto *ident = new llvm::GlobalVariable(
        mod, identTy, true, llvm::GlobalValue::InternalLinkage,
        llvm::ConstantStruct::get(identTy, {c32(0), c32(2), c32(0), c32(22),
                                            b.CreateGlobalString(";kiln;bind;0;0;;")}),
        "kiln_bind_ident");
    llvm::FunctionCallee gtidFn = mod.getOrInsertFunction(
        "__kmpc_global_thread_num", llvm::FunctionType::get(i32, {ptrTy}, false));
    llvm::FunctionCallee pushFn = mod.getOrInsertFunction(
        "__kmpc_push_num_threads", llvm::FunctionType::get(voidTy, {ptrTy, i32, i32}, false));
    llvm::FunctionCallee forkFn = mod.getOrInsertFunction(
        "__kmpc_fork_call", llvm::FunctionType::get(voidTy, {ptrTy, i32, ptrTy}, true));
    llvm::Value *gtid = b.CreateCall(gtidFn, {ident});
    b.CreateCall(pushFn, {ident, gtid, n});
    b.CreateCall(forkFn, {ident, c32(1), micro, args});
    b.CreateRetVoid();
    b.SetInsertPoint(no);
    b.CreateRetVoid();
  }

  return f;
}

/// Adds the model descriptor `<cName>_kiln_model_abi_v1` and the packed
/// `invoke` (runtime/include/kiln/abi.h) and makes every other definition
/// internal.  The profile descriptor becomes `<cName>_kiln_model_profile_v1`.
/// A shared library also exports the unprefixed names (aliases), which
/// kiln_model_load() looks up; objects and archives do not, so that several
/// models link into one program.  `checks` are the messages of the run-time
/// checks (ABI v2; kiln.checks, RuntimeCheckABI.h).  `bindThreads`: emit the
/// thread binding of multi-threaded runs (Linux only).  `runWork`: a run's
/// work per batch item (kiln-cpu-estimate-work; -1 unknown), for the
/// one-thread rule of small runs.
LogicalResult addABI(llvm::Module &mod, StringRef modelName, StringRef cName, bool shared,
                     const kiln::ModelABI &abi, ArrayRef<std::string> checks,
                     const kiln::ArenaInfo &arena, bool bindThreads, int64_t runWork) {
  StringRef entry = abi.entry;
  ArrayRef<kiln::ABITensor> ins = abi.inputs, outs = abi.outputs;
  llvm::LLVMContext &ctx = mod.getContext();
  // ABI v2: the check recorder and messages.
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

  // ABI v3: the arena's size function, when buffers were planned.
  bool hasArena = arena.planned > 0;
  llvm::Function *sizeFn = nullptr;
  if (hasArena) {
    sizeFn = mod.getFunction("_mlir_ciface_" + arena.sizeFunction);
    if (!sizeFn || sizeFn->arg_size() != ins.size())
      return failure();
  }

  // The thread count of parallel regions (kiln-cpu-parallelize declares
  // kiln_num_threads() where the model has some): a thread-local set by
  // invoke, at least 1.
  llvm::GlobalVariable *threadCount = nullptr;
  if (llvm::Function *nt = mod.getFunction("kiln_num_threads"); nt && nt->isDeclaration()) {
    threadCount = new llvm::GlobalVariable(mod, i32, false, llvm::GlobalValue::InternalLinkage,
                                           llvm::ConstantInt::get(i32, 1), "kiln_thread_count",
                                           nullptr, llvm::GlobalValue::GeneralDynamicTLSModel);
    nt->setLinkage(llvm::GlobalValue::InternalLinkage);
    nt->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", nt));
    llvm::Value *n = b.CreateLoad(i32, b.CreateThreadLocalAddress(threadCount));
    llvm::Value *one = llvm::ConstantInt::get(i32, 1);
    b.CreateRet(b.CreateSelect(b.CreateICmpSLT(n, one), one, n));
  }

  // void invoke(void **args): args[0] = results, args[1 + i] = input i,
  // args[1 + n] = the check record (v2), args[2 + n] = the arena (v3).
  auto *invokeTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  auto *invoke = llvm::Function::Create(invokeTy, llvm::GlobalValue::InternalLinkage,
                                        "kiln_invoke", mod);
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", invoke));
    SmallVector<llvm::Value *> callArgs;
    unsigned n = ciface->arg_size();
    if (n != ins.size() + 1 + (hasArena ? 1 : 0))
      return failure();
    for (unsigned i = 0; i <= ins.size(); ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, invoke->getArg(0), i);
      callArgs.push_back(b.CreateLoad(ptrTy, slot));
    }
    if (hasArena) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, invoke->getArg(0), ins.size() + 2);
      callArgs.push_back(b.CreateLoad(ptrTy, slot));
    }
    kiln::cpu::setCheckRecord(b, rc, invoke->getArg(0), ins.size());
    // ABI v3: args[3 + n] points to the run's thread count (int32), which
    // kiln_num_threads() returns to every parallel region of the run.
    if (threadCount) {
      llvm::Value *p = b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, invoke->getArg(0), ins.size() + 3));
      llvm::Value *n = b.CreateSelect(b.CreateIsNull(p), llvm::ConstantInt::get(i32, 1),
                                      b.CreateLoad(i32, p));
      // A small run on one thread (kiln-cpu-estimate-work): its work per
      // batch item times the batch, dim 0 of the first input whose dim 0
      // is dynamic, read from that input's memref descriptor.  Not where
      // another input dim is dynamic: the work would not scale with it.
      int batchInput = -1;
      bool batchOnly = runWork >= 0;
      for (auto [i, t] : llvm::enumerate(ins))
        for (auto [k, d] : llvm::enumerate(t.dims))
          if (d < 0) {
            if (k != 0)
              batchOnly = false;
            else if (batchInput < 0)
              batchInput = int(i);
          }
      if (batchOnly && runWork < kiln::cpu::kMinParallelRunWork) {
        llvm::Value *small = llvm::ConstantInt::getTrue(ctx);
        if (batchInput >= 0) {
          int64_t rank = ins[batchInput].dims.size();
          auto *descTy = llvm::StructType::get(
              ctx, {ptrTy, ptrTy, i64, llvm::ArrayType::get(i64, rank), llvm::ArrayType::get(i64, rank)});
          llvm::Value *size0 = b.CreateLoad(
              i64, b.CreateStructGEP(descTy, callArgs[1 + batchInput], 3)); // sizes[0]
          int64_t minBatch = runWork == 0 ? INT64_MAX
                                          : (kiln::cpu::kMinParallelRunWork + runWork - 1) / runWork;
          small = b.CreateICmpULT(size0, llvm::ConstantInt::get(i64, minBatch));
        }
        n = b.CreateSelect(small, llvm::ConstantInt::get(i32, 1), n, "kiln.small_run");
      }
      b.CreateStore(n, b.CreateThreadLocalAddress(threadCount));
      // The team's wait between parallel regions: spin 1 ms, then sleep
      // (libomp's default spins 200 ms after the run, taking the cores from
      // whatever runs next), unless the user set KMP_BLOCKTIME.  Decided at
      // the first run (mode -1: not yet, 0: leave, 1: set).
      auto *mode = new llvm::GlobalVariable(mod, i32, false, llvm::GlobalValue::InternalLinkage,
                                            llvm::ConstantInt::get(i32, -1), "kiln_blocktime_mode");
      llvm::Function *fn = invoke;
      auto *decide = llvm::BasicBlock::Create(ctx, "blocktime.decide", fn);
      auto *apply = llvm::BasicBlock::Create(ctx, "blocktime.apply", fn);
      auto *set = llvm::BasicBlock::Create(ctx, "blocktime.set", fn);
      auto *cont = llvm::BasicBlock::Create(ctx, "blocktime.done", fn);
      llvm::Value *m0 = b.CreateLoad(i32, mode);
      b.CreateCondBr(b.CreateICmpSLT(m0, llvm::ConstantInt::get(i32, 0)), decide, apply);
      b.SetInsertPoint(decide);
      llvm::FunctionCallee getenvFn =
          mod.getOrInsertFunction("getenv", llvm::FunctionType::get(ptrTy, {ptrTy}, false));
      llvm::Value *env = b.CreateCall(getenvFn, {b.CreateGlobalString("KMP_BLOCKTIME")});
      b.CreateStore(b.CreateZExt(b.CreateIsNull(env), i32), mode);
      b.CreateBr(apply);
      b.SetInsertPoint(apply);
      llvm::Value *m1 = b.CreateLoad(i32, mode);
      b.CreateCondBr(b.CreateICmpEQ(m1, llvm::ConstantInt::get(i32, 1)), set, cont);
      b.SetInsertPoint(set);
      llvm::FunctionCallee setBt = mod.getOrInsertFunction(
          "kmp_set_blocktime", llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {i32}, false));
      b.CreateCall(setBt, {llvm::ConstantInt::get(i32, 1)});
      b.CreateBr(cont);
      b.SetInsertPoint(cont);
    }
    if (threadCount && bindThreads)
      b.CreateCall(emitThreadBinding(mod), {b.CreateLoad(i32, b.CreateThreadLocalAddress(threadCount))});
    b.CreateCall(ciface, callArgs);
    kiln::cpu::clearCheckRecord(b, rc);
    b.CreateRetVoid();
  }

  // int64_t arena_size(void **args): args[1 + i] = input i.
  llvm::Constant *arenaSize = llvm::ConstantPointerNull::get(ptrTy);
  if (hasArena) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(i64, {ptrTy}, false),
                                      llvm::GlobalValue::InternalLinkage, "kiln_arena_size", mod);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    SmallVector<llvm::Value *> callArgs;
    for (unsigned i = 0; i < ins.size(); ++i)
      callArgs.push_back(b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, fn->getArg(0), 1 + i)));
    b.CreateRet(b.CreateCall(sizeFn, callArgs));
    arenaSize = fn;
  }

  auto *tensorTy = llvm::StructType::get(ctx, {ptrTy, i32, i32, ptrTy});
  auto makeTensors = [&](ArrayRef<kiln::ABITensor> ts, StringRef prefix) -> llvm::Constant * {
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
  // ABI v2: num_checks (v1's reserved field) and checks; v3: the arena.
  auto *modelTy = llvm::StructType::get(
      ctx, {i32, i32, i32, i32, ptrTy, ptrTy, ptrTy, ptrTy, ptrTy, i64, i64, ptrTy});
  auto *modelC = llvm::ConstantStruct::get(
      modelTy, {llvm::ConstantInt::get(i32, 3), llvm::ConstantInt::get(i32, ins.size()),
                llvm::ConstantInt::get(i32, outs.size()), llvm::ConstantInt::get(i32, rc.num), nameG,
                inT, outT, invoke, rc.table,
                llvm::ConstantInt::get(i64, hasArena ? arena.bytes : 0),
                llvm::ConstantInt::get(i64, hasArena ? arena.lowerBound : 0), arenaSize});
  auto *modelG = new llvm::GlobalVariable(mod, modelTy, true, llvm::GlobalValue::PrivateLinkage,
                                          modelC, "kiln_model");
  auto *abiFn = llvm::Function::Create(llvm::FunctionType::get(ptrTy, {}, false),
                                       llvm::GlobalValue::ExternalLinkage,
                                       kiln::prefixedABISymbol(cName), mod);
  abiFn->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", abiFn));
  b.CreateRet(modelG);
  (void)i64;
  llvm::Function *profFn = mod.getFunction(kiln::cpu::kProfileSymbol);
  if (profFn)
    profFn->setName(kiln::prefixedSymbol(cName, kiln::cpu::kProfileSymbol));
  if (shared) {
    llvm::GlobalAlias::create(llvm::GlobalValue::ExternalLinkage, kiln::kABISymbol, abiFn);
    if (profFn)
      llvm::GlobalAlias::create(llvm::GlobalValue::ExternalLinkage, kiln::cpu::kProfileSymbol,
                                profFn);
  }
  return success();
}

} // namespace

StringRef kiln::cpu::lldEmulation(const llvm::Triple &t) {
  using T = llvm::Triple;
  switch (t.getArch()) {
  case T::x86_64: return t.isX32() ? "elf32_x86_64" : "elf_x86_64";
  case T::x86: return "elf_i386";
  case T::aarch64: return "aarch64linux";
  case T::aarch64_be: return "aarch64linuxb";
  case T::arm: case T::thumb: return "armelf_linux_eabi";
  case T::armeb: case T::thumbeb: return "armelfb_linux_eabi";
  case T::riscv64: return "elf64lriscv";
  case T::riscv32: return "elf32lriscv";
  case T::ppc64le: return "elf64lppc";
  case T::ppc64: return "elf64ppc";
  case T::ppc: return "elf32ppc";
  case T::ppcle: return "elf32lppc";
  case T::loongarch64: return "elf64loongarch";
  case T::loongarch32: return "elf32loongarch";
  case T::systemz: return "elf64_s390";
  case T::sparcv9: return "elf64_sparc";
  case T::mips: return "elf32btsmip";
  case T::mipsel: return "elf32ltsmip";
  case T::mips64: return "elf64btsmip";
  case T::mips64el: return "elf64ltsmip";
  default: return "";
  }
}

namespace {

/// Sonames of the C library and libm that a shared library for `t` needs,
/// when it is not the host (linked against empty stand-ins, see below).
SmallVector<StringRef> crossSonames(const llvm::Triple &t) {
  if (t.isAndroid())
    return {"libm.so", "libc.so"};
  if (t.isOSLinux() && t.isMusl())
    return {"libc.so"};
  if (t.isOSLinux() && t.isGNUEnvironment())
    return {"libm.so.6", "libc.so.6"};
  return {};
}

/// Runs ld.lld; on failure an error naming `what`.
LogicalResult runLinker(ModuleOp module, StringRef linker, ArrayRef<StringRef> args,
                        StringRef what) {
  std::string linkErr;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &linkErr);
  if (rc != 0)
    return module.emitError() << "linking '" << what << "' with " << linker << " failed (exit "
                              << rc << ") " << linkErr;
  return success();
}

/// Writes the linked library at `path` again, with large write()s, to a
/// new file renamed over it.  ld.lld writes its output through a shared
/// mapping, which leaves much of the page cache in small folios; written
/// in pieces of kRewriteChunk bytes (a multiple of 2 MiB: `dd` with 2, 8
/// and 64 MiB blocks gave the same), the file's page cache is in large
/// folios (on file systems that have them: ext4 and XFS on Linux 6.x),
/// which the kernel maps with 2 MiB pages where they are aligned, and the
/// weights are read through far fewer TLB entries.  ResNet-50's last
/// block, whose weights lld places at the start of the file, in 4 KiB
/// pages, ran 1.2 to 1.9 times slower than the same layers of the block
/// before it (docs/runtime.md, "Weights").  The pieces go through a buffer
/// of their size, not a copy of the file (VGG-16's library is 667 MB).
/// Errors name the file.
LogicalResult rewriteInLargeWrites(ModuleOp module, StringRef path) {
  constexpr size_t kRewriteChunk = size_t(8) << 20;
  llvm::sys::fs::file_status st;
  if (std::error_code ec = llvm::sys::fs::status(path, st))
    return module.emitError() << "cannot stat '" << path << "': " << ec.message();
  llvm::Expected<llvm::sys::fs::file_t> in = llvm::sys::fs::openNativeFileForRead(path);
  if (!in)
    return module.emitError() << "cannot read the linked library '" << path
                              << "': " << llvm::toString(in.takeError());
  auto closeIn = llvm::make_scope_exit([&] { llvm::sys::fs::closeFile(*in); });
  SmallString<128> tmp;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".%%%%%%.tmp", fd, tmp,
                                                           llvm::sys::fs::OF_None,
                                                           st.permissions()))
    return module.emitError() << "cannot create a file next to '" << path << "': " << ec.message();
  llvm::FileRemover remover(tmp);
  {
    // Read with read(), into memory that is present: copied from a mapping
    // of the file, each page faults inside write(), and the kernel falls
    // back to small folios.
    std::vector<char> buf(kRewriteChunk);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true, /*unbuffered=*/true);
    for (;;) {
      llvm::Expected<size_t> n = llvm::sys::fs::readNativeFile(*in, buf);
      if (!n)
        return module.emitError() << "cannot read the linked library '" << path
                                  << "': " << llvm::toString(n.takeError());
      if (*n == 0)
        break;
      os.write(buf.data(), *n);
    }
    os.close();
    if (os.has_error())
      return module.emitError() << "cannot write '" << tmp << "': " << os.error().message();
  }
  // createUniqueFile applies the umask; keep lld's permissions.
  if (std::error_code ec = llvm::sys::fs::setPermissions(tmp, st.permissions()))
    return module.emitError() << "cannot set the permissions of '" << tmp << "': " << ec.message();
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path))
    return module.emitError() << "cannot rename '" << tmp << "' to '" << path << "': " << ec.message();
  remover.releaseFile();
  return success();
}

} // namespace

LogicalResult kiln::cpu::writeCPUArtifact(ModuleOp module, const kiln::TargetOptions &opts,
                                          ArtifactKind kind, StringRef outputPath) {
  FailureOr<kiln::ModelABI> abi = kiln::ModelABI::fromModule(module);
  if (failed(abi))
    return failure();
  bool profiled = module.lookupSymbol(kiln::cpu::kProfileSymbol) != nullptr;
  std::string modelName = "model";
  if (auto n = module->getAttrOfType<StringAttr>("kiln.model_name"))
    modelName = n.str();
  bool shared = kind == ArtifactKind::SharedLib;

  DialectRegistry reg;
  registerBuiltinDialectTranslation(reg);
  registerLLVMDialectTranslation(reg);
  registerOpenMPDialectTranslation(reg);
  module->getContext()->appendDialectRegistry(reg);

  initializeLLVMTargets();

  std::string hostTriple = llvm::sys::getDefaultTargetTriple();
  std::string tripleStr = opts.triple.empty() ? hostTriple : opts.triple;
  llvm::Triple triple(tripleStr);
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return module.emitError() << "unknown target triple '" << tripleStr << "': " << err;
  if (!target->hasTargetMachine())
    return module.emitError() << "target '" << tripleStr << "' cannot generate code";
  // Shared libraries are linked with ld.lld, for ELF only.
  if (shared && !triple.isOSBinFormatELF())
    return module.emitError() << "shared libraries are supported for ELF targets only; '"
                              << tripleStr << "' uses "
                              << (triple.isOSBinFormatMachO() ? "Mach-O"
                                  : triple.isOSBinFormatCOFF() ? "COFF"
                                                               : "another object format")
                              << ": use --emit=obj, or -o <name>.a for a static archive";
  llvm::Triple host(hostTriple);
  bool sameArch = host.getArch() == triple.getArch();
  std::string cpu, features;
  kiln::cpu::resolveCPU(opts, triple, cpu, features);
  llvm::TargetOptions topts;
  llvm::CodeGenOptLevel cgLevel = opts.optLevel == 0   ? llvm::CodeGenOptLevel::None
                                  : opts.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                  : opts.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                                       : llvm::CodeGenOptLevel::Aggressive;
  bool mediumCodeModel = false;
  auto makeTM = [&]() {
    std::unique_ptr<llvm::TargetMachine> t(target->createTargetMachine(
        triple, cpu, features, topts, llvm::Reloc::PIC_, std::nullopt, cgLevel));
    if (t && mediumCodeModel) {
      t->setCodeModel(llvm::CodeModel::Medium);
      t->setLargeDataThreshold(uint64_t(1) << 16);
    }
    return t;
  };
  std::unique_ptr<llvm::TargetMachine> tm = makeTM();
  if (!tm)
    return module.emitError() << "cannot create a target machine for '" << tripleStr << "' cpu '" << cpu << "'";

  auto phase = [&](StringRef name) {
    if (opts.onPhase)
      opts.onPhase(name);
  };
  phase("translation to LLVM IR");
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmMod = translateModuleToLLVMIR(module, llvmCtx, modelName);
  if (!llvmMod)
    return module.emitError("translation to LLVM IR failed");
  llvmMod->setTargetTriple(triple);
  llvmMod->setDataLayout(tm->createDataLayout());
  // The LLVM module holds its own copy of the weights: the MLIR module's
  // blobs are released (VGG-16: 550 MB less at the compile's peak).
  module->walk([](Operation *op) {
    for (NamedAttribute a : op->getAttrs())
      if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
        if (auto *entry = r.getRawHandle().getResource())
          entry->setBlob(AsmResourceBlob());
  });
  // Parallel regions call the OpenMP runtime (libomp, package libomp-22-dev).
  bool usesOpenMP = llvmMod->getFunction("__kmpc_fork_call") != nullptr;
  SmallVector<std::string> checks;
  if (auto arr = module->getAttrOfType<ArrayAttr>(kiln::cpu::kChecksAttr))
    for (Attribute a : arr)
      checks.push_back(cast<StringAttr>(a).str());
  kiln::ArenaInfo arena = kiln::ArenaInfo::fromModule(module).value_or(kiln::ArenaInfo());
  // A run's work per batch item (kiln-cpu-estimate-work), -1 if unknown.
  int64_t runWork = -1;
  if (auto w = module->getAttrOfType<IntegerAttr>(kiln::cpu::kRunWorkAttr))
    runWork = w.getInt();
  if (failed(addABI(*llvmMod, modelName, opts.modelName, shared, *abi, checks, arena,
                    triple.isOSLinux(), runWork)))
    return module.emitError() << "cannot find the C interface of entry function '" << abi->entry
                              << "'";
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
      mediumCodeModel = true;
      tm = makeTM();
    }
  }

  auto optimize = [&](llvm::Module &mod, llvm::TargetMachine &machine) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions pto;
    pto.LoopVectorization = opts.optLevel > 1;
    pto.SLPVectorization = opts.optLevel > 1;
    llvm::PassBuilder pb(&machine, pto);
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
    mpm.run(mod, mam);
  };
  // Returns true on failure.
  auto codegenTo = [&](llvm::Module &mod, llvm::TargetMachine &machine, llvm::CodeGenFileType ft,
                       llvm::raw_pwrite_stream &os) {
    llvm::legacy::PassManager cg;
    if (machine.addPassesToEmitFile(cg, os, nullptr, ft))
      return true;
    cg.run(mod);
    return false;
  };
  auto codegen = [&](llvm::Module &mod, llvm::TargetMachine &machine, llvm::CodeGenFileType ft,
                     SmallString<0> &out) {
    llvm::raw_svector_ostream os(out);
    return codegenTo(mod, machine, ft, os);
  };

  // A library is optimized and generated in parts, on up to opts.jobs
  // threads (kiln-compile -j): after kiln-cpu-outline-kernels the module is
  // one function per kernel, which llvm::SplitModule spreads over the
  // parts; each part goes through bitcode into an LLVMContext of its own
  // (LLVM's contexts are not thread-safe) and becomes one object file.  The
  // number of parts depends on the module only, so that the library's bytes
  // do not depend on the machine's core count.
  SmallVector<SmallString<0>> objects;
  // The weights' object, written straight to a temporary file (below).
  SmallString<128> dataObjectPath;
  std::unique_ptr<llvm::FileRemover> dataObjectRemover;
  bool library = kind == ArtifactKind::SharedLib || kind == ArtifactKind::StaticLib;
  unsigned parts = 1;
  if (library) {
    uint64_t instructions = 0, definitions = 0;
    for (const llvm::Function &f : *llvmMod)
      if (!f.isDeclaration()) {
        ++definitions;
        instructions += f.getInstructionCount();
      }
    constexpr uint64_t kInstructionsPerPart = 20000, kMaxParts = 8;
    parts = opts.llvmParts ? opts.llvmParts
                           : (unsigned)std::min(instructions / kInstructionsPerPart, kMaxParts);
    parts = std::max<unsigned>(std::min<uint64_t>(parts, definitions), 1u);
  }
  // Large constants (the weights) of a library go into an object of their
  // own, generated straight from this module's context: through
  // SplitModule's bitcode they were copied twice more (VGG-16's 660 MB of
  // weights in 2 parts: 32 s and 4.5 GB peak in "LLVM optimization",
  // against 1.2 s and 1.7 GB unsplit).  The code keeps hidden declarations
  // of them.
  std::unique_ptr<llvm::Module> dataMod;
  if (library) {
    // SplitModule makes the definitions that parts share hidden globals,
    // and the weights become hidden globals too.  Prefixed with the model's
    // C name, they do not clash when several models' archives link into
    // one program.
    for (llvm::GlobalValue &gv : llvmMod->global_values())
      if (gv.hasLocalLinkage() && gv.hasName() && (parts > 1 || isa<llvm::GlobalVariable>(gv)))
        gv.setName(opts.modelName + "." + gv.getName());
    constexpr uint64_t kLargeConstant = uint64_t(1) << 16;
    const llvm::DataLayout &dl = llvmMod->getDataLayout();
    for (llvm::GlobalVariable &g : llvmMod->globals()) {
      if (!g.isConstant() || !g.hasInitializer() || g.hasComdat() ||
          dl.getTypeAllocSize(g.getValueType()) < kLargeConstant)
        continue;
      if (!dataMod) {
        dataMod = std::make_unique<llvm::Module>("weights", llvmMod->getContext());
        dataMod->setDataLayout(dl);
        dataMod->setTargetTriple(llvmMod->getTargetTriple());
      }
      // As raw bytes: the asm printer writes an i8 array with one call, but
      // a float array one element at a time through the MC streamer
      // (VGG-16's 138 M weights: 9.1 s of "code generation", against 2.5 s
      // as bytes).  Only where the bytes in memory are the target's (both
      // little-endian, as on every host Kiln builds for).  The i8 array
      // shares the float array's bytes in the LLVM context.
      llvm::Constant *init = g.getInitializer();
      if (auto *cds = dyn_cast<llvm::ConstantDataSequential>(init))
        if (dl.isLittleEndian() && llvm::sys::IsLittleEndianHost)
          init = llvm::ConstantDataArray::getRaw(cds->getRawDataValues(), cds->getRawDataValues().size(),
                                                 llvm::Type::getInt8Ty(dataMod->getContext()));
      auto *d = new llvm::GlobalVariable(*dataMod, init->getType(), /*isConstant=*/true,
                                         llvm::GlobalValue::ExternalLinkage, init, g.getName());
      // (The alignment of the original type: an i8 array would get 1.)
      d->setAlignment(g.getAlign().value_or(dl.getPreferredAlign(&g)));
      d->setSection(g.getSection());
      d->setVisibility(llvm::GlobalValue::HiddenVisibility);
      g.setInitializer(nullptr);
      g.setLinkage(llvm::GlobalValue::ExternalLinkage);
      g.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
  }
  // The weights go to a file, not into memory: the object writer's buffer
  // would be one more copy of them at the compile's peak.  open and close
  // emit their errors.
  std::unique_ptr<llvm::TargetMachine> dataTM;
  std::unique_ptr<llvm::raw_fd_ostream> dataOS;
  bool dataFailed = false;
  auto openDataObject = [&]() -> LogicalResult {
    dataTM = makeTM();
    int fd;
    if (llvm::sys::fs::createTemporaryFile("kiln-weights", "o", fd, dataObjectPath))
      return module.emitError("cannot create a temporary object file");
    dataObjectRemover = std::make_unique<llvm::FileRemover>(dataObjectPath);
    dataOS = std::make_unique<llvm::raw_fd_ostream>(fd, /*shouldClose=*/true);
    return success();
  };
  auto emitDataObject = [&] {
    dataFailed = codegenTo(*dataMod, *dataTM, llvm::CodeGenFileType::ObjectFile, *dataOS);
  };
  auto closeDataObject = [&]() -> LogicalResult {
    dataMod.reset();
    dataOS->close();
    if (dataOS->has_error()) {
      std::string msg = dataOS->error().message();
      dataOS->clear_error();
      return module.emitError() << "cannot write the temporary object file '" << dataObjectPath
                                << "': " << msg;
    }
    if (dataFailed)
      return module.emitError("the target cannot emit an object file");
    return success();
  };
  if (parts > 1) {
    phase("LLVM optimization");
    SmallVector<SmallString<0>> bitcodes;
    llvm::SplitModule(
        *llvmMod, parts,
        [&](std::unique_ptr<llvm::Module> part) {
          SmallString<0> &bc = bitcodes.emplace_back();
          llvm::raw_svector_ostream os(bc);
          llvm::WriteBitcodeToFile(*part, os);
        },
        /*PreserveLocals=*/false);
    llvmMod.reset();
    struct Part {
      std::unique_ptr<llvm::LLVMContext> ctx;
      std::unique_ptr<llvm::Module> mod;
      std::unique_ptr<llvm::TargetMachine> tm;
      std::string error;
    };
    std::vector<Part> ps(bitcodes.size());
    unsigned threads = opts.jobs ? opts.jobs : llvm::hardware_concurrency().compute_thread_count();
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(std::min<unsigned>(threads, ps.size())));
    for (size_t i = 0; i < ps.size(); ++i)
      pool.async([&, i] {
        Part &p = ps[i];
        p.ctx = std::make_unique<llvm::LLVMContext>();
        llvm::Expected<std::unique_ptr<llvm::Module>> m = llvm::parseBitcodeFile(
            llvm::MemoryBufferRef(StringRef(bitcodes[i].data(), bitcodes[i].size()), "part"), *p.ctx);
        if (!m) {
          p.error = "cannot read back part " + std::to_string(i) + ": " + llvm::toString(m.takeError());
          return;
        }
        p.mod = std::move(*m);
        p.tm = makeTM();
        optimize(*p.mod, *p.tm);
      });
    pool.wait();
    bitcodes.clear();
    for (Part &p : ps)
      if (!p.error.empty())
        return module.emitError() << p.error << " (Kiln bug)";
    phase("code generation");
    if (dataMod && failed(openDataObject()))
      return failure();
    objects.resize(ps.size());
    for (size_t i = 0; i < ps.size(); ++i)
      pool.async([&, i] {
        if (codegen(*ps[i].mod, *ps[i].tm, llvm::CodeGenFileType::ObjectFile, objects[i]))
          ps[i].error = "the target cannot emit an object file";
      });
    if (dataMod)
      pool.async(emitDataObject);
    pool.wait();
    if (dataMod && failed(closeDataObject()))
      return failure();
    for (Part &p : ps)
      if (!p.error.empty())
        return module.emitError() << p.error;
  } else {
    phase("LLVM optimization");
    optimize(*llvmMod, *tm);
  }

  kiln::HeaderOptions headerOpts;
  headerOpts.modelName = opts.modelName;
  headerOpts.graphName = modelName;
  headerOpts.sharedLibrary = shared;
  headerOpts.profiled = profiled;
  headerOpts.profileSymbol = kiln::cpu::kProfileSymbol;
  headerOpts.arena = arena;
  headerOpts.openMP = usesOpenMP;

  if (kind == ArtifactKind::LLVMIR) {
    std::error_code ec;
    llvm::raw_fd_ostream os(outputPath, ec);
    if (ec)
      return module.emitError() << "cannot write '" << outputPath << "': " << ec.message();
    llvmMod->print(os, nullptr);
    return success();
  }

  // Code generation into memory.
  if (objects.empty()) {
    phase("code generation");
    auto ft = kind == ArtifactKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                             : llvm::CodeGenFileType::ObjectFile;
    if (codegen(*llvmMod, *tm, ft, objects.emplace_back()))
      return module.emitError("the target cannot emit this file type");
    if (dataMod) {
      if (failed(openDataObject()))
        return failure();
      emitDataObject();
      if (failed(closeDataObject()))
        return failure();
    }
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
    return writeFile(outputPath, objects.front());

  phase("link");
  if (kind == ArtifactKind::StaticLib) {
    size_t count = objects.size() + (dataObjectPath.empty() ? 0 : 1);
    std::vector<std::string> names;
    for (size_t i = 0; i < count; ++i)
      names.push_back((llvm::sys::path::stem(outputPath) +
                       (count > 1 ? "." + Twine(i) : Twine()) + ".o")
                          .str());
    std::vector<llvm::NewArchiveMember> members;
    for (size_t i = 0; i < objects.size(); ++i) {
      members.emplace_back(llvm::MemoryBufferRef(objects[i], names[i]));
      members.back().MemberName = names[i];
    }
    if (!dataObjectPath.empty()) {
      llvm::Expected<llvm::NewArchiveMember> m =
          llvm::NewArchiveMember::getFile(dataObjectPath, /*Deterministic=*/true);
      if (!m)
        return module.emitError() << "cannot read the temporary object file '" << dataObjectPath
                                  << "': " << llvm::toString(m.takeError());
      members.push_back(std::move(*m));
      members.back().MemberName = names.back();
    }
    if (llvm::Error e = llvm::writeArchive(outputPath, members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::getDefaultKindForTriple(triple),
                                           /*Deterministic=*/true,
                                           /*Thin=*/false)) {
      return module.emitError() << "cannot write archive '" << outputPath
                                << "': " << llvm::toString(std::move(e));
    }
    return writeModelHeaderFile(outputPath, *abi, headerOpts);
  }

  // Shared library: link the object with lld.
  SmallVector<SmallString<128>> objPaths(objects.size());
  SmallVector<std::unique_ptr<llvm::FileRemover>> objRemovers;
  for (size_t i = 0; i < objects.size(); ++i) {
    int fd;
    if (llvm::sys::fs::createTemporaryFile("kiln", "o", fd, objPaths[i]))
      return module.emitError("cannot create a temporary object file");
    objRemovers.push_back(std::make_unique<llvm::FileRemover>(objPaths[i]));
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objects[i];
  }
  if (!dataObjectPath.empty())
    objPaths.push_back(dataObjectPath);
  std::string linker = "/usr/lib/llvm-22/bin/ld.lld";
  if (!llvm::sys::fs::can_execute(linker)) {
    auto found = llvm::sys::findProgramByName("ld.lld");
    if (!found)
      return module.emitError() << "cannot find the linker '" << linker << "' (package lld-22)";
    linker = *found;
  }
  SmallVector<std::string> ownedArgs;
  SmallVector<StringRef> args{linker, "-shared", "--build-id=none", "--hash-style=gnu",
                              "-z", "noexecstack"};
  // Stand-ins for a cross target's C library: empty shared objects with
  // its sonames, so that the library records them as needed without a
  // sysroot (the symbols resolve when the target system loads it).
  SmallVector<std::unique_ptr<llvm::FileRemover>> removers;
  bool hostLink = sameArch && host.getOS() == triple.getOS() &&
                  host.getEnvironment() == triple.getEnvironment();
  if (hostLink) {
    args.append({"-o", outputPath});
    for (auto &p : objPaths)
      args.push_back(p);
    for (const char *d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                          "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64",
                          "/usr/lib64", "/lib", "/usr/lib"})
      if (llvm::sys::fs::is_directory(d))
        ownedArgs.push_back(std::string("-L") + d);
    for (auto &d : ownedArgs)
      args.push_back(d);
    if (usesOpenMP) {
      // LLVM 22's libomp; its directory is also the run path, so that the
      // library loads where the system's loader cache has no libomp.so.5.
      StringRef llvmOmp = "/usr/lib/llvm-22/lib/libomp.so";
      if (llvm::sys::fs::exists(llvmOmp))
        args.append({llvmOmp, "-rpath", "/usr/lib/llvm-22/lib"});
      else
        args.push_back("-lomp");
    }
    args.append({"--as-needed", "-lm", "-lc"});
  } else {
    StringRef emulation = lldEmulation(triple);
    if (emulation.empty())
      return module.emitError() << "cannot link a shared library for '" << tripleStr
                                << "' (ld.lld has no emulation for it): use --emit=obj";
    args.append({"-m", emulation, "-o", outputPath});
    for (auto &p : objPaths)
      args.push_back(p);
    SmallVector<StringRef> sonames = crossSonames(triple);
    if (!sonames.empty()) {
      // An empty object of the target's flavour for the stand-ins.
      SmallString<0> emptyObj;
      {
        llvm::Module empty("kiln_empty", llvmCtx);
        empty.setTargetTriple(triple);
        empty.setDataLayout(tm->createDataLayout());
        llvm::raw_svector_ostream os(emptyObj);
        llvm::legacy::PassManager cg;
        if (tm->addPassesToEmitFile(cg, os, nullptr, llvm::CodeGenFileType::ObjectFile))
          return module.emitError("the target cannot emit an object file");
        cg.run(empty);
      }
      auto tempFile = [&](StringRef suffix, SmallString<128> &path) -> LogicalResult {
        int tfd;
        if (llvm::sys::fs::createTemporaryFile("kiln", suffix, tfd, path))
          return module.emitError("cannot create a temporary file");
        llvm::sys::fs::closeFile(tfd);
        removers.push_back(std::make_unique<llvm::FileRemover>(path));
        return success();
      };
      SmallString<128> emptyPath;
      if (failed(tempFile("o", emptyPath)) ||
          failed(writeFile(emptyPath, StringRef(emptyObj.data(), emptyObj.size()))))
        return failure();
      args.push_back("--no-as-needed");
      for (StringRef soname : sonames) {
        SmallString<128> stubPath;
        if (failed(tempFile("so", stubPath)))
          return failure();
        ownedArgs.push_back(stubPath.str().str());
        std::string sonameArg = ("-soname=" + soname).str();
        if (failed(runLinker(module, linker,
                             {linker, "-shared", "-m", emulation, sonameArg, "-o", stubPath,
                              emptyPath},
                             stubPath)))
          return failure();
      }
      for (size_t i = ownedArgs.size() - sonames.size(); i < ownedArgs.size(); ++i)
        args.push_back(ownedArgs[i]);
    }
  }
  if (failed(runLinker(module, linker, args, outputPath)) ||
      failed(rewriteInLargeWrites(module, outputPath)))
    return failure();
  return writeModelHeaderFile(outputPath, *abi, headerOpts);
}
