"""Reading brands for their pages: the index and one brand with its suppliers, products and the
benefit its products brought (from the impact ledger)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.brands.schemas import BrandBenefit, BrandDetail, BrandSupplier
from app.catalog import repository as catalog_repository
from app.catalog.errors import BrandNotFound
from app.catalog.listing import today_in_china
from app.catalog.listing.summaries import media_url, summary
from app.catalog.schemas import BrandListItem
from app.catalog.service.brands import county_views
from app.core.storage import MediaStorage
from app.impact import reports

MAX_SLUG_CHARS = 60


async def list_brands(
    session: AsyncSession, *, media: MediaStorage | None = None, today: date | None = None
) -> list[BrandListItem]:
    """Every brand by name, with its county count and the products shown under it today."""
    rows = await catalog_repository.brand_list(session, today or today_in_china())
    return [
        BrandListItem(
            id=brand.id,
            slug=brand.slug,
            name=brand.name,
            owner=brand.owner,
            logo_url=media_url(brand.logo_key, media) if brand.logo_key else None,
            county_count=counties,
            product_count=products,
        )
        for brand, counties, products in rows
    ]


async def brand_detail(
    session: AsyncSession,
    slug: str,
    *,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> BrandDetail:
    """A brand by slug (404 `brand_not_found`): products whose link holds today, their
    suppliers, and the net amount its products brought over every year."""
    today = today or today_in_china()
    plausible = len(slug) <= MAX_SLUG_CHARS and "\x00" not in slug
    brand = await catalog_repository.get_brand_by_slug(session, slug) if plausible else None
    if brand is None:
        raise BrandNotFound(slug)
    codes = [c.county_code for c in brand.counties]
    counties = await county_views(session, codes)
    ids = await catalog_repository.brand_product_ids(session, brand.id, today)
    rows = await catalog_repository.page_rows(session, ids, today)
    suppliers = [
        BrandSupplier(
            id=cid, name=name, county_code=code, county_name=county, households_supported=homes
        )
        for cid, name, code, county, homes in await catalog_repository.brand_suppliers(
            session, brand.id, today
        )
    ]
    amount, orders = await reports.products_benefit(session, ids)
    return BrandDetail(
        id=brand.id,
        slug=brand.slug,
        name=brand.name,
        story=brand.story,
        owner=brand.owner,
        required_certificate_kind=(
            brand.required_certificate_kind.value if brand.required_certificate_kind else None
        ),
        logo_url=media_url(brand.logo_key, media) if brand.logo_key else None,
        counties=[counties[code] for code in codes if code in counties],
        suppliers=suppliers,
        products=[summary(r.summary, r.labels, r.thumb_key, media) for r in rows],
        benefit=BrandBenefit(
            amount_fen=amount,
            order_count=orders,
            households_supported=sum(s.households_supported for s in suppliers),
        ),
    )
