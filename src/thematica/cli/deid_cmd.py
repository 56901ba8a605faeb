"""``thematica deid``: find identifiers, review them, commit placeholders.

``thematica deid [DOCUMENTS…] [--review | --accept-all]`` is the ``run`` subcommand written
without its name: the group sends any line whose first word is not one of its subcommands to
``run`` (a document that happens to be called ``list`` is reached as ``deid run list``).
Passphrases come only from environment variables the user names, never from the command line.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format, escape
from thematica.core.errors import InputError

if TYPE_CHECKING:
    from thematica.services.deid import CommitReport, DetectReport


class DeidGroup(TyperGroup):
    """A group whose bare form ``deid DOC… --accept-all`` means ``deid run DOC… --accept-all``."""

    #: what a first word that is not a command means (also read by cli/command_tree.py, so the
    #: bare form builds only this command)
    default_command = "run"

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        first = next((a for a in args if not a.startswith("-")), None)
        help_only = bool(args) and all(a in ("--help", "-h") for a in args)
        if args and not help_only and (first is None or first not in self.commands):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


deid_app = typer.Typer(
    cls=DeidGroup,
    help="De-identify transcripts: find names, places and organisations, review the proposals, "
    "then replace them with consistent placeholders ([person 1]). 'thematica deid DOC… "
    "[--review | --accept-all]' detects (and with --accept-all commits at once).",
    no_args_is_help=True,
)
app.add_typer(deid_app, name="deid")

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Documents = Annotated[
    list[str] | None,
    typer.Argument(help="Documents (default: every document).", show_default=False),
]
PassphraseEnv = Annotated[
    str | None,
    typer.Option(
        "--passphrase-env",
        metavar="VAR",
        help="Name of the environment variable that holds the key's passphrase (for an "
        "encrypted key; the passphrase itself is never given on the command line).",
    ),
]
TypeOpt = Annotated[
    str | None,
    typer.Option(
        "--type",
        help="Entity type: PERSON, LOCATION, ORGANIZATION, FACILITY, DATE_TIME, PHONE_NUMBER, "
        "EMAIL_ADDRESS, STREET_ADDRESS or URL.",
    ),
]
PlaceholderOpt = Annotated[
    str | None,
    typer.Option("--placeholder", help="Write this instead, e.g. '[my boss]' (written as is)."),
]


def passphrase_from(var: str | None, *, required: bool = False) -> str | None:
    """The passphrase held by the environment variable ``var`` names."""
    if var is None:
        if required:
            raise InputError("give --passphrase-env VAR, naming the variable that holds it")
        return None
    if not _ENV_NAME.fullmatch(var):
        raise InputError(
            "--passphrase-env takes the NAME of an environment variable (such as "
            "THEMATICA_KEY), not the passphrase itself"
        )
    value = os.environ.get(var)
    if not value:
        raise InputError(f"the environment variable {var} is not set or is empty")
    return value


def _counts(by_type: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none"


def detect_summary(report: DetectReport) -> str:
    line = (
        f"found {report.proposed} new proposal(s) in {report.documents} document(s): "
        f"{_counts(report.by_type)}"
    )
    if report.already:
        line += f"; {report.already} already proposed or decided"
    return line


def commit_lines(report: CommitReport) -> list[str]:
    lines = [
        f"replaced {report.replaced} identifier(s) in {report.documents} document(s); codings "
        f"moved {report.codings_moved}, touched {report.codings_touched}, removed "
        f"{report.codings_lost}"
    ]
    if report.placeholders:
        shown = ", ".join(f"{k} ×{v}" for k, v in sorted(report.placeholders.items()))
        lines.append(f"placeholders written: {shown}")
    lines += [f"warning: {w}" for w in report.warnings]
    return lines


@deid_app.command("run")
def deid_run(
    documents: Documents = None,
    accept_all: Annotated[
        bool,
        typer.Option(
            "--accept-all/--review",
            help="--review (default): detect and leave the proposals for review. --accept-all: "
            "accept every proposal and commit at once (for scripted pipelines).",
        ),
    ] = False,
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Find identifiers in documents and store them as proposals to review ('thematica deid
    DOC…' is the same command)."""
    ui = UI(quiet, verbose)
    phrase = passphrase_from(passphrase_env)
    with open_project(db, project) as p, ui.progress("detecting") as bar:
        detected, committed = p.deid.run(
            documents or None, accept_all=accept_all, passphrase=phrase, progress=bar
        )
    ui.info(escape(detect_summary(detected)))
    if committed is None:
        ui.info("review with 'thematica deid list', then 'thematica deid commit'")
        return
    for line in commit_lines(committed):
        ui.info(escape(line))


