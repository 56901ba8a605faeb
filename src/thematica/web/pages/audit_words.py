"""The audit trail in a researcher's words: each kind of change with a name for the filter
("Coding changed", "Code merged") and one sentence per entry ("merged the code weath into
Cold weather exposure (3 codings moved)").

The service returns each entry's data; wording it is the face's business (the command line has
its own in ``cli/log_format.py``, used here for any kind of change this module does not word).
Codes are named by their own name, not their path; offsets and ids stay in the entry's details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from thematica.cli.log_format import describe as cli_describe
from thematica.services.project import AuditRow

Detail = dict[str, Any]

#: each kind of change as the filter and the Kind column name it
LABELS = {
    "init": "Project created",
    "upgrade": "Database upgraded",
    "settings": "Settings changed",
    "code": "Coding added",
    "uncode": "Coding removed",
    "edit_coding": "Coding changed",
    "coding_memo": "Coding memo changed",
    "coding_star": "Quote starred",
    "coding_unstar": "Quote unstarred",
    "undo_batch": "Bulk coding undone",
    "coder_kind": "Coder kind changed",
    "document_status": "Document status changed",
    "import": "Documents imported",
    "import_qdpx": "Project imported (REFI-QDA)",
    "remove_document": "Document removed",
    "link_case": "Document linked to a case",
    "link_cases": "Documents linked to cases",
    "import_cases": "Cases imported",
    "define_attribute": "Attribute defined",
    "set_attribute": "Attribute value set",
    "speakers.map": "Speakers linked to cases",
    "speakers.unmap": "Speakers unlinked",
    "add_code": "Code added",
    "update_code": "Code changed",
    "move_code": "Code moved",
    "merge_codes": "Code merged",
    "split_code": "Code split",
    "remove_code": "Code removed",
    "set_exclusive": "Code exclusivity changed",
    "import_codebook": "Codebook imported",
    "freeze_codebook": "Codebook version saved",
    "propose_code": "Code proposed",
    "proposal_accept": "Proposal accepted",
    "proposal_decline": "Proposal declined",
    "memo": "Memo written",
    "member_add": "Member added",
    "member_role": "Member role changed",
    "member_remove": "Member removed",
    "member_invite": "Member invited",
    "theme_add": "Theme added",
    "theme_update": "Theme changed",
    "theme_move": "Theme moved",
    "theme_remove": "Theme removed",
    "theme_link": "Codes linked to a theme",
    "theme_unlink": "Codes unlinked from a theme",
    "theme_from_codebook": "Themes created from the codebook",
    "matrix.create": "Matrix created",
    "matrix.remove": "Matrix removed",
    "matrix.set": "Matrix cell changed",
    "agreement_run": "Agreement run saved",
    "consensus_start": "Consensus started",
    "consensus_decide": "Consensus decided",
    "consensus_add": "Consensus coding added",
    "consensus_apply_final": "Consensus table applied",
    "suggest": "AI suggestions made",
    "suggestions_accept": "AI suggestions accepted",
    "suggestions_reject": "AI suggestions rejected",
    "propose_clusters": "Candidate codes proposed (clustering)",
    "accept_cluster": "Candidate code accepted",
    "draft.create": "AI drafts written",
    "draft.adopt": "AI draft adopted",
    "draft.discard": "AI draft discarded",
    "transcribe": "Recording transcribed",
    "rename_speaker": "Speaker renamed",
    "document_reimport": "Document re-imported (corrected)",
    "deid_detect": "Identifiers looked for",
    "deid_accept": "Redactions accepted",
    "deid_reject": "Redactions rejected",
    "deid_edit": "Redaction edited",
    "deid_add": "Redaction added",
    "deid_commit": "Document de-identified",
    "deid_name_add": "Known name added",
    "deid_name_remove": "Known name removed",
    "deid_placeholder": "Placeholder changed",
    "deid_encrypt": "Key encrypted",
}

#: the filter's groups of kinds (``head*`` matches every kind that starts so), in words
FAMILIES = {
    "consensus": "Every consensus step",
    "deid": "Every de-identification step",
    "draft": "Every AI draft step",
    "suggestions": "Every review of AI suggestions",
    "coding": "Every memo or star on a coding",
    "import": "Every import",
    "matrix": "Every change to matrices",
    "member": "Every change to members",
    "proposal": "Every decision on a proposed code",
    "remove": "Every removal (codes, documents)",
    "speakers": "Every change to speakers",
    "theme": "Every change to themes",
}


def label(action: str) -> str:
    if action in LABELS:
        return LABELS[action]
    words = action.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def family_label(head: str) -> str | None:
    """The words for ``head*`` in the filter; None: no such group is offered."""
    return FAMILIES.get(head)


def leaf(path: Any) -> str:
    """A code's own name from its path (the last part)."""
    return str(path).rsplit("/", 1)[-1] if path else "(no code)"


