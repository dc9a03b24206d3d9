//===- RuntimeCheckABI.cpp - run-time check records of ABI v2 --------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "RuntimeCheckABI.h"

#include "llvm/IR/Function.h"

using namespace kiln::cpu;
using llvm::SmallVector;

RuntimeChecks kiln::cpu::addRuntimeChecks(llvm::Module &mod, llvm::ArrayRef<std::string> messages) {
  RuntimeChecks rc;
  llvm::LLVMContext &ctx = mod.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  rc.num = messages.size();
  rc.table = llvm::ConstantPointerNull::get(ptrTy);
  if (messages.empty())
    return rc;

  SmallVector<llvm::Constant *> strs;
  for (auto [i, msg] : llvm::enumerate(messages)) {
    auto *c = llvm::ConstantDataArray::getString(ctx, msg, true);
    strs.push_back(new llvm::GlobalVariable(mod, c->getType(), true, llvm::GlobalValue::PrivateLinkage, c,
                                            "kiln_check_msg_" + llvm::Twine(i)));
  }
  auto *arrTy = llvm::ArrayType::get(ptrTy, strs.size());
  rc.table = new llvm::GlobalVariable(mod, arrTy, true, llvm::GlobalValue::PrivateLinkage,
                                      llvm::ConstantArray::get(arrTy, strs), "kiln_checks");
  rc.slot = new llvm::GlobalVariable(mod, ptrTy, false, llvm::GlobalValue::InternalLinkage,
                                     llvm::ConstantPointerNull::get(ptrTy), "kiln_check_record",
                                     nullptr, llvm::GlobalValue::GeneralDynamicTLSModel);

  auto *i8 = llvm::Type::getInt8Ty(ctx);
  rc.failed = new llvm::GlobalVariable(mod, i8, false, llvm::GlobalValue::InternalLinkage,
                                       llvm::ConstantInt::get(i8, 0), "kiln_check_failed_flag", nullptr,
                                       llvm::GlobalValue::GeneralDynamicTLSModel);
  if (llvm::Function *ok = mod.getFunction(kCheckOkSymbol); ok && ok->isDeclaration()) {
    ok->setLinkage(llvm::GlobalValue::InternalLinkage);
    ok->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", ok));
    llvm::Value *flag = b.CreateLoad(i8, b.CreateThreadLocalAddress(rc.failed));
    b.CreateRet(b.CreateICmpEQ(flag, llvm::ConstantInt::get(i8, 0)));
  }
  llvm::Function *fn = mod.getFunction(kCheckFailedSymbol);
  if (!fn || !fn->isDeclaration())
    return rc;
  // struct kiln_abi_error { i32 check; i32 reserved; i64 values[3]; }
  fn->setLinkage(llvm::GlobalValue::InternalLinkage);
  fn->addFnAttr(llvm::Attribute::Cold);
  fn->addFnAttr(llvm::Attribute::NoInline);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto *record = llvm::BasicBlock::Create(ctx, "record", fn);
  auto *first = llvm::BasicBlock::Create(ctx, "first", fn);
  auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
  llvm::IRBuilder<> b(entry);
  b.CreateStore(llvm::ConstantInt::get(i8, 1), b.CreateThreadLocalAddress(rc.failed));
  llvm::Value *rec = b.CreateLoad(ptrTy, b.CreateThreadLocalAddress(rc.slot));
  b.CreateCondBr(b.CreateIsNull(rec), done, record);
  b.SetInsertPoint(record);
  llvm::Value *cur = b.CreateLoad(i32, rec);
  b.CreateCondBr(b.CreateICmpEQ(cur, llvm::ConstantInt::get(i32, 0)), first, done);
  b.SetInsertPoint(first);
  b.CreateStore(fn->getArg(0), rec);
  for (unsigned i = 0; i < 3; ++i)
    b.CreateStore(fn->getArg(1 + i), b.CreateConstInBoundsGEP1_64(i64, rec, 1 + i));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return rc;
}

void kiln::cpu::setCheckRecord(llvm::IRBuilder<> &b, const RuntimeChecks &rc, llvm::Value *args,
                               unsigned numInputs) {
  if (!rc.slot)
    return;
  auto *ptrTy = llvm::PointerType::getUnqual(b.getContext());
  llvm::Value *rec = b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, args, 1 + numInputs));
  b.CreateStore(rec, b.CreateThreadLocalAddress(rc.slot));
  b.CreateStore(llvm::ConstantInt::get(llvm::Type::getInt8Ty(b.getContext()), 0),
                b.CreateThreadLocalAddress(rc.failed));
}

void kiln::cpu::clearCheckRecord(llvm::IRBuilder<> &b, const RuntimeChecks &rc) {
  if (!rc.slot)
    return;
  auto *ptrTy = llvm::PointerType::getUnqual(b.getContext());
  b.CreateStore(llvm::ConstantPointerNull::get(ptrTy), b.CreateThreadLocalAddress(rc.slot));
}
