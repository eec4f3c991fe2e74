"""回执: a small workbook per rejected file, listing its problems, to send back to the unit."""

from __future__ import annotations

from pathlib import Path

from luoshan_xl.template import safe_filename
from luoshan_xl.xlsxwrite import atomic_workbook, fitted_height

MM = 1 / 25.4


def receipt_path(receipts_dir: Path, file: str, used: set[str] | None = None) -> Path:
    """回执_<the file's path, folders joined by _>.xlsx, numbered if that name is taken in this run."""
    stem = file.rsplit(".", 1)[0] if "." in file.rsplit("/", 1)[-1] else file
    base = safe_filename("回执_" + stem.replace(" → ", "_").replace("/", "_"))
    name, n = base, 1
    while used is not None and name in used:
        n += 1
        name = f"{base}_{n}"
    if used is not None:
        used.add(name)
    return Path(receipts_dir) / f"{name}.xlsx"


def write_receipt(receipts_dir: Path, outcome, stamp: str, used: set[str] | None = None) -> Path:
    path = receipt_path(receipts_dir, outcome.file, used)
    with atomic_workbook(path) as wb:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter", "text_wrap": True}
        title = wb.add_format({**base, "font_name": "黑体", "font_size": 16, "align": "center"})
        head = wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#D9E1F2", "pattern": 1,
                              "align": "center"})
        cell = wb.add_format({**base, "border": 1})
        ws = wb.add_worksheet("回执")
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 2, 10)
        ws.set_column(3, 3, 70)
        ws.merge_range(0, 0, 0, 3, "报送表退回回执", title)
        ws.set_row(0, 32)
        text_fmt = wb.add_format(base)
        who = "　".join(x for x in (outcome.unit and f"单位：{outcome.unit}",
                                   outcome.period and f"报送期间：{outcome.period}") if x)
        for r, text in ((1, f"文件：{outcome.file}" + (f"　{who}" if who else "")),
                        (2, f"检查时间：{stamp}。此文件未被合并，请按下列问题逐项改正后重新发送。")):
            ws.merge_range(r, 0, r, 3, text, text_fmt)
            ws.set_row(r, fitted_height([(text, 98)], font_pt=11, minimum=20))
        ws.set_row(4, 22)
        for c, text in enumerate(("序号", "工作表", "单元格", "问题及改正方法")):
            ws.write_string(4, c, text, head)
        for i, p in enumerate(outcome.problems, start=1):
            r = 4 + i
            ws.write_number(r, 0, i, cell)
            ws.write_string(r, 1, p.sheet or "", cell)
            ws.write_string(r, 2, p.cell or "", cell)
            ws.write_string(r, 3, p.message, cell)
            ws.set_row(r, fitted_height([(p.message, 70), (p.sheet or "", 12)], font_pt=11, minimum=20))
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=20 * MM, right=20 * MM, top=25 * MM, bottom=20 * MM)
        ws.repeat_rows(4)
    return path
