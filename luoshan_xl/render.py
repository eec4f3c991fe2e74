"""Plain-text tables for the terminal, aligned for Chinese (wide) characters."""

from __future__ import annotations

import re

# East Asian wide and full-width characters (Unicode's W and F classes, by block): two columns each.
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")


def display_width(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


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
