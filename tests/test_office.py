"""What we write, opened by a real office suite: converts, prints, and survives a clerk's re-save.

LibreOffice stands in for WPS/Excel.  A module fixture builds the example once (merge + rank)
and converts every kind of file we write to PDF in one `soffice` call; poppler reads the PDFs
(pdftotext, pdfinfo) and renders the report to PNG (pdftoppm) for pixel checks of the
conditional formats.  The renders are kept in tests/_rendered/ for a human to look at.

Every test needs LibreOffice: skipped locally with a visible reason, a failure in CI.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from conftest import EXAMPLE, IN_CI, ROOT, make_form, open_checked, require_soffice, run

from luoshan_xl.master import ACCOUNTS_SHEET, MONTHLY_SHEET
from luoshan_xl.roster import Roster

SOFFICE_TIMEOUT = 120
RENDERED = ROOT / "tests" / "_rendered"
DPI = 100
PX = DPI / 72  # pixels per PDF point at DPI
FAIL_FILL = (0xFF, 0xC7, 0xCE)
GREY_FILL = (0xD9, 0xD9, 0xD9)
TOLERANCE = 12
A4_PT = (595, 842)
# report.py: margins 37/35/28/26 mm (top/bottom/left/right); the printable area's centre on the page.
CENTRE_X_MM = (28 + (210 - 26)) / 2
# The example's accounts (附件3) and a filled form with two of them.
FAILING_ACCOUNTS = ("罗山县数字化城市", "罗山县不动产登记")  # first lines of the wrapped 名称 cells
GOOD_ACCOUNTS = ("罗山文化旅游", "抖音")  # words on the rows of the two accounts that pass
FILLED_FORM = EXAMPLE / "2019-08_文化广电和旅游局.xlsx"
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', re.S)
FOOTER = re.compile(r"—\s*(\d+)\s*—")


# ----------------------------------------------------------------------------------------------
# tools
# ----------------------------------------------------------------------------------------------


def require_poppler() -> None:
    missing = [t for t in ("pdftotext", "pdfinfo", "pdftoppm") if shutil.which(t) is None]
    if missing:
        msg = f"poppler tools missing ({', '.join(missing)}): apt-get install poppler-utils"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def _run_tool(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a tool in its own process group; on timeout kill that group (soffice forks soffice.bin)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {timeout} s: {' '.join(cmd)}\nstdout:\n{out}\nstderr:\n{err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def convert(files: list[Path], outdir: Path, target: str, profile: Path) -> list[Path]:
    """`soffice --convert-to TARGET` for several files in one call; the converted files, in order."""
    exe = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
           "--convert-to", target, "--outdir", str(outdir), *(str(f) for f in files)]
    proc = _run_tool(cmd, timeout=SOFFICE_TIMEOUT)
    ext = target.split(":", 1)[0]
    outs = [outdir / f"{Path(f).stem}.{ext}" for f in files]
    missing = [o.name for o in outs if not (o.exists() and o.stat().st_size > 0)]
    assert proc.returncode == 0 and not missing, (
        f"soffice --convert-to {target} failed (exit {proc.returncode}; not written: {missing})\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return outs


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    n = int(re.search(r"^Pages:\s+(\d+)", _run_tool(["pdfinfo", str(pdf)]).stdout, re.M).group(1))
    out = _run_tool(["pdfinfo", "-f", "1", "-l", str(n), str(pdf)]).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out, re.M)]
    assert len(sizes) == n, out
    return sizes


def page_texts(pdf: Path, layout: bool = True) -> list[str]:
    """pdftotext of each page (one call, split at the form feeds; the same as -f N -l N per page)."""
    out = _run_tool(["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def page_words(pdf: Path, page: int) -> list[Word]:
    """Words of one page (1-based) with their boxes in points, from `pdftotext -bbox`."""
    out = _run_tool(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"]).stdout
    return [Word(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in WORD.findall(out)]


def all_words(pdf: Path) -> list[list[Word]]:
    out = _run_tool(["pdftotext", "-bbox", str(pdf), "-"]).stdout
    return [[Word(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in WORD.findall(p)]
            for p in out.split("<page ")[1:]]


@dataclass
class Image:
    width: int
    height: int
    rgb: bytes  # row-major, 3 bytes a pixel

    def row(self, y: int) -> bytes:
        return self.rgb[y * self.width * 3:(y + 1) * self.width * 3]


def parse_ppm(data: bytes) -> Image:
    """A binary PPM (P6, maxval 255), as pdftoppm writes it."""
    tokens: list[bytes] = []
    i = 0
    while len(tokens) < 4:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            i = data.index(b"\n", i) + 1
            continue
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        tokens.append(data[i:j])
        i = j
    assert tokens[0] == b"P6" and tokens[3] == b"255", tokens
    w, h = int(tokens[1]), int(tokens[2])
    pixels = data[i + 1:i + 1 + w * h * 3]
    assert len(pixels) == w * h * 3
    return Image(w, h, pixels)


def load_page_image(png: Path, pdf: Path, page: int, tmp: Path) -> Image:
    """The rendered page's pixels: the PNG via Pillow, or (no Pillow) a PPM rendered now."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        prefix = tmp / f"ppm-{page}"
        _run_tool(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), str(pdf), str(prefix)])
        (ppm,) = tmp.glob(f"ppm-{page}-*.ppm")
        return parse_ppm(ppm.read_bytes())
    with PILImage.open(png) as im:
        rgb = im.convert("RGB")
        return Image(rgb.width, rgb.height, rgb.tobytes())


