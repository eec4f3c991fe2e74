"""Shared test helpers: run the real command, write forms the way units do, open outputs checked."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from xlsx_checker import assert_clean  # noqa: E402

from luoshan_xl.cli import main  # noqa: E402
from luoshan_xl.roster import Roster  # noqa: E402
from luoshan_xl.template import write_form  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "luoshan-2019-08"
SEED = Path(__file__).parent / "data" / "seed-2019-08"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run(*args: object, expect: int | None = 0):
    """Run `luoshan-xl ARGS` in-process; assert the exit code (unless expect is None)."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, (
            f"exit {result.exit_code}, expected {expect}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    assert "Traceback" not in result.output
    return result


def open_checked(path: Path, **kwargs) -> openpyxl.Workbook:
    """Open a workbook we wrote, after checking it for the known causes of Excel's repair prompt."""
    assert_clean(path)
    return openpyxl.load_workbook(path, **kwargs)


def make_form(path: Path, unit: str | None = "朱堂乡", period: str | None = "2019-08", disclosure=12, portal=3,
              accounts: list[list] | None = None, roster: Roster | None = None) -> Path:
    """A filled form, written by the real template code."""
    values = {"unit_name": unit, "period": period, "disclosure_count": disclosure, "portal_adopted": portal}
    write_form(Path(path), roster or Roster.default(), values=values, accounts=accounts or [])
    return Path(path)


@pytest.fixture
def roster() -> Roster:
    return Roster.default()


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """LibreOffice, or a visible skip locally; in CI its absence is a failure."""
    exe = soffice()
    if exe is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-calc-nogui")
    return exe
