"""Reading the codings to compare: documents, codes and each coder's codings of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from thematica.core.errors import InputError, NotFoundError
from thematica.core.segments import Segment
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


@dataclass(slots=True)
class Doc:
    id: int
    name: str
    length: int
    text: str
    offset: int = 0


@dataclass(slots=True)
class Data:
    coders: list[str]  # names, in the order asked for
    coder_ids: list[int]
    docs: list[Doc]
    codes: list[int]  # code ids, depth-first
    paths: dict[int, str]
    top: dict[int, int]  # code id -> its top-level ancestor
    # per coder index: list of (document_id, code_id, start, end, coding_id)
    codings: list[list[tuple[int, int, int, int, int]]]
    turns: dict[int, list[tuple[int, int]]]


def coder_names(coders: str | Sequence[str]) -> list[str]:
    if isinstance(coders, str):
        raw = coders.split(",")
    else:
        raw = [part for item in coders for part in str(item).split(",")]
    names = list(dict.fromkeys(n.strip() for n in raw if n.strip()))
    if [n.lower() for n in names] == ["all"]:
        return names
    if len(names) < 2:
        raise InputError(f"agreement needs at least 2 coders, got {len(names)}", hint="coders")
    return names


def load_data(
    project: Project,
    names: list[str],
    unit: str,
    documents: Sequence[str] | None,
    codes: Sequence[str] | None,
) -> tuple[Data, list[dict[str, Any]]]:
    """The codings of ``names`` to compare, and the codebook snapshot they were read with."""
    pid = project.id
    with project.db.read() as conn:
        d = t.document.c
        doc_stmt = (
            select(d.id, d.name, d.length, d.text).where(d.project_id == pid).order_by(d.name)
        )
        all_docs = [Doc(r.id, r.name, r.length, r.text) for r in conn.execute(doc_stmt)]
        if not all_docs:
            raise InputError(f"project {project.name!r} has no documents to compare")
        if documents:
            by_name = {doc.name: doc for doc in all_docs}
            missing = [n for n in documents if n not in by_name]
            if missing:
                raise NotFoundError(
                    f"no document named {', '.join(map(repr, missing))} in project {project.name!r}"
                )
            wanted = set(documents)
            docs = [doc for doc in all_docs if doc.name in wanted]
        else:
            docs = all_docs
        coder_map = project.coding.coder_ids(conn, names)
        index = project.codebook.index(conn)
        if not index.rows:
            raise InputError("the codebook has no codes to compare")
        if codes:
            chosen: dict[int, None] = {}
            for term in codes:
                for cid in index.subtree(index.resolve(term)):
                    chosen[cid] = None
            order = {cid: n for n, cid in enumerate(index.depth_first())}
            code_ids = sorted(chosen, key=order.__getitem__)
        else:
            code_ids = index.depth_first()
        top: dict[int, int] = {}
        for cid in code_ids:
            root = cid
            while index.rows[root].parent_id is not None:
                root = index.rows[root].parent_id
            top[cid] = root
        c = t.coding.c
        stmt = select(c.coder_id, c.document_id, c.code_id, c.start, c.end, c.id).where(
            c.project_id == pid, c.coder_id.in_(list(coder_map))
        )
        if documents:
            stmt = stmt.where(c.document_id.in_([doc.id for doc in docs]))
        if codes:
            stmt = stmt.where(c.code_id.in_(code_ids))
        position = {cid: n for n, cid in enumerate(coder_map)}
        per_coder: list[list[tuple[int, int, int, int, int]]] = [[] for _ in coder_map]
        doc_ids = {doc.id for doc in docs}
        code_set = set(code_ids)
        for coder_id, doc_id, code_id, start, end, coding_id in conn.execute(stmt):
            if doc_id in doc_ids and code_id in code_set:
                per_coder[position[coder_id]].append((doc_id, code_id, start, end, coding_id))
        turns: dict[int, list[tuple[int, int]]] = defaultdict(list)
        if unit == "turn":
            tc = t.turn.c
            for doc_id, start, end in conn.execute(
                select(tc.document_id, tc.start, tc.end)
                .join(t.document, t.document.c.id == tc.document_id)
                .where(t.document.c.project_id == pid)
                .order_by(tc.document_id, tc.start)
            ):
                if doc_id in doc_ids and end > start:
                    turns[doc_id].append((start, end))
        snapshot = index.snapshot()
    offset = 0
    for doc in docs:
        doc.offset = offset
        offset += doc.length
    data = Data(
        coders=list(coder_map.values()),
        coder_ids=list(coder_map),
        docs=docs,
        codes=code_ids,
        paths={cid: index.paths[cid] for cid in code_ids},
        top=top,
        codings=per_coder,
        turns=dict(turns),
    )
    if len(data.coders) < 2:
        raise InputError("agreement needs at least 2 coders", hint="coders")
    return data, snapshot


# -- views of the loaded codings ----------------------------------------------------------
def pairs(m: int) -> list[tuple[int, int]]:
    """Every pair of coder indexes ``(i, j)`` with ``i < j``."""
    return [(i, j) for i in range(m) for j in range(i + 1, m)]


def segments(data: Data, k: int) -> list[Segment]:
    """Coder ``k``'s codings as segments."""
    return [Segment(cid, doc, code, s, e) for doc, code, s, e, cid in data.codings[k]]


def counts(data: Data) -> dict[int, list[int]]:
    """Per code: each coder's number of codings."""
    out = {cid: [0] * len(data.coders) for cid in data.codes}
    for k, rows in enumerate(data.codings):
        for _doc, code, _s, _e, _id in rows:
            out[code][k] += 1
    return out


def doc_counts(data: Data) -> dict[int, list[int]]:
    """Per document: each coder's number of codings."""
    out = {doc.id: [0] * len(data.coders) for doc in data.docs}
    for k, rows in enumerate(data.codings):
        for doc, _code, _s, _e, _id in rows:
            out[doc][k] += 1
    return out
