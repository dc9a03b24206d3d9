// RUN: kiln-opt --kiln-insert-runtime-checks --split-input-file --verify-diagnostics %s

// Constant operands are checked at compile time.
func.func @gather_constant_out_of_range(%d: tensor<10x4xf32> {kiln.name = "data"}) -> tensor<2x4xf32> {
  %i = arith.constant dense<[1, 12]> : tensor<2xi64>
  // expected-error @unknown {{node 'Gather_c' (Gather): index 12 is out of range [-10, 9] on axis 0 of 'data'}}
  %y = nn.gather %d[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("Gather_c")
  return %y : tensor<2x4xf32>
}

// -----

func.func @gather_constant_negative(%d: tensor<10x4xf32> {kiln.name = "data"}) -> tensor<1x4xf32> {
  %i = arith.constant dense<[-11]> : tensor<1xi64>
  // expected-error @unknown {{node 'G' (Gather): index -11 is out of range [-10, 9] on axis 0 of 'data'}}
  %y = nn.gather %d[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<1xi64>) -> tensor<1x4xf32> loc("G")
  return %y : tensor<1x4xf32>
}

// -----

func.func @gather_nd_constant(%d: tensor<10x4xf32> {kiln.name = "data"}) -> tensor<1xf32> {
  %i = arith.constant dense<[[9, -5]]> : tensor<1x2xi64>
  // expected-error @unknown {{node 'GND' (GatherND): index -5 is out of range [-4, 3] on axis 1 of 'data' (component 1 of the last axis of}}
  %y = nn.gather_nd %d[%i] {batch_dims = 0 : i64} : (tensor<10x4xf32>, tensor<1x2xi64>) -> tensor<1xf32> loc("GND")
  return %y : tensor<1xf32>
}

// -----

func.func @div_constant_zero(%a: tensor<3xi32>) -> tensor<3xi32> {
  %b = arith.constant dense<[1, 0, 2]> : tensor<3xi32> loc("b")
  // expected-error @unknown {{node 'Div_c' (Div): integer division by zero: the divisor 'b' is a constant with 1 zero element}}
  %y = nn.binary div %a, %b : tensor<3xi32>, tensor<3xi32> -> tensor<3xi32> loc("Div_c")
  return %y : tensor<3xi32>
}

// -----

func.func @reduce_axes_repeated(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %a = arith.constant dense<[1, -1]> : tensor<2xi64>
  // expected-error @unknown {{node 'RS' (ReduceSum): axis 1 appears more than once in 'axes'}}
  %y = nn.reduce_axes sum %x, %a {keepdims = true, noop_with_empty_axes = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x1xf32> loc("RS")
  return %y : tensor<2x1xf32>
}

// -----

func.func @reduce_axes_out_of_range(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = arith.constant dense<[2]> : tensor<1xi64>
  // expected-error @unknown {{node 'RS' (ReduceSum): axis 2 is out of range [-2, 1] for an input of rank 2}}
  %y = nn.reduce_axes sum %x, %a {keepdims = true, noop_with_empty_axes = false} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x3xf32> loc("RS")
  return %y : tensor<2x3xf32>
}
