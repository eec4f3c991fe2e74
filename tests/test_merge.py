"""`luoshan-xl merge`: run the real command, then open the master and assert its rows."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import openpyxl
import pytest
from conftest import make_form, open_checked, run

from luoshan_xl.master import master_lock
from luoshan_xl.template import write_history


def rows(master: Path, sheet: str) -> list[dict]:
    wb = open_checked(master)
    ws = wb[sheet]
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, r, strict=True)) for r in values[1:]]


def monthly(master: Path) -> dict[tuple[str, str], tuple]:
    return {(r["单位名称"], r["期间"]): (r["信息公开发布数量"], r["门户网站采用数量"]) for r in rows(master, "月度数据")}


def merge_json(*args, expect=0) -> list[dict]:
    result = run("merge", *args, "--json", expect=expect)
    return json.loads(result.stdout)


ACCOUNT = ["罗山县数字化城市管理", "微信公众号", "城市管理局", dt.date(2019, 8, 26), 8]


# -- values as clerks type them ------------------------------------------------------------


@pytest.mark.parametrize("typed, stored", [
    (12, 12), (12.0, 12), ("12", 12), ("12条", 12), ("１２", 12), (" 12 ", 12), ("1,234", 1234), (0, 0),
])
def test_counts_as_typed(tmp_path, typed, stored):
    make_form(tmp_path / "in" / "a.xlsx", disclosure=typed, portal=typed)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert out[0]["result"] == "merged"
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (stored, stored)}


def test_blank_stays_blank_and_zero_stays_zero(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡", disclosure=None, portal=0)
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (None, 0)}


@pytest.mark.parametrize("typed", [
    dt.date(2019, 8, 26), 43703, "2019/8/26", "2019.8.26", "2019-08-26", "8月26日", "2019年8月26日",
])
def test_dates_as_typed(tmp_path, typed):
    make_form(tmp_path / "in" / "a.xlsx", unit="城市管理局", accounts=[ACCOUNT[:3] + [typed, 8]])
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    (acc,) = rows(tmp_path / "m.xlsx", "新媒体账号")
    assert acc["最后更新日期"] == dt.datetime(2019, 8, 26)
    assert (acc["账号名称"], acc["平台类型"], acc["主办单位"], acc["本月更新条数"], acc["报送单位"]) == (
        "罗山县数字化城市管理", "微信公众号", "城市管理局", 8, "城市管理局")


@pytest.mark.parametrize("typed", ["2019-08", "2019年8月", "2019.8", "2019/08", dt.date(2019, 8, 1)])
def test_periods_as_typed(tmp_path, typed):
    make_form(tmp_path / "in" / "a.xlsx", period=typed)
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", "--period", "2019-08")
    assert list(monthly(tmp_path / "m.xlsx")) == [("朱堂乡", "2019-08")]


@pytest.mark.parametrize("typed", ["县城市管理局", "罗山县城市管理局", "城管局", "城市管理局 ", "县 城市管理局\u3000"])
def test_unit_names_through_the_roster(tmp_path, typed):
    make_form(tmp_path / "in" / "a.xlsx", unit=typed)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert out[0]["unit"] == "城市管理局"
    assert list(monthly(tmp_path / "m.xlsx")) == [("城市管理局", "2019-08")]


# -- rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, cell, code", [
    ({"disclosure": -3}, "B6", "negative"),
    ({"disclosure": "-3"}, "B6", "negative"),
    ({"portal": 1.5}, "B7", "fraction"),
    ({"portal": "三条"}, "B7", "not_number"),
    ({"unit": "猪堂乡"}, "B4", "unknown_unit"),
    ({"unit": None}, "B4", "required"),
    ({"period": "八月"}, "B5", "bad_period"),
    ({"accounts": [ACCOUNT[:3] + [dt.date(2019, 9, 1), 8]]}, "D11", "date_outside_period"),
    ({"accounts": [ACCOUNT[:1] + ["小红书"] + ACCOUNT[2:]]}, "B11", "bad_platform"),
    ({"accounts": [ACCOUNT[:2] + ["县委宣传部"] + ACCOUNT[3:]]}, "C11", "unknown_unit"),
    ({"accounts": [ACCOUNT[:4] + [None]]}, "E11", "required"),
])
def test_rejections_name_the_cell(tmp_path, kwargs, cell, code):
    make_form(tmp_path / "in" / "bad.xlsx", **kwargs)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert out[0]["result"] == "rejected"
    assert [(p["sheet"], p["cell"], p["code"]) for p in out[0]["problems"]] == [("填报表", cell, code)]
    assert monthly(tmp_path / "m.xlsx") == {}  # nothing merged


def test_wrong_period_against_option(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", period="2019-07")
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", "--period", "2019-08", expect=1)
    (p,) = out[0]["problems"]
    assert p["code"] == "wrong_period"
    assert p["message"] == ("报送期间是 2019-07，但本次汇总的是 2019-08。请确认是否发错了月份的报表；"
                            "如果是 2019-08 的数据，请改正报送期间后重新发送。")


def test_unknown_unit_message_suggests(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="猪堂乡")
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert ("工作表“填报表”，单元格 B4：单位名称“猪堂乡”不在单位名册中，是否是：朱堂乡？"
            "请按县政府办下发的单位名册填写规范名称（报送表中可从下拉列表选择）。") in result.stdout


def test_every_problem_of_a_file_is_listed(tmp_path):
    make_form(tmp_path / "in" / "bad.xlsx", disclosure=-1, portal="x",
              accounts=[["号一", "小红书", "", "2019-09-30", "5条"], ["号二", "抖音", "", "", -2]])
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    cells = [(p["cell"], p["code"]) for p in out[0]["problems"]]
    assert cells == [("B6", "negative"), ("B7", "not_number"), ("B11", "bad_platform"),
                     ("D11", "date_outside_period"), ("E12", "negative")]


def test_formula_without_cached_value_is_rejected(tmp_path):
    path = make_form(tmp_path / "in" / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["填报表"]["B6"] = "=10+2"  # openpyxl stores no cached value
    wb.save(path)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    (p,) = out[0]["problems"]
    assert (p["cell"], p["code"]) == ("B6", "formula_no_value")
    assert "打开此文件" in p["message"]


def test_account_rows_blank_but_for_spaces_or_an_uncached_formula(tmp_path):
    """A table row of spaces is unused; a row whose only content is a formula without a value is reported."""
    path = make_form(tmp_path / "in" / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["填报表"]
    ws["A12"], ws["B12"] = "  ", "\u3000"
    ws["E14"] = "=1+1"
    wb.save(path)
    (out,) = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert [(p["cell"], p["code"]) for p in out["problems"]] == [("E14", "formula_no_value")]


def test_a_rejected_file_changes_nothing_and_others_merge(tmp_path):
    make_form(tmp_path / "in" / "good.xlsx", unit="朱堂乡", disclosure=5)
    make_form(tmp_path / "in" / "bad.xlsx", unit="尤店乡", disclosure=-5)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert {o["file"]: o["result"] for o in out} == {"bad.xlsx": "rejected", "good.xlsx": "merged"}
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (5, 3)}


def test_other_layout_is_rejected_with_the_template_named(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "年龄"])
    wb.active.append(["张三", 30])
    (tmp_path / "in").mkdir()
    wb.save(tmp_path / "in" / "other.xlsx")
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    (p,) = out[0]["problems"]
    assert p["code"] == "unknown_layout" and "luoshan-xl template" in p["message"]


# -- a re-typed form (no defined names) and bulk history ---------------------------------------------


def test_retyped_form_found_by_labels(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["月度报送表"])
    ws.append(["单位名称：", "罗山县朱堂乡"])
    ws.append(["报送期间", "2019年8月"])
    ws.append(["本月政府信息公开发布数量（条）", "12条"])
    ws.append(["本月门户网站信息采用数量", 3])
    ws.append([])
    ws.append(["名称", "平台类型", "主办单位", "更新日期", "本月更新条数"])
    ws.append(["朱堂发布", "微信", "", "2019/8/20", 15])
    (tmp_path / "in").mkdir()
    wb.save(tmp_path / "in" / "retyped.xlsx")
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert out[0]["result"] == "merged"
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (12, 3)}
    (acc,) = rows(tmp_path / "m.xlsx", "新媒体账号")
    assert (acc["账号名称"], acc["平台类型"], acc["主办单位"], acc["本月更新条数"]) == ("朱堂发布", "微信公众号", "朱堂乡", 15)


def test_bulk_history_merges_like_forms(tmp_path):
    write_history(tmp_path / "in" / "history.xlsx", [
        ("2019-01", "朱堂乡", 10, 2), ("2019-02", "朱堂乡", 11, None), ("2019-01", "县法院", None, 4)])
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert out[0]["result"] == "merged" and out[0]["period"] == "2019-01～2019-02"
    assert monthly(tmp_path / "m.xlsx") == {
        ("朱堂乡", "2019-01"): (10, 2), ("朱堂乡", "2019-02"): (11, None), ("法院", "2019-01"): (None, 4)}


def test_bulk_history_problems_name_rows(tmp_path):
    write_history(tmp_path / "in" / "history.xlsx", [("2019-01", "朱堂乡", 10, 2), ("2019-13", "某某局", -1, 2)])
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert [(p["cell"], p["code"]) for p in out[0]["problems"]] == [
        ("A3", "bad_period"), ("B3", "unknown_unit"), ("C3", "negative")]


# -- resubmission, duplicates, conflicts -------------------------------------------------------------------


def test_identical_file_again_is_a_duplicate(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert out[0]["result"] == "duplicate" and out[0]["unit"] == "朱堂乡"
    assert len(rows(tmp_path / "m.xlsx", "月度数据")) == 1
    assert [a["结果"] for a in rows(tmp_path / "m.xlsx", "报送记录")] == ["已合并", "重复"]


def test_later_form_replaces_and_old_values_stay_in_audit(tmp_path):
    make_form(tmp_path / "in1" / "a.xlsx", disclosure=12, accounts=[["旧账号", "抖音", "", "2019-08-02", 4]])
    merge_json(tmp_path / "in1", "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "in2" / "a-修改.xlsx", disclosure=15)
    out = merge_json(tmp_path / "in2", "--master", tmp_path / "m.xlsx")
    assert out[0]["result"] == "replaced"
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (15, 3)}
    assert rows(tmp_path / "m.xlsx", "新媒体账号") == []
    audit = rows(tmp_path / "m.xlsx", "报送记录")
    assert [a["结果"] for a in audit] == ["已合并", "已替换"]
    assert "信息公开发布 12" in audit[1]["原因"] and "旧账号/抖音/朱堂乡/2019-08-02/4条" in audit[1]["原因"]
    assert open_checked(tmp_path / "m.备份.xlsx")  # the previous master is kept


def test_two_forms_from_one_unit_in_one_run_conflict(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", disclosure=12)
    make_form(tmp_path / "in" / "b.xlsx", disclosure=13)
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert [(o["file"], o["result"]) for o in out] == [("a.xlsx", "conflict"), ("b.xlsx", "conflict")]
    assert "b.xlsx" in out[0]["problems"][0]["message"]
    assert monthly(tmp_path / "m.xlsx") == {}


def test_prefer_newest_resolves_a_conflict(tmp_path):
    old = make_form(tmp_path / "in" / "a.xlsx", disclosure=12)
    new = make_form(tmp_path / "in" / "b.xlsx", disclosure=13)
    os.utime(old, (1_500_000_000, 1_500_000_000))
    os.utime(new, (1_600_000_000, 1_600_000_000))
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", "--prefer", "newest")
    assert [(o["file"], o["result"]) for o in out] == [("a.xlsx", "skipped"), ("b.xlsx", "merged")]
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (13, 3)}


# -- inputs, output, options ------------------------------------------------------------------------------------


def test_skips_lock_hidden_and_non_spreadsheets(tmp_path):
    inbox = tmp_path / "in"
    make_form(inbox / "sub" / "a.xlsx")
    (inbox / "~$a.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(b"x")
    (inbox / "说明.txt").write_text("hello", encoding="utf-8")
    out = merge_json(inbox, "--master", tmp_path / "m.xlsx")
    assert {o["file"]: o["result"] for o in out} == {
        "sub/a.xlsx": "merged", "~$a.xlsx": "skipped", ".hidden.xlsx": "skipped", "说明.txt": "skipped"}


def test_json_shape(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", disclosure=-1)
    (o,) = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert set(o) == {"file", "unit", "period", "result", "problems"}
    assert set(o["problems"][0]) == {"sheet", "cell", "code", "message"}


def test_dry_run_writes_nothing(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", "--dry-run")
    assert "试运行：总表未改动" in result.stdout
    assert not (tmp_path / "m.xlsx").exists()


def test_summary_table_and_missing_units(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡")
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert "| a.xlsx | 朱堂乡 | 2019-08 | 已合并 |" in result.stdout
    assert "2019-08 未报送名单（71 个单位）：宝城街道、庙仙乡" in result.stdout
    assert "朱堂乡" not in result.stdout.split("未报送名单")[1]


def test_receipts_for_rejected_files(tmp_path):
    make_form(tmp_path / "in" / "2019-08_朱堂乡.xlsx", disclosure=-1)
    run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", "--receipts", tmp_path / "回执", expect=1)
    receipt = tmp_path / "回执" / "回执_2019-08_朱堂乡.xlsx"
    ws = open_checked(receipt)["回执"]
    assert ws["A1"].value == "报送表退回回执"
    assert ws["A2"].value == "文件：2019-08_朱堂乡.xlsx　单位：朱堂乡　报送期间：2019-08"
    assert [c.value for c in ws[6]] == [1, "填报表", "B6",
                                       "本月政府信息公开发布数量（条）：“-1”是负数，请填写大于或等于 0 的整数。"]


def test_missing_input_is_a_usage_error(tmp_path):
    result = run("merge", tmp_path / "nope", "--master", tmp_path / "m.xlsx", expect=2)
    assert "找不到" in result.stderr


# -- the master is never half-written ------------------------------------------------------------------------------


def test_merge_refused_while_another_holds_the_lock(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    with master_lock(tmp_path / "m.xlsx"):
        result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert "另一个 luoshan-xl 命令正在写入总表“m.xlsx”" in result.stderr
    assert not (tmp_path / "m.xlsx").exists()


def test_master_open_in_office_is_refused(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    (tmp_path / "~$m.xlsx").write_bytes(b"owner")
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert "总表“m.xlsx”似乎正在 WPS 或 Excel 中打开（发现“~$m.xlsx”）。请先关闭它再运行" in result.stderr


def test_interrupted_write_keeps_the_previous_master(tmp_path, monkeypatch):
    make_form(tmp_path / "in1" / "a.xlsx", unit="朱堂乡")
    merge_json(tmp_path / "in1", "--master", tmp_path / "m.xlsx")
    before = (tmp_path / "m.xlsx").read_bytes()
    make_form(tmp_path / "in2" / "b.xlsx", unit="尤店乡")

    from luoshan_xl import tablebook

    def boom(out, *args, **kwargs):
        out.write(b"<worksheet>")  # part of a sheet written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tablebook, "_write_sheet", boom)
    result = run("merge", tmp_path / "in2", "--master", tmp_path / "m.xlsx", expect=1)
    assert "No space left on device" in result.stderr
    assert (tmp_path / "m.xlsx").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.xlsx.lock", ".m.xlsx.sha256", "in1", "in2", "m.xlsx"]


def test_rename_blocked_by_windows_lock(tmp_path, monkeypatch):
    make_form(tmp_path / "in" / "a.xlsx")
    from luoshan_xl import xlsxwrite

    def locked(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(xlsxwrite.os, "replace", locked)
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert "文件“m.xlsx”正被 WPS 或 Excel 打开" in result.stderr and "请先关闭该文件" in result.stderr
    assert not (tmp_path / "m.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_not_a_master_is_refused(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    other = make_form(tmp_path / "other.xlsx")
    result = run("merge", tmp_path / "in", "--master", other, expect=1)
    assert "不是 luoshan-xl 的总表" in result.stderr


def test_large_runs_read_in_two_processes_with_the_same_results(tmp_path, monkeypatch):
    from luoshan_xl import merge as merge_mod

    for i, unit in enumerate(["朱堂乡", "尤店乡", "潘新镇", "莽张镇", "山店乡"]):
        make_form(tmp_path / "in" / f"{i}.xlsx", unit=unit, disclosure=i if i != 3 else -1)
    make_form(tmp_path / "in" / "5.xlsx", unit="朱堂乡", disclosure=0)  # a conflict with 0.xlsx
    serial = merge_json(tmp_path / "in", "--master", tmp_path / "serial.xlsx", expect=1)
    calls = []
    real = merge_mod._read_submissions

    def spy(jobs, roster, known, workers):
        calls.append(len(jobs))
        return real(jobs, roster, known, 2)

    monkeypatch.setattr(merge_mod, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(merge_mod, "_read_submissions", spy)
    parallel = merge_json(tmp_path / "in", "--master", tmp_path / "parallel.xlsx", expect=1)
    assert calls == [6]
    assert parallel == serial
    assert monthly(tmp_path / "parallel.xlsx") == monthly(tmp_path / "serial.xlsx")


def test_master_edited_outside_is_checked_again(tmp_path, monkeypatch):
    """Our own master (unchanged since we wrote it) skips the container checks; an edited one does not."""
    from luoshan_xl import xlsxread

    make_form(tmp_path / "in" / "a.xlsx")
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert (tmp_path / ".m.xlsx.sha256").read_text() == __import__("hashlib").sha256(
        (tmp_path / "m.xlsx").read_bytes()).hexdigest()
    checked = []
    real = xlsxread.inspect_bytes
    monkeypatch.setattr(xlsxread, "inspect_bytes", lambda d, name, limits: checked.append(name) or real(d, name, limits))
    run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08")
    assert checked == []
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")  # the clerk re-saves it in another program
    wb.save(tmp_path / "m.xlsx")
    run("status", "--master", tmp_path / "m.xlsx", "--period", "2019-08")
    assert checked == ["m.xlsx"]


def test_merge_imports_neither_pandas_nor_openpyxl(tmp_path):
    """The typical month must start fast: merge needs neither (see benchmarks/)."""
    import subprocess
    import sys

    make_form(tmp_path / "in" / "a.xlsx")
    code = ("import sys; from luoshan_xl.cli import main\n"
            f"sys.argv = ['luoshan-xl', 'merge', {str(tmp_path / 'in')!r}, '--master', {str(tmp_path / 'm.xlsx')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_without_period_a_form_for_another_month_is_held_back(tmp_path):
    """A September run must not let a form dated August quietly replace August's published figures."""
    make_form(tmp_path / "in1" / "aug.xlsx", unit="产业集聚区", period="2019-08", disclosure=3, portal=0)
    merge_json(tmp_path / "in1", "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "in2" / "2019-09_朱堂乡.xlsx", unit="朱堂乡", period="2019-09")
    make_form(tmp_path / "in2" / "2019-09_尤店乡.xlsx", unit="尤店乡", period="2019-09")
    make_form(tmp_path / "in2" / "2019-09_产业集聚区.xlsx", unit="产业集聚区", period="2019-08", disclosure=5)
    out = merge_json(tmp_path / "in2", "--master", tmp_path / "m.xlsx", expect=1)
    held = next(o for o in out if o["file"] == "2019-09_产业集聚区.xlsx")
    assert held["result"] == "rejected"
    (p,) = held["problems"]
    assert (p["sheet"], p["cell"], p["code"]) == ("填报表", "B5", "other_period")
    assert p["message"].startswith("报送期间是 2019-08，而本次收到的其他报送表是 2019-09 的；总表中已有 产业集聚区 "
                                   "2019-08 的数据（可能已经通报），为防止误改，这份表没有合并。")
    assert monthly(tmp_path / "m.xlsx")[("产业集聚区", "2019-08")] == (3, 0)  # August untouched
    # merged on its own, with the period stated, the correction goes in
    only = merge_json(tmp_path / "in2" / "2019-09_产业集聚区.xlsx", "--master", tmp_path / "m.xlsx",
                      "--period", "2019-08")
    assert only[0]["result"] == "replaced"


def test_catching_up_several_months_in_one_run_is_fine(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡", period="2019-01")
    make_form(tmp_path / "in" / "b.xlsx", unit="朱堂乡", period="2019-02")
    make_form(tmp_path / "in" / "c.xlsx", unit="尤店乡", period="2019-02")
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert [o["result"] for o in out] == ["merged"] * 3


def test_details_list_every_problem_and_conflict_in_full(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx", unit="朱堂乡", disclosure=-3)
    make_form(tmp_path / "in" / "b.xlsx", unit="尤店乡", disclosure=1)
    make_form(tmp_path / "in" / "c.xlsx", unit="尤店乡", disclosure=2)
    out = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1).stdout
    assert "| a.xlsx | 朱堂乡 | 2019-08 | 退回 | 1 个问题，见下方       |" in out
    assert "“a.xlsx”的问题：\n  - 工作表“填报表”，单元格 B6：本月政府信息公开发布数量（条）：“-3”是负数，请填写大于或等于 0 的整数。" in out
    assert "“b.xlsx”：冲突：\n  - 与“c.xlsx”同为 尤店乡 2019-08 的报表但内容不同，两份均未合并。" in out
    assert "或加 --prefer newest 采用较新的一份" in out


def test_a_run_that_changes_no_figure_keeps_the_backup(tmp_path):
    make_form(tmp_path / "in1" / "a.xlsx", unit="朱堂乡", disclosure=1)
    merge_json(tmp_path / "in1", "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "in2" / "b.xlsx", unit="尤店乡", disclosure=2)
    merge_json(tmp_path / "in2", "--master", tmp_path / "m.xlsx")
    backup = (tmp_path / "m.备份.xlsx").read_bytes()
    again = merge_json(tmp_path / "in2", "--master", tmp_path / "m.xlsx")
    assert again[0]["result"] == "duplicate"
    assert (tmp_path / "m.备份.xlsx").read_bytes() == backup  # still the state before b.xlsx
    assert [a["结果"] for a in rows(tmp_path / "m.xlsx", "报送记录")] == ["已合并", "已合并", "重复"]


def test_replacement_note_counts_the_accounts(tmp_path):
    make_form(tmp_path / "in1" / "a.xlsx", accounts=[["号", "抖音", "", "2019-08-02", 4]])
    merge_json(tmp_path / "in1", "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "in2" / "a2.xlsx", disclosure=99)
    out = run("merge", tmp_path / "in2", "--master", tmp_path / "m.xlsx").stdout
    assert "新媒体账号由原来的 1 个改为 0 个" in out


def test_receipt_names_unit_and_period(tmp_path):
    make_form(tmp_path / "in" / "x.xlsx", unit="朱堂乡", disclosure=-1)
    run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", "--receipts", tmp_path / "r", expect=1)
    ws = open_checked(tmp_path / "r" / "回执_x.xlsx")["回执"]
    assert ws["A2"].value == "文件：x.xlsx　单位：朱堂乡　报送期间：2019-08"


def test_the_master_and_its_backup_in_the_inbox_are_never_merged(tmp_path):
    inbox = tmp_path / "收件夹"
    make_form(inbox / "v1.xlsx", unit="朱堂乡", disclosure=10, accounts=[["号", "抖音", "", "2019-08-02", 20]])
    master = inbox / "总表.xlsx"
    merge_json(inbox, "--master", master, "--period", "2019-08")
    (inbox / "v1.xlsx").unlink()
    make_form(inbox / "v2.xlsx", unit="朱堂乡", disclosure=99, accounts=[["号", "抖音", "", "2019-08-03", 21]])
    merge_json(inbox, "--master", master, "--period", "2019-08")
    assert (inbox / "总表.备份.xlsx").exists()
    (inbox / "old").mkdir()
    (inbox / "总表.备份.xlsx").rename(inbox / "old" / "上月总表.xlsx")  # a master under another name
    out = merge_json(inbox, "--master", master, "--period", "2019-08")
    assert {o["file"]: o["result"] for o in out} == {"old/上月总表.xlsx": "skipped", "v2.xlsx": "duplicate"}
    assert monthly(master) == {("朱堂乡", "2019-08"): (99, 3)}
    assert [a["账号名称"] for a in rows(master, "新媒体账号")] == ["号"]


def test_same_file_names_from_two_folders_stay_apart(tmp_path):
    make_form(tmp_path / "张" / "报送表.xlsx", unit="朱堂乡", disclosure=11)
    make_form(tmp_path / "李" / "报送表.xlsx", unit="宝城街道", disclosure=22)
    make_form(tmp_path / "zz.xlsx", unit="庙仙乡", disclosure=33)
    out = merge_json(tmp_path / "张" / "报送表.xlsx", tmp_path / "李" / "报送表.xlsx", tmp_path / "zz.xlsx",
                     "--master", tmp_path / "m.xlsx")
    assert [(o["file"], o["unit"]) for o in out] == [("报送表.xlsx", "朱堂乡"), ("报送表.xlsx（2）", "宝城街道"),
                                                      ("zz.xlsx", "庙仙乡")]
    assert {k[0]: v[0] for k, v in monthly(tmp_path / "m.xlsx").items()} == {"朱堂乡": 11, "宝城街道": 22, "庙仙乡": 33}


def test_resending_an_earlier_version_replaces_again(tmp_path):
    v1 = make_form(tmp_path / "a" / "v1.xlsx", disclosure=10)
    merge_json(tmp_path / "a", "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "b" / "v2.xlsx", disclosure=99)
    merge_json(tmp_path / "b", "--master", tmp_path / "m.xlsx")
    out = merge_json(v1, "--master", tmp_path / "m.xlsx")  # the unit changes its mind back
    assert out[0]["result"] == "replaced"
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (10, 3)}
    again = merge_json(v1, "--master", tmp_path / "m.xlsx")
    assert again[0]["result"] == "duplicate"


def test_prefer_newest_settles_file_by_file(tmp_path):
    f1 = make_form(tmp_path / "in" / "f1.xlsx", unit="朱堂乡", disclosure=1)
    hist = tmp_path / "in" / "hist.xlsx"
    write_history(hist, [("2019-08", "朱堂乡", 2, 0), ("2019-08", "宝城街道", 2, 0)])
    f2 = make_form(tmp_path / "in" / "f2.xlsx", unit="宝城街道", disclosure=3)
    for i, p in enumerate((f1, hist, f2)):
        os.utime(p, (1_500_000_000 + i, 1_500_000_000 + i))
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", "--prefer", "newest")
    assert {o["file"]: o["result"] for o in out} == {"f1.xlsx": "merged", "hist.xlsx": "skipped", "f2.xlsx": "merged"}
    assert monthly(tmp_path / "m.xlsx") == {("朱堂乡", "2019-08"): (1, 3), ("宝城街道", "2019-08"): (3, 3)}


def test_hand_edited_master_with_a_duplicate_row_is_explained(tmp_path):
    make_form(tmp_path / "in" / "a.xlsx")
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    wb["月度数据"].append(["2019-08", "罗山县朱堂乡", "乡镇街道", 1, 1, "手工"])
    wb.save(tmp_path / "m.xlsx")
    result = run("rank", "--master", tmp_path / "m.xlsx", "--period", "2019-08", "--output", tmp_path / "r.xlsx",
                 expect=1)
    assert "“月度数据”第 3 行：朱堂乡 2019-08 的数据与第 2 行重复，请删除其中一行" in result.stderr
    assert "内部出错" not in result.stderr


def test_console_that_cannot_show_a_character_does_not_fail_the_run(tmp_path):
    import subprocess
    import sys

    make_form(tmp_path / "in" / "a.xlsx")
    (tmp_path / "in" / "emoji😀.txt").write_text("x", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "cp936"}
    done = subprocess.run([sys.executable, "-m", "luoshan_xl", "merge", str(tmp_path / "in"), "--master",
                           str(tmp_path / "m.xlsx")], capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    assert "已合并" in done.stdout.decode("gbk")


def test_rerunning_an_inbox_holding_old_and_corrected_versions_changes_nothing(tmp_path):
    inbox = tmp_path / "收件夹"
    make_form(inbox / "朱堂乡.xlsx", unit="朱堂乡", disclosure=10)
    make_form(inbox / "周党镇.xlsx", unit="周党镇", disclosure=5)
    merge_json(inbox, "--master", tmp_path / "m.xlsx")
    make_form(inbox / "朱堂乡（更正）.xlsx", unit="朱堂乡", disclosure=12)
    merge_json(inbox, "--master", tmp_path / "m.xlsx")
    assert monthly(tmp_path / "m.xlsx")[("朱堂乡", "2019-08")][0] == 12
    for _ in range(2):
        out = merge_json(inbox, "--master", tmp_path / "m.xlsx")
        assert {o["file"]: o["result"] for o in out} == {
            "周党镇.xlsx": "duplicate", "朱堂乡.xlsx": "skipped", "朱堂乡（更正）.xlsx": "duplicate"}
        assert monthly(tmp_path / "m.xlsx")[("朱堂乡", "2019-08")][0] == 12


def test_history_file_re_sent_with_the_corrections_changes_nothing(tmp_path):
    inbox = tmp_path / "in"
    write_history(inbox / "历史.xlsx", [("2019-07", "朱堂乡", 5, 1), ("2019-07", "尤店乡", 5, 1)])
    merge_json(inbox, "--master", tmp_path / "m.xlsx")
    make_form(inbox / "a.xlsx", unit="朱堂乡", period="2019-07", disclosure=7)
    make_form(inbox / "b.xlsx", unit="尤店乡", period="2019-07", disclosure=8)
    merge_json(inbox, "--master", tmp_path / "m.xlsx")
    out = merge_json(inbox, "--master", tmp_path / "m.xlsx")
    assert {o["file"]: o["result"] for o in out} == {"a.xlsx": "duplicate", "b.xlsx": "duplicate",
                                                      "历史.xlsx": "skipped"}
    got = monthly(tmp_path / "m.xlsx")
    assert (got[("朱堂乡", "2019-07")][0], got[("尤店乡", "2019-07")][0]) == (7, 8)


def test_same_file_name_from_two_units_tracks_each_version(tmp_path):
    a = make_form(tmp_path / "a" / "报送表.xlsx", unit="朱堂乡", disclosure=1)
    merge_json(a, "--master", tmp_path / "m.xlsx")
    b = make_form(tmp_path / "b" / "报送表.xlsx", unit="周党镇", disclosure=2)
    merge_json(b, "--master", tmp_path / "m.xlsx")
    make_form(tmp_path / "c" / "更正.xlsx", unit="周党镇", disclosure=99)
    merge_json(tmp_path / "c", "--master", tmp_path / "m.xlsx")
    out = merge_json(b, "--master", tmp_path / "m.xlsx")  # 周党镇: "the original was right"
    assert out[0]["result"] == "replaced"
    assert monthly(tmp_path / "m.xlsx")[("周党镇", "2019-08")][0] == 2


def test_rerun_with_a_last_month_form_is_still_held_back(tmp_path):
    inbox = tmp_path / "收件夹"
    write_history(tmp_path / "h.xlsx", [("2019-07", "山店乡", 3, 1)])
    merge_json(tmp_path / "h.xlsx", "--master", tmp_path / "m.xlsx")
    make_form(inbox / "朱堂乡.xlsx", unit="朱堂乡", period="2019-08")
    merge_json(inbox, "--master", tmp_path / "m.xlsx")
    make_form(inbox / "山店乡.xlsx", unit="山店乡", period="2019-07", disclosure=77)
    out = merge_json(inbox, "--master", tmp_path / "m.xlsx", expect=1)
    assert {o["file"]: o["result"] for o in out} == {"朱堂乡.xlsx": "duplicate", "山店乡.xlsx": "rejected"}
    assert monthly(tmp_path / "m.xlsx")[("山店乡", "2019-07")][0] == 3


def test_prefer_newest_counts_an_identical_newer_copy(tmp_path):
    first = make_form(tmp_path / "in" / "1_首次.xlsx", disclosure=10)
    mid = make_form(tmp_path / "in" / "2_修改.xlsx", disclosure=11)
    last = tmp_path / "in" / "3_最终.xlsx"
    last.write_bytes(first.read_bytes())
    for i, p in enumerate((first, mid, last)):
        os.utime(p, (1_500_000_000 + i, 1_500_000_000 + i))
    merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", "--prefer", "newest")
    assert monthly(tmp_path / "m.xlsx")[("朱堂乡", "2019-08")][0] == 10


def test_master_without_the_source_hash_column_still_merges(tmp_path):
    """A master written before rows carried 来源SHA-256 (or one a clerk trimmed) reads and merges."""
    a = make_form(tmp_path / "in" / "a.xlsx", disclosure=1)
    merge_json(a, "--master", tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    ws = wb["月度数据"]
    assert ws.cell(1, 7).value == "来源SHA-256"
    ws.delete_cols(7)
    wb.save(tmp_path / "m.xlsx")
    again = merge_json(a, "--master", tmp_path / "m.xlsx")
    assert again[0]["result"] == "duplicate"  # found through the file's latest merge instead
    make_form(tmp_path / "in2" / "b.xlsx", unit="尤店乡")
    merge_json(tmp_path / "in2", "--master", tmp_path / "m.xlsx")
    assert set(monthly(tmp_path / "m.xlsx")) == {("朱堂乡", "2019-08"), ("尤店乡", "2019-08")}


def test_inbox_walk_finds_what_rglob_finds(tmp_path):
    """The inbox walk (one scandir a folder) lists the files Path.rglob lists, in the same order,
    resolved the same way; symlinked folders are not entered, symlinked files are."""
    from luoshan_xl.merge import _files_under

    inbox = tmp_path / "收件箱"
    for rel in ["b.xlsx", "a/2.xlsx", "a/10.xlsx", "a/深/c.xls", ".隐藏/d.xlsx", "A.txt"]:
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_bytes(b"x")
    outside = tmp_path / "外面"
    outside.mkdir()
    (outside / "e.xlsx").write_bytes(b"x")
    (inbox / "链接.xlsx").symlink_to(outside / "e.xlsx")
    (inbox / "链接目录").symlink_to(outside, target_is_directory=True)
    (inbox / "自己.xlsx").symlink_to("自己.xlsx")  # a loop: passed over, never fatal
    expected = [(p, p.relative_to(inbox).as_posix(), p.resolve())
                for p in sorted((p for p in inbox.rglob("*") if p.is_file()), key=str)]
    assert _files_under(inbox) == expected
    assert (inbox / "链接.xlsx", "链接.xlsx", outside / "e.xlsx") in expected
    assert not any("链接目录" in rel or "自己" in rel for _, rel, _ in expected)
    make_form(inbox / "表.xlsx")
    results = {o["file"]: o["result"] for o in merge_json(inbox, "--master", tmp_path / "m.xlsx", "--dry-run",
                                                          expect=1)}  # the one-byte files are refused
    assert results["表.xlsx"] == "merged" and not any("自己" in f for f in results)
