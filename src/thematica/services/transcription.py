"""Local transcription (``thematica transcribe``): CONTRACT STUB — the transcription-service
helper replaces this module's bodies; signatures and row types are the contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from thematica.core.access import Operation
from thematica.core.tables import Table
from thematica.services.access import requires

if TYPE_CHECKING:
    from thematica.services.project import Project

#: (seconds of audio done, seconds in all, file name)
Progress = Callable[[float, float, str], None]


@dataclass(slots=True)
class TranscribedRow:
    document: str
    source: str
    duration: float
    segments: int
    turns: int
    speakers: int
    language: str
    model: str
    #: audio seconds per second of work (higher is faster)
    speed: float
    resumed_from: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TranscribeReport:
    documents: list[TranscribedRow] = field(default_factory=list)
    #: file name -> why nothing was stored (silence, ...)
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TranscriptRunRow:
    id: int
    source: str
    document: str
    model: str
    status: str
    duration: float | None
    done_seconds: float
    segments: int
    started_at: str


class Transcription:
    """Recordings in, timestamped speaker-turn documents out, on this machine."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.IMPORT)
    def transcribe(
        self,
        paths: Sequence[str | Path],
        *,
        model: str = "tiny.en",
        language: str | None = None,
        speakers: int | None = None,
        names: Sequence[str] | None = None,
        resume: bool = True,
        device: str = "auto",
        progress: Progress | None = None,
    ) -> TranscribeReport:
        raise NotImplementedError

    @requires(Operation.READ)
    def runs(self) -> Table[TranscriptRunRow]:
        raise NotImplementedError
