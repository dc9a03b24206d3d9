// RUN: kiln-opt --split-input-file --verify-diagnostics %s

func.func @gather_elements_shape(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<3x3xf32> {
  // expected-error @+1 {{result must have the shape of indices}}
  %y = nn.gather_elements %d[%i] {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

func.func @scatter_reduction(%d: tensor<5xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{unknown reduction 'avg'}}
  %y = nn.scatter_elements %d[%i], %u {axis = 0 : i64, reduction = "avg"} : (tensor<5xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

func.func @gather_nd_rank(%d: tensor<2x2x2xf32>, %i: tensor<2x2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{result rank must be rank(indices) - 1 + rank(input) - batch_dims - k}}
  %y = nn.gather_nd %d[%i] {batch_dims = 0 : i64} : (tensor<2x2x2xf32>, tensor<2x2xi64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<2x2xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{updates must have rank rank(indices) - 1 + rank(data) - k}}
  %y = nn.scatter_nd %d[%i], %u {reduction = "none"} : (tensor<4x4xf32>, tensor<2x2xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

func.func @trilu_k(%x: tensor<3x3xf32>, %k: tensor<2xi64>) -> tensor<3x3xf32> {
  // expected-error @+1 {{k must be an i64 tensor of one element}}
  %y = nn.trilu %x k %k : tensor<2xi64> {k = 0 : i64, upper = true} : tensor<3x3xf32> -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

func.func @one_hot_values(%i: tensor<3xi64>, %d: tensor<i64>, %v: tensor<2xi32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{values must be [off, on] of the result's element type}}
  %y = nn.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<i64>, tensor<2xi32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

func.func @compress_condition(%x: tensor<3x2xf32>, %c: tensor<3xi32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{condition must be a 1-D i1 tensor}}
  %y = nn.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

func.func @reverse_sequence_axes(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  // expected-error @+1 {{batch_axis and time_axis must be distinct dims of the input}}
  %y = nn.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 1 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// Run-time scalars of dynamic shape verify (their single element is read at
// run time); a static shape must hold exactly one element.
func.func @dynamic_scalars(%x: tensor<3x4xf32>, %k: tensor<?xi64>, %a: tensor<?xi32>) -> (tensor<3x?xf32>, tensor<3x4xf32>) {
  %v, %i = nn.topk %x, %k {axis = 1 : i64, largest = true} : (tensor<3x4xf32>, tensor<?xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  %c = nn.cumsum %x axis %a {axis = 0 : i64, exclusive = false, reverse = false} : (tensor<3x4xf32>, tensor<?xi32>) -> tensor<3x4xf32>
  return %v, %c : tensor<3x?xf32>, tensor<3x4xf32>
}

// -----

func.func @topk_two_k(%x: tensor<3x4xf32>, %k: tensor<2xi64>) -> tensor<3x?xf32> {
  // expected-error @+1 {{k must be a 1-element i64 tensor}}
  %v, %i = nn.topk %x, %k {axis = 1 : i64, largest = true} : (tensor<3x4xf32>, tensor<2xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  return %v : tensor<3x?xf32>
}
