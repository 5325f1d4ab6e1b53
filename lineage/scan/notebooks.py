"""Model references in Jupyter notebooks, read cell by cell as JSON, never executed.

Code cells share one namespace when a notebook runs, so they are read as one program (a
model name set in one cell and loaded in another is followed); a notebook whose cells do not
parse together is read cell by cell. ``!`` shell lines and ``%%bash`` cells go through the
command detector. A reference's ``line`` is the line of the ``.ipynb`` file where that source
line is stored (nbformat writes one source line per JSON line), and its ``evidence`` ends with
``cell N line M`` (1-based), so a minified notebook on one JSON line is still precise.
"""

from __future__ import annotations

import json

from lineage.errors import ParseError
from lineage.parsers.safe import check_depth
from lineage.scan.commands import scan_commands
from lineage.scan.interface import Reference
from lineage.scan.python_code import scan_python_source

MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


def _file_lines(raw_lines: list[str], sources: list[str], cursor: int) -> tuple[list[int], int]:
    """For each source line, the 1-based line of the file that stores it (searching forward)."""
    out = []
    for src in sources:
        needle = json.dumps(src.rstrip("\n"))[1:-1]
        found = None
        for i in range(cursor, len(raw_lines)):
            if needle and needle in raw_lines[i]:
                found = i
                break
        if found is None:
            out.append(cursor + 1)
        else:
            out.append(found + 1)
            cursor = found + (0 if len(raw_lines) == 1 else 1)
    return out, cursor


def scan_notebook(text: str, rel: str) -> tuple[list[Reference], list[str]]:
    """(references, problems). ``ParseError`` when the file is not a notebook."""
    if len(text) > MAX_NOTEBOOK_BYTES:
        raise ParseError(f"notebook larger than {MAX_NOTEBOOK_BYTES} bytes", file=rel)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"notebook is not JSON: {str(exc)[:120]}", file=rel) from exc
    check_depth(doc, file=rel)
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise ParseError("notebook has no cells list", file=rel)
    raw_lines = text.split("\n")
    code_cells: list[tuple[int, list[str], list[int]]] = []
    cursor = 0
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", [])
        lines = source.splitlines(keepends=True) if isinstance(source, str) else [
            s for s in source if isinstance(s, str)] if isinstance(source, list) else []
        mapping, cursor = _file_lines(raw_lines, lines, cursor)
        code_cells.append((number, lines, mapping))
    whole = _whole_program(code_cells, rel)
    if whole is not None:
        return whole, []
    refs: list[Reference] = []
    problems: list[str] = []
    for number, lines, mapping in code_cells:
        found, problem = _cell_references(lines, rel, number)
        refs += [_place(r, mapping, number) for r in found]
        if problem:
            problems.append(problem)
    return refs, problems


def _whole_program(cells: list[tuple[int, list[str], list[int]]], rel: str
                   ) -> list[Reference] | None:
    """Every cell as one program; ``None`` when the cells do not parse together."""
    python: list[str] = []
    shell: list[str] = []
    where: list[tuple[int, int, int]] = []  # combined line -> (cell, line in cell, file line)
    for number, lines, mapping in cells:
        py, sh = _split(lines)
        python += py
        shell += sh
        where += [(number, i + 1, mapping[i]) for i in range(len(lines))]
    try:
        refs = scan_python_source("\n".join(python), rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if any(shell):
        refs += scan_commands("\n".join(shell), rel)
    out = []
    for r in refs:
        cell, line, file_line = where[r.line - 1] if 0 < r.line <= len(where) else (0, 0, r.line)
        out.append(Reference(r.file, file_line, r.id, r.kind, r.revision,
                             f"{r.evidence}:cell {cell} line {line}"))
    return out


def _split(lines: list[str]) -> tuple[list[str], list[str]]:
    """(Python lines, shell lines), each as long as ``lines`` (blanks keep the numbering)."""
    shell_cell = bool(lines) and lines[0].startswith(("%%bash", "%%sh", "%%script"))
    python_lines, shell_lines = [], []
    for line in lines:
        stripped = line.lstrip()
        is_shell = shell_cell or stripped.startswith("!")
        is_magic = stripped.startswith("%")
        shell_lines.append(stripped.lstrip("!").rstrip("\n") if is_shell else "")
        python_lines.append("" if (is_shell or is_magic) else line.rstrip("\n"))
    return python_lines, shell_lines


def _cell_references(lines: list[str], rel: str, number: int) -> tuple[list[Reference], str]:
    python_lines, shell_lines = _split(lines)
    refs = scan_commands("\n".join(shell_lines), rel) if any(shell_lines) else []
    problem = ""
    try:
        refs += scan_python_source("\n".join(python_lines), rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        problem = f"cell {number}: Python not parsed ({type(exc).__name__}); shell lines read"
    return refs, problem


def _place(ref: Reference, mapping: list[int], cell: int) -> Reference:
    line = mapping[ref.line - 1] if 0 < ref.line <= len(mapping) else ref.line
    return Reference(ref.file, line, ref.id, ref.kind, ref.revision,
                     f"{ref.evidence}:cell {cell} line {ref.line}")
