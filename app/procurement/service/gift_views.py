"""Gift orders as the API shows them: the summary, the SKUs, each recipient and their parcels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.order.schemas import FulfillmentOut
from app.procurement.models import BulkOrder
from app.procurement.schemas import (
    GiftItemOut,
    GiftOrderOut,
    GiftOrderSummary,
    GiftParcelOut,
    GiftRecipientOut,
    ShippingAddressOut,
)


def _summary_fields(gift: BulkOrder) -> dict[str, object]:
    contact = None
    if gift.ship_to_county_code is not None:
        contact = ShippingAddressOut(
            name=gift.ship_to_name or "",
            phone=gift.ship_to_phone or "",
            county_code=gift.ship_to_county_code,
            detail=gift.ship_to_detail or "",
        )
    return {
        "id": gift.id,
        "organization_id": gift.organization_id,
        "status": gift.status.value,
        "valid": gift.valid,
        "source_filename": gift.source_filename,
        "recipient_count": gift.recipient_count,
        "error_count": gift.error_count,
        "goods_fen": gift.goods_fen,
        "shipping_fen": gift.shipping_fen,
        "created_by_user_id": gift.created_by_user_id,
        "created_at": gift.created_at,
        "checked_at": gift.checked_at,
        "submitted_by_user_id": gift.submitted_by_user_id,
        "submitted_at": gift.submitted_at,
        "payment_method": gift.payment_method.value if gift.payment_method else None,
        "po_number": gift.po_number,
        "contact_address": contact,
        "approver_user_id": gift.approver_user_id,
        "decided_at": gift.decided_at,
        "comment": gift.comment,
        "order_id": gift.order_id,
    }


def gift_summary_view(gift: BulkOrder) -> GiftOrderSummary:
    return GiftOrderSummary.model_validate(_summary_fields(gift))


def _parcel_view(fulfillment: FulfillmentOut) -> GiftParcelOut:
    return GiftParcelOut(
        fulfillment_id=fulfillment.id,
        cooperative_id=fulfillment.cooperative_id,
        cooperative_name=fulfillment.cooperative_name,
        status=fulfillment.status,
        carrier=fulfillment.carrier,
        tracking_number=fulfillment.tracking_number,
        tracking_url=fulfillment.tracking_url,
        shipped_at=fulfillment.shipped_at,
        delivered_at=fulfillment.delivered_at,
    )


def gift_order_view(
    gift: BulkOrder,
    parcels: Mapping[int, Sequence[FulfillmentOut]],
    order_number: str | None = None,
    order_status: str | None = None,
) -> GiftOrderOut:
    """The gift (lines and recipients loaded) with each recipient's parcels by row."""
    return GiftOrderOut.model_validate(
        {
            **_summary_fields(gift),
            "order_number": order_number,
            "order_status": order_status,
            "items": [
                GiftItemOut(
                    row=line.row,
                    sku_id=line.sku_id or 0,
                    sku_code=line.sku_code,
                    title=line.title,
                    quantity_each=line.quantity or 0,
                    unit_price_fen=line.unit_price_fen,
                    line_total_fen=line.line_total_fen,
                    error_code=line.error_code,
                    error=line.error,
                    error_limit=line.error_limit,
                )
                for line in gift.lines
            ],
            "recipients": [
                GiftRecipientOut(
                    row=recipient.row,
                    name=recipient.name,
                    phone=recipient.phone,
                    county_code=recipient.county_code,
                    detail=recipient.detail,
                    shipping_fen=recipient.shipping_fen,
                    error_code=recipient.error_code,
                    error=recipient.error,
                    parcels=[_parcel_view(f) for f in parcels.get(recipient.row, ())],
                )
                for recipient in gift.recipients
            ],
        }
    )
