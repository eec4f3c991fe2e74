"""Regenerate examples/luoshan-2019-08/ from the plain CSVs beside this script.

The forms are written by the package's own template code (write_form), so they are
exactly what units fill in.  A handful carry the messy values of real life.

    python examples/make_forms.py            # rewrites examples/luoshan-2019-08/
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from luoshan_xl.roster import Roster
from luoshan_xl.template import per_unit_filename, write_form, write_history

HERE = Path(__file__).resolve().parent
PERIOD = "2019-08"

# unit → how its clerk typed the form (the values are the same numbers)
MESSY = {
    "城市管理局": {"unit_name": "县城市管理局", "updates": "8条", "last_update": "2019/8/26"},
    "自然资源局": {"unit_name": "罗山县自然资源局", "last_update": "8月30日"},
    "文化广电和旅游局": {"last_update": "serial"},
    "朱堂乡": {"disclosure_count": "full-width"},
    "生态环境局": {"disclosure_count": "padded"},
    "广电中心": {"portal_adopted": "with-unit"},
    "尤店乡": {"unit_name": "罗山县 尤店乡", "period": "2019年8月"},
    "卫生健康委员会": {"disclosure_count": "float", "period": "2019.8"},
    "住房和城乡建设局": {"unit_name": "住房城乡建设局"},
}


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _int(text: str) -> int | None:
    return int(text) if text != "" else None


def _messy_count(value: int | None, how: str | None):
    if value is None or how is None:
        return value
    return {"full-width": str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "padded": f" {value} ", "with-unit": f"{value}条", "float": float(value)}[how]


def build(out_dir: Path) -> list[Path]:
    roster = Roster.default()
    figures = _read_csv(HERE / "luoshan-2019-08-figures.csv")
    accounts = _read_csv(HERE / "luoshan-2019-08-accounts.csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    history = [(r["期间"], r["单位名称"], _int(r["信息公开发布数量"]), _int(r["门户网站采用数量"]))
               for r in figures if r["期间"] < PERIOD]
    path = out_dir / "历史数据_2019年1-7月.xlsx"
    write_history(path, history)
    written.append(path)
    for r in (r for r in figures if r["期间"] == PERIOD):
        unit = r["单位名称"]
        messy = MESSY.get(unit, {})
        rows = []
        for a in (a for a in accounts if a["报送单位"] == unit and a["期间"] == PERIOD):
            day = dt.date.fromisoformat(a["最后更新日期"])
            how = messy.get("last_update")
            last = ((day - dt.date(1899, 12, 30)).days if how == "serial" else how if how else day)
            updates = messy.get("updates", int(a["本月更新条数"]))
            rows.append([a["账号名称"], a["平台类型"], a["主办单位"], last, updates])
        values = {
            "unit_name": messy.get("unit_name", unit),
            "period": messy.get("period", PERIOD),
            "disclosure_count": _messy_count(_int(r["信息公开发布数量"]), messy.get("disclosure_count")),
            "portal_adopted": _messy_count(_int(r["门户网站采用数量"]), messy.get("portal_adopted")),
        }
        path = out_dir / per_unit_filename(PERIOD, unit)
        write_form(path, roster, values=values, accounts=rows)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "luoshan-2019-08"
    for p in target.glob("*.xlsx"):
        p.unlink()
    files = build(target)
    print(f"wrote {len(files)} files to {target}")
