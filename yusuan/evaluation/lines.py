"""Printed lines labelled by hand (``LINES.tsv``), and how stored lines score against them.

``../shared/real/LINES.tsv`` (its README defines the yardstick) holds every printed row of the
first 一般公共预算支出表 (``gbe``: by function; 合计 / 基本支出 / 项目支出) and the first
一般公共预算基本支出表 (``gbb``: by economic class; 合计 / 人员经费 / 公用经费) of a set of budgets.
A **leaf** is a row with amounts and a code that no longer code of the same table extends (in a
table that prints no codes: a row whose next row is not deeper). A leaf is right when the file
has a stored line of that table with the same code (code-less: the same name) and the same three
amounts, a blank truth cell accepting NULL or 0. The same rules score any file of the same shape,
so nothing here knows a file.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from yusuan.models import ExtractedDocument

TABLES = ("gbe", "gbb")
# Where each yardstick table's lines are stored.
TABLE_KINDS = {"gbe": "general_budget_expenditure", "gbb": "general_budget_basic_expenditure"}
_DEPTH = {"total": 0, "class": 1, "section": 2, "item": 3, "subitem": 4}
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class TruthLine:
    file: str
    table: str
    page: int
    row: int
    code: str
    gov_code: str
    name: str
    level: str
    amounts: tuple[Decimal | None, Decimal | None, Decimal | None]
    note: str


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A line as yusuan stored it, reduced to what the yardstick compares."""

    table: str
    code: str
    name: str
    amounts: tuple[Decimal | None, Decimal | None, Decimal | None]


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def read_truth(path: Path) -> list[TruthLine]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            TruthLine(
                file=row["file"],
                table=row["table"],
                page=int(row["page"] or 0),
                row=int(row["row"] or 0),
                code=row["code"].strip(),
                gov_code=row["gov_code"].strip(),
                name=row["name"].strip(),
                level=row["level"].strip(),
                amounts=(
                    _decimal(row["total"]),
                    _decimal(row["basic_or_personnel"]),
                    _decimal(row["project_or_public"]),
                ),
                note=row["note"],
            )
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def leaves(rows: list[TruthLine]) -> list[TruthLine]:
    """The leaves of one table's rows in printed order (see the module docstring)."""
    rows = [r for r in rows if r.level != "absent"]
    codes = {r.code for r in rows if r.code}
    out = []
    for i, r in enumerate(rows):
        if r.level == "total" or all(a is None for a in r.amounts):
            continue
        if r.code:
            if not any(c != r.code and c.startswith(r.code) for c in codes):
                out.append(r)
        else:
            following = rows[i + 1] if i + 1 < len(rows) else None
            if following is None or _DEPTH.get(following.level, 0) <= _DEPTH.get(r.level, 0):
                out.append(r)
    return out


def stored_lines(doc: ExtractedDocument) -> list[StoredLine]:
    """The lines an extraction stores for the two yardstick tables."""
    out = [
        StoredLine("gbe", line.func_code, line.func_name, (line.total, line.basic_total, line.project_total))
        for line in doc.function_lines
        if line.table_kind == TABLE_KINDS["gbe"]
    ]
    out += [
        StoredLine("gbb", line.econ_code, line.econ_name, (line.total, line.personnel, line.public_funds))
        for line in doc.economic_lines
        if line.table_kind == TABLE_KINDS["gbb"]
    ]
    return out


def _same_amount(truth: Decimal | None, stored: Decimal | None) -> bool:
    if truth is None or truth == _ZERO:
        return stored is None or stored == _ZERO
    return stored == truth


def same_amounts(truth: TruthLine, stored: StoredLine) -> bool:
    return all(_same_amount(t, s) for t, s in zip(truth.amounts, stored.amounts, strict=True))


def _name_key(name: str) -> str:
    return "".join(name.split())


def _key(code: str, name: str) -> str:
    return code or f"name:{_name_key(name)}"


@dataclass(slots=True)
class TableScore:
    file: str
    table: str
    leaves: int = 0
    exact: int = 0
    # Why each leaf missed: no line stored for the table at all, no line with its code, or a
    # line with its code whose amounts differ (which column).
    misses: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


def score_table(file: str, table: str, truth_rows: list[TruthLine], stored: list[StoredLine]) -> TableScore:
    """One file's table: each truth leaf takes one stored line with its key and amounts (a
    department table repeating its units' blocks prints the same code several times)."""
    score = TableScore(file, table)
    pool: dict[str, list[StoredLine]] = defaultdict(list)
    for line in stored:
        if line.table == table:
            pool[_key(line.code, line.name)].append(line)
    any_stored = any(pool.values())
    for leaf in leaves(truth_rows):
        score.leaves += 1
        candidates = pool.get(_key(leaf.code, leaf.name), [])
        if not leaf.code and not candidates:
            # A code-less truth row may be stored with the code its name resolves to.
            candidates = [s for lines in pool.values() for s in lines if _name_key(s.name) == _name_key(leaf.name)]
        match = next((s for s in candidates if same_amounts(leaf, s)), None)
        if match is not None:
            score.exact += 1
            for lines in pool.values():
                if match in lines:
                    lines.remove(match)
                    break
            continue
        if not any_stored:
            why = "table not stored"
        elif not candidates:
            why = "line not stored"
        else:
            near = candidates[0]
            wrong = [
                n
                for n, t, s in zip(("total", "a", "b"), leaf.amounts, near.amounts, strict=True)
                if not _same_amount(t, s)
            ]
            why = "amount differs: " + ",".join(wrong)
        score.misses[why] += 1
        if len(score.examples) < 3:
            score.examples.append(f"{leaf.code or leaf.name} {[str(a) for a in leaf.amounts]} ({why})")
    return score


def truth_by_file(truth: Iterable[TruthLine]) -> dict[str, dict[str, list[TruthLine]]]:
    grouped: dict[str, dict[str, list[TruthLine]]] = defaultdict(lambda: defaultdict(list))
    for line in truth:
        grouped[line.file][line.table].append(line)
    return grouped


@dataclass(slots=True)
class LineScorecard:
    tables: list[TableScore] = field(default_factory=list)

    @property
    def leaves(self) -> int:
        return sum(t.leaves for t in self.tables)

    @property
    def exact(self) -> int:
        return sum(t.exact for t in self.tables)

    @property
    def share(self) -> float:
        return self.exact / self.leaves if self.leaves else 1.0

    def misses(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for t in self.tables:
            total.update(t.misses)
        return total


def score_files(truth: dict[str, dict[str, list[TruthLine]]], stored: dict[str, list[StoredLine]]) -> LineScorecard:
    card = LineScorecard()
    for file in sorted(truth):
        for table in TABLES:
            rows = truth[file].get(table, [])
            if rows and any(r.level != "absent" for r in rows):
                card.tables.append(score_table(file, table, rows, stored.get(file, [])))
    return card
