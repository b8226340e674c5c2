"""Ground truth for memlens's own Python descriptions of torchvision's models
(server/src/core/python/library/torchvision/), measured with the real torchvision.

Each case below is a few lines of user code that build `model` (a builder with weights=None,
perhaps with arguments or a transfer-learning edit). The oracle runs, in one namespace,

    import torch / import torch.nn as nn / import torchvision      (HEADER)
    <the case's code>
    model.eval(); x = torch.randn(1, 3, 224, 224); with torch.no_grad(): out = model(x)   (TRAILER)

and records into test/fixtures/python/torchvision_oracle.json, per case:

  code     the case's lines, verbatim: test/unit/python/torchvision.test.ts analyses
           HEADER + code + TRAILER, the same text
  params   trainable / frozen parameter elements over model.parameters() and the elements of
           the floating-point buffers (BatchNorm's running statistics; the integer
           num_batches_tracked counters are left out, as memlens counts them apart)
  output   the shape of `out`
  modules  (only for the cases marked leaves=True) every leaf module by qualified name, one
           entry per call: the shapes of the tensors it returned, flattened in order; a leaf
           never called (GoogLeNet's auxiliary heads in eval mode) has []

All cases run in one process, with one thread (nothing here depends on allocator state). Debian 12 ships torch 1.13 and
torchvision 0.14 (apt-get install -y python3-torch python3-torchvision). From the repository root:

    /usr/bin/python3 scripts/torchvision_oracle.py                  # all cases (10-15 minutes on two cores: weight init of the big models)
    /usr/bin/python3 scripts/torchvision_oracle.py resnet18 vgg16 --out /tmp/o.json
    /usr/bin/python3 scripts/torchvision_oracle.py resnet18 --merge   # re-measure some, keep the rest

Weights are never downloaded: weights=None everywhere (the values do not change what is counted).
"""
import argparse
import datetime
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "python", "torchvision_oracle.json")

HEADER = "import torch\nimport torch.nn as nn\nimport torchvision\n"
TRAILER = "model.eval()\nx = torch.randn(1, 3, 224, 224)\nwith torch.no_grad():\n    out = model(x)\n"

BUILDERS = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "alexnet", "squeezenet1_0", "squeezenet1_1",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "googlenet", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
    "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32",
    "inception_v3", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
]

# every leaf module's output shapes for these
LEAVES = {"resnet50", "mobilenet_v2", "densenet121", "efficientnet_b0", "googlenet"}


