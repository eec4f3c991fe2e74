"""Speed at province scale: luoshan-xl against the naive way and the floor, side by side in one run.

    python benchmarks/bench.py                 # N = 10,000 forms
    python benchmarks/bench.py --n 2000 --naive-sample 500
    python benchmarks/bench.py --repeat 3     # three rounds side by side, the fastest of each

Every step runs in a fresh subprocess (its own peak memory, no warm caches carried over) and
is timed by wall clock; the ratios are what to read, since the machines are shared and noisy.

1. merge   `luoshan-xl merge` of all N forms into an empty master
2. naive   pandas.read_excel(f, sheet_name=None) over the files, concatenated, DataFrame.to_excel
3. floor   read every sheet member of every form's zip; write the same master rows (xlsxwriter,
           constant_memory)
4. rank    `luoshan-xl rank` on a master of N units × 12 months (as twelve merges leave it, with its
           报送记录), against just reading that master -- and against reading only the two sheets
           rank uses (rank/read2)
5. help    `luoshan-xl --help` against `python -c "import click"`
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PERIOD = "2019-08"
PLACE = {"unit": "UNIT_PLACEHOLDER_0123456789", "acc": "ACCOUNT_PLACEHOLDER_", "d": 7777701, "p": 7777702}


# -- inputs -------------------------------------------------------------------------------------------------


def unit_name(i: int) -> str:
    return f"测试{'镇' if i % 4 == 0 else '局'}{i:05d}"


def write_roster(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["序号", "单位名称", "类别", "附件1序号", "附件2序号", "别名"])
        for i in range(n):
            w.writerow([i + 1, unit_name(i), "乡镇街道" if i % 4 == 0 else "县直单位", i + 1, i + 1, ""])


def generate_forms(out: Path, n: int, seed: int = 1) -> dict[str, tuple[int, int]]:
    """N forms: the real template filled once with placeholders, then each copy given a unit's values."""
    from luoshan_xl.roster import Roster
    from luoshan_xl.template import write_form

    out.mkdir(parents=True, exist_ok=True)
    template = out.parent / "_template.xlsx"
    accounts = [[f"{PLACE['acc']}{k}", "微信公众号", "", "2019-08-20", 7777710 + k] for k in range(3)]
    write_form(template, Roster.default(), values={
        "unit_name": PLACE["unit"], "period": PERIOD, "disclosure_count": PLACE["d"],
        "portal_adopted": PLACE["p"]}, accounts=accounts)
    with zipfile.ZipFile(template) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    rng = random.Random(seed)
    expected = {}
    for i in range(n):
        name = unit_name(i)
        expected[name] = (rng.randint(0, 300), rng.randint(0, 40))
        subs = {PLACE["unit"].encode(): name.encode(), str(PLACE["d"]).encode(): str(expected[name][0]).encode(),
                str(PLACE["p"]).encode(): str(expected[name][1]).encode()}
        for k in range(3):
            subs[f"{PLACE['acc']}{k}".encode()] = f"{name}发布{k}".encode()
            subs[str(7777710 + k).encode()] = str(rng.randint(0, 40)).encode()
        path = out / f"{PERIOD}_{name}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                if info.filename.endswith(".xml"):
                    for a, b in subs.items():
                        data = data.replace(a, b)
                z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    template.unlink()
    return expected


def build_big_master(path: Path, roster_csv: Path, n: int) -> None:
    """A master as twelve monthly merges of N units leave it: each row with its source file and
    hash, one 报送记录 row a merged form, accounts for July and August."""
    import datetime as dt
    import hashlib

    from luoshan_xl.master import AuditRow, MasterWorkbook
    from luoshan_xl.submission import AccountRecord, MonthlyRecord

    rng = random.Random(2)
    m = MasterWorkbook(path)
    for month in range(1, 13):
        period = f"2019-{month:02d}"
        stamp = f"2019-{month % 12 + 1:02d}-05 09:30:00"
        for i in range(n):
            name = unit_name(i)
            cat = "乡镇街道" if i % 4 == 0 else "县直单位"
            source = f"{period}_{name}.xlsx"
            sha = hashlib.sha256(source.encode()).hexdigest()
            m.monthly.append(MonthlyRecord(period, name, cat, rng.randint(0, 40), rng.randint(0, 10), source, sha))
            m.audit.append(AuditRow(source, sha, stamp, name, period, "merged"))
            if month in (7, 8):
                m.accounts.append(AccountRecord(period, f"{name}发布", "微信公众号", name,
                                                dt.date(2019, month, 20), rng.randint(0, 30), name, source))
    m.save()


