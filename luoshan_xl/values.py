"""Parsing values as clerks type them.

Each parser takes a raw cell value (str, int, float, date, datetime or None)
and returns the clean value, or raises `BadValue` with a Chinese message that
says what is wrong and what to type instead.  None and "" mean blank (no data).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import unicodedata

EXCEL_EPOCH = dt.date(1899, 12, 30)


class BadValue(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and normalize_text(value) == "")


def normalize_text(value: object) -> str:
    """NFKC (full-width digits and letters to half-width) and trimmed; U+3000 and nbsp become spaces."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def clean_text(value: object) -> str | None:
    """A text field: trimmed, blank → None.  Kept exactly otherwise (a leading '=' stays text)."""
    if isinstance(value, str):
        return value.strip() or None  # str.strip() knows U+3000 and the other Unicode spaces
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_COUNT_TEXT = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(?:条|个|篇|次|条/月)?$")


def parse_count(value: object) -> int | None:
    """A whole number ≥ 0: 12, 12.0, "12", "12条", "１２", " 12 ", "1,234"."""
    if type(value) is int and 0 <= value <= 10_000_000:
        return value
    if type(value) is float and value.is_integer() and 0 <= value <= 10_000_000:
        return int(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise BadValue("not_number", f"“{value}”不是数字，请填写大于或等于 0 的整数。")
    if isinstance(value, int | float):
        number = float(value)
        shown = _show_number(value)
    elif isinstance(value, dt.date | dt.time | dt.timedelta):
        raise BadValue("not_number", "这里应填数字，却是日期或时间格式。请把单元格格式改为“常规”或“数值”后填写整数。")
    else:
        shown = str(value).strip()
        text = normalize_text(value).replace(",", "").replace(" ", "").replace("，", "")
        m = _COUNT_TEXT.match(text)
        if not m:
            raise BadValue("not_number", f"“{shown}”不是数字，请填写大于或等于 0 的整数（如 12），不要填写文字。")
        number = float(m.group(1) + m.group(2))
    if number < 0:
        raise BadValue("negative", f"“{shown}”是负数，请填写大于或等于 0 的整数。")
    if not number.is_integer():
        raise BadValue("fraction", f"“{shown}”不是整数，条数只能是整数，请改正。")
    if number > 10_000_000:
        raise BadValue("too_big", f"“{shown}”过大，请核对后填写。")
    return int(number)


def _show_number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_PERIOD_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?)?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)


_CANONICAL_PERIOD = re.compile(r"(?:20\d\d)-(?:0[1-9]|1[0-2])")


def parse_period(value: object) -> str | None:
    """'2019-08', '2019-8', '2019年8月', '2019年08月份', '2019.8', '2019/08', '201908' or a date cell → '2019-08'."""
    if isinstance(value, str) and _CANONICAL_PERIOD.fullmatch(value):
        return value  # what the master and our forms hold: no further work
    if is_blank(value):
        return None
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell the reader saw as a number (Excel serial).
        if 20000 < value < 80000:
            d = EXCEL_EPOCH + dt.timedelta(days=int(value))
            return f"{d.year:04d}-{d.month:02d}"
        if isinstance(value, float) and not value.is_integer():
            # "2019.8" typed into a number cell arrives as 2019.8; 2019.1 could be January or October.
            year, _, frac = repr(value).partition(".")
            if frac == "1":
                raise BadValue("bad_period", f"“{value}”无法确定是 1 月还是 10 月，"
                                             "请按 YYYY-MM 格式填写，例如 2019-10。")
            return _check_period(int(year), int(frac), repr(value))
        value = str(int(value))
    text = normalize_text(value).replace(" ", "")
    full = _DATE_FULL.match(text)
    if full:  # a whole date typed as text: its month is the period
        return _check_period(int(full.group(1)), int(full.group(2)), str(value))
    for pattern in _PERIOD_PATTERNS:
        m = pattern.match(text)
        if m:
            return _check_period(int(m.group(1)), int(m.group(2)), str(value))
    raise BadValue("bad_period", f"“{str(value).strip()}”无法识别，请按 YYYY-MM 格式填写，例如 2019-08。")


def _check_period(year: int, month: int, shown: str) -> str:
    if not 1 <= month <= 12 or not 2000 <= year <= 2099:
        raise BadValue("bad_period", f"“{shown}”不是有效的年月，请按 YYYY-MM 格式填写，例如 2019-08。")
    return f"{year:04d}-{month:02d}"


@functools.lru_cache(maxsize=64)
def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    year, month = (int(x) for x in period.split("-"))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_MONTH_DAY = re.compile(r"^(\d{1,2})\s*(?:月|/|-)\s*(\d{1,2})\s*日?$")


def parse_date(value: object, period: str | None) -> dt.date | None:
    """A date in the period's month: a date cell, an Excel serial, '2019/8/26', '2019.8.26', '2019-08-26',
    '2019年8月26日' or '8月26日' (year from the period)."""
    if is_blank(value):
        return None
    shown = str(value).strip()
    if isinstance(value, dt.datetime):
        d = value.date()
    elif isinstance(value, dt.date):
        d = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 20000 < value < 80000:
            raise BadValue("bad_date", f"“{_show_number(value)}”不是日期，请按 2019-08-26 格式填写日期。")
        d = EXCEL_EPOCH + dt.timedelta(days=int(value))
    else:
        text = normalize_text(value)
        m = _DATE_FULL.match(text)
        try:
            if m:
                d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            else:
                m = _DATE_MONTH_DAY.match(text)
                if not m or period is None:
                    raise BadValue("bad_date", f"“{shown}”不是可识别的日期，请按 2019-08-26 格式填写。")
                d = dt.date(int(period[:4]), int(m.group(1)), int(m.group(2)))
        except ValueError as exc:
            raise BadValue("bad_date", f"“{shown}”不是有效的日期，请核对月份和日期。") from exc
        shown = text
    if period is not None:
        first, last = period_bounds(period)
        if not first <= d <= last:
            raise BadValue("date_outside_period",
                           f"日期 {d.isoformat()} 不在报送期间 {period} 内，请填写本月内的最后更新日期。")
    return d


_PLATFORM_WORDS = (
    ("视频号", "视频号"),
    ("公众号", "微信公众号"),
    ("服务号", "微信公众号"),
    ("订阅号", "微信公众号"),
    ("微信", "微信公众号"),
    ("微博", "微博"),
    ("抖音", "抖音"),
    ("头条", "今日头条"),
    ("快手", "快手"),
    ("其他", "其他"),
    ("其它", "其他"),
)


def account_key(name: str, platform: str) -> str:
    """What makes two reports the same new-media account: its name (NFKC, no spaces) and platform.

    Used by the form's duplicate check, by 连续2次不合格 across months and by the 已报备 list, so
    they always agree."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(name))) + "|" + str(platform)


_SPACES = re.compile(r"\s+")


def parse_platform(value: object, allowed: tuple[str, ...]) -> str | None:
    """A platform type from the list; common spellings (微信, 公众号, 头条号, 新浪微博) are accepted."""
    if is_blank(value):
        return None
    text = normalize_text(value).replace(" ", "")
    if text in allowed:
        return text
    for word, platform in _PLATFORM_WORDS:
        if word in text and platform in allowed:
            return platform
    raise BadValue("bad_platform",
                   f"“{str(value).strip()}”不在可选范围内，请从下拉列表选择："
                   + "、".join(allowed) + "（列表中没有的平台选“其他”）。")
