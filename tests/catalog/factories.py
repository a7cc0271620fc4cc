"""Plain typed factories for the catalog: product and SKU bodies for the API, products and SKUs
written straight into the tables, suppliers with goods on sale, and the search index."""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from app.catalog.indexing import rebuild_index
from app.catalog.models import (
    PriceTier,
    Product,
    ProductCertificate,
    ProductPhoto,
    ProductStatus,
    Sku,
)
from app.certification.models import Certificate
from app.cooperative.models import SupplierStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from search.embedded.backend import EmbeddedBackend
from tests.cooperative.factories import Supplier, create_cooperative

SELLER_COUNTY = "522732"  # 三都水族自治县 (贵州), one of the 832

_numbers = itertools.count(1)


@dataclass(frozen=True)
class SkuRef:
    id: int
    product_id: int
    cooperative_id: int
    code: str


async def create_sku(
    database: Database,
    *,
    cooperative_id: int,
    price_fen: int = 2500,
    stock: int = 10,
    weight_grams: int = 500,
    min_qty: int = 1,
    tiers: Sequence[tuple[int, int]] = (),
    category: str = "fruit",
    title: str = "隆安香蕉",
    unit: str = "箱",
    sku_name: str = "5 斤装",
    product_status: ProductStatus = ProductStatus.ACTIVE,
    is_active: bool = True,
    product_id: int | None = None,
) -> SkuRef:
    """A committed SKU (of a new product unless `product_id` is given); tiers are
    (min_qty, price_fen). A new active product is published, as the catalog does."""
    n = next(_numbers)
    code = f"SKU-{n:05d}-{uuid.uuid4().hex[:6].upper()}"
    async with unit_of_work(database.writer) as session:
        if product_id is None:
            product = Product(
                cooperative_id=cooperative_id,
                slug=f"p-{n}-{uuid.uuid4().hex[:8]}",
                title=title,
                category_code=category,
                unit=unit,
                status=product_status,
                min_price_fen=price_fen,
                in_stock=stock > 0 and is_active,
                published_at=utcnow() if product_status == ProductStatus.ACTIVE else None,
            )
            session.add(product)
            await session.flush()
            product_id = product.id
        sku = Sku(
            product_id=product_id,
            code=code,
            name=sku_name,
            price_fen=price_fen,
            stock=stock,
            weight_grams=weight_grams,
            min_qty=min_qty,
            is_active=is_active,
        )
        session.add(sku)
        await session.flush()
        for tier_min, tier_price in tiers:
            session.add(PriceTier(sku_id=sku.id, min_qty=tier_min, price_fen=tier_price))
        await session.flush()
        return SkuRef(id=sku.id, product_id=product_id, cooperative_id=cooperative_id, code=code)


@dataclass(frozen=True)
class Seller:
    """A supplier with one active product on sale in one SKU or more."""

    id: int
    county_code: str
    product_id: int
    sku_ids: list[int]

    @property
    def cooperative_id(self) -> int:
        return self.id

    @property
    def sku_id(self) -> int:
        """The first SKU."""
        return self.sku_ids[0]


async def create_seller(
    database: Database,
    *,
    county_code: str = SELLER_COUNTY,
    name: str | None = None,
    households_supported: int = 12,
    status: SupplierStatus = SupplierStatus.VERIFIED,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    title: str | None = None,
    category: str = "fruit",
    price_fen: int = 1000,
    stock: int = 10,
    weight_grams: int = 500,
    skus: int = 1,
) -> Seller:
    """A supplier with one product in `skus` SKUs, each at this price and stock."""
    n = next(_numbers)
    cooperative_id = await create_cooperative(
        database,
        name=name or f"三都丰收种植专业合作社{n}号",
        county_code=county_code,
        households_supported=households_supported,
        status=status,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
    )
    product_id: int | None = None
    sku_ids: list[int] = []
    for index in range(skus):
        created = await create_sku(
            database,
            cooperative_id=cooperative_id,
            price_fen=price_fen,
            stock=stock,
            weight_grams=weight_grams,
            category=category,
            title=title or f"三都有机蓝莓{n}",
            unit="500g/盒",
            sku_name=f"规格{index + 1}",
            product_id=product_id,
        )
        product_id = created.product_id
        sku_ids.append(created.id)
    assert product_id is not None, "a seller has one SKU or more"
    return Seller(cooperative_id, county_code, product_id, sku_ids)


