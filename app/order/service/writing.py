"""A drafted order written with plain statements (checkout's path): one INSERT per table, no
ORM objects, and the records its view is made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.commit_with import DeferredWrites
from app.inventory.service import reserve_stock, reserve_stock_and_commit
from app.order import repository
from app.order.models import BuyerKind, FulfillmentStatus, OrderStatus, PaymentMethod
from app.order.service.placing import (
    OrderDraft,
    Parcel,
    fulfillment_values,
    line_values,
    order_number_prefix,
)

# The records carry the attribute names of the models (Order, Fulfillment, OrderLine), so
# that the views read either.


@dataclass(slots=True, kw_only=True)
class NewLine:
    id: int
    order_id: int
    fulfillment_id: int
    sku_id: int
    product_id: int
    cooperative_id: int
    origin_county_code: str
    title: str
    sku_name: str
    sku_code: str
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    refunded_quantity: int
    batch_id: int | None


@dataclass(slots=True, kw_only=True)
class NewFulfillment:
    id: int
    order_id: int
    cooperative_id: int
    status: FulfillmentStatus
    goods_fen: int
    shipping_fen: int
    carrier: str | None
    tracking_number: str | None
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    parcel_no: int
    recipient_name: str | None
    recipient_phone: str | None
    recipient_county_code: str | None
    recipient_detail: str | None
    lines: list[NewLine]


@dataclass(slots=True, kw_only=True)
class NewOrder:
    id: int
    number: str
    buyer_user_id: int
    idempotency_key: str
    request_fingerprint: str
    buyer_kind: BuyerKind
    organization_id: int | None
    po_number: str | None
    buyer_province_code: str
    status: OrderStatus
    payment_method: PaymentMethod
    goods_fen: int
    shipping_fen: int
    total_fen: int
    ship_to_name: str
    ship_to_phone: str
    ship_to_county_code: str
    ship_to_detail: str
    expires_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    fulfillments: list[NewFulfillment]
    lines: list[NewLine]


async def write_order(
    session: AsyncSession, draft: OrderDraft, deferred: DeferredWrites | None = None
) -> NewOrder | None:
    """Write a drafted order, its number given by the same statement, with a fulfilment per
    supplier and its lines (a SKU once: pricing refuses it twice), in three statements; stock
    not reserved (reserve_order_stock).

    With `deferred` (PostgreSQL only: can_commit_with), the order's INSERT also takes the ids
    of its fulfilments and lines, whose rows are held in `deferred`, to be sent with the
    transaction's last round trip.

    None, having written nothing, when the buyer's key placed an order already (a retry, or
    a concurrent request): the caller answers with that order (find_replayed_order)."""
    values = draft.values
    prefix = order_number_prefix(values["created_at"])
    timestamps = {"created_at": values["created_at"], "updated_at": values["created_at"]}
    groups = draft.basket.groups
    if deferred is not None:
        written = await repository.insert_order_with_ids(
            session,
            values,
            prefix,
            parcels=len(groups),
            lines=sum(len(group.lines) for group in groups),
        )
        if written is None:
            return None
        order_id, number, parcel_ids, line_ids = written
        parcels = _parcels(order_id, draft)
        fulfillment_ids = {
            parcel["cooperative_id"]: parcel_id
            for parcel, parcel_id in zip(parcels, parcel_ids, strict=True)
        }
        rows = _line_rows(order_id, draft, fulfillment_ids)
        ids_of_lines = {row["sku_id"]: line_id for row, line_id in zip(rows, line_ids, strict=True)}
        repository.write_fulfillments_and_lines(
            [
                {"id": fulfillment_ids[parcel["cooperative_id"]], **parcel, **timestamps}
                for parcel in parcels
            ],
            [{"id": ids_of_lines[row["sku_id"]], **row} for row in rows],
            deferred,
        )
    else:
        plain = await repository.insert_order(session, values, prefix)
        if plain is None:
            return None
        order_id, number = plain
        parcels = _parcels(order_id, draft)
        fulfillment_ids = await repository.insert_fulfillments(
            session, [{**parcel, **timestamps} for parcel in parcels]
        )
        rows = _line_rows(order_id, draft, fulfillment_ids)
        ids_of_lines = await repository.insert_lines(session, rows)
    lines = [NewLine(id=ids_of_lines[row["sku_id"]], **row) for row in rows]
    fulfillments = [
        NewFulfillment(
            id=fulfillment_ids[parcel["cooperative_id"]],
            **parcel,
            lines=[line for line in lines if line.cooperative_id == parcel["cooperative_id"]],
        )
        for parcel in parcels
    ]
    return NewOrder(id=order_id, number=number, **values, fulfillments=fulfillments, lines=lines)


def _parcels(order_id: int, draft: OrderDraft) -> list[dict[str, Any]]:
    """The columns of the order's fulfilments (a parcel per supplier) but their ids and
    timestamps."""
    return [fulfillment_values(order_id, Parcel(group)) for group in draft.basket.groups]


def _line_rows(
    order_id: int, draft: OrderDraft, fulfillment_ids: dict[int, int]
) -> list[dict[str, Any]]:
    """The columns of the order's lines but their ids, each in its supplier's fulfilment."""
    return [
        line_values(order_id, fulfillment_ids[group.cooperative_id], line)
        for group in draft.basket.groups
        for line in group.lines
    ]


async def reserve_order_stock(session: AsyncSession, order: NewOrder) -> None:
    """Reserve the units of a new order's lines (all or nothing; 409 insufficient_stock),
    with no savepoint of its own: on that 409 the caller rolls back its savepoint, or its
    transaction."""
    await reserve_stock(
        session,
        [(line.sku_id, line.quantity) for line in order.lines],
        order_id=order.id,
        savepoint=False,
    )


async def reserve_order_stock_and_commit(
    session: AsyncSession, order: NewOrder, sent_first: DeferredWrites | None = None
) -> None:
    """Reserve the units of a new order's lines and commit the order with them, the writes
    held in `sent_first` sent first (inventory's reserve_stock_and_commit); on 409
    insufficient_stock nothing is committed and the caller rolls back its transaction."""
    await reserve_stock_and_commit(
        session,
        [(line.sku_id, line.quantity) for line in order.lines],
        order_id=order.id,
        sent_first=sent_first,
    )
