"""Documents: importing files into a project and reading them back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.models import AttributeType, ParsedDocument, Turn
from thematica.core.tables import Table
from thematica.importers import ImportOptions, collect_files, parse_file
from thematica.services._progress import Progress, silent
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``skipped`` holds (file, reason) for files left out on purpose."""

    imported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cases_created: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ImportLine:
    """One line of an import report, for table/CSV/JSON output."""

    file: str
    status: str
    detail: str

    @staticmethod
    def from_report(report: ImportReport) -> list[ImportLine]:
        lines = [
            ImportLine(name, "imported", report.encodings.get(name, "")) for name in report.imported
        ]
        lines += [ImportLine(path, "skipped", reason) for path, reason in report.skipped]
        return lines


@dataclass(slots=True)
class TurnRow:
    turn: int
    speaker: str | None
    start: int
    end: int
    time: float | None
    text: str


@dataclass(slots=True)
class DocumentRow:
    name: str
    case: str | None
    format: str
    characters: int
    turns: int
    codings: int
    imported_at: str


@dataclass(slots=True)
class DocumentRecord:
    id: int
    name: str
    text: str
    case: str | None
    source_format: str
    encoding: str | None
    turns: list[Turn]


def _case_from_pattern(pattern: re.Pattern[str], stem: str) -> str | None:
    match = pattern.search(stem)
    if not match:
        return None
    if "case" in pattern.groupindex:
        return match.group("case")
    return match.group(1) if pattern.groups else match.group(0)


