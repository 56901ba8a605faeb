"""Page: reviewing one document's de-identification before its text changes.

The transcript is rendered as the reader renders it (``pages/read.py``: one block per speaker
turn, runs carrying their code-point offset in ``data-o``) so a selection maps to stored
offsets the same way, with each proposed redaction one ``<mark>`` run (or several, where it
crosses a turn's label or another proposal) naming its proposals in ``data-p``. What a
proposal will become is drawn by the stylesheet from ``data-tag`` (``::after``), never as text,
so offsets and selections stay those of the stored text. ``deid.js`` draws the same runs again
after each change.

Only owners de-identify (the service says so: its methods need ``Operation.IMPORT``); anyone
else gets a page saying so, with no controls and none of the proposals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from html import escape
from itertools import pairwise
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from thematica.core.errors import PermissionDenied
from thematica.web.deps import ProjectDep
from thematica.web.pages.read import Block, blocks_of
from thematica.web.render import page

router = APIRouter()

STATUSES = ("proposed", "accepted", "rejected", "committed")
#: a run covered by several proposals looks like the one furthest along
_RANK = {"rejected": 0, "proposed": 1, "accepted": 2, "committed": 3}
LBL_CLASS, LBL_ATTR = ' class="lbl"', ' data-l="1"'


def shown(rows: Iterable[Any], text: str) -> list[Any]:
    """The proposals drawn on the text: every open one inside it, and a committed one only
    where its span still reads as its placeholder (what the commit wrote)."""
    out = []
    for r in rows:
        if not 0 <= r.start < r.end <= len(text):
            continue
        if r.status == "committed" and text[r.start : r.end] != r.placeholder:
            continue
        out.append(r)
    return out


def tag_of(row: Any) -> str:
    """The label drawn after a proposal: its type and what it will read as ("" once
    committed: the text itself reads as the placeholder then)."""
    kind = str(row.entity_type).replace("_", " ")
    if row.status == "rejected":
        return f"{kind} · kept"
    if row.status == "committed":
        return ""
    return f"{kind} → {row.placeholder}"


def render_text(text: str, blocks: Sequence[Block], rows: Sequence[Any]) -> Markup:
    """The transcript as HTML: blocks as the reader's, each proposal's runs a ``<mark>``."""
    out: list[str] = []
    write = out.append
    voices: dict[str, int] = {}
    for number, block in enumerate(blocks):
        bs, be = block.start, block.end
        here = [r for r in rows if r.start < be and r.end > bs]
        cuts = {bs, be}
        if block.label:
            cuts.add(bs + block.label)
        for r in here:
            cuts.update(p for p in (r.start, r.end) if bs < p < be)
        attrs = f' data-turn="{block.turn}"' if block.turn is not None else ""
        if block.label:
            attrs += f' data-l="{block.label}"'
        speaker = block.speaker or ""
        voice = f" v{voices.setdefault(speaker, len(voices)) % 6}" if speaker else ""
        write(f'<div class="turn{voice}" id="b{number}" data-s="{bs}" data-e="{be}"{attrs}>')
        write('<div class="gutter">')
        if block.turn is not None:
            write(f'<span class="tn">{block.turn + 1}</span>')
        if speaker and not block.label:
            write(f'<span class="spk" title="{escape(speaker)}">{escape(speaker)}</span>')
        write('</div><div class="tt">')
        label_end = bs + block.label
        for a, b in pairwise(sorted(cuts)):
            piece = escape(text[a:b], quote=False)
            over = sorted((r for r in here if r.start <= a and r.end >= b), key=lambda r: r.id)
            lbl = a < label_end
            if not over:
                write(f'<span data-o="{a}"{LBL_CLASS if lbl else ""}>{piece}</span>')
                continue
            top = max(over, key=lambda r: (_RANK.get(r.status, 0), r.id))
            ids = " ".join(str(r.id) for r in over)
            ending = [tag for r in over if r.end == b and (tag := tag_of(r))]
            tag = f' data-tag="{escape(" · ".join(ending))}"' if ending else ""
            cls = f"dz st-{top.status}{' end' if ending else ''}{' n2' if len(over) > 1 else ''}"
            write(
                f'<mark class="{cls}" data-p="{ids}" data-o="{a}"'
                f"{LBL_ATTR if lbl else ''}{tag}>{piece}</mark>"
            )
        write("</div></div>")
    return Markup("".join(out))


def key_encrypted(project: Any) -> bool:
    """Whether the key is encrypted (its salt is in the settings): the page then shows the
    passphrase field that finding known names and committing need."""
    from thematica.services.deid_key import KEY_SETTING

    return bool((project.settings.get(KEY_SETTING) or {}).get("salt"))


def counts(rows: Iterable[Any]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return out


@router.get("/p/{pid}/documents/{name:path}/deid")
def deid_page(request: Request, name: str, project: ProjectDep) -> Response:
    record = project.documents.get(name)
    try:
        rows = list(project.deid.list(document=record.name))
    except PermissionDenied:
        return page(request, "deid.html", project=project, nav="documents", doc=record, may=False)
    types = [asdict(p) for p in project.deid.placeholders()]
    blocks = blocks_of(record.text, record.turns)
    html = render_text(record.text, blocks, shown(rows, record.text))
    data = {
        "document": record.name,
        "length": len(record.text),
        "proposals": [asdict(r) for r in rows],
        "types": types,
    }
    return page(
        request,
        "deid.html",
        project=project,
        nav="documents",
        doc=record,
        may=True,
        encrypted=key_encrypted(project),
        text_html=html,
        counts=counts(rows),
        types=types,
        deid=data,
    )
