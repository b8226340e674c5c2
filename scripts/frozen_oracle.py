"""Ground truth for frozen weights and LoRA adapters: what torch 1.13's autograd saves for the
backward when some weights do not require grad. Each case is a small model, some of whose
parameters are frozen (requires_grad_(False)); one forward runs under
torch.autograd.graph.saved_tensors_hooks, and every tensor autograd packs is recorded. Parameters
(and views of them: a weight's transpose) are left out, each storage is counted once, and the
forward runs at batch 1 and batch 2: the difference is the saved bytes per sample, the rest fixed.
test/unit/analysis/frozen.test.ts checks memlens' saved activations of the same models, written in
.nnm, against test/fixtures/frozen/saved.json.

    apt-get install -y python3-torch        # Debian 12: torch 1.13
    /usr/bin/python3 scripts/frozen_oracle.py
"""
import datetime
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "frozen", "saved.json")


def storage_of(t):
    return t.storage().data_ptr()


def saved_bytes(model, make_input, batch):
    """bytes of the distinct non-parameter storages autograd packs in one forward at `batch`"""
    params = {storage_of(p) for p in model.parameters()}
    seen = {}

    def pack(t):
        ptr = storage_of(t)
        if ptr not in params and t.numel() > 0:
            seen[ptr] = max(seen.get(ptr, 0), t.storage().nbytes())
        return t

    torch.manual_seed(0)
    x = make_input(batch)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    out.sum().backward()  # the graph is whole: every saved tensor is used
    return sum(seen.values())


def freeze(*modules):
    for m in modules:
        for p in m.parameters():
            p.requires_grad_(False)


class Mlp(nn.Module):
    """dense 32 -> 64 -> 64 -> 10 with gelu between; freeze picks the frozen layers (0-based)"""

    def __init__(self, frozen):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(32, 64), nn.Linear(64, 64), nn.Linear(64, 10)])
        freeze(*[self.layers[i] for i in frozen])

    def forward(self, x):
        x = F.gelu(self.layers[0](x))
        x = F.gelu(self.layers[1](x))
        return self.layers[2](x)


class FrozenAttention(nn.Module):
    """a trainable dense 16 -> 16, then a frozen 4-head self-attention over 6 positions"""

    def __init__(self, frozen):
        super().__init__()
        self.proj = nn.Linear(16, 16)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        if frozen:
            freeze(self.attn)

    def forward(self, x):
        h = self.proj(x)
        return self.attn(h, h, h, need_weights=False)[0]


class FrozenEmbedding(nn.Module):
    """a frozen 50 x 16 embedding of 5 tokens, then a trainable dense 16 -> 8"""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.head = nn.Linear(16, 8)
        freeze(self.embed)

    def forward(self, ids):
        return self.head(self.embed(ids))


class FrozenConv(nn.Module):
    """a trainable conv 3 -> 8 (3x3), then a frozen conv 8 -> 8 (3x3), on 10 x 10 images"""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(3, 8, 3)
        self.second = nn.Conv2d(8, 8, 3)
        freeze(self.second)

    def forward(self, x):
        return self.second(self.first(x))


class LoraLinear(nn.Module):
    """peft's LoRA Linear written out: the frozen base plus B(A(x)) * alpha / r (no dropout)"""

    def __init__(self, features, units, r, alpha):
        super().__init__()
        self.base = nn.Linear(features, units)
        self.lora_A = nn.Linear(features, r, bias=False)
        self.lora_B = nn.Linear(r, units, bias=False)
        self.scaling = alpha / r
        freeze(self.base)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class LoraMlp(nn.Module):
    """a frozen dense 32 -> 64, gelu, then a LoRA dense 64 -> 48 (r 4, alpha 8)"""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(32, 64)
        self.second = LoraLinear(64, 48, 4, 8)
        freeze(self.first)

    def forward(self, x):
        return self.second(F.gelu(self.first(x)))


class LoraAttention(nn.Module):
    """a trainable dense 16 -> 16, then 4-head self-attention with frozen q, k, v, o projections
    and LoRA adapters (r 2, alpha 4) on q and v, the scores written out as a Llama block does"""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 16)
        self.q = LoraLinear(16, 16, 2, 4)
        self.k = nn.Linear(16, 16)
        self.v = LoraLinear(16, 16, 2, 4)
        self.o = nn.Linear(16, 16)
        freeze(self.k, self.o)

    def forward(self, x):
        x = self.proj(x)
        n, length, d = x.shape
        heads = lambda t: t.view(n, length, 4, d // 4).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        p = (q @ k.transpose(-2, -1) / (d // 4) ** 0.5).softmax(-1)
        return self.o((p @ v).transpose(1, 2).reshape(n, length, d))


def seq(length, features):
    return lambda n: torch.randn(n, length, features)


CASES = {
    "mlp_trainable": (lambda: Mlp([]), seq(4, 32)),
    "mlp_frozen_tail": (lambda: Mlp([1, 2]), seq(4, 32)),
    "mlp_frozen_head": (lambda: Mlp([0, 1]), seq(4, 32)),
    "attention_trainable": (lambda: FrozenAttention(False), seq(6, 16)),
    "attention_frozen": (lambda: FrozenAttention(True), seq(6, 16)),
    "embedding_frozen": (FrozenEmbedding, lambda n: torch.randint(0, 50, (n, 5))),
    "conv_frozen": (FrozenConv, lambda n: torch.randn(n, 3, 10, 10)),
    "lora_linear": (lambda: LoraLinear(32, 48, 4, 8), seq(4, 32)),
    "lora_mlp": (LoraMlp, seq(4, 32)),
    "lora_attention": (LoraAttention, seq(6, 16)),
}


def main():
    torch.set_num_threads(1)
    cases = {}
    for name, (make, make_input) in CASES.items():
        torch.manual_seed(0)
        model = make()
        one = saved_bytes(model, make_input, 1)
        two = saved_bytes(model, make_input, 2)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        cases[name] = {"trainable": trainable, "frozen": frozen, "savedPerSample": two - one, "savedFixed": 2 * one - two}
        print(name, cases[name])
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "measured": datetime.date.today().isoformat(), "cases": cases}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
