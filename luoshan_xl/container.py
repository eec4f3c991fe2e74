"""Decide what an input file really is, and reject dangerous or broken ones.

This is the gate every emailed file passes before any spreadsheet reader
(python-calamine) sees it.  The decision is made from the file's content
(magic bytes), never from its extension:

* zip (``PK\\x03\\x04``) -> ``"xlsx"`` (also .xlsm) or ``"ods"``;
* OLE2 compound file (``D0 CF 11 E0 A1 B1 1A E1``) -> ``"xls"``, or
  ``encrypted`` when it is a password-protected .xlsx / .xls;
* HTML / text / anything else -> rejected.

Everything here is bounded in time and memory (see `Limits`):

* the file on disk is read up to ``max_file_bytes + 1`` bytes only;
* every zip member is inflated by our own streaming inflater, in chunks,
  counting the bytes actually produced -- the sizes declared in the zip are
  never trusted, and reading stops as soon as a cap is exceeded;
* members whose data overlap (the "overlapping files" zip bomb) and zips
  with more members than allowed are rejected before anything is inflated;
* every ``.xml`` / ``.rels`` member is scanned, while inflating, for a
  ``<!DOCTYPE`` or ``<!ENTITY`` (UTF-8 and UTF-16), so billion-laughs and
  XXE payloads are rejected before any other reader sees the file;
  ``xl/workbook.xml``, its rels, ``[Content_Types].xml`` and the shared
  strings are fully parsed with defusedxml (streaming, pruned as it goes);
* worksheet XML is checked with regex scans (no DOM) for the dimension,
  row and cell references beyond ``max_rows`` / ``max_cols`` and for cells
  longer than ``max_cell_chars``.

The library never prints; problems are raised as `RejectedFile` with a
Chinese message for an office clerk (the caller adds the file name).
"""

from __future__ import annotations

import array
import functools
import html
import io
import itertools
import os
import pathlib
import posixpath
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as DET

from luoshan_xl.cells import col_letter
from luoshan_xl.errors import RejectedFile

__all__ = [
    "DEFAULT_LIMITS",
    "Container",
    "Limits",
    "inspect_bytes",
    "inspect_file",
    "read_capped",
    "safe_parse_xml",
]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * MiB  # the file on disk
    max_member_bytes: int = 64 * MiB  # one zip member, uncompressed, measured while inflating
    max_total_bytes: int = 200 * MiB  # all members together, uncompressed, measured
    max_members: int = 2000
    max_ratio: int = 1000  # compression ratio of one member (> 1 MiB uncompressed) beyond which it is a bomb
    max_rows: int = 100_000  # dimension / row numbers in a sheet
    max_cols: int = 256
    max_cell_chars: int = 32767
    keep_parts_bytes: int = 16 * MiB  # keep inflated XML parts for the reader when they total at most this


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Container:
    kind: str  # "xlsx" (incl. xlsm), "xls" (legacy BIFF in OLE2), "ods"
    data: bytes  # the file's bytes, for the reader
    has_macros: bool  # reported only; macros are never run or kept
    defined_names: dict[str, str] = field(default_factory=dict)  # workbook-scoped names (xlsx only)
    sheet_names: list[str] = field(default_factory=list)  # workbook order (xlsx only)
    hidden_sheets: list[str] = field(default_factory=list)  # hidden / veryHidden (xlsx only)
    # xlsx: the XML parts as inflated (and checked) here, so the reader need not inflate them again;
    # None when they were larger than Limits.keep_parts_bytes.
    parts: dict[str, bytes] | None = None
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name -> member path (xlsx only)
    date1904: bool = False  # the workbook counts dates from 1904 (old Mac Excel)


# --------------------------------------------------------------------------
# Messages (one or two plain Chinese sentences; the caller adds the file name)
# --------------------------------------------------------------------------

_ASK_RESAVE = "请让报送单位用 WPS 或 Excel 重新保存后发送。"
_SAVE_AS_XLSX = "请在 WPS 或 Excel 中打开后“另存为”Excel 工作簿（.xlsx）再发送。"

MSG_EMPTY = "文件是空的（0 字节），可能在下载或转存时损坏，请让报送单位重新发送。"
MSG_ENCRYPTED = "这个文件设置了密码保护，系统无法读取。请让报送单位取消密码后重新发送。"
MSG_ENCRYPTED_XLS = (
    "这个文件设置了密码保护（打开密码或“保护工作簿”密码），系统无法读取。请让报送单位取消密码后重新发送。"
)
MSG_CORRUPT_ZIP = "文件已损坏（压缩包不完整或校验失败），" + _ASK_RESAVE
MSG_CORRUPT_XML = "文件内容已损坏（内部 XML 格式错误），" + _ASK_RESAVE
MSG_ZIP_BOMB = (
    "文件解压后的内容异常巨大（疑似“压缩炸弹”），已拒绝读取。请让报送单位确认文件来源，重新保存后发送。"
)
MSG_TOO_MANY_MEMBERS = (
    "文件内部包含的部件数量异常多（疑似“压缩炸弹”），已拒绝读取。请让报送单位确认文件来源，重新保存后发送。"
)
MSG_UNSAFE_XML = (
    "文件中含有不安全的 XML 内容（实体定义），已拒绝读取。请让报送单位用 WPS 或 Excel 另存为新文件后发送。"
)
MSG_HTML = "这个文件实际上是网页（HTML）表格，只是扩展名为 .xls/.xlsx。" + _SAVE_AS_XLSX
MSG_XML2003 = "这个文件实际上是“XML 电子表格 2003”格式，只是扩展名为 .xls/.xlsx。" + _SAVE_AS_XLSX
MSG_NOT_SPREADSHEET = (
    "这个文件不是 Excel 工作簿（.xlsx/.xls），请使用 luoshan-xl template 生成的报送表填写后发送。"
)
MSG_WORD = "这个文件是 Word 文档，不是 Excel 工作簿（.xlsx/.xls），请使用 luoshan-xl template 生成的报送表填写后发送。"
MSG_PPT = "这个文件是 PowerPoint 演示文稿，不是 Excel 工作簿（.xlsx/.xls），请使用 luoshan-xl template 生成的报送表填写后发送。"
MSG_XLSB = "这个文件是 Excel 二进制工作簿（.xlsb），本系统无法读取。" + _SAVE_AS_XLSX
MSG_ODS = ("这个文件是 OpenDocument 表格（.ods）。请在 WPS 或 LibreOffice 中打开后“另存为”Excel 工作簿（.xlsx）"
           "再发送。")
