"""Reading spreadsheets: the container is checked first (container.py), then python-calamine reads the cells.

python-calamine reads .xlsx, .xlsm, .xls and .ods by content, fast, and gives cached
formula values; it never runs macros.  Defined names come from workbook.xml, which
the container check has already parsed safely.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from luoshan_xl.container import DEFAULT_LIMITS, Container, Limits, inspect_bytes, read_capped
from luoshan_xl.errors import RejectedFile


@dataclass
class Grid:
    """The cells of one sheet; 0-based (row, col) as in the file, blanks are None."""

    name: str
    rows: list[list]
    start: tuple[int, int] = (0, 0)

    def get(self, row: int, col: int):
        r, c = row - self.start[0], col - self.start[1]
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            v = self.rows[r][c]
            return None if v == "" else v
        return None

    @property
    def n_rows(self) -> int:
        return self.start[0] + len(self.rows)

    @property
    def n_cols(self) -> int:
        return self.start[1] + max((len(r) for r in self.rows), default=0)

    def pick(self, row: int, cols: list[int]) -> list:
        """The values of `cols` in `row` (None for blanks), fast for whole-sheet reads."""
        r = row - self.start[0]
        cells = self.rows[r] if 0 <= r < len(self.rows) else ()
        n = len(cells)
        return [None if (j := c - self.start[1]) >= n or j < 0 or cells[j] == "" else cells[j] for c in cols]

    def rows_with_values(self, cols: list[int]) -> set[int]:
        """Rows with anything but None or "" in one of `cols` (blank-looking text included)."""
        return {r for r in range(self.n_rows) if any(v is not None for v in self.pick(r, cols))}

    def select(self, cols: list[int], first_row: int = 0):
        """(row, values of `cols`) for every row from `first_row`; blanks may be "" or None.

        The fast path for reading a whole sheet (the master): one C-level itemgetter a row."""
        import operator

        if self.start != (0, 0) or not cols:
            for r in range(first_row, self.n_rows):
                yield r, self.pick(r, cols)
            return
        get, need = operator.itemgetter(*cols), max(cols) + 1
        for r in range(first_row, len(self.rows)):
            cells = self.rows[r]
            values = get(cells) if len(cells) >= need else tuple(self.pick(r, cols))
            yield r, values if len(cols) > 1 else (values,)

    def columns(self, cols: list[int], first_row: int = 0) -> list[tuple] | None:
        """The values of `cols` from `first_row` on, a tuple a column; None unless every row
        has them all (calamine pads its rows to the sheet's width)."""
        if self.start != (0, 0) or not cols:
            return None
        rows = self.rows[first_row:]
        need = max(cols) + 1
        if min(map(len, rows), default=need) < need:
            return None
        every = list(zip(*rows, strict=False)) if rows else [() for _ in range(need)]
        return [every[c] for c in cols]

    def rows_from_a1(self) -> list[list]:
        width = self.n_cols
        return [[self.get(r, c) for c in range(width)] for r in range(self.n_rows)]

    def cells(self):
        for i, row in enumerate(self.rows):
            for j, v in enumerate(row):
                if v != "" and v is not None:
                    yield self.start[0] + i, self.start[1] + j, v


class SparseGrid(Grid):
    """The same interface over {(row, col): value}, as the fast .xlsx reader gives it."""

    def __init__(self, name: str, cells: dict[tuple[int, int], object]):
        self.name = name
        self._cells = cells
        self._n_rows = max((r for r, _ in cells), default=-1) + 1
        self._n_cols = max((c for _, c in cells), default=-1) + 1

    def get(self, row: int, col: int):
        return self._cells.get((row, col))

    @property
    def n_rows(self) -> int:
        return self._n_rows

    def columns(self, cols: list[int], first_row: int = 0) -> None:
        """Not kept a column at a time: callers read it row by row."""
        return None

    @property
    def n_cols(self) -> int:
        return self._n_cols

    def pick(self, row: int, cols: list[int]) -> list:
        return [self._cells.get((row, c)) for c in cols]

    def rows_with_values(self, cols: list[int]) -> set[int]:
        wanted = set(cols)
        return {r for (r, c) in self._cells if c in wanted}

    def select(self, cols: list[int], first_row: int = 0):
        for r in range(first_row, self.n_rows):
            yield r, self.pick(r, cols)

    def cells(self):
        for (r, c) in sorted(self._cells):
            yield r, c, self._cells[(r, c)]


class _AheadRead:
    """One sheet read by calamine in a thread, with a workbook of its own (see Book.read_ahead)."""

    def __init__(self, container: Container, sheet: str) -> None:
        import threading

        self._grid: Grid | None = None
        self._thread = threading.Thread(target=self._read, args=(container, sheet), daemon=True)
        self._thread.start()

    def _read(self, container: Container, sheet: str) -> None:
        try:
            self._grid = _calamine_grid(_calamine(container)[0], sheet)
        except Exception:  # noqa: BLE001 - read again by Book.grid, which raises it in the caller's thread
            pass

    def result(self) -> Grid | None:
        """The grid once read; None if the read failed."""
        self._thread.join()
        return self._grid


# A sheet part ends with its root's end tag (any prefix), then at most whitespace.
_COMPLETE_SHEET = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?worksheet\s*>\s*\Z")


@dataclass
class Book:
    path: Path
    container: Container
    sheet_names: list[str]
    _workbook: object = None
    _grids: dict[str, Grid] = field(default_factory=dict)
    _uncached: dict[str, set[tuple[int, int]]] | None = None
    _fast_uncached: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    _shared: object = None  # xlsxcells.SharedStrings
    _dates: frozenset[int] = frozenset()
    _ahead: dict[str, _AheadRead] = field(default_factory=dict)

    @property
    def defined_names(self) -> dict[str, str]:
        return self.container.defined_names

    @property
    def hidden_sheets(self) -> list[str]:
        return self.container.hidden_sheets

    def grid(self, sheet: str) -> Grid:
        if sheet not in self._grids and (ahead := self.ahead_grid(sheet)) is not None:
            self._grids[sheet] = ahead
        if sheet not in self._grids and self._fast_ready(sheet):
            self._read_fast(sheet)
        if sheet not in self._grids:
            if self._workbook is None:
                self._workbook, _ = _calamine(self.container)
            self._grids[sheet] = _calamine_grid(self._workbook, sheet)
        return self._grids[sheet]

    def read_ahead(self, sheets: list[str]) -> None:
        """Start reading `sheets` in threads, each with a calamine workbook of its own (python-calamine
        lets go of the GIL while it parses, and one workbook cannot serve two threads).  `grid` and
        `ahead_grid` wait for them; a failed read is read again by `grid`, which raises its error."""
        for sheet in sheets:
            if sheet in self._grids or sheet in self._ahead or self._fast_ready(sheet) or sheet not in self.sheet_names:
                continue
            self._ahead[sheet] = _AheadRead(self.container, sheet)

    def ahead_grid(self, sheet: str) -> Grid | None:
        """A sheet `read_ahead` reads, once read: None if it is not read ahead or its read failed.
        Safe beside another thread's `grid` of another sheet (it never touches this book's workbook)."""
        if sheet in self._grids:
            return self._grids[sheet]
        return self._ahead[sheet].result() if sheet in self._ahead else None

    def wait_ahead(self) -> None:
        """Wait for every read `read_ahead` began (after an error, so none is left running)."""
        for read in list(self._ahead.values()):
            read.result()

    def _fast_ready(self, sheet: str) -> bool:
        c = self.container
        return c.kind == "xlsx" and c.parts is not None and c.sheet_parts.get(sheet) in c.parts

    def _read_fast(self, sheet: str) -> None:
        from luoshan_xl import xlsxcells

        parts = self.container.parts
        xml = parts[self.container.sheet_parts[sheet]]
        if not _COMPLETE_SHEET.search(xml[-64:]):  # cut short: the cells after the cut would be lost
            raise RejectedFile("unreadable", f"工作表“{sheet}”不完整，文件已损坏。请让报送单位用 WPS 或 Excel 打开后"
                               "重新保存，再发送。", sheet=sheet)
        if self._shared is None:
            self._shared = xlsxcells.SharedStrings(parts.get("xl/sharedStrings.xml"))
            self._dates = xlsxcells.date_styles(parts.get("xl/styles.xml"))
        cells, uncached = xlsxcells.read_sheet(xml, self._shared, self._dates, self.container.date1904)
        self._grids[sheet] = SparseGrid(sheet, cells)
        self._fast_uncached[sheet] = uncached

    def uncached_formulas(self, sheet: str) -> set[tuple[int, int]]:
        """Cells holding a formula without a cached value (saved by a tool that never calculated)."""
        if self.container.kind != "xlsx":
            return set()
        if sheet in self._fast_uncached:
            return self._fast_uncached[sheet]
        if self._uncached is None:
            self._uncached = _scan_uncached(self.container)
        return self._uncached.get(sheet, set())


def open_book(path: Path, limits: Limits = DEFAULT_LIMITS, trusted_sha256: str | None = None,
              data: bytes | None = None) -> Book:
    """Open a workbook for reading, after the container checks.

    `trusted_sha256`: the hash of a file we wrote ourselves (the master); when the file still
    has exactly that hash, the checks are skipped — its bytes are the ones we produced.
    `data`: the file's bytes when the caller has read them already (`read_capped`).
    """
    path = path if isinstance(path, Path) else Path(path)  # (a Path made again is parsed again)
    if trusted_sha256 is not None:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == trusted_sha256:
            container = Container("xlsx", data, False)
            wb, names = _calamine(container)
            return Book(path=path, container=container, sheet_names=names, _workbook=wb)
    if data is None:
        data = read_capped(path, limits)
    container = inspect_bytes(data, path.name, limits)
    if container.kind == "xlsx" and container.parts is not None and container.sheet_names:
        # The fast reader has what it needs; calamine is opened only if a sheet needs it.
        return Book(path=path, container=container, sheet_names=list(container.sheet_names))
    wb, names = _calamine(container)
    return Book(path=path, container=container, sheet_names=names, _workbook=wb)


def _calamine_grid(workbook, sheet: str) -> Grid:
    """One sheet read by python-calamine, padded from A1."""
    try:
        return Grid(sheet, workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False))
    except Exception as exc:  # calamine raises several types on damaged parts
        raise RejectedFile("unreadable", f"无法读取工作表“{sheet}”（{type(exc).__name__}），"
                           "文件可能已损坏，请让报送单位用 WPS 或 Excel 重新保存后发送。", sheet=sheet) from exc


def _calamine(container: Container):
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(container.data))
        return wb, list(wb.sheet_names)
    except Exception as exc:
        if type(exc).__name__ == "PasswordError":
            raise RejectedFile("encrypted", "工作簿设置了打开密码，无法读取。请让报送单位取消密码后重新发送。") from exc
        raise RejectedFile("unreadable", f"无法读取这个工作簿（{type(exc).__name__}），文件可能已损坏。"
                           "请让报送单位用 WPS 或 Excel 打开后重新保存为 .xlsx 再发送。") from exc


def _scan_uncached(container: Container) -> dict[str, set[tuple[int, int]]]:
    """Uncached formulas of a workbook read by calamine (its parts were too large to keep):
    the same detection as the fast reader's, over the sheet members the container checked."""
    from luoshan_xl import xlsxcells

    out: dict[str, set[tuple[int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(container.data)) as z:
        for sheet, part in container.sheet_parts.items():
            try:
                xml = z.read(part)  # already size-checked by the container inspection
            except KeyError:
                continue
            _cells, uncached = xlsxcells.read_sheet(xml, xlsxcells.SharedStrings(None), frozenset())
            if uncached:
                out[sheet] = uncached
    return out
