"""The codebook: a tree of codes with definitions, its change history and frozen versions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from thematica.core.codebook import (
    FIELDS,
    CodebookChange,
    CodeSpec,
    check_fields,
    check_name,
    diff_snapshots,
    join_path,
    specs_from_tree,
    split_path,
    tree_to_data,
    walk,
)
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

CSV_COLUMNS = ("path", *FIELDS)
MAX_CODEBOOK_CHARS = 5_000_000


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases, which a codebook never needs and which let a
    small hostile file expand into an enormous tree (the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise InputError("YAML aliases (*name) are not allowed in a codebook file")
        return super().compose_node(parent, index)


FORMAT_VERSION = 1


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

    @staticmethod
    def of(row: CodeRow) -> CodeTreeLine:
        return CodeTreeLine("    " * row.depth + row.name, row.sem_level, row.origin, row.codings)


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


class CodeIndex:
    """All codes of a project in memory: paths, children and lookup by path or name."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = {r.id: r for r in rows}
        self.children: dict[int | None, list[int]] = {}
        for row in sorted(self.rows.values(), key=lambda r: (r.position, r.id)):
            self.children.setdefault(row.parent_id, []).append(row.id)
        self.paths: dict[int, str] = {}
        for cid in self.depth_first():
            row = self.rows[cid]
            parent = self.paths.get(row.parent_id) if row.parent_id else None
            self.paths[cid] = join_path([parent, row.name] if parent else [row.name])
        self.by_path = {p.casefold(): cid for cid, p in self.paths.items()}
        self.by_name: dict[str, list[int]] = {}
        for cid, row in self.rows.items():
            self.by_name.setdefault(row.name.casefold(), []).append(cid)

    def depth_first(self, root: int | None = None) -> list[int]:
        out: list[int] = []
        stack = list(reversed(self.children.get(root, [])))
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(reversed(self.children.get(cid, [])))
        return out

    def depth(self, cid: int) -> int:
        return self.paths[cid].count("/")

    def find(self, term: str) -> int | None:
        key = join_path(split_path(term)).casefold()
        if key in self.by_path:
            return self.by_path[key]
        ids = self.by_name.get(key, [])
        if len(ids) > 1:
            paths = sorted(self.paths[i] for i in ids)
            raise InputError(f"code name {term!r} is ambiguous; use a path: {'; '.join(paths)}")
        return ids[0] if ids else None

    def resolve(self, term: str) -> int:
        cid = self.find(term)
        if cid is None:
            raise NotFoundError(f"no code {term!r} in the codebook")
        return cid

    def subtree(self, cid: int) -> list[int]:
        return [cid, *self.depth_first(cid)]

    def snapshot(self) -> list[dict[str, Any]]:
        """Flat rows (id, path, parent path, fields) for versions and comparisons."""
        out = []
        for cid in self.depth_first():
            row = self.rows[cid]
            out.append(
                {
                    "id": cid,
                    "path": self.paths[cid],
                    "name": row.name,
                    "parent": self.paths.get(row.parent_id) if row.parent_id else None,
                    **{f: getattr(row, f) for f in FIELDS},
                }
            )
        return out

    def specs(self, root: int | None = None) -> list[CodeSpec]:
        out = []
        for cid in self.children.get(root, []):
            row = self.rows[cid]
            spec = CodeSpec(name=row.name, **{f: getattr(row, f) for f in FIELDS})
            spec.children = self.specs(cid)
            out.append(spec)
        return out


