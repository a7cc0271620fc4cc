"""Writing exports as CSV and XLSX that a spreadsheet opens as data: text that looks like a
formula is prefixed with an apostrophe (OWASP's CSV-injection advice), numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from app.core.clock import CHINA_TZ

Cell = str | int | float | Decimal | date | None

# A leading =, +, -, @ makes a spreadsheet read a formula (tab, CR, LF and NUL too, per OWASP
# and ASVS 1.2.10); leading spaces do not protect everywhere, so they are looked past.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# Characters a spreadsheet shows two columns wide (CJK and beyond).
_WIDE = re.compile("[\u2e81-\U0010ffff]")
_MAX_COLUMN_WIDTH = 60


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def escape_formula(text: str) -> str:
    """`text` made inert for a spreadsheet: "'=cmd|…" for "=cmd|…"; other text unchanged."""
    if text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def _wall_time(moment: datetime) -> datetime:
    """A spreadsheet has no time zones: an aware timestamp is written in China Standard Time."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None)


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return _wall_time(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # int, float, Decimal: a number, never escaped ("-5" stays -5)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Chinese right), CRLF line ends, and
    formula-looking text escaped, in the header too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_formula(name) for name in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _width(value: Cell) -> int:
    text = "" if value is None else str(value)
    return len(text) + len(_WIDE.findall(text))


def write_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet_name: str = "Sheet1"
) -> bytes:
    """One sheet: a bold, frozen header row, columns sized to their text, strings written as
    strings (never as formulas or links) after escaping, dates formatted yyyy-mm-dd and
    timestamps in China Standard Time."""
    buffer = io.BytesIO()
    import xlsxwriter  # type: ignore[import-untyped]  # on first use: few processes write one

    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = [_width(name) for name in header]
    for index, name in enumerate(header):
        sheet.write_string(0, index, escape_formula(name), bold)
    number = 0
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], _width(value))
            else:
                widths.append(_width(value))
            if value is None:
                continue
            if isinstance(value, str):
                if value:
                    sheet.write_string(number, index, escape_formula(value))
            elif isinstance(value, bool):
                sheet.write_boolean(number, index, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(number, index, _wall_time(value), moment)
            elif isinstance(value, date):
                sheet.write_datetime(number, index, value, day)
            else:
                sheet.write_number(number, index, value)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, min(width + 2, _MAX_COLUMN_WIDTH))
    if number:
        sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
