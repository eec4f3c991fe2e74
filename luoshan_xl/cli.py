"""The `luoshan-xl` command: parses options, calls one library function, renders the result.

Library modules are imported inside the commands so that `luoshan-xl --help`
starts without pandas or openpyxl.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from luoshan_xl import __version__, click_zh
from luoshan_xl.gcpause import with_paused_gc

click_zh.install()

CONTEXT = {"help_option_names": [], "max_content_width": 100}
COMMAND = {"context_settings": CONTEXT, "options_metavar": "[选项]"}
HELP = click.help_option("-h", "--help", help="显示本帮助并退出。")
ROSTER_HELP = "单位名册文件（.xlsx 或 .csv，可用 luoshan-xl roster 导出后修改）；不指定则用内置的罗山县名册。"


def _parsed(parse):
    """A click callback that parses an option with one of values.py's parsers (Chinese errors)."""

    def callback(ctx, param, value):
        if value is None:
            return None
        from luoshan_xl.values import BadValue

        try:
            return parse(value)
        except BadValue as exc:
            raise click.BadParameter(exc.message) from exc

    return callback


def _parse_period(value):
    from luoshan_xl.values import parse_period

    return parse_period(value)


def _parse_date(value):
    from luoshan_xl.values import parse_date

    return parse_date(value, None)


_period = _parsed(_parse_period)
_date = _parsed(_parse_date)

# Options several commands share, declared once.
ROSTER_OPTION = click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="名册.xlsx",
                             help=ROSTER_HELP)
MASTER_IN = click.option("--master", "-m", required=True, metavar="总表.xlsx",
                         type=click.Path(dir_okay=False, exists=True, path_type=Path),
                         help="总表文件（luoshan-xl merge 生成）。")
PERIOD_REQUIRED = click.option("--period", required=True, callback=_period, metavar="YYYY-MM",
                               help="期间，如 2019-08。")


def output_file(help: str, required: bool = True):
    """--output/-o: the file a command writes."""
    return click.option("--output", "-o", required=required, metavar="文件",
                        type=click.Path(dir_okay=False, path_type=Path), help=help)


MIN_WEEKLY = click.option("--min-weekly", type=click.IntRange(1, 50), default=3, show_default=True, metavar="条数",
                          help="政务新媒体每周至少更新条数；月要求 = 每周条数 × 当月天数 ÷ 7，向上取整。")


