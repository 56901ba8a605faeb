"""Whose words an AI run reads: researchers code what participants say, so suggestions and
clusters leave out the interviewer's questions unless asked otherwise.

A :class:`SpeakerScope` is either the default — every speaker except one whose label looks
like the interviewer's (:func:`looks_like_interviewer`) — or shell-style patterns over the
speaker labels of the stored turns (``Participant*``; case ignored, the whole label, as
``thematica autocode --speaker`` matches them), ``*`` being everyone. Text in no labelled turn
(a document without speaker labels, the lines before the first label) has the empty label:
the default keeps it, ``*`` keeps it, ``Participant*`` does not. A unit belongs to the speaker
of the turn holding its first character.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from thematica.core.errors import InputError
from thematica.core.models import Turn
from thematica.core.text import speaker_at

__all__ = [
    "EVERYONE",
    "INTERVIEWER_LABELS",
    "INTERVIEWER_PREFIXES",
    "SpeakerScope",
    "looks_like_interviewer",
    "speaker_glob",
]

#: whole labels (case ignored) taken for the interviewer's by default; ``iv`` is the
#: abbreviation transcripts use (:data:`thematica.core.text.DEFAULT_SPEAKER_PATTERN`), ``q``
#: the question side of Q/A transcripts
INTERVIEWER_LABELS = frozenset(
    {"interviewer", "interviewers", "moderator", "facilitator", "researcher", "int", "iv", "i", "q"}
)
#: label beginnings (case ignored) taken for the interviewer's: ``Interviewer 2``,
#: ``Moderator (Ana)``
INTERVIEWER_PREFIXES = ("interviewer", "moderator", "facilitator")
#: the pattern that keeps every speaker
EVERYONE = "*"
#: the longest pattern accepted (a speaker label is at most 200 characters)
MAX_PATTERN = 200
#: the most patterns one run takes
MAX_PATTERNS = 100


def looks_like_interviewer(label: str | None) -> bool:
    """Whether a speaker label is the interviewer's (moderator's, facilitator's) by its name."""
    if not label:
        return False
    name = " ".join(label.split()).casefold()
    return name in INTERVIEWER_LABELS or name.startswith(INTERVIEWER_PREFIXES)


def speaker_glob(pattern: str) -> re.Pattern[str]:
    """A shell-style pattern (``Participant*``), case ignored, matched against the whole label
    (auto-coding by speaker and the AI runs' speaker filter)."""
    return re.compile(fnmatch.translate(pattern.strip()), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SpeakerScope:
    """The speakers a run keeps: ``patterns`` None is the default (all but the interviewer)."""

    patterns: tuple[str, ...] | None = None
    _compiled: tuple[re.Pattern[str], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = tuple(speaker_glob(p) for p in self.patterns or ())
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def of(cls, speakers: Sequence[str] | None) -> SpeakerScope:
        """The scope of ``speakers`` as given (None: the default), checked: a blank list or
        pattern, or one too long, is refused."""
        if speakers is None:
            return cls()
        if isinstance(speakers, str):
            speakers = [speakers]
        given = [str(s).strip() for s in speakers]
        if not given or not all(given):
            raise InputError(
                "name a speaker pattern (Participant*), or * for everyone, or leave speakers "
                "out to skip the interviewer's turns"
            )
        if len(given) > MAX_PATTERNS:
            raise InputError(f"at most {MAX_PATTERNS} speaker patterns, not {len(given)}")
        long = next((s for s in given if len(s) > MAX_PATTERN), None)
        if long is not None:
            raise InputError(
                f"speaker pattern {long[:40]!r}… is over {MAX_PATTERN} characters long"
            )
        return cls(tuple(dict.fromkeys(given)))

    @property
    def everyone(self) -> bool:
        """Whether nothing is left out (a pattern of stars only)."""
        return self.patterns is not None and any(set(p) == {"*"} for p in self.patterns)

    @property
    def skips_interviewer(self) -> bool:
        """The default scope: what it leaves out are the interviewer's turns."""
        return self.patterns is None

    def parameter(self) -> list[str] | None:
        """As stored with a run (None: the default)."""
        return None if self.patterns is None else list(self.patterns)

    def keeps(self, speaker: str | None) -> bool:
        """Whether a turn of ``speaker`` (None: no label) is read."""
        if self.patterns is None:
            return not looks_like_interviewer(speaker)
        label = (speaker or "").strip()
        return any(p.match(label) is not None for p in self._compiled)

    def keeper(self, turns: Sequence[Turn]) -> Callable[[int], bool] | None:
        """Whether the text at an offset is read, given a document's turns (sorted by start);
        None when everything is (no turn is left out)."""
        if self.everyone:
            return None
        ordered = sorted(turns, key=lambda turn: turn.start)
        if self.keeps(None) and all(self.keeps(turn.speaker) for turn in ordered):
            return None
        return lambda offset: self.keeps(speaker_at(ordered, offset))
