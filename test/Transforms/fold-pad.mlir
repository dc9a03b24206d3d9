// RUN: kiln-opt --kiln-nn-fold-pad --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-fold-pad
// STATS-DAG: 2 pads-folded-into-conv
// STATS-DAG: 3 pads-folded-into-pool

// Zero pad of H and W into the conv's pads (added to its own pads).
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>
// CHECK-NOT: nn.pad
// CHECK: nn.conv %[[X]], %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 2, 1, 3, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x11x9xf32>
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x11x9xf32> {
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 0, 0, 0, 2, 0>, value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x3x11x8xf32>
  %c = nn.conv %p, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x11x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x11x9xf32>
  return %c : tensor<1x4x11x9xf32>
}

// The pad has another user: the conv reads the unpadded input, the pad
// stays for the other user.  1-D conv with dynamic batch.
// CHECK-LABEL: func.func @conv_shared
// CHECK: %[[P:.*]] = nn.pad
// CHECK: nn.conv %arg0, %{{.*}} pads = array<i64: 2, 3>
// CHECK: return %{{.*}}, %[[P]]
func.func @conv_shared(%x: tensor<?x2x10xf32>, %w: tensor<2x2x3xf32>) -> (tensor<?x2x13xf32>, tensor<?x2x15xf32>) {
  %p = nn.pad %x {pads = array<i64: 0, 0, 2, 0, 0, 3>, value = 0.0 : f64} : tensor<?x2x10xf32> -> tensor<?x2x15xf32>
  %c = nn.conv %p, %w {dilations = array<i64: 1>, groups = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x2x15xf32>, tensor<2x2x3xf32>) -> tensor<?x2x13xf32>
  return %c, %p : tensor<?x2x13xf32>, tensor<?x2x15xf32>
}

// Average pool with count_include_pad: pads and explicit_pads grow.
// CHECK-LABEL: func.func @avg_pool
// CHECK-NOT: nn.pad
// CHECK: nn.pool avg %arg0 {count_include_pad = true, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 1, 2, 1, 2>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 2, 1, 2>, strides = array<i64: 2, 2>}
func.func @avg_pool(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x4x5xf32> {
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f64} : tensor<1x2x7x7xf32> -> tensor<1x2x9x9xf32>
  %q = nn.pool avg %p {count_include_pad = true, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 1, 0, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 2, 2>} : tensor<1x2x9x9xf32> -> tensor<1x2x4x5xf32>
  return %q : tensor<1x2x4x5xf32>
}

// Max pool with a -inf pad (what the lowering pads with); ceil-mode end
// padding (pads > explicit_pads) is kept; 3-D pool.
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: nn.pad
// CHECK: nn.pool max %arg0 {{.*}}explicit_pads = array<i64: 1, 1, 1, 1, 1, 1>{{.*}}pads = array<i64: 1, 1, 1, 1, 1, 2>
// CHECK: nn.pool max %arg1 {{.*}}explicit_pads = array<i64: 0, 1, 0, 0>{{.*}}pads = array<i64: 0, 1, 0, 0>
func.func @max_pool(%x: tensor<1x1x4x4x4xf32>, %y: tensor<2x3x5x5xf32>) -> (tensor<1x1x3x3x3xf32>, tensor<2x3x4x5xf32>) {
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 1, 0, 0, 1, 1, 1>, value = 0xFFF0000000000000 : f64} : tensor<1x1x4x4x4xf32> -> tensor<1x1x6x6x6xf32>
  %q = nn.pool max %p {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 1>, strides = array<i64: 2, 2, 2>} : tensor<1x1x6x6x6xf32> -> tensor<1x1x3x3x3xf32>
  %p2 = nn.pad %y {pads = array<i64: 0, 0, 0, 1, 0, 0, 0, 0>, value = 0xFFF0000000000000 : f64} : tensor<2x3x5x5xf32> -> tensor<2x3x5x6xf32>
  %q2 = nn.pool max %p2 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<2x3x5x6xf32> -> tensor<2x3x4x5xf32>
  return %q, %q2 : tensor<1x1x3x3x3xf32>, tensor<2x3x4x5xf32>
}

// ---- Negative cases: every pad stays. ----

// A nonzero pad value into a conv; a pad of the channel dim; a pad of the
// batch dim; a negative (cropping) pad.
// CHECK-LABEL: func.func @conv_refused
// CHECK-COUNT-4: nn.pad
// CHECK-COUNT-4: pads = array<i64: 0, 0, 0, 0>
func.func @conv_refused(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %w4: tensor<4x4x1x1xf32>) -> (tensor<1x4x10x10xf32>, tensor<1x4x8x8xf32>, tensor<2x4x8x8xf32>, tensor<1x4x7x8xf32>) {
  %p1 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 1.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>
  %p2 = nn.pad %x {pads = array<i64: 0, 1, 0, 0, 0, 0, 0, 0>, value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x4x8x8xf32>
  %p3 = nn.pad %x {pads = array<i64: 1, 0, 0, 0, 0, 0, 0, 0>, value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<2x3x8x8xf32>
  %p4 = nn.pad %x {pads = array<i64: 0, 0, -1, 0, 0, 0, 0, 0>, value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x3x7x8xf32>
  %c1 = nn.conv %p1, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x10x10xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x10x10xf32>
  %c2 = nn.conv %p2, %w4 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %c3 = nn.conv %p3, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<2x4x8x8xf32>
  %c4 = nn.conv %p4, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x7x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x7x8xf32>
  return %c1, %c2, %c3, %c4 : tensor<1x4x10x10xf32>, tensor<1x4x8x8xf32>, tensor<2x4x8x8xf32>, tensor<1x4x7x8xf32>
}

// Average pool without count_include_pad (the padded zeros would leave
// the divisor); max pool with a 0 pad value (the lowering pads with -inf);
// max pool with -FLT_MAX (not -inf: differs where the input holds -inf);
// dynamic spatial dims.  (%p1 feeds the first two.)
// CHECK-LABEL: func.func @pool_refused
// CHECK-COUNT-3: nn.pad
// CHECK-NOT: explicit_pads = array<i64: 1
func.func @pool_refused(%x: tensor<1x2x6x6xf32>, %d: tensor<1x2x?x6xf32>) -> (tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>, tensor<1x2x?x6xf32>) {
  %p1 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f64} : tensor<1x2x6x6xf32> -> tensor<1x2x8x8xf32>
  %q1 = nn.pool avg %p1 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x2x6x6xf32>
  %q2 = nn.pool max %p1 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x2x6x6xf32>
  %p3 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = -3.4028234663852886E+38 : f64} : tensor<1x2x6x6xf32> -> tensor<1x2x8x8xf32>
  %q3 = nn.pool max %p3 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x2x6x6xf32>
  %p4 = nn.pad %d {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f64} : tensor<1x2x?x6xf32> -> tensor<1x2x?x8xf32>
  %q4 = nn.pool avg %p4 {count_include_pad = true, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x?x8xf32> -> tensor<1x2x?x6xf32>
  return %q1, %q2, %q3, %q4 : tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>, tensor<1x2x?x6xf32>
}
