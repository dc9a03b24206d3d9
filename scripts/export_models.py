#!/usr/bin/python3
"""Export reference models for Kiln's end-to-end tests (ONNX backend-test layout).

For every selected model NAME this writes

    OUT/NAME/model.onnx                         opset 17, dynamic batch (dim_param "batch")
    OUT/NAME/test_data_set_0/input_0.pb         batch 1, seeded random normal float32
    OUT/NAME/test_data_set_0/output_0.pb        torch's output for it
    OUT/NAME/test_data_set_1/{input_0,output_0}.pb   the same at batch 4
    (fashion_mnist_cnn also test_data_set_2: 8 real Fashion-MNIST test images)

Every .pb is a serialized onnx.TensorProto named after the graph input/output
(onnx.numpy_helper.from_array).  Reference outputs are computed by torch on
the module that was exported (eval mode, float32), never by an ONNX runtime.

Models are built with seeded random weights (torch.manual_seed per model; no
weights are downloaded).  BatchNorm layers get seeded random affine
parameters (weight U(0.5,1.5), bias N(0,0.1)) so that a wrong BatchNorm
folding changes the output, and running statistics calibrated on seeded
random batches (as training would leave them), then perturbed by a seeded
factor so that they are not exactly the batch statistics.  Without the
calibration, random running statistics on randomly initialized networks
(MobileNetV2, GoogLeNet) drive every activation into saturation and the
output does not depend on the input: a test could not see a broken layer.
The export therefore refuses a model whose outputs for the images of a batch
are (nearly) identical.

A model whose directory is already complete is not exported again unless
--force is given (a model is written into a temporary directory and renamed
into place, so an interrupted export never looks complete).  After exporting,
every model is checked with onnx.checker (full check) and the sorted set of
its op types is printed.

usage:
  /usr/bin/python3 scripts/export_models.py OUT [--models resnet18,mobilenet_v2] [--force]
  /usr/bin/python3 scripts/export_models.py --list
"""
import argparse
import os
import shutil
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 17
BATCHES = (1, 4)  # test_data_set_0, test_data_set_1
# Bumped whenever the exported models or data change, so that cached exports
# (build/e2e-models) made by an older version of this script are redone.
EXPORT_VERSION = "2"


def _torch():
    import torch
    return torch


def _randomize_batchnorm(model, seed, input_shape):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in bns:
            n = m.num_features
            if m.affine:
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        # Calibrate the running statistics on random inputs (train mode
        # only affects BatchNorm and Dropout here; no weight is updated).
        model.train()
        for _ in range(4):
            model(torch.randn(8, *input_shape, generator=g))
        model.eval()
        for m in bns:
            n = m.num_features
            m.momentum = 0.1
            m.running_mean.add_(0.05 * torch.randn(n, generator=g) * m.running_var.sqrt())
            m.running_var.mul_(0.8 + 0.4 * torch.rand(n, generator=g))


def _torchvision(ctor, **kw):
    def build():
        import torchvision.models as tvm
        model = getattr(tvm, ctor)(weights=None, **kw)
        _randomize_batchnorm(model, seed=1234, input_shape=(3, 224, 224))
        return model
    return build


def _transformer_encoder():
    torch = _torch()
    layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
                                             dropout=0.1, activation="gelu", batch_first=True)
    model = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    # torch >= 1.12 runs eval-mode TransformerEncoderLayer through the fused
    # kernel torch._transformer_encoder_layer_fwd when it can ("fast path"),
    # which the ONNX exporter cannot express.  activation_relu_or_gelu == 0
    # disables it (self.activation stays F.gelu, so the math is unchanged):
    # export and reference outputs then both take the plain MultiheadAttention
    # + LayerNorm + Linear path.  The exported graph is checked for
    # MatMul/Softmax/LayerNormalization below.
    for lyr in model.layers:
        lyr.activation_relu_or_gelu = 0
    return model


