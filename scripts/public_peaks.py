"""What torch 1.13's CPU allocator holds for one step of the public models of bench/public-models.json
(issue 15: unseen models), for memlens' expected peak (`npm run bench -- public` prints the ratios).

For each case below the entry's file runs as scripts/public_oracle.py runs it (its folder extracted
from the local bare mirror, the entry's appended lines after it, one thread), then:
  infer  model.eval(); under torch.no_grad() the entry's own call (`out = model(x)`), once to warm
         up, once measured;
  train  model.train(); every p.grad = None; the case's training lines (the call and a loss,
         backward), once to warm up, once measured.
The peak is the maximum running sum of the profiler's '[memory]' records during the measured run,
relative to before it (scripts/python_oracle.py's profile_step). Writes bench/public-peaks.json:
per case the two peaks and the lines memlens analyses for each mode.

    /usr/bin/python3 scripts/public_peaks.py                   # every case
    /usr/bin/python3 scripts/public_peaks.py minGPT/gpt-nano   # some cases, the others kept
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from public_oracle import CACHE, LOADER, MANIFEST, materialise  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "public-peaks.json")

CE = ["import torch.nn.functional as F", "y = torch.zeros(out.shape[0], dtype=torch.long)", "loss = F.cross_entropy(out, y)", "loss.backward()"]
NLL = ["import torch.nn.functional as F", "y = torch.zeros(out.shape[0], dtype=torch.long)", "loss = F.nll_loss(out, y)", "loss.backward()"]
MSE = ["import torch.nn.functional as F", "y = torch.zeros_like(out)", "loss = F.mse_loss(out, y)", "loss.backward()"]
# id -> the lines after the entry's own appended lines that make a training step; a list whose first
# line starts with "out = model(" replaces the entry's own call for training (a model that takes
# its targets)
CASES = {
    **{m: CE for m in ["cifar/LeNet", "cifar/VGG", "cifar/ResNet18", "cifar/ResNet50", "cifar/PreActResNet18", "cifar/GoogLeNet", "cifar/DenseNet121", "cifar/MobileNet", "cifar/MobileNetV2", "cifar/ResNeXt29_2x64d", "cifar/SENet18", "cifar/DPN92", "cifar/EfficientNetB0", "cifar/RegNetX_200MF", "cifar/SimpleDLA", "cifar/PNASNetB", "cifar/ShuffleNetV2", "cifar/DLA"]},
    **{m: CE for m in ["cifar100/vgg16_bn", "cifar100/resnet18", "cifar100/resnet50", "cifar100/densenet121", "cifar100/googlenet", "cifar100/mobilenet", "cifar100/mobilenetv2", "cifar100/squeezenet", "cifar100/preactresnet18", "cifar100/seresnet18", "cifar100/shufflenetv2", "cifar100/resnext50", "cifar100/attention56", "cifar100/xception", "cifar100/inceptionv3"]},
    "examples/mnist": NLL,
    "examples/mnist_rnn": NLL,
    "examples/regression": MSE,
    "examples/time_sequence": MSE,
    "examples/word_lm_lstm": NLL,
    "examples/word_lm_gru_tied": NLL,
    # [35, 4, 1000] log-probabilities: flattened to rows, as the example's training loop does
    "examples/word_lm_transformer": ["import torch.nn.functional as F", "y = torch.zeros(out.shape[0] * out.shape[1], dtype=torch.long)", "loss = F.nll_loss(out.view(-1, out.shape[2]), y)", "loss.backward()"],
    "examples/super_resolution": MSE,
    "examples/fast_neural_style": MSE,
    "examples/siamese": MSE,
    "examples/vae": ["import torch.nn.functional as F", "y = torch.zeros_like(out[0])", "loss = F.mse_loss(out[0], y)", "loss.backward()"],
    "unet": ["import torch.nn.functional as F", "y = torch.zeros(out.shape[0], out.shape[2], out.shape[3], dtype=torch.long)", "loss = F.cross_entropy(out, y)", "loss.backward()"],
    "nanoGPT/small": ["out = model(x, x)", "loss = out[1]", "loss.backward()"],
    "minGPT/gpt-nano": ["out = model(x, x)", "loss = out[1]", "loss.backward()"],
    **{m: MSE for m in ["gan/gan_G", "gan/dcgan_D", "gan/wgan_G", "gan/cyclegan_G", "gan/cyclegan_D", "gan/pix2pix_G", "gan/srgan_G", "gan/esrgan_G"]},
}

WORKER = LOADER + r'''
import gc
repo, path, append, train_lines, scripts, argv, model_name = json.loads(sys.argv[1])
sys.path.insert(0, scripts)
from python_oracle import profile_step
mod = load_entry(repo, path, argv, {})
g = mod.__dict__
exec(compile("\n".join(append), path + ":appended", "exec"), g)
# the appended call already ran once: what it left (a recurrent model's hidden state) is kept as
# values, not as a graph a second backward would run through
def _detached(v):
    if isinstance(v, torch.Tensor):
        return v.detach()
    if isinstance(v, tuple):
        return tuple(_detached(x) for x in v)
    return v
for _k in list(g):
    g[_k] = _detached(g[_k])
model = g[model_name]
call = [l for l in append if model_name + "(" in l][-1]

def infer_step():
    model.eval()
    with torch.no_grad():
        exec(call, dict(g))

def train_step():
    model.train()
    scope = dict(g)
    own = train_lines[0].startswith("out = model(")
    exec("\n".join(train_lines if own else [call] + train_lines), scope)
    scope.clear()

out = {}
for name, step in (("infer", infer_step), ("train", train_step)):
    step()
    for p in model.parameters():
        p.grad = None
    gc.collect()
    out[name] = profile_step(step)[0]
print("@@" + json.dumps(out))
'''


def measure(entry, train):
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        path = materialise(entry, repo)
        scratch = os.path.join(tmp, "cwd")
        os.makedirs(scratch)
        arg = json.dumps([repo, path, entry["append"], train, os.path.dirname(os.path.abspath(__file__)), entry.get("argv", []), entry.get("model", "model")])
        run = subprocess.run([sys.executable, "-c", WORKER, arg], cwd=scratch, capture_output=True, text=True, timeout=600)
        line = next((l for l in run.stdout.splitlines() if l.startswith("@@")), None)
        if line is None:
            raise RuntimeError(f"{entry['id']}: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}")
        return json.loads(line[2:])


def main():
    import torch
    from python_oracle import cpu_vector_bits
    manifest = {e["id"]: e for e in json.load(open(MANIFEST))["models"]}
    only = set(sys.argv[1:])
    # some cases only: the others keep their recorded figures
    cases = json.load(open(OUT))["cases"] if only and os.path.exists(OUT) else {}
    for case_id, train in CASES.items():
        if only and case_id not in only:
            continue
        peaks = measure(manifest[case_id], train)
        cases[case_id] = {"train": train, "peak": peaks}
        print(case_id, peaks, flush=True)
    doc = {"torch": torch.__version__, "cpuVectorBits": cpu_vector_bits(), "cache": CACHE, "cases": cases}
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
