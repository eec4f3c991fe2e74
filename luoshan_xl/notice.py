"""The notice's figures for one period, built from the master: 附件1–3 and the 汇总.

`build_notice` gathers the frames and calls the pure functions of `ranking.py`;
`report.py` writes the result.  No formatting here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import pandas as pd

from luoshan_xl import ranking
from luoshan_xl.errors import LuoshanError
from luoshan_xl.master import MasterWorkbook
from luoshan_xl.roster import COUNTY, TOWNSHIP, Roster
from luoshan_xl.submission import AccountRecord


@dataclass
class NoticeTables:
    period: str
    year: int
    month: int
    a1: dict[str, pd.DataFrame]  # 'townships' / 'departments' → unit, value, rank, has_data
    a2: dict[str, pd.DataFrame]  # unit, value (year-to-date), month, rank, has_data
    a3: pd.DataFrame  # name, platform, host, last_update, updates, remark, fail, close, unregistered
    min_weekly: int
    threshold: int
    days: int
    submitted: list[str]
    missing: list[str]
    registered_used: bool

    @property
    def span(self) -> str:
        """'1-8月份' (or '1月份' in January)."""
        return f"{self.month}月份" if self.month == 1 else f"1-{self.month}月份"

    # Titles break before 统计表 as the seed does: at 22 pt the whole title is wider than A4.
    @property
    def a1_title(self) -> str:
        return f"{self.year}年{self.span}全县政府信息公开发布情况\n统计表"

    @property
    def a2_title(self) -> str:
        return f"{self.year}年{self.span}县政府门户网站信息采用情况\n统计表"

    @property
    def a3_title(self) -> str:
        return f"{self.year}年{self.month}月份全县政务新媒体信息更新情况\n统计表"

    @property
    def threshold_note(self) -> str:
        return (f"注：按每周更新不少于 {self.min_weekly} 条的要求，{self.month}月共 {self.days} 天，"
                f"月更新不少于 {self.threshold} 条（{self.min_weekly}×{self.days}÷7，向上取整），"
                f"低于 {self.threshold} 条的标注为“{ranking.FAIL}”；连续 2 次不合格的纳入强制关停范围。")


def monthly_frame(master: MasterWorkbook) -> pd.DataFrame:
    monthly = master.monthly
    frame = pd.DataFrame({"period": [m.period for m in monthly], "unit": [m.unit for m in monthly],
                          "disclosure": [m.disclosure for m in monthly], "portal": [m.portal for m in monthly]})
    for col in ("disclosure", "portal"):
        frame[col] = frame[col].astype("Float64")
    return frame


def accounts_frame(accounts: list[AccountRecord]) -> pd.DataFrame:
    rows = [(a.period, a.name, a.platform, a.host, a.last_update, a.updates, a.reporter, i)
            for i, a in enumerate(accounts)]
    frame = pd.DataFrame(rows, columns=["period", "name", "platform", "host", "last_update", "updates",
                                        "reporter", "row"])
    frame["updates"] = frame["updates"].astype("Float64")
    frame["name"] = frame["name"].astype(str)
    return frame


def account_table(accounts: list[AccountRecord], roster: Roster, period: str, min_weekly: int = 3) -> pd.DataFrame:
    """附件3: the period's accounts with their flags and 主办单位 labels (needs no 月度数据, so
    rank builds it while that sheet is still being read)."""
    registered = {(a.name, a.platform) for a in roster.registered}
    host_order = {u.name: u.order for u in roster.units}
    a3 = ranking.account_flags(accounts_frame(accounts), period, min_weekly, registered or None, host_order)
    a3["host_label"] = [host_label(h, roster) for h in a3["host"].tolist()]
    return a3


def build_notice(master: MasterWorkbook, roster: Roster, period: str, min_weekly: int = 3,
                 a3: pd.DataFrame | None = None) -> NoticeTables:
    """`a3`: `account_table` of the master's accounts when the caller has built it already."""
    monthly = monthly_frame(master)
    if not ((monthly["period"] == period).any() or any(a.period == period for a in master.accounts)):
        periods = master.periods()
        have = (f"{periods[0]}至{periods[-1]}" if len(periods) > 2 else "、".join(periods)) or "无"
        raise LuoshanError(f"总表“{master.path.name}”中没有 {period} 的数据（已有期间：{have}）。"
                           "请先用 luoshan-xl merge 合并该月的报送表，或检查 --period。")
    year, month = ranking.months_of(period)
    disclosure_ytd = ranking.ytd(monthly, period, "disclosure")
    portal_ytd = ranking.ytd(monthly, period, "portal")
    portal_month = monthly[monthly["period"] == period].set_index("unit")["portal"]

    def split(assessment: str) -> dict[str, list[str]]:
        units = roster.taking_part(assessment)
        return {"townships": [u.name for u in units if u.category == TOWNSHIP],
                "departments": [u.name for u in units if u.category == COUNTY]}

    a1 = {k: ranking.ranked_table(v, disclosure_ytd) for k, v in split("disclosure").items()}
    a2 = {k: ranking.ranked_table(v, portal_ytd, {"month": portal_month}) for k, v in split("portal").items()}
    if a3 is None:
        a3 = account_table(master.accounts, roster, period, min_weekly)
    submitted = sorted({m.unit for m in master.monthly if m.period == period},
                       key=lambda n: roster.by_name[n].order if n in roster.by_name else 10**6)
    done = set(submitted)
    missing = [u.name for u in roster.units if u.name not in done]
    return NoticeTables(period=period, year=year, month=month, a1=a1, a2=a2, a3=a3, min_weekly=min_weekly,
                        threshold=ranking.monthly_threshold(period, min_weekly),
                        days=calendar.monthrange(year, month)[1], submitted=submitted, missing=missing,
                        registered_used=bool(roster.registered))


def host_label(host: str, roster: Roster) -> str:
    """主办单位 as the seed writes it: county units with the 县 prefix (县城市管理局), townships as they are."""
    unit = roster.by_name.get(host)
    return "县" + host if unit is not None and not unit.is_township else host
