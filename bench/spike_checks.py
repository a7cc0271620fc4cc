"""The integrity checks of the festival spike (bench/spike.py): oversold units, stock drift,
jobs left, the spike's orders in the database and the impact ledger's total."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from app.catalog.models import Sku
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.order.models import Order, OrderLine, OrderStatus

DRAIN_TIMEOUT_SECONDS = 120


@dataclass
class Integrity:
    orders_in_db: int
    oversold: int
    stock_drift: int
    jobs_left: int
    jobs_dead: int
    paid_goods_fen: int


async def check_integrity(url: str, sku_ids: list[int], stock: dict[int, int]) -> Integrity:
    """The hot SKUs' figures: `stock` is what each had before the spike."""
    database = Database(url)
    try:
        async with unit_of_work(database.reader) as session:
            live = Order.status != OrderStatus.CANCELLED
            sold = dict(
                (
                    await session.execute(
                        select(OrderLine.sku_id, func.sum(OrderLine.quantity))
                        .join(Order, Order.id == OrderLine.order_id)
                        .where(live, OrderLine.sku_id.in_(sku_ids))
                        .group_by(OrderLine.sku_id)
                    )
                ).all()
            )
            left = {
                sku_id: stock
                for sku_id, stock in await session.execute(
                    select(Sku.id, Sku.stock).where(Sku.id.in_(sku_ids))
                )
            }
            # The spike's orders only (the demo data has orders of its own).
            orders = await session.scalar(
                select(func.count(func.distinct(Order.id)))
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(live, OrderLine.sku_id.in_(sku_ids))
            )
            due = Job.run_after <= utcnow()  # an unpaid order's expiry waits for its hour
            jobs_left = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    ((Job.status == JobStatus.PENDING) & due) | (Job.status == JobStatus.RUNNING)
                )
            )
            jobs_dead = await session.scalar(
                select(func.count()).select_from(Job).where(Job.status == JobStatus.DEAD)
            )
            paid = await session.scalar(
                select(func.coalesce(func.sum(Order.goods_fen), 0)).where(
                    Order.status.not_in((OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT))
                )
            )
    finally:
        await database.dispose()
    oversold = sum(max(0, int(sold.get(s, 0)) - stock[s]) for s in sku_ids)
    drift = sum(stock[s] - int(sold.get(s, 0)) - int(left.get(s, 0)) for s in sku_ids)
    return Integrity(
        orders_in_db=int(orders or 0),
        oversold=oversold,
        stock_drift=drift,
        jobs_left=int(jobs_left or 0),
        jobs_dead=int(jobs_dead or 0),
        paid_goods_fen=int(paid or 0),
    )


async def wait_for_outbox(url: str) -> None:
    database = Database(url)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            async with unit_of_work(database.reader) as session:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(
                        ((Job.status == JobStatus.PENDING) & (Job.run_after <= utcnow()))
                        | (Job.status == JobStatus.RUNNING)
                    )
                )
            if not waiting:
                return
            await asyncio.sleep(0.5)
    finally:
        await database.dispose()


async def impact_total(url: str) -> int:
    """The ledger's net goods over all years, as /impact reports them."""
    from app.impact.models import LedgerEntry

    database = Database(url)
    try:
        async with unit_of_work(database.reader) as session:
            total = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)))
    finally:
        await database.dispose()
    return int(total or 0)
