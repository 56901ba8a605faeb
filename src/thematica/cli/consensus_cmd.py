"""Commands for the consensus meeting: start a consensus layer, walk and decide disagreements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.code_labels import CodeLabels
from thematica.cli.hints import cli_message
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError, ThematicaError

if TYPE_CHECKING:
    from thematica.services.consensus import Disagreement

consensus_app = typer.Typer(
    help="Consensus: reconcile two coders' disagreements into a consensus coder layer.",
    no_args_is_help=True,
)
app.add_typer(consensus_app, name="consensus")

Coders = Annotated[str, typer.Option("--coders", help="The two coders to reconcile, as A,B.")]
Name = Annotated[
    str | None,
    typer.Option("--name", help="Consensus layer (default: the project's only one)."),
]
LayerName = Annotated[
    str, typer.Option("--name", help="Name of the consensus layer (a coder of kind consensus).")
]
MinOverlap = Annotated[
    float,
    typer.Option(
        "--min-overlap",
        help="Pair two spans of a code only when they overlap this much (0-1; 0 = any overlap).",
    ),
]
By = Annotated[
    str | None, typer.Option("--by", help="Who decides (default: the two coders, as A+B).")
]

SHORTCUTS = {
    "a": "keep_a",
    "b": "keep_b",
    "ab": "keep_both",
    "both": "keep_both",
    "m": "merge",
    "e": "edit",
    "d": "drop",
    "o": "overturn",
    "s": "skip",
    "q": "quit",
}


@consensus_app.command("start")
def consensus_start(
    coders: Coders,
    name: LayerName = "consensus",
    min_overlap: MinOverlap = 0.0,
    by: By = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create (or update) the consensus layer: identical spans go in, the rest is to decide."""
    with open_project(db, project) as p:
        summary = p.consensus.start(coders, name=name, min_overlap=min_overlap, decided_by=by)
    UI(quiet, verbose).info(
        f"{summary.layer} ({', '.join(summary.coders)}): {summary.added} agreed coding(s) added; "
        f"{summary.agreed} agreed, {summary.decided} decided, {summary.open} open "
        "disagreement(s)."
    )


@consensus_app.command("status")
def consensus_status(
    name: Name = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Counts: pairings compared, agreed, decided by action, open, consensus codings."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.consensus.status(name=name), fmt)


@consensus_app.command("list")
def consensus_list(
    name: Name = None,
    document: Annotated[str | None, typer.Option("--document")] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="Only disagreements about this code (or below).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="boundary, only_a, only_b or different_code."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.")] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The open disagreements, in document order, with both coders' spans and text."""
    with open_project(db, project) as p:
        table = p.consensus.disagreements(name=name, document=document, code=code, kind=kind)
        labels = CodeLabels(p)
    if limit is not None:
        table.rows = table.rows[: max(0, limit)]
    if fmt is Format.table and output is None:
        from thematica.core.tables import Table

        lines = [_Line.of(d, labels) for d in table.rows]
        view = Table(lines, title=f"{table.title}: {len(table)}")
        UI(quiet, verbose).table(view, fmt)
    else:
        UI(quiet, verbose).table(table, fmt, output=output)


@dataclass(slots=True)
class _Line:
    """A disagreement narrowed for the terminal: who coded what, and the text."""

    id: str
    document: str
    kind: str
    a: str
    b: str
    text: str

    @classmethod
    def of(cls, d: Disagreement, labels: CodeLabels) -> _Line:
        def said(coder: str, code: str | None, start: int | None, end: int | None) -> str:
            if code is None:
                return f"{coder}: (not coded)"
            return f"{coder}: {labels.name(code)} [{start}, {end})"

        longest = max((d.text_a or "", d.text_b or ""), key=len)
        text = longest if len(longest) <= 120 else longest[:117] + "..."
        return cls(
            d.id,
            d.document,
            d.kind,
            said(d.coder_a, d.code_a, d.start_a, d.end_a),
            said(d.coder_b, d.code_b, d.start_b, d.end_b),
            text,
        )


