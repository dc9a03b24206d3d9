// RUN: kiln-opt --kiln-cpu-lowering %s | FileCheck %s
// RUN: kiln-opt --kiln-cpu-lowering="opt-level=3" %s | FileCheck %s
// RUN: kiln-opt --kiln-cpu-lowering="opt-level=0" %s | FileCheck %s --check-prefix=O0

// At -O1 and above, linalg ops are tiled and vectorized: the matmul becomes
// vector FMAs, everything ends in the LLVM dialect, the entry function gets
// its C interface and the module records the ABI (names, ONNX dtypes,
// shapes) for the artifact writer.

// CHECK: module attributes {kiln.abi = {entry = "main", inputs = [{dims = array<i64: 32, 64>, dtype = 1 : i32, name = "a"}, {dims = array<i64: 64, 32>, dtype = 1 : i32, name = "b"}], outputs = [{dims = array<i64: 32, 32>, dtype = 1 : i32, name = "c"}]}
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK: llvm.func @malloc(
// The helper is private: only the entry function is public.
// CHECK: llvm.func @helper({{.*}}sym_visibility = "private"
// Each kernel is a function of its own (kiln-cpu-outline-kernels).
// CHECK: llvm.func internal @main.k{{[0-9]+}}(
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: llvm.intr.fmuladd{{.*}}vector<
// CHECK: llvm.func @main(
// CHECK-SAME: llvm.emit_c_interface
// CHECK: llvm.call @malloc
// CHECK: llvm.call @main.k
// CHECK: llvm.func @_mlir_ciface_main(

// At -O0 there is no vector code: plain loops.
// O0-NOT: vector<
// O0: llvm.fmul {{.*}} : f32
// O0: llvm.fadd {{.*}} : f32
// O0-NOT: vector<
// O0: llvm.func @main(
// O0-NOT: vector<
// O0: llvm.func @_mlir_ciface_main(

module {
  func.func @helper(%x: tensor<32x32xf32>) -> tensor<32x32xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<32x32xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<32x32xf32>) outs(%e : tensor<32x32xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.maximumf %a, %zero : f32
      linalg.yield %r : f32
    } -> tensor<32x32xf32>
    return %y : tensor<32x32xf32>
  }
  func.func @main(%a: tensor<32x64xf32> {kiln.name = "a", kiln.dtype = 1 : i32},
                  %b: tensor<64x32xf32> {kiln.name = "b", kiln.dtype = 1 : i32})
      -> (tensor<32x32xf32> {kiln.name = "c", kiln.dtype = 1 : i32}) attributes {kiln.entry} {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<32x32xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
    %c = linalg.matmul ins(%a, %b : tensor<32x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<32x32xf32>) -> tensor<32x32xf32>
    %r = func.call @helper(%c) : (tensor<32x32xf32>) -> tensor<32x32xf32>
    return %r : tensor<32x32xf32>
  }
}
