"""The supplier portal's views of its catalog: the product list, the product forms."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.catalog import repository
from app.catalog.listing import media_url, product_out, today_in_china
from app.catalog.portal_schemas import (
    BrandChoice,
    CertificateOption,
    PortalProduct,
    PortalProducts,
    ProductEditor,
    ProductFormOptions,
)
from app.catalog.schemas import CategoryOut, CooperativeRef
from app.catalog.service.products import owned_product
from app.certification.service import badge_is_valid, certificates_for_cooperative
from app.cooperative.models import Cooperative
from app.cooperative.service import get_member_cooperative
from app.core.storage import MediaStorage


async def portal_products(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    media: MediaStorage | None = None,
) -> PortalProducts:
    """Every product of the user's supplier with its status, price range, stock and flags."""
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    rows: list[PortalProduct] = []
    for product in await repository.cooperative_products(session, cooperative.id):
        prices = [s.price_fen for s in product.skus if s.is_active]
        rows.append(
            PortalProduct(
                id=product.id,
                slug=product.slug,
                title=product.title,
                status=product.status.value,
                unit=product.unit,
                min_price_fen=min(prices, default=0),
                max_price_fen=max(prices, default=0),
                total_stock=sum(s.stock for s in product.skus if s.is_active),
                sku_count=len(product.skus),
                in_stock=product.in_stock,
                thumb_url=media_url(product.photos[0].thumb_key, media) if product.photos else None,
                price_flagged=product.price_flagged,
            )
        )
    return PortalProducts(
        cooperative=CooperativeRef(id=cooperative.id, name=cooperative.name),
        cooperative_status=cooperative.status.value,
        products=rows,
    )


async def _form_options(
    session: AsyncSession, cooperative: Cooperative, today: date
) -> ProductFormOptions:
    categories = await repository.list_categories(session)
    certificates = await certificates_for_cooperative(session, cooperative.id)
    return ProductFormOptions(
        cooperative=CooperativeRef(id=cooperative.id, name=cooperative.name),
        cooperative_status=cooperative.status.value,
        categories=[
            CategoryOut(code=c.code, name=c.name_zh, requires_food_licence=c.requires_food_licence)
            for c in categories
        ],
        certificates=[
            CertificateOption(
                id=c.id,
                kind=c.kind.value,
                number=c.number,
                status=c.status.value,
                valid_until=c.valid_until,
                backs_label=badge_is_valid(c, today),
            )
            for c in certificates
        ],
        brands=[
            BrandChoice(
                id=b.id,
                name=b.name,
                required_certificate_kind=(
                    b.required_certificate_kind.value if b.required_certificate_kind else None
                ),
            )
            for b in await repository.brands_covering(session, cooperative.county_code)
        ],
    )


async def product_form_options(
    session: AsyncSession, *, user: User, cooperative_id: int, today: date | None = None
) -> ProductFormOptions:
    """The new-product form's choices for a member of the supplier (others 404)."""
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    return await _form_options(session, cooperative, today or today_in_china())


async def product_editor(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    product_id: int,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductEditor:
    """The edit page of one of the supplier's products (404 unless it is this supplier's)."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    today = today or today_in_china()
    return ProductEditor(
        options=await _form_options(session, product.cooperative, today),
        product=product_out(product, today=today, media=media),
    )
