"""The fast .xlsx cell reader agrees with python-calamine, and handles what writers actually write."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from conftest import EXAMPLE
from python_calamine import CalamineWorkbook

from luoshan_xl import xlsxcells
from luoshan_xl.xlsxread import Grid, SparseGrid, open_book


def calamine_cells(path, sheet):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    grid = Grid(sheet, rows)
    return {(r, c): v for r, c, v in grid.cells()}


def same(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


@pytest.mark.parametrize("path", sorted(EXAMPLE.glob("*.xlsx")), ids=lambda p: p.name)
def test_agrees_with_calamine_on_every_example_file(path):
    book = open_book(path)
    assert book._workbook is None  # the fast path, no second reader opened
    for sheet in book.sheet_names:
        ours = {(r, c): v for r, c, v in book.grid(sheet).cells()}
        theirs = calamine_cells(path, sheet)
        assert ours.keys() == theirs.keys(), sheet
        assert all(same(ours[k], theirs[k]) for k in ours), sheet
        assert isinstance(book.grid(sheet), SparseGrid)


SHARED = ['<si><t>甲</t></si>', '<si><r><t>富</t></r><r><t xml:space="preserve">文本 </t></r>'
          '<rPh sb="0" eb="1"><t>フ</t></rPh></si>', '<si><t>a&amp;b_x000D_c</t></si>']
STYLES = ('<styleSheet><numFmts count="2"><numFmt numFmtId="164" formatCode="m&quot;月&quot;d&quot;日&quot;"/>'
          '<numFmt numFmtId="165" formatCode="0&quot;条/月&quot;"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
          '</cellXfs></styleSheet>')


def test_cell_kinds_and_positions():
    sheet = (
        '<worksheet><sheetData>'
        '<row r="3"><c r="B3" t="s"><v>1</v></c><c r="A3" t="s"><v>0</v></c></row>'  # out of order
        '<row r="1"><c t="inlineStr"><is><t>无r属性</t></is></c><c><v>7</v></c></row>'  # no r: by position
        '<row r="5"><c r="A5" s="1"><v>43703</v></c><c r="B5" s="2"><v>43703.5</v></c>'
        '<c r="C5" s="3"><v>8</v></c><c r="D5" t="b"><v>1</v></c><c r="E5" t="e"><v>#DIV/0!</v></c>'
        '<c r="F5" t="str"><f>A1&amp;"x"</f><v>无r属性x</v></c><c r="G5"><f>1+1</f></c>'
        '<c r="H5" t="s"><v>2</v></c><c r="I5" s="1"/></row>'
        '<x:row r="6"><x:c r="A6"><x:v>1.5</x:v></x:c></x:row>'
        '</sheetData></worksheet>').encode()
    shared = xlsxcells.shared_strings("<sst>{}</sst>".format("".join(SHARED)).encode())
    assert shared == ["甲", "富文本 ", "a&b\rc"]
    dates = xlsxcells.date_styles(STYLES.encode())
    assert dates == {1, 2}
    cells, uncached = xlsxcells.read_sheet(sheet, shared, dates)
    assert cells == {
        (2, 0): "甲", (2, 1): "富文本 ", (0, 0): "无r属性", (0, 1): 7,
        (4, 0): dt.date(2019, 8, 26), (4, 1): dt.datetime(2019, 8, 26, 12), (4, 2): 8, (4, 3): True,
        (4, 4): "#DIV/0!", (4, 5): "无r属性x", (4, 7): "a&b\rc", (5, 0): 1.5,
    }
    assert uncached == {(4, 6)}


def rewrite_parts(src, dst, edit) -> None:
    """Copy a workbook, passing each part's bytes through edit(name, data)."""
    with zipfile.ZipFile(src) as z:
        items = [(i, z.read(i)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, edit(info.filename, data))
    dst.write_bytes(buf.getvalue())


def test_understated_dimension_loses_nothing(tmp_path):
    from conftest import make_form

    path = make_form(tmp_path / "a.xlsx", disclosure=17)
    rewrite_parts(path, tmp_path / "b.xlsx", lambda name, data: re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:A1"/>', data) if name == "xl/worksheets/sheet1.xml" else data)
    book = open_book(tmp_path / "b.xlsx")
    assert book.grid("填报表").get(5, 1) == 17


def test_1904_workbooks_read_the_right_dates(tmp_path):
    from conftest import make_form

    from luoshan_xl.roster import Roster
    from luoshan_xl.submission import read_submission

    path = make_form(tmp_path / "a.xlsx", accounts=[["号", "抖音", "", dt.date(2019, 8, 26), 20]])

    def edit(name, data):
        if name == "xl/workbook.xml":
            return data.replace(b"<workbookPr", b'<workbookPr date1904="1"', 1)
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"<v>43703</v>", b"<v>42241</v>")  # 2019-08-26 counted from 1904
        return data

    rewrite_parts(path, tmp_path / "b.xlsx", edit)
    sub = read_submission(tmp_path / "b.xlsx", "b.xlsx", Roster.default())
    assert sub.ok, sub.problems
    assert sub.accounts[0].last_update == dt.date(2019, 8, 26)


def test_large_workbooks_read_by_calamine_still_report_uncached_formulas(tmp_path):
    """Past Limits.keep_parts_bytes calamine reads the cells; the uncached-formula check is the same."""
    import dataclasses

    import openpyxl
    from conftest import make_form

    from luoshan_xl.container import DEFAULT_LIMITS
    from luoshan_xl.roster import Roster
    from luoshan_xl.submission import read_submission

    path = make_form(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["填报表"]["B6"] = "=10+2"  # openpyxl writes <v></v>: no cached value
    wb.save(path)
    limits = dataclasses.replace(DEFAULT_LIMITS, keep_parts_bytes=0)
    assert open_book(path, limits)._workbook is not None  # the calamine path
    sub = read_submission(path, "a.xlsx", Roster.default(), limits=limits)
    assert [(p.cell, p.code) for p in sub.problems] == [("B6", "formula_no_value")]


def test_fast_paths_agree_with_the_general_ones():
    """Plain cells (r, s, t and a bare <v>) and plain <si> items take shortcuts; the same content
    written in ways the shortcuts do not take reads the same."""
    plain = (b'<worksheet><sheetData><row r="1"><c r="A1" s="1"><v>43703</v></c><c r="B1" t="s"><v>2</v></c>'
             b'<c r="C1"><v> 7 </v></c><c r="D1" s="3"><v>8.5</v></c><c r="E1" t="s"><v>9</v></c></row>'
             b'</sheetData></worksheet>')
    unusual = plain.replace(b'<c r="A1" s="1">', b'<c s="1" r="A1">').replace(b'<c r="B1" t="s">', b"<c t='s' r='B1'>")
    sst = "<sst>{}</sst>".format("".join(SHARED)).encode()
    attributed = sst.replace(b"<si>", b'<si x="1">')
    assert xlsxcells.SharedStrings(sst)._bodies is not None and xlsxcells.SharedStrings(attributed)._bodies is None
    assert xlsxcells.shared_strings(sst) == xlsxcells.shared_strings(attributed) == ["甲", "富文本 ", "a&b\rc"]
    dates = xlsxcells.date_styles(STYLES.encode())
    expected = {(0, 0): dt.date(2019, 8, 26), (0, 1): "a&b\rc", (0, 2): 7, (0, 3): 8.5}  # E1: no such string
    commented = plain.replace(b"<sheetData>", b'<sheetData><!-- <c r="Z9"><v>1</v></c> -->')
    for sheet in (plain, unusual, commented):  # one findall for the whole sheet; cell by cell; the same
        for table in (xlsxcells.SharedStrings(sst), xlsxcells.SharedStrings(attributed)):
            assert xlsxcells.read_sheet(sheet, table, dates) == (expected, set())
    # one cell that is not plain (a formula) sends the whole sheet the general way
    mixed = plain.replace(b"</row>", b'<c r="F1"><f>1+1</f><v>2</v></c><c r="G1"><f>A1</f></c></row>')
    assert xlsxcells.read_sheet(mixed, xlsxcells.SharedStrings(sst), dates) == ({**expected, (0, 5): 2}, {(0, 6)})


def test_comments_and_cdata_hide_no_cells():
    sheet = (b'<worksheet><sheetData><!-- <c r="Z9"><v>1</v></c> --><row r="1">'
             b'<c r="A1" t="inlineStr"><is><t><![CDATA[<c r="B1"><v>5</v></c> & 1]]></t></is></c></row>'
             b'</sheetData></worksheet>')
    assert xlsxcells.read_sheet(sheet, xlsxcells.SharedStrings(None), frozenset()) == (
        {(0, 0): '<c r="B1"><v>5</v></c> & 1'}, set())


def test_cdata_holding_a_comment_opener_and_processing_instructions():
    """Read left to right as a parser does: '<!--' inside CDATA is text, and a processing
    instruction is not content (calamine agrees)."""
    sheet = (b'<?xml version="1.0"?><worksheet><sheetData><row r="1">'
             b'<c r="A1" t="inlineStr"><is><t><![CDATA[a<!--b]]></t></is></c><c r="B1"><v>7</v></c></row>'
             b'<?pi <c r="C1"><v>9</v></c>?></sheetData><!-- note --></worksheet>')
    assert xlsxcells.read_sheet(sheet, xlsxcells.SharedStrings(None), frozenset()) == (
        {(0, 0): "a<!--b", (0, 1): 7}, set())


def test_long_texts_are_not_kept_by_the_caches():
    from luoshan_xl import cells

    before = cells.parse_reference.cache_info().currsize
    assert cells.parse_reference("'填报表'!$B$" + "9" * 500) is not None
    assert cells.parse_reference.cache_info().currsize == before
    before = xlsxcells._date_styles.cache_info().currsize
    xlsxcells.date_styles(STYLES.encode() + b" " * 70_000)
    assert xlsxcells._date_styles.cache_info().currsize == before


def test_the_markup_test_by_single_byte_scans_is_the_two_finds_it_replaced():
    import random

    from luoshan_xl.xlsxcells import _has_markup

    rng = random.Random(7)
    pieces = [b"<", b"?", b"!", b"x", b">", b" ", b"<?", b"<!", b"?>", b"\xef\xbb\xbf", b"<?xml?>", b"??", b"a?b"]
    seen = set()
    for _ in range(50_000):
        xml = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))  # past the first few "?" too
        expected = b"<!" in xml or xml.find(b"<?", 5) >= 0
        assert _has_markup(xml) == expected, xml
        seen.add(expected)
    assert seen == {True, False}


