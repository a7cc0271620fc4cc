"""Seeding the demo catalog: suppliers, certificates, products, SKUs and photos, in bulk.

Rows are written straight through the models (a few statements per table, not one per
product) but keep the catalog's rules: only verified suppliers have active products,
`min_price_fen` / `in_stock` match the SKUs, slugs and codes are unique. Every row is keyed
on its natural key (credit code, certificate kind and number, slug, SKU code), so a second
run finds everything present and writes nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as accounts
from app.account.models import Role
from app.catalog.indexing import rebuild_index
from app.catalog.models import (
    Category,
    PriceTier,
    Product,
    ProductCertificate,
    ProductPhoto,
    ProductStatus,
    Sku,
)
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.core.images import ProcessedImage, process_image
from app.core.storage import MediaStorage
from app.demo.accounts import DemoLogin
from app.demo.brands import seed_demo_brands
from app.demo.label_facts import food_licence_number, shelf_life_and_storage
from app.demo.photos import draw_product_photo
from app.demo.plan import DEFAULT_PRODUCTS, DemoPlan, DemoSeedError, PlannedProduct, build_plan
from app.regions.models import County
from search import SearchBackend
from search.embedded.backend import EmbeddedBackend

# The supplier admin of the first demo cooperative: public on purpose, like the other logins.
SUPPLIER_LOGIN = DemoLogin(
    "supplier",
    "supplier@fengshou.demo",
    "fengshou-supplier",
    "合作社管理员（演示）",
    Role.SUPPLIER_ADMIN,
)
# SQLite allows 32 766 bound parameters per statement; stay well below it on every backend.
_CHUNK = 500


@dataclass(frozen=True)
class DemoCatalogReport:
    """What the seeding wrote, and the printable sign-in lines."""

    suppliers_written: int
    certificates_written: int
    products_written: int
    logins: tuple[str, ...]

    def __str__(self) -> str:
        if not (self.suppliers_written or self.certificates_written or self.products_written):
            return "demo catalog: already up to date"
        return (
            f"demo catalog: {self.suppliers_written} suppliers, "
            f"{self.certificates_written} certificates, {self.products_written} products written"
        )


def _chunks(rows: Sequence[dict[str, Any]]) -> list[Sequence[dict[str, Any]]]:
    return [rows[start : start + _CHUNK] for start in range(0, len(rows), _CHUNK)]


async def _insert(session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await session.execute(insert(model), list(chunk))


async def _ids_by(
    session: AsyncSession, column: Any, id_column: Any, keys: Sequence[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = await session.execute(
            select(column, id_column).where(column.in_(keys[start : start + _CHUNK]))
        )
        found.update({key: ident for key, ident in rows})
    return found


async def _check_counties(session: AsyncSession, plan: DemoPlan) -> None:
    codes = sorted({s.county_code for s in plan.suppliers})
    present = await session.scalar(select(func.count()).where(County.code.in_(codes)))
    if present != len(codes):
        raise DemoSeedError(
            "The region reference data is missing: run `fengshou db upgrade` first."
        )


async def _seed_suppliers(session: AsyncSession, plan: DemoPlan) -> tuple[dict[str, int], int]:
    codes = [s.credit_code for s in plan.suppliers]
    existing = await _ids_by(session, Cooperative.credit_code, Cooperative.id, codes)
    now = utcnow()
    rows = [
        {
            "name": s.name,
            "kind": SupplierKind.COOPERATIVE,
            "credit_code": s.credit_code,
            "county_code": s.county_code,
            "contact_name": s.contact_name,
            "contact_phone": s.contact_phone,
            "households_supported": s.households_supported,
            "recommendation_ref": s.recommendation_ref,
            "description": s.description,
            "status": SupplierStatus(s.status),
            "status_reason": s.status_reason,
            # A suspended supplier was verified before it was suspended.
            "verified_at": None if s.status == "pending" else now,
        }
        for s in plan.suppliers
        if s.credit_code not in existing
    ]
    await _insert(session, Cooperative, rows)
    return await _ids_by(session, Cooperative.credit_code, Cooperative.id, codes), len(rows)


async def _seed_certificates(
    session: AsyncSession, plan: DemoPlan, supplier_ids: dict[str, int]
) -> tuple[dict[tuple[str, str], int], int]:
    keys = [(c.kind, c.number) for _, c in plan.certificates]

    async def ids() -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for start in range(0, len(keys), _CHUNK):
            rows = await session.execute(
                select(Certificate.kind, Certificate.number, Certificate.id).where(
                    tuple_(Certificate.kind, Certificate.number).in_(keys[start : start + _CHUNK])
                )
            )
            found.update({(kind.value, number): ident for kind, number, ident in rows})
        return found

    existing = await ids()
    now = utcnow()
    rows = [
        {
            "cooperative_id": supplier_ids[credit_code],
            "kind": CertificateKind(c.kind),
            "number": c.number,
            "issuer": c.issuer,
            "valid_from": c.valid_from,
            "valid_until": c.valid_until,
            "status": CertificateStatus(c.status),
            "verified_at": now if c.status == "verified" else None,
        }
        for credit_code, c in plan.certificates
        if (c.kind, c.number) not in existing
    ]
    await _insert(session, Certificate, rows)
    return await ids(), len(rows)


def _photo_keys(product: PlannedProduct) -> tuple[str, str]:
    return f"products/{product.slug}/1.jpg", f"products/{product.slug}/1-thumb.jpg"


@lru_cache(maxsize=2048)
def _drawn_photo(title: str, subtitle: str, category: str) -> ProcessedImage:
    # Processed exactly as an upload is: checked, re-encoded, with a thumbnail. Kept for the
    # life of the process: seeding the demo again (tests, a larger N) need not draw it twice.
    # Only a process that seeds the demo (`fengshou demo`, tests, benchmarks) holds these,
    # never a server or a worker.
    return process_image(draw_product_photo(title, subtitle, category))


def _make_photo(product: PlannedProduct) -> ProcessedImage:
    return _drawn_photo(product.title, product.county_label, product.category)


async def _make_photos(
    products: Sequence[PlannedProduct], media: MediaStorage
) -> dict[str, ProcessedImage]:
    """Draw, process and store the photos; Pillow releases the GIL, so threads run in parallel."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:
        images = await asyncio.gather(
            *(loop.run_in_executor(pool, _make_photo, product) for product in products)
        )
    photos = dict(zip((p.slug for p in products), images, strict=True))
    for product in products:
        image_key, thumb_key = _photo_keys(product)
        await media.save(image_key, photos[product.slug].image)
        await media.save(thumb_key, photos[product.slug].thumbnail)
    return photos


