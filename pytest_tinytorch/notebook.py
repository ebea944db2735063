"""The one notebook parser: jupytext percent ``.py`` files and ``.ipynb`` JSON.

Both forms become the same :class:`Notebook` of :class:`Cell` objects, so
everything downstream (collection, export, grading, gates) sees one model.

This module is plain Python with no pytest, nbformat or jupytext import: it
runs on every collection, and reading a percent file or a notebook's JSON
directly is several times faster than going through those libraries.  The
format itself is described in MODULE_FORMAT.md; where that is silent we do
what jupytext does.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_tinytorch.errors import NotebookFormatError

# '# %%' or '#%%' followed by nothing or a space; '# %%%' is a different marker.
_CELL_MARKER = re.compile(r"^#\s?%%(?:$|\s(.*)$)")
_CELL_TYPE = re.compile(r"\[(markdown|md|raw)\]")
_METADATA_KEY = re.compile(r"(?:^|\s)([A-Za-z_][\w.-]*)=")
# nbdev directives: '#| export', '#|export', '# | default_exp core.tensor'
_DIRECTIVE = re.compile(r"^#\s?\|\s*([\w-]+)\s*(.*?)\s*$")
# IPython-only syntax: line magics, cell magics, shell escapes, '%'/'!' assignments.
_MAGIC_LINE = re.compile(r"^\s*(?:%{1,2}[A-Za-z]|!|[A-Za-z_]\w*\s*=\s*[%!][A-Za-z])")
_QUOTES = ('"""', "'''")

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"


@dataclass(frozen=True)
class Cell:
    """One notebook cell.

    ``index`` is the 1-based position among all cells (markdown included), as
    a person counts cells in Jupyter.  ``first_line`` is the 1-based line of
    the cell's first source line in a ``.py`` file, and 1 in an ``.ipynb``
    (where line numbers restart in every cell).
    """

    index: int
    kind: str
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)
    first_line: int = 1
    header_line: int = 0

    @property
    def nbgrader(self) -> dict[str, Any]:
        value = self.metadata.get("nbgrader")
        return value if isinstance(value, dict) else {}

    @property
    def grade_id(self) -> str | None:
        return self.nbgrader.get("grade_id")

    @property
    def is_graded(self) -> bool:
        return bool(self.nbgrader.get("grade"))

    @property
    def is_solution(self) -> bool:
        return bool(self.nbgrader.get("solution"))

    @property
    def is_locked(self) -> bool:
        return bool(self.nbgrader.get("locked"))

    @property
    def points(self) -> float:
        return float(self.nbgrader.get("points", 0) or 0)

    @cached_property
    def directives(self) -> dict[str, str]:
        """nbdev directives at the top of a code cell, name -> argument text."""
        found: dict[str, str] = {}
        if self.kind != "code":
            return found
        for line in self.source.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            match = _DIRECTIVE.match(stripped)
            if match:
                found[match.group(1)] = match.group(2)
            elif not stripped.startswith("#"):
                break  # directives only sit above the first line of code
        return found

    @property
    def is_exported(self) -> bool:
        return "export" in self.directives or "exports" in self.directives

    @property
    def has_hidden_tests(self) -> bool:
        return HIDDEN_BEGIN in self.source

    def code_without_directives(self) -> str:
        """The cell's code with its ``#|`` directive lines removed."""
        lines = self.source.splitlines()
        kept = [line for line in lines if not _DIRECTIVE.match(line.strip())]
        return "\n".join(kept).strip("\n")

    def file_line(self, line_in_cell: int) -> int:
        """Map a 1-based line within the cell to a line of the source file."""
        return self.first_line + line_in_cell - 1


