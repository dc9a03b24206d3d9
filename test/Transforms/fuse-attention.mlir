// RUN: kiln-opt --kiln-nn-fuse-attention --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-fuse-attention
// STATS-DAG: 10 attention-fused
// STATS-DAG: 2 causal-masks

// BERT: heads split by transposes, Q x K^T, Div by sqrt(d), Add of the
// [B, 1, 1, L] attention mask, Softmax, x V.  The key is K^T's source
// transposed once ([0, 2, 1, 3]).
// CHECK-LABEL: func.func @bert
// CHECK-SAME: (%[[Q:.*]]: tensor<?x12x128x64xf32>, %[[K:.*]]: tensor<?x128x12x64xf32>, %[[V:.*]]: tensor<?x12x128x64xf32>, %[[M:.*]]: tensor<?x1x1x128xf32>)
// CHECK: %[[KEY:.*]] = nn.transpose %[[K]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x128x12x64xf32> -> tensor<?x12x128x64xf32>
// CHECK: %[[O:.*]] = nn.attention %[[Q]], %[[KEY]], %[[V]] mask(%[[M]] : tensor<?x1x1x128xf32>) {scale = 1.250000e-01 : f32} : tensor<?x12x128x64xf32>, tensor<?x12x128x64xf32>, tensor<?x12x128x64xf32> -> tensor<?x12x128x64xf32>
// CHECK-NOT: nn.softmax
// CHECK-NOT: nn.matmul
// CHECK: return %[[O]]
func.func @bert(%q: tensor<?x12x128x64xf32>, %k: tensor<?x128x12x64xf32>, %v: tensor<?x12x128x64xf32>, %m: tensor<?x1x1x128xf32>) -> tensor<?x12x128x64xf32> {
  %c = arith.constant dense<8.0> : tensor<1x1x1x1xf32>
  %kt = nn.transpose %k {perm = array<i64: 0, 2, 3, 1>} : tensor<?x128x12x64xf32> -> tensor<?x12x64x128xf32>
  %s = nn.matmul %q, %kt : tensor<?x12x128x64xf32>, tensor<?x12x64x128xf32> -> tensor<?x12x128x128xf32>
  %d = nn.binary div %s, %c : tensor<?x12x128x128xf32>, tensor<1x1x1x1xf32> -> tensor<?x12x128x128xf32>
  %a = nn.binary add %d, %m : tensor<?x12x128x128xf32>, tensor<?x1x1x128xf32> -> tensor<?x12x128x128xf32>
  %p = nn.softmax %a {axis = 3 : i64} : tensor<?x12x128x128xf32>
  %o = nn.matmul %p, %v : tensor<?x12x128x128xf32>, tensor<?x12x128x64xf32> -> tensor<?x12x128x64xf32>
  return %o : tensor<?x12x128x64xf32>
}

// ViT / torch MultiheadAttention (rank 3, batch x heads in one dim): Q
// divided before the product, no mask; K^T is a transpose whose swap is
// the identity, so the key is its source.
// CHECK-LABEL: func.func @vit
// CHECK-SAME: (%[[Q:.*]]: tensor<?x197x64xf32>, %[[K:.*]]: tensor<?x197x64xf32>, %[[V:.*]]: tensor<?x197x64xf32>)
// CHECK: nn.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f32} : tensor<?x197x64xf32>, tensor<?x197x64xf32>, tensor<?x197x64xf32> -> tensor<?x197x64xf32>
// CHECK-NOT: nn.binary
func.func @vit(%q: tensor<?x197x64xf32>, %k: tensor<?x197x64xf32>, %v: tensor<?x197x64xf32>) -> tensor<?x197x64xf32> {
  %c = arith.constant dense<8.0> : tensor<1x1x1xf32>
  %qs = nn.binary div %q, %c : tensor<?x197x64xf32>, tensor<1x1x1xf32> -> tensor<?x197x64xf32>
  %kt = nn.transpose %k {perm = array<i64: 0, 2, 1>} : tensor<?x197x64xf32> -> tensor<?x64x197xf32>
  %s = nn.matmul %qs, %kt : tensor<?x197x64xf32>, tensor<?x64x197xf32> -> tensor<?x197x197xf32>
  %p = nn.softmax %s {axis = 2 : i64} : tensor<?x197x197xf32>
  %o = nn.matmul %p, %v : tensor<?x197x197xf32>, tensor<?x197x64xf32> -> tensor<?x197x64xf32>
  return %o : tensor<?x197x64xf32>
}

