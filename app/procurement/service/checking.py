"""Checking a bulk order's list row by row: what was typed (SKU code, a whole quantity, a
delivery date), rows naming one SKU merged, then the catalog now (SKU on sale, minimum
quantity, stock, tier prices), with every referenced SKU loaded in a few IN queries."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.cart.pricing import MAX_LINE_QUANTITY, LineProblem, is_quantity, price_line
from app.catalog.service import SKU_CODE, normalize_sku_code
from app.core.sheets import Row
from app.order.schemas import MAX_LINES
from app.procurement import repository

# The columns of an uploaded list (their Chinese headers are app.core.sheets' aliases).
COLUMNS = ("sku_code", "quantity")
OPTIONAL_COLUMNS = ("delivery_date",)
# One approved list becomes one order, and an order holds at most this many lines.
MAX_ORDER_LINES = MAX_LINES
# How far ahead a delivery date may be.
DELIVERY_HORIZON = timedelta(days=366)
# What a line keeps of text that was typed (the columns' lengths).
SKU_CODE_KEPT = 60
QUANTITY_TEXT_KEPT = 20
TITLE_KEPT = 230
ROWS_NAMED = 10

# A whole number as spreadsheets write one (after NFKC folded full-width digits): digits,
# optionally grouped by thousands, or with a zero fraction ("12.0", as some exports write).
_QUANTITY = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.0+)?")
# 2026-09-01, 2026/9/1, 2026.9.1, 2026年9月1日, 20260901, with a midnight time or none.
_DATE = re.compile(
    r"(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*日?"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
    r"|(?P<y8>[0-9]{4})(?P<m8>[0-9]{2})(?P<d8>[0-9]{2})"
)


class LineError(enum.StrEnum):
    MISSING_SKU_CODE = "missing_sku_code"
    UNKNOWN_SKU = "unknown_sku"
    SKU_UNAVAILABLE = "sku_unavailable"
    INVALID_QUANTITY = "invalid_quantity"
    BELOW_MIN_QTY = "below_min_qty"
    INSUFFICIENT_STOCK = "insufficient_stock"
    INVALID_DELIVERY_DATE = "invalid_delivery_date"
    CONFLICTING_DELIVERY_DATES = "conflicting_delivery_dates"


# Errors in what was typed: checking the catalog again cannot lift them, uploading again can.
_TYPED_ERRORS = frozenset(
    {LineError.MISSING_SKU_CODE, LineError.INVALID_QUANTITY, LineError.CONFLICTING_DELIVERY_DATES}
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One row as typed."""

    row: int
    sku_code: str
    quantity: str
    delivery_date: str = ""

    @classmethod
    def of(cls, row: Row) -> Entry:
        return cls(row.number, row["sku_code"], row["quantity"], row.get("delivery_date"))


@dataclass(slots=True)
class CheckedLine:
    """A line of the report; `error` is the first reason it cannot be ordered, if any."""

    row: int
    sku_code: str
    quantity: int | None = None
    quantity_text: str | None = None
    delivery_date: date | None = None
    merged_rows: list[int] = field(default_factory=list)
    sku_id: int | None = None
    title: str | None = None
    unit_price_fen: int | None = None
    line_total_fen: int | None = None
    error_code: LineError | None = None
    error: str | None = None
    error_limit: int | None = None

    def fail(self, code: LineError, message: str, *, limit: int | None = None) -> None:
        if self.error_code is None:
            self.error_code, self.error, self.error_limit = code, message[:300], limit

    @property
    def rechecked(self) -> bool:
        """Whether a check of the catalog applies (what was typed is readable)."""
        if self.quantity is None or self.error_code in _TYPED_ERRORS:
            return False
        # A date that could not be read stays an error; one out of range is checked again.
        return not (
            self.error_code is LineError.INVALID_DELIVERY_DATE and self.delivery_date is None
        )

    def columns(self) -> dict[str, Any]:
        """Column values of a BulkOrderLine (without its bulk order)."""
        return {
            "row": self.row,
            "sku_code": self.sku_code,
            "sku_id": self.sku_id,
            "title": self.title,
            "quantity": self.quantity,
            "quantity_text": self.quantity_text,
            "delivery_date": self.delivery_date,
            "unit_price_fen": self.unit_price_fen,
            "line_total_fen": self.line_total_fen,
            "merged_rows": list(self.merged_rows),
            "error_code": self.error_code.value if self.error_code else None,
            "error": self.error,
            "error_limit": self.error_limit,
        }


