"""Ground truth for memlens' PyTorch CPU profile (server/src/core/analysis/framework/), one layer at a time.

For every case below it builds `nn.Sequential(<layers>)` (a recurrent layer: the layer alone, its
output the first of the (output, state) it returns; nn.MultiheadAttention: a wrapper that calls it
as attn(x, x, x) and keeps the output), runs one step on a random input and records
the CPU allocator's peak during that step, relative to just before it (the method of
scripts/python_oracle.py: torch.autograd.profiler.profile(profile_memory=True, use_kineto=False),
'[memory]' records sorted by start time, the maximum of the running sum), after one warm-up step:
  infer  model.eval(), torch.no_grad(), one forward;
  train  model.train(), every p.grad = None, out = model(x), out.sum().backward().
Writes test/fixtures/python/torch_ops.json; the test builds the same Sequential from Python source
through memlens' own frontend and compares. oneDNN's blocked layouts follow the CPU's vectors, so the
JSON records cpuVectorBits (512: AVX-512, 256: AVX2).

    apt-get install -y python3-torch        # Debian 12: torch 1.13
    /usr/bin/python3 scripts/torch_op_oracle.py
"""
import datetime
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits, warm_peak  # noqa: E402
from torch_activation_cases import ACTIVATION_CASES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torch_ops.json")

# (id, layers as Python source, input shape, modes)
CASES = [
    ("conv_cin3_b1", "nn.Conv2d(3, 8, 3, padding=1)", [1, 3, 8, 8], ["infer", "train"]),
    ("conv_cin3_b4", "nn.Conv2d(3, 8, 3, padding=1)", [4, 3, 8, 8], ["infer", "train"]),
    ("conv_cin16_b4", "nn.Conv2d(16, 32, 3, padding=1)", [4, 16, 8, 8], ["infer", "train"]),
    ("conv_64_b1_large", "nn.Conv2d(64, 64, 3, padding=1, bias=False)", [1, 64, 32, 32], ["infer"]),
    ("conv_64_b1_small", "nn.Conv2d(64, 64, 3, padding=1, bias=False)", [1, 64, 8, 8], ["infer", "train"]),
    ("conv_1x1_b2", "nn.Conv2d(64, 128, 1, bias=False)", [2, 64, 8, 8], ["infer"]),
    ("conv_depthwise_b2", "nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)", [2, 32, 8, 8], ["infer"]),
    ("conv_cin24_b2", "nn.Conv2d(24, 24, 3, padding=1)", [2, 24, 8, 8], ["infer"]),
    ("conv_bn_relu_pool", "nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2)", [4, 16, 8, 8], ["infer", "train"]),
    ("relu_conv", "nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1, bias=False)", [2, 32, 8, 8], ["train"]),
    ("maxpool", "nn.MaxPool2d(2)", [4, 16, 8, 8], ["infer"]),
    ("mlp_dropout", "nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)", [8, 64], ["infer", "train"]),
    ("layernorm", "nn.Linear(64, 64), nn.LayerNorm(64)", [8, 16, 64], ["infer", "train"]),
    ("conv_transpose", "nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False)", [4, 64, 8, 8], ["infer", "train"]),
    ("relu_conv_transpose", "nn.ReLU(), nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.Tanh()", [2, 16, 8, 8], ["infer", "train"]),
    ("batchnorm", "nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)", [4, 16, 8, 8], ["infer", "train"]),
]

