"""A document's facts as rows of the fact tables, written in bulk with ``COPY``.

Rows come from the model dataclasses themselves: a field named like a column is that column, a
``lineage`` field gives ``table_index``/``page_no``/``row_index``, and ``document_id`` is added.
A new fact column is therefore a field on the model, a column in ``storage/schema.py`` (with its
migration) and a line in a view; nothing here changes. Renames and derived columns (a check's
``name`` is ``check_name``, a target's ``position`` within its printed row) are declared once in
``FACT_TABLES``.

One ``COPY … FROM STDIN`` per table per document, in the caller's transaction: a document of
10,000 rows is a handful of round trips instead of one statement per row.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import JSONB

from storage import schema as t
from yusuan.models import ExtractedDocument

Row = dict[str, Any]


@cache
def field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, read once per class (``fields`` builds them anew per call,
    and a document's facts are thousands of rows)."""
    return tuple(f.name for f in fields(cls))


def model_row(item: object, renames: dict[str, str] | None = None, omit: frozenset[str] = frozenset()) -> Row:
    """The columns of one model instance: its fields by name (``renames`` maps field → column),
    with ``lineage`` spread into its three columns."""
    row: Row = {}
    for name in field_names(type(item)):
        if name in omit:
            continue
        value = getattr(item, name)
        if name == "lineage":
            row["table_index"] = value.table_index if value else -1
            row["page_no"] = value.page_no if value else None
            row["row_index"] = value.row_index if value else -1
        else:
            row[(renames or {}).get(name, name)] = value
    return row


def _numbered_within_row(rows: list[Row]) -> list[Row]:
    """Several indicators can share a printed row (a summary table's categories side by side)."""
    seen: Counter[tuple[int, int]] = Counter()
    for row in rows:
        key = (row["table_index"], row["row_index"])
        row["position"] = seen[key]
        seen[key] += 1
    return rows


def _first_per_key(*key: str) -> Callable[[list[Row]], list[Row]]:
    def keep(rows: list[Row]) -> list[Row]:
        kept: dict[tuple[Any, ...], Row] = {}
        for row in rows:
            kept.setdefault(tuple(row[k] for k in key), row)
        return list(kept.values())

    return keep


def _last_per_key(*key: str) -> Callable[[list[Row]], list[Row]]:
    def keep(rows: list[Row]) -> list[Row]:
        return list({tuple(r[k] for k in key): r for r in rows}.values())

    return keep


@dataclass(frozen=True, slots=True)
class FactTable:
    """Where one kind of a document's facts goes, and how its items become rows."""

    table: Table
    items: Callable[[ExtractedDocument], Iterable[object]]
    renames: dict[str, str] = field(default_factory=dict)
    # Fields stored elsewhere (a table's rows go to table_rows).
    omit: frozenset[str] = frozenset()
    # Rows to the primary key's rules (numbering, de-duplication), after the plain mapping.
    finish: Callable[[list[Row]], list[Row]] = lambda rows: rows
    # Facts of a loaded document only (tables are kept for every document, as evidence).
    loaded_only: bool = True

    def rows(self, document_id: int, doc: ExtractedDocument) -> list[Row]:
        rows = [{"document_id": document_id, **model_row(item, self.renames, self.omit)} for item in self.items(doc)]
        return self.finish(rows)


def _table_rows(doc: ExtractedDocument) -> Iterable[object]:
    return (
        _Cells(tb.index, r.row_index, r.page_no, list(r.cells), *(r.box or (None, None, None, None)))
        for tb in doc.tables
        for r in tb.rows
    )


@dataclass(frozen=True, slots=True)
class _Cells:
    table_index: int
    row_index: int
    page_no: int
    cells: list[str]
    x0: float | None
    top: float | None
    x1: float | None
    bottom: float | None


FACT_TABLES: tuple[FactTable, ...] = (
    FactTable(
        t.doc_tables,
        lambda doc: doc.tables,
        renames={"index": "table_index", "kind": "table_kind"},
        omit=frozenset({"rows"}),
        loaded_only=False,
    ),
    FactTable(t.table_rows, _table_rows, loaded_only=False),
    FactTable(t.function_lines, lambda doc: doc.function_lines),
    FactTable(t.economic_lines, lambda doc: doc.economic_lines),
    FactTable(t.project_lines, lambda doc: doc.projects),
    FactTable(t.performance_targets, lambda doc: doc.targets, finish=_numbered_within_row),
    # The same figure read twice at one place: the first reading stands.
    FactTable(t.figures, lambda doc: doc.figures, finish=_first_per_key("name", "table_index", "row_index")),
    # One verdict per check and subject: the last one stands.
    FactTable(
        t.checks, lambda doc: doc.checks, renames={"name": "check_name"}, finish=_last_per_key("check_name", "subject")
    ),
)


def _value(value: Any, is_json: bool) -> Any:
    if is_json:
        return json.dumps(value, ensure_ascii=False)
    # psycopg writes an Enum by its member name; the column holds its value (a StrEnum's text).
    return value.value if isinstance(value, Enum) else value


def copy_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> int:
    """``COPY`` ``rows`` into ``table`` in the connection's transaction; returns the row count.

    Text format: psycopg escapes each value; JSONB values are sent as their JSON text."""
    if not rows:
        return 0
    columns = [c for c in table.columns if c.name in rows[0]]
    missing = set(rows[0]) - {c.name for c in columns}
    if missing:
        raise KeyError(f"{table.name} has no column {sorted(missing)}: add it to storage/schema.py and a migration")
    as_json = [isinstance(c.type, JSONB) for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table.schema}.{table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_value(row[c.name], is_json) for c, is_json in zip(columns, as_json, strict=True)])
    return len(rows)


def insert_facts(conn: Connection, document_id: int, doc: ExtractedDocument, loaded: bool) -> int:
    """Every fact table's rows of ``doc``; the count of fact rows (tables and their cells aside)."""
    count = 0
    for fact in FACT_TABLES:
        if fact.loaded_only and not loaded:
            continue
        written = copy_rows(conn, fact.table, fact.rows(document_id, doc))
        count += written if fact.loaded_only else 0
    return count
