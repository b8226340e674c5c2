"""GPU reference for the liveness engine (issue 3): torch.cuda.max_memory_allocated for torchvision
resnet50, vgg16 and mobilenet_v2 -- one training step with SGD-momentum in fp32 and with autocast
fp16, and inference, at batch 1, 8 and 32. Writes one JSON file per model into the folder given as
the first argument. Random weights (no download): memory does not depend on the values."""
import json
import os
import sys

import torch
import torchvision

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
MODELS = {"resnet50": torchvision.models.resnet50, "vgg16": torchvision.models.vgg16, "mobilenet_v2": torchvision.models.mobilenet_v2}
BATCHES = [1, 8, 32]


def measure(build, mode, precision, batch):
    torch.cuda.empty_cache()
    model = build(weights=None).cuda()
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    y = torch.randint(0, 1000, (batch,), device="cuda")
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    if mode == "infer":
        model.eval()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=precision == "fp16-autocast"):
            model(x)
    else:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scaler = torch.cuda.amp.GradScaler(enabled=precision == "fp16-autocast")
        with torch.autocast("cuda", dtype=torch.float16, enabled=precision == "fp16-autocast"):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    del model, x, y
    return {"mode": mode, "precision": precision, "batch": batch, "baseBytes": base, "maxMemoryAllocated": peak}


def main():
    torch.backends.cudnn.benchmark = False
    env = {"torch": torch.__version__, "torchvision": torchvision.__version__, "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version(), "device": torch.cuda.get_device_name(0)}
    for name, build in MODELS.items():
        rows = []
        for mode in ["train", "infer"]:
            for precision in ["fp32", "fp16-autocast"]:
                for batch in BATCHES:
                    rows.append(measure(build, mode, precision, batch))
                    print(name, rows[-1], flush=True)
        params = sum(p.numel() for p in build(weights=None).parameters())
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({"model": f"torchvision.models.{name}", "params": params, "optimizer": "SGD(momentum=0.9)",
                       "note": "max_memory_allocated after reset_peak_memory_stats, model and batch already on the GPU; "
                               "train = forward, cross-entropy, backward, optimizer step (the first step: momentum buffers are created in it)",
                       "environment": env, "measurements": rows}, f, indent=2)


if __name__ == "__main__":
    main()
