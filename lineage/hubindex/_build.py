"""Building the index: from a metadata dump (JSON Lines or Parquet) or by paging the Hub.

A dump build replaces the whole index in one step: for SQLite a new file is written beside the
old one and moved over it, so a failed build leaves the previous index intact. A Hub build
writes one transaction per page together with the page cursor, so an interrupted build
continues where it stopped when run again against the same endpoint.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from lineage.db import connect_sqlite, database_errors, store_error
from lineage.errors import HubError, InputError, ParseError
from lineage.hubindex._records import ListedModel, RecordError, parse_listed_model
from lineage.hubindex._store import (
    INDEX_DDL,
    SCHEMA_VERSION,
    Store,
    open_store,
    parse_db_url,
    replace_sqlite_file,
    table_ddl,
)
from lineage.sources.hub_client import HubClient
from lineage.text_safety import redact_url

MAX_LINE_BYTES = 1024 * 1024  # one listed model; real ones are well under 10 kB
MAX_PROBLEMS_KEPT = 100
_PROGRESS_EVERY = 50_000


class BuildProgress(Protocol):
    """What a build reports as it goes. ``total`` is None when unknown (Hub paging)."""

    def update(self, done: int, total: int | None, phase: str) -> None: ...


class NullProgress:
    """Reports nothing."""

    def update(self, done: int, total: int | None, phase: str) -> None:
        return None


@dataclass(frozen=True)
class BuildStats:
    """What a build did. ``models`` and ``edges`` count the whole index after the build;
    ``listed`` counts models read in this run. ``problems`` holds the first messages
    (``line 17: not valid JSON``); ``malformed`` counts them all."""

    source: str
    models: int
    edges: int
    listed: int
    seconds: float
    complete: bool = True
    resumed: bool = False
    malformed: int = 0
    skipped_parents: int = 0
    problems: tuple[str, ...] = ()
    fingerprinted: int = 0  # models in the index that have a fingerprint


# -- from a dump ------------------------------------------------------------------------------


class _Accumulator:
    """Models and links in memory, with integer ids assigned in order of first sight."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.listed = bytearray()
        self.edges: dict[int, list[tuple[int, str]]] = {}
        self.details: dict[int, tuple[str | None, int | None]] = {}  # created, fingerprint
        self.fingerprints: dict[str, int] = {}  # text -> row id - 1, in order of first sight
        self.read = 0
        self.malformed = 0
        self.skipped_parents = 0
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"{where}: {message}")

    def _id(self, name: str, listed: bool) -> int:
        key = name.lower()
        found = self.ids.get(key)
        if found is None:
            found = len(self.names)
            self.ids[key] = found
            self.names.append(name)
            self.listed.append(1 if listed else 0)
        elif listed:
            self.names[found] = name
            self.listed[found] = 1
        return found

    def add(self, where: str, record: object) -> None:
        if not isinstance(record, Mapping):
            self.problem(where, f"expected a JSON object, got {type(record).__name__}")
            return
        try:
            model = parse_listed_model(record)
        except RecordError as exc:
            self.problem(where, str(exc))
            return
        self.read += 1
        self.skipped_parents += model.skipped_parents
        child = self._id(model.model_id, True)
        if model.created or model.fingerprint:
            fp = None if model.fingerprint is None else \
                self.fingerprints.setdefault(model.fingerprint, len(self.fingerprints))
            self.details[child] = (model.created, fp)
        else:
            self.details.pop(child, None)
        if model.parents:
            self.edges[child] = [(self._id(p, False), rel) for p, rel in model.parents]
        elif child in self.edges:
            del self.edges[child]

    def edge_rows(self) -> list[tuple[int, int, str]]:
        rows = [(c, p, rel) for c, links in self.edges.items() for p, rel in links]
        rows.sort()
        return rows

    def model_rows(self) -> Iterator[tuple[int, str, str, int, str | None, int | None]]:
        for i, name in enumerate(self.names):
            created, fp = self.details.get(i, (None, None))
            yield i + 1, name.lower(), name, self.listed[i], created, \
                None if fp is None else fp + 1

    def fingerprint_rows(self) -> Iterator[tuple[int, str]]:
        return ((i + 1, text) for text, i in self.fingerprints.items())

    def fingerprinted(self) -> int:
        return sum(1 for _created, fp in self.details.values() if fp is not None)