// GPT: a constant causal mask (0 on and below the diagonal, -inf above)
// becomes the causal flag; K^T computed elsewhere gets a transpose.
// CHECK-LABEL: func.func @gpt
// CHECK: %[[KEY:.*]] = nn.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>}
// CHECK: nn.attention %arg0, %[[KEY]], %arg2 {causal, scale = 5.000000e-01 : f32}
// CHECK-NOT: mask(
func.func @gpt(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %c = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %mask = arith.constant dense<[[[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %s = nn.matmul %q, %kt : tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x3x3xf32>
  %d = nn.binary mul %c, %s : tensor<1x1x1x1xf32>, tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  %a = nn.binary add %mask, %d : tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  %p = nn.softmax %a {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = nn.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// Swin: relative position bias and shifted-window mask, two Adds: one
// mask, their sum.  A mask that is not causal (here: it removes the
// diagonal too) stays a mask.
// CHECK-LABEL: func.func @swin
// CHECK: %[[SUM:.*]] = nn.binary add %arg3, %arg4 : tensor<1x3x49x49xf32>, tensor<?x1x49x49xf32> -> tensor<?x3x49x49xf32>
// CHECK: nn.attention %arg0, %{{.*}}, %arg2 mask(%[[SUM]] : tensor<?x3x49x49xf32>) {scale = 0.176776
func.func @swin(%q: tensor<?x3x49x32xf32>, %k: tensor<?x3x49x32xf32>, %v: tensor<?x3x49x32xf32>, %bias: tensor<1x3x49x49xf32>, %shift: tensor<?x1x49x49xf32>) -> tensor<?x3x49x32xf32> {
  %c = arith.constant dense<0.176776695> : tensor<1x1x1x1xf32>
  %qs = nn.binary mul %q, %c : tensor<?x3x49x32xf32>, tensor<1x1x1x1xf32> -> tensor<?x3x49x32xf32>
  %kt = nn.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x3x49x32xf32> -> tensor<?x3x32x49xf32>
  %s = nn.matmul %qs, %kt : tensor<?x3x49x32xf32>, tensor<?x3x32x49xf32> -> tensor<?x3x49x49xf32>
  %a = nn.binary add %s, %bias : tensor<?x3x49x49xf32>, tensor<1x3x49x49xf32> -> tensor<?x3x49x49xf32>
  %b = nn.binary add %a, %shift : tensor<?x3x49x49xf32>, tensor<?x1x49x49xf32> -> tensor<?x3x49x49xf32>
  %p = nn.softmax %b {axis = 3 : i64} : tensor<?x3x49x49xf32>
  %o = nn.matmul %p, %v : tensor<?x3x49x49xf32>, tensor<?x3x49x32xf32> -> tensor<?x3x49x32xf32>
  return %o : tensor<?x3x49x32xf32>
}

// Swin's shifted windows (torchvision): the scores of B = 2 x 4 windows
// viewed as [2, 4, H, L, L], the per-window mask [1, 4, 1, L, L] added,
// viewed back.  The mask becomes [8, 1, L, L] (window b % 4 at batch b),
// summed with the relative position bias.
// CHECK-LABEL: func.func @swin_shifted
// CHECK: %[[REP:.*]] = nn.broadcast %arg4 : (tensor<1x4x1x49x49xf32>) -> tensor<2x4x1x49x49xf32>
// CHECK: %[[W:.*]] = nn.reshape %[[REP]] : (tensor<2x4x1x49x49xf32>) -> tensor<8x1x49x49xf32>
// CHECK: %[[SUM:.*]] = nn.binary add %arg3, %[[W]] : tensor<1x3x49x49xf32>, tensor<8x1x49x49xf32> -> tensor<8x3x49x49xf32>
// CHECK: nn.attention %{{.*}}, %{{.*}}, %arg2 mask(%[[SUM]] : tensor<8x3x49x49xf32>)
// CHECK-NOT: nn.softmax
func.func @swin_shifted(%q: tensor<8x3x49x32xf32>, %kt: tensor<8x3x32x49xf32>, %v: tensor<8x3x49x32xf32>, %bias: tensor<1x3x49x49xf32>, %shift: tensor<1x4x1x49x49xf32>) -> tensor<8x3x49x32xf32> {
  %s = nn.matmul %q, %kt : tensor<8x3x49x32xf32>, tensor<8x3x32x49xf32> -> tensor<8x3x49x49xf32>
  %a = nn.binary add %s, %bias : tensor<8x3x49x49xf32>, tensor<1x3x49x49xf32> -> tensor<8x3x49x49xf32>
  %w = nn.reshape %a : (tensor<8x3x49x49xf32>) -> tensor<2x4x3x49x49xf32>
  %m = nn.binary add %w, %shift : tensor<2x4x3x49x49xf32>, tensor<1x4x1x49x49xf32> -> tensor<2x4x3x49x49xf32>
  %b = nn.reshape %m : (tensor<2x4x3x49x49xf32>) -> tensor<8x3x49x49xf32>
  %p = nn.softmax %b {axis = 3 : i64} : tensor<8x3x49x49xf32>
  %o = nn.matmul %p, %v : tensor<8x3x49x49xf32>, tensor<8x3x49x32xf32> -> tensor<8x3x49x32xf32>
  return %o : tensor<8x3x49x32xf32>
}

// The same with the batch known only at run time: the mask is broadcast to
// [B / w, w, ..] (w: the mask's dim 1, the window count or 1 as the Add
// broadcasts it) from the scores' batch and viewed as [B, ..].
// The batch is read from Q, so that nothing keeps the scores' product.
// CHECK-LABEL: func.func @swin_shifted_dynamic
// CHECK-NOT: nn.matmul
// CHECK: %[[B:.*]] = nn.shape_of %arg0 {end = 1 : i64, start = 0 : i64} : tensor<?x3x49x32xf32> -> tensor<1xi64>
// CHECK: %[[W:.*]] = nn.shape_of %arg4 {end = 2 : i64, start = 1 : i64} : tensor<1x4x1x49x49xf32> -> tensor<1xi64>
// CHECK: %[[G:.*]] = nn.binary div %[[B]], %[[W]] : tensor<1xi64>, tensor<1xi64> -> tensor<1xi64>
// CHECK: %[[S5:.*]] = nn.concat %[[G]], %[[W]], %{{.*}} {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<3xi64>) -> tensor<5xi64>
// CHECK: %[[REP:.*]] = nn.broadcast %arg4, %[[S5]] : (tensor<1x4x1x49x49xf32>, tensor<5xi64>) -> tensor<?x4x1x49x49xf32>
// CHECK: %[[S4:.*]] = nn.concat %[[B]], %{{.*}} {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
// CHECK: %[[M4:.*]] = nn.reshape %[[REP]], %[[S4]] : (tensor<?x4x1x49x49xf32>, tensor<4xi64>) -> tensor<?x1x49x49xf32>
// CHECK: nn.attention {{.*}} mask(%{{.*}} : tensor<?x3x49x49xf32>)
func.func @swin_shifted_dynamic(%q: tensor<?x3x49x32xf32>, %kt: tensor<?x3x32x49xf32>, %v: tensor<?x3x49x32xf32>, %bias: tensor<1x3x49x49xf32>, %shift: tensor<1x4x1x49x49xf32>, %shape5: tensor<5xi64>, %shape4: tensor<4xi64>) -> tensor<?x3x49x32xf32> {
  %s = nn.matmul %q, %kt : tensor<?x3x49x32xf32>, tensor<?x3x32x49xf32> -> tensor<?x3x49x49xf32>
  %a = nn.binary add %s, %bias : tensor<?x3x49x49xf32>, tensor<1x3x49x49xf32> -> tensor<?x3x49x49xf32>
  %w = nn.reshape %a, %shape5 : (tensor<?x3x49x49xf32>, tensor<5xi64>) -> tensor<?x4x3x49x49xf32>
  %m = nn.binary add %w, %shift : tensor<?x4x3x49x49xf32>, tensor<1x4x1x49x49xf32> -> tensor<?x4x3x49x49xf32>
  %b = nn.reshape %m, %shape4 : (tensor<?x4x3x49x49xf32>, tensor<4xi64>) -> tensor<?x3x49x49xf32>
  %p = nn.softmax %b {axis = 3 : i64} : tensor<?x3x49x49xf32>
  %o = nn.matmul %p, %v : tensor<?x3x49x49xf32>, tensor<?x3x49x32xf32> -> tensor<?x3x49x32xf32>
  return %o : tensor<?x3x49x32xf32>
}

// As torch exports it with a dynamic batch: the window count known only at
// run time, and the scores' and the views' dims read by tensor.dim for the
// views' shapes.  Those dims are answered from Q and the view's shape
// operand, so that nothing keeps the scores alive.
// CHECK-LABEL: func.func @swin_shifted_dims
// CHECK: %[[B:.*]] = tensor.dim %arg0, %c0 : tensor<?x3x49x32xf32>
// CHECK: %[[E0:.*]] = tensor.extract %{{.*}}[%c0{{.*}}] : tensor<5xi64>
// CHECK: %[[E1:.*]] = tensor.extract %{{.*}}[%c1{{.*}}] : tensor<5xi64>
// CHECK: nn.shape_of %arg3 {end = 2 : i64, start = 1 : i64} : tensor<1x?x1x49x49xf32> -> tensor<1xi64>
// CHECK: nn.attention {{.*}} mask(%{{.*}} : tensor<?x1x49x49xf32>)
// CHECK-NOT: nn.matmul
// CHECK-NOT: nn.softmax
func.func @swin_shifted_dims(%q: tensor<?x3x49x32xf32>, %kt: tensor<?x3x32x49xf32>, %v: tensor<?x3x49x32xf32>, %shift: tensor<1x?x1x49x49xf32>, %nw: i64) -> (tensor<?x3x49x32xf32>, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : i64
  %c49 = arith.constant 49 : i64
  %s = nn.matmul %q, %kt : tensor<?x3x49x32xf32>, tensor<?x3x32x49xf32> -> tensor<?x3x49x49xf32>
  %b = tensor.dim %s, %c0 : tensor<?x3x49x49xf32>
  %bi = arith.index_cast %b : index to i64
  %g = arith.divui %bi, %nw : i64
  %shape5 = tensor.from_elements %g, %nw, %c3, %c49, %c49 : tensor<5xi64>
  %w = nn.reshape %s, %shape5 : (tensor<?x3x49x49xf32>, tensor<5xi64>) -> tensor<?x?x3x49x49xf32>
  %m = nn.binary add %w, %shift : tensor<?x?x3x49x49xf32>, tensor<1x?x1x49x49xf32> -> tensor<?x?x3x49x49xf32>
  %d0 = tensor.dim %m, %c0 : tensor<?x?x3x49x49xf32>
  %d1 = tensor.dim %m, %c1 : tensor<?x?x3x49x49xf32>
  %n = arith.muli %d0, %d1 : index
  %ni = arith.index_cast %n : index to i64
  %shape4 = tensor.from_elements %ni, %c3, %c49, %c49 : tensor<4xi64>
  %back = nn.reshape %m, %shape4 : (tensor<?x?x3x49x49xf32>, tensor<4xi64>) -> tensor<?x3x49x49xf32>
  %p = nn.softmax %back {axis = 3 : i64} : tensor<?x3x49x49xf32>
  %o = nn.matmul %p, %v : tensor<?x3x49x49xf32>, tensor<?x3x49x32xf32> -> tensor<?x3x49x32xf32>
  return %o, %b : tensor<?x3x49x32xf32>, index
}

// A view that does not split the batch into windows ([8, 3, 49, 49] as
// [8, 3, 7, 7, 49]: a mask along query sub-rows) stays unfused.
// CHECK-LABEL: func.func @view_not_windows
// CHECK: nn.softmax
// CHECK-NOT: nn.attention
func.func @view_not_windows(%q: tensor<8x3x49x32xf32>, %kt: tensor<8x3x32x49xf32>, %v: tensor<8x3x49x32xf32>, %m5: tensor<1x1x1x7x49xf32>) -> tensor<8x3x49x32xf32> {
  %s = nn.matmul %q, %kt : tensor<8x3x49x32xf32>, tensor<8x3x32x49xf32> -> tensor<8x3x49x49xf32>
  %w = nn.reshape %s : (tensor<8x3x49x49xf32>) -> tensor<8x3x7x7x49xf32>
  %m = nn.binary add %w, %m5 : tensor<8x3x7x7x49xf32>, tensor<1x1x1x7x49xf32> -> tensor<8x3x7x7x49xf32>
  %b = nn.reshape %m : (tensor<8x3x7x7x49xf32>) -> tensor<8x3x49x49xf32>
  %p = nn.softmax %b {axis = 3 : i64} : tensor<8x3x49x49xf32>
  %o = nn.matmul %p, %v : tensor<8x3x49x49xf32>, tensor<8x3x49x32xf32> -> tensor<8x3x49x32xf32>
  return %o : tensor<8x3x49x32xf32>
}

// CHECK-LABEL: func.func @not_causal
// CHECK: nn.attention %arg0, %{{.*}}, %arg2 mask(%{{.*}} : tensor<1x1x2x2xf32>) {scale = 1.000000e+00 : f32}
func.func @not_causal(%q: tensor<1x1x2x4xf32>, %kt: tensor<1x1x4x2xf32>, %v: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %mask = arith.constant dense<[[[[0xFF800000, 0xFF800000], [0.0, 0.0]]]]> : tensor<1x1x2x2xf32>
  %s = nn.matmul %q, %kt : tensor<1x1x2x4xf32>, tensor<1x1x4x2xf32> -> tensor<1x1x2x2xf32>
  %a = nn.binary add %s, %mask : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %p = nn.softmax %a {axis = 3 : i64} : tensor<1x1x2x2xf32>
  %o = nn.matmul %p, %v : tensor<1x1x2x2xf32>, tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}

// GPT-2's masked_fill(bias == 0, -1e4) after the scale: Where(cond, fill,
// scores) with a constant causal condition (true above the diagonal)
// becomes the causal flag.
// CHECK-LABEL: func.func @gpt_where
// CHECK: nn.attention %arg0, %{{.*}}, %arg2 {causal, scale = 5.000000e-01 : f32}
// CHECK-NOT: nn.select
func.func @gpt_where(%q: tensor<?x2x3x4xf32>, %kt: tensor<?x2x4x3xf32>, %v: tensor<?x2x3x4xf32>) -> tensor<?x2x3x4xf32> {
  %c = arith.constant dense<2.0> : tensor<1x1x1x1xf32>
  %fill = arith.constant dense<-1.0e4> : tensor<1x1x1x1xf32>
  %cond = arith.constant dense<[[[[false, true, true], [false, false, true], [false, false, false]]]]> : tensor<1x1x3x3xi1>
  %s = nn.matmul %q, %kt : tensor<?x2x3x4xf32>, tensor<?x2x4x3xf32> -> tensor<?x2x3x3xf32>
  %d = nn.binary div %s, %c : tensor<?x2x3x3xf32>, tensor<1x1x1x1xf32> -> tensor<?x2x3x3xf32>
  %w = nn.select %cond, %fill, %d : tensor<1x1x3x3xi1>, tensor<1x1x1x1xf32>, tensor<?x2x3x3xf32> -> tensor<?x2x3x3xf32>
  %p = nn.softmax %w {axis = 3 : i64} : tensor<?x2x3x3xf32>
  %o = nn.matmul %p, %v : tensor<?x2x3x3xf32>, tensor<?x2x3x4xf32> -> tensor<?x2x3x4xf32>
  return %o : tensor<?x2x3x4xf32>
}

// A key-padding mask from an input, masked_fill(pad, -inf): the op's i1
// mask keeps the positions where pad is false.
// CHECK-LABEL: func.func @key_padding_where
// CHECK: %[[KEEP:.*]] = nn.unary logical_not %arg3 : tensor<?x1x1x5xi1> -> tensor<?x1x1x5xi1>
// CHECK: nn.attention %arg0, %{{.*}}, %arg2 mask(%[[KEEP]] : tensor<?x1x1x5xi1>)
func.func @key_padding_where(%q: tensor<?x2x5x4xf32>, %kt: tensor<?x2x4x5xf32>, %v: tensor<?x2x5x4xf32>, %pad: tensor<?x1x1x5xi1>) -> tensor<?x2x5x4xf32> {
  %fill = arith.constant dense<0xFF800000> : tensor<1x1x1x1xf32>
  %s = nn.matmul %q, %kt : tensor<?x2x5x4xf32>, tensor<?x2x4x5xf32> -> tensor<?x2x5x5xf32>
  %w = nn.select %pad, %fill, %s : tensor<?x1x1x5xi1>, tensor<1x1x1x1xf32>, tensor<?x2x5x5xf32> -> tensor<?x2x5x5xf32>
  %p = nn.softmax %w {axis = 3 : i64} : tensor<?x2x5x5xf32>
  %o = nn.matmul %p, %v : tensor<?x2x5x5xf32>, tensor<?x2x5x4xf32> -> tensor<?x2x5x4xf32>
  return %o : tensor<?x2x5x4xf32>
}

// Near misses that stay unfused.

// Softmax over another axis (the queries).
// CHECK-LABEL: func.func @softmax_other_axis
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @softmax_other_axis(%q: tensor<2x8x4xf32>, %kt: tensor<2x4x8xf32>, %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %s = nn.matmul %q, %kt : tensor<2x8x4xf32>, tensor<2x4x8xf32> -> tensor<2x8x8xf32>
  %p = nn.softmax %s {axis = 1 : i64} : tensor<2x8x8xf32>
  %o = nn.matmul %p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}

// The mask broadcasts the scores up ([1, H] scores + [B, 1] mask): the
// softmax's input is not the scores' shape.
// CHECK-LABEL: func.func @mask_broadcasts_scores
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @mask_broadcasts_scores(%q: tensor<1x2x8x4xf32>, %kt: tensor<1x2x4x8xf32>, %v: tensor<3x2x8x4xf32>, %m: tensor<3x1x8x8xf32>) -> tensor<3x2x8x4xf32> {
  %s = nn.matmul %q, %kt : tensor<1x2x8x4xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x8x8xf32>
  %a = nn.binary add %s, %m : tensor<1x2x8x8xf32>, tensor<3x1x8x8xf32> -> tensor<3x2x8x8xf32>
  %p = nn.softmax %a {axis = 3 : i64} : tensor<3x2x8x8xf32>
  %o = nn.matmul %p, %v : tensor<3x2x8x8xf32>, tensor<3x2x8x4xf32> -> tensor<3x2x8x4xf32>
  return %o : tensor<3x2x8x4xf32>
}

// The value path mixes heads: one V for every head (broadcast batch dim).
// CHECK-LABEL: func.func @value_mixes_heads
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @value_mixes_heads(%q: tensor<1x2x8x4xf32>, %kt: tensor<1x2x4x8xf32>, %v: tensor<1x1x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = nn.matmul %q, %kt : tensor<1x2x8x4xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x8x8xf32>
  %p = nn.softmax %s {axis = 3 : i64} : tensor<1x2x8x8xf32>
  %o = nn.matmul %p, %v : tensor<1x2x8x8xf32>, tensor<1x1x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// The probabilities are also a result (other users): unfused.
// CHECK-LABEL: func.func @probs_returned
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @probs_returned(%q: tensor<2x8x4xf32>, %kt: tensor<2x4x8xf32>, %v: tensor<2x8x4xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x8xf32>) {
  %s = nn.matmul %q, %kt : tensor<2x8x4xf32>, tensor<2x4x8xf32> -> tensor<2x8x8xf32>
  %p = nn.softmax %s {axis = 2 : i64} : tensor<2x8x8xf32>
  %o = nn.matmul %p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  return %o, %p : tensor<2x8x4xf32>, tensor<2x8x8xf32>
}

// The mask is added before the scale: left alone.
// CHECK-LABEL: func.func @mask_inside_scale
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @mask_inside_scale(%q: tensor<2x8x4xf32>, %kt: tensor<2x4x8xf32>, %v: tensor<2x8x4xf32>, %m: tensor<1x1x8xf32>) -> tensor<2x8x4xf32> {
  %c = arith.constant dense<2.0> : tensor<1x1x1xf32>
  %s = nn.matmul %q, %kt : tensor<2x8x4xf32>, tensor<2x4x8xf32> -> tensor<2x8x8xf32>
  %a = nn.binary add %s, %m : tensor<2x8x8xf32>, tensor<1x1x8xf32> -> tensor<2x8x8xf32>
  %d = nn.binary div %a, %c : tensor<2x8x8xf32>, tensor<1x1x1xf32> -> tensor<2x8x8xf32>
  %p = nn.softmax %d {axis = 2 : i64} : tensor<2x8x8xf32>
  %o = nn.matmul %p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}

// A masked_fill with a finite fill that is not causal: a fully masked row
// would average in torch and be NaN with -inf: left alone.
// CHECK-LABEL: func.func @finite_fill_not_causal
// CHECK-NOT: nn.attention
// CHECK: nn.softmax
func.func @finite_fill_not_causal(%q: tensor<1x2x5x4xf32>, %kt: tensor<1x2x4x5xf32>, %v: tensor<1x2x5x4xf32>, %pad: tensor<1x1x1x5xi1>) -> tensor<1x2x5x4xf32> {
  %fill = arith.constant dense<-1.0e9> : tensor<1x1x1x1xf32>
  %s = nn.matmul %q, %kt : tensor<1x2x5x4xf32>, tensor<1x2x4x5xf32> -> tensor<1x2x5x5xf32>
  %w = nn.select %pad, %fill, %s : tensor<1x1x1x5xi1>, tensor<1x1x1x1xf32>, tensor<1x2x5x5xf32> -> tensor<1x2x5x5xf32>
  %p = nn.softmax %w {axis = 3 : i64} : tensor<1x2x5x5xf32>
  %o = nn.matmul %p, %v : tensor<1x2x5x5xf32>, tensor<1x2x5x4xf32> -> tensor<1x2x5x4xf32>
  return %o : tensor<1x2x5x4xf32>
}
