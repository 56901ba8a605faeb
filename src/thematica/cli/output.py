"""Terminal output: tables, messages, progress bars; quiet when piped or asked to be."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError
from thematica.core.tables import Table
from thematica.exporters.tabular import (
    cell_text,
    excerpts_markdown,
    flat_records,
    to_csv,
    to_json,
    to_markdown,
)
from thematica.services._progress import Progress as ProgressFn
from thematica.services._progress import silent

if TYPE_CHECKING:
    from rich.console import Console


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


class UI:
    """What every command needs for output: stdout for results, stderr for everything else."""

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        from rich.console import Console  # rich is imported by commands, not by --help

        self.out: Console = Console(soft_wrap=False)
        if not self.out.is_terminal:
            self.out.width = 160  # piped tables: wide enough to stay readable
        self.err: Console = Console(stderr=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(message, highlight=False, soft_wrap=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self.err.print(f"[dim]{message}[/dim]", highlight=False)

    def write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    @contextmanager
    def progress(self, label: str) -> Iterator[ProgressFn]:
        """A progress bar on a terminal; nothing at all when piped or ``--quiet``."""
        if self.quiet or not self.err.is_terminal:
            yield silent
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int, what: str) -> None:
                bar.update(
                    task, completed=done, total=total or None, description=f"{label}: {what}"
                )

            yield update

    def table(self, table: Table[Any], fmt: Format, *, output: Path | None = None) -> None:
        if fmt is Format.csv:
            text = to_csv(table)
        elif fmt is Format.json:
            text = to_json(table)
        elif fmt is Format.md:
            from thematica.services.retrieval import Excerpt

            is_excerpts = bool(table.rows) and isinstance(table.rows[0], Excerpt)
            text = excerpts_markdown(table) if is_excerpts else to_markdown(table)
        else:
            if output is not None:
                raise InputError("--output needs --format csv, json or md (or docx where offered)")
            self._rich(table)
            return
        if output is not None:
            from thematica.exporters.atomic import write_atomic

            write_atomic(output, text)
            self.info(f"wrote {output}")
        else:
            self.write(text)

    def _rich(self, table: Table[Any]) -> None:
        from rich.table import Table as RichTable

        columns, records = flat_records(table)
        grid = RichTable(title=table.title or None, title_justify="left", header_style="bold")
        for name in columns:
            numeric = bool(records) and all(
                isinstance(r.get(name), (int, float)) for r in records if r.get(name) is not None
            )
            grid.add_column(
                name,
                justify="right" if numeric or name == "left" else "left",
                no_wrap=numeric,
                overflow="fold",
                min_width=min(len(name), 10),
                style="bold" if name == "match" else None,
            )
        for rec in records:
            grid.add_row(*[_display(rec.get(c)) for c in columns])
        self.out.print(grid)
        if not records:
            self.info("(no rows)")


def _display(value: Any) -> str:
    if value is None:
        return "[dim]—[/dim]"
    text = cell_text(value)
    return text.replace("[", "\\[")


def escape(text: str) -> str:
    """Rich's markup escape, imported when first needed (``--help`` does not load rich)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)