def _read_jsonl(path: Path, acc: _Accumulator, progress: BuildProgress) -> None:
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            done += len(line)
            if lineno % _PROGRESS_EVERY == 0:
                progress.update(done, total, "reading")
            if len(line) > MAX_LINE_BYTES:
                acc.problem(f"line {lineno}", f"longer than {MAX_LINE_BYTES} bytes")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as exc:
                reason = "not valid JSON" if isinstance(exc, ValueError) else "nested too deep"
                acc.problem(f"line {lineno}", reason)
                continue
            acc.add(f"line {lineno}", record)
    progress.update(total, total, "reading")


def _read_parquet(path: Path, acc: _Accumulator, progress: BuildProgress) -> None:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from exc
    try:
        pfile = pq.ParquetFile(str(path))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from exc
    wanted = [c for c in ("id", "modelId", "baseModels", "tags", *_JSON_COLUMNS)
              if c in pfile.schema_arrow.names]
    if "id" not in wanted and "modelId" not in wanted:
        raise InputError(f"{path}: Parquet dump has no 'id' column")
    total = pfile.metadata.num_rows
    row = 0
    for batch in pfile.iter_batches(columns=wanted, batch_size=65_536):
        for record in batch.to_pylist():
            row += 1
            bad = _decode_json_columns(record)
            if bad:
                acc.problem(f"row {row}", f"{bad} is not valid JSON")
                continue
            acc.add(f"row {row}", record)
        progress.update(row, total, "reading")


_JSON_COLUMNS = ("baseModels", "config", "safetensors", "createdAt")


def _decode_json_columns(record: dict[str, Any]) -> str | None:
    """Parquet dumps may hold the nested fields as JSON text: decode them in place. Returns the
    first column that is not valid JSON (``createdAt`` is plain text and left as it is)."""
    for column in _JSON_COLUMNS[:3]:
        value = record.get(column)
        if isinstance(value, str):
            try:
                record[column] = json.loads(value)
            except (ValueError, RecursionError):
                return column
    return None


