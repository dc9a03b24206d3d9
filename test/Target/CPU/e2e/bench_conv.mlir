// Benchmark: ResNet-style 3x3 conv, 64 -> 64 channels, 56x56, padding 1
// (tensor.pad), batch 1 (not run by lit).
module attributes {kiln.model_name = "conv3x3"} {
  func.func @main(%x: tensor<1x64x56x56xf32> {kiln.name = "x", kiln.dtype = 1 : i32},
                  %w: tensor<64x64x3x3xf32> {kiln.name = "w", kiln.dtype = 1 : i32})
      -> (tensor<1x64x56x56xf32> {kiln.name = "y", kiln.dtype = 1 : i32}) attributes {kiln.entry} {
    %zero = arith.constant 0.0 : f32
    %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
    } : tensor<1x64x56x56xf32> to tensor<1x64x58x58xf32>
    %e = tensor.empty() : tensor<1x64x56x56xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%p, %w : tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>) outs(%acc : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    return %c : tensor<1x64x56x56xf32>
  }
}
