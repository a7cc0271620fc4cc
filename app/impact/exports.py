"""The pairing report as CSV and XLSX files: Chinese headers, amounts in yuan and in fen, and a
totals row. Pure functions of a report; no database access."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from app.core.money import FEN_PER_YUAN
from app.impact.schemas import PairingImpact, PairingReport

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

# The parts of a one-sheet workbook (Office Open XML, SpreadsheetML) besides the sheet.
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SPREADSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    f'ContentType="{_SPREADSHEET_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_SPREADSHEET_TYPE}.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    f'ContentType="{_SPREADSHEET_TYPE}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PACKAGE_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PACKAGE_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell styles (cellXfs indexes): 0 plain, 1 bold, 2 yuan, 3 bold yuan.
_STYLE_BOLD, _STYLE_YUAN, _STYLE_BOLD_YUAN = 1, 2, 3
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)  # fmt: skip
_WIDE = re.compile("[\u2e81-\U0010ffff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def _column(index: int) -> str:
    """The spreadsheet column name of a 0-based index: A … Z, AA …"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _xml_text(value: str) -> str:
    # Control characters other than tab and newlines are not allowed in XML 1.0.
    return escape(_XML_ILLEGAL.sub("", value))


def _sheet_cell(ref: str, value: Cell, bold: bool) -> str:
    if value == "":
        return ""
    if isinstance(value, Decimal):
        return f'<c r="{ref}" s="{_STYLE_BOLD_YUAN if bold else _STYLE_YUAN}"><v>{value}</v></c>'
    style = f' s="{_STYLE_BOLD}"' if bold else ""
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{_xml_text(value)}</t></is></c>'


def to_xlsx(report: PairingReport) -> bytes:
    """A workbook written as its XML parts directly: the header and totals rows bold, the
    header frozen, yuan as "#,##0.00". openpyxl without lxml took 250–550 ms for a few hundred
    pairings, the largest part of the export's time; this takes a few milliseconds."""
    table = rows(report)
    widths = [min(_width(column) + 2, 60) for column in zip(*table, strict=True)]
    letters = [_column(index) for index in range(len(widths))]
    last = len(table) - 1
    sheet_rows = []
    for number, row in enumerate(table):
        bold = number in (0, last)
        cells = "".join(
            _sheet_cell(f"{letter}{number + 1}", value, bold)
            for letter, value in zip(letters, row, strict=True)
        )
        sheet_rows.append(f'<row r="{number + 1}">{cells}</row>')
    columns = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(widths)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        f"<cols>{columns}</cols>"
        f"<sheetData>{''.join(sheet_rows)}</sheetData>"
        "</worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<sheets><sheet name="{_xml_text(f"{report.year}年帮扶关系")}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()
