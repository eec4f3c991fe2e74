"""Reading the master a column at a time gives what reading it row by row gives.

`MasterWorkbook.load` reads a clean sheet column-wise (each distinct value parsed once) and
leaves any sheet with a bad value, a duplicate or a blank row to the row-by-row loop, which
words the problems.  These tests load the same masters both ways and compare the records, or
the error, exactly — on random sheets drawn from the values a re-saved master can hold.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pytest

from luoshan_xl import master as master_module
from luoshan_xl.errors import LuoshanError
from luoshan_xl.master import ACCOUNT_COLUMNS, MONTHLY_COLUMNS, MasterWorkbook
from luoshan_xl.roster import Roster
from luoshan_xl.submission import AccountRecord, MonthlyRecord
from luoshan_xl.xlsxread import Grid

PERIODS = ["2019-08", "2019-07", "2019年8月", "2019.8", dt.datetime(2019, 8, 1), 43678.0, "", None, "八月", True]
UNITS = ["朱堂乡", "尤店乡", "市场监管局", " 应急局 ", "法院", "人民法院", "不存在的局", "", None, 1.0]
COUNTS = [0, 0.0, 12, 12.0, "12", "12条", " 7 ", "１２", None, "", -1, 3.5, "很多", True, 1, 1.0, False]
TEXTS = ["a.xlsx", " b.xlsx ", "", None, 12.0, "=1+1", "\u3000c\u3000"]
DATES = [dt.datetime(2019, 8, 26), "2019-08-26", 43703.0, None, "", "8月26日", "昨天", True, 1]  # from 8月26日: bad
# (a master row carries no period for a date without its year)
PLATFORMS = ["微信公众号", "抖音", "今日头条", "", None]


def write_master(path: Path, monthly: list[list], accounts: list[list], blank_rows: tuple[int, ...] = (),
                 audit: list[list] = ()) -> Path:
    """A master as a clerk's re-save leaves it (no hash beside it: read with every check)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "月度数据"
    ws.append(MONTHLY_COLUMNS)
    for i, row in enumerate(monthly):
        ws.append([None] * len(MONTHLY_COLUMNS) if i in blank_rows else row)
    ws = wb.create_sheet("新媒体账号")
    ws.append(ACCOUNT_COLUMNS)
    for row in accounts:
        ws.append(row)
    ws = wb.create_sheet("报送记录")
    ws.append(master_module.AUDIT_COLUMNS)
    for row in audit:
        ws.append(row)
    wb.save(path)
    return path


def load_both_ways(path: Path, monkeypatch, audit: bool = False) -> tuple[object, object]:
    """(column-wise result, row-by-row result): the master, or the error message."""
    def load():
        try:
            m = MasterWorkbook.load(path, Roster.default(), audit=audit)
            return (m.monthly, m.accounts, m.audit) if audit else (m.monthly, m.accounts)
        except LuoshanError as exc:
            return str(exc)

    fast = load()
    with monkeypatch.context() as mp:
        for name in ("_monthly_by_column", "_accounts_by_column", "_audit_by_column"):
            mp.setattr(master_module, name, lambda *a: None)
        slow = load()
    return fast, slow


def test_a_clean_master_is_read_column_wise_and_the_same(tmp_path, monkeypatch):
    monthly = [["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", "ab" * 32],
               ["2019-07", "朱堂乡", "乡镇街道", 0, None, " b.xlsx ", ""],
               ["2019-08", "市场监管局", "县直单位", 7.0, "5", "c.xlsx", ""]]
    accounts = [["2019-08", " 罗山发布 ", "微信公众号", "应急局", dt.datetime(2019, 8, 26), 9, "朱堂乡", "a.xlsx"],
                ["2019-08", "不存在的号", "抖音", "外单位", None, None, "外单位", 12.0]]
    path = write_master(tmp_path / "m.xlsx", monthly, accounts)
    calls = []
    real = master_module._monthly_by_column
    monkeypatch.setattr(master_module, "_monthly_by_column", lambda *a: calls.append(1) or real(*a))
    fast, slow = load_both_ways(path, monkeypatch)
    assert calls and fast == slow
    monthly_records, account_records = fast
    assert monthly_records == [
        MonthlyRecord("2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", "ab" * 32),
        MonthlyRecord("2019-07", "朱堂乡", "乡镇街道", 0, None, "b.xlsx", ""),
        MonthlyRecord("2019-08", "市场监督管理局", "县直单位", 7, 5, "c.xlsx", "")]
    assert account_records == [
        AccountRecord("2019-08", "罗山发布", "微信公众号", "应急管理局", dt.date(2019, 8, 26), 9, "朱堂乡", "a.xlsx"),
        AccountRecord("2019-08", "不存在的号", "抖音", "外单位", None, None, "外单位", "12")]


