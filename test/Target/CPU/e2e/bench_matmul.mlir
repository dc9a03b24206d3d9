// Benchmark: C[512,512] = A[512,512] * B[512,512] (not run by lit).
module attributes {kiln.model_name = "matmul512"} {
  func.func @main(%a: tensor<512x512xf32> {kiln.name = "a", kiln.dtype = 1 : i32},
                  %b: tensor<512x512xf32> {kiln.name = "b", kiln.dtype = 1 : i32})
      -> (tensor<512x512xf32> {kiln.name = "c", kiln.dtype = 1 : i32}) attributes {kiln.entry} {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<512x512xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<512x512xf32>) -> tensor<512x512xf32>
    %c = linalg.matmul ins(%a, %b : tensor<512x512xf32>, tensor<512x512xf32>) outs(%acc : tensor<512x512xf32>) -> tensor<512x512xf32>
    return %c : tensor<512x512xf32>
  }
}
