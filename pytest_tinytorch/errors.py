"""Exceptions for mistakes a person can fix.

Each one also subclasses the matching builtin, so callers that only know
Python's own exceptions still catch them (hypothesis's ``InvalidArgument``
does the same).  Messages name the thing, the place, and the fix.
"""

from __future__ import annotations


class TinyTorchError(Exception):
    """Base class for every error the harness raises on purpose."""


class NotebookFormatError(TinyTorchError, ValueError):
    """A module file or notebook that cannot be read as a course module."""


class UnknownModuleError(TinyTorchError, LookupError):
    """A module name or number that is not in the catalog."""


class ExportError(TinyTorchError, RuntimeError):
    """Exporting a module into the ``tinytorch`` package failed."""
