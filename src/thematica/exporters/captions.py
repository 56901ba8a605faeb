"""Timed speaker turns written as caption files (WebVTT, SubRip).

A transcript's turn can last a minute; a caption should stay on screen a few seconds and fill
at most two short lines, so each turn is cut into cues of at most ``MAX_SECONDS`` and two lines
of ``LINE_CHARS`` characters. We only know when the turn starts and ends, not when each word is
said, so a cue's times are an approximation: the turn's time is shared among its words in
proportion to their length (a word and the space after it), which is close for steady speech and
wrong by the length of any pause inside the turn. The turn's own start and end are kept exactly.

WebVTT names the speaker with a voice tag (``<v Interviewer>``) and SubRip with a ``Name:``
prefix: both are what :mod:`thematica.importers.captions` reads back as speaker turns.

Pure functions over ``(start, end, speaker, text)`` tuples; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from thematica.core.models import Turn

__all__ = [
    "LINE_CHARS",
    "MAX_LINES",
    "MAX_SECONDS",
    "MIN_SECONDS",
    "SECONDS_PER_WORD",
    "Cue",
    "format_time",
    "split_cue",
    "spoken_seconds",
    "to_srt",
    "to_vtt",
    "turn_cues",
]

#: (start seconds, end seconds, speaker or None, text without the speaker label)
Cue = tuple[float, float, str | None, str]

#: The longest a cue stays on screen, in seconds.
MAX_SECONDS = 7.0
#: Characters per caption line and lines per cue (common subtitle guidance: 2 x 42).
LINE_CHARS = 42
MAX_LINES = 2
#: Speaking time given to a word of a turn without a usable end (about 150 words a minute).
SECONDS_PER_WORD = 0.4
#: The shortest cue made for such a turn.
MIN_SECONDS = 1.0


def format_time(seconds: float, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``separator`` "," for SubRip), rounded to the millisecond."""
    ms = max(0, round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _wrap(words: Sequence[str], width: int) -> list[str]:
    """Greedy lines of at most ``width`` characters (a longer word gets a line of its own)."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def split_cue(
    start: float,
    end: float,
    speaker: str | None,
    text: str,
    *,
    max_seconds: float = MAX_SECONDS,
    line_chars: int = LINE_CHARS,
    max_lines: int = MAX_LINES,
) -> list[Cue]:
    """One turn as cues short enough to read: words are added to a cue while it fits in
    ``max_lines`` lines and lasts at most ``max_seconds`` (a cue always takes one word); each
    word's time is its share of the turn in proportion to its length plus one space."""
    words = text.split()
    if not words:
        return []
    end = max(end, start)
    weights = [len(w) + 1 for w in words]
    total = sum(weights)
    # at[i]: when word i starts; at[len(words)] == end
    at = [start]
    done = 0
    for weight in weights:
        done += weight
        at.append(start + (end - start) * done / total)
    at[-1] = end
    cues: list[Cue] = []
    first = 0
    for i in range(1, len(words) + 1):
        if i == len(words):
            cues.append((at[first], end, speaker, " ".join(words[first:])))
            break
        longer = words[first : i + 1]
        too_long = at[i + 1] - at[first] > max_seconds
        if too_long or len(_wrap(longer, line_chars)) > max_lines:
            cues.append((at[first], at[i], speaker, " ".join(words[first:i])))
            first = i
    return cues


def turn_cues(text: str, turns: Sequence[Turn]) -> list[Cue]:
    """The timed turns of a document as cues; the ``Speaker:`` label that starts a turn's
    text is left out (the speaker travels in the cue). A turn without an end time ends when
    the next timed turn starts; one that would still end where it starts (the last turn, a
    wrong end) lasts as long as its words take to say (:func:`spoken_seconds`), up to the
    next turn's start: a zero-length cue is invalid WebVTT and players drop it. Untimed
    turns are left out."""
    timed = [turn for turn in turns if turn.time_start is not None]
    cues: list[Cue] = []
    for i, turn in enumerate(timed):
        start = float(turn.time_start or 0.0)
        following = float(timed[i + 1].time_start or 0.0) if i + 1 < len(timed) else None
        end = turn.time_end if turn.time_end is not None else following
        words = text[turn.start : turn.end].strip()
        if turn.speaker and words.startswith(turn.speaker):
            rest = words[len(turn.speaker) :].lstrip()
            if rest.startswith(":"):
                words = rest[1:].strip()
        if not words:
            continue
        if end is None or end <= start:
            end = start + spoken_seconds(words)
            if following is not None and following > start:
                end = min(end, following)
        cues.append((start, float(end), turn.speaker, words))
    return cues


def spoken_seconds(words: str) -> float:
    """About how long ``words`` take to say: ``SECONDS_PER_WORD`` a word, at least
    ``MIN_SECONDS`` (the length given to a turn whose end is unknown)."""
    return max(MIN_SECONDS, SECONDS_PER_WORD * len(words.split()))


def _split_all(cues: Iterable[Cue]) -> list[Cue]:
    out: list[Cue] = []
    for start, end, speaker, text in cues:
        out += split_cue(start, end, speaker, text)
    return out


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Iterable[Cue]) -> str:
    """A WebVTT file: ``WEBVTT``, then one block per (split) cue with a ``<v Speaker>`` tag."""
    blocks = ["WEBVTT\n"]
    for start, end, speaker, text in _split_all(cues):
        lines = [_escape_vtt(line) for line in _wrap(text.split(), LINE_CHARS)]
        if speaker:
            lines[0] = f"<v {_escape_vtt(speaker)}>{lines[0]}"
        timing = f"{format_time(start)} --> {format_time(end)}"
        blocks.append(timing + "\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks)


def to_srt(cues: Iterable[Cue]) -> str:
    """A SubRip file: numbered blocks, ``HH:MM:SS,mmm`` times, ``Speaker: text``."""
    blocks: list[str] = []
    for n, (start, end, speaker, text) in enumerate(_split_all(cues), 1):
        lines = _wrap(text.split(), LINE_CHARS)
        if speaker:
            lines[0] = f"{speaker}: {lines[0]}"
        timing = f"{format_time(start, ',')} --> {format_time(end, ',')}"
        blocks.append(f"{n}\n{timing}\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks)
