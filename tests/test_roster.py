"""The roster (单位名册): folding typed names, matching, suggestions, the default roster's facts,
export/reload, and the errors a clerk sees for a malformed roster file."""

from __future__ import annotations

import csv
import re

import openpyxl
import pytest
from conftest import SEED, open_checked, run

from luoshan_xl.roster import (
    ACCOUNT_COLUMNS,
    ACCOUNTS_SHEET,
    COUNTY,
    TOWNSHIP,
    UNIT_COLUMNS,
    UNITS_SHEET,
    Roster,
    fold,
)

CJK = re.compile(r"[\u4e00-\u9fff]")

# The seed (the county's real 2019-08 notice) spells two units differently from the roster.
SEED_SPELLINGS = {"住房城乡建设局": "住房和城乡建设局", "政务大数据局": "政务服务大数据局"}


# -- fold ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, folded",
    [
        # NFKC: full-width letters, digits and brackets become half-width
        ("ＡＢＣ局", "ABC局"),
        ("第１２中学", "第12中学"),
        ("公安局（交警大队）", "公安局(交警大队)"),
        ("公安局［一］", "公安局[一]"),
        # spaces of every kind, anywhere
        ("朱堂 乡", "朱堂乡"),
        ("  朱堂乡  ", "朱堂乡"),
        ("朱\u3000堂\u3000乡", "朱堂乡"),
        ("\u3000朱堂乡\u3000", "朱堂乡"),
        ("朱堂\t乡", "朱堂乡"),
        ("\t朱堂乡\n", "朱堂乡"),
        ("朱\u00a0堂乡", "朱堂乡"),
        # prefixes, alone and repeated
        ("罗山县朱堂乡", "朱堂乡"),
        ("罗山朱堂乡", "朱堂乡"),
        ("县财政局", "财政局"),
        ("罗山县县城市管理局", "城市管理局"),
        ("县县财政局", "财政局"),
        ("罗山县罗山县财政局", "财政局"),
        ("罗山 县 财政局", "财政局"),
        ("罗山县\u3000财政局", "财政局"),
        # all rules together
        ("罗山县\u3000县　城市管理局（ＣＧ）", "城市管理局(CG)"),
        # nothing to fold
        ("财政局", "财政局"),
        ("国网罗山县供电公司", "国网罗山县供电公司"),
    ],
)
def test_fold(typed, folded):
    assert fold(typed) == folded


@pytest.mark.parametrize("name", ["县", "罗山", "罗山县", "县县", "罗山县县", " 县 ", "\u3000罗山\u3000"])
def test_fold_never_strips_a_name_to_nothing(name):
    assert fold(name) != ""


def test_fold_keeps_a_lone_prefix_word():
    assert fold("县") == "县"
    assert fold("罗山") == "罗山"


def test_fold_blank_and_non_text():
    assert fold(None) == ""
    assert fold("") == ""
    assert fold("  \u3000\t") == ""
    assert fold(12) == "12"


# -- match ---------------------------------------------------------------------------------------


def test_match_every_canonical_name(roster):
    for unit in roster.units:
        assert roster.match(unit.name) is unit, unit.name


def test_match_every_alias_of_the_default_roster(roster):
    checked = 0
    for unit in roster.units:
        for alias in unit.aliases:
            assert roster.match(alias) is unit, f"{alias} → {roster.match(alias)}, expected {unit.name}"
            checked += 1
    # make sure we iterated over every alias the shipped CSV lists
    from importlib import resources

    text = resources.files("luoshan_xl").joinpath("data/roster.csv").read_text(encoding="utf-8")
    in_csv = sum(len([a for a in row["别名"].split("、") if a]) for row in csv.DictReader(text.splitlines()))
    assert checked == in_csv > 30


def test_match_aliases_and_names_through_fold(roster):
    for unit in roster.units:
        for key in (unit.name, *unit.aliases):
            assert roster.match(f"罗山县\u3000{key} ") is unit, key
            assert roster.match(f"县{key}") is unit, key


@pytest.mark.parametrize("typed, canonical", [
    *SEED_SPELLINGS.items(),
    ("县城市管理局", "城市管理局"),
    ("罗山县县城市管理局", "城市管理局"),
    ("城管局", "城市管理局"),
    ("发改委", "发展改革委"),
    ("卫健委", "卫生健康委员会"),
    ("罗山县朱堂乡", "朱堂乡"),
    ("朱堂　乡", "朱堂乡"),
])
def test_match_known_spellings(roster, typed, canonical):
    unit = roster.match(typed)
    assert unit is not None and unit.name == canonical


@pytest.mark.parametrize("typed", ["", None, "  ", "小红书", "县", "猪堂乡", "城管"])
def test_match_unknown_is_none(roster, typed):
    assert roster.match(typed) is None


# -- suggest / message ---------------------------------------------------------------------------


