"""``thematica transcribe``: recordings in, timestamped speaker-turn transcripts out, on this
machine; ``thematica transcripts`` lists the runs; ``thematica documents rename-speaker`` puts
real names on the "Speaker 1" labels the diarizer gave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.documents_cmd import documents_app
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format, escape
from thematica.core.errors import ThematicaError

# intake.audio imports nothing heavy at its top (numpy, av and faster-whisper are imported in
# its functions), so the one default is shared without slowing ``--help``
from thematica.intake.audio import MAX_HOURS_DEFAULT

if TYPE_CHECKING:
    from thematica.services.project import Project
    from thematica.services.transcription import Progress, TranscribeReport

#: the --max-hours default
MAX_HOURS = MAX_HOURS_DEFAULT


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
            help="Carry on an interrupted run of the same file with the same settings, and "
            "skip files already transcribed (--no-resume: start again from the beginning).",
        ),
    ] = True,
    case: Annotated[
        str | None, typer.Option("--case", help="Link every transcript to this case.")
    ] = None,
    case_pattern: Annotated[
        str | None,
        typer.Option(
            "--case-pattern",
            help=r"Regex on the file name giving the case, e.g. '(P\d+)' (default: the "
            "project's case pattern).",
        ),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Transcribe recordings on this machine into documents, one line per speaker turn
    ("Speaker 1: ...") with its times. Nothing leaves the machine. An interrupted run keeps
    what it heard: run the same command again to carry on (files already transcribed are
    skipped)."""
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
                    case=case,
                    case_pattern=case_pattern,
                )
        except KeyboardInterrupt:
            ui.err.print(escape(_interrupted(p)), highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
        except ThematicaError:
            stored = p.transcription.stored
            if stored:  # the error line follows; these files are done and will be skipped
                ui.err.print(
                    f"stored before the error: {escape(', '.join(stored))}", highlight=False
                )
            raise
    _print_report(ui, report, fmt)
    if report.skipped and not report.documents and set(report.skipped) != set(report.already):
        raise typer.Exit(1)  # nothing transcribed, and not because it was done before


def _interrupted(p: Project) -> str:
    """Which run was interrupted and what it kept, and which documents were stored."""
    run = p.transcription.last_run
    found = [r for r in p.transcription.runs().rows if r.id == run] if run is not None else []
    kept = (
        f"{found[0].source}: {found[0].segments} segment(s) "
        f"({_clock(found[0].done_seconds)} of audio) kept"
        if found
        else "nothing kept of the file in progress"
    )
    stored = p.transcription.stored
    done = f"; stored before: {', '.join(stored)}" if stored else ""
    return f"interrupted; {kept}{done}: run the same command again to carry on"


def _print_report(ui: UI, report: TranscribeReport, fmt: Format) -> None:
    from thematica.core.tables import Table
    from thematica.services.transcription import TranscribedRow

    for source, why in report.skipped.items():
        if source in report.already:
            ui.info(f"Skipped {escape(source)}: {escape(why)}.")
        else:  # a warning even with --quiet: the file made no document
            ui.err.print(
                f"warning: skipped {escape(source)}: {escape(why)}; no document made",
                highlight=False,
                soft_wrap=True,
            )
    for r in report.documents:
        for warning in r.warnings:
            ui.err.print(
                f"warning: {escape(r.document)}: {escape(warning)}", highlight=False, soft_wrap=True
            )
    if fmt is not Format.table:
        ui.table(Table.of(TranscribedRow, report.documents, title="Transcribed"), fmt)
        return
    if not report.documents:
        return
    rows = [
        {
            "document": r.document,
            "source": r.source,
            "duration": _clock(r.duration),
            "turns": r.turns,
            "speakers": r.speakers,
            "language": r.language,
            "processing speed": f"{r.speed:.1f}× as fast as playback",
        }
        for r in report.documents
    ]
    columns = tuple(rows[0])
    ui.table(Table(rows, columns=columns, title="Transcribed"), fmt)
    for r in report.documents:
        if r.resumed_from:
            ui.info(f"{escape(r.document)}: carried on from {_clock(r.resumed_from)}.")
        if r.case:
            ui.info(f"{escape(r.document)}: linked to case {escape(r.case)}.")
    for line in next_steps(report):
        ui.info(line)


def next_steps(report: TranscribeReport) -> list[str]:
    """What to do next with the new transcripts, as commands to copy."""
    first = _quoted(report.documents[0].document)
    lines = [
        "Next:",
        "  name the speakers: thematica documents rename-speaker "
        f'{first} --map "Speaker 1=Interviewer" --map "Speaker 2=Participant"',
        f"  de-identify before coding: thematica deid {first} (then 'thematica deid list')",
        f"  read it with its times: thematica export captions {first}",
    ]
    alone = [r.document for r in report.documents if r.speakers == 1 and r.speakers_estimated]
    if alone:
        lines.append(
            f"Only one voice was told apart in {escape(', '.join(alone))}: if two people "
            "speak, remove the document ('thematica documents remove') and transcribe again "
            "with --speakers 2 (what was heard is not kept: the model listens again)."
        )
    return lines


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
    old: Annotated[
        str | None, typer.Argument(help="The speaker now, e.g. 'Speaker 1'.", show_default=False)
    ] = None,
    new: Annotated[
        str | None, typer.Argument(help="The new name, e.g. Interviewer.", show_default=False)
    ] = None,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="OLD=NEW, e.g. 'Speaker 1=Interviewer' (repeatable; instead of OLD NEW).",
            show_default=False,
        ),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Rename speakers of one document: their turns and the label opening each of their
    lines (codings stay on their words). Give OLD NEW, or --map OLD=NEW once per speaker
    (all renamed at once, so names can be swapped). A name the document already has merges
    the two."""
    mapping = _rename_map(old, new, maps or [])
    with open_project(db, project) as p:
        n = p.transcription.rename_speakers(document, mapping)
    said = ", ".join(f"{escape(k)} to {escape(' '.join(v.split()))}" for k, v in mapping.items())
    UI(quiet, verbose).info(f"Renamed {said} in {n} turn(s) of {escape(document)}.")


def _rename_map(old: str | None, new: str | None, maps: list[str]) -> dict[str, str]:
    """OLD NEW or the --map pairs (not both) as one mapping."""
    from thematica.core.errors import InputError
    from thematica.services.speakers import parse_mapping

    if maps:
        if old is not None or new is not None:
            raise InputError("give either OLD NEW or --map OLD=NEW, not both")
        mapping: dict[str, str] = {}
        for spec in maps:
            speaker, renamed = parse_mapping(spec)
            if renamed is None:
                raise InputError(f"{spec!r} gives no new name: use 'OLD=NEW'")
            if speaker in mapping:
                raise InputError(f"{speaker!r} is given twice in --map")
            mapping[speaker] = renamed
        return mapping
    if old is None or new is None:
        raise InputError("give OLD and NEW speaker names, or --map OLD=NEW")
    return {old: new}


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _quoted(text: str) -> str:
    import shlex

    return escape(shlex.quote(text))
