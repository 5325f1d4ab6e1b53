"""Find every model, adapter, dataset and code repo a product's source tree names.

``scan_tree(root)`` walks the tree (``.git``, virtualenvs, ``node_modules`` and caches are
skipped; symlinked folders are never followed), reads only the files a detector understands
(Python, notebooks, YAML/TOML/JSON/.env configs, Dockerfiles, shell scripts, Makefiles,
Ollama Modelfiles) and returns a ``ScanResult``. Nothing found is ever executed or imported.
Files that could not be read fully (binary, larger than the caps, malformed) are problems in
the result, never silently passed over. Python files are parsed only when their text
mentions a loader or a model, which is what keeps a 50,000-file tree fast; the work is spread
over every core for large trees.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import InputError, ParseError
from lineage.scan.interface import FORMAT, KINDS, Reference, ScanProblem, ScanResult

__all__ = ["FORMAT", "KINDS", "Reference", "ScanProblem", "ScanResult", "scan_tree"]

MAX_FILE_BYTES = 4 * 1024 * 1024  # source and config files; notebooks: see notebooks.py
MAX_NOTEBOOK_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 1_000_000  # files walked before the scan stops (reported)
_PARALLEL_ABOVE = 400  # candidate files: below this, one process is faster than a pool
_CHUNK = 256

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "dist-packages", ".eggs",
    ".ipynb_checkpoints", ".cache", ".idea", ".vscode",
})
_TRIGGER = re.compile(
    r"from_pretrained|pipeline|SentenceTransformer|CrossEncoder|SparseEncoder|hf_hub|"
    r"snapshot_download|load_dataset|_info\(|HuggingFace|LLM\(|EngineArgs|InferenceClient|"
    r"from_quantized|from_single_file|load_adapter|load_lora|load_textual|load_ip_adapter|"
    r"FlagModel|FlagReranker|TextEmbedding|WhisperModel|create_model|model|MODEL|Model|"
    r"dataset|DATASET|tokenizer|checkpoint|adapter|lora|LORA")


def _detector(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".py"):
        return "python"
    if lower.endswith(".ipynb"):
        return "notebook"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".toml"):
        return "toml"
    if lower.endswith(".json") and lower not in ("package-lock.json", "composer.lock") and \
            not lower.endswith((".min.json", ".map.json")):
        return "json"
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return "env"
    if lower.startswith(("dockerfile", "containerfile")) or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.startswith("modelfile") or lower.endswith(".modelfile"):
        return "modelfile"
    if lower.endswith((".sh", ".bash", ".zsh", ".mk")) or lower in ("makefile", "procfile"):
        return "shell"
    return None


def _excluded(rel: str, excludes: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pat)
               or fnmatch.fnmatch(rel + "/", pat) for pat in excludes)


def _walk(root: Path, excludes: Sequence[str], result: ScanResult
          ) -> Iterator[tuple[str, str]]:
    """(relative POSIX path, detector) for every file a detector reads."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            result.problems.append(ScanProblem(_rel(root, Path(folder)) or ".",
                                               f"folder not read: {exc.strerror or exc}"))
            continue
        for entry in entries:
            rel = _rel(root, Path(entry.path))
            if _excluded(rel, excludes):
                continue
            if entry.is_symlink():
                if entry.is_dir():
                    result.problems.append(ScanProblem(rel, "symlink to a folder: not followed"))
                    continue
                if not _inside(root, Path(entry.path)):
                    result.problems.append(ScanProblem(rel, "symlink out of the tree: not read"))
                    continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info") or \
                        (Path(entry.path) / "pyvenv.cfg").exists():
                    continue
                stack.append(Path(entry.path))
                continue
            result.files_seen += 1
            if result.files_seen > MAX_FILES:
                result.problems.append(ScanProblem(".", f"more than {MAX_FILES} files: the "
                                                   "rest of the tree was not scanned"))
                return
            detector = _detector(entry.name) or _shebang(entry.path, entry.name)
            if detector is not None:
                yield rel, detector


