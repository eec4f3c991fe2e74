"""Many plain table rows through xlsxwriter, without its per-cell cost.

A province's report is some 30,000 formatted rows; xlsxwriter stores every cell as an object
and writes it through several calls, about 5 µs a cell each way.  `RowsWorksheet.write_rows`
keeps a block of rows as bare values and writes their XML in one pass when the workbook is
closed, in the order xlsxwriter would (shared strings when written, cell styles when closed).
The file is xlsxwriter's own but for the optional `spans` hint on those rows: the tests write
the same report both ways and compare every part of the two files.

Only the xlsxwriter versions this was checked against take the fast path; any other writes
the same rows through xlsxwriter's public methods.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import numbers
from collections.abc import Iterable, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

_CHECKED = ((3, 3), (3, 4))  # [first, last) checked minor versions: the row heights' rounding is 3.3's


def checked(version: str) -> bool:
    """Whether the fast path was checked against this xlsxwriter version."""
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return False
    return _CHECKED[0] <= (major, minor) < _CHECKED[1]


FAST = checked(xlsxwriter.__version__)


class RowsWorksheet(Worksheet):
    """An xlsxwriter worksheet that also takes blocks of plain rows (`write_rows`)."""

    fast = FAST  # a test turns it off to write the reference file

    def __init__(self) -> None:
        super().__init__()
        self._blocks: list[_Block] = []

    def write_rows(self, first_row: int, rows: Iterable[Sequence], formats: Sequence, heights: Iterable[float]) -> int:
        """Rows from `first_row` on, column 0 up, one format per column, each row with its height
        in points.  A value is text, a number, a date or datetime, or None or NaN for a blank cell
        that keeps its format (borders).  Nothing else may be written in these rows.  Returns the
        number of rows written.

        Unlike xlsxwriter's own methods, a value it cannot write, or rows past the sheet's end,
        raise an error (nothing of the call is kept but shared strings already met), and
        `autofit()` does not see these rows."""
        if not formats or any(f is None for f in formats):
            raise ValueError("write_rows needs a format for every column")
        if not self.fast or self.constant_memory:
            return self._write_rows_plainly(first_row, rows, formats, heights)
        last_col = len(formats) - 1
        sst = self.str_table._get_shared_string_index
        half = self.xls_strmax // 2
        rows, heights = iter(rows), iter(heights)
        values, row_heights = [], []
        rest = None
        for row, height in zip(rows, heights, strict=True):
            if len(row) != len(formats):
                raise ValueError(f"row {first_row + len(values)} has {len(row)} values for {len(formats)} columns")
            cells = []
            for v in row:
                t = type(v)
                if t is float and -_INF < v < _INF:  # the common cases first, without a call
                    cells.append(v)
                    continue
                kind = str if t is str else _kind(v)
                if kind is str:
                    if len(v) > half:  # long enough that xlsxwriter may cut it
                        break
                    cells.append(v)
                elif kind is float:
                    cells.append(float(v))
                elif kind is None:
                    cells.append(None)
                else:
                    cells.append(float(self._convert_date_time(v)))
            # xlsxwriter's own way, from here on, for what only it knows how to write: text it may
            # cut, a default (None) height, a height of 0 (a hidden row).
            if len(cells) < len(row) or height is None or _pixels(height) == 0:
                rest = (row, height)
                break
            # Text becomes its shared-string index (an int) once the row is sure to be kept, every
            # number is a float: the two are told apart when written.
            values.append([sst(v) if type(v) is str else v for v in cells])
            row_heights.append(height)
        if values:
            last = first_row + len(values) - 1
            if self._check_dimensions(first_row, 0) or self._check_dimensions(last, last_col):
                raise ValueError(f"rows {first_row}-{last} are outside the worksheet")
            self._blocks.append(_Block(first_row, values, row_heights, list(formats)))
            for r, height in enumerate(row_heights, start=first_row):
                self.row_sizes[r] = [_pixels(height), False]  # where drawings over these rows go
        if rest:
            # The strings met so far are in the table already, in the order xlsxwriter would meet them.
            return len(values) + self._write_rows_plainly(
                first_row + len(values), itertools.chain([rest[0]], rows), formats,
                itertools.chain([rest[1]], heights))
        return len(values)

    def _write_rows_plainly(self, first_row: int, rows, formats, heights) -> int:
        n = 0
        for row, height in zip(rows, heights, strict=True):
            if len(row) != len(formats):
                raise ValueError(f"row {first_row + n} has {len(row)} values for {len(formats)} columns")
            r = first_row + n
            self.set_row(r, height)
            for c, (v, f) in enumerate(zip(row, formats, strict=True)):
                kind = _kind(v)
                if kind is str:
                    self.write_string(r, c, v, f)
                elif kind is float:
                    self.write_number(r, c, float(v), f)
                elif kind is None:
                    self.write_blank(r, c, None, f)
                else:
                    self.write_datetime(r, c, v, f)
            n += 1
        return n

    # -- at close --------------------------------------------------------------------------------

    def _write_rows(self) -> None:
        if not self._blocks:
            return super()._write_rows()
        blocks = sorted(self._blocks, key=lambda b: b.first)
        for b in blocks:
            clash = [r for r in self.table if b.first <= r <= b.last and self.table[r]]
            clash += [r for r in getattr(self, "row_info", {}) if b.first <= r <= b.last]
            if clash:
                raise ValueError(f"row {clash[0]} was written both as a block row and cell by cell")
        for before, after in zip(blocks, blocks[1:], strict=False):
            if after.first <= before.last:
                raise ValueError(f"row {after.first} was written in two blocks of rows")
        lo, hi = self.dim_rowmin, self.dim_rowmax
        try:
            start = lo
            for b in blocks:
                if start < b.first:
                    self.dim_rowmin, self.dim_rowmax = start, b.first - 1
                    super()._write_rows()
                self._write_block(b)
                start = b.last + 1
            if start <= hi:
                self.dim_rowmin, self.dim_rowmax = start, hi
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi

    def _write_block(self, b: _Block) -> None:
        # Styles are numbered as first met while writing, as xlsxwriter's own cells are.
        xf = [f._get_xf_index() for f in b.formats]
        letters = [xl_col_to_name(c) for c in range(len(xf))]
        row_tags: dict[float, str] = {}
        out = []
        for i, (cells, height) in enumerate(zip(b.values, b.heights, strict=True)):
            n = b.first + i + 1
            tag = row_tags.get(height)
            if tag is None:
                tag = row_tags[height] = self._row_attributes(height)
            out.append(f'<row r="{n}"{tag}>')
            for c, v in enumerate(cells):
                if v is None:
                    out.append(f'<c r="{letters[c]}{n}" s="{xf[c]}"/>')
                elif type(v) is int:
                    out.append(f'<c r="{letters[c]}{n}" s="{xf[c]}" t="s"><v>{v}</v></c>')
                else:
                    out.append(f'<c r="{letters[c]}{n}" s="{xf[c]}"><v>{v:.16G}</v></c>')
            out.append("</row>")
        self.fh.write("".join(out))

    def _row_attributes(self, height_pt: float) -> str:
        """The <row> attributes xlsxwriter 3.3 writes for a row given only a height."""
        pixels = _pixels(height_pt)
        attrs = ""
        custom = pixels != self.original_row_height or pixels != self.default_row_height
        if custom:
            attrs += f' ht="{pixels * 0.75:.16g}"'
        if custom:
            attrs += ' customHeight="1"'
        if self.excel_version == 2010:
            attrs += ' x14ac:dyDescent="0.25"'
        return attrs

    def _get_range_data(self, row_start, col_start, row_end, col_end):
        """Chart caches: a block's rows from its values, the others as xlsxwriter reads them."""
        if not self._blocks:
            return super()._get_range_data(row_start, col_start, row_end, col_end)
        data = []
        for r in range(row_start, row_end + 1):
            b = next((b for b in self._blocks if b.first <= r <= b.last), None)
            if b is None:
                data.extend(super()._get_range_data(r, col_start, r, col_end))
                continue
            cells = b.values[r - b.first]
            for c in range(col_start, col_end + 1):
                if c >= len(cells):
                    data.append(None)
                elif cells[c] is None:
                    data.append("")
                elif type(cells[c]) is int:
                    data.append(self.str_table._get_shared_string(cells[c]))
                else:
                    data.append(f"{cells[c]:.16g}")
        return data


_INF = math.inf


def _pixels(height_pt: float) -> int:
    """A row height in whole pixels, rounded as xlsxwriter 3.3's set_row rounds it."""
    return int(height_pt * 4.0 / 3.0 + 0.5)


def _kind(v):
    """str, float (any finite number), None (a blank: None or NaN) or "date"."""
    t = type(v)
    if t is str:
        return str
    if t is float:
        return None if math.isnan(v) else _finite(v)
    if t is int or (isinstance(v, numbers.Real) and not isinstance(v, bool)):
        return None if isinstance(v, float) and math.isnan(v) else _finite(v)
    if v is None:
        return None
    if isinstance(v, dt.date):
        return None if v != v else "date"  # NaT, pandas' missing time, is a datetime unequal to itself
    raise TypeError(f"write_rows cannot write {type(v).__name__} values")


def _finite(v):
    if not math.isfinite(v):
        raise ValueError("write_rows cannot write an infinite number")
    return float


class _Block:
    __slots__ = ("first", "last", "values", "heights", "formats")

    def __init__(self, first: int, values: list[list], heights: list[float], formats: list) -> None:
        self.first, self.last = first, first + len(values) - 1
        self.values, self.heights, self.formats = values, heights, formats
