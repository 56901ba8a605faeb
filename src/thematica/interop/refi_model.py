"""The REFI-QDA project as plain dataclasses: what the readers build and the writers consume.

As read from a file, fields that refer to other objects (``code``, ``user``, ``note_refs``,
``sources`` …) hold normalised GUIDs (:func:`thematica.interop.guids.norm`) while an object's own
``guid`` keeps its case, braces off (:func:`thematica.interop.guids.bare`), so an export writes it
back as read. Texts are normalised (``core.text.normalise``) and selections are offsets into that
stored text, so neither the store nor the writer sees a file's own position convention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RefiUser:
    guid: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RefiCode:
    guid: str
    name: str
    codable: bool = True
    colour: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    note_refs: list[str] = field(default_factory=list)
    children: list[RefiCode] = field(default_factory=list)


@dataclass(slots=True)
class RefiVariable:
    guid: str
    name: str
    kind: str  # Text | Boolean | Integer | Float | Date | DateTime
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RefiCoding:
    guid: str
    code: str  # code GUID (normalised key)
    user: str | None  # user GUID key
    note_refs: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RefiSelection:
    guid: str
    start: int  # stored-text offsets (code points into the normalised text)
    end: int
    description: str = ""
    codings: list[RefiCoding] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RefiSource:
    guid: str
    name: str
    kind: str
    text: str  # normalised (core.text.normalise)
    reading: str = ""
    description: str = ""
    selections: list[RefiSelection] = field(default_factory=list)
    whole: list[RefiCoding] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)
    values: list[tuple[str, str | None]] = field(default_factory=list)  # (variable key, raw)
    #: Thematica-only data (timed speaker turns, see :mod:`thematica.interop.refi_turns`)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RefiCase:
    guid: str
    name: str | None
    description: str = ""
    values: list[tuple[str, str | None]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RefiNote:
    guid: str
    name: str
    text: str
    user: str | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RefiSet:
    guid: str
    name: str
    description: str = ""
    codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RefiProject:
    name: str
    origin: str = ""
    guid: str | None = None
    creating_user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    users: list[RefiUser] = field(default_factory=list)
    codes: list[RefiCode] = field(default_factory=list)
    variables: list[RefiVariable] = field(default_factory=list)
    cases: list[RefiCase] = field(default_factory=list)
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    sets: list[RefiSet] = field(default_factory=list)
    project_note_refs: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (note key, target key)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    warnings: list[str] = field(default_factory=list)
