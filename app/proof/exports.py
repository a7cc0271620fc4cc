"""The yearly statement as an Excel workbook: a summary sheet and one sheet per breakdown (month,
origin county, month and county, order), Chinese headers, amounts in yuan (#,##0.00) and in fen,
totals rows. A pure function of a statement; no database access.

Written with XlsxWriter, as the impact exports are (it only writes, and quickly); text goes
through app.core.sheets.escape_formula and is written as text, never as a formula or a link.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.core.clock import CHINA_TZ
from app.core.money import FEN_PER_YUAN
from app.core.sheets import escape_formula
from app.proof.schemas import Statement

Cell = str | int | Decimal | datetime | None
TOTAL_LABEL = "合计"
_WIDE = re.compile("[\u2e81-\U0010ffff]")  # characters a spreadsheet shows two columns wide
_MAX_WIDTH = 60


def _yuan(amount_fen: int | None) -> Decimal | None:
    return None if amount_fen is None else Decimal(amount_fen) / FEN_PER_YUAN


def _amount_totals(statement: Statement) -> tuple[Cell, ...]:
    """The totals under the columns bought, refunded and net (in yuan, then in fen)."""
    return (
        _yuan(statement.sold_fen),
        _yuan(statement.refunded_fen),
        _yuan(statement.purchased_fen),
        statement.purchased_fen,
    )


def _width(value: Cell) -> int:
    if isinstance(value, datetime):
        return 16
    text = "" if value is None else str(value)
    return len(text) + len(_WIDE.findall(text))


class _Writer:
    """Sheets with a bold header row (frozen) and a bold totals row, if given."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        import xlsxwriter  # type: ignore[import-untyped]  # on first use: few processes write one

        self.book = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.bold_money = self.book.add_format({"bold": True, "num_format": "#,##0.00"})
        self.moment = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

    def sheet(
        self,
        name: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        total: Sequence[Cell] | None = None,
    ) -> None:
        sheet = self.book.add_worksheet(name)
        table: list[Sequence[Cell]] = [header, *rows, *([total] if total is not None else [])]
        last = len(table) - 1
        widths = [0] * len(header)
        for number, row in enumerate(table):
            emphasised = number == 0 or (total is not None and number == last)
            for index, value in enumerate(row):
                widths[index] = max(widths[index], _width(value))
                self._write(sheet, number, index, value, emphasised)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, min(width + 2, _MAX_WIDTH))
        sheet.freeze_panes(1, 0)

    def _write(self, sheet: Any, row: int, column: int, value: Cell, bold: bool) -> None:
        if value is None or value == "":
            return
        if isinstance(value, str):
            sheet.write_string(row, column, escape_formula(value), self.bold if bold else None)
        elif isinstance(value, Decimal):
            sheet.write_number(row, column, value, self.bold_money if bold else self.money)
        elif isinstance(value, datetime):
            wall = value.astimezone(CHINA_TZ).replace(tzinfo=None)  # no zones in a spreadsheet
            sheet.write_datetime(row, column, wall, self.moment)
        else:
            sheet.write_number(row, column, value, self.bold if bold else None)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def statement_xlsx(statement: Statement) -> bytes:
    """Sheets 概要, 按月, 按产地县, 按月按产地县 and 订单 (net amounts: refunds deducted in the
    month they were made)."""
    s = statement
    org = s.organization
    writer = _Writer()
    writer.sheet(
        "概要",
        ("项目", "内容", "金额（分）"),
        [
            ("采购单位", org.name, None),
            ("统一社会信用代码", org.credit_code, None),
            ("单位类型", org.kind_name, None),
            ("注册地", org.region_name, None),
            ("年度", str(s.year), None),
            ("年度食堂食材采购预算（元）", _yuan(s.canteen_budget_fen), s.canteen_budget_fen),
            ("预留比例", s.reserved_share_percent, None),
            ("预留份额目标（元）", _yuan(s.target_fen), s.target_fen),
            ("采购额（元）", _yuan(s.sold_fen), s.sold_fen),
            ("退款（元）", _yuan(s.refunded_fen), s.refunded_fen),
            ("已采购净额（元）", _yuan(s.purchased_fen), s.purchased_fen),
            ("完成进度", s.progress_percent, None),
            ("订单数", s.order_count, None),
            ("供应商数", s.cooperative_count, None),
            ("带动脱贫户数", s.households_supported, None),
            ("出具时间（北京时间）", s.issued_at, None),
        ],
    )
    writer.sheet(
        "按月",
        ("月份", "帮扶净额（元）", "帮扶净额（分）", "订单数"),
        [(m.month, _yuan(m.amount_fen), m.amount_fen, m.order_count) for m in s.by_month],
        (TOTAL_LABEL, _yuan(s.purchased_fen), s.purchased_fen, s.order_count),
    )
    writer.sheet(
        "按产地县",
        (
            "县代码",
            "产地县",
            "所在省份",
            "采购额（元）",
            "退款（元）",
            "帮扶净额（元）",
            "帮扶净额（分）",
            "订单数",
            "带动户数",
            "供应商",
        ),
        [
            (
                c.code,
                c.name,
                c.province_name,
                _yuan(c.sold_fen),
                _yuan(c.refunded_fen),
                _yuan(c.net_fen),
                c.net_fen,
                c.order_count,
                c.households_supported,
                "、".join(c.cooperative_names),
            )
            for c in s.by_county
        ],
        (TOTAL_LABEL, None, None, *_amount_totals(s), None, s.households_supported, None),
    )
    writer.sheet(
        "按月按产地县",
        ("月份", "县代码", "产地县", "所在省份", "帮扶净额（元）", "帮扶净额（分）"),
        [
            (
                r.month,
                r.county_code,
                r.county_name,
                r.province_name,
                _yuan(r.amount_fen),
                r.amount_fen,
            )
            for r in s.by_month_county
        ],
        (TOTAL_LABEL, None, None, None, _yuan(s.purchased_fen), s.purchased_fen),
    )
    writer.sheet(
        "订单",
        (
            "订单号",
            "采购单号",
            "付款时间（北京时间）",
            "产地县",
            "采购额（元）",
            "退款（元）",
            "帮扶净额（元）",
            "帮扶净额（分）",
        ),
        [
            (
                o.number,
                o.po_number,
                o.paid_at,
                "、".join(o.county_names),
                _yuan(o.sold_fen),
                _yuan(o.refunded_fen),
                _yuan(o.net_fen),
                o.net_fen,
            )
            for o in s.orders
        ],
        (TOTAL_LABEL, None, None, None, *_amount_totals(s)),
    )
    return writer.close()
