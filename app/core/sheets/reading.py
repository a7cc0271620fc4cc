"""Reading an uploaded table (CSV or XLSX) into rows keyed by column name, bounded, with
every cell read as text and nothing in it evaluated."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from app.core.sheets import errors
from app.core.sheets.formats import SheetFormat, decode_text, detect_format

DEFAULT_MAX_ROWS = 5000
# Headers of the lists organisations upload, as Chinese templates name them. Callers with
# other columns pass their own; a canonical name always matches itself.
DEFAULT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "sku_code": ("商品编码", "SKU编码", "SKU", "规格编码", "商品编号"),
    "quantity": ("数量", "购买数量", "订购数量", "件数"),
    "delivery_date": ("配送日期", "送货日期", "交货日期", "到货日期"),
    "name": ("姓名", "收件人", "收货人", "收件人姓名"),
    "phone": ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码"),
    "county_code": ("区县代码", "区县编码", "县代码", "行政区划代码"),
    "detail": ("详细地址", "地址", "收货地址"),
    "fulfillment_id": ("包裹编号", "包裹号"),
    "carrier": ("快递公司", "物流公司", "承运商"),
    "tracking_number": ("快递单号", "运单号", "物流单号"),
}
# A title line ("2026年中秋慰问品发放名单") often sits above the header in office templates;
# the header is looked for among the first non-blank rows, no further down than the last line.
HEADER_SEARCH_ROWS = 10
HEADER_SEARCH_LAST_LINE = 1000
# Columns read while looking for the header of an XLSX sheet; data rows stop at the last
# column the header names, whatever width the sheet claims.
MAX_HEADER_COLUMNS = 256
# The most rows a spreadsheet holds: blank lines past it are not a list, but a way to burn time.
SPREADSHEET_MAX_ROW = 1_048_576
_CSV_DELIMITERS = (",", "\t", ";")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True, slots=True)
class Row:
    """One non-blank data row: its spreadsheet row number (1-based, as Excel shows it) and
    its cells by canonical column name, stripped text ("" for empty or absent cells)."""

    number: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default)


@dataclass(frozen=True, slots=True)
class Table:
    format: SheetFormat
    header_row: int
    columns: tuple[str, ...]  # canonical names found in the header, in the file's order
    rows: tuple[Row, ...]
    ignored_columns: tuple[str, ...] = ()  # header cells matching no column


def normalize_header(text: str) -> str:
    """Header text as compared: NFKC (full-width folded), case-folded, invisible characters
    and required-marks (*) dropped, spaces, hyphens and underscores as one underscore."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _SEPARATORS.sub("_", folded.strip(" *\t\r\n")).strip("_")


@dataclass(frozen=True, slots=True)
class _Columns:
    """Which canonical column each header name means, built from the caller's column lists."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    names: Mapping[str, str]  # normalised header text -> canonical name
    spellings: Mapping[str, tuple[str, ...]]  # canonical name -> headers naming it

    @classmethod
    def build(
        cls,
        required: Sequence[str],
        optional: Sequence[str],
        aliases: Mapping[str, Iterable[str]],
    ) -> _Columns:
        names: dict[str, str] = {}
        spellings: dict[str, tuple[str, ...]] = {}
        for column in (*required, *optional):
            spellings[column] = (column, *aliases.get(column, ()))
            for spelling in spellings[column]:
                key = normalize_header(spelling)
                if names.setdefault(key, column) != column:
                    raise ValueError(f"header {spelling!r} would name two columns")
        return cls(tuple(required), tuple(optional), names, spellings)


@dataclass(frozen=True, slots=True)
class _Header:
    number: int
    positions: Mapping[str, int]  # canonical name -> 0-based column index
    ignored: tuple[str, ...]


def read_table(
    data: bytes,
    filename: str | None,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
    aliases: Mapping[str, Iterable[str]] | None = None,
    field: str = "file",
) -> Table:
    """The rows of an uploaded CSV or XLSX list (format told by content, the first sheet of a
    workbook), or a SheetError on `field` saying why not.

    The header is the first of the first ten non-blank rows naming every required column
    (case, width and spacing ignored; `aliases` default to DEFAULT_ALIASES). Rows blank in
    every named column are skipped; a formula is read as its text ("=1+1"), never evaluated
    and never replaced by a cached value. More than `max_rows` rows is an error.

    Synchronous and CPU-bound (a few hundred ms for 5,000 XLSX rows): an async route calls it
    through starlette's run_in_threadpool so as not to stall the event loop."""
    columns = _Columns.build(required, optional, DEFAULT_ALIASES if aliases is None else aliases)
    try:
        kind = detect_format(data, filename)
        if kind is SheetFormat.XLSX:
            return _read_xlsx(data, columns, max_rows)
        return _read_csv(decode_text(data), columns, max_rows)
    except errors.SheetError as exc:
        exc.for_field(field)
        raise


def _find_header(rows: Iterator[tuple[int, list[str]]], columns: _Columns) -> _Header:
    """Consume rows up to the header; the missing-columns error names what the best candidate
    (the non-blank row naming most columns) lacks."""
    best: tuple[int, list[str]] | None = None
    best_found = -1
    seen = 0
    for number, cells in rows:
        if number > HEADER_SEARCH_LAST_LINE:
            if best is None:
                raise errors.UnreadableFile(
                    f"it has no header row in its first {HEADER_SEARCH_LAST_LINE:,} lines"
                )
            break
        if not any(cells):
            continue
        found = {columns.names[key] for key in map(normalize_header, cells) if key in columns.names}
        if all(column in found for column in columns.required):
            return _header(number, cells, columns)
        if len(found) > best_found:
            best, best_found = (number, cells), len(found)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise errors.EmptyFile()
    found_names = _header(*best, columns).positions
    missing = [column for column in columns.required if column not in found_names]
    raise errors.MissingColumns(missing, [columns.spellings[column] for column in missing])