@dataclass(frozen=True, slots=True)
class CheckedList:
    lines: list[CheckedLine]
    problem: str | None

    @property
    def error_count(self) -> int:
        return sum(1 for line in self.lines if line.error_code is not None)

    @property
    def valid(self) -> bool:
        return self.problem is None and bool(self.lines) and self.error_count == 0

    @property
    def goods_fen(self) -> int:
        """Goods of the lines that can be ordered."""
        return sum(line.line_total_fen or 0 for line in self.lines if line.error_code is None)


def rows_text(rows: Sequence[int]) -> str:
    """ "3, 7 and 12", or the first ten and how many more."""
    shown = [str(row) for row in rows[:ROWS_NAMED]]
    if len(rows) > ROWS_NAMED:
        return f"{', '.join(shown)} and {len(rows) - ROWS_NAMED} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


# ---------------------------------------------------------------------------------------------
# What was typed


def _printable(text: str) -> str:
    """The text without control characters or lone surrogates (a cell may hold line breaks;
    PostgreSQL refuses NUL and surrogates outright): what a line keeps of a cell."""
    return "".join(char for char in text if unicodedata.category(char) not in {"Cc", "Cs"})


def _fold(text: str) -> str:
    return _printable(unicodedata.normalize("NFKC", text)).strip()


def parse_quantity(text: str) -> int | None:
    """A whole number of units from 1 to MAX_LINE_QUANTITY, or None."""
    folded = _fold(text)
    if len(folded) > QUANTITY_TEXT_KEPT or not _QUANTITY.fullmatch(folded):
        return None
    value = int(folded.replace(",", "").split(".")[0])
    return value if is_quantity(value) else None


def parse_date(text: str) -> date | None:
    """A calendar date as offices type one, or None."""
    match = _DATE.fullmatch(_fold(text)) if len(text) <= 40 else None
    if match is None:
        return None
    if match["y"]:
        year, month, day = match["y"], match["m"], match["d"]
    else:
        year, month, day = match["y8"], match["m8"], match["d8"]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _typed(entry: Entry) -> CheckedLine:
    code = normalize_sku_code(_fold(entry.sku_code))
    line = CheckedLine(row=entry.row, sku_code=code[:SKU_CODE_KEPT])
    if not code:
        line.fail(LineError.MISSING_SKU_CODE, "sku_code is empty")
    line.quantity = parse_quantity(entry.quantity)
    if line.quantity is None:
        line.quantity_text = _printable(entry.quantity)[:QUANTITY_TEXT_KEPT]
        line.fail(
            LineError.INVALID_QUANTITY,
            f"quantity {line.quantity_text!r} is not a whole number from 1 to {MAX_LINE_QUANTITY}",
        )
    if entry.delivery_date.strip():
        line.delivery_date = parse_date(entry.delivery_date)
        if line.delivery_date is None:
            line.fail(
                LineError.INVALID_DELIVERY_DATE,
                f"delivery_date {_printable(entry.delivery_date)[:40]!r} is not a date such "
                "as 2026-09-01",
            )
    return line


def _merged(lines: list[CheckedLine]) -> CheckedLine:
    """Rows naming one SKU as one line, numbered after the first."""
    first = lines[0]
    if len(lines) == 1:
        return first
    first.merged_rows = [line.row for line in lines[1:]]
    first.quantity = sum(line.quantity or 0 for line in lines)
    dates = sorted({line.delivery_date for line in lines if line.delivery_date is not None})
    first.delivery_date = dates[0] if dates else None
    if len(dates) > 1:
        first.fail(
            LineError.CONFLICTING_DELIVERY_DATES,
            f"rows {rows_text([line.row for line in lines])} name this SKU with different "
            f"delivery dates ({', '.join(d.isoformat() for d in dates)}); an order line is "
            "delivered once: put them on one row, or in separate lists",
        )
    elif not is_quantity(first.quantity):
        first.fail(
            LineError.INVALID_QUANTITY,
            f"the merged rows add up to {first.quantity}, more than {MAX_LINE_QUANTITY}",
        )
    return first


