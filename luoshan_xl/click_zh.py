"""Chinese for click's own messages (usage errors, help headings), so the clerk sees no English.

click looks its texts up through `gettext`; we answer those look-ups from this table.
Only the CLI imports this module.
"""

from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
import click.utils

ZH = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "No such command {name!r}.": "没有命令“{name}”。",
    "No such option {name!r}.": "没有选项“{name}”。",
    "No such option: {name}": "没有选项：{name}",
    "Option {name!r} does not take a value.": "选项“{name}”不需要值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Aborted!": "已中止。",
    "required": "必填",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是文件夹，这里需要文件。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件，这里需要文件夹。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”无法读取。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”无法写入。",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在允许范围 {range} 内。",
    "integer": "整数",
    "float": "数字",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
}
ZH_PLURAL = {
    "Got unexpected extra argument ({args})": "多余的参数：{args}",
    "Option {name!r} requires an argument.": "选项“{name}”需要一个值。",
    "{value!r} is not {choice}.": "“{value}”无效，只能是 {choice}。",
    "{value!r} is not one of {choices}.": "“{value}”无效，可选：{choices}。",
    "Did you mean {possibility}?": "是否是 {possibility}？",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
}


def _(message: str) -> str:
    # Our texts drop click's !r (it would quote Chinese as '…'); the names are the same.
    return ZH.get(message, message)


def _n(singular: str, plural: str, n: int) -> str:
    return ZH_PLURAL.get(singular, singular if n == 1 else plural)


def _term_len(text: str) -> int:
    """Columns a text takes in a terminal: a Chinese character takes two (click counts one)."""
    from luoshan_xl.render import display_width

    return display_width(click.utils.strip_ansi(text))


def install() -> None:
    click.formatting.term_len = _term_len  # aligns help columns that hold Chinese
    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                   click.types):
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = _n
