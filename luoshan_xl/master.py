"""The master workbook (总表): the one store of every merged figure, account and file.

Long-format sheets, read back by their header texts (not positions), so a master
that the clerk re-saved in WPS, Excel or LibreOffice still merges and ranks.
Saved atomically with the previous master kept as a backup; one merge at a time.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from luoshan_xl.container import Limits
from luoshan_xl.errors import LuoshanError, RejectedFile
from luoshan_xl.gcpause import with_paused_gc
from luoshan_xl.roster import Roster
from luoshan_xl.submission import MASTER_SHEETS, AccountRecord, MonthlyRecord
from luoshan_xl.values import BadValue, clean_text, parse_count, parse_date, parse_period
from luoshan_xl.xlsxwrite import atomic_path, locked_message

MONTHLY_SHEET, ACCOUNTS_SHEET, AUDIT_SHEET = MASTER_SHEETS
MONTHLY_COLUMNS = ("期间", "单位名称", "类别", "信息公开发布数量", "门户网站采用数量", "来源文件", "来源SHA-256")
ACCOUNT_COLUMNS = ("期间", "账号名称", "平台类型", "主办单位", "最后更新日期", "本月更新条数", "报送单位", "来源文件")
AUDIT_COLUMNS = ("文件名", "SHA-256", "合并时间", "单位", "期间", "结果", "原因")

# The master is ours and large (a province: 10,000 units × 12 months); a unit's form is small.
MASTER_LIMITS = Limits(max_file_bytes=1 << 30, max_member_bytes=2 << 30, max_total_bytes=4 << 30,
                       max_rows=5_000_000, max_cols=64, keep_parts_bytes=0)  # big sheets: calamine

# result codes (JSON) → what the audit sheet and summary show
RESULT_LABELS = {
    "merged": "已合并",
    "replaced": "已替换",
    "duplicate": "重复",
    "conflict": "冲突",
    "rejected": "退回",
    "skipped": "跳过",
}
LABEL_RESULTS = {v: k for k, v in RESULT_LABELS.items()}


@dataclass
class AuditRow:
    file: str
    sha256: str
    time: str
    unit: str
    period: str
    result: str  # a RESULT_LABELS key
    reason: str = ""


@dataclass
class MasterWorkbook:
    path: Path
    monthly: list[MonthlyRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    complete: bool = True  # False when loaded without 报送记录: then it must never be saved

    @property
    def backup_path(self) -> Path:
        return backup_path(self.path)

    def merge_rows(self) -> dict[str, AuditRow]:
        """Each file hash ever merged (or merged as a replacement) → its latest audit row."""
        return {a.sha256: a for a in self.audit if a.result in ("merged", "replaced")}

    def current_shas(self) -> dict[str, AuditRow]:
        """Hashes of the files whose figures are in the master now, with their audit rows.

        Re-sending one of these is a duplicate; re-sending an older version that was since replaced
        is not (unless the version in effect arrives in the same run): it replaces again, as a
        unit that changes its mind expects.  Decided per row by the row's source hash; rows of a
        master written before rows carried it fall back to their source file's latest merge."""
        merged = self.merge_rows()
        current = {m.sha256 for m in self.monthly if m.sha256}
        unhashed = {m.source for m in self.monthly if not m.sha256}
        if unhashed:
            latest = {a.file: a.sha256 for a in self.audit if a.result in ("merged", "replaced") and a.file in unhashed}
            current |= set(latest.values())
        return {sha: merged[sha] for sha in current if sha in merged}

    def keys_of(self, sha: str) -> set[tuple[str, str]]:
        return {(m.unit, m.period) for m in self.monthly if m.sha256 == sha}

    def periods(self) -> list[str]:
        return sorted({r.period for r in self.monthly} | {a.period for a in self.accounts})

    # -- loading ---------------------------------------------------------------

    @classmethod
    @with_paused_gc
    def load(cls, path: Path, roster: Roster, audit: bool = True) -> MasterWorkbook:
        """Read the master.  `audit=False` leaves 报送记录 unread (rank and notice do not need it;
        such a master must not be saved)."""
        path = Path(path)
        return cls._from_book(path, _read_sheets(path, audit), roster, audit)

    @classmethod
    def reading(cls, path: Path, audit: bool = True) -> MasterReading:
        """`load`, begun in a thread (and its sheets read side by side): the caller loads the
        roster and imports pandas meanwhile, then calls `finish(roster)`."""
        return MasterReading(Path(path), audit)

    @classmethod
    def _from_book(cls, path: Path, book, roster: Roster, audit: bool,
                   accounts: list[AccountRecord] | None = None) -> MasterWorkbook:
        """`accounts`: 新媒体账号 as `_accounts_by_column` already gave it (MasterReading.accounts)."""
        if book is None:
            return cls(path)
        master = cls(path, complete=audit)
        problems: list[str] = []
        first_row: dict[tuple[str, str], int] = {}
        monthly_grid = book.grid(MONTHLY_SHEET)
        # 来源SHA-256 came with 0.1's review; a master without it still reads (hashes then unknown).
        columns = MONTHLY_COLUMNS if _has_column(monthly_grid, MONTHLY_COLUMNS[-1]) else MONTHLY_COLUMNS[:-1]
        # A province's master repeats a few periods and units over 100,000 rows: each read once.
        match, period_of = _memo(roster.match), _memo(parse_period)
        master.monthly = _monthly_by_column(monthly_grid, columns, roster) or []
        for (period, unit, _category, disclosure, portal, source, *sha), r in _rows_left(
                master.monthly, monthly_grid, columns, path, problems):
            try:
                found = match(unit)
                period = period_of(period)
                if period is None or found is None:
                    raise BadValue("bad", f"期间或单位名称“{unit}”无效")
                if (found.name, period) in first_row:
                    raise BadValue("duplicate", f"{found.name} {period} 的数据与第 {first_row[(found.name, period)] + 1} "
                                                "行重复，请删除其中一行")
                first_row[(found.name, period)] = r
                master.monthly.append(MonthlyRecord(period, found.name, found.category, parse_count(disclosure),
                                                    parse_count(portal), clean_text(source) or "",
                                                    (clean_text(sha[0]) or "") if sha else ""))
            except BadValue as exc:
                problems.append(f"“{MONTHLY_SHEET}”第 {r + 1} 行：{exc.message}")
        accounts_grid = book.grid(ACCOUNTS_SHEET)
        if accounts is None:
            accounts = _accounts_by_column(accounts_grid, roster)
        master.accounts = accounts or []
        for (period, name, platform, host, last, updates, reporter, source), r in _rows_left(
                master.accounts, accounts_grid, ACCOUNT_COLUMNS, path, problems):
            try:
                period = period_of(period)
                if period is None:
                    raise BadValue("bad", "期间为空")
                host_unit, reporter_unit = match(host), match(reporter)
                master.accounts.append(AccountRecord(
                    period, clean_text(name) or "", clean_text(platform) or "",
                    host_unit.name if host_unit else (clean_text(host) or ""),
                    parse_date(last, None), parse_count(updates),
                    reporter_unit.name if reporter_unit else (clean_text(reporter) or ""),
                    clean_text(source) or ""))
            except BadValue as exc:
                problems.append(f"“{ACCOUNTS_SHEET}”第 {r + 1} 行：{exc.message}")
        if audit:
            audit_grid = book.grid(AUDIT_SHEET)
            master.audit = _audit_by_column(audit_grid) or []
            for values, _r in _rows_left(master.audit, audit_grid, AUDIT_COLUMNS, path, problems):
                texts = [clean_text(v) or "" for v in values]
                master.audit.append(AuditRow(*texts[:5], _result(texts[5]), texts[6]))
        if problems:
            shown = problems[:20] + ([f"……另有 {len(problems) - 20} 处"] if len(problems) > 20 else [])
            raise LuoshanError(f"总表“{path.name}”中有无法识别的数据，请改正后重试（或用备份"
                               f"“{backup_path(path).name}”替换）：\n" + "\n".join("  - " + p for p in shown))
        return master

    # -- saving -------------------------------------------------------------

    @with_paused_gc
    def save(self, rotate_backup: bool = True) -> None:
        """Write the master; the previous one becomes the backup unless `rotate_backup` is False
        (a run that changed no figure keeps the backup a real step back)."""
        if not self.complete:
            raise RuntimeError("a master loaded without its 报送记录 cannot be saved")
        from luoshan_xl.tablebook import Table, write_tables

        backup = self.backup_path if rotate_backup else None
        monthly = sorted(self.monthly, key=lambda m: (m.period, m.unit))
        accounts = sorted(self.accounts, key=lambda a: (a.period, a.reporter, a.name))
        tables = [
            Table(MONTHLY_SHEET, MONTHLY_COLUMNS, (10, 24, 10, 20, 20, 36, 20),
                  [(m.period, m.unit, m.category, m.disclosure, m.portal, m.source, m.sha256) for m in monthly]),
            Table(ACCOUNTS_SHEET, ACCOUNT_COLUMNS, (10, 30, 12, 22, 14, 14, 22, 36),
                  [(a.period, a.name, a.platform, a.host, a.last_update, a.updates, a.reporter, a.source)
                   for a in accounts]),
            Table(AUDIT_SHEET, AUDIT_COLUMNS, (36, 20, 20, 22, 18, 8, 80),
                  [(a.file, a.sha256, a.time, a.unit, a.period, RESULT_LABELS[a.result], a.reason)
                   for a in self.audit]),
        ]
        with atomic_path(self.path, backup=backup, check_open=False) as tmp:
            write_tables(tmp, tables)
        _record_hash(self.path)


