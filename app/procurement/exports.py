"""Bulk-order spreadsheets: the template to fill in, a validation report and a placed order
as XLSX, which read back as bulk-order lists (their first columns are 商品编码 and 数量).
Pure functions of rows already loaded; text is formula-escaped by app.core.sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.core.money import FEN_PER_YUAN
from app.core.sheets import Cell, write_csv, write_xlsx
from app.order.models import Order, OrderLine
from app.procurement.models import BulkOrderLine

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
TEMPLATE_HEADER = ("商品编码", "数量", "配送日期")
TEMPLATE_NAME = "bulk-order-template"
REPORT_HEADER = (
    "商品编码",
    "数量",
    "配送日期",
    "行号",
    "商品",
    "单价（元）",
    "小计（元）",
    "问题",
)
ORDER_HEADER = (
    "商品编码",
    "数量",
    "商品",
    "规格",
    "单价（元）",
    "金额（元）",
    "供应商",
    "已退数量",
    "订单号",
    "采购单号",
)
# The report's wording of each line error (the spreadsheet is for the office, in Chinese).
LINE_ERRORS = {
    "missing_sku_code": "缺少商品编码",
    "unknown_sku": "没有这个商品编码",
    "sku_unavailable": "该商品已下架或暂不可售",
    "invalid_quantity": "数量应为 1 到 100000 的整数",
    "below_min_qty": "未达到起订量 {limit}",
    "insufficient_stock": "库存不足，当前可售 {limit}",
    "invalid_delivery_date": "配送日期无效，应为今天起一年内的日期，如 2026-09-01",
    "conflicting_delivery_dates": "同一商品的几行配送日期不同",
}


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def yuan(amount_fen: int | None) -> Decimal | None:
    """Fen as a yuan number cell (exact: Decimal, never a float)."""
    return None if amount_fen is None else Decimal(amount_fen) / FEN_PER_YUAN


def template(kind: str) -> Download:
    """The empty list to fill in, as XLSX or as CSV (UTF-8 with a byte-order mark)."""
    if kind == "csv":
        return Download(write_csv(TEMPLATE_HEADER, []), CSV_MEDIA_TYPE, f"{TEMPLATE_NAME}.csv")
    return Download(
        write_xlsx(TEMPLATE_HEADER, [], sheet_name="采购清单"),
        XLSX_MEDIA_TYPE,
        f"{TEMPLATE_NAME}.xlsx",
    )


def line_problem(line: BulkOrderLine) -> str:
    if line.error_code is None:
        return ""
    wording = LINE_ERRORS.get(line.error_code, line.error or line.error_code)
    text = wording.format(limit=line.error_limit if line.error_limit is not None else "")
    if line.merged_rows:
        text += f"（已合并第 {', '.join(str(row) for row in [line.row, *line.merged_rows])} 行）"
    return text


def report_workbook(bulk_order_id: int, lines: Sequence[BulkOrderLine]) -> Download:
    """A validation report to fix and upload again: code, quantity and date first."""
    rows: list[list[Cell]] = [
        [
            line.sku_code,
            line.quantity if line.quantity is not None else (line.quantity_text or ""),
            line.delivery_date,
            line.row,
            line.title,
            yuan(line.unit_price_fen),
            yuan(line.line_total_fen),
            line_problem(line),
        ]
        for line in lines
    ]
    return Download(
        write_xlsx(REPORT_HEADER, rows, sheet_name="校验结果"),
        XLSX_MEDIA_TYPE,
        f"bulk-order-{bulk_order_id}.xlsx",
    )


def order_workbook(
    order: Order, lines: Sequence[OrderLine], cooperative_names: Mapping[int, str]
) -> Download:
    """An order's lines, to keep or to upload again as a bulk order."""
    rows: list[list[Cell]] = [
        [
            line.sku_code,
            line.quantity,
            line.title,
            line.sku_name,
            yuan(line.unit_price_fen),
            yuan(line.line_total_fen),
            cooperative_names.get(line.cooperative_id, ""),
            line.refunded_quantity,
            order.number,
            order.po_number,
        ]
        for line in lines
    ]
    name = order.number or f"order-{order.id}"
    return Download(
        write_xlsx(ORDER_HEADER, rows, sheet_name="订单明细"), XLSX_MEDIA_TYPE, f"{name}.xlsx"
    )
