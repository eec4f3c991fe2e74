"""Tests for tests/xlsx_checker.py: a clean workbook passes, each known-bad construct is reported."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
import xlsxwriter
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

try:
    from xlsx_checker import assert_clean, check_workbook, scan_formula
except ImportError:  # tests/ imported as a package
    from tests.xlsx_checker import assert_clean, check_workbook, scan_formula


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def rewrite(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML part of a zip in place (keeps every other entry byte for byte)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    found = False
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == part:
                found = True
                new = change(data.decode("utf-8"))
                assert new != data.decode("utf-8"), f"rewrite of {part} changed nothing"
                data = new.encode("utf-8")
            zout.writestr(info, data)
    assert found, f"{part} not in {path}"


def add_part(path: Path, part: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(part, data)


def solidify_dxfs(xml: str) -> str:
    """What a post-processor must do to xlsxwriter's dxfs: give each <patternFill> patternType="solid"."""

    def fix(m: re.Match[str]) -> str:
        return m.group(0).replace("<patternFill>", '<patternFill patternType="solid">')

    return re.sub(r"<dxfs\b.*?</dxfs>", fix, xml, flags=re.S)


def xw_book(path: Path, build: Callable[[xlsxwriter.Workbook], None] | None = None, **options) -> Path:
    """A small xlsxwriter workbook with sheets 'Data' and '汇总'; build() may add to it."""
    wb = xlsxwriter.Workbook(str(path), options)
    ws = wb.add_worksheet("Data")
    wb.add_worksheet("汇总")
    for i, v in enumerate([1, 2, 3]):
        ws.write_number(i, 0, v)
    ws.write_string(0, 1, "PLACEHOLDER")
    if build:
        build(wb)
    wb.close()
    return path


def matching(problems: list[str], *needles: str) -> list[str]:
    return [p for p in problems if all(n.lower() in p.lower() for n in needles)]


def assert_reports(path: Path, *needles: str) -> list[str]:
    problems = check_workbook(path)
    hits = matching(problems, *needles)
    assert hits, f"no problem mentioning {needles!r}; got {problems!r}"
    return problems


# --------------------------------------------------------------------------------------------------
# clean workbooks
# --------------------------------------------------------------------------------------------------
def build_clean(wb: xlsxwriter.Workbook) -> None:
    ws = wb.get_worksheet_by_name("Data")
    summary = wb.get_worksheet_by_name("汇总")
    red = wb.add_format({"bg_color": "#FFC7CE", "pattern": 1, "font_color": "#9C0006"})
    green = wb.add_format({"bg_color": "#C6EFCE", "pattern": 1})
    ws.write_formula("A4", "=SUM(A1:A3)", None, 6)
    ws.write_formula("A5", '=IF(COUNTIF(A1:A3,">1")>0,"有","无")')
    ws.write_formula("A6", "=_xlfn.XLOOKUP(2,A1:A3,A1:A3)")
    ws.write_formula("A7", "=_xlfn.RANK.EQ(A1,$A$1:$A$3)+'汇总'!A1+汇总!B2")
    ws.data_validation("C1:C10", {"validate": "list", "source": "=$A$1:$A$3"})
    ws.data_validation("D1:D10", {"validate": "list", "source": ["是", "否"]})
    ws.conditional_format("A1:A3", {"type": "cell", "criteria": ">", "value": 1, "format": red})
    ws.conditional_format("A1:A3", {"type": "formula", "criteria": "=ISNUMBER($A1)", "format": green})
    ws.merge_range("E1:G1", "标题", None)
    ws.merge_range("E2:F3", "", None)
    ws.merge_range("H1:H3", "", None)
    ws.set_paper(9)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.print_area("A1:H10")
    ws.repeat_rows(0)
    ws.autofilter("A1:B3")
    wb.define_name("Total", "=Data!$A$4")
    wb.define_name("合计范围", "='汇总'!$A$1:$B$2")
    wb.define_name("Data!LocalName", "=Data!$A$1")
    wb.define_name("Rate.2024", "=0.5")
    summary.write_formula("A1", "=SUM(Data!A1:A3)")


