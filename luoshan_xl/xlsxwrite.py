"""Writing workbooks safely: a temp file beside the target, fsync, then one rename.

The target is never half-written: a crash leaves the old file (and a stray temp
file, cleaned up next time).  On Windows a file open in WPS or Excel cannot be
replaced; that becomes a Chinese message asking the clerk to close it.
"""

from __future__ import annotations

import functools
import glob
import math
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from luoshan_xl.errors import LuoshanError

# Never turn text into formulas, numbers or links: '=1+1' typed by a unit stays text.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def fitted_height(cells: list[tuple[str, float]], font_pt: float = 12, bold: bool = False,
                  minimum: float = 15) -> float:
    """Row height (pt) that shows wrapped text in full, for cells given as (text, column width).

    Apps do not grow rows for wrapped text when opening a file (LibreOffice never does), so
    every writer sets heights itself.  Widths are in Excel units (7 px, Calibri 11); a CJK
    character is as wide as the font size; explicit line breaks count.
    """
    char_px = font_pt * 4 / 3 * (1.08 if bold else 1.0)
    lines = 1
    for text, width in cells:
        text = str(text)
        capacity = max(1.0, (width * 7 - 10) / (char_px / 2))  # in half-width units
        if 2 * len(text) <= capacity and "\n" not in text:  # fits one line even if all wide
            continue
        lines = max(lines, _wrapped_lines(text, capacity))
    return max(minimum, lines * font_pt * 1.4 + 6)


@functools.lru_cache(maxsize=4096)  # a report's rows repeat their hosts and remarks
def _wrapped_lines(text: str, capacity: float) -> int:
    from luoshan_xl.render import display_width

    return sum(max(1, math.ceil(display_width(part) / capacity)) for part in text.split("\n"))


def office_lock_files(path: Path) -> list[Path]:
    """Owner files WPS, Excel and LibreOffice leave beside a workbook they have open."""
    names = [f"~${path.name}", f".~lock.{path.name}#", f".~{path.name}"]
    return [p for p in (path.with_name(n) for n in names) if p.exists()]


def check_not_open(path: Path, what: str = "文件") -> None:
    """Refuse to overwrite a workbook that WPS, Excel or LibreOffice has open (Linux would let us)."""
    found = office_lock_files(path)
    if found:
        raise LuoshanError(
            f"{what}“{path.name}”似乎正在 WPS 或 Excel 中打开（发现“{found[0].name}”）。请先关闭它再运行；"
            f"如果已经关闭，说明该临时文件是上次异常退出留下的，可以删除“{found[0].name}”后重试。")


def locked_message(path: Path, what: str = "文件", action: str = "写入") -> str:
    return (f"{what}“{path.name}”正被 WPS 或 Excel 打开（或被其他程序占用），无法{action}。"
            "请先关闭该文件，然后重新运行本命令。")


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def temp_glob(path: Path) -> str:
    """The pattern every temp_path(path) of any process matches."""
    return f".{glob.escape(path.stem)}.*.tmp{glob.escape(path.suffix)}"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_file(tmp: Path, path: Path, backup: Path | None = None) -> None:
    """Move a finished temp file onto `path`, keeping the previous file as `backup`."""
    _fsync(tmp)
    bak_tmp = temp_path(backup) if backup is not None and path.exists() else None
    try:
        if bak_tmp is not None:
            shutil.copy2(path, bak_tmp)
            _fsync(bak_tmp)
        os.replace(tmp, path)  # first the new file: if it cannot land, the old backup stays as it was
    except PermissionError as exc:
        tmp.unlink(missing_ok=True)
        if bak_tmp is not None:
            bak_tmp.unlink(missing_ok=True)
        raise LuoshanError(locked_message(path)) from exc
    if bak_tmp is not None:
        try:
            os.replace(bak_tmp, backup)
        except PermissionError:  # the backup is open somewhere: keep the older one
            bak_tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


_DXFS = re.compile(rb"<dxfs\b.*?</dxfs>", re.S)
_SOLID_FILL = re.compile(rb"<patternFill>\s*<bgColor ([^>]*?)/>\s*</patternFill>")


def _solid(m: re.Match) -> bytes:
    # Both colours: Excel reads bgColor for a dxf's solid fill, other readers fgColor.
    return b'<patternFill patternType="solid"><fgColor ' + m.group(1) + b"/><bgColor " + m.group(1) + b"/></patternFill>"