def count_colour(img: Image, y0: float, y1: float, colour: tuple[int, int, int], tol: int = TOLERANCE) -> float:
    """Pixels of `colour` (±tol a channel) per scanline, over the page-wide band between y0 and y1 (points)."""
    top, bottom = int(y0 * PX) + 1, int(y1 * PX) - 1
    assert bottom > top, (y0, y1)
    r, g, b = colour
    n = 0
    for y in range(top, bottom):
        row = img.row(y)
        for x in range(0, len(row), 3):
            if abs(row[x] - r) <= tol and abs(row[x + 1] - g) <= tol and abs(row[x + 2] - b) <= tol:
                n += 1
    return n / (bottom - top)


def ink_box(img: Image) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of everything not pure white, in pixels; None for a blank page."""
    left, right, top, bottom = img.width, -1, None, None
    for y in range(img.height):
        row = img.row(y)
        stripped = row.lstrip(b"\xff")
        if not stripped:
            continue
        top = y if top is None else top
        bottom = y
        left = min(left, (len(row) - len(stripped)) // 3)
        right = max(right, (len(row.rstrip(b"\xff")) - 1) // 3)
    return None if top is None else (left, top, right, bottom)


def visible_texts(path: Path) -> list[tuple[str, str]]:
    """(sheet!cell, text) of every text cell in the visible sheets: what a print of the workbook shows."""
    wb = openpyxl.load_workbook(path)
    return [(f"{ws.title}!{c.coordinate}", c.value) for ws in wb.worksheets if ws.sheet_state == "visible"
            for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def overlapping_words(pages: list[list[Word]], min_x: float = 2, min_y: float = 3) -> list[str]:
    """Pairs of words on a page whose boxes overlap (text printed over text)."""
    found = []
    for n, words in enumerate(pages, start=1):
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                if dx > min_x and dy > min_y:
                    found.append(f"page {n}: “{a.text}” over “{b.text}”")
    return found


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ----------------------------------------------------------------------------------------------
# the example, built and printed once
# ----------------------------------------------------------------------------------------------


@dataclass
class Office:
    root: Path
    profile: Path
    master: Path
    report: Path
    sources: dict[str, Path]  # kind → workbook we wrote
    pdfs: dict[str, Path]  # kind → its PDF
    report_texts: list[str]
    report_sizes: list[tuple[float, float]]
    pngs: list[Path]  # the report's pages, rendered at DPI, in tests/_rendered/
    timings: dict[str, float] = field(default_factory=dict)

    def attachment_pages(self) -> dict[str, list[int]]:
        """0-based page numbers of each attachment: from the page with its label "附件N：" to the
        next label; 附件3 ends where the 汇总 sheet (the sheet after it) begins."""
        texts = self.report_texts
        starts = {}
        for label in ("附件1：", "附件2：", "附件3："):
            hits = [i for i, t in enumerate(texts) if label in t]
            assert len(hits) == 1, f"{label} is on pages {[h + 1 for h in hits]}, expected exactly one"
            starts[label] = hits[0]
        s1, s2, s3 = starts.values()
        assert s1 == 0 < s2 < s3, f"attachments out of order: {starts}"
        end = next((i for i in range(s3 + 1, len(texts)) if "通报汇总" in texts[i]), len(texts))
        return {"附件1": list(range(s1, s2)), "附件2": list(range(s2, s3)), "附件3": list(range(s3, end))}

    def image(self, page: int, tmp: Path) -> Image:
        """0-based page of the report."""
        return load_page_image(self.pngs[page], self.report_pdf, page + 1, tmp)

    @property
    def report_pdf(self) -> Path:
        return self.pdfs["report"]


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Office:
    require_soffice()
    require_poppler()
    t0 = time.perf_counter()
    root = tmp_path_factory.mktemp("office")
    profile = root / "lo-profile"
    out = root / "out"
    master, report = out / "总表.xlsx", out / "通报附件.xlsx"
    run("merge", EXAMPLE, "--master", master)
    run("rank", "--master", master, "--period", "2019-08", "--output", report)
    forms = root / "forms"
    run("template", "--output", forms, "--period", "2019-08", "--per-unit")
    bad_dir = root / "bad"
    bad_dir.mkdir()
    make_form(bad_dir / "2019-08_朱堂乡.xlsx", disclosure=-3)
    receipts = root / "receipts"
    run("merge", bad_dir, "--master", root / "bad-master" / "总表.xlsx", "--receipts", receipts, expect=1)
    (receipt,) = receipts.glob("*.xlsx")
    sources = {"blank form": forms / "报送表_空白.xlsx", "unit form": forms / "2019-08_朱堂乡.xlsx",
               "master": master, "report": report, "receipt": receipt}
    t1 = time.perf_counter()
    pdfs = dict(zip(sources, convert(list(sources.values()), root / "pdf", "pdf", profile), strict=True))
    t2 = time.perf_counter()
    RENDERED.mkdir(exist_ok=True)
    for old in RENDERED.glob("通报附件-*.png"):
        old.unlink()
    _run_tool(["pdftoppm", "-r", str(DPI), "-png", str(pdfs["report"]), str(RENDERED / "通报附件")])
    pngs = sorted(RENDERED.glob("通报附件-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    sizes = pdf_pages(pdfs["report"])
    texts = page_texts(pdfs["report"])
    assert len(pngs) == len(sizes) == len(texts), (len(pngs), len(sizes), len(texts))
    t3 = time.perf_counter()
    timings = {"build (merge, rank, template, receipt)": t1 - t0, "soffice → pdf (5 files)": t2 - t1,
               "pdftoppm + pdftotext": t3 - t2}
    print(f"\nrendered report pages: {RENDERED}")
    return Office(root, profile, master, report, sources, pdfs, texts, sizes, pngs, timings)


# ----------------------------------------------------------------------------------------------
# 1. every kind of file converts and prints
# ----------------------------------------------------------------------------------------------

KINDS = ("blank form", "unit form", "master", "report", "receipt")
EXPECTED_TEXT = {
    "blank form": ("政府信息公开、门户网站信息采用及政务新媒体月度报送表", "填报说明"),
    "unit form": ("政府信息公开、门户网站信息采用及政务新媒体月度报送表", "朱堂乡", "2019-08"),
    "master": ("单位名称", "账号名称", "SHA-256", "已合并"),
    "report": ("附件1：", "附件2：", "附件3：", "通报汇总"),
    "receipt": ("报送表退回回执", "B6", "负数"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_converts_to_pdf(office, kind):
    require_soffice()
    pdf = office.pdfs[kind]
    sizes = pdf_pages(pdf)
    assert len(sizes) >= 1, f"{pdf.name}: no pages"
    text = squeeze("".join(page_texts(pdf)))
    for expected in EXPECTED_TEXT[kind]:
        assert squeeze(expected) in text, f"{pdf.name}: “{expected}” not printed"
    if kind != "master":  # everything meant to be printed is set to A4 portrait
        assert all((round(w), round(h)) == A4_PT for w, h in sizes), f"{pdf.name}: pages {sizes}, expected A4"
    if kind in ("blank form", "unit form"):
        assert "生成工具" not in text, "the hidden sheet _表单信息 was printed"
    if kind == "receipt":
        assert len(sizes) == 1, f"a one-problem 回执 should print on one page, got {len(sizes)}"


@pytest.mark.parametrize("kind", KINDS)
def test_printed_text_is_whole_and_legible(office, kind):
    """No cell's text is cut off (every CJK character in the cells is printed) and no text is
    printed over other text (a row too low for its wrapped text, a column too narrow)."""
    require_soffice()
    pdf = office.pdfs[kind]
    cells = visible_texts(office.sources[kind])
    in_cells = sum(len(CJK.findall(text)) for _, text in cells)
    text = "".join(page_texts(pdf, layout=False))
    printed = len(CJK.findall(text))
    flat = squeeze(text)
    # for the message only: cells whose text is not found whole (a wrapped line may also land here)
    cut = [f"{ref}: {t}" for ref, t in cells if CJK.search(t) and squeeze(t) not in flat]
    assert printed >= in_cells, (
        f"{pdf.name}: {in_cells - printed} of the {in_cells} CJK characters in the cells are not printed "
        f"(clipped by a narrow column or a row too low for its wrapped text); e.g.\n" + "\n".join(cut[:8]))
    overlaps = overlapping_words(all_words(pdf))
    assert not overlaps, f"{pdf.name}: text printed over text:\n" + "\n".join(overlaps[:10])


# ----------------------------------------------------------------------------------------------
# 2. report pagination
# ----------------------------------------------------------------------------------------------

EDGE_HEADERS = {"附件1": ("单位名称", "排名"), "附件2": ("单位名称", "累计排名"), "附件3": ("名称", "备注")}
MAX_PAGES = {"附件1": 3, "附件2": 4, "附件3": 1}


def test_report_pagination(office):
    require_soffice()
    texts = office.report_texts
    pages = office.attachment_pages()
    for name, nums in pages.items():
        label = f"{name}："
        assert nums, f"{name} has no pages"
        first_line = texts[nums[0]].strip().splitlines()[0].strip()
        assert first_line == label, f"{name} does not start a new page: its first page begins “{first_line}”"
        assert len(nums) <= MAX_PAGES[name], f"{name} prints on {len(nums)} pages, expected ≤ {MAX_PAGES[name]}"
        left, right = EDGE_HEADERS[name]
        for n in nums:
            # the repeated header row holds the leftmost and rightmost column: the page is the whole width
            assert left in texts[n] and right in texts[n], (
                f"page {n + 1} of {name} lacks the header “{left}”…“{right}”: not one page wide or header "
                f"not repeated:\n{texts[n]}")
            assert FOOTER.search(texts[n]), f"page {n + 1} ({name}) has no page number “— N —”"
            w, h = office.report_sizes[n]
            assert (round(w), round(h)) == A4_PT, f"page {n + 1} ({name}) is {w} x {h} pt, expected A4 portrait"
    assert FOOTER.search(texts[0]).group(1) == "1", "the first page is not numbered “— 1 —”"
    # every unit taking part is printed in 附件1 / 附件2 (none lost to a page break or print area)
    roster = Roster.default()
    for name, assessment in (("附件1", "disclosure"), ("附件2", "portal")):
        text = "\n".join(texts[n] for n in pages[name])
        lost = [u.name for u in roster.taking_part(assessment) if u.name not in text]
        assert not lost, f"{name}: units not printed: {lost}"


def test_attachment_tables_centred(office, tmp_path):
    """report.py centres horizontally: the ink of each attachment page sits in the middle of the
    printable area (margins 28 mm left, 26 mm right)."""
    require_soffice()
    centre = CENTRE_X_MM / 25.4 * DPI
    for name, nums in office.attachment_pages().items():
        for n in nums:
            box = ink_box(office.image(n, tmp_path))
            assert box, f"page {n + 1} ({name}) is blank"
            mid = (box[0] + box[2]) / 2
            assert abs(mid - centre) <= 10, f"page {n + 1} ({name}): table centred at x={mid}px, expected {centre:.0f}"


def test_no_report_page_is_blank_or_a_cut_off_strip(office, tmp_path):
    """Printing the whole workbook (what a clerk does) gives no empty page and no page holding only
    the right-hand strip of a table or chart cut off the page before."""
    require_soffice()
    bad = []
    for n in range(len(office.pngs)):
        img = office.image(n, tmp_path)
        box = ink_box(img)
        if box is None:
            bad.append(f"page {n + 1}: blank")
        elif box[2] - box[0] < 0.4 * img.width:
            bad.append(f"page {n + 1}: only a strip {box[2] - box[0]} px wide (x {box[0]}–{box[2]}): "
                       + squeeze(office.report_texts[n])[:60])
    assert not bad, f"pages of {office.report_pdf.name} (rendered in {RENDERED}):\n" + "\n".join(bad)


# ----------------------------------------------------------------------------------------------
# 3. conditional formatting renders
# ----------------------------------------------------------------------------------------------


def _row_band(words: list[Word], start: str, page: int) -> tuple[float, float]:
    hits = [w for w in words if w.text.startswith(start)]
    assert hits, f"“{start}” not found on page {page}: {[w.text for w in words]}"
    return hits[0].y0, hits[0].y1


def test_conditional_formats_render(office, tmp_path):
    require_soffice()
    print(f"\nrendered report pages: {RENDERED}")
    pdf = office.report_pdf
    pages = office.attachment_pages()
    measured = {}

    # 附件3: the two 不合格 accounts light red across the row, the two good ones not
    (p3,) = pages["附件3"]
    words = page_words(pdf, p3 + 1)
    img = office.image(p3, tmp_path)
    fail_cells = [w for w in words if w.text == "不合格"]
    assert len(fail_cells) == 2, f"expected two 不合格 remarks on page {p3 + 1}: {[w.text for w in words]}"
    for start in FAILING_ACCOUNTS:
        y0, y1 = _row_band(words, start, p3 + 1)
        measured[start] = count_colour(img, y0, y1, FAIL_FILL)
        assert measured[start] >= 200, f"{start}…: {measured[start]:.0f} px/line of {FAIL_FILL} fill, expected the row red"
    for cell in fail_cells:
        measured[f"不合格@{cell.y0:.0f}"] = v = count_colour(img, cell.y0, cell.y1, FAIL_FILL)
        assert v >= 200, f"不合格 row at y={cell.y0:.0f}pt: {v:.0f} px/line red"
    for start in GOOD_ACCOUNTS:
        y0, y1 = _row_band(words, start, p3 + 1)
        measured[start] = count_colour(img, y0, y1, FAIL_FILL)
        assert measured[start] <= 40, f"{start}: {measured[start]:.0f} px/line red, but the account passes"

    # 附件2: units with no data grey across the row, a ranked unit not
    def band_on(name: str, unit: str) -> tuple[int, tuple[float, float]]:
        for n in pages[name]:
            if unit in office.report_texts[n]:
                ws = [w for w in page_words(pdf, n + 1) if w.text == unit]
                if ws:
                    return n, (ws[0].y0, ws[0].y1)
        raise AssertionError(f"{unit} not found in {name}")

    for unit, grey in (("烟草局", True), ("盐业局", True), ("广电中心", False)):
        n, (y0, y1) = band_on("附件2", unit)
        measured[unit] = v = count_colour(office.image(n, tmp_path), y0, y1, GREY_FILL)
        if grey:
            assert v >= 200, f"附件2 {unit} (no data, page {n + 1}): {v:.0f} px/line of {GREY_FILL}, expected grey"
        else:
            assert v <= 40, f"附件2 {unit} (ranked, page {n + 1}): {v:.0f} px/line grey, expected white"
    print("fill pixels per scanline:", {k: round(v) for k, v in measured.items()})


# ----------------------------------------------------------------------------------------------
# 4. round trip through LibreOffice, as a clerk's WPS would re-save
# ----------------------------------------------------------------------------------------------


@dataclass
class Resaved:
    form: Path  # FILLED_FORM re-saved as .xlsx
    master: Path  # the example master re-saved as .xlsx
    xls: Path  # FILLED_FORM saved as .xls
    seconds: float


@pytest.fixture(scope="module")
def resaved(office) -> Resaved:
    require_soffice()
    t0 = time.perf_counter()
    form, master = convert([FILLED_FORM, office.master], office.root / "resaved", 'xlsx:Calc MS Excel 2007 XML',
                           office.profile)
    (xls,) = convert([FILLED_FORM], office.root / "xls", "xls", office.profile)
    return Resaved(form, master, xls, time.perf_counter() - t0)


def master_rows(path: Path) -> dict[str, list[dict]]:
    """月度数据 and 新媒体账号 rows by header, without 来源文件 and 来源SHA-256 (they name the file merged)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for sheet in (MONTHLY_SHEET, ACCOUNTS_SHEET):
        rows = list(wb[sheet].iter_rows(values_only=True))
        header = rows[0]
        out[sheet] = [{h: v for h, v in zip(header, r, strict=False) if h and h not in ("来源文件", "来源SHA-256")}
                      for r in rows[1:] if any(v is not None for v in r)]
    wb.close()
    return out