async def update_certificate(database: Database, certificate_id: int, **values: Any) -> None:
    async with unit_of_work(database.writer) as session:
        certificate = await session.get(Certificate, certificate_id)
        assert certificate is not None
        for name, value in values.items():
            setattr(certificate, name, value)
    await sync_search_index(database)


def sku(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid SKU body."""
    body: dict[str, Any] = {
        "code": code or f"SKU-{next(_numbers)}",
        "name": "5kg 礼盒",
        "price_fen": 3980,
        "stock": 100,
        "weight_grams": 5000,
        "min_qty": 1,
        "price_tiers": [],
    }
    body.update(overrides)
    return body


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid product body with one SKU."""
    body: dict[str, Any] = {
        "title": "融水香糯",
        "description": "<p>高山梯田里种出的<strong>香糯</strong>。</p>",
        "category": "grain_oil",
        "unit": "5kg/袋",
        "certificate_ids": [],
        "status": "active",
        "skus": [sku()],
        "season_months": [10, 11],
        "shelf_life_days": 365,
        "storage_conditions": "阴凉干燥处保存",
        # Grain and oil is processed food: published only with a food production licence.
        "food_licence_number": "SC10145012300016",
    }
    body.update(overrides)
    return body


async def upload_photo(
    client: httpx.AsyncClient, supplier: Supplier, product_id: int, data: bytes | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"file": ("photo.png", data or png_bytes(400, 300), "image/png")},
        headers=supplier.headers,
    )
    assert response.status_code == 201, response.text
    photo: dict[str, Any] = response.json()
    return photo


async def publish(client: httpx.AsyncClient, supplier: Supplier, product_id: int) -> dict[str, Any]:
    response = await client.patch(
        f"/api/v1/products/{product_id}", json={"status": "active"}, headers=supplier.headers
    )
    assert response.status_code == 200, response.text
    published: dict[str, Any] = response.json()
    return published


async def create_product(
    client: httpx.AsyncClient, supplier: Supplier, **overrides: Any
) -> dict[str, Any]:
    """A product made as a supplier makes one: an active one is created as a draft, given a
    photo (nothing is published without one) and then published."""
    body = product_body(**overrides)
    active = body.get("status") == "active"
    response = await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products",
        json={**body, "status": "draft"} if active else body,
        headers=supplier.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    if active:
        await upload_photo(client, supplier, created["id"])
        created = await publish(client, supplier, created["id"])
    return created


@dataclass(frozen=True)
class CatalogCounts:
    products: int
    skus: int
    tiers: int
    photos: int
    links: int


async def catalog_counts(database: Database) -> CatalogCounts:
    """Row counts of every catalog table a product write touches."""
    async with unit_of_work(database.reader) as session:
        values = []
        for model in (Product, Sku, PriceTier, ProductPhoto, ProductCertificate):
            values.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return CatalogCounts(*values)


def png_bytes(width: int = 800, height: int = 600, color: str = "#6a9f4b") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


async def sync_search_index(database: Database) -> None:
    """Rebuild the embedded search index from the tables: arranged data bypasses the outbox."""
    await rebuild_index(database.writer, EmbeddedBackend(database.writer, reader=database.reader))


async def post_product(client: httpx.AsyncClient, supplier: Supplier, body: Any) -> httpx.Response:
    """POST a product body for the supplier, with its member's headers."""
    return await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products", json=body, headers=supplier.headers
    )


async def stored_product(database: Database, product_id: int) -> Product:
    """The product row as committed."""
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product


@asynccontextmanager
async def visitor(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own: its own cookies, hence its own session."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        yield browser
