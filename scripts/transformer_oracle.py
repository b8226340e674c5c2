"""Ground truth for memlens's nn.Transformer family, measured with real PyTorch (torch 1.13, CPU).

For every model file in test/fixtures/python/transformer/ it runs the file (which builds `model`
and calls it on its example inputs), then records into
test/fixtures/python/transformer_oracle.json:

  params      trainable / frozen parameter elements (model.parameters()) and float buffer elements
  named       [name, shape] of every parameter in model.named_parameters() order (the module tree)
  calls       for every module by qualified name, one entry per call: the shapes of the tensors in
              its output (a tuple is flattened in order; a None is skipped), from one forward of
              the example inputs in train mode with autograd on (torch 1.13's inference fast paths
              of the encoder layer and of MultiheadAttention skip the submodules' hooks)
  output      the shapes of the tensors the model returns
  batch       the example's batch size and batchAxis (1 for sequence-first models)

No peaks: the allocator profile of attention is measured by scripts/torch_op_oracle.py.
Run from the repository root:  /usr/bin/python3 scripts/transformer_oracle.py
"""
import datetime
import json
import os
import platform
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "test", "fixtures", "python", "transformer")
OUT = os.path.join(ROOT, "test", "fixtures", "python", "transformer_oracle.json")

# file -> the names of its example inputs, in call order, and where their batch is
CASES = {
    "encoder_lm.py": {"inputs": ["x"], "batch": 4, "batchAxis": 0},
    "seq2seq.py": {"inputs": ["src", "tgt"], "batch": 4, "batchAxis": 1},
    "prenorm_encoder.py": {"inputs": ["x"], "batch": 6, "batchAxis": 0},
    "cross_decoder.py": {"inputs": ["feats", "tokens"], "batch": 2, "batchAxis": 0},
    "mha_kdim.py": {"inputs": ["q", "k", "v"], "batch": 2, "batchAxis": 0},
    "transformer_lm.py": {"inputs": ["x"], "batch": 3, "batchAxis": 1},
}


def shapes(x):
    import torch
    if isinstance(x, torch.Tensor):
        return [list(x.shape)]
    if isinstance(x, (tuple, list)):
        return [s for item in x for s in shapes(item)]
    return []


def measure(file, case):
    import torch
    torch.manual_seed(0)
    path = os.path.join(FOLDER, file)
    scope = {"__name__": "__main__", "__file__": path}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), scope)
    model = scope["model"]
    inputs = [scope[n] for n in case["inputs"]]
    params = list(model.parameters())
    record = {
        "params": {
            "trainable": sum(p.numel() for p in params if p.requires_grad),
            "frozen": sum(p.numel() for p in params if not p.requires_grad),
            "buffers": sum(b.numel() for b in model.buffers() if b.is_floating_point()),
        },
        "named": [[n, list(p.shape)] for n, p in model.named_parameters()],
        "batch": case["batch"],
        "batchAxis": case["batchAxis"],
    }
    calls, handles = {}, []
    for name, m in model.named_modules():
        if name:
            calls[name] = []
            handles.append(m.register_forward_hook(lambda _m, _i, o, name=name: calls[name].append(shapes(o))))
    model.train()
    out = model(*inputs)
    for h in handles:
        h.remove()
    record["calls"] = calls
    record["output"] = shapes(out)
    return record


def main():
    import torch
    torch.set_num_threads(1)
    models = {f: measure(f, c) for f, c in CASES.items()}
    doc = {
        "meta": {"torch": torch.__version__, "python": platform.python_version(),
                 "date": datetime.date.today().isoformat(), "generator": "scripts/transformer_oracle.py"},
        "models": models,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT} ({len(models)} models)", file=sys.stderr)


if __name__ == "__main__":
    main()
