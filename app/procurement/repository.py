"""Queries of procurement: bulk orders and their lines, SKUs by code, an organisation's orders."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.account.models import User
from app.catalog.models import Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.fields import MAX_ID
from app.order.models import Order
from app.procurement.models import (
    BulkOrder,
    BulkOrderKind,
    BulkOrderLine,
    BulkOrderRecipient,
    BulkOrderStatus,
)
from app.regions.models import County

# Codes per IN list: well under every database's bound on bound parameters.
CODES_PER_QUERY = 1000


async def skus_by_code(session: AsyncSession, codes: Collection[str]) -> dict[str, Sku]:
    """SKUs with product, supplier and price tiers loaded, by code: a couple of queries per
    thousand codes, whatever the number of rows naming them."""
    wanted = sorted(set(codes))
    found: dict[str, Sku] = {}
    for start in range(0, len(wanted), CODES_PER_QUERY):
        result = await session.scalars(
            select(Sku)
            .where(Sku.code.in_(wanted[start : start + CODES_PER_QUERY]))
            .options(
                # What pricing reads of the product and its supplier, and no more (a product's
                # description can be long, and thousands of SKUs are loaded at once).
                joinedload(Sku.product)
                .load_only(
                    Product.id,
                    Product.slug,
                    Product.title,
                    Product.category_code,
                    Product.status,
                    Product.cooperative_id,
                )
                .joinedload(Product.cooperative)
                .load_only(
                    Cooperative.id, Cooperative.name, Cooperative.county_code, Cooperative.status
                ),
                selectinload(Sku.price_tiers),
            )
        )
        found.update((sku.code, sku) for sku in result.unique())
    return found


async def get_bulk_order(
    session: AsyncSession,
    organization_id: int,
    bulk_order_id: int,
    *,
    with_lines: bool = False,
    with_recipients: bool = False,
    for_update: bool = False,
    kind: BulkOrderKind | None = BulkOrderKind.BULK,
) -> BulkOrder | None:
    """The organisation's bulk order. `for_update` locks its row until the transaction ends:
    of two requests changing it at once, the second waits and then sees the first's outcome
    (PostgreSQL re-reads the locked row; SQLite lets one writer in at a time). Of another
    `kind` (a gift where a list is asked for): None; `kind=None` takes either."""
    if not 1 <= bulk_order_id <= MAX_ID:
        return None  # names nothing (and a BIGINT column would refuse it)
    query = select(BulkOrder).where(
        BulkOrder.id == bulk_order_id, BulkOrder.organization_id == organization_id
    )
    if kind is not None:
        query = query.where(BulkOrder.kind == kind)
    if with_recipients:
        query = query.options(selectinload(BulkOrder.recipients))
    if for_update:
        query = query.with_for_update()
    if with_lines:
        query = query.options(selectinload(BulkOrder.lines))
    return await session.scalar(query.execution_options(populate_existing=True))


async def list_bulk_orders(
    session: AsyncSession,
    organization_id: int,
    *,
    statuses: Collection[BulkOrderStatus] | None,
    offset: int,
    limit: int,
    kind: BulkOrderKind | None = BulkOrderKind.BULK,
) -> tuple[Sequence[BulkOrder], int]:
    """Newest first, and how many there are in all (of `kind`; None: both kinds)."""
    where = [BulkOrder.organization_id == organization_id]
    if kind is not None:
        where.append(BulkOrder.kind == kind)
    if statuses is not None:
        where.append(BulkOrder.status.in_(list(statuses)))
    total = await session.scalar(select(func.count()).select_from(BulkOrder).where(*where))
    result = await session.scalars(
        select(BulkOrder).where(*where).order_by(BulkOrder.id.desc()).offset(offset).limit(limit)
    )
    return result.all(), int(total or 0)


async def add_lines(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many lines in one executemany INSERT. NULLs are rendered: the ORM would otherwise leave
    out each row's None columns and split the rows into a statement per pattern of them."""
    if rows:
        await session.execute(
            insert(BulkOrderLine).execution_options(render_nulls=True), list(rows)
        )


