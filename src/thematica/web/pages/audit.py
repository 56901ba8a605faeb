"""Pages: the audit trail — who changed what, and when — filtered by person, kind of change
and time, newest first, a page at a time.

What each entry says in words is this face's (the service returns the entries' data); the
command line words them in ``cli/log_format.py``, whose sentences are reused for every kind of
change not worded here. Which entries a person sees is the service's: while coding is blind,
a coder does not see the entries that itemise another coder's layer.
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
from thematica.web.render import page

router = APIRouter()

#: entries on one page
PAGE = 50

#: each kind of change, as the filter offers it
LABELS = {
    "init": "Project created",
    "settings": "Settings changed",
    "code": "Coding added",
    "uncode": "Coding removed",
    "coding_memo": "Coding memo changed",
    "coding_star": "Quote starred",
    "coding_unstar": "Quote unstarred",
    "document_status": "Document marked done / in progress",
    "import": "Documents imported",
    "import_qdpx": "Project imported (REFI-QDA)",
    "remove_document": "Document removed",
    "link_case": "Document linked to a case",
    "link_cases": "Documents linked to cases",
    "import_cases": "Cases imported",
    "define_attribute": "Attribute defined",
    "set_attribute": "Attribute value set",
    "add_code": "Code added",
    "update_code": "Code edited",
    "move_code": "Code moved",
    "remove_code": "Code removed",
    "set_exclusive": "Code made exclusive",
    "import_codebook": "Codebook imported",
    "freeze_codebook": "Codebook version saved",
    "undo_batch": "Bulk coding undone",
    "coder_kind": "Coder kind changed",
    "memo": "Memo written",
    "member_add": "Member added",
    "member_role": "Member's role changed",
    "member_remove": "Member removed",
    "member_invite": "Member invited",
    "agreement_run": "Agreement run saved",
    "consensus_start": "Consensus started",
    "consensus_decide": "Consensus decisions",
    "consensus_add": "Consensus coding added",
    "consensus_apply_final": "Consensus table applied",
    "upgrade": "Database upgraded",
}

SINCE = [
    ("", "Any time"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
]


def label(action: str) -> str:
    if action in LABELS:
        return LABELS[action]
    words = action.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


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
    options += [
        (f"{head}*", f"Every {head} change") for head, n in sorted(families.items()) if n >= 2
    ]
    return options


def _code_name(code: Any) -> str:
    return str(code).rsplit("/", 1)[-1] if code else "(no code)"


def describe(row: AuditRow) -> str:
    """One entry in words, as a researcher reads it: "coded P01-interview [120, 180) with
    Staffing"."""
    from thematica.cli.log_format import describe as in_words

    d = row.detail
    layer = d.get("coder")
    for_whom = f" in {layer}'s layer" if layer and layer != row.actor else ""
    try:
        if row.action == "code" and "document" in d:
            span = f"[{d.get('start')}, {d.get('end')})"
            return f"coded {d['document']} {span} with {_code_name(d.get('code'))}{for_whom}"
        if row.action == "uncode":
            span = f"[{d.get('start')}, {d.get('end')})"
            return f"removed {_code_name(d.get('code'))} from {d.get('document')} {span}{for_whom}"
        if row.action == "document_status":
            who = f" for {layer}" if layer and layer != row.actor else ""
            if d.get("new"):
                return f"marked {d.get('document')} {d['new']}{who}"
            return f"cleared the status of {d.get('document')}{who}"
    except (TypeError, ValueError):
        pass
    return in_words(row.action, d)


def _when(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return at


def entry(row: AuditRow) -> dict[str, Any]:
    """An entry as the page shows it."""
    document = row.detail.get("document")
    return {
        "id": row.id,
        "at": row.at,
        "when": _when(row.at),
        "actor": row.actor or "?",
        "action": row.action,
        "label": label(row.action),
        "text": describe(row),
        "document": document if isinstance(document, str) and document else None,
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
