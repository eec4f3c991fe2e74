"""Pure computations for the notice: year-to-date totals, dense ranks, ordering and account flags.

Functions over pandas frames; no files.  Blank (no data) is NaN and stays
different from 0 everywhere: 0 is ranked, blank is not.
"""

from __future__ import annotations

import calendar
import math

import pandas as pd

from luoshan_xl.values import account_key

FAIL = "不合格"
CLOSE = "连续2次不合格，纳入强制关停范围"
UNREGISTERED = "未报备"


def months_of(period: str) -> tuple[int, int]:
    year, month = (int(x) for x in period.split("-"))
    return year, month


def previous_period(period: str) -> str:
    year, month = months_of(period)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def ytd(monthly: pd.DataFrame, period: str, column: str) -> pd.Series:
    """Per unit, the sum of `column` from January of the period's year through the period.

    A unit with every month blank gets NaN (no data), not 0.
    """
    year, _ = months_of(period)
    start = f"{year}-01"
    rows = monthly[(monthly["period"] >= start) & (monthly["period"] <= period)]
    return rows.groupby("unit")[column].sum(min_count=1)


def dense_rank(values: pd.Series) -> pd.Series:
    """Dense rank, largest first (128, 128, 124 → 1, 1, 2); NaN stays unranked (<NA>)."""
    return values.rank(method="dense", ascending=False).astype("Int64")


def ranked_table(units: list[str], figure: pd.Series, extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """The rows of one ranked table: `units` in roster order, ranked on `figure`.

    Ordered by the figure (largest first), ties in roster order; units with no data
    after the ranked ones, in roster order, with blank figure and rank.
    """
    frame = pd.DataFrame({"unit": units, "order": range(len(units))})
    frame["value"] = frame["unit"].map(figure).astype("Float64")
    for name, series in (extra or {}).items():
        frame[name] = frame["unit"].map(series).astype("Float64")
    frame["rank"] = dense_rank(frame["value"])
    frame["has_data"] = frame["value"].notna()
    frame = frame.sort_values(["has_data", "value", "order"], ascending=[False, False, True], na_position="last")
    return frame.drop(columns=["order"]).reset_index(drop=True)


def monthly_threshold(period: str, min_weekly: int = 3) -> int:
    """Fewest updates a month that meets `min_weekly` a week: ceil(min_weekly × days in month ÷ 7).

    For August (31 days) at 3 a week: ceil(13.29) = 14.
    """
    year, month = months_of(period)
    days = calendar.monthrange(year, month)[1]
    return math.ceil(min_weekly * days / 7 - 1e-9)


def _account_key(name: pd.Series, platform: pd.Series) -> pd.Series:
    # tolist first: iterating a pandas string column is ten times slower than a list
    return pd.Series(list(map(account_key, name.tolist(), platform.tolist())), index=name.index, dtype=object)


def account_flags(accounts: pd.DataFrame, period: str, min_weekly: int = 3,
                  registered: set[tuple[str, str]] | None = None, host_order: dict[str, int] | None = None
                  ) -> pd.DataFrame:
    """附件3 rows for `period`: each account with its remark.

    `accounts` has columns period, name, platform, host, last_update, updates, row.  An account
    below the month's threshold is 不合格; 不合格 this period and the previous one is also
    marked for forced closure; when `registered` (normalised name, platform) is given, an
    account missing from it is 未报备.  Ordered: forced closure, 不合格, the rest; then by host
    in roster order, then as reported.
    """
    prev = previous_period(period)
    now = accounts[accounts["period"] == period].copy()
    before = accounts[accounts["period"] == prev]
    threshold = monthly_threshold(period, min_weekly)
    prev_threshold = monthly_threshold(prev, min_weekly)
    now["fail"] = now["updates"].fillna(0) < threshold
    failed_before = set(_account_key(before["name"], before["platform"])[before["updates"].fillna(0) < prev_threshold])
    now["key"] = _account_key(now["name"], now["platform"])
    now["close"] = now["fail"] & now["key"].isin(failed_before)
    if registered:
        reg = {account_key(n, p) for n, p in registered}
        now["unregistered"] = ~now["key"].isin(reg)
    else:
        now["unregistered"] = False

    def remark(close: bool, fail: bool, unregistered: bool) -> str:
        parts = [CLOSE] if close else [FAIL] if fail else []
        return "；".join(parts + [UNREGISTERED] if unregistered else parts)

    now["remark"] = pd.Series([remark(*flags) for flags in zip(
        now["close"], now["fail"], now["unregistered"], strict=True)], index=now.index, dtype=object)
    now["severity"] = 2 - now["fail"].astype(int) - now["close"].astype(int)
    order = host_order or {}
    now["host_order"] = [order.get(h, len(order)) for h in now["host"].tolist()]
    now = now.sort_values(["severity", "host_order", "row"], kind="stable")
    return now.drop(columns=["key", "host_order"]).reset_index(drop=True)