def merge_json(*args) -> list[dict]:
    result = run("merge", *args, "--json", expect=None)
    outcomes = json.loads(result.stdout)
    assert result.exit_code == 0, f"exit {result.exit_code}: {outcomes}\n{result.stderr}"
    return outcomes


def sheet_values(path: Path, sheet: str) -> list[tuple]:
    ws = open_checked(path)[sheet]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def test_resaved_form_merges_the_same(office, resaved, tmp_path):
    require_soffice()
    (o,) = merge_json(FILLED_FORM, "--master", tmp_path / "a" / "总表.xlsx")
    (r,) = merge_json(resaved.form, "--master", tmp_path / "b" / "总表.xlsx")
    assert (r["unit"], r["period"], r["result"]) == (o["unit"], o["period"], "merged"), r
    original, again = master_rows(tmp_path / "a" / "总表.xlsx"), master_rows(tmp_path / "b" / "总表.xlsx")
    assert len(original[MONTHLY_SHEET]) == 1 and len(original[ACCOUNTS_SHEET]) == 2, original
    assert again == original


def test_report_from_resaved_master_is_identical(office, resaved, tmp_path):
    require_soffice()
    report = tmp_path / "通报附件.xlsx"
    run("rank", "--master", resaved.master, "--period", "2019-08", "--output", report)
    for sheet in ("附件1", "附件2", "附件3", "汇总"):
        assert sheet_values(report, sheet) == sheet_values(office.report, sheet), f"{sheet} differs"


