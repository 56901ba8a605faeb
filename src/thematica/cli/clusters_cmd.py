"""``thematica clusters``: the passages no code covers yet, grouped by meaning into candidate
codes; ``clusters show`` lists a group's passages and ``clusters accept`` makes one a code."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.cli.suggest_cmd import (
    AllSpeakersOption,
    SpeakerOption,
    speaker_patterns,
    speaker_summary,
)
from thematica.core.errors import InputError
from thematica.core.timespans import split_names

clusters_app = typer.Typer(
    help="Group uncoded passages by meaning into candidate codes; show a group; accept one "
    "into the codebook.",
    invoke_without_command=True,
)
app.add_typer(clusters_app, name="clusters")


class ClusterUnit(StrEnum):
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"


RunOption = Annotated[
    int | None, typer.Option("--run", help="The run (default: the latest you may read).")
]


@clusters_app.callback()
def clusters_main(
    ctx: typer.Context,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="minilm, mpnet, static, tfidf, server or auto (default: the best installed; "
            "see 'thematica ai backends').",
        ),
    ] = None,
    unit: Annotated[
        ClusterUnit, typer.Option("--unit", help="What one passage is.")
    ] = ClusterUnit.sentence,
    documents: Annotated[
        list[str] | None,
        typer.Option("--documents", help="Only these documents (repeatable, or A,B)."),
    ] = None,
    layers: Annotated[
        list[str] | None,
        typer.Option(
            "--layers",
            help="The coder layers whose codings make a passage coded (repeatable, or A,B; "
            "default: every human, imported and consensus layer you may read).",
        ),
    ] = None,
    min_size: Annotated[
        int | None,
        typer.Option(
            "--min-size",
            help="The fewest passages a group may have (default: grows with the number of "
            "passages, at least 3).",
        ),
    ] = None,
    max_clusters: Annotated[
        int | None, typer.Option("--max-clusters", help="Propose at most this many groups.")
    ] = None,
    no_model_labels: Annotated[
        bool,
        typer.Option(
            "--no-model-labels",
            help="Name groups by keywords only, even when the project has a chat model.",
        ),
    ] = False,
    speaker: SpeakerOption = None,
    all_speakers: AllSpeakersOption = False,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Group the passages no coding touches yet by meaning and propose each group as a
    candidate code, named by its keywords (and by the team server's chat model when one is
    configured). Nothing is coded: 'clusters show' lists a group, 'clusters accept' adds it."""
    if ctx.invoked_subcommand is not None:
        return
    from thematica.ai.embedders import resolve

    ui = UI(quiet, verbose)
    speakers = speaker_patterns(speaker, all_speakers)
    announced: list[bool] = []

    with open_project(db, project) as p, ui.progress("Clustering") as progress:

        def report(done: int, total: int, what: str) -> None:
            if not announced:  # once the input is checked: an error stays one line
                announced.append(True)
                ui.info(f"Grouping uncoded {unit.value}s with backend {resolve(backend)}.")
            progress(done, total, what)

        run = p.clusters.propose(
            backend=backend,
            unit=unit.value,
            documents=split_names(documents) or None,
            layers=split_names(layers) or None,
            min_size=min_size,
            max_clusters=max_clusters,
            model_labels=not no_model_labels,
            speakers=speakers,
            progress=report,
        )
    if fmt is not Format.table or output is not None or run.rows.rows:
        ui.table(run.rows, fmt, output=output)
    counted = ", ".join(run.layers) or "none (no coding yet)"
    named = f"named by {run.label_model} and keywords" if run.label_model else "named by keywords"
    ui.info(
        f"Run {run.run_id} ({run.backend}, {run.model}): {run.passages} uncoded {run.unit}(s), "
        f"{run.clustered} in {len(run.rows)} group(s) of {run.min_size} or more, "
        f"{run.unclustered} unclustered"
        + speaker_summary(run.speaker_skipped, run.speakers, run.unit)
        + f"; {named}. Coding counted from: {counted}."
    )
    if run.rows.rows:
        ui.info(
            "See a group's passages with 'thematica clusters show NUMBER'; make it a code with "
            "'thematica clusters accept NUMBER [--name NAME] [--code-members]'."
        )


@clusters_app.command("runs")
def clusters_runs(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The clusters runs you may read, newest first."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.clusters.runs(), fmt, output=output)


@clusters_app.command("list")
def clusters_list(
    run: RunOption = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The groups of a run again: label, size, keywords, an example, the code it became."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.clusters.list(run), fmt, output=output)


@clusters_app.command("show")
def clusters_show(
    numbers: Annotated[
        list[int], typer.Argument(help="[RUN] NUMBER: the group (of the latest run, or of RUN).")
    ],
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """A group's passages, most typical first: document, offsets, closeness, text."""
    if len(numbers) not in (1, 2):
        raise InputError("give the group's NUMBER, or RUN NUMBER")
    run, number = (None, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.clusters.members(run, number), fmt, output=output)


@clusters_app.command("accept")
def clusters_accept(
    number: Annotated[int, typer.Argument(help="The group's number in the run.")],
    run: RunOption = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The code's name (default: the group's label)."),
    ] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Add it under this code.")] = None,
    definition: Annotated[
        str | None,
        typer.Option(
            "--definition", help="Its definition (default: 'Passages about: <keywords> ...')."
        ),
    ] = None,
    code_members: Annotated[
        bool,
        typer.Option(
            "--code-members",
            help="Also code the group's passages with it in your layer (one undoable batch).",
        ),
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Make a group a code in the codebook (origin inductive); with --code-members, code its
    passages in your layer too ('thematica batches undo' takes them back)."""
    with open_project(db, project) as p:
        done = p.clusters.accept(
            run,
            number,
            name=name,
            parent=parent,
            definition=definition,
            code_members=code_members,
        )
    message = f"Code {done.code!r} added from group {done.number} of run {done.run_id}"
    if done.batch_id is not None:
        message += (
            f"; coded {done.codings} passage(s) in {done.layer} (batch {done.batch_id}; undo "
            f"with 'thematica batches undo {done.batch_id}')"
        )
    UI(quiet, verbose).info(message + ".")