def _read_sheets(path: Path, audit: bool, side_by_side: bool = False, on_open=None):
    """The master's book with the sheets `load` needs read, or None when there is no master yet.

    `side_by_side` reads 新媒体账号 (and 报送记录) ahead in threads while 月度数据 is read here,
    each with its own copy of the shared strings (some 50 MB a sheet at province scale): for rank
    and notice, which wait for the read; merge, whose memory is bounded, reads one sheet after the
    other.  `on_open(book)` is called once the reads have begun."""
    from luoshan_xl.xlsxread import open_book

    if not path.exists():
        return None
    try:
        book = open_book(path, MASTER_LIMITS, trusted_sha256=_saved_hash(path))
        for sheet in (MONTHLY_SHEET, ACCOUNTS_SHEET, AUDIT_SHEET):
            if sheet not in book.sheet_names:
                raise LuoshanError(f"“{path.name}”不是 luoshan-xl 的总表：缺少“{sheet}”工作表。"
                                   "请用 --master 指定 luoshan-xl merge 生成的总表，或指定一个新文件名。")
        sheets = [MONTHLY_SHEET, ACCOUNTS_SHEET] + ([AUDIT_SHEET] if audit else [])
        if side_by_side:
            book.read_ahead(sheets[1:])
        if on_open is not None:
            on_open(book)
        try:
            for sheet in sheets:
                book.grid(sheet)  # a damaged sheet fails here, with the master's message below
        finally:
            book.wait_ahead()  # a failed sheet leaves no read-ahead thread running
    except RejectedFile as exc:
        if exc.code == "locked":
            raise LuoshanError(locked_message(path)) from exc
        backup = backup_path(path)
        hint = f"如果总表损坏，可用备份“{backup.name}”替换后重试。" if backup.exists() else ""
        where = f"（“{exc.sheet}”工作表无法读取）" if exc.sheet else ""
        raise LuoshanError(f"“{path.name}”无法作为总表读取{where}：它不是 luoshan-xl merge 生成的 "
                           f"Excel 总表，或文件已损坏。请用 --master 指定正确的总表文件。{hint}") from exc
    except PermissionError as exc:
        raise LuoshanError(locked_message(path)) from exc
    return book


