"""Hostile and broken inputs through the whole command, and a master that survives crashes.

The inputs come from `bad_inputs/make_bad_inputs.py` (built once per session,
the 1.1 GB zip bomb included, about 1 MB on disk).  Container-level behaviour of
each trick is covered in test_container.py; here the whole `luoshan-xl merge`
must reject each bad file with one Chinese message, merge every good one, and
never print a traceback.  Then: memory and time caps per file, formula
injection, SIGKILL during the save, two merges at once, a master open in
WPS/Excel, and a refused rename.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from bad_inputs.make_bad_inputs import (
    BOMB_NAME,
    CONTAINER_CODES,
    DELETED_NAME,
    DIMENSION_NAME,
    ENCRYPTED_NAME,
    EXPECTED,
    GOOD_FORMS,
    HIDDEN_DECOY_UNIT,
    INJECTIONS,
    LAUGHS_NAME,
    LYING_NAME,
    RESULTS,
    UNCACHED_NAME,
    UNKNOWN_UNIT_NAME,
    WRONG_PERIOD_NAME,
    XXE_MARKER,
    XXE_NAME,
    generate,
)
from conftest import ROOT, run

from luoshan_xl import xlsxwrite
from luoshan_xl.master import ACCOUNTS_SHEET, AUDIT_SHEET, MONTHLY_SHEET
from luoshan_xl.roster import Roster
from luoshan_xl.template import write_form, write_history

CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON_NOISE = re.compile(r"Traceback|Error|Exception|zipfile|zlib|struct|errno|b'|\\x|File \"", re.I)
BUSY = "另一个 luoshan-xl 命令正在写入总表"
MiB = 1024 * 1024


def child_env(tmp: Path) -> dict[str, str]:
    """Environment for `python -m luoshan_xl` children: our package first, temp files kept in tmp."""
    tmpdir = tmp / "child-tmp"
    tmpdir.mkdir(exist_ok=True)
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                TMPDIR=str(tmpdir), PYTHONIOENCODING="utf-8")


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "luoshan_xl", *(str(a) for a in args)]


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def master_content(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values, opened with openpyxl; the audit's merge time (a clock) left out."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if ws.title == AUDIT_SHEET and rows:
                t = rows[0].index("合并时间")
                rows = [r[:t] + r[t + 1:] for r in rows]
            out[ws.title] = rows
        return out
    finally:
        wb.close()


def monthly_keys(path: Path) -> set[tuple[str, str]]:
    rows = sheet_rows(path, MONTHLY_SHEET)
    head = rows[0]
    p, u = head.index("期间"), head.index("单位名称")
    return {(r[p], r[u]) for r in rows[1:] if r[p] is not None}


def zip_text(path: Path) -> str:
    """All members of a workbook, inflated (our own outputs only: small)."""
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(i).decode("utf-8", "replace") for i in zf.infolist())


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.endswith(".solid"))


# ---------------------------------------------------------------- the hostile folder


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    base = tmp_path_factory.mktemp("hostile")
    secret = base / "secret.txt"
    folder = base / "收件夹"
    expected = generate(folder, secret_file=secret)
    assert XXE_MARKER in secret.read_text(encoding="utf-8")
    return folder, expected, secret


@pytest.fixture(scope="module")
def merged(hostile, tmp_path_factory):
    """The whole hostile folder merged once through the CLI, with --json."""
    folder, expected, _ = hostile
    out = tmp_path_factory.mktemp("merged")
    master = out / "总表.xlsx"
    before = sorted(p.name for p in folder.iterdir())
    result = run("merge", folder, "--master", master, "--period", "2019-08", "--json", expect=1)
    assert sorted(p.name for p in folder.iterdir()) == before  # inputs untouched
    outcomes = {o["file"]: o for o in json.loads(result.stdout)}
    return result, master, outcomes


def test_merge_output_has_no_traceback_and_every_file(merged, hostile):
    result, master, outcomes = merged
    _, expected, _ = hostile
    assert "Traceback" not in result.stdout + result.stderr
    assert not re.search(r"Warning|Error|Exception", result.stderr), result.stderr
    assert sorted(outcomes) == sorted(expected)
    assert master.exists()
    assert temp_files(master.parent) == []


@pytest.mark.parametrize("name", list(EXPECTED), ids=[f"{i:02d}-{e}" for i, e in enumerate(EXPECTED.values())])
def test_each_file_gets_its_outcome(merged, name):
    _, _, outcomes = merged
    o = outcomes[name]
    want = EXPECTED[name]
    codes = [p["code"] for p in o["problems"]]
    for p in o["problems"]:
        assert CJK.search(p["message"]), p
        assert not PYTHON_NOISE.search(p["message"]), p
    if want in RESULTS:
        assert o["result"] == want, o
        if want == "merged":
            assert o["problems"] == []
        return
    assert o["result"] == "rejected", o
    assert want in codes, o
    if want in CONTAINER_CODES:
        # the whole file is refused at the gate: one problem, no sheet reading after it
        assert len(o["problems"]) == 1, o
        assert o["unit"] is None and o["period"] is None


def test_encrypted_file_asks_for_an_unprotected_copy(merged):
    (problem,) = merged[2][ENCRYPTED_NAME]["problems"]
    assert "密码" in problem["message"]
    assert "取消密码" in problem["message"]


def test_unknown_unit_suggests_the_roster_name(merged):
    (problem,) = merged[2][UNKNOWN_UNIT_NAME]["problems"]
    assert problem["cell"] == "B4"
    assert "朱堂镇" in problem["message"] and "朱堂乡" in problem["message"]


@pytest.mark.parametrize(("name", "cell"), [(UNCACHED_NAME, "B6"), (WRONG_PERIOD_NAME, "B5")])
def test_cell_problems_point_at_the_cell(merged, name, cell):
    (problem,) = merged[2][name]["problems"]
    assert (problem["sheet"], problem["cell"]) == ("填报表", cell), problem


def test_deleted_form_sheet_is_rejected_naming_the_template(merged):
    """填报表 deleted (defined names #REF!): one problem naming the template, not the help sheet's texts."""
    o = merged[2][DELETED_NAME]
    assert [p["code"] for p in o["problems"]] == ["unknown_layout"], o
    message = o["problems"][0]["message"]
    assert "luoshan-xl template" in message and "填报表" in message
    assert all(p["sheet"] != "填报说明" for p in o["problems"])


def test_good_files_are_in_the_master_and_nothing_else(merged):
    _, master, _ = merged
    rows = sheet_rows(master, MONTHLY_SHEET)
    head = rows[0]
    col = {h: head.index(h) for h in head}
    got = {r[col["来源文件"]]: (r[col["单位名称"]], r[col["信息公开发布数量"]], r[col["门户网站采用数量"]])
           for r in rows[1:]}
    assert got == GOOD_FORMS
    assert all(r[col["期间"]] == "2019-08" for r in rows[1:])
    # the hidden decoy sheet of 隐藏工作表_龙山街道.xlsx is never read
    text = zip_text(master)
    assert HIDDEN_DECOY_UNIT not in {r[col["单位名称"]] for r in rows[1:]}
    assert "999" not in {str(v) for r in rows[1:] for v in r}
    # the audit lists every file once (skipped lock files are not audited)
    audit = sheet_rows(master, AUDIT_SHEET)
    files = [r[0] for r in audit[1:]]
    assert sorted(files) == sorted(n for n, e in EXPECTED.items() if e != "skipped")
    assert "vbaProject" not in text  # macros are never kept


def test_summary_without_json_names_every_file(hostile, tmp_path):
    folder, expected, _ = hostile
    receipts = tmp_path / "回执"
    result = run("merge", folder, "--master", tmp_path / "总表.xlsx", "--period", "2019-08",
                 "--receipts", receipts, expect=1)
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert not re.search(r"Error|Exception|Warning", text)
    for name in expected:
        assert name in result.stdout, name
    assert "退回 16" in result.stdout and "已合并 12" in result.stdout and "冲突 2" in result.stdout
    # one receipt per rejected file, each a workbook naming its file
    rejected = [n for n, e in expected.items() if e not in RESULTS]
    made = sorted(receipts.iterdir())
    assert len(made) == len(rejected)
    for path in made:
        wb = openpyxl.load_workbook(path)
        assert wb["回执"]["A2"].value.startswith("文件：")


# ---------------------------------------------------------------- per-file caps in a memory-capped child

LIMIT_SCRIPT = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 * 1024, 600 * 1024 * 1024))
from pathlib import Path
from luoshan_xl.roster import Roster
from luoshan_xl.submission import read_submission
roster = Roster.default()
start = time.monotonic()
try:
    sub = read_submission(Path(sys.argv[1]), Path(sys.argv[1]).name, roster, expected_period="2019-08")
    out = {"ok": sub.ok, "codes": [p.code for p in sub.problems]}
