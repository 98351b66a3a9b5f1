"""Structured budgets with known true values, drawn deterministically from a seed.

Every figure is consistent the way real budgets are: lines sum to their totals, 基本支出 splits
into 人员经费 and 公用经费 that the economic lines repeat, projects add up to 项目支出.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

from yusuan.synth.catalog import BUREAUS, ECONOMIC_ITEMS, FUNCTION_ITEMS, PLACES, PROJECT_NAMES


@dataclass(frozen=True, slots=True)
class FuncLine:
    code: str
    name: str
    personnel: Decimal
    public: Decimal
    project: Decimal

    @property
    def basic(self) -> Decimal:
        return self.personnel + self.public

    @property
    def total(self) -> Decimal:
        return self.basic + self.project


@dataclass(frozen=True, slots=True)
class EconLine:
    code: str
    name: str
    gov_code: str
    gov_name: str
    is_personnel: bool
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    ptype: str
    unit_name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ThreePublic:
    abroad: Decimal
    purchase: Decimal
    operation: Decimal
    reception: Decimal

    @property
    def vehicle(self) -> Decimal:
        return self.purchase + self.operation

    @property
    def total(self) -> Decimal:
        return self.abroad + self.vehicle + self.reception


@dataclass(slots=True)
class SynthBudget:
    seed: int
    province: str
    place: str
    bureau: str
    year: int
    doc_kind: str  # 部门预算 | 单位预算
    unit: str  # 万元 | 元
    quantum: Decimal
    lines: list[FuncLine] = field(default_factory=list)
    econ: list[EconLine] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    three_public: ThreePublic | None = None

    @property
    def agency(self) -> str:
        return f"{self.place}{self.bureau}"

    def column_total(self, column: str) -> Decimal:
        """Sum of one amount of every function line (personnel, public, project, basic, total)."""
        return sum((getattr(line, column) for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.column_total("total")

    @property
    def basic(self) -> Decimal:
        return self.column_total("basic")

    @property
    def project(self) -> Decimal:
        return self.column_total("project")

    @property
    def personnel(self) -> Decimal:
        return self.column_total("personnel")

    @property
    def public(self) -> Decimal:
        return self.column_total("public")

    def yuan(self, amount: Decimal) -> Decimal:
        factor = Decimal(10000) if self.unit == "万元" else Decimal(1)
        return (amount * factor).quantize(Decimal("0.01"))


def _partition(rng: random.Random, units: int, parts: int) -> list[int]:
    """``units`` split into ``parts`` positive integers (fewer parts if there are too few units)."""
    parts = max(1, min(parts, units))
    if units <= 0:
        return []
    cuts = sorted(rng.sample(range(1, units), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, units]
    return [b - a for a, b in itertools.pairwise(bounds)]


def generate_budget(seed: int) -> SynthBudget:
    rng = random.Random(seed)
    province, place = rng.choice(PLACES)
    unit = "万元" if rng.random() < 0.7 else "元"
    quantum = Decimal("0.01") if unit == "万元" and rng.random() < 0.6 else Decimal("0.1")
    if unit == "元":
        quantum = Decimal(1)
    scale = 1 if unit == "万元" else 10000
    budget = SynthBudget(
        seed=seed,
        province=province,
        place=place,
        bureau=rng.choice(BUREAUS),
        year=rng.randint(2019, 2026),
        doc_kind="部门预算" if rng.random() < 0.75 else "单位预算",
        unit=unit,
        quantum=quantum,
    )

    def amount(low: int, high: int) -> Decimal:
        # Drawn in 万元 and expressed in the printed unit and quantum.
        units = rng.randint(int(low * scale / quantum), int(high * scale / quantum))
        return units * quantum

    codes = rng.sample(sorted(FUNCTION_ITEMS), rng.randint(4, 14))
    for code in sorted(codes):
        personnel = amount(0, 3000) if rng.random() < 0.7 else Decimal(0)
        public = amount(0, 600) if personnel and rng.random() < 0.7 else Decimal(0)
        project = amount(1, 5000) if rng.random() < 0.5 or not personnel else Decimal(0)
        budget.lines.append(FuncLine(code, FUNCTION_ITEMS[code], personnel, public, project))

    def split(total: Decimal, names: list[str]) -> list[Decimal]:
        units = int(total / quantum)
        return [p * quantum for p in _partition(rng, units, len(names))]

    personnel_codes = [c for c, v in ECONOMIC_ITEMS.items() if v[3]]
    public_codes = [c for c, v in ECONOMIC_ITEMS.items() if not v[3]]
    for total, pool in ((budget.personnel, personnel_codes), (budget.public, public_codes)):
        chosen = sorted(rng.sample(pool, rng.randint(3, min(9, len(pool)))))
        for code, value in zip(chosen, split(total, chosen), strict=False):
            name, gov_code, gov_name, is_personnel = ECONOMIC_ITEMS[code]
            budget.econ.append(EconLine(code, name, gov_code, gov_name, is_personnel, value))

    if budget.project:
        names = rng.sample(PROJECT_NAMES, min(len(PROJECT_NAMES), rng.randint(2, 18)))
        units = [budget.agency] + [f"{place}{bureau[:-1]}服务中心" for bureau in (budget.bureau,)]
        for name, value in zip(names, split(budget.project, names), strict=False):
            budget.projects.append(Project(name, rng.choice(["其他运转类", "特定目标类"]), rng.choice(units), value))

    small = [amount(0, 30) if rng.random() < 0.5 else Decimal(0) for _ in range(4)]
    budget.three_public = ThreePublic(*small)
    return budget
