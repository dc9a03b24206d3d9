// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Window of run-time length: the size is read from the tensor (negative
// sizes give an empty window).
// CHECK-LABEL: func @hann
// CHECK: %[[N:.*]] = tensor.extract %arg0[]
// CHECK: %[[I:.*]] = arith.index_cast %[[N]] : i32 to index
// CHECK: %[[M:.*]] = arith.maxsi %[[I]], %c0
// CHECK: tensor.empty(%[[M]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK: math.cos
func.func @hann(%n: tensor<i32>) -> tensor<?xf32> {
  %y = nn.window "hann" %n {periodic = true} : tensor<i32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// DFT: f64 accumulation with two reduction dims (sample, component), then a
// conversion to the result type.
// CHECK-LABEL: func @dft
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: math.cos
// CHECK: math.sin
// CHECK: arith.addf %{{.*}} : f64
// CHECK: linalg.generic
// CHECK: arith.truncf
func.func @dft(%x: tensor<2x8x1xf32>) -> tensor<2x5x2xf32> {
  %y = nn.dft %x {axis = 1 : i64, inverse = false, length = 8 : i64, onesided = true} : tensor<2x8x1xf32> -> tensor<2x5x2xf32>
  return %y : tensor<2x5x2xf32>
}
