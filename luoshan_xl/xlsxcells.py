"""A small, fast reader for the cells of one .xlsx sheet, from parts already inflated and checked.

A unit's form is a few kilobytes of XML: reading it here, from the bytes the container
check inflated once, costs a fraction of opening the zip again in a general reader.
Cells are placed by their `r` attribute (or by position where a writer left it out),
so rows stored out of order or an understated dimension lose nothing.  Formulas give
their cached value; a formula with no cached value is reported.  Numbers in a date
format become dates, as in Excel.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from luoshan_xl.caching import cache_when_short

_P = rb"(?:[\w.-]+:)?"
_ITEMS = re.compile(
    rb"<" + _P + rb"row\b([^>]*?)/?>"  # 1: row attributes
    rb"|<" + _P + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _P + rb"c>)",  # 2: cell attributes, 3: cell body
    re.S,
)
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"|([\w:]+)\s*=\s*\'([^\']*)\'')
_V = re.compile(rb"<" + _P + rb"v(?:\s[^>]*)?>(.*?)</" + _P + rb"v>", re.S)
_F = re.compile(rb"<" + _P + rb"f[\s/>]")
_T = re.compile(rb"<" + _P + rb"t(?:\s[^>]*)?>(.*?)</" + _P + rb"t>|<" + _P + rb"t\s*/>", re.S)
_RPH = re.compile(rb"<" + _P + rb"rPh\b.*?</" + _P + rb"rPh>", re.S)
_SI_ATTRIBUTED = re.compile(rb"<si[\s/]")
_SI = re.compile(rb"<" + _P + rb"si\b[^>]*?(?:/>|>(.*?)</" + _P + rb"si>)", re.S)
_REF = re.compile(rb"([A-Z]{1,3})(\d+)")
_NUMFMT = re.compile(rb"<" + _P + rb"numFmt\b([^>]*)/?>")
_CELLXFS = re.compile(rb"<" + _P + rb"cellXfs\b.*?</" + _P + rb"cellXfs>", re.S)
_XF = re.compile(rb"<" + _P + rb"xf\b([^>]*)")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
# Built-in number formats that are dates or times (including the CJK ones).
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_R_ATTR = re.compile(rb"""(?<![\w:])r\s*=\s*["']([^"']*)["']""")
_T_ATTR = re.compile(rb"""(?<![\w:])t\s*=\s*["'](\w+)["']""")
_S_ATTR = re.compile(rb"""(?<![\w:])s\s*=\s*["'](\d+)["']""")


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    out = {}
    for m in _ATTR.finditer(raw):
        key = m.group(1) or m.group(3)
        out[key.rsplit(b":", 1)[-1]] = m.group(2) if m.group(1) else m.group(4)
    return out


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if b"&" in raw:
        text = html.unescape(text)
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _runs(body: bytes) -> str:
    """The text of a string item: its <t> runs, without phonetic (rPh) runs."""
    if body[:3] == b"<t>" and body[-4:] == b"</t>" and body.count(b"<") == 2:  # one plain run: most items
        return _text(body[3:-4])
    if b"rPh" in body:
        body = _RPH.sub(b"", body)
    runs = _T.findall(body)
    return _text(runs[0]) if len(runs) == 1 else "".join(_text(r) for r in runs)


def _has_markup(xml: bytes) -> bool:
    """Whether `xml` has "<!" anywhere or "<?" from offset 5 on (after the declaration): found by
    single-byte scans (memchr), some 50× faster than the two-byte searches on a form's sheet.
    After a few "?" (a form's sheet has one, the declaration's "?>") one C search takes the rest,
    so a sheet full of "?" costs no more than before."""
    if b"!" in xml and b"<!" in xml:
        return True
    q = xml.find(b"?", 6)  # the "?" of a "<?" at offset 5 or later
    for _ in range(8):
        if q < 0:
            return False
        if xml[q - 1] == 0x3C:  # "<"
            return True
        q = xml.find(b"?", q + 1)
    return q >= 0 and xml.find(b"<?", q - 1) >= 0  # every "?" before q was looked at


def _unusual_items(xml: bytes) -> bool:
    """What the split fast path cannot take: prefixed, attributed or empty items, or CDATA.
    (Three literal-led tests: a regex alternation would cost more than the split saves.)"""
    return b":si" in xml or (b"!" in xml and b"<![CDATA[" in xml) or _SI_ATTRIBUTED.search(xml) is not None


class SharedStrings:
    """The shared-string table, each string decoded when a cell first uses it.

    Forms carry the roster's names for their drop-down lists; a sheet uses a few dozen.
    """

    def __init__(self, xml: bytes | None):
        xml = xml or b""
        self._xml = _strip_markup(xml) if _has_markup(xml) else xml  # no office suite writes them here
        self._items = _SI.finditer(self._xml)  # scanned only as far as the highest index used
        self._spans: list[tuple[int, int]] = []
        self._cache: dict[int, str] = {}
        self._bodies: list[bytes] | None = None
        if b"<si>" in self._xml and not _unusual_items(self._xml):
            # as Excel, WPS and LibreOffice write it: one split in C instead of a regex match an item
            self._bodies = self._xml.split(b"<si>")[1:]

    def _scan_to(self, i: int) -> None:
        while len(self._spans) <= i:
            m = next(self._items, None)
            if m is None:
                return
            self._spans.append(m.span(1))

    def __len__(self) -> int:
        if self._bodies is not None:
            return len(self._bodies)
        self._scan_to(1 << 62)
        return len(self._spans)

    def __getitem__(self, i: int) -> str:
        if i not in self._cache:
            if i < 0:
                raise IndexError(i)
            if self._bodies is not None:
                body = self._bodies[i]  # IndexError for a bad index, as a list would
                self._cache[i] = _runs(body[: body.find(b"</si>")])
                return self._cache[i]
            self._scan_to(i)
            start, end = self._spans[i]  # IndexError for a bad index, as a list would
            self._cache[i] = _runs(self._xml[start:end]) if start >= 0 else ""
        return self._cache[i]


def shared_strings(xml: bytes | None) -> list[str]:
    table = SharedStrings(xml)
    return [table[i] for i in range(len(table))]


def _is_date_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code).lower()
    return "general" not in code and bool(re.search(r"[dmyhs]", code))


