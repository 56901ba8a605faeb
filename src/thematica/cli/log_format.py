"""The audit log in words: one line per change (when, who, what) for ``thematica log``.

The service returns each entry's data (:class:`thematica.services.project.AuditRow`); how a
change is worded is this face's business, so a web page can word it its own way. An action
without a wording here still gets a line: its name and detail as ``key=value``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

__all__ = ["describe", "log_lines"]

Detail = dict[str, Any]


def _short(value: Any, width: int = 40) -> str:
    text = "(none)" if value is None or value == "" else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _q(value: Any) -> str:
    """A value in quotes, shortened: names and texts inside a sentence."""
    return "(none)" if value is None or value == "" else f"'{_short(value)}'"


def _change(old: Any, new: Any) -> str:
    return f"{_q(old)} → {_q(new)}"


def _changes(changes: Any) -> str:
    """``{"field": [old, new], ...}`` as ``field 'a' → 'b', ...``."""
    if not isinstance(changes, dict) or not changes:
        return ""
    parts = []
    for key, pair in changes.items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            parts.append(f"{key} {_change(pair[0], pair[1])}")
        else:
            parts.append(f"{key} → {_q(pair)}")
    return ": " + ", ".join(parts)


def _span(d: Detail) -> str:
    return f"[{d.get('start')}, {d.get('end')})"


def _n(count: Any, word: str) -> str:
    n = int(count or 0)
    return f"{n} {word}" + ("" if n == 1 else "s")


def _names(items: Any, most: int = 3) -> str:
    names = [str(i) for i in (items or [])]
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


def _code(d: Detail) -> str:
    if "document" in d:  # one coding
        return f"coded {d['document']} {_span(d)} {d.get('code')} (layer {d.get('coder')})"
    codings = d.get("codings") or []
    if len(codings) == 1:
        doc, code, start, end = codings[0]
        text = f"coded {doc} [{start}, {end}) {code} (layer {d.get('coder')})"
    else:
        text = f"coded {_n(d.get('applied'), 'passage')} (layer {d.get('coder')})"
    if d.get("source"):
        text += f" from {d['source']}"
    if d.get("batch") is not None:
        text += f", batch {d['batch']}"
    if d.get("duplicates"):
        text += f"; {d['duplicates']} already there"
    return text


def _update_code(d: Detail) -> str:
    return f"edited code {d.get('path')}" + _changes(d.get("changes"))


def _theme_update(d: Detail) -> str:
    return f"edited theme {_q(d.get('theme'))}" + _changes(d.get("changes"))


def _settings(d: Detail) -> str:
    return "changed settings" + _changes(d.get("changes"))


def _matrix_set(d: Detail) -> str:
    cell = f"cell {d.get('row')} × {d.get('column')} of matrix {_q(d.get('matrix'))}"
    parts = []
    if "old" in d:
        parts.append(f"summary {_change(d.get('old'), d.get('new'))}")
    if d.get("link"):
        parts.append(f"linked coding(s) {_names(d['link'])}")
    if d.get("unlink"):
        parts.append(f"unlinked coding(s) {_names(d['unlink'])}")
    return f"edited {cell}" + (": " + ", ".join(parts) if parts else "")


def _link_case(d: Detail) -> str:
    old = d.get("old")
    was = f" (was {_q(old)})" if "old" in d and old != d.get("new") else ""
    return f"linked {d.get('document')} to case {_q(d.get('case'))}{was}"


def _import_cases(d: Detail) -> str:
    text = (
        f"imported cases from {d.get('file')}: {d.get('created', 0)} new, "
        f"{d.get('updated', 0)} updated"
    )
    changes = d.get("changes") or []
    if changes:
        shown = "; ".join(f"{c}.{a} {_change(o, n)}" for c, a, o, n in changes[:3])
        more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
        text += f" ({shown}{more})"
    return text


def _suggest(d: Detail) -> str:
    text = (
        f"ran {d.get('model')} ({d.get('backend')}) over {_plural(d.get('documents'), 'document')}"
        f" by {d.get('unit')}: {_plural(d.get('suggestions'), 'suggestion')} in layer "
        f"{d.get('layer')}"
    )
    status = d.get("status")
    return text + (f" ({status})" if status and status != "done" else "")


def _plural(count: Any, word: str) -> str:
    n = count if isinstance(count, int) else 0
    return f"{n} {word}{'' if n == 1 else 's'}"


#: entity types in a researcher's words
_KINDS = {
    "ORGANIZATION": "organisation",
    "DATE_TIME": "date",
    "EMAIL_ADDRESS": "e-mail address",
    "URL": "web address",
}


def _kind(entity_type: Any) -> str:
    text = str(entity_type or "")
    return _KINDS.get(text, text.lower().replace("_", " "))


def _types(d: Detail, key: str = "by_type") -> str:
    counts = d.get(key) or {}
    if not isinstance(counts, dict) or not counts:
        return ""
    return " (" + ", ".join(f"{n} {_kind(t)}" for t, n in counts.items()) + ")"


def _transcribe(d: Detail) -> str:
    minutes = float(d.get("duration") or 0) / 60
    resumed = d.get("resumed_from") or 0
    return (
        f"transcribed {d.get('source')} as {d.get('document')} with {d.get('model')} "
        f"({minutes:.1f} min of audio, {_plural(d.get('segments'), 'segment')}, "
        f"{_plural(d.get('speakers'), 'speaker')}"
        + (f"; resumed at {float(resumed):.0f} s" if resumed else "")
        + ")"
    )


def _deid_commit(d: Detail) -> str:
    text = (
        f"de-identified {d.get('document')}: {_plural(d.get('replaced'), 'identifier')} "
        f"replaced{_types(d)}"
    )
    moved, touched, lost = (
        d.get(k) or 0 for k in ("codings_moved", "codings_touched", "codings_lost")
    )
    if moved or touched or lost:
        text += f"; codings: {moved} moved, {touched} holding an identifier" + (
            f", {lost} wholly redacted and removed" if lost else ""
        )
    return text


def _reimport(d: Detail) -> str:
    return (
        f"re-imported {d.get('document')} from {d.get('file') or 'a corrected file'}: "
        f"{_plural(d.get('codings_kept'), 'coding')} kept, {d.get('codings_touched', 0)} "
        f"touched by edits, {d.get('codings_removed', 0)} removed"
    )


_WORDS: dict[str, Callable[[Detail], str]] = {
    "transcribe": _transcribe,
    "rename_speaker": lambda d: (
        f"renamed speaker {d.get('old')} to {d.get('new')} in {d.get('document')} "
        f"({_plural(d.get('turns'), 'turn')})"
    ),
    "document_reimport": _reimport,
    "deid_detect": lambda d: (
        f"looked for identifiers in {_plural(d.get('documents'), 'document')}: "
        f"{_plural(d.get('proposed'), 'new proposal')}{_types(d)}"
    ),
    "deid_accept": lambda d: f"accepted {_plural(d.get('accepted'), 'proposed redaction')}",
    "deid_reject": lambda d: f"rejected {_plural(d.get('rejected'), 'proposed redaction')}",
    "deid_edit": lambda d: f"edited proposed redaction {d.get('proposal')}",
    "deid_add": lambda d: (
        f"marked {_plural(d.get('added'), 'passage')} in {d.get('document')} for redaction "
        f"as {_kind(d.get('entity_type'))}"
    ),
    "deid_commit": _deid_commit,
    "deid_name_add": lambda d: (
        f"added a known {_kind(d.get('entity_type'))} name to the de-identification list"
    ),
    "deid_name_remove": lambda d: (
        f"removed {_plural(d.get('removed'), 'name')} from the de-identification list"
    ),
    "deid_placeholder": lambda d: (
        f"set the placeholder for {_kind(d.get('entity_type'))} "
        f"to {d.get('template') or 'the default'}"
    ),
    "deid_encrypt": lambda d: (
        f"encrypted the de-identification key ({_plural(d.get('terms'), 'term')})"
    ),
    "suggest": _suggest,
    "suggestions_accept": lambda d: (
        f"accepted {_plural(d.get('count'), 'AI suggestion')} into layer {d.get('into')}"
    ),
    "suggestions_reject": lambda d: f"rejected {_plural(d.get('count'), 'AI suggestion')}",
    "propose_clusters": lambda d: (
        f"grouped {_plural(d.get('passages'), 'uncoded passage')} into "
        f"{_plural(d.get('clusters'), 'candidate code')} with {d.get('model')} (run {d.get('run')})"
    ),
    "accept_cluster": lambda d: (
        f"accepted candidate code {d.get('cluster')} of clustering run {d.get('run')} as "
        f"{d.get('code')}" + (f", coding {d.get('codings')} passages" if d.get("codings") else "")
    ),
    "draft.create": lambda d: (
        f"had {d.get('model')} draft {_plural(len(d.get('drafts') or []), 'summary')} for "
        f"{d.get('target')} {d.get('matrix') or d.get('theme') or ''}".rstrip()
    ),
    "draft.adopt": lambda d: (
        f"adopted AI draft {d.get('draft')} as the {d.get('target')} summary"
        + (" (replacing the analyst's text)" if d.get("replaced") else "")
    ),
    "draft.discard": lambda d: f"discarded AI draft {d.get('draft')}",
    "init": lambda d: f"created the project {_q(d.get('name'))}",
    "upgrade": lambda d: (
        f"upgraded the database {d.get('from')} → {d.get('to')}"
        + (f"; owner {d['owner_added']}" if d.get("owner_added") else "")
    ),
    "settings": _settings,
    "code": _code,
    "uncode": lambda d: (
        f"removed coding {d.get('document')} {_span(d)} {d.get('code')} (layer {d.get('coder')})"
    ),
    "coding_memo": lambda d: (
        f"changed the memo of coding {d.get('coding')}"
        + (f": {_change(d['old'], d.get('new'))}" if "old" in d else "")
    ),
    "coding_star": lambda d: f"starred coding {d.get('coding')}",
    "coding_unstar": lambda d: f"unstarred coding {d.get('coding')}",
    "undo_batch": lambda d: (
        f"undid batch {d.get('batch')} ({d.get('operation')}, layer {d.get('coder')}): "
        f"{_n(d.get('removed'), 'coding')} removed"
    ),
    "coder_kind": lambda d: f"marked coder {d.get('coder')} as {d.get('new')} (was {d.get('old')})",
    "add_code": lambda d: f"added code {d.get('path')}",
    "update_code": _update_code,
    "set_exclusive": lambda d: (
        f"made the subcodes of {d.get('path')} "
        + ("exclusive" if d.get("exclusive") else "not exclusive")
    ),
    "move_code": lambda d: (
        f"moved code {d.get('path')} from {d.get('old_parent') or 'the top'} "
        f"to {d.get('parent') or 'the top'}"
    ),
    "remove_code": lambda d: (
        f"removed code {d.get('path')} and its {_n(d.get('codings'), 'coding')}"
    ),
    "import_codebook": lambda d: (
        f"imported codebook {d.get('source')}: {d.get('created', 0)} added, "
        f"{d.get('updated', 0)} updated"
    ),
    "freeze_codebook": lambda d: (
        f"saved codebook version {_q(d.get('version'))} ({_n(d.get('codes'), 'code')})"
    ),
    "import": lambda d: (
        f"imported {_n(len(d.get('documents') or []), 'document')}"
        + (f": {_names(d.get('documents'))}" if d.get("documents") else "")
    ),
    "import_qdpx": lambda d: f"imported the project from {d.get('source')}",
    "remove_document": lambda d: (
        f"removed document {d.get('document')} and its {_n(d.get('codings'), 'coding')}"
    ),
    "link_case": _link_case,
    "link_cases": lambda d: (
        f"linked {_n(d.get('linked'), 'document')} to cases from {d.get('file')}"
    ),
    "import_cases": _import_cases,
    "define_attribute": lambda d: f"defined attribute {_q(d.get('name'))} ({d.get('type')})",
    "set_attribute": lambda d: (
        f"set {d.get('case')}.{d.get('attribute')}: {_change(d.get('old'), d.get('new'))}"
    ),
    "memo": lambda d: (
        f"wrote a memo on the {d.get('target_type')}"
        + (f" {d['target']}" if d.get("target") else "")
    ),
    "member_add": lambda d: f"added member {d.get('user')} as {d.get('role')}",
    "member_role": lambda d: f"changed {d.get('user')}'s role: {d.get('old')} → {d.get('new')}",
    "member_remove": lambda d: f"removed member {d.get('user')} ({d.get('role')})",
    "theme_add": lambda d: (
        f"added theme {_q(d.get('theme'))}"
        + (f" under {_q(d['parent'])}" if d.get("parent") else "")
    ),
    "theme_update": _theme_update,
    "theme_move": lambda d: (
        f"moved theme {_q(d.get('theme'))} to "
        + (f"{_q(d['parent'])}" if d.get("parent") else "the top")
        + f", position {d.get('position')}"
    ),
    "theme_remove": lambda d: (
        f"removed theme {_q(d.get('theme'))}"
        + (
            f" and {_n(int(d['removed']) - 1, 'subtheme')}"
            if int(d.get("removed") or 1) > 1
            else ""
        )
    ),
    "theme_link": lambda d: f"linked {_names(d.get('codes'))} to theme {_q(d.get('theme'))}",
    "theme_unlink": lambda d: f"unlinked {_names(d.get('codes'))} from theme {_q(d.get('theme'))}",
    "theme_from_codebook": lambda d: (
        f"created {_n(len(d.get('created') or []), 'theme')} from the codebook"
    ),
    "matrix.create": lambda d: f"created matrix {_q(d.get('name'))}",
    "matrix.remove": lambda d: f"removed matrix {_q(d.get('name'))}",
    "matrix.set": _matrix_set,
    "speakers.map": lambda d: (
        f"mapped {_n(len(d.get('mappings') or []), 'speaker')} to cases"
        + (f" from {d['source']}" if d.get("source") else "")
    ),
    "speakers.unmap": lambda d: f"unmapped speakers of {d.get('document')}",
    "agreement_run": lambda d: f"saved agreement run {_q(d.get('name'))} ({d.get('unit')})",
    "consensus_start": lambda d: (
        f"started consensus layer {d.get('layer')} comparing {_names(d.get('coders'))}"
    ),
    "consensus_decide": lambda d: (
        f"decided {_n(d.get('decisions'), 'disagreement')} in consensus layer {d.get('layer')}"
    ),
    "consensus_add": lambda d: (
        f"added {d.get('document')} {_span(d)} {d.get('code')} to consensus layer {d.get('layer')}"
    ),
    "consensus_apply_final": lambda d: (
        f"applied the final table {d.get('file')} to consensus layer {d.get('layer')} "
        f"(batch {d.get('batch')})"
    ),
}

#: detail shown in words elsewhere, not repeated after the line
_BY = ("on_behalf_of", "decided_by")


def describe(action: str, detail: Detail) -> str:
    """What one entry changed, in words."""
    word = _WORDS.get(action)
    if word is None:
        rest = ", ".join(f"{k}={_short(v, 30)}" for k, v in detail.items() if k not in _BY)
        text = action + (f" ({rest})" if rest else "")
    else:
        try:
            text = word(detail)
        except (KeyError, TypeError, ValueError):  # an older entry shaped otherwise
            text = f"{action} ({_short(detail, 60)})"
    if detail.get("on_behalf_of"):
        text += f" (on behalf of {detail['on_behalf_of']})"
    if detail.get("decided_by"):
        text += f", decided by {detail['decided_by']}"
    return text


def _when(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


def log_lines(rows: Iterable[Any]) -> list[str]:
    """``when  who  what`` per entry (times in UTC, to the minute), who padded to line up."""
    rows = list(rows)
    who_width = max((len(r.actor or "?") for r in rows), default=0)
    return [
        f"{_when(r.at)}  {(r.actor or '?').ljust(who_width)}  {describe(r.action, r.detail)}"
        for r in rows
    ]
