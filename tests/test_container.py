"""Tests for luoshan_xl.container: every input is generated here."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter
from bad_inputs.make_bad_inputs import build_ole  # one OLE2 builder for the generator and these tests

from luoshan_xl.container import (
    DEFAULT_LIMITS,
    Container,
    Limits,
    inspect_bytes,
    inspect_file,
    safe_parse_xml,
)
from luoshan_xl.errors import RejectedFile

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON_NOISE = re.compile(r"Traceback|Error|Exception|zipfile|zlib|struct|errno|b'|\\x", re.I)


def rejected(
    data: bytes, code: str, name: str = "报送表.xlsx", limits: Limits = DEFAULT_LIMITS
) -> RejectedFile:
    with pytest.raises(RejectedFile) as info:
        inspect_bytes(data, name, limits)
    exc = info.value
    assert exc.code == code, (exc.code, exc.message)
    assert CJK.search(exc.message), exc.message
    assert not PYTHON_NOISE.search(exc.message), exc.message
    assert name not in exc.message
    return exc


# ---------------------------------------------------------------- builders


def make_xlsx(*, vba: bytes | None = None, tmp_path: Path | None = None) -> bytes:
    """A small normal workbook, the way xlsxwriter writes it."""
    if vba is not None:
        assert tmp_path is not None
        target = tmp_path / "macro.xlsm"
        wb = xlsxwriter.Workbook(str(target))
    else:
        target = io.BytesIO()
        wb = xlsxwriter.Workbook(target, {"in_memory": True})
    ws = wb.add_worksheet("填报表")
    ws.write("A1", "单位名称")
    ws.write("B3", "罗山县某某局")
    ws.write_number("C3", 12)
    ws.print_area("A1:D10")
    notes = wb.add_worksheet("说明")
    notes.write("A1", "请在 B3 填写单位名称")
    secret = wb.add_worksheet("隐藏参数")
    secret.write("A1", "v1")
    secret.hide()
    wb.define_name("unit_name", "='填报表'!$B$3")
    wb.define_name("'填报表'!local_only", "='填报表'!$A$1")
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.close()
    if isinstance(target, Path):
        return target.read_bytes()
    return target.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}  # test inputs only, small


def rezip(data: bytes, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    parts = members(data)
    for name in drop:
        parts.pop(name)
    parts.update(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return out.getvalue()


def zip_of(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return out.getvalue()


def zip_with_zeros(name: str, size: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip whose member ``name`` inflates to ``size`` zero bytes (written in chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, body in (extra or {}).items():
            zf.writestr(n, body)
        with zf.open(name, "w") as fh:
            chunk = bytes(MiB)
            left = size
            while left > 0:
                fh.write(chunk[: min(left, MiB)])
                left -= MiB
    return out.getvalue()


def patch_sizes(data: bytes, name: str, size: int) -> bytes:
    """Make ``name`` lie: its uncompressed size becomes ``size`` in both headers."""
    buf = bytearray(data)
    raw = name.encode()
    pos = 0
    patched = 0
    while True:
        pos = buf.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        name_len = struct.unpack_from("<H", buf, pos + 26)[0]
        if bytes(buf[pos + 30 : pos + 30 + name_len]) == raw:
            struct.pack_into("<I", buf, pos + 22, size)
            patched += 1
        pos += 4
    pos = 0
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == raw:
            struct.pack_into("<I", buf, pos + 24, size)
            patched += 1
        pos += 4
    assert patched == 2
    return bytes(buf)


def biff(records: list[tuple[int, bytes]]) -> bytes:
    return b"".join(struct.pack("<HH", t, len(body)) + body for t, body in records)


BOF = (0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0))
EOF = (0x000A, b"")
FILEPASS = (0x002F, struct.pack("<HHH", 1, 1, 2) + bytes(48))


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def normal_xlsx() -> bytes:
    return make_xlsx()


@pytest.fixture(scope="module")
def bomb_path(tmp_path_factory) -> Path:
    """One member inflating to 1.1 GB of zeros (about 1 MB compressed)."""
    path = tmp_path_factory.mktemp("bomb") / "炸弹.xlsx"
    base = members(make_xlsx())
    base.pop("xl/worksheets/sheet1.xml")
    path.write_bytes(zip_with_zeros("xl/worksheets/sheet1.xml", 1100 * MiB, base))
    return path


# ---------------------------------------------------------------- normal files


def test_normal_xlsx(normal_xlsx, tmp_path):
    c = inspect_bytes(normal_xlsx, "报送表.xlsx")
    assert isinstance(c, Container)
    assert c.kind == "xlsx"
    assert c.data == normal_xlsx
    assert c.has_macros is False
    assert c.sheet_names == ["填报表", "说明", "隐藏参数"]
    assert c.hidden_sheets == ["隐藏参数"]
    assert c.defined_names == {"unit_name": "'填报表'!$B$3"}  # no local or _xlnm names

    path = tmp_path / "报送表.xls"  # the extension is not trusted either way
    path.write_bytes(normal_xlsx)
    assert inspect_file(path) == c


def test_normal_xlsx_is_readable_by_calamine(normal_xlsx):
    from python_calamine import CalamineWorkbook

    c = inspect_bytes(normal_xlsx, "a.xlsx")
    wb = CalamineWorkbook.from_filelike(io.BytesIO(c.data))
    assert wb.sheet_names == c.sheet_names


def test_strict_namespace_and_very_hidden(normal_xlsx):
    parts = members(normal_xlsx)
    wb = parts["xl/workbook.xml"].decode()
    wb = wb.replace(
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
    ).replace('state="hidden"', 'state="veryHidden"')
    c = inspect_bytes(rezip(normal_xlsx, {"xl/workbook.xml": wb.encode()}), "a.xlsx")
    assert c.sheet_names == ["填报表", "说明", "隐藏参数"]
    assert c.hidden_sheets == ["隐藏参数"]
    assert c.defined_names == {"unit_name": "'填报表'!$B$3"}


def test_xlsm_with_vba_project(tmp_path):
    data = make_xlsx(vba=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), tmp_path=tmp_path)
    assert "xl/vbaProject.bin" in members(data)
    c = inspect_bytes(data, "macro.xlsx")
    assert c.kind == "xlsx"
    assert c.has_macros is True


def test_macro_content_type_alone(normal_xlsx):
    ct = members(normal_xlsx)["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )
    assert b"macroEnabled" in ct
    c = inspect_bytes(rezip(normal_xlsx, {"[Content_Types].xml": ct}), "a.xlsx")
    assert c.has_macros is True


def test_ods_is_refused_with_a_save_as_hint():
    """.ods is not read: its repeated rows/columns would need caps of their own (an 889-byte file can
    ask for gigabytes), and WPS/Excel users send .xlsx."""
    data = zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b'<?xml version="1.0"?><office:document-content '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            "META-INF/manifest.xml": b"<manifest/>",
        },
        zipfile.ZIP_STORED,
    )
    with pytest.raises(RejectedFile) as exc:
        inspect_bytes(data, "a.ods")
    assert exc.value.code == "not_spreadsheet" and "另存为" in exc.value.message and ".ods" in exc.value.message


def test_sheet_stored_under_another_case_is_still_checked(normal_xlsx):
    """Readers find parts case-insensitively; the gate must check the member they will read."""
    parts = members(normal_xlsx)
    rels = parts["xl/_rels/workbook.xml.rels"].replace(b"worksheets/sheet1.xml", b"DATA/S1.XML")
    big = parts["xl/worksheets/sheet1.xml"].replace(b"<sheetData>", b'<sheetData><row r="900000"/>', 1)
    # the sheet lives outside xl/worksheets/, under another case than its relationship says
    data = rezip(normal_xlsx, {"xl/_rels/workbook.xml.rels": rels, "xl/data/s1.xml": big},
                 drop=("xl/worksheets/sheet1.xml",))
    with pytest.raises(RejectedFile) as exc:
        inspect_bytes(data, "a.xlsx")
    assert exc.value.code == "too_many_cells"


def test_sheet_pointing_at_nothing_is_refused(normal_xlsx):
    rels = members(normal_xlsx)["xl/_rels/workbook.xml.rels"].replace(b"worksheets/sheet1.xml", b"data/s1.bin")
    with pytest.raises(RejectedFile) as exc:
        inspect_bytes(rezip(normal_xlsx, {"xl/_rels/workbook.xml.rels": rels}), "a.xlsx")
    assert exc.value.code == "broken_workbook"


def test_empty(tmp_path):
    exc = rejected(b"", "empty")
    assert exc.message == "文件是空的（0 字节），可能在下载或转存时损坏，请让报送单位重新发送。"
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    with pytest.raises(RejectedFile) as info:
        inspect_file(path)
    assert info.value.code == "empty"


def test_too_large(tmp_path, normal_xlsx):
    limits = Limits(max_file_bytes=1000)
    rejected(normal_xlsx, "too_large", limits=limits)
    path = tmp_path / "big.xlsx"
    path.write_bytes(bytes(5000))
    with pytest.raises(RejectedFile) as info:
        inspect_file(path, limits)
    assert info.value.code == "too_large"
    assert "MB" in rejected(bytes(60 * MiB + 1), "too_large").message


def test_missing_file(tmp_path):
    with pytest.raises(RejectedFile) as info:
        inspect_file(tmp_path / "nope.xlsx")
    assert info.value.code == "unreadable"
    assert CJK.search(info.value.message)


def test_html_table_renamed():
    page = "\ufeff  <html><head><meta charset='utf-8'></head><body><TABLE><tr><td>单位</td></tr></TABLE></body></html>"
    exc = rejected(page.encode("utf-8"), "html_table", name="导出.xls")
    assert "HTML" in exc.message and "另存为" in exc.message
    rejected(b"\r\n<TABLE border=1><TR><TD>1</TD></TR></TABLE>", "html_table", name="a.xls")
    rejected(b'MIME-Version: 1.0\r\nContent-Type: multipart/related; type="text/html"\r\n', "html_table")


def test_text_renamed():
    exc = rejected("单位名称,数量\n罗山县某局,3\n".encode(), "not_spreadsheet", name="a.xlsx")
    assert (
        exc.message
        == "这个文件不是 Excel 工作簿（.xlsx/.xls），请使用 luoshan-xl template 生成的报送表填写后发送。"
    )
    rejected(b"%PDF-1.4\n", "not_spreadsheet")
    rejected(b"\x89PNG\r\n\x1a\n" + bytes(100), "not_spreadsheet")


def test_xml_spreadsheet_2003():
    data = (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table/></Worksheet></Workbook>'
    )
    assert "2003" in rejected(data, "not_spreadsheet", name="a.xls").message


def test_docx_like_zip():
    data = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert "Word" in rejected(data, "not_spreadsheet", name="a.xlsx").message
    rejected(zip_of({"readme.txt": b"hello"}), "not_spreadsheet")
    rejected(
        zip_of({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
        "not_spreadsheet",
    )


# ---------------------------------------------------------------- broken zips


def test_truncated_zip(normal_xlsx):
    rejected(normal_xlsx[: len(normal_xlsx) // 2], "corrupt_zip")


def test_bad_crc_stored_member():
    data = bytearray(
        zip_of({"xl/workbook.xml": b"<workbook>" + b"x" * 200 + b"</workbook>"}, zipfile.ZIP_STORED)
    )
    pos = data.find(b"xxxx")
    data[pos] ^= 0x01
    exc = rejected(bytes(data), "corrupt_zip")
    assert exc.message == "文件已损坏（压缩包不完整或校验失败），请让报送单位用 WPS 或 Excel 重新保存后发送。"


def test_bad_crc_deflated_member(normal_xlsx):
    data = bytearray(normal_xlsx)
    # flip a byte in the middle of the first member's compressed data
    name_len, extra_len = struct.unpack_from("<HH", data, 26)
    comp = struct.unpack_from("<I", data, 18)[0]
    data[30 + name_len + extra_len + comp // 2] ^= 0xFF
    rejected(bytes(data), "corrupt_zip")


def test_duplicate_member_names():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("xl/workbook.xml", b"<a/>")
        with pytest.warns(UserWarning):
            zf.writestr("xl/workbook.xml", b"<b/>")
    rejected(out.getvalue(), "corrupt_zip")


def test_small_size_lie_is_corrupt(normal_xlsx):
    data = patch_sizes(normal_xlsx, "xl/workbook.xml", 10)
    rejected(data, "corrupt_zip")


# ---------------------------------------------------------------- zip bombs


def test_bomb_in_process(bomb_path):
    start = time.monotonic()
    exc = rejected(bomb_path.read_bytes(), "zip_bomb")
    assert time.monotonic() - start < 5
    assert "压缩炸弹" in exc.message


def test_bomb_measured_without_ratio_check(bomb_path):
    """With the ratio check disabled the member cap (measured) must still stop it."""
    start = time.monotonic()
    rejected(bomb_path.read_bytes(), "zip_bomb", limits=Limits(max_ratio=10**12))
    assert time.monotonic() - start < 5


BOMB_SCRIPT = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 * 1024, 600 * 1024 * 1024))
from pathlib import Path
from luoshan_xl.container import inspect_file, Limits
from luoshan_xl.errors import RejectedFile
limits = Limits(max_ratio=int(sys.argv[2]))
start = time.monotonic()
try:
    inspect_file(Path(sys.argv[1]), limits)
    code = None
except RejectedFile as exc:
    code = exc.code
print(json.dumps({"code": code, "seconds": time.monotonic() - start}))
"""


