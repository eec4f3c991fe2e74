"""Plain table workbooks, written directly: the master's long sheets.

xlsxwriter spends about 9 µs on a cell; a province's master is half a million cells,
written again on every merge.  Its sheets hold nothing but text, numbers and dates under
one bold header row, so their XML is written here in one pass, at about a tenth of that.
Everything with real formatting (the report, the forms, receipts) is written with xlsxwriter.

Text is always stored as text (shared strings): '=1+1' typed by a unit never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from luoshan_xl.cells import col_letter, quote_sheet

MAX_CELL_CHARS = 32767  # Excel's limit; longer text is cut, as xlsxwriter does
_ROWS_PER_CHUNK = 2000
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_LEAP_BUG = dt.datetime(1900, 3, 1)
# Characters XML 1.0 cannot carry, written as Excel does (_xHHHH_); an existing _xHHHH_ is escaped first.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPED_LOOKALIKE = re.compile("_x[0-9A-Fa-f]{4}_")

HEADER_STYLE, DATE_STYLE = 1, 2
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass
class Table:
    """One sheet: a header row of `columns`, then `rows` of str / int / float / date / None."""

    name: str
    columns: Sequence[str]
    widths: Sequence[float]
    rows: Sequence[Sequence]


def write_tables(path: Path, tables: Sequence[Table], compresslevel: int = 6) -> None:
    """Write `tables` as a workbook at `path` (the caller makes that atomic: see xlsxwrite.atomic_path)."""
    for table in tables:
        _check_sheet_name(table.name)
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as z:
        extents = []
        for i, table in enumerate(tables, start=1):
            # no ZIP64: Excel repairs files that use it where not needed (the master's limits stay far below)
            with z.open(f"xl/worksheets/sheet{i}.xml", "w") as member, _Background(member) as out:
                extents.append(_write_sheet(out, table, strings, selected=i == 1))
        with z.open("xl/sharedStrings.xml", "w") as member, _Background(member) as out:
            for chunk in _shared_strings(strings):
                out.write(chunk)
        z.writestr("xl/workbook.xml", _workbook(tables, extents))
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(tables)))
        z.writestr("[Content_Types].xml", _content_types(len(tables)))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("docProps/app.xml", _APP)
        z.writestr("docProps/core.xml", _core())


def excel_width(width: float) -> float:
    """The stored width for a column `width` characters wide, as Excel (and xlsxwriter) store it."""
    if width <= 0:
        return 0.0
    return int((int(width * 7 + 0.5) + 5) / 7 * 256) / 256


def _write_sheet(out, table: Table, strings: dict[str, int], selected: bool) -> tuple[int, int]:
    """The sheet's XML into `out`, rows streamed in chunks; returns (last row, last column), 1-based."""
    n_cols = len(table.columns)
    letters = [col_letter(c) for c in range(n_cols)]
    last = len(table.rows) + 1
    ref = f"A1:{letters[-1]}{last}"

    def sid(text: str) -> int:
        i = strings.get(text)
        if i is None:
            i = strings[text] = len(strings)
        return i

    cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{excel_width(w)}" customWidth="1"/>'
                   for c, w in enumerate(table.widths[:n_cols]))
    tab = 'tabSelected="1" ' if selected else ""
    header = "".join(f'<c r="{letters[c]}1" s="{HEADER_STYLE}" t="s"><v>{sid(_cut(t))}</v></c>'
                     for c, t in enumerate(table.columns))
    chunk = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
             f'<dimension ref="{ref}"/><sheetViews><sheetView {tab}workbookViewId="0">'
             '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
             '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
             f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
             f'<sheetData><row r="1">{header}</row>']
    for r, row in enumerate(table.rows, start=2):
        cells = [f'<row r="{r}">']
        for col, v in zip(letters, row, strict=False):
            kind = type(v)
            if kind is str:
                if v:
                    cells.append(f'<c r="{col}{r}" t="s"><v>{sid(_cut(v))}</v></c>')
            elif kind is int:
                cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
            elif kind is float:
                cells.append(f'<c r="{col}{r}"><v>{_number(v)}</v></c>')
            elif v is None:
                continue
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{col}{r}" s="{DATE_STYLE}"><v>{_serial(v)}</v></c>')
            elif isinstance(v, int | float):  # bool, numpy numbers
                cells.append(f'<c r="{col}{r}"><v>{_number(float(v))}</v></c>')
            elif str(v):
                cells.append(f'<c r="{col}{r}" t="s"><v>{sid(_cut(str(v)))}</v></c>')
        cells.append("</row>")
        chunk.append("".join(cells))
        if len(chunk) >= _ROWS_PER_CHUNK:
            out.write("".join(chunk).encode("utf-8", "replace"))
            chunk = []
    chunk.append(f'</sheetData><autoFilter ref="{ref}"/><pageMargins left="0.7" right="0.7" top="0.75" '
                 'bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    out.write("".join(chunk).encode("utf-8", "replace"))
    return last, n_cols


def _check_sheet_name(name: str) -> None:
    if not 0 < len(name) <= 31 or any(ch in name for ch in "[]:*?/\\") or name.startswith("'") \
            or name.endswith("'"):
        raise ValueError(f"not a sheet name Excel accepts: {name!r}")


def _number(v: float) -> str:
    if not math.isfinite(v):
        raise ValueError(f"not a number a workbook can hold: {v!r}")
    return repr(v)


def _cut(text: str) -> str:
    return text[:MAX_CELL_CHARS] if len(text) > MAX_CELL_CHARS else text


def _serial(v: dt.date) -> str:
    moment = v.replace(tzinfo=None) if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
    days = (moment - _EXCEL_EPOCH).total_seconds() / 86400
    if moment < _LEAP_BUG:  # Excel counts a 29 February 1900 that never was: earlier days are one less
        days -= 1
    return repr(int(days)) if days == int(days) else repr(days)


def _xml_text(text: str) -> str:
    if "_x" in text:
        text = _ESCAPED_LOOKALIKE.sub(lambda m: "_x005F" + m.group(0), text)
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return escape(text)


def _shared_strings(strings: dict[str, int]) -> Iterator[bytes]:
    """The shared-strings part, in pieces of some thousand strings."""
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" count="{len(strings)}" '
           f'uniqueCount="{len(strings)}">').encode()
    items = []
    for text in strings:  # in index order: dicts keep insertion order
        space = ' xml:space="preserve"' if text != text.strip() else ""
        items.append(f"<si><t{space}>{_xml_text(text)}</t></si>")
        if len(items) >= 4 * _ROWS_PER_CHUNK:
            yield "".join(items).encode("utf-8", "replace")
            items = []
    yield ("".join(items) + "</sst>").encode("utf-8", "replace")


