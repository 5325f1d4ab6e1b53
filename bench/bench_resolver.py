"""Benchmark: network-bound lineage resolution against the loopback fake Hub (issue 8).

For each synthetic family (``bench/hubgen.py``: depth D = models in the longest chain, width
W = models per level, merges included) and each injected round-trip time (50 ms, 100 ms):

- mlbom cold: ``build_graph`` in this process (start-up excluded) with a fresh cache folder;
  goal <= 1.3 x D x RTT, the bound being D x RTT (a parent is only known once its child is
  read);
- requests the fake Hub answered, by kind: metadata (model_info + dataset_info) per repo,
  goal <= 2 on average, and file requests (HEAD and GET counted separately, as sent);
- mlbom warm: the same target again with the same cache folder; goal <= 10% of the cold run;
- early reads: ``config.json`` requested by branch name with the metadata (counted by the
  client, ``file_early``; the fake Hub counts them as ``file_get`` too);
- a naive sequential resolver (``naive_resolve`` below: depth first, one request at a time,
  the same evidence through ``extract_repo_facts``) on the same families, for comparison. Its
  graph must equal mlbom's (nodes and typed edges), else the benchmark fails.

``--concurrency`` (default: the CLI's, 32) sets the most repos read at once (each repo slot
has 3 file-request slots too, so the bound is ceil(level width / concurrency) metadata rounds
per level); ``--repeat N``
measures each family N times (fresh cache each time) and reports medians, for a machine
shared with other work. ``--smoke`` (CI): RTT 5 ms, two small families, nothing judged.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for p in (REPO, BENCH, REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from common import Row  # noqa: E402
from hubgen import FamilySpec, write_families  # noqa: E402

from lineage.extract import extract_repo_facts  # noqa: E402
from lineage.graph import LineageGraph, code_key, dataset_key, model_key  # noqa: E402
from lineage.pipeline import RunOptions, build_graph  # noqa: E402
from lineage.refs import ModelRef  # noqa: E402
from lineage.sources.hub import HubSource  # noqa: E402
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, Source  # noqa: E402

FULL_FAMILIES = [FamilySpec(d, w) for d, w in
                 [(1, 1), (2, 1), (4, 1), (8, 1), (2, 8), (4, 8), (8, 8), (2, 64), (8, 64)]]
SMOKE_FAMILIES = [FamilySpec(2, 1), FamilySpec(3, 2)]
FULL_RTTS = (0.05, 0.10)
NAIVE_MAX_MODELS = 100  # the naive resolver on 449 models at 100 ms takes minutes
CONCURRENCY = RunOptions().concurrency
GOAL_FACTOR = 1.3
GOAL_META_PER_REPO = 2.0
GOAL_WARM_SHARE = 0.10

Edge = tuple[str, str, str]

# The fake Hub runs in its own process, so its request handling does not compete with the
# resolver for this process's GIL (a real Hub answers on other machines). Two artefacts of
# the stdlib server are removed there: the body of each answer waiting ~40 ms for the
# client's delayed ACK (headers and body go out in two sends; Nagle's algorithm holds the
# second), and a listen backlog of 5 that drops SYNs (1 s retransmit) when many requests
# open connections at once. Control: "reset" / "counts" lines on stdin.
_SERVER = """
import json, sys
sys.path.insert(0, "tests")
import fakehub
fakehub._Handler.disable_nagle_algorithm = True
fakehub.ThreadingHTTPServer.request_queue_size = 1024
hub = fakehub.FakeHub(sys.argv[1], rtt=float(sys.argv[2])).start()
print(hub.endpoint, flush=True)
for line in sys.stdin:
    if line.strip() == "reset":
        hub.reset_counts()
        print("[]", flush=True)
    else:
        print(json.dumps([[r.method, r.kind] for r in hub.requests]), flush=True)
