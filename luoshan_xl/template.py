"""Writing the blank and pre-filled submission forms from the declaration in `form.py`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from luoshan_xl import __version__
from luoshan_xl.cells import quote_sheet
from luoshan_xl.form import COUNT, DATE, FORM, PERIOD, PLATFORM, PLATFORMS, UNIT, FormSpec
from luoshan_xl.roster import Roster
from luoshan_xl.xlsxwrite import atomic_workbook, fitted_height

BLANK_FORM_NAME = "报送表_空白.xlsx"
# Fixed document dates keep the committed template byte-stable across runs.
FIXED_CREATED = dt.datetime(2019, 1, 1)
INPUT_FILL = "#FFF2CC"
MM = 1 / 25.4  # inches per millimetre


@dataclass(frozen=True)
class TemplateResult:
    blank: Path
    per_unit: list[Path]


def safe_filename(text: str) -> str:
    """A file name Windows can create: no \\ / : * ? " < > | and no trailing dots or spaces."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).rstrip(". ") or "_"


def per_unit_filename(period: str, unit_name: str) -> str:
    return safe_filename(f"{period}_{unit_name}") + ".xlsx"


def write_templates(out_dir: Path, roster: Roster, period: str | None = None, per_unit: bool = False,
                    progress=None) -> TemplateResult:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    blank = out_dir / BLANK_FORM_NAME
    write_form(blank, roster, period=period)
    written: list[Path] = []
    if per_unit:
        for unit in roster.units:
            path = out_dir / per_unit_filename(period, unit.name)
            write_form(path, roster, unit_name=unit.name, period=period)
            written.append(path)
            if progress:
                progress(1)
    return TemplateResult(blank=blank, per_unit=written)


def write_form(path: Path, roster: Roster, unit_name: str | None = None, period: str | None = None,
               spec: FormSpec = FORM, values: dict | None = None, accounts: list[list] | None = None) -> None:
    """Write one form; `values` and `accounts` pre-fill it (used for examples and tests)."""
    values = dict(values or {})
    if unit_name is not None:
        values.setdefault("unit_name", unit_name)
    if period is not None:
        values.setdefault("period", period)
    with atomic_workbook(path) as wb:
        wb.set_properties({"title": spec.title, "author": "luoshan-xl", "created": FIXED_CREATED,
                           "comments": spec.version})
        wb.set_calc_mode("auto")
        fmt = _formats(wb)
        ws = wb.add_worksheet(spec.sheet)
        help_ws = wb.add_worksheet(spec.help_sheet)
        meta = wb.add_worksheet(spec.meta_sheet)
        unit_range, platform_range = _write_meta(meta, roster, spec)
        _write_form_sheet(ws, spec, fmt, values, accounts or [], unit_range, platform_range)
        _write_help_sheet(help_ws, spec, fmt)
        for name, ref in spec.defined_names().items():
            wb.define_name(name, "=" + ref)
        wb.define_name("form_version", f"={quote_sheet(spec.meta_sheet)}!$B$1")
        meta.hide()
        ws.activate()


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
    border = {**base, "border": 1}
    unlocked = {**border, "locked": False, "bg_color": INPUT_FILL, "pattern": 1}
    return {
        "title": wb.add_format({**base, "font_name": "黑体", "font_size": 16, "align": "center"}),
        "note": wb.add_format({**base, "font_size": 10, "font_color": "#595959", "text_wrap": True}),
        "label": wb.add_format({**border, "bold": True, "bg_color": "#F2F2F2", "pattern": 1, "text_wrap": True}),
        "caption": wb.add_format({**base, "bold": True}),
        "header": wb.add_format({**border, "bold": True, "align": "center", "bg_color": "#D9E1F2", "pattern": 1,
                                 "text_wrap": True}),
        UNIT: wb.add_format(unlocked),
        PERIOD: wb.add_format({**unlocked, "num_format": "@"}),
        COUNT: wb.add_format({**unlocked, "num_format": "0"}),
        "text": wb.add_format({**unlocked, "num_format": "@"}),
        PLATFORM: wb.add_format(unlocked),
        DATE: wb.add_format({**unlocked, "num_format": "yyyy-mm-dd"}),
        "help": wb.add_format({**base, "text_wrap": True, "valign": "top"}),
        "help_head": wb.add_format({**base, "bold": True, "font_size": 12, "text_wrap": True, "valign": "top"}),
    }


