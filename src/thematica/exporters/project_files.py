"""Writing a project's outputs to files: the edge between the services and the file system.

Services return contents (bytes, or a model such as a REFI package) and never touch a path, so
a web app can stream the same bytes in a response. These functions are what the CLI and a
Python user call to get a file instead: each picks the format from the file's suffix (unless
given), checks the target before any work, asks the service for the contents and writes them
atomically (:mod:`thematica.exporters.atomic`: a temporary file beside the target, renamed into
place, following the user's umask).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError
from thematica.exporters.atomic import write_atomic

if TYPE_CHECKING:
    from thematica.services.interop import RefiExportReport
    from thematica.services.project import Project
    from thematica.services.reports import ReportResult

__all__ = [
    "check_folder",
    "write_codebook",
    "write_export",
    "write_heatmap",
    "write_matrix",
    "write_qdpx",
    "write_report",
    "write_sem_figure",
    "write_themes_docx",
]


def check_folder(path: str | Path) -> Path:
    """``path`` as a Path, refused in one line when its folder is missing or it is a folder."""
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(f"cannot write {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise InputError(f"cannot write {target}: it is a folder")
    return target


def write_sem_figure(project: Project, path: str | Path, *, title: str | None = None) -> Path:
    """The Social-Ecological Model figure as PNG or SVG (by the suffix)."""
    from thematica.exporters.figures import figure_format

    fmt = figure_format(path)
    target = check_folder(path)
    return write_atomic(target, project.themes.figure(fmt, title=title))


def write_heatmap(
    project: Project,
    path: str | Path,
    mode: str = "overlap",
    *,
    coder: str | Sequence[str] | None = None,
    levels: bool = False,
) -> Path:
    """The co-occurrence heat map as PNG or SVG (by the suffix)."""
    from thematica.exporters.figures import figure_format

    fmt = figure_format(path)
    target = check_folder(path)
    data = project.cooccurrence.heatmap(mode, fmt=fmt, coder=coder, levels=levels)
    return write_atomic(target, data)


def write_themes_docx(project: Project, path: str | Path) -> Path:
    """The themes table as a Word document."""
    target = check_folder(path)
    return write_atomic(target, project.themes.docx())


def write_codebook(project: Project, path: str | Path, fmt: str | None = None) -> Path:
    """The codebook as YAML, CSV, XLSX, Word (a table) or REFI-QDA .qdc (by the suffix)."""
    from thematica.services.codebook import EXPORT_FORMATS

    target = Path(path)
    chosen = fmt or EXPORT_FORMATS.get(target.suffix.lower())
    if chosen is None:
        raise InputError(
            f"{target.name}: choose a .yaml, .csv, .xlsx, .docx or .qdc file name (or a format)",
            choices=sorted(set(EXPORT_FORMATS.values())),
        )
    check_folder(target)
    return write_atomic(target, project.codebook.render(chosen))


def write_matrix(project: Project, name: str, path: str | Path, fmt: str | None = None) -> Path:
    """A framework matrix as XLSX, CSV or Markdown (by the suffix)."""
    from thematica.services.matrix import MATRIX_FORMATS

    target = Path(path)
    chosen = (fmt or target.suffix.lstrip(".")).lower()
    if chosen not in MATRIX_FORMATS:
        raise InputError(
            f"cannot export a matrix as {chosen or 'that'!r}: use .xlsx, .csv or .md",
            choices=list(MATRIX_FORMATS),
        )
    check_folder(target)
    return write_atomic(target, project.matrices.render(name, chosen))


def write_export(
    project: Project,
    kind: str,
    path: str | Path,
    fmt: str | None = None,
    *,
    coder: str | Sequence[str] | None = None,
) -> Path:
    """One table (codings, codebook or cases) as CSV or XLSX (by the suffix unless ``fmt``).

    A codings CSV streams (:meth:`~thematica.services.exports.Exports.codings_rows`), so
    200,000 codings need a few MiB.
    """
    from thematica.exporters.atomic import write_csv_rows
    from thematica.services.exports import check_target

    chosen = check_target(kind, path, fmt)
    if kind == "codings" and chosen == "csv":
        header, rows = project.exports.codings_rows(coder)
        write_csv_rows(path, header, rows)
        return Path(path)
    return write_atomic(path, project.exports.render(kind, chosen, coder=coder))


def write_report(
    project: Project, path: str | Path, fmt: str | None = None, **options: Any
) -> ReportResult:
    """The results draft as DOCX, HTML or Markdown (by the suffix unless ``fmt``); Markdown's
    figures are written beside it (``NAME.sem.png``, ...). ``options`` are those of
    :meth:`~thematica.services.reports.Reports.render` (``settings``, ``coder``, ...).
    Everything is computed before anything is written."""
    from thematica.services.reports import ReportResult
    from thematica.services.reports.service import report_format

    target = Path(path)
    chosen = report_format(fmt or target.suffix.lstrip("."))
    check_folder(target)
    rendered = project.reports.render(chosen, stem=target.stem, **options)
    files = [write_atomic(target.parent / name, blob) for name, blob in rendered.files.items()]
    write_atomic(target, rendered.content)
    return ReportResult(target, rendered.format, rendered.state_hash, files)


def write_qdpx(project: Project, path: str | Path) -> RefiExportReport:
    """The whole project as a REFI-QDA ``.qdpx`` archive (streamed into the zip)."""
    from thematica.interop.refi_export import write_qdpx as write_archive
    from thematica.services.interop import RefiExportReport

    target = check_folder(path)
    package = project.refi.package()
    write_archive(package.project, target)
    return RefiExportReport(str(path), package.counts, package.not_exported)