# -- steps (each in its own process) ----------------------------------------------------------------------------


def step_inputs(work: Path, n: int, n_rank: int) -> dict:
    """The roster, N forms and the big master; returns the figures each form carries."""
    write_roster(work / "roster.csv", max(n, n_rank))
    shutil.rmtree(work / "forms", ignore_errors=True)
    expected = generate_forms(work / "forms", n)
    build_big_master(work / "big.xlsx", work / "roster.csv", n_rank)
    return expected


def step_merge(work: Path) -> dict:
    from click.testing import CliRunner

    from luoshan_xl.cli import main

    master = work / "merge" / "总表.xlsx"
    shutil.rmtree(master.parent, ignore_errors=True)
    master.parent.mkdir()
    r = CliRunner().invoke(main, ["merge", str(work / "forms"), "--master", str(master), "--roster",
                                  str(work / "roster.csv"), "--json"], catch_exceptions=False)
    results = json.loads(r.stdout)
    return {"exit": r.exit_code, "merged": sum(o["result"] == "merged" for o in results)}


def step_naive(work: Path, sample: int | None) -> dict:
    import pandas as pd

    files = sorted((work / "forms").glob("*.xlsx"))
    if sample:
        files = files[:sample]
    frames = []
    for f in files:
        for name, df in pd.read_excel(f, sheet_name=None, header=None).items():
            df["__file"] = f.name
            df["__sheet"] = name
            frames.append(df)
    big = pd.concat(frames, ignore_index=True).astype(str)
    big.to_excel(work / "naive.xlsx", index=False)
    return {"files": len(files), "rows": len(big)}


def step_floor(work: Path) -> dict:
    import xlsxwriter

    files = sorted((work / "forms").glob("*.xlsx"))
    nbytes = 0
    for f in files:
        with zipfile.ZipFile(f) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                    nbytes += len(z.read(name))
    # the same master rows merge writes: one monthly row and three account rows per form, one audit row
    wb = xlsxwriter.Workbook(str(work / "floor.xlsx"), {"constant_memory": True})
    for sheet, width, rows in (("月度数据", 6, len(files)), ("新媒体账号", 8, 3 * len(files)),
                               ("报送记录", 7, len(files))):
        ws = wb.add_worksheet(sheet)
        for r in range(rows + 1):
            for c in range(width):
                if c % 2:
                    ws.write_number(r, c, r)
                else:
                    ws.write_string(r, c, f"{sheet}{r}")
    wb.close()
    return {"files": len(files), "sheet_bytes": nbytes}


def step_rank(work: Path) -> dict:
    from click.testing import CliRunner

    from luoshan_xl.cli import main

    r = CliRunner().invoke(main, ["rank", "--master", str(work / "big.xlsx"), "--period", PERIOD, "--output",
                                  str(work / "rank.xlsx"), "--roster", str(work / "roster.csv")],
                           catch_exceptions=False)
    return {"exit": r.exit_code}


def step_read(work: Path, sheets: tuple[str, ...] | None = None) -> dict:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(work / "big.xlsx"))
    cells = sum(len(r) for name in (sheets or wb.sheet_names) for r in wb.get_sheet_by_name(name).to_python())
    return {"cells": cells}


def step_read_ranked(work: Path) -> dict:
    """Just the two sheets rank needs (it never reads 报送记录)."""
    return step_read(work, ("月度数据", "新媒体账号"))


STEPS = {"merge": step_merge, "floor": step_floor, "rank": step_rank, "read": step_read,
         "read_ranked": step_read_ranked}