class _Background:
    """A writer that hands its chunks to a thread: deflating and CRC-summing a zip member let go
    of the GIL, so a sheet's next rows are turned into XML meanwhile (a province's master is some
    80 MB of XML; deflating it takes about a second).  Errors are raised in the caller."""

    def __init__(self, out) -> None:
        import queue
        import threading

        self._out, self._queue, self._error = out, queue.Queue(maxsize=4), None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._out.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised again in the writing thread
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def __enter__(self) -> _Background:
        return self

    def __exit__(self, *exc) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def _sheet_ref(name: str, last_row: int, last_col: int) -> str:
    return f"{quote_sheet(name)}!$A$1:${col_letter(last_col - 1)}${last_row}"


def _workbook(tables: Sequence[Table], extents: list[tuple[int, int]]) -> bytes:
    sheets = "".join(f'<sheet name={quoteattr(t.name)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, t in enumerate(tables, start=1))
    names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f"{escape(_sheet_ref(t.name, *extents[i]))}</definedName>" for i, t in enumerate(tables))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<workbookPr/><bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" '
            f'windowHeight="9660"/></bookViews><sheets>{sheets}</sheets><definedNames>{names}</definedNames>'
            '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>').encode()


def _workbook_rels(n: int) -> bytes:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = [f'<Relationship Id="rId{i}" Type="{base}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)]
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{base}/styles" Target="styles.xml"/>')
    rels.append(f'<Relationship Id="rId{n + 2}" Type="{base}/sharedStrings" Target="sharedStrings.xml"/>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'{"".join(rels)}</Relationships>').encode()


def _content_types(n: int) -> bytes:
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = [f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sml}.worksheet+xml"/>'
                 for i in range(1, n + 1)]
    overrides += [
        f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>',
        f'<Override PartName="/xl/styles.xml" ContentType="{sml}.styles+xml"/>',
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sml}.sharedStrings+xml"/>',
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>',
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>',
    ]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'{"".join(overrides)}</Types>').encode()


def _core() -> bytes:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:creator>luoshan-xl</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            '</cp:coreProperties>').encode()


_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
).encode()

_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    b"</Properties>"
)

# 0: default; HEADER_STYLE: bold on light blue with thin borders; DATE_STYLE: yyyy-mm-dd
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
).encode()
