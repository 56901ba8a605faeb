"""``thematica suggest``: a model proposes codes from the codebook for units of text, into an
AI layer (``ai:<model>``) that people then review with ``thematica suggestions``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

#: what ``--format json`` and ``csv`` give for each suggestion
MACHINE_COLUMNS = ("document", "start", "end", "code", "score")
#: what the terminal table shows (layer and model are the same for every row: said above it)
TABLE_COLUMNS = ("id", "document", "start", "end", "code", "score", "rank", "text")


SpeakerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--speaker",
        help="Only the turns of speakers matching this pattern (repeatable), e.g. "
        "'Participant*' (default: everyone but the interviewer).",
    ),
]
AllSpeakersOption = Annotated[
    bool,
    typer.Option("--all-speakers", help="Read every speaker's turns, the interviewer's included."),
]


def speaker_patterns(speaker: list[str] | None, all_speakers: bool) -> list[str] | None:
    """What ``--speaker``/``--all-speakers`` ask for (None: the default, all but the
    interviewer)."""
    if all_speakers and speaker:
        raise InputError("give --speaker or --all-speakers, not both")
    if all_speakers:
        return ["*"]
    return list(speaker) if speaker else None


def speaker_summary(skipped: int, speakers: list[str] | None, what: str) -> str:
    """The words of a summary line about the turns left out ('' when none were)."""
    if not skipped:
        return ""
    if speakers is None:
        return (
            f"; {skipped} {what}(s) in the interviewer's turns left out (--all-speakers keeps them)"
        )
    return f"; {skipped} {what}(s) of other speakers left out (kept: {', '.join(speakers)})"


class SuggestUnit(StrEnum):
    sentence = "sentence"
    turn = "turn"
    paragraph = "paragraph"
    document = "document"


@app.command()
def suggest(
    db: Db = None,
    project: ProjectName = None,
    unit: Annotated[
        SuggestUnit, typer.Option("--unit", help="What one suggestion codes whole.")
    ] = SuggestUnit.sentence,
    codes: Annotated[
        list[str] | None,
        typer.Option("--codes", help="Only these codes and their subcodes (repeatable)."),
    ] = None,
    documents: Annotated[
        list[str] | None,
        typer.Option("--documents", help="Only these documents (repeatable, or A,B)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="At most this many codes per unit.")] = 3,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            help="Keep suggestions whose calibrated score (0-1) is at least this (default: "
            "the calibration's threshold).",
        ),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="minilm, mpnet, static, tfidf, server, chat or auto (default: the best "
            "installed; see 'thematica ai backends').",
        ),
    ] = None,
    learn_from: Annotated[
        str | None,
        typer.Option(
            "--learn-from",
            help="Layers whose codings teach the model (A,B), or 'none' (default: the "
            "consensus layer when it has codings).",
        ),
    ] = None,
    speaker: SpeakerOption = None,
    all_speakers: AllSpeakersOption = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Carry on the latest unfinished run, with its settings."),
    ] = False,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Suggest codes for units of text from each code's definition (and, once the team has
    coded, from its codings). Suggestions go into the AI layer ai:MODEL, never into a
    person's layer: review them with 'thematica suggestions list|accept|reject'."""
    from thematica.core.timespans import split_names
    from thematica.services.suggestions import backend_label

    ui = UI(quiet, verbose)
    speakers = speaker_patterns(speaker, all_speakers)
    names = split_names(documents)
    learn: list[str] | None = None
    if learn_from is not None:
        given = split_names(learn_from)
        learn = [] if [n.lower() for n in given] == ["none"] else given
    with open_project(db, project) as p:
        if resume:
            unfinished = [r for r in p.suggestions.runs().rows if r.status != "done"][:1]
            said = (
                f"Resuming run {unfinished[0].id}: backend {unfinished[0].backend}, model "
                f"{unfinished[0].model}, into layer {unfinished[0].layer}."
                if unfinished
                else ""
            )
        else:
            name, model = backend_label(backend, p.settings)
            said = f"Suggesting with backend {name}, model {model}, into layer ai:{model}."
        try:
            with ui.progress("Suggesting") as bar:

                def progress(done: int, total: int, what: str) -> None:
                    # said once the run has been checked and its model loaded, so a refused
                    # run prints its one line of error and nothing else
                    nonlocal said
                    if said:
                        ui.info(said)
                        said = ""
                    bar(done, total, what)

                run = p.suggestions.suggest(
                    backend=backend,
                    unit=unit.value,
                    codes=codes or None,
                    documents=names or None,
                    top=top,
                    min_score=min_score,
                    learn_from=learn,
                    speakers=speakers,
                    resume=resume,
                    progress=progress,
                )
        except KeyboardInterrupt:
            latest = p.suggestions.runs().rows[:1]
            kept = f"{latest[0].done} of {latest[0].total} document(s) kept" if latest else ""
            ui.err.print(
                f"interrupted; {kept}: carry on with 'thematica suggest --resume'",
                highlight=False,
            )
            raise typer.Exit(130) from None
    table = run.rows
    table.columns = TABLE_COLUMNS if fmt in (Format.table, Format.md) else MACHINE_COLUMNS
    if fmt is not Format.table or output is not None or run.rows.rows:
        ui.table(table, fmt, output=output)
    learned = ", ".join(run.learned_from or []) or "none (zero-shot)"
    what = "sentence" if run.unit == "document" else run.unit
    ui.info(
        f"{run.layer} ({run.backend}, {run.model}): {run.suggestions} suggestion(s) for "
        f"{run.units} {run.unit}(s) in {run.documents} document(s)"
        + speaker_summary(run.speaker_skipped, run.speakers, what)
        + (f"; {run.skipped} already suggested" if run.skipped else "")
        + f". Calibration {run.calibration}, min score {run.min_score:.2f}; learned from "
        f"{learned}. Review with 'thematica suggestions list --layer {run.layer}'."
    )