def read_entries(entries: Iterable[Entry]) -> list[CheckedLine]:
    """Each row's typed values checked; readable rows naming the same SKU merged into the line
    of the first (a row with an unreadable cell stays a line of its own, with its error)."""
    lines: list[CheckedLine] = []
    by_code: dict[str, list[CheckedLine]] = {}
    for entry in entries:
        line = _typed(entry)
        if line.error_code is None:
            group = by_code.setdefault(line.sku_code, [])
            if not group:
                lines.append(line)
            group.append(line)
        else:
            lines.append(line)
    merged = {id(group[0]): _merged(group) for group in by_code.values()}
    return sorted((merged.get(id(line), line) for line in lines), key=lambda line: line.row)


# ---------------------------------------------------------------------------------------------
# The catalog now


async def check_catalog(
    session: AsyncSession, lines: Sequence[CheckedLine], *, today: date
) -> CheckedList:
    """Each readable line checked against the catalog as it is now (errors of an earlier
    check dropped first): SKU known and on sale, the SKU's minimum quantity, the stock left,
    the delivery date in range; priced at the tier its quantity reaches."""
    rechecked = [line for line in lines if line.rechecked]
    for line in rechecked:
        line.error_code = line.error = line.error_limit = None
        line.sku_id = line.title = line.unit_price_fen = line.line_total_fen = None
    skus = await repository.skus_by_code(
        session, {line.sku_code for line in rechecked if SKU_CODE.match(line.sku_code)}
    )
    last_day = today + DELIVERY_HORIZON
    for line in rechecked:
        sku = skus.get(line.sku_code)
        if sku is None or line.quantity is None:  # (a rechecked line has a quantity)
            line.fail(LineError.UNKNOWN_SKU, f"no SKU has the code {line.sku_code!r}")
        else:
            priced = price_line(sku, line.quantity)
            line.sku_id = sku.id
            line.title = f"{priced.title} · {priced.sku_name}"[:TITLE_KEPT]
            line.unit_price_fen = priced.unit_price_fen
            line.line_total_fen = priced.line_total_fen
            if priced.problem is LineProblem.UNAVAILABLE:
                line.fail(
                    LineError.SKU_UNAVAILABLE,
                    "the SKU is not on sale (withdrawn, or its supplier is not verified)",
                )
            elif priced.problem is LineProblem.BELOW_MIN_QTY:
                line.fail(
                    LineError.BELOW_MIN_QTY,
                    f"below the SKU's minimum order quantity of {sku.min_qty}",
                    limit=sku.min_qty,
                )
            elif priced.problem is LineProblem.INSUFFICIENT_STOCK:
                line.fail(
                    LineError.INSUFFICIENT_STOCK,
                    f"only {sku.stock} unit(s) in stock now",
                    limit=sku.stock,
                )
        if line.delivery_date is not None and not today <= line.delivery_date <= last_day:
            when = "in the past" if line.delivery_date < today else "more than a year ahead"
            line.fail(
                LineError.INVALID_DELIVERY_DATE,
                f"delivery_date {line.delivery_date.isoformat()} is {when}",
            )
    problem = None
    if len(lines) > MAX_ORDER_LINES:
        problem = (
            f"the list names {len(lines)} different SKUs and one order holds at most "
            f"{MAX_ORDER_LINES}: split it into several lists"
        )
    return CheckedList(list(lines), problem)


async def check_entries(
    session: AsyncSession, entries: Iterable[Entry], *, today: date
) -> CheckedList:
    """The validation report of a list: what was typed, then the catalog now."""
    return await check_catalog(session, read_entries(entries), today=today)
