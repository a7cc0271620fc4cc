"""Regional public brands (区域公用品牌): an operator creates and changes them; a supplier sells a
product under one when the product's county lies in the brand's region and, where the brand
requires a certificate kind, the product carries a valid, verified one of that kind."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.catalog import indexing, repository
from app.catalog.brand_schemas import BrandCountyOut, BrandIn, BrandOut, BrandPatch
from app.catalog.errors import (
    BrandCertificateMissing,
    BrandNameTaken,
    BrandNotFound,
    BrandRegionMismatch,
    BrandSlugTaken,
    InvalidBrandCounties,
    UnknownBrand,
)
from app.catalog.listing.caching import REFERENCE
from app.catalog.listing.summaries import media_url
from app.catalog.models import Brand, BrandCounty, Product
from app.certification.models import Certificate, CertificateKind
from app.core.cache import Caches
from app.core.fields import MAX_ID
from app.core.images import process_image_off_loop
from app.core.storage import MediaStorage
from app.jobs.media import discard_after_commit

LOGO_FIELD = "file"


def _brands_changed(session: AsyncSession) -> None:
    """Listings name and check brands from the reference cache: it goes, with cached pages."""
    caches = Caches.of(session)
    if caches is not None:
        caches.cache(REFERENCE).clear()
    indexing.catalog_changed(session)


def brand_out(
    brand: Brand, names: dict[str, BrandCountyOut], media: MediaStorage | None
) -> BrandOut:
    return BrandOut(
        id=brand.id,
        slug=brand.slug,
        name=brand.name,
        story=brand.story,
        owner=brand.owner,
        required_certificate_kind=(
            brand.required_certificate_kind.value if brand.required_certificate_kind else None
        ),
        logo_url=media_url(brand.logo_key, media) if brand.logo_key else None,
        counties=[names[c.county_code] for c in brand.counties if c.county_code in names],
    )


async def county_views(session: AsyncSession, codes: Sequence[str]) -> dict[str, BrandCountyOut]:
    counties = await repository.counties_by_code(session, set(codes))
    return {
        code: BrandCountyOut(
            code=code,
            name=county.name,
            province_name=county.province.name,
            key_assistance=county.key_assistance,
        )
        for code, county in counties.items()
    }


async def _check_counties(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """The codes, each a county of China's reference data; 422 naming every other entry."""
    wanted = {c for c in codes if len(c) == 6 and c.isascii() and c.isdigit()}
    known = await repository.counties_by_code(session, wanted)
    problems = {
        f"county_codes.{i}": "not a county code" if code not in wanted else "unknown county"
        for i, code in enumerate(codes)
        if code not in known
    }
    if problems:
        raise InvalidBrandCounties(problems)
    return sorted(set(codes))


async def _check_free(
    session: AsyncSession, *, slug: str | None, name: str | None, other_than: int | None = None
) -> None:
    slug_taken, name_taken = await repository.brand_taken(
        session, slug=slug, name=name, other_than=other_than
    )
    if slug_taken and slug is not None:
        raise BrandSlugTaken(slug)
    if name_taken and name is not None:
        raise BrandNameTaken(name)


async def _add_unique(session: AsyncSession, brand: Brand, *, slug: str, name: str) -> None:
    """Insert in a savepoint: a concurrent request that took the slug or name between our
    check and this insert ends as 409 (the session stays usable), not as a 500."""
    try:
        async with session.begin_nested():
            session.add(brand)
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "slug" in message:
            raise BrandSlugTaken(slug) from exc
        if "name" in message:
            raise BrandNameTaken(name) from exc
        raise


def _snapshot(brand: Brand) -> dict[str, object]:
    return {
        "slug": brand.slug,
        "name": brand.name,
        "owner": brand.owner,
        "required_certificate_kind": (
            brand.required_certificate_kind.value if brand.required_certificate_kind else None
        ),
        "county_codes": [c.county_code for c in brand.counties],
    }


