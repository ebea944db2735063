"""Publish gate: the module page builds, is current, and its links resolve."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pytest_tinytorch.gates import pages
from pytest_tinytorch.gates.context import ModuleContext
from pytest_tinytorch.gates.model import Finding, Note, Violation


def page(ctx: ModuleContext) -> Iterator[Finding]:
    path = pages.page_path(ctx.root, ctx.info)
    rel = path.relative_to(ctx.root).as_posix()
    command = f"tito workflow page {ctx.info.slug}"
    try:
        text = pages.build_page(ctx.root, ctx.info)
    except Exception as error:  # nbgrader and nbconvert raise many kinds; the message is what matters
        yield Violation(
            ctx.where_line(1),
            f"the module page does not build: {type(error).__name__}: {error}",
            f"fix what the message names, then run '{command}'.",
        )
        return
    if not any(line.startswith("# ") for line in text.splitlines()):
        yield Violation(
            ctx.where_line(1),
            "the page has no title: no markdown cell starts with a '# ' heading.",
            "start the module with a markdown cell '# Module NN: <title>'.",
        )
    if not path.exists():
        yield Violation(
            rel,
            f"the page is not written, so there is nothing to publish ({len(text):,} characters would be).",
            f"run '{command}' and commit {rel}.",
        )
        return
    current = path.read_text(encoding="utf-8")
    if current != text:
        diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), lineterm="", n=0))
        removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
        added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
        first = next((line for line in diff if line.startswith("@@")), "")
        yield Violation(
            rel,
            f"the page is out of date with {ctx.label}: a fresh build removes {removed} and adds "
            f"{added} lines (first change {first}).",
            f"run '{command}', review the diff and commit it.",
        )


def links(ctx: ModuleContext) -> Iterator[Finding]:
    own = pages.notebook_anchors(ctx.notebook)
    source_dir = ctx.info.source.parent
    for link in pages.links(ctx.notebook):
        where = ctx.where_text(link.cell, link.target)
        target = link.target
        parts = urlsplit(target)
        if parts.scheme in ("http", "https"):
            problem = pages.url_problem(target)
            if problem:
                yield Violation(where, f"link {target!r} is not a valid URL: it {problem}.", "correct the address.")
            else:
                yield Note(where, f"external link {target} not verified (no network here); check it by hand.")
            continue
        if parts.scheme:
            if parts.scheme != "mailto":
                yield Note(where, f"{parts.scheme}: link {target} not verified.")
            continue
        path_text, _, anchor = target.partition("#")
        if not path_text:
            if unquote(anchor) not in own:
                yield Violation(
                    where,
                    f"link {target!r} points at no heading of this module ({len(own)} anchors).",
                    _anchor_fix(anchor, own),
                )
            continue
        base = ctx.root if path_text.startswith("/") else source_dir
        resolved = (base / unquote(path_text).lstrip("/")).resolve()
        if not resolved.exists():
            yield Violation(
                where,
                f"link {target!r} points at {_rel(ctx, resolved)}, which does not exist.",
                "link to an existing file, relative to the module's folder.",
            )
            continue
        if anchor and resolved.suffix in (".md", ".markdown"):
            there = pages.anchors_in_markdown([resolved.read_text(encoding="utf-8")])
            if unquote(anchor) not in there:
                yield Violation(
                    where,
                    f"link {target!r}: {_rel(ctx, resolved)} has no heading '#{anchor}'.",
                    _anchor_fix(anchor, there),
                )


def _anchor_fix(anchor: str, anchors: set[str]) -> str:
    close = [a for a in sorted(anchors) if a.startswith(anchor)] or difflib.get_close_matches(
        anchor, sorted(anchors), n=1
    )
    return (f"did you mean '#{close[0]}'?" if close else "link to an existing heading.") + (
        " Anchors are GitHub heading slugs: lower case, punctuation dropped, spaces as '-'."
    )


def _rel(ctx: ModuleContext, path: Path) -> str:
    try:
        return path.relative_to(ctx.root).as_posix()
    except ValueError:
        return str(path)
