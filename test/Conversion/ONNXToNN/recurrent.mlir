// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// RNN: one time step per slice of X, Y_h is the last hidden state; W and R
// are transposed at compile time, the bias halves are added.
// CHECK-LABEL: func @rnn
// CHECK: nn.transpose {{.*}} : tensor<4x2xf32> -> tensor<2x4xf32>
// CHECK: nn.slice %arg0 {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<2x3x2xf32> -> tensor<1x3x2xf32>
// CHECK: nn.matmul {{.*}} : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK: nn.unary tanh
// CHECK: nn.slice %arg0 {offsets = array<i64: 1, 0, 0>
// CHECK: nn.unary tanh
// CHECK-NOT: nn.slice %arg0
// CHECK: nn.concat {{.*}} {axis = 0 : i64} : (tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<2x1x3x4xf32>
func.func @rnn(%x: tensor<2x3x2xf32>) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>) {
  %w = onnx.Constant {value = dense<0.5> : tensor<1x4x2xf32>} : tensor<1x4x2xf32>
  %r = onnx.Constant {value = dense<0.25> : tensor<1x4x4xf32>} : tensor<1x4x4xf32>
  %b = onnx.Constant {value = dense<0.1> : tensor<1x8xf32>} : tensor<1x8xf32>
  %n = onnx.NoValue
  %y:2 = "onnx.RNN"(%x, %w, %r, %b, %n, %n) {hidden_size = 4 : i64} : (tensor<2x3x2xf32>, tensor<1x4x2xf32>, tensor<1x4x4xf32>, tensor<1x8xf32>, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#0, %y#1 : tensor<2x1x3x4xf32>, tensor<1x3x4xf32>
}

// LSTM, batch-first layout, run-time sequence_lens: finished sequences
// keep their state (nn.select on t < sequence_lens).
// CHECK-LABEL: func @lstm_seq_lens
// CHECK: nn.transpose %arg0 {perm = array<i64: 1, 0, 2>} : tensor<3x2x2xf32> -> tensor<2x3x2xf32>
// CHECK: nn.cast %arg1 : tensor<3xi32> -> tensor<3xi64>
// CHECK: nn.binary gt {{.*}} -> tensor<3x1xi1>
// CHECK: nn.select
// CHECK: nn.transpose {{.*}} {perm = array<i64: 1, 0, 2>} : tensor<1x3x5xf32> -> tensor<3x1x5xf32>
func.func @lstm_seq_lens(%x: tensor<3x2x2xf32>, %lens: tensor<3xi32>) -> tensor<3x1x5xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<1x20x2xf32>} : tensor<1x20x2xf32>
  %r = onnx.Constant {value = dense<0.25> : tensor<1x20x5xf32>} : tensor<1x20x5xf32>
  %n = onnx.NoValue
  %y:2 = "onnx.LSTM"(%x, %w, %r, %n, %lens, %n, %n, %n) {hidden_size = 5 : i64, layout = 1 : i64} : (tensor<3x2x2xf32>, tensor<1x20x2xf32>, tensor<1x20x5xf32>, none, tensor<3xi32>, none, none, none) -> (tensor<3x2x1x5xf32>, tensor<3x1x5xf32>)
  return %y#1 : tensor<3x1x5xf32>
}

// A batch of run-time size: the zero initial state is broadcast to it.
// CHECK-LABEL: func @gru_dynamic_batch
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c1
// CHECK: nn.broadcast {{.*}} : (tensor<1x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
// CHECK: nn.matmul {{.*}} : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
// CHECK: return {{.*}} : tensor<1x?x3xf32>
func.func @gru_dynamic_batch(%x: tensor<2x?x2xf32>) -> tensor<1x?x3xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<1x9x2xf32>} : tensor<1x9x2xf32>
  %r = onnx.Constant {value = dense<0.25> : tensor<1x9x3xf32>} : tensor<1x9x3xf32>
  %n = onnx.NoValue
  %y:2 = "onnx.GRU"(%x, %w, %r, %n, %n, %n) {hidden_size = 3 : i64, linear_before_reset = 1 : i64} : (tensor<2x?x2xf32>, tensor<1x9x2xf32>, tensor<1x9x3xf32>, none, none, none) -> (tensor<2x1x?x3xf32>, tensor<1x?x3xf32>)
  return %y#1 : tensor<1x?x3xf32>
}

// A sequence of run-time length (or longer than 32 steps): scf.for over
// the time steps, carrying H, Y (one inserted slice per step) and C; the
// reverse direction reads step len - 1 - t.
// CHECK-LABEL: func @lstm_dynamic_sequence
// CHECK: %[[S:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[Y0:.*]] = tensor.empty(%[[S]]) : tensor<?x3x4xf32>
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[S]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[Y0]], %{{.*}} = %{{.*}}) -> (tensor<3x4xf32>, tensor<?x3x4xf32>, tensor<3x4xf32>)
// CHECK: %[[LAST:.*]] = arith.subi %[[S]], %{{.*}} : index
// CHECK: %[[R:.*]] = arith.subi %[[LAST]], %[[T]] : index
// CHECK: tensor.extract_slice %arg0[%[[R]], 0, 0] [1, 3, 2] [1, 1, 1] : tensor<?x3x2xf32> to tensor<3x2xf32>
// CHECK-COUNT-3: nn.unary sigmoid
// CHECK: tensor.insert_slice {{.*}}[%[[R]], 0, 0] [1, 3, 4] [1, 1, 1] : tensor<3x4xf32> into tensor<?x3x4xf32>
// CHECK: scf.yield
// CHECK: nn.reshape {{.*}} -> tensor<?x1x3x4xf32>
func.func @lstm_dynamic_sequence(%x: tensor<?x3x2xf32>) -> (tensor<?x1x3x4xf32>, tensor<1x3x4xf32>) {
  %w = onnx.Constant {value = dense<0.5> : tensor<1x16x2xf32>} : tensor<1x16x2xf32>
  %r = onnx.Constant {value = dense<0.25> : tensor<1x16x4xf32>} : tensor<1x16x4xf32>
  %n = onnx.NoValue
  %y:3 = "onnx.LSTM"(%x, %w, %r, %n, %n, %n, %n, %n) {hidden_size = 4 : i64, direction = "reverse"} : (tensor<?x3x2xf32>, tensor<1x16x2xf32>, tensor<1x16x4xf32>, none, none, none, none, none) -> (tensor<?x1x3x4xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#0, %y#2 : tensor<?x1x3x4xf32>, tensor<1x3x4xf32>
}
