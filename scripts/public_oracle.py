"""What real PyTorch counts for the public model files of bench/public-models.json (issue 14).

For each entry: the file's folder is extracted at its commit from a local bare mirror
(<cache>/<owner>+<name>/repo, default /work/.mirror, env MEMLENS_PUBLIC_CACHE), the file runs in
its own subprocess with torch 1.13, and then the entry's appended lines run in the file's globals,
as they would at the end of the file. Recorded into the manifest, per entry:

  torch       {"trainable", "frozen", "buffers"}: parameter elements of model.parameters() (a tied
              weight once) that require grad / do not, and the elements of floating-point buffers
              (model.buffers(), persistent or not: what memlens counts as non-trainable weights)
  torchError  when torch could not build or call the model: the exception, in one line

Measuring only, nothing is kept of the files. The run is made safe for scripts that train at
module level: torchvision.datasets classes are replaced by an empty dataset (nothing is
downloaded: a dataset has one sample that raises when loaded, so a training loop stops at its first batch), sys.argv is the file plus the entry's "argv", the
working directory is a scratch folder, and __name__ is not "__main__" (main() guards are skipped;
the appended lines do what a main() would). An exception in the file's own code is recorded
(scriptError) and the appended lines still run, in what the file had defined by then. The
appended lines also call the model on its example input, so a model torch cannot run is
recorded as an error, not counted.

    apt-get install -y python3-torch python3-torchvision     # Debian 12: torch 1.13
    /usr/bin/python3 scripts/public_oracle.py                # every entry, rewrites the manifest
    /usr/bin/python3 scripts/public_oracle.py unet vit/vit   # some entries
The files need what they import: matplotlib (apt-get install -y python3-matplotlib) and einops
(pure Python: pip install --target DIR einops, then PYTHONPATH=DIR).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "bench", "public-models.json")
CACHE = os.environ.get("MEMLENS_PUBLIC_CACHE", "/work/.mirror")


def materialise(entry, into):
    """the Python files of the entry's folder at its commit (mirrors may lack large data files)"""
    git = os.path.join(CACHE, entry["repo"].replace("/", "+"), "repo")
    folder = entry.get("root") or os.path.dirname(entry["path"]) or "."
    cmd = ["git", "--git-dir", git, "ls-tree", "-r", "--name-only", entry["commit"]] + ([] if folder == "." else ["--", folder])
    for name in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines():
        if not name.endswith(".py"):
            continue
        blob = subprocess.run(["git", "--git-dir", git, "show", f"{entry['commit']}:{name}"], check=True, capture_output=True).stdout
        os.makedirs(os.path.join(into, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(into, name), "wb") as fh:
            fh.write(blob)
    return os.path.join(into, entry["path"])


# What both workers (this one and public_peaks.py's) run first: the entry's file loaded as a module
# the way it runs, in a sandbox where no dataset downloads and a module-level training loop stops.
LOADER = r'''
import importlib, json, os, sys, types
import torch
torch.manual_seed(0)
torch.set_num_threads(1)
import torchvision.datasets as tvd

class _NoData(torch.utils.data.Dataset):
    """one sample that cannot be read: samplers accept it, the first batch a script loads stops it"""
    def __init__(self, *a, **k):
        self.classes = []
    def __len__(self):
        return 1
    def __getitem__(self, i):
        raise RuntimeError("the oracle reads no data")

for _n in dir(tvd):
    if isinstance(getattr(tvd, _n), type):
        setattr(tvd, _n, _NoData)


def load_entry(repo, path, argv, out):
    """the file as its own module (a file in a package is that package's module, so that relative
    imports work); an exception in its own code is recorded in `out` and what it defined stays"""
    sys.argv = [path] + argv
    parts = os.path.relpath(path, repo)[:-3].split(os.sep)
    pkg = []
    d = os.path.dirname(path)
    while os.path.exists(os.path.join(d, "__init__.py")) and d.startswith(repo) and d != repo:
        pkg.insert(0, os.path.basename(d))
        d = os.path.dirname(d)
    sys.path[:0] = [d, os.path.dirname(path), repo]
    modname = ".".join(pkg + [parts[-1]]) if pkg else "memlens_oracle_" + parts[-1]
    if pkg:
        try:
            importlib.import_module(".".join(pkg))
        except BaseException as e:
            out["packageError"] = f"{type(e).__name__}: {e}"
    mod = types.ModuleType(modname)
    mod.__file__ = path
    mod.__package__ = ".".join(pkg)
    sys.modules[modname] = mod
    try:
        exec(compile(open(path).read(), path, "exec"), mod.__dict__)
    except BaseException as e:
        out["scriptError"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return mod
'''

WORKER = LOADER + r'''
repo, path, append, argv, model_name = json.loads(sys.argv[1])
out = {}
mod = load_entry(repo, path, argv, out)
try:
    exec(compile("\n".join(append), path + ":appended", "exec"), mod.__dict__)
    model = mod.__dict__[model_name]
    t = f = b = 0
    for p in model.parameters():
        if p.requires_grad:
            t += p.numel()
        else:
            f += p.numel()
    for x in model.buffers():
        if x.is_floating_point():
            b += x.numel()
    out["torch"] = {"trainable": t, "frozen": f, "buffers": b}
except BaseException as e:
    msg = str(e).splitlines()[0] if str(e) else ""
    out["torchError"] = f"{type(e).__name__}: {msg}"[:300]
print("@@" + json.dumps(out))
'''


def measure(entry):
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        path = materialise(entry, repo)
        scratch = os.path.join(tmp, "cwd")
        os.makedirs(scratch)
        arg = json.dumps([repo, path, entry["append"], entry.get("argv", []), entry.get("model", "model")])
        try:
            run = subprocess.run([sys.executable, "-c", WORKER, arg], cwd=scratch, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return {"torchError": "timed out after 300 s"}
        line = next((l for l in run.stdout.splitlines() if l.startswith("@@")), None)
        if line is None:
            return {"torchError": f"the worker failed: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}"}
        return json.loads(line[2:])


def main():
    only = set(sys.argv[1:])
    manifest = json.load(open(MANIFEST))
    import torch
    manifest["torchVersion"] = torch.__version__
    for entry in manifest["models"]:
        if only and entry["id"] not in only:
            continue
        r = measure(entry)
        for k in ("torch", "torchError", "scriptError"):
            entry.pop(k, None)
        for k in ("torch", "torchError", "scriptError"):
            if k in r:
                entry[k] = r[k]
        print(entry["id"], r.get("torch") or r.get("torchError"), r.get("scriptError", ""), flush=True)
    with open(MANIFEST, "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
