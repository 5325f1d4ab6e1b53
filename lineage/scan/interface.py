"""What a scan of a source tree finds: references to Hub repos, and what it could not read.

A ``Reference`` is one place in the tree that names a model, adapter, dataset or code repo
(``kind``), or an expression that flows into a model loader but cannot be decided statically
(``kind="unknown"``, ``id`` is the expression as written). ``pinned`` is true only for a full
40-character commit sha: a branch or tag can move under the product without a code change.

``ScanProblem`` is a file mlbom could not read fully (too large, binary, not UTF-8, not JSON,
a YAML bomb, a symlink loop): reported, never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("model", "adapter", "dataset", "code", "unknown")
FORMAT = "mlbom-scan/1"


@dataclass(frozen=True)
class Reference:
    file: str  # relative POSIX path inside the scanned tree
    line: int  # 1-based
    id: str  # the Hub repo id, or for kind "unknown" the expression as written
    kind: str  # one of KINDS
    revision: str | None = None
    evidence: str = ""  # how it was found: "python:from_pretrained", "yaml:base_model", ...

    @property
    def pinned(self) -> bool:
        return self.revision is not None and len(self.revision) == 40 and all(
            c in "0123456789abcdef" for c in self.revision)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "file": self.file, "line": self.line,
                "revision": self.revision, "pinned": self.pinned, "evidence": self.evidence}


@dataclass(frozen=True, order=True)
class ScanProblem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class ScanResult:
    root: str
    references: list[Reference] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    files_seen: int = 0  # every file below the root that was not excluded
    files_read: int = 0  # files a detector read (by name: .py, .ipynb, configs, scripts)
    files_skipped: int = 0  # binary, too large or unreadable (each also a problem)

    def as_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "root": self.root,
            "references": [r.as_json() for r in self.references],
            "problems": [{"file": p.file, "message": p.message} for p in self.problems],
            "files": {"seen": self.files_seen, "read": self.files_read,
                      "skipped": self.files_skipped},
        }
