"""Writing the notice's attachments as a formatted, print-ready workbook (xlsxwriter; the tables' rows through xlsxrows).

Layout mirrors the seed notice: "附件N：" in row 1, the title centred in row 3,
captions （一）/（二）, the seed's header texts.  Print follows GB/T 9704-2012:
A4 portrait, margins 37/35/28/26 mm, one page wide, header row repeated,
page numbers "— 1 —".  Page breaks are computed from the known row heights so
that a caption and header are never separated from their first rows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from luoshan_xl.cells import a1, col_letter, quote_sheet
from luoshan_xl.notice import NoticeTables
from luoshan_xl.ranking import FAIL
from luoshan_xl.xlsxrows import RowsWorksheet
from luoshan_xl.xlsxwrite import atomic_workbook, fitted_height

MM = 1 / 25.4
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# Usable page height in points (A4 297 mm less top and bottom margins), with a little slack.
PAGE_HEIGHT_PT = (297 - MARGINS_MM["top"] - MARGINS_MM["bottom"]) / 25.4 * 72 * 0.96

TITLE_FONT = "方正小标宋简体"  # GB/T 9704 title face; charset 134 lets WPS/Excel fall back to 宋体
BODY_FONT = "仿宋_GB2312"  # falls back to 仿宋
LABEL_FONT = "黑体"
GB2312 = 134

ROW_HEIGHTS = {"label": 24, "blank": 12, "title": 64, "caption": 28, "header": 36, "data": 22, "note": 36}
MAX_BARS = 52  # bars in one chart; it must fit one A4 page (a chart cannot break across pages)
GREY = "#D9D9D9"
FAIL_FILL = "#FFC7CE"
FAIL_TEXT = "#9C0006"
CLOSE_FILL = "#FF7C80"

A1_HEADERS = ("单位名称", "{span}发布数量（条）", "排名")
A2_HEADERS = ("单位名称", "{month}月份采用（条）", "累计采用(条)", "累计排名")
A3_HEADERS = ("名称", "平台类型", "主办单位", "更新日期", "更新频率（条/月）", "备注")
A1_CAPTIONS = ("（一）各乡镇（街道）政府信息公开发布情况", "（二）各相关部门政府信息公开发布情况")
A2_CAPTIONS = ("（一）各乡镇（街道）信息采用情况", "（二）县直单位信息采用情况")
# Column widths in Excel character units (Calibri 11: 7 px); each sheet ≤ 80, the A4 text width.
A1_WIDTHS = (32, 30, 18)
A2_WIDTHS = (26, 18, 18, 18)
A3_WIDTHS = (17, 11, 20, 9, 13, 10)


@dataclass
class SheetLayout:
    """What a written sheet holds, for page breaks, print titles and tests."""

    kinds: list[str]  # per row: label/blank/title/caption/header/data/note
    heights: list[float]
    header_row: int
    data_ranges: list[tuple[int, int]]  # (first, last) 0-based data rows of each table; last < first if empty


def write_report(notice: NoticeTables, path: Path, a3_rows: AccountRows | None = None) -> Path:
    """`a3_rows`: `account_rows(notice.a3)` when the caller has built them already."""
    with atomic_workbook(path, solid_dxf=True) as wb:
        wb.set_properties({"title": f"{notice.period} 通报附件", "author": "luoshan-xl",
                           "created": dt.datetime.now().replace(microsecond=0)})
        fmt = _formats(wb)
        sheets = {}
        sheets["附件1"] = _write_ranked(wb, "附件1", "附件1：", notice.a1_title, A1_CAPTIONS,
                                       [h.format(span=notice.span) for h in A1_HEADERS], A1_WIDTHS,
                                       notice.a1, ("value", "rank"), fmt)
        sheets["附件2"] = _write_ranked(wb, "附件2", "附件2：", notice.a2_title, A2_CAPTIONS,
                                       [h.format(month=notice.month) for h in A2_HEADERS], A2_WIDTHS,
                                       notice.a2, ("month", "value", "rank"), fmt)
        sheets["附件3"] = _write_accounts(wb, notice, fmt, a3_rows if a3_rows is not None else account_rows(notice.a3))
        _write_summary(wb, notice, fmt)
        _write_charts(wb, notice, sheets)
        wb.worksheets()[0].activate()
    return Path(path)


# -- formats ---------------------------------------------------------------------


def _formats(wb) -> dict:
    body = {"font_name": BODY_FONT, "font_charset": GB2312, "font_size": 12, "valign": "vcenter",
            "align": "center", "border": 1, "text_wrap": True}
    return {
        "label": wb.add_format({"font_name": LABEL_FONT, "font_charset": GB2312, "font_size": 16,
                                "align": "left", "valign": "vcenter"}),
        "title": wb.add_format({"font_name": TITLE_FONT, "font_charset": GB2312, "font_size": 22,
                                "align": "center", "valign": "vcenter", "text_wrap": True}),
        "caption": wb.add_format({"font_name": LABEL_FONT, "font_charset": GB2312, "font_size": 14,
                                  "align": "left", "valign": "vcenter"}),
        "header": wb.add_format({**body, "bold": True}),
        "text": wb.add_format(body),
        "number": wb.add_format({**body, "num_format": "0"}),
        "date": wb.add_format({**body, "num_format": 'm"月"d"日"'}),
        "per_month": wb.add_format({**body, "num_format": '0"条/月"'}),
        "note": wb.add_format({"font_name": BODY_FONT, "font_charset": GB2312, "font_size": 11,
                               "align": "left", "valign": "top", "text_wrap": True}),
        "kv_key": wb.add_format({**body, "bold": True, "align": "left"}),
        "kv_val": wb.add_format({**body, "align": "left"}),
        # conditional formats (solid fills; the writer adds patternType="solid" for WPS)
        "cf_grey": wb.add_format({"bg_color": GREY, "pattern": 1}),
        "cf_fail": wb.add_format({"bg_color": FAIL_FILL, "pattern": 1, "bold": True, "font_color": FAIL_TEXT}),
        "cf_close": wb.add_format({"bg_color": CLOSE_FILL, "pattern": 1, "bold": True, "font_color": FAIL_TEXT}),
    }


# -- page layout ---------------------------------------------------------------------


def page_breaks(kinds: list[str], heights: list[float], header_row: int, limit: float = PAGE_HEIGHT_PT) -> list[int]:
    """Rows before which a new page starts.

    Pages after the first carry the repeated header row.  A page never starts at a
    caption, a header or a table's first data row, so that no caption or header is
    left alone at a page foot and no page begins with a repeated header over a caption.
    """
    breaks: list[int] = []
    used = 0.0
    start = 0
    i = 0
    while i < len(kinds):
        if used + heights[i] > limit and i > start:
            b = i
            while b > start + 1 and not _good_break(kinds, b):
                b -= 1
            if b <= start + 1:
                b = i
            breaks.append(b)
            start = b
            used = heights[header_row] + sum(heights[b:i])
        used += heights[i]
        i += 1
    return breaks


def _good_break(kinds: list[str], b: int, keep: int = 2) -> bool:
    """A page may start at row b when b is inside a table's data, with at least `keep` data
    rows of that table before it (no orphaned header) and from it on (no widow)."""
    if kinds[b] != "data":
        return False
    before = kinds[max(0, b - keep):b]
    after = kinds[b:b + keep]
    return before == ["data"] * keep and after == ["data"] * len(after) and len(after) == min(keep, len(kinds) - b)


def _setup_print(ws, layout: SheetLayout, last_col: int) -> None:
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=MARGINS_MM["left"] * MM, right=MARGINS_MM["right"] * MM,
                   top=MARGINS_MM["top"] * MM, bottom=MARGINS_MM["bottom"] * MM)
    ws.set_footer("&C&\"宋体\"&14— &P —", {"margin": 20 * MM})
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.repeat_rows(layout.header_row)
    ws.print_area(0, 0, len(layout.kinds) - 1, last_col)
    breaks = page_breaks(layout.kinds, layout.heights, layout.header_row)
    if breaks:
        ws.set_h_pagebreaks(breaks)


class _Rows:
    """Tracks the kind and height of each row as it is written."""

    def __init__(self, ws):
        self.ws = ws
        self.kinds: list[str] = []
        self.heights: list[float] = []

    def add(self, kind: str, height: float | None = None) -> int:
        r = len(self.kinds)
        h = height or ROW_HEIGHTS[kind]
        self.kinds.append(kind)
        self.heights.append(h)
        self.ws.set_row(r, h)
        return r

    def add_data(self, rows: list[tuple], formats: list, heights: list[float] | None = None) -> tuple[int, int]:
        """A table's data rows in one block; returns its (first, last) rows, last < first if none."""
        first = len(self.kinds)
        heights = heights or [ROW_HEIGHTS["data"]] * len(rows)
        self.ws.write_rows(first, rows, formats, heights)
        self.kinds += ["data"] * len(rows)
        self.heights += heights
        return first, len(self.kinds) - 1


