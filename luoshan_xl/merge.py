"""`merge`: submitted forms into the master workbook.

Every good form goes in, every bad one is explained, nothing is lost: a
rejected file changes nothing, a replaced form's values stay in the audit, and
the master is written atomically (or not at all with `dry_run`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from luoshan_xl import intake
from luoshan_xl.errors import LuoshanError, Problem, RejectedFile
from luoshan_xl.master import (
    AuditRow,
    MasterWorkbook,
    check_not_open,
    master_lock,
    own_files,
    remove_stale_temp_files,
)
from luoshan_xl.roster import Roster
from luoshan_xl.submission import IS_MASTER, Submission, read_hashed, read_submission

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et"}


@dataclass
class FileOutcome:
    file: str
    unit: str | None
    period: str | None
    result: str  # merged / replaced / duplicate / conflict / rejected / skipped
    problems: list[Problem] = field(default_factory=list)
    note: str = ""
    sha256: str = ""

    def as_json(self) -> dict:
        problems = [p.as_json() for p in self.problems]
        if self.note and not problems and self.result in ("skipped", "conflict", "duplicate"):
            problems = [{"sheet": None, "cell": None, "code": self.result, "message": self.note}]
        return {"file": self.file, "unit": self.unit, "period": self.period, "result": self.result,
                "problems": problems}


@dataclass
class MergeReport:
    master: Path
    outcomes: list[FileOutcome]
    period: str | None
    missing: list[str]
    dry_run: bool
    receipts: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(o.result in ("rejected", "conflict") for o in self.outcomes) else 0

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)


def collect_inputs(inputs: list[Path], scratch: Path | None = None, own: set[Path] = frozenset()
                   ) -> tuple[list[tuple[Path, str]], list[FileOutcome]]:
    """Files to read (path, display name) and the ones skipped or rejected, from files and folders
    (recursive).  Emails and zip archives are opened into `scratch`; without it they are listed as is.
    `own`: our own files (the master and its backup), never read as input.  Display names are
    unique: two 报送表.xlsx from two folders are told apart, so no result lands on the wrong file."""
    files: list[tuple[Path, str]] = []
    others: list[FileOutcome] = []
    seen: set[Path] = set(own)
    used: set[str] = set()

    def unique(display: str) -> str:
        name, n = display, 1
        while name in used:
            n += 1
            name = f"{display}（{n}）"
        used.add(name)
        return name

    for item in inputs:
        item = Path(item)
        if not item.exists():
            raise LuoshanError(f"找不到“{item}”，请检查文件或文件夹路径。", exit_code=2)
        candidates = _files_under(item) if item.is_dir() else [(item, item.name, item.resolve())]
        for p, rel_name, resolved in candidates:
            if resolved in seen:
                continue
            seen.add(resolved)
            rel = unique(rel_name)
            reason = _skip_reason(p, rel_name)
            if reason:
                others.append(FileOutcome(rel, None, None, "skipped", note=reason))
            elif intake.is_container(p) and scratch is not None:
                try:
                    found, skipped = intake.expand(p, rel, scratch)
                except intake.IntakeError as exc:
                    others.append(FileOutcome(rel, None, None, "rejected",
                                              [Problem(rel, None, None, "bad_archive", exc.message)]))
                    continue
                for x in found:
                    intake.set_mtime(x.path, x.mtime)
                    files.append((x.path, unique(x.display)))
                others += [FileOutcome(d, None, None, "skipped", note=why) for d, why in skipped]
            else:
                files.append((p, rel))
    return files, others


def _files_under(folder: Path) -> list[tuple[Path, str, Path]]:
    """(path, its name relative to `folder` with "/", resolved path) of every file under `folder`,
    recursively, sorted by path.  Like `Path.rglob` (symlinked folders are not entered, unreadable
    ones and symlink loops passed over), but one scandir a folder and one realpath a symlink: a province's inbox
    holds thousands of files."""
    found: list[tuple[str, str, str]] = []
    stack = [(str(folder), str(folder.resolve()), "")]
    while stack:
        where, real, rel = stack.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, os.path.join(real, e.name), f"{rel}{e.name}/"))
                elif e.is_file():
                    found.append((e.path, rel + e.name,
                                  os.path.realpath(e.path) if e.is_symlink() else os.path.join(real, e.name)))
            except OSError:  # a symlink loop, or gone meanwhile: not a file to read, as for rglob
                continue
    found.sort()
    return [(Path(path), rel, Path(resolved)) for path, rel, resolved in found]


def _skip_reason(path: Path, rel: str) -> str | None:
    name = path.name
    if name.startswith("~$") or name.startswith(".~lock.") or name.startswith(".~"):
        return "Office 临时锁定文件（有人正打开原文件），已跳过"
    if any(part.startswith(".") for part in rel.split("/")):
        return "隐藏文件，已跳过"
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES and not intake.is_container(path):
        return "不是电子表格文件，已跳过"
    return None


def merge(inputs: list[Path], master_path: Path, roster: Roster, period: str | None = None,
          prefer: str | None = None, dry_run: bool = False, receipts_dir: Path | None = None,
          progress=None, now: dt.datetime | None = None) -> MergeReport:
    """Merge `inputs` into the master.  `progress(done, total)` is called as files are read."""
    master_path = Path(master_path)
    now = now or dt.datetime.now()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    if not dry_run:
        check_not_open(master_path)
    with tempfile.TemporaryDirectory(prefix="luoshan-xl-") as scratch, \
            (master_lock(master_path) if not dry_run else contextlib.nullcontext()):
        if not dry_run:
            remove_stale_temp_files(master_path)  # left by a merge that was killed; we hold the lock
        files, others = collect_inputs(inputs, Path(scratch), own_files(master_path))
        master = MasterWorkbook.load(master_path, roster)
        known = master.current_shas()
        outcomes, accepted = _read_all(files, roster, period, known, progress)
        _drop_superseded(master, known, accepted, outcomes)
        if period is None:
            _hold_other_periods(accepted, outcomes, {(m.unit, m.period) for m in master.monthly})
        _resolve_conflicts(accepted, outcomes, prefer)
        audit = _apply(master, accepted, outcomes, stamp)
        for o in outcomes + [o for o in others if o.result == "rejected"]:
            if o.result in ("rejected", "conflict", "duplicate", "skipped"):
                audit.append(AuditRow(o.file, o.sha256, stamp, o.unit or "", o.period or "", o.result,
                                      _reason(o)))
        report_period = period or _common_period(outcomes)
        if not dry_run:
            master.audit.extend(sorted(audit, key=lambda a: a.file))
            master.save(rotate_backup=bool(accepted))
    order = {d: i for i, (_, d) in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.file, 0))
    receipts = []
    if receipts_dir is not None and not dry_run:
        from luoshan_xl.receipt import write_receipt

        used: set[str] = set()
        for o in outcomes + others:
            if o.result == "rejected":
                receipts.append(write_receipt(Path(receipts_dir), o, stamp, used))
    missing = _missing_units(master, roster, report_period, accepted if dry_run else {})
    return MergeReport(master_path, outcomes + others, report_period, missing, dry_run, receipts)


# Reading forms in two processes pays only for large runs (a province's thousands): a pool's
# start-up costs about half a second, and one worker is slower than none.
PARALLEL_MIN_FILES = 400
_worker: tuple[Roster, frozenset[str]] | None = None


def _init_worker(roster: Roster, known: frozenset[str]) -> None:
    global _worker
    _worker = (roster, known)


def _read_job(job: tuple[Path, str, str | None]) -> tuple[str, Submission | None]:
    return _read_one(*job, *_worker)


def _read_one(path: Path, display: str, period: str | None, roster: Roster, known: frozenset[str]
              ) -> tuple[str, Submission | None]:
    """(the file's hash, its submission); None for a file whose figures are in the master already
    (a duplicate: not checked again).  The file is read once, for both the hash and the checks."""
    try:
        data, sha = read_hashed(path)
    except RejectedFile:
        data = sha = None
    if sha in known:
        return sha, None
    sub = read_submission(path, display, roster, expected_period=period, data=data, sha256=sha)
    return sub.sha256, sub


def _read_submissions(jobs: list[tuple[Path, str, str | None]], roster: Roster, known: frozenset[str],
                      workers: int | None):
    """(hash, submission) of each job in order, read in a spawn-safe process pool when it pays."""
    workers = workers if workers is not None else (2 if (os.cpu_count() or 1) >= 2 else 1)
    if workers < 2 or len(jobs) < PARALLEL_MIN_FILES:
        for job in jobs:
            yield _read_one(*job, roster, known)
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(roster, known)) as pool:
        yield from pool.map(_read_job, jobs, chunksize=32)


def _read_all(files, roster, period, known, progress, workers: int | None = None):
    outcomes: list[FileOutcome] = []
    accepted: dict[str, Submission] = {}
    first_of: dict[str, str] = {}  # hash → the first file of this run with it
    jobs = [(path, display, period) for path, display in files]
    results = _read_submissions(jobs, roster, frozenset(known), workers)
    for (_path, display), (sha, sub) in zip(files, results, strict=True):
        first = first_of.setdefault(sha, display) if sha else display
        if sub is None or (first != display and first in accepted):
            # an identical file is a duplicate only of one that was (or is now being) merged
            prev = known.get(sha)
            note = (f"与 {prev.time} 已合并的“{prev.file}”内容完全相同，未重复合并" if prev
                    else f"与本次的“{first}”内容完全相同，未重复合并")
            o = FileOutcome(display, prev.unit if prev else None, prev.period if prev else None, "duplicate",
                            note=note, sha256=sha)
            if not prev:
                o.unit, o.period = accepted[first].unit, accepted[first].period
                # the same content sent again later counts as sent then (for --prefer newest)
                accepted[first].mtime = max(accepted[first].mtime, sub.mtime)
        else:
            o = FileOutcome(display, sub.unit, sub.period, "merged" if sub.ok else "rejected", sub.problems,
                            sha256=sub.sha256)
            if [p.code for p in sub.problems] == [IS_MASTER]:  # a master or backup lying in the inbox
                o.result, o.problems, o.note = "skipped", [], sub.problems[0].message
            if sub.ok:
                accepted[display] = sub
        outcomes.append(o)
        if progress:
            progress(len(outcomes), len(files))
    return outcomes, accepted


def _drop_superseded(master: MasterWorkbook, current: dict, accepted: dict[str, Submission],
                     outcomes: list[FileOutcome]) -> None:
    """An older version (merged once, since replaced) arriving together with the version now in
    effect — the clerk re-running an inbox that holds both — is passed over: re-running the same
    inputs changes nothing.  Sent alone, an older version replaces again (the unit changed its mind)."""
    in_effect = {o.sha256: o.file for o in outcomes if o.result == "duplicate" and o.sha256 in current}
    protected: dict[tuple[str, str], str] = {}
    for sha, name in in_effect.items():
        for key in master.keys_of(sha):
            protected[key] = name
    if not protected:
        return
    history = master.merge_rows()
    outcome = {o.file: o for o in outcomes}
    for name, sub in list(accepted.items()):
        clash = sorted(k for k in sub.keys if k in protected)
        if sub.sha256 in history and clash:
            o = outcome[name]
            o.result = "skipped"
            o.note = (f"这是此前已被替换的旧版本；本次同时收到了正在使用的“{protected[clash[0]]}”，"
                      "保留现有数据，未合并。如确要恢复旧版本，请单独合并这份表")
            del accepted[name]


def _resolve_conflicts(accepted: dict[str, Submission], outcomes: list[FileOutcome], prefer: str | None):
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, sub in accepted.items():
        for key in sub.keys:
            by_key[key].append(name)
    clashes = {k: v for k, v in by_key.items() if len(v) > 1}
    if not clashes:
        return
    outcome = {o.file: o for o in outcomes}
    losers: dict[str, str] = {}
    if prefer == "newest":
        # Newest first, file by file: a file goes in when none of its (unit, period) is taken yet.
        # (Key by key would drop a file whose only rival was itself dropped for another key.)
        involved = sorted({n for names in clashes.values() for n in names},
                          key=lambda n: (accepted[n].mtime, n), reverse=True)
        taken: dict[tuple[str, str], str] = {}
        for n in involved:
            clash = [k for k in accepted[n].keys if k in taken]
            if clash:
                unit, period = clash[0]
                winner = taken[clash[0]]
                losers[n] = f"与“{winner}”同为 {unit} {period} 的报表，按 --prefer newest 采用修改时间较新的“{winner}”"
            else:
                taken.update((k, n) for k in accepted[n].keys)
        clashes = {}
    for (unit, period), names in clashes.items():
        for n in names:
            others = "”“".join(x for x in names if x != n)
            losers.setdefault(n, f"与“{others}”同为 {unit} {period} 的报表但内容不同，两份均未合并。"
                                 "请确认以哪一份为准，删除另一份后重新合并，或加 --prefer newest 采用较新的一份。")
    for n, why in losers.items():
        o = outcome[n]
        o.result = "skipped" if prefer == "newest" else "conflict"
        o.note = why
        del accepted[n]


def _apply(master: MasterWorkbook, accepted: dict[str, Submission], outcomes: list[FileOutcome],
           stamp: str) -> list[AuditRow]:
    """Put the accepted submissions into the master, replacing what the same unit sent for the same period.

    One pass over the master's rows, however many forms arrive (a province merges thousands).
    """
    outcome = {o.file: o for o in outcomes}
    incoming = {key: name for name, sub in accepted.items() for key in sub.keys}
    old_monthly: dict[tuple[str, str], list] = defaultdict(list)
    old_accounts: dict[tuple[str, str], list] = defaultdict(list)
    kept_monthly, kept_accounts = [], []
    for m in master.monthly:
        if (m.unit, m.period) in incoming:
            old_monthly[(m.unit, m.period)].append(m)
        else:
            kept_monthly.append(m)
    for a in master.accounts:
        if (a.reporter, a.period) in incoming:
            old_accounts[(a.reporter, a.period)].append(a)
        else:
            kept_accounts.append(a)
    master.monthly, master.accounts = kept_monthly, kept_accounts
    audit: list[AuditRow] = []
    for name, sub in accepted.items():
        replaced_notes = [_describe_old(m, old_accounts.get(key, []))
                          for key in sorted(sub.keys) for m in old_monthly.get(key, [])]
        dropped = sum(len(old_accounts.get(key, [])) for key in sub.keys)
        master.monthly.extend(sub.records)
        master.accounts.extend(sub.accounts)
        o = outcome[name]
        o.result = "replaced" if replaced_notes else "merged"
        reason = ""
        if replaced_notes:
            shown = replaced_notes[:50]
            reason = "替换了原数据：" + "；".join(shown) + (f"；……共 {len(replaced_notes)} 条" if len(replaced_notes) > 50 else "")
            o.note = f"替换了此前合并的 {len(replaced_notes)} 条数据（原值已记入报送记录）"
            if dropped or sub.accounts:
                o.note += f"；新媒体账号由原来的 {dropped} 个改为 {len(sub.accounts)} 个"
        audit.append(AuditRow(sub.file, sub.sha256, stamp, sub.unit or "", sub.period or "", o.result, reason))
    return audit


def _fmt(v) -> str:
    return "空" if v is None else str(v)


def _describe_old(m, accounts) -> str:
    text = (f"{m.unit} {m.period}（来源“{m.source}”）信息公开发布 {_fmt(m.disclosure)}、门户网站采用 {_fmt(m.portal)}")
    if accounts:
        text += "，新媒体账号：" + "、".join(
            f"{a.name}/{a.platform}/{a.host}/{a.last_update.isoformat() if a.last_update else '空'}/{_fmt(a.updates)}条"
            for a in accounts)
    return text


def _reason(o: FileOutcome) -> str:
    if o.problems:
        return "；".join(f"{p.sheet + ' ' if p.sheet else ''}{p.cell + ' ' if p.cell else ''}{p.message}"
                        for p in o.problems)
    return o.note


def _hold_other_periods(accepted: dict[str, Submission], outcomes: list[FileOutcome],
                        existing: set[tuple[str, str]]) -> None:
    """Without --period, the month being collected is the one most forms of this run are for.  A form
    for another month that would REPLACE figures already merged (perhaps already published) is held
    back: a form sent with last month's date must not quietly change last month.  Forms for months
    not yet in the master (catching up) and bulk history sheets go in as usual."""
    periods = [sub.period for sub in accepted.values() if sub.kind == "form"]
    # forms of this month already merged (a re-run of the inbox) count too
    periods += [o.period for o in outcomes if o.result == "duplicate" and o.period and "～" not in o.period
                and not (o.unit or "").startswith("（")]
    if len(set(periods)) < 2:
        return
    run_period = _most_common(periods)
    outcome = {o.file: o for o in outcomes}
    for name, sub in list(accepted.items()):
        if sub.kind != "form" or sub.period == run_period or not (sub.keys & existing):
            continue
        sheet, cell = sub.period_cell or (None, None)
        o = outcome[name]
        o.result = "rejected"
        o.problems = [Problem(name, sheet, cell, "other_period",
                              f"报送期间是 {sub.period}，而本次收到的其他报送表是 {run_period} 的；总表中已有 {sub.unit} "
                              f"{sub.period} 的数据（可能已经通报），为防止误改，这份表没有合并。请核对报送期间；如确实要更正 "
                              f"{sub.period} 的数据，请单独合并这份表并注明期间：luoshan-xl merge 文件 --master 总表 "
                              f"--period {sub.period}")]
        del accepted[name]


def _common_period(outcomes: list[FileOutcome]) -> str | None:
    return _most_common([o.period for o in outcomes if o.period and "～" not in o.period
                         and o.result in ("merged", "replaced", "duplicate")])


def _most_common(periods: list[str]) -> str | None:
    """The period named most often; on a tie the latest."""
    counts: dict[str, int] = defaultdict(int)
    for p in periods:
        counts[p] += 1
    return max(counts, key=lambda p: (counts[p], p)) if counts else None


def _missing_units(master: MasterWorkbook, roster: Roster, period: str | None,
                   pending: dict[str, Submission]) -> list[str]:
    if not period:
        return []
    have = {m.unit for m in master.monthly if m.period == period}
    for sub in pending.values():
        have |= {u for u, p in sub.keys if p == period}
    return [u.name for u in roster.units if u.name not in have]
