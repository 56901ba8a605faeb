"""Caption files (WebVTT from Teams/Zoom, SubRip) read as speaker turns with times.

Captions arrive as many short cues; a coder wants speaker turns. Consecutive cues by the same
named speaker are merged into one line ``Speaker: words`` that keeps the first cue's start and
the last cue's end time. Cues without a speaker stay one per line, so their times are not lost.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from thematica.core.models import ParsedDocument, Turn
from thematica.core.text import normalise
from thematica.importers._common import build_document, fail, read_input
from thematica.importers.decode import decode_bytes
from thematica.importers.options import ImportOptions

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]+)>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags, and SubRip {\an8} positioning
# Zoom writes "Name: words". Names are short and start with a letter, never "10:30".
_NAME_PREFIX = re.compile(r"^([^\W\d_][^:<>]{0,39}?):\s+(\S.*)$")
_MAX_NAME_WORDS = 5
_SKIPPED_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")


@dataclass(slots=True)
class _Cue:
    start: float
    end: float
    words: str
    speaker: str | None = None


@dataclass(slots=True)
class _Paragraph:
    speaker: str | None
    start: float
    end: float
    words: list[str] = field(default_factory=list)


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = groups
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return total + int((fraction or "0").ljust(3, "0")) / 1000


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Blank-line separated blocks of (1-based line number, line)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _cues(text: str, path: Path, is_vtt: bool) -> list[_Cue]:
    cues: list[_Cue] = []
    for block in _blocks(text):
        if is_vtt and block[0][1].lstrip().startswith(_SKIPPED_BLOCKS):
            continue
        timing_at = next((i for i, (_, line) in enumerate(block) if "-->" in line), None)
        if timing_at is None:
            continue  # SubRip index without a cue, stray text: nothing with a time to keep
        number, timing = block[timing_at]
        match = _TIMING.match(timing)
        if match is None:
            raise fail(path, f"line {number}: cannot read the cue timing {timing.strip()!r}")
        payload = " ".join(line.strip() for _, line in block[timing_at + 1 :])
        voice = _VOICE.search(payload)
        words = _TAG.sub("", payload)
        if is_vtt:
            words = html.unescape(words)
        words = " ".join(words.split())
        if not words:
            continue
        speaker = " ".join(html.unescape(voice.group(1)).split()) if voice else None
        groups = match.groups()
        cues.append(_Cue(_seconds(groups[:4]), _seconds(groups[4:]), words, speaker or None))
    return cues


def _apply_name_prefixes(cues: list[_Cue]) -> None:
    """Read Zoom's ``Name: words`` only when most cues follow it.

    A single "Note: ..." line in an unlabelled file must not become a speaker.
    """
    found: list[tuple[_Cue, str, str]] = []
    for cue in cues:
        if cue.speaker is not None:
            continue
        match = _NAME_PREFIX.match(cue.words)
        if match is not None and len(match.group(1).split()) <= _MAX_NAME_WORDS:
            found.append((cue, match.group(1).strip(), match.group(2)))
    if 2 * len(found) < len(cues):
        return
    for cue, name, words in found:
        cue.speaker, cue.words = name, words


def _merge(cues: list[_Cue]) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    for cue in cues:
        last = paragraphs[-1] if paragraphs else None
        if last is not None and cue.speaker is not None and cue.speaker == last.speaker:
            last.words.append(cue.words)
            last.end = max(last.end, cue.end)
        else:
            paragraphs.append(_Paragraph(cue.speaker, cue.start, cue.end, [cue.words]))
    return paragraphs


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    raw, encoding = decode_bytes(data, path.name, options.encoding)
    source = normalise(raw)
    is_vtt = path.suffix.lower() == ".vtt"
    if is_vtt and not source.lstrip().startswith("WEBVTT"):
        raise fail(path, "not a WebVTT file (the first line must be WEBVTT)")
    cues = _cues(source, path, is_vtt)
    if not cues:
        raise fail(path, "no caption cues found")
    _apply_name_prefixes(cues)

    lines: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for paragraph in _merge(cues):
        words = " ".join(paragraph.words)
        # Normalised per line, so the offsets below match the stored text exactly.
        line = normalise(f"{paragraph.speaker}: {words}" if paragraph.speaker else words)
        turns.append(
            Turn(offset, offset + len(line), paragraph.speaker, paragraph.start, paragraph.end)
        )
        lines.append(line)
        offset += len(line) + 1
    return [build_document(path, "\n".join(lines), options, encoding=encoding, turns=turns)]
