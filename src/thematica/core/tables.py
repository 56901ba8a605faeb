"""Tabular results: typed rows that every front end can render and pandas can load."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pandas as pd

R = TypeVar("R")


@dataclass(slots=True)
class Table(Generic[R]):
    """An ordered list of dataclass rows with a title; the unit every front end renders."""

    rows: list[R]
    columns: Sequence[str] = field(default_factory=tuple)
    title: str = ""
    #: for a page of a longer result (``limit``/``offset``): how many rows the whole result
    #: has; ``None`` where it was not counted
    total: int | None = None

    def __post_init__(self) -> None:
        if not self.columns and self.rows:
            self.columns = tuple(f.name for f in dataclasses.fields(self.rows[0]))  # type: ignore[arg-type]

    @classmethod
    def of(cls, row_type: type[R], rows: list[R], title: str = "") -> Table[R]:
        """A table whose columns come from the row dataclass, so an empty result keeps them."""
        columns = tuple(f.name for f in dataclasses.fields(row_type))  # type: ignore[arg-type]
        return cls(rows, columns=columns, title=title)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[R]:
        return iter(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """Rows as plain dicts restricted to ``columns`` (JSON-ready for simple field types)."""
        out = []
        for row in self.rows:
            data = dataclasses.asdict(row) if dataclasses.is_dataclass(row) else dict(row)  # type: ignore[arg-type, call-overload]
            out.append({c: data.get(c) for c in self.columns})
        return out

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), columns=list(self.columns))