async def _seed_products(
    session: AsyncSession,
    plan: DemoPlan,
    supplier_ids: dict[str, int],
    certificate_ids: dict[tuple[str, str], int],
    media: MediaStorage,
) -> int:
    slugs = [p.slug for p in plan.products]
    existing = await _ids_by(session, Product.slug, Product.id, slugs)
    new = [p for p in plan.products if p.slug not in existing]
    if not new:
        return 0
    photos = await _make_photos(new, media)
    now = utcnow()
    licensed = set(
        await session.scalars(select(Category.code).where(Category.requires_food_licence))
    )
    counties = {s.credit_code: s.county_code for s in plan.suppliers}
    await _insert(
        session,
        Product,
        [
            {
                "cooperative_id": supplier_ids[p.supplier_credit_code],
                "slug": p.slug,
                "title": p.title,
                "description_html": p.description_html,
                "category_code": p.category,
                "unit": p.unit,
                "status": ProductStatus(p.status),
                "season_months": p.season_months,
                **shelf_life_and_storage(p.category),
                "food_licence_number": food_licence_number(
                    counties[p.supplier_credit_code], p.position
                )
                if p.category in licensed
                else None,
                "min_price_fen": p.min_price_fen,
                "in_stock": p.in_stock,
                # Spread over the past weeks, the first planned product the newest.
                "published_at": now - timedelta(hours=3 * p.position)
                if p.status == "active"
                else None,
            }
            for p in new
        ],
    )
    product_ids = await _ids_by(session, Product.slug, Product.id, [p.slug for p in new])
    await _insert(
        session,
        Sku,
        [
            {
                "product_id": product_ids[p.slug],
                "code": sku.code,
                "name": sku.name,
                "price_fen": sku.price_fen,
                "stock": sku.stock,
                "weight_grams": sku.weight_grams,
                "min_qty": sku.min_qty,
            }
            for p in new
            for sku in p.skus
        ],
    )
    sku_codes = [sku.code for p in new for sku in p.skus]
    sku_ids = await _ids_by(session, Sku.code, Sku.id, sku_codes)
    await _insert(
        session,
        PriceTier,
        [
            {"sku_id": sku_ids[sku.code], "min_qty": tier.min_qty, "price_fen": tier.price_fen}
            for p in new
            for sku in p.skus
            for tier in sku.tiers
        ],
    )
    photo_rows = []
    for p in new:
        image_key, thumb_key = _photo_keys(p)
        photo = photos[p.slug]
        photo_rows.append(
            {
                "product_id": product_ids[p.slug],
                "position": 0,
                "image_key": image_key,
                "thumb_key": thumb_key,
                "width": photo.width,
                "height": photo.height,
                "alt": p.title,
            }
        )
    await _insert(session, ProductPhoto, photo_rows)
    await _insert(
        session,
        ProductCertificate,
        [
            {
                "product_id": product_ids[p.slug],
                "certificate_id": certificate_ids[(c.kind, c.number)],
            }
            for p in new
            for c in p.certificates
        ],
    )
    return len(new)


