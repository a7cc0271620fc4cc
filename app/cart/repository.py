"""Queries of the cart domain: carts, their lines, and what pricing needs of the catalog."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cart.models import Cart, CartItem
from app.catalog.models import PriceTier, Product, ProductPhoto, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.db import table_of
from app.regions.models import County, Province
from app.shipping.models import ShippingRule, ShippingTerms


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


# What pricing reads of a SKU, its product, supplier and tiers: records with the attribute
# names of the models (Sku, Product, Cooperative, PriceTier), read with one plain statement
# of the columns it needs (no ORM objects: every checkout and cart view prices).


@dataclass(frozen=True, slots=True)
class PricingCooperative:
    name: str
    county_code: str
    status: SupplierStatus


@dataclass(frozen=True, slots=True)
class PricingProduct:
    id: int
    slug: str
    title: str
    status: ProductStatus
    category_code: str
    cooperative_id: int
    cooperative: PricingCooperative


@dataclass(frozen=True, slots=True)
class PricingTier:
    min_qty: int
    price_fen: int


@dataclass(frozen=True, slots=True)
class PricingSku:
    id: int
    code: str
    name: str
    price_fen: int
    stock: int
    min_qty: int
    weight_grams: int
    is_active: bool
    product: PricingProduct
    price_tiers: list[PricingTier]


@dataclass(frozen=True, slots=True)
class PricingRead:
    """The SKUs by id, and the shipping rules of their suppliers that have one (by supplier)."""

    skus: dict[int, PricingSku]
    rules: dict[int, ShippingTerms]


_SKUS, _PRODUCTS, _COOPERATIVES, _TIERS, _RULES = (
    table_of(Sku),
    table_of(Product),
    table_of(Cooperative),
    table_of(PriceTier),
    table_of(ShippingRule),
)
# A SKU has a few tiers at most: joining them repeats its row a few times; a supplier has one
# shipping rule at most, read here rather than in a statement of its own.
_FOR_PRICING = (
    select(
        _SKUS.c.id,
        _SKUS.c.code,
        _SKUS.c.name,
        _SKUS.c.price_fen,
        _SKUS.c.stock,
        _SKUS.c.min_qty,
        _SKUS.c.weight_grams,
        _SKUS.c.is_active,
        _PRODUCTS.c.id,
        _PRODUCTS.c.slug,
        _PRODUCTS.c.title,
        _PRODUCTS.c.status,
        _PRODUCTS.c.category_code,
        _PRODUCTS.c.cooperative_id,
        _COOPERATIVES.c.name,
        _COOPERATIVES.c.county_code,
        _COOPERATIVES.c.status,
        _TIERS.c.min_qty,
        _TIERS.c.price_fen,
        _RULES.c.id,
        _RULES.c.base_fee_fen,
        _RULES.c.per_kg_fen,
        _RULES.c.free_above_fen,
        _RULES.c.cold_chain_surcharge_fen,
        _RULES.c.excluded_province_codes,
    )
    .join(_PRODUCTS, _PRODUCTS.c.id == _SKUS.c.product_id)
    .join(_COOPERATIVES, _COOPERATIVES.c.id == _PRODUCTS.c.cooperative_id)
    .outerjoin(_TIERS, _TIERS.c.sku_id == _SKUS.c.id)
    .outerjoin(_RULES, _RULES.c.cooperative_id == _COOPERATIVES.c.id)
    .where(_SKUS.c.id.in_(bindparam("sku_ids", expanding=True)))
    .order_by(_SKUS.c.id, _TIERS.c.min_qty)
)


async def skus_for_pricing(session: AsyncSession, sku_ids: Collection[int]) -> PricingRead:
    """SKUs with product, supplier and price tiers, and the suppliers' shipping rules, in one
    query."""
    skus: dict[int, PricingSku] = {}
    rules: dict[int, ShippingTerms] = {}
    if not sku_ids:
        return PricingRead(skus, rules)
    rows = await session.execute(_FOR_PRICING, {"sku_ids": sorted(set(sku_ids))})
    for row in rows:
        sku = skus.get(row[0])
        if sku is None:
            cooperative = PricingCooperative(row[14], row[15], SupplierStatus(row[16]))
            product = PricingProduct(
                row[8], row[9], row[10], ProductStatus(row[11]), row[12], row[13], cooperative
            )
            sku = PricingSku(
                row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], product, []
            )
            skus[sku.id] = sku
        if row[17] is not None:
            sku.price_tiers.append(PricingTier(row[17], row[18]))
        if row[19] is not None and row[13] not in rules:
            rules[row[13]] = ShippingTerms(
                row[13], row[20], row[21], row[22], row[23], list(row[24] or [])
            )
    return PricingRead(skus, rules)


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
