"""Cell addresses: A1 notation both ways, and sheet-qualified references."""

from __future__ import annotations

import re

from luoshan_xl.caching import cache_when_short

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def col_letter(col: int) -> str:
    s = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def a1(row: int, col: int, absolute: bool = False) -> str:
    """0-based (row, col) → 'B3' (or '$B$3')."""
    d = "$" if absolute else ""
    return f"{d}{col_letter(col)}{d}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """'B3' or '$B$3' → 0-based (row, col)."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@cache_when_short(256)  # every form from the template names the same ranges
def parse_reference(text: str) -> tuple[str, tuple[int, int], tuple[int, int]] | None:
    """"'填报表'!$B$3" or "填报表!$A$10:$E$29" → (sheet, (r1, c1), (r2, c2)); None if not a plain range."""
    text = text.strip().lstrip("=")
    if "!" not in text:
        return None
    sheet, _, rng = text.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    try:
        first, _, last = rng.partition(":")
        start = parse_a1(first)
        end = parse_a1(last) if last else start
    except ValueError:
        return None
    return sheet, start, end