# -- 附件1 and 附件2 ------------------------------------------------------------------


def _write_ranked(wb, name: str, label: str, title: str, captions, headers, widths,
                  tables: dict[str, pd.DataFrame], columns: tuple[str, ...], fmt) -> SheetLayout:
    ws = wb.add_worksheet(name, worksheet_class=RowsWorksheet)
    ncol = len(headers)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    rows = _Rows(ws)
    ws.write_string(rows.add("label"), 0, label, fmt["label"])
    rows.add("blank")
    r = rows.add("title")
    ws.merge_range(r, 0, r, ncol - 1, title, fmt["title"])
    rows.add("blank")
    header_row = None
    data_ranges = []
    for i, (key, caption) in enumerate(zip(("townships", "departments"), captions, strict=True)):
        if i:
            rows.add("blank")
        r = rows.add("caption")
        ws.merge_range(r, 0, r, ncol - 1, caption, fmt["caption"])
        r = rows.add("header")
        header_row = r if header_row is None else header_row
        for c, h in enumerate(headers):
            ws.write_string(r, c, h, fmt["header"])
        table = tables[key]
        first, last = rows.add_data(list(zip(*(_values(table[c]) for c in ("unit", *columns)), strict=True)),
                                    [fmt["text"]] + [fmt["number"]] * len(columns))
        data_ranges.append((first, last))
        if last >= first:
            # Units with no data: the whole row grey; a blank month (附件2) grey on its own.
            ws.conditional_format(first, 0, last, ncol - 1, {
                "type": "formula", "criteria": f'=${col_letter(ncol - 2)}{first + 1}=""', "format": fmt["cf_grey"]})
            if ncol == 4:
                ws.conditional_format(first, 1, last, 1, {"type": "blanks", "format": fmt["cf_grey"]})
    layout = SheetLayout(rows.kinds, rows.heights, header_row, data_ranges)
    _setup_print(ws, layout, ncol - 1)
    return layout


