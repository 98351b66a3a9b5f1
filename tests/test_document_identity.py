"""What a file is, who published it and what it states, decided from its content (issue 9).

Plain functions on handmade inputs in the shapes real files take: each rule fails here if it is
removed or loosened.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import REAL_PDFS, needs_shared
from yusuan.extract.content import classify_content
from yusuan.extract.document import extract_document
from yusuan.extract.metadata import agency_from_label_cells, choose_agency, clean_agency, fiscal_year
from yusuan.extract.narrative import narrative_figures
from yusuan.extract.parse import parse_function_table, parse_summary_table
from yusuan.extract.tables import Grid, GridRow, RawTable, Segment, to_grid
from yusuan.models import ContentKind
from yusuan.normalise.amounts import Unit
from yusuan.normalise.regions import agency_region, qualified_name, region_from_name, resolve_region

BUDGET_TABLES = ["income_expenditure_summary", "income_summary", "expenditure_summary", "general_budget_expenditure"]


def _kind(opening: str, kinds: list[str] = (), table_totals: bool = False, text_totals: bool = False, final=False):
    return classify_content(opening, kinds, table_totals, text_totals, final)


def test_a_budget_proves_itself_by_its_tables_whatever_its_title() -> None:
    verdict = _kind("预算01表 收支总表\n金额单位：万元\n收 入 支 出", BUDGET_TABLES, table_totals=True)
    assert verdict.kind is ContentKind.BUDGET_TABLES
    # Three kinds of the standard set are enough when the 收支总表 was not recognised.
    verdict = _kind("2026年部门预算", ["income_summary", "expenditure_summary", "fiscal_appropriation_summary"])
    assert verdict.kind is ContentKind.BUDGET_TABLES


@pytest.mark.parametrize(
    ("opening", "what"),
    [
        ("政府网站工作年度报表\n（ 年度）\n2025\n填报单位:长春市审计局", "website annual report"),
        ("部门整体绩效自评表\n（2024年度）\n部门（单位）名称 宁德市人民政府办公室", "performance evaluation"),
        ("长沙市财政项目支出绩效评价报告\n评价项目名称：国企改革稳定专项资金", "performance evaluation"),
        (
            "宜府办函〔2026〕24 号\n宜宾市人民政府办公室\n关于 2026 年第一季度政务公开检查情况的通报",
            "inspection record",
        ),
        ("四川省人民政府办公厅\n关于印发«四川省突发事件应急预案管理实施办法»的通知", "notice or regulation"),
        ("2026年1—2月泉州市国民经济主要指标\n指标 单位", "statistics"),
    ],
)
def test_anything_else_is_not_a_budget_and_says_what_it_looks_like(opening: str, what: str) -> None:
    verdict = _kind(opening, ["other"])
    assert verdict.kind is ContentKind.NOT_BUDGET
    assert verdict.reason.startswith(what)


def test_an_evaluation_with_a_budget_table_is_still_not_a_budget() -> None:
    verdict = _kind("长沙市财政项目支出绩效评价报告\n评价项目单位：长沙市国资委", ["project_expenditure"])
    assert verdict.kind is ContentKind.NOT_BUDGET


def test_a_budget_statement_without_tables_is_a_budget_text_only_with_its_totals() -> None:
    opening = "北京市交通委员会2026年度部门预算信息公开\n目录\n第一部分 2026年度部门预算情况说明"
    assert _kind(opening, text_totals=True).kind is ContentKind.BUDGET_TEXT
    # A 情况说明 that also carries a 绩效目标 table is the budget's text, not a side table.
    assert _kind(opening, ["performance_targets"], text_totals=True).kind is ContentKind.BUDGET_TEXT
    assert _kind(opening, text_totals=False).kind is ContentKind.NOT_BUDGET
    # A notice about budgets (文号 in its title block) is not a budget even when it states amounts.
    notice = "长财金指〔2025〕6号\n关于下达2025年部门预算专项资金的通知"
    assert _kind(notice, text_totals=True).kind is ContentKind.NOT_BUDGET


def test_side_tables_alone_are_budget_other_and_final_accounts_are_recognised() -> None:
    assert _kind("部门整体预算绩效目标申报表\n部门名称 广州市生态环境局", ["performance_targets"]).kind is (
        ContentKind.BUDGET_OTHER
    )
    assert _kind("2024年度部门决算", BUDGET_TABLES, table_totals=True, final=True).kind is ContentKind.FINAL_ACCOUNTS


@pytest.mark.parametrize(
    ("text", "income", "expenditure"),
    [
        ("预算总收入 8366.8 万元，预算总支出 8366.8 万元", "83668000.00", "83668000.00"),
        ("2021 年收入预算 8366.8 万元。2021年支出预算8366.8万元", "83668000.00", "83668000.00"),
        ("支出预算 8366.8 万元，其中：基本支出预算 3315.6 万元，项目（类）支出预算 5051.2 万元", None, "83668000.00"),
        (
            "二、收入预算情况说明-7-2026年度收入预算288,416.35万元，比2025年年初预算-5-数264,448.86万元",
            "2884163500.00",
            None,
        ),
        ("江苏省政协办公厅2019年度收入、支出预算总计13,377.11万元，与上年相比", "133771100.00", "133771100.00"),
        ("2026年收支总预算5,000元", "5000.00", "5000.00"),
    ],
)
def test_narrative_totals_in_the_common_phrasings(text: str, income: str | None, expenditure: str | None) -> None:
    figures = {f.name: f.amount for f in narrative_figures(text, 2026 if "2026" in text else None)}
    assert figures.get("income_total") == (Decimal(income) if income else None)
    assert figures.get("expenditure_total") == (Decimal(expenditure) if expenditure else None)


def test_a_part_or_another_year_is_never_the_total() -> None:
    text = (
        "其中：一般公共预算收入预算100万元，财政拨款收入预算90万元。"
        "2026年度部门支出预算安排与2025年度相比（2025年度部门支出预算安排为80万元），增加20万元。"
    )
    figures = {f.name: f.amount for f in narrative_figures(text, 2026)}
    assert "income_total" not in figures and "expenditure_total" not in figures


def test_agency_names_lose_heading_debris_and_template_words() -> None:
    assert clean_agency("附件2：北京市审计局") == "北京市审计局"
    assert clean_agency("第二部分焦作市医疗保障局") == "焦作市医疗保障局"
    assert clean_agency("北京市信访办公室部门") == "北京市信访办公室"
    assert clean_agency("泉州市公安局（本级）") == "泉州市公安局（本级）"


def test_agency_from_a_label_cell_beats_the_file_name() -> None:
    rows = [("部门名称", "", "首都绿化委员会办公室", ""), ("整体绩效目标", "…")]
    assert agency_from_label_cells(rows) == ["首都绿化委员会办公室"]
    chosen = choose_agency([], "预算01表 收支总表", "政府办公厅_2026年部门预算.pdf", agency_from_label_cells(rows))
    assert chosen == "首都绿化委员会办公室"


def test_a_bare_name_from_the_file_name_is_read_as_the_text_prints_it() -> None:
    body = "本部门职责情况北京市气象局属于公益性事业单位。北京市气象局设11个内设机构"
    assert choose_agency([], "第一部分 情况说明", "气象局_2026年部门预算.pdf", [], body) == "北京市气象局"
    assert qualified_name("气象局", "没有地名的正文") == "气象局"


def test_regions_from_names_and_portals() -> None:
    assert region_from_name("中国共产党北京市委员会宣传部").code == "110000"
    assert region_from_name("泉州市公安局（本级）").name == "福建省泉州市"
    assert region_from_name("上海市普陀区财政局").code == "310107"
    # 普陀区 is in 上海 and in 舟山: alone it names no region, inside 上海 it does.
    assert region_from_name("普陀区财政局") is None
    shanghai = resolve_region("上海市")
    assert agency_region("普陀区财政局", shanghai).code == "310107"
    # A name with no region takes the portal's; a name with its own keeps it.
    assert agency_region("发展和改革局", resolve_region("410100")).name == "河南省郑州市"
    assert agency_region("长沙市医疗保障局", resolve_region("河南省")).code == "430100"
    assert resolve_region("not a place") is None


def _summary(rows: list[list[str]]) -> Grid:
    header = [["项目", "预算数", "项目", "预算数"]]
    paths = [["收入"], ["预算数"], ["支出"], ["预算数"]]
    return Grid("收支预算总表", [], 1, 1, header, paths, [GridRow(1, r) for r in rows])


def test_a_bare_heji_under_the_carry_over_rows_is_the_grand_total() -> None:
    """Fujian / Chongqing templates: 本年收入合计, 上年结转, then a bare 合计 as the grand total."""
    grid = _summary(
        [
            ["一、一般公共预算拨款收入", "900.00", "一、一般公共服务支出", "1000.00"],
            ["本年收入合计", "900.00", "本年支出合计", "1000.00"],
            ["上年结转", "100.00", "结转下年", ""],
            ["合计", "1,000.00", "合计", "1,000.00"],
        ]
    )
    figures = {
        (f.name, f.priority): f.amount
        for f in parse_summary_table(grid, "income_expenditure_summary", Unit.WAN_YUAN, 0).figures
    }
    assert figures[("income_total", 2)] == Decimal("10000000.00")
    assert figures[("expenditure_total", 2)] == Decimal("10000000.00")
    # A 合计 printed on the expenditure side alone is the expenditure total, never the income total.
    grid = _summary([["本年收入合计", "900.00", "本年支出合计", "900.00"], ["", "", "合计", "900.00"]])
    names = {
        f.name
        for f in parse_summary_table(grid, "income_expenditure_summary", Unit.WAN_YUAN, 0).figures
        if f.priority == 2
    }
    assert names == {"expenditure_total"}


def test_more_phrasings_and_never_a_qizhong_clause() -> None:
    figures = {f.name: f.amount for f in narrative_figures("2026年部门预算收入1,200万元，部门预算支出1,200万元。")}
    assert figures["income_total"] == figures["expenditure_total"] == Decimal("12000000.00")
    figures = {f.name: f.amount for f in narrative_figures("2026年度总收入30万元，总支出30万元")}
    assert figures["income_total"] == Decimal("300000.00")
    figures = {f.name for f in narrative_figures("其中：收入预算20万元，支出预算20万元")}
    assert "income_total" not in figures and "expenditure_total" not in figures


def test_a_department_label_cell_beats_its_units_label_cells() -> None:
    rows = [
        ("单位名称", "市第一中学"),
        ("单位名称", "市第二中学"),
        ("单位名称", "市第二中学"),
        ("部门名称", "某某市教育局"),
    ]
    assert agency_from_label_cells(rows) == ["某某市教育局"]
    assert agency_from_label_cells(rows[:3]) == ["市第一中学", "市第二中学", "市第二中学"]


def test_an_encrypted_pdf_says_so(tmp_path) -> None:
    import io

    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    from yusuan.extract.document import extract_document

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    pdf.drawString(100, 700, "2026年部门预算")
    pdf.save()
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    doc = extract_document(path, "locked")
    assert (doc.status, doc.reason, doc.content_kind) == ("quarantined", "broken_pdf", ContentKind.UNREADABLE)
    assert "encrypted PDF: a password is needed" in (doc.error or "")


LYING_HINT = "2019年度江门市恩平市某某中心部门预算公开 预决算公开"


def test_the_document_names_its_agency_and_year_before_any_link_text() -> None:
    """A cover, a 情况说明's first sentence, a table's （2026年度）: each beats a link text or file
    name that names another agency and year; the hint fills only what the document never says."""
    cover = "北京市信访办公室部门 2026 年度部门预算\n信息公开\n目 录"
    assert choose_agency([], cover, LYING_HINT) == "北京市信访办公室"
    assert fiscal_year(cover, [], LYING_HINT) == 2026
    statement = "一、部门情况说明\n北京市气象局属于公益性事业单位，职责是制定地方气象事业发展规划。"
    assert choose_agency([], "第一部分 情况说明", LYING_HINT, [], statement) == "北京市气象局"
    cells = "部门整体支出绩效目标表\n（2026年度）\n2025年度国民经济核算\n2027年预算安排"
    assert fiscal_year("预算01表 收支总表", [], LYING_HINT, cells) == 2026
    spoken = "2026年支出预算515,665.27万元，比2025年初预算数20,292.85万元增加"
    assert fiscal_year("", [], LYING_HINT, spoken) == 2026
    # Nothing in the document: the hint is all there is.
    assert fiscal_year("预算01表 收支总表", [], LYING_HINT, "") == 2019
    assert choose_agency([], "预算01表 收支总表", "2026年北京市统计局部门预算", [], "") == "北京市统计局"


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "cities/002_北京/2026年北京市信访办公室部门预算.pdf",
        "cities/002_北京/气象局_2026年部门预算.pdf",
        "cities/002_北京/司法局_2026年部门预算.pdf",
        "cities/021_泉州/政府办公厅_2026年度泉州市人民政府办公室（本级）单位预算.pdf.pdf",
    ],
)
def test_a_lying_link_text_changes_neither_agency_nor_year_of_a_real_budget(name: str) -> None:
    path = REAL_PDFS / name
    truthful = extract_document(path, "x", hint=path.name)
    lied_to = extract_document(path, "x", hint=LYING_HINT)
    assert (lied_to.agency_name, lied_to.fiscal_year) == (truthful.agency_name, truthful.fiscal_year)
    assert lied_to.fiscal_year == 2026 and "江门" not in lied_to.agency_name


def test_a_figure_is_never_read_from_the_qizhong_clause_that_breaks_it_down() -> None:
    text = "2026年项目支出共计3,000.00万元，其中：特定目标类项目支出1,200.00万元。"
    assert {f.name: f.amount for f in narrative_figures(text, 2026)} == {"project_expenditure": Decimal("30000000.00")}
    parts = "支出总计5,000万元，其中：基本支出2,000万元，项目支出3,000万元。"
    figures = {f.name: f.amount for f in narrative_figures(parts, 2026)}
    assert figures["project_expenditure"] == Decimal("30000000.00")


def test_a_column_number_row_is_never_a_tables_total() -> None:
    """单位名称 | 合计 | 一般公共预算 … with an unlabelled column-number row (| 1 | 2) under it: the
    total is the 合计 row's, never 1.00."""
    table = RawTable(
        "收入总体情况表",
        ["单位：万元"],
        [Segment(1, [["单位名称", "合计", "一般公共预算"], ["", "1", "2"], ["合计", "91.20", "91.20"]])],
    )
    facts = parse_function_table(to_grid(table), "income_summary", Unit.WAN_YUAN, 0)
    assert {f.name: f.amount for f in facts.figures if f.name == "income_total"} == {
        "income_total": Decimal("912000.00")
    }
