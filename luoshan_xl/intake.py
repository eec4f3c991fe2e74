"""Email (.eml) and archive (.zip) intake: the spreadsheets inside, as plain files for the merge.

Attachment names are decoded as Chinese mail clients write them (RFC 2047/2231, raw GBK);
zip member names as Windows writes them (GBK unless the UTF-8 flag is set).  Extraction
is capped in count and size; what comes out then passes the same checks as any file.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import os
import re
import zipfile
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path, PurePosixPath

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".ods", ".et"}
MAX_ITEMS = 500
MAX_ITEM_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
SEP = " → "  # in GBK too: a Chinese Windows console can show it


@dataclass
class Extracted:
    path: Path  # where the item was written in the scratch folder
    display: str  # "收件夹/某邮件.eml → 2019-08_朱堂乡.xlsx"
    mtime: float | None  # the email's date or the zip entry's time, for --prefer newest


class IntakeError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_container(path: Path) -> bool:
    return path.suffix.lower() in (".eml", ".zip")


def expand(path: Path, display: str, scratch: Path) -> tuple[list[Extracted], list[tuple[str, str]]]:
    """Spreadsheets inside an .eml or .zip; also (display, reason) of items skipped."""
    counter = _Budget()
    if path.suffix.lower() == ".eml":
        return _expand_eml(path.read_bytes(), display, scratch, counter)
    return _expand_zip(path.read_bytes(), display, scratch, counter, None)


class _Budget:
    def __init__(self):
        self.items = 0
        self.bytes = 0

    def take(self, n: int) -> None:
        self.items += 1
        self.bytes += n
        if self.items > MAX_ITEMS or self.bytes > MAX_TOTAL_BYTES:
            raise IntakeError(f"邮件或压缩包中的文件过多或过大（超过 {MAX_ITEMS} 个或 {MAX_TOTAL_BYTES >> 20} MB），"
                              "请分开发送。")


def _write(scratch: Path, name: str, data: bytes) -> Path:
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip() or "附件"
    folder = scratch / str(len(list(scratch.iterdir())))
    folder.mkdir(parents=True)
    path = folder / safe
    path.write_bytes(data)
    return path


def _expand_eml(data: bytes, display: str, scratch: Path, budget: _Budget):
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # the email package is lenient; this is a last resort
        raise IntakeError("无法解析这封邮件，请从邮箱中重新“另存为 .eml”或直接保存附件。") from exc
    mtime = None
    if msg.get("Date"):
        try:
            mtime = email.utils.parsedate_to_datetime(str(msg.get("Date"))).timestamp()
        except (TypeError, ValueError):
            mtime = None
    found: list[Extracted] = []
    skipped: list[tuple[str, str]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = attachment_name(part)
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        item = f"{display}{SEP}{name}"
        suffix = PurePosixPath(name).suffix.lower()
        if len(payload) > MAX_ITEM_BYTES:
            skipped.append((item, f"附件超过 {MAX_ITEM_BYTES >> 20} MB，已跳过"))
            continue
        if suffix == ".zip":
            budget.take(len(payload))
            inner, inner_skipped = _expand_zip(payload, item, scratch, budget, mtime)
            found += inner
            skipped += inner_skipped
        elif suffix in SPREADSHEETS:
            budget.take(len(payload))
            found.append(Extracted(_write(scratch, name, payload), item, mtime))
        else:
            skipped.append((item, "不是电子表格附件，已跳过"))
    if not found and not skipped:
        skipped.append((display, "邮件中没有附件，已跳过"))
    return found, skipped


def attachment_name(part) -> str | None:
    """The decoded file name of a MIME part, or None when it is not an attachment."""
    for key, value in part.raw_items():
        # Raw 8-bit (GBK) names reach us as surrogate escapes, which get_filename() would
        # replace by U+FFFD: decode the header first, then let the email package parse it.
        if key.lower() in ("content-disposition", "content-type") and any(
                0xDC80 <= ord(c) <= 0xDCFF for c in str(value)):
            fixed = email.message.Message()
            fixed[key] = _fix_8bit(str(value))
            name = fixed.get_filename() or fixed.get_param("name")
            if name:
                return str(name).strip() or None
    raw = part.get_filename()
    if raw is None:
        raw = part.get_param("name")
        if raw is None:
            return None
    if isinstance(raw, tuple):  # RFC 2231 (charset, language, value)
        raw = email.utils.collapse_rfc2231_value(raw)
    text = str(raw)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:
            pass
    return _fix_8bit(text).strip() or None


def _fix_8bit(text: str) -> str:
    """Raw GBK bytes in a header arrive as surrogate escapes or Latin-1 characters: decode them."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = None
    if raw is not None and any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
        for enc in ("utf-8", "gb18030"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    if text and all(ord(c) < 256 for c in text) and any(ord(c) >= 128 for c in text):
        latin = text.encode("latin-1")
        for enc in ("utf-8", "gb18030"):
            try:
                return latin.decode(enc)
            except UnicodeDecodeError:
                continue
    return text


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member name as written: UTF-8 when flagged, else Windows' GBK (Python decodes it as cp437)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _expand_zip(data: bytes, display: str, scratch: Path, budget: _Budget, mtime: float | None):
    import io

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IntakeError("压缩包已损坏或不是 zip 格式，请让报送单位重新压缩后发送（或直接发送 .xlsx 文件）。") from exc
    if len(infos) > MAX_ITEMS:
        raise IntakeError(f"压缩包中的文件超过 {MAX_ITEMS} 个，请分开发送。")
    found: list[Extracted] = []
    skipped: list[tuple[str, str]] = []
    for info in infos:
        if info.is_dir():
            continue
        name = zip_member_name(info)
        base = PurePosixPath(name.replace("\\", "/")).name
        item = f"{display}{SEP}{name}"
        if info.flag_bits & 0x1:
            skipped.append((item, "压缩包设置了密码，无法解压。请让报送单位取消密码后重新发送"))
            continue
        if base.startswith("~$") or base.startswith("."):
            skipped.append((item, "临时文件或隐藏文件，已跳过"))
            continue
        if PurePosixPath(base).suffix.lower() not in SPREADSHEETS:
            skipped.append((item, "不是电子表格文件，已跳过"))
            continue
        try:
            content = _read_capped(z, info)
        except IntakeError as exc:
            skipped.append((item, exc.message))
            continue
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            skipped.append((item, "压缩包中的这个文件已损坏，无法解压，请让报送单位重新发送"))
            continue
        budget.take(len(content))
        t = mtime
        try:
            t = dt_timestamp(info.date_time)
        except (ValueError, OverflowError):
            pass
        found.append(Extracted(_write(scratch, base, content), item, t))
    return found, skipped


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    out = bytearray()
    with z.open(info) as f:
        while chunk := f.read(1 << 20):
            out += chunk
            if len(out) > MAX_ITEM_BYTES:
                raise IntakeError(f"解压后超过 {MAX_ITEM_BYTES >> 20} MB，已跳过")
    return bytes(out)


def dt_timestamp(date_time: tuple) -> float:
    import datetime as dt

    return dt.datetime(*date_time).timestamp()


def set_mtime(path: Path, mtime: float | None) -> None:
    if mtime is not None:
        os.utime(path, (mtime, mtime))
