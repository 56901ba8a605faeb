"""Thematica: team-based qualitative analysis of interviews and focus groups.

The public API is small: open or create a project, then use its services.

>>> import thematica
>>> project = thematica.open_project("study.db")            # doctest: +SKIP
>>> project.documents.import_files(["transcripts/"])         # doctest: +SKIP
>>> project.query("Staffing AND Compensation", coder="alex").to_dataframe()  # doctest: +SKIP

The names below are loaded on first use (PEP 562): ``import thematica`` and ``thematica
--help`` must not pay for SQLAlchemy, Alembic, pandas or the document readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from thematica.core.errors import (
        ConflictError,
        InputError,
        NotFoundError,
        QuerySyntaxError,
        ThematicaError,
    )
    from thematica.core.tables import Table
    from thematica.importers import ImportOptions
    from thematica.services.coding import CodingInput
    from thematica.services.demo import build_demo
    from thematica.services.project import Project, init_project, list_projects, open_project

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
    "CodingInput": "thematica.services.coding",
    "ConflictError": "thematica.core.errors",
    "ImportOptions": "thematica.importers",
    "InputError": "thematica.core.errors",
    "NotFoundError": "thematica.core.errors",
    "Project": "thematica.services.project",
    "QuerySyntaxError": "thematica.core.errors",
    "Table": "thematica.core.tables",
    "ThematicaError": "thematica.core.errors",
    "build_demo": "thematica.services.demo",
    "init_project": "thematica.services.project",
    "list_projects": "thematica.services.project",
    "open_project": "thematica.services.project",
}

__all__ = [
    "CodingInput",
    "ConflictError",
    "ImportOptions",
    "InputError",
    "NotFoundError",
    "Project",
    "QuerySyntaxError",
    "Table",
    "ThematicaError",
    "__version__",
    "build_demo",
    "init_project",
    "list_projects",
    "open_project",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used, then keep the value."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'thematica' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API and the module's own dunder attributes, not the lazy-loading helpers."""
    return sorted({name for name in globals() if name.startswith("__")} | set(__all__))