def _values(column: pd.Series) -> list:
    """A column's values as Python objects, None where missing (a blank cell)."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


# -- 附件3 -------------------------------------------------------------------------------


@dataclass
class AccountRows:
    """附件3's data rows as written (名称, 平台, 主办单位, 更新日期, 更新数, 备注) and their heights."""

    rows: list[tuple]
    heights: list[float]


def account_rows(a3: pd.DataFrame) -> AccountRows:
    """The cells and fitted heights of 附件3's rows: no workbook needed, so rank builds them while
    the master's 月度数据 is still being read."""
    names = [str(n) for n in a3["name"]]
    hosts, remarks = _values(a3["host_label"]), [r or None for r in a3["remark"]]
    dates = [None if d is None or pd.isna(d) else dt.datetime(d.year, d.month, d.day) for d in a3["last_update"]]
    heights = [fitted_height([(n, A3_WIDTHS[0]), (h or "", A3_WIDTHS[2]), (r or "", A3_WIDTHS[5])], bold=bool(r),
                             minimum=ROW_HEIGHTS["data"]) for n, h, r in zip(names, hosts, remarks, strict=True)]
    return AccountRows(list(zip(names, [str(p) for p in a3["platform"]], hosts, dates, _values(a3["updates"]),
                                remarks, strict=True)), heights)