def _write_sqlite_fresh(final: Path, acc: _Accumulator, meta: dict[str, str]) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{final.name}.build-{os.getpid()}")
    if tmp.exists():
        tmp.unlink()
    try:
        conn = connect_sqlite(tmp, create=False,
                              pragmas=("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"))
        try:
            for stmt in table_ddl(False):
                conn.execute(stmt)
            conn.executemany(
                "INSERT INTO hub_models (id, key, name, listed, created, fingerprint_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                acc.model_rows(),
            )
            conn.executemany("INSERT INTO hub_fingerprints (id, text) VALUES (?, ?)",
                             acc.fingerprint_rows())
            conn.executemany(
                "INSERT INTO hub_edges (child, parent, relation) VALUES (?, ?, ?)",
                ((c + 1, p + 1, r) for c, p, r in acc.edge_rows()),
            )
            for stmt in INDEX_DDL:
                conn.execute(stmt)
            conn.executemany("INSERT INTO hub_meta (k, v) VALUES (?, ?)", meta.items())
            conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
        finally:
            conn.close()
        replace_sqlite_file(tmp, final)
    except database_errors(OSError) as exc:
        raise store_error(f"index build into {final} failed", exc) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_pg_fresh(store: Store, acc: _Accumulator, meta: dict[str, str]) -> None:
    conn: Any = store.conn
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("TRUNCATE hub_edges, hub_models, hub_fingerprints, hub_meta")
            with cur.copy("COPY hub_models (id, key, name, listed, created, fingerprint_id)"
                          " FROM STDIN") as copy:
                for row in acc.model_rows():
                    copy.write_row(row)
            with cur.copy("COPY hub_fingerprints (id, text) FROM STDIN") as copy:
                for fp_row in acc.fingerprint_rows():
                    copy.write_row(fp_row)
            with cur.copy("COPY hub_edges (child, parent, relation) FROM STDIN") as copy:
                for c, p, r in acc.edge_rows():
                    copy.write_row((c + 1, p + 1, r))
            for table in ("hub_models", "hub_fingerprints"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" GREATEST((SELECT MAX(id) FROM {table}), 1))"
                )
            store.set_meta(meta)
            cur.execute("ANALYZE hub_models")
            cur.execute("ANALYZE hub_edges")
    except database_errors() as exc:
        raise store_error(f"index build into {store.target.display} failed", exc) from exc


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_index_from_file(
    db_url: str | None, path: str | os.PathLike[str], progress: BuildProgress | None = None
) -> BuildStats:
    """Replace the index with the lineage in a metadata dump.

    ``path`` is JSON Lines (one listed model an object per line, as
    ``list_models(expand=["baseModels", "tags", "config", "safetensors", "createdAt"])``
    gives them) or Parquet (``.parquet``, with ``id``, ``baseModels`` and/or ``tags``
    columns, and ``config``/``safetensors``/``createdAt`` for fingerprints). Malformed lines
    are skipped and reported in ``BuildStats.problems`` by line number. Raises ``InputError``
    for an unreadable file and ``StoreError`` when the database cannot be written; the old
    index then stays as it was.
    """
    started = time.perf_counter()
    progress = progress or NullProgress()
    src = Path(path)
    if not src.is_file():
        raise InputError(f"{src}: no such dump file")
    acc = _Accumulator()
    try:
        if src.suffix.lower() in (".parquet", ".pq"):
            _read_parquet(src, acc, progress)
        else:
            _read_jsonl(src, acc, progress)
    except OSError as exc:
        raise InputError(f"{src}: cannot read dump: {exc}") from exc
    edge_count = sum(len(v) for v in acc.edges.values())
    meta = {
        "schema": SCHEMA_VERSION, "source": f"file:{src.name}", "built": _now(),
        "status": "complete", "fingerprinted": str(acc.fingerprinted()),
    }
    progress.update(0, None, "writing")
    target = parse_db_url(db_url)
    if target.kind == "sqlite":
        assert target.path is not None
        _write_sqlite_fresh(target.path, acc, meta)
    else:
        with open_store(db_url, create=True) as store:
            _write_pg_fresh(store, acc, meta)
    progress.update(1, 1, "writing")
    return BuildStats(
        source=str(src), models=len(acc.names), edges=edge_count, listed=acc.read,
        seconds=time.perf_counter() - started, complete=True, resumed=False,
        malformed=acc.malformed, skipped_parents=acc.skipped_parents,
        problems=tuple(acc.problems), fingerprinted=acc.fingerprinted(),
    )


# -- from the Hub -----------------------------------------------------------------------------

# config + safetensors give the fingerprint, createdAt the age: the same pages, larger answers
_FIRST_PAGE = ("/api/models?expand=baseModels&expand=tags&expand=config&expand=safetensors"
               "&expand=createdAt")


@dataclass
class _HubRun:
    """What one ``build_index_from_hub`` call has done so far."""

    seen: int  # models in the index's listing so far, earlier calls included
    listed_now: int = 0
    skipped_parents: int = 0
    malformed: int = 0
    problems: list[str] = field(default_factory=list)

    def rows(self, page_no: int, items: list[Any]) -> list[ListedModel]:
        """The index rows of one page; malformed items are counted and the first named."""
        rows: list[ListedModel] = []
        for pos, item in enumerate(items, 1):
            if not isinstance(item, Mapping):
                self.malformed += 1
                continue
            try:
                model = parse_listed_model(item)
            except RecordError as exc:
                self.malformed += 1
                if len(self.problems) < MAX_PROBLEMS_KEPT:
                    self.problems.append(f"page {page_no} item {pos}: {exc}")
                continue
            self.skipped_parents += model.skipped_parents
            rows.append(model)
        return rows


def _start_or_resume(store: Store, base: str) -> tuple[str, int, bool]:
    """The page to fetch next, the models listed so far and whether this resumes a build
    that stopped; a fresh build empties the index first."""
    meta = store.get_meta()
    if (meta.get("status") == "running" and meta.get("source") == f"hub:{redact_url(base)}"
            and bool(meta.get("next"))):
        return meta["next"], int(meta.get("listed", "0")), True
    store.clear()
    store.set_meta({"schema": SCHEMA_VERSION, "source": f"hub:{redact_url(base)}",
                    "status": "running",
                    "next": _FIRST_PAGE, "listed": "0", "built": _now()})
    store.commit()
    return _FIRST_PAGE, 0, False


