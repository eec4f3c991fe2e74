"""`luoshan-xl notice`: the draft 通报 holds the same figures as `rank`'s workbook."""

from __future__ import annotations

import subprocess

import docx
import pytest
from conftest import EXAMPLE, open_checked, require_soffice, run


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("notice")
    run("merge", EXAMPLE, "--master", d / "总表.xlsx")
    run("rank", "--master", d / "总表.xlsx", "--period", "2019-08", "--output", d / "通报附件.xlsx")
    out = run("notice", "--master", d / "总表.xlsx", "--period", "2019-08", "--output", d / "通报.docx",
              "--doc-number", "罗政办〔2019〕67号", "--date", "2019-09-09").stdout
    assert "已生成通报文稿" in out
    return d


def test_heading_recipients_body_and_signature(outputs):
    doc = docx.Document(outputs / "通报.docx")
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[:4] == ["罗政办〔2019〕67号", "罗山县人民政府办公室",
                         "关于1-8月份全县政府信息公开发布和政府门户网站信息采用及政务新媒体运维情况的通报",
                         "各乡、镇人民政府，各街道办事处，县政府各部门："]
    body = "\n".join(texts)
    assert "现对1-8月份全县政府信息公开发布和政府网站信息采用情况予以通报" in body
    assert "各乡镇（街道）在政府信息公开平台共发布信息1862条，各相关部门共发布信息2860条" in body
    assert "其中8月份采用142条" in body
    assert ("其中2个账号月更新不足14条，通报为不合格：“罗山县数字化城市管理”（县城市管理局）、"
            "“罗山县不动产登记中心”（县自然资源局）。") in body
    assert "附件：1.2019年1-8月份全县政府信息公开发布情况统计表" in texts
    assert "3.2019年8月份全县政务新媒体信息更新情况统计表" in texts
    assert texts.index("罗山县人民政府办公室", 2) < texts.index("2019年9月9日")
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    run_ = title.runs[0]
    assert run_.font.name == "方正小标宋简体" and run_.font.size.pt == 22
    assert run_._r.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == \
        "方正小标宋简体"
    sec = doc.sections[0]
    assert (round(sec.top_margin.mm), round(sec.bottom_margin.mm), round(sec.left_margin.mm),
            round(sec.right_margin.mm)) == (37, 35, 28, 26)
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)


def test_tables_hold_the_workbook_figures(outputs):
    doc = docx.Document(outputs / "通报.docx")
    wb = open_checked(outputs / "通报附件.xlsx")
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert len(tables) == 5

    def sheet_rows(ws, header_row, n):
        rows = []
        for r in range(header_row, header_row + n):
            vals = []
            for c in ws[r]:
                v = c.value
                if v is None:
                    vals.append("")
                elif c.number_format == 'm"月"d"日"':
                    vals.append(f"{v.month}月{v.day}日")
                elif c.number_format == '0"条/月"':
                    vals.append(f"{int(v)}条/月")
                else:
                    vals.append(str(int(v)) if isinstance(v, float) else str(v))
            rows.append(vals)
        return rows

    a1, a2, a3 = wb["附件1"], wb["附件2"], wb["附件3"]
    assert tables[0] == sheet_rows(a1, 6, 21)
    assert tables[1] == sheet_rows(a1, 29, 47)
    assert tables[2] == sheet_rows(a2, 6, 21)
    assert tables[3] == sheet_rows(a2, 29, 52)
    assert tables[4] == sheet_rows(a3, 5, 5)
    # each table's header row repeats on every page
    for t in doc.tables:
        assert t.rows[0]._tr.trPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None


def test_converts_to_pdf_in_libreoffice(outputs, tmp_path):
    exe = require_soffice()
    proc = subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(outputs / "通报.docx")],
                          capture_output=True, timeout=180)
    pdf = tmp_path / "通报.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = [p.replace(" ", "") for p in text.split("\f")]  # LibreOffice spaces digits from CJK text
    starts = [i for i, p in enumerate(pages) if p.strip().startswith(("附件1：", "附件2：", "附件3："))]
    assert len(starts) == 3  # each attachment begins a page
    assert "—1—" in pages[0]