@consensus_app.command("decide")
def consensus_decide(
    disagreement: Annotated[str, typer.Argument(help="Disagreement id, e.g. a12-b40.")],
    action: Annotated[
        str, typer.Argument(help="keep_a, keep_b, keep_both, merge, edit, drop or overturn.")
    ],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why.")] = "",
    start: Annotated[int | None, typer.Option("--start", help="For edit.")] = None,
    end: Annotated[int | None, typer.Option("--end", help="For edit.")] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="For edit, or merge of different codes.")
    ] = None,
    revise: Annotated[
        bool, typer.Option("--revise", help="Replace an earlier decision (it stays in the log).")
    ] = False,
    by: By = None,
    name: Name = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Decide one disagreement."""
    with open_project(db, project) as p:
        row = p.consensus.decide(
            disagreement,
            action,
            reason,
            by,
            start,
            end,
            code,
            revise=revise,
            name=name,
        )
    UI(quiet, verbose).info(
        f"Decision {row.decision}: {row.action} {row.disagreement} -> {row.result}."
    )


@consensus_app.command("apply")
def consensus_apply(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Decisions CSV/XLSX: id, action [, reason, start, end, code, decided_by, revise]."
        ),
    ] = None,
    final: Annotated[
        Path | None,
        typer.Option(
            "--final",
            help="The reconciled result as a wide coding table (the format of code --from-table).",
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="With --final: document, turn or paragraph."),
    ] = None,
    coders: Annotated[
        str | None,
        typer.Option("--coders", help="With --final: the two coders, as A,B (starts the layer)."),
    ] = None,
    by: By = None,
    name: Name = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Apply a file of decisions, or a final reconciled coding table (--final), all or nothing."""
    if (file is None) == (final is None):
        raise InputError("give a decisions file, or --final FILE with --unit")
    if final is None and (unit is not None or coders is not None):
        raise InputError("--unit and --coders go with --final")
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        if final is not None:
            if unit is None:
                raise InputError("--final needs --unit document, turn or paragraph")
            s = p.consensus.apply_final(final, unit, coders=coders, name=name, decided_by=by)
            ui.info(
                f"{s.layer} ({', '.join(s.coders)}) from {s.source} by {s.unit}: "
                f"{s.agreed} agreed, {s.kept_a} kept from {s.coders[0]}, {s.kept_b} kept from "
                f"{s.coders[1]}, {s.added} added, {s.overturned} overturned, {s.dropped_a} "
                f"dropped from {s.coders[0]}, {s.dropped_b} dropped from {s.coders[1]}; "
                f"the layer now has {s.consensus_codings} coding(s) (batch {s.batch})."
            )
            return
        assert file is not None
        if by is not None:
            raise InputError("--by goes with --final; a decisions file has a decided_by column")
        n = p.consensus.apply_file(file, name=name)
        status = p.consensus.status(name=name).rows[0]
    ui.info(f"Applied {n} decision(s); {status.open} disagreement(s) still open.")


