"""Removing committed identifiers from the copies a commit leaves behind, for
:mod:`thematica.services.deid` and :mod:`thematica.services.deid_commit`.

Two scrubs. A document's own copies (its consensus decisions, speaker labels and transcription
runs) get every redaction the document got, exact case, plus the names in any case. The
project-wide scrub (audit log, AI drafts, evidence and runs, job messages) takes only names,
places, organisations, facilities, addresses and contact details of 3 characters or more, in
any case, on whole words: a date ("May") or a two-letter term would rewrite unrelated words.
Text the researchers wrote (memos, matrix summaries, case names, attribute values, consensus
reasons) is never edited: :func:`commit_warnings` counts it.

Storage: deleted text lingers where the database keeps old versions. On SQLite every
de-identification write runs with ``secure_delete`` (freed space is zeroed), a commit ends
with an FTS5 ``optimize`` (the index keeps removed words until its segments merge) and a WAL
checkpoint that truncates the log; on PostgreSQL the changed tables are vacuumed, which frees
the old row versions for reuse without erasing them (the report says so).

No permission checks here: the calling service checks and audits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError

from thematica.services.text_rewrite import scrub_json
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.store.engine import Database

#: types whose terms are matched in any case (a name is a name in "MARIA" and "maria" too)
NAME_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "FACILITY", "STREET_ADDRESS"})
#: types never looked for outside the document they were found in
LOCAL_TYPES = frozenset({"DATE_TIME"})
#: the shortest term the project-wide scrub looks for
MIN_PROJECT_TERM = 3
#: the tables a PostgreSQL commit vacuums (those it rewrites)
VACUUMED = (
    "document",
    "deid_proposal",
    "deid_term",
    "turn",
    "speaker_case",
    "consensus_decision",
    "transcript_run",
    "audit_log",
    "ai_draft",
    "ai_run",
    "suggestion",
    "job",
)

#: (term as found, entity type, placeholder)
Found = tuple[str, str, str]


_GAP = re.compile(r"[\s_.\-]+")


class Scrubber:
    """Replaces whole-word occurrences of identifiers by their placeholders in one pass (a
    placeholder written is never matched again): ``exact`` terms in their own case,
    ``folded`` ones in any case. ``loose`` is for file and document names: "_", "-" and "."
    separate words there too ("maria_lopez.mp3")."""

    def __init__(
        self,
        exact: Mapping[str, str],
        folded: Mapping[str, str] | None = None,
        *,
        loose: bool = False,
    ) -> None:
        self.loose = loose
        self.exact = {self._key(k): v for k, v in exact.items() if k.strip()}
        self.folded: dict[str, str] = {}
        for k, v in (folded or {}).items():
            if k.strip():
                self.folded.setdefault(self._key(k).casefold(), v)
        words = [(w, False) for w in self.exact] + [(w, True) for w in self.folded]
        words.sort(key=lambda x: (-len(x[0]), x))
        alternatives = [f"(?i:{self._escape(w)})" if fold else self._escape(w) for w, fold in words]
        edge = (r"(?<![^\W_])", r"(?![^\W_])") if loose else (r"(?<!\w)", r"(?!\w)")
        self.pattern = (
            re.compile(edge[0] + "(?:" + "|".join(alternatives) + ")" + edge[1])
            if alternatives
            else None
        )

    def _key(self, word: str) -> str:
        return _GAP.sub(" ", word.strip()) if self.loose else word

    def _escape(self, word: str) -> str:
        if not self.loose:
            return re.escape(word)
        return r"[\s_.\-]+".join(re.escape(w) for w in word.split(" "))

    def loosened(self) -> Scrubber:
        """The same identifiers for file and document names."""
        return Scrubber(self.exact, self.folded, loose=True)

    def __bool__(self) -> bool:
        return self.pattern is not None

    def _placeholder(self, match: re.Match[str]) -> str:
        word = self._key(match.group(0))
        if word in self.exact:
            return self.exact[word]
        found = self.folded.get(word.casefold())
        if found is not None:
            return found
        for key, value in self.folded.items():  # a case pair casefold() and re disagree on
            if re.fullmatch(self._escape(key), word, re.IGNORECASE):
                return value
        return word

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(self._placeholder, text)

    def found_in(self, text: str | None) -> bool:
        return bool(self.pattern is not None and text and self.pattern.search(text))

    def found_in_json(self, value: Any) -> bool:
        return value is not None and self.found_in(json.dumps(value, ensure_ascii=False))


def document_scrub(found: Iterable[Found]) -> Scrubber:
    """For one document's own copies: every term exact, names in any case as well."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for word, kind, placeholder in found:
        exact.setdefault(word, placeholder)
        if kind in NAME_TYPES and len(word.strip()) >= MIN_PROJECT_TERM:
            folded.setdefault(word, placeholder)
    return Scrubber(exact, folded)