def solid_dxf_fills(styles_xml: bytes) -> bytes:
    """styles.xml with every conditional-format fill given an explicit patternType="solid".

    xlsxwriter writes dxf fills as <patternFill><bgColor/></patternFill>; Excel treats that
    as solid, WPS draws nothing."""
    return _DXFS.sub(lambda m: _SOLID_FILL.sub(_solid, m.group(0)), styles_xml)


def solidify_dxf_fills(path: Path) -> None:
    """`solid_dxf_fills` on the styles of a finished file (the whole zip rewritten)."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    out = path.with_name(path.name + ".solid")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "xl/styles.xml":
                data = solid_dxf_fills(data)
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    os.replace(out, path)


_NO_MARKUP = re.compile(r"[^\x00-\x1f&<>\ufffe\uffff]*")  # nothing xlsxwriter escapes (_xHHHH_ or &…;)
_EDGE_SPACE = re.compile(r"^\s|\s$")  # what makes xlsxwriter add xml:space="preserve"


@functools.cache
def _text_shared_strings():
    """xlsxwriter's shared-strings writer, every string written as text (see _workbook_class)."""
    from xlsxwriter.sharedstrings import SharedStrings

    class TextSharedStrings(SharedStrings):
        def _write_sst_strings(self) -> None:
            # Most strings need no escaping at all: those are written in one join, the others the
            # way xlsxwriter writes them, in the same order (a test compares the two on awkward texts).
            out = []
            for string in self.string_table.string_array:
                if _NO_MARKUP.fullmatch(string) and "_x" not in string and not _EDGE_SPACE.search(string):
                    out.append(f"<si><t>{string}</t></si>")
                    continue
                self.fh.write("".join(out))
                out.clear()
                self._write_si(string)
            self.fh.write("".join(out))

        def _xml_rich_si_element(self, string) -> None:
            # reached only for text shaped like "<r>…</r>" (so no edge spaces to preserve): as text
            self._xml_si_element(string, [])

    return TextSharedStrings


@functools.cache
def _workbook_class():
    """xlsxwriter's Workbook with the packager xlsxwriter lets a subclass choose, which:

    - writes every shared string as text.  xlsxwriter writes a string that starts with "<r>" and
      ends with "</r>" unescaped, as rich-text markup (that is how write_rich_string stores
      its runs); we never write rich text, and a unit may well type such an account name.
      So write_rich_string shows its markup as text here, and constant_memory (inline strings)
      does not go through this writer: neither is used;
    - with `solid_dxf`, gives styles.xml solid dxf fills before it is zipped (no second pass
      over the finished file)."""
    import xlsxwriter
    from xlsxwriter.packager import Packager

    class OurPackager(Packager):
        def _write_shared_strings_file(self) -> None:
            if not self.workbook.str_table.count:
                return
            sst = _text_shared_strings()()
            sst.string_table = self.workbook.str_table
            sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
            sst._assemble_xml_file()

        def _write_styles_file(self) -> None:
            super()._write_styles_file()
            if not self.workbook.solid_dxf:
                return
            for target, name, _binary in self.filenames:
                if name == "xl/styles.xml" and isinstance(target, str):
                    data = Path(target).read_bytes()
                    Path(target).write_bytes(solid_dxf_fills(data))
                    self.workbook.dxf_fills_solid = True

    class OurWorkbook(xlsxwriter.Workbook):
        solid_dxf = False
        dxf_fills_solid = False

        def _get_packager(self):
            return OurPackager()

    return OurWorkbook


@contextmanager
def atomic_path(path: Path, backup: Path | None = None, check_open: bool = True) -> Iterator[Path]:
    """A temp path to write that lands at `path` (the previous file kept as `backup`) only when
    the block finishes; on any error the temp file is dropped and `path` is as it was."""
    path = Path(path)
    if check_open:
        check_not_open(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        commit_file(tmp, path, backup)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_workbook(path: Path, backup: Path | None = None, options: dict | None = None,
                    solid_dxf: bool = False, check_open: bool = True) -> Iterator:
    """An xlsxwriter Workbook that lands at `path` only when the block finishes."""
    with atomic_path(path, backup, check_open) as tmp:
        # xlsxwriter writes the file only in close(): an unfinished workbook is simply dropped.
        wb = _workbook_class()(str(tmp), {**WORKBOOK_OPTIONS, **(options or {})})
        wb.solid_dxf = solid_dxf
        yield wb
        wb.close()
        if solid_dxf and not wb.dxf_fills_solid:  # an xlsxwriter that packs its files otherwise
            solidify_dxf_fills(tmp)
