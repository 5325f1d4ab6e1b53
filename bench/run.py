"""Run mlbom's benchmarks and print measured value, goal and ratio for each.

    python bench/run.py [--smoke] [--only NAME ...] [--json PATH]

Discovers ``bench/bench_*.py``; each exposes ``run(smoke: bool) -> list[Row]``. Writes JSON
(default ``bench/results/latest.json``) with the machine, the rows and any module failures.
Exit status: 0 when every benchmark ran (misses are reported, not fatal: CI runs ``--smoke``
to keep benchmarks working and times nothing), 1 when a benchmark module failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

from common import Row, machine  # noqa: E402


def discover(only: list[str] | None) -> dict[str, Path]:
    found = {p.stem[len("bench_"):]: p for p in sorted(BENCH_DIR.glob("bench_*.py"))}
    if only:
        unknown = [n for n in only if n not in found]
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; have: "
                             f"{', '.join(found) or 'none'}")
        found = {n: found[n] for n in only}
    return found


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or 0.01 <= abs(value) < 100_000:
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:.3g}"


def table(rows: list[tuple[str, Row]], smoke: bool) -> str:
    head = ("benchmark", "measure", "measured", "goal", "ratio", "result")
    body = []
    for bench, r in rows:
        goal = "-" if r.goal is None else f"{r.comparison} {_fmt(r.goal)} {r.unit}"
        result = "smoke" if smoke else ("-" if r.goal is None else ("pass" if r.passed else "MISS"))
        body.append((bench, r.name, f"{_fmt(r.measured)} {r.unit}", goal, _fmt(r.ratio), result))
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    lines = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(line)).rstrip()
             for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {b}/{r.name}: {r.notes}" for b, r in rows if r.notes]
    return "\n".join(lines + (["", "notes:"] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run mlbom benchmarks.")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes: checks they run, times nothing")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these (bench_NAME.py)")
    ap.add_argument("--json", type=Path, default=BENCH_DIR / "results" / "latest.json")
    args = ap.parse_args(argv)

    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
          f"{info['memory_gib']} GiB, Python {info['python']}, {info['platform']}",
          file=sys.stderr)
    results: list[tuple[str, Row]] = []
    failures: dict[str, str] = {}
    durations: dict[str, float] = {}
    for name, path in discover(args.only).items():
        print(f"running {name}{' (smoke)' if args.smoke else ''}...", file=sys.stderr)
        t0 = time.perf_counter()
        try:
            rows = load(name, path).run(args.smoke)
            results.extend((name, r) for r in rows)
        except Exception:
            failures[name] = traceback.format_exc()
            print(f"{name} FAILED:\n{failures[name]}", file=sys.stderr)
        durations[name] = round(time.perf_counter() - t0, 2)

    print(table(results, args.smoke))
    doc = {
        "format": "mlbom-bench/1",
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "smoke": args.smoke,
        "machine": info,
        "durations_s": durations,
        "rows": [{"benchmark": b, **r.as_dict()} for b, r in results],
        "failures": failures,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_name(args.json.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.json)
    print(f"wrote {args.json}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