except MemoryError:
    out = {"ok": None, "codes": ["MemoryError"]}
out["seconds"] = time.monotonic() - start
out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


@pytest.mark.parametrize("name", [BOMB_NAME, LYING_NAME, DIMENSION_NAME, LAUGHS_NAME, "2019-08_宝城街道.xlsx"],
                         ids=["bomb", "lying-size", "dimension", "billion-laughs", "good-control"])
def test_read_submission_is_bounded_under_a_memory_cap(hostile, tmp_path, name):
    folder, expected, _ = hostile
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", LIMIT_SCRIPT, str(folder / name)], capture_output=True,
                          text=True, timeout=60, env=child_env(tmp_path), cwd=tmp_path)
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert wall < 5, (wall, out)
    assert out["maxrss_kb"] < 300 * 1024, out
    if expected[name] == "merged":  # control: the cap itself does not break a good form
        assert out["ok"] is True, out
    else:
        assert out["ok"] is False and out["codes"] == [expected[name]], out


# ---------------------------------------------------------------- XML safety


def test_no_external_entity_is_resolved_and_none_expanded(merged, hostile, tmp_path):
    result, master, outcomes = merged
    _, _, secret = hostile
    (problem,) = outcomes[XXE_NAME]["problems"]
    assert problem["code"] == "unsafe_xml" and "不安全的 XML" in problem["message"]
    (problem,) = outcomes[LAUGHS_NAME]["problems"]
    assert problem["code"] == "unsafe_xml"
    # the marker of the file the XXE points at never reaches any output
    text = zip_text(master)
    assert XXE_MARKER not in result.stdout + result.stderr
    assert XXE_MARKER not in text
    assert "lollollol" not in text and "lollollol" not in result.stdout
    receipts = tmp_path / "回执"
    run("merge", hostile[0] / XXE_NAME, "--master", tmp_path / "总表.xlsx", "--receipts", receipts, expect=1)
    for path in receipts.iterdir():
        assert XXE_MARKER not in zip_text(path)
    assert secret.read_text(encoding="utf-8").strip() == XXE_MARKER