def _write_accounts(wb, notice: NoticeTables, fmt, prepared: AccountRows) -> SheetLayout:
    ws = wb.add_worksheet("附件3", worksheet_class=RowsWorksheet)
    ncol = len(A3_HEADERS)
    for c, w in enumerate(A3_WIDTHS):
        ws.set_column(c, c, w)
    rows = _Rows(ws)
    ws.write_string(rows.add("label"), 0, "附件3：", fmt["label"])
    rows.add("blank")
    r = rows.add("title")
    ws.merge_range(r, 0, r, ncol - 1, notice.a3_title, fmt["title"])
    rows.add("blank")
    header_row = rows.add("header", 54)
    for c, h in enumerate(A3_HEADERS):
        ws.write_string(header_row, c, h, fmt["header"])
    first, last = rows.add_data(
        prepared.rows, [fmt["text"], fmt["text"], fmt["text"], fmt["date"], fmt["per_month"], fmt["text"]],
        prepared.heights)
    data_ranges = [(first, last)]
    if last >= first:
        ws.conditional_format(first, 0, last, ncol - 1, {
            "type": "formula", "criteria": f'=ISNUMBER(SEARCH("强制关停",$F{first + 1}))',
            "format": fmt["cf_close"], "stop_if_true": True})
        ws.conditional_format(first, 0, last, ncol - 1, {
            "type": "formula", "criteria": f'=ISNUMBER(SEARCH("{FAIL}",$F{first + 1}))', "format": fmt["cf_fail"]})
        ws.conditional_format(first, 4, last, 4, {"type": "blanks", "format": fmt["cf_grey"]})
    r = rows.add("note")
    ws.merge_range(r, 0, r, ncol - 1, notice.threshold_note, fmt["note"])
    layout = SheetLayout(rows.kinds, rows.heights, header_row, data_ranges)
    _setup_print(ws, layout, ncol - 1)
    return layout


# -- 汇总 ---------------------------------------------------------------------------------


def _write_summary(wb, notice: NoticeTables, fmt) -> None:
    ws = wb.add_worksheet("汇总")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 56)
    rows = _Rows(ws)
    r = rows.add("title")
    ws.merge_range(r, 0, r, 1, f"{notice.year}年{notice.month}月份通报汇总", fmt["title"])
    header_row = rows.add("header")
    ws.write_string(header_row, 0, "项目", fmt["header"])
    ws.write_string(header_row, 1, "内容", fmt["header"])

    def total(tables, col="value"):
        return sum(float(t[col].sum()) for t in tables.values())

    fails = notice.a3[notice.a3["fail"]]
    items: list[tuple[str, object]] = [
        ("通报期间", notice.period),
        ("统计口径", f"{notice.year}年{notice.span}（累计）"),
        ("名册单位数", len(notice.submitted) + len(notice.missing)),
        ("已报送单位数", len(notice.submitted)),
        ("未报送单位数", len(notice.missing)),
        ("未报送名单", "、".join(notice.missing) or "无"),
        (f"附件1 {notice.span}信息公开发布合计（条）", total(notice.a1)),
        (f"附件2 {notice.month}月份门户网站采用合计（条）", total(notice.a2, "month")),
        (f"附件2 {notice.span}累计采用合计（条）", total(notice.a2)),
        ("附件3 政务新媒体账号数", len(notice.a3)),
        (f"附件3 不合格账号数（月更新少于 {notice.threshold} 条）", len(fails)),
        ("不合格账号", "、".join(f"{n}（{h}）" for n, h in zip(fails["name"], fails["host_label"], strict=True))
         or "无"),
        ("连续2次不合格（纳入强制关停）", "、".join(notice.a3[notice.a3["close"]]["name"]) or "无"),
    ]
    for key, value in items:
        r = rows.add("data", fitted_height([(key, 26), (str(value), 56)], minimum=ROW_HEIGHTS["data"]))
        ws.write_string(r, 0, key, fmt["kv_key"])
        if isinstance(value, int | float):
            ws.write_number(r, 1, value, fmt["kv_val"])
        else:
            ws.write_string(r, 1, str(value), fmt["kv_val"])
    layout = SheetLayout(rows.kinds, rows.heights, header_row, [(header_row + 1, len(rows.kinds) - 1)])
    _setup_print(ws, layout, 1)