def _header(number: int, cells: list[str], columns: _Columns) -> _Header:
    positions: dict[str, int] = {}
    duplicated: list[str] = []
    ignored: list[str] = []
    for index, text in enumerate(cells):
        column = columns.names.get(normalize_header(text))
        if column is None:
            if text:
                ignored.append(text)
        elif column in positions:
            duplicated.append(column)
        else:
            positions[column] = index
    if duplicated:
        raise errors.DuplicateColumns(list(dict.fromkeys(duplicated)))
    return _Header(number, positions, tuple(ignored))


def _collect(
    kind: SheetFormat,
    header: _Header,
    rows: Iterable[tuple[int, Sequence[str]]],
    columns: _Columns,
    max_rows: int,
) -> Table:
    """The data rows under the header, stopping at the first row over the limit."""
    positions = header.positions
    absent = {column: "" for column in columns.optional if column not in positions}
    collected: list[Row] = []
    for number, cells in rows:
        if number > SPREADSHEET_MAX_ROW:
            raise errors.UnreadableFile(f"it has lines past row {SPREADSHEET_MAX_ROW:,}")
        width = len(cells)
        values = {
            column: cells[index] if index < width else "" for column, index in positions.items()
        }
        if not any(values.values()):
            continue
        if len(collected) == max_rows:
            raise errors.TooManyRows(max_rows)
        values.update(absent)
        collected.append(Row(number, values))
    if not collected:
        raise errors.EmptyFile(header_only=True)
    found = tuple(sorted(positions, key=positions.__getitem__))
    return Table(kind, header.number, found, tuple(collected), header.ignored)


def _read_csv(text: str, columns: _Columns, max_rows: int) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text))
    # Row numbers count records, as a spreadsheet opening the file numbers them.
    rows = (
        (number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, start=1)
    )
    try:
        header = _find_header(rows, columns)
        return _collect(SheetFormat.CSV, header, rows, columns, max_rows)
    except csv.Error as exc:
        raise errors.UnreadableFile(f"malformed CSV near line {reader.line_num} ({exc})") from exc


def _csv_delimiter(text: str) -> str:
    """The separator that splits the first non-blank record into the most fields (Excel
    writes commas, or semicolons in some locales; "Unicode text" exports use tabs).
    csv.Sniffer guesses from character frequencies and is easily misled by Chinese text."""

    def fields(delimiter: str) -> int:
        reader = csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)
        try:
            first = next((cells for cells in reader if any(c.strip() for c in cells)), [])
        except csv.Error:
            return 0
        return len(first)

    return max(_CSV_DELIMITERS, key=fields)  # max keeps the first (the comma) on a tie


def _read_xlsx(data: bytes, columns: _Columns, max_rows: int) -> Table:
    try:
        # read_only streams the sheet; data_only=False gives formulas as text, not the values
        # Excel cached; external links and VBA are neither loaded nor kept.
        from openpyxl import load_workbook  # type: ignore[import-untyped]  # only for XLSX

        workbook = load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False
        )
    except errors.SheetError:
        raise
    except Exception as exc:  # openpyxl fails with KeyError, ValueError, ParseError, …
        raise errors.UnreadableFile("it is not a valid Excel workbook") from exc
    try:
        if not workbook.worksheets:
            raise errors.EmptyFile()
        sheet = workbook.worksheets[0]
        # The <dimension> a writer declares may be wrong; read what the sheet really holds.
        sheet.reset_dimensions()
        header = _find_header(_xlsx_rows(sheet, 1, MAX_HEADER_COLUMNS), columns)
        last_column = max(header.positions.values()) + 1
        rows = _xlsx_rows(sheet, header.number + 1, last_column)
        return _collect(SheetFormat.XLSX, header, rows, columns, max_rows)
    except errors.SheetError:
        raise
    except Exception as exc:
        raise errors.UnreadableFile("its worksheet is damaged") from exc
    finally:
        workbook.close()


def _xlsx_rows(sheet: Any, first_row: int, last_column: int) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows from `first_row` on, cells up to `last_column` as text."""
    cells: tuple[object, ...]
    for number, cells in enumerate(
        sheet.iter_rows(min_row=first_row, max_col=last_column, values_only=True),
        start=first_row,
    ):
        # Cheap test first: a sheet can declare a row near 1,048,576 and be padded up to it.
        if cells.count(None) != len(cells):
            yield number, [_cell_text(value) for value in cells]


def _cell_text(value: object) -> str:
    """A cell as text: formulas as written, numbers without a spurious ".0", dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time | timedelta | int | float):
        return str(value)
    # Loaded by now: only an XLSX workbook's cells come here.
    from openpyxl.worksheet.formula import (  # type: ignore[import-untyped]
        ArrayFormula,
        DataTableFormula,
    )

    if isinstance(value, ArrayFormula):
        return str(value.text or "").strip()
    if isinstance(value, DataTableFormula):
        return "=TABLE()"  # a what-if table: no text of its own, and nothing to evaluate
    return str(value).strip()
