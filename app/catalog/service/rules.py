"""The rules of a supplier's catalog input, and the product fields derived from its SKUs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.errors import (
    FoodLicenceInvalid,
    ProductNeedsFoodLicence,
    ProductNeedsPhoto,
    ProductNeedsSku,
    SkuCodeTaken,
    UnknownCategory,
)
from app.catalog.models import Category, PriceTier, Product, ReferencePrice, Sku
from app.catalog.schemas import PriceTierIn, SkuIn
from app.cooperative.models import Cooperative
from app.cooperative.service import ensure_can_sell
from app.core.errors import ValidationFailed
from app.core.identifiers import parse_food_licence
from app.core.money import BASIS_POINTS

SKU_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
_SLUG_WORD = re.compile(r"[a-z0-9]+")
SLUG_WORDS_MAX = 60

# ---------------------------------------------------------------------------------------------
# Input rules


def normalize_sku_code(code: str) -> str:
    """SKU codes are compared upper-case: bulk-order files name them by hand."""
    return code.strip().upper()


def tier_errors(
    tiers: Sequence[PriceTierIn], *, min_qty: int, price_fen: int, prefix: str
) -> dict[str, str]:
    """Tiers need strictly increasing quantities above the SKU's minimum and strictly
    decreasing prices below the base price."""
    errors: dict[str, str] = {}
    previous_qty, previous_price = min_qty, price_fen
    for index, tier in enumerate(tiers):
        path = f"{prefix}price_tiers.{index}"
        if tier.min_qty <= previous_qty:
            errors[f"{path}.min_qty"] = (
                "must be above the SKU's min_qty and the previous tier's min_qty"
            )
        if tier.price_fen >= previous_price:
            errors[f"{path}.price_fen"] = (
                "must be below the base price and the previous tier's price"
            )
        previous_qty, previous_price = tier.min_qty, tier.price_fen
    return errors


def sku_errors(sku: SkuIn, prefix: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not SKU_CODE.match(normalize_sku_code(sku.code)):
        errors[f"{prefix}code"] = "1–40 letters, digits, '.', '_' or '-', starting with one"
    if not sku.name.strip():
        errors[f"{prefix}name"] = "must not be blank"
    errors.update(
        tier_errors(sku.price_tiers, min_qty=sku.min_qty, price_fen=sku.price_fen, prefix=prefix)
    )
    return errors


def text_error(value: str, low: int, high: int) -> str | None:
    length = len(value.strip())
    return None if low <= length <= high else f"{low}–{high} characters"


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)


async def check_category(session: AsyncSession, code: str) -> Category:
    category = await repository.get_category(session, code)
    if category is None:
        raise UnknownCategory(code)
    return category


def food_licence(raw: str | None) -> str | None:
    """The canonical licence number, None for none (null or blank), else 422
    food_licence_invalid."""
    if raw is None or not raw.strip():
        return None
    try:
        return parse_food_licence(raw)
    except ValueError as exc:
        raise FoodLicenceInvalid(str(exc)) from None


async def check_codes_free(session: AsyncSession, skus: Sequence[SkuIn], prefix: str) -> None:
    """409 sku_code_taken for a code used by any SKU, or twice in the same request."""
    codes = [normalize_sku_code(s.code) for s in skus]
    taken = await repository.taken_sku_codes(session, codes)
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in taken or code in seen:
            raise SkuCodeTaken(code, field=f"{prefix}{index}.code")
        seen.add(code)


def new_sku(data: SkuIn) -> Sku:
    return Sku(
        code=normalize_sku_code(data.code),
        name=data.name.strip(),
        price_fen=data.price_fen,
        stock=data.stock,
        weight_grams=data.weight_grams,
        min_qty=data.min_qty,
        is_active=True,
        price_tiers=[PriceTier(min_qty=t.min_qty, price_fen=t.price_fen) for t in data.price_tiers],
    )


def months_text(months: Sequence[int]) -> str:
    return ",".join(str(m) for m in sorted(set(months)))


def slug_for(product_id: int, title: str) -> str:
    words = "-".join(_SLUG_WORD.findall(title.lower()))[:SLUG_WORDS_MAX].strip("-")
    return f"{product_id}-{words or 'p'}"


# ---------------------------------------------------------------------------------------------
# Derived fields: kept in the same transaction as the change that affects them


def refresh_prices(product: Product, skus: Sequence[Sku], reference: ReferencePrice | None) -> None:
    """min_price_fen, in_stock and price_flagged from the product's (active) SKUs."""
    active = [s for s in skus if s.is_active]
    product.min_price_fen = min((s.price_fen for s in active), default=0)
    product.in_stock = any(s.stock > 0 for s in active)
    product.price_flagged = reference is not None and any(
        # Integer arithmetic: price > reference × ratio / 10 000, without rounding.
        s.price_fen * BASIS_POINTS > reference.price_fen * reference.flag_ratio_bp
        for s in active
    )


def check_publishable(
    cooperative: Cooperative,
    skus: Sequence[Sku],
    *,
    photo_count: int,
    category: Category,
    licence: str | None,
) -> None:
    """Before a product becomes active: a verified supplier, something to buy, and what
    check_listable asks."""
    ensure_can_sell(cooperative)
    if not any(s.is_active for s in skus):
        raise ProductNeedsSku()
    check_listable(photo_count=photo_count, category=category, licence=licence)


def check_listable(*, photo_count: int, category: Category, licence: str | None) -> None:
    """What a listed product keeps while listed: a photo, and the food production licence
    where its category needs one."""
    if photo_count < 1:
        raise ProductNeedsPhoto()
    if category.requires_food_licence and not licence:
        raise ProductNeedsFoodLicence(category.code)
