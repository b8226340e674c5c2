"""Ground truth for memlens' PyTorch CPU profile on small whole models, one Python file each
(test/fixtures/python/peaks/*.py: torch.utils.checkpoint segments, reentrant and with
use_reentrant=False or preserve_rng_state=False; convolution padding modes).

Each file builds `model` and an example input `x` at module level and runs it once; this script
executes it, then measures the CPU allocator's peak of one inference forward and of one training
step (out = model(x); out.sum().backward()) at batch 1 and 8 (an input of x's dtype), after a warm-up, relative to just
before the step (scripts/torch_op_oracle.py's peak_of). Writes test/fixtures/python/peaks.json;
test/unit/analysis/pytorchModels.test.ts reads each file through memlens and compares.

    apt-get install -y python3-torch        # Debian 12: torch 1.13
    /usr/bin/python3 scripts/torch_model_oracle.py
"""
import datetime
import glob
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits  # noqa: E402
from torch_op_oracle import peak_of  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "python", "peaks")
OUT = os.path.join(ROOT, "test", "fixtures", "python", "peaks.json")
BATCHES = [1, 8]


def main():
    torch.set_num_threads(1)
    # checkpoint() on an input without requires_grad warns; that is one of the cases
    warnings.simplefilter("ignore")
    models = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.py"))):
        torch.manual_seed(0)
        scope = {"__name__": "__oracle__"}
        exec(compile(open(path).read(), path, "exec"), scope)
        model, x = scope["model"], scope["x"]
        peaks = {}
        for batch in BATCHES:
            xb = torch.randn(batch, *x.shape[1:], dtype=x.dtype)
            peaks[str(batch)] = {mode: peak_of(model, xb, mode) for mode in ["infer", "train"]}
        models[os.path.basename(path)[:-3]] = {"file": os.path.relpath(path, os.path.dirname(OUT)), "peak": peaks}
    meta = {
        "torch": torch.__version__,
        "cpuVectorBits": cpu_vector_bits(),
        "threads": 1,
        "date": datetime.date.today().isoformat(),
        "peak": "max running sum of CPU allocator bytes during one step after a warm-up; train: out = model(x), out.sum().backward()",
    }
    with open(OUT, "w") as f:
        json.dump({"meta": meta, "models": models}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