def _fashion_mnist_cnn():
    """The trained sample model: the torch module rebuilt from the committed
    ONNX file's initializers (so torch computes the reference outputs)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    torch = _torch()
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    from train_fashion_mnist import FashionCNN
    model = FashionCNN()
    m = onnx.load(os.path.join(SRC, "models", "fashion_mnist_cnn.onnx"))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    state = {k: torch.from_numpy(np.array(inits[k])) for k in model.state_dict()}
    model.load_state_dict(state)
    return model


def _fashion_mnist_extra_inputs():
    """8 real test images, preprocessed exactly like the training script."""
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    from train_fashion_mnist import DATA_DIR, load_split, preprocess
    x, _ = load_split(DATA_DIR, "t10k")
    return [preprocess(x[:8])]


# name -> (builder, input shape without batch, input name, output name, description,
#          extra data sets builder or None)
MODELS = {
    "resnet18": (_torchvision("resnet18"), (3, 224, 224), "input", "output",
                 "torchvision resnet18, 224x224, random weights", None),
    "resnet50": (_torchvision("resnet50"), (3, 224, 224), "input", "output",
                 "torchvision resnet50, 224x224, random weights", None),
    "mobilenet_v2": (_torchvision("mobilenet_v2"), (3, 224, 224), "input", "output",
                     "torchvision mobilenet_v2, 224x224, random weights", None),
    "googlenet": (_torchvision("googlenet", aux_logits=False, init_weights=True,
                               transform_input=False), (3, 224, 224), "input", "output",
                  "torchvision googlenet (no aux logits, no input transform), 224x224", None),
    "transformer_encoder": (_transformer_encoder, (16, 64), "src", "output",
                            "nn.TransformerEncoder: 2 layers, d_model 64, 4 heads, ff 128, "
                            "gelu, post-LN, batch_first, input [batch,16,64]", None),
    "fashion_mnist_cnn": (_fashion_mnist_cnn, (1, 28, 28), "image", "logits",
                          "the trained sample CNN from models/ (input [batch,1,28,28])",
                          _fashion_mnist_extra_inputs),
}

# Op types an exported model must contain (guards against fused/opaque exports).
REQUIRED_OPS = {"transformer_encoder": {"MatMul", "Softmax", "LayerNormalization"}}


def expected_sets(name):
    n = len(BATCHES)
    if MODELS[name][5] is not None:
        n += 1
    return [f"test_data_set_{i}" for i in range(n)]


def is_complete(d, name):
    if not os.path.isfile(os.path.join(d, "model.onnx")):
        return False
    try:
        with open(os.path.join(d, "EXPORT_VERSION")) as f:
            if f.read().strip() != EXPORT_VERSION:
                return False
    except OSError:
        return False
    for s in expected_sets(name):
        for f in ("input_0.pb", "output_0.pb"):
            if not os.path.isfile(os.path.join(d, s, f)):
                return False
    return True


def save_tensor(arr, name, path):
    from onnx import numpy_helper
    t = numpy_helper.from_array(arr, name=name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export_one(name, out_dir):
    import numpy as np
    torch = _torch()
    build, shape, in_name, out_name, _, extra = MODELS[name]
    seed = 1000 + sorted(MODELS).index(name)
    torch.manual_seed(seed)
    model = build().eval()
    for p in model.parameters():
        p.requires_grad_(False)

    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    # Trace at batch 2 so that nothing gets specialized to batch 1.
    dummy = torch.randn(2, *shape, generator=torch.Generator().manual_seed(seed))
    torch.onnx.export(model, dummy, os.path.join(tmp, "model.onnx"), opset_version=OPSET,
                      input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}},
                      do_constant_folding=True)

    inputs = []
    rng = np.random.RandomState(seed)
    for b in BATCHES:
        inputs.append(rng.standard_normal((b,) + tuple(shape)).astype(np.float32))
    if extra is not None:
        inputs += extra()
    stats = []
    with torch.no_grad():
        for i, x in enumerate(inputs):
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
            if not np.all(np.isfinite(y)):
                raise RuntimeError(f"{name}: non-finite reference output")
            if y.shape[0] > 1:
                spread = np.abs(y - y.mean(axis=0, keepdims=True)).max()
                if spread < 1e-2 * max(np.abs(y).max(), 1e-30):
                    raise RuntimeError(f"{name}: the outputs hardly depend on the input "
                                       f"(spread {spread:.3g} across the batch): a useless reference")
            d = os.path.join(tmp, f"test_data_set_{i}")
            os.makedirs(d)
            save_tensor(x, in_name, os.path.join(d, "input_0.pb"))
            save_tensor(y, out_name, os.path.join(d, "output_0.pb"))
            stats.append(f"set {i}: in {list(x.shape)} out {list(y.shape)} "
                         f"|out| max {np.abs(y).max():.3g} mean {np.abs(y).mean():.3g} "
                         f"spread {np.abs(y - y.mean(axis=0, keepdims=True)).max():.3g}")
    with open(os.path.join(tmp, "EXPORT_VERSION"), "w") as f:
        f.write(EXPORT_VERSION + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)
    return stats


def check(name, out_dir):
    import onnx
    path = os.path.join(out_dir, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    m = onnx.load(path)
    ops = set()

    def walk(g):
        for n in g.node:
            ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
            for a in n.attribute:
                if a.g is not None and a.g.node:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)
    walk(m.graph)
    missing = REQUIRED_OPS.get(name, set()) - ops
    if missing:
        raise RuntimeError(f"{name}: exported graph lacks {sorted(missing)} "
                           f"(fused fast path taken?); ops: {sorted(ops)}")
    in_dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    if not isinstance(in_dims[0], str):
        raise RuntimeError(f"{name}: batch dimension is not dynamic: {in_dims}")
    opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    nparams = sum(int(__import__("numpy").prod(i.dims)) for i in m.graph.initializer)
    return sorted(ops), in_dims, opset, len(m.graph.node), nparams, os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="models:\n" + "\n".join(f"  {k:20s} {v[4]}" for k, v in MODELS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="output directory (created if needed)")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated model names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    ap.add_argument("--force", action="store_true", help="re-export even if complete")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    a = ap.parse_args()

    if a.list:
        for k, v in MODELS.items():
            print(f"{k:20s} {v[4]}")
        return 0
    if not a.out:
        ap.error("the output directory is required (or --list)")
    names = [m for m in a.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")

    torch = _torch()
    torch.set_num_threads(max(1, a.threads))
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for name in names:
        d = os.path.join(a.out, name)
        if not a.force and is_complete(d, name):
            print(f"{name}: complete in {d}, not re-exported (use --force)")
        else:
            t = time.time()
            try:
                stats = export_one(name, d)
            except Exception as e:  # report and go on with the other models
                print(f"{name}: EXPORT FAILED: {type(e).__name__}: {e}")
                failed.append(name)
                continue
            print(f"{name}: exported in {time.time() - t:.1f} s")
            for s in stats:
                print(f"  {s}")
        try:
            ops, dims, opset, nnodes, nparams, size = check(name, d)
        except Exception as e:
            print(f"{name}: CHECK FAILED: {type(e).__name__}: {e}")
            failed.append(name)
            continue
        print(f"  checker OK: opset {opset}, input {dims}, {nnodes} nodes, "
              f"{nparams} parameters, {size / 1e6:.1f} MB")
        print(f"  ops ({len(ops)}): {' '.join(ops)}")
    if failed:
        print(f"export_models: FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