def test_suggest_typo_gives_the_unit_first(roster):
    hints = roster.suggest("猪堂乡")
    assert hints and hints[0] == "朱堂乡"


def test_suggest_abbreviation(roster):
    assert "城市管理局" in roster.suggest("城管")


@pytest.mark.parametrize("typed", ["abcdefg", "小红书", "", "   "])
def test_suggest_unrelated_is_empty(roster, typed):
    assert roster.suggest(typed) == []


def test_suggest_at_most_n(roster):
    assert len(roster.suggest("局", n=3)) <= 3
    assert len(roster.suggest("局", n=1)) <= 1


def test_unknown_unit_message_exact(roster):
    assert roster.unknown_unit_message("猪堂乡") == (
        "单位名称“猪堂乡”不在单位名册中，是否是：朱堂乡？"
        "请按县政府办下发的单位名册填写规范名称（报送表中可从下拉列表选择）。"
    )
    assert roster.unknown_unit_message("abcdefg", "主办单位") == (
        "主办单位“abcdefg”不在单位名册中。请按县政府办下发的单位名册填写规范名称（报送表中可从下拉列表选择）。"
    )


# -- the default roster's facts --------------------------------------------------------------------


def test_default_roster_categories(roster):
    assert len(roster.units) == 72
    assert sum(u.category == TOWNSHIP for u in roster.units) == 20
    assert sum(u.category == COUNTY for u in roster.units) == 52
    assert all(u.is_township == (u.category == TOWNSHIP) for u in roster.units)
    assert len({u.name for u in roster.units}) == 72
    assert [u.order for u in roster.units] == sorted(u.order for u in roster.units)


@pytest.mark.parametrize("name", ["法院", "残联", "科技局", "退役军人事务局", "医疗保障局", "市场发展服务中心"])
def test_portal_only_units(roster, name):
    unit = roster.by_name[name]
    assert unit.portal_order is not None
    assert unit.disclosure_order is None
    assert unit in roster.taking_part("portal")
    assert unit not in roster.taking_part("disclosure")


def test_disclosure_only_unit(roster):
    unit = roster.by_name["机关事务管理局"]
    assert unit.disclosure_order is not None
    assert unit.portal_order is None
    assert unit in roster.taking_part("disclosure")
    assert unit not in roster.taking_part("portal")


def test_only_those_units_skip_an_assessment(roster):
    no_disclosure = {u.name for u in roster.units if u.disclosure_order is None}
    no_portal = {u.name for u in roster.units if u.portal_order is None}
    assert no_disclosure == {"法院", "残联", "科技局", "退役军人事务局", "医疗保障局", "市场发展服务中心"}
    assert no_portal == {"机关事务管理局"}


def _seed_names(filename: str) -> list[str]:
    with open(SEED / filename, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return [SEED_SPELLINGS.get(r["单位名称"], r["单位名称"]) for r in rows]


def test_disclosure_order_per_category_matches_the_seed(roster):
    units = roster.taking_part("disclosure")
    assert [u.name for u in units if u.is_township] == _seed_names("a1_townships.csv")
    assert [u.name for u in units if not u.is_township] == _seed_names("a1_departments.csv")


def test_taking_part_disclosure_is_the_seeds_annex1_order(roster):
    expected = _seed_names("a1_townships.csv") + _seed_names("a1_departments.csv")
    assert [u.name for u in roster.taking_part("disclosure")] == expected


# -- export and reload ---------------------------------------------------------------------------


def _facts(r: Roster):
    return [(u.name, u.category, u.order, u.disclosure_order, u.portal_order, u.aliases) for u in r.units]


def test_export_reload_round_trip(tmp_path, roster):
    out = tmp_path / "单位名册.xlsx"
    result = run("roster", "--output", out)
    assert "72" in result.stdout
    loaded = Roster.load(out)
    assert _facts(loaded) == _facts(roster)
    assert loaded.units == roster.units
    assert loaded.registered == []
    assert [u.name for u in loaded.taking_part("portal")] == [u.name for u in roster.taking_part("portal")]


def test_exported_file_layout(tmp_path, roster):
    out = tmp_path / "名册.xlsx"
    run("roster", "--output", out)
    wb = open_checked(out)
    assert wb.sheetnames == [UNITS_SHEET, ACCOUNTS_SHEET, "说明"]
    ws = wb[UNITS_SHEET]
    assert [c.value for c in ws[1]] == list(UNIT_COLUMNS)
    assert list(UNIT_COLUMNS) == ["序号", "单位名称", "类别", "附件1序号", "附件2序号", "别名"]
    assert [c.value for c in wb[ACCOUNTS_SHEET][1]] == list(ACCOUNT_COLUMNS)
    names = [ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)]
    assert names == [u.name for u in roster.units]
    assert CJK.search(str(wb["说明"]["A1"].value))


