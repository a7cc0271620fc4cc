"""Demo regional public brands (区域公用品牌), drawn from the regional brands the specialty
reference data notes (data/reference/specialty_products.csv, `brand_or_note`: 赣南脐橙 "赣州市品牌",
百色芒果 "百色市品牌", …). A brand's region is the prefecture of the county the data lists it
under; its demo products from that region whose title names the product are linked, where the
brand requires a certificate kind only those with a valid, verified one. The associations that
own the brands are not in the reference data: their names are marked as demo data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.catalog.models import Brand, BrandCounty, Product
from app.certification.models import CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative
from app.core.images import process_image
from app.core.storage import MediaStorage
from app.demo.photos import draw_product_photo
from app.regions.models import County


@dataclass(frozen=True)
class DemoBrand:
    slug: str
    name: str
    anchor_county: str  # the county the reference data lists the brand under
    keyword: str  # demo products of the region whose title holds it are linked
    category: str  # the demo photo style of its logo
    required: CertificateKind | None
    story: str


DEMO_BRANDS: tuple[DemoBrand, ...] = (
    DemoBrand(
        "gannan-navel-orange",
        "赣南脐橙",
        "360734",
        "脐橙",
        "fruit",
        None,
        "赣南脐橙产自江西赣州的丘陵山地，寻乌、安远、会昌都是主产县。\n\n"
        "参考数据记载其为国家地理标志保护产品、赣州市区域品牌。",
    ),
    DemoBrand(
        "baise-mango",
        "百色芒果",
        "451003",
        "芒果",
        "fruit",
        CertificateKind.GI,
        "百色芒果产自广西百色右江河谷，田阳被称为“芒果之乡”。\n\n"
        "以本品牌销售的商品须持有有效的农产品地理标志证书。",
    ),
    DemoBrand(
        "tianshui-huaniu-apple",
        "花牛苹果",
        "620503",
        "苹果",
        "fruit",
        CertificateKind.GI,
        "花牛苹果是天水市的区域品牌，麦积区为主产区。\n\n以本品牌销售的商品须持有有效的农产品地理标志证书。",
    ),
    DemoBrand(
        "guyuan-yellow-cattle",
        "固原黄牛肉",
        "640402",
        "牛肉",
        "meat_eggs",
        CertificateKind.GI,
        "固原黄牛是国家级地理标志产品，固原市原州区等四县一区饲养。",
    ),
    DemoBrand(
        "liangshan-potato",
        "凉山马铃薯",
        "513422",
        "马铃薯",
        "vegetables",
        None,
        "凉山马铃薯是凉山州的区域品牌，高原冷凉气候下种出的马铃薯淀粉足、口感面。",
    ),
    DemoBrand(
        "dingxi-potato",
        "定西马铃薯",
        "621102",
        "马铃薯",
        "vegetables",
        None,
        "定西被称为“中国马铃薯之乡”，定西马铃薯入选“甘味”知名农产品品牌。",
    ),
    DemoBrand(
        "baoshan-coffee",
        "保山小粒咖啡",
        "530502",
        "咖啡",
        "drinks",
        CertificateKind.GI,
        "保山小粒咖啡产自隆阳区潞江坝，干热河谷里长出的阿拉比卡咖啡。",
    ),
    DemoBrand(
        "dehong-coffee",
        "德宏小粒咖啡",
        "533103",
        "咖啡",
        "drinks",
        None,
        "德宏小粒咖啡是德宏州的区域品牌，州府芒市周边的咖啡园出产。",
    ),
    DemoBrand(
        "jinggang-pomelo",
        "井冈蜜柚",
        "360821",
        "蜜柚",
        "fruit",
        None,
        "井冈蜜柚是吉安市的区域品牌，吉安县为主产区之一。",
    ),
    DemoBrand(
        "golog-silverweed",
        "果洛蕨麻",
        "632621",
        "蕨麻",
        "other",
        CertificateKind.GI,
        "果洛蕨麻是农产品地理标志，果洛州的区域品牌，生长在海拔三千米以上的草甸。",
    ),
)


def _valid(product: Product, kind: CertificateKind, today: date) -> bool:
    return any(
        c.kind == kind
        and c.status == CertificateStatus.VERIFIED
        and c.valid_from <= today <= c.valid_until
        for c in product.certificates
    )


async def _region(session: AsyncSession, anchor: str) -> list[str]:
    """The county-level units of the anchor county's prefecture (the brand's region)."""
    prefecture = await session.scalar(select(County.prefecture_code).where(County.code == anchor))
    if prefecture is None:
        return []
    codes = await session.scalars(
        select(County.code).where(County.prefecture_code == prefecture).order_by(County.code)
    )
    return list(codes)


async def _logo(media: MediaStorage, brand: DemoBrand) -> str:
    image = process_image(
        draw_product_photo(brand.name, "区域公用品牌", brand.category), field="logo"
    )
    key = f"brands/demo/{brand.slug}-{uuid.uuid5(uuid.NAMESPACE_URL, brand.slug).hex[:8]}.jpg"
    await media.save(key, image.image)
    return key


async def seed_demo_brands(session: AsyncSession, media: MediaStorage, today: date) -> int:
    """Create the demo brands that are missing and link their region's demo products (those
    not linked yet); answers how many products were linked. Idempotent."""
    linked = 0
    for planned in DEMO_BRANDS:
        brand = await session.scalar(select(Brand).where(Brand.slug == planned.slug))
        if brand is None:
            region = await _region(session, planned.anchor_county)
            if not region:
                continue  # the reference data was not loaded: _check_counties said so first
            brand = Brand(
                slug=planned.slug,
                name=planned.name,
                story=planned.story,
                owner=f"{planned.name}产业协会（演示数据）",
                required_certificate_kind=planned.required,
                logo_key=await _logo(media, planned),
                counties=[BrandCounty(county_code=code) for code in region],
            )
            session.add(brand)
            await session.flush()
        region_codes = set(
            await session.scalars(
                select(BrandCounty.county_code).where(BrandCounty.brand_id == brand.id)
            )
        )
        candidates = await session.scalars(
            select(Product)
            .join(Cooperative, Cooperative.id == Product.cooperative_id)
            .where(
                Product.brand_id.is_(None),
                Cooperative.county_code.in_(sorted(region_codes)),
                Product.title.contains(planned.keyword),
            )
            .options(selectinload(Product.certificates))
            .order_by(Product.id)
        )
        for product in candidates:
            if planned.required is None or _valid(product, planned.required, today):
                product.brand_id = brand.id
                linked += 1
    await session.flush()
    return linked
