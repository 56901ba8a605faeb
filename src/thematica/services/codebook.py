"""The codebook: a tree of codes with definitions, its change history and frozen versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from thematica.core.access import Operation
from thematica.core.codebook import (
    BOOL_FIELDS,
    FIELDS,
    CodebookChange,
    CodeSpec,
    FieldValue,
    check_fields,
    check_name,
    diff_snapshots,
    join_path,
)
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.code_index import CodeIndex as CodeIndex  # re-exported
from thematica.services.codebook_edits import CodebookEdits, lock_codes
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

#: file suffix -> codebook export format
EXPORT_FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".docx": "docx",
    ".qdc": "qdc",
}


@dataclass(slots=True)
class CodeRow:
    path: str
    name: str
    depth: int
    sem_level: str | None
    origin: str | None
    colour: str | None
    definition: str
    codings: int
    #: the code's direct subcodes are mutually exclusive alternatives
    exclusive: bool = False


@dataclass(slots=True)
class VersionRow:
    version: str
    created_at: str
    codes: int
    note: str


@dataclass(slots=True)
class CodeTreeLine:
    """A code as one line of an indented tree, for terminal display."""

    code: str
    sem_level: str | None
    origin: str | None
    codings: int
    exclusive: str

    @staticmethod
    def of(row: CodeRow) -> CodeTreeLine:
        return CodeTreeLine(
            "    " * row.depth + row.name,
            row.sem_level,
            row.origin,
            row.codings,
            "subcodes" if row.exclusive else "",
        )


@dataclass(slots=True)
class ChangeRow:
    at: str
    action: str
    path: str
    field: str | None
    old: str | None
    new: str | None
    actor: str | None


@dataclass(slots=True)
class CodebookImportReport:
    created: list[str]
    updated: list[str]


class Codebook(CodebookEdits):
    """``project.codebook``; revisions, merge and split are in ``codebook_edits.py``."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def index(self, conn: Connection | None = None) -> CodeIndex:
        stmt = select(t.code).where(t.code.c.project_id == self.project.id)
        if conn is not None:
            return CodeIndex(conn.execute(stmt).all())
        with self.project.db.read() as c:
            return CodeIndex(c.execute(stmt).all())

    @requires(Operation.READ)
    def tree(self) -> Table[CodeRow]:
        with self.project.db.read() as conn:
            index = self.index(conn)
            counts: dict[int, int] = dict(
                conn.execute(
                    select(t.coding.c.code_id, func.count())
                    .where(t.coding.c.project_id == self.project.id)
                    .group_by(t.coding.c.code_id)
                ).all()
            )
        rows = [
            CodeRow(
                path=index.paths[cid],
                name=index.rows[cid].name,
                depth=index.depth(cid),
                sem_level=index.rows[cid].sem_level,
                origin=index.rows[cid].origin,
                colour=index.rows[cid].colour,
                definition=index.rows[cid].definition,
                codings=int(counts.get(cid, 0)),
                exclusive=bool(index.rows[cid].exclusive),
            )
            for cid in index.depth_first()
        ]
        return Table(rows, title="Codebook")

    @requires(Operation.READ)
    def get(self, path: str) -> dict[str, Any]:
        index = self.index()
        cid = index.resolve(path)
        row = index.rows[cid]
        return {
            "id": cid,
            "path": index.paths[cid],
            "name": row.name,
            **{f: getattr(row, f) for f in FIELDS},
        }

    # -- writing ------------------------------------------------------------------------
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
    ) -> None:
        from thematica.services.project import now

        conn.execute(
            insert(t.codebook_change).values(
                project_id=self.project.id,
                code_id=code_id,
                code_path=path,
                action=action,
                field=field,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                # for whom: the name a caller gave, else the acting person (the audit log's
                # entry always names the acting person)
                actor=actor or self.project.access.name,
                at=now(),
            )
        )

    def _create(
        self,
        conn: Connection,
        index: CodeIndex,
        name: str,
        parent_id: int | None,
        values: dict[str, FieldValue],
        actor: str | None,
    ) -> int:
        from thematica.services.project import now

        siblings = index.children.get(parent_id, [])
        if any(index.rows[s].name.casefold() == name.casefold() for s in siblings):
            raise ConflictError(f"a code named {name!r} already exists there")
        _check_free_path(index, parent_id, name)
        stamp = now()
        base = {
            f: ("" if f in ("definition", "inclusion", "exclusion", "example", "memo") else None)
            for f in FIELDS
            if f not in BOOL_FIELDS
        }
        values = {k: v for k, v in values.items() if not (k in BOOL_FIELDS and v is None)}
        cid: int = conn.execute(
            insert(t.code).values(
                project_id=self.project.id,
                parent_id=parent_id,
                name=name,
                position=len(siblings),
                created_at=stamp,
                updated_at=stamp,
                **{**base, **values},
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        self._renew_reused_id(conn, cid)
        parent_path = index.paths.get(parent_id) if parent_id else None
        path = join_path([parent_path, name] if parent_path else [name])
        # keep the in-memory index usable for the rest of this transaction
        row = conn.execute(select(t.code).where(t.code.c.id == cid)).one()
        index.rows[cid] = row
        index.children.setdefault(parent_id, []).append(cid)
        index.paths[cid] = path
        index.add_path(cid, path)
        index.by_name.setdefault(name.casefold(), []).append(cid)
        self._record(conn, "create", path, cid, actor=actor)
        return cid

    def _update(
        self,
        conn: Connection,
        index: CodeIndex,
        cid: int,
        values: dict[str, FieldValue],
        actor: str | None,
    ) -> bool:
        from thematica.services.project import now

        row = index.rows[cid]
        changed = {
            k: v
            for k, v in values.items()
            if (getattr(row, k) or None) != (v or None) and not (k in BOOL_FIELDS and v is None)
        }
        if not changed:
            return False
        conn.execute(t.code.update().where(t.code.c.id == cid).values(updated_at=now(), **changed))
        for key, value in changed.items():
            self._record(
                conn, "update", index.paths[cid], cid, key, getattr(row, key), value, actor
            )
        index.rows[cid] = conn.execute(select(t.code).where(t.code.c.id == cid)).one()
        return True

    @requires(Operation.CODEBOOK)
    def add(
        self,
        name: str,
        parent: str | int | None = None,
        *,
        actor: str | None = None,
        **fields: Any,
    ) -> str:
        """Add a code (under ``parent``, a path, unique name or code id); returns its path."""
        name = check_name(name)
        values = check_fields(fields, self.project.sem_levels)
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)
            parent_id = None if parent in (None, "") else self._resolve_code(conn, index, parent)
            cid = self._create(conn, index, name, parent_id, values, actor)
            self.project.audit(conn, "add_code", on_behalf_of=actor, path=index.paths[cid])
            return index.paths[cid]

    @requires(Operation.CODEBOOK)
    def update(
        self,
        path: str | int,
        *,
        revision: int | None = None,
        actor: str | None = None,
        **fields: Any,
    ) -> None:
        """Change a code's name and fields (``path``: a path, unique name or code id).
        ``revision``: the revision edited; a code changed since is refused (StaleEdit)."""
        new_name = fields.pop("name", None)
        values = check_fields(fields, self.project.sem_levels)
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)
            cid = self._resolve_code(conn, index, path)
            self._check_revision(conn, index, cid, revision)
            before, old_path = index.rows[cid], index.paths[cid]
            if new_name is not None:
                self._rename(conn, index, cid, check_name(new_name), actor)
            self._update(conn, index, cid, values, actor)
            after = conn.execute(select(t.code).where(t.code.c.id == cid)).one()
            changes = {
                key: [getattr(before, key), getattr(after, key)]
                for key in ("name", *FIELDS)
                if getattr(before, key) != getattr(after, key)
            }
            if changes:
                self._bump(conn, cid, revision)
            self.project.audit(
                conn,
                "update_code",
                on_behalf_of=actor,
                path=old_path,
                fields=sorted({*fields, *(["name"] if new_name is not None else [])}),
                changes=changes,
            )

    @requires(Operation.CODEBOOK)
    def set_exclusive(
        self,
        path: str | int,
        exclusive: bool = True,
        *,
        revision: int | None = None,
        actor: str | None = None,
    ) -> bool:
        """Declare (or undeclare) a code's direct subcodes mutually exclusive alternatives.

        Reconciliation then treats coder A's X against coder B's Y under this code as one
        "different code" disagreement instead of two. Returns whether anything changed.
        """
        with self.project.db.write() as conn:
            index = self.index(conn)
            cid = self._resolve_code(conn, index, path)
            self._check_revision(conn, index, cid, revision)
            old = bool(index.rows[cid].exclusive)
            changed = self._update(conn, index, cid, {"exclusive": bool(exclusive)}, actor)
            if changed:
                self._bump(conn, cid, revision)
            self.project.audit(
                conn,
                "set_exclusive",
                on_behalf_of=actor,
                path=index.paths[cid],
                exclusive=bool(exclusive),
                old=old,
                new=bool(exclusive),
            )
            return changed

    def _rename(
        self, conn: Connection, index: CodeIndex, cid: int, name: str, actor: str | None
    ) -> None:
        row = index.rows[cid]
        if row.name == name:
            return
        siblings = index.children.get(row.parent_id, [])
        if any(s != cid and index.rows[s].name.casefold() == name.casefold() for s in siblings):
            raise ConflictError(f"a code named {name!r} already exists there")
        _check_free_path(index, row.parent_id, name, cid)
        conn.execute(t.code.update().where(t.code.c.id == cid).values(name=name))
        self._record(conn, "rename", index.paths[cid], cid, "name", row.name, name, actor)

    @requires(Operation.CODEBOOK)
    def move(
        self,
        path: str | int,
        new_parent: str | int | None,
        *,
        revision: int | None = None,
        actor: str | None = None,
    ) -> None:
        """Move a code (path, name or id) under ``new_parent`` (None: to the top level)."""
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)
            cid = self._resolve_code(conn, index, path)
            parent_id = (
                None if new_parent in (None, "") else self._resolve_code(conn, index, new_parent)
            )
            self._check_revision(conn, index, cid, revision)
            if parent_id is not None and parent_id in index.subtree(cid):
                sub = "" if parent_id == cid else f" ({index.paths[parent_id]!r} is its subcode)"
                raise InputError(f"cannot move {index.paths[cid]!r} under itself{sub}")
            name = index.rows[cid].name
            if any(
                index.rows[s].name.casefold() == name.casefold()
                for s in index.children.get(parent_id, [])
                if s != cid
            ):
                raise ConflictError(f"a code named {name!r} already exists there")
            _check_free_path(index, parent_id, name, cid)
            conn.execute(
                t.code.update()
                .where(t.code.c.id == cid)
                .values(parent_id=parent_id, position=len(index.children.get(parent_id, [])))
            )
            old_parent = (
                index.paths.get(index.rows[cid].parent_id) if index.rows[cid].parent_id else None
            )
            new_path = index.paths.get(parent_id) if parent_id else None
            self._bump(conn, cid, revision)
            self._record(conn, "move", index.paths[cid], cid, "parent", old_parent, new_path, actor)
            self.project.audit(
                conn,
                "move_code",
                on_behalf_of=actor,
                path=index.paths[cid],
                parent=new_path,
                old_parent=old_parent,
            )

    @requires(Operation.CODEBOOK)
    def remove(
        self,
        path: str | int,
        *,
        force: bool = False,
        revision: int | None = None,
        actor: str | None = None,
    ) -> int:
        """Delete a code and its subtree; refuses while codings use them unless ``force``."""
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # the subtree holds
            index = self.index(conn)
            cid = self._resolve_code(conn, index, path)
            self._check_revision(conn, index, cid, revision)
            ids = index.subtree(cid)
            lock_codes(conn, ids)  # before counting: a coding being added now is counted
            used = conn.scalar(select(func.count()).where(t.coding.c.code_id.in_(ids))) or 0
            if used and not force:
                raise ConflictError(
                    f"{index.paths[cid]!r} and its subcodes have {used} codings; "
                    "merge them elsewhere first or delete them too",
                    code=index.paths[cid],
                    codings=used,
                    hint="force",
                )
            self._bump(conn, cid, revision)  # compare-and-set before deleting
            conn.execute(delete(t.coding).where(t.coding.c.code_id.in_(ids)))
            for sub in reversed(ids):
                self._record(conn, "delete", index.paths[sub], sub, actor=actor)
                conn.execute(delete(t.code).where(t.code.c.id == sub))
            self.project.audit(
                conn,
                "remove_code",
                on_behalf_of=actor,
                path=index.paths[cid],
                codings=int(used),
                codes=[index.paths[sub] for sub in ids],
            )
            return int(used)

    # -- files (formats in services/codebook_files.py) ---------------------------------
    @requires(Operation.READ)
    def read_file(self, path: str | Path, *, path_separator: str | None = None) -> list[CodeSpec]:
        """Parse a codebook file (.yaml/.yml, .csv/.xlsx/.docx table, .qdc) into specs.

        ``path_separator``: how a table's ``path`` column separates levels (default ``/``);
        tables with ``name`` and ``parent`` columns need none.
        """
        from thematica.services import codebook_files as files

        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        suffix = path.suffix.lower()
        if suffix in {".yaml", ".yml"}:
            from thematica.importers.decode import decode_bytes

            text, _enc = decode_bytes(path.read_bytes(), path.name)
            return self.parse_yaml(text, path.name)
        if suffix in files.TABLE_SUFFIXES:
            header, rows = files.read_table_file(path)
            return files.parse_table(
                header,
                rows,
                path.name,
                self.project.sem_levels,
                index=self.index(),
                path_separator=path_separator,
            )
        if suffix == ".qdc":
            return self.project.refi.codebook_specs(path)
        raise InputError(
            f"{path.name}: expected a .yaml, .yml, .csv, .xlsx, .docx or .qdc codebook"
        )

    @requires(Operation.READ)
    def parse_yaml(self, text: str, name: str = "codebook") -> list[CodeSpec]:
        from thematica.services.codebook_files import parse_yaml

        return parse_yaml(text, name, self.project.sem_levels)

    @requires(Operation.CODEBOOK)
    def import_file(
        self, path: str | Path, *, path_separator: str | None = None, actor: str | None = None
    ) -> CodebookImportReport:
        """Merge a codebook file: new codes are added, existing paths get the file's fields."""
        specs = self.read_file(path, path_separator=path_separator)
        return self.apply_specs(specs, source=str(path), actor=actor)

    @requires(Operation.CODEBOOK)
    def apply_specs(
        self, specs: Sequence[CodeSpec], *, source: str, actor: str | None = None
    ) -> CodebookImportReport:
        report = CodebookImportReport([], [])
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
            index = self.index(conn)

            def merge(items: Sequence[CodeSpec], parent_id: int | None) -> None:
                # matched by name under the same parent: a "/" in a name is never a level
                for spec in items:
                    folded = spec.name.casefold()
                    siblings = index.children.get(parent_id, [])
                    existing = next(
                        (s for s in siblings if index.rows[s].name.casefold() == folded), None
                    )
                    values = spec.fields()
                    if existing is None:
                        cid = self._create(conn, index, spec.name, parent_id, values, actor)
                        report.created.append(index.paths[cid])
                    else:
                        cid = existing
                        present: dict[str, FieldValue] = {
                            k: v
                            for k, v in values.items()
                            if v or (k in BOOL_FIELDS and v is not None)
                        }
                        if self._update(conn, index, cid, present, actor):
                            self._bump(conn, cid)
                            report.updated.append(index.paths[cid])
                    merge(spec.children, cid)

            merge(specs, None)
            self.project.audit(
                conn,
                "import_codebook",
                on_behalf_of=actor,
                source=source,
                created=len(report.created),
                updated=len(report.updated),
                created_codes=report.created,
                updated_codes=report.updated,
            )
        return report

    @requires(Operation.READ)
    def export_text(self, fmt: str = "yaml") -> str:
        from thematica.services import codebook_files as files

        specs = self.index().specs()
        if fmt == "yaml":
            return files.yaml_text(specs, self.project.name, self.project.sem_levels)
        if fmt == "csv":
            return files.csv_text(specs)
        raise InputError(f"unknown codebook format {fmt!r}; use yaml or csv")

    @requires(Operation.READ)
    def render(self, fmt: str) -> bytes:
        """The codebook as a file's bytes: yaml, csv, xlsx, docx (a table) or REFI-QDA qdc
        (``exporters.project_files.write_codebook`` writes it, choosing by the suffix)."""
        from thematica.services import codebook_files as files

        if fmt == "qdc":
            return self.project.refi.codebook_qdc()
        if fmt in ("xlsx", "docx"):
            rows = files.table_rows(self.index().specs())
            if fmt == "xlsx":
                from thematica.exporters.xlsx_tables import sheets_to_xlsx

                return sheets_to_xlsx({"Codebook": (files.TABLE_COLUMNS, rows)})
            from thematica.exporters.codebook_docx import codebook_docx_bytes

            title = f"Codebook: {self.project.name}"
            return codebook_docx_bytes(title, files.TABLE_COLUMNS, rows)
        if fmt not in EXPORT_FORMATS.values():
            raise InputError(
                f"unknown codebook format {fmt!r}; use yaml, csv, xlsx, docx or qdc",
                choices=sorted(set(EXPORT_FORMATS.values())),
            )
        return self.export_text(fmt).encode("utf-8")

    # -- templates ----------------------------------------------------------------------
    @staticmethod
    def templates() -> list[str]:
        folder = resources.files("thematica") / "data" / "templates"
        return sorted(
            p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml")
        )

    @requires(Operation.CODEBOOK)
    def apply_template(self, name: str, *, actor: str | None = None) -> CodebookImportReport:
        if name not in self.templates():
            raise NotFoundError(f"no template {name!r}; available: {', '.join(self.templates())}")
        text = (resources.files("thematica") / "data" / "templates" / f"{name}.yaml").read_text(
            "utf-8"
        )
        return self.apply_specs(self.parse_yaml(text, name), source=f"template:{name}", actor=actor)

    # -- history and versions -----------------------------------------------------------
    @requires(Operation.READ)
    def history(self) -> Table[ChangeRow]:
        c = t.codebook_change.c
        with self.project.db.read() as conn:
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
                for r in conn.execute(
                    select(t.codebook_change).where(c.project_id == self.project.id).order_by(c.id)
                )
            ]
        return Table(rows, title="Codebook history")

    @requires(Operation.CODEBOOK)
    def freeze(self, name: str, note: str = "") -> int:
        """Save the codebook as it is now under a version name; returns the number of codes."""
        from thematica.services.project import now

        name = name.strip()
        if not name or name == "current":
            raise InputError("a version needs a name other than 'current'")
        with self.project.db.write() as conn:
            snapshot = self.index(conn).snapshot()
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(t.codebook_version).values(
                            project_id=self.project.id,
                            name=name,
                            note=note,
                            snapshot=snapshot,
                            created_at=now(),
                        )
                    )
            except IntegrityError as exc:
                raise ConflictError(f"a codebook version named {name!r} already exists") from exc
            self.project.audit(conn, "freeze_codebook", version=name, codes=len(snapshot))
        return len(snapshot)

    @requires(Operation.READ)
    def versions(self) -> Table[VersionRow]:
        v = t.codebook_version.c
        with self.project.db.read() as conn:
            rows = [
                VersionRow(
                    r.name, r.created_at.isoformat(timespec="seconds"), len(r.snapshot), r.note
                )
                for r in conn.execute(
                    select(t.codebook_version).where(v.project_id == self.project.id).order_by(v.id)
                )
            ]
        return Table(rows, title="Codebook versions")

    def _snapshot(self, conn: Connection, name: str) -> list[dict[str, Any]]:
        if name == "current":
            return self.index(conn).snapshot()
        v = t.codebook_version.c
        snap = conn.scalar(
            select(v.snapshot).where(v.project_id == self.project.id, v.name == name)
        )
        if snap is None:
            raise NotFoundError(f"no codebook version named {name!r}")
        return list(snap)

    @requires(Operation.READ)
    def compare(self, old: str, new: str = "current") -> Table[CodebookChange]:
        with self.project.db.read() as conn:
            changes = diff_snapshots(self._snapshot(conn, old), self._snapshot(conn, new))
        return Table(
            changes, columns=("change", "path", "field", "old", "new"), title=f"{old} -> {new}"
        )


def _check_free_path(index: CodeIndex, parent_id: int | None, name: str, own: int = 0) -> None:
    """Refuse a code whose full path another code already has: a name with "/" in it ("A/B")
    beside a code B under A would make both unreachable by path."""
    parent = index.paths.get(parent_id) if parent_id else None
    path = join_path([parent, name] if parent else [name])
    other = index.by_path.get(path.casefold())
    if other is not None and other != own:
        raise ConflictError(
            f"the code {index.paths[other]!r} already has the path {path!r}; choose another name",
            path=path,
        )