def test_export_a_custom_roster_round_trips(tmp_path):
    src = _write_roster(tmp_path / "src.xlsx", accounts=[list(ACCOUNT_COLUMNS), ["罗山发布", "微信公众号", "宝城街道"]])
    out = tmp_path / "out.xlsx"
    run("roster", "--roster", src, "--output", out)
    a, b = Roster.load(src), Roster.load(out)
    assert _facts(a) == _facts(b)
    assert b.registered == a.registered
    assert [(r.name, r.platform, r.host) for r in b.registered] == [("罗山发布", "微信公众号", "宝城街道")]


# -- malformed roster files ----------------------------------------------------------------------

GOOD_ROWS = [
    list(UNIT_COLUMNS),
    [1, "宝城街道", "乡镇街道", 1, 1, None],
    [2, "庙仙乡", "乡镇街道", 2, 2, "庙仙"],
    [3, "财政局", "县直单位", 1, 1, "财政"],
]


def _write_roster(path, rows=None, accounts=None, units_sheet: str = UNITS_SHEET):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = units_sheet
    for row in rows if rows is not None else GOOD_ROWS:
        ws.append(row)
    if accounts is not None:
        ws2 = wb.create_sheet(ACCOUNTS_SHEET)
        for row in accounts:
            ws2.append(row)
    wb.save(path)
    return path


def _rows(**changes):
    """GOOD_ROWS with cells replaced: changes like r3_类别="乡镇" (Excel row 3, column 类别)."""
    rows = [list(r) for r in GOOD_ROWS]
    for key, value in changes.items():
        r, col = key.split("_", 1)
        rows[int(r[1:]) - 1][UNIT_COLUMNS.index(col)] = value
    return rows


def test_good_roster_file_loads(tmp_path):
    r = Roster.load(_write_roster(tmp_path / "ok.xlsx"))
    assert [u.name for u in r.units] == ["宝城街道", "庙仙乡", "财政局"]
    assert r.match("罗山县庙仙") is r.by_name["庙仙乡"]
    assert r.source == "ok.xlsx"


def _template_with(tmp_path, bad):
    out = tmp_path / "D"
    result = run("template", "--output", out, "--roster", bad, expect=1)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("错误：")
    assert CJK.search(result.stderr)
    assert not re.search(r"\b(Error|Exception|Traceback|line \d+)\b", result.stderr)
    assert not out.exists() or not any(out.iterdir())
    return result.stderr.splitlines()


@pytest.mark.parametrize("rows, line", [
    (_rows(r3_类别="乡镇"), "  - 第3行（庙仙乡）：类别“乡镇”无效，应为“乡镇街道”或“县直单位”"),
    (_rows(r3_单位名称="宝城街道"), "  - 第3行（宝城街道）：名称或别名“宝城街道”与第2行重复"),
    (_rows(r4_别名="庙仙"), "  - 第4行（财政局）：名称或别名“庙仙”与第3行重复"),
    (_rows(r3_序号="二"), "  - 第3行（庙仙乡）：序号“二”不是正整数"),
    (_rows(r3_附件1序号=1.5), "  - 第3行（庙仙乡）：附件1序号“1.5”不是正整数"),
    (_rows(r3_单位名称=None), "  - 第3行：单位名称为空"),
    ([["序号", "单位名称", "附件1序号", "附件2序号", "别名"], [1, "宝城街道", 1, 1, None]],
     "  - 第1行缺少列“类别”"),
], ids=["bad_category", "duplicate_name", "duplicate_alias", "non_integer_order", "fraction_order",
        "empty_name", "missing_column"])
def test_malformed_roster_exact_line(tmp_path, rows, line):
    bad = _write_roster(tmp_path / "bad.xlsx", rows)
    lines = _template_with(tmp_path, bad)
    assert lines[0] == "错误：单位名册“bad.xlsx”有错误，请修改后重试："
    assert line in lines


def test_malformed_roster_lists_every_problem(tmp_path):
    bad = _write_roster(tmp_path / "bad.xlsx", _rows(r2_类别="街道", r4_序号="x"))
    lines = _template_with(tmp_path, bad)
    assert any(ln.startswith("  - 第2行") for ln in lines)
    assert any(ln.startswith("  - 第4行") for ln in lines)


def test_malformed_roster_row_numbers_count_blank_rows(tmp_path):
    """A clerk's roster often has a blank row; "第N行" must still be the row Excel shows."""
    rows = [list(UNIT_COLUMNS), [1, "宝城街道", "乡镇街道", 1, 1, None], [None] * 6, [2, "庙仙乡", "乡镇", 2, 2, None]]
    bad = _write_roster(tmp_path / "bad.xlsx", rows)
    lines = _template_with(tmp_path, bad)
    assert "  - 第4行（庙仙乡）：类别“乡镇”无效，应为“乡镇街道”或“县直单位”" in lines


