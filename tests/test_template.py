"""The submission form written by `luoshan-xl template`: layout, names, validations, protection, print
setup, per-unit pre-filling, help texts, and that the reader reads what the writer wrote."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from conftest import make_form, open_checked, run
from openpyxl.utils.cell import range_boundaries

from luoshan_xl.cells import a1
from luoshan_xl.form import FORM, FORM_VERSION, PLATFORMS
from luoshan_xl.roster import TOWNSHIP, Roster
from luoshan_xl.submission import read_submission
from luoshan_xl.template import BLANK_FORM_NAME

CJK = re.compile(r"[\u4e00-\u9fff]")
SINGLE_FIELDS = ("unit_name", "period", "disclosure_count", "portal_adopted")


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    out = tmp_path_factory.mktemp("blank")
    result = run("template", "--output", out)
    assert BLANK_FORM_NAME in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [BLANK_FORM_NAME]
    return out / BLANK_FORM_NAME


@pytest.fixture(scope="module")
def per_unit_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("per_unit")
    result = run("template", "--output", out, "--period", "2019-08", "--per-unit")
    assert "72" in result.stdout
    return out


@pytest.fixture(scope="module")
def wb(blank):
    return open_checked(blank)


def _sheet_ref(ref: str) -> tuple[str, str]:
    """"'填报表'!$B$4" → ('填报表', 'B4')."""
    sheet, _, rng = ref.lstrip("=").rpartition("!")
    return sheet.strip("'").replace("''", "'"), rng.replace("$", "")


def _cells(rng: str) -> set[str]:
    c1, r1, c2, r2 = range_boundaries(rng)
    return {a1(r - 1, c - 1) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


def _sqref_cells(sqref) -> set[str]:
    out: set[str] = set()
    for part in str(sqref).split():
        out |= _cells(part)
    return out


def _field_cell(key: str) -> str:
    return a1(FORM.field_row(key), FORM.value_col)


def _column_cells(key: str) -> set[str]:
    c = [col.key for col in FORM.table.columns].index(key)
    return {a1(r, c) for r in range(FORM.table_first_row, FORM.table_last_row + 1)}


# -- sheets and meta -----------------------------------------------------------------------------


def test_sheet_names_and_order(wb):
    assert wb.sheetnames == ["填报表", "填报说明", "_表单信息"]
    assert [FORM.sheet, FORM.help_sheet, FORM.meta_sheet] == wb.sheetnames


def test_meta_sheet_hidden_with_form_version(wb):
    meta = wb["_表单信息"]
    assert meta.sheet_state == "hidden"
    assert wb["填报表"].sheet_state == "visible"
    assert wb["填报说明"].sheet_state == "visible"
    assert meta["B1"].value == FORM_VERSION == "luoshan-xl-form-1"
    assert wb.active.title == "填报表"


def test_help_sheet_is_chinese_and_names_the_version(wb):
    texts = [c.value for row in wb["填报说明"].iter_rows() for c in row if isinstance(c.value, str)]
    assert CJK.search(" ".join(texts))
    assert FORM_VERSION in texts
    for f in FORM.fields:
        assert f.label in texts


def test_labels_and_title(wb):
    ws = wb["填报表"]
    assert ws["A1"].value == FORM.title
    for f in FORM.fields:
        assert ws.cell(row=FORM.field_row(f.key) + 1, column=FORM.label_col + 1).value == f.label
    header = [ws.cell(row=FORM.table_header_row + 1, column=c + 1).value for c in range(len(FORM.table.columns))]
    assert header == [col.label for col in FORM.table.columns]


# -- defined names -------------------------------------------------------------------------------


def test_defined_names(wb):
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    expected = FORM.defined_names()
    for key, ref in expected.items():
        assert names.get(key) == ref, key
    # workbook-scoped, not sheet-scoped
    for ws in wb.worksheets:
        assert not set(ws.defined_names) & set(expected)
    for key in SINGLE_FIELDS:
        sheet, rng = _sheet_ref(names[key])
        assert sheet == "填报表"
        assert ":" not in rng and _cells(rng) == {_field_cell(key)}
    sheet, rng = _sheet_ref(names["new_media"])
    assert sheet == "填报表"
    c1, r1, c2, r2 = range_boundaries(rng)
    assert c2 - c1 + 1 == len(FORM.table.columns) == 5
    assert r2 - r1 + 1 == FORM.table.rows
    assert r1 == FORM.table_first_row + 1
    assert names["form_version"] == "'_表单信息'!$B$1"


def test_expected_layout():
    # The cells clerks and the lead talk about; a layout change must be deliberate.
    assert {k: _field_cell(k) for k in SINGLE_FIELDS} == {
        "unit_name": "B4", "period": "B5", "disclosure_count": "B6", "portal_adopted": "B7"}
    assert FORM.defined_names()["new_media"] == "'填报表'!$A$11:$E$30"


# -- data validations ----------------------------------------------------------------------------


def _validations(wb):
    return list(wb["填报表"].data_validations.dataValidation)


def _validation_at(wb, cells: set[str]):
    found = [dv for dv in _validations(wb) if _sqref_cells(dv.sqref) & cells]
    assert len(found) == 1, f"{len(found)} validations touch {sorted(cells)[:3]}…"
    dv = found[0]
    assert _sqref_cells(dv.sqref) == cells, f"sqref {dv.sqref}"
    return dv


def _list_values(wb, formula: str) -> list:
    assert not formula.startswith('"'), "a literal list, expected a range"
    sheet, rng = _sheet_ref(formula)
    assert sheet == "_表单信息"
    c1, r1, c2, r2 = range_boundaries(rng)
    assert c1 == c2
    ws = wb[sheet]
    return [ws.cell(row=r, column=c1).value for r in range(r1, r2 + 1)]


def test_unit_name_is_a_list_of_the_roster(wb, roster):
    dv = _validation_at(wb, {_field_cell("unit_name")})
    assert dv.type == "list"
    assert _list_values(wb, dv.formula1) == [u.name for u in roster.units]


def test_platform_column_is_a_list_of_platforms(wb):
    dv = _validation_at(wb, _column_cells("platform"))
    assert dv.type == "list"
    assert _list_values(wb, dv.formula1) == list(PLATFORMS)


def test_host_column_is_a_unit_list(wb, roster):
    dv = _validation_at(wb, _column_cells("host"))
    assert dv.type == "list"
    assert _list_values(wb, dv.formula1) == [u.name for u in roster.units]


@pytest.mark.parametrize("where", ["disclosure_count", "portal_adopted", "updates"])
def test_counts_are_whole_numbers_at_least_zero(wb, where):
    cells = {_field_cell(where)} if where in SINGLE_FIELDS else _column_cells(where)
    dv = _validation_at(wb, cells)
    assert dv.type == "whole"
    assert dv.operator == "greaterThanOrEqual"
    assert dv.formula1 == "0"
    assert dv.allow_blank  # blank means "no data", so it must be allowed
    assert dv.showErrorMessage and CJK.search(dv.error or "")


def test_last_update_is_a_date(wb):
    dv = _validation_at(wb, _column_cells("last_update"))
    assert dv.type == "date"
    assert dv.allow_blank


def test_period_validation(wb):
    dv = _validation_at(wb, {_field_cell("period")})
    assert dv.type == "textLength"


def test_every_validation_is_on_an_input_cell(wb):
    inputs = {_field_cell(k) for k in SINGLE_FIELDS}
    for col in FORM.table.columns:
        inputs |= _column_cells(col.key)
    for dv in _validations(wb):
        assert _sqref_cells(dv.sqref) <= inputs, str(dv.sqref)
        if dv.prompt:
            assert CJK.search(dv.prompt)


def test_a_roster_of_three_gives_a_list_of_three(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("序号,单位名称,类别,附件1序号,附件2序号,别名\n1,甲乡,乡镇街道,1,1,\n2,乙局,县直单位,1,1,\n"
                        "3,丙局,县直单位,,2,\n", encoding="utf-8-sig")
    run("template", "--output", tmp_path / "D", "--roster", csv_path)
    wb = open_checked(tmp_path / "D" / BLANK_FORM_NAME)
    dv = _validation_at(wb, {_field_cell("unit_name")})
    assert _list_values(wb, dv.formula1) == ["甲乡", "乙局", "丙局"]


# -- protection and print setup --------------------------------------------------------------------


def test_protection(wb):
    ws = wb["填报表"]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    inputs = {_field_cell(k) for k in SINGLE_FIELDS}
    for col in FORM.table.columns:
        inputs |= _column_cells(col.key)
    for ref in sorted(inputs):
        assert ws[ref].protection.locked is False, ref
    for ref in ("A1", "A4", "A5", "A6", "A7", a1(FORM.table_header_row, 0), a1(FORM.table_header_row, 4)):
        assert ws[ref].protection.locked is True, ref


def test_print_setup(wb):
    ws = wb["填报表"]
    ps = ws.page_setup
    assert int(ps.paperSize) == 9
    assert ps.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # fitToWidth's OOXML default is 1, so a writer may leave it out
    assert int(ps.fitToWidth if ps.fitToWidth is not None else 1) == 1
    assert int(ps.fitToHeight) == 0


# -- period and per-unit -----------------------------------------------------------------------------


def test_blank_form_has_no_unit_and_no_period(wb):
    ws = wb["填报表"]
    for key in SINGLE_FIELDS:
        assert ws[_field_cell(key)].value is None, key


def test_per_unit_files(per_unit_dir, roster):
    expected = {f"2019-08_{u.name}.xlsx" for u in roster.units} | {BLANK_FORM_NAME}
    assert {p.name for p in per_unit_dir.iterdir()} == expected
    assert (per_unit_dir / "2019-08_朱堂乡.xlsx").exists()
    for unit in roster.units:
        wb = open_checked(per_unit_dir / f"2019-08_{unit.name}.xlsx")
        ws = wb["填报表"]
        assert ws[_field_cell("unit_name")].value == unit.name
        assert ws[_field_cell("period")].value == "2019-08"
        assert ws[_field_cell("disclosure_count")].value is None
        assert ws[_field_cell("portal_adopted")].value is None
        assert ws[_field_cell("period")].number_format == "@"


def test_blank_form_with_period_has_the_period(per_unit_dir):
    ws = open_checked(per_unit_dir / BLANK_FORM_NAME)["填报表"]
    assert ws[_field_cell("unit_name")].value is None
    assert ws[_field_cell("period")].value == "2019-08"


ONE_UNIT_CSV = "序号,单位名称,类别,附件1序号,附件2序号,别名\n1,朱堂乡,乡镇街道,1,1,\n"


def test_period_is_normalised(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text(ONE_UNIT_CSV, encoding="utf-8-sig")
    out = tmp_path / "D"
    run("template", "--output", out, "--period", "2019年8月", "--per-unit", "--roster", roster)
    assert sorted(p.name for p in out.iterdir()) == ["2019-08_朱堂乡.xlsx", BLANK_FORM_NAME]
    ws = open_checked(out / "2019-08_朱堂乡.xlsx")["填报表"]
    assert ws[_field_cell("period")].value == "2019-08"


def test_per_unit_file_names_are_safe_file_names(tmp_path):
    """A unit name may hold characters a Windows file name cannot (/ \\ : * ? " < > |): each unit still gets
    one file directly in the output folder, and its form holds the exact unit name."""
    names = ["科技局/科协", "a:b?局", "工会*"]
    roster = tmp_path / "r.csv"
    roster.write_text("序号,单位名称,类别,附件1序号,附件2序号,别名\n"
                      + "".join(f"{i},{n},县直单位,{i},{i},\n" for i, n in enumerate(names, start=1)),
                      encoding="utf-8-sig")
    out = tmp_path / "D"
    run("template", "--output", out, "--period", "2019-08", "--per-unit", "--roster", roster)
    files = sorted(out.rglob("*.xlsx"))
    assert all(p.parent == out for p in files), [str(p.relative_to(out)) for p in files]
    forms = [p for p in files if p.name != BLANK_FORM_NAME]
    assert len(forms) == len(names)
    for p in forms:
        assert not set(p.name) & set('\\/:*?"<>|'), p.name
        assert p.name.startswith("2019-08_")
    got = {open_checked(p)["填报表"][_field_cell("unit_name")].value for p in forms}
    assert got == set(names)


def test_per_unit_without_period_is_a_usage_error(tmp_path):
    result = run("template", "--output", tmp_path / "D", "--per-unit", expect=2)
    assert "--period" in result.stderr
    assert CJK.search(result.stderr)
    assert not (tmp_path / "D").exists()


def test_bad_period_is_a_usage_error(tmp_path):
    result = run("template", "--output", tmp_path / "D", "--period", "2019-13", expect=2)
    assert CJK.search(result.stderr)


# -- help ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["template"], ["roster"], ["merge"], ["rank"]],
                         ids=["main", "template", "roster", "merge", "rank"])
def test_help(args):
    for flag in ("--help", "-h"):
        result = run(*args, flag)
        assert CJK.search(result.stdout)
        assert "示例" in result.stdout


def test_help_imports_neither_pandas_nor_openpyxl():
    code = (
        "import sys\n"
        "from luoshan_xl.cli import main\n"
        "sys.argv = ['luoshan-xl', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', 'pandas' in sys.modules, 'openpyxl' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         encoding="utf-8")
    assert out.returncode == 0, out.stderr
    assert "示例" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "MODULES False False"


# -- writer and reader agree -----------------------------------------------------------------------


ACCOUNTS = [
    ["罗山朱堂发布", "微信公众号", "朱堂乡", dt.date(2019, 8, 26), 15],
    ["朱堂乡微博", "微博", None, dt.date(2019, 8, 31), 0],
    ["县城管抖音", "抖音", "城市管理局", dt.date(2019, 8, 1), 30],
]


@pytest.mark.parametrize("disclosure, portal", [(12, 3), (0, None), (None, 0), (None, None)])
def test_read_back_a_filled_form(tmp_path, roster, disclosure, portal):
    path = make_form(tmp_path / "朱堂乡.xlsx", disclosure=disclosure, portal=portal, accounts=ACCOUNTS)
    open_checked(path)
    sub = read_submission(path, "朱堂乡.xlsx", roster)
    assert sub.problems == []
    assert sub.kind == "form"
    assert len(sub.records) == 1
    rec = sub.records[0]
    assert (rec.period, rec.unit, rec.category, rec.disclosure, rec.portal, rec.source) == (
        "2019-08", "朱堂乡", TOWNSHIP, disclosure, portal, "朱堂乡.xlsx")
    got = [(a.period, a.name, a.platform, a.host, a.last_update, a.updates, a.reporter) for a in sub.accounts]
    assert got == [
        ("2019-08", "罗山朱堂发布", "微信公众号", "朱堂乡", dt.date(2019, 8, 26), 15, "朱堂乡"),
        ("2019-08", "朱堂乡微博", "微博", "朱堂乡", dt.date(2019, 8, 31), 0, "朱堂乡"),
        ("2019-08", "县城管抖音", "抖音", "城市管理局", dt.date(2019, 8, 1), 30, "朱堂乡"),
    ]


def test_read_back_a_per_unit_form_without_figures(per_unit_dir, roster):
    sub = read_submission(per_unit_dir / "2019-08_城市管理局.xlsx", "x.xlsx", roster, expected_period="2019-08")
    assert sub.problems == []
    assert [(r.unit, r.period, r.disclosure, r.portal) for r in sub.records] == [
        ("城市管理局", "2019-08", None, None)]
    assert sub.accounts == []


def test_read_back_with_a_custom_roster(tmp_path):
    roster = Roster.from_rows([["序号", "单位名称", "类别", "附件1序号", "附件2序号", "别名"],
                               ["1", "甲乡", "乡镇街道", "1", "1", "甲"]], [], source="t")
    path = make_form(tmp_path / "f.xlsx", unit="甲乡", roster=roster, accounts=[["甲乡发布", "微信", "甲", "8月5日", 9]])
    sub = read_submission(path, "f.xlsx", roster)
    assert sub.problems == []
    assert sub.records[0].unit == "甲乡"
    assert [(a.name, a.platform, a.host, a.last_update, a.updates) for a in sub.accounts] == [
        ("甲乡发布", "微信公众号", "甲乡", dt.date(2019, 8, 5), 9)]
