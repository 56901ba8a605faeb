"""Pages: reading and coding one transcript, and the per-project code colours stylesheet.

The transcript is rendered here in one pass: every speaker turn a block, its text cut at every
coding boundary into runs, each run carrying the code-point offset where it starts
(``data-o``) so the page's script maps a selection to stored offsets exactly. A coded run is
one ``<mark>`` naming the codings over it (``data-k``) and, per coding, a class ``cNbK`` (code
N on band K, from ``codes.css``): each coding keeps one band under the text for its whole
length, so overlapping codings stay legible, as the margin's stripes do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from thematica.core.access import Operation, Role, allowed
from thematica.web.api.suggestions import reader_suggestions
from thematica.web.deps import ProjectDep
from thematica.web.render import page

router = APIRouter()

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: highlight bands drawn below the text: codings on higher tracks share the last band
BANDS = 6


@dataclass(slots=True)
class Block:
    start: int
    end: int
    speaker: str | None
    #: the turn's position in the document (None: text between turns)
    turn: int | None
    #: code points at the start that are the speaker's label ("Participant 1:")
    label: int = 0


def blocks_of(text: str, turns: Sequence[Any]) -> list[Block]:
    """The turns as blocks, plus any text outside every turn that is not white space."""
    out: list[Block] = []
    at = 0
    for position, turn in enumerate(turns):
        if turn.start > at and text[at : turn.start].strip():
            out.append(Block(at, turn.start, None, None))
        label = 0
        if turn.speaker and text.startswith(turn.speaker, turn.start):
            after = turn.start + len(turn.speaker)
            label = len(turn.speaker) + (1 if text[after : after + 1] == ":" else 0)
            label = min(label, turn.end - turn.start)
        out.append(Block(turn.start, turn.end, turn.speaker, position, label))
        at = max(at, turn.end)
    if at < len(text) and text[at:].strip():
        out.append(Block(at, len(text), None, None))
    if not turns and not out and text:
        out.append(Block(0, len(text), None, None))
    return out


def assign_tracks(codings: Iterable[Any]) -> dict[int, int]:
    """Coding id -> its band (0 nearest the text): the lowest band free at its start, so
    overlapping codings never share one (the same rule draws the margin stripes)."""
    ends: list[int] = []
    tracks: dict[int, int] = {}
    for c in sorted(codings, key=lambda c: (c.start, -c.end, c.id)):
        for k, end in enumerate(ends):
            if end <= c.start:
                ends[k] = c.end
                tracks[c.id] = k
                break
        else:
            tracks[c.id] = len(ends)
            ends.append(c.end)
    return tracks


def render_text(
    text: str, blocks: Sequence[Block], codings: Sequence[Any], *, can_code: bool
) -> Markup:
    """The transcript as HTML, in one sweep over the coding boundaries."""
    tracks = assign_tracks(codings)
    by_start = sorted(codings, key=lambda c: (c.start, c.id))
    # per coding, built once: its band class (code colour on its band), band and id as text
    band_of = {c.id: min(tracks[c.id], BANDS - 1) for c in codings}
    cls = {c.id: f"c{c.code_id}b{band_of[c.id]}" for c in codings}
    sid = {c.id: str(c.id) for c in codings}
    out: list[str] = []
    write = out.append
    voices: dict[str, int] = {}
    nxt = 0  # next coding (by start) not yet considered
    open_: dict[int, Any] = {}  # codings that may cover the current block
    for number, block in enumerate(blocks):
        bs, be = block.start, block.end
        while nxt < len(by_start) and by_start[nxt].start < be:
            open_[by_start[nxt].id] = by_start[nxt]
            nxt += 1
        for cid in [cid for cid, c in open_.items() if c.end <= bs]:
            del open_[cid]
        cuts = {bs, be}
        if block.label:
            cuts.add(bs + block.label)
        starts: dict[int, list[int]] = {}
        ends: dict[int, list[int]] = {}
        active: set[int] = set()
        for c in open_.values():
            if c.start <= bs:
                active.add(c.id)
            else:
                cuts.add(c.start)
                starts.setdefault(c.start, []).append(c.id)
            if c.end < be:
                cuts.add(c.end)
                ends.setdefault(c.end, []).append(c.id)
        turn_attr = f' data-turn="{block.turn}"' if block.turn is not None else ""
        speaker = block.speaker or ""
        if block.label:
            turn_attr += f' data-l="{block.label}"'
        voice = f" v{voices.setdefault(speaker, len(voices)) % 6}" if speaker else ""
        write(f'<div class="turn{voice}" id="b{number}" data-s="{bs}" data-e="{be}"{turn_attr}>')
        write('<div class="gutter">')
        if block.turn is not None:
            write(f'<span class="tn">{block.turn + 1}</span>')
        if speaker and not block.label:
            write(f'<span class="spk" title="{escape(speaker)}">{escape(speaker)}</span>')
        if can_code and block.turn is not None:
            write(
                '<button type="button" class="code-turn" title="Code this whole turn" '
                'aria-label="Code this whole turn">Code turn</button>'
            )
        write('</div><div class="tt">')
        points = sorted(cuts)
        label_end = bs + block.label
        changed = True
        head = ""
        for a, b in pairwise(points):
            if a in ends:
                active.difference_update(ends[a])
                changed = True
            if a in starts:
                active.update(starts[a])
                changed = True
            piece = escape(text[a:b], quote=False)
            if not active:
                if a < label_end:
                    write(f'<span data-o="{a}" class="lbl">{piece}</span>')
                else:
                    write(f'<span data-o="{a}">{piece}</span>')
                continue
            if changed:
                here = sorted(active, key=tracks.__getitem__)  # distinct: they overlap
                depth = band_of[here[-1]]
                bands = " ".join(map(cls.__getitem__, here))
                ids = " ".join(map(sid.__getitem__, here))
                head = f'<mark class="hl h{depth} n{min(len(here), 3)} {bands}" data-k="{ids}"'
                changed = False
            if a < label_end:
                write(f'{head} data-o="{a}" data-l="1">{piece}</mark>')
            else:
                write(f'{head} data-o="{a}">{piece}</mark>')
        write("</div></div>")
    return Markup("".join(out))


def _layers_wanted(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    return [n.strip() for n in raw.split(",") if n.strip()]


def default_layers(
    layers: Sequence[Any], every: Sequence[Any], me: str, role: Role | None
) -> tuple[list[str], str]:
    """The layers shown when the address names none, and why (``own``, ``mine``, ``all``).

    A coder sees their own layer; an owner their own layer when they coded this document,
    else every human coder's layer (an owner opening a transcript wants to see its coding);
    a viewer every layer they may read. AI layers are left out: their open suggestions are
    drawn as dashed outlines instead (a person may still tick an AI layer to see it)."""
    names = [layer.name for layer in layers if layer.kind != "ai"]
    mine = [n for n in names if n.casefold() == me.casefold()]
    if role is Role.CODER:
        return mine, "own"
    if role is Role.OWNER:
        if mine and any(c.coder == mine[0] for c in every):
            return mine, "mine"
        # (her own layer, empty here, is left out: the page adds it once she codes)
        human = [layer.name for layer in layers if layer.kind == "human" and not layer.own]
        return (human or names), "all"
    return names, "all"


def focus_layers(every: Sequence[Any], start: int, end: int) -> list[str]:
    """The layers whose codings a link to [start, end) points at: those coded exactly there,
    else those covering it, else those overlapping it."""
    exact = [c.coder for c in every if (c.start, c.end) == (start, end)]
    cover = [c.coder for c in every if c.start <= start and c.end >= end]
    touch = [c.coder for c in every if c.start < end and start < c.end]
    return list(dict.fromkeys(exact or cover or touch))


@router.get("/p/{pid}/read/{doc:path}")
def read_page(
    request: Request,
    doc: str,
    project: ProjectDep,
    coder: Annotated[str | None, Query(max_length=2000)] = None,
    start: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    end: Annotated[int | None, Query(ge=0, le=2**40)] = None,
) -> Response:
    record = project.documents.get(doc)
    readable = project.coding.readable_layers()
    role = project.access.role
    can_code = role in (Role.OWNER, Role.CODER)
    me = project.access.name
    wanted = _layers_wanted(coder)
    names = [layer.name for layer in readable]
    closed = [n for n in wanted or [] if n not in names and n in project.coding.coders()]
    if closed:  # a layer that exists but is not open to this person: the service refuses it
        project.coding.in_document(doc, coder=closed)
    every: list[Any] = list(project.coding.in_document(doc, coder=names)) if names else []
    why = "asked"
    if wanted is None:
        wanted, why = default_layers(readable, every, me, role)
    wanted = [n for n in wanted if n in names]  # a layer not there yet shows nothing
    # a link to a passage ("go to source"): the reader scrolls there and marks it, showing
    # the layer of the coding it came from
    focus: dict[str, Any] | None = None
    focus_note = ""
    if start is not None or end is not None:
        if start is None or end is None or not 0 <= start < end <= len(record.text):
            focus_note = (
                "The passage this link points to is not in this document "
                f"(it is {len(record.text):,} characters long): showing the document's start."
            )
        else:
            pointed = focus_layers(every, start, end)
            added = [] if any(n in wanted for n in pointed) else pointed
            wanted += added
            focus = {"start": start, "end": end, "added": added}
    shown = [c for c in every if c.coder in set(wanted)]
    blocks = blocks_of(record.text, record.turns)
    html = render_text(record.text, blocks, shown, can_code=can_code)
    codes = project.coding.code_choices()
    data = {
        "document": record.name,
        "length": len(record.text),
        "user": me,
        "role": role.value if role else None,
        "canCode": can_code,
        "mayCreate": role is Role.OWNER or bool(project.settings.get("coders_add_codes", True)),
        "blind": project.access.blind,
        "bands": BANDS,
        "layers": [
            {"name": layer.name, "kind": layer.kind, "own": layer.own} for layer in readable
        ],
        "shown": wanted,
        #: why these layers: "own" (a coder's), "mine" (an owner's own), "all", "asked" (the URL)
        "shownWhy": why,
        "focus": focus,
        # the codes' names and paths are in "codes": each coding names its code by id
        "codings": [[c.id, c.code_id, c.coder, c.start, c.end, c.memo] for c in every],
        "codes": [
            {
                "id": c.id,
                "path": c.path,
                "name": c.name,
                "depth": c.depth,
                "parent_id": c.parent_id,
                "definition": c.definition,
                "sem_level": c.sem_level,
                "origin": c.origin,
            }
            for c in codes
        ],
        "turns": [
            {"turn": b.turn, "start": b.start, "end": b.end, "speaker": b.speaker}
            for b in blocks
            if b.turn is not None
        ],
        # AI suggestions (open ones, from the AI layers this person may read): reader-suggestions.js
        "suggestions": reader_suggestions(project, record.name, codes),
    }
    return page(
        request,
        "read.html",
        project=project,
        nav="documents",
        doc=record,
        text_html=html,
        reader=data,
        layers=readable,
        shown=set(wanted),
        can_code=can_code,
        # the de-identification page's link: whoever the deid service lets in (owners)
        may_deid=allowed(role, Operation.IMPORT),
        coded=len(shown),
        focus_note=focus_note,
    )


@router.get("/p/{pid}/codes.css")
def codes_css(project: ProjectDep) -> Response:
    """``.code-N { --code-colour: #rrggbb; }`` for every code: the code's own colour, else a
    palette colour fixed by its id."""
    lines: list[str] = []
    for c in project.coding.code_choices():
        if not _COLOUR.match(c.colour):
            continue
        lines.append(f".code-{c.id} {{ --code-colour: {c.colour}; }}")
        # the reader's highlight bands: a run coded with code N on band K sets --bK
        lines.append(" ".join(f".c{c.id}b{k} {{ --b{k}: {c.colour}; }}" for k in range(BANDS)))
    return Response(
        "\n".join(lines) + "\n",
        media_type="text/css",
        headers={"Cache-Control": "no-cache"},
    )
