"""Parsing values as clerks type them (luoshan_xl/values.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from luoshan_xl.form import PLATFORMS
from luoshan_xl.values import (
    BadValue,
    clean_text,
    is_blank,
    parse_count,
    parse_date,
    parse_period,
    parse_platform,
    period_bounds,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"\b(error|invalid|value|not|must|please|expected|number|date|period|platform)\b", re.I)

BLANKS = [None, "", "  ", "\u3000", "\u3000 \t"]


def assert_chinese(exc: BadValue) -> None:
    assert exc.message == str(exc)
    assert CJK.search(exc.message), exc.message
    assert not ENGLISH.search(exc.message), exc.message


def rejects(fn, value, *args, code: str) -> BadValue:
    with pytest.raises(BadValue) as info:
        fn(value, *args)
    assert info.value.code == code, (value, info.value.code, info.value.message)
    assert_chinese(info.value)
    return info.value


# -- blank ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BLANKS)
def test_blank(value):
    assert is_blank(value)
    assert clean_text(value) is None
    assert parse_count(value) is None
    assert parse_period(value) is None
    assert parse_date(value, "2019-08") is None
    assert parse_platform(value, PLATFORMS) is None


@pytest.mark.parametrize("value", [0, 0.0, "0", False, dt.date(2019, 8, 1)])
def test_not_blank(value):
    assert not is_blank(value)


# -- parse_count ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (12, 12), (12.0, 12), ("12", 12), ("12条", 12), ("１２", 12), (" 12 ", 12), ("\u300012\u3000", 12),
    ("1,234", 1234), ("1，234", 1234), ("0", 0), (0, 0), (0.0, 0), ("12.0", 12), ("１２条", 12),
    ("+5", 5), ("3个", 3), ("3篇", 3),
])
def test_parse_count_accepts(value, expected):
    got = parse_count(value)
    assert got == expected
    assert type(got) is int


@pytest.mark.parametrize("value, code", [
    (-1, "negative"), ("-3", "negative"), (-1.0, "negative"), ("－３", "negative"),
    (1.5, "fraction"), ("2.5", "fraction"), ("2.5条", "fraction"),
    ("abc", "not_number"), ("十二", "not_number"), (True, "not_number"), (False, "not_number"),
    ("12 条 abc", "not_number"), ("1e3", "not_number"),
    (dt.date(2019, 8, 26), "not_number"), (dt.datetime(2019, 8, 26, 9, 30), "not_number"),
    (dt.time(12, 0), "not_number"),
])
def test_parse_count_rejects(value, code):
    rejects(parse_count, value, code=code)


def test_parse_count_message_shows_the_typed_text():
    assert "abc" in rejects(parse_count, "abc", code="not_number").message
    assert "-3" in rejects(parse_count, "-3", code="negative").message
    assert "2.5" in rejects(parse_count, "2.5", code="fraction").message


def test_parse_count_too_big():
    rejects(parse_count, 10**9, code="too_big")


# -- parse_period --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "2019-08", "2019-8", "2019年8月", "2019年08月份", "2019年8月份", "2019.8", "2019.08", "2019/08", "2019/8",
    "201908", " 2019-08 ", "２０１９－０８", "2019 年 8 月", "2019-08-26", "2019年8月26日",
    dt.date(2019, 8, 1), dt.date(2019, 8, 31), dt.datetime(2019, 8, 15, 10, 0),
    43678.0, 43678, 43708,  # Excel serials of 2019-08-01 and 2019-08-31
    2019.08, 2019.8, 201908,
])
def test_parse_period_accepts(value):
    assert parse_period(value) == "2019-08"


@pytest.mark.parametrize("value, expected", [
    ("2019-10", "2019-10"), ("2019.10", "2019-10"), ("2019-1", "2019-01"), ("2019年12月", "2019-12"),
    (2019.12, "2019-12"), (dt.date(2020, 1, 31), "2020-01"),
])
def test_parse_period_other_months(value, expected):
    assert parse_period(value) == expected


def test_parse_period_2019_1_is_ambiguous():
    exc = rejects(parse_period, 2019.1, code="bad_period")
    assert "10" in exc.message and "1" in exc.message


@pytest.mark.parametrize("value", ["2019-13", "2019-0", "2019年13月", "abc", "八月", "1999-08", "2019", "19-08",
                                   "2019-08-32x", 2019.13])
def test_parse_period_rejects(value):
    rejects(parse_period, value, code="bad_period")


def test_period_bounds():
    assert period_bounds("2019-08") == (dt.date(2019, 8, 1), dt.date(2019, 8, 31))
    assert period_bounds("2020-02") == (dt.date(2020, 2, 1), dt.date(2020, 2, 29))


# -- parse_date ----------------------------------------------------------------------------------

AUG26 = dt.date(2019, 8, 26)


@pytest.mark.parametrize("value", [
    AUG26, dt.datetime(2019, 8, 26, 17, 45), 43703, 43703.0, 43703.75,
    "2019/8/26", "2019.8.26", "2019-08-26", "2019-8-26", "2019年8月26日", "8月26日", "8/26", "8-26",
    " 2019-08-26 ", "２０１９－０８－２６", "2019-08-26 09:30", "8月26",
])
def test_parse_date_accepts(value):
    got = parse_date(value, "2019-08")
    assert got == AUG26
    assert type(got) is dt.date


def test_parse_date_month_boundaries():
    assert parse_date("8月1日", "2019-08") == dt.date(2019, 8, 1)
    assert parse_date("8月31日", "2019-08") == dt.date(2019, 8, 31)
    assert parse_date("2月29日", "2020-02") == dt.date(2020, 2, 29)


def test_parse_date_without_period():
    assert parse_date("2019-09-01", None) == dt.date(2019, 9, 1)
    rejects(parse_date, "8月26日", None, code="bad_date")


@pytest.mark.parametrize("value", ["2019-09-01", "2019-07-31", "7月31日", "9/1", dt.date(2018, 8, 26), 43709])
def test_parse_date_outside_period(value):
    exc = rejects(parse_date, value, "2019-08", code="date_outside_period")
    assert "2019-08" in exc.message


@pytest.mark.parametrize("value", ["8月32日", "2019-08-32", "2019-02-30", "abc", "昨天", "26", 26, 12.5, True])
def test_parse_date_rejects(value):
    rejects(parse_date, value, "2019-08", code="bad_date")


# -- parse_platform ------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_parse_platform_every_listed_platform(platform):
    assert parse_platform(platform, PLATFORMS) == platform
    assert parse_platform(f" {platform}\u3000", PLATFORMS) == platform


@pytest.mark.parametrize("typed, expected", [
    ("微信", "微信公众号"), ("公众号", "微信公众号"), ("微信服务号", "微信公众号"), ("订阅号", "微信公众号"),
    ("头条号", "今日头条"), ("头条", "今日头条"), ("新浪微博", "微博"), ("微信视频号", "视频号"),
    ("抖音号", "抖音"), ("快手号", "快手"), ("其它", "其他"),
])
def test_parse_platform_common_spellings(typed, expected):
    assert parse_platform(typed, PLATFORMS) == expected


@pytest.mark.parametrize("typed", ["小红书", "B站", "网站", "abc"])
def test_parse_platform_rejects(typed):
    exc = rejects(parse_platform, typed, PLATFORMS, code="bad_platform")
    assert typed in exc.message
    for p in PLATFORMS:
        assert p in exc.message


def test_parse_platform_respects_the_allowed_list():
    assert parse_platform("微信", ("微博", "微信公众号")) == "微信公众号"
    rejects(parse_platform, "抖音", ("微博",), code="bad_platform")


# -- clean_text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (" 罗山发布 ", "罗山发布"), ("=1+1", "=1+1"), (12.0, "12"), (12, "12"), ("ＡＢ", "ＡＢ"),
])
def test_clean_text(value, expected):
    assert clean_text(value) == expected