def test_a_plain_string_item_reads_as_the_regex_reads_it():
    import random

    from luoshan_xl import xlsxcells

    rng = random.Random(3)
    pieces = [b"<t>", b"</t>", b"a", b"&amp;", b"_x000D_", b"<r>", b"</r>", b"<rPh>", b"</rPh>", b"<", b"t>",
              "罗山".encode(), b"<t/>", b'<t xml:space="preserve">', b" "]

    def by_regex(body):
        if b"rPh" in body:
            body = xlsxcells._RPH.sub(b"", body)
        runs = xlsxcells._T.findall(body)
        return xlsxcells._text(runs[0]) if len(runs) == 1 else "".join(xlsxcells._text(r) for r in runs)

    fast = 0
    for _ in range(30_000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        if rng.random() < 0.5:
            body = b"<t>" + body + b"</t>"
        assert xlsxcells._runs(body) == by_regex(body), body
        fast += body[:3] == b"<t>" and body[-4:] == b"</t>" and body.count(b"<") == 2
    assert fast > 1000


def test_a_sheet_full_of_question_marks_is_tested_for_markup_in_c_time():
    """Beyond the first few "?" the markup test is one C search (not a Python step a "?")."""
    from luoshan_xl.xlsxcells import _has_markup

    many = b'<?xml version="1.0"?><worksheet>' + b"?" * 4_000_000 + b"</worksheet>"
    calls = []
    real_find = bytes.find

    class Counted(bytes):
        def find(self, *a):
            calls.append(a)
            return real_find(self, *a)

    assert _has_markup(Counted(many)) is False and len(calls) <= 10
    assert _has_markup(Counted(many + b"<?pi?>")) is True and len(calls) <= 20


def test_shared_strings_read_cdata_and_comments_as_a_parser_does():
    """No office suite writes them in the shared strings, but a CDATA section holding "<si>" must
    neither split an item nor keep its markup; a comment is no text."""
    from luoshan_xl.xlsxcells import shared_strings

    xml = (b'<?xml version="1.0"?><sst><si><t><![CDATA[x<si>y & z]]></t></si><!-- <si><t>no</t></si> -->'
           b"<si><t>b<!-- c --></t></si></sst>")
    assert shared_strings(xml) == ["x<si>y & z", "b"]
