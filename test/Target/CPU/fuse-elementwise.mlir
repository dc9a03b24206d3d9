// RUN: kiln-opt --kiln-cpu-fuse-elementwise --split-input-file %s | FileCheck %s
// Upstream's linalg-fuse-elementwise-ops, which it replaces in the CPU
// pipeline, fuses the first case (the normalization would run inside the
// matmul's reduction loop):
// RUN: kiln-opt --linalg-fuse-elementwise-ops --split-input-file %s | FileCheck %s --check-prefix=UPSTREAM

#id = affine_map<(d0, d1) -> (d0, d1)>
#mA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mC = affine_map<(d0, d1, d2) -> (d0, d1)>

// An elementwise producer (a LayerNorm's scale) of a contraction stays a
// producer: the contraction keeps its multiply-add body.
// CHECK-LABEL: func.func @norm_then_matmul
// CHECK: %[[N:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[N]], %arg2
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// UPSTREAM-LABEL: func.func @norm_then_matmul
// UPSTREAM: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1, %arg2
// UPSTREAM-NOT: linalg.generic
func.func @norm_then_matmul(%x: tensor<256x512xf32>, %g: tensor<256x512xf32>, %w: tensor<512x64xf32>) -> tensor<256x64xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %n = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %g : tensor<256x512xf32>, tensor<256x512xf32>) outs(%e : tensor<256x512xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<256x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<256x64xf32>) -> tensor<256x64xf32>
  %r = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]} ins(%n, %w : tensor<256x512xf32>, tensor<512x64xf32>) outs(%f : tensor<256x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<256x64xf32>
  return %r : tensor<256x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A named matmul whose result is expanded before an elementwise consumer
// stays a named matmul (upstream propagates the reshape through it as a
// generic); elementwise ops still fuse with each other.
// CHECK-LABEL: func.func @matmul_expand_then_add
// CHECK: linalg.matmul
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// UPSTREAM-LABEL: func.func @matmul_expand_then_add
// UPSTREAM-NOT: linalg.matmul
func.func @matmul_expand_then_add(%a: tensor<256x512xf32>, %w: tensor<512x64xf32>, %b: tensor<1x256x64xf32>, %c: tensor<1x256x64xf32>) -> tensor<1x256x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x64xf32>) -> tensor<256x64xf32>
  %m = linalg.matmul ins(%a, %w : tensor<256x512xf32>, tensor<512x64xf32>) outs(%f : tensor<256x64xf32>) -> tensor<256x64xf32>
  %x = tensor.expand_shape %m [[0, 1], [2]] output_shape [1, 256, 64] : tensor<256x64xf32> into tensor<1x256x64xf32>
  %e3 = tensor.empty() : tensor<1x256x64xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %b : tensor<1x256x64xf32>, tensor<1x256x64xf32>) outs(%e3 : tensor<1x256x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.addf %p, %q : f32
    linalg.yield %t : f32
  } -> tensor<1x256x64xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %c : tensor<1x256x64xf32>, tensor<1x256x64xf32>) outs(%e3 : tensor<1x256x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %u = arith.mulf %p, %q : f32
    linalg.yield %u : f32
  } -> tensor<1x256x64xf32>
  return %t : tensor<1x256x64xf32>
}

// -----

// A depthwise convolution's epilogue (nn.qconv's dequantization, ReLU6 and
// the next int8 layer's quantization, each marked kiln.epilogue, the
// quantization's scale a splat constant) fuses into one generic that stays
// marked kiln.epilogue (upstream's patterns drop the mark), so that the
// depthwise micro-kernel applies it in registers.  A second reader of the
// convolution's result: the fused chain is not the result's only reader
// and stays unmarked.
// CHECK-LABEL: func.func @depthwise_epilogue
// CHECK: %[[D:.*]] = linalg.depthwise_conv_2d_nchw_chw
// CHECK: linalg.generic {{.*}} ins(%[[D]], {{.*}} outs({{.*}} : tensor<1x4x8x8xi8>) attrs =  {kiln.epilogue}
// CHECK: math.roundeven
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @depthwise_two_readers
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK-NOT: kiln.epilogue
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d1)>
#one = affine_map<(d0, d1, d2, d3) -> (0, 0, 0, 0)>
func.func @depthwise_epilogue(%x: tensor<1x4x10x10xi8>, %w: tensor<4x3x3xi8>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xi8> {
  %c0 = arith.constant 0.0 : f32
  %c6 = arith.constant 6.0 : f32
  %qs = arith.constant dense<0.025> : tensor<1x1x1x1xf32>
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %i = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x10x10xi8>, tensor<4x3x3xi8>) outs(%i : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%d, %s, %b : tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<1x4x8x8xf32>) attrs = {kiln.epilogue} {
  ^bb0(%a: f32, %sa: f32, %ba: f32, %o: f32):
    %m = arith.mulf %a, %sa : f32
    %r = arith.addf %m, %ba : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : tensor<1x4x8x8xf32>) outs(%y : tensor<1x4x8x8xf32>) attrs = {kiln.epilogue} {
  ^bb0(%a: f32, %o: f32):
    %r0 = arith.maximumf %a, %c0 : f32
    %r1 = arith.minimumf %r0, %c6 : f32
    linalg.yield %r1 : f32
  } -> tensor<1x4x8x8xf32>
  %e8 = tensor.empty() : tensor<1x4x8x8xi8>
  %q = linalg.generic {indexing_maps = [#id, #one, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %qs : tensor<1x4x8x8xf32>, tensor<1x1x1x1xf32>) outs(%e8 : tensor<1x4x8x8xi8>) attrs = {kiln.epilogue} {
  ^bb0(%a: f32, %sc: f32, %o: i8):
    %dv = arith.divf %a, %sc : f32
    %rn = math.roundeven %dv : f32
    %u = arith.fptoui %rn : f32 to i8
    linalg.yield %u : i8
  } -> tensor<1x4x8x8xi8>
  return %q : tensor<1x4x8x8xi8>
}
func.func @depthwise_two_readers(%x: tensor<1x4x10x10xi8>, %w: tensor<4x3x3xi8>, %s: tensor<4xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %i = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x10x10xi8>, tensor<4x3x3xi8>) outs(%i : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%d, %s : tensor<1x4x8x8xf32>, tensor<4xf32>) outs(%e : tensor<1x4x8x8xf32>) {
  ^bb0(%a: f32, %sa: f32, %o: f32):
    %m = arith.mulf %a, %sa : f32
    linalg.yield %m : f32
  } -> tensor<1x4x8x8xf32>
  return %y, %d : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}
