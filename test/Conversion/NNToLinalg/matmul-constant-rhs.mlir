// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// A constant [1, K, N] weight (e.g. a folded reshape of an initializer) is
// re-typed as a 2-D constant over the same blob, not read through a
// collapse_shape view of the constant.
// CHECK-LABEL: func.func @constant_rhs
// CHECK: %[[W:.*]] = arith.constant dense_resource<w_blob> : tensor<4x3xf32>
// CHECK-NOT: tensor.collapse_shape %{{.*}} : tensor<1x4x3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>)
func.func @constant_rhs(%x: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
  %w = arith.constant dense_resource<w_blob> : tensor<1x4x3xf32>
  %y = nn.matmul %x, %w : tensor<?x5x4xf32>, tensor<1x4x3xf32> -> tensor<?x5x3xf32>
  return %y : tensor<?x5x3xf32>
}

// A run-time rhs still goes through collapse_shape.
// CHECK-LABEL: func.func @runtime_rhs
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x3xf32> into tensor<4x3xf32>
func.func @runtime_rhs(%x: tensor<?x5x4xf32>, %w: tensor<1x4x3xf32>) -> tensor<?x5x3xf32> {
  %y = nn.matmul %x, %w : tensor<?x5x4xf32>, tensor<1x4x3xf32> -> tensor<?x5x3xf32>
  return %y : tensor<?x5x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w_blob: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
    }
  }
#-}