def date_styles(xml: bytes | None) -> frozenset[int]:
    """Indices of the cell formats (the `s` of a cell) that show a number as a date or time."""
    if not xml:
        return frozenset()
    return _date_styles(bytes(xml))


@cache_when_short(64 * 1024, maxsize=64)  # the template's styles come back with every form
def _date_styles(xml: bytes) -> frozenset[int]:
    custom = {}
    for m in _NUMFMT.finditer(xml):
        a = _attrs(m.group(1))
        if b"numFmtId" in a:
            custom[int(a[b"numFmtId"])] = _is_date_code(_text(a.get(b"formatCode", b"")))
    block = _CELLXFS.search(xml)
    out = set()
    if block:
        for i, m in enumerate(_XF.finditer(block.group(0))):
            fid = int(_attrs(m.group(1)).get(b"numFmtId", b"0") or 0)
            if fid in _BUILTIN_DATES or custom.get(fid, False):
                out.add(i)
    return frozenset(out)


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


_FULL_CELL = re.compile(rb"<(?:[\w.-]++:)?c\b([^>]*+)(?<!/)>(.*?)</" + _P + rb"c>", re.S)
_PLAIN_CELL = re.compile(rb"<c\b([^>]*+)(?<!/)>(.*?)</c>", re.S)  # most sheets: no prefixed cells
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<\?(?!xml[\s?]).*?\?>", re.S)


def _xml_escape(raw: bytes) -> bytes:
    return raw.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def _strip_markup(xml: bytes) -> bytes:
    """Comments and processing instructions gone, CDATA made plain (escaped) text: one pass, left to
    right, as a parser reads them, so none can hide a cell-like or item-like text."""
    return _MARKUP.sub(lambda m: _xml_escape(m.group(1)) if m.group(1) is not None else b"", xml)


# A cell as Excel, WPS, LibreOffice and xlsxwriter write a number or a shared string: the whole sheet
# in one findall when every cell with a body looks like this.
_PLAIN_V_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(s|n)")?><v>([^<]*)</v></c>')


