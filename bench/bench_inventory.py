"""Benchmark: inventory ingest rate, ``affected`` latency and peak memory, SQLite and PostgreSQL.

Workload: ``--products`` (10,000) product BOMs written as mlbom does, ~8 lineage nodes each,
drawn from a synthetic Hub-like graph: 40 foundations, each with a six-level tree of
fine-tunes, adapters, quantizations; one popular foundation (``found/popular``) is the root of
half the products (5,000 descendants), at two commits. One product in ten merges two models
(some of them diamonds back to the same foundation); one in three lists a training dataset.

Each engine runs in its own process (so ``ru_maxrss`` is that engine's peak): it ingests every
BOM through ``Store.add_boms`` (one product version per call, one transaction each, as
``mlbom inventory add`` does), then times ``find_affected`` for ``--queries`` items drawn
uniformly from the repo ids in the graph, plus the popular foundation itself.

    python bench/bench_inventory.py            # full run, writes bench/results/inventory.json
    python bench/bench_inventory.py --smoke    # tiny sizes, for CI

PostgreSQL: ``--pg-url URL``, else a throw-away server is started from Debian's binaries
(durable defaults: fsync and synchronous_commit on); skipped when neither is available.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from sbom.atomic import write_atomic  # noqa: E402
from sbom.inventory.affected import find_affected  # noqa: E402
from sbom.inventory.store import open_store  # noqa: E402

POPULAR = "found/popular"
GOALS = {"ingest_boms_per_s": (500.0, "min"), "affected_p99_ms": (50.0, "max")}


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


class HubGraph:
    """Models with their parents, grouped in levels under each foundation."""

    def __init__(self, rng: random.Random, foundations: int, level_sizes: list[int]) -> None:
        self.parents: dict[str, list[tuple[str, str]]] = {}
        self.sha: dict[str, str] = {}
        self.leaves: dict[str, list[str]] = {}
        relations = ["finetune"] * 6 + ["adapter"] * 2 + ["quantized"] * 2
        for f in range(foundations):
            root = POPULAR if f == 0 else f"found/base-{f}"
            self.parents[root] = []
            self.sha[root] = _sha(rng)
            level = [root]
            for depth, size in enumerate(level_sizes, start=1):
                nxt = []
                for i in range(size):
                    name = f"org{rng.randrange(500)}/{root.split('/')[1]}-d{depth}-{i}"
                    self.parents[name] = [(rng.choice(relations), rng.choice(level))]
                    self.sha[name] = _sha(rng)
                    nxt.append(name)
                level = nxt
            self.leaves[root] = level

    def lineage(self, model: str) -> list[tuple[str, str, str]]:
        edges, stack, seen = [], [model], set()
        while stack:
            child = stack.pop()
            for relation, parent in self.parents[child]:
                edges.append((child, relation, parent))
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return edges


def _component(name: str, sha: str | None) -> dict[str, Any]:
    kind = "data" if name.startswith("dataset:") else "machine-learning-model"
    ref = name.lower() if kind == "data" else f"model:{name.lower()}"
    comp: dict[str, Any] = {"type": kind, "bom-ref": ref, "name": name.split(":")[-1]}
    if sha:
        comp["version"] = sha
        comp["purl"] = f"pkg:huggingface/{name}@{sha}"
    return comp


def product_bom(product_model: str, edges: list[tuple[str, str, str]], sha: dict[str, str],
                rng: random.Random) -> dict[str, Any]:
    comps = {n: _component(n, sha.get(n)) for e in edges for n in (e[0], e[2])}
    comps.setdefault(product_model, _component(product_model, sha.get(product_model)))
    deps: dict[str, list[str]] = {c["bom-ref"]: [] for c in comps.values()}
    for child, relation, parent in edges:
        pref = comps[parent]["bom-ref"]
        deps[comps[child]["bom-ref"]].append(pref)
        if not parent.startswith("dataset:"):
            comps[child].setdefault("properties", []).append(
                {"name": "mlbom:lineage:parent", "value": f"{relation} {pref}"})
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{rng.getrandbits(128):032x}", "version": 1,
        "metadata": {"component": comps[product_model]},
        "components": [c for n, c in comps.items() if n != product_model],
        "dependencies": [{"ref": r, "dependsOn": d} for r, d in deps.items()],
    }


def make_workload(folder: Path, products: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    scale = max(products / 10_000, 0.02)
    sizes = [max(2, int(s * scale)) for s in (8, 30, 80, 160, 260, 400)]
    hub = HubGraph(rng, foundations=40, level_sizes=sizes)
    old_popular = _sha(rng)
    others = [f for f in hub.leaves if f != POPULAR]
    node_counts = []
    for i in range(products):
        foundation = POPULAR if i % 2 == 0 else rng.choice(others)
        base = rng.choice(hub.leaves[foundation])
        model = f"acme{i % 97}/product-{i}"
        edges = [(model, "finetune", base)] + hub.lineage(base)
        if i % 10 == 5:  # merges: half of them diamonds back to the same foundation
            other = rng.choice(hub.leaves[foundation if i % 20 == 5 else rng.choice(others)])
            edges = [(model, "merge", base), (model, "merge", other)] + hub.lineage(base)
            edges += [e for e in hub.lineage(other) if e not in edges]
        if i % 3 == 0:
            edges.append((base, "trained_on", f"dataset:data{rng.randrange(50)}/set"))
        shas = dict(hub.sha)
        shas[model] = _sha(rng)
        if foundation == POPULAR and i % 4 == 0:
            shas[POPULAR] = old_popular  # a quarter of the products pin an older commit
        doc = product_bom(model, edges, shas, rng)
        node_counts.append(1 + len(doc["components"]))
        (folder / f"p{i:05d}.json").write_text(json.dumps(doc), encoding="utf-8")
    return {
        "products": products,
        "hub_models": len(hub.parents),
        "mean_nodes_per_bom": round(statistics.fmean(node_counts), 2),
        "repo_ids": sorted(hub.parents),
        "popular_descendants": (products + 1) // 2,
        "popular_old_sha": old_popular,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_engine(engine: str, url: str, folder: str, workload: dict[str, Any], queries: int,
               out: Any) -> None:
    files = sorted(Path(folder).glob("p*.json"))
    with open_store(url) as store:
        start = time.perf_counter()
        for i, path in enumerate(files):
            store.add_boms([path], f"product-{i}", "1.0")
        ingest_s = time.perf_counter() - start
        rng = random.Random(11)
        items = [rng.choice(workload["repo_ids"]) for _ in range(queries)]
        find_affected(store, POPULAR)  # warm caches once
        latencies, hits = [], []
        for item in items + [POPULAR]:
            t0 = time.perf_counter()
            found = find_affected(store, item)
            latencies.append((time.perf_counter() - t0) * 1000)
            hits.append(len(found))
        t0 = time.perf_counter()
        popular = find_affected(store, POPULAR)
        popular_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        pinned = find_affected(store, f"{POPULAR}@{workload['popular_old_sha'][:10]}")
        pinned_ms = (time.perf_counter() - t0) * 1000
    out.put({
        "engine": engine,
        "ingest_s": round(ingest_s, 3),
        "ingest_boms_per_s": round(len(files) / ingest_s, 1),
        "affected_queries": len(latencies),
        "affected_p50_ms": round(_percentile(latencies, 0.50), 2),
        "affected_p99_ms": round(_percentile(latencies, 0.99), 2),
        "affected_max_ms": round(max(latencies), 2),
        "affected_mean_hits": round(statistics.fmean(hits), 1),
        "popular_unpinned_ms": round(popular_ms, 2),
        "popular_unpinned_hits": len(popular),
        "popular_pinned_ms": round(pinned_ms, 2),
        "popular_pinned_hits": len(pinned),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })


def _in_process(engine: str, url: str, folder: str, workload: dict[str, Any],
                queries: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=run_engine, args=(engine, url, folder, workload, queries, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def _table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'engine':<11}{'metric':<24}{'measured':>12}{'goal':>10}{'ratio':>8}"]
    for r in results:
        for metric in ("ingest_boms_per_s", "affected_p50_ms", "affected_p99_ms",
                       "affected_max_ms", "popular_unpinned_ms", "popular_pinned_ms",
                       "peak_rss_mib"):
            goal, ratio = "", ""
            if metric in GOALS and (metric != "affected_p99_ms" or r["engine"] == "sqlite"):
                target, sense = GOALS[metric]
                goal = f"{'>=' if sense == 'min' else '<'}{target:g}"
                value = r[metric]
                ratio = f"{(value / target if sense == 'min' else target / value):.2f}x"
            lines.append(f"{r['engine']:<11}{metric:<24}{r[metric]:>12}{goal:>10}{ratio:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--pg-url", help="an existing PostgreSQL database to use (emptied)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    products, queries = (200, 40) if args.smoke else (args.products, args.queries)
    output = args.output or REPO / "bench" / "results" / (
        "inventory-smoke.json" if args.smoke else "inventory.json")

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlbom-bench-")))
        boms = tmp / "boms"
        boms.mkdir()
        t0 = time.perf_counter()
        workload = make_workload(boms, products)
        print(f"workload: {products} BOMs, {workload['hub_models']} Hub models, "
              f"{workload['mean_nodes_per_bom']} nodes/BOM, written in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
        results = [_in_process("sqlite", f"sqlite:///{tmp / 'inventory.db'}", str(boms),
                               workload, queries)]
        print(f"sqlite done: {results[-1]}", file=sys.stderr)
        pg_url = args.pg_url
        skipped = None
        if not pg_url and not args.no_postgres:
            from pgserver import PostgresUnavailable, running_postgres

            try:
                pg_url = stack.enter_context(running_postgres(durable=True))
            except PostgresUnavailable as exc:
                skipped = str(exc)
        if pg_url:
            results.append(_in_process("postgresql", pg_url, str(boms), workload, queries))
            print(f"postgresql done: {results[-1]}", file=sys.stderr)
    report = {
        "benchmark": "inventory",
        "smoke": args.smoke,
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count()},
        "workload": {k: v for k, v in workload.items() if k != "repo_ids"},
        "goals": {"ingest_boms_per_s": ">= 500", "affected_p99_ms (sqlite)": "< 50"},
        "results": results,
        "postgresql_skipped": skipped,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, json.dumps(report, indent=2) + "\n")
    print(_table(results))
    print(f"machine: {report['machine']}; written {output}")
    return 0


def run(smoke: bool) -> list[Any]:
    """The bench/run.py protocol: run the benchmark, then report its numbers as rows."""
    from common import Row

    with tempfile.TemporaryDirectory(prefix="mlbom-bench-inv-") as tmp:
        out = Path(tmp) / "inventory.json"
        # its own process: the engines run in spawned children, which must import this file
        subprocess.run([sys.executable, __file__, *(["--smoke"] if smoke else []),
                        "--output", str(out)], check=True, stdout=subprocess.DEVNULL)
        report = json.loads(out.read_text())
    rows = []
    for r in report["results"]:
        eng = r["engine"]
        rows.append(Row(name=f"{eng}: ingest", measured=r["ingest_boms_per_s"], unit="BOMs/s",
                        goal=500.0, comparison=">=",
                        notes=f"{report['workload'].get('products', '')} BOMs"))
        rows.append(Row(name=f"{eng}: affected p99", measured=r["affected_p99_ms"], unit="ms",
                        goal=50.0 if eng == "sqlite" else None,
                        notes=f"p50 {r['affected_p50_ms']} ms"))
        rows.append(Row(name=f"{eng}: affected, popular foundation",
                        measured=r["popular_unpinned_ms"], unit="ms", goal=None,
                        notes=f"{r['popular_unpinned_hits']} products"))
        rows.append(Row(name=f"{eng}: peak memory", measured=r["peak_rss_mib"], unit="MiB",
                        goal=None))
    return rows


if __name__ == "__main__":
    sys.exit(main())
