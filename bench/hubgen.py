"""Synthetic lineage families in the offline mirror layout ("mlbom-mirror/1"), for benchmarks.

``write_families(root, specs)`` writes one mirror folder holding a family per ``FamilySpec``;
the fake Hub (``tests/fakehub.py``) serves it. A family of depth D and width W:

- level 0 is the target; levels 1 .. D-1 hold W models each (1 when W is 1), so the longest
  chain from the target down to a foundation model holds exactly D models;
- the target merges all W level-1 models (a mergekit recipe and a multi-entry ``base_model``);
- below it, model ``i`` of level ``k`` derives from model ``i`` of level ``k+1``; its relation
  rotates through fine-tune (card ``base_model`` and training ``datasets``), adapter (an
  ``adapter_config.json``), quantized (a tiny real GGUF whose header names the base) and, in
  ``braid`` families, merge (models ``i`` and ``i+1`` of the next level, recipe embedded in
  the README);
- the last level holds foundation models (a ``config.json``, no parent).

So the resolver does the file reads a real lineage makes: adapter configs, mergekit recipes,
README bodies of merges, GGUF heads, and ``config.json`` of foundation models (the weak
``_name_or_path`` hint is looked for when nothing else names a parent).

Built with ``fixtures/make_hub.py``'s ``HubBuilder``, so info.json answers are shaped exactly
like the bundled snapshot's (tags, ``baseModels``, siblings with blob ids and LFS sha256).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "fixtures") not in sys.path:
    sys.path.insert(0, str(REPO / "fixtures"))

from make_hub import HubBuilder, adapter_config, config_json, tiny_gguf  # noqa: E402

RELATIONS = ("finetune", "adapter", "quantized", "merge")


@dataclass(frozen=True)
class FamilySpec:
    depth: int  # models in the longest chain, target included (>= 1)
    width: int  # models per level below the target (>= 1)
    braid: bool = True  # inner merges between neighbouring chains (needs width >= 2)
    # lineage verification data: "" (configs as before, weights not shipped), "headers"
    # (real Llama-3.2-1B configs and safetensors headers) or "hub-params" (the same
    # configs, weights described by the Hub's parameter counts instead of a header)
    shapes: str = ""

    @property
    def name(self) -> str:
        suffix = {"": "", "headers": "h", "hub-params": "p"}[self.shapes]
        return f"d{self.depth}w{self.width}{'m' if self.braid and self.width > 1 else ''}{suffix}"

    @property
    def target(self) -> str:
        return f"fam-{self.name}/target"

    def model_id(self, level: int, index: int) -> str:
        if level == 0:
            return self.target
        return f"fam-{self.name}/l{level}-m{index}"

    def level_width(self, level: int) -> int:
        return 1 if level == 0 else self.width

    @property
    def n_models(self) -> int:
        return 1 + (self.depth - 1) * self.width


@functools.cache
def _gguf_bytes(name: str, base: str) -> bytes:
    org = base.split("/")[0]
    return tiny_gguf("llama", name, "apache-2.0", 15, [(base.split("/")[-1], org, base)])


def _relation(spec: FamilySpec, level: int, index: int) -> str:
    if level == 0:
        return "merge" if spec.width > 1 else "finetune"
    rel = RELATIONS[(level + index) % (4 if spec.braid and spec.width > 1 else 3)]
    return rel


def _mergekit_yaml(parents: list[str]) -> str:
    lines = ["merge_method: ties", f"base_model: {parents[0]}", "models:"]
    for p in parents:
        lines += [f"  - model: {p}", "    parameters:", "      weight: 0.5", "      density: 0.5"]
    lines += ["dtype: bfloat16", ""]
    return "\n".join(lines)


def add_family(hub: HubBuilder, spec: FamilySpec) -> str:
    """Add every repo of ``spec`` to ``hub`` (foundations first, so parents exist); return
    the target's repo id."""
    if spec.depth < 1 or spec.width < 1:
        raise ValueError(f"bad family {spec}")
    ns = f"fam-{spec.name}"
    datasets = [f"{ns}-data/corpus-{j}" for j in range(2)]
    for ds in datasets:
        hub.dataset(ds, card={"license": "cc-by-4.0", "language": ["en"]},
                    body=f"# {ds}\n\nA synthetic corpus.")
    for level in range(spec.depth - 1, -1, -1):
        for i in range(spec.level_width(level)):
            _add_model(hub, spec, level, i, datasets)
    return spec.target