class Codebook:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading ------------------------------------------------------------------------
    def index(self, conn: Connection | None = None) -> CodeIndex:
        stmt = select(t.code).where(t.code.c.project_id == self.project.id)
        if conn is not None:
            return CodeIndex(conn.execute(stmt).all())
        with self.project.db.read() as c:
            return CodeIndex(c.execute(stmt).all())

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
            )
            for cid in index.depth_first()
        ]
        return Table(rows, title="Codebook")

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
                actor=actor,
                at=now(),
            )
        )

    def _create(
        self,
        conn: Connection,
        index: CodeIndex,
        name: str,
        parent_id: int | None,
        values: dict[str, str | None],
        actor: str | None,
    ) -> int:
        from thematica.services.project import now

        siblings = index.children.get(parent_id, [])
        if any(index.rows[s].name.casefold() == name.casefold() for s in siblings):
            raise ConflictError(f"a code named {name!r} already exists there")
        stamp = now()
        base = {
            f: ("" if f in ("definition", "inclusion", "exclusion", "example", "memo") else None)
            for f in FIELDS
        }
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
        parent_path = index.paths.get(parent_id) if parent_id else None
        path = join_path([parent_path, name] if parent_path else [name])
        # keep the in-memory index usable for the rest of this transaction
        row = conn.execute(select(t.code).where(t.code.c.id == cid)).one()
        index.rows[cid] = row
        index.children.setdefault(parent_id, []).append(cid)
        index.paths[cid] = path
        index.by_path[path.casefold()] = cid
        index.by_name.setdefault(name.casefold(), []).append(cid)
        self._record(conn, "create", path, cid, actor=actor)
        return cid

    def _update(
        self,
        conn: Connection,
        index: CodeIndex,
        cid: int,
        values: dict[str, str | None],
        actor: str | None,
    ) -> bool:
        from thematica.services.project import now

        row = index.rows[cid]
        changed = {k: v for k, v in values.items() if (getattr(row, k) or None) != (v or None)}
        if not changed:
            return False
        conn.execute(t.code.update().where(t.code.c.id == cid).values(updated_at=now(), **changed))
        for key, value in changed.items():
            self._record(
                conn, "update", index.paths[cid], cid, key, getattr(row, key), value, actor
            )
        index.rows[cid] = conn.execute(select(t.code).where(t.code.c.id == cid)).one()
        return True

    def add(
        self, name: str, parent: str | None = None, *, actor: str | None = None, **fields: Any
    ) -> str:
        """Add a code (under ``parent``, a path or unique name); returns its path."""
        name = check_name(name)
        values = check_fields(fields, self.project.sem_levels)
        with self.project.db.write() as conn:
            index = self.index(conn)
            parent_id = index.resolve(parent) if parent else None
            cid = self._create(conn, index, name, parent_id, values, actor)
            self.project.audit(conn, "add_code", actor, path=index.paths[cid])
            return index.paths[cid]

    def update(self, path: str, *, actor: str | None = None, **fields: Any) -> None:
        new_name = fields.pop("name", None)
        values = check_fields(fields, self.project.sem_levels)
        with self.project.db.write() as conn:
            index = self.index(conn)
            cid = index.resolve(path)
            if new_name is not None:
                self._rename(conn, index, cid, check_name(new_name), actor)
            self._update(conn, index, cid, values, actor)
            self.project.audit(conn, "update_code", actor, path=path, fields=sorted(fields))

    def _rename(
        self, conn: Connection, index: CodeIndex, cid: int, name: str, actor: str | None
    ) -> None:
        row = index.rows[cid]
        if row.name == name:
            return
        siblings = index.children.get(row.parent_id, [])
        if any(s != cid and index.rows[s].name.casefold() == name.casefold() for s in siblings):
            raise ConflictError(f"a code named {name!r} already exists there")
        conn.execute(t.code.update().where(t.code.c.id == cid).values(name=name))
        self._record(conn, "rename", index.paths[cid], cid, "name", row.name, name, actor)

    def move(self, path: str, new_parent: str | None, *, actor: str | None = None) -> None:
        with self.project.db.write() as conn:
            index = self.index(conn)
            cid = index.resolve(path)
            parent_id = index.resolve(new_parent) if new_parent else None
            if parent_id is not None and parent_id in index.subtree(cid):
                raise InputError(f"cannot move {path!r} under itself")
            name = index.rows[cid].name
            if any(
                index.rows[s].name.casefold() == name.casefold()
                for s in index.children.get(parent_id, [])
                if s != cid
            ):
                raise ConflictError(f"a code named {name!r} already exists there")
            conn.execute(
                t.code.update()
                .where(t.code.c.id == cid)
                .values(parent_id=parent_id, position=len(index.children.get(parent_id, [])))
            )
            old_parent = (
                index.paths.get(index.rows[cid].parent_id) if index.rows[cid].parent_id else None
            )
            new_path = index.paths.get(parent_id) if parent_id else None
            self._record(conn, "move", index.paths[cid], cid, "parent", old_parent, new_path, actor)
            self.project.audit(conn, "move_code", actor, path=path, parent=new_parent)

    def remove(self, path: str, *, force: bool = False, actor: str | None = None) -> int:
        """Delete a code and its subtree; refuses while codings use them unless ``force``."""
        with self.project.db.write() as conn:
            index = self.index(conn)
            cid = index.resolve(path)
            ids = index.subtree(cid)
            used = conn.scalar(select(func.count()).where(t.coding.c.code_id.in_(ids))) or 0
            if used and not force:
                raise ConflictError(
                    f"{index.paths[cid]!r} and its subcodes have {used} codings; "
                    "merge them elsewhere first or use --force to delete them too"
                )
            conn.execute(delete(t.coding).where(t.coding.c.code_id.in_(ids)))
            for sub in reversed(ids):
                self._record(conn, "delete", index.paths[sub], sub, actor=actor)
                conn.execute(delete(t.code).where(t.code.c.id == sub))
            self.project.audit(conn, "remove_code", actor, path=path, codings=int(used))
            return int(used)

    # -- files --------------------------------------------------------------------------
    def read_file(self, path: str | Path) -> list[CodeSpec]:
        """Parse a codebook file (.yaml/.yml/.csv) into specs, validating every field."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        suffix = path.suffix.lower()
        if suffix in {".yaml", ".yml"}:
            from thematica.importers.decode import decode_bytes

            text, _enc = decode_bytes(path.read_bytes(), path.name)
            return self.parse_yaml(text, path.name)
        if suffix == ".csv":
            from thematica.services.tabular import read_table

            header, rows = read_table(path)
            return self.parse_csv(header, rows, path.name)
        if suffix == ".qdc":
            return self.project.refi.codebook_specs(path)
        raise InputError(f"{path.name}: expected a .yaml, .yml, .csv or .qdc codebook")

    def parse_yaml(self, text: str, name: str = "codebook") -> list[CodeSpec]:
        if len(text) > MAX_CODEBOOK_CHARS:
            raise InputError(f"{name}: a codebook file over {MAX_CODEBOOK_CHARS:,} characters")
        try:
            data = yaml.load(text, Loader=_PlainLoader)  # a SafeLoader subclass
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from exc
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" at line {where.line + 1}" if where is not None else ""
            raise InputError(f"{name}: not valid YAML{line}") from exc
        if not isinstance(data, dict) or "codes" not in data:
            raise InputError(f"{name}: a codebook file needs a top-level 'codes:' list")
        levels = self.project.sem_levels
        wanted = data.get("sem_levels") or []
        unknown = [lvl for lvl in wanted if str(lvl).lower() not in levels]
        if unknown:
            raise InputError(
                f"{name}: uses SEM levels this project lacks: {', '.join(map(str, unknown))}"
            )
        try:
            return specs_from_tree(data["codes"], levels)
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from exc

    def parse_csv(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], name: str
    ) -> list[CodeSpec]:
        if "path" not in header:
            raise InputError(f"{name}: a codebook CSV needs a 'path' column")
        unknown = [h for h in header if h and h not in CSV_COLUMNS]
        if unknown:
            raise InputError(
                f"{name}: unknown columns {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)})"
            )
        roots: list[CodeSpec] = []
        by_path: dict[str, CodeSpec] = {}
        for n, row in enumerate(rows, 2):
            data = dict(zip(header, row, strict=True))
            parts = [check_name(p) for p in split_path(data.pop("path", ""))]
            if not parts:
                raise InputError(f"{name}: row {n} has an empty path")
            try:
                values = check_fields({k: v for k, v in data.items() if k}, self.project.sem_levels)
            except InputError as exc:
                raise InputError(f"{name}: row {n}: {exc}") from exc
            siblings = roots
            for depth, part in enumerate(parts):
                key = join_path(parts[: depth + 1]).casefold()
                if key not in by_path:
                    spec = CodeSpec(name=part)
                    by_path[key] = spec
                    siblings.append(spec)
                siblings = by_path[key].children
            target = by_path[join_path(parts).casefold()]
            for k, v in values.items():
                setattr(target, k, v)
        return roots

    def import_file(self, path: str | Path, *, actor: str | None = None) -> CodebookImportReport:
        """Merge a codebook file: new codes are added, existing paths get the file's fields."""
        return self.apply_specs(self.read_file(path), source=str(path), actor=actor)

    def apply_specs(
        self, specs: Sequence[CodeSpec], *, source: str, actor: str | None = None
    ) -> CodebookImportReport:
        report = CodebookImportReport([], [])
        with self.project.db.write() as conn:
            index = self.index(conn)
            for path, spec in walk(specs):
                parts = split_path(path)
                parent_path = join_path(parts[:-1]) if len(parts) > 1 else None
                parent_id = index.by_path[parent_path.casefold()] if parent_path else None
                existing = index.by_path.get(path.casefold())
                values = {k: v for k, v in spec.fields().items()}
                if existing is None:
                    self._create(conn, index, spec.name, parent_id, values, actor)
                    report.created.append(path)
                else:
                    present: dict[str, str | None] = {k: v for k, v in values.items() if v}
                    if self._update(conn, index, existing, present, actor):
                        report.updated.append(path)
            self.project.audit(
                conn,
                "import_codebook",
                actor,
                source=source,
                created=len(report.created),
                updated=len(report.updated),
            )
        return report

    def export_text(self, fmt: str = "yaml") -> str:
        index = self.index()
        if fmt == "yaml":
            data = {
                "thematica_codebook": FORMAT_VERSION,
                "name": self.project.name,
                "sem_levels": self.project.sem_levels,
                "codes": tree_to_data(index.specs()),
            }
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for path, spec in walk(index.specs()):
                writer.writerow([path, *[spec.fields()[f] or "" for f in FIELDS]])
            return buf.getvalue()
        raise InputError(f"unknown codebook format {fmt!r}; use yaml or csv")

    def export(self, path: str | Path, fmt: str | None = None) -> Path:
        from thematica.exporters.atomic import write_atomic

        path = Path(path)
        fmt = fmt or {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".qdc": "qdc"}.get(
            path.suffix.lower()
        )
        if fmt == "qdc":
            return self.project.refi.export_codebook(path)
        if fmt is None:
            raise InputError(f"{path.name}: choose a .yaml, .csv or .qdc file name (or --format)")
        return write_atomic(path, self.export_text(fmt))

    # -- templates ----------------------------------------------------------------------
    @staticmethod
    def templates() -> list[str]:
        folder = resources.files("thematica") / "data" / "templates"
        return sorted(
            p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml")
        )

    def apply_template(self, name: str, *, actor: str | None = None) -> CodebookImportReport:
        if name not in self.templates():
            raise NotFoundError(f"no template {name!r}; available: {', '.join(self.templates())}")
        text = (resources.files("thematica") / "data" / "templates" / f"{name}.yaml").read_text(
            "utf-8"
        )
        return self.apply_specs(self.parse_yaml(text, name), source=f"template:{name}", actor=actor)

    # -- history and versions -----------------------------------------------------------
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

    def compare(self, old: str, new: str = "current") -> Table[CodebookChange]:
        with self.project.db.read() as conn:
            changes = diff_snapshots(self._snapshot(conn, old), self._snapshot(conn, new))
        return Table(
            changes, columns=("change", "path", "field", "old", "new"), title=f"{old} -> {new}"
        )
