"""Documents: importing files into a project and reading them back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from thematica.core.access import Operation
from thematica.core.attributes import infer_type
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.models import AttributeType, ParsedDocument, Turn
from thematica.core.tables import Table
from thematica.importers import ImportOptions, collect_files, parse_file
from thematica.services._progress import Progress, silent
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.document_reimport import ReimportReport
    from thematica.services.project import Project


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``skipped`` holds (file, reason) for files left out on purpose."""

    imported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cases_created: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    #: document -> the distinct speaker labels found, in order of first appearance
    speakers: dict[str, list[str]] = field(default_factory=dict)
    #: documents read as one single turn: probably labels the speaker pattern did not match
    #: (survey answers imported one per row are not listed; one turn is what they are)
    single_turn: list[str] = field(default_factory=list)
    #: documents linked to a case, by how (``case``, ``pattern``, ``file``: from the file)
    linked: dict[str, str] = field(default_factory=dict)
    #: the case pattern used, when one was (so a caller can say that it matched nothing)
    case_pattern: str | None = None


@dataclass(slots=True)
class ImportLine:
    """One line of an import report, for table/CSV/JSON output."""

    file: str
    status: str
    detail: str

    speakers: str = ""

    @staticmethod
    def from_report(report: ImportReport) -> list[ImportLine]:
        lines = [
            ImportLine(
                name,
                "imported",
                report.encodings.get(name, ""),
                ", ".join(report.speakers.get(name, [])),
            )
            for name in report.imported
        ]
        lines += [ImportLine(path, "skipped", reason) for path, reason in report.skipped]
        return lines


@dataclass(slots=True)
class LinkReport:
    """What ``link_table`` did: the documents linked and the cases it had to create."""

    linked: list[str] = field(default_factory=list)
    cases_created: list[str] = field(default_factory=list)


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


def case_from_pattern(pattern: re.Pattern[str], file_name: str) -> str | None:
    """The case a file name names: searched in the name without its extension, then (so that
    ``^(P\\d+)\\.txt$`` works too) in the whole name. The group named ``case``, else the first
    group, else the whole match is the case; ``None`` when nothing matches."""
    path = Path(file_name)
    for candidate in (path.stem, path.name):
        match = pattern.search(candidate)
        if match is None:
            continue
        if "case" in pattern.groupindex:
            found = match.group("case")
        else:
            found = match.group(1) if pattern.groups else match.group(0)
        if found and found.strip():
            return found.strip()
    return None


def _speakers(turns: Sequence[Turn]) -> list[str]:
    return list(dict.fromkeys(turn.speaker for turn in turns if turn.speaker))


