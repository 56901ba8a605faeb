"""Pages: the audit trail — who changed what, and when — filtered by person, kind of change
and time, newest first, a page at a time.

What each entry says in words is this face's (the service returns the entries' data; the
sentences are in :mod:`thematica.web.pages.audit_words`). Which entries a person sees is the
service's: while coding is blind, a coder does not see the entries that itemise another coder's
layer.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from thematica.core.errors import InputError
from thematica.services.project import AuditRow, Project
from thematica.web.deps import ProjectDep
from thematica.web.pages.audit_words import describe, family_label, label
from thematica.web.render import page

router = APIRouter()

#: entries on one page
PAGE = 50

SINCE = [
    ("", "Any time"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
]


def action_options(actions: list[str]) -> list[tuple[str, str]]:
    """The filter's choices: every kind of change present, and ``prefix*`` for each family of
    two or more (``consensus*``: every consensus step)."""
    families: dict[str, int] = {}
    for action in actions:
        for sep in ("_", "."):
            if sep in action:
                families[action.split(sep, 1)[0]] = 0
    for action in actions:
        head = action.split("_", 1)[0].split(".", 1)[0]
        if head in families:
            families[head] += 1
    options = [(a, label(a)) for a in sorted(actions, key=lambda a: label(a).casefold())]
    for head, n in sorted(families.items()):
        words = family_label(head)
        if n >= 2 and words:
            options.append((f"{head}*", words))
    return options


def _when(at: str) -> str:
    """The time as the page shows it before its script puts it in the reader's time zone."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return at
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def entry(row: AuditRow) -> dict[str, Any]:
    """An entry as the page shows it."""
    document = row.detail.get("document")
    start, end = row.detail.get("start"), row.detail.get("end")
    at = (
        f"?start={start}&end={end}"
        if isinstance(start, int) and isinstance(end, int) and row.action != "uncode"
        else ""
    )
    return {
        "id": row.id,
        "at": row.at,
        "when": _when(row.at),
        "actor": row.actor or "?",
        "action": row.action,
        "label": label(row.action),
        "text": describe(row),
        "document": document
        if isinstance(document, str) and document and row.action != "remove_document"
        else None,
        "passage": at,
        "detail": json.dumps(row.detail, indent=2, ensure_ascii=False, sort_keys=True),
    }


def read_log(
    project: Project, actor: str, action: str, since: str, offset: int, limit: int
) -> tuple[list[AuditRow], bool]:
    """One page of entries and whether older ones follow."""
    rows = project.audit_log(
        limit + 1,
        actor=actor.strip() or None,
        action=action.strip() or None,
        since=since.strip() or None,
        offset=offset,
    ).rows
    return rows[:limit], len(rows) > limit


Text = Annotated[str, Query(max_length=500)]


@router.get("/p/{pid}/audit")
def audit_page(
    request: Request,
    project: ProjectDep,
    actor: Text = "",
    action: Text = "",
    since: Text = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    error = None
    rows: list[AuditRow] = []
    more = False
    try:
        rows, more = read_log(project, actor, action, since, offset, PAGE)
    except InputError as exc:
        error = str(exc).splitlines()[0]
    facets = project.progress.audit_facets()
    actors = list(facets.actors)
    if actor and actor not in actors:
        actors.append(actor)
    actions = action_options(facets.actions)
    if action and action not in {a for a, _ in actions}:
        actions.append((action, action))
    since_options = list(SINCE)
    if since and since not in {s for s, _ in SINCE}:
        since_options.append((since, f"Since {since}"))
    query = {"actor": actor, "action": action, "since": since}
    return page(
        request,
        "audit.html",
        project=project,
        nav="audit",
        entries=[entry(r) for r in rows],
        error=error,
        actors=actors,
        actions=actions,
        since_options=since_options,
        query=query,
        filtered=any(query.values()),
        offset=offset,
        page_size=PAGE,
        older=offset + PAGE if more else None,
        newer=max(0, offset - PAGE) if offset > 0 else None,
        status=400 if error else 200,
    )