# ---------------------------------------------------------------- formula injection


def test_formula_like_texts_stay_text_in_master_and_notice(merged, tmp_path):
    _, master, _ = merged
    wb = openpyxl.load_workbook(master)
    ws = wb[ACCOUNTS_SHEET]
    head = [c.value for c in ws[1]]
    name_col, src_col = head.index("账号名称"), head.index("来源文件")
    cells = [row[name_col] for row in ws.iter_rows(min_row=2) if row[src_col].value == "公式注入_尤店乡.xlsx"]
    assert sorted(c.value for c in cells) == sorted(INJECTIONS)
    for c in cells:
        assert c.data_type == "s", (c.coordinate, c.value, c.data_type)
    # a file name that looks like a formula is text too
    audit = wb[AUDIT_SHEET]
    (cell,) = [row[0] for row in audit.iter_rows(min_row=2) if row[0].value == "=1+1 东铺镇.xlsx"]
    assert cell.data_type == "s"
    monthly = wb[MONTHLY_SHEET]
    assert any(row[5].value == "=1+1 东铺镇.xlsx" and row[5].data_type == "s" for row in monthly.iter_rows(min_row=2))
    # nothing in the master is a formula
    assert "<f>" not in zip_text(master) and "<f " not in zip_text(master)

    notice = tmp_path / "通报附件.xlsx"
    result = run("rank", "--master", master, "--period", "2019-08", "--output", notice)
    assert "Traceback" not in result.output
    a3 = openpyxl.load_workbook(notice)["附件3"]
    found = {c.value: c for row in a3.iter_rows() for c in row if c.value in INJECTIONS}
    assert sorted(found) == sorted(INJECTIONS)
    for c in found.values():
        assert c.data_type == "s", (c.coordinate, c.value, c.data_type)
    sheet_xml = zipfile.ZipFile(notice).read("xl/worksheets/sheet3.xml").decode()
    assert "<f>" not in sheet_xml.split("</sheetData>")[0]


