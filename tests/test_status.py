"""`luoshan-xl status`: who has submitted, who has not, and the reminder text."""

from __future__ import annotations

from conftest import make_form, open_checked, run


def test_status_table_reminder_and_sheet(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡")
    make_form(tmp_path / "in" / "b.xlsx", unit="尤店乡", disclosure=-1)
    run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)

    out = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08").stdout
    lines = out.splitlines()
    assert lines[3].split("|")[1:3] == [" 尤店乡             ", " 退回待重报 "]
    assert "2019-08：已报送 1，未报送 70，退回待重报 1（共 72 个单位）。" in out

    text = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--reminder",
               "--deadline", "2019-09-05").stdout
    assert text.startswith("【报送提醒】\n截至目前，以下 70 个单位尚未报送2019年8月政府信息公开发布、门户网站信息采用及政务新媒体"
                           "月度报送表，请于2019年9月5日前报送：\n宝城街道、庙仙乡、")
    assert "朱堂乡" not in text
    assert "以下 1 个单位的报送表未通过审核，请按回执改正后于2019年9月5日前重新报送：\n尤店乡\n" in text

    run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "s.xlsx")
    ws = open_checked(tmp_path / "s.xlsx")["报送情况"]
    assert ws["A1"].value == "2019年8月报送情况（已报送 1/72）"
    states = {ws.cell(r, 2).value: ws.cell(r, 4).value for r in range(3, ws.max_row + 1)}
    assert states["朱堂乡"] == "已报送" and states["尤店乡"] == "退回待重报" and states["宝城街道"] == "未报送"
    assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$2:$2"


def test_resubmitted_unit_counts_as_submitted(tmp_path):
    make_form(tmp_path / "in1" / "b.xlsx", unit="尤店乡", disclosure=-1)
    run("merge", tmp_path / "in1", "--master", tmp_path / "m.xlsx", expect=1)
    make_form(tmp_path / "in2" / "b2.xlsx", unit="尤店乡", disclosure=1)
    run("merge", tmp_path / "in2", "--master", tmp_path / "m.xlsx")
    out = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08").stdout
    assert "| 尤店乡             | 已报送 " in out


def test_everyone_in(tmp_path):
    from conftest import EXAMPLE

    run("merge", EXAMPLE, "--master", tmp_path / "m.xlsx")
    text = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--reminder").stdout
    assert text == "2019年8月的报送表已全部收齐，感谢各单位配合。\n罗山县人民政府办公室\n"


def test_conflict_is_for_the_office_not_the_unit(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="尤店乡", disclosure=1)
    make_form(tmp_path / "in" / "b.xlsx", unit="尤店乡", disclosure=2)
    run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    out = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08").stdout
    line = next(x for x in out.splitlines() if "尤店乡" in x)
    assert "冲突待确认" in line and "a.xlsx、b.xlsx" in line
    text = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--reminder").stdout
    assert "未通过审核" not in text and "请尽快报送：" in text


def test_reminder_and_output_together(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡")
    run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx")
    result = run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--reminder", "--output",
                 tmp_path / "s.xlsx")
    assert result.stdout.startswith("【报送提醒】") and "已生成" not in result.stdout  # stdout: only the text to send
    assert "已生成报送情况表" in result.stderr
    assert open_checked(tmp_path / "s.xlsx")["报送情况"]["A1"].value == "2019年8月报送情况（已报送 1/72）"
