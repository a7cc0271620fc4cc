"""Bulk orders as the API shows them: the summary, and the validation report's lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from app.procurement.models import BulkOrder
from app.procurement.schemas import (
    BulkOrderLineOut,
    BulkOrderOut,
    BulkOrderSummary,
    ShippingAddressOut,
)
from app.procurement.service.checking import rows_text


class ReportLine(Protocol):
    """A stored line (BulkOrderLine) or one just checked (CheckedLine)."""

    @property
    def row(self) -> int: ...
    @property
    def sku_code(self) -> str: ...
    @property
    def sku_id(self) -> int | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def quantity(self) -> int | None: ...
    @property
    def quantity_text(self) -> str | None: ...
    @property
    def delivery_date(self) -> date | None: ...
    @property
    def unit_price_fen(self) -> int | None: ...
    @property
    def line_total_fen(self) -> int | None: ...
    @property
    def merged_rows(self) -> list[int]: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_limit(self) -> int | None: ...


def merge_note(row: int, merged_rows: Sequence[int]) -> str | None:
    if not merged_rows:
        return None
    return (
        f"rows {rows_text([row, *merged_rows])} name the same SKU: merged into this line, "
        "quantities added up"
    )


def line_view(line: ReportLine) -> BulkOrderLineOut:
    return BulkOrderLineOut(
        row=line.row,
        sku_code=line.sku_code,
        sku_id=line.sku_id,
        title=line.title,
        quantity=line.quantity,
        quantity_text=line.quantity_text,
        delivery_date=line.delivery_date,
        unit_price_fen=line.unit_price_fen,
        line_total_fen=line.line_total_fen,
        merged_rows=list(line.merged_rows),
        note=merge_note(line.row, line.merged_rows),
        error_code=line.error_code,
        error=line.error,
        error_limit=line.error_limit,
    )


def summary_view(bulk: BulkOrder) -> BulkOrderSummary:
    return BulkOrderSummary.model_validate(_summary_fields(bulk))


def bulk_order_view(bulk: BulkOrder, lines: Iterable[ReportLine]) -> BulkOrderOut:
    return BulkOrderOut.model_validate(
        {**_summary_fields(bulk), "lines": [line_view(line) for line in lines]}
    )


def _summary_fields(bulk: BulkOrder) -> dict[str, object]:
    address = None
    if bulk.ship_to_county_code is not None:
        address = ShippingAddressOut(
            name=bulk.ship_to_name or "",
            phone=bulk.ship_to_phone or "",
            county_code=bulk.ship_to_county_code,
            detail=bulk.ship_to_detail or "",
        )
    return {
        "id": bulk.id,
        "organization_id": bulk.organization_id,
        "status": bulk.status.value,
        "valid": bulk.valid,
        "problem": bulk.problem,
        "source_filename": bulk.source_filename,
        "reorder_of_order_id": bulk.reorder_of_order_id,
        "line_count": bulk.line_count,
        "error_count": bulk.error_count,
        "goods_fen": bulk.goods_fen,
        "shipping_fen": bulk.shipping_fen,
        "created_by_user_id": bulk.created_by_user_id,
        "created_at": bulk.created_at,
        "checked_at": bulk.checked_at,
        "submitted_by_user_id": bulk.submitted_by_user_id,
        "submitted_at": bulk.submitted_at,
        "payment_method": bulk.payment_method.value if bulk.payment_method else None,
        "po_number": bulk.po_number,
        "shipping_address": address,
        "approver_user_id": bulk.approver_user_id,
        "decided_at": bulk.decided_at,
        "comment": bulk.comment,
        "order_id": bulk.order_id,
    }