@pytest.mark.parametrize("max_ratio", [1000, 10**12])
def test_bomb_in_subprocess_with_memory_cap(bomb_path, max_ratio):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(bomb_path), str(max_ratio)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] == "zip_bomb"
    assert wall < 5, wall


def test_lying_member_is_measured():
    """Declared sizes say 1000 bytes; the member really inflates to 100 MB."""
    data = zip_with_zeros("xl/worksheets/sheet1.xml", 100 * MiB, {"xl/workbook.xml": b"<workbook/>"})
    data = patch_sizes(data, "xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    rejected(data, "zip_bomb")
    rejected(data, "zip_bomb", limits=Limits(max_ratio=10**12))  # caught by measuring against the member cap


def test_total_cap():
    parts = {f"xl/media/image{i}.bin": os.urandom(1) * (2 * MiB) for i in range(3)}
    data = zip_of(parts)
    rejected(data, "zip_bomb", limits=Limits(max_total_bytes=5 * MiB, max_ratio=10**12))


def test_ratio_cap():
    data = zip_of({"xl/workbook.xml": b"<workbook/>", "xl/big.xml": bytes(3 * MiB)})
    rejected(data, "zip_bomb", limits=Limits(max_ratio=50))


def test_member_cap():
    data = zip_of({"xl/workbook.xml": b"<workbook/>", "xl/big.xml": os.urandom(3 * MiB)})
    exc = rejected(data, "zip_bomb", limits=Limits(max_member_bytes=2 * MiB))
    assert "超过 2 MB" in exc.message


def test_too_many_members():
    data = zip_of({f"f{i}.xml": b"<a/>" for i in range(30)})
    exc = rejected(data, "zip_bomb", limits=Limits(max_members=10))
    assert "部件" in exc.message


def test_overlapping_members():
    """Member b's local header lives inside member a's data (non-recursive zip bomb trick)."""
    body_b = b"<b/>"

    def local(name: bytes, body: bytes) -> bytes:
        return (
            struct.pack(
                "<4s5H3I2H",
                b"PK\x03\x04",
                20,
                0,
                0,
                0,
                0,
                zlib.crc32(body),
                len(body),
                len(body),
                len(name),
                0,
            )
            + name
            + body
        )

    def central(name: bytes, body: bytes, offset: int) -> bytes:
        return (
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                0,
                0,
                0,
                0,
                zlib.crc32(body),
                len(body),
                len(body),
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )

    inner = local(b"b.xml", body_b)
    body_a = inner
    blob = local(b"a.xml", body_a)
    offset_b = 30 + len(b"a.xml")
    cd = central(b"a.xml", body_a, 0) + central(b"b.xml", body_b, offset_b)
    eocd = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 2, 2, len(cd), len(blob), 0)
    data = blob + cd + eocd
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("b.xml") == body_b  # a valid zip for zipfile
    rejected(data, "zip_bomb")