@pytest.fixture
def clean_xw(tmp_path: Path) -> Path:
    path = xw_book(tmp_path / "clean.xlsx", build_clean)
    rewrite(path, "xl/styles.xml", solidify_dxfs)
    return path


def test_clean_xlsxwriter_workbook(clean_xw: Path) -> None:
    assert check_workbook(clean_xw) == []
    assert_clean(clean_xw)


def test_clean_openpyxl_workbook(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细"
    wb.create_sheet("A" * 31)
    for row in ([1, "a"], [2, "b"], [3, "c"]):
        ws.append(row)
    ws["A4"] = "=SUM(A1:A3)"
    dv = DataValidation(type="list", formula1="$B$1:$B$3")
    dv.add("C1:C10")
    ws.add_data_validation(dv)
    dv2 = DataValidation(type="list", formula1='"' + ",".join(["x" * 9] * 25) + ",abcde" + '"')  # 255 chars
    dv2.add("D1:D10")
    ws.add_data_validation(dv2)
    fill = PatternFill(start_color="FFFF0000", end_color="FFFF0000", fill_type="solid")
    ws.conditional_formatting.add("A1:A3", CellIsRule(operator="greaterThan", formula=["1"], fill=fill))
    ws.merge_cells("E1:F2")
    ws.merge_cells("G1:G2")
    path = tmp_path / "clean_openpyxl.xlsx"
    wb.save(path)
    assert check_workbook(path) == []


def test_assert_clean_lists_every_problem(tmp_path: Path) -> None:
    path = xw_book(
        tmp_path / "two.xlsx",
        lambda wb: wb.get_worksheet_by_name("Data").write_formula("C1", "=求和(A1)+SUMME(A2)"),
    )
    with pytest.raises(AssertionError) as info:
        assert_clean(path)
    message = str(info.value)
    assert "求和" in message and "SUMME" in message and "2 problem(s)" in message


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a zip at all")
    assert matching(check_workbook(path), "not a readable")


# --------------------------------------------------------------------------------------------------
# 1. literal data-validation lists over 255 characters
# --------------------------------------------------------------------------------------------------
def test_long_literal_validation_list(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    items = ",".join(f"乡镇{i:03d}" for i in range(60))  # 359 characters
    dv = DataValidation(type="list", formula1=f'"{items}"')
    dv.add("B2:B100")
    ws.add_data_validation(dv)
    path = tmp_path / "dv.xlsx"
    wb.save(path)
    problems = assert_reports(path, "sheet '表'", "B2:B100", "literal list", str(len(items)))
    assert len(problems) == 1


# --------------------------------------------------------------------------------------------------
# 2. sheet names
# --------------------------------------------------------------------------------------------------
def _rename_sheet(path: Path, old: str, new: str) -> None:
    rewrite(
        path,
        "xl/workbook.xml",
        lambda x: x.replace(f'name="{old}"', f'name="{escape(new, {chr(34): "&quot;"})}"'),
    )


@pytest.mark.parametrize(
    ("bad_name", "needle"),
    [
        ("x" * 32, "32 characters"),
        ("", "empty"),
        ("a[b]", "forbidden"),
        ("1:2", "forbidden"),
        ("a*b", "forbidden"),
        ("what?", "forbidden"),
        ("a/b", "forbidden"),
        ("a\\b", "forbidden"),
        ("'quoted", "apostrophe"),
        ("quoted'", "apostrophe"),
        ("DATA", "duplicates 'Data'"),
    ],
)
def test_bad_sheet_names(tmp_path: Path, bad_name: str, needle: str) -> None:
    path = xw_book(tmp_path / "names.xlsx")
    _rename_sheet(path, "汇总", bad_name)
    assert_reports(path, "sheet name", needle)


# --------------------------------------------------------------------------------------------------
# 3. defined names
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad_name", "needle"),
    [
        ("1abc", "must start"),
        ("has space", "invalid character"),
        ("a-b", "invalid character"),
        ("A1", "A1 style"),
        ("xfd1048576", "A1 style"),
        ("R1C1", "R1C1"),
        ("r", "R1C1"),
        ("C12", "cell reference"),
        ("RC", "R1C1"),
    ],
)
def test_invalid_defined_name(tmp_path: Path, bad_name: str, needle: str) -> None:
    path = xw_book(tmp_path / "dn.xlsx", lambda wb: wb.define_name("GoodName", "=Data!$A$1"))
    rewrite(path, "xl/workbook.xml", lambda x: x.replace('name="GoodName"', f'name="{escape(bad_name)}"'))
    assert_reports(path, f"defined name '{bad_name}'", needle)


def test_valid_defined_names_pass(tmp_path: Path) -> None:
    names = ["ABCD1", "XFE1", "_private", "\\back", "名称", "Name.With.Dots", "R1C1x", "Q1_2024"]

    def build(wb: xlsxwriter.Workbook) -> None:
        for i, _ in enumerate(names):
            wb.define_name(f"Name{i}", "=Data!$A$1")

    path = xw_book(tmp_path / "dn_ok.xlsx", build)
    for i, name in enumerate(names):
        rewrite(
            path, "xl/workbook.xml", lambda x, i=i, name=name: x.replace(f'name="Name{i}"', f'name="{name}"')
        )
    assert check_workbook(path) == []


def test_duplicate_defined_names(tmp_path: Path) -> None:
    def build(wb: xlsxwriter.Workbook) -> None:
        wb.define_name("Total", "=Data!$A$1")
        wb.define_name("Other", "=Data!$A$2")
        wb.define_name("Data!Local", "=Data!$A$1")  # same name, other scope: fine
        wb.define_name("Local", "=Data!$A$1")

    path = xw_book(tmp_path / "dup.xlsx", build)
    rewrite(path, "xl/workbook.xml", lambda x: x.replace('name="Other"', 'name="TOTAL"'))
    problems = check_workbook(path)
    hits = matching(problems, "defined more than once")
    assert len(hits) == 1 and "total" in hits[0].lower(), problems


def test_defined_name_to_missing_sheet(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "missing.xlsx", lambda wb: wb.define_name("Lost", "='旧表'!$A$1:$A$3"))
    assert_reports(path, "defined name 'Lost'", "sheet '旧表'", "not in the workbook")


def test_defined_name_bad_local_sheet_id(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "local.xlsx", lambda wb: wb.define_name("Data!Loc", "=Data!$A$1"))
    rewrite(path, "xl/workbook.xml", lambda x: x.replace('localSheetId="0"', 'localSheetId="5"'))
    assert_reports(path, "defined name 'Loc'", "localSheetId")


# --------------------------------------------------------------------------------------------------
# 4. merged ranges
# --------------------------------------------------------------------------------------------------
def test_overlapping_merges(tmp_path: Path) -> None:
    path = xw_book(
        tmp_path / "merge.xlsx", lambda wb: wb.get_worksheet_by_name("Data").merge_range("D1:F3", "", None)
    )
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(
            '<mergeCell ref="D1:F3"/>',
            '<mergeCell ref="D1:F3"/><mergeCell ref="H1:I1"/><mergeCell ref="F3:G9"/>',
        ),
    )
    problems = check_workbook(path)
    hits = matching(problems, "sheet 'Data'", "overlaps")
    assert len(hits) == 1 and "F3:G9" in hits[0] and "D1:F3" in hits[0], problems


