"""`luoshan-xl rank`: masters built in code, the real command, then the workbook opened and asserted."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from conftest import open_checked, run

from luoshan_xl.master import MasterWorkbook
from luoshan_xl.report import PAGE_HEIGHT_PT, page_breaks
from luoshan_xl.roster import Roster
from luoshan_xl.submission import AccountRecord, MonthlyRecord

MM_IN = 1 / 25.4


def build_master(path: Path, monthly: list[tuple], accounts: list[tuple] = ()) -> Path:
    roster = Roster.default()
    m = MasterWorkbook(path)
    for period, unit, disclosure, portal in monthly:
        m.monthly.append(MonthlyRecord(period, unit, roster.by_name[unit].category, disclosure, portal, "test"))
    for period, name, platform, host, last, updates in accounts:
        m.accounts.append(AccountRecord(period, name, platform, host, last, updates, host, "test"))
    m.save()
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("rank")
    build_master(d / "m.xlsx", [
        ("2019-01", "朱堂乡", 100, 10), ("2019-08", "朱堂乡", 28, 5),
        ("2019-08", "尤店乡", 128, 5), ("2019-08", "莽张镇", 128, 15),
        ("2019-08", "潘新镇", 0, 0),
        ("2019-07", "庙仙乡", 4, 3),  # missed August: ranked on its total, August blank
        ("2018-12", "山店乡", 500, 500),  # last year: not counted
        ("2019-08", "法院", 99, 2),  # 法院 takes no part in 附件1
        ("2019-08", "广电中心", 1, 28),
    ], [
        ("2019-07", "罗山县数字化城市管理", "微信公众号", "城市管理局", dt.date(2019, 7, 30), 2),
        ("2019-08", "罗山县数字化城市管理", "微信公众号", "城市管理局", dt.date(2019, 8, 26), 8),
        ("2019-08", "罗山县不动产登记中心", "微信公众号", "自然资源局", dt.date(2019, 8, 30), 3),
        ("2019-08", "罗山文化旅游", "今日头条", "文化广电和旅游局", dt.date(2019, 8, 27), 27),
        ("2019-08", "=HYPERLINK(\"x\")", "抖音", "朱堂乡", None, 14),
    ])
    out = d / "通报附件.xlsx"
    result = run("rank", "--master", d / "m.xlsx", "--period", "2019-08", "--output", out)
    return out, result.stdout


def table_rows(ws, first_row: int, n_cols: int):
    out = []
    r = first_row
    while True:
        vals = [ws.cell(r, c).value for c in range(1, n_cols + 1)]
        if vals[0] is None:
            break
        out.append(vals)
        r += 1
    return out


def find(ws, text) -> int:
    for row in ws.iter_rows():
        for c in row:
            if c.value == text:
                return c.row
    raise AssertionError(f"{text!r} not in {ws.title}")


def test_sheets(report):
    wb = open_checked(report[0])
    assert wb.sheetnames == ["附件1", "附件2", "附件3", "汇总", "附件1图表", "附件2图表", "附件3图表"]


def test_attachment1_values_ranks_ties_blanks(report):
    ws = open_checked(report[0])["附件1"]
    assert ws["A1"].value == "附件1："
    assert ws["A3"].value.replace("\n", "") == "2019年1-8月份全县政府信息公开发布情况统计表"
    assert ws["A5"].value == "（一）各乡镇（街道）政府信息公开发布情况"
    assert [c.value for c in ws[6]] == ["单位名称", "1-8月份发布数量（条）", "排名"]
    body = table_rows(ws, 7, 3)
    # 莽张镇 and 尤店乡 tie at 128 (roster order: 尤店乡 before 莽张镇); 潘新镇's 0 is ranked
    assert body[:5] == [["朱堂乡", 128, 1], ["尤店乡", 128, 1], ["莽张镇", 128, 1], ["庙仙乡", 4, 2], ["潘新镇", 0, 3]]
    assert all(r[1] is None and r[2] is None for r in body[5:])  # no data: blank, unranked
    assert len(body) == 20
    start = find(ws, "（二）各相关部门政府信息公开发布情况")
    depts = table_rows(ws, start + 2, 3)
    assert depts[0] == ["广电中心", 1, 1]
    assert "法院" not in [r[0] for r in depts] and "机关事务管理局" in [r[0] for r in depts]


def test_attachment2_month_and_total(report):
    ws = open_checked(report[0])["附件2"]
    assert [c.value for c in ws[6]] == ["单位名称", "8月份采用（条）", "累计采用(条)", "累计排名"]
    body = table_rows(ws, 7, 4)
    assert body[:5] == [["朱堂乡", 5, 15, 1], ["莽张镇", 15, 15, 1], ["尤店乡", 5, 5, 2], ["庙仙乡", None, 3, 3],
                        ["潘新镇", 0, 0, 4]]
    start = find(ws, "（二）县直单位信息采用情况")
    depts = table_rows(ws, start + 2, 4)
    assert depts[:2] == [["广电中心", 28, 28, 1], ["法院", 2, 2, 2]]
    assert depts[-1][1:] == [None, None, None]


def test_attachment3_rows_remarks_and_formats(report):
    ws = open_checked(report[0])["附件3"]
    assert [c.value for c in ws[5]] == ["名称", "平台类型", "主办单位", "更新日期", "更新频率（条/月）", "备注"]
    body = table_rows(ws, 6, 6)[:4]
    assert body == [
        ["罗山县数字化城市管理", "微信公众号", "县城市管理局", dt.datetime(2019, 8, 26), 8, "连续2次不合格，纳入强制关停范围"],
        ["罗山县不动产登记中心", "微信公众号", "县自然资源局", dt.datetime(2019, 8, 30), 3, "不合格"],
        ["=HYPERLINK(\"x\")", "抖音", "朱堂乡", None, 14, None],
        ["罗山文化旅游", "今日头条", "县文化广电和旅游局", dt.datetime(2019, 8, 27), 27, None],
    ]
    assert ws["A8"].data_type == "s"  # formula-looking text stays text
    assert ws["D6"].number_format == 'm"月"d"日"'
    assert ws["E6"].number_format == '0"条/月"'
    assert ws["A10"].value.startswith("注：按每周更新不少于 3 条的要求，8月共 31 天，月更新不少于 14 条")


def test_conditional_formats_are_rules_with_solid_fills(report):
    wb = open_checked(report[0])
    rules = {}
    for name in ("附件1", "附件2", "附件3"):
        ws = wb[name]
        rules[name] = [(str(cf.sqref), r.type, r.formula, r.stopIfTrue, r.dxf)
                       for cf in ws.conditional_formatting for r in cf.rules]
    a3 = {(sq, tuple(f or ())): dxf for sq, _t, f, _s, dxf in rules["附件3"]}
    close = a3[("A6:F9", ('ISNUMBER(SEARCH("强制关停",$F6))',))]
    fail = a3[("A6:F9", ('ISNUMBER(SEARCH("不合格",$F6))',))]
    for dxf in (close, fail):
        assert dxf.fill.patternType == "solid"
        assert dxf.font.b
    assert fail.fill.fgColor.rgb.endswith("FFC7CE") and fail.font.color.rgb.endswith("9C0006")
    assert close.fill.fgColor.rgb.endswith("FF7C80")
    stop = [s for sq, _t, f, s, _d in rules["附件3"] if f and "强制关停" in f[0]]
    assert stop == [True]
    a1 = [(sq, f) for sq, _t, f, _s, _d in rules["附件1"]]
    assert ("A7:C26", ['$B7=""']) in a1
    a2 = [(sq, t, f) for sq, t, f, _s, _d in rules["附件2"]]
    assert ("A7:D26", "expression", ['$C7=""']) in a2
    assert ("B7:B26", "containsBlanks", ["LEN(TRIM(B7))=0"]) in a2
    for name in rules:
        for *_x, dxf in rules[name]:
            assert dxf.fill.patternType == "solid"
    # The file itself says solid (what WPS needs), not just openpyxl's reading of it.
    styles = zipfile.ZipFile(report[0]).read("xl/styles.xml").decode()
    dxfs = styles[styles.index("<dxfs"):styles.index("</dxfs>")]
    assert dxfs.count("<patternFill ") == dxfs.count('patternType="solid"') > 0
    assert "<patternFill>" not in dxfs


def test_solid_fills_come_from_the_packager_and_the_fallback_alike(tmp_path, monkeypatch):
    """The fills are made solid while xlsxwriter packs the file; an xlsxwriter that packs it
    otherwise gets the same styles from a second pass over the finished file."""
    import xlsxwriter

    from luoshan_xl import xlsxwrite

    def styles(path):
        with zipfile.ZipFile(path) as z:
            return z.read("xl/styles.xml")

    def report(path):
        with xlsxwrite.atomic_workbook(path, solid_dxf=True) as wb:
            ws = wb.add_worksheet()
            ws.write_string(0, 0, "x")
            ws.conditional_format(0, 0, 3, 0, {"type": "blanks", "format": wb.add_format({"bg_color": "#D9D9D9"})})
        return wb

    assert report(tmp_path / "a.xlsx").dxf_fills_solid
    monkeypatch.setattr(xlsxwrite, "_workbook_class", lambda: type("Plain", (xlsxwriter.Workbook,),
                                                                    {"dxf_fills_solid": False}))
    assert not report(tmp_path / "b.xlsx").dxf_fills_solid
    assert styles(tmp_path / "a.xlsx") == styles(tmp_path / "b.xlsx")
    assert b'<patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/>' in styles(tmp_path / "a.xlsx")


def test_print_settings(report):
    wb = open_checked(report[0])
    for name, titles in (("附件1", "$6:$6"), ("附件2", "$6:$6"), ("附件3", "$5:$5")):
        ws = wb[name]
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
        m = ws.page_margins
        assert (round(m.top, 4), round(m.bottom, 4), round(m.left, 4), round(m.right, 4)) == (
            round(37 * MM_IN, 4), round(35 * MM_IN, 4), round(28 * MM_IN, 4), round(26 * MM_IN, 4))
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # fitToWidth is absent when 1 (the schema's default); fitToHeight 0 = as many pages as needed
        assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows == titles
        assert ws.oddFooter.center.text == "— &P —"
        assert ws.print_options.horizontalCentered
    assert [b.id for b in wb["附件1"].row_breaks.brk]  # 20 + 52 rows do not fit one page
    assert not wb["附件3"].row_breaks.brk


def test_page_breaks_keep_captions_with_their_tables():
    kinds = ["label", "blank", "title", "blank", "caption", "header"] + ["data"] * 20 + \
            ["blank", "caption", "header"] + ["data"] * 60
    heights = [24, 12, 64, 12, 28, 36] + [22] * 20 + [12, 28, 36] + [22] * 60
    breaks = page_breaks(kinds, heights, header_row=5)
    assert breaks
    for b in breaks:
        # a page starts inside a table's data, with two data rows before and after
        assert kinds[b - 2:b + 2] == ["data"] * 4
    # each page fits
    starts = [0] + breaks
    ends = breaks + [len(kinds)]
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        extra = heights[5] if i else 0
        assert extra + sum(heights[s:e]) <= PAGE_HEIGHT_PT


def test_fonts_follow_the_notice(report):
    wb = open_checked(report[0])
    ws = wb["附件1"]
    assert (ws["A1"].font.name, ws["A1"].font.sz) == ("黑体", 16)
    assert (ws["A3"].font.name, ws["A3"].font.sz) == ("方正小标宋简体", 22)
    assert ws["A3"].alignment.horizontal == "center"
    assert ws["A7"].font.name == "仿宋_GB2312"
    assert ws["A7"].border.left.style == "thin"
    assert ws["A3"].font.charset == 134  # lets WPS/Excel fall back to an installed Chinese font


def test_summary_sheet(report):
    ws = open_checked(report[0])["汇总"]
    kv = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, ws.max_row + 1)}
    assert kv["通报期间"] == "2019-08"
    assert kv["已报送单位数"] == 6
    assert kv["未报送单位数"] == 66
    assert kv["附件3 不合格账号数（月更新少于 14 条）"] == 2
    assert kv["不合格账号"] == "罗山县数字化城市管理（县城市管理局）、罗山县不动产登记中心（县自然资源局）"
    assert kv["连续2次不合格（纳入强制关停）"] == "罗山县数字化城市管理"


def test_native_charts_outside_print_areas(report):
    z = zipfile.ZipFile(report[0])
    charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 5
    chart1 = z.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart1 and "'附件1'!$A$7:$A$11" in chart1


def test_terminal_summary(report):
    line = next(x for x in report[1].splitlines() if "其中不合格" in x)
    assert [c.strip() for c in line.strip("|").split("|")] == ["附件3", "其中不合格（月更新少于 14 条）", "2"]
    assert "已生成通报附件" in report[1]


def test_min_weekly_option(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)],
                 [("2019-08", "号", "抖音", "朱堂乡", None, 10)])
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "a.xlsx",
        "--min-weekly", "2")
    ws = open_checked(tmp_path / "a.xlsx")["附件3"]
    assert ws["F6"].value is None
    assert "每周更新不少于 2 条" in ws["A7"].value and "月更新不少于 9 条" in ws["A7"].value


def test_registered_accounts_from_roster(tmp_path):
    roster = Roster.default()
    from luoshan_xl.roster import RegisteredAccount

    roster.registered = [RegisteredAccount("备案号", "抖音", "朱堂乡")]
    roster.write_xlsx(tmp_path / "名册.xlsx")
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)],
                 [("2019-08", "备案号", "抖音", "朱堂乡", None, 20), ("2019-08", "野号", "抖音", "朱堂乡", None, 20)])
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "a.xlsx",
        "--roster", tmp_path / "名册.xlsx")
    ws = open_checked(tmp_path / "a.xlsx")["附件3"]
    assert {ws.cell(r, 1).value: ws.cell(r, 6).value for r in (6, 7)} == {"备案号": None, "野号": "未报备"}


def test_january_labels(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2020-01", "朱堂乡", 1, 1)])
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2020-01", "--output", tmp_path / "a.xlsx")
    wb = open_checked(tmp_path / "a.xlsx")
    assert wb["附件1"]["A3"].value.replace("\n", "") == "2020年1月份全县政府信息公开发布情况统计表"
    assert wb["附件1"]["B6"].value == "1月份发布数量（条）"


def test_period_not_in_master(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-07", "朱堂乡", 1, 1)])
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "a.xlsx",
                 expect=1)
    assert result.stderr.strip() == ("错误：总表“m.xlsx”中没有 2019-08 的数据（已有期间：2019-07）。"
                                     "请先用 luoshan-xl merge 合并该月的报送表，或检查 --period。")
    assert not (tmp_path / "a.xlsx").exists()


def test_bad_period_option_is_usage_error(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-07", "朱堂乡", 1, 1)])
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "八月", "--output", tmp_path / "a.xlsx",
                 expect=2)
    assert "无法识别" in result.stderr


def test_output_may_not_be_the_master(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)])
    before = (tmp_path / "m.xlsx").read_bytes()
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "m.xlsx",
                 expect=2)
    assert "--output 不能是总表或总表的备份" in result.stderr
    assert (tmp_path / "m.xlsx").read_bytes() == before


def test_report_open_in_office_is_not_overwritten(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)])
    (tmp_path / "~$a.xlsx").write_bytes(b"owner")
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "a.xlsx",
                 expect=1)
    assert "文件“a.xlsx”似乎正在 WPS 或 Excel 中打开" in result.stderr
    assert not (tmp_path / "a.xlsx").exists()


def test_master_that_is_not_a_workbook(tmp_path):
    (tmp_path / "说明.txt").write_text("hello", encoding="utf-8")
    result = run("rank", "--master", tmp_path / "说明.txt", "--period", "2019-08", "--output", tmp_path / "a.xlsx",
                 expect=1)
    assert "“说明.txt”无法作为总表读取" in result.stderr and "备份" not in result.stderr


def test_output_may_not_be_the_backup(tmp_path):
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)])
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 2, 2)])  # a second save keeps a backup
    before = (tmp_path / "m.备份.xlsx").read_bytes()
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output",
                 tmp_path / "m.备份.xlsx", expect=2)
    assert "--output 不能是总表或总表的备份" in result.stderr
    assert (tmp_path / "m.备份.xlsx").read_bytes() == before


def test_a_master_read_in_the_background_is_the_master_load_reads(tmp_path):
    """rank reads the master in a thread: the same records, and the same errors, as `load`."""
    from luoshan_xl.errors import LuoshanError

    path = build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 28, 5), ("2019-07", "尤店乡", 3, None)],
                        [("2019-08", "罗山发布", "抖音", "朱堂乡", dt.date(2019, 8, 3), 4)])
    roster = Roster.default()
    loaded = MasterWorkbook.load(path, roster, audit=False)
    read = MasterWorkbook.reading(path, audit=False).finish(roster)
    assert (read.monthly, read.accounts, read.complete) == (loaded.monthly, loaded.accounts, False)
    assert MasterWorkbook.reading(tmp_path / "none.xlsx").finish(roster).monthly == []
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(LuoshanError) as direct:
        MasterWorkbook.load(tmp_path / "bad.xlsx", roster)
    with pytest.raises(LuoshanError) as background:
        MasterWorkbook.reading(tmp_path / "bad.xlsx").finish(roster)
    assert str(background.value) == str(direct.value) and "无法作为总表读取" in str(direct.value)


def test_rank_runs_without_the_cyclic_collector_and_turns_it_back_on(tmp_path, monkeypatch):
    import gc

    import luoshan_xl.report as report

    seen = []
    real = report.write_report
    monkeypatch.setattr(report, "write_report", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 28, 5)])
    assert gc.isenabled()
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "r.xlsx")
    assert seen == [False] and gc.isenabled()
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-09", "--output", tmp_path / "r.xlsx", expect=1)
    assert gc.isenabled()  # on again after a refused run too


def test_a_master_with_a_damaged_sheet_is_refused_in_chinese(tmp_path):
    path = build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 28, 5)],
                        [("2019-08", "罗山发布", "抖音", "朱堂乡", dt.date(2019, 8, 3), 4)])
    damaged = tmp_path / "坏总表.xlsx"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(damaged, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # 新媒体账号, cut short
                data = data[: len(data) // 2]
            out.writestr(info, data)
    for command in (["rank", "--output", tmp_path / "r.xlsx"], ["merge", tmp_path / "空", "--dry-run"]):
        (tmp_path / "空").mkdir(exist_ok=True)
        result = run(*command, "--master", damaged, "--period", "2019-08", expect=1)
        assert result.stderr.startswith("错误：“坏总表.xlsx”无法作为总表读取（“新媒体账号”工作表无法读取）："
                                        "它不是 luoshan-xl merge 生成的 Excel 总表，或文件已损坏。"), result.stderr
        assert "程序内部出错" not in result.output


def test_text_shaped_like_rich_text_markup_stays_text(tmp_path):
    """xlsxwriter writes a string "<r>…</r>" unescaped, as rich text; an account may be named so."""
    names = ["<r>坏</r>", "<r><t>富</t></r>", "<r>&amp;</r>"]
    build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 1, 1)],
                 [("2019-08", n, "抖音", "朱堂乡", dt.date(2019, 8, 3), 20 + i) for i, n in enumerate(names)])
    run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "r.xlsx")
    ws = open_checked(tmp_path / "r.xlsx")["附件3"]
    assert sorted(ws.cell(r, 1).value for r in range(6, 9)) == sorted(names)
    sst = zipfile.ZipFile(tmp_path / "r.xlsx").read("xl/sharedStrings.xml").decode()
    assert "<si><t>&lt;r&gt;坏&lt;/r&gt;</t></si>" in sst and "<si><r>" not in sst


def test_shared_strings_are_written_as_xlsxwriter_writes_them(tmp_path):
    """Our shared-strings writer skips xlsxwriter's escaping where nothing needs it; on every
    other text (and all of them together) its output is xlsxwriter's, but for rich-text look-alikes."""
    import io
    import random

    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    from luoshan_xl import xlsxwrite

    pieces = ["朱堂乡", "a", " ", "\u3000", "\t", "\n", "\r", "\x00", "\x07", "\x1f", "&", "<", ">", '"', "'",
              "_x000D_", "_x", "x_", "_X0041_", "\u00a0", "😀", "=1+1", "<r>", "</r>", "", "_x005F_x0000_",
              "\ufffe", "\uffff", "\u2028", "\u0085", "\x1c"]
    rng = random.Random(7)
    texts = list(dict.fromkeys(["", " a", "a ", "<r>x</r>", *pieces,
                                *("".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(3000))]))

    def written(cls):
        table = SharedStringTable()
        for t in texts:
            table._get_shared_string_index(t)
        table._sort_string_data()
        sst = cls()
        sst.string_table = table
        sst.fh = io.StringIO()
        sst._write_sst_strings()
        return sst.fh.getvalue()

    rich = [t for t in texts if t.startswith("<r>") and t.endswith("</r>")]
    assert rich  # the one case written otherwise, on purpose (test_text_shaped_like_rich_text_markup_stays_text)
    texts = [t for t in texts if t not in rich]
    assert written(xlsxwrite._text_shared_strings()) == written(SharedStrings)