def _add_model(hub: HubBuilder, spec: FamilySpec, level: int, i: int,
               datasets: list[str]) -> None:
    repo_id = spec.model_id(level, i)
    cfg = config_json("LlamaForCausalLM", "llama", hidden_size=2048,
                      _name_or_path=f"/scratch/run-{level}-{i}")
    lfs = {"model.safetensors": 2_000_000_000}
    shapes = _shape_files(spec)
    if shapes:
        cfg = {**shapes["config"], "_name_or_path": f"/scratch/run-{level}-{i}"}
        if "weights" in shapes:  # the header ships; the weights are not described twice
            lfs = {}
    if level == spec.depth - 1:  # a foundation model: no parent
        hub.model(repo_id, card={"license": "apache-2.0", "library_name": "transformers",
                                 "pipeline_tag": "text-generation"},
                  body=f"# {repo_id}\n\nA foundation model.",
                  files={"config.json": cfg, **shapes.get("weights", {})}, lfs=lfs,
                  downloads=1000 + i, likes=10, **shapes.get("info", {}))
        return
    nxt = level + 1
    rel = _relation(spec, level, i)
    if level == 0:
        parents = [spec.model_id(1, j) for j in range(spec.width)]
    elif rel == "merge":
        parents = [spec.model_id(nxt, i), spec.model_id(nxt, (i + 1) % spec.width)]
    else:
        parents = [spec.model_id(nxt, i)]
    card: dict[str, object] = {"license": "apache-2.0", "library_name": "transformers",
                               "base_model": parents if len(parents) > 1 else parents[0]}
    files: dict[str, bytes | str | dict[str, object]] = {}
    body = f"# {repo_id}\n\nDerived from {', '.join(parents)}."
    info: dict[str, object] = dict(shapes.get("info", {}))
    if rel == "finetune":
        card["datasets"] = datasets
        files["config.json"] = cfg
        files.update(shapes.get("weights", {}))
    elif rel == "adapter":
        card["library_name"] = "peft"
        files["adapter_config.json"] = adapter_config(parents[0])
        lfs = {"adapter_model.safetensors": 40_000_000}
        if shapes:
            files["adapter_model.safetensors"] = shapes["adapter"]
            lfs, info = {}, {}
    elif rel == "quantized":
        card["quantized_by"] = "bench"
        files[f"{repo_id.split('/')[-1]}.Q4_K_M.gguf"] = (
            shapes["gguf"](repo_id, parents[0]) if shapes else _gguf_bytes(repo_id, parents[0]))
        lfs, info = {}, {}
    else:  # merge
        card["tags"] = ["merge", "mergekit"]
        card["base_model_relation"] = "merge"
        recipe = _mergekit_yaml(parents)
        if level == 0:
            files["mergekit_config.yml"] = recipe
        else:
            body += f"\n\n## Configuration\n\n```yaml\n{recipe}```\n"
        files["config.json"] = cfg
        files.update(shapes.get("weights", {}))
    hub.model(repo_id, card=card, body=body, files=files, lfs=lfs, downloads=10 + i, likes=1,
              **info)


@functools.cache
def _shape_data(kind: str) -> dict[str, Any]:
    from verify_hub import LLAMA32_1B, gguf_file, lora_tensors, model_tensors, safetensors_bytes

    out: dict[str, Any] = {
        "config": LLAMA32_1B,
        "adapter": safetensors_bytes(lora_tensors(LLAMA32_1B, ["q_proj", "k_proj", "v_proj",
                                                               "o_proj"])),
        "gguf": functools.cache(lambda repo, base: gguf_file("llama", LLAMA32_1B,
                                                             repo.split("/")[-1], base)),
    }
    if kind == "headers":
        out["weights"] = {"model.safetensors": safetensors_bytes(model_tensors(LLAMA32_1B))}
    else:
        out["info"] = {"params": 1_235_814_400}
    return out


def _shape_files(spec: FamilySpec) -> dict[str, Any]:
    return _shape_data(spec.shapes) if spec.shapes else {}


def write_families(root: Path, specs: list[FamilySpec]) -> dict[str, FamilySpec]:
    """Write a mirror folder at ``root`` holding every family; return target id -> spec."""
    hub = HubBuilder()
    targets = {add_family(hub, spec): spec for spec in specs}
    hub.write(root)
    return targets


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write synthetic lineage families as a mirror.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--family", action="append", default=[], metavar="DxW",
                    help="depth x width, e.g. 4x8 (repeatable; default 2x2)")
    args = ap.parse_args()
    wanted = [FamilySpec(*map(int, f.lower().split("x"))) for f in args.family or ["2x2"]]
    for target, spec in write_families(args.out, wanted).items():
        print(f"{target}: depth {spec.depth}, width {spec.width}, {spec.n_models} models")
