"""Benchmark: inventory ingest rate, ``affected`` latency, store size and peak memory, on
SQLite and on PostgreSQL (issue 19).

Workload: ``--products`` (100,000) product versions written as mlbom writes BOMs, about ten
lineage models each, drawn from a synthetic Hub-like graph: 40 foundations, each with an
eight-level tree of fine-tunes, adapters and quantizations. Foundations are heavy-tailed: the
most popular (``found/popular``) is the root of 20% of the products (20,000 of 100,000), the
next ones of about 12%, 8%, 6%, ... One product in ten merges two models (half of them
diamonds back to the same foundation); one in three lists a training dataset; a quarter of
the products of each foundation pin an older commit of it.

Each engine runs in its own process (so ``ru_maxrss`` is that engine's peak). Ingest takes the
path of ``mlbom inventory add`` (``sbom.inventory.batch.add_files``): ``--jobs`` worker
processes read and parse every BOM file while the engine's process stores them through
``Store.add_many`` in batches of ``--batch`` product versions: ONE transaction and one durable
commit per batch (SQLite WAL with
``synchronous = FULL``: the commit is on disk when it returns; PostgreSQL with fsync and
synchronous_commit on). Then ``query_affected`` is timed, first page (``--page``, 50) with
the total count, for ``--queries`` items drawn uniformly from the Hub models and for every
foundation; then the full answer for the popular foundation, rendered as JSON.

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
from queue import Empty
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from sbom.atomic import write_atomic  # noqa: E402
from sbom.inventory.affected import ItemNotFound, query_affected  # noqa: E402
from sbom.inventory.batch import AddJob, add_files  # noqa: E402
from sbom.inventory.render import render_answer  # noqa: E402
from sbom.inventory.store import open_store  # noqa: E402

POPULAR = "found/popular"
GOALS = {
    "sqlite": {"ingest_boms_per_s": (1000.0, ">="), "affected_p99_ms": (50.0, "<="),
               "pinned_foundations_p99_ms": (50.0, "<="), "popular_first_page_ms": (50.0, "<="),
               "popular_full_json_ms": (1000.0, "<=")},
    "postgresql": {"ingest_boms_per_s": (500.0, ">="), "affected_p99_ms": (50.0, "<="),
                   "pinned_foundations_p99_ms": (50.0, "<="),
                   "popular_first_page_ms": (50.0, "<="),
                   "popular_full_json_ms": (1000.0, "<=")},
}
FOUNDATION_SHARE = [0.20, 0.12, 0.08, 0.06, 0.05, 0.04]  # the rest share what is left


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
        "metadata": {"tools": {"components": [{"type": "application", "name": "mlbom",
                                               "bom-ref": "tool:mlbom"}]},
                     "component": comps[product_model]},
        "components": [c for n, c in comps.items() if n != product_model],
        "dependencies": [{"ref": r, "dependsOn": d} for r, d in deps.items()],
    }


def _foundation_of(i: int, foundations: list[str], rng: random.Random) -> str:
    """Heavy-tailed: product i's foundation; exactly 20% get the popular one."""
    if i % 5 == 0:
        return POPULAR
    head = FOUNDATION_SHARE[1:]
    rest = (1 - sum(FOUNDATION_SHARE)) / (len(foundations) - len(FOUNDATION_SHARE))
    weights = head + [rest] * (len(foundations) - len(FOUNDATION_SHARE))
    return rng.choices(foundations[1:], weights=weights)[0]


