// kiln-nn-record-flops refuses a module whose kiln.profile.flops is not the
// declaration it inserts.

// expected-error @+1 {{'kiln.profile.flops' must be a declaration of type '(i64) -> ()'}}
func.func private @kiln.profile.flops(i32)
func.func @main(%a: tensor<2x5xf32>, %w: tensor<5x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.matmul %a, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// No convolution or matmul: nothing inserted, no check.
func.func @kiln.profile.flops(%x: i32) -> i32 {
  return %x : i32
}
func.func @main(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  return %a : tensor<2x5xf32>
}

// -----

// expected-error @+1 {{'kiln.profile.flops' is already defined and is not a function}}
module {
  memref.global "private" @kiln.profile.flops : memref<1xi64>
  func.func @main(%a: tensor<2x5xf32>, %w: tensor<5x3xf32>) -> tensor<2x3xf32> {
    %0 = nn.matmul %a, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
    return %0 : tensor<2x3xf32>
  }
}
