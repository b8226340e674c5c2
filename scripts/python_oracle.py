"""Ground truth for memlens's static Python (PyTorch) frontend, measured with real PyTorch on CPU.

For every model file in test/fixtures/python/ it builds the model itself (from the table MODELS
below, never from the file's example block), and records into test/fixtures/python/oracle.json:

  params   trainable / frozen parameter elements (model.parameters(), so a tied weight counts
           once), floating-point persistent buffer elements (buffers, as model.state_dict() holds
           them), integer buffer elements (intBuffers: BatchNorm's num_batches_tracked) and
           non-persistent buffer elements; the same in bytes.
  modules  for every leaf module (one without children), by qualified name, one entry per call:
           the shape and dtype of each tensor in its output (a tuple such as LSTM's
           (output, (h, c)) is flattened in order). A leaf that is never called has [].
  output   the shapes and dtypes of the tensors the model returns (flattened the same way).
  peak     {"train": bytes, "infer": bytes}: the peak of CPU memory allocated during one step,
           relative to just before the step (weights, buffers, inputs and targets exist before it
           and are not counted; gradients are None before it, so they are counted).
           infer = model.eval(), torch.no_grad(), one forward (a model that takes its targets,
           loss.inModel, is called with them, as its example does).
           train = model.train(), every p.grad = None, forward, loss, loss.backward(); no optimizer.
           Both figures come from the second step of their kind: the first is a warm-up (its
           figure is kept as peakWarmup), a third checks the second (repeatable).
  net      bytes still allocated at the end of the step (train: gradients + outputs + loss).
  peakAt   diagnostic, for the allocation that reached the peak (peak) and for the largest single
           allocation of the step (largestAlloc): its size and the outermost profiled op around
           it. On CPU the peak of a small-batch CNN is often a conv workspace, not an activation:
           oneDNN (mkldnn) convolution allocates a reordered copy of the weight on every call
           (9437184 bytes for a 512x512x3x3 conv), and the non-mkldnn path an im2col buffer.

How peak is measured: around exactly one step,
    with torch.autograd.profiler.profile(profile_memory=True, use_kineto=False) as prof: ...
    recs = [e for e in prof.kineto_results.events() if e.name() == '[memory]']
Each record is one allocation (e.nbytes() > 0) or free (< 0) of the CPU allocator at
e.start_us(). Sorted by start time (a stable sort), the maximum of the running sum is the peak.
In torch 1.13 the legacy (non-kineto) profiler is gone: use_kineto=False still runs the KINETO
profiler state for CPU, so prof.kineto_results exists and carries the memory records, even on
builds where torch.autograd.kineto_available() is False (Debian's).

One model per subprocess (no allocator or cache state leaks between models), with
torch.set_num_threads(1). The whole run takes well under a minute on two cores.

Install torch (Debian 12: torch 1.13, torchvision 0.14) and run from the repository root:
    apt-get install -y python3-torch python3-torchvision
    /usr/bin/python3 scripts/python_oracle.py            # all models -> test/fixtures/python/oracle.json
    /usr/bin/python3 scripts/python_oracle.py lenet gpt_mini --out /tmp/o.json   # a subset
Memory does not depend on the weight values; random inputs and weights are seeded anyway.
"""
import argparse
import datetime
import gc
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "python")
DEFAULT_OUT = os.path.join(FIXTURES, "oracle.json")