def test_single_cell_merge(tmp_path: Path) -> None:
    path = xw_book(
        tmp_path / "single.xlsx", lambda wb: wb.get_worksheet_by_name("Data").merge_range("D1:F3", "", None)
    )
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('ref="D1:F3"', 'ref="D1:D1"'))
    assert_reports(path, "merged range D1:D1", "single cell")


# --------------------------------------------------------------------------------------------------
# 5. conditional-format differential formats
# --------------------------------------------------------------------------------------------------
def _cf_book(path: Path) -> Path:
    def build(wb: xlsxwriter.Workbook) -> None:
        fmt = wb.add_format({"bg_color": "#FFC7CE", "pattern": 1})
        wb.get_worksheet_by_name("Data").conditional_format(
            "A1:A3", {"type": "cell", "criteria": ">", "value": 1, "format": fmt}
        )

    return xw_book(path, build)


def test_dxf_without_pattern_type_is_flagged(tmp_path: Path) -> None:
    # xlsxwriter (like Excel) writes <patternFill><bgColor/></patternFill> in dxfs: Excel = solid, WPS = nothing.
    path = _cf_book(tmp_path / "cf.xlsx")
    assert_reports(path, "xl/styles.xml dxf #0", "sheet 'Data'", "conditional format A1:A3", "no patternType")


