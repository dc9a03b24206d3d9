// RUN: kiln-opt %s --kiln-cpu-forall-to-for --verify-diagnostics

// Before bufferization: refused.
func.func @tensors(%init: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{kiln: scf.forall with results left after bufferization}}
  %r = scf.forall (%i) in (4) shared_outs(%o = %init) -> (tensor<4xf32>) {
    scf.forall.in_parallel {
    }
  }
  return %r : tensor<4xf32>
}
