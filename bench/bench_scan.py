"""Benchmark: ``mlbom scan`` on a synthetic monorepo (issue 16: 50,000 files with 500
references in at most 10 s on the 2-core machine, peak memory under 500 MB).

The tree is written once into a temporary folder: Python packages (a third of the files
mention "model", as ML code does, so the prefilter lets them through to ``ast``), notebooks,
YAML/JSON configs, Dockerfiles and shell scripts, plus the files a real checkout also holds
(Markdown, JavaScript, images, a ``.git`` folder, a virtualenv and ``node_modules`` that must
be skipped). 500 of the files name a model in one of the ways the scanner knows; the
benchmark checks all 500 are found, so a fast scan that misses references cannot pass.

Peak memory is the scanning process plus its worker processes (each measured by
``getrusage`` in the child that ran the scan), an upper bound on what was resident at once.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from common import Row, run_child, smoke_or

GOAL_S = 10.0
GOAL_MIB = 500.0

_PY_PLAIN = '''"""Module {i}: helpers."""
import os
import json


def load_{i}(path):
    with open(path) as fh:
        return json.load(fh)


class Handler{i}:
    def __init__(self, cfg):
        self.cfg = cfg
        self.items = []

    def run(self, values):
        out = []
        for v in values:
            if v is None:
                continue
            out.append(v * {i})
        return out
'''
_PY_MODEL_WORDS = '''"""Model utilities {i}: nothing loaded, but the word model is everywhere."""
import torch


class ModelWrapper{i}(torch.nn.Module):
    def __init__(self, model, tokenizer=None):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer

    def forward(self, batch):
        return self.model(**batch)


def build_model_{i}(config):
    model = ModelWrapper{i}(config.model)
    return model
'''
_REFERENCES = [
    ("py", 'from transformers import AutoModel\nMODEL = "org{i}/model-{i}"\n'
           'm = AutoModel.from_pretrained(MODEL)\n'),
    ("py", 'from sentence_transformers import SentenceTransformer\n'
           'e = SentenceTransformer("org{i}/embed-{i}")\n'),
    ("yml", 'base_model: org{i}/base-{i}\nlearning_rate: 0.0002\n'),
    ("Dockerfile", 'FROM python:3.11\nRUN hf download org{i}/served-{i}\n'),
    ("sh", '#!/bin/sh\nvllm serve org{i}/vllm-{i} --port 8000\n'),
]


def _write_tree(root: Path, files: int, references: int, seed: int = 16) -> int:
    rng = random.Random(seed)
    written = 0
    ref_slots = set(rng.sample(range(files), references))
    for i in range(files):
        folder = root / f"pkg{i % 97}" / f"sub{i % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        if i in ref_slots:
            kind, body = _REFERENCES[i % len(_REFERENCES)]
            if kind == "Dockerfile":  # one Dockerfile a folder, as in a real tree
                folder = folder / f"docker{i}"
                folder.mkdir()
            name = "Dockerfile" if kind == "Dockerfile" else f"f{i}.{kind}"
            (folder / name).write_text(body.format(i=i))
        else:
            r = i % 10
            if r < 4:
                (folder / f"f{i}.py").write_text(_PY_PLAIN.format(i=i))
            elif r < 6:
                (folder / f"f{i}.py").write_text(_PY_MODEL_WORDS.format(i=i))
            elif r == 6:
                (folder / f"f{i}.md").write_text(f"# Notes {i}\n\nThe model is described here.\n")
            elif r == 7:
                (folder / f"f{i}.js").write_text(f"export const x{i} = {i};\n")
            elif r == 8:
                (folder / f"f{i}.json").write_text(json.dumps({"name": f"x{i}", "n": i}))
            else:
                (folder / f"f{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
        written += 1
    for skipped in (".git/objects", "node_modules/pkg", ".venv/lib/site"):
        (root / skipped).mkdir(parents=True, exist_ok=True)
        for j in range(50):
            (root / skipped / f"s{j}.py").write_text(
                'from transformers import AutoModel\nAutoModel.from_pretrained("skip/me")\n')
    return written


_CHILD = """
import json, resource, sys, time
from lineage.scan import scan_tree
t0 = time.perf_counter()
result = scan_tree(sys.argv[1])
wall = time.perf_counter() - t0
ids = {r.id for r in result.references}
print(json.dumps({"wall": wall, "found": len(ids), "skip_leaked": "skip/me" in ids,
                  "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "files": result.files_seen, "read": result.files_read}))
"""


def run(smoke: bool) -> list[Row]:
    import os

    files = smoke_or(smoke, 600, 50_000)
    references = smoke_or(smoke, 10, 500)
    root = Path(tempfile.mkdtemp(prefix="mlbom-bench-scan-"))
    try:
        _write_tree(root, files, references)
        out, _, _ = run_child(_CHILD, str(root))
        facts = json.loads(out)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if facts["found"] != references or facts["skip_leaked"]:
        raise RuntimeError(f"scan found {facts['found']} of {references} references "
                           f"(skipped folders leaked: {facts['skip_leaked']})")
    workers = os.cpu_count() or 1
    peak = (facts["self_kib"] + workers * facts["children_kib"]) / 1024
    note = (f"{facts['files']} files walked, {facts['read']} read by a detector, all "
            f"{references} references found, {workers} worker processes")
    return [
        Row(name=f"scan {files:,} files / {references} references", measured=round(
            facts["wall"], 2), unit="s", goal=GOAL_S, notes=note),
        Row(name="scan peak memory (main + workers)", measured=round(peak, 1), unit="MiB",
            goal=GOAL_MIB),
    ]