# ---------------------------------------------------------------- unsafe XML

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    b"<si><t>&lol9;</t></si></sst>"
)
XXE_DOCTYPE = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def test_billion_laughs_in_shared_strings(normal_xlsx):
    exc = rejected(rezip(normal_xlsx, {"xl/sharedStrings.xml": LAUGHS}), "unsafe_xml")
    assert exc.message == (
        "文件中含有不安全的 XML 内容（实体定义），已拒绝读取。请让报送单位用 WPS 或 Excel 另存为新文件后发送。"
    )


def sheet1(normal_xlsx) -> str:
    return members(normal_xlsx)["xl/worksheets/sheet1.xml"].decode()


def test_xxe_in_sheet(normal_xlsx):
    xml = sheet1(normal_xlsx)
    decl_end = xml.index("?>") + 2
    evil = xml[:decl_end] + XXE_DOCTYPE.decode() + xml[decl_end:].replace("罗山县某某局", "&e;")
    rejected(rezip(normal_xlsx, {"xl/worksheets/sheet1.xml": evil.encode()}), "unsafe_xml")


def test_doctype_after_long_comment_and_in_utf16(normal_xlsx):
    xml = sheet1(normal_xlsx)
    decl_end = xml.index("?>") + 2
    evil = xml[:decl_end] + "<!--" + "x" * 20000 + "-->" + XXE_DOCTYPE.decode() + xml[decl_end:]
    rejected(rezip(normal_xlsx, {"xl/worksheets/sheet1.xml": evil.encode()}), "unsafe_xml")
    utf16 = (xml[:decl_end].replace("UTF-8", "UTF-16") + XXE_DOCTYPE.decode() + xml[decl_end:]).encode(
        "utf-16"
    )
    rejected(rezip(normal_xlsx, {"xl/worksheets/sheet1.xml": utf16}), "unsafe_xml")


