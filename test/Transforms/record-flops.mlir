// RUN: kiln-opt --kiln-nn-record-flops --mlir-pass-statistics --mlir-print-debuginfo --mlir-print-local-scope %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats
// RUN: kiln-opt --split-input-file --verify-diagnostics --kiln-nn-record-flops %S/Inputs/record-flops-invalid.mlir

// STATS: kiln-nn-record-flops
// STATS-DAG: 6 counted-ops
// STATS-DAG: 2 dynamic-ops

// After each float conv / conv_transpose / matmul, a call with the FLOPs it
// did (2 per multiply-add, epilogue not counted), at the op's location.
// CHECK: func.func private @kiln.profile.flops(i64)
// CHECK-LABEL: func.func @main
// grouped conv: 2 x (1x6x8x8) x (2 x 3x3) = 13824 (its bias is not counted).
// CHECK: %[[CONV:.*]] = nn.conv %arg0
// CHECK-NEXT: %[[F0:.*]] = arith.constant 13824 : i64
// CHECK-NEXT: call @kiln.profile.flops(%[[F0]]) : (i64) -> () loc("conv")
// conv_transpose: 2 x input (1x4x5x5) x (3 x 2x2) = 2400.
// CHECK: nn.conv_transpose %arg1
// CHECK-NEXT: %[[F1:.*]] = arith.constant 2400 : i64
// CHECK-NEXT: call @kiln.profile.flops(%[[F1]]) : (i64) -> () loc("ct")
// batched matmul with a fused relu: 2 x (2x3x7) x 5 = 420; the call has the
// op's (fused) location.
// CHECK: nn.matmul %arg2, %{{.*}} act relu
// CHECK-NEXT: %[[F2:.*]] = arith.constant 420 : i64
// CHECK-NEXT: call @kiln.profile.flops(%[[F2]]) : (i64) -> () loc(fused["fc.weight", "fc", "relu"])
// dynamic batch: 2 x 6x8x8 x (2 x 3x3) = 13824 per image, times the run-time
// batch of the result.
// CHECK: %[[DYN:.*]] = nn.conv %arg3
// CHECK-NEXT: %[[S:.*]] = arith.constant 13824 : i64
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[N:.*]] = tensor.dim %[[DYN]], %[[C0]] : tensor<?x6x8x8xf32>
// CHECK-NEXT: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK-NEXT: %[[F3:.*]] = arith.muli %[[S]], %[[N64]] : i64
// CHECK-NEXT: call @kiln.profile.flops(%[[F3]]) : (i64) -> () loc("dyn")
// dynamic M and K: 2 x M x 2 x K from the result and the left operand.
// CHECK: %[[MM:.*]] = nn.matmul %arg4
// CHECK-NEXT: %[[S2:.*]] = arith.constant 4 : i64
// CHECK-NEXT: %[[C0b:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[M:.*]] = tensor.dim %[[MM]], %[[C0b]]
// CHECK-NEXT: arith.index_cast %[[M]]
// CHECK-NEXT: arith.muli
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[K:.*]] = tensor.dim %arg4, %[[C1]]
// CHECK-NEXT: arith.index_cast %[[K]]
// CHECK-NEXT: %[[F4:.*]] = arith.muli
// CHECK-NEXT: call @kiln.profile.flops(%[[F4]]) : (i64) -> () loc("dynmm")
// Integer matmul: not floating-point operations, no call.
// CHECK: nn.matmul %arg5
// CHECK-NOT: call
// CHECK: scf.if
// Inside a region: counted where it runs.
// CHECK: nn.matmul
// CHECK-NEXT: arith.constant 64 : i64
// CHECK-NEXT: call @kiln.profile.flops
// CHECK: scf.yield
// CHECK: } else {
// CHECK-NOT: call
// CHECK: return

module {
func.func @main(%x: tensor<1x4x8x8xf32>, %t: tensor<1x4x5x5xf32>, %a: tensor<2x3x5xf32>,
                %d: tensor<?x4x8x8xf32>, %q: tensor<?x?xf32>, %i: tensor<4x8xi32>, %c: i1,
                %w2: tensor<?x2xf32>)
    -> (tensor<1x6x8x8xf32>, tensor<1x3x10x10xf32>, tensor<2x3x7xf32>, tensor<2x3x7xf32>,
        tensor<?x6x8x8xf32>, tensor<?x2xf32>, tensor<4x2xi32>, tensor<1x2xf32>) {
  %w = arith.constant dense<0.5> : tensor<6x2x3x3xf32>
  %b = arith.constant dense<1.0> : tensor<6xf32>
  %0 = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32> loc("conv")
  %wt = arith.constant dense<0.5> : tensor<4x3x2x2xf32>
  %1 = nn.conv_transpose %t, %wt {dilations = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x5x5xf32>, tensor<4x3x2x2xf32>) -> tensor<1x3x10x10xf32> loc("ct")
  %wm = arith.constant dense<0.5> : tensor<5x7xf32>
  %2 = nn.matmul %a, %wm act relu : tensor<2x3x5xf32>, tensor<5x7xf32> -> tensor<2x3x7xf32> loc(fused["fc.weight", "fc", "relu"])
  %r = nn.unary relu %2 : tensor<2x3x7xf32> -> tensor<2x3x7xf32> loc("relu")
  %3 = nn.conv %d, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<?x6x8x8xf32> loc("dyn")
  %4 = nn.matmul %q, %w2 : tensor<?x?xf32>, tensor<?x2xf32> -> tensor<?x2xf32> loc("dynmm")
  %wi = arith.constant dense<3> : tensor<8x2xi32>
  %5 = nn.matmul %i, %wi : tensor<4x8xi32>, tensor<8x2xi32> -> tensor<4x2xi32> loc("int")
  %p = arith.constant dense<1.0> : tensor<1x16xf32>
  %w3 = arith.constant dense<0.5> : tensor<16x2xf32>
  %z = arith.constant dense<0.0> : tensor<1x2xf32>
  %6 = scf.if %c -> tensor<1x2xf32> {
    %m = nn.matmul %p, %w3 : tensor<1x16xf32>, tensor<16x2xf32> -> tensor<1x2xf32> loc("nested")
    scf.yield %m : tensor<1x2xf32>
  } else {
    scf.yield %z : tensor<1x2xf32>
  }
  return %0, %1, %2, %r, %3, %4, %5, %6 : tensor<1x6x8x8xf32>, tensor<1x3x10x10xf32>, tensor<2x3x7xf32>, tensor<2x3x7xf32>, tensor<?x6x8x8xf32>, tensor<?x2xf32>, tensor<4x2xi32>, tensor<1x2xf32>
}
}
