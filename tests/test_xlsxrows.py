"""`RowsWorksheet.write_rows`: the fast path writes the file xlsxwriter's own cells write.

Each test writes the same workbook twice, once through the fast path and once cell by cell
through xlsxwriter's public methods (`fast = False`), and compares every part of the two files;
only the optional `spans` hint on rows and the creation time may differ.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from conftest import open_checked, run

from luoshan_xl import xlsxrows
from luoshan_xl.xlsxrows import RowsWorksheet

SPANS = re.compile(rb' spans="[^"]*"')
CREATED = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: CREATED.sub(b"", SPANS.sub(b"", z.read(n))) for n in z.namelist()}


def both_ways(tmp_path: Path, write, monkeypatch) -> tuple[Path, Path]:
    """`write(path)` once through the fast path, once cell by cell."""
    if not xlsxrows.FAST:  # then rank writes every cell through xlsxwriter itself: nothing to compare
        pytest.skip(f"xlsxwriter {xlsxwriter.__version__} is not one the fast path was checked with")
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    write(fast)
    monkeypatch.setattr(RowsWorksheet, "fast", False)
    write(plain)
    monkeypatch.setattr(RowsWorksheet, "fast", True)
    return fast, plain


def assert_same_files(fast: Path, plain: Path) -> None:
    a, b = parts(fast), parts(plain)
    assert list(a) == list(b)
    for name in a:
        assert a[name] == b[name], name
    with zipfile.ZipFile(fast) as z:  # the fast path did write its rows without spans
        assert b"<row " in z.read("xl/worksheets/sheet1.xml")


def sample_book(path: Path, long_text: str = "", long_col: int = 0) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    text = wb.add_format({"border": 1, "text_wrap": True})
    number = wb.add_format({"border": 1, "num_format": "0"})
    date = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("数据", worksheet_class=RowsWorksheet)
    ws.set_column(0, 0, 20)
    ws.set_row(0, 30)
    ws.write_string(0, 0, "标题", text)
    ws.merge_range(1, 0, 1, 3, "合并的说明", text)
    rows = [
        ("甲", 1, dt.date(2019, 8, 1), None),
        ("乙", 2.5, dt.datetime(2019, 8, 2, 12, 30), float("nan")),
        ("甲", np.int64(3), pd.NaT, np.float64(4.25)),
        ("丙", -0.1, None, 1e20) if not long_text else
        tuple(long_text if c == long_col else v for c, v in enumerate(("丙", -0.1, None, 1e20))),
        ("=1+1", 0, dt.date(1900, 1, 1), 123456789.125),
    ]
    n = ws.write_rows(2, rows, [text, number, date, number], [22, 22.5, 40, 15, 64])
    assert n == len(rows)
    ws.write_string(7, 0, "中间的一行", text)
    ws.write_rows(8, [("丁", 5, None, 6), ("甲", 7, None, 8)], [text, number, date, number], [22, 22])
    ws.write_string(11, 1, "末行", text)
    ws.conditional_format(2, 0, 9, 3, {"type": "blanks", "format": wb.add_format({"font_color": "#9C0006"})})
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"categories": "='数据'!$A$3:$A$10", "values": "='数据'!$B$3:$B$10"})
    ws.insert_chart(12, 0, chart)
    over = wb.add_chart({"type": "column"})  # placed by the heights of the block rows it covers
    over.add_series({"values": "='数据'!$B$3:$B$7"})
    ws.insert_chart(3, 5, over)
    ws.write_comment(20, 0, "批注：位置由上面各行的高度决定")
    other = wb.add_worksheet("其他", worksheet_class=RowsWorksheet)  # a sheet with no block at all
    other.write_string(0, 0, "甲", text)
    wb.close()


def test_sample_is_the_same_both_ways(tmp_path, monkeypatch):
    fast, plain = both_ways(tmp_path, sample_book, monkeypatch)
    assert_same_files(fast, plain)
    ws = open_checked(fast)["数据"]
    assert [ws.cell(3, c).value for c in range(1, 5)] == ["甲", 1, dt.datetime(2019, 8, 1), None]
    assert ws.cell(4, 4).value is None and ws.cell(4, 4).border.left.style == "thin"  # NaN: a bordered blank
    assert ws.cell(5, 3).value is None and ws.cell(5, 4).value == 4.25  # NaT blank, numpy numbers
    assert ws.cell(7, 1).value == "=1+1" and ws.cell(7, 1).data_type == "s"  # text stays text
    assert ws.cell(3, 3).number_format == "yyyy-mm-dd" and ws.cell(3, 2).number_format == "0"
    assert ws.row_dimensions[5].height == 39.75  # 40 pt, as xlsxwriter rounds it to whole pixels
    assert ws.cell(8, 1).value == "中间的一行" and ws.cell(12, 2).value == "末行"
    assert [ws.cell(r, 1).value for r in (9, 10)] == ["丁", "甲"]
    with zipfile.ZipFile(fast) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    # the chart's cached labels and values came from the block's rows
    assert "<c:v>乙</c:v>" in chart and "<c:v>2.5</c:v>" in chart and "<c:v>中间的一行</c:v>" in chart


@pytest.mark.parametrize("col", [0, 3])
def test_text_too_long_for_the_fast_path_goes_through_xlsxwriter(tmp_path, monkeypatch, col):
    long_text = "长" * 20000 + "尾"  # over half of Excel's 32,767: xlsxwriter's own check applies
    fast, plain = both_ways(tmp_path, lambda p: sample_book(p, long_text, col), monkeypatch)
    assert_same_files(fast, plain)  # the row's other texts counted once in the shared strings, too
    ws = open_checked(fast)["数据"]
    assert ws.cell(6, col + 1).value == long_text and ws.cell(7, 1).value == "=1+1"


@pytest.mark.parametrize("height", [None, 0, 0.3])
def test_heights_only_xlsxwriter_knows_go_through_it(tmp_path, monkeypatch, height):
    """None (the default height) and 0 (a hidden row, as set_row makes it)."""
    def write(path):
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet(worksheet_class=RowsWorksheet)
        f = wb.add_format({"border": 1})
        assert ws.write_rows(0, [("a", 1), ("b", 2), ("c", 3)], [f, f], [20, height, 30]) == 3
        wb.close()

    fast, plain = both_ways(tmp_path, write, monkeypatch)
    assert_same_files(fast, plain)
    ws = open_checked(fast).active
    assert [ws.cell(r, 1).value for r in (1, 2, 3)] == ["a", "b", "c"]
    assert ws.row_dimensions[2].hidden == (height is not None)


def test_the_report_is_the_same_both_ways(tmp_path, monkeypatch):
    from test_rank import build_master

    master = build_master(tmp_path / "m.xlsx", [
        ("2019-08", "朱堂乡", 28, 5), ("2019-08", "尤店乡", 128, 5), ("2019-07", "庙仙乡", 4, 3),
        ("2019-08", "法院", 99, 2), ("2019-08", "广电中心", 1, 28)],
        [("2019-08", "罗山县数字化城市管理", "微信公众号", "城市管理局", dt.date(2019, 8, 26), 8),
         ("2019-08", "罗山文化旅游", "今日头条", "文化广电和旅游局", None, 27)])

    def write(path):
        run("rank", "--master", master, "--period", "2019-08", "--output", path)

    fast, plain = both_ways(tmp_path, write, monkeypatch)
    assert_same_files(fast, plain)
    open_checked(fast)


@pytest.mark.parametrize("value", [True, b"x", object(), pd.NA])
def test_values_it_cannot_write_are_refused(tmp_path, value):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet(worksheet_class=RowsWorksheet)
    with pytest.raises(TypeError, match="write_rows cannot write"):
        ws.write_rows(0, [(value,)], [wb.add_format()], [20])
    with pytest.raises(ValueError, match="infinite"):
        ws.write_rows(0, [(math.inf,)], [wb.add_format()], [20])
    with pytest.raises(ValueError, match="a format for every column"):
        ws.write_rows(0, [("a",)], [None], [20])
    with pytest.raises(ValueError, match="1 values for 2 columns"):
        ws.write_rows(0, [("a", 1), ("b",)], [wb.add_format()] * 2, [20, 20])
    wb.close()


@pytest.mark.parametrize("second, message", [
    (lambda ws, f: ws.write_string(4, 1, "clash"), "row 4 was written both as a block row and cell by cell"),
    (lambda ws, f: ws.write_rows(4, [("c",)], [f], [20]), "row 4 was written in two blocks of rows"),
])
def test_a_block_row_written_again_is_refused_at_close(tmp_path, second, message):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet(worksheet_class=RowsWorksheet)
    f = wb.add_format()
    ws.write_rows(3, [("a",), ("b",)], [f], [20, 20])
    second(ws, f)
    with pytest.raises(ValueError, match=message):
        wb.close()


@pytest.mark.parametrize("version, fast", [("3.3.1", True), ("3.3.0", True), ("3.2.3", False), ("3.4.0", False),
                                           ("4.0.0", False), ("3.3.1.dev1", True), ("bad", False)])
def test_only_checked_xlsxwriter_versions_take_the_fast_path(version, fast):
    assert xlsxrows.checked(version) is fast
