"""Benchmark: ``mlbom index build --from-hub`` against a fake Hub listing N models (issue 19).

The fake Hub (``tests/fakehub.py``, in a child process so it does not share the client's
interpreter) lists a synthetic Hub of N models (``SyntheticListing``: 30% of them name an
earlier model as parent, through ``baseModels`` and ``base_model:<relation>:<id>`` tags) in
pages of 1,000, the most the Hub gives per listing page, with an injected RTT per request.
The build runs in its own child process, as a user's would:

- a full build: listing requests, wall time, models and links indexed (checked against the
  listing's own count, so a fast wrong build fails);
- a build killed (SIGKILL) after about half the pages, then run again: pages fetched twice
  (at most one, the page in flight when it died), requests and time of the resumed run, and
  the same final index as the uninterrupted build.

``--smoke``: 5,000 models, 5 ms RTT. Full: 200,000 models at 50 ms RTT (2,000,000 is the
Hub's size; its time is the page count times the per-page time measured here, which the
report extrapolates and says so). ``python3 bench/bench_index_hub.py --models N --rtt S``
runs one size.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for p in (REPO, BENCH, REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from common import Row  # noqa: E402

PAGE = 1000
RELATIONS = ("adapter", "finetune", "quantized", "merge")
HUB_MODELS = 2_000_000


class SyntheticListing(Sequence[dict[str, Any]]):
    """N listed models, made on demand from their index (no folder, little memory)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    @staticmethod
    def model_id(i: int) -> str:
        return f"org{i % 5000}/model-{i:07d}"

    @staticmethod
    def parent_of(i: int) -> int | None:
        return (i * 2654435761) % i if i >= 10 and i % 10 < 3 else None

    def item(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"_id": f"{i:024x}", "id": self.model_id(i),
                               "tags": ["transformers", "safetensors", "region:us"]}
        parent = self.parent_of(i)
        if parent is not None:
            rel, pid = RELATIONS[i % 4], self.model_id(parent)
            out["baseModels"] = {"relation": rel, "models": [{"id": pid}]}
            out["tags"] += [f"base_model:{pid}", f"base_model:{rel}:{pid}"]
        return out

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.item(i) for i in range(*index.indices(self.n))]
        if not 0 <= index < self.n:
            raise IndexError(index)
        return self.item(index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.item(i) for i in range(self.n))

    def links(self) -> int:
        return sum(1 for i in range(self.n) if self.parent_of(i) is not None)


_SERVER = """
import sys, tempfile
sys.path[:0] = sys.argv[3:]
from fakehub import FakeHub
from bench_index_hub import SyntheticListing, PAGE
with tempfile.TemporaryDirectory() as root, FakeHub(root, rtt=float(sys.argv[2]), page_size=PAGE,
        listing=SyntheticListing(int(sys.argv[1]))) as hub:
    print(hub.endpoint, flush=True)
    for line in sys.stdin:
        print(sum(1 for r in hub.requests if r.kind == "list_models"), flush=True)
"""

_BUILD = """
import json, sys, time
sys.path[:0] = sys.argv[3:]
from lineage.hubindex import build_index_from_hub
start = time.perf_counter()
stats = build_index_from_hub(sys.argv[1], sys.argv[2], None, None)
print(json.dumps({"seconds": time.perf_counter() - start, "models": stats.models,
                  "edges": stats.edges, "listed": stats.listed, "resumed": stats.resumed,
                  "complete": stats.complete}), flush=True)
"""


class ListingHub:
    def __init__(self, models: int, rtt: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(models), str(rtt), str(REPO), str(BENCH),
             str(REPO / "tests")], cwd=REPO, text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # a killed client's resets
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()

    def pages_served(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _build(db: str, endpoint: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _BUILD, db, endpoint, str(REPO)], cwd=REPO,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1"})


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"index build failed: {err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def measure(models: int, rtt: float, workdir: Path) -> dict[str, Any]:
    listing = SyntheticListing(models)
    links = listing.links()
    pages = -(-models // PAGE)
    hub = ListingHub(models, rtt)
    try:
        start = time.perf_counter()
        full = _finish(_build(f"sqlite:///{workdir / 'full.db'}", hub.endpoint))
        full_wall = time.perf_counter() - start
        full_requests = hub.pages_served()
        assert (full["models"], full["edges"], full["complete"]) == (models, links, True), full

        db = f"sqlite:///{workdir / 'killed.db'}"
        before = hub.pages_served()
        proc = _build(db, hub.endpoint)
        while hub.pages_served() - before < pages // 2 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        first_part = hub.pages_served() - before
        start = time.perf_counter()
        resumed = _finish(_build(db, hub.endpoint))
        resumed_wall = time.perf_counter() - start
        second_part = hub.pages_served() - before - first_part
        assert resumed["resumed"] and resumed["complete"], resumed
        assert (resumed["models"], resumed["edges"]) == (models, links), resumed
    finally:
        hub.close()
    return {"models": models, "links": links, "rtt": rtt, "pages": pages,
            "full_requests": full_requests, "full_seconds": full["seconds"],
            "full_wall": full_wall, "killed_after": first_part,
            "resumed_requests": second_part, "refetched": first_part + second_part - pages,
            "resumed_seconds": resumed["seconds"], "resumed_wall": resumed_wall}


def rows_from(r: dict[str, Any], smoke: bool) -> list[Row]:
    per_page = r["full_seconds"] / r["pages"]
    hub_pages = -(-HUB_MODELS // PAGE)
    size = f"{r['models']:,} models, {r['rtt'] * 1000:.0f} ms RTT"
    return [
        Row(name=f"index --from-hub, {size}: wall time", measured=round(r["full_seconds"], 2),
            unit="s", goal=None,
            notes=f"{r['full_requests']} listing requests for {r['pages']} pages; "
                  f"{r['links']:,} links indexed; {per_page * 1000:.1f} ms per page"),
        Row(name=f"index --from-hub, {size}: requests per page", measured=round(
            r["full_requests"] / r["pages"], 3), unit="req", goal=None if smoke else 1.0),
        Row(name=f"index --from-hub, {size}: pages fetched again after a kill",
            measured=r["refetched"], unit="pages", goal=None if smoke else 1, notes=(
                f"killed after {r['killed_after']} pages; the resumed run sent "
                f"{r['resumed_requests']} requests in {r['resumed_seconds']:.2f} s and "
                "indexed the same models and links")),
        Row(name="index --from-hub, the Hub's 2,000,000 models (extrapolated)",
            measured=round(per_page * hub_pages / 60, 1), unit="min", goal=None,
            notes=f"{hub_pages} requests x {per_page * 1000:.1f} ms per page measured here; "
                  "the real Hub's own time per page and rate limits come on top"),
    ]


def run(smoke: bool, models: int | None = None, rtt: float | None = None) -> list[Row]:
    models = models or (5_000 if smoke else 200_000)
    rtt = rtt if rtt is not None else (0.005 if smoke else 0.05)
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(models, rtt, Path(tmp))
    print(json.dumps(result), file=sys.stderr)
    return rows_from(result, smoke)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--models", type=int)
    ap.add_argument("--rtt", type=float)
    args = ap.parse_args()
    for row in run(args.smoke, args.models, args.rtt):
        print(row)
