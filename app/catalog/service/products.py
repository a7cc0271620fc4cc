"""Suppliers editing their catalog: products, their SKUs and tier prices, owned or 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.catalog import indexing, repository
from app.catalog.errors import ProductNotFound, SkuCodeTaken, SkuNotFound
from app.catalog.listing import product_out, sku_out, today_in_china
from app.catalog.models import PriceTier, Product, ProductStatus, Sku
from app.catalog.schemas import (
    MAX_DESCRIPTION_CHARS,
    ProductIn,
    ProductOut,
    ProductPatch,
    SkuIn,
    SkuOut,
    SkuPatch,
)
from app.catalog.service.brands import check_brand_link
from app.catalog.service.descriptions import sanitize_description
from app.catalog.service.rules import (
    check_category,
    check_codes_free,
    check_listable,
    check_publishable,
    food_licence,
    months_text,
    new_sku,
    normalize_sku_code,
    raise_if,
    refresh_prices,
    sku_errors,
    slug_for,
    text_error,
    tier_errors,
)
from app.certification.service import get_owned_certificates
from app.cooperative.errors import CooperativeNotFound
from app.cooperative.service import get_member_cooperative
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.storage import MediaStorage
from app.inventory import service as inventory

# ---------------------------------------------------------------------------------------------
# Writing: derived fields follow in the same transaction; a code taken meanwhile is a 409


async def _refresh(session: AsyncSession, product: Product, skus: Sequence[Sku]) -> None:
    reference = await repository.get_reference_price(session, product.category_code, product.unit)
    refresh_prices(product, skus, reference)


async def _changed(session: AsyncSession, product: Product) -> None:
    """An existing product's prices follow its SKUs, and search reindexes it."""
    await _refresh(session, product, product.skus)
    await session.flush()
    await indexing.enqueue_reindex(session, product_ids=[product.id])


async def _add_or_code_taken(
    session: AsyncSession, *objects: object, codes: Sequence[str], field: str
) -> None:
    """Add and flush in a savepoint: a concurrent request that took the same SKU code between
    our check and this insert ends as 409 (and the session stays usable), not as a 500."""
    try:
        async with session.begin_nested():
            session.add_all(objects)
    except IntegrityError as exc:
        if "code" not in str(exc.orig).lower():
            raise
        raise SkuCodeTaken(", ".join(codes), field=field) from exc


# ---------------------------------------------------------------------------------------------
# Ownership: someone else's product or SKU answers 404


async def owned_product(
    session: AsyncSession, *, user: User, product_id: int, cooperative_id: int | None = None
) -> Product:
    """The product (fully loaded) if `user` is a member of its supplier, else 404; with
    `cooperative_id` (a portal URL's), it must also be that supplier's."""
    product = await repository.get_product(session, product_id)
    if product is None or cooperative_id not in (None, product.cooperative_id):
        raise ProductNotFound(product_id)
    try:
        await get_member_cooperative(session, user=user, cooperative_id=product.cooperative_id)
    except CooperativeNotFound:
        raise ProductNotFound(product_id) from None
    return product


async def _reloaded(
    session: AsyncSession, product_id: int, media: MediaStorage | None, today: date | None
) -> ProductOut:
    product = await repository.get_product(session, product_id)
    if product is None:  # pragma: no cover - it was just written in this transaction
        raise ProductNotFound(product_id)
    return product_out(product, today=today or today_in_china(), media=media)


# ---------------------------------------------------------------------------------------------
# Products