@deid_app.command("list")
def deid_list(
    document: Annotated[str | None, typer.Option("--document", help="Only this document.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="proposed (or open), accepted, rejected, committed or all (default)."
        ),
    ] = None,
    entity_type: TypeOpt = None,
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The review queue: each proposal with its context and the placeholder a commit would
    write."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        table = p.deid.list(
            document=document,
            status=status,
            entity_type=entity_type,
            passphrase=passphrase_from(passphrase_env),
        )
    ui.table(table, fmt, output=output)


@deid_app.command("accept")
def deid_accept(
    ids: Annotated[list[int] | None, typer.Argument(help="Proposal ids.")] = None,
    document: Annotated[
        str | None, typer.Option("--document", help="With --all: only this document.")
    ] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Every open proposal.")] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Accept proposals (ids, or --all open ones): they are replaced at the next commit."""
    if ids and all_open:
        raise InputError("give proposal ids or --all, not both")
    if document and not all_open:
        raise InputError("--document goes with --all")
    with open_project(db, project) as p:
        n = p.deid.accept(ids or (), document=document, all_open=all_open)
    UI(quiet, verbose).info(f"accepted {n} proposal(s); 'thematica deid commit' applies them")


@deid_app.command("reject")
def deid_reject(
    ids: Annotated[list[int], typer.Argument(help="Proposal ids.")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Reject proposals: their words stay as they are."""
    with open_project(db, project) as p:
        n = p.deid.reject(ids)
    UI(quiet, verbose).info(f"rejected {n} proposal(s)")


@deid_app.command("edit")
def deid_edit(
    proposal: Annotated[int, typer.Argument(help="Proposal id.")],
    start: Annotated[int | None, typer.Option("--start", help="New start offset.")] = None,
    end: Annotated[int | None, typer.Option("--end", help="New end offset.")] = None,
    entity_type: TypeOpt = None,
    placeholder: PlaceholderOpt = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Change a proposal's span, type or placeholder; it becomes accepted."""
    with open_project(db, project) as p:
        row = p.deid.edit(
            proposal, start=start, end=end, entity_type=entity_type, placeholder=placeholder
        )
    from thematica.core.tables import Table
    from thematica.services.deid import ProposalRow

    UI(quiet, verbose).table(Table.of(ProposalRow, [row], title="Edited"), fmt)


@deid_app.command("add")
def deid_add(
    document: Annotated[str, typer.Argument(help="The document.")],
    text: Annotated[
        str | None, typer.Option("--text", help="Redact every whole-word occurrence of this.")
    ] = None,
    start: Annotated[int | None, typer.Option("--start", help="Start offset of a span.")] = None,
    end: Annotated[int | None, typer.Option("--end", help="End offset of a span.")] = None,
    entity_type: TypeOpt = None,
    placeholder: PlaceholderOpt = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add your own redaction (accepted at once): --text WORDS, or --start N --end N."""
    with open_project(db, project) as p:
        rows = p.deid.add(
            document,
            start=start,
            end=end,
            text=text,
            entity_type=entity_type or "PERSON",
            placeholder=placeholder,
        )
    UI(quiet, verbose).info(
        f"added {len(rows)} accepted proposal(s)"
        + (f": ids {', '.join(str(r.id) for r in rows)}" if rows else "")
    )


@deid_app.command("commit")
def deid_commit(
    documents: Documents = None,
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Replace the accepted proposals by their placeholders; codings move with the text."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        report = p.deid.commit(documents or None, passphrase=passphrase_from(passphrase_env))
    for line in commit_lines(report):
        ui.info(escape(line))


names_app = typer.Typer(
    help="The project's known names, looked for in every document (no subcommand: list them).",
    invoke_without_command=True,
)
deid_app.add_typer(names_app, name="names")


@names_app.callback()
def names_main(
    ctx: typer.Context,
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
) -> None:
    """The project's known names, looked for in every document (no subcommand: list them)."""
    if ctx.invoked_subcommand is None:
        _names_list(db, project, passphrase_env, fmt)


def _names_list(db: str | None, project: str | None, var: str | None, fmt: Format) -> None:
    with open_project(db, project) as p:
        table = p.deid.names(passphrase=passphrase_from(var))
    UI().table(table, fmt)


@names_app.command("list")
def names_list(
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
) -> None:
    """List the known names."""
    _names_list(db, project, passphrase_env, fmt)


@names_app.command("add")
def names_add(
    term: Annotated[str, typer.Argument(help="The name, e.g. 'Dr Smith'.")],
    entity_type: TypeOpt = None,
    placeholder: PlaceholderOpt = None,
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Add a known name; --placeholder gives it its own ('[my doctor]')."""
    with open_project(db, project) as p:
        row = p.deid.add_name(
            term,
            entity_type=entity_type or "PERSON",
            placeholder=placeholder,
            passphrase=passphrase_from(passphrase_env),
        )
    shown = f" as {row.placeholder}" if row.placeholder else ""
    UI(quiet).info(escape(f"added a known {row.entity_type.lower()} name{shown}"))


@names_app.command("remove")
def names_remove(
    term: Annotated[str, typer.Argument(help="The name.")],
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Take a name off the list (the key keeps a name already written)."""
    with open_project(db, project) as p:
        n = p.deid.remove_name(term, passphrase=passphrase_from(passphrase_env))
    UI(quiet).info(f"removed {n} known name(s)")


@deid_app.command("placeholders")
def deid_placeholders(
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="TYPE=TEMPLATE", help="e.g. PERSON='[participant {n}]'."),
    ] = None,
    reset: Annotated[
        list[str] | None, typer.Option("--reset", metavar="TYPE", help="Back to the default.")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
) -> None:
    """Show the placeholder template of each entity type; --set or --reset one."""
    changes: list[tuple[str, str | None]] = []
    for item in set_ or []:
        kind, sep, template = item.partition("=")
        if not sep:
            raise InputError(
                f"--set takes TYPE=TEMPLATE, e.g. PERSON='[participant {{n}}]', not {item!r}"
            )
        changes.append((kind, template))
    changes += [(kind, None) for kind in reset or []]
    with open_project(db, project) as p:
        for which, value in changes:
            p.deid.set_placeholder(which, value)
        table = p.deid.placeholders()
    UI().table(table, fmt)


@deid_app.command("key")
def deid_key(
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
) -> None:
    """The key: each identifier and its placeholder (owners only; never exported)."""
    with open_project(db, project) as p:
        table = p.deid.key(passphrase=passphrase_from(passphrase_env))
    UI().table(table, fmt, output=output)


@deid_app.command("encrypt")
def deid_encrypt(
    passphrase_env: PassphraseEnv = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Encrypt the key with a passphrase from now on (keep it safe: it is not stored)."""
    phrase = passphrase_from(passphrase_env, required=True)
    assert phrase is not None
    with open_project(db, project) as p:
        n = p.deid.encrypt_key(phrase)
    UI(quiet).info(f"encrypted the key ({n} term(s)); commands that read it need --passphrase-env")