def read_sheet(xml: bytes, shared, dates: set[int], date1904: bool = False
               ) -> tuple[dict[tuple[int, int], object], set[tuple[int, int]]]:
    """Cells {(row, col): value} (0-based; blanks left out) and the cells with uncached formulas.

    `date1904`: the workbook's dates count from 1904-01-01 (old Mac Excel), not 1899-12-30."""
    epoch = _EPOCH_1904 if date1904 else _EXCEL_EPOCH
    # Fast path: every writer we know gives each cell its `r`, so the many formatted blank
    # cells (<c r=".." s=".."/>) can be passed over unread.  Any cell without one: full walk.
    cells: dict[tuple[int, int], object] = {}
    uncached: set[tuple[int, int]] = set()
    if _has_markup(xml):
        xml = _strip_markup(xml)
    prefixed = _PREFIXED_CELL.search(xml) is not None
    if not prefixed:
        plain_cells = _PLAIN_V_CELL.findall(xml)
        if len(plain_cells) == xml.count(b"</c>"):  # every cell with a body is a plain one
            for letters, digits, style, t, v in plain_cells:
                if v.strip():
                    _plain_cell(int(digits) - 1, _col(letters), int(style or 0), t or None, v, shared, dates,
                                cells, epoch)
            return cells, uncached
    for m in (_FULL_CELL if prefixed else _PLAIN_CELL).finditer(xml):
        rr = _R_ATTR.search(m.group(1))
        rm = _REF.fullmatch(rr.group(1).replace(b"$", b"")) if rr else None
        if rm is None:
            return _read_sheet_walk(xml, shared, dates, epoch)
        _cell(int(rm.group(2)) - 1, _col(rm.group(1)), m.group(1), m.group(2), shared, dates, cells, uncached,
              epoch)
    return cells, uncached


def _read_sheet_walk(xml: bytes, shared, dates: set[int], epoch: dt.datetime
                     ) -> tuple[dict[tuple[int, int], object], set[tuple[int, int]]]:
    cells: dict[tuple[int, int], object] = {}
    uncached: set[tuple[int, int]] = set()
    row, col = -1, -1
    for m in _ITEMS.finditer(xml):
        if m.group(1) is not None:
            rr = _R_ATTR.search(m.group(1))
            row = int(rr.group(1)) - 1 if rr else row + 1
            col = -1
            continue
        raw_attrs = m.group(2)
        rr = _R_ATTR.search(raw_attrs)
        rm = _REF.fullmatch(rr.group(1).replace(b"$", b"")) if rr else None
        if rm:
            row, col = int(rm.group(2)) - 1, _col(rm.group(1))
        else:
            col += 1
        body = m.group(3)
        if body:  # else a formatted blank cell: most of a form
            _cell(row, col, raw_attrs, body, shared, dates, cells, uncached, epoch)
    return cells, uncached


def _plain_cell(row: int, col: int, style: int, t: bytes | None, v: bytes, shared, dates, cells: dict,
                epoch: dt.datetime) -> None:
    """`_cell` for a cell with only r, s and t (s or none) and a non-blank <v>: the cells of most forms."""
    if t == b"s":
        try:
            value = shared[int(v)]
        except (ValueError, IndexError):
            return
    else:
        value = _number(v.strip(), style, dates, epoch)
    if value != "" and value is not None:
        cells[(row, col)] = value


def _number(raw: bytes, style: int, dates, epoch: dt.datetime):
    try:
        number = float(raw)
    except ValueError:
        return _text(raw)
    if style in dates and 0 <= number < 2958466:
        moment = epoch + dt.timedelta(days=number)
        return moment.date() if number == int(number) else moment
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _cell(row: int, col: int, raw_attrs: bytes, body: bytes, shared, dates: set[int],
          cells: dict, uncached: set, epoch: dt.datetime = _EXCEL_EPOCH) -> None:
    """Decode one cell with a body into `cells` (or `uncached` for a formula without a value)."""
    v = _V.search(body)
    if (v is None or not v.group(1).strip()) and _F.search(body):  # openpyxl writes <v></v>
        uncached.add((row, col))
        return
    tm = _T_ATTR.search(raw_attrs)
    t = tm.group(1) if tm else b"n"
    value: object
    if t == b"inlineStr":
        value = _runs(body)
    elif v is None:
        return
    elif t == b"s":
        try:
            value = shared[int(v.group(1))]
        except (ValueError, IndexError):
            value = ""
    elif t in (b"str", b"e"):
        value = _text(v.group(1))
    elif t == b"b":
        value = v.group(1).strip() == b"1"
    elif t == b"d":
        try:
            value = dt.datetime.fromisoformat(_text(v.group(1)).strip())
        except ValueError:
            value = _text(v.group(1))
    else:
        sm = _S_ATTR.search(raw_attrs)
        value = _number(v.group(1).strip(), int(sm.group(1)) if sm else 0, dates, epoch)
    if value != "" and value is not None:
        cells[(row, col)] = value
