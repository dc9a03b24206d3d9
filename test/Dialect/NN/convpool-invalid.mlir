// RUN: kiln-opt --split-input-file --verify-diagnostics %s

func.func @pad_mode_unknown(%x: tensor<4xf32>, %p: tensor<2xi64>) -> tensor<6xf32> {
  // expected-error @+1 {{unknown mode 'mirror'}}
  %y = nn.pad_mode %x, %p {mode = "mirror"} : (tensor<4xf32>, tensor<2xi64>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// -----

func.func @pad_mode_pads(%x: tensor<4x4xf32>, %p: tensor<2xi64>) -> tensor<6x4xf32> {
  // expected-error @+1 {{pads must be a 1-D integer tensor of 2 * rank entries}}
  %y = nn.pad_mode %x, %p {mode = "edge"} : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}

// -----

func.func @pad_mode_value(%x: tensor<4xf32>, %p: tensor<2xi64>, %v: tensor<f32>) -> tensor<6xf32> {
  // expected-error @+1 {{value is only allowed in constant mode}}
  %y = nn.pad_mode %x, %p, %v {mode = "edge"} : (tensor<4xf32>, tensor<2xi64>, tensor<f32>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// -----

func.func @dynamic_slice_offsets(%x: tensor<4x4xf32>, %o: tensor<3xi64>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{offsets, sizes and strides must be 1-D integer tensors with one entry per dim}}
  %y = nn.dynamic_slice %x[%o, %s, %s] : (tensor<4x4xf32>, tensor<3xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @max_unpool_dynamic(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> tensor<1x1x?x?xf32> {
  // expected-error @+1 {{a result with dynamic dims needs a shape operand}}
  %y = nn.max_unpool %x, %i {spatial_dims = array<i64: 4, 4>} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) -> tensor<1x1x?x?xf32>
  return %y : tensor<1x1x?x?xf32>
}
