"""Model references in Dockerfiles, shell scripts, Makefiles and Ollama Modelfiles.

Read line by line (a trailing ``\\`` joins the next line; JSON-array ``CMD``/``ENTRYPOINT``
forms are read as words): ``huggingface-cli download ID`` / ``hf download ID``
(``--repo-type``, ``--revision``), ``vllm serve ID``, model flags of serving and training
launchers (``--model``, ``--model-id``, ``--model_name_or_path``, ``--base_model``,
``--tokenizer``, llama.cpp's ``-hf``/``--hf-repo``, vLLM's ``--lora-modules name=ID``),
``ollama pull|run hf.co/ID``, a Modelfile's ``FROM hf.co/ID``, Hugging Face URLs
(``git clone https://huggingface.co/ID``, ``.../resolve/...`` downloads) and
``ENV``/``ARG``/``export`` assignments whose name says model. ``$VAR`` values are ``unknown``
references: the value is decided when the script runs, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lineage.scan.configs import key_kind
from lineage.scan.ids import hub_id, variable_default
from lineage.scan.interface import Reference

_FLAG = re.compile(
    r"(?:^|\s)(?P<flag>--model|--model[-_]id|--model[-_]name|--model[-_]name[-_]or[-_]path|"
    r"--pretrained[-_]model[-_]name[-_]or[-_]path|--base[-_]model|--tokenizer|"
    r"--tokenizer[-_]name|--hf[-_]repo|-hf|-hfr|--adapter[-_]name[-_]or[-_]path|"
    r"--lora[-_]modules|--model[-_]path|--speculative[-_]model|--draft[-_]model)"
    r"(?:=|\s+)(?P<value>\S+)")
_DOWNLOAD = re.compile(r"(?:^|[\s;&|(])(?:huggingface-cli|hf)\s+download\s+(?P<value>[^\s-]\S*)")
_VLLM_SERVE = re.compile(r"(?:^|[\s;&|(])vllm\s+serve\s+(?P<value>[^\s-]\S*)")
_OLLAMA = re.compile(r"(?:^|[\s;&|(])ollama\s+(?:pull|run)\s+(?P<value>(?:hf\.co|huggingface\.co)"
                     r"/\S+)")
_MODELFILE_FROM = re.compile(r"^\s*FROM\s+(?P<value>(?:hf\.co|huggingface\.co)/\S+)", re.I)
_URL = re.compile(r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<path>[^\s\"'`)>]+)")
_REPO_TYPE = re.compile(r"--repo[-_]type(?:=|\s+)(?P<t>\w+)")
_REVISION = re.compile(r"--revision(?:=|\s+)(?P<r>[^\s\"']+)")
_ASSIGN = re.compile(r"^\s*(?:ENV|ARG|export|declare\s+-x)?\s*(?P<k>[A-Za-z_][A-Za-z0-9_]*)"
                     r"(?:=|\s+(?=[^=\s]+$))(?P<v>\S+)\s*$")
_ENV_MULTI = re.compile(r"(?P<k>[A-Za-z_][A-Za-z0-9_]*)=(?P<v>\"[^\"]*\"|'[^']*'|\S+)")
_JSON_ARRAY_SEP = re.compile(r"\"\s*,\s*\"")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line, joined text) with ``\\`` continuations joined."""
    start = 0
    parts: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not parts:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _physical_line(lines: list[str], start: int, needle: str) -> int:
    for i in range(start - 1, min(len(lines), start + 200)):
        if needle in lines[i]:
            return i + 1
    return start


def _words(line: str) -> str:
    """``CMD ["vllm", "serve", "org/x"]`` → ``CMD vllm serve org/x``."""
    if "[" in line and '"' in line:
        line = _JSON_ARRAY_SEP.sub(" ", line).replace('["', " ").replace('"]', " ")
    return line


def _clean(value: str) -> str:
    value = value.strip().strip("\"'`;,)]").strip()
    return value if value.startswith("${") else value.rstrip("}")


