"""What PyTorch 1.13's CPU allocator holds for one step of torchvision models that memlens' PyTorch
profile was never fitted on (its rules come from single layers: scripts/torch_op_oracle.py).

For every builder below, at batch 1 and 8, 64x64 inputs (every builder here takes them), 1,000
classes: the peak of one step relative to just before it (the method of scripts/python_oracle.py),
after one warm-up step:
  infer  model.eval(), torch.no_grad(), out = model(x);
  train  model.train(), every p.grad = None, out = model(x), F.cross_entropy(out, y).backward().
Writes test/fixtures/python/torchvision_peaks.json, which test/unit/analysis/pytorchProfile.test.ts
compares with bytes.expectedPeak minus weights and buffers.

    apt-get install -y python3-torch python3-torchvision     # Debian 12: torch 1.13, torchvision 0.14
    /usr/bin/python3 scripts/torchvision_peaks.py
"""
import datetime
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits, warm_peak  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torchvision_peaks.json")
BUILDERS = ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg11", "alexnet", "squeezenet1_0",
            "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "densenet121", "convnext_tiny", "shufflenet_v2_x1_0"]
BATCHES = [1, 8]
RESOLUTION = 64


def peak_of(model, x, y, mode):
    def step():
        if mode == "train":
            out = model(x)
            F.cross_entropy(out, y).backward()
            del out
        else:
            with torch.no_grad():
                out = model(x)
            del out

    return warm_peak(model, step, mode == "train")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    only = sys.argv[1:]
    models = {}
    for name in BUILDERS:
        if only and name not in only:
            continue
        t0 = time.time()
        model = getattr(torchvision.models, name)()
        peaks = {}
        for batch in BATCHES:
            x = torch.randn(batch, 3, RESOLUTION, RESOLUTION)
            y = torch.randint(0, 1000, (batch,))
            peaks[str(batch)] = {mode: peak_of(model, x, y, mode) for mode in ("infer", "train")}
        models[name] = {"build": f"torchvision.models.{name}()", "resolution": RESOLUTION, "peak": peaks}
        print(f"{name}: {time.time() - t0:.1f}s", flush=True)
    doc = {
        "meta": {
            "torch": torch.__version__, "torchvision": torchvision.__version__, "threads": 1,
            "date": datetime.date.today().isoformat(), "cpuVectorBits": cpu_vector_bits(),
            "generator": "scripts/torchvision_peaks.py",
            "peak": "max running sum of CPU allocator bytes during one step after a warm-up, relative to before it; "
                    "peak[batch][mode]",
        },
        "models": models,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT} ({len(models)} models)")


if __name__ == "__main__":
    main()
