"""``thematica transcribe``: recordings in, timestamped speaker-turn transcripts out, on this
machine; ``thematica transcripts`` lists the runs; ``thematica documents rename-speaker`` puts
real names on the "Speaker 1" labels the diarizer gave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.documents_cmd import documents_app
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format, escape

if TYPE_CHECKING:
    from thematica.services.transcription import Progress, TranscribeReport

#: the default of --max-hours (kept equal to intake.audio.MAX_HOURS_DEFAULT, which is not
#: imported here: it would load the audio stack for ``--help``)
MAX_HOURS = 4.0


@dataclass(slots=True)
class SummaryRow:
    """One transcribed recording as the terminal table shows it."""

    document: str
    duration: str
    turns: int
    speakers: int
    language: str
    speed: str


@app.command()
def transcribe(
    audio: Annotated[
        list[Path],
        typer.Argument(
            help="Recordings to transcribe (wav, mp3, m4a, ogg, flac, webm).",
            show_default=False,
            metavar="AUDIO",
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="Speech model: tiny.en (English, fastest) or base (multilingual).",
        ),
    ] = "tiny.en",
    language: Annotated[
        str | None,
        typer.Option(
            "--language", help="Language code such as en or fr (default: detected by the model)."
        ),
    ] = None,
    speakers: Annotated[
        int | None,
        typer.Option(
            "--speakers", help="How many voices to tell apart (default: estimated from the audio)."
        ),
    ] = None,
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="Document name for the file in the same place (repeatable; default: the "
            "file name without its suffix).",
        ),
    ] = None,
    max_hours: Annotated[
        float,
        typer.Option("--max-hours", help="Refuse recordings longer than this many hours."),
    ] = MAX_HOURS,
    device: Annotated[
        str,
        typer.Option("--device", help="auto (a CUDA GPU when there is one), cpu or cuda."),
    ] = "auto",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Carry on an interrupted run of the same file with the same settings.",
        ),
    ] = True,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Transcribe recordings on this machine into documents, one line per speaker turn
    ("Speaker 1: ...") with its times. Nothing leaves the machine. An interrupted run keeps
    what it heard: run the same command again to carry on."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        try:
            with _audio_progress(ui) as progress:
                report = p.transcription.transcribe(
                    [str(a) for a in audio],
                    model=model,
                    language=language,
                    speakers=speakers,
                    names=name or None,
                    resume=resume,
                    device=device,
                    progress=progress,
                    max_hours=max_hours,
                )
        except KeyboardInterrupt:
            latest = p.transcription.runs().rows[:1]
            kept = (
                f"{latest[0].segments} segment(s) ({latest[0].done_seconds:.0f} s of audio) kept"
                if latest
                else "nothing kept"
            )
            ui.err.print(
                f"interrupted; {kept}: run the same command again to carry on", highlight=False
            )
            raise typer.Exit(130) from None
    _print_report(ui, report, fmt)


def _print_report(ui: UI, report: TranscribeReport, fmt: Format) -> None:
    from thematica.core.tables import Table
    from thematica.services.transcription import TranscribedRow

    for source, why in report.skipped.items():
        ui.info(f"Skipped {escape(source)}: {escape(why)}; no document made.")
    if fmt is not Format.table:
        ui.table(Table.of(TranscribedRow, report.documents, title="Transcribed"), fmt)
        return
    if not report.documents:
        return
    rows = [
        SummaryRow(
            r.document,
            _clock(r.duration),
            r.turns,
            r.speakers,
            r.language,
            f"{r.speed:.1f}× real time",
        )
        for r in report.documents
    ]
    ui.table(Table.of(SummaryRow, rows, title="Transcribed"), fmt)
    for r in report.documents:
        if r.resumed_from:
            ui.info(f"{escape(r.document)}: carried on from {_clock(r.resumed_from)}.")
    first = report.documents[0].document
    ui.info(
        "Speakers are numbered in order of appearance; name them with "
        f"'thematica documents rename-speaker {_quoted(first)} \"Speaker 1\" Interviewer'."
    )


@contextmanager
def _audio_progress(ui: UI) -> Iterator[Progress | None]:
    """A bar over seconds of audio on a terminal; nothing when piped or ``--quiet``."""
    if ui.quiet or not ui.err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TimeElapsedColumn(),
        console=ui.err,
        transient=True,
    )
    with bar:
        task = bar.add_task("Transcribing", total=None, clock="")

        def update(done: float, total: float, what: str) -> None:
            bar.update(
                task,
                completed=done,
                total=total or None,
                description=f"Transcribing {what}" if what else "Transcribing",
                clock=f"{_clock(done)} / {_clock(total)} of audio",
            )

        yield update


@app.command()
def transcripts(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List the transcription runs: finished, and interrupted ones a new run carries on."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.transcription.runs(), fmt)


@documents_app.command("rename-speaker")
def documents_rename_speaker(
    document: Annotated[str, typer.Argument(help="The document.", show_default=False)],
    old: Annotated[str, typer.Argument(help="The speaker now, e.g. 'Speaker 1'.")],
    new: Annotated[str, typer.Argument(help="The new name, e.g. Interviewer.")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Rename a speaker of one document: its turns and the label opening each of its lines
    (codings stay on their words). A name the document already has merges the two."""
    with open_project(db, project) as p:
        n = p.transcription.rename_speaker(document, old, new)
    UI(quiet, verbose).info(
        f"Renamed {escape(old)} to {escape(' '.join(new.split()))} in {n} turn(s) of "
        f"{escape(document)}."
    )


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _quoted(text: str) -> str:
    import shlex

    return escape(shlex.quote(text))
