"""`notice`: a draft of the 通报 itself (python-docx), in GB/T 9704-2012 layout.

The body is the seed notice's, with the period, the counts and the 不合格 accounts filled
in from the same `NoticeTables` that `rank` writes, so the draft's three attachment tables
hold exactly the figures of the workbook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from luoshan_xl.notice import NoticeTables
from luoshan_xl.report import A1_CAPTIONS, A1_HEADERS, A2_CAPTIONS, A2_HEADERS, A3_HEADERS

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"


@dataclass
class NoticeOptions:
    doc_number: str = ""  # 发文字号, e.g. 罗政办〔2019〕67号
    office: str = "罗山县人民政府办公室"
    recipients: str = "各乡、镇人民政府，各街道办事处，县政府各部门"
    date: dt.date | None = None


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def title_text(n: NoticeTables) -> str:
    return (f"关于{n.span}全县政府信息公开发布和政府门户网站信息采用及政务新媒体运维情况的通报")


def body_paragraphs(n: NoticeTables) -> list[str]:
    """The body, following the seed notice, with this period's figures."""
    a1_t, a1_d = (int(n.a1[k]["value"].sum()) for k in ("townships", "departments"))
    a2_total = int(sum(t["value"].sum() for t in n.a2.values()))
    a2_month = int(sum(t["month"].sum() for t in n.a2.values()))

    def top(table: pd.DataFrame, k: int = 3) -> str:
        return "、".join(table[table["rank"] <= k]["unit"].head(5))

    fails = n.a3[n.a3["fail"]]
    closes = n.a3[n.a3["close"]]
    paras = [
        "根据《罗山县人民政府办公室关于进一步做好全县政府信息公开工作的通知》和《罗山县人民政府办公室关于进一步做好"
        f"县政府门户网站建设管理工作的通知》精神，现对{n.span}全县政府信息公开发布和政府网站信息采用情况予以通报。",
        f"{n.span}，各乡镇（街道）在政府信息公开平台共发布信息{a1_t}条，各相关部门共发布信息{a1_d}条，"
        f"发布数量居前的是{top(n.a1['townships'])}和{top(n.a1['departments'])}；"
        f"县政府门户网站共采用各单位信息{a2_total}条，其中{n.month}月份采用{a2_month}条，"
        f"累计采用数量居前的是{top(n.a2['townships'])}和{top(n.a2['departments'])}。"
        "具体情况见附件1、附件2。",
    ]
    if n.missing:
        paras.append(f"截至统计时，{'、'.join(n.missing)}共{len(n.missing)}个单位未报送{n.month}月份报送表，"
                     "请相关单位按时报送。")
    paras.append("希望各单位进一步明确目标任务，强化工作举措，扎实推进信息公开平台内容充实和政府门户网站信息报送工作，"
                 "为全县政府信息公开和门户网站建设提供有力保障。")
    media = ("根据《河南省人民政府办公厅关于推进政务新媒体健康有序发展的通知》（豫政办明电〔2019〕28号）要求，"
             f"保留有政务新媒体的单位要加强对政务新媒体的内容保障，确保每周有{n.min_weekly}条以上的信息更新量。"
             f"{n.month}月份，全县共{len(n.a3)}个政务新媒体账号报送了更新情况")
    if len(fails):
        names = "、".join(f"“{a}”（{h}）" for a, h in zip(fails["name"], fails["host_label"], strict=True))
        media += (f"，其中{len(fails)}个账号月更新不足{n.threshold}条，通报为不合格：{names}。")
    else:
        media += "，均达到更新要求。"
    if len(closes):
        names = "、".join(f"“{a}”" for a in closes["name"])
        media += f"{names}已连续2次被通报为不合格，纳入强制关停范围。"
    media += ("对于更新频率、更新次数不达标，连续2次被县政府办通报为不合格的政务新媒体，将纳入强制关停范围。"
              "具体情况见附件3。")
    paras.append(media)
    return paras


def attachment_titles(n: NoticeTables) -> list[str]:
    return [t.replace("\n", "") for t in (n.a1_title, n.a2_title, n.a3_title)]


