"""Plain-text tables for the terminal, aligned for Chinese (wide) characters."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(headers: list[str], rows: list[list[object]], max_width: int = 60) -> str:
    def cell(v: object) -> str:
        s = "" if v is None else str(v)
        s = s.replace("\n", " ")
        if display_width(s) > max_width:
            out, w = "", 0
            for ch in s:
                w += display_width(ch)
                if w > max_width - 1:
                    break
                out += ch
            s = out + "…"
        return s

    cells = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(pad(c, w) for c, w in zip(cells[0], widths, strict=True)) + " |", line]
    for r in cells[1:]:
        out.append("| " + " | ".join(pad(c, w) for c, w in zip(r, widths, strict=True)) + " |")
    out.append(line)
    return "\n".join(out)
