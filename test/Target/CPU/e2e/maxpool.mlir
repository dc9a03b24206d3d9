// 3x3 max pooling, stride 2, no padding: X [2, 4, 9, 11] -> Y [2, 4, 4, 5].
module attributes {kiln.model_name = "maxpool"} {
  func.func @main(%x: tensor<2x4x9x11xf32> {kiln.name = "x", kiln.dtype = 1 : i32})
      -> (tensor<2x4x4x5xf32> {kiln.name = "y", kiln.dtype = 1 : i32}) attributes {kiln.entry} {
    %ninf = arith.constant 0xFF800000 : f32
    %win = tensor.empty() : tensor<3x3xf32>
    %e = tensor.empty() : tensor<2x4x4x5xf32>
    %acc = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x4x4x5xf32>) -> tensor<2x4x4x5xf32>
    %y = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%x, %win : tensor<2x4x9x11xf32>, tensor<3x3xf32>) outs(%acc : tensor<2x4x4x5xf32>) -> tensor<2x4x4x5xf32>
    return %y : tensor<2x4x4x5xf32>
  }
}