# recurrent layers, called alone (they return (output, state)): (id, layer as Python source, input shape, modes);
# the batch is the input's first axis with batch_first=True, its second otherwise
RNN_CASES = [
    ("lstm_b1", "nn.LSTM(16, 32, batch_first=True)", [1, 12, 16], ["infer", "train"]),
    ("lstm_b8", "nn.LSTM(16, 32, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    ("lstm_2layer_dropout", "nn.LSTM(16, 32, 2, batch_first=True, dropout=0.3)", [8, 12, 16], ["infer", "train"]),
    ("lstm_bidirectional", "nn.LSTM(16, 32, batch_first=True, bidirectional=True)", [8, 12, 16], ["infer", "train"]),
    ("lstm_bi_2layer_b1", "nn.LSTM(16, 32, 2, batch_first=True, bidirectional=True)", [1, 12, 16], ["infer", "train"]),
    ("gru_b8", "nn.GRU(16, 32, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    ("gru_bi_2layer", "nn.GRU(16, 32, 2, batch_first=True, bidirectional=True)", [8, 12, 16], ["infer", "train"]),
    ("rnn_b1", "nn.RNN(16, 32, batch_first=True)", [1, 12, 16], ["infer", "train"]),
    # a wide hidden state: the training peak is the backward's three H x 4H weight gradients
    ("lstm_h256_b2", "nn.LSTM(16, 256, batch_first=True)", [2, 12, 16], ["train"]),
    ("rnn_2layer_b8", "nn.RNN(16, 32, 2, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    # time-major inputs [L, N, F] (batch_first=False): no transposed copy of the input
    ("lstm_seq_first_2layer_dropout", "nn.LSTM(16, 32, 2, dropout=0.5)", [12, 8, 16], ["infer", "train"]),
    ("gru_seq_first_bi", "nn.GRU(16, 32, bidirectional=True)", [12, 4, 16], ["infer", "train"]),
    ("rnn_seq_first_3layer_b2", "nn.RNN(16, 24, 3, dropout=0.2)", [6, 2, 16], ["train"]),
    # no biases: no bias gradients, and the backward makes its gradients in another order
    ("lstm_nobias_bi", "nn.LSTM(16, 32, batch_first=True, bidirectional=True, bias=False)", [8, 12, 16], ["infer", "train"]),
    ("gru_nobias_seq_first_2layer", "nn.GRU(16, 32, 2, bias=False, dropout=0.3)", [12, 4, 16], ["infer", "train"]),
]

# nn.MultiheadAttention, self-attention through a wrapper (ATTENTION_WRAPPER: attn(x, x, x) returns
# (output, weights), of which the output is kept): (id, layer as Python source, input shape, call
# keywords, modes). The input is [N, L, E] with batch_first=True, [L, N, E] without. Inference
# with batch_first=True, dropout 0, even heads and no mask takes torch's fused fast path.
ATTENTION_CASES = [
    ("mha_seq_b1", "nn.MultiheadAttention(64, 4)", [16, 1, 64], {}, ["infer", "train"]),
    ("mha_seq_b8", "nn.MultiheadAttention(64, 4)", [32, 8, 64], {}, ["infer", "train"]),
    ("mha_bf_b1", "nn.MultiheadAttention(64, 4, batch_first=True)", [1, 16, 64], {}, ["infer", "train"]),
    ("mha_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    # the averaged weights [N, L, L] outgrow q, k, v when L > E
    ("mha_bf_b8_long", "nn.MultiheadAttention(32, 4, batch_first=True)", [8, 64, 32], {}, ["infer", "train"]),
    ("mha_seq_b8_long", "nn.MultiheadAttention(32, 4)", [64, 8, 32], {}, ["infer", "train"]),
    ("mha_bf_b8_noweights", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 64, 64], {"need_weights": False}, ["infer", "train"]),
    ("mha_seq_b8_noweights", "nn.MultiheadAttention(64, 4)", [64, 8, 64], {"need_weights": False}, ["infer", "train"]),
    ("mha_wide_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 48, 256], {}, ["infer", "train"]),
    ("mha_wide_seq_b1", "nn.MultiheadAttention(256, 8)", [48, 1, 256], {}, ["infer", "train"]),
    ("mha_dropout_bf_b8", "nn.MultiheadAttention(64, 4, dropout=0.1, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    ("mha_dropout_seq_b1", "nn.MultiheadAttention(64, 4, dropout=0.1)", [16, 1, 64], {}, ["infer", "train"]),
    ("mha_nobias_seq_b8", "nn.MultiheadAttention(64, 4, bias=False)", [32, 8, 64], {}, ["infer", "train"]),
    # torch 1.13's fast path raises a TypeError on a missing in_proj bias: inference is recorded as the error
    ("mha_nobias_bf_b8", "nn.MultiheadAttention(64, 4, bias=False, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    # odd heads: the slow path in inference too
    ("mha_odd_heads_bf_b8", "nn.MultiheadAttention(48, 3, batch_first=True)", [8, 32, 48], {}, ["infer", "train"]),
    # one head of one sample: the head transposes are contiguous, no copies
    ("mha_one_head_seq_b1", "nn.MultiheadAttention(32, 1)", [16, 1, 32], {}, ["infer", "train"]),
    # a float causal mask (a buffer made before the step): nothing of its own inside the call, but
    # no fast path in inference
    ("mha_causal_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {"attn_mask": "causal"}, ["infer", "train"]),
    # a real loss: cross-entropy over the last axis, F.cross_entropy(out.reshape(-1, E), y), the
    # targets made before the step (a batch-first output is a transposed view: the reshape copies it)
    ("mha_ce_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {"loss": "cross_entropy"}, ["train"]),
    ("mha_ce_dropout_bf_b1", "nn.MultiheadAttention(64, 4, dropout=0.1, batch_first=True)", [1, 16, 64], {"loss": "cross_entropy"}, ["train"]),
    ("mha_ce_wide_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 16, 256], {"loss": "cross_entropy"}, ["train"]),
    # a Linear(E, 2048) after the call: the slow path's batch-first output is a transposed view,
    # which the linear copies before its product (and saves in training); the fast path's is not
    ("mha_linear_odd_heads_bf_b8", "nn.MultiheadAttention(192, 3, batch_first=True)", [8, 8, 192], {"linear": 2048}, ["infer", "train"]),
    ("mha_linear_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 8, 256], {"linear": 2048}, ["infer", "train"]),
    ("mha_linear_seq_b8", "nn.MultiheadAttention(256, 8)", [8, 8, 256], {"linear": 2048}, ["infer", "train"]),
]

# the wrapper the attention cases run (test/unit/analysis/pytorchProfile.test.ts writes the same
# class for memlens, without the mask its frontend does not follow): the output kept, the weights
# dropped at once
ATTENTION_WRAPPER = """
class Attend(nn.Module):
    def __init__(self, attn, length, need_weights=True, causal=False, linear=None):
        super().__init__()
        self.attn = attn
        self.need_weights = need_weights
        self.register_buffer("mask", torch.triu(torch.full((length, length), float("-inf")), 1) if causal else None)
        self.proj = nn.Linear(attn.embed_dim, linear) if linear else None

    def forward(self, x):
        y = self.attn(x, x, x, need_weights=self.need_weights, attn_mask=self.mask)[0]
        return self.proj(y) if self.proj is not None else y
"""


def attention_model(layer, shape, call):
    scope = {"nn": nn, "torch": torch}
    exec(ATTENTION_WRAPPER, scope)
    attn = eval(layer, scope)
    length = shape[1] if attn.batch_first else shape[0]
    return scope["Attend"](attn, length, call.get("need_weights", True), call.get("attn_mask") == "causal", call.get("linear"))


def peak_of(model, x, mode, loss="sum"):
    # cross-entropy over the last axis (classes = features), targets made before the step
    target = torch.randint(0, x.shape[-1], (x.numel() // x.shape[-1],)) if loss == "cross_entropy" else None

    def step():
        if mode == "train":
            # held in a variable through the backward, as the user's `out = model(x)` is
            out = model(x)
            out = out[0] if isinstance(out, tuple) else out
            (out.sum() if target is None else F.cross_entropy(out.reshape(-1, out.shape[-1]), target)).backward()
            del out
        else:
            with torch.no_grad():
                model(x)

    return warm_peak(model, step, mode == "train")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cases = {}
    for case_id, layers, shape, modes in CASES + ACTIVATION_CASES:
        model = eval(f"nn.Sequential({layers})", {"nn": nn})
        x = torch.randn(*shape)
        cases[case_id] = {"layers": layers, "input": shape, "peak": {mode: peak_of(model, x, mode) for mode in modes}}
    for case_id, layer, shape, modes in RNN_CASES:
        model = eval(layer, {"nn": nn})
        x = torch.randn(*shape)
        batch = shape[0] if model.batch_first else shape[1]
        cases[case_id] = {"layer": layer, "input": shape, "batch": batch, "peak": {mode: peak_of(model, x, mode) for mode in modes}}
    for case_id, layer, shape, call, modes in ATTENTION_CASES:
        model = attention_model(layer, shape, call)
        x = torch.randn(*shape)
        peaks, errors = {}, {}
        for mode in modes:
            try:
                peaks[mode] = peak_of(model, x, mode, call.get("loss", "sum"))
            except (TypeError, RuntimeError) as e:
                errors[mode] = f"{type(e).__name__}: {e}"
        flags = {"batchFirst": model.attn.batch_first, "needWeights": model.need_weights, "causalMask": model.mask is not None, "loss": call.get("loss", "sum"), **({"linear": call["linear"]} if "linear" in call else {})}
        cases[case_id] = {"attention": layer, **flags, "input": shape, "peak": peaks, **({"torchError": errors} if errors else {})}
    doc = {
        "meta": {
            "torch": torch.__version__, "date": datetime.date.today().isoformat(), "threads": 1,
            "cpuVectorBits": cpu_vector_bits(), "generator": "scripts/torch_op_oracle.py",
            "peak": "max running sum of CPU allocator bytes during one step after a warm-up; train: out = model(x), out.sum().backward()",
        },
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