async def _seed_supplier_login(session: AsyncSession, cooperative_id: int) -> str:
    """The demo supplier admin: created, or its password and role restored."""
    login = SUPPLIER_LOGIN
    user = await accounts.find_user_by_email(session, login.email)
    if user is None:
        user = await accounts.create_user(
            session,
            email=login.email,
            password=login.password,
            display_name=login.display_name,
        )
    elif not await accounts.password_matches(user, login.password):
        await accounts.set_password(session, user, login.password)
    user.is_active = True
    await accounts.grant_role(session, user, login.role, scope_id=cooperative_id)
    return f"{login.label:<9} {login.email} / {login.password}"


async def seed_demo_catalog(
    database: Database,
    media: MediaStorage,
    *,
    products: int = DEFAULT_PRODUCTS,
    today: date | None = None,
    supplier_login: bool = True,
    search: SearchBackend | None = None,
) -> DemoCatalogReport:
    """Seed the first `products` demo products with their suppliers, certificates and photos.

    Deterministic for a given `products` (and `today`, which only moves certificate dates);
    idempotent. With `supplier_login`, the demo supplier admin of the first cooperative is
    created (or its password restored). DemoSeedError for a count outside the demo's range or
    when the region reference data has not been loaded. The search index (`search`, else
    the embedded one in the database) is rebuilt at the end, so the demo is findable at once.
    """
    plan = build_plan(products, today or china_date(utcnow()))
    async with unit_of_work(database.writer) as session:
        await _check_counties(session, plan)
        supplier_ids, suppliers_written = await _seed_suppliers(session, plan)
        certificate_ids, certificates_written = await _seed_certificates(
            session, plan, supplier_ids
        )
        products_written = await _seed_products(session, plan, supplier_ids, certificate_ids, media)
        await seed_demo_brands(session, media, today or china_date(utcnow()))
        logins: tuple[str, ...] = ()
        if supplier_login:
            first = supplier_ids[plan.suppliers[0].credit_code]
            logins = (await _seed_supplier_login(session, first),)
    if products_written:
        # Planner statistics after a bulk load: without them SQLite drives the label facet
        # from the certificates index and probes every product for each certificate.
        async with unit_of_work(database.writer) as session:
            await session.execute(text("ANALYZE"))
    # The demo is written straight to the tables, not through the outbox: rebuild the index.
    backend = search or EmbeddedBackend(database.writer, reader=database.reader)
    await rebuild_index(database.writer, backend)
    return DemoCatalogReport(
        suppliers_written=suppliers_written,
        certificates_written=certificates_written,
        products_written=products_written,
        logins=logins,
    )
