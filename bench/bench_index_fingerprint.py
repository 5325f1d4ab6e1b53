"""Benchmark: what fingerprints cost the Hub-wide index (issue 17).

Schema 2 asks the listing for ``config``, ``safetensors`` and ``createdAt`` besides
``baseModels`` and ``tags``, and stores a fingerprint and a creation time per model. This
measures, on the same synthetic Hub (``bench_index_hub.SyntheticListing``: ids and links),
listed without and with those fields:

- requests of ``index build --from-hub`` (the fake Hub's request log): the fields ride on the
  same pages, so the count must not change;
- bytes per model of a listing item (JSON as the fake Hub serves it) and of the dump line;
- the SQLite index size per model and the dump build time, without and with fingerprints;
- ``same-fingerprint`` of the most shared fingerprint, and the run-side look-up of 100
  fingerprints (``indexed_foundations``).

The ``config`` summaries are the shapes recorded from the real Hub (``tests/hub_recordings``:
bert's empty ``tokenizer_config``, albert's special tokens) and a Llama-style one of the same
shape; 85% of models carry ``safetensors`` counts, drawn from 2,000 shapes with a skew (a
few shapes are shared by many models, as Llama-8B's is on the Hub). Chat templates,
when the Hub's summary carries them, add their own length on top (not modelled). Every step
runs in a fresh child process. ``--smoke``: 5,000 models at 5 ms RTT; full: 200,000 models at
50 ms RTT.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for p in (REPO, BENCH, REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_index_hub import PAGE, SyntheticListing  # noqa: E402
from common import Row, run_child  # noqa: E402

from lineage.hubindex import listing_fingerprint  # noqa: E402

CONFIGS = (
    {"architectures": ["BertForMaskedLM"], "model_type": "bert", "tokenizer_config": {}},
    {"architectures": ["AlbertModel"], "model_type": "albert", "tokenizer_config": {
        "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "<unk>", "sep_token": "[SEP]",
        "pad_token": "<pad>", "cls_token": "[CLS]", "mask_token": {
            "content": "[MASK]", "single_word": False, "lstrip": True, "rstrip": False,
            "normalized": True, "__type": "AddedToken"}}},
    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "tokenizer_config": {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}},
)
SHAPES = 2000


class FingerprintListing(SyntheticListing):
    """The same models, listed with ``config``, ``safetensors`` and ``createdAt``."""

    def item(self, i: int) -> dict[str, Any]:
        out = super().item(i)
        u = ((i * 7919) % 10007) / 10007
        shape = int(SHAPES * u ** 3)  # skewed: a few shapes (Llama-8B-like) are very common
        out["config"] = CONFIGS[shape % len(CONFIGS)]
        if i % 20 >= 3:  # 85% carry counts
            out["safetensors"] = {"parameters": {"BF16": 1_000_000 + shape * 4096},
                                  "total": 1_000_000 + shape * 4096}
        day = i % 3650
        out["createdAt"] = f"{2016 + day // 365:04d}-{1 + day % 12:02d}-{1 + day % 28:02d}" \
                           "T00:00:00.000Z"
        return out


def _write_dump(listing: SyntheticListing, path: Path) -> int:
    size = 0
    with path.open("w", encoding="utf-8") as fh:
        for item in listing:
            line = json.dumps({k: v for k, v in item.items() if k != "_id"}) + "\n"
            size += len(line.encode())
            fh.write(line)
    return size


_SERVER = """
import sys, tempfile
sys.path[:0] = sys.argv[4:]
from fakehub import FakeHub
import bench_index_fingerprint as b, bench_index_hub as h
kind = b.FingerprintListing if sys.argv[3] == "v2" else h.SyntheticListing
with tempfile.TemporaryDirectory() as root, FakeHub(root, rtt=float(sys.argv[2]),
        page_size=h.PAGE, listing=kind(int(sys.argv[1]))) as hub:
    print(hub.endpoint, flush=True)
    sys.stdin.readline()
    print(sum(1 for r in hub.requests if r.kind == "list_models"), flush=True)
"""

_BUILD_HUB = """
import json, sys, time
from lineage.hubindex import build_index_from_hub
t0 = time.perf_counter()
s = build_index_from_hub(sys.argv[1], sys.argv[2], None, None)
print(json.dumps({"seconds": time.perf_counter() - t0, "listed": s.listed,
                  "fingerprinted": s.fingerprinted}))
"""

_BUILD_FILE = """
import json, sys, time
from lineage.hubindex import build_index_from_file
t0 = time.perf_counter()
s = build_index_from_file(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t0, "listed": s.listed,
                  "fingerprinted": s.fingerprinted}))
