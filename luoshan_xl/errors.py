"""Problems are values; fatal errors are one exception type.

A `Problem` is one thing wrong with one input file, with where it is and a
Chinese message saying how to fix it.  `LuoshanError` is a fatal error that
stops a command; the CLI renders it once and exits with its code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    cell: str | None
    code: str
    message: str

    def where(self) -> str:
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.cell:
            parts.append(f"单元格 {self.cell}")
        return "，".join(parts)

    def render(self) -> str:
        return f"{self.where()}：{self.message}"

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "code": self.code, "message": self.message}


class LuoshanError(Exception):
    """A fatal error with a Chinese message for the user."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class RejectedFile(Exception):
    """Raised while reading one input file when the whole file must be rejected.

    The merge turns it into a `Problem` for that file; other files go on.
    """

    def __init__(self, code: str, message: str, sheet: str | None = None, cell: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.sheet = sheet
        self.cell = cell