def _attribute_types(docs: Sequence[ParsedDocument]) -> dict[str, AttributeType]:
    """Each file attribute's type, inferred over every value this import brings."""
    values: dict[str, list[str]] = {}
    for doc in docs:
        for name, value in doc.attributes.items():
            values.setdefault(name, []).append(value)
    return {name: infer_type(found) for name, found in values.items()}


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
    @requires(Operation.IMPORT)
    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        options: ImportOptions | None = None,
        case: str | None = None,
        case_pattern: str | None = None,
        skip_bad: bool = False,
        progress: Progress = silent,
        source_names: Mapping[str, str] | None = None,
    ) -> ImportReport:
        """Import files and folders in one transaction: all of them land, or none does.

        Every file is parsed before anything is written, so a bad file stops the import with
        the database unchanged (unless ``skip_bad``, which reports and leaves it out).
        ``source_names`` maps a file's path (as given) to the name to record as its source
        instead: an upload's original file name rather than the server's temporary path.
        """
        names = {str(Path(k)): v for k, v in (source_names or {}).items()}
        options = options or ImportOptions(
            speaker_pattern=self.project.settings.get("speaker_pattern")
        )
        pattern_text = case_pattern or self.project.settings.get("case_pattern")
        pattern = compile_case_pattern(pattern_text)
        files = collect_files([Path(p) for p in paths])
        if not files:
            raise InputError("no importable files found in " + ", ".join(str(p) for p in paths))
        if self.project.db.dialect == "postgresql":
            _refuse_beyond_postgresql(files)
        report = ImportReport(case_pattern=pattern_text if pattern and not case else None)
        how: dict[int, str] = {}
        parsed: list[ParsedDocument] = []
        for i, path in enumerate(files):
            progress(i, len(files), f"reading {path.name}")
            label = names.get(str(path))
            try:
                docs = parse_file(path, options)
            except InputError as exc:
                if not skip_bad:
                    raise
                reason = str(exc).replace(str(path), label) if label else str(exc)
                report.skipped.append((label or str(path), reason))
                continue
            for doc in docs:
                if label:
                    doc.source_path = label
                if doc.case is not None:
                    how[id(doc)] = "file"
                elif case:
                    doc.case, how[id(doc)] = case, "case"
                elif pattern is not None:
                    doc.case = case_from_pattern(pattern, Path(path).name)
                    if doc.case is not None:
                        how[id(doc)] = "pattern"
                parsed.append(doc)
        for doc in parsed:
            too_long = next((tr.speaker for tr in doc.turns if len(tr.speaker or "") > 200), None)
            if too_long is not None:
                raise InputError(
                    f"{doc.source_path or doc.name}: speaker label {too_long[:40]!r}… is over "
                    "200 characters; the speaker pattern probably matches too much"
                )
        progress(len(files), len(files), "storing")
        with self.project.db.write() as conn:
            self._store(conn, parsed, report, progress, how)
            self.project.audit(
                conn,
                "import",
                documents=report.imported,
                skipped=[s[0] for s in report.skipped],
                cases_created=report.cases_created,
            )
        return report

    def _store(
        self,
        conn: Connection,
        docs: list[ParsedDocument],
        report: ImportReport,
        progress: Progress,
        how: dict[int, str],
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
        kinds = _attribute_types(docs)
        now = _now()
        for i, doc in enumerate(docs):
            where = doc.source_path or doc.name
            if "row" in doc.metadata:  # a table row: the same answers may come from two people
                where = f"{where} row {doc.metadata['row']}"
            digest = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            if digest in existing and ("row" not in doc.metadata or existing[digest] == doc.name):
                report.skipped.append((where, f"already imported as {existing[digest]!r}"))
                continue
            if doc.name in names:
                raise ConflictError(
                    f"{where}: a different document named {doc.name!r} "
                    "is already in the project; rename the file or remove the old document"
                )
            case_id = None
            if doc.case:
                case_id = cases.ensure(doc.case, report.cases_created)
                for attr, value in doc.attributes.items():
                    cases.set_value(case_id, attr, value, kinds[attr])
            if not doc.text:  # a respondent who answered nothing: a case, no document
                report.skipped.append((where, "no answer in any text column (case kept)"))
                continue
            try:
                doc_id = _insert_document(conn, pid, doc, digest, case_id, now)
            except DBAPIError as exc:
                if isinstance(exc, IntegrityError):
                    raise
                first = str(exc.orig or exc).strip().splitlines()[0]
                raise InputError(
                    f"{where}: the database could not store this document "
                    f"({len(doc.text):,} characters): {first}; split it into smaller files"
                ) from exc
            if doc.turns:
                _insert_turns(conn, doc_id, doc.turns)
            existing[digest] = doc.name
            names.add(doc.name)
            report.imported.append(doc.name)
            report.speakers[doc.name] = _speakers(doc.turns)
            if len(doc.turns) <= 1 and doc.source_format != "csv":
                report.single_turn.append(doc.name)
            if case_id is not None:
                report.linked[doc.name] = how.get(id(doc), "file")
            if doc.encoding:
                report.encodings[doc.name] = doc.encoding
            if i % 50 == 0:
                progress(i, len(docs), f"storing {doc.name}")

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
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

    @requires(Operation.READ)
    def timed(self) -> set[str]:
        """Names of the documents whose turns carry times (transcribed or caption imports):
        the ones that can be exported as captions. One query."""
        d, tu = t.document.c, t.turn.c
        with self.project.db.read() as conn:
            rows = conn.execute(
                select(d.name)
                .where(d.project_id == self.project.id)
                .where(
                    select(tu.id).where(tu.document_id == d.id, tu.time_start.is_not(None)).exists()
                )
            )
            return {str(r.name) for r in rows}

    @requires(Operation.READ)
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

    @requires(Operation.IMPORT)
    def link_case(self, document: str, case: str) -> None:
        from thematica.services.cases import CaseWriter

        with self.project.db.write() as conn:
            doc_id = self.id_of(conn, document)
            created: list[str] = []
            writer = CaseWriter(self.project, conn)
            old = _case_of(conn, doc_id)
            case_id = writer.ensure(case, created)
            conn.execute(
                t.document.update().where(t.document.c.id == doc_id).values(case_id=case_id)
            )
            self.project.audit(
                conn,
                "link_case",
                document=document,
                case=" ".join(case.split()),
                old=old,
                new=" ".join(case.split()),
                cases_created=created,
            )

    @requires(Operation.IMPORT)
    def link_table(self, path: str | Path, *, encoding: str | None = None) -> LinkReport:
        """Link many documents to cases from a CSV/XLSX with ``document`` and ``case`` columns.

        Every row is checked first (known document, non-empty case, no document given two
        different cases); then all links are written in one transaction, or none is.
        """
        from thematica.services.cases import CaseWriter
        from thematica.services.tabular import read_table

        path = Path(path)
        header, rows = read_table(path, encoding=encoding)
        folded = {h.casefold(): i for i, h in enumerate(header)}
        missing = [c for c in ("document", "case") if c not in folded]
        if missing:
            raise InputError(
                f"{path.name}: needs the columns document and case (missing: "
                f"{', '.join(missing)}; found: {', '.join(header[:12])})"
            )
        doc_at, case_at = folded["document"], folded["case"]
        wanted: dict[str, tuple[str, int]] = {}
        for n, row in enumerate(rows, 2):
            document, case = row[doc_at].strip(), " ".join(row[case_at].split())
            if not document:
                raise InputError(f"{path.name}: row {n}: the document column is empty")
            if not case:
                raise InputError(f"{path.name}: row {n}: no case for document {document!r}")
            if document in wanted and wanted[document][0] != case:
                before, row_before = wanted[document]
                raise InputError(
                    f"{path.name}: row {n}: document {document!r} is linked to {before!r} "
                    f"in row {row_before} and to {case!r} here"
                )
            wanted[document] = (case, n)
        report = LinkReport()
        d = t.document.c
        with self.project.db.write() as conn:
            ids = {
                name: doc_id
                for doc_id, name in conn.execute(
                    select(d.id, d.name).where(d.project_id == self.project.id)
                )
            }
            for document, (_case, n) in wanted.items():
                if document not in ids:
                    raise NotFoundError(
                        f"{path.name}: row {n}: no document named {document!r} in the project"
                    )
            writer = CaseWriter(self.project, conn)
            changes: list[list[str | None]] = []
            for document, (case, _n) in wanted.items():
                old = _case_of(conn, ids[document])
                if old != case:
                    changes.append([document, old, case])
                case_id = writer.ensure(case, report.cases_created)
                conn.execute(
                    t.document.update().where(d.id == ids[document]).values(case_id=case_id)
                )
                report.linked.append(document)
            self.project.audit(
                conn,
                "link_cases",
                file=str(path),
                linked=len(report.linked),
                cases_created=report.cases_created,
                changes=changes,  # [document, old case, new case] where the case changed
            )
        return report

    @requires(Operation.IMPORT)
    def reimport(
        self,
        name: str,
        path: str | Path,
        *,
        encoding: str | None = None,
        keep_identifiers: bool = False,
        dry_run: bool = False,
    ) -> ReimportReport:
        """Replace a document's text by a corrected copy of it, keeping its codings and turn
        times (:mod:`thematica.services.document_reimport`). ``keep_identifiers``: store edits
        that undo committed de-identification (refused otherwise); ``dry_run``: only report
        what would change."""
        from thematica.services.document_reimport import reimport_document

        return reimport_document(
            self.project,
            name,
            path,
            encoding=encoding,
            keep_identifiers=keep_identifiers,
            dry_run=dry_run,
        )

    @requires(Operation.DELETE)
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


def _case_of(conn: Connection, doc_id: int) -> str | None:
    """The name of the case a document is linked to now (None: none)."""
    return conn.scalar(
        select(t.case.c.name)
        .join(t.document, t.document.c.case_id == t.case.c.id)
        .where(t.document.c.id == doc_id)
    )


#: PostgreSQL's search index works on 4 bytes per character and one allocation may not pass
#: 1 GB, so a 300 MB document fails after half a minute; and indexing costs about 0.6 s per MB,
#: so beyond 100 MB an import would run for minutes. Larger files are refused before reading.
POSTGRESQL_MAX_DOCUMENT_BYTES = 100 * 1024 * 1024


def _refuse_beyond_postgresql(files: Sequence[Path]) -> None:
    """Refuse at once, before reading, a file too large to store as one PostgreSQL document."""
    for path in files:
        size = path.stat().st_size
        if size > POSTGRESQL_MAX_DOCUMENT_BYTES:
            raise InputError(
                f"{path.name}: {size / 2**20:,.0f} MB is more than a PostgreSQL project can "
                f"index as one document ({POSTGRESQL_MAX_DOCUMENT_BYTES // 2**20} MB); "
                "split the file into smaller documents"
            )


def _insert_document(
    conn: Connection, pid: int, doc: ParsedDocument, digest: str, case_id: int | None, at: Any
) -> int:
    doc_id: int = conn.execute(
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
            imported_at=at,
            meta=dict(doc.metadata),
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return doc_id


_TURN_COLUMNS = ("document_id", "position", "start", "end", "speaker", "time_start", "time_end")


def _insert_turns(conn: Connection, doc_id: int, turns: Sequence[Turn]) -> None:
    """All of a document's turns in one executemany.

    A long transcript has a turn per line (1.6 million in 300 MB), and building SQLAlchemy's
    per-row parameter dictionaries costs more than the insert itself: PostgreSQL gets the rows
    by COPY, a driver taking positional parameters (SQLite) gets plain tuples.
    """
    rows = [
        (doc_id, n, turn.start, turn.end, turn.speaker, turn.time_start, turn.time_end)
        for n, turn in enumerate(turns)
    ]
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        # COPY streams the rows in the transaction already open on this connection
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        columns = ", ".join(f'"{c}"' for c in _TURN_COLUMNS)
        with cursor, cursor.copy(f"COPY turn ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    stmt = insert(t.turn).values({c: bindparam(c) for c in _TURN_COLUMNS})
    compiled = stmt.compile(dialect=conn.dialect)
    if compiled.positiontup == list(_TURN_COLUMNS):
        conn.exec_driver_sql(str(compiled), rows)
    else:
        conn.execute(insert(t.turn), [dict(zip(_TURN_COLUMNS, row, strict=True)) for row in rows])


def _now() -> Any:
    from thematica.services.project import now

    return now()