def write_notice(n: NoticeTables, path: Path, options: NoticeOptions | None = None) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm, Pt

    from luoshan_xl.xlsxwrite import commit_file, temp_path

    opts = options or NoticeOptions()
    date = opts.date or dt.date.today()
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number_footer(section)
    style = doc.styles["Normal"]
    _font(style, BODY_FONT, 16)
    style.paragraph_format.line_spacing = Pt(28)
    style.paragraph_format.space_after = Pt(0)

    def para(text="", font=BODY_FONT, size=16, align=None, indent=True, bold=False):
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if text:
            _font(p.add_run(text), font, size, bold)
        return p

    if opts.doc_number:
        para(opts.doc_number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para()
    para(opts.office, TITLE_FONT, 22, WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(title_text(n), TITLE_FONT, 22, WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para()
    para(f"{opts.recipients}：", indent=False)
    for text in body_paragraphs(n):
        para(text)
    para()
    titles = attachment_titles(n)
    for i, t in enumerate(titles, start=1):
        # hanging indent: wrapped lines align under the title, after "附件：1."
        p = para(("附件：" if i == 1 else "") + f"{i}.{t}")
        p.paragraph_format.left_indent = Pt(16 * 6)
        p.paragraph_format.first_line_indent = Pt(-16 * 4) if i == 1 else Pt(-16 * 1)
    para()
    para(opts.office, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False).paragraph_format.right_indent = Pt(16 * 2)
    para(_cn_date(date), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False).paragraph_format.right_indent = Pt(16 * 3)

    def attachment(label: str, title: str):
        p = doc.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
        _font(p.add_run(label), HEI, 16)
        para(title, TITLE_FONT, 18, WD_ALIGN_PARAGRAPH.CENTER, indent=False)

    def table(headers: list[str], rows: list[list[str]]):
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, h in zip(t.rows[0].cells, headers, strict=True):
            _cell_text(cell, h, bold=True)
        _repeat_header(t.rows[0])
        for values in rows:
            for cell, v in zip(t.add_row().cells, values, strict=True):
                _cell_text(cell, v)
        return t

    attachment("附件1：", titles[0])
    for key, caption in zip(("townships", "departments"), A1_CAPTIONS, strict=True):
        para(caption, KAI, 16, indent=False)
        table([h.format(span=n.span) for h in A1_HEADERS],
              [[r.unit, _num(r.value), _num(r.rank)] for r in n.a1[key].itertuples()])
    attachment("附件2：", titles[1])
    for key, caption in zip(("townships", "departments"), A2_CAPTIONS, strict=True):
        para(caption, KAI, 16, indent=False)
        table([h.format(month=n.month) for h in A2_HEADERS],
              [[r.unit, _num(r.month), _num(r.value), _num(r.rank)] for r in n.a2[key].itertuples()])
    attachment("附件3：", titles[2])
    table(list(A3_HEADERS), [[a["name"], a["platform"], a["host_label"],
                              f"{a['last_update'].month}月{a['last_update'].day}日" if _has(a["last_update"]) else "",
                              f"{_num(a['updates'])}条/月" if _has(a["updates"]) else "", a["remark"]]
                             for a in n.a3.to_dict("records")])
    para(n.threshold_note, size=12, indent=False)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        doc.save(str(tmp))
        commit_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _has(v) -> bool:
    return v is not None and not pd.isna(v)


def _num(v) -> str:
    return "" if not _has(v) else str(int(v))


def _font(target, name: str, size: float, bold: bool = False) -> None:
    """Set a run's or style's font for Latin and East Asian text (python-docx sets only the Latin one)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    target.font.name = name
    target.font.size = Pt(size)
    if bold:
        target.font.bold = True
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _cell_text(cell, text: str, bold: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing = Pt(20)
    _font(p.add_run(str(text)), BODY_FONT, 12, bold)


def _repeat_header(row) -> None:
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    trpr.append(el)


def _page_number_footer(section) -> None:
    """'— N —' centred, N a PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), "宋体", 14)
    run = p.add_run()
    _font(run, "宋体", 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        else:
            el = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            el.text = text
        run._r.append(el)
    _font(p.add_run(" —"), "宋体", 14)