def _write_meta(meta, roster: Roster, spec: FormSpec) -> tuple[str, str]:
    meta.write_string(0, 0, "表单版本")
    meta.write_string(0, 1, spec.version)
    meta.write_string(1, 0, "生成工具")
    meta.write_string(1, 1, f"luoshan-xl {__version__}")
    meta.write_string(0, 3, "单位名称")
    for i, unit in enumerate(roster.units, start=1):
        meta.write_string(i, 3, unit.name)
    meta.write_string(0, 4, "平台类型")
    for i, p in enumerate(PLATFORMS, start=1):
        meta.write_string(i, 4, p)
    sheet = quote_sheet(spec.meta_sheet)
    unit_range = f"={sheet}!$D$2:$D${max(len(roster.units), 1) + 1}"
    platform_range = f"={sheet}!$E$2:$E${len(PLATFORMS) + 1}"
    return unit_range, platform_range


def _validation(kind: str, label: str, help_text: str, unit_range: str, platform_range: str) -> dict | None:
    common = {"input_title": label[:32], "input_message": help_text[:255], "error_title": "输入有误"}
    if kind == UNIT:
        return {**common, "validate": "list", "source": unit_range,
                "error_message": "请从下拉列表中选择单位名册中的名称。"}
    if kind == PLATFORM:
        return {**common, "validate": "list", "source": platform_range,
                "error_message": "请从下拉列表中选择平台类型。"}
    if kind == COUNT:
        return {**common, "validate": "integer", "criteria": ">=", "value": 0,
                "error_message": "请填写大于或等于 0 的整数。"}
    if kind == DATE:
        return {**common, "validate": "date", "criteria": "between",
                "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2099, 12, 31),
                "error_message": "请填写日期，例如 2019-08-26。"}
    if kind == PERIOD:
        return {**common, "validate": "length", "criteria": "between", "minimum": 6, "maximum": 10,
                "error_message": "请按 YYYY-MM 格式填写，例如 2019-08。"}
    return {**common, "validate": "any"} if help_text else None


def _write_value(ws, row: int, col: int, value, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(row, col, value if isinstance(value, dt.datetime) else
                          dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _write_form_sheet(ws, spec: FormSpec, fmt: dict, values: dict, accounts: list[list],
                      unit_range: str, platform_range: str) -> None:
    ncols = len(spec.table.columns)
    for c, col in enumerate(spec.table.columns):
        ws.set_column(c, c, col.width)
    ws.set_column(0, 0, 38)  # the longest label, 本月门户网站信息采用数量（条）, in bold
    ws.merge_range(0, 0, 0, ncols - 1, spec.title, fmt["title"])
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, ncols - 1,
                   "请在浅黄色单元格中填写。空白表示“无数据”，0 表示“零条”。填写说明见“填报说明”工作表。",
                   fmt["note"])
    ws.set_row(1, 30)
    for f in spec.fields:
        r = spec.field_row(f.key)
        ws.write_string(r, spec.label_col, f.label, fmt["label"])
        value_fmt = fmt[f.kind]
        ws.merge_range(r, spec.value_col, r, spec.value_last_col, None, value_fmt)
        _write_value(ws, r, spec.value_col, values.get(f.key), value_fmt)
        dv = _validation(f.kind, f.label, f.help, unit_range, platform_range)
        if dv:
            ws.data_validation(r, spec.value_col, r, spec.value_col, dv)
        ws.set_row(r, 22)
    ws.merge_range(spec.table_caption_row, 0, spec.table_caption_row, ncols - 1, spec.table.caption, fmt["caption"])
    for c, col in enumerate(spec.table.columns):
        ws.write_string(spec.table_header_row, c, col.label, fmt["header"])
        dv = _validation(col.kind, col.label, col.help, unit_range, platform_range)
        if dv:
            ws.data_validation(spec.table_first_row, c, spec.table_last_row, c, dv)
    ws.set_row(spec.table_header_row, 22)
    for i in range(spec.table.rows):
        r = spec.table_first_row + i
        row_values = accounts[i] if i < len(accounts) else []
        for c, col in enumerate(spec.table.columns):
            value = row_values[c] if c < len(row_values) else None
            _write_value(ws, r, c, value, fmt["text"] if col.kind == "text" else fmt[col.kind])
    # Print: A4 portrait, one page wide, centred.
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=20 * MM, right=20 * MM, top=25 * MM, bottom=20 * MM)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.print_area(0, 0, spec.table_last_row, ncols - 1)
    ws.set_footer("&C第 &P 页，共 &N 页")
    # Everything is locked except the input cells; no password, so a clerk can still unprotect.
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})
    ws.set_selection(spec.field_row("unit_name"), spec.value_col, spec.field_row("unit_name"), spec.value_col)


