"""Reading one submitted file into a `Submission`: its records and every problem found.

A file is found by the form's defined names; when a unit re-typed the form and
the names are gone, by the label texts of the same declaration; a bulk sheet of
history (期间, 单位名称 and the figures) is read as many records.  Every problem
of the file is collected, with its sheet and cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from luoshan_xl.cells import a1, parse_reference
from luoshan_xl.container import DEFAULT_LIMITS, Limits, read_capped
from luoshan_xl.errors import Problem, RejectedFile
from luoshan_xl.form import COUNT, DATE, FORM, PERIOD, PLATFORM, PLATFORMS, TEXT, UNIT, FormSpec
from luoshan_xl.roster import Roster
from luoshan_xl.values import (
    BadValue,
    account_key,
    clean_text,
    is_blank,
    parse_count,
    parse_date,
    parse_period,
    parse_platform,
)
from luoshan_xl.xlsxread import Book, Grid, open_book

MAX_NAME_CHARS = 100
MAX_BULK_ROWS = 100_000
# The master's sheets (master.py uses these names): a workbook with all three is a master or its
# backup, which must never be merged into a master as if it were a unit's form.
MASTER_SHEETS = ("月度数据", "新媒体账号", "报送记录")
IS_MASTER = "is_master"


@dataclass(slots=True)
class MonthlyRecord:
    period: str
    unit: str
    category: str
    disclosure: int | None
    portal: int | None
    source: str
    sha256: str = ""  # of the source file: which version of a unit's form is in effect


@dataclass(slots=True)
class AccountRecord:
    period: str
    name: str
    platform: str
    host: str
    last_update: dt.date | None
    updates: int | None
    reporter: str
    source: str


@dataclass
class Submission:
    file: str
    path: Path
    sha256: str
    mtime: float
    kind: str = "form"  # "form" or "bulk"
    records: list[MonthlyRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # What a rejected form says it is (when readable), so the summary and 报送情况 can name it.
    claimed_unit: str | None = None
    claimed_period: str | None = None
    period_cell: tuple[str, str] | None = None  # (sheet, cell) where the form states its period

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def keys(self) -> set[tuple[str, str]]:
        return {(r.unit, r.period) for r in self.records}

    @property
    def unit(self) -> str | None:
        units = {r.unit for r in self.records}
        if len(units) == 1:
            return next(iter(units))
        return f"（{len(units)}个单位）" if units else self.claimed_unit

    @property
    def period(self) -> str | None:
        periods = sorted({r.period for r in self.records})
        if not periods:
            return self.claimed_period
        return periods[0] if len(periods) == 1 else f"{periods[0]}～{periods[-1]}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_hashed(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    """A file's bytes (up to the size limit, see `read_capped`) and the SHA-256 of the whole file:
    one read for both the hash and the checks."""
    data = read_capped(path, limits)
    if len(data) > limits.max_file_bytes:  # too large, to be refused: still hashed in full
        return data, file_sha256(path)
    return data, hashlib.sha256(data).hexdigest()


def read_submission(path: Path, display: str, roster: Roster, expected_period: str | None = None,
                    limits: Limits = DEFAULT_LIMITS, spec: FormSpec = FORM, *, data: bytes | None = None,
                    sha256: str | None = None) -> Submission:
    """One file read, checked and validated.  `data` and `sha256`: its bytes and their hash, when the
    caller has them already (`read_hashed`)."""
    path = path if isinstance(path, Path) else Path(path)
    sub = Submission(file=display, path=path, sha256="", mtime=0.0)
    try:
        if data is None:
            data, sub.sha256 = read_hashed(path, limits)
        else:
            sub.sha256 = sha256 or hashlib.sha256(data).hexdigest()
        sub.mtime = path.stat().st_mtime
        book = open_book(path, limits, data=data)
        _read_book(book, sub, roster, expected_period, spec)
    except RejectedFile as exc:
        sub.records.clear()
        sub.accounts.clear()
        sub.problems = [Problem(display, exc.sheet, exc.cell, exc.code, exc.message)]
    return sub


# -- locating the fields ---------------------------------------------------------


@dataclass
class _Located:
    sheet: str
    fields: dict[str, tuple[int, int]]  # key → cell
    table_rows: list[int]  # rows of the account table
    table_cols: dict[str, int]  # column key → column


def _read_book(book: Book, sub: Submission, roster: Roster, expected_period: str | None, spec: FormSpec) -> None:
    if set(MASTER_SHEETS) <= set(book.sheet_names):
        raise RejectedFile(IS_MASTER, "这是 luoshan-xl 的总表（或总表的备份），不是报送表，已跳过。")
    located = _by_defined_names(book, spec)
    if located is None:
        # A bulk sheet has 期间 and 单位名称 side by side in one header row; a form has them stacked.
        for sheet in book.sheet_names:
            if sheet in book.hidden_sheets or sheet in _own_sheets(spec):
                continue
            bulk = _find_bulk_header(book.grid(sheet))
            if bulk is not None:
                sub.kind = "bulk"
                _read_bulk(book.grid(sheet), bulk, sub, roster)
                return
        located = _by_labels(book, spec)
    if located is not None:
        _read_form(book, located, sub, roster, expected_period, spec)
        return
    raise RejectedFile(
        "unknown_layout",
        "这不是本系统的报送表：找不到“单位名称”“报送期间”等填报项。请使用 luoshan-xl template 生成的"
        f"“{spec.sheet}”报送表填写（可向县政府办索取），不要自行制表。",
    )


def _by_defined_names(book: Book, spec: FormSpec) -> _Located | None:
    names = {k.lower(): v for k, v in book.defined_names.items()}
    refs = {}
    for f in spec.fields:
        ref = parse_reference(names.get(f.key.lower(), ""))
        if ref is None or ref[0] not in book.sheet_names:
            if names.get(f.key.lower(), "").lstrip("=").startswith("#REF!") and spec.sheet not in book.sheet_names:
                raise RejectedFile(
                    "unknown_layout",
                    f"报送表中的“{spec.sheet}”工作表被删除了，无法读取。请使用 luoshan-xl template 生成的报送表"
                    f"重新填写（不要删除或改名“{spec.sheet}”工作表）。")
            return None
        refs[f.key] = ref
    sheets = {r[0] for r in refs.values()}
    if len(sheets) != 1:
        return None
    sheet = sheets.pop()
    table = parse_reference(names.get(spec.table.key.lower(), ""))
    fields = {k: r[1] for k, r in refs.items()}
    if table is not None and table[0] == sheet and table[2][1] - table[1][1] + 1 == len(spec.table.columns):
        (r1, c1), (r2, _) = table[1], table[2]
        return _Located(sheet, fields, list(range(r1, r2 + 1)),
                        {col.key: c1 + i for i, col in enumerate(spec.table.columns)})
    # The account table's name is gone or damaged: find it by its header labels.
    rows, cols = _find_table(book.grid(sheet), spec)
    return _Located(sheet, fields, rows, cols)


def _label_key(value: object) -> str:
    s = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"[\s:：*＊]", "", s)


def _own_sheets(spec: FormSpec) -> set[str]:
    """Our help and meta sheets: they carry the labels too, but never the data."""
    return {spec.help_sheet, spec.meta_sheet}


def _by_labels(book: Book, spec: FormSpec) -> _Located | None:
    wanted = {_label_key(lbl): f.key for f in spec.fields for lbl in f.labels}
    for sheet in book.sheet_names:
        if sheet in book.hidden_sheets or sheet in _own_sheets(spec):
            continue
        grid = book.grid(sheet)
        found: dict[str, tuple[int, int]] = {}
        for r, c, v in grid.cells():
            if not isinstance(v, str) or len(v) > 40:
                continue
            key = wanted.get(_label_key(v))
            if key and key not in found:
                found[key] = _value_right_of(grid, r, c)
        if "unit_name" in found and ("disclosure_count" in found or "portal_adopted" in found):
            rows, cols = _find_table(grid, spec)
            for f in spec.fields:
                found.setdefault(f.key, None)
            return _Located(sheet, found, rows, cols)
    return None


def _value_right_of(grid: Grid, r: int, c: int) -> tuple[int, int]:
    for cc in range(c + 1, min(c + 8, max(grid.n_cols, c + 2))):
        if not is_blank(grid.get(r, cc)):
            return (r, cc)
    return (r, c + 1)


def _find_table(grid: Grid, spec: FormSpec) -> tuple[list[int], dict[str, int]]:
    labels = {_label_key(lbl): col.key for col in spec.table.columns for lbl in col.labels}
    for r in range(min(grid.n_rows, 200)):
        cols: dict[str, int] = {}
        for c in range(min(grid.n_cols, 30)):
            v = grid.get(r, c)
            if isinstance(v, str):
                key = labels.get(_label_key(v))
                if key and key not in cols:
                    cols[key] = c
        if "account" in cols and "platform" in cols:
            last = min(grid.n_rows, r + 1 + 500)
            return list(range(r + 1, last)), cols
    return [], {}


# -- reading and validating -----------------------------------------------------------


def _read_form(book: Book, loc: _Located, sub: Submission, roster: Roster, expected_period: str | None,
               spec: FormSpec) -> None:
    grid = book.grid(loc.sheet)
    uncached = book.uncached_formulas(loc.sheet)
    problems = sub.problems

    def problem(cell: tuple[int, int] | None, code: str, message: str) -> None:
        problems.append(Problem(sub.file, loc.sheet, a1(*cell) if cell else None, code, message))

    def raw(cell: tuple[int, int] | None):
        if cell is None:
            return None
        if cell in uncached:
            problem(cell, "formula_no_value", "这里是公式但没有计算结果。请在 WPS 或 Excel 中打开此文件，确认数值显示正确后保存，再重新发送。")
            return _UNCACHED
        return grid.get(*cell)

    values: dict[str, object] = {}
    for f in spec.fields:
        cell = loc.fields.get(f.key)
        v = raw(cell)
        if v is _UNCACHED:
            values[f.key] = None
            continue
        if cell is None and f.required:
            problem(None, "missing_field", f"找不到“{f.label}”一项。请使用 luoshan-xl template 生成的报送表填写。")
            continue
        values[f.key] = _parse_field(f.kind, f.label, v, cell, problem, roster, None, required=f.required)

    unit = values.get("unit_name")
    period = values.get("period")
    sub.claimed_unit = unit if isinstance(unit, str) else None
    sub.claimed_period = period if isinstance(period, str) else None
    if loc.fields.get("period"):
        sub.period_cell = (loc.sheet, a1(*loc.fields["period"]))
    if period and expected_period and period != expected_period:
        problem(loc.fields.get("period"), "wrong_period",
                f"报送期间是 {period}，但本次汇总的是 {expected_period}。请确认是否发错了月份的报表；"
                f"如果是 {expected_period} 的数据，请改正报送期间后重新发送。")
    for key in ("disclosure_count", "portal_adopted"):
        values.setdefault(key, None)

    seen_accounts: dict[str, int] = {}
    table_cols = list(loc.table_cols.values())
    used = grid.rows_with_values(table_cols) | {r for r, c in uncached if c in table_cols}
    for r in loc.table_rows:
        if r not in used:
            continue  # an unused row of the table: most of them
        cells = {key: (r, c) for key, c in loc.table_cols.items()}
        raws = {key: raw(cell) for key, cell in cells.items()}
        if all(is_blank(v) or v is _UNCACHED for v in raws.values()):
            continue
        row: dict[str, object] = {}
        for col in spec.table.columns:
            if col.key not in cells:
                continue
            v = raws[col.key]
            if v is _UNCACHED:
                row[col.key] = None
                continue
            required = col.key in ("account", "platform", "updates")
            row[col.key] = _parse_field(col.kind, col.label, v, cells[col.key], problem, roster,
                                        period if isinstance(period, str) else None, required=required)
        name, platform = row.get("account"), row.get("platform")
        if name and platform:
            k = account_key(name, platform)
            if k in seen_accounts:
                problem(cells["account"], "duplicate_account",
                        f"账号“{name}”（{platform}）在第 {seen_accounts[k] + 1} 行已填写过，请删除重复的一行。")
            seen_accounts[k] = r
        if name and platform and isinstance(period, str) and isinstance(unit, str):
            sub.accounts.append(AccountRecord(
                period=period, name=name, platform=platform, host=row.get("host") or unit,
                last_update=row.get("last_update"), updates=row.get("updates"), reporter=unit, source=sub.file))

    if problems or not (isinstance(unit, str) and isinstance(period, str)):
        sub.accounts.clear()
        return
    sub.records.append(MonthlyRecord(sha256=sub.sha256, period=period, unit=unit, category=roster.by_name[unit].category,
                                     disclosure=values["disclosure_count"], portal=values["portal_adopted"],
                                     source=sub.file))


_UNCACHED = object()


def _parse_field(kind: str, label: str, value: object, cell, problem, roster: Roster, period: str | None,
                 required: bool = False):
    if is_blank(value):
        if required:
            problem(cell, "required", f"{label}：没有填写，请填写后重新发送。")
        return None
    try:
        if kind == COUNT:
            return parse_count(value)
        if kind == PERIOD:
            return parse_period(value)
        if kind == DATE:
            return parse_date(value, period)
        if kind == PLATFORM:
            return parse_platform(value, PLATFORMS)
        if kind == UNIT:
            unit = roster.match(value)
            if unit is None:
                problem(cell, "unknown_unit", roster.unknown_unit_message(str(value).strip(), label))
                return None
            return unit.name
        if kind == TEXT:
            text = clean_text(value)
            if text and len(text) > MAX_NAME_CHARS:
                problem(cell, "too_long", f"{label}：超过 {MAX_NAME_CHARS} 个字，请只填写名称。")
                return None
            return text
    except BadValue as exc:
        problem(cell, exc.code, f"{label}：{exc.message}")
        return None
    raise AssertionError(kind)


# -- bulk history sheets -----------------------------------------------------------

_BULK_COLUMNS = {
    "period": ("期间", "报送期间", "月份"),
    "unit": ("单位名称", "单位"),
}


def _find_bulk_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    for r in range(min(grid.n_rows, 10)):
        cols: dict[str, int] = {}
        for c in range(min(grid.n_cols, 30)):
            v = grid.get(r, c)
            if not isinstance(v, str):
                continue
            k = _label_key(v)
            for key, labels in _BULK_COLUMNS.items():
                if k in labels and key not in cols:
                    cols[key] = c
            if "信息公开" in k and "disclosure" not in cols:
                cols["disclosure"] = c
            elif "采用" in k and "portal" not in cols:
                cols["portal"] = c
        if "period" in cols and "unit" in cols and ("disclosure" in cols or "portal" in cols):
            return r, cols
    return None


def _read_bulk(grid: Grid, header: tuple[int, dict[str, int]], sub: Submission, roster: Roster) -> None:
    header_row, cols = header
    seen: dict[tuple[str, str], int] = {}

    def problem(cell, code, message):
        sub.problems.append(Problem(sub.file, grid.name, a1(*cell) if cell else None, code, message))

    if grid.n_rows - header_row > MAX_BULK_ROWS:
        raise RejectedFile("too_many_rows", f"历史数据表超过 {MAX_BULK_ROWS} 行，请分成几个文件。", sheet=grid.name)
    for r in range(header_row + 1, grid.n_rows):
        vals = {k: grid.get(r, c) for k, c in cols.items()}
        if all(is_blank(v) for v in vals.values()):
            continue
        period = _parse_field(PERIOD, "期间", vals["period"], (r, cols["period"]), problem, roster, None, True)
        unit = _parse_field(UNIT, "单位名称", vals["unit"], (r, cols["unit"]), problem, roster, None, True)
        figures = {}
        for key, label in (("disclosure", "信息公开发布数量"), ("portal", "门户网站采用数量")):
            figures[key] = (_parse_field(COUNT, label, vals[key], (r, cols[key]), problem, roster, None)
                            if key in cols else None)
        if not (period and unit):
            continue
        if (unit, period) in seen:
            problem((r, cols["unit"]), "duplicate_row",
                    f"{unit} {period} 的数据在第 {seen[(unit, period)] + 1} 行已有，请删除重复的一行。")
            continue
        seen[(unit, period)] = r
        sub.records.append(MonthlyRecord(period, unit, roster.by_name[unit].category,
                                         figures["disclosure"], figures["portal"], sub.file, sub.sha256))
    if sub.problems:
        sub.records.clear()
    elif not sub.records:
        raise RejectedFile("empty_bulk", "历史数据表中没有数据行。", sheet=grid.name)