# ---------------------------------------------------------------- a master that survives crashes

PERIODS = ("2019-01", "2019-02", "2019-03")


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """150 forms (5 accounts each), a master already holding 2000-2018 (16,416 rows) and one holding 2018."""
    base = tmp_path_factory.mktemp("big")
    roster = Roster.default()
    units = [u.name for u in roster.units]
    keys = [(p, u) for p in PERIODS for u in units][:150]
    forms = base / "forms"
    forms.mkdir()
    for i, (p, u) in enumerate(keys):
        accounts = [[f"{u}发布{j}", "微信公众号", None, f"{p}-{10 + j}", 20 + j] for j in range(5)]
        write_form(forms / f"{p}_{u}.xlsx", roster, accounts=accounts,
                   values={"unit_name": u, "period": p, "disclosure_count": i, "portal_adopted": i % 7})
    history = base / "历史数据.xlsx"
    write_history(history, [(f"{y}-{m:02d}", u, y - 1990, m) for y in range(2000, 2019) for m in range(1, 13)
                            for u in units])
    seed = base / "seed" / "总表.xlsx"
    seed.parent.mkdir()
    run("merge", history, "--master", seed)
    assert len(monthly_keys(seed)) == 19 * 12 * len(units)
    history_2018 = base / "2018.xlsx"
    write_history(history_2018, [(f"2018-{m:02d}", u, m, m) for m in range(1, 13) for u in units])
    small = base / "small" / "总表.xlsx"
    small.parent.mkdir()
    run("merge", history_2018, "--master", small)
    return forms, seed, keys, small


def _kill_when(proc: subprocess.Popen, folder: Path, stem: str, trigger: str, delay: float,
               timeout: float = 60) -> bool:
    """SIGKILL `proc` `delay` s after `trigger` (start / tmp / backup_tmp file appears); False if it ended first."""
    watch = {"tmp": folder / f".{stem}.{proc.pid}.tmp.xlsx",
             "backup_tmp": folder / f".{stem}.备份.{proc.pid}.tmp.xlsx"}.get(trigger)
    deadline = time.monotonic() + timeout
    while watch is not None and not watch.exists():
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{watch.name} never appeared")
        if trigger != "backup_tmp":  # the backup's temp file lives a millisecond or two: no sleeping then
            time.sleep(0.0005)
    if delay:
        time.sleep(delay)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.returncode >= 0:  # it ended on its own between the look and the signal
        return False
    assert proc.returncode == -signal.SIGKILL
    return True


def test_sigkill_during_save_leaves_old_or_new_master(big, tmp_path):
    forms, seed, keys, _ = big
    work = tmp_path / "办公室"
    work.mkdir()
    master = work / "总表.xlsx"
    old_bytes = seed.read_bytes()
    old = master_content(seed)
    env = child_env(tmp_path)
    rng = random.Random(20190826)
    # two fixed points (the temp master, the temp backup appear), two random points in the write,
    # two random short delays from the start (while the forms are read)
    plans = ([("tmp", 0.0), ("backup_tmp", 0.0)] + [("tmp", rng.uniform(0.0, 0.25)) for _ in range(2)]
             + [("start", rng.uniform(0.05, 1.0)) for _ in range(2)])
    snapshots = []
    for trigger, delay in plans:
        master.write_bytes(old_bytes)
        log = tmp_path / "stderr.txt"
        with open(log, "wb") as err:
            proc = subprocess.Popen(cli("merge", forms, "--master", master), env=env, cwd=work,
                                    stdout=subprocess.DEVNULL, stderr=err)
            killed = _kill_when(proc, work, master.stem, trigger, delay)
        assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")
        if trigger in ("tmp", "backup_tmp") and delay == 0.0:
            assert killed, f"merge ended before the {trigger} file appeared"
        data = master.read_bytes()
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)  # always a workbook
        assert {MONTHLY_SHEET, ACCOUNTS_SHEET, AUDIT_SHEET} <= set(wb.sheetnames)
        wb.close()
        if trigger in ("tmp", "backup_tmp") and delay == 0.0:
            assert data == old_bytes, trigger  # killed before the rename: exactly the old file
        snapshots.append((trigger, delay, killed, data))

    # A later normal merge works: the stale lock and temp files of the killed runs are no obstacle.
    # (each merge removes the temp files of killed ones once it holds the lock; leave one more to be sure)
    (work / ".总表.999999.tmp.xlsx").write_bytes(b"half-written")
    master.write_bytes(old_bytes)
    done = subprocess.run(cli("merge", forms, "--master", master), env=env, cwd=work, capture_output=True,
                          timeout=120)
    out = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0, out
    assert "Traceback" not in out and BUSY not in out
    assert not [n for n in temp_files(work) if ".tmp" in n]  # the stale ones are gone too
    new = master_content(master)
    assert monthly_keys(master) == monthly_keys(seed) | set(keys)
    assert len(new[ACCOUNTS_SHEET]) == 1 + 5 * len(keys)

    for trigger, delay, killed, data in snapshots:
        if data == old_bytes:
            continue
        check = tmp_path / "snapshot.xlsx"
        check.write_bytes(data)
        assert master_content(check) == new, (trigger, delay, killed)  # complete, never a mix
    assert old != new


