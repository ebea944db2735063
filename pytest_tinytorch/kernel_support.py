"""Imported inside a Jupyter kernel by the kernel executor (never by the plugin)."""

from __future__ import annotations

import ast
from typing import Any

from pytest_tinytorch.execute import rewrite_assertions


class _RewriteAsserts(ast.NodeTransformer):
    """An IPython AST transformer applying pytest's assertion rewriting to every cell."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        rewrite_assertions(node, "", "<cell>")
        return node


def install_assert_rewriting(shell: Any) -> None:
    if not any(isinstance(t, _RewriteAsserts) for t in shell.ast_transformers):
        shell.ast_transformers.append(_RewriteAsserts())
