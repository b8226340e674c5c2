"""What torch 1.13 on a CPU does with half-precision layers: for each memlens registry op, one
torch layer converted to float16 and to bfloat16 (`.to(dtype)`), run on an input of that dtype in
inference (no_grad) and in a training step (out.sum().backward(), the input requiring grad so that
a layer without weights has a backward), recording "runs" or the error torch raises; and the allocator's events of one nn.Linear(64, 32)
call in float32 and bfloat16 (why memlens does not replay bfloat16 as float32), and the output
shapes of bfloat16 transposed convolutions (torch 1.13 runs them as plain convolutions). Writes
test/fixtures/python/torch_half.json; server/src/core/analysis/framework/pytorchHalf.ts's table of
the kernels torch lacks for Half is asserted against it (test/unit/analysis/pytorchHalf.test.ts).

    /usr/bin/python3 scripts/torch_half_oracle.py
"""
import datetime
import json
import os
import warnings

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torch_half.json")

# registry op -> (torch layer, input shape; "ids" for token ids)
PROBES = {
    "dense": ("nn.Linear(8, 4)", [2, 8]),
    "conv1d": ("nn.Conv1d(3, 4, 3)", [2, 3, 8]),
    "conv2d": ("nn.Conv2d(3, 4, 3)", [2, 3, 8, 8]),
    "conv3d": ("nn.Conv3d(3, 4, 3)", [2, 3, 5, 5, 5]),
    "conv2d_transpose": ("nn.ConvTranspose2d(3, 4, 3)", [2, 3, 8, 8]),
    "embedding": ("nn.Embedding(10, 4)", "ids"),
    "batchnorm": ("nn.BatchNorm2d(3)", [2, 3, 8, 8]),
    "layernorm": ("nn.LayerNorm(8)", [2, 8]),
    "groupnorm": ("nn.GroupNorm(1, 4)", [2, 4, 8]),
    "relu": ("nn.ReLU()", [2, 8]),
    "leaky_relu": ("nn.LeakyReLU()", [2, 8]),
    "gelu": ("nn.GELU()", [2, 8]),
    "silu": ("nn.SiLU()", [2, 8]),
    "sigmoid": ("nn.Sigmoid()", [2, 8]),
    "tanh": ("nn.Tanh()", [2, 8]),
    "softmax": ("nn.Softmax(-1)", [2, 8]),
    "log_softmax": ("nn.LogSoftmax(-1)", [2, 8]),
    "dropout": ("nn.Dropout(0.5)", [2, 8]),
    "maxpool": ("nn.MaxPool2d(2)", [2, 3, 8, 8]),
    "avgpool": ("nn.AvgPool2d(2)", [2, 3, 8, 8]),
    "adaptive_avgpool": ("nn.AdaptiveAvgPool2d(1)", [2, 3, 8, 8]),
    "flatten": ("nn.Flatten()", [2, 3, 4]),
    "lstm": ("nn.LSTM(8, 4, batch_first=True)", [2, 3, 8]),
    "gru": ("nn.GRU(8, 4, batch_first=True)", [2, 3, 8]),
    "attention": ("nn.MultiheadAttention(8, 2, batch_first=True)", [2, 3, 8]),
}


def probe(layer, shape, dtype, mode):
    model = eval(layer, {"nn": nn}).to(dtype)
    model.train(mode == "train")
    if shape == "ids":
        x = torch.randint(0, 10, (2, 5))
    else:
        x = torch.randn(*shape, dtype=dtype, requires_grad=mode == "train")
    try:
        if mode == "train":
            out = model(x, x, x) if isinstance(model, nn.MultiheadAttention) else model(x)
            out = out[0] if isinstance(out, tuple) else out
            out.sum().backward()
        else:
            with torch.no_grad():
                model(x, x, x) if isinstance(model, nn.MultiheadAttention) else model(x)
        return "runs"
    except (RuntimeError, TypeError) as e:
        return f"{type(e).__name__}: {e}".split("\n")[0]


def linear_events(dtype, batch, features=(64, 32)):
    """the allocator's events (bytes, + allocated / - freed) of one nn.Linear inference call after a warm-up"""
    model = nn.Linear(*features).to(dtype)
    x = torch.randn(batch, features[0], dtype=dtype)
    with torch.no_grad():
        model(x)
        with torch.autograd.profiler.profile(profile_memory=True, use_kineto=False) as prof:
            model(x)
    recs = sorted((e for e in prof.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_us())
    return [e.nbytes() for e in recs]


# torch 1.13's bfloat16 transposed convolutions on a CPU: (layer, input shape) -> output shape or error
TRANSPOSED = [
    ("nn.ConvTranspose2d(4, 4, 3)", [2, 4, 8, 8]),
    ("nn.ConvTranspose2d(3, 4, 3)", [2, 3, 8, 8]),
    ("nn.ConvTranspose1d(4, 4, 3)", [2, 4, 8]),
    ("nn.ConvTranspose3d(2, 2, 3)", [1, 2, 4, 4, 4]),
]


def transposed(layer, shape, dtype):
    model = eval(layer, {"nn": nn}).to(dtype)
    try:
        with torch.no_grad():
            return list(model(torch.randn(*shape, dtype=dtype)).shape)
    except RuntimeError as e:
        return f"RuntimeError: {e}".split("\n")[0]


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warnings.simplefilter("ignore")
    ops = {}
    for op, (layer, shape) in PROBES.items():
        ops[op] = {"layer": layer, "input": shape}
        for name, dtype in [("float16", torch.float16), ("bfloat16", torch.bfloat16)]:
            ops[op][name] = {mode: probe(layer, shape, dtype, mode) for mode in ["infer", "train"]}
    linear = {name: {str(b): linear_events(dtype, b) for b in [1, 8, 32]} for name, dtype in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]}
    # oneDNN's bfloat16 scratch by the matmul's shape: (in, out, batch) -> events
    scratch = [{"in": k, "out": n, "batch": m, "events": linear_events(torch.bfloat16, m, (k, n))} for k, n, m in [(64, 32, 2), (64, 32, 4), (64, 10, 4), (64, 10, 8), (32, 64, 8), (100, 64, 8), (128, 32, 8), (784, 64, 8), (1024, 64, 8), (2048, 64, 8), (4096, 64, 8)]]
    conv_t = [{"layer": layer, "input": shape, "float32": transposed(layer, shape, torch.float32), "bfloat16": transposed(layer, shape, torch.bfloat16)} for layer, shape in TRANSPOSED]
    meta = {"torch": torch.__version__, "device": "cpu", "threads": 1, "date": datetime.date.today().isoformat(), "generator": "scripts/torch_half_oracle.py"}
    with open(OUT, "w") as f:
        json.dump({"meta": meta, "ops": ops, "linearEvents": {"layer": "nn.Linear(64, 32)", "input": "[batch, 64]", "events": linear, "bfloat16Scratch": scratch}, "bfloat16Transposed": conv_t}, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({len(ops)} ops)")


if __name__ == "__main__":
    main()
