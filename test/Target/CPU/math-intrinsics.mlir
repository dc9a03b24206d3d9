// RUN: kiln-opt --kiln-cpu-lowering="opt-level=2" %s | FileCheck %s

// The polynomial approximation of exp emits math.fma and math.floor on the
// vectorized tile; both must become LLVM vector intrinsics, not one libm
// call (fmaf, floorf) per lane.  An f64 log1p (no polynomial approximation)
// keeps libm's accurate log1p rather than LLVM's log(1 + x).
// CHECK-LABEL: llvm.func internal @main.k0
// CHECK-DAG: llvm.intr.fma({{.*}}) : (vector<64xf32>, vector<64xf32>, vector<64xf32>) -> vector<64xf32>
// CHECK-DAG: llvm.intr.floor({{.*}}) : (vector<64xf32>) -> vector<64xf32>
// CHECK-DAG: llvm.call @log1p(
// CHECK-NOT: @fmaf
// CHECK-NOT: @floorf
#id = affine_map<(i, j) -> (i, j)>
func.func @main(%x: tensor<4x64xf32>, %d: tensor<4x8xf64>) -> (tensor<4x64xf32>, tensor<4x8xf64>) attributes {kiln.entry} {
  %e = tensor.empty() : tensor<4x64xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x64xf32>
  %e2 = tensor.empty() : tensor<4x8xf64>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<4x8xf64>) outs(%e2 : tensor<4x8xf64>) {
  ^bb0(%a: f64, %o: f64):
    %r = math.log1p %a : f64
    linalg.yield %r : f64
  } -> tensor<4x8xf64>
  return %y, %z : tensor<4x64xf32>, tensor<4x8xf64>
}