"""


class HubProcess:
    """The loopback fake Hub (``tests/fakehub.py``) serving ``root`` from a child process."""

    def __init__(self, root: Path, rtt: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(root), str(rtt)], cwd=REPO, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http"):
            self.close()
            raise RuntimeError("the fake Hub did not start")

    def _ask(self, command: str) -> list[list[str]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer: list[list[str]] = json.loads(self.proc.stdout.readline())
        return answer

    def reset_counts(self) -> None:
        self._ask("reset")

    def requests(self) -> dict[str, int]:
        """Requests answered since the last reset, by kind (file requests by method)."""
        out: dict[str, int] = {}
        for method, kind in self._ask("counts"):
            name = kind if kind != "file" else f"file_{method.lower()}"
            out[name] = out.get(name, 0) + 1
        return out

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self) -> HubProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def naive_resolve(target: str, source: Source) -> tuple[set[str], set[Edge]]:
    """Depth first, one request at a time: the resolver a first version would write.

    Returns resolved node keys and (child, parent, relation) edges; unresolvable repos are
    left out (the benchmark families have none).
    """
    nodes: set[str] = set()
    edges: set[Edge] = set()

    def read_model(ref: ModelRef) -> str:
        key = model_key(ref.repo_id)
        if key in nodes:
            return key
        nodes.add(key)
        snap = source.model_info(ref)
        facts = extract_repo_facts(
            snap,
            lambda name: source.read_file(snap.repo_id, snap.sha, name,
                                          max_bytes=MAX_SMALL_FILE_BYTES),
            lambda name, n: source.read_head(snap.repo_id, snap.sha, name, n),
        )
        for parent in facts.parents:
            if parent.value.ref is not None:
                edges.add((key, read_model(parent.value.ref), parent.relation.value))
        for value, _ in facts.datasets:
            if value.ref is not None:
                dkey = dataset_key(value.ref.repo_id)
                if dkey not in nodes:
                    nodes.add(dkey)
                    source.dataset_info(value.ref)
                edges.add((key, dkey, "trained_on"))
        for value, _ in facts.code_repos:
            if value.ref is not None:
                ckey = code_key(value.ref.repo_id)
                if ckey not in nodes:
                    nodes.add(ckey)
                    source.model_info(value.ref)
                edges.add((key, ckey, "remote_code"))
        return key

    read_model(ModelRef.parse(target))
    return nodes, edges


def graph_shape(graph: LineageGraph) -> tuple[set[str], set[Edge]]:
    """The resolved nodes and typed edges of mlbom's graph, comparable with ``naive_resolve``."""
    nodes = {n.key for n in graph.nodes() if n.resolved}
    edges = {(c, p, d.relation.value) for c, p, d in graph.edges()}
    return nodes, edges


