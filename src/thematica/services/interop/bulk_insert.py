"""Driver-level bulk inserts and reads for loading a large import quickly.

Both skip SQLAlchemy's per-parameter processing, which dominates the cost of storing hundreds of
thousands of small rows; values must already be in driver form (see :func:`bound`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

#: Rows per executemany (and codings per batch of sources) when storing an import.
BATCH_ROWS = 20_000


def bound(conn: Connection, column: Any, value: Any) -> Any:
    """``value`` as the driver receives it for ``column`` (SQLAlchemy's bind processing)."""
    dialect = conn.dialect
    proc = column.type.dialect_impl(dialect).bind_processor(dialect)
    return proc(value) if proc else value


def raw_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` (integers only; literal parameters) as plain driver tuples."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def bulk_insert(
    conn: Connection, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (values already in driver form) with the driver's executemany.

    SQLAlchemy's own executemany processes every parameter of every row in Python; for
    hundreds of thousands of rows of plain integers and strings that is most of the cost.
    """
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(k) for k in compiled.positiontup or ()]
        params: list[Any] = (
            rows
            if order == list(range(len(columns)))
            else [tuple(r[i] for i in order) for r in rows]
        )
    else:
        params = [dict(zip(columns, r, strict=True)) for r in rows]
    for i in range(0, len(params), BATCH_ROWS):
        conn.exec_driver_sql(str(compiled), params[i : i + BATCH_ROWS])
