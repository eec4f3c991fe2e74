"""The benchmark script runs end to end at N=200 and its outputs agree (no timings asserted)."""

from __future__ import annotations

import sys

import openpyxl
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench  # noqa: E402


def test_benchmark_smoke(tmp_path, capsys):
    result = bench.main(["--n", "200", "--naive-sample", "20", "--help-repeat", "1", "--repeat", "2",
                         "--work", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["merged"] == 200 and result["rank_exit"] == 0
    assert set(result["ratios"]) == {"merge/naive", "merge/floor", "rank/read", "rank/read2", "help/click"}
    assert "ratios: merge/naive = " in out
    # the merged master holds exactly the figures the generator put into the forms
    ws = openpyxl.load_workbook(tmp_path / "merge" / "总表.xlsx", read_only=True)["月度数据"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert {r[1]: (r[3], r[4]) for r in rows} == result["expected"]
    assert openpyxl.load_workbook(tmp_path / "rank.xlsx")["附件1"]["A7"].value.startswith("测试")
