"""Saved emails (.eml) and zip archives in `merge`: the spreadsheets inside merge like plain files."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from email.message import EmailMessage

from conftest import make_form, run

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def gbk_zip(members: dict[str, bytes]) -> bytes:
    """A zip as Windows writes it: member names in GBK, no UTF-8 flag."""
    buf = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, data) in enumerate(members.items()):
            raw = name.encode("gbk")
            ph = (f"p{i}_" + "x" * len(raw))[: len(raw)]
            placeholders[ph.encode()] = raw
            z.writestr(ph, data)
    out = buf.getvalue()
    for ph, raw in placeholders.items():
        out = out.replace(ph, raw)
    return out


def merge_json(*args, expect=0):
    return json.loads(run("merge", *args, "--json", expect=expect).stdout)


def test_eml_attachments_with_chinese_names(tmp_path):
    form_a = make_form(tmp_path / "a.xlsx", unit="朱堂乡").read_bytes()
    form_b = make_form(tmp_path / "b.xlsx", unit="尤店乡").read_bytes()
    msg = EmailMessage()
    msg["Subject"] = "8月报表"
    msg["Date"] = "Mon, 02 Sep 2019 09:30:00 +0800"
    msg.set_content("见附件")
    msg.add_attachment(form_a, maintype="application", subtype="octet-stream",
                       filename="2019-08_朱堂乡.xlsx")  # RFC 2231
    msg.add_attachment(b"hello", maintype="text", subtype="plain", filename="说明.txt")
    raw = msg.as_bytes()
    # An attachment named the way some Chinese mail clients do: RFC 2047 with GBK
    encoded = base64.b64encode("2019-08_尤店乡.xlsx".encode("gbk")).decode()
    boundary = msg.get_boundary().encode()
    extra = (b"--" + boundary + b"\nContent-Type: " + XLSX.encode() + b"\nContent-Transfer-Encoding: base64\n"
             b'Content-Disposition: attachment; filename="=?GBK?B?' + encoded.encode() + b'?="\n\n'
             + base64.encodebytes(form_b) + b"\n")
    raw = raw.replace(b"--" + boundary + b"--", extra + b"--" + boundary + b"--")
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "来自朱堂乡的邮件.eml").write_bytes(raw)
    out = merge_json(inbox, "--master", tmp_path / "m.xlsx")
    got = {o["file"]: (o["result"], o["unit"]) for o in out}
    assert got == {
        "来自朱堂乡的邮件.eml → 2019-08_朱堂乡.xlsx": ("merged", "朱堂乡"),
        "来自朱堂乡的邮件.eml → 2019-08_尤店乡.xlsx": ("merged", "尤店乡"),
        "来自朱堂乡的邮件.eml → 说明.txt": ("skipped", None),
    }


def test_eml_with_raw_gbk_header_name(tmp_path):
    form = make_form(tmp_path / "a.xlsx", unit="朱堂乡").read_bytes()
    body = (b"From: a@b\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n"
            b"--BB\nContent-Type: text/plain\n\nhi\n"
            b"--BB\nContent-Type: application/octet-stream; name=\"" + "朱堂乡8月.xlsx".encode("gbk") + b"\"\n"
            b"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\""
            + "朱堂乡8月.xlsx".encode("gbk") + b"\"\n\n" + base64.encodebytes(form) + b"--BB--\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "mail.eml").write_bytes(body)
    (o,) = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert (o["file"], o["result"]) == ("mail.eml → 朱堂乡8月.xlsx", "merged")


def test_zip_with_gbk_names_and_summary_names_the_archive(tmp_path):
    members = {
        "8月报表/2019-08_朱堂乡.xlsx": make_form(tmp_path / "a.xlsx", unit="朱堂乡").read_bytes(),
        "8月报表/2019-08_尤店乡.xlsx": make_form(tmp_path / "b.xlsx", unit="尤店乡", disclosure=-1).read_bytes(),
        "8月报表/~$2019-08_朱堂乡.xlsx": b"lock",
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "乡镇报表.zip").write_bytes(gbk_zip(members))
    result = run("merge", tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert "乡镇报表.zip → 8月报表/2019-08_朱堂乡.xlsx" in result.stdout
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m2.xlsx", expect=1)
    assert {o["file"]: o["result"] for o in out} == {
        "乡镇报表.zip → 8月报表/2019-08_朱堂乡.xlsx": "merged",
        "乡镇报表.zip → 8月报表/2019-08_尤店乡.xlsx": "rejected",
        "乡镇报表.zip → 8月报表/~$2019-08_朱堂乡.xlsx": "skipped",
    }


def test_utf8_flagged_zip_and_zip_inside_eml(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("2019-08_朱堂乡.xlsx", make_form(tmp_path / "a.xlsx", unit="朱堂乡").read_bytes())
    msg = EmailMessage()
    msg.set_content("附件是压缩包")
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="报表.zip")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "m.eml").write_bytes(msg.as_bytes())
    (o,) = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert (o["file"], o["result"], o["unit"]) == ("m.eml → 报表.zip → 2019-08_朱堂乡.xlsx", "merged", "朱堂乡")


def test_broken_zip_is_rejected_with_one_message(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "坏.zip").write_bytes(b"PK\x03\x04 truncated")
    (o,) = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx", expect=1)
    assert o["result"] == "rejected"
    assert [p["code"] for p in o["problems"]] == ["bad_archive"]
    assert "压缩包已损坏" in o["problems"][0]["message"]


def test_identical_form_by_email_and_as_file_is_a_duplicate(tmp_path):
    form = make_form(tmp_path / "in" / "2019-08_朱堂乡.xlsx", unit="朱堂乡").read_bytes()
    msg = EmailMessage()
    msg.set_content("x")
    msg.add_attachment(form, maintype="application", subtype="octet-stream", filename="2019-08_朱堂乡.xlsx")
    (tmp_path / "in" / "m.eml").write_bytes(msg.as_bytes())
    out = merge_json(tmp_path / "in", "--master", tmp_path / "m.xlsx")
    assert sorted(o["result"] for o in out) == ["duplicate", "merged"]