def _write_help_sheet(ws, spec: FormSpec, fmt: dict) -> None:
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 80)
    lines: list[tuple[str, str]] = [
        ("填报说明", ""),
        ("", ""),
        ("基本规则", "只在“填报表”的浅黄色单元格中填写，不要增删行列或修改工作表名称。"),
        ("", "空白表示“无数据”（不参加该项或本月未报），0 表示“零条”，两者在排名中不同：0 参加排名，空白不参加。"),
        ("", "数字只填整数，不要带“条”等单位；日期按 2019-08-26 格式填写。"),
        ("", "填好后保存为 .xlsx 文件，以附件形式发送给县政府办，文件名建议为“期间_单位名称.xlsx”。"),
        ("", ""),
        ("各项说明", ""),
    ]
    for f in spec.fields:
        lines.append((f.label, f.help))
    lines.append(("", ""))
    lines.append((spec.table.caption, f"最多 {spec.table.rows} 个账号，每个账号一行，各列如下："))
    for col in spec.table.columns:
        lines.append(("  " + col.label, col.help))
    lines.append(("", ""))
    lines.append(("更新频率要求", "政务新媒体每周更新不少于 3 条；月更新条数低于要求的标注“不合格”，"
                                  "连续 2 次被通报为不合格的纳入强制关停范围。"))
    lines.append(("表单版本", spec.version))
    for r, (a, b) in enumerate(lines):
        head = r == 0 or (a and not a.startswith(" "))
        ws.write_string(r, 0, a, fmt["help_head"] if head else fmt["help"])
        if b:
            ws.write_string(r, 1, b, fmt["help"])
        ws.set_row(r, fitted_height([(a, 30), (b, 80)], font_pt=12 if head else 11, bold=head, minimum=18))
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.protect("")


HISTORY_COLUMNS = ("期间", "单位名称", "信息公开发布数量", "门户网站采用数量")


def write_history(path: Path, rows: list[tuple[str, str, int | None, int | None]]) -> None:
    """A bulk sheet of history (期间, 单位名称, figures): how earlier months enter the master."""
    with atomic_workbook(path) as wb:
        wb.set_properties({"title": "历史数据", "author": "luoshan-xl", "created": FIXED_CREATED})
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "pattern": 1, "border": 1})
        ws = wb.add_worksheet("历史数据")
        for c, h in enumerate(HISTORY_COLUMNS):
            ws.write_string(0, c, h, head)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                _write_value(ws, r, c, v, None)
        ws.set_column(0, 1, 22)
        ws.set_column(2, 3, 18)
        ws.freeze_panes(1, 0)