def cases():
    out = {}
    for b in BUILDERS:
        out[b] = {"code": f"model = torchvision.models.{b}(weights=None)\n", "leaves": b in LEAVES}
    # builder arguments
    extra = {
        "resnet18_classes10": "model = torchvision.models.resnet18(weights=None, num_classes=10)\n",
        "resnet50_dilated": "model = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=[False, True, True])\n",
        "vgg16_bn_classes10": "model = torchvision.models.vgg16_bn(weights=None, num_classes=10, dropout=0.3)\n",
        "mobilenet_v2_width05": "model = torchvision.models.mobilenet_v2(weights=None, width_mult=0.5, num_classes=10)\n",
        "mobilenet_v3_large_tail": "model = torchvision.models.mobilenet_v3_large(weights=None, reduced_tail=True, dilated=True)\n",
        "googlenet_noaux": "model = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False)\n",
        "googlenet_transform": "model = torchvision.models.googlenet(weights=None, aux_logits=False, transform_input=True)\n",
        "densenet121_drop": "model = torchvision.models.densenet121(weights=None, drop_rate=0.2, num_classes=10)\n",
        "efficientnet_b0_classes10": "model = torchvision.models.efficientnet_b0(weights=None, num_classes=10)\n",
        "squeezenet1_1_classes10": "model = torchvision.models.squeezenet1_1(weights=None, num_classes=10)\n",
        "vit_b_16_classes10": "model = torchvision.models.vit_b_16(weights=None, num_classes=10)\n",
        "inception_v3_noaux": "model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)\n",
        # transfer learning: a new head on the built model
        "resnet50_new_fc": "model = torchvision.models.resnet50(weights=None)\nmodel.fc = nn.Linear(model.fc.in_features, 10)\n",
        "mobilenet_v2_new_classifier": (
            "model = torchvision.models.mobilenet_v2(weights=None)\n"
            "model.classifier[1] = nn.Linear(model.classifier[1].in_features, 10)\n"
        ),
        "efficientnet_b0_new_classifier": (
            "model = torchvision.models.efficientnet_b0(weights=None)\n"
            "model.classifier[1] = nn.Linear(model.classifier[1].in_features, 10)\n"
        ),
        "vgg16_new_classifier": (
            "model = torchvision.models.vgg16(weights=None)\n"
            "model.classifier[6] = nn.Linear(4096, 10)\n"
        ),
        "densenet121_new_classifier": (
            "model = torchvision.models.densenet121(weights=None)\n"
            "model.classifier = nn.Linear(model.classifier.in_features, 10)\n"
        ),
        "mobilenet_v2_gray_stem": (
            "model = torchvision.models.mobilenet_v2(weights=None)\n"
            "model.features[0][0] = nn.Conv2d(3, 32, 3, 2, 1, bias=False)\n"
            "model.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(1280, 256), nn.ReLU(), nn.Linear(256, 5))\n"
        ),
        # a frozen backbone, then a new (trainable) head
        "resnet18_frozen": (
            "model = torchvision.models.resnet18(weights=None)\n"
            "for p in model.parameters():\n"
            "    p.requires_grad = False\n"
            "model.fc = nn.Linear(model.fc.in_features, 10)\n"
        ),
        "mobilenet_v2_frozen_features": (
            "model = torchvision.models.mobilenet_v2(weights=None)\n"
            "for p in model.features.parameters():\n"
            "    p.requires_grad = False\n"
            "model.classifier[1] = nn.Linear(model.last_channel, 3)\n"
        ),
    }
    for k, code in extra.items():
        out[k] = {"code": code, "leaves": False}
    return out


def flatten(v):
    if isinstance(v, (tuple, list)):
        return [t for x in v for t in flatten(x)]
    import torch
    return [v] if isinstance(v, torch.Tensor) else []


def measure(case):
    """Runs in a subprocess: one case."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ns = {}
    exec(HEADER + case["code"], ns)
    model = ns["model"]
    calls = {}
    if case["leaves"]:
        for name, m in model.named_modules():
            if len(list(m.children())) == 0:
                calls[name] = []
                m.register_forward_hook(lambda mod, i, o, name=name: calls[name].append([list(t.shape) for t in flatten(o)]))
    exec(TRAILER, ns)
    params = {
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "frozen": sum(p.numel() for p in model.parameters() if not p.requires_grad),
        "buffers": sum(b.numel() for b in model.buffers() if b.is_floating_point()),
    }
    rec = {"code": case["code"], "params": params, "output": [list(t.shape) for t in flatten(ns["out"])]}
    if case["leaves"]:
        rec["modules"] = calls
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--merge", action="store_true", help="update these cases in the existing file")
    args = ap.parse_args()
    import torch
    import torchvision
    table = cases()
    models = {}
    if args.merge and os.path.exists(args.out):
        with open(args.out) as f:
            models = json.load(f)["models"]
    for i in args.ids or list(table):
        models[i] = measure(table[i])
        print(i, models[i]["params"], models[i]["output"], file=sys.stderr)
    doc = {
        "meta": {
            "generator": "scripts/torchvision_oracle.py",
            "date": datetime.date.today().isoformat(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "header": HEADER,
            "trailer": TRAILER,
        },
        "models": {k: models[k] for k in table if k in models},
    }
    write(doc, args.out)


def write(doc, path):
    # shapes (lists of numbers, however nested) are written on one line: one line per leaf
    def numeric(v):
        return isinstance(v, list) and all(isinstance(x, int) or numeric(x) for x in v)

    def dump(v, indent):
        pad = " " * indent
        if numeric(v):
            return json.dumps(v)
        if isinstance(v, dict) and v:
            items = [f'{pad} {json.dumps(k)}: {dump(x, indent + 1)}' for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        return json.dumps(v)

    with open(path, "w") as f:
        f.write(dump(doc, 0) + "\n")


if __name__ == "__main__":
    main()
