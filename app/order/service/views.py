"""Orders and fulfilments as their buyer and their supplier see them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.order import repository
from app.order.carriers import tracking_url
from app.order.models import Fulfillment, Order, OrderLine
from app.order.schemas import (
    FulfillmentOut,
    OrderDetail,
    OrderLineOut,
    ShippingAddressOut,
    SupplierFulfillmentOut,
)
from app.order.service.payment_and_cancellation import cancellable
from app.order.service.writing import NewFulfillment, NewLine, NewOrder
from app.regions.cache import CountyPlace, county_places
from app.regions.listing import place_name
from app.trace.service import batch_codes

# An order as the views read it: loaded, or just written by checkout (writing.NewOrder).
AnyOrder = Order | NewOrder
AnyFulfillment = Fulfillment | NewFulfillment


def _line_view(line: OrderLine | NewLine, codes: dict[int, str]) -> OrderLineOut:
    view = OrderLineOut.model_validate(line)
    if line.batch_id is not None:
        view.batch_code = codes.get(line.batch_id)
    return view


async def _batch_codes(
    session: AsyncSession, fulfillments: Sequence[AnyFulfillment]
) -> dict[int, str]:
    ids = [line.batch_id for f in fulfillments for line in f.lines if line.batch_id is not None]
    return await batch_codes(session, ids) if ids else {}


def _fulfillment_fields(
    fulfillment: AnyFulfillment,
    cooperative_name: str,
    counties: dict[str, CountyPlace],
    codes: dict[int, str],
) -> dict[str, object]:
    return {
        "id": fulfillment.id,
        "cooperative_id": fulfillment.cooperative_id,
        "cooperative_name": cooperative_name,
        "status": fulfillment.status.value,
        "goods_fen": fulfillment.goods_fen,
        "shipping_fen": fulfillment.shipping_fen,
        "carrier": fulfillment.carrier,
        "tracking_number": fulfillment.tracking_number,
        "tracking_url": tracking_url(fulfillment.carrier, fulfillment.tracking_number),
        "accepted_at": fulfillment.accepted_at,
        "shipped_at": fulfillment.shipped_at,
        "delivered_at": fulfillment.delivered_at,
        "cancelled_at": fulfillment.cancelled_at,
        "parcel_no": fulfillment.parcel_no,
        "recipient": _recipient_view(fulfillment, counties),
        "lines": [_line_view(line, codes) for line in fulfillment.lines],
    }


def _address(
    name: str, phone: str, county_code: str, detail: str, counties: dict[str, CountyPlace]
) -> ShippingAddressOut:
    county = counties.get(county_code)
    return ShippingAddressOut(
        name=name,
        phone=phone,
        county_code=county_code,
        county_name=county.name if county else "",
        prefecture_code=county.prefecture_code if county else "",
        prefecture_name=county.prefecture_name if county else "",
        province_code=county.province_code if county else "",
        province_name=county.province_name if county else "",
        place_name=(
            place_name(county.province_name, county.prefecture_name, county.name) if county else ""
        ),
        detail=detail,
    )


def _address_view(order: AnyOrder, counties: dict[str, CountyPlace]) -> ShippingAddressOut:
    return _address(
        order.ship_to_name,
        order.ship_to_phone,
        order.ship_to_county_code,
        order.ship_to_detail,
        counties,
    )


def _recipient_view(
    fulfillment: AnyFulfillment, counties: dict[str, CountyPlace]
) -> ShippingAddressOut | None:
    if fulfillment.recipient_county_code is None:
        return None
    return _address(
        fulfillment.recipient_name or "",
        fulfillment.recipient_phone or "",
        fulfillment.recipient_county_code,
        fulfillment.recipient_detail or "",
        counties,
    )


def _county_codes(fulfillments: Sequence[Fulfillment]) -> set[str]:
    """The counties the views name: each order's, and each gift parcel's recipient's."""
    codes = {f.order.ship_to_county_code for f in fulfillments}
    return codes | {f.recipient_county_code for f in fulfillments if f.recipient_county_code}


async def order_details(
    session: AsyncSession,
    orders: Sequence[AnyOrder],
    *,
    cooperative_names: Mapping[int, str] | None = None,
) -> list[OrderDetail]:
    """The buyer's view of orders loaded with their fulfilments and lines (at most two more
    queries in all: supplier names, unless given, and county names not cached)."""
    names = (
        cooperative_names
        if cooperative_names is not None
        else await repository.cooperative_names(
            session, {f.cooperative_id for order in orders for f in order.fulfillments}
        )
    )
    counties = await county_places(
        session,
        {o.ship_to_county_code for o in orders}
        | {
            f.recipient_county_code
            for o in orders
            for f in o.fulfillments
            if f.recipient_county_code
        },
    )
    codes = await _batch_codes(session, [f for order in orders for f in order.fulfillments])
    return [
        OrderDetail(
            id=order.id,
            number=order.number or "",
            status=order.status.value,
            payment_method=order.payment_method.value,
            buyer_kind=order.buyer_kind.value,
            organization_id=order.organization_id,
            po_number=order.po_number,
            goods_fen=order.goods_fen,
            shipping_fen=order.shipping_fen,
            total_fen=order.total_fen,
            ship_to=_address_view(order, counties),
            created_at=order.created_at,
            expires_at=order.expires_at,
            paid_at=order.paid_at,
            cancelled_at=order.cancelled_at,
            cancel_reason=order.cancel_reason,
            completed_at=order.completed_at,
            cancellable=cancellable(order),
            fulfillments=[
                FulfillmentOut.model_validate(
                    _fulfillment_fields(f, names.get(f.cooperative_id, ""), counties, codes)
                )
                for f in order.fulfillments
            ],
        )
        for order in orders
    ]


async def order_detail(session: AsyncSession, order: Order) -> OrderDetail:
    return (await order_details(session, [order]))[0]


async def supplier_views(
    session: AsyncSession, fulfillments: Sequence[Fulfillment]
) -> list[SupplierFulfillmentOut]:
    """Fulfilments (with order and lines loaded) as their supplier sees them."""
    names = await repository.cooperative_names(session, {f.cooperative_id for f in fulfillments})
    counties = await county_places(session, _county_codes(fulfillments))
    codes = await _batch_codes(session, fulfillments)
    return [
        SupplierFulfillmentOut.model_validate(
            {
                **_fulfillment_fields(f, names.get(f.cooperative_id, ""), counties, codes),
                "order_id": f.order_id,
                "order_number": f.order.number or "",
                "order_status": f.order.status.value,
                "paid_at": f.order.paid_at,
                # A gift parcel goes to its recipient, not to the organisation's own address.
                "ship_to": _recipient_view(f, counties) or _address_view(f.order, counties),
            }
        )
        for f in fulfillments
    ]


@dataclass(frozen=True)
class BuyerNotice:
    email: str
    display_name: str
    order: OrderDetail


async def buyer_notice(session: AsyncSession, order_id: int) -> BuyerNotice | None:
    """The order as its buyer sees it, and where to write; None if either is gone."""
    order = await repository.get_order(session, order_id)
    if order is None:
        return None
    buyer = await session.get(User, order.buyer_user_id)
    if buyer is None or not buyer.is_active:
        return None
    return BuyerNotice(buyer.email, buyer.display_name, await order_detail(session, order))