def test_the_column_wise_read_declines_what_needs_the_row_by_row_read(monkeypatch):
    roster = Roster.default()
    good = ["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""]

    def grid(*rows):
        return Grid("月度数据", [list(MONTHLY_COLUMNS), *map(list, rows)])

    assert master_module._monthly_by_column(grid(good), MONTHLY_COLUMNS, roster) is not None
    for bad in ([*good[:3], True, *good[4:]],  # True == 1, but a tick box is not a count
                [*good[:3], "很多", *good[4:]],
                ["", *good[1:]],
                [good[0], "不存在的局", *good[2:]]):
        assert master_module._monthly_by_column(grid(good, bad), MONTHLY_COLUMNS, roster) is None, bad
    one, tick = [*good[:3], 1, *good[4:]], ["2019-07", *good[1:3], True, *good[4:]]
    assert master_module._monthly_by_column(grid(one, tick), MONTHLY_COLUMNS, roster) is None  # True == 1
    assert master_module._monthly_by_column(grid(good, good), MONTHLY_COLUMNS, roster) is None  # a duplicate
    assert master_module._monthly_by_column(grid(good, [None] * 7), MONTHLY_COLUMNS, roster) is None  # blank row
    assert master_module._monthly_by_column(grid(good, good[:4]), MONTHLY_COLUMNS, roster) is None  # short row


def test_the_column_wise_audit_read_declines_blank_rows_and_short_rows():
    good = ["a.xlsx", "ab" * 32, "2019-09-05 09:30:00", "朱堂乡", "2019-08", "退回", "缺少单位名称"]

    def grid(*rows):
        return Grid("报送记录", [list(master_module.AUDIT_COLUMNS), *map(list, rows)])

    assert master_module._audit_by_column(grid(good, [" b.xlsx ", *good[1:5], "某种结果", None])) == [
        master_module.AuditRow("a.xlsx", "ab" * 32, "2019-09-05 09:30:00", "朱堂乡", "2019-08", "rejected", "缺少单位名称"),
        master_module.AuditRow("b.xlsx", "ab" * 32, "2019-09-05 09:30:00", "朱堂乡", "2019-08", "merged", "")]
    for bad in ([None] * 7, [0, "", None, 0.0, "", "", None], good[:5]):
        assert master_module._audit_by_column(grid(good, bad)) is None, bad
    assert master_module._audit_by_column(grid()) is None  # no rows: nothing to read either way


@pytest.mark.parametrize("seed", range(40))
def test_random_masters_read_the_same_both_ways(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    clean = seed % 2 == 0  # half the sheets from clean values only, so the column-wise read is used

    def pick(pool, clean_pool):
        return rng.choice(clean_pool if clean else pool)

    monthly = []
    for _ in range(rng.randint(1, 25)):
        monthly.append([pick(PERIODS, PERIODS[:6]), pick(UNITS, UNITS[:6]), "", pick(COUNTS, COUNTS[:9]),
                        pick(COUNTS, COUNTS[:9]), pick(TEXTS, TEXTS), pick(TEXTS, TEXTS)])
    if clean:  # one row a (unit, period): a duplicate is a problem by design
        seen, unique = set(), []
        for row in monthly:
            key = (Roster.default().match(row[1]).name, master_module.parse_period(row[0]))
            if key not in seen:
                seen.add(key)
                unique.append(row)
        monthly = unique
    accounts = [[pick(PERIODS, PERIODS[:6]), pick(TEXTS, TEXTS), pick(PLATFORMS, PLATFORMS), pick(UNITS, UNITS),
                 pick(DATES, DATES[:5]), pick(COUNTS, COUNTS[:9]), pick(UNITS, UNITS), pick(TEXTS, TEXTS)]
                for _ in range(rng.randint(0, 12))]
    blank = () if clean or rng.random() < 0.5 else (rng.randrange(len(monthly)),)
    results = [*master_module.RESULT_LABELS.values(), "merged", "", None, 0]
    audit = [[pick(TEXTS, TEXTS), pick(TEXTS, TEXTS), "2019-09-05 09:30:00", pick(UNITS, UNITS),
              pick(PERIODS, PERIODS), rng.choice(results), pick(TEXTS, TEXTS)] for _ in range(rng.randint(0, 12))]
    if not clean and audit and rng.random() < 0.5:
        audit.insert(rng.randrange(len(audit)), rng.choice([[None] * 7, [0, "", None, 0.0, None, "", None]]))
    used = []
    for name in ("_monthly_by_column", "_accounts_by_column", "_audit_by_column"):
        real = getattr(master_module, name)
        monkeypatch.setattr(master_module, name, lambda *a, real=real, name=name: _noted(used, name, real(*a)))
    path = write_master(tmp_path / "m.xlsx", monthly, accounts, blank, audit)
    fast, slow = load_both_ways(path, monkeypatch, audit=True)
    assert fast == slow
    if clean:
        assert "_monthly_by_column" in used and ("_accounts_by_column" in used or not accounts)
        assert "_audit_by_column" in used or not audit or isinstance(fast, str)


def _noted(used: list, name: str, result):
    if result:
        used.append(name)
    return result


def test_sheets_read_side_by_side_are_the_sheets_read_one_by_one(tmp_path):
    from luoshan_xl.master import MASTER_LIMITS
    from luoshan_xl.xlsxread import open_book

    path = write_master(tmp_path / "m.xlsx", [["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""]],
                        [["2019-08", "号", "抖音", "朱堂乡", None, 3, "朱堂乡", "a.xlsx"]])
    names = ["月度数据", "新媒体账号", "报送记录"]
    alone = open_book(path, MASTER_LIMITS)
    together = open_book(path, MASTER_LIMITS)
    together.read_ahead([*names, "没有这个表"])
    assert set(together._ahead) == set(names)  # each read ahead by calamine, in a thread
    for name in names:
        ahead = together.ahead_grid(name)
        assert ahead is not None and ahead.rows == alone.grid(name).rows
        assert together.grid(name) is ahead
    assert together.ahead_grid("没有这个表") is None


def test_load_and_save_pause_the_cyclic_collector_and_turn_it_back_on(tmp_path, monkeypatch):
    import gc

    from luoshan_xl.gcpause import paused_gc

    seen = []
    real = master_module.MasterWorkbook._from_book.__func__
    monkeypatch.setattr(master_module.MasterWorkbook, "_from_book",
                        classmethod(lambda cls, *a: seen.append(gc.isenabled()) or real(cls, *a)))
    path = write_master(tmp_path / "m.xlsx", [["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""]], [])
    m = MasterWorkbook.load(path, Roster.default())
    assert seen == [False] and gc.isenabled()
    m.save()
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    with pytest.raises(LuoshanError):
        (tmp_path / "bad.xlsx").write_bytes(b"x")
        MasterWorkbook.load(tmp_path / "bad.xlsx", Roster.default())
    assert gc.isenabled()


def test_accounts_read_early_are_the_accounts_finish_gives_and_are_not_parsed_twice(tmp_path, monkeypatch):
    """rank builds 附件3 from `MasterReading.accounts` while 月度数据 is still read; `finish` keeps them."""
    path = write_master(tmp_path / "m.xlsx", [["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""]],
                        [["2019-08", "罗山发布", "抖音", "朱堂乡", dt.datetime(2019, 8, 3), 4, "朱堂乡", "a.xlsx"],
                         ["2019-08", " 号 ", "微信公众号", "县应急局", None, "7条", "应急局", "b.xlsx"]])
    roster = Roster.default()
    loaded = MasterWorkbook.load(path, roster, audit=False)
    reading = MasterWorkbook.reading(path, audit=False)
    early = reading.accounts(roster)
    assert early == loaded.accounts and [a.name for a in early] == ["罗山发布", "号"]
    calls = []
    real = master_module._accounts_by_column
    monkeypatch.setattr(master_module, "_accounts_by_column", lambda *a: calls.append(a) or real(*a))
    read = reading.finish(roster)
    assert read.accounts is early and calls == []
    assert read.monthly == loaded.monthly
    # with another roster, finish parses them again (names are matched against the roster)
    other = MasterWorkbook.reading(path, audit=False)
    other.accounts(roster)
    assert len(calls) == 1
    assert other.finish(Roster.default()).accounts == early and len(calls) == 2


def test_accounts_that_need_the_row_by_row_read_wait_for_finish_and_its_message(tmp_path):
    path = write_master(tmp_path / "m.xlsx", [["2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""]],
                        [["2019-08", "罗山发布", "抖音", "朱堂乡", None, "很多", "朱堂乡", "a.xlsx"]])
    roster = Roster.default()
    reading = MasterWorkbook.reading(path, audit=False)
    assert reading.accounts(roster) is None
    with pytest.raises(LuoshanError) as caught:
        reading.finish(roster)
    assert "“新媒体账号”第 2 行：" in str(caught.value) and "很多" in str(caught.value)
    # no master, or not a workbook: nothing early, and finish says what load says
    assert MasterWorkbook.reading(tmp_path / "none.xlsx").accounts(roster) is None
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    bad = MasterWorkbook.reading(tmp_path / "bad.xlsx")
    assert bad.accounts(roster) is None
    with pytest.raises(LuoshanError, match="无法作为总表读取"):
        bad.finish(roster)


def test_a_sheet_that_fails_leaves_no_read_ahead_thread_running(tmp_path, monkeypatch):
    """月度数据 failing while 新媒体账号 and 报送记录 are still read ahead: the error waits for them."""
    import time

    from luoshan_xl import xlsxread
    from luoshan_xl.errors import RejectedFile

    path = tmp_path / "m.xlsx"
    m = MasterWorkbook(path)
    m.monthly.append(MonthlyRecord("2019-08", "朱堂乡", "乡镇街道", 12, 3, "a.xlsx", ""))
    m.save()  # with its hash beside it: read by calamine, the other sheets ahead in threads
    real, started = xlsxread._calamine_grid, []

    def grid(workbook, sheet):
        if sheet == "月度数据":
            raise RejectedFile("unreadable", "坏了", sheet=sheet)
        started.append(sheet)
        time.sleep(0.3)
        return real(workbook, sheet)

    monkeypatch.setattr(xlsxread, "_calamine_grid", grid)
    reads, ahead = [], xlsxread._AheadRead
    monkeypatch.setattr(xlsxread, "_AheadRead", lambda *a: reads.append(ahead(*a)) or reads[-1])
    with pytest.raises(LuoshanError, match="“月度数据”工作表无法读取"):
        MasterWorkbook.reading(path, audit=True).finish(Roster.default())
    assert sorted(started) == ["报送记录", "新媒体账号"] and len(reads) == 2
    assert not any(r._thread.is_alive() for r in reads)


def test_the_row_by_row_memo_tells_true_from_one():
    seen = []
    parsed = master_module._memo(lambda v: seen.append(v) or type(v).__name__)
    assert [parsed(v) for v in (1, True, 1.0, 1, True, [1])] == ["int", "bool", "float", "int", "bool", "list"]
    assert [type(v) for v in seen] == [int, bool, float, list]  # each kind parsed once; a list (no key) each time
