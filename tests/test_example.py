"""The seed's August 2019 notice, reproduced end to end from the forms in examples/.

The expected tables in tests/data/seed-2019-08/ were transcribed from the seed notice
(../shared/seed/), not from our output.
"""

from __future__ import annotations

import csv
import importlib.util
import re

import pytest
from conftest import EXAMPLE, ROOT, SEED, open_checked, run

from luoshan_xl.roster import Roster


def seed(name: str) -> list[list[str]]:
    with open(SEED / name, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    merged = run("merge", EXAMPLE, "--master", out / "总表.xlsx")
    assert "共 73 个文件：已合并 73。" in merged.stdout
    assert "2019-08 名册中的单位已全部报送。" in merged.stdout
    run("rank", "--master", out / "总表.xlsx", "--period", "2019-08", "--output", out / "通报附件.xlsx")
    return open_checked(out / "通报附件.xlsx")


def cell_text(value) -> str:
    """A report cell as the printed page shows it (numbers without .0, blanks empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def block(ws, caption: str | None, header: list[str]) -> list[list[str]]:
    """The header row and data rows of the table under `caption` (or the sheet's only table)."""
    rows = [[cell_text(c) for c in r] for r in ws.iter_rows(values_only=True)]
    start = 0
    if caption:
        start = next(i for i, r in enumerate(rows) if r[0] == caption)
    h = next(i for i in range(start, len(rows)) if rows[i][: len(header)] == header)
    out = [rows[h][: len(header)]]
    for r in rows[h + 1:]:
        if not r[0] or r[0].startswith("（") or r[0].startswith("注："):
            break
        out.append(r[: len(header)])
    return out


ROSTER = Roster.default()


def same_unit(a: str, b: str) -> bool:
    return ROSTER.match(a) is not None and ROSTER.match(a) == ROSTER.match(b)


@pytest.mark.parametrize("sheet, caption, seed_file", [
    ("附件1", "（一）各乡镇（街道）政府信息公开发布情况", "a1_townships.csv"),
    ("附件1", "（二）各相关部门政府信息公开发布情况", "a1_departments.csv"),
    ("附件2", "（一）各乡镇（街道）信息采用情况", "a2_townships.csv"),
    ("附件2", "（二）县直单位信息采用情况", "a2_departments.csv"),
])
def test_ranked_tables_match_the_seed_cell_by_cell(report, sheet, caption, seed_file):
    expected = seed(seed_file)
    got = block(report[sheet], caption, expected[0])
    assert got[0] == expected[0]  # the seed's exact header texts
    assert len(got) == len(expected)
    for g, e in zip(got[1:], expected[1:], strict=True):
        # the seed spells two units two ways (住房城乡建设局 / 住房和城乡建设局…): compare through the roster
        assert g[0] == e[0] or same_unit(g[0], e[0]), (g, e)
        assert g[1:] == e[1:], (g, e)


def test_eleven_units_blank_at_the_bottom_of_a2(report):
    got = block(report["附件2"], "（二）县直单位信息采用情况", seed("a2_departments.csv")[0])
    blank = [r[0] for r in got[1:] if r[1:] == ["", "", ""]]
    assert blank == ["烟草局", "公路局", "供销社", "移民办", "住房公积金管理中心", "气象局", "公安局", "司法局",
                     "人防办", "扶贫开发办", "盐业局"]


def test_attachment3_matches_the_seed(report):
    ws = report["附件3"]
    expected = seed("a3_accounts.csv")
    rows = list(ws.iter_rows(min_row=5, max_row=5 + len(expected) - 1))
    assert [c.value for c in rows[0]] == expected[0]
    for row, e in zip(rows[1:], expected[1:], strict=True):
        name, platform, host, date, freq, remark = row
        shown_date = f"{date.value.month}月{date.value.day}日"
        assert date.number_format == 'm"月"d"日"'
        assert freq.number_format == '0"条/月"'
        shown_freq = f"{cell_text(freq.value)}条/月"
        assert [name.value, platform.value, host.value, shown_date, shown_freq, remark.value or ""] == e


def test_titles_match_the_seed(report):
    titles = {name: report[name]["A3"].value.replace("\n", "") for name in ("附件1", "附件2", "附件3")}
    assert titles == {
        "附件1": "2019年1-8月份全县政府信息公开发布情况统计表",
        "附件2": "2019年1-8月份县政府门户网站信息采用情况统计表",
        "附件3": "2019年8月份全县政务新媒体信息更新情况统计表",
    }
    text = (ROOT.parent / "shared" / "seed" / "000_336812393eed653e.txt")
    if text.exists():  # the seed itself, where the checkout sits beside shared/
        flat = re.sub(r"\s+", "", text.read_text(encoding="utf-8"))
        for t in titles.values():
            assert t in flat


def _load_make_forms():
    spec = importlib.util.spec_from_file_location("make_forms", ROOT / "examples" / "make_forms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_example_forms_are_up_to_date(tmp_path):
    files = _load_make_forms().build(tmp_path)
    committed = sorted(p.name for p in EXAMPLE.glob("*.xlsx"))
    assert sorted(p.name for p in files) == committed
    stale = [p.name for p in files if p.read_bytes() != (EXAMPLE / p.name).read_bytes()]
    assert not stale, f"run `python examples/make_forms.py`: out of date: {stale[:5]}"


def test_committed_workbook_templates_are_up_to_date(tmp_path):
    run("template", "--output", tmp_path)
    run("roster", "--output", tmp_path / "单位名册.xlsx")
    for name in ("报送表_空白.xlsx", "单位名册.xlsx"):
        assert (tmp_path / name).read_bytes() == (ROOT / "workbook_templates" / name).read_bytes(), (
            f"workbook_templates/{name} is out of date: run `make templates`")
