"""Layout invariance (``yusuan/evaluation/layout_invariance.py``, ``bench/layout_invariance.py``):
a line table rewritten into another city's layout gives the same lines, and a rewrite that does
change them is reported."""

from __future__ import annotations

from dataclasses import replace

import pytest

from yusuan.evaluation import layout_invariance
from yusuan.evaluation.layout_invariance import REWRITES, grid_of, parsed_lines, table_variances
from yusuan.extract.document import extract_document
from yusuan.extract.tables import Grid, GridRow
from yusuan.models import ExtractedDocument
from yusuan.normalise.amounts import Unit
from yusuan.synth.model import generate_budget
from yusuan.synth.render import render_budget


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> list[ExtractedDocument]:
    directory = tmp_path_factory.mktemp("invariance")
    out = []
    for seed in (300011, 300012, 300013, 300014):
        path = directory / f"{seed}.pdf"
        path.write_bytes(render_budget(generate_budget(seed)))
        out.append(extract_document(path, str(seed)))
    return out


def test_a_stored_table_parses_to_the_lines_stored(docs: list[ExtractedDocument]) -> None:
    for doc in docs:
        for table in doc.tables:
            lines = parsed_lines(grid_of(table), str(table.kind), Unit(table.unit))
            stored = {line.func_code for line in doc.function_lines if line.lineage.table_index == table.index}
            stored |= {line.econ_code for line in doc.economic_lines if line.lineage.table_index == table.index}
            assert {code for code, _ in lines} == stored


def test_every_rewrite_applies_somewhere_and_keeps_the_lines(docs: list[ExtractedDocument]) -> None:
    applied = dict.fromkeys(REWRITES, 0)
    for doc in docs:
        for table in doc.tables:
            for name, variance in table_variances(table, Unit(table.unit)).items():
                applied[name] += variance.tables
                assert variance.held == variance.tables, variance.differences
    assert all(applied.values()), applied


def test_a_rewrite_that_changes_a_line_is_reported(
    docs: list[ExtractedDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_row_lost(grid: Grid, kind: str) -> Grid:
        coded = next(i for i, row in enumerate(grid.rows) if row.cells[0][:1] in "23" and row.cells[0].isdigit())
        return replace(
            grid, rows=[r if i != coded else GridRow(r.page_no, [""] * len(r.cells)) for i, r in enumerate(grid.rows)]
        )

    monkeypatch.setattr(layout_invariance, "REWRITES", {"a row lost": one_row_lost})
    table = next(t for t in docs[0].tables if t.kind == "general_budget_basic_expenditure")
    (variance,) = table_variances(table, Unit(table.unit), "x.pdf").values()
    assert variance.tables == 1 and variance.held == 0
    assert "1 lost" in variance.differences[0]
