"""Ground truth for memlens' PyTorch CPU profile over a whole training step with an optimizer:
`opt.zero_grad(set_to_none=...); out = model(x); loss = out.sum(); loss.backward(); opt.step()`
on small models (MLPs, CNNs, LSTMs; weights dominate in some, activations in others) with SGD
(momentum 0 and 0.9), Adam and AdamW at their torch 1.13 defaults (single-tensor, foreach off on
CPU), zero_grad(set_to_none=False) (1.13's default) and True.

Each row runs a warm-up forward and backward without the optimizer (p.grad = None after it), then
measures two steps of the loop body above, each under the allocator trace (profile_memory,
'[memory]' events sorted by start, running sum; scripts/python_oracle.py's profile_step):

- `first`: the first step (no gradients, no optimizer state yet: the state is created inside it);
- `steady`: the second step (the state exists; the previous step's gradients exist before it and
  are zeroed in place with set_to_none=False, freed by zero_grad with True).

For each it writes `before`, the bytes of tensors that exist before the step (parameters, buffers,
gradients, every tensor of optimizer.state), `peak`, the running sum's maximum relative to that,
and `absolute` = before + peak, the figure memlens' bytes.expectedPeak predicts for the steady
step. The step's locals (out, loss) go when it returns. `forwardBackward` is each model's row
without an optimizer (scripts/torch_op_oracle.py's peak_of: out.sum().backward() from no
gradients, relative to before it), what memlens' profile with optimizer `none` predicts. Writes
test/fixtures/python/torch_optimizer_steps.json; test/unit/analysis/pytorchOptimizer.test.ts
reads it.

    /usr/bin/python3 scripts/torch_optimizer_oracle.py
"""
import datetime
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits, profile_step  # noqa: E402
from torch_op_oracle import peak_of  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torch_optimizer_steps.json")

# a recurrent model (nn.Sequential cannot hold an LSTM, which returns a tuple): `source` defines it
RECURRENT = '''class Recurrent(nn.Module):
    def __init__(self, features, hidden, layers):
        super().__init__()
        self.rnn = nn.LSTM(features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 4)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])
'''
# id, source defining classes, the model's expression, input shape
MODELS = [
    ("mlp_wide", "", "nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))", [4, 256]),
    ("mlp_batch", "", "nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))", [1024, 32]),
    ("cnn", "", "nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))", [8, 3, 32, 32]),
    ("cnn_head", "", "nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(1568, 64), nn.ReLU(), nn.Linear(64, 10))", [2, 3, 16, 16]),
    ("lstm", RECURRENT, "Recurrent(16, 32, 1)", [4, 5, 16]),
    ("lstm_wide", RECURRENT, "Recurrent(64, 128, 2)", [1, 3, 64]),
]


def build(source, expr):
    scope = {"nn": nn}
    exec(source, scope)
    return eval(expr, scope)
# id, the constructor memlens reads in the Python example
OPTIMIZERS = [
    ("sgd", "torch.optim.SGD(model.parameters(), lr=0.1)"),
    ("sgd_momentum", "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)"),
    ("adam", "torch.optim.Adam(model.parameters())"),
    ("adamw", "torch.optim.AdamW(model.parameters())"),
]


def tensor_bytes(t):
    return t.numel() * t.element_size()


def held_before(model, opt):
    """bytes of the tensors that exist before a step, by kind"""
    params = list(model.parameters())
    state = [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    return {
        "weights": sum(tensor_bytes(p) for p in params),
        "buffers": sum(tensor_bytes(b) for b in model.buffers()),
        "gradients": sum(tensor_bytes(p.grad) for p in params if p.grad is not None),
        "optimizer": sum(tensor_bytes(v) for v in state),
    }


def measure(source, expr, shape, opt_source, set_to_none):
    torch.manual_seed(0)
    model = build(source, expr)
    model.train()
    x = torch.randn(*shape)
    # warm-up (one-time allocations of the kernels), without the optimizer
    model(x).sum().backward()
    for p in model.parameters():
        p.grad = None
    opt = eval(opt_source, {"torch": torch, "model": model})

    def step():
        opt.zero_grad(set_to_none=set_to_none)
        out = model(x)
        loss = out.sum()
        loss.backward()
        opt.step()

    rows = {}
    for name in ("first", "steady"):
        before = held_before(model, opt)
        peak = profile_step(step)[0]
        rows[name] = {"before": before, "peak": peak, "absolute": sum(before.values()) + peak}
    return rows


def main():
    torch.set_num_threads(1)
    cases = {}
    models = {}
    for model_id, source, expr, shape in MODELS:
        torch.manual_seed(0)
        models[model_id] = {"source": source, "build": expr, "input": shape,
                            "forwardBackward": peak_of(build(source, expr), torch.randn(*shape), "train")}
        for opt_id, opt_source in OPTIMIZERS:
            for set_to_none in (False, True):
                case_id = f"{model_id} {opt_id} {'set_to_none' if set_to_none else 'zeroed'}"
                cases[case_id] = {"model": model_id, "optimizer": opt_source, "setToNone": set_to_none,
                                  **measure(source, expr, shape, opt_source, set_to_none)}
    meta = {
        "torch": torch.__version__,
        "cpuVectorBits": cpu_vector_bits(),
        "threads": 1,
        "date": datetime.date.today().isoformat(),
        "step": "opt.zero_grad(set_to_none=S); out = model(x); loss = out.sum(); loss.backward(); opt.step()",
        "peak": "max running sum of CPU allocator bytes during the step, relative to before it; absolute = before + peak",
    }
    with open(OUT, "w") as f:
        json.dump({"meta": meta, "models": models, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