def scan_commands(text: str, rel: str, *, modelfile: bool = False,
                  dockerfile: bool = False) -> list[Reference]:
    lines = text.split("\n")
    out: list[Reference] = []
    for start, raw in _logical_lines(text):
        if raw.lstrip().startswith("#"):
            continue
        line = _words(raw)
        revision = _match_group(_REVISION, line, "r")
        repo_type = (_match_group(_REPO_TYPE, line, "t") or "model").lower()
        found: list[tuple[str, str, str, bool]] = []  # value, kind, evidence, strict
        for m in _DOWNLOAD.finditer(line):
            kind = {"dataset": "dataset", "space": "code"}.get(repo_type, "model")
            found.append((m.group("value"), kind, "shell:hf-download", True))
        for m in _VLLM_SERVE.finditer(line):
            found.append((m.group("value"), "model", "shell:vllm-serve", True))
        for m in _FLAG.finditer(line):
            flag, value = m.group("flag"), m.group("value")
            kind = "adapter" if ("lora" in flag or "adapter" in flag) else "model"
            if "lora" in flag and "=" in value:
                value = value.split("=", 1)[1]
            found.append((value, kind, f"shell:{flag.lstrip('-')}", False))
        for m in _OLLAMA.finditer(line):
            found.append((m.group("value"), "model", "shell:ollama", False))
        from_line = _MODELFILE_FROM.match(line) if modelfile else None
        if from_line:
            found.append((from_line.group("value"), "model", "modelfile:FROM", False))
        for m in _URL.finditer(line):
            path = m.group("path")
            kind = "dataset" if path.startswith("datasets/") else (
                "code" if path.startswith("spaces/") else "model")
            value = path.split("/", 1)[1] if kind != "model" else m.group(0)
            found.append((value, kind, "shell:url", False))
        found += _assignments(line, dockerfile)
        out += _references(found, lines, start, rel, revision)
    return _dedupe(out)


def _match_group(pattern: re.Pattern[str], line: str, group: str) -> str | None:
    m = pattern.search(line)
    return _clean(m.group(group)) if m else None


def _assignments(line: str, dockerfile: bool) -> list[tuple[str, str, str, bool]]:
    out: list[tuple[str, str, str, bool]] = []
    head = line.strip().split(None, 1)
    if dockerfile and head and head[0].upper() in ("ENV", "ARG") and len(head) == 2:
        pairs = [(m.group("k"), m.group("v")) for m in _ENV_MULTI.finditer(head[1])]
        if not pairs and len(head[1].split()) == 2:
            k, v = head[1].split()
            pairs = [(k, v)]
    else:
        m = _ASSIGN.match(line)
        pairs = [(m.group("k"), m.group("v"))] if m and "=" in line else []
    for key, value in pairs:
        kind = key_kind(key)
        if kind is not None:
            out.append((value, kind, f"shell:env:{key}", False))
    return out


def _references(found: list[tuple[str, str, str, bool]], lines: list[str], start: int,
                rel: str, revision: str | None) -> list[Reference]:
    out: list[Reference] = []
    for value, kind, evidence, strict in found:
        value = _clean(value)
        if not value:
            continue
        line = _physical_line(lines, start, value)
        if value.startswith("$") and variable_default(value) is None:
            if not evidence.startswith("shell:env:"):
                out.append(Reference(rel, line, value, "unknown", None,
                                     f"{evidence}:variable"))
            continue
        decoded = hub_id(value, strict=strict)
        if decoded is None:
            continue
        out.append(Reference(rel, line, decoded[0], kind, revision or decoded[1], evidence))
    return out


def _dedupe(refs: list[Reference]) -> list[Reference]:
    """One reference per (line, id): a ``--model`` flag and a URL on one line are one use."""
    seen: set[tuple[int, str]] = set()
    out = []
    for ref in refs:
        if (ref.line, ref.id) not in seen:
            seen.add((ref.line, ref.id))
            out.append(ref)
    return out