MSG_BROKEN_PARTS = "工作簿内部结构异常（工作表的内容缺失或存放位置不对），" + _ASK_RESAVE
MSG_UNREADABLE = "无法读取这个文件，可能已被删除、移动或正被其他程序占用，请检查后重试。"
MSG_LOCKED = "这个文件正被 WPS 或 Excel 打开（或被其他程序占用），无法读取。请先关闭该文件，然后重新运行本命令。"


def _fmt_size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:g} MB"
    return f"{n} 字节"


def _msg_too_large(limits: Limits) -> str:
    return (
        f"文件太大（超过 {_fmt_size(limits.max_file_bytes)}），不像是本系统的报送表。"
        "请让报送单位删除多余内容（如图片）后重新保存，或确认是否发错了文件。"
    )


def _msg_too_many_cells(limits: Limits, row: int, col: int) -> str:
    return (
        f"工作表范围过大（用到了第 {row} 行、第 {col} 列，本系统最多 {limits.max_rows} 行、"
        f"{limits.max_cols} 列），不是本系统的报送表。"
        "请让报送单位删除多余的行列，或使用 luoshan-xl template 生成的报送表重新填写后发送。"
    )


def _msg_unpacked_too_large(limit: int) -> str:
    return (
        f"文件解压后的内容超过 {_fmt_size(limit)}，数据量远超本系统报送表的范围，已拒绝读取。"
        "请让报送单位删除多余的行列或内容（如图片）后重新保存发送。"
    )


def _msg_cell_too_long(limits: Limits) -> str:
    return (
        f"有单元格的文字超过 {limits.max_cell_chars} 个字符，超出了 Excel 的上限，文件可能已损坏。"
        "请让报送单位检查并缩短该单元格内容后重新发送。"
    )


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------


def inspect_file(path: pathlib.Path, limits: Limits = DEFAULT_LIMITS) -> Container:
    """Read ``path`` (at most ``max_file_bytes + 1`` bytes) and `inspect_bytes` it."""
    return inspect_bytes(read_capped(path, limits), pathlib.Path(path).name, limits)


