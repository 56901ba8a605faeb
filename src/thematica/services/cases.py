"""Cases (participants) and their typed attributes, and the descriptive Table 1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select

from thematica.core.access import Operation
from thematica.core.attributes import canonical, infer_type
from thematica.core.describe import DescribeRow, describe
from thematica.core.errors import InputError, NotFoundError
from thematica.core.filters import AttributeInfo
from thematica.core.models import AttributeType
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.tabular import MAX_COLUMNS, read_table
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


@dataclass(slots=True)
class CaseImportReport:
    cases_created: list[str] = field(default_factory=list)
    cases_updated: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)  # name -> type


@dataclass(slots=True)
class CaseRow:
    case: str
    documents: int
    attributes: dict[str, str | None]


class CaseWriter:
    """Case and attribute writes inside an open transaction, with small caches for bulk work."""

    def __init__(self, project: Project, conn: Connection) -> None:
        self.project = project
        self.conn = conn
        pid = project.id
        self.cases: dict[str, int] = {
            r.name: r.id
            for r in conn.execute(
                select(t.case.c.id, t.case.c.name).where(t.case.c.project_id == pid)
            )
        }
        self.attrs: dict[str, tuple[int, AttributeType, list[str] | None]] = {
            r.name: (r.id, AttributeType(r.type), r.value_order)
            for r in conn.execute(select(t.attribute).where(t.attribute.c.project_id == pid))
        }

    def ensure(self, name: str, created: list[str]) -> int:
        name = " ".join(name.split())
        if not name:
            raise InputError("a case needs a name")
        if name not in self.cases:
            from thematica.services.project import now

            # another process importing a document of the same case may create it this moment:
            # then the insert is a no-op and theirs is used (store/engine.py)
            self.conn.execute(
                insert_ignoring_duplicates(self.conn, t.case).values(
                    project_id=self.project.id, name=name, created_at=now()
                )
            )
            self.cases[name] = int(
                self.conn.scalar(  # type: ignore[arg-type]
                    select(t.case.c.id).where(
                        t.case.c.project_id == self.project.id, t.case.c.name == name
                    )
                )
            )
            created.append(name)
        return self.cases[name]

    def define(
        self, name: str, kind: AttributeType, order: Sequence[str] | None = None
    ) -> tuple[int, AttributeType, list[str] | None]:
        name = name.strip()
        if not name:
            raise InputError("an attribute needs a name")
        order_list = [o.strip() for o in order] if order else None
        if name in self.attrs:
            attr_id, old_kind, old_order = self.attrs[name]
            if (kind, order_list) != (old_kind, old_order):
                self.conn.execute(
                    t.attribute.update()
                    .where(t.attribute.c.id == attr_id)
                    .values(type=kind.value, value_order=order_list)
                )
                self.attrs[name] = (attr_id, kind, order_list)
            return self.attrs[name]
        attr_id = self.conn.execute(
            insert(t.attribute).values(
                project_id=self.project.id,
                name=name,
                type=kind.value,
                value_order=order_list,
                position=len(self.attrs),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        self.attrs[name] = (attr_id, kind, order_list)
        return self.attrs[name]

    def set_value(
        self, case_id: int, name: str, raw: str | None, kind: AttributeType
    ) -> tuple[str | None, str | None]:
        """Store one value; returns (old, new) for the audit log (old None: there was none)."""
        attr_id, kind, order = self.attrs.get(name) or self.define(name, kind)
        value = canonical(raw, kind, order, name)
        table = t.attribute_value
        before = self.conn.execute(
            select(table.c.value).where(table.c.case_id == case_id, table.c.attribute_id == attr_id)
        ).first()
        if before is not None:
            self.conn.execute(
                table.update()
                .where(table.c.case_id == case_id, table.c.attribute_id == attr_id)
                .values(value=value)
            )
        else:
            self.conn.execute(
                insert(table).values(case_id=case_id, attribute_id=attr_id, value=value)
            )
        return (before[0] if before is not None else None), value


def parse_order(spec: str) -> list[str]:
    """``"<1 year; 1-3 years; >5 years"`` -> the list of ordered values."""
    values = [v.strip() for v in spec.split(";") if v.strip()]
    if len(values) < 2:
        raise InputError(f"an order needs at least two values separated by ';', got {spec!r}")
    return values


class Cases:
    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.IMPORT)
    def import_table(
        self,
        path: str | Path,
        *,
        id_column: str,
        types: Mapping[str, AttributeType | str] | None = None,
        orders: Mapping[str, Sequence[str]] | None = None,
        encoding: str | None = None,
        max_columns: int = MAX_COLUMNS,
    ) -> CaseImportReport:
        """Cases and attribute values from a CSV/XLSX file with one row per case.

        Column types are inferred unless given; an ordinal attribute needs its value order.
        Everything is checked before anything is written.
        """
        path = Path(path)
        header, rows = read_table(path, encoding=encoding, max_columns=max_columns)
        if id_column not in header:
            raise InputError(
                f"{path.name}: no column {id_column!r}; the columns are: {', '.join(header)}"
            )
        id_idx = header.index(id_column)
        declared = {k: AttributeType(v) for k, v in (types or {}).items()}
        orders = dict(orders or {})
        for name in list(declared) + list(orders):
            if name not in header:
                raise InputError(f"{path.name}: no column {name!r} to set a type or order for")
        for name in orders:
            declared.setdefault(name, AttributeType.ORDINAL)
        seen: dict[str, int] = {}
        for n, row in enumerate(rows, 2):
            case_name = " ".join(row[id_idx].split())
            if not case_name:
                raise InputError(f"{path.name}: row {n} has an empty {id_column!r}")
            if case_name in seen:
                raise InputError(
                    f"{path.name}: case {case_name!r} appears twice "
                    f"(rows {seen[case_name]} and {n})"
                )
            seen[case_name] = n
        columns = [(i, h) for i, h in enumerate(header) if i != id_idx and h]
        kinds: dict[str, AttributeType] = {}
        for i, name in columns:
            kinds[name] = declared.get(name) or infer_type(r[i] for r in rows)
            if kinds[name] is AttributeType.ORDINAL and name not in orders:
                raise InputError(
                    f"attribute {name!r} is ordinal: give its order of values",
                    attribute=name,
                    hint="order",
                )
            for n, row in enumerate(rows, 2):
                try:
                    canonical(row[i], kinds[name], orders.get(name), name)
                except InputError as exc:
                    raise InputError(f"{path.name}: row {n}: {exc}") from exc
        report = CaseImportReport(attributes={k: v.value for k, v in kinds.items()})
        changed: list[list[str | None]] = []
        with self.project.db.write() as conn:
            writer = CaseWriter(self.project, conn)
            for name, kind in kinds.items():
                writer.define(name, kind, orders.get(name))
            for row in rows:
                case_name = " ".join(row[id_idx].split())
                existed = case_name in writer.cases
                case_id = writer.ensure(case_name, report.cases_created)
                if existed:
                    report.cases_updated.append(case_name)
                for i, name in columns:
                    old, new = writer.set_value(case_id, name, row[i], kinds[name])
                    if existed and old != new:
                        changed.append([case_name, name, old, new])
            self.project.audit(
                conn,
                "import_cases",
                file=str(path),
                created=len(report.cases_created),
                updated=len(report.cases_updated),
                cases=report.cases_created,
                changes=changed,  # [case, attribute, old, new] of existing cases' values
            )
        return report

    @requires(Operation.IMPORT)
    def define_attribute(
        self, name: str, kind: AttributeType | str, order: Sequence[str] | None = None
    ) -> None:
        kind = AttributeType(kind)
        if kind is AttributeType.ORDINAL and not order:
            raise InputError(f"attribute {name!r} is ordinal: give its order")
        with self.project.db.write() as conn:
            writer = CaseWriter(self.project, conn)
            was = writer.attrs.get(name.strip())
            attr_id, _kind, _order = writer.define(name, kind, order)
            stored = select(t.attribute_value.c.value).where(
                t.attribute_value.c.attribute_id == attr_id
            )
            for value in conn.scalars(stored):
                try:
                    canonical(value, kind, order, name)
                except InputError as exc:
                    raise InputError(f"cannot make {name!r} {kind.value}: {exc}") from exc
            self.project.audit(
                conn,
                "define_attribute",
                name=name,
                type=kind.value,
                order=list(order) if order else None,
                old_type=was[1].value if was else None,
                old_order=was[2] if was else None,
            )

    @requires(Operation.IMPORT)
    def set(self, case: str, attribute: str, value: str | None) -> None:
        with self.project.db.write() as conn:
            writer = CaseWriter(self.project, conn)
            if case not in writer.cases:
                raise NotFoundError(f"no case named {case!r}")
            kind = writer.attrs[attribute][1] if attribute in writer.attrs else infer_type([value])
            old, new = writer.set_value(writer.cases[case], attribute, value, kind)
            self.project.audit(
                conn, "set_attribute", case=case, attribute=attribute, value=new, old=old, new=new
            )

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def attribute_info(self, conn: Connection | None = None) -> list[AttributeInfo]:
        stmt = (
            select(t.attribute)
            .where(t.attribute.c.project_id == self.project.id)
            .order_by(t.attribute.c.position, t.attribute.c.id)
        )
        if conn is None:
            with self.project.db.read() as c:
                rows = c.execute(stmt).all()
        else:
            rows = conn.execute(stmt).all()
        return [
            AttributeInfo(
                r.name, AttributeType(r.type), tuple(r.value_order) if r.value_order else None
            )
            for r in rows
        ]

    @requires(Operation.READ)
    def values(self, conn: Connection | None = None) -> dict[str, dict[str, str | None]]:
        """case name -> {attribute name -> value}; every case, every attribute (None = missing)."""

        def load(c: Connection) -> dict[str, dict[str, str | None]]:
            pid = self.project.id
            attrs = [a.name for a in self.attribute_info(c)]
            out: dict[str, dict[str, str | None]] = {
                name: dict.fromkeys(attrs)
                for name in c.scalars(
                    select(t.case.c.name).where(t.case.c.project_id == pid).order_by(t.case.c.name)
                )
            }
            stmt = (
                select(t.case.c.name, t.attribute.c.name, t.attribute_value.c.value)
                .join(t.attribute_value, t.attribute_value.c.case_id == t.case.c.id)
                .join(t.attribute, t.attribute.c.id == t.attribute_value.c.attribute_id)
                .where(t.case.c.project_id == pid)
            )
            for case_name, attr, value in c.execute(stmt):
                out[case_name][attr] = value
            return out

        if conn is not None:
            return load(conn)
        with self.project.db.read() as c:
            return load(c)

    @requires(Operation.READ)
    def list(self) -> Table[CaseRow]:
        with self.project.db.read() as conn:
            values = self.values(conn)
            docs: dict[str, int] = dict(
                conn.execute(
                    select(t.case.c.name, func.count(t.document.c.id))
                    .outerjoin(t.document, t.document.c.case_id == t.case.c.id)
                    .where(t.case.c.project_id == self.project.id)
                    .group_by(t.case.c.name)
                ).all()
            )
        rows = [CaseRow(name, int(docs.get(name, 0)), attrs) for name, attrs in values.items()]
        return Table(rows, title="Cases")

    @requires(Operation.READ)
    def dataframe(self) -> Any:
        """Cases × attributes as a pandas DataFrame indexed by case."""
        import pandas as pd

        values = self.values()
        columns = [a.name for a in self.attribute_info()]
        frame = pd.DataFrame.from_dict(values, orient="index", columns=columns)
        frame.index.name = "case"
        return frame

    @requires(Operation.READ)
    def describe(
        self, attributes: Sequence[str] | None = None, *, unit: str = "participants"
    ) -> Table[DescribeRow]:
        """The participant table (Table 1): each attribute's values with n and percent of cases.

        With focus groups (speaker maps), the participants are the cases speakers stand for
        and the cases of individual interviews; a case that is only a focus group's own case
        describes the group, not a person, so it is left out (``unit="groups"`` describes those
        group cases instead). Attributes no described case has a value for are then left out
        unless named: group attributes say nothing of participants, and the reverse.
        """
        from thematica.services.speakers import load_attributor

        if unit not in ("participants", "groups"):
            raise InputError(f"Table 1 describes participants or groups, not {unit!r}")
        with self.project.db.read() as conn:
            infos = self.attribute_info(conn)
            values = self.values(conn)
            groups = load_attributor(self.project, conn).group_cases()
        if not values:
            raise InputError("the project has no cases yet", hint="cases_import")
        if groups or unit == "groups":
            values = {c: v for c, v in values.items() if (c in groups) == (unit == "groups")}
            if not values:
                raise InputError("the project has no focus groups (speaker maps) to describe")
        if attributes:
            known = {a.name: a for a in infos}
            missing = [a for a in attributes if a not in known]
            if missing:
                raise NotFoundError(
                    f"no attribute named {', '.join(map(repr, missing))}; known: {', '.join(known)}"
                )
            infos = [known[a] for a in attributes]
        elif groups:
            infos = [
                a for a in infos if any((v.get(a.name) or "").strip() for v in values.values())
            ]
        rows = describe(infos, values)
        title = "Focus groups" if unit == "groups" else "Participants"
        return Table(
            rows,
            columns=("attribute", "value", "n", "percent"),
            title=f"{title} (N = {len(values)})",
        )