def test_dxf_with_other_pattern_is_flagged(tmp_path: Path) -> None:
    path = _cf_book(tmp_path / "cf.xlsx")
    rewrite(
        path,
        "xl/styles.xml",
        lambda x: solidify_dxfs(x).replace('patternType="solid"><bgColor', 'patternType="gray125"><bgColor'),
    )
    assert_reports(path, "dxf #0", 'patternType="gray125"')


def test_unused_dxf_is_ignored(tmp_path: Path) -> None:
    path = _cf_book(tmp_path / "cf.xlsx")
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r"<conditionalFormatting.*?</conditionalFormatting>", "", x),
    )
    assert check_workbook(path) == []


def test_dxf_id_out_of_range(tmp_path: Path) -> None:
    path = _cf_book(tmp_path / "cf.xlsx")
    rewrite(path, "xl/styles.xml", solidify_dxfs)
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('dxfId="0"', 'dxfId="3"'))
    assert_reports(path, "sheet 'Data'", "conditional format A1:A3", "dxfId=3", "out of range")


# --------------------------------------------------------------------------------------------------
# 6. string and formula lengths
# --------------------------------------------------------------------------------------------------
def test_long_shared_string(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "ss.xlsx")
    rewrite(path, "xl/sharedStrings.xml", lambda x: x.replace("PLACEHOLDER", "长" * 32_768))
    assert_reports(path, "xl/sharedStrings.xml string #0", "32768 characters")


def test_long_inline_string(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "inline.xlsx")
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(
            r'<c r="B1" t="s"><v>0</v></c>',
            '<c r="B1" t="inlineStr"><is><t>' + "x" * 40_000 + "</t></is></c>",
            x,
        ),
    )
    assert_reports(path, "sheet 'Data'", "cell B1", "inline string", "40000")


def test_long_formula(tmp_path: Path) -> None:
    formula = "=" + "+".join(["A1"] * 3000)  # 8999 characters without "="
    path = xw_book(
        tmp_path / "formula.xlsx", lambda wb: wb.get_worksheet_by_name("Data").write_formula("C1", formula)
    )
    assert_reports(path, "sheet 'Data'", "cell C1", f"{len(formula) - 1} characters")


# --------------------------------------------------------------------------------------------------
# 7. function names
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["求和", "SUMME", "SOMME", "SUMA", "MyMacro"])
def test_localised_or_unknown_function_in_cell(tmp_path: Path, name: str) -> None:
    path = xw_book(
        tmp_path / "fn.xlsx",
        lambda wb: wb.get_worksheet_by_name("Data").write_formula("C2", f"=ROUND({name}(A1:A3),0)"),
    )
    problems = assert_reports(path, "sheet 'Data'", "cell C2", f"'{name}('", "not an Excel English function")
    assert not matching(problems, "'ROUND('")


def test_function_names_inside_strings_are_ignored(tmp_path: Path) -> None:
    formula = '=IF(A1>0,"求和(A1) SUMME(x)","无")&T("a""b(")'
    path = xw_book(
        tmp_path / "str.xlsx", lambda wb: wb.get_worksheet_by_name("Data").write_formula("C2", formula)
    )
    assert check_workbook(path) == []


