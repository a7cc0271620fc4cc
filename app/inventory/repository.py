"""Queries of the inventory domain: conditional stock updates and the movement log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import GENERATION_OPTION
from app.core.commit_with import DeferredWrites, commit_with
from app.core.db import table_of
from app.inventory.models import MovementReason, ProductStock, SkuStock, StockMovement

# ORM-enabled UPDATEs here must not try to reconcile the identity map on their own: the service
# copies the values RETURNING gave back onto objects already loaded.
_NO_SYNC = {"synchronize_session": False}
# A sale and its release bump a generation of their own, not the `skus` table's: pages kept
# for every visitor then show the figure within their cache's lifetime rather than being
# rebuilt at every order of a busy product. When little is left the service bumps the
# product's stock-figures generation too (stock_figures_generation), which only the pages
# showing that product's figures read (its page and its API twin): the home and county pages,
# which show only whether a product is in stock (its `products` row, written when that flips),
# are not rebuilt at each such sale, nor are the pages of other products.
SALES_GENERATION = "skus.sales"
STOCK_FIGURES_GENERATION = "skus.stock_figures"
# The stock figures' generations, one per bucket of products: during a festival many products
# are nearly sold out at once, and each of their sales would otherwise render every product's
# page again. A bucket, not a product: the generations stay a fixed, small set.
STOCK_FIGURE_BUCKETS = 64


# A product running out or coming back (its `in_stock`, recomputed by refresh_in_stock) bumps
# this generation, not the `products` table's: the pages listing many products (home, county)
# follow it at once, but what a product's own page keeps besides its stock figures (read with
# twelve statements) stays, and that page, which follows its product's stock figures
# generation (bumped too), is rendered again from one read of its SKUs' stock.
AVAILABILITY_GENERATION = "products.in_stock"


def stock_figures_generation(product_id: int) -> str:
    """The generation of the stock figures of `product_id`'s SKUs (shared with the products
    of its bucket)."""
    return f"{STOCK_FIGURES_GENERATION}.{product_id % STOCK_FIGURE_BUCKETS}"


_SALE = {GENERATION_OPTION: SALES_GENERATION}
# Sales and releases run at every order: plain statements on the table, built once (no ORM
# work, and their compiled form is cached); the quantity and the SKU are parameters.
_SKUS = table_of(SkuStock)
_TAKE = (
    update(_SKUS)
    .where(_SKUS.c.id == bindparam("sku_id"), _SKUS.c.stock >= bindparam("quantity"))
    .values(stock=_SKUS.c.stock - bindparam("quantity"))
    .returning(_SKUS.c.product_id, _SKUS.c.stock)
    .execution_options(**_SALE)
)
_GIVE_BACK = (
    update(_SKUS)
    .where(_SKUS.c.id == bindparam("sku_id"))
    .values(stock=_SKUS.c.stock + bindparam("quantity"))
    .returning(_SKUS.c.product_id, _SKUS.c.stock)
    .execution_options(**_SALE)
)
_MOVEMENTS_INSERT = insert(table_of(StockMovement))


async def take_stock(session: AsyncSession, sku_id: int, quantity: int) -> tuple[int, int] | None:
    """Decrement only if enough is left: (product_id, new stock), or None when short.

    One atomic statement: on PostgreSQL the row lock of the UPDATE serialises concurrent buyers
    and the condition is re-checked on the row as the winner left it; on SQLite the writing
    transaction already holds the database's write lock.
    """
    row = (await session.execute(_TAKE, {"sku_id": sku_id, "quantity": quantity})).first()
    return (row[0], row[1]) if row is not None else None


# PostgreSQL: a whole sale in one statement, for commit_with (sent with its COMMIT). The rows
# are locked in ascending SKU id (no deadlock between two orders of the same SKUs), each
# decremented, and its movement logged. The lock is the UPDATE's own (NO KEY UPDATE): FOR
# UPDATE would wait on the KEY SHARE locks that every other order's lines hold on their SKUs
# (the foreign key), and two such orders would deadlock. It fails on purpose when a SKU is
# short (the stock_not_negative CHECK), would be left with nothing (its product's in_stock
# must then follow in the same transaction: the usual path does that) or is missing (the
# division by zero of the last line): the caller then reserves the usual way.
_TAKE_ALL_PG = """
WITH wanted AS (
    SELECT w.sku_id, w.quantity
    FROM unnest(%(sku_ids)s::bigint[], %(quantities)s::bigint[]) AS w (sku_id, quantity)
), locked AS (
    SELECT skus.id FROM skus JOIN wanted ON wanted.sku_id = skus.id
    ORDER BY skus.id FOR NO KEY UPDATE OF skus
), taken AS (
    UPDATE skus SET stock = skus.stock - wanted.quantity
    FROM wanted JOIN locked ON locked.id = wanted.sku_id
    WHERE skus.id = wanted.sku_id
    RETURNING skus.id, skus.product_id, skus.stock, wanted.quantity
), logged AS (
    INSERT INTO stock_movements (sku_id, delta, reason, order_id, at)
    SELECT taken.id, -taken.quantity, %(reason)s, %(order_id)s, %(at)s FROM taken
)
SELECT array_agg(id ORDER BY id), array_agg(product_id ORDER BY id),
       array_agg(stock ORDER BY id),
       1 / CASE WHEN count(*) = %(count)s AND min(stock) > 0 THEN 1 ELSE 0 END
