"""Editing the codebook as a team: revisions that refuse a stale edit, merge and split.

A mixin of :class:`thematica.services.codebook.Codebook` (as ``BulkCoding`` is of ``Coding``).

Every change to a code bumps its ``revision``. A caller that loaded a code and edits it says
which revision it edited (``revision=``); when someone else changed the code meanwhile the edit
is refused with :class:`~thematica.core.errors.StaleEdit`, saying who changed it and what is
there now — never a silent overwrite. The check and the bump are one compare-and-set
(``UPDATE … WHERE id = ? AND revision = ?``) inside the write transaction, so of two people
saving against the same revision exactly one wins. Callers that give no revision (the command
line, scripts) edit whatever is stored, as before.

Merge and split follow NVivo: merging moves the source's codings (references) into the target,
collapsing a coding the target already has for the same coder and span into one (memos kept),
moves the source's subcodes under the target, relinks its themes, code memos and code sets,
and removes the source. Splitting creates a sibling (or a subcode) and moves the chosen codings
to it. Each is one transaction with one codebook-history row and one audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, func, select

from thematica.core.access import Operation
from thematica.core.codebook import FIELDS, FieldValue, check_name, join_path
from thematica.core.errors import ConflictError, InputError, NotFoundError, StaleEdit
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.code_index import CodeIndex
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import ChangeRow
    from thematica.services.project import Project

__all__ = ["CodeEntry", "CodebookEdits", "MergeReport", "SplitReport", "describe_change"]

#: ids per ``IN (...)`` list
CHUNK = 500


@dataclass(slots=True)
class CodeEntry:
    """One code with its id and revision: what an editor loads before changing it."""

    id: int
    parent_id: int | None
    path: str
    name: str
    depth: int
    definition: str
    inclusion: str
    exclusion: str
    example: str
    origin: str | None
    sem_level: str | None
    colour: str | None
    memo: str
    exclusive: bool
    revision: int
    #: codings of this code itself (its subcodes' are theirs)
    codings: int
    #: direct subcodes
    subcodes: int
    #: codings of the code and all its subcodes
    total_codings: int = 0
    #: ids of the direct subcodes, in order
    children: list[int] = field(default_factory=list)


@dataclass(slots=True)
class MergeReport:
    source: str
    target: str
    #: source codings that became codings of the target
    moved: int
    #: source codings the target already had (same coder, document and span): collapsed
    collapsed: int
    #: the moved subcodes' new paths
    subcodes: list[str]
    #: theme links moved from the source to the target
    themes: int
    #: memos on the source code now on the target
    memos: int
    revision: int


@dataclass(slots=True)
class SplitReport:
    code: str
    new: str
    new_id: int
    moved: int
    revision: int


def lock_codes(conn: Connection, ids: Sequence[int]) -> None:
    """Lock these codes' rows until the transaction ends (``SELECT … FOR UPDATE``; nothing on
    SQLite, whose writers queue anyway). Coding with a code takes a share lock on its row
    (the foreign key), so on PostgreSQL a coding being added at this moment either commits
    first, and is then seen by what follows, or waits and finds the code gone (a
    :class:`ConflictError` worded by ``Database.write``), never lost to the cascade."""
    k = t.code.c
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), 1000):
        conn.execute(
            select(k.id).where(k.id.in_(wanted[i : i + 1000])).order_by(k.id).with_for_update()
        )


def _short(value: str | None, limit: int = 60) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_change(action: str, field: str | None, old: str | None, new: str | None) -> str:
    """One codebook-history row in words ("renamed it from 'A' to 'B'")."""
    if action == "rename":
        return f"renamed it from {old!r} to {new!r}"
    if action == "update":
        if field == "exclusive":
            exclusive = (new or "").lower() in {"true", "1"}
            return "marked its subcodes exclusive" if exclusive else "unmarked its subcodes"
        return f"set its {field} to {_short(new)!r}" if new else f"cleared its {field}"
    if action == "move":
        return f"moved it under {new!r}" if new else "moved it to the top level"
    if action == "merge":
        return f"merged {old!r} into it ({new})"
    if action == "split":
        return f"split {old or 'codings'} off it into {new!r}"
    if action == "create":
        return "created it"
    if action == "delete":
        return "removed it"
    return action


def _when(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _join_memos(kept: str | None, other: str | None) -> str | None:
    kept, other = (kept or "").strip(), (other or "").strip()
    if not other or other == kept:
        return kept or None
    return f"{kept}\n\n{other}" if kept else other


class CodebookEdits:
    """Revisions, code lookup by id, merge and split: a mixin of ``Codebook``."""

    project: Project

    if TYPE_CHECKING:

        def index(self, conn: Connection | None = None) -> CodeIndex: ...

        def _record(
            self,
            conn: Connection,
            action: str,
            path: str,
            code_id: int | None,
            field: str | None = None,
            old: Any = None,
            new: Any = None,
            actor: str | None = None,
        ) -> None: ...

        def _create(
            self,
            conn: Connection,
            index: CodeIndex,
            name: str,
            parent_id: int | None,
            values: dict[str, FieldValue],
            actor: str | None,
        ) -> int: ...

    # -- revisions ----------------------------------------------------------------------
    def _resolve_code(self, conn: Connection, index: CodeIndex, ref: str | int) -> int:
        """A code by id (an int) or by path or unique name (a str)."""
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise InputError(f"a code is named by its path or id, not {ref!r}")
        if isinstance(ref, str):
            return index.resolve(ref)
        if ref in index.rows:
            return ref
        gone = self._last_change(conn, ref)
        if gone is not None and gone.action == "delete":
            raise NotFoundError(
                f"the code {gone.code_path!r} was removed by {gone.actor or 'someone'} "
                f"at {_when(gone.at)}",
                code_id=ref,
                changed_by=gone.actor,
            )
        raise NotFoundError(f"no code with id {ref} in the codebook", code_id=ref)

    def _last_change(self, conn: Connection, cid: int) -> Any:
        c = t.codebook_change.c
        return conn.execute(
            select(t.codebook_change)
            .where(c.project_id == self.project.id, c.code_id == cid)
            .order_by(c.id.desc())
            .limit(1)
        ).first()

    def _current(self, index: CodeIndex, cid: int) -> dict[str, Any]:
        row = index.rows[cid]
        return {
            "id": cid,
            "path": index.paths[cid],
            "name": row.name,
            "parent_id": row.parent_id,
            **{f: getattr(row, f) for f in FIELDS},
            "exclusive": bool(row.exclusive),
            "revision": int(row.revision),
        }

    def _stale(self, conn: Connection, cid: int, expected: int | None) -> StaleEdit:
        index = self.index(conn)  # read again: what is committed now
        if cid not in index.rows:
            self._resolve_code(conn, index, cid)  # raises NotFoundError saying who removed it
        current = self._current(index, cid)
        last = self._last_change(conn, cid)
        who = (last.actor if last is not None else None) or "someone"
        what = (
            describe_change(last.action, last.field, last.old_value, last.new_value)
            if last is not None
            else "changed it"
        )
        when = f" at {_when(last.at)}" if last is not None else ""
        return StaleEdit(
            f"{current['path']!r} was changed meanwhile by {who}{when}: {what}. Your edit was "
            f"made on revision {expected}, it is now revision {current['revision']}; "
            "reload it and apply your edit again",
            code_id=cid,
            expected=expected,
            revision=current["revision"],
            changed_by=who,
            change=what,
            current=current,
            current_name=current["name"],
            current_path=current["path"],
        )

    def _check_revision(
        self, conn: Connection, index: CodeIndex, cid: int, revision: int | None
    ) -> None:
        """Refuse early (before other checks) an edit made on an older revision."""
        if revision is not None and int(index.rows[cid].revision) != int(revision):
            raise self._stale(conn, cid, revision)

    def _bump(self, conn: Connection, cid: int, revision: int | None = None) -> int:
        """Bump the code's revision; with ``revision`` only if that is still the stored one
        (compare-and-set: the row is locked until the transaction ends). Returns the new one."""
        c = t.code.c
        stmt = t.code.update().where(c.id == cid, c.project_id == self.project.id)
        if revision is not None:
            stmt = stmt.where(c.revision == int(revision))
        if conn.execute(stmt.values(revision=c.revision + 1)).rowcount != 1:
            raise self._stale(conn, cid, revision)
        return int(conn.scalar(select(c.revision).where(c.id == cid)) or 0)

    def _renew_reused_id(self, conn: Connection, cid: int) -> None:
        """SQLite may give a new code the id of the last one removed: start its revision
        above any the removed code had (each bump left at least one history row), so an
        editor still holding the removed code cannot save onto the new one."""
        c = t.codebook_change.c
        earlier = conn.scalar(
            select(func.count()).where(c.project_id == self.project.id, c.code_id == cid)
        )
        if earlier:
            conn.execute(
                t.code.update().where(t.code.c.id == cid).values(revision=int(earlier) + 1)
            )

    # -- reading ------------------------------------------------------------------------
    def _entries(self, conn: Connection, only: int | None = None) -> list[CodeEntry]:
        index = self.index(conn)
        c = t.coding.c
        stmt = (
            select(c.code_id, func.count())
            .where(c.project_id == self.project.id)
            .group_by(c.code_id)
        )
        counts: dict[int, int] = {int(k): int(n) for k, n in conn.execute(stmt).all()}
        out: list[CodeEntry] = []
        for cid in index.depth_first() if only is None else [only]:
            row = index.rows[cid]
            kids = list(index.children.get(cid, []))
            out.append(
                CodeEntry(
                    id=cid,
                    parent_id=row.parent_id,
                    path=index.paths[cid],
                    name=row.name,
                    depth=index.depth(cid),
                    definition=row.definition or "",
                    inclusion=row.inclusion or "",
                    exclusion=row.exclusion or "",
                    example=row.example or "",
                    origin=row.origin,
                    sem_level=row.sem_level,
                    colour=row.colour,
                    memo=row.memo or "",
                    exclusive=bool(row.exclusive),
                    revision=int(row.revision),
                    codings=counts.get(cid, 0),
                    subcodes=len(kids),
                    total_codings=sum(counts.get(s, 0) for s in index.subtree(cid)),
                    children=kids,
                )
            )
        return out

    @requires(Operation.READ)
    def entries(self) -> Table[CodeEntry]:
        """Every code, depth first, with its id, parent id, revision and coding counts."""
        with self.project.db.read() as conn:
            return Table.of(CodeEntry, self._entries(conn), title="Codebook")

    @requires(Operation.READ)
    def get_by_id(self, code_id: int) -> CodeEntry:
        """One code by its id, with its revision (what an editor sends back with a change)."""
        with self.project.db.read() as conn:
            cid = self._resolve_code(conn, self.index(conn), int(code_id))
            return self._entries(conn, cid)[0]

    @requires(Operation.READ)
    def code_history(self, code: str | int) -> Table[ChangeRow]:
        """The codebook history of one code (by path or id), oldest first."""
        from thematica.services.codebook import ChangeRow

        c = t.codebook_change.c
        with self.project.db.read() as conn:
            cid = self._resolve_code(conn, self.index(conn), code)
            found = list(
                conn.execute(
                    select(t.codebook_change)
                    .where(c.project_id == self.project.id, c.code_id == cid)
                    .order_by(c.id)
                )
            )
        # from its creation on: SQLite may have given it the id of a code removed earlier
        born = max((i for i, r in enumerate(found) if r.action == "create"), default=0)
        rows = [
            ChangeRow(
                r.at.isoformat(timespec="seconds"),
                r.action,
                r.code_path,
                r.field,
                r.old_value,
                r.new_value,
                r.actor,
            )
            for r in found[born:]
        ]
        return Table.of(ChangeRow, rows, title="Code history")

    # -- merge --------------------------------------------------------------------------
    @requires(Operation.CODEBOOK)
    def merge(
        self,
        source: str | int,
        target: str | int,
        *,
        revision: int | None = None,
        actor: str | None = None,
    ) -> MergeReport:
        """Merge ``source`` into ``target``: its codings become the target's (a coding the
        target already has for the same coder, document and span is collapsed into that one,
        memos kept), its subcodes move under the target, its themes, memos and code sets
        follow, and the source is removed. ``revision``: the source's revision edited."""
        from thematica.services.codebook import _check_free_path

        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)
            sid = self._resolve_code(conn, index, source)
            tid = self._resolve_code(conn, index, target)
            spath, tpath = index.paths[sid], index.paths[tid]
            if sid == tid:
                raise InputError(f"cannot merge {spath!r} into itself")
            if tid in index.subtree(sid):
                raise InputError(f"cannot merge {spath!r} into its own subcode {tpath!r}")
            lock_codes(conn, [sid, tid])  # before moving codings: none added meanwhile is lost
            self._check_revision(conn, index, sid, revision)
            children = list(index.children.get(sid, []))
            taken = {index.rows[k].name.casefold() for k in index.children.get(tid, [])}
            for child in children:
                name = index.rows[child].name
                if name.casefold() in taken:
                    raise ConflictError(
                        f"{tpath!r} already has a subcode named {name!r}; merge or rename "
                        "one of the two first",
                        code=spath,
                        target=tpath,
                    )
                _check_free_path(index, tid, name, child)
            moved, collapsed = self._move_codings(conn, sid, tid)
            first = len(index.children.get(tid, []))
            moved_paths = []
            for i, child in enumerate(children):
                conn.execute(
                    t.code.update()
                    .where(t.code.c.id == child)
                    .values(parent_id=tid, position=first + i, revision=t.code.c.revision + 1)
                )
                moved_paths.append(join_path([tpath, index.rows[child].name]))
            themes = self._relink(conn, sid, tid)
            memos = conn.execute(
                t.memo.update()
                .where(
                    t.memo.c.project_id == self.project.id,
                    t.memo.c.target_type == "code",
                    t.memo.c.target_id == sid,
                )
                .values(target_id=tid)
            ).rowcount
            self._bump(conn, sid, revision)  # compare-and-set on the source, then remove it
            conn.execute(delete(t.code).where(t.code.c.id == sid))
            new_revision = self._bump(conn, tid)
            summary = f"{moved + collapsed} codings"
            if collapsed:
                summary += f", {collapsed} of them already there"
            if children:
                summary += f", {len(children)} subcodes"
            self._record(conn, "merge", tpath, tid, "source", spath, summary, actor)
            source_row = index.rows[sid]
            self.project.audit(
                conn,
                "merge_codes",
                on_behalf_of=actor,
                source=spath,
                target=tpath,
                codings=moved + collapsed,
                moved=moved,
                collapsed=collapsed,
                subcodes=moved_paths,
                themes=themes,
                memos=int(memos),
                source_fields={f: getattr(source_row, f) for f in FIELDS if getattr(source_row, f)},
            )
            return MergeReport(
                spath, tpath, moved, collapsed, moved_paths, themes, int(memos), new_revision
            )

    def _move_codings(self, conn: Connection, sid: int, tid: int) -> tuple[int, int]:
        """Re-point the source's codings to the target; collapse those the target has."""
        c = t.coding.c
        cols = (c.id, c.document_id, c.coder_id, c.start, c.end, c.memo, c.starred)
        pid = self.project.id
        src = conn.execute(select(*cols).where(c.project_id == pid, c.code_id == sid)).all()
        have = {
            (r.document_id, r.coder_id, r.start, r.end): r
            for r in conn.execute(select(*cols).where(c.project_id == pid, c.code_id == tid))
        }
        remap: dict[int, int] = {}
        move: list[int] = []
        for r in src:
            kept = have.get((r.document_id, r.coder_id, r.start, r.end))
            if kept is None:
                move.append(int(r.id))
                continue
            remap[int(r.id)] = int(kept.id)
            memo = _join_memos(kept.memo, r.memo)
            starred = bool(kept.starred) or bool(r.starred)
            if memo != (kept.memo or None) or starred != bool(kept.starred):
                conn.execute(
                    t.coding.update().where(c.id == kept.id).values(memo=memo, starred=starred)
                )
        for i in range(0, len(move), CHUNK):
            conn.execute(t.coding.update().where(c.id.in_(move[i : i + CHUNK])).values(code_id=tid))
        if remap:
            self._remap_codings(conn, remap)
        return len(move), len(remap)

    def _remap_codings(self, conn: Connection, remap: dict[int, int]) -> None:
        """Point what referred to collapsed codings (memos, matrix links) at the kept ones,
        then delete the collapsed codings."""
        m = t.memo.c
        for old, new in remap.items():
            conn.execute(
                t.memo.update()
                .where(
                    m.project_id == self.project.id,
                    m.target_type == "coding",
                    m.target_id == old,
                )
                .values(target_id=new)
            )
        gone = sorted(remap)
        x = t.external_id.c
        for i in range(0, len(gone), CHUNK):
            part = gone[i : i + CHUNK]
            conn.execute(
                delete(t.external_id).where(
                    x.project_id == self.project.id,
                    x.entity_type == "coding",
                    x.entity_id.in_(part),
                )
            )
            conn.execute(delete(t.coding).where(t.coding.c.id.in_(part)))
        mc = t.matrix_cell.c
        cells = conn.execute(
            select(mc.id, mc.links)
            .join(t.matrix, t.matrix.c.id == mc.matrix_id)
            .where(t.matrix.c.project_id == self.project.id)
        ).all()
        for cell in cells:
            links = [int(i) for i in cell.links or []]
            if not any(i in remap for i in links):
                continue
            fixed: list[int] = []
            for i in links:
                j = remap.get(i, i)
                if j not in fixed:
                    fixed.append(j)
            conn.execute(t.matrix_cell.update().where(mc.id == cell.id).values(links=fixed))

    def _relink(self, conn: Connection, sid: int, tid: int) -> int:
        """Themes and code sets of the source now hold the target; its external id goes."""
        tc = t.theme_code.c
        themes = set(conn.scalars(select(tc.theme_id).where(tc.code_id == sid)))
        already = set(conn.scalars(select(tc.theme_id).where(tc.code_id == tid)))
        conn.execute(delete(t.theme_code).where(tc.code_id == sid))
        new = sorted(themes - already)
        for theme_id in new:
            conn.execute(t.theme_code.insert().values(theme_id=theme_id, code_id=tid))
        sets = select(t.doc_set.c.id).where(
            t.doc_set.c.project_id == self.project.id, t.doc_set.c.member_type == "codes"
        )
        dm = t.doc_set_member.c
        for set_id in list(conn.scalars(sets)):
            members = set(conn.scalars(select(dm.member_id).where(dm.set_id == set_id)))
            if sid not in members:
                continue
            conn.execute(
                delete(t.doc_set_member).where(and_(dm.set_id == set_id, dm.member_id == sid))
            )
            if tid not in members:
                conn.execute(t.doc_set_member.insert().values(set_id=set_id, member_id=tid))
        x = t.external_id.c
        conn.execute(
            delete(t.external_id).where(
                x.project_id == self.project.id, x.entity_type == "code", x.entity_id == sid
            )
        )
        return len(themes)

    # -- split --------------------------------------------------------------------------
    @requires(Operation.CODEBOOK)
    def split(
        self,
        code: str | int,
        new_name: str,
        codings: Sequence[int],
        *,
        child: bool = False,
        copy_definition: bool = False,
        revision: int | None = None,
        actor: str | None = None,
    ) -> SplitReport:
        """Split an overloaded code: create ``new_name`` beside it (``child``: under it) and
        move the chosen ``codings`` (ids, each a coding of exactly this code) to it.

        The new code takes the code's SEM level and origin; ``copy_definition`` also copies
        its definition, inclusion and exclusion criteria and example (else they start blank).
        """
        name = check_name(new_name)
        wanted = sorted({int(i) for i in codings})
        if not wanted:
            raise InputError("choose at least one coding to move to the new code")
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)
            cid = self._resolve_code(conn, index, code)
            path = index.paths[cid]
            lock_codes(conn, [cid])
            self._check_revision(conn, index, cid, revision)
            c = t.coding.c
            found: set[int] = set()
            for i in range(0, len(wanted), CHUNK):
                found.update(
                    int(v)
                    for v in conn.scalars(
                        select(c.id)
                        .where(
                            c.project_id == self.project.id,
                            c.code_id == cid,
                            c.id.in_(wanted[i : i + CHUNK]),
                        )
                        .with_for_update()  # the chosen codings stay this code's until moved
                    )
                )
            missing = [i for i in wanted if i not in found]
            if missing:
                shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
                raise InputError(
                    f"{len(missing)} of the chosen codings are not codings of {path!r}: {shown}",
                    code=path,
                    codings=missing[:100],
                )
            row = index.rows[cid]
            values: dict[str, FieldValue] = {"sem_level": row.sem_level, "origin": row.origin}
            if copy_definition:
                values.update({f: getattr(row, f) for f in FIELDS[:4]})
            parent_id = cid if child else row.parent_id
            new_id = self._create(conn, index, name, parent_id, values, actor)
            for i in range(0, len(wanted), CHUNK):
                conn.execute(
                    t.coding.update().where(c.id.in_(wanted[i : i + CHUNK])).values(code_id=new_id)
                )
            new_revision = self._bump(conn, cid, revision)
            new_path = index.paths[new_id]
            self._record(
                conn, "split", path, cid, "codings", f"{len(wanted)} codings", new_path, actor
            )
            self.project.audit(
                conn,
                "split_code",
                on_behalf_of=actor,
                path=path,
                new=new_path,
                moved=len(wanted),
                codings=wanted[:1000],
                child=bool(child),
                copy_definition=bool(copy_definition),
            )
            return SplitReport(path, new_path, new_id, len(wanted), new_revision)
