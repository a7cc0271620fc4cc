"""The public supplier page: a verified supplier's county, story, valid certificates (with the
scans it uploaded), households supported and its listed products, a page at a time."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.listing.product_views import certificate_badge, county_ref
from app.catalog.listing.summaries import summaries, today_in_china
from app.catalog.repository import ListingFilters
from app.catalog.schemas import SupplierProfile
from app.certification.service import badge_is_valid, certificates_for_cooperative
from app.cooperative.errors import CooperativeNotFound
from app.core.clock import china_date
from app.core.fields import MAX_ID
from app.core.storage import MediaStorage
from app.regions.errors import PageOutOfRange

SUPPLIER_PAGE_PRODUCTS = 24


async def supplier_profile(
    session: AsyncSession,
    cooperative_id: int,
    *,
    page: int = 1,
    per_page: int = SUPPLIER_PAGE_PRODUCTS,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> SupplierProfile:
    """A verified supplier's page; any other supplier (pending, suspended, rejected) or none is
    404 cooperative_not_found, a page past the last 404 page_out_of_range."""
    cooperative = (
        await repository.get_public_cooperative(session, cooperative_id)
        if 1 <= cooperative_id <= MAX_ID
        else None
    )
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    today = today or today_in_china()
    filters = ListingFilters(today=today, cooperative_id=cooperative.id)
    total = await repository.count_listed(session, filters)
    last_page = max(1, -(-total // per_page))
    if page > last_page:
        raise PageOutOfRange(page, last_page)
    rows = await repository.search_listed(
        session, filters, sort="newest", offset=(page - 1) * per_page, limit=per_page
    )
    valid = [
        c
        for c in await certificates_for_cooperative(session, cooperative.id)
        if badge_is_valid(c, today)
    ]
    return SupplierProfile(
        id=cooperative.id,
        name=cooperative.name,
        kind=cooperative.kind.value,
        county=county_ref(cooperative.county),
        prefecture_name=cooperative.county.prefecture.name,
        story=(cooperative.description or "").strip(),
        households_supported=cooperative.households_supported,
        verified_on=china_date(cooperative.verified_at) if cooperative.verified_at else None,
        certificates=[
            certificate_badge(c, media) for c in sorted(valid, key=lambda c: (c.kind.value, c.id))
        ],
        products=await summaries(session, rows, today, media),
        product_count=total,
        page=page,
        per_page=per_page,
    )