def test_doctype_in_rels(normal_xlsx):
    rels = members(normal_xlsx)["xl/_rels/workbook.xml.rels"]
    decl_end = rels.index(b"?>") + 2
    evil = rels[:decl_end] + XXE_DOCTYPE + rels[decl_end:]
    rejected(rezip(normal_xlsx, {"xl/_rels/workbook.xml.rels": evil}), "unsafe_xml")


def test_safe_parse_xml():
    root = safe_parse_xml(b'<a xmlns="urn:x"><b>1</b></a>')
    assert root.tag == "{urn:x}a"
    for bad in (LAUGHS, XXE_DOCTYPE + b"<x>&e;</x>", b"<!DOCTYPE x><x/>"):
        with pytest.raises(RejectedFile) as info:
            safe_parse_xml(bad)
        assert info.value.code == "unsafe_xml"
    with pytest.raises(RejectedFile) as info:
        safe_parse_xml(b"<a><b></a>")
    assert info.value.code == "corrupt_xml"


def test_malformed_workbook_xml(normal_xlsx):
    rejected(rezip(normal_xlsx, {"xl/workbook.xml": b"<workbook><sheets>"}), "corrupt_xml")


# ---------------------------------------------------------------- sheet size and cell length


def with_sheet(normal_xlsx, *, dimension: str | None = None, extra_rows: str = "") -> bytes:
    xml = sheet1(normal_xlsx)
    if dimension is not None:
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml)
    xml = xml.replace("</sheetData>", extra_rows + "</sheetData>")
    return rezip(normal_xlsx, {"xl/worksheets/sheet1.xml": xml.encode()})