@dataclass(frozen=True)
class Notebook:
    """A parsed module: its cells, its header metadata, and where it came from."""

    path: Path
    cells: tuple[Cell, ...]
    fmt: str  # "percent" or "ipynb"
    header: str = ""  # the jupytext YAML header of a .py file, comment marks removed
    notebook_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.kind == "code")

    @cached_property
    def default_exp(self) -> str | None:
        """The ``#| default_exp`` target (e.g. ``core.tensor``), if declared."""
        targets = [c.directives["default_exp"] for c in self.code_cells if "default_exp" in c.directives]
        if len(targets) > 1:
            raise NotebookFormatError(
                f"{self.path}: #| default_exp appears {len(targets)} times ({targets!r}); "
                "a module exports to exactly one place, so keep one of them."
            )
        return targets[0] if targets else None

    @property
    def display_path(self) -> str:
        """The path as a person would type it: relative to the current folder if inside it."""
        try:
            return self.path.resolve().relative_to(Path.cwd()).as_posix()
        except (ValueError, OSError):
            return str(self.path)

    def where_cell(self, cell: Cell) -> str:
        """Where a cell starts: its ``# %%`` header line, or its number in an ``.ipynb``."""
        if self.fmt == "percent":
            return f"{self.display_path}:{cell.header_line}"
        return f"{self.display_path} cell {cell.index}"

    def where(self, cell: Cell, line_in_cell: int = 1) -> str:
        """A human location: ``file.py:123`` or ``file.ipynb cell 7, line 3``."""
        if self.fmt == "percent":
            return f"{self.display_path}:{cell.file_line(line_in_cell)}"
        return f"{self.display_path} cell {cell.index}, line {line_in_cell}"

    def metadata(self) -> dict[str, Any]:
        """Notebook-level metadata (the jupytext header of a ``.py`` file).

        Parsed on demand: it needs YAML, and collection never asks for it.
        """
        if self.fmt == "ipynb" or not self.header.strip():
            return dict(self.notebook_metadata)
        import yaml  # jupytext's own dependency; only loaded when asked for

        try:
            data = yaml.safe_load(self.header) or {}
        except yaml.YAMLError as exc:
            raise NotebookFormatError(f"{self.path}: the jupytext header is not valid YAML: {exc}") from exc
        jupyter = data.get("jupyter", {}) if isinstance(data, dict) else {}
        return jupyter if isinstance(jupyter, dict) else {}


def read_notebook(path: str | Path) -> Notebook:
    """Parse a module file, choosing the format by its extension."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookFormatError(f"{path}: not UTF-8 text ({exc}); save the file as UTF-8.") from exc
    if path.suffix == ".ipynb":
        return parse_ipynb(text, path)
    return parse_percent(text, path)


# --- percent format --------------------------------------------------------


def parse_percent(text: str, path: str | Path = "<string>") -> Notebook:
    """Parse a jupytext percent-format script into a :class:`Notebook`."""
    path = Path(path)
    lines = text.splitlines()
    header, start = _split_header(lines, path)
    cells: list[Cell] = []
    pending: list[str] = []
    pending_start = start  # 0-based index of the first line of the open cell body
    marker: tuple[str, int] | None = None  # (options text, 0-based line of '# %%')

    def close_cell() -> None:
        if marker is None and not any(line.strip() for line in pending):
            return  # blank space before the first marker is not a cell
        options, line_no = marker if marker else ("", -1)
        cells.append(_make_percent_cell(len(cells) + 1, options, pending, pending_start, line_no, path))

    for number in range(start, len(lines)):
        match = _CELL_MARKER.match(lines[number])
        if match is None:
            pending.append(lines[number])
            continue
        close_cell()
        marker = (match.group(1) or "", number)
        pending, pending_start = [], number + 1
    close_cell()
    return Notebook(path=path, cells=tuple(cells), fmt="percent", header=header)


def _split_header(lines: list[str], path: Path) -> tuple[str, int]:
    """Return the YAML header (comment marks stripped) and the first body line."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != "# ---":
        return "", 0
    for end in range(first + 1, len(lines)):
        if lines[end].rstrip() == "# ---":
            body = [_uncomment(line) for line in lines[first + 1 : end]]
            return "\n".join(body), end + 1
    raise NotebookFormatError(
        f"{path}:{first + 1}: the jupytext header opened with '# ---' is never closed; "
        "add a '# ---' line after the header."
    )


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def _make_percent_cell(
    index: int, options: str, body: list[str], body_start: int, marker_line: int, path: Path
) -> Cell:
    kind, metadata = _parse_cell_options(options, path, marker_line + 1)
    # jupytext keeps blank lines between cells out of the cell source.
    while body and not body[-1].strip():
        body = body[:-1]
    if kind == "code":
        source = "\n".join(body)
    else:
        source = _markdown_text(body)
    return Cell(
        index=index,
        kind=kind,
        source=source,
        metadata=metadata,
        first_line=body_start + 1,
        header_line=marker_line + 1,
    )


def _parse_cell_options(options: str, path: Path, line: int) -> tuple[str, dict[str, Any]]:
    """Split ``title [markdown] key=value ...`` into a cell type and metadata."""
    kind = "code"
    type_match = _CELL_TYPE.search(options)
    if type_match:
        kind = "raw" if type_match.group(1) == "raw" else "markdown"
        options = options[: type_match.start()] + " " + options[type_match.end() :]
    metadata: dict[str, Any] = {}
    first_key = _METADATA_KEY.search(options)
    title = (options[: first_key.start()] if first_key else options).strip()
    if title:
        metadata["title"] = title
    position = first_key.start() if first_key else len(options)
    while first_key := _METADATA_KEY.search(options, position):
        key = first_key.group(1)
        value, position = _decode_value(options, first_key.end(), key, path, line)
        metadata[key] = value
    if options[position:].strip():
        raise NotebookFormatError(
            f"{path}:{line}: unexpected text {options[position:].strip()!r} in the cell header; "
            'write cell metadata as key=<JSON value>, e.g. nbgrader={"grade": false}.'
        )
    return kind, metadata


