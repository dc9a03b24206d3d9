// RUN: kiln-opt --kiln-cpu-math-approximation %s | FileCheck %s

// kiln-cpu-math-approximation gives arith.maximumf and arith.minimumf the
// fast-math flag nsz (ReLU, Clip, MaxPool: NaN still propagates, -0 is not
// ordered below +0), keeping the flags they had; other ops are left alone.
// CHECK-LABEL: func.func @minmax
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<16xf32>
// CHECK: arith.minimumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<16xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nnan,nsz> : f32
// CHECK: arith.maxnumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
func.func @minmax(%a: vector<16xf32>, %b: vector<16xf32>, %x: f32, %y: f32) -> (vector<16xf32>, f32, f32, f32) {
  %0 = arith.maximumf %a, %b : vector<16xf32>
  %1 = arith.minimumf %0, %b : vector<16xf32>
  %2 = arith.maximumf %x, %y fastmath<nnan> : f32
  %3 = arith.maxnumf %2, %y : f32
  %4 = arith.addf %3, %x : f32
  return %1, %2, %3, %4 : vector<16xf32>, f32, f32, f32
}
