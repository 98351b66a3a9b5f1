"""Render a ``SynthBudget`` to PDF the many ways publishers lay out the same templates.

Variants (chosen from the seed): portrait or landscape, full grid / horizontal rules only,
类/款/项 in three columns or one code column, 1–2 header rows with merged cells, 基本支出 before
or after 项目支出, 类/款 subtotal rows printed or not, 情况表/预算表 titles with varying prefixes,
units 万元/元, thousands separators or not, blanks as "", "-" or "0.00", and tables long enough to
run over pages with or without a repeated header. reportlab's built-in STSong-Light CID font
needs no font file, so generation works on any machine.

Long on purpose: each layout variant is a few lines in the one renderer that draws every table.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yusuan.synth.catalog import FUNCTION_CLASSES, FUNCTION_SECTIONS
from yusuan.synth.model import FuncLine, SynthBudget

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

CHINESE_ORDINALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class RenderStyle:
    landscape: bool
    ruling: str  # grid | horizontal | none (text only, no ruling line at all; never drawn by chance)
    split_codes: bool
    header_depth: int
    project_first: bool
    subtotals: bool
    title_suffix: str  # 情况表 | 预算表
    title_prefix: str  # "", "部门", "单位"
    numbered: bool
    thousands: bool
    blank: str
    repeat_header: bool
    gov_econ_columns: bool
    font_size: float
    page_per_table: bool
    # How the line tables print their rows, beyond what is drawn by chance (LINE_LAYOUTS); never
    # drawn by chance, so the default corpus stays as it was.
    line_layout: str = "standard"

    @classmethod
    def draw(cls, rng: random.Random) -> RenderStyle:
        return cls(
            landscape=rng.random() < 0.5,
            ruling=rng.choice(["grid", "grid", "horizontal"]),
            split_codes=rng.random() < 0.6,
            header_depth=rng.choice([1, 2, 2]),
            project_first=rng.random() < 0.2,
            subtotals=rng.random() < 0.4,
            title_suffix=rng.choice(["情况表", "预算表"]),
            title_prefix=rng.choice(["", "部门", "单位"]),
            numbered=rng.random() < 0.3,
            thousands=rng.random() < 0.7,
            blank=rng.choice(["", "", "-", "0.00"]),
            repeat_header=rng.random() < 0.6,
            gov_econ_columns=rng.random() < 0.6,
            font_size=rng.choice([7.5, 8, 9]),
            page_per_table=rng.random() < 0.5,
        )


# Line-table layouts other templates print (bench/accuracy.py --line-layout):
#   side-by-side      人员经费 rows left, 公用经费 rows right of the same lines (科目编码 | 科目名称 | 金额
#                     twice, as 决算 templates print the 基本支出 table)
#   codes-in-names    "2010101 行政运行" in the name cell, no code column
#   total-last        the 合计 row under the lines
#   no-total-column   基本支出 | 项目支出 (人员经费 | 公用经费) and no 合计 column
#   full-width        amounts and codes typed full-width (１，２３４．００)
#   parents-once      类 | 款 (| 项) apart, with subtotal rows, each parent part printed only on the
#                     row that opens it (merged cells): the 款 rows leave their 类 blank
#   basic-by-function the 基本支出 table printed by function class (功能分类科目 rows, 合计 | 人员经费 |
#                     公用经费), as some templates print it, instead of by economic class
#   prior-year        the year before's 预算数 or 执行数 beside this year's amounts (under 2026年预算数
#                     or 本年预算数) and the change (比上年增减: 增减额 | 增减率, or one 增减%) right of
#                     them, as many templates print both tables
#   row-numbers       a 序号 column left of the codes, numbering the lines (the 合计 row unnumbered)
#   wrapped-labels    every header label of four characters or more broken over two lines in its
#                     cell (科目/编码, 基本/支出, 人员/经费), as narrow columns print them
#   unit-beside-title every table's 单位：万元 printed on its title's line, after the title
#   share-column      a last column 占比（%） of each line's share of the total, printed without %
#   other-blanks      nothing printed as — , －, / or —— (one per budget) instead of "", "-" or 0.00
LINE_LAYOUTS = (
    "standard",
    "side-by-side",
    "codes-in-names",
    "total-last",
    "no-total-column",
    "full-width",
    "parents-once",
    "basic-by-function",
    "prior-year",
    "row-numbers",
    "wrapped-labels",
    "unit-beside-title",
    "share-column",
    "other-blanks",
)
_ECONOMIC_CLASSES = {"301": "工资福利支出", "302": "商品和服务支出", "303": "对个人和家庭的补助", "310": "资本性支出"}
# Layouts drawn on a one-row header with no second classification (their columns are rewritten).
_FLAT_LAYOUTS = ("codes-in-names", "no-total-column", "prior-year")
_FULL_WIDTH = str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")


def _code_cells(code: str, columns: int) -> list[str]:
    """A function code in one code column, or its 类 | 款 | 项 parts (blank below a parent's level)."""
    return [code] if columns == 1 else [code[:3], code[3:5], code[5:7]]


def _with_parents(lines: list[FuncLine], subtotals: bool) -> Iterator[tuple[str, str, list[FuncLine]]]:
    """The rows of a function table in print order, each (code, name, the lines it sums): every
    line, led where ``subtotals`` by its 类 and 款 rows the first time they are met."""
    seen: set[str] = set()
    for line in lines:
        if subtotals:
            for prefix, names in ((line.code[:3], FUNCTION_CLASSES), (line.code[:5], FUNCTION_SECTIONS)):
                if prefix not in seen:
                    seen.add(prefix)
                    yield prefix, names.get(prefix, ""), [x for x in lines if x.code.startswith(prefix)]
        yield line.code, line.name, [line]


def _parents_once(body: list[list[str]], codes: int) -> list[list[str]]:
    """Each parent part blanked where the row above printed the same (a merged cell)."""
    out, previous = [], [""] * codes
    for row in body:
        parts = row[:codes]
        cells = list(row)
        for n in range(codes - 1):
            if parts[n + 1].strip() and parts[: n + 1] == previous[: n + 1]:
                cells[n] = ""
        if parts[0].strip():
            previous = parts
        out.append(cells)
    return out


def _laid_out(layout: str, header: list[list[str]], body: list[list[str]], codes: int, name: int) -> tuple:
    """A one-row-header line table (``codes`` code columns, then its name at ``name``, then 合计)
    rewritten into ``layout``; (header, body)."""
    if layout == "codes-in-names":

        def joined(row: list[str], is_header: bool) -> list[str]:
            code = "".join(row[:codes]).strip()
            label = "科目名称" if is_header else (f"{code} {row[name]}" if code.isdigit() else code + row[name])
            return [label, *row[name + 1 :]]

        return [joined(r, True) for r in header], [joined(r, False) for r in body]
    if layout == "no-total-column":
        return [r[: name + 1] + r[name + 2 :] for r in header], [r[: name + 1] + r[name + 2 :] for r in body]
    if layout == "total-last":
        return header, body[1:] + body[:1]
    if layout == "full-width":
        return header, [[c.translate(_FULL_WIDTH) if c[:1].isdigit() else c for c in r] for r in body]
    return header, body


def _amount(cell: str) -> Decimal:
    text = cell.replace(",", "")
    return Decimal(text) if text.replace(".", "").isdigit() else Decimal(0)


# How templates name the two periods and the change: (the year before's label, this year's, the
# change's group label or "" for one column, its leaf labels), the year spelt where "{y}" stands.
_PERIOD_LABELS = (
    ("{p}年预算数", "{y}年预算数", "比上年增减", ("增减额", "增减率")),
    ("上年预算数", "本年预算数", "", ("增减%",)),
    ("{p}年执行数", "{y}年预算数", "比上年执行数", ("增减额", "增长%")),
)


def _with_prior_year(
    header: list[list[str]], body: list[list[str]], name: int, year: int, money: Callable[[Decimal], str]
) -> tuple[list[list[str]], list[list[str]], list[tuple]]:
    """A one-row-header line table with the year before's amount (a tenth less or, every third line,
    more, to the quantum of this year's) beside this year's columns and the change right of them: a two-row header,
    (header, body, spans). Which labels, and whether the year before stands left or right of this
    year's, follow from the year and the rows (every variant over a run of seeds)."""
    before_label, now_label, change_label, change_leaves = _PERIOD_LABELS[(year + len(body)) % len(_PERIOD_LABELS)]
    before_label, now_label = (x.format(p=year - 1, y=year) for x in (before_label, now_label))
    before_first = (year + len(body)) % 4 != 3
    amounts = len(header[0]) - name - 1
    leading = [*header[0][: name + 1]]
    now_top = [now_label, *[""] * (amounts - 1)]
    change_top = [change_label, *[""] * (len(change_leaves) - 1)] if change_label else [change_leaves[0]]
    change_bottom = list(change_leaves) if change_label else [""]
    now_at = name + 2 if before_first else name + 1
    before_at = name + 1 if before_first else name + 1 + amounts
    periods_top = [before_label, *now_top] if before_first else [*now_top, before_label]
    periods_bottom = ["", *header[0][name + 1 :]] if before_first else [*header[0][name + 1 :], ""]
    top = [*leading, *periods_top, *change_top]
    bottom = [*[""] * (name + 1), *periods_bottom, *change_bottom]
    spans = [((c, 0), (c, 1)) for c in range(name + 1)] + [((before_at, 0), (before_at, 1))]
    spans.append(((now_at, 0), (now_at + amounts - 1, 0)))
    change_at = name + 2 + amounts
    spans.append(((change_at, 0), (change_at + len(change_bottom) - 1, 0 if change_label else 1)))
    rows = []
    for n, row in enumerate(body):
        now = _amount(row[name + 1])
        places = len(row[name + 1].rpartition(".")[2]) if "." in row[name + 1] else 0
        # Every third line fell from the year before: a negative change (-1,234.50, -9.09%).
        before = (now * Decimal("1.1" if n % 3 == 2 else "0.9")).quantize(Decimal(1).scaleb(-places))
        change = now - before
        rate = f"{change / before * 100:.2f}%" if before else ""
        changes = [money(change), rate] if len(change_leaves) == 2 else [rate]
        this_year = row[name + 1 :]
        periods = [money(before), *this_year] if before_first else [*this_year, money(before)]
        rows.append([*row[: name + 1], *periods, *changes])
    return [top, bottom], rows, spans


def _numbered(
    header: list[list[str]], body: list[list[str]], spans: list[tuple]
) -> tuple[list[list[str]], list[list[str]], list[tuple]]:
    """A 序号 column in front (spanning the header rows), the rows other than 合计 numbered 1, 2 …;
    (header, body, spans)."""
    header = [["序号" if r == 0 else "", *row] for r, row in enumerate(header)]
    shifted = [((a + 1, b), (c + 1, d)) for (a, b), (c, d) in spans]
    if len(header) > 1:
        shifted.append(((0, 0), (0, len(header) - 1)))
    numbers = iter(range(1, len(body) + 1))
    rows = [["" if "合计" in row else str(next(numbers)), *row] for row in body]
    return header, rows, shifted


def _with_share(
    header: list[list[str]], body: list[list[str]], name: int, spans: list[tuple]
) -> tuple[list[list[str]], list[list[str]], list[tuple]]:
    """A last column 占比（%）: each row's first amount over the 合计 row's, in hundredths, no % sign."""
    header = [[*row, "占比（%）" if r == 0 else ""] for r, row in enumerate(header)]
    if len(header) > 1:
        spans = [*spans, ((len(header[0]) - 1, 0), (len(header[0]) - 1, len(header) - 1))]
    amounts = [_amount(row[name + 1]) for row in body]
    total = max(amounts, default=Decimal(0))
    rows = [[*row, f"{a / total * 100:.2f}" if total and a else ""] for row, a in zip(body, amounts, strict=True)]
    return header, rows, spans


def _wrapped_labels(header: list[list[str]]) -> list[list[str]]:
    """Each label of four characters or more broken in the middle over two lines."""
    return [[t[: len(t) // 2] + "\n" + t[len(t) // 2 :] if len(t) >= 4 else t for t in row] for row in header]


class _Renderer:
    def __init__(self, budget: SynthBudget, style: RenderStyle, corrupt_total: bool = False) -> None:
        self.b = budget
        self.s = style
        self.corrupt_total = corrupt_total
        self.places = {Decimal("0.01"): 2, Decimal("0.1"): 1, Decimal(1): 0}[budget.quantum]
        self.body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16)
        self.title = ParagraphStyle("title", fontName=FONT, fontSize=14, leading=20, alignment=1)
        self.caption = ParagraphStyle("caption", fontName=FONT, fontSize=9, leading=13)
        self.cell = ParagraphStyle("cell", fontName=FONT, fontSize=style.font_size, leading=style.font_size * 1.2)
        self.centred_cell = ParagraphStyle("centred", parent=self.cell, alignment=1)
        self.table_no = 0

    def money(self, value: Decimal, zero_blank: bool = True) -> str:
        if value == 0 and zero_blank:
            if self.s.line_layout == "other-blanks":
                return ("—", "－", "/", "——")[self.b.year % 4]
            return self.s.blank
        text = f"{value:,.{self.places}f}" if self.s.thousands else f"{value:.{self.places}f}"
        return text

    def other_columns(
        self, header: list[list[str]], body: list[list[str]], spans: list[tuple], name: int
    ) -> tuple[list[list[str]], list[list[str]], list[tuple]]:
        """A line table (its last label column at ``name``) in the line layouts that add or
        rewrite columns or labels: prior-year, row-numbers, wrapped-labels, share-column."""
        layout = self.s.line_layout
        if layout == "prior-year":
            header, body, spans = _with_prior_year(header, body, name, self.b.year, self.money)
        elif layout == "row-numbers":
            header, body, spans = _numbered(header, body, spans)
        elif layout == "wrapped-labels":
            header = _wrapped_labels(header)
        elif layout == "share-column":
            header, body, spans = _with_share(header, body, name, spans)
        return header, body, spans

    def heading(self, name: str) -> list:
        self.table_no += 1
        prefix = f"{self.b.year}年" + (
            self.s.title_prefix if not name.startswith(("一般", "财政", "政府", "国有", "项目", "“三公”")) else ""
        )
        title = f"{prefix}{name}"
        if self.s.numbered:
            title = f"预算{self.table_no:02d}表 {title}"
        agency = Paragraph(f"{'部门' if self.b.doc_kind == '部门预算' else '单位'}名称：{self.b.agency}", self.caption)
        if self.s.line_layout == "unit-beside-title":
            return [Paragraph(f"{title}{'&nbsp;' * 12}单位：{self.b.unit}", self.title), Spacer(1, 2 * mm), agency]
        return [
            Paragraph(title, self.title),
            Spacer(1, 2 * mm),
            agency,
            Paragraph(f"单位：{self.b.unit}", self.caption),
            Spacer(1, 2 * mm),
        ]

    def table(self, rows: list[list[str]], header_rows: int, spans: list[tuple] = ()) -> Table:
        size = self.s.font_size
        available = (landscape(A4)[0] if self.s.landscape else A4[0]) - 32 * mm
        spanned = {
            (c, r) for (c0, r0), (c1, r1) in spans for c in range(c0, c1 + 1) for r in range(r0, r1 + 1) if c1 > c0
        }
        widths = []
        for c in range(len(rows[0])):
            texts = [line for r, row in enumerate(rows) if (c, r) not in spanned for line in row[c].split("\n")]
            widths.append(min(110.0, max(pdfmetrics.stringWidth(t, FONT, size) for t in texts) + 8))
        scale = min(1.0, available / sum(widths))
        widths = [w * scale for w in widths]
        # Text wider than its column goes into a Paragraph, which wraps inside the cell instead
        # of running over the next one; numbers always fit (their columns are sized for them). A
        # label broken by hand (wrapped-labels) is a centred Paragraph of its lines.
        wrapped = [
            [
                Paragraph(t.replace("\n", "<br/>"), self.centred_cell)
                if "\n" in t
                else Paragraph(t, self.cell)
                if pdfmetrics.stringWidth(t, FONT, size) + 6 > widths[c] and (c, r) not in spanned
                else t
                for c, t in enumerate(row)
            ]
            for r, row in enumerate(rows)
        ]
        table = Table(wrapped, colWidths=widths, repeatRows=header_rows if self.s.repeat_header else 0)
        commands = [
            ("FONT", (0, 0), (-1, -1), FONT, self.s.font_size),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER"),
        ]
        if self.s.ruling == "grid":
            commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        elif self.s.ruling == "horizontal":
            commands += [
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.black),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
            ]
        commands += [("SPAN", a, b) for a, b in spans]
        table.setStyle(TableStyle(commands))
        return table

    # ------------------------------------------------------------ tables

    def expenditure_table(self, name: str) -> list:
        s, b = self.s, self.b
        if s.line_layout == "parents-once":
            s = replace(s, split_codes=True, subtotals=True)
        codes = ["类", "款", "项"] if s.split_codes else ["科目编码"]
        nc = len(codes)
        groups = [("项目支出", ["项目支出"]), ("基本支出", ["小计", "人员经费", "公用经费"])]
        if not s.project_first:
            groups.reverse()
        flat = s.header_depth == 1 or s.line_layout in _FLAT_LAYOUTS
        if flat:
            header = [
                [*codes, "科目名称", "合计", "基本支出", "项目支出"]
                if not s.project_first
                else [*codes, "科目名称", "合计", "项目支出", "基本支出"]
            ]
            spans: list[tuple] = []
            value_cols = ["total", "basic", "project"] if not s.project_first else ["total", "project", "basic"]
        else:
            top = (["科目编码"] + [""] * (nc - 1)) + ["科目名称", "合计"]
            bottom = [*codes, "", ""]
            spans = []
            if nc == 3:
                spans.append(((0, 0), (2, 0)))
            else:
                spans.append(((0, 0), (0, 1)))
            spans += [((nc, 0), (nc, 1)), ((nc + 1, 0), (nc + 1, 1))]
            value_cols = ["total"]
            col = nc + 2
            for group, leaves in groups:
                if len(leaves) == 1:
                    top.append(group)
                    bottom.append("")
                    spans.append(((col, 0), (col, 1)))
                    value_cols.append("project")
                else:
                    top += [group, "", ""]
                    bottom += leaves
                    spans.append(((col, 0), (col + 2, 0)))
                    value_cols += ["basic", "personnel", "public"]
                col += len(leaves)
            header = [top, bottom]

        def values(personnel: Decimal, public: Decimal, project: Decimal) -> list[str]:
            v = {
                "total": personnel + public + project,
                "basic": personnel + public,
                "personnel": personnel,
                "public": public,
                "project": project,
            }
            return [self.money(v[k]) for k in value_cols]

        # corrupt_total prints a 合计 that its lines do not add up to (for reconciliation tests).
        wrong = b.quantum * 1000 if self.corrupt_total else Decimal(0)
        body = [[*([""] * nc), "合计", *values(b.personnel + wrong, b.public, b.project)]]
        for code, label, members in _with_parents(b.lines, s.subtotals):
            sums = [sum((getattr(x, f) for x in members), Decimal(0)) for f in ("personnel", "public", "project")]
            body.append([*_code_cells(code, nc), label, *values(*sums)])
        if s.line_layout == "parents-once":
            body = _parents_once(body, nc)
        if flat:
            header, body = _laid_out(s.line_layout, header, body, nc, nc)
        header, body, spans = self.other_columns(header, body, spans, nc)
        return [*self.heading(name), self.table(header + body, len(header), spans)]

    def summary_table(self) -> list:
        b = self.b
        classes: dict[str, Decimal] = {}
        for line in b.lines:
            classes[line.code[:3]] = classes.get(line.code[:3], Decimal(0)) + line.total
        income = [
            ("一、一般公共预算拨款收入", b.total),
            ("二、政府性基金预算拨款收入", Decimal(0)),
            ("三、国有资本经营预算拨款收入", Decimal(0)),
            ("四、事业收入", Decimal(0)),
            ("五、其他收入", Decimal(0)),
        ]
        spending = [
            (f"{CHINESE_ORDINALS[i] if i < 10 else i + 1}、{FUNCTION_CLASSES[c]}", v)
            for i, (c, v) in enumerate(sorted(classes.items()))
        ]
        rows = [["收入", "", "支出", ""], ["项目", "金额", "项目", "金额"]]
        for i in range(max(len(income), len(spending))):
            left = income[i] if i < len(income) else ("", None)
            right = spending[i] if i < len(spending) else ("", None)
            rows.append(
                [
                    left[0],
                    "" if left[1] is None else self.money(left[1]),
                    right[0],
                    "" if right[1] is None else self.money(right[1]),
                ]
            )
        rows += [
            ["本年收入合计", self.money(b.total, False), "本年支出合计", self.money(b.total, False)],
            ["上年结转结余", "", "年终结转结余", ""],
            ["收入总计", self.money(b.total, False), "支出总计", self.money(b.total, False)],
        ]
        name = "收支总体" + self.s.title_suffix if self.s.title_suffix == "情况表" else "收支预算表"
        return [*self.heading(name), self.table(rows, 2, [((0, 0), (1, 0)), ((2, 0), (3, 0))])]

    def economic_table(self, name: str) -> list:
        b, s = self.b, self.s
        if s.line_layout == "side-by-side":
            return self.economic_blocks_table(name)
        if s.line_layout == "parents-once":
            return self.economic_classes_table(name)
        if s.line_layout == "basic-by-function":
            return self.basic_by_function_table(name)
        gov_columns = s.gov_econ_columns and s.line_layout not in _FLAT_LAYOUTS
        if gov_columns:
            header = [
                ["部门预算支出经济分类科目", "", "政府预算支出经济分类科目", "", "本年一般公共预算基本支出", "", ""],
                ["科目编码", "科目名称", "科目编码", "科目名称", "合计", "人员经费", "公用经费"],
            ]
            spans = [((0, 0), (1, 0)), ((2, 0), (3, 0)), ((4, 0), (6, 0))]
        else:
            header = [["科目编码", "科目名称", "合计", "人员经费", "公用经费"]]
            spans = []
        body = []
        total_row = (
            ["合计", ""]
            + (["", ""] if gov_columns else [])
            + [self.money(b.basic, False), self.money(b.personnel), self.money(b.public)]
        )
        body.append(total_row)
        for e in b.econ:
            gov = [e.gov_code, e.gov_name] if gov_columns else []
            body.append(
                [
                    e.code,
                    e.name,
                    *gov,
                    self.money(e.amount),
                    self.money(e.amount if e.is_personnel else Decimal(0)),
                    self.money(Decimal(0) if e.is_personnel else e.amount),
                ]
            )
        if not gov_columns:
            header, body = _laid_out(s.line_layout, header, body, 1, 1)
        # (prior-year is drawn on flat tables only: no government-code columns there.)
        header, body, spans = self.other_columns(header, body, spans, 3 if gov_columns else 1)
        return [*self.heading(name), self.table(header + body, len(header), spans)]

    def basic_by_function_table(self, name: str) -> list:
        """The function lines that have basic spending, under 合计 | 人员经费 | 公用经费 (a two-row
        header spans them with 一般公共预算基本支出), 类/款 subtotal rows where the style prints them."""
        b, s = self.b, self.s
        codes = ["类", "款", "项"] if s.split_codes else ["科目编码"]
        nc = len(codes)
        parts = ["合计", "人员经费", "公用经费"]
        if s.header_depth == 1:
            header, spans = [[*codes, "科目名称", *parts]], []
        else:
            top = ["功能分类科目编码", *([""] * (nc - 1)), "功能分类科目名称", "一般公共预算基本支出", "", ""]
            header = [top, [*(codes if nc > 1 else [""]), "", *parts]]
            spans = [((0, 0), (nc - 1, 0) if nc > 1 else (0, 1)), ((nc, 0), (nc, 1)), ((nc + 1, 0), (nc + 3, 0))]

        def amounts(personnel: Decimal, public: Decimal) -> list[str]:
            return [self.money(personnel + public), self.money(personnel), self.money(public)]

        body = [[*([""] * nc), "合计", *amounts(b.personnel, b.public)]]
        for code, label, members in _with_parents([line for line in b.lines if line.basic], s.subtotals):
            personnel = sum((x.personnel for x in members), Decimal(0))
            public = sum((x.public for x in members), Decimal(0))
            body.append([*_code_cells(code, nc), label, *amounts(personnel, public)])
        return [*self.heading(name), self.table(header + body, len(header), spans)]

    def economic_classes_table(self, name: str) -> list:
        """类 | 款 apart, a subtotal row per class, the 类 printed on that row only."""
        b = self.b
        header = [["类", "款", "科目名称", "合计", "人员经费", "公用经费"]]
        body = [["合计", "", "", self.money(b.basic, False), self.money(b.personnel), self.money(b.public)]]
        for cls in sorted({e.code[:3] for e in b.econ}):
            items = [e for e in b.econ if e.code.startswith(cls)]
            personnel = sum((e.amount for e in items if e.is_personnel), Decimal(0))
            public = sum((e.amount for e in items if not e.is_personnel), Decimal(0))
            body.append(
                [cls, "", _ECONOMIC_CLASSES[cls], *(self.money(v) for v in (personnel + public, personnel, public))]
            )
            for e in items:
                personnel, public = (e.amount, Decimal(0)) if e.is_personnel else (Decimal(0), e.amount)
                body.append(["", e.code[3:], e.name, *(self.money(v) for v in (e.amount, personnel, public))])
        return [*self.heading(name), self.table(header + body, len(header))]

    def economic_blocks_table(self, name: str) -> list:
        b = self.b
        header = [
            ["人员经费", "", "", "公用经费", "", ""],
            ["科目编码", "科目名称", "金额", "科目编码", "科目名称", "金额"],
        ]
        spans = [((0, 0), (2, 0)), ((3, 0), (5, 0))]
        personnel = [[e.code, e.name, self.money(e.amount)] for e in b.econ if e.is_personnel]
        public = [[e.code, e.name, self.money(e.amount)] for e in b.econ if not e.is_personnel]
        body = [
            (personnel[i] if i < len(personnel) else ["", "", ""]) + (public[i] if i < len(public) else ["", "", ""])
            for i in range(max(len(personnel), len(public)))
        ]
        body.append(
            ["人员经费合计", "", self.money(b.personnel, False), "公用经费合计", "", self.money(b.public, False)]
        )
        return [*self.heading(name), self.table(header + body, len(header), spans)]

    def three_public_table(self) -> list:
        tp = self.b.three_public
        assert tp is not None
        header = [
            ["“三公”经费合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费"],
            ["", "", "小计", "公务用车购置费", "公务用车运行费", ""],
        ]
        spans = [((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (4, 0)), ((5, 0), (5, 1))]
        row = [
            self.money(tp.total, False),
            self.money(tp.abroad),
            self.money(tp.vehicle),
            self.money(tp.purchase),
            self.money(tp.operation),
            self.money(tp.reception),
        ]
        return [*self.heading("一般公共预算“三公”经费支出" + self.s.title_suffix), self.table([*header, row], 2, spans)]

    def project_table(self) -> list:
        b = self.b
        header = [["类型", "项目名称", "项目单位", "合计", "一般公共预算"]]
        body = [["", "合计", "", self.money(b.project, False), self.money(b.project, False)]]
        body += [[p.ptype, p.name, p.unit_name, self.money(p.amount), self.money(p.amount)] for p in b.projects]
        return [
            *self.heading("项目支出" + ("预算表" if self.s.title_suffix == "预算表" else "表")),
            self.table(header + body, 1),
        ]

    def income_table(self) -> list:
        b, kind = self.b, "部门" if self.b.doc_kind == "部门预算" else "单位"
        header = [["单位代码", "单位名称", "总计", "一般公共预算", "其他收入"]]
        total = self.money(b.total, False)
        body = [["", "合计", total, total, ""], ["101", b.agency, total, total, ""]]
        return [*self.heading(f"{kind}收入总体" + self.s.title_suffix), self.table(header + body, 1)]

    def fiscal_table(self) -> list:
        _b, total = self.b, self.money(self.b.total, False)
        header = [["收入", "", "支出", "", "", ""], ["项目", "金额", "项目", "合计", "一般公共预算", "政府性基金预算"]]
        spans = [((0, 0), (1, 0)), ((2, 0), (5, 0))]
        body = [
            ["一、一般公共预算拨款", total, "一、本年支出", total, total, ""],
            ["二、政府性基金预算拨款", "", "", "", "", ""],
            ["收入合计", total, "支出合计", total, total, ""],
        ]
        return [*self.heading("财政拨款收支总体" + self.s.title_suffix), self.table(header + body, 2, spans)]

    def economic_summary_table(self) -> list:
        b = self.b
        header = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
        body = [["", "合计", self.money(b.total, False), self.money(b.basic), self.money(b.project)]]
        body += [[e.code, e.name, self.money(e.amount), self.money(e.amount), ""] for e in b.econ]
        if b.project:
            body.append(["30227", "委托业务费", self.money(b.project), "", self.money(b.project)])
        return [*self.heading("支出经济分类汇总表"), self.table(header + body, 1)]

    def operating_cost_table(self) -> list:
        b = self.b
        header = [["科目编码", "科目名称", "机关运行经费"]]
        body = [["", "合计", self.money(b.public, False)], ["302", "商品和服务支出", self.money(b.public, False)]]
        return [*self.heading("机关运行经费" + self.s.title_suffix), self.table(header + body, 1)]

    def performance_table(self) -> list:
        header = [["一级指标", "二级指标", "三级指标", "指标值"]]
        body = [list(row) for row in PERFORMANCE_ROWS]
        return [*self.heading("部门整体绩效目标表"), self.table(header + body, 1)]

    def empty_fund_table(self, name: str) -> list:
        header = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
        return [
            *self.heading(name),
            self.table([*header, ["", "合计", "", "", ""]], 1),
            Paragraph("备注：本单位无此项预算，故本表无数据。", self.caption),
        ]

    def narrative(self) -> str:
        b, total = self.b, self.money(self.b.total, False)
        return (
            f"{b.agency}{b.year}年收入总计{total}{b.unit}，支出总计{total}{b.unit}。"
            f"其中：基本支出{self.money(b.basic, False)}{b.unit}，项目支出{self.money(b.project, False)}{b.unit}。"
            f"机关运行经费支出预算{self.money(b.public, False)}{b.unit}，主要保障机构正常运转。"
        )

    def document(self) -> list:
        b, s = self.b, self.s
        kind = "部门" if b.doc_kind == "部门预算" else "单位"
        flow: list = [
            Paragraph(f"{b.year}年{b.agency}{b.doc_kind}公开", self.title),
            Spacer(1, 6 * mm),
            Paragraph(self.narrative(), self.body),
            PageBreak(),
        ]
        sections = [
            self.summary_table(),
            self.income_table(),
            self.expenditure_table(f"{kind}支出总体" + s.title_suffix if s.title_suffix == "情况表" else "支出预算表"),
            self.fiscal_table(),
            self.expenditure_table("一般公共预算支出" + s.title_suffix),
            self.economic_table("一般公共预算基本支出表"),
            self.economic_summary_table(),
            self.three_public_table(),
            self.empty_fund_table("政府性基金预算支出" + s.title_suffix),
            self.empty_fund_table("国有资本经营预算支出" + s.title_suffix),
        ]
        if b.projects:
            sections.append(self.project_table())
        sections += [self.operating_cost_table(), self.performance_table()]
        for section in sections:
            flow += section
            flow.append(PageBreak() if s.page_per_table else Spacer(1, 8 * mm))
        return flow


# The 部门整体绩效目标表 of every generated budget: (一级指标, 二级指标, 三级指标, 指标值).
PERFORMANCE_ROWS = (
    ("产出指标", "数量指标", "保障在职人员数", "≥95%"),
    ("产出指标", "时效指标", "资金支付及时率", "100%"),
    ("效益指标", "社会效益指标", "服务对象满意度", "≥90%"),
)


def render_budget(budget: SynthBudget, style: RenderStyle | None = None, corrupt_total: bool = False) -> bytes:
    style = style or RenderStyle.draw(random.Random(budget.seed * 7919 + 1))
    size = landscape(A4) if style.landscape else A4
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{budget.agency}{budget.year}年{budget.doc_kind}",
        invariant=1,
    )
    doc.build(_Renderer(budget, style, corrupt_total).document())
    return buffer.getvalue()
