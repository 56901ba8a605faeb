"""REFI-QDA import and export for projects (``.qdpx``) and codebooks (``.qdc``).

``import_qdpx(db, path)`` creates a new project from a file in one transaction;
``project.refi.package()`` reads one for export (``exporters.project_files.write_qdpx`` writes
it); ``project.refi.codebook_specs(path)`` and ``project.refi.codebook_qdc()`` serve
``thematica codebook import|export`` for ``.qdc``.
GUIDs read from a file are kept in ``external_id`` and written back, so import -> export ->
import keeps them; objects without one get ``guids.derive(project name, type, id)``.
"""

from thematica.services.interop.qdpx_export import (
    NOT_EXPORTED,
    Refi,
    RefiExportReport,
    RefiPackage,
)
from thematica.services.interop.qdpx_import import COUNT_KEYS, RefiImportReport, import_qdpx

__all__ = [
    "COUNT_KEYS",
    "NOT_EXPORTED",
    "Refi",
    "RefiExportReport",
    "RefiImportReport",
    "RefiPackage",
    "import_qdpx",
]
