"""Writing a project as a ``.qdpx`` file: the store read into REFI dataclasses, then written.

``project.refi`` (:class:`Refi`) is the entry point for both REFI-QDA file kinds; its ``.qdc``
codebook methods live in :mod:`.qdc_codebook`. What REFI-QDA cannot carry is counted and listed
in every export report rather than lost silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.codebook import CodeSpec
from thematica.core.models import Turn
from thematica.interop import guids
from thematica.interop.refi_model import (
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
)
from thematica.interop.refi_turns import turns_extra
from thematica.services.access import requires
from thematica.services.interop import qdc_codebook
from thematica.services.interop.shared import code_tree, guid_map, guid_of
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

#: What a Thematica project holds that REFI-QDA cannot carry; listed in every export report.
NOT_EXPORTED = {
    "consensus_decision": "consensus decisions",
    "theme": "themes",
    "matrix": "framework matrices",
    "agreement_run": "agreement runs",
    "codebook_version": "frozen codebook versions",
    "codebook_change": "codebook change history",
    "turn": "speaker turns of untimed documents (re-detected on import)",
}
_VAR_KIND = {
    "categorical": "Text",
    "ordinal": "Text",
    "numeric": "Float",
    "date": "Date",
    "boolean": "Boolean",
}


@dataclass(slots=True)
class RefiExportReport:
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    not_exported: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RefiPackage:
    """A project read for REFI-QDA export, not yet written."""

    project: RefiProject
    counts: dict[str, int] = field(default_factory=dict)
    not_exported: list[str] = field(default_factory=list)


class Refi:
    """``project.refi``: REFI-QDA export of this project and ``.qdc`` codebook files."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.READ)
    def build(self) -> tuple[RefiProject, list[str]]:
        """The project as REFI dataclasses, and what could not be carried."""
        from thematica import __version__ as version

        pr = self.project
        pid = pr.id
        with pr.db.read() as conn:
            known = guid_map(conn, pr)
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
                # the file carries every layer: while blind, only an owner may export it
                pr.access.check_read_layer(r.name, r.kind)
                g = guid_of(pr, known, "coder", r.id)
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
                g = guid_of(pr, known, "memo", m.id)
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
            p.codes = code_tree(conn, pr, known, memo_notes)
            code_guid = {}
            for r in conn.execute(select(t.code.c.id).where(t.code.c.project_id == pid)):
                code_guid[r.id] = guid_of(pr, known, "code", r.id)
            attrs = list(
                conn.execute(
                    select(t.attribute)
                    .where(t.attribute.c.project_id == pid)
                    .order_by(t.attribute.c.position, t.attribute.c.id)
                )
            )
            attr_guid = {}
            for a in attrs:
                g = guid_of(pr, known, "attribute", a.id)
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
            doc_guid = {d.id: guid_of(pr, known, "document", d.id) for d in docs}
            case_docs: dict[int, list[str]] = defaultdict(list)
            for d in docs:
                if d.case_id is not None:
                    case_docs[d.case_id].append(doc_guid[d.id])
            for c in conn.execute(
                select(t.case).where(t.case.c.project_id == pid).order_by(t.case.c.id)
            ):
                p.cases.append(
                    RefiCase(
                        guid_of(pr, known, "case", c.id), c.name, "", values[c.id], case_docs[c.id]
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
            timed = _timed_documents(conn, pid)
            for d in docs:
                text = conn.scalar(select(t.document.c.text).where(t.document.c.id == d.id)) or ""
                src = RefiSource(
                    doc_guid[d.id], d.name, "TextSource", text, note_refs=doc_notes.get(d.id, [])
                )
                if d.id in timed:  # turns with times travel beside the text (refi_turns.py)
                    src.extra = turns_extra(_turns(conn, d.id))
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
                            guid_of(pr, known, "coding", c.id),
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
                rs = RefiSet(guid_of(pr, known, "set", s.id), s.name, s.description or "")
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

                where = [col.in_(ids)]
                if table == "turn":  # a timed document's turns are exported
                    where.append(col.not_in(timed) if timed else col.is_not(None))
                n = conn.scalar(select(func.count()).select_from(tab).where(*where)) if ids else 0
                if n:
                    lost.append(f"{n} {label}")
            timed_here = sum(d.id in timed for d in docs)
            if timed_here:  # REFI gives times only to AudioSource/VideoSource transcripts
                lost.append(
                    f"timestamps of {timed_here} timed document(s) for other tools (NVivo, "
                    "ATLAS.ti get the text only; the times travel to Thematica alone)"
                )
            for s in conn.execute(
                select(t.doc_set.c.name).where(
                    t.doc_set.c.project_id == pid, t.doc_set.c.member_type == "cases"
                )
            ):
                lost.append(f"case set {s.name!r} (REFI sets hold codes, sources and notes only)")
        return p, lost

    @requires(Operation.READ)
    def package(self) -> RefiPackage:
        """The project as REFI dataclasses with what they hold and what they cannot carry;
        :func:`thematica.exporters.project_files.write_qdpx` writes them as a ``.qdpx``."""
        p, lost = self.build()
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
        return RefiPackage(p, counts, lost)

    # -- codebooks ----------------------------------------------------------------------
    @requires(Operation.READ)
    def codebook_specs(self, path: str | Path) -> list[CodeSpec]:
        """A ``.qdc`` file as codebook specs (for ``Codebook.read_file``)."""
        return qdc_codebook.codebook_specs(self.project, path)

    @requires(Operation.READ)
    def codebook_qdc(self) -> bytes:
        """The codebook as a REFI-QDA ``.qdc`` file's bytes."""
        return qdc_codebook.codebook_qdc(self.project)


def _count_codes(codes: list[RefiCode]) -> int:
    return sum(1 + _count_codes(c.children) for c in codes)


def _timed_documents(conn: Connection, pid: int) -> set[int]:
    """Ids of the project's documents with at least one timed turn."""
    tu, d = t.turn.c, t.document.c
    return set(
        conn.scalars(
            select(tu.document_id)
            .distinct()
            .join(t.document, d.id == tu.document_id)
            .where(d.project_id == pid, tu.time_start.is_not(None))
        )
    )


def _turns(conn: Connection, doc_id: int) -> list[Turn]:
    tu = t.turn.c
    return [
        Turn(r.start, r.end, r.speaker, r.time_start, r.time_end)
        for r in conn.execute(
            select(tu.start, tu.end, tu.speaker, tu.time_start, tu.time_end)
            .where(tu.document_id == doc_id)
            .order_by(tu.position)
        )
    ]