def test_future_function_without_prefix(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=XLOOKUP(1,B1:B3,C1:C3)"
    wb.active["A2"] = '=TEXTJOIN(",",TRUE,B1:B3)'
    path = tmp_path / "future.xlsx"
    wb.save(path)
    problems = check_workbook(path)
    assert matching(problems, "cell A1", "_xlfn.XLOOKUP")
    assert matching(problems, "cell A2", "_xlfn.TEXTJOIN")


def test_unknown_xlfn_function(tmp_path: Path) -> None:
    path = xw_book(
        tmp_path / "xlfn.xlsx",
        lambda wb: wb.get_worksheet_by_name("Data").write_formula("C1", "=_xlfn.NOSUCHFN(A1)"),
    )
    assert_reports(path, "cell C1", "_xlfn.NOSUCHFN")


def test_bad_functions_in_cf_validation_and_names(tmp_path: Path) -> None:
    def build(wb: xlsxwriter.Workbook) -> None:
        ws = wb.get_worksheet_by_name("Data")
        fmt = wb.add_format({"bold": True})
        ws.conditional_format("A1:A3", {"type": "formula", "criteria": "=ISTZAHL($A1)", "format": fmt})
        ws.data_validation("B2:B5", {"validate": "custom", "value": "=长度(B2)<10"})
        wb.define_name("Gesamt", "=SUMME(Data!$A$1:$A$3)")

    path = xw_book(tmp_path / "fn_all.xlsx", build)
    problems = check_workbook(path)
    assert matching(problems, "conditional format A1:A3", "ISTZAHL"), problems
    assert matching(problems, "data validation B2:B5", "长度"), problems
    assert matching(problems, "defined name 'Gesamt'", "SUMME"), problems


def test_lambda_defined_name_may_be_called(tmp_path: Path) -> None:
    def build(wb: xlsxwriter.Workbook) -> None:
        wb.define_name("Double", "=_xlfn.LAMBDA(_xlpm.x,_xlpm.x*2)")
        wb.get_worksheet_by_name("Data").write_formula("C1", "=Double(A1)+_xlfn._xlws.SORT(A1:A3)")

    path = xw_book(tmp_path / "lambda.xlsx", build)
    assert check_workbook(path) == []


def test_scan_formula() -> None:
    funcs, sheets = scan_formula(
        "SUM(A1:INDEX(B:B,3))+'My ''x'' sheet'!A1+Data!$B$2+[1]Ext!A1+'[b.xlsx]S'!A1"
        '+IF(1,"求和(",#DIV/0!)+Sheet1:Sheet3!A1+Table1[[#This Row],[X(1)]]+求和(1)+_xlfn.XLOOKUP(1)'
    )
    assert funcs == ["SUM", "INDEX", "IF", "求和", "_xlfn.XLOOKUP"]
    assert sheets == ["My 'x' sheet", "Data", "Sheet1", "Sheet3"]


# --------------------------------------------------------------------------------------------------
# 8. XML well-formedness and content types
# --------------------------------------------------------------------------------------------------
def test_malformed_xml_part(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "xml.xlsx")
    rewrite(path, "xl/worksheets/sheet2.xml", lambda x: x.replace("</worksheet>", "</sheetData>"))
    assert_reports(path, "xl/worksheets/sheet2.xml", "not well-formed")


def test_malformed_rels_part(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "rels.xlsx")
    rewrite(path, "xl/_rels/workbook.xml.rels", lambda x: x.replace("<Relationship ", "<Relationship & ", 1))
    assert_reports(path, "xl/_rels/workbook.xml.rels", "not well-formed")


def test_part_without_content_type(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "ct.xlsx")
    rewrite(
        path,
        "[Content_Types].xml",
        lambda x: re.sub(r'<Override PartName="/xl/sharedStrings.xml"[^>]*/>', "", x),
    )
    add_part(path, "xl/media/extra.bin", b"\0")
    problems = check_workbook(path)
    assert matching(problems, "[Content_Types].xml", "'xl/sharedStrings.xml'", "'application/xml'"), problems
    assert matching(problems, "[Content_Types].xml", "'xl/media/extra.bin'"), problems


def test_relationship_to_missing_part(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "relmiss.xlsx")
    rewrite(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda x: x.replace("worksheets/sheet2.xml", "worksheets/sheet9.xml"),
    )
    assert_reports(path, "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet9.xml", "not in the package")


# --------------------------------------------------------------------------------------------------
# 9. cell and row order
# --------------------------------------------------------------------------------------------------
def _reverse(pattern: str) -> Callable[[str], str]:
    def change(xml: str) -> str:
        items = re.findall(pattern, xml, flags=re.S)
        start, end = xml.index(items[0]), xml.index(items[-1]) + len(items[-1])
        return xml[:start] + "".join(reversed(items)) + xml[end:]

    return change


def test_cells_out_of_order(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "cells.xlsx", lambda wb: wb.get_worksheet_by_name("Data").write_number("C1", 5))
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(
            r'<row r="1".*?</row>', lambda m: _reverse(r"<c .*?</c>")(m.group(0)), x, flags=re.S
        ),
    )
    assert_reports(path, "sheet 'Data'", "cell A1", "increasing column order within row 1")