class LuoshanGroup(click.Group):
    """Renders every error once, in Chinese, with no traceback."""

    def main(self, *args, **kwargs):
        # A redirected console on Chinese Windows is GBK: a character it lacks must not turn a
        # finished merge into an error.
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                try:
                    stream.reconfigure(errors="replace")
                except (ValueError, OSError):
                    pass
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        from luoshan_xl.errors import LuoshanError

        try:
            return super().invoke(ctx)
        except LuoshanError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # output piped into `head` or a closed pager
            sys.stderr.close()
            ctx.exit(0)
        except PermissionError as exc:
            name = Path(exc.filename).name if exc.filename else "文件"
            click.echo(f"错误：无法写入或读取“{name}”：文件被占用或没有权限。如果它正在 WPS 或 Excel 中打开，"
                       "请先关闭再重试。", err=True)
            ctx.exit(1)
        except OSError as exc:
            name = f"“{exc.filename}”" if exc.filename else ""
            click.echo(f"错误：读写文件{name}失败（{exc.strerror or exc}）。请检查路径、磁盘空间和权限。", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # last resort: still no traceback for the clerk
            click.echo(f"错误：程序内部出错（{type(exc).__name__}: {exc}）。请把这条信息和所用文件发给维护人员。",
                       err=True)
            ctx.exit(1)


@click.group(cls=LuoshanGroup, context_settings=CONTEXT, options_metavar="[选项]", subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, "-V", "--version", message="luoshan-xl %(version)s", help="显示版本号并退出。")
@HELP
def main():
    """luoshan-xl：政府信息公开、门户网站信息采用和政务新媒体月度通报工具。

    \b
    每月的工作流程：
      1. luoshan-xl template --output 报送表 --period 2019-08 --per-unit
         生成报送表，发给各单位填写
      2. luoshan-xl merge 收件夹 --master 总表.xlsx
         把收到的报送表合并进总表（有问题的文件会列出原因）
      3. luoshan-xl rank --master 总表.xlsx --period 2019-08 --output 通报附件.xlsx
         生成通报附件1-3（排名、不合格标注），可直接打印

    每个命令加 --help 查看说明和示例。
    """


@main.command(**COMMAND)
@HELP
@click.option("--output", "-o", "output", required=True, metavar="文件夹", type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹（不存在会自动创建）。")
@click.option("--period", callback=_period, metavar="YYYY-MM", help="报送期间，如 2019-08；填入报送表。")
@click.option("--per-unit", is_flag=True, help="同时为名册中每个单位生成一份已填好单位名称和期间的报送表。")
@ROSTER_OPTION
def template(output, period, per_unit, roster):
    """生成标准报送表（空白表，及每个单位一份的预填表）。

    \b
    示例：
      luoshan-xl template --output 报送表
      luoshan-xl template --output 报送表 --period 2019-08 --per-unit
    """
    from luoshan_xl.roster import Roster
    from luoshan_xl.template import write_templates

    if per_unit and not period:
        raise click.UsageError("使用 --per-unit 时必须同时指定 --period（如 --period 2019-08）。")
    r = Roster.load(roster)
    n = len(r.units) if per_unit else 0
    with click.progressbar(length=n, label="生成报送表", file=sys.stderr, hidden=n < 10) as bar:
        result = write_templates(output, r, period=period, per_unit=per_unit, progress=bar.update)
    click.echo(f"已生成空白报送表：{result.blank}")
    if result.per_unit:
        click.echo(f"已生成 {len(result.per_unit)} 份单位报送表，位于：{output}")


@main.command(**COMMAND)
@HELP
@output_file("导出的名册文件（.xlsx）。")
@ROSTER_OPTION
def roster(output, roster):
    """导出单位名册，供在 WPS/Excel 中修改。

    \b
    示例：
      luoshan-xl roster --output 单位名册.xlsx
      （修改后）luoshan-xl merge 收件夹 --master 总表.xlsx --roster 单位名册.xlsx
    """
    from luoshan_xl.roster import Roster

    r = Roster.load(roster)
    r.write_xlsx(output)
    click.echo(f"已导出单位名册（{len(r.units)} 个单位）：{output}")


@main.command(**COMMAND)
@HELP
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="文件或文件夹...")
@click.option("--master", "-m", required=True, metavar="总表.xlsx", type=click.Path(dir_okay=False, path_type=Path),
              help="总表文件（.xlsx）；不存在会新建。")
@click.option("--period", callback=_period, metavar="YYYY-MM", help="本次汇总的期间，如 2019-08；其他期间的报送表会被退回。")
@click.option("--prefer", type=click.Choice(["newest"]), metavar="newest", help="同一单位同一期间有两份不同报送表时，采用修改时间较新的一份。")
@click.option("--receipts", metavar="文件夹", type=click.Path(file_okay=False, path_type=Path),
              help="为每个被退回的文件生成一份回执（.xlsx），存到此文件夹，可发回报送单位。")
@click.option("--dry-run", is_flag=True, help="只检查、报告，不写入总表。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出每个文件的结果（供其他程序使用）。")
@ROSTER_OPTION
def merge(inputs, master, period, prefer, receipts, dry_run, as_json, roster):
    """把收到的报送表合并进总表。

    可以给出文件或文件夹（包括子文件夹），以及邮箱另存的 .eml 邮件和 .zip 压缩包。有问题的文件不会合并，并列出每个问题所在的工作表、单元格和改正方法；其余文件照常合并。同一文件重复合并不会重复计数；同一单位同一期间再次报送会替换原数据（原数据记入“报送记录”）。

    退出码：0 全部合并；1 有文件被退回或冲突；2 命令用法错误。

    \b
    示例：
      luoshan-xl merge 收件夹 --master 总表.xlsx
      luoshan-xl merge 收件夹 --master 总表.xlsx --period 2019-08 --receipts 回执
    """
    from luoshan_xl.merge import merge as run_merge
    from luoshan_xl.roster import Roster

    r = Roster.load(roster)
    with _Progress("读取报送表", hidden=as_json) as progress:
        report = run_merge(list(inputs), master, r, period=period, prefer=prefer, dry_run=dry_run,
                           receipts_dir=receipts, progress=progress)
    if as_json:
        import json

        click.echo(json.dumps([o.as_json() for o in report.outcomes], ensure_ascii=False, indent=1))
    else:
        _echo_merge(report)
    sys.exit(report.exit_code)


def _notice_tables(master: Path, output: Path, roster: Path | None, period: str, min_weekly: int, writer: str,
                   prepare_a3: str | None = None):
    """The tables of the notice (rank and notice both), and the `writer` module's function
    `prepare_a3` of 附件3 when given (else None).

    The master is read in a thread while the roster is loaded and pandas and the `writer` module
    are imported (a third of a second); 新媒体账号 is read beside 月度数据, five times its size,
    and 附件3 (with `prepare_a3`, the writer's work on it) is built while 月度数据 is still read."""
    import importlib

    from luoshan_xl.master import MasterWorkbook
    from luoshan_xl.roster import Roster

    _not_the_master(output, master)
    reading = MasterWorkbook.reading(master, audit=False)
    r = Roster.load(roster)
    importlib.import_module("pandas")
    writing = importlib.import_module(writer)
    from luoshan_xl.notice import account_table, build_notice

    accounts = reading.accounts(r)
    a3 = account_table(accounts, r, period, min_weekly) if accounts is not None else None
    prepared = getattr(writing, prepare_a3)(a3) if prepare_a3 is not None and a3 is not None else None
    loaded = reading.finish(r)
    return build_notice(loaded, r, period, min_weekly=min_weekly, a3=a3), prepared


def _not_the_master(output: Path, master: Path) -> None:
    from luoshan_xl.master import own_files

    if Path(output).resolve() in own_files(Path(master)):
        raise click.UsageError(f"--output 不能是总表或总表的备份（{Path(output).name}），否则它们会被覆盖。"
                               "请另取一个文件名，例如 通报附件.xlsx。")


class _Progress:
    """A progress bar on stderr, shown once a run has more than a few files to read."""

    def __init__(self, label: str, hidden: bool = False, threshold: int = 10):
        self.label, self.hidden, self.threshold = label, hidden, threshold
        self.bar = None

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.hidden or total <= self.threshold:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _echo_merge(report) -> None:
    from luoshan_xl.master import RESULT_LABELS
    from luoshan_xl.render import table

    # The table stays narrow; every problem and every conflict is spelled out in full below it.
    explained = [o for o in report.outcomes if o.problems or o.result in ("conflict", "replaced")]
    rows = []
    for o in report.outcomes:
        if o.problems:
            why = f"{len(o.problems)} 个问题，见下方"
        elif o.result == "conflict":
            why = "与其他文件冲突，见下方"
        elif o.result == "replaced":
            why = "替换了原数据，见下方"
        else:
            why = o.note
        rows.append([o.file, o.unit or "", o.period or "", RESULT_LABELS[o.result], why])
    if rows:
        click.echo(table(["文件", "单位", "期间", "结果", "说明"], rows))
    else:
        click.echo("没有找到任何文件。")
    for o in explained:
        heading = "的问题" if o.problems else "：冲突" if o.result == "conflict" else "：已替换"
        click.echo(f"\n“{o.file}”{heading}：")
        for p in o.problems:
            where = "，".join(x for x in (p.sheet and f"工作表“{p.sheet}”", p.cell and f"单元格 {p.cell}") if x)
            click.echo(f"  - {where + '：' if where else ''}{p.message}")
        if not o.problems:
            click.echo(f"  - {o.note}")
    counts = "，".join(f"{RESULT_LABELS[k]} {report.count(k)}" for k in RESULT_LABELS if report.count(k))
    click.echo(f"\n共 {len(report.outcomes)} 个文件：{counts or '无'}。")
    if report.dry_run:
        click.echo("（试运行：总表未改动。）")
    else:
        click.echo(f"总表：{report.master}")
    for p in report.receipts:
        click.echo(f"已生成回执：{p}")
    if report.period:
        if report.missing:
            click.echo(f"\n{report.period} 未报送名单（{len(report.missing)} 个单位）：" + "、".join(report.missing))
        else:
            click.echo(f"\n{report.period} 名册中的单位已全部报送。")


@main.command(**COMMAND)
@HELP
@MASTER_IN
@PERIOD_REQUIRED
@output_file("输出的通报附件工作簿（.xlsx）。")
@MIN_WEEKLY
@ROSTER_OPTION
@with_paused_gc  # a one-shot command building the notice's frames and cells: see gcpause
def rank(master, period, output, min_weekly, roster):
    """计算累计数、排名和不合格标注，生成可直接打印的通报附件1-3。

    \b
    生成的工作簿含“附件1”“附件2”“附件3”“汇总”及各附件的图表；
    A4 纵向、每个附件单独起页，不合格账号和无数据单位用条件格式标出。

    \b
    示例：
      luoshan-xl rank --master 总表.xlsx --period 2019-08 --output 通报附件.xlsx
    """
    from luoshan_xl.render import table

    notice, a3_rows = _notice_tables(master, output, roster, period, min_weekly, "luoshan_xl.report",
                                     prepare_a3="account_rows")
    from luoshan_xl.report import write_report

    write_report(notice, output, a3_rows=a3_rows)
    n1 = sum(int(t["has_data"].sum()) for t in notice.a1.values())
    n2 = sum(int(t["has_data"].sum()) for t in notice.a2.values())
    fails = notice.a3[notice.a3["fail"]]
    click.echo(table(["附件", "内容", "数量"], [
        ["附件1", f"{notice.span}信息公开发布：参加排名的单位", n1],
        ["附件2", f"{notice.span}门户网站信息采用：参加排名的单位", n2],
        ["附件3", "政务新媒体账号", len(notice.a3)],
        ["附件3", f"其中不合格（月更新少于 {notice.threshold} 条）", len(fails)],
        ["汇总", "未报送单位", len(notice.missing)],
    ]))
    if len(fails):
        click.echo("不合格账号：" + "、".join(f"{a}（{h}）" for a, h in zip(fails["name"], fails["host_label"],
                                                                        strict=True)))
    click.echo(f"已生成通报附件：{output}")


@main.command(**COMMAND)
@HELP
@MASTER_IN
@PERIOD_REQUIRED
@output_file("另存一份可打印的报送情况表（.xlsx）。", required=False)
@click.option("--reminder", is_flag=True, help="输出可直接发微信或邮件的催报通知。")
@click.option("--deadline", callback=_date, metavar="YYYY-MM-DD", help="催报通知中的截止日期，如 2019-09-05。")
@ROSTER_OPTION
def status(master, period, output, reminder, deadline, roster):
    """查看某月谁已报送、谁未报送，并生成催报通知。

    \b
    示例：
      luoshan-xl status --master 总表.xlsx --period 2019-08
      luoshan-xl status --master 总表.xlsx --period 2019-08 --reminder --deadline 2019-09-05
      luoshan-xl status --master 总表.xlsx --period 2019-08 --output 报送情况.xlsx
    """
    from luoshan_xl.master import MasterWorkbook
    from luoshan_xl.render import table
    from luoshan_xl.roster import Roster
    from luoshan_xl.status import (
        CONFLICT,
        MISSING,
        RETURNED,
        SUBMITTED,
        build_status,
        reminder_text,
        write_status_xlsx,
    )

    r = Roster.load(roster)
    report = build_status(MasterWorkbook.load(master, r), r, period)
    if output:
        _not_the_master(output, master)
        write_status_xlsx(report, output)
    if reminder:
        click.echo(reminder_text(report, deadline))
        if output:  # on stderr: the reminder on stdout is what the clerk pastes into WeChat
            click.echo(f"已生成报送情况表：{output}", err=True)
        return
    order = {CONFLICT: 0, RETURNED: 1, MISSING: 2, SUBMITTED: 3}
    rows = sorted(report.rows, key=lambda x: order[x.state])
    click.echo(table(["单位", "状态", "文件", "时间", "说明"],
                     [[x.unit, x.state, x.file, x.time, x.note] for x in rows], max_width=40))
    conflicts = f"，冲突待确认 {len(report.of(CONFLICT))}" if report.of(CONFLICT) else ""
    click.echo(f"{period}：已报送 {len(report.of(SUBMITTED))}，未报送 {len(report.of(MISSING))}，"
               f"退回待重报 {len(report.of(RETURNED))}{conflicts}（共 {len(report.rows)} 个单位）。")
    if output:
        click.echo(f"已生成报送情况表：{output}")


@main.command(**COMMAND)
@HELP
@MASTER_IN
@PERIOD_REQUIRED
@output_file("输出的通报文稿（.docx）。")
@click.option("--doc-number", default="", metavar="文号", help="发文字号，如 罗政办〔2019〕67号。")
@click.option("--date", "date_", callback=_date, metavar="YYYY-MM-DD", help="成文日期，如 2019-09-09；默认今天。")
@click.option("--office", default="罗山县人民政府办公室", show_default=True, metavar="机关", help="发文机关。")
@MIN_WEEKLY
@ROSTER_OPTION
@with_paused_gc
def notice(master, period, output, doc_number, date_, office, min_weekly, roster):
    """生成通报文稿（Word .docx）：标题、主送、正文、附件列表和附件1-3表格。

    正文按原通报的写法，自动填入期间、各项合计、居前单位、未报送单位和不合格账号；版式按 GB/T 9704（A4，方正小标宋简体标题，仿宋_GB2312 正文，每个附件另起一页）。

    \b
    示例：
      luoshan-xl notice --master 总表.xlsx --period 2019-08 --output 通报.docx \\
          --doc-number 罗政办〔2019〕67号 --date 2019-09-09
    """
    tables, _ = _notice_tables(master, output, roster, period, min_weekly, "docx")
    from luoshan_xl.notice_docx import NoticeOptions, write_notice

    write_notice(tables, output, NoticeOptions(doc_number=doc_number, office=office, date=date_))
    click.echo(f"已生成通报文稿：{output}（请核对正文后定稿）")


if __name__ == "__main__":  # pragma: no cover
    main()