def test_rank_builds_a3_while_the_master_is_read_and_writes_what_the_plain_way_writes(tmp_path, monkeypatch):
    """附件3 and its rows come from the accounts read early (MasterReading.accounts); the workbook is
    the one build_notice and write_report give without that, part for part."""
    import luoshan_xl.notice as notice_module
    import luoshan_xl.report as report_module

    path = build_master(tmp_path / "m.xlsx", [("2019-08", "朱堂乡", 28, 5), ("2019-08", "法院", 9, 2)], [
        ("2019-08", "罗山县数字化城市管理", "微信公众号", "城市管理局", dt.date(2019, 8, 26), 20),
        ("2019-08", "朱堂发布", "抖音", "朱堂乡", None, 2)])
    seen = []
    real_table, real_build = notice_module.account_table, notice_module.build_notice
    monkeypatch.setattr(notice_module, "account_table", lambda *a, **k: seen.append("a3") or real_table(*a, **k))
    monkeypatch.setattr(notice_module, "build_notice",
                        lambda *a, **k: seen.append(k.get("a3") is not None) or real_build(*a, **k))
    run("rank", "--master", path, "--period", "2019-08", "--output", tmp_path / "early.xlsx")
    assert seen == ["a3", True]  # built early and handed on, not built again
    monkeypatch.undo()
    roster = Roster.default()
    plain = notice_module.build_notice(MasterWorkbook.load(path, roster), roster, "2019-08")
    report_module.write_report(plain, tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "early.xlsx") as a, zipfile.ZipFile(tmp_path / "plain.xlsx") as b:
        assert a.namelist() == b.namelist()
        differ = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert differ in ([], ["docProps/core.xml"])  # its creation time, to the second
    ws = open_checked(tmp_path / "early.xlsx")["附件3"]
    cells = [[ws.cell(r, c).value for c in range(1, 7)] for r in range(6, 8)]
    assert [(c[0], c[2], c[5]) for c in cells] == [("朱堂发布", "朱堂乡", "不合格"),
                                                   ("罗山县数字化城市管理", "县城市管理局", None)]
