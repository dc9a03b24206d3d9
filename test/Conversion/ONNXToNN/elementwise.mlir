// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Clip with constant bounds becomes nn.clamp; Identity and Dropout vanish.
// CHECK-LABEL: func @clip_identity
// CHECK: %[[C:.*]] = nn.clamp %arg0 {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
// CHECK-NEXT: return %[[C]]
func.func @clip_identity(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %lo = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %hi = onnx.Constant {value = dense<6.0> : tensor<f32>} : tensor<f32>
  %i = "onnx.Identity"(%x) : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %n = onnx.NoValue
  %d = "onnx.Dropout"(%i, %n, %n) : (tensor<2x2xf32>, none, none) -> tensor<2x2xf32>
  %y = "onnx.Clip"(%d, %lo, %hi) : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// Clip with run-time bounds must NOT become nn.clamp.
// CHECK-LABEL: func @clip_dynamic_bounds
// CHECK-NOT: nn.clamp
// CHECK: nn.binary max
// CHECK: nn.binary min
func.func @clip_dynamic_bounds(%x: tensor<2x2xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<2x2xf32> {
  %y = "onnx.Clip"(%x, %lo, %hi) : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// Dropout in training mode with a constant ratio of 0 (torch's
// F.dropout(x, p=0.0), exported by Swin's attention) drops nothing: the
// output is the input and the mask is all true.
// CHECK-LABEL: func.func @train_ratio_zero
// CHECK-NOT: onnx.Dropout
// CHECK: %[[M:.*]] = nn.fill
// CHECK: return %arg0, %[[M]]
func.func @train_ratio_zero(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %r = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %t = onnx.Constant {value = dense<true> : tensor<i1>} : tensor<i1>
  %y, %m = "onnx.Dropout"(%x, %r, %t) : (tensor<2x3xf32>, tensor<f32>, tensor<i1>) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  return %y, %m : tensor<2x3xf32>, tensor<2x3xi1>
}

// A mask of run-time shape takes the data's shape.
// CHECK-LABEL: func.func @dynamic_mask
// CHECK: %[[S:.*]] = nn.shape_of %arg0
// CHECK: nn.fill %[[S]]
func.func @dynamic_mask(%x: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xi1>) {
  %n = onnx.NoValue
  %y, %m = "onnx.Dropout"(%x, %n, %n) : (tensor<?x3xf32>, none, none) -> (tensor<?x3xf32>, tensor<?x3xi1>)
  return %y, %m : tensor<?x3xf32>, tensor<?x3xi1>
}

// Unsigned inputs (kiln.dtype 2 = uint8) pick the unsigned kinds; signedness
// flows through ops of the same element type.
// CHECK-LABEL: func @unsigned_ops
// CHECK: nn.binary umod
// CHECK: nn.binary udiv
// CHECK: nn.binary ult
// CHECK: nn.binary ugt
// CHECK: nn.binary uge
// CHECK: nn.binary ule
// CHECK: nn.binary umax
// CHECK: nn.cast %{{.*}} {unsigned_src} : tensor<4xi8> -> tensor<4xf32>
func.func @unsigned_ops(%a: tensor<4xi8> {kiln.dtype = 2 : i32}, %b: tensor<4xi8> {kiln.dtype = 2 : i32})
    -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi8>, tensor<4xf32>) {
  %m = "onnx.Mod"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %d = "onnx.Div"(%m, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %l = "onnx.Less"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %g = "onnx.Greater"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %ge = "onnx.GreaterOrEqual"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %le = "onnx.LessOrEqual"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %mx = "onnx.Max"(%a, %b) : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %f = "onnx.Cast"(%a) {to = 1 : i64} : (tensor<4xi8>) -> tensor<4xf32>
  return %m, %d, %l, %g, %ge, %le, %mx, %f : tensor<4xi8>, tensor<4xi8>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi8>, tensor<4xf32>
}

// The same ops on signed integers.
// CHECK-LABEL: func @signed_ops
// CHECK: nn.binary mod
// CHECK: nn.binary fmod
// CHECK: nn.binary div
// CHECK: nn.binary ge
// CHECK: nn.cast %{{.*}} : tensor<4xi32> -> tensor<4xf32>
func.func @signed_ops(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>) {
  %m = "onnx.Mod"(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %fm = "onnx.Mod"(%a, %b) {fmod = 1 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %d = "onnx.Div"(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %ge = "onnx.GreaterOrEqual"(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %f = "onnx.Cast"(%a) {to = 1 : i64} : (tensor<4xi32>) -> tensor<4xf32>
  return %m, %fm, %d, %ge, %f : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>
}

// A Cast to uint16 makes its users unsigned.
// CHECK-LABEL: func @cast_unsigned
// CHECK: nn.cast %arg0 {unsigned_dst}
// CHECK: nn.binary shru
// CHECK: nn.binary shl
func.func @cast_unsigned(%a: tensor<3xi32>, %s: tensor<3xi16>) -> (tensor<3xi16>, tensor<3xi16>) {
  %u = "onnx.Cast"(%a) {to = 4 : i64} : (tensor<3xi32>) -> tensor<3xi16>
  %r = "onnx.BitShift"(%u, %s) {direction = "RIGHT"} : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %l = "onnx.BitShift"(%u, %s) {direction = "LEFT"} : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  return %r, %l : tensor<3xi16>, tensor<3xi16>
}

// Unary activations carry their attributes in alpha/beta.
// CHECK-LABEL: func @activations
// CHECK: nn.unary elu %arg0 {alpha = 2.000000e+00 : f32}
// CHECK: nn.unary selu %arg0 {alpha = 3.000000e+00 : f32, beta = 4.000000e+00 : f32}
// CHECK: nn.unary shrink %arg0 {alpha = 1.500000e+00 : f32, beta = 5.000000e-01 : f32}
// CHECK: nn.unary thresholded_relu %arg0 {alpha = 1.000000e+00 : f32}
// CHECK: nn.unary celu %arg0 {alpha = 1.000000e+00 : f32}
// CHECK: nn.unary acosh %arg0
// CHECK: nn.unary round %arg0
func.func @activations(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %e = "onnx.Elu"(%x) {alpha = 2.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = "onnx.Selu"(%x) {alpha = 3.0 : f32, gamma = 4.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = "onnx.Shrink"(%x) {lambd = 1.5 : f32, bias = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %t = "onnx.ThresholdedRelu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = "onnx.Celu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = "onnx.Acosh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = "onnx.Round"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %e, %s, %h, %t, %c, %a, %r : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// IsNaN is not(x == x); IsInf compares |x| (or x) with an infinity.
// CHECK-LABEL: func @isnan_isinf
// CHECK: %[[EQ:.*]] = nn.binary eq %arg0, %arg0
// CHECK: nn.unary logical_not %[[EQ]]
// CHECK: %[[ABS:.*]] = nn.unary abs %arg0
// CHECK: %[[INF:.*]] = arith.constant dense<0x7F800000> : tensor<1xf32>
// CHECK: nn.binary eq %[[ABS]], %[[INF]]
// CHECK: %[[NINF:.*]] = arith.constant dense<0xFF800000> : tensor<1xf32>
// CHECK: nn.binary eq %arg0, %[[NINF]]
// CHECK: nn.fill
func.func @isnan_isinf(%x: tensor<5xf32>) -> (tensor<5xi1>, tensor<5xi1>, tensor<5xi1>, tensor<5xi1>) {
  %n = "onnx.IsNaN"(%x) : (tensor<5xf32>) -> tensor<5xi1>
  %i = "onnx.IsInf"(%x) : (tensor<5xf32>) -> tensor<5xi1>
  %ng = "onnx.IsInf"(%x) {detect_positive = 0 : i64} : (tensor<5xf32>) -> tensor<5xi1>
  %no = "onnx.IsInf"(%x) {detect_positive = 0 : i64, detect_negative = 0 : i64} : (tensor<5xf32>) -> tensor<5xi1>
  return %n, %i, %ng, %no : tensor<5xi1>, tensor<5xi1>, tensor<5xi1>, tensor<5xi1>
}

// Mean: a sum, then a division by the number of inputs.
// CHECK-LABEL: func @mean
// CHECK: %[[S:.*]] = nn.binary add %arg0, %{{.*}} : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
// CHECK: %[[S2:.*]] = nn.binary add %[[S]], %arg2
// CHECK: %[[N:.*]] = arith.constant dense<3.000000e+00> : tensor<1x1xf32>
// CHECK: nn.binary div %[[S2]], %[[N]]
func.func @mean(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %m = "onnx.Mean"(%a, %b, %c) : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}

// PRelu: slope broadcast to x's rank; Xor on bools.
// CHECK-LABEL: func @prelu_xor
// CHECK: nn.binary prelu %arg0, %{{.*}} : tensor<2x3x4xf32>, tensor<1x3x1xf32> -> tensor<2x3x4xf32>
// CHECK: nn.binary logical_xor %arg2, %arg3
func.func @prelu_xor(%x: tensor<2x3x4xf32>, %s: tensor<3x1xf32>, %p: tensor<4xi1>, %q: tensor<4xi1>) -> (tensor<2x3x4xf32>, tensor<4xi1>) {
  %y = "onnx.PRelu"(%x, %s) : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %z = "onnx.Xor"(%p, %q) : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %y, %z : tensor<2x3x4xf32>, tensor<4xi1>
}

// Integer base with a float exponent: pow in f64, then back to the base type.
// CHECK-LABEL: func @pow_int_float
// CHECK: nn.cast %arg0 : tensor<3xi32> -> tensor<3xf64>
// CHECK: nn.cast %arg1 : tensor<3xf32> -> tensor<3xf64>
// CHECK: nn.binary pow
// CHECK: nn.cast %{{.*}} : tensor<3xf64> -> tensor<3xi32>
func.func @pow_int_float(%x: tensor<3xi32>, %y: tensor<3xf32>) -> tensor<3xi32> {
  %z = "onnx.Pow"(%x, %y) : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xi32>
  return %z : tensor<3xi32>
}

// CastLike takes the element type of its second operand.
// CHECK-LABEL: func @castlike
// CHECK: nn.cast %arg0 : tensor<3xf32> -> tensor<3xbf16>
func.func @castlike(%x: tensor<3xf32>, %like: tensor<1xbf16>) -> tensor<3xbf16> {
  %z = "onnx.CastLike"(%x, %like) : (tensor<3xf32>, tensor<1xbf16>) -> tensor<3xbf16>
  return %z : tensor<3xbf16>
}
