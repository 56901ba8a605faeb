"""``project.exports``: codings, the codebook and case attributes as typed pandas DataFrames,
and written as CSV or XLSX.

Attribute columns are typed by the attribute's type: numeric as ``Int64``/``Float64``, dates as
``datetime64``, ordinal as an ordered ``Categorical`` (in the attribute's value order), boolean
as ``boolean``, categorical as ``string``; a missing value is ``NA`` (``NaT`` for dates), never
the text ``"None"``. The service returns file contents; ``exporters.project_files.write_export``
writes them atomically (a temporary file beside the target, renamed into place). A CSV holds
one table; an XLSX adds a second sheet with each attribute's type and value order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.codebook import BOOL_FIELDS, FIELDS
from thematica.core.errors import InputError
from thematica.core.filters import AttributeInfo
from thematica.core.models import AttributeType
from thematica.exporters.xlsx_tables import frames_to_xlsx
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    import pandas as pd

    from thematica.services.project import Project

#: What ``write`` and ``thematica export`` can write.
KINDS = ("codings", "codebook", "cases")
FORMATS = ("csv", "xlsx")
CAPTION_FORMATS = ("vtt", "srt")
CODING_COLUMNS = ("id", "document", "case", "code", "coder", "start", "end", "text", "memo")
#: Excel refuses control characters and cells longer than this.


def typed_column(info: AttributeInfo, values: Sequence[str | None]) -> Any:
    """Stored (canonical text) attribute values as a typed pandas array; missing -> NA."""
    import pandas as pd

    kind = info.type
    if kind is AttributeType.NUMERIC:
        numbers = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce")
        present = numbers.dropna()
        if len(present) and (present == present.round()).all() and present.abs().max() < 2**53:
            return numbers.astype("Int64").array
        return numbers.astype("Float64").array
    if kind is AttributeType.DATE:
        return pd.to_datetime(pd.Series(list(values), dtype="object"), errors="coerce").array
    if kind is AttributeType.BOOLEAN:
        return pd.array(
            [None if v is None else v == "yes" for v in values],
            dtype="boolean",
        )
    if kind is AttributeType.ORDINAL and info.order:
        return pd.Categorical(list(values), categories=list(info.order), ordered=True)
    return pd.array(list(values), dtype="string")


def _unique_columns(names: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """Attribute name -> column name, renamed where it would clash with a fixed column."""
    used = {n.casefold() for n in taken}
    out: dict[str, str] = {}
    for name in names:
        column, n = name, 1
        while column.casefold() in used:
            column = f"{name} (attribute)" if n == 1 else f"{name} (attribute {n})"
            n += 1
        used.add(column.casefold())
        out[name] = column
    return out


class Exports:
    """Tables for other tools: ``codings_frame``, ``codebook_frame``, ``cases_frame``, ``write``."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- frames -------------------------------------------------------------------------
    @requires(Operation.READ)
    def attributes_frame(self) -> pd.DataFrame:
        """Each attribute's name, type and (ordinal) value order, in the project's order."""
        import pandas as pd

        infos = self.project.cases.attribute_info()
        return pd.DataFrame(
            {
                "attribute": pd.array([a.name for a in infos], dtype="string"),
                "type": pd.array([a.type.value for a in infos], dtype="string"),
                "order": pd.array(
                    ["; ".join(a.order) if a.order else None for a in infos], dtype="string"
                ),
            }
        )

    @requires(Operation.READ)
    def cases_frame(self) -> pd.DataFrame:
        """One row per case: ``case``, ``documents`` (how many), then every attribute, typed."""
        import pandas as pd
        from sqlalchemy import func

        with self.project.db.read() as conn:
            infos = self.project.cases.attribute_info(conn)
            values = self.project.cases.values(conn)
            docs: dict[str, int] = dict(
                conn.execute(
                    select(t.case.c.name, func.count(t.document.c.id))
                    .outerjoin(t.document, t.document.c.case_id == t.case.c.id)
                    .where(t.case.c.project_id == self.project.id)
                    .group_by(t.case.c.name)
                ).all()
            )
        names = list(values)
        columns = _unique_columns([a.name for a in infos], ("case", "documents"))
        data: dict[str, Any] = {
            "case": pd.array(names, dtype="string"),
            "documents": pd.array([int(docs.get(n, 0)) for n in names], dtype="Int64"),
        }
        for info in infos:
            data[columns[info.name]] = typed_column(info, [values[n][info.name] for n in names])
        return pd.DataFrame(data)

    @requires(Operation.READ)
    def codebook_frame(self) -> pd.DataFrame:
        """One row per code, depth first: path, name, parent, depth, every field, codings."""
        import pandas as pd
        from sqlalchemy import func

        with self.project.db.read() as conn:
            index = self.project.codebook.index(conn)
            counts: dict[int, int] = dict(
                conn.execute(
                    select(t.coding.c.code_id, func.count())
                    .where(t.coding.c.project_id == self.project.id)
                    .group_by(t.coding.c.code_id)
                ).all()
            )
        order = index.depth_first()
        rows = [index.rows[cid] for cid in order]

        def text(values: Iterable[Any]) -> Any:
            return pd.array([v if v not in (None, "") else None for v in values], dtype="string")

        data: dict[str, Any] = {
            "path": text(index.paths[cid] for cid in order),
            "name": text(r.name for r in rows),
            "parent": text(index.paths.get(r.parent_id) if r.parent_id else None for r in rows),
            "depth": pd.array([index.depth(cid) for cid in order], dtype="Int64"),
        }
        for f in FIELDS:
            if f in BOOL_FIELDS:
                data[f] = pd.array([bool(getattr(r, f)) for r in rows], dtype="boolean")
            else:
                data[f] = text(getattr(r, f) for r in rows)
        data["codings"] = pd.array([int(counts.get(cid, 0)) for cid in order], dtype="Int64")
        return pd.DataFrame(data)

    @requires(Operation.READ)
    def codings_frame(self, coder: str | Sequence[str] | None = None) -> pd.DataFrame:
        """One row per coding of the chosen layer(s), ordered by document and position.

        ``coder``: a name, several (list or ``"a,b"``) or ``"all"``; by default the only
        coder or the consensus layer (as everywhere else). Columns: ``id``, ``document``,
        ``case``, every case attribute (typed), ``code`` (its path), ``coder``, ``start``,
        ``end`` (code-point offsets, end exclusive), ``text`` (the coded passage), ``memo``.
        """
        import pandas as pd

        pid = self.project.id
        c, d = t.coding.c, t.document.c
        with self.project.db.read() as conn:
            has_coders = conn.scalar(select(t.coder.c.id).where(t.coder.c.project_id == pid))
            coders = self.project.coding.coder_ids(conn, coder) if has_coders else {}
            index = self.project.codebook.index(conn)
            docs = self._documents(conn)
            codings = (
                conn.execute(
                    select(c.id, c.document_id, c.code_id, c.coder_id, c.start, c.end, c.memo)
                    .where(c.project_id == pid, c.coder_id.in_(list(coders)))
                    .order_by(c.document_id, c.start, c.end, c.id)
                ).all()
                if coders
                else []
            )
            # in a focus group a coding belongs to its speaker's case (services/speakers.py)
            attr = self.project.speakers.attributor(conn)
            case_of = [attr.case_of(r.document_id, r.start, r.end) for r in codings]
            # each document's text is read once and sliced in Python (code-point offsets)
            texts: list[str] = []
            current, text = None, ""
            for r in codings:
                if r.document_id != current:
                    current = r.document_id
                    text = conn.scalar(select(d.text).where(d.id == current)) or ""
                texts.append(text[r.start : r.end])
            del text
        frame = pd.DataFrame(
            {
                "id": pd.array([r.id for r in codings], dtype="Int64"),
                "document": pd.array([docs[r.document_id][0] for r in codings], dtype="string"),
                "case": pd.array(case_of, dtype="string"),
                "code": pd.array([index.paths[r.code_id] for r in codings], dtype="string"),
                "coder": pd.array([coders[r.coder_id] for r in codings], dtype="string"),
                "start": pd.array([r.start for r in codings], dtype="Int64"),
                "end": pd.array([r.end for r in codings], dtype="Int64"),
                "text": pd.array(texts, dtype="string"),
                "memo": pd.array([r.memo or None for r in codings], dtype="string"),
            }
        )
        cases = self.cases_frame().drop(columns=["documents"])
        attrs = _unique_columns(
            [str(col) for col in cases.columns[1:]], CODING_COLUMNS
        )  # cases_frame already avoided 'case' and 'documents'
        cases = cases.rename(columns=attrs)
        if len(cases.columns) > 1:
            frame = frame.merge(cases, on="case", how="left", sort=False)
        ordered = [*CODING_COLUMNS[:3], *attrs.values(), *CODING_COLUMNS[3:]]
        # document then position order, as the rows came from the database
        frame = frame.sort_values(["document", "start", "end", "id"], kind="stable")
        return frame[ordered].reset_index(drop=True)

    def _documents(self, conn: Connection) -> dict[int, tuple[str, str | None]]:
        """Every document's name and own case, by id."""
        d = t.document.c
        case_names = dict(
            conn.execute(
                select(t.case.c.id, t.case.c.name).where(t.case.c.project_id == self.project.id)
            ).all()
        )
        return {
            r.id: (r.name, case_names.get(r.case_id))
            for r in conn.execute(
                select(d.id, d.name, d.case_id).where(d.project_id == self.project.id)
            )
        }

    @requires(Operation.READ)
    def codings_rows(
        self, coder: str | Sequence[str] | None = None
    ) -> tuple[list[str], Iterator[list[str]]]:
        """The codings table as CSV cells, streamed: its header, and rows as they are read.

        The same table as :meth:`codings_frame` (same columns, order and cell text as its CSV)
        without holding it in memory: one document's codings and text at a time, so exporting
        200,000 codings needs a few MiB. The coder choice is checked before anything is
        returned; the rows come from a read transaction held while they are consumed.
        """
        pid = self.project.id
        with self.project.db.read() as conn:
            has_coders = conn.scalar(select(t.coder.c.id).where(t.coder.c.project_id == pid))
            coders = self.project.coding.coder_ids(conn, coder) if has_coders else {}
            paths = dict(self.project.codebook.index(conn).paths)
            docs = self._documents(conn)
        attr_columns, attr_cells = self._case_cells()
        header = [*CODING_COLUMNS[:3], *attr_columns, *CODING_COLUMNS[3:]]
        # the frame's order: document name, then position (ids break ties, as a stable sort)
        order = sorted(docs, key=lambda i: (docs[i][0], i))
        rows = self._coding_rows(coders, paths, docs, order, attr_cells, len(attr_columns))
        return header, rows

    def _case_cells(self) -> tuple[list[str], dict[str, list[str]]]:
        """Attribute column names and, per case, its attribute cells exactly as pandas writes
        them in the codings CSV (the cases table is small; the codings are what stream)."""
        cases = self.cases_frame().drop(columns=["documents"])
        attrs = _unique_columns([str(col) for col in cases.columns[1:]], CODING_COLUMNS)
        if not attrs:
            return [], {}
        records = list(csv.reader(io.StringIO(frame_to_csv(cases.rename(columns=attrs)))))
        return list(attrs.values()), {rec[0]: rec[1:] for rec in records[1:]}

    def _coding_rows(
        self,
        coders: dict[int, str],
        paths: dict[int, str],
        docs: dict[int, tuple[str, str | None]],
        order: list[int],
        attr_cells: dict[str, list[str]],
        n_attrs: int,
    ) -> Iterator[list[str]]:
        if not coders:
            return
        c, d = t.coding.c, t.document.c
        blank = [""] * n_attrs
        layers = list(coders)
        with self.project.db.read() as conn:
            attr = self.project.speakers.attributor(conn)
            coded = set(
                conn.scalars(
                    select(c.document_id)
                    .where(c.project_id == self.project.id, c.coder_id.in_(layers))
                    .distinct()
                )
            )
            for doc_id in order:
                if doc_id not in coded:
                    continue
                name, case = docs[doc_id]
                text = conn.scalar(select(d.text).where(d.id == doc_id)) or ""
                attrs = attr_cells.get(case, blank) if case is not None else blank
                result = conn.execution_options(yield_per=2000).execute(
                    select(c.id, c.code_id, c.coder_id, c.start, c.end, c.memo)
                    .where(c.document_id == doc_id, c.coder_id.in_(layers))
                    .order_by(c.start, c.end, c.id)
                )
                for r in result:
                    if attr.has_maps:  # a focus group: the speaker's case, not the group's
                        case = attr.case_of(doc_id, r.start, r.end)
                        attrs = attr_cells.get(case, blank) if case is not None else blank
                    yield [
                        str(r.id),
                        name,
                        case or "",
                        *attrs,
                        paths[r.code_id],
                        coders[r.coder_id],
                        str(r.start),
                        str(r.end),
                        text[r.start : r.end],
                        r.memo or "",
                    ]

    @requires(Operation.READ)
    def frame(self, kind: str, *, coder: str | Sequence[str] | None = None) -> pd.DataFrame:
        if kind == "codings":
            return self.codings_frame(coder=coder)
        if kind == "codebook":
            return self.codebook_frame()
        if kind == "cases":
            return self.cases_frame()
        raise InputError(f"unknown export {kind!r}; choose {', '.join(KINDS)}")

    # -- file contents ------------------------------------------------------------------
    @requires(Operation.READ)
    def render(self, kind: str, fmt: str, *, coder: str | Sequence[str] | None = None) -> bytes:
        """One table as the bytes of a CSV or XLSX file (``exporters.project_files.
        write_export`` writes it to a path, streaming a codings CSV)."""
        return self.render_frame(kind, self.frame(kind, coder=coder), fmt)

    @requires(Operation.READ)
    def render_frame(self, kind: str, frame: pd.DataFrame, fmt: str) -> bytes:
        """A frame made by :meth:`frame` as CSV or XLSX bytes (an XLSX of codings or cases
        adds the ``attributes`` sheet: each attribute's type and value order)."""
        if kind not in KINDS:
            raise InputError(f"unknown export {kind!r}; choose {', '.join(KINDS)}")
        fmt = fmt.lower().lstrip(".")
        if fmt == "csv":
            return frame_to_csv(frame).encode("utf-8")
        if fmt != "xlsx":
            raise InputError(f"an export is csv or xlsx, not {fmt!r}", choices=list(FORMATS))
        sheets = {kind: frame}
        if kind in ("codings", "cases"):
            sheets["attributes"] = self.attributes_frame()
        return frames_to_xlsx(sheets)

    @requires(Operation.READ)
    def captions(self, document: str, fmt: str = "vtt") -> str:
        """A timed document's turns as a WebVTT or SubRip file's text (long turns split into
        short cues; see :mod:`thematica.exporters.captions` for how their times are shared)."""
        from thematica.exporters.captions import to_srt, to_vtt, turn_cues

        if fmt not in CAPTION_FORMATS:
            raise InputError(f"captions are vtt or srt, not {fmt!r}", choices=list(CAPTION_FORMATS))
        record = self.project.documents.get(document)
        cues = turn_cues(record.text, record.turns)
        if not cues:
            raise InputError(
                f"{document} has no timestamps: only transcribed or caption-imported documents "
                "can be exported as captions"
            )
        return to_vtt(cues) if fmt == "vtt" else to_srt(cues)


def check_target(kind: str, path: str | Path, format: str | None = None) -> str:
    """The format to write ``path`` in; one-line errors for a bad kind, format or folder."""
    path = Path(path)
    if kind not in KINDS:
        raise InputError(f"unknown export {kind!r}; choose {', '.join(KINDS)}")
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise InputError(f"{path.name}: choose a .csv or .xlsx file name")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder")
    return fmt


# -- writers ---------------------------------------------------------------------------------
def frame_to_csv(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV, UTF-8, LF line ends; missing values are empty, dates ``YYYY-MM-DD``."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue()
