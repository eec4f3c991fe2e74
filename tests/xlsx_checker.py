"""Low-level checks for .xlsx files written by luoshan_xl.

The checks read the package as a zip of XML parts (no openpyxl) and look for the
things that are known to make Excel show "We found a problem with some content in
'…'. Do you want us to try to recover as much as we can?" or make WPS Office
render a part as nothing (typically conditional-format fills).

Usage in tests::

    from xlsx_checker import assert_clean, check_workbook

    assert check_workbook(path) == []
    assert_clean(path)
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
from collections import Counter
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

__all__ = ["check_workbook", "assert_clean", "scan_formula", "EXCEL_FUNCTIONS", "EXCEL_FUTURE_FUNCTIONS"]

# --------------------------------------------------------------------------------------------------
# Limits (Excel "specifications and limits")
# --------------------------------------------------------------------------------------------------
MAX_SHEET_NAME = 31
MAX_CELL_TEXT = 32_767
MAX_FORMULA = 8_192
MAX_LIST_LITERAL = 255
MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_DEFINED_NAME = 255
PAPER_SIZES = range(1, 119)  # ST_PaperSize / Excel's paperSize 1..118
PRINT_SCALE = range(10, 401)
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")

# --------------------------------------------------------------------------------------------------
# Function names
# --------------------------------------------------------------------------------------------------
# Functions stored in the file under their plain English name.
EXCEL_FUNCTIONS = frozenset(
    """
    ABS ACCRINT ACCRINTM ACOS ACOSH ADDRESS AMORDEGRC AMORLINC AND AREAS ASC ASIN ASINH ATAN ATAN2 ATANH
    AVEDEV AVERAGE AVERAGEA AVERAGEIF AVERAGEIFS BAHTTEXT BESSELI BESSELJ BESSELK BESSELY BETADIST
    BETAINV BIN2DEC BIN2HEX BIN2OCT BINOMDIST CALL CEILING CELL CHAR CHIDIST CHIINV CHITEST CHOOSE CLEAN
    CODE COLUMN COLUMNS COMBIN COMPLEX CONCATENATE CONFIDENCE CONVERT CORREL COS COSH COUNT COUNTA
    COUNTBLANK COUNTIF COUNTIFS COUPDAYBS COUPDAYS COUPDAYSNC COUPNCD COUPNUM COUPPCD COVAR CRITBINOM
    CUBEKPIMEMBER CUBEMEMBER CUBEMEMBERPROPERTY CUBERANKEDMEMBER CUBESET CUBESETCOUNT CUBEVALUE CUMIPMT
    CUMPRINC DATE DATEDIF DATESTRING DATEVALUE DAVERAGE DAY DAYS360 DB DCOUNT DCOUNTA DDB DEC2BIN DEC2HEX
    DEC2OCT DEGREES DELTA DEVSQ DGET DISC DMAX DMIN DOLLAR DOLLARDE DOLLARFR DPRODUCT DSTDEV DSTDEVP DSUM
    DURATION DVAR DVARP ECMA.CEILING EDATE EFFECT EOMONTH ERF ERFC ERROR.TYPE EUROCONVERT EVEN EXACT EXP
    EXPONDIST FACT FACTDOUBLE FALSE FDIST FIND FINDB FINV FISHER FISHERINV FIXED FLOOR FORECAST FREQUENCY
    FTEST FV FVSCHEDULE GAMMADIST GAMMAINV GAMMALN GCD GEOMEAN GESTEP GETPIVOTDATA GROWTH HARMEAN
    HEX2BIN HEX2DEC HEX2OCT HLOOKUP HOUR HYPERLINK HYPGEOMDIST IF IFERROR IMABS IMAGINARY IMARGUMENT
    IMCONJUGATE IMCOS IMDIV IMEXP IMLN IMLOG10 IMLOG2 IMPOWER IMPRODUCT IMREAL IMSIN IMSQRT IMSUB IMSUM
    INDEX INDIRECT INFO INT INTERCEPT INTRATE IPMT IRR ISBLANK ISERR ISERROR ISEVEN ISLOGICAL ISNA
    ISNONTEXT ISNUMBER ISO.CEILING ISODD ISPMT ISREF ISTEXT JIS KURT LARGE LCM LEFT LEFTB LEN LENB
    LINEST LN LOG LOG10 LOGEST LOGINV LOGNORMDIST LOOKUP LOWER MATCH MAX MAXA MDETERM MDURATION MEDIAN
    MID MIDB MIN MINA MINUTE MINVERSE MIRR MMULT MOD MODE MONTH MROUND MULTINOMIAL N NA NEGBINOMDIST
    NETWORKDAYS NETWORKDAYS.INTL NOMINAL NORMDIST NORMINV NORMSDIST NORMSINV NOT NOW NPER NPV
    NUMBERSTRING OCT2BIN OCT2DEC OCT2HEX ODD ODDFPRICE ODDFYIELD ODDLPRICE ODDLYIELD OFFSET OR PEARSON
    PERCENTILE PERCENTRANK PERMUT PHONETIC PI PMT POISSON POWER PPMT PRICE PRICEDISC PRICEMAT PROB
    PRODUCT PROPER PV QUARTILE QUOTIENT RADIANS RAND RANDBETWEEN RANK RATE RECEIVED REGISTER.ID REPLACE
    REPLACEB REPT RIGHT RIGHTB ROMAN ROUND ROUNDDOWN ROUNDUP ROW ROWS RSQ RTD SEARCH SEARCHB SECOND
    SERIESSUM SIGN SIN SINH SKEW SLN SLOPE SMALL SQRT SQRTPI STANDARDIZE STDEV STDEVA STDEVP STDEVPA
    STEYX SUBSTITUTE SUBTOTAL SUM SUMIF SUMIFS SUMPRODUCT SUMSQ SUMX2MY2 SUMX2PY2 SUMXMY2 SYD T TAN TANH
    TBILLEQ TBILLPRICE TBILLYIELD TDIST TEXT TIME TIMEVALUE TINV TODAY TRANSPOSE TREND TRIM TRIMMEAN
    TRUE TRUNC TTEST TYPE UPPER VALUE VAR VARA VARP VARPA VDB VLOOKUP WEEKDAY WEEKNUM WEIBULL WORKDAY
    WORKDAY.INTL XIRR XNPV YEAR YEARFRAC YIELD YIELDDISC YIELDMAT ZTEST
    """.split()
)

# Functions added after Excel 2007: the file must store them as "_xlfn.NAME(" (FILTER and SORT as
# "_xlfn._xlws.NAME("); without the prefix Excel shows #NAME?.
EXCEL_FUTURE_FUNCTIONS = frozenset(
    """
    ACOT ACOTH AGGREGATE ANCHORARRAY ARABIC ARRAYTOTEXT BASE BETA.DIST BETA.INV BINOM.DIST
    BINOM.DIST.RANGE BINOM.INV BITAND BITLSHIFT BITOR BITRSHIFT BITXOR BYCOL BYROW CEILING.MATH
    CEILING.PRECISE CHISQ.DIST CHISQ.DIST.RT CHISQ.INV CHISQ.INV.RT CHISQ.TEST CHOOSECOLS CHOOSEROWS
    COMBINA CONCAT CONFIDENCE.NORM CONFIDENCE.T COT COTH COVARIANCE.P COVARIANCE.S CSC CSCH DAYS DECIMAL
    DETECTLANGUAGE DROP ENCODEURL ERF.PRECISE ERFC.PRECISE EXPAND EXPON.DIST F.DIST F.DIST.RT F.INV
    F.INV.RT F.TEST FIELDVALUE FILTER FILTERXML FLOOR.MATH FLOOR.PRECISE FORECAST.ETS
    FORECAST.ETS.CONFINT FORECAST.ETS.SEASONALITY FORECAST.ETS.STAT FORECAST.LINEAR FORMULATEXT GAMMA
    GAMMA.DIST GAMMA.INV GAMMALN.PRECISE GAUSS GROUPBY HSTACK HYPGEOM.DIST IFNA IFS IMAGE IMCOSH IMCOT
    IMCSC IMCSCH IMSEC IMSECH IMSINH IMTAN ISFORMULA ISOMITTED ISOWEEKNUM LAMBDA LET LOGNORM.DIST
    LOGNORM.INV MAKEARRAY MAP MAXIFS MINIFS MODE.MULT MODE.SNGL MUNIT NEGBINOM.DIST NORM.DIST NORM.INV
    NORM.S.DIST NORM.S.INV NUMBERVALUE PDURATION PERCENTILE.EXC PERCENTILE.INC PERCENTOF
    PERCENTRANK.EXC PERCENTRANK.INC PERMUTATIONA PHI PIVOTBY POISSON.DIST QUARTILE.EXC QUARTILE.INC
    QUERYSTRING RANDARRAY RANK.AVG RANK.EQ REDUCE REGEXEXTRACT REGEXREPLACE REGEXTEST RRI SCAN SEC SECH
    SEQUENCE SHEET SHEETS SINGLE SKEW.P SORT SORTBY STDEV.P STDEV.S STOCKHISTORY SWITCH T.DIST T.DIST.2T
    T.DIST.RT T.INV T.INV.2T T.TEST TAKE TEXTAFTER TEXTBEFORE TEXTJOIN TEXTSPLIT TOCOL TOROW TRANSLATE
    TRIMRANGE UNICHAR UNICODE UNIQUE VALUETOTEXT VAR.P VAR.S VSTACK WEBSERVICE WEIBULL.DIST WRAPCOLS
    WRAPROWS XLOOKUP XMATCH XOR Z.TEST
    """.split()
)

# Excel error literals (so "#DIV/0!" is not read as a reference to a sheet called "0").
_ERROR_LITERAL = re.compile(
    r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!)",
    re.IGNORECASE,
)
# relationship type (last segment) -> how the target's content type must end
_EXPECTED_CONTENT_TYPE = {
    "officeDocument": "main+xml",
    "worksheet": ".worksheet+xml",
    "chartsheet": ".chartsheet+xml",
    "styles": ".styles+xml",
    "sharedStrings": ".sharedStrings+xml",
    "theme": ".theme+xml",
    "table": ".table+xml",
    "comments": ".comments+xml",
    "drawing": ".drawing+xml",
    "chart": ".chart+xml",
}
_CELL_REF = re.compile(r"^([A-Za-z]{1,3})([0-9]+)$")
_RANGE_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)(?::\$?([A-Za-z]{1,3})\$?([0-9]+))?$")
_R1C1_LIKE = re.compile(r"^(?:[Rr][0-9]*[Cc][0-9]*|[RrCc][0-9]*)$")


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------
def _ln(tag: object) -> str:
    """Local name of an element tag ('{ns}row' -> 'row'); comments/PIs give ''."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: Element, name: str) -> list[Element]:
    return [c for c in el if _ln(c.tag) == name]