async def add_recipients(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many recipients in one executemany INSERT (NULLs rendered, as for lines)."""
    if rows:
        await session.execute(
            insert(BulkOrderRecipient).execution_options(render_nulls=True), list(rows)
        )


async def delete_recipients(session: AsyncSession, bulk_order_id: int) -> None:
    await session.execute(
        delete(BulkOrderRecipient).where(BulkOrderRecipient.bulk_order_id == bulk_order_id)
    )


async def county_provinces(session: AsyncSession, codes: Collection[str]) -> dict[str, str]:
    """The province of each known county among `codes` (six-digit codes only), by code."""
    wanted = sorted(
        {code for code in codes if len(code) == 6 and code.isascii() and code.isdigit()}
    )
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CODES_PER_QUERY):
        rows = await session.execute(
            select(County.code, County.province_code).where(
                County.code.in_(wanted[start : start + CODES_PER_QUERY])
            )
        )
        found.update((row[0], row[1]) for row in rows)
    return found


async def skus_by_id(session: AsyncSession, sku_ids: Collection[int]) -> dict[int, Sku]:
    """SKUs by id, with their product's title (what a gift's report names)."""
    if not sku_ids:
        return {}
    result = await session.scalars(
        select(Sku)
        .where(Sku.id.in_(sorted(set(sku_ids))))
        .options(joinedload(Sku.product).load_only(Product.id, Product.title))
    )
    return {sku.id: sku for sku in result.unique()}


async def delete_bulk_order(session: AsyncSession, bulk_order_id: int) -> None:
    """A bulk order, its lines and recipients (ON DELETE CASCADE, and said here for clarity)."""
    await delete_lines(session, bulk_order_id)
    await delete_recipients(session, bulk_order_id)
    await session.execute(delete(BulkOrder).where(BulkOrder.id == bulk_order_id))


async def delete_lines(session: AsyncSession, bulk_order_id: int) -> None:
    await session.execute(delete(BulkOrderLine).where(BulkOrderLine.bulk_order_id == bulk_order_id))


async def organization_order(
    session: AsyncSession, organization_id: int, order_id: int
) -> Order | None:
    """An order the organisation placed, with its lines."""
    if not 1 <= order_id <= MAX_ID:
        return None
    return await session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.organization_id == organization_id)
        .options(selectinload(Order.lines))
    )


async def cooperative_names(
    session: AsyncSession, cooperative_ids: Collection[int]
) -> dict[int, str]:
    if not cooperative_ids:
        return {}
    rows = await session.execute(
        select(Cooperative.id, Cooperative.name).where(Cooperative.id.in_(set(cooperative_ids)))
    )
    return {row[0]: row[1] for row in rows}


async def organization_orders(
    session: AsyncSession, organization_id: int, *, offset: int, limit: int
) -> tuple[Sequence[Order], int]:
    """The organisation's orders, newest first, and how many there are."""
    where = Order.organization_id == organization_id
    total = await session.scalar(select(func.count()).select_from(Order).where(where))
    result = await session.scalars(
        select(Order).where(where).order_by(Order.id.desc()).offset(offset).limit(limit)
    )
    return result.all(), int(total or 0)


async def count_awaiting(session: AsyncSession, organization_id: int, *, not_by: int) -> int:
    """Submitted bulk orders someone other than `not_by` submitted."""
    total = await session.scalar(
        select(func.count())
        .select_from(BulkOrder)
        .where(
            BulkOrder.organization_id == organization_id,
            BulkOrder.status == BulkOrderStatus.SUBMITTED,
            BulkOrder.submitted_by_user_id != not_by,
        )
    )
    return int(total or 0)


async def display_names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name).where(User.id.in_(set(user_ids)))
    )
    return {row[0]: row[1] for row in rows}


async def sellable_skus(
    session: AsyncSession, *, limit: int
) -> Sequence[Row[int, str, str, int, int, str]]:
    """(sku id, product title, SKU name, price, stock, supplier name) of SKUs on sale now, by
    product title: what a gift can be chosen from."""
    rows = await session.execute(
        select(Sku.id, Product.title, Sku.name, Sku.price_fen, Sku.stock, Cooperative.name)
        .join(Product, Product.id == Sku.product_id)
        .join(Cooperative, Cooperative.id == Product.cooperative_id)
        .where(
            Sku.is_active.is_(True),
            Sku.stock > 0,
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
        .order_by(Product.title, Sku.id)
        .limit(limit)
    )
    return rows.all()
