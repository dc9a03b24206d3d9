// RUN: kiln-opt --kiln-cpu-prepare-entry %s | FileCheck %s

// The entry's signature becomes the module attribute kiln.abi: ONNX names
// from kiln.name (default input_<i> / output_<i>), ONNX dtype codes (from
// kiln.dtype or the element type), dims with -1 for dynamic ones.  The entry
// gets its C interface; every other defined function becomes private.  Errors: prepare-entry-errors.mlir.

// CHECK-LABEL: module attributes {kiln.abi = {entry = "main", inputs = [{dims = array<i64: -1, 3>, dtype = 1 : i32, name = "x"}, {dims = array<i64>, dtype = 7 : i32, name = "input_1"}], outputs = [{dims = array<i64: -1, 3>, dtype = 9 : i32, name = "output_0"}, {dims = array<i64: 2>, dtype = 2 : i32, name = "u8"}]}}
// CHECK: func.func private @helper(
// CHECK: func.func private @ext(tensor<2xi8>) -> tensor<2xi8>{{$}}
// CHECK: func.func @main({{.*}} attributes {kiln.entry, llvm.emit_c_interface}
module {
  func.func @helper(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    return %x : tensor<?x3xf32>
  }
  func.func private @ext(tensor<2xi8>) -> tensor<2xi8>
  func.func @main(%x: tensor<?x3xf32> {kiln.name = "x"}, %n: tensor<i64>)
      -> (tensor<?x3xi1>, tensor<2xi8> {kiln.name = "u8", kiln.dtype = 2 : i32})
      attributes {kiln.entry} {
    %c = arith.constant dense<true> : tensor<2x3xi1>
    %b = tensor.cast %c : tensor<2x3xi1> to tensor<?x3xi1>
    %u = arith.constant dense<1> : tensor<2xi8>
    return %b, %u : tensor<?x3xi1>, tensor<2xi8>
  }
}
