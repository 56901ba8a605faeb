"""Options shared by every command, declared once so the command-line contract stays uniform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.output import Format

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database file or URL (default: $THEMATICA_DB, then ./thematica.db).",
        show_default=False,
    ),
]
ProjectName = Annotated[
    str | None, typer.Option("--project", help="Project name, when the database holds several.")
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print results only: no messages or progress.")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say more about what is happening.")]
Fmt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.")
]
Coder = Annotated[
    str | None,
    typer.Option(
        "--coder",
        help="Coder layer(s) to read: NAME, A,B or 'all'. Default: the only coder, or the "
        "consensus layer; needed when several coders exist and there is none.",
    ),
]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where", "-w", help="Case attribute filter, e.g. 'lived_experience = yes' (repeatable)."
    ),
]