def _fetch_page(client: HubClient, path: str, page_no: int, seen: int
                ) -> tuple[list[Any], str | None]:
    try:
        return client.list_page(path, client.endpoint, page_no=page_no)
    except (HubError, ParseError) as exc:
        reason = exc.reason if isinstance(exc, HubError) else "hub-error"
        raise HubError(
            f"Hub listing failed on page {page_no} ({exc.message}); {seen} models indexed so "
            "far: run the same command again to resume", subject=client.endpoint,
            reason=reason) from exc


def _fetch_page_by_deadline(client: HubClient, path: str, page_no: int, run: _HubRun
                            ) -> tuple[list[Any], str | None] | None:
    """``_fetch_page``, or ``None`` (with a problem on the run) once the run's deadline has
    cut the listing: the pages written so far stay, and the next build resumes."""
    try:
        return _fetch_page(client, path, page_no, run.seen)
    except HubError:
        if not client.deadline_passed():
            raise
        run.problems.append(f"the --deadline was reached on page {page_no}: {run.seen} models "
                            "indexed so far; run the same command again to resume")
        return None


def build_index_from_hub(
    db_url: str | None,
    endpoint: str | None,
    token: str | None,
    progress: BuildProgress | None = None,
    limit: int | None = None,
    *,
    max_retries: int = 5,
    client: HubClient | None = None,
    run_deadline: float | None = None,
) -> BuildStats:
    """Page through the Hub's model listing (``expand`` baseModels, tags, config, safetensors
    and createdAt) into the index.

    Each page is written in one transaction together with the link to the next page. When a
    previous build against the same endpoint did not finish (network failure, Ctrl-C,
    ``limit``), this call continues from the stored page instead of starting over; otherwise
    it starts a fresh index. ``limit`` stops after that many models in this call (the rest is
    left for a later call). Failures raise ``HubError`` (the index keeps what was written
    and the next call resumes) or ``StoreError``. Pages come through mlbom's one Hub client
    (``client``, else one for ``endpoint`` retrying ``max_retries`` times). When
    ``run_deadline`` (``time.monotonic()``, from ``--deadline``) passes, the build stops after
    the last whole page, incomplete and resumable, with a problem saying so.
    """
    from lineage.sources.hub import resolve_endpoint

    started = time.perf_counter()
    progress = progress or NullProgress()
    base = client.endpoint if client is not None else resolve_endpoint(endpoint)
    client = client or HubClient(base, token, max_attempts=max_retries + 1, backoff_base=0.5,
                                 timeout=60.0, attempt_deadline=120.0, retry_budget=300.0,
                                 run_deadline=run_deadline)
    complete = False
    with open_store(db_url, create=True) as store:
        next_rel, seen, resumed = _start_or_resume(store, base)
        run = _HubRun(seen)
        page_no = 0
        while not complete and (limit is None or run.listed_now < limit):
            page_no += 1
            fetched = _fetch_page_by_deadline(client, next_rel, page_no, run)
            if fetched is None:
                break
            page, link = fetched
            take = page if limit is None else page[: limit - run.listed_now]
            store.upsert_listed(run.rows(page_no, take))
            run.listed_now += len(take)
            run.seen += len(take)
            update = {"listed": str(run.seen)}
            if len(take) == len(page):  # the whole page is in: move the cursor on
                if link:
                    next_rel = update["next"] = link
                else:
                    update.update(status="complete", next="", built=_now())
                    complete = True
            store.set_meta(update)
            store.commit()
            progress.update(run.seen, None, "listing")
        models, edges = store.counts()
        fingerprinted = store.fingerprinted()
    return BuildStats(
        source=redact_url(base), models=models, edges=edges, listed=run.listed_now,
        seconds=time.perf_counter() - started, complete=complete, resumed=resumed,
        malformed=run.malformed, skipped_parents=run.skipped_parents,
        problems=tuple(run.problems), fingerprinted=fingerprinted,
    )