def _q(value: Any, width: int = 60) -> str:
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    if not text:
        return "(none)"
    return f"‘{text if len(text) <= width else text[: width - 1] + '…'}’"


def _n(count: Any, word: str, plural: str | None = None) -> str:
    n = int(count or 0)
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _names(items: Any, most: int = 3) -> str:
    names = [str(i) for i in (items or [])]
    if len(names) <= most:
        return " and ".join(names) if len(names) <= 2 else ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


def _layer(d: Detail, actor: str | None) -> str:
    """ " in sam's layer" when the layer is not the acting person's own."""
    layer = d.get("coder")
    return f" in {layer}'s layer" if layer and layer != actor else ""


# -- one sentence per kind of change ----------------------------------------------------------
def _settings(d: Detail, _actor: str | None) -> str:
    parts = []
    for key, pair in (d.get("changes") or {}).items():
        old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        if key == "blind":
            parts.append("made coding blind" if new else "opened comparison to everyone")
        elif key == "coders_add_codes":
            parts.append(
                "let coders add codes" if new else "asked coders to propose new codes instead"
            )
        elif key == "case_pattern":
            parts.append(f"set the pattern that finds a file's case to {_q(new)}")
        else:
            parts.append(f"changed the setting {key.replace('_', ' ')} from {_q(old)} to {_q(new)}")
    return "; ".join(parts) or "changed settings"


def _code(d: Detail, actor: str | None) -> str:
    if "document" in d:
        return f"coded a passage of {d['document']} as {leaf(d.get('code'))}{_layer(d, actor)}"
    text = f"coded {_n(d.get('applied'), 'passage')}{_layer(d, actor)}"
    if d.get("source"):
        text += f" from {d['source']}"
    if d.get("duplicates"):
        text += f" ({d['duplicates']} already coded)"
    return text


def _edit_coding(d: Detail, actor: str | None) -> str:
    changes = d.get("changes") or {}
    parts = []
    if "path" in changes:
        old, new = changes["path"]
        parts.append(f"changed its code from {leaf(old)} to {leaf(new)}")
    if "start" in changes or "end" in changes:
        parts.append("changed the passage it covers")
    if "memo" in changes:
        parts.append("changed its memo")
    what = "; ".join(parts) or "changed it"
    return f"changed a coding of {d.get('document')} ({leaf(d.get('code'))}): {what}" + _layer(
        d, actor
    )


def _coding_memo(d: Detail, actor: str | None) -> str:
    if not d.get("old"):
        verb = "wrote a memo on a coding"
    elif not d.get("new"):
        verb = "removed the memo of a coding"
    else:
        verb = "changed the memo of a coding"
    return verb + _layer(d, actor)


def _document_status(d: Detail, actor: str | None) -> str:
    who = f" for {d['coder']}" if d.get("coder") and d.get("coder") != actor else ""
    if d.get("new"):
        return f"marked {d.get('document')} {d['new']}{who}"
    return f"cleared the status of {d.get('document')}{who}"


def _import(d: Detail, _actor: str | None) -> str:
    docs = d.get("documents") or []
    text = f"imported {_n(len(docs), 'document')}" + (f": {_names(docs)}" if docs else "")
    if d.get("skipped"):
        text += f" (skipped {_names(d['skipped'])})"
    return text


def _file(value: Any) -> str:
    """A file by its own name (the folder it was read from is in the details)."""
    text = str(value or "")
    if text.startswith("template:"):
        return f"the template {_q(text.split(':', 1)[1])}"
    return text.replace("\\", "/").rsplit("/", 1)[-1] or "(no file)"