def _shebang(path: str, name: str) -> str | None:
    """An extensionless script (``scripts/setup``) read by its ``#!`` line."""
    if "." in name:
        return None
    try:
        with open(path, "rb") as fh:
            first = fh.read(128).split(b"\n", 1)[0]
    except OSError:
        return None
    if first.startswith(b"#!") and b"python" in first:
        return "python"
    if first.startswith(b"#!") and (b"sh" in first.rsplit(b"/", 1)[-1]):
        return "shell"
    return None


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else ""


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _read(root: Path, rel: str, detector: str) -> tuple[str | None, list[str]]:
    cap = MAX_NOTEBOOK_FILE_BYTES if detector == "notebook" else MAX_FILE_BYTES
    try:
        data = read_capped(root / rel, cap)
    except CappedReadError as exc:
        return None, [exc.choose(unreadable=f"not read: {exc.detail}",
                                 too_large=f"larger than {cap // (1024 * 1024)} MiB: not read")]
    if b"\x00" in data[:8192]:
        return None, ["binary file: not read"]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), ["invalid UTF-8 replaced"]


def scan_file(root: Path, rel: str, detector: str) -> tuple[list[Reference], list[str], bool]:
    """(references, problems, read) for one file; never raises for bad content."""
    from lineage.scan import commands, configs, notebooks, python_code

    text, problems = _read(root, rel, detector)
    if text is None:
        return [], problems, False
    try:
        if detector == "python":
            if not _TRIGGER.search(text):
                return [], problems, True
            return python_code.scan_python_source(text, rel), problems, True
        if detector == "notebook":
            refs, more = notebooks.scan_notebook(text, rel)
            return refs, problems + more, True
        if detector == "yaml":  # commands in k8s/compose args are read even when the
            refs = commands.scan_commands(text, rel)  # YAML itself is a template
            try:
                refs += configs.scan_yaml(text, rel)
            except ParseError as exc:
                return refs, problems + [str(exc)], False
            return refs, problems, True
        readers = {"toml": configs.scan_toml, "json": configs.scan_json, "env": configs.scan_env}
        if detector in readers:
            return readers[detector](text, rel), problems, True
        return commands.scan_commands(text, rel, modelfile=detector == "modelfile",
                                      dockerfile=detector == "dockerfile"), problems, True
    except ParseError as exc:
        return [], problems + [str(exc)], False
    except SyntaxError as exc:
        return [], problems + [f"Python not parsed: {exc.msg} (line {exc.lineno})"], False
    except (RecursionError, MemoryError, ValueError) as exc:
        return [], problems + [f"not parsed: {type(exc).__name__}"], False


def _scan_chunk(root: str, items: list[tuple[str, str]]
                ) -> list[tuple[str, list[Reference], list[str], bool]]:
    base = Path(root)
    return [(rel, *scan_file(base, rel, detector)) for rel, detector in items]


def _chunks(items: list[tuple[str, str]], size: int) -> Iterable[list[tuple[str, str]]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def scan_tree(root: str | os.PathLike[str], *, excludes: Sequence[str] = (),
              jobs: int | None = None) -> ScanResult:
    """Scan ``root`` (a folder, or one file). ``InputError`` when it does not exist."""
    path = Path(root)
    if not path.exists():
        raise InputError(f"{root} does not exist")
    result = ScanResult(root=str(root))
    if path.is_file():
        detector = _detector(path.name) or _shebang(str(path), path.name)
        if detector is None:  # "no references" would read as a pass
            raise InputError(f"{root} is not a kind of file mlbom scan reads (Python, a "
                             "notebook, a config or a shell script): nothing was checked")
        items = [(path.name, detector)]
        result.files_seen = 1
        path = path.parent
    else:
        items = list(_walk(path, excludes, result))
        if result.files_seen == 0 and not result.problems:
            # a wrong path, or excludes that cover everything: "no references" would be a pass
            raise InputError(f"{root} holds no files to scan (an empty folder, or every file "
                             "excluded): nothing was checked")
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(items) > _PARALLEL_ABOVE:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_scan_chunk, str(path), chunk)
                       for chunk in _chunks(items, _CHUNK)]
            outcomes = [o for f in futures for o in f.result()]
    else:
        outcomes = _scan_chunk(str(path), items)
    refs: dict[tuple[str, int, str, str, str | None], Reference] = {}
    for rel, found, problems, read in outcomes:
        for ref in found:  # one literal reaching two loaders is one reference
            refs.setdefault((ref.file, ref.line, ref.id, ref.kind, ref.revision), ref)
        result.problems += [ScanProblem(rel, _strip_file(p, rel)) for p in problems]
        if read:
            result.files_read += 1
        else:
            result.files_skipped += 1
    result.references = sorted(refs.values(), key=lambda r: (r.file, r.line, r.id, r.kind,
                                                         r.revision or "", r.evidence))
    result.problems.sort()
    return result


def _strip_file(message: str, rel: str) -> str:
    prefix = f"{rel}: "
    return message[len(prefix):] if message.startswith(prefix) else message