async def create_brand(
    session: AsyncSession, *, actor: User, data: BrandIn, media: MediaStorage | None = None
) -> BrandOut:
    """A new brand (an operator's act; audited). 422 for a county outside China's codes,
    409 for a slug or name in use; nothing is stored then."""
    codes = await _check_counties(session, data.county_codes)
    await _check_free(session, slug=data.slug, name=data.name.strip())
    brand = Brand(
        slug=data.slug,
        name=data.name.strip(),
        story=data.story.strip(),
        owner=data.owner.strip(),
        required_certificate_kind=(
            CertificateKind(data.required_certificate_kind)
            if data.required_certificate_kind
            else None
        ),
        counties=[BrandCounty(county_code=code) for code in codes],
    )
    await _add_unique(session, brand, slug=brand.slug, name=brand.name)
    _brands_changed(session)
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="catalog.create_brand",
        entity_kind="brand",
        entity_id=brand.id,
        after=_snapshot(brand),
    )
    return brand_out(brand, await county_views(session, codes), media)


async def get_brand(session: AsyncSession, brand_id: int) -> Brand:
    brand = await repository.get_brand(session, brand_id) if 1 <= brand_id <= MAX_ID else None
    if brand is None:
        raise BrandNotFound(brand_id)
    return brand


async def update_brand(
    session: AsyncSession,
    *,
    actor: User,
    brand_id: int,
    data: BrandPatch,
    media: MediaStorage | None = None,
) -> BrandOut:
    """Change the fields given (operator; audited). Products already linked keep their link;
    those whose county leaves the region stop showing under the brand (and are reindexed)."""
    brand = await get_brand(session, brand_id)
    codes = (
        await _check_counties(session, data.county_codes) if data.county_codes is not None else None
    )
    await _check_free(
        session,
        slug=data.slug if data.slug != brand.slug else None,
        name=data.name.strip() if data.name is not None and data.name != brand.name else None,
        other_than=brand.id,
    )
    before = _snapshot(brand)
    if data.name is not None:
        brand.name = data.name.strip()
    if data.slug is not None:
        brand.slug = data.slug
    if data.story is not None:
        brand.story = data.story.strip()
    if data.owner is not None:
        brand.owner = data.owner.strip()
    if "required_certificate_kind" in data.model_fields_set:
        kind = data.required_certificate_kind
        brand.required_certificate_kind = CertificateKind(kind) if kind else None
    if codes is not None:
        brand.counties = [BrandCounty(county_code=code) for code in codes]
    await session.flush()
    _brands_changed(session)
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="catalog.update_brand",
        entity_kind="brand",
        entity_id=brand.id,
        before=before,
        after=_snapshot(brand),
    )
    await indexing.enqueue_reindex(
        session, product_ids=await repository.brand_product_ids_all(session, brand.id)
    )
    brand = await get_brand(session, brand.id)
    names = await county_views(session, [c.county_code for c in brand.counties])
    return brand_out(brand, names, media)


async def set_brand_logo(
    session: AsyncSession, media: MediaStorage, *, actor: User, brand_id: int, data: bytes
) -> BrandOut:
    """Store the brand's logo (re-encoded; 422 for anything but a usable image, and nothing
    is stored then); the previous logo's file goes once this commits."""
    brand = await get_brand(session, brand_id)
    image = await process_image_off_loop(data, field=LOGO_FIELD)
    key = f"brands/{brand.id}/{uuid.uuid4().hex}.jpg"
    if brand.logo_key:
        await discard_after_commit(session, [brand.logo_key])
    brand.logo_key = key
    await session.flush()
    _brands_changed(session)
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="catalog.set_brand_logo",
        entity_kind="brand",
        entity_id=brand.id,
        after={"logo_key": key},
    )
    await media.save(key, image.image)
    names = await county_views(session, [c.county_code for c in brand.counties])
    return brand_out(brand, names, media)


async def check_brand_link(
    session: AsyncSession,
    product: Product,
    brand_id: int,
    certificates: Sequence[Certificate],
    today: date,
) -> Brand:
    """The brand a product may be linked to, or 422: `brand_not_found`, `brand_region_mismatch`
    (the product's county is outside the region), `brand_certificate_missing` (the brand's
    required kind is not among the product's valid, verified certificates)."""
    brand = await repository.get_brand(session, brand_id)
    if brand is None:
        raise UnknownBrand(brand_id)
    county = product.cooperative.county
    if county.code not in {c.county_code for c in brand.counties}:
        raise BrandRegionMismatch(brand.name, county.name)
    required = brand.required_certificate_kind
    if required is not None and not await repository.product_brand_certificates(
        session, [c.id for c in certificates], required.value, today
    ):
        raise BrandCertificateMissing(brand.name, required.value)
    return brand
