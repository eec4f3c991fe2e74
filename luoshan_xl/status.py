"""`status`: who has submitted for a period and who has not, and the reminder (催报) text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from luoshan_xl.master import MasterWorkbook
from luoshan_xl.roster import Roster
from luoshan_xl.xlsxwrite import atomic_workbook, fitted_height

SUBMITTED = "已报送"
MISSING = "未报送"
RETURNED = "退回待重报"
CONFLICT = "冲突待确认"  # two different forms: the office decides, the unit has nothing to fix

MM = 1 / 25.4


@dataclass(frozen=True)
class UnitStatus:
    unit: str
    category: str
    state: str  # SUBMITTED / MISSING / RETURNED
    file: str = ""
    time: str = ""
    note: str = ""


@dataclass
class StatusReport:
    period: str
    rows: list[UnitStatus]

    def of(self, state: str) -> list[UnitStatus]:
        return [r for r in self.rows if r.state == state]


def build_status(master: MasterWorkbook, roster: Roster, period: str) -> StatusReport:
    sources = {m.unit: (m.source, m.sha256) for m in master.monthly if m.period == period}
    merged_at = {a.sha256: a.time for a in master.audit if a.result in ("merged", "replaced")}
    merged_at_file = {a.file: a.time for a in master.audit if a.result in ("merged", "replaced")}
    returned: dict[str, tuple[str, str, str, str]] = {}
    for a in master.audit:
        if a.period == period and a.result in ("rejected", "conflict") and a.unit:
            files = returned.get(a.unit, ("", "", "", ""))[0]
            both = f"{files}、{a.file}" if files and a.result == "conflict" else a.file
            returned[a.unit] = (both, a.time, a.reason, a.result)
    rows = []
    for u in roster.units:
        if u.name in sources:
            src, sha = sources[u.name]
            when = merged_at.get(sha) if sha else merged_at_file.get(src, "")
            rows.append(UnitStatus(u.name, u.category, SUBMITTED, src, when or ""))
        elif u.name in returned:
            file, time, reason, result = returned[u.name]
            state = CONFLICT if result == "conflict" else RETURNED
            rows.append(UnitStatus(u.name, u.category, state, file, time, reason))
        else:
            rows.append(UnitStatus(u.name, u.category, MISSING))
    return StatusReport(period, rows)


def _period_text(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def reminder_text(report: StatusReport, deadline: dt.date | None = None,
                  office: str = "罗山县人民政府办公室") -> str:
    """A ready-to-send reminder (微信 or email) naming the units still owing their form."""
    missing = [r.unit for r in report.of(MISSING)]
    returned = [r.unit for r in report.of(RETURNED)]
    when = f"于{deadline.year}年{deadline.month}月{deadline.day}日前" if deadline else "尽快"
    what = f"{_period_text(report.period)}政府信息公开发布、门户网站信息采用及政务新媒体月度报送表"
    if not missing and not returned:
        return f"{_period_text(report.period)}的报送表已全部收齐，感谢各单位配合。\n{office}"
    lines = ["【报送提醒】"]
    if missing:
        lines.append(f"截至目前，以下 {len(missing)} 个单位尚未报送{what}，请{when}报送：")
        lines.append("、".join(missing))
    if returned:
        lines.append(f"以下 {len(returned)} 个单位的报送表未通过审核，请按回执改正后{when}重新报送：")
        lines.append("、".join(returned))
    lines.append("报送表请使用县政府办下发的统一表格填写，空白表示无数据，0 表示零条。")
    lines.append(office)
    return "\n".join(lines)


def write_status_xlsx(report: StatusReport, path: Path) -> Path:
    with atomic_workbook(path) as wb:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter", "border": 1, "text_wrap": True}
        title = wb.add_format({"font_name": "黑体", "font_size": 16, "align": "center", "valign": "vcenter"})
        head = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2", "pattern": 1})
        cell = wb.add_format(base)
        missing = wb.add_format({**base, "bg_color": "#FFC7CE", "pattern": 1, "bold": True})
        ws = wb.add_worksheet("报送情况")
        for c, w in enumerate((6, 22, 10, 12, 30, 18)):
            ws.set_column(c, c, w)
        done = len(report.of(SUBMITTED))
        ws.merge_range(0, 0, 0, 5, f"{_period_text(report.period)}报送情况（已报送 {done}/{len(report.rows)}）", title)
        ws.set_row(0, 30)
        headers = ("序号", "单位名称", "类别", "状态", "文件", "时间")
        for c, h in enumerate(headers):
            ws.write_string(1, c, h, head)
        for i, r in enumerate(report.rows, start=1):
            f = cell if r.state == SUBMITTED else missing
            ws.write_number(i + 1, 0, i, cell)
            ws.write_string(i + 1, 1, r.unit, cell)
            ws.write_string(i + 1, 2, r.category, cell)
            ws.write_string(i + 1, 3, r.state, f)
            ws.write_string(i + 1, 4, r.file, cell)
            ws.write_string(i + 1, 5, r.time, cell)
            ws.set_row(i + 1, fitted_height([(r.unit, 22), (r.file, 30), (r.time, 18)], font_pt=11, minimum=20))
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=20 * MM, right=20 * MM, top=25 * MM, bottom=20 * MM)
        ws.repeat_rows(1)
        ws.center_horizontally()
        ws.set_footer("&C— &P —")
        ws.freeze_panes(2, 0)
    return Path(path)
