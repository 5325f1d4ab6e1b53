"""A synthetic metadata dump shaped like the Hub, for the index benchmarks.

``write_dump(path, models=2_000_000, edges=600_000, seed=7)`` writes JSON Lines in the shape
``list_models(expand=["baseModels", "tags"])`` returns, in random order (children often come
before their parents), and returns a ``DumpSummary`` with what a benchmark needs to query.

Shape (deterministic for a seed):
- relations of the links: 42% adapter, 33% finetune, 18% quantized, 7% merge (a merge child
  names two parents);
- heavy-tailed fan-out: a child's parent is a foundation model drawn by a Zipf law, or (35%)
  an earlier derived model, which grows deep chains and makes the biggest families bigger;
  the largest family holds over 50,000 models at the default size;
- about 20% of derived models state their parents only through ``base_model:`` tags, about
  10% of links name the parent in a different letter case, and a few cycles are planted
  (self-links, two-model loops and one loop through the largest family).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RELATION_SHARES = (("adapter", 0.42), ("finetune", 0.33), ("quantized", 0.18), ("merge", 0.07))
_COMMON_TAGS = '"transformers", "safetensors", "text-generation", "license:apache-2.0", "region:us"'


@dataclass(frozen=True)
class DumpSummary:
    path: Path
    models: int
    edges: int
    relations: dict[str, int]
    largest_root: str
    largest_family: int  # descendants of largest_root, computed here independently
    sample_ids: list[str] = field(default_factory=list)  # derived models, for ancestor queries
    cycle_ids: list[str] = field(default_factory=list)


def _model_names(n: int, foundations: np.ndarray) -> list[str]:
    names = [f"user{(i * 7919) % 150_000}/Model-{i}" for i in range(n)]
    for rank, idx in enumerate(foundations.tolist()):
        names[idx] = f"Lab-{rank % 700}/Base-{rank}"
    return names


def _descendant_count(n: int, child: np.ndarray, parent: np.ndarray, root: int) -> int:
    order = np.argsort(parent, kind="stable")
    kids = child[order]
    offsets = np.searchsorted(parent[order], np.arange(n + 1))
    seen = np.zeros(n, dtype=bool)
    seen[root] = True
    frontier = np.array([root])
    count = 0
    while frontier.size:
        nxt = np.concatenate([kids[offsets[f]:offsets[f + 1]] for f in frontier.tolist()])
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        count += int(nxt.size)
        frontier = nxt
    return count


def write_dump(
    path: str | Path, models: int = 2_000_000, edges: int = 600_000, seed: int = 7,
    foundations: int | None = None, zipf: float = 1.05,
) -> DumpSummary:
    rng = np.random.default_rng(seed)
    path = Path(path)
    n_merge_edges = int(round(edges * 0.07)) // 2 * 2
    n_single = edges - n_merge_edges - 1  # one link is kept for the loop through the root
    n_merge_children = n_merge_edges // 2
    n_children = n_single + n_merge_children
    if n_children >= models:
        raise ValueError("need more models than derived children")
    n_found = foundations or max(10, models // 66)

    perm = rng.permutation(models)
    found_idx = perm[:n_found]
    child_idx = perm[n_found:n_found + n_children]
    weights = 1.0 / np.arange(1, n_found + 1) ** zipf
    weights /= weights.sum()

    # Parent of each derived child: an earlier derived child (35%) or a Zipf-drawn foundation.
    def pick_parents(count: int) -> np.ndarray:
        pos = np.arange(count)
        use_derived = (rng.random(count) < 0.35) & (pos > 0)
        earlier = np.floor(rng.random(count) * np.maximum(pos, 1)).astype(np.int64)
        from_found = found_idx[rng.choice(n_found, size=count, p=weights)]
        return np.where(use_derived, child_idx[earlier], from_found)

    first_parent = pick_parents(n_children)
    # Merge children are the last ones; each gets a second, different parent.
    second = pick_parents(n_children)[n_single:]
    same = second == first_parent[n_single:]
    second[same] = np.where(first_parent[n_single:][same] == found_idx[1], found_idx[2],
                            found_idx[1])
    rel_single = rng.choice(
        np.array(["adapter", "finetune", "quantized"]), size=n_single,
        p=np.array([0.42, 0.33, 0.18]) / 0.93,
    )

    names = _model_names(models, found_idx)
    parents: dict[int, list[int]] = {}
    relation_of: dict[int, str] = {}
    for c, p, r in zip(child_idx[:n_single].tolist(), first_parent[:n_single].tolist(),
                       rel_single.tolist(), strict=True):
        parents[c] = [p]
        relation_of[c] = r
    for k, c in enumerate(child_idx[n_single:].tolist()):
        parents[c] = [int(first_parent[n_single + k]), int(second[k])]
        relation_of[c] = "merge"

    # Cycles: re-point a few derived finetunes at themselves or at each other (edge count
    # unchanged), and make the largest root name one of its own grandchildren as base.
    top = int(found_idx[0])
    finetunes = [c for c in child_idx[:2000].tolist() if relation_of[c] == "finetune"]
    cycle_ids: list[str] = []
    for c in finetunes[:3]:
        parents[c] = [c]
        cycle_ids.append(names[c])
    for a, b in zip(finetunes[3:9:2], finetunes[4:10:2], strict=False):
        parents[a], parents[b] = [b], [a]
        cycle_ids.append(names[a])
    grandchild = next(
        (c for c, ps in parents.items() if ps[0] != top and parents.get(ps[0], [-1])[0] == top),
        None,
    )
    if grandchild is not None:
        parents[top] = [grandchild]
        relation_of[top] = "finetune"
        cycle_ids.append(names[top])

    ch = np.fromiter((c for c, ps in parents.items() for _ in ps), dtype=np.int64)
    pa = np.fromiter((p for ps in parents.values() for p in ps), dtype=np.int64)
    largest = _descendant_count(models, ch, pa, top)

    counts: dict[str, int] = {}
    for c, ps in parents.items():
        counts[relation_of[c]] = counts.get(relation_of[c], 0) + len(ps)

    tag_only = rng.random(models) < 0.2
    other_case = rng.random(models) < 0.1
    with path.open("w", encoding="utf-8") as fh:
        for i in rng.permutation(models).tolist():
            name = names[i]
            ps = parents.get(i)
            if ps is None:
                fh.write(f'{{"id": "{name}", "tags": [{_COMMON_TAGS}]}}\n')
                continue
            rel = relation_of[i]
            pnames = [names[p].lower() if other_case[i] else names[p] for p in ps]
            tags = ["transformers", "safetensors", "region:us"]
            for pn in pnames:
                tags += [f"base_model:{pn}", f"base_model:{rel}:{pn}"]
            rec: dict[str, object] = {"id": name, "tags": tags}
            if not tag_only[i]:
                rec["baseModels"] = {"relation": rel, "models": [{"id": pn} for pn in pnames]}
            fh.write(json.dumps(rec) + "\n")
    samples = [names[c] for c in child_idx[n_children - 50:].tolist()]
    return DumpSummary(
        path=path, models=models, edges=len(ch), relations=counts, largest_root=names[top],
        largest_family=largest, sample_ids=samples, cycle_ids=cycle_ids,
    )


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--edges", type=int, default=600_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t0 = time.perf_counter()
    s = write_dump(args.path, args.models, args.edges, args.seed)
    print(f"{s.models} models, {s.edges} edges {s.relations}; largest family "
          f"{s.largest_root}: {s.largest_family}; {time.perf_counter() - t0:.1f}s")
