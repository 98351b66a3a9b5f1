"""Text layers that print common characters as Kangxi radicals or CJK compatibility ideographs.

Some PDF writers map a glyph to the radical's code point (U+2F00–U+2FD5) instead of the unified
ideograph's: ``⼀般公共预算⽀出表`` looks like 一般公共预算支出表 on the page, but no title, label
or name would match it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from yusuan.extract.classify import classify_title
from yusuan.extract.parse import parse_function_table
from yusuan.extract.pdf_reader import read_pdf, unify_ideographs
from yusuan.extract.tables import build_tables, to_grid
from yusuan.normalise.amounts import Unit

# Each unified ideograph of the table below → the Kangxi radical a writer may print instead.
_AS_RADICALS = str.maketrans({"一": "⼀", "支": "⽀", "行": "⾏", "金": "⾦"})


def test_radicals_and_compatibility_ideographs_become_the_unified_ideographs() -> None:
    chars = [{"text": c} for c in "⼀般公共预算⽀出表（续）１２豈"]
    unify_ideographs(chars)
    # Full-width forms are no compatibility ideographs: they are left as printed.
    assert "".join(c["text"] for c in chars) == "一般公共预算支出表（续）１２豈"


def _pdf(texts: list[tuple[float, float, str]], rules: list[tuple[float, float, float, float]]) -> bytes:
    """A one-page PDF whose font's ToUnicode map says exactly which code point each glyph is, as
    the writers that print radicals do (a predefined CJK CMap would name the unified ideograph)."""
    chars = sorted({c for _, _, text in texts for c in text})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    body = ["BT /F1 10 Tf"]
    for x, y, text in texts:
        glyphs = "".join(f"{cid[c]:04X}" for c in text)
        body.append(f"1 0 0 1 {x} {y} Tm <{glyphs}> Tj")
    body.append("ET 0.5 w")
    body += [f"{x0} {y0} m {x1} {y1} l S" for x0, y0, x1, y1 in rules]
    content = "\n".join(body).encode()
    bfchar = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Radicals def "
        "1 begincodespacerange <0000> <FFFF> endcodespacerange "
        f"{len(chars)} beginbfchar\n{bfchar}\nendbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /DW 1000 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
        b"<< /Type /FontDescriptor /FontName /Song /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_table_printed_with_radicals_is_read_as_its_ideographs(tmp_path: Path) -> None:
    rows = [
        ("科目编码", "科目名称", "合计", "基本支出", "项目支出"),
        ("", "合计", "30.00", "10.00", "20.00"),
        ("2010101", "行政运行", "10.00", "10.00", ""),
        ("2010102", "一般行政管理事务", "20.00", "", "20.00"),
    ]
    xs, top, height = [50, 130, 300, 380, 460, 540], 740, 20
    texts = [(200.0, 780.0, "2026年一般公共预算支出表"), (60.0, 760.0, "单位：万元")]
    texts += [
        (xs[c] + 4.0, top - r * height - 14.0, text) for r, row in enumerate(rows) for c, text in enumerate(row) if text
    ]
    rules = [(xs[0], top - r * height, xs[-1], top - r * height) for r in range(len(rows) + 1)]
    rules += [(x, top, x, top - len(rows) * height) for x in xs]
    path = tmp_path / "radicals.pdf"
    path.write_bytes(_pdf([(x, y, text.translate(_AS_RADICALS)) for x, y, text in texts], rules))

    (table,) = build_tables(read_pdf(path).blocks)
    assert table.title == "2026年一般公共预算支出表"
    kind = classify_title(table.title)
    assert kind == "general_budget_expenditure"
    facts = parse_function_table(to_grid(table), kind, Unit.WAN_YUAN, 0)
    lines = {line.func_code: (line.func_name, line.total, line.basic_total) for line in facts.function_lines}
    assert lines == {
        "2010101": ("行政运行", Decimal("100000.00"), Decimal("100000.00")),
        "2010102": ("一般行政管理事务", Decimal("200000.00"), None),
    }