def _decode_value(options: str, start: int, key: str, path: Path, line: int) -> tuple[Any, int]:
    """Decode the JSON value of ``key=`` starting at ``start``; return it and the end."""
    try:
        value, end = json.JSONDecoder().raw_decode(options, start)
        return value, end
    except json.JSONDecodeError as exc:
        # jupytext also accepts Python literals (True/None); the value then
        # runs up to the next ' key=' or the end of the header.
        following = _METADATA_KEY.search(options, start)
        token = options[start : following.start() if following else len(options)].strip()
        try:
            return ast.literal_eval(token), start + len(token)
        except (ValueError, SyntaxError):
            pass
        raise NotebookFormatError(
            f"{path}:{line}: the cell metadata {key}= is not valid JSON ({exc.msg} at column "
            f"{exc.pos - start + 1} of the value): {options[start:].strip()!r}. "
            'Write it as JSON: double quotes, lower-case true/false, e.g. nbgrader={"grade": true, "points": 5}.'
        ) from exc


def _markdown_text(body: list[str]) -> str:
    """Markdown is either a triple-quoted string or ``#``-comment lines."""
    text = "\n".join(body).strip()
    for quote in _QUOTES:
        for prefix in ("", "r"):
            opener = prefix + quote
            if text.startswith(opener) and text.endswith(quote) and len(text) >= len(opener) + len(quote):
                return text[len(opener) : -len(quote)].strip("\n")
    return "\n".join(_uncomment(line) for line in body).strip("\n")


# --- ipynb ----------------------------------------------------------------


def parse_ipynb(text: str, path: str | Path = "<string>") -> Notebook:
    """Parse an nbformat-4 notebook's JSON into a :class:`Notebook`."""
    path = Path(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookFormatError(
            f"{path}: not a readable notebook: invalid JSON at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}). The file may be truncated or hand-edited; re-save it from Jupyter."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookFormatError(f"{path}: not a Jupyter notebook (no 'cells' list); expected nbformat 4 JSON.")
    if data.get("nbformat", 4) < 4:
        raise NotebookFormatError(
            f"{path}: nbformat {data.get('nbformat')} is too old; open and re-save it in Jupyter "
            "to upgrade it to nbformat 4."
        )
    cells = tuple(_make_ipynb_cell(i, raw, path) for i, raw in enumerate(data["cells"], start=1))
    raw_metadata = data.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    return Notebook(path=path, cells=cells, fmt="ipynb", notebook_metadata=metadata)


def _make_ipynb_cell(index: int, raw: Any, path: Path) -> Cell:
    if not isinstance(raw, dict) or "cell_type" not in raw:
        raise NotebookFormatError(f"{path}: cell {index} is malformed (no cell_type).")
    source = raw.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookFormatError(f"{path}: cell {index} has a source that is not text.")
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise NotebookFormatError(f"{path}: cell {index} has metadata that is not a JSON object.")
    return Cell(index=index, kind=raw["cell_type"], source=source, metadata=metadata)


# --- code helpers shared by collection and execution -------------------------


def comment_out_magics(source: str) -> tuple[str, list[tuple[int, str]]]:
    """Turn IPython-only lines into comments so the cell parses as Python.

    Returns the new source and the (1-based line, text) of every line changed.
    A cell magic such as ``%%bash`` makes its whole body foreign, so the
    whole cell is commented out.  Line numbers are kept.
    """
    lines = source.splitlines()
    first_code = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_code is not None and lines[first_code].lstrip().startswith("%%"):
        magic = lines[first_code].split()[0]
        if magic not in ("%%time", "%%timeit", "%%capture"):
            changed = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
            return "\n".join("# " + line for line in lines), changed[:1]
    changed = []
    for number, line in enumerate(lines):
        if _MAGIC_LINE.match(line):
            changed.append((number + 1, line.strip()))
            indent = line[: len(line) - len(line.lstrip())]
            lines[number] = f"{indent}pass  # {line.strip()}"
    return "\n".join(lines), changed


def parse_cell_code(source: str) -> tuple[ast.Module, list[tuple[int, str]]]:
    """Parse a code cell as Python, commenting out IPython magics if needed.

    Raises ``SyntaxError`` (with the cell-relative line) when the cell is not
    Python even without its magics.  Valid Python is never rewritten.
    """
    try:
        return ast.parse(source), []
    except SyntaxError:
        cleaned, magics = comment_out_magics(source)
        if not magics:
            raise
    return ast.parse(cleaned), magics
