"""REFI-QDA import and export for projects (``.qdpx``) and codebooks (``.qdc``).

``import_qdpx(db, path)`` creates a new project from a file in one transaction;
``project.refi.export(path)`` writes one; ``project.refi.codebook_specs(path)`` and
``project.refi.export_codebook(path)`` serve ``thematica codebook import|export`` for ``.qdc``.
GUIDs read from a file are kept in ``external_id`` and written back, so import -> export ->
import keeps them; objects without one get ``guids.derive(project name, type, id)``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from thematica.core.codebook import CodeSpec, check_fields
from thematica.core.errors import ConflictError, InputError
from thematica.core.models import AttributeType
from thematica.interop import guids
from thematica.interop.refi_import import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSet,
    RefiSource,
    RefiUser,
    RefiVariable,
    no_gc,
    read_qdc,
    read_qdpx,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import DbArg, Project

COUNT_KEYS = (
    "sources",
    "codes",
    "codings",
    "users",
    "cases",
    "variables",
    "notes",
    "sets",
    "skipped",
)
#: What a Thematica project holds that REFI-QDA cannot carry; listed in every export report.
NOT_EXPORTED = {
    "consensus_decision": "consensus decisions",
    "theme": "themes",
    "matrix": "framework matrices",
    "agreement_run": "agreement runs",
    "codebook_version": "frozen codebook versions",
    "codebook_change": "codebook change history",
    "turn": "speaker turns (re-detected on import)",
}
_VAR_KIND = {
    "categorical": "Text",
    "ordinal": "Text",
    "numeric": "Float",
    "date": "Date",
    "boolean": "Boolean",
}


@dataclass(slots=True)
class RefiImportReport:
    project: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts,
            "project": self.project,
            "skipped_items": [{"item": w, "reason": r} for w, r in self.skipped],
            "messages": self.notes,
        }


@dataclass(slots=True)
class RefiExportReport:
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    not_exported: list[str] = field(default_factory=list)


#: Rows per executemany (and codings per batch of sources) when storing an import.
_BATCH = 20_000
#: Documents per multi-row insert (their texts are in memory already).
_DOC_BATCH = 100


def _unique(name: str, taken: set[str], limit: int) -> str:
    base = name[:limit] or "unnamed"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        candidate = f"{base[: limit - 6]} ({n})"
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _code_name(raw: str) -> str:
    name = " ".join(raw.replace("/", "\u2215").split())
    return name[:300] or "unnamed code"


# -- import -------------------------------------------------------------------------------
def import_qdpx(db: DbArg, path: str | Path, name: str | None = None) -> RefiImportReport:
    """Create a new project in ``db`` from a ``.qdpx``; everything lands or nothing does."""
    from thematica.services.project import Project, default_settings, now
    from thematica.store import open_database

    parsed = read_qdpx(path)
    pname = (name or parsed.name or Path(path).stem).strip()[:200]
    if not pname:
        raise InputError("the imported project needs a name; use --name")
    database = open_database(db, create=True)
    try:
        with database.read() as conn:
            if conn.scalar(select(t.project.c.id).where(t.project.c.name == pname)) is not None:
                raise ConflictError(
                    f"{database.label} already has a project named {pname!r}; "
                    "choose another with --name"
                )
        settings = default_settings()
        for key in ("sem_levels", "speaker_pattern", "case_pattern"):
            if key in parsed.extra:
                settings[key] = parsed.extra[key]
        with database.write() as conn:
            pid = conn.execute(
                insert(t.project).values(name=pname, created_at=now(), settings=settings)
            ).inserted_primary_key[0]  # type: ignore[index]
            project = Project(database, int(pid), pname, settings)
            with no_gc():
                report = _Store(project, conn, parsed).run()
            project.audit(conn, "import_qdpx", None, source=str(path), counts=dict(report.counts))
        return report
    finally:
        database.dispose()


class _Store:
    def __init__(self, project: Project, conn: Connection, p: RefiProject) -> None:
        self.project, self.conn, self.p = project, conn, p
        self.pid = project.id
        self.ext: list[tuple[Any, ...]] = []
        self.report = RefiImportReport(project.name, skipped=list(p.skipped))
        from thematica.services.project import now

        self.now = now()

    def keep(self, kind: str, entity_id: int, guid: str) -> None:
        self.ext.append((self.pid, kind, entity_id, guids.bare(guid)))

    def _flush_ext(self) -> None:
        if self.ext:
            self._bulk(t.external_id, ("project_id", "entity_type", "entity_id", "guid"), self.ext)
            self.ext = []

    def _bound(self, column: Any, value: Any) -> Any:
        """``value`` as the driver receives it for ``column`` (SQLAlchemy's bind processing)."""
        dialect = self.conn.dialect
        proc = column.type.dialect_impl(dialect).bind_processor(dialect)
        return proc(value) if proc else value

    def _raw_rows(self, query: Any) -> list[tuple[Any, ...]]:
        """The rows of ``query`` (integers only; literal parameters) as plain driver tuples."""
        sql = str(query.compile(dialect=self.conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _bulk(self, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values already in driver form) with the driver's executemany.

        SQLAlchemy's own executemany processes every parameter of every row in Python; for
        hundreds of thousands of rows of plain integers and strings that is most of the cost.
        """
        compiled = insert(table).compile(dialect=self.conn.dialect, column_keys=list(columns))
        if compiled.positional:
            order = [columns.index(k) for k in compiled.positiontup or ()]
            params: list[Any] = (
                rows
                if order == list(range(len(columns)))
                else [tuple(r[i] for i in order) for r in rows]
            )
        else:
            params = [dict(zip(columns, r, strict=True)) for r in rows]
        for i in range(0, len(params), _BATCH):
            self.conn.exec_driver_sql(str(compiled), params[i : i + _BATCH])

    def run(self) -> RefiImportReport:
        from thematica.core.text import detect_turns

        p, conn = self.p, self.conn
        counts = dict.fromkeys(COUNT_KEYS, 0)
        # users -> coders
        self.coders: dict[str, int] = {}
        taken: set[str] = set()
        for u in p.users:
            cname = _unique(" ".join(u.name.split()) or f"user {u.guid[:8]}", taken, 200)
            kind = str(u.extra.get("kind") or "human")
            cid = conn.execute(
                insert(t.coder).values(
                    project_id=self.pid, name=cname, kind=kind, created_at=self.now
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            self.coders[guids.norm(u.guid)] = cid
            self.keep("coder", cid, u.guid)
        counts["users"] = len(p.users)
        # codes
        self.codes: dict[str, int] = {}
        self.code_memo_notes: dict[str, int] = {}
        self._codes(p.codes, None)
        counts["codes"] = len(self.codes)
        # variables -> attributes
        from thematica.services.cases import CaseWriter

        cw = CaseWriter(self.project, conn)
        self.vars: dict[str, tuple[str, AttributeType]] = {}
        taken = set()
        for v in p.variables:
            kind = {
                "Boolean": AttributeType.BOOLEAN,
                "Integer": AttributeType.NUMERIC,
                "Float": AttributeType.NUMERIC,
                "Date": AttributeType.DATE,
            }.get(v.kind, AttributeType.CATEGORICAL)
            if v.extra.get("type") in {k.value for k in AttributeType}:
                kind = AttributeType(v.extra["type"])
            aname = _unique(v.name or f"variable {v.guid[:8]}", taken, 200)
            aid, _k, _o = cw.define(aname, kind, v.extra.get("order") or None)
            self.vars[guids.norm(v.guid)] = (aname, kind)
            self.keep("attribute", aid, v.guid)
        counts["variables"] = len(p.variables)
        # cases first, so that each document is inserted with its case (no update afterwards)
        keys = [guids.norm(src.guid) for src in p.sources]
        names_by_key = dict(zip(keys, (src.name for src in p.sources), strict=True))
        doc_case: dict[str, int] = {}  # source key -> case id
        case_created: list[str] = []
        for c in p.cases:
            case_name: str | None = c.name
            if not case_name and len(c.sources) == 1 and c.sources[0] in names_by_key:
                case_name = names_by_key[c.sources[0]] or None
            case_id = cw.ensure(case_name or f"case {c.guid[:8]}", case_created)
            self.keep("case", case_id, c.guid)
            self._values(cw, case_id, c.values)
            for s in c.sources:
                if s not in names_by_key:
                    continue
                if s in doc_case and doc_case[s] != case_id:
                    self.report.skipped.append(
                        (
                            f"case {case_name or c.guid}",
                            "a source already belongs to another case; kept the first",
                        )
                    )
                    continue
                doc_case[s] = case_id
        for key, src in zip(keys, p.sources, strict=True):
            if not src.values:
                continue
            if key not in doc_case:
                doc_case[key] = cw.ensure(src.name or f"source {src.guid[:8]}", case_created)
            self._values(cw, doc_case[key], src.values)
        # sources -> documents, a batch at a time, with their speaker turns
        self.docs: dict[str, int] = {}
        doc_names: set[str] = set()
        speaker_pattern = self.project.settings.get("speaker_pattern")
        doc_insert = insert(t.document).returning(t.document.c.id, sort_by_parameter_order=True)
        turn_cols = ("document_id", "position", "start", "end", "speaker", "time_start", "time_end")
        pairs = list(zip(keys, p.sources, strict=True))
        for first in range(0, len(pairs), _DOC_BATCH):
            chunk = pairs[first : first + _DOC_BATCH]
            params = []
            for key, src in chunk:
                dname = _unique(
                    " ".join(src.name.split()) or f"source {src.guid[:8]}", doc_names, 500
                )
                text = src.text
                params.append(
                    {
                        "project_id": self.pid,
                        "name": dname,
                        "text": text,
                        "length": len(text),
                        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                        "source_path": None,
                        "source_format": "refi-qda",
                        "encoding": "utf-8",
                        "case_id": doc_case.get(key),
                        "imported_at": self.now,
                        "meta": {
                            "refi_kind": src.kind,
                            "positions": src.reading,
                            "origin": p.origin,
                        },
                    }
                )
                if src.kind != "TextSource":
                    self.report.notes.append(f"{src.kind} {dname!r} imported as its plain text")
            ids = [row[0] for row in conn.execute(doc_insert, params)]
            turn_rows: list[tuple[Any, ...]] = []
            for (key, src), did in zip(chunk, ids, strict=True):
                self.docs[key] = did
                self.keep("document", did, src.guid)
                text = src.text
                turns = detect_turns(text, speaker_pattern) if text.strip() else []
                turn_rows += [
                    (did, n, tr.start, tr.end, tr.speaker, tr.time_start, tr.time_end)
                    for n, tr in enumerate(turns)
                ]
            if turn_rows:
                self._bulk(t.turn, turn_cols, turn_rows)
        counts["sources"] = len(p.sources)
        counts["cases"] = len(cw.cases)
        # codings: stored a batch of sources at a time, their GUIDs kept as they go
        fallback: list[int] = []
        n_codings = 0
        need_ids = bool(p.notes)  # coding ids by GUID are only needed to attach notes
        self.coding_ids: dict[str, list[int]] = defaultdict(list)
        sel_done: set[str] = set()
        batch: list[tuple[Any, ...]] = []
        batch_meta: list[tuple[str, str | None]] = []
        batch_docs: list[int] = []
        starred_proc = t.coding.c.starred.type.dialect_impl(conn.dialect).bind_processor(
            conn.dialect
        )
        created = self._bound(t.coding.c.created_at, self.now)

        def flush() -> None:
            if not batch:
                return
            self._bulk(
                t.coding,
                (
                    "project_id",
                    "document_id",
                    "code_id",
                    "coder_id",
                    "start",
                    "end",
                    "memo",
                    "starred",
                    "created_at",
                ),
                batch,
            )
            query = select(
                t.coding.c.id,
                t.coding.c.document_id,
                t.coding.c.code_id,
                t.coding.c.coder_id,
                t.coding.c.start,
                t.coding.c.end,
            ).where(t.coding.c.project_id == self.pid, t.coding.c.document_id.in_(batch_docs))
            ids = {(d, c, u, a, b): i for i, d, c, u, a, b in self._raw_rows(query)}
            for row, (cod_guid, sel_guid) in zip(batch, batch_meta, strict=True):
                cid = ids[(row[1], row[2], row[3], row[4], row[5])]
                self.keep("coding", cid, cod_guid)
                if need_ids:
                    self.coding_ids[guids.norm(cod_guid)].append(cid)
                if sel_guid is not None:
                    skey = guids.norm(sel_guid)
                    if need_ids:
                        self.coding_ids[skey].append(cid)
                    if skey not in sel_done:
                        sel_done.add(skey)
                        self.keep("selection", cid, sel_guid)
            batch.clear()
            batch_meta.clear()
            batch_docs.clear()
            if len(self.ext) >= _BATCH:
                self._flush_ext()

        for src in p.sources:
            did = self.docs[guids.norm(src.guid)]
            whole = RefiSelection("", 0, len(src.text), codings=src.whole)
            seen: set[tuple[int, int, int, int]] = set()  # per document: did is in the key
            batch_docs.append(did)
            for sel in [*src.selections, whole]:
                if not sel.codings and sel.description:
                    self._memo(
                        "document",
                        did,
                        None,
                        f"Comment on «{src.text[sel.start : sel.end][:80]}»: {sel.description}",
                    )
                memo = sel.description or None
                sel_guid = sel.guid or None
                for cod in sel.codings:
                    coder = self.coders.get(cod.user or "") or self.coders.get(
                        p.creating_user or ""
                    )
                    if coder is None:
                        coder = self._fallback(fallback)
                    span_key = (self.codes[cod.code], coder, sel.start, sel.end)
                    if span_key in seen:
                        self.report.skipped.append(
                            (
                                f"coding {cod.guid}",
                                "duplicate of another coding (same span, code and user)",
                            )
                        )
                        continue
                    seen.add(span_key)
                    starred = bool(cod.extra.get("starred"))
                    batch.append(
                        (
                            self.pid,
                            did,
                            span_key[0],
                            coder,
                            sel.start,
                            sel.end,
                            memo,
                            starred_proc(starred) if starred_proc else starred,
                            created,
                        )
                    )
                    batch_meta.append((cod.guid, sel_guid))
                    n_codings += 1
            if len(batch) >= _BATCH:
                flush()
        flush()
        counts["codings"] = n_codings
        counts["notes"] = self._notes()
        counts["sets"] = self._sets()
        self._flush_ext()
        self.keep_project()
        counts["skipped"] = len(self.report.skipped)
        self.report.counts = counts
        return self.report

    def keep_project(self) -> None:
        if self.p.guid:
            self.conn.execute(
                insert(t.external_id).values(
                    project_id=self.pid, entity_type="project", entity_id=self.pid, guid=self.p.guid
                )
            )

    def _fallback(self, box: list[int]) -> int:
        if not box:
            cid = self.conn.execute(
                insert(t.coder).values(
                    project_id=self.pid, name="imported", kind="human", created_at=self.now
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            box.append(cid)
            self.report.notes.append("codings without a user were given the coder 'imported'")
        return box[0]

    def _codes(self, codes: list[RefiCode], parent: int | None) -> None:
        taken: set[str] = set()
        for pos, c in enumerate(codes):
            name = _unique(_code_name(c.name), taken, 300)
            if name != c.name:
                self.report.notes.append(f"code {c.name!r} stored as {name!r}")
            fields: dict[str, Any] = {}
            try:
                fields = check_fields(
                    {
                        k: v
                        for k, v in c.extra.items()
                        if k in ("inclusion", "exclusion", "example", "origin", "sem_level", "memo")
                    },
                    self.project.sem_levels,
                )
            except InputError as exc:
                self.report.notes.append(f"code {name!r}: {exc}; field(s) dropped")
            if "_warn" in c.extra:
                self.report.notes.append(f"code {name!r}: {c.extra['_warn']}; dropped")
            if not c.codable:
                self.report.notes.append(
                    f"code {name!r} is a folder (not codable) in the source tool"
                )
            cid = self.conn.execute(
                insert(t.code).values(
                    project_id=self.pid,
                    parent_id=parent,
                    name=name,
                    definition=c.description.strip(),
                    inclusion=fields.get("inclusion") or "",
                    exclusion=fields.get("exclusion") or "",
                    example=fields.get("example") or "",
                    origin=fields.get("origin"),
                    sem_level=fields.get("sem_level"),
                    colour=c.colour,
                    memo="",
                    position=pos,
                    created_at=self.now,
                    updated_at=self.now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            self.codes[guids.norm(c.guid)] = cid
            self.keep("code", cid, c.guid)
            self._codes(c.children, cid)

    def _values(self, cw: Any, case_id: int, values: list[tuple[str, str | None]]) -> None:
        for key, raw in values:
            aname, kind = self.vars[key]
            if kind is AttributeType.BOOLEAN and raw in ("true", "false", "1", "0"):
                raw = "yes" if raw in ("true", "1") else "no"
            try:
                cw.set_value(case_id, aname, raw, kind)
            except InputError as exc:
                raise InputError(f"{self.p.name}: {exc}") from exc

    def _memo(
        self,
        target_type: str,
        target_id: int | None,
        author: str | None,
        text: str,
        guid: str | None = None,
    ) -> None:
        mid = self.conn.execute(
            insert(t.memo).values(
                project_id=self.pid,
                target_type=target_type,
                target_id=target_id,
                author=author,
                text=text,
                created_at=self.now,
                updated_at=self.now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if guid:
            self.conn.execute(
                insert(t.external_id).values(
                    project_id=self.pid, entity_type="memo", entity_id=mid, guid=guids.bare(guid)
                )
            )

    def _notes(self) -> int:
        p = self.p
        targets: dict[str, list[tuple[str, str]]] = defaultdict(list)  # note -> [(kind, key)]

        def add(refs: list[str], kind: str, key: str) -> None:
            for r in refs:
                targets[r].append((kind, key))

        def walk(codes: list[RefiCode]) -> None:
            for c in codes:
                add(c.note_refs, "code", guids.norm(c.guid))
                walk(c.children)

        walk(p.codes)
        for src in p.sources:
            add(src.note_refs, "document", guids.norm(src.guid))
            for sel in src.selections:
                add(sel.note_refs, "selection", guids.norm(sel.guid))
                for cod in sel.codings:
                    add(cod.note_refs, "coding", guids.norm(cod.guid))
        add(p.project_note_refs, "project", "")
        for note_guid, target in p.links:
            if guids.norm(target) in self.codes:
                kind = "code"
            elif target in self.docs:
                kind = "document"
            elif target in self.coding_ids:
                kind = "selection"
            else:
                kind = "project"
            targets[note_guid].append((kind, target))
        user_names = {guids.norm(u.guid): u.name for u in p.users}
        for note in p.notes:
            key = guids.norm(note.guid)
            author = user_names.get(note.user or "") or None
            text = note.text.strip() or note.name
            if not text:
                self.report.skipped.append((f"note {note.guid}", "empty"))
                continue
            places = targets.get(key) or [("project", "")]
            kind_tag = note.extra.get("kind")
            for kind, tkey in places:
                if kind == "code":
                    if kind_tag == "code-memo":
                        self.conn.execute(
                            t.code.update().where(t.code.c.id == self.codes[tkey]).values(memo=text)
                        )
                    else:
                        self._memo("code", self.codes[tkey], author, text, note.guid)
                elif kind == "document":
                    self._memo("document", self.docs[tkey], author, text, note.guid)
                elif kind in ("coding", "selection") and self.coding_ids.get(tkey):
                    for cid in self.coding_ids[tkey]:
                        if kind_tag == "coding-memo":
                            self.conn.execute(
                                t.coding.update().where(t.coding.c.id == cid).values(memo=text)
                            )
                        else:
                            self._memo("coding", cid, author, text, note.guid)
                else:
                    self._memo("project", None, author, text, note.guid)
        return len(p.notes)

    def _sets(self) -> int:
        n = 0
        taken: set[str] = set()
        for s in self.p.sets:
            groups = [
                ("documents", [self.docs[m] for m in s.sources if m in self.docs]),
                ("codes", [self.codes[m] for m in s.codes if m in self.codes]),
            ]
            if s.notes:
                self.report.skipped.append(
                    (f"set {s.name}", f"{len(s.notes)} note member(s) not supported")
                )
            made = False
            for kind, members in groups:
                if not members and not (kind == "documents" and not s.codes and not made):
                    continue
                name = (
                    _unique(s.name or f"set {s.guid[:8]}", taken, 300)
                    if not made
                    else _unique(f"{s.name} ({kind})", taken, 300)
                )
                sid = self.conn.execute(
                    insert(t.doc_set).values(
                        project_id=self.pid, name=name, description=s.description, member_type=kind
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                if members:
                    self.conn.execute(
                        insert(t.doc_set_member),
                        [{"set_id": sid, "member_id": m} for m in dict.fromkeys(members)],
                    )
                if not made:
                    self.keep("set", sid, s.guid)
                made = True
            n += 1
        return n


# -- export -------------------------------------------------------------------------------
class Refi:
    """``project.refi``: REFI-QDA export of this project and ``.qdc`` codebook files."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def _guid_map(self, conn: Connection) -> dict[tuple[str, int], str]:
        x = t.external_id.c
        return {
            (r.entity_type, r.entity_id): r.guid
            for r in conn.execute(
                select(x.entity_type, x.entity_id, x.guid).where(x.project_id == self.project.id)
            )
        }

    def _guid(self, known: dict[tuple[str, int], str], kind: str, entity_id: int) -> str:
        return known.get((kind, entity_id)) or guids.derive(self.project.name, kind, entity_id)

    def _code_tree(
        self,
        conn: Connection,
        known: dict[tuple[str, int], str],
        memo_notes: dict[int, list[str]] | None = None,
    ) -> list[RefiCode]:
        rows = list(
            conn.execute(
                select(t.code)
                .where(t.code.c.project_id == self.project.id)
                .order_by(t.code.c.position, t.code.c.id)
            )
        )
        nodes: dict[int, RefiCode] = {}
        for r in rows:
            extra = {
                k: getattr(r, k)
                for k in ("inclusion", "exclusion", "example", "origin", "sem_level")
                if getattr(r, k)
            }
            nodes[r.id] = RefiCode(
                self._guid(known, "code", r.id),
                r.name,
                True,
                r.colour,
                r.definition or "",
                extra,
                list((memo_notes or {}).get(r.id, [])),
            )
        roots: list[RefiCode] = []
        for r in rows:
            (nodes[r.parent_id].children if r.parent_id in nodes else roots).append(nodes[r.id])
        return roots

    def build(self) -> tuple[RefiProject, list[str]]:
        """The project as REFI dataclasses, and what could not be carried."""
        from thematica import __version__ as version

        pr = self.project
        pid = pr.id
        with pr.db.read() as conn:
            known = self._guid_map(conn)
            p = RefiProject(
                name=pr.name, origin=f"Thematica {version}", guid=known.get(("project", pid))
            )
            p.extra = {
                k: pr.settings.get(k)
                for k in ("sem_levels", "speaker_pattern", "case_pattern")
                if pr.settings.get(k)
            }
            coder_guid: dict[int, str] = {}
            coder_by_name: dict[str, str] = {}
            for r in conn.execute(
                select(t.coder).where(t.coder.c.project_id == pid).order_by(t.coder.c.id)
            ):
                g = self._guid(known, "coder", r.id)
                coder_guid[r.id] = g
                coder_by_name[r.name] = g
                p.users.append(RefiUser(g, r.name, {"kind": r.kind} if r.kind != "human" else {}))
            # notes first: memos and code memos
            memo_notes: dict[int, list[str]] = defaultdict(list)
            doc_notes: dict[int, list[str]] = defaultdict(list)
            coding_notes: dict[int, list[str]] = defaultdict(list)
            for m in conn.execute(
                select(t.memo).where(t.memo.c.project_id == pid).order_by(t.memo.c.id)
            ):
                g = self._guid(known, "memo", m.id)
                p.notes.append(
                    RefiNote(g, f"{m.target_type} memo", m.text, coder_by_name.get(m.author or ""))
                )
                {"code": memo_notes, "document": doc_notes, "coding": coding_notes}.get(
                    m.target_type, defaultdict(list)
                )[m.target_id].append(g)
                if m.target_type == "project":
                    p.project_note_refs.append(g)
            for r in conn.execute(
                select(t.code.c.id, t.code.c.memo, t.code.c.name).where(
                    t.code.c.project_id == pid, t.code.c.memo != ""
                )
            ):
                g = guids.derive(pr.name, "code-memo", r.id)
                p.notes.append(
                    RefiNote(g, f"code memo: {r.name}", r.memo, None, {"kind": "code-memo"})
                )
                memo_notes[r.id].insert(0, g)
            p.codes = self._code_tree(conn, known, memo_notes)
            code_guid = {}
            for r in conn.execute(select(t.code.c.id).where(t.code.c.project_id == pid)):
                code_guid[r.id] = self._guid(known, "code", r.id)
            attrs = list(
                conn.execute(
                    select(t.attribute)
                    .where(t.attribute.c.project_id == pid)
                    .order_by(t.attribute.c.position, t.attribute.c.id)
                )
            )
            attr_guid = {}
            for a in attrs:
                g = self._guid(known, "attribute", a.id)
                attr_guid[a.id] = g
                extra: dict[str, Any] = {"type": a.type}
                if a.value_order:
                    extra["order"] = a.value_order
                p.variables.append(
                    RefiVariable(g, a.name, _VAR_KIND.get(a.type, "Text"), "", extra)
                )
            values: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
            order = {a.id: i for i, a in enumerate(attrs)}
            for v in sorted(
                conn.execute(
                    select(t.attribute_value).join(t.case).where(t.case.c.project_id == pid)
                ),
                key=lambda v: (v.case_id, order.get(v.attribute_id, 0)),
            ):
                raw = v.value
                a = next(x for x in attrs if x.id == v.attribute_id)
                if raw is not None and a.type == "boolean":
                    raw = "true" if raw == "yes" else "false"
                values[v.case_id].append((attr_guid[v.attribute_id], raw))
            docs = list(
                conn.execute(
                    select(t.document.c.id, t.document.c.name, t.document.c.case_id)
                    .where(t.document.c.project_id == pid)
                    .order_by(t.document.c.id)
                )
            )
            doc_guid = {d.id: self._guid(known, "document", d.id) for d in docs}
            case_docs: dict[int, list[str]] = defaultdict(list)
            for d in docs:
                if d.case_id is not None:
                    case_docs[d.case_id].append(doc_guid[d.id])
            for c in conn.execute(
                select(t.case).where(t.case.c.project_id == pid).order_by(t.case.c.id)
            ):
                p.cases.append(
                    RefiCase(
                        self._guid(known, "case", c.id), c.name, "", values[c.id], case_docs[c.id]
                    )
                )
            codings_by_doc: dict[int, list[Any]] = defaultdict(list)
            for c in conn.execute(
                select(t.coding)
                .where(t.coding.c.project_id == pid)
                .order_by(t.coding.c.document_id, t.coding.c.start, t.coding.c.end, t.coding.c.id)
            ):
                codings_by_doc[c.document_id].append(c)
            coding_memo_notes: list[RefiNote] = []
            for d in docs:
                text = conn.scalar(select(t.document.c.text).where(t.document.c.id == d.id)) or ""
                src = RefiSource(
                    doc_guid[d.id], d.name, "TextSource", text, note_refs=doc_notes.get(d.id, [])
                )
                groups: dict[tuple[int, int, str], RefiSelection] = {}
                for c in codings_by_doc.get(d.id, []):
                    sel_key = known.get(("selection", c.id))
                    key = (c.start, c.end, sel_key or "")
                    sel = groups.get(key)
                    if sel is None:
                        sel = RefiSelection(
                            sel_key or guids.derive(pr.name, "selection", c.id), c.start, c.end
                        )
                        groups[key] = sel
                        src.selections.append(sel)
                    refs = list(coding_notes.get(c.id, []))
                    if c.memo:
                        g = guids.derive(pr.name, "coding-memo", c.id)
                        coding_memo_notes.append(
                            RefiNote(
                                g,
                                "coding memo",
                                c.memo,
                                coder_guid.get(c.coder_id),
                                {"kind": "coding-memo"},
                            )
                        )
                        refs.insert(0, g)
                    sel.codings.append(
                        RefiCoding(
                            self._guid(known, "coding", c.id),
                            code_guid[c.code_id],
                            coder_guid[c.coder_id],
                            refs,
                            {"starred": True} if c.starred else {},
                        )
                    )
                p.sources.append(src)
            p.notes.extend(coding_memo_notes)
            for s in conn.execute(
                select(t.doc_set).where(t.doc_set.c.project_id == pid).order_by(t.doc_set.c.id)
            ):
                members = list(
                    conn.scalars(
                        select(t.doc_set_member.c.member_id).where(
                            t.doc_set_member.c.set_id == s.id
                        )
                    )
                )
                rs = RefiSet(self._guid(known, "set", s.id), s.name, s.description or "")
                if s.member_type == "documents":
                    rs.sources = [doc_guid[m] for m in members if m in doc_guid]
                elif s.member_type == "codes":
                    rs.codes = [code_guid[m] for m in members if m in code_guid]
                p.sets.append(rs)
            lost = []
            for table, label in NOT_EXPORTED.items():
                tab = getattr(t, table)
                col = tab.c.document_id if table == "turn" else tab.c.project_id
                ids = [d.id for d in docs] if table == "turn" else [pid]
                from sqlalchemy import func

                n = (
                    conn.scalar(select(func.count()).select_from(tab).where(col.in_(ids)))
                    if ids
                    else 0
                )
                if n:
                    lost.append(f"{n} {label}")
            for s in conn.execute(
                select(t.doc_set.c.name).where(
                    t.doc_set.c.project_id == pid, t.doc_set.c.member_type == "cases"
                )
            ):
                lost.append(f"case set {s.name!r} (REFI sets hold codes, sources and notes only)")
        return p, lost

    def export(self, path: str | Path) -> RefiExportReport:
        from thematica.interop.refi_export import write_qdpx

        p, lost = self.build()
        write_qdpx(p, path)
        counts = {
            "sources": len(p.sources),
            "codes": _count_codes(p.codes),
            "codings": sum(len(s.codings) for src in p.sources for s in src.selections),
            "users": len(p.users),
            "cases": len(p.cases),
            "variables": len(p.variables),
            "notes": len(p.notes),
            "sets": len([s for s in p.sets if s.codes or s.sources]),
        }
        return RefiExportReport(str(path), counts, lost)

    # -- codebooks ----------------------------------------------------------------------
    def codebook_specs(self, path: str | Path) -> list[CodeSpec]:
        """A ``.qdc`` file as codebook specs (for ``Codebook.read_file``)."""
        codes, _sets, _origin = read_qdc(path)
        levels = self.project.sem_levels

        def conv(items: list[RefiCode]) -> list[CodeSpec]:
            out: list[CodeSpec] = []
            taken: set[str] = set()
            for c in items:
                fields = {
                    k: v
                    for k, v in c.extra.items()
                    if k in ("inclusion", "exclusion", "example", "origin", "sem_level", "memo")
                }
                fields["definition"] = c.description
                if c.colour:
                    fields["colour"] = c.colour
                clean = check_fields(fields, levels, c.name)
                spec = CodeSpec(name=_unique(_code_name(c.name), taken, 300), **clean)  # type: ignore[arg-type]
                spec.children = conv(c.children)
                out.append(spec)
            return out

        return conv(codes)

    def export_codebook(self, path: str | Path) -> Path:
        from thematica import __version__ as version
        from thematica.interop.refi_export import write_qdc

        with self.project.db.read() as conn:
            known = self._guid_map(conn)
            codes = self._code_tree(conn, known)
            memos = {
                r.id: r.memo
                for r in conn.execute(
                    select(t.code.c.id, t.code.c.memo).where(
                        t.code.c.project_id == self.project.id, t.code.c.memo != ""
                    )
                )
            }
            rev = {v: k for (kind, k), v in known.items() if kind == "code"}
            for c in _iter_codes(codes):
                cid = rev.get(c.guid)
                if cid is None:
                    cid = _derived_id(c.guid, self.project.name, memos)
                if cid in memos:
                    c.extra["memo"] = memos[cid]
        return write_qdc(codes, [], path, f"Thematica {version}")


def _derived_id(guid: str, project: str, memos: dict[int, str]) -> int | None:
    for cid in memos:
        if guids.derive(project, "code", cid) == guid:
            return cid
    return None


def _iter_codes(codes: list[RefiCode]) -> Any:
    for c in codes:
        yield c
        yield from _iter_codes(c.children)


def _count_codes(codes: list[RefiCode]) -> int:
    return sum(1 + _count_codes(c.children) for c in codes)
