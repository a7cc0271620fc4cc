"""Queries of the cart domain: carts, their lines, and what pricing needs of the catalog."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.cart.models import Cart, CartItem
from app.catalog.models import Product, ProductPhoto, Sku
from app.regions.models import County, Province


async def user_cart(session: AsyncSession, user_id: int, *, lock: bool = False) -> Cart | None:
    stmt = select(Cart).where(Cart.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def token_cart(
    session: AsyncSession, token_digest: str, *, lock: bool = False
) -> Cart | None:
    stmt = select(Cart).where(Cart.token == token_digest)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def cart_items(session: AsyncSession, cart_id: int) -> list[CartItem]:
    result = await session.scalars(
        select(CartItem).where(CartItem.cart_id == cart_id).order_by(CartItem.id)
    )
    return list(result)


async def delete_cart(session: AsyncSession, cart_id: int) -> None:
    """Delete a cart; its lines go with it (ON DELETE CASCADE)."""
    await session.execute(delete(Cart).where(Cart.id == cart_id))


async def delete_items(session: AsyncSession, cart_id: int) -> None:
    await session.execute(delete(CartItem).where(CartItem.cart_id == cart_id))


async def skus_for_pricing(session: AsyncSession, sku_ids: Collection[int]) -> dict[int, Sku]:
    """SKUs with product, supplier and price tiers loaded, in one query (a SKU has a few
    tiers at most, so joining them repeats its row a few times)."""
    if not sku_ids:
        return {}
    result = await session.scalars(
        select(Sku)
        .where(Sku.id.in_(sorted(set(sku_ids))))
        .options(
            joinedload(Sku.product).joinedload(Product.cooperative),
            joinedload(Sku.price_tiers),
        )
    )
    return {sku.id: sku for sku in result.unique()}


async def stock_levels(session: AsyncSession, sku_ids: Collection[int]) -> dict[int, int]:
    if not sku_ids:
        return {}
    rows = await session.execute(select(Sku.id, Sku.stock).where(Sku.id.in_(sorted(set(sku_ids)))))
    return {row[0]: row[1] for row in rows}


async def first_thumbs(session: AsyncSession, product_ids: Collection[int]) -> dict[int, str]:
    """Each product's first photo's thumbnail key, one query."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(ProductPhoto.product_id, ProductPhoto.thumb_key)
        .where(ProductPhoto.product_id.in_(sorted(set(product_ids))))
        .order_by(ProductPhoto.product_id, ProductPhoto.position, ProductPhoto.id)
    )
    thumbs: dict[int, str] = {}
    for product_id, key in rows:
        thumbs.setdefault(product_id, key)
    return thumbs


async def provinces(session: AsyncSession) -> Sequence[Province]:
    return (await session.scalars(select(Province).order_by(Province.code))).all()


async def counties_of(session: AsyncSession, province_code: str) -> Sequence[County]:
    return (
        await session.scalars(
            select(County).where(County.province_code == province_code).order_by(County.code)
        )
    ).all()


async def line_count(
    session: AsyncSession, *, user_id: int | None, token_digest: str | None
) -> int:
    """How many lines the user's cart (or else the anonymous cart) holds."""
    owner = Cart.user_id == user_id if user_id is not None else Cart.token == token_digest
    count = await session.scalar(
        select(func.count())
        .select_from(CartItem)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(owner)
    )
    return int(count or 0)
