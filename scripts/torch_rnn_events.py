"""Ground truth for memlens' recurrent training replay (server/src/core/analysis/framework/
pytorchRecurrentTraining.ts): the CPU allocator's events, in order, of one training step of torch
1.13's LSTM / GRU / RNN at small shapes, for stacks of 1-3 layers, one or two directions, dropout
between layers or not, batch-first or time-major inputs, an initial state given or not (made before
the step, or `stateInStep`: made with torch.zeros inside the step and held by nothing but the call,
as a model's forward makes it), the input needing a gradient or not, bias=False.

Each event is the signed byte count of one '[memory]' record of
torch.autograd.profiler.profile(profile_memory=True, use_kineto=False), sorted by start time (the
method of scripts/python_oracle.py), after a warm-up step and p.grad = None, on one thread. A
1943-byte allocation between the forward and `out.sum().backward()` splits the two; it is not
written. Writes test/fixtures/python/torch_rnn_events.json; test/unit/analysis/
pytorchRecurrentEvents.test.ts rebuilds every sequence from memlens' event generator.

    /usr/bin/python3 scripts/torch_rnn_events.py
"""
import datetime
import gc
import json
import os

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torch_rnn_events.json")
SPLIT = 1943
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "simple_rnn": nn.RNN}

# (layers, bidirectional, dropout)
STACKS = [(1, False, 0.0), (2, False, 0.3), (1, True, 0.0), (2, True, 0.0), (2, True, 0.3), (3, False, 0.0)]
NO_BIAS_STACKS = [(1, False, 0.0), (2, True, 0.3), (3, False, 0.0)]
# (N, L, F, H): three steps (an inner step) and two (the last step is step 1); distinct sizes
SHAPES = [(2, 3, 5, 6), (3, 2, 4, 5)]


def events(cell, layers, bidirectional, dropout, batch_first, shape, state, input_grad, bias):
    n, steps, features, hidden = shape
    torch.manual_seed(0)
    layer = CELLS[cell](features, hidden, layers, batch_first=batch_first, bidirectional=bidirectional, dropout=dropout, bias=bias)
    x = torch.randn(n, steps, features) if batch_first else torch.randn(steps, n, features)
    x.requires_grad_(input_grad)
    rows = layers * (2 if bidirectional else 1)

    def initial():
        h0 = torch.zeros(rows, n, hidden)
        return (h0, torch.zeros(rows, n, hidden)) if cell == "lstm" else h0

    given = initial() if state == "given" else None

    def step():
        out = layer(x, initial() if state == "inside" else given)[0]
        torch.empty(SPLIT, dtype=torch.uint8)
        out.sum().backward()
        del out

    layer.train()
    step()
    for p in layer.parameters():
        p.grad = None
    x.grad = None
    gc.collect()
    with torch.autograd.profiler.profile(profile_memory=True, use_kineto=False) as prof:
        step()
    records = sorted((e for e in prof.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_us())
    sizes = [r.nbytes() for r in records]
    split = sizes.index(SPLIT)
    return sizes[:split], sizes[split + 2:]


def main():
    torch.set_num_threads(1)
    cases = []
    # (initial state given, input gradient, bias)
    variants = [("none", False, True), ("given", False, True), ("none", True, True), ("none", False, False), ("inside", False, True)]
    for cell in CELLS:
        for layers, bidirectional, dropout in STACKS:
            for batch_first in (True, False):
                # the second shape batch-first only; the variants (a given initial state; the input
                # needing a gradient, time-major only: a batch-first leaf's .grad is copied
                # contiguous, outside the layer; bias=False on three stacks) at the first shape
                for shape in SHAPES if batch_first else SHAPES[:1]:
                    for state, input_grad, bias in variants if shape == SHAPES[0] else variants[:1]:
                        if (input_grad and batch_first) or (not bias and (layers, bidirectional, dropout) not in NO_BIAS_STACKS):
                            continue
                        forward, backward = events(cell, layers, bidirectional, dropout, batch_first, shape, state, input_grad, bias)
                        n, steps, features, hidden = shape
                        cases.append({
                            "cell": cell, "layers": layers, "bidirectional": bidirectional, "dropout": dropout,
                            "batchFirst": batch_first, "initialState": state != "none", **({"stateInStep": True} if state == "inside" else {}), "inputGrad": input_grad, "bias": bias,
                            "n": n, "steps": steps, "features": features, "hidden": hidden,
                            "forward": " ".join(map(str, forward)), "backward": " ".join(map(str, backward)),
                        })
    doc = {
        "meta": {
            "torch": torch.__version__, "date": datetime.date.today().isoformat(), "threads": 1,
            "generator": "scripts/torch_rnn_events.py",
            "events": "signed bytes of the allocator's records in start order; backward: after out.sum() (its +4 +4 first, its two 4-byte tensors and the output freed last)",
        },
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
