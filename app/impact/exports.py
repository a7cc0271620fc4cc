"""The pairing report as CSV and XLSX files: Chinese headers, amounts in yuan and in fen, and a
totals row. Pure functions of a report; no database access."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from app.core.money import FEN_PER_YUAN
from app.core.sheets.writing import write_csv, write_xlsx
from app.impact.schemas import KeyAssistanceReport, PairingImpact, PairingReport

KIND_NAMES = {
    "east_west": "东西部协作",
    "counterpart_support": "对口支援",
    "designated": "定点帮扶",
}
HEADERS = (
    "帮扶关系编号",
    "帮扶类型",
    "帮扶方",
    "受帮扶省份",
    "受帮扶地区",
    "帮扶金额（元）",
    "帮扶金额（分）",
    "订单数",
    "受益县数",
)
TOTAL_LABEL = "合计"
# Text cells that a spreadsheet would run as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal

# Characters a spreadsheet shows two columns wide (CJK and beyond).
_WIDE = re.compile("[\u2e81-\U0010ffff]")


def _yuan(amount_fen: int) -> Decimal:
    return Decimal(amount_fen) / FEN_PER_YUAN


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _areas(item: PairingImpact) -> str:
    areas = item.pairing.areas
    return "、".join(area.name for area in areas) if areas else "全省"


def rows(report: PairingReport) -> list[list[Cell]]:
    """The header, one row per pairing, and the totals row (amounts only: an order or a
    county can count for several pairings, so their counts do not add up)."""
    table: list[list[Cell]] = [list(HEADERS)]
    for item in report.items:
        pairing = item.pairing
        table.append(
            [
                pairing.id,
                KIND_NAMES.get(pairing.kind, pairing.kind),
                _text(pairing.helper.name),
                _text(pairing.helped.name),
                _text(_areas(item)),
                _yuan(item.amount_fen),
                item.amount_fen,
                item.order_count,
                item.county_count,
            ]
        )
    total = sum(item.amount_fen for item in report.items)
    table.append([TOTAL_LABEL, "", "", "", "", _yuan(total), total, "", ""])
    return table


def _csv_cell(value: Cell) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def to_csv(report: PairingReport) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(report):
        writer.writerow([_csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _width(values: Iterable[Cell]) -> int:
    # CJK characters take two columns in a spreadsheet (counted by regex: per character in
    # Python it was the export's largest cost).
    return max((len(s) + len(_WIDE.findall(s)) for s in map(str, values)), default=8)


def to_xlsx(report: PairingReport) -> bytes:
    """One sheet: bold header and totals rows, yuan as #,##0.00, the header row frozen.

    XlsxWriter rather than openpyxl: it only writes, and builds this file in about half the
    time, which is most of the export's response time."""
    buffer = io.BytesIO()
    import xlsxwriter  # type: ignore[import-untyped]  # on first use: few processes write one

    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(f"{report.year}年帮扶关系")
    bold = workbook.add_format({"bold": True})
    yuan = workbook.add_format({"num_format": "#,##0.00"})
    bold_yuan = workbook.add_format({"bold": True, "num_format": "#,##0.00"})
    table = rows(report)
    for index, column in enumerate(zip(*table, strict=True)):
        sheet.set_column(index, index, min(_width(column) + 2, 60))
    sheet.freeze_panes(1, 0)
    last = len(table) - 1
    for number, row in enumerate(table):
        emphasised = number in (0, last)
        for index, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(number, index, value, bold_yuan if emphasised else yuan)
            elif isinstance(value, int):
                sheet.write_number(number, index, value, bold if emphasised else None)
            elif value:
                sheet.write_string(number, index, value, bold if emphasised else None)
    workbook.close()
    return buffer.getvalue()


CENT = Decimal("0.01")
KEY_ASSISTANCE_HEADERS = (
    "县代码",
    "县",
    "省份",
    "帮扶金额（元）",
    "帮扶金额（分）",
    "订单数",
    "本年度有无采购",
)


def key_assistance_rows(report: KeyAssistanceReport) -> list[list[Cell]]:
    """One row per key-assistance county (the ones without a purchase say 无), then the
    totals (an order from two counties counts in each county's row, once in the total)."""
    table: list[list[Cell]] = [
        [
            item.code,
            item.name,
            item.province_name,
            _yuan(item.amount_fen).quantize(CENT),
            item.amount_fen,
            item.order_count,
            "有" if item.order_count else "无",
        ]
        for item in report.items
    ]
    table.append(
        [
            TOTAL_LABEL,
            "",
            "",
            _yuan(report.amount_fen).quantize(CENT),
            report.amount_fen,
            report.order_count,
            "",
        ]
    )
    return table


def key_assistance_csv(report: KeyAssistanceReport) -> bytes:
    return write_csv(KEY_ASSISTANCE_HEADERS, key_assistance_rows(report))


def key_assistance_xlsx(report: KeyAssistanceReport) -> bytes:
    return write_xlsx(
        KEY_ASSISTANCE_HEADERS,
        key_assistance_rows(report),
        sheet_name=f"{report.year}年重点帮扶县",
    )
