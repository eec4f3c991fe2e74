"""The standardized submission form, declared once.

`FORM` drives the template writer (`template.py`), the reader and the
validator (`submission.py`), so the three cannot drift apart.  Every input is a
workbook-scoped defined name: `unit_name`, `period`, `disclosure_count`,
`portal_adopted` (single cells) and `new_media` (the account table's data rows,
exactly its 5 columns in declaration order).
"""

from __future__ import annotations

from dataclasses import dataclass

FORM_VERSION = "luoshan-xl-form-1"

PLATFORMS = ("微信公众号", "微博", "抖音", "今日头条", "快手", "视频号", "其他")

# Kinds of value; the reader parses and validates each kind (values.py).
UNIT = "unit"
PERIOD = "period"
COUNT = "count"
TEXT = "text"
PLATFORM = "platform"
DATE = "date"


@dataclass(frozen=True)
class Field:
    key: str  # defined name (single fields) or column key (table)
    label: str
    kind: str
    help: str
    width: float = 16
    required: bool = False
    # Other label texts a re-typed form may use; the reader's fallback matches these.
    label_aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.label_aliases)


@dataclass(frozen=True)
class TableSpec:
    key: str
    caption: str
    columns: tuple[Field, ...]
    rows: int


@dataclass(frozen=True)
class FormSpec:
    version: str
    title: str
    sheet: str
    help_sheet: str
    meta_sheet: str
    fields: tuple[Field, ...]
    table: TableSpec
    first_field_row: int = 3  # 0-based row of the first single field
    label_col: int = 0
    value_col: int = 1
    value_last_col: int = 4  # single-field input cells are merged across B:E

    # -- layout, derived from the declaration --------------------------------

    def field_row(self, key: str) -> int:
        for i, f in enumerate(self.fields):
            if f.key == key:
                return self.first_field_row + i
        raise KeyError(key)

    @property
    def table_caption_row(self) -> int:
        return self.first_field_row + len(self.fields) + 1

    @property
    def table_header_row(self) -> int:
        return self.table_caption_row + 1

    @property
    def table_first_row(self) -> int:
        return self.table_header_row + 1

    @property
    def table_last_row(self) -> int:
        return self.table_first_row + self.table.rows - 1

    def field(self, key: str) -> Field:
        for f in (*self.fields, *self.table.columns):
            if f.key == key:
                return f
        raise KeyError(key)

    def defined_names(self) -> dict[str, str]:
        """Defined name → absolute reference, as written into the template."""
        from luoshan_xl.cells import a1, quote_sheet

        sheet = quote_sheet(self.sheet)
        names = {f.key: f"{sheet}!{a1(self.field_row(f.key), self.value_col, absolute=True)}" for f in self.fields}
        first = a1(self.table_first_row, 0, absolute=True)
        last = a1(self.table_last_row, len(self.table.columns) - 1, absolute=True)
        names[self.table.key] = f"{sheet}!{first}:{last}"
        return names


FORM = FormSpec(
    version=FORM_VERSION,
    title="政府信息公开、门户网站信息采用及政务新媒体月度报送表",
    sheet="填报表",
    help_sheet="填报说明",
    meta_sheet="_表单信息",
    fields=(
        Field("unit_name", "单位名称", UNIT, "从下拉列表选择本单位的规范名称。", required=True,
              label_aliases=("报送单位", "填报单位")),
        Field("period", "报送期间", PERIOD, "报送的年月，格式 YYYY-MM，例如 2019-08。", required=True,
              label_aliases=("报送月份", "期间", "月份")),
        Field("disclosure_count", "本月政府信息公开发布数量（条）", COUNT,
              "本月在政府信息公开平台发布的信息条数，填整数；没有发布填 0，不参加此项的单位留空。",
              label_aliases=("本月政府信息公开发布数量", "政府信息公开发布数量", "信息公开发布数量")),
        Field("portal_adopted", "本月门户网站信息采用数量（条）", COUNT,
              "本月被县政府门户网站采用的信息条数，填整数；没有采用填 0，不参加此项的单位留空。",
              label_aliases=("本月门户网站信息采用数量", "门户网站信息采用数量", "门户网站采用数量")),
    ),
    table=TableSpec(
        key="new_media",
        caption="本单位政务新媒体账号（没有账号的单位不填，每个账号填一行）",
        columns=(
            Field("account", "账号名称", TEXT, "政务新媒体账号的名称，如“罗山文化旅游”。", width=30,
                  label_aliases=("名称", "新媒体名称")),
            Field("platform", "平台类型", PLATFORM, "从下拉列表选择：" + "、".join(PLATFORMS) + "。", width=14),
            Field("host", "主办单位", UNIT, "账号的主办单位，默认为本单位，可留空。", width=22),
            Field("last_update", "最后更新日期", DATE, "本月最后一次更新的日期，如 2019-08-26。", width=16,
                  label_aliases=("更新日期",)),
            Field("updates", "本月更新条数", COUNT, "本月共更新的信息条数，填整数。", width=16,
                  label_aliases=("更新条数", "更新频率", "更新频率（条/月）", "本月更新条数（条）")),
        ),
        rows=20,
    ),
)
