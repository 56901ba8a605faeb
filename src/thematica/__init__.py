"""Thematica: team-based qualitative analysis of interviews and focus groups.

The public API is small: open or create a project, then use its services.

>>> import thematica
>>> project = thematica.open_project("study.db")            # doctest: +SKIP
>>> project.documents.import_files(["transcripts/"])         # doctest: +SKIP
>>> project.query("Staffing AND Compensation", coder="alex").to_dataframe()  # doctest: +SKIP
"""

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

__version__ = "0.1.0"

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
