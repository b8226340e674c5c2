"""Ground truth for the .nnm ops that have no layer of their own in PyTorch (learned tensors, weight
tying, stochastic depth, ...): each case is a model in test/fixtures/nnm_torch/<id>.nnm and the same
model written here with torch, written so that each
tensor is freed at its last use (one name rebound, as a .nnm model's tensors are), measured with the
method of scripts/python_oracle.py (the CPU
allocator's peak of one step after a warm-up step, one thread):
  infer  model.eval(), torch.no_grad(), one forward;
  train  model.train(), every p.grad = None, out = model(x), out.backward(torch.ones_like(out)).
Writes test/fixtures/nnm_torch/peaks.json with the parameter and float buffer counts and the peaks at batch 1 and 8.

    apt-get install -y python3-torch        # Debian 12: torch 1.13
    /usr/bin/python3 scripts/nnm_torch_oracle.py
"""
import datetime
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import StochasticDepth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits, warm_peak  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "nnm_torch", "peaks.json")


class VitTokens(nn.Module):
    """vit_tokens.nnm: 8x8 patches, a class token and positional embeddings, the class token's head"""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 64, 8, stride=8)
        self.cls = nn.Parameter(torch.randn(1, 1, 64))
        self.pos = nn.Parameter(torch.randn(1, 17, 64))
        self.norm = nn.LayerNorm(64)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        # one name rebound, so that each tensor goes at its last use as in the .nnm model
        n = x.shape[0]
        x = torch.cat([self.cls.expand(n, -1, -1), self.patch(x).reshape(n, 64, 16).transpose(1, 2)], dim=1)
        x = x + self.pos
        return self.head(self.norm(x)[:, 0:1])


class TiedLm(nn.Module):
    """tied_lm.nnm: the output projection shares the embedding's weight"""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(500, 64)
        self.mix = nn.Linear(64, 64)
        self.norm = nn.LayerNorm(64)
        self.out = nn.Linear(64, 500, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, t):
        return self.out(self.norm(F.gelu(self.mix(self.embed(t)))))


class SdBlock(nn.Module):
    """sd_block.nnm: a residual branch under torchvision's stochastic depth, mode row"""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1)
        self.drop = StochasticDepth(0.2, "row")
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = x + self.drop(self.conv(x))
        return self.head(F.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], 1, 16))


class DenseBlock(nn.Module):
    """dense_block.nnm: three layers, each reading the concat of every feature map before it"""

    def __init__(self):
        super().__init__()
        self.norms = nn.ModuleList(nn.BatchNorm2d(16 + 8 * i) for i in range(3))
        self.convs = nn.ModuleList(nn.Conv2d(16 + 8 * i, 8, 3, padding=1, bias=False) for i in range(3))
        self.head = nn.Linear(40, 10)

    def forward(self, x):
        n = x.shape[0]
        features = [x]
        del x
        for norm, conv in zip(self.norms, self.convs):
            h = torch.cat(features, 1)
            h = norm(h)
            h = F.relu(h)
            h = conv(h)
            features = features + [h]
            del h
        h = F.adaptive_avg_pool2d(torch.cat(features, 1), 1)
        del features
        return self.head(h.reshape(n, 1, 40))


# (id, model class, per-sample input shape, input dtype, per-sample target shape, classes)
CASES = [
    ("vit_tokens", VitTokens, [3, 32, 32], torch.float32, [1], 10),
    ("tied_lm", TiedLm, [32], torch.int64, [32], 500),
    ("sd_block", SdBlock, [16, 8, 8], torch.float32, [1], 10),
    ("dense_block", DenseBlock, [16, 8, 8], torch.float32, [1], 10),
]
BATCHES = [1, 8]


def measure(cls, shape, dtype, target, classes, batch, mode):
    torch.manual_seed(0)
    model = cls()
    x = torch.randint(0, 500, [batch, *shape]) if dtype == torch.int64 else torch.randn(batch, *shape)
    y = torch.randint(0, classes, [batch, *target])

    def step():
        if mode == "train":
            out = model(x)
            F.cross_entropy(out.reshape(-1, classes), y.reshape(-1)).backward()
            del out
        else:
            with torch.no_grad():
                F.cross_entropy(model(x).reshape(-1, classes), y.reshape(-1))

    return warm_peak(model, step, mode == "train")


def main():
    torch.set_num_threads(1)
    rows = {}
    for case_id, cls, shape, dtype, target, classes in CASES:
        model = cls()
        params = sum(p.numel() for p in model.parameters())
        # running statistics; batch norm's int64 step counter is not a float buffer
        buffers = sum(b.numel() for b in model.buffers() if b.is_floating_point())
        peaks = {f"{mode} {b}": measure(cls, shape, dtype, target, classes, b, mode) for mode in ["train", "infer"] for b in BATCHES}
        rows[case_id] = {"params": params, "buffers": buffers, "peaks": peaks}
        print(case_id, params, peaks)
    doc = {
        "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "cpuVectorBits": cpu_vector_bits(),
        "method": "CPU allocator peak of one step relative to before it, after a warm-up step; one thread",
        "cases": rows,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
