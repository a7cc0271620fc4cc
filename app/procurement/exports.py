"""Bulk-order spreadsheets: the template to fill in, a validation report and a placed order
as XLSX, which read back as bulk-order lists (their first columns are 商品编码 and 数量).
Pure functions of rows already loaded; text is formula-escaped by app.core.sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.core.money import FEN_PER_YUAN
from app.core.sheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Cell, write_csv, write_xlsx
from app.order.models import Order, OrderLine
from app.procurement.models import BulkOrderLine
from app.procurement.schemas import GiftOrderOut

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


# ---------------------------------------------------------------------------------------------
# Gift orders: the recipients list and its parcels

RECIPIENTS_TEMPLATE_HEADER = ("姓名", "手机号", "区县代码", "详细地址")
RECIPIENTS_TEMPLATE_NAME = "gift-recipients-template"
RECIPIENTS_HEADER = (
    "行号", "收件人", "手机号", "区县代码", "详细地址", "问题",
    "供应商", "包裹编号", "状态", "快递公司", "快递单号", "发货时间", "签收时间",
)  # fmt: skip
RECIPIENT_ERRORS = {
    "invalid_name": "姓名应为 1 到 50 个字符",
    "invalid_phone": "手机号或固定电话无效",
    "unknown_county": "没有这个区县代码（6 位行政区划代码）",
    "invalid_address_detail": "详细地址应为 5 到 200 个字符",
    "duplicate_recipient": "与前面一行的姓名和电话相同",
    "region_not_served": "有供应商不配送到该地区",
}
PARCEL_STATUSES = {
    "pending": "待接单",
    "accepted": "待发货",
    "shipped": "已发货",
    "delivered": "已签收",
    "cancelled": "已取消",
}


def recipients_template(kind: str) -> Download:
    """The empty recipients list (姓名, 手机号, 区县代码, 详细地址), as XLSX or CSV."""
    if kind == "csv":
        return Download(
            write_csv(RECIPIENTS_TEMPLATE_HEADER, []),
            CSV_MEDIA_TYPE,
            f"{RECIPIENTS_TEMPLATE_NAME}.csv",
        )
    return Download(
        write_xlsx(RECIPIENTS_TEMPLATE_HEADER, [], sheet_name="收件人名单"),
        XLSX_MEDIA_TYPE,
        f"{RECIPIENTS_TEMPLATE_NAME}.xlsx",
    )


def recipients_workbook(gift: GiftOrderOut, *, awaiting_payment: bool) -> Download:
    """Each recipient's parcels (one row per supplier) with status and tracking, or the
    recipient alone (with the problem, if any) before the gift is ordered."""
    rows: list[Sequence[Cell]] = []
    for recipient in gift.recipients:
        head: list[Cell] = [
            recipient.row,
            recipient.name,
            recipient.phone,
            recipient.county_code,
            recipient.detail,
            RECIPIENT_ERRORS.get(recipient.error_code, recipient.error or "")
            if recipient.error_code
            else "",
        ]
        if not recipient.parcels:
            rows.append(head)
        for parcel in recipient.parcels:
            status = "待付款" if awaiting_payment else PARCEL_STATUSES.get(parcel.status, "")
            rows.append(
                [
                    *head,
                    parcel.cooperative_name,
                    parcel.fulfillment_id,
                    status,
                    parcel.carrier or "",
                    parcel.tracking_number or "",
                    parcel.shipped_at,
                    parcel.delivered_at,
                ]
            )
    return Download(
        write_xlsx(RECIPIENTS_HEADER, rows, sheet_name="收件人"),
        XLSX_MEDIA_TYPE,
        f"gift-order-{gift.id}-recipients.xlsx",
    )