async def create_product(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    data: ProductIn,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """A new product of the user's supplier with its SKUs and tier prices.

    422 with field paths ("skus.0.price_fen") for bad input, 409 for a taken SKU code or an
    unverified supplier publishing; nothing is written unless everything is accepted.
    """
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    errors: dict[str, str] = {}
    for field, value, low, high in (("title", data.title, 2, 120), ("unit", data.unit, 1, 30)):
        if problem := text_error(value, low, high):
            errors[field] = problem
    description = sanitize_description(data.description)
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"at most {MAX_DESCRIPTION_CHARS} characters once cleaned"
    for index, sku in enumerate(data.skus):
        errors.update(sku_errors(sku, f"skus.{index}."))
    raise_if(errors)
    licence = food_licence(data.food_licence_number)
    category = await check_category(session, data.category)
    certificates = await get_owned_certificates(
        session, cooperative_id=cooperative.id, certificate_ids=data.certificate_ids
    )
    await check_codes_free(session, data.skus, "skus.")

    skus = [new_sku(s) for s in data.skus]
    status = ProductStatus(data.status)
    if status == ProductStatus.ACTIVE:
        # A new product has no photo yet (photos are uploaded to a product): this refuses,
        # saying to save a draft first, unless something else is missing before that.
        check_publishable(cooperative, skus, photo_count=0, category=category, licence=licence)
    product = Product(
        cooperative_id=cooperative.id,
        slug=f"new-{uuid.uuid4().hex}",  # replaced once the id is known
        title=data.title.strip(),
        description_html=description,
        category_code=data.category,
        unit=data.unit.strip(),
        status=status,
        season_months=months_text(data.season_months),
        shelf_life_days=data.shelf_life_days,
        storage_conditions=data.storage_conditions.strip(),
        food_licence_number=licence,
        published_at=utcnow() if status == ProductStatus.ACTIVE else None,
        skus=skus,
        certificates=certificates,
    )
    await _refresh(session, product, skus)
    await _add_or_code_taken(session, product, codes=[s.code for s in skus], field="skus")
    product.slug = slug_for(product.id, product.title)
    await session.flush()
    if status == ProductStatus.ACTIVE:
        await indexing.enqueue_reindex(session, product_ids=[product.id])
    return await _reloaded(session, product.id, media, today)


async def update_product(
    session: AsyncSession,
    *,
    user: User,
    product_id: int,
    cooperative_id: int | None = None,
    data: ProductPatch,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """Change the fields given; publishing needs a verified supplier, a SKU, a photo and,
    where the category needs one, a food production licence number."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    errors: dict[str, str] = {}
    if data.title is not None and (problem := text_error(data.title, 2, 120)):
        errors["title"] = problem
    if data.unit is not None and (problem := text_error(data.unit, 1, 30)):
        errors["unit"] = problem
    description = sanitize_description(data.description) if data.description is not None else None
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"at most {MAX_DESCRIPTION_CHARS} characters once cleaned"
    raise_if(errors)
    given = data.model_fields_set
    licence = (
        food_licence(data.food_licence_number)
        if "food_licence_number" in given
        else product.food_licence_number
    )
    category = (
        await check_category(session, data.category)
        if data.category is not None
        else product.category
    )
    certificates = (
        await get_owned_certificates(
            session, cooperative_id=product.cooperative_id, certificate_ids=data.certificate_ids
        )
        if data.certificate_ids is not None
        else None
    )
    status = ProductStatus(data.status) if data.status is not None else None
    photo_count = len(product.photos)
    if status == ProductStatus.ACTIVE:
        check_publishable(
            product.cooperative,
            product.skus,
            photo_count=photo_count,
            category=category,
            licence=licence,
        )
    elif status is None and product.status == ProductStatus.ACTIVE:
        # A listed product stays complete: no clearing its licence or moving it to a
        # category that needs one it lacks.
        check_listable(photo_count=photo_count, category=category, licence=licence)
    relink = "brand_id" in data.model_fields_set
    if relink and data.brand_id is not None:
        await check_brand_link(
            session,
            product,
            data.brand_id,
            certificates if certificates is not None else product.certificates,
            today or today_in_china(),
        )
    # Every check has passed: only now is the product changed, so that a refused request
    # leaves nothing behind in the session (a page re-renders its form with the same session).
    if certificates is not None:
        product.certificates = certificates
    if data.title is not None:
        product.title = data.title.strip()  # the slug stays: links already shared keep working
    if data.unit is not None:
        product.unit = data.unit.strip()
    if description is not None:
        product.description_html = description
    if data.category is not None:
        product.category_code = data.category
    if data.season_months is not None:
        product.season_months = months_text(data.season_months)
    if "shelf_life_days" in given:
        product.shelf_life_days = data.shelf_life_days
    if data.storage_conditions is not None:
        product.storage_conditions = data.storage_conditions.strip()
    if "food_licence_number" in given:
        product.food_licence_number = licence
    if relink:
        product.brand_id = data.brand_id
    if status is not None:
        product.status = status
        if status == ProductStatus.ACTIVE and product.published_at is None:
            product.published_at = utcnow()
    await _changed(session, product)
    return await _reloaded(session, product.id, media, today)


async def add_sku(
    session: AsyncSession,
    *,
    user: User,
    product_id: int,
    cooperative_id: int | None = None,
    data: SkuIn,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """A further variant of a product; the product's price and stock summary follow."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    raise_if(sku_errors(data, ""))
    codes_taken = await repository.taken_sku_codes(session, [normalize_sku_code(data.code)])
    if codes_taken:
        raise SkuCodeTaken(normalize_sku_code(data.code), field="code")
    sku = new_sku(data)
    sku.product_id = product.id
    await _add_or_code_taken(session, sku, codes=[sku.code], field="code")
    await session.refresh(product, ["skus"])
    await _changed(session, product)
    return await _reloaded(session, product.id, media, today)


async def update_sku(
    session: AsyncSession,
    *,
    user: User,
    sku_id: int,
    data: SkuPatch,
    cooperative_id: int | None = None,
    product_id: int | None = None,
) -> SkuOut:
    """A new price, stock or set of tier prices; tiers must stay below the base price. A new
    stock goes through the inventory (the row locked, the change logged as a movement).

    With `cooperative_id` and `product_id` (a portal URL's), the SKU must be theirs too.
    """
    found = await repository.get_sku(session, sku_id)
    if found is None or product_id not in (None, found.product_id):
        raise SkuNotFound(sku_id)
    try:
        product = await owned_product(
            session, user=user, product_id=found.product_id, cooperative_id=cooperative_id
        )
    except ProductNotFound:
        raise SkuNotFound(sku_id) from None
    sku = next(s for s in product.skus if s.id == sku_id)
    price = data.price_fen if data.price_fen is not None else sku.price_fen
    if data.price_tiers is not None:
        raise_if(tier_errors(data.price_tiers, min_qty=sku.min_qty, price_fen=price, prefix=""))
    elif sku.price_tiers and price <= sku.price_tiers[0].price_fen:
        raise ValidationFailed(
            "The base price must stay above the tier prices.",
            fields={"price_fen": "must be above every tier price; change the tiers first"},
        )
    if data.stock is not None:
        await inventory.set_stock(session, sku, data.stock)
    sku.price_fen = price
    if data.price_tiers is not None:
        # Old tiers go first: the new ones may reuse their quantities (unique per SKU).
        sku.price_tiers.clear()
        await session.flush()
        sku.price_tiers.extend(
            PriceTier(min_qty=t.min_qty, price_fen=t.price_fen) for t in data.price_tiers
        )
    await _changed(session, product)
    return sku_out(sku)