def cpu_vector_bits():
    """The widest vectors the CPU has (oneDNN's blocked layouts, hence the convolution copies, follow
    it): 512 with AVX-512, 256 with AVX2, from /proc/cpuinfo's flags; None where that is unreadable."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    return 512 if "avx512f" in flags else 256 if "avx2" in flags else 128


def inp(shape, dtype="float32", batch_axis=0, high=None):
    """One model input: float inputs are torch.randn, integer ones torch.randint(0, high)."""
    d = {"shape": shape, "dtype": dtype, "batchAxis": batch_axis}
    if high is not None:
        d["high"] = high
    return d


# The table. build: a Python expression evaluated in the imported module's namespace -- the same
# constructor call (with the argparse defaults / constants written out) that the file's example
# makes, or the name of a module-level model the file builds at import. name: the variable the
# file's example binds the model to (what memlens reports it as); "main.model" when the model is
# built inside a function main; the class name when the file has no example call.
# loss.kind: cross_entropy (targets randint(0, high)), bce (targets zeros), mse (targets rand) or
# none (no training step). loss.output: which output tensor the loss reads (when the model
# returns a tuple). loss.inModel: the model takes the targets as a second argument and returns
# (logits, loss). cross_entropy on an output with more than 2 dims is taken on
# output.view(-1, C) against targets.view(-1); bce / mse reshape the output to the targets' shape.
MODELS = {
    "mlp": {
        "file": "mlp.py", "module": "mlp", "name": "model", "build": "model",
        "inputs": [inp([32, 1, 28, 28])], "batch": 32,
        "loss": {"kind": "cross_entropy", "target": inp([32], "int64", high=10)},
    },
    "lenet": {
        "file": "lenet.py", "module": "lenet", "name": "model", "build": "LeNet()",
        "inputs": [inp([8, 1, 28, 28])], "batch": 8,
        "loss": {"kind": "cross_entropy", "target": inp([8], "int64", high=10)},
    },
    "vgg_small": {
        "file": "vgg_small.py", "module": "vgg_small", "name": "model", "build": "VGG(cfg)",
        "inputs": [inp([4, 3, 32, 32])], "batch": 4,
        "loss": {"kind": "cross_entropy", "target": inp([4], "int64", high=10)},
    },
    "resnet_cifar": {
        "file": "resnet_cifar/model.py", "module": "resnet_cifar.model", "name": "net", "build": "ResNet18()",
        "inputs": [inp([2, 3, 32, 32])], "batch": 2,
        "loss": {"kind": "cross_entropy", "target": inp([2], "int64", high=10)},
    },
    "lstm_lm": {
        "file": "lstm_lm.py", "module": "lstm_lm", "name": "main.model",
        "build": "RNNModel(1000, 200, 200, 2, 0.2)",
        "inputs": [inp([4, 35], "int64", high=1000)], "batch": 4,
        "loss": {"kind": "cross_entropy", "target": inp([4, 35], "int64", high=1000), "output": 0},
    },
    "gru_classifier": {
        "file": "gru_classifier.py", "module": "gru_classifier", "name": "model",
        "build": "GRUClassifier(VOCAB_SIZE, EMBED_DIM, HIDDEN_SIZE, NUM_CLASSES)",
        "inputs": [inp([8, 50], "int64", high=2000)], "batch": 8,
        "loss": {"kind": "cross_entropy", "target": inp([8], "int64", high=4)},
    },
    "gpt_mini": {
        "file": "gpt_mini.py", "module": "gpt_mini", "name": "model", "build": "GPT(GPTConfig())",
        "inputs": [inp([2, 64], "int64", high=512)], "batch": 2,
        "loss": {"kind": "cross_entropy", "target": inp([2, 64], "int64", high=512), "inModel": True},
    },
    "padded_cnn": {
        "file": "padded_cnn.py", "module": "padded_cnn", "name": "model", "build": "PaddedCNN()",
        "inputs": [inp([4, 3, 32, 32])], "batch": 4,
        "loss": {"kind": "cross_entropy", "target": inp([4], "int64", high=10)},
    },
    "subpixel": {
        "file": "subpixel.py", "module": "subpixel", "name": "model", "build": "SubPixelNet()",
        "inputs": [inp([4, 1, 16, 16])], "batch": 4,
        "loss": {"kind": "mse", "target": inp([4, 1, 48, 48])},
    },
    "dcgan_netG": {
        "file": "dcgan.py", "module": "dcgan", "name": "netG", "build": "Generator(1)",
        "inputs": [inp([4, 100, 1, 1])], "batch": 4,
        "loss": {"kind": "none"},
    },
    "dcgan_netD": {
        "file": "dcgan.py", "module": "dcgan", "name": "netD", "build": "Discriminator(1)",
        "inputs": [inp([4, 3, 64, 64])], "batch": 4,
        "loss": {"kind": "bce", "target": inp([4])},
    },
    "frozen_backbone": {
        "file": "frozen_backbone.py", "module": "frozen_backbone", "name": "model", "build": "Net()",
        "freeze": ["backbone"],
        "inputs": [inp([4, 3, 64, 64])], "batch": 4,
        "loss": {"kind": "mse", "target": inp([4, 4])},
    },
    "pragma_only": {
        "file": "pragma_only.py", "module": "pragma_only", "name": "TinyNet", "build": "TinyNet()",
        "inputs": [inp([4, 3, 64, 64])], "batch": 4, "pragmaBatch": {"N": 4},
        "loss": {"kind": "none"},
    },
}


# ---------------------------------------------------------------------------------------------
# worker: one model, in its own process


def _tensors(x):
    """Flatten a (nested) output into [{shape, dtype}] in order; non-tensors are skipped."""
    import torch
    if isinstance(x, torch.Tensor):
        return [{"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", "")}]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in _tensors(item)]
    if isinstance(x, dict):
        return [t for k in x for t in _tensors(x[k])]
    return []


def _make(spec, gen):
    import torch
    dtype = getattr(torch, spec["dtype"])
    if dtype.is_floating_point:
        return torch.randn(spec["shape"], dtype=dtype, generator=gen)
    return torch.randint(0, spec["high"], spec["shape"], dtype=dtype, generator=gen)


def _make_target(loss, gen):
    import torch
    t = loss["target"]
    if loss["kind"] == "cross_entropy":
        return torch.randint(0, t["high"], t["shape"], dtype=getattr(torch, t["dtype"]), generator=gen)
    if loss["kind"] == "bce":
        return torch.zeros(t["shape"])
    if loss["kind"] == "mse":
        return torch.rand(t["shape"], generator=gen)
    raise ValueError(loss["kind"])


def _loss(out, loss, target):
    import torch.nn.functional as F
    if loss.get("inModel"):
        return out[1]
    y = out[loss.get("output", 0)] if isinstance(out, (tuple, list)) else out
    kind = loss["kind"]
    if kind == "cross_entropy":
        if y.dim() > 2:
            return F.cross_entropy(y.view(-1, y.size(-1)), target.view(-1))
        return F.cross_entropy(y, target)
    if kind == "bce":
        return F.binary_cross_entropy(y.view(target.shape), target)
    if kind == "mse":
        return F.mse_loss(y.view(target.shape), target)
    raise ValueError(kind)


def profile_step(step):
    """Run step() once under the profiler; return (peak, net, count, in_order, where, result)."""
    import torch
    gc.collect()
    with torch.autograd.profiler.profile(profile_memory=True, use_kineto=False) as prof:
        result = step()
    if not hasattr(prof, "kineto_results"):
        raise RuntimeError("this torch has no profile.kineto_results; see the docstring")
    events = prof.kineto_results.events()
    recs = [e for e in events if e.name() == "[memory]"]
    starts = [e.start_us() for e in recs]
    in_order = all(a <= b for a, b in zip(starts, starts[1:]))
    recs = sorted(recs, key=lambda e: e.start_us())  # stable
    running = peak = 0
    at = None
    for e in recs:
        running += e.nbytes()
        if running > peak:
            peak, at = running, e
    big = max(recs, key=lambda e: e.nbytes(), default=None)
    where = {"peak": _where(events, at), "largestAlloc": _where(events, big)}
    return peak, running, len(recs), in_order, where, result


def warm_peak(model, step, training):
    """The peak of step() after one warm-up run of it, in train or eval mode; the gradients are
    dropped before the measured run, not inside it (freeing blocks the allocator reported earlier
    would be counted against the step)."""
    model.train(training)
    step()
    for p in model.parameters():
        p.grad = None
    return profile_step(step)[0]


def _where(events, rec):
    """Diagnostic: an allocation's size and the outermost profiled op around it (the op started
    at or before it with start <= t <= start + duration, earliest start first; innermost ops are
    not reported: on the microsecond clock they tie too often to be reproducible)."""
    if rec is None:
        return None
    t = rec.start_us()
    ops = [e for e in events if e.name() != "[memory]" and e.start_us() <= t <= e.start_us() + e.duration_us()]
    ops.sort(key=lambda e: (e.start_us(), -e.duration_us()))
    return {"bytes": rec.nbytes(), "op": ops[0].name() if ops else None}


def worker(model_id, out_path):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    spec = MODELS[model_id]
    sys.argv = [os.path.join(FIXTURES, spec["file"])]  # argparse sees no options: defaults apply
    sys.path.insert(0, FIXTURES)
    sys.dont_write_bytecode = True  # no __pycache__ inside test/fixtures
    t0 = time.time()
    mod = importlib.import_module(spec["module"])
    model = eval(spec["build"], vars(mod))
    for sub in spec.get("freeze", []):
        for p in model.get_submodule(sub).parameters():
            p.requires_grad = False

    # parameters and buffers
    params = list(model.parameters())
    state_keys = set(model.state_dict().keys())
    res = {"trainable": 0, "frozen": 0, "buffers": 0, "intBuffers": 0, "nonPersistentBuffers": 0,
           "paramBytes": 0, "bufferBytes": 0}
    for p in params:
        res["trainable" if p.requires_grad else "frozen"] += p.numel()
        res["paramBytes"] += p.numel() * p.element_size()
    for name, b in model.named_buffers():
        if name not in state_keys:
            res["nonPersistentBuffers"] += b.numel()
            continue
        res["buffers" if b.is_floating_point() else "intBuffers"] += b.numel()
        res["bufferBytes"] += b.numel() * b.element_size()

    gen = torch.Generator().manual_seed(0)
    inputs = [_make(s, gen) for s in spec["inputs"]]
    loss_spec = spec["loss"]
    target = _make_target(loss_spec, gen) if loss_spec["kind"] != "none" else None

    # leaf-module output shapes (a separate eval / no_grad pass, hooks removed afterwards)
    calls, handles = {}, []
    for qname, m in model.named_modules():
        if qname and next(m.children(), None) is None:
            calls[qname] = []
            handles.append(m.register_forward_hook(
                lambda _m, _i, o, qname=qname: calls[qname].append(_tensors(o))))
    model.eval()
    with torch.no_grad():
        out = model(*inputs)
    output = _tensors(out)
    for h in handles:
        h.remove()
    del out

    def infer_step():
        # a model that takes its targets runs as the file's example calls it, loss included
        with torch.no_grad():
            return model(*inputs, target) if loss_spec.get("inModel") else model(*inputs)

    def train_step():
        out = model(*inputs, target) if loss_spec.get("inModel") else model(*inputs)
        loss = _loss(out, loss_spec, target)
        loss.backward()
        return out, loss

    def measure(mode):
        figures = []
        for _ in range(3):  # warm-up, measured, repeat
            if mode == "train":
                model.train()
                for p in model.parameters():
                    p.grad = None
                step = train_step
            else:
                model.eval()
                step = infer_step
            peak, net, count, in_order, where, result = profile_step(step)
            del result
            figures.append((peak, net, count, in_order, where))
        return figures

    peaks = {"infer": measure("infer")}
    if loss_spec["kind"] != "none":
        t1 = time.time()
        peaks["train"] = measure("train")
        train_s = (time.time() - t1) / 3
    else:
        train_s = None
    modes = ["train", "infer"]
    record = {
        "file": spec["file"], "name": spec["name"], "build": spec["build"],
        "freeze": spec.get("freeze", []), "inputs": spec["inputs"], "batch": spec["batch"],
        "loss": loss_spec, "params": res, "modules": calls, "output": output,
        "peak": {m: (peaks[m][1][0] if m in peaks else None) for m in modes},
        "net": {m: (peaks[m][1][1] if m in peaks else None) for m in modes},
        "peakWarmup": {m: (peaks[m][0][0] if m in peaks else None) for m in modes},
        "repeatable": {m: (peaks[m][1][:2] == peaks[m][2][:2] if m in peaks else None) for m in modes},
        "memoryRecords": {m: (peaks[m][1][2] if m in peaks else None) for m in modes},
        "peakAt": {m: (peaks[m][1][4] if m in peaks else None) for m in modes},
        "recordsInTimeOrder": all(f[3] for m in peaks for f in peaks[m]),
    }
    if "pragmaBatch" in spec:
        record["pragmaBatch"] = spec["pragmaBatch"]
    with open(out_path, "w") as f:
        json.dump(record, f)
    print(f"{model_id}: {time.time() - t0:.1f}s"
          + (f" (one train step {train_s:.2f}s)" if train_s is not None else ""), file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# driver


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", help="model ids (default: all): " + ", ".join(MODELS))
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--worker", nargs=2, metavar=("ID", "JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return

    import torch
    import torchvision
    ids = args.models or list(MODELS)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    models = {}
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for model_id in ids:
            path = os.path.join(tmp, model_id + ".json")
            subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", model_id, path],
                           check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            with open(path) as f:
                models[model_id] = json.load(f)
    doc = {
        "meta": {
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpuVectorBits": cpu_vector_bits(),
            "date": datetime.date.today().isoformat(),
            "device": "cpu", "threads": 1, "dtype": "float32",
            "profiler": "torch.autograd.profiler.profile(profile_memory=True, use_kineto=False)"
                        ".kineto_results.events(), name '[memory]', nbytes(), start_us()",
            "kinetoAvailable": bool(torch.autograd.kineto_available()),
            "peak": "max running sum of CPU allocator alloc/free bytes during one step, sorted by start_us "
                    "(stable), relative to just before the step; infer = eval + no_grad forward (a model that takes its targets gets them); train = "
                    "train mode, grads None, forward + loss + backward, no optimizer step",
            "warmup": "peak.train and peak.infer are both measured after one warm-up step of the same kind "
                      "(peakWarmup); repeatable says a further step gave the same peak and net",
            "generator": "scripts/python_oracle.py",
        },
        "models": models,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out} ({len(models)} models, {time.time() - t0:.0f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