def _kid(el: Element, name: str) -> Element | None:
    for c in el:
        if _ln(c.tag) == name:
            return c
    return None


def _attr(el: Element, local: str) -> str | None:
    """Attribute by local name, ignoring its namespace (r:id, strict-OOXML ns, ...)."""
    if local in el.attrib:
        return el.attrib[local]
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1] == local:
            return value
    return None


def _ns_attr(el: Element, local: str) -> str | None:
    """A namespaced attribute (e.g. r:id) by local name."""
    for key, value in el.attrib.items():
        if key.startswith("{") and key.rsplit("}", 1)[-1] == local:
            return value
    return None


def _string_item_text(el: Element) -> str:
    """Text of a <si> / <is>: direct <t> plus rich-text runs <r><t>, without phonetic runs <rPh>."""
    parts: list[str] = []
    for child in el:
        name = _ln(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for t in _kids(child, "t"):
                parts.append(t.text or "")
    return "".join(parts)


def _col_to_num(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _num_to_col(n: int) -> str:
    s = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """'B2:C5' -> (r1, c1, r2, c2) normalised; 'B2' -> single cell; None when not a cell range."""
    m = _RANGE_REF.match(ref.strip())
    if not m:
        return None
    c1, r1 = _col_to_num(m.group(1)), int(m.group(2))
    if m.group(3):
        c2, r2 = _col_to_num(m.group(3)), int(m.group(4))
    else:
        c2, r2 = c1, r1
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.\\$:"


def scan_formula(formula: str) -> tuple[list[str], list[str]]:
    """Return (function names, sheet names) used in a formula, ignoring string literals.

    Function names are identifiers directly followed by "(". Sheet names come from "Sheet!"
    and "'Sheet name'!" prefixes (3-D "A:B!" gives both); references into other workbooks
    ("[1]Sheet!A1", "'[Book.xlsx]Sheet'!A1") are skipped, as are structured references
    "Table[...]" and error literals such as "#DIV/0!".
    """
    funcs: list[str] = []
    sheets: list[str] = []
    i, n = 0, len(formula)
    after_bracket = False  # previous token was "[...]" (external workbook index)
    while i < n:
        ch = formula[i]
        if ch == '"':  # string literal, "" escapes a quote
            j = i + 1
            while j < n:
                if formula[j] == '"':
                    if j + 1 < n and formula[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            after_bracket = False
            continue
        if ch == "'":  # quoted sheet name, '' escapes a quote
            j = i + 1
            buf: list[str] = []
            while j < n:
                if formula[j] == "'":
                    if j + 1 < n and formula[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(formula[j])
                j += 1
            name = "".join(buf)
            i = j + 1
            if i < n and formula[i] == "!" and "[" not in name and not after_bracket:
                sheets.extend(name.split(":"))
            after_bracket = False
            continue
        if ch == "[":  # external-book index or structured reference, may nest
            depth = 0
            j = i
            while j < n:
                if formula[j] == "[":
                    depth += 1
                elif formula[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            after_bracket = True
            continue
        if ch == "#":
            m = _ERROR_LITERAL.match(formula, i)
            i = m.end() if m else i + 1
            after_bracket = False
            continue
        if _is_word_char(ch):
            j = i
            while j < n and _is_word_char(formula[j]):
                j += 1
            token = formula[i:j]
            nxt = formula[j] if j < n else ""
            if nxt == "(":
                name = token.rsplit(":", 1)[-1]  # "A1:INDEX(" -> INDEX
                if name and (name[0].isalpha() or name[0] in "_\\"):
                    funcs.append(name)
            elif nxt == "!" and not after_bracket:
                sheets.extend(part.replace("$", "") for part in token.split(":"))
            i = j
            after_bracket = False
            continue
        after_bracket = False
        i += 1
    return funcs, sheets


def _function_problem(name: str, callable_names: set[str]) -> str | None:
    upper = name.upper()
    if upper.startswith("_XLPM."):  # LAMBDA/LET parameter called as a function
        return None
    if upper.startswith("_XLFN."):
        rest = upper[len("_XLFN.") :]
        if rest.startswith("_XLWS."):
            rest = rest[len("_XLWS.") :]
        if rest in EXCEL_FUTURE_FUNCTIONS or rest in EXCEL_FUNCTIONS:
            return None
        return f"uses unknown function '{name}'"
    if upper.startswith("_XLUDF."):
        return f"uses '{name}', a user-defined function Excel does not know (shows #NAME?)"
    if upper in EXCEL_FUNCTIONS:
        return None
    if upper in EXCEL_FUTURE_FUNCTIONS:
        prefix = "_xlfn._xlws." if upper in ("FILTER", "SORT") else "_xlfn."
        return (
            f"uses '{name}' without its prefix; newer functions must be stored as "
            f"'{prefix}{upper}(' or Excel shows #NAME?"
        )
    if name.casefold() in callable_names:  # a defined name holding a LAMBDA
        return None
    return f"uses '{name}(', which is not an Excel English function name"


def _defined_name_syntax_problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if len(name) > MAX_DEFINED_NAME:
        return f"is {len(name)} characters long (max {MAX_DEFINED_NAME})"
    first = name[0]
    if not (first.isalpha() or first in "_\\"):
        return "must start with a letter, underscore or backslash"
    for ch in name[1:]:
        if not (ch.isalnum() or ch in "_.\\?"):
            return f"contains invalid character {ch!r}"
    m = _CELL_REF.match(name)
    if m and _col_to_num(m.group(1)) <= MAX_COL and 1 <= int(m.group(2)) <= MAX_ROW:
        return "looks like a cell reference (A1 style)"
    if _R1C1_LIKE.match(name):
        return "looks like a cell reference (R1C1 style)"
    return None


def _dxf_fill_problem(dxf: Element) -> str | None:
    fill = _kid(dxf, "fill")
    if fill is None:
        return None
    pattern = _kid(fill, "patternFill")
    if pattern is None:
        kinds = ", ".join(f"<{_ln(c.tag)}>" for c in fill) or "nothing"
        return f'has a <fill> holding {kinds} instead of <patternFill patternType="solid">'
    ptype = pattern.get("patternType")
    if ptype is None:
        return (
            "<patternFill> has no patternType (Excel treats it as solid, WPS renders no fill); "
            'write patternType="solid"'
        )
    if ptype != "solid":
        return f'<patternFill patternType="{ptype}"> is not "solid" (WPS renders no fill)'
    return None


# --------------------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------------------
class _Sheet:
    def __init__(self, name: str, part: str | None, kind: str) -> None:
        self.name = name
        self.part = part
        self.kind = kind  # "worksheet", "chartsheet", "dialogsheet", "macrosheet", "?"

    @property
    def label(self) -> str:
        return f"sheet '{self.name}' ({self.part})" if self.part else f"sheet '{self.name}'"


class _Checker:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.problems: list[str] = []
        self.data: dict[str, bytes] = {}
        self.xml: dict[str, Element] = {}
        self.sheets: list[_Sheet] = []
        self.sheet_names: set[str] = set()
        self.callable_names: set[str] = set()
        self.dxfs: list[Element] | None = None
        self.cell_xfs_count: int | None = None
        self.shared_strings_count: int | None = None
        self.dxf_users: dict[int, str] = {}
        self.styles_part = "xl/styles.xml"
        self.ct_defaults: dict[str, str] = {}
        self.ct_overrides: dict[str, str] = {}

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    # ---- package level -------------------------------------------------------------------------
    def run(self) -> list[str]:
        names = self.zf.namelist()
        for name, count in Counter(names).items():
            if count > 1:
                self.add(name, f"the zip holds {count} entries with this name")
        for name in names:
            if name.endswith("/") or name in self.data:
                continue
            try:
                self.data[name] = self.zf.read(name)
            except Exception as exc:  # bad CRC, bad compression, ...
                self.add(name, f"cannot be read from the zip ({exc})")
        for name, raw in self.data.items():
            if name.lower().endswith((".xml", ".rels")):
                try:
                    self.xml[name] = SafeET.fromstring(raw)
                except (ParseError, DefusedXmlException, ValueError) as exc:
                    self.add(name, f"is not well-formed XML ({exc})")

        self.check_content_types()
        self.check_relationships()
        workbook_part = self.find_workbook_part()
        if workbook_part is None or workbook_part not in self.xml:
            if workbook_part is not None and workbook_part not in self.data:
                self.add(workbook_part, "workbook part is missing")
            return self.problems
        self.read_workbook(workbook_part)
        for sheet in self.sheets:
            if sheet.kind == "worksheet" and sheet.part in self.xml:
                self.check_worksheet(sheet, self.xml[sheet.part])
        self.check_dxfs()
        return self.problems

    def check_content_types(self) -> None:
        ct_name = "[Content_Types].xml"
        root = self.xml.get(ct_name)
        if root is None:
            if ct_name not in self.data:
                self.add(ct_name, "is missing")
            return
        self.ct_defaults = {
            (d.get("Extension") or "").lower(): d.get("ContentType") or "" for d in _kids(root, "Default")
        }
        self.ct_overrides = {
            unquote(o.get("PartName") or "").lower(): o.get("ContentType") or ""
            for o in _kids(root, "Override")
        }
        for name in self.data:
            if name != ct_name and self.content_type(name) is None:
                self.add(ct_name, f"has no Override or Default content type for part '{name}'")

    def content_type(self, part: str) -> str | None:
        override = self.ct_overrides.get(("/" + part).lower())
        if override is not None:
            return override
        base = posixpath.basename(part)
        ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
        return self.ct_defaults.get(ext) if ext else None

    def check_target_content_type(self, rels_part: str, rid: str, rtype: str, target: str) -> None:
        suffix = _EXPECTED_CONTENT_TYPE.get(rtype.rsplit("/", 1)[-1])
        if suffix is None or "[Content_Types].xml" not in self.xml:
            return
        ctype = self.content_type(target)
        if ctype is not None and not ctype.endswith(suffix):
            self.add(
                "[Content_Types].xml",
                f"part '{target}' (target of {rels_part} {rid}) has content type '{ctype}', "
                f"expected one ending in '{suffix}'",
            )

    @staticmethod
    def rels_source(rels_part: str) -> str:
        """'xl/_rels/workbook.xml.rels' -> 'xl/workbook.xml'; '_rels/.rels' -> ''."""
        folder, base = posixpath.split(rels_part)
        parent = posixpath.dirname(folder)
        source = base[: -len(".rels")]
        return posixpath.join(parent, source) if source else ""

    @staticmethod
    def resolve(source_part: str, target: str) -> str:
        target = unquote(target)
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))

    def relationships(self, rels_part: str) -> dict[str, tuple[str, str | None]]:
        """rId -> (type, target part or None for external targets)."""
        root = self.xml.get(rels_part)
        out: dict[str, tuple[str, str | None]] = {}
        if root is None:
            return out
        source = self.rels_source(rels_part)
        for rel in _kids(root, "Relationship"):
            rid = rel.get("Id") or ""
            rtype = rel.get("Type") or ""
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External":
                out[rid] = (rtype, None)
            else:
                out[rid] = (rtype, self.resolve(source, target))
        return out

    def check_relationships(self) -> None:
        for part in self.xml:
            if not part.endswith(".rels"):
                continue
            for rid, (rtype, target) in self.relationships(part).items():
                if target is None:
                    continue
                if target not in self.data:
                    self.add(part, f"relationship {rid} targets '{target}', which is not in the package")
                else:
                    self.check_target_content_type(part, rid, rtype, target)
            root = self.xml[part]
            ids = Counter(rel.get("Id") for rel in _kids(root, "Relationship"))
            for rid, count in ids.items():
                if count > 1:
                    self.add(part, f"relationship Id '{rid}' is used {count} times")

    def find_workbook_part(self) -> str | None:
        for _rid, (rtype, target) in self.relationships("_rels/.rels").items():
            if rtype.endswith("/officeDocument") and target:
                return target
        if "xl/workbook.xml" in self.data:
            return "xl/workbook.xml"
        self.add("package", "has no workbook part (no officeDocument relationship, no xl/workbook.xml)")
        return None

    # ---- workbook ------------------------------------------------------------------------------
    def read_workbook(self, wb_part: str) -> None:
        root = self.xml[wb_part]
        folder, base = posixpath.split(wb_part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        rels = self.relationships(rels_part)
        if rels_part not in self.data:
            self.add(rels_part, "is missing")

        # styles / shared strings
        for rtype, target in rels.values():
            if target is None:
                continue
            if rtype.endswith("/styles") and target in self.xml:
                self.read_styles(target)
            elif rtype.endswith("/sharedStrings") and target in self.xml:
                self.read_shared_strings(target)

        # sheets
        sheets_el = _kid(root, "sheets")
        sheet_els = _kids(sheets_el, "sheet") if sheets_el is not None else []
        if not sheet_els:
            self.add(wb_part, "has no <sheet> (a workbook needs at least one sheet)")
        seen_names: dict[str, str] = {}
        seen_ids: Counter[str] = Counter()
        for el in sheet_els:
            name = el.get("name")
            name = "" if name is None else name
            rid = _ns_attr(el, "id")
            part = None
            kind = "?"
            if rid is None or rid not in rels:
                self.add(wb_part, f"sheet '{name}' has no matching relationship (r:id={rid!r})")
            else:
                rtype, part = rels[rid]
                kind = rtype.rsplit("/", 1)[-1]
                if part is not None and part not in self.data:
                    part = None  # already reported by check_relationships
            sheet = _Sheet(name, part, kind)
            self.sheets.append(sheet)
            self.check_sheet_name(wb_part, name, seen_names)
            seen_ids[el.get("sheetId") or ""] += 1
        for sid, count in seen_ids.items():
            if count > 1:
                self.add(wb_part, f"sheetId '{sid}' is used by {count} sheets")
        self.sheet_names = {s.name.casefold() for s in self.sheets}

        # defined names
        dn_parent = _kid(root, "definedNames")
        dn_els = _kids(dn_parent, "definedName") if dn_parent is not None else []
        # a defined name holding a LAMBDA can be called like a function
        self.callable_names = {
            (d.get("name") or "").casefold() for d in dn_els if "LAMBDA(" in (d.text or "").upper()
        }
        seen: dict[tuple[str, str | None], int] = {}
        for d in dn_els:
            self.check_defined_name(wb_part, d, seen)

    def check_sheet_name(self, wb_part: str, name: str, seen: dict[str, str]) -> None:
        where = f"{wb_part} sheet name '{name}'"
        if name == "":
            self.add(f"{wb_part} sheet name ''", "sheet name is empty")
            return
        if len(name) > MAX_SHEET_NAME:
            self.add(where, f"sheet name is {len(name)} characters long (max {MAX_SHEET_NAME})")
        bad = sorted({ch for ch in name if ch in SHEET_NAME_FORBIDDEN})
        if bad:
            self.add(where, f"sheet name contains forbidden character(s) {' '.join(bad)}")
        if name.startswith("'") or name.endswith("'"):
            self.add(where, "sheet name starts or ends with an apostrophe")
        key = name.casefold()
        if key in seen:
            self.add(
                where, f"sheet name duplicates '{seen[key]}' (Excel compares sheet names case-insensitively)"
            )
        else:
            seen[key] = name

    def check_defined_name(self, wb_part: str, el: Element, seen: dict[tuple[str, str | None], int]) -> None:
        name = el.get("name") or ""
        local = el.get("localSheetId")
        text = el.text or ""
        scope = "workbook"
        if local is not None:
            try:
                idx = int(local)
            except ValueError:
                idx = -1
            if 0 <= idx < len(self.sheets):
                scope = f"sheet '{self.sheets[idx].name}'"
            else:
                scope = f"localSheetId {local}"
                self.add(
                    f"{wb_part} defined name '{name}'",
                    f"localSheetId {local!r} does not match any of the {len(self.sheets)} sheets",
                )
        where = f"{wb_part} defined name '{name}' ({scope} scope)"
        problem = _defined_name_syntax_problem(name)
        if problem:
            self.add(where, f"name {problem}")
        key = (name.casefold(), local)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            self.add(where, "name is defined more than once in the same scope (compared case-insensitively)")
        if not text.strip():
            self.add(where, "refers to nothing (empty text)")
            return
        self.check_formula(where, text, "refers-to")

    # ---- styles / shared strings ---------------------------------------------------------------
    def read_styles(self, part: str) -> None:
        root = self.xml[part]
        dxfs = _kid(root, "dxfs")
        self.dxfs = _kids(dxfs, "dxf") if dxfs is not None else []
        self.styles_part = part
        cell_xfs = _kid(root, "cellXfs")
        self.cell_xfs_count = len(_kids(cell_xfs, "xf")) if cell_xfs is not None else 0

    def read_shared_strings(self, part: str) -> None:
        root = self.xml[part]
        items = _kids(root, "si")
        self.shared_strings_count = len(items)
        for i, si in enumerate(items):
            text = _string_item_text(si)
            if len(text) > MAX_CELL_TEXT:
                self.add(
                    f"{part} string #{i}",
                    f"is {len(text)} characters long (Excel's cell limit is {MAX_CELL_TEXT}): {_short(text, 30)!r}",
                )

    # ---- formulas ------------------------------------------------------------------------------
    def check_formula(self, where: str, text: str, what: str = "formula") -> None:
        if len(text) > MAX_FORMULA:
            self.add(where, f"{what} is {len(text)} characters long (max {MAX_FORMULA})")
        funcs, sheets = scan_formula(text)
        reported: set[str] = set()
        for func in funcs:
            problem = _function_problem(func, self.callable_names)
            if problem and func.upper() not in reported:
                reported.add(func.upper())
                self.add(where, f"{what} {problem}: {_short(text)!r}")
        missing: set[str] = set()
        for sheet in sheets:
            if sheet and sheet.casefold() not in self.sheet_names and sheet.casefold() not in missing:
                missing.add(sheet.casefold())
                self.add(
                    where, f"{what} names sheet '{sheet}', which is not in the workbook: {_short(text)!r}"
                )

    # ---- worksheets ----------------------------------------------------------------------------
    def check_worksheet(self, sheet: _Sheet, root: Element) -> None:
        label = sheet.label
        for child in root:
            name = _ln(child.tag)
            if name == "sheetData":
                self.check_sheet_data(label, child)
            elif name == "mergeCells":
                self.check_merges(label, child)
            elif name == "conditionalFormatting":
                self.check_conditional_formatting(label, child)
            elif name == "dataValidations":
                for dv in _kids(child, "dataValidation"):
                    self.check_data_validation(label, dv)
            elif name == "pageSetup":
                self.check_page_setup(label, child)
            elif name == "pageMargins":
                self.check_page_margins(label, child)
            elif name == "extLst":
                self.check_ext_lst(label, child)

    def check_sheet_data(self, label: str, sheet_data: Element) -> None:
        prev_row = 0
        for row in _kids(sheet_data, "row"):
            r_attr = row.get("r")
            if r_attr is None:
                row_num = prev_row + 1
            else:
                try:
                    row_num = int(r_attr)
                except ValueError:
                    self.add(f"{label} row r={r_attr!r}", "row number is not an integer")
                    continue
                if row_num <= prev_row:
                    self.add(
                        f"{label} row {row_num}",
                        f"rows are not in increasing order (row {row_num} comes after row {prev_row})",
                    )
                if not 1 <= row_num <= MAX_ROW:
                    self.add(f"{label} row {row_num}", f"row number is outside 1..{MAX_ROW}")
            prev_row = max(prev_row, row_num)
            self.check_row_cells(label, row, row_num)

    def check_row_cells(self, label: str, row: Element, row_num: int) -> None:
        prev_col = 0
        prev_ref = ""
        for c in _kids(row, "c"):
            ref = c.get("r")
            if ref is None:
                col = prev_col + 1
                ref = f"{_num_to_col(col)}{row_num}"
            else:
                m = _CELL_REF.match(ref)
                if not m:
                    self.add(f"{label} cell {ref!r}", "cell reference is not a valid A1 reference")
                    continue
                col, cell_row = _col_to_num(m.group(1)), int(m.group(2))
                if cell_row != row_num:
                    self.add(f"{label} cell {ref}", f'cell is inside <row r="{row_num}">')
                if col <= prev_col:
                    self.add(
                        f"{label} cell {ref}",
                        f"cells are not in increasing column order within row {row_num} (after {prev_ref})",
                    )
                if col > MAX_COL:
                    self.add(f"{label} cell {ref}", f"column is beyond XFD ({MAX_COL})")
            prev_col = max(prev_col, col)
            prev_ref = ref
            self.check_cell(f"{label} cell {ref}", c)

    def check_cell(self, where: str, c: Element) -> None:
        ctype = c.get("t", "n")
        style = c.get("s")
        if style is not None and self.cell_xfs_count is not None:
            if not style.isdigit() or int(style) >= self.cell_xfs_count:
                self.add(where, f"style index s={style} is out of range ({self.cell_xfs_count} cellXfs)")
        v = _kid(c, "v")
        if ctype == "s" and v is not None:
            value = (v.text or "").strip()
            if not value.isdigit():
                self.add(where, f"shared-string index {value!r} is not a number")
            elif self.shared_strings_count is None:
                self.add(where, "refers to a shared string but the workbook has no sharedStrings part")
            elif int(value) >= self.shared_strings_count:
                self.add(
                    where,
                    f"shared-string index {value} is out of range ({self.shared_strings_count} strings)",
                )
        elif ctype == "str" and v is not None and len(v.text or "") > MAX_CELL_TEXT:
            self.add(
                where, f"formula string result is {len(v.text or '')} characters long (max {MAX_CELL_TEXT})"
            )
        inline = _kid(c, "is")
        if inline is not None:
            text = _string_item_text(inline)
            if len(text) > MAX_CELL_TEXT:
                self.add(where, f"inline string is {len(text)} characters long (max {MAX_CELL_TEXT})")
        f = _kid(c, "f")
        if f is not None and f.text:
            self.check_formula(where, f.text)

    def check_merges(self, label: str, merge_cells: Element) -> None:
        rects: list[tuple[tuple[int, int, int, int], str]] = []
        for mc in _kids(merge_cells, "mergeCell"):
            ref = mc.get("ref") or ""
            rect = _parse_range(ref)
            if rect is None:
                self.add(f"{label} merged range {ref!r}", "is not a valid cell range")
                continue
            if rect[0] == rect[2] and rect[1] == rect[3]:
                self.add(f"{label} merged range {ref}", "merges a single cell")
            if rect[2] > MAX_ROW or rect[3] > MAX_COL or rect[0] < 1:
                self.add(f"{label} merged range {ref}", "is outside the sheet")
            rects.append((rect, ref))
        # sweep by top row; only ranges still "open" (bottom >= current top) can intersect
        rects.sort()
        active: list[tuple[tuple[int, int, int, int], str]] = []
        for rect, ref in rects:
            r1, c1, r2, c2 = rect
            active = [a for a in active if a[0][2] >= r1]
            for (_ar1, ac1, _ar2, ac2), aref in active:
                if ac1 <= c2 and c1 <= ac2:  # rows overlap by construction
                    self.add(f"{label} merged range {ref}", f"overlaps merged range {aref}")
            active.append((rect, ref))

    def check_conditional_formatting(self, label: str, cf: Element) -> None:
        sqref = cf.get("sqref") or _sqref_child(cf)
        for rule in _kids(cf, "cfRule"):
            where = f"{label} conditional format {sqref} ({rule.get('type')} rule)"
            dxf_id = rule.get("dxfId")
            if dxf_id is not None:
                n_dxfs = len(self.dxfs) if self.dxfs is not None else 0
                if not dxf_id.isdigit() or int(dxf_id) >= n_dxfs:
                    self.add(where, f"dxfId={dxf_id} is out of range (styles have {n_dxfs} dxf)")
                else:
                    self.dxf_users.setdefault(int(dxf_id), where)
            for formula in _kids(rule, "formula"):
                if formula.text:
                    self.check_formula(where, formula.text)

    def check_data_validation(self, label: str, dv: Element) -> None:
        sqref = dv.get("sqref") or _sqref_child(dv)
        dv_type = dv.get("type", "none")
        where = f"{label} data validation {sqref} ({dv_type})"
        for tag in ("formula1", "formula2"):
            el = _kid(dv, tag)
            if el is None:
                continue
            inner = _kid(el, "f")  # x14:formula1 / xm:f
            text = (inner.text if inner is not None else el.text) or ""
            if not text:
                continue
            stripped = text.strip()
            if (
                dv_type == "list"
                and tag == "formula1"
                and len(stripped) >= 2
                and stripped[0] == stripped[-1] == '"'
            ):
                items = stripped[1:-1]
                if len(items) > MAX_LIST_LITERAL:
                    self.add(
                        where,
                        f"literal list is {len(items)} characters long (Excel allows {MAX_LIST_LITERAL}); "
                        "put the items in cells and use a range source",
                    )
                continue
            self.check_formula(where, text, tag)

    def check_ext_lst(self, label: str, ext_lst: Element) -> None:
        """x14 conditional formats / data validations kept in the worksheet's extLst."""
        for el in ext_lst.iter():
            name = _ln(el.tag)
            if name == "conditionalFormatting":
                sqref = _sqref_child(el)
                for rule in _kids(el, "cfRule"):
                    where = f"{label} conditional format {sqref} (extLst {rule.get('type')} rule)"
                    for f in _kids(rule, "f"):
                        if f.text:
                            self.check_formula(where, f.text)
                    dxf = _kid(rule, "dxf")
                    if dxf is not None:
                        problem = _dxf_fill_problem(dxf)
                        if problem:
                            self.add(where, f"inline dxf {problem}")
            elif name == "dataValidation":
                self.check_data_validation(f"{label} extLst", el)

    def check_page_setup(self, label: str, el: Element) -> None:
        for attr, allowed in (("paperSize", PAPER_SIZES), ("scale", PRINT_SCALE)):
            value = el.get(attr)
            if value is None:
                continue
            try:
                number = int(value)
            except ValueError:
                self.add(f"{label} pageSetup", f"{attr}={value!r} is not an integer")
                continue
            if number not in allowed:
                self.add(
                    f"{label} pageSetup", f"{attr}={number} is outside {allowed.start}..{allowed.stop - 1}"
                )

    def check_page_margins(self, label: str, el: Element) -> None:
        for attr in ("left", "right", "top", "bottom", "header", "footer"):
            value = el.get(attr)
            if value is None:
                continue
            try:
                number = float(value)
            except ValueError:
                self.add(f"{label} pageMargins", f"{attr}={value!r} is not a number")
                continue
            if not number >= 0:  # negative or NaN
                self.add(f"{label} pageMargins", f"{attr}={value} is negative")

    # ---- differential formats ------------------------------------------------------------------
    def check_dxfs(self) -> None:
        if self.dxfs is None:
            return
        part = self.styles_part
        for idx in sorted(self.dxf_users):
            problem = _dxf_fill_problem(self.dxfs[idx])
            if problem:
                self.add(f"{part} dxf #{idx} (used by {self.dxf_users[idx]})", problem)


def _sqref_child(el: Element) -> str:
    sq = _kid(el, "sqref")
    return (sq.text or "").strip() if sq is not None else "?"


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------
def check_workbook(path: str | os.PathLike[str]) -> list[str]:
    """Return the problems (English, one line each, naming the part/sheet/cell) that are known to make Excel
    show its 'We found a problem with some content … Do you want us to try to recover' prompt or make WPS
    render nothing. [] means clean."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{os.fspath(path)}: is not a readable .xlsx (zip) file ({exc})"]
    with zf:
        return _Checker(zf).run()


def assert_clean(path: str | os.PathLike[str]) -> None:
    """Raise AssertionError listing every problem check_workbook() finds."""
    problems = check_workbook(path)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(f"{os.fspath(path)} has {len(problems)} problem(s):\n{listing}")
