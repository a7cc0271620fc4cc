"""Queries of the payment domain: payments, refunds, Stripe events and the operator's lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.commit_with import DeferredWrites, execute_or_defer
from app.core.db import table_of
from app.order.models import Order, OrderStatus, PaymentMethod
from app.payment.models import Payment, PaymentStatus, Refund, RefundStatus, StripeEvent


def _locked(query: Select[Payment], for_update: bool) -> Select[Payment]:
    # populate_existing: a row this session already holds is re-read, now under the lock.
    if for_update:
        return query.with_for_update().execution_options(populate_existing=True)
    return query


async def payment_for_order(
    session: AsyncSession, order_id: int, *, for_update: bool = False
) -> Payment | None:
    query = _locked(select(Payment).where(Payment.order_id == order_id), for_update)
    return (await session.scalars(query)).first()


# inline: no implicit RETURNING of the id, which nobody reads (and a held write cannot wait for).
_PAYMENT_INSERT = insert(table_of(Payment)).inline()


async def insert_payment(
    session: AsyncSession, values: Mapping[str, Any], deferred: DeferredWrites | None = None
) -> None:
    """A new order's payment, as a plain INSERT (columns left out take their defaults); held
    in `deferred` if given."""
    await execute_or_defer(session, _PAYMENT_INSERT, dict(values), deferred)


async def payments_for_orders(session: AsyncSession, order_ids: Sequence[int]) -> list[Payment]:
    if not order_ids:
        return []
    result = await session.scalars(select(Payment).where(Payment.order_id.in_(set(order_ids))))
    return list(result)


async def get_payment(
    session: AsyncSession, payment_id: int, *, for_update: bool = False
) -> Payment | None:
    query = _locked(select(Payment).where(Payment.id == payment_id), for_update)
    return (await session.scalars(query)).first()


async def payment_by_intent(session: AsyncSession, intent_id: str) -> Payment | None:
    result = await session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
    )
    return result.first()


async def get_refund(
    session: AsyncSession, refund_id: int, *, for_update: bool = False
) -> Refund | None:
    query = select(Refund).where(Refund.id == refund_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(query)).first()


async def refund_by_stripe_id(session: AsyncSession, stripe_refund_id: str) -> Refund | None:
    result = await session.scalars(
        select(Refund).where(Refund.stripe_refund_id == stripe_refund_id)
    )
    return result.first()


async def pending_stripe_refunds(session: AsyncSession, payment_id: int) -> list[Refund]:
    """Refunds of a payment that Stripe accepted and has not confirmed yet."""
    result = await session.scalars(
        select(Refund)
        .where(
            Refund.payment_id == payment_id,
            Refund.status == RefundStatus.PENDING,
            Refund.stripe_refund_id.is_not(None),
        )
        .order_by(Refund.id)
    )
    return list(result)


async def refunds_for_order(session: AsyncSession, order_id: int) -> list[Refund]:
    result = await session.scalars(
        select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
    )
    return list(result)


async def get_event(session: AsyncSession, event_id: str) -> StripeEvent | None:
    return await session.get(StripeEvent, event_id)


async def recent_payments(
    session: AsyncSession,
    *,
    status: PaymentStatus | None,
    method: PaymentMethod | None,
    limit: int,
) -> list[tuple[Payment, Order]]:
    """The newest payments first, each with its order (one query)."""
    query = select(Payment, Order).join(Order, Order.id == Payment.order_id)
    if status is not None:
        query = query.where(Payment.status == status)
    if method is not None:
        query = query.where(Payment.method == method)
    result = await session.execute(query.order_by(Payment.id.desc()).limit(limit))
    return [(payment, order) for payment, order in result]


async def awaited_transfers(session: AsyncSession, *, limit: int) -> list[tuple[Payment, Order]]:
    """Bank transfers still expected: the order waits for its money; those the buyer says
    were sent first, then oldest first."""
    result = await session.execute(
        select(Payment, Order)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.method == PaymentMethod.BANK_TRANSFER,
            Payment.status == PaymentStatus.PENDING,
            Order.status == OrderStatus.PENDING_PAYMENT,
        )
        .order_by(Payment.remitted_at.is_(None), Payment.id)
        .limit(limit)
    )
    return [(payment, order) for payment, order in result]


async def count_awaited_transfers(session: AsyncSession) -> int:
    """How many bank transfers the platform still waits for."""
    count = await session.scalar(
        select(func.count())
        .select_from(Payment)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.method == PaymentMethod.BANK_TRANSFER,
            Payment.status == PaymentStatus.PENDING,
            Order.status == OrderStatus.PENDING_PAYMENT,
        )
    )
    return int(count or 0)
