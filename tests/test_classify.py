import pytest

from yusuan.extract.classify import classify_title, looks_like_title


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("2023年部门收支总体情况表", "income_expenditure_summary"),
        ("2026年预算单位财务收支预算总表", "income_expenditure_summary"),
        ("收支预算总表", "income_expenditure_summary"),
        ("一、单位收支预算表", "income_expenditure_summary"),
        ("2024年部门收入总体情况表", "income_summary"),
        ("2026年预算单位收入预算总表", "income_summary"),
        ("2023年部门支出总体情况表", "expenditure_summary"),
        ("2022 年单位支出预算表", "expenditure_summary"),
        ("支出预算总表", "expenditure_summary"),
        ("2023年财政拨款收支总体情况表", "fiscal_appropriation_summary"),
        ("2025年部门财政拨款收支预算总表", "fiscal_appropriation_summary"),
        ("2023年一般公共预算支出情况表", "general_budget_expenditure"),
        ("2026年预算单位一般公共预算支出功能分类预算表", "general_budget_expenditure"),
        ("财政拨款支出预算表（功能科目）", "general_budget_expenditure"),
        ("2014年公共财政预算支出表", "general_budget_expenditure"),
        ("2014年公共财政预算基本支出表", "general_budget_basic_expenditure"),
        ("2023年一般公共预算基本支出表", "general_budget_basic_expenditure"),
        ("2026年预算单位一般公共预算基本支出部门预算经济分类预算表", "general_budget_basic_expenditure"),
        ("财政拨款基本支出预算表（经济科目）", "general_budget_basic_expenditure"),
        ("2024年支出经济分类汇总表", "economic_classification_summary"),
        ("2023年一般公共预算“三公”经费支出情况表", "three_public"),
        ("2026年单位“三公”经费和机关运行经费预算表", "three_public"),
        ("“三公”经费、会议费、培训费支出预算表", "three_public"),
        ("2023年政府性基金预算支出情况表", "gov_fund_expenditure"),
        ("2026年预算单位政府性基金预算支出功能分类预算表", "gov_fund_expenditure"),
        ("2023年国有资本经营预算支出情况表", "state_capital_expenditure"),
        ("2023年项目支出预算表", "project_expenditure"),
        ("部门(单位)整体绩效目标表", "performance_targets"),
        ("2023年部门预算项目绩效目标汇总表", "performance_targets"),
        ("一般公共预算机关运行经费支出预算表", "other"),
        ("2019年政府采购预算表", "other"),
    ],
)
def test_titles_map_to_kinds(title: str, kind: str) -> None:
    assert classify_title(title) == kind


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2023年部门收支总体情况表", True),
        ("财政拨款支出预算表（功能科目）", True),
        ("注：本表无数据。", False),
        ("郑州市医疗保障局 2023 年收入总计 9187.2 万元，支出总计 9187.2 万元，与 2022 年预算相比。", False),
        ("部门名称：郑州市医疗保障局", False),
    ],
)
def test_title_lines(line: str, expected: bool) -> None:
    assert looks_like_title(line) is expected