# -- charts ---------------------------------------------------------------------------------


def _write_charts(wb, notice: NoticeTables, sheets: dict[str, SheetLayout]) -> None:
    specs = {
        "附件1": [("townships", "（一）各乡镇（街道）", 1), ("departments", "（二）各相关部门", 1)],
        "附件2": [("townships", "（一）各乡镇（街道）累计采用", 2), ("departments", "（二）县直单位累计采用", 2)],
    }
    for name, parts in specs.items():
        tables = notice.a1 if name == "附件1" else notice.a2
        cs = _chart_sheet(wb, f"{name}图表")
        row, breaks = 0, []
        for (key, title, value_col), (first, _last) in zip(parts, sheets[name].data_ranges, strict=True):
            n = int(tables[key]["has_data"].sum())
            if n == 0:
                continue
            if row:
                breaks.append(row)  # each chart on a page of its own: a chart cannot split
            shown = min(n, MAX_BARS)
            label = title if shown == n else f"{title}（前 {shown} 名）"
            height = _bar_chart(wb, cs, row, label, name, first, first + shown - 1, 0, value_col, shown)
            row += math.ceil(height / 20) + 2  # default row height is 20 px
        if breaks:
            cs.set_h_pagebreaks(breaks)
    cs = _chart_sheet(wb, "附件3图表")
    first, last = sheets["附件3"].data_ranges[0]
    if last >= first:
        shown = min(last - first + 1, MAX_BARS)
        _bar_chart(wb, cs, 0, f"{notice.month}月份政务新媒体更新条数", "附件3", first, first + shown - 1, 0, 4, shown)


def _chart_sheet(wb, name: str):
    cs = wb.add_worksheet(name)
    cs.set_paper(9)
    cs.set_portrait()
    cs.set_margins(left=MARGINS_MM["left"] * MM, right=MARGINS_MM["right"] * MM,
                   top=MARGINS_MM["top"] * MM, bottom=MARGINS_MM["bottom"] * MM)
    cs.fit_to_pages(1, 0)
    cs.set_footer("&C&\"宋体\"&14— &P —", {"margin": 20 * MM})
    cs.set_column(0, 0, 2)
    return cs


def _bar_chart(wb, cs, row: int, title: str, sheet: str, first: int, last: int, cat_col: int, val_col: int,
               n: int) -> None:
    chart = wb.add_chart({"type": "bar"})
    ref = quote_sheet(sheet)
    chart.add_series({
        "name": title,
        "categories": f"={ref}!{a1(first, cat_col, True)}:{a1(last, cat_col, True)}",
        "values": f"={ref}!{a1(first, val_col, True)}:{a1(last, val_col, True)}",
        "data_labels": {"value": True},
        "fill": {"color": "#4472C4"},
    })
    chart.set_title({"name": title, "name_font": {"name": "黑体", "size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True, "num_font": {"name": "宋体", "size": 9}})
    chart.set_x_axis({"num_font": {"name": "宋体", "size": 9}})
    # 560 px wide fits A4's text width; at 14 px a bar, MAX_BARS bars fit one page's height.
    height = max(300, 14 * n + 90)
    chart.set_size({"width": 560, "height": height})
    cs.insert_chart(row, 1, chart)
    return height