def read_capped(path: pathlib.Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes, at most ``max_file_bytes + 1`` of them (one more says "too large")."""
    cap = limits.max_file_bytes + 1
    try:
        with open(path, "rb") as fh:
            # read(cap) alone would allocate the whole cap (50 MiB) for every small form
            want = min(os.fstat(fh.fileno()).st_size + 1, cap)
            data = fh.read(want)
            if len(data) == want < cap:  # the request filled: longer than it said (growing, or /proc)
                data += fh.read(cap - want)
            return data
    except PermissionError as exc:  # on Windows: open in WPS or Excel
        raise RejectedFile("locked", MSG_LOCKED) from exc
    except OSError as exc:
        raise RejectedFile("unreadable", MSG_UNREADABLE) from exc


def inspect_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> Container:
    """Classify ``data`` by content and check it against ``limits``.

    ``name`` is only informational (the extension is never trusted).
    Raises `RejectedFile` with one of the codes ``empty``, ``too_large``,
    ``encrypted``, ``not_spreadsheet``, ``html_table``, ``corrupt_zip``,
    ``corrupt_xml``, ``zip_bomb``, ``unsafe_xml``, ``too_many_cells``,
    ``cell_too_long`` (`inspect_file` adds ``unreadable`` and ``locked`` for I/O errors).

    A worksheet is rejected as ``too_many_cells`` when its ``<dimension>``
    exceeds ``max_rows`` / ``max_cols`` (even if the rows actually present
    are few -- Excel and WPS write the real used range, so a huge dimension
    means the file was not made from our template), or when any ``<row r>``
    / cell reference, or the number of ``<row>`` elements, exceeds the caps.
    """
    del name  # the caller adds the file name to the message
    data = bytes(data)
    if len(data) == 0:
        raise RejectedFile("empty", MSG_EMPTY)
    if len(data) > limits.max_file_bytes:
        raise RejectedFile("too_large", _msg_too_large(limits))
    if data.startswith(_OLE_MAGIC):
        return _inspect_ole(data)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _inspect_zip(data, limits)
    _reject_non_container(data)
    raise AssertionError("unreachable")  # pragma: no cover


def safe_parse_xml(data: bytes):
    """Parse ``data`` with defusedxml, forbidding DTDs, entities and external references.

    Returns the root `xml.etree.ElementTree.Element`.  Any DTD / entity ->
    `RejectedFile("unsafe_xml")`; malformed XML -> `RejectedFile("corrupt_xml")`.
    """
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise RejectedFile("unsafe_xml", MSG_UNSAFE_XML) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise RejectedFile("corrupt_xml", MSG_CORRUPT_XML) from exc


# --------------------------------------------------------------------------
# Not a container: HTML, text, unknown
# --------------------------------------------------------------------------


def _text_head(data: bytes) -> str:
    """The first 4 KiB as text, good enough to look for ASCII markup."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "ignore")
    return head.decode("utf-8", "ignore").lstrip("\ufeff")


def _reject_non_container(data: bytes) -> None:
    head = _text_head(data).lstrip().lower()
    if head.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in head and "<html" not in head:
            raise RejectedFile("not_spreadsheet", MSG_XML2003)
        if "<html" in head or "<table" in head:
            raise RejectedFile("html_table", MSG_HTML)
    # "Single File Web Page" (.mht) saved with an .xls name
    if head.startswith("mime-version:") and "text/html" in head:
        raise RejectedFile("html_table", MSG_HTML)
    raise RejectedFile("not_spreadsheet", MSG_NOT_SPREADSHEET)


# --------------------------------------------------------------------------
# OLE2 compound files (.xls, encrypted .xlsx)
# --------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAXREGSECT = 0xFFFFFFFA
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_MAX_DIR_SECTORS = 1024  # real workbooks need a handful


class _OleError(Exception):
    pass


@dataclass
class _OleEntry:
    name: str
    type: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class _Ole:
    """A small, bounded reader of an OLE2 compound file's directory and streams."""

    def __init__(self, data: bytes):
        if len(data) < 512:
            raise _OleError("short header")
        self.data = data
        major = struct.unpack_from("<H", data, 0x1A)[0]
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise _OleError("bad sector shift")
        self.ssz = 1 << shift
        self.mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
        if self.mini_size != 64:
            raise _OleError("bad mini sector shift")
        (dir_start,) = struct.unpack_from("<I", data, 0x30)
        (self.mini_cutoff,) = struct.unpack_from("<I", data, 0x38)
        (minifat_start,) = struct.unpack_from("<I", data, 0x3C)
        (difat_start,) = struct.unpack_from("<I", data, 0x44)
        self.nsect = max(0, (len(data) - self.ssz) // self.ssz)

        # FAT sector numbers: 109 in the header, then the DIFAT chain.
        fat_sids = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _MAXREGSECT]
        per = self.ssz // 4 - 1
        sid, seen = difat_start, set()
        while sid < _MAXREGSECT:
            if sid in seen or sid >= self.nsect:
                raise _OleError("bad DIFAT chain")
            seen.add(sid)
            vals = struct.unpack_from(f"<{per + 1}I", data, self._off(sid))
            fat_sids.extend(s for s in vals[:per] if s < _MAXREGSECT)
            sid = vals[per]
            if len(fat_sids) > self.nsect:
                raise _OleError("too many FAT sectors")
        # FAT sectors beyond what the file's size needs would only describe
        # sectors that do not exist: ignore them (keeps the table bounded).
        n = self.ssz // 4
        del fat_sids[self.nsect // n + 1 :]
        self.fat = self._table(fat_sids)

        raw = b"".join(self._sector(s) for s in self._chain(dir_start, self.fat, _MAX_DIR_SECTORS))
        entries = []
        major3 = major == 3
        for off in range(0, len(raw) - 127, 128):
            name_len, etype = struct.unpack_from("<HB", raw, off + 64)
            if etype == 0 or not (2 <= name_len <= 64):
                continue
            name = raw[off : off + name_len - 2].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<IQ", raw, off + 116)
            if major3:
                size &= 0xFFFFFFFF
            entries.append(_OleEntry(name, etype, start, size))
        if not entries or entries[0].type != 5:
            raise _OleError("no root entry")
        self.entries = entries
        self._minifat_start = minifat_start

    def _table(self, sids) -> array.array:
        """Concatenate sectors holding little-endian uint32 entries (FAT / mini FAT)."""
        table = array.array("I")
        for s in sids:
            if s >= self.nsect:
                raise _OleError("table sector out of range")
            table.frombytes(self._sector(s))
        if sys.byteorder == "big":
            table.byteswap()
        return table

    def _off(self, sid: int) -> int:
        return (sid + 1) * self.ssz

    def _sector(self, sid: int) -> bytes:
        off = self._off(sid)
        return self.data[off : off + self.ssz]

    def _chain(self, start: int, fat, limit: int | None = None) -> Iterator[int]:
        """Sector ids of a chain; bounded, cycle-safe."""
        sid, count = start, 0
        limit = len(fat) if limit is None else limit
        seen: set[int] = set()
        while sid < _MAXREGSECT and count < limit:
            if sid >= len(fat) or sid in seen:
                raise _OleError("bad chain")
            seen.add(sid)
            yield sid
            count += 1
            sid = fat[sid]

    def names(self) -> set[str]:
        return {e.name.lower() for e in self.entries[1:]}

    def read_prefix(self, stream_name: str, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of a top-level-or-nested stream, by case-insensitive name."""
        want = stream_name.lower()
        entry = next((e for e in self.entries if e.type == 2 and e.name.lower() == want), None)
        if entry is None:
            return b""
        size = min(entry.size, max_bytes)
        if entry.size >= self.mini_cutoff:
            nsec = -(-size // self.ssz)
            out = b"".join(self._sector(s) for s in self._chain(entry.start, self.fat, nsec))
            return out[:size]
        # Small stream: lives in the mini stream (inside the root entry's chain).
        minifat = self._table(self._chain(self._minifat_start, self.fat))
        root_chain = list(self._chain(self.entries[0].start, self.fat))
        per_sector = self.ssz // self.mini_size
        parts = []
        nmini = -(-size // self.mini_size)
        for ms in self._chain(entry.start, minifat, nmini):
            idx, rem = divmod(ms, per_sector)
            if idx >= len(root_chain):
                raise _OleError("mini sector out of range")
            off = self._off(root_chain[idx]) + rem * self.mini_size
            parts.append(self.data[off : off + self.mini_size])
        return b"".join(parts)[:size]


_BIFF_BOF = {0x0809, 0x0409, 0x0209, 0x0009}
_BIFF_FILEPASS = 0x002F


def _biff_has_filepass(stream: bytes) -> bool:
    """FILEPASS comes right after the first BOF (after an optional WRITEPROT)."""
    pos = 0
    for i in range(8):
        if pos + 4 > len(stream):
            return False
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        if i == 0 and rtype not in _BIFF_BOF:
            return False
        if rtype == _BIFF_FILEPASS:
            return True
        pos += 4 + rlen
    return False


def _inspect_ole(data: bytes) -> Container:
    try:
        ole = _Ole(data)
        names = ole.names()
    except (_OleError, struct.error):
        return _inspect_ole_crude(data)
    if "encryptioninfo" in names or "encryptedpackage" in names:
        raise RejectedFile("encrypted", MSG_ENCRYPTED)
    book = "workbook" if "workbook" in names else "book" if "book" in names else None
    if book is None:
        if "worddocument" in names:
            raise RejectedFile("not_spreadsheet", MSG_WORD)
        if "powerpoint document" in names:
            raise RejectedFile("not_spreadsheet", MSG_PPT)
        raise RejectedFile("not_spreadsheet", MSG_NOT_SPREADSHEET)
    try:
        if _biff_has_filepass(ole.read_prefix(book, 8192)):
            raise RejectedFile("encrypted", MSG_ENCRYPTED_XLS)
    except (_OleError, struct.error):
        pass  # let the reader report a damaged workbook stream
    has_macros = "_vba_project_cur" in names or "_vba_project" in names
    return Container("xls", data, has_macros, {}, [], [])


def _inspect_ole_crude(data: bytes) -> Container:
    """Fallback for a compound file whose directory we cannot walk."""
    head = data[: 4 * MiB]
    if "EncryptionInfo".encode("utf-16-le") in head or "EncryptedPackage".encode("utf-16-le") in head:
        raise RejectedFile("encrypted", MSG_ENCRYPTED)
    if "Workbook".encode("utf-16-le") in head or "Book\x00".encode("utf-16-le") in head:
        return Container("xls", data, False, {}, [], [])
    raise RejectedFile("not_spreadsheet", MSG_NOT_SPREADSHEET)


# --------------------------------------------------------------------------
# Zip: measured inflation
# --------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # 30 bytes
_CHUNK_IN = 64 * 1024
_CHUNK_OUT = 256 * 1024

# Markup that only a DTD can contain, in UTF-8 and both UTF-16 byte orders.
_XML_DANGER_UTF8 = (b"<!DOCTYPE", b"<!ENTITY")
_XML_DANGER_UTF16 = tuple(s.decode().encode(enc) for s in _XML_DANGER_UTF8 for enc in ("utf-16-le", "utf-16-be"))
_DANGER_OVERLAP = 2 * len("<!DOCTYPE") - 1


def _has_dtd_markup(window: bytes) -> bool:
    """Whether `window` holds DTD markup.  Substring tests, not one regex alternation: they skip
    ahead on the markers' rare letters (about 10× faster, on every part of every form), and UTF-16
    is only looked for when the window has a NUL byte at all (one memchr), all only when it has a "!"."""
    return b"!" in window and (  # every marker has a "!" byte, in UTF-8 and UTF-16 alike: one memchr
        any(m in window for m in _XML_DANGER_UTF8)
        or (b"\x00" in window and any(m in window for m in _XML_DANGER_UTF16)))


def _bomb(limit: int | None = None) -> RejectedFile:
    """``limit`` given: a size cap was hit; otherwise the compression ratio is absurd."""
    return RejectedFile("zip_bomb", MSG_ZIP_BOMB if limit is None else _msg_unpacked_too_large(limit))


def _corrupt() -> RejectedFile:
    return RejectedFile("corrupt_zip", MSG_CORRUPT_ZIP)


def _raw_name(info: zipfile.ZipInfo | _Entry) -> bytes:
    if type(info) is _Entry:
        return info.raw_name
    enc = "utf-8" if info.flag_bits & 0x800 else "cp437"
    try:
        return info.orig_filename.encode(enc)
    except UnicodeEncodeError:
        return info.orig_filename.encode("utf-8", "surrogateescape")


def _data_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(start, end) of a member's compressed bytes, validated against its local header."""
    off = info.header_offset
    if off < 0 or off + _LOCAL_HEADER.size > len(data):
        raise _corrupt()
    fields = _LOCAL_HEADER.unpack_from(data, off)
    if fields[0] != b"PK\x03\x04":
        raise _corrupt()
    name_len, extra_len = fields[9], fields[10]
    start = off + _LOCAL_HEADER.size
    if data[start : start + name_len] != _raw_name(info):
        raise _corrupt()  # local and central names differ: readers could disagree
    start += name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise _corrupt()
    return start, end


def _iter_member(
    data: bytes, info: zipfile.ZipInfo, span: tuple[int, int], limits: Limits
) -> Iterator[bytes]:
    """Inflate one member, yielding chunks; never trusts its declared size.

    Stops with ``zip_bomb`` as soon as the bytes produced exceed
    ``max_member_bytes``, or (beyond 1 MiB) ``max_ratio`` times the
    compressed bytes consumed so far -- so a 1 GB bomb is stopped after
    about 1 MiB, not at its end; ``corrupt_zip`` on truncation, bad CRC, or
    a produced size different from the declared one.
    """
    if info.flag_bits & 0x1:
        raise RejectedFile("encrypted", MSG_ENCRYPTED)
    start, end = span
    produced = 0
    crc = 0

    def account(chunk: bytes, consumed: int) -> None:
        nonlocal produced, crc
        produced += len(chunk)
        if produced > limits.max_member_bytes:
            raise _bomb(limits.max_member_bytes)
        if produced > MiB and produced > limits.max_ratio * max(consumed, 1):
            raise _bomb()
        crc = zlib.crc32(chunk, crc)

    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(start, end, _CHUNK_OUT):
            chunk = data[pos : min(pos + _CHUNK_OUT, end)]
            account(chunk, pos + len(chunk) - start)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-zlib.MAX_WBITS)
        pos = start
        pending = b""
        try:
            while not d.eof:
                if not pending:
                    if pos >= end:
                        # all input fed: drain what zlib still holds, bounded per call
                        chunk = d.decompress(b"", _CHUNK_OUT)
                        if not chunk:
                            break
                        account(chunk, end - start)
                        yield chunk
                        continue
                    pending = data[pos : min(pos + _CHUNK_IN, end)]
                    pos += len(pending)
                chunk = d.decompress(pending, _CHUNK_OUT)
                pending = d.unconsumed_tail
                if chunk:
                    account(chunk, pos - start - len(pending))
                    yield chunk
        except zlib.error as exc:
            raise _corrupt() from exc
        if not d.eof:
            raise _corrupt()  # truncated deflate stream
    else:
        raise _corrupt()  # Excel/WPS/LibreOffice only write stored or deflated members
    if crc != info.CRC or produced != info.file_size:
        raise _corrupt()


def _read_member(data: bytes, info: zipfile.ZipInfo, span: tuple[int, int], limits: Limits) -> bytearray:
    buf = bytearray()
    for chunk in _iter_member(data, info, span, limits):
        buf += chunk
    return buf


# Members byte-for-byte the same as one inflated and scanned before (in this process) are not
# inflated again: a province's thousands of forms from one template share their styles, theme,
# help sheet and more.  The key is the compressed bytes and everything the central directory
# declares of them, so the outcome is the one inflating would give; only small members are kept.
_MEMO_MAX_COMPRESSED = 64 * 1024
_MEMO_MAX_INFLATED = 64 * 1024  # a template's parts are a few KiB; a hostile file's large ones are not kept
_MEMO_BUDGET = 8 * MiB  # bytes one memo may hold, whatever the files that filled it


class _Memo(dict):
    """A memo bounded by the bytes it holds (keys and values, as `size` counts them): emptied when
    full, so a run's repeated parts come straight back and hostile files cannot make it grow."""

    def __init__(self):
        super().__init__()
        self.held = 0

    def put(self, key, value, size: int):
        if self.held + size > _MEMO_BUDGET:
            self.clear()
            self.held = 0
        self[key] = value
        self.held += size
        return value

    def remember(self, key, compute, size: int):
        """The value for `key`, computed (and kept) the first time; an error is never kept."""
        hit = self.get(key)
        return hit if hit is not None else self.put(key, compute(), size)


def _memoizable(data) -> bool:
    """A part small enough to be a memo key (the template's parts; not a hostile file's large ones)."""
    return isinstance(data, bytes) and len(data) <= _MEMO_MAX_INFLATED


_inflated_memo = _Memo()  # (compressed bytes and directory entry) → (part, size, DTD markup)
_passed_sheets = _Memo()  # (sheet part, limits) → True: passed `_check_sheet`
_elements_memo = _Memo()  # (part, wanted) → `_elements` of it


def _inflate_scanned(data: bytes, info: zipfile.ZipInfo, span: tuple[int, int], limits: Limits, total: int,
                     xmlish: bool, keep: bool) -> tuple[bytes | None, int, bool]:
    """(the inflated member if `xmlish` and `keep`, its size, whether it holds DTD markup), measured
    against the limits while inflating (`total`: the bytes the members before it produced)."""
    key = None
    if span[1] - span[0] <= _MEMO_MAX_COMPRESSED and info.file_size <= _MEMO_MAX_INFLATED:
        key = (info.compress_type, info.flag_bits & 0x1, info.CRC, info.file_size, xmlish, data[span[0]:span[1]])
        hit = _inflated_memo.get(key)
        if hit is not None and hit[1] <= limits.max_member_bytes and total + hit[1] <= limits.max_total_bytes:
            return hit if keep else (None, *hit[1:])
    collect = xmlish and (keep or key is not None)
    chunks = []
    tail = b""
    produced = 0
    has_dtd = False
    for chunk in _iter_member(data, info, span, limits):
        produced += len(chunk)
        if collect:
            chunks.append(bytes(chunk))
        if total + produced > limits.max_total_bytes:
            raise _bomb(limits.max_total_bytes)
        if xmlish and not has_dtd:
            window = tail + chunk
            has_dtd = _has_dtd_markup(window)
            tail = window[-_DANGER_OVERLAP:]
    out = (b"".join(chunks) if collect else None, produced, has_dtd)
    if key is not None:
        _inflated_memo.put(key, out, len(key[-1]) + (len(out[0]) if out[0] is not None else 0))
    return out if keep or out[0] is None else (None, *out[1:])


def _is_xmlish(name: str) -> bool:
    low = name.lower()
    return low.endswith((".xml", ".rels"))


class _Entry:
    """What the gate uses of a central-directory record (the attributes of zipfile.ZipInfo)."""

    __slots__ = ("filename", "orig_filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size",
                 "header_offset", "raw_name")


_EOCD = struct.Struct("<4s4H2IH")  # end of central directory, no comment
_CDIR = struct.Struct("<4s4B4H3I5H2I")  # one central-directory record (zipfile's structCentralDir)


def _plain_central_directory(data: bytes) -> list[_Entry] | None:
    """The members of an archive as office suites write it (no archive comment, no ZIP64, the central
    directory right before its end record, no extra fields), read as zipfile reads them: about 10×
    faster, which counts on every form.  None for anything else, which zipfile itself then reads."""
    if len(data) < _EOCD.size or data[-22:-18] != b"PK\x05\x06" or data[-2:] != b"\x00\x00" \
            or data[-42:-38] == b"PK\x06\x07":
        return None
    _sig, disk, disk_cd, _n_here, n, size_cd, offset_cd, _comment = _EOCD.unpack_from(data, len(data) - 22)
    if disk or disk_cd or offset_cd + size_cd != len(data) - 22:  # zipfile's "concat" would not be 0
        return None
    entries: list[_Entry] = []
    pos, end = offset_cd, offset_cd + size_cd
    while pos < end:
        if pos + _CDIR.size > end:
            return None
        rec = _CDIR.unpack_from(data, pos)
        (sig, _cv, _cs, extract_version, _r, flags, method, _t, _d, crc, csize, usize, name_len, extra_len,
         comment_len, _disk, _ia, _ea, offset) = rec
        if sig != b"PK\x01\x02" or extract_version > 63 or extra_len or 0xFFFFFFFF in (csize, usize, offset):
            return None
        pos += _CDIR.size
        raw = data[pos : pos + name_len]
        pos += name_len + comment_len
        if pos > end:
            return None
        try:
            # an ASCII name reads the same in both (and ASCII decodes in C, cp437 in Python)
            name = raw.decode("ascii" if raw.isascii() else "utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        if "\x00" in name or (os.sep != "/" and os.sep in name):
            return None
        e = _Entry()
        e.filename = e.orig_filename = name
        e.raw_name = raw
        e.flag_bits, e.compress_type, e.CRC, e.compress_size, e.file_size, e.header_offset = (
            flags, method, crc, csize, usize, offset)
        entries.append(e)
    return entries if len(entries) == n and pos == end else None


def _open_zip(data: bytes, limits: Limits) -> list:
    # Every central-directory record starts with this signature, so its count
    # bounds the number of ZipInfo objects zipfile will build.
    if data.count(b"PK\x01\x02") > limits.max_members:
        raise RejectedFile("zip_bomb", MSG_TOO_MANY_MEMBERS)
    infos = _plain_central_directory(data)
    try:
        if infos is None:
            infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        struct.error,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        UnicodeDecodeError,
    ) as exc:
        raise _corrupt() from exc
    if len(infos) > limits.max_members:
        raise RejectedFile("zip_bomb", MSG_TOO_MANY_MEMBERS)
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _corrupt()  # duplicate names: different readers would pick different copies
    return infos


def _inspect_zip(data: bytes, limits: Limits) -> Container:
    infos = _open_zip(data, limits)
    spans: dict[str, tuple[int, int]] = {}
    for info in infos:
        spans[info.filename] = _data_span(data, info)
    # Overlapping member data is never produced by an office suite but is the
    # trick behind non-recursive zip bombs.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in itertools.pairwise(ordered):
        if b.header_offset < spans[a.filename][1]:
            raise _bomb()

    # Pass 1: measure every member, scan XML members for DTD/entities, keep small XML parts.
    total = 0
    unsafe = False
    parts: dict[str, bytes] | None = {}
    for info in infos:
        xmlish = _is_xmlish(info.filename)
        inflated, produced, has_dtd = _inflate_scanned(data, info, spans[info.filename], limits, total, xmlish,
                                                       keep=parts is not None)
        unsafe = unsafe or has_dtd
        total += produced
        if xmlish and parts is not None:
            if total > limits.keep_parts_bytes:
                parts = None
            else:
                parts[info.filename] = inflated
    if unsafe:
        raise RejectedFile("unsafe_xml", MSG_UNSAFE_XML)

    by_name = {i.filename: i for i in infos}

    def read(member: str):
        if parts is not None and member in parts:
            return parts[member]
        return _read_member(data, by_name[member], spans[member], limits)

    if "xl/workbook.xml" in by_name:
        return _inspect_xlsx(data, by_name, read, limits, parts)
    if "content.xml" in by_name and "mimetype" in by_name:
        mimetype = bytes(read("mimetype")).strip()
        if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
            # Not read: its repeated rows and columns would need their own caps (an 889-byte file
            # can ask for gigabytes), and WPS and Excel users do not send .ods.
            raise RejectedFile("not_spreadsheet", MSG_ODS)
    if "xl/workbook.bin" in by_name:
        raise RejectedFile("not_spreadsheet", MSG_XLSB)
    if any(n.startswith("word/") for n in by_name):
        raise RejectedFile("not_spreadsheet", MSG_WORD)
    if any(n.startswith("ppt/") for n in by_name):
        raise RejectedFile("not_spreadsheet", MSG_PPT)
    raise RejectedFile("not_spreadsheet", MSG_NOT_SPREADSHEET)


# --------------------------------------------------------------------------
# xlsx: workbook.xml, rels, content types, shared strings, sheets
# --------------------------------------------------------------------------


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _xml_events(data) -> Iterator[tuple[str, object]]:
    """Streaming defused parse; each element is dropped from its parent after its end event."""
    stack: list = []
    try:
        for event, elem in DET.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                stack.append(elem)
                yield event, elem
            else:
                yield event, elem
                stack.pop()
                if stack:
                    stack[-1].remove(elem)
    except defusedxml.DefusedXmlException as exc:
        raise RejectedFile("unsafe_xml", MSG_UNSAFE_XML) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise RejectedFile("corrupt_xml", MSG_CORRUPT_XML) from exc


def _elements(data, wanted: set[str]) -> Sequence[tuple[str, Mapping[str, str], str]]:
    """(local name, attributes by local name, text) of the `wanted` elements, in document order
    (read-only: the same part of the next form gets the very same ones)."""
    if not _memoizable(data):
        return _parse_elements(data, wanted)
    return _elements_memo.remember((data, frozenset(wanted)), lambda: tuple(
        (tag, MappingProxyType(attrs), text) for tag, attrs, text in _parse_elements(data, wanted)), 2 * len(data))


def _parse_elements(data, wanted: set[str]) -> list[tuple[str, dict[str, str], str]]:
    """`_elements`, parsed.

    A plain expat pass (C speed, no tree) for the small parts read on every form.  The
    member was already scanned for DTDs and entities; any that slipped through are refused
    here too, and malformed XML is `corrupt_xml`.
    """
    import xml.parsers.expat as expat

    out: list[tuple[str, dict[str, str], str]] = []
    text: list[str] | None = None

    def start(name, attrs):
        nonlocal text
        local = name.rsplit("}", 1)[-1]
        if local in wanted:
            out.append((local, {k.rsplit("}", 1)[-1]: v for k, v in attrs.items()}, ""))
            text = []
        else:
            text = None

    def chars(data):
        if text is not None:
            text.append(data)

    def end(name):
        nonlocal text
        if text is not None and out:
            out[-1] = (out[-1][0], out[-1][1], "".join(text))
        text = None

    def refuse(*_args):
        raise RejectedFile("unsafe_xml", MSG_UNSAFE_XML)

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    try:
        parser.Parse(bytes(data), True)
    except expat.ExpatError as exc:
        raise RejectedFile("corrupt_xml", MSG_CORRUPT_XML) from exc
    return out


def _parse_rels(data, base_dir: str) -> Mapping[str, tuple[str, str]]:
    """rId -> (type, resolved member path) (read-only: the same part of the next form gets it too)."""
    if not _memoizable(data):
        return _resolve_rels(data, base_dir)
    return _elements_memo.remember(("rels", data, base_dir), lambda: MappingProxyType(_resolve_rels(data, base_dir)),
                                   2 * len(data))


def _resolve_rels(data, base_dir: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for _tag, attrs, _text in _elements(data, {"Relationship"}):
        rid, target = attrs.get("Id"), attrs.get("Target")
        if not rid or not target or attrs.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(base_dir, target))
        out[rid] = (attrs.get("Type") or "", path)
    return out


def _inspect_xlsx(data: bytes, by_name: dict, read, limits: Limits, parts: dict[str, bytes] | None) -> Container:
    has_macros = "xl/vbaProject.bin" in by_name
    if "[Content_Types].xml" in by_name:
        # Already scanned for DTDs and entities: a byte search is enough to spot a macro content type.
        has_macros = has_macros or b"macroenabled" in bytes(read("[Content_Types].xml")).lower()

    rels: dict[str, tuple[str, str]] = {}
    if "xl/_rels/workbook.xml.rels" in by_name:
        rels = _parse_rels(read("xl/_rels/workbook.xml.rels"), "xl")

    sheet_names: list[str] = []
    hidden: list[str] = []
    defined: dict[str, str] = {}
    sheet_paths: dict[str, str] = {}  # member path -> sheet name
    date1904 = False
    for tag, attrs, text in _elements(read("xl/workbook.xml"), {"sheet", "definedName", "workbookPr"}):
        if tag == "workbookPr":
            date1904 = attrs.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            sname = attrs.get("name")
            if sname is None:
                continue
            sheet_names.append(sname)
            if attrs.get("state") in ("hidden", "veryHidden"):
                hidden.append(sname)
            rid = attrs.get("id")  # r:id, by its local name
            if rid and rid in rels:
                # Readers look parts up case-insensitively: check the very member they will read,
                # and refuse a sheet that points at nothing we checked.
                member = _member(rels[rid][1], by_name)
                if member is None or not _is_xmlish(member):
                    raise RejectedFile("broken_workbook", MSG_BROKEN_PARTS, sheet=sname)
                sheet_paths[member] = sname
        elif tag == "definedName":
            dname = attrs.get("name")
            if not dname or attrs.get("localSheetId") is not None:
                continue
            if dname.lower().startswith(("_xlnm.", "_xlfn.")):
                continue
            defined.setdefault(dname, text or "")

    sheet_re = re.compile(r"xl/worksheets/[^/]+\.xml")
    sheets = {n: sheet_paths.get(n) for n in by_name if sheet_re.fullmatch(n)}
    for path, sname in sheet_paths.items():
        if path in by_name:
            sheets[path] = sname

    shared = {"xl/sharedStrings.xml"}
    shared.update(p for t, p in rels.values() if t.endswith("/sharedStrings"))
    for path in sorted(shared):
        member = _member(path, by_name)
        if member is not None and not _is_xmlish(member):
            raise RejectedFile("broken_workbook", MSG_BROKEN_PARTS)
        if member is not None:
            _check_shared_strings(read(member), limits)

    for path, sname in sheets.items():
        _check_sheet(read(path), limits, sname)

    return Container("xlsx", data, has_macros, defined, sheet_names, hidden, parts,
                     {name: path for path, name in sheets.items() if name}, date1904)


def _member(path: str, by_name: dict) -> str | None:
    """The zip member a part path names, matched as readers match it (case-insensitively)."""
    if path in by_name:
        return path
    low = path.lower()
    return next((n for n in by_name if n.lower() == low), None)


def _check_shared_strings(data, limits: Limits) -> None:
    if len(data) <= limits.max_cell_chars:  # no string can be longer than the whole part
        return
    count = 0
    in_rph = 0
    for event, elem in _xml_events(data):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "si":
                count = 0
            elif tag == "rPh":
                in_rph += 1
            continue
        if tag == "t" and not in_rph:
            count += len(elem.text or "")
            if count > limits.max_cell_chars:
                raise RejectedFile("cell_too_long", _msg_cell_too_long(limits))
        elif tag == "rPh":
            in_rph -= 1


def _col_number(letters: bytes) -> int:
    if len(letters) > 4:
        return 1 << 30
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


_P = rb"(?:[\w.-]+:)?"  # optional namespace prefix
_DIM_RE = re.compile(rb"<" + _P + rb"dimension\s[^<>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_REF_RE = re.compile(rb"\$?([A-Za-z]+)\$?(\d+)")
_ROW_ELEM_RE = re.compile(rb"<" + _P + rb"row[\s/>]")
_TAG_RE = re.compile(rb"<(/?)" + _P + rb"([\w.-]+)[^<>]*?(/?)>")


_SHEET_PATTERNS = {
    # 1: an r="N" (a row's) with at least {1} digits; 2: an r="REF" (a cell's) whose column has at
    # least {0} letters or whose row has at least {1} digits.  One scan for both (the two kinds cannot
    # overlap).  The pattern starts with a literal so the regex engine can skip ahead; it may also
    # hit another attribute ending in r, which only errs towards rejecting a file whose numbers are
    # out of range anyway.
    "row_or_cell_r": r"r\s*=\s*[\"'](?:(\d{{{1},}})|\$?([A-Za-z]{{{0},}}\$?\d+|[A-Za-z]+\$?\d{{{1},}}))",
    # <is>...</is> bodies of at least {0} bytes
    # (the body cannot run over another <is or </is, which keeps every scan linear)
    "inline": r"<{P}is(?:\s[^<>]*)?>((?:[^<]|<(?!/?{P}is[\s/>])){{{0},}})</{P}is\s*>",
    # <v>...</v> texts of at least {0} bytes (also <x:v>: the literal is the tag's end)
    "value": r"v>([^<]{{{0},}})<",
}


@functools.lru_cache(maxsize=32)
def _sheet_re(kind: str, *args: int) -> re.Pattern[bytes]:
    pattern = _SHEET_PATTERNS[kind].replace("{P}", r"(?:[\w.-]+:)?").format(*args)
    return re.compile(pattern.encode("ascii"))


def _text_len(raw: bytes) -> int:
    return len(html.unescape(raw.decode("utf-8", "replace")))


def _inline_text_len(body: bytes) -> int:
    """Characters of an ``<is>`` body: the ``<t>`` texts outside phonetic runs."""
    n, last, in_t, rph = 0, 0, False, 0
    for m in _TAG_RE.finditer(body):
        if in_t and not rph:
            n += _text_len(body[last : m.start()])
        closing, name, self_closing = m.groups()
        if name == b"rPh" and not self_closing:
            rph = max(0, rph - 1) if closing else rph + 1
        elif name == b"t":
            in_t = not closing and not self_closing
        last = m.end()
    return n


def _check_sheet(data: bytearray, limits: Limits, sheet: str | None) -> None:
    """Refuse a sheet part whose size, row and cell numbers or cell texts are beyond `limits`."""
    if not _memoizable(data):
        _check_sheet_part(data, limits, sheet)
        return
    # a refusal raises, so only a pass is kept
    _passed_sheets.remember((data, limits), lambda: _check_sheet_part(data, limits, sheet) or True, len(data))


def _check_sheet_part(data: bytearray, limits: Limits, sheet: str | None) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = bytearray(bytes(data).decode("utf-16", "replace").encode("utf-8"))
    max_rows, max_cols = limits.max_rows, limits.max_cols

    def too_many(row: int, col: int, cell: str | None = None) -> RejectedFile:
        return RejectedFile("too_many_cells", _msg_too_many_cells(limits, row, col), sheet=sheet, cell=cell)

    # 1. the declared dimension
    m = _DIM_RE.search(data)
    if m:
        rmax = cmax = 0
        for letters, digits in _REF_RE.findall(m.group(1)):
            rmax = max(rmax, int(digits[:12]))
            cmax = max(cmax, _col_number(letters))
        if rmax > max_rows or cmax > max_cols:
            raise too_many(rmax, cmax)

    # 2. row numbers and 3. cell references with a long column name or a long row number (only
    # candidates with enough digits or letters are looked at), in one scan: a row's number beyond
    # the cap is refused first, then too many rows, then the first cell reference beyond it.
    kd = len(str(max_rows))
    kl = len(col_letter(max_cols - 1))
    bad_cell = None
    for m in _sheet_re("row_or_cell_r", kl, kd).finditer(data):
        if m.group(1) is not None:
            r = int(m.group(1)[:12])
            if r > max_rows:
                raise too_many(r, 0)
        elif bad_cell is None:
            ref = m.group(2)
            rm = _REF_RE.fullmatch(ref)
            if rm is None:
                continue
            r, c = int(rm.group(2)[:12]), _col_number(rm.group(1))
            if r > max_rows or c > max_cols:
                bad_cell = too_many(r, c, ref.decode("ascii", "replace"))
    if len(data) > 4 * max_rows and data.count(b"row") > max_rows:  # "<row" takes 4 bytes at least
        n = sum(1 for _ in _ROW_ELEM_RE.finditer(data))
        if n > max_rows:
            raise too_many(n, 0)
    if bad_cell is not None:
        raise bad_cell

    # 4. long inline strings and long cached values (only long candidates)
    n = limits.max_cell_chars + 1
    if len(data) < n:  # no text in the part can be longer than the part: a form's sheets
        return
    # Inline strings: only worth the precise scan if some stretch between "is>" tokens is that long.
    long_inline = max(map(len, bytes(data).split(b"is>")), default=0) >= n
    for m in _sheet_re("inline", n).finditer(data) if long_inline else ():
        body = m.group(1)
        # rich-text runs cost at most a few hundred bytes of markup per character
        if len(body) > 256 * n or _inline_text_len(body) > limits.max_cell_chars:
            raise RejectedFile("cell_too_long", _msg_cell_too_long(limits), sheet=sheet)
    for m in _sheet_re("value", n).finditer(data):
        if _text_len(m.group(1)) > limits.max_cell_chars:
            raise RejectedFile("cell_too_long", _msg_cell_too_long(limits), sheet=sheet)