"""

_QUERY = """
import json, sys, time
from lineage.hubindex import indexed_foundations, same_fingerprint
db, fp, fps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
m = same_fingerprint(db, fp, limit=1000)
t1 = time.perf_counter()
found = indexed_foundations(db, fps)
t2 = time.perf_counter()
print(json.dumps({"same": t1 - t0, "total": m.total, "batch": t2 - t1,
                  "batch_hits": sum(v.total for v in found.values())}))
"""


def _json_child(code: str, *args: str) -> dict[str, float]:
    out, _wall, _ = run_child(code, *args)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _hub_build(db: str, models: int, rtt: float, kind: str) -> tuple[dict[str, float], int]:
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(models), str(rtt), kind, str(REPO), str(BENCH),
         str(REPO / "tests")], cwd=REPO, text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(BENCH)])})
    assert server.stdin is not None and server.stdout is not None
    try:
        endpoint = server.stdout.readline().strip()
        result = _json_child(_BUILD_HUB, db, endpoint)
        server.stdin.write("count\n")
        server.stdin.flush()
        requests = int(server.stdout.readline())
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(timeout=10)
    return result, requests


def _item_bytes(listing: SyntheticListing, sample: int = 2000) -> float:
    step = max(1, len(listing) // sample)
    items = [listing.item(i) for i in range(0, len(listing), step)]
    return sum(len(json.dumps(i).encode()) for i in items) / len(items)


def run(smoke: bool) -> list[Row]:
    models, rtt = (5_000, 0.005) if smoke else (200_000, 0.05)
    old, new = SyntheticListing(models), FingerprintListing(models)
    with tempfile.TemporaryDirectory(prefix="mlbom-bench-fp-") as tmp:
        t = Path(tmp)
        sizes = {"v1": _write_dump(old, t / "v1.jsonl"), "v2": _write_dump(new, t / "v2.jsonl")}
        files = {k: _json_child(_BUILD_FILE, f"sqlite:///{t}/{k}-file.db", str(t / f"{k}.jsonl"))
                 for k in ("v1", "v2")}
        db_bytes = {k: (t / f"{k}-file.db").stat().st_size for k in ("v1", "v2")}
        hubs = {k: _hub_build(f"sqlite:///{t}/{k}-hub.db", models, rtt, k) for k in ("v1", "v2")}
        counts = Counter(fp for item in new if (fp := listing_fingerprint(item)))
        common_fp = counts.most_common(1)[0][0]
        fps = sorted(counts)[:: max(1, len(counts) // 100)][:100]
        query = _json_child(_QUERY, f"sqlite:///{t}/v2-file.db", common_fp, json.dumps(fps))
    if files["v2"]["fingerprinted"] != hubs["v2"][0]["fingerprinted"]:
        raise AssertionError("dump and Hub builds stored different fingerprint counts")
    pages = math.ceil(models / PAGE)
    per = {k: db_bytes[k] / models for k in db_bytes}
    scale = f"{models:,} models, {int(files['v2']['fingerprinted']):,} with a fingerprint"
    return [
        Row("from-hub requests, with fingerprints", hubs["v2"][1], "requests", pages,
            notes=f"{scale}; without: {hubs['v1'][1]} (pages of {PAGE})"),
        Row("from-hub build time, with fingerprints", hubs["v2"][0]["seconds"], "s", None,
            notes=f"without: {hubs['v1'][0]['seconds']:.1f} s; {rtt * 1000:.0f} ms RTT; "
                  "loaded machine, noisy"),
        Row("listing bytes per model, with fingerprints", _item_bytes(new), "bytes", None,
            notes=f"without: {_item_bytes(old):.0f} bytes"),
        Row("dump bytes per model, with fingerprints", sizes["v2"] / models, "bytes", None,
            notes=f"without: {sizes['v1'] / models:.0f} bytes"),
        Row("index size per model, with fingerprints", per["v2"], "bytes", None,
            notes=f"without: {per['v1']:.0f} bytes (SQLite file / models)"),
        Row("dump build time, with fingerprints", files["v2"]["seconds"], "s", None,
            notes=f"without: {files['v1']['seconds']:.2f} s; loaded machine, noisy"),
        Row("same-fingerprint, most shared", query["same"] * 1000, "ms", None,
            notes=f"{int(query['total']):,} models share it (first 1,000 listed)"),
        Row(f"run look-up of {len(fps)} fingerprints", query["batch"] * 1000, "ms", None,
            notes=f"foundations only; {int(query['batch_hits']):,} hits"),
    ]


if __name__ == "__main__":
    start = time.perf_counter()
    for row in run("--smoke" in sys.argv):
        print(f"{row.name}: {row.measured:,.2f} {row.unit}  ({row.notes})")
    print(f"({time.perf_counter() - start:.0f} s)")