def run_step(name: str, work: Path, extra: list[str] = ()) -> tuple[float, float, dict]:
    """(seconds, peak MB, result) of one step in a fresh interpreter."""
    code = (f"import json, resource, sys, time; sys.path.insert(0, {str(HERE)!r}); import bench; "
            "t = time.perf_counter(); out = bench.run_in_child(sys.argv[1:]); out['_s'] = time.perf_counter() - t; "
            "out['_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(out))")
    proc = subprocess.run([sys.executable, "-c", code, name, str(work), *extra], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out.pop("_s"), out.pop("_mb"), out


def run_in_child(argv: list[str]) -> dict:
    name, work = argv[0], Path(argv[1])
    if name == "naive":
        return step_naive(work, int(argv[2]) if len(argv) > 2 and argv[2] != "0" else None)
    if name == "inputs":
        return step_inputs(work, int(argv[2]), int(argv[3]))
    return STEPS[name](work)


def paired_seconds(a: list[str], b: list[str], repeat: int) -> tuple[float, float]:
    """Median seconds of two commands run alternately (a, b, a, b, ...): a busy spell on the shared
    machine then slows both alike instead of whichever block of runs it fell on."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for cmd, out in ((a, times[0]), (b, times[1])):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            out.append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[1])


# -- main ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="forms to merge (default 10,000)")
    ap.add_argument("--rank-units", type=int, default=None, help="units in the ranked master (default N)")
    ap.add_argument("--naive-sample", type=int, default=0,
                    help="time the naive way on the first K forms only and scale up (default: all N)")
    ap.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    ap.add_argument("--help-repeat", type=lambda v: max(1, int(v)), default=21,
                    help="runs of --help and of import click, alternated (default 21; the medians count)")
    ap.add_argument("--repeat", type=lambda v: max(1, int(v)), default=1,
                    help="rounds of merge/floor and rank/read, side by side; the fastest of each counts "
                         "(the naive way, minutes long, runs once)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="luoshan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    n_rank = args.rank_units or args.n

    t = time.perf_counter()
    # in a child too: a process's peak memory counts its parent's at fork, so this one stays small
    expected = {k: tuple(v) for k, v in run_step("inputs", work, [str(args.n), str(n_rank)])[2].items()}
    print(f"inputs: {args.n} forms and a master of {n_rank} units × 12 months in {work} "
          f"({time.perf_counter() - t:.1f} s to generate)", flush=True)

    res = {}
    res["naive"] = run_step("naive", work, [str(args.naive_sample)])
    n_merge = args.n
    # Rounds of each compared pair side by side; each step's fastest round is its figure (on a shared
    # machine the fastest is the one least disturbed by others).
    for _ in range(args.repeat):
        for name in ("merge", "floor", "rank", "read", "read_ranked"):
            got = run_step(name, work)
            assert got[2].get("merged", n_merge) == n_merge and got[2].get("exit", 0) == 0, (name, got)
            if name not in res or got[0] < res[name][0]:
                res[name] = got
    assert res["merge"][2]["merged"] == args.n, res["merge"]
    naive_s = res["naive"][0]
    if args.naive_sample and args.naive_sample < args.n:
        naive_s *= args.n / args.naive_sample
    help_s, click_s = paired_seconds([sys.executable, "-m", "luoshan_xl", "--help"],
                                     [sys.executable, "-c", "import click"], args.help_repeat)

    def row(label, key, seconds=None):
        s, mb, _ = res[key]
        return f"{label:<44} {seconds if seconds is not None else s:>9.2f} s {mb:>9.0f} MB"

    print(row(f"1. luoshan-xl merge, {args.n} forms", "merge"))
    scaled = f" (scaled from {args.naive_sample})" if args.naive_sample and args.naive_sample < args.n else ""
    print(row(f"2. naive pandas read_excel + to_excel{scaled}", "naive", naive_s))
    print(row("3. floor: zip sheet members + xlsxwriter", "floor"))
    print(row(f"4. luoshan-xl rank, {n_rank} units × 12 months", "rank"))
    print(row("   just reading that master (calamine)", "read"))
    print(row("   just reading the two sheets rank uses", "read_ranked"))
    print(f"{'5. luoshan-xl --help':<44} {help_s:>9.3f} s")
    label = '   python -c "import click"'
    print(f"{label:<44} {click_s:>9.3f} s")
    ratios = {
        "merge/naive": res["merge"][0] / naive_s,
        "merge/floor": res["merge"][0] / res["floor"][0],
        "rank/read": res["rank"][0] / res["read"][0],
        "rank/read2": res["rank"][0] / res["read_ranked"][0],
        "help/click": help_s / click_s,
    }
    print("ratios: " + "  ".join(f"{k} = {v:.2f}" for k, v in ratios.items()))
    print(f"merge peak memory: {res['merge'][1]:.0f} MB")
    result = {"ratios": ratios, "merge_mb": res["merge"][1], "merged": res["merge"][2]["merged"],
              "rank_exit": res["rank"][2]["exit"], "expected": expected}
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    main()