def _update_code(d: Detail, _actor: str | None) -> str:
    changes = d.get("changes") or {}
    parts = []
    for key in changes:
        if key == "name":
            parts.append(f"renamed it {_q(changes[key][1] if len(changes[key]) == 2 else '')}")
        else:
            parts.append(f"changed its {key.replace('_', ' ')}")
    return f"changed the code {leaf(d.get('path'))}" + (": " + ", ".join(parts) if parts else "")


def _move_code(d: Detail, _actor: str | None) -> str:
    old = leaf(d["old_parent"]) if d.get("old_parent") else "the top level"
    new = leaf(d["parent"]) if d.get("parent") else "the top level"
    return f"moved the code {leaf(d.get('path'))} from {old} to {new}"


def _merge(d: Detail, _actor: str | None) -> str:
    text = f"merged the code {leaf(d.get('source'))} into {leaf(d.get('target'))}"
    extra = [_n(d.get("codings"), "coding") + " moved"]
    if d.get("subcodes"):
        extra.append(_n(len(d["subcodes"]), "subcode") + " moved")
    return f"{text} ({', '.join(extra)})"


def _split(d: Detail, _actor: str | None) -> str:
    where = "a new subcode" if d.get("child") else "a new code"
    return (
        f"split {_n(d.get('moved'), 'coding')} off the code {leaf(d.get('path'))} into "
        f"{where}, {leaf(d.get('new'))}"
    )


def _propose(d: Detail, actor: str | None) -> str:
    under = f" under {leaf(d['parent'])}" if d.get("parent") else ""
    on = f" for a passage of {d['document']}" if d.get("document") else ""
    return f"proposed a new code {_q(d.get('name'))}{under}{on}{_layer(d, actor)}"


def _accept(d: Detail, _actor: str | None) -> str:
    who = f"{d['coder']}'s " if d.get("coder") else "a "
    return f"accepted {who}proposed code {leaf(d.get('path'))}"


def _decline(d: Detail, _actor: str | None) -> str:
    who = f"{d['coder']}'s " if d.get("coder") else "a "
    note = f": {_q(d['note'])}" if d.get("note") else ""
    return f"declined {who}proposed code {_q(d.get('name'))}{note}"


def _memo(d: Detail, _actor: str | None) -> str:
    kind = d.get("target_type") or "project"
    if kind == "project":
        return "wrote a memo on the project"
    if kind == "code":
        return f"wrote a memo on the code {leaf(d.get('target'))}"
    if kind == "coding":
        return "wrote a memo on a coding"
    return f"wrote a memo on the {kind} {d.get('target') or ''}".rstrip()


def _matrix_set(d: Detail, _actor: str | None) -> str:
    cell = f"{d.get('row')} × {leaf(d.get('column'))}"
    parts = []
    if "old" in d:
        parts.append("wrote the summary of" if not d.get("old") else "changed the summary of")
    if d.get("link"):
        parts.append(f"linked {_n(len(d['link']), 'passage')} to")
    if d.get("unlink"):
        parts.append(f"unlinked {_n(len(d['unlink']), 'passage')} from")
    verbs = " and ".join(parts) or "changed"
    return f"{verbs} the cell {cell} of the matrix {_q(d.get('matrix'))}"


def _consensus_decide(d: Detail, _actor: str | None) -> str:
    n, agreed = int(d.get("decisions") or 0), int(d.get("agreed") or 0)
    layer = _q(d.get("layer"))
    if agreed and agreed == n:
        return f"took {_n(n, 'identical coding')} into the consensus layer {layer}"
    text = f"recorded {_n(n, 'consensus decision')} in the layer {layer}"
    if d.get("overturned"):
        text += f" ({d['overturned']} overturned)"
    if d.get("revised"):
        text += f" ({_n(d['revised'], 'earlier decision')} replaced)"
    return text