def test_rows_out_of_order(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "rows.xlsx")
    rewrite(path, "xl/worksheets/sheet1.xml", _reverse(r"<row .*?</row>"))
    problems = assert_reports(path, "sheet 'Data'", "rows are not in increasing order")
    assert not matching(problems, "column order")


def test_cell_in_wrong_row(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "wrongrow.xlsx")
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('<c r="A2"', '<c r="A7"'))
    assert_reports(path, "cell A7", 'inside <row r="2">')


# --------------------------------------------------------------------------------------------------
# 10. print settings
# --------------------------------------------------------------------------------------------------
def test_bad_paper_size(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "paper.xlsx", lambda wb: wb.get_worksheet_by_name("Data").set_paper(9))
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('paperSize="9"', 'paperSize="119"'))
    assert_reports(path, "sheet 'Data'", "pageSetup", "paperSize=119")


def test_negative_margin(tmp_path: Path) -> None:
    path = xw_book(
        tmp_path / "margin.xlsx", lambda wb: wb.get_worksheet_by_name("汇总").set_margins(left=-0.25)
    )
    assert_reports(path, "sheet '汇总'", "pageMargins", "left=-0.25")


# --------------------------------------------------------------------------------------------------
# extra repair triggers
# --------------------------------------------------------------------------------------------------
def test_shared_string_index_out_of_range(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "ssidx.xlsx")
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace('<c r="B1" t="s"><v>0</v>', '<c r="B1" t="s"><v>4</v>'),
    )
    assert_reports(path, "cell B1", "shared-string index 4")


def test_style_index_out_of_range(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "style.xlsx")
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('<c r="A1"', '<c r="A1" s="40"', 1))
    assert_reports(path, "cell A1", "style index s=40")


def test_duplicate_sheet_id(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "sheetid.xlsx")
    rewrite(path, "xl/workbook.xml", lambda x: x.replace('sheetId="2"', 'sheetId="1"'))
    assert_reports(path, "sheetId '1'")


X14_EXT = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>"LIST"</xm:f></x14:formula1>'
    "<xm:sqref>C1:C5</xm:sqref></x14:dataValidation></x14:dataValidations></ext>"
    '<ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    "<x14:conditionalFormattings>"
    '<x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:cfRule type="expression" priority="1" id="{00000000-0000-0000-0000-000000000001}">'
    "<xm:f>SUMME($A1)&gt;0</xm:f>"
    '<x14:dxf><fill><patternFill><bgColor rgb="FFFF0000"/></patternFill></fill></x14:dxf></x14:cfRule>'
    "<xm:sqref>A1:A3</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
)


def test_x14_ext_list_rules(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "x14.xlsx")
    ext = X14_EXT.replace("LIST", ",".join(["选项"] * 100))
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace("</worksheet>", ext + "</worksheet>"))
    problems = check_workbook(path)
    assert matching(problems, "sheet 'Data'", "data validation C1:C5", "literal list is 299"), problems
    assert matching(problems, "conditional format A1:A3", "SUMME"), problems
    assert matching(problems, "conditional format A1:A3", "inline dxf", "no patternType"), problems
    assert len(problems) == 3, problems


def test_x14_ext_list_clean(tmp_path: Path) -> None:
    path = xw_book(tmp_path / "x14ok.xlsx")
    ext = X14_EXT.replace("SUMME", "SUM").replace("<patternFill>", '<patternFill patternType="solid">')
    rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace("</worksheet>", ext + "</worksheet>"))
    assert check_workbook(path) == []