def test_registered_accounts_row_numbers_count_blank_rows(tmp_path):
    accounts = [list(ACCOUNT_COLUMNS), ["罗山发布", "微博", "宝城街道"], [None, None, None], [None, "微博", "财政局"]]
    bad = _write_roster(tmp_path / "bad.xlsx", accounts=accounts)
    lines = _template_with(tmp_path, bad)
    assert "  - “已报备新媒体”第4行：账号名称为空" in lines


def test_alias_that_folds_to_its_own_name_is_not_a_duplicate():
    """“县城市管理局” as an alias of 城市管理局 is redundant, not a clash with another row."""
    r = Roster.from_rows([list(UNIT_COLUMNS), ["1", "城市管理局", "县直单位", "1", "1", "县城市管理局、城管局"]], [],
                         source="t")
    assert r.match("城管局") is r.by_name["城市管理局"]
    assert r.match("罗山县城市管理局") is r.by_name["城市管理局"]


def test_roster_without_units_sheet(tmp_path):
    bad = _write_roster(tmp_path / "bad.xlsx", units_sheet="Sheet1")
    lines = _template_with(tmp_path, bad)
    assert "没有“单位名册”工作表" in lines[0]
    assert "bad.xlsx" in lines[0]


def test_registered_accounts_sheet_missing_a_column(tmp_path):
    bad = _write_roster(tmp_path / "bad.xlsx", accounts=[["账号名称", "平台类型"], ["罗山发布", "微信公众号"]])
    lines = _template_with(tmp_path, bad)
    assert "  - “已报备新媒体”工作表第1行缺少列：主办单位" in lines


def test_registered_accounts_row_without_name(tmp_path):
    bad = _write_roster(tmp_path / "bad.xlsx",
                        accounts=[list(ACCOUNT_COLUMNS), ["罗山发布", "微博", "宝城街道"], [None, "微博", "财政局"]])
    lines = _template_with(tmp_path, bad)
    assert any("第3行" in ln and "账号名称为空" in ln for ln in lines)


def test_roster_path_that_does_not_exist(tmp_path):
    result = run("template", "--output", tmp_path / "D", "--roster", tmp_path / "没有.xlsx", expect=2)
    assert "Traceback" not in result.stderr
    assert "找不到单位名册文件" in result.stderr


# -- CSV rosters -----------------------------------------------------------------------------------


def _write_csv(path, rows, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(["" if c is None else c for c in r] for r in rows)
    return path


def test_csv_roster_with_bom_loads(tmp_path):
    path = _write_csv(tmp_path / "名册.csv", GOOD_ROWS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    r = Roster.load(path)
    assert [u.name for u in r.units] == ["宝城街道", "庙仙乡", "财政局"]
    assert [u.category for u in r.units] == [TOWNSHIP, TOWNSHIP, COUNTY]
    assert r.by_name["庙仙乡"].aliases == ("庙仙",)
    assert r.by_name["宝城街道"].aliases == ()


def test_csv_roster_through_the_cli(tmp_path):
    path = _write_csv(tmp_path / "名册.csv", GOOD_ROWS)
    out = tmp_path / "D"
    run("template", "--output", out, "--period", "2019-08", "--per-unit", "--roster", path)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["报送表_空白.xlsx", "2019-08_宝城街道.xlsx", "2019-08_庙仙乡.xlsx", "2019-08_财政局.xlsx"])


def test_the_default_roster_equals_the_shipped_csv_loaded_as_a_file(tmp_path, roster):
    from importlib import resources

    text = resources.files("luoshan_xl").joinpath("data/roster.csv").read_text(encoding="utf-8")
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8-sig")
    assert Roster.load(path).units == roster.units
    assert Roster.load(None).units == roster.units


@pytest.mark.parametrize("command", [["rank", "--period", "2019-08", "--output", "r.xlsx"], ["status", "--period", "2019-08"]])
def test_a_roster_that_is_no_workbook_is_refused_in_chinese(tmp_path, command):
    (tmp_path / "名册.xlsx").write_bytes(b"junk, not a workbook")
    from luoshan_xl.master import MasterWorkbook

    master = tmp_path / "m.xlsx"
    MasterWorkbook(master).save()
    args = [a if a != "r.xlsx" else tmp_path / a for a in command]
    result = run(*args, "--master", master, "--roster", tmp_path / "名册.xlsx", expect=1)
    assert result.stderr == ("错误：单位名册“名册.xlsx”无法读取：它不是 Excel 工作簿，或文件已损坏。"
                             "请用 WPS 或 Excel 打开后另存为 .xlsx，或用 luoshan-xl roster --output 重新导出名册后修改，"
                             "也可以用 .csv 名册。\n")
    assert "程序内部出错" not in result.output
