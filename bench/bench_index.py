"""The Hub-wide index at Hub scale: build from a dump, walk the largest family, walk up.

Goals (issue 8), on a synthetic Hub-shaped graph of 2,000,000 models and 600,000 links
(bench/synth.py): build ≤ 60 s from a dump file, descendants of the largest family ≤ 1 s,
ancestors of any model ≤ 10 ms, peak memory ≤ 4 GiB.

Every step runs in a fresh child process that reports its own wall time and peak RSS. The
chosen design (SQLite tables, breadth-first walk with one indexed query per level) is measured
beside the alternatives the issue names: a recursive SQL query, CSR numpy arrays loaded from
the same table, and an in-memory networkx graph.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import Row, run_child

FULL = {"models": 2_000_000, "edges": 600_000}
SMOKE = {"models": 3_000, "edges": 900}


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _path(db: str) -> str:
    from lineage.hubindex import parse_db_url

    return str(parse_db_url(db).path)


def _emit(**values: object) -> None:
    print(json.dumps({**values, "rss_mib": _rss()}))


# -- child steps (run as: python -c "import bench_index as b; b.child_x(...)") ---------------


def child_build(db: str, dump: str) -> None:
    from lineage.hubindex import build_index_from_file

    t0 = time.perf_counter()
    stats = build_index_from_file(db, dump)
    _emit(seconds=time.perf_counter() - t0, models=stats.models, edges=stats.edges,
          malformed=stats.malformed)


def child_query(db: str, root: str, samples_json: str) -> None:
    from lineage.hubindex import ancestors, descendants

    samples = json.loads(samples_json)
    t0 = time.perf_counter()
    first = descendants(db, root)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        hits = descendants(db, root)
        warm.append(time.perf_counter() - t0)
    anc_ms = []
    for model in samples:
        t0 = time.perf_counter()
        ancestors(db, model)
        anc_ms.append((time.perf_counter() - t0) * 1000)
    anc_ms.sort()
    _emit(desc_cold=cold, desc_warm=min(warm), family=len(hits), first=len(first),
          anc_max=anc_ms[-1], anc_p50=anc_ms[len(anc_ms) // 2], anc_n=len(anc_ms))


def child_recursive_sql(db: str, root: str) -> None:
    import sqlite3

    conn = sqlite3.connect(_path(db))
    sql = """
        WITH RECURSIVE walk(node, depth) AS (
            SELECT id, 0 FROM hub_models WHERE key = ?
            UNION
            SELECT e.child, w.depth + 1 FROM walk w JOIN hub_edges e ON e.parent = w.node
            WHERE w.depth < 64
        )
        SELECT m.name, MIN(w.depth) FROM walk w JOIN hub_models m ON m.id = w.node
        WHERE w.depth > 0 GROUP BY w.node"""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        rows = conn.execute(sql, (root.lower(),)).fetchall()
        best = min(best, time.perf_counter() - t0)
    _emit(desc=best, family=len({r[0].lower() for r in rows} - {root.lower()}))


def child_csr(db: str, root: str) -> None:
    import sqlite3

    import numpy as np

    conn = sqlite3.connect(_path(db))
    t0 = time.perf_counter()
    edges = np.array(conn.execute("SELECT parent, child FROM hub_edges ORDER BY parent, child")
                     .fetchall(), dtype=np.int64)
    n = int(conn.execute("SELECT MAX(id) FROM hub_models").fetchone()[0]) + 1
    offsets = np.searchsorted(edges[:, 0], np.arange(n + 1))
    kids = np.ascontiguousarray(edges[:, 1])
    load = time.perf_counter() - t0
    start = int(conn.execute("SELECT id FROM hub_models WHERE key = ?", (root.lower(),))
                .fetchone()[0])
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        seen = np.zeros(n, dtype=bool)
        seen[start] = True
        frontier = np.array([start])
        found = []
        while frontier.size:
            nxt = np.concatenate([kids[offsets[f]:offsets[f + 1]] for f in frontier.tolist()])
            nxt = np.unique(nxt[~seen[nxt]])
            seen[nxt] = True
            found.append(nxt)
            frontier = nxt
        ids = np.concatenate(found).tolist()
        names = [r[0] for r in conn.execute(
            "SELECT name FROM hub_models WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),))]
        best = min(best, time.perf_counter() - t0)
    _emit(load=load, desc=best, family=len(names))


def child_networkx(db: str, root: str) -> None:
    import sqlite3

    import networkx as nx

    conn = sqlite3.connect(_path(db))
    t0 = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(r[0] for r in conn.execute("SELECT key FROM hub_models"))
    g.add_edges_from(conn.execute(
        "SELECT p.key, c.key FROM hub_edges e JOIN hub_models p ON p.id = e.parent "
        "JOIN hub_models c ON c.id = e.child"))
    load = time.perf_counter() - t0
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        found = nx.descendants(g, root.lower())
        best = min(best, time.perf_counter() - t0)
    _emit(load=load, desc=best, family=len(found - {root.lower()}))


# -- the benchmark ----------------------------------------------------------------------------


def _child(call: str, *args: str) -> dict[str, float]:
    out, _wall, _ = run_child(f"import sys, bench_index as b; b.{call}(*sys.argv[1:])", *args)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def run(smoke: bool) -> list[Row]:
    from synth import write_dump

    size = SMOKE if smoke else FULL
    with tempfile.TemporaryDirectory(prefix="mlbom-bench-index-") as tmp:
        t0 = time.perf_counter()
        summary = write_dump(Path(tmp) / "dump.jsonl", **size)
        gen = time.perf_counter() - t0
        print(f"  synthetic dump: {summary.models} models, {summary.edges} links "
              f"{summary.relations}, largest family {summary.largest_family} "
              f"({summary.largest_root}), generated in {gen:.1f}s", file=sys.stderr)
        db = f"sqlite:///{tmp}/index.db"
        build = _child("child_build", db, str(summary.path))
        samples = summary.sample_ids + summary.cycle_ids
        query = _child("child_query", db, summary.largest_root, json.dumps(samples))
        if query["family"] != summary.largest_family:
            raise AssertionError(f"index found {query['family']} descendants of "
                                 f"{summary.largest_root}, generator says "
                                 f"{summary.largest_family}")
        rsql = _child("child_recursive_sql", db, summary.largest_root)
        csr = _child("child_csr", db, summary.largest_root)
        nxg = _child("child_networkx", db, summary.largest_root)
        for name, alt in (("recursive SQL", rsql), ("CSR", csr), ("networkx", nxg)):
            if alt["family"] != summary.largest_family:
                raise AssertionError(f"{name} found {alt['family']} descendants")

    scale = f"{summary.models:,} models, {summary.edges:,} links"
    peak = max(build["rss_mib"], query["rss_mib"])
    return [
        Row("build from dump", build["seconds"], "s", 60.0,
            notes=f"{scale}; JSON Lines {summary.path.name}, SQLite; peak "
                  f"{build['rss_mib']:.0f} MiB"),
        Row("descendants, largest family", query["desc_warm"], "s", 1.0,
            notes=f"{int(query['family']):,} models; first call in a fresh process "
                  f"{query['desc_cold']:.3f} s"),
        Row("ancestors, slowest of samples", query["anc_max"], "ms", 10.0,
            notes=f"{int(query['anc_n'])} models incl. cycles; median {query['anc_p50']:.2f} ms"),
        Row("peak memory (build, queries)", peak, "MiB", 4096.0),
        Row("alt: recursive SQL descendants", rsql["desc"], "s", None,
            notes="WITH RECURSIVE ... UNION, depth-bounded, same SQLite file"),
        Row("alt: CSR numpy descendants", csr["desc"], "s", None,
            notes=f"+ {csr['load']:.2f} s to load arrays per process; peak "
                  f"{csr['rss_mib']:.0f} MiB"),
        Row("alt: networkx descendants", nxg["desc"], "s", None,
            notes=f"+ {nxg['load']:.2f} s to load the graph per process; peak "
                  f"{nxg['rss_mib']:.0f} MiB"),
    ]
