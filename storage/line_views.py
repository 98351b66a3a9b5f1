"""The function and economic lines the consumer views show, as the line yardstick compares them.

Read through ``budget.function_lines`` / ``budget.economic_lines`` (current filings only), keyed by
the file's sha256: what a consumer sees, not what extraction produced.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from yusuan.evaluation.lines import TABLE_KINDS, StoredLine

_QUERIES = {
    "gbe": "SELECT d.sha256, l.func_code, l.func_name, l.total, l.basic_total, l.project_total "
    "FROM budget.function_lines l JOIN yusuan.documents d USING (document_id) WHERE l.table_kind = :kind",
    "gbb": "SELECT d.sha256, l.econ_code, l.econ_name, l.total, l.personnel, l.public_funds "
    "FROM budget.economic_lines l JOIN yusuan.documents d USING (document_id) WHERE l.table_kind = :kind",
}


def visible_lines(conn: Connection) -> dict[str, list[StoredLine]]:
    """Every visible line of the two yardstick tables, by the sha256 of its document."""
    out: dict[str, list[StoredLine]] = {}
    for table, sql in _QUERIES.items():
        for sha, code, name, total, a, b in conn.execute(text(sql), {"kind": TABLE_KINDS[table]}):
            out.setdefault(sha, []).append(StoredLine(table, code, name, (total, a, b)))
    return out