def test_resaved_master_accepts_new_forms(office, resaved, tmp_path):
    require_soffice()
    master = tmp_path / "总表.xlsx"
    shutil.copy(resaved.master, master)
    before = master_rows(master)
    september = make_form(tmp_path / "in" / "2019-09_朱堂乡.xlsx", unit="朱堂乡", period="2019-09", disclosure=7,
                          portal=2)
    (o,) = merge_json(september, "--master", master)
    assert (o["unit"], o["period"], o["result"]) == ("朱堂乡", "2019-09", "merged"), o
    # the audit (报送记录) survived LibreOffice: a form merged before is recognised as a duplicate
    (d,) = merge_json(EXAMPLE / "2019-08_朱堂乡.xlsx", "--master", master)
    assert d["result"] == "duplicate", d
    after = master_rows(master)
    assert after[ACCOUNTS_SHEET] == before[ACCOUNTS_SHEET]
    added = [r for r in after[MONTHLY_SHEET] if r not in before[MONTHLY_SHEET]]
    assert len(after[MONTHLY_SHEET]) == len(before[MONTHLY_SHEET]) + 1
    assert added == [{"期间": "2019-09", "单位名称": "朱堂乡", "类别": "乡镇街道", "信息公开发布数量": 7,
                      "门户网站采用数量": 2}], added
    run("rank", "--master", master, "--period", "2019-09", "--output", tmp_path / "通报附件.xlsx")


# ----------------------------------------------------------------------------------------------
# 5. legacy .xls
# ----------------------------------------------------------------------------------------------


def test_xls_form_merges(office, resaved, tmp_path):
    require_soffice()
    assert resaved.xls.suffix == ".xls"
    (o,) = merge_json(FILLED_FORM, "--master", tmp_path / "a" / "总表.xlsx")
    (x,) = merge_json(resaved.xls, "--master", tmp_path / "b" / "总表.xlsx")
    assert (x["file"], x["unit"], x["period"], x["result"]) == (resaved.xls.name, o["unit"], o["period"], "merged"), x
    assert master_rows(tmp_path / "b" / "总表.xlsx") == master_rows(tmp_path / "a" / "总表.xlsx")


def test_timings(office, resaved):
    """Not a check: shows where the time goes (pytest -s)."""
    require_soffice()
    print("\ntimings:", {k: f"{v:.1f} s" for k, v in {**office.timings, "soffice → xlsx, xls": resaved.seconds}.items()})