def project_scrub(found: Iterable[Found]) -> Scrubber:
    """For copies outside the document: no dates, nothing under 3 characters; names in any
    case, contact details exact."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for word, kind, placeholder in found:
        if kind in LOCAL_TYPES or len(word.strip()) < MIN_PROJECT_TERM:
            continue
        (folded if kind in NAME_TYPES else exact).setdefault(word, placeholder)
    return Scrubber(exact, folded)


def scrub_rows(
    conn: Connection,
    table: Any,
    columns: Iterable[str],
    where: Any,
    scrub: Scrubber,
    *,
    json_columns: Iterable[str] = (),
    key: str = "id",
) -> int:
    """Replace identifiers in text and JSON columns of the rows ``where`` selects."""
    text_cols, json_cols = list(columns), list(json_columns)
    if not scrub:
        return 0
    changed = 0
    ident = table.c[key]
    rows = conn.execute(
        select(ident.label("_key"), *(table.c[n] for n in text_cols + json_cols)).where(where)
    ).all()
    for row in rows:
        values: dict[str, Any] = {}
        for name in text_cols:
            old = getattr(row, name)
            if isinstance(old, str) and scrub.found_in(old):
                values[name] = scrub(old)
        for name in json_cols:
            old = getattr(row, name)
            if scrub.found_in_json(old):
                values[name] = scrub_json(old, scrub)
        if values:
            conn.execute(update(table).where(ident == row._key).values(**values))
            changed += 1
    return changed


def scrub_project(conn: Connection, project_id: int, scrub: Scrubber, since: datetime) -> int:
    """Scrub the project-wide machine-made copies; drop the downloads of jobs made before
    ``since`` (a report or export rendered from the old text). Returns the downloads
    dropped."""
    pid = project_id
    scrub_rows(
        conn, t.audit_log, (), t.audit_log.c.project_id == pid, scrub, json_columns=["detail"]
    )
    scrub_rows(
        conn,
        t.ai_draft,
        ["text"],
        t.ai_draft.c.project_id == pid,
        scrub,
        json_columns=["excerpts", "target_key"],
    )
    scrub_rows(
        conn, t.suggestion, (), t.suggestion.c.project_id == pid, scrub, json_columns=["evidence"]
    )
    scrub_rows(
        conn,
        t.ai_run,
        (),
        t.ai_run.c.project_id == pid,
        scrub,
        json_columns=["parameters", "result"],
    )
    scrub_rows(conn, t.job, ["message"], t.job.c.project_id == pid, scrub)
    j = t.job.c
    stale = (j.project_id == pid) & j.result.is_not(None) & (j.created_at <= since)
    dropped = len(conn.execute(select(j.id).where(stale)).all())
    if dropped:
        conn.execute(update(t.job).where(stale).values(result=None))
    return dropped


def _count(values: Iterable[Any], scrub: Scrubber) -> int:
    return sum(1 for v in values if scrub.found_in(v if isinstance(v, str) else None))


def commit_warnings(conn: Connection, project_id: int, scrub: Scrubber) -> list[str]:
    """Counts of the researchers' own text that still names a committed identifier (never
    edited here: memos, summaries, reasons, case names and values, document names)."""
    if not scrub:
        return []
    pid = project_id
    col = conn.scalars
    matrices = select(t.matrix.c.id).where(t.matrix.c.project_id == pid).scalar_subquery()
    cases = select(t.case.c.id).where(t.case.c.project_id == pid).scalar_subquery()
    memos = _count(col(select(t.memo.c.text).where(t.memo.c.project_id == pid)), scrub)
    memos += _count(col(select(t.coding.c.memo).where(t.coding.c.project_id == pid)), scrub)
    code_memos = _count(col(select(t.code.c.memo).where(t.code.c.project_id == pid)), scrub)
    code_memos += _count(col(select(t.theme.c.memo).where(t.theme.c.project_id == pid)), scrub)
    summaries = _count(
        col(select(t.matrix_cell.c.summary).where(t.matrix_cell.c.matrix_id.in_(matrices))), scrub
    )
    reasons = _count(
        col(select(t.consensus_decision.c.reason).where(t.consensus_decision.c.project_id == pid)),
        scrub,
    )
    case_names = _count(col(select(t.case.c.name).where(t.case.c.project_id == pid)), scrub)
    case_names += _count(
        col(select(t.attribute_value.c.value).where(t.attribute_value.c.case_id.in_(cases))),
        scrub,
    )
    d = t.document.c
    loose = scrub.loosened()
    names = sum(
        1
        for r in conn.execute(select(d.name, d.source_path).where(d.project_id == pid))
        if loose.found_in(r.name) or loose.found_in(r.source_path)
    )
    out = []
    left = "left unchanged: edit them by hand"
    if memos:
        out.append(
            f"{memos} memo(s) mention a committed identifier; memos are the researchers' "
            f"own words and were {left}"
        )
    if code_memos:
        out.append(f"{code_memos} code or theme memo(s) mention a committed identifier, {left}")
    if summaries:
        out.append(
            f"{summaries} framework matrix summary(ies) mention a committed identifier, {left}"
        )
    if reasons:
        out.append(f"{reasons} consensus reason(s) mention a committed identifier, {left}")
    if case_names:
        out.append(
            f"{case_names} case name(s) or attribute value(s) contain a committed identifier "
            "and are exported: rename or edit them"
        )
    if names:
        out.append(
            f"{names} document name(s) or source path(s) contain a committed identifier: "
            "rename them"
        )
    return out


@contextmanager
def secure_delete(conn: Connection) -> Iterator[None]:
    """On SQLite, zero what this transaction deletes or overwrites (the connection's own
    setting is put back before the transaction ends)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    conn.exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        yield
    except BaseException:
        with suppress(Exception):
            conn.exec_driver_sql(f"PRAGMA secure_delete={before}")
        raise
    conn.exec_driver_sql(f"PRAGMA secure_delete={before}")


def purge_old_text(db: Database, write: Any) -> list[str]:
    """After a commit: leave no copy of the old text where the database keeps one; returns
    what the report should say. ``write`` opens a de-identification write transaction."""
    if db.dialect == "sqlite":
        with write() as conn:
            conn.exec_driver_sql("INSERT INTO document_fts(document_fts) VALUES('optimize')")
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        if busy and busy[0]:
            return [
                "another connection was reading the database, so its write-ahead log may "
                "still hold the old text until the next commit or until all connections close"
            ]
        return []
    if db.dialect != "postgresql":
        return []
    note = (
        "PostgreSQL keeps old row versions (the text before the commit) on disk until they "
        "are vacuumed and overwritten"
    )
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM " + ", ".join(VACUUMED))
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        return [f"{note}; VACUUM could not run ({reason}): ask the database owner to run it"]
    return [
        f"{note}: the changed tables were vacuumed, which frees them for reuse; "
        "VACUUM FULL (which locks the tables) rewrites them"
    ]