def compile_case_pattern(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"case pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from exc


class Documents:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- import -------------------------------------------------------------------------
    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        options: ImportOptions | None = None,
        case: str | None = None,
        case_pattern: str | None = None,
        skip_bad: bool = False,
        progress: Progress = silent,
    ) -> ImportReport:
        """Import files and folders in one transaction: all of them land, or none does.

        Every file is parsed before anything is written, so a bad file stops the import with
        the database unchanged (unless ``skip_bad``, which reports and leaves it out).
        """
        options = options or ImportOptions(
            speaker_pattern=self.project.settings.get("speaker_pattern")
        )
        pattern = compile_case_pattern(case_pattern or self.project.settings.get("case_pattern"))
        files = collect_files([Path(p) for p in paths])
        if not files:
            raise InputError("no importable files found in " + ", ".join(str(p) for p in paths))
        report = ImportReport()
        parsed: list[ParsedDocument] = []
        for i, path in enumerate(files):
            progress(i, len(files), f"reading {path.name}")
            try:
                docs = parse_file(path, options)
            except InputError as exc:
                if not skip_bad:
                    raise
                report.skipped.append((str(path), str(exc)))
                continue
            for doc in docs:
                if doc.case is None:
                    doc.case = case or (
                        _case_from_pattern(pattern, Path(path).stem) if pattern else None
                    )
                parsed.append(doc)
        progress(len(files), len(files), "storing")
        with self.project.db.write() as conn:
            self._store(conn, parsed, report, progress)
            self.project.audit(
                conn,
                "import",
                documents=report.imported,
                skipped=[s[0] for s in report.skipped],
                cases_created=report.cases_created,
            )
        return report

    def _store(
        self, conn: Connection, docs: list[ParsedDocument], report: ImportReport, progress: Progress
    ) -> None:
        pid = self.project.id
        existing = {
            row.sha256: row.name
            for row in conn.execute(
                select(t.document.c.sha256, t.document.c.name).where(t.document.c.project_id == pid)
            )
        }
        names = set(existing.values())
        from thematica.services.cases import CaseWriter

        cases = CaseWriter(self.project, conn)
        now = _now()
        for i, doc in enumerate(docs):
            digest = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            if digest in existing:
                report.skipped.append(
                    (doc.source_path or doc.name, f"already imported as {existing[digest]!r}")
                )
                continue
            if doc.name in names:
                raise ConflictError(
                    f"{doc.source_path or doc.name}: a different document named {doc.name!r} "
                    "is already in the project; rename the file or remove the old document"
                )
            case_id = None
            if doc.case:
                case_id = cases.ensure(doc.case, report.cases_created)
                for attr, value in doc.attributes.items():
                    cases.set_value(case_id, attr, value, AttributeType.CATEGORICAL)
            doc_id = conn.execute(
                insert(t.document).values(
                    project_id=pid,
                    name=doc.name,
                    text=doc.text,
                    length=len(doc.text),
                    sha256=digest,
                    source_path=doc.source_path,
                    source_format=doc.source_format,
                    encoding=doc.encoding,
                    case_id=case_id,
                    imported_at=now,
                    meta=dict(doc.metadata),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if doc.turns:
                conn.execute(
                    insert(t.turn),
                    [
                        {
                            "document_id": doc_id,
                            "position": n,
                            "start": turn.start,
                            "end": turn.end,
                            "speaker": turn.speaker,
                            "time_start": turn.time_start,
                            "time_end": turn.time_end,
                        }
                        for n, turn in enumerate(doc.turns)
                    ],
                )
            existing[digest] = doc.name
            names.add(doc.name)
            report.imported.append(doc.name)
            if doc.encoding:
                report.encodings[doc.name] = doc.encoding
            if i % 50 == 0:
                progress(i, len(docs), f"storing {doc.name}")

    # -- reading ------------------------------------------------------------------------
    def list(self) -> Table[DocumentRow]:
        d, c = t.document, t.case
        turns = (
            select(t.turn.c.document_id, func.count().label("n"))
            .group_by(t.turn.c.document_id)
            .subquery()
        )
        codings = (
            select(t.coding.c.document_id, func.count().label("n"))
            .where(t.coding.c.project_id == self.project.id)
            .group_by(t.coding.c.document_id)
            .subquery()
        )
        stmt = (
            select(
                d.c.name,
                c.c.name.label("case"),
                d.c.source_format,
                d.c.length,
                func.coalesce(turns.c.n, 0),
                func.coalesce(codings.c.n, 0),
                d.c.imported_at,
            )
            .outerjoin(c, c.c.id == d.c.case_id)
            .outerjoin(turns, turns.c.document_id == d.c.id)
            .outerjoin(codings, codings.c.document_id == d.c.id)
            .where(d.c.project_id == self.project.id)
            .order_by(d.c.name)
        )
        with self.project.db.read() as conn:
            rows = [
                DocumentRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6].isoformat(timespec="seconds"))
                for r in conn.execute(stmt)
            ]
        return Table.of(DocumentRow, rows, title="Documents")

    def id_of(self, conn: Connection, name: str) -> int:
        doc_id = conn.scalar(
            select(t.document.c.id).where(
                t.document.c.project_id == self.project.id, t.document.c.name == name
            )
        )
        if doc_id is None:
            raise NotFoundError(f"no document named {name!r} in project {self.project.name!r}")
        return int(doc_id)

    def case_names(self, conn: Connection) -> dict[int, str]:
        """document id -> case name, for every document linked to a case.

        Read from the case side through ``ix_document_case``: selecting ``document.case_id``
        row by row makes SQLite walk every document's text pages (it is stored after the text).
        """
        d, c = t.document.c, t.case.c
        return {
            doc_id: name
            for doc_id, name in conn.execute(
                select(d.id, c.name)
                .select_from(t.case)
                .join(t.document, d.case_id == c.id)
                .where(c.project_id == self.project.id)
            )
        }

    def get(self, name: str) -> DocumentRecord:
        with self.project.db.read() as conn:
            doc_id = self.id_of(conn, name)
            row = conn.execute(
                select(t.document, t.case.c.name.label("case_name"))
                .outerjoin(t.case, t.case.c.id == t.document.c.case_id)
                .where(t.document.c.id == doc_id)
            ).one()
            turns = [
                Turn(r.start, r.end, r.speaker, r.time_start, r.time_end)
                for r in conn.execute(
                    select(t.turn).where(t.turn.c.document_id == doc_id).order_by(t.turn.c.position)
                )
            ]
        return DocumentRecord(
            row.id, row.name, row.text, row.case_name, row.source_format, row.encoding, turns
        )

    def link_case(self, document: str, case: str) -> None:
        from thematica.services.cases import CaseWriter

        with self.project.db.write() as conn:
            doc_id = self.id_of(conn, document)
            created: list[str] = []
            case_id = CaseWriter(self.project, conn).ensure(case, created)
            conn.execute(
                t.document.update().where(t.document.c.id == doc_id).values(case_id=case_id)
            )
            self.project.audit(conn, "link_case", document=document, case=case)

    def remove(self, name: str) -> int:
        """Delete a document with its codings; returns how many codings went with it."""
        with self.project.db.write() as conn:
            doc_id = self.id_of(conn, name)
            n = conn.scalar(select(func.count()).where(t.coding.c.document_id == doc_id)) or 0
            conn.execute(delete(t.coding).where(t.coding.c.document_id == doc_id))
            conn.execute(delete(t.turn).where(t.turn.c.document_id == doc_id))
            conn.execute(delete(t.document).where(t.document.c.id == doc_id))
            self.project.audit(conn, "remove_document", document=name, codings=n)
        return int(n)


def _now() -> Any:
    from thematica.services.project import now

    return now()
