"""Price monitoring: operators' reference prices, and the products priced far above them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.catalog import repository
from app.catalog.models import ReferencePrice
from app.catalog.portal_schemas import FlaggedProduct, ReferencePriceIn, ReferencePriceOut
from app.catalog.schemas import CooperativeRef
from app.catalog.service.rules import check_category, raise_if, refresh_prices, text_error


async def set_reference_price(
    session: AsyncSession, *, actor: User, data: ReferencePriceIn
) -> ReferencePriceOut:
    """Create or change the reference price of a category and unit; re-flag its products."""
    unit = data.unit.strip()
    raise_if({"unit": problem} if (problem := text_error(data.unit, 1, 30)) else {})
    await check_category(session, data.category)
    reference = await repository.get_reference_price(session, data.category, unit)
    before = (
        {"price_fen": reference.price_fen, "flag_ratio_bp": reference.flag_ratio_bp}
        if reference is not None
        else None
    )
    if reference is None:
        reference = ReferencePrice(category_code=data.category, unit=unit)
        session.add(reference)
    reference.price_fen = data.price_fen
    reference.flag_ratio_bp = data.flag_ratio_bp
    await session.flush()
    products = await repository.products_priced_against(session, data.category, unit)
    for product in products:
        refresh_prices(product, product.skus, reference)
    await session.flush()
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="catalog.set_reference_price",
        entity_kind="reference_price",
        entity_id=reference.id,
        before=before,
        after={
            "category": data.category,
            "unit": unit,
            "price_fen": data.price_fen,
            "flag_ratio_bp": data.flag_ratio_bp,
        },
    )
    return ReferencePriceOut(
        category=data.category,
        unit=unit,
        price_fen=reference.price_fen,
        flag_ratio_bp=reference.flag_ratio_bp,
        flagged_products=sum(p.price_flagged for p in products),
    )


async def list_flagged_products(
    session: AsyncSession, *, cooperative_id: int | None = None
) -> list[FlaggedProduct]:
    """Products priced above their reference price × ratio (all, or one supplier's), for
    operators to review."""
    return [
        FlaggedProduct(
            id=row.product_id,
            slug=row.slug,
            status=str(row.status),
            title=row.title,
            unit=row.unit,
            category=row.category_code,
            max_price_fen=row.max_price_fen,
            reference_price_fen=row.reference_price_fen,
            flag_ratio_bp=row.flag_ratio_bp,
            ratio_bp=row.max_price_fen * 10_000 // row.reference_price_fen,
            cooperative=CooperativeRef(id=row.cooperative_id, name=row.cooperative_name),
        )
        for row in await repository.flagged_products(session, cooperative_id=cooperative_id)
    ]


@dataclass(frozen=True)
class PriceMonitoring:
    """The operator's page: reference prices by category and unit, and the flagged products."""

    references: list[ReferencePriceOut]
    flagged: list[FlaggedProduct]
    categories: list[tuple[str, str]]  # (code, Chinese name)


async def price_monitoring(session: AsyncSession) -> PriceMonitoring:
    references = await repository.list_reference_prices(session)
    flagged = await list_flagged_products(session)
    flagged_by_key: dict[tuple[str, str], int] = {}
    for product in flagged:
        key = (product.category, product.unit)
        flagged_by_key[key] = flagged_by_key.get(key, 0) + 1
    return PriceMonitoring(
        references=[
            ReferencePriceOut(
                category=reference.category_code,
                unit=reference.unit,
                price_fen=reference.price_fen,
                flag_ratio_bp=reference.flag_ratio_bp,
                flagged_products=flagged_by_key.get((reference.category_code, reference.unit), 0),
            )
            for reference in references
        ],
        flagged=flagged,
        categories=[(c.code, c.name_zh) for c in await repository.list_categories(session)],
    )


async def count_flagged(session: AsyncSession, _scope: int = 0) -> int:
    """Products priced far above their reference (the back office's menu count)."""
    return await repository.count_flagged_products(session)
