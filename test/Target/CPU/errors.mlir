// RUN: not kiln-opt --kiln-cpu-lowering --split-input-file %s 2>&1 | FileCheck %s

// CHECK: error: no function has the 'kiln.entry' attribute (the model's entry point)
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// CHECK: error: more than one function has the 'kiln.entry' attribute
module {
  func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
  func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
}

// -----

// CHECK: error: argument #0 has unsupported element type 'complex<f32>'
module {
  func.func @main(%x: tensor<4xcomplex<f32>> {kiln.name = "x", kiln.dtype = 14 : i32}) -> tensor<4xf32> attributes {kiln.entry} {
    %e = tensor.empty() : tensor<4xf32>
    return %e : tensor<4xf32>
  }
}

// -----

// CHECK: error: result #0 has unsupported element type 'f8E4M3FN'
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> attributes {kiln.entry} {
    %e = arith.truncf %x : tensor<4xf32> to tensor<4xf8E4M3FN>
    return %e : tensor<4xf8E4M3FN>
  }
}

// -----

// CHECK: error: argument #1 must be a ranked tensor, got 'tensor<*xf32>'
module {
  func.func @main(%x: tensor<4xf32>, %y: tensor<*xf32>) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
}

// -----

// CHECK: error: the entry function has no results
module {
  func.func @main(%x: tensor<4xf32>) attributes {kiln.entry} {
    return
  }
}

// -----

// CHECK: error: 'kiln.dtype' of argument #0 is 6 (int32), which does not match the element type 'f32'
module {
  func.func @main(%x: tensor<4xf32> {kiln.name = "x", kiln.dtype = 6 : i32}) -> tensor<4xf32> attributes {kiln.entry} {
    return %x : tensor<4xf32>
  }
}
