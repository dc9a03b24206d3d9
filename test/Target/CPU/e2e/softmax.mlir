// Row softmax written as linalg.generic ops (max, exp(x - max), sum,
// divide) on X [?, 37]; a second result is the row sums of exp as i64 counts
// of elements > 0.5 (an integer output), a third the input itself (must come
// back as a fresh copy).
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
module attributes {kiln.model_name = "softmax"} {
  func.func @main(%x: tensor<?x37xf32> {kiln.name = "logits", kiln.dtype = 1 : i32})
      -> (tensor<?x37xf32> {kiln.name = "probs", kiln.dtype = 1 : i32},
          tensor<?xi64> {kiln.name = "count", kiln.dtype = 7 : i32},
          tensor<?x37xf32> {kiln.name = "echo", kiln.dtype = 1 : i32}) attributes {kiln.entry} {
    %c0 = arith.constant 0 : index
    %n = tensor.dim %x, %c0 : tensor<?x37xf32>
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %half = arith.constant 0.5 : f32
    %zi = arith.constant 0 : i64
    %er = tensor.empty(%n) : tensor<?xf32>
    %m0 = linalg.fill ins(%ninf : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
    %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<?x37xf32>) outs(%m0 : tensor<?xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.maximumf %a, %o : f32
      linalg.yield %r : f32
    } -> tensor<?xf32>
    %e2 = tensor.empty(%n) : tensor<?x37xf32>
    %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x, %m : tensor<?x37xf32>, tensor<?xf32>) outs(%e2 : tensor<?x37xf32>) {
    ^bb0(%a: f32, %mm: f32, %o: f32):
      %d = arith.subf %a, %mm : f32
      %r = math.exp %d : f32
      linalg.yield %r : f32
    } -> tensor<?x37xf32>
    %s0 = linalg.fill ins(%zero : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
    %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
        ins(%ex : tensor<?x37xf32>) outs(%s0 : tensor<?xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.addf %a, %o : f32
      linalg.yield %r : f32
    } -> tensor<?xf32>
    %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
        ins(%ex, %s : tensor<?x37xf32>, tensor<?xf32>) outs(%e2 : tensor<?x37xf32>) {
    ^bb0(%a: f32, %ss: f32, %o: f32):
      %r = arith.divf %a, %ss : f32
      linalg.yield %r : f32
    } -> tensor<?x37xf32>
    %ei = tensor.empty(%n) : tensor<?xi64>
    %c00 = linalg.fill ins(%zi : i64) outs(%ei : tensor<?xi64>) -> tensor<?xi64>
    %cnt = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<?x37xf32>) outs(%c00 : tensor<?xi64>) {
    ^bb0(%a: f32, %o: i64):
      %gt = arith.cmpf ogt, %a, %half : f32
      %one = arith.extui %gt : i1 to i64
      %r = arith.addi %o, %one : i64
      linalg.yield %r : i64
    } -> tensor<?xi64>
    return %p, %cnt, %x : tensor<?x37xf32>, tensor<?xi64>, tensor<?x37xf32>
  }
}