FROM taken
"""


async def take_stock_and_commit(
    session: AsyncSession,
    wanted: dict[int, int],
    *,
    order_id: int,
    at: datetime,
    sent_first: DeferredWrites | None = None,
) -> list[tuple[int, int, int]]:
    """PostgreSQL: take `wanted` (sku_id → units) off stock, log it, and commit the session's
    transaction, in one round trip with the writes of `sent_first` (commit_with): [(sku_id,
    product_id, stock left)] by SKU id. StatementFailed, with nothing of it done and nothing
    committed, when a SKU is short, would be left with nothing, or is missing."""
    sku_ids = sorted(wanted)
    rows = await commit_with(
        session,
        _TAKE_ALL_PG,
        {
            "sku_ids": sku_ids,
            "quantities": [wanted[sku_id] for sku_id in sku_ids],
            "reason": MovementReason.RESERVED.value,
            "order_id": order_id,
            "at": at,
            "count": len(sku_ids),
        },
        sent_first=sent_first,
    )
    ids, product_ids, left, _ok = rows[0]
    return list(zip(ids, product_ids, left, strict=True))


async def give_back_stock(
    session: AsyncSession, sku_id: int, quantity: int
) -> tuple[int, int] | None:
    """Increment: (product_id, new stock), or None when the SKU no longer exists."""
    row = (await session.execute(_GIVE_BACK, {"sku_id": sku_id, "quantity": quantity})).first()
    return (row[0], row[1]) if row is not None else None


async def current_stock(session: AsyncSession, sku_id: int) -> int | None:
    stock: int | None = await session.scalar(select(SkuStock.stock).where(SkuStock.id == sku_id))
    return stock


async def stock_of(session: AsyncSession, sku_ids: Sequence[int]) -> dict[int, int]:
    """The stock of each SKU that exists among `sku_ids`, read in one statement."""
    if not sku_ids:
        return {}
    rows = await session.execute(
        select(SkuStock.id, SkuStock.stock).where(SkuStock.id.in_(sku_ids))
    )
    return {sku_id: stock for sku_id, stock in rows}


async def lock_stock(session: AsyncSession, sku_id: int) -> tuple[int, int] | None:
    """(product_id, stock) with the row locked until the transaction ends (PostgreSQL; SQLite's
    writing transaction holds the database lock already)."""
    row = (
        await session.execute(
            select(SkuStock.product_id, SkuStock.stock)
            .where(SkuStock.id == sku_id)
            .with_for_update()
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def write_stock(session: AsyncSession, sku_id: int, stock: int) -> None:
    await session.execute(
        update(SkuStock)
        .where(SkuStock.id == sku_id)
        .values(stock=stock)
        .execution_options(**_NO_SYNC)
    )


async def add_movements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """All movements of one change in one INSERT (executemany)."""
    if rows:
        await session.execute(_MOVEMENTS_INSERT, list(rows))


async def refresh_in_stock(
    session: AsyncSession, product_ids: Collection[int]
) -> list[tuple[int, bool]]:
    """Recompute ProductStock.in_stock (an active SKU with stock) for these products in one UPDATE
    that touches only those whose value flips; returns (product_id, in_stock) of those. It bumps
    AVAILABILITY_GENERATION; the caller bumps the flipped products' stock figures generations."""
    if not product_ids:
        return []
    has_stock = exists().where(
        SkuStock.product_id == ProductStock.id, SkuStock.is_active.is_(True), SkuStock.stock > 0
    )
    stmt = (
        update(ProductStock)
        .where(ProductStock.id.in_(sorted(product_ids)), ProductStock.in_stock != has_stock)
        .values(in_stock=has_stock)
        .returning(ProductStock.id, ProductStock.in_stock)
        .execution_options(**_NO_SYNC, **{GENERATION_OPTION: AVAILABILITY_GENERATION})
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