def measure_family(hub: HubProcess, spec: FamilySpec, rtt: float, workdir: Path, *,
                   naive: bool, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """Cold, warm and (optionally) naive runs of one family; asserts the graphs agree."""
    cache = Path(tempfile.mkdtemp(dir=workdir, prefix="cache-"))
    opts = RunOptions(endpoint=hub.endpoint, cache_dir=cache, concurrency=concurrency)
    hub.reset_counts()
    t0 = time.perf_counter()
    graph = build_graph(spec.target, opts)
    cold = time.perf_counter() - t0
    cold_requests = hub.requests()
    early = int(graph.meta.get("requests", {}).get("file_early", 0))
    nodes, edges = graph_shape(graph)
    n_models = sum(1 for k in nodes if k.startswith("model:"))
    if n_models != spec.n_models:
        raise AssertionError(f"{spec.name}: resolved {n_models} models, want {spec.n_models}: "
                             f"{sorted(n.key for n in graph.unresolved())}")

    hub.reset_counts()
    t0 = time.perf_counter()
    warm_graph = build_graph(spec.target, opts)
    warm = time.perf_counter() - t0
    warm_requests = hub.requests()
    if graph_shape(warm_graph) != (nodes, edges):
        raise AssertionError(f"{spec.name}: the cached run built a different graph")

    out: dict[str, Any] = {
        "family": spec.name, "depth": spec.depth, "width": spec.width, "rtt": rtt,
        "repos": len(nodes), "models": n_models, "cold_s": cold, "warm_s": warm,
        "cold_requests": cold_requests, "warm_requests": warm_requests, "naive_s": None,
        "early_reads": early, "concurrency": concurrency,
    }
    if naive:
        src = HubSource(hub.endpoint, cache_dir=Path(tempfile.mkdtemp(dir=workdir)),
                        use_cache=False)
        hub.reset_counts()
        t0 = time.perf_counter()
        naive_shape = naive_resolve(spec.target, src)
        out["naive_s"] = time.perf_counter() - t0
        out["naive_requests"] = hub.requests()
        if naive_shape != (nodes, edges):
            raise AssertionError(f"{spec.name}: naive and level-by-level graphs differ")
    return out


def measure(families: Iterable[FamilySpec], rtts: Iterable[float], *,
            naive_max: int = NAIVE_MAX_MODELS, concurrency: int = CONCURRENCY,
            repeat: int = 1) -> list[dict[str, Any]]:
    """One result per family and RTT; with ``repeat`` > 1, the run with the median cold time
    (its own warm time and counts), and the median warm/cold share over the runs."""
    families = list(families)
    results = []
    with tempfile.TemporaryDirectory(prefix="mlbom-bench-resolver-") as tmp:
        root = Path(tmp) / "hub"
        write_families(root, families)
        for rtt in rtts:
            with HubProcess(root, rtt) as hub:
                # warm the process: imports, the HTTP client, the first connection
                build_graph(families[0].target,
                            RunOptions(endpoint=hub.endpoint, cache_dir=Path(tmp) / "warmup"))
                for spec in families:
                    runs = [measure_family(hub, spec, rtt, Path(tmp), concurrency=concurrency,
                                           naive=spec.n_models <= naive_max and i == 0)
                            for i in range(max(1, repeat))]
                    naive_s = runs[0]["naive_s"]
                    runs.sort(key=lambda r: r["cold_s"])
                    median = dict(runs[len(runs) // 2])
                    median["naive_s"] = naive_s
                    median["runs"] = len(runs)
                    median["warm_share"] = statistics.median(r["warm_s"] / r["cold_s"]
                                                             for r in runs)
                    results.append(median)
    return results


def _meta(requests: dict[str, int]) -> int:
    return requests.get("model_info", 0) + requests.get("dataset_info", 0)


def rows_from(results: list[dict[str, Any]], smoke: bool) -> list[Row]:
    rows = []
    for r in results:
        bound = r["depth"] * r["rtt"]
        req = r["cold_requests"]
        files = ", ".join(f"{k} {v}" for k, v in sorted(req.items()) if k.startswith("file"))
        n_files = sum(v for k, v in req.items() if k.startswith("file"))
        naive = (f"naive {r['naive_s']:.2f} s ({r['naive_s'] / r['cold_s']:.1f}x slower)"
                 if r["naive_s"] is not None else "naive skipped (too many models)")
        runs = f"median of {r['runs']}, " if r.get("runs", 1) > 1 else ""
        rows.append(Row(
            name=f"resolve {r['family']} ({r['models']} models) @ {r['rtt'] * 1000:.0f} ms",
            measured=round(r["cold_s"], 3), unit="s", goal=round(GOAL_FACTOR * bound, 3),
            notes=f"{runs}concurrency {r['concurrency']}; {r['cold_s'] / bound:.2f} x D x RTT; "
                  f"warm {r['warm_s']:.3f} s ({r.get('warm_share', r['warm_s'] / r['cold_s']):.3f}"
                  f" of cold); {naive}; metadata {_meta(req)} for {r['repos']} repos "
                  f"({_meta(req) / r['repos']:.2f}/repo); file requests {n_files} "
                  f"({n_files / r['models']:.2f}/model: {files}; early {r['early_reads']})"))
    meta = sum(_meta(r["cold_requests"]) for r in results)
    repos = sum(r["repos"] for r in results)
    rows.append(Row(name="metadata requests per repo (cold, all families)",
                    measured=round(meta / repos, 3), unit="req", goal=GOAL_META_PER_REPO,
                    notes=f"{meta} model_info+dataset_info requests for {repos} repos"))
    shares = [r.get("warm_share", r["warm_s"] / r["cold_s"]) for r in results]
    worst = max(results, key=lambda r: r.get("warm_share", r["warm_s"] / r["cold_s"]))
    warm_meta = sum(_meta(r["warm_requests"]) for r in results)
    warm_all = sum(sum(r["warm_requests"].values()) for r in results)
    rows.append(Row(name="cached second run / cold run (worst family)",
                    measured=round(max(shares), 4), unit="x", goal=GOAL_WARM_SHARE,
                    notes=f"worst {worst['family']} @ {worst['rtt'] * 1000:.0f} ms: "
                          f"{worst['warm_s']:.3f} s vs {worst['cold_s']:.3f} s; median share "
                          f"{statistics.median(shares):.3f}; second runs sent {warm_meta} "
                          f"metadata and {warm_all} requests in all"))
    naive_pairs = [(r["naive_s"], r["cold_s"]) for r in results if r["naive_s"] is not None]
    if naive_pairs:
        speedups = [n / c for n, c in naive_pairs]
        rows.append(Row(name="speed-up over the naive sequential resolver (median)",
                        measured=round(statistics.median(speedups), 2), unit="x", goal=None,
                        notes=f"range {min(speedups):.1f}x - {max(speedups):.1f}x over "
                              f"{len(speedups)} runs"))
    return rows


def run(smoke: bool) -> list[Row]:
    if smoke:
        return rows_from(measure(SMOKE_FAMILIES, (0.005,)), smoke)
    return rows_from(measure(FULL_FAMILIES, FULL_RTTS), smoke)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--family", action="append", default=[], metavar="DxW")
    ap.add_argument("--rtt", type=float, action="append", default=[], help="seconds")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    fams = [FamilySpec(*map(int, f.lower().split("x"))) for f in args.family]
    if fams or args.rtt or args.concurrency != CONCURRENCY or args.repeat != 1:
        res = measure(fams or FULL_FAMILIES, args.rtt or FULL_RTTS,
                      concurrency=args.concurrency, repeat=args.repeat)
        for row in rows_from(res, False):
            print(f"{row.name}: {row.measured} {row.unit} (goal {row.goal}) {row.notes}")
    else:
        for row in run(args.smoke):
            print(f"{row.name}: {row.measured} {row.unit} (goal {row.goal}) {row.notes}")
