// RUN: kiln-opt --kiln-cpu-prepare-entry --split-input-file --verify-diagnostics %s

// expected-error@+1 {{no function has the 'kiln.entry' attribute (the model's entry point)}}
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

module {
  func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
  // expected-error@+1 {{more than one function has the 'kiln.entry' attribute}}
  func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error@+1 {{argument #0 must be a ranked tensor, got 'tensor<*xf32>'}}
func.func @main(%x: tensor<*xf32>) -> tensor<4xf32> attributes {kiln.entry} {
  %c = arith.constant dense<0.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// expected-error@+1 {{result #0 has unsupported element type 'index'}}
func.func @main(%x: tensor<4xf32>) -> tensor<4xindex> attributes {kiln.entry} {
  %c = arith.constant dense<0> : tensor<4xindex>
  return %c : tensor<4xindex>
}

// -----

// expected-error@+1 {{argument #1 has rank 9 (the runtime supports up to 8)}}
func.func @main(%x: tensor<4xf32>, %y: tensor<1x1x1x1x1x1x1x1x1xf32>) -> tensor<4xf32>
    attributes {kiln.entry} {
  return %x : tensor<4xf32>
}

// -----

// expected-error@+1 {{'kiln.dtype' of argument #0 is 1 (float32), which does not match the element type 'i8'}}
func.func @main(%x: tensor<4xi8> {kiln.dtype = 1 : i32}) -> tensor<4xi8> attributes {kiln.entry} {
  return %x : tensor<4xi8>
}

// -----

// expected-error@+1 {{the entry function has no results}}
func.func @main(%x: tensor<4xf32>) attributes {kiln.entry} {
  return
}
