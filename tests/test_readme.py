"""Docs that cannot lie: the README's quickstart runs as written, and CI runs its test command."""

from __future__ import annotations

import re
import shlex

from conftest import ROOT, open_checked, run

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart() -> list[str]:
    section = README.split("## 快速开始", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```\n(.*?)```", section, re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_is_two_commands():
    assert len(quickstart()) == 2


def test_quickstart_main_job_runs_and_writes_the_report(tmp_path, monkeypatch):
    main_job = quickstart()[0]
    steps = [shlex.split(s) for s in main_job.split("&&")]
    assert steps[0][:3] == ["python", "-m", "pip"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    for step in steps[1:]:
        assert step[0] == "luoshan-xl"
        run(*step[1:])
    wb = open_checked(tmp_path / "out" / "通报附件.xlsx")
    assert wb["附件1"]["A7"].value == "朱堂乡"
    assert "out/通报附件.xlsx" in README  # the README tells the user where the report is


def test_ci_runs_the_readme_test_command():
    test_command = quickstart()[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_command_has_chinese_help_with_an_example():
    top = run("--help").stdout
    commands = re.findall(r"^  (\w+) ", top.split("\n命令:", 1)[1], re.M)
    assert set(commands) >= {"template", "roster", "merge", "rank"}
    for name in commands:
        text = run(name, "--help").stdout
        assert "示例" in text and f"luoshan-xl {name}" in text, name
        assert "Show this message" not in text and "Usage:" not in text
    for name in commands:
        assert f"luoshan-xl {name}" in README, f"README does not mention `luoshan-xl {name}`"