class MasterReading:
    """A master being read in a thread (python-calamine lets go of the GIL while it parses)."""

    def __init__(self, path: Path, audit: bool) -> None:
        import threading

        self.path, self.audit = path, audit
        self._book, self._error = None, None
        self._opened, self._open_book = threading.Event(), None
        self._early: tuple[Roster, list[AccountRecord]] | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self._book = _read_sheets(self.path, self.audit, side_by_side=True, on_open=self._on_open)
        except BaseException as exc:  # noqa: BLE001 - raised again by finish(), in the caller's thread
            self._error = exc
        finally:
            self._opened.set()

    def _on_open(self, book) -> None:
        self._open_book = book
        self._opened.set()

    @with_paused_gc
    def accounts(self, roster: Roster) -> list[AccountRecord] | None:
        """The accounts as `finish` will give them, read while 月度数据 (five times the size) is still
        being read, so 附件3 can be built meanwhile.  None when they must wait for `finish`: an
        error, or a sheet the column-wise read leaves to the row-by-row one (which words problems)."""
        self._opened.wait()
        grid = self._open_book.ahead_grid(ACCOUNTS_SHEET) if self._open_book is not None else None
        accounts = _accounts_by_column(grid, roster) if grid is not None else None
        self._early = (roster, accounts) if accounts is not None else None
        return accounts

    @with_paused_gc
    def finish(self, roster: Roster) -> MasterWorkbook:
        """Wait for the read; the master as `load` gives it, or the error `load` would raise."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        early = self._early[1] if self._early is not None and self._early[0] is roster else None
        return MasterWorkbook._from_book(self.path, self._book, roster, self.audit, accounts=early)


def own_files(path: Path) -> set[Path]:
    """The master and what we keep beside it: never inputs of a merge."""
    return {p.resolve() for p in (path, backup_path(path), hash_path(path), lock_path(path))}


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def hash_path(path: Path) -> Path:
    """Beside the master, the SHA-256 of the file as we last wrote it (see open_book's trusted_sha256)."""
    return path.with_name(f".{path.name}.sha256")


def _saved_hash(path: Path) -> str | None:
    try:
        return hash_path(path).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _record_hash(path: Path) -> None:
    from luoshan_xl.submission import file_sha256

    target = hash_path(path)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_text(file_sha256(path), encoding="ascii")
        os.replace(tmp, target)
    except OSError:  # only a speed-up: without it the next read checks the file in full
        tmp.unlink(missing_ok=True)


def hide_on_windows(path: Path) -> None:
    """Give our sidecar files (lock, hash) the hidden attribute, as dot-files are on other systems."""
    if os.name == "nt":
        import ctypes

        ctypes.windll.kernel32.SetFileAttributesW(str(path), 0x02)


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.备份{path.suffix}")


def _memo(parse):
    """`parse` remembered by its argument and the argument's type (True == 1 == 1.0, but a tick box
    is not a count); values that cannot be keys are parsed each time, and errors are not
    remembered, so each bad row is reported."""
    seen: dict = {}

    def parsed(value):
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            result = seen[key] = parse(value)
            return result
        except TypeError:
            return parse(value)

    return parsed


def _header(grid) -> list[str]:
    """A sheet's first row as trimmed texts ("" for blanks)."""
    return [str(v).strip() if v is not None else "" for v in (grid.get(0, c) for c in range(grid.n_cols))]


def _has_column(grid, name: str) -> bool:
    return name in _header(grid)


def _rows(grid, columns: tuple[str, ...], path: Path, problems: list[str]):
    """Data rows of a master sheet as lists in the order of `columns`, found by header text."""
    idx = _column_index(grid, columns)
    if isinstance(idx, str):
        problems.append(idx)
        return
    for r, values in grid.select(idx, 1):
        if any(values):  # a row of nothing but blanks (and zeros) carries no record
            yield values, r


def _rows_left(records: list, grid, columns: tuple[str, ...], path: Path, problems: list[str]):
    """The rows the row-by-row loop reads: none when the column-wise read gave `records`."""
    return () if records else _rows(grid, columns, path, problems)


def _result(label: str) -> str:
    """A 结果 label back to its RESULT_LABELS key; one we do not know reads as merged."""
    return LABEL_RESULTS.get(label, "merged")


def _column_index(grid, columns: tuple[str, ...]) -> list[int] | str:
    """Where `columns` are, by header text; or the problem when some are missing."""
    header = _header(grid)
    missing = [c for c in columns if c not in header]
    if missing:
        return f"“{grid.name}”工作表第 1 行缺少列：" + "、".join(missing)
    return [header.index(c) for c in columns]


# -- reading a clean sheet a column at a time ---------------------------------------------------------
# A province's master is 120,000 rows of a few distinct periods, units and counts: each distinct
# value is parsed once and the records are built by C-level maps.  These give exactly the records
# the row-by-row loops in `load` give, or None whenever a row needs those loops (a bad value, a
# duplicate, a blank row): the loops then read the sheet and word the problems.


class _RowByRow(Exception):
    """A value the column-wise read leaves to the row-by-row one."""


def _columns(grid, columns: tuple[str, ...]) -> list[tuple] | None:
    idx = _column_index(grid, columns)
    if isinstance(idx, str) or not hasattr(grid, "columns"):
        return None
    cols = grid.columns(idx, 1)
    # No blank-row test here: a blank row has a blank period, which the monthly and account reads
    # require (the audit read tests for it itself).
    return None if cols is None or not cols[0] else cols


def _by_value(column: tuple, parse, required: bool = False) -> list:
    """`parse` of each value, computed once per distinct value; a value it rejects (or gives None
    for, when `required`) leaves the sheet to the row-by-row read."""
    if bool in set(map(type, column)):  # True == 1: a set would give True the result of 1
        raise _RowByRow
    try:
        parsed = {v: parse(v) for v in set(column)}
    except (BadValue, TypeError) as exc:
        raise _RowByRow from exc
    if required and any(p is None for p in parsed.values()):
        raise _RowByRow
    return list(map(parsed.__getitem__, column))


def _texts(column: tuple) -> list[str]:
    """clean_text(v) or "" of each value; for text (nearly always) that is v.strip()."""
    if set(map(type, column)) == {str}:
        return list(map(str.strip, column))
    return [clean_text(v) or "" for v in column]


def _monthly_by_column(grid, columns: tuple[str, ...], roster: Roster) -> list[MonthlyRecord] | None:
    cols = _columns(grid, columns)
    if cols is None:
        return None
    period, unit, _category, disclosure, portal, source, *sha = cols
    try:
        periods = _by_value(period, parse_period, required=True)
        units = _by_value(unit, roster.match, required=True)
        names = [u.name for u in units]
        if len(set(zip(names, periods, strict=True))) != len(names):
            raise _RowByRow  # a unit's month twice: the loop says which rows
        return list(map(MonthlyRecord, periods, names, [u.category for u in units], _by_value(disclosure, parse_count),
                        _by_value(portal, parse_count), _texts(source),
                        _texts(sha[0]) if sha else [""] * len(names)))
    except _RowByRow:
        return None


def _accounts_by_column(grid, roster: Roster) -> list[AccountRecord] | None:
    cols = _columns(grid, ACCOUNT_COLUMNS)
    if cols is None:
        return None
    period, name, platform, host, last, updates, reporter, source = cols

    def unit_or_text(value):
        unit = roster.match(value)
        return unit.name if unit else (clean_text(value) or "")

    try:
        return list(map(AccountRecord, _by_value(period, parse_period, required=True), _texts(name), _texts(platform),
                        _by_value(host, unit_or_text), _by_value(last, lambda v: parse_date(v, None)),
                        _by_value(updates, parse_count), _by_value(reporter, unit_or_text), _texts(source)))
    except _RowByRow:
        return None


def _audit_by_column(grid) -> list[AuditRow] | None:
    cols = _columns(grid, AUDIT_COLUMNS)
    if cols is None or not all(map(any, zip(*cols, strict=True))):
        return None  # a row of blanks (and zeros): the loop skips it
    file, sha, time, unit, period, result, reason = map(_texts, cols)
    return list(map(AuditRow, file, sha, time, unit, period, map(_result, result), reason))


def remove_stale_temp_files(path: Path) -> None:
    """Temp files of a save that was killed (.总表.<pid>.tmp.xlsx, and the backup's).  Call holding the lock."""
    from luoshan_xl.xlsxwrite import temp_glob

    for pattern in (temp_glob(path), temp_glob(backup_path(path))):
        for stale in path.parent.glob(pattern):
            stale.unlink(missing_ok=True)


def check_not_open(path: Path) -> None:
    from luoshan_xl.xlsxwrite import check_not_open as check

    check(path, "总表")


@contextmanager
def master_lock(path: Path):
    """One merge at a time per master: an OS lock on a sidecar file, released when the process ends."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    f = open(lock, "a+b")
    hide_on_windows(lock)
    try:
        if os.name == "nt":
            import msvcrt

            try:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            except OSError as exc:
                raise LuoshanError(_busy_message(path)) from exc
        else:
            import fcntl

            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise LuoshanError(_busy_message(path)) from exc
        yield
    finally:
        f.close()


def _busy_message(path: Path) -> str:
    return f"另一个 luoshan-xl 命令正在写入总表“{path.name}”。请等它完成后再运行（不要同时运行两次合并）。"
