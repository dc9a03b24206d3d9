// RUN: kiln-opt --kiln-insert-runtime-checks %s | FileCheck %s
// RUN: kiln-opt --kiln-insert-runtime-checks --convert-nn-to-linalg %s | FileCheck %s --check-prefix=LOWER
// RUN: kiln-opt --kiln-insert-runtime-checks --canonicalize %s | FileCheck %s --check-prefix=SIZE

// A run-time index gets one loop over the indices computing their min and
// max in SSA values (LLVM vectorizes it) and a check against [-d, d-1] of
// the gathered axis, naming the node and the data.
// CHECK-LABEL: func @gather_dynamic
// CHECK-DAG: %[[IMAX:.*]] = arith.constant 9223372036854775807 : i64
// CHECK-DAG: %[[IMIN:.*]] = arith.constant -9223372036854775808 : i64
// CHECK: %[[N:.*]] = tensor.dim %arg1
// CHECK: %[[G:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[A:.*]] = %[[IMAX]], %[[B:.*]] = %[[IMIN]]) -> (i64, i64)
// CHECK: %[[E:.*]] = tensor.extract %arg1[%[[I]]]
// CHECK: %[[MN1:.*]] = arith.minsi %[[E]], %[[A]]
// CHECK: %[[MX1:.*]] = arith.maxsi %[[E]], %[[B]]
// CHECK: scf.yield %[[MN1]], %[[MX1]]
// CHECK: %[[LO:.*]] = arith.subi %c0{{.*}}, %c10
// CHECK: %[[HI:.*]] = arith.subi %c10{{.*}}, %c1
// CHECK: %[[LOK:.*]] = arith.cmpi sge, %[[G]]#0, %[[LO]]
// CHECK: %[[HOK:.*]] = arith.cmpi sle, %[[G]]#1, %[[HI]]
// CHECK: %[[OK:.*]] = arith.andi %[[LOK]], %[[HOK]]
// CHECK: %[[BAD:.*]] = arith.select %[[LOK]], %[[G]]#1, %[[G]]#0
// CHECK: nn.check %[[OK]], "node 'Gather_3' (Gather): index {0} is out of range [{1}, {2}] on axis 0 of 'data'", %[[BAD]], %[[LO]], %[[HI]]
// CHECK: nn.gather
// nn.check survives the lowering (the target lowers it).
// LOWER-LABEL: func @gather_dynamic
// LOWER: nn.check
// LOWER-NOT: nn.gather
func.func @gather_dynamic(%d: tensor<10x4xf32> {kiln.name = "data"}, %i: tensor<?xi64>) -> tensor<?x4xf32> {
  %y = nn.gather %d[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("Gather_3")
  return %y : tensor<?x4xf32>
}

// A dynamic axis size is read with tensor.dim.
// CHECK-LABEL: func @gather_dynamic_axis
// CHECK: tensor.dim %arg0, %c1
// CHECK: nn.check {{.*}} on axis 1 of 'x'"
func.func @gather_dynamic_axis(%d: tensor<2x?xf32> {kiln.name = "x"}, %i: tensor<3xi32>) -> tensor<2x3xf32> {
  %y = nn.gather %d[%i] {axis = 1 : i64} : (tensor<2x?xf32>, tensor<3xi32>) -> tensor<2x3xf32> loc("G")
  return %y : tensor<2x3xf32>
}

// Constant in-range indices are checked at compile time: no check.
// CHECK-LABEL: func @gather_constant
// CHECK-NOT: nn.check
// CHECK-NOT: scf.for
// CHECK: nn.gather
func.func @gather_constant(%d: tensor<10x4xf32>) -> tensor<2x4xf32> {
  %i = arith.constant dense<[-10, 9]> : tensor<2xi64>
  %y = nn.gather %d[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// GatherND: one min/max per index component, one check per component.
// CHECK-LABEL: func @gather_nd
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: nn.check {{.*}} on axis 1 of 'x' (component 0 of the last axis of 'i')"
// CHECK: nn.check {{.*}} on axis 2 of 'x' (component 1 of the last axis of 'i')"
// CHECK: nn.gather_nd
func.func @gather_nd(%d: tensor<2x3x4xf32> {kiln.name = "x"}, %i: tensor<2x2xi64> {kiln.name = "i"}) -> tensor<2xf32> {
  %y = nn.gather_nd %d[%i] {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2xf32> loc("GND")
  return %y : tensor<2xf32>
}

// CHECK-LABEL: func @scatter_elements
// CHECK: nn.check {{.*}}"node 'SE' (ScatterElements): index {0} is out of range [{1}, {2}] on axis 1 of 'd'"
func.func @scatter_elements(%d: tensor<3x5xf32> {kiln.name = "d"}, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<3x5xf32> {
  %y = nn.scatter_elements %d[%i], %u {axis = 1 : i64, reduction = "none"} : (tensor<3x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<3x5xf32> loc("SE")
  return %y : tensor<3x5xf32>
}

// Integer division: the zeros of the divisor are counted.
// CHECK-LABEL: func @div_int
// CHECK: %[[N:.*]] = scf.for {{.*}} -> (i64)
// CHECK: tensor.extract %arg1
// CHECK: arith.extsi
// CHECK: arith.cmpi eq
// CHECK: arith.extui
// CHECK: arith.addi
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[N]], %c0
// CHECK: nn.check %[[OK]], "node 'Div_1' (Div): integer division by zero: the divisor 'b' has {0} zero element(s)", %[[N]]
// CHECK-LABEL: func @div_float
// CHECK-NOT: nn.check
// CHECK-LABEL: func @div_constant
// CHECK-NOT: nn.check
// CHECK: return
func.func @div_int(%a: tensor<4xi32>, %b: tensor<4xi32> {kiln.name = "b"}) -> tensor<4xi32> {
  %y = nn.binary div %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32> loc("Div_1")
  return %y : tensor<4xi32>
}
func.func @div_float(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.binary div %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func @div_constant(%a: tensor<4xi32>) -> tensor<4xi32> {
  %b = arith.constant dense<[1, -1, 3, 7]> : tensor<4xi32>
  %y = nn.binary mod %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// Signed integer division no longer traps: zero and -1 divisors are selected away.
// LOWER-LABEL: func @div_int
// LOWER: linalg.generic
// LOWER: arith.cmpi eq
// LOWER: arith.cmpi eq
// LOWER: arith.ori
// LOWER: arith.select
// LOWER: arith.divsi

// TopK with a run-time k: 0 <= k <= the axis size.
// CHECK-LABEL: func @topk
// CHECK: %[[K:.*]] = tensor.extract %arg1[%c0
// CHECK: nn.check {{.*}}"node 'T' (TopK): k = {0} is out of range [0, {1}] (the size of axis 1 of 'x')", %[[K]], %c4
// CHECK-LABEL: func @topk_static
// CHECK-NOT: nn.check
// CHECK: return
func.func @topk(%x: tensor<3x4xf32> {kiln.name = "x"}, %k: tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>) {
  %v, %i = nn.topk %x, %k {axis = 1 : i64, largest = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>) loc("T")
  return %v, %i : tensor<3x?xf32>, tensor<3x?xi64>
}
func.func @topk_static(%x: tensor<3x4xf32>, %k: tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %v, %i = nn.topk %x, %k {axis = 1 : i64, largest = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}

// Run-time reduction axes: range check, then one repeat check per dim.
// CHECK-LABEL: func @reduce_axes
// CHECK: scf.for
// CHECK: nn.check {{.*}}"node 'R' (ReduceSum): axis {0} is out of range [{1}, {2}] for an input of rank 2"
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: nn.check {{.*}}"node 'R' (ReduceSum): axis {0} appears {1} times in 'axes'"
// CHECK: nn.check {{.*}}"node 'R' (ReduceSum): axis {0} appears {1} times in 'axes'"
// CHECK-NOT: nn.check
// CHECK: nn.reduce_axes
func.func @reduce_axes(%x: tensor<3x4xf32>, %a: tensor<1xi64>) -> tensor<?xf32> {
  %y = nn.reduce_axes sum %x, %a {keepdims = false, noop_with_empty_axes = false} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?xf32> loc("R")
  return %y : tensor<?xf32>
}

// Ops that cannot go wrong get no check.
// CHECK-LABEL: func @no_checks
// CHECK-NOT: nn.check
// CHECK: return
func.func @no_checks(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %y = nn.binary add %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// Reshape to run-time sizes: every condition first, then the checks one
// after the other, all with `stop` (one exit): each dynamic dim >= 0, each
// static dim equal to its shape entry, and the (saturating) product of the
// entries equal to the input's element count.
// SIZE-LABEL: func @reshape_shape_operand
// SIZE-DAG: %[[D0:.*]] = tensor.extract %arg1[%c0]
// SIZE-DAG: %[[D1:.*]] = tensor.extract %arg1[%c1]
// SIZE-DAG: %[[OK0:.*]] = arith.cmpi sge, %[[D0]], %c0_i64
// SIZE-DAG: %[[OK1:.*]] = arith.cmpi eq, %[[D1]], %c4_i64
// SIZE: %[[OKN:.*]] = arith.cmpi eq, %[[PROD:.*]], %[[TOTAL:.*]] : i64
// SIZE-NEXT: nn.check %[[OK0]], "node 'R' (Reshape): dimension 0 of the target shape is {0}, a negative size", %[[D0]] {stop}
// SIZE-NEXT: nn.check %[[OK1]], "node 'R' (Reshape): dimension 1 of the target shape is {0}, but the model was compiled for 4", %[[D1]] {stop}
// SIZE-NEXT: nn.check %[[OKN]], "node 'R' (Reshape): the target shape has {0} elements but 'x' has {1}", %[[PROD]], %[[TOTAL]] {stop}
// SIZE-NEXT: nn.reshape
func.func @reshape_shape_operand(%x: tensor<?x6xf32> {kiln.name = "x"}, %s: tensor<2xi64>) -> tensor<?x4xf32> {
  %y = nn.reshape %x, %s : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x4xf32> loc("R")
  return %y : tensor<?x4xf32>
}

// A size derived from the element count (no shape operand): only the count.
// SIZE-LABEL: func @reshape_derived
// SIZE: %[[Q:.*]] = arith.divsi %[[T:.*]], %c4_i64
// SIZE: %[[P:.*]] = arith.muli %[[Q]], %c4_i64
// SIZE: %[[OK:.*]] = arith.cmpi eq, %[[P]], %[[T]]
// SIZE: nn.check %[[OK]], "node 'F' (Reshape): the target shape has {0} elements but 'x' has {1}", %[[P]], %[[T]] {stop}
func.func @reshape_derived(%x: tensor<?xf32> {kiln.name = "x"}) -> tensor<?x4xf32> {
  %y = nn.reshape %x : (tensor<?xf32>) -> tensor<?x4xf32> loc("F")
  return %y : tensor<?x4xf32>
}

// A batch dim carried through ([?, 12] -> [?, 3, 4]): the fixed result dims
// divide the input's static ones, so every run-time size fits: no check.
// SIZE-LABEL: func @reshape_derived_batch
// SIZE-NOT: nn.check
// SIZE: nn.reshape
func.func @reshape_derived_batch(%x: tensor<?x12xf32>) -> tensor<?x3x4xf32> {
  %y = nn.reshape %x : (tensor<?x12xf32>) -> tensor<?x3x4xf32>
  return %y : tensor<?x3x4xf32>
}

// Static reshapes and broadcasts are checked at compile time: no check.
// SIZE-LABEL: func @static_shapes
// SIZE-NOT: nn.check
// SIZE: return
func.func @static_shapes(%x: tensor<2x6xf32>, %b: tensor<1x6xf32>) -> (tensor<3x4xf32>, tensor<5x6xf32>) {
  %y = nn.reshape %x : (tensor<2x6xf32>) -> tensor<3x4xf32>
  %z = nn.broadcast %b : (tensor<1x6xf32>) -> tensor<5x6xf32>
  return %y, %z : tensor<3x4xf32>, tensor<5x6xf32>
}

// Broadcast to run-time sizes: each input dim 1 or the asked size (>= 0).
// The lowering reads a dynamic input dim that is 1 at run time at index 0.
// SIZE-LABEL: func @broadcast_shape_operand
// SIZE: %[[X0:.*]] = arith.index_cast %dim : index to i64
// SIZE: %[[S0:.*]] = tensor.extract %arg1[%c0]
// SIZE-DAG: %[[ONE:.*]] = arith.cmpi eq, %[[X0]], %c1_i64
// SIZE-DAG: %[[SAME:.*]] = arith.cmpi eq, %[[X0]], %[[S0]]
// SIZE: %[[EITHER:.*]] = arith.ori %[[ONE]], %[[SAME]]
// SIZE: %[[NONNEG:.*]] = arith.cmpi sge, %[[S0]], %c0_i64
// SIZE: %[[OK0:.*]] = arith.andi %[[EITHER]], %[[NONNEG]]
// SIZE: %[[S1:.*]] = tensor.extract %arg1[%c1]
// SIZE: %[[OK1:.*]] = arith.cmpi sge, %[[S1]], %c0_i64
// SIZE: nn.check %[[OK0]], "node 'E' (Expand): dimension 0 of 'x' has size {0}, which does not broadcast to {1}", %[[X0]], %[[S0]] {stop}
// SIZE-NEXT: nn.check %[[OK1]], "node 'E' (Expand): dimension 1 of 'x' has size {0}, which does not broadcast to {1}", %c1_i64, %[[S1]] {stop}
// SIZE-NEXT: nn.broadcast
// LOWER-LABEL: func @broadcast_shape_operand
// LOWER: tensor.empty
// LOWER: %[[D:.*]] = tensor.dim %arg0, %c0
// LOWER: %[[ONE:.*]] = arith.cmpi eq, %[[D]], %c1
// LOWER: linalg.generic
// LOWER: %[[I:.*]] = linalg.index 0
// LOWER: %[[I0:.*]] = arith.select %[[ONE]], %c0{{.*}}, %[[I]]
// LOWER: tensor.extract %arg0[%[[I0]], %c0
func.func @broadcast_shape_operand(%x: tensor<?x1xf32> {kiln.name = "x"}, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = nn.broadcast %x, %s : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32> loc("E")
  return %y : tensor<?x?xf32>
}

// A dynamic input dim under a static result dim is checked against it; a
// dynamic result dim taken from the input is not.
// SIZE-LABEL: func @broadcast_dynamic_input
// SIZE: nn.check %{{.*}}, "node 'B' (Expand): dimension 0 of 'x' has size {0}, which does not broadcast to {1}", %{{.*}}, %c5_i64 {stop}
// SIZE-NOT: nn.check
// SIZE: nn.broadcast
func.func @broadcast_dynamic_input(%x: tensor<?x?xf32> {kiln.name = "x"}) -> tensor<5x?xf32> {
  %y = nn.broadcast %x : (tensor<?x?xf32>) -> tensor<5x?xf32> loc("B")
  return %y : tensor<5x?xf32>
}