def make_workload(folder: Path, products: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    scale = max(products / 100_000, 0.004)
    sizes = [max(2, int(s * scale)) for s in (10, 40, 120, 300, 600, 900, 1200, 1500)]
    hub = HubGraph(rng, foundations=40, level_sizes=sizes)
    foundations = list(hub.leaves)  # POPULAR first
    old_sha = {f: _sha(rng) for f in foundations}
    node_counts, per_foundation = [], dict.fromkeys(foundations, 0)
    for i in range(products):
        foundation = _foundation_of(i, foundations, rng)
        per_foundation[foundation] += 1
        base = rng.choice(hub.leaves[foundation])
        model = f"acme{i % 97}/product-{i}"
        edges = [(model, "finetune", base)] + hub.lineage(base)
        if i % 10 == 5:  # merges: half of them diamonds back to the same foundation
            same = i % 20 == 5
            other = rng.choice(hub.leaves[foundation if same else rng.choice(foundations)])
            edges = [(model, "merge", base), (model, "merge", other)] + hub.lineage(base)
            edges += [e for e in hub.lineage(other) if e not in edges]
        if i % 3 == 0:
            edges.append((base, "trained_on", f"dataset:data{rng.randrange(50)}/set"))
        shas = {n: hub.sha[n] for e in edges for n in (e[0], e[2]) if n in hub.sha}
        shas[model] = _sha(rng)
        if i % 4 == 0:
            shas[foundation] = old_sha[foundation]  # a quarter pin an older commit
        doc = product_bom(model, edges, shas, rng)
        node_counts.append(1 + len(doc["components"]))
        (folder / f"p{i:06d}.json").write_text(json.dumps(doc), encoding="utf-8")
    return {
        "products": products,
        "hub_models": len(hub.parents),
        "mean_nodes_per_bom": round(statistics.fmean(node_counts), 2),
        "repo_ids": sorted(hub.parents),
        "foundations": foundations,
        "popular_products": per_foundation[POPULAR],
        "top_foundation_products": sorted(per_foundation.values(), reverse=True)[:6],
        "popular_old_sha": old_sha[POPULAR],
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _ingest(store: Any, files: list[Path], batch: int, jobs: int | None) -> dict[str, Any]:
    """The CLI's path (``batch.add_files``): parsing in worker processes while this one
    writes. Wall seconds, and CPU seconds of this process and of the workers."""
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()
    report = add_files(store, [AddJob((str(p),), f"product-{i}", "1.0")
                               for i, p in enumerate(files)], batch=batch, workers=jobs)
    if report.failures:
        raise RuntimeError(f"ingest failed: {report.failures[:3]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, reaped
    worker_cpu = (children.ru_utime - children0.ru_utime) + (
        children.ru_stime - children0.ru_stime)
    return {"seconds": report.seconds, "main_cpu_s": report.cpu_seconds,
            "worker_cpu_s": worker_cpu, "workers": report.workers, "commits": report.commits,
            "read_wait_s": report.read_seconds, "store_s": report.store_seconds,
            "load_before": load0, "load_after": os.getloadavg()}


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000, value


def _store_bytes(store: Any, url: str) -> int:
    if store.engine == "sqlite":
        path = Path(url[len("sqlite:///"):])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    rows = store.query("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relkind = 'r' AND n.nspname = current_schema()", ())
    return int(rows[0][0])


ALT_WALK = """
WITH RECURSIVE walk (bom_id, node, path) AS (
    SELECT i.bom_id, i.node, CAST(i.node AS TEXT) FROM items i
    WHERE i.repo = ? AND i.kind IN ('model', 'code')
  UNION ALL
    SELECT e.bom_id, e.child, CAST(e.child AS TEXT) || ',' || w.path
    FROM walk w JOIN alt_edges e ON e.bom_id = w.bom_id AND e.parent = w.node
)
SELECT b.product_id, w.path FROM walk w JOIN boms b ON b.id = w.bom_id WHERE w.node = 0
"""


def alternatives(store: Any) -> dict[str, Any]:
    """The popular foundation's full answer from the representation mlbom uses (closure rows
    + a compact graph per BOM, paths walked in Python) against the one it replaced: a
    recursive SQL walk over edge rows (here with integer ids, and without a depth limit)."""
    rows = store.query("SELECT id, graph FROM boms", ())
    edges = [(bom_id, c, p, rel) for bom_id, graph in rows for c, p, rel in json.loads(graph)[1]]

    def fill(cur: Any) -> None:
        cur.execute("CREATE TABLE alt_edges (bom_id BIGINT, child INTEGER, parent INTEGER, "
                    "relation TEXT, PRIMARY KEY (bom_id, parent, child))")
        store._bulk(cur, "alt_edges", ("bom_id", "child", "parent", "relation"), edges)

    store.run(fill)
    repo = store.query("SELECT id FROM repos WHERE key = ?", (POPULAR,))[0][0]
    rec_ms, found = _timed(lambda: store.query(ALT_WALK, (repo,)))
    closure_ms, answer = _timed(lambda: query_affected(store, POPULAR, max_paths=10**6))
    store.run(lambda cur: cur.execute("DROP TABLE alt_edges"))
    return {
        "recursive_sql_full_ms": round(rec_ms, 1),
        "recursive_sql_products": len({r[0] for r in found}),
        "recursive_sql_paths": len(found),
        "closure_full_ms": round(closure_ms, 1),
        "closure_products": answer.total,
        "closure_paths": sum(len(h.paths) for a in answer.answers for h in a.hits),
    }


def query_metrics(store: Any, workload: dict[str, Any], queries: int, page: int
                  ) -> dict[str, Any]:
    """The query half: first pages (query, totals and JSON, as the CLI prints them) for
    ``queries`` Hub models and every foundation, pinned ``@sha`` first pages for every
    foundation, a deep page, and the popular foundation's full JSON answer. Times are wall
    milliseconds; ``*_cpu_*`` are this process's CPU; on PostgreSQL ``explain`` holds the
    server's plan counts (buffers, heap fetches) for the total and the full answer's rows."""
    rng = random.Random(11)
    items = [rng.choice(workload["repo_ids"]) for _ in range(queries)]
    items += workload["foundations"]
    query_affected(store, POPULAR, limit=page)  # warm caches once
    latencies, hits, missing, cpu = [], [], [], []
    for item in items:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            render_answer(answer := query_affected(store, item, limit=page), "json")
            cpu.append((time.process_time() - c0) * 1000)
        except ItemNotFound:  # a Hub model no product uses: the error, with suggestions
            missing.append((time.perf_counter() - t0) * 1000)
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        hits.append(answer.total)
    pinned = []
    for foundation in workload["foundations"]:  # every foundation at a commit (the old one
        sha = workload["popular_old_sha"] if foundation == POPULAR else "0" * 40  # or none)
        ms, _ = _timed(lambda f=foundation, s=sha: render_answer(
            query_affected(store, f"{f}@{s[:10]}", limit=page), "json"))
        pinned.append(ms)
    first_ms, first = _timed(lambda: query_affected(store, POPULAR, limit=page))
    deep_ms, _ = _timed(lambda: query_affected(store, POPULAR, limit=page, offset=10_000))
    c0 = time.process_time()
    full_ms, text = _timed(lambda: render_answer(query_affected(store, POPULAR), "json"))
    full_cpu_ms = (time.process_time() - c0) * 1000
    pin_item = f"{POPULAR}@{workload['popular_old_sha'][:10]}"
    pinned_ms, pin = _timed(lambda: query_affected(store, pin_item, limit=page))
    full_query_ms, _ = _timed(lambda: query_affected(store, POPULAR))
    return {
        "alternatives": alternatives(store) if os.environ.get("MLBOM_BENCH_ALTERNATIVES")
        else None,
        "explain": _explain(store) if store.engine == "postgresql" else None,
        "affected_queries": len(latencies),
        "affected_p50_ms": round(_percentile(latencies, 0.50), 2),
        "affected_p99_ms": round(_percentile(latencies, 0.99), 2),
        "affected_max_ms": round(max(latencies), 2),
        "affected_client_cpu_p99_ms": round(_percentile(cpu, 0.99), 2),
        "affected_mean_total": round(statistics.fmean(hits), 1),
        "not_found_queries": len(missing),
        "not_found_p99_ms": round(_percentile(missing, 0.99), 2) if missing else None,
        "pinned_foundations_p99_ms": round(_percentile(pinned, 0.99), 2),
        "popular_first_page_ms": round(first_ms, 2),
        "popular_total": first.total,
        "popular_offset_10000_ms": round(deep_ms, 2),
        "popular_full_query_ms": round(full_query_ms, 2),
        "popular_full_json_ms": round(full_ms, 2),
        "popular_full_json_cpu_ms": round(full_cpu_ms, 2),
        "popular_full_json_bytes": len(text),
        "popular_pinned_ms": round(pinned_ms, 2),
        "popular_pinned_total": pin.total,
    }


def _explain(store: Any) -> dict[str, Any]:
    """PostgreSQL's own counts for the popular foundation: the total (an index-only scan
    when the visibility map is set) and the rows of the full answer."""
    repo = store.query("SELECT id FROM repos WHERE key = ?", (POPULAR,))[0][0]
    out = {}
    for name, sql in (
        ("total", "SELECT count(DISTINCT i.product_id) FROM items i "
                  "WHERE i.repo = ? AND i.ns = 'model'"),
        ("full_rows", "SELECT i.product_id, i.bom_id, i.sha, i.paths, b.file, b.graph "
                      "FROM items i JOIN boms b ON b.id = i.bom_id "
                      "WHERE i.repo = ? AND i.ns = 'model'"),
    ):
        (plan,) = store.query(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", (repo,))[0][0]
        nodes, stack = [], [plan["Plan"]]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.get("Plans", []))
        out[name] = {
            "execution_ms": round(plan["Execution Time"], 2),
            "scans": sorted({n["Node Type"] for n in nodes if "Scan" in n["Node Type"]}),
            "heap_fetches": sum(n.get("Heap Fetches", 0) for n in nodes),
            "heap_blocks": sum(n.get("Exact Heap Blocks", 0) for n in nodes),
            "shared_buffers": plan["Plan"]["Shared Hit Blocks"]
            + plan["Plan"]["Shared Read Blocks"],
        }
    return out


def run_engine(engine: str, url: str, folder: str, workload: dict[str, Any], queries: int,
               batch: int, page: int, out: Any, jobs: int | None = None) -> None:
    files = sorted(Path(folder).glob("p*.json"))
    with open_store(url) as store:
        split = _ingest(store, files, batch, jobs)
        ingest_s = split["seconds"]
        if engine == "postgresql":  # what autovacuum does to a store in use: statistics and
            store.conn.execute("VACUUM (ANALYZE)")  # the visibility map (index-only scans)
        size = _store_bytes(store, url)
        query = query_metrics(store, workload, queries, page)
    out.put(query | {
        "engine": engine,
        "batch": batch,
        "ingest_s": round(ingest_s, 3),
        "ingest_boms_per_s": round(len(files) / ingest_s, 1),
        "ingest_workers": split["workers"],
        "ingest_commits": split["commits"],
        "ingest_main_cpu_s": round(split["main_cpu_s"], 3),
        "ingest_worker_cpu_s": round(split["worker_cpu_s"], 3),
        "ingest_boms_per_cpu_s": round(
            len(files) / (split["main_cpu_s"] + split["worker_cpu_s"]), 1),
        "ingest_main_cpu_us_per_bom": round(split["main_cpu_s"] / len(files) * 1e6, 1),
        "ingest_read_wait_s": round(split["read_wait_s"], 3),  # main waiting for workers
        "ingest_store_s": round(split["store_s"], 3),  # main in add_many (write + commit)
        "ingest_load_before": [round(x, 2) for x in split["load_before"]],
        "ingest_load_after": [round(x, 2) for x in split["load_after"]],
        "store_bytes_per_bom": round(size / len(files)),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })


def _in_process(engine: str, url: str, folder: str, workload: dict[str, Any],
                args: argparse.Namespace) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=run_engine, args=(engine, url, folder, workload, args.queries,
                                                args.batch, args.page, queue, args.jobs))
    proc.start()
    while True:  # a child that died (an exception, the OOM killer) must not hang the run
        try:
            result: dict[str, Any] = queue.get(timeout=5)
            break
        except Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{engine} benchmark process died ({proc.exitcode})") from None
    proc.join()
    return result


_METRICS = (
    "ingest_boms_per_s", "ingest_boms_per_cpu_s", "ingest_main_cpu_us_per_bom",
    "store_bytes_per_bom", "affected_p50_ms", "affected_p99_ms", "affected_max_ms",
    "affected_client_cpu_p99_ms", "not_found_p99_ms", "pinned_foundations_p99_ms",
    "popular_first_page_ms", "popular_offset_10000_ms", "popular_full_query_ms",
    "popular_full_json_ms", "popular_full_json_cpu_ms", "popular_pinned_ms", "peak_rss_mib",
)


def _table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'engine':<11}{'metric':<26}{'measured':>12}{'goal':>10}{'ratio':>8}"]
    for r in results:
        goals = GOALS.get(r["engine"], {})
        for metric in (m for m in _METRICS if m in r):  # --query-only: no ingest metrics
            goal, ratio = "", ""
            if metric in goals:
                target, sense = goals[metric]
                value = r[metric]
                goal = f"{sense}{target:g}"
                ratio = f"{(value / target if sense == '>=' else target / value):.2f}x"
            lines.append(f"{r['engine']:<11}{metric:<26}{r[metric]:>12}{goal:>10}{ratio:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--batch", type=int, default=5000,
                        help="product versions per transaction")
    parser.add_argument("--page", type=int, default=50, help="--limit of the timed queries")
    parser.add_argument("--jobs", type=int, default=None,
                        help="ingest's parsing workers (default: as the CLI; 0: none)")
    parser.add_argument("--pg-url", help="an existing PostgreSQL database to use (emptied)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--alternatives", action="store_true",
                        help="also time the recursive-SQL representation it replaced")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--query-only", metavar="URL",
                        help="time only the queries, on a store built by an earlier run")
    parser.add_argument("--workload", type=Path,
                        help="with --query-only: the workload JSON make_workload returned")
    args = parser.parse_args(argv)
    if args.query_only:
        return _query_only(args)
    if args.alternatives:
        os.environ["MLBOM_BENCH_ALTERNATIVES"] = "1"  # read by the spawned engine processes
    if args.smoke:
        args.products, args.queries = 300, 40
    output = args.output or REPO / "bench" / "results" / (
        "inventory-smoke.json" if args.smoke else "inventory.json")

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlbom-bench-")))
        boms = tmp / "boms"
        boms.mkdir()
        t0 = time.perf_counter()
        workload = make_workload(boms, args.products)
        bom_bytes = sum(p.stat().st_size for p in boms.iterdir())
        print(f"workload: {args.products} BOMs ({bom_bytes / args.products:.0f} bytes each), "
              f"{workload['hub_models']} Hub models, {workload['mean_nodes_per_bom']} "
              f"nodes/BOM, popular foundation in {workload['popular_products']} products, "
              f"written in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        results = []
        if not args.no_sqlite:
            results.append(_in_process("sqlite", f"sqlite:///{tmp / 'inventory.db'}",
                                       str(boms), workload, args))
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
            results.append(_in_process("postgresql", pg_url, str(boms), workload, args))
            print(f"postgresql done: {results[-1]}", file=sys.stderr)
    report = {
        "benchmark": "inventory",
        "smoke": args.smoke,
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count(), "load_avg": os.getloadavg()},
        "workload": {k: v for k, v in workload.items() if k not in ("repo_ids", "foundations")}
        | {"bom_bytes_mean": round(bom_bytes / args.products)},
        "goals": {e: {m: f"{s}{g:g}" for m, (g, s) in goals.items()}
                  for e, goals in GOALS.items()},
        "results": results,
        "postgresql_skipped": skipped,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, json.dumps(report, indent=2) + "\n")
    print(_table(results))
    print(f"machine: {report['machine']}; written {output}")
    return 0


