"""Themes and subthemes: interpretive groupings of codes, placed at an SEM level.

A theme has a name (unique in the project, case-insensitive), a description, an SEM level, a
memo, a position among its siblings and the codes it groups (a code may feed several themes).
Subthemes hang under a theme (one level deep, as in a paper's theme table) and share its SEM
level. Themes are numbered 1..n across the SEM levels in the project's level order, subthemes
2.1, 2.2, ... — the layout of the founding study's Table 2. Every change is audited.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.project import Project

NO_LEVEL = "(no level)"


@dataclass(slots=True)
class ThemeRow:
    """One theme or subtheme (flat list)."""

    number: str
    name: str
    level: str | None
    parent: str | None
    description: str
    codes: list[str]
    memo: str


@dataclass(slots=True)
class ThemeTableRow:
    """One row of the theme table: a theme with its numbered subthemes and codes."""

    level: str
    theme: str
    subthemes: list[str]
    codes: list[str]


@dataclass(slots=True)
class ThemeInfo:
    id: int
    name: str
    parent_id: int | None
    level: str | None
    description: str
    memo: str
    position: int
    code_ids: list[int] = field(default_factory=list)
    number: str = ""
    children: list[int] = field(default_factory=list)


class ThemeIndex:
    """All themes of a project in memory, ordered and numbered."""

    def __init__(self, rows: Iterable[Any], links: Iterable[Any], levels: Sequence[str]) -> None:
        self.themes: dict[int, ThemeInfo] = {
            r.id: ThemeInfo(
                r.id, r.name, r.parent_id, r.sem_level, r.description, r.memo, r.position
            )
            for r in rows
        }
        for theme_id, code_id in links:
            if theme_id in self.themes:
                self.themes[theme_id].code_ids.append(code_id)
        rank = {lvl: i for i, lvl in enumerate(levels)}

        def key(th: ThemeInfo) -> tuple[int, int, int]:
            return (rank.get(th.level or "", len(rank)), th.position, th.id)

        self.top = sorted((th for th in self.themes.values() if th.parent_id is None), key=key)
        for th in sorted(self.themes.values(), key=lambda x: (x.position, x.id)):
            if th.parent_id is not None and th.parent_id in self.themes:
                self.themes[th.parent_id].children.append(th.id)
        for n, th in enumerate(self.top, 1):
            th.number = str(n)
            for m, child in enumerate(th.children, 1):
                self.themes[child].number = f"{n}.{m}"
        self.by_name = {th.name.casefold(): th.id for th in self.themes.values()}
        self.by_number = {th.number: th.id for th in self.themes.values()}

    def ordered(self) -> list[ThemeInfo]:
        out: list[ThemeInfo] = []
        for th in self.top:
            out.append(th)
            out.extend(self.themes[c] for c in th.children)
        return out

    def find(self, term: str) -> int | None:
        term = term.strip()
        return self.by_name.get(term.casefold()) or self.by_number.get(term)

    def resolve(self, term: str) -> int:
        tid = self.find(term)
        if tid is None:
            known = ", ".join(th.name for th in self.ordered()[:5]) or "none yet"
            raise NotFoundError(
                f"no theme {term!r} (themes: {known}{', ...' if len(self.themes) > 5 else ''})"
            )
        return tid

    def subtree(self, tid: int) -> list[int]:
        return [tid, *self.themes[tid].children]


class Themes:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def index(self, conn: Connection | None = None) -> ThemeIndex:
        def load(c: Connection) -> ThemeIndex:
            rows = c.execute(select(t.theme).where(t.theme.c.project_id == self.project.id)).all()
            links = c.execute(
                select(t.theme_code.c.theme_id, t.theme_code.c.code_id)
                .join(t.theme, t.theme.c.id == t.theme_code.c.theme_id)
                .where(t.theme.c.project_id == self.project.id)
                .order_by(t.theme_code.c.code_id)
            ).all()
            return ThemeIndex(rows, links, self.project.sem_levels)

        if conn is not None:
            return load(conn)
        with self.project.db.read() as c:
            return load(c)

    def _indexes(self) -> tuple[ThemeIndex, CodeIndex]:
        with self.project.db.read() as conn:
            return self.index(conn), self.project.codebook.index(conn)

    @requires(Operation.READ)
    def list(self) -> Table[ThemeRow]:
        themes, codes = self._indexes()
        rows = [
            ThemeRow(
                number=th.number,
                name=th.name,
                level=th.level,
                parent=themes.themes[th.parent_id].name if th.parent_id else None,
                description=th.description,
                codes=_code_paths(th.code_ids, codes),
                memo=th.memo,
            )
            for th in themes.ordered()
        ]
        return Table(rows, title="Themes")

    @requires(Operation.READ)
    def get(self, theme: str) -> ThemeRow:
        for row in self.list():
            if row.name.casefold() == theme.strip().casefold() or row.number == theme.strip():
                return row
        self.index().resolve(theme)  # raises NotFoundError
        raise AssertionError("unreachable")

    @requires(Operation.READ)
    def table(self) -> Table[ThemeTableRow]:
        """The theme table by SEM level (Table 2): numbered themes, subthemes and their codes."""
        themes, codes = self._indexes()
        rows = []
        for th in themes.top:
            children = [themes.themes[c] for c in th.children]
            code_ids: list[int] = []
            for item in [th, *children]:
                code_ids += [c for c in item.code_ids if c not in code_ids]
            rows.append(
                ThemeTableRow(
                    level=th.level or NO_LEVEL,
                    theme=f"{th.number} {th.name}",
                    subthemes=[f"{c.number} {c.name}" for c in children],
                    codes=_code_names(code_ids, codes),
                )
            )
        title = "Themes and subthemes by Social-Ecological Model level"
        return Table(rows, columns=("level", "theme", "subthemes", "codes"), title=title)

    @requires(Operation.READ)
    def levels(self) -> builtins.list[tuple[str, builtins.list[str]]]:
        """(level, ["1 Theme name", ...]) for each level with themes, in SEM order."""
        themes = self.index()
        out: dict[str, list[str]] = {}
        for th in themes.top:
            out.setdefault(th.level or NO_LEVEL, []).append(f"{th.number} {th.name}")
        return list(out.items())

    @requires(Operation.READ)
    def figure(self, fmt: str = "png", *, title: str | None = None) -> bytes:
        """The Social-Ecological Model figure as PNG or SVG bytes (a face decides where they
        go: :func:`thematica.exporters.project_files.write_sem_figure` writes a file)."""
        from thematica.exporters.figures import sem_figure

        levels = self.levels()
        if not levels:
            raise InputError("no themes yet: add some first", hint="themes_add")
        return sem_figure(levels, fmt, title=title)

    @requires(Operation.READ)
    def docx(self) -> bytes:
        """The themes table (:meth:`table`) as a Word document."""
        from thematica.exporters.docx_table import table_docx_bytes

        table = self.table()
        if not table.rows:
            raise InputError("no themes yet: add some first", hint="themes_add")
        return table_docx_bytes(
            table, note="Themes are numbered across levels; subthemes as theme.n."
        )

    # -- writing ------------------------------------------------------------------------
    def _level(self, level: str | None) -> str | None:
        if level is None or not level.strip():
            return None
        value = level.strip().lower()
        if value not in self.project.sem_levels:
            raise NotFoundError(
                f"no SEM level {level!r} (levels: {', '.join(self.project.sem_levels)})"
            )
        return value

    def _code_ids(self, codes: CodeIndex, paths: Iterable[str]) -> builtins.list[int]:
        out: list[int] = []
        for path in paths:
            cid = codes.resolve(path)
            if cid not in out:
                out.append(cid)
        return out

    @requires(Operation.ANALYSE)
    def add(
        self,
        name: str,
        sem_level: str | None = None,
        description: str = "",
        parent: str | None = None,
        codes: Sequence[str] = (),
        *,
        memo: str = "",
        actor: str | None = None,
    ) -> int:
        """Create a theme (or, with ``parent``, a subtheme); returns its id."""
        from thematica.services.project import now

        name = _clean_name(name)
        level = self._level(sem_level)
        with self.project.db.write() as conn:
            themes = self.index(conn)
            code_ids = self._code_ids(self.project.codebook.index(conn), codes)
            if name.casefold() in themes.by_name:
                raise ConflictError(f"there is already a theme named {name!r}")
            parent_id = None
            if parent is not None:
                parent_id = themes.resolve(parent)
                host = themes.themes[parent_id]
                if host.parent_id is not None:
                    raise InputError(
                        f"{host.name!r} is a subtheme; subthemes cannot have subthemes"
                    )
                if level is not None and host.level is not None and level != host.level:
                    raise InputError(
                        f"a subtheme shares its theme's SEM level ({host.level}), not {level}"
                    )
                level = host.level if level is None else level
            siblings = [th for th in themes.themes.values() if th.parent_id == parent_id]
            position = max((th.position for th in siblings), default=0) + 1
            stamp = now()
            tid = conn.execute(
                insert(t.theme).values(
                    project_id=self.project.id,
                    parent_id=parent_id,
                    name=name,
                    description=description,
                    sem_level=level,
                    memo=memo,
                    position=position,
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if code_ids:
                conn.execute(
                    insert(t.theme_code), [{"theme_id": tid, "code_id": c} for c in code_ids]
                )
            self.project.audit(
                conn,
                "theme_add",
                on_behalf_of=actor,
                theme=name,
                parent=themes.themes[parent_id].name if parent_id else None,
                sem_level=level,
                codes=[self.project.codebook.index(conn).paths[c] for c in code_ids],
            )
        return int(tid)

    @requires(Operation.ANALYSE)
    def update(
        self,
        theme: str,
        *,
        name: str | None = None,
        description: str | None = None,
        sem_level: str | None = None,
        memo: str | None = None,
        actor: str | None = None,
    ) -> None:
        """Change a theme's fields; a new SEM level applies to its subthemes too."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            themes = self.index(conn)
            tid = themes.resolve(theme)
            info = themes.themes[tid]
            values: dict[str, Any] = {}
            if name is not None:
                new = _clean_name(name)
                other = themes.by_name.get(new.casefold())
                if other is not None and other != tid:
                    raise ConflictError(f"there is already a theme named {new!r}")
                values["name"] = new
            if description is not None:
                values["description"] = description
            if memo is not None:
                values["memo"] = memo
            if sem_level is not None:
                if info.parent_id is not None:
                    raise InputError(
                        f"{info.name!r} is a subtheme; change the SEM level of its theme"
                    )
                values["sem_level"] = self._level(sem_level)
            if not values:
                raise InputError("nothing to change: give a name, description, level or memo")
            values["updated_at"] = now()
            conn.execute(update(t.theme).where(t.theme.c.id == tid).values(**values))
            if "sem_level" in values and info.children:
                conn.execute(
                    update(t.theme)
                    .where(t.theme.c.id.in_(info.children))
                    .values(sem_level=values["sem_level"])
                )
            was = {
                "name": info.name,
                "description": info.description,
                "memo": info.memo,
                "sem_level": info.level,
            }
            # old -> new of each field given (a field given unchanged is listed all the same)
            changes = {k: [was[k], v] for k, v in values.items() if k != "updated_at"}
            self.project.audit(
                conn, "theme_update", on_behalf_of=actor, theme=info.name, changes=changes
            )

    @requires(Operation.ANALYSE)
    def rename(self, theme: str, new_name: str, *, actor: str | None = None) -> None:
        self.update(theme, name=new_name, actor=actor)

    @requires(Operation.ANALYSE)
    def move(
        self,
        theme: str,
        *,
        parent: str | None = None,
        top: bool = False,
        position: int | None = None,
        actor: str | None = None,
    ) -> None:
        """Move a theme under ``parent`` (as a subtheme), to the top level (``top=True``), and/or
        to ``position`` (1-based) among its siblings."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            themes = self.index(conn)
            tid = themes.resolve(theme)
            info = themes.themes[tid]
            parent_id = info.parent_id
            level = info.level
            if parent is not None and top:
                raise InputError("choose a new parent or the top level, not both")
            if parent is not None:
                parent_id = themes.resolve(parent)
                host = themes.themes[parent_id]
                if parent_id == tid or host.parent_id is not None:
                    raise InputError(f"{host.name!r} cannot hold subthemes")
                if info.children:
                    raise InputError(
                        f"{info.name!r} has subthemes; a subtheme cannot have subthemes"
                    )
                level = host.level
            elif top:
                parent_id = None

            def peers(pid: int | None, lvl: str | None) -> list[int]:
                return [
                    th.id
                    for th in sorted(themes.themes.values(), key=lambda x: (x.position, x.id))
                    if th.parent_id == pid and (pid is not None or th.level == lvl)
                ]

            order = [i for i in peers(parent_id, level) if i != tid]
            if position is None:
                same = parent_id == info.parent_id
                position = peers(parent_id, level).index(tid) + 1 if same else len(order) + 1
            if position < 1:
                raise InputError("positions start at 1")
            order.insert(min(position, len(order) + 1) - 1, tid)
            for n, sid in enumerate(order, 1):
                conn.execute(update(t.theme).where(t.theme.c.id == sid).values(position=n))
            conn.execute(
                update(t.theme)
                .where(t.theme.c.id == tid)
                .values(parent_id=parent_id, sem_level=level, updated_at=now())
            )
            self.project.audit(
                conn,
                "theme_move",
                on_behalf_of=actor,
                theme=info.name,
                parent=themes.themes[parent_id].name if parent_id else None,
                position=position,
                old_parent=themes.themes[info.parent_id].name if info.parent_id else None,
                old_position=info.position,
            )

    @requires(Operation.ANALYSE)
    def remove(self, theme: str, *, actor: str | None = None) -> int:
        """Delete a theme and its subthemes (the codes stay); returns how many were deleted."""
        with self.project.db.write() as conn:
            themes = self.index(conn)
            tid = themes.resolve(theme)
            ids = themes.subtree(tid)
            conn.execute(delete(t.theme_code).where(t.theme_code.c.theme_id.in_(ids)))
            conn.execute(delete(t.theme).where(t.theme.c.id.in_(ids[1:])))
            conn.execute(delete(t.theme).where(t.theme.c.id == tid))
            self.project.audit(
                conn,
                "theme_remove",
                on_behalf_of=actor,
                theme=themes.themes[tid].name,
                removed=len(ids),
                themes=[themes.themes[i].name for i in ids],
            )
        return len(ids)

    @requires(Operation.ANALYSE)
    def link(
        self, theme: str, codes: Sequence[str], *, actor: str | None = None
    ) -> builtins.list[str]:
        """Let codes feed a theme; returns the code paths newly linked."""
        if not codes:
            raise InputError("name at least one code to link")
        with self.project.db.write() as conn:
            themes = self.index(conn)
            index = self.project.codebook.index(conn)
            tid = themes.resolve(theme)
            wanted = self._code_ids(index, codes)
            new = [c for c in wanted if c not in themes.themes[tid].code_ids]
            if new:
                conn.execute(insert(t.theme_code), [{"theme_id": tid, "code_id": c} for c in new])
            paths = [index.paths[c] for c in new]
            self.project.audit(
                conn, "theme_link", on_behalf_of=actor, theme=themes.themes[tid].name, codes=paths
            )
        return paths

    @requires(Operation.ANALYSE)
    def unlink(
        self, theme: str, codes: Sequence[str], *, actor: str | None = None
    ) -> builtins.list[str]:
        """Stop codes feeding a theme; a code that was not linked is an error."""
        if not codes:
            raise InputError("name at least one code to unlink")
        with self.project.db.write() as conn:
            themes = self.index(conn)
            index = self.project.codebook.index(conn)
            tid = themes.resolve(theme)
            wanted = self._code_ids(index, codes)
            missing = [index.paths[c] for c in wanted if c not in themes.themes[tid].code_ids]
            if missing:
                raise NotFoundError(
                    f"{', '.join(map(repr, missing))} does not feed {themes.themes[tid].name!r}"
                )
            conn.execute(
                delete(t.theme_code).where(
                    t.theme_code.c.theme_id == tid, t.theme_code.c.code_id.in_(wanted)
                )
            )
            paths = [index.paths[c] for c in wanted]
            self.project.audit(
                conn, "theme_unlink", on_behalf_of=actor, theme=themes.themes[tid].name, codes=paths
            )
        return paths

    @requires(Operation.ANALYSE)
    def set_memo(self, theme: str, memo: str, *, actor: str | None = None) -> None:
        self.update(theme, memo=memo, actor=actor)

    @requires(Operation.ANALYSE)
    def from_codebook(
        self, level_depth: int = 1, *, actor: str | None = None
    ) -> builtins.list[str]:
        """Create themes from the code tree: each code at depth ``level_depth`` (0 = top-level
        codes; 1, the default, is the starter codebook's themes under its SEM level codes)
        becomes a theme grouping that code, each child code a subtheme grouping the child and
        its descendants. The SEM level comes from the code or its nearest ancestor with one,
        the description from the code's definition. Themes whose name exists are left alone;
        returns the names created (themes and subthemes).
        """
        from thematica.services.project import now

        if level_depth < 0:
            raise InputError("level depth must be 0 or more")
        created: list[str] = []
        with self.project.db.write() as conn:
            index = self.project.codebook.index(conn)
            themes = self.index(conn)
            taken = set(themes.by_name)
            heads = [c for c in index.depth_first() if index.depth(c) == level_depth]
            if not heads:
                raise InputError(f"the codebook has no codes at depth {level_depth}")
            levels = set(self.project.sem_levels)

            def level_of(cid: int) -> str | None:
                node: int | None = cid
                while node is not None:
                    lvl = index.rows[node].sem_level
                    if lvl:
                        return str(lvl) if lvl in levels else None
                    node = index.rows[node].parent_id
                return None

            positions: dict[int | None, int] = {}
            for th in themes.themes.values():
                positions[th.parent_id] = max(positions.get(th.parent_id, 0), th.position)
            stamp = now()

            def create(cid: int, parent_id: int | None, code_ids: list[int]) -> int | None:
                row = index.rows[cid]
                if row.name.casefold() in taken:
                    return None
                taken.add(row.name.casefold())
                positions[parent_id] = positions.get(parent_id, 0) + 1
                tid = conn.execute(
                    insert(t.theme).values(
                        project_id=self.project.id,
                        parent_id=parent_id,
                        name=row.name,
                        description=row.definition or "",
                        sem_level=level_of(cid),
                        memo="",
                        position=positions[parent_id],
                        created_at=stamp,
                        updated_at=stamp,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                conn.execute(
                    insert(t.theme_code), [{"theme_id": tid, "code_id": c} for c in code_ids]
                )
                created.append(row.name)
                return int(tid)

            for head in heads:
                tid = create(head, None, [head])
                if tid is None:
                    continue
                for child in index.children.get(head, []):
                    create(child, tid, index.subtree(child))
            self.project.audit(
                conn,
                "theme_from_codebook",
                on_behalf_of=actor,
                level_depth=level_depth,
                created=created,
            )
        return created

    @requires(Operation.READ)
    def count(self) -> int:
        with self.project.db.read() as conn:
            return int(
                conn.scalar(select(func.count()).where(t.theme.c.project_id == self.project.id))
                or 0
            )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InputError("a theme needs a name")
    if len(name) > 300:
        raise InputError("a theme name may have at most 300 characters")
    return name


def _code_paths(code_ids: Iterable[int], codes: CodeIndex) -> list[str]:
    return [codes.paths[c] for c in code_ids if c in codes.paths]


def _code_names(code_ids: Iterable[int], codes: CodeIndex) -> list[str]:
    return [str(codes.rows[c].name) for c in code_ids if c in codes.rows]