@consensus_app.command("add")
def consensus_add(
    document: Annotated[str, typer.Argument(help="Document name.")],
    code: Annotated[str, typer.Option("--code", help="Code path or unique name.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (required).")],
    start: Annotated[int | None, typer.Option("--start")] = None,
    end: Annotated[int | None, typer.Option("--end")] = None,
    quote: Annotated[
        str | None, typer.Option("--quote", help="Passage to find instead of offsets.")
    ] = None,
    by: By = None,
    name: Name = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a coding neither coder made to the consensus (logged as an 'add' decision)."""
    with open_project(db, project) as p:
        row = p.consensus.add(
            document, code, start, end, quote=quote, reason=reason, decided_by=by, name=name
        )
    UI(quiet, verbose).info(f"Decision {row.decision}: add {row.disagreement} -> {row.result}.")


@consensus_app.command("overturn")
def consensus_overturn(
    disagreement: Annotated[
        str, typer.Argument(help="Id of a pairing both coders made, e.g. a12-b40 (see log).")
    ],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (required).")],
    by: By = None,
    name: Name = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Overturn a coding both coders made: it leaves the consensus (the decision is logged)."""
    with open_project(db, project) as p:
        row = p.consensus.overturn(disagreement, reason, by, name=name)
    UI(quiet, verbose).info(
        f"Decision {row.decision}: overturn {row.disagreement} ({row.source}) -> {row.result}."
    )


@consensus_app.command("log")
def consensus_log(
    name: Name = None,
    document: Annotated[str | None, typer.Option("--document")] = None,
    no_agreed: Annotated[
        bool, typer.Option("--no-agreed", help="Leave out the automatic 'agreed' entries.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The decision log: who, when, what, why, the original codings and the result."""
    with open_project(db, project) as p:
        table = p.consensus.log(name=name, document=document, include_agreed=not no_agreed)
    if fmt is Format.table and output is None:
        from thematica.core.tables import Table

        columns = (
            *("decision", "decided_at", "decided_by", "action", "reason", "document"),
            *("disagreement", "result", "superseded_by"),
        )
        table = Table(table.rows, columns=columns, title=table.title)
    UI(quiet, verbose).table(table, fmt, output=output)


def _show(ui: UI, n: int, total: int, d: Disagreement) -> None:
    err = ui.err
    err.print(f"\n[bold]{n}/{total}  {d.id}[/bold]  {d.document}  ({d.kind})", highlight=False)
    for label, coder, code, start, end, text in (
        ("A", d.coder_a, d.code_a, d.start_a, d.end_a, d.text_a),
        ("B", d.coder_b, d.code_b, d.start_b, d.end_b, d.text_b),
    ):
        if code is None:
            err.print(f"  {label} {coder}: (not coded here)", highlight=False, markup=False)
        else:
            err.print(
                f"  {label} {coder}: {code} [{start}, {end})\n    \u201c{text}\u201d",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@consensus_app.command("walk")
def consensus_walk(
    coders: Coders,
    name: LayerName = "consensus",
    min_overlap: MinOverlap = 0.0,
    by: By = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Walk the open disagreements one by one, asking for an action and a reason.

    Actions: a (keep_a), b (keep_b), ab (keep_both), m (merge), e (edit), d (drop), o (overturn:
    a boundary both coders coded, judged wrong), s (skip), q (quit). Each decision is saved at
    once; quitting (or end of input) keeps them.
    """
    ui = UI(quiet, verbose)
    decided = 0
    from thematica.services.consensus import ACTIONS

    actions = (*ACTIONS, "overturn")

    with open_project(db, project) as p:
        summary = p.consensus.start(coders, name=name, min_overlap=min_overlap, decided_by=by)
        items = p.consensus.disagreements(name=name).rows
        ui.info(
            f"{summary.layer}: {summary.agreed} agreed, {summary.decided} decided, "
            f"{len(items)} open disagreement(s)."
        )
        try:
            for n, d in enumerate(items, 1):
                _show(ui, n, len(items), d)
                while True:
                    answer = typer.prompt(
                        "action [a/b/ab/m/e/d/o, s skip, q quit]", err=True
                    ).strip()
                    action = SHORTCUTS.get(answer.lower(), answer.lower())
                    if action == "quit":
                        raise typer.Abort()
                    if action == "skip":
                        break
                    if action not in actions:
                        ui.err.print(
                            f"error: unknown action {answer!r}; one of {', '.join(actions)}, "
                            "skip or quit",
                            highlight=False,
                            markup=False,
                            soft_wrap=True,
                        )
                        continue
                    start = end = None
                    code = None
                    if action == "edit":
                        start = typer.prompt("start", type=int, err=True)
                        end = typer.prompt("end", type=int, err=True)
                        code = typer.prompt("code", default=d.code_a or d.code_b, err=True)
                    elif action == "merge" and d.kind == "different_code":
                        code = typer.prompt("code", default=d.code_a, err=True)
                    reason = typer.prompt("reason", default="", show_default=False, err=True)
                    try:
                        row = p.consensus.decide(
                            d.id, action, reason, by, start, end, code, name=name
                        )
                    except ThematicaError as exc:
                        ui.err.print(
                            f"error: {cli_message(exc)}",
                            highlight=False,
                            markup=False,
                            soft_wrap=True,
                        )
                        continue
                    decided += 1
                    ui.info(f"  decision {row.decision}: {row.action} -> {row.result}")
                    break
        except typer.Abort:
            pass
        left = p.consensus.status(name=name).rows[0].open
    ui.info(f"\nDecided {decided} disagreement(s) this session; {left} still open.")
