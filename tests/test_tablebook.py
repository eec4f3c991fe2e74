"""The plain table writer behind the master: valid, formatted, and every value back as written."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

from conftest import open_checked
from python_calamine import CalamineWorkbook

from luoshan_xl.tablebook import MAX_CELL_CHARS, Table, excel_width, write_tables
from luoshan_xl.xlsxread import open_book

AWKWARD = [
    "=1+1",  # stays text, never a formula
    "+86 137",
    " 前后空格 ",
    "换\n行",
    "回车\r符",
    "控制\x01\x1f字符",
    "已像转义_x000D_的文字",
    "<b>&amp;</b> 'quote' \"dq\"",
    "罗山县朱堂乡",
]


def test_values_come_back_as_written_in_every_reader(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [(text, i, i + 0.25, dt.date(2019, 8, i + 1), None) for i, text in enumerate(AWKWARD)]
    rows.append(("长" * (MAX_CELL_CHARS + 10), -3, 1e-7, dt.datetime(2019, 8, 26, 12, 30), ""))
    write_tables(path, [Table("数据", ("文字", "整数", "小数", "日期", "空"), (30, 8, 8, 12, 6), rows),
                        Table("第'二'表", ("甲",), (10,), [])])
    wb = open_checked(path)
    ws = wb["数据"]
    assert [c.value for c in ws[1]] == ["文字", "整数", "小数", "日期", "空"]
    for r, (text, i, x, day, _blank) in enumerate(rows, start=2):
        want = text[:MAX_CELL_CHARS]
        got = [ws.cell(r, c).value for c in range(1, 6)]
        assert ws.cell(r, 1).data_type == "s", r
        if not re.search("[\x00-\x1f]|_x", want.replace("\n", "")):  # openpyxl leaves _xHHHH_ as it is
            assert got[0] == want, r
        assert got[1:3] == [i, x]
        assert got[3] == (day if isinstance(day, dt.datetime) else dt.datetime(day.year, day.month, day.day))
        assert ws.cell(r, 4).number_format == "yyyy\\-mm\\-dd"
        assert got[4] is None
    assert wb.sheetnames == ["数据", "第'二'表"] and wb["第'二'表"].max_row == 1
    # calamine (how rank reads the master) and our own reader agree
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("数据").to_python()
    assert [row[0] for row in cal[1:]] == [t[:MAX_CELL_CHARS] for t, *_ in rows]
    grid = open_book(path).grid("数据")
    assert [grid.get(r, 0) for r in range(1, len(rows) + 1)] == [t[:MAX_CELL_CHARS] for t, *_ in rows]


def test_layout_header_freeze_filter_widths(tmp_path):
    path = tmp_path / "t.xlsx"
    write_tables(path, [Table("月度数据", ("期间", "单位名称"), (10, 24), [("2019-08", "朱堂乡"), ("2019-08", "尤店乡")])])
    ws = open_checked(path)["月度数据"]
    head = ws["A1"]
    assert head.font.b and head.fill.fgColor.rgb == "FFD9E1F2" and head.fill.fill_type == "solid"
    assert head.border.left.style == "thin" and not ws["A2"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:B3"
    assert ws.column_dimensions["A"].width == excel_width(10) == 10.7109375
    assert ws.column_dimensions["B"].width == excel_width(24)
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">'月度数据'!$A$1:$B$3" in workbook


def test_repeated_texts_are_stored_once(tmp_path):
    path = tmp_path / "t.xlsx"
    write_tables(path, [Table("a", ("期间",), (10,), [("2019-08",)] * 500)])
    with zipfile.ZipFile(path) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert sst.count("<si>") == 2 and 'uniqueCount="2"' in sst


def test_no_zip64_and_excel_dates_before_march_1900(tmp_path):
    """Excel repairs small files that use ZIP64; and it counts a 29 February 1900 that never was."""
    import struct

    path = tmp_path / "t.xlsx"
    write_tables(path, [Table("a", ("日期",), (10,), [(dt.date(1900, 1, 1),), (dt.date(1900, 3, 1),)])])
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            assert not info.extra, info.filename
            local = struct.unpack_from("<4s5H3I2H", raw, info.header_offset)
            assert local[7] != 0xFFFFFFFF and local[8] != 0xFFFFFFFF and local[10] == 0, info.filename
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1</v>" in sheet and "<v>61</v>" in sheet
    assert open_checked(path)["a"]["A2"].value == dt.datetime(1900, 1, 1)


def test_what_no_workbook_can_hold_is_refused(tmp_path):
    import pytest

    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            write_tables(tmp_path / "t.xlsx", [Table("a", ("x",), (10,), [(bad,)])])
    for name in ("a[1]", "a/b", "x" * 32, ""):
        with pytest.raises(ValueError):
            write_tables(tmp_path / "t.xlsx", [Table(name, ("x",), (10,), [])])


def test_a_long_table_comes_back_whole_through_the_background_writer(tmp_path):
    """Rows and shared strings go to the zip in many pieces, deflated in a thread."""
    path = tmp_path / "t.xlsx"
    rows = [(f"单位{i:05d}", i, f"来源{i}.xlsx") for i in range(9_001)]  # > 4 row chunks, > 1 string chunk
    write_tables(path, [Table("a", ("单位", "序号", "来源"), (10, 8, 20), rows),
                        Table("b", ("单位",), (10,), [(r[0],) for r in rows[::-1]])])
    wb = CalamineWorkbook.from_path(str(path))
    a = wb.get_sheet_by_name("a").to_python()
    assert [tuple(r) for r in a[1:]] == [(u, float(i), s) for u, i, s in rows]
    assert [r[0] for r in wb.get_sheet_by_name("b").to_python()[1:]] == [r[0] for r in rows[::-1]]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        sst = z.read("xl/sharedStrings.xml").decode()
    assert sst.count("<si>") == 3 + 2 * 9_001 and f'uniqueCount="{3 + 2 * 9_001}"' in sst  # headers once


def test_the_background_writer_raises_a_failed_write_in_the_caller():
    import pytest

    from luoshan_xl.tablebook import _Background

    class Full:
        def __init__(self):
            self.got = []

        def write(self, chunk):
            if len(self.got) == 2:
                raise OSError(28, "No space left on device")
            self.got.append(chunk)

    out = Full()
    with pytest.raises(OSError, match="No space"):
        with _Background(out) as bg:
            for i in range(50):
                bg.write(b"%d" % i)
    assert out.got == [b"0", b"1"]
    # the caller's own error is raised, and the thread is stopped either way
    kept = Full()
    with pytest.raises(ValueError, match="mine"):
        with _Background(kept) as bg:
            bg.write(b"x")
            raise ValueError("mine")
    assert not bg._thread.is_alive() and kept.got == [b"x"]