def _query_only(args: argparse.Namespace) -> int:
    """Iterate on queries without re-ingesting (100,000 BOMs take minutes)."""
    workload = json.loads(args.workload.read_text())
    with open_store(args.query_only, create=False) as store:
        result = {"engine": store.engine} | query_metrics(store, workload, args.queries,
                                                          args.page)
        result["store_bytes_per_bom"] = round(
            _store_bytes(store, store.url) / store.bom_count())
        result["peak_rss_mib"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(_table([result]))
    print(json.dumps({"load_avg": os.getloadavg(), "explain": result["explain"]}))
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
    products = report["workload"].get("products", "")
    for r in report["results"]:
        eng = r["engine"]
        goals = GOALS[eng]
        rows.append(Row(name=f"{eng}: ingest", measured=r["ingest_boms_per_s"], unit="BOMs/s",
                        goal=goals["ingest_boms_per_s"][0], comparison=">=",
                        notes=f"{products} BOMs, {r['batch']} per commit, "
                        f"{r['ingest_workers']} parsing workers, "
                        f"{r['ingest_boms_per_cpu_s']} per CPU-s, "
                        f"load {r['ingest_load_before'][0]}-{r['ingest_load_after'][0]}"))
        rows.append(Row(name=f"{eng}: affected p99, first page", measured=r["affected_p99_ms"],
                        unit="ms", goal=goals["affected_p99_ms"][0],
                        notes=f"p50 {r['affected_p50_ms']} ms, foundations included"))
        rows.append(Row(name=f"{eng}: affected, popular foundation, first page + total",
                        measured=r["popular_first_page_ms"], unit="ms",
                        goal=goals["popular_first_page_ms"][0],
                        notes=f"{r['popular_total']} products"))
        rows.append(Row(name=f"{eng}: affected ORG/NAME@SHA p99, every foundation",
                        measured=r["pinned_foundations_p99_ms"], unit="ms",
                        goal=goals["pinned_foundations_p99_ms"][0]))
        rows.append(Row(name=f"{eng}: affected, popular foundation, full JSON",
                        measured=r["popular_full_json_ms"], unit="ms",
                        goal=goals["popular_full_json_ms"][0],
                        notes=f"{r['popular_total']} products"))
        rows.append(Row(name=f"{eng}: store size", measured=r["store_bytes_per_bom"],
                        unit="bytes/BOM", goal=None))
        rows.append(Row(name=f"{eng}: peak memory", measured=r["peak_rss_mib"], unit="MiB",
                        goal=None))
    return rows


if __name__ == "__main__":
    sys.exit(main())
