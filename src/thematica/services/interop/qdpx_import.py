"""Creating a project from a ``.qdpx`` file: the parsed REFI project stored in one transaction.

Cases are created before documents so each document is inserted with its case; documents go in
a batch at a time with their speaker turns, codings a batch of sources at a time through the
driver (:mod:`.bulk_insert`), and every GUID read is kept in ``external_id`` so a later export
writes it back. What it cannot store is reported (``skipped``, ``messages``) rather than dropped
silently.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from thematica.core.codebook import check_fields
from thematica.core.errors import ConflictError, InputError
from thematica.core.models import AttributeType
from thematica.interop import guids
from thematica.interop.refi_import import read_qdpx
from thematica.interop.refi_model import RefiCode, RefiProject, RefiSelection
from thematica.services.interop.bulk_insert import BATCH_ROWS, bound, bulk_insert, raw_rows
from thematica.services.interop.shared import code_name, unique_name
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


#: Documents per multi-row insert (their texts are in memory already).
_DOC_BATCH = 100


def import_qdpx(
    db: DbArg, path: str | Path, name: str | None = None, *, actor: str | None = None
) -> RefiImportReport:
    """Create a new project in ``db`` from a ``.qdpx``; everything lands or nothing does.

    The person importing (``actor``, default :func:`current_user_name`) becomes its owner, as
    with ``init``, and the imported codebook is saved as its first codebook version ("imported
    from FILE.qdpx"), so later edits can be compared with what came in.
    """
    from thematica.core.access import Actor, Role
    from thematica.services.project import Project, default_settings, insert_project
    from thematica.store import open_database

    parsed = read_qdpx(path)
    pname = (name or parsed.name or Path(path).stem).strip()[:200]
    if not pname:
        raise InputError("the imported project needs a name", hint="name")
    database = open_database(db, create=True)
    try:
        with database.read() as conn:
            if conn.scalar(select(t.project.c.id).where(t.project.c.name == pname)) is not None:
                raise ConflictError(
                    f"{database.label} already has a project named {pname!r}; choose another name",
                    project=pname,
                    hint="name",
                )
        settings = default_settings()
        for key in ("sem_levels", "speaker_pattern", "case_pattern"):
            if key in parsed.extra:
                settings[key] = parsed.extra[key]
        with database.write() as conn:
            pid, creator = insert_project(conn, pname, settings, actor)
            project = Project(database, pid, pname, settings, Actor(creator, Role.OWNER))
            report = _Store(project, conn, parsed).run()
            version = _first_version(project, conn, Path(path).name)
            project.audit(
                conn,
                "import_qdpx",
                source=str(path),
                counts=dict(report.counts),
                codebook_version=version,
            )
        return report
    finally:
        database.dispose()


def _first_version(project: Project, conn: Connection, file_name: str) -> str:
    """Save the imported codebook as the project's first codebook version (as ``codebook
    freeze`` does); returns the version's name."""
    from thematica.services.project import now

    snapshot = project.codebook.index(conn).snapshot()
    name = f"imported from {file_name}"[:200]
    conn.execute(
        insert(t.codebook_version).values(
            project_id=project.id,
            name=name,
            note=f"the codebook as imported from {file_name}"[:2000],
            snapshot=snapshot,
            created_at=now(),
        )
    )
    project.audit(conn, "freeze_codebook", version=name, codes=len(snapshot))
    return name


class _Store:
    """One import's writes: the parsed project into the new project's rows, on ``conn``."""

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
            bulk_insert(
                self.conn,
                t.external_id,
                ("project_id", "entity_type", "entity_id", "guid"),
                self.ext,
            )
            self.ext = []

    def run(self) -> RefiImportReport:
        from thematica.core.text import detect_turns
        from thematica.interop.refi_turns import turns_from_extra

        p, conn = self.p, self.conn
        counts = dict.fromkeys(COUNT_KEYS, 0)
        # users -> coders
        self.coders: dict[str, int] = {}
        taken: set[str] = set()
        for u in p.users:
            cname = unique_name(" ".join(u.name.split()) or f"user {u.guid[:8]}", taken, 200)
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
            aname = unique_name(v.name or f"variable {v.guid[:8]}", taken, 200)
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
                dname = unique_name(
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
                turns = turns_from_extra(src.extra, len(text)) or (
                    detect_turns(text, speaker_pattern) if text.strip() else []
                )
                turn_rows += [
                    (did, n, tr.start, tr.end, tr.speaker, tr.time_start, tr.time_end)
                    for n, tr in enumerate(turns)
                ]
            if turn_rows:
                bulk_insert(self.conn, t.turn, turn_cols, turn_rows)
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
        created = bound(conn, t.coding.c.created_at, self.now)

        def flush() -> None:
            if not batch:
                return
            bulk_insert(
                self.conn,
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
            ids = {(d, c, u, a, b): i for i, d, c, u, a, b in raw_rows(self.conn, query)}
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
            if len(self.ext) >= BATCH_ROWS:
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
            if len(batch) >= BATCH_ROWS:
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
            name = unique_name(code_name(c.name), taken, 300)
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
                    unique_name(s.name or f"set {s.guid[:8]}", taken, 300)
                    if not made
                    else unique_name(f"{s.name} ({kind})", taken, 300)
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