def test_stale_temp_files_are_cleaned_up(big, tmp_path):
    """xlsxwrite's promise: a crash leaves 'a stray temp file, cleaned up next time'."""
    forms, _, _, seed = big
    master = tmp_path / "总表.xlsx"
    shutil.copy(seed, master)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [tmp_path / f".总表.{dead.pid}.tmp.xlsx", tmp_path / f".总表.备份.{dead.pid}.tmp.xlsx"]
    for p in stale:
        p.write_bytes(seed.read_bytes()[:1000])  # what a killed save leaves: a partial zip
    one = sorted(forms.iterdir())[0]
    run("merge", one, "--master", master)
    assert (one.name[:7], one.stem[8:]) in monthly_keys(master)
    assert temp_files(tmp_path) == []


def _run_pair(a: list[Path], b: list[Path], master: Path, env, mode: str):
    """Two merges on one master: started together, or B while A is frozen in the middle of its write."""
    pa = subprocess.Popen(cli("merge", *a, "--master", master), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    frozen = False
    if mode == "during-write":
        watch = master.with_name(f".{master.stem}.{pa.pid}.tmp.xlsx")
        while not watch.exists() and pa.poll() is None:
            time.sleep(0.0005)
        assert pa.poll() is None, "A ended before writing"
        pa.send_signal(signal.SIGSTOP)  # a slow disk: A holds the lock, its master half-written
        frozen = True
    pb = subprocess.Popen(cli("merge", *b, "--master", master), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    try:
        if frozen:
            b_out = pb.communicate(timeout=120)
            pa.send_signal(signal.SIGCONT)
            a_out = pa.communicate(timeout=120)
        else:
            a_out = pa.communicate(timeout=120)
            b_out = pb.communicate(timeout=120)
    finally:
        if frozen:
            pa.send_signal(signal.SIGCONT)
    return [(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
            for p, (out, err) in ((pa, a_out), (pb, b_out))]


@pytest.mark.parametrize("mode", ["together", "during-write"])
def test_two_merges_at_once(big, tmp_path, mode):
    forms, _, _, seed = big
    master = tmp_path / "总表.xlsx"
    shutil.copy(seed, master)
    files = sorted(forms.iterdir())
    a = [f for f in files if f.name.startswith(PERIODS[0])][:40]
    b = [f for f in files if f.name.startswith(PERIODS[1])][:40]
    key = {f: (f.name[:7], f.stem[8:]) for f in a + b}
    results = _run_pair(a, b, master, child_env(tmp_path), mode)
    want = monthly_keys(seed)
    merged_files = set()
    for (code, out, err), inputs in zip(results, (a, b), strict=True):
        assert "Traceback" not in out + err
        if code == 0:
            want |= {key[f] for f in inputs}
            merged_files |= {f.name for f in inputs}
        else:
            assert code == 1, (code, out, err)
            assert BUSY in err, err
            assert "请等它完成后再运行" in err
    assert merged_files, results
    if mode == "during-write":
        assert [r[0] for r in results] == [0, 1], results  # the lock is held while the master is written
    assert monthly_keys(master) == want  # the union of the successful merges: no mix, no loss
    assert merged_files <= {r[0] for r in sheet_rows(master, AUDIT_SHEET)[1:]}


# ---------------------------------------------------------------- a master open in WPS / Excel


@pytest.fixture
def small_master(hostile, tmp_path) -> tuple[Path, Path]:
    folder, _, _ = hostile
    master = tmp_path / "总表.xlsx"
    run("merge", folder / "2019-08_宝城街道.xlsx", "--master", master)
    inbox = tmp_path / "收件夹"
    inbox.mkdir()
    shutil.copy(folder / "2019-08_庙仙乡.xlsx", inbox)
    return master, inbox


@pytest.mark.parametrize("owner", ["~$总表.xlsx", ".~lock.总表.xlsx#"], ids=["wps-excel", "libreoffice"])
def test_master_open_in_wps_is_refused(small_master, owner):
    master, inbox = small_master
    before = master.read_bytes()
    master.with_name(owner).write_bytes(b"\x05clerk".ljust(162, b"\0"))
    result = run("merge", inbox, "--master", master, expect=1)
    assert "Traceback" not in result.output
    assert "WPS" in result.stderr and "关闭" in result.stderr and owner in result.stderr
    assert master.read_bytes() == before
    assert not master.with_name("总表.备份.xlsx").exists()
    assert temp_files(master.parent) == []
    # closed (the owner file gone): the same merge goes through
    master.with_name(owner).unlink()
    run("merge", inbox, "--master", master)
    assert ("2019-08", "庙仙乡") in monthly_keys(master)


def _refuse_rename_onto(monkeypatch, target: Path) -> list[tuple[str, str]]:
    real = os.replace
    calls = []

    def replace(src, dst, *args, **kwargs):
        calls.append((str(src), str(dst)))
        if Path(dst).resolve() == target.resolve():
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(xlsxwrite.os, "replace", replace)
    return calls


def test_permission_error_on_final_rename(small_master, monkeypatch):
    master, inbox = small_master
    before = master.read_bytes()
    calls = _refuse_rename_onto(monkeypatch, master)
    result = run("merge", inbox, "--master", master, expect=1)
    monkeypatch.undo()
    assert any(Path(dst) == master for _, dst in calls)  # the rename was really attempted
    assert "Traceback" not in result.output
    assert not re.search(r"Error|Exception|Warning|errno", result.output)
    assert "正被 WPS 或 Excel 打开" in result.stderr and "关闭" in result.stderr
    assert master.read_bytes() == before
    assert temp_files(master.parent) == []
    # and once the file is closed, the same merge goes through
    run("merge", inbox, "--master", master)
    assert ("2019-08", "庙仙乡") in monthly_keys(master)


def test_refused_rename_keeps_the_previous_backup(small_master, monkeypatch, hostile):
    """A merge that could not write the master changes no file, the backup included."""
    master, inbox = small_master
    folder = hostile[0]
    run("merge", folder / "2019-08_山店乡.xlsx", "--master", master)  # now a backup exists
    backup = master.with_name("总表.备份.xlsx")
    before = (master.read_bytes(), backup.read_bytes())
    _refuse_rename_onto(monkeypatch, master)
    run("merge", inbox, "--master", master, expect=1)
    monkeypatch.undo()
    assert (master.read_bytes(), backup.read_bytes()) == before


# ---------------------------------------------------------------- receipts of same-named files


def test_receipts_of_same_named_files_do_not_overwrite_each_other(hostile, tmp_path):
    """Units often send files of the same name (报送表.xlsx) from different subfolders."""
    folder = hostile[0]
    inbox = tmp_path / "收件夹"
    for sub, bad in (("东铺镇", "空文件.xlsx"), ("子路镇", "截断.xlsx")):
        (inbox / sub).mkdir(parents=True)
        shutil.copy(folder / bad, inbox / sub / "报送表.xlsx")
    shutil.copy(folder / "文本改名.xlsx", inbox / "报送表.xls")
    receipts = tmp_path / "回执"
    result = run("merge", inbox, "--master", tmp_path / "总表.xlsx", "--receipts", receipts, expect=1)
    assert "退回 3" in result.stdout
    made = list(receipts.iterdir())
    assert len(made) == 3, sorted(p.name for p in made)  # one receipt per rejected file
    named = {openpyxl.load_workbook(p)["回执"]["A2"].value for p in made}
    assert named == {"文件：东铺镇/报送表.xlsx", "文件：子路镇/报送表.xlsx", "文件：报送表.xls"}


def test_identical_bad_files_from_two_units_are_both_rejected(hostile, tmp_path):
    """Two units' attachments that both arrived as 0 bytes (or both the unfilled blank form) are the
    same bytes: the second is not a "duplicate, not merged again" of a file that was never merged."""
    folder = hostile[0]
    inbox = tmp_path / "收件夹"
    inbox.mkdir()
    shutil.copy(folder / "空文件.xlsx", inbox / "东铺镇.xlsx")
    shutil.copy(folder / "空文件.xlsx", inbox / "子路镇.xlsx")
    receipts = tmp_path / "回执"
    result = run("merge", inbox, "--master", tmp_path / "总表.xlsx", "--json", "--receipts", receipts, expect=1)
    outcomes = {o["file"]: o for o in json.loads(result.stdout)}
    for name in ("东铺镇.xlsx", "子路镇.xlsx"):
        assert outcomes[name]["result"] == "rejected", outcomes[name]
        assert [p["code"] for p in outcomes[name]["problems"]] == ["empty"], outcomes[name]
    assert len(list(receipts.iterdir())) == 2


def _cut_sheets(src: Path, out: Path, keep: float) -> Path:
    """`src` with every worksheet part cut short (the zip itself intact, CRCs right)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data[: int(len(data) * keep)]
            w.writestr(info, data)
    return out


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.995])
def test_a_form_whose_sheets_are_cut_short_is_rejected_not_half_read(tmp_path, keep):
    from conftest import make_form

    form = make_form(tmp_path / "src.xlsx", accounts=[["罗山发布", "抖音", "", "2019-08-26", 20]])
    (tmp_path / "in").mkdir()
    _cut_sheets(form, tmp_path / "in" / "朱堂乡.xlsx", keep)
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", "--json", expect=1)
    (outcome,) = json.loads(result.stdout)
    assert outcome["result"] == "rejected"
    assert any("不完整，文件已损坏" in p["message"] for p in outcome["problems"]), outcome


def test_a_roster_whose_sheet_is_cut_short_is_refused(tmp_path):
    from luoshan_xl.errors import LuoshanError

    run("roster", "--output", tmp_path / "名册.xlsx")
    _cut_sheets(tmp_path / "名册.xlsx", tmp_path / "坏名册.xlsx", 0.5)
    with pytest.raises(LuoshanError, match="单位名册“坏名册.xlsx”无法读取：它不是 Excel 工作簿，或文件已损坏。"):
        Roster.load(tmp_path / "坏名册.xlsx")
    assert len(Roster.load(tmp_path / "名册.xlsx").units) == len(Roster.default().units)


def test_a_locked_roster_or_master_says_to_close_it(tmp_path, monkeypatch):
    """Windows refuses to open a file WPS or Excel holds: say so, not "damaged"."""
    import builtins

    from luoshan_xl.errors import LuoshanError
    from luoshan_xl.master import MasterWorkbook

    run("roster", "--output", tmp_path / "名册.xlsx")
    MasterWorkbook(tmp_path / "总表.xlsx").save()
    (tmp_path / ".总表.xlsx.sha256").unlink()  # no trusted hash: read through the checks
    real_open = builtins.open

    def locked_open(file, *args, **kwargs):
        if str(file).endswith(("名册.xlsx", "总表.xlsx")) and "r" in (args[0] if args else kwargs.get("mode", "r")):
            raise PermissionError(13, "locked", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", locked_open)
    with pytest.raises(LuoshanError, match="单位名册“名册.xlsx”正被 WPS 或 Excel 打开"):
        Roster.load(tmp_path / "名册.xlsx")
    with pytest.raises(LuoshanError, match="文件“总表.xlsx”正被 WPS 或 Excel 打开"):
        MasterWorkbook.load(tmp_path / "总表.xlsx", Roster.default())
