"""Queries of the operator tools: the orders and refunds reconcile recomputes from, as stored
(never the ledger), and the accounts the audit log names."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.account.models import User
from app.order.models import Order
from app.payment.models import Refund, RefundStatus

# ---------------------------------------------------------------------------------------------
# Source facts for reconcile: orders and refunds as stored, never the ledger


async def succeeded_refunds(
    session: AsyncSession, since: datetime | None, until: datetime | None
) -> list[tuple[int, int, list[dict[str, Any]], datetime]]:
    """(refund id, order id, lines, created_at) of succeeded refunds made in [since, until)."""
    conditions: list[ColumnElement[bool]] = [Refund.status == RefundStatus.SUCCEEDED]
    if since is not None:
        conditions.append(Refund.created_at >= since)
    if until is not None:
        conditions.append(Refund.created_at < until)
    result = await session.execute(
        select(Refund.id, Refund.order_id, Refund.lines, Refund.created_at).where(and_(*conditions))
    )
    return [(int(r[0]), int(r[1]), list(r[2] or []), r[3]) for r in result]


async def paid_orders(
    session: AsyncSession,
    *,
    since: datetime | None,
    until: datetime | None,
    also_ids: Collection[int] = (),
) -> list[Order]:
    """Orders (lines loaded) paid in [since, until), whatever became of them later, and the
    orders `also_ids` (those of refunds in the period) if they were paid at all."""
    paid_in_period: list[ColumnElement[bool]] = [Order.paid_at.is_not(None)]
    if since is not None:
        paid_in_period.append(Order.paid_at >= since)
    if until is not None:
        paid_in_period.append(Order.paid_at < until)
    condition = and_(*paid_in_period)
    if also_ids:
        condition = or_(condition, and_(Order.paid_at.is_not(None), Order.id.in_(also_ids)))
    result = await session.scalars(
        select(Order).options(selectinload(Order.lines)).where(condition).order_by(Order.id)
    )
    return list(result.all())


# ---------------------------------------------------------------------------------------------
# The accounts the audit log names


async def users_by_ids(session: AsyncSession, user_ids: Collection[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    result = await session.scalars(select(User).where(User.id.in_(list(user_ids))))
    return {user.id: user for user in result}
