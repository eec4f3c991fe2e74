"""The county's roster of units (单位名册) and matching of typed unit names.

The default roster is Luoshan's, shipped as `data/roster.csv`.  A clerk exports
it with `luoshan-xl roster`, edits it in WPS and passes it back with `--roster`.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from luoshan_xl.errors import LuoshanError

TOWNSHIP = "乡镇街道"
COUNTY = "县直单位"
CATEGORIES = (TOWNSHIP, COUNTY)

UNITS_SHEET = "单位名册"
ACCOUNTS_SHEET = "已报备新媒体"
UNIT_COLUMNS = ("序号", "单位名称", "类别", "附件1序号", "附件2序号", "别名")
ACCOUNT_COLUMNS = ("账号名称", "平台类型", "主办单位")

_PREFIXES = ("罗山县", "罗山", "县")
_SPACES = re.compile(r"\s+")
_ALIAS_SPLIT = re.compile(r"[、,，;；/|]")


def fold(text: object) -> str:
    """Fold a typed name for matching: NFKC (full-width → half-width), no spaces, no 罗山县/县 prefix."""
    s = _SPACES.sub("", unicodedata.normalize("NFKC", str(text if text is not None else "")))
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if s.startswith(prefix) and len(s) >= len(prefix) + 2:  # never strip a name to one character
                s = s[len(prefix):]
                changed = True
    return s


@dataclass(frozen=True)
class Unit:
    name: str
    category: str
    order: int
    disclosure_order: int | None  # position in 附件1; None: does not take part
    portal_order: int | None  # position in 附件2; None: does not take part
    aliases: tuple[str, ...] = ()

    @property
    def is_township(self) -> bool:
        return self.category == TOWNSHIP


@dataclass(frozen=True)
class RegisteredAccount:
    name: str
    platform: str
    host: str


@dataclass
class Roster:
    units: list[Unit]
    registered: list[RegisteredAccount] = field(default_factory=list)
    source: str = "默认名册（罗山县）"

    def __post_init__(self) -> None:
        self._by_key: dict[str, Unit] = {}
        for unit in self.units:
            for key in (unit.name, *unit.aliases):
                self._by_key.setdefault(fold(key), unit)
        self.by_name = {u.name: u for u in self.units}

    def match(self, text: object) -> Unit | None:
        """The unit a typed name means, or None."""
        unit = self.by_name.get(text) if isinstance(text, str) else None  # a canonical name: the common case
        return unit if unit is not None else self._by_key.get(fold(text))

    def suggest(self, text: object, n: int = 3) -> list[str]:
        """The closest roster names to an unknown typed name."""
        typed = fold(text)
        if not typed:
            return []
        scored: dict[str, float] = {}
        for key, unit in self._by_key.items():
            score = difflib.SequenceMatcher(None, typed, key).ratio()
            if typed in key or key in typed:
                score += 0.5
            if score > scored.get(unit.name, 0.0):
                scored[unit.name] = score
        best = sorted(scored.items(), key=lambda kv: (-kv[1], self.by_name[kv[0]].order))
        return [name for name, score in best[:n] if score >= 0.34]

    def unknown_unit_message(self, text: object, what: str = "单位名称") -> str:
        hint = self.suggest(text)
        msg = f"{what}“{text}”不在单位名册中"
        if hint:
            msg += "，是否是：" + "、".join(hint) + "？"
        else:
            msg += "。"
        return msg + "请按县政府办下发的单位名册填写规范名称（报送表中可从下拉列表选择）。"

    def taking_part(self, assessment: str) -> list[Unit]:
        """Units in an assessment ('disclosure' 附件1 or 'portal' 附件2), in that assessment's order."""
        attr = "disclosure_order" if assessment == "disclosure" else "portal_order"
        return sorted((u for u in self.units if getattr(u, attr) is not None),
                      key=lambda u: (CATEGORIES.index(u.category) if u.category in CATEGORIES else 2, getattr(u, attr)))

    # -- loading -----------------------------------------------------------

    @classmethod
    def default(cls) -> Roster:
        text = resources.files("luoshan_xl").joinpath("data/roster.csv").read_text(encoding="utf-8")
        rows = list(csv.reader(text.splitlines()))
        return cls.from_rows(rows, [], source="默认名册（罗山县）")

    @classmethod
    def load(cls, path: str | Path | None) -> Roster:
        if path is None:
            return cls.default()
        path = Path(path)
        if not path.exists():
            raise LuoshanError(f"找不到单位名册文件“{path}”，请检查路径。", exit_code=2)
        if path.suffix.lower() == ".csv":
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                text = path.read_text(encoding="gb18030", errors="replace")
            return cls.from_rows(list(csv.reader(text.splitlines())), [], source=path.name)
        from luoshan_xl.errors import RejectedFile
        from luoshan_xl.xlsxread import open_book

        try:
            book = open_book(path)
            names = book.sheet_names
            if UNITS_SHEET not in names:
                raise LuoshanError(f"单位名册“{path.name}”中没有“{UNITS_SHEET}”工作表。"
                                   "请用 luoshan-xl roster --output 导出的名册修改后再使用。")
            units = book.grid(UNITS_SHEET).rows_from_a1()
            accounts = book.grid(ACCOUNTS_SHEET).rows_from_a1() if ACCOUNTS_SHEET in names else []
        except RejectedFile as exc:
            if exc.code == "locked":
                from luoshan_xl.xlsxwrite import locked_message

                raise LuoshanError(locked_message(path, "单位名册", "读取")) from exc
            raise LuoshanError(f"单位名册“{path.name}”无法读取：它不是 Excel 工作簿，或文件已损坏。"
                               "请用 WPS 或 Excel 打开后另存为 .xlsx，或用 luoshan-xl roster --output 重新导出名册"
                               "后修改，也可以用 .csv 名册。") from exc
        return cls.from_rows(units, accounts, source=path.name)

    @classmethod
    def from_rows(cls, unit_rows: list[list], account_rows: list[list], source: str) -> Roster:
        problems: list[str] = []
        # (Excel row number, cells): blank rows are skipped but keep the numbering of the rows after them.
        numbered = [(i, r) for i, r in enumerate(unit_rows, start=1) if any(_cell(c) for c in r)]
        if not numbered:
            raise LuoshanError(f"单位名册“{source}”的“{UNITS_SHEET}”工作表是空的。")
        header_row, header_cells = numbered[0]
        header = [_cell(c) for c in header_cells]
        col = {}
        for name in UNIT_COLUMNS:
            if name not in header:
                problems.append(f"第{header_row}行缺少列“{name}”")
            else:
                col[name] = header.index(name)
        if problems:
            raise LuoshanError(_roster_error(source, problems, "表头应为：" + "、".join(UNIT_COLUMNS)))
        units: list[Unit] = []
        seen: dict[str, int] = {}
        for excel_row, row in numbered[1:]:
            def get(name: str, row: list = row) -> str:
                i = col[name]
                return _cell(row[i]) if i < len(row) else ""

            name = get("单位名称")
            where = f"第{excel_row}行"
            if not name:
                problems.append(f"{where}：单位名称为空")
                continue
            category = get("类别")
            if category not in CATEGORIES:
                problems.append(f"{where}（{name}）：类别“{category}”无效，应为“乡镇街道”或“县直单位”")
            numbers = {}
            for key in ("序号", "附件1序号", "附件2序号"):
                raw = get(key)
                if raw == "":
                    numbers[key] = None
                    continue
                try:
                    value = float(unicodedata.normalize("NFKC", raw))
                    if value != int(value) or value < 1:
                        raise ValueError
                    numbers[key] = int(value)
                except ValueError:
                    problems.append(f"{where}（{name}）：{key}“{raw}”不是正整数")
                    numbers[key] = None
            aliases = tuple(a.strip() for a in _ALIAS_SPLIT.split(get("别名")) if a.strip())
            for key in (name, *aliases):
                k = fold(key)
                if k in seen and seen[k] != excel_row:
                    problems.append(f"{where}（{name}）：名称或别名“{key}”与第{seen[k]}行重复")
                else:
                    seen[k] = excel_row
            units.append(
                Unit(
                    name=name,
                    category=category,
                    order=numbers["序号"] if numbers["序号"] is not None else excel_row,
                    disclosure_order=numbers["附件1序号"],
                    portal_order=numbers["附件2序号"],
                    aliases=aliases,
                )
            )
        registered: list[RegisteredAccount] = []
        accounts = [(i, r) for i, r in enumerate(account_rows, start=1) if any(_cell(c) for c in r)]
        if accounts:
            header_row, header_cells = accounts[0]
            header = [_cell(c) for c in header_cells]
            missing = [c for c in ACCOUNT_COLUMNS if c not in header]
            if missing:
                problems.append(f"“{ACCOUNTS_SHEET}”工作表第{header_row}行缺少列：" + "、".join(missing))
            else:
                idx = [header.index(c) for c in ACCOUNT_COLUMNS]
                for excel_row, row in accounts[1:]:
                    vals = [_cell(row[i]) if i < len(row) else "" for i in idx]
                    if not vals[0]:
                        problems.append(f"“{ACCOUNTS_SHEET}”第{excel_row}行：账号名称为空")
                        continue
                    registered.append(RegisteredAccount(*vals))
        if problems:
            raise LuoshanError(_roster_error(source, problems))
        units.sort(key=lambda u: u.order)
        return cls(units=units, registered=registered, source=source)

    # -- export ------------------------------------------------------------

    def write_xlsx(self, path: Path) -> None:
        from luoshan_xl.xlsxwrite import atomic_workbook

        with atomic_workbook(path) as wb:
            wb.set_properties({"title": "单位名册", "author": "luoshan-xl", "created": dt.datetime(2019, 1, 1)})
            head = wb.add_format({"bold": True, "bg_color": "#D9D9D9", "pattern": 1, "border": 1, "font_name": "宋体"})
            body = wb.add_format({"border": 1, "font_name": "宋体"})
            ws = wb.add_worksheet(UNITS_SHEET)
            for c, name in enumerate(UNIT_COLUMNS):
                ws.write_string(0, c, name, head)
            for r, u in enumerate(self.units, start=1):
                ws.write_number(r, 0, u.order, body)
                ws.write_string(r, 1, u.name, body)
                ws.write_string(r, 2, u.category, body)
                for c, v in ((3, u.disclosure_order), (4, u.portal_order)):
                    if v is None:
                        ws.write_blank(r, c, None, body)
                    else:
                        ws.write_number(r, c, v, body)
                ws.write_string(r, 5, "、".join(u.aliases), body)
            ws.set_column(0, 0, 6)
            ws.set_column(1, 1, 24)
            ws.set_column(2, 4, 11)
            ws.set_column(5, 5, 44)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, len(self.units), len(UNIT_COLUMNS) - 1)
            ws.data_validation(1, 2, max(len(self.units), 1) + 200, 2,
                               {"validate": "list", "source": list(CATEGORIES)})
            ws2 = wb.add_worksheet(ACCOUNTS_SHEET)
            for c, name in enumerate(ACCOUNT_COLUMNS):
                ws2.write_string(0, c, name, head)
            for r, a in enumerate(self.registered, start=1):
                for c, v in enumerate((a.name, a.platform, a.host)):
                    ws2.write_string(r, c, v, body)
            ws2.set_column(0, 0, 30)
            ws2.set_column(1, 2, 20)
            ws3 = wb.add_worksheet("说明")
            ws3.set_column(0, 0, 100)
            for r, line in enumerate(ROSTER_HELP):
                ws3.write_string(r, 0, line)


ROSTER_HELP = (
    "单位名册说明",
    "“单位名册”工作表每行一个单位：",
    "  序号：单位的一般排列顺序（未报送名单等按此顺序列出）。",
    "  单位名称：规范名称，报表中按此名称显示。",
    "  类别：乡镇街道 或 县直单位，决定单位列入（一）还是（二）表。",
    "  附件1序号：参加政府信息公开发布排名（附件1）的单位填写其顺序，并列时按此顺序排列；不参加的留空。",
    "  附件2序号：参加门户网站信息采用排名（附件2）的单位填写其顺序；无数据的单位也按此顺序列在表末；不参加的留空。",
    "  别名：单位的其他写法，用顿号“、”分隔。匹配时会自动忽略全角/半角、空格和“罗山县”“县”前缀。",
    "“已报备新媒体”工作表：已向县政府办报备的政务新媒体账号。此表不为空时，未列入的账号在附件3中标注“未报备”。",
    "修改后保存，使用时加参数：--roster 单位名册.xlsx",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _roster_error(source: str, problems: list[str], hint: str = "") -> str:
    lines = [f"单位名册“{source}”有错误，请修改后重试："] + [f"  - {p}" for p in problems]
    if hint:
        lines.append(hint)
    return "\n".join(lines)