WORDS: dict[str, Callable[[Detail, str | None], str]] = {
    "init": lambda d, _a: f"created the project {_q(d.get('name'))}",
    "settings": _settings,
    "code": _code,
    "uncode": lambda d, a: (
        f"removed the code {leaf(d.get('code'))} from a passage of {d.get('document')}"
        + _layer(d, a)
    ),
    "edit_coding": _edit_coding,
    "coding_memo": _coding_memo,
    "coding_star": lambda d, a: "starred a coding as an exemplar quote" + _layer(d, a),
    "coding_unstar": lambda d, a: "unstarred an exemplar quote" + _layer(d, a),
    "undo_batch": lambda d, a: (
        f"undid a bulk coding (batch {d.get('batch')}): {_n(d.get('removed'), 'coding')} removed"
        + _layer(d, a)
    ),
    "coder_kind": lambda d, _a: (
        f"marked {d.get('coder')}'s layer as {d.get('new')} (was {d.get('old')})"
    ),
    "document_status": _document_status,
    "import": _import,
    "import_cases": lambda d, _a: (
        f"imported cases from {_file(d.get('file'))}: {d.get('created', 0)} new, "
        f"{d.get('updated', 0)} updated"
    ),
    "import_codebook": lambda d, _a: (
        f"imported the codebook from {_file(d.get('source'))}: "
        f"{_n(d.get('created'), 'code')} added, {d.get('updated', 0)} updated"
    ),
    "link_cases": lambda d, _a: (
        f"linked {_n(d.get('linked'), 'document')} to cases from {_file(d.get('file'))}"
    ),
    "remove_document": lambda d, _a: (
        f"removed the document {d.get('document')} and its {_n(d.get('codings'), 'coding')}"
    ),
    "add_code": lambda d, _a: (
        f"added the code {leaf(d.get('path'))}"
        + (" (proposed while coding)" if d.get("origin") == "inductive" else "")
    ),
    "update_code": _update_code,
    "move_code": _move_code,
    "merge_codes": _merge,
    "split_code": _split,
    "remove_code": lambda d, _a: (
        f"removed the code {leaf(d.get('path'))} and its {_n(d.get('codings'), 'coding')}"
    ),
    "set_exclusive": lambda d, _a: (
        f"made the subcodes of {leaf(d.get('path'))} "
        + ("exclusive (only one may apply)" if d.get("exclusive") else "no longer exclusive")
    ),
    "freeze_codebook": lambda d, _a: (
        f"saved the codebook as version {_q(d.get('version'))} ({_n(d.get('codes'), 'code')})"
    ),
    "propose_code": _propose,
    "proposal_accept": _accept,
    "proposal_decline": _decline,
    "memo": _memo,
    "member_add": lambda d, _a: f"added {d.get('user')} as {d.get('role')}",
    "member_role": lambda d, _a: (
        f"changed {d.get('user')}'s role from {d.get('old')} to {d.get('new')}"
    ),
    "member_remove": lambda d, _a: f"removed {d.get('user')} ({d.get('role')}) from the project",
    "member_invite": lambda d, _a: f"created an invitation link for {d.get('user')}",
    "matrix.create": lambda d, _a: f"created the matrix {_q(d.get('name'))}",
    "matrix.remove": lambda d, _a: f"removed the matrix {_q(d.get('name'))}",
    "matrix.set": _matrix_set,
    "agreement_run": lambda d, _a: (
        f"saved the agreement run {_q(d.get('name'))} (unit: {d.get('unit')})"
    ),
    "consensus_start": lambda d, _a: (
        f"started the consensus layer {_q(d.get('layer'))} for {_names(d.get('coders'))}"
    ),
    "consensus_decide": _consensus_decide,
    "consensus_add": lambda d, _a: (
        f"added {leaf(d.get('code'))} to the consensus for a passage of {d.get('document')}"
        " that neither coder coded"
    ),
    "consensus_apply_final": lambda d, _a: (
        f"applied the reconciled table {d.get('file')} to the consensus layer "
        f"{_q(d.get('layer'))} ({_n(d.get('decisions'), 'decision')})"
    ),
}


def describe(row: AuditRow) -> str:
    """One entry in words, as a researcher reads it: "coded a passage of P01-interview as
    Staffing"; who decided and on whose behalf are added as the command line adds them."""
    d = row.detail
    word = WORDS.get(row.action)
    if word is None:
        return cli_describe(row.action, d)
    try:
        text = word(d, row.actor)
    except (KeyError, TypeError, ValueError, IndexError):  # an older entry shaped otherwise
        return cli_describe(row.action, d)
    if d.get("on_behalf_of") and d["on_behalf_of"] != row.actor:
        text += f" (on behalf of {d['on_behalf_of']})"
    if d.get("decided_by"):
        text += f", decided by {d['decided_by']}"
    return text
