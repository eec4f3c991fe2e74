PY ?= python

.PHONY: check lint test templates example

check: lint test

lint:
	$(PY) -m ruff check .

test:
	$(PY) -m pytest

templates:
	luoshan-xl template --output workbook_templates
	luoshan-xl roster --output workbook_templates/单位名册.xlsx

example:
	luoshan-xl merge examples/luoshan-2019-08 --master out/总表.xlsx
	luoshan-xl rank --master out/总表.xlsx --period 2019-08 --output out/通报附件.xlsx