def test_huge_dimension_with_rows_beyond_caps(normal_xlsx):
    data = with_sheet(
        normal_xlsx,
        dimension="A1:XFD1048576",
        extra_rows='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    )
    exc = rejected(data, "too_many_cells")
    assert exc.sheet == "填报表"
    assert "1048576" in exc.message


def test_huge_dimension_alone_is_rejected(normal_xlsx):
    """Documented choice: a dimension beyond the caps is rejected by itself."""
    rejected(with_sheet(normal_xlsx, dimension="A1:XFD1048576"), "too_many_cells")
    rejected(with_sheet(normal_xlsx, dimension="A1:C200000"), "too_many_cells")
    assert inspect_bytes(with_sheet(normal_xlsx, dimension="A1:IV100000"), "a.xlsx").kind == "xlsx"


def test_row_beyond_caps_without_dimension(normal_xlsx):
    rejected(
        with_sheet(normal_xlsx, extra_rows='<row r="100001" spans="1:1"><c r="A100001"><v>1</v></c></row>'),
        "too_many_cells",
    )
    ok = with_sheet(normal_xlsx, extra_rows='<row r="100000"><c r="IV100000"><v>1</v></c></row>')
    assert inspect_bytes(ok, "a.xlsx").kind == "xlsx"


def test_cell_beyond_column_cap(normal_xlsx):
    exc = rejected(
        with_sheet(normal_xlsx, extra_rows='<row r="9"><c r="IW9" t="n"><v>1</v></c></row>'), "too_many_cells"
    )
    assert exc.cell == "IW9"
    assert exc.sheet == "填报表"


def test_too_many_row_elements(normal_xlsx):
    rows = "<row><c><v>1</v></c></row>" * 60
    rejected(with_sheet(normal_xlsx, extra_rows=rows), "too_many_cells", limits=Limits(max_rows=50))


def test_shared_string_too_long(normal_xlsx):
    sst = members(normal_xlsx)["xl/sharedStrings.xml"].decode()
    long_text = sst.replace("罗山县某某局", "长" * 40000)
    exc = rejected(rezip(normal_xlsx, {"xl/sharedStrings.xml": long_text.encode()}), "cell_too_long")
    assert "32767" in exc.message
    rich = sst.replace(
        "<t>罗山县某某局</t>", "<r><t>" + "甲" * 20000 + "</t></r><r><t>" + "乙" * 20000 + "</t></r>"
    )
    assert rich != sst
    rejected(rezip(normal_xlsx, {"xl/sharedStrings.xml": rich.encode()}), "cell_too_long")
    # entity references count as one character each
    fine = sst.replace("罗山县某某局", "&amp;" * 30000)
    assert inspect_bytes(rezip(normal_xlsx, {"xl/sharedStrings.xml": fine.encode()}), "a.xlsx").kind == "xlsx"


def test_inline_string_too_long(normal_xlsx):
    cell = '<row r="7"><c r="A7" t="inlineStr"><is><t>' + "字" * 33000 + "</t></is></c></row>"
    exc = rejected(with_sheet(normal_xlsx, extra_rows=cell), "cell_too_long")
    assert exc.sheet == "填报表"
    short = '<row r="7"><c r="A7" t="inlineStr"><is><t>' + "&lt;" * 20000 + "</t></is></c></row>"
    assert inspect_bytes(with_sheet(normal_xlsx, extra_rows=short), "a.xlsx").kind == "xlsx"


# ---------------------------------------------------------------- OLE2


def test_ole_encrypted_xlsx():
    data = build_ole({"EncryptionInfo": bytes(300), "EncryptedPackage": bytes(5000)})
    exc = rejected(data, "encrypted", name="加密.xlsx")
    assert "密码" in exc.message and "请让报送单位取消密码后重新发送" in exc.message


def test_ole_xls_large_and_mini_stream():
    big = biff([BOF, EOF]).ljust(5000, b"\0")
    c = inspect_bytes(build_ole({"Workbook": big}), "a.xls")
    assert (c.kind, c.has_macros, c.sheet_names, c.defined_names) == ("xls", False, [], {})
    small = biff([BOF, EOF])
    assert inspect_bytes(build_ole({"Book": small}), "a.xls").kind == "xls"
    assert inspect_bytes(build_ole({"_VBA_PROJECT_CUR": bytes(10), "Workbook": big}), "a.xls").has_macros


def test_ole_xls_filepass():
    rejected(
        build_ole({"Workbook": biff([BOF, FILEPASS, EOF]).ljust(5000, b"\0")}), "encrypted", name="a.xls"
    )
    rejected(build_ole({"Workbook": biff([BOF, (0x0086, b""), FILEPASS, EOF])}), "encrypted", name="a.xls")


def test_ole_not_a_workbook():
    exc = rejected(build_ole({"WordDocument": bytes(5000)}), "not_spreadsheet", name="a.xls")
    assert "Word" in exc.message
    rejected(build_ole({"Something": bytes(10)}), "not_spreadsheet", name="a.xls")


def test_ole_damaged_directory_falls_back_to_crude_search():
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    rejected(magic + bytes(100) + "EncryptedPackage".encode("utf-16-le"), "encrypted")
    rejected(magic + bytes(1000), "not_spreadsheet")
    damaged = bytearray(build_ole({"Workbook": bytes(5000)}))
    struct.pack_into("<H", damaged, 0x1E, 7)  # impossible sector size
    assert inspect_bytes(bytes(damaged), "a.xls").kind == "xls"


def test_ole_builder_is_a_real_compound_file():
    """calamine (Rust cfb) opens our hand-built containers, regular and mini stream alike."""
    from python_calamine import CalamineWorkbook

    for body in (biff([BOF, EOF]).ljust(5000, b"\0"), biff([BOF, EOF])):
        data = build_ole({"Workbook": body})
        assert CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names == []


@pytest.mark.parametrize(
    "junk",
    [
        b"<c " * 2_000_000,
        b"<is>" * 2_000_000,
        b"<dimension " * 1_000_000,
        (b"<is>" + b"x" * 40000 + b"<is>") * 150,
    ],
    ids=["unclosed-c", "unclosed-is", "unclosed-dimension", "long-unclosed-is"],
)
def test_sheet_scan_stays_linear(normal_xlsx, junk):
    """Malformed markup must not make the regex scans quadratic."""
    xml = sheet1(normal_xlsx).replace("</sheetData>", "</sheetData>" + junk.decode())
    data = rezip(normal_xlsx, {"xl/worksheets/sheet1.xml": xml.encode()})
    start = time.monotonic()
    try:
        inspect_bytes(data, "a.xlsx")
    except RejectedFile as exc:
        assert CJK.search(exc.message)
    assert time.monotonic() - start < 4


# ---------------------------------------------------------------- the memo of parts seen before


def test_parts_seen_before_are_not_inflated_again_and_the_verdict_stays_the_same(normal_xlsx, monkeypatch):
    """Forms from one template share most parts; a part byte-for-byte the same as one checked
    before comes from the memo.  Anything else about it (its bytes, CRC, size, the limits) differs:
    checked afresh, so a file that would be refused is still refused."""
    from luoshan_xl import container

    inspect_bytes(normal_xlsx, "a.xlsx")
    inflated = []
    real = container._iter_member
    monkeypatch.setattr(container, "_iter_member", lambda d, info, *a: inflated.append(info.filename) or
                        real(d, info, *a))
    again = inspect_bytes(normal_xlsx, "b.xlsx")
    assert inflated == [] and again == inspect_bytes(normal_xlsx, "a.xlsx")
    # the same compressed bytes, declared with another CRC: inflated again, and refused
    data = bytearray(normal_xlsx)
    crc_at = data.find(b"PK\x01\x02") + 16  # the first member's CRC in the central directory
    data[crc_at] ^= 0xFF
    data[14] ^= 0xFF  # and in its local header
    rejected(bytes(data), "corrupt_zip")
    assert inflated  # not taken from the memo
    # a sheet that passed under the default limits is checked against tighter ones
    rejected(normal_xlsx, "too_many_cells", limits=Limits(max_rows=2))  # its sheet has 3 rows
    # one changed byte in one part: that part is checked afresh
    rejected(with_sheet(normal_xlsx, extra_rows='<row r="100001"><c r="A100001"><v>1</v></c></row>'),
             "too_many_cells")


def test_dtd_markers_found_in_every_encoding():
    from luoshan_xl.container import _has_dtd_markup

    for text in ("<!DOCTYPE x>", "<!ENTITY a 'b'>"):
        for enc in ("utf-8", "utf-16-le", "utf-16-be"):
            assert _has_dtd_markup(("<a>" + text + "</a>").encode(enc)), (text, enc)
    assert not _has_dtd_markup("<!-- 注释 --><a><![CDATA[x]]></a>".encode("utf-16-le"))
    assert not _has_dtd_markup(b"<!-- DOCTYPE ENTITY --><a/>")


def test_the_memos_hold_a_bounded_number_of_bytes(normal_xlsx):
    """Files with many distinct parts (hostile or not) cannot make the memos grow past their budget,
    and a large part is never kept at all."""
    from luoshan_xl import container

    base = members(normal_xlsx)
    for i in range(40):
        extra = {f"xl/extra{i}_{k}.xml": (f"<a n='{i}-{k}'>" + "x" * (60_000 + k) + "</a>").encode()
                 for k in range(8)}
        extra[f"xl/big{i}.xml"] = b"<a>" + bytes(str(i), "ascii") * 100_000 + b"</a>"
        inspect_bytes(rezip(normal_xlsx, {**base, **extra}), "a.xlsx")
        for memo in (container._inflated_memo, container._passed_sheets, container._elements_memo):
            assert memo.held <= container._MEMO_BUDGET
    assert all(v[1] <= container._MEMO_MAX_INFLATED for v in container._inflated_memo.values())


def test_plain_central_directory_reads_as_zipfile_or_leaves_it_to_zipfile(normal_xlsx):
    """The fast central-directory reader gives zipfile's view of the archives office suites write,
    and declines (None) every other kind, which zipfile then reads."""
    from luoshan_xl.container import _plain_central_directory

    def view(infos):
        return [(i.filename, i.orig_filename, i.flag_bits, i.compress_type, i.CRC, i.compress_size, i.file_size,
                 i.header_offset) for i in infos]

    def archive(comment=b"", extra=b"", names=("xl/workbook.xml", "中文/表.xml")) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.comment = comment
            for name in names:
                info = zipfile.ZipInfo(name)
                info.extra = extra
                z.writestr(info, b"<a/>" * 50)
        return out.getvalue()

    for data in (normal_xlsx, archive()):
        assert view(_plain_central_directory(data)) == view(zipfile.ZipFile(io.BytesIO(data)).infolist())
    unusual = [archive(comment=b"note"), archive(extra=b"UT\x05\x00\x01\x00\x00\x00\x00"),
               b"MZ" + bytes(100) + normal_xlsx, normal_xlsx[:-1], normal_xlsx[: len(normal_xlsx) // 2]]
    for data in unusual:
        assert _plain_central_directory(data) is None
    # cp437 names (no UTF-8 flag) decode as zipfile decodes them
    data = archive(names=("caf\u00e9.xml",))  # written with the UTF-8 flag
    pos = data.find(b"PK\x01\x02")
    flagged = bytearray(data)
    flagged[pos + 9] &= ~0x08  # clear bit 11 (0x800): the high byte of the little-endian flags
    assert view(_plain_central_directory(bytes(flagged))) == view(
        zipfile.ZipFile(io.BytesIO(bytes(flagged))).infolist())
    assert _plain_central_directory(bytes(flagged))[0].filename == "caf\u00e9.xml".encode().decode("cp437")


def test_read_capped_reads_a_file_longer_than_it_said(tmp_path, monkeypatch):
    """A file that grows between its size check and the read (or a /proc file that says 0) is read
    in full, up to the cap; a file at the cap is whole, one past it is flagged by one byte more."""
    import luoshan_xl.container as container
    from luoshan_xl.container import read_capped

    path = tmp_path / "a.xlsx"
    path.write_bytes(b"x" * 1000)
    real = os.fstat

    def grows(fd):
        st = real(fd)
        with open(path, "ab") as f:
            f.write(b"y" * 5000)
        return st

    monkeypatch.setattr(container.os, "fstat", grows)
    assert len(read_capped(path)) == 6000
    monkeypatch.setattr(container.os, "fstat", real)
    limits = Limits(max_file_bytes=100)
    for size, got in ((99, 99), (100, 100), (101, 101), (5000, 101)):
        path.write_bytes(b"z" * size)
        assert len(read_capped(path, limits)) == got


def _two_scan_row_and_cell_check(data: bytes, limits: Limits):
    """The row and cell-reference steps of the sheet check as two scans (before they were one):
    the reference the one-scan check is compared with.  (code, cell, message) or None."""
    from luoshan_xl.cells import col_letter
    from luoshan_xl.container import _REF_RE, _ROW_ELEM_RE, _col_number, _msg_too_many_cells

    kd, kl = len(str(limits.max_rows)), len(col_letter(limits.max_cols - 1))
    for m in re.finditer(rb"r\s*=\s*[\"'](\d{%d,})" % kd, data):
        if int(m.group(1)[:12]) > limits.max_rows:
            return "too_many_cells", None, _msg_too_many_cells(limits, int(m.group(1)[:12]), 0)
    if len(data) > 4 * limits.max_rows and data.count(b"row") > limits.max_rows:
        n = sum(1 for _ in _ROW_ELEM_RE.finditer(data))
        if n > limits.max_rows:
            return "too_many_cells", None, _msg_too_many_cells(limits, n, 0)
    for m in re.finditer(rb"r\s*=\s*[\"']\$?([A-Za-z]{%d,}\$?\d+|[A-Za-z]+\$?\d{%d,})" % (kl, kd), data):
        rm = _REF_RE.fullmatch(m.group(1))
        if rm is None:
            continue
        r, c = int(rm.group(2)[:12]), _col_number(rm.group(1))
        if r > limits.max_rows or c > limits.max_cols:
            return "too_many_cells", m.group(1).decode("ascii", "replace"), _msg_too_many_cells(limits, r, c)
    return None


@pytest.mark.parametrize("seed", range(6))
def test_the_one_scan_row_and_cell_check_finds_what_two_scans_found(seed):
    import random

    from luoshan_xl.container import _check_sheet_part

    rng = random.Random(seed)
    limits = Limits(max_rows=rng.choice([50, 1000, 100_000]), max_cols=rng.choice([5, 30, 16384]))
    pieces = ['<row r="{n}">', '<c r="{col}{n}"/>', '<c r="${col}${n}" t="n"><v>1</v></c>', "</row>",
              "<c  r = '{col}{n}'>", 'attr="{n}"', 'r="{col}"', 'r="$', 'r="{n}{col}"', "xr=\"{col}{n}\"",
              '<v>{n}</v>', "r=\"{n}\"r=\"{col}{n}\"", "<row/>" * 30]  # two of the last: too many rows at 50
    refused, too_many_rows = 0, 0
    for _ in range(400):
        body = "".join(rng.choice(pieces).format(n=rng.choice([1, 9, 49, 51, 999, 1001, 99_999, 100_001,
                                                               12_345_678, 10**13]),
                                                 col=rng.choice(["A", "E", "F", "AD", "AE", "XFD", "XFE", "ABCD"]))
                       for _ in range(rng.randint(0, 8)))
        data = bytearray(f'<worksheet><sheetData>{body}</sheetData></worksheet>'.encode())
        expected = _two_scan_row_and_cell_check(bytes(data), limits)
        try:
            _check_sheet_part(data, limits, "表")
            got = None
        except RejectedFile as exc:
            got = (exc.code, exc.cell, exc.message)
        assert got == expected, body
        refused += got is not None
        too_many_rows += got is not None and got[1] is None and body.count("<row/>") > limits.max_rows
    assert 40 < refused < 360  # both outcomes are tried
    assert too_many_rows or limits.max_rows > 50
