"""Products as lists show them (cards): media URLs, labels and thumbnails, the day in China."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.repository import SummaryRow
from app.catalog.schemas import BrandRef, CooperativeRef, CountyRef, ProductSummary, rating_summary
from app.certification.models import CertificateKind
from app.core.clock import china_date, utcnow
from app.core.storage import MediaStorage, check_key

# The app mounts media storage here (app.main); listings only need the URL of a key.
MEDIA_URL_PREFIX = "/media"

# The label facet's labels; the kinds are the certificate kinds (zh-CN is the source language).
LABEL_NAMES: dict[str, str] = {
    CertificateKind.GI.value: "地理标志农产品",
    CertificateKind.GREEN_FOOD.value: "绿色食品",
    CertificateKind.ORGANIC.value: "有机产品",
}
# What buyers type for each label, in Chinese and English: a query's label word filters by
# the label (search.understanding), as choosing the label facet does.
LABEL_WORDS: dict[str, tuple[str, ...]] = {
    CertificateKind.GI.value: (
        "地理标志",
        "地理标志产品",
        "地理标志农产品",
        "农产品地理标志",
        "国家地理标志",
        "国家地理标志产品",
        "地标",
        "地标产品",
        "geographical indication",
        "geographic indication",
    ),
    CertificateKind.GREEN_FOOD.value: ("绿色食品", "绿色食品认证", "绿标", "green food"),
    CertificateKind.ORGANIC.value: (
        "有机",
        "有机产品",
        "有机食品",
        "有机认证",
        "organic",
        "organic food",
    ),
}


def today_in_china() -> date:
    return china_date(utcnow())


def media_url(key: str, media: MediaStorage | None = None) -> str:
    return media.url(key) if media is not None else f"{MEDIA_URL_PREFIX}/{check_key(key)}"


def brand_of(row: SummaryRow, labels: list[str]) -> BrandRef | None:
    """The row's brand while its link holds: no certificate required, or the required kind
    among the product's valid labels (so the brand lapses with the certificate, as labels do)."""
    if row.brand_slug is None or row.brand_name is None:
        return None
    if row.brand_required is not None and row.brand_required not in labels:
        return None
    return BrandRef.model_construct(slug=row.brand_slug, name=row.brand_name)


def summary(
    row: SummaryRow, labels: list[str], thumb: str | None, media: MediaStorage | None
) -> ProductSummary:
    # Built without re-validation: every value comes typed from the database.
    return ProductSummary.model_construct(
        id=row.id,
        slug=row.slug,
        title=row.title,
        min_price_fen=row.min_price_fen,
        unit=row.unit,
        image_url=media_url(thumb, media) if thumb is not None else None,
        in_stock=row.in_stock,
        labels=labels,
        cooperative=CooperativeRef.model_construct(
            id=row.cooperative_id, name=row.cooperative_name
        ),
        county=CountyRef.model_construct(
            code=row.county_code,
            name=row.county_name,
            province_code=row.province_code,
            province_name=row.province_name,
            key_assistance=row.key_assistance,
        ),
        rating=rating_summary(row.rating_sum, row.rating_count),
        brand=brand_of(row, labels),
    )


async def summaries(
    session: AsyncSession,
    rows: Sequence[SummaryRow],
    today: date,
    media: MediaStorage | None,
) -> list[ProductSummary]:
    """Summaries of a page of rows: labels and thumbnails come in one query."""
    labels, thumbs = await repository.labels_and_thumbnails(session, [r.id for r in rows], today)
    return [summary(row, labels.get(row.id, []), thumbs.get(row.id), media) for row in rows]
