"""The pure computations: year-to-date totals, dense ranks, ordering, thresholds, account flags."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from luoshan_xl import ranking


def frame(rows) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["period", "unit", "disclosure", "portal"])
    for c in ("disclosure", "portal"):
        f[c] = f[c].astype("Float64")
    return f


def test_dense_rank_as_the_seed():
    ranks = ranking.dense_rank(pd.Series([144, 128, 128, 124, None], dtype="Float64"))
    assert ranks.tolist() == [1, 2, 2, 3, pd.NA]


def test_ytd_sums_january_through_period_only():
    f = frame([("2018-12", "甲", 100, None), ("2019-01", "甲", 1, None), ("2019-08", "甲", 2, None),
               ("2019-09", "甲", 50, None), ("2019-03", "乙", None, None)])
    totals = ranking.ytd(f, "2019-08", "disclosure")
    assert totals["甲"] == 3
    assert pd.isna(totals["乙"])  # all months blank: no data, not 0


def test_zero_is_ranked_and_blank_is_not():
    f = frame([("2019-08", "甲", 0, None), ("2019-08", "乙", None, None), ("2019-08", "丙", 5, None)])
    table = ranking.ranked_table(["甲", "乙", "丙"], ranking.ytd(f, "2019-08", "disclosure"))
    assert table["unit"].tolist() == ["丙", "甲", "乙"]
    assert table["rank"].tolist() == [1, 2, pd.NA]
    assert table["has_data"].tolist() == [True, True, False]


def test_ties_in_roster_order_and_no_data_last_in_roster_order():
    figures = pd.Series({"丁": 7.0, "乙": 7.0, "甲": 9.0})
    table = ranking.ranked_table(["甲", "乙", "丙", "丁", "戊"], figures)
    assert table["unit"].tolist() == ["甲", "乙", "丁", "丙", "戊"]
    assert table["rank"].tolist() == [1, 2, 2, pd.NA, pd.NA]


def test_month_cell_blank_when_unit_missed_the_month():
    f = frame([("2019-07", "甲", None, 4), ("2019-08", "乙", None, 1), ("2019-07", "乙", None, 1)])
    month = f[f["period"] == "2019-08"].set_index("unit")["portal"]
    table = ranking.ranked_table(["甲", "乙"], ranking.ytd(f, "2019-08", "portal"), {"month": month})
    assert table["unit"].tolist() == ["甲", "乙"]
    assert table["value"].tolist() == [4, 2]
    assert pd.isna(table["month"][0]) and table["month"][1] == 1


@pytest.mark.parametrize("period, weekly, expected", [
    ("2019-08", 3, 14),  # 31 days: 3 × 31 / 7 = 13.3 → 14
    ("2019-02", 3, 12),  # 28 days: exactly 12
    ("2020-02", 3, 13),  # 29 days: 12.4 → 13
    ("2019-09", 3, 13),  # 30 days: 12.9 → 13
    ("2019-08", 1, 5),
])
def test_monthly_threshold(period, weekly, expected):
    assert ranking.monthly_threshold(period, weekly) == expected


def test_previous_period_wraps_the_year():
    assert ranking.previous_period("2019-01") == "2018-12"
    assert ranking.previous_period("2019-08") == "2019-07"


def accounts(rows) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["period", "name", "platform", "host", "last_update", "updates"])
    f["updates"] = f["updates"].astype("Float64")
    f["row"] = range(len(f))
    return f


def test_account_flags_fail_close_and_order():
    acc = accounts([
        ("2019-07", "甲号", "抖音", "乙局", None, 2),      # 不合格 in July (threshold 14)
        ("2019-07", "丙号", "微博", "甲局", None, 20),
        ("2019-08", "好号", "微博", "甲局", dt.date(2019, 8, 3), 30),
        ("2019-08", "丙号", "微博", "甲局", dt.date(2019, 8, 3), 13),  # 不合格 first time
        ("2019-08", "甲 号", "抖音", "乙局", dt.date(2019, 8, 3), 5),   # twice in a row (name folded)
        ("2019-08", "刚好", "抖音", "乙局", dt.date(2019, 8, 3), 14),
    ])
    out = ranking.account_flags(acc, "2019-08", 3, host_order={"甲局": 1, "乙局": 2})
    assert out["name"].tolist() == ["甲 号", "丙号", "好号", "刚好"]
    assert out["remark"].tolist() == [ranking.CLOSE, ranking.FAIL, "", ""]
    assert ranking.CLOSE == "连续2次不合格，纳入强制关停范围"


def test_account_with_blank_updates_fails():
    out = ranking.account_flags(accounts([("2019-08", "空号", "抖音", "甲局", None, None)]), "2019-08")
    assert out["remark"].tolist() == [ranking.FAIL]


def test_unregistered_accounts_are_marked():
    acc = accounts([("2019-08", "备案号", "抖音", "甲局", None, 30), ("2019-08", "野号", "抖音", "甲局", None, 2)])
    out = ranking.account_flags(acc, "2019-08", registered={("备案号", "抖音")})
    assert dict(zip(out["name"], out["remark"], strict=True)) == {"野号": "不合格；未报备", "备案号": ""}


def test_min_weekly_changes_the_rule():
    acc = accounts([("2019-08", "号", "抖音", "甲局", None, 10)])
    assert ranking.account_flags(acc, "2019-08", 3)["remark"].tolist() == [ranking.FAIL]
    assert ranking.account_flags(acc, "2019-08", 2)["remark"].tolist() == [""]
